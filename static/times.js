/**
 * The one rule for times on the admin page — tables, tooltips, chart axes and legends, and the
 * time inputs — so that no time is ambiguous: 24-hour, ISO-like, and always marked with its zone.
 * UTC by default (`2026-12-08 01:30:00Z`, as the command line, the API and the logs give times);
 * the header's "Times" picker shows local time instead, with its offset at that instant
 * (`2026-12-07 20:30:00-05:00`), remembered in this browser.
 */

const STORE_KEY = "tasks-executor.times";

let mode = "utc";
try {
  if (globalThis.localStorage?.getItem(STORE_KEY) === "local") mode = "local";
} catch {
  // Storage refused (a private window's policy): UTC, not remembered.
}

/** `"utc"` or `"local"`: the zone times are shown in. */
export function timeMode() {
  return mode;
}

/**
 * Shows times in `next` (`"utc"` or `"local"`) from now on, remembered in this browser; raises
 * `timemodechange` on `globalThis` so that the view shown draws its times again.
 */
export function setTimeMode(next) {
  mode = next === "local" ? "local" : "utc";
  try {
    globalThis.localStorage?.setItem(STORE_KEY, mode);
  } catch {
    // Not remembered: still applied.
  }
  globalThis.dispatchEvent(new Event("timemodechange"));
}

/** The browser's zone (IANA name), for the picker and the inputs' labels. */
export function localZoneName() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
}

/** The zone in words: `UTC`, or the browser's zone name (`America/New_York`). */
export function zoneName(which = mode) {
  return which === "utc" ? "UTC" : localZoneName();
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** `+hh:mm`/`-hh:mm`: the local offset from UTC at `date`. */
function offsetOf(date) {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The calendar fields of `date` in the zone `which`, and that zone's marker at `date`. */
function fieldsOf(date, which = mode) {
  if (which === "utc") {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hours: date.getUTCHours(),
      minutes: date.getUTCMinutes(),
      seconds: date.getUTCSeconds(),
      marker: "Z",
    };
  }
  return {
    year: date.getFullYear(),
    month: date.getMonth() + 1,
    day: date.getDate(),
    hours: date.getHours(),
    minutes: date.getMinutes(),
    seconds: date.getSeconds(),
    marker: offsetOf(date),
  };
}

/** `date` as `YYYY-MM-DD` in the zone shown. */
function dayOf(f) {
  return `${pad(f.year, 4)}-${pad(f.month)}-${pad(f.day)}`;
}

/**
 * A time (a `Date`, epoch ms, or RFC 3339 text) as `2026-12-08 01:30:00Z` in UTC, or
 * `2026-12-07 20:30:00-05:00` in local time; `which` picks the zone (the one shown by default).
 */
export function fmtTime(value, which = mode) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const f = fieldsOf(date, which);
  return `${dayOf(f)} ${pad(f.hours)}:${pad(f.minutes)}:${pad(f.seconds)}${f.marker}`;
}

/**
 * A chart axis's tick labels (`splits` in epoch seconds, `incr` the spacing in seconds): `HH:MM`,
 * with the day under the first tick and under each tick of a new day; days alone (`YYYY-MM-DD`)
 * when the ticks are a day or more apart. The axis names the zone.
 */
export function fmtAxisTicks(splits, incr) {
  let lastDay = null;
  return splits.map((s) => {
    if (s === null || s === undefined) return null;
    const f = fieldsOf(new Date(s * 1000));
    const day = dayOf(f);
    if (incr >= 86_400) return day;
    const hm = `${pad(f.hours)}:${pad(f.minutes)}`;
    const label = day !== lastDay ? `${hm}\n${day}` : hm;
    lastDay = day;
    return label;
  });
}

/** The value of a `datetime-local` input, read in the zone shown, as RFC 3339; `undefined` when empty. */
export function inputToIso(value) {
  if (!value) return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1).map((v) => Number(v ?? 0));
  const date = mode === "utc"
    ? new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds))
    : new Date(year, month - 1, day, hours, minutes, seconds);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An RFC 3339 time as a `datetime-local` input's value in the zone shown (`""` for none). */
export function isoToInput(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  const f = fieldsOf(date);
  return `${dayOf(f)}T${pad(f.hours)}:${pad(f.minutes)}`;
}
