/**
 * Long work on the manager's one thread (a search scan, a bulk change) cut into slices, so that
 * requests, heartbeats and timers get the thread between them.
 */

import { ResourceExhaustedError, UnavailableError } from "./domain/errors.ts";

/** Longest a slice holds the thread before `turn` gives it back, in ms. */
export const SLICE_MS = 10;

/**
 * Measures the slice being run; `turn` gives the thread back when it has lasted `SLICE_MS`.
 *
 * @example
 * ```ts
 * import { ThreadSlices } from "./thread_slices.ts";
 * const slices = new ThreadSlices();
 * for (let i = 0; i < 3; i++) {
 *   // ...one step of the work...
 *   await slices.turn();
 * }
 * ```
 */
export class ThreadSlices {
  #start = performance.now();
  /** Time, in ms, the slices before the current one held the thread. */
  #heldMs = 0;

  /**
   * Resolves at once while the slice is shorter than `SLICE_MS`; otherwise after a timer turn of
   * the event loop, where waiting I/O runs (`setImmediate` and promise jobs do not let Deno's
   * HTTP server answer in between: measured, a bulk change awaiting one per step held `/healthz`
   * for its whole 0.3 s), and a new slice starts.
   */
  async turn(): Promise<void> {
    const now = performance.now();
    if (now - this.#start < SLICE_MS) return;
    this.#heldMs += now - this.#start;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#start = performance.now();
  }

  /**
   * Time, in ms, the work held the thread since these slices were made: the current slice so far
   * and every slice before it, without the turns given back in between (where other work ran).
   */
  heldMs(): number {
    return this.#heldMs + performance.now() - this.#start;
  }
}

/** How much of the thread works taking turns may use together (`ThreadTurns`). */
export interface ThreadShare {
  /** Share of the thread's time, 0 < share ≤ 1: a work that lasted d ms puts off the next by d / share − d. */
  share: number;
  /** Time, in ms, works may take in a row before the share holds them back (the bucket's size). */
  burstMs: number;
}

/**
 * Work that holds the thread in one go for a while (an embedded store's page read: about 50 ms
 * for 1,000 tasks of 1.5 KB, read and decoded; a 4 MiB body's parse, about 40 ms) taking turns: at
 * most `concurrency` at once, and when one ends and others wait, the next starts after a timer
 * turn of the event loop, where waiting I/O runs. Without turns each ran straight after the one
 * before: 600 list pages asked at once held `/healthz` 13–23 s. Work that waits on I/O (a MongoDB
 * read) takes no turn: it would hold a place while the thread is free.
 *
 * With a `share`, the works' time comes out of a bucket of thread time that fills at `share` ms a
 * ms up to `burstMs` (a token bucket): each work takes the time it held the thread, measured by
 * the `ThreadSlices` it is given (a work that gives the thread back between slices is not charged
 * for what others did meanwhile: charged its wall time, a page read got 9% of the thread instead
 * of 30% beside busy handlers), and while the bucket is in debt the next work waits until it is
 * paid back, on a timer, where everything else runs.
 *
 * @example
 * ```ts
 * import { ThreadTurns } from "./thread_slices.ts";
 * const turns = new ThreadTurns(2);
 * const pages = await Promise.all([1, 2, 3].map((n) => turns.run(() => Promise.resolve(n))));
 * console.log(pages); // [1, 2, 3]
 * ```
 */
export class ThreadTurns {
  readonly #concurrency: number;
  readonly #share: number;
  readonly #burstMs: number;
  readonly #waitingPerOwner: number;
  readonly #waitingTotal: number;
  /** Works waiting for a place, of every owner. */
  #queued = 0;
  #running = 0;
  /** Works waiting for a place, by owner; owners in the order they are served next. */
  readonly #waiting = new Map<string, Waiter[]>();
  /**
   * Owners out of the rotation while a work of theirs runs, with their works waiting: each goes
   * back to the end of the rotation when that work ends, behind owners that came meanwhile.
   */
  readonly #resting = new Map<string, Waiter[]>();
  /** Thread time left in the bucket, in ms: below 0, a debt. */
  #tokens: number;
  #filledAt = performance.now();

  /**
   * @param concurrency most works under way at once
   * @param options `share`: how much of the thread they may take together (absent: all of it);
   *   `waitingPerOwner`: most works of one owner waiting at once; `waitingTotal`: most works
   *   waiting at once, of every owner (absent: no limit)
   */
  constructor(
    concurrency: number,
    options: Partial<ThreadShare> & { waitingPerOwner?: number; waitingTotal?: number } = {},
  ) {
    this.#concurrency = concurrency;
    this.#share = options.share ?? 1;
    this.#burstMs = options.burstMs ?? Infinity;
    this.#waitingPerOwner = options.waitingPerOwner ?? Infinity;
    this.#waitingTotal = options.waitingTotal ?? Infinity;
    this.#tokens = this.#burstMs;
  }

