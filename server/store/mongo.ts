/**
 * The MongoDB store: collections `executors`, `tasks`, `dlq`, `keys` and `schedules` (see
 * `mongo_schedules.ts`), every verb atomic without multi-document transactions, so it runs on
 * standalone servers, replica sets and FerretDB.
 *
 * Write concern levels (an executor's level applies to `taskInsert` and `taskSettle`):
 * - `unacknowledged` → `{ w: 0 }` on MongoDB for inserts without idempotency keys. Verbs whose
 *   answer depends on the server (inserts with a key: `insertWriteConcern`; fenced settlements)
 *   need an acknowledgement and use `{ w: 1 }`. FerretDB 1.24 answers `w: 0` messages anyway,
 *   which puts the driver's connection out of step (later replies go to the wrong requests), so
 *   on FerretDB this level is `{ w: 1 }`.
 * - `replica_acknowledged` → `{ w: 1 }`; `journaled` → `{ w: 1, j: true }`; `majority` →
 *   `{ w: "majority" }`. FerretDB 1.24 accepts all three and ignores them: with its SQLite backend
 *   a write is committed to the SQLite file before the reply, so each means "committed locally".
 *
 * Two FerretDB 1.24 gaps shape the schema: partial indexes are not implemented, and field names
 * starting with `$` are refused. Hence (1) uniqueness of idempotency keys is a unique index on
 * `idemKey`, always present: `executorName/key`, or the task id when there is no key; (2)
 * task data, results, metadata, JSON Schemas and DLQ snapshots are stored as JSON text.
 *
 * `maxConcurrency` across managers: a task in progress of a limited executor holds a slot,
 * `slotKey = executorName/slot/n` with `n < maxConcurrency`, under a unique index (otherwise
 * `slotKey` is the task id). Two claimers can never hold the same slot, so the limit holds
 * without locks; a lowered limit drains as the tasks above it finish.
 *
 * FerretDB 1.24 (SQLite backend) also differs in ways that only show under load, each handled
 * where it bites: updates are read-change-write of whole documents with no isolation (two
 * concurrent compare-and-set updates can both pass: see `#locked`, which locks tasks through a
 * `locks` collection there); an `update` command of ~100 statements never returns (see
 * `#bulkWrite`); re-creating an existing unique index drops the connection (see
 * `ensureIndexes`); and no query uses an index. A filter that is exactly `{ _id: value }` goes to
 * SQLite as `WHERE _ferretdb_sjson->'$._id' = ?`, which does not match the expression of
 * FerretDB's own `_id` index (`_ferretdb_sjson->"_id"`), so SQLite scans the table (about 4 µs a
 * row here); every other filter is applied by FerretDB to each document it decodes (about 100 µs
 * a row). Every call costs time in proportion to the collection: FerretDB serves tests, not load.
 */
import {
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type IndexDescription,
  MongoBulkWriteError,
  MongoClient,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type UpdateFilter,
  type WriteConcernSettings,
} from "mongodb";
import { ConflictError, UnavailableError } from "../domain/errors.ts";
import { MongoScheduleStore } from "./mongo_schedules.ts";
import { FLOW_INDEXES, MongoFlowClaim, type RateDoc } from "./mongo_flow.ts";
import {
  type FlowControl,
  flowOf,
  groupKeyField,
  hasFlowControl,
  NO_FLOW_CONTROL,
} from "../domain/flow.ts";
import { MongoTaskSearch } from "./mongo_search.ts";
import type { DlqEntry, DlqReason } from "../domain/dlq.ts";
import type { Executor, WriteConcernLevel } from "../domain/executor.ts";
import { DEFAULT_LIMITS, MAX_TIME_MS } from "../domain/limits.ts";
import {
  ENDED_STATUSES,
  keepTaskErrors,
  type NewTask,
  type Task,
  TASK_STATUSES,
  type TaskError,
  type TaskStatus,
} from "../domain/task.ts";
import type {
  ApiKeyRecord,
  ClaimOptions,
  DemandReport,
  DlqFilter,
  ExecutorTaskStats,
  InsertAndClaim,
  InsertOutcome,
  KeyUse,
  LeaseCheck,
  LeaseRef,
  Page,
  SettleRequest,
  Store,
  TaskFilter,
  TransitionPatch,
  WriteOptions,
} from "./store.ts";
import { answerLeaseChecks, emptyTaskStats, insertWriteConcern } from "./store.ts";
import { HISTORY_INDEXES, type HistoryDoc, MongoHistory } from "./mongo_history.ts";

/** Options of `openMongoStore`. */
export interface MongoStoreOptions {
  /** A MongoDB connection string, e.g. `mongodb://127.0.0.1:27017`. */
  uri: string;
  dbName: string;
  /** How long a call waits for a reachable server before it fails (default 10 s). */
  serverSelectionTimeoutMs?: number;
  /** Most attempt errors a task keeps (default `DEFAULT_LIMITS.errorsKept`; `keepTaskErrors`). */
  errorsKept?: number;
}

