/**
 * Results pushed to waiting producers: `WatchTasks` (through `Client.waitForTask(s)`), the REST
 * long poll (`GET /api/v1/tasks/{id}?wait=…`) and event stream (`GET /api/v1/tasks/watch`), the
 * create that waits (`CreateAndWatchTask` through `Client.createTaskAndWait`, `POST
 * /api/v1/tasks?wait=…`), on one manager and across two manager processes sharing a store;
 * unknown ids and the limits.
 */
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import {
  Client,
  InvalidArgumentError,
  NonRetryableError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  type Task,
  WaitTimeoutError,
  Worker,
} from "../sdk/mod.ts";
import { ServiceEvents } from "../server/service/events.ts";
import { Service } from "../server/service/service.ts";
import { TaskWatcher } from "../server/service/task_watch.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { settleReady } from "./fixtures/settle_ready.ts";
import { startTestManager } from "./_manager.ts";
import {
  api,
  type ManagerProc,
  managerSpec,
  startManagerProc,
} from "./fixtures/resilience_cluster.ts";
import { withMongo } from "./fixtures/backends.ts";
import { startGrpcStack } from "./fixtures/grpc_stack.ts";
import { stalledCall, stringsMessage } from "./fixtures/raw_h2.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { tempDir } from "./fixtures/temp_dir.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";

/** A worker whose handler does what the task's data says: complete, fail, or fail for good. */
function outcomeWorker(address: string): Worker {
  const handler = (data: { mode: string }) => {
    if (data.mode === "fail") throw new Error("Failed on purpose");
    if (data.mode === "fatal") throw new NonRetryableError("Not retryable on purpose");
    return { done: data.mode };
  };
  return new Worker({
    address,
    handleSignals: false,
    logger: false,
    shutdownGraceMs: 2000,
    executors: [
      // Dead-letters what does not complete (after one attempt).
      { name: "with_dlq", handler, config: { retryPolicy: { maxAttempts: 1, interval: 10 } } },
      // Fails for good instead: its DLQ is off.
      {
        name: "without_dlq",
        handler,
        config: { retryPolicy: { maxAttempts: 1, interval: 10 }, dlqConfig: { enabled: false } },
      },
    ],
  });
}
Deno.test("a waiter sees completion, failure, dead-lettering and cancellation, each as it happens", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await using worker = outcomeWorker(manager.grpcAddress);
  await worker.start();
  // Never runs on its own: it waits for a cancel.
  const later = await client.createTask("with_dlq", { mode: "ok" }, {
    runAt: Date.now() + 3_600_000,
  });
  const created = await client.createTasks([
    { executorName: "with_dlq", data: { mode: "ok" } },
    { executorName: "without_dlq", data: { mode: "fail" } },
    { executorName: "with_dlq", data: { mode: "fatal" } },
  ]);
  const ids = [...created.map((t) => t.id), later.id];
  const heard: string[] = [];
  const waiting = client.waitForTasks(ids, {
    timeoutMs: 20_000,
    onTask: (task) => {
      heard.push(task.id);
      // Cancelled only once the three others were told: the wait is open and still waiting.
      if (heard.length === 3) void client.cancelTask(later.id);
    },
  });
  const done = await waiting;
  assert.deepEqual(done.map((t) => t.id), ids, "answered in the order asked");
  assert.deepEqual(done.map((t) => t.status), ["completed", "failed", "dlq", "cancelled"]);
  assert.deepEqual(done[0].result, { done: "ok" });
  assert.equal(done[1].errors[0].message, "Failed on purpose");
  assert.equal(done[2].errors[0].message, "Not retryable on purpose");
  assert.equal(heard.at(-1), later.id);
  assert.equal(manager.service.watch.size, 0, "the wait is gone once every task was sent");
  await worker.stop();
});

Deno.test("Client.waitForTask() answers a task final already at once", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const task = await client.createTask("idle", null);
  await client.cancelTask(task.id);
  assert.equal((await client.waitForTask(task.id)).status, "cancelled");
});

