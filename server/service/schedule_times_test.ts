/** Fire times across DST changes: ISC cron's rule, for crons at fixed times of day and the rest. */
import assert from "node:assert/strict";
import { Cron } from "croner";
import fc from "fast-check";
import {
  canonicalTimeZone,
  cronProblem,
  fireClock,
  nextFires,
  sameTimeZone,
} from "./schedule_times.ts";
import { lastReceiver } from "../../tests/fixtures/receiver.ts";
import type { ThreadSlices } from "../thread_slices.ts";

async function fires(
  cron: string,
  timezone: string,
  from: string,
  count: number,
): Promise<string[]> {
  const clock = fireClock({ cron, every: null, timezone, startAt: null, endAt: null }, 0);
  return (await nextFires(clock, Date.parse(from), count)).map((t) => new Date(t).toISOString());
}

const SPRING = "2027-03-27T12:00:00Z"; // Berlin jumps 02:00 → 03:00 on 2027-03-28 (01:00Z)
const AUTUMN = "2027-10-30T12:00:00Z"; // Berlin shows 02:00-03:00 twice on 2027-10-31

Deno.test("a time the clocks skip fires at the jump, once; one shown twice fires at its first showing", async () => {
  const z = (s: string) => `${s}:00.000Z`;
  const table: [string, string, string[]][] = [
    ["30 2 * * *", SPRING, [z("2027-03-28T01:00"), z("2027-03-29T00:30")]],
    ["30 2 * * *", AUTUMN, [z("2027-10-31T00:30"), z("2027-11-01T01:30")]],
    // Two times a day: croner alone lost the 02:30 in spring and fired it twice in autumn.
    ["30 2,14 * * *", SPRING, [
      z("2027-03-27T13:30"),
      z("2027-03-28T01:00"),
      z("2027-03-28T12:30"),
    ]],
    ["30 2,14 * * *", AUTUMN, [
      z("2027-10-30T12:30"),
      z("2027-10-31T00:30"),
      z("2027-10-31T13:30"),
    ]],
    // Two skipped times fire once, at the jump; croner alone fired neither.
    ["0,30 2 * * *", SPRING, [z("2027-03-28T01:00"), z("2027-03-29T00:00")]],
    ["0,30 2 * * *", AUTUMN, [z("2027-10-31T00:00"), z("2027-10-31T00:30"), z("2027-11-01T01:00")]],
    // Not at fixed times (a `*` in minute or hour): by the clock as it goes, both showings.
    ["*/30 2 * * *", AUTUMN, [
      z("2027-10-31T00:00"),
      z("2027-10-31T00:30"),
      z("2027-10-31T01:00"),
      z("2027-10-31T01:30"),
    ]],
  ];
  for (const [cron, from, expected] of table) {
    assert.deepEqual(await fires(cron, "Europe/Berlin", from, expected.length), expected, cron);
  }
  // Midnight skipped (Havana, 00:00 → 01:00): the day's midnight fire comes at 01:00 local.
  assert.deepEqual(await fires("0 0 * * *", "America/Havana", "2027-03-13T00:00:00Z", 3), [
    "2027-03-13T05:00:00.000Z",
    "2027-03-14T05:00:00.000Z",
    "2027-03-15T04:00:00.000Z",
  ]);
  // Half an hour shown twice (Lord Howe, 02:00 → 01:30): 01:30 fires once.
  assert.deepEqual(await fires("30 1 * * *", "Australia/Lord_Howe", "2027-04-03T00:00:00Z", 2), [
    "2027-04-03T14:30:00.000Z",
    "2027-04-04T15:00:00.000Z",
  ]);
});

