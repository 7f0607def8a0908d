/**
 * Graceful stop: SIGINT/SIGTERM start a drain and a second signal cuts its grace period; the
 * drain waits for running attempts, aborts them, then waits for them to return or be abandoned
 * (`Attempts`' rule: a second after its abort). When a signal asked for the stop and abandoned
 * handlers still run, the process exits with 128 + the signal's number.
 */
import process from "node:process";
import type { Attempts } from "./_attempts.ts";
import type { Logger } from "./types.ts";

/** Exit codes of the signal path when handlers had to be abandoned: 128 + the signal's number. */
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** The signal handlers and the drain of one worker. */
export class Drain {
  readonly #log: Logger;
  #handler: ((signal: string) => void) | undefined;
  /** Set by the first SIGINT/SIGTERM: the process's exit code if handlers must be abandoned. */
  #exitCode: number | undefined;
  /** Aborted by a second signal during the grace period. */
  #cut: AbortController | undefined;

  /** A drain that logs to `log`. */
  constructor(log: Logger) {
    this.#log = log;
  }

  /**
   * Listens for SIGINT and SIGTERM: the first calls `stop()`, one while `draining()` cuts the
   * grace period.
   */
  listen(worker: { draining(): boolean; inFlight(): number; stop(): void }): void {
    this.#handler = (signal: string) => {
      this.#exitCode ??= SIGNAL_EXIT_CODES[signal];
      if (worker.draining()) {
        this.#log.warn(`Received ${signal} again, aborting running tasks now`);
        this.#cut?.abort();
        return;
      }
      this.#log.info(`Received ${signal}, draining`, { inFlight: worker.inFlight() });
      worker.stop();
    };
    for (const signal of SIGNALS) {
      try {
        process.on(signal, this.#handler);
      } catch {
        // Not every platform has every signal (SIGTERM on Windows).
      }
    }
  }

  /** Ends the grace period of a drain under way at once (the manager refused this worker). */
  cutGrace(): void {
    this.#cut?.abort();
  }

  /** Stops listening for signals. */
  unlisten(): void {
    if (!this.#handler) return;
    for (const signal of SIGNALS) {
      try {
        process.off(signal, this.#handler);
      } catch {
        // See listen().
      }
    }
    this.#handler = undefined;
  }

  /**
   * Waits up to `graceMs` for the running attempts (less after a second signal, none once
   * `refused()`: the manager refused this worker, and no result can reach it any more), aborts the
   * rest through `ctx.signal`, and waits for them to return or be abandoned (reported as
   * interrupted, retryable), a second at most. Returns how many abandoned handlers still run.
   */
  async drain(attempts: Attempts, graceMs: number, refused: () => boolean): Promise<number> {
    this.#cut = new AbortController();
    if (!refused()) await attempts.waitUntilIdle(graceMs, this.#cut.signal);
    this.#cut = undefined;
    if (attempts.size === 0) return attempts.abandoned;
    // Only the attempts still running as they were are cut by the drain: one aborted already
    // (timed out, cancelled, lease lost) is not named, and keeps its own reason.
    const cut = attempts.notAborted();
    if (cut.length > 0) {
      this.#log.warn(
        refused()
          ? "The manager refused this worker, aborting running tasks now: their results cannot be delivered"
          : "Grace period over, aborting running tasks",
        { running: cut.length, taskIds: cut },
      );
    }
    attempts.abortAll();
    // Each returns or is abandoned within ABORT_SETTLE_MS of its abort (`Attempts`).
    await attempts.waitUntilIdle(Infinity);
    return attempts.abandoned;
  }

  /**
   * Ends the process when a signal asked for the stop and `abandoned` handlers that ignored their
   * signal still run, once code awaiting `closed` has had its turn.
   */
  exitIfAbandoned(abandoned: number): void {
    if (abandoned === 0 || this.#exitCode === undefined) return;
    // Nothing can stop a handler that ignores its signal, and it would keep the process (and
    // whatever it touches) going long after its task was handed to another worker. A signal
    // asked the process to end: end it.
    this.#log.warn("Exiting: handlers ignored their abort signal", {
      abandoned,
      exitCode: this.#exitCode,
    });
    const code = this.#exitCode;
    setTimeout(() => process.exit(code), 0);
  }
}
