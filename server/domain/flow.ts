/**
 * Flow control of an executor: rate limits (executor-wide and per group key), keyed concurrency,
 * and the group key each task is sorted into. The rules are pure functions; the stores apply them
 * inside the claim (`server/store/*_flow.ts`).
 *
 * Rate limits are GCRA (the generic cell rate algorithm): one number per bucket, the theoretical
 * arrival time `tat` (epoch ms). It behaves as a token bucket of `burst` tokens refilled at
 * `limit / period`, so any window of one `period` holds at most `limit + burst` starts.
 */
import type { FieldViolation } from "./errors.ts";
import { jsonInteger } from "./json_integer.ts";
import {
  dataPointerProblem,
  parseJsonPointer,
  pointerToken,
  valueAtPointer,
} from "./json_pointer.ts";

/** At most `limit` task starts per `period` ms, with up to `burst` at once. */
export interface RateLimit {
  /** Starts per period (1..1,000,000). */
  limit: number;
  /** Period (ms, 1 ms .. 1 day). */
  period: number;
  /** Bucket size: starts allowed at once after a quiet spell (1..1,000,000; default `limit`). */
  burst: number;
}

/** The flow-control fields of an executor configuration. */
export interface FlowControl {
  /** Executor-wide start rate, shared by every manager; `null` = none. */
  rateLimit: RateLimit | null;
  /** Start rate per group key; `null` = none. */
  rateLimitPerKey: RateLimit | null;
  /** Tasks of one group key in progress at once, across every manager (0 = no limit). */
  maxConcurrencyPerKey: number;
  /**
   * JSON pointer into a task's data naming its group key when the task was created without one
   * (e.g. `/customerId`); `null` = only keys given at creation.
   */
  groupKeyPointer: string | null;
}

/** No flow control (the default of every executor). */
export const NO_FLOW_CONTROL: FlowControl = {
  rateLimit: null,
  rateLimitPerKey: null,
  maxConcurrencyPerKey: 0,
  groupKeyPointer: null,
};

/** Most characters of a group key and of `groupKeyPointer`. */
export const GROUP_KEY_MAX_CHARS = 256;
const MAX_PERIOD_MS = 24 * 3600 * 1000;
const MAX_RATE = 1_000_000;

/** The range a numeric setting must be in: `min` and `max` included, whole when `integer`. */
export interface NumberBound {
  min: number;
  max: number;
  integer: boolean;
}

/**
 * The bounds of one rate limit's fields (`rateLimit` and `rateLimitPerKey`), as
 * `parseFlowControl` checks them; `period` in ms. `{"limit": 0}` alone is no limit but the way to
 * remove one.
 */
export const RATE_LIMIT_BOUNDS: Readonly<Record<keyof RateLimit, NumberBound>> = {
  limit: { min: 1, max: MAX_RATE, integer: true },
  period: { min: 1, max: MAX_PERIOD_MS, integer: true },
  burst: { min: 1, max: MAX_RATE, integer: true },
};

/** The bounds of `maxConcurrencyPerKey` (0 = no limit), as `parseFlowControl` checks them. */
export const MAX_CONCURRENCY_PER_KEY_BOUND: NumberBound = { min: 0, max: MAX_RATE, integer: true };

/** Whether an executor has any flow control the claim must apply. */
export function hasFlowControl(flow: FlowControl): boolean {
  return flow.rateLimit !== null || flow.rateLimitPerKey !== null ||
    flow.maxConcurrencyPerKey > 0 || flow.groupKeyPointer !== null;
}

/** Whether the claim must walk group keys (round-robin) rather than the executor's one queue. */
export function isKeyed(flow: FlowControl): boolean {
  return flow.rateLimitPerKey !== null || flow.maxConcurrencyPerKey > 0 ||
    flow.groupKeyPointer !== null;
}

/**
 * GCRA: how many of `want` starts a bucket allows at `now`, and its new `tat` (`tat` 0 = a
 * bucket never used). Pure; the store writes the new `tat` in the same atomic step as the claim,
 * and also when it came back lower than the stored one with nothing granted (see below).
 *
 * A stored `tat` is first capped to `latest + burst × period / limit`, the latest a bucket
 * drained under `rate` can hold (the GCRA bound τ + T, with τ = (burst − 1) × T), where `latest`
 * is the latest `now` that wrote the bucket, or `now` when that is later (default `now`). Under
 * an unchanged rate the cap never binds, as every `tat` this function returns is within it; it
 * binds only for a `tat` written under another, slower rate (or by an executor of the same name
 * before), which then counts as a bucket drained at `latest` under the current rate instead of
 * a debt of up to a day at the old one. Capped at the claim's own `now` instead, a claim whose
 * `now` was read before a later claim's (a wait on a lock, an insert before a hand-over, a busy
 * thread) would count that claim's debt as another rate's and write the bucket back to full.
 *
 * @example
 * ```ts
 * import { gcraTake } from "./flow.ts";
 * const rate = { limit: 10, period: 1000, burst: 2 };
 * console.log(gcraTake(0, { now: 5000, want: 5, rate })); // { granted: 2, tat: 5200 }
 * ```
 */
