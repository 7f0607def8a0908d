/**
 * The shapes a handler author writes against: the handler, its context, the executor
 * configuration the worker registers, and the logger the SDK writes to.
 */
import type { JsonSchema } from "./schema.ts";
import type { ScheduleConfig } from "./schedule_config.ts";
import type { ProtoEnumName } from "./_enum_name.ts";

/** Where a task stands. */
export type TaskStatus = "pending" | "in_progress" | "completed" | "failed" | "dlq" | "cancelled";

export type { ProtoEnumName };

/** A task status as a filter takes it: `"failed"` or `"TASK_STATUS_FAILED"` (`ProtoEnumName`). */
export type TaskStatusName = ProtoEnumName<"TASK_STATUS_", TaskStatus>;

/** Extra fields of a log line. */
export type LogFields = Record<string, unknown>;

/**
 * A leveled logger; the SDK logs connection changes, refused results and handler crashes to it.
 *
 * @example
 * ```ts
 * import type { Logger } from "@tasks-executor/sdk";
 * const quiet: Logger = { debug() {}, info() {}, warn: console.warn, error: console.error };
 * quiet.warn("Only warnings and errors are shown");
 * ```
 */
export interface Logger {
  /** Details nobody needs unless debugging. */
  debug(msg: string, fields?: LogFields): void;
  /** Normal events: connected, stopped. */
  info(msg: string, fields?: LogFields): void;
  /** Something went wrong and the SDK copes: a lost stream, a failed attempt. */
  warn(msg: string, fields?: LogFields): void;
  /** Something went wrong and needs a person. */
  error(msg: string, fields?: LogFields): void;
}

/**
 * What a handler knows about the attempt it runs.
 *
 * @example
 * ```ts
 * import type { TaskContext } from "@tasks-executor/sdk";
 * async function slow(data: { steps: number }, ctx: TaskContext): Promise<number> {
 *   for (let i = 0; i < data.steps; i++) {
 *     ctx.signal.throwIfAborted(); // stop early on cancel, timeout or shutdown
 *     ctx.heartbeat({ done: i });
 *     await new Promise((r) => setTimeout(r, 10));
 *   }
 *   return data.steps;
 * }
 * console.log(typeof slow);
 * ```
 */
export interface TaskContext {
  /** Id of the task. */
  readonly taskId: string;
  /** Executor the task belongs to. */
  readonly executorName: string;
  /** This attempt's number, starting at 1. */
  readonly attempt: number;
  /** Attempts allowed in all. */
  readonly maxAttempts: number;
  /** The task's string metadata. */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * When the task was created; when the assignment does not say (no `created_at`, or none a
   * protobuf `Timestamp` allows), when the worker received it. Always a valid `Date`.
   */
  readonly createdAt: Date;
  /** Id of the worker running the attempt. */
  readonly workerId: string;
  /**
   * Aborted when the attempt should stop: the task was cancelled, it timed out, its lease was
   * lost, or the worker shuts down. `signal.reason` is a `TaskAbortedError` saying which.
   */
  readonly signal: AbortSignal;
  /**
   * Keeps the lease alive now (the SDK already does so on its own every third of the lease) and
   * records `progress` as it is now (as JSON text: a value changed afterwards is not reported),
   * the latest of which goes with the next heartbeat. Progress recorded before a reconnect to a
   * manager whose `maxProgressBytes` is smaller, and too large for it, is dropped with a warning
   * on the worker's logger.
   *
   * @throws {InvalidArgumentError} naming `/progress/…` when `progress` is one the manager would not
   *   keep (not JSON, `NaN`, nested deeper than 64, larger than the `maxProgressBytes` of the
   *   manager's latest welcome as JSON text); nothing is kept or sent then
   */
  heartbeat(progress?: unknown): void;
  /**
   * Writes a line to this attempt's log, which the manager keeps with the attempt and the admin
   * page shows: the first lines only (10 by default, 150 characters each; a last line says how
   * many more were dropped).
   */
  log(line: string): void;
  /** The worker's logger. */
  readonly logger: Logger;
  /**
   * W3C `traceparent` of this attempt's span, in the trace of the producer that created the task
   * (every attempt, retries included, is a child of the manager's create span). Pass it on to
   * what the handler calls. It is the task's own context when no OpenTelemetry tracer provider
   * records the attempt in this process, and `null` when the task carries no trace.
   */
  readonly traceparent: string | null;
}

/**
 * A task handler: gets the task's data (already checked against the schema) and returns a
 * JSON-serialisable result. Throw `NonRetryableError` to skip retries, `RetryAfterError` to choose
 * the delay, anything else to retry with the executor's backoff.
 *
 * @example
 * ```ts
 * import type { Handler } from "@tasks-executor/sdk";
 * const greet: Handler<{ name: string }, string> = (data) => `Hello, ${data.name}`;
 * console.log(greet({ name: "Ada" }, {} as never));
 * ```
 */
