/**
 * The original system's `taskexecutor.TaskExecutorManager`, served beside `taskexecutor.v1`: called
 * by grpcurl (through reflection, and from the `.proto` file) and by a client that
 * `@grpc/proto-loader` builds from `proto/taskexecutor/taskexecutor.proto`, as an old client would.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { executorNotFoundFromMetadata, violationsFromMetadata } from "@tasks-executor/proto";
import { fileURLToPath } from "node:url";
import { createLogger, setLogger } from "../server/log.ts";
import { startTestManager } from "./_manager.ts";
import { INTERRUPTED_BY_HAND } from "../server/domain/task.ts";
import { runToEnd } from "./fixtures/process.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { legacyCall, type LegacyClient, legacyClient } from "./fixtures/legacy_grpc.ts";
import { grpcClients } from "./fixtures/secured_manager.ts";

const GRPCURL = Deno.env.get("GRPCURL_BIN") ??
  fileURLToPath(new URL("../.tools/grpcurl", import.meta.url));
const noGrpcurl = await Deno.stat(GRPCURL).then(() => null, () => `no grpcurl at ${GRPCURL}`);
const SERVICE = "taskexecutor.TaskExecutorManager";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

async function refused(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("The call was expected to fail");
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Polls `GetNextTask` until a task is ready (a retry waits out its backoff first). */
async function nextTask(
  client: LegacyClient,
  executorName: string,
  token?: string,
): Promise<Json> {
  for (;;) {
    try {
      return (await legacyCall(client, "GetNextTask", { executor_name: executorName }, token)).task;
    } catch (error) {
      if ((error as grpc.ServiceError).code !== grpc.status.NOT_FOUND) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

Deno.test({
  ...skipUnless(
    "grpcurl lists, describes and calls the original service, by reflection and from the .proto file",
    noGrpcurl,
  ),
  async fn() {
    await using manager = await startTestManager();
    const address = manager.grpcAddress;
    const grpcurl = (args: string[], data?: unknown) =>
      runToEnd(GRPCURL, [
        "-plaintext",
        ...(data === undefined ? [] : ["-d", JSON.stringify(data)]),
        ...args,
      ]);
    const fromFile = ["-import-path", "proto", "-proto", "taskexecutor/taskexecutor.proto"];

    const list = await grpcurl([address, "list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.split("\n").includes(SERVICE), list.stdout);
    const describe = await grpcurl([address, "describe", "taskexecutor.Task"]);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /\.google\.protobuf\.Timestamp created_at = 8;/);

    const registered = await grpcurl([address, `${SERVICE}/RegisterExecutor`], {
      executor_name: "my_handler",
    });
    assert.equal(registered.code, 0, registered.stderr);
    assert.deepEqual(JSON.parse(registered.stdout), { success: true });

    const data = Buffer.from(JSON.stringify({ message: "hi" })).toString("base64");
    const added = await grpcurl([...fromFile, address, `${SERVICE}/AddTask`], {
      executor_name: "my_handler",
      data,
      metadata: { source: "grpcurl" },
    });
    assert.equal(added.code, 0, added.stderr);
    const task = JSON.parse(added.stdout).task;
    assert.equal(task.status, "TASK_STATUS_PENDING");
    assert.equal(task.data, data);

    const badJson = await grpcurl([address, `${SERVICE}/AddTask`], {
      executor_name: "my_handler",
      data: Buffer.from("{not json").toString("base64"),
    });
    assert.notEqual(badJson.code, 0);
    assert.match(badJson.stderr, /InvalidArgument/);
    assert.match(badJson.stderr, /\/data/);

    const next = await grpcurl([...fromFile, address, `${SERVICE}/GetNextTask`], {
      executor_name: "my_handler",
    });
    assert.equal(next.code, 0, next.stderr);
    assert.equal(JSON.parse(next.stdout).task.id, task.id);
    const none = await grpcurl([address, `${SERVICE}/GetNextTask`], {
      executor_name: "my_handler",
    });
    assert.match(none.stderr, /NotFound/);

    const done = await grpcurl([address, `${SERVICE}/UpdateTaskStatus`], {
      id: task.id,
      status: "TASK_STATUS_COMPLETED",
    });
    assert.equal(done.code, 0, done.stderr);
    const status = await grpcurl([address, `${SERVICE}/GetTaskStatus`], { id: task.id });
    assert.equal(JSON.parse(status.stdout).status, "TASK_STATUS_COMPLETED");
  },
});

Deno.test("a failed report is retried by the executor's exponential policy, then dead-lettered", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  const { executor } = await legacyCall(client, "CreateExecutor", {
    config: {
      name: "flaky",
      enabled: true,
      retry_policy: { type: 3, max_attempts: 3, interval: { seconds: 0, nanos: 20_000_000 } },
      dlq_config: { enabled: true, queue_name: "" },
    },
  });
  assert.equal(executor.config.retry_policy.type, "RETRY_POLICY_TYPE_EXPONENTIAL");
  assert.deepEqual(executor.config.retry_policy.interval, { seconds: 0, nanos: 20_000_000 });

  const { task } = await legacyCall(client, "AddTask", {
    executor_name: "flaky",
    data: json({ n: 1 }),
  });
  for (let attempt = 1; attempt <= 3; attempt++) {
    const leased = await nextTask(client, "flaky");
    assert.equal(leased.id, task.id);
    assert.equal(leased.status, "TASK_STATUS_IN_PROGRESS");
    assert.equal(leased.retry_count, attempt - 1);
    const reported = await legacyCall(client, "UpdateTaskStatus", {
      id: task.id,
      status: "TASK_STATUS_FAILED",
      error: `boom ${attempt}`,
    });
    assert.equal(reported.task.status, attempt < 3 ? "TASK_STATUS_PENDING" : "TASK_STATUS_DLQ");
    assert.equal(reported.task.retry_count, attempt);
    assert.equal(reported.task.error, `boom ${attempt}`);
  }
  assert.deepEqual(await legacyCall(client, "GetTaskStatus", { id: task.id }), {
    status: "TASK_STATUS_DLQ",
    error: "boom 3",
  });
  const dead = await manager.service.getDlqEntry(task.id);
  assert.equal(dead.reason, "max_attempts");
});

Deno.test("an attempt moved back to pending by hand is no failed attempt: not in retry_count, not the error", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  await legacyCall(client, "CreateExecutor", {
    config: {
      name: "moved",
      enabled: true,
      retry_policy: { type: 2, max_attempts: 5, interval: { seconds: 0, nanos: 10_000_000 } },
      dlq_config: { enabled: true, queue_name: "" },
    },
  });
  const { task } = await legacyCall(client, "AddTask", { executor_name: "moved", data: json({}) });
  const status = (id: string) => legacyCall(client, "GetTaskStatus", { id });
  /** Leases the task, then moves it back to pending by hand: the attempt is cut short. */
  const interrupt = async () => {
    assert.equal((await nextTask(client, "moved")).id, task.id);
    await manager.service.updateTaskStatus(task.id, { status: "pending" });
  };

  await interrupt();
  assert.deepEqual(await status(task.id), { status: "TASK_STATUS_PENDING", error: "" });
  let leased = await nextTask(client, "moved");
  assert.deepEqual([leased.retry_count, leased.error], [0, ""]);
  let reported = await legacyCall(client, "UpdateTaskStatus", {
    id: task.id,
    status: "TASK_STATUS_FAILED",
    error: "boom 1",
  });
  assert.deepEqual([reported.task.retry_count, reported.task.error], [1, "boom 1"]);

  await interrupt();
  assert.deepEqual(await status(task.id), { status: "TASK_STATUS_PENDING", error: "boom 1" });
  leased = await nextTask(client, "moved");
  assert.deepEqual([leased.retry_count, leased.error], [1, "boom 1"]);
  reported = await legacyCall(client, "UpdateTaskStatus", {
    id: task.id,
    status: "TASK_STATUS_FAILED",
    error: "boom 2",
  });
  assert.deepEqual([reported.task.retry_count, reported.task.error], [2, "boom 2"]);
  // The task keeps both interruptions in errors[] (the v1 interfaces show them).
  const errors = (await manager.service.getTask(task.id)).errors.map((e) => e.message);
  assert.deepEqual(errors, [INTERRUPTED_BY_HAND, "boom 1", INTERRUPTED_BY_HAND, "boom 2"]);
});

Deno.test("a report is accepted only while the task is in progress under the caller's lease", async () => {
  await using manager = await startTestManager({ env: { AUTH: "on" } });
  const key = async (name: string) =>
    (await manager.service.keys.create({ name, scopes: ["admin"] })).token;
  const [mine, theirs] = [await key("old-client-1"), await key("old-client-2")];
  using client = legacyClient(manager.grpcAddress);

  await legacyCall(client, "RegisterExecutor", { executor_name: "leased", leader_id: "x" }, mine);
  const { task } = await legacyCall(
    client,
    "AddTask",
    { executor_name: "leased", data: json({}) },
    mine,
  );
  const early = await refused(
    legacyCall(client, "UpdateTaskStatus", { id: task.id, status: "TASK_STATUS_COMPLETED" }, mine),
  );
  assert.equal(early.code, grpc.status.FAILED_PRECONDITION, early.details);

  await nextTask(client, "leased", mine);
  const other = await refused(
    legacyCall(
      client,
      "UpdateTaskStatus",
      { id: task.id, status: "TASK_STATUS_COMPLETED" },
      theirs,
    ),
  );
  assert.equal(other.code, grpc.status.FAILED_PRECONDITION);
  assert.match(other.details, /not in progress under a lease of this caller/);

  const pending = await refused(
    legacyCall(client, "UpdateTaskStatus", { id: task.id, status: "TASK_STATUS_PENDING" }, mine),
  );
  assert.equal(pending.code, grpc.status.INVALID_ARGUMENT);
  assert.match(pending.details, /\/status/);
  const confirmed = await legacyCall(
    client,
    "UpdateTaskStatus",
    { id: task.id, status: "TASK_STATUS_IN_PROGRESS" },
    mine,
  );
  assert.equal(confirmed.task.status, "TASK_STATUS_IN_PROGRESS");

  const done = await legacyCall(
    client,
    "UpdateTaskStatus",
    { id: task.id, status: "TASK_STATUS_COMPLETED" },
    mine,
  );
  assert.equal(done.task.status, "TASK_STATUS_COMPLETED");
  assert.ok(done.task.completed_at.seconds > 0);
  const twice = await refused(
    legacyCall(client, "UpdateTaskStatus", { id: task.id, status: "TASK_STATUS_FAILED" }, mine),
  );
  assert.equal(twice.code, grpc.status.FAILED_PRECONDITION);
});

Deno.test("executors over the original interface: enum numbers, Durations, pages, refusals naming the field", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  const { executor } = await legacyCall(client, "CreateExecutor", {
    config: {
      name: "example_processor",
      enabled: true,
      write_concern: { level: 2 },
      retry_policy: { type: 1, max_attempts: 3, interval: { seconds: 3, nanos: 0 } },
      dlq_config: { enabled: false, queue_name: "" },
    },
  });
  assert.equal(executor.config.write_concern.level, "WRITE_CONCERN_LEVEL_MAJORITY");
  assert.equal(executor.config.retry_policy.type, "RETRY_POLICY_TYPE_CONSTANT");
  const stored = await manager.service.getExecutor("example_processor");
  assert.deepEqual(
    [stored.writeConcern.level, stored.retryPolicy.interval, stored.dlqConfig.enabled],
    ["majority", 3000, false],
  );

  // The original interface has no maxInterval: an interval above the bound in force (60 s by
  // default) lifts it, where the v1 API asks for maxInterval with it.
  await legacyCall(client, "UpdateExecutor", {
    id: "example_processor",
    config: {
      enabled: true,
      retry_policy: { type: 1, max_attempts: 3, interval: { seconds: 300, nanos: 0 } },
    },
  });
  const lifted = await manager.service.getExecutor("example_processor");
  assert.deepEqual(
    [lifted.retryPolicy.interval, lifted.retryPolicy.maxInterval, lifted.writeConcern.level],
    [300_000, 0, "majority"],
  );
  await assert.rejects(
    manager.service.updateExecutor("example_processor", {
      retryPolicy: { interval: 400_000, maxInterval: 60_000 },
    }),
    /maxInterval/,
  );

  const unknown = await refused(legacyCall(client, "CreateExecutor", {
    config: { name: "bad", enabled: true, write_concern: { level: 9 } },
  }));
  assert.equal(unknown.code, grpc.status.INVALID_ARGUMENT);
  assert.match(unknown.details, /\/config\/writeConcern\/level/);

  const updated = await legacyCall(client, "UpdateExecutor", {
    id: "example_processor",
    config: { enabled: false },
  });
  assert.equal(updated.executor.enabled, false);
  assert.equal(updated.executor.config.write_concern.level, "WRITE_CONCERN_LEVEL_MAJORITY");

  await legacyCall(client, "RegisterExecutor", { executor_name: "a_first" });
  await legacyCall(client, "RegisterExecutor", { executor_name: "z_last" });
  const first = await legacyCall(client, "ListExecutors", { page_size: 2 });
  assert.deepEqual(first.executors.map((e: Json) => e.name), ["a_first", "example_processor"]);
  const second = await legacyCall(client, "ListExecutors", {
    page_size: 2,
    page_token: first.next_page_token,
  });
  assert.deepEqual(second.executors.map((e: Json) => e.name), ["z_last"]);
  assert.equal(second.next_page_token, "");

  await legacyCall(client, "DeleteExecutor", { id: "z_last" });
  const gone = await refused(legacyCall(client, "GetExecutor", { id: "z_last" }));
  assert.equal(gone.code, grpc.status.NOT_FOUND);
});

Deno.test("the original interface refuses an empty or malformed name or id with INVALID_ARGUMENT naming it; NOT_FOUND is for well-formed ones", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  await manager.service.createExecutor({ name: "idle" });
  for (
    const [method, request, field] of [
      ["GetNextTask", { executor_name: "BAD NAME" }, "/executorName"],
      ["GetNextTask", { executor_name: "" }, "/executorName"],
      ["RegisterExecutor", { executor_name: "BAD NAME" }, "/executorName"],
      ["GetExecutor", { id: "" }, "/id"],
      ["GetTaskStatus", { id: "" }, "/id"],
      ["GetTaskStatus", { id: "a b" }, "/id"],
      ["UpdateTaskStatus", { id: "", status: "TASK_STATUS_COMPLETED" }, "/id"],
    ] as const
  ) {
    const error = await refused(legacyCall(client, method, request));
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${method}: ${error.details}`);
    assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), [field], method);
  }
  assert.match(
    (await refused(legacyCall(client, "GetNextTask", { executor_name: "BAD NAME" }))).details,
    /^Invalid executor name: \/executorName: Must be a name/,
  );
  for (
    const [method, request] of [
      ["GetNextTask", { executor_name: "idle" }],
      ["GetExecutor", { id: "nobody" }],
      ["GetTaskStatus", { id: "nope" }],
    ] as const
  ) {
    assert.equal(
      (await refused(legacyCall(client, method, request))).code,
      grpc.status.NOT_FOUND,
      method,
    );
  }
});

Deno.test("RegisterExecutor reads its name as a name: another executor's id given as the name registers an executor of that name", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  const other = await manager.service.createExecutor({ name: "other" });

  assert.deepEqual(await legacyCall(client, "RegisterExecutor", { executor_name: other.id }), {
    success: true,
  });
  const registered = await manager.service.listExecutors();
  assert.deepEqual(registered.items.map((executor) => executor.name).sort(), [other.id, "other"]);
  const { task } = await legacyCall(client, "AddTask", { executor_name: other.id, data: json({}) });
  assert.equal(task.executor_name, other.id);
});

Deno.test("AddTask's data bytes are counted before they are parsed: past MAX_REQUEST_JSON_VALUES values or MAX_REQUEST_OBJECT_SHAPES object shapes, RESOURCE_EXHAUSTED naming /data; nothing is made", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  await legacyCall(client, "RegisterExecutor", { executor_name: "counted" });
  // 17 objects of 1,000 distinct names: 17,000 shapes.
  const names = Array.from(
    { length: 17 },
    (_, o) => Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`n${o}_${i}`, 0])),
  );
  const tooManyShapes = await refused(
    legacyCall(client, "AddTask", { executor_name: "counted", data: json(names) }),
  );
  assert.equal(tooManyShapes.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(
    tooManyShapes.details,
    /^\/data holds more than 16384 object shapes .*MAX_REQUEST_OBJECT_SHAPES/,
  );
  const tooManyValues = await refused(
    legacyCall(client, "AddTask", {
      executor_name: "counted",
      data: json(new Array(262_144).fill(0)),
    }),
  );
  assert.equal(tooManyValues.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(tooManyValues.details, /^\/data holds more than 262144 JSON values/);
  assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
  // At the limits: made.
  await legacyCall(client, "AddTask", { executor_name: "counted", data: json(names.slice(0, 16)) });
  await legacyCall(client, "AddTask", {
    executor_name: "counted",
    data: json(new Array(262_143).fill(0)),
  });
  assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 2);
});

Deno.test("AddTask's data bytes with a member name given twice in an object (compared unescaped) are refused with INVALID_ARGUMENT naming the member; nothing is made", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  await legacyCall(client, "RegisterExecutor", { executor_name: "once" });
  const twice = await refused(legacyCall(client, "AddTask", {
    executor_name: "once",
    data: Buffer.from(String.raw`{"to":[{"id":1,"\u0069d":2}]}`),
  }));
  assert.equal(twice.code, grpc.status.INVALID_ARGUMENT);
  assert.deepEqual(violationsFromMetadata(twice.metadata).map((v) => v.field), ["/data/to/0/id"]);
  assert.match(twice.details, /^Invalid field \/data\/to\/0\/id: Is given twice in its object/);
  assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 0);
});

Deno.test("the original interface names a bad field as taskexecutor.v1 does: its JSON pointer in the request, lowerCamelCase, in the detail and the message", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  for (
    const [method, request, field] of [
      ["ListExecutors", { page_size: -1 }, "/pageSize"],
      ["ListExecutors", { page_token: "Not A Name" }, "/pageToken"],
      ["AddTask", { executor_name: "x", data: Buffer.from("{") }, "/data"],
      ["UpdateTaskStatus", { id: "t", status: "TASK_STATUS_PENDING" }, "/status"],
    ] as const
  ) {
    const error = await refused(legacyCall(client, method, request));
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${method}: ${error.details}`);
    const violations = violationsFromMetadata(error.metadata);
    assert.deepEqual(violations.map((v) => v.field), [field], method);
    assert.ok(
      error.details.includes(`${field}: ${violations[0].message}`),
      `${method}: ${error.details}`,
    );
  }
});