export function gcraTake(
  tat: number,
  options: { now: number; want: number; rate: RateLimit; latest?: number },
): { granted: number; tat: number } {
  const { now, want, rate } = options;
  const interval = rate.period / rate.limit;
  const drained = rate.burst * interval;
  // How far the bucket's latest claim is ahead of this one (a difference of epoch times: exact).
  const behind = Math.max((options.latest ?? now) - now, 0);
  // The bucket's debt, `tat − now`, capped as above. Worked out as a difference (exact for two
  // epoch times) rather than on epoch sums such as `now + interval`, which round to 1/4096 ms:
  // that rounding made a full bucket of burst 1 at 3/s find less than one token, for ever.
  const debt = Math.min(Math.max(tat - now, 0), drained + behind);
  // Room left in the bucket, rounded down with a little slack for the float sums of earlier
  // grants.
  const room = Math.floor((drained - debt) / interval + 1e-9);
  const granted = Math.max(0, Math.min(want, room));
  return { granted, tat: now + debt + granted * interval };
}

/**
 * GCRA give-back: the `tat` of a bucket now at `tat` once `count` tokens are given back that a
 * take granted and the claim did not use (another claimer had the tasks). The take left the
 * bucket at `took`; `latest` is the bucket's latest claim time since (the take's own `now` when
 * no other claim came); `givenSince` is the time (ms) other give-backs returned to the bucket
 * since the take. The bucket goes back to where it would be had they not been taken, never
 * further: by `count` intervals at most, and by no more than `took − givenSince − latest`, the
 * debt the take left as seen from the latest claim, without what was given back in between.
 * Claims after the take that found the bucket lower took the refill into the room those tokens
 * would have left, and all of them back would grant that refill twice; a give-back in between
 * already lowered the bucket under `took`, and counting it again let one more start through
 * than GCRA allows (found by the property in flow_test.ts). A `givenSince` below 0 says the bucket
 * was made anew since the take (pruned once full, or its executor deleted): the tokens were taken
 * from a bucket that is gone, and nothing comes back. Pure; a store writes the result in one
 * atomic step with the bucket's current state.
 *
 * @example
 * ```ts
 * import { gcraGiveBack, gcraTake } from "./flow.ts";
 * const rate = { limit: 10, period: 1000, burst: 5 };
 * const took = gcraTake(0, { now: 5000, want: 5, rate }).tat; // 5500: drained
 * console.log(gcraGiveBack(took, { count: 3, rate, took, latest: 5000, givenSince: 0 })); // 5200
 * // Had the 3 not been taken, the bucket was full again by 5200: a claim at 5400 that took the
 * // 4 refilled meanwhile got what a full bucket gives, so only one more comes back.
 * console.log(gcraGiveBack(5900, { count: 3, rate, took, latest: 5400, givenSince: 0 })); // 5800
 * ```
 */
export function gcraGiveBack(
  tat: number,
  options: { count: number; rate: RateLimit; took: number; latest: number; givenSince: number },
): number {
  const { count, rate, took, latest, givenSince } = options;
  if (givenSince < 0) return tat;
  return tat - Math.min(count * rate.period / rate.limit, Math.max(0, took - givenSince - latest));
}

/**
 * The time (epoch ms) a claim takes its rate buckets at: its `clock` read now, never before its
 * `now`; `now` without a clock (`ClaimOptions.clock`).
 */
export function bucketTime(claim: { now: number; clock?: () => number }): number {
  return claim.clock ? Math.max(claim.now, claim.clock()) : claim.now;
}

/**
 * How long (ms) a rate bucket is kept after it is full again. A bucket full at a claim's time
 * (`tat` at or before it) grants what no bucket grants, so deleting it keeps one stored bucket
 * per key from outliving the key's traffic. But a claim whose time was read before another's
 * (on another manager, or a round trip behind) reaches the bucket later than its time says: had
 * the bucket been deleted as soon as it was full at the later claim's time, the late claim would
 * find none and start a whole burst a bucket still in debt at its own time did not allow. Kept
 * this long past full, a bucket is deleted only when no claim can be that late.
 */
