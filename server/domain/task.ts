/** Tasks: their shape, statuses and the transitions allowed between them. */
import { type ProtoEnum, protoEnumOf } from "./proto_enum.ts";

/** Where a task stands. */
export type TaskStatus =
  | "pending"
  | "in_progress"
  | "completed"
  | "failed"
  | "dlq"
  | "cancelled";

/** Every status, in lifecycle order. */
export const TASK_STATUSES: readonly TaskStatus[] = [
  "pending",
  "in_progress",
  "completed",
  "failed",
  "dlq",
  "cancelled",
];

/**
 * Each status's number in the proto's `TaskStatus`, which the original interface (`taskexecutor`)
 * and `taskexecutor.v1` number alike (`TASK_STATUS_PENDING` = 1 … `TASK_STATUS_CANCELLED` = 6);
 * 0, `TASK_STATUS_UNSPECIFIED`, is no status.
 */
export const TASK_STATUS_NUMBERS: Readonly<Record<TaskStatus, number>> = {
  pending: 1,
  in_progress: 2,
  completed: 3,
  failed: 4,
  dlq: 5,
  cancelled: 6,
};

/** `TaskStatus` as REST reads it (`protoEnumOf`). */
export const TASK_STATUS_ENUM: ProtoEnum<TaskStatus> = {
  names: TASK_STATUSES,
  prefix: "TASK_STATUS_",
  numbers: TASK_STATUS_NUMBERS,
};

/**
 * The status a client names, in any form REST takes: ours (`in_progress`), the proto's value
 * name (`TASK_STATUS_IN_PROGRESS`) or its number (`2`, or `"2"` as a query string carries it,
 * `jsonInteger`'s forms); `undefined` for anything else, 0 and `TASK_STATUS_UNSPECIFIED` included.
 * `protoEnumOf`'s rule, the one every enum REST reads goes by.
 *
 * @example
 * ```ts
 * import { taskStatusOf } from "./task.ts";
 * console.log(taskStatusOf("dlq"), taskStatusOf("TASK_STATUS_DLQ"), taskStatusOf(5), taskStatusOf("5"));
 * // dlq dlq dlq dlq
 * console.log(taskStatusOf("DLQ"), taskStatusOf(0), taskStatusOf("TASK_STATUS_UNSPECIFIED"));
 * // undefined undefined undefined
 * ```
 */
export function taskStatusOf(value: unknown): TaskStatus | undefined {
  return protoEnumOf(TASK_STATUS_ENUM, value) ?? undefined;
}

/** Statuses that end a task's run: a task moving to one gets its `completedAt`. */
export const ENDED_STATUSES: readonly TaskStatus[] = ["completed", "failed", "dlq", "cancelled"];

/** What a running task moved back to pending by hand keeps of the attempt it cut short. */
export const INTERRUPTED_BY_HAND = "Interrupted: moved back to pending by hand while running";

/**
 * One failed attempt, or one cut short by a move of the running task back to pending by hand
 * (`INTERRUPTED_BY_HAND`: not a failure, see `failedAttempts`).
 */
export interface TaskError {
  attempt: number;
  message: string;
  /** Epoch ms. */
  at: number;
  workerId: string;
  /** Which run of the task the attempt belonged to (1, then one more per requeue). */
  run?: number;
  /** The error's stack trace as the worker sent it (cut to `limits.errorStackChars`). */
  stack?: string;
  /** Lines the handler logged during the attempt (`ctx.log`; see `limits.attemptLogLines`). */
  logs?: string[];
}

/**
 * The errors[] entries of failed attempts: all but those of attempts a move back to pending by
 * hand cut short (`INTERRUPTED_BY_HAND`), which did not fail. What a count of failures or "the
 * newest failure" reads.
 */
export function failedAttempts(errors: readonly TaskError[]): TaskError[] {
  return errors.filter((error) => error.message !== INTERRUPTED_BY_HAND);
}

/**
 * How every manager's rescuer names itself as a task's worker (`rescuer:<manager id>`): from its
 * takeover of an expired lease until it settles the task, and on the task it settled. Such a name
 * is no worker's: an attempt ended while a rescuer held it names no worker.
 */
export const RESCUER_PREFIX = "rescuer:";

/** A unit of work for one executor. Times are epoch milliseconds; `null` = not yet. */
export interface Task {
  id: string;
  executorName: string;
  data: unknown;
  metadata: Record<string, string>;
  status: TaskStatus;
  priority: number;
  runAt: number;
  /** Attempts started so far (0 before the first run). */
  attempt: number;
  maxAttempts: number;
  /** The first failed attempt and the newest ones, oldest first (see `keepTaskErrors`). */
  errors: TaskError[];
  /** Failed attempts left out of `errors` between the first and the newest kept. */
  errorsDropped: number;
  /**
   * Runs so far: 1, then one more each time the task is requeued (run again by hand, from the
   * DLQ or in bulk), which starts counting attempts again.
   */
  run: number;
  /** The latest progress a worker reported (`ctx.heartbeat(progress)`), JSON; `null` = none. */
  progress: unknown;
  /** Lines the handler logged during the attempt that completed the task (`[]` = none). */
  logs: string[];
  result: unknown;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  completedAt: number | null;
  idempotencyKey: string | null;
  /**
   * Group of the executor's flow control (per-key limits, fair dispatch); absent = none (never
   * `null` in a stored task: see `groupKeyField`).
   */
  groupKey?: string | null;
  /**
   * The worker of the current attempt: holding the lease (`in_progress`), or whose attempt ended
   * the task (`completed`, `failed`, `dlq`, `cancelled` while running; `rescuer:<manager id>` when
   * a manager settled an expired lease). `null` while the task is pending, before its first
   * attempt or after a retry or a requeue: the workers of failed attempts, and of one cut short
   * by a move back to pending by hand, are in `errors[].workerId`.
   */
  workerId: string | null;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  /**
   * W3C trace context every attempt continues (`00-<trace id>-<parent id>-<flags>`, 55
   * characters): the manager's create span when it traces, else the producer's as it came.
   */
  traceparent: string | null;
  /** W3C `tracestate` that travels with `traceparent` (at most 512 characters). */
  tracestate: string | null;
}

