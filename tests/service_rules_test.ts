/**
 * Rules that live in the service so that REST and gRPC only translate: a repeated idempotency key,
 * stats filtered by executor, and the server facts the admin page shows (`/api/v1/meta`).
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { retryDelay } from "../server/domain/backoff.ts";
import { DLQ_REASONS } from "../server/domain/dlq.ts";
import { ConflictError, InvalidArgumentError, NotFoundError } from "../server/domain/errors.ts";
import {
  DEFAULT_EXECUTOR_CONFIG,
  EXECUTOR_BOUNDS,
  EXECUTOR_NAME_PATTERN,
} from "../server/domain/executor.ts";
import { MAX_RETRY_DELAY_MS } from "../server/domain/limits.ts";
import { TASK_STATUSES } from "../server/domain/task.ts";
import { previewRetryDelays } from "../server/service/meta.ts";
import {
  COUNTS_MAX_AGE_MS,
  COUNTS_REUSE,
  COUNTS_REUSE_FROM_TASKS,
  COUNTS_SLOW_MS,
} from "../server/service/executors.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { startTestManager } from "./_manager.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";

async function withService(
  run: (service: Service) => Promise<void>,
  options: ConstructorParameters<typeof Service>[1] = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "service-rules-" });
  try {
    await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
    await run(new Service(store, options));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("createTask() refuses a repeated idempotency key with the task it made, unless asked to return it", async () => {
  await withService(async (service) => {
    await service.createExecutor({ name: "once" });
    const first = await service.createTask({ executorName: "once", data: 1, idempotencyKey: "k" });
    assert.equal(first.created, true);
    const error = await service.createTask({ executorName: "once", data: 2, idempotencyKey: "k" })
      .then(() => null, (e) => e);
    assert.ok(error instanceof ConflictError, String(error));
    assert.match(error.message, /idempotency key "k" exists already for executor "once"/);
    assert.equal(error.existing?.task.id, first.task.id);
    assert.equal(error.existing?.task.data, 1);

    const again = await service.createTask(
      { executorName: "once", data: 3, idempotencyKey: "k" },
      { ifExists: "return" },
    );
    assert.deepEqual([again.created, again.task.id], [false, first.task.id]);
    // A batch reports repeats per task rather than refusing.
    const batch = await service.createTasks([
      { executorName: "once", idempotencyKey: "k" },
      { executorName: "once", idempotencyKey: "other" },
    ]);
    assert.deepEqual(batch.map((o) => o.created), [false, true]);
  });
});

Deno.test("taskStats() keeps one executor's figures when filtered, every executor's otherwise", async () => {
  await withService(async (service) => {
    await service.createExecutor({ name: "a" });
    await service.createExecutor({ name: "b" });
    await service.createTask({ executorName: "b", data: null });
    assert.deepEqual((await service.taskStats()).map((s) => s.executorName), ["a", "b"]);
    assert.equal((await service.taskStats({ executorName: "" })).length, 2);
    const [only, ...rest] = await service.taskStats({ executorName: "b" });
    assert.deepEqual(rest, []);
    assert.equal(only.executorName, "b");
    assert.equal(only.byStatus.pending, 1);
    // A read of one executor's figures naming a missing one is NOT_FOUND (a filter over a
    // collection would list nothing).
    await assert.rejects(service.taskStats({ executorName: "ghost" }), NotFoundError);
  });
});

Deno.test("taskStats() answers counts of COUNTS_REUSE_FROM_TASKS tasks or more that took COUNTS_SLOW_MS or more again for COUNTS_REUSE times as long (COUNTS_MAX_AGE_MS at most); other counts afresh", async () => {
  // A clock that moves `step` ms at each reading: a count read between two readings "took" it.
  let clock = 1_000_000;
  let step = COUNTS_SLOW_MS;
  const now = () => (clock += step);
  await withService(async (service) => {
    await service.createExecutor({ name: "a" });
    const pending = async () => (await service.taskStats())[0].byStatus.pending;
    // Few tasks: slow or not, every count is read afresh.
    assert.equal(await pending(), 0);
    await service.createTask({ executorName: "a", data: null });
    assert.equal(await pending(), 1);
    // Many tasks (straight into the store; the service's clock moves once).
    const many = Array.from({ length: COUNTS_REUSE_FROM_TASKS }, () => ({
      executorName: "a",
      data: null,
    }));
    for (let i = 0; i < many.length; i += 1000) {
      await service.createTasks(many.slice(i, i + 1000));
    }
    const counted = 1 + COUNTS_REUSE_FROM_TASKS;
    assert.equal(await pending(), counted); // took COUNTS_SLOW_MS: kept
    await service.createTask({ executorName: "a", data: null });
    assert.equal(await pending(), counted, "the slow count again");
    // Past COUNTS_REUSE times what it took, the count is read again.
    clock += COUNTS_SLOW_MS * COUNTS_REUSE;
    assert.equal(await pending(), counted + 1);
    // Quicker counts are never kept.
    step = COUNTS_SLOW_MS - 1;
    clock += COUNTS_SLOW_MS * COUNTS_REUSE;
    assert.equal(await pending(), counted + 1);
    await service.createTask({ executorName: "a", data: null });
    assert.equal(await pending(), counted + 2);
    // An executor's delete checks what is pending afresh, whatever the counts kept.
    step = COUNTS_SLOW_MS;
    assert.equal(await pending(), counted + 2);
    await service.createTask({ executorName: "a", data: null });
    await assert.rejects(
      service.deleteExecutor("a"),
      new RegExp(`${counted + 3} tasks are pending or in progress`),
    );
    // However slow a count was, it is kept COUNTS_MAX_AGE_MS at most.
    step = COUNTS_MAX_AGE_MS;
    clock += COUNTS_MAX_AGE_MS;
    assert.equal(await pending(), counted + 3); // took COUNTS_MAX_AGE_MS: kept that long
    step = 1;
    clock += COUNTS_MAX_AGE_MS;
    await service.createTask({ executorName: "a", data: null });
    assert.equal(await pending(), counted + 4);
  }, { now });
});

Deno.test("an executor past MAX_EXECUTORS is refused with FAILED_PRECONDITION naming the limit, over REST and gRPC, and nothing is stored; a taken name is still refused as taken", async () => {
  await using manager = await startTestManager({ env: { MAX_EXECUTORS: "2" } });
  await restOk(manager, "POST", "/executors", { name: "one" });
  await restOk(manager, "POST", "/executors", { name: "two" });
  const refused = await rest(manager, "POST", "/executors", { name: "three" });
  assert.equal(refused.status, 409);
  assert.match(
    refused.body.detail,
    /^Cannot create executor: the store holds 2 executors, the limit \(MAX_EXECUTORS\)/,
  );
  const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
  try {
    const error = await unary(client, "CreateExecutor", { config: { name: "four" } }).then(
      () => null,
      (e: grpc.ServiceError) => e,
    );
    assert.equal(error?.code, grpc.status.FAILED_PRECONDITION);
  } finally {
    client.close();
  }
  const taken = await rest(manager, "POST", "/executors", { name: "two" });
  assert.equal(taken.status, 409);
  assert.match(taken.body.detail, /already exists/);
  assert.deepEqual(
    (await manager.service.listExecutors()).items.map((e) => e.name),
    ["one", "two"],
  );
  // Deleting one makes room.
  await restOk(manager, "DELETE", "/executors/one");
  await restOk(manager, "POST", "/executors", { name: "three" });
});

Deno.test("30 executors created at once with MAX_EXECUTORS=5 make 5: the store counts and inserts in one transaction", async () => {
  await using manager = await startTestManager({ env: { MAX_EXECUTORS: "5" } });
  const taskSchema = { type: "object", properties: { n: { type: "integer" } } };
  const answers = await Promise.all(
    Array.from(
      { length: 30 },
      (_, i) => rest(manager, "POST", "/executors", { config: { name: `e${i}`, taskSchema } }),
    ),
  );
  const statuses = answers.map((a) => a.status);
  assert.equal(statuses.filter((s) => s === 201).length, 5, statuses.join(" "));
  assert.equal(statuses.filter((s) => s === 409).length, 25, statuses.join(" "));
  assert.equal((await manager.service.listExecutors()).items.length, 5);
});

Deno.test("previewRetryDelays() gives the delays retryDelay() gives, capped as the manager caps them", () => {
  const policy = {
    type: "exponential",
    maxAttempts: 6,
    interval: 1000,
    maxInterval: 0,
    multiplier: 100,
    jitter: 0.5,
  } as const;
  const delays = previewRetryDelays(policy);
  assert.deepEqual(
    delays,
    [1, 2, 3, 4, 5].map((n) => retryDelay({ ...policy, jitter: 0 }, n)),
  );
  assert.equal(delays.at(-1), MAX_RETRY_DELAY_MS, "the 30-day cap of the server applies");
  assert.deepEqual(previewRetryDelays({}), [1000, 2000], "left out: a new executor's defaults");
  assert.throws(
    () => previewRetryDelays({ multiplier: 0.5, maxAttempts: 0 }),
    (error: unknown) =>
      error instanceof InvalidArgumentError &&
      error.violations.map((v) => v.field).sort().join() ===
        "/retryPolicy/maxAttempts,/retryPolicy/multiplier",
  );
});

Deno.test("GET /api/v1/meta serves the statuses, DLQ reasons, executor defaults and bounds and the name pattern the server uses", async () => {
  await using manager = await startTestManager();
  const facts = await restOk(manager, "GET", "/meta");
  assert.deepEqual(facts.taskStatuses, TASK_STATUSES);
  assert.deepEqual(facts.dlqReasons, DLQ_REASONS);
  assert.deepEqual(facts.executorDefaults, DEFAULT_EXECUTOR_CONFIG);
  assert.deepEqual(facts.executorBounds, EXECUTOR_BOUNDS);
  assert.equal(facts.namePattern, EXECUTOR_NAME_PATTERN.source);
  assert.equal(facts.maxRetryDelayMs, MAX_RETRY_DELAY_MS);
  // The bound the facts give is the one a write is held to.
  const short = await rest(manager, "POST", "/executors", {
    name: "short",
    timeout: facts.executorBounds.timeout.min - 1,
  });
  assert.equal(short.status, 400);
  assert.deepEqual(short.body.errors.map((e: { field: string }) => e.field), ["/timeout"]);
  // What a new executor gets is what the facts say it gets.
  const { executor } = await restOk(manager, "POST", "/executors", { name: "plain" });
  for (const [key, value] of Object.entries(facts.executorDefaults)) {
    assert.deepEqual(executor[key], value, key);
  }
});

Deno.test("POST /api/v1/meta/retry-delays answers the policy's delays, and 400 naming each bad field", async () => {
  await using manager = await startTestManager();
  const policy = { type: "linear", maxAttempts: 4, interval: 200, maxInterval: 500 };
  assert.deepEqual(
    (await restOk(manager, "POST", "/meta/retry-delays", { retryPolicy: policy })).delays,
    [200, 400, 500],
  );
  const bad = await rest(manager, "POST", "/meta/retry-delays", {
    retryPolicy: { type: "sometimes", interval: -1 },
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(
    bad.body.errors.map((e: { field: string }) => e.field).sort(),
    ["/retryPolicy/interval", "/retryPolicy/type"],
  );
  const unknown = await rest(manager, "POST", "/meta/retry-delays", { policy: {} });
  assert.equal(unknown.status, 400);
});
