/**
 * A rescue pass takes expired leases over a batch at a time and settles each batch before it
 * tells the workers (timeout). A heartbeat or a lease check that comes while a batch is taken
 * over and not yet settled finds those leases gone from the store: the worker is still told
 * timeout, as the rescue would tell it, not lease lost. On the real SQLite store, with a real
 * gRPC worker stream and a wrapper that holds the rescue's settlement.
 */
import assert from "node:assert/strict";
import type { WorkResponse } from "@tasks-executor/proto";
import { Engine } from "../server/engine/engine.ts";
import { startGrpcServer } from "../server/grpc/server.ts";
import { createWorkerService } from "../server/grpc/worker_service.ts";
import { ServiceEvents } from "../server/service/events.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { withFirstSettleHeld } from "./fixtures/held_settle.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

function cancelsOf(messages: WorkResponse[], taskId: string): unknown[] {
  return messages.flatMap((m) =>
    (m.cancellations?.tasks ?? []).filter((c) => c.taskId === taskId).map((c) => c.reason)
  );
}

Deno.test("tasks rescued as their leases expired tell their worker timeout, also to a heartbeat or lease check during the rescue", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lease-rescue-reason-" });
  const real = await openSqliteStore({ path: `${dir}/tasks.db` });
  // The rescue's settlement waits, before it writes, until the test releases it.
  const slow = withFirstSettleHeld(real);
  let clock = Date.now();
  const events = new ServiceEvents();
  const engine = new Engine({ store: slow.store, events }, {
    now: () => clock,
    rescueIntervalMs: 3_600_000,
    leaseCheckMs: 3_600_000,
    pollIntervalMs: 200,
  });
  const service = new Service(slow.store, { events, handoff: engine.handoff });
  await engine.start();
  const server = await startGrpcServer(
    { service, workers: engine.workers, workerService: createWorkerService(engine) },
    { host: "127.0.0.1", port: 0 },
  );
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
    clock = Date.now();
    worker.credit("expiring", 3);
    const [a, b, c] = await worker.assigned(3);
    // Every lease runs out; the rescue takes them over and holds before it settles them.
    clock += 2500;
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
    await engine.stop();
    await server.close({ graceMs: 500 });
    await real[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
