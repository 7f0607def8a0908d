/**
 * A log line that strangers can cause (a refused TLS handshake) at most once per key (a peer
 * address) per window, so that a flood of them cannot fill the log; the next line says how many
 * were left out.
 */

/** Most keys remembered; past it the oldest is forgotten (its next line is let through). */
const MAX_KEYS = 1024;
/** The window of a throttle made without one: a line a minute per key. */
const ONE_MINUTE_MS = 60_000;

/**
 * Decides which of many same-kind log lines to write: the first per key in each window.
 *
 * @example
 * ```ts
 * import { LogThrottle } from "./log_throttle.ts";
 * const throttle = new LogThrottle(); // a line a minute per key
 * throttle.admit("10.0.0.1", 0); // 0: write it (none left out before)
 * throttle.admit("10.0.0.1", 1_000); // null: leave it out
 * throttle.admit("10.0.0.1", 61_000); // 1: write it, saying one was left out
 * ```
 */
export class LogThrottle {
  readonly #windowMs: number;
  /** Per key: when its last line was written, and how many were left out since. */
  readonly #keys = new Map<string, { at: number; suppressed: number }>();

  /** @param windowMs at most one line per key in this many ms (a minute by default) */
  constructor(windowMs: number = ONE_MINUTE_MS) {
    this.#windowMs = windowMs;
  }

  /**
   * Whether to write the line for `key` at `now` (ms): the number of lines of that key left out
   * since the last one written (to say in the line), or `null` to leave this one out.
   */
  admit(key: string, now: number): number | null {
    const seen = this.#keys.get(key);
    if (seen && now - seen.at < this.#windowMs) {
      seen.suppressed++;
      return null;
    }
    this.#keys.delete(key);
    if (this.#keys.size >= MAX_KEYS) this.#keys.delete(this.#keys.keys().next().value!);
    this.#keys.set(key, { at: now, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }
}
