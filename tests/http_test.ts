/**
 * The REST adapter end to end: a real service over SQLite in a temp dir, the hono app under
 * Deno.serve on a free port, and plain fetch calls — every route and every kind of bad input.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { NAME_MESSAGE } from "../server/domain/executor.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import type { WorkerSnapshot } from "../server/engine/workers.ts";
import { ASSETS } from "../server/http/_assets.ts";
import { createHttpApp } from "../server/http/app.ts";
import { eventStreams } from "../server/http/events.ts";
import { ANONYMOUS_ADMIN } from "../server/auth/scopes.ts";
import { ServiceEvents } from "../server/service/events.ts";
import { Hono } from "hono";
import { camelKey } from "../server/http/json.ts";
import { countJsonValues, MEMBER_GIVEN_TWICE } from "@tasks-executor/proto/json-text";
import { escapePointer } from "@tasks-executor/proto/json-value";
import { OPENAPI } from "../server/http/openapi/mod.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { renderAssets } from "../scripts/gen_assets.ts";
import { createLogger, setLogger } from "../server/log.ts";
import { shuffledObjects } from "./fixtures/object_shapes.ts";

const MAX_BODY = 64 * 1024;

interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
}

/** A running app over a fresh store; disposing it stops the server and removes the data. */
async function startApp(
  options: {
    metrics?: () => Promise<string>;
    requestBytes?: number;
    requestObjectShapes?: number;
  } = {},
) {
  const dir = await Deno.makeTempDir({ prefix: "http-test-" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  const service = new Service(store);
  const workers: WorkerSnapshot[] = [];
  const readiness = { ready: true, checks: { store: "ok" } as Record<string, string> };
  const app = createHttpApp({
    service,
    workers: { list: () => workers },
    limits: {
      ...DEFAULT_LIMITS,
      requestBytes: options.requestBytes ?? MAX_BODY,
      requestObjectShapes: options.requestObjectShapes ?? DEFAULT_LIMITS.requestObjectShapes,
    },
    readiness: () => Promise.resolve(readiness),
    metrics: options.metrics,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  const base = `http://127.0.0.1:${server.addr.port}`;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    init: { headers?: Record<string, string>; raw?: BodyInit } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...init.headers };
    let payload: BodyInit | undefined = init.raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] ??= "application/json";
    }
    // A POST without a JSON content type is refused as possibly cross-site, even without a body.
    if (method === "POST" && payload === undefined) headers["content-type"] ??= "application/json";
    const response = await fetch(base + path, { method, headers, body: payload });
    const text = await response.text();
    const type = response.headers.get("content-type") ?? "";
    return {
      status: response.status,
      headers: response.headers,
      body: type.includes("json") && text !== "" ? JSON.parse(text) : text,
    };
  }

  return {
    base,
    app,
    service,
    store,
    workers,
    readiness,
    call,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await service.schemas[Symbol.asyncDispose]();
      await store[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

type App = Awaited<ReturnType<typeof startApp>>;

async function createExecutor(app: App, config: Record<string, unknown>) {
  const answer = await app.call("POST", "/api/v1/executors", { config });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.executor;
}

async function createTask(app: App, task: Record<string, unknown>) {
  const answer = await app.call("POST", "/api/v1/tasks", { task });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.task;
}

/** Puts a task into the DLQ the way the engine does: lease it, then settle it as dead. */
async function deadLetter(app: App, executorName: string, data: unknown = {}) {
  const task = await createTask(app, { executorName, data });
  const now = Date.now();
  const claimed = await app.store.taskClaim({
    executorName,
    limit: 1,
    leaseMs: 60_000,
    owner: "w1",
    now,
    maxConcurrency: 0,
  });
  assert.equal(claimed.length, 1);
  const [applied] = await app.store.taskSettle([{
    taskId: claimed[0].id,
    leaseToken: claimed[0].leaseToken!,
    settlement: {
      kind: "dlq",
      error: { attempt: 1, message: "Boom", at: now, workerId: "w1" },
      reason: "max_attempts",
      queueName: "dlq",
    },
  }], { now });
  assert.equal(applied, true);
  return task.id as string;
}

function assertProblem(answer: Answer, status: number) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.headers.get("content-type"), "application/problem+json");
  assert.equal(answer.body.status, status);
  assert.equal(typeof answer.body.type, "string");
  assert.equal(typeof answer.body.title, "string");
  assert.equal(typeof answer.body.detail, "string");
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

// Executors ---------------------------------------------------------------------------------------

Deno.test("executors can be created, read by id or name, listed, merged and deleted", async () => {
  await using app = await startApp();
  const created = await createExecutor(app, { name: "send_email", retryPolicy: { interval: 500 } });
  assert.equal(created.name, "send_email");
  assert.equal(created.retryPolicy.interval, 500);
  assert.equal(created.retryPolicy.maxAttempts, 3);
  assert.match(created.createdAt, RFC3339);

  assert.equal(
    (await app.call("GET", `/api/v1/executors/${created.id}`)).body.executor.name,
    "send_email",
  );
  assert.equal(
    (await app.call("GET", "/api/v1/executors/send_email")).body.executor.id,
    created.id,
  );
  const list = await app.call("GET", "/api/v1/executors");
  assert.deepEqual(list.body.executors.map((e: { name: string }) => e.name), ["send_email"]);

  const updated = await app.call("PUT", "/api/v1/executors/send_email", {
    config: { retryPolicy: { maxAttempts: 7 }, timeout: 1234 },
  });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.executor.retryPolicy.maxAttempts, 7);
  assert.equal(updated.body.executor.retryPolicy.interval, 500, "fields left out are kept");
  assert.equal(updated.body.executor.timeout, 1234);

  const deleted = await app.call("DELETE", "/api/v1/executors/send_email");
  assert.equal(deleted.status, 204);
  assert.equal(deleted.body, "");
  assertProblem(await app.call("GET", "/api/v1/executors/send_email"), 404);
});

Deno.test("executor errors: duplicate name 409, rename 400, bad config lists every field", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  assertProblem(await app.call("POST", "/api/v1/executors", { config: { name: "a" } }), 409);

  const rename = await app.call("PUT", "/api/v1/executors/a", { config: { name: "b" } });
  assertProblem(rename, 400);
  assert.deepEqual(rename.body.errors.map((e: { field: string }) => e.field), ["/config/name"]);

  const bad = await app.call("POST", "/api/v1/executors", {
    config: { name: "Bad Name", timeout: -1, retryPolicy: { type: "sometimes" }, extra: 1 },
  });
  assertProblem(bad, 400);
  assert.deepEqual(bad.body.errors.map((e: { field: string }) => e.field).sort(), [
    "/config/extra",
    "/config/name",
    "/config/retryPolicy/type",
    "/config/timeout",
  ]);

  const badSchema = await app.call("POST", "/api/v1/executors", {
    config: { name: "c", taskSchema: { type: "not-a-type" } },
  });
  assertProblem(badSchema, 400);
  // The schema checker names the bad keyword inside the schema.
  assert.equal(badSchema.body.errors[0].field, "/config/taskSchema/type");

  const bare = await app.call("POST", "/api/v1/executors", { name: "d", timeout: "soon" });
  assertProblem(bare, 400);
  assert.deepEqual(bare.body.errors.map((e: { field: string }) => e.field), ["/timeout"]);
});

Deno.test("executor durations are whole ms, the timeout 300 ms at least and maxInterval 0 or at least interval: 400 naming each field", async () => {
  await using app = await startApp();
  const odd = await app.call("POST", "/api/v1/executors", {
    config: {
      name: "odd",
      timeout: { seconds: 3, nanos: 500 },
      retryPolicy: { interval: 0.25, maxInterval: "0.0005s" },
      rateLimit: { limit: 4, period: 1.5 },
    },
  });
  assertProblem(odd, 400);
  assert.deepEqual(odd.body.errors.map((e: { field: string }) => e.field), [
    "/config/retryPolicy/interval",
    "/config/retryPolicy/maxInterval",
    "/config/timeout",
    "/config/rateLimit/period",
  ]);
  await createExecutor(app, { name: "t3" });
  const fields = async (config: unknown) => {
    const answer = await app.call("PUT", "/api/v1/executors/t3", { config });
    assertProblem(answer, 400);
    return answer.body.errors.map((e: { field: string; message: string }) =>
      `${e.field}: ${e.message}`
    );
  };
  assert.deepEqual(await fields({ timeout: 1.5 }), [
    '/config/timeout: Must be a whole number of milliseconds: 1500, "1.5s" or {"seconds": 1, "nanos": 500000000} (nanos a multiple of 1000000)',
  ]);
  assert.deepEqual(await fields({ timeout: 1 }), [
    "/config/timeout: Must be between 300 ms and 2592000000 ms",
  ]);
  assert.deepEqual(await fields({ retryPolicy: { interval: 1000, maxInterval: 10 } }), [
    "/config/retryPolicy/maxInterval: Must be 0 (no bound) or at least interval (1000 ms)",
  ]);
  const fine = await app.call("PUT", "/api/v1/executors/t3", {
    config: { timeout: "0.300s", retryPolicy: { interval: { seconds: 1 }, maxInterval: 0 } },
  });
  assert.equal(fine.status, 200);
  assert.equal(fine.body.executor.timeout, 300);
  assert.equal(fine.body.executor.retryPolicy.maxInterval, 0);
});

Deno.test("deleting an executor with pending tasks needs force=true", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "busy" });
  await createTask(app, { executorName: "busy", data: 1 });
  assertProblem(await app.call("DELETE", "/api/v1/executors/busy"), 409);
  const badForce = await app.call("DELETE", "/api/v1/executors/busy?force=perhaps");
  assertProblem(badForce, 400);
  assert.equal(badForce.body.errors[0].field, "force");
  assert.equal((await app.call("DELETE", "/api/v1/executors/busy?force=true")).status, 204);
  assert.equal((await app.call("GET", "/api/v1/tasks")).body.tasks.length, 0);
});

// Tasks -------------------------------------------------------------------------------------------

