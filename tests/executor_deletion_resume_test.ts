/**
 * A forced executor delete that a manager left half-way (it stopped while the executor's tasks
 * were being deleted) is finished by the next manager on the store once the deletion's lease
 * passed, by itself: the old tasks go and the name is free, without a create of the name.
 */
import assert from "node:assert/strict";
import { EXECUTOR_DELETION_LEASE_MS } from "../server/domain/executor.ts";
import { openStore } from "../server/store/open.ts";
import { startTestManager } from "./_manager.ts";
import {
  makeExecutor,
  makeTask,
  MORE_THAN_A_BATCH,
  stopHalfwayThroughForcedDelete,
} from "./store_contract.ts";

Deno.test("a manager started on a store with a delete left half-way finishes it by itself", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tasks-executor-test-" });
  try {
    const store = await openStore({ dataDir, mongoDb: "unused" });
    const victim = makeExecutor("victim");
    await store.executorCreate(victim);
    await store.executorCreate(makeExecutor("bystander"));
    const oldTasks = Array.from({ length: MORE_THAN_A_BATCH }, () => makeTask("victim"));
    const bystander = makeTask("bystander");
    await store.taskInsert([...oldTasks, bystander]);
    // Begun two leases ago, and left after its first batch.
    await stopHalfwayThroughForcedDelete(
      store,
      victim.id,
      Date.now() - 2 * EXECUTOR_DELETION_LEASE_MS,
    );

    await using manager = await startTestManager({ dataDir });
    const last = oldTasks[MORE_THAN_A_BATCH - 1].id;
    const { store: seen } = manager.service;
    // The manager's first look runs as it starts; no create of the name is made meanwhile.
    for (let i = 0; (await seen.taskGet(last)) !== null; i++) {
      assert.ok(i < 600, "the old tasks are still there after 600 looks 50 ms apart");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(
      (await seen.taskList({ executorName: "victim" }, { limit: 10 })).items,
      [],
    );
    assert.ok(await seen.taskGet(bystander.id), "another executor's task stays");
    const created = await fetch(`${manager.httpUrl}/api/v1/executors`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "victim" }),
    });
    assert.equal(created.status, 201, await created.text());
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