Deno.test("a waiter for an id that is no task gets NOT_FOUND (gRPC) and 404 (REST)", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const task = await client.createTask("idle", null);
  const error = await client.waitForTasks([task.id, "no-such-task"]).catch((e) => e);
  assert.ok(error instanceof NotFoundError, String(error));
  assert.match(error.message, /Task "no-such-task" does not exist/);

  const poll = await api(manager.httpUrl, "GET", "/api/v1/tasks/no-such-task?wait=1s");
  assert.equal(poll.status, 404);
  const stream = await api(manager.httpUrl, "GET", `/api/v1/tasks/watch?ids=${task.id},nope`);
  assert.equal(stream.status, 404);
  assert.match(String(stream.body.detail), /Task "nope" does not exist/);
  assert.equal(manager.service.watch.size, 0, "refused waits hold no place");
});

Deno.test("the REST long poll answers once the task is final, or as it stands when the wait ends", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const task = await client.createTask("idle", null);

  const pending = await api(manager.httpUrl, "GET", `/api/v1/tasks/${task.id}?wait=50ms`);
  assert.equal(pending.status, 200);
  assert.equal((pending.body.task as { status: string }).status, "pending");

  const polling = api(manager.httpUrl, "GET", `/api/v1/tasks/${task.id}?wait=60s`);
  await waitUntil(() => manager.service.watch.size === 1);
  const cancelled = await api(manager.httpUrl, "POST", `/api/v1/tasks/${task.id}/cancel`, {});
  assert.equal(cancelled.status, 200);
  const done = await polling;
  assert.equal(done.status, 200);
  assert.deepEqual(done.body.task, cancelled.body.task);
});

Deno.test("the manager stopping ends every wait with UNAVAILABLE: 503 for a long poll, an error event on the stream; a create that waits is answered 201, since it was made (the SDK's waits watch again: sdk_wait_again_test.ts)", async () => {
  const manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const task = await client.createTask("idle", null);
  const polling = api(manager.httpUrl, "GET", `/api/v1/tasks/${task.id}?wait=60s`);
  const streaming = fetch(`${manager.httpUrl}/api/v1/tasks/watch?ids=${task.id}`)
    .then((response) => response.text());
  const creating = api(manager.httpUrl, "POST", "/api/v1/tasks?wait=60s", {
    executorName: "idle",
    data: 2,
  });
  await waitUntil(() => manager.service.watch.size === 3);
  await manager.shutdown();
  const polled = await polling;
  assert.equal(polled.status, 503);
  const events = parseEvents(await streaming);
  assert.equal(events.at(-1)?.event, "error");
  assert.match(JSON.stringify(events.at(-1)?.data), /stopping/);
  // A 503 there told the client to create it again.
  const created = await creating;
  assert.equal(created.status, 201);
  assert.equal((created.body.task as Task).status, "pending");
  assert.equal((created.body.task as Task).data, 2);
});

Deno.test("a WatchTasks call sends its headers once the wait is open, before any task is final: its client knows it reached the manager", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "idle" } });
  const { task } = await stack.call<{ task: { id: string } }>("CreateTask", {
    task: { executorName: "idle" },
  });
  // The deadline only turns a wait for headers that never come into a failure.
  const call = (stack.client as unknown as {
    WatchTasks(request: unknown, options: grpc.CallOptions): grpc.ClientReadableStream<unknown>;
  }).WatchTasks({ taskIds: [task.id] }, { deadline: Date.now() + 10_000 });
  const heard: string[] = [];
  call.on("data", () => heard.push("task"));
  const first = await new Promise((resolve) => {
    call.once("metadata", () => resolve("headers"));
    call.once("error", (error) => resolve(String(error)));
  });
  assert.equal(first, "headers");
  assert.deepEqual(heard, [], "headers before any task");
  call.cancel();
});

Deno.test("the REST task event stream sends each final task, then end", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const a = await client.createTask("idle", 1);
  const b = await client.createTask("idle", 2);
  await client.cancelTask(a.id);
  const response = await fetch(`${manager.httpUrl}/api/v1/tasks/watch?ids=${a.id}&ids=${b.id}`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
  await waitUntil(() => manager.service.watch.size === 1);
  await client.cancelTask(b.id);
  const events = parseEvents(await response.text());
  assert.deepEqual(events.map((e) => e.event), ["task", "task", "end"]);
  assert.deepEqual(events.slice(0, 2).map((e) => (e.data.task as Task).id), [a.id, b.id]);
  assert.ok(events.slice(0, 2).every((e) => (e.data.task as Task).status === "cancelled"));
});

