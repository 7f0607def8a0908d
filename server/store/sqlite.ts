/**
 * The embedded store: every verb of the store contract on the built-in `node:sqlite`, in one file
 * that several manager processes may share (WAL mode, each multi-statement verb in BEGIN IMMEDIATE).
 *
 * Write concern on the embedded store:
 *
 * | level                    | the promise resolves once                                         |
 * | ------------------------ | ----------------------------------------------------------------- |
 * | `journaled`, `majority`  | the transaction is committed and the WAL file is synced to disk   |
 * |                          | (`fdatasync`, after the current turn of the event loop; one sync  |
 * |                          | serves every commit made before it started)                       |
 * | `replica_acknowledged`   | the transaction is committed to the WAL, which is synced at       |
 * |                          | checkpoints: safe if the process dies, not if the machine does    |
 * | `unacknowledged`         | the rows are queued; they are committed together a moment later   |
 * |                          | (group commit), and a crash in between loses them. Every other    |
 * |                          | verb of the same store commits the queue first, so the process    |
 * |                          | reads its own writes. Lease tokens are checked when a settlement  |
 * |                          | is queued; if another process wins the race meanwhile, it is      |
 * |                          | dropped at commit. Inserts with an idempotency key are never      |
 * |                          | queued: they commit before the answer (`insertWriteConcern`).     |
 *
 * One manager has one SQLite file; its single machine has no replicas, so `majority` means the
 * same as `journaled`. Every transaction commits with `synchronous=NORMAL`; the levels that need
 * the disk wait for the WAL sync after the commit. Claims, lease extensions and rescues never wait
 * for it: if the machine loses them, the task is simply pending again (at-least-once delivery is
 * kept).
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { SqliteTaskSearch } from "./sqlite_search.ts";
import type { TaskSearchStore } from "./task_search.ts";
import { setImmediate } from "node:timers";
import type { DlqEntry } from "../domain/dlq.ts";
import { ConflictError, InvalidArgumentError, UnavailableError } from "../domain/errors.ts";
import type { Executor, WriteConcernLevel } from "../domain/executor.ts";
import { DEFAULT_LIMITS, MAX_TIME_MS } from "../domain/limits.ts";
import {
  ENDED_STATUSES,
  keepTaskErrors,
  type NewTask,
  type Task,
  TASK_STATUSES,
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
import type { HistoryStore } from "./history.ts";
import { HISTORY_SCHEMA, SqliteHistory } from "./sqlite_history.ts";
import type { ScheduleStore } from "./schedules.ts";
import { SCHEDULES_SCHEMA, SqliteScheduleStore } from "./sqlite_schedules.ts";
import { FLOW_COLUMNS, FLOW_SCHEMA, keyTasksOf, SqliteFlowClaim } from "./sqlite_flow.ts";
import { flowOf, groupKeyField, hasFlowControl, isKeyed, NO_FLOW_CONTROL } from "../domain/flow.ts";
import { log } from "../log.ts";

/** How to open the embedded store. */
export interface SqliteStoreOptions {
  /** File path of the database, or `":memory:"`. Missing parent folders are created. */
  path: string;
  /** How long a write waits for another process's transaction before failing (default 5 s). */
  busyTimeoutMs?: number;
  /** How long unacknowledged writes wait to be committed together (default 2 ms). */
  groupCommitDelayMs?: number;
  /** Most attempt errors a task keeps (default `DEFAULT_LIMITS.errorsKept`; `keepTaskErrors`). */
  errorsKept?: number;
}

type Row = Record<string, unknown>;
type Params = Record<string, string | number | null>;

/** Most queued unacknowledged rows before they are committed without waiting. */
const MAX_QUEUED = 5000;
const SCHEMA_VERSION = 7;

/**
 * Version 3: earlier versions could store a retry's `run_at` past 2^53 ms, which node:sqlite
 * refuses to read (every read of the row threw). Such times become `MAX_TIME_MS`.
 */
const CLAMP_TIMES = `
UPDATE tasks SET run_at = min(run_at, ${MAX_TIME_MS}), created_at = min(created_at, ${MAX_TIME_MS}),
  updated_at = min(updated_at, ${MAX_TIME_MS}), started_at = min(started_at, ${MAX_TIME_MS}),
  completed_at = min(completed_at, ${MAX_TIME_MS}),
  lease_expires_at = min(lease_expires_at, ${MAX_TIME_MS})
WHERE max(run_at, created_at, updated_at, coalesce(started_at, 0), coalesce(completed_at, 0),
  coalesce(lease_expires_at, 0)) > ${MAX_TIME_MS};
UPDATE dlq SET dead_at = ${MAX_TIME_MS} WHERE dead_at > ${MAX_TIME_MS};
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS executors (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  enabled INTEGER NOT NULL,
  write_concern TEXT NOT NULL,
  retry_policy TEXT NOT NULL,
  dlq_config TEXT NOT NULL,
  task_schema TEXT NOT NULL,
  timeout INTEGER NOT NULL,
  max_concurrency INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  executor_name TEXT NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT NOT NULL,
  status TEXT NOT NULL,
  priority INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  errors TEXT NOT NULL,
  errors_dropped INTEGER NOT NULL DEFAULT 0,
  result TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER,
  idempotency_key TEXT,
  worker_id TEXT,
  lease_token TEXT,
  lease_expires_at INTEGER,
  traceparent TEXT,
  tracestate TEXT
);
-- Pending tasks in claim order: the claim, the next delayed run_at and the oldest ready task.
CREATE INDEX IF NOT EXISTS tasks_pending
  ON tasks (executor_name, priority DESC, run_at, id) WHERE status = 'pending';
-- Counts per executor and status, and lists by executor or status (newest first per pair).
CREATE INDEX IF NOT EXISTS tasks_executor_status ON tasks (executor_name, status, id);
CREATE INDEX IF NOT EXISTS tasks_lease_expiry
  ON tasks (lease_expires_at) WHERE status = 'in_progress';
CREATE INDEX IF NOT EXISTS tasks_finished
  ON tasks (completed_at) WHERE status IN ('completed', 'cancelled');
CREATE UNIQUE INDEX IF NOT EXISTS tasks_idempotency
  ON tasks (executor_name, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS dlq (
  id TEXT PRIMARY KEY,
  queue_name TEXT NOT NULL,
  executor_name TEXT NOT NULL,
  reason TEXT NOT NULL,
  dead_at INTEGER NOT NULL,
  task TEXT NOT NULL
);
-- What each manager's workers can run at once, per executor (see demandReport).
CREATE TABLE IF NOT EXISTS demand (
  manager_id TEXT NOT NULL,
  executor_name TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  reported_at INTEGER NOT NULL,
  PRIMARY KEY (manager_id, executor_name)
);
-- API keys: the secret's SHA-256 only; scopes and executors as JSON arrays (executors may be null).
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,
  executors TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS dlq_dead_at ON dlq (dead_at, id);
CREATE INDEX IF NOT EXISTS dlq_executor_dead_at ON dlq (executor_name, dead_at, id);
-- Indexes of earlier versions: each status change had to update them too.
DROP INDEX IF EXISTS tasks_claim;
DROP INDEX IF EXISTS tasks_pending_run_at;
DROP INDEX IF EXISTS tasks_status_id;
DROP INDEX IF EXISTS tasks_executor_id;
`;

