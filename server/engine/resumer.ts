/**
 * The resumer: finishes the executor changes that a manager left half-way (it stopped meanwhile),
 * without waiting for a later change of the same executor: deletions, whose tasks then go and
 * whose name is freed (`Store.executorDeletionsResume`), and keyings, whose older tasks then get
 * a group key and reach the keyed claim (`Store.executorKeyingsResume`).
 */
import { EXECUTOR_DELETION_LEASE_MS } from "../domain/executor.ts";
import type { Logger } from "../log.ts";
import { Periodic } from "../periodic.ts";
import { announceExecutorsDeleted, type ServiceEvents } from "../service/events.ts";
import type { Store } from "../store/store.ts";

/** Looks for changes left half-way once at start, then every `intervalMs`; `stop()` is idempotent. */
export class Resumer {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #events: Pick<ServiceEvents, "emit"> | undefined;
  readonly #loop: Periodic;
  /**
   * Aborted by `stop`: a deletion's sweep or a keying walk a look began stops at its next batch
   * (it stays due, for the next look of any manager).
   */
  readonly #stopping = new AbortController();

  constructor(
    store: Store,
    options: {
      /** Pause between looks, in ms. Default `EXECUTOR_DELETION_LEASE_MS` (60 s). */
      intervalMs?: number;
      now?: () => number;
      log: Logger;
      /**
       * Told of the deletions it finished, as of a deletion through the API
       * (`announceExecutorsDeleted`: `executors_changed`, `schedules_changed`, `tasks_changed`).
       */
      events?: Pick<ServiceEvents, "emit">;
    },
  ) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
    this.#events = options.events;
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
    // One failing does not keep the other from running; what failed is thrown after both.
    const now = this.#now();
    const signal = this.#stopping.signal;
    const deletions = await settle(this.#store.executorDeletionsResume({ now, signal }));
    const keyings = await settle(this.#store.executorKeyingsResume({ now, signal }));
    if (deletions.names.length > 0) {
      this.#log.info("Finished executor deletions left half-way", { names: deletions.names });
      if (this.#events) announceExecutorsDeleted(this.#events, deletions.names);
    }
    if (keyings.names.length > 0) {
      this.#log.info("Finished keying the tasks of executors left half-way", {
        names: keyings.names,
      });
    }
    const failed = [deletions, keyings].filter((resume) => "error" in resume);
    if (failed.length === 1) throw failed[0].error;
    if (failed.length === 2) {
      const errors = failed.map((resume) => resume.error);
      // The message names both: a log keeps an error's message, not its `errors`.
      const messages = errors.map((error) => (error as Error)?.message ?? String(error));
      throw new AggregateError(errors, `Both resumes failed: ${messages.join("; ")}`);
    }
    return { deletions: deletions.names, keyings: keyings.names };
  }

  /**
   * Stops the loop and waits for a look under way, whose sweep or walk stops at its next batch
   * (shutdown does not wait for the rest of a large executor's tasks).
   */
  stop(): Promise<void> {
    this.#stopping.abort();
    return this.#loop.stop();
  }
}

/** The names `resume` answered, or its error. */
async function settle(resume: Promise<string[]>): Promise<{ names: string[]; error?: unknown }> {
  try {
    return { names: await resume };
  } catch (error) {
    return { names: [], error };
  }
}