Deno.test("fires at fixed times come in order, each local day's once per time at most, through a year of DST in many zones", async () => {
  const zones = [
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Asia/Tehran",
  ];
  const crons = ["30 2 * * *", "30 2,14 * * *", "0,30 2 * * *", "0 0-3 * * *", "15 1 * * 1-5"];
  for (const zone of zones) {
    const localDay = new Intl.DateTimeFormat("en-CA", { timeZone: zone, dateStyle: "short" });
    for (const cron of crons) {
      const times = await nextFires(
        fireClock({ cron, every: null, timezone: zone, startAt: null, endAt: null }, 0),
        Date.parse("2027-01-01T00:00:00Z"),
        1000,
      );
      const perTimeOfDay = cron.split(" ")[0].split(",").length *
        (cron.split(" ")[1].includes("-") ? 4 : cron.split(" ")[1].split(",").length);
      const perDay = new Map<string, number>();
      for (let i = 0; i < times.length; i++) {
        if (i > 0) assert.ok(times[i] > times[i - 1], `${zone} ${cron}: out of order at ${i}`);
        const day = localDay.format(times[i]);
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
      }
      for (const [day, n] of perDay) {
        assert.ok(n <= perTimeOfDay, `${zone} ${cron}: ${n} fires on ${day}`);
      }
    }
  }
});

Deno.test("a start in the second showing of a repeated span fires past the span, as it always did", async () => {
  const table: [string, string, string, string[]][] = [
    // Troll goes back two hours (04:00 → 02:00 on 2027-10-31), Berlin one (03:00 → 02:00).
    ["0-59 0-59 0-23 * * *", "Antarctica/Troll", "2027-10-31T01:00:00.001Z", [
      "2027-10-31T03:00:00.000Z",
      "2027-10-31T03:00:01.000Z",
      "2027-10-31T03:00:02.000Z",
    ]],
    ["0-59 0-59 0-23 * * *", "Europe/Berlin", "2027-10-31T01:00:00.001Z", [
      "2027-10-31T02:00:00.000Z",
      "2027-10-31T02:00:01.000Z",
      "2027-10-31T02:00:02.000Z",
    ]],
    ["0-59 0-59 0-23 * * *", "Europe/Berlin", "2027-10-31T01:59:59.999Z", [
      "2027-10-31T02:00:00.000Z",
      "2027-10-31T02:00:01.000Z",
    ]],
    // 02:30 was fired at its first showing: the next is the next night's 02:00.
    ["0,30 2 * * *", "Europe/Berlin", "2027-10-31T01:15:00.000Z", [
      "2027-11-01T01:00:00.000Z",
      "2027-11-01T01:30:00.000Z",
    ]],
    ["0-59/20 2-3 * * *", "Europe/Berlin", "2027-10-31T01:15:00.000Z", [
      "2027-10-31T02:00:00.000Z",
      "2027-10-31T02:20:00.000Z",
      "2027-10-31T02:40:00.000Z",
    ]],
    // Lord Howe repeats half an hour (02:00 → 01:30 on 2027-04-04, 15:00Z).
    ["30 1 * * *", "Australia/Lord_Howe", "2027-04-03T15:10:00.000Z", [
      "2027-04-04T15:00:00.000Z",
      "2027-04-05T15:00:00.000Z",
    ]],
    ["0-59 1 * * *", "Australia/Lord_Howe", "2027-04-03T15:10:00.000Z", [
      "2027-04-04T14:30:00.000Z",
      "2027-04-04T14:31:00.000Z",
    ]],
  ];
  for (const [cron, timezone, from, expected] of table) {
    assert.deepEqual(
      await fires(cron, timezone, from, expected.length),
      expected,
      `${timezone} ${cron}`,
    );
    // The same through startAt, as a preview or a create with that start reads it.
    const startAt = Date.parse(from) + 1;
    const clock = fireClock({ cron, every: null, timezone, startAt, endAt: null }, 0);
    assert.equal(new Date(clock(0)!).toISOString(), expected[0], `${timezone} ${cron} startAt`);
  }
});

