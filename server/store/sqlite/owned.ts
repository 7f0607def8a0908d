/**
 * What an executor owns on the embedded store (its schedules and tasks, by name), and the rule that
 * ties them to it: nothing is written under a name no executor has, read in the writing transaction.
 */
import type { StatementSync } from "node:sqlite";
import { executorMissingError } from "../../domain/executor.ts";

/** The statements of the connection, inside the caller's transaction. */
export interface Statements {
  stmt(sql: string): StatementSync;
}

/**
 * Whether executor `name` exists. Read inside the write transaction that stores something of it:
 * `SqliteExecutors.executorDelete` deletes the executor and its schedules in one transaction too,
 * so the two come wholly one after the other and neither leaves a schedule or task without its
 * executor (see `Store.executorDelete`).
 */
export function executorExistsNow(db: Statements, name: string): boolean {
  return db.stmt("SELECT 1 FROM executors WHERE name = ?").get(name) !== undefined;
}

/**
 * `executorExistsNow`, refusing with `executorMissingError(what, name)`.
 *
 * @throws {NotFoundError} when executor `name` does not exist
 */
export function assertExecutorNow(db: Statements, name: string, what: string): void {
  if (!executorExistsNow(db, name)) throw executorMissingError(what, name);
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