/**
 * The attempt errors a task keeps, at most `kept` (≥ 2): the first (often the cause) and the
 * newest `kept − 1`; those between are dropped and counted in `errorsDropped`. The stores apply it
 * where they add an error, so no task grows past `kept` errors however often it fails or is
 * requeued.
 *
 * @example
 * ```ts
 * import { keepTaskErrors } from "./task.ts";
 * const e = (attempt: number) => ({ attempt, message: "boom", at: attempt, workerId: "w" });
 * const kept = keepTaskErrors([e(1), e(2), e(3), e(4)], 0, 3);
 * console.log(kept.errors.map((x) => x.attempt), kept.errorsDropped); // [1, 3, 4] 1
 * ```
 */
export function keepTaskErrors(
  errors: TaskError[],
  errorsDropped: number,
  kept: number,
): { errors: TaskError[]; errorsDropped: number } {
  if (errors.length <= kept) return { errors, errorsDropped };
  return {
    errors: [errors[0], ...errors.slice(errors.length - (kept - 1))],
    errorsDropped: errorsDropped + errors.length - kept,
  };
}

/** A task to insert: everything the caller chooses, already validated. */
export interface NewTask {
  /** Made by `newId(createdAt)`: stores find ranges of creation times by id (`idFloorAt`). */
  id: string;
  executorName: string;
  data: unknown;
  metadata: Record<string, string>;
  priority: number;
  runAt: number;
  maxAttempts: number;
  idempotencyKey: string | null;
  /** See `Task.groupKey`. */
  groupKey?: string | null;
  createdAt: number;
  /** See `Task.traceparent`; absent = none. */
  traceparent?: string | null;
  /** See `Task.tracestate`; absent = none. */
  tracestate?: string | null;
}

/**
 * The task a `NewTask` becomes when it is stored: pending, no attempt yet, run 1. Stores answer
 * an insert with it without reading the row back, and a create's answer echoes it.
 */
export function storedTask(task: NewTask): Task {
  return {
    id: task.id,
    executorName: task.executorName,
    data: task.data ?? null,
    metadata: task.metadata ?? {},
    status: "pending",
    priority: task.priority,
    runAt: task.runAt,
    attempt: 0,
    maxAttempts: task.maxAttempts,
    errors: [],
    errorsDropped: 0,
    run: 1,
    progress: null,
    logs: [],
    result: null,
    createdAt: task.createdAt,
    updatedAt: task.createdAt,
    startedAt: null,
    completedAt: null,
    idempotencyKey: task.idempotencyKey ?? null,
    ...(task.groupKey ? { groupKey: task.groupKey } : {}),
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    traceparent: task.traceparent ?? null,
    tracestate: task.tracestate ?? null,
  };
}

/**
 * The statuses "run again" (the admin page's button, the CLI's `tasks run-again`) sends as the
 * `from` of its status change to `pending`: every status that may move there but a running one,
 * which would be taken from its worker (and run twice). Served as `runAgainFrom` by
 * `/api/v1/meta`, where the page and the CLI read it.
 */
export const RUN_AGAIN_FROM: readonly TaskStatus[] = ["failed", "dlq", "cancelled", "pending"];

const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ["in_progress", "cancelled"],
  in_progress: ["pending", "completed", "failed", "dlq", "cancelled"],
  completed: [],
  failed: ["pending"],
  dlq: ["pending"],
  cancelled: ["pending"],
};

/** Whether a task may move from one status to another. */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A status in words: `in progress`, `in the DLQ`, the others as they are. */
function statusWords(status: TaskStatus): string {
  return status === "in_progress" ? "in progress" : status === "dlq" ? "in the DLQ" : status;
}

/**
 * Why a task does not move from `from` to `to`, in words that say what happened: the one place
 * transition refusals are worded (REST, gRPC and the command line answer it as it is).
 *
 * @example
 * ```ts
 * import { transitionRefusal } from "./task.ts";
 * console.log(transitionRefusal("t1", "cancelled", "cancelled")); // Task "t1" is already cancelled
 * ```
 */
export function transitionRefusal(id: string, from: TaskStatus, to: TaskStatus): string {
  if (from === to) return `Task "${id}" is already ${statusWords(from)}`;
  if (to === "cancelled") {
    return `Cannot cancel task "${id}": it is ${statusWords(from)}, and only pending and ` +
      "in-progress tasks are cancelled";
  }
  return `Cannot move task "${id}" from ${from} to ${to}`;
}

/**
 * Why a status change whose `from` precondition lists the statuses the task must be in is
 * refused: the task is in another one (`status`), and nothing was changed.
 *
 * @example
 * ```ts
 * import { fromRefusal } from "./task.ts";
 * console.log(fromRefusal("t1", "in_progress", ["failed", "dlq"]));
 * // Task "t1" is in_progress, not one of the statuses `from` accepts (failed, dlq): nothing changed
 * ```
 */
export function fromRefusal(id: string, status: TaskStatus, from: readonly TaskStatus[]): string {
  return `Task "${id}" is ${status}, not one of the statuses \`from\` accepts ` +
    `(${from.join(", ")}): nothing changed`;
}
