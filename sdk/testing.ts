/**
 * Runs a handler in a unit test, without a manager: the same schema check, error mapping and
 * result serialisation as a real worker, returned as a plain value to assert on.
 *
 * @example
 * ```ts
 * import { runHandler } from "@tasks-executor/sdk/testing";
 * const outcome = await runHandler((data: { n: number }) => data.n * 2, { n: 21 });
 * if (outcome.ok) console.log(outcome.result); // 42
 * ```
 * @module
 */
import { runAttempt } from "./_run.ts";
import { checkFields, type FieldSpec, refuseViolations } from "./_fields.ts";
import { loggerProblem, workerLogger } from "./_logger.ts";
import type { FieldViolation } from "./errors.ts";
import { checkProgress } from "./_heartbeats.ts";
import { compileTaskSchema, type JsonSchema } from "./schema.ts";
import type { Handler, Logger, TaskContext } from "./types.ts";

/** The manager's default `maxProgressBytes`, which the worker assumes until a welcome names one. */
const PROGRESS_BYTES = 1024;

/** What `runHandler` gave: the result the manager would store, or the error it would record. */
export type HandlerOutcome<TResult = unknown> =
  | {
    ok: true;
    /** The result after a JSON round trip (what the manager stores). */
    result: TResult;
  }
  | {
    ok: false;
    /** The error message the manager would record for the attempt. */
    error: string;
    /** Whether the manager would try again (policy permitting). */
    retryable: boolean;
    /** Delay asked for with `RetryAfterError`; 0 = the executor's backoff. */
    retryAfterMs: number;
    /** What the handler threw (or the SDK's own error for invalid data). */
    cause: unknown;
  };

/** Options of `runHandler`: the attempt's context (`null` is not given). */
export interface RunHandlerOptions {
  /** Attempt number (default 1). */
  attempt?: number | null;
  /** Attempts allowed (default 3). */
  maxAttempts?: number | null;
  /** Abort it to simulate cancel, timeout or shutdown. */
  signal?: AbortSignal | null;
  /** Check the data against this schema first, as the worker does. */
  schema?: JsonSchema | null;
  /** The task's metadata (default none). */
  metadata?: Record<string, string> | null;
  /** `ctx.taskId` (default `test-task`). */
  taskId?: string | null;
  /** `ctx.executorName` (default `test`), also named in schema errors. */
  executorName?: string | null;
  /** Receives the handler's `ctx.heartbeat(progress)` calls. */
  onHeartbeat?: ((progress: unknown) => void) | null;
  /** Receives the handler's `ctx.log(line)` calls. */
  onLog?: ((line: string) => void) | null;
  /** Default (or `false`): discards everything. */
  logger?: Logger | false | null;
  /** `ctx.traceparent` (default `null`: no trace). */
  traceparent?: string | null;
}

/**
 * The fields of `RunHandlerOptions` (`checkFields`); `schema` is compiled apart, `logger` checked
 * by `loggerProblem`.
 */
const RUN_HANDLER_FIELDS: FieldSpec = {
  attempt: "int32?null",
  maxAttempts: "int32?null",
  signal: "signal?null",
  schema: "any",
  metadata: "strings?null",
  taskId: "string?null",
  executorName: "string?null",
  onHeartbeat: "function?null",
  onLog: "function?null",
  logger: "any",
  traceparent: "string?null",
};

/**
 * Refuses options of `runHandler` holding a field of the wrong type or one it does not have (a
 * misspelt `atempt` ran attempt 1; `onHeartbeat: true` failed inside the handler, as its error).
 *
 * @throws {InvalidArgumentError} naming every such field
 */
function checkRunHandlerOptions(options: RunHandlerOptions): void {
  const violations: FieldViolation[] = [];
  const fields = checkFields(options, RUN_HANDLER_FIELDS, "", violations);
  const problem = fields && loggerProblem(fields.logger);
  if (problem) violations.push({ field: "/logger", message: problem });
  refuseViolations("Invalid runHandler options", violations);
}

/**
 * Runs `handler` once on `data` as a worker would (schema check, error mapping, JSON result).
 *
 * @example Retries and non-retryable errors
 * ```ts
 * import { NonRetryableError } from "@tasks-executor/sdk";
 * import { runHandler } from "@tasks-executor/sdk/testing";
 *
 * const handler = (data: { amount: number }) => {
 *   if (data.amount <= 0) throw new NonRetryableError("Amount must be positive");
 *   return { charged: data.amount };
 * };
 * const bad = await runHandler(handler, { amount: 0 });
 * console.log(bad.ok === false && bad.retryable); // false
 *
 * const invalid = await runHandler(handler, { amount: "x" }, {
 *   schema: { type: "object", properties: { amount: { type: "number" } } },
 * });
 * if (!invalid.ok) console.log(invalid.error); // names /amount
 * ```
 *
 * @throws {InvalidArgumentError} naming a field of `options` of the wrong type or that it does not
 *   have
 * @throws {TypeError} when `schema` does not compile, or `data` is not JSON serialisable
 */
export async function runHandler<TData, TResult>(
  handler: Handler<TData, TResult>,
  data: unknown,
  options: RunHandlerOptions = {},
): Promise<HandlerOutcome<TResult>> {
  checkRunHandlerOptions(options);
  const validate = options.schema === undefined || options.schema === null
    ? undefined
    : compileTaskSchema(options.schema);
  const ctx: TaskContext = {
    taskId: options.taskId ?? "test-task",
    executorName: options.executorName ?? "test",
    attempt: options.attempt ?? 1,
    maxAttempts: options.maxAttempts ?? 3,
    metadata: options.metadata ?? {},
    createdAt: new Date(),
    workerId: "test-worker",
    signal: options.signal ?? new AbortController().signal,
    heartbeat: (progress) => {
      // As the worker does: a progress the manager would not keep throws.
      checkProgress(progress, PROGRESS_BYTES);
      options.onHeartbeat?.(progress);
    },
    log: (line) => options.onLog?.(String(line)),
    // Left out, `null` or `false`: silent (not the worker's default, the console).
    logger: workerLogger(options.logger || false),
    traceparent: options.traceparent ?? null,
  };
  let dataJson: string;
  try {
    dataJson = JSON.stringify(data === undefined ? null : data);
  } catch (error) {
    throw new TypeError(`Test data is not JSON serialisable: ${(error as Error).message}`);
  }
  const outcome = await runAttempt(handler as Handler<never, unknown>, dataJson, ctx, validate);
  if (outcome.ok) return { ok: true, result: outcome.result as TResult };
  const { error, retryable, retryAfterMs, cause } = outcome;
  return { ok: false, error, retryable, retryAfterMs, cause };
}
