/**
 * History on the embedded store: one row per (minute, executor) with a column per count and per
 * histogram bucket, added to with `INSERT … ON CONFLICT DO UPDATE SET c = c + excluded.c`.
 */
import type { StatementSync } from "node:sqlite";
import {
  emptySlot,
  HISTOGRAM_LENGTH,
  HISTORY_COUNTS,
  type HistoryDelta,
  type HistoryPoint,
} from "../../domain/history.ts";
import type { HistoryQuery, HistoryStore } from "../history.ts";

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

const SUMS = VALUE_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(", ");

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

  // deno-lint-ignore require-await
  async historyRead(query: HistoryQuery): Promise<HistoryPoint[]> {
    const where = ["minute >= $from", "minute < $to"];
    const params: Record<string, string | number> = {
      from: query.from,
      to: query.to,
      step: query.step,
    };
    if (query.executorName !== undefined) {
      where.push("executor_name = $executor");
      params.executor = query.executorName;
    }
    // Numbers are bound as REAL: the cast makes the division whole.
    const sql = `SELECT $from + CAST((minute - $from) / $step AS INTEGER) * $step AS at, ${SUMS}
      FROM history WHERE ${where.join(" AND ")} GROUP BY at ORDER BY at`;
    const rows = this.#run.read(() => this.#run.stmt(sql).all(params));
    return rows.map((row) => {
      const point: HistoryPoint = { at: Number(row.at), ...emptySlot() };
      HISTORY_COUNTS.forEach((name, i) => (point.counts[name] = Number(row[COUNT_COLUMNS[i]])));
      QUEUE.forEach((c, i) => (point.queueWaitMs[i] = Number(row[c])));
      RUN.forEach((c, i) => (point.runTimeMs[i] = Number(row[c])));
      return point;
    });
  }

  // deno-lint-ignore require-await
  async historyPrune(before: number): Promise<number> {
    const changes = this.#run.write(() =>
      this.#run.stmt("DELETE FROM history WHERE minute < ?").run(before).changes
    );
    return Number(changes);
  }
}