Deno.test("waits are refused past their limits with the field or the limit named", async () => {
  await using manager = await startTestManager({ env: { MAX_TASK_WATCHERS: "1" } });
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const task = await client.createTask("idle", null);

  // The SDK sends at most `limits.watchTaskIds` ids per stream: raised, the manager refuses.
  using greedy = new Client({ address: manager.grpcAddress, limits: { watchTaskIds: 2000 } });
  const ids = Array.from({ length: 1001 }, (_, i) => `id${i}`);
  const tooMany = await greedy.waitForTasks(ids).catch((e) => e);
  assert.ok(tooMany instanceof InvalidArgumentError, String(tooMany));
  assert.deepEqual(tooMany.violations.map((v) => v.field), ["/taskIds"]);
  const many = Array.from({ length: 1001 }, (_, i) => `id${i}`).join(",");
  const refused = await api(manager.httpUrl, "GET", `/api/v1/tasks/watch?ids=${many}`);
  assert.equal(refused.status, 400);
  assert.deepEqual((refused.body.errors as { field: string }[]).map((e) => e.field), ["ids"]);
  const none = await api(manager.httpUrl, "GET", "/api/v1/tasks/watch");
  assert.equal(none.status, 400);

  const longWait = await api(manager.httpUrl, "GET", `/api/v1/tasks/${task.id}?wait=61s`);
  assert.equal(longWait.status, 400);
  assert.deepEqual((longWait.body.errors as { field: string }[]).map((e) => e.field), ["wait"]);
  // The message names every unit the parameter takes: an hour's fraction is one of them.
  assert.match(String(longWait.body.detail), /ms, s, m, h or d; 0 = no wait/);
  const inHours = await api(manager.httpUrl, "GET", `/api/v1/tasks/${task.id}?wait=0.00001h`);
  assert.equal(inHours.status, 200);

  // One wait open (MAX_TASK_WATCHERS=1): the next is refused until it ends.
  const open = client.waitForTask(task.id, { timeoutMs: 20_000 });
  await waitUntil(() => manager.service.watch.size === 1);
  const second = await client.waitForTask(task.id).catch((e) => e);
  assert.ok(second instanceof ResourceExhaustedError, String(second));
  assert.match(second.message, /MAX_TASK_WATCHERS/);
  const busy = await api(manager.httpUrl, "GET", `/api/v1/tasks/${task.id}?wait=1s`);
  assert.equal(busy.status, 503);
  await client.cancelTask(task.id);
  assert.equal((await open).status, "cancelled");
});

Deno.test("waits past MAX_WATCHED_TASKS ids in all are refused with RESOURCE_EXHAUSTED", async () => {
  await using manager = await startTestManager({ env: { MAX_WATCHED_TASKS: "1" } });
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const a = await client.createTask("idle", 1);
  const b = await client.createTask("idle", 2);
  const refused = await client.waitForTasks([a.id, b.id]).catch((e) => e);
  assert.ok(refused instanceof ResourceExhaustedError, String(refused));
  assert.match(refused.message, /MAX_WATCHED_TASKS/);
  await client.cancelTask(a.id);
  assert.equal((await client.waitForTask(a.id)).status, "cancelled", "one id fits");
});

Deno.test("a task deleted while waited for ends the wait with NOT_FOUND", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("doomed", {});
  const task = await client.createTask("doomed", null, { runAt: Date.now() + 3_600_000 });
  const waiting = client.waitForTask(task.id, { timeoutMs: 20_000 }).catch((e) => e);
  await waitUntil(() => manager.service.watch.size === 1);
  await manager.service.deleteExecutor("doomed", { force: true });
  const error = await waiting;
  assert.ok(error instanceof NotFoundError, String(error));
  assert.match(error.message, /was deleted while waited for/);
});

