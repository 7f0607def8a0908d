/**
 * The task detail and workers view data, end to end with a real manager and a real SDK worker
 * process (tests/fixtures/detail_worker.ts): stack traces and log lines per attempt, progress
 * from heartbeats, runs counted across requeues, the worker's hello facts and running tasks, a
 * gone worker kept in the list, and a worker told that its executor was deleted.
 */
import assert from "node:assert/strict";
import { startTestManager, type TestManager } from "./_manager.ts";
import { startDetailWorker } from "./fixtures/detail_process.ts";
import { restOk } from "./fixtures/rest.ts";

/** An upper bound for something to happen, not a sleep. */
const WAIT_MS = 20_000;

// deno-lint-ignore no-explicit-any
type Json = any;

/** The task once it reached a final status (a long poll). */
async function settled(manager: TestManager, id: string): Promise<Json> {
  const { task } = await restOk(manager, "GET", `/tasks/${id}?wait=20s`);
  return task;
}

/** Polls `read` until `done` holds of its answer, within `WAIT_MS`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) assert.fail(`Timed out; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

Deno.test("a failed attempt keeps its stack trace and log lines; a requeue starts run 2", async () => {
  await using manager = await startTestManager();
  await using worker = await startDetailWorker(manager);
  const { task: created } = await restOk(manager, "POST", "/tasks", {
    executorName: "detail_orders",
    data: { orderId: 7, fail: true },
  });
  const dead = await settled(manager, created.id);
  assert.equal(dead.status, "dlq", worker.describe());
  assert.equal(dead.errors.length, 2);
  const [first, second] = dead.errors;
  assert.equal(first.message, "Payment gateway refused order 7");
  assert.match(first.stack, /^Error: Payment gateway refused order 7\n\s+at chargeCard /);
  assert.ok(first.stack.length <= 2000);
  assert.deepEqual(first.logs, ["Charging order 7", "Attempt 1 of 2"]);
  assert.deepEqual([first.run, first.attempt, second.run, second.attempt], [1, 1, 1, 2]);
  assert.equal(dead.run, 1);

  // Run again with the data fixed: run 2, attempt 1, and the first run's errors stay.
  const { task: again } = await restOk(manager, "POST", `/dlq/${created.id}/requeue`, {
    data: { orderId: 7 },
  });
  assert.equal(again.run, 2);
  assert.equal(again.attempt, 0);
  const done = await settled(manager, created.id);
  assert.equal(done.status, "completed");
  assert.deepEqual([done.run, done.attempt], [2, 1]);
  assert.deepEqual(done.result, { charged: 7 });
  assert.equal(done.errors.length, 2, "the first run's failed attempts are kept");
  // 14 lines logged: the first 9 and a line saying how many more were dropped.
  assert.equal(done.logs.length, 10);
  assert.deepEqual(done.logs.slice(0, 3), ["Charging order 7", "Attempt 1 of 2", "Line 0"]);
  assert.equal(done.logs[9], "… 5 more lines dropped");
});

Deno.test("progress and running tasks show while a task runs; a gone worker stays listed", async () => {
  await using manager = await startTestManager();
  const worker = await startDetailWorker(manager);
  try {
    const { task } = await restOk(manager, "POST", "/tasks", {
      executorName: "detail_orders",
      data: { orderId: 8, hold: true },
    });
    const running = await eventually(
      () => restOk(manager, "GET", `/tasks/${task.id}`).then((b: Json) => b.task),
      (t: Json) => t.progress !== null,
    );
    assert.equal(running.status, "in_progress");
    assert.deepEqual(running.progress, { percent: 40, step: "charging" });

    const { workers } = await restOk(manager, "GET", "/workers");
    assert.equal(workers.length, 1);
    const [w] = workers;
    assert.equal(w.workerId, "detail-worker");
    assert.equal(w.pid, worker.child.pid);
    assert.match(w.runtime, /^deno \d+\.\d+\.\d+/);
    assert.ok(w.host.length > 0, "a host name");
    assert.match(w.sdkVersion, /^ts-/);
    assert.deepEqual(w.runningTaskIds, [task.id]);
    assert.deepEqual([w.inFlight, w.inFlight + w.credits], [1, 4]);
    assert.equal(w.disconnectedAt, null);

    await restOk(manager, "POST", `/tasks/${task.id}/cancel`, {});
    assert.equal((await settled(manager, task.id)).status, "cancelled");
    await eventually(
      () => restOk(manager, "GET", "/workers").then((b: Json) => b.workers[0]),
      (x: Json) => x.inFlight === 0 && x.runningTaskIds.length === 0,
    );
  } finally {
    worker.kill("SIGTERM");
    await worker.status;
  }
  const gone = await eventually(
    () => restOk(manager, "GET", "/workers").then((b: Json) => b.workers),
    (list: Json[]) => list.length === 1 && list[0].disconnectedAt !== null,
  );
  assert.equal(gone[0].workerId, "detail-worker");
  await worker.stop();
});

Deno.test("a worker serving an executor that is deleted is told so and says it in its log", async () => {
  await using manager = await startTestManager();
  await using worker = await startDetailWorker(manager);
  await restOk(manager, "DELETE", "/executors/detail_orders?force=true");
  const line = await worker.waitForLine((l) => l.includes("executor was deleted"));
  const logged = JSON.parse(line);
  assert.equal(logged.level, "warn");
  assert.equal(logged.executor, "detail_orders");
});

Deno.test("a worker on one manager is told when its executor is deleted through another sharing the store", async () => {
  await using a = await startTestManager();
  await using b = await startTestManager({ dataDir: a.dataDir });
  await using worker = await startDetailWorker(b);
  await restOk(a, "DELETE", "/executors/detail_orders?force=true");
  const line = await worker.waitForLine((l) => l.includes("executor was deleted"));
  assert.equal(JSON.parse(line).executor, "detail_orders");
});
