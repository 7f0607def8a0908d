/**
 * The SDK without worker processes: `runHandler` (errors, schema checks, results), schema
 * compilation, worker option checks, and `Client` and an in-process `Worker` against a real manager.
 */
import assert from "node:assert/strict";
import {
  Client,
  compileTaskSchema,
  ConflictError,
  defineExecutor,
  InvalidArgumentError,
  NonRetryableError,
  NotFoundError,
  RetryAfterError,
  TaskAbortedError,
  type TaskContext,
  WaitTimeoutError,
  Worker,
} from "../sdk/mod.ts";
import { runHandler } from "../sdk/testing.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { quietWorker } from "./fixtures/quiet_worker.ts";

const SCHEMA = {
  type: "object",
  required: ["email", "age"],
  properties: {
    email: { type: "string", format: "email" },
    age: { type: "integer", minimum: 0 },
  },
};

// runHandler ----------------------------------------------------------------------------------

Deno.test("runHandler() returns the result after a JSON round trip", async () => {
  const outcome = await runHandler(
    (data: { n: number }) => ({ doubled: data.n * 2, at: new Date(0) }),
    { n: 21 },
  );
  assert.deepEqual(outcome, { ok: true, result: { doubled: 42, at: "1970-01-01T00:00:00.000Z" } });
});

Deno.test("runHandler() swallows a logger method that throws, as the worker does: the handler goes on", async () => {
  const consoleError = console.error;
  const told: unknown[] = [];
  console.error = (...args: unknown[]) => told.push(args);
  try {
    const down = () => {
      throw new Error("Logger down");
    };
    const outcome = await runHandler(
      (_data, ctx) => {
        ctx.logger.info("Working");
        ctx.logger.warn("Still working");
        return "done";
      },
      {},
      { logger: { debug: down, info: down, warn: down, error: down } },
    );
    assert.deepEqual(outcome, { ok: true, result: "done" });
  } finally {
    console.error = consoleError;
  }
  assert.equal(told.length, 1);
});

Deno.test("runHandler() reports undefined as a null result", async () => {
  assert.deepEqual(await runHandler(() => undefined, {}), { ok: true, result: null });
});

Deno.test("runHandler() marks plain errors retryable and NonRetryableError not", async () => {
  const plain = await runHandler(() => {
    throw new Error("Remote said 503");
  }, {});
  assert.equal(plain.ok, false);
  assert.ok(!plain.ok);
  assert.equal(plain.error, "Remote said 503");
  assert.equal(plain.retryable, true);
  assert.equal(plain.retryAfterMs, 0);

  const fatal = await runHandler(() => {
    throw new NonRetryableError("Account closed");
  }, {});
  assert.ok(!fatal.ok);
  assert.equal(fatal.retryable, false);
  assert.ok(fatal.cause instanceof NonRetryableError);
});

Deno.test("runHandler() passes the delay of a RetryAfterError", async () => {
  const outcome = await runHandler(async () => {
    await Promise.resolve();
    throw new RetryAfterError(1500, "Rate limited");
  }, {});
  assert.ok(!outcome.ok);
  assert.equal(outcome.retryable, true);
  assert.equal(outcome.retryAfterMs, 1500);
  assert.equal(outcome.error, "Rate limited");
});

Deno.test("RetryAfterError refuses a negative delay", () => {
  assert.throws(() => new RetryAfterError(-1), RangeError);
});

Deno.test("runHandler() refuses data that breaks the schema, naming each field", async () => {
  let called = false;
  const outcome = await runHandler(() => (called = true), { email: "nope", age: -1 }, {
    schema: SCHEMA,
    executorName: "signup",
  });
  assert.equal(called, false, "the handler never sees invalid data");
  assert.ok(!outcome.ok);
  assert.equal(outcome.retryable, false);
  assert.match(outcome.error, /executor "signup"/);
  assert.match(outcome.error, /\/email: must match format "email"/);
  assert.match(outcome.error, /\/age: must be >= 0/);
});

Deno.test("runHandler() names a missing required field by its pointer", async () => {
  const outcome = await runHandler(() => null, { age: 3 }, { schema: SCHEMA });
  assert.ok(!outcome.ok);
  assert.match(outcome.error, /\/email: must have required property 'email'/);
});

