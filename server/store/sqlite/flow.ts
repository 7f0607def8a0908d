/**
 * Flow control in the embedded store: rate-limit buckets (GCRA `tat` per executor and per group
 * key) in the table `flow_rates`, and the claim of an executor with flow control — a round-robin
 * walk over its group keys, in the claim's own write transaction so every process sharing the
 * file sees one state.
 *
 * The tasks of a keyed executor (`isKeyed`) always have a group key, `""` for those without one
 * (`groupKeyOf`); only they are in the group indexes, so executors without keys pay nothing for
 * them. Two writes keep it so: an insert keys its task by the executor as it is at that moment,
 * in the insert's transaction (`SqliteTasks.insertRow`), not by the creator's possibly older
 * copy; and an executor that is created keyed or becomes keyed has its older tasks' missing keys
 * set to `""` by a walk over the table, a range of rows per transaction (`KeyingWalk`), which any
 * manager finishes if the one that began it stops.
 *
 * The walk visits only keys with a task ready now (`FLOW_QUERIES.nextReadyKey`): the keys between
 * are passed inside SQLite, two index seeks each, at most `KEYS_PASSED` per step. A claim that
 * stops on that bound leaves the rest of the cycle to the next claim, and `taskNextRunAt` says
 * to claim again at once (`lookAgain`) until a whole cycle has been walked with nothing ready:
 * keys that hold only delayed tasks (a retry's backoff, a `runAt` to come) cost a task ready
 * behind them one pass, not one poll per `limit + EXTRA_VISITS` of them.
 *
 * Query plans (`EXPLAIN QUERY PLAN` of `FLOW_QUERIES`, checked by tests/flow_store_test.ts):
 * - the next key with a ready task: per key passed, `SEARCH tasks USING COVERING INDEX
 *   tasks_pending_group (executor_name=? AND group_key>?)` and `SEARCH tasks USING COVERING
 *   INDEX tasks_pending_group_due (executor_name=? AND group_key=? AND run_at<?)` — two seeks,
 *   however many tasks the key holds;
 * - a group's ready tasks (the claim's selection): `SEARCH tasks USING COVERING INDEX
 *   tasks_pending_group (executor_name=? AND group_key=?)`, in claim order with no sort;
 * - a group's running tasks: `SEARCH tasks USING COVERING INDEX tasks_running_group
 *   (executor_name=? AND group_key=?)` — counts at most the tasks in progress of one key.
 * The claim without keys is unchanged: `SEARCH tasks USING COVERING INDEX tasks_pending
 * (executor_name=?)`.
 */
import type { StatementSync } from "node:sqlite";
import { type FlowControl, gcraTake, isKeyed, type RateLimit } from "../../domain/flow.ts";
import type { ClaimOptions } from "../store.ts";
import { limitOf } from "./connection.ts";

/** Tables and indexes; run after the `group_key` and `flow` columns exist. */
export const FLOW_SCHEMA = `
CREATE TABLE IF NOT EXISTS flow_rates (
  executor_name TEXT NOT NULL,
  bucket TEXT NOT NULL,
  tat REAL NOT NULL,
  PRIMARY KEY (executor_name, bucket)
) WITHOUT ROWID;
-- Pending tasks per group key in claim order: the keyed claim's walk. Tasks of executors without
-- keys (group_key NULL) are not in these indexes and cost them nothing.
CREATE INDEX IF NOT EXISTS tasks_pending_group
  ON tasks (executor_name, group_key, priority DESC, run_at, id)
  WHERE status = 'pending' AND group_key IS NOT NULL;
-- Pending tasks per group key by due time: whether a key has a task ready, in one seek.
CREATE INDEX IF NOT EXISTS tasks_pending_group_due
  ON tasks (executor_name, group_key, run_at) WHERE status = 'pending' AND group_key IS NOT NULL;
-- Tasks in progress per group key: keyed concurrency.
CREATE INDEX IF NOT EXISTS tasks_running_group
  ON tasks (executor_name, group_key) WHERE status = 'in_progress' AND group_key IS NOT NULL;
`;

