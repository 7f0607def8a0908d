import assert from "node:assert/strict";
import { createLogger, LOGGED_CHARS } from "./log.ts";

Deno.test("createLogger() writes one JSON object per line with level, time, message and fields", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format: "json", write: (line) => lines.push(line) });
  log.debug("Hidden below the level");
  log.info("Task dead-lettered", { taskId: "t1", executor: "send_email" });
  log.error("Boom", { error: new Error("disk full") });
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]);
  assert.equal(first.level, "info");
  assert.equal(first.msg, "Task dead-lettered");
  assert.equal(first.taskId, "t1");
  assert.equal(first.executor, "send_email");
  assert.ok(!Number.isNaN(Date.parse(first.time)));
  const second = JSON.parse(lines[1]);
  assert.equal(second.error.message, "disk full");
  assert.match(second.error.stack, /log_test\.ts/);
});

Deno.test("createLogger() in pretty format writes one readable line", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", format: "pretty", write: (line) => lines.push(line) });
  log.warn("Worker disconnected", { workerId: "w1" });
  assert.match(lines[0], /^\d\d:\d\d:\d\d\.\d{3} WARN {2}Worker disconnected workerId=w1$/);
});

Deno.test("createLogger() keeps no string longer than LOGGED_CHARS, in fields, their arrays and plain objects, errors or the message, and says how long it was", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format: "json", write: (line) => lines.push(line) });
  // A worker's hello carried an SDK version of 4,000,000 characters into "Worker connected".
  const long = "v".repeat(4_000_000);
  const at = new Date(0);
  log.info(`Cannot ${long}`, {
    sdkVersion: long,
    executors: [long, "short"],
    nested: { deeper: { text: long } },
    error: new Error(long),
    at,
  });
  assert.ok(lines[0].length < 8 * LOGGED_CHARS, `a line of ${lines[0].length} characters`);
  const line = JSON.parse(lines[0]);
  const kept = `${"v".repeat(LOGGED_CHARS)}… (4000000 characters)`;
  assert.equal(line.sdkVersion, kept);
  assert.deepEqual(line.executors, [kept, "short"]);
  assert.equal(line.nested.deeper.text, kept);
  assert.equal(line.error.message, kept);
  assert.equal(line.msg.length, LOGGED_CHARS + "… (4000007 characters)".length);
  assert.equal(line.at, at.toJSON(), "a Date is logged as before");
});

Deno.test("createLogger() logs an error without a stack without one", () => {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format: "json", write: (line) => lines.push(line) });
  const error = new Error("no stack");
  delete error.stack;
  log.error("Boom", { error });
  assert.deepEqual(JSON.parse(lines[0]).error, { name: "Error", message: "no stack" });
});
