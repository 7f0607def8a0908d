/**
 * Keying on the embedded store: the tasks of a keyed executor always have a group key, `""` for
 * those without one (flow.ts), so an executor that is created keyed or becomes keyed has its
 * older tasks given `""` — at once when they are few, else by a walk over the table a range of
 * rows per transaction (`KeyingWalk`), which any manager finishes if the one that began it stops
 * (`keyingsDue`; run by `SqliteExecutors`).
 */
import type { Statements } from "./owned.ts";

/**
 * Rows of `tasks` one step of a keying walk reads (`keyTasksStep`): ~4 ms a step when they are
 * all the executor's; one statement keying the 1,000,000 tasks of an executor held the thread
 * 2.6 s. An executor with no more tasks than this is keyed in the transaction that makes it
 * keyed, without a walk.
 */
const KEYING_STEP_ROWS = 1000;

/**
 * A keying walk: gives the older tasks of an executor that became keyed the empty group key where
 * they have none, so that the keyed claim sees them (tasks written after it became keyed get
 * their key from the insert, `SqliteTasks.insertRow`). It goes through the table in rowid order,
 * `KEYING_STEP_ROWS` rows per write transaction: a task keeps its rowid whatever its status
 * becomes, so none is passed over. Until the walk reaches a pending task, the keyed claim does
 * not see it (it waits, it is not lost). The tasks in progress are keyed when the walk begins,
 * and so are those a claim without keys leases while it runs (`keyClaimedWhileKeying`), so that
 * keyed concurrency counts every task running.
 */
export interface KeyingWalk {
  executorId: string;
  /** The executor's name when the walk began: a rename begins another walk (`keyingBegin`). */
  executorName: string;
  /**
   * The executor's `updated_at` when it became keyed (epoch ms: when the walk began, for the
   * resume's lease). A later change that makes it keyed, renames it or makes it unkeyed ends
   * this walk at its next step.
   */
  version: number;
  /** The last rowid walked; the walk starts at 0. */
  after: number;
  /** The last rowid to reach: every row written after the executor became keyed has a key. */
  upto: number;
}

/**
 * Keys the older tasks of executor `executor` (version `executor.updatedAt`), in the transaction
 * that creates it keyed, makes it keyed, or renames it while keyed: at once when it has at most
 * `KEYING_STEP_ROWS` tasks; otherwise its tasks in progress at once, and the rest by the walk
 * answered, whose due mark (`keying_version`) makes any manager finish it if this one stops
 * (`keyingsDue`). An update that makes it unkeyed ends a walk under way (`keyingEnd`).
 */
export function keyingBegin(
  deps: Statements,
  executor: { id: string; name: string; updatedAt: number },
): KeyingWalk | null {
  const few = deps.stmt(
    `SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE executor_name = ?
       LIMIT ${KEYING_STEP_ROWS + 1})`,
  ).get(executor.name)!.n;
  const unkeyed = "executor_name = ? AND group_key IS NULL";
  if (Number(few) <= KEYING_STEP_ROWS) {
    deps.stmt(`UPDATE tasks SET group_key = '' WHERE ${unkeyed}`).run(executor.name);
    keyingEnd(deps, executor.id);
    return null;
  }
  deps.stmt(`UPDATE tasks SET group_key = '' WHERE ${unkeyed} AND status = 'in_progress'`)
    .run(executor.name);
  deps.stmt("UPDATE executors SET keying_version = ? WHERE id = ?")
    .run(executor.updatedAt, executor.id);
  return walkOf(deps, executor.id, executor.name, executor.updatedAt);
}

/** Ends the walk due for executor `executorId`, if any (it is no longer keyed). */
export function keyingEnd(deps: Statements, executorId: string): void {
  deps.stmt(
    "UPDATE executors SET keying_version = NULL WHERE id = ? AND keying_version IS NOT NULL",
  )
    .run(executorId);
}

/**
 * The walks due that began at or before `startedBy` (epoch ms), each from the start: a walk
 * keeps its position in memory only.
 */
export function keyingsDue(deps: Statements, startedBy: number): KeyingWalk[] {
  const rows = deps.stmt(
    `SELECT id, name, keying_version FROM executors
     WHERE keying_version IS NOT NULL AND keying_version <= ? ORDER BY name`,
  ).all(startedBy);
  return rows.map((row) =>
    walkOf(deps, row.id as string, row.name as string, Number(row.keying_version))
  );
}

function walkOf(
  deps: Statements,
  executorId: string,
  executorName: string,
  version: number,
): KeyingWalk {
  const upto = Number(deps.stmt("SELECT coalesce(max(rowid), 0) AS n FROM tasks").get()!.n);
  return { executorId, executorName, version, after: 0, upto };
}

/**
 * Inside a claim made without keys (`claimed`: the JSON array of the rowids it leased), while a
 * keying walk of the executor is due: gives the claimed tasks the empty key, so that the keyed
 * claim counts them in progress. Such a claim comes from a manager that has not yet seen the
 * executor become keyed (its copy is refreshed every few seconds).
 */
export function keyClaimedWhileKeying(
  deps: Statements,
  options: { executorName: string },
  claimed: string,
): void {
  const keying = deps.stmt(
    "SELECT 1 FROM executors WHERE name = ? AND keying_version IS NOT NULL",
  ).get(options.executorName);
  if (!keying) return;
  deps.stmt(
    `UPDATE tasks SET group_key = '' WHERE rowid IN (SELECT value FROM json_each(?))
       AND group_key IS NULL`,
  ).run(claimed);
}

/**
 * One step of `walk`, in the caller's write transaction: keys the executor's tasks among the next
 * `KEYING_STEP_ROWS` rows and moves `walk.after` on; `done` once it has reached `upto` (and the
 * mark is cleared). `ended` when the walk stopped without a step: the executor is gone, or a
 * later change ended or took over its walk.
 */
export function keyTasksStep(
  deps: Statements,
  walk: KeyingWalk,
): { ended: boolean; done: boolean } {
  const executor = deps.stmt("SELECT keying_version FROM executors WHERE id = ?")
    .get(walk.executorId);
  // A rename while keyed begins another walk: the version tells them apart.
  if (
    !executor || executor.keying_version === null ||
    Number(executor.keying_version) !== walk.version
  ) {
    return { ended: true, done: true };
  }
  // The next rows that exist: rowids left by deleted tasks cost nothing.
  const last = deps.stmt(
    `SELECT max(rowid) AS n FROM (SELECT rowid FROM tasks WHERE rowid > ? AND rowid <= ?
       ORDER BY rowid LIMIT ${KEYING_STEP_ROWS})`,
  ).get(walk.after, walk.upto)!.n;
  const upto = last === null ? walk.upto : Number(last);
  // `+executor_name`: the range of rowids is the search, not the executor's index (every step
  // would read all its tasks).
  deps.stmt(
    `UPDATE tasks SET group_key = '' WHERE rowid > ? AND rowid <= ? AND +executor_name = ?
       AND group_key IS NULL`,
  ).run(walk.after, upto, walk.executorName);
  walk.after = upto;
  if (upto < walk.upto) return { ended: false, done: false };
  keyingEnd(deps, walk.executorId);
  return { ended: false, done: true };
}
