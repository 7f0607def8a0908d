/**
 * History on the embedded store: one row per (minute, executor) with a column per count and per
 * histogram bucket, added to with `INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c`.
 */
import type { StatementSync } from "node:sqlite";
import {
  addSlot,
  emptySlot,
  HISTOGRAM_LENGTH,
  HISTORY_COUNTS,
  type HistoryDelta,
  type HistoryPoint,
} from "../../domain/history.ts";
import type { HistoryQuery, HistoryStore } from "../history.ts";
import { ThreadSlices } from "../../thread_slices.ts";

const buckets = (prefix: string) =>
  Array.from({ length: HISTOGRAM_LENGTH }, (_, i) => `${prefix}${i}`);
/** `q0…` queue wait buckets, `r0…` run time buckets. */
const QUEUE = buckets("q");
const RUN = buckets("r");
const COUNT_COLUMNS = HISTORY_COUNTS.map((name) =>
  name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
);
const VALUE_COLUMNS = [...COUNT_COLUMNS, ...QUEUE, ...RUN];

/** The history table; run by the store when it opens (its primary key serves every query). */
export const HISTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS history (
  minute INTEGER NOT NULL,
  executor_name TEXT NOT NULL,
  ${VALUE_COLUMNS.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(",\n  ")},
  PRIMARY KEY (minute, executor_name)
) WITHOUT ROWID;
`;

const ADD = `INSERT INTO history (minute, executor_name, ${VALUE_COLUMNS.join(", ")})
  VALUES (?, ?, ${VALUE_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (minute, executor_name) DO UPDATE SET
  ${VALUE_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;

/** Rows one statement of `historyRead` sums (~1.3 µs a row: about 3 ms). */
const READ_CHUNK_ROWS = 2000;
/** Rows one transaction of `historyPrune` deletes. */
const PRUNE_CHUNK_ROWS = 1000;

const SUMS = VALUE_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(", ");

/**
 * The statements that read and prune history a chunk at a time, each a search of the primary key
 * (minute, executor) that stops at a key it read first. Exported for the plan checks in tests.
 */
export const HISTORY_CHUNK_QUERIES = {
  /** The key `READ_CHUNK_ROWS` rows on from the start (`$from`) or a key (`$m`, `$e`). */
  chunkEnd: (first: boolean) =>
    `SELECT minute, executor_name FROM history
     WHERE ${first ? "minute >= $from" : "(minute, executor_name) > ($m, $e)"} AND minute < $to
     ORDER BY minute, executor_name LIMIT 1 OFFSET ${READ_CHUNK_ROWS - 1}`,
  /** The sums per minute from there up to that key (`$lm`, `$le`), or to `$to`. */
  chunkSums: (first: boolean, toKey: boolean, oneExecutor: boolean) =>
    `SELECT minute, ${SUMS} FROM history
     WHERE ${first ? "minute >= $from" : "(minute, executor_name) > ($m, $e)"}
       AND ${toKey ? "(minute, executor_name) <= ($lm, $le)" : "minute < $to"}
       ${oneExecutor ? "AND executor_name = $executor" : ""}
     GROUP BY minute`,
  /** The key of the `PRUNE_CHUNK_ROWS`th row before a minute. */
  pruneEnd: `SELECT minute, executor_name FROM history WHERE minute < ?
    ORDER BY minute, executor_name LIMIT 1 OFFSET ${PRUNE_CHUNK_ROWS - 1}`,
  /**
   * The rows up to that key (the older ones are gone): by the key alone, so that the statement
   * reads that range and not every row before the minute.
   */
  pruneUpTo: "DELETE FROM history WHERE (minute, executor_name) <= (?, ?)",
  /** The last rows before the minute, fewer than a chunk. */
  pruneRest: "DELETE FROM history WHERE minute < ?",
};

/** How the store runs statements: in its write transaction, or as a read. */
export interface SqliteRunner {
  write<T>(fn: () => T): T;
  read<T>(fn: () => T): T;
  stmt(sql: string): StatementSync;
}

/** `HistoryStore` over the embedded store's database. */
export class SqliteHistory implements HistoryStore {
  readonly #run: SqliteRunner;

  constructor(run: SqliteRunner) {
    this.#run = run;
  }

  // deno-lint-ignore require-await
  async historyAdd(deltas: HistoryDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    this.#run.write(() => {
      const add = this.#run.stmt(ADD);
      for (const delta of deltas) {
        add.run(
          delta.minute,
          delta.executorName,
          ...HISTORY_COUNTS.map((name) => delta.counts[name]),
          ...QUEUE.map((_, i) => delta.queueWaitMs[i] ?? 0),
          ...RUN.map((_, i) => delta.runTimeMs[i] ?? 0),
        );
      }
    });
  }

  /**
   * Sums `READ_CHUNK_ROWS` rows at a time in key order, per minute (the key's order: no sort), and
   * adds the minutes up into points, the thread given back between slices: one statement over a
   * week of 50 executors (504,000 rows) held it 650 ms.
   */
  async historyRead(query: HistoryQuery): Promise<HistoryPoint[]> {
    const points = new Map<number, HistoryPoint>();
    const slices = new ThreadSlices();
    let start: Record<string, string | number> | null = null;
    while (!query.signal?.aborted) {
      const first: boolean = start === null;
      const from: Record<string, string | number> = start ?? { from: query.from };
      // The key the chunk ends at (none: the rest fits in it).
      const last: Record<string, unknown> | undefined = this.#run.read(() =>
        this.#run.stmt(HISTORY_CHUNK_QUERIES.chunkEnd(first)).get({ ...from, to: query.to })
      );
      const end: Record<string, string | number> = last
        ? { lm: last.minute as number, le: last.executor_name as string }
        : { to: query.to };
      const one = query.executorName !== undefined;
      const rows = this.#run.read(() =>
        this.#run.stmt(HISTORY_CHUNK_QUERIES.chunkSums(first, last !== undefined, one))
          .all({ ...from, ...end, ...(one ? { executor: query.executorName! } : {}) })
      );
      for (const row of rows) {
        const minute = Number(row.minute);
        const at = query.from + Math.trunc((minute - query.from) / query.step) * query.step;
        const point = pointOf(row, at);
        const known = points.get(at);
        if (known) addSlot(known, point);
        else points.set(at, point);
      }
      if (!last) break;
      start = { m: last.minute as number, e: last.executor_name as string };
      await slices.turn();
    }
    return [...points.values()].sort((a, b) => a.at - b.at);
  }

  /**
   * Deletes `PRUNE_CHUNK_ROWS` rows per transaction, oldest first, the thread given back between
   * slices: one statement deleting 432,000 rows held it 77 ms.
   */
  async historyPrune(before: number): Promise<number> {
    const slices = new ThreadSlices();
    let deleted = 0;
    for (;;) {
      const changes = this.#run.write(() => {
        const last = this.#run.stmt(HISTORY_CHUNK_QUERIES.pruneEnd).get(before);
        return Number(
          last
            ? this.#run.stmt(HISTORY_CHUNK_QUERIES.pruneUpTo).run(last.minute, last.executor_name)
              .changes
            : this.#run.stmt(HISTORY_CHUNK_QUERIES.pruneRest).run(before).changes,
        );
      });
      deleted += changes;
      if (changes < PRUNE_CHUNK_ROWS) return deleted;
      await slices.turn();
    }
  }
}

/** The point at `at` of a row of sums. */
function pointOf(row: Record<string, unknown>, at: number): HistoryPoint {
  const point: HistoryPoint = { at, ...emptySlot() };
  HISTORY_COUNTS.forEach((name, i) => (point.counts[name] = Number(row[COUNT_COLUMNS[i]])));
  QUEUE.forEach((c, i) => (point.queueWaitMs[i] = Number(row[c])));
  RUN.forEach((c, i) => (point.runTimeMs[i] = Number(row[c])));
  return point;
}