export type Handler<TData = unknown, TResult = unknown> = (
  data: TData,
  ctx: TaskContext,
) => TResult | Promise<TResult>;

/**
 * Retry policy of an executor; intervals in milliseconds. Fields left out keep the manager's
 * defaults (exponential, 3 attempts, 1 s, capped at 60 s, ×2).
 */
export interface RetryPolicy {
  /**
   * How the delay grows from one attempt to the next (or the proto's name,
   * `RETRY_POLICY_TYPE_LINEAR`).
   */
  type?: ProtoEnumName<"RETRY_POLICY_TYPE_", "constant" | "linear" | "exponential">;
  /** Attempts in all, the first included (1..1000). */
  maxAttempts?: number;
  /** Base delay (ms). */
  interval?: number;
  /** Upper bound of any delay (ms); 0 = no bound. */
  maxInterval?: number;
  /** Growth factor of the exponential policy (1..100). */
  multiplier?: number;
  /** Fraction (0..1) of each delay drawn at random. */
  jitter?: number;
}

/** Dead letter queue settings of an executor. */
export interface DlqConfig {
  /** Dead-letter tasks whose retries ran out (else they end `failed`). */
  enabled?: boolean;
  /** Queue its dead tasks go to (default `dlq`). */
  queueName?: string;
}

/** How hard the manager persists this executor's task writes. */
export type WriteConcernLevel =
  | "unacknowledged"
  | "replica_acknowledged"
  | "journaled"
  | "majority";

/**
 * At most `limit` task starts per `period` (ms, 1 ms .. 1 day; default 1000), up to `burst` at
 * once (default `limit`); shared by every worker and manager on the store.
 *
 * @example
 * ```ts
 * import type { RateLimit } from "@tasks-executor/sdk";
 * const rate: RateLimit = { limit: 100, period: 1000, burst: 20 };
 * console.log(rate.limit);
 * ```
 */
export interface RateLimit {
  /**
   * Starts per period (1..1,000,000). In an executor configuration, `{ limit: 0 }` alone removes
   * the limit (as `null` does, and as REST reads it); 0 beside another field is refused.
   */
  limit: number;
  /** The period: a whole number of milliseconds (1000, not `"1s"`); default 1000. */
  period?: number;
  /**
   * Starts allowed at once after a quiet spell (1..1,000,000; default `limit`, also when `null`, as
   * REST reads it).
   */
  burst?: number;
}

/**
 * The configuration a worker registers for an executor on start (created, or updated when the
 * executor exists). Fields left out are not changed on an existing executor.
 *
 * @example
 * ```ts
 * import type { ExecutorConfig } from "@tasks-executor/sdk";
 * const config: ExecutorConfig = {
 *   taskSchema: { type: "object", required: ["to"], properties: { to: { type: "string" } } },
 *   retryPolicy: { type: "exponential", maxAttempts: 5, interval: 1000 },
 *   dlqConfig: { enabled: true },
 *   timeout: 30_000,
 * };
 * console.log(Object.keys(config));
 * ```
 */
export interface ExecutorConfig {
  /** JSON Schema (draft 2020-12) every task's data must match. */
  taskSchema?: JsonSchema;
  /** When and how often failed attempts are retried. */
  retryPolicy?: RetryPolicy;
  /** Where tasks go when retries run out. */
  dlqConfig?: DlqConfig;
  /** Per-attempt timeout, which is also the lease length (ms). */
  timeout?: number;
  /** Tasks of this executor running at once across all workers; 0 = no limit. */
  maxConcurrency?: number;
  /**
   * How hard the manager persists this executor's task writes (MongoDB); the proto's name
   * (`WRITE_CONCERN_LEVEL_MAJORITY`) is taken too.
   */
  writeConcern?:
    | ProtoEnumName<"WRITE_CONCERN_LEVEL_", WriteConcernLevel>
    | { level: ProtoEnumName<"WRITE_CONCERN_LEVEL_", WriteConcernLevel> };
  /** A disabled executor keeps its tasks but hands none out. */
  enabled?: boolean;
  /**
   * Task starts of this executor as a whole; `{ limit: 0 }` removes the limit (`null`, as left
   * out, keeps the executor's).
   */
  rateLimit?: RateLimit | null;
  /** Task starts per group key; `{ limit: 0 }` removes the limit (`null` keeps it). */
  rateLimitPerKey?: RateLimit | null;
  /** Tasks of one group key running at once across all workers; 0 = no limit. */
  maxConcurrencyPerKey?: number;
  /**
   * JSON pointer into task data giving a task's group key when it was created without one
   * (`"/customerId"`); `""` removes it (`null`, as left out, keeps the executor's).
   */
  groupKeyPointer?: string | null;
}

/**
 * One executor a worker serves: its name, its handler and how many tasks this worker runs at
 * once for it.
 *
 * @example
 * ```ts
 * import type { ExecutorDefinition } from "@tasks-executor/sdk";
 * const def: ExecutorDefinition<{ n: number }, number> = {
 *   name: "square",
 *   handler: (data) => data.n * data.n,
 *   concurrency: 4,
 * };
 * console.log(def.name);
 * ```
 */
