/**
 * The deletion resumer: finishes executor deletions that a manager left half-way (it stopped while
 * their tasks were being deleted), so that those tasks go and the name is freed without waiting for
 * a create of the name (`Store.executorDeletionsResume`).
 */
import { EXECUTOR_DELETION_LEASE_MS } from "../domain/executor.ts";
import type { Logger } from "../log.ts";
import { Periodic } from "../periodic.ts";
import type { Store } from "../store/store.ts";

/** Looks for abandoned deletions once at start, then every `intervalMs`; `stop()` is idempotent. */
export class DeletionResumer {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #loop: Periodic;

  constructor(
    store: Store,
    options: {
      /** Pause between looks, in ms. Default `EXECUTOR_DELETION_LEASE_MS` (60 s). */
      intervalMs?: number;
      now?: () => number;
      log: Logger;
    },
  ) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    this.#loop = new Periodic({
      name: "Executor deletion resume",
      intervalMs: options.intervalMs ?? EXECUTOR_DELETION_LEASE_MS,
      run: () => this.resumeOnce(),
      log: options.log,
    });
  }

  /** Starts the loop, with a first look now: a manager started after a crash finishes at once. */
  start(): void {
    this.#loop.start();
    void this.#loop.runNow();
  }

  /** Finishes every deletion abandoned by now; answers their executors' names. */
  async resumeOnce(): Promise<string[]> {
    const names = await this.#store.executorDeletionsResume({ now: this.#now() });
    if (names.length > 0) this.#log.info("Finished executor deletions left half-way", { names });
    return names;
  }

  /** Stops the loop and waits for a look under way. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
