/**
 * Log volume under a burst of failing tasks: a real manager and a real worker stream fail many
 * tasks at once, and the log holds a few lines per executor and a count, not a line per task.
 */
import assert from "node:assert/strict";
import { createLogger, setLogger } from "../server/log.ts";
import { BURST_LINES } from "../server/log_throttle.ts";
import { startTestManager } from "./_manager.ts";
import { restOk } from "./fixtures/rest.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

Deno.test("a burst of failing tasks writes the first lines per executor and then one count, not a warn line per task", async () => {
  const TASKS = 60;
  const lines: Json[] = [];
  const manager = await startTestManager();
  try {
    // After the start, which sets the manager's logger: every line of the test is kept.
    setLogger(createLogger({
      level: "warn",
      format: "json",
      write: (line) => lines.push(JSON.parse(line)),
    }));
    await restOk(manager, "POST", "/executors", { name: "dead", retryPolicy: { maxAttempts: 1 } });
    await restOk(manager, "POST", "/executors", {
      name: "gone",
      retryPolicy: { maxAttempts: 1 },
      dlqConfig: { enabled: false },
    });
    for (const executorName of ["dead", "gone"]) {
      await restOk(manager, "POST", "/tasks/batch", {
        tasks: Array.from({ length: TASKS }, (_, n) => ({ executorName, data: { n } })),
      });
    }
    await using worker = await TestWorker.connect(manager.grpcAddress, {
      workerId: "w1",
      executors: ["dead", "gone"],
    });
    worker.handle(() => ({ ok: false, error: "Mailbox full", retryable: false }));
    worker.credit("dead", 20);
    worker.credit("gone", 20);
    const finished = async () => {
      const { executors } = await restOk(manager, "GET", "/stats");
      return executors.every((s: Json) => s.byStatus.dlq + s.byStatus.failed === TASKS);
    };
    while (!await finished()) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await manager.shutdown();
    setLogger(createLogger({ level: "error", format: "pretty" }));
  }
  for (
    const [executor, message] of [["dead", "Task dead-lettered"], ["gone", "Task failed for good"]]
  ) {
    const each = lines.filter((l) => l.msg === message && l.executor === executor);
    const counts = lines.filter((l) => l.msg.startsWith(`${message}: `) && l.executor === executor);
    assert.equal(each.length, BURST_LINES, `${executor}: ${each.length} lines of one task each`);
    assert.ok(each.every((l) => l.level === "warn" && typeof l.taskId === "string"));
    // Within the minute: one count, written at the stop at the latest, for all the others.
    assert.equal(counts.length, 1, JSON.stringify(counts));
    assert.equal(counts[0].count, TASKS - BURST_LINES);
    assert.match(counts[0].msg, /: 50 more within 60 s, not logged one by one/);
  }
  assert.ok(lines.length < 4 * BURST_LINES, `${lines.length} lines in all`);
});

Deno.test("a worker killed holding many tasks: the rescue writes the first lines per executor and then one count, not an info line per task", async () => {
  const TASKS = 40;
  const lines: Json[] = [];
  const manager = await startTestManager({ env: { RESCUE_INTERVAL_MS: "100" } });
  try {
    setLogger(createLogger({
      level: "info",
      format: "json",
      write: (line) => lines.push(JSON.parse(line)),
    }));
    for (const name of ["held_a", "held_b"]) {
      // A second attempt each, so that the rescue retries them: no other per-task line is written.
      await restOk(manager, "POST", "/executors", {
        name,
        timeout: 1000,
        retryPolicy: { maxAttempts: 2, interval: 60_000 },
      });
      await restOk(manager, "POST", "/tasks/batch", {
        tasks: Array.from({ length: TASKS }, (_, n) => ({ executorName: name, data: { n } })),
      });
    }
    const worker = await TestWorker.connect(manager.grpcAddress, {
      workerId: "w1",
      executors: ["held_a", "held_b"],
    });
    worker.credit("held_a", TASKS);
    worker.credit("held_b", TASKS);
    await worker.assigned(2 * TASKS);
    // Killed holding them all: every lease expires at once.
    worker.kill();
    const rescued = async () => {
      const { executors } = await restOk(manager, "GET", "/stats");
      return executors.every((s: Json) => s.byStatus.pending === TASKS);
    };
    while (!await rescued()) await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    await manager.shutdown();
    setLogger(createLogger({ level: "error", format: "pretty" }));
  }
  const message = "Expired lease rescued";
  for (const executor of ["held_a", "held_b"]) {
    const each = lines.filter((l) => l.msg === message && l.executor === executor);
    const counts = lines.filter((l) => l.msg.startsWith(`${message}: `) && l.executor === executor);
    assert.equal(each.length, BURST_LINES, `${executor}: ${each.length} lines of one task each`);
    assert.ok(each.every((l) => l.level === "info" && l.next === "retry" && l.workerId === "w1"));
    assert.equal(counts.length, 1, JSON.stringify(counts));
    assert.equal(counts[0].level, "info");
    assert.equal(counts[0].count, TASKS - BURST_LINES);
    assert.match(counts[0].msg, /: 30 more within 60 s, not logged one by one/);
  }
  const perTask = lines.filter((l) => typeof l.taskId === "string");
  assert.equal(perTask.length, 2 * BURST_LINES, JSON.stringify(perTask.slice(0, 3)));
});