Deno.test("REST stats and gRPC GetStats take an executor served only by pollers (original and v1 GetNextTask) as served: noWorkers is false while one polls or runs its task, polled says a poller serves it", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  using v1 = grpcClients(manager.grpcAddress);
  // REST's figures, each checked against GetStats' over gRPC: the same by one rule.
  const stats = async (): Promise<Record<string, Json>> => {
    const response = await fetch(`${manager.httpUrl}/api/v1/stats`);
    assert.equal(response.status, 200);
    const body = await response.json();
    const overGrpc = await new Promise<Json>((resolve, reject) =>
      (v1.manager as unknown as Record<string, (...args: unknown[]) => void>).GetStats(
        {},
        (error: grpc.ServiceError | null, value: Json) => error ? reject(error) : resolve(value),
      )
    );
    const said = (list: Json[]) =>
      list.map((s) => [s.executorName, s.workers, s.noWorkers, s.polled]);
    assert.deepEqual(said(overGrpc.executors), said(body.executors), "GetStats as REST's stats");
    return Object.fromEntries(body.executors.map((s: Json) => [s.executorName, s]));
  };
  const figures = (s: Json) => [s.workers, s.byStatus.pending, s.byStatus.in_progress, s.noWorkers];
  await legacyCall(client, "RegisterExecutor", { executor_name: "polled" });
  for (let n = 0; n < 3; n++) {
    await legacyCall(client, "AddTask", { executor_name: "polled", data: json({ n }) });
  }
  await manager.service.createExecutor({ name: "orphan" });
  await manager.service.createTask({ executorName: "orphan", data: {} });
  await manager.service.createExecutor({ name: "later" });
  await manager.service.createTask({
    executorName: "later",
    data: {},
    runAt: "2100-01-01T00:00:00Z",
  });
  let now = await stats();
  assert.deepEqual(figures(now.polled), [0, 3, 0, true], "nobody polled it yet");

  // A poller runs one task: 0 connected workers, yet served.
  const task = await nextTask(client, "polled");
  now = await stats();
  assert.deepEqual(figures(now.polled), [0, 2, 1, false]);
  assert.deepEqual(figures(now.orphan), [0, 1, 0, true], "nobody polls this one");
  // Between two tasks of the poller: none in progress, but it polled a moment ago.
  await legacyCall(client, "UpdateTaskStatus", { id: task.id, status: "TASK_STATUS_COMPLETED" });
  assert.deepEqual(figures((await stats()).polled), [0, 2, 0, false]);

  // The v1 unary GetNextTask polls too, even when nothing of the executor is ready yet.
  assert.deepEqual(figures(now.later), [0, 1, 0, true]);
  assert.deepEqual(await manager.engine.claim("w1", ["later"], 1), []);
  now = await stats();
  assert.deepEqual(figures(now.later), [0, 1, 0, false]);
  assert.deepEqual([now.polled.polled, now.later.polled, now.orphan.polled], [true, true, false]);
});

