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

Deno.test("the proto's value names are taken wherever an enum is, sent as the same value", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const made = await client.registerExecutor("t_proto", {
    retryPolicy: { type: "RETRY_POLICY_TYPE_LINEAR" },
    writeConcern: "WRITE_CONCERN_LEVEL_MAJORITY",
  });
  assert.equal(made.retryPolicy.type, "linear");
  assert.equal(made.writeConcern.level, "majority");
  const again = await client.registerExecutor("t_proto", {
    writeConcern: { level: "WRITE_CONCERN_LEVEL_UNACKNOWLEDGED" },
  });
  assert.equal(again.writeConcern.level, "unacknowledged");

  const cancelled = await client.cancelTask((await client.createTask("t_proto", {})).id);
  const pending = await client.createTask("t_proto", {});
  const listed = await client.listTasks({ executorName: "t_proto", status: "TASK_STATUS_PENDING" });
  assert.deepEqual(listed.tasks.map((t) => t.id), [pending.id]);
  const both = await client.listTasks({
    executorName: "t_proto",
    status: ["TASK_STATUS_CANCELLED", "pending"],
  });
  assert.deepEqual(both.tasks.map((t) => t.id).sort(), [cancelled.id, pending.id].sort());
  assert.equal((await client.purgeDlq({ reason: "DLQ_REASON_TIMEOUT" })).count, 0);
  assert.equal(
    (await client.deleteTasks({ executorName: "t_proto", status: ["TASK_STATUS_CANCELLED"] }))
      .count,
    1,
  );

  const schedule = await client.schedules.create("s_proto", {
    executorName: "t_proto",
    every: 60_000,
    overlapPolicy: "OVERLAP_POLICY_ALLOW",
    missedFirePolicy: "MISSED_FIRE_POLICY_RUN_EACH",
  });
  assert.equal(schedule.overlapPolicy, "allow");
  assert.equal(schedule.missedFirePolicy, "run_each");
  // Declared again in the proto's names, it is the schedule stored: no update is sent.
  const updates: unknown[] = [];
  const update = client.schedules.update.bind(client.schedules);
  client.schedules.update = (nameOrId, config) => {
    updates.push(config);
    return update(nameOrId, config);
  };
  const declared = await client.schedules.register("s_proto", {
    executorName: "t_proto",
    every: 60_000,
    overlapPolicy: "OVERLAP_POLICY_ALLOW",
    missedFirePolicy: "MISSED_FIRE_POLICY_RUN_EACH",
  });
  assert.deepEqual(updates, []);
  assert.equal(declared.updatedAt.getTime(), schedule.updatedAt.getTime());

  // Neither "not set" nor another spelling is a name: each is refused, naming both forms.
  // deno-lint-ignore no-explicit-any
  const bad = (value: string) => value as any;
  for (const name of ["TASK_STATUS_UNSPECIFIED", "task_status_pending", "STATUS_PENDING"]) {
    await assert.rejects(
      client.listTasks({ status: bad(name) }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidArgumentError, String(error));
        assert.equal(
          error.message,
          "/status/0: Must be one of pending, in_progress, completed, failed, dlq, cancelled, " +
            `or the proto's name for one (TASK_STATUS_PENDING, …), not "${name}"`,
        );
        return true;
      },
    );
  }
  await refusedNaming(
    client.purgeDlq({ reason: bad("DLQ_REASON_UNSPECIFIED") }),
    "/reason",
    "DLQ_REASON_UNSPECIFIED",
  );
});

Deno.test("an enum number, which REST reads, is refused saying the SDK takes names only", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  // deno-lint-ignore no-explicit-any
  const bad = (value: unknown) => value as any;
  const refusedNumber = async (call: Promise<unknown>, field: string, shown: string) => {
    await assert.rejects(call, (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.deepEqual(error.violations.map((v) => v.field), [field]);
      assert.ok(error.message.startsWith(`${field}: Must be one of `), error.message);
      assert.ok(
        error.message.endsWith(
          `, not ${shown} (the SDK takes an enum value by name, not by number)`,
        ),
        error.message,
      );
      return true;
    });
  };
  await refusedNumber(client.listTasks({ status: bad(3) }), "/status/0", "3");
  await refusedNumber(client.listTasks({ status: ["pending", bad("3")] }), "/status/1", '"3"');
  await refusedNumber(
    client.registerExecutor("t_number", { retryPolicy: { type: bad(2) } }),
    "/config/retryPolicy/type",
    "2",
  );
  await refusedNumber(client.purgeDlq({ reason: bad("1") }), "/reason", '"1"');
  await assert.rejects(manager.service.getExecutor("t_number"), /does not exist/, "nothing sent");
  // A name that is not a number is not told about numbers.
  await assert.rejects(
    client.listTasks({ status: bad("done") }),
    (error: unknown) => !String((error as Error).message).includes("number"),
  );
});
