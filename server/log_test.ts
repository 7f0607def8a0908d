import assert from "node:assert/strict";
import { createLogger } from "./log.ts";

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
