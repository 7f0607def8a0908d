/**
 * Reading task history: the query a caller may ask for (executor, window, step), bounded and
 * aligned, answered as one point per step (zeros where nothing happened) with totals.
 */
import {
  ExecutorNotFoundError,
  fieldPointer,
  InvalidArgumentError,
  naming,
} from "../domain/errors.ts";
import type { FieldViolation } from "../domain/errors.ts";
import {
  addSlot,
  emptySlot,
  type HistoryPoint,
  type HistorySlot,
  MINUTE_MS,
} from "../domain/history.ts";
import { type Limits, MAX_TIME_MS } from "../domain/limits.ts";
import { parseDuration, parseTime, TIME_FORMAT_MESSAGE } from "../domain/time.ts";
import type { HistoryStore } from "../store/store.ts";
import { executorFilter } from "./violations.ts";
import { ANONYMOUS_ADMIN } from "../auth/scopes.ts";
import type { ReadOptions } from "./caller.ts";
import type { SearchSlots } from "./search_slots.ts";

/** A history answer: `points[k]` covers [`from + k·step`, `from + (k+1)·step`). */
export interface History {
  executorName: string | null;
  from: number;
  to: number;
  step: number;
  points: HistoryPoint[];
  /** Every point summed. */
  totals: HistorySlot;
  /**
   * With `executorNames`: each executor's own points and totals, in the order named (`points` and
   * `totals` above are theirs summed).
   */
  series?: { executorName: string; points: HistoryPoint[]; totals: HistorySlot }[];
}

/** Most executors one history read names in `executorNames`. */
export const MAX_HISTORY_EXECUTORS = 100;
/** Most points a read of `executorNames` answers, all its executors' together. */
const MAX_SERIES_POINTS = 15_000;

const HOUR_MS = 3_600_000;
/**
 * A read of one executor over at most this many minutes reads at most as many rows: it runs at
 * once, as a search by id does (the admin page's dashboard reads each executor's last minutes).
 */
const SMALL_READ_MINUTES = 60;

/**
 * History reads over the store, bounded by `limits.historyPoints`; they run a few at a time, as
 * searches do (`SearchSlots`).
 */
export class HistoryService {
  readonly #history: HistoryStore;
  readonly #now: () => number;
  readonly #limits: Readonly<Limits>;
  readonly #slots: SearchSlots;
  readonly #executorExists: (name: string) => Promise<boolean>;

  /** `executorExists`: whether an executor of that name is stored now. */
  constructor(
    history: HistoryStore,
    options: {
      now: () => number;
      limits: Readonly<Limits>;
      slots: SearchSlots;
      executorExists: (name: string) => Promise<boolean>;
    },
  ) {
    this.#history = history;
    this.#executorExists = options.executorExists;
    this.#now = options.now;
    this.#limits = options.limits;
    this.#slots = options.slots;
  }

