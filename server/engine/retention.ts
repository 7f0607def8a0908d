/**
 * The retention cleaner: deletes completed and cancelled tasks older than the configured TTL, in
 * small batches, so storage does not grow without bound. DLQ entries are kept until handled.
 */
import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";

/** Periodically purges finished tasks; `stop()` is safe to call twice. */
export class RetentionCleaner {
  #timer: number | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    readonly store: Store,
    readonly options: {
      ttlMs: number;
      intervalMs?: number;
      batch?: number;
      now?: () => number;
      log: Logger;
    },
  ) {}

  /** Starts the periodic sweep (nothing happens when the TTL is 0). */
  start(): void {
    if (this.options.ttlMs <= 0 || this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(() => {
      this.#running ??= this.sweep().then(
        () => {},
        (error) => this.options.log.warn("Retention sweep failed", { error }),
      ).finally(() => (this.#running = undefined));
    }, this.options.intervalMs ?? 60_000);
  }

  /** Deletes every finished task past the TTL now; returns how many. */
  async sweep(): Promise<number> {
    const now = (this.options.now ?? Date.now)();
    const batch = this.options.batch ?? 1000;
    let total = 0;
    while (!this.#stopped) {
      const deleted = await this.store.taskPurgeFinished({
        before: now - this.options.ttlMs,
        limit: batch,
      });
      total += deleted;
      if (deleted < batch) break;
    }
    if (total > 0) this.options.log.info("Purged finished tasks", { count: total });
    return total;
  }

  /** Stops sweeping and waits for a sweep under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
