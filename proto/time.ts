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

/** A duration in ms as the message (unset for `null`/`undefined`). */
export const durationFromMs: (ms: number | null | undefined) => TimeMessage | null =
  timestampFromMs;

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
