/**
 * History on the embedded store: one row per (minute, executor) with a column per count and per
 * histogram bucket, added to with `INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c`; the same
 * rows per roll-up span (`ROLLUP_SPANS_MS`: `history_15m`, `history_60m`), added to in the same
 * transaction, and the time from which those hold everything (`history_rollups`).
 */
import type { StatementSync } from "node:sqlite";
import {
  emptySlot,
  HISTOGRAM_LENGTH,
  HISTORY_COUNTS,
  type HistoryDelta,
  type HistoryPoint,
  type HistorySlot,
  rollupsSinceFor,
  spanStartOf,
} from "../../domain/history.ts";
import {
  HISTORY_TABLES,
  type HistoryQuery,
  historyReadParts,
  type HistoryStore,
  HistorySums,
  type HistoryTable,
  LONGEST_ROLLUP_TABLE,
  MINUTE_TABLE,
  pruneCutoff,
} from "../history.ts";
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

/** The tables; run by the store when it opens (their primary keys serve every query). */
export const HISTORY_SCHEMA = HISTORY_TABLES.map((table) => `
CREATE TABLE IF NOT EXISTS ${table.name} (
  ${table.key} INTEGER NOT NULL,
  executor_name TEXT NOT NULL,
  ${VALUE_COLUMNS.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(",\n  ")},
  PRIMARY KEY (${table.key}, executor_name)
) WITHOUT ROWID;`).join("\n") + `
CREATE TABLE IF NOT EXISTS history_rollups (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  since INTEGER NOT NULL
);
`;

