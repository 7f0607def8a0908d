/**
 * The lease check and a result being settled: a check that reads a task its worker's result has
 * just completed, before that settlement answered, does not tell the worker to abort it ("lease
 * lost"), while a task cancelled elsewhere is still aborted and an expired lease still rescued.
 * On the real SQLite store, with a wrapper that holds one settlement between its commit and its
 * answer (where a WAL sync waits).
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

Deno.test("the lease check tells no worker to abort a task whose result is being settled", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lease-check-settle-" });
  const real = await openSqliteStore({ path: `${dir}/tasks.db` });
  const slow = withFirstSettleHeld(real, { afterCommit: true });
  let clock = Date.now();
  // The rescuer and the lease check run only when the test says so, on the test's clock.
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
  // The other manager: its own connection to the same file; nothing tells this engine.
  const other = await openSqliteStore({ path: `${dir}/tasks.db` });
  await service.createExecutor({
    name: "checked",
    timeout: 2000,
    retryPolicy: { type: "constant", maxAttempts: 3, interval: 60_000 },
  });
  const worker = await TestWorker.connect(`127.0.0.1:${server.port}`, {
    workerId: "w1",
    executors: ["checked"],
  });
  try {
    await service.createTasks(
      ["a", "b", "c"].map((data) => ({ executorName: "checked", data })),
    );
    clock = Date.now();
    const start = clock;
    worker.credit("checked", 3);
    const [a, b, c] = await worker.assigned(3);
    const mark = worker.received.length;
    // a's result is written but its settlement has not answered yet; b is cancelled elsewhere.
    worker.result(a, { ok: true, resultJson: '"a"' });
    await slow.held;
    assert.equal((await real.taskGet(a.taskId))?.status, "completed");
    await new Service(other).cancelTask(b.taskId);
    await engine.leaseCheckNow();
    await worker.next((m) => cancelsOf([m], b.taskId).length > 0, { after: mark });
    // c's lease runs out without a result: rescued, its worker told so; a's lease is left alone.
    clock = start + 2500;
    assert.equal(await engine.rescueNow(), 1);
    await worker.next((m) => cancelsOf([m], c.taskId).length > 0, { after: mark });
    await engine.leaseCheckNow();
    slow.release();
    const ack = await worker.next(
      (m) => m.acks?.acks.some((x) => x.taskId === a.taskId) ?? false,
      { after: mark },
    );
    assert.deepEqual(ack.acks!.acks, [{ taskId: a.taskId, accepted: true, error: "" }]);
    // What the checks sent went out before the ack, on the same stream.
    const received = worker.received.slice(mark);
    assert.deepEqual(cancelsOf(received, a.taskId), [], "a finished task is not aborted");
    assert.deepEqual(cancelsOf(received, b.taskId), ["CANCELLATION_REASON_CANCELLED"]);
    assert.deepEqual(cancelsOf(received, c.taskId), ["CANCELLATION_REASON_TIMEOUT"]);
    const rescued = await real.taskGet(c.taskId);
    assert.equal(rescued?.status, "pending");
    assert.match(rescued?.errors[0]?.message ?? "", /Timed out/);
    assert.equal(engine.workers.list()[0].inFlight, 0, "every lease is released here");
  } finally {
    slow.release();
    await worker.close();
    await engine.stop();
    await server.close({ graceMs: 500 });
    await other[Symbol.asyncDispose]();
    await real[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
