/**
 * Rules that live in the service so that REST and gRPC only translate: a repeated idempotency key,
 * stats filtered by executor.
 */
import assert from "node:assert/strict";
import { ConflictError } from "../server/domain/errors.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";

async function withService(run: (service: Service) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "service-rules-" });
  try {
    await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
    await run(new Service(store));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("createTask() refuses a repeated idempotency key with the task it made, unless asked to return it", async () => {
  await withService(async (service) => {
    await service.createExecutor({ name: "once" });
    const first = await service.createTask({ executorName: "once", data: 1, idempotencyKey: "k" });
    assert.equal(first.created, true);
    const error = await service.createTask({ executorName: "once", data: 2, idempotencyKey: "k" })
      .then(() => null, (e) => e);
    assert.ok(error instanceof ConflictError, String(error));
    assert.match(error.message, /idempotency key "k" exists already for executor "once"/);
    assert.equal(error.existing?.task.id, first.task.id);
    assert.equal(error.existing?.task.data, 1);

    const again = await service.createTask(
      { executorName: "once", data: 3, idempotencyKey: "k" },
      { ifExists: "return" },
    );
    assert.deepEqual([again.created, again.task.id], [false, first.task.id]);
    // A batch reports repeats per task rather than refusing.
    const batch = await service.createTasks([
      { executorName: "once", idempotencyKey: "k" },
      { executorName: "once", idempotencyKey: "other" },
    ]);
    assert.deepEqual(batch.map((o) => o.created), [false, true]);
  });
});

Deno.test("taskStats() keeps one executor's figures when filtered, every executor's otherwise", async () => {
  await withService(async (service) => {
    await service.createExecutor({ name: "a" });
    await service.createExecutor({ name: "b" });
    await service.createTask({ executorName: "b", data: null });
    assert.deepEqual((await service.taskStats()).map((s) => s.executorName), ["a", "b"]);
    assert.equal((await service.taskStats({ executorName: "" })).length, 2);
    const [only, ...rest] = await service.taskStats({ executorName: "b" });
    assert.deepEqual(rest, []);
    assert.equal(only.executorName, "b");
    assert.equal(only.byStatus.pending, 1);
    assert.deepEqual(await service.taskStats({ executorName: "ghost" }), []);
  });
});
