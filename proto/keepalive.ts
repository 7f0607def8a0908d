/**
 * The keepalive rule of the `Work` stream, shared by both ends: each end of a stream whose worker
 * speaks keepalive (`Hello.keepalive`) checks it `CHECKS_PER_INTERVAL` times per keepalive interval
 * (`Welcome.keepalive_interval`), writes a keepalive at a check when it wrote nothing since the
 * previous one (so at least once an interval), and treats the stream as dead when nothing arrived
 * for `SILENT_INTERVALS` intervals.
 *
 * @example
 * ```ts
 * import { isSilent, silentMsAtLeast } from "@tasks-executor/proto";
 * console.log(isSilent(6), isSilent(7)); // false true
 * console.log(silentMsAtLeast(7, 10_000)); // 30000
 * ```
 * @module
 */

/**
 * Keepalive intervals of silence after which a stream counts as dead: each end writes at least
 * once an interval, so three leave room for two late or lost writes.
 */
export const SILENT_INTERVALS = 3;

/** Liveness checks per keepalive interval. */
export const CHECKS_PER_INTERVAL = 2;

/**
 * Whether nothing arrived for `SILENT_INTERVALS` intervals, given the checks made since the last
 * message arrived: more than `SILENT_INTERVALS × CHECKS_PER_INTERVAL` checks means at least that
 * many full check periods without one, whenever in its period the last one came.
 */
export function isSilent(checksSinceHeard: number): boolean {
  return checksSinceHeard > SILENT_INTERVALS * CHECKS_PER_INTERVAL;
}

/**
 * Whether nothing arrived for more than one interval and a check period, given the checks made
 * since the last message arrived: a live end writes at least once an interval, so its stream is
 * quiet only when its writes are late or lost, or its peer is gone (not yet `isSilent`).
 */
function isQuiet(checksSinceHeard: number): boolean {
  return checksSinceHeard > CHECKS_PER_INTERVAL + 1;
}

/** How long, at least, a stream has been silent after `checksSinceHeard` checks (ms). */
export function silentMsAtLeast(checksSinceHeard: number, intervalMs: number): number {
  return Math.round(Math.max(0, checksSinceHeard - 1) * intervalMs / CHECKS_PER_INTERVAL);
}

/** What one check of a stream found: dead (silent this long, ms), or whether a keepalive is due. */
export type KeepaliveCheck = { silentMs: number } | { keepaliveDue: boolean };

/**
 * One end's bookkeeping of one stream under the rule: `heard()` on every message that arrives,
 * `wrote()` on every message written, and `check()` at each of the `CHECKS_PER_INTERVAL` checks
 * per interval (the caller runs the timer).
 *
 * @example
 * ```ts
 * import { KeepaliveState } from "@tasks-executor/proto";
 * const stream = new KeepaliveState();
 * stream.wrote();
 * console.log(stream.check(10_000)); // { keepaliveDue: false }
 * console.log(stream.check(10_000)); // { keepaliveDue: true }
 * ```
 */
export class KeepaliveState {
  #checksSinceHeard = 0;
  #wrote = false;

  /** A message arrived. */
  heard(): void {
    this.#checksSinceHeard = 0;
  }

  /** A message was written. */
  wrote(): void {
    this.#wrote = true;
  }

  /** Whether nothing arrived for more than one interval and a check period (`isQuiet`). */
  get quiet(): boolean {
    return isQuiet(this.#checksSinceHeard);
  }

  /** One check, for a stream whose keepalive interval is `intervalMs`. */
  check(intervalMs: number): KeepaliveCheck {
    const checks = ++this.#checksSinceHeard;
    if (isSilent(checks)) return { silentMs: silentMsAtLeast(checks, intervalMs) };
    const keepaliveDue = !this.#wrote;
    this.#wrote = false;
    return { keepaliveDue };
  }
}
