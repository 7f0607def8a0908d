/**
 * Schedules: what creates a task on a cron expression or a fixed interval, and the pure rule that
 * decides which fire times are due, which are skipped and when the next one is (`decideFires`).
 */
import { FailedPreconditionError } from "./errors.ts";
import type { ProtoEnum } from "./proto_enum.ts";

/** Whether a fire may start while the task of the previous fire is still pending or running. */
export const OVERLAP_POLICIES = ["skip", "allow"] as const;
export type OverlapPolicy = typeof OVERLAP_POLICIES[number];

/**
 * What happens to fire times missed while no manager ran (downtime): `skip` them, `run_once`
 * (one task for the latest of them), or `run_each` (one task per missed fire, at most
 * `maxMissedFires`; the older ones beyond the cap are skipped).
 */
export const MISSED_FIRE_POLICIES = ["skip", "run_once", "run_each"] as const;
export type MissedFirePolicy = typeof MISSED_FIRE_POLICIES[number];

/** `OverlapPolicy` of `taskexecutor.v1`, as REST reads it (`protoEnumOf`). */
export const OVERLAP_POLICY_ENUM: ProtoEnum<OverlapPolicy> = {
  names: OVERLAP_POLICIES,
  prefix: "OVERLAP_POLICY_",
  numbers: { skip: 1, allow: 2 },
};

/** `MissedFirePolicy` of `taskexecutor.v1`, as REST reads it (`protoEnumOf`). */
export const MISSED_FIRE_POLICY_ENUM: ProtoEnum<MissedFirePolicy> = {
  names: MISSED_FIRE_POLICIES,
  prefix: "MISSED_FIRE_POLICY_",
  numbers: { skip: 1, run_once: 2, run_each: 3 },
};

/**
 * Why a fire made no task: `overlap` (the previous task still runs), `missed` (downtime, policy
 * `skip` or `run_once`), `missed_cap` (downtime beyond `maxMissedFires`), `invalid_data` (the
 * data no longer fits the executor's schema), `executor_missing`.
 */
export const SKIP_REASONS = [
  "overlap",
  "missed",
  "missed_cap",
  "invalid_data",
  "executor_missing",
] as const;
export type SkipReason = typeof SKIP_REASONS[number];

/** The task each fire creates. */
export interface ScheduleTask {
  data: unknown;
  metadata: Record<string, string>;
  priority: number;
}

/** A schedule as its owner configures it. Times are epoch ms. */
export interface ScheduleSpec {
  /** Unique, `[a-z0-9_.-]{1,128}` (as executor names). */
  name: string;
  executorName: string;
  /** A cron expression of 5 fields (minute first) or 6 (second first); `null` with `every`. */
  cron: string | null;
  /** A fixed interval in ms, counted from `startAt` (or `createdAt`); `null` with `cron`. */
  every: number | null;
  /** IANA time zone the cron expression is read in (e.g. `Europe/Berlin`). */
  timezone: string;
  task: ScheduleTask;
  /** `false` = paused: no fires, and no missed fires counted while paused. */
  enabled: boolean;
  overlapPolicy: OverlapPolicy;
  missedFirePolicy: MissedFirePolicy;
  /** Most tasks one catch-up makes under `run_each`. */
  maxMissedFires: number;
  /** Each fire's task runs up to this many ms after the fire time (uniformly at random). */
  jitterMs: number;
  /** No fire before this time; `null` = from creation. */
  startAt: number | null;
  /** No fire after this time; `null` = no end. */
  endAt: number | null;
}

/** One fire (made or skipped), as the schedule's history keeps it. */
export interface ScheduleFire {
  /** The fire time the schedule named (for a manual trigger: when it was asked for). */
  fireAt: number;
  /** When a manager fired it. */
  firedAt: number;
  /** The task it created; `null` when skipped. */
  taskId: string | null;
  skipped: SkipReason | null;
  /** `true` for `POST …/trigger`. */
  manual: boolean;
}

/** A stored schedule. */
export interface Schedule extends ScheduleSpec {
  id: string;
  createdAt: number;
  updatedAt: number;
  /** Bumped by every write; state changes compare and set on it. */
  version: number;
  /** The next fire time, `null` when none is left (past `endAt`). */
  nextFireAt: number | null;
  /** The task of the latest fire (for the overlap policy). */
  lastTaskId: string | null;
  /** The newest fires, oldest first, at most `SCHEDULE_HISTORY`. */
  lastFires: ScheduleFire[];
}

/** How many fires a schedule's history keeps. */
export const SCHEDULE_HISTORY = 20;

/**
 * How late a fire may be and still count as on time, in ms; a fire later than that was missed
 * (no manager ran) and follows the missed-fire policy.
 */
export const FIRE_GRACE_MS = 2000;

/**
 * How the idempotency keys of the tasks schedules create begin: reserved for them, a client's
 * task may not take one (`parseTaskInput`).
 */
export const FIRE_KEY_PREFIX = "schedule:";

