/**
 * Schema validation never blocks the manager, whatever the schema: data that takes too long to
 * check (slow RE2 patterns, exponential `oneOf` over recursive `$ref`s) is refused naming the
 * data while /healthz keeps answering, a worker terminated for it fails no other create, a schema
 * too slow to compile is refused at save, and executors without schemas start no worker.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { valueFromJson, violationsFromMetadata } from "@tasks-executor/proto";
import { startTestManager, type TestManager } from "./_manager.ts";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";
import { api } from "./fixtures/resilience_cluster.ts";
import { SLOW } from "./fixtures/slow_schemas.ts";

async function createExecutor(url: string, name: string, taskSchema: unknown) {
  const created = await api(url, "POST", "/api/v1/executors", {
    config: { name, enabled: false, taskSchema },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
}

/** Resolves when GET /healthz answers 200 (asked again while it answers anything else). */
async function healthy(url: string): Promise<void> {
  while (true) {
    const response = await fetch(`${url}/healthz`);
    await response.body?.cancel();
    if (response.status === 200) return;
  }
}

async function withManager(
  body: (manager: TestManager) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  await using manager = await startTestManager({ env });
  await body(manager);
}

for (const [name, { schema, data }] of Object.entries(SLOW)) {
  Deno.test(`REST: data too slow to validate (${name}) is refused naming /data, and /healthz answers before the create does`, async () => {
    await withManager(async (manager) => {
      await createExecutor(manager.httpUrl, name, schema);
      const order: string[] = [];
      const create = api(manager.httpUrl, "POST", "/api/v1/tasks", { executorName: name, data })
        .then((answer) => (order.push("create"), answer));
      await healthy(manager.httpUrl);
      order.push("healthz");
      const created = await create;
      assert.deepEqual(order, ["healthz", "create"]);
      assert.equal(created.status, 400, JSON.stringify(created.body));
      const errors = created.body.errors as { field: string; message: string }[];
      assert.equal(errors.length, 1);
      assert.equal(errors[0].field, "/data");
      assert.match(errors[0].message, /Took longer than 250 ms to validate/);
      assert.equal(manager.service.schemas.stats().timeouts, 1);
      const listed = await api(manager.httpUrl, "GET", `/api/v1/tasks?executorName=${name}`);
      assert.deepEqual(listed.body.tasks, [], "nothing was stored");
    });
  });
}

Deno.test("REST batch: the task too slow to validate is named by its index", async () => {
  await withManager(async (manager) => {
    await createExecutor(manager.httpUrl, "letters", SLOW.letters.schema);
    const fine = { s: "a".repeat(301) + "1" };
    const created = await api(manager.httpUrl, "POST", "/api/v1/tasks/batch", {
      tasks: [0, 1, 2].map((i) => ({
        executorName: "letters",
        data: i === 1 ? SLOW.letters.data : fine,
      })),
    });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    const errors = created.body.errors as { field: string; message: string }[];
    assert.deepEqual(errors.map((e) => e.field), ["/tasks/1/data"]);
    assert.match(errors[0].message, /Took longer than 250 ms to validate/);
  });
});

Deno.test("gRPC: data too slow to validate is INVALID_ARGUMENT naming /task/data", async () => {
  await withManager(async (manager) => {
    await createExecutor(manager.httpUrl, "recursive", SLOW.recursive.schema);
    const client = managerClient(Number(manager.grpcAddress.split(":")[1]));
    try {
      const request = {
        task: { executorName: "recursive", data: valueFromJson(SLOW.recursive.data) },
      };
      const error = await rejectsWith(
        unary(client, "CreateTask", request),
        grpc.status.INVALID_ARGUMENT,
      );
      const violations = violationsFromMetadata(error.metadata);
      assert.deepEqual(violations.map((v) => v.field), ["/task/data"]);
      assert.match(violations[0].message, /Took longer than 250 ms to validate/);
    } finally {
      client.close();
    }
  });
});

Deno.test("creates queued behind validations that time out all succeed on fresh workers", async () => {
  await withManager(async (manager) => {
    await createExecutor(manager.httpUrl, "letters", SLOW.letters.schema);
    const create = (data: unknown) =>
      api(manager.httpUrl, "POST", "/api/v1/tasks", { executorName: "letters", data });
    const schemas = manager.service.schemas;
    // Two slow ones take both workers for the whole budget (2 s here, so that a busy machine
    // still sends the good ones within it); the good ones wait in the queue meanwhile.
    const slow = [create(SLOW.letters.data), create(SLOW.letters.data)];
    await until("both workers busy with the slow data", () => schemas.stats().running === 2);
    const good = Array.from({ length: 20 }, (_, i) => create({ s: "a".repeat(301) + (i % 10) }));
    await until("good creates queued behind the slow ones", () => schemas.stats().queued > 0);
    const answers = await Promise.all([...slow, ...good]);
    assert.deepEqual(answers.map((a) => a.status), [400, 400, ...good.map(() => 201)]);
    const stats = schemas.stats();
    assert.equal(stats.timeouts, 2);
    assert.ok(stats.workersStarted >= 3, `${stats.workersStarted} workers started`);
  }, { TASK_VALIDATION_MS: "2000" });
});