  /**
   * Runs `work` in its turn; settles as it does. Works waiting for a place are served owner by
   * owner in rotation, each owner's in the order they came: an owner with a hundred waiting
   * delays another's by one work, not a hundred.
   *
   * @param work given the slices it is measured by: a work that runs long gives the thread back
   *   with their `turn`, and is charged only what they held it (`ThreadSlices.heldMs`)
   * @param owner whom the work is done for (an API key's id); works of one owner queue behind one another
   * @param signal the client's request: once aborted, the work leaves the queue, or does not
   *   start when its turn comes
   * @throws {UnavailableError} when `signal` is aborted before the work starts (nobody hears it)
   * @throws {ResourceExhaustedError} when `waitingPerOwner` works of `owner`, or `waitingTotal`
   *   works, wait already
   */
  async run<T>(
    work: (slices: ThreadSlices) => Promise<T>,
    owner = "",
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) throw gone();
    if (this.#running >= this.#concurrency) {
      // Its place is handed over by the one that ends (`#next`), the debt paid: the count stays.
      await this.#queue(owner, signal);
    } else {
      this.#running++;
      const debt = this.#debtMs();
      if (debt > 0) await new Promise((resolve) => setTimeout(resolve, debt));
      if (signal?.aborted) {
        this.#next();
        throw gone();
      }
    }
    const slices = new ThreadSlices();
    try {
      return await work(slices);
    } finally {
      this.#tokens -= slices.heldMs();
      this.#backInRotation(owner);
      this.#next();
    }
  }

  /** `owner`, resting while a work of its own had the place, back at the end of the rotation. */
  #backInRotation(owner: string): void {
    const resting = this.#resting.get(owner);
    if (!resting) return;
    this.#resting.delete(owner);
    this.#waiting.set(owner, resting);
  }

  /** Waits in `owner`'s queue until `#next` hands this work a place. */
  #queue(owner: string, signal: AbortSignal | undefined): Promise<void> {
    const queue = this.#waiting.get(owner) ?? this.#resting.get(owner);
    if ((queue?.length ?? 0) >= this.#waitingPerOwner) {
      throw new ResourceExhaustedError(
        `${
          queue!.length
        } reads of this key (with authentication off, of this host) wait for their turn already, the most one key may have waiting (PAGE_READS_WAITING_PER_KEY); retry later`,
      );
    }
    if (this.#queued >= this.#waitingTotal && !this.#makeRoom(queue?.length ?? 0)) {
      throw new ResourceExhaustedError(
        `${this.#queued} page reads wait for their turn already, the most the manager keeps waiting (PAGE_READS_WAITING); retry later`,
      );
    }
    return new Promise<void>((resolve, reject) => {
      /** Takes this work out of its owner's queue; `false` when it is no longer there. */
      const remove = (): boolean => {
        const queue = this.#waiting.get(owner) ?? this.#resting.get(owner);
        const at = queue?.indexOf(waiter) ?? -1;
        if (at < 0) return false;
        queue!.splice(at, 1);
        this.#queued--;
        if (queue!.length === 0) {
          this.#waiting.delete(owner);
          this.#resting.delete(owner);
        }
        return true;
      };
      const leave = () => {
        if (remove()) reject(gone());
      };
      const waiter: Waiter = {
        evict: () => {
          signal?.removeEventListener("abort", leave);
          if (!remove()) return;
          reject(
            new ResourceExhaustedError(
              "This read made room for another key's: the manager keeps at most PAGE_READS_WAITING page reads waiting, and this key had the most of them; retry later",
            ),
          );
        },
        start: () => {
          signal?.removeEventListener("abort", leave);
          if (!signal?.aborted) return resolve();
          // Gone while its debt was paid: the place goes on, and its owner's others wait in turn
          // again (left resting, they were never served while other owners kept the place).
          this.#backInRotation(owner);
          this.#next();
          reject(gone());
        },
      };
      signal?.addEventListener("abort", leave, { once: true });
      this.#queued++;
      if (queue) queue.push(waiter);
      else this.#waiting.set(owner, [waiter]);
    });
  }

  /**
   * With `waitingTotal` works waiting, room for one more of an owner with `mine` waiting: the
   * owner with the most waiting, when it has more than `mine + 1`, has its latest work refused in
   * its place. So an owner's flood (or many owners' at their cap) cannot lock out an owner with
   * fewer waiting. `false` when no owner has more.
   */
  #makeRoom(mine: number): boolean {
    let longest: Waiter[] = [];
    for (const queue of [...this.#waiting.values(), ...this.#resting.values()]) {
      if (queue.length > longest.length) longest = queue;
    }
    if (longest.length <= mine + 1) return false;
    longest.at(-1)!.evict();
    return true;
  }

  #next(): void {
    const [owner, queue] = this.#waiting.entries().next().value ?? [];
    if (owner === undefined || queue === undefined) {
      this.#running--;
      return;
    }
    const next = queue.shift()!;
    this.#queued--;
    // The owner leaves the rotation; with works left waiting, it rests until this one ends.
    this.#waiting.delete(owner);
    if (queue.length > 0) this.#resting.set(owner, queue);
    setTimeout(next.start, this.#debtMs());
  }

  /** How long, in ms, the bucket takes to be out of debt (0 when it is not), filled to now. */
  #debtMs(): number {
    const now = performance.now();
    this.#tokens = Math.min(this.#burstMs, this.#tokens + (now - this.#filledAt) * this.#share);
    this.#filledAt = now;
    return this.#tokens >= 0 ? 0 : -this.#tokens / this.#share;
  }
}

