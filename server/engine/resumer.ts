/**
 * The resumer: finishes the executor changes that a manager left half-way (it stopped meanwhile),
 * without waiting for a later change of the same executor: deletions, whose tasks then go and
 * whose name is freed (`Store.executorDeletionsResume`), and keyings, whose older tasks then get
 * a group key and reach the keyed claim (`Store.executorKeyingsResume`).
 */
import { EXECUTOR_DELETION_LEASE_MS } from "../domain/executor.ts";
import type { Logger } from "../log.ts";
import { Periodic } from "../periodic.ts";
import type { Store } from "../store/store.ts";

/** Looks for changes left half-way once at start, then every `intervalMs`; `stop()` is idempotent. */
export class Resumer {
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
      name: "Executor change resume",
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

  /** Finishes every deletion abandoned by now and every keying due; answers their executors. */
  async resumeOnce(): Promise<{ deletions: string[]; keyings: string[] }> {
    const deletions = await this.#store.executorDeletionsResume({ now: this.#now() });
    if (deletions.length > 0) {
      this.#log.info("Finished executor deletions left half-way", { names: deletions });
    }
    const keyings = await this.#store.executorKeyingsResume();
    if (keyings.length > 0) {
      this.#log.info("Finished keying the tasks of executors", { names: keyings });
    }
    return { deletions, keyings };
  }

  /** Stops the loop and waits for a look under way. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
