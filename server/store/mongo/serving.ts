/**
 * Who serves each executor through each manager sharing the database: collection `serving`, one
 * document per manager and executor (see `Store.servingReport`).
 */
import type { Collection } from "mongodb";
import type { ServingFigures, ServingReport } from "../store.ts";
import { num } from "./documents.ts";
import { guard } from "./errors.ts";

/** Who serves one executor through one manager (see `servingReport`). */
export interface ServingDoc {
  /** `managerId/executorName`. */
  _id: string;
  managerId: string;
  executorName: string;
  workers: number;
  polledAt: number | null;
  reportedAt: number;
}

/** The serving verbs of the `Store` contract over one collection. */
export class MongoServing {
  readonly #serving: Collection<ServingDoc>;

  constructor(serving: Collection<ServingDoc>) {
    this.#serving = serving;
  }

  servingReport(report: ServingReport): Promise<void> {
    return guard(async () => {
      // Not atomic: for a moment another manager may miss this one's report, and take an
      // executor it alone served for unserved until the next.
      await this.#serving.deleteMany({
        $or: [{ managerId: report.managerId }, { reportedAt: { $lt: report.since } }],
      });
      const docs = Object.entries(report.executors).map(([executorName, figures]) => ({
        _id: `${report.managerId}/${executorName}`,
        managerId: report.managerId,
        executorName,
        workers: figures.workers,
        polledAt: figures.polledAt,
        reportedAt: report.now,
      }));
      if (docs.length > 0) await this.#serving.insertMany(docs);
    });
  }

  servingTotals(
    options: { since: number; exceptManagerId?: string },
  ): Promise<Record<string, ServingFigures>> {
    return guard(async () => {
      // Summed here, not by $group: FerretDB implements no $max accumulator. A report holds the
      // executors one manager serves, so this reads managers × executors served at most.
      const docs = await this.#serving.find(
        {
          reportedAt: { $gte: options.since },
          managerId: { $ne: options.exceptManagerId ?? "" },
        },
        { projection: { _id: 0, executorName: 1, workers: 1, polledAt: 1 } },
      ).toArray();
      const totals: Record<string, ServingFigures> = {};
      for (const doc of docs) {
        const total = totals[doc.executorName] ??= { workers: 0, polledAt: null };
        total.workers += num(doc.workers);
        if (doc.polledAt !== null && doc.polledAt !== undefined) {
          total.polledAt = Math.max(total.polledAt ?? -Infinity, num(doc.polledAt));
        }
      }
      return totals;
    });
  }
}
