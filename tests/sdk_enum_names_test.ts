/**
 * The SDK refuses an enum name it does not know (a typo, another case) before it sends anything,
 * with an `InvalidArgumentError` naming the field: sent as `<ENUM>_UNSPECIFIED` it would read as
 * "not given", and a filter would widen to every value.
 */
import assert from "node:assert/strict";
import { Client, InvalidArgumentError } from "../sdk/mod.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";

/** Asserts `call` rejects with an `InvalidArgumentError` naming `field` (and only it). */
async function refusedNaming(call: Promise<unknown>, field: string, name: string): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.deepEqual(error.violations.map((v) => v.field), [field]);
    assert.ok(error.message.startsWith(`${field}: Must be one of `), error.message);
    assert.ok(error.message.includes(`not "${name}"`), error.message);
    return true;
  });
}

Deno.test("an unknown status name in a bulk call or a list is refused, and nothing is deleted or cancelled", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("t_zero", {});
  const cancelled = [];
  for (let i = 0; i < 2; i++) {
    cancelled.push((await client.cancelTask((await client.createTask("t_zero", {})).id)).id);
  }
  const pending = await client.createTask("t_zero", {});

  await refusedNaming(
    client.deleteTasks({ executorName: "t_zero", status: ["complete" as "completed"] }),
    "/status/0",
    "complete",
  );
  // A single name goes on the wire as the list's first entry: named `/status/0`, as the manager
  // names that place (`/status` named no field the request has).
  await refusedNaming(
    client.cancelTasks({ executorName: "t_zero", status: "pendign" as "pending" }),
    "/status/0",
    "pendign",
  );
  await refusedNaming(
    client.deleteTasks({ executorName: "t_zero", status: "complete" as "completed" }),
    "/status/0",
    "complete",
  );
  await refusedNaming(
    client.retryTasks({ executorName: "t_zero", status: "Failed" as "failed" }),
    "/status/0",
    "Failed",
  );
  await refusedNaming(client.listTasks({ status: "" as "pending" }), "/status/0", "");
  await refusedNaming(
    client.retryTasks({ executorName: "t_zero", status: ["failed", "" as "dlq"] }),
    "/status/1",
    "",
  );
  await refusedNaming(
    client.listTasks({ status: ["cancelled", "Completed" as "completed"] }),
    "/status/1",
    "Completed",
  );
  await refusedNaming(
    client.purgeDlq({ executorName: "t_zero", reason: "too_slow" as "timeout" }),
    "/reason",
    "too_slow",
  );

  const left = await client.listTasks({ executorName: "t_zero" });
  assert.deepEqual(
    left.tasks.map((t) => [t.id, t.status]).sort(),
    [[cancelled[0], "cancelled"], [cancelled[1], "cancelled"], [pending.id, "pending"]].sort(),
    "nothing deleted or cancelled",
  );
  // Names it knows still work.
  assert.equal(
    (await client.deleteTasks({ executorName: "t_zero", status: ["cancelled"] })).count,
    2,
  );
});

Deno.test("an unknown retry type, write concern or schedule policy is refused before it is sent", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  // deno-lint-ignore no-explicit-any
  const bad = (value: string) => value as any;
  await refusedNaming(
    client.registerExecutor("t1", { retryPolicy: { type: bad("fibonacci") } }),
    "/config/retryPolicy/type",
    "fibonacci",
  );
  await refusedNaming(
    client.registerExecutor("t1", { writeConcern: bad("always") }),
    "/config/writeConcern",
    "always",
  );
  await refusedNaming(
    client.registerExecutor("t1", { writeConcern: { level: bad("Majority") } }),
    "/config/writeConcern/level",
    "Majority",
  );
  await assert.rejects(manager.service.getExecutor("t1"), /does not exist/, "nothing sent");
  const made = await client.registerExecutor("t1", {
    retryPolicy: { type: "linear" },
    writeConcern: "majority",
  });
  assert.equal(made.retryPolicy.type, "linear");

  await refusedNaming(
    client.schedules.create("s1", {
      executorName: "t1",
      every: 60_000,
      overlapPolicy: bad("queue"),
    }),
    "/config/overlapPolicy",
    "queue",
  );
  await refusedNaming(
    client.schedules.create("s1", {
      executorName: "t1",
      every: 60_000,
      missedFirePolicy: bad("run_all"),
    }),
    "/config/missedFirePolicy",
    "run_all",
  );
  assert.deepEqual(await client.schedules.list(), [], "nothing sent");
});
