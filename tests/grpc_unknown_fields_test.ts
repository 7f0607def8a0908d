/**
 * Fields the manager does not know, sent as raw bytes to a real manager (a client built from a
 * newer proto, or a hand-written one). Where a field narrows what the call acts on (a bulk call's
 * filter, a claim, a list), skipping it would widen the call, so the request is refused before
 * anything is done; a create skips it, as protobuf says, and makes its task.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { encodeMessage } from "@tasks-executor/proto";
import { startTestManager } from "./_manager.ts";

const identity = (bytes: Buffer) => bytes;
const V1 = "/taskexecutor.v1.TaskExecutorManagerService";

/** The call's error, or `null` when it was answered. */
function call(
  client: grpc.Client,
  path: string,
  bytes: number[],
): Promise<grpc.ServiceError | null> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, identity, identity, Buffer.from(bytes), (error) => resolve(error))
  );
}

/** Field 9, a string: a newer proto's `group_key` filter, say. */
const GROUP_KEY_G1 = [0x4a, 0x02, 0x67, 0x31];

Deno.test("a bulk call, a claim or a list with a field the manager does not know is INVALID_ARGUMENT naming it, and nothing is done; a create with one makes its task", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "a" });
  await manager.service.createExecutor({ name: "b" });
  await manager.service.createTasks([
    { executorName: "a", groupKey: "g1" },
    { executorName: "a", groupKey: "g2" },
    { executorName: "a", groupKey: "g2" },
    { executorName: "b" },
  ]);
  const [done] = (await manager.service.listTasks({ executorName: "b" }, { limit: 10 })).items;
  await manager.service.cancelTask(done.id);
  const statuses = async () =>
    (await manager.service.listTasks({}, { limit: 10 })).items.map((task) => task.status).sort();
  const before = await statuses();
  assert.deepEqual(before, ["cancelled", "pending", "pending", "pending"]);
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    const refusals: [string, string, number[]][] = [
      // Skipped, the group key would have cancelled all three of executor a's tasks, not the one.
      [`${V1}/CancelTasks`, "taskexecutor.v1.CancelTasksRequest", [
        ...encodeMessage("taskexecutor.v1.CancelTasksRequest", { executorName: "a" }),
        ...GROUP_KEY_G1,
      ]],
      [`${V1}/DeleteTasks`, "taskexecutor.v1.DeleteTasksRequest", [
        ...GROUP_KEY_G1,
        ...encodeMessage("taskexecutor.v1.DeleteTasksRequest", { executorName: "b" }),
      ]],
      [`${V1}/ListTasks`, "taskexecutor.v1.ListTasksRequest", [
        ...encodeMessage("taskexecutor.v1.ListTasksRequest", { executorName: "a" }),
        ...GROUP_KEY_G1,
      ]],
      // The original interface's claim of the next task of executor a.
      ["/taskexecutor.TaskExecutorManager/GetNextTask", "taskexecutor.GetNextTaskRequest", [
        0x0a,
        0x01,
        0x61,
        ...GROUP_KEY_G1,
      ]],
    ];
    for (const [path, message, bytes] of refusals) {
      const error = await call(client, path, bytes);
      assert.equal(error?.code, grpc.status.INVALID_ARGUMENT, `${path}: ${error?.details}`);
      assert.match(
        error.details,
        new RegExp(`^unknown field 9 in ${message.replaceAll(".", "\\.")}: this call refuses`),
      );
    }
    assert.deepEqual(await statuses(), before);

    // Without the field, the same calls are done.
    const cancel = encodeMessage("taskexecutor.v1.CancelTasksRequest", { executorName: "a" });
    assert.equal(await call(client, `${V1}/CancelTasks`, [...cancel]), null);
    assert.deepEqual(await statuses(), ["cancelled", "cancelled", "cancelled", "cancelled"]);

    // A create skips it: forward compatibility.
    const create = encodeMessage("taskexecutor.v1.CreateTaskRequest", {
      task: { executorName: "a" },
    });
    assert.equal(await call(client, `${V1}/CreateTask`, [...create, ...GROUP_KEY_G1]), null);
    assert.deepEqual(await statuses(), [
      "cancelled",
      "cancelled",
      "cancelled",
      "cancelled",
      "pending",
    ]);
  } finally {
    client.close();
  }
});
