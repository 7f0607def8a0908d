/**
 * History on MongoDB: one document per (minute, executor) with a field per count and per histogram
 * bucket, added to with `$inc` upserts (no read first), read by a `minute` range and summed here.
 */
import type { AnyBulkWriteOperation, Collection, Document, Filter } from "mongodb";
import {
  addSlot,
  emptySlot,
  HISTOGRAM_LENGTH,
  HISTORY_COUNTS,
  type HistoryDelta,
  type HistoryPoint,
  type HistorySlot,
} from "../../domain/history.ts";
import type { HistoryQuery, HistoryStore } from "../history.ts";
import { duplicateKeyFailures } from "./errors.ts";

/**
 * One stored minute of one executor: `_id` "<minute>:<executor>", `minute`, `executorName`, the
 * counts by name, the buckets as `q0…` (queue wait) and `r0…` (run time).
 */
export interface HistoryDoc extends Document {
  _id: string;
  minute: number;
  executorName: string;
}

const QUEUE = Array.from({ length: HISTOGRAM_LENGTH }, (_, i) => `q${i}`);
const RUN = Array.from({ length: HISTOGRAM_LENGTH }, (_, i) => `r${i}`);

/** The indexes of the history collection (created at start with the store's others). */
export const HISTORY_INDEXES = [{ key: { minute: 1 }, name: "minute" }];

function slotOf(doc: HistoryDoc): HistorySlot {
  const slot = emptySlot();
  for (const name of HISTORY_COUNTS) slot.counts[name] = Number(doc[name] ?? 0);
  QUEUE.forEach((field, i) => (slot.queueWaitMs[i] = Number(doc[field] ?? 0)));
  RUN.forEach((field, i) => (slot.runTimeMs[i] = Number(doc[field] ?? 0)));
  return slot;
}

/** What the history borrows from its store. */
export interface MongoHistoryDeps {
  /** Runs a call, turning an unreachable server into `UnavailableError`. */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /**
   * The store's unordered bulk write (on FerretDB, whose updates are read-change-write without
   * isolation, it runs one at a time per store, so that no `$inc` of this manager is lost).
   */
  bulkWrite(ops: AnyBulkWriteOperation<HistoryDoc>[]): Promise<void>;
}

/** `HistoryStore` over a MongoDB collection. */
export class MongoHistory implements HistoryStore {
  readonly #history: Collection<HistoryDoc>;
  readonly #store: MongoHistoryDeps;

  constructor(history: Collection<HistoryDoc>, store: MongoHistoryDeps) {
    this.#history = history;
    this.#store = store;
  }

  historyAdd(deltas: HistoryDelta[]): Promise<void> {
    return this.#store.guard(async () => {
      if (deltas.length === 0) return;
      const operations: AnyBulkWriteOperation<HistoryDoc>[] = deltas.map((delta) => {
        const inc: Record<string, number> = {};
        for (const name of HISTORY_COUNTS) inc[name] = delta.counts[name];
        QUEUE.forEach((field, i) => (inc[field] = delta.queueWaitMs[i] ?? 0));
        RUN.forEach((field, i) => (inc[field] = delta.runTimeMs[i] ?? 0));
        return {
          updateOne: {
            filter: { _id: `${delta.minute}:${delta.executorName}` } as Filter<HistoryDoc>,
            update: {
              $inc: inc as Document,
              $setOnInsert: { minute: delta.minute, executorName: delta.executorName },
            },
            upsert: true,
          },
        };
      });
      // Two upserts of a new minute at once: one inserts, the other fails on the duplicate `_id`
      // (MongoDB retries some of these itself, FerretDB none); run again, it finds the document.
      let pending = operations;
      for (let round = 0;; round++) {
        try {
          await this.#store.bulkWrite(pending);
          return;
        } catch (error) {
          const failed = duplicateKeyFailures(error);
          if (failed === null || round >= 3) throw error;
          pending = failed.map((index) => pending[index]);
        }
      }
    });
  }

  historyRead(query: HistoryQuery): Promise<HistoryPoint[]> {
    return this.#store.guard(async () => {
      const filter: Filter<HistoryDoc> = { minute: { $gte: query.from, $lt: query.to } };
      if (query.executorName !== undefined) filter.executorName = query.executorName;
      const points = new Map<number, HistoryPoint>();
      for await (const doc of this.#history.find(filter)) {
        if (query.signal?.aborted) break;
        const at = query.from + Math.floor((doc.minute - query.from) / query.step) * query.step;
        let point = points.get(at);
        if (!point) points.set(at, point = { at, ...emptySlot() });
        addSlot(point, slotOf(doc));
      }
      return [...points.values()].sort((a, b) => a.at - b.at);
    });
  }

  historyPrune(before: number): Promise<number> {
    return this.#store.guard(async () => {
      return (await this.#history.deleteMany({ minute: { $lt: before } })).deletedCount;
    });
  }
}
