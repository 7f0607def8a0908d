/**
 * The fire times of a schedule: cron expressions read by croner in the schedule's IANA time zone
 * (DST included), fixed intervals counted from the start; both within `startAt` … `endAt`.
 */
import { Cron } from "croner";
import { MAX_TIME_MS } from "../domain/limits.ts";
import type { ScheduleSpec } from "../domain/schedule.ts";

/** What the fire times depend on. */
export type ScheduleTimes = Pick<ScheduleSpec, "cron" | "every" | "timezone" | "startAt" | "endAt">;

/**
 * Why `cron` is not a 5- or 6-field cron expression croner reads, or `null` when it is.
 *
 * @example
 * ```ts
 * import { cronProblem } from "./schedule_times.ts";
 * cronProblem("*\/5 * * * *"); // null
 * cronProblem("61 * * * *"); // "… 61 …"
 * ```
 */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    return `Must have 5 fields (minute hour day month weekday) or 6 (seconds first), not ${fields}`;
  }
  try {
    new Cron(cron, { paused: true });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The function giving a schedule's first fire time strictly after a time (epoch ms), or `null`
 * when none is left (past `endAt`, or past `MAX_TIME_MS`, the last time the API reads and writes).
 * `anchor` is where an interval counts from when `startAt` is not set (the
 * schedule's creation). The spec must have been checked (`cronProblem`, `isTimeZone`).
 *
 * @example
 * ```ts
 * import { fireClock } from "./schedule_times.ts";
 * const next = fireClock(
 *   { cron: null, every: 60_000, timezone: "UTC", startAt: null, endAt: null },
 *   0,
 * );
 * next(90_000); // 120000
 * ```
 */
export function fireClock(spec: ScheduleTimes, anchor: number): (after: number) => number | null {
  const start = spec.startAt ?? anchor;
  const end = Math.min(spec.endAt ?? Infinity, MAX_TIME_MS);
  let next: (after: number) => number | null;
  if (spec.cron !== null) {
    const cron = new Cron(spec.cron, { timezone: spec.timezone, paused: true });
    next = (after) => cron.nextRun(new Date(Math.max(after, start - 1)))?.getTime() ?? null;
  } else {
    const every = spec.every!;
    next = (after) =>
      after < start ? start : start + (Math.floor((after - start) / every) + 1) * every;
  }
  return (after) => {
    const at = next(after);
    return at !== null && at <= end ? at : null;
  };
}

/** The first `count` fire times after `after`. */
export function nextFires(
  clock: (after: number) => number | null,
  after: number,
  count: number,
): number[] {
  const times: number[] = [];
  for (let at = clock(after); at !== null && times.length < count; at = clock(at)) times.push(at);
  return times;
}
