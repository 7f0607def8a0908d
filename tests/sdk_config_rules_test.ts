/**
 * An executor configuration the SDK sends is judged by the manager's rules: a value the wire would
 * carry as "not given" (a proto3 0) is refused before anything is sent, as REST refuses it and in
 * its words, instead of keeping (or removing) what the executor has.
 */
import assert from "node:assert/strict";
import { Client, type Executor, type ExecutorConfig, InvalidArgumentError } from "../sdk/mod.ts";
import { toSdkError, UNSET_ZERO_BOUNDS } from "../sdk/_grpc.ts";
import { SCHEDULE_FIRES_BOUND } from "../sdk/schedules.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { EXECUTOR_BOUNDS, parseExecutorConfig } from "../server/domain/executor.ts";
import { InvalidArgumentError as DomainInvalidArgument } from "../server/domain/errors.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { startTestManager } from "./_manager.ts";
import { rejectsWith, startGrpcStack } from "./fixtures/grpc_stack.ts";
import * as grpc from "@grpc/grpc-js";

/** The configuration the test registers first. */
const FIRST = {
  retryPolicy: { type: "exponential", maxAttempts: 5, multiplier: 3 },
  rateLimit: { limit: 5, period: 1000, burst: 7 },
  rateLimitPerKey: { limit: 2, period: 1000, burst: 3 },
} as const;

/**
 * What REST answers an update to `config` (sent as JSON) of the executor `FIRST` made: the
 * violations of `parseExecutorConfig`.
 */
function restViolations(config: ExecutorConfig): { field: string; message: string }[] {
  try {
    const base = parseExecutorConfig({ name: "t", ...FIRST });
    parseExecutorConfig(JSON.parse(JSON.stringify(config)), { base });
  } catch (error) {
    if (error instanceof DomainInvalidArgument) return error.violations;
    throw error;
  }
  return [];
}

Deno.test("the SDK's bounds of the numbers whose 0 is not given are the manager's", () => {
  assert.deepEqual(UNSET_ZERO_BOUNDS.retryPolicy, {
    maxAttempts: EXECUTOR_BOUNDS.retryPolicy.maxAttempts,
    multiplier: EXECUTOR_BOUNDS.retryPolicy.multiplier,
  });
  for (const key of ["rateLimit", "rateLimitPerKey"] as const) {
    assert.deepEqual(UNSET_ZERO_BOUNDS.rateLimit, {
      limit: EXECUTOR_BOUNDS[key].limit,
      burst: EXECUTOR_BOUNDS[key].burst,
    });
  }
  // A schedule's fire counts (`fires`, a preview's `count`) and `maxMissedFires`, whose 0 is not
  // given too.
  assert.deepEqual(SCHEDULE_FIRES_BOUND, { min: 1, max: DEFAULT_LIMITS.scheduleFires });
});

Deno.test("schedules refuse fires, count and maxMissedFires out of 1 to 100 before sending, as the manager answers over gRPC, word for word", async () => {
  await using stack = await startGrpcStack();
  using client = new Client({ address: `127.0.0.1:${stack.server.port}` });
  await client.registerExecutor("t_fires");
  await client.schedules.create("nightly", { executorName: "t_fires", every: 60_000 });
  const cron = { cron: "* * * * *" };
  const cases: [string, unknown, (n: number) => Promise<unknown>][] = [
    [
      "GetSchedule",
      { id: "nightly", fires: 101 },
      (n) => client.schedules.get("nightly", { fires: n }),
    ],
    ["ListSchedules", { fires: 101 }, (n) => client.schedules.listPage({ fires: n })],
    ["ListSchedules", { fires: 101 }, (n) => client.schedules.list({ fires: n })],
    [
      "PreviewSchedule",
      { config: cron, count: 101 },
      (n) => client.schedules.preview(cron, { count: n }),
    ],
    [
      "UpdateSchedule",
      { id: "nightly", config: { maxMissedFires: 101 } },
      (n) => client.schedules.update("nightly", { maxMissedFires: n }),
    ],
    [
      "CreateSchedule",
      { config: { name: "other", executorName: "t_fires", ...cron, maxMissedFires: 101 } },
      (n) =>
        client.schedules.create("other", { executorName: "t_fires", ...cron, maxMissedFires: n }),
    ],
  ];
  for (const [method, request, call] of cases) {
    // What the manager answers past its bound: the words the SDK's own refusal must use.
    const raw = await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT);
    const said = toSdkError(raw, method) as InvalidArgumentError;
    // 0 went out as "not given" (5 fire times, 10 missed fires or the one kept), 101 reached the
    // manager; none is sent now.
    for (const n of [0, -1, 2.5, 101, 2 ** 31]) {
      const error = await call(n).catch((e) => e);
      assert.ok(error instanceof InvalidArgumentError, `${method} ${n}: ${error}`);
      assert.equal(error.message, said.message, `${method} ${n}`);
      assert.deepEqual(error.violations, said.violations, `${method} ${n}`);
    }
    await call(100);
  }
  const stored = await client.schedules.get("nightly");
  assert.equal(stored.maxMissedFires, 100);
});