/** The idempotency key of the task a fire creates: one task per schedule and fire time. */
export function fireKey(scheduleId: string, fireAt: number): string {
  return `${FIRE_KEY_PREFIX}${scheduleId}:${fireAt}`;
}

const INTERVAL_PART = /(\d+)(ms|s|m|h|d)/gy;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads an interval such as `"5m"`, `"1h30m"`, `"10s"` or `"250ms"` (units ms, s, m, h, d) as ms;
 * `undefined` when it is not one. Its length is the caller's to bound (a schedule's: the Limits
 * table's `scheduleExpressionChars`).
 *
 * @example
 * ```ts
 * import { parseInterval } from "./schedule.ts";
 * console.log(parseInterval("1h30m"), parseInterval("5 minutes")); // 5400000 undefined
 * ```
 */
export function parseInterval(text: string): number | undefined {
  if (text === "") return undefined;
  INTERVAL_PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = INTERVAL_PART.exec(text); match; match = INTERVAL_PART.exec(text)) {
    total += Number(match[1]) * UNIT_MS[match[2]];
    end = INTERVAL_PART.lastIndex;
  }
  return end === text.length && Number.isSafeInteger(total) ? total : undefined;
}

/** Most due fire times `decideFires` looks at one by one (a longer downtime's older ones are skipped unlisted). */
export const MAX_FIRES_LISTED = 1000;

/** What `decideFires` found due. */
export interface FireDecision {
  /** Fire times to create a task for, oldest first. */
  fire: number[];
  /** Fire times skipped, with why. */
  skip: { fireAt: number; reason: SkipReason }[];
  /** The schedule's next fire time after these, or `null` when none is left. */
  nextFireAt: number | null;
}

/**
 * Decides what to do with a schedule's fire times due at `now`: those from `nextFireAt` up to
 * `now`. A fire at most `graceMs` late is on time and fires. Older ones were missed (no manager
 * ran) and follow the missed-fire policy: `skip` skips them all; `run_once` fires the latest of
 * them and skips the others; `run_each` fires the latest `maxMissedFires` and skips the older
 * ones (`missed_cap`). At most `MAX_FIRES_LISTED` missed times are looked at: after a longer
 * downtime the older ones are passed over without a record. `next(t)` gives the schedule's first
 * fire time strictly after `t`, or `null`; `turn`, awaited after each, may give the thread back
 * (a catch-up of `* * * * * *` reads 1,000 times, 80 ms, held in one go before).
 *
 * @example
 * ```ts
 * import { decideFires } from "./schedule.ts";
 * const next = (t: number) => (Math.floor(t / 1000) + 1) * 1000; // every second
 * await decideFires(
 *   { nextFireAt: 1000, missedFirePolicy: "run_once", maxMissedFires: 5 },
 *   5_500,
 *   { next, graceMs: 1000 },
 * ); // fire [4000, 5000]; skip 1000, 2000, 3000 (missed); nextFireAt 6000
 * ```
 */
export async function decideFires(
  schedule: Pick<Schedule, "nextFireAt" | "missedFirePolicy" | "maxMissedFires">,
  now: number,
  options: {
    next: (after: number) => number | null;
    graceMs: number;
    turn?: () => Promise<void>;
  },
): Promise<FireDecision> {
  const decision: FireDecision = { fire: [], skip: [], nextFireAt: schedule.nextFireAt };
  let at: number | null = schedule.nextFireAt;
  const missed: number[] = [];
  const onTime: number[] = [];
  while (at !== null && at <= now) {
    if (now - at <= options.graceMs) onTime.push(at);
    else if (missed.length < MAX_FIRES_LISTED) missed.push(at);
    else {
      // A downtime longer than we list: jump to the fire times around now.
      at = options.next(now - options.graceMs - 1);
      continue;
    }
    at = options.next(at);
    await options.turn?.();
  }
  decision.nextFireAt = at;
  const policy = schedule.missedFirePolicy;
  const kept = policy === "skip" ? 0 : policy === "run_once" ? 1 : schedule.maxMissedFires;
  const firstKept = Math.max(0, missed.length - kept);
  const reason: SkipReason = policy === "run_each" ? "missed_cap" : "missed";
  for (const t of missed.slice(0, firstKept)) decision.skip.push({ fireAt: t, reason });
  decision.fire.push(...missed.slice(firstKept), ...onTime);
  return decision;
}

/**
 * Writes ms as an interval text, largest units first, which `parseInterval` reads back when the
 * ms are not negative; negative ms are written with a minus (`"-1s"`), which it refuses (a
 * duration of -1 s over gRPC was written as "23h59m59s" and stored as such).
 *
 * @example
 * ```ts
 * import { formatInterval } from "./schedule.ts";
 * console.log(formatInterval(5_400_000), formatInterval(1500)); // "1h30m" "1s500ms"
 * console.log(formatInterval(-1000)); // "-1s"
 * ```
 */
export function formatInterval(ms: number): string {
  if (ms < 0) return `-${formatInterval(-ms)}`;
  if (ms === 0) return "0s";
  let rest = ms;
  let text = "";
  for (const unit of ["d", "h", "m", "s", "ms"]) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * UNIT_MS[unit];
  }
  return text;
}

