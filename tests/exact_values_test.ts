/**
 * What the API accepts reads back exactly, or is refused with a 400 that names the field and
 * stores nothing: times, numbers, strings with U+0000, and times a retry policy computes. Each
 * failing input of issue 9 (item 3), on a real manager over each store.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { AssignmentMessage, ResultAckMessage } from "@tasks-executor/proto";
import { MAX_TIME_MS } from "../server/domain/limits.ts";
import type { TestManager } from "./_manager.ts";
import { BACKENDS, backendTest, startBackendManager, withMongo } from "./fixtures/backends.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { workerClient } from "./fixtures/test_worker.ts";
import { Client } from "../sdk/mod.ts";

/** Expects a 400 whose violations name exactly `field`. */
async function refused(
  manager: TestManager,
  method: string,
  path: string,
  body: unknown,
  field: string,
): Promise<void> {
  const answer = await rest(manager, method, path, body);
  assert.equal(answer.status, 400, `${method} ${path} ${String(body).slice(0, 80)}`);
  assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [field]);
}

async function taskCount(manager: TestManager): Promise<number> {
  return (await restOk(manager, "GET", "/tasks?limit=1000")).tasks.length;
}

const SCHEMA = { type: "object", properties: { n: { type: "number" } } };

for (const backend of BACKENDS) {
  const test = (name: string, fn: (manager: TestManager) => Promise<void>) =>
    backendTest(backend, name, (running) => fn(running.manager));

  test("runAt takes RFC 3339 with an offset or epoch ms; anything else is a 400", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "times" } });
    const task = (runAt: unknown) => ({ task: { executorName: "times", runAt } });
    for (
      const runAt of [
        "2030-06-01T12:00:00",
        "2030-06-01",
        "June 1, 2030",
        "Sat, 01 Jun 2030 12:00:00 GMT",
        "2030-06-01T12:00:00+0200",
        "9999-12-31T23:59:59.999-01:00",
        MAX_TIME_MS + 1,
        -1,
        1.5,
        true,
      ]
    ) await refused(m, "POST", "/tasks", task(runAt), "/task/runAt");
    assert.equal(await taskCount(m), 0);

    const expected = "2030-06-01T12:00:00.000Z";
    for (const runAt of ["2030-06-01T14:00:00+02:00", "2030-06-01T12:00:00Z", 1906545600000]) {
      const created = await restOk(m, "POST", "/tasks", task(runAt));
      assert.equal(created.task.runAt, expected);
      assert.equal((await restOk(m, "GET", `/tasks/${created.task.id}`)).task.runAt, expected);
    }
  });

  test("time filters take the same formats; a bad one is a 400 naming it", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "filters" } });
    for (const key of ["createdAfter", "createdBefore"]) {
      const answer = await rest(m, "GET", `/tasks?${key}=2030-06-01T12:00:00`);
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [key]);
      const words = await rest(m, "GET", `/tasks?${key}=${encodeURIComponent("next tuesday")}`);
      assert.equal(words.status, 400);
    }
    const purge = await rest(m, "DELETE", "/dlq?deadBefore=2030-06-01");
    assert.equal(purge.status, 400);
    assert.deepEqual(purge.body.errors.map((e: { field: string }) => e.field), ["deadBefore"]);
    await refused(m, "POST", "/dlq/requeue", { deadBefore: "yesterday" }, "/deadBefore");
    const at = encodeURIComponent("2000-01-01T00:00:00+01:00");
    assert.equal((await restOk(m, "GET", `/tasks?createdAfter=${at}`)).tasks.length, 0);
    assert.equal(
      (await restOk(m, "GET", `/tasks?createdBefore=${Date.now() + 60_000}`)).tasks.length,
      0,
    );
  });

  test("data numbers that JSON cannot carry exactly are a 400 naming them", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "numbers", taskSchema: SCHEMA } });
    const raw = (data: string) => `{"task":{"executorName":"numbers","data":${data}}}`;
    await refused(m, "POST", "/tasks", raw(`{"n":1e400}`), "/task/data/n");
    await refused(m, "POST", "/tasks", raw(`{"n":-1e400}`), "/task/data/n");
    await refused(m, "POST", "/tasks", raw(`{"n":12345678901234567890}`), "/task/data/n");
    await refused(
      m,
      "POST",
      "/tasks",
      raw(`{"list":[1,{"big":9007199254740993}]}`),
      "/task/data/list/1/big",
    );
    const batch = `{"tasks":[{"executorName":"numbers","data":{"n":1}},` +
      `{"executorName":"numbers","data":{"n":1e999}}]}`;
    await refused(m, "POST", "/tasks/batch", batch, "/tasks/1/data/n");
    assert.equal(await taskCount(m), 0);

    const edge = { n: 9007199254740991, m: -9007199254740991, f: 0.1, tiny: 5e-324 };
    const created = await restOk(m, "POST", "/tasks", raw(JSON.stringify(edge)));
    assert.deepEqual((await restOk(m, "GET", `/tasks/${created.task.id}`)).task.data, edge);
  });

  test("data nested deeper than the limit is a 400 and stores nothing", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "deep" } });
    const deep = "[".repeat(10_000) + "]".repeat(10_000);
    const answer = await rest(
      m,
      "POST",
      "/tasks",
      `{"task":{"executorName":"deep","data":${deep}}}`,
    );
    assert.equal(answer.status, 400);
    assert.match(answer.body.errors[0].field, /^\/task\/data(\/0)+$/);
    assert.equal(await taskCount(m), 0);
  });

  test("an idempotency key with U+0000 is a 400; NUL elsewhere reads back intact", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "nul" } });
    const refusedKey = { task: { executorName: "nul", idempotencyKey: "key-\u0000-end" } };
    await refused(m, "POST", "/tasks", refusedKey, "/task/idempotencyKey");
    assert.equal(await taskCount(m), 0);

    const data = { "k\u0000ey": "va\u0000lue", list: ["\u0000"] };
    const metadata = { "m\u0000": "\u0000v\u0000" };
    const created = await restOk(m, "POST", "/tasks", {
      task: { executorName: "nul", data, metadata, idempotencyKey: "key-\u0001-end" },
    });
    const read = (await restOk(m, "GET", `/tasks/${created.task.id}`)).task;
    assert.deepEqual(read.data, data);
    assert.deepEqual(read.metadata, metadata);
    assert.equal(read.idempotencyKey, "key-\u0001-end");
    const listed = (await restOk(m, "GET", "/tasks?executorName=nul")).tasks[0];
    assert.deepEqual([listed.data, listed.metadata], [data, metadata]);
  });

  test("strings out of limits or not well-formed are a 400 naming the field", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "strings" } });
    const task = (fields: Record<string, unknown>) => ({
      task: { executorName: "strings", ...fields },
    });
    await refused(
      m,
      "POST",
      "/tasks",
      task({ idempotencyKey: "k".repeat(257) }),
      "/task/idempotencyKey",
    );
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
    await refused(m, "POST", "/tasks", task({ metadata: many }), "/task/metadata");
    await refused(
      m,
      "POST",
      "/tasks",
      task({ metadata: { ["k".repeat(257)]: "v" } }),
      `/task/metadata/${"k".repeat(257)}`,
    );
    await refused(
      m,
      "POST",
      "/tasks",
      task({ metadata: { a: "v".repeat(4097) } }),
      "/task/metadata/a",
    );
    await refused(m, "POST", "/tasks", task({ metadata: { "a/b": 1 } }), "/task/metadata/a~1b");
    const lone = (field: string) => `{"task":{"executorName":"strings",${field}}}`;
    await refused(m, "POST", "/tasks", lone(`"metadata":{"a":"\\ud800"}`), "/task/metadata/a");
    await refused(m, "POST", "/tasks", lone(`"idempotencyKey":"\\udc00x"`), "/task/idempotencyKey");
    await refused(m, "POST", "/tasks", lone(`"data":{"s":["\\ud800"]}`), "/task/data/s/0");
    assert.equal(await taskCount(m), 0);

    const fits = await restOk(
      m,
      "POST",
      "/tasks",
      task({
        idempotencyKey: "k".repeat(256),
        metadata: {
          ...Object.fromEntries(Array.from({ length: 63 }, (_, i) => [`k${i}`, "v"])),
          ["k".repeat(256)]: "v".repeat(4096),
        },
      }),
    );
    assert.equal(fits.task.idempotencyKey.length, 256);
  });

  test("a steep retry policy with retries forced now keeps every read of the task working", async (m) => {
    await restOk(m, "POST", "/executors", {
      config: {
        name: "steep",
        retryPolicy: {
          type: "exponential",
          maxAttempts: 10,
          interval: 2_592_000_000,
          multiplier: 100,
          maxInterval: 0,
        },
      },
    });
    const { task } = await restOk(m, "POST", "/tasks", { task: { executorName: "steep" } });
    const { client, call } = workerClient(m.grpcAddress);
    try {
      for (let attempt = 1; attempt <= 6; attempt++) {
        const got = await call<{ tasks: AssignmentMessage[] }>("GetNextTask", {
          workerId: "w1",
          executors: ["steep"],
        });
        assert.equal(got.tasks.length, 1, `attempt ${attempt}`);
        const reply = await call<{ acks: ResultAckMessage[] }>("ReportResults", {
          workerId: "w1",
          results: [{
            taskId: task.id,
            leaseToken: got.tasks[0].leaseToken,
            ok: false,
            error: "again",
            retryable: true,
          }],
        });
        assert.equal(reply.acks[0].accepted, true);
        const waiting = (await restOk(m, "GET", `/tasks/${task.id}`)).task;
        assert.ok(Date.parse(waiting.runAt) <= MAX_TIME_MS, waiting.runAt);
        await restOk(m, "PUT", `/tasks/${task.id}/status`, { status: "pending" });
      }
    } finally {
      client.close();
    }
    await everyReadWorks(m, task.id, "steep");
  });
}

