/**
 * A caller's callback given to a call (`onTask`, `onCreated`), with what it threw kept apart from
 * the call's own failures.
 */

/**
 * Calls `fn`, a caller's callback (none: nothing to call), and remembers whether it threw. A call
 * that retries on its transport's failures (a wait watching again after an `UnavailableError`)
 * asks `rethrow()` first: what the callback threw, an `UnavailableError` of a call the callback
 * made included, ends the call with that very value, and is never taken for the manager being
 * lost (which watched again, and answered the tasks as if nothing had been thrown).
 *
 * @example
 * ```ts
 * import { CallerCallback } from "./_callback.ts";
 * const told = new CallerCallback((n: number) => {
 *   if (n > 1) throw new Error("too many");
 * });
 * told.call(1);
 * try {
 *   told.call(2);
 * } catch {
 *   // the call fails; whatever it failed with, it ends with what the callback threw
 * }
 * try {
 *   told.rethrow();
 * } catch (error) {
 *   console.log((error as Error).message); // "too many"
 * }
 * ```
 */
export class CallerCallback<T> {
  readonly #fn: ((value: T) => void) | null | undefined;
  #threw = false;
  #error: unknown;

  constructor(fn: ((value: T) => void) | null | undefined) {
    this.#fn = fn;
  }

  /** Calls the callback with `value`; what it throws is kept, and thrown on. */
  call(value: T): void {
    if (!this.#fn) return;
    try {
      this.#fn(value);
    } catch (error) {
      if (!this.#threw) {
        this.#threw = true;
        this.#error = error;
      }
      throw error;
    }
  }

  /** Throws what the callback threw (the first time it threw), when it did. */
  rethrow(): void {
    if (this.#threw) throw this.#error;
  }
}
