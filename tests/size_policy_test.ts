/**
 * One size policy for every way in and out: over-limit input is refused on REST, gRPC and the SDK
 * with nothing stored, and lists answer in pages that default clients can receive.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { valueFromJson } from "@tasks-executor/proto";
import { Client, InvalidArgumentError } from "@tasks-executor/sdk";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";
import { startTestManager, type TestManager } from "./_manager.ts";

type Json = Record<string, unknown>;
// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

/** What a default client (grpc-js, Go, grpcurl) receives at most. */
const DEFAULT_CLIENT_RECEIVE = 4 * 1024 * 1024;
const MiB = 1024 * 1024;

async function rest(
  manager: TestManager,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; bytes: number; body: Msg }> {
  const response = await fetch(manager.httpUrl + path, {
    method,
    // JSON even without a body: a POST without it is refused as possibly cross-site.
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  return { status: response.status, bytes: bytes.length, body: text ? JSON.parse(text) : {} };
}

async function withExecutor(): Promise<TestManager> {
  const manager = await startTestManager();
  const created = await rest(manager, "POST", "/api/v1/executors", {
    config: { name: "big", writeConcern: { level: "unacknowledged" } },
  });
  assert.equal(created.status, 201);
  return manager;
}

async function storedTasks(manager: TestManager): Promise<number> {
  return (await manager.store.taskList({}, { limit: 1000 })).items.length;
}

/** A string that makes `{"s":"…"}` exactly `bytes` bytes of JSON. */
function dataOf(bytes: number): Json {
  return { s: "x".repeat(bytes - 8) };
}

function nested(depth: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function grpcClientOf(manager: TestManager): grpc.Client {
  // Default options: 4 MiB receive, as grpcurl, Go and grpc-js clients have.
  return managerClient(Number(manager.grpcAddress.split(":").at(-1)));
}

Deno.test("REST refuses task data over the limit with 400 naming /task/data, and stores nothing", async () => {
  await using manager = await withExecutor();
  const answer = await rest(manager, "POST", "/api/v1/tasks", {
    task: { executorName: "big", data: dataOf(DEFAULT_LIMITS.taskDataBytes + 1) },
  });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.errors[0].field, "/task/data");
  const tooLarge = await rest(manager, "POST", "/api/v1/tasks", {
    task: { executorName: "big", data: dataOf(DEFAULT_LIMITS.requestBytes + 1) },
  });
  assert.equal(tooLarge.status, 413);
  assert.equal(await storedTasks(manager), 0);
});

Deno.test("gRPC refuses task data over the limit (INVALID_ARGUMENT) and messages over the request size (RESOURCE_EXHAUSTED), storing nothing", async () => {
  await using manager = await withExecutor();
  const client = grpcClientOf(manager);
  try {
    const over = await rejectsWith(
      unary(client, "CreateTask", {
        task: {
          executorName: "big",
          data: valueFromJson(dataOf(DEFAULT_LIMITS.taskDataBytes + 1)),
        },
      }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.match(over.details, /\/task\/data/);
    await rejectsWith(
      unary(client, "CreateTask", {
        task: { executorName: "big", data: valueFromJson(dataOf(5_000_000)) },
      }),
      grpc.status.RESOURCE_EXHAUSTED,
    );
    assert.equal(await storedTasks(manager), 0);
  } finally {
    client.close();
  }
});

Deno.test("data nested too deep (10,000 over REST) is refused naming the field over REST and gRPC, and stores nothing", async () => {
  await using manager = await withExecutor();
  const deep = nested(10_000);
  const answer = await rest(manager, "POST", "/api/v1/tasks", {
    task: { executorName: "big", data: deep },
  });
  assert.equal(answer.status, 400);
  assert.match(answer.body.errors[0].field, /^\/task\/data(\/0)*$/);
  // The request's own fields nested as deep must not overflow the key conversion either.
  const deepField = await rest(manager, "POST", "/api/v1/tasks", {
    task: { executorName: "big", run_at: deep },
  });
  assert.equal(deepField.status, 400);

  const client = grpcClientOf(manager);
  try {
    const error = await rejectsWith(
      unary(client, "CreateTask", {
        // A protobuf client cannot encode a value nested 10,000 deep (each JSON level is three
        // messages): past the limit but within the encoder's, the manager names the spot.
        task: { executorName: "big", data: valueFromJson(nested(70)) },
      }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.match(error.details, /\/task\/data/);
  } finally {
    client.close();
  }
  assert.equal(await storedTasks(manager), 0);
});

Deno.test("lists of near-limit tasks answer in pages that default clients receive, over REST and gRPC", async () => {
  await using manager = await withExecutor();
  const client = grpcClientOf(manager);
  try {
    const count = 5;
    for (let i = 0; i < count; i++) {
      await unary(client, "CreateTask", {
        task: {
          executorName: "big",
          data: valueFromJson(dataOf(DEFAULT_LIMITS.taskDataBytes - 100)),
        },
      });
    }
    const seenRest: string[] = [];
    let cursor = "";
    do {
      const page = await rest(
        manager,
        "GET",
        `/api/v1/tasks?limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
      );
      assert.equal(page.status, 200);
      assert.ok(page.bytes < DEFAULT_CLIENT_RECEIVE, `a page of ${page.bytes} bytes`);
      assert.ok(page.body.tasks.length >= 1);
      seenRest.push(...page.body.tasks.map((t: Msg) => t.id));
      cursor = page.body.nextCursor ?? "";
    } while (cursor);
    assert.equal(new Set(seenRest).size, count);
    assert.ok(seenRest.length === count, "no task is listed twice");

    const seenGrpc: string[] = [];
    cursor = "";
    do {
      const page = await unary<Msg>(client, "ListTasks", { cursor, limit: 1000 });
      seenGrpc.push(...page.tasks.map((t: Msg) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seenGrpc, seenRest);
  } finally {
    client.close();
  }
});

Deno.test("a batch whose answer would not fit a page is refused before anything is stored", async () => {
  await using manager = await withExecutor();
  const tasks = [1, 2, 3].map(() => ({
    executorName: "big",
    data: dataOf(DEFAULT_LIMITS.taskDataBytes - 100),
  }));
  const answer = await rest(manager, "POST", "/api/v1/tasks/batch", { tasks });
  assert.equal(answer.status, 400);
  assert.equal(answer.body.errors[0].field, "/tasks");
  assert.equal(await storedTasks(manager), 0);
});

Deno.test("a manual status update with a result or error over the limits is refused and changes nothing", async () => {
  await using manager = await withExecutor();
  const created = await rest(manager, "POST", "/api/v1/tasks", {
    task: { executorName: "big", data: 1, runAt: Date.now() + 3_600_000 },
  });
  const id = created.body.task.id;
  await rest(manager, "POST", `/api/v1/tasks/${id}/cancel`);
  const result = await rest(manager, "PUT", `/api/v1/tasks/${id}/status`, {
    status: "pending",
    result: dataOf(DEFAULT_LIMITS.resultBytes + 1),
  });
  assert.equal(result.status, 400);
  // In the one wording of a result too large, a worker's included (`resultTooLarge`).
  const limit = DEFAULT_LIMITS.resultBytes;
  const tooLarge = `/result: Must be at most ${limit} bytes of JSON (the manager's limit), not ${
    limit + 1
  }`;
  assert.deepEqual(result.body.errors, [{
    field: "/result",
    message: tooLarge.slice("/result: ".length),
  }]);
  assert.equal(result.body.detail, `Cannot update task status: ${tooLarge}`);
  const error = await rest(manager, "PUT", `/api/v1/tasks/${id}/status`, {
    status: "failed",
    error: "e".repeat(DEFAULT_LIMITS.errorMessageChars + 1),
  });
  assert.equal(error.status, 400);
  assert.equal(error.body.errors[0].field, "/error");
  const client = grpcClientOf(manager);
  try {
    const over = await rejectsWith(
      unary(client, "UpdateTaskStatus", {
        id,
        status: "TASK_STATUS_PENDING",
        result: valueFromJson(nested(70)),
      }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.match(over.details, /\/result/);
    const large = await rejectsWith(
      unary(client, "UpdateTaskStatus", {
        id,
        status: "TASK_STATUS_PENDING",
        result: valueFromJson(dataOf(DEFAULT_LIMITS.resultBytes + 1)),
      }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.equal(large.details, `Cannot update task status: ${tooLarge}`);
  } finally {
    client.close();
  }
  const task = (await rest(manager, "GET", `/api/v1/tasks/${id}`)).body.task;
  assert.equal(task.status, "cancelled");
  assert.equal(task.result, null);
});

Deno.test("the SDK Client refuses over-limit data before sending, naming the field", async () => {
  await using manager = await withExecutor();
  using client = new Client({ address: manager.grpcAddress });
  const error = await client.createTask("big", dataOf(DEFAULT_LIMITS.taskDataBytes + 1)).then(
    () => null,
    (e) => e,
  );
  assert.ok(error instanceof InvalidArgumentError, String(error));
  assert.equal(error.violations[0].field, "/task/data");
  const batch = await client.createTasks(
    [1, 2, 3, 4, 5].map(() => ({ executorName: "big", data: dataOf(MiB - 100) })),
  ).then(() => null, (e) => e);
  assert.ok(batch instanceof InvalidArgumentError, String(batch));
  assert.equal(batch.violations[0].field, "/tasks");
  // Nothing reached the manager: a client pointed nowhere refuses the same way, at once.
  using nowhere = new Client({ address: "127.0.0.1:1", callTimeoutMs: 60_000 });
  await assert.rejects(
    nowhere.createTask("big", dataOf(DEFAULT_LIMITS.taskDataBytes + 1)),
    InvalidArgumentError,
  );
  assert.equal(await storedTasks(manager), 0);
});
