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
 * set to `""` by a walk over the table, a range of rows per transaction (keying.ts), which any
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
import {
  type FlowControl,
  gcraTake,
  isKeyed,
  rateBucketsPrunedAt,
  type RateLimit,
} from "../../domain/flow.ts";
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
  // Version 9: a keying walk is due (keying.ts).
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

/** A claim under flow control. */
export type FlowClaimOptions = ClaimOptions & {
  flow: FlowControl;
  /**
   * The time (epoch ms) the rate buckets are taken at (`bucketTime`, read inside the claim's
   * transaction): claims reach the buckets in the order they hold the write lock, and a claim whose
   * `now` was read before another manager's claim held it would find that claim's debt ahead of
   * its own time; the cap of `gcraTake` would take it for a debt of another rate and write the
   * bucket back to full.
   */
  rateNow: number;
};

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
  claim(deps: FlowClaimDeps, options: FlowClaimOptions): unknown[][] {
    if (++this.#claims % PRUNE_EVERY === 0) pruneRates(deps, options.executorName, options.rateNow);
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
  options: FlowClaimOptions,
  walks: Walks,
): unknown[][] {
  const { flow, executorName: executor, rateNow } = options;
  let limit = options.limit;
  const wide = flow.rateLimit;
  const wideTat = wide ? readTat(deps, executor, EXECUTOR_BUCKET) : 0;
  if (wide) limit = gcraTake(wideTat, { now: rateNow, want: limit, rate: wide }).granted;
  const rows = limit <= 0
    ? []
    : isKeyed(flow)
    ? walkGroups(deps, { ...options, limit }, walks)
    : deps.claim(READY, { limit });
  if (wide) {
    const at = { executor, bucket: EXECUTOR_BUCKET, tat: wideTat };
    settleTat(deps, at, { count: rows.length, rate: wide, now: rateNow });
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
  options: FlowClaimOptions,
  walks: Walks,
): unknown[][] {
  const { flow, executorName: executor, now, rateNow } = options;
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
    if (perKey) want = gcraTake(tat, { now: rateNow, want, rate: perKey }).granted;
    const got = want > 0 ? deps.claim(READY_IN_GROUP, { limit: want, group }) : [];
    if (perKey) {
      const settle = { count: got.length, rate: perKey, now: rateNow };
      settleTat(deps, { executor, bucket, tat }, settle);
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
 * Deletes every bucket of an executor: called in the transaction that deletes it, so that an
 * executor later made with the same name does not inherit its predecessor's `tat`s.
 */
export function forgetRatesOf(deps: Pick<FlowClaimDeps, "stmt">, executor: string): void {
  deps.stmt("DELETE FROM flow_rates WHERE executor_name = ?").run(executor);
}

/**
 * Deletes the buckets of an executor that have been full again (the same as no row) for
 * `RATE_BUCKET_KEEP_MS`, so that a row per key does not outlive the key's traffic.
 */
function pruneRates(deps: Pick<FlowClaimDeps, "stmt">, executor: string, now: number): void {
  deps.stmt("DELETE FROM flow_rates WHERE executor_name = ? AND tat <= ?")
    .run(executor, rateBucketsPrunedAt(now));
}
