/**
 * The SDK `Client` on the producer's stream (`Produce`): its creates, creates that wait and waits
 * for tasks travel as messages on one stream and fail as their own calls would; a manager that
 * does not serve the stream, or a kind of request on it (an older version), gets each as its own
 * call; a wait given up is cancelled on the
 * manager; requests past the stream's cap go as their own calls; the stream's end fails what is
 * open on it. The stream itself, with a raw client, is in grpc_produce_test.ts.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  loadProtocol,
  PRODUCE_NOT_RUN_METADATA_KEY,
  PRODUCE_REQUESTS_IN_FLIGHT,
  withValueBytes,
} from "@tasks-executor/proto";
import {
  Client,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  UnauthenticatedError,
  UnavailableError,
  WaitTimeoutError,
  Worker,
} from "../sdk/mod.ts";
import { guardService } from "../server/grpc/auth.ts";
import { createManagerService } from "../server/grpc/manager_service.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { startTestManager, type TestManager } from "./_manager.ts";
import { StaticWorkers } from "./fixtures/grpc_stack.ts";
import { startSecuredManager } from "./fixtures/secured_manager.ts";
import { PRODUCE_IDLE_MS } from "../sdk/_produce.ts";
import { listenLocal } from "./fixtures/grpc_listen.ts";

const MANAGER_SERVICE = "/taskexecutor.v1.TaskExecutorManagerService";

/** The manager's count of ended gRPC calls of `method`, with status `code` (default: any). */
async function callsOf(manager: TestManager, method: string, code?: string): Promise<number> {
  const scrape = await (await fetch(`${manager.httpUrl}/metrics`)).text();
  let calls = 0;
  for (const line of scrape.split("\n")) {
    if (!line.startsWith("tasks_executor_grpc_requests_total{")) continue;
    if (!line.includes(`method="${MANAGER_SERVICE}/${method}"`)) continue;
    if (code !== undefined && !line.includes(`code="${code}"`)) continue;
    calls += Number(line.split(" ").at(-1));
  }
  return calls;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

Deno.test("Client.createTask, createTaskAndWait and waitForTask(s) travel as messages on one Produce stream, and fail as their own calls would", async () => {
  await using manager = await startTestManager();
  const client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("send_email", {
    taskSchema: {
      type: "object",
      properties: { to: { type: "string", format: "email" } },
      required: ["to"],
    },
  });
  const tasks = await Promise.all(
    ["a", "b", "c"].map((name) => client.createTask("send_email", { to: `${name}@example.com` })),
  );
  assert.deepEqual(tasks.map((t) => t.data), [
    { to: "a@example.com" },
    { to: "b@example.com" },
    { to: "c@example.com" },
  ]);
  const bad = await client.createTask("send_email", { to: "nobody" }).catch((e) => e);
  assert.ok(bad instanceof InvalidArgumentError);
  assert.deepEqual(bad.violations.map((v) => v.field), ["/task/data/to"]);
  assert.ok(await client.createTask("no_such", {}).catch((e) => e) instanceof NotFoundError);
  const once = await client.createTask("send_email", { to: "d@example.com" }, {
    idempotencyKey: "once",
  });
  const again = await client.createTask("send_email", { to: "d@example.com" }, {
    idempotencyKey: "once",
  }).catch((e) => e);
  assert.ok(again instanceof ConflictError, String(again));
  // The error names the task the key made, so that a retried create can read it.
  assert.equal(again.existingTaskId, once.id);
  const againAndWait = await client.createTaskAndWait("send_email", { to: "d@example.com" }, {
    idempotencyKey: "once",
  }).catch((e) => e);
  assert.ok(againAndWait instanceof ConflictError, String(againAndWait));
  assert.equal(againAndWait.existingTaskId, once.id);
  // Other conflicts name no task.
  const taken = await client.createExecutor("send_email").catch((e) => e);
  assert.ok(taken instanceof ConflictError, String(taken));
  assert.equal(taken.existingTaskId, null);
  // A wait: the task is cancelled through another call, and the wait answers it, final.
  let createdId = "";
  const waited = client.createTaskAndWait("send_email", { to: "e@example.com" }, {
    onCreated: (task) => createdId = task.id,
  });
  await until(() => createdId !== "");
  await client.cancelTask(createdId);
  assert.equal((await waited).status, "cancelled");
  // Waits for tasks made before: each answered once final, in the order asked.
  const waiting = client.waitForTasks([tasks[1].id, tasks[0].id]);
  await until(() => manager.service.watch.size === 1);
  await client.cancelTask(tasks[0].id);
  await client.cancelTask(tasks[1].id);
  assert.deepEqual((await waiting).map((t) => [t.id, t.status]), [
    [tasks[1].id, "cancelled"],
    [tasks[0].id, "cancelled"],
  ]);
  assert.equal((await client.waitForTask(createdId)).status, "cancelled");
  const missing = await client.waitForTask("no_such_task").catch((e) => e);
  assert.ok(missing instanceof NotFoundError, String(missing));
  client.close();
  // One stream carried them all; no create or wait was a call of its own.
  await until(() => manager.service.watch.size === 0);
  assert.equal(await callsOf(manager, "CreateTask"), 0);
  assert.equal(await callsOf(manager, "CreateAndWatchTask"), 0);
  assert.equal(await callsOf(manager, "WatchTasks"), 0);
  while (await callsOf(manager, "Produce") === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await callsOf(manager, "Produce"), 1);
});

/**
 * Serves the manager service of this version with `Produce` changed by `produce` (removed when
 * it returns `undefined`), as an older manager would serve it, on a port of its own.
 */
async function olderManager(
  produce: (current: grpc.UntypedHandleCall) => grpc.UntypedHandleCall | undefined,
) {
  const dir = await Deno.makeTempDir({ prefix: "older-manager-" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  const service = new Service(store);
  const protocol = loadProtocol();
  const definition = withValueBytes(protocol.TaskExecutorManagerService.service);
  const implementation = guardService({
    definition,
    implementation: createManagerService({ service, workers: new StaticWorkers() }),
  }, { authenticator: null, streams: null });
  const changed = produce(implementation.Produce);
  if (changed) implementation.Produce = changed;
  else delete implementation.Produce; // grpc-js answers it UNIMPLEMENTED
  const server = new grpc.Server();
  server.addService(definition, implementation);
  const port = await listenLocal(server);
  return {
    address: `127.0.0.1:${port}`,
    service,
    async [Symbol.asyncDispose]() {
      server.forceShutdown();
      await service.schemas[Symbol.asyncDispose]();
      await store[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Creates, a create that waits and a wait for tasks through `client`, each answered right. */
async function produceThrough(client: Client, service: Service): Promise<void> {
  await client.registerExecutor("report");
  const first = await client.createTask("report", { n: 1 });
  const second = await client.createTask("report", { n: 2 });
  assert.deepEqual([first.data, second.data], [{ n: 1 }, { n: 2 }]);
  let createdId = "";
  const waited = client.createTaskAndWait("report", { n: 3 }, {
    onCreated: (task) => createdId = task.id,
  });
  await until(() => createdId !== "");
  await service.cancelTask(createdId);
  assert.equal((await waited).status, "cancelled");
  await service.cancelTask(first.id);
  for (let i = 0; i < 2; i++) {
    assert.equal((await client.waitForTask(first.id)).status, "cancelled");
  }
  const stored = await service.listTasks({ executorName: "report" }, { limit: 10 });
  assert.equal(stored.items.length, 3);
}

Deno.test("a Client whose manager does not serve Produce (an older version) sends each create and wait as its own call", async () => {
  await using older = await olderManager(() => undefined);
  using client = new Client({ address: older.address });
  await produceThrough(client, older.service);
});

for (
  const [code, message] of [
    [grpc.status.UNIMPLEMENTED, "The request sets no kind this manager serves"],
    // What the first managers with Produce (2026-12-04) answered a kind they did not know.
    [grpc.status.INVALID_ARGUMENT, "Message sets no known request: /kind Must be one of create"],
  ] as const
) {
  Deno.test(`a Client whose manager answers a kind of request on Produce ${grpc.status[code]} (an older version) sends that kind as its own call from then on`, async () => {
    const kinds: string[] = [];
    await using older = await olderManager(() =>
    (
      call: grpc.ServerDuplexStream<
        { requestId: number; kind?: string },
        unknown
      >,
    ) => {
      call.sendMetadata(new grpc.Metadata());
      call.on("data", (request) => {
        kinds.push(request.kind ?? "");
        const error = { code, message, details: new Uint8Array(0), existingTaskId: "" };
        call.write({ requestId: request.requestId, error, done: true });
      });
      call.on("end", () => call.end());
    });
    using client = new Client({ address: older.address });
    await produceThrough(client, older.service);
    // Each kind was tried on the stream once.
    assert.deepEqual(kinds.sort(), ["create", "createAndWatch", "watch"]);
  });
}

Deno.test("a wait on the Produce stream given up by its timeout or its signal is cancelled on the manager; the task stays", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("report");
  const timedOut = await client.createTaskAndWait("report", {}, { timeoutMs: 200 })
    .catch((e) => e);
  assert.ok(timedOut instanceof WaitTimeoutError, String(timedOut));
  await until(() => manager.service.watch.size === 0);
  assert.equal((await client.getTask(timedOut.taskId)).status, "pending");

  const stop = new AbortController();
  let createdId = "";
  const aborted = client.createTaskAndWait("report", {}, {
    signal: stop.signal,
    onCreated: (task) => createdId = task.id,
  }).catch((e) => e);
  await until(() => createdId !== "" && manager.service.watch.size === 1);
  stop.abort(new Error("no longer wanted"));
  assert.equal((await aborted).message, "no longer wanted");
  await until(() => manager.service.watch.size === 0);
  assert.equal((await client.getTask(createdId)).status, "pending");
  // The stream goes on: the next create is answered on it.
  assert.equal((await client.createTask("report", {})).status, "pending");
});

Deno.test(`a Client with ${PRODUCE_REQUESTS_IN_FLIGHT} requests open on its Produce stream sends the next as its own call`, async () => {
  // Room for every wait (the default is 1000 in all).
  await using manager = await startTestManager({ env: { MAX_TASK_WATCHERS: "2000" } });
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("report");
  const waits = Array.from(
    { length: PRODUCE_REQUESTS_IN_FLIGHT + 1 },
    () => client.createTaskAndWait("report", {}),
  );
  await until(() => manager.service.watch.size === PRODUCE_REQUESTS_IN_FLIGHT + 1);
  // Every task is cancelled: each wait ends with it.
  let cursor: string | null = null;
  do {
    ({ nextCursor: cursor } = await client.cancelTasks({
      executorName: "report",
      cursor: cursor ?? undefined,
    }));
  } while (cursor !== null);
  for (const ended of await Promise.all(waits)) assert.equal(ended.status, "cancelled");
  // The one past the stream's cap was a call of its own.
  while (await callsOf(manager, "CreateAndWatchTask") === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await callsOf(manager, "CreateAndWatchTask"), 1);
});

Deno.test("a request open when its Produce stream ends after it opened fails with UnavailableError (it may have been made); a stream refused as it opens fails each request as its own call would", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "report" });
  const producer = await secured.key({ name: "p", scopes: ["producer"] });
  using client = new Client({ address: manager.grpcAddress, apiKey: producer.token });
  let createdId = "";
  const waited = client.createTaskAndWait("report", {}, {
    onCreated: (task) => createdId = task.id,
  }).catch((e) => e);
  await until(() => createdId !== "");
  await manager.service.keys.revoke(producer.id);
  const ended = await waited;
  assert.ok(ended instanceof UnavailableError, String(ended));
  assert.ok(ended.cause instanceof UnauthenticatedError, String(ended.cause));
  // The next create opens a new stream, which the manager refuses before serving it: nothing
  // ran, and the error is the one CreateTask would have had.
  const refused = await client.createTask("report", {}).catch((e) => e);
  assert.ok(refused instanceof UnauthenticatedError, String(refused));
  const reader = await secured.key({ name: "r", scopes: ["read"] });
  using readOnly = new Client({ address: manager.grpcAddress, apiKey: reader.token });
  const denied = await readOnly.createTask("report", {}).catch((e) => e);
  assert.ok(denied instanceof PermissionDeniedError, String(denied));
  // A key that may only read waits for tasks all the same.
  const made = await manager.service.createTask({ executorName: "report" });
  await manager.service.cancelTask(made.task.id);
  assert.equal((await readOnly.waitForTask(made.task.id)).status, "cancelled");
  const [stats] = await manager.service.taskStats({ executorName: "report" });
  assert.equal(stats.byStatus.pending, 1);
});

Deno.test("a create not yet answered when its Produce stream ends after it was served fails with UnavailableError: it may have been made", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "report" });
  const producer = await secured.key({ name: "p", scopes: ["producer"] });
  using client = new Client({ address: manager.grpcAddress, apiKey: producer.token });
  // The manager's create waits until the key is revoked, then goes on: the task is made.
  const revoked = Promise.withResolvers<void>();
  let started = false;
  const createTask = manager.service.createTask.bind(manager.service);
  manager.service.createTask = async (...args) => {
    started = true;
    await revoked.promise;
    return createTask(...args);
  };
  const pending = client.createTask("report", {}).catch((e) => e);
  await until(() => started);
  await manager.service.keys.revoke(producer.id);
  revoked.resolve();
  const ended = await pending;
  assert.ok(ended instanceof UnavailableError, String(ended));
  assert.ok(ended.cause instanceof UnauthenticatedError, String(ended.cause));
});

