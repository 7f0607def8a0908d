/**
 * `""` in an executor's configuration, by a real manager: over REST (JSON can tell `""` from a
 * field left out) each field but `name`, `taskSchema` and `groupKeyPointer` sent as `""` is a 400
 * naming it, and nothing is stored; over gRPC (proto3 strings cannot) `""` and 0 are "not set".
 * `groupKeyPointer: ""` removes the pointer on both, as documented.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";
import { durationFromMs } from "@tasks-executor/proto";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

const EMPTY =
  "Must not be empty: leave the field out (or send null) to keep its value (on create, the default)";

/** Every field of a configuration whose `""` is refused, by its path below `config`. */
const FIELDS = [
  "enabled",
  "writeConcern/level",
  "retryPolicy/type",
  "retryPolicy/maxAttempts",
  "retryPolicy/interval",
  "retryPolicy/maxInterval",
  "retryPolicy/multiplier",
  "retryPolicy/jitter",
  "dlqConfig/enabled",
  "dlqConfig/queueName",
  "timeout",
  "maxConcurrency",
  "rateLimit/limit",
  "rateLimit/period",
  "rateLimit/burst",
  "rateLimitPerKey/limit",
  "rateLimitPerKey/period",
  "rateLimitPerKey/burst",
  "maxConcurrencyPerKey",
];

/** A configuration of `name` with the field at `path` sent as `""` (a rate limit's other fields set). */
function withEmpty(path: string, name?: string): Msg {
  const [first, second] = path.split("/");
  const config: Msg = name === undefined ? {} : { name };
  if (second === undefined) config[first] = "";
  else config[first] = { ...(first.startsWith("rateLimit") ? { limit: 5 } : {}), [second]: "" };
  return config;
}

Deno.test('REST: each field of an executor\'s configuration sent as "" is a 400 naming it, on create and update, and nothing is stored', async () => {
  await using manager = await startTestManager();
  for (const path of FIELDS) {
    const created = await rest(manager, "POST", "/executors", { config: withEmpty(path, "fresh") });
    assert.equal(created.status, 400, `create, ${path}: ${JSON.stringify(created.body)}`);
    assert.deepEqual(created.body.errors, [{ field: `/config/${path}`, message: EMPTY }], path);
    assert.match(created.body.detail, new RegExp(`/config/${path}: Must not be empty`));
  }
  assert.equal((await rest(manager, "GET", "/executors/fresh")).status, 404);

  const config = {
    name: "kept",
    writeConcern: { level: "majority" },
    retryPolicy: { type: "linear", maxAttempts: 5, interval: 2000 },
    dlqConfig: { enabled: true, queueName: "kept_dead" },
    timeout: 7000,
    rateLimit: { limit: 9, period: 3000 },
    groupKeyPointer: "/customer",
  };
  const stored = (await restOk(manager, "POST", "/executors", { config })).executor;
  for (const path of FIELDS) {
    const updated = await rest(manager, "PUT", "/executors/kept", { config: withEmpty(path) });
    assert.equal(updated.status, 400, `update, ${path}: ${JSON.stringify(updated.body)}`);
    assert.deepEqual(updated.body.errors, [{ field: `/config/${path}`, message: EMPTY }], path);
  }
  assert.deepEqual((await restOk(manager, "GET", "/executors/kept")).executor, stored);

  // "" is the value that takes the group key pointer away.
  const removed = await restOk(manager, "PUT", "/executors/kept", {
    config: { groupKeyPointer: "" },
  });
  assert.equal(removed.executor.groupKeyPointer, null);
  assert.equal(removed.executor.dlqConfig.queueName, "kept_dead");
});

Deno.test('gRPC: "" and 0 in an executor\'s configuration are "not set" (proto3 cannot tell them from unset); "" removes the group key pointer', async () => {
  await using manager = await startTestManager();
  const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
  try {
    const unset = {
      writeConcern: { level: 0 },
      retryPolicy: { type: 0, maxAttempts: 0, multiplier: 0 },
      dlqConfig: { enabled: true, queueName: "" },
    };
    const created = await unary<Msg>(client, "CreateExecutor", {
      config: { name: "fresh", ...unset },
    });
    const defaults = (await restOk(manager, "POST", "/executors", { config: { name: "plain" } }))
      .executor;
    const rested = (await restOk(manager, "GET", "/executors/fresh")).executor;
    const strip = (e: Msg) => ({ ...e, id: "", name: "", createdAt: "", updatedAt: "" });
    assert.deepEqual(strip(rested), strip(defaults));
    assert.equal(created.executor.dlqConfig.queueName, "dlq");

    await unary(client, "UpdateExecutor", {
      id: "fresh",
      config: {
        retryPolicy: { type: "RETRY_POLICY_TYPE_LINEAR", maxAttempts: 5 },
        dlqConfig: { enabled: true, queueName: "kept_dead" },
        timeout: durationFromMs(7000),
        groupKeyPointer: "/customer",
      },
    });
    const before = (await restOk(manager, "GET", "/executors/fresh")).executor;
    const kept = await unary<Msg>(client, "UpdateExecutor", { id: "fresh", config: unset });
    const after = (await restOk(manager, "GET", "/executors/fresh")).executor;
    assert.deepEqual({ ...after, updatedAt: "" }, { ...before, updatedAt: "" });
    assert.equal(kept.executor.dlqConfig.queueName, "kept_dead");

    const removed = await unary<Msg>(client, "UpdateExecutor", {
      id: "fresh",
      config: { groupKeyPointer: "" },
    });
    assert.equal(removed.executor.groupKeyPointer, "");
    assert.equal((await restOk(manager, "GET", "/executors/fresh")).executor.groupKeyPointer, null);
  } finally {
    client.close();
  }
});