Deno.test("runHandler() fails a result that is not JSON, without retry, naming where", async () => {
  const outcome = await runHandler(() => ({ big: 1n }), {});
  assert.ok(!outcome.ok);
  assert.equal(outcome.retryable, false);
  assert.equal(
    outcome.error,
    "Result cannot be stored as it is: /result/big: Must be a JSON value",
  );
});

/** Values JSON.stringify would send changed (or the manager would refuse), and where they sit. */
const UNKEEPABLE: [string, unknown, string][] = [
  ["Infinity", { n: Infinity }, "/n"],
  ["NaN", { list: [1, NaN] }, "/list/1"],
  ["-Infinity", -Infinity, ""],
  ["2^53", { n: 2 ** 53 }, "/n"],
  ["-(2^53)", [{ n: -(2 ** 53) }], "/0/n"],
  ["a lone surrogate", { s: "a\ud800" }, "/s"],
  ["a key with a lone surrogate", { "k\udc00": 1 }, "/k\udc00"],
  ["65 levels of nesting", nestedArrays(65), "/0".repeat(64)],
  // JSON.stringify writes these as {} or changed: their contents were lost, the attempt completed.
  ["a Map", { m: new Map([["a", 1]]) }, "/m"],
  ["a Set", new Set([1]), ""],
  ["a typed array", { bytes: new Uint8Array([1, 2]) }, "/bytes"],
  ["an Error", [new Error("lost")], "/0"],
  // Named where it comes again, not 64 levels down.
  ["a cycle", cyclic(), "/list/1/self"],
];

/** An object holding an array holding an object that holds that object. */
function cyclic(): unknown {
  const inner: Record<string, unknown> = {};
  inner.self = inner;
  return { list: [0, inner] };
}

