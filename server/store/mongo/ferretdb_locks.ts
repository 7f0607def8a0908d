/**
 * Document locks for FerretDB 1.24, whose updates are not isolated (see ferretdb.ts): a call
 * locks ids by inserting `{ _id: id, at, holder }` into `locks` (the unique `_id` makes one
 * inserter win) and deletes them when its work ends. A lock document is never written after its
 * insert: FerretDB writes a whole document back by `_id`, so a refresh could bring back a lock
 * deleted and taken by another store meanwhile.
 *
 * Which locks a call breaks (deletes for a holder that left them):
 * - never one a call of its own store holds, however long that call waits for the server (a
 *   claim among 32 at once held its locks 6.4 s here; breaking locks older than 10 s leased tasks
 *   twice on a loaded machine): a store keeps the ids its calls hold, and tries none of them;
 * - its own store's that no call holds (an unlock or insert that failed): at once, and the
 *   store's heartbeat retries deleting them meanwhile, so that other stores are not kept out;
 * - another store's once both the lock and that store's heartbeat (one document of
 *   `lock_holders`, written every `heartbeatMs` while the store holds locks) are older than
 *   `staleMs` on the breaker's clock, and the breaker has watched the heartbeat not move for
 *   three heartbeats (from its first look at the lock, each look answered within a heartbeat): a
 *   heartbeat held up by a server that stopped answering for a while moves once it answers
 *   again. Of several stores that would break one lock, the one that inserts its mark in
 *   `lock_breaks` does, as FerretDB deletes by `_id` what its filter matched: a second breaker
 *   could delete the lock the first one's caller took next. A mark left by a breaker that failed
 *   gives way to a new one after `staleMs`.
 *
 * What remains: clocks more than `staleMs` apart; a breaker whose looks fall on either side of a
 * server pause; a holder whose heartbeats fail for `staleMs` while its calls still get through;
 * and a manager of an earlier version (which breaks any lock older than 10 s) on the same
 * database, can break a lock still held. FerretDB serves tests here.
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
/** Heartbeats and break marks older than this are deleted (once per this interval): long gone. */
const KEPT_MS = 3_600_000;
/**
 * Heartbeats a breaker must watch another store's heartbeat not move for before it breaks its
 * lock: a heartbeat held up by a server pause lands, and the next one after it, within them.
 */
const CONFIRM_BEATS = 3;
/** Other stores' locks watched at once, at most (see `#suspect`). */
const MAX_SUSPICIONS = 10_000;

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

/** A document of `lock_breaks`: the one store that breaks a lock in a `staleMs` window. */
interface BreakDoc {
  _id: string;
  /** Epoch ms on the breaker's clock. */
  at: number;
}

/** The timings of `DocumentLocks` (defaults above; tests shorten them). */
export interface LockTimings {
  staleMs?: number;
  heartbeatMs?: number;
}

/**
 * Another store's lock as a look saw it: its holder's heartbeat (`null`: none), since when that
 * heartbeat has not moved, and when it was last seen.
 */
interface Suspicion {
  beat: number | null;
  since: number;
  seen: number;
}

/** The document locks of one open store (see the module doc). */
export class DocumentLocks {
  readonly #locks: Collection<LockDoc>;
  readonly #holders: Collection<HolderDoc>;
  readonly #breaks: Collection<BreakDoc>;
  readonly #holder = crypto.randomUUID();
  /** The ids this store's calls hold (and its breaks of its own leftovers, while they run). */
  readonly #held = new Set<string>();
  /** Ids whose lock of this store may be left over (an unlock or insert failed). */
  readonly #leftovers = new Set<string>();
  /** Other stores' locks as this store's looks saw them, by `lockKey` (see `Suspicion`). */
  readonly #suspected = new Map<string, Suspicion>();
  readonly #staleMs: number;
  readonly #heartbeatMs: number;
  #heartbeat: number | undefined;
  /** When the heartbeat under way was sent (0: none is). */
  #beatStarted = 0;
  #sweptAt = 0;

