import assert from "node:assert/strict";
import {
  ExecutorChangedError,
  ExecutorNotFoundError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from "../server/domain/errors.ts";
import { Engine } from "../server/engine/engine.ts";
import { Service } from "../server/service/service.ts";
import type { TaskSpans } from "../server/service/task_spans.ts";
import { createLogger } from "../server/log.ts";
import { ServiceEvents } from "../server/service/events.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { PageRequestBounds, Store } from "../server/store/store.ts";
import { ExecutorCache } from "../server/engine/executor_cache.ts";
import { makeExecutor as executor, T0 } from "./store_contract.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import * as grpc from "@grpc/grpc-js";
import { statusCodeOf } from "../server/grpc/status.ts";
import { problemFromError } from "../server/http/problem.ts";
import { storeTests } from "./fixtures/store_backends.ts";
import { newId } from "../server/domain/id.ts";
import { hooked, type Verb } from "./fixtures/hooked.ts";

/** Whether `error` refuses a create for a task's missing executor, naming its `field` (404). */
const refusedNaming = (field: string) => (error: unknown) =>
  error instanceof ExecutorNotFoundError && error.message.includes(`${field}: Executor "`);

Deno.test("ExecutorCache reloads only the executors new or changed since its last reload, and reports the deleted", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  // The store as it is, noting the configurations read (by name) and any read one by one.
  const reads = { get: 0, named: [] as string[][] };
  const counted = hooked(store, {
    executorGet: (own) => (...args) => (reads.get++, own(...args)),
    executorList: (own) => (filter: { names?: string[] }, page: PageRequestBounds) => {
      reads.named.push([...filter.names ?? ["(all)"]].sort());
      return own(filter, page);
    },
  });
  for (const name of ["a", "b", "c"]) await store.executorCreate(executor(name));
  const deleted: string[][] = [];
  let changes = 0;
  const cache = new ExecutorCache(counted, new ServiceEvents(), {
    refreshMs: 3_600_000,
    onChange: () => changes++,
    onDeleted: (names) => deleted.push(names),
    log: createLogger({ level: "error", format: "json" }),
  });
  await cache.start();
  try {
    assert.deepEqual([cache.peek("a")?.name, cache.peek("b")?.name, cache.peek("c")?.name], [
      "a",
      "b",
      "c",
    ]);
    assert.deepEqual(reads, { get: 0, named: [["a", "b", "c"]] }, "one read of the three");
    assert.equal(changes, 1);

    await cache.refresh();
    assert.deepEqual(reads.named.length, 1, "nothing changed: no configuration read");
    assert.equal(changes, 1);

    const b = (await store.executorGet("b"))!;
    await store.executorUpdate({ ...b, enabled: false, updatedAt: T0 + 1 }, {
      basedOn: b.updatedAt,
    });
    await store.executorDelete((await store.executorGet("c"))!.id);
    await store.executorCreate(executor("d"));
    await cache.refresh();
    assert.deepEqual(reads, { get: 0, named: [["a", "b", "c"], ["b", "d"]] }, "b and d, not a");
    assert.equal(cache.peek("b")?.enabled, false);
    assert.equal(cache.peek("c"), undefined);
    assert.equal(cache.peek("d")?.name, "d");
    assert.deepEqual(deleted, [["c"]]);
    assert.equal(changes, 2);
  } finally {
    await cache.stop();
  }
});

/** A manager's engine and service on `store`, creates checked against the engine's copies. */
async function managerOn(store: Store) {
  const events = new ServiceEvents();
  const engine = new Engine({ store, events }, {
    rescueIntervalMs: 3_600_000,
    executorRefreshMs: 3_600_000,
  });
  const service = new Service(store, {
    events,
    handoff: engine.handoff,
    executors: engine.executors,
  });
  await engine.start();
  return {
    engine,
    service,
    async [Symbol.asyncDispose]() {
      service.watch.close();
      await engine.stop();
      await service.schemas[Symbol.asyncDispose]();
    },
  };
}

/**
 * A manager on a fresh file (`mine` its store) and another manager's store on the same file
 * (`other`), all closed and the file removed on dispose.
 */
