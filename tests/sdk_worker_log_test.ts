/** What the SDK worker logs about failed attempts: expected retries quietly, the last one loudly. */
import assert from "node:assert/strict";
import { Client, type LogFields, RateLimitedError, Worker } from "../sdk/mod.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";

Deno.test("a failed attempt the manager retries is an info line without a stack; the last attempt's failure is a warning with its stack", async () => {
  await using manager = await startSdkManager();
  const lines: { level: string; msg: string; fields: LogFields }[] = [];
  const keep = (level: string) => (msg: string, fields: LogFields = {}) =>
    lines.push({ level, msg, fields });
  await using worker = new Worker({
    address: manager.grpcAddress,
    handleSignals: false,
    logger: { debug() {}, info: keep("info"), warn: keep("warn"), error: keep("error") },
    executors: [{
      name: "flaky",
      config: { retryPolicy: { type: "constant", maxAttempts: 2, interval: 10 } },
      handler: () => {
        throw new Error("Flaky downstream");
      },
    }],
  });
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("flaky", {});
  const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
  assert.equal(done.status, "dlq");

  const failures = lines.filter((line) => line.fields.taskId === task.id);
  assert.deepEqual(
    failures.map((line) => [line.level, line.msg, line.fields.attempt, "stack" in line.fields]),
    [
      ["info", "Task attempt failed, the manager retries it", 1, false],
      ["warn", "Task attempt failed", 2, true],
    ],
  );
  assert.equal(failures[0].fields.error, "Flaky downstream");
});

// A rate-limited attempt spends none: its task runs again, even after its last attempt, so it is
// the info line of a retry, as in the Go worker, not the warning of a task that ends.
Deno.test("a rate-limited last attempt is an info line: the task runs again with no attempt spent", async () => {
  await using manager = await startSdkManager();
  const lines: { level: string; msg: string; fields: LogFields }[] = [];
  const keep = (level: string) => (msg: string, fields: LogFields = {}) =>
    lines.push({ level, msg, fields });
  let calls = 0;
  await using worker = new Worker({
    address: manager.grpcAddress,
    handleSignals: false,
    logger: { debug() {}, info: keep("info"), warn: keep("warn"), error: keep("error") },
    executors: [{
      name: "limited",
      config: { retryPolicy: { type: "constant", maxAttempts: 1, interval: 10 } },
      handler: () => {
        if (++calls === 1) throw new RateLimitedError(10, "Slow down");
        return "done";
      },
    }],
  });
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("limited", {});
  const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
  assert.equal(done.status, "completed");

  const failures = lines.filter((line) => line.fields.taskId === task.id);
  assert.deepEqual(
    failures.map((line) => [line.level, line.msg, line.fields.attempt, line.fields.error]),
    [["info", "Task attempt failed, the manager retries it", 1, "Slow down"]],
  );
});

for (
  const [kind, fail] of [
    ["throws", () => {
      throw new Error("Logger down");
    }],
    ["returns a promise that rejects", () => Promise.reject(new Error("Logger down"))],
  ] as const
) {
  Deno.test(`a worker whose logger ${kind} on every line runs its tasks all the same, and says so once on the console`, async () => {
    await using manager = await startSdkManager();
    const told: unknown[][] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => told.push(args);
    try {
      await using worker = new Worker({
        address: manager.grpcAddress,
        handleSignals: false,
        logger: { debug: fail, info: fail, warn: fail, error: fail },
        executors: [{
          name: "logged",
          config: { retryPolicy: { type: "constant", maxAttempts: 2, interval: 10 } },
          handler: (_data, ctx) => {
            ctx.logger.info("Working");
            if (ctx.attempt === 1) throw new Error("First attempt fails");
            return "done";
          },
        }],
      });
      await worker.start();
      using client = new Client({ address: manager.grpcAddress });
      const task = await client.createTask("logged", {});
      const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
      assert.equal(done.status, "completed");
      assert.equal(done.result, "done");
    } finally {
      console.error = consoleError;
    }
    assert.equal(told.length, 1);
    assert.match(String(told[0][0]), /logger's \w+ method threw/);
    assert.equal((told[0][1] as Error).message, "Logger down");
  });
}