Deno.test("tasks are created wrapped or bare, read back, and shown with RFC 3339 times", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "work" });
  const wrapped = await createTask(app, {
    executorName: "work",
    data: { n: 1 },
    metadata: { origin: "test" },
    priority: 5,
    runAt: "2030-01-01T00:00:00Z",
  });
  assert.equal(wrapped.status, "pending");
  assert.equal(wrapped.priority, 5);
  assert.equal(wrapped.runAt, "2030-01-01T00:00:00.000Z");
  assert.match(wrapped.createdAt, RFC3339);
  assert.equal(wrapped.startedAt, null);
  assert.deepEqual(wrapped.metadata, { origin: "test" });
  assert.equal("leaseToken" in wrapped, false);

  const bare = await app.call("POST", "/api/v1/tasks", { executorName: "work", data: [1, 2] });
  assert.equal(bare.status, 201);
  assert.deepEqual(bare.body.task.data, [1, 2]);

  const got = await app.call("GET", `/api/v1/tasks/${wrapped.id}`);
  assert.deepEqual(got.body.task, wrapped);

  const bareBad = await app.call("POST", "/api/v1/tasks", { executorName: "work", priority: 1.5 });
  assertProblem(bareBad, 400);
  assert.deepEqual(bareBad.body.errors.map((e: { field: string }) => e.field), ["/priority"]);
  const wrappedBad = await app.call("POST", "/api/v1/tasks", { task: { priority: "high" } });
  assert.deepEqual(wrappedBad.body.errors.map((e: { field: string }) => e.field).sort(), [
    "/task/executorName",
    "/task/priority",
  ]);
  const extra = await app.call("POST", "/api/v1/tasks", { task: { executorName: "work" }, x: 1 });
  assertProblem(extra, 400);
  assert.equal(extra.body.errors[0].field, "/x");

  assertProblem(await app.call("POST", "/api/v1/tasks", { executorName: "nobody" }), 404);
});

Deno.test("a schema violation lists every failing field by JSON pointer and stores nothing", async () => {
  await using app = await startApp();
  await createExecutor(app, {
    name: "mail",
    taskSchema: {
      type: "object",
      required: ["to", "subject", "count"],
      properties: {
        to: { type: "string", format: "email" },
        subject: { type: "string" },
        count: { type: "integer", minimum: 1 },
      },
    },
  });
  const answer = await app.call("POST", "/api/v1/tasks", {
    task: { executorName: "mail", data: { to: "not an address", count: 0 } },
  });
  assertProblem(answer, 400);
  assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field).sort(), [
    "/task/data/count",
    "/task/data/subject",
    "/task/data/to",
  ]);
  for (const error of answer.body.errors) assert.equal(typeof error.message, "string");

  const batch = await app.call("POST", "/api/v1/tasks/batch", {
    tasks: [
      { executorName: "mail", data: { to: "a@example.com", subject: "s", count: 1 } },
      { executorName: "mail", data: { to: "a@example.com", subject: 1, count: 1 } },
    ],
  });
  assertProblem(batch, 400);
  assert.deepEqual(batch.body.errors.map((e: { field: string }) => e.field).sort(), [
    "/tasks/1/data/subject",
  ]);
  // A task naming a missing executor: 404, as a single create, whatever else is wrong, the
  // detail naming the task by its pointer.
  const ghost = await app.call("POST", "/api/v1/tasks/batch", {
    tasks: [
      { executorName: "mail", data: { to: "a@example.com", subject: 1, count: 1 } },
      { executorName: "ghost" },
    ],
  });
  assertProblem(ghost, 404);
  assert.equal(
    ghost.body.detail,
    'Cannot create task: /tasks/1/executorName: Executor "ghost" does not exist',
  );
  // A single create names the field by its pointer too, where its body holds it.
  const bare = await app.call("POST", "/api/v1/tasks", { executorName: "ghost" });
  assertProblem(bare, 404);
  assert.equal(
    bare.body.detail,
    'Cannot create task: /executorName: Executor "ghost" does not exist',
  );
  const wrapped = await app.call("POST", "/api/v1/tasks", { task: { executorName: "ghost" } });
  assertProblem(wrapped, 404);
  assert.equal(
    wrapped.body.detail,
    'Cannot create task: /task/executorName: Executor "ghost" does not exist',
  );
  assert.deepEqual((await app.call("GET", "/api/v1/tasks")).body.tasks, []);
});

Deno.test("an idempotent repeat answers 409 with the existing task", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "once" });
  const first = await createTask(app, { executorName: "once", data: 1, idempotencyKey: "k1" });
  const again = await app.call("POST", "/api/v1/tasks", {
    task: { executorName: "once", data: 2, idempotencyKey: "k1" },
  });
  assertProblem(again, 409);
  assert.equal(again.body.task.id, first.id);
  assert.equal(again.body.task.data, 1);
  assert.match(again.body.detail, /k1/);

  const batch = await app.call("POST", "/api/v1/tasks/batch", {
    tasks: [
      { executorName: "once", idempotencyKey: "k1" },
      { executorName: "once", idempotencyKey: "k2" },
    ],
  });
  assert.equal(batch.status, 201);
  assert.deepEqual(batch.body.created, [false, true]);
  assert.equal(batch.body.tasks[0].id, first.id);
  assert.equal(batch.body.tasks.length, 2);

  const notArray = await app.call("POST", "/api/v1/tasks/batch", { tasks: {} });
  assertProblem(notArray, 400);
  assert.equal(notArray.body.errors[0].field, "/tasks");
});

Deno.test("snake_case keys are accepted, but user data, schemas and metadata keep theirs", async () => {
  await using app = await startApp();
  const executor = await app.call("POST", "/api/v1/executors", {
    config: {
      name: "snake",
      retry_policy: { max_attempts: 9, max_interval: 5000 },
      dlq_config: { queue_name: "snake_dlq" },
      task_schema: {
        type: "object",
        required: ["user_id"],
        properties: { user_id: { type: "integer" } },
      },
    },
  });
  assert.equal(executor.status, 201, JSON.stringify(executor.body));
  assert.equal(executor.body.executor.retryPolicy.maxAttempts, 9);
  assert.equal(executor.body.executor.dlqConfig.queueName, "snake_dlq");
  assert.deepEqual(executor.body.executor.taskSchema.required, ["user_id"]);

  const task = await app.call("POST", "/api/v1/tasks", {
    executor_name: "snake",
    data: { user_id: 7, nested_key: { deep_key: 1 } },
    metadata: { trace_id: "t" },
    idempotency_key: "snake-1",
    run_at: 0,
  });
  assert.equal(task.status, 201, JSON.stringify(task.body));
  assert.deepEqual(task.body.task.data, { user_id: 7, nested_key: { deep_key: 1 } });
  assert.deepEqual(task.body.task.metadata, { trace_id: "t" });
  assert.equal(task.body.task.idempotencyKey, "snake-1");

  const listed = await app.call("GET", "/api/v1/tasks?executor_name=snake");
  assert.equal(listed.body.tasks.length, 1);

  const twice = await app.call("POST", "/api/v1/tasks", {
    executor_name: "snake",
    executorName: "snake",
  });
  assertProblem(twice, 400);
  assert.equal(twice.body.errors[0].field, "/executorName");
});

Deno.test("an unknown body field is named as it was sent, escaped as a JSON pointer", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "snake" });
  const known = ["executorName", "data", "metadata", "priority", "runAt", "idempotencyKey"];
  for (const key of ["__proto__", "_x", "x_", "a__b", "Executor_Name", "a/b~c", "constructor"]) {
    const answer = await app.call("POST", "/api/v1/tasks", { executorName: "snake", [key]: 1 });
    assertProblem(answer, 400);
    assert.deepEqual(answer.body.errors, [
      { field: `/${escapePointer(key)}`, message: "Unknown field" },
    ], key);
  }
  await fc.assert(
    fc.asyncProperty(fc.string({ minLength: 1, maxLength: 12 }), async (key) => {
      fc.pre(!known.includes(camelKey(key)));
      // A name that ends with a backslash is refused before the body is read as an object.
      fc.pre(!key.endsWith("\\"));
      const answer = await app.call("POST", "/api/v1/tasks", { executorName: "snake", [key]: 1 });
      assert.equal(answer.status, 400, key);
      // As sent, or, for a snake_case name, as read: in camelCase ("a_a" is named "/aA").
      assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [
        `/${escapePointer(camelKey(key))}`,
      ]);
    }),
    { numRuns: 200 },
  );
  const { tasks } = (await app.call("GET", "/api/v1/tasks")).body;
  assert.deepEqual(tasks, [], "nothing was stored");
  const nested = [
    ["/api/v1/executors", { config: { name: "n", "a/b": 1 } }, "/config/a~1b"],
    [
      "/api/v1/executors",
      { config: { name: "n", rateLimit: { limit: 1, "~": 1 } } },
      "/config/rateLimit/~0",
    ],
    ["/api/v1/schedules", { name: "s", executorName: "snake", every: "1m", "a/b": 1 }, "/a~1b"],
    [
      "/api/v1/schedules",
      { name: "s", executorName: "snake", every: "1m", task: { "/": 1 } },
      "/task/~1",
    ],
  ] as const;
  for (const [path, body, field] of nested) {
    const answer = await app.call("POST", path, body);
    assertProblem(answer, 400);
    assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [field], path);
  }
});

Deno.test("task lists filter by executor, status and time, and page with cursors", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  await createExecutor(app, { name: "b" });
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) ids.add((await createTask(app, { executorName: "a", data: i })).id);
  const other = await createTask(app, { executorName: "b" });
  await app.call("POST", `/api/v1/tasks/${other.id}/cancel`);

  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const query: string = `executorName=a&limit=2${
      cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""
    }`;
    const page = await app.call("GET", `/api/v1/tasks?${query}`);
    assert.equal(page.status, 200);
    assert.ok(page.body.tasks.length <= 2);
    seen.push(...page.body.tasks.map((t: { id: string }) => t.id));
    cursor = page.body.nextCursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 3);
  assert.deepEqual(new Set(seen), ids);
  assert.equal(seen.length, 5);

  const cancelled = await app.call("GET", "/api/v1/tasks?status=cancelled,completed");
  assert.deepEqual(cancelled.body.tasks.map((t: { id: string }) => t.id), [other.id]);
  const repeated = await app.call("GET", "/api/v1/tasks?status=cancelled&status=pending");
  assert.equal(repeated.body.tasks.length, 6);
  const future = await app.call("GET", "/api/v1/tasks?createdAfter=2999-01-01T00:00:00Z");
  assert.deepEqual(future.body.tasks, []);
  const epoch = await app.call("GET", `/api/v1/tasks?createdBefore=${Date.now() + 60_000}`);
  assert.equal(epoch.body.tasks.length, 6);
});

