/**
 * The embedded store's tables and indexes, and the migrations of files written by earlier
 * versions: `prepareSchema` runs when a store opens, in one transaction, and leaves the file at
 * `SCHEMA_VERSION` (`PRAGMA user_version`).
 */
import type { DatabaseSync } from "node:sqlite";
import { MAX_TIME_MS } from "../../domain/limits.ts";
import { HISTORY_SCHEMA } from "./history.ts";
import { SCHEDULES_SCHEMA } from "./schedules.ts";
import { FLOW_COLUMNS, FLOW_SCHEMA } from "./flow.ts";
import { flowOfRow } from "./rows.ts";
import { isKeyed } from "../../domain/flow.ts";

/** The version a file has once `prepareSchema` ran. */
export const SCHEMA_VERSION = 11;

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
-- Which executors changed (executorVersions) without reading their rows: updated_at comes after
-- a schema of up to 64 KiB, which a table scan reads through (1,000 such rows: 17.7 ms, 0.95 with this index).
CREATE INDEX IF NOT EXISTS executors_versions ON executors (name, id, updated_at);
-- Deletions of executors still running (owned.ts): the name stays taken until the deleted
-- executor's tasks are all gone, so that one made again with it never loses its tasks to them.
CREATE TABLE IF NOT EXISTS executor_deletions (
  name TEXT PRIMARY KEY,
  executor_id TEXT NOT NULL,
  started_at INTEGER NOT NULL
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
-- What each manager's workers can run at once, per executor (see demandReport).
CREATE TABLE IF NOT EXISTS demand (
  manager_id TEXT NOT NULL,
  executor_name TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  reported_at INTEGER NOT NULL,
  PRIMARY KEY (manager_id, executor_name)
);
-- Who serves each executor through each manager (see servingReport).
CREATE TABLE IF NOT EXISTS serving (
  manager_id TEXT NOT NULL,
  executor_name TEXT NOT NULL,
  workers INTEGER NOT NULL,
  polled_at INTEGER,
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
-- Indexes of earlier versions: each status change had to update them too.
DROP INDEX IF EXISTS tasks_claim;
DROP INDEX IF EXISTS tasks_pending_run_at;
DROP INDEX IF EXISTS tasks_status_id;
DROP INDEX IF EXISTS tasks_executor_id;
`;

/**
 * Version 8: a dead task's dead-letter facts are columns of `tasks`, set by the update that moves
 * it to `dlq` and cleared when it leaves (dlq.ts). The DLQ is the tasks in status `dlq`: the
 * partial indexes hold those tasks only, in the DLQ list's order (newest death first), all of them
 * or per executor, so that no other status change pays for them.
 */
const DEAD_LETTER_COLUMNS = [
  "ALTER TABLE tasks ADD COLUMN dlq_reason TEXT",
  "ALTER TABLE tasks ADD COLUMN dlq_queue_name TEXT",
  "ALTER TABLE tasks ADD COLUMN dead_at INTEGER",
];
const DEAD_LETTER_INDEXES = `
CREATE INDEX IF NOT EXISTS tasks_dead ON tasks (dead_at, id) WHERE status = 'dlq';
CREATE INDEX IF NOT EXISTS tasks_dead_executor
  ON tasks (executor_name, dead_at, id) WHERE status = 'dlq';
-- By reason too: a rare reason was found by reading every dead task (500,000: 170-220 ms).
CREATE INDEX IF NOT EXISTS tasks_dead_reason
  ON tasks (dlq_reason, dead_at, id) WHERE status = 'dlq';
CREATE INDEX IF NOT EXISTS tasks_dead_executor_reason
  ON tasks (executor_name, dlq_reason, dead_at, id) WHERE status = 'dlq';
`;

/**
 * Version 10: earlier versions kept a group key read from task data with U+0000 in it, which
 * SQLite reads back cut there: the keyed claim's walk over keys stopped on it, and no task of the
 * executor ran again. Such a key is no key now (`groupKeyAt`): the task joins the group without
 * one, as it would be made today.
 */
const UNKEY_NUL_GROUP_KEYS = `
UPDATE tasks SET group_key = '' WHERE instr(CAST(group_key AS BLOB), x'00') > 0;
`;

/**
 * Version 11: earlier versions kept a task's `worker_id` when it went back to pending (a retry, a
 * postponed attempt, a run again, a DLQ requeue), so a pending task still named the worker of an
 * attempt that was over. Pending tasks name no worker now; this clears what those versions left.
 * Running it again changes nothing.
 */
const CLEAR_PENDING_WORKERS = `
UPDATE tasks SET worker_id = NULL WHERE status = 'pending' AND worker_id IS NOT NULL;
`;

/**
 * Version 8, for a file of an earlier version: each `dlq` row's facts move into its task (times
 * clamped as in version 3), then the table goes. A row whose task is gone or no longer dead (only
 * a hand edit of the file leaves one) is dropped with it.
 */
const MOVE_DLQ_INTO_TASKS = `
UPDATE tasks SET dlq_reason = dlq.reason, dlq_queue_name = dlq.queue_name,
  dead_at = min(dlq.dead_at, ${MAX_TIME_MS})
FROM dlq WHERE dlq.id = tasks.id AND tasks.status = 'dlq';
DROP TABLE dlq;
`;

/** Marks a keying walk due for every keyed executor, as begun when it was last updated. */
function markKeyedExecutorsDue(db: DatabaseSync): void {
  const mark = db.prepare("UPDATE executors SET keying_version = updated_at WHERE id = ?");
  for (const row of db.prepare("SELECT id, flow FROM executors").all()) {
    if (isKeyed(flowOfRow(row))) mark.run(row.id as string);
  }
}

/**
 * Creates what is missing and migrates a file of an earlier version, in one transaction (BEGIN
 * IMMEDIATE: other processes opening the file meanwhile wait). A failed migration leaves the file
 * as it was.
 */
export function prepareSchema(db: DatabaseSync): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
      user_version: number;
    };
    db.exec(SCHEMA);
    db.exec(HISTORY_SCHEMA);
    db.exec(SCHEDULES_SCHEMA);
    if (version < 3) db.exec(CLAMP_TIMES);
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
    // Version 6: flow control (group keys, rate buckets; flow.ts).
    const added = new Set<string>();
    for (const { table, column, sql } of FLOW_COLUMNS) {
      const names = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all();
      if (!names.some((row) => row.name === column)) {
        db.exec(sql);
        added.add(column);
      }
    }
    // Version 9: earlier versions could leave tasks of a keyed executor without a key (an insert
    // keyed by its creator's older copy of the executor); a keying walk due for each keyed
    // executor finds them (`keyingsDue`).
    if (added.has("keying_version")) markKeyedExecutorsDue(db);
    db.exec(FLOW_SCHEMA);
    if (!columns.some((column) => column.name === "run")) {
      // Version 7: requeues counted (`run`), progress and the completed attempt's log lines.
      db.exec("ALTER TABLE tasks ADD COLUMN run INTEGER NOT NULL DEFAULT 1");
      db.exec("ALTER TABLE tasks ADD COLUMN progress TEXT NOT NULL DEFAULT 'null'");
      db.exec("ALTER TABLE tasks ADD COLUMN logs TEXT NOT NULL DEFAULT '[]'");
    }
    if (!columns.some((column) => column.name === "dead_at")) {
      for (const sql of DEAD_LETTER_COLUMNS) db.exec(sql);
    }
    db.exec(DEAD_LETTER_INDEXES);
    const dlqTable = db.prepare(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'dlq'",
    );
    if (dlqTable.get()) db.exec(MOVE_DLQ_INTO_TASKS);
    if (version < 10) db.exec(UNKEY_NUL_GROUP_KEYS);
    if (version < 11) db.exec(CLEAR_PENDING_WORKERS);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
