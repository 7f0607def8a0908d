/**
 * Who serves each executor through the other managers sharing the store, so that stats
 * (`noWorkers`, `workers`, `polled`) count a worker whichever manager it works through: each manager
 * reports its own (workers connected with a stream, the newest poll of a worker without one) to
 * the store, and reads the others' reports when asked for stats.
 *
 * A poll is a hot path: it only looks up, in memory, whether the executor was in the last report.
 * The report is written every `SERVING_REPORT_MS` (carrying the newest polls), and sooner, at most
 * once per `SERVING_KICK_GAP_MS` and off the caller's path, when an executor starts or stops being
 * served here (a first poll, a first or last worker).
 */
import type { Logger } from "../log.ts";
import { BurstLog } from "../log_throttle.ts";
import { Periodic } from "../periodic.ts";
import type { ServingFigures, Store } from "../store/store.ts";
import { waitAtMost } from "../wait_at_most.ts";
import type { WorkerRegistry } from "./worker_registry.ts";
import { POLL_SERVES_MS, type Served } from "./workers.ts";

/** How often a manager writes its report (10 s, in ms). */
export const SERVING_REPORT_MS = 10_000;
/** A report older than this (3 reports missed: the manager is gone) is left out, and deleted. */
export const SERVING_STALE_MS = 3 * SERVING_REPORT_MS;
/**
 * Longest a graceful stop waits for its report to be withdrawn (2 s, in ms): a store away does not
 * hold the stop, and the report is left to grow stale, as after a crash.
 */
export const SERVING_WITHDRAW_MS = 2000;
/** Least time between two reports written because an executor's service changed (1 s, in ms). */
export const SERVING_KICK_GAP_MS = 1000;

/** What the serving report works with. */
export interface ServingDeps {
  store: Store;
  registry: WorkerRegistry;
  managerId: string;
  /** Clock for stored times. */
  now: () => number;
  log: Logger;
}

/**
 * Who serves each executor on this manager, as reported: connected workers by executor, and the
 * newest poll of each executor polled within `POLL_SERVES_MS`.
 *
 * @example
 * ```ts
 * import { servingOf } from "./serving.ts";
 * const report = servingOf(new Map([["a", 2]]), new Map([["b", 1_000]]));
 * console.log(report); // { a: { workers: 2, polledAt: null }, b: { workers: 0, polledAt: 1000 } }
 * ```
 */
export function servingOf(
  workers: ReadonlyMap<string, number>,
  polls: ReadonlyMap<string, number>,
): Record<string, ServingFigures> {
  const report: Record<string, ServingFigures> = {};
  for (const [name, count] of workers) {
    if (count > 0) report[name] = { workers: count, polledAt: null };
  }
  for (const [name, at] of polls) (report[name] ??= { workers: 0, polledAt: null }).polledAt = at;
  return report;
}

/**
 * Who serves each executor through the other managers, from the totals of their reports: their
 * workers, and the executors one polled within `POLL_SERVES_MS` of `now`.
 *
 * @example
 * ```ts
 * import { servedFrom } from "./serving.ts";
 * const served = servedFrom({ a: { workers: 0, polledAt: 1_000 } }, 2_000);
 * console.log(served.polled.has("a")); // true
 * ```
 */
export function servedFrom(totals: Record<string, ServingFigures>, now: number): Served {
  const workers = new Map<string, number>();
  const polled = new Set<string>();
  for (const [name, figures] of Object.entries(totals)) {
    if (figures.workers > 0) workers.set(name, figures.workers);
    if (figures.polledAt !== null && figures.polledAt >= now - POLL_SERVES_MS) polled.add(name);
  }
  return { workers, polled };
}

/** This manager's serving report to the store, and the other managers' read from it. */
export class ServingReports {
  readonly #deps: ServingDeps;
  readonly #loop: Periodic;
  readonly #kickGapMs: number;
  #kick: number | undefined;
  /** When the last report started (`performance.now()`), for the gap between kicked ones. */
  #lastRun = -Infinity;
  /** Executors the last report named as polled, and as served by a worker with a stream. */
  #polled = new Set<string>();
  #streamed = new Set<string>();
  /** A report naming executors may be in the store (one was written, or tried). */
  #hasReport = false;
  #stopping: Promise<void> | undefined;
  /**
   * `Serving report failed`, the first few a minute, then their count: with the store away every
   * kicked report fails, about once a second (each written one line, before).
   */
  readonly #failed: BurstLog;