export const RATE_BUCKET_KEEP_MS = 60_000;

/**
 * The `tat` (epoch ms) at or before which a bucket may be deleted by a claim at `now`: full again
 * for `RATE_BUCKET_KEEP_MS`.
 */
export function rateBucketsPrunedAt(now: number): number {
  return now - RATE_BUCKET_KEEP_MS;
}

/** The earliest time (epoch ms) a bucket at `tat` allows one more start. */
export function gcraNextAt(tat: number, rate: RateLimit): number {
  return Math.max(0, tat - (rate.burst - 1) * rate.period / rate.limit);
}

/**
 * Reads a JSON pointer (RFC 6901) into `data` as a data search does (`valueAtPointer`: an array
 * by its indexes only); a string, finite number or boolean there becomes
 * the group key (as text) when it is one a task may be given (`groupKeyProblem`); anything else,
 * or nothing, gives `null` — the task goes to the group of tasks without a key, as one given no
 * key. So a key that is too long, or that a store could not keep exactly (SQLite reads text back
 * cut at U+0000: the keyed claim's walk over keys would stop on it for ever), never stops the
 * executor's other tasks.
 *
 * @example
 * ```ts
 * import { groupKeyAt } from "./flow.ts";
 * console.log(groupKeyAt({ customer: { id: 42 } }, "/customer/id")); // "42"
 * ```
 */
export function groupKeyAt(data: unknown, pointer: string): string | null {
  const tokens = parseJsonPointer(pointer);
  // An array's `length` was taken for a member, and its count for a key.
  const node = tokens === null ? undefined : valueAtPointer(data, tokens);
  if (typeof node === "number" && !Number.isFinite(node)) return null;
  if (typeof node !== "string" && typeof node !== "number" && typeof node !== "boolean") {
    return null;
  }
  const key = String(node);
  return groupKeyProblem(key) === null ? key : null;
}

/**
 * The group key of a new task: the one it was given, else the executor's pointer into its data;
 * for a keyed executor (`isKeyed`) a task with neither gets `""` (the group of tasks without a
 * key), for any other `null`.
 */
export function groupKeyOf(
  task: { data: unknown; groupKey: string | null },
  flow: FlowControl,
): string | null {
  if (task.groupKey !== null) return task.groupKey;
  const key = flow.groupKeyPointer === null ? null : groupKeyAt(task.data, flow.groupKeyPointer);
  return key ?? (isKeyed(flow) ? "" : null);
}

/**
 * Whether a string is a usable group key, `null` when it is, else a message: 1 to
 * `GROUP_KEY_MAX_CHARS` characters a store keeps exactly — no U+0000 (SQLite reads text back cut
 * there) and no lone surrogate (both stores write UTF-8, which turns one into U+FFFD). The one
 * rule for every group key: one given at creation is refused with this message, one read from
 * data (`groupKeyAt`) that breaks it is no key.
 */