Deno.test("a dlq_config that leaves enabled out turns the DLQ off, as the original did, and the log says so; one left out keeps the DLQ", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  const lines: string[] = [];
  setLogger(createLogger({ level: "warn", format: "json", write: (line) => lines.push(line) }));
  const warnings = () =>
    lines.map((l) => JSON.parse(l)).filter((l) => /^The DLQ of executor/.test(l.msg));
  try {
    // Only queue_name set: the original proto sends enabled false beside it.
    const created = await legacyCall(client, "CreateExecutor", {
      config: { name: "dead_end", enabled: true, dlq_config: { queue_name: "graveyard" } },
    });
    assert.deepEqual(created.executor.config.dlq_config, {
      enabled: false,
      queue_name: "graveyard",
    });
    const [warning, ...more] = warnings();
    assert.deepEqual(more, []);
    assert.equal(warning.executor, "dead_end");
    assert.match(
      warning.msg,
      /^The DLQ of executor "dead_end" is off by a CreateExecutor of the original interface: its dlq_config's enabled is false \(what the original proto sends when it is left out\)/,
    );

    lines.length = 0;
    await legacyCall(client, "UpdateExecutor", {
      id: "dead_end",
      config: { enabled: true, dlq_config: { queue_name: "graveyard" } },
    });
    assert.match(warnings()[0]?.msg ?? lines.join("\n"), /is off by an UpdateExecutor of the/);

    // dlq_config left out keeps the DLQ as it is; enabled sent turns it on: nothing is logged.
    lines.length = 0;
    await legacyCall(client, "UpdateExecutor", {
      id: "dead_end",
      config: { enabled: true, dlq_config: { enabled: true } },
    });
    const kept = await legacyCall(client, "UpdateExecutor", {
      id: "dead_end",
      config: { enabled: true },
    });
    assert.equal(kept.executor.config.dlq_config.enabled, true);
    assert.deepEqual(lines, []);
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
  }
});

