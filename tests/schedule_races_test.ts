/**
 * Schedules under concurrent writes, on both stores: a change racing a fire (either one first), a
 * lagging clock, creates at the cap and triggers at once. Races are made deterministic by running
 * the other write from inside the store call under test, not by timing.
 */
import assert from "node:assert/strict";
import {
  ExecutorNotFoundError,
  FailedPreconditionError,
  NotFoundError,
} from "../server/domain/errors.ts";
import type { Limits } from "../server/domain/limits.ts";
import { FIRE_GRACE_MS, fireKey } from "../server/domain/schedule.ts";
import { Service } from "../server/service/service.ts";
import { openMongoStore } from "../server/store/mongo/store.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { type Backend, eachBackend, withMongo } from "./fixtures/backends.ts";
import { type TickedService, tickedService } from "./fixtures/ticked_service.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";
const RUN_ID = `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;
const T = Date.parse("2030-01-01T00:00:00.000Z");
let places = 0;

/** A fresh store of `backend`, removed on dispose. */
async function freshStore(backend: Backend): Promise<Store> {
  if (backend.name === "mongo") {
    const dbName = `tasks_races_${RUN_ID}_${++places}`;
    const store = await openMongoStore({ uri: MONGO_URI, dbName });
    const close = store[Symbol.asyncDispose].bind(store);
    return Object.assign(store, {
      [Symbol.asyncDispose]: async () => {
        await close();
        await withMongo((client) => client.db(dbName).dropDatabase());
      },
    });
  }
  const dir = await Deno.makeTempDir({ prefix: "schedule-races-" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  const close = store[Symbol.asyncDispose].bind(store);
  return Object.assign(store, {
    [Symbol.asyncDispose]: async () => {
      await close();
      await Deno.remove(dir, { recursive: true });
    },
  });
}

/** A ticked service on a fresh store with executors `a` and `b` and the clock `now`. */
async function setup(
  backend: Backend,
  now: () => number,
  limits: Partial<Limits> = {},
): Promise<TickedService> {
  return tickedService(await freshStore(backend), { now, executors: ["a", "b"], limits });
}

/** A schedule `every` of executor `a` that fires each second, overlaps allowed. */
function everySecond(service: Service) {
  return service.schedules.create({
    name: "every",
    executorName: "a",
    every: "1s",
    overlapPolicy: "allow",
  });
}

/** The tasks of every executor whose idempotency key is that of fire time `fireAt`. */
async function tasksOfFire(store: Store, scheduleId: string, fireAt: number): Promise<number> {
  let n = 0;
  for (const executorName of ["a", "b"]) {
    const page = await store.taskList({ executorName }, { limit: 1000 });
    n += page.items.filter((t) => t.idempotencyKey === fireKey(scheduleId, fireAt)).length;
  }
  return n;
}

/** Runs `during` once, inside the next call of the store's `verb`, before that call writes. */
function interleave(
  store: Store,
  verb: "scheduleCreate" | "scheduleUpdate" | "scheduleSetFireState",
  during: () => Promise<void>,
): void {
  interleaveOn(store.schedules, verb, during);
}

/** `interleave` for a verb of `target` (the store, or its schedules). */
function interleaveOn<T extends object>(target: T, verb: keyof T, during: () => Promise<void>) {
  const verbs = target as unknown as Record<PropertyKey, (...args: unknown[]) => unknown>;
  const original = verbs[verb as PropertyKey].bind(target);
  verbs[verb as PropertyKey] = async (...args: unknown[]) => {
    verbs[verb as PropertyKey] = original;
    await during();
    return original(...args);
  };
}

eachBackend(
  "a change racing a fire neither moves the next fire time back nor makes the fire time a second task",
  async (backend) => {
    let clock = T;
    await using s = await setup(backend, () => clock);
    const created = await everySecond(s.service);
    assert.equal(created.nextFireAt, T + 1000);
    clock = T + 1100;
    // The change read the schedule before the fire; the fire lands before the change writes.
    interleave(s.store, "scheduleUpdate", async () => {
      assert.equal(await s.scheduler.tick(), 1);
    });
    const changed = await s.service.schedules.update("every", { executorName: "b" });
    assert.equal(changed.executorName, "b");
    assert.equal(changed.nextFireAt, T + 2000, "the fired time is not put back");
    assert.deepEqual(changed.lastFires.map((f) => f.fireAt), [T + 1000]);
    assert.equal(changed.lastTaskId, changed.lastFires[0].taskId);
    // Before the fix the next tick fired T + 1000 again, for executor b: a second task.
    assert.equal(await s.scheduler.tick(), 0);
    assert.equal(await tasksOfFire(s.store, created.id, T + 1000), 1);
  },
);

eachBackend(
  "a pause that lands between a fire's read and its write keeps the fire's history line, last task and next fire time",
  async (backend) => {
    let clock = T;
    await using s = await setup(backend, () => clock);
    const created = await everySecond(s.service);
    clock = T + 1100;
    interleave(s.store, "scheduleSetFireState", async () => {
      await s.service.schedules.pause("every");
    });
    assert.equal(await s.scheduler.tick(), 1);
    const after = await s.service.schedules.get("every");
    assert.equal(after.enabled, false, "the pause stays");
    assert.equal(after.nextFireAt, T + 2000, "the fire moved the schedule on");
    assert.deepEqual(after.lastFires.map((f) => [f.fireAt, f.manual]), [[T + 1000, false]]);
    assert.equal(after.lastTaskId, after.lastFires[0].taskId);
    const resumed = await s.service.schedules.resume("every");
    assert.equal(resumed.nextFireAt, T + 2000);
    assert.equal(await s.scheduler.tick(), 0, "the fire is not processed again");
    assert.equal(await tasksOfFire(s.store, created.id, T + 1000), 1);
    assert.equal((await s.service.schedules.get("every")).lastFires.length, 1);
  },
);

eachBackend(
  "a change of timing from a manager whose clock lags never sets the next fire at or before a fire time that fired",
  async (backend) => {
    let clock = T;
    await using s = await setup(backend, () => clock);
    await everySecond(s.service);
    clock = T + 1100;
    assert.equal(await s.scheduler.tick(), 1);
    // A second manager on the same store, 300 ms behind.
    const lagging = new Service(s.store, { now: () => T + 800 });
    await using _schemas = lagging.schemas;
    const changed = await lagging.schedules.update("every", { every: "1s", executorName: "b" });
    assert.equal(changed.nextFireAt, T + 2000);
    assert.equal(await s.scheduler.tick(), 0);
  },
);

eachBackend("creates at once at the schedule limit store exactly the limit", async (backend) => {
  await using s = await setup(backend, () => T, { schedules: 5 });
  await s.service.schedules.create({ name: "s_first", executorName: "a", every: "1h" });
  const outcomes = await Promise.allSettled(
    Array.from(
      { length: 30 },
      (_, i) => s.service.schedules.create({ name: `s${i}`, executorName: "a", every: "1h" }),
    ),
  );
  const refused = outcomes.filter((o) => o.status === "rejected");
  assert.ok(refused.every((o) => o.reason instanceof FailedPreconditionError));
  assert.equal(outcomes.length - refused.length, 4);
  assert.equal(await s.store.schedules.scheduleCount(), 5);
});

eachBackend(
  "20 triggers in the same millisecond make 20 tasks and 20 lines in the history",
  async (backend) => {
    await using s = await setup(backend, () => T + 500);
    await s.service.schedules.create({ name: "every", executorName: "a", every: "1h" });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => s.service.schedules.trigger("every")),
    );
    const taskIds = new Set(answers.map((a) => a.taskId));
    assert.equal(taskIds.size, 20);
    assert.equal((await s.store.taskList({ executorName: "a" }, { limit: 100 })).items.length, 20);
    const history = (await s.service.schedules.get("every")).lastFires;
    assert.equal(history.length, 20);
    assert.ok(history.every((f) => f.manual));
    assert.deepEqual(new Set(history.map((f) => f.taskId)), taskIds);
  },
);

eachBackend(
  "a catch-up runs each missed fire it may (run_each) under overlap skip: its fires do not overlap one another",
  async (backend) => {
    let now = Date.parse("2027-01-01T00:00:00Z");
    await using s = await setup(backend, () => now);
    const created = await s.service.schedules.create({
      name: "catch-up",
      executorName: "a",
      every: "1s",
      overlapPolicy: "skip",
      missedFirePolicy: "run_each",
      maxMissedFires: 3,
    });
    // No manager ran for 12 s: the fires within the grace are on time, the missed ones before them
    // run up to maxMissedFires; none of them is an overlap with another.
    now += 10_000 + FIRE_GRACE_MS;
    const made = await s.scheduler.tick();
    const schedule = await s.service.schedules.get(created.id);
    const fired = schedule.lastFires.filter((f) => f.taskId !== null);
    assert.equal(fired.length, made);
    assert.ok(made >= 4, `${made} tasks: the missed fires ran, 3 of them, and those on time`);
    assert.ok(schedule.lastFires.every((f) => f.skipped !== "overlap"));
    // The next pass meets the last of them still pending: that is an overlap.
    now += 1000;
    assert.equal(await s.scheduler.tick(), 0);
    const after = await s.service.schedules.get(created.id);
    const newest = after.lastFires.reduce((a, b) => (b.fireAt > a.fireAt ? b : a));
    assert.equal(newest.skipped, "overlap");
  },
);

// A create (or move) of what belongs to an executor, with the executor's delete landing between
// the create's read of the executor and its write: before the fix each left a schedule or task
// under a name no executor had (a schedule then fired into `executor_missing` for ever).

eachBackend(
  "an executor deleted between a schedule create's read of it and its insert leaves no schedule",
  async (backend) => {
    let clock = T;
    await using s = await setup(backend, () => clock);
    interleave(s.store, "scheduleCreate", () => s.service.deleteExecutor("a"));
    await assert.rejects(
      () => s.service.schedules.create({ name: "every", executorName: "a", every: "1s" }),
      (error) =>
        error instanceof ExecutorNotFoundError &&
        error.message ===
          'Cannot create schedule: /executorName: Executor "a" does not exist',
    );
    assert.equal(await s.store.executorGet("a"), null);
    assert.equal(await s.store.schedules.scheduleCount(), 0);
    clock = T + 5000;
    assert.equal(await s.scheduler.tick(), 0, "nothing fires into executor_missing");
  },
);

eachBackend(
  "a schedule created as an executor's delete reaches the store: without force the delete is refused, with force it takes the schedule along",
  async (backend) => {
    await using s = await setup(backend, () => T);
    // Before the fix the service counted schedules first: a create landing after that count and
    // before the executor's delete was left without its executor.
    const executor = (await s.store.executorGet("a"))!;
    interleaveOn(s.store, "executorDelete", async () => {
      await s.service.schedules.create({ name: "every", executorName: "a", every: "1s" });
    });
    await assert.rejects(() => s.service.deleteExecutor("a"), FailedPreconditionError);
    assert.ok(await s.store.executorGet(executor.id), "a refused delete keeps the executor");
    await s.service.deleteExecutor("a", { force: true });
    assert.equal(await s.store.schedules.scheduleCount(), 0);
  },
);

eachBackend(
  "an executor deleted between a schedule change's read of it and its write leaves the schedule where it was",
  async (backend) => {
    await using s = await setup(backend, () => T);
    await everySecond(s.service);
    interleave(s.store, "scheduleUpdate", () => s.service.deleteExecutor("b"));
    await assert.rejects(
      () => s.service.schedules.update("every", { executorName: "b", task: { data: 1 } }),
      (error) =>
        error instanceof ExecutorNotFoundError &&
        error.message ===
          'Cannot change schedule: /executorName: Executor "b" does not exist',
    );
    const after = await s.service.schedules.get("every");
    assert.equal(after.executorName, "a");
    assert.equal(after.task.data, null);
    assert.equal(await s.store.schedules.scheduleCount({ executorNames: ["b"] }), 0);
  },
);

eachBackend(
  "an executor deleted between a task create's read of it and its insert leaves no task",
  async (backend) => {
    await using s = await setup(backend, () => T);
    interleaveOn(s.store, "taskInsert", () => s.service.deleteExecutor("a"));
    await assert.rejects(
      () => s.service.createTask({ executorName: "a", data: 1 }),
      (error) =>
        error instanceof NotFoundError &&
        error.message ===
          'Cannot create task: /task/executorName: Executor "a" does not exist',
    );
    // A batch is told as when the read finds the executor missing: each task of it named, 404.
    interleaveOn(s.store, "taskInsert", () => s.service.deleteExecutor("b"));
    await assert.rejects(
      () => s.service.createTasks([{ executorName: "b", data: 1 }, { executorName: "b" }]),
      (error) =>
        error instanceof ExecutorNotFoundError &&
        error.message ===
          'Cannot create task: /tasks/0/executorName: Executor "b" does not exist; /tasks/1/executorName: Executor "b" does not exist',
    );
    assert.deepEqual((await s.store.taskList({}, { limit: 10 })).items, []);
  },
);

eachBackend(
  "a task created as an executor's delete reaches the store: without force the delete is refused, with force it takes the task along",
  async (backend) => {
    await using s = await setup(backend, () => T);
    interleaveOn(s.store, "executorDelete", async () => {
      await s.service.createTask({ executorName: "a", data: 1 });
    });
    await assert.rejects(
      () => s.service.deleteExecutor("a"),
      /1 task is pending or in progress/,
    );
    assert.equal((await s.store.taskList({ executorName: "a" }, { limit: 10 })).items.length, 1);
    await s.service.deleteExecutor("a", { force: true });
    assert.deepEqual((await s.store.taskList({}, { limit: 10 })).items, []);
  },
);

eachBackend(
  "an executor change racing its delete is answered NotFound and does not bring the executor back",
  async (backend) => {
    await using s = await setup(backend, () => T);
    interleaveOn(s.store, "executorUpdate", () => s.service.deleteExecutor("a"));
    await assert.rejects(
      () => s.service.updateExecutor("a", { maxConcurrency: 3 }),
      NotFoundError,
    );
    assert.equal(await s.store.executorGet("a"), null);
  },
);
