/**
 * How many task searches and history reads run at once: each gives the thread back every 10 ms,
 * but 300 searches at once from one key held `/healthz` 1.4–4.4 s, and 100 reads of a week of 50
 * executors' history up to 4.9 s. At most `limits.searches` run per manager, the others wait in a
 * queue of at most `limits.searchesQueued`. A key that is not an admin key runs at most half of
 * `limits.searches` at once (the share of a key alone), so that a place freed goes to another key's
 * waiting search, and holds at most its share (`KeyShares`) of the places to run and wait together.
 */
import { ResourceExhaustedError, UnavailableError } from "../domain/errors.ts";
import type { Limits } from "../domain/limits.ts";
import { keyShareOf, KeyShares, type ShareRefusals } from "../auth/shares.ts";
import type { Principal } from "../auth/scopes.ts";

interface Waiter {
  caller: Principal;
  start: () => void;
}

/** What a search whose client went away while it waited is told (nobody hears it). */
const GONE = "The search's client went away before its turn";

/**
 * The searches running and waiting on one manager (see the module doc). Taking a slot answers the
 * function that gives it back; a search that cannot wait is refused.
 *
 * @example
 * ```ts
 * import { SearchSlots } from "./search_slots.ts";
 * import { ANONYMOUS_ADMIN } from "../auth/scopes.ts";
 * const slots = new SearchSlots({ searches: 4, searchesQueued: 64 }, { emit: () => {} });
 * const release = await slots.take(ANONYMOUS_ADMIN);
 * try {
 *   // … search …
 * } finally {
 *   release();
 * }
 * ```
 */
export class SearchSlots {
  readonly #limits: Pick<Limits, "searches" | "searchesQueued">;
  readonly #queue: Waiter[] = [];
  /** Running searches by key id, and their sum. */
  readonly #runningOf = new Map<string, number>();
  #running = 0;
  /** Each key's places of the searches running and waiting. */
  readonly #shares: KeyShares;

  /** @param refusals told of each refusal for a key's share (the service's events) */
  constructor(limits: Pick<Limits, "searches" | "searchesQueued">, refusals: ShareRefusals) {
    this.#limits = limits;
    this.#shares = new KeyShares("searches", refusals);
  }

  /** Searches running now. */
  get running(): number {
    return this.#running;
  }

  /** Searches waiting for a slot now. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * A slot for one search of `caller`: at once when one is free within the caller's key's share,
   * else when its turn in the queue comes. Answers the function that gives it back (once). Once
   * `signal` (the client's request) is aborted, a search still waiting leaves the queue: clients
   * that send searches and go away do not keep the queue full of work nobody waits for.
   *
   * @throws {ResourceExhaustedError} when the queue is full (MAX_SEARCHES_QUEUED), or the key holds
   *   its share of the searches running and waiting already
   * @throws {UnavailableError} when `signal` is aborted before the search's turn
   */
  take(caller: Principal, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new UnavailableError(GONE));
    const { searches, searchesQueued } = this.#limits;
    // No waiter may start now (the queue is pumped on every release): this one does not overtake.
    const starts = this.#mayStart(caller);
    if (!starts && this.#queue.length >= searchesQueued) {
      return Promise.reject(
        new ResourceExhaustedError(
          `Too many searches and history reads: ${searches} run and ${searchesQueued} wait already (MAX_SEARCHES, MAX_SEARCHES_QUEUED); try again shortly`,
        ),
      );
    }
    let give: () => void;
    try {
      give = this.#shares.take(caller, 1, searches + searchesQueued);
    } catch (error) {
      return Promise.reject(error);
    }
    if (starts) return Promise.resolve(this.#start(caller, give));
    return new Promise((resolve, reject) => {
      const leave = () => {
        const at = this.#queue.indexOf(waiter);
        if (at < 0) return;
        this.#queue.splice(at, 1);
        give();
        reject(new UnavailableError(GONE));
      };
      const waiter: Waiter = {
        caller,
        start: () => {
          signal?.removeEventListener("abort", leave);
          resolve(this.#start(caller, give));
        },
      };
      this.#queue.push(waiter);
      signal?.addEventListener("abort", leave, { once: true });
    });
  }

  /** Whether a search of `caller` may start now: a slot is free within its key's share. */
  #mayStart(caller: Principal): boolean {
    const { searches } = this.#limits;
    return this.#running < searches &&
      (this.#runningOf.get(caller.keyId) ?? 0) < keyShareOf(caller, searches);
  }

  /** Runs a search of `caller`; the answer ends it, giving back its slot and its key's place. */
  #start(caller: Principal, give: () => void): () => void {
    this.#running++;
    add(this.#runningOf, caller.keyId, 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.#running--;
      add(this.#runningOf, caller.keyId, -1);
      give();
      this.#pump();
    };
  }

  /** Starts waiting searches, oldest first, as long as slots are free for their keys. */
  #pump(): void {
    for (let i = 0; i < this.#queue.length && this.#running < this.#limits.searches;) {
      const waiter = this.#queue[i];
      if (!this.#mayStart(waiter.caller)) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      waiter.start();
    }
  }
}

function add(map: Map<string, number>, key: string, delta: number): void {
  const n = (map.get(key) ?? 0) + delta;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
