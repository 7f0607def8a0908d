/**
 * Runs one attempt of a handler and turns whatever happens into the result the manager gets:
 * shared by the worker and by `testing.ts`, so a test sees exactly what production would send.
 */
import { NonRetryableError, RetryAfterError } from "./errors.ts";
import { type DataValidator, describeViolations } from "./schema.ts";
import type { Handler, TaskContext } from "./types.ts";

/** The outcome of one attempt, as sent to the manager. */
export type Outcome =
  | { ok: true; result: unknown; resultJson: string }
  | {
    ok: false;
    error: string;
    retryable: boolean;
    retryAfterMs: number;
    cause: unknown;
    /** `"validation"` when the data did not parse or match the schema. */
    failureReason?: "validation";
  };

/** Turns a thrown value into a failed outcome. */
export function outcomeOfError(cause: unknown): Outcome & { ok: false } {
  const message = cause instanceof Error
    ? cause.message || cause.name
    : typeof cause === "string"
    ? cause
    : `Handler threw ${safeJson(cause) ?? String(cause)}`;
  if (cause instanceof NonRetryableError) {
    return { ok: false, error: message, retryable: false, retryAfterMs: 0, cause };
  }
  if (cause instanceof RetryAfterError) {
    return { ok: false, error: message, retryable: true, retryAfterMs: cause.retryAfterMs, cause };
  }
  return { ok: false, error: message, retryable: true, retryAfterMs: 0, cause };
}

function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/**
 * Parses the wire data, validates it, runs the handler and serialises its result. Never throws.
 * An abort whose handler still returns normally counts as the handler's answer.
 */
export async function runAttempt(
  handler: Handler<never, unknown>,
  dataJson: string,
  ctx: TaskContext,
  validate: DataValidator | undefined,
): Promise<Outcome> {
  let data: unknown;
  try {
    data = dataJson === "" ? null : JSON.parse(dataJson);
  } catch (error) {
    return {
      ...outcomeOfError(
        new NonRetryableError(`Task data is not valid JSON: ${(error as Error).message}`),
      ),
      failureReason: "validation",
    };
  }
  if (validate) {
    const violations = validate(data);
    if (violations.length > 0) {
      return {
        ...outcomeOfError(
          new NonRetryableError(
            `Task data does not match the schema of executor "${ctx.executorName}": ${
              describeViolations(violations)
            }`,
          ),
        ),
        failureReason: "validation",
      };
    }
  }
  let result: unknown;
  try {
    result = await handler(data as never, ctx);
  } catch (error) {
    return outcomeOfError(error);
  }
  const resultJson = safeJson(result === undefined ? null : result);
  if (resultJson === undefined) {
    return outcomeOfError(new NonRetryableError("Handler result is not JSON serialisable"));
  }
  return { ok: true, result: JSON.parse(resultJson), resultJson };
}