/**
 * A work waiting for its turn: `start` is called when it has a place; `evict` refuses it, to make
 * room for another owner's (`#makeRoom`).
 */
interface Waiter {
  start: () => void;
  evict: () => void;
}

/** What a work whose client went away before its turn is told (nobody hears it). */
function gone(): UnavailableError {
  return new UnavailableError("The request's client went away before its turn to read");
}

/** Share of the manager's thread its page reads may take together once `PAGE_READ_BURST_MS` is spent. */
export const PAGE_READ_SHARE = 0.3;
/** Thread time, in ms, page reads may take in a row before `PAGE_READ_SHARE` holds them back. */
export const PAGE_READ_BURST_MS = 100;
/**
 * Most page reads of one key (with authentication off, of one host) waiting for their turn; past it one is refused (503 /
 * RESOURCE_EXHAUSTED) rather than queued behind the key's own, a minute back at 30% of the thread.
 */
export const PAGE_READS_WAITING_PER_KEY = 64;
/**
 * Most page reads waiting for their turn, of every key; past it one more is refused (503 /
 * RESOURCE_EXHAUSTED), unless another key has more waiting than it would: that key's latest read
 * is refused in its place, so that keys at their cap cannot lock out one with fewer waiting. Keys are made by admins, but with authentication off each client host is a
 * key of its own, and one machine may speak from many addresses (127.0.0.0/8, an IPv6 /64): eight
 * addresses held 8 × 64 reads waiting.
 */
export const PAGE_READS_WAITING = 1024;

/**
 * The turns of the manager's page reads that hold its thread in one go (the embedded store's
 * listings): one process, one thread, so one set of turns for them all. One at a time, and
 * together at most `PAGE_READ_SHARE` of the thread once `PAGE_READ_BURST_MS` is spent: 200
 * clients listing 1,000 tasks of 1.5 KB in a loop, four at a time with no share, held every
 * other request's turn of the event loop long enough that an SDK worker beside them went from
 * ~280 to 2–3 tasks a second.
 */
export const PAGE_READ_TURNS = new ThreadTurns(1, {
  share: PAGE_READ_SHARE,
  burstMs: PAGE_READ_BURST_MS,
  waitingPerOwner: PAGE_READS_WAITING_PER_KEY,
  waitingTotal: PAGE_READS_WAITING,
});

/**
 * Runs a page read of the embedded store in its turn (`PAGE_READ_TURNS`) for `page.reader`. A read
 * for no reader — the manager's own, and lookups of executors by name, which read a few rows by
 * key — takes no turn: a create for an executor not yet cached, or a bulk retry looking up each
 * task's executor, waited behind a flood of other keys' listings (0.2 s for one create, 7 s when
 * creates for missing executors shared its place in the rotation).
 */
export function pageReadInTurn<T>(
  work: (slices: ThreadSlices) => Promise<T>,
  page: { reader?: string; signal?: AbortSignal },
): Promise<T> {
  return page.reader === undefined
    ? work(new ThreadSlices())
    : PAGE_READ_TURNS.run(work, page.reader, page.signal);
}

/**
 * The turns of large request bodies' parses: their own, so that page reads, which any key that may
 * read can send by the hundred, do not hold up creates (150 lists of 1,000 tasks in flight held a
 * 100 KB create 3.9 s when they shared turns).
 */
export const PARSE_TURNS = new ThreadTurns(4);
