/**
 * What the worker service guesses a leased task costs in a worker's flow-control window: the bytes
 * of an assignment per task, per executor name, as last encoded for any stream of the process, so
 * that a stream that opened late, or reads nothing, is leased no more than its window holds.
 * @module
 */

/**
 * Bytes per task by executor name, at most `most` names, the one learned the longest ago forgotten
 * first: executors deleted and made again under new names would otherwise add one each for the
 * life of the process, and a name still leased is learned again at each lease, so it stays. A
 * name forgotten while its executor still exists is learned again from its next lease (until
 * then that lease is kept small).
 *
 * @example
 * ```ts
 * import { BytesPerTask } from "./bytes_per_task.ts";
 * const sizes = new BytesPerTask(2);
 * sizes.learn("a", 100);
 * sizes.learn("b", 200);
 * sizes.learn("a", 150);
 * sizes.learn("c", 300);
 * console.log(sizes.get("a"), sizes.get("b"), sizes.get("c")); // 150 undefined 300
 * ```
 */
export class BytesPerTask {
  readonly #of = new Map<string, number>();
  #most: number;

  /** `most`: names kept at once (at least 1). */
  constructor(most: number) {
    this.#most = Math.max(1, most);
  }

  /** Bytes per task last learned for `executorName`, if it is known. */
  get(executorName: string): number | undefined {
    return this.#of.get(executorName);
  }

  /** Notes `bytes` per task for `executorName`; past `most` names, the one learned longest ago goes. */
  learn(executorName: string, bytes: number): void {
    // Deleted and set again, the name moves to the end of the map's order.
    if (!this.#of.delete(executorName)) {
      for (const name of this.#of.keys()) {
        if (this.#of.size < this.#most) break;
        this.#of.delete(name);
      }
    }
    this.#of.set(executorName, bytes);
  }

  /** Names known now. */
  get size(): number {
    return this.#of.size;
  }
}