Deno.test("a producer key limited to executors waits only for their tasks", async () => {
  await using manager = await startTestManager({ env: { AUTH: "on" } });
  const admin = await manager.service.keys.create({ name: "ops", scopes: ["admin"] });
  const producer = await manager.service.keys.create({
    name: "shop",
    scopes: ["producer"],
    executors: ["mine"],
  });
  using client = new Client({ address: manager.grpcAddress, apiKey: admin.token });
  await client.registerExecutor("mine", {});
  await client.registerExecutor("theirs", {});
  const mine = await client.createTask("mine", null);
  const theirs = await client.createTask("theirs", null);
  await client.cancelTask(mine.id);
  await client.cancelTask(theirs.id);
  using limited = new Client({ address: manager.grpcAddress, apiKey: producer.token });
  assert.equal((await limited.waitForTask(mine.id)).status, "cancelled");
  // Another executor's task is answered as no task: the key learns nothing of it.
  const denied = await limited.waitForTasks([mine.id, theirs.id]).catch((e) => e);
  assert.ok(denied instanceof NotFoundError, String(denied));
  const notMade = await limited.createTaskAndWait("theirs", null).catch((e) => e);
  assert.ok(notMade instanceof PermissionDeniedError, String(notMade));
  const theirsNow = await manager.service.listTasks({ executorName: "theirs" });
  assert.deepEqual(theirsNow.items.map((t) => t.id), [theirs.id], "nothing more was created");
  const rest = await fetch(`${manager.httpUrl}/api/v1/tasks/${theirs.id}?wait=1s`, {
    headers: { authorization: `Bearer ${producer.token}` },
  });
  await rest.body?.cancel();
  assert.equal(rest.status, 404);
});

// Create and wait in one call ------------------------------------------------------------------

Deno.test("Client.createTaskAndWait() answers each final status, having told of the task as created", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await using worker = outcomeWorker(manager.grpcAddress);
  await worker.start();
  const outcomes: [string, string, string][] = [
    ["with_dlq", "ok", "completed"],
    ["without_dlq", "fail", "failed"],
    ["with_dlq", "fatal", "dlq"],
  ];
  for (const [executor, mode, status] of outcomes) {
    const created: Task[] = [];
    const task = await client.createTaskAndWait(executor, { mode }, {
      timeoutMs: 20_000,
      onCreated: (t) => created.push(t),
    });
    assert.equal(task.status, status, mode);
    assert.equal(created.length, 1);
    assert.equal(created[0].id, task.id);
    assert.ok(["pending", "in_progress"].includes(created[0].status), created[0].status);
  }
  // Cancelled while waited for: it would run only in an hour.
  const cancelled = await client.createTaskAndWait("with_dlq", { mode: "ok" }, {
    runAt: Date.now() + 3_600_000,
    timeoutMs: 20_000,
    onCreated: (t) => void client.cancelTask(t.id),
  });
  assert.equal(cancelled.status, "cancelled");
  assert.equal(manager.service.watch.size, 0, "no wait is left open");
  await worker.stop();
});

Deno.test("a task that ends before its create answers is not missed by the wait", async () => {
  await using dir = await tempDir("tasks-executor-watch-");
  await using store = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  // The store is polled for waits only once an hour: only the read after the create finds it.
  const service = new Service(store, { watchPollMs: 3_600_000 });
  await service.createExecutor({ name: "idle" });
  // Cancelled before the create answers: its finish went by before the wait was registered.
  const { made, watch } = await service.watch.openForNew(async () => {
    const created = await service.createTask({ executorName: "idle", data: null });
    await service.cancelTask(created.task.id);
    return created;
  });
  using _watch = watch;
  const task = await watch.next(AbortSignal.timeout(10_000));
  assert.equal(task?.id, made.task.id);
  assert.equal(task?.status, "cancelled");
});

