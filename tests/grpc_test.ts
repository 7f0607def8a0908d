/**
 * The gRPC server end to end: every management rpc over a real Service and SQLite store, status
 * codes, JSON text fields, proto3 defaults, health checks and server reflection.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import {
  executorNotFoundFromMetadata,
  existingTaskIdFromMetadata,
  jsonOfValue,
  LOADER_OPTIONS,
  msFromTimestamp,
  STATUS_DETAILS_METADATA_KEY,
  timestampFromMs,
  valueFromJson,
  violationsFromDetails,
  violationsFromMetadata,
} from "@tasks-executor/proto";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from "../server/domain/errors.ts";
import { EXISTING_TASK_METADATA_KEY, toGrpcError } from "../server/grpc/status.ts";
import { REFLECTION_PROTO } from "../server/grpc/reflection.ts";
import { HEALTH_PROTO } from "../server/grpc/server.ts";
import type { GrpcStack } from "./fixtures/grpc_stack.ts";
import { rejectsWith, startGrpcStack, unary } from "./fixtures/grpc_stack.ts";
import { createEmailExecutor, EMAIL_SCHEMA } from "./fixtures/email_executor.ts";
import { settleReady } from "./fixtures/settle_ready.ts";
import { createLogger, setLogger } from "../server/log.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

/** Leases one ready task of `executorName` and dead-letters it, as the engine would. */
async function deadLetter(stack: GrpcStack, executorName: string): Promise<string> {
  const now = Date.now();
  const { tasks: [task], applied } = await settleReady(stack.store, executorName, {
    limit: 1,
    owner: "worker-1",
    now,
    settlement: {
      kind: "dlq",
      reason: "non_retryable",
      queueName: "dlq",
      error: { attempt: 1, message: "Mailbox full", at: now, workerId: "worker-1" },
    },
  });
  assert.ok(task, "a task to claim");
  assert.deepEqual(applied, [true]);
  return task.id;
}

// Executors ----------------------------------------------------------------------------------

Deno.test("CreateExecutor with only a name gives every default", async () => {
  await using stack = await startGrpcStack();
  const { executor } = await stack.call<Msg>("CreateExecutor", { config: { name: "resize" } });
  assert.match(executor.id, /.+/);
  assert.equal(executor.name, "resize");
  assert.equal(executor.enabled, true);
  assert.deepEqual(executor.writeConcern, { level: "WRITE_CONCERN_LEVEL_JOURNALED" });
  assert.deepEqual(executor.retryPolicy, {
    type: "RETRY_POLICY_TYPE_EXPONENTIAL",
    maxAttempts: 3,
    interval: { seconds: 1, nanos: 0 },
    maxInterval: { seconds: 60, nanos: 0 },
    multiplier: 2,
    jitter: 0,
    // `jitter` is `optional` (shared with ExecutorConfig, where a sent 0 removes it): the
    // loader names the field set of its synthetic oneof.
    _jitter: "jitter",
  });
  assert.deepEqual(executor.dlqConfig, { enabled: true, queueName: "dlq" });
  assert.deepEqual(executor.taskSchema, { nullValue: "NULL_VALUE", kind: "nullValue" });
  assert.deepEqual(executor.timeout, { seconds: 30, nanos: 0 });
  assert.equal(executor.maxConcurrency, 0);
  assert.ok(ms(executor.createdAt) > 0 && ms(executor.updatedAt) >= ms(executor.createdAt));
});

Deno.test("CreateExecutor maps ms fields and the schema JSON to the domain", async () => {
  await using stack = await startGrpcStack();
  const executor = await createEmailExecutor(stack, {
    enabled: false,
    writeConcern: { level: "WRITE_CONCERN_LEVEL_MAJORITY" },
    retryPolicy: {
      type: "RETRY_POLICY_TYPE_LINEAR",
      maxAttempts: 5,
      interval: { seconds: 0, nanos: 250_000_000 },
      maxInterval: { seconds: 5 },
    },
    dlqConfig: { enabled: true, queueName: "emails_dlq" },
    timeout: { seconds: 1, nanos: 500_000_000 },
    maxConcurrency: 4,
  });
  assert.equal(executor.enabled, false);
  assert.equal(executor.writeConcern.level, "WRITE_CONCERN_LEVEL_MAJORITY");
  assert.deepEqual(executor.retryPolicy, {
    type: "RETRY_POLICY_TYPE_LINEAR",
    maxAttempts: 5,
    interval: { seconds: 0, nanos: 250_000_000 },
    maxInterval: { seconds: 5, nanos: 0 },
    multiplier: 2,
    jitter: 0,
    // `jitter` is `optional` (shared with ExecutorConfig, where a sent 0 removes it): the
    // loader names the field set of its synthetic oneof.
    _jitter: "jitter",
  });
  assert.equal(executor.dlqConfig.queueName, "emails_dlq");
  assert.deepEqual(jsonOfValue(executor.taskSchema), EMAIL_SCHEMA);
  assert.deepEqual(executor.timeout, { seconds: 1, nanos: 500_000_000 });
  assert.equal(executor.maxConcurrency, 4);
  const domain = await stack.service.getExecutor("send_email");
  assert.equal(domain.timeout, 1500);
  assert.equal(domain.retryPolicy.interval, 250);
  assert.equal(domain.retryPolicy.maxInterval, 5000);
});

Deno.test("GetExecutor finds an executor by id and by name; ListExecutors lists them", async () => {
  await using stack = await startGrpcStack();
  const created = await createEmailExecutor(stack);
  await stack.call("CreateExecutor", { config: { name: "a_first" } });
  assert.deepEqual((await stack.call<Msg>("GetExecutor", { id: created.id })).executor, created);
  assert.deepEqual((await stack.call<Msg>("GetExecutor", { id: "send_email" })).executor, created);
  const { executors } = await stack.call<Msg>("ListExecutors", {});
  assert.deepEqual(executors.map((e: Msg) => e.name), ["a_first", "send_email"]);
});