Deno.test("task status changes go through the allowed transitions only", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "flow" });
  const task = await createTask(app, { executorName: "flow" });

  const cancelled = await app.call("POST", `/api/v1/tasks/${task.id}/cancel`);
  assert.equal(cancelled.status, 200);
  assert.equal(cancelled.body.task.status, "cancelled");
  assertProblem(await app.call("POST", `/api/v1/tasks/${task.id}/cancel`), 409);

  const requeued = await app.call("PUT", `/api/v1/tasks/${task.id}/status`, { status: "pending" });
  assert.equal(requeued.status, 200);
  assert.equal(requeued.body.task.status, "pending");

  assertProblem(
    await app.call("PUT", `/api/v1/tasks/${task.id}/status`, { status: "completed" }),
    409,
  );
  const unknown = await app.call("PUT", `/api/v1/tasks/${task.id}/status`, { status: "done" });
  assertProblem(unknown, 400);
  assert.equal(unknown.body.errors[0].field, "/status");
  // The field is named with what is wrong, never the raw value alone (`{}` once answered
  // `Unknown status "undefined"`, `{"status":["pending"]}` `Unknown status "pending"`).
  const STATUSES = "pending, in_progress, completed, failed, dlq, cancelled, or one by the " +
    "proto's name (TASK_STATUS_PENDING, …) or number (1, 2, 3, 4, 5, 6)";
  for (
    const [input, message] of [
      [{}, "Is required"],
      [{ status: null }, "Is required"],
      [{ status: ["pending"] }, "Must be a string or a number"],
      [{ status: true }, "Must be a string or a number"],
      [{ status: "done" }, `Must be one of ${STATUSES}, not "done"`],
      // The proto's numbers are taken (5 is dlq), its zero and undeclared ones are no status.
      [{ status: 0 }, `Must be one of ${STATUSES}, not 0`],
      [{ status: 7 }, `Must be one of ${STATUSES}, not 7`],
    ] as const
  ) {
    const refused = await app.call("PUT", `/api/v1/tasks/${task.id}/status`, input);
    assertProblem(refused, 400);
    assert.deepEqual(refused.body.errors, [{ field: "/status", message }], JSON.stringify(input));
    assert.equal(refused.body.detail, `Cannot update task status: /status: ${message}`);
  }
  const from = await app.call("PUT", `/api/v1/tasks/${task.id}/status`, {
    status: "cancelled",
    from: ["pending", false, "x", null, 1],
  });
  assertProblem(from, 400);
  assert.deepEqual(from.body.errors, [
    { field: "/from/1", message: "Must be a string or a number" },
    { field: "/from/2", message: `Must be one of ${STATUSES}, not "x"` },
    // An entry of null is no status, not a field left out ("Is required").
    { field: "/from/3", message: "Must be a string or a number" },
    // 1 is pending, named twice.
    { field: "/from/4", message: 'Must not repeat "pending"' },
  ]);
  const extra = await app.call("PUT", `/api/v1/tasks/${task.id}/status`, {
    status: "cancelled",
    why: "x",
  });
  assertProblem(extra, 400);
  assert.equal(extra.body.errors[0].field, "/why");
  assertProblem(await app.call("PUT", "/api/v1/tasks/nope/status", { status: "cancelled" }), 404);
  assertProblem(await app.call("POST", "/api/v1/tasks/nope/cancel"), 404);
});

// Dead letter queue -------------------------------------------------------------------------------

Deno.test("DLQ entries can be listed, read, requeued with new data and deleted", async () => {
  await using app = await startApp();
  await createExecutor(app, {
    name: "dead",
    taskSchema: { type: "object", properties: { n: { type: "integer" } } },
  });
  await createExecutor(app, { name: "other" });
  const first = await deadLetter(app, "dead", { n: 1 });
  const second = await deadLetter(app, "dead", { n: 2 });
  const third = await deadLetter(app, "other");

  const all = await app.call("GET", "/api/v1/dlq");
  assert.equal(all.status, 200);
  assert.equal(all.body.entries.length, 3);
  const page = await app.call("GET", "/api/v1/dlq?executorName=dead&limit=1");
  assert.equal(page.body.entries.length, 1);
  assert.equal(typeof page.body.nextCursor, "string");
  const byExecutor = await app.call("GET", "/api/v1/executors/dead/dlq?reason=max_attempts");
  assert.deepEqual(
    byExecutor.body.entries.map((e: { id: string }) => e.id).sort(),
    [first, second].sort(),
  );
  assertProblem(await app.call("GET", "/api/v1/executors/ghost/dlq"), 404);

  const entry = await app.call("GET", `/api/v1/dlq/${first}`);
  assert.equal(entry.body.entry.reason, "max_attempts");
  assert.equal(entry.body.entry.task.status, "dlq");
  assert.equal(entry.body.entry.task.errors[0].message, "Boom");
  assert.match(entry.body.entry.deadAt, RFC3339);
  assert.match(entry.body.entry.task.errors[0].at, RFC3339);

  const invalid = await app.call("POST", `/api/v1/dlq/${first}/requeue`, { data: { n: "x" } });
  assertProblem(invalid, 400);
  assert.equal(invalid.body.errors[0].field, "/data/n");
  const requeued = await app.call("POST", `/api/v1/dlq/${first}/requeue`, { data: { n: 10 } });
  assert.equal(requeued.status, 200);
  assert.equal(requeued.body.task.status, "pending");
  assert.deepEqual(requeued.body.task.data, { n: 10 });
  assertProblem(await app.call("GET", `/api/v1/dlq/${first}`), 404);

  const plain = await app.call("POST", `/api/v1/dlq/${second}/requeue`);
  assert.equal(plain.status, 200);
  assert.deepEqual(plain.body.task.data, { n: 2 });

  assert.equal((await app.call("DELETE", `/api/v1/dlq/${third}`)).status, 204);
  assertProblem(await app.call("DELETE", `/api/v1/dlq/${third}`), 404);
  assertProblem(await app.call("POST", `/api/v1/dlq/${third}/requeue`), 404);
});

Deno.test("purging the DLQ needs a filter or confirm=true; bulk requeue takes a filter", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "x" });
  await createExecutor(app, { name: "y" });
  await deadLetter(app, "x");
  await deadLetter(app, "x");
  await deadLetter(app, "y");
  await deadLetter(app, "y");

  const unconfirmed = await app.call("DELETE", "/api/v1/dlq");
  assertProblem(unconfirmed, 400);
  assert.equal(unconfirmed.body.errors[0].field, "confirm");
  assert.equal((await app.call("GET", "/api/v1/dlq")).body.entries.length, 4);

  const requeued = await app.call("POST", "/api/v1/dlq/requeue", { executor_name: "x" });
  assert.equal(requeued.status, 200);
  assert.deepEqual(requeued.body, { requeued: 2, failed: 0, nextCursor: null });
  assert.equal((await app.call("GET", "/api/v1/tasks?status=pending")).body.tasks.length, 2);

  const badReason = await app.call("POST", "/api/v1/dlq/requeue", { reason: "bored" });
  assertProblem(badReason, 400);

  await deadLetter(app, "x");
  const purgedOne = await app.call("DELETE", "/api/v1/executors/x/dlq");
  assert.deepEqual(purgedOne.body, { deleted: 1 });
  const filtered = await app.call("DELETE", "/api/v1/dlq?executorName=y&reason=max_attempts");
  assert.deepEqual(filtered.body, { deleted: 2 });

  await deadLetter(app, "y");
  const everything = await app.call("DELETE", "/api/v1/dlq?confirm=true");
  assert.deepEqual(everything.body, { deleted: 1 });
  const deadBefore = await app.call("DELETE", "/api/v1/dlq?deadBefore=not-a-time");
  assertProblem(deadBefore, 400);
  assert.equal(deadBefore.body.errors[0].field, "deadBefore");
});

Deno.test("deleting DLQ entries and executors tells live views (tasks_changed), as every other change to tasks does", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "x" });
  await createExecutor(app, { name: "y" });
  const changed: string[][] = [];
  app.service.events.on((event) => {
    if (event.type === "tasks_changed") changed.push([...event.executorNames].sort());
  });
  const after = async (method: string, path: string, status: number) => {
    changed.length = 0;
    assert.equal((await app.call(method, path)).status, status, `${method} ${path}`);
    return changed.flat();
  };

  const one = await deadLetter(app, "x");
  assert.deepEqual(await after("DELETE", `/api/v1/dlq/${one}`, 204), ["x"]);
  await deadLetter(app, "x");
  assert.deepEqual(await after("DELETE", "/api/v1/executors/x/dlq", 200), ["x"]);
  await deadLetter(app, "y");
  assert.deepEqual(await after("DELETE", "/api/v1/dlq?confirm=true", 200), ["x", "y"]);
  // Nothing deleted: nothing to tell.
  assert.deepEqual(await after("DELETE", "/api/v1/dlq?confirm=true", 200), []);
  // An executor's finished tasks and DLQ entries go with it.
  await deadLetter(app, "y");
  assert.deepEqual(await after("DELETE", "/api/v1/executors/y", 204), ["y"]);
});

// Stats, workers, operations ----------------------------------------------------------------------