/** GET, lists, stats, cancel and a forced executor delete all answer 2xx for task `id`. */
async function everyReadWorks(m: TestManager, id: string, executor: string): Promise<void> {
  const read = (await restOk(m, "GET", `/tasks/${id}`)).task;
  assert.ok(Date.parse(read.runAt) <= MAX_TIME_MS);
  assert.ok((await restOk(m, "GET", "/tasks")).tasks.some((t: { id: string }) => t.id === id));
  assert.ok(
    (await restOk(m, "GET", `/tasks?executorName=${executor}&status=pending`)).tasks.length,
  );
  await restOk(m, "GET", "/stats");
  assert.equal((await restOk(m, "POST", `/tasks/${id}/cancel`)).task.status, "cancelled");
  await restOk(m, "DELETE", `/executors/${executor}?force=true`);
  assert.equal((await rest(m, "GET", `/tasks/${id}`)).status, 404);
}

/** A run_at as an earlier version could store it: 30 days × 100^4 after the epoch. */
const OVERFLOWED_MS = 2_592_000_000 * 100 ** 4;

Deno.test({
  name: "a time past 2^53 ms stored by an earlier version reads as MAX_TIME_MS (sqlite)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using running = await startBackendManager(BACKENDS[0]);
    await restOk(running.manager, "POST", "/executors", { config: { name: "old" } });
    const { task } = await restOk(running.manager, "POST", "/tasks", {
      task: { executorName: "old" },
    });
    const path = `${running.manager.dataDir}/tasks.db`;
    await running.manager.shutdown();
    const db = new DatabaseSync(path);
    db.prepare("UPDATE tasks SET run_at = ? WHERE id = ?").run(OVERFLOWED_MS, task.id);
    db.exec("PRAGMA user_version = 2");
    db.close();
    const m = await running.restart();
    const read = (await restOk(m, "GET", `/tasks/${task.id}`)).task;
    assert.equal(Date.parse(read.runAt), MAX_TIME_MS);
    await everyReadWorks(m, task.id, "old");
  },
});

