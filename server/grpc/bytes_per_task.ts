/**
 * What the worker service guesses a leased task costs in a worker's flow-control window: the bytes
 * of an assignment per task, per executor name, as last encoded for any stream of the process, so
 * that a stream that opened late, or reads nothing, is leased no more than its window holds.
 * @module
 */

/**
 * Bytes per task by executor name, kept in the order the names were first seen and at most `most`
 * of them (a manager's `Limits.executors`): executors deleted and made again under new names would
 * otherwise add one each for the life of the process. A name forgotten so, while its executor
 * still exists, is learned again from its next lease.
 *
 * @example
 * ```ts
 * import { BytesPerTask } from "./bytes_per_task.ts";
 * const sizes = new BytesPerTask(2);
 * sizes.learn("a", 100);
 * sizes.learn("b", 200);
 * sizes.learn("c", 300);
 * console.log(sizes.get("a"), sizes.get("c")); // undefined 300
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

  /** Notes `bytes` per task for `executorName`; past `most` names, the one seen first goes. */
  learn(executorName: string, bytes: number): void {
    if (!this.#of.has(executorName)) {
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
