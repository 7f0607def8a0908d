/**
 * History on MongoDB: one document per (minute, executor) with a field per count and per histogram
 * bucket, added to with `$inc` upserts (no read first), read by a `minute` range and summed here;
 * the same documents per roll-up span (`ROLLUP_SPANS_MS`: collections `history_15m`,
 * `history_60m`, keyed by `slot`), added to with the minutes, and the time from which those hold
 * everything (`history_rollups`).
 */
import type {
  AnyBulkWriteOperation,
  Collection,
  Db,
  Document,
  Filter,
  IndexDescription,
} from "mongodb";
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
import { duplicateKeyFailures } from "./errors.ts";

/**
 * One stored minute (or roll-up slot) of one executor: `_id` "<start>:<executor>", the start in
 * `minute` (or `slot`), `executorName`, the counts by name, the buckets as `q0…` (queue wait) and
 * `r0…` (run time).
 */
export interface HistoryDoc extends Document {
  _id: string;
  executorName: string;
}

/** `history_rollups`' one document: `_id` "since", `since` epoch ms. */
interface RollupsDoc extends Document {
  _id: string;
  since: number;
}

const QUEUE = Array.from({ length: HISTOGRAM_LENGTH }, (_, i) => `q${i}`);
const RUN = Array.from({ length: HISTOGRAM_LENGTH }, (_, i) => `r${i}`);

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
  /** The store's unordered bulk write (on FerretDB one at a time per store, in small commands). */
  bulkWrite(
    collection: Collection<HistoryDoc>,
    ops: AnyBulkWriteOperation<HistoryDoc>[],
  ): Promise<void>;
  /**
   * Runs `work` with the ids of `ids` it holds against other calls (`ServerCompat.locked`, waiting
   * for each in turn): nothing on MongoDB, whose `$inc` is atomic; FerretDB's updates are
   * read-change-write without isolation, and two managers adding to one document lost counts.
   */
  locked(ids: string[], work: (ids: string[]) => Promise<void>): Promise<void>;
  /** Creates the indexes a collection lacks (run at every open). */
  ensureIndexes(collection: Collection<HistoryDoc>, specs: IndexDescription[]): Promise<void>;
  isDuplicateKey(error: unknown): boolean;
}

/** `HistoryStore` over MongoDB collections. */
export class MongoHistory implements HistoryStore {
  readonly #db: Db;
  readonly #store: MongoHistoryDeps;
  readonly #rollups: Collection<RollupsDoc>;
  /** `history_rollups.since` once read (it never changes once set). */
  #since: number | null = null;

  constructor(db: Db, store: MongoHistoryDeps) {
    this.#db = db;
    this.#store = store;
    this.#rollups = db.collection<RollupsDoc>("history_rollups");
  }

