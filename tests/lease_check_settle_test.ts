/**
 * The lease check and a result being settled: a check that reads a task its worker's result has
 * just completed, before that settlement answered, does not tell the worker to abort it ("lease
 * lost"), while a task cancelled elsewhere is still aborted and an expired lease still rescued.
 * On the real SQLite store, with a wrapper that holds one settlement between its commit and its
 * answer (where a WAL sync waits).
 */
import assert from "node:assert/strict";
import type { WorkResponse } from "@tasks-executor/proto";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { startHeldSettleEngine } from "./fixtures/held_settle.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

function cancelsOf(messages: WorkResponse[], taskId: string): unknown[] {
  return messages.flatMap((m) =>
    (m.cancellations?.tasks ?? []).filter((c) => c.taskId === taskId).map((c) => c.reason)
  );
}

Deno.test("the lease check tells no worker to abort a task whose result is being settled", async () => {
  const held = await startHeldSettleEngine({ prefix: "lease-check-settle-", afterCommit: true });
  const { dir, real, slow, engine, service, server } = held;
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
    held.clock = Date.now();
    const start = held.clock;
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
    held.clock = start + 2500;
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
    await other[Symbol.asyncDispose]();
    await held.close();
  }
});