function nestedArrays(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

Deno.test("runHandler() fails a result the manager would not keep exactly, naming where", async () => {
  for (const [what, result, at] of UNKEEPABLE) {
    const outcome = await runHandler(() => result, {});
    assert.ok(!outcome.ok, what);
    assert.equal(outcome.retryable, false, what);
    assert.match(outcome.error, /^Result cannot be stored as it is: /, what);
    assert.equal(outcome.error.split(" ")[7], `/result${at}:`, what);
  }
  const kept = await runHandler(() => ({ n: Number.MAX_SAFE_INTEGER, u: undefined }), {});
  assert.deepEqual(kept, { ok: true, result: { n: Number.MAX_SAFE_INTEGER } });
  // A Date has its toJSON, and an object met twice, not inside itself, is no cycle; an instance
  // of a class of the user's is written as its own properties, as JSON.stringify writes it.
  const shared = { a: 1 };
  class Point {
    constructor(readonly x: number, readonly y: number) {}
  }
  const written = await runHandler(
    () => ({ at: new Date(0), x: shared, y: [shared], p: new Point(1, 2) }),
    {},
  );
  assert.deepEqual(written, {
    ok: true,
    result: { at: "1970-01-01T00:00:00.000Z", x: { a: 1 }, y: [{ a: 1 }], p: { x: 1, y: 2 } },
  });
  const cycle = await runHandler(() => cyclic(), {});
  assert.equal(
    !cycle.ok && cycle.error,
    "Result cannot be stored as it is: /result/list/1/self: Must not hold itself (a cycle): it is /result/list/1 again",
  );
});

Deno.test("runHandler() gives the handler its attempt, metadata, signal and heartbeat", async () => {
  const controller = new AbortController();
  const progress: unknown[] = [];
  const outcome = await runHandler(
    (_data: unknown, ctx: TaskContext) => {
      ctx.heartbeat({ step: 1 });
      controller.abort(new TaskAbortedError("cancelled"));
      ctx.signal.throwIfAborted();
      return "unreachable";
    },
    {},
    {
      attempt: 2,
      maxAttempts: 5,
      metadata: { tenant: "acme" },
      signal: controller.signal,
      onHeartbeat: (p) => progress.push(p),
    },
  );
  assert.deepEqual(progress, [{ step: 1 }]);
  assert.ok(!outcome.ok);
  assert.equal(outcome.error, "Task was cancelled");
  assert.ok(outcome.cause instanceof TaskAbortedError);
  assert.equal(outcome.cause.reason, "cancelled");

  const seen = await runHandler(
    (_d: unknown, ctx: TaskContext) => ({
      attempt: ctx.attempt,
      maxAttempts: ctx.maxAttempts,
      tenant: ctx.metadata.tenant,
    }),
    {},
    { attempt: 2, maxAttempts: 5, metadata: { tenant: "acme" } },
  );
  assert.deepEqual(seen, { ok: true, result: { attempt: 2, maxAttempts: 5, tenant: "acme" } });
});

// Schemas and options -------------------------------------------------------------------------

Deno.test("compileTaskSchema() refuses a schema Ajv cannot compile", () => {
  assert.throws(() => compileTaskSchema({ type: "no-such-type" }), /Invalid JSON Schema/);
});

Deno.test("compileTaskSchema() accepts valid data with no violations", () => {
  assert.deepEqual(compileTaskSchema(SCHEMA)({ email: "a@example.com", age: 3 }), []);
});

Deno.test("new Worker() refuses bad executor definitions up front", () => {
  const handler = () => null;
  assert.throws(
    () => new Worker({ address: "x:1", executors: [{ name: "Bad Name", handler }] }),
    /must be 1-128 characters/,
  );
  assert.throws(
    () =>
      new Worker({
        address: "x:1",
        executors: [{ name: "a", handler }, { name: "a", handler }],
      }),
    /registered twice/,
  );
  assert.throws(
    () => new Worker({ address: "x:1", executors: [{ name: "a", handler, concurrency: 0 }] }),
    /concurrency/,
  );
  assert.throws(
    () =>
      new Worker({
        address: "x:1",
        executors: [{ name: "a", handler, config: { taskSchema: { type: 5 } } }],
      }),
    /taskSchema: Invalid JSON Schema/,
  );
});

// Client against a real manager ---------------------------------------------------------------

Deno.test("Client registers an executor, then updates it when it exists", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const created = await client.registerExecutor("signup", {
    taskSchema: SCHEMA,
    retryPolicy: { type: "constant", maxAttempts: 4, interval: 250 },
    timeout: 5000,
  });
  assert.equal(created.name, "signup");
  assert.equal(created.retryPolicy.maxAttempts, 4);
  assert.deepEqual(created.taskSchema, SCHEMA);
  const updated = await client.registerExecutor("signup", { retryPolicy: { maxAttempts: 7 } });
  assert.equal(updated.id, created.id);
  assert.equal(updated.retryPolicy.maxAttempts, 7);
  assert.equal(updated.retryPolicy.interval, 250, "fields not given are kept");
  assert.equal(updated.timeout, 5000);
  assert.deepEqual((await client.listExecutors()).map((e) => e.name), ["signup"]);
});

Deno.test("Client.registerExecutor with maxConcurrency 0 and jitter 0 removes the limit and the jitter; left out keeps them", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const created = await client.registerExecutor("t3", {
    maxConcurrency: 5,
    retryPolicy: { jitter: 0.5 },
  });
  assert.equal(created.maxConcurrency, 5);
  assert.equal(created.retryPolicy.jitter, 0.5);
  const kept = await client.registerExecutor("t3", { retryPolicy: { maxAttempts: 4 } });
  assert.equal(kept.maxConcurrency, 5);
  assert.equal(kept.retryPolicy.jitter, 0.5, "a retry policy without jitter keeps it");
  const cleared = await client.registerExecutor("t3", {
    maxConcurrency: 0,
    retryPolicy: { jitter: 0 },
  });
  assert.equal(cleared.maxConcurrency, 0);
  assert.equal(cleared.retryPolicy.jitter, 0);
  assert.equal((await manager.service.getExecutor("t3")).maxConcurrency, 0);
});

