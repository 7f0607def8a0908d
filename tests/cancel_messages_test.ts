/**
 * A cancel refused, or a report of a task cancelled meanwhile, says what happened: "Task … is
 * already cancelled" over REST (409), gRPC (FAILED_PRECONDITION) and the command line (exit 1);
 * the original interface's UpdateTaskStatus of a task cancelled while its worker ran it says "…
 * was cancelled".
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { transitionRefusal } from "../server/domain/task.ts";
import { startTestManager } from "./_manager.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";
import { runToEnd } from "./fixtures/process.ts";
import { legacyCall, legacyClient } from "./fixtures/legacy_grpc.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

Deno.test("transitionRefusal() says a task is already in the status asked, and why a cancel is refused", () => {
  assert.equal(transitionRefusal("t1", "cancelled", "cancelled"), 'Task "t1" is already cancelled');
  assert.equal(
    transitionRefusal("t1", "in_progress", "in_progress"),
    'Task "t1" is already in progress',
  );
  assert.equal(
    transitionRefusal("t1", "completed", "cancelled"),
    'Cannot cancel task "t1": it is completed, and only pending and in-progress tasks are cancelled',
  );
  assert.equal(
    transitionRefusal("t1", "dlq", "cancelled"),
    'Cannot cancel task "t1": it is in the DLQ, and only pending and in-progress tasks are cancelled',
  );
  assert.equal(
    transitionRefusal("t1", "pending", "completed"),
    'Cannot move task "t1" from pending to completed',
  );
});

Deno.test("cancelling a cancelled task says it is already cancelled over REST, gRPC and the command line", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "jobs" });
  const { task } = await manager.service.createTask({ executorName: "jobs", data: {} });
  const expected = `Task "${task.id}" is already cancelled`;
  const cancel = () =>
    fetch(`${manager.httpUrl}/api/v1/tasks/${task.id}/cancel`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
  const first = await cancel();
  await first.body?.cancel();
  assert.equal(first.status, 200);

  const again = await cancel();
  assert.equal(again.status, 409);
  assert.equal((await again.json()).detail, expected);

  const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
  try {
    await assert.rejects(
      unary(client, "CancelTask", { id: task.id }),
      (error: grpc.ServiceError) =>
        error.code === grpc.status.FAILED_PRECONDITION && error.details === expected,
    );
  } finally {
    client.close();
  }

  const cli = await runToEnd(
    Deno.execPath(),
    ["run", "-A", "main.ts", "tasks", "cancel", task.id],
    {
      MANAGER_URL: manager.httpUrl,
      TASKS_EXECUTOR_API_KEY: "",
    },
  );
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, new RegExp(expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
});

Deno.test("the original interface's report of a task cancelled while its worker ran it says the task was cancelled", async () => {
  await using manager = await startTestManager();
  const client = legacyClient(manager.grpcAddress);
  try {
    await legacyCall(client, "RegisterExecutor", { executor_name: "legacy1" });
    await legacyCall(client, "AddTask", { executor_name: "legacy1", data: new Uint8Array() });
    const { task } = await legacyCall(client, "GetNextTask", { executor_name: "legacy1" });
    await manager.service.cancelTask(task.id);
    const refused = await legacyCall(client, "UpdateTaskStatus", {
      id: task.id,
      status: "TASK_STATUS_COMPLETED",
    }).then(() => assert.fail("the report was taken"), (error: grpc.ServiceError) => error);
    assert.equal(refused.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(
      refused.details,
      `Task "${task.id}" was cancelled: it is no longer in progress, and a report of it is not taken`,
    );
  } finally {
    client.close();
  }
});
