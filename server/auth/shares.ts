/**
 * A key's share of the manager's shared caps (event subscriptions, waits for tasks and the tasks
 * they wait for, worker streams, searches running and waiting): a key that is not an admin key holds at most half of the places
 * the other keys leave free, `floor((cap − held by other keys) / 2)`, and at least one. Alone on
 * the manager a key holds half of a cap; keys that take places side by side end at about
 * `cap / (keys + 1)` each; and a key that holds places never takes one of the last two free ones,
 * which go to keys holding none (and admin keys). So keys that take all they may only halve the
 * free places each: two left a quarter of a cap free, where a fixed half let two keys take every
 * place from a third. Places a key holds are never taken back; a share that shrank as other keys
 * came refuses only its new ones. With authentication off everyone is the one anonymous admin,
 * and the caps apply as they are.
 */
import { ResourceExhaustedError } from "../domain/errors.ts";

/**
 * Who takes places: an API key's id and name, and its scopes (an admin key's hold the whole cap).
 * A `Principal` (`./scopes.ts`) is one; this module names only what it reads, so that the request
 * byte account, which the configuration reads, can use the rule without the key machinery.
 */
export interface ShareHolder {
  keyId: string;
  keyName: string;
  scopes: readonly string[];
}

/** The caps keys share, as `tasks_executor_share_refusals_total{resource}` names them. */
export type SharedResource =
  | "event_subscriptions"
  | "searches"
  | "task_watchers"
  | "wait_bytes"
  | "watched_tasks"
  | "worker_streams";

/** Each shared cap as errors name it (`wait_bytes`' own errors are `request_bytes.ts`'). */
const NAMES: Record<SharedResource, string> = {
  event_subscriptions: "event subscriptions (MAX_SSE_SUBSCRIBERS)",
  searches: "searches and history reads running and waiting (MAX_SEARCHES + MAX_SEARCHES_QUEUED)",
  task_watchers: "waits for tasks (MAX_TASK_WATCHERS)",
  wait_bytes: "request bytes of creates that wait (half of MAX_REQUEST_BYTES_IN_FLIGHT)",
  watched_tasks: "tasks waited for (MAX_WATCHED_TASKS)",
  worker_streams: "worker streams (MAX_WORKER_STREAMS)",
};

/** Every shared cap, in `SharedResource`'s order. */
export const SHARED_RESOURCES = Object.keys(NAMES) as SharedResource[];

/** A refusal for a key's share, told on the service's events (the metrics count them). */
export interface ShareRefusedEvent {
  type: "share_refused";
  resource: SharedResource;
}

/** Where refusals are told: the service's events. */
export interface ShareRefusals {
  emit(event: ShareRefusedEvent): void;
}

/**
 * Half of what other keys holding `heldByOthers` leave free of a cap of `cap`: the share of a key
 * that is not an admin key, before its floor of one place (for request bytes, one request: see
 * `request_bytes.ts`).
 */
export function halfOfFree(cap: number, heldByOthers: number): number {
  return Math.floor((cap - heldByOthers) / 2);
}

/**
 * The places of a cap of `cap` one key may hold while other keys hold `heldByOthers` of them: all
 * for an admin key, else half of what the others leave free, at least one. `heldByOthers` defaults
 * to none: the share of a key alone, half.
 */
export function keyShareOf(caller: ShareHolder, cap: number, heldByOthers = 0): number {
  if (caller.scopes.includes("admin")) return cap;
  return Math.max(1, halfOfFree(cap, heldByOthers));
}

/**
 * Counts the places each key holds of one cap.
 *
 * @example
 * ```ts
 * import { KeyShares } from "./shares.ts";
 * import { ANONYMOUS_ADMIN } from "./scopes.ts";
 * const shares = new KeyShares("task_watchers", { emit: () => {} });
 * const release = shares.take(ANONYMOUS_ADMIN, 1, 10);
 * release();
 * ```
 */
export class KeyShares {
  readonly #resource: SharedResource;
  readonly #refusals: ShareRefusals;
  readonly #held = new Map<string, number>();
  #all = 0;

  /** @param refusals told of each refusal before it is thrown (the service's events) */
  constructor(resource: SharedResource, refusals: ShareRefusals) {
    this.#resource = resource;
    this.#refusals = refusals;
  }

  /**
   * Takes `count` places for `caller` of a cap of `cap`; the answer gives them back (once).
   *
   * @throws {ResourceExhaustedError} when the key would hold more than its share
   */
  take(caller: ShareHolder, count: number, cap: number): () => void {
    const key = caller.keyId;
    const held = this.#held.get(key) ?? 0;
    const share = keyShareOf(caller, cap, this.#all - held);
    if (held + count > share) {
      this.#refusals.emit({ type: "share_refused", resource: this.#resource });
      throw new ResourceExhaustedError(
        `Too many ${
          NAMES[this.#resource]
        } for key "${caller.keyName}": a key that is not an admin key holds at most ${share} of the ${cap} now, half of those the other keys leave free`,
      );
    }
    this.#held.set(key, held + count);
    this.#all += count;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#all -= count;
      const left = (this.#held.get(key) ?? count) - count;
      if (left > 0) this.#held.set(key, left);
      else this.#held.delete(key);
    };
  }
}
