/** Unit tests of the `Timestamp`/`Duration` readers: round trips and the well-known types' rules. */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  durationFromMs,
  msFromDuration,
  msFromTimestamp,
  timeProblem,
  timestampFromMs,
} from "./time.ts";

Deno.test("every whole ms from year 1 to 9999 becomes a valid Timestamp and back, and a valid Duration", () => {
  const first = Date.parse("0001-01-01T00:00:00.000Z");
  const last = Date.parse("9999-12-31T23:59:59.999Z");
  fc.assert(
    fc.property(fc.integer({ min: first, max: last }), (ms) => {
      const time = timestampFromMs(ms);
      assert.equal(timeProblem(time, "timestamp"), undefined);
      assert.equal(msFromTimestamp(time), ms);
      if (ms >= 0) {
        assert.equal(timeProblem(time, "duration"), undefined);
        assert.equal(msFromDuration(time), ms);
      }
    }),
  );
});

Deno.test("every whole ms, negative too, becomes a valid Duration and back: its seconds and nanos of one sign (property)", () => {
  const most = 315_576_000_000_000; // duration.proto's 10,000 years
  fc.assert(
    fc.property(fc.integer({ min: -most, max: most }), (ms) => {
      const duration = durationFromMs(ms);
      assert.equal(
        timeProblem(duration, "duration"),
        undefined,
        `${ms}: ${JSON.stringify(duration)}`,
      );
      assert.equal(msFromDuration(duration), ms);
    }),
  );
  assert.deepEqual(durationFromMs(-5), { seconds: 0, nanos: -5_000_000 });
});

Deno.test("timeProblem() names what timestamp.proto and duration.proto do not allow", () => {
  assert.equal(timeProblem(null, "timestamp"), undefined);
  assert.equal(timeProblem({}, "duration"), undefined);
  assert.match(timeProblem({ nanos: 1_000_000_000 }, "timestamp")!, /^nanos must be 0 to/);
  assert.match(timeProblem({ seconds: 1, nanos: -1 }, "timestamp")!, /^nanos must be 0 to/);
  assert.match(timeProblem({ seconds: 253_402_300_800 }, "timestamp")!, /years 1 to 9999/);
  assert.match(timeProblem({ seconds: -62_135_596_801 }, "timestamp")!, /years 1 to 9999/);
  assert.equal(timeProblem({ seconds: -1, nanos: -5 }, "duration"), undefined);
  assert.match(timeProblem({ seconds: 1, nanos: -5 }, "duration")!, /sign of seconds/);
  assert.match(timeProblem({ seconds: -1, nanos: 5 }, "duration")!, /sign of seconds/);
  assert.match(timeProblem({ nanos: -1_000_000_000 }, "duration")!, /^nanos must be/);
  assert.match(timeProblem({ seconds: 315_576_000_001 }, "duration")!, /10,000 years/);
  assert.match(timeProblem({ seconds: "1.5" }, "duration")!, /whole number/);
});