Deno.test("a fire from within a repeated span reads croner twice at most, however many times the span holds", async () => {
  // Counted, not timed: stepping through each time in the span read croner once per time (7,203
  // reads for Troll's two repeated hours of every second, ~0.4 s for one preview).
  const nextRun = Cron.prototype.nextRun;
  let reads = 0;
  Cron.prototype.nextRun = function (this: Cron, ...args: Parameters<Cron["nextRun"]>) {
    reads++;
    return nextRun.apply(this, args);
  };
  try {
    for (const timezone of ["Antarctica/Troll", "Europe/Berlin", "Australia/Lord_Howe"]) {
      const from = timezone === "Australia/Lord_Howe"
        ? "2027-04-03T15:00:00.001Z"
        : "2027-10-31T01:00:00.001Z";
      reads = 0;
      const clock = fireClock(
        { cron: "0-59 0-59 0-23 * * *", every: null, timezone, startAt: null, endAt: null },
        0,
      );
      assert.notEqual(clock(Date.parse(from)), null, timezone);
      assert.ok(reads <= 2, `${timezone}: ${reads} croner reads for one fire`);
      reads = 0;
      assert.equal((await nextFires(clock, Date.parse(from), 100)).length, 100, timezone);
      // Two for the first, one for each other and one past the last (`nextFires` asks once more).
      assert.ok(reads <= 102, `${timezone}: ${reads} croner reads for 100 fires`);
    }
  } finally {
    Cron.prototype.nextRun = nextRun;
  }
});

Deno.test("cronProblem() counts the fields of blank text as none, and names the count it found", () => {
  for (const blank of ["", "   ", "\t"]) {
    assert.equal(
      cronProblem(blank),
      "Must have 5 fields (minute hour day month weekday) or 6 (seconds first), not 0",
    );
  }
  assert.match(cronProblem("* * *")!, /, not 3$/);
  assert.equal(cronProblem("*/5 * * * *"), null);
  // croner's words, without its class's name first ("CronPattern: Invalid value …").
  assert.equal(
    cronProblem("61 * * * *"),
    "Is not a valid cron expression: Invalid value for minute: 61",
  );
});