/** The columns that hold flow control: added to databases made before it. */
export const FLOW_COLUMNS = [
  { table: "tasks", column: "group_key", sql: "ALTER TABLE tasks ADD COLUMN group_key TEXT" },
  { table: "executors", column: "flow", sql: "ALTER TABLE executors ADD COLUMN flow TEXT" },
  // Version 9: a keying walk is due (`keyingBegin`).
  {
    table: "executors",
    column: "keying_version",
    sql: "ALTER TABLE executors ADD COLUMN keying_version INTEGER",
  },
];

/** The bucket of the executor-wide rate limit, and of one key's. */
const EXECUTOR_BUCKET = "";
const keyBucket = (key: string) => `=${key}`;

/** Most group visits of one claim beyond its limit: keys with no room are skipped this often. */
const EXTRA_VISITS = 64;

/** What the keyed claim needs from the store, inside one write transaction. */
export interface FlowClaimDeps {
  stmt(sql: string): StatementSync;
  /**
   * Claims up to `limit` ready tasks of `options.executorName` whose ids the SQL `where` (a
   * condition on `tasks`, with parameters `$executor`, `$now`, `$limit`, `$group`) selects, in
   * claim order; rows as the claim returns them (claim.ts).
   */
  claim(where: string, params: { limit: number; group?: string | null }): unknown[][];
}

/** Keys one step of the walk passes at most, when none of them has a task ready (two seeks each). */
const KEYS_PASSED = 1024;

/**
 * How long a walk that went a whole cycle without a ready key waits before it may pass every key
 * again (claims meanwhile take one step each): it bounds the cost of executors whose keys hold
 * only delayed tasks to one cycle a second, while a task coming due wakes the dispatcher anyway.
 */
const IDLE_RECHECK_MS = 1000;

/** Where an executor's walk is, in this process. */
interface Walk {
  /** The last key visited or passed (`undefined`: the cycle's start). */
  position?: string;
  /** Ends of the cycle passed since a claim last got a task. */
  idleEnds: number;
  /** When `idleEnds` reached 2: a whole cycle with nothing ready. */
  idleAt: number;
  /** The last claim stopped on `KEYS_PASSED` before a whole cycle was walked. */
  unfinished: boolean;
}
type Walks = Map<string, Walk>;

/** Claims between two prunings of an executor's full buckets (`pruneRates`). */
const PRUNE_EVERY = 1024;

/**
 * The claim of executors with flow control. The round-robin position is this process's own
 * (fairness needs no agreement between managers; the limits live in the file).
 */
export class SqliteFlowClaim {
  readonly #walks: Walks = new Map();
  #claims = 0;

