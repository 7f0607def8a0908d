/**
 * Epoch milliseconds ↔ `google.protobuf.Timestamp`, and milliseconds ↔ `google.protobuf.Duration`,
 * as the loader decodes them (`{ seconds, nanos }`, int64 as number). Both carry whole
 * milliseconds: a finer part is dropped (rounded down).
 *
 * @example
 * ```ts
 * import { msFromTimestamp, timestampFromMs } from "@tasks-executor/proto";
 * console.log(timestampFromMs(1500)); // { seconds: 1, nanos: 500000000 }
 * console.log(msFromTimestamp({ seconds: 1, nanos: 500000000 })); // 1500
 * ```
 * @module
 */

/** A `Timestamp` or `Duration` as decoded. */
export interface TimeMessage {
  seconds?: number | string | null;
  nanos?: number | null;
}

/** A time or duration in ms as the message (unset for `null`/`undefined`). */
export function timestampFromMs(ms: number | null | undefined): TimeMessage | null {
  if (ms === null || ms === undefined) return null;
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/**
 * A duration in ms as the message (unset for `null`/`undefined`): its seconds and nanos of one
 * sign, as duration.proto asks (a negative one made as a timestamp, `-5` as -1 s + 995 ms, was
 * refused for its signs rather than judged for its value).
 */
export function durationFromMs(ms: number | null | undefined): TimeMessage | null {
  if (ms === null || ms === undefined) return null;
  const seconds = Math.trunc(ms / 1000) || 0; // not -0
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/**
 * The ms of a received `Timestamp` or `Duration`; `undefined` when unset. Whatever the numbers,
 * the answer is a number (possibly huge or negative) for the caller's range check to judge.
 */
export function msFromTimestamp(time: TimeMessage | null | undefined): number | undefined {
  if (!time) return undefined;
  return Number(time.seconds ?? 0) * 1000 + Math.floor(Number(time.nanos ?? 0) / 1_000_000);
}

/** The ms of a received `Duration`; `undefined` when unset. */
export const msFromDuration: (time: TimeMessage | null | undefined) => number | undefined =
  msFromTimestamp;

/** `Timestamp.seconds` bounds: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z (timestamp.proto). */
const TIMESTAMP_SECONDS = { min: -62_135_596_800, max: 253_402_300_799 };
/** `Duration.seconds` bounds: ±10,000 years (duration.proto). */
const DURATION_SECONDS = 315_576_000_000;
const NANOS_MAX = 999_999_999;

/**
 * What makes a received `Timestamp` or `Duration` one the well-known type does not allow, or
 * `undefined` when it is valid (or unset). The rules are timestamp.proto's and duration.proto's:
 * a timestamp's `nanos` in 0..999,999,999 and `seconds` within years 1..9999; a duration's
 * `nanos` within ±999,999,999 and of the sign of `seconds`, and `seconds` within ±10,000 years.
 *
 * @example
 * ```ts
 * import { timeProblem } from "@tasks-executor/proto";
 * console.log(timeProblem({ seconds: 1, nanos: 2_000_000_000 }, "timestamp"));
 * // "nanos must be 0 to 999999999"
 * ```
 */
export function timeProblem(
  time: TimeMessage | null | undefined,
  kind: "timestamp" | "duration",
): string | undefined {
  if (!time) return undefined;
  const seconds = Number(time.seconds ?? 0);
  const nanos = Number(time.nanos ?? 0);
  if (!Number.isInteger(seconds)) return "seconds must be a whole number";
  if (!Number.isInteger(nanos)) return "nanos must be a whole number";
  if (kind === "timestamp") {
    if (nanos < 0 || nanos > NANOS_MAX) return `nanos must be 0 to ${NANOS_MAX}`;
    if (seconds < TIMESTAMP_SECONDS.min || seconds > TIMESTAMP_SECONDS.max) {
      return `seconds must be ${TIMESTAMP_SECONDS.min} to ${TIMESTAMP_SECONDS.max} (years 1 to 9999)`;
    }
    return undefined;
  }
  if (Math.abs(nanos) > NANOS_MAX) return `nanos must be -${NANOS_MAX} to ${NANOS_MAX}`;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return "nanos must have the sign of seconds";
  }
  if (Math.abs(seconds) > DURATION_SECONDS) {
    return `seconds must be -${DURATION_SECONDS} to ${DURATION_SECONDS} (10,000 years)`;
  }
  return undefined;
}
