/**
 * The fire times of a schedule: cron expressions read by croner in the schedule's time zone (DST
 * as ISC cron does it: `wallClockFires`), fixed intervals counted from the start; both within
 * `startAt` … `endAt`.
 */
import { Cron } from "croner";
import { MAX_TIME_MS } from "../domain/limits.ts";
import type { ScheduleSpec } from "../domain/schedule.ts";
import { ThreadSlices } from "../thread_slices.ts";

/** What the fire times depend on. */
export type ScheduleTimes = Pick<ScheduleSpec, "cron" | "every" | "timezone" | "startAt" | "endAt">;

/** The fields of a cron expression: its text split at whitespace (none in blank text). */
function cronFields(cron: string): string[] {
  const trimmed = cron.trim();
  // `"".split(…)` is one field: blank text would be "not 1".
  return trimmed === "" ? [] : trimmed.split(/\s+/);
}

/**
 * A cron expression as a schedule keeps it: its fields one space apart, whatever whitespace
 * separated them (a tab, a line break or U+2028 was kept in the stored text, and shown so).
 *
 * @example
 * ```ts
 * import { cronText } from "./schedule_times.ts";
 * cronText(" 0\t9\n* * 1-5 "); // "0 9 * * 1-5"
 * ```
 */
export function cronText(cron: string): string {
  return cronFields(cron).join(" ");
}

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
  const fields = cronFields(cron).length;
  if (fields !== 5 && fields !== 6) {
    return `Must have 5 fields (minute hour day month weekday) or 6 (seconds first), not ${fields}`;
  }
  try {
    new Cron(cron, { paused: true });
    return null;
  } catch (error) {
    // croner names its class first ("CronPattern: Invalid value for minute: 61").
    return `Is not a valid cron expression: ${
      (error as Error).message.replace(/^CronPattern: /, "")
    }`;
  }
}

/**
 * The name a schedule keeps for the time zone `zone` names, or `null` when this runtime knows no
 * such zone: the name the runtime's time zone data (ICU, through `Intl`) gives as the zone's own.
 * It is read without regard to case, and every alias of a zone is that zone's one name
 * (`europe/paris` and `EUROPE/PARIS` are `Europe/Paris`; `US/Eastern` is `America/New_York`;
 * `utc`, `Etc/UTC`, `GMT`, `Zulu` and a zero offset `+00:00`, `-0000` are `UTC`; an offset
 * `+0530` is `+05:30`), so that two
 * schedules in one zone hold one name, and a declaration spelled otherwise compares equal to what
 * is stored. That name is ICU's (CLDR's), which for a few renamed zones is the older one
 * (`Europe/Kyiv` is kept as `Europe/Kiev`, `Asia/Kolkata` as `Asia/Calcutta`): the same zone, with
 * the same clock. A name stored before names were kept so is read as it is (`sameTimeZone`).
 *
 * @example
 * ```ts
 * import { canonicalTimeZone } from "./schedule_times.ts";
 * canonicalTimeZone("europe/paris"); // "Europe/Paris"
 * canonicalTimeZone("Mars/Olympus"); // null
 * ```
 */
export function canonicalTimeZone(zone: string): string | null {
  // Kept: a formatter costs ~100 µs, and every schedule answered names its zone.
  return KEPT_ZONES.get(zone, () => {
    try {
      const name = new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
      // ICU names every zero offset (`+00:00`, `-00:00`, `+00`, `-0000`) `+00:00`: UTC's clock,
      // kept by UTC's name as `GMT` and `Etc/UTC` are.
      return name === ZERO_OFFSET ? "UTC" : name;
    } catch {
      return null;
    }
  });
}

/** The name ICU gives every zero offset. */
const ZERO_OFFSET = "+00:00";

/**
 * Whether two time zone names name one zone (`canonicalTimeZone`): a stored `europe/paris` and a
 * sent `Europe/Paris` do. A name the runtime does not know is only itself.
 *
 * @example
 * ```ts
 * import { sameTimeZone } from "./schedule_times.ts";
 * sameTimeZone("US/Eastern", "America/New_York"); // true
 * ```
 */
export function sameTimeZone(a: string, b: string): boolean {
  return a === b || (canonicalTimeZone(a) ?? a) === (canonicalTimeZone(b) ?? b);
}

/**
 * Parsed crons, zone clocks and zone names kept, at most `max` of each, the least recently used
 * dropped first: a fire parsed its schedule's cron afresh twice (decided, then recorded), about
 * 35 µs each for a croner `Cron` in a zone and 170 µs for a cron at fixed times of day (its zone's
 * formatter too), a share of a manager's thread under thousands of fires a second. A `Cron` made
 * `paused` is only read (`nextRun` of a time given), so one serves every schedule of its
 * expression and zone. Only the timing of stored schedules is kept (`fireClock`'s `keep`): a
 * preview's, sent as a user types, would fill the cache with expressions never stored.
 */