Deno.test("UpdateExecutor changes only the fields that are set", async () => {
  await using stack = await startGrpcStack();
  const before = await createEmailExecutor(stack, {
    retryPolicy: {
      type: "RETRY_POLICY_TYPE_LINEAR",
      maxAttempts: 5,
      interval: { nanos: 250_000_000 },
      jitter: 0.5,
    },
    dlqConfig: { enabled: true, queueName: "emails_dlq" },
    maxConcurrency: 4,
  });
  const { executor: timeoutOnly } = await stack.call<Msg>("UpdateExecutor", {
    id: "send_email",
    config: { timeout: { seconds: 9 } },
  });
  assert.deepEqual(timeoutOnly.timeout, { seconds: 9, nanos: 0 });
  assert.deepEqual(
    { ...timeoutOnly, timeout: before.timeout, updatedAt: before.updatedAt },
    before,
    "nothing else changed",
  );

  const { executor: retry } = await stack.call<Msg>("UpdateExecutor", {
    id: before.id,
    config: { retryPolicy: { maxAttempts: 7 } },
  });
  assert.deepEqual(retry.retryPolicy, { ...before.retryPolicy, maxAttempts: 7 });
  assert.equal(retry.enabled, true, "enabled is optional: left unset, it stays");

  const { executor: disabled } = await stack.call<Msg>("UpdateExecutor", {
    id: before.id,
    config: { enabled: false },
  });
  assert.equal(disabled.enabled, false);
  assert.deepEqual(disabled.taskSchema, before.taskSchema, "an unset schema keeps the schema");

  const { executor: noSchema } = await stack.call<Msg>("UpdateExecutor", {
    id: before.id,
    config: { taskSchema: valueFromJson(null) },
  });
  assert.equal(jsonOfValue(noSchema.taskSchema), null, "a null value removes the schema");

  const { executor: noDlq } = await stack.call<Msg>("UpdateExecutor", {
    id: before.id,
    config: { dlqConfig: { enabled: false } },
  });
  assert.deepEqual(noDlq.dlqConfig, { enabled: false, queueName: "emails_dlq" });
});

Deno.test("UpdateExecutor with max_concurrency 0 removes the limit and jitter 0 removes the jitter; unset keeps them", async () => {
  await using stack = await startGrpcStack();
  const before = await createEmailExecutor(stack, {
    retryPolicy: { jitter: 0.5 },
    maxConcurrency: 5,
  });
  assert.equal(before.maxConcurrency, 5);
  const { executor: kept } = await stack.call<Msg>("UpdateExecutor", {
    id: "send_email",
    config: { retryPolicy: { maxAttempts: 4 } },
  });
  assert.equal(kept.maxConcurrency, 5, "unset keeps the limit");
  assert.equal(kept.retryPolicy.jitter, 0.5, "unset keeps the jitter");
  const { executor } = await stack.call<Msg>("UpdateExecutor", {
    id: "send_email",
    config: { maxConcurrency: 0, retryPolicy: { jitter: 0 } },
  });
  assert.equal(executor.maxConcurrency, 0);
  assert.equal(executor.retryPolicy.jitter, 0);
  const stored = await stack.service.getExecutor("send_email");
  assert.equal(stored.maxConcurrency, 0);
  assert.equal(stored.retryPolicy.jitter, 0);
});

Deno.test("CreateExecutor and UpdateExecutor refuse a NaN or infinite multiplier or jitter, naming it; a 0 or -0 multiplier keeps it", async () => {
  await using stack = await startGrpcStack();
  const before = await createEmailExecutor(stack, { retryPolicy: { multiplier: 3, jitter: 0.5 } });
  for (const field of ["multiplier", "jitter"]) {
    for (const value of [Number.NaN, Infinity, -Infinity]) {
      for (
        const [method, request] of [
          ["CreateExecutor", { config: { name: "other", retryPolicy: { [field]: value } } }],
          ["UpdateExecutor", { id: "send_email", config: { retryPolicy: { [field]: value } } }],
        ] as const
      ) {
        const error = await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT);
        const pointer = `/config/retryPolicy/${field}`;
        assert.deepEqual(
          violationsFromMetadata(error.metadata),
          [{ field: pointer, message: "Must be a number" }],
          `${method} ${field} ${value}: ${error.details}`,
        );
        assert.ok(error.details.includes(`${pointer}: Must be a number`), error.details);
      }
    }
  }
  const kept = await stack.service.getExecutor("send_email");
  assert.equal(kept.retryPolicy.multiplier, 3, "nothing refused was stored");
  assert.equal(kept.retryPolicy.jitter, 0.5);
  assert.equal((await stack.service.listExecutors()).items.length, 1, "no executor was created");
  // 0 (and -0, the same double) is proto3's "not set": the multiplier stays; -0 jitter is none.
  for (const multiplier of [0, -0]) {
    const { executor } = await stack.call<Msg>("UpdateExecutor", {
      id: "send_email",
      config: { retryPolicy: { multiplier, jitter: -0 } },
    });
    assert.equal(executor.retryPolicy.multiplier, 3);
    assert.ok(Object.is(executor.retryPolicy.jitter, 0), `${executor.retryPolicy.jitter}`);
  }
  assert.deepEqual(
    (await stack.call<Msg>("GetExecutor", { id: "send_email" })).executor.retryPolicy,
    { ...before.retryPolicy, jitter: 0 },
  );
});

Deno.test("UpdateExecutor with a zero retry interval or max_interval sets 0 (no delay, no bound); unset keeps them", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack, {
    retryPolicy: { interval: { seconds: 2 }, maxInterval: { seconds: 5 } },
  });
  const { executor: kept } = await stack.call<Msg>("UpdateExecutor", {
    id: "send_email",
    config: { retryPolicy: { maxAttempts: 4 } },
  });
  assert.deepEqual(kept.retryPolicy.interval, { seconds: 2, nanos: 0 }, "unset keeps the interval");
  assert.deepEqual(kept.retryPolicy.maxInterval, { seconds: 5, nanos: 0 }, "unset keeps the bound");
  const { executor: unbound } = await stack.call<Msg>("UpdateExecutor", {
    id: "send_email",
    config: { retryPolicy: { maxInterval: {} } },
  });
  assert.deepEqual(unbound.retryPolicy.maxInterval, { seconds: 0, nanos: 0 });
  assert.deepEqual(unbound.retryPolicy.interval, { seconds: 2, nanos: 0 });
  const { executor } = await stack.call<Msg>("UpdateExecutor", {
    id: "send_email",
    config: { retryPolicy: { interval: { seconds: 0, nanos: 0 } } },
  });
  assert.deepEqual(executor.retryPolicy.interval, { seconds: 0, nanos: 0 });
  const stored = await stack.service.getExecutor("send_email");
  assert.equal(stored.retryPolicy.interval, 0);
  assert.equal(stored.retryPolicy.maxInterval, 0);
});