Deno.test("the SDK takes durations as whole milliseconds: a duration string or a fraction is refused before it is sent, naming the field, in a message that says so", async () => {
  await using manager = await startSdkManager();
  // A caller without types (JavaScript, JSON config) may send REST's "1s".
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "steady",
    config: { rateLimit: { limit: 4, period: 1000, burst: 1 } },
    handler: () => null,
  }, {
    name: "paced",
    config: { rateLimit: { limit: 4, period: "1s" as unknown as number, burst: 1 } },
    handler: () => null,
  }]);
  const refused = await assert.rejects(worker.start(), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    // Which of the worker's executors: the pointer alone is every executor's.
    assert.equal(
      error.message,
      'Executor "paced": /config/rateLimit/period: Must be a whole number of milliseconds, ' +
        "e.g. 1000 for 1 s",
    );
    assert.deepEqual(error.violations.map((v) => v.field), ["/config/rateLimit/period"]);
    assert.ok(!error.message.includes('"1s"'), "it does not suggest what it refuses");
    return true;
  });
  assert.equal(refused, undefined);
  using client = new Client({ address: manager.grpcAddress });
  await assert.rejects(
    client.registerExecutor("paced", {
      timeout: 1500.5,
      retryPolicy: { interval: 0.25 },
      rateLimitPerKey: { limit: 1, period: 1000 },
    }),
    (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.deepEqual(error.violations.map((v) => v.field), [
        "/config/timeout",
        "/config/retryPolicy/interval",
      ]);
      return true;
    },
  );
  await assert.rejects(manager.service.getExecutor("paced"), /does not exist/, "nothing sent");
  const paced = await client.registerExecutor("paced", {
    rateLimit: { limit: 4, period: 1000, burst: 1 },
  });
  assert.deepEqual(paced.rateLimit, { limit: 4, period: 1000, burst: 1 });
});

Deno.test("Client creates, reads, lists and cancels tasks with JS values and Dates", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("signup", { taskSchema: SCHEMA });
  const runAt = new Date(Date.now() + 3_600_000);
  const task = await client.createTask("signup", { email: "a@example.com", age: 30 }, {
    metadata: { tenant: "acme" },
    priority: 5,
    runAt,
    idempotencyKey: "signup-a",
  });
  assert.equal(task.status, "pending");
  assert.deepEqual(task.data, { email: "a@example.com", age: 30 });
  assert.deepEqual(task.metadata, { tenant: "acme" });
  assert.equal(task.runAt?.getTime(), runAt.getTime());
  assert.ok(task.createdAt instanceof Date);
  assert.equal(task.result, null);

  const conflict = await client.createTask("signup", { email: "a@example.com", age: 30 }, {
    idempotencyKey: "signup-a",
  }).catch((e) => e);
  assert.ok(conflict instanceof ConflictError, String(conflict));
  assert.equal(conflict.existingTaskId, task.id);
  const [again] = await client.createTasks([
    {
      executorName: "signup",
      data: { email: "a@example.com", age: 30 },
      idempotencyKey: "signup-a",
    },
  ]);
  assert.equal(again.id, task.id, "a batch gives back the task the key made");

  const batch = await client.createTasks([
    { executorName: "signup", data: { email: "b@example.com", age: 1 } },
    { executorName: "signup", data: { email: "c@example.com", age: 2 } },
  ]);
  assert.equal(batch.length, 2);

  const page = await client.listTasks({ executorName: "signup", status: "pending", limit: 2 });
  assert.equal(page.tasks.length, 2);
  assert.ok(page.nextCursor);
  const rest = await client.listTasks({ executorName: "signup", cursor: page.nextCursor });
  assert.equal(rest.tasks.length, 1);
  assert.equal(rest.nextCursor, null);

  const cancelled = await client.cancelTask(task.id);
  assert.equal(cancelled.status, "cancelled");
  assert.equal((await client.getTask(task.id)).status, "cancelled");
  assert.equal((await client.waitForTask(task.id)).status, "cancelled");
});