Deno.test("a refused create-and-wait stores nothing: bad data, an unknown executor, full waits, a bad wait", async () => {
  await using manager = await startTestManager({ env: { MAX_TASK_WATCHERS: "1" } });
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("strict", {
    taskSchema: { type: "object", required: ["n"], properties: { n: { type: "integer" } } },
  });
  const stored = async () => (await manager.service.listTasks({ executorName: "strict" })).items;

  const invalid = await client.createTaskAndWait("strict", { n: "one" }).catch((e) => e);
  assert.ok(invalid instanceof InvalidArgumentError, String(invalid));
  assert.deepEqual(invalid.violations.map((v) => v.field), ["/task/data/n"]);
  const unknown = await client.createTaskAndWait("nobody", { n: 1 }).catch((e) => e);
  assert.ok(unknown instanceof NotFoundError, String(unknown));
  const badWait = await api(manager.httpUrl, "POST", "/api/v1/tasks?wait=61s", {
    executorName: "strict",
    data: { n: 1 },
  });
  assert.equal(badWait.status, 400);
  assert.deepEqual((badWait.body.errors as { field: string }[]).map((e) => e.field), ["wait"]);

  // The one wait this manager serves (MAX_TASK_WATCHERS=1) is taken.
  const held = await client.createTask("strict", { n: 0 });
  const open = client.waitForTask(held.id, { timeoutMs: 20_000 });
  await waitUntil(() => manager.service.watch.size === 1);
  const full = await client.createTaskAndWait("strict", { n: 1 }).catch((e) => e);
  assert.ok(full instanceof ResourceExhaustedError, String(full));
  assert.match(full.message, /MAX_TASK_WATCHERS/);
  const fullRest = await api(manager.httpUrl, "POST", "/api/v1/tasks?wait=1s", {
    executorName: "strict",
    data: { n: 1 },
  });
  assert.equal(fullRest.status, 503);
  assert.deepEqual((await stored()).map((t) => t.id), [held.id], "only the held task exists");
  await client.cancelTask(held.id);
  assert.equal((await open).status, "cancelled");
});

Deno.test("a create-and-wait whose deadline passes throws WaitTimeoutError naming the task, which stays", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  let createdId = "";
  const error = await client.createTaskAndWait("idle", null, {
    timeoutMs: 300,
    onCreated: (t) => (createdId = t.id),
  }).catch((e) => e);
  assert.ok(error instanceof WaitTimeoutError, String(error));
  assert.equal(error.taskId, createdId);
  assert.equal(error.lastStatus, "pending");
  assert.equal((await client.getTask(createdId)).status, "pending");
  await waitUntil(() => manager.service.watch.size === 0);
});

Deno.test("POST /api/v1/tasks?wait= answers the task once final, or as it stands when the wait ends", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const pending = await api(manager.httpUrl, "POST", "/api/v1/tasks?wait=50ms", {
    task: { executorName: "idle", data: 1 },
  });
  assert.equal(pending.status, 201);
  assert.equal((pending.body.task as Task).status, "pending");
  // An empty wait, or 0, is a plain create.
  for (const wait of ["", "0"]) {
    const plain = await api(manager.httpUrl, "POST", `/api/v1/tasks?wait=${wait}`, {
      task: { executorName: "idle", data: 1 },
    });
    assert.deepEqual([plain.status, (plain.body.task as Task).status], [201, "pending"]);
  }

  await using worker = outcomeWorker(manager.grpcAddress);
  await worker.start();
  const done = await api(manager.httpUrl, "POST", "/api/v1/tasks?wait=20s", {
    executorName: "with_dlq",
    data: { mode: "ok" },
  });
  assert.equal(done.status, 201);
  assert.equal((done.body.task as Task).status, "completed");
  assert.deepEqual((done.body.task as Task).result, { done: "ok" });
  await worker.stop();
});

// Across managers ------------------------------------------------------------------------------

/**
 * A producer waits through manager A (over gRPC, the REST long poll and the event stream) for a
 * task that a worker connected only to manager B, a separate process on the same store, runs;
 * and for one it creates and waits for in one call.
 */