Deno.test({
  ...skipUnless(
    "a time past 2^53 ms stored by an earlier version reads as MAX_TIME_MS (mongo)",
    BACKENDS[1].skip,
  ),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using running = await startBackendManager(BACKENDS[1]);
    const m = running.manager;
    await restOk(m, "POST", "/executors", { config: { name: "old" } });
    const { task } = await restOk(m, "POST", "/tasks", { task: { executorName: "old" } });
    await withMongo((client) =>
      client.db(running.mongoDb!).collection<{ _id: string }>("tasks")
        .updateOne({ _id: task.id }, { $set: { runAt: OVERFLOWED_MS } })
    );
    const read = (await restOk(m, "GET", `/tasks/${task.id}`)).task;
    assert.equal(Date.parse(read.runAt), MAX_TIME_MS);
    await everyReadWorks(m, task.id, "old");
  },
});

Deno.test({
  name: "the SDK client refuses a time the wire cannot carry instead of sending another one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using running = await startBackendManager(BACKENDS[0]);
    const m = running.manager;
    await restOk(m, "POST", "/executors", { config: { name: "sdk" } });
    using client = new Client({ address: m.grpcAddress });
    for (const runAt of [new Date("not a date"), 1.5, -1, NaN]) {
      await assert.rejects(client.createTask("sdk", {}, { runAt }), RangeError, String(runAt));
    }
    await assert.rejects(client.listTasks({ createdAfter: new Date("x") }), /createdAfter/);
    assert.equal(await taskCount(m), 0);
    const runAt = new Date(Date.UTC(2030, 5, 1, 12));
    const task = await client.createTask("sdk", {}, { runAt });
    assert.equal(task.runAt?.getTime(), runAt.getTime());
  },
});