Deno.test("stats count tasks per executor and flag pending work with no worker", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "s1" });
  await createExecutor(app, { name: "s2" });
  await createTask(app, { executorName: "s1" });
  await deadLetter(app, "s2");

  let stats = await app.call("GET", "/api/v1/stats");
  assert.equal(stats.status, 200);
  const s1 = stats.body.executors.find((e: { executorName: string }) => e.executorName === "s1");
  assert.equal(s1.byStatus.pending, 1);
  assert.equal(s1.workers, 0);
  assert.equal(s1.noWorkers, true);
  assert.match(s1.oldestPendingAt, RFC3339);
  const s2 = stats.body.executors.find((e: { executorName: string }) => e.executorName === "s2");
  assert.equal(s2.dlqSize, 1);
  assert.equal(s2.noWorkers, false);
  assert.equal(s2.oldestPendingAt, null);

  const now = Date.now();
  app.workers.push({
    workerId: "w-1",
    connectionId: 1,
    executors: ["s1"],
    sdkVersion: "1.0.0",
    connectedAt: now,
    lastHeartbeatAt: now,
    inFlight: 0,
    credits: 4,
    host: "",
    pid: 0,
    runtime: "",
    running: [],
    disconnectedAt: null,
  });
  stats = await app.call("GET", "/api/v1/stats?executorName=s1");
  assert.equal(stats.body.executors.length, 1);
  assert.equal(stats.body.executors[0].workers, 1);
  assert.equal(stats.body.executors[0].noWorkers, false);

  const workers = await app.call("GET", "/api/v1/workers");
  assert.equal(workers.body.workers.length, 1);
  assert.equal(workers.body.workers[0].workerId, "w-1");
  assert.match(workers.body.workers[0].connectedAt, RFC3339);
  assert.equal(workers.body.workers[0].credits, 4);
});

Deno.test("a page of GET /api/v1/workers holds at most 2 MiB as answered (times as text), not as the manager keeps its workers", async () => {
  await using app = await startApp();
  const now = Date.now();
  // 1,500 workers of about 2,000 bytes as kept: 1,000 of them fit 2 MiB so, not as answered.
  for (let i = 0; i < 1500; i++) {
    app.workers.push({
      workerId: `w-${String(i).padStart(4, "0")}`,
      connectionId: i + 1,
      executors: ["e".repeat(2_000)],
      sdkVersion: "1.0.0",
      connectedAt: now,
      lastHeartbeatAt: now,
      inFlight: 0,
      credits: 1,
      host: "",
      pid: 0,
      runtime: "",
      running: [],
      disconnectedAt: now,
    });
  }
  let cursor = "";
  let seen = 0;
  do {
    const answer = await app.call("GET", `/api/v1/workers${cursor && `?cursor=${cursor}`}`);
    assert.equal(answer.status, 200);
    const bytes = new TextEncoder().encode(JSON.stringify(answer.body)).length;
    assert.ok(bytes <= DEFAULT_LIMITS.pageBytes + 1024, `a page of ${bytes} bytes`);
    seen += answer.body.workers.length;
    cursor = encodeURIComponent(answer.body.nextCursor ?? "");
  } while (cursor);
  assert.equal(seen, 1500);
});

Deno.test("health, readiness and metrics endpoints answer", async () => {
  await using app = await startApp({ metrics: () => Promise.resolve("tasks_total 1\n") });
  const health = await app.call("GET", "/healthz");
  assert.deepEqual([health.status, health.body], [200, { status: "ok" }]);
  const ready = await app.call("GET", "/readyz");
  assert.deepEqual([ready.status, ready.body], [200, { status: "ready", checks: { store: "ok" } }]);
  app.readiness.ready = false;
  app.readiness.checks = { store: "unreachable" };
  const notReady = await app.call("GET", "/readyz");
  assert.equal(notReady.status, 503);
  assert.deepEqual(notReady.body.checks, { store: "unreachable" });
  const metrics = await app.call("GET", "/metrics");
  assert.equal(metrics.status, 200);
  assert.equal(metrics.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(metrics.body, "tasks_total 1\n");

  const openapi = await app.call("GET", "/api/v1/openapi.json");
  assert.equal(openapi.status, 200);
  assert.equal(openapi.body.openapi, "3.1.0");
});

Deno.test("metrics answer 404 when they are not enabled", async () => {
  await using app = await startApp();
  assertProblem(await app.call("GET", "/metrics"), 404);
});

Deno.test("an unexpected failure answers a generic 500 and logs the error", async () => {
  await using app = await startApp({
    metrics: () => Promise.reject(new Error("secret internal detail")),
  });
  const lines: string[] = [];
  setLogger(createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }));
  try {
    const answer = await app.call("GET", "/metrics");
    assertProblem(answer, 500);
    assert.doesNotMatch(JSON.stringify(answer.body), /secret/);
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
  }
  const entry = lines.map((line) => JSON.parse(line)).find((e) => e.level === "error");
  assert.equal(entry?.msg, "Unexpected error while answering an HTTP request");
  assert.match(entry?.error?.message, /secret/);
  assert.match(entry?.error?.stack, /http_test\.ts/);
});

// Bad input ---------------------------------------------------------------------------------------

Deno.test("a body the client stops sending is a 400 naming the body, not a 500 with an error logged", async () => {
  await using app = await startApp();
  const lines: string[] = [];
  setLogger(createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }));
  try {
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new Deno.errors.BadResource("connection closed"));
        controller.enqueue(new TextEncoder().encode('{"executorName": "a", "data": ['));
        sent = true;
      },
    });
    const response = await app.app.fetch(
      new Request(`${app.base}/api/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
    );
    assert.equal(response.status, 400);
    const problem = await response.json();
    assert.match(problem.detail, /^Request body cut short: Ended after 31 bytes/);
    assert.deepEqual(problem.errors.map((e: { field: string }) => e.field), [""]);
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
  }
  assert.deepEqual(lines.filter((line) => JSON.parse(line).level === "error"), []);
  assert.deepEqual((await app.call("GET", "/api/v1/tasks")).body.tasks, []);
});

Deno.test("malformed JSON, wrong media types and non-object bodies are refused clearly", async () => {
  await using app = await startApp();
  const malformed = await app.call("POST", "/api/v1/executors", undefined, {
    headers: { "content-type": "application/json" },
    raw: '{"config": {"name": "a",}}',
  });
  assertProblem(malformed, 400);
  assert.match(malformed.body.detail, /^Malformed JSON body/);

  const form = await app.call("POST", "/api/v1/executors", undefined, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    raw: "name=a",
  });
  assertProblem(form, 415);
  const textPlain = await app.call("POST", "/api/v1/tasks", undefined, {
    headers: { "content-type": "text/plain" },
    raw: "{}",
  });
  assertProblem(textPlain, 415);
  const noType = await app.call("POST", "/api/v1/tasks", undefined, {
    raw: new TextEncoder().encode('{"executorName":"a"}'),
  });
  assertProblem(noType, 415);
  // A body in another charset or compressed was read as UTF-8 text ("not valid UTF-8").
  const utf16 = await app.call("POST", "/api/v1/executors", undefined, {
    headers: { "content-type": "application/json; charset=utf-16" },
    raw: '{"config": {"name": "a"}}',
  });
  assertProblem(utf16, 415);
  assert.match(utf16.body.detail, /charset must be utf-8, not "utf-16"/);
  const gzipped = await app.call("POST", "/api/v1/executors", undefined, {
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    raw: new Uint8Array([0x1f, 0x8b, 0x08, 0x00]),
  });
  assertProblem(gzipped, 415);
  assert.match(gzipped.body.detail, /Content-Encoding "gzip" is not supported/);
  const utf8 = await app.call("POST", "/api/v1/executors", undefined, {
    headers: { "content-type": "application/json; charset=UTF-8" },
    raw: '{"config": {"name": "a"}}',
  });
  assert.equal(utf8.status, 201);
  assert.deepEqual((await app.call("GET", "/api/v1/executors")).body.executors.length, 1);

  const array = await app.call("POST", "/api/v1/tasks", [{ executorName: "a" }]);
  assertProblem(array, 400);
  assert.match(array.body.detail, /JSON object/);
  const empty = await app.call("POST", "/api/v1/tasks", undefined, {
    headers: { "content-type": "application/json" },
  });
  assertProblem(empty, 400);
  const badUtf8 = await app.call("POST", "/api/v1/tasks", undefined, {
    headers: { "content-type": "application/json" },
    raw: new Uint8Array([0x7b, 0xff, 0x7d]),
  });
  assertProblem(badUtf8, 400);
  const vendorJson = await app.call("POST", "/api/v1/executors", undefined, {
    headers: { "content-type": "application/vnd.example+json; charset=utf-8" },
    raw: JSON.stringify({ config: { name: "vendor" } }),
  });
  assert.equal(vendorJson.status, 201);
});

Deno.test("bodies over the limit answer 413, whether announced or chunked", async () => {
  await using app = await startApp();
  const big = JSON.stringify({ executorName: "a", data: "x".repeat(MAX_BODY) });
  const announced = await app.call("POST", "/api/v1/tasks", undefined, {
    headers: { "content-type": "application/json" },
    raw: big,
  });
  assertProblem(announced, 413);

  const bytes = new TextEncoder().encode(big);
  let offset = 0;
  const chunked = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 8192));
      offset += 8192;
    },
  });
  const response = await fetch(`${app.base}/api/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: chunked,
  });
  const body = await response.json();
  assert.equal(response.status, 413);
  assert.equal(body.status, 413);
});

Deno.test("unknown routes, wrong methods, bad ids and bad query values never answer 500", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "q" });
  assertProblem(await app.call("GET", "/api/v1/nothing"), 404);
  assertProblem(await app.call("GET", "/nothing/at/all"), 404);
  const wrongMethod = await app.call("PATCH", "/api/v1/tasks");
  assertProblem(wrongMethod, 405);
  assert.equal(wrongMethod.headers.get("allow"), "DELETE, GET, HEAD, POST");
  const literal = await app.call("GET", "/api/v1/tasks/batch/x");
  assertProblem(literal, 404);
  const bulk = await app.call("PUT", "/api/v1/dlq/requeue");
  assertProblem(bulk, 405);
  assert.equal(bulk.headers.get("allow"), "POST", "the literal route wins over /dlq/:id");
  assertProblem(await app.call("GET", "/static/%0D%0Aevil"), 404);

  assertProblem(await app.call("GET", "/api/v1/tasks/does-not-exist"), 404);
  assertProblem(await app.call("GET", "/api/v1/tasks/%E0%A4%A"), 404);
  // An id or name that cannot name anything is a bad argument, named as the path parameter.
  for (
    const [path, field] of [
      [`/api/v1/tasks/${"a".repeat(300)}`, "id"],
      ["/api/v1/dlq/%00", "id"],
      ["/api/v1/executors/..%2F..%2Fetc", "idOrName"],
    ]
  ) {
    const answer = await app.call("GET", path);
    assertProblem(answer, 400);
    assert.equal(answer.body.errors[0].field, field, path);
  }

  for (
    const [path, field] of [
      ["/api/v1/tasks?limit=abc", "limit"],
      ["/api/v1/tasks?limit=0.5", "limit"],
      ["/api/v1/tasks?limit=0", "limit"],
      ["/api/v1/tasks?limit=5000", "limit"],
      ["/api/v1/tasks?limit=-1", "limit"],
      ["/api/v1/tasks?status=sleeping", "status"],
      ["/api/v1/tasks?createdAfter=yesterday", "createdAfter"],
      ["/api/v1/dlq?reason=bored", "reason"],
      ["/api/v1/dlq?limit=abc", "limit"],
      ["/api/v1/executors/q/dlq?limit=x", "limit"],
    ]
  ) {
    const answer = await app.call("GET", path);
    assertProblem(answer, 400);
    assert.equal(answer.body.errors[0].field, field, path);
    assert.match(answer.body.detail, new RegExp(field), path);
  }
  const badCursor = await app.call("GET", "/api/v1/tasks?cursor=%%%garbage");
  assert.ok(badCursor.status === 400 || badCursor.status === 200, String(badCursor.status));
});