  constructor(deps: ServingDeps, options: { intervalMs?: number; kickGapMs?: number } = {}) {
    this.#deps = deps;
    this.#kickGapMs = options.kickGapMs ?? SERVING_KICK_GAP_MS;
    this.#failed = new BurstLog("warn", "Serving report failed", {
      log: deps.log,
      keyField: "manager",
    });
    this.#loop = new Periodic({
      name: "Serving report",
      intervalMs: options.intervalMs ?? SERVING_REPORT_MS,
      run: async () => {
        try {
          await this.#report();
        } catch (error) {
          this.#failed.write(deps.managerId, { error });
        }
      },
      log: deps.log,
    });
  }

  /** Starts reporting. */
  start(): void {
    this.#loop.start();
  }

  /**
   * Stops reporting, waits for a report in flight, and withdraws this manager's report (its rows
   * deleted), so that the other managers stop counting its workers at once rather than for up to
   * `SERVING_STALE_MS`. The withdrawal is waited for at most `SERVING_WITHDRAW_MS`: a store away
   * leaves the report to grow stale, as a crash does. Safe to call twice.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    if (this.#kick !== undefined) clearTimeout(this.#kick);
    this.#kick = undefined;
    await this.#loop.stop();
    // The failures left out of the log are counted.
    this.#failed.close();
    if (!this.#hasReport) return;
    const { store, managerId, log } = this.#deps;
    const now = this.#deps.now();
    const withdrawn = store.servingReport({
      managerId,
      executors: {},
      now,
      since: now - SERVING_STALE_MS,
    }).then(
      () => {
        this.#hasReport = false;
      },
      (error) => log.warn("Serving report not withdrawn; it grows stale instead", { error }),
    );
    await waitAtMost(withdrawn, SERVING_WITHDRAW_MS);
  }

  /**
   * After a poll of these executors by a worker without a stream: a report soon when one of them
   * was not reported as polled. Only memory is read here; the write is the loop's.
   */
  notePolled(executorNames: readonly string[]): void {
    for (const name of executorNames) {
      if (!this.#polled.has(name)) return this.#soon();
    }
  }

  /** After a worker with a stream came or went: a report soon when an executor's service changed. */
  noteStreams(executorNames: readonly string[]): void {
    for (const name of executorNames) {
      const served = this.#deps.registry.sessionsFor(name).length > 0;
      if (served !== this.#streamed.has(name)) return this.#soon();
    }
  }

  /** Who serves each executor through the other managers sharing the store, at `now`. */
  async elsewhere(now: number): Promise<Served> {
    const totals = await this.#deps.store.servingTotals({
      since: now - SERVING_STALE_MS,
      exceptManagerId: this.#deps.managerId,
    });
    return servedFrom(totals, now);
  }

  /** Writes the report now (and resolves once written); no-op once stopped. */
  flush(): Promise<void> {
    return this.#loop.runNow();
  }

  #soon(): void {
    if (this.#kick !== undefined || !this.#loop.running) return;
    const wait = Math.max(0, this.#lastRun + this.#kickGapMs - performance.now());
    this.#kick = setTimeout(() => {
      this.#kick = undefined;
      this.#loop.runNow();
    }, wait);
  }

  async #report(): Promise<void> {
    const { registry, store, managerId } = this.#deps;
    this.#lastRun = performance.now();
    const now = this.#deps.now();
    const streams = new Map<string, number>();
    for (const name of registry.executorNames()) {
      streams.set(name, registry.sessionsFor(name).length);
    }
    const executors = servingOf(streams, registry.pollTimes(now));
    const names = Object.keys(executors);
    // Nothing served now, nor before: no report to write, none to take back.
    if (names.length === 0 && !this.#hasReport) return;
    // Taken before the write: a poll meanwhile finds its executor reported and asks for no other.
    this.#polled = new Set(names.filter((name) => executors[name].polledAt !== null));
    this.#streamed = new Set(names.filter((name) => executors[name].workers > 0));
    // Set before the write: one that fails may have been stored all the same, and is withdrawn.
    if (names.length > 0) this.#hasReport = true;
    try {
      await store.servingReport({ managerId, executors, now, since: now - SERVING_STALE_MS });
      this.#hasReport = names.length > 0;
    } catch (error) {
      // Not written: the next poll or worker asks again, and the loop retries.
      this.#polled = new Set();
      this.#streamed = new Set();
      throw error;
    }
  }
}