Deno.test("registerExecutor refuses the zeros REST refuses, naming the field, and changes nothing", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const first = await client.registerExecutor("t_zeros", structuredClone(FIRST));
  const refused: ExecutorConfig[] = [
    { retryPolicy: { maxAttempts: 0 } },
    { retryPolicy: { multiplier: 0 } },
    { retryPolicy: { maxAttempts: 1001, multiplier: 0.5 } },
    { rateLimit: {} as ExecutorConfig["rateLimit"] },
    { rateLimit: { limit: 0, period: 1000 } },
    { rateLimit: { limit: 0, burst: 0 } },
    { rateLimit: { limit: 5, burst: 0 } },
    { rateLimit: { limit: 1_000_001 } },
    { rateLimit: { limit: 5, period: null as unknown as number } },
    { rateLimitPerKey: { burst: 4 } as ExecutorConfig["rateLimit"] },
    // Past what an int32 holds, or not whole: refused by the same rule, in REST's words, not by
    // the int32 check of the field's type ("Must be a whole number between -2147483648 and …").
    { retryPolicy: { maxAttempts: 2 ** 40 } },
    { rateLimit: { limit: 2 ** 40 } },
    { rateLimit: { limit: 5, burst: 2 ** 31 } },
    { rateLimit: { limit: 1.5 } },
    { rateLimitPerKey: { limit: "abc" as unknown as number } },
  ];
  for (const config of refused) {
    const rest = restViolations(config);
    assert.notDeepEqual(rest, [], `REST refuses ${JSON.stringify(config)}`);
    for (
      const call of [
        () => client.registerExecutor("t_zeros", config),
        () => client.createExecutor("t_new", config),
      ]
    ) {
      await assert.rejects(call, (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError, String(error));
        // REST's fields, and its words (but for a period, worded for the SDK's milliseconds).
        assert.deepEqual(
          error.violations.map((v) => v.field),
          rest.map((v) => v.field),
          JSON.stringify(config),
        );
        for (const [i, v] of error.violations.entries()) {
          if (!v.field.endsWith("/period")) assert.equal(v.message, rest[i].message);
        }
        assert.ok(error.message.includes(rest[0].field), error.message);
        return true;
      });
    }
  }
  const after = await client.getExecutor("t_zeros");
  assert.deepEqual(after.retryPolicy, first.retryPolicy);
  assert.deepEqual(after.rateLimit, { limit: 5, period: 1000, burst: 7 });
  assert.deepEqual(after.rateLimitPerKey, { limit: 2, period: 1000, burst: 3 });
  await assert.rejects(client.getExecutor("t_new"), /does not exist|not found/i);

  // What REST takes, the SDK takes as REST reads it: `{ limit: 0 }` alone removes the limit; a
  // burst left out is `limit`.
  assert.deepEqual(restViolations({ rateLimit: { limit: 0 } }), []);
  const changed = await client.registerExecutor("t_zeros", {
    rateLimit: { limit: 9, burst: undefined },
    rateLimitPerKey: { limit: 0 },
  });
  assert.deepEqual(changed.rateLimit, { limit: 9, period: 1000, burst: 9 });
  assert.equal(changed.rateLimitPerKey, null);
  // A burst of null is not given, as REST reads it (and as the SDK reads every other null of a
  // configuration): the limit.
  const nullBurst = { rateLimit: { limit: 6, burst: null as unknown as number } };
  assert.deepEqual(restViolations(nullBurst), []);
  const burstNull = await client.registerExecutor("t_zeros", nullBurst);
  assert.deepEqual(burstNull.rateLimit, { limit: 6, period: 1000, burst: 6 });
  // null keeps the limit, as REST's PUT reads it.
  assert.deepEqual(
    (await client.registerExecutor("t_zeros", { rateLimit: null })).rateLimit,
    burstNull.rateLimit,
  );
});

Deno.test('registerExecutor reads null in rateLimit, rateLimitPerKey and groupKeyPointer as REST\'s PUT does: kept; { limit: 0 } and "" remove them', async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  const flow = {
    rateLimit: { limit: 5, period: 1000, burst: 7 },
    rateLimitPerKey: { limit: 2, period: 1000, burst: 3 },
    groupKeyPointer: "/customerId",
  };
  const pick = ({ rateLimit, rateLimitPerKey, groupKeyPointer }: Executor) => ({
    rateLimit,
    rateLimitPerKey,
    groupKeyPointer,
  });
  const put = async (name: string, config: ExecutorConfig) => {
    const response = await fetch(`${manager.httpUrl}/api/v1/executors/${name}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(config),
    });
    assert.equal(response.status, 200);
    const body = await response.json();
    return pick(body.executor ?? body);
  };
  for (const name of ["t_rest", "t_sdk"]) await client.registerExecutor(name, flow);
  const nulls = { rateLimit: null, rateLimitPerKey: null, groupKeyPointer: null };
  assert.deepEqual(await put("t_rest", nulls), flow);
  assert.deepEqual(pick(await client.registerExecutor("t_sdk", nulls)), flow);
  const removal = { rateLimit: { limit: 0 }, rateLimitPerKey: { limit: 0 }, groupKeyPointer: "" };
  assert.deepEqual(await put("t_rest", removal), nulls);
  assert.deepEqual(pick(await client.registerExecutor("t_sdk", removal)), nulls);
});