Deno.test("a malformed id or name in the path answers 400 naming the path parameter; a well-formed one that names nothing 404", async () => {
  await using app = await startApp();
  for (
    const [method, path, field] of [
      ["GET", "/api/v1/executors/BAD%20NAME", "idOrName"],
      ["PUT", "/api/v1/executors/BAD%20NAME", "idOrName"],
      ["DELETE", "/api/v1/executors/Upper", "idOrName"],
      ["GET", "/api/v1/tasks/a%20b", "id"],
      ["POST", "/api/v1/tasks/a%09b/cancel", "id"],
      ["GET", "/api/v1/dlq/a%0Ab", "id"],
      ["GET", "/api/v1/schedules/Nightly%20Run", "idOrName"],
      ["DELETE", "/api/v1/keys/a%20b", "id"],
      // A key id is 16 lower-case hex digits (the id part of a token): anything else names no key.
      ["DELETE", "/api/v1/keys/zz", "id"],
      ["DELETE", "/api/v1/keys/0123456789ABCDEF", "id"],
      ["DELETE", "/api/v1/keys/0123456789abcdef0", "id"],
      ["DELETE", "/api/v1/keys/0123456789abcde-", "id"],
    ] as const
  ) {
    const answer = await app.call(method, path, method === "PUT" ? { enabled: false } : undefined);
    assertProblem(answer, 400);
    assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [field], path);
  }
  for (
    const path of [
      "/api/v1/executors/nobody",
      "/api/v1/tasks/nope",
      "/api/v1/dlq/nope",
      "/api/v1/schedules/nightly",
    ]
  ) {
    assertProblem(await app.call("GET", path), 404);
  }
  assertProblem(await app.call("DELETE", "/api/v1/keys/0123456789abcdef"), 404);
});

Deno.test("a query parameter the route does not take is refused naming it, and nothing is done", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  await createExecutor(app, { name: "b" });
  const mine = await createTask(app, { executorName: "a", data: {} });
  const theirs = await createTask(app, { executorName: "b", data: {} });

  // A misspelt filter on a confirmed bulk call (as the admin page sends them) would otherwise
  // widen it to every executor's tasks.
  const misspelt = await app.call(
    "POST",
    "/api/v1/tasks/cancel?executr=a&status=pending&confirm=true",
  );
  assertProblem(misspelt, 400);
  assert.equal(misspelt.body.errors[0].field, "executr");
  assert.match(misspelt.body.detail, /^Invalid query parameter executr: Not taken here: POST /);
  assert.match(misspelt.body.detail, /takes executorName, status, /);
  for (const id of [mine.id, theirs.id]) {
    assert.equal((await app.call("GET", `/api/v1/tasks/${id}`)).body.task.status, "pending");
  }

  const batch = await app.call("POST", "/api/v1/tasks/batch?wait=30s", {
    tasks: [{ executorName: "a", data: {} }],
  });
  assertProblem(batch, 400);
  assert.equal(batch.body.errors[0].field, "wait");
  assert.match(batch.body.detail, /takes no query parameters/);
  assert.equal((await app.call("GET", "/api/v1/tasks?executorName=a")).body.tasks.length, 1);

  for (
    const [path, field] of [
      ["/api/v1/tasks?stauts=pending", "stauts"],
      ["/api/v1/executors?x", "x"],
      ["/api/v1/stats?executorName=a&verbose=1", "verbose"],
      [`/api/v1/tasks/${mine.id}?wait=1ms&fields=id`, "fields"],
    ]
  ) {
    const answer = await app.call("GET", path);
    assertProblem(answer, 400);
    assert.equal(answer.body.errors[0].field, field, path);
  }
  // snake_case names are the camelCase ones; an unknown route is still 404.
  const snake = await app.call("GET", "/api/v1/tasks?executor_name=b");
  assert.deepEqual(snake.body.tasks.map((t: { id: string }) => t.id), [theirs.id]);
  assertProblem(await app.call("GET", "/api/v1/nothing?x=1"), 404);
});

Deno.test("a body sent to a route that takes none is refused naming the body, and nothing is done; a body that says nothing passes, whatever its headers", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  await createExecutor(app, { name: "b" });
  const mine = await createTask(app, { executorName: "a", data: {} });
  const theirs = await createTask(app, { executorName: "b", data: {} });

  // The DLQ's requeue takes its filter in the body; sent so to a confirmed bulk cancel, the
  // filter was ignored and every executor's pending tasks were cancelled.
  const cancel = await app.call("POST", "/api/v1/tasks/cancel?confirm=true", {
    executorName: "a",
  });
  assertProblem(cancel, 400);
  assert.equal(cancel.body.errors[0].field, "");
  assert.match(
    cancel.body.detail,
    /^Invalid body: Not taken here: POST \/api\/v1\/tasks\/cancel takes no body/,
  );
  for (const id of [mine.id, theirs.id]) {
    assert.equal((await app.call("GET", `/api/v1/tasks/${id}`)).body.task.status, "pending");
  }

  // Every operation the OpenAPI document declares without a body, as the client would call it.
  const paths = OPENAPI.paths as Record<string, Record<string, { requestBody?: unknown }>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method === "get" || method === "parameters" || operation.requestBody) continue;
      const url = path.replace(/\{[^}]+\}/g, "x");
      const answer = await app.call(method.toUpperCase(), url, {
        reason: "timeout",
        confirm: true,
      });
      assertProblem(answer, 400);
      assert.equal(answer.body.errors[0].field, "", `${method} ${path}`);
    }
  }
  assert.equal((await app.call("GET", "/api/v1/tasks")).body.tasks.length, 2);

  // Bodies that say nothing, as clients send them with a POST: the admin page's `{}`, none,
  // `curl -d ''` (a form type), JSON's null or [] or whitespace, an empty body with any headers.
  // (A POST says JSON or carries a key, else it is refused as possibly cross-site.)
  const json = { "content-type": "application/json" };
  const keyed = { authorization: "Bearer x" };
  const quiet: [BodyInit | undefined, Record<string, string>][] = [
    ["{}", json],
    [undefined, json],
    ["", { ...keyed, "content-type": "application/x-www-form-urlencoded" }],
    ["null", json],
    [" [ ] ", json],
    [" \n\t", json],
    ["", { ...keyed, "content-type": "application/json; charset=iso-8859-1" }],
    ["", { ...keyed, "content-encoding": "gzip" }],
  ];
  for (const [raw, headers] of quiet) {
    const task = await createTask(app, { executorName: "a", data: {} });
    const answer = await app.call("POST", `/api/v1/tasks/${task.id}/cancel`, undefined, {
      raw,
      headers,
    });
    assert.equal(answer.status, 200, JSON.stringify([raw, headers]));
  }
});

Deno.test("of a body sent to a route that takes none, 64 bytes at most are read: a larger one is refused by its Content-Length, unread, and one that goes on unannounced once 64 have come", async () => {
  await using app = await startApp();
  const announced = await app.call("DELETE", "/api/v1/session", undefined, {
    raw: "x".repeat(4_000_000),
  });
  assertProblem(announced, 400);
  // A stream that sends 100 bytes and never ends: refused without waiting for its end (the
  // manager waits REQUEST_RECEIVE_MS for a body it reads).
  const endless = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(" ".repeat(100)));
    },
  });
  const answer = await app.call("DELETE", "/api/v1/session", undefined, { raw: endless });
  assertProblem(answer, 400);
  assert.equal(answer.body.errors[0].field, "");
});

Deno.test("any query parameter name a list does not declare is refused, naming it as sent", async () => {
  await using app = await startApp();
  const paths = OPENAPI.paths as Record<string, { get: { parameters: { name: string }[] } }>;
  const takes = new Set(paths["/api/v1/tasks"].get.parameters.map((p) => p.name));
  await fc.assert(
    fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), async (name) => {
      fc.pre(!takes.has(camelKey(name)));
      const answer = await app.call("GET", `/api/v1/tasks?${encodeURIComponent(name)}=1`);
      assertProblem(answer, 400);
      assert.equal(answer.body.errors[0].field, name.slice(0, 64));
    }),
    { numRuns: 100 },
  );
});

Deno.test("a metadata key is never empty: refused on create naming its pointer, and a search says the key is empty", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  const message = "Must not be empty: a metadata key names its value";
  for (
    const [path, body, pointer] of [
      ["/api/v1/tasks", { executorName: "a", metadata: { "": "v", k: "v" } }, "/metadata/"],
      ["/api/v1/tasks", { task: { executorName: "a", metadata: { "": "v" } } }, "/task/metadata/"],
      [
        "/api/v1/tasks/batch",
        { tasks: [{ executorName: "a" }, { executorName: "a", metadata: { "": "v" } }] },
        "/tasks/1/metadata/",
      ],
    ] as const
  ) {
    const refused = await app.call("POST", path, body);
    assertProblem(refused, 400);
    assert.deepEqual(refused.body.errors, [{ field: pointer, message }], JSON.stringify(body));
  }
  assert.deepEqual((await app.call("GET", "/api/v1/tasks")).body.tasks, [], "none stored");
  const search = await app.call("GET", "/api/v1/tasks/search?metadataKey=&metadataValue=v");
  assertProblem(search, 400);
  assert.deepEqual(search.body.errors, [{
    field: "metadataKey",
    message: "Must not be empty: no metadata key is, give the key metadataValue is searched under",
  }]);
});

