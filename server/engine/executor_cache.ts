/**
 * Executors by name, held in memory for the hot path. Refreshed when this manager changes them
 * (service event) and every few seconds, since other managers sharing the store may change them.
 */
import type { Executor } from "../domain/executor.ts";
import type { ServiceEvents } from "../service/events.ts";
import type { Store } from "../store/store.ts";
import { log } from "../log.ts";

/** How the cache is kept fresh. */
export interface ExecutorCacheOptions {
  /** Reload everything this often (ms). Default 3000. */
  refreshMs?: number;
  /** Called after a reload that changed anything. */
  onChange?: () => void;
}

/** An in-memory map of executors by name. */
export class ExecutorCache {
  readonly #store: Store;
  readonly #events: ServiceEvents;
  readonly #refreshMs: number;
  readonly #onChange: () => void;
  #byName = new Map<string, Executor>();
  #timer: number | undefined;
  #unsubscribe: (() => void) | undefined;
  #loading: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(store: Store, events: ServiceEvents, options: ExecutorCacheOptions = {}) {
    this.#store = store;
    this.#events = events;
    this.#refreshMs = options.refreshMs ?? 3000;
    this.#onChange = options.onChange ?? (() => {});
  }

  /** Loads every executor, then keeps them fresh until `stop`. */
  async start(): Promise<void> {
    this.#stopped = false;
    this.#unsubscribe = this.#events.on((event) => {
      if (event.type === "executors_changed") void this.refresh();
    });
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#refreshMs);
  }

  /** Stops refreshing and waits for a reload in flight. Safe to call twice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#loading;
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
   * reload after it, so a change is never missed nor loaded many times over.
   */
  refresh(): Promise<void> {
    if (this.#loading) {
      this.#again = true;
      return this.#loading;
    }
    this.#loading = (async () => {
      try {
        do {
          this.#again = false;
          if (this.#stopped) return;
          const executors = await this.#store.executorList();
          const next = new Map(executors.map((e) => [e.name, e]));
          const changed = next.size !== this.#byName.size ||
            executors.some((e) => this.#byName.get(e.name)?.updatedAt !== e.updatedAt);
          this.#byName = next;
          if (changed && !this.#stopped) this.#onChange();
        } while (this.#again);
      } catch (error) {
        // The store may be briefly unavailable; the next tick tries again.
        if (!this.#stopped) log.warn("Cannot reload executors", { error });
      } finally {
        this.#loading = undefined;
      }
    })();
    return this.#loading;
  }
}
