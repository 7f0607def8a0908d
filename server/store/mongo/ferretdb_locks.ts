/**
 * Document locks for FerretDB 1.24, whose updates are not isolated (see ferretdb.ts): a call
 * locks ids by inserting `{ _id: id, at, holder }` into `locks` (the unique `_id` makes one
 * inserter win) and deletes them when its work ends.
 *
 * A lock is broken only when its holder is gone:
 * - a store never tries, nor breaks, an id one of its own calls holds, however long the call
 *   waits for the server (a claim among 32 at once held its locks 6.4 s here; breaking locks
 *   older than 10 s leased tasks twice on a loaded machine);
 * - a lock of its own that none of its calls holds (an unlock that failed) it breaks at once;
 * - another store's lock it breaks once both the lock and that store's heartbeat (one document
 *   of `lock_holders`, written every `heartbeatMs` while the store holds any lock) are older than
 *   `staleMs` on its own clock: that store's manager died, or the clocks differ by that much.
 *
 * A lock document is never written after its insert: FerretDB writes a whole document back by
 * `_id`, so a refresh of locks could bring back one deleted and taken by another store meanwhile.
 */
import type { Collection, Db } from "mongodb";
import { UnavailableError } from "../../domain/errors.ts";
import { duplicateKeyFailures } from "./errors.ts";

/** How long a call waits for documents another call has locked. */
const LOCK_WAIT_MS = 15_000;
/** A lock and heartbeat of another store this old were left by a store that is gone. */
const STALE_MS = 10_000;
/** How often a store holding locks writes its heartbeat. */
const HEARTBEAT_MS = 2_000;
/** Heartbeats older than this are deleted (at most once per this interval): stores long gone. */
const HEARTBEAT_KEPT_MS = 3_600_000;

/** A document of `locks`. */
export interface LockDoc {
  _id: string;
  /** When it was taken, epoch ms on the holder's clock. */
  at: number;
  /** The holding store, random per open (`DocumentLocks`). */
  holder: string;
}

/** A document of `lock_holders`: a store's last heartbeat. */
export interface HolderDoc {
  _id: string;
  /** Epoch ms on the holder's clock. */
  at: number;
}

/** The timings of `DocumentLocks` (defaults above; tests shorten them). */
export interface LockTimings {
  staleMs?: number;
  heartbeatMs?: number;
}

/** The document locks of one open store (see the module doc). */
export class DocumentLocks {
  readonly #locks: Collection<LockDoc>;
  readonly #holders: Collection<HolderDoc>;
  readonly #holder = crypto.randomUUID();
  /** The ids this store's calls hold. */
  readonly #held = new Set<string>();
  readonly #staleMs: number;
  readonly #heartbeatMs: number;
  #heartbeat: number | undefined;
  #beating = false;
  #sweptAt = 0;

  constructor(db: Db, timings: LockTimings = {}) {
    this.#locks = db.collection<LockDoc>("locks");
    this.#holders = db.collection<HolderDoc>("lock_holders");
    this.#staleMs = timings.staleMs ?? STALE_MS;
    this.#heartbeatMs = timings.heartbeatMs ?? HEARTBEAT_MS;
  }

  /**
   * Runs `work` with the ids of `ids` this call locked, each once; `wait` = until all of them had
   * their turn, else only those free now (see `ServerCompat.locked`).
   *
   * @throws {UnavailableError} when `wait` and some ids stay locked for `LOCK_WAIT_MS`
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
    this.#beat();
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
      this.#release(lost);
      if (taken === null) throw error;
      return free.filter((_, i) => !taken.includes(i));
    }
  }

  async #unlock(ids: string[]): Promise<void> {
    try {
      await this.#locks.deleteMany({ _id: { $in: ids }, holder: this.#holder });
    } finally {
      this.#release(ids);
    }
  }

  /** Deletes the locks of `ids` their holders left (see the module doc). */
  async #breakAbandoned(ids: string[]): Promise<void> {
    const notHeld = ids.filter((id) => !this.#held.has(id));
    if (notHeld.length === 0) return;
    const locks = await this.#locks.find({ _id: { $in: notHeld } }).toArray();
    const before = Date.now() - this.#staleMs;
    const others = [...new Set(locks.map((lock) => lock.holder))]
      .filter((holder) => holder !== this.#holder);
    const alive = new Set(
      others.length === 0 ? [] : (await this.#holders.find({
        _id: { $in: others },
        at: { $gte: before },
      }).toArray()).map((doc) => doc._id),
    );
    const abandoned = locks.filter((lock) =>
      lock.holder === this.#holder || (lock.at < before && !alive.has(lock.holder))
    );
    if (abandoned.length === 0) return;
    // Each as it was read: a lock deleted and taken again meanwhile is a new one.
    await this.#locks.deleteMany({
      $or: abandoned.map(({ _id, at, holder }) => ({ _id, at, holder })),
    });
  }

  /** Starts the heartbeat when this store begins to hold locks. */
  #beat(): void {
    if (this.#heartbeat !== undefined) return;
    this.#writeHeartbeat();
    this.#heartbeat = setInterval(() => this.#writeHeartbeat(), this.#heartbeatMs);
  }

  #writeHeartbeat(): void {
    if (this.#beating) return;
    this.#beating = true;
    const now = Date.now();
    const sweep = now - this.#sweptAt > HEARTBEAT_KEPT_MS;
    if (sweep) this.#sweptAt = now;
    // A heartbeat that fails leaves the locks to age: the next one tries again, and another store
    // breaks them only after heartbeats failed for `staleMs`.
    (async () => {
      await this.#holders.updateOne(
        { _id: this.#holder },
        { $set: { at: now } },
        { upsert: true },
      );
      if (sweep) await this.#holders.deleteMany({ at: { $lt: now - HEARTBEAT_KEPT_MS } });
    })().catch(() => {}).finally(() => this.#beating = false);
  }

  /** Forgets `ids` as held; the last one stops the heartbeat. */
  #release(ids: string[]): void {
    for (const id of ids) this.#held.delete(id);
    if (this.#held.size > 0 || this.#heartbeat === undefined) return;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