async function finishedThroughAnother(a: ManagerProc, b: ManagerProc): Promise<void> {
  using client = new Client({ address: a.grpcAddress });
  await client.registerExecutor("with_dlq", {});
  const task = await client.createTask("with_dlq", { mode: "ok" });
  const waited = client.waitForTask(task.id, { timeoutMs: 60_000 }).catch((e) => e);
  const polled = api(a.url, "GET", `/api/v1/tasks/${task.id}?wait=60s`);
  const streamed = fetch(`${a.url}/api/v1/tasks/watch?ids=${task.id}`).then((r) => r.text());
  // Made and waited for through A in one call.
  const ran = client.createTaskAndWait("with_dlq", { mode: "ok" }, { timeoutMs: 60_000 })
    .catch((e) => e);
  // All four waits are open on A, and the tasks still wait for a worker, before B runs them.
  await waitUntil(async () => (await watchersOf(a)) === 4);
  const current = await api(a.url, "GET", `/api/v1/tasks/${task.id}`);
  assert.equal((current.body.task as { status: string }).status, "pending");
  await using worker = outcomeWorker(b.grpcAddress);
  await worker.start();
  const done = await waited;
  assert.ok(!(done instanceof Error), `${done}\n${a.describe()}`);
  assert.equal(done.status, "completed");
  assert.deepEqual(done.result, { done: "ok" });
  assert.deepEqual(
    (await polled).body.task,
    (await api(b.url, "GET", `/api/v1/tasks/${task.id}`)).body.task,
  );
  const events = parseEvents(await streamed);
  assert.deepEqual(events.map((e) => e.event), ["task", "end"]);
  const created = await ran;
  assert.ok(!(created instanceof Error), `${created}\n${a.describe()}`);
  assert.equal(created.status, "completed");
  await worker.stop();
}