async function sharedFile() {
  const dir = await tempDir("executor-copies-");
  const mine = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  const other = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  const manager = await managerOn(mine);
  return {
    mine,
    other,
    manager,
    async [Symbol.asyncDispose]() {
      await manager[Symbol.asyncDispose]();
      await other[Symbol.asyncDispose]();
      await mine[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/**
 * Executors "first" (`journaled`) and "second" (`replica_acknowledged`: a batch of both is one
 * insert, at `journaled`), made through `manager` and held in its memory; "second" as made.
 */
async function twoWriteConcerns(manager: Awaited<ReturnType<typeof managerOn>>) {
  await manager.service.createExecutor({ name: "first" });
  const second = await manager.service.createExecutor({
    name: "second",
    writeConcern: { level: "replica_acknowledged" },
  });
  await manager.engine.executors.refresh();
  return second;
}

Deno.test("a create is checked against the executor as stored, not a copy another manager's update left behind: the insert refuses the copy and the create is checked again, one task stored", async () => {
  await using dir = await tempDir("executor-copies-");
  // This manager's store, and another manager's on the same file.
  await using mine = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  await using other = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  let reads = 0;
  const count = (own: Verb): Verb => (...args) => (reads++, own(...args));
  const counted = hooked(mine, { executorGet: count, executorList: count });
  await using manager = await managerOn(counted);
  const made = await manager.service.createExecutor({
    name: "e",
    retryPolicy: { type: "constant", maxAttempts: 3, interval: 1_000 },
  });
  await manager.engine.executors.refresh();
  // Another manager sharing the file changes it; this one's copy stays behind (no reload due).
  await other.executorUpdate({
    ...made,
    retryPolicy: { ...made.retryPolicy, maxAttempts: 7 },
    updatedAt: made.updatedAt + 1,
  }, { basedOn: made.updatedAt });
  assert.equal(manager.engine.executors.peek("e")?.retryPolicy.maxAttempts, 3, "copy behind");

  const { task } = await manager.service.createTask({ executorName: "e", data: 1 });
  assert.equal(task.maxAttempts, 7, "the attempts of the executor as stored");
  const [batched] = await manager.service.createTasks([{ executorName: "e", data: 2 }]);
  assert.equal(batched.task.maxAttempts, 7);
  const stored = await mine.taskList({ executorName: "e" }, { limit: 10 });
  assert.deepEqual(stored.items.map((t) => t.maxAttempts), [7, 7], "each create stored once");

  // The copy found behind is reloaded (no reload was due for an hour): the next create reads
  // no executor from the store.
  const deadline = AbortSignal.timeout(10_000);
  while (manager.engine.executors.peek("e")?.retryPolicy.maxAttempts !== 7) {
    assert.ok(!deadline.aborted, "the copy found behind was never reloaded");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  reads = 0;
  const next = await manager.service.createTask({ executorName: "e", data: 3 });
  assert.equal(next.task.maxAttempts, 7);
  assert.equal(reads, 0, "checked against the copy, which is the executor as stored");
});

Deno.test("a create whose executor changes before each of its inserts is refused after three checks (ExecutorChangedError, UNAVAILABLE), nothing stored", async () => {
  await using real = await openSqliteStore({ path: ":memory:" });
  let inserts = 0;
  // Every insert finds the executor updated since the create read it.
  const changing = (own: Verb): Verb => async (...args) => {
    inserts++;
    const current = (await real.executorGet("e"))!;
    await real.executorUpdate({ ...current, updatedAt: current.updatedAt + 1 }, {
      basedOn: current.updatedAt,
    });
    return await own(...args);
  };
  const store = hooked(real, { taskInsert: changing, taskInsertAndClaim: changing });
  await using manager = await managerOn(store);
  await manager.service.createExecutor({ name: "e" });
  await assert.rejects(
    () => manager.service.createTask({ executorName: "e", data: 1 }),
    (error) =>
      error instanceof ExecutorChangedError && error instanceof UnavailableError &&
      /executor "e" changed while they were being created/.test(error.message) &&
      statusCodeOf(error) === grpc.status.UNAVAILABLE &&
      problemFromError(error).problem.status === 503,
  );
  assert.equal(inserts, 3);
  assert.deepEqual((await real.taskList({}, { limit: 10 })).items, []);
});

Deno.test("a batch over two write concerns whose second executor's copy is behind is refused by its insert, before anything is stored, and checked again: each task stored once, as the store's executors say", async () => {
  await using shared = await sharedFile();
  const { mine, other, manager } = shared;
  const second = await twoWriteConcerns(manager);
  await other.executorUpdate({
    ...second,
    retryPolicy: { ...second.retryPolicy, maxAttempts: 9 },
    updatedAt: second.updatedAt + 1,
  }, { basedOn: second.updatedAt });
  const made = await manager.service.createTasks([
    { executorName: "first", data: 1 },
    { executorName: "second", data: 2 },
  ]);
  assert.deepEqual(made.map(({ task }) => [task.executorName, task.maxAttempts]), [
    ["first", 3],
    ["second", 9],
  ]);
  const stored = (await mine.taskList({}, { limit: 10 })).items;
  assert.deepEqual(stored.map((t) => t.id).sort(), made.map(({ task }) => task.id).sort());
});

Deno.test("an unacknowledged create of an executor another manager deleted, whose copy is still held, is refused as missing, not answered created and dropped", async () => {
  await using shared = await sharedFile();
  const { mine, other, manager } = shared;
  const gone = await manager.service.createExecutor({
    name: "gone",
    writeConcern: { level: "unacknowledged" },
  });
  await manager.engine.executors.refresh();
  assert.equal(await other.executorDelete(gone.id, { force: true }), true);
  assert.ok(manager.engine.executors.peek("gone"), "the copy is still held");
  await assert.rejects(
    () => manager.service.createTask({ executorName: "gone", data: 1 }),
    refusedNaming("/task/executorName"),
  );
  await assert.rejects(
    () => manager.service.createTasks([{ executorName: "gone", data: 1 }]),
    refusedNaming("/tasks/0/executorName"),
  );
  assert.deepEqual((await mine.taskList({}, { limit: 10 })).items, []);
});

Deno.test("an executor's id given where its name belongs finds no executor (a create answers it missing, not a failure of the manager), and an executor named like another's id is found by its name", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  await using manager = await managerOn(store);
  const executor = await manager.service.createExecutor({ name: "named" });
  for (const copies of [true, false]) {
    // Without the engine's copies, the create reads the store, which finds executors by id too.
    const service = copies ? manager.service : new Service(store);
    await assert.rejects(
      () => service.createTask({ executorName: executor.id, data: 1 }),
      (error) => error instanceof NotFoundError && error.message.includes(executor.id),
    );
    await assert.rejects(
      () => service.createTasks([{ executorName: executor.id, data: 1 }]),
      refusedNaming("/tasks/0/executorName"),
    );
  }
  assert.deepEqual((await store.taskList({}, { limit: 10 })).items, []);
  // An executor whose name is another's id is found by that name, not mistaken for the other.
  const twin = await manager.service.createExecutor({ name: executor.id });
  for (const copies of [true, false]) {
    const service = copies ? manager.service : new Service(store);
    const { task } = await service.createTask({ executorName: executor.id, data: 1 });
    assert.equal(task.executorName, twin.name);
    const [made] = await service.createTasks([{ executorName: executor.id, data: 2 }]);
    assert.equal(made.task.executorName, twin.name);
  }
  const schedule = await manager.service.schedules.create({
    name: "twin-every-hour",
    executorName: executor.id,
    every: "1h",
  });
  assert.equal(schedule.executorName, twin.name);
});

Deno.test("two updates of one executor at the same instant apply in turn: each is stored under its own updatedAt, the second on top of the first", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const service = new Service(store, { now: () => T0 });
  await service.createExecutor({ name: "raced" });
  const [a, b] = await Promise.all([
    service.updateExecutor("raced", { timeout: 11_000 }),
    service.updateExecutor("raced", { maxConcurrency: 7 }),
  ]);
  assert.notEqual(a.updatedAt, b.updatedAt, "one version, one configuration");
  const stored = (await store.executorGet("raced"))!;
  assert.equal(stored.timeout, 11_000);
  assert.equal(stored.maxConcurrency, 7);
  assert.equal(stored.updatedAt, Math.max(a.updatedAt, b.updatedAt));
  await service.schemas[Symbol.asyncDispose]();
});

Deno.test("two updates of one executor through two managers at once both apply, whatever their clocks: the one that lost the compare and set is applied again on top of the other, not stored over it", async () => {
  await using shared = await sharedFile();
  await new Service(shared.mine, { now: () => T0 }).createExecutor({ name: "e" });
  // Manager B's clock is behind A's: B's update lands between A's read and A's write.
  const b = new Service(shared.other, { now: () => T0 + 10 });
  let interposed = false;
  const store = hooked(shared.mine, {
    executorUpdate: (own) => async (...args) => {
      if (!interposed) {
        interposed = true;
        await b.updateExecutor("e", { maxConcurrency: 7 });
      }
      return await own(...args);
    },
  });
  const a = new Service(store, { now: () => T0 + 1000 });
  const updated = await a.updateExecutor("e", { timeout: 4_321 });
  assert.deepEqual([updated.timeout, updated.maxConcurrency], [4_321, 7]);
  assert.deepEqual(await shared.other.executorGet("e"), updated);
  await a.schemas[Symbol.asyncDispose]();
  await b.schemas[Symbol.asyncDispose]();
});

Deno.test("a burst of updates of one executor through one manager all apply, each on top of the one before (a fleet of workers registering its configuration at once)", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const service = new Service(store, { now: () => T0 });
  await service.createExecutor({ name: "fleet" });
  const updates = await Promise.all(
    Array.from(
      { length: 12 },
      (_, i) => service.updateExecutor("fleet", { timeout: 1000 + i, maxConcurrency: i + 1 }),
    ),
  );
  assert.equal(new Set(updates.map((u) => u.updatedAt)).size, 12, "one version each");
  const last = updates.reduce((a, b) => a.updatedAt > b.updatedAt ? a : b);
  assert.deepEqual(await store.executorGet("fleet"), last);
  await service.schemas[Symbol.asyncDispose]();
});

Deno.test("updates of one executor through one manager run one after the other whether they name it by id or by name: none is refused by the store for another that came first", async () => {
  await using real = await openSqliteStore({ path: ":memory:" });
  let refused = 0;
  // A store whose writes take a while, so that updates running at once would overlap.
  const store = hooked(real, {
    executorUpdate: (own) => async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      return await own(...args).catch((error: unknown) => {
        if (error instanceof ExecutorChangedError) refused++;
        throw error;
      });
    },
  });
  const service = new Service(store, { now: () => T0 });
  const made = await service.createExecutor({ name: "fleet" });
  const updates = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => service.updateExecutor(i % 2 ? made.id : "fleet", { timeout: 1000 + i }),
    ),
  );
  assert.equal(refused, 0);
  assert.equal(new Set(updates.map((u) => u.updatedAt)).size, 8);
  await service.schemas[Symbol.asyncDispose]();
});

