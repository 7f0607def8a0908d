/**
 * What an executor owns on the embedded store (its schedules and tasks, by name), the rule that
 * ties them to it (nothing is written under a name no executor has, read in the writing
 * transaction), and the record that keeps a name taken while its deleted executor's tasks go.
 */
import type { StatementSync } from "node:sqlite";
import { executorMissingError } from "../../domain/executor.ts";

/** The statements of the connection, inside the caller's transaction. */
export interface Statements {
  stmt(sql: string): StatementSync;
}

/**
 * Refuses with `executorMissingError(what, name)` unless executor `name` exists. Read inside the
 * write transaction that stores something of it: `SqliteExecutors.executorDelete` deletes the
 * executor and its schedules in one transaction too, so the two come wholly one after the other
 * and neither leaves a schedule without its executor (see `Store.executorDelete`; task inserts
 * read the executor in theirs the same way, `SqliteTasks.#flowNow`).
 *
 * @throws {NotFoundError} when executor `name` does not exist
 */
export function assertExecutorNow(db: Statements, name: string, what: string): void {
  const found = db.stmt("SELECT 1 FROM executors WHERE name = ?").get(name) !== undefined;
  if (!found) throw executorMissingError(what, name);
}

/** What keeps executor `name` from a delete without force: its active tasks and its schedules. */
export function inUseBy(db: Statements, name: string): { activeTasks: number; schedules: number } {
  const activeTasks = db.stmt(
    `SELECT count(*) AS n FROM tasks WHERE executor_name = ? AND status IN ('pending', 'in_progress')`,
  ).get(name)!.n;
  const schedules = db.stmt("SELECT count(*) AS n FROM schedules WHERE executor_name = ?")
    .get(name)!.n;
  return { activeTasks: Number(activeTasks), schedules: Number(schedules) };
}

/** Deletes the schedules of executor `name`; answers how many went. */
export function deleteSchedulesOf(db: Statements, name: string): number {
  return Number(db.stmt("DELETE FROM schedules WHERE executor_name = ?").run(name).changes);
}

/**
 * A deletion of an executor still running: its row went, its tasks are being deleted. The row of
 * table `executor_deletions` keeps `name` taken until they are all gone (see
 * `SqliteExecutors.executorDelete`).
 */
export interface Deletion {
  name: string;
  /** The deleted executor's id: what tells this deletion from a later one of the same name. */
  executorId: string;
  /** When it began (epoch ms, the deleting manager's clock). */
  startedAt: number;
}

/** The deletion holding `name`, if one does. */
export function deletionOf(db: Statements, name: string): Deletion | null {
  const row = db.stmt("SELECT executor_id, started_at FROM executor_deletions WHERE name = ?")
    .get(name);
  if (!row) return null;
  return { name, executorId: row.executor_id as string, startedAt: Number(row.started_at) };
}

/** The deletions that began at or before `startedBy` (epoch ms), oldest first. */
export function deletionsBefore(db: Statements, startedBy: number): Deletion[] {
  const sql = `SELECT name, executor_id, started_at FROM executor_deletions
    WHERE started_at <= ? ORDER BY started_at`;
  return db.stmt(sql).all(startedBy).map((row) => ({
    name: row.name as string,
    executorId: row.executor_id as string,
    startedAt: Number(row.started_at),
  }));
}

/**
 * Writes `deletion`, in the transaction that deletes its executor. A row left for the name by an
 * earlier deletion is replaced: this one deletes every task of the name, theirs included.
 */
export function deletionBegin(db: Statements, deletion: Deletion): void {
  db.stmt(
    "INSERT OR REPLACE INTO executor_deletions (name, executor_id, started_at) VALUES (?, ?, ?)",
  ).run(deletion.name, deletion.executorId, deletion.startedAt);
}

/**
 * The tasks a batch of `deletion`'s sweep deletes (`deleteTasksWhere`, bound to `$executor` and
 * `$deletion`): those of its name, and only while its row stands, read in the batch's own
 * transaction. A sweep that lost its row (another manager finished the deletion, and the name may
 * hold a new executor since) deletes nothing more.
 */
export const DELETION_SWEEP_WHERE = `executor_name = $executor AND EXISTS (
  SELECT 1 FROM executor_deletions WHERE name = $executor AND executor_id = $deletion)`;

/**
 * Ends `deletion` when no task of its name is left: deletes its row, which frees the name.
 * Answers whether the sweep is over: ended now, or ended (or replaced) by someone else; `false`
 * when tasks of the name are left (stored without `requireExecutors` since the last batch).
 */
export function deletionEnd(db: Statements, deletion: Deletion): boolean {
  const own = db.stmt("SELECT 1 FROM executor_deletions WHERE name = ? AND executor_id = ?")
    .get(deletion.name, deletion.executorId);
  if (!own) return true;
  if (db.stmt("SELECT 1 FROM tasks WHERE executor_name = ? LIMIT 1").get(deletion.name)) {
    return false;
  }
  db.stmt("DELETE FROM executor_deletions WHERE name = ?").run(deletion.name);
  return true;
}