Deno.test("a create open when a stopping manager ends its Produce stream, its trailer saying that what it did not answer was not run, fails as a refused call (UnavailableError, nothing made), not as one that may have been made", async () => {
  for (const notRun of [true, false]) {
    // Serves the stream, reads the create, and ends it as a stopping manager does.
    const ending: grpc.handleBidiStreamingCall<unknown, unknown> = (stream) => {
      stream.sendMetadata(new grpc.Metadata());
      stream.once("data", () => {
        const metadata = new grpc.Metadata();
        if (notRun) metadata.set(PRODUCE_NOT_RUN_METADATA_KEY, "true");
        stream.emit("error", {
          code: grpc.status.UNAVAILABLE,
          details: "The manager is stopping: the requests this stream did not answer were not run",
          metadata,
        });
      });
    };
    await using manager = await olderManager(() => ending);
    using client = new Client({ address: manager.address });
    const failed = await client.createTask("report", {}).catch((e) => e);
    assert.ok(failed instanceof UnavailableError, String(failed));
    if (notRun) {
      assert.match(failed.message, /were not run/);
      assert.doesNotMatch(failed.message, /may have been made/);
    } else {
      assert.match(failed.message, /may have been made/);
    }
  }
});

Deno.test(`a Client ends its Produce stream once nothing was open on it for ${PRODUCE_IDLE_MS} ms, and opens another for its next create`, async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("report");
  await client.createTask("report", {});
  // Its stream ends with OK (the client ended its side) once idle; waited for twice as long.
  for (let waited = 0; await callsOf(manager, "Produce", "OK") === 0; waited += 50) {
    assert.ok(waited < 2 * PRODUCE_IDLE_MS, "the idle stream was not ended");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(await callsOf(manager, "Produce"), 1);
  // The next create opens another.
  assert.equal((await client.createTask("report", {})).status, "pending");
  assert.equal(await callsOf(manager, "CreateTask"), 0);
});