/**
 * The newest fire time the schedule itself named (manual triggers left out) among `fires`, or
 * `null`: no later write may set the next fire time at or before it (that fire time has fired).
 *
 * @example
 * ```ts
 * import { lastScheduledFireAt } from "./schedule.ts";
 * const line = { firedAt: 0, taskId: null, skipped: null };
 * lastScheduledFireAt([
 *   { ...line, fireAt: 5000, manual: false },
 *   { ...line, fireAt: 7000, manual: true },
 * ]); // 5000
 * ```
 */
export function lastScheduledFireAt(fires: readonly ScheduleFire[]): number | null {
  let newest: number | null = null;
  for (const fire of fires) {
    if (!fire.manual && (newest === null || fire.fireAt > newest)) newest = fire.fireAt;
  }
  return newest;
}

/**
 * A schedule's history with `fires` added: one line per scheduled fire time (a line another
 * manager wrote for the same time is kept, not doubled) and one per manual trigger's task, by
 * fire time, the newest `SCHEDULE_HISTORY` kept.
 *
 * @example
 * ```ts
 * import { mergeFires } from "./schedule.ts";
 * const at = (fireAt: number, taskId: string, manual = false) =>
 *   ({ fireAt, firedAt: fireAt, taskId, skipped: null, manual });
 * mergeFires([at(1000, "a"), at(1500, "m", true)], [at(1000, "a"), at(2000, "b")]);
 * // lines of 1000 (a), 1500 (m, manual), 2000 (b)
 * ```
 */
export function mergeFires(
  history: readonly ScheduleFire[],
  fires: readonly ScheduleFire[],
): ScheduleFire[] {
  const identity = (fire: ScheduleFire) =>
    fire.manual ? `manual:${fire.taskId}` : `fire:${fire.fireAt}`;
  const seen = new Set(history.map(identity));
  const added = fires.filter((fire) => !seen.has(identity(fire)) && seen.add(identity(fire)));
  // A stable sort: lines of one time keep the order they were written in.
  return [...history, ...added].sort((a, b) => a.fireAt - b.fireAt).slice(-SCHEDULE_HISTORY);
}

/** What a fire (or a manual trigger) made, for `mergeFireState`. */
export interface FireOutcome {
  /** The `nextFireAt` the fire was decided from (the schedule as read before firing). */
  from: number | null;
  /** The next fire time the fire decided (`FireDecision.nextFireAt`). */
  nextFireAt: number | null;
  /** Its history lines. */
  fires: readonly ScheduleFire[];
  /** The task it made last, or `null` when it made none. */
  lastTaskId: string | null;
}

/**
 * The fire state to write after a fire, over the schedule as stored now (`stored`), which may
 * have changed since the fire read it: a change of its settings or another fire won the compare
 * and set. The fire's lines join the history (`mergeFires`); the next fire time is the fire's own
 * when nobody moved it meanwhile, else the stored one, and in either case never at or before a
 * fire time this fire handled (`next` is the stored schedule's clock): a fire time fires once.
 *
 * @example
 * ```ts
 * import { mergeFireState } from "./schedule.ts";
 * const next = (t: number) => (Math.floor(t / 1000) + 1) * 1000; // every second
 * const fire = { fireAt: 5000, firedAt: 5010, taskId: "t5", skipped: null, manual: false };
 * // An update that kept the timing (nextFireAt still 5000) won the race: the fire moves it on.
 * mergeFireState(
 *   { nextFireAt: 5000, lastTaskId: "t4", lastFires: [] },
 *   { from: 5000, nextFireAt: 6000, fires: [fire], lastTaskId: "t5" },
 *   next,
 * ); // { nextFireAt: 6000, lastTaskId: "t5", lastFires: [fire] }
 * ```
 */
export function mergeFireState(
  stored: Pick<Schedule, "nextFireAt" | "lastTaskId" | "lastFires">,
  outcome: FireOutcome,
  next: (after: number) => number | null,
): Pick<Schedule, "nextFireAt" | "lastTaskId" | "lastFires"> {
  let nextFireAt = stored.nextFireAt === outcome.from ? outcome.nextFireAt : stored.nextFireAt;
  const handled = lastScheduledFireAt(outcome.fires);
  if (nextFireAt !== null && handled !== null && nextFireAt <= handled) nextFireAt = next(handled);
  return {
    nextFireAt,
    lastTaskId: outcome.lastTaskId ?? stored.lastTaskId,
    lastFires: mergeFires(stored.lastFires, outcome.fires),
  };
}

/**
 * What a create past the store's schedule limit (`limits.schedules`) is told
 * (FAILED_PRECONDITION, 409): the store holds `count` schedules already. The stores throw it from
 * `scheduleCreate`.
 */
export function schedulesFullError(count: number): FailedPreconditionError {
  return new FailedPreconditionError(
    `Cannot create schedule: the store holds ${count} schedules, the limit; delete some first`,
  );
}
