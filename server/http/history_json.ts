/**
 * History as REST JSON: each point's counts, and its queue wait and run time as p50/p95 in ms
 * (from the point's histograms; `null` when nothing ran), times in RFC 3339.
 */
import {
  HISTORY_COUNTS,
  type HistoryCount,
  type HistorySlot,
  quantileOf,
} from "../domain/history.ts";
import type { History } from "../service/history.ts";

/** The p50 and p95 of one histogram, in ms (`null` when empty). */
export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

/** One slot as JSON: counts by name plus the two latency summaries. */
export type SlotJson = Record<HistoryCount, number> & {
  queueWaitMs: Percentiles;
  runTimeMs: Percentiles;
};

const round = (ms: number | null) => (ms === null ? null : Math.round(ms * 100) / 100);

function presentSlot(slot: HistorySlot): SlotJson {
  const counts = Object.fromEntries(HISTORY_COUNTS.map((name) => [name, slot.counts[name]]));
  return {
    ...(counts as Record<HistoryCount, number>),
    queueWaitMs: {
      p50: round(quantileOf(slot.queueWaitMs, 0.5)),
      p95: round(quantileOf(slot.queueWaitMs, 0.95)),
    },
    runTimeMs: {
      p50: round(quantileOf(slot.runTimeMs, 0.5)),
      p95: round(quantileOf(slot.runTimeMs, 0.95)),
    },
  };
}

/** The answer of `GET /api/v1/history`. */
export function presentHistory(history: History) {
  return {
    executorName: history.executorName,
    from: new Date(history.from).toISOString(),
    to: new Date(history.to).toISOString(),
    stepMs: history.step,
    points: history.points.map((point) => ({
      at: new Date(point.at).toISOString(),
      ...presentSlot(point),
    })),
    totals: presentSlot(history.totals),
    ...(history.series
      ? {
        series: history.series.map((one) => ({
          executorName: one.executorName,
          points: one.points.map((point) => ({
            at: new Date(point.at).toISOString(),
            ...presentSlot(point),
          })),
          totals: presentSlot(one.totals),
        })),
      }
      : {}),
  };
}