  /**
   * Creates the indexes: each collection by its start, and by executor then start (the reads of
   * one executor's documents, and `historyNamesHeld`'s of a name in any of them).
   */
  async init(): Promise<void> {
    for (const table of HISTORY_TABLES) {
      await this.#store.ensureIndexes(this.#collection(table), [
        { key: { [table.key]: 1 }, name: table.key },
        { key: { executorName: 1, [table.key]: 1 }, name: `executorName_${table.key}` },
      ]);
    }
  }

  #collection(table: HistoryTable): Collection<HistoryDoc> {
    return this.#db.collection<HistoryDoc>(table.name);
  }

  historyAdd(deltas: HistoryDelta[]): Promise<void> {
    return this.#store.guard(async () => {
      if (deltas.length === 0) return;
      if (await this.#rollupsSince() === null) {
        const [kept] = await this.#collection(MINUTE_TABLE).find({}, { projection: { minute: 1 } })
          .sort({ minute: -1 }).limit(1).toArray();
        const since = rollupsSinceFor(deltas, kept ? Number(kept.minute) : null);
        try {
          await this.#rollups.updateOne(
            { _id: "since" },
            { $setOnInsert: { since } },
            { upsert: true },
          );
        } catch (error) {
          // Another manager set it at the same moment: theirs is kept.
          if (!this.#store.isDuplicateKey(error)) throw error;
        }
        await this.#rollupsSince();
      }
      for (const table of HISTORY_TABLES) await this.#add(table, deltas);
    });
  }

  /**
   * Adds each delta to its document of `table`, made when missing; each document held while it is
   * added to (`MongoHistoryDeps.locked`, by `<collection>:<_id>`).
   */
  async #add(table: HistoryTable, deltas: HistoryDelta[]): Promise<void> {
    const byLock = new Map<string, AnyBulkWriteOperation<HistoryDoc>[]>();
    for (const delta of deltas) {
      const start = spanStartOf(delta.minute, table.span);
      const _id = `${start}:${delta.executorName}`;
      const inc: Record<string, number> = {};
      for (const name of HISTORY_COUNTS) inc[name] = delta.counts[name];
      QUEUE.forEach((field, i) => (inc[field] = delta.queueWaitMs[i] ?? 0));
      RUN.forEach((field, i) => (inc[field] = delta.runTimeMs[i] ?? 0));
      const lock = `${table.name}:${_id}`;
      byLock.set(lock, [...(byLock.get(lock) ?? []), {
        updateOne: {
          filter: { _id } as Filter<HistoryDoc>,
          update: {
            $inc: inc as Document,
            $setOnInsert: { [table.key]: start, executorName: delta.executorName },
          },
          upsert: true,
        },
      }]);
    }
    await this.#store.locked([...byLock.keys()], async (held) => {
      await this.#upsert(table, held.flatMap((lock) => byLock.get(lock)!));
    });
  }

  /** Runs the upserts of `operations` on `table`. */
  async #upsert(table: HistoryTable, operations: AnyBulkWriteOperation<HistoryDoc>[]) {
    // Two upserts of a new document at once: one inserts, the other fails on the duplicate `_id`
    // (MongoDB retries some of these itself); run again, it finds the document.
    let pending = operations;
    for (let round = 0;; round++) {
      try {
        await this.#store.bulkWrite(this.#collection(table), pending);
        return;
      } catch (error) {
        const failed = duplicateKeyFailures(error);
        if (failed === null || round >= 3) throw error;
        pending = failed.map((index) => pending[index]);
      }
    }
  }

  /**
   * Sums minutes, or the documents of the longest roll-up span that fits the query from the time
   * the roll-ups hold everything (minutes before it).
   */
  historyRead(query: HistoryQuery): Promise<HistoryPoint[]> {
    return this.#store.guard(async () => {
      const sums = new HistorySums(query);
      for (const part of await historyReadParts(query, () => this.#rollupsSince())) {
        await this.#sum(part.table, part, query, sums);
      }
      return sums.points();
    });
  }

  /** `historyRead` of each of `executorNames`, their documents read with one filter. */
  historyReadEach(
    query: HistoryQuery,
    executorNames: readonly string[],
  ): Promise<Map<string, HistoryPoint[]>> {
    return this.#store.guard(async () => {
      const each = new Map(executorNames.map((name) => [name, new HistorySums(query)]));
      const { executorName: _, ...window } = query;
      for (const part of await historyReadParts(window, () => this.#rollupsSince())) {
        const filter: Filter<HistoryDoc> = {
          [part.table.key]: { $gte: part.from, $lt: part.to },
          executorName: { $in: [...executorNames] },
        };
        for await (const doc of this.#collection(part.table).find(filter)) {
          if (query.signal?.aborted) break;
          each.get(doc.executorName)?.add(Number(doc[part.table.key]), slotOf(doc));
        }
      }
      return new Map([...each].map(([name, sums]) => [name, sums.points()]));
    });
  }

  /**
   * One `distinct` per table of the names asked that are not found yet, by the index
   * `executorName_<start>` on MongoDB (a range of it per name: no collection scan); FerretDB uses
   * no index, so each is one scan of its collection.
   */
  historyNamesHeld(executorNames: readonly string[]): Promise<Set<string>> {
    return this.#store.guard(async () => {
      const held = new Set<string>();
      if (executorNames.length === 0) return held;
      // Before any add of this version, every minute is one an older version added.
      const since = await this.#rollupsSince() ?? Number.MAX_SAFE_INTEGER;
      const reads: [HistoryTable, Filter<HistoryDoc>][] = [
        [LONGEST_ROLLUP_TABLE, {}],
        [MINUTE_TABLE, { [MINUTE_TABLE.key]: { $lt: since } }],
      ];
      for (const [table, range] of reads) {
        const left = executorNames.filter((name) => !held.has(name));
        if (left.length === 0) break;
        const found = await this.#collection(table)
          .distinct("executorName", { executorName: { $in: left }, ...range });
        for (const name of found) held.add(String(name));
      }
      return held;
    });
  }

  /** The time from which the roll-ups hold everything; `null` before anything was added. */
  async #rollupsSince(): Promise<number | null> {
    if (this.#since === null) {
      const doc = await this.#rollups.findOne({ _id: "since" });
      if (doc) this.#since = Number(doc.since);
    }
    return this.#since;
  }

  /** Adds the documents of `table` starting in [`range.from`, `range.to`) into `sums`. */
  async #sum(
    table: HistoryTable,
    range: { from: number; to: number },
    query: HistoryQuery,
    sums: HistorySums,
  ): Promise<void> {
    const filter: Filter<HistoryDoc> = { [table.key]: { $gte: range.from, $lt: range.to } };
    if (query.executorName !== undefined) filter.executorName = query.executorName;
    for await (const doc of this.#collection(table).find(filter)) {
      if (query.signal?.aborted) break;
      sums.add(Number(doc[table.key]), slotOf(doc));
    }
  }

  /**
   * Deletes the minutes that start before `before`, and the roll-up documents all of whose
   * minutes do (one that `before` cuts through keeps its sums whole). Answers how many minutes
   * went.
   */
  historyPrune(before: number): Promise<number> {
    return this.#store.guard(async () => {
      let minutes = 0;
      for (const table of HISTORY_TABLES) {
        const { deletedCount } = await this.#collection(table).deleteMany({
          [table.key]: { $lt: pruneCutoff(table, before) },
        });
        if (table === MINUTE_TABLE) minutes = deletedCount;
      }
      return minutes;
    });
  }
}
