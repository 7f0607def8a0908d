/**
 * REST and gRPC are two adapters over one Service: the same operations, over the same service,
 * must give the same results and the same errors (status, message and field violations).
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { bucketOf, emptySlot } from "../server/domain/history.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { createHttpApp } from "../server/http/app.ts";
import {
  durationFromMs,
  ENUM_PREFIX,
  existingTaskIdFromMetadata,
  fromEnum,
  jsonOfValue,
  msFromDuration,
  msFromTimestamp,
  timestampFromMs,
  valueFromJson,
  violationsFromMetadata,
} from "@tasks-executor/proto";
import { rejectsWith, startGrpcStack } from "./fixtures/grpc_stack.ts";
import { createEmailExecutor, EMAIL_SCHEMA } from "./fixtures/email_executor.ts";
import { settleReady } from "./fixtures/settle_ready.ts";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

/** The gRPC server of grpc_stack.ts plus the REST app on a real port, over the same Service. */
async function startBoth() {
  const grpcStack = await startGrpcStack();
  const { service } = grpcStack;
  const app = createHttpApp({
    service: grpcStack.service,
    workers: grpcStack.workers,
    limits: DEFAULT_LIMITS,
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
  });
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const base = `http://127.0.0.1:${http.addr.port}/api/v1`;
  const rest = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) as Msg : {} };
  };
  return {
    rest,
    service,
    grpc: grpcStack.call,
    async [Symbol.asyncDispose]() {
      await http.shutdown();
      await grpcStack[Symbol.asyncDispose]();
    },
  };
}

const iso = (time: Msg | null) => {
  const ms = msFromTimestamp(time);
  return ms === undefined ? null : new Date(ms).toISOString();
};