Deno.test("UpdateExecutor refuses a rename, a bad schema and an unknown executor", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const rename = await rejectsWith(
    stack.call("UpdateExecutor", { id: "send_email", config: { name: "other" } }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(rename.details, /Cannot rename an executor/);
  assert.match(rename.details, /\/config\/name/);
  const schema = await rejectsWith(
    stack.call("UpdateExecutor", {
      id: "send_email",
      config: { taskSchema: valueFromJson({ type: "no-such-type" }) },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(schema.details, /Invalid JSON Schema/);
  await rejectsWith(
    stack.call("UpdateExecutor", { id: "nope", config: { timeout: { seconds: 5 } } }),
    grpc.status.NOT_FOUND,
  );
});

Deno.test("CreateExecutor and UpdateExecutor refuse durations finer than a ms, a timeout under 300 ms and maxInterval under interval, naming each field", async () => {
  await using stack = await startGrpcStack();
  const error = await rejectsWith(
    stack.call("CreateExecutor", {
      config: {
        name: "odd",
        timeout: { seconds: 3, nanos: 500 },
        retryPolicy: { interval: { nanos: 250_000 } },
        rateLimit: { limit: 4, period: { seconds: 1, nanos: 1 } },
      },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field).sort(), [
    "/config/rateLimit/period",
    "/config/retryPolicy/interval",
    "/config/timeout",
  ]);
  assert.match(error.details, /\/config\/timeout: Must be a whole number of milliseconds/);
  await createEmailExecutor(stack);
  const short = await rejectsWith(
    stack.call("UpdateExecutor", {
      id: "send_email",
      config: { timeout: { nanos: 1_000_000 } },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(short.metadata), [
    { field: "/config/timeout", message: "Must be between 300 ms and 2592000000 ms" },
  ]);
  const bound = await rejectsWith(
    stack.call("UpdateExecutor", {
      id: "send_email",
      config: { retryPolicy: { interval: { seconds: 1 }, maxInterval: { nanos: 10_000_000 } } },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(bound.metadata).map((v) => v.field), [
    "/config/retryPolicy/maxInterval",
  ]);
  assert.equal((await stack.service.getExecutor("send_email")).timeout, 30_000, "nothing stored");
});

Deno.test("an empty or malformed id or name answers INVALID_ARGUMENT naming /id; a well-formed one that names nothing NOT_FOUND", async () => {
  await using stack = await startGrpcStack();
  const bad = [
    ["GetExecutor", {}],
    ["GetExecutor", { id: "BAD NAME" }],
    ["UpdateExecutor", { id: "", config: { enabled: false } }],
    ["DeleteExecutor", { id: "../x" }],
    ["GetTask", {}],
    ["GetTask", { id: "a b" }],
    ["GetTask", { id: "x".repeat(300) }],
    ["CancelTask", { id: "" }],
    ["UpdateTaskStatus", { id: "", status: "TASK_STATUS_CANCELLED" }],
    ["GetDlqEntry", {}],
    ["RequeueDlqEntry", { id: "" }],
    ["DeleteDlqEntry", { id: "\u0000" }],
    ["GetSchedule", {}],
    ["UpdateSchedule", { id: "Nightly Run", config: {} }],
    ["PauseSchedule", { id: "" }],
    ["ResumeSchedule", { id: "" }],
    ["TriggerSchedule", { id: "" }],
    ["DeleteSchedule", { id: "" }],
    ["RevokeKey", {}],
    // A key id is 16 lower-case hex digits (the id part of a token): anything else names no key.
    ["RevokeKey", { id: "zz" }],
    ["RevokeKey", { id: "0123456789ABCDEF" }],
    ["RevokeKey", { id: "0123456789abcdef0" }],
    ["RevokeKey", { id: "0123456789abcdeg" }],
  ] as const;
  for (const [method, request] of bad) {
    const error = await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(
      violationsFromMetadata(error.metadata).map((v) => v.field),
      ["/id"],
      `${method} ${JSON.stringify(request)}: ${error.details}`,
    );
  }
  const empty = await rejectsWith(stack.call("GetExecutor", {}), grpc.status.INVALID_ARGUMENT);
  assert.equal(empty.details, "Invalid executor id or name: /id: Is required");
  for (
    const [method, request] of [
      ["GetExecutor", { id: "nobody" }],
      ["GetTask", { id: "0123456789abcdef0123456789" }],
      ["GetDlqEntry", { id: "nope" }],
      ["GetSchedule", { id: "nightly" }],
      ["RevokeKey", { id: "0123456789abcdef" }],
    ] as const
  ) {
    await rejectsWith(stack.call(method, request), grpc.status.NOT_FOUND);
  }
});

Deno.test("CreateExecutor answers INVALID_ARGUMENT with every violation, also as a BadRequest detail", async () => {
  await using stack = await startGrpcStack();
  const error = await rejectsWith(
    stack.call("CreateExecutor", {
      config: { name: "Bad Name", retryPolicy: { type: 99, jitter: 2 } },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(error.details, /\/config\/name/);
  assert.match(error.details, /\/config\/retryPolicy\/type/);
  const violations = violationsFromMetadata(error.metadata);
  assert.deepEqual(violations.map((v) => v.field).sort(), [
    "/config/name",
    "/config/retryPolicy/jitter",
    "/config/retryPolicy/type",
  ]);
  assert.ok(error.metadata.get(STATUS_DETAILS_METADATA_KEY)[0] instanceof Uint8Array);
});

Deno.test("CreateExecutor names the spot where task_schema nests too deep, without walking on", async () => {
  await using stack = await startGrpcStack();
  let deep: unknown = {};
  for (let i = 0; i < 70; i++) deep = { all: deep };
  const error = await rejectsWith(
    stack.call("CreateExecutor", { config: { name: "x", taskSchema: valueFromJson(deep) } }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(error.metadata), [
    {
      field: `/config/taskSchema${"/all".repeat(64)}`,
      message: "Must not nest arrays and objects deeper than 64",
    },
  ]);
});

Deno.test("CreateExecutor with a taken name answers ALREADY_EXISTS", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const error = await rejectsWith(createEmailExecutor(stack), grpc.status.ALREADY_EXISTS);
  assert.match(error.details, /send_email/);
});

Deno.test("DeleteExecutor refuses while tasks wait unless forced", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  await stack.call("CreateTask", {
    task: { executorName: "send_email", data: valueFromJson({ "to": "a@example.com" }) },
  });
  const refused = await rejectsWith(
    stack.call("DeleteExecutor", { id: "send_email" }),
    grpc.status.FAILED_PRECONDITION,
  );
  assert.match(refused.details, /pending or in progress/);
  assert.deepEqual(await stack.call("DeleteExecutor", { id: "send_email", force: true }), {
    deleted: true,
  });
  await rejectsWith(stack.call("GetExecutor", { id: "send_email" }), grpc.status.NOT_FOUND);
  await rejectsWith(stack.call("DeleteExecutor", { id: "send_email" }), grpc.status.NOT_FOUND);
});

// Tasks --------------------------------------------------------------------------------------

Deno.test("CreateTask refuses an empty metadata key naming its pointer", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const error = await rejectsWith(
    stack.call("CreateTask", {
      task: {
        executorName: "send_email",
        data: valueFromJson({ to: "a@example.com" }),
        metadata: { "": "v" },
      },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(error.metadata), [
    { field: "/task/metadata/", message: "Must not be empty: a metadata key names its value" },
  ]);
  // proto3 cannot tell an unset key from an empty one: a value without a key is one left out.
  const search = await rejectsWith(
    stack.call("SearchTasks", { metadataValue: "v" }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(search.metadata).map((v) => v.message), [
    "Must be given with metadataValue",
  ]);
});

Deno.test("CreateTask stores the task and GetTask reads it back", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const runAt = Date.now() + 60_000;
  const { task } = await stack.call<Msg>("CreateTask", {
    task: {
      executorName: "send_email",
      data: valueFromJson({ to: "a@example.com" }),
      metadata: { tenant: "acme" },
      priority: 5,
      runAt: timestampFromMs(runAt),
      idempotencyKey: "k-1",
    },
  });
  assert.equal(task.status, "TASK_STATUS_PENDING");
  assert.deepEqual(jsonOfValue(task.data), { to: "a@example.com" });
  assert.deepEqual(task.metadata, { tenant: "acme" });
  assert.equal(task.priority, 5);
  assert.equal(ms(task.runAt), runAt);
  assert.equal(task.maxAttempts, 3);
  assert.equal(task.idempotencyKey, "k-1");
  assert.deepEqual(task.result, { nullValue: "NULL_VALUE", kind: "nullValue" });
  assert.equal(task.startedAt, null, "times not reached yet are unset");
  assert.equal(task.completedAt, null);
  assert.deepEqual((await stack.call<Msg>("GetTask", { id: task.id })).task, task);
});

Deno.test("CreateTask with an unset run_at runs now and with unset data holds null", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "free" } });
  const before = Date.now();
  const { task } = await stack.call<Msg>("CreateTask", { task: { executorName: "free" } });
  assert.ok(ms(task.runAt) >= before && ms(task.runAt) <= Date.now());
  assert.equal(jsonOfValue(task.data), null);
  assert.equal(task.data.kind, "nullValue");
  assert.equal(task.idempotencyKey, "");
});

Deno.test("CreateTask refuses data that breaks the schema, is not JSON and unknown executors", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const schema = await rejectsWith(
    stack.call("CreateTask", {
      task: { executorName: "send_email", data: valueFromJson({ "to": 5 }) },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(schema.metadata).map((v) => v.field), [
    "/task/data/to",
  ]);
  const json = await rejectsWith(
    stack.call("CreateTask", {
      task: {
        executorName: "send_email",
        data: { structValue: { fields: { n: { numberValue: NaN } } } },
      },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(json.details, /\/task\/data\/n/);
  const unknown = await rejectsWith(
    stack.call("CreateTask", { task: { executorName: "nope", data: valueFromJson({}) } }),
    grpc.status.NOT_FOUND,
  );
  // Naming the field by its pointer in the request, as CreateTasks names each task's.
  assert.equal(
    unknown.details,
    'Cannot create task: /task/executorName: Executor "nope" does not exist',
  );
  // As every NOT_FOUND of a missing executor: an ErrorInfo (EXECUTOR_NOT_FOUND) names it.
  assert.equal(executorNotFoundFromMetadata(unknown.metadata), "nope");
  const watch = (stack.client as unknown as {
    CreateAndWatchTask(request: unknown): grpc.ClientReadableStream<unknown>;
  }).CreateAndWatchTask({ task: { executorName: "nope" } });
  const watchError = await new Promise<grpc.ServiceError>((resolve, reject) => {
    watch.on("data", () => reject(new Error("CreateAndWatchTask sent a task")));
    watch.on("error", resolve);
    watch.on("end", () => reject(new Error("CreateAndWatchTask ended without an error")));
  });
  assert.equal(watchError.code, grpc.status.NOT_FOUND);
  assert.equal(watchError.details, unknown.details);
  assert.equal(executorNotFoundFromMetadata(watchError.metadata), "nope");
});

Deno.test("GetStats and GetHistory of a missing executor answer NOT_FOUND with its ErrorInfo", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  for (const method of ["GetStats", "GetHistory"]) {
    const error = await rejectsWith(
      stack.call(method, { executorName: "nosuch" }),
      grpc.status.NOT_FOUND,
    );
    assert.match(error.details, /Executor "nosuch" does not exist/, method);
    assert.equal(executorNotFoundFromMetadata(error.metadata), "nosuch", method);
  }
  const stats = await stack.call("GetStats", { executorName: "send_email" }) as {
    executors: unknown[];
  };
  assert.equal(stats.executors.length, 1);
});

Deno.test("CreateTask with a used idempotency key answers ALREADY_EXISTS naming the task", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const request = {
    task: {
      executorName: "send_email",
      data: valueFromJson({ "to": "a@b.c" }),
      idempotencyKey: "once",
    },
  };
  const { task } = await stack.call<Msg>("CreateTask", request);
  const error = await rejectsWith(stack.call("CreateTask", request), grpc.status.ALREADY_EXISTS);
  assert.match(error.details, /idempotency key "once"/);
  assert.deepEqual(error.metadata.get(EXISTING_TASK_METADATA_KEY), [task.id]);
  // The standard rich status names it too: a google.rpc.ErrorInfo in grpc-status-details-bin.
  assert.equal(existingTaskIdFromMetadata(error.metadata), task.id);
  // Decoded by googleapis' own shapes (field numbers), as any gRPC library would.
  const rpc = protobuf.parse(`syntax = "proto3";
    message Any { string type_url = 1; bytes value = 2; }
    message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
    message ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }`)
    .root;
  const [bytes] = error.metadata.get(STATUS_DETAILS_METADATA_KEY) as Uint8Array[];
  const status = rpc.lookupType("Status").toObject(rpc.lookupType("Status").decode(bytes));
  assert.equal(status.code, grpc.status.ALREADY_EXISTS);
  assert.equal(status.message, error.details);
  assert.equal(status.details.length, 1);
  assert.equal(status.details[0].typeUrl, "type.googleapis.com/google.rpc.ErrorInfo");
  assert.deepEqual(
    rpc.lookupType("ErrorInfo").toObject(
      rpc.lookupType("ErrorInfo").decode(status.details[0].value),
    ),
    { reason: "IDEMPOTENCY_KEY_USED", domain: "tasks-executor", metadata: { taskId: task.id } },
  );

  // CreateAndWatchTask refuses it alike, before it sends any task.
  const watch = (stack.client as unknown as {
    CreateAndWatchTask(request: unknown): grpc.ClientReadableStream<unknown>;
  }).CreateAndWatchTask(request);
  const watchError = await new Promise<grpc.ServiceError>((resolve, reject) => {
    watch.on("data", () => reject(new Error("CreateAndWatchTask sent a task")));
    watch.on("error", resolve);
    watch.on("end", () => reject(new Error("CreateAndWatchTask ended without an error")));
  });
  assert.equal(watchError.code, grpc.status.ALREADY_EXISTS);
  assert.equal(existingTaskIdFromMetadata(watchError.metadata), task.id);
});

Deno.test("CreateTasks inserts a batch, or none when one task is bad", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const { tasks } = await stack.call<Msg>("CreateTasks", {
    tasks: [1, 2, 3].map((i) => ({
      executorName: "send_email",
      data: valueFromJson({ to: `${i}@example.com` }),
    })),
  });
  assert.equal(tasks.length, 3);
  assert.deepEqual(tasks.map((t: Msg) => (jsonOfValue(t.data) as Msg).to), [
    "1@example.com",
    "2@example.com",
    "3@example.com",
  ]);
  const json = await rejectsWith(
    stack.call("CreateTasks", {
      tasks: [
        { executorName: "send_email", data: valueFromJson({ "to": "x" }) },
        { executorName: "send_email", data: valueFromJson({ to: "x", n: 2 ** 60 }) },
      ],
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(json.metadata).map((v) => v.field), [
    "/tasks/1/data/n",
  ]);
  // A task naming a missing executor: NOT_FOUND with the EXECUTOR_NOT_FOUND detail, as
  // CreateTask answers, whatever else is wrong, the message naming the task by its pointer.
  const mixed = await rejectsWith(
    stack.call("CreateTasks", {
      tasks: [
        { executorName: "send_email", data: valueFromJson({}) },
        { executorName: "missing", data: valueFromJson({}) },
        { executorName: "send_email", data: valueFromJson({ to: "x" }) },
        { executorName: "missing", data: valueFromJson({ to: "x" }) },
      ],
    }),
    grpc.status.NOT_FOUND,
  );
  assert.equal(
    mixed.details,
    'Cannot create task: /tasks/1/executorName: Executor "missing" does not exist; /tasks/3/executorName: Executor "missing" does not exist',
  );
  assert.equal(executorNotFoundFromMetadata(mixed.metadata), "missing");
  const { tasks: all } = await stack.call<Msg>("ListTasks", {});
  assert.equal(all.length, 3, "the bad batches inserted nothing");
});

Deno.test("CreateTasks in the basic view answers created tasks without data, metadata, result and progress; a key's earlier task whole", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const { task: earlier } = await stack.call<Msg>("CreateTask", {
    task: {
      executorName: "send_email",
      data: valueFromJson({ to: "old@example.com" }),
      idempotencyKey: "k",
    },
  });
  const { tasks } = await stack.call<Msg>("CreateTasks", {
    view: "TASK_VIEW_BASIC",
    tasks: [
      {
        executorName: "send_email",
        data: valueFromJson({ to: "new@example.com" }),
        idempotencyKey: "k",
      },
      {
        executorName: "send_email",
        data: valueFromJson({ to: "b@example.com" }),
        metadata: { m: "1" },
      },
    ],
  });
  assert.equal(tasks[0].id, earlier.id);
  assert.deepEqual(
    jsonOfValue(tasks[0].data),
    { to: "old@example.com" },
    "the earlier task, whole",
  );
  const [, created] = tasks;
  assert.equal(created.data, null);
  assert.deepEqual(created.metadata, {});
  assert.equal(created.result, null);
  assert.equal(created.progress, null);
  const { task: stored } = await stack.call<Msg>("GetTask", { id: created.id });
  assert.deepEqual(jsonOfValue(stored.data), { to: "b@example.com" });
  assert.deepEqual(stored.metadata, { m: "1" });
  for (
    const field of ["status", "runAt", "createdAt", "updatedAt", "attempt", "maxAttempts", "run"]
  ) {
    assert.deepEqual(created[field], stored[field], field);
  }

  const { tasks: [full] } = await stack.call<Msg>("CreateTasks", {
    tasks: [{ executorName: "send_email", data: valueFromJson({ to: "c@example.com" }) }],
  });
  assert.deepEqual(jsonOfValue(full.data), { to: "c@example.com" }, "unset view = full");
  const error = await rejectsWith(
    stack.call("CreateTasks", { view: 9, tasks: [] }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), ["/view"]);
});

Deno.test("a CreateTasks batch whose whole echo would not fit the answer limit is refused, yet accepted in the basic view that leaves the data out", async () => {
  // 20 tasks of ~1 KiB data: ~24 KiB echoed whole, ~7 KiB without data, against 16 KiB.
  await using stack = await startGrpcStack({ limits: { ...DEFAULT_LIMITS, pageBytes: 16 * 1024 } });
  await createEmailExecutor(stack);
  const tasks = Array.from({ length: 20 }, (_, i) => ({
    executorName: "send_email",
    data: valueFromJson({ to: `${i}@example.com`, body: "x".repeat(1000) }),
  }));
  const error = await rejectsWith(
    stack.call("CreateTasks", { tasks }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), ["/tasks"]);
  assert.equal((await stack.call<Msg>("ListTasks", {})).tasks.length, 0, "nothing stored");

  const { tasks: created } = await stack.call<Msg>("CreateTasks", {
    view: "TASK_VIEW_BASIC",
    tasks,
  });
  assert.equal(created.length, 20);
  for (const task of created) {
    const { task: stored } = await stack.call<Msg>("GetTask", { id: task.id });
    assert.equal((jsonOfValue(stored.data) as { body: string }).body.length, 1000);
  }
});

Deno.test("GetTask of an unknown id answers NOT_FOUND", async () => {
  await using stack = await startGrpcStack();
  const error = await rejectsWith(stack.call("GetTask", { id: "nope" }), grpc.status.NOT_FOUND);
  assert.equal(error.details, 'Task "nope" does not exist');
});

Deno.test("ListTasks filters by executor and status and pages with a cursor", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  await stack.call("CreateExecutor", { config: { name: "other" } });
  for (let i = 0; i < 3; i++) {
    await stack.call("CreateTask", {
      task: { executorName: "send_email", data: valueFromJson({ to: `${i}` }) },
    });
  }
  const { task: other } = await stack.call<Msg>("CreateTask", { task: { executorName: "other" } });
  await stack.call("CancelTask", { id: other.id });

  const first = await stack.call<Msg>("ListTasks", { executorName: "send_email", limit: 2 });
  assert.equal(first.tasks.length, 2);
  assert.notEqual(first.nextCursor, "");
  const second = await stack.call<Msg>("ListTasks", {
    executorName: "send_email",
    limit: 2,
    cursor: first.nextCursor,
  });
  assert.equal(second.tasks.length, 1);
  assert.equal(second.nextCursor, "", "the last page has no cursor");
  const ids = new Set([...first.tasks, ...second.tasks].map((t: Msg) => t.id));
  assert.equal(ids.size, 3);

  const cancelled = await stack.call<Msg>("ListTasks", { status: ["TASK_STATUS_CANCELLED"] });
  assert.deepEqual(cancelled.tasks.map((t: Msg) => t.id), [other.id]);
  const none = await stack.call<Msg>("ListTasks", {
    createdAfter: timestampFromMs(Date.now() + 60_000),
  });
  assert.equal(none.tasks.length, 0);

  const bad = await rejectsWith(
    stack.call("ListTasks", { status: [99] }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(bad.details, /\/status\/0: Must be one of TASK_STATUS_PENDING, .*, not 99/);
  await rejectsWith(stack.call("ListTasks", { limit: 5000 }), grpc.status.INVALID_ARGUMENT);
});

Deno.test("UpdateTaskStatus follows the allowed transitions and parses result_json", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const { task } = await stack.call<Msg>("CreateTask", {
    task: { executorName: "send_email", data: valueFromJson({ "to": "a" }) },
  });
  const refused = await rejectsWith(
    stack.call("UpdateTaskStatus", { id: task.id, status: "TASK_STATUS_COMPLETED" }),
    grpc.status.FAILED_PRECONDITION,
  );
  assert.match(refused.details, /from pending to completed/);
  const unknown = await rejectsWith(
    stack.call("UpdateTaskStatus", { id: task.id, status: 99 }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(unknown.metadata).map((v) => v.field), ["/status"]);
  // No status is named as missing, not as the raw value ("" or "undefined").
  const unset = await rejectsWith(
    stack.call("UpdateTaskStatus", { id: task.id }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(unset.metadata), [
    { field: "/status", message: "Is required" },
  ]);
  await rejectsWith(
    stack.call("UpdateTaskStatus", { id: "nope", status: "TASK_STATUS_CANCELLED" }),
    grpc.status.NOT_FOUND,
  );

  const [leased] = await stack.store.taskClaim({
    executorName: "send_email",
    limit: 1,
    leaseMs: 30_000,
    owner: "worker-1",
    now: Date.now(),
    maxConcurrency: 0,
  });
  assert.equal(leased.id, task.id);
  const badJson = await rejectsWith(
    stack.call("UpdateTaskStatus", {
      id: task.id,
      status: "TASK_STATUS_COMPLETED",
      result: valueFromJson({ big: 2 ** 53 }),
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(badJson.details, /\/result\/big/);
  const { task: done } = await stack.call<Msg>("UpdateTaskStatus", {
    id: task.id,
    status: "TASK_STATUS_COMPLETED",
    result: valueFromJson({ "sent": true }),
  });
  assert.equal(done.status, "TASK_STATUS_COMPLETED");
  assert.deepEqual(jsonOfValue(done.result), { sent: true });
  assert.ok(ms(done.completedAt) > 0);
});

Deno.test("CancelTask cancels a pending task, and UpdateTaskStatus pending requeues it", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const { task } = await stack.call<Msg>("CreateTask", {
    task: { executorName: "send_email", data: valueFromJson({ "to": "a" }) },
  });
  const { task: cancelled } = await stack.call<Msg>("CancelTask", { id: task.id });
  assert.equal(cancelled.status, "TASK_STATUS_CANCELLED");
  await rejectsWith(stack.call("CancelTask", { id: task.id }), grpc.status.FAILED_PRECONDITION);
  const { task: again } = await stack.call<Msg>("UpdateTaskStatus", {
    id: task.id,
    status: "TASK_STATUS_PENDING",
  });
  assert.equal(again.status, "TASK_STATUS_PENDING");
  await rejectsWith(stack.call("CancelTask", { id: "nope" }), grpc.status.NOT_FOUND);
});

// Dead letter queue --------------------------------------------------------------------------

Deno.test("ListDlq, GetDlqEntry, RequeueDlqEntry and DeleteDlqEntry work on dead tasks", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  await stack.call("CreateTask", {
    task: { executorName: "send_email", data: valueFromJson({ "to": "a" }) },
  });
  const deadId = await deadLetter(stack, "send_email");

  const { entries, nextCursor } = await stack.call<Msg>("ListDlq", {});
  assert.equal(entries.length, 1);
  assert.equal(nextCursor, "");
  const [entry] = entries;
  assert.equal(entry.id, deadId);
  assert.equal(entry.reason, "DLQ_REASON_NON_RETRYABLE");
  assert.equal(entry.queueName, "dlq");
  assert.equal(entry.executorName, "send_email");
  assert.equal(entry.task.status, "TASK_STATUS_DLQ");
  assert.equal(entry.task.errors[0].message, "Mailbox full");
  assert.ok(ms(entry.deadAt) > 0);
  assert.deepEqual((await stack.call<Msg>("GetDlqEntry", { id: deadId })).entry, entry);
  assert.equal(
    (await stack.call<Msg>("ListDlq", { executorName: "other" })).entries.length,
    0,
  );
  await rejectsWith(stack.call("ListDlq", { reason: 99 }), grpc.status.INVALID_ARGUMENT);
  await rejectsWith(stack.call("GetDlqEntry", { id: "nope" }), grpc.status.NOT_FOUND);

  const badJson = await rejectsWith(
    stack.call("RequeueDlqEntry", { id: deadId, data: valueFromJson({ to: Infinity }) }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(badJson.details, /\/data\/to/);
  await rejectsWith(
    stack.call("RequeueDlqEntry", { id: deadId, data: valueFromJson({ "to": 1 }) }),
    grpc.status.INVALID_ARGUMENT,
  );
  const { task } = await stack.call<Msg>("RequeueDlqEntry", {
    id: deadId,
    data: valueFromJson({ "to": "fixed@example.com" }),
  });
  assert.equal(task.status, "TASK_STATUS_PENDING");
  assert.deepEqual(jsonOfValue(task.data), { to: "fixed@example.com" });
  await rejectsWith(stack.call("RequeueDlqEntry", { id: deadId }), grpc.status.NOT_FOUND);

  const secondId = await deadLetter(stack, "send_email");
  assert.equal(secondId, deadId, "the same task died again");
  const { task: kept } = await stack.call<Msg>("RequeueDlqEntry", { id: deadId });
  assert.deepEqual(jsonOfValue(kept.data), { to: "fixed@example.com" }, "unset keeps data");

  await deadLetter(stack, "send_email");
  assert.deepEqual(await stack.call("DeleteDlqEntry", { id: deadId }), { deleted: true });
  await rejectsWith(stack.call("DeleteDlqEntry", { id: deadId }), grpc.status.NOT_FOUND);
});

Deno.test("PurgeDlq needs a filter or confirm, and RequeueDlq requeues by filter", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  for (let i = 0; i < 3; i++) {
    await stack.call("CreateTask", {
      task: { executorName: "send_email", data: valueFromJson({ to: `${i}` }) },
    });
    await deadLetter(stack, "send_email");
  }
  const refused = await rejectsWith(stack.call("PurgeDlq", {}), grpc.status.INVALID_ARGUMENT);
  assert.match(refused.details, /confirm/);
  assert.deepEqual(await stack.call("PurgeDlq", { executorName: "other" }), {
    deleted: 0,
    stopped: null,
  });

  assert.deepEqual(await stack.call("RequeueDlq", { reason: "DLQ_REASON_MAX_ATTEMPTS" }), {
    requeued: 0,
    failed: 0,
    nextCursor: "",
    stopped: null,
  });
  assert.deepEqual(await stack.call("RequeueDlq", { executorName: "send_email" }), {
    requeued: 3,
    failed: 0,
    nextCursor: "",
    stopped: null,
  });
  for (let i = 0; i < 2; i++) await deadLetter(stack, "send_email");
  assert.deepEqual(await stack.call("PurgeDlq", { confirm: true }), { deleted: 2, stopped: null });
  assert.equal((await stack.call<Msg>("ListDlq", {})).entries.length, 0);
});

// Stats and workers --------------------------------------------------------------------------

Deno.test("GetStats counts tasks by status per executor and the workers serving it", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  await stack.call("CreateExecutor", { config: { name: "idle" } });
  for (let i = 0; i < 2; i++) {
    await stack.call("CreateTask", {
      task: { executorName: "send_email", data: valueFromJson({ to: `${i}` }) },
    });
  }
  await deadLetter(stack, "send_email");
  stack.workers.workers = [{
    workerId: "w1",
    connectionId: 1,
    executors: ["send_email"],
    sdkVersion: "0.1.0",
    connectedAt: 1,
    lastHeartbeatAt: 2,
    inFlight: 0,
    credits: 8,
    host: "",
    pid: 0,
    runtime: "",
    running: [],
    disconnectedAt: null,
  }];
  const { executors } = await stack.call<Msg>("GetStats", {});
  assert.deepEqual(executors.map((s: Msg) => s.executorName), ["idle", "send_email"]);
  const email = executors[1];
  assert.equal(email.byStatus.pending, 1);
  assert.equal(email.byStatus.dlq, 1);
  assert.equal(email.dlqSize, 1);
  assert.equal(email.workers, 1);
  assert.ok(ms(email.oldestPendingAge) >= 0);
  assert.equal(executors[0].workers, 0);
  assert.equal(executors[0].byStatus.pending, 0);

  assert.deepEqual(executors.map((s: Msg) => s.paused), [false, false]);

  const only = await stack.call<Msg>("GetStats", { executorName: "idle" });
  assert.deepEqual(only.executors.map((s: Msg) => s.executorName), ["idle"]);
  // A paused executor says so, as REST's stats do.
  await stack.call("UpdateExecutor", { id: "idle", config: { enabled: false } });
  const paused = await stack.call<Msg>("GetStats", { executorName: "idle" });
  assert.equal(paused.executors[0].paused, true);
});

Deno.test("ListWorkers lists the connected workers", async () => {
  await using stack = await startGrpcStack();
  assert.deepEqual(await stack.call("ListWorkers", {}), { workers: [], nextCursor: "" });
  const worker = {
    workerId: "w1",
    connectionId: 1,
    executors: ["send_email", "resize"],
    sdkVersion: "0.1.0",
    connectedAt: 1000,
    lastHeartbeatAt: 2000,
    inFlight: 3,
    credits: 5,
    host: "box-1",
    pid: 4242,
    runtime: "deno 2.7.14",
    running: ["t1"],
    disconnectedAt: null,
  };
  stack.workers.workers = [worker];
  const { running, connectionId: _id, disconnectedAt: _, ...rest } = worker;
  assert.deepEqual(await stack.call("ListWorkers", {}), {
    workers: [{
      ...rest,
      runningTaskIds: running,
      connectedAt: { seconds: 1, nanos: 0 },
      lastHeartbeatAt: { seconds: 2, nanos: 0 },
      disconnectedAt: null,
    }],
    nextCursor: "",
  });
});

// Status mapping -----------------------------------------------------------------------------

Deno.test("toGrpcError maps each domain error to its status code", () => {
  const cases: [Error, grpc.status][] = [
    [new InvalidArgumentError("Bad", [{ field: "/a", message: "Is required" }]), 3],
    [new NotFoundError("Gone"), grpc.status.NOT_FOUND],
    [new ConflictError("Taken"), grpc.status.ALREADY_EXISTS],
    [new FailedPreconditionError("Not now"), grpc.status.FAILED_PRECONDITION],
    [new UnavailableError("Store down"), grpc.status.UNAVAILABLE],
  ];
  for (const [error, code] of cases) {
    const status = toGrpcError(error);
    assert.equal(status.code, code, error.name);
    assert.ok(status.details.startsWith(error.message), error.name);
  }
  const invalid = toGrpcError(cases[0][0]);
  assert.equal(invalid.details, "Bad (/a: Is required)");
  assert.deepEqual(violationsFromMetadata(invalid.metadata), [
    { field: "/a", message: "Is required" },
  ]);
});

Deno.test("toGrpcError hides unknown errors behind a generic INTERNAL", () => {
  const lines: string[] = [];
  setLogger(createLogger({ level: "info", format: "json", write: (line) => lines.push(line) }));
  try {
    const status = toGrpcError(new TypeError("secret internals at db.ts:42"));
    assert.equal(status.code, grpc.status.INTERNAL);
    assert.equal(status.details, "Internal error");
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
  }
  assert.equal(lines.length, 1);
  assert.match(JSON.parse(lines[0]).error.stack, /secret internals/);
});

Deno.test("the BadRequest detail keeps the first violations that fit a trailer", () => {
  const many = Array.from({ length: 5000 }, (_, i) => ({
    // Long enough that fewer than the 50 violations an error names fit the trailer.
    field: `/tasks/${i}/data/${"naïve".repeat(20)}`,
    message: "Must be a string ✓",
  }));
  const status = toGrpcError(new InvalidArgumentError("Many bad tasks", many));
  const bytes = status.metadata.get(STATUS_DETAILS_METADATA_KEY)[0] as Uint8Array;
  assert.ok(bytes.length <= 6000, `${bytes.length} bytes`);
  const kept = violationsFromDetails(bytes);
  assert.ok(kept.length > 0 && kept.length < many.length);
  assert.deepEqual(kept, many.slice(0, kept.length));
  assert.ok(status.details.length <= 4000);
});

Deno.test("a call with many violations still reaches the client intact", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const tasks = Array.from(
    { length: 2000 },
    () => ({ executorName: "send_email", data: valueFromJson({}) }),
  );
  const error = await rejectsWith(stack.call("CreateTasks", { tasks }), 3);
  const violations = violationsFromMetadata(error.metadata);
  assert.ok(violations.length > 0);
  assert.equal(violations[0].field, "/tasks/0/data/to");
});

/** Epoch ms of a `Timestamp` (or ms of a `Duration`) the manager sent; `NaN` when unset. */
function ms(time: Msg | null | undefined): number {
  return msFromTimestamp(time) ?? NaN;
}

// Health and reflection ----------------------------------------------------------------------

function clientOf(source: string, service: string, port: number): grpc.Client {
  const root = protobuf.parse(source, { keepCase: false }).root;
  const definition = protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
  const Client = grpc.loadPackageDefinition(definition);
  const ctor = service.split(".").reduce<unknown>(
    (node, key) => (node as Record<string, unknown>)[key],
    Client,
  ) as grpc.ServiceClientConstructor;
  return new ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

Deno.test("Health Check says SERVING per service, then NOT_SERVING after setServing(false)", async () => {
  await using stack = await startGrpcStack();
  const health = clientOf(HEALTH_PROTO, "grpc.health.v1.Health", stack.server.port);
  try {
    const check = (service: string) => unary<Msg>(health, "Check", { service });
    assert.deepEqual(await check(""), { status: "SERVING" });
    assert.deepEqual(await check("taskexecutor.v1.TaskExecutorManagerService"), {
      status: "SERVING",
    });
    const unknown = await rejectsWith(check("taskexecutor.v1.Nope"), grpc.status.NOT_FOUND);
    assert.match(unknown.details, /taskexecutor\.v1\.Nope/);
    await rejectsWith(check("taskexecutor.v1.TaskExecutorService"), grpc.status.NOT_FOUND);

    stack.server.setServing(false);
    assert.deepEqual(await check(""), { status: "NOT_SERVING" });
    assert.deepEqual(await check("taskexecutor.v1.TaskExecutorManagerService"), {
      status: "NOT_SERVING",
    });
    stack.server.setServing(true);
    assert.deepEqual(await check(""), { status: "SERVING" });
  } finally {
    health.close();
  }
});

type HealthClient = { Watch(request: unknown): grpc.ClientReadableStream<Msg> };

Deno.test("Health Watch sends the status now and again only when it changes", async () => {
  await using stack = await startGrpcStack();
  const health = clientOf(HEALTH_PROTO, "grpc.health.v1.Health", stack.server.port);
  const seen: string[] = [];
  try {
    const call = (health as unknown as HealthClient).Watch({ service: "" });
    const ended = new Promise<void>((resolve) => {
      call.on("error", () => resolve());
      call.on("end", () => resolve());
    });
    const changes = call[Symbol.asyncIterator]();
    seen.push((await changes.next()).value.status);
    // The same status again (the manager checks every 2 s) is no news: nothing is sent.
    stack.server.setServing(true);
    stack.server.setServing(false);
    stack.server.setServing(false);
    stack.server.setServing(true);
    seen.push((await changes.next()).value.status, (await changes.next()).value.status);
    call.cancel();
    await ended;
  } finally {
    health.close();
  }
  assert.deepEqual(seen, ["SERVING", "NOT_SERVING", "SERVING"]);
});

Deno.test("Health Watch streams past MAX_HEALTH_WATCHERS get RESOURCE_EXHAUSTED naming the limit; Check still answers", async () => {
  await using stack = await startGrpcStack({ limits: { ...DEFAULT_LIMITS, healthWatchers: 2 } });
  const health = clientOf(HEALTH_PROTO, "grpc.health.v1.Health", stack.server.port);
  try {
    const watch = () => (health as unknown as HealthClient).Watch({ service: "" });
    const open = [watch(), watch()];
    for (const call of open) await call[Symbol.asyncIterator]().next();
    const refused = await new Promise<grpc.ServiceError>((resolve) => {
      const call = watch();
      call.on("data", () => {});
      call.on("error", resolve);
    });
    assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(refused.details, /at most 2 \(MAX_HEALTH_WATCHERS\)/);
    assert.deepEqual(await unary<Msg>(health, "Check", { service: "" }), { status: "SERVING" });
    for (const call of open) {
      call.on("error", () => {});
      call.cancel();
    }
  } finally {
    health.close();
  }
});

Deno.test("server reflection lists the services and describes them as protoc would", async () => {
  await using stack = await startGrpcStack();
  const reflection = clientOf(
    REFLECTION_PROTO,
    "grpc.reflection.v1.ServerReflection",
    stack.server.port,
  );
  try {
    const call = (reflection as unknown as {
      ServerReflectionInfo(): grpc.ClientDuplexStream<Msg, Msg>;
    }).ServerReflectionInfo();
    const responses = call[Symbol.asyncIterator]();
    call.write({ listServices: "" });
    const listed = (await responses.next()).value;
    const names = listed.listServicesResponse.service.map((s: Msg) => s.name);
    for (
      const name of [
        "grpc.health.v1.Health",
        "taskexecutor.v1.TaskExecutorManagerService",
        "taskexecutor.v1.TaskExecutorService",
      ]
    ) assert.ok(names.includes(name), `${name} in ${names}`);

    call.write({ fileContainingSymbol: "taskexecutor.v1.Task" });
    const described = (await responses.next()).value;
    const files = described.fileDescriptorResponse.fileDescriptorProto.map((bytes: Uint8Array) =>
      descriptor.FileDescriptorProto.decode(bytes) as unknown as Msg
    );
    const file = files.find((f: Msg) => f.package === "taskexecutor.v1");
    const task = file.messageType.find((m: Msg) => m.name === "Task");
    const metadata = task.field.find((f: Msg) => f.name === "metadata");
    assert.equal(metadata.typeName, ".taskexecutor.v1.Task.MetadataEntry");
    assert.ok(task.nestedType.some((n: Msg) => n.name === "MetadataEntry"));
    const config = file.messageType.find((m: Msg) => m.name === "ExecutorConfig");
    assert.equal(config.field.find((f: Msg) => f.name === "enabled").proto3Optional, true);
    assert.ok(config.field.some((f: Msg) => f.name === "max_concurrency"), "snake_case names");
    const schema = config.field.find((f: Msg) => f.name === "task_schema");
    assert.equal(schema.typeName, ".google.protobuf.Value");
    assert.ok(
      files.some((f: Msg) => f.name === "google/protobuf/struct.proto"),
      "the well-known types come along as the file's dependencies",
    );
    call.end();
    for await (const _ of { [Symbol.asyncIterator]: () => responses }) { /* drain */ }
  } finally {
    reflection.close();
  }
});

Deno.test("structured data keeps every number a double holds exactly and refuses the rest by pointer", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "numbers" } });
  const exact = {
    max: Number.MAX_SAFE_INTEGER,
    min: -Number.MAX_SAFE_INTEGER,
    tiny: 5e-324,
    big: "123456789012345678901234567890",
    list: [0, -1.5, 0.1],
  };
  const { task } = await stack.call<Msg>("CreateTask", {
    task: { executorName: "numbers", data: valueFromJson(exact) },
  });
  assert.deepEqual(jsonOfValue(task.data), exact);
  assert.deepEqual(
    jsonOfValue((await stack.call<Msg>("GetTask", { id: task.id })).task.data),
    exact,
  );
  for (const [n, field] of [[2 ** 53, "/task/data/n"], [-(2 ** 60), "/task/data/n"]] as const) {
    const refused = await rejectsWith(
      stack.call("CreateTask", { task: { executorName: "numbers", data: valueFromJson({ n }) } }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(violationsFromMetadata(refused.metadata).map((v) => v.field), [field]);
  }
});