Deno.test("a create a copy refuses is checked against the executor as stored before it is answered when the copy is behind: an update through another manager that lets its data in applies at once (and one through this manager)", async () => {
  await using shared = await sharedFile();
  const { other, manager } = shared;
  const strict = {
    type: "object",
    properties: { a: { type: "number" } },
    additionalProperties: false,
  };
  const made = await manager.service.createExecutor({ name: "strict", taskSchema: strict });
  await manager.engine.executors.refresh();
  await assert.rejects(
    () => manager.service.createTask({ executorName: "strict", data: { b: 1 } }),
    InvalidArgumentError,
    "refused by the schema as stored too",
  );
  // Another manager lets `b` in; this one's copy is behind (no reload due for an hour).
  await other.executorUpdate({
    ...made,
    taskSchema: { ...strict, properties: { ...strict.properties, b: { type: "number" } } },
    updatedAt: made.updatedAt + 1,
  }, { basedOn: made.updatedAt });
  const viaOther = await manager.service.createTask({ executorName: "strict", data: { b: 1 } });
  assert.equal(viaOther.task.status, "pending");
  // This manager lets `c` in: a create right after its answer, before the reload it starts.
  await manager.service.updateExecutor("strict", {
    taskSchema: { ...strict, properties: { ...strict.properties, c: { type: "number" } } },
  });
  const viaThis = await manager.service.createTask({ executorName: "strict", data: { c: 1 } });
  assert.equal(viaThis.task.status, "pending");
});