/** The task row as one JSON object (the DLQ snapshot), built inside SQLite without parsing. */
const TASK_JSON = `json_object(
  'id', id, 'executorName', executor_name, 'data', json(data), 'metadata', json(metadata),
  'status', status, 'priority', priority, 'runAt', run_at, 'attempt', attempt,
  'maxAttempts', max_attempts, 'errors', json(errors), 'errorsDropped', errors_dropped,
  'run', run, 'progress', json(progress), 'logs', json(logs),
  'result', json(result),
  'createdAt', created_at, 'updatedAt', updated_at, 'startedAt', started_at,
  'completedAt', completed_at, 'idempotencyKey', idempotency_key, 'workerId', worker_id,
  'leaseToken', lease_token, 'leaseExpiresAt', lease_expires_at,
  'traceparent', traceparent, 'tracestate', tracestate)`;

/** A fresh lease token per row (SQLite evaluates it once per updated row). */
const NEW_TOKEN = "lower(hex(randomblob(12)))";

const CLEAR_LEASE = "lease_token = NULL, lease_expires_at = NULL";
/** The ready tasks of `$executor`, as the claim selects them. */
const CLAIM_READY = "executor_name = $executor AND status = 'pending' AND run_at <= $now";
const LEASED = "id = $id AND status = 'in_progress' AND lease_token = $token";

/**
 * The earliest pending `run_at` of executor `$executor` that is above `$after`, read from the claim
 * index (priority first): one seek per distinct priority, walked from the highest down.
 */
const MIN_PENDING_RUN_AT = `
WITH RECURSIVE levels(priority) AS (
  SELECT max(priority) FROM tasks WHERE executor_name = $executor AND status = 'pending'
  UNION ALL
  SELECT (SELECT max(priority) FROM tasks
          WHERE executor_name = $executor AND status = 'pending' AND priority < levels.priority)
  FROM levels WHERE levels.priority IS NOT NULL
)
SELECT min((SELECT min(run_at) FROM tasks
            WHERE executor_name = $executor AND status = 'pending'
              AND priority = levels.priority AND run_at > $after)) AS value
FROM levels WHERE levels.priority IS NOT NULL`;

/** JSON text of any value; `undefined` (and what JSON cannot hold) is stored as `null`. */
function json(value: unknown): string {
  return JSON.stringify(value ?? null) ?? "null";
}

/** Parses stored JSON text; the commonest values of a fresh task skip the parser. */
function parseJson<T>(text: string): T {
  switch (text) {
    case "null":
      return null as T;
    case "[]":
      return [] as T;
    case "{}":
      return {} as T;
    default:
      return JSON.parse(text);
  }
}

/** Whether a write at `level` is answered only once it is on disk (the default is). */
function needsDisk(level: WriteConcernLevel | undefined): boolean {
  return level !== "replica_acknowledged" && level !== "unacknowledged";
}

/** The WAL file of a database path; `null` for an in-memory database. */
function walPathOf(path: string): string | null {
  if (path === ":memory:" || /[?&]mode=memory\b/.test(path)) return null;
  const file = path.startsWith("file:") ? path.slice("file:".length).split("?")[0] : path;
  return `${file}-wal`;
}

function rowToTask(row: Row): Task {
  return {
    id: row.id as string,
    executorName: row.executor_name as string,
    data: parseJson(row.data as string),
    metadata: parseJson(row.metadata as string),
    status: row.status as TaskStatus,
    priority: row.priority as number,
    runAt: row.run_at as number,
    attempt: row.attempt as number,
    maxAttempts: row.max_attempts as number,
    errors: parseJson(row.errors as string),
    errorsDropped: row.errors_dropped as number,
    run: row.run as number,
    progress: parseJson(row.progress as string),
    logs: parseJson(row.logs as string),
    result: parseJson(row.result as string),
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    startedAt: row.started_at as number | null,
    completedAt: row.completed_at as number | null,
    idempotencyKey: row.idempotency_key as string | null,
    ...groupKeyField(row.group_key as string | null),
    workerId: row.worker_id as string | null,
    leaseToken: row.lease_token as string | null,
    leaseExpiresAt: row.lease_expires_at as number | null,
    traceparent: (row.traceparent ?? null) as string | null,
    tracestate: (row.tracestate ?? null) as string | null,
  };
}

function newTaskToTask(task: NewTask): Task {
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
    ...groupKeyField(task.groupKey ?? null),
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    traceparent: task.traceparent ?? null,
    tracestate: task.tracestate ?? null,
  };
}

function rowToExecutor(row: Row): Executor {
  return {
    id: row.id as string,
    name: row.name as string,
    enabled: row.enabled === 1,
    writeConcern: { level: row.write_concern as WriteConcernLevel },
    retryPolicy: JSON.parse(row.retry_policy as string),
    dlqConfig: JSON.parse(row.dlq_config as string),
    taskSchema: JSON.parse(row.task_schema as string),
    timeout: row.timeout as number,
    maxConcurrency: row.max_concurrency as number,
    ...NO_FLOW_CONTROL,
    ...(row.flow ? JSON.parse(row.flow as string) : {}),
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  };
}

function executorParams(executor: Executor): Params {
  return {
    id: executor.id,
    name: executor.name,
    enabled: executor.enabled ? 1 : 0,
    write_concern: executor.writeConcern.level,
    retry_policy: json(executor.retryPolicy),
    dlq_config: json(executor.dlqConfig),
    task_schema: json(executor.taskSchema),
    timeout: executor.timeout,
    max_concurrency: executor.maxConcurrency,
    flow: json(flowOf(executor)),
    created_at: executor.createdAt,
    updated_at: executor.updatedAt,
  };
}

function rowToDlqEntry(row: Row): DlqEntry {
  return {
    id: row.id as string,
    queueName: row.queue_name as string,
    executorName: row.executor_name as string,
    reason: row.reason as DlqEntry["reason"],
    deadAt: row.dead_at as number,
    // Snapshots written before errors were bounded have no `errorsDropped`.
    task: {
      errorsDropped: 0,
      traceparent: null,
      tracestate: null,
      ...JSON.parse(row.task as string),
    },
  };
}

function rowToKey(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    scopes: JSON.parse(row.scopes as string),
    executors: JSON.parse(row.executors as string),
    secretHash: row.secret_hash as string,
    createdAt: row.created_at as number,
    lastUsedAt: row.last_used_at as number | null,
    revokedAt: row.revoked_at as number | null,
  };
}

