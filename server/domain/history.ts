/**
 * Task history per executor and per minute: what counts are kept, the fixed duration histogram
 * that gives each minute its p50/p95, and the pure arithmetic on both (merge, percentiles).
 */

/** Upper bounds (ms) of the duration buckets of latency histograms; one overflow bucket follows. */
export const DURATION_BUCKETS_MS: readonly number[] = [
  1,
  2.5,
  5,
  10,
  25,
  50,
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10_000,
  30_000,
  60_000,
  300_000,
];

/** Length of a histogram: one bucket per bound, and one for values above the last bound. */
export const HISTOGRAM_LENGTH = DURATION_BUCKETS_MS.length + 1;

/** The counts kept per executor and minute, in the order the API lists them. */
export const HISTORY_COUNTS = [
  /** Tasks created (idempotent repeats not counted). */
  "created",
  /** Attempts started: tasks handed to a worker. */
  "started",
  /** Attempts that completed the task. */
  "completed",
  /** Attempts that failed (error, timeout or lost lease), whatever came next. */
  "failedAttempts",
  /** Failed attempts scheduled to run again. */
  "retried",
  /** Tasks moved to the dead letter queue. */
  "deadLettered",
  /** Tasks cancelled (by hand or in bulk). */
  "cancelled",
] as const;

/** One of `HISTORY_COUNTS`. */
export type HistoryCount = (typeof HISTORY_COUNTS)[number];

/** One minute is the finest step of history. */
export const MINUTE_MS = 60_000;

/**
 * What happened to one executor's tasks in one time slot: counts, and histograms of queue wait
 * (from due to leased) and run time (from leased to settled), `HISTOGRAM_LENGTH` buckets each
 * (`buckets[i]` counts values in (`DURATION_BUCKETS_MS[i-1]`, `DURATION_BUCKETS_MS[i]`]).
 */
export interface HistorySlot {
  counts: Record<HistoryCount, number>;
  queueWaitMs: number[];
  runTimeMs: number[];
}

/** Figures to add to one executor's minute (`minute` is epoch ms, a multiple of `MINUTE_MS`). */
export interface HistoryDelta extends HistorySlot {
  executorName: string;
  minute: number;
}

/** The sum of every minute in [`at`, `at + step`) of the executors asked for. */
export interface HistoryPoint extends HistorySlot {
  at: number;
}

/** A slot with nothing in it. */
export function emptySlot(): HistorySlot {
  return {
    counts: Object.fromEntries(HISTORY_COUNTS.map((name) => [name, 0])) as Record<
      HistoryCount,
      number
    >,
    queueWaitMs: new Array(HISTOGRAM_LENGTH).fill(0),
    runTimeMs: new Array(HISTOGRAM_LENGTH).fill(0),
  };
}

/** Adds `from` into `into` (counts and histograms). */
export function addSlot(into: HistorySlot, from: HistorySlot): void {
  for (const name of HISTORY_COUNTS) into.counts[name] += from.counts[name];
  for (let i = 0; i < HISTOGRAM_LENGTH; i++) {
    into.queueWaitMs[i] += from.queueWaitMs[i] ?? 0;
    into.runTimeMs[i] += from.runTimeMs[i] ?? 0;
  }
}

/** Whether a slot holds anything at all. */
export function isEmptySlot(slot: HistorySlot): boolean {
  return HISTORY_COUNTS.every((name) => slot.counts[name] === 0) &&
    slot.queueWaitMs.every((n) => n === 0) && slot.runTimeMs.every((n) => n === 0);
}

/** The bucket index of a duration (ms). */
export function bucketOf(ms: number): number {
  const i = DURATION_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return i >= 0 ? i : DURATION_BUCKETS_MS.length;
}

/**
 * The `q`-quantile (0 < q < 1) of a histogram in ms, interpolated linearly inside its bucket (as
 * Prometheus' `histogram_quantile` does); values past the last bound read as that bound. `null`
 * for an empty histogram.
 *
 * @example
 * ```ts
 * import { HISTOGRAM_LENGTH, quantileOf } from "./history.ts";
 * const buckets = new Array(HISTOGRAM_LENGTH).fill(0);
 * buckets[3] = 10; // ten values in (5, 10] ms
 * quantileOf(buckets, 0.5); // 7.5
 * ```
 */
export function quantileOf(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] === 0) continue;
    if (seen + buckets[i] >= rank) {
      if (i >= DURATION_BUCKETS_MS.length) return DURATION_BUCKETS_MS[i - 1];
      const lower = i === 0 ? 0 : DURATION_BUCKETS_MS[i - 1];
      const upper = DURATION_BUCKETS_MS[i];
      return lower + (upper - lower) * ((rank - seen) / buckets[i]);
    }
    seen += buckets[i];
  }
  return DURATION_BUCKETS_MS[DURATION_BUCKETS_MS.length - 1];
}

/** The minute (epoch ms, a multiple of `MINUTE_MS`) that `at` falls in. */
export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

/**
 * The spans (ms) history is also kept in, besides minutes: each delta is added to its minute and to
 * the slot of each span it falls in, so that a read whose step is a whole number of a span sums
 * that span's rows (a week of one executor by the hour: 168 rows instead of 10,080 minutes).
 * Longest last.
 */
export const ROLLUP_SPANS_MS: readonly number[] = [15 * MINUTE_MS, 60 * MINUTE_MS];

/** The start (epoch ms) of the slot of `span` that `minute` falls in. */
export function spanStartOf(minute: number, span: number): number {
  return Math.floor(minute / span) * span;
}

/**
 * The longest span whose rows can answer a read of [`from`, `to`) by `step` — `step`, `from` and
 * `to` whole numbers of it — or `null` when only minutes can.
 */
export function rollupSpanFor(query: { from: number; to: number; step: number }): number | null {
  return ROLLUP_SPANS_MS.findLast((span) =>
    query.step % span === 0 && query.from % span === 0 && query.to % span === 0
  ) ?? null;
}

/**
 * From when the roll-up rows hold everything (epoch ms), given the first deltas added with them and
 * the latest minute already kept (`null`: none): the start of the longest span after the latest of
 * those minutes. Minutes of that span and of the ones before it may have been added before roll-ups
 * were kept, by an older version — one whose clock runs ahead, too. A store keeps the first value it
 * is given; reads sum minutes before it and roll-ups from it on.
 */
export function rollupsSinceFor(
  deltas: readonly { minute: number }[],
  latestKept: number | null,
): number {
  const latest = Math.max(latestKept ?? -Infinity, ...deltas.map((delta) => delta.minute));
  const longest = ROLLUP_SPANS_MS[ROLLUP_SPANS_MS.length - 1];
  return spanStartOf(latest, longest) + longest;
}