Deno.test("Client.createTasks() gives a created task the data and metadata it sent, and a key's earlier task as stored", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("signup", { taskSchema: SCHEMA });
  const earlier = await client.createTask("signup", { email: "a@example.com", age: 30 }, {
    idempotencyKey: "signup-a",
  });
  const [again, created] = await client.createTasks([
    {
      executorName: "signup",
      data: { email: "z@example.com", age: 9 },
      idempotencyKey: "signup-a",
    },
    { executorName: "signup", data: { email: "b@example.com", age: 1 }, metadata: { t: "acme" } },
  ]);
  assert.equal(again.id, earlier.id);
  assert.deepEqual(
    again.data,
    { email: "a@example.com", age: 30 },
    "what the key made, not what was sent",
  );
  assert.deepEqual(created, await client.getTask(created.id));
  assert.deepEqual(created.data, { email: "b@example.com", age: 1 });
  assert.deepEqual(created.metadata, { t: "acme" });
});

Deno.test("Client.createTasksDetailed() tells which tasks the call created, as REST's batch answer does", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("signup", { taskSchema: SCHEMA });
  const used = await client.createTask("signup", { email: "a@example.com", age: 30 }, {
    idempotencyKey: "used",
  });
  const data = { email: "b@example.com", age: 1 };
  const { tasks, created } = await client.createTasksDetailed([
    { executorName: "signup", data, idempotencyKey: "new" },
    { executorName: "signup", data, idempotencyKey: "used" },
    { executorName: "signup", data, idempotencyKey: "new" },
  ]);
  assert.deepEqual(created, [true, false, false]);
  assert.equal(tasks[1].id, used.id);
  assert.deepEqual(tasks[1].data, { email: "a@example.com", age: 30 }, "what the key made");
  assert.equal(tasks[2].id, tasks[0].id);
  assert.deepEqual(tasks[0], await client.getTask(tasks[0].id));
  assert.deepEqual(tasks[2], tasks[0]);
  const again = await client.createTasksDetailed([{
    executorName: "signup",
    data,
    idempotencyKey: "new",
  }]);
  assert.deepEqual(again.created, [false]);
  assert.deepEqual(
    (await client.createTasks([{ executorName: "signup", data, idempotencyKey: "new" }])).map((t) =>
      t.id
    ),
    [tasks[0].id],
    "createTasks answers the tasks alone, as before",
  );
});

Deno.test("Client checks the size of the request it sends, to the byte", async () => {
  await using manager = await startSdkManager();
  using setup = new Client({ address: manager.grpcAddress });
  await setup.registerExecutor("exact");
  const tasks = [1, 2, 3].map((n) => ({ executorName: "exact", data: { n, s: "é".repeat(n) } }));
  // A client that takes nothing says how many bytes the request weighs.
  using tiny = new Client({ address: "127.0.0.1:1", limits: { requestBytes: 1 } });
  const refusal = await tiny.createTasks(tasks).then(() => null, (e) => e);
  assert.ok(refusal instanceof InvalidArgumentError, String(refusal));
  const bytes = Number(/not (\d+)/.exec(refusal.violations[0].message)?.[1]);
  assert.ok(bytes > 3 * 10, refusal.message);
  using under = new Client({ address: "127.0.0.1:1", limits: { requestBytes: bytes - 1 } });
  await assert.rejects(under.createTasks(tasks), InvalidArgumentError);
  using exact = new Client({ address: manager.grpcAddress, limits: { requestBytes: bytes } });
  assert.equal((await exact.createTasks(tasks)).length, 3);
});

Deno.test("Client turns manager refusals into NotFoundError and InvalidArgumentError", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.getTask("no-such-task").catch((e) => e);
  assert.ok(task instanceof NotFoundError, String(task));
  assert.equal(task.missingExecutor, null);
  // An executor that does not exist is named (the manager's EXECUTOR_NOT_FOUND detail).
  for (const create of [client.createTask, client.createTaskAndWait]) {
    const missing = await create.call(client, "no_such_executor", {}).catch((e) => e);
    assert.ok(missing instanceof NotFoundError, String(missing));
    assert.equal(missing.missingExecutor, "no_such_executor");
  }
  // A read of one executor's history too, as getHistory's docs say (not an hour of zeros).
  const history = await client.getHistory({ executorName: "no_such_executor" }).catch((e) => e);
  assert.ok(history instanceof NotFoundError, String(history));
  assert.equal(history.missingExecutor, "no_such_executor");
  await client.registerExecutor("signup", { taskSchema: SCHEMA });
  const error = await client.createTask("signup", { email: "x", age: 1 }).then(
    () => assert.fail("expected a refusal"),
    (e) => e,
  );
  assert.ok(error instanceof InvalidArgumentError, String(error));
  assert.ok(error.violations.some((v) => v.field.endsWith("/data/email")), error.message);
});

