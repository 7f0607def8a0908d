/**
 * What differs between the servers the MongoDB store runs on, as one strategy chosen when the store
 * opens (`openMongoStore`): `MONGODB` here for MongoDB itself, `FerretDbCompat` (ferretdb.ts) for
 * FerretDB 1.24. The store's code paths call the strategy and never ask which server they talk to.
 */
import type {
  AnyBulkWriteOperation,
  Collection,
  Document,
  IndexDescription,
  WriteConcernSettings,
} from "mongodb";
import { MongoError } from "mongodb";
import type { WriteConcernLevel } from "../../domain/executor.ts";
import { DUPLICATE_KEY } from "./errors.ts";
import type { TaskDoc } from "./documents.ts";

/** The server-specific behaviour of the MongoDB store. */
export interface ServerCompat {
  /** The driver settings of the `unacknowledged` level where the verb needs no answer. */
  readonly unacknowledged: WriteConcernSettings;
  /** How many claim candidates one claim round reads to win up to `want` tasks. */
  claimWindow(want: number): number;
  /** Whether a driver error is a unique index violation. */
  isDuplicateKey(error: unknown): boolean;
  /**
   * Runs `work` with the ids (of tasks, or other documents) this call may change; each id once.
   * `wait` = wait for ids another call holds; otherwise `work` gets only the free ones.
   *
   * @throws {UnavailableError} when `wait` and the ids stay held too long.
   */
  locked(ids: string[], wait: boolean, work: (ids: string[]) => Promise<void>): Promise<void>;
  /** Stops what it runs in the background (the store closes). */
  close(): void;
  /** An unordered bulk write of `ops` (none: no call). */
  bulkWrite<T extends Document>(
    collection: Collection<T>,
    ops: AnyBulkWriteOperation<T>[],
    writeConcern?: WriteConcernSettings,
  ): Promise<void>;
  /** Creates the indexes of `specs` a collection lacks (by name; run at every open). */
  ensureIndexes<T extends Document>(
    collection: Collection<T>,
    specs: IndexDescription[],
  ): Promise<void>;
  /**
   * The earliest `runAt` at or before `now` of the pending tasks of each executor in
   * `executorNames` (executors without one are absent).
   */
  oldestPendingRunAt(
    tasks: Collection<TaskDoc>,
    executorNames: string[],
    now: number,
  ): Promise<Map<string, number>>;
}

/** MongoDB: every single-document update is atomic, the server does the work. */
export const MONGODB: ServerCompat = {
  unacknowledged: { w: 0 },
  claimWindow: (want) => want,
  isDuplicateKey: (error) => error instanceof MongoError && error.code === DUPLICATE_KEY,
  locked: (ids, _wait, work) => work([...new Set(ids)]),
  close: () => {},
  async bulkWrite(collection, ops, writeConcern) {
    if (ops.length > 0) await collection.bulkWrite(ops, { ordered: false, writeConcern });
  },
  async ensureIndexes(collection, specs) {
    // Creating an index that exists with the same keys and options does nothing.
    if (specs.length > 0) await collection.createIndexes(specs);
  },
  async oldestPendingRunAt(tasks, executorNames, now) {
    const rows = await tasks.aggregate<{ _id: string; runAt: number }>([
      {
        $match: { executorName: { $in: executorNames }, status: "pending", runAt: { $lte: now } },
      },
      { $group: { _id: "$executorName", runAt: { $min: "$runAt" } } },
    ]).toArray();
    return new Map(rows.map((row) => [row._id, Number(row.runAt)]));
  },
};

/**
 * The driver settings for an executor's write concern level; `needAnswer` when the verb must see
 * what happened (such verbs never run unacknowledged). `undefined` = the connection's default.
 */
export function writeConcernOf(
  level: WriteConcernLevel | undefined,
  options: { needAnswer: boolean; compat: ServerCompat },
): WriteConcernSettings | undefined {
  switch (level) {
    case undefined:
      return undefined;
    case "unacknowledged":
      return options.needAnswer ? { w: 1 } : options.compat.unacknowledged;
    case "replica_acknowledged":
      return { w: 1 };
    case "journaled":
      return { w: 1, journal: true };
    case "majority":
      // With the journal asked for too: a replica set whose writeConcernMajorityJournalDefault is
      // false acknowledges a majority from memory, and `majority` must hold at least what
      // `journaled` does (a create over both is one insert at the stricter: service.ts).
      return { w: "majority", journal: true };
  }
}
