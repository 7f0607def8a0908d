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
