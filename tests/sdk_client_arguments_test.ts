/**
 * The positional arguments of `Client`'s calls (ids, names, lists) are checked before anything is
 * sent: one of the wrong type is an `InvalidArgumentError` naming it by the pointer the manager
 * names that field by, not sent as something else (`null` as the id "null", `5` as the name "5",
 * a string as a list of its characters).
 */
import assert from "node:assert/strict";
import { Client, InvalidArgumentError } from "../sdk/mod.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";

/** Asserts `call` rejects with an `InvalidArgumentError` naming `field` alone with `message`. */
async function refused(call: () => Promise<unknown>, field: string, message: string) {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.deepEqual(error.violations, [{ field, message }], error.message);
    // The whole value (field "") is named by its message alone, as the manager names it.
    const named = field === "" ? `: ${message}` : `${field}: ${message}`;
    assert.ok(error.message.includes(named), error.message);
    return true;
  });
}

// deno-lint-ignore no-explicit-any
const bad = (value: unknown) => value as any;

Deno.test("Client's calls refuse an id, name or list of the wrong type, naming it, and send nothing", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("t_args", {});
  const task = await client.createTask("t_args", {});

  await refused(() => client.getTask(bad(null)), "/id", "Is required");
  await refused(() => client.getTask(bad(5)), "/id", "Must be a string");
  await refused(() => client.cancelTask(bad(undefined)), "/id", "Is required");
  await refused(() => client.cancelTask(bad({ id: task.id })), "/id", "Must be a string");
  await refused(() => client.waitForTask(bad(null)), "/taskIds/0", "Is required");
  await refused(() => client.waitForTask(bad(42)), "/taskIds/0", "Must be a string");
  await refused(() => client.waitForTasks(bad("abc")), "/taskIds", "Must be an array");
  await refused(() => client.waitForTasks(bad(null)), "/taskIds", "Is required");
  await refused(() => client.waitForTasks(bad([task.id, 7])), "/taskIds/1", "Must be a string");
  // A task's executor is a required string as every name is: null was "Must be a string".
  await refused(() => client.createTask(bad(null), {}), "/task/executorName", "Is required");
  await refused(() => client.createTask(bad(5), {}), "/task/executorName", "Must be a string");
  await refused(
    () => client.createTaskAndWait(bad(null), {}),
    "/task/executorName",
    "Is required",
  );
  await refused(
    () => client.createTasks([{ executorName: bad(null), data: {} }]),
    "/tasks/0/executorName",
    "Is required",
  );
  await refused(() => client.createTasks(bad("abc")), "/tasks", "Must be an array");
  await refused(() => client.createTasksDetailed(bad({})), "/tasks", "Must be an array");
  await refused(() => client.registerExecutor(bad(5), {}), "/config/name", "Must be a string");
  await refused(() => client.createExecutor(bad(null), {}), "/config/name", "Is required");
  await refused(() => client.getExecutor(bad(5)), "/id", "Must be a string");
  await refused(() => client.schedules.get(bad(null)), "/id", "Is required");
  await refused(() => client.schedules.pause(bad(1)), "/id", "Must be a string");
  await refused(() => client.schedules.resume(bad(1)), "/id", "Must be a string");
  await refused(() => client.schedules.trigger(bad(1)), "/id", "Must be a string");
  await refused(() => client.schedules.delete(bad(1)), "/id", "Must be a string");
  await refused(() => client.schedules.update(bad(1), {}), "/id", "Must be a string");
  const schedule = { executorName: "t_args", every: 60_000 };
  await refused(
    () => client.schedules.create(bad(5), schedule),
    "/config/name",
    "Must be a string",
  );
  await refused(
    () => client.schedules.register(bad(5), schedule),
    "/config/name",
    "Must be a string",
  );

  // An options argument that is no object is refused as every option object is, not read.
  await refused(() => client.createTask("t_args", {}, bad(null)), "", "Must be an object");
  await refused(() => client.createTaskAndWait("t_args", {}, bad(5)), "", "Must be an object");
  await refused(() => client.getTask(task.id, bad(null)), "", "Must be an object");
  await refused(() => client.waitForTask(task.id, bad(null)), "", "Must be an object");

  // Nothing was made or cancelled; the pointers are the manager's for those fields.
  assert.deepEqual((await client.listExecutors()).map((e) => e.name), ["t_args"]);
  assert.deepEqual(await client.schedules.list(), []);
  assert.equal((await client.getTask(task.id)).status, "pending");
  await refused(() => client.getTask(""), "/id", "Is required");
  await refused(() => client.getExecutor(""), "/id", "Is required");
  // Strings and lists of them still work.
  assert.equal((await client.cancelTask(task.id)).status, "cancelled");
  assert.deepEqual((await client.waitForTasks([task.id])).map((t) => t.status), ["cancelled"]);
  assert.deepEqual(await client.waitForTasks([]), []);
});
