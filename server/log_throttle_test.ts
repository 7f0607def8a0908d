import assert from "node:assert/strict";
import { BurstLog, LogThrottle } from "./log_throttle.ts";
import { createLogger, setLogger } from "./log.ts";

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

Deno.test("BurstLog writes the first lines of each key per window, then their count when the window ends or at close", () => {
  const lines: { msg: string; executor?: string; count?: number }[] = [];
  setLogger(createLogger({
    level: "warn",
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  }));
  try {
    let now = 0;
    const burst = new BurstLog("warn", "Task dead-lettered", {
      burst: 2,
      windowMs: 1000,
      now: () => now,
    });
    for (let i = 0; i < 5; i++) burst.write("a", { taskId: `a${i}` });
    burst.write("b", { taskId: "b0" });
    assert.deepEqual(lines.map((l) => [l.msg, l.executor]), [
      ["Task dead-lettered", "a"],
      ["Task dead-lettered", "a"],
      ["Task dead-lettered", "b"],
    ]);
    // The next window of "a" starts with the count of the one before.
    now = 1000;
    burst.write("a", { taskId: "a5" });
    assert.equal(lines[3].count, 3);
    assert.match(lines[3].msg, /^Task dead-lettered: 3 more within 1 s, not logged one by one/);
    assert.equal(lines[4].msg, "Task dead-lettered");
    burst.write("a", { taskId: "a6" }); // the second of this window: written
    burst.write("a", { taskId: "a7" }); // left out, counted at close
    burst.close();
    assert.deepEqual(lines.slice(5).map((l) => [l.executor, l.count]), [["a", undefined], [
      "a",
      1,
    ]]);
  } finally {
    setLogger(createLogger({ level: "error", format: "pretty" }));
  }
});