Deno.test('a task\'s runAt, idempotencyKey and groupKey sent as "" are refused naming each, as schedule fields are; null or left out is none', async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  const empty = {
    runAt: "Must not be empty: leave the field out (or send null) to run the task now",
    idempotencyKey: "Must not be empty: leave the field out (or send null) for no idempotency key",
    groupKey:
      "Must not be empty: leave the field out (or send null) for the executor's groupKeyPointer to decide",
  };
  for (const [field, message] of Object.entries(empty)) {
    for (
      const [path, body, pointer] of [
        ["/api/v1/tasks", { task: { executorName: "a", [field]: "" } }, `/task/${field}`],
        ["/api/v1/tasks", { executorName: "a", [field]: "" }, `/${field}`],
        [
          "/api/v1/tasks/batch",
          { tasks: [{ executorName: "a" }, { executorName: "a", [field]: "" }] },
          `/tasks/1/${field}`,
        ],
      ] as const
    ) {
      const refused = await app.call("POST", path, body);
      assertProblem(refused, 400);
      // Once, as empty: not again as a bad time or key.
      assert.deepEqual(refused.body.errors, [{ field: pointer, message }], JSON.stringify(body));
    }
  }
  // snake_case is read as its camelCase name, and every empty field is named.
  const all = await app.call("POST", "/api/v1/tasks", {
    executor_name: "a",
    run_at: "",
    idempotency_key: "",
    group_key: "",
  });
  assertProblem(all, 400);
  assert.deepEqual(
    all.body.errors.map((e: { field: string }) => e.field).sort(),
    ["/groupKey", "/idempotencyKey", "/runAt"],
  );
  assert.deepEqual((await app.call("GET", "/api/v1/tasks")).body.tasks, [], "none stored");
  // null (or the field left out) is none: the task runs now, without a key.
  const none = await createTask(app, {
    executorName: "a",
    runAt: null,
    idempotencyKey: null,
    groupKey: null,
  });
  assert.equal(none.idempotencyKey, null);
  assert.ok(Math.abs(Date.parse(none.runAt) - Date.now()) < 60_000, none.runAt);
});

Deno.test("a schedule whose task was stored with an empty metadata key, before such keys were refused, still fires", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  const created = await app.call("POST", "/api/v1/schedules", {
    name: "s",
    executorName: "a",
    every: "1h",
    task: { data: {}, metadata: { k: "v" } },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  // As a manager of before the rule stored it: the key is in the schedule's task.
  const stored = (await app.store.schedules.scheduleGet("s"))!;
  const old = { ...stored, task: { ...stored.task, metadata: { "": "v" } } };
  assert.ok(await app.store.schedules.scheduleUpdate(old));
  const fired = await app.call("POST", "/api/v1/schedules/s/trigger", {});
  assert.equal(fired.status, 201, JSON.stringify(fired.body));
  const task = await app.call("GET", `/api/v1/tasks/${fired.body.taskId}`);
  assert.deepEqual(task.body.task.metadata, { "": "v" });
  // A task a client sends with such a key is still refused.
  const refused = await app.call("POST", "/api/v1/schedules", {
    name: "t",
    executorName: "a",
    every: "1h",
    task: { metadata: { "": "v" } },
  });
  assertProblem(refused, 400);
});

Deno.test("a query parameter given twice is refused naming it, but for lists such as status", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  await createExecutor(app, { name: "b" });
  const task =
    (await app.call("POST", "/api/v1/tasks", { executorName: "a", metadata: { k: "v" } }))
      .body.task;
  for (
    const [method, path, field] of [
      ["GET", `/api/v1/tasks/${task.id}?wait=1ms&wait=0`, "wait"],
      ["GET", "/api/v1/tasks?limit=1&limit=2", "limit"],
      ["GET", "/api/v1/tasks?executorName=b&executor_name=a", "executor_name"],
      ["GET", "/api/v1/schedules?fires=1&fires=2", "fires"],
      ["POST", "/api/v1/tasks/cancel?executorName=b&executorName=a", "executorName"],
    ]
  ) {
    const answer = await app.call(method, path);
    assertProblem(answer, 400);
    assert.equal(answer.body.errors[0].field, field, path);
    assert.match(answer.body.errors[0].message, /^Is given more than once/);
  }
  assert.equal((await app.call("GET", `/api/v1/tasks/${task.id}`)).body.task.status, "pending");
  const both = await app.call("GET", "/api/v1/tasks?status=cancelled&status=pending");
  assert.deepEqual(both.body.tasks.map((t: { id: string }) => t.id), [task.id]);
  // Every route reads its query one way: snake_case names included (the search read only camelCase).
  const search = (executor: string) =>
    app.call(
      "GET",
      `/api/v1/tasks/search?executor_name=${executor}&metadata_key=k&metadata_value=v`,
    );
  assert.deepEqual((await search("a")).body.tasks.map((t: { id: string }) => t.id), [task.id]);
  assert.deepEqual((await search("b")).body.tasks, []);
});

Deno.test("an error names at most 50 fields and 4096 characters, however many fail", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "e1" });
  const body: Record<string, unknown> = { executorName: "e1" };
  // Under the 256 members an object of the API may have; long names, for the 4096 characters.
  const name = (i: number) => `x${i}${"y".repeat(100)}`;
  for (let i = 0; i < 250; i++) body[name(i)] = 0;
  const answer = await app.call("POST", "/api/v1/tasks", body);
  assertProblem(answer, 400);
  assert.equal(answer.body.errors.length, 51);
  assert.deepEqual(answer.body.errors[0], { field: `/${name(0)}`, message: "Unknown field" });
  assert.deepEqual(answer.body.errors[50], {
    field: "",
    message: "And 200 more violations, not listed",
  });
  assert.ok(answer.body.detail.length <= 4096 + "… (cut)".length, `${answer.body.detail.length}`);
  assert.match(answer.body.detail, /… \(cut\)$/);
  assert.deepEqual((await app.call("GET", "/api/v1/tasks")).body.tasks, [], "nothing was stored");
});

Deno.test("an error's message lists the first 50 violations and how many more, not every one (a 9 MB message was made before it was cut)", async () => {
  await using app = await startApp({ requestBytes: 1024 * 1024 });
  await createExecutor(app, { name: "e1" });
  const task = Object.fromEntries([
    ["executorName", "e1"],
    ...Array.from({ length: 100 }, (_, i) => [`u${i}`, 0]),
  ]);
  const answer = await app.call("POST", "/api/v1/tasks/batch", {
    tasks: Array.from({ length: 100 }, () => task),
  });
  assertProblem(answer, 400);
  assert.match(answer.body.detail, /^Cannot create task: \/tasks\/0\/u0: Unknown field; /);
  assert.match(answer.body.detail, /\/tasks\/0\/u49: Unknown field; and 9950 more$/);
  assert.equal(answer.body.errors.length, 51);
  // The same where a body's own fields are checked (a batch's members besides `tasks`).
  const members = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`m${i}`, 0]));
  const batch = await app.call("POST", "/api/v1/tasks/batch", { tasks: [], ...members });
  assertProblem(batch, 400);
  assert.match(batch.body.detail, /^Invalid request body: \/m0: Unknown field; .*; and 150 more$/);
});

Deno.test("answers and audit lines repeat at most 256 characters of a client's header or path", async () => {
  await using app = await startApp();
  const long = "x".repeat(10_000);
  for (
    const headers of [
      // An answer repeats no more than 256 characters of either header.
      { "content-type": `application/json; charset=${long}` },
      { "content-type": "application/json", "content-encoding": long },
    ] as Record<string, string>[]
  ) {
    const refused = await app.call("POST", "/api/v1/tasks", {}, { headers });
    assertProblem(refused, 415);
    assert.ok(refused.body.detail.length < 400, `${refused.body.detail.length}`);
    assert.match(refused.body.detail, /x…"/);
  }
  for (const path of [`/api/v1/${long}`, `/static/${long}`]) {
    const noRoute = await app.call("GET", path);
    assertProblem(noRoute, 404);
    assert.ok(
      noRoute.body.detail.length < 400,
      `${path.slice(0, 12)}: ${noRoute.body.detail.length}`,
    );
  }
});

Deno.test("a task's executorName of the wrong type or shape is refused naming it, not called missing", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "e1" });
  for (const bad of [["e1"], 5, { name: "e1" }, "E1", "x".repeat(129), true]) {
    const one = await app.call("POST", "/api/v1/tasks", { executorName: bad });
    assertProblem(one, 400);
    assert.deepEqual(
      one.body.errors,
      [{ field: "/executorName", message: NAME_MESSAGE }],
      String(bad),
    );
    const batch = await app.call("POST", "/api/v1/tasks/batch", {
      tasks: [{ executorName: "e1" }, { executorName: bad }],
    });
    assertProblem(batch, 400);
    assert.deepEqual(batch.body.errors.map((e: { field: string }) => e.field), [
      "/tasks/1/executorName",
    ]);
  }
  for (const missing of [{}, { executorName: null }, { executorName: "" }]) {
    const answer = await app.call("POST", "/api/v1/tasks", missing);
    assert.deepEqual(answer.body.errors, [{ field: "/executorName", message: "Is required" }]);
  }
  assert.deepEqual((await app.call("GET", "/api/v1/tasks")).body.tasks, [], "nothing was stored");
});

Deno.test("a filter naming an executor that cannot exist is refused naming executorName, and nothing is done", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  const task = (await app.call("POST", "/api/v1/tasks", { executorName: "a" })).body.task;
  for (const bad of ["x".repeat(129), "A", "a b", ".."]) {
    const name = encodeURIComponent(bad);
    for (
      const [method, path] of [
        ["GET", `/api/v1/tasks?executorName=${name}`],
        ["GET", `/api/v1/tasks/search?executorName=${name}&metadataKey=k&metadataValue=v`],
        ["GET", `/api/v1/dlq?executorName=${name}`],
        ["GET", `/api/v1/stats?executorName=${name}`],
        ["GET", `/api/v1/history?executorName=${name}`],
        ["GET", `/api/v1/schedules?executorName=${name}`],
        ["POST", `/api/v1/tasks/cancel?executorName=${name}`],
        ["DELETE", `/api/v1/dlq?executorName=${name}`],
        ["POST", `/api/v1/dlq/requeue?executorName=${name}`],
      ]
    ) {
      const answer = await app.call(method, path);
      assertProblem(answer, 400);
      assert.equal(answer.body.errors[0].field, "executorName", `${method} ${path.slice(0, 60)}`);
    }
  }
  assert.equal((await app.call("GET", `/api/v1/tasks/${task.id}`)).body.task.status, "pending");
});