storeTests(
  "ExecutorCache holds an executor whose id is another executor's name, and that other one",
  async (store) => {
    const named = executor("named");
    const twin = executor(named.id, { id: newId(T0 + 1) });
    await store.executorCreate(twin);
    await store.executorCreate(named);
    const cache = new ExecutorCache(store, new ServiceEvents(), {
      refreshMs: 3_600_000,
      log: createLogger({ level: "error", format: "json" }),
    });
    await cache.start();
    try {
      assert.equal(cache.peek("named")?.id, named.id);
      assert.equal(cache.peek(named.id)?.id, twin.id);
    } finally {
      await cache.stop();
    }
  },
);

Deno.test("a batch over two write concerns naming an executor another manager deleted, its copy still held, is refused whole: its insert stores nothing", async () => {
  await using shared = await sharedFile();
  const { mine, other, manager } = shared;
  const second = await twoWriteConcerns(manager);
  assert.equal(await other.executorDelete(second.id, { force: true }), true);
  await assert.rejects(
    () =>
      manager.service.createTasks([
        { executorName: "first", data: 1 },
        { executorName: "second", data: 2 },
      ]),
    refusedNaming("/tasks/1/executorName"),
  );
  assert.deepEqual((await mine.taskList({}, { limit: 10 })).items, []);
});

