/**
 * The history part of the store contract: per executor and per minute counts and duration
 * histograms, and the same per roll-up span (`ROLLUP_SPANS_MS`), added to by every manager
 * sharing the store, read summed over steps, pruned by age.
 */
import {
  addSlot,
  type HistoryDelta,
  type HistoryPoint,
  type HistorySlot,
  MINUTE_MS,
  ROLLUP_SPANS_MS,
  rollupSpanFor,
} from "../domain/history.ts";

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
   * finds a span, the rows of that span are summed from the roll-ups' start on, minutes before it
   * (so a roll-up row a prune cut through still counts its pruned minutes).
   */
  historyRead(query: HistoryQuery): Promise<HistoryPoint[]>;
  /**
   * `historyRead` of each executor of `executorNames` (`query.executorName` unused), in one read
   * of the rows of the window: the points of each name, a name with none answered `[]`.
   */
  historyReadEach(
    query: HistoryQuery,
    executorNames: readonly string[],
  ): Promise<Map<string, HistoryPoint[]>>;
  /**
   * Those of `executorNames` that have history rows, whatever their time: a deleted executor's
   * stay until `historyPrune` takes them, and a read by its name answers them (`HistoryService`).
   * Reads the longest roll-up span's rows (each minute added since `rollupsSince` has one, kept
   * until all its minutes are pruned) and the minutes before the roll-ups began.
   */
  historyNamesHeld(executorNames: readonly string[]): Promise<Set<string>>;
  /**
   * Deletes every minute that starts before `before`, and every roll-up row all of whose minutes
   * do; returns how many minute rows went.
   */
  historyPrune(before: number): Promise<number>;
}

/**
 * Where history rows are kept, in both stores: per minute (`history`, keyed by `minute`), or per
 * slot of a roll-up span (`history_15m`, `history_60m`, keyed by `slot`).
 */
export interface HistoryTable {
  /** The table (SQLite) or collection (MongoDB). */
  name: string;
  /** The column or field of a row's start (epoch ms, a multiple of `span`). */
  key: string;
  /** The length a row covers, ms. */
  span: number;
}

/** The minutes. */
export const MINUTE_TABLE: HistoryTable = { name: "history", key: "minute", span: MINUTE_MS };
/** One per roll-up span, shortest first. */
export const ROLLUP_TABLES: readonly HistoryTable[] = ROLLUP_SPANS_MS.map((span) => ({
  name: `history_${span / MINUTE_MS}m`,
  key: "slot",
  span,
}));
/** The longest roll-up span's table: the fewest rows, one for each minute's (`historyNamesHeld`). */
export const LONGEST_ROLLUP_TABLE: HistoryTable = ROLLUP_TABLES[ROLLUP_TABLES.length - 1];
/** Every history table: an add goes to each. */
export const HISTORY_TABLES: readonly HistoryTable[] = [MINUTE_TABLE, ...ROLLUP_TABLES];

/** One range of one table that a read sums. */
export interface HistoryReadPart {
  table: HistoryTable;
  from: number;
  to: number;
}

/**
 * What a read of `query` sums. With a roll-up span that fits it (`rollupSpanFor`): the minutes
 * before the roll-ups' start (`rollupsSince()`, asked only then; `null` when none is stored yet)
 * and that span's rows from it on; otherwise all minutes. Empty parts are left out.
 */
export async function historyReadParts(
  query: HistoryQuery,
  rollupsSince: () => number | null | Promise<number | null>,
): Promise<HistoryReadPart[]> {
  const span = rollupSpanFor(query);
  const rollups = ROLLUP_TABLES.find((table) => table.span === span);
  const since = rollups ? await rollupsSince() : null;
  const boundary = since === null ? query.to : Math.min(Math.max(since, query.from), query.to);
  const parts: HistoryReadPart[] = [{ table: MINUTE_TABLE, from: query.from, to: boundary }];
  if (rollups) parts.push({ table: rollups, from: boundary, to: query.to });
  return parts.filter((part) => part.from < part.to);
}

/**
 * `historyPrune(before)` deletes the rows of `table` that start before this: minutes that start
 * before `before`, and a roll-up row with the last of its minutes.
 */
export function pruneCutoff(table: HistoryTable, before: number): number {
  return before - table.span + MINUTE_MS;
}

/**
 * The points a `historyRead` adds up, in both stores: each row read (a minute, or a roll-up slot)
 * goes into the point its start falls in, `at = from + k·step`, and the points are answered oldest
 * first.
 *
 * @example
 * ```ts
 * import { emptySlot } from "../domain/history.ts";
 * import { HistorySums } from "./history.ts";
 * const sums = new HistorySums({ from: 0, to: 600_000, step: 300_000 });
 * sums.add(60_000, emptySlot());
 * sums.add(360_000, emptySlot());
 * console.log(sums.points().map((point) => point.at)); // [0, 300000]
 * ```
 */
export class HistorySums {
  readonly #query: HistoryQuery;
  readonly #points = new Map<number, HistoryPoint>();

  constructor(query: HistoryQuery) {
    this.#query = query;
  }

  /** Adds the sums of a row that starts at `start` (epoch ms, at or after the query's `from`). */
  add(start: number, slot: HistorySlot): void {
    const { from, step } = this.#query;
    const at = from + Math.floor((start - from) / step) * step;
    const point = this.#points.get(at);
    if (point) addSlot(point, slot);
    else this.#points.set(at, { at, ...slot });
  }

  /** The points that hold anything added, oldest first. */
  points(): HistoryPoint[] {
    return [...this.#points.values()].sort((a, b) => a.at - b.at);
  }
}
