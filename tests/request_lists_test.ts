/**
 * Lists of statuses and scopes in a request are bounded: each value at most once, so never more
 * entries than there are values. A longer list is refused whole, naming the list, with an answer
 * as small as a list allowed (not one violation, nor one name in a 409, an entry); a repeat within
 * the bound is refused naming its place.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { violationsFromMetadata } from "@tasks-executor/proto";
import { startTestManager } from "./_manager.ts";
import { rejectsWith, startGrpcStack } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

/** The fields an error answer names. */
function fields(body: Msg): string[] {
  return (body.errors ?? []).map((e: Msg) => e.field);
}

Deno.test("REST: a `from`, status filter or scope list longer than its values is refused whole, a repeat at its place", async () => {
  await using m = await startTestManager();
  await restOk(m, "POST", "/executors", { config: { name: "lists" } });
  const { task } = await restOk(m, "POST", "/tasks", { task: { executorName: "lists" } });
  await restOk(m, "POST", `/tasks/${task.id}/cancel`);

  const many = Array.from({ length: 50_000 }, () => "failed");
  const long = await rest(m, "PUT", `/tasks/${task.id}/status`, { status: "pending", from: many });
  assert.equal(long.status, 400, JSON.stringify(long.body).slice(0, 300));
  assert.deepEqual(fields(long.body), ["/from"]);
  assert.ok(JSON.stringify(long.body).length < 1000, "an answer as small as a list allowed");
  const seven = await rest(m, "PUT", `/tasks/${task.id}/status`, {
    status: "pending",
    from: ["failed", "dlq", "cancelled", "pending", "completed", "in_progress", "failed"],
  });
  assert.equal(seven.status, 400);
  assert.deepEqual(fields(seven.body), ["/from"]);
  const twice = await rest(m, "PUT", `/tasks/${task.id}/status`, {
    status: "pending",
    from: ["cancelled", "cancelled"],
  });
  assert.equal(twice.status, 400, JSON.stringify(twice.body));
  assert.deepEqual(fields(twice.body), ["/from/1"]);
  assert.match(twice.body.errors[0].message, /Must not repeat "cancelled"/);
  assert.equal((await restOk(m, "GET", `/tasks/${task.id}`)).task.status, "cancelled");

  const statuses = Array.from({ length: 200 }, () => "failed").join(",");
  for (
    const [method, path] of [
      ["GET", `/tasks?status=${statuses}`],
      ["GET", `/tasks/search?id=${task.id}&status=${statuses}`],
      ["DELETE", `/tasks?executorName=lists&status=${statuses}`],
      ["POST", `/tasks/retry?executorName=lists&status=${statuses}`],
    ]
  ) {
    const answer = await rest(m, method, path);
    assert.equal(answer.status, 400, `${method} ${path.slice(0, 30)}`);
    assert.deepEqual(fields(answer.body), ["status"], path.slice(0, 30));
    assert.match(answer.body.detail, /at most once: at most 6, not 200/);
    const repeated = await rest(m, method, path.replace(statuses, "failed,failed"));
    assert.equal(repeated.status, 400, `${method} ${path.slice(0, 30)}`);
    assert.match(repeated.body.detail, /Must not repeat "failed"/);
  }
  assert.equal((await restOk(m, "GET", `/tasks/${task.id}`)).task.status, "cancelled");

  const scopes = await rest(m, "POST", "/keys", {
    name: "many",
    scopes: Array.from({ length: 50_000 }, () => "nope"),
  });
  assert.equal(scopes.status, 400);
  assert.deepEqual(fields(scopes.body), ["/scopes"]);
  assert.ok(JSON.stringify(scopes.body).length < 1000, "an answer as small as a list allowed");
});

Deno.test("gRPC: a repeated enum longer than its values is refused whole, naming the field", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "lists" } });
  const { task } = await stack.call<Msg>("CreateTask", { task: { executorName: "lists" } });
  const zeros = Array.from({ length: 50_000 }, () => 0);
  const failed = Array.from({ length: 7 }, () => "TASK_STATUS_FAILED");
  for (const status of [zeros, failed]) {
    const error = await rejectsWith(
      stack.call("ListTasks", { status }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), ["/status"]);
    assert.ok(error.details.length < 300, error.details.slice(0, 300));
  }
  const from = await rejectsWith(
    stack.call("UpdateTaskStatus", {
      id: task.id,
      status: "TASK_STATUS_CANCELLED",
      from: Array.from({ length: 50_000 }, () => "TASK_STATUS_PENDING"),
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(from.metadata).map((v) => v.field), ["/from"]);
  assert.ok(from.details.length < 300, from.details.slice(0, 300));
  const twice = await rejectsWith(
    stack.call("UpdateTaskStatus", {
      id: task.id,
      status: "TASK_STATUS_CANCELLED",
      from: ["TASK_STATUS_PENDING", "TASK_STATUS_PENDING"],
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(twice.metadata).map((v) => v.field), ["/from/1"]);
  const scopes = await rejectsWith(
    stack.call("CreateKey", { name: "many", scopes: Array.from({ length: 50_000 }, () => 1) }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(scopes.metadata).map((v) => v.field), ["/scopes"]);
  assert.ok(scopes.details.length < 300, scopes.details.slice(0, 300));
  assert.equal(
    (await stack.call<Msg>("GetTask", { id: task.id })).task.status,
    "TASK_STATUS_PENDING",
  );
});
