/**
 * Executors by name, held in memory for the hot path. Refreshed when this manager changes them
 * (service event) and every few seconds, since other managers sharing the store may change them.
 */
import type { Executor } from "../domain/executor.ts";
import type { ServiceEvents } from "../service/events.ts";
import { executorNamed, sameVersion, type Store } from "../store/store.ts";
import type { Logger } from "../log.ts";
import { Periodic } from "../periodic.ts";

/**
 * The pause between two reloads of the executors (ms), from the end of one to the start of the
 * next: how long a change made through another manager sharing the store (a rate limit, say) may
 * take to reach this one's claims. README's Rate limits states it.
 */
export const EXECUTOR_RELOAD_MS = 3000;

/** How many changed executors a reload reads from the store in one list. */
const RELOAD_READS_AT_ONCE = 50;

/** How the cache is kept fresh. */
export interface ExecutorCacheOptions {
  /** Reload everything this often (ms). Default `EXECUTOR_RELOAD_MS`. */
  refreshMs?: number;
  /** Called after a reload that changed anything. */
  onChange?: () => void;
  /**
   * Called with the executors a reload no longer finds: deleted through this manager or through
   * another one sharing the store (seen within `refreshMs`).
   */
  onDeleted?: (names: string[]) => void;
  log: Logger;
}

/** An in-memory map of executors by name. */
export class ExecutorCache {
  readonly #store: Store;
  readonly #events: ServiceEvents;
  readonly #onChange: () => void;
  readonly #onDeleted: (names: string[]) => void;
  readonly #loop: Periodic;
  #byName = new Map<string, Executor>();
  #unsubscribe: (() => void) | undefined;

  constructor(store: Store, events: ServiceEvents, options: ExecutorCacheOptions) {
    this.#store = store;
    this.#events = events;
    this.#onChange = options.onChange ?? (() => {});
    this.#onDeleted = options.onDeleted ?? (() => {});
    this.#loop = new Periodic({
      name: "Executor reload",
      intervalMs: options.refreshMs ?? EXECUTOR_RELOAD_MS,
      run: () => this.#reload(),
      log: options.log,
    });
  }

  /** Loads every executor, then keeps them fresh until `stop`. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#events.on((event) => {
      if (event.type === "executors_changed") void this.refresh();
    });
    this.#loop.start();
    await this.refresh();
  }

  /** Stops refreshing and waits for a reload in flight. Safe to call twice. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#loop.stop();
  }

  /** The cached executor, without touching the store. */
  peek(name: string): Executor | undefined {
    return this.#byName.get(name);
  }

  /** The executor, loaded from the store when the cache does not know it yet. */
  async get(name: string): Promise<Executor | undefined> {
    const cached = this.#byName.get(name);
    if (cached) return cached;
    const found = await executorNamed(this.#store, name);
    if (found) {
      this.#byName.set(name, found);
      return found;
    }
    return undefined;
  }

  /**
   * Reloads every executor from the store. Calls made while a reload runs coalesce into one more
   * reload after it, so a change is never missed nor loaded many times over. No-op once stopped.
   */
  refresh(): Promise<void> {
    return this.#loop.runNow();
  }

  /**
   * Reads which executors exist and when each last changed, then only those new or changed since
   * (`RELOAD_READS_AT_ONCE` at a time): every manager reloads every few seconds, and reading every
   * configuration each time (1,000 executors with 60 KB schemas) held the thread for 240 ms.
   */
  async #reload(): Promise<void> {
    // What was held before the list of versions was read: only those can be found deleted.
    const held = new Set(this.#byName.keys());
    const versions = await this.#store.executorVersions();
    if (!this.#loop.running) return;
    const stale = versions.filter((v) => {
      const known = this.#byName.get(v.name);
      return !known || !sameVersion(known, v);
    });
    const fresh = new Map<string, Executor>();
    for (let i = 0; i < stale.length; i += RELOAD_READS_AT_ONCE) {
      // By name (`executorGet` of an id may find an executor named like that id instead).
      const names = stale.slice(i, i + RELOAD_READS_AT_ONCE).map((v) => v.name);
      const { items } = await this.#store.executorList({ names }, { limit: names.length });
      for (const executor of items) fresh.set(executor.name, executor);
    }
    if (!this.#loop.running) return;
    const staleNames = new Set(stale.map((v) => v.name));
    const next = new Map<string, Executor>();
    for (const { name } of versions) {
      // One deleted between the two reads is left out, as gone.
      const executor = staleNames.has(name) ? fresh.get(name) : this.#byName.get(name);
      if (executor) next.set(name, executor);
    }
    // One `get` added meanwhile (made after the list was read) is kept, not taken for deleted.
    for (const [name, executor] of this.#byName) {
      if (!held.has(name) && !next.has(name)) next.set(name, executor);
    }
    const deleted = [...held].filter((name) => !next.has(name));
    this.#byName = next;
    if (fresh.size > 0 || deleted.length > 0) this.#onChange();
    if (deleted.length > 0) this.#onDeleted(deleted);
  }
}