Deno.test("a request with a string that is not well-formed UTF-16 goes as its own call and fails alone: the producer stream and the waits on it go on", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("report");
  const pending = await client.createTask("report", {});
  const waiting = client.waitForTask(pending.id, { timeoutMs: 60_000 });
  await until(() => manager.service.watch.size === 1);
  // A lone surrogate: protobufjs writes it as bytes that are not UTF-8, which the manager refuses
  // (on the stream, it would end the stream for every request on it).
  const badWait = await client.waitForTask("id-\ud800").catch((e) => e);
  assert.ok(badWait instanceof Error, String(badWait));
  const badCreate = await client.createTask("report", {}, { idempotencyKey: "key-\udc00" })
    .catch((e) => e);
  assert.ok(badCreate instanceof Error, String(badCreate));
  assert.match(String(badCreate.message), /UTF-8/);
  // The wait beside them is still open on the stream, and answers its task once final.
  await client.cancelTask(pending.id);
  assert.equal((await waiting).status, "cancelled");
  assert.equal(await callsOf(manager, "Produce"), 0, "the stream is still open");
});

Deno.test("waits on one Produce stream for tasks of 1 MB with results of 1 MB, more than its window holds, all get their tasks as workers end them", async () => {
  await using manager = await startTestManager();
  const big = "x".repeat(1_000_000);
  const worker = new Worker({
    address: manager.grpcAddress,
    executors: [{ name: "echo", concurrency: 8, handler: (data: { text: string }) => data }],
  });
  const running = worker.start();
  try {
    using client = new Client({ address: manager.grpcAddress });
    const ids: string[] = [];
    for (let i = 0; i < 18; i++) ids.push((await client.createTask("echo", { text: big })).id);
    // The waits' answers and their reads of final tasks both wait for the client's window (the
    // SDK's is 4 MiB) as the tasks end.
    const tasks = await Promise.all(ids.map((id) => client.waitForTask(id, { timeoutMs: 30_000 })));
    assert.deepEqual(tasks.map((task) => task.status), ids.map(() => "completed"));
    assert.ok(tasks.every((task) => (task.result as { text: string }).text === big));
  } finally {
    await worker.stop();
    await running;
  }
});

