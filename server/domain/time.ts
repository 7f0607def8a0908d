/**
 * The one reader of times the API takes (a task's `runAt`, the list filters' bounds, `deadBefore`, a
 * schedule's `startAt` and `endAt`, history's `from` and `to`):
 * RFC 3339 with an offset, or epoch milliseconds — nothing that depends on the manager's zone.
 */
import { MAX_TIME_MS } from "./limits.ts";

/**
 * What a caller is told when a time cannot be read; the field is named by the caller. It words
 * the forms REST takes: gRPC's `Timestamp` fields are refused in its adapter, in its own words,
 * before one could reach this (`TIMESTAMP_RANGE_MESSAGE` of `server/grpc/convert.ts`).
 */
export const TIME_FORMAT_MESSAGE =
  `Must be an RFC 3339 time with an offset ("2030-06-01T12:00:00Z", "…+02:00") or epoch milliseconds, from 1970 to ${
    new Date(MAX_TIME_MS).toISOString()
  }`;

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Reads a time as epoch ms: a whole number of epoch milliseconds (a number, or a string of
 * digits, as the proto JSON mapping writes int64), or an RFC 3339 date-time with `Z` or a
 * `±hh:mm` offset (fractions past the millisecond are dropped). The time must lie from the epoch
 * to `MAX_TIME_MS`. Anything else — no offset, a date alone, free-form text, a leap second — is
 * `undefined`.
 *
 * @example
 * ```ts
 * import { parseTime } from "./time.ts";
 * console.log(parseTime("2030-06-01T12:00:00+02:00")); // 1906538400000
 * console.log(parseTime("2030-06-01T12:00:00")); // undefined: no offset
 * ```
 */
export function parseTime(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === "number") ms = value;
  else if (typeof value === "string") {
    ms = /^\d{1,16}$/.test(value) ? Number(value) : parseRfc3339(value);
  }
  return ms !== undefined && Number.isInteger(ms) && ms >= 0 && ms <= MAX_TIME_MS ? ms : undefined;
}

/**
 * Reads a time that may be none (a schedule's `startAt` and `endAt`, a task's `runAt`): `null` for
 * none — `null`, or the epoch however it is written (`0`, `"0"`, `"1970-01-01T00:00:00Z"`), as
 * gRPC's zero timestamp is none — else epoch ms as `parseTime` reads them, or `undefined` when the
 * value is not a time, `""` too (its readers refuse it as empty first, naming the field: it was a
 * task's `runAt` left out until 2026-12-07). The string `"0"` (how a command line or a query
 * sends 0) was 1970 where the number 0 was none.
 *
 * @example
 * ```ts
 * import { parseOptionalTime } from "./time.ts";
 * console.log(parseOptionalTime(0), parseOptionalTime("0"), parseOptionalTime(null)); // null null null
 * console.log(parseOptionalTime("1000"), parseOptionalTime("soon"), parseOptionalTime("")); // 1000 undefined undefined
 * ```
 */
export function parseOptionalTime(value: unknown): number | null | undefined {
  if (value === null) return null;
  const ms = parseTime(value);
  return ms === 0 ? null : ms;
}

function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offsetHours = m[8] ? 0 : Number(m[10]);
  const offsetMinutes = m[8] ? 0 : Number(m[11]);
  if (
    month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 ||
    minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59
  ) return undefined;
  // Date.UTC reads years 0-99 as 1900-1999; such years lie before the epoch anyway.
  if (year < 100) return undefined;
  const sign = m[9] === "-" ? -1 : 1;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a duration (configuration values, a long poll's `wait`): plain milliseconds or a number
 * with a unit (ms, s, m, h, d), as whole ms; `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./time.ts";
 * console.log(parseDuration("1.5s")); // 1500
 * ```
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? "ms"]);
}
