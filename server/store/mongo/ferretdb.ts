/**
 * The FerretDB compatibility layer of the MongoDB store: `FerretDbCompat`, the `ServerCompat`
 * (compat.ts) `openMongoStore` plugs in when the server says it is FerretDB (`isFerretDb`).
 *
 * FerretDB 1.24 (SQLite backend), as the store meets it:
 * - Updates are read-change-write of whole documents with no isolation: two concurrent
 *   compare-and-set updates of one document can both pass their filter (a task leased twice) or
 *   undo each other. `locked` serialises them through a `locks` collection. A lock is broken only
 *   when its holder is gone: a call never breaks one its own store holds (however long the
 *   holder waits for the server: a claim among 32 held its locks 6.4 s here), and a store keeps
 *   the locks it holds fresh, so another manager breaks one only once it has gone unrefreshed for
 *   `LOCK_STALE_MS` (its manager died, or their clocks differ by that much).
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
import { UnavailableError } from "../../domain/errors.ts";
import { MONGODB, type ServerCompat } from "./compat.ts";
import type { TaskDoc } from "./documents.ts";
import { duplicateKeyFailures, NAMESPACE_NOT_FOUND } from "./errors.ts";

/** Driver connections to FerretDB: each command may hold two of its 100 SQLite connections. */
export const FERRETDB_POOL_SIZE = 16;
/** Statements per `update` command (see `bulkWrite`). */
const BULK_CHUNK = 20;
/** How long a call waits for documents another call has locked. */
const LOCK_WAIT_MS = 15_000;
/** A lock of another store not refreshed for this long was left by a call that never finished. */
const LOCK_STALE_MS = 10_000;
/** How often a store refreshes the locks it holds. */
const LOCK_REFRESH_MS = 2_000;

/** A document of `locks`: who holds `_id`, and when the lock was taken or last refreshed. */
interface LockDoc {
  _id: string;
  /** Epoch ms on the holder's clock. */
  at: number;
  /** The holding store (`FerretDbCompat`), random per open. */
  holder: string;
}

/** The lock timings of `FerretDbCompat` (defaults above; tests shorten them). */
export interface LockTimings {
  staleMs?: number;
  refreshMs?: number;
}

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
  readonly #locks: Collection<LockDoc>;
  readonly #holder = crypto.randomUUID();
  /** The ids this store's calls hold: the only lock of its own a call may not break. */
  readonly #held = new Set<string>();
  readonly #staleMs: number;
  readonly #refreshMs: number;
  #refreshTimer: number | undefined;
  #refreshing: Promise<void> | null = null;
  #bulkQueue: Promise<void> = Promise.resolve();

  constructor(db: Db, timings: LockTimings = {}) {
    this.#locks = db.collection<LockDoc>("locks");
    this.#staleMs = timings.staleMs ?? LOCK_STALE_MS;
    this.#refreshMs = timings.refreshMs ?? LOCK_REFRESH_MS;
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

  /**
   * Each id is first locked by inserting `{ _id: id, at, holder }` into `locks` (the unique `_id`
   * makes one inserter win), and unlocked after `work`; ids another call of this store holds are
   * not tried.
   */
  async locked(
    ids: string[],
    wait: boolean,
    work: (ids: string[]) => Promise<void>,
  ): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return await work(unique);
    let remaining = unique;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let round = 0;; round++) {
      const got = await this.#lock(remaining);
      if (got.length > 0) {
        try {
          await work(got);
        } finally {
          await this.#unlock(got);
        }
      }
      const done = new Set(got);
      remaining = remaining.filter((id) => !done.has(id));
      if (remaining.length === 0) return;
      await this.#breakAbandoned(remaining);
      if (!wait) return;
      if (Date.now() > deadline) {
        throw new UnavailableError(
          "MongoDB store is unavailable: documents stay locked by another call",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(2 + round * 2, 25)));
    }
  }

  /** Locks what it can of `ids` (none another call of this store holds); returns those. */
  async #lock(ids: string[]): Promise<string[]> {
    const free = ids.filter((id) => !this.#held.has(id));
    if (free.length === 0) return [];
    for (const id of free) this.#held.add(id);
    this.#refreshFromNowOn();
    const at = Date.now();
    try {
      await this.#locks.insertMany(
        free.map((_id) => ({ _id, at, holder: this.#holder })),
        { ordered: false },
      );
      return free;
    } catch (error) {
      const taken = duplicateKeyFailures(error);
      // Past any other error, what the insert stored is a lock of this store that no call
      // holds: the next call that meets it breaks it.
      const lost = taken === null ? free : taken.map((i) => free[i]);
      await this.#release(lost);
      if (taken === null) throw error;
      return free.filter((_, i) => !taken.includes(i));
    }
  }

  async #unlock(ids: string[]): Promise<void> {
    try {
      await this.#locks.deleteMany({ _id: { $in: ids }, holder: this.#holder });
    } finally {
      await this.#release(ids);
    }
  }

  /**
   * Deletes the locks of `ids` their holders left: this store's that none of its calls holds
   * (an unlock that failed), and other stores' not refreshed for `staleMs` (their manager died,
   * or the store went away between lock and unlock); otherwise the tasks they guard would be
   * skipped by every claim for ever.
   */
  async #breakAbandoned(ids: string[]): Promise<void> {
    const notHeld = ids.filter((id) => !this.#held.has(id));
    if (notHeld.length === 0) return;
    await this.#locks.deleteMany({
      _id: { $in: notHeld },
      $or: [{ holder: this.#holder }, { at: { $lt: Date.now() - this.#staleMs } }],
    });
  }

  /** Keeps the locks this store holds fresh while it holds any. */
  #refreshFromNowOn(): void {
    this.#refreshTimer ??= setInterval(() => {
      if (this.#refreshing) return;
      // A refresh that fails leaves the locks to age: the next one tries again, and a lock
      // goes stale only after several tries failed.
      this.#refreshing = this.#locks.updateMany(
        { _id: { $in: [...this.#held] }, holder: this.#holder },
        { $set: { at: Date.now() } },
      ).then(() => {}, () => {}).finally(() => this.#refreshing = null);
    }, this.#refreshMs);
  }

  /** Forgets `ids` as held; the last one stops the refresh (after one in flight ends). */
  async #release(ids: string[]): Promise<void> {
    for (const id of ids) this.#held.delete(id);
    if (this.#held.size > 0 || this.#refreshTimer === undefined) return;
    clearInterval(this.#refreshTimer);
    this.#refreshTimer = undefined;
    await this.#refreshing;
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