Deno.test("Client refuses data the manager would not keep exactly before sending, naming the field", async () => {
  // Pointed nowhere: a refusal that comes at once was made before anything was sent.
  using nowhere = new Client({ address: "127.0.0.1:1", callTimeoutMs: 60_000 });
  for (const [what, data, at] of UNKEEPABLE) {
    const one = await nowhere.createTask("any", data).then(() => null, (e) => e);
    assert.ok(one instanceof InvalidArgumentError, `${what}: ${one}`);
    assert.deepEqual(one.violations.map((v) => v.field), [`/task/data${at}`], what);
    const batch = await nowhere.createTasks([
      { executorName: "any", data: { fine: true } },
      { executorName: "any", data },
    ]).then(() => null, (e) => e);
    assert.ok(batch instanceof InvalidArgumentError, `${what}: ${batch}`);
    assert.deepEqual(batch.violations.map((v) => v.field), [`/tasks/1/data${at}`], what);
  }
  const shallow = new Client({ address: "127.0.0.1:1", limits: { jsonDepth: 2 } });
  await assert.rejects(shallow.createTask("any", [[[1]]]), InvalidArgumentError);
  shallow.close();
});

Deno.test("Client sends data the manager keeps exactly, as it is", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("exact");
  const data = {
    max: Number.MAX_SAFE_INTEGER,
    min: -Number.MAX_SAFE_INTEGER,
    s: "\u0000é😀",
    deep: nestedArrays(63),
    gone: undefined,
  };
  const task = await client.createTask("exact", data);
  const { gone: _, ...sent } = data;
  assert.deepEqual((await client.getTask(task.id)).data, sent);
});

Deno.test("Worker fails an attempt whose result the manager would not keep, instead of sending it changed", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, [
    defineExecutor<{ n: number }, unknown>({
      name: "nan",
      config: { retryPolicy: { maxAttempts: 3, interval: 10 } },
      handler: (data) => ({ ratio: data.n / 0 }),
    }),
  ]);
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("nan", { n: 1 });
  const done = await client.waitForTask(task.id, { timeoutMs: 10_000 });
  assert.equal(done.status, "dlq", "not retryable: dead-lettered after one attempt");
  assert.equal(done.result, null);
  assert.equal(done.attempt, 1);
  assert.equal(
    done.errors[0].message,
    "Result cannot be stored as it is: /result/ratio: Must be a finite number",
  );
  await worker.stop();
  await worker.closed;
});

Deno.test("Client.waitForTask() gives up with WaitTimeoutError", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("idle", {});
  const task = await client.createTask("idle", null);
  const error = await client.waitForTask(task.id, { timeoutMs: 120 }).then(
    () => assert.fail("expected a timeout"),
    (e) => e,
  );
  assert.ok(error instanceof WaitTimeoutError);
  assert.equal(error.lastStatus, "pending");
});

// An in-process Worker ------------------------------------------------------------------------

Deno.test("Worker registers its executor, validates data and runs the handler", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, [
    defineExecutor<{ email: string; age: number }, string>({
      name: "signup",
      concurrency: 4,
      config: { taskSchema: SCHEMA, retryPolicy: { maxAttempts: 2, interval: 10 } },
      handler: (data, ctx) => `${data.email}:${data.age}:${ctx.attempt}`,
    }),
  ]);
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  const executor = await client.getExecutor("signup");
  assert.deepEqual(executor.taskSchema, SCHEMA);
  const tasks = await client.createTasks(
    Array.from({ length: 20 }, (_, i) => ({
      executorName: "signup",
      data: { email: `u${i}@example.com`, age: i },
    })),
  );
  for (const [i, task] of tasks.entries()) {
    const done = await client.waitForTask(task.id, { timeoutMs: 10_000 });
    assert.equal(done.status, "completed");
    assert.equal(done.result, `u${i}@example.com:${i}:1`);
  }
  await worker.stop();
  await worker.closed;
});