interface ExecutorDoc {
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

interface TaskDoc {
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
  /** Unique: a per-key concurrency slot while in progress (`mongo_flow.ts`), or the task id. */
  keySlot?: string;
  workerId: string | null;
  leaseToken: string | null;
  leaseExpiresAt: number | null;
  /** Absent in documents written before tasks carried a trace context (= none). */
  traceparent?: string | null;
  tracestate?: string | null;
  /** Marks the tasks one `taskSettle` call changed, to answer per request. */
  settleMark?: string;
  /** Set while a dead task may still lack its DLQ entry: wall-clock ms of the settlement. */
  dlqPendingSince?: number;
  dlqReason?: DlqReason;
  deadAt?: number;
  queueName?: string;
}

/** What one manager's workers can run at once of one executor (see `demandReport`). */
interface DemandDoc {
  /** `managerId/executorName`. */
  _id: string;
  managerId: string;
  executorName: string;
  capacity: number;
  reportedAt: number;
}

interface KeyDoc {
  _id: string;
  name: string;
  scopes: string[];
  executors: string[] | null;
  secretHash: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface DlqDoc {
  _id: string;
  queueName: string;
  executorName: string;
  reason: DlqReason;
  deadAt: number;
  /** JSON text of the task as it died. */
  task: string;
}

/** Claim rounds when other claimers won some candidates. */
const CLAIM_ROUNDS = 6;
/** Lazy DLQ repair leaves younger settlements alone: they are still writing their entry. */
const DLQ_REPAIR_GRACE_MS = 5000;
const DUPLICATE_KEY = 11000;
/** Statements per `update` command on FerretDB (see `#bulkWrite`). */
const FERRET_BULK_CHUNK = 20;
/** Driver connections to FerretDB: each command may hold two of its 100 SQLite connections. */
const FERRET_POOL_SIZE = 16;
const NAMESPACE_NOT_FOUND = 26;
/** How long a call waits for tasks another call has locked (FerretDB only). */
const LOCK_WAIT_MS = 15_000;
/** A lock this old was left by a crashed call (calls hold locks for milliseconds). */
const LOCK_STALE_MS = 10_000;

function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function parse(text: string | null | undefined): unknown {
  return text === null || text === undefined ? null : JSON.parse(text);
}

function num(value: unknown): number {
  return Number(value);
}

/**
 * A stored time (epoch ms). Earlier versions could store a retry's `runAt` past 2^53 ms; such
 * times read as `MAX_TIME_MS`, the latest the API shows.
 */
function time(value: unknown): number {
  return Math.min(Number(value), MAX_TIME_MS);
}

function timeOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : time(value);
}

function toExecutor(doc: ExecutorDoc): Executor {
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

function toExecutorDoc(executor: Executor): ExecutorDoc {
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

function toKey(doc: KeyDoc): ApiKeyRecord {
  return {
    id: doc._id,
    name: doc.name,
    scopes: [...doc.scopes],
    executors: doc.executors === null || doc.executors === undefined ? null : [...doc.executors],
    secretHash: doc.secretHash,
    createdAt: num(doc.createdAt),
    lastUsedAt: timeOrNull(doc.lastUsedAt),
    revokedAt: timeOrNull(doc.revokedAt),
  };
}

function toTask(doc: TaskDoc): Task {
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
    workerId: doc.workerId ?? null,
    leaseToken: doc.leaseToken ?? null,
    leaseExpiresAt: timeOrNull(doc.leaseExpiresAt),
    traceparent: doc.traceparent ?? null,
    tracestate: doc.tracestate ?? null,
  };
}

function idemKeyOf(task: { id: string; executorName: string; idempotencyKey: string | null }) {
  return task.idempotencyKey === null ? task.id : `${task.executorName}/${task.idempotencyKey}`;
}

function toTaskDoc(task: NewTask): TaskDoc {
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

function toDlqEntry(doc: DlqDoc): DlqEntry {
  return {
    id: doc._id,
    queueName: doc.queueName,
    executorName: doc.executorName,
    // Snapshots written before errors were bounded have no `errorsDropped`.
    // Snapshots written before tasks carried a trace context have none.
    task: {
      errorsDropped: 0,
      traceparent: null,
      tracestate: null,
      ...JSON.parse(doc.task),
    } as Task,
    reason: doc.reason,
    deadAt: time(doc.deadAt),
  };
}

function slotKeyOf(executorName: string, slot: number): string {
  return `${executorName}/slot/${slot}`;
}

function isDuplicateKey(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false;
  // FerretDB reports a unique violation inside an update as an internal error (code 1), with the
  // message of its backend: SQLite's, or PostgreSQL's (SQLSTATE 23505).
  return error.code === DUPLICATE_KEY ||
    /UNIQUE constraint failed|duplicate key value violates unique constraint/.test(error.message);
}

const SOCKET_ERROR_CODES = ["EPIPE", "ECONNRESET", "ECONNREFUSED", "ERR_SOCKET_CLOSED"];

function isConnectionError(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError || error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError || error instanceof MongoTopologyClosedError ||
    (error instanceof MongoError && error.name === "MongoPoolClearedError")
  ) return true;
  // A socket that ends mid-write can surface as the runtime's own error, not the driver's.
  if (!(error instanceof Error) || error instanceof MongoError) return false;
  const code = (error as Error & { code?: unknown }).code;
  return (typeof code === "string" && SOCKET_ERROR_CODES.includes(code)) ||
    /socket has been ended|socket hang up/i.test(error.message);
}

function bulkWriteErrors(error: MongoBulkWriteError): readonly { code: number; index: number }[] {
  const errors = error.writeErrors;
  return (Array.isArray(errors) ? errors : [errors]) as readonly { code: number; index: number }[];
}

/**
 * Creates the indexes a collection lacks. FerretDB 1.24 drops the connection when asked to create
 * a unique index that exists already, so existing names are skipped.
 */
async function ensureIndexes<T extends Document>(
  collection: Collection<T>,
  specs: IndexDescription[],
): Promise<void> {
  let existing: string[] = [];
  try {
    existing = (await collection.indexes()).map((index) => String(index.name));
  } catch (error) {
    // A collection that does not exist yet has no indexes.
    if (!(error instanceof MongoServerError) || error.code !== NAMESPACE_NOT_FOUND) throw error;
  }
  const missing = specs.filter((spec) => !existing.includes(spec.name!));
  if (missing.length > 0) await collection.createIndexes(missing);
}

/** Turns driver errors of an unreachable server into `UnavailableError`; others pass through. */
function translate(error: unknown): unknown {
  if (isConnectionError(error)) {
    return new UnavailableError(
      `MongoDB store is unavailable: ${(error as Error).message || (error as Error).name}`,
    );
  }
  return error;
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function byClaimOrder(a: TaskDoc, b: TaskDoc): number {
  return num(b.priority) - num(a.priority) || num(a.runAt) - num(b.runAt) ||
    (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
}

/** A DLQ page cursor: the last entry's death time and id. */
function encodeDlqCursor(entry: DlqDoc): string {
  return `${num(entry.deadAt)}_${entry._id}`;
}

function decodeDlqCursor(cursor: string): { deadAt: number; id: string } | null {
  const at = cursor.indexOf("_");
  if (at < 1) return null;
  const deadAt = Number(cursor.slice(0, at));
  return Number.isFinite(deadAt) ? { deadAt, id: cursor.slice(at + 1) } : null;
}

class MongoStore implements Store {
  readonly kind = "mongo" as const;
  readonly history: MongoHistory;
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #executors: Collection<ExecutorDoc>;
  readonly #tasks: Collection<TaskDoc>;
  readonly #dlq: Collection<DlqDoc>;
  readonly #locks: Collection<{ _id: string; at: number }>;
  readonly #demand: Collection<DemandDoc>;
  readonly #keys: Collection<KeyDoc>;
  readonly #ferret: boolean;
  readonly #flow: MongoFlowClaim<TaskDoc>;
  readonly #errorsKept: number;
  readonly schedules: MongoScheduleStore;
  readonly search: MongoTaskSearch<TaskDoc>;
  #closed = false;
  #ferretBulkQueue: Promise<void> = Promise.resolve();

  constructor(client: MongoClient, db: Db, options: { ferret: boolean; errorsKept: number }) {
    this.#client = client;
    this.#db = db;
    this.#executors = db.collection<ExecutorDoc>("executors");
    this.#tasks = db.collection<TaskDoc>("tasks");
    this.#dlq = db.collection<DlqDoc>("dlq");
    this.#locks = db.collection<{ _id: string; at: number }>("locks");
    this.#demand = db.collection<DemandDoc>("demand");
    this.#keys = db.collection<KeyDoc>("keys");
    this.#flow = new MongoFlowClaim<TaskDoc>({
      tasks: this.#tasks,
      rates: db.collection<RateDoc>("flow_rates"),
      locked: (ids, wait, work) => this.#locked(ids, wait, work),
      isDuplicateKey,
      readyFilter: (options) => this.#claimFilter(options),
      claimSet: (options, token) => this.#claimSet(options, token),
    });
    const history = db.collection<HistoryDoc>("history");
    this.history = new MongoHistory(history, {
      guard: (work) => this.#guard(work),
      bulkWrite: (ops) => this.#bulkWrite(history, ops),
    });
    this.#ferret = options.ferret;
    this.#errorsKept = options.errorsKept;
    this.search = new MongoTaskSearch(this.#tasks, {
      guard: (work) => this.#guard(work),
      toTask,
    });
    this.schedules = new MongoScheduleStore({
      db,
      guard: (work) => this.#guard(work),
      isDuplicateKey,
      ensureIndexes,
    });
  }

  /** Creates the indexes and writes DLQ entries a crash left unwritten. */
  async init(): Promise<void> {
    await ensureIndexes(this.#executors, [{ key: { name: 1 }, name: "name", unique: true }]);
    await ensureIndexes(this.#tasks, [
      { key: { executorName: 1, status: 1, priority: -1, runAt: 1 }, name: "claim" },
      { key: { idemKey: 1 }, name: "idempotency", unique: true },
      { key: { slotKey: 1 }, name: "concurrency_slot", unique: true },
      { key: { status: 1, leaseExpiresAt: 1 }, name: "lease_expiry" },
      { key: { status: 1, completedAt: 1 }, name: "finished" },
      { key: { createdAt: 1 }, name: "created" },
      { key: { dlqPendingSince: 1 }, name: "dlq_pending", sparse: true },
    ]);
    await this.#fillFlowFields();
    await ensureIndexes(this.#tasks, FLOW_INDEXES);
    await ensureIndexes(this.#dlq, [
      { key: { deadAt: -1, _id: -1 }, name: "dead" },
      { key: { executorName: 1, deadAt: -1 }, name: "executor_dead" },
    ]);
    await ensureIndexes(this.#db.collection("history"), HISTORY_INDEXES);
    await this.schedules.init();
    await this.#repairDlq(0);
  }

  /**
   * Gives every task written before flow control its `keySlot` (the task id), which the unique
   * index `key_slot` needs, and the empty group key; a batch at a time.
   */
  async #fillFlowFields(): Promise<void> {
    for (;;) {
      const docs = await this.#tasks.find({ keySlot: { $exists: false } }, {
        projection: { _id: 1 },
      }).limit(500).toArray();
      if (docs.length === 0) return;
      await this.#bulkWrite(
        this.#tasks,
        docs.map((doc) => ({
          updateOne: {
            filter: { _id: doc._id },
            update: { $set: { keySlot: doc._id, groupKey: "" } },
          },
        })),
      );
    }
  }

  /**
   * Runs `work` on the task ids it may change. On MongoDB every single-document update is atomic,
   * so that is all of them at once. FerretDB 1.24 updates by reading, changing and writing back
   * whole documents with nothing in between, so two concurrent updates of one task can both pass
   * their filter (a task leased twice) or undo each other: there, each task is first locked by
   * inserting `{ _id: taskId }` into `locks` (the unique `_id` makes one inserter win), and
   * unlocked after. `wait` = retry the ids locked by others until done; otherwise skip them.
   */
  async #locked(
    ids: string[],
    wait: boolean,
    work: (ids: string[]) => Promise<void>,
  ): Promise<void> {
    const unique = [...new Set(ids)];
    if (!this.#ferret || unique.length === 0) return await work(unique);
    let remaining = unique;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let round = 0;; round++) {
      const got = await this.#lock(remaining);
      if (got.length > 0) {
        try {
          await work(got);
        } finally {
          await this.#locks.deleteMany({ _id: { $in: got } });
        }
      }
      const done = new Set(got);
      remaining = remaining.filter((id) => !done.has(id));
      if (remaining.length === 0) return;
      // A lock older than any call holds one was left by a call that never finished (its manager
      // died, or the store went away between lock and unlock): break it, or the task it guards
      // would be skipped by every claim for ever.
      await this.#locks.deleteMany({
        _id: { $in: remaining },
        at: { $lt: Date.now() - LOCK_STALE_MS },
      });
      if (!wait) return;
      if (Date.now() > deadline) {
        throw new UnavailableError(
          "MongoDB store is unavailable: tasks stay locked by another call",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 + round * 2, 25)));
    }
  }

  /**
   * An unordered bulk write. FerretDB 1.24 keeps one SQLite connection per statement of an
   * `update` command until the command ends, out of 100 per database: a command of ~100
   * statements, or a few large ones at once, wait for each other for ever. There the batch goes
   * in small commands, one at a time per store.
   */
  async #bulkWrite<T extends Document>(
    collection: Collection<T>,
    ops: AnyBulkWriteOperation<T>[],
    writeConcern?: WriteConcernSettings,
  ): Promise<void> {
    if (ops.length === 0) return;
    if (!this.#ferret) {
      await collection.bulkWrite(ops, { ordered: false, writeConcern });
      return;
    }
    for (let i = 0; i < ops.length; i += FERRET_BULK_CHUNK) {
      const chunk = ops.slice(i, i + FERRET_BULK_CHUNK);
      const run = this.#ferretBulkQueue.then(() =>
        collection.bulkWrite(chunk, { ordered: false, writeConcern })
      );
      this.#ferretBulkQueue = run.then(() => {}, () => {});
      await run;
    }
  }

  /** Locks what it can of `ids`; returns those. */
  async #lock(ids: string[]): Promise<string[]> {
    const at = Date.now();
    try {
      await this.#locks.insertMany(ids.map((_id) => ({ _id, at })), { ordered: false });
      return ids;
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const taken = new Set<number>();
      for (const writeError of bulkWriteErrors(error)) {
        if (writeError.code !== DUPLICATE_KEY) throw error;
        taken.add(writeError.index);
      }
      return ids.filter((_, i) => !taken.has(i));
    }
  }

  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translate(error);
    }
  }

  /** The driver settings for a level; `needAnswer` when the verb must see what happened. */
  #writeConcern(
    level: WriteConcernLevel | undefined,
    needAnswer: boolean,
  ): WriteConcernSettings | undefined {
    switch (level) {
      case undefined:
        return undefined;
      case "unacknowledged":
        return needAnswer || this.#ferret ? { w: 1 } : { w: 0 };
      case "replica_acknowledged":
        return { w: 1 };
      case "journaled":
        return { w: 1, journal: true };
      case "majority":
        return { w: "majority" };
    }
  }

  ping(): Promise<void> {
    return this.#guard(async () => {
      await this.#db.command({ ping: 1 });
    });
  }

  // Executors --------------------------------------------------------------------------------

  executorCreate(executor: Executor): Promise<Executor> {
    return this.#guard(async () => {
      try {
        await this.#executors.insertOne(toExecutorDoc(executor));
      } catch (error) {
        if (isDuplicateKey(error)) {
          throw new ConflictError(`Executor "${executor.name}" already exists`);
        }
        throw error;
      }
      return executor;
    });
  }

  executorGet(idOrName: string): Promise<Executor | null> {
    return this.#guard(async () => {
      const doc = await this.#executors.findOne({ $or: [{ _id: idOrName }, { name: idOrName }] });
      return doc ? toExecutor(doc) : null;
    });
  }

  executorList(): Promise<Executor[]> {
    return this.#guard(async () => {
      const docs = await this.#executors.find({}).sort({ name: 1 }).toArray();
      return docs.map(toExecutor);
    });
  }

  executorUpdate(executor: Executor): Promise<Executor | null> {
    return this.#guard(async () => {
      try {
        const result = await this.#executors.replaceOne(
          { _id: executor.id },
          toExecutorDoc(executor),
        );
        return result.matchedCount === 0 ? null : executor;
      } catch (error) {
        if (isDuplicateKey(error)) {
          throw new ConflictError(`Executor "${executor.name}" already exists`);
        }
        throw error;
      }
    });
  }

  executorDelete(id: string): Promise<boolean> {
    return this.#guard(async () => {
      const result = await this.#executors.deleteOne({ _id: id });
      return result.deletedCount > 0;
    });
  }

  // Tasks ------------------------------------------------------------------------------------

  taskInsert(tasks: NewTask[], options: WriteOptions = {}): Promise<InsertOutcome[]> {
    return this.#guard(async () => {
      if (tasks.length === 0) return [];
      const docs = tasks.map(toTaskDoc);
      const writeConcern = this.#writeConcern(
        insertWriteConcern(tasks, options.writeConcern),
        false,
      );
      const failed = new Set<number>();
      try {
        await this.#tasks.insertMany(docs, { ordered: false, writeConcern });
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError)) throw error;
        for (const writeError of bulkWriteErrors(error)) {
          if (writeError.code !== DUPLICATE_KEY) throw error;
          failed.add(writeError.index);
        }
        if (failed.size === 0) throw error;
      }
      const existing = new Map<string, TaskDoc>();
      if (failed.size > 0) {
        const keys = [...failed].map((i) => docs[i].idemKey);
        for (const doc of await this.#tasks.find({ idemKey: { $in: keys } }).toArray()) {
          existing.set(doc.idemKey, doc);
        }
      }
      return docs.map((doc, i): InsertOutcome => {
        if (!failed.has(i)) return { created: true, task: toTask(doc) };
        const found = existing.get(doc.idemKey);
        if (!found || tasks[i].idempotencyKey === null) {
          throw new ConflictError(`Cannot create task: id "${doc._id}" is taken`);
        }
        return { created: false, task: toTask(found) };
      });
    });
  }

  /** Two calls: MongoDB has no transaction this store may count on. */
  async taskInsertAndClaim(
    tasks: NewTask[],
    claim: ClaimOptions,
    options: WriteOptions = {},
  ): Promise<InsertAndClaim> {
    const outcomes = await this.taskInsert(tasks, options);
    return { outcomes, claimed: await this.taskClaim(claim), onDisk: Promise.resolve() };
  }

  taskGet(id: string): Promise<Task | null> {
    return this.#guard(async () => {
      const doc = await this.#tasks.findOne({ _id: id });
      return doc ? toTask(doc) : null;
    });
  }

  taskList(filter: TaskFilter, page: { cursor?: string; limit: number }): Promise<Page<Task>> {
    return this.#guard(async () => {
      const query: Filter<TaskDoc> = {};
      if (filter.executorName !== undefined) query.executorName = filter.executorName;
      if (filter.status && filter.status.length > 0) query.status = { $in: filter.status };
      if (filter.createdAfter !== undefined || filter.createdBefore !== undefined) {
        query.createdAt = {
          ...(filter.createdAfter !== undefined ? { $gte: filter.createdAfter } : {}),
          ...(filter.createdBefore !== undefined ? { $lt: filter.createdBefore } : {}),
        };
      }
      if (filter.finishedAfter !== undefined || filter.finishedBefore !== undefined) {
        query.completedAt = {
          ...(filter.finishedAfter !== undefined ? { $gte: filter.finishedAfter } : {}),
          ...(filter.finishedBefore !== undefined ? { $lt: filter.finishedBefore } : {}),
        };
      }
      if (page.cursor) query._id = { $lt: page.cursor };
      const docs = await this.#tasks.find(query).sort({ _id: -1 }).limit(page.limit + 1)
        .toArray();
      const more = docs.length > page.limit;
      const items = docs.slice(0, page.limit).map(toTask);
      return { items, nextCursor: more ? items[items.length - 1].id : null };
    });
  }

  taskClaim(options: ClaimOptions): Promise<Task[]> {
    return this.#guard(async () => {
      if (options.limit <= 0) return [];
      const token = crypto.randomUUID();
      const claimedIds: string[] = [];
      let won = 0;
      const flow = options.flow && hasFlowControl(options.flow) ? options.flow : null;
      if (flow) {
        await this.#flow.claim({ ...options, flow }, token, claimedIds);
        won = claimedIds.length;
      }
      for (let round = 0; round < CLAIM_ROUNDS && won < options.limit && !flow; round++) {
        const gained = options.maxConcurrency > 0
          ? await this.#claimRoundLimited(options, token, options.limit - won, claimedIds)
          : await this.#claimRound(options, token, options.limit - won, claimedIds);
        won += gained.won;
        // Every candidate taken, or none left: more rounds would find nothing new.
        if (!gained.contended) break;
      }
      if (won === 0) return [];
      const docs = await this.#tasks.find({ _id: { $in: claimedIds }, leaseToken: token })
        .toArray();
      return docs.sort(byClaimOrder).map(toTask);
    });
  }

  #claimFilter(options: ClaimOptions): Filter<TaskDoc> {
    return {
      executorName: options.executorName,
      status: "pending",
      runAt: { $lte: options.now },
    };
  }

  #claimSet(options: ClaimOptions, token: string): Partial<TaskDoc> {
    return {
      status: "in_progress",
      leaseToken: token,
      leaseExpiresAt: options.now + options.leaseMs,
      workerId: options.owner,
      startedAt: options.now,
      updatedAt: options.now,
      progress: "null",
    };
  }

  async #candidates(options: ClaimOptions, count: number): Promise<string[]> {
    const docs = await this.#tasks.find(this.#claimFilter(options), { projection: { _id: 1 } })
      .sort({ priority: -1, runAt: 1, _id: 1 }).limit(count).toArray();
    return docs.map((d) => d._id);
  }

  /** One claim round without a concurrency limit: one `updateMany` over the candidates. */
  async #claimRound(
    options: ClaimOptions,
    token: string,
    want: number,
    claimedIds: string[],
  ): Promise<{ won: number; contended: boolean }> {
    // With locks (FerretDB), claimers that read the same candidates skip each other's: a wider
    // window leaves each of them some.
    const ids = await this.#candidates(options, this.#ferret ? want * 2 : want);
    if (ids.length === 0) return { won: 0, contended: false };
    let won = 0;
    // The filter re-checks `pending` per document, so a task another claimer took meanwhile is
    // skipped; the token marks what this call won.
    await this.#locked(ids, false, async (free) => {
      const result = await this.#tasks.updateMany(
        { ...this.#claimFilter(options), _id: { $in: free.slice(0, want) } },
        { $set: this.#claimSet(options, token), $inc: { attempt: 1 } },
      );
      won = result.modifiedCount;
    });
    claimedIds.push(...ids);
    return { won, contended: won < want && ids.length >= want };
  }

  /** One claim round under `maxConcurrency`: each task takes a free slot (unique index). */
  async #claimRoundLimited(
    options: ClaimOptions,
    token: string,
    want: number,
    claimedIds: string[],
  ): Promise<{ won: number; contended: boolean }> {
    const running = await this.#tasks.find(
      { executorName: options.executorName, status: "in_progress" },
      { projection: { slotKey: 1 } },
    ).toArray();
    const room = options.maxConcurrency - running.length;
    if (room <= 0) return { won: 0, contended: false };
    const used = new Set(running.map((d) => d.slotKey));
    const free: string[] = [];
    for (let slot = 0; slot < options.maxConcurrency; slot++) {
      const key = slotKeyOf(options.executorName, slot);
      if (!used.has(key)) free.push(key);
    }
    const ids = await this.#candidates(options, Math.min(want, room, free.length));
    if (ids.length === 0) return { won: 0, contended: false };
    // Random slots make concurrent claimers collide less often.
    shuffle(free);
    const set = this.#claimSet(options, token);
    let won = 0;
    await this.#locked(ids, false, async (unlocked) => {
      const results = await Promise.allSettled(unlocked.map((id, i) =>
        this.#tasks.updateOne(
          { ...this.#claimFilter(options), _id: id },
          { $set: { ...set, slotKey: free[i] }, $inc: { attempt: 1 } },
        )
      ));
      for (const result of results) {
        if (result.status === "rejected") {
          // Another claimer holds that slot now.
          if (!isDuplicateKey(result.reason)) throw result.reason;
        } else won += result.value.modifiedCount;
      }
    });
    claimedIds.push(...ids);
    return { won, contended: won < ids.length };
  }

  taskSettle(
    requests: SettleRequest[],
    options: WriteOptions & { now: number },
  ): Promise<boolean[]> {
    return this.#guard(async () => {
      if (requests.length === 0) return [];
      const now = options.now;
      const mark = crypto.randomUUID();
      const writeConcern = this.#writeConcern(options.writeConcern, true);
      const seen = new Set<string>();
      const ops: AnyBulkWriteOperation<TaskDoc>[] = [];
      const first: boolean[] = requests.map((request) => {
        if (seen.has(request.taskId)) return false;
        seen.add(request.taskId);
        return true;
      });
      requests.forEach((request, i) => {
        if (!first[i]) return;
        ops.push({
          updateOne: {
            filter: { _id: request.taskId, status: "in_progress", leaseToken: request.leaseToken },
            update: this.#settleUpdate(request, now, mark),
          },
        });
      });
      await this.#locked([...seen], true, async (unlocked) => {
        const mine = new Set(unlocked);
        const batch = ops.filter((op) =>
          "updateOne" in op && mine.has(String(op.updateOne.filter._id))
        );
        await this.#bulkWrite(this.#tasks, batch, writeConcern);
      });
      // Only this call's updates carry `mark`. (A task claimed and settled again by others before
      // this read would answer false: a refusal, never a double application.)
      const applied = await this.#tasks.find({ _id: { $in: [...seen] }, settleMark: mark })
        .toArray();
      await this.#keepErrors(applied);
      const dead = applied.filter((d) => d.status === "dlq");
      if (dead.length > 0) await this.#writeDlqEntries(dead, writeConcern);
      const appliedIds = new Set(applied.map((d) => d._id));
      return requests.map((request, i) => first[i] && appliedIds.has(request.taskId));
    });
  }

  /**
   * The one place a task's attempt errors are bounded, right after one is added: `keepTaskErrors`
   * to at most `errorsKept`, on `docs` as read back after the update and in the store. The write is
   * fenced by `updatedAt` and the number of errors read: if the task changed meanwhile, the next
   * error added bounds it again (so it holds at most one error more, for that moment).
   */
  async #keepErrors(docs: TaskDoc[]): Promise<void> {
    const long = docs.filter((doc) => (doc.errors?.length ?? 0) > this.#errorsKept);
    if (long.length === 0) return;
    await this.#locked(long.map((doc) => doc._id), true, async () => {
      for (const doc of long) {
        const read = doc.errors.length;
        const kept = keepTaskErrors(doc.errors, num(doc.errorsDropped ?? 0), this.#errorsKept);
        await this.#tasks.updateOne(
          { _id: doc._id, updatedAt: doc.updatedAt, errors: { $size: read } },
          { $set: { errors: kept.errors, errorsDropped: kept.errorsDropped } },
        );
        doc.errors = kept.errors;
        doc.errorsDropped = kept.errorsDropped;
      }
    });
  }

  #settleUpdate(request: SettleRequest, now: number, mark: string): UpdateFilter<TaskDoc> {
    const base = {
      updatedAt: now,
      leaseToken: null,
      leaseExpiresAt: null,
      slotKey: request.taskId,
      keySlot: request.taskId,
      settleMark: mark,
    };
    const s = request.settlement;
    switch (s.kind) {
      case "completed":
        return {
          $set: {
            ...base,
            status: "completed",
            result: json(s.result),
            completedAt: now,
            logs: s.logs ?? [],
          },
        };
      case "retry":
        return {
          $set: { ...base, status: "pending", runAt: s.runAt, completedAt: null },
          ...(s.postponed ? { $inc: { attempt: -1 } } : { $push: { errors: s.error } }),
        };
      case "failed":
        return {
          $set: { ...base, status: "failed", completedAt: now },
          $push: { errors: s.error },
        };
      case "dlq":
        return {
          $set: {
            ...base,
            status: "dlq",
            completedAt: now,
            dlqReason: s.reason,
            deadAt: now,
            queueName: s.queueName,
            dlqPendingSince: Date.now(),
          },
          $push: { errors: s.error },
        };
    }
  }

  /** Upserts the DLQ entries of dead tasks (idempotent), then clears their pending marks. */
  async #writeDlqEntries(dead: TaskDoc[], writeConcern?: WriteConcernSettings): Promise<void> {
    await this.#bulkWrite(
      this.#dlq,
      dead.map((doc): AnyBulkWriteOperation<DlqDoc> => {
        const entry: Omit<DlqDoc, "_id"> = {
          queueName: doc.queueName ?? "dlq",
          executorName: doc.executorName,
          reason: doc.dlqReason ?? "max_attempts",
          deadAt: num(doc.deadAt ?? doc.updatedAt),
          task: JSON.stringify(toTask(doc)),
        };
        return { updateOne: { filter: { _id: doc._id }, update: { $set: entry }, upsert: true } };
      }),
      writeConcern,
    );
    await this.#locked(dead.map((d) => d._id), true, async (ids) => {
      await this.#tasks.updateMany(
        { _id: { $in: ids }, status: "dlq" },
        { $unset: { dlqPendingSince: "" } },
      );
    });
  }

  /**
   * Writes the DLQ entries of dead tasks whose settlement stopped between the task update and
   * the entry (a crash): at open, and lazily before DLQ reads for settlements older than a grace.
   */
  async #repairDlq(graceMs: number): Promise<void> {
    const before = Date.now() - graceMs;
    for (let i = 0; i < 100; i++) {
      const stuck = await this.#tasks.find({
        dlqPendingSince: { $lte: before },
        status: "dlq",
      }).limit(500).toArray();
      if (stuck.length === 0) return;
      await this.#writeDlqEntries(stuck);
      if (stuck.length < 500) return;
    }
  }

  leaseExtend(leases: LeaseRef[], until: number): Promise<boolean[]> {
    return this.#guard(async () => {
      if (leases.length === 0) return [];
      await this.#locked(leases.map((l) => l.taskId), true, async (ids) => {
        const mine = new Set(ids);
        await this.#bulkWrite(
          this.#tasks,
          leases.filter((lease) => mine.has(lease.taskId)).map((lease) => ({
            updateOne: {
              filter: { _id: lease.taskId, status: "in_progress", leaseToken: lease.leaseToken },
              update: {
                $set: lease.progress === undefined
                  ? { leaseExpiresAt: until }
                  : { leaseExpiresAt: until, progress: json(lease.progress) },
              },
            },
          })),
        );
      });
      const docs = await this.#tasks.find(
        { _id: { $in: leases.map((l) => l.taskId) } },
        { projection: { status: 1, leaseToken: 1, leaseExpiresAt: 1 } },
      ).toArray();
      const byId = new Map(docs.map((d) => [d._id, d]));
      return leases.map((lease) => {
        const doc = byId.get(lease.taskId);
        return doc !== undefined && doc.status === "in_progress" &&
          doc.leaseToken === lease.leaseToken && num(doc.leaseExpiresAt) === until;
      });
    });
  }

  demandReport(report: DemandReport): Promise<Record<string, number>> {
    return this.#guard(async () => {
      // Not atomic: for a moment another manager may miss this one's report, and take a larger
      // share until its next report.
      await this.#demand.deleteMany({
        $or: [{ managerId: report.managerId }, { reportedAt: { $lt: report.since } }],
      });
      const docs = Object.entries(report.capacity).map(([executorName, capacity]) => ({
        _id: `${report.managerId}/${executorName}`,
        managerId: report.managerId,
        executorName,
        capacity,
        reportedAt: report.now,
      }));
      if (docs.length > 0) await this.#demand.insertMany(docs);
      const totals = await this.#demand.aggregate<{ _id: string; total: number }>([
        { $match: { reportedAt: { $gte: report.since } } },
        { $group: { _id: "$executorName", total: { $sum: "$capacity" } } },
      ]).toArray();
      return Object.fromEntries(totals.map((t) => [t._id, num(t.total)]));
    });
  }

  leaseCheck(leases: LeaseRef[]): Promise<LeaseCheck[]> {
    return this.#guard(async () => {
      if (leases.length === 0) return [];
      const docs = await this.#tasks.find(
        { _id: { $in: leases.map((lease) => lease.taskId) } },
        { projection: { status: 1, leaseToken: 1 } },
      ).toArray();
      return answerLeaseChecks(
        leases,
        docs.map((doc) => ({
          id: doc._id,
          status: doc.status,
          leaseToken: doc.leaseToken ?? null,
        })),
      );
    });
  }

  taskRescueExpired(
    options: { now: number; limit: number; owner: string; leaseMs: number },
  ): Promise<Task[]> {
    return this.#guard(async () => {
      if (options.limit <= 0) return [];
      const filter: Filter<TaskDoc> = {
        status: "in_progress",
        leaseExpiresAt: { $lt: options.now },
      };
      const ids = (await this.#tasks.find(filter, { projection: { _id: 1 } })
        .sort({ leaseExpiresAt: 1 }).limit(options.limit).toArray()).map((d) => d._id);
      if (ids.length === 0) return [];
      const token = crypto.randomUUID();
      await this.#locked(ids, false, async (free) => {
        await this.#tasks.updateMany({ ...filter, _id: { $in: free } }, {
          $set: {
            leaseToken: token,
            workerId: options.owner,
            leaseExpiresAt: options.now + options.leaseMs,
            updatedAt: options.now,
          },
        });
      });
      const docs = await this.#tasks.find({ _id: { $in: ids }, leaseToken: token }).toArray();
      return docs.sort((a, b) => (a._id < b._id ? -1 : 1)).map(toTask);
    });
  }

  taskTransition(
    id: string,
    change: { from: TaskStatus; to: TaskStatus; now: number; patch?: TransitionPatch },
  ): Promise<Task | null> {
    return this.#guard(async () => {
      const patch = change.patch ?? {};
      const set: Record<string, unknown> = {
        status: change.to,
        updatedAt: change.now,
        leaseToken: null,
        leaseExpiresAt: null,
        slotKey: id,
        keySlot: id,
        completedAt: ENDED_STATUSES.includes(change.to) ? change.now : null,
      };
      if (patch.result !== undefined) set.result = json(patch.result);
      if (patch.runAt !== undefined) set.runAt = patch.runAt;
      if (patch.resetAttempts) set.attempt = 0;
      if (patch.data !== undefined) set.data = json(patch.data);
      const update: UpdateFilter<TaskDoc> = { $set: set as Partial<TaskDoc> };
      if (patch.error) update.$push = { errors: patch.error };
      if (patch.resetAttempts) update.$inc = { requeues: 1 };
      if (change.from === "dlq") {
        update.$unset = { dlqReason: "", deadAt: "", queueName: "", dlqPendingSince: "" };
      }
      let doc: TaskDoc | null = null;
      await this.#locked([id], true, async () => {
        doc = await this.#tasks.findOneAndUpdate({ _id: id, status: change.from }, update, {
          returnDocument: "after",
        });
      });
      if (!doc) return null;
      if (patch.error) await this.#keepErrors([doc]);
      if (change.from === "dlq") await this.#dlq.deleteOne({ _id: id });
      return toTask(doc);
    });
  }

  taskNextRunAt(executorNames: string[], now: number): Promise<number | null> {
    return this.#guard(async () => {
      if (executorNames.length === 0) return null;
      const [doc] = await this.#tasks.find(
        { executorName: { $in: executorNames }, status: "pending", runAt: { $gt: now } },
        { projection: { runAt: 1 } },
      ).sort({ runAt: 1 }).limit(1).toArray();
      return doc ? num(doc.runAt) : null;
    });
  }

  taskStats(options: { now: number }): Promise<ExecutorTaskStats[]> {
    return this.#guard(async () => {
      const [counts, dlqCounts] = await Promise.all([
        this.#tasks.aggregate<{ _id: { e: string; s: TaskStatus }; n: number }>([
          { $group: { _id: { e: "$executorName", s: "$status" }, n: { $sum: 1 } } },
        ]).toArray(),
        this.#dlq.aggregate<{ _id: string; n: number }>([
          { $group: { _id: "$executorName", n: { $sum: 1 } } },
        ]).toArray(),
      ]);
      const stats = new Map<string, ExecutorTaskStats>();
      const entry = (name: string) => {
        let s = stats.get(name);
        if (!s) {
          s = emptyTaskStats(name);
          stats.set(name, s);
        }
        return s;
      };
      for (const row of counts) {
        if (typeof row._id?.e !== "string" || !TASK_STATUSES.includes(row._id.s)) continue;
        entry(row._id.e).byStatus[row._id.s] = num(row.n);
      }
      for (const row of dlqCounts) {
        if (typeof row._id === "string") entry(row._id).dlqSize = num(row.n);
      }
      // FerretDB 1.24 has no `$min` accumulator: one indexed lookup per executor instead.
      await Promise.all(
        [...stats.values()].filter((s) => s.byStatus.pending > 0).map(async (s) => {
          const [doc] = await this.#tasks.find(
            { executorName: s.executorName, status: "pending", runAt: { $lte: options.now } },
            { projection: { runAt: 1 } },
          ).sort({ runAt: 1 }).limit(1).toArray();
          s.oldestPendingRunAt = doc ? num(doc.runAt) : null;
        }),
      );
      return [...stats.values()].sort((a, b) => a.executorName.localeCompare(b.executorName));
    });
  }

  taskPurgeFinished(options: { before: number; limit: number }): Promise<number> {
    return this.#guard(async () => {
      if (options.limit <= 0) return 0;
      const filter: Filter<TaskDoc> = {
        status: { $in: ["completed", "cancelled"] },
        completedAt: { $lt: options.before },
      };
      const ids = (await this.#tasks.find(filter, { projection: { _id: 1 } })
        .limit(options.limit).toArray()).map((d) => d._id);
      if (ids.length === 0) return 0;
      let deleted = 0;
      await this.#locked(ids, false, async (free) => {
        deleted = (await this.#tasks.deleteMany({ ...filter, _id: { $in: free } })).deletedCount;
      });
      return deleted;
    });
  }

  taskDeleteMany(ids: string[], options: { statuses: TaskStatus[] }): Promise<number> {
    return this.#guard(async () => {
      const statuses = options.statuses.filter((status) => status !== "dlq");
      if (ids.length === 0 || statuses.length === 0) return 0;
      let deleted = 0;
      await this.#locked(ids, true, async (free) => {
        deleted += (await this.#tasks.deleteMany({ _id: { $in: free }, status: { $in: statuses } }))
          .deletedCount;
      });
      return deleted;
    });
  }

  taskDeleteByExecutor(executorName: string): Promise<number> {
    return this.#guard(async () => {
      // Tasks first: an entry left by a crash here still lists, and deletes, later.
      const result = await this.#tasks.deleteMany({ executorName });
      await this.#dlq.deleteMany({ executorName });
      return result.deletedCount;
    });
  }

  // Dead letter queue ------------------------------------------------------------------------

  #dlqQuery(filter: DlqFilter): Filter<DlqDoc> {
    const query: Filter<DlqDoc> = {};
    if (filter.executorName !== undefined) query.executorName = filter.executorName;
    if (filter.reason !== undefined) query.reason = filter.reason;
    if (filter.deadBefore !== undefined) query.deadAt = { $lt: filter.deadBefore };
    return query;
  }

  dlqList(filter: DlqFilter, page: { cursor?: string; limit: number }): Promise<Page<DlqEntry>> {
    return this.#guard(async () => {
      await this.#repairDlq(DLQ_REPAIR_GRACE_MS);
      const query = this.#dlqQuery(filter);
      const after = page.cursor ? decodeDlqCursor(page.cursor) : null;
      const paged: Filter<DlqDoc> = after
        ? {
          $and: [query, {
            $or: [
              { deadAt: { $lt: after.deadAt } },
              { deadAt: after.deadAt, _id: { $lt: after.id } },
            ],
          }],
        }
        : query;
      const docs = await this.#dlq.find(paged).sort({ deadAt: -1, _id: -1 })
        .limit(page.limit + 1).toArray();
      const more = docs.length > page.limit;
      const kept = docs.slice(0, page.limit);
      return {
        items: kept.map(toDlqEntry),
        nextCursor: more ? encodeDlqCursor(kept[kept.length - 1]) : null,
      };
    });
  }

  dlqGet(id: string): Promise<DlqEntry | null> {
    return this.#guard(async () => {
      let doc = await this.#dlq.findOne({ _id: id });
      if (!doc) {
        // A crash may have left the task dead without its entry.
        const task = await this.#tasks.findOne({ _id: id, status: "dlq" });
        if (task?.dlqPendingSince === undefined) return null;
        await this.#writeDlqEntries([task]);
        doc = await this.#dlq.findOne({ _id: id });
      }
      return doc ? toDlqEntry(doc) : null;
    });
  }

  dlqRequeue(id: string, options: { now: number; data?: unknown }): Promise<Task | null> {
    return this.#guard(async () => {
      if (!(await this.dlqGet(id))) return null;
      const set: Partial<TaskDoc> = {
        status: "pending",
        attempt: 0,
        runAt: options.now,
        updatedAt: options.now,
        leaseToken: null,
        leaseExpiresAt: null,
        completedAt: null,
        slotKey: id,
        keySlot: id,
      };
      if (options.data !== undefined) set.data = json(options.data);
      let doc: TaskDoc | null = null;
      await this.#locked([id], true, async () => {
        doc = await this.#tasks.findOneAndUpdate({ _id: id, status: "dlq" }, {
          $set: set,
          $inc: { requeues: 1 },
          $unset: { dlqReason: "", deadAt: "", queueName: "", dlqPendingSince: "" },
        }, { returnDocument: "after" });
      });
      // Without a dead task the entry is stale either way: it goes.
      await this.#dlq.deleteOne({ _id: id });
      return doc ? toTask(doc) : null;
    });
  }

  dlqDelete(id: string): Promise<boolean> {
    return this.#guard(async () => {
      if (!(await this.dlqGet(id))) return false;
      // The task first: a crash in between leaves an entry that can be deleted again.
      await this.#locked([id], true, async () => {
        await this.#tasks.deleteOne({ _id: id, status: "dlq" });
      });
      const result = await this.#dlq.deleteOne({ _id: id });
      return result.deletedCount > 0;
    });
  }

  dlqPurge(filter: DlqFilter): Promise<number> {
    return this.#guard(async () => {
      await this.#repairDlq(DLQ_REPAIR_GRACE_MS);
      const query = this.#dlqQuery(filter);
      let purged = 0;
      for (;;) {
        const ids = (await this.#dlq.find(query, { projection: { _id: 1 } }).limit(1000)
          .toArray()).map((d) => d._id);
        if (ids.length === 0) return purged;
        await this.#locked(ids, true, async (locked) => {
          await this.#tasks.deleteMany({ _id: { $in: locked }, status: "dlq" });
        });
        const result = await this.#dlq.deleteMany({ _id: { $in: ids } });
        purged += result.deletedCount;
      }
    });
  }

  // API keys -----------------------------------------------------------------------------------

  keyCreate(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    return this.#guard(async () => {
      const { id, ...rest } = key;
      try {
        await this.#keys.insertOne({ _id: id, ...structuredClone(rest) });
      } catch (error) {
        if (isDuplicateKey(error)) throw new ConflictError(`Key "${id}" already exists`);
        throw error;
      }
      return structuredClone(key);
    });
  }

  keyGet(id: string): Promise<ApiKeyRecord | null> {
    return this.#guard(async () => {
      const doc = await this.#keys.findOne({ _id: id });
      return doc ? toKey(doc) : null;
    });
  }

  keyList(): Promise<ApiKeyRecord[]> {
    return this.#guard(async () => {
      const docs = await this.#keys.find({}).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map(toKey);
    });
  }

  keyRevoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    return this.#guard(async () => {
      await this.#keys.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: now } });
      const doc = await this.#keys.findOne({ _id: id });
      return doc ? toKey(doc) : null;
    });
  }

  keyTouch(uses: KeyUse[]): Promise<void> {
    return this.#guard(async () => {
      await this.#bulkWrite(
        this.#keys,
        uses.map((use) => ({
          updateOne: {
            filter: { _id: use.id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: use.at } }] },
            update: { $set: { lastUsedAt: use.at } },
          },
        })),
      );
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close();
  }
}

