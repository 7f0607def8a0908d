import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import { openSqliteStore } from "../store/sqlite/store.ts";
import { RetentionCleaner } from "./retention.ts";
import { newId } from "../domain/id.ts";
import type { ServiceEvent } from "../service/events.ts";
import { DEFAULT_EXECUTOR_CONFIG } from "../domain/executor.ts";
import { timerDuring } from "../../tests/fixtures/turns.ts";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

Deno.test("RetentionCleaner.sweep() deletes finished tasks past the TTL in batches and keeps the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
    const task = (i: number) => ({
      id: `${T0.toString(16).padStart(12, "0")}${i.toString(16).padStart(14, "0")}`,
      executorName: "clean",
      data: { i },
      metadata: {},
      priority: 0,
      runAt: T0,
      maxAttempts: 1,
      idempotencyKey: null,
      createdAt: T0,
    });
    await store.taskInsert(Array.from({ length: 7 }, (_, i) => task(i)));
    const leased = await store.taskClaim({
      executorName: "clean",
      limit: 7,
      leaseMs: HOUR,
      owner: "w",
      now: T0,
      maxConcurrency: 0,
    });
    // Five finished two hours ago, one an instant ago; one still runs.
    const settle = (i: number, now: number) =>
      store.taskSettle(
        [{
          taskId: leased[i].id,
          leaseToken: leased[i].leaseToken!,
          settlement: { kind: "completed", result: i },
        }],
        { now },
      );
    for (let i = 0; i < 5; i++) await settle(i, T0 + 1000);
    await settle(5, T0 + 2 * HOUR);

    await store.executorCreate({
      ...structuredClone(DEFAULT_EXECUTOR_CONFIG),
      name: "clean",
      id: newId(T0),
      createdAt: T0,
      updatedAt: T0,
    });
    const log = createLogger({ level: "error", format: "json" });
    const events: ServiceEvent[] = [];
    const cleaner = new RetentionCleaner(store, {
      ttlMs: HOUR,
      batch: 2,
      now: () => T0 + 2 * HOUR,
      log,
      events: { emit: (event) => events.push(event) },
    });
    assert.equal(await cleaner.sweep(), 5);
    // Live views are told, as of any other deleted task; a sweep that deletes nothing tells none.
    assert.deepEqual(events, [{ type: "tasks_changed", executorNames: ["clean"] }]);
    assert.equal(await cleaner.sweep(), 0);
    assert.equal(events.length, 1);
    const left = await store.taskList({}, { limit: 10 });
    assert.deepEqual(left.items.map((t) => t.status).sort(), ["completed", "in_progress"]);
    await cleaner.stop();
    await cleaner.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RetentionCleaner with a TTL of 0 keeps everything and starts no timer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
    const cleaner = new RetentionCleaner(store, {
      ttlMs: 0,
      log: createLogger({ level: "error", format: "json" }),
    });
    cleaner.start(); // the test's timer sanitizer fails it if this started an interval
    await cleaner.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RetentionCleaner.sweep() gives the thread back between batches: a timer set before it runs meanwhile", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
    const ids = Array.from({ length: 3000 }, (_, i) => newId(T0 + i));
    await store.taskInsert(ids.map((id, i) => ({
      id,
      executorName: "clean",
      data: null,
      metadata: {},
      priority: 0,
      runAt: T0,
      maxAttempts: 1,
      idempotencyKey: null,
      createdAt: T0 + i,
    })));
    for (let at = 0; at < ids.length; at += 500) {
      const chunk = ids.slice(at, at + 500);
      await store.taskTransitionMany(chunk, { from: "pending", to: "cancelled", now: T0 + 1000 });
    }
    // 300 batches, each a transaction of its own: the sweep outlasts a slice.
    const cleaner = new RetentionCleaner(store, {
      ttlMs: HOUR,
      batch: 10,
      now: () => T0 + 2 * HOUR,
      log: createLogger({ level: "error", format: "json" }),
    });
    const { timerFirst, result } = await timerDuring(() => cleaner.sweep());
    assert.ok(timerFirst, "the sweep gave the thread back");
    assert.equal(result, 3000);
    await cleaner.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