Deno.test("Worker reads the assignment's times and sends a RetryAfterError's delay to the manager", async () => {
  await using manager = await startSdkManager();
  const seen: { createdAt: Date; attempt: number }[] = [];
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "later",
    config: { retryPolicy: { type: "constant", maxAttempts: 2, interval: 60_000 } },
    handler: (_data, ctx) => {
      seen.push({ createdAt: ctx.createdAt, attempt: ctx.attempt });
      throw new RetryAfterError(1500, "Come back later");
    },
  }]);
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("later", null);
  // The first attempt's failure, as the manager settles it (polled: no event says so).
  let waiting = await client.getTask(task.id);
  for (let tries = 0; waiting.errors.length === 0; tries++) {
    if (tries > 500) assert.fail(`The first attempt never failed: ${JSON.stringify(waiting)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    waiting = await client.getTask(task.id);
  }
  assert.equal(waiting.status, "pending");
  // The retry waits the handler's 1.5 s, not the executor's 60 s interval.
  assert.equal(waiting.runAt!.getTime() - waiting.errors[0].at.getTime(), 1500);
  assert.deepEqual(seen, [{ createdAt: task.createdAt, attempt: 1 }]);
  await client.cancelTask(task.id);
});

Deno.test("Worker registers flow control and Client creates tasks with a group key, stored as sent", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, [
    defineExecutor<{ customerId: string }, string>({
      name: "per_customer",
      config: {
        rateLimit: { limit: 50, period: 2000, burst: 10 },
        rateLimitPerKey: { limit: 5 },
        maxConcurrencyPerKey: 2,
        groupKeyPointer: "/customerId",
      },
      handler: (data) => data.customerId,
    }),
  ]);
  await worker.start();
  const stored = await manager.service.getExecutor("per_customer");
  assert.deepEqual(stored.rateLimit, { limit: 50, period: 2000, burst: 10 });
  assert.deepEqual(stored.rateLimitPerKey, { limit: 5, period: 1000, burst: 5 });
  assert.equal(stored.maxConcurrencyPerKey, 2);
  assert.equal(stored.groupKeyPointer, "/customerId");

  using client = new Client({ address: manager.grpcAddress });
  const executor = await client.getExecutor("per_customer");
  assert.deepEqual(
    [executor.rateLimit, executor.rateLimitPerKey],
    [stored.rateLimit, stored.rateLimitPerKey],
  );
  assert.equal(executor.maxConcurrencyPerKey, 2);
  assert.equal(executor.groupKeyPointer, "/customerId");

  const given = await client.createTask("per_customer", { customerId: "c1" }, {
    groupKey: "acme",
  });
  const [fromData] = await client.createTasks([
    { executorName: "per_customer", data: { customerId: "c2" } },
  ]);
  assert.equal(given.groupKey, "acme");
  assert.equal((await manager.service.getTask(given.id)).groupKey, "acme");
  assert.equal(fromData.groupKey, "c2");
  assert.equal((await client.getTask(fromData.id)).groupKey, "c2");
  assert.equal((await client.waitForTask(given.id, { timeoutMs: 10_000 })).status, "completed");

  // { limit: 0 } takes a limit away and "" the pointer, as over REST.
  const changed = await client.registerExecutor("per_customer", {
    rateLimit: { limit: 0 },
    groupKeyPointer: "",
  });
  assert.equal(changed.rateLimit, null);
  assert.equal(changed.groupKeyPointer, null);
  assert.deepEqual(changed.rateLimitPerKey, stored.rateLimitPerKey);
  await worker.stop();
  await worker.closed;
});

Deno.test("Worker.registerProcessor() serves the original Go SDK shape", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, []);
  worker.registerProcessor("my_handler", {
    processTask: (task) => ({ got: task.data, id: task.id, attempt: task.attempt }),
    getTaskSchema: () => ({ type: "object", required: ["message"] }),
  });
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  await assert.rejects(client.createTask("my_handler", {}), InvalidArgumentError);
  const task = await client.createTask("my_handler", { message: "hi" });
  const done = await client.waitForTask(task.id, { timeoutMs: 10_000 });
  assert.deepEqual(done.result, { got: { message: "hi" }, id: task.id, attempt: 1 });
});

Deno.test("Worker aborts ctx.signal when the task is cancelled", async () => {
  await using manager = await startSdkManager();
  let startedResolve!: (id: string) => void;
  const started = new Promise<string>((r) => (startedResolve = r));
  let abortedResolve!: (reason: unknown) => void;
  const aborted = new Promise<unknown>((r) => (abortedResolve = r));
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "cancellable",
    config: { timeout: 30_000 },
    handler: (_data, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          abortedResolve(ctx.signal.reason);
          reject(ctx.signal.reason);
        });
        startedResolve(ctx.taskId);
      }),
  }]);
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("cancellable", {});
  assert.equal(await started, task.id);
  await client.cancelTask(task.id);
  const reason = await aborted;
  assert.ok(reason instanceof TaskAbortedError);
  assert.equal(reason.reason, "cancelled");
  assert.equal((await client.getTask(task.id)).status, "cancelled");
});

Deno.test("Worker heartbeats keep a task past its lease; a silent one times out", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "long",
    concurrency: 2,
    config: { timeout: 400, retryPolicy: { type: "constant", maxAttempts: 1, interval: 10 } },
    handler: async (data: { beat: boolean }, ctx) => {
      for (let i = 0; i < 10; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ctx.signal.throwIfAborted();
        if (data.beat) ctx.heartbeat({ i });
      }
      return "done";
    },
  }]);
  await worker.start();
  using client = new Client({ address: manager.grpcAddress });
  const beating = await client.createTask("long", { beat: true });
  const silent = await client.createTask("long", { beat: false });
  const beatDone = await client.waitForTask(beating.id, { timeoutMs: 10_000 });
  assert.equal(beatDone.status, "completed", JSON.stringify(beatDone.errors));
  assert.equal(beatDone.attempt, 1);
  const silentDone = await client.waitForTask(silent.id, { timeoutMs: 10_000 });
  assert.notEqual(silentDone.status, "completed");
  assert.equal(silentDone.errors[0]?.message, "Task timed out");
});

Deno.test("Worker.stop() gives back, unstarted, a task the manager leased to it before it read the stop; the task spends no attempt", async () => {
  await using manager = await startSdkManager();
  const started: number[] = [];
  const debug: string[] = [];
  const logger = {
    debug: (msg: string) => void debug.push(msg),
    info: () => {},
    warn: () => {},
    error: () => {},
  };
  const worker = new Worker({
    address: manager.grpcAddress,
    handleSignals: false,
    logger,
    shutdownGraceMs: 2000,
    executors: [{
      name: "stopping",
      concurrency: 2,
      handler: (data: number, ctx) => {
        started.push(data);
        if (data === 1) return data;
        return new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    }],
  });
  await worker.start();
  // The manager's answer to the first result waits: what the worker writes after it (its credit
  // of 0 when it stops) waits in line behind it, as it would behind a slow store.
  const { engine } = manager;
  const report = engine.report.bind(engine);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let reported!: () => void;
  const reporting = new Promise<void>((resolve) => (reported = resolve));
  engine.report = async (...args) => {
    reported();
    await held;
    return await report(...args);
  };
  await manager.service.createTasks([{ executorName: "stopping", data: 1 }]);
  await reporting;
  const stopped = worker.stop();
  // The manager still counts the worker's credit: the next create is handed over to it.
  const [{ task }] = await manager.service.createTasks([{ executorName: "stopping", data: 2 }]);
  while (!started.includes(2) && !debug.some((msg) => msg.startsWith("Giving back"))) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  release();
  await stopped;
  assert.deepEqual(started, [1], "the task leased during the stop never started");
  const after = await manager.service.getTask(task.id);
  assert.equal(after.status, "pending", "given back, it runs again elsewhere");
  assert.equal(after.attempt, 0, "with no attempt spent");
  assert.deepEqual(after.errors, []);
});
