/**
 * A batch of results the store refuses part-way (FerretDB writes one in chunks) is acknowledged
 * item by item as it ended: results the failed batch applied are accepted, not "lease no longer
 * valid". On the real SQLite store, with a wrapper that only injects the failure.
 */
import assert from "node:assert/strict";
import type { Task } from "../server/domain/task.ts";
import { showsSettlement } from "../server/engine/settler.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { startEngineServer } from "./fixtures/engine_stack.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

/**
 * The real store, except that the first `taskSettle` call of more than one settlement applies
 * only its first `applied` settlements (for real) and then fails, as a batch written in chunks
 * whose last chunk failed.
 */
function failingPartWay(store: Store, applied: number): Store {
  let armed = true;
  return new Proxy(store, {
    get(target, property) {
      if (property === "taskSettle") {
        return async (...args: Parameters<Store["taskSettle"]>) => {
          const [requests, options] = args;
          if (!armed || requests.length < 2) return await target.taskSettle(...args);
          armed = false;
          await target.taskSettle(requests.slice(0, applied), options);
          throw new Error("Injected: the batch's second chunk failed");
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("results a batch applied before the store refused the rest are acknowledged as applied", async () => {
  const dir = await Deno.makeTempDir({ prefix: "settle-fallback-" });
  const real = await openSqliteStore({ path: `${dir}/tasks.db` });
  const store = failingPartWay(real, 3);
  const { engine, service, server } = await startEngineServer(store, {
    rescueIntervalMs: 3_600_000,
    pollIntervalMs: 200,
  });
  try {
    await service.createExecutor({
      name: "chunked",
      retryPolicy: { type: "constant", maxAttempts: 3, interval: 60_000 },
    });
    const created = await service.createTasks(
      Array.from({ length: 6 }, (_, n) => ({ executorName: "chunked", data: n })),
    );
    await using worker = await TestWorker.connect(`127.0.0.1:${server.port}`, {
      workerId: "w1",
      executors: ["chunked"],
    });
    worker.credit("chunked", 6);
    const tasks = await worker.assigned(6);
    const after = worker.received.length;
    // Three complete, three fail (retryable): the first three of the batch land before the failure.
    const results = tasks.map((t, i) => ({
      taskId: t.taskId,
      leaseToken: t.leaseToken,
      ...(i % 2 === 0
        ? { ok: true, resultJson: JSON.stringify({ n: i }) }
        : { ok: false, error: `failed ${i}`, retryable: true }),
    }));
    worker.send({ results: { results } });
    const acks = await worker.acks(after);
    assert.deepEqual(
      acks.map((a) => [a.taskId, a.accepted, a.error]),
      tasks.map((t) => [t.taskId, true, ""]),
    );
    const byId = new Map<string, Task>();
    for (const { task } of created) byId.set(task.id, (await real.taskGet(task.id))!);
    for (const [i, t] of tasks.entries()) {
      const task = byId.get(t.taskId)!;
      if (i % 2 === 0) {
        assert.equal(task.status, "completed");
        assert.deepEqual(task.result, { n: i });
      } else {
        assert.equal(task.status, "pending", "retried later");
        assert.deepEqual(task.errors.map((e) => e.message), [`failed ${i}`], "recorded once");
      }
    }
  } finally {
    await server.close({ graceMs: 0 });
    await engine.stop();
    await real[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("showsSettlement() tells the settlement that landed from a lease something else ended", () => {
  const error = { attempt: 2, message: "boom", at: 1000, workerId: "w1" };
  const task = { status: "pending" as const, completedAt: null, errors: [error] };
  assert.equal(showsSettlement(task, { kind: "retry", runAt: 2000, error }, 1000), true);
  const rescued = { ...task, errors: [{ ...error, message: "Lease expired", workerId: "" }] };
  assert.equal(showsSettlement(rescued, { kind: "retry", runAt: 2000, error }, 1000), false);
  const dead = { status: "dlq" as const, completedAt: 1000, errors: [error] };
  assert.equal(
    showsSettlement(dead, { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" }, 1000),
    true,
  );
  const done = { status: "completed" as const, completedAt: 1000, errors: [] };
  assert.equal(showsSettlement(done, { kind: "completed", result: 1 }, 1000), true);
  assert.equal(showsSettlement(done, { kind: "completed", result: 1 }, 999), false);
  const cancelled = { status: "cancelled" as const, completedAt: 1000, errors: [] };
  assert.equal(showsSettlement(cancelled, { kind: "completed", result: 1 }, 1000), false);
});
