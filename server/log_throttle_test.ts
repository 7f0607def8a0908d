import assert from "node:assert/strict";
import { LogThrottle } from "./log_throttle.ts";

Deno.test("LogThrottle admits one line per key and window, and counts the ones left out", () => {
  const throttle = new LogThrottle(60_000);
  assert.equal(throttle.admit("a", 0), 0);
  assert.equal(throttle.admit("a", 1), null);
  assert.equal(throttle.admit("a", 59_999), null);
  assert.equal(throttle.admit("b", 2), 0, "another key has its own window");
  assert.equal(throttle.admit("a", 60_000), 2);
  assert.equal(throttle.admit("a", 60_001), null);
});

Deno.test("LogThrottle remembers a bounded number of keys, forgetting the oldest", () => {
  const throttle = new LogThrottle(60_000);
  for (let i = 0; i <= 1024; i++) assert.equal(throttle.admit(`peer-${i}`, 0), 0);
  // peer-0 was forgotten to make room: its next line is written again.
  assert.equal(throttle.admit("peer-0", 1), 0);
  assert.equal(throttle.admit("peer-1024", 1), null);
});
