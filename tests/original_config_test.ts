/**
 * Executor config files of the earlier Go system (gRPC-Gateway JSON: snake_case, enum numbers,
 * Duration objects and strings) are taken as written over REST, and answered in our one form.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";

async function post(base: string, body: unknown) {
  const response = await fetch(`${base}/api/v1/executors`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test("the earlier system's executor config files create executors over REST", async () => {
  await using manager = await startTestManager();
  const wrapped = await post(manager.httpUrl, {
    config: { name: "a1", retryPolicy: { type: "exponential", maxAttempts: 3, interval: "1s" } },
  });
  assert.equal(wrapped.status, 201, JSON.stringify(wrapped.body));
  assert.equal(wrapped.body.executor.retryPolicy.interval, 1000);

  const bare = await post(manager.httpUrl, {
    name: "example_processor",
    enabled: true,
    write_concern: { level: 2 },
    retry_policy: { type: 1, max_attempts: 3, interval: { seconds: 3, nanos: 0 } },
    dlq_config: { enabled: false, queue_name: "" },
  });
  assert.equal(bare.status, 201, JSON.stringify(bare.body));
  const executor = bare.body.executor;
  assert.equal(executor.writeConcern.level, "majority");
  assert.deepEqual(
    [executor.retryPolicy.type, executor.retryPolicy.maxAttempts, executor.retryPolicy.interval],
    ["constant", 3, 3000],
  );
  assert.equal(executor.dlqConfig.enabled, false);
});

Deno.test("an unknown enum number in a config file is a 400 naming the field", async () => {
  await using manager = await startTestManager();
  const answer = await post(manager.httpUrl, { name: "a2", write_concern: { level: 9 } });
  assert.equal(answer.status, 400);
  assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [
    "/writeConcern/level",
  ]);
});
