/**
 * The gRPC API through `grpcurl`, a client nobody here wrote, with no proto file: everything it
 * knows comes from server reflection. Skipped (visibly) when no grpcurl binary is found.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startTestManager } from "./_manager.ts";
import { type Finished, runToEnd } from "./fixtures/process.ts";
import { skipUnless } from "./fixtures/skip.ts";

const GRPCURL = Deno.env.get("GRPCURL_BIN") ??
  fileURLToPath(new URL("../.tools/grpcurl", import.meta.url));
const missing = await Deno.stat(GRPCURL).then(() => false, () => true);

/** Runs `grpcurl -plaintext [-d DATA] ADDRESS ...command`. */
function grpcurl(address: string, command: string[], data?: unknown): Promise<Finished> {
  const flags = data === undefined ? [] : ["-d", JSON.stringify(data)];
  return runToEnd(GRPCURL, ["-plaintext", ...flags, address, ...command]);
}

Deno.test({
  ...skipUnless(
    "grpcurl lists, describes and calls the services through reflection alone",
    missing ? `no grpcurl at ${GRPCURL}; set GRPCURL_BIN` : null,
  ),
  async fn() {
    await using manager = await startTestManager();
    const address = manager.grpcAddress;

    const list = await grpcurl(address, ["list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stdout.trim().split("\n").sort(), [
      "grpc.health.v1.Health",
      "taskexecutor.TaskExecutorManager",
      "taskexecutor.v1.TaskExecutorManagerService",
      "taskexecutor.v1.TaskExecutorService",
    ]);

    const describe = await grpcurl(address, ["describe", "taskexecutor.v1.Task"]);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, /map<string, string> metadata = 4;/);

    const schema = {
      type: "object",
      required: ["to"],
      properties: { to: { type: "string", format: "email" } },
    };
    const created = await grpcurl(
      address,
      ["taskexecutor.v1.TaskExecutorManagerService/CreateExecutor"],
      { config: { name: "send_email", task_schema: schema } },
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).executor.name, "send_email");
    assert.deepEqual(JSON.parse(created.stdout).executor.taskSchema, schema);

    // The README's example: JSON values as plain JSON, no escaped JSON text.
    const task = await grpcurl(address, ["taskexecutor.v1.TaskExecutorManagerService/CreateTask"], {
      task: { executor_name: "send_email", data: { to: "ada@example.com" } },
    });
    assert.equal(task.code, 0, task.stderr);
    assert.equal(JSON.parse(task.stdout).task.status, "TASK_STATUS_PENDING");
    assert.deepEqual(JSON.parse(task.stdout).task.data, { to: "ada@example.com" });

    // A key used before, a new one and the new one again: which tasks the batch created.
    const used = { executor_name: "send_email", data: { to: "ada@example.com" } };
    const first = await grpcurl(
      address,
      ["taskexecutor.v1.TaskExecutorManagerService/CreateTask"],
      {
        task: { ...used, idempotency_key: "used" },
      },
    );
    // The key again: ALREADY_EXISTS naming the task in a google.rpc.ErrorInfo, decoded the same way.
    const repeated = await grpcurl(
      address,
      ["taskexecutor.v1.TaskExecutorManagerService/CreateTask"],
      { task: { ...used, idempotency_key: "used" } },
    );
    assert.notEqual(repeated.code, 0);
    assert.match(repeated.stderr, /Code: AlreadyExists/);
    assert.match(repeated.stderr, /"@type": "type.googleapis.com\/google.rpc.ErrorInfo"/);
    assert.match(repeated.stderr, /"reason": "IDEMPOTENCY_KEY_USED"/);
    assert.match(repeated.stderr, new RegExp(`"taskId": "${JSON.parse(first.stdout).task.id}"`));
    assert.doesNotMatch(repeated.stderr, /not recognized/);
    const batch = await grpcurl(
      address,
      ["taskexecutor.v1.TaskExecutorManagerService/CreateTasks"],
      { tasks: ["new", "used", "new"].map((idempotency_key) => ({ ...used, idempotency_key })) },
    );
    assert.equal(batch.code, 0, batch.stderr);
    assert.deepEqual(JSON.parse(batch.stdout).created, [true, false, false]);

    const bad = await grpcurl(address, ["taskexecutor.v1.TaskExecutorManagerService/CreateTask"], {
      task: { executorName: "send_email", data: { to: "nope" } },
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Code: InvalidArgument/);
    // The field comes in the google.rpc.BadRequest detail, which grpcurl decodes through reflection.
    assert.match(bad.stderr, /"@type": "type.googleapis.com\/google.rpc.BadRequest"/);
    assert.match(bad.stderr, /"field": "\/task\/data\/to"/);
    assert.doesNotMatch(bad.stderr, /not recognized/);

    const health = await grpcurl(address, ["grpc.health.v1.Health/Check"]);
    assert.equal(health.code, 0, health.stderr);
    assert.equal(JSON.parse(health.stdout).status, "SERVING");
  },
});
