/**
 * Task history as `Client.getHistory` answers it: per executor (or all summed) and per step,
 * counts of what happened and queue wait and run time percentiles.
 */
import { checkOptions } from "./_fields.ts";
import { durationFromMs, type TimeMessage } from "@tasks-executor/proto";
import { msOfDuration, requiredDate, toTimestamp } from "./_grpc.ts";
import { InvalidArgumentError } from "./errors.ts";

/** What happened in one time slot; latencies in ms (`null` when nothing ran). */
export interface HistorySlot {
  /** Tasks created. */
  created: number;
  /** Attempts started. */
  started: number;
  /** Attempts that completed their task. */
  completed: number;
  /** Attempts that failed (error, timeout or lost lease). */
  failedAttempts: number;
  /** Failed attempts scheduled to run again. */
  retried: number;
  /** Tasks moved to the dead letter queue. */
  deadLettered: number;
  /** Tasks cancelled. */
  cancelled: number;
  /** Median wait from due to started (whole ms). */
  queueWaitP50: number | null;
  /** 95th percentile of that wait. */
  queueWaitP95: number | null;
  /** Median run time from started to settled (whole ms). */
  runTimeP50: number | null;
  /** 95th percentile of the run time. */
  runTimeP95: number | null;
}

/** One step of history: the slot [`at`, `at + step`). */
export interface HistoryPoint extends HistorySlot {
  /** Where the step starts. */
  at: Date;
}

/** A history answer: one point per step from `from` to `to` (zeros where nothing happened). */
export interface History {
  /** The executor asked for; `null` = every executor summed. */
  executorName: string | null;
  /** Start of the first step (moved back to a multiple of `step`). */
  from: Date;
  /** End of the last step. */
  to: Date;
  /** Length of one step (ms). */
  step: number;
  /** One per step, oldest first. */
  points: HistoryPoint[];
  /** Every point summed. */
  totals: HistorySlot;
  /**
   * With `executorNames`: each executor's own points and totals, in the order named (`points` and
   * `totals` are then theirs summed); `[]` otherwise.
   */
  series: { executorName: string; points: HistoryPoint[]; totals: HistorySlot }[];
}

/** What `getHistory` reads: all optional (`null`: not given). */
export interface HistoryQuery {
  /**
   * One executor (default: every executor summed): one that exists, or one deleted whose history
   * the manager still keeps (until its `HISTORY_TTL`). A name neither is refused with a
   * `NotFoundError` whose `missingExecutor` names it, not answered with zeros.
   */
  executorName?: string | null;
  /**
   * Several executors, each answered apart in `series` in this order, in one call: 1 to 100, each
   * once, each one that exists or one deleted whose history is kept (a `NotFoundError` names the
   * first that is neither). Not with `executorName`.
   */
  executorNames?: string[] | null;
  /** Start (default: an hour before `to`). */
  from?: Date | number | null;
  /** End (default: the end of the current minute). */
  to?: Date | number | null;
  /**
   * Step length in ms: whole minutes from 1 minute to 7 days (default one minute). One that is not
   * a positive whole number of ms is refused before it is sent. `null` is not given, as for every
   * optional field.
   */
  step?: number | null;
}

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;

const STEP_MESSAGE = "Must be a positive whole number of ms: whole minutes from 1 minute to 7 days";

/**
 * The `GetHistoryRequest` of a query.
 *
 * @throws {InvalidArgumentError} naming `/step` when it is not a positive whole number of ms: a
 *   `Duration` cannot carry a negative one the manager would read (-5 went out as -1 s and
 *   995,000,000 nanos, refused as "nanos must have the sign of seconds")
 */
export function historyRequest(query: HistoryQuery): Message {
  checkOptions(
    query,
    {
      executorName: "string?null",
      executorNames: "array?null",
      from: "any",
      to: "any",
      step: "any",
    },
    "Invalid history query",
  );
  const step = query.step;
  if (step !== undefined && step !== null && (!Number.isSafeInteger(step) || step <= 0)) {
    throw new InvalidArgumentError(
      `Invalid /step: must be a positive whole number of ms (whole minutes from 1 minute to 7 days), not ${step}`,
      3,
      [{ field: "/step", message: STEP_MESSAGE }],
    );
  }
  return {
    executorName: query.executorName ?? "",
    executorNames: query.executorNames ?? [],
    from: toTimestamp(query.from, "/from"),
    to: toTimestamp(query.to, "/to"),
    step: durationFromMs(query.step),
  };
}

function slotFromMessage(message: Message): HistorySlot {
  const ms = (time: TimeMessage | null) => msOfDuration(time) ?? null;
  return {
    created: Number(message.created),
    started: Number(message.started),
    completed: Number(message.completed),
    failedAttempts: Number(message.failedAttempts),
    retried: Number(message.retried),
    deadLettered: Number(message.deadLettered),
    cancelled: Number(message.cancelled),
    queueWaitP50: ms(message.queueWaitP50),
    queueWaitP95: ms(message.queueWaitP95),
    runTimeP50: ms(message.runTimeP50),
    runTimeP95: ms(message.runTimeP95),
  };
}

function pointsFromMessage(points: Message[] | undefined): HistoryPoint[] {
  return (points ?? []).map((point) => ({
    at: requiredDate(point.at),
    ...slotFromMessage(point.slot ?? {}),
  }));
}

/** A `GetHistoryResponse` as a `History`. */
export function historyFromMessage(message: Message): History {
  return {
    executorName: message.executorName || null,
    from: requiredDate(message.from),
    to: requiredDate(message.to),
    step: msOfDuration(message.step) ?? 0,
    points: pointsFromMessage(message.points),
    totals: slotFromMessage(message.totals ?? {}),
    series: (message.series ?? []).map((one: Message) => ({
      executorName: String(one.executorName),
      points: pointsFromMessage(one.points),
      totals: slotFromMessage(one.totals ?? {}),
    })),
  };
}