Deno.test("a create a copy refuses for a schema that no longer compiles is checked against the executor as stored, which a later update fixed", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const service = new Service(store);
  const stored = await service.createExecutor({ name: "fixed" });
  // A copy of an older version whose schema no longer compiles (as after a library change).
  const broken = { ...stored, taskSchema: { type: "nonsense" }, updatedAt: stored.updatedAt - 1 };
  const copies = new Service(store, {
    executors: { peek: (name) => name === "fixed" ? broken : undefined, refresh: async () => {} },
  });
  try {
    const { task } = await copies.createTask({ executorName: "fixed", data: 1 });
    assert.equal(task.status, "pending");
  } finally {
    await service.schemas[Symbol.asyncDispose]();
    await copies.schemas[Symbol.asyncDispose]();
  }
});

Deno.test("ExecutorCache keeps an executor get() added while a reload read the store: it is not taken for deleted", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  let gate: Promise<void> | null = null;
  let reading: () => void = () => {};
  const read = new Promise<void>((resolve) => (reading = resolve));
  // The reload's list of versions is read, then held until the test opens the gate.
  const gated = hooked(store, {
    executorVersions: (own) => async () => {
      const versions = await own();
      if (gate) {
        reading();
        await gate;
      }
      return versions;
    },
  });
  const deleted: string[][] = [];
  const cache = new ExecutorCache(gated, new ServiceEvents(), {
    refreshMs: 3_600_000,
    onDeleted: (names) => deleted.push(names),
    log: createLogger({ level: "error", format: "json" }),
  });
  await cache.start();
  try {
    let open: () => void = () => {};
    gate = new Promise<void>((resolve) => (open = resolve));
    const reload = cache.refresh();
    await read;
    // Made after the reload read the versions; a worker asks for it meanwhile.
    await store.executorCreate(executor("late"));
    assert.equal((await cache.get("late"))?.name, "late");
    open();
    await reload;
    assert.equal(cache.peek("late")?.name, "late");
    assert.deepEqual(deleted, []);
  } finally {
    await cache.stop();
  }
});

Deno.test("a create checked twice records one span, ended as its answer was: not one failed span per check", async () => {
  await using real = await openSqliteStore({ path: ":memory:" });
  let inserts = 0;
  // The first insert finds the executor changed since the create took its copy.
  const changingOnce = (own: Verb): Verb => async (...args) => {
    if (++inserts === 1) {
      const current = (await real.executorGet("e"))!;
      await real.executorUpdate({ ...current, updatedAt: current.updatedAt + 1 }, {
        basedOn: current.updatedAt,
      });
    }
    return await own(...args);
  };
  const store = hooked(real, { taskInsert: changingOnce, taskInsertAndClaim: changingOnce });
  const ended: unknown[] = [];
  // The spans the service opens and how each ended (the tracing itself is tracing_test.ts's).
  const spans: TaskSpans = {
    create: () => ({
      trace: {
        traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate: null,
      },
      end: (error?: unknown) => void ended.push(error ?? "ok"),
    }),
    dispatched: () => {},
    settled: () => {},
  };
  const service = new Service(store, {
    spans,
    executors: { peek: () => undefined, refresh: async () => {} },
  });
  try {
    await service.createExecutor({ name: "e" });
    const { task } = await service.createTask({ executorName: "e", data: 1 });
    assert.equal(task.status, "pending");
    assert.equal(inserts, 2, "checked twice");
    assert.deepEqual(ended, ["ok"]);
  } finally {
    await service.schemas[Symbol.asyncDispose]();
  }
});

Deno.test("a batch the store refused for an executor deleted meanwhile is answered from the store's refusal, not checked again", async () => {
  await using shared = await sharedFile();
  const { other, manager } = shared;
  const second = await twoWriteConcerns(manager);
  assert.equal(await other.executorDelete(second.id, { force: true }), true);
  let lists = 0;
  const counting = hooked(shared.mine, {
    executorList: (own) => (...args) => (lists++, own(...args)),
  });
  const service = new Service(counting, { executors: manager.engine.executors });
  try {
    await assert.rejects(
      () =>
        service.createTasks([
          { executorName: "first", data: 1 },
          { executorName: "second", data: 2 },
        ]),
      refusedNaming("/tasks/1/executorName"),
    );
    assert.equal(lists, 1, "the refusal's one read of the two executors, and no second check");
  } finally {
    await service.schemas[Symbol.asyncDispose]();
  }
});