Deno.test("a read of one executor's figures naming a missing executor is 404 EXECUTOR_NOT_FOUND; a filter over a collection naming one lists nothing", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  // Stats and history are figures OF the executor named: a name none has is refused, as
  // GET /executors/nosuch is, where they once answered 200 with no figures.
  for (const path of ["/api/v1/stats?executorName=nosuch", "/api/v1/history?executorName=nosuch"]) {
    const answer = await app.call("GET", path);
    assertProblem(answer, 404);
    assert.match(answer.body.detail, /Executor "nosuch" does not exist/, path);
  }
  assert.equal((await app.call("GET", "/api/v1/stats?executorName=a")).body.executors.length, 1);
  assert.equal((await app.call("GET", "/api/v1/history?executorName=a")).status, 200);
  // Lists filtered by executor are filters over a collection (AIP-160): none match, none listed.
  for (
    const [path, field] of [
      ["/api/v1/tasks?executorName=nosuch", "tasks"],
      ["/api/v1/dlq?executorName=nosuch", "entries"],
      ["/api/v1/schedules?executorName=nosuch", "schedules"],
    ]
  ) {
    const answer = await app.call("GET", path);
    assert.equal(answer.status, 200, path);
    assert.deepEqual(answer.body[field], [], path);
  }
});

Deno.test("POST /dlq/requeue takes each filter field in the query or the body, not both", async () => {
  await using app = await startApp();
  for (
    const [path, body, field] of [
      ["/api/v1/dlq/requeue?executorName=zz", { executorName: "" }, "executorName"],
      ["/api/v1/dlq/requeue?confirm=false", { confirm: true }, "confirm"],
      ["/api/v1/dlq/requeue?executorName=a", { cursor: 5 }, "/cursor"],
    ] as const
  ) {
    const answer = await app.call("POST", path, body);
    assertProblem(answer, 400);
    assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [field], path);
  }
});

Deno.test("any query parameter a list takes once is refused when repeated, naming it", async () => {
  await using app = await startApp();
  const paths = OPENAPI.paths as Record<
    string,
    { get: { parameters: { name: string; schema: { type?: string } }[] } }
  >;
  const once = paths["/api/v1/tasks"].get.parameters
    .filter((p) => p.schema.type !== "array")
    .map((p) => p.name);
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...once), fc.boolean(), async (name, snake) => {
      const other = snake ? name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) : name;
      const answer = await app.call("GET", `/api/v1/tasks?${name}=1&${other}=2`);
      assertProblem(answer, 400);
      assert.match(answer.body.errors[0].message, /^Is given more than once/, name);
    }),
    { numRuns: 50 },
  );
});

Deno.test("a query parameter whose percent-encoding is not UTF-8 is refused naming it, on any route", async () => {
  await using app = await startApp();
  // A lone first byte of four, a lone surrogate, a cut two-byte sequence: read as U+FFFD before.
  for (const bad of ["%F0", "%ED%A0%80", "%C3"]) {
    for (
      const [path, name] of [
        ["/api/v1/tasks/search", "dataValue"],
        ["/api/v1/tasks", "executorName"],
        ["/api/v1/schedules", "executorName"],
      ]
    ) {
      const answer = await app.call("GET", `${path}?${name}=${bad}`);
      assertProblem(answer, 400);
      assert.equal(answer.body.errors[0].field, name, `${path} ${bad}`);
      assert.match(answer.body.errors[0].message, /not valid UTF-8/);
    }
  }
  // Valid UTF-8 passes the guard (the name is then judged by the executor name rule).
  const valid = await app.call("GET", "/api/v1/tasks?executorName=%C3%A9t%C3%A9");
  assert.doesNotMatch(JSON.stringify(valid.body), /UTF-8/);
});

// Admin page --------------------------------------------------------------------------------------

Deno.test("the admin page and its files are served with a strict Content-Security-Policy", async () => {
  await using app = await startApp();
  for (const path of ["/", "/admin_page.html"]) {
    const page = await app.call("GET", path);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(page.body, ASSETS["/admin_page.html"].body);
    const csp = page.headers.get("content-security-policy") ?? "";
    for (
      const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ]
    ) assert.ok(csp.includes(directive), directive);
    assert.doesNotMatch(csp, /unsafe/);
    assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  }
  const script = Object.keys(ASSETS).find((path) => path.endsWith(".js"));
  if (script) {
    const file = await app.call("GET", script);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.equal(file.headers.get("x-content-type-options"), "nosniff");
    assert.ok(file.headers.get("content-security-policy"));
  }
  assertProblem(await app.call("GET", "/static/missing.js"), 404);
  assertProblem(await app.call("GET", "/static/../deno.json"), 404);
});

Deno.test("the embedded assets match what scripts/gen_assets.ts makes from static/ now", async () => {
  const expected = await renderAssets();
  const actual = await Deno.readTextFile(new URL("../server/http/_assets.ts", import.meta.url));
  if (actual === expected) return;
  const keys = (text: string) =>
    [...text.matchAll(/^ {2}("[^"]+"): \{$/gm)].map((m) => JSON.parse(m[1]));
  const [now, embedded] = [keys(expected), keys(actual)];
  const changed = now.filter((k) => !embedded.includes(k))
    .concat(embedded.filter((k) => !now.includes(k)));
  assert.fail(
    "server/http/_assets.ts is stale: run `deno task assets` after changing static/" +
      (changed.length > 0 ? ` (files added or removed: ${changed.join(", ")})` : ""),
  );
});

// Events ------------------------------------------------------------------------------------------

Deno.test("the event stream sends a tasks event naming the executor after a create", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "live" });
  const abort = new AbortController();
  const response = await fetch(`${app.base}/api/v1/events`, { signal: abort.signal });
  try {
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    const readUntil = async (needle: string) => {
      while (!buffer.includes(needle)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`Stream ended before ${needle}`);
        buffer += value;
      }
    };
    await readUntil(": connected");
    await createTask(app, { executorName: "live" });
    await createTask(app, { executorName: "live" });
    await readUntil("event: tasks\n");
    await readUntil("\n\n");
    const message = buffer.slice(buffer.indexOf("event: tasks\n"));
    const data = message.split("\n").find((line) => line.startsWith("data: "))!;
    assert.deepEqual(JSON.parse(data.slice("data: ".length)), { executorNames: ["live"] });
    await reader.cancel();
  } finally {
    abort.abort();
  }
});

Deno.test("an event subscriber that reads nothing holds one message: changes meanwhile are merged, not queued", async () => {
  const events = new ServiceEvents();
  const stop = new AbortController();
  const app = new Hono();
  app.get(
    "/events",
    eventStreams(events, {
      maxSubscribers: 1,
      callerOf: () => ANONYMOUS_ADMIN,
      coalesceMs: 1,
      signal: stop.signal,
    }),
  );
  // Straight through the app: the body is a stream whose writes wait for its reader.
  const response = await app.fetch(new Request("http://localhost/events"));
  try {
    for (let i = 0; i < 100; i++) {
      events.emit({ type: "tasks_changed", executorNames: [`e${i}`] });
      // Time for a flush between changes (each one a message of its own when queued).
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    events.emit({ type: "executors_changed" });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("event: executors")) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    const messages = text.split("\n\n").filter((m) => m.startsWith("event: tasks"));
    // The stream takes one chunk ahead of its reader: the connected line, then the first change.
    // The other 99 wait merged, in one message.
    assert.ok(messages.length <= 2, `${messages.length} tasks messages were queued`);
    const named = messages.flatMap((message) =>
      JSON.parse(message.split("\n")[1].slice("data: ".length)).executorNames
    );
    assert.equal(new Set(named).size, 100);
    await reader.cancel();
  } finally {
    stop.abort();
  }
});

Deno.test("countJsonValues() counts what JSON.parse makes: the root, each member and each item (property)", () => {
  // The values of a parsed JSON value: itself, and those of each member or item.
  const valuesIn = (json: unknown): number =>
    1 +
    (json !== null && typeof json === "object"
      ? Object.values(json).reduce((sum: number, item) => sum + valuesIn(item), 0)
      : 0);
  const encoder = new TextEncoder();
  fc.assert(
    fc.property(fc.jsonValue(), fc.boolean(), (json, spaced) => {
      const text = JSON.stringify(json, null, spaced ? 2 : undefined);
      const bytes = encoder.encode(text);
      const count = valuesIn(JSON.parse(text));
      assert.equal(countJsonValues(bytes, Infinity), count);
      assert.equal(countJsonValues(bytes, count), count);
      if (count > 1) assert.equal(countJsonValues(bytes, count - 1), count);
    }),
    { numRuns: 500 },
  );
  // Brackets, commas and escaped quotes inside strings are text.
  assert.equal(countJsonValues(encoder.encode(String.raw`{"a\"[,{":"],\"{,"}`), Infinity), 2);
});

Deno.test("a REST body holding more JSON values than a gRPC request may is refused with 413 before it is parsed; nothing is stored", async () => {
  await using app = await startApp({ requestBytes: DEFAULT_LIMITS.requestBytes });
  await createExecutor(app, { name: "a" });
  const max = DEFAULT_LIMITS.requestJsonValues + DEFAULT_LIMITS.requestElements;
  // Empty tasks: they held the manager 0.5 s in JSON.parse and the key walk after it.
  const refused = await app.call("POST", "/api/v1/tasks/batch", {
    tasks: new Array(max).fill({}),
  });
  assert.equal(refused.status, 413, JSON.stringify(refused.body));
  assert.match(refused.body.detail, /more than 327680 JSON values/);
  const listed = await app.call("GET", "/api/v1/tasks");
  assert.deepEqual(listed.body.tasks, []);
  // Data at the gRPC limit of JSON values (262,143 empty objects and the array) is taken.
  const taken = await app.call("POST", "/api/v1/tasks", {
    executorName: "a",
    data: new Array(DEFAULT_LIMITS.requestJsonValues - 1).fill({}),
  });
  assert.equal(taken.status, 201, JSON.stringify(taken.body).slice(0, 300));
});