/**
 * Connects to MongoDB (or FerretDB), creates the indexes and repairs DLQ entries a crash left
 * unwritten. The driver reconnects on its own after an outage; calls made while the server is
 * away fail with `UnavailableError`.
 *
 * @example
 * ```ts ignore
 * import { openMongoStore } from "./mongo.ts";
 * await using store = await openMongoStore({ uri: "mongodb://127.0.0.1:27017", dbName: "tasks" });
 * await store.ping();
 * ```
 * @throws {UnavailableError} when no server answers within the selection timeout.
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const connect = async (maxPoolSize?: number) => {
    const client = new MongoClient(options.uri, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
      ignoreUndefined: true,
      ...(maxPoolSize ? { maxPoolSize } : {}),
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      throw translate(error);
    }
  };
  let client = await connect();
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    const ferret = typeof info.ferretdbVersion === "string";
    if (ferret) {
      // See `#bulkWrite`: fewer commands at once keep FerretDB's connection pool from running dry.
      await client.close();
      client = await connect(FERRET_POOL_SIZE);
    }
    const store = new MongoStore(client, client.db(options.dbName), {
      ferret,
      errorsKept: options.errorsKept ?? DEFAULT_LIMITS.errorsKept,
    });
    await store.init();
    return store;
  } catch (error) {
    await client.close().catch(() => {});
    throw translate(error);
  }
}
