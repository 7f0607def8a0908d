/**
 * The MongoDB store's documents: their shapes, the mapping between documents and domain values,
 * and the collections' indexes.
 *
 * Collections: `executors`, `tasks` (dead tasks included: dlq.ts), `keys` (keys.ts), `demand`,
 * `serving` (serving.ts), `flow_rates` (flow.ts), `history` (history.ts), `schedules` (schedules.ts), and on FerretDB
 * `locks` (ferretdb.ts).
 *
 * The shapes suit every server the store runs on (FerretDB 1.24 implements no partial indexes and
 * refuses field names starting with `$`): uniqueness of idempotency keys is a unique index on
 * `idemKey`, always present (`executorName/key`, or the task id when there is no key); task data,
 * results, metadata and JSON Schemas are stored as JSON text.
 *
 * `maxConcurrency` across managers: a task in progress of a limited executor holds a slot,
 * `slotKey = executorName/slot/n` with `n < maxConcurrency`, under a unique index (otherwise
 * `slotKey` is the task id). Two claimers can never hold the same slot, so the limit holds
 * without locks; a lowered limit drains as the tasks above it finish.
 */
import type { AbstractCursor, Collection, Filter, IndexDescription, WithId } from "mongodb";
import type { DlqEntry, DlqReason } from "../../domain/dlq.ts";
import type { Executor, WriteConcernLevel } from "../../domain/executor.ts";
import { type FlowControl, flowOf, groupKeyField, NO_FLOW_CONTROL } from "../../domain/flow.ts";
import { MAX_TIME_MS } from "../../domain/limits.ts";
import type { NewTask, Task, TaskError, TaskStatus } from "../../domain/task.ts";
import type { PageTaker, TaskRef, TaskVersion } from "../store.ts";

/** An executor as stored in `executors`. */
export interface ExecutorDoc {
  _id: string;
  name: string;
  enabled: boolean;
  writeConcern: { level: WriteConcernLevel };
  retryPolicy: Executor["retryPolicy"];
  dlqConfig: Executor["dlqConfig"];
  /** JSON text: schemas use `$`-keys, which FerretDB refuses as field names. */
  taskSchema: string;
  timeout: number;
  maxConcurrency: number;
  /** Absent in documents written before flow control. */
  flow?: FlowControl;
  createdAt: number;
  updatedAt: number;
}

/** A task as stored in `tasks`. */
export interface TaskDoc {
  _id: string;
  executorName: string;
  /** JSON text. */
  data: string;
  /** JSON text. */
  metadata: string;
  status: TaskStatus;
  priority: number;
  runAt: number;
  attempt: number;
  maxAttempts: number;
  errors: TaskError[];
  /** Absent in documents written before errors were bounded (= 0). */
  errorsDropped?: number;
  /** Requeues so far (`run` − 1); absent in older documents and before the first (= 0). */
  requeues?: number;
  /** JSON text of the latest progress; absent = none. */
  progress?: string;
  /** Log lines of the attempt that completed the task; absent = none. */
  logs?: string[];
  /** JSON text. */
  result: string;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  completedAt: number | null;
  idempotencyKey: string | null;
  /**
   * Unique: `executorName/idempotencyKey`, or the task id. Executor names have no `/`, so the first
   * one splits the two (PostgreSQL-backed servers refuse NUL in strings).
   */
  idemKey: string;
  /** Unique: a concurrency slot while in progress under a limit, or the task id. */
  slotKey: string;
  /** Flow-control group (`""` = none; absent only until `#fillFlowFields` ran). */
  groupKey?: string;
  /** Unique: a per-key concurrency slot while in progress (flow.ts), or the task id. */
  keySlot?: string;
  workerId: string | null;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  /** Absent in documents written before tasks carried a trace context (= none). */
  traceparent?: string | null;
  tracestate?: string | null;
  /** Marks the tasks one `taskSettle` call changed, to answer per request. */
  settleMark?: string;
  /**
   * The dead-letter facts, present exactly while the status is `dlq`: set by the update that
   * moves the task there, removed by the one that moves it out (dlq.ts).
   */
  dlqReason?: DlqReason;
  /** Epoch ms of the death (see `dlqReason`). */
  deadAt?: number;
  /** The DLQ it went to: `dlq` or the executor's `dlqConfig.queueName` (see `dlqReason`). */
  queueName?: string;
}

/** What one manager's workers can run at once of one executor (see `demandReport`). */
export interface DemandDoc {
  /** `managerId/executorName`. */
  _id: string;
  managerId: string;
  executorName: string;
  capacity: number;
  reportedAt: number;
}

/** JSON text of a value (`undefined` as `null`). */
export function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

