/**
 * Executors by name, held in memory for the hot path. Refreshed when this manager changes them
 * (service event) and every few seconds, since other managers sharing the store may change them.
 */
import type { Executor } from "../domain/executor.ts";
import type { ServiceEvents } from "../service/events.ts";
import type { Store } from "../store/store.ts";
import type { Logger } from "../log.ts";
import { Periodic } from "../periodic.ts";

/** How the cache is kept fresh. */
export interface ExecutorCacheOptions {
  /** Reload everything this often (ms). Default 3000. */
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
      intervalMs: options.refreshMs ?? 3000,
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
    const found = await this.#store.executorGet(name);
    if (found && found.name === name) {
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

  async #reload(): Promise<void> {
    const executors = await this.#store.executorList();
    if (!this.#loop.running) return;
    const next = new Map(executors.map((e) => [e.name, e]));
    const changed = next.size !== this.#byName.size ||
      executors.some((e) => this.#byName.get(e.name)?.updatedAt !== e.updatedAt);
    const deleted = [...this.#byName.keys()].filter((name) => !next.has(name));
    this.#byName = next;
    if (changed) this.#onChange();
    if (deleted.length > 0) this.#onDeleted(deleted);
  }
}