/** Claims come back in claim order: priority first, then the oldest `runAt`, then the id. */
function claimOrder(a: Task, b: Task): number {
  return b.priority - a.priority || a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { errcode?: number })?.errcode;
  return code === 2067 || code === 1555; // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: number })?.errcode;
  return code !== undefined && (code & 0xff) === 5; // SQLITE_BUSY and its extended codes
}

/**
 * The embedded store. Open it with `openSqliteStore` (or `SqliteStore.open`).
 *
 * @example
 * ```ts
 * import { openSqliteStore } from "./sqlite.ts";
 * await using store = await openSqliteStore({ path: ":memory:" });
 * await store.ping();
 * ```
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly #db: DatabaseSync;
  readonly #groupCommitDelayMs: number;
  readonly #statements = new Map<string, StatementSync>();
  readonly #walPath: string | null;
  #wal: Deno.FsFile | null = null;
  /** The WAL sync that has not started yet: commits made until it starts share it. */
  #nextSync: Promise<void> | null = null;
  #lastSync: Promise<void> = Promise.resolve();
  #closed = false;

  // Unacknowledged writes waiting for their group commit.
  #queuedInserts: NewTask[] = [];
  #queuedSettles: { request: SettleRequest; now: number }[] = [];
  #queuedSettleIds = new Set<string>();
  #flushTimer: number | null = null;
  readonly #flowClaim = new SqliteFlowClaim();

  readonly #errorsKept: number;
  readonly history: HistoryStore;
  readonly schedules: ScheduleStore;
  readonly search: TaskSearchStore;

  private constructor(db: DatabaseSync, options: SqliteStoreOptions) {
    this.#errorsKept = options.errorsKept ?? DEFAULT_LIMITS.errorsKept;
    this.schedules = new SqliteScheduleStore({
      write: (fn) => this.#write(fn),
      read: (fn) => this.#read(fn),
      stmt: (sql) => this.#stmt(sql),
      onDisk: () => this.#onDisk(),
    });
    this.#db = db;
    this.history = new SqliteHistory({
      write: (fn) => this.#write(fn),
      read: (fn) => this.#read(fn),
      stmt: (sql) => this.#stmt(sql),
    });
    this.search = new SqliteTaskSearch(db, {
      write: (fn) => this.#write(fn),
      read: (fn) => this.#read(fn),
      stmt: (sql) => this.#stmt(sql),
    }, rowToTask);
    this.#groupCommitDelayMs = options.groupCommitDelayMs ?? 2;
    this.#walPath = walPathOf(options.path);
  }

  /** Opens (and creates when needed) the database at `options.path`. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    if (options.path !== ":memory:" && !options.path.startsWith("file:")) {
      const slash = Math.max(options.path.lastIndexOf("/"), options.path.lastIndexOf("\\"));
      if (slash > 0) Deno.mkdirSync(options.path.slice(0, slash), { recursive: true });
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(options.path);
    } catch (error) {
      throw new UnavailableError(
        `Cannot open SQLite database "${options.path}": ${(error as Error).message}`,
      );
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("BEGIN IMMEDIATE");
      try {
        const { user_version: version } = db.prepare("PRAGMA user_version").get() as Row;
        db.exec(SCHEMA);
        db.exec(HISTORY_SCHEMA);
        db.exec(SCHEDULES_SCHEMA);
        if ((version as number) < 3) db.exec(CLAMP_TIMES);
        const columns = db.prepare("SELECT name FROM pragma_table_info('tasks')").all();
        if (!columns.some((column) => column.name === "errors_dropped")) {
          // Version 4: attempt errors are bounded (`keepTaskErrors`), those dropped counted.
          db.exec("ALTER TABLE tasks ADD COLUMN errors_dropped INTEGER NOT NULL DEFAULT 0");
        }
        if (!columns.some((column) => column.name === "traceparent")) {
          // Version 5: the W3C trace context a task's attempts continue.
          db.exec("ALTER TABLE tasks ADD COLUMN traceparent TEXT");
          db.exec("ALTER TABLE tasks ADD COLUMN tracestate TEXT");
        }
        // Version 6: flow control (group keys, rate buckets; sqlite_flow.ts).
        for (const { table, column, sql } of FLOW_COLUMNS) {
          const names = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all();
          if (!names.some((row) => row.name === column)) db.exec(sql);
        }
        db.exec(FLOW_SCHEMA);
        if (!columns.some((column) => column.name === "run")) {
          // Version 7: requeues counted (`run`), progress and the completed attempt's log lines.
          db.exec("ALTER TABLE tasks ADD COLUMN run INTEGER NOT NULL DEFAULT 1");
          db.exec("ALTER TABLE tasks ADD COLUMN progress TEXT NOT NULL DEFAULT 'null'");
          db.exec("ALTER TABLE tasks ADD COLUMN logs TEXT NOT NULL DEFAULT '[]'");
        }
        db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        db.exec("COMMIT");
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    } catch (error) {
      db.close();
      throw new UnavailableError(
        `Cannot prepare SQLite database "${options.path}": ${(error as Error).message}`,
      );
    }
    return new SqliteStore(db, options);
  }

  // Plumbing -----------------------------------------------------------------------------------

  /** A cached prepared statement. */
  #stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #open(): void {
    if (this.#closed) throw new UnavailableError("The SQLite store is closed");
  }

  /**
   * Resolves once every transaction committed before the call is on disk: an `fdatasync` of the
   * WAL file. Calls made before a sync starts share it (a group commit); a call made while one
   * runs waits for the next. (The sync could run on another thread, but handing it there and
   * back cost more than the sync itself: 0.2 ms more per acknowledged create.)
   */
  #onDisk(): Promise<void> {
    if (this.#walPath === null) return Promise.resolve();
    if (this.#nextSync) return this.#nextSync;
    // After the current turn of the event loop, so that what the caller does with a commit
    // before it is acknowledged (hand a claimed task to its worker) is under way first.
    const sync = this.#lastSync.then(() => new Promise((resolve) => setImmediate(resolve))).then(
      () => {
        this.#nextSync = null;
        // Opened once the first commit has created it; the same file for as long as the store
        // is open (SQLite only deletes it when the last connection closes).
        this.#wal ??= Deno.openSync(this.#walPath!, { read: true, write: true });
        this.#wal.syncDataSync();
      },
    );
    this.#lastSync = sync.catch(() => {});
    this.#nextSync = sync.catch((error) => {
      throw new UnavailableError(
        `Cannot sync the SQLite WAL file to disk: ${(error as Error).message}`,
      );
    });
    return this.#nextSync;
  }

  /** `#onDisk` when `level` asks for the disk. */
  #onDiskFor(level: WriteConcernLevel | undefined): Promise<void> {
    return needsDisk(level) ? this.#onDisk() : Promise.resolve();
  }

  /**
   * Runs `fn` in one write transaction. BEGIN IMMEDIATE takes the write lock up front, so
   * other processes wait (busy_timeout) instead of failing half-way, and reads inside `fn` see
   * what no other writer can change until COMMIT.
   */
  #write<T>(fn: () => T): T {
    this.#open();
    this.#flush();
    return this.#transaction(fn);
  }

  #transaction<T>(fn: () => T): T {
    try {
      this.#stmt("BEGIN IMMEDIATE").run();
    } catch (error) {
      throw this.#mapError(error);
    }
    try {
      const result = fn();
      this.#stmt("COMMIT").run();
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#stmt("ROLLBACK").run();
      throw this.#mapError(error);
    }
  }

  /** Runs a read (or a single autocommit statement) after committing any queued writes. */
  #read<T>(fn: () => T): T {
    this.#open();
    this.#flush();
    try {
      return fn();
    } catch (error) {
      throw this.#mapError(error);
    }
  }

  #mapError(error: unknown): unknown {
    if (isBusy(error)) {
      return new UnavailableError(
        `The SQLite database is locked by another writer: ${(error as Error).message}`,
      );
    }
    return error;
  }

  #scheduleFlush(): void {
    if (this.#queuedInserts.length + this.#queuedSettles.length >= MAX_QUEUED) {
      this.#flush();
      return;
    }
    if (this.#flushTimer === null) {
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = null;
        if (!this.#closed) this.#flush();
      }, this.#groupCommitDelayMs);
    }
  }

  /** Commits every queued unacknowledged write in one transaction. */
  #flush(): void {
    if (this.#flushTimer !== null) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = null;
    }
    if (this.#queuedInserts.length === 0 && this.#queuedSettles.length === 0) return;
    const inserts = this.#queuedInserts;
    const settles = this.#queuedSettles;
    this.#queuedInserts = [];
    this.#queuedSettles = [];
    this.#queuedSettleIds.clear();
    try {
      this.#transaction(() => {
        // A row that lost a race to another process is dropped: nobody waits for its answer.
        for (const task of inserts) this.#insertRow(task);
        for (const { request, now } of settles) this.#settleRow(request, now);
      });
    } catch (error) {
      log.error("Lost unacknowledged task writes", {
        count: inserts.length + settles.length,
        error,
      });
    }
  }

  // Health -------------------------------------------------------------------------------------

  /** Runs a trivial query. @throws {UnavailableError} */
  async ping(): Promise<void> {
    try {
      this.#read(() => this.#stmt("SELECT 1").get());
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      throw new UnavailableError(`The SQLite store does not answer: ${(error as Error).message}`);
    }
  }

  // Executors ----------------------------------------------------------------------------------

  /** @throws {ConflictError} when the name is taken. */
  async executorCreate(executor: Executor): Promise<Executor> {
    this.#open();
    this.#flush();
    try {
      this.#stmt(
        `INSERT INTO executors (id, name, enabled, write_concern, retry_policy, dlq_config,
           task_schema, timeout, max_concurrency, flow, created_at, updated_at)
         VALUES ($id, $name, $enabled, $write_concern, $retry_policy, $dlq_config, $task_schema,
           $timeout, $max_concurrency, $flow, $created_at, $updated_at)`,
      ).run(executorParams(executor));
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`Executor "${executor.name}" already exists`);
      }
      throw this.#mapError(error);
    }
    await this.#onDisk();
    return structuredClone(executor);
  }

  async executorGet(idOrName: string): Promise<Executor | null> {
    const row = this.#read(() =>
      this.#stmt("SELECT * FROM executors WHERE id = ? OR name = ? LIMIT 1").get(
        idOrName,
        idOrName,
      )
    );
    return row ? rowToExecutor(row) : null;
  }

  async executorList(): Promise<Executor[]> {
    const rows = this.#read(() => this.#stmt("SELECT * FROM executors ORDER BY name").all());
    return rows.map(rowToExecutor);
  }

  /** @throws {ConflictError} when renamed onto a taken name. */
  async executorUpdate(executor: Executor): Promise<Executor | null> {
    this.#open();
    this.#flush();
    const before = this.#stmt("SELECT * FROM executors WHERE id = ?").get(executor.id);
    let changes: number;
    try {
      changes = Number(
        this.#stmt(
          `UPDATE executors SET name = $name, enabled = $enabled, write_concern = $write_concern,
             retry_policy = $retry_policy, dlq_config = $dlq_config, task_schema = $task_schema,
             timeout = $timeout, max_concurrency = $max_concurrency, flow = $flow,
             created_at = $created_at,
             updated_at = $updated_at
           WHERE id = $id`,
        ).run(executorParams(executor)).changes,
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`Executor "${executor.name}" already exists`);
      }
      throw this.#mapError(error);
    }
    if (changes === 1 && isKeyed(executor) && !(before && isKeyed(rowToExecutor(before)))) {
      this.#write(() => keyTasksOf({ stmt: (sql) => this.#stmt(sql) }, executor.name));
    }
    await this.#onDisk();
    return changes === 1 ? structuredClone(executor) : null;
  }

  async executorDelete(id: string): Promise<boolean> {
    const changes = this.#read(() =>
      this.#stmt("DELETE FROM executors WHERE id = ?").run(id).changes
    );
    await this.#onDisk();
    return Number(changes) === 1;
  }

  // Tasks --------------------------------------------------------------------------------------

  /** Inserts one row; `false` when an idempotency key (or the id) is taken. */
  #insertRow(task: NewTask): boolean {
    const result = this.#stmt(
      `INSERT INTO tasks (id, executor_name, data, metadata, status, priority, run_at, attempt,
         max_attempts, errors, result, created_at, updated_at, idempotency_key, traceparent,
         tracestate, group_key)
       VALUES (?, ?, ?, ?, 'pending', ?, ?, 0, ?, '[]', 'null', ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ).run(
      task.id,
      task.executorName,
      json(task.data),
      json(task.metadata ?? {}),
      task.priority,
      task.runAt,
      task.maxAttempts,
      task.createdAt,
      task.createdAt,
      task.idempotencyKey ?? null,
      task.traceparent ?? null,
      task.tracestate ?? null,
      task.groupKey ?? null,
    );
    return Number(result.changes) === 1;
  }

  #taskByKey(executorName: string, key: string): Task | null {
    const row = this.#stmt(
      "SELECT * FROM tasks WHERE executor_name = ? AND idempotency_key = ?",
    ).get(executorName, key);
    return row ? rowToTask(row) : null;
  }

  async taskInsert(tasks: NewTask[], options: WriteOptions = {}): Promise<InsertOutcome[]> {
    if (tasks.length === 0) return [];
    const level = insertWriteConcern(tasks, options.writeConcern);
    if (level === "unacknowledged") return this.#insertUnacknowledged(tasks);
    const outcomes = this.#write(() => this.#insertRows(tasks));
    await this.#onDiskFor(level);
    return outcomes;
  }

  async taskInsertAndClaim(
    tasks: NewTask[],
    claim: ClaimOptions,
    options: WriteOptions = {},
  ): Promise<InsertAndClaim> {
    const level = insertWriteConcern(tasks, options.writeConcern);
    if (level === "unacknowledged") {
      // Queued for the group commit, which the claim's write flushes first.
      const outcomes = this.#insertUnacknowledged(tasks);
      return { outcomes, claimed: await this.taskClaim(claim), onDisk: Promise.resolve() };
    }
    let outcomes: InsertOutcome[] = [];
    const rows = this.#write(() => {
      outcomes = this.#insertRows(tasks);
      return this.#claimRows(claim);
    });
    return {
      outcomes,
      claimed: this.#claimedTasks(rows, claim),
      onDisk: this.#onDiskFor(level),
    };
  }

  /** Inserts inside the current transaction. */
  #insertRows(tasks: NewTask[]): InsertOutcome[] {
    return tasks.map((task): InsertOutcome => {
      if (this.#insertRow(task)) return { created: true, task: newTaskToTask(task) };
      const existing = task.idempotencyKey
        ? this.#taskByKey(task.executorName, task.idempotencyKey)
        : null;
      if (!existing) throw new ConflictError(`Task "${task.id}" already exists`);
      return { created: false, task: existing };
    });
  }

  /** Queues tasks without idempotency keys for the group commit (see `insertWriteConcern`). */
  #insertUnacknowledged(tasks: NewTask[]): InsertOutcome[] {
    this.#open();
    this.#queuedInserts.push(...tasks);
    this.#scheduleFlush();
    return tasks.map((task) => ({ created: true, task: newTaskToTask(task) }));
  }

  async taskGet(id: string): Promise<Task | null> {
    const row = this.#read(() => this.#stmt("SELECT * FROM tasks WHERE id = ?").get(id));
    return row ? rowToTask(row) : null;
  }

  async taskList(
    filter: TaskFilter,
    page: { cursor?: string; limit: number },
  ): Promise<Page<Task>> {
    const where: string[] = [];
    const params: Params = { limit: page.limit + 1 };
    if (filter.createdAfter !== undefined) {
      where.push("created_at >= $after");
      params.after = filter.createdAfter;
    }
    if (filter.createdBefore !== undefined) {
      where.push("created_at < $before");
      params.before = filter.createdBefore;
    }
    if (filter.finishedAfter !== undefined) {
      where.push("completed_at >= $finishedAfter");
      params.finishedAfter = filter.finishedAfter;
    }
    if (filter.finishedBefore !== undefined) {
      where.push("completed_at < $finishedBefore");
      params.finishedBefore = filter.finishedBefore;
    }
    if (page.cursor) {
      where.push("id < $cursor");
      params.cursor = page.cursor;
    }
    const statuses = [...new Set(filter.status ?? [])];
    // An executor's tasks of any status: one (executor, status) index range per status.
    if (statuses.length === 0 && filter.executorName !== undefined) statuses.push(...TASK_STATUSES);
    let rows: Row[];
    if (statuses.length === 0) {
      const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
        ORDER BY id DESC LIMIT $limit`;
      rows = this.#read(() => this.#stmt(sql).all(params));
    } else {
      rows = this.#read(() => this.#listByStatus(filter.executorName, statuses, where, params));
    }
    const more = rows.length > page.limit;
    const items = (more ? rows.slice(0, page.limit) : rows).map(rowToTask);
    return { items, nextCursor: more ? items[items.length - 1].id : null };
  }

  /**
   * A page filtered by executor or status, newest first. Tasks are indexed by (executor, status, id) only, so
   * each (executor, status) pair gives its newest ids in index order and the pairs are merged:
   * no sort of every matching task, and no index that every status change would have to update.
   */
  #listByStatus(
    executorName: string | undefined,
    statuses: string[],
    where: string[],
    params: Params,
  ): Row[] {
    const clause = ["executor_name = $executor", "status = $status", ...where].join(" AND ");
    if (executorName !== undefined && statuses.length === 1) {
      return this.#stmt(`SELECT * FROM tasks WHERE ${clause} ORDER BY id DESC LIMIT $limit`).all({
        ...params,
        executor: executorName,
        status: statuses[0],
      });
    }
    // One read transaction, so that every query below sees one snapshot of the file.
    this.#stmt("BEGIN").run();
    try {
      const names = executorName !== undefined ? [executorName] : this.#stmt(
        `WITH RECURSIVE names(name) AS (
             SELECT min(executor_name) FROM tasks
             UNION ALL
             SELECT (SELECT min(executor_name) FROM tasks WHERE executor_name > names.name)
             FROM names WHERE names.name IS NOT NULL)
           SELECT name FROM names WHERE name IS NOT NULL`,
      ).all().map((row) => row.name as string);
      const newest = this.#stmt(
        `SELECT id FROM tasks WHERE ${clause} ORDER BY id DESC LIMIT $limit`,
      );
      const ids: string[] = [];
      for (const name of names) {
        for (const status of statuses) {
          for (const row of newest.all({ ...params, executor: name, status })) {
            ids.push(row.id as string);
          }
        }
      }
      ids.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      ids.length = Math.min(ids.length, params.limit as number);
      if (ids.length === 0) return [];
      return this.#stmt(
        "SELECT * FROM tasks WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id DESC",
      ).all(JSON.stringify(ids));
    } finally {
      this.#stmt("COMMIT").run();
    }
  }

  async taskClaim(options: ClaimOptions): Promise<Task[]> {
    if (options.limit <= 0) return [];
    const rows = this.#write(() => this.#claimRows(options));
    return this.#claimedTasks(rows, options);
  }

  /** Claims inside the current transaction; rows as `#claimStatement` returns them. */
  #claimRows(options: ClaimOptions): unknown[][] {
    let limit = options.limit;
    if (limit <= 0) return [];
    if (options.maxConcurrency > 0) {
      // Counted inside the same write transaction, so no other manager can claim in between.
      const running = this.#stmt(
        "SELECT count(*) AS n FROM tasks WHERE executor_name = ? AND status = 'in_progress'",
      ).get(options.executorName) as { n: number };
      limit = Math.min(limit, options.maxConcurrency - running.n);
      if (limit <= 0) return [];
    }
    const flow = options.flow;
    if (flow && hasFlowControl(flow)) {
      return this.#flowClaim.claim({
        stmt: (sql) => this.#stmt(sql),
        claim: (where, params) => this.#claimWhere(where, options, params),
      }, { ...options, limit, flow });
    }
    return this.#claimWhere(CLAIM_READY, options, { limit });
  }

  /** Claims the first `limit` tasks, in claim order, that `where` selects (see `FlowClaimDeps`). */
  #claimWhere(
    where: string,
    options: ClaimOptions,
    params: { limit: number; group?: string | null },
  ): unknown[][] {
    return this.#claimStatement(where).all({
      expires: options.now + options.leaseMs,
      owner: options.owner,
      now: options.now,
      executor: options.executorName,
      ...params,
    }) as unknown as unknown[][];
  }

  #claimedTasks(rows: unknown[][], options: ClaimOptions): Task[] {
    // The columns the claim does not set, as arrays (cheaper than row objects on a hot path);
    // the rest are known: they were just written.
    const expires = options.now + options.leaseMs;
    const tasks = rows.map((r): Task => ({
      id: r[0] as string,
      executorName: options.executorName,
      data: parseJson(r[1] as string),
      metadata: parseJson(r[2] as string),
      status: "in_progress",
      priority: r[3] as number,
      runAt: r[4] as number,
      attempt: r[5] as number,
      maxAttempts: r[6] as number,
      errors: parseJson(r[7] as string),
      errorsDropped: r[13] as number,
      run: r[17] as number,
      progress: null,
      logs: parseJson(r[18] as string),
      result: parseJson(r[8] as string),
      createdAt: r[9] as number,
      updatedAt: options.now,
      startedAt: options.now,
      completedAt: r[10] as number | null,
      idempotencyKey: r[11] as string | null,
      ...groupKeyField(r[16] as string | null),
      workerId: options.owner,
      leaseToken: r[12] as string,
      leaseExpiresAt: expires,
      traceparent: r[14] as string | null,
      tracestate: r[15] as string | null,
    }));
    return tasks.sort(claimOrder);
  }

  #claimStatement(where: string): StatementSync {
    const sql = `UPDATE tasks SET status = 'in_progress', attempt = attempt + 1,
         lease_token = ${NEW_TOKEN}, lease_expires_at = $expires, worker_id = $owner,
         started_at = $now, updated_at = $now, progress = 'null'
       WHERE id IN (
         SELECT id FROM tasks WHERE ${where}
         ORDER BY priority DESC, run_at, id LIMIT $limit)
       RETURNING id, data, metadata, priority, run_at, attempt, max_attempts, errors, result,
         created_at, completed_at, idempotency_key, lease_token, errors_dropped, traceparent,
         tracestate, group_key, run, logs`;
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#stmt(sql);
      // Deno's node:sqlite has it; its type definitions do not list it yet.
      (statement as StatementSync & { setReturnArrays(on: boolean): void }).setReturnArrays(true);
    }
    return statement;
  }

  /** Applies one fenced settlement inside the current transaction. */
  #settleRow(request: SettleRequest, now: number): boolean {
    const s = request.settlement;
    const fence = { id: request.taskId, token: request.leaseToken, now };
    let changes: number | bigint;
    switch (s.kind) {
      case "completed":
        changes = this.#stmt(
          `UPDATE tasks SET status = 'completed', result = $result, completed_at = $now,
             updated_at = $now, logs = $logs, ${CLEAR_LEASE}
           WHERE ${LEASED}`,
        ).run({ ...fence, result: json(s.result), logs: json(s.logs ?? []) }).changes;
        break;
      case "retry":
        if (s.postponed) {
          changes = this.#stmt(
            `UPDATE tasks SET status = 'pending', run_at = $runAt, attempt = attempt - 1,
               updated_at = $now, ${CLEAR_LEASE}
             WHERE ${LEASED}`,
          ).run({ ...fence, runAt: s.runAt }).changes;
          break;
        }
        changes = this.#stmt(
          `UPDATE tasks SET status = 'pending', run_at = $runAt,
             errors = json_insert(errors, '$[#]', json($error)), updated_at = $now, ${CLEAR_LEASE}
           WHERE ${LEASED}`,
        ).run({ ...fence, runAt: s.runAt, error: json(s.error) }).changes;
        if (Number(changes) === 1) this.#keepErrors(request.taskId);
        break;
      case "failed":
        changes = this.#stmt(
          `UPDATE tasks SET status = 'failed', errors = json_insert(errors, '$[#]', json($error)),
             completed_at = $now, updated_at = $now, ${CLEAR_LEASE}
           WHERE ${LEASED}`,
        ).run({ ...fence, error: json(s.error) }).changes;
        if (Number(changes) === 1) this.#keepErrors(request.taskId);
        break;
      case "dlq":
        changes = this.#stmt(
          `UPDATE tasks SET status = 'dlq', errors = json_insert(errors, '$[#]', json($error)),
             completed_at = $now, updated_at = $now, ${CLEAR_LEASE}
           WHERE ${LEASED}`,
        ).run({ ...fence, error: json(s.error) }).changes;
        if (Number(changes) === 1) {
          this.#keepErrors(request.taskId);
          this.#stmt(
            `INSERT OR REPLACE INTO dlq (id, queue_name, executor_name, reason, dead_at, task)
             SELECT id, $queue, executor_name, $reason, $now, ${TASK_JSON} FROM tasks
             WHERE id = $id`,
          ).run({ id: request.taskId, queue: s.queueName, reason: s.reason, now });
        }
        break;
    }
    return Number(changes) === 1;
  }

  /**
   * The one place a task's attempt errors are bounded, right after one is added (in the same
   * transaction): `keepTaskErrors` to at most `errorsKept`. Returns whether it dropped any.
   */
  #keepErrors(id: string): boolean {
    const row = this.#stmt(
      "SELECT errors, errors_dropped FROM tasks WHERE id = ? AND json_array_length(errors) > ?",
    ).get(id, this.#errorsKept);
    if (!row) return false;
    const kept = keepTaskErrors(
      JSON.parse(row.errors as string),
      row.errors_dropped as number,
      this.#errorsKept,
    );
    this.#stmt("UPDATE tasks SET errors = ?, errors_dropped = ? WHERE id = ?")
      .run(json(kept.errors), kept.errorsDropped, id);
    return true;
  }

  async taskSettle(
    requests: SettleRequest[],
    options?: WriteOptions & { now: number },
  ): Promise<boolean[]> {
    if (requests.length === 0) return [];
    const now = options?.now ?? Date.now();
    if (options?.writeConcern === "unacknowledged") {
      return this.#settleUnacknowledged(requests, now);
    }
    const answers = this.#write(() => requests.map((request) => this.#settleRow(request, now)));
    await this.#onDiskFor(options?.writeConcern);
    return answers;
  }

  #settleUnacknowledged(requests: SettleRequest[], now: number): boolean[] {
    this.#open();
    const answers = requests.map((request) => {
      if (this.#queuedSettleIds.has(request.taskId)) return false;
      const row = this.#stmt("SELECT status, lease_token FROM tasks WHERE id = ?").get(
        request.taskId,
      );
      if (row?.status !== "in_progress" || row.lease_token !== request.leaseToken) return false;
      this.#queuedSettleIds.add(request.taskId);
      this.#queuedSettles.push({ request, now });
      return true;
    });
    this.#scheduleFlush();
    return answers;
  }

  async leaseExtend(leases: LeaseRef[], until: number): Promise<boolean[]> {
    if (leases.length === 0) return [];
    const answers = this.#write(() =>
      leases.map((lease) =>
        Number(
          this.#stmt(
            `UPDATE tasks SET lease_expires_at = $until,
               progress = CASE WHEN $hasProgress THEN $progress ELSE progress END
             WHERE ${LEASED}`,
          ).run({
            id: lease.taskId,
            token: lease.leaseToken,
            until,
            hasProgress: lease.progress !== undefined ? 1 : 0,
            progress: json(lease.progress),
          }).changes,
        ) === 1
      )
    );
    return answers;
  }

  async demandReport(report: DemandReport): Promise<Record<string, number>> {
    const rows = this.#write(() => {
      this.#stmt("DELETE FROM demand WHERE manager_id = ? OR reported_at < ?").run(
        report.managerId,
        report.since,
      );
      for (const [executorName, capacity] of Object.entries(report.capacity)) {
        this.#stmt("INSERT INTO demand VALUES (?, ?, ?, ?)").run(
          report.managerId,
          executorName,
          capacity,
          report.now,
        );
      }
      return this.#stmt(
        `SELECT executor_name, sum(capacity) AS total FROM demand WHERE reported_at >= ?
         GROUP BY executor_name`,
      ).all(report.since);
    });
    return Object.fromEntries(rows.map((row) => [row.executor_name, Number(row.total)]));
  }

  async leaseCheck(leases: LeaseRef[]): Promise<LeaseCheck[]> {
    if (leases.length === 0) return [];
    const rows = this.#read(() =>
      this.#stmt(
        "SELECT id, status, lease_token FROM tasks WHERE id IN (SELECT value FROM json_each(?))",
      ).all(JSON.stringify(leases.map((lease) => lease.taskId)))
    );
    return answerLeaseChecks(
      leases,
      rows.map((row) => ({
        id: row.id as string,
        status: row.status as TaskStatus,
        leaseToken: row.lease_token as string | null,
      })),
    );
  }

  async taskRescueExpired(
    options: { now: number; limit: number; owner: string; leaseMs: number },
  ): Promise<Task[]> {
    if (options.limit <= 0) return [];
    const rows = this.#write(() =>
      this.#stmt(
        `UPDATE tasks SET lease_token = ${NEW_TOKEN}, lease_expires_at = $expires,
           worker_id = $owner, updated_at = $now
         WHERE id IN (
           SELECT id FROM tasks INDEXED BY tasks_lease_expiry
           WHERE status = 'in_progress' AND lease_expires_at < $now
           ORDER BY lease_expires_at LIMIT $limit)
         RETURNING *`,
      ).all({
        expires: options.now + options.leaseMs,
        owner: options.owner,
        now: options.now,
        limit: options.limit,
      })
    );
    const tasks = rows.map(rowToTask);
    tasks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return tasks;
  }

  async taskTransition(
    id: string,
    change: { from: TaskStatus; to: TaskStatus; now: number; patch?: TransitionPatch },
  ): Promise<Task | null> {
    const patch = change.patch ?? {};
    const row = this.#write(() => {
      const updated = this.#stmt(
        `UPDATE tasks SET status = $to, updated_at = $now, ${CLEAR_LEASE},
           result = CASE WHEN $hasResult THEN $result ELSE result END,
           errors = CASE WHEN $error IS NULL THEN errors
                         ELSE json_insert(errors, '$[#]', json($error)) END,
           run_at = coalesce($runAt, run_at),
           attempt = CASE WHEN $reset THEN 0 ELSE attempt END,
           run = CASE WHEN $reset THEN run + 1 ELSE run END,
           data = CASE WHEN $hasData THEN $data ELSE data END,
           completed_at = CASE WHEN $ends THEN $now ELSE NULL END
         WHERE id = $id AND status = $from
         RETURNING *`,
      ).get({
        id,
        from: change.from,
        to: change.to,
        now: change.now,
        hasResult: patch.result !== undefined ? 1 : 0,
        result: json(patch.result),
        error: patch.error ? json(patch.error) : null,
        runAt: patch.runAt ?? null,
        reset: patch.resetAttempts ? 1 : 0,
        hasData: patch.data !== undefined ? 1 : 0,
        data: json(patch.data),
        ends: ENDED_STATUSES.includes(change.to) ? 1 : 0,
      });
      // A task that leaves the DLQ by hand takes its entry with it.
      if (updated && change.from === "dlq") {
        this.#stmt("DELETE FROM dlq WHERE id = ?").run(id);
      }
      if (updated && patch.error && this.#keepErrors(id)) {
        return this.#stmt("SELECT * FROM tasks WHERE id = ?").get(id);
      }
      return updated;
    });
    await this.#onDisk();
    return row ? rowToTask(row) : null;
  }

  async taskNextRunAt(executorNames: string[], now: number): Promise<number | null> {
    return this.#read(() => {
      // A few index seeks per executor, instead of a scan of every pending task.
      const next = this.#stmt(MIN_PENDING_RUN_AT);
      let earliest: number | null = null;
      for (const name of new Set(executorNames)) {
        const value = next.get({ executor: name, after: now })?.value as number | null | undefined;
        if (value != null && (earliest === null || value < earliest)) earliest = value;
      }
      return earliest;
    });
  }

  async taskStats(options: { now: number }): Promise<ExecutorTaskStats[]> {
    const byName = new Map<string, ExecutorTaskStats>();
    const entry = (name: string): ExecutorTaskStats => {
      let stats = byName.get(name);
      if (!stats) {
        stats = emptyTaskStats(name);
        byName.set(name, stats);
      }
      return stats;
    };
    this.#read(() => {
      // One read transaction, so that the queries below see one snapshot of the file.
      this.#stmt("BEGIN").run();
      try {
        const counts = this.#stmt(
          "SELECT executor_name, status, count(*) AS n FROM tasks GROUP BY executor_name, status",
        ).all();
        for (const row of counts) {
          entry(row.executor_name as string).byStatus[row.status as TaskStatus] = row.n as number;
        }
        const oldest = this.#stmt(MIN_PENDING_RUN_AT);
        for (const stats of byName.values()) {
          if (stats.byStatus.pending === 0) continue;
          const runAt = oldest.get({ executor: stats.executorName, after: -Infinity })?.value as
            | number
            | null
            | undefined;
          if (runAt != null && runAt <= options.now) stats.oldestPendingRunAt = runAt;
        }
        const dlq = this.#stmt(
          "SELECT executor_name, count(*) AS n FROM dlq GROUP BY executor_name",
        ).all();
        for (const row of dlq) entry(row.executor_name as string).dlqSize = row.n as number;
      } finally {
        this.#stmt("COMMIT").run();
      }
    });
    return [...byName.values()].sort((a, b) => (a.executorName < b.executorName ? -1 : 1));
  }

  async taskPurgeFinished(options: { before: number; limit: number }): Promise<number> {
    if (options.limit <= 0) return 0;
    const changes = this.#write(() =>
      this.#stmt(
        `DELETE FROM tasks WHERE id IN (
           SELECT id FROM tasks INDEXED BY tasks_finished
           WHERE status IN ('completed', 'cancelled') AND completed_at < ? LIMIT ?)`,
      ).run(options.before, options.limit).changes
    );
    return Number(changes);
  }

  async taskDeleteMany(ids: string[], options: { statuses: TaskStatus[] }): Promise<number> {
    if (ids.length === 0 || options.statuses.length === 0) return 0;
    const changes = this.#write(() =>
      this.#stmt(
        `DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(?))
           AND status IN (SELECT value FROM json_each(?)) AND status != 'dlq'`,
      ).run(JSON.stringify(ids), JSON.stringify(options.statuses)).changes
    );
    await this.#onDisk();
    return Number(changes);
  }

  async taskDeleteByExecutor(executorName: string): Promise<number> {
    const changes = this.#write(() => {
      this.#stmt("DELETE FROM dlq WHERE executor_name = ?").run(executorName);
      return this.#stmt("DELETE FROM tasks WHERE executor_name = ?").run(executorName).changes;
    });
    await this.#onDisk();
    return Number(changes);
  }

  // Dead letter queue --------------------------------------------------------------------------

  #dlqWhere(filter: DlqFilter, params: Params): string[] {
    const where: string[] = [];
    if (filter.executorName !== undefined) {
      where.push("executor_name = $executor");
      params.executor = filter.executorName;
    }
    if (filter.reason !== undefined) {
      where.push("reason = $reason");
      params.reason = filter.reason;
    }
    if (filter.deadBefore !== undefined) {
      where.push("dead_at < $deadBefore");
      params.deadBefore = filter.deadBefore;
    }
    return where;
  }

  async dlqList(
    filter: DlqFilter,
    page: { cursor?: string; limit: number },
  ): Promise<Page<DlqEntry>> {
    const params: Params = { limit: page.limit + 1 };
    const where = this.#dlqWhere(filter, params);
    if (page.cursor) {
      // The cursor is "<deadAt>:<id>" of the last entry seen: the order is deadAt, then id.
      const match = /^(\d+):(.+)$/.exec(page.cursor);
      if (!match) {
        throw new InvalidArgumentError(`Invalid cursor "${page.cursor}"`, [
          { field: "cursor", message: "Must be a cursor from a previous page" },
        ]);
      }
      where.push("(dead_at, id) < ($cursorDeadAt, $cursorId)");
      params.cursorDeadAt = Number(match[1]);
      params.cursorId = match[2];
    }
    const sql = `SELECT * FROM dlq ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY dead_at DESC, id DESC LIMIT $limit`;
    const rows = this.#read(() => this.#stmt(sql).all(params));
    const more = rows.length > page.limit;
    const items = (more ? rows.slice(0, page.limit) : rows).map(rowToDlqEntry);
    const last = items[items.length - 1];
    return { items, nextCursor: more ? `${last.deadAt}:${last.id}` : null };
  }

  async dlqGet(id: string): Promise<DlqEntry | null> {
    const row = this.#read(() => this.#stmt("SELECT * FROM dlq WHERE id = ?").get(id));
    return row ? rowToDlqEntry(row) : null;
  }

  async dlqRequeue(id: string, options: { now: number; data?: unknown }): Promise<Task | null> {
    const row = this.#write(() => {
      const removed = this.#stmt("DELETE FROM dlq WHERE id = ?").run(id).changes;
      if (Number(removed) === 0) return undefined;
      const params = {
        id,
        now: options.now,
        hasData: options.data !== undefined ? 1 : 0,
        data: json(options.data),
      };
      // No task row (deleted by hand) leaves nothing to requeue; the stray entry is gone too.
      return this.#stmt(
        `UPDATE tasks SET status = 'pending', attempt = 0, run = run + 1, run_at = $now,
           updated_at = $now,
           completed_at = NULL, ${CLEAR_LEASE},
           data = CASE WHEN $hasData THEN $data ELSE data END
         WHERE id = $id
         RETURNING *`,
      ).get(params);
    });
    await this.#onDisk();
    return row ? rowToTask(row) : null;
  }

  async dlqDelete(id: string): Promise<boolean> {
    const deleted = this.#write(() => {
      const changes = this.#stmt("DELETE FROM dlq WHERE id = ?").run(id).changes;
      if (Number(changes) === 0) return false;
      this.#stmt("DELETE FROM tasks WHERE id = ? AND status = 'dlq'").run(id);
      return true;
    });
    await this.#onDisk();
    return deleted;
  }

  async dlqPurge(filter: DlqFilter): Promise<number> {
    const params: Params = {};
    const where = this.#dlqWhere(filter, params);
    const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const changes = this.#write(() => {
      this.#stmt(
        `DELETE FROM tasks WHERE status = 'dlq' AND id IN (SELECT id FROM dlq ${clause})`,
      ).run(params);
      return this.#stmt(`DELETE FROM dlq ${clause}`).run(params).changes;
    });
    await this.#onDisk();
    return Number(changes);
  }

  // API keys -----------------------------------------------------------------------------------

  /** @throws {ConflictError} when the id is taken. */
  async keyCreate(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    this.#open();
    this.#flush();
    try {
      this.#stmt(
        `INSERT INTO api_keys (id, name, scopes, executors, secret_hash, created_at, last_used_at,
           revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        key.id,
        key.name,
        json(key.scopes),
        json(key.executors),
        key.secretHash,
        key.createdAt,
        key.lastUsedAt,
        key.revokedAt,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`Key "${key.id}" already exists`);
      throw this.#mapError(error);
    }
    await this.#onDisk();
    return structuredClone(key);
  }

  async keyGet(id: string): Promise<ApiKeyRecord | null> {
    const row = this.#read(() => this.#stmt("SELECT * FROM api_keys WHERE id = ?").get(id));
    return row ? rowToKey(row) : null;
  }

  async keyList(): Promise<ApiKeyRecord[]> {
    const rows = this.#read(() =>
      this.#stmt("SELECT * FROM api_keys ORDER BY created_at, id").all()
    );
    return rows.map(rowToKey);
  }

  async keyRevoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    const row = this.#write(() => {
      this.#stmt("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(
        now,
        id,
      );
      return this.#stmt("SELECT * FROM api_keys WHERE id = ?").get(id);
    });
    await this.#onDisk();
    return row ? rowToKey(row) : null;
  }

  async keyTouch(uses: KeyUse[]): Promise<void> {
    if (uses.length === 0) return;
    this.#write(() => {
      for (const use of uses) {
        this.#stmt(
          `UPDATE api_keys SET last_used_at = ?
           WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
        ).run(use.at, use.id, use.at);
      }
    });
  }

  // Lifecycle ----------------------------------------------------------------------------------

  /** Commits queued writes and closes the database; safe to call twice. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#flush();
      // Commits waiting for the disk get their sync before the file is closed.
      await this.#lastSync;
    } finally {
      this.#statements.clear();
      this.#wal?.close();
      this.#db.close();
    }
  }
}

/**
 * Opens the embedded store on a SQLite file (or `":memory:"`).
 *
 * @example
 * ```ts
 * import { openSqliteStore } from "./sqlite.ts";
 * await using store = await openSqliteStore({ path: "./data/tasks.db" });
 * console.log(store.kind); // "sqlite"
 * ```
 */
export function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(options);
}
