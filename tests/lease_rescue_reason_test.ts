/**
 * A rescue pass takes expired leases over a batch at a time and settles each batch before it
 * tells the workers (timeout). A heartbeat or a lease check that comes while a batch is taken
 * over and not yet settled finds those leases gone from the store: the worker is still told
 * timeout, as the rescue would tell it, not lease lost. On the real SQLite store, with a real
 * gRPC worker stream and a wrapper that holds the rescue's settlement.
 */
import assert from "node:assert/strict";
import type { WorkResponse } from "@tasks-executor/proto";
import { startHeldSettleEngine } from "./fixtures/held_settle.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

function cancelsOf(messages: WorkResponse[], taskId: string): unknown[] {
  return messages.flatMap((m) =>
    (m.cancellations?.tasks ?? []).filter((c) => c.taskId === taskId).map((c) => c.reason)
  );
}

Deno.test("tasks rescued as their leases expired tell their worker timeout, also to a heartbeat or lease check during the rescue", async () => {
  // The rescue's settlement waits, before it writes, until the test releases it.
  const held = await startHeldSettleEngine({ prefix: "lease-rescue-reason-" });
  const { real, slow, engine, service, server } = held;
  await service.createExecutor({
    name: "expiring",
    timeout: 2000,
    retryPolicy: { type: "constant", maxAttempts: 3, interval: 60_000 },
  });
  const worker = await TestWorker.connect(`127.0.0.1:${server.port}`, {
    workerId: "w1",
    executors: ["expiring"],
  });
  let rescue: Promise<number> | undefined;
  try {
    await service.createTasks(["a", "b", "c"].map((data) => ({ executorName: "expiring", data })));
    held.clock = Date.now();
    worker.credit("expiring", 3);
    const [a, b, c] = await worker.assigned(3);
    // Every lease runs out; the rescue takes them over and holds before it settles them.
    held.clock += 2500;
    rescue = engine.rescueNow();
    await slow.held;
    // Meanwhile the worker's heartbeat names a, and the lease check reads all three.
    worker.send({ heartbeat: { taskIds: [a.taskId] } });
    await worker.next((m) => cancelsOf([m], a.taskId).length > 0);
    await engine.leaseCheckNow();
    slow.release();
    assert.equal(await rescue, 3);
    // A heartbeat naming a task nobody holds is answered after everything sent before it.
    worker.send({ heartbeat: { taskIds: ["none"] } });
    await worker.next((m) => cancelsOf([m], "none").length > 0);
    // The lease check told b and c in one message, as the rescue tells a batch.
    const told = worker.received.filter((m) =>
      cancelsOf([m], b.taskId).length + cancelsOf([m], c.taskId).length > 0
    );
    assert.equal(told.length, 1, "one cancellations message for b and c");
    for (const task of [a, b, c]) {
      assert.deepEqual(
        cancelsOf(worker.received, task.taskId),
        ["CANCELLATION_REASON_TIMEOUT"],
        `task ${task.taskId}`,
      );
      const rescued = await real.taskGet(task.taskId);
      assert.equal(rescued?.status, "pending");
      assert.match(rescued?.errors[0]?.message ?? "", /Timed out/);
    }
    assert.equal(engine.workers.list()[0].inFlight, 0, "every lease is released here");
  } finally {
    slow.release();
    await rescue?.catch(() => {});
    await worker.close();
    await held.close();
  }
});

Deno.test("a heartbeat on its way when its worker is told to abort a task (rescue, cancel, lease lost) gets no second cancellation for it", async () => {
  const held = await startHeldSettleEngine({ prefix: "lease-told-once-" });
  const { engine, service, server } = held;
  // The rescue's settlement is not held: nothing waits on the first settle but this test's tasks'.
  held.slow.release();
  await service.createExecutor({
    name: "told",
    timeout: 2000,
    retryPolicy: { type: "constant", maxAttempts: 3, interval: 60_000 },
  });
  const worker = await TestWorker.connect(`127.0.0.1:${server.port}`, {
    workerId: "w1",
    executors: ["told"],
  });
  try {
    await service.createTasks(["a", "b"].map((data) => ({ executorName: "told", data })));
    held.clock = Date.now();
    worker.credit("told", 2);
    const [a, b] = await worker.assigned(2);
    // b is cancelled: the lease check tells the worker at once.
    await service.cancelTask(b.taskId);
    await worker.next((m) => cancelsOf([m], b.taskId).length > 0);
    // a's lease runs out: the rescue tells the worker timeout.
    held.clock += 2500;
    assert.equal(await engine.rescueNow(), 1);
    await worker.next((m) => cancelsOf([m], a.taskId).length > 0);
    // Heartbeats the worker wrote before it read those arrive now; then one naming a task it
    // never held, told lease lost once, twice in a row.
    worker.send({ heartbeat: { taskIds: [a.taskId, b.taskId] } });
    worker.send({ heartbeat: { taskIds: [a.taskId, b.taskId, "none"] } });
    worker.send({ heartbeat: { taskIds: ["none"] } });
    worker.send({ heartbeat: { taskIds: ["other"] } });
    await worker.next((m) => cancelsOf([m], "other").length > 0);
    assert.deepEqual(cancelsOf(worker.received, a.taskId), ["CANCELLATION_REASON_TIMEOUT"]);
    assert.deepEqual(cancelsOf(worker.received, b.taskId), ["CANCELLATION_REASON_CANCELLED"]);
    assert.deepEqual(cancelsOf(worker.received, "none"), ["CANCELLATION_REASON_LEASE_LOST"]);
  } finally {
    await worker.close();
    await held.close();
  }
});
