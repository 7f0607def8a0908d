/**
 * The history part of the store contract: per executor and per minute counts and duration
 * histograms, and the same per roll-up span (`ROLLUP_SPANS_MS`), added to by every manager
 * sharing the store, read summed over steps, pruned by age.
 */
import type { HistoryDelta, HistoryPoint } from "../domain/history.ts";

/** Which history to read: minutes in [`from`, `to`), summed per `step`. */
export interface HistoryQuery {
  /** One executor; absent = every executor summed. */
  executorName?: string;
  /** Epoch ms, a multiple of `step` (inclusive). */
  from: number;
  /** Epoch ms (exclusive). */
  to: number;
  /** Length of one point in ms, a multiple of one minute. */
  step: number;
  /** Stop reading once aborted (the client that asked went away); what was read is answered. */
  signal?: AbortSignal;
}

/** Where history is kept; `Store.history` of both stores. */
export interface HistoryStore {
  /**
   * Adds each delta to its (executor, minute) row and to its row of each roll-up span, creating a
   * row when missing: an upsert that adds, so that managers sharing a store may add to one minute
   * without reading it first. The first add also stores, once, from when the roll-ups hold
   * everything (`rollupsSinceFor`).
   */
  historyAdd(deltas: HistoryDelta[]): Promise<void>;
  /**
   * The points of `query` that hold anything, oldest first; point `k` sums the minutes in
   * [`from + k·step`, `from + (k+1)·step`) and has `at = from + k·step`. When `rollupSpanFor`
   * finds a span, the rows of that span are summed from the roll-ups' start on, minutes before it.
   */
  historyRead(query: HistoryQuery): Promise<HistoryPoint[]>;
  /**
   * Deletes every minute that starts before `before`, and every roll-up row all of whose minutes
   * do; returns how many minute rows went.
   */
  historyPrune(before: number): Promise<number>;
}
