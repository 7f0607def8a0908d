/**
 * The worker's reconnect backoff: delays doubled per failure with jitter, started over once a
 * stream has lasted (`streamEnded`), and the one pending wait or retry, which a stop ends at once.
 */
import { durationOption } from "./_options.ts";

/** First delay and cap of the backoff, in ms (defaults 100 and 10,000). */
export interface BackoffOptions {
  initialDelayMs?: number | null;
  maxDelayMs?: number | null;
}

/**
 * How long a stream must last from the manager's first message on it for the reconnect delays to
 * start over when it ends (ms): longer than a stream that a manager ends at once, or that fails on
 * a message the worker refuses, takes.
 */
export const STABLE_STREAM_MS = 1000;

/** Delays between tries to reach the manager, and the timer of the next try. */
export class Backoff {
  readonly #first: number;
  readonly #cap: number;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The retry `schedule()` set, until it runs or is cancelled. */
  #retry: (() => void) | undefined;
  #wake: (() => void) | undefined;

  /**
   * A backoff with no failure counted yet.
   *
   * @throws {RangeError} naming `reconnect.initialDelayMs` or `reconnect.maxDelayMs` when it is not
   *   a number of ms above 0
   */
  constructor(options: BackoffOptions = {}) {
    this.#first = durationOption(options.initialDelayMs, "reconnect.initialDelayMs", {
      fallback: 100,
    });
    this.#cap = durationOption(options.maxDelayMs, "reconnect.maxDelayMs", { fallback: 10_000 });
  }

  /**
   * Counts a failure and gives the delay before the next try (ms): `initialDelayMs` doubled per
   * failure since the last `reset()`, capped at `maxDelayMs`, drawn from the upper half.
   */
  next(): number {
    const base = Math.min(this.#cap, this.#first * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    // Full jitter on the upper half: spreads a fleet of workers after a manager restart.
    return Math.round(base / 2 + Math.random() * base / 2);
  }

  /** The next failure starts from the first delay again. */
  reset(): void {
    this.#failures = 0;
  }

  /**
   * A stream the manager answered on ended `answeredForMs` after its first message: when that is
   * at least `STABLE_STREAM_MS` (or the longest delay, `maxDelayMs`, when shorter), the failures
   * are forgotten (`reset()`), so a manager restarted again soon after the worker came back is
   * tried again after the first delay. A stream that ends sooner counts on, so a manager that ends
   * each stream it welcomes, or sends on it a message the worker refuses, is tried again ever more
   * slowly, not about ten times a second as when any message started the delays over.
   */
  streamEnded(answeredForMs: number): void {
    if (answeredForMs >= Math.min(STABLE_STREAM_MS, this.#cap)) this.reset();
  }

  /** Resolves after `ms`, or at once on `cancel()`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#wake = undefined;
        resolve();
      }, ms);
    });
  }

  /** Calls `retry` after `ms`, unless `cancel()` comes first. */
  schedule(ms: number, retry: () => void): void {
    this.#retry = retry;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#retry = undefined;
      retry();
    }, ms);
  }

  /** Runs a scheduled retry at once; `false` when none is scheduled. */
  hurry(): boolean {
    const retry = this.#retry;
    if (!retry) return false;
    this.cancel();
    retry();
    return true;
  }

  /** Drops a scheduled retry and ends a `sleep()` at once. */
  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#retry = undefined;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
