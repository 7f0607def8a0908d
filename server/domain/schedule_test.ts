import assert from "node:assert/strict";
import {
  decideFires,
  formatInterval,
  MAX_FIRES_LISTED,
  mergeFires,
  mergeFireState,
  type MissedFirePolicy,
  parseInterval,
  SCHEDULE_HISTORY,
  type ScheduleFire,
} from "./schedule.ts";

const everySecond = (t: number) => (Math.floor(t / 1000) + 1) * 1000;
const decide = (policy: MissedFirePolicy, now: number, nextFireAt = 1000, maxMissedFires = 2) =>
  decideFires({ nextFireAt, missedFirePolicy: policy, maxMissedFires }, now, {
    next: everySecond,
    graceMs: 1000,
  });

Deno.test("decideFires() fires what is on time and points at the next fire", async () => {
  assert.deepEqual(await decide("skip", 1200), { fire: [1000], skip: [], nextFireAt: 2000 });
  assert.deepEqual(await decide("skip", 999), { fire: [], skip: [], nextFireAt: 1000 });
});

Deno.test("decideFires() skips missed fires under the skip policy", async () => {
  const d = await decide("skip", 6500);
  assert.deepEqual(d.fire, [6000]);
  assert.deepEqual(d.skip.map((s) => [s.fireAt, s.reason]), [
    [1000, "missed"],
    [2000, "missed"],
    [3000, "missed"],
    [4000, "missed"],
    [5000, "missed"],
  ]);
  assert.equal(d.nextFireAt, 7000);
});

Deno.test("decideFires() fires the latest missed fire once under run_once", async () => {
  const d = await decide("run_once", 6500);
  assert.deepEqual(d.fire, [5000, 6000]);
  assert.deepEqual(d.skip.map((s) => s.fireAt), [1000, 2000, 3000, 4000]);
});

Deno.test("decideFires() fires at most maxMissedFires missed fires under run_each", async () => {
  const d = await decide("run_each", 6500);
  assert.deepEqual(d.fire, [4000, 5000, 6000]);
  assert.deepEqual(d.skip.map((s) => [s.fireAt, s.reason]), [
    [1000, "missed_cap"],
    [2000, "missed_cap"],
    [3000, "missed_cap"],
  ]);
});

Deno.test("decideFires() looks at a bounded number of fires after a long downtime", async () => {
  const now = 10_000_000.5 * 1000;
  const d = await decide("run_each", now);
  assert.equal(d.skip.length + d.fire.length, MAX_FIRES_LISTED + 1);
  assert.deepEqual(
    d.fire,
    [MAX_FIRES_LISTED - 1, MAX_FIRES_LISTED, 10_000_000].map((s) => s * 1000),
  );
  assert.equal(d.nextFireAt, 10_000_001_000);
});

Deno.test("decideFires() offers the thread back after each fire time it reads", async () => {
  let turns = 0;
  const d = await decideFires(
    { nextFireAt: 1000, missedFirePolicy: "run_each", maxMissedFires: 2 },
    2_000_000.5 * 1000,
    { next: everySecond, graceMs: 1000, turn: () => (turns++, Promise.resolve()) },
  );
  assert.equal(d.skip.length + d.fire.length, MAX_FIRES_LISTED + 1);
  assert.ok(turns >= MAX_FIRES_LISTED, `${turns} turns`);
});

Deno.test("decideFires() ends when the schedule has no fire left", async () => {
  const d = await decideFires(
    { nextFireAt: 1000, missedFirePolicy: "skip", maxMissedFires: 1 },
    1500,
    {
      next: () => null,
      graceMs: 1000,
    },
  );
  assert.deepEqual(d, { fire: [1000], skip: [], nextFireAt: null });
});

Deno.test("parseInterval() reads unit texts and formatInterval() writes them back", () => {
  assert.equal(parseInterval("5m"), 300_000);
  assert.equal(parseInterval("1h30m"), 5_400_000);
  assert.equal(parseInterval("250ms"), 250);
  for (const bad of ["", "5", "5 m", "m5", "5x", "-5s", "1.5s"]) {
    assert.equal(parseInterval(bad), undefined, bad);
  }
  for (const ms of [1000, 300_000, 5_400_000, 86_400_000 + 1500]) {
    assert.equal(parseInterval(formatInterval(ms)), ms);
  }
});

const line = (fireAt: number, taskId: string | null, manual = false): ScheduleFire => ({
  fireAt,
  firedAt: fireAt + 10,
  taskId,
  skipped: taskId === null ? "overlap" : null,
  manual,
});

Deno.test("mergeFires() keeps one line per fire time and one per trigger, by time, the newest kept", () => {
  const history = [line(1000, "a"), line(1500, "m1", true)];
  assert.deepEqual(
    mergeFires(history, [line(1000, null), line(2000, "b"), line(1500, "m2", true)]),
    [line(1000, "a"), line(1500, "m1", true), line(1500, "m2", true), line(2000, "b")],
  );
  const many = Array.from({ length: 30 }, (_, i) => line(i * 1000, `t${i}`));
  const merged = mergeFires([], many);
  assert.equal(merged.length, SCHEDULE_HISTORY);
  assert.equal(merged.at(-1)!.taskId, "t29");
});

Deno.test("mergeFireState() never sets the next fire at or before a fire time it handled", () => {
  const fire = { from: 5000, nextFireAt: 6000, fires: [line(5000, "t5")], lastTaskId: "t5" };
  // Nobody wrote meanwhile, or a change that kept the timing: the fire's own next time.
  assert.deepEqual(
    mergeFireState({ nextFireAt: 5000, lastTaskId: "t4", lastFires: [] }, fire, everySecond),
    { nextFireAt: 6000, lastTaskId: "t5", lastFires: [line(5000, "t5")] },
  );
  // A change of timing computed from a lagging clock (4800): moved past the fired 5000.
  assert.equal(
    mergeFireState({ nextFireAt: 4900, lastTaskId: null, lastFires: [] }, fire, everySecond)
      .nextFireAt,
    6000,
  );
  // Another manager recorded the same fire: nothing changes.
  const recorded = { nextFireAt: 6000, lastTaskId: "t5", lastFires: [line(5000, "t5")] };
  assert.deepEqual(mergeFireState(recorded, fire, everySecond), recorded);
  // A trigger keeps the stored next fire time, whatever it is.
  const trigger = { from: 9000, nextFireAt: 9000, fires: [line(7000, "m", true)], lastTaskId: "m" };
  assert.equal(mergeFireState(recorded, trigger, everySecond).nextFireAt, 6000);
});
