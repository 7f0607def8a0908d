/** Fire times across DST changes: ISC cron's rule, for crons at fixed times of day and the rest. */
import assert from "node:assert/strict";
import { fireClock, nextFires } from "./schedule_times.ts";

function fires(cron: string, timezone: string, from: string, count: number): string[] {
  const clock = fireClock({ cron, every: null, timezone, startAt: null, endAt: null }, 0);
  return nextFires(clock, Date.parse(from), count).map((t) => new Date(t).toISOString());
}

const SPRING = "2027-03-27T12:00:00Z"; // Berlin jumps 02:00 → 03:00 on 2027-03-28 (01:00Z)
const AUTUMN = "2027-10-30T12:00:00Z"; // Berlin shows 02:00-03:00 twice on 2027-10-31

Deno.test("a time the clocks skip fires at the jump, once; one shown twice fires at its first showing", () => {
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
    assert.deepEqual(fires(cron, "Europe/Berlin", from, expected.length), expected, cron);
  }
  // Midnight skipped (Havana, 00:00 → 01:00): the day's midnight fire comes at 01:00 local.
  assert.deepEqual(fires("0 0 * * *", "America/Havana", "2027-03-13T00:00:00Z", 3), [
    "2027-03-13T05:00:00.000Z",
    "2027-03-14T05:00:00.000Z",
    "2027-03-15T04:00:00.000Z",
  ]);
  // Half an hour shown twice (Lord Howe, 02:00 → 01:30): 01:30 fires once.
  assert.deepEqual(fires("30 1 * * *", "Australia/Lord_Howe", "2027-04-03T00:00:00Z", 2), [
    "2027-04-03T14:30:00.000Z",
    "2027-04-04T15:00:00.000Z",
  ]);
});

Deno.test("fires at fixed times come in order, each local day's once per time at most, through a year of DST in many zones", () => {
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
      const times = nextFires(
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