  /**
   * Claims inside the caller's write transaction: the executor-wide bucket caps the count; keyed
   * executors walk their groups round-robin from where the last claim stopped, taking from each
   * what its bucket and `maxConcurrencyPerKey` allow.
   */
  claim(deps: FlowClaimDeps, options: ClaimOptions & { flow: FlowControl }): unknown[][] {
    if (++this.#claims % PRUNE_EVERY === 0) pruneRates(deps, options.executorName, options.now);
    return claimWithFlow(deps, options, this.#walks);
  }

  /**
   * Whether the last claim of `executor` stopped partway through its keys (`KEYS_PASSED`), so
   * that a claim now may find tasks the last one did not reach.
   */
  lookAgain(executor: string): boolean {
    return this.#walks.get(executor)?.unfinished ?? false;
  }
}

function claimWithFlow(
  deps: FlowClaimDeps,
  options: ClaimOptions & { flow: FlowControl },
  walks: Walks,
): unknown[][] {
  const { flow, executorName: executor, now } = options;
  let limit = options.limit;
  const wide = flow.rateLimit;
  const wideTat = wide ? readTat(deps, executor, EXECUTOR_BUCKET) : 0;
  if (wide) limit = gcraTake(wideTat, { now, want: limit, rate: wide }).granted;
  const rows = limit <= 0
    ? []
    : isKeyed(flow)
    ? walkGroups(deps, { ...options, limit }, walks)
    : deps.claim(READY, { limit });
  if (wide) {
    const at = { executor, bucket: EXECUTOR_BUCKET, tat: wideTat };
    settleTat(deps, at, { count: rows.length, rate: wide, now });
  }
  return rows;
}

const READY = `executor_name = $executor AND status = 'pending' AND run_at <= $now`;
const READY_IN_GROUP = `${READY} AND group_key = $group`;

/** The reads of the keyed walk (their plans are in the module doc and checked by a test). */
export const FLOW_QUERIES = {
  running: `SELECT count(*) AS n FROM tasks
    WHERE executor_name = ? AND status = 'in_progress' AND group_key = ?`,
  /** The selection the claim then updates (see `#claimWhere` in claim.ts). */
  readyInGroup: `SELECT rowid FROM tasks WHERE ${READY_IN_GROUP}
    ORDER BY priority DESC, run_at, id ${limitOf("$limit")}`,
};

/** Whether the key `key` (SQL) of `$executor` has a task ready at `$now`: one seek. */
const keyReady = (key: string) =>
  `EXISTS (SELECT 1 FROM tasks WHERE executor_name = $executor AND status = 'pending'
    AND group_key = ${key} AND run_at <= $now)`;

/**
 * The next key after `$after` (from the first one, `$after` = `''`, when `from` is `>=`) that has
 * a task ready, passing at most `$most` keys: one row, `key` and `ready` — the key found
 * (`ready` 1), the last key passed when `$most` ran out first (`ready` 0), or `key` NULL at the
 * end of the cycle. Its plan is two seeks per key (module doc; checked by a test).
 */
export const nextReadyKey = (from: ">" | ">=") => `
WITH RECURSIVE passed(key, n) AS (
  SELECT (SELECT group_key FROM tasks WHERE executor_name = $executor AND status = 'pending'
            AND group_key ${from} $after ORDER BY group_key LIMIT 1), 1
  UNION ALL
  SELECT (SELECT group_key FROM tasks WHERE executor_name = $executor AND status = 'pending'
            AND group_key > passed.key ORDER BY group_key LIMIT 1), n + 1
  FROM passed
  WHERE passed.key IS NOT NULL AND n < $most AND NOT ${keyReady("passed.key")}
)
-- The last row (SQLite gives a bare column the values of the max() row), checked once.
SELECT key, ${keyReady("key")} AS ready FROM (SELECT key, max(n) FROM passed)`;

function walkGroups(
  deps: FlowClaimDeps,
  options: ClaimOptions & { flow: FlowControl },
  walks: Walks,
): unknown[][] {
  const { flow, executorName: executor, now } = options;
  const first = deps.stmt(nextReadyKey(">="));
  const after = deps.stmt(nextReadyKey(">"));
  const running = deps.stmt(FLOW_QUERIES.running);
  const walk = walks.get(executor) ?? { idleEnds: 0, idleAt: 0, unfinished: false };
  walks.set(executor, walk);
  if (walk.idleEnds >= 2 && now - walk.idleAt >= IDLE_RECHECK_MS) walk.idleEnds = 0;
  walk.unfinished = false;
  const rows: unknown[][] = [];
  let position = walk.position;
  let quantum = 1;
  let served = 0;
  let ends = 0;
  const maxVisits = options.limit + EXTRA_VISITS;
  for (let visits = 0; visits < maxVisits && rows.length < options.limit; visits++) {
    const row = (position === undefined ? first : after).get({
      executor,
      after: position ?? "",
      now,
      most: KEYS_PASSED,
    })!;
    const group = row.key as string | null;
    if (group === null) {
      // The end of the cycle: stop after a whole cycle that gave nothing; else share what is left
      // among the groups that gave.
      if (rows.length === 0 && ++walk.idleEnds === 2) walk.idleAt = now;
      if (ends++ > 0 && served === 0) break;
      if (served > 0) quantum = Math.ceil((options.limit - rows.length) / served);
      served = 0;
      position = undefined;
      continue;
    }
    position = group;
    if (!row.ready) {
      // `KEYS_PASSED` keys without a ready task: the next claim goes on from here, at once while
      // this run of idle claims has not yet walked a whole cycle.
      walk.unfinished = walk.idleEnds < 2;
      break;
    }
    let want = Math.min(quantum, options.limit - rows.length);
    if (flow.maxConcurrencyPerKey > 0) {
      const n = (running.get(executor, group) as { n: number }).n;
      want = Math.min(want, flow.maxConcurrencyPerKey - n);
    }
    const perKey = want > 0 ? flow.rateLimitPerKey : null;
    const bucket = keyBucket(group);
    const tat = perKey ? readTat(deps, executor, bucket) : 0;
    if (perKey) want = gcraTake(tat, { now, want, rate: perKey }).granted;
    const got = want > 0 ? deps.claim(READY_IN_GROUP, { limit: want, group }) : [];
    if (perKey) {
      settleTat(deps, { executor, bucket, tat }, { count: got.length, rate: perKey, now });
    }
    if (got.length === 0) continue;
    served++;
    rows.push(...got);
  }
  walk.position = position;
  if (rows.length > 0) walk.idleEnds = 0;
  return rows;
}

/**
 * Writes a bucket's `tat` after `count` starts at `now`: when there were any, and when the cap of
 * `gcraTake` lowered a `tat` left by another rate though nothing started (else the cap, taken
 * from a later `now` at each claim, would hold the bucket drained until the old `tat` came).
 */
function settleTat(
  deps: FlowClaimDeps,
  at: { executor: string; bucket: string; tat: number },
  options: { count: number; rate: RateLimit; now: number },
): void {
  const { count, rate, now } = options;
  const tat = gcraTake(at.tat, { now, want: count, rate }).tat;
  if (count > 0 || tat < at.tat) writeTat(deps, at.executor, at.bucket, tat);
}

function readTat(deps: FlowClaimDeps, executor: string, bucket: string): number {
  const row = deps.stmt("SELECT tat FROM flow_rates WHERE executor_name = ? AND bucket = ?")
    .get(executor, bucket);
  return row ? row.tat as number : 0;
}

function writeTat(deps: FlowClaimDeps, executor: string, bucket: string, tat: number): void {
  deps.stmt(
    `INSERT INTO flow_rates (executor_name, bucket, tat) VALUES (?, ?, ?)
     ON CONFLICT (executor_name, bucket) DO UPDATE SET tat = excluded.tat`,
  ).run(executor, bucket, tat);
}

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
  deps: Pick<FlowClaimDeps, "stmt">,
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
export function keyingEnd(deps: Pick<FlowClaimDeps, "stmt">, executorId: string): void {
  deps.stmt(
    "UPDATE executors SET keying_version = NULL WHERE id = ? AND keying_version IS NOT NULL",
  )
    .run(executorId);
}

/**
 * The walks due that began at or before `startedBy` (epoch ms), each from the start: a walk
 * keeps its position in memory only.
 */
export function keyingsDue(deps: Pick<FlowClaimDeps, "stmt">, startedBy: number): KeyingWalk[] {
  const rows = deps.stmt(
    `SELECT id, name, keying_version FROM executors
     WHERE keying_version IS NOT NULL AND keying_version <= ? ORDER BY name`,
  ).all(startedBy);
  return rows.map((row) =>
    walkOf(deps, row.id as string, row.name as string, Number(row.keying_version))
  );
}

function walkOf(
  deps: Pick<FlowClaimDeps, "stmt">,
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
  deps: Pick<FlowClaimDeps, "stmt">,
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
  deps: Pick<FlowClaimDeps, "stmt">,
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

/**
 * Deletes every bucket of an executor: called in the transaction that deletes it, so that an
 * executor later made with the same name does not inherit its predecessor's `tat`s.
 */
export function forgetRatesOf(deps: Pick<FlowClaimDeps, "stmt">, executor: string): void {
  deps.stmt("DELETE FROM flow_rates WHERE executor_name = ?").run(executor);
}

/**
 * Deletes the buckets of an executor that are full again (`tat` at or before `now`: the same as
 * no row), so that a row per key does not outlive the key's traffic.
 */
function pruneRates(deps: Pick<FlowClaimDeps, "stmt">, executor: string, now: number): void {
  deps.stmt("DELETE FROM flow_rates WHERE executor_name = ? AND tat <= ?").run(executor, now);
}