Deno.test("canonicalTimeZone() names a zone by one name whatever case or alias it is given in, and reads that name back as itself", () => {
  assert.equal(canonicalTimeZone("europe/paris"), "Europe/Paris");
  assert.equal(canonicalTimeZone("EUROPE/PARIS"), "Europe/Paris");
  assert.equal(canonicalTimeZone("US/Eastern"), "America/New_York");
  for (
    const utc of [
      "utc",
      "UTC",
      "Etc/UTC",
      "etc/utc",
      "GMT",
      "Zulu",
      "+00:00",
      "-00:00",
      "+00",
      "-00",
      "+0000",
      "-0000",
      "GMT+0",
      "Etc/GMT-0",
    ]
  ) {
    assert.equal(canonicalTimeZone(utc), "UTC", utc);
  }
  assert.equal(canonicalTimeZone("+0530"), "+05:30");
  assert.equal(canonicalTimeZone("Mars/Olympus"), null);
  assert.equal(canonicalTimeZone(""), null);
  assert.ok(sameTimeZone("europe/paris", "Europe/Paris"));
  assert.ok(!sameTimeZone("Europe/Paris", "Europe/Berlin"));
  assert.ok(!sameTimeZone("Mars/Olympus", "mars/olympus"), "an unknown name is only itself");

  const zones = [...Intl.supportedValuesOf("timeZone"), "UTC", "US/Eastern", "Etc/GMT+5"];
  const mixedCase = (zone: string) =>
    fc.array(fc.boolean(), { minLength: zone.length, maxLength: zone.length })
      .map((upper) =>
        [...zone].map((c, i) => upper[i] ? c.toUpperCase() : c.toLowerCase()).join("")
      );
  fc.assert(
    fc.property(
      fc.constantFrom(...zones).chain((zone) => fc.tuple(fc.constant(zone), mixedCase(zone))),
      ([zone, sent]) => {
        const kept = canonicalTimeZone(sent);
        assert.equal(kept, canonicalTimeZone(zone), `${sent} names ${zone}`);
        assert.equal(canonicalTimeZone(kept!), kept, "the name kept reads back as itself");
        // The same clock: an instant shows the same wall time in the zone sent and the one kept.
        const at = Date.UTC(2027, 2, 28, 1, 30);
        const show = (timeZone: string) =>
          new Intl.DateTimeFormat("en", { timeZone, dateStyle: "short", timeStyle: "long" }).format(
            at,
          );
        assert.equal(show(kept!), show(sent));
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("fire times of crons read in many zones, in any order and past the number of crons kept, are each zone's own", () => {
  const zones = ["Europe/Berlin", "Asia/Tokyo", "America/New_York", "UTC", "Australia/Lord_Howe"];
  // No zone of these changes its clocks within a day of this time.
  const from = Date.parse("2027-06-01T00:00:00Z");
  const faces = new Map(zones.map((zone) => [
    zone,
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }),
  ]));
  const read = fc.record({
    zone: fc.constantFrom(...zones),
    second: fc.integer({ min: 0, max: 59 }),
    minute: fc.integer({ min: 0, max: 59 }),
    hour: fc.integer({ min: 0, max: 23 }),
    // At a fixed time of day (the wall clock's reading), or each hour (croner's in the zone).
    fixed: fc.boolean(),
  });
  const check = (
    { zone, second, minute, hour, fixed }: {
      zone: string;
      second: number;
      minute: number;
      hour: number;
      fixed: boolean;
    },
  ) => {
    const cron = `${second} ${minute} ${fixed ? hour : "*"} * * *`;
    const at = fireClock({ cron, every: null, timezone: zone, startAt: null, endAt: null }, 0)(
      from,
    )!;
    const [h, m, s] = faces.get(zone)!.format(at).split(":").map(Number);
    const label = `${cron} in ${zone}: ${new Date(at).toISOString()}`;
    assert.deepEqual(
      fixed ? [h, m, s] : [m, s],
      fixed ? [hour, minute, second] : [minute, second],
      label,
    );
    assert.ok(at > from && at <= from + (fixed ? 86_400_000 : 3_600_000), label);
  };
  // More crons than are kept (64), each read once; then reads in any order.
  for (let i = 0; i < 1440; i++) {
    const [minute, hour] = [i % 60, Math.floor(i / 60)];
    check({ zone: zones[i % zones.length], second: 0, minute, hour, fixed: i % 2 === 0 });
  }
  fc.assert(
    fc.property(fc.array(read, { minLength: 1, maxLength: 60 }), (reads) => reads.forEach(check)),
    { numRuns: 100 },
  );
});

/** `+HH:MM` offsets, each a zone of its own (`fireClock` keeps a clock per zone). */
function offsetZones(count: number, from: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const minutes = from + i;
    return `+${String(Math.floor(minutes / 60)).padStart(2, "0")}:${
      String(minutes % 60).padStart(2, "0")
    }`;
  });
}

Deno.test("fireClock() keeps the crons and zone clocks of the 64 timings read last, and none of timing it is told not to keep", async () => {
  const read = (cron: string, timezone: string, keep = true) =>
    fireClock({ cron, every: null, timezone, startAt: null, endAt: null }, 0, { keep })(0);
  // Not at fixed times: croner reads it in its zone, a `Cron` per expression and zone.
  const cronOf = (cron: string, keep = true) =>
    lastReceiver(Cron.prototype, "nextRun", () => read(cron, "Asia/Tokyo", keep));
  const others = (count: number, from: number, keep = true) => {
    for (let i = from; i < from + count; i++) {
      read(`${i % 60} ${Math.floor(i / 60)} * * * *`, "Asia/Tokyo", keep);
    }
  };
  const kept = await cronOf("1 2 * * * *");
  assert.ok(kept);
  others(63, 300);
  assert.equal(await cronOf("1 2 * * * *"), kept, "kept with 63 read since");
  others(64, 400);
  assert.notEqual(await cronOf("1 2 * * * *"), kept, "dropped with 64 read since");
  const again = await cronOf("1 2 * * * *");
  others(200, 600, false);
  assert.equal(await cronOf("1 2 * * * *"), again, "timing not kept leaves the kept ones be");
  assert.notEqual(await cronOf("3 4 * * * *", false), await cronOf("3 4 * * * *", false));

  // At fixed times of day: a clock per zone, read through its formatter.
  const clockOf = (zone: string, keep = true) =>
    lastReceiver(
      Intl.DateTimeFormat.prototype,
      "formatToParts",
      () => read("0 9 * * *", zone, keep),
    );
  const [zone] = offsetZones(1, 60);
  const clock = await clockOf(zone);
  assert.ok(clock);
  for (const other of offsetZones(63, 120)) read("0 9 * * *", other);
  assert.equal(await clockOf(zone), clock, "kept with 63 zones read since");
  for (const other of offsetZones(64, 240)) read("0 9 * * *", other);
  assert.notEqual(await clockOf(zone), clock, "dropped with 64 zones read since");
  const clockAgain = await clockOf(zone);
  for (const other of offsetZones(200, 360)) read("0 9 * * *", other, false);
  assert.equal(await clockOf(zone), clockAgain, "zones not kept leave the kept ones be");
  const [fresh] = offsetZones(1, 600);
  assert.notEqual(await clockOf(fresh, false), await clockOf(fresh, false));
});

Deno.test("fireClock() tells that a cron no day matches never fires by croner's reading of 14 years, not of 400", async () => {
  // Each croner read, by the pattern read: one with a year field reads those years alone.
  const patterns: string[] = [];
  const own = Object.getOwnPropertyDescriptor(Cron.prototype, "nextRun")!;
  const nextRun = own.value as Cron["nextRun"];
  Object.defineProperty(Cron.prototype, "nextRun", {
    ...own,
    value: function (this: Cron, ...args: Parameters<Cron["nextRun"]>) {
      patterns.push(this.getPattern()!);
      return nextRun.apply(this, args);
    },
  });
  try {
    const never = [
      "0 0 30 2 *",
      "0 0 31 4,6,9,11 *",
      "0 0 0 30 2 *",
      "* * 1W * +7", // a weekday that is a Sunday
      "*/7 */5 1W * +5L",
      "0 0 15 * +5L", // the 15th as a month's last Friday
      "0 0 29 2 +MON#4",
    ];
    for (const cron of never) {
      for (const timezone of ["UTC", "America/New_York", "+05:30"]) {
        for (const keep of [true, false]) {
          patterns.length = 0;
          const spec = { cron, every: null, timezone, startAt: null, endAt: null };
          assert.equal(fireClock(spec, 0, { keep })(Date.UTC(2026, 0, 1)), null, cron);
          const yearless = patterns.filter((pattern) => pattern.split(" ").length < 7);
          assert.deepEqual(yearless, [], `${cron} in ${timezone}: read with no year bound`);
        }
      }
    }
  } finally {
    Object.defineProperty(Cron.prototype, "nextRun", own);
  }
  // A date that does come, however rarely, is found: 29 February on a Monday (`+` is AND).
  assert.deepEqual(await fires("0 0 29 2 +MON", "UTC", "2026-01-01T00:00:00Z", 2), [
    "2044-02-29T00:00:00.000Z",
    "2072-02-29T00:00:00.000Z",
  ]);
  assert.deepEqual(await fires("0 0 0 29 2 +FRI#5", "UTC", "2026-01-01T00:00:00Z", 1), [
    "2036-02-29T00:00:00.000Z",
  ]);
});

Deno.test("nextFires() offers the thread back after each fire time, each a croner read that may take 25 ms", async () => {
  // The sparse cron's 100 fires held the thread up to 95 ms, none given back.
  let turns = 0;
  const slices = { turn: () => (turns++, Promise.resolve()) } as unknown as ThreadSlices;
  const clock = fireClock(
    { cron: "0 0 29 2,4 +MON#5", every: null, timezone: "UTC", startAt: null, endAt: null },
    0,
  );
  const times = await nextFires(clock, Date.UTC(2026, 0, 1), 100, slices);
  assert.equal(times.length, 100);
  assert.equal(turns, 100);
});