Deno.test("DeleteExecutor of an executor still in use says how to delete it with its tasks, as the original request has no force", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  await legacyCall(client, "RegisterExecutor", { executor_name: "busy" });
  await legacyCall(client, "AddTask", { executor_name: "busy", data: json({}) });
  const { id } = await manager.service.getExecutorNamed("busy");
  for (const given of ["busy", id]) {
    const error = await refused(legacyCall(client, "DeleteExecutor", { id: given }));
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(
      error.details,
      'Cannot delete executor "busy": 1 task is pending or in progress (the original ' +
        "DeleteExecutor has no force; to delete them too, run `tasks-executor executors delete " +
        "busy --force`, send DELETE /api/v1/executors/busy?force=true, or call " +
        "taskexecutor.v1.TaskExecutorManagerService/DeleteExecutor with force: true)",
    );
  }
  // The ways it names work.
  const response = await fetch(`${manager.httpUrl}/api/v1/executors/busy?force=true`, {
    method: "DELETE",
  });
  assert.equal(response.status, 204, await response.text());
  const gone = await refused(legacyCall(client, "GetExecutor", { id: "busy" }));
  assert.equal(gone.code, grpc.status.NOT_FOUND);
});

Deno.test("GetNextTask's NOT_FOUND for an executor that does not exist carries an ErrorInfo (EXECUTOR_NOT_FOUND) naming it; the NOT_FOUND of no task ready carries none", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  await legacyCall(client, "RegisterExecutor", { executor_name: "idle" });
  const none = await refused(legacyCall(client, "GetNextTask", { executor_name: "idle" }));
  assert.equal(none.code, grpc.status.NOT_FOUND);
  assert.equal(none.details, 'No task of executor "idle" is ready');
  assert.equal(executorNotFoundFromMetadata(none.metadata), undefined);

  await legacyCall(client, "DeleteExecutor", { id: "idle" });
  const gone = await refused(legacyCall(client, "GetNextTask", { executor_name: "idle" }));
  assert.equal(gone.code, grpc.status.NOT_FOUND);
  assert.equal(gone.details, 'Executor "idle" does not exist');
  assert.equal(executorNotFoundFromMetadata(gone.metadata), "idle");
  // Every call that names a missing executor says so alike.
  const read = await refused(legacyCall(client, "GetExecutor", { id: "idle" }));
  assert.equal(executorNotFoundFromMetadata(read.metadata), "idle");
  const added = await refused(legacyCall(client, "AddTask", { executor_name: "idle" }));
  assert.equal(added.code, grpc.status.NOT_FOUND);
  assert.equal(executorNotFoundFromMetadata(added.metadata), "idle");
  // Naming the field by its pointer in this request, as a batch names each task's.
  assert.equal(
    added.details,
    'Cannot create task: /executorName: Executor "idle" does not exist',
  );
  const task = await refused(legacyCall(client, "GetTaskStatus", { id: "nope" }));
  assert.equal(task.code, grpc.status.NOT_FOUND);
  assert.equal(executorNotFoundFromMetadata(task.metadata), undefined);
});