/** The value of JSON text (absent as `null`). */
export function parse(text: string | null | undefined): unknown {
  return text === null || text === undefined ? null : JSON.parse(text);
}

/** A stored number (the driver may hand back longs and doubles alike). */
export function num(value: unknown): number {
  return Number(value);
}

/**
 * A stored time (epoch ms). Earlier versions could store a retry's `runAt` past 2^53 ms; such
 * times read as `MAX_TIME_MS`, the latest the API shows.
 */
export function time(value: unknown): number {
  return Math.min(Number(value), MAX_TIME_MS);
}

/** A stored time or `null` (see `time`). */
export function timeOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : time(value);
}

/** The domain executor of a stored one. */
export function toExecutor(doc: ExecutorDoc): Executor {
  return {
    id: doc._id,
    name: doc.name,
    enabled: doc.enabled,
    writeConcern: { level: doc.writeConcern.level },
    retryPolicy: { ...doc.retryPolicy },
    dlqConfig: { ...doc.dlqConfig },
    taskSchema: parse(doc.taskSchema) as Executor["taskSchema"],
    timeout: num(doc.timeout),
    maxConcurrency: num(doc.maxConcurrency),
    ...NO_FLOW_CONTROL,
    ...doc.flow,
    createdAt: num(doc.createdAt),
    updatedAt: num(doc.updatedAt),
  };
}

/** The document that stores an executor. */
export function toExecutorDoc(executor: Executor): ExecutorDoc {
  return {
    _id: executor.id,
    name: executor.name,
    enabled: executor.enabled,
    writeConcern: { level: executor.writeConcern.level },
    retryPolicy: { ...executor.retryPolicy },
    dlqConfig: { ...executor.dlqConfig },
    taskSchema: json(executor.taskSchema),
    timeout: executor.timeout,
    maxConcurrency: executor.maxConcurrency,
    flow: flowOf(executor),
    createdAt: executor.createdAt,
    updatedAt: executor.updatedAt,
  };
}

/** The domain task of a stored one. */
export function toTask(doc: TaskDoc): Task {
  return {
    id: doc._id,
    executorName: doc.executorName,
    data: parse(doc.data),
    metadata: (parse(doc.metadata) ?? {}) as Record<string, string>,
    status: doc.status,
    priority: num(doc.priority),
    runAt: time(doc.runAt),
    attempt: num(doc.attempt),
    maxAttempts: num(doc.maxAttempts),
    errors: (doc.errors ?? []).map((e) => ({
      attempt: num(e.attempt),
      message: e.message,
      at: time(e.at),
      workerId: e.workerId,
      ...(e.run !== undefined ? { run: num(e.run) } : {}),
      ...(e.stack !== undefined ? { stack: e.stack } : {}),
      ...(e.logs !== undefined ? { logs: e.logs } : {}),
    })),
    errorsDropped: num(doc.errorsDropped ?? 0),
    run: num(doc.requeues ?? 0) + 1,
    progress: doc.progress === undefined ? null : parse(doc.progress),
    logs: doc.logs ?? [],
    result: parse(doc.result),
    createdAt: time(doc.createdAt),
    updatedAt: time(doc.updatedAt),
    startedAt: timeOrNull(doc.startedAt),
    completedAt: timeOrNull(doc.completedAt),
    idempotencyKey: doc.idempotencyKey ?? null,
    ...groupKeyField(doc.groupKey || null),
    // Pending: no worker, whatever an earlier version left (it kept the worker of the attempt
    // before a retry or a requeue).
    workerId: doc.status === "pending" ? null : doc.workerId ?? null,
    leaseToken: doc.leaseToken ?? null,
    leaseExpiresAt: timeOrNull(doc.leaseExpiresAt),
    traceparent: doc.traceparent ?? null,
    tracestate: doc.tracestate ?? null,
  };
}

/** The unique `idemKey` of a task (see `TaskDoc.idemKey`). */
export function idemKeyOf(
  task: { id: string; executorName: string; idempotencyKey: string | null },
) {
  return task.idempotencyKey === null ? task.id : `${task.executorName}/${task.idempotencyKey}`;
}

/** The document of a new task: pending, attempt 0, no lease. */
export function toTaskDoc(task: NewTask): TaskDoc {
  return {
    _id: task.id,
    executorName: task.executorName,
    data: json(task.data),
    metadata: json(task.metadata ?? {}),
    status: "pending",
    priority: task.priority,
    runAt: task.runAt,
    attempt: 0,
    maxAttempts: task.maxAttempts,
    errors: [],
    errorsDropped: 0,
    result: json(null),
    createdAt: task.createdAt,
    updatedAt: task.createdAt,
    startedAt: null,
    completedAt: null,
    idempotencyKey: task.idempotencyKey,
    idemKey: idemKeyOf(task),
    slotKey: task.id,
    groupKey: task.groupKey ?? "",
    keySlot: task.id,
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    traceparent: task.traceparent ?? null,
    tracestate: task.tracestate ?? null,
  };
}

