/**
 * The FerretDB compatibility layer of the MongoDB store: `FerretDbCompat`, the `ServerCompat`
 * (compat.ts) `openMongoStore` plugs in when the server says it is FerretDB (`isFerretDb`).
 *
 * FerretDB 1.24 (SQLite backend), as the store meets it:
 * - Updates are read-change-write of whole documents with no isolation: two concurrent
 *   compare-and-set updates of one document can both pass their filter (a task leased twice) or
 *   undo each other. `locked` serialises them through a `locks` collection (ferretdb_locks.ts).
 * - An `update` command holds one of the database's 100 SQLite connections per statement until it
 *   ends: a command of ~100 statements, or a few large ones at once, wait for each other for ever.
 *   `bulkWrite` sends small commands, one at a time per store, over a smaller driver pool
 *   (`FERRETDB_POOL_SIZE`).
 * - It answers `w: 0` messages anyway, which puts the driver's connection out of step (later
 *   replies go to the wrong requests), so `unacknowledged` is `{ w: 1 }` here. It accepts
 *   `w: 1`, `j: true` and `w: "majority"` and ignores them: a write is committed to the SQLite
 *   file before the reply, so each means "committed locally".
 * - A unique violation inside an update comes back as an internal error (code 1) with the
 *   backend's message (SQLite's, or PostgreSQL's SQLSTATE 23505), not as code 11000.
 * - Re-creating an existing unique index drops the connection: existing names are skipped, one
 *   index at a time, and a failure is fine when the index exists after it (another manager
 *   opening the same database at once created it).
 * - No `$min` accumulator: the oldest ready task is one sorted lookup per executor.
 * - Partial indexes are not implemented and field names starting with `$` are refused (hence the
 *   document shapes in documents.ts: JSON text for user data, `idemKey` and `slotKey` always set).
 * - No query uses an index. A filter that is exactly `{ _id: value }` goes to SQLite as
 *   `WHERE _ferretdb_sjson->'$._id' = ?`, which does not match the expression of FerretDB's own
 *   `_id` index (`_ferretdb_sjson->"_id"`), so SQLite scans the table (about 4 µs a row here);
 *   every other filter is applied by FerretDB to each document it decodes (about 100 µs a row).
 *   Every call costs time in proportion to the collection: FerretDB serves tests, not load. With
 *   one SQLite connection per statement, claimers that read the same candidates skip each other's
 *   locked ones, so `claimWindow` reads twice as many.
 */
import type {
  AnyBulkWriteOperation,
  Collection,
  Db,
  Document,
  IndexDescription,
  WriteConcernSettings,
} from "mongodb";
import { MongoError, MongoServerError } from "mongodb";
import { MONGODB, type ServerCompat } from "./compat.ts";
import type { TaskDoc } from "./documents.ts";
import { NAMESPACE_NOT_FOUND } from "./errors.ts";
import { DocumentLocks } from "./ferretdb_locks.ts";

/** Driver connections to FerretDB: each command may hold two of its 100 SQLite connections. */
export const FERRETDB_POOL_SIZE = 16;
/** Statements per `update` command (see `bulkWrite`). */
const BULK_CHUNK = 20;

/** Whether a `buildInfo` answer comes from FerretDB. */
export function isFerretDb(buildInfo: Document): boolean {
  return typeof buildInfo.ferretdbVersion === "string";
}

/** The index names of a collection (none while it does not exist). */
async function indexNames<T extends Document>(collection: Collection<T>): Promise<string[]> {
  try {
    return (await collection.indexes()).map((index) => String(index.name));
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== NAMESPACE_NOT_FOUND) throw error;
    return [];
  }
}

/** `ServerCompat` for FerretDB 1.24 (see the module doc); one per open store. */
export class FerretDbCompat implements ServerCompat {
  readonly unacknowledged: WriteConcernSettings = { w: 1 };
  readonly #locks: DocumentLocks;
  #bulkQueue: Promise<void> = Promise.resolve();

  constructor(db: Db) {
    this.#locks = new DocumentLocks(db);
  }

  claimWindow(want: number): number {
    return want * 2;
  }

  isDuplicateKey(error: unknown): boolean {
    return MONGODB.isDuplicateKey(error) || (error instanceof MongoError &&
      /UNIQUE constraint failed|duplicate key value violates unique constraint/.test(
        error.message,
      ));
  }

  locked(ids: string[], wait: boolean, work: (ids: string[]) => Promise<void>): Promise<void> {
    return this.#locks.locked(ids, wait, work);
  }

  close(): void {
    this.#locks.close();
  }

  /** Small commands, one at a time per store (see the module doc). */
  async bulkWrite<T extends Document>(
    collection: Collection<T>,
    ops: AnyBulkWriteOperation<T>[],
    writeConcern?: WriteConcernSettings,
  ): Promise<void> {
    for (let i = 0; i < ops.length; i += BULK_CHUNK) {
      const chunk = ops.slice(i, i + BULK_CHUNK);
      const run = this.#bulkQueue.then(() =>
        collection.bulkWrite(chunk, { ordered: false, writeConcern })
      );
      this.#bulkQueue = run.then(() => {}, () => {});
      await run;
    }
  }

  async ensureIndexes<T extends Document>(
    collection: Collection<T>,
    specs: IndexDescription[],
  ): Promise<void> {
    const existing = await indexNames(collection);
    for (const spec of specs.filter((spec) => !existing.includes(spec.name!))) {
      try {
        await collection.createIndexes([spec]);
      } catch (error) {
        // Another manager opening the same database made it first (and the server dropped this
        // connection for asking again).
        if (!(await indexNames(collection)).includes(spec.name!)) throw error;
      }
    }
  }

  async oldestPendingRunAt(
    tasks: Collection<TaskDoc>,
    executorNames: string[],
    now: number,
  ): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    await Promise.all(executorNames.map(async (executorName) => {
      const [doc] = await tasks.find(
        { executorName, status: "pending", runAt: { $lte: now } },
        { projection: { runAt: 1 } },
      ).sort({ runAt: 1 }).limit(1).toArray();
      if (doc) found.set(executorName, Number(doc.runAt));
    }));
    return found;
  }
}
