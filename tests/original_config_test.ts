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

Deno.test("integer fields of a config take proto3 JSON's decimal strings, and only well-formed ones", async () => {
  await using manager = await startTestManager();
  const strings = await post(manager.httpUrl, {
    config: {
      name: "g3",
      writeConcern: { level: 2 },
      retryPolicy: { type: 3, maxAttempts: "4", interval: { seconds: "2", nanos: "500000000" } },
      maxConcurrency: "7",
      rateLimit: { limit: "10", period: "1s", burst: "20" },
      maxConcurrencyPerKey: "-0",
    },
  });
  assert.equal(strings.status, 201, JSON.stringify(strings.body));
  const executor = strings.body.executor;
  // Answered as numbers, as ever.
  assert.deepEqual(
    [executor.retryPolicy.maxAttempts, executor.retryPolicy.interval, executor.maxConcurrency],
    [4, 2500, 7],
  );
  assert.deepEqual(executor.rateLimit, { limit: 10, period: 1000, burst: 20 });
  assert.equal(executor.maxConcurrencyPerKey, 0);
  const removed = await fetch(`${manager.httpUrl}/api/v1/executors/g3`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ rateLimit: { limit: "0" } }),
  });
  assert.equal(removed.status, 200);
  assert.equal((await removed.json()).executor.rateLimit, null);

  for (const bad of ["4.5", " 4", "4 ", "0x4", "1e3", "+4", "04", "", "four", "1".repeat(400)]) {
    const answer = await post(manager.httpUrl, {
      name: "g4",
      retryPolicy: { maxAttempts: bad, interval: { seconds: bad } },
      maxConcurrency: bad,
      rateLimit: { limit: bad },
      maxConcurrencyPerKey: bad,
    });
    assert.equal(answer.status, 400, bad);
    assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field).sort(), [
      "/maxConcurrency",
      "/maxConcurrencyPerKey",
      "/rateLimit/limit",
      "/retryPolicy/interval",
      "/retryPolicy/maxAttempts",
    ], bad);
  }
  // A well-formed string out of range is refused as the number is.
  const big = await post(manager.httpUrl, {
    name: "g5",
    retryPolicy: { maxAttempts: "99999999999999999999" },
  });
  assert.equal(big.status, 400);
  assert.deepEqual(big.body.errors, [{
    field: "/retryPolicy/maxAttempts",
    message: "Must be between 1 and 1000",
  }]);
  // Durations in ms stay numbers: a bare digit string is no proto3 duration (which says "s").
  const ms = await post(manager.httpUrl, { name: "g6", timeout: "1500" });
  assert.equal(ms.status, 400);
  assert.deepEqual(ms.body.errors.map((e: { field: string }) => e.field), ["/timeout"]);
  // A fraction setting takes numbers only.
  const multiplier = await post(manager.httpUrl, { name: "g7", retryPolicy: { multiplier: "2" } });
  assert.equal(multiplier.status, 400);
  assert.deepEqual(multiplier.body.errors, [{
    field: "/retryPolicy/multiplier",
    message: "Must be a number",
  }]);
});

Deno.test("a REST client of the earlier system meets what README's original-interface section says", async () => {
  await using manager = await startTestManager();
  assert.equal((await post(manager.httpUrl, { name: "gw" })).status, 201);
  const send = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${manager.httpUrl}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  // A body made for the gateway: taken, its base64 `data` kept as the JSON string it is.
  const base64 = btoa(JSON.stringify({ message: "hi" }));
  const created = await send("POST", "/api/v1/tasks", { executor_name: "gw", data: base64 });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.task.data, base64);
  assert.equal(created.body.task.status, "pending");
  // The gateway's routes are not served; its paging names are not ours.
  const gatewayRoute = await send("POST", "/v1/tasks", { executor_name: "gw", data: base64 });
  assert.equal(gatewayRoute.status, 404);
  assert.equal(gatewayRoute.body.detail, "No route for POST /v1/tasks");
  assert.equal((await send("GET", "/api/v1/executors?page_size=10")).status, 400);
  // An update keeps what it leaves out, `enabled` included.
  const updated = await send("PUT", "/api/v1/executors/gw", {
    config: { name: "gw", retry_policy: { max_attempts: 2 } },
  });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.executor.enabled, true);
});