/** The API view of a dead task (status `dlq`, so its dead-letter facts are set). */
export function toDlqEntry(doc: TaskDoc): DlqEntry {
  return {
    id: doc._id,
    queueName: doc.queueName!,
    executorName: doc.executorName,
    task: toTask(doc),
    reason: doc.dlqReason!,
    deadAt: time(doc.deadAt),
  };
}

/** The `slotKey` of concurrency slot `slot` (0-based) of an executor. */
export function slotKeyOf(executorName: string, slot: number): string {
  return `${executorName}/slot/${slot}`;
}

/** The indexes of `executors`. */
export const EXECUTOR_INDEXES: IndexDescription[] = [
  { key: { name: 1 }, name: "name", unique: true },
];

/** The indexes of `tasks` (flow.ts adds `FLOW_INDEXES`). */
export const TASK_INDEXES: IndexDescription[] = [
  { key: { executorName: 1, status: 1, priority: -1, runAt: 1 }, name: "claim" },
  { key: { idemKey: 1 }, name: "idempotency", unique: true },
  { key: { slotKey: 1 }, name: "concurrency_slot", unique: true },
  { key: { status: 1, leaseExpiresAt: 1 }, name: "lease_expiry" },
  { key: { status: 1, completedAt: 1 }, name: "finished" },
  { key: { createdAt: 1 }, name: "created" },
  // The DLQ list: dead tasks newest first, of all executors or of one, of any reason or of one.
  { key: { status: 1, deadAt: -1, _id: -1 }, name: "dlq_dead" },
  { key: { status: 1, executorName: 1, deadAt: -1, _id: -1 }, name: "dlq_executor_dead" },
  { key: { status: 1, dlqReason: 1, deadAt: -1, _id: -1 }, name: "dlq_reason_dead" },
  {
    key: { status: 1, executorName: 1, dlqReason: 1, deadAt: -1, _id: -1 },
    name: "dlq_executor_reason_dead",
  },
];

/**
 * Offers the documents of `cursor` to `taker` until it is full, then closes the cursor (the
 * documents past the page are not fetched beyond the batch at hand).
 */
export async function offerAllDocs<D>(
  cursor: AbstractCursor<D>,
  taker: PageTaker<D>,
): Promise<void> {
  try {
    for await (const doc of cursor) if (!taker.offer(doc)) return;
  } finally {
    await cursor.close();
  }
}

/**
 * The document of `collection` named `idOrName`, else the one whose id it is, in one query: how
 * `Store.executorGet` and `ScheduleStore.scheduleGet` find what a client names either way.
 */
export async function namedOrWithId<T extends { _id: string; name: string }>(
  collection: Collection<T>,
  idOrName: string,
): Promise<WithId<T> | null> {
  const filter = { $or: [{ name: idOrName }, { _id: idOrName }] } as Filter<T>;
  const docs = await collection.find(filter).limit(2).toArray();
  return docs.find((doc) => doc.name === idOrName) ?? docs[0] ?? null;
}

/** What a `TaskRef` reads of a task. */
export type RefDoc = Pick<TaskDoc, "_id" | "executorName" | "status" | "requeues">;
/** The projection of a `RefDoc`. */
export const REF_PROJECTION = { executorName: 1, status: 1, requeues: 1 } as const;

/** The `TaskRef` of a `RefDoc`. */
export function toRef(doc: RefDoc): TaskRef {
  return {
    id: doc._id,
    executorName: doc.executorName,
    status: doc.status,
    run: num(doc.requeues ?? 0) + 1,
  };
}

/** The condition that a task is in its `run`th run (`requeues` is absent before the first). */
export function inRun(run: number): Filter<TaskDoc> {
  // `null` matches an absent field too.
  return (run === 1 ? { requeues: { $in: [null, 0] } } : { requeues: run - 1 }) as Filter<TaskDoc>;
}

/**
 * The condition that a task is one of `tasks` as read: its id, and still in the status and run
 * read (one clause per status and run: most tasks are in their first run).
 */
export function asRead(tasks: readonly TaskVersion[]): Filter<TaskDoc> {
  const groups = [...Map.groupBy(tasks, (task) => `${task.status}\n${task.run}`).values()];
  const clauses = groups.map((group): Filter<TaskDoc> => ({
    _id: { $in: group.map((task) => task.id) },
    status: group[0].status,
    ...inRun(group[0].run),
  }));
  return clauses.length === 1 ? clauses[0] : { $or: clauses };
}