const addTo = (table: HistoryTable) =>
  `INSERT INTO ${table.name} (${table.key}, executor_name, ${VALUE_COLUMNS.join(", ")})
  VALUES (?, ?, ${VALUE_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT (${table.key}, executor_name) DO UPDATE SET
  ${VALUE_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;

/** Rows one statement of `historyRead` sums (~1.3 µs a row: about 3 ms). */
const READ_CHUNK_ROWS = 2000;
/** Rows one transaction of `historyPrune` deletes. */
const PRUNE_CHUNK_ROWS = 1000;

const SUMS = VALUE_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(", ");

/**
 * The statements that read and prune a history table a chunk at a time, each a search of its
 * primary key (start, executor) that stops at a key it read first.
 */
function chunkQueries({ name, key }: HistoryTable) {
  return {
    /** The key `READ_CHUNK_ROWS` rows on from the start (`$from`) or a key (`$m`, `$e`). */
    chunkEnd: (first: boolean) =>
      `SELECT ${key} AS at, executor_name FROM ${name}
       WHERE ${first ? `${key} >= $from` : `(${key}, executor_name) > ($m, $e)`} AND ${key} < $to
       ORDER BY ${key}, executor_name LIMIT 1 OFFSET ${READ_CHUNK_ROWS - 1}`,
    /** The sums per start from there up to that key (`$lm`, `$le`), or to `$to`. */
    chunkSums: (first: boolean, toKey: boolean, executors: "all" | "one" | "each") =>
      `SELECT ${key} AS at, ${executors === "each" ? "executor_name," : ""} ${SUMS} FROM ${name}
       WHERE ${first ? `${key} >= $from` : `(${key}, executor_name) > ($m, $e)`}
         AND ${toKey ? `(${key}, executor_name) <= ($lm, $le)` : `${key} < $to`}
         ${executors === "one" ? "AND executor_name = $executor" : ""}
         ${
        executors === "each" ? "AND executor_name IN (SELECT value FROM json_each($executors))" : ""
      }
       GROUP BY ${key}${executors === "each" ? ", executor_name" : ""}`,
    /** The key of the `PRUNE_CHUNK_ROWS`th row that starts before a time. */
    pruneEnd: `SELECT ${key} AS at, executor_name FROM ${name} WHERE ${key} < ?
      ORDER BY ${key}, executor_name LIMIT 1 OFFSET ${PRUNE_CHUNK_ROWS - 1}`,
    /**
     * The rows up to that key (the older ones are gone): by the key alone, so that the statement
     * reads that range and not every row before the time.
     */
    pruneUpTo: `DELETE FROM ${name} WHERE (${key}, executor_name) <= (?, ?)`,
    /** The last rows before the time, fewer than a chunk. */
    pruneRest: `DELETE FROM ${name} WHERE ${key} < ?`,
  };
}

/** How the store runs statements: in its write transaction, or as a read. */
export interface SqliteRunner {
  write<T>(fn: () => T): T;
  read<T>(fn: () => T): T;
  stmt(sql: string): StatementSync;
}

/** `HistoryStore` over the embedded store's database. */
export class SqliteHistory implements HistoryStore {
  readonly #run: SqliteRunner;
  /** `history_rollups.since` once read (it never changes once set). */
  #since: number | null = null;

  constructor(run: SqliteRunner) {
    this.#run = run;
  }

  // deno-lint-ignore require-await
  async historyAdd(deltas: HistoryDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    const since = this.#run.write(() => {
      if (this.#since === null && this.#storedSince() === null) {
        const kept = this.#run.stmt("SELECT max(minute) AS latest FROM history").get()?.latest;
        this.#run.stmt("INSERT INTO history_rollups (id, since) VALUES (1, ?)")
          .run(rollupsSinceFor(deltas, kept == null ? null : Number(kept)));
      }
      for (const table of HISTORY_TABLES) {
        const add = this.#run.stmt(addTo(table));
        for (const delta of deltas) {
          add.run(
            spanStartOf(delta.minute, table.span),
            delta.executorName,
            ...HISTORY_COUNTS.map((name) => delta.counts[name]),
            ...QUEUE.map((_, i) => delta.queueWaitMs[i] ?? 0),
            ...RUN.map((_, i) => delta.runTimeMs[i] ?? 0),
          );
        }
      }
      return this.#since ?? this.#storedSince();
    });
    // Kept once committed (the first value stored wins, whoever stored it).
    this.#since = since;
  }

  /**
   * Sums minutes, or the rows of the longest roll-up span that fits the query from the time the
   * roll-ups hold everything (minutes before it), `READ_CHUNK_ROWS` rows at a time in key order
   * (no sort), and adds them up into points, the thread given back between slices: one statement
   * over a week of 50 executors (504,000 minutes) held it 650 ms.
   */
  async historyRead(query: HistoryQuery): Promise<HistoryPoint[]> {
    const sums = new HistorySums(query);
    const slices = new ThreadSlices();
    for (const part of await historyReadParts(query, () => this.#rollupsSince())) {
      await this.#sum(part.table, part, query, { sums: () => sums, slices });
    }
    return sums.points();
  }

  /** `historyRead` of each of `executorNames`, its rows read as one read of them all. */
  async historyReadEach(
    query: HistoryQuery,
    executorNames: readonly string[],
  ): Promise<Map<string, HistoryPoint[]>> {
    const each = new Map(executorNames.map((name) => [name, new HistorySums(query)]));
    const slices = new ThreadSlices();
    const { executorName: _, ...window } = query;
    for (const part of await historyReadParts(window, () => this.#rollupsSince())) {
      await this.#sum(part.table, part, window, {
        sums: (name) => each.get(name!)!,
        slices,
        executorNames,
      });
    }
    return new Map([...each].map(([name, sums]) => [name, sums.points()]));
  }

  // deno-lint-ignore require-await
  async historyNamesHeld(executorNames: readonly string[]): Promise<Set<string>> {
    if (executorNames.length === 0) return new Set();
    // Before any add of this version, every minute is one an older version added.
    const since = this.#rollupsSince() ?? Number.MAX_SAFE_INTEGER;
    const names = "SELECT value FROM json_each($names)";
    const rows = this.#run.read(() =>
      this.#run.stmt(
        `SELECT DISTINCT executor_name FROM ${LONGEST_ROLLUP_TABLE.name}
         WHERE executor_name IN (${names})
         UNION SELECT DISTINCT executor_name FROM ${MINUTE_TABLE.name}
         WHERE minute < $since AND executor_name IN (${names})`,
      ).all({ names: JSON.stringify(executorNames), since })
    );
    return new Set(rows.map((row) => row.executor_name as string));
  }

  /** The time from which the roll-ups hold everything; `null` before anything was added. */
  #rollupsSince(): number | null {
    this.#since ??= this.#run.read(() => this.#storedSince());
    return this.#since;
  }

  /** `history_rollups.since` as stored, `null` when not yet. */
  #storedSince(): number | null {
    const row = this.#run.stmt("SELECT since FROM history_rollups WHERE id = 1").get();
    return row ? Number(row.since) : null;
  }

  /** Adds the rows of `table` starting in [`range.from`, `range.to`) into the query's sums. */
  async #sum(
    table: HistoryTable,
    range: { from: number; to: number },
    query: HistoryQuery,
    into: {
      sums: (executorName: string | undefined) => HistorySums;
      slices: ThreadSlices;
      executorNames?: readonly string[];
    },
  ): Promise<void> {
    const queries = chunkQueries(table);
    const one = query.executorName !== undefined;
    const executors = into.executorNames ? "each" : one ? "one" : "all";
    const names: Record<string, string> = into.executorNames
      ? { executors: JSON.stringify(into.executorNames) }
      : {};
    let start: Record<string, string | number> | null = null;
    while (!query.signal?.aborted) {
      const first: boolean = start === null;
      const from: Record<string, string | number> = start ?? { from: range.from };
      // The key the chunk ends at (none: the rest fits in it).
      const last: Record<string, unknown> | undefined = this.#run.read(() =>
        this.#run.stmt(queries.chunkEnd(first)).get({ ...from, to: range.to })
      );
      const end: Record<string, string | number> = last
        ? { lm: last.at as number, le: last.executor_name as string }
        : { to: range.to };
      const rows = this.#run.read(() =>
        this.#run.stmt(queries.chunkSums(first, last !== undefined, executors))
          .all({ ...from, ...end, ...(one ? { executor: query.executorName! } : {}), ...names })
      );
      for (const row of rows) {
        into.sums(row.executor_name as string | undefined).add(Number(row.at), slotOf(row));
      }
      if (!last) break;
      start = { m: last.at as number, e: last.executor_name as string };
      await into.slices.turn();
    }
  }

  /**
   * Deletes the minutes that start before `before`, and the roll-up rows all of whose minutes do
   * (one that `before` cuts through keeps its sums whole), `PRUNE_CHUNK_ROWS` rows per transaction, oldest
   * first, the thread given back between slices: one statement deleting 432,000 rows held it
   * 77 ms. Answers how many minutes went.
   */
  async historyPrune(before: number): Promise<number> {
    const slices = new ThreadSlices();
    let minutes = 0;
    for (const table of HISTORY_TABLES) {
      const deleted = await this.#prune(table, pruneCutoff(table, before), slices);
      if (table === MINUTE_TABLE) minutes = deleted;
    }
    return minutes;
  }

  /** Deletes the rows of `table` that start before `cutoff`; how many went. */
  async #prune(table: HistoryTable, cutoff: number, slices: ThreadSlices): Promise<number> {
    const queries = chunkQueries(table);
    let deleted = 0;
    for (;;) {
      const changes = this.#run.write(() => {
        const last = this.#run.stmt(queries.pruneEnd).get(cutoff);
        return Number(
          last
            ? this.#run.stmt(queries.pruneUpTo).run(last.at, last.executor_name).changes
            : this.#run.stmt(queries.pruneRest).run(cutoff).changes,
        );
      });
      deleted += changes;
      if (changes < PRUNE_CHUNK_ROWS) return deleted;
      await slices.turn();
    }
  }
}

/** The sums of a row. */
function slotOf(row: Record<string, unknown>): HistorySlot {
  const slot = emptySlot();
  HISTORY_COUNTS.forEach((name, i) => (slot.counts[name] = Number(row[COUNT_COLUMNS[i]])));
  QUEUE.forEach((c, i) => (slot.queueWaitMs[i] = Number(row[c])));
  RUN.forEach((c, i) => (slot.runTimeMs[i] = Number(row[c])));
  return slot;
}
