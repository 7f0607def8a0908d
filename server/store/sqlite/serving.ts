/**
 * Who serves each executor through each manager sharing the embedded store's file: table
 * `serving`, one row per manager and executor (see `Store.servingReport`).
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
import type { ServingFigures, ServingReport } from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/** The serving verbs of the `Store` contract over one connection. */
export class SqliteServing {
  readonly #db: SqliteConnection;

  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  async servingReport(report: ServingReport): Promise<void> {
    this.#db.write(() => {
      this.#db.stmt("DELETE FROM serving WHERE manager_id = ? OR reported_at < ?").run(
        report.managerId,
        report.since,
      );
      const insert = this.#db.stmt("INSERT INTO serving VALUES (?, ?, ?, ?, ?)");
      for (const [name, figures] of Object.entries(report.executors)) {
        insert.run(report.managerId, name, figures.workers, figures.polledAt, report.now);
      }
    });
  }

  async servingTotals(
    options: { since: number; exceptManagerId?: string },
  ): Promise<Record<string, ServingFigures>> {
    const rows = this.#db.read(() =>
      this.#db.stmt(
        `SELECT executor_name, sum(workers) AS workers, max(polled_at) AS polled_at FROM serving
         WHERE reported_at >= ? AND manager_id <> ? GROUP BY executor_name`,
      ).all(options.since, options.exceptManagerId ?? "")
    );
    return Object.fromEntries(rows.map((row) => [row.executor_name as string, {
      workers: Number(row.workers),
      polledAt: row.polled_at === null ? null : Number(row.polled_at),
    }]));
  }
}