Deno.test("a REST body holding more object shapes than MAX_REQUEST_OBJECT_SHAPES is refused with 413 before it is parsed, whether of many names or of few in many orders; nothing is stored", async () => {
  await using app = await startApp({ requestBytes: DEFAULT_LIMITS.requestBytes });
  await createExecutor(app, { name: "a" });
  const most = DEFAULT_LIMITS.requestObjectShapes;
  const refused = async (body: unknown) => {
    const answer = await app.call("POST", "/api/v1/tasks/batch", body);
    assert.equal(answer.status, 413, JSON.stringify(answer.body).slice(0, 300));
    assert.match(
      answer.body.detail,
      new RegExp(`^Request body holds more than ${most} object shapes .*MAX_REQUEST_OBJECT_SHAPES`),
    );
  };
  /** `count` objects of 100 members, named from `first` on. */
  const objects = (first: number, count: number) =>
    Array.from({ length: count }, (_, o) =>
      Object.fromEntries(
        Array.from({ length: 100 }, (_, i) => [`n${first + o * 100 + i}`, 0]),
      ));
  // 150 tasks with 1,000 distinct names each held the manager's thread 0.4 s.
  await refused({
    tasks: Array.from({ length: 200 }, (_, t) => ({
      executorName: "a",
      data: { items: objects(t * 1000, 10) },
    })),
  });
  // Few names in many orders (`shuffledObjects`).
  const shuffled = shuffledObjects(2000, 7);
  await refused({
    tasks: Array.from({ length: 200 }, (_, t) => ({
      executorName: "a",
      data: shuffled.slice(10 * t, 10 * t + 10),
    })),
  });
  // In objects of 1,000 names each (past 1,020, an object is a dictionary: no more shapes).
  const wide = (first: number) =>
    Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`w${first + i}`, 0]));
  await refused({
    tasks: [{ executorName: "a", data: Array.from({ length: 17 }, (_, o) => wide(o * 1000)) }],
  });
  assert.deepEqual((await app.call("GET", "/api/v1/tasks")).body.tasks, []);
  // A shape is counted once however often it comes: the API's own, and the same data's.
  const repeated = await app.call("POST", "/api/v1/tasks/batch", {
    tasks: Array.from({ length: 200 }, () => ({ executorName: "a", data: objects(0, 10) })),
  });
  assert.equal(repeated.status, 201, JSON.stringify(repeated.body).slice(0, 300));
  // One object of 20,000 names is a dictionary past its first 1,020: taken.
  const dictionary = await app.call("POST", "/api/v1/tasks", {
    executorName: "a",
    data: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`d${i}`, 0])),
  });
  assert.equal(dictionary.status, 201, JSON.stringify(dictionary.body).slice(0, 300));
  // Exactly at the limit: 16 objects of 1,000 new names, one of 382, and the body's own two
  // (executorName, then data): taken.
  const atMost = await app.call("POST", "/api/v1/tasks", {
    executorName: "a",
    data: [
      ...Array.from({ length: 16 }, (_, o) => wide(100_000 + o * 1000)),
      Object.fromEntries(Array.from({ length: most - 16_002 }, (_, i) => [`e${i}`, 0])),
    ],
  });
  assert.equal(atMost.status, 201, JSON.stringify(atMost.body).slice(0, 300));
});

Deno.test("a REST body with a member name that ends with a backslash is refused before it is parsed: the runtime's JSON parser would read another client's names after it as that one", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  const raw = (text: string) =>
    app.call("POST", "/api/v1/tasks", undefined, {
      raw: text,
      headers: { "content-type": "application/json" },
    });
  // Data names z, then `q\`: taken, Deno 2.7.14's V8 reads any later `q` + escape after `z` as
  // `q\` (Node's reads it right). As text: an object made here would be such a shape too (the
  // manager runs in this process).
  const planted = await raw(String.raw`{"executorName":"a","data":{"z":0,"q\\":1}}`);
  assertProblem(planted, 400);
  assert.match(planted.body.detail, /member name that ends with a backslash/);
  // Nor as a search's data value: an object is no value to compare with, and is not parsed.
  const searched = await app.call(
    "GET",
    `/api/v1/tasks/search?dataPointer=/z&dataValue=${
      encodeURIComponent(String.raw`{"z":0,"q\\":1}`)
    }`,
  );
  assertProblem(searched, 400);
  for (const name of ["q\n", "q\u00e9", "q<"]) {
    // Written with escapes, as Python's json.dumps writes é and Go's encoding/json writes <.
    const escaped = JSON.stringify(name).replace(
      /[é<]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    const created = await raw(`{"executorName":"a","data":{"z":0,${escaped}:2}}`);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const read = await app.call("GET", `/api/v1/tasks/${created.body.task.id}`);
    assert.deepEqual(Object.keys(read.body.task.data), ["z", name]);
  }
  // The same name as a value, or with more after the backslash, is taken.
  const taken = await app.call("POST", "/api/v1/tasks", {
    executorName: "a",
    data: { z: "q\\", "q\\r": ["q\\"] },
  });
  assert.equal(taken.status, 201, JSON.stringify(taken.body));
});

Deno.test("an object of the API with more than 256 members is refused naming it, before its keys are renamed; user data may have more", async () => {
  // Shapes past MAX_REQUEST_OBJECT_SHAPES are refused before: lifted, to reach the walk.
  await using app = await startApp({
    requestBytes: DEFAULT_LIMITS.requestBytes,
    requestObjectShapes: 400_000,
  });
  await createExecutor(app, { name: "a" });
  // 327,677 snake_case keys: renaming them held the thread 0.45 s.
  const many = Object.fromEntries(Array.from({ length: 300_000 }, (_, i) => [`k_${i}`, 0]));
  const refused = await app.call("POST", "/api/v1/tasks/batch", { x_y: many, tasks: [] });
  assertProblem(refused, 400);
  assert.deepEqual(refused.body.errors, [{
    field: "/xY",
    message:
      "Has 300000 members: no object of the API has more than 256 (user data, schemas, metadata and results aside)",
  }]);
  const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k_${i}`, i]));
  const taken = await app.call("POST", "/api/v1/tasks", { executorName: "a", data });
  assert.equal(taken.status, 201, JSON.stringify(taken.body).slice(0, 300));
  assert.deepEqual(taken.body.task.data, data, "user data keeps its keys as given");
});

Deno.test("a REST body with a member name given twice in one object, at any depth and compared unescaped, is a 400 naming the member as the body spells it; nothing is stored", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  const raw = (path: string, text: string) =>
    app.call("POST", path, undefined, {
      raw: text,
      headers: { "content-type": "application/json" },
    });
  const cases: [path: string, body: string, field: string][] = [
    ["/api/v1/tasks", '{"executorName":"a","executorName":"b"}', "/executorName"],
    [
      "/api/v1/tasks",
      String.raw`{"task":{"executorName":"a","data":{"to":1,"t\u006f":2}}}`,
      "/task/data/to",
    ],
    [
      "/api/v1/tasks/batch",
      '{"tasks":[{"executorName":"a"},{"executor_name":"a","data":{"x":{"y/":[],"y/":0}}}]}',
      "/tasks/1/data/x/y~1",
    ],
    [
      "/api/v1/executors",
      '{"config":{"name":"b","taskSchema":{"type":"object","type":"array"}}}',
      "/config/taskSchema/type",
    ],
  ];
  for (const [path, body, field] of cases) {
    const refused = await raw(path, body);
    assertProblem(refused, 400);
    assert.deepEqual(refused.body.errors, [{ field, message: MEMBER_GIVEN_TWICE }], body);
    assert.equal(refused.body.detail, `Invalid request body: ${field}: ${MEMBER_GIVEN_TWICE}`);
  }
  assert.equal((await app.service.listTasks({}, { limit: 10 })).items.length, 0);
  const executors = await app.service.listExecutors();
  assert.deepEqual(executors.items.map((executor) => executor.name), ["a"]);
  // The same names in objects of their own are taken.
  const taken = await raw("/api/v1/tasks", '{"executorName":"a","data":[{"to":1},{"to":2}]}');
  assert.equal(taken.status, 201, JSON.stringify(taken.body));
});

Deno.test("a 400 keeps each field it names within 4,096 characters, however long the member names it echoes: a member name of 30,000 characters given twice was echoed whole", async () => {
  await using app = await startApp();
  await createExecutor(app, { name: "a" });
  const name = "n".repeat(30_000);
  const refused = await app.call("POST", "/api/v1/tasks", undefined, {
    raw: `{"executorName":"a","data":{"${name}":1,"${name}":2}}`,
    headers: { "content-type": "application/json" },
  });
  assertProblem(refused, 400);
  const [violation] = refused.body.errors;
  assert.ok(violation.field.startsWith(`/data/${"n".repeat(1000)}`), violation.field.slice(0, 40));
  assert.ok(violation.field.endsWith("… (cut)"));
  assert.equal(violation.field.length, 4096 + "… (cut)".length);
  assert.ok(JSON.stringify(refused.body).length < 20_000, "the answer stays small");
  assert.equal((await app.service.listTasks({}, { limit: 10 })).items.length, 0);
});

Deno.test("POST /dlq/requeue names a bad body field by its pointer and a bad query parameter by its name", async () => {
  await using app = await startApp();
  const body = await app.call("POST", "/api/v1/dlq/requeue", {
    executorName: "A B",
    reason: "nope",
    deadBefore: "yesterday",
    cursor: "zzz",
  });
  assertProblem(body, 400);
  assert.deepEqual(
    body.body.errors.map((e: { field: string }) => e.field),
    ["/executorName", "/reason", "/deadBefore", "/cursor"],
  );
  const query = await app.call(
    "POST",
    "/api/v1/dlq/requeue?executorName=A%20B&reason=nope&deadBefore=yesterday&cursor=zzz",
    {},
  );
  assertProblem(query, 400);
  assert.deepEqual(
    query.body.errors.map((e: { field: string }) => e.field),
    ["executorName", "reason", "deadBefore", "cursor"],
  );
});
