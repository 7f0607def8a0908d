/**
 * Runs one attempt of a handler and turns whatever happens into the result the manager gets:
 * shared by the worker and by `testing.ts`, so a test sees exactly what production would send.
 */
import { Buffer } from "node:buffer";
import {
  boundLogLines,
  cutErrorMessage,
  type FieldViolationMessage,
  type ResultMessage,
} from "@tasks-executor/proto";
import { checkJsonValue, resultTooLarge } from "@tasks-executor/proto/json-value";
import { NonRetryableError, RateLimitedError, RetryAfterError } from "./errors.ts";
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
    /** The handler threw `RateLimitedError`: the attempt is not counted. */
    rateLimited?: true;
  };

/** Deepest nesting of arrays and objects in a result the manager keeps (its `jsonDepth`). */
const RESULT_DEPTH = 64;

/** Turns a thrown value into a failed outcome. */
function outcomeOfError(cause: unknown): Outcome & { ok: false } {
  const message = cause instanceof Error
    ? cause.message || cause.name
    : typeof cause === "string"
    ? cause
    : `Handler threw ${safeJson(cause) ?? String(cause)}`;
  if (cause instanceof NonRetryableError) {
    return { ok: false, error: message, retryable: false, retryAfterMs: 0, cause };
  }
  if (cause instanceof RateLimitedError) {
    return {
      ok: false,
      error: message,
      retryable: true,
      retryAfterMs: cause.retryAfterMs,
      cause,
      rateLimited: true,
    };
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
 * An abort whose handler still returns normally counts as the handler's answer. A result the
 * manager would not keep exactly (`checkJsonValue`: a non-finite number, one beyond ±(2^53 − 1),
 * a lone surrogate, nesting deeper than 64, no JSON at all, an object `JSON.stringify` would write
 * changed such as a `Map`, a cycle) fails the attempt, not retryable,
 * naming the bad spot by JSON pointer (`/result/…`), instead of being sent changed.
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
  const value = result === undefined ? null : result;
  const violations: FieldViolationMessage[] = [];
  if (!checkJsonValue(value, { pointer: "/result", maxDepth: RESULT_DEPTH }, violations)) {
    const [v] = violations;
    return outcomeOfError(
      new NonRetryableError(`Result cannot be stored as it is: ${describeViolations([v])}`),
    );
  }
  const resultJson = safeJson(value);
  if (resultJson === undefined) {
    return outcomeOfError(new NonRetryableError("Handler result is not JSON serialisable"));
  }
  return { ok: true, result: JSON.parse(resultJson), resultJson };
}

/** What the manager takes from a worker, as its welcome says. */
export interface SendLimits {
  /** Largest message it receives, in bytes. */
  maxMessageBytes: number;
  /** Largest `resultJson` it stores, in bytes of UTF-8. */
  maxResultBytes: number;
  /** Longest error message it keeps, in characters. */
  maxErrorChars: number;
  /** Longest stack trace it keeps, in characters. */
  maxStackChars: number;
  /** Most log lines it keeps per attempt, and the longest line, in characters. */
  maxLogLines: number;
  maxLogLineChars: number;
  /** Largest progress it keeps, as JSON text, in bytes of UTF-8. */
  maxProgressBytes: number;
}

/** Bytes a message adds around its results, and each result around its fields (generous). */
export const MESSAGE_OVERHEAD_BYTES = 64;

/** About how many bytes one result takes on the wire (never less than it does). */
export function resultWireBytes(result: ResultMessage): number {
  // failureReason, an enum, fits the overhead; each log line adds its own framing.
  return MESSAGE_OVERHEAD_BYTES + Buffer.byteLength(result.taskId) +
    Buffer.byteLength(result.leaseToken) + Buffer.byteLength(result.resultJson ?? "") +
    Buffer.byteLength(result.error ?? "") + Buffer.byteLength(result.stack ?? "") +
    (result.logs ?? []).reduce((n, line) => n + 8 + Buffer.byteLength(line), 0);
}

/**
 * A result as the manager will take it: a `resultJson` over `maxResultBytes`, or too large to
 * travel in one message, becomes a failed attempt that is not retryable (the same handler on the
 * same data would most likely return it again) saying the result is too large; an error message
 * longer than `maxErrorChars` is cut and marked, as are a stack trace over `maxStackChars` and
 * log lines past `maxLogLines` or `maxLogLineChars` (`boundLogLines`).
 */
export function fitResult(sent: ResultMessage, limits: SendLimits): ResultMessage {
  const result: ResultMessage = sent.logs?.length || sent.stack
    ? {
      ...sent,
      logs: boundLogLines(sent.logs ?? [], limits.maxLogLines, limits.maxLogLineChars),
      stack: cutErrorMessage(sent.stack ?? "", limits.maxStackChars),
    }
    : sent;
  if (result.ok) {
    const bytes = Buffer.byteLength(result.resultJson ?? "");
    const limit = Math.min(
      limits.maxResultBytes,
      limits.maxMessageBytes - MESSAGE_OVERHEAD_BYTES -
        resultWireBytes({ ...result, resultJson: "" }),
    );
    if (bytes <= limit) return result;
    return {
      taskId: result.taskId,
      leaseToken: result.leaseToken,
      ok: false,
      error: `Result cannot be stored as it is: ${
        describeViolations([resultTooLarge(bytes, limit)])
      }`,
      retryable: false,
    };
  }
  const error = cutErrorMessage(result.error ?? "", limits.maxErrorChars);
  return error === result.error ? result : { ...result, error };
}