  constructor(db: Db, timings: LockTimings = {}) {
    this.#locks = db.collection<LockDoc>("locks");
    this.#holders = db.collection<HolderDoc>("lock_holders");
    this.#breaks = db.collection<BreakDoc>("lock_breaks");
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

  /** Stops the heartbeat, as the store closes: what was left over stays for the stale rule. */
  close(): void {
    this.#leftovers.clear();
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Locks what it can of `ids` (none this store holds); returns those. */
  async #lock(ids: string[]): Promise<string[]> {
    const free = this.#hold(ids);
    if (free.length === 0) return [];
    const at = Date.now();
    try {
      await this.#locks.insertMany(
        free.map((_id) => ({ _id, at, holder: this.#holder })),
        { ordered: false },
      );
    } catch (error) {
      const taken = duplicateKeyFailures(error);
      if (taken === null) {
        // What the insert stored, if anything, is a lock of this store that no call holds.
        for (const id of free) this.#leftovers.add(id);
        this.#release(free);
        throw error;
      }
      this.#release(taken.map((i) => free[i]));
      const takenIndexes = new Set(taken);
      const got = free.filter((_, i) => !takenIndexes.has(i));
      for (const id of got) this.#leftovers.delete(id);
      return got;
    }
    for (const id of free) this.#leftovers.delete(id);
    return free;
  }

  async #unlock(ids: string[]): Promise<void> {
    try {
      await this.#locks.deleteMany({ _id: { $in: ids }, holder: this.#holder });
    } catch (error) {
      for (const id of ids) this.#leftovers.add(id);
      throw error;
    } finally {
      this.#release(ids);
    }
  }

  /** Deletes the locks of `ids` their holders left (see the module doc). */
  async #breakAbandoned(ids: string[]): Promise<void> {
    const notHeld = ids.filter((id) => !this.#held.has(id));
    if (notHeld.length === 0) return;
    const asked = Date.now();
    // A call of this store may take one of them while the find is under way: `#deleteLeftovers`
    // leaves the ids held alone.
    const locks = await this.#locks.find({ _id: { $in: notHeld } }).toArray();
    const others = locks.filter((lock) => lock.holder !== this.#holder);
    const beats = others.length === 0 ? new Map<string, number>() : new Map(
      (await this.#holders.find({ _id: { $in: [...new Set(others.map((lock) => lock.holder))] } })
        .toArray()).map((doc) => [doc._id, doc.at]),
    );
    const now = Date.now();
    // Answers slower than a heartbeat say the server is slow: the holder's may be on its way.
    const prompt = now - asked < this.#heartbeatMs;
    const before = now - this.#staleMs;
    const abandoned: LockDoc[] = [];
    for (const lock of others) {
      const beat = beats.get(lock.holder) ?? null;
      const key = lockKey(lock);
      const seen = this.#suspected.get(key);
      // Watched from the first look, so that a lock is broken about `staleMs` after its holder
      // went quiet, not that plus the watch.
      if (!prompt || !seen || seen.beat !== beat) {
        this.#suspect(key, { beat, since: now, seen: now });
        continue;
      }
      seen.seen = now;
      const stale = lock.at < before && (beat === null || beat < before);
      if (stale && now - seen.since >= CONFIRM_BEATS * this.#heartbeatMs) abandoned.push(lock);
    }
    await this.#deleteLeftovers(
      locks.filter((lock) => lock.holder === this.#holder).map((lock) => lock._id),
    );
    await this.#breakOnce(abandoned, now);
  }

  /**
   * Notes what a look saw of a lock. Past `MAX_SUSPICIONS`, those not seen for `staleMs` are
   * forgotten; while it stays full, no new one is noted (forgetting the oldest would keep every
   * lock from being watched long enough to be broken).
   */
  #suspect(key: string, suspicion: Suspicion): void {
    if (!this.#suspected.has(key) && this.#suspected.size >= MAX_SUSPICIONS) {
      for (const [other, seen] of this.#suspected) {
        if (suspicion.seen - seen.seen > this.#staleMs) this.#suspected.delete(other);
      }
      if (this.#suspected.size >= MAX_SUSPICIONS) return;
    }
    this.#suspected.set(key, suspicion);
  }

  /**
   * Deletes each lock of `abandoned` this store wins the break of: the first to insert the mark
   * of that lock (`lock_breaks`). A mark older than `staleMs` whose lock is still there was left
   * by a breaker that failed: the next generation of the mark may then be won.
   */
  async #breakOnce(abandoned: LockDoc[], now: number): Promise<void> {
    for (const lock of abandoned) {
      const mark = await this.#markBreak(lockKey(lock), now);
      if (mark === null) continue;
      try {
        await this.#locks.deleteOne({ _id: lock._id, at: lock.at, holder: lock.holder });
        this.#suspected.delete(lockKey(lock));
      } catch (error) {
        // Another store may try at once, rather than after `staleMs`.
        await this.#breaks.deleteOne({ _id: mark }).catch(() => {});
        throw error;
      }
    }
  }

  /** The id of the mark this store inserted for the lock `key`, or `null` when another holds it. */
  async #markBreak(key: string, now: number): Promise<string | null> {
    for (let generation = 0;; generation++) {
      const _id = `${key}|${generation}`;
      try {
        await this.#breaks.insertMany([{ _id, at: now }], { ordered: false });
        return _id;
      } catch (error) {
        if (duplicateKeyFailures(error) === null) throw error;
      }
      const mark = await this.#breaks.findOne({ _id });
      if (mark && mark.at >= now - this.#staleMs) return null;
    }
  }

  /**
   * Deletes this store's locks of `ids` that no call holds, holding them meanwhile (so that no
   * call of this store takes one while the delete, which FerretDB makes by `_id`, is under way).
   */
  async #deleteLeftovers(ids: string[]): Promise<void> {
    const free = this.#hold(ids);
    if (free.length === 0) return;
    try {
      await this.#locks.deleteMany({ _id: { $in: free }, holder: this.#holder });
      for (const id of free) this.#leftovers.delete(id);
    } finally {
      this.#release(free);
    }
  }

  /** Marks the ids of `ids` no call of this store holds as held; returns them. */
  #hold(ids: string[]): string[] {
    const free = ids.filter((id) => !this.#held.has(id));
    for (const id of free) this.#held.add(id);
    if (free.length > 0) this.#beat();
    return free;
  }

  /** Forgets `ids` as held; the heartbeat stops once nothing is held or left over. */
  #release(ids: string[]): void {
    for (const id of ids) this.#held.delete(id);
    if (this.#held.size > 0 || this.#leftovers.size > 0 || this.#heartbeat === undefined) return;
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Starts the heartbeat when this store begins to hold locks. */
  #beat(): void {
    if (this.#heartbeat !== undefined) return;
    this.#writeHeartbeat();
    this.#heartbeat = setInterval(() => this.#writeHeartbeat(), this.#heartbeatMs);
  }

  /** Writes the heartbeat, retries deleting left-over locks, and sweeps what is long gone. */
  #writeHeartbeat(): void {
    const now = Date.now();
    // One that has not come back in a heartbeat may never (the driver sets no socket timeout):
    // the next goes anyway.
    if (now - this.#beatStarted < this.#heartbeatMs) return;
    this.#beatStarted = now;
    const sweep = now - this.#sweptAt > KEPT_MS;
    if (sweep) this.#sweptAt = now;
    // A heartbeat that fails leaves the locks to age: the next one tries again, and another store
    // breaks them only after heartbeats failed for `staleMs`.
    (async () => {
      await this.#holders.updateOne({ _id: this.#holder }, { $set: { at: now } }, {
        upsert: true,
      });
      await this.#deleteLeftovers([...this.#leftovers]);
      if (sweep) {
        await this.#holders.deleteMany({ at: { $lt: now - KEPT_MS } });
        await this.#breaks.deleteMany({ at: { $lt: now - KEPT_MS } });
      }
    })().catch(() => {}).finally(() => {
      if (this.#beatStarted === now) this.#beatStarted = 0;
      this.#release([]);
    });
  }
}

/** One lock as taken: its id, when, by whom. */
function lockKey(lock: LockDoc): string {
  return `${lock._id}|${lock.at}|${lock.holder}`;
}
