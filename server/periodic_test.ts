import assert from "node:assert/strict";
import { createLogger, type LogFields } from "./log.ts";
import { Periodic } from "./periodic.ts";

function recordingLog() {
  const lines: { msg: string; fields?: LogFields }[] = [];
  const base = createLogger({ level: "error", format: "json" });
  return {
    lines,
    log: { ...base, warn: (msg: string, fields?: LogFields) => lines.push({ msg, fields }) },
  };
}

Deno.test("a background loop never runs twice at once, and stop waits for the run in flight", async () => {
  const { log } = recordingLog();
  let active = 0;
  let most = 0;
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const loop = new Periodic({
    name: "Test loop",
    intervalMs: 1,
    run: async () => {
      active++;
      most = Math.max(most, active);
      runs++;
      await gate;
      active--;
    },
    log,
  });
  loop.start();
  loop.start(); // a second start is a no-op
  const first = loop.runNow();
  const second = loop.runNow(); // joins the run in flight and asks for one more
  assert.equal(first, second);
  const stopped = loop.stop();
  release();
  await Promise.all([first, stopped]);
  await loop.stop(); // a second stop is a no-op
  assert.equal(most, 1);
  assert.equal(active, 0);
  assert.equal(runs, 1, "a stop asked for during a run cancels the run asked for after it");
  assert.equal(loop.running, false);
  await loop.runNow(); // once stopped, runs nothing
  assert.equal(runs, 1);
});

Deno.test("a failing run is logged under the loop's name and the loop goes on", async () => {
  const { lines, log } = recordingLog();
  let runs = 0;
  const loop = new Periodic({
    name: "Test loop",
    intervalMs: 1,
    run: () => {
      runs++;
      return Promise.reject(new Error(`failure ${runs}`));
    },
    log,
  });
  loop.start();
  while (runs < 3) await new Promise((resolve) => setTimeout(resolve, 2));
  await loop.stop();
  assert.ok(lines.length >= 2);
  assert.equal(lines[0].msg, "Test loop failed");
  assert.match(String((lines[0].fields?.error as Error).message), /^failure 1$/);
});

Deno.test("runNow during a run runs once more after it, so a change made before the call is seen", async () => {
  const { log } = recordingLog();
  const seen: number[] = [];
  let value = 0;
  let release!: () => void;
  let gate = new Promise<void>((resolve) => (release = resolve));
  const loop = new Periodic({
    name: "Test loop",
    intervalMs: 60_000,
    run: async () => {
      const read = value;
      await gate;
      seen.push(read);
    },
    log,
  });
  loop.start();
  const first = loop.runNow();
  value = 1;
  const second = loop.runNow();
  const hold = release;
  gate = Promise.resolve();
  hold();
  await second;
  await first;
  assert.deepEqual(seen, [0, 1]);
  await loop.stop();
});
