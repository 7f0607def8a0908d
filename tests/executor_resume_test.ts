/**
 * Executor changes a manager left half-way are finished by the next manager on the store, by
 * itself: a forced delete (it stopped while the executor's tasks were being deleted), once the
 * deletion's lease passed — the old tasks go and the name is free, without a create of the name;
 * and on SQLite the keying of an executor made keyed (it stopped before the walk had given every
 * older task a key) — those tasks reach the keyed claim.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { UnavailableError } from "../server/domain/errors.ts";
import { Resumer } from "../server/engine/resumer.ts";
import type { ServiceEvent } from "../server/service/events.ts";
import { createLogger } from "../server/log.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
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

Deno.test("a manager started on a store with a keying left half-way finishes it by itself", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tasks-executor-test-" });
  try {
    const store = await openStore({ dataDir, mongoDb: "unused" });
    const executor = await store.executorCreate(makeExecutor("keyed"));
    const tasks = Array.from({ length: 3000 }, () => makeTask("keyed", { groupKey: null }));
    await store.taskInsert(tasks);
    const keyed = { ...executor, maxConcurrencyPerKey: 1, updatedAt: executor.updatedAt + 1 };
    assert.ok(await store.executorUpdate(keyed, { basedOn: executor.updatedAt }));
    await store[Symbol.asyncDispose]();
    // As the update's first transaction left the file when its manager stopped: the executor
    // keyed, its walk due, no older task keyed yet.
    const raw = new DatabaseSync(`${dataDir}/tasks.db`);
    raw.exec("UPDATE tasks SET group_key = NULL");
    raw.prepare("UPDATE executors SET keying_version = ? WHERE name = 'keyed'").run(
      keyed.updatedAt,
    );
    const unkeyed = () =>
      Number(raw.prepare("SELECT count(*) AS n FROM tasks WHERE group_key IS NULL").get()!.n);
    try {
      await using _manager = await startTestManager({ dataDir });
      for (let i = 0; unkeyed() > 0; i++) {
        assert.ok(i < 600, "tasks without a key are still there after 600 looks 50 ms apart");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const due = raw.prepare("SELECT keying_version FROM executors WHERE name = 'keyed'").get();
      assert.equal(due!.keying_version, null, "the walk is no longer due");
    } finally {
      raw.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a look whose two resumes both fail reports both failures", async () => {
  await using dir = await tempDir("resumer_");
  const store = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  await store[Symbol.asyncDispose]();
  const resumer = new Resumer(store, { log: createLogger({ level: "error", format: "json" }) });
  await assert.rejects(resumer.resumeOnce(), (error: unknown) => {
    assert.ok(error instanceof AggregateError);
    assert.equal(error.errors.length, 2);
    // Logs keep the message only: it names both.
    assert.match(error.message, /store is closed.*; .*store is closed/);
    for (const each of error.errors) assert.ok(each instanceof UnavailableError, String(each));
    return true;
  });
});

Deno.test("sqlite: stopping the Resumer while it sweeps a deletion stops the sweep at its next batch; the deletion stays", async () => {
  await using dir = await tempDir("resumer_sweep_stop_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const first = await openSqliteStore({ path });
  const victim = makeExecutor("victim");
  await first.executorCreate(victim);
  await first.taskInsert(Array.from({ length: count }, () => makeTask("victim")));
  await stopHalfwayThroughForcedDelete(
    first,
    victim.id,
    Date.now() - 2 * EXECUTOR_DELETION_LEASE_MS,
  );
  const raw = new DatabaseSync(path, { readOnly: true });
  const left = () => Number(raw.prepare("SELECT count(*) AS n FROM tasks").get()!.n);
  const deletions = () =>
    Number(raw.prepare("SELECT count(*) AS n FROM executor_deletions").get()!.n);
  try {
    const halfWay = left();
    assert.ok(halfWay > 0 && halfWay < count, `${halfWay} tasks left by the stopped delete`);
    await using store = await openSqliteStore({ path });
    const log = createLogger({ level: "error", format: "json" });
    const resumer = new Resumer(store, { log });
    resumer.start();
    try {
      for (const deadline = Date.now() + 30_000; left() === halfWay;) {
        assert.ok(Date.now() < deadline, "the sweep did not begin in 30 s");
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      await resumer.stop();
    }
    assert.ok(left() > 0, "the sweep ran to its end: the stop waited for it");
    assert.equal(deletions(), 1, "the deletion is still recorded, for the next look");
    const events: ServiceEvent[] = [];
    const again = new Resumer(store, { log, events: { emit: (event) => events.push(event) } });
    assert.deepEqual(await again.resumeOnce(), { deletions: ["victim"], keyings: [] });
    assert.equal(left(), 0);
    assert.equal(deletions(), 0);
    // Told as of a deletion through the API: the executor (lists, the engine's copies), its
    // schedules and its tasks; a look that finishes none tells none.
    assert.deepEqual(events, [
      { type: "executors_changed" },
      { type: "schedules_changed" },
      { type: "tasks_changed", executorNames: ["victim"] },
    ]);
    assert.deepEqual(await again.resumeOnce(), { deletions: [], keyings: [] });
    assert.equal(events.length, 3);
  } finally {
    raw.close();
  }
});
