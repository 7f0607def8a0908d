/**
 * The shapes of tasks as the SDK's `Client` gives and takes them: a stored `Task` (JS values and
 * `Date`s), a `NewTask` to create, and the manager's limits the client checks before sending.
 */
import type { TraceOptions } from "./_trace.ts";
import type { TaskStatus } from "./types.ts";

/**
 * One failed attempt of a task, or one ended by hand: a running task moved back to pending
 * ("Interrupted: moved back to pending by hand while running") or marked failed.
 */
export interface TaskAttemptError {
  /** Which attempt failed. */
  attempt: number;
  /** The error the worker reported, or the manager's (a lost lease, a change by hand). */
  message: string;
  /** When it failed. */
  at: Date;
  /** The worker that ran it, also when the manager recorded the error (empty when none did). */
  workerId: string;
  /**
   * The run the attempt belonged to (1, then one more per requeue); `null` for an error recorded
   * before runs were counted.
   */
  run: number | null;
  /** The error's stack trace as the worker sent it (cut by the manager); `null` when none. */
  stack: string | null;
  /** Lines the handler logged during the attempt (`ctx.log`), oldest first; `[]` when none. */
  logs: string[];
}

/** A task as the manager stores it. */
export interface Task<TData = unknown, TResult = unknown> {
  /** Id of the task (sortable by creation time). */
  id: string;
  /** Executor that runs it. */
  executorName: string;
  /** The task's data. */
  data: TData;
  /** String metadata given at creation. */
  metadata: Record<string, string>;
  /** Where the task stands. */
  status: TaskStatus;
  /** Higher runs first. */
  priority: number;
  /** When it may run (next); `null` once it ran. */
  runAt: Date | null;
  /** Attempts started so far. */
  attempt: number;
  /** Attempts allowed in all. */
  maxAttempts: number;
  /** Which run this is: 1, then one more per requeue (attempts count from 1 again in each run). */
  run: number;
  /**
   * The latest progress a worker reported (`ctx.heartbeat(progress)`, any JSON value); `null` when
   * none was (a task created by `createTasks` comes without it: the answer's basic view).
   */
  progress: unknown;
  /**
   * Lines the handler logged (`ctx.log`) during the attempt that completed the task, oldest first;
   * `[]` before (a failed attempt's lines are in its `errors` entry).
   */
  logs: string[];
  /** When the lease of the attempt holding the task runs out; `null` when no attempt holds it. */
  leaseExpiresAt: Date | null;
  /**
   * Failed attempts and those ended by hand, oldest first: the first one and the newest (50 in all
   * by default).
   */
  errors: TaskAttemptError[];
  /** Failed attempts left out of `errors`, which keeps the first and the newest (50 by default). */
  errorsDropped: number;
  /** The handler's result once completed, else `null`. */
  result: TResult | null;
  /** When it was created. */
  createdAt: Date;
  /** When it last changed. */
  updatedAt: Date;
  /** When its latest attempt started (`null` before the first). */
  startedAt: Date | null;
  /** When it reached a final status (`null` before). */
  completedAt: Date | null;
  /** The idempotency key it was created with, if any. */
  idempotencyKey: string | null;
  /** Its flow-control group (given at creation or read by the executor's `groupKeyPointer`). */
  groupKey: string | null;
  /**
   * The worker of its current attempt: holding it, or whose attempt ended the task; `null` while it
   * is pending (the workers of earlier attempts are in `errors`).
   */
  workerId: string | null;
}

/** Optional fields of a task to create, and the trace its create call continues. */
export interface CreateTaskOptions extends TraceOptions {
  /** String metadata kept with the task and given to the handler. */
  metadata?: Record<string, string>;
  /** Higher runs first (default 0). */
  priority?: number;
  /** Do not run before this time (a delayed task). */
  runAt?: Date | number;
  /**
   * At most one task per executor and key: `createTask` with a used key throws `ConflictError`
   * (as REST answers 409); `createTasks` gives back the task the key made. `null`: none.
   */
  idempotencyKey?: string | null;
  /**
   * Its flow-control group: per-key rate limits and concurrency, fair dispatch between keys
   * (1-256 characters; default, or `null`: the executor's `groupKeyPointer` into the data).
   */
  groupKey?: string | null;
}

/** A task to create with `createTasks`. */
export interface NewTask<TData = unknown> extends Omit<CreateTaskOptions, keyof TraceOptions> {
  /** Executor that runs it. */
  executorName: string;
  /** The task's data (any JSON value). */
  data: TData;
}

/**
 * The manager's limits, which `Client` checks before it sends a task. The defaults are the
 * manager's defaults; give a manager's own values when it was started with others.
 */
export interface ClientLimits {
  /** Largest task `data` as JSON text, in UTF-8 bytes (default 1 MiB: TASK_DATA_MAX_BYTES). */
  taskDataBytes?: number | null;
  /** Largest request, in bytes (default 4 MiB: MAX_REQUEST_BYTES). */
  requestBytes?: number | null;
  /**
   * Deepest nesting of arrays and objects in task `data`, an executor's `taskSchema` and a
   * schedule's task data (default 64, as the manager's).
   */
  jsonDepth?: number | null;
  /** Most task ids one `WatchTasks` call may name (default 1000, as the manager's). */
  watchTaskIds?: number | null;
}
