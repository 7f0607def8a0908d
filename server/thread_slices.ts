/**
 * Long work on the manager's one thread (a search scan, a bulk change) cut into slices, so that
 * requests, heartbeats and timers get the thread between them.
 */

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

  /**
   * Resolves at once while the slice is shorter than `SLICE_MS`; otherwise after a timer turn of
   * the event loop, where waiting I/O runs (`setImmediate` and promise jobs do not let Deno's
   * HTTP server answer in between: measured, a bulk change awaiting one per step held `/healthz`
   * for its whole 0.3 s), and a new slice starts.
   */
  async turn(): Promise<void> {
    if (performance.now() - this.#start < SLICE_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#start = performance.now();
  }
}

/**
 * Work that holds the thread in one go for a while (an embedded store's page read: about 50 ms
 * for 1,000 tasks of 1.5 KB, read and decoded; a 4 MiB body's parse, about 40 ms) taking turns: at
 * most `concurrency` at once, and when one ends and others wait, the next starts after a timer
 * turn of the event loop, where waiting I/O runs. Without turns each ran straight after the one
 * before: 600 list pages asked at once held `/healthz` 13–23 s. Work that waits on I/O (a MongoDB
 * read) takes no turn: it would hold a place while the thread is free.
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
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  /** @param concurrency most works under way at once */
  constructor(concurrency: number) {
    this.#concurrency = concurrency;
  }

  /** Runs `work` in its turn; settles as it does. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      // Its place is handed over by the one that ends (`#next`): the count stays.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await work();
    } finally {
      this.#next();
    }
  }

  #next(): void {
    const next = this.#waiting.shift();
    if (next) setTimeout(next, 0);
    else this.#running--;
  }
}

/**
 * The turns of the manager's page reads that hold its thread in one go (the embedded store's
 * listings): one process, one thread, so one set of turns for them all.
 */
export const PAGE_READ_TURNS = new ThreadTurns(4);

/**
 * The turns of large request bodies' parses: their own, so that page reads, which any key that may
 * read can send by the hundred, do not hold up creates (150 lists of 1,000 tasks in flight held a
 * 100 KB create 3.9 s when they shared turns).
 */
export const PARSE_TURNS = new ThreadTurns(4);
