/**
 * Engine counters for metrics: per executor, what was dispatched, completed, retried and
 * dead-lettered, with run-time and queue-wait histograms. Plain numbers; the HTTP layer renders them.
 */

import { DURATION_BUCKETS_MS } from "../domain/history.ts";

/** Upper bounds (ms) of the duration buckets, for latency histograms. */
export const SAMPLE_BUCKETS_MS: readonly number[] = DURATION_BUCKETS_MS;

/** A series of durations (ms): totals since start and counts per bucket. */
export interface Samples {
  count: number;
  sum: number;
  /** `buckets[i]` counts values in (`SAMPLE_BUCKETS_MS[i-1]`, `SAMPLE_BUCKETS_MS[i]`]. */
  buckets: number[];
}

/** Counters of one executor since this manager started. */
export interface ExecutorCounters {
  /** Tasks handed to workers. */
  dispatched: number;
  /** Attempts that ended in success. */
  completed: number;
  /** Attempts that failed (worker error, timeout or lost lease), whatever came next. */
  failedAttempts: number;
  /** Failed attempts scheduled to run again. */
  retried: number;
  /** Tasks moved to the dead letter queue. */
  deadLettered: number;
  /** Tasks that ended `failed` (retries exhausted with the DLQ disabled). */
  failed: number;
  /** Leases taken back by the rescuer. */
  rescued: number;
  /** From lease to settled result (ms). */
  runTimeMs: Samples;
  /** From `runAt` to lease (ms). */
  queueWaitMs: Samples;
}

/** A snapshot of every counter. */
export interface EngineStats {
  executors: Record<string, ExecutorCounters>;
  /** Workers connected to this manager. */
  workers: number;
  /** Tasks leased through this manager and not yet settled. */
  inFlight: number;
}

function emptySamples(): Samples {
  return { count: 0, sum: 0, buckets: new Array(SAMPLE_BUCKETS_MS.length).fill(0) };
}

function emptyCounters(): ExecutorCounters {
  return {
    dispatched: 0,
    completed: 0,
    failedAttempts: 0,
    retried: 0,
    deadLettered: 0,
    failed: 0,
    rescued: 0,
    runTimeMs: emptySamples(),
    queueWaitMs: emptySamples(),
  };
}

/** Mutable counters the engine parts write to. */
export class StatsRecorder {
  #executors = new Map<string, ExecutorCounters>();

  /** The counters of one executor, created on first use. */
  of(executorName: string): ExecutorCounters {
    let counters = this.#executors.get(executorName);
    if (!counters) {
      counters = emptyCounters();
      this.#executors.set(executorName, counters);
    }
    return counters;
  }

  /** Drops the counters of executors deleted (here or through another manager). */
  forget(executorNames: string[]): void {
    for (const name of executorNames) this.#executors.delete(name);
  }

  /** An empty series. */
  static emptySamples(): Samples {
    return emptySamples();
  }

  /** Adds one duration to a series. */
  sample(series: Samples, ms: number): void {
    StatsRecorder.addSample(series, ms);
  }

  /** Adds one duration (ms; negative counts as 0) to a series. */
  static addSample(series: Samples, ms: number): void {
    const value = Math.max(0, ms);
    series.count++;
    series.sum += value;
    const i = SAMPLE_BUCKETS_MS.findIndex((bound) => value <= bound);
    if (i >= 0) series.buckets[i]++;
  }

  /** A copy safe to hand out. */
  snapshot(extra: { workers: number; inFlight: number }): EngineStats {
    const executors: Record<string, ExecutorCounters> = {};
    const copy = (s: Samples): Samples => ({ count: s.count, sum: s.sum, buckets: [...s.buckets] });
    for (const [name, c] of this.#executors) {
      executors[name] = { ...c, runTimeMs: copy(c.runTimeMs), queueWaitMs: copy(c.queueWaitMs) };
    }
    return { executors, ...extra };
  }
}
