/**
 * The event loop's delay, measured by timer drift, as services do on runtimes with no hook for it
 * (`node:perf_hooks`' `monitorEventLoopDelay` reports next to nothing under Deno: 0.007 ms for a
 * thread held 100 ms): a timer due every `intervalMs` notes how late each of its turns came. While
 * something holds the thread, the turn due meanwhile waits; it comes late by what was left of the
 * hold after it fell due, so a hold of `d` ms is seen as a delay of at least `d - intervalMs`.
 */
import { unrefTimer } from "../unref_timer.ts";
import { Histogram, type MetricsWriter } from "./prometheus.ts";

/** The histogram's bucket bounds (s): from the 5 ms a busy loop shows to stalls of seconds. */
export const EVENT_LOOP_DELAY_BUCKETS_SECONDS: readonly number[] = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
];

/** The probe's period (ms) when none is given. */
export const EVENT_LOOP_PROBE_INTERVAL_MS = 20;

/**
 * A timer-drift probe of the event loop, its delays a Prometheus histogram
 * (`tasks_executor_event_loop_delay_seconds`, one observation per turn). Its timer keeps no
 * process alive.
 *
 * @example
 * ```ts
 * import { EventLoopDelayProbe } from "./event_loop.ts";
 * const probe = new EventLoopDelayProbe();
 * probe.start();
 * probe.stop();
 * probe.stop(); // a second stop is a no-op
 * ```
 */
export class EventLoopDelayProbe {
  /** The delays (s) of the probe's turns. */
  readonly histogram: Histogram;
  readonly #intervalMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** @param intervalMs the time between the probe's turns (ms; 20 by default) */
  constructor(intervalMs = EVENT_LOOP_PROBE_INTERVAL_MS) {
    this.#intervalMs = intervalMs;
    this.histogram = new Histogram(
      "tasks_executor_event_loop_delay_seconds",
      `How late a timer due every ${intervalMs} ms fired: how long the event loop was held by other work meanwhile (a turn late by more than a few ms is a stall, which every request then waited out).`,
      EVENT_LOOP_DELAY_BUCKETS_SECONDS,
    );
  }

  /** Whether the probe is started and not stopped. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts the probe (its first turn is one interval away); no-op while it runs. */
  start(): void {
    if (this.#timer === undefined) this.#schedule();
  }

  /** Stops the probe. Safe to call any number of times. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Writes the histogram family. */
  write(out: MetricsWriter): void {
    this.histogram.write(out);
  }

  #schedule(): void {
    const due = performance.now() + this.#intervalMs;
    this.#timer = setTimeout(() => {
      this.histogram.observe(Math.max(0, performance.now() - due) / 1000);
      this.#schedule();
    }, this.#intervalMs);
    unrefTimer(this.#timer);
  }
}
