/**
 * The one start/stop contract of the manager's background loops (the dispatcher's poll, the
 * rescuer, the lease check, the executor cache refresh, the retention cleaner, the scheduler):
 * a job run every `intervalMs`, never two runs at once, failures logged and the loop kept going,
 * `stop` idempotent and waiting for a run in flight.
 *
 * The loop is a chain of timeouts, not an interval: a slow store never gets a second run queued
 * behind the first, and the next run starts `intervalMs` after the previous one ended.
 */
import type { Logger } from "./log.ts";

/** What a background loop runs, how often, and where its failures go. */
export interface PeriodicOptions {
  /** What the loop does, as its failure log line says it ("Lease rescue"). */
  name: string;
  /** Pause between the end of one run and the start of the next (ms). */
  intervalMs: number;
  /** One run; a rejection is logged at warn and the loop goes on. */
  run: () => Promise<unknown>;
  log: Logger;
}

/**
 * A background loop.
 *
 * @example
 * ```ts
 * import { Periodic } from "./periodic.ts";
 * import { log } from "./log.ts";
 * const loop = new Periodic({ name: "Tick", intervalMs: 1000, run: async () => {}, log });
 * loop.start();
 * await loop.stop();
 * await loop.stop(); // a second stop is a no-op
 * ```
 */
export class Periodic {
  readonly #options: PeriodicOptions;
  #timer: number | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;

  constructor(options: PeriodicOptions) {
    this.#options = options;
  }

  /** Whether the loop is started and not stopped. */
  get running(): boolean {
    return !this.#stopped;
  }

  /** Starts the loop (its first run is one interval away); no-op while it runs. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  /**
   * Runs the job now, outside its timer, and resolves when that run ended: joins a run in flight
   * and runs once more after it, so a change made before the call is always seen. No-op once
   * stopped.
   */
  runNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#running = this.#runLoop();
    return this.#running;
  }

  /** Stops the loop and waits for a run in flight. Safe to call any number of times. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running ??= this.#runLoop();
    }, this.#options.intervalMs);
  }

  async #runLoop(): Promise<void> {
    try {
      do {
        this.#again = false;
        try {
          await this.#options.run();
        } catch (error) {
          this.#options.log.warn(`${this.#options.name} failed`, { error });
        }
      } while (this.#again && !this.#stopped);
    } finally {
      this.#running = undefined;
      this.#schedule();
    }
  }
}