Deno.test("an onCreated or onTask that throws rejects its own call with that error: its wait is cancelled on the manager, the other requests on the Produce stream and the stream go on", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("report");
  const thrown = new Error("onCreated broke");
  let createdId = "";
  const other = client.createTaskAndWait("report", {}, {
    onCreated: (task) => createdId = task.id,
  });
  await until(() => createdId !== "");
  const failed = await client.createTaskAndWait("report", {}, {
    onCreated: () => {
      throw thrown;
    },
  }).catch((e) => e);
  assert.equal(failed, thrown);
  // Only the other wait is open still: the one whose callback threw was cancelled.
  await until(() => manager.service.watch.size === 1);

  const [first, second] = await Promise.all([
    client.createTask("report", {}),
    client.createTask("report", {}),
  ]);
  const notTold = { reason: "onTask broke" };
  const failedWait = client.waitForTasks([first.id], {
    onTask: () => {
      throw notTold;
    },
  }).catch((e) => e);
  const otherWait = client.waitForTasks([second.id]);
  await until(() => manager.service.watch.size === 3);
  await client.cancelTask(first.id);
  assert.equal(await failedWait, notTold);
  await client.cancelTask(second.id);
  assert.deepEqual((await otherWait).map((task) => task.status), ["cancelled"]);
  await client.cancelTask(createdId);
  assert.equal((await other).status, "cancelled");
  // All of it on the one stream, still open: no request went as its own call.
  assert.equal((await client.createTask("report", {})).status, "pending");
  for (const method of ["Produce", "CreateTask", "CreateAndWatchTask", "WatchTasks"]) {
    assert.equal(await callsOf(manager, method), 0, method);
  }
});