export function groupKeyProblem(key: unknown): string | null {
  if (typeof key !== "string") return "Must be a string";
  if (key.length === 0 || key.length > GROUP_KEY_MAX_CHARS) {
    return `Must be 1-${GROUP_KEY_MAX_CHARS} characters`;
  }
  if (key.includes("\u0000")) return "Must not contain U+0000";
  if (!key.isWellFormed()) return "Must be well-formed Unicode (no lone surrogate)";
  return null;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads the flow-control fields of an executor configuration (`input` is the whole
 * configuration object), on top of `base`; a field left out or `null` keeps its base value,
 * `{"limit": 0}` removes a rate limit and `""` the group key pointer. Periods are ms or
 * `durationMs` forms, via `duration`. A group key pointer must be one a group key may be
 * (`groupKeyProblem`) that can name a value inside task data nested at most `maxDepth` deep
 * (`dataPointerProblem`), unless it is the one stored (`storedPointer`, the base's when not given):
 * an executor stored before that rule keys tasks as it did, and a worker declaring it again at
 * every start (the SDK's register) is not refused. Bad fields are pushed to `violations` under
 * `pointer`.
 */
export function parseFlowControl(
  input: Obj,
  options: {
    base: FlowControl;
    pointer: string;
    violations: FieldViolation[];
    duration: (value: unknown) => number | undefined;
    /** What a period that is no duration of whole milliseconds is told. */
    durationMessage: string;
    maxDepth: number;
    storedPointer?: string | null;
  },
): FlowControl {
  const { base, pointer, violations } = options;
  const fail = (field: string, message: string) =>
    violations.push({ field: `${pointer}/${field}`, message });
  const rate = (key: "rateLimit" | "rateLimitPerKey"): RateLimit | null => {
    const value = input[key];
    if (value === undefined || value === null) return base[key];
    if (!isObject(value)) {
      fail(key, "Must be an object");
      return base[key];
    }
    // `{"limit": 0}` takes a limit away (null, as everywhere, keeps what there is).
    if (jsonInteger(value.limit) === 0 && Object.keys(value).length === 1) return null;
    for (const k of Object.keys(value)) {
      if (!["limit", "period", "burst"].includes(k)) {
        fail(`${key}/${pointerToken(k)}`, "Unknown field");
      }
    }
    const whole = (k: "limit" | "burst", fallback: number | undefined): number => {
      // An integer: a JSON number or proto3 JSON's string of decimal digits (`jsonInteger`).
      const given = value[k];
      const n = given === undefined || given === null ? fallback : jsonInteger(given);
      const { min, max } = RATE_LIMIT_BOUNDS[k];
      if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
        fail(`${key}/${k}`, `Must be a whole number between ${min} and ${max}`);
        return 1;
      }
      return n;
    };
    const limit = whole("limit", undefined);
    const period = value.period === undefined ? 1000 : options.duration(value.period);
    const { min, max } = RATE_LIMIT_BOUNDS.period;
    // What the period is given as (forms REST and gRPC take), or where it falls short.
    if (period === undefined || !Number.isInteger(period)) {
      fail(`${key}/period`, options.durationMessage);
    } else if (!(period >= min && period <= max)) {
      fail(`${key}/period`, `Must be between ${min} ms and ${max} ms`);
    }
    return { limit, period: period ?? 1000, burst: whole("burst", limit) };
  };
  const rateLimit = rate("rateLimit");
  const rateLimitPerKey = rate("rateLimitPerKey");
  let maxConcurrencyPerKey = base.maxConcurrencyPerKey;
  const k = input.maxConcurrencyPerKey;
  if (k !== undefined && k !== null) {
    const { min, max } = MAX_CONCURRENCY_PER_KEY_BOUND;
    const n = jsonInteger(k);
    if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
      fail("maxConcurrencyPerKey", `Must be a whole number between ${min} and ${max}`);
    } else maxConcurrencyPerKey = n;
  }
  let groupKeyPointer = base.groupKeyPointer;
  const p = input.groupKeyPointer;
  if (p === "") groupKeyPointer = null;
  else if (p !== undefined && p !== null) {
    // A string as a group key is one (no U+0000, no lone surrogate: gRPC's strings cannot carry
    // one), and a JSON pointer that can name a value of task data.
    if (groupKeyProblem(p) !== null) {
      fail(
        "groupKeyPointer",
        `Must be a JSON pointer such as "/customerId", at most ${GROUP_KEY_MAX_CHARS} characters, without U+0000 or a lone surrogate`,
      );
    } else {
      const stored = options.storedPointer === undefined
        ? base.groupKeyPointer
        : options.storedPointer;
      const problem = p === stored
        ? null
        : dataPointerProblem(p as string, { maxTokens: options.maxDepth });
      if (problem !== null) fail("groupKeyPointer", problem);
      else groupKeyPointer = p as string;
    }
  }
  return { rateLimit, rateLimitPerKey, maxConcurrencyPerKey, groupKeyPointer };
}

/** The flow-control fields of an executor, alone (for storing them as one value). */
export function flowOf(executor: FlowControl): FlowControl {
  return {
    rateLimit: executor.rateLimit,
    rateLimitPerKey: executor.rateLimitPerKey,
    maxConcurrencyPerKey: executor.maxConcurrencyPerKey,
    groupKeyPointer: executor.groupKeyPointer,
  };
}

/**
 * How soon (ms) a claim that came back short may find more under this flow control: one token's
 * time of the fastest rate limit; `null` when only concurrency limits hold tasks back (what
 * frees them, a task ending, wakes the claimer) or there is no flow control.
 */
export function flowRecheckMs(flow: FlowControl): number | null {
  const intervals = [flow.rateLimit, flow.rateLimitPerKey]
    .filter((rate): rate is RateLimit => rate !== null)
    .map((rate) => rate.period / rate.limit);
  return intervals.length === 0 ? null : Math.min(...intervals);
}

/** A task's `groupKey` field as stored tasks carry it: present only when there is a key. */
export function groupKeyField(key: string | null): { groupKey?: string } {
  return key ? { groupKey: key } : {};
}