export interface ExecutorDefinition<TData = unknown, TResult = unknown> {
  /** Executor name: 1-128 characters of a-z, 0-9, `_`, `.` or `-`. */
  name: string;
  /** Runs one attempt of a task. */
  handler: Handler<TData, TResult>;
  /** Tasks this worker runs at once for this executor (default 1). */
  concurrency?: number;
  /** Configuration registered with the manager on start; none = the executor must exist. */
  config?: ExecutorConfig;
  /**
   * Schedules that create this executor's tasks, registered after the executor on start (see
   * `ScheduleDeclaration`).
   */
  schedules?: ScheduleDeclaration[];
}

/**
 * A schedule declared next to its handler: on start (and after a reconnect) the worker creates
 * it, or changes the stored fields that differ from the declaration (`ScheduleClient.register`):
 * fields left out keep their stored value, so a pause from the admin page survives a restart
 * unless the declaration sets `enabled`. Two workers declaring different settings under one name
 * overwrite each other, the latest registration winning; a name taken by a schedule of another
 * executor stops `start()` with a `ConflictError`. Removing a declaration does not delete the
 * schedule. It needs a key that may write schedules (admin, or producer for the executor): a
 * worker-only key may not create tasks, so `start()` fails with a permission error.
 *
 * @example
 * ```ts
 * import { defineExecutor } from "@tasks-executor/sdk";
 * export const report = defineExecutor<{ kind: string }>({
 *   name: "send_report",
 *   schedules: [{ name: "nightly_report", cron: "30 2 * * *", task: { data: { kind: "daily" } } }],
 *   handler: (data) => data.kind,
 * });
 * ```
 */
export type ScheduleDeclaration<TData = unknown> =
  & Omit<ScheduleConfig<TData>, "executorName">
  & {
    /** The schedule's unique name. */
    name: string;
  };

/**
 * An executor definition of any data and result type, as `Worker` accepts them.
 *
 * @example
 * ```ts
 * import { type AnyExecutorDefinition, defineExecutor } from "@tasks-executor/sdk";
 * const all: AnyExecutorDefinition[] = [
 *   defineExecutor<{ a: number }, number>({ name: "a", handler: (d) => d.a }),
 * ];
 * console.log(all.length);
 * ```
 */
// `never` data makes every typed definition assignable (parameters are contravariant).
export type AnyExecutorDefinition = ExecutorDefinition<never, unknown>;

/**
 * Declares an executor with typed data and result; the identity function, for type inference.
 *
 * @example
 * ```ts
 * import { defineExecutor } from "@tasks-executor/sdk";
 * interface Email { to: string; subject: string }
 * export const sendEmail = defineExecutor<Email, { sent: boolean }>({
 *   name: "send_email",
 *   concurrency: 8,
 *   config: {
 *     taskSchema: {
 *       type: "object",
 *       required: ["to", "subject"],
 *       properties: { to: { type: "string", format: "email" }, subject: { type: "string" } },
 *     },
 *   },
 *   handler: async (data, ctx) => {
 *     ctx.logger.info("Sending", { to: data.to });
 *     return { sent: true };
 *   },
 * });
 * ```
 */
export function defineExecutor<TData = unknown, TResult = unknown>(
  definition: ExecutorDefinition<TData, TResult>,
): ExecutorDefinition<TData, TResult> {
  return definition;
}

/**
 * A task as the Go-SDK-shaped `processTask` sees it.
 */
export interface ProcessorTask<TData = unknown> {
  /** Id of the task. */
  id: string;
  /** Executor the task belongs to. */
  executorName: string;
  /** The task's data, checked against the schema. */
  data: TData;
  /** The task's string metadata. */
  metadata: Readonly<Record<string, string>>;
  /** This attempt's number, starting at 1. */
  attempt: number;
  /** Attempts allowed in all. */
  maxAttempts: number;
  /** When the task was created. */
  createdAt: Date;
}

/**
 * The original Go SDK's processor shape, for `Worker.registerProcessor`.
 *
 * @example
 * ```ts
 * import type { Processor } from "@tasks-executor/sdk";
 * const myHandler: Processor = {
 *   processTask: (task) => ({ echoed: task.data }),
 *   getTaskSchema: () => ({ type: "object" }),
 * };
 * console.log(typeof myHandler.processTask);
 * ```
 */
export interface Processor<TData = unknown, TResult = unknown> {
  /** Runs one task; the second argument carries the signal, heartbeat and metadata. */
  processTask(task: ProcessorTask<TData>, ctx: TaskContext): TResult | Promise<TResult>;
  /** The JSON Schema of the task data, registered with the executor. */
  getTaskSchema?(): JsonSchema | null | undefined;
  /** The rest of the executor's configuration. */
  getConfig?(): Omit<ExecutorConfig, "taskSchema">;
}
