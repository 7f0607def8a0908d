/**
 * Repeated enum fields over gRPC: `<ENUM>_UNSPECIFIED` (0) in a filter list is INVALID_ARGUMENT
 * naming its place, not "no filter" (an empty list is every value): a bulk call with it deletes,
 * cancels or runs again nothing.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { violationsFromMetadata } from "@tasks-executor/proto";
import { rejectsWith, startGrpcStack } from "./fixtures/grpc_stack.ts";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

Deno.test("TASK_STATUS_UNSPECIFIED in a status list is refused naming its place, and nothing is done", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "t_zero" } });
  const ids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const { task } = await stack.call<Msg>("CreateTask", { task: { executorName: "t_zero" } });
    await stack.call("CancelTask", { id: task.id });
    ids.push(task.id);
  }
  const { task: waiting } = await stack.call<Msg>("CreateTask", {
    task: { executorName: "t_zero" },
  });
  const calls: [string, Msg][] = [
    ["ListTasks", { status: ["TASK_STATUS_CANCELLED", "TASK_STATUS_UNSPECIFIED"] }],
    ["SearchTasks", { id: ids[0], status: [0, "TASK_STATUS_CANCELLED"] }],
    ["DeleteTasks", { executorName: "t_zero", status: [0] }],
    ["CancelTasks", { executorName: "t_zero", status: ["TASK_STATUS_UNSPECIFIED"] }],
    ["RetryTasks", { executorName: "t_zero", status: [0] }],
  ];
  for (const [rpc, request] of calls) {
    const error = await rejectsWith(stack.call(rpc, request), grpc.status.INVALID_ARGUMENT);
    const at = request.status.findIndex((s: unknown) => s === 0 || s === "TASK_STATUS_UNSPECIFIED");
    assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), [
      `/status/${at}`,
    ], rpc);
    assert.match(error.details, /TASK_STATUS_UNSPECIFIED/, rpc);
  }
  const left = await stack.call<Msg>("ListTasks", { executorName: "t_zero" });
  assert.deepEqual(
    left.tasks.map((t: Msg) => [t.id, t.status]).sort(),
    [
      [ids[0], "TASK_STATUS_CANCELLED"],
      [ids[1], "TASK_STATUS_CANCELLED"],
      [waiting.id, "TASK_STATUS_PENDING"],
    ].sort(),
    "nothing deleted, cancelled or run again",
  );
  // The other repeated enums of the requests refuse 0 the same way.
  const from = await rejectsWith(
    stack.call("UpdateTaskStatus", {
      id: waiting.id,
      status: "TASK_STATUS_CANCELLED",
      from: ["TASK_STATUS_PENDING", 0],
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(from.metadata).map((v) => v.field), ["/from/1"]);
  const scopes = await rejectsWith(
    stack.call("CreateKey", { name: "zero", scopes: ["SCOPE_READ", "SCOPE_UNSPECIFIED"] }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(scopes.metadata).map((v) => v.field), ["/scopes/1"]);
  assert.equal(
    (await stack.call<Msg>("GetTask", { id: waiting.id })).task.status,
    "TASK_STATUS_PENDING",
  );
  // A number the proto does not declare is refused naming its place too, as over REST by name.
  for (const [rpc, request] of calls) {
    const status = request.status.map((
      s: unknown,
    ) => (s === 0 || s === "TASK_STATUS_UNSPECIFIED" ? 99 : s));
    const error = await rejectsWith(
      stack.call(rpc, { ...request, status }),
      grpc.status.INVALID_ARGUMENT,
    );
    const at = status.indexOf(99);
    assert.deepEqual(
      violationsFromMetadata(error.metadata).map((v) => v.field),
      [`/status/${at}`],
      rpc,
    );
    assert.match(error.details, /Must be one of TASK_STATUS_PENDING, .*, not 99/, rpc);
  }
  // An empty list is still every status.
  const every = await stack.call<Msg>("ListTasks", { executorName: "t_zero", status: [] });
  assert.equal(every.tasks.length, 3);
});

Deno.test("every repeated enum of the gRPC services answers 0, an undeclared number and a repeat in one way: naming its place, in the same words", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "t_same" } });
  const { task } = await stack.call<Msg>("CreateTask", { task: { executorName: "t_same" } });
  const lists: [string, string, string, Msg, string][] = [
    ["ListTasks", "status", "TASK_STATUS_", {}, "TASK_STATUS_PENDING"],
    ["UpdateTaskStatus", "from", "TASK_STATUS_", {
      id: task.id,
      status: "TASK_STATUS_CANCELLED",
    }, "TASK_STATUS_PENDING"],
    ["CreateKey", "scopes", "SCOPE_", { name: "same" }, "SCOPE_READ"],
  ];
  for (const [rpc, field, prefix, request, known] of lists) {
    const zero = await rejectsWith(
      stack.call(rpc, { ...request, [field]: [known, 0] }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(
      violationsFromMetadata(zero.metadata).map((v) => [v.field, v.message]),
      [[`/${field}/1`, `Must not be ${prefix}UNSPECIFIED (an empty list is every value)`]],
      rpc,
    );
    const repeat = await rejectsWith(
      stack.call(rpc, { ...request, [field]: [known, known] }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(
      violationsFromMetadata(repeat.metadata).map((v) => [v.field, v.message]),
      [[`/${field}/1`, `Must not repeat ${known}`]],
      rpc,
    );
    const unknown = await rejectsWith(
      stack.call(rpc, { ...request, [field]: [99, known] }),
      grpc.status.INVALID_ARGUMENT,
    );
    const violations = violationsFromMetadata(unknown.metadata);
    assert.deepEqual(violations.map((v) => v.field), [`/${field}/0`], rpc);
    assert.match(
      violations[0].message,
      new RegExp(`^Must be one of ${prefix}[A-Z_]+(, ${prefix}[A-Z_]+)*, not 99$`),
      rpc,
    );
  }
  assert.equal(
    (await stack.call<Msg>("GetTask", { id: task.id })).task.status,
    "TASK_STATUS_PENDING",
  );
  assert.equal((await stack.call<Msg>("ListKeys", {})).keys.length, 0);
});