class Kept<T> {
  readonly #entries = new Map<string, T>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** The entry of `key`, made by `make` when there is none. */
  get(key: string, make: () => T): T {
    const found = this.#entries.get(key);
    if (found !== undefined) {
      // Last in the map's order: the one dropped last.
      this.#entries.delete(key);
      this.#entries.set(key, found);
      return found;
    }
    const made = make();
    if (this.#entries.size >= this.#max) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, made);
    return made;
  }
}

/**
 * Crons kept, by zone and expression: about 81 KiB of heap each (croner 11's pattern holds an
 * array of 10,000 years), 5.2 MB for 64, where 1,024 held 83 MB. A store with more distinct crons
 * than this parses some of them at their fires, as every fire did before crons were kept.
 */
const KEPT_CRONS = new Kept<Cron>(64);
/** Zone names kept, by the name given (`canonicalTimeZone`): a short string each. */
const KEPT_ZONES = new Kept<string | null>(1024);
/**
 * Zone clocks kept, by zone: about 36 KiB each, nearly all of it the formatter's ICU data outside
 * the heap, 2.3 MB for 64. Zones and offsets (`+05:30`) a schedule may name number thousands.
 */
const KEPT_CLOCKS = new Kept<ReturnType<typeof wallClock>>(64);

/**
 * Verdicts of `matchesSomeDay`, by expression: a boolean each. Kept for previews too: a verdict
 * costs at most one read of 14 years, and drops no parsed cron.
 */
const KEPT_VERDICTS = new Kept<boolean>(1024);

/**
 * One year of each of the 14 kinds (leap or not, by the weekday of 1 January), as a croner year
 * field: every month of the Gregorian calendar, by its length and the weekday of its first day, is
 * in them. A cron whose days match in none of them matches no day in any year.
 */
const EVERY_KIND_OF_YEAR = "2001-2006,2008-2010,2012,2016,2020,2024,2028";

/**
 * Whether `cron`'s day fields (day of month, month, weekday, with `L`, `W`, `#` and `+`) match
 * some day of some year: read by croner in `EVERY_KIND_OF_YEAR` alone, at most 14 years of days
 * (3–13 ms for crons no date matches, `* * 1W * +7`: a weekday that is a Sunday), where croner
 * alone reads 400 years before it gives up on them (75–400 ms of the thread, each read).
 */
function matchesSomeDay(cron: string, keep: boolean): boolean {
  const read = () => {
    const fields = cronFields(cron);
    const seconds = fields.length === 5 ? ["0", ...fields] : fields;
    const probe = new Cron([...seconds, EVERY_KIND_OF_YEAR].join(" "), { paused: true });
    return probe.nextRun(new Date(Date.UTC(2001, 0, 1) - 1)) !== null;
  };
  return keep ? KEPT_VERDICTS.get(cron, read) : read();
}

/** A paused croner `Cron` of `cron` in `zone`, kept (`Kept`) when `keep` is set. */
function cronIn(cron: string, zone: string, keep: boolean): Cron {
  const make = () => new Cron(cron, { timezone: zone, paused: true });
  return keep ? KEPT_CRONS.get(`${zone}\n${cron}`, make) : make();
}

/**
 * The function giving a schedule's first fire time strictly after a time (epoch ms), or `null`
 * when none is left (past `endAt`, or past `MAX_TIME_MS`, the last time the API reads and writes;
 * none ever for a cron no day matches, `matchesSomeDay`).
 * `anchor` is where an interval counts from when `startAt` is not set (the
 * schedule's creation). The spec must have been checked (`cronProblem`, `canonicalTimeZone`).
 * `keep: false` (for timing not stored, a preview's) parses the cron and builds the zone's clock
 * afresh, keeping neither.
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
export function fireClock(
  spec: ScheduleTimes,
  anchor: number,
  options: { keep?: boolean } = {},
): (after: number) => number | null {
  const keep = options.keep ?? true;
  const start = spec.startAt ?? anchor;
  const end = Math.min(spec.endAt ?? Infinity, MAX_TIME_MS);
  let next: (after: number) => number | null;
  if (spec.cron !== null && !matchesSomeDay(spec.cron, keep)) {
    next = () => null;
  } else if (spec.cron !== null && atFixedTimes(spec.cron)) {
    next = wallClockFires(spec.cron, spec.timezone, { start, keep });
  } else if (spec.cron !== null) {
    const cron = cronIn(spec.cron, spec.timezone, keep);
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

/**
 * Whether `cron` names fixed times of day: no `*` in its time fields (seconds when there are 6
 * fields, minute, hour). ISC cron's rule for DST, which we follow: only such jobs are moved when
 * the clocks change; the others (`*\/30 2 * * *`, `* * * * *`) run by the clock as it goes.
 */
function atFixedTimes(cron: string): boolean {
  const fields = cronFields(cron);
  return fields.slice(0, fields.length === 6 ? 3 : 2).every((field) => !field.includes("*"));
}

const DAY_MS = 86_400_000;

/**
 * The fires of a cron at fixed times of day in `zone`, by the wall clock: croner reads the
 * expression against the clock's face (as if it were UTC), and each time on the face is then
 * placed in real time. A time the clocks skip (02:30 on a spring-forward night in Berlin) fires at
 * the jump, once however many such times there are; a time the clocks show twice fires at its
 * first showing only. croner alone did this for one time a night (`30 2 * * *`) but not for two
 * (`30 2,14 * * *` lost its 02:30 in spring and fired it twice in autumn).
 *
 * Each fire costs at most two croner reads however many times the cron names in a repeated span:
 * from the second showing of a repeated time, every later time of that span was fired at its first
 * showing, so the reading goes straight to the span's end (`repeatEnd`) rather than through each
 * of them (`0-59 0-59 0-23 * * *` has 7,200 in Troll's two repeated hours).
 */
function wallClockFires(
  cron: string,
  zone: string,
  { start, keep }: { start: number; keep: boolean },
): (after: number) => number | null {
  const face = cronIn(cron, "UTC", keep);
  const clock = keep ? KEPT_CLOCKS.get(zone, () => wallClock(zone)) : wallClock(zone);
  return (after) => {
    const from = Math.max(after, start - 1);
    let shown = clock.wall(from);
    // Two passes at most: one that may meet a time shown again (the hour the clocks repeat, fired
    // at its first showing), one from the end of that repeated span. The bound only guards
    // against a zone whose changes come closer together than `wallClock` reads them.
    for (let pass = 0; pass < 4; pass++) {
      const next = face.nextRun(new Date(shown))?.getTime();
      if (next === undefined) return null;
      const at = clock.instantOf(next);
      if (at > from) return at;
      // `next` is shown again later, so every time after it up to the end of its repeated span
      // was shown (and fired) before `from` too: skip them all.
      shown = Math.max(next, clock.repeatEnd(next) - 1);
    }
    return null;
  };
}

/**
 * The face of `zone`'s clock (`wall`: epoch ms read as UTC), back (`instantOf`: the first instant
 * showing a time, or the jump for a time never shown), and `repeatEnd`: for a time shown twice
 * (the clocks went back), the first time on the face past the span shown twice.
 */
function wallClock(zone: string): {
  wall: (t: number) => number;
  instantOf: (shown: number) => number;
  repeatEnd: (shown: number) => number;
} {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    era: "short",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const wall = (t: number): number => {
    const part: Record<string, string> = {};
    for (const { type, value } of format.formatToParts(new Date(t))) part[type] = value;
    const year = part.era === "BC" ? 1 - Number(part.year) : Number(part.year);
    const shown = Date.UTC(
      year,
      Number(part.month) - 1,
      Number(part.day),
      Number(part.hour),
      Number(part.minute),
      Number(part.second),
    );
    return shown + (((t % 1000) + 1000) % 1000);
  };
  // The offsets a day either side: a time shown lies under one of them (both when shown twice).
  const candidates = (shown: number): number[] => [
    shown - (wall(shown - DAY_MS) - (shown - DAY_MS)),
    shown -
    (wall(shown + DAY_MS) - (shown + DAY_MS)),
  ];
  const instantOf = (shown: number): number => {
    const around = candidates(shown);
    const shownAt = around.filter((t) => wall(t) === shown);
    if (shownAt.length > 0) return Math.min(...shownAt);
    // Never shown (the clocks jumped over it): the jump, the first instant shown later.
    let low = Math.min(...around);
    let high = Math.max(...around);
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (wall(mid) > shown) high = mid;
      else low = mid;
    }
    return high;
  };
  const repeatEnd = (shown: number): number => {
    const shownAt = candidates(shown).filter((t) => wall(t) === shown);
    if (shownAt.length < 2 || shownAt[0] === shownAt[1]) return shown;
    // The clocks went back between the two showings: find the instant they did (the first one
    // past the first showing under another offset, ~27 halvings for a day); the old offset read
    // at that instant is where the repeated span ends.
    let low = Math.min(...shownAt);
    let high = Math.max(...shownAt);
    const offset = shown - low;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (wall(mid) - mid === offset) low = mid;
      else high = mid;
    }
    return high + offset;
  };
  return { wall, instantOf, repeatEnd };
}

/**
 * The first `count` fire times after `after`, giving the thread back between them (`slices`, a
 * new one unless given): each is a croner read, up to 25 ms for the sparsest crons, and the 100
 * fires of one answer held the thread up to 95 ms.
 */
export async function nextFires(
  clock: (after: number) => number | null,
  after: number,
  count: number,
  slices: ThreadSlices = new ThreadSlices(),
): Promise<number[]> {
  const times: number[] = [];
  for (let at = clock(after); at !== null && times.length < count; at = clock(at)) {
    times.push(at);
    await slices.turn();
  }
  return times;
}