/** A gRPC `Executor` message in the shape of the REST JSON. */
function executorAsRest(e: Msg): Msg {
  // `_jitter`: the loader's name for the synthetic oneof of the `optional` jitter.
  const { interval, maxInterval, _jitter, ...policy } = e.retryPolicy;
  return {
    id: e.id,
    name: e.name,
    enabled: e.enabled,
    writeConcern: { level: fromEnum(ENUM_PREFIX.writeConcernLevel, e.writeConcern.level) },
    retryPolicy: {
      ...policy,
      type: fromEnum(ENUM_PREFIX.retryPolicyType, policy.type),
      interval: msFromDuration(interval),
      maxInterval: msFromDuration(maxInterval),
    },
    dlqConfig: e.dlqConfig,
    taskSchema: jsonOfValue(e.taskSchema),
    timeout: msFromDuration(e.timeout),
    maxConcurrency: e.maxConcurrency,
    rateLimit: rateAsRest(e.rateLimit),
    rateLimitPerKey: rateAsRest(e.rateLimitPerKey),
    maxConcurrencyPerKey: e.maxConcurrencyPerKey,
    groupKeyPointer: e.groupKeyPointer || null,
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

/** A gRPC `RateLimit` message in the shape of the REST JSON (period in ms; unset = none). */
function rateAsRest(rate: Msg | null): Msg | null {
  return rate && { limit: rate.limit, period: msFromDuration(rate.period), burst: rate.burst };
}

/** A gRPC `Task` message in the shape of the REST JSON. */
function taskAsRest(t: Msg): Msg {
  return {
    id: t.id,
    executorName: t.executorName,
    data: jsonOfValue(t.data),
    metadata: t.metadata,
    status: fromEnum(ENUM_PREFIX.taskStatus, t.status),
    priority: t.priority,
    runAt: iso(t.runAt),
    attempt: t.attempt,
    maxAttempts: t.maxAttempts,
    errors: t.errors.map((e: Msg) => ({
      ...e,
      at: iso(e.at),
      run: e.run || null,
      stack: e.stack || null,
    })),
    errorsDropped: t.errorsDropped,
    run: t.run,
    progress: jsonOfValue(t.progress),
    logs: t.logs,
    result: jsonOfValue(t.result),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    startedAt: iso(t.startedAt),
    completedAt: iso(t.completedAt),
    idempotencyKey: t.idempotencyKey || null,
    groupKey: t.groupKey || null,
    workerId: t.workerId || null,
    leaseExpiresAt: iso(t.leaseExpiresAt),
  };
}

Deno.test("REST and gRPC create and read the same executor", async () => {
  await using api = await startBoth();
  const viaRest = await api.rest("POST", "/executors", {
    name: "by_rest",
    retryPolicy: { type: "linear", maxAttempts: 4, interval: 200 },
    taskSchema: EMAIL_SCHEMA,
    timeout: 2500,
    rateLimit: { limit: 100, period: "1s", burst: 20 },
    rateLimitPerKey: { limit: 5, period: 60_000 },
    maxConcurrencyPerKey: 2,
    groupKeyPointer: "/to",
  });
  assert.equal(viaRest.status, 201);
  const { executor: viaGrpc } = await api.grpc<Msg>("CreateExecutor", {
    config: {
      name: "by_grpc",
      retryPolicy: {
        type: "RETRY_POLICY_TYPE_LINEAR",
        maxAttempts: 4,
        interval: durationFromMs(200),
      },
      taskSchema: valueFromJson(EMAIL_SCHEMA),
      timeout: durationFromMs(2500),
      rateLimit: { limit: 100, period: durationFromMs(1000), burst: 20 },
      rateLimitPerKey: { limit: 5, period: durationFromMs(60_000) },
      maxConcurrencyPerKey: 2,
      groupKeyPointer: "/to",
    },
  });
  assert.deepEqual(executorAsRest(viaGrpc).rateLimitPerKey, { limit: 5, period: 60_000, burst: 5 });
  const strip = (e: Msg) => ({ ...e, id: "", name: "", createdAt: "", updatedAt: "" });
  assert.deepEqual(strip(executorAsRest(viaGrpc)), strip(viaRest.body.executor));

  // Each side reads what the other wrote, identically.
  const restOfGrpc = await api.rest("GET", "/executors/by_grpc");
  assert.deepEqual(restOfGrpc.body.executor, executorAsRest(viaGrpc));
  const grpcOfRest = await api.grpc<Msg>("GetExecutor", { id: viaRest.body.executor.id });
  assert.deepEqual(executorAsRest(grpcOfRest.executor), viaRest.body.executor);

  const restList = await api.rest("GET", "/executors");
  const grpcList = await api.grpc<Msg>("ListExecutors", {});
  assert.deepEqual(
    grpcList.executors.map(executorAsRest),
    restList.body.executors,
  );
});

Deno.test("REST and gRPC create, get, list and change the status of tasks alike", async () => {
  await using api = await startBoth();
  await createEmailExecutor({ call: api.grpc });
  const runAt = Date.now() + 3_600_000;
  const viaRest = await api.rest("POST", "/tasks", {
    executorName: "send_email",
    data: { to: "rest@example.com" },
    metadata: { via: "rest" },
    priority: 3,
    runAt: new Date(runAt).toISOString(),
    groupKey: "acme",
  });
  assert.equal(viaRest.status, 201);
  const { task: viaGrpc } = await api.grpc<Msg>("CreateTask", {
    task: {
      executorName: "send_email",
      data: valueFromJson({ to: "grpc@example.com" }),
      metadata: { via: "grpc" },
      priority: 3,
      runAt: timestampFromMs(runAt),
      groupKey: "acme",
    },
  });
  assert.equal(viaGrpc.groupKey, "acme");
  const strip = (t: Msg) => ({
    ...t,
    id: "",
    data: null,
    metadata: {},
    createdAt: "",
    updatedAt: "",
  });
  assert.deepEqual(strip(taskAsRest(viaGrpc)), strip(viaRest.body.task));

  const restOfGrpc = await api.rest("GET", `/tasks/${viaGrpc.id}`);
  assert.deepEqual(restOfGrpc.body.task, taskAsRest(viaGrpc));
  const grpcOfRest = await api.grpc<Msg>("GetTask", { id: viaRest.body.task.id });
  assert.deepEqual(taskAsRest(grpcOfRest.task), viaRest.body.task);

  const restList = await api.rest("GET", "/tasks?executor_name=send_email&limit=10");
  const grpcList = await api.grpc<Msg>("ListTasks", { executorName: "send_email", limit: 10 });
  assert.deepEqual(grpcList.tasks.map(taskAsRest), restList.body.tasks);
  assert.equal(grpcList.tasks.length, 2);

  const restCancel = await api.rest("PUT", `/tasks/${viaGrpc.id}/status`, { status: "cancelled" });
  const grpcCancel = await api.grpc<Msg>("UpdateTaskStatus", {
    id: viaRest.body.task.id,
    status: "TASK_STATUS_CANCELLED",
  });
  assert.equal(restCancel.status, 200);
  assert.equal(restCancel.body.task.status, "cancelled");
  assert.equal(grpcCancel.task.status, "TASK_STATUS_CANCELLED");

  // The same forbidden transition is refused the same way.
  const restRefused = await api.rest("PUT", `/tasks/${viaGrpc.id}/status`, {
    status: "completed",
  });
  const grpcRefused = await rejectsWith(
    api.grpc("UpdateTaskStatus", { id: viaGrpc.id, status: "TASK_STATUS_COMPLETED" }),
    grpc.status.FAILED_PRECONDITION,
  );
  assert.equal(restRefused.status, 409);
  assert.equal(grpcRefused.details, restRefused.body.detail);
});

Deno.test("REST and gRPC change and remove flow control alike", async () => {
  await using api = await startBoth();
  const config = {
    rateLimit: { limit: 10, period: 2000 },
    rateLimitPerKey: { limit: 3 },
    maxConcurrencyPerKey: 4,
    groupKeyPointer: "/customer/id",
  };
  for (const name of ["by_rest", "by_grpc"]) {
    assert.equal((await api.rest("POST", "/executors", { name, ...config })).status, 201);
  }
  const changed = (await api.rest("PUT", "/executors/by_rest", {
    config: { rateLimit: { limit: 0 }, maxConcurrencyPerKey: 0, groupKeyPointer: "" },
  })).body.executor;
  const { executor } = await api.grpc<Msg>("UpdateExecutor", {
    id: "by_grpc",
    config: { rateLimit: { limit: 0 }, maxConcurrencyPerKey: 0, groupKeyPointer: "" },
  });
  const strip = (e: Msg) => ({ ...e, id: "", name: "", createdAt: "", updatedAt: "" });
  assert.deepEqual(strip(executorAsRest(executor)), strip(changed));
  assert.deepEqual(changed.rateLimit, null);
  assert.deepEqual(changed.rateLimitPerKey, { limit: 3, period: 1000, burst: 3 });
  assert.equal(changed.maxConcurrencyPerKey, 0);
  assert.equal(changed.groupKeyPointer, null);

  // Fields left out keep their values on both sides.
  const kept = await api.grpc<Msg>("UpdateExecutor", {
    id: "by_grpc",
    config: { timeout: durationFromMs(900) },
  });
  assert.deepEqual(executorAsRest(kept.executor).rateLimitPerKey, changed.rateLimitPerKey);
});

Deno.test("REST and gRPC refuse a bad rate limit and group key with the same violations", async () => {
  await using api = await startBoth();
  const rest = await api.rest("POST", "/executors", {
    config: {
      name: "limited",
      rateLimit: { limit: 10, period: 0 },
      rateLimitPerKey: { limit: 2_000_000 },
    },
  });
  const viaGrpc = await rejectsWith(
    api.grpc("CreateExecutor", {
      config: {
        name: "limited",
        rateLimit: { limit: 10, period: durationFromMs(0) },
        rateLimitPerKey: { limit: 2_000_000 },
      },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.equal(rest.status, 400);
  assert.equal(viaGrpc.details, rest.body.detail);
  assert.deepEqual(violationsFromMetadata(viaGrpc.metadata), rest.body.errors);
  assert.deepEqual(rest.body.errors.map((e: Msg) => e.field), [
    "/config/rateLimit/period",
    "/config/rateLimitPerKey/limit",
  ]);

  await api.grpc("CreateExecutor", { config: { name: "keyed" } });
  const badKey = "k".repeat(300);
  const restTask = await api.rest("POST", "/tasks", {
    task: { executorName: "keyed", groupKey: badKey },
  });
  const grpcTask = await rejectsWith(
    api.grpc("CreateTask", { task: { executorName: "keyed", groupKey: badKey } }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.equal(restTask.status, 400);
  assert.equal(grpcTask.details, restTask.body.detail);
  assert.deepEqual(violationsFromMetadata(grpcTask.metadata), restTask.body.errors);
  assert.equal(restTask.body.errors[0].field, "/task/groupKey");
});

Deno.test("REST and gRPC refuse data that breaks the schema with the same violations", async () => {
  await using api = await startBoth();
  await createEmailExecutor({ call: api.grpc });
  const rest = await api.rest("POST", "/tasks", {
    task: { executorName: "send_email", data: { to: 42 } },
  });
  const viaGrpc = await rejectsWith(
    api.grpc("CreateTask", {
      task: { executorName: "send_email", data: valueFromJson({ "to": 42 }) },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.equal(rest.status, 400);
  assert.equal(viaGrpc.details, rest.body.detail);
  assert.deepEqual(violationsFromMetadata(viaGrpc.metadata), rest.body.errors);
  assert.equal(rest.body.errors[0].field, "/task/data/to");
});

Deno.test("REST and gRPC answer an unknown executor with the same not-found error", async () => {
  await using api = await startBoth();
  // The same request shape (`{task: {...}}`), the same answer, naming the field by its pointer.
  const restTask = await api.rest("POST", "/tasks", { task: { executorName: "ghost", data: {} } });
  const grpcTask = await rejectsWith(
    api.grpc("CreateTask", { task: { executorName: "ghost", data: valueFromJson({}) } }),
    grpc.status.NOT_FOUND,
  );
  assert.equal(restTask.status, 404);
  assert.equal(grpcTask.details, restTask.body.detail);
  assert.equal(
    grpcTask.details,
    'Cannot create task: /task/executorName: Executor "ghost" does not exist',
  );
  // A bare REST body holds the field at the top.
  const bare = await api.rest("POST", "/tasks", { executorName: "ghost", data: {} });
  assert.equal(bare.status, 404);
  assert.equal(bare.body.detail, grpcTask.details.replace("/task/", "/"));

  const restGet = await api.rest("GET", "/executors/ghost");
  const grpcGet = await rejectsWith(
    api.grpc("GetExecutor", { id: "ghost" }),
    grpc.status.NOT_FOUND,
  );
  assert.equal(restGet.status, 404);
  assert.equal(grpcGet.details, restGet.body.detail);
});

Deno.test("REST and gRPC refuse a duplicate executor name alike", async () => {
  await using api = await startBoth();
  assert.equal((await api.rest("POST", "/executors", { name: "taken" })).status, 201);
  const rest = await api.rest("POST", "/executors", { name: "taken" });
  const viaGrpc = await rejectsWith(
    api.grpc("CreateExecutor", { config: { name: "taken" } }),
    grpc.status.ALREADY_EXISTS,
  );
  assert.equal(rest.status, 409);
  assert.equal(viaGrpc.details, rest.body.detail);
});

Deno.test("REST and gRPC refuse a reused idempotency key alike", async () => {
  await using api = await startBoth();
  await api.grpc("CreateExecutor", { config: { name: "once" } });
  const first = await api.rest("POST", "/tasks", { executorName: "once", idempotencyKey: "k" });
  assert.equal(first.status, 201);
  const rest = await api.rest("POST", "/tasks", { executorName: "once", idempotencyKey: "k" });
  const viaGrpc = await rejectsWith(
    api.grpc("CreateTask", { task: { executorName: "once", idempotencyKey: "k" } }),
    grpc.status.ALREADY_EXISTS,
  );
  assert.equal(rest.status, 409);
  assert.equal(viaGrpc.details, rest.body.detail);
  assert.deepEqual(viaGrpc.metadata.get("existing-task-id"), [first.body.task.id]);
  assert.equal(existingTaskIdFromMetadata(viaGrpc.metadata), first.body.task.id);
  assert.equal(rest.body.task.id, first.body.task.id);
});

Deno.test("REST and gRPC batch creates tell alike which tasks they created", async () => {
  await using api = await startBoth();
  await api.grpc("CreateExecutor", { config: { name: "once" } });
  const used = await api.rest("POST", "/tasks", { executorName: "once", idempotencyKey: "used" });
  // A new key, a key used before, and the new key again within the batch.
  const batch = (fresh: string) =>
    [fresh, "used", fresh].map((idempotencyKey) => ({ executorName: "once", idempotencyKey }));
  const rest = await api.rest("POST", "/tasks/batch", { tasks: batch("rest") });
  assert.equal(rest.status, 201);
  assert.deepEqual(rest.body.created, [true, false, false]);
  for (const view of ["TASK_VIEW_FULL", "TASK_VIEW_BASIC"]) {
    const viaGrpc = await api.grpc<Msg>("CreateTasks", { tasks: batch(view), view });
    assert.deepEqual(viaGrpc.created, rest.body.created, view);
    const ids = viaGrpc.tasks.map((t: Msg) => t.id);
    assert.equal(ids[1], used.body.task.id, view);
    assert.equal(ids[2], ids[0], view);
    assert.notEqual(ids[0], ids[1], view);
  }
});

Deno.test("a time filter of 0 is 1970 on REST and gRPC: bulk calls given it touch nothing", async () => {
  await using api = await startBoth();
  await api.rest("POST", "/executors", { config: { name: "e", enabled: false } });
  const created = await api.rest("POST", "/tasks/batch", {
    tasks: Array.from({ length: 4 }, () => ({ executorName: "e" })),
  });
  const ids: string[] = created.body.tasks.map((t: Msg) => t.id);
  const error = { attempt: 1, message: "x", at: Date.now(), workerId: "w" };
  await settleReady(api.service.store, "e", {
    limit: 4,
    owner: "w",
    settlement: (_, i) =>
      i < 2
        ? { kind: "completed", result: 1 }
        : { kind: "dlq", error, reason: "timeout", queueName: "dlq" },
  });
  const epoch = { seconds: 0, nanos: 0 };
  assert.deepEqual((await api.rest("GET", "/tasks?createdBefore=0")).body.tasks, []);
  assert.equal((await api.rest("DELETE", "/tasks?createdBefore=0")).body.deleted, 0);
  assert.equal((await api.grpc<Msg>("DeleteTasks", { createdBefore: epoch })).deleted, 0);
  assert.equal((await api.grpc<Msg>("RetryTasks", { finishedBefore: epoch })).retried, 0);
  assert.equal((await api.grpc<Msg>("PurgeDlq", { deadBefore: epoch })).deleted, 0);
  assert.equal((await api.rest("DELETE", "/dlq?deadBefore=0")).body.deleted, 0);
  assert.equal((await api.rest("POST", "/dlq/requeue", { deadBefore: 0 })).body.requeued, 0);
  assert.equal((await api.grpc<Msg>("RequeueDlq", { deadBefore: epoch })).requeued, 0);
  const statuses = await Promise.all(
    ids.map(async (id) => (await api.rest("GET", `/tasks/${id}`)).body.task.status),
  );
  assert.deepEqual(statuses.sort(), ["completed", "completed", "dlq", "dlq"]);
});

Deno.test("REST and gRPC read the history of several executors apart, in one read, alike", async () => {
  await using api = await startBoth();
  for (const name of ["alpha", "beta", "gamma"]) {
    await api.grpc("CreateExecutor", { config: { name } });
  }
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const slot = (created: number) => {
    const s = emptySlot();
    s.counts.created = created;
    s.runTimeMs[bucketOf(40)] = created;
    return s;
  };
  await api.service.store.history.historyAdd([
    { executorName: "alpha", minute: minute - 60_000, ...slot(3) },
    { executorName: "beta", minute, ...slot(5) },
    { executorName: "beta", minute: minute - 120_000, ...slot(2) },
  ]);
  const from = new Date(minute - 10 * 60_000).toISOString();
  const to = new Date(minute + 60_000).toISOString();
  const rest = await api.rest(
    "GET",
    `/history?executorNames=gamma,beta,alpha&from=${from}&to=${to}`,
  );
  assert.equal(rest.status, 200, JSON.stringify(rest.body));
  const viaGrpc = await api.grpc<Msg>("GetHistory", {
    executorNames: ["gamma", "beta", "alpha"],
    from: timestampFromMs(Date.parse(from)),
    to: timestampFromMs(Date.parse(to)),
  });
  const created = (points: Msg[]) => points.map((p: Msg) => p.created ?? p.slot.created);
  assert.deepEqual(rest.body.series.map((s: Msg) => s.executorName), ["gamma", "beta", "alpha"]);
  assert.deepEqual(viaGrpc.series.map((s: Msg) => s.executorName), ["gamma", "beta", "alpha"]);
  for (const [i, name] of ["gamma", "beta", "alpha"].entries()) {
    // Each series is what a read of that one executor answers.
    const one = await api.rest("GET", `/history?executorName=${name}&from=${from}&to=${to}`);
    assert.deepEqual(rest.body.series[i].points, one.body.points, name);
    assert.deepEqual(rest.body.series[i].totals, one.body.totals, name);
    assert.deepEqual(created(viaGrpc.series[i].points), created(one.body.points), name);
    assert.equal(viaGrpc.series[i].totals.created, one.body.totals.created, name);
  }
  assert.deepEqual(rest.body.series.map((s: Msg) => s.totals.created), [0, 7, 3]);
  assert.equal(rest.body.totals.created, 10);
  assert.equal(viaGrpc.totals.created, 10);
  assert.deepEqual(created(viaGrpc.points), created(rest.body.points));
  // The same list given as a repeated parameter.
  const repeated = await api.rest(
    "GET",
    `/history?executorNames=gamma&executorNames=beta,alpha&from=${from}&to=${to}`,
  );
  assert.deepEqual(repeated.body, rest.body);

  // Refusals, alike: a missing executor, too many names, a name twice, both parameters.
  const missing = await api.rest("GET", "/history?executorNames=alpha,nosuch");
  assert.equal(missing.status, 404);
  assert.match(missing.body.detail, /Executor "nosuch" does not exist/);
  const grpcMissing = await rejectsWith(
    api.grpc("GetHistory", { executorNames: ["alpha", "nosuch"] }),
    grpc.status.NOT_FOUND,
  );
  assert.equal(grpcMissing.details, missing.body.detail);
  const many = Array.from({ length: 101 }, (_, i) => `e${i}`);
  for (
    const [query, names] of [
      [`executorNames=${many.join(",")}`, many],
      ["executorNames=alpha,alpha", ["alpha", "alpha"]],
      ["executorNames=alpha,Not%20a%20name", ["alpha", "Not a name"]],
    ] as const
  ) {
    const refused = await api.rest("GET", `/history?${query}`);
    assert.equal(refused.status, 400, query);
    assert.deepEqual(refused.body.errors.map((e: Msg) => e.field), ["executorNames"], query);
    const grpcRefused = await rejectsWith(
      api.grpc("GetHistory", { executorNames: names }),
      grpc.status.INVALID_ARGUMENT,
    );
    // gRPC names a request's field as a pointer into the request.
    assert.deepEqual(
      violationsFromMetadata(grpcRefused.metadata),
      refused.body.errors.map((e: Msg) => ({ ...e, field: `/${e.field}` })),
      query,
    );
  }
  const both = await api.rest("GET", "/history?executorName=alpha&executorNames=beta");
  assert.equal(both.status, 400);
  assert.deepEqual(both.body.errors.map((e: Msg) => e.field), ["executorNames"]);
  // A long window over many executors is refused naming step.
  const week = await api.rest(
    "GET",
    `/history?executorNames=alpha,beta,gamma,${many.slice(0, 20).join(",")}&step=1m&from=${
      new Date(minute - 1440 * 60_000).toISOString()
    }`,
  );
  assert.equal(week.status, 400);
  assert.deepEqual(week.body.errors.map((e: Msg) => e.field), ["step"]);
});