Deno.test("an onCreated or onTask that throws an UnavailableError of its own ends its call with that very error: the wait is not taken for lost and watched again", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("report");
  // As a call the callback made to the manager (or to anything else) would fail: UNAVAILABLE (14)
  // or a deadline (4). Both are what a wait answers by watching again, or by its own timeout.
  for (const code of [14, 4]) {
    const mine = new UnavailableError(`the callback's own (${code})`, code);
    const started = performance.now();
    const failed = await client.createTaskAndWait("report", {}, {
      timeoutMs: 3000,
      onCreated: () => {
        throw mine;
      },
    }).catch((e) => e);
    // It waited for the task again, until its timeout (then an UnavailableError of its own or a
    // WaitTimeoutError), or answered the task had it been final.
    assert.equal(failed, mine, `onCreated ${code}: ${failed}`);
    assert.ok(performance.now() - started < 2500, `onCreated ${code}: at once`);

    const task = await client.createTask("report", {});
    const waited = client.waitForTasks([task.id], {
      timeoutMs: 3000,
      onTask: () => {
        throw mine;
      },
    }).catch((e) => e);
    await client.cancelTask(task.id);
    // It answered the cancelled task, as if nothing had been thrown.
    assert.equal(await waited, mine, `onTask ${code}`);
  }
});

Deno.test("an onCreated or onTask that throws rejects its own call with that error when the call goes as its own call (a manager without Produce)", async () => {
  await using older = await olderManager(() => undefined);
  using client = new Client({ address: older.address });
  await client.registerExecutor("report");
  const thrown = new Error("onCreated broke");
  const failed = await client.createTaskAndWait("report", {}, {
    onCreated: () => {
      throw thrown;
    },
  }).catch((e) => e);
  assert.equal(failed, thrown);
  const task = await client.createTask("report", {});
  const failedWait = client.waitForTasks([task.id], {
    onTask: () => {
      throw thrown;
    },
  }).catch((e) => e);
  await until(() => older.service.watch.size === 1);
  await older.service.cancelTask(task.id);
  assert.equal(await failedWait, thrown);
  assert.equal((await client.createTask("report", {})).status, "pending");
});
