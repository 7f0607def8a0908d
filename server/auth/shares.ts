/**
 * A key's share of the manager's shared caps (event subscriptions, waits for tasks, worker
 * streams): a key that is not an admin key holds at most half of each, so that no `read`,
 * `producer` or `worker` key can take every place and lock the others out (one `read` key held
 * all 200 event subscriptions, and the admin's got 503). With authentication off everyone is the
 * one anonymous admin, and the caps apply as they are.
 */
import { ResourceExhaustedError } from "../domain/errors.ts";
import type { Principal } from "./scopes.ts";

/** The places of a cap of `cap` one key may hold: all of them for an admin key, else half. */
export function keyShareOf(caller: Principal, cap: number): number {
  return caller.scopes.includes("admin") ? cap : Math.max(1, Math.floor(cap / 2));
}

/**
 * @param held the places the caller's key holds already
 * @param what names the cap, e.g. `worker streams (MAX_WORKER_STREAMS)`
 * @throws {ResourceExhaustedError} when `count` more would take the key past its share
 */
export function assertKeyShare(
  caller: Principal,
  held: number,
  count: number,
  cap: number,
  what: string,
): void {
  const share = keyShareOf(caller, cap);
  if (held + count > share) {
    throw new ResourceExhaustedError(
      `Too many ${what} for key "${caller.keyName}": a key that is not an admin key holds at most ${share} of the ${cap}`,
    );
  }
}

/**
 * Counts the places each key holds of one cap.
 *
 * @example
 * ```ts
 * import { KeyShares } from "./shares.ts";
 * import { ANONYMOUS_ADMIN } from "./scopes.ts";
 * const shares = new KeyShares("waits (MAX_TASK_WATCHERS)");
 * const release = shares.take(ANONYMOUS_ADMIN, 1, 10);
 * release();
 * ```
 */
export class KeyShares {
  readonly #what: string;
  readonly #held = new Map<string, number>();

  /** @param what names the cap in errors, e.g. `event subscriptions (MAX_SSE_SUBSCRIBERS)` */
  constructor(what: string) {
    this.#what = what;
  }

  /**
   * Takes `count` places for `caller` of a cap of `cap`; the answer gives them back (once).
   *
   * @throws {ResourceExhaustedError} when the key would hold more than its share
   */
  take(caller: Principal, count: number, cap: number): () => void {
    const held = this.#held.get(caller.keyId) ?? 0;
    assertKeyShare(caller, held, count, cap, this.#what);
    this.#held.set(caller.keyId, held + count);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.#held.get(caller.keyId) ?? count) - count;
      if (left > 0) this.#held.set(caller.keyId, left);
      else this.#held.delete(caller.keyId);
    };
  }
}