/** Waits open on a manager process, read from its metrics. */
async function watchersOf(manager: ManagerProc): Promise<number> {
  const text = await (await fetch(`${manager.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("tasks_executor_task_watchers "));
  return line ? Number(line.split(" ")[1]) : -1;
}

Deno.test("a waiter on one manager sees a task finished through another manager sharing a SQLite file", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tasks-executor-watch-" });
  try {
    await using a = await startManagerProc("manager-a", managerSpec(dataDir));
    await using b = await startManagerProc("manager-b", managerSpec(dataDir));
    await finishedThroughAnother(a, b);
  } finally {
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});

Deno.test({
  ...skipUnless(
    "a waiter on one manager sees a task finished through another manager sharing a MongoDB",
    MONGO_URI ? null : "TEST_MONGO_URI is not set",
  ),
  // The MongoDB driver keeps sockets and timers in its pool between tests.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "tasks-executor-watch-" });
    const db = `tasks_watch_${Date.now().toString(36)}`;
    try {
      const mongo = { uri: MONGO_URI, db };
      await using a = await startManagerProc("manager-a", managerSpec(dataDir, mongo));
      await using b = await startManagerProc("manager-b", managerSpec(dataDir, mongo));
      await finishedThroughAnother(a, b);
    } finally {
      await withMongo((client) => client.db(db).dropDatabase()).catch(() => {});
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

// Helpers --------------------------------------------------------------------------------------

/** Server-sent events of a finished stream: `event` and parsed `data` of each. */
function parseEvents(text: string): { event: string; data: Record<string, unknown> }[] {
  return text.split("\n\n").flatMap((block) => {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    return event && data ? [{ event, data: JSON.parse(data) }] : [];
  });
}

/** Resolves once `condition` holds, checking every 10 ms (state held elsewhere: no event to await). */
async function waitUntil(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Makes `count` tasks of a new executor `big`, completed with `result`; gives their ids. */
async function completedTasks(
  service: Service,
  store: Store,
  count: number,
  result: string,
): Promise<string[]> {
  await service.createExecutor({ name: "big" });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await service.createTask({ executorName: "big", data: null })).task.id);
  }
  await settleReady(store, "big", {
    limit: count,
    owner: "w",
    settlement: { kind: "completed", result },
  });
  return ids;
}

Deno.test("a wait reads whole tasks only as it hands them over: one whose reader is slow holds ids, not tasks", async () => {
  await using dir = await tempDir("tasks-executor-watch-");
  await using store = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  const service = new Service(store);
  const result = "r".repeat(100_000);
  const ids = await completedTasks(service, store, 5, result);
  const reads: string[] = [];
  const watcher = new TaskWatcher({
    store: {
      taskRefsOf: (refIds) => store.taskRefsOf(refIds),
      taskGet: (id) => {
        reads.push(id);
        return store.taskGet(id);
      },
    },
    events: new ServiceEvents(),
    limits: service.limits,
  });
  using watch = await watcher.open(ids);
  assert.deepEqual(reads, [], "opening a wait on five final tasks read none whole");
  const first = await watch.next();
  assert.equal(first?.result, result);
  assert.deepEqual(reads, [first!.id]);
  const other = ids.find((id) => id !== first!.id)!;
  await store.taskDeleteMany([{ id: other, status: "completed", run: 1 }]);
  const handed: string[] = [first!.id];
  await assert.rejects(
    (async () => {
      for (let task; (task = await watch.next());) handed.push(task.id);
    })(),
    /was deleted while waited for/,
  );
  assert.equal(reads.length, handed.length + 1, "each task was read once, as it was handed over");
  watcher.close();
});

Deno.test("a settle's event hands its tasks to their waits without reading their statuses; a change by hand is read first", async () => {
  await using dir = await tempDir("tasks-executor-watch-");
  await using store = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  const service = new Service(store);
  const events = new ServiceEvents();
  let statusReads = 0;
  const watcher = new TaskWatcher({
    store: {
      taskRefsOf: (refIds) => (statusReads++, store.taskRefsOf(refIds)),
      taskGet: (id) => store.taskGet(id),
    },
    events,
    limits: service.limits,
  });
  await service.createExecutor({ name: "settled" });
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    ids.push((await service.createTask({ executorName: "settled", data: i })).task.id);
  }
  using watch = await watcher.open(ids);
  const afterOpen = statusReads;
  await settleReady(store, "settled", {
    limit: 2,
    owner: "w",
    settlement: (task) => ({ kind: "completed", result: task.data }),
  });
  // As the engine's settler tells of a durable settle: the task is handed over as the event
  // comes, and read whole only as the wait takes it.
  events.emit({ type: "tasks_finished", taskIds: [ids[0]], queuedTaskIds: [] });
  assert.equal(statusReads, afterOpen, "a settle's event read no status");
  assert.equal((await watch.next())?.id, ids[0]);
  // A change by hand (cancel, requeue, …) names tasks that may not be final: read first.
  events.emit({ type: "tasks_changed", executorNames: ["settled"], taskIds: [ids[1]] });
  const second = await watch.next();
  assert.equal(second?.id, ids[1]);
  assert.equal(second?.status, "completed");
  assert.equal(statusReads, afterOpen + 1, "a change by hand was read before it was handed over");
  assert.equal(await watch.next(), null);
  watcher.close();
});

Deno.test("a settle that was only queued (unacknowledged) is read before its task is handed over: one dropped for a lease taken over meanwhile is not final, one that landed is handed over at once", async () => {
  await using dir = await tempDir("tasks-executor-watch-");
  const path = `${dir.path}/tasks.db`;
  // Manager A's store commits queued writes only when a verb runs (no timer within the test);
  // B is another process on the same file.
  await using a = await openSqliteStore({ path, groupCommitDelayMs: 600_000 });
  await using b = await openSqliteStore({ path });
  const service = new Service(a);
  const events = new ServiceEvents();
  let statusRead: Promise<unknown> = Promise.resolve();
  const watcher = new TaskWatcher({
    store: {
      taskRefsOf: (refIds) =>
        (statusRead = a.taskRefsOf(refIds)) as ReturnType<Store["taskRefsOf"]>,
      taskGet: (id) => a.taskGet(id),
    },
    events,
    limits: service.limits,
    pollMs: 600_000,
  });
  await service.createExecutor({ name: "queued" });
  const { task } = await service.createTask({ executorName: "queued", data: 1 });
  using watch = await watcher.open([task.id]);
  const now = Date.now();
  const [leased] = await a.taskClaim({
    executorName: "queued",
    limit: 1,
    leaseMs: 10,
    owner: "w",
    now,
    maxConcurrency: 0,
  });
  // A's settler applies a completion of an unacknowledged executor: queued, answered applied.
  const [queued] = await a.taskSettle([{
    taskId: leased.id,
    leaseToken: leased.leaseToken!,
    settlement: { kind: "completed", result: "lost" },
  }], { writeConcern: "unacknowledged", now });
  assert.equal(queued, true);
  // B rescues the expired lease before A's group commit: A's queued settle will be dropped.
  const [rescued] = await b.taskRescueExpired({
    now: now + 1000,
    limit: 10,
    owner: "r",
    leaseMs: 60_000,
  });
  assert.equal(rescued.id, task.id);
  events.emit({ type: "tasks_finished", taskIds: [], queuedTaskIds: [task.id] });
  await statusRead;
  // Taken now, the wait's next task is the rescuer's completion, not the task in progress.
  const next = watch.next();
  await b.taskSettle([{
    taskId: rescued.id,
    leaseToken: rescued.leaseToken!,
    settlement: { kind: "completed", result: "rescued" },
  }], { now: now + 2000 });
  events.emit({ type: "tasks_finished", taskIds: [task.id], queuedTaskIds: [] });
  const handed = await next;
  assert.equal(handed?.status, "completed");
  assert.equal(handed?.result, "rescued");
  // A queued settle that lands: the read the event asks for hands it over (the poll is 10
  // minutes away; the signal only bounds the test should the read not come).
  const other = (await service.createTask({ executorName: "queued", data: 2 })).task;
  using landed = await watcher.open([other.id]);
  const [lease] = await a.taskClaim({
    executorName: "queued",
    limit: 1,
    leaseMs: 60_000,
    owner: "w",
    now: now + 3000,
    maxConcurrency: 0,
  });
  await a.taskSettle([{
    taskId: lease.id,
    leaseToken: lease.leaseToken!,
    settlement: { kind: "completed", result: "landed" },
  }], { writeConcern: "unacknowledged", now: now + 3000 });
  events.emit({ type: "tasks_finished", taskIds: [], queuedTaskIds: [other.id] });
  const done = await landed.next(AbortSignal.timeout(30_000));
  assert.equal(done?.result, "landed");
  watcher.close();
});

Deno.test("a wait whose signal is aborted hands over no more tasks and reads none, final or not; ready() says when one can be read", async () => {
  await using dir = await tempDir("tasks-executor-watch-");
  await using store = await openSqliteStore({ path: `${dir.path}/tasks.db` });
  const service = new Service(store);
  const ids = await completedTasks(service, store, 3, "r");
  let reads = 0;
  const watcher = new TaskWatcher({
    store: {
      taskRefsOf: (refIds) => store.taskRefsOf(refIds),
      taskGet: (id) => (reads++, store.taskGet(id)),
    },
    events: new ServiceEvents(),
    limits: service.limits,
  });
  using watch = await watcher.open(ids);
  assert.equal(await watch.ready(), true);
  assert.equal(reads, 0, "ready() reads nothing");
  assert.ok(await watch.next());
  const stop = new AbortController();
  stop.abort();
  // Two tasks are final and not handed over: an aborted reader (a cancelled wait, a client gone)
  // gets neither, and neither is read.
  assert.equal(await watch.ready(stop.signal), false);
  assert.equal(await watch.next(stop.signal), null);
  assert.equal(reads, 1);
  watcher.close();
});

Deno.test("WatchTasks sends to a client that does not read no more than its window lets through, and goes on once it reads", async () => {
  await using stack = await startGrpcStack();
  const ids = await completedTasks(stack.service, stack.store, 20, "r".repeat(200_000));
  // Every task the watch hands over is read whole once: the reads count the messages made.
  let reads = 0;
  const taskGet = stack.store.taskGet.bind(stack.store);
  stack.store.taskGet = (id) => {
    reads++;
    return taskGet(id);
  };
  using call = await stalledCall(
    stack.server.port,
    "/taskexecutor.v1.TaskExecutorManagerService/WatchTasks",
    [stringsMessage(1, ids)],
  );
  await waitUntil(() => reads >= 1);
  // Unpaced, the other 19 would be read and queued within this time; paced, none is.
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(reads <= 3, `${reads} of 20 messages made for a client that reads nothing`);
  await call.openWindow(2 ** 30);
  await waitUntil(() => reads === 20);
});