  /**
   * Reads history. Query fields (strings, as REST gives them, or numbers): `executorName` (absent
   * = every executor summed), `from` and `to` (RFC 3339 or epoch ms; default the last hour up to
   * the end of the current minute), `step` (a duration such as `1m`, `5m`, `1h`, or ms; a whole
   * number of minutes; default 1 minute). `from` is moved back to a multiple of `step`, `to` up to
   * the end of its step. A read of one executor (`executorName`, each of `executorNames`) is of
   * an executor that exists, or of one deleted whose rows the store still holds (until retention
   * removes them, `HISTORY_TTL`): they count in the every-executor sums, and its name reads them
   * (the history of an executor deleted yesterday). A name that never had an executor, or whose
   * rows are all gone, is refused as every read of a named executor is.
   *
   * A read takes a place among the searches (`SearchSlots`: MAX_SEARCHES run, MAX_SEARCHES_QUEUED
   * wait), unless it is of one executor over at most `SMALL_READ_MINUTES`; it leaves the queue, or
   * stops reading, once `options.signal` (the client's request) is aborted.
   *
   * @throws {InvalidArgumentError} naming the field: a bad value, `from` not before `to`, `to`
   *   moved up past `MAX_TIME_MS`, or more than `limits.historyPoints` points
   * @throws {ResourceExhaustedError} when the read can neither run nor wait (see `SearchSlots`)
   * @throws {ExecutorNotFoundError} for an `executorName` (or one of `executorNames`) no executor
   *   has and no history row names
   */
  async read(
    query: Record<string, unknown>,
    options: ReadOptions = {},
  ): Promise<History> {
    const violations: FieldViolation[] = [];
    const time = (name: "from" | "to"): number | undefined => {
      const value = query[name];
      if (value === undefined || value === "") return undefined;
      const ms = parseTime(value);
      if (ms === undefined) violations.push({ field: name, message: TIME_FORMAT_MESSAGE });
      return ms;
    };
    let step = MINUTE_MS;
    if (query.step !== undefined && query.step !== "") {
      const ms = typeof query.step === "number" ? query.step : parseDuration(String(query.step));
      if (ms === undefined || ms < MINUTE_MS || ms % MINUTE_MS !== 0 || ms > 7 * 24 * HOUR_MS) {
        violations.push({
          field: "step",
          message: "Must be a whole number of minutes from 1m to 7d (1m, 5m, 1h, or ms)",
        });
      } else step = ms;
    }
    const executorName = executorFilter(query.executorName, violations) ?? null;
    const executorNames = namesOf(query.executorNames, violations);
    if (executorNames && executorName !== null) {
      violations.push({
        field: "executorNames",
        message: "Give executorName (one executor) or executorNames (each apart), not both",
      });
    }
    const toGiven = time("to");
    const fromGiven = time("from");
    if (violations.length === 0) {
      const to = Math.ceil((toGiven ?? this.#now() + 1) / step) * step;
      // The hour before `to` by default, from 1970 at the earliest (a time given is never before).
      const from = Math.floor((fromGiven ?? Math.max(0, to - HOUR_MS)) / step) * step;
      const count = (to - from) / step;
      if (from >= to) {
        violations.push({ field: "from", ...naming`Must be before ${fieldPointer("/to")}` });
      } else if (to > MAX_TIME_MS) {
        // The answer gives `to`: past year 9999 it is no RFC 3339 time, nor a protobuf Timestamp.
        const last = new Date(MAX_TIME_MS).toISOString();
        violations.push({
          field: "to",
          ...naming`Moved up to the end of its step, it passes ${last}: give an earlier ${
            fieldPointer("/to")
          } or a shorter ${fieldPointer("/step")}`,
        });
      } else if (count > this.#limits.historyPoints) {
        violations.push({
          field: "step",
          message:
            `Gives ${count} points, more than ${this.#limits.historyPoints}: use a longer step or a shorter window`,
        });
      } else if (executorNames && count * executorNames.length > MAX_SERIES_POINTS) {
        violations.push({
          field: "step",
          message:
            `Gives ${count} points for each of ${executorNames.length} executors, more than ${MAX_SERIES_POINTS} together: use a longer step, a shorter window or fewer executors`,
        });
      } else if (executorNames) {
        await this.#assertKnown(executorNames);
        const release = await this.#slots.take(options.caller ?? ANONYMOUS_ADMIN, options.signal);
        try {
          return await this.#readEach(executorNames, { from, to, step, signal: options.signal });
        } finally {
          release();
        }
      } else {
        if (executorName !== null) await this.#assertKnown([executorName]);
        const read = () => this.#read({ executorName, from, to, step, signal: options.signal });
        if (executorName !== null && to - from <= SMALL_READ_MINUTES * MINUTE_MS) {
          return await read();
        }
        const release = await this.#slots.take(options.caller ?? ANONYMOUS_ADMIN, options.signal);
        try {
          return await read();
        } finally {
          release();
        }
      }
    }
    throw InvalidArgumentError.listing("Invalid history query", violations);
  }

  /**
   * Refuses the first of `names` that no executor has and no history row names: a deleted
   * executor's history is read by its name while the store holds it (its rows are in the sums).
   *
   * @throws {ExecutorNotFoundError}
   */
  async #assertKnown(names: readonly string[]): Promise<void> {
    const known = await Promise.all(names.map((name) => this.#executorExists(name)));
    const gone = names.filter((_, i) => !known[i]);
    if (gone.length === 0) return;
    const held = await this.#history.historyNamesHeld(gone);
    const missing = gone.find((name) => !held.has(name));
    if (missing !== undefined) throw new ExecutorNotFoundError(missing);
  }

  async #readEach(
    executorNames: string[],
    { from, to, step, signal }: {
      from: number;
      to: number;
      step: number;
      signal: AbortSignal | undefined;
    },
  ): Promise<History> {
    const stored = await this.#history.historyReadEach({ from, to, step, signal }, executorNames);
    const sum = new Map<number, HistoryPoint>();
    const totals = emptySlot();
    const series = executorNames.map((executorName) => {
      const { points, totals: own } = pointsOf(stored.get(executorName) ?? [], from, to, step);
      for (const point of points) {
        let summed = sum.get(point.at);
        if (!summed) sum.set(point.at, summed = { at: point.at, ...emptySlot() });
        addSlot(summed, point);
      }
      addSlot(totals, own);
      return { executorName, points, totals: own };
    });
    return { executorName: null, from, to, step, points: [...sum.values()], totals, series };
  }

  async #read(
    { executorName, from, to, step, signal }: {
      executorName: string | null;
      from: number;
      to: number;
      step: number;
      signal: AbortSignal | undefined;
    },
  ): Promise<History> {
    const stored = await this.#history.historyRead({
      ...(executorName === null ? {} : { executorName }),
      from,
      to,
      step,
      signal,
    });
    return { executorName, from, to, step, ...pointsOf(stored, from, to, step) };
  }
}

/** One point per step of [`from`, `to`) (zeros where none is stored), and their sum. */
function pointsOf(
  stored: HistoryPoint[],
  from: number,
  to: number,
  step: number,
): { points: HistoryPoint[]; totals: HistorySlot } {
  const byAt = new Map(stored.map((point) => [point.at, point]));
  const points: HistoryPoint[] = [];
  const totals = emptySlot();
  for (let at = from; at < to; at += step) {
    const point = byAt.get(at) ?? { at, ...emptySlot() };
    addSlot(totals, point);
    points.push(point);
  }
  return { points, totals };
}

/**
 * The `executorNames` of a query: a list (gRPC) or comma-separated text (REST), each a name, each
 * once, 1 to `MAX_HISTORY_EXECUTORS`; `undefined` when not given (absent, `""` or `[]`).
 */
function namesOf(value: unknown, violations: FieldViolation[]): string[] | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const field = "executorNames";
  const names = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : null;
  if (names === null) {
    violations.push({ field, message: "Must be a list of executor names" });
    return undefined;
  }
  if (names.length === 0) return undefined;
  if (names.length > MAX_HISTORY_EXECUTORS) {
    violations.push({
      field,
      message: `Names ${names.length} executors, more than ${MAX_HISTORY_EXECUTORS}`,
    });
    return undefined;
  }
  const before = violations.length;
  for (const name of names) executorFilter(name, violations, field);
  if (violations.length > before) return undefined;
  if (new Set(names).size !== names.length) {
    violations.push({ field, message: "Names an executor more than once" });
    return undefined;
  }
  return names as string[];
}
