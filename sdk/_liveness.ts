/**
 * Liveness of the worker's work stream: once the manager's welcome names a keepalive interval,
 * checks the stream `CHECKS_PER_INTERVAL` times per interval, asks for a keepalive (an empty
 * heartbeat) when nothing was written since the previous check, and reports the stream silent
 * when nothing arrived for `SILENT_INTERVALS` intervals (the rule: `proto/keepalive.ts`).
 */
import { CHECKS_PER_INTERVAL, KeepaliveState } from "@tasks-executor/proto";

/**
 * Shortest keepalive interval a worker takes from a welcome (ms), the manager's own minimum
 * (`KEEPALIVE_MIN_MS`): a welcome naming 1 ms had the worker write a keepalive every half a
 * millisecond, take the stream for silent within milliseconds and reconnect about ten times a
 * second.
 */
export const MIN_KEEPALIVE_MS = 100;

/**
 * Longest keepalive interval a worker takes from a welcome (ms), the manager's own maximum
 * (`KEEPALIVE_MAX_MS`, 5 minutes): a welcome naming 49.7 days had the worker take a manager that
 * went silent for alive for 149 days.
 */
export const MAX_KEEPALIVE_MS = 300_000;

/** What a stream's liveness asks of the connection. */
export interface LivenessEvents {
  /** Nothing was written since the previous check: write a keepalive. */
  keepalive(): void;
  /** Nothing arrived for `SILENT_INTERVALS` intervals, at least `silentMs`: the stream is dead. */
  silent(silentMs: number): void;
}

/** The liveness of one stream; `stop()` when the stream ends. */
export class StreamLiveness {
  readonly intervalMs: number;
  readonly #events: LivenessEvents;
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #state = new KeepaliveState();

  /**
   * Starts checking a stream every `intervalMs / CHECKS_PER_INTERVAL` ms; an interval shorter than
   * `MIN_KEEPALIVE_MS` counts as that, and one longer than `MAX_KEEPALIVE_MS` as that.
   */
  constructor(intervalMs: number, events: LivenessEvents) {
    this.intervalMs = Math.min(Math.max(intervalMs, MIN_KEEPALIVE_MS), MAX_KEEPALIVE_MS);
    this.#events = events;
    this.#timer = setInterval(() => this.#check(), this.intervalMs / CHECKS_PER_INTERVAL);
  }

  /** A message arrived. */
  heard(): void {
    this.#state.heard();
  }

  /** A message was written. */
  wrote(): void {
    this.#state.wrote();
  }

  /** Stops checking. Safe to call twice. */
  stop(): void {
    clearInterval(this.#timer);
  }

  #check(): void {
    const found = this.#state.check(this.intervalMs);
    if ("silentMs" in found) {
      this.stop();
      this.#events.silent(found.silentMs);
    } else if (found.keepaliveDue) {
      this.#events.keepalive();
    }
  }
}
