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