/** Waits for `condition`, failing (not hanging) when it does not come within 10 s. */
async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`Gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

Deno.test("a schema that compiles slower than TASK_SCHEMA_COMPILE_MS is refused at save naming /config/taskSchema", async () => {
  await withManager(async (manager) => {
    // About 60 kB of fields with patterns and formats: hundreds of ms to compile, budget 20 ms.
    const properties = Object.fromEntries(
      Array.from({ length: 600 }, (_, i) => [
        `f${i}`,
        { type: "string", pattern: `^[a-z]{1,20}-${i}$`, format: "email" },
      ]),
    );
    const schema = { type: "object", properties };
    const created = await api(manager.httpUrl, "POST", "/api/v1/executors", {
      config: { name: "big", taskSchema: schema },
    });
    assert.equal(created.status, 400, JSON.stringify(created.body));
    const errors = created.body.errors as { field: string; message: string }[];
    assert.deepEqual(errors.map((e) => e.field), ["/config/taskSchema"]);
    assert.match(errors[0].message, /Must compile within 20 ms \(TASK_SCHEMA_COMPILE_MS\)/);
    const found = await api(manager.httpUrl, "GET", "/api/v1/executors/big");
    assert.equal(found.status, 404, "nothing was stored");
  }, { TASK_SCHEMA_COMPILE_MS: "20" });
});

Deno.test("executors without a schema never start a validation worker", async () => {
  await withManager(async (manager) => {
    const created = await api(manager.httpUrl, "POST", "/api/v1/executors", {
      config: { name: "plain", enabled: false },
    });
    assert.equal(created.status, 201);
    const one = await api(manager.httpUrl, "POST", "/api/v1/tasks", {
      executorName: "plain",
      data: { s: "x" },
    });
    assert.equal(one.status, 201);
    const batch = await api(manager.httpUrl, "POST", "/api/v1/tasks/batch", {
      tasks: Array.from({ length: 50 }, (_, i) => ({ executorName: "plain", data: { i } })),
    });
    assert.equal(batch.status, 201, JSON.stringify(batch.body));
    const client = managerClient(Number(manager.grpcAddress.split(":")[1]));
    try {
      await unary(client, "CreateTask", {
        task: { executorName: "plain", data: valueFromJson({ s: "y" }) },
      });
    } finally {
      client.close();
    }
    assert.equal(manager.service.schemas.stats().workersStarted, 0);
  });
});

Deno.test("a create whose client went away while its data waited to be checked leaves the queue: it is not checked for nobody, nor stored", async () => {
  await withManager(async (manager) => {
    await createExecutor(manager.httpUrl, "letters", SLOW.letters.schema);
    const schemas = manager.service.schemas;
    const post = (data: unknown, signal?: AbortSignal) =>
      fetch(`${manager.httpUrl}/api/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executorName: "letters", data }),
        signal,
      });
    // Two slow ones take both workers; the third waits in the queue.
    const slow = [post(SLOW.letters.data), post(SLOW.letters.data)];
    await until("both workers busy with the slow data", () => schemas.stats().running === 2);
    const left = new AbortController();
    const gone = post({ s: "a".repeat(301) + "1" }, left.signal).catch((error) => error);
    await until("the third create queued", () => schemas.stats().queued === 1);
    left.abort();
    assert.equal((await gone).name, "AbortError");
    await until("it left the queue", () => schemas.stats().queued === 0);
    assert.equal(schemas.stats().running, 2, "the slow ones still run");
    for (const answer of await Promise.all(slow)) {
      assert.equal(answer.status, 400);
      await answer.body?.cancel();
    }
    const listed = await api(manager.httpUrl, "GET", "/api/v1/tasks?executorName=letters");
    assert.deepEqual(listed.body.tasks, []);
  }, { TASK_VALIDATION_MS: "2000" });
});

Deno.test("REST: a create whose validation process is held up past the backstop answers 503 with Retry-After, never 400, and stores nothing", async () => {
  await withManager(async (manager) => {
    const schema = { type: "object", properties: { to: { type: "string" } }, required: ["to"] };
    await createExecutor(manager.httpUrl, "mail", schema);
    const data = { to: "ada@example.com" };
    const first = await api(manager.httpUrl, "POST", "/api/v1/tasks", {
      executorName: "mail",
      data,
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    // Every validation process stopped: a machine that gives them no CPU at all.
    const { pids } = manager.service.schemas.stats();
    for (const pid of pids) Deno.kill(pid, "SIGSTOP");
    try {
      const response = await fetch(`${manager.httpUrl}/api/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executorName: "mail", data }),
      });
      const body = await response.json();
      assert.equal(response.status, 503, JSON.stringify(body));
      assert.equal(response.headers.get("retry-after"), "1");
      assert.match(
        JSON.stringify(body),
        /could not be validated in time: the manager is busy; retry/,
      );
    } finally {
      for (const pid of pids) {
        try {
          Deno.kill(pid, "SIGCONT");
        } catch {
          // Killed as stalled already.
        }
      }
    }
    const listed = await api(manager.httpUrl, "GET", "/api/v1/tasks?executorName=mail");
    assert.equal((listed.body.tasks as unknown[]).length, 1, "the 503 stored nothing");
    const again = await api(manager.httpUrl, "POST", "/api/v1/tasks", {
      executorName: "mail",
      data,
    });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(manager.service.schemas.stats().timeouts, 0);
  });
});
