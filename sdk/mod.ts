/**
 * The Tasks Executor SDK: `Worker` runs task handlers for a manager, `Client` enqueues tasks and
 * reads their state, and `@tasks-executor/sdk/testing` runs a handler in a unit test.
 *
 * @example A worker
 * ```ts
 * import { Worker } from "@tasks-executor/sdk";
 *
 * const worker = new Worker({
 *   address: "localhost:50051",
 *   executors: [{
 *     name: "my_handler",
 *     config: { taskSchema: { type: "object", required: ["message"] } },
 *     handler: (data: { message: string }) => ({ echoed: data.message }),
 *   }],
 * });
 * await worker.start();
 * ```
 * @module
 */
export { Worker, type WorkerOptions } from "./worker.ts";
export type { ConnectionOptions, TlsOptions } from "./_grpc.ts";
export {
  Client,
  type ClientOptions,
  type CreateAndWaitOptions,
  type CreatedTasks,
  type CreateTaskOptions,
  type Executor,
  type NewTask,
  type Task,
  type TaskAttemptError,
  type TaskFilter,
  type TaskPage,
  type TaskStatus,
  TERMINAL_STATUSES,
  type WaitManyOptions,
  type WaitOptions,
} from "./client.ts";
export {
  type AbortReason,
  ConflictError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  ManagerError,
  NonRetryableError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitedError,
  ResourceExhaustedError,
  RetryAfterError,
  TaskAbortedError,
  UnauthenticatedError,
  UnavailableError,
  WaitTimeoutError,
  WorkerIdHeldError,
} from "./errors.ts";
export {
  compileTaskSchema,
  type DataValidator,
  describeViolations,
  type JsonSchema,
} from "./schema.ts";
export {
  type AnyExecutorDefinition,
  defineExecutor,
  type DlqConfig,
  type ExecutorConfig,
  type ExecutorDefinition,
  type Handler,
  type LogFields,
  type Logger,
  type Processor,
  type ProcessorTask,
  type ProtoEnumName,
  type RateLimit,
  type RetryPolicy,
  type ScheduleDeclaration,
  type TaskContext,
  type TaskStatusName,
  type WriteConcernLevel,
} from "./types.ts";
export { SDK_VERSION } from "./version.ts";
export type { TraceOptions } from "./_trace.ts";
export { startTracing, type Tracing } from "./tracing.ts";
export type { BulkOutcome, BulkStop, BulkTaskFilter, DlqFilter, DlqReason } from "./bulk.ts";
export type { History, HistoryPoint, HistoryQuery, HistorySlot } from "./history.ts";
export {
  type Schedule,
  ScheduleClient,
  type ScheduleFire,
  type ScheduleListOptions,
  type SchedulePage,
} from "./schedules.ts";
export type {
  MissedFirePolicy,
  OverlapPolicy,
  ScheduleConfig,
  ScheduleSkipReason,
  ScheduleTask,
} from "./schedule_config.ts";
