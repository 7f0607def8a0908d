/**
 * Rules that live in the service so that REST and gRPC only translate: a repeated idempotency key,
 * stats filtered by executor, and the server facts the admin page shows (`/api/v1/meta`).
 */
import assert from "node:assert/strict";
import { retryDelay } from "../server/domain/backoff.ts";
import { DLQ_REASONS } from "../server/domain/dlq.ts";
import { ConflictError, InvalidArgumentError } from "../server/domain/errors.ts";
import { DEFAULT_EXECUTOR_CONFIG } from "../server/domain/executor.ts";
import { MAX_RETRY_DELAY_MS } from "../server/domain/limits.ts";
import { TASK_STATUSES } from "../server/domain/task.ts";
import { previewRetryDelays } from "../server/service/meta.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { startTestManager } from "./_manager.ts";
import { rest, restOk } from "./fixtures/rest.ts";

async function withService(run: (service: Service) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "service-rules-" });
  try {
    await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
    await run(new Service(store));
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
    assert.deepEqual(await service.taskStats({ executorName: "ghost" }), []);
  });
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

Deno.test("GET /api/v1/meta serves the statuses, DLQ reasons and executor defaults the server uses", async () => {
  await using manager = await startTestManager();
  const facts = await restOk(manager, "GET", "/meta");
  assert.deepEqual(facts.taskStatuses, TASK_STATUSES);
  assert.deepEqual(facts.dlqReasons, DLQ_REASONS);
  assert.deepEqual(facts.executorDefaults, DEFAULT_EXECUTOR_CONFIG);
  assert.equal(facts.maxRetryDelayMs, MAX_RETRY_DELAY_MS);
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
