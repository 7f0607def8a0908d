/**
 * The gRPC surface of schedules, bulk operations and history: each rpc over a real Service and
 * SQLite store, answered as REST answers it, and every destructive bulk rpc refusing to run
 * without a filter unless `confirm` is set.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  jsonOfValue,
  msFromDuration,
  msFromTimestamp,
  timestampFromMs,
  valueFromJson,
  violationsFromMetadata,
} from "@tasks-executor/proto";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { emptySlot, MINUTE_MS } from "../server/domain/history.ts";
import type { GrpcStack } from "./fixtures/grpc_stack.ts";
import { rejectsWith, startGrpcStack } from "./fixtures/grpc_stack.ts";
import { nextListing } from "./fixtures/schedule_listing.ts";
import { createEmailExecutor } from "./fixtures/email_executor.ts";
import { settleReady } from "./fixtures/settle_ready.ts";
import type { Settlement } from "../server/store/store.ts";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

async function createTask(stack: GrpcStack, to: string): Promise<string> {
  const { task } = await stack.call<Msg>("CreateTask", {
    task: { executorName: "send_email", data: valueFromJson({ to }) },
  });
  return task.id;
}

/** Leases every ready task of send_email and settles it as `kind` (completed, failed or dlq). */
async function settleAll(stack: GrpcStack, kind: "completed" | "failed" | "dlq") {
  const now = Date.now();
  const error = { attempt: 1, message: "Mailbox full", at: now, workerId: "worker-1" };
  const settlement: Settlement = kind === "completed"
    ? { kind, result: null }
    : kind === "failed"
    ? { kind, error }
    : { kind, reason: "non_retryable", queueName: "dlq", error };
  const { tasks } = await settleReady(stack.store, "send_email", {
    limit: 100,
    owner: "worker-1",
    now,
    settlement,
  });
  return tasks.length;
}

/** `levels` arrays, each holding the next. */
function deeper(levels: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

const DESTRUCTIVE = ["DeleteTasks", "CancelTasks", "RetryTasks", "PurgeDlq", "RequeueDlq"];

Deno.test("every destructive bulk rpc without a filter is refused unless confirm is set, naming /confirm", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  await createTask(stack, "a");
  for (const method of DESTRUCTIVE) {
    const error = await rejectsWith(stack.call(method, {}), grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(
      violationsFromMetadata(error.metadata).map((v) => v.field),
      ["/confirm"],
      method,
    );
  }
  assert.equal((await stack.call<Msg>("ListTasks", {})).tasks[0].status, "TASK_STATUS_PENDING");
  assert.deepEqual(await stack.call("CancelTasks", { confirm: true }), {
    cancelled: 1,
    nextCursor: "",
    stopped: null,
  });
});

Deno.test("an unfiltered RequeueDlq leaves the dead letter queue alone without confirm and requeues it with confirm", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  for (const to of ["a", "b"]) await createTask(stack, to);
  assert.equal(await settleAll(stack, "dlq"), 2);
  await rejectsWith(stack.call("RequeueDlq", {}), grpc.status.INVALID_ARGUMENT);
  assert.equal((await stack.call<Msg>("ListDlq", {})).entries.length, 2);
  assert.deepEqual(await stack.call("RequeueDlq", { confirm: true }), {
    requeued: 2,
    failed: 0,
    nextCursor: "",
    stopped: null,
  });
  assert.equal((await stack.call<Msg>("ListDlq", {})).entries.length, 0);
});

Deno.test("DeleteTasks, CancelTasks and RetryTasks touch the matching tasks only and answer their counts", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  for (const to of ["a", "b"]) await createTask(stack, to);
  await settleAll(stack, "completed");
  for (const to of ["c", "d", "e"]) await createTask(stack, to);
  await settleAll(stack, "failed");
  for (const to of ["f"]) await createTask(stack, to);
  await settleAll(stack, "dlq");
  await createTask(stack, "g");

  const notFinished = await rejectsWith(
    stack.call("DeleteTasks", { executorName: "send_email", status: ["TASK_STATUS_PENDING"] }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(notFinished.details, /status/);
  assert.deepEqual(
    await stack.call("DeleteTasks", {
      executorName: "send_email",
      status: ["TASK_STATUS_COMPLETED"],
    }),
    { deleted: 2, nextCursor: "", stopped: null },
  );
  assert.deepEqual(
    await stack.call("RetryTasks", { executorName: "send_email" }),
    { retried: 4, invalid: 0, nextCursor: "", stopped: null },
    "three failed and one dead",
  );
  assert.deepEqual(
    await stack.call("CancelTasks", {
      executorName: "send_email",
      createdAfter: timestampFromMs(Date.now() + 60_000),
    }),
    { cancelled: 0, nextCursor: "", stopped: null },
  );
  assert.deepEqual(await stack.call("CancelTasks", { executorName: "send_email" }), {
    cancelled: 5,
    nextCursor: "",
    stopped: null,
  });
  assert.deepEqual(await stack.call("PurgeDlq", { executorName: "send_email" }), {
    deleted: 0,
    stopped: null,
  });
});

Deno.test("a bulk rpc over more tasks than BULK_MAX_TASKS answers a next_cursor that goes on", async () => {
  await using stack = await startGrpcStack({ limits: { ...DEFAULT_LIMITS, bulkTasks: 2 } });
  await createEmailExecutor(stack);
  for (const to of ["a", "b", "c"]) await createTask(stack, to);
  const first = await stack.call<Msg>("CancelTasks", { executorName: "send_email" });
  assert.equal(first.cancelled, 2);
  assert.notEqual(first.nextCursor, "");
  assert.deepEqual(
    await stack.call("CancelTasks", { executorName: "send_email", cursor: first.nextCursor }),
    { cancelled: 1, nextCursor: "", stopped: null },
  );
});

Deno.test("schedule rpcs create, read, change, pause, resume, trigger, preview and delete a schedule", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const config = {
    name: "nightly",
    executorName: "send_email",
    cron: "30 2 * * *",
    timezone: "Europe/Berlin",
    task: { data: valueFromJson({ to: "ops" }), metadata: { k: "v" }, priority: 3 },
    overlapPolicy: "OVERLAP_POLICY_ALLOW",
    jitter: { seconds: 30, nanos: 0 },
  };
  const { schedule } = await stack.call<Msg>("CreateSchedule", { config });
  assert.equal(schedule.name, "nightly");
  assert.equal(schedule.cron, "30 2 * * *");
  assert.equal(schedule.every, null);
  assert.equal(schedule.timezone, "Europe/Berlin");
  assert.deepEqual(jsonOfValue(schedule.task.data), { to: "ops" });
  assert.deepEqual(schedule.task.metadata, { k: "v" });
  assert.equal(schedule.task.priority, 3);
  assert.equal(schedule.overlapPolicy, "OVERLAP_POLICY_ALLOW");
  assert.equal(schedule.missedFirePolicy, "MISSED_FIRE_POLICY_RUN_ONCE");
  assert.equal(msFromDuration(schedule.jitter), 30_000);
  assert.equal(schedule.enabled, true);
  assert.equal(schedule.nextFires.length, 5);
  assert.equal(msFromTimestamp(schedule.nextFireAt), msFromTimestamp(schedule.nextFires[0]));

  await rejectsWith(stack.call("CreateSchedule", { config }), grpc.status.ALREADY_EXISTS);
  const bad = await rejectsWith(
    stack.call("CreateSchedule", {
      config: { ...config, name: "bad", cron: "", task: { data: valueFromJson({ to: 1 }) } },
    }),
    grpc.status.INVALID_ARGUMENT,
  );
  // Named where the request holds it, in `config` (it was /cron, from the config's root).
  assert.ok(violationsFromMetadata(bad.metadata).some((v) => v.field === "/config/cron"));
  // A negative duration is refused naming its field (-1 s was stored as every 23h59m59s).
  for (
    const [field, change] of [
      ["/config/every", { cron: "", every: { seconds: -1, nanos: 0 } }],
      ["/config/every", { cron: "", every: { seconds: -86_400, nanos: 0 } }],
      ["/config/jitter", { jitter: { seconds: -30, nanos: 0 } }],
      // Named as every other problem in the schedule's task data is.
      [
        `/config/task/data${"/0".repeat(DEFAULT_LIMITS.jsonDepth)}`,
        { task: { data: valueFromJson(deeper(DEFAULT_LIMITS.jsonDepth + 1)) } },
      ],
    ] as const
  ) {
    const negative = await rejectsWith(
      stack.call("CreateSchedule", { config: { ...config, name: "negative", ...change } }),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(violationsFromMetadata(negative.metadata).map((v) => v.field), [field]);
  }

  const got = await stack.call<Msg>("GetSchedule", { id: schedule.id, fires: 2 });
  assert.equal(got.schedule.nextFires.length, 2);
  assert.deepEqual(
    (await stack.call<Msg>("ListSchedules", { executorName: "send_email" })).schedules
      .map((s: Msg) => s.name),
    ["nightly"],
  );
  assert.equal((await stack.call<Msg>("ListSchedules", { executorName: "x" })).schedules.length, 0);

  const updated = await stack.call<Msg>("UpdateSchedule", {
    id: "nightly",
    config: { every: { seconds: 300, nanos: 0 } },
  });
  assert.equal(updated.schedule.cron, "");
  assert.equal(msFromDuration(updated.schedule.every), 300_000);
  assert.equal(updated.schedule.task.priority, 3, "unset fields are kept");
  assert.equal(updated.schedule.overlapPolicy, "OVERLAP_POLICY_ALLOW");

  const paused = await stack.call<Msg>("PauseSchedule", { id: "nightly" });
  assert.equal(paused.schedule.enabled, false);
  assert.equal(paused.schedule.nextFireAt, null);
  const triggered = await stack.call<Msg>("TriggerSchedule", { id: "nightly" });
  assert.equal(triggered.schedule.lastFires[0].taskId, triggered.taskId);
  assert.equal(triggered.schedule.lastFires[0].manual, true);
  assert.equal(triggered.schedule.lastFires[0].skipped, "SCHEDULE_SKIP_REASON_UNSPECIFIED");
  const { task } = await stack.call<Msg>("GetTask", { id: triggered.taskId });
  assert.deepEqual(jsonOfValue(task.data), { to: "ops" });
  assert.equal(
    (await stack.call<Msg>("ResumeSchedule", { id: "nightly" })).schedule.enabled,
    true,
  );

  const preview = await stack.call<Msg>("PreviewSchedule", {
    config: { cron: "0 0 1 1 *", timezone: "UTC" },
    count: 2,
  });
  const years = preview.nextFires.map((t: Msg) => new Date(msFromTimestamp(t)!).toISOString());
  assert.equal(years.length, 2);
  assert.ok(years.every((iso: string) => iso.endsWith("-01-01T00:00:00.000Z")), years.join());

  assert.deepEqual(await stack.call("DeleteSchedule", { id: "nightly" }), { deleted: true });
  await rejectsWith(stack.call("GetSchedule", { id: "nightly" }), grpc.status.NOT_FOUND);
});

Deno.test("GetHistory answers the stored minutes per step with totals, and refuses a bad step naming it", async () => {
  await using stack = await startGrpcStack();
  // A read of one executor's history names one that exists (a name none has is NOT_FOUND).
  await createEmailExecutor(stack);
  const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 10 * MINUTE_MS;
  const slot = emptySlot();
  slot.counts.created = 4;
  slot.counts.completed = 3;
  slot.runTimeMs[3] = 3; // three run times in (5, 10] ms
  await stack.store.history.historyAdd([{ executorName: "send_email", minute, ...slot }]);

  const answer = await stack.call<Msg>("GetHistory", {
    executorName: "send_email",
    from: timestampFromMs(minute - MINUTE_MS),
    to: timestampFromMs(minute + 2 * MINUTE_MS),
  });
  assert.equal(answer.executorName, "send_email");
  assert.equal(msFromDuration(answer.step), MINUTE_MS);
  assert.deepEqual(
    answer.points.map((p: Msg) => [msFromTimestamp(p.at)! - minute, Number(p.slot.created)]),
    [[-MINUTE_MS, 0], [0, 4], [MINUTE_MS, 0]],
  );
  assert.equal(Number(answer.totals.completed), 3);
  assert.ok(msFromDuration(answer.totals.runTimeP50)! >= 5);
  assert.equal(answer.totals.queueWaitP50, null, "nothing waited");

  const bad = await rejectsWith(
    stack.call("GetHistory", { step: { seconds: 30, nanos: 0 } }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.deepEqual(violationsFromMetadata(bad.metadata).map((v) => v.field), ["/step"]);
});

Deno.test("a Timestamp or Duration that its well-known type does not allow is refused, naming the field, and nothing is stored", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  const task = { executorName: "send_email", data: valueFromJson({ to: "a" }) };
  const overNanos = { seconds: 1, nanos: 2_000_000_000 };
  const cases: [string, Msg, string][] = [
    ["CreateTask", { task: { ...task, runAt: overNanos } }, "/task/runAt"],
    [
      "CreateTasks",
      { tasks: [task, { ...task, runAt: { seconds: 0, nanos: -1 } }] },
      "/tasks/1/runAt",
    ],
    [
      "CreateExecutor",
      { config: { name: "x", timeout: { seconds: 5, nanos: -1 } } },
      "/config/timeout",
    ],
    [
      "CreateExecutor",
      { config: { name: "x", retryPolicy: { interval: { nanos: 1_000_000_000 } } } },
      "/config/retryPolicy/interval",
    ],
    [
      "CreateExecutor",
      { config: { name: "x", rateLimit: { limit: 1, period: { seconds: 315_576_000_001 } } } },
      "/config/rateLimit/period",
    ],
    ["ListTasks", { createdAfter: { seconds: 253_402_300_800 } }, "/createdAfter"],
    [
      "DeleteTasks",
      { finishedBefore: { seconds: Math.floor(Date.now() / 1000), nanos: -5 } },
      "/finishedBefore",
    ],
    ["PurgeDlq", { deadBefore: overNanos }, "/deadBefore"],
    ["GetHistory", { step: { seconds: 60, nanos: -1 } }, "/step"],
    [
      "CreateSchedule",
      { config: { name: "s", executorName: "send_email", every: { seconds: -1, nanos: 1 } } },
      "/config/every",
    ],
    [
      "CreateSchedule",
      {
        config: {
          name: "s",
          executorName: "send_email",
          every: { seconds: 60 },
          startAt: overNanos,
        },
      },
      "/config/startAt",
    ],
  ];
  for (const [method, request, field] of cases) {
    const error = await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), [field], method);
  }
  assert.equal((await stack.call<Msg>("ListTasks", {})).tasks.length, 0);
  assert.deepEqual((await stack.call<Msg>("ListExecutors", {})).executors.map((e: Msg) => e.name), [
    "send_email",
  ]);
  assert.equal((await stack.call<Msg>("ListSchedules", {})).schedules.length, 0);
});

Deno.test("ListSchedules answers pages that fit a default client, and next_cursor walks every schedule once", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "big" } });
  await stack.call("CreateExecutor", { config: { name: "small" } });
  // 12 schedules of 400 KB of task data: 4.8 MB in all, more than one answer of a default client
  // may take (4 MiB); each page stays within 2 MiB.
  const blob = "x".repeat(400_000);
  const names: string[] = [];
  for (const [executorName, count] of [["big", 12], ["small", 5]] as const) {
    for (let i = 0; i < count; i++) {
      const name = `${executorName}${String(i).padStart(2, "0")}`;
      await stack.service.schedules.create({
        name,
        executorName,
        every: "1h",
        task: { data: executorName === "big" ? { blob } : null },
      });
      names.push(name);
    }
  }
  const seen: string[] = [];
  const sizes: number[] = [];
  let cursor = "";
  do {
    const page = await stack.call<Msg>("ListSchedules", { cursor, fires: 3 });
    assert.ok(page.schedules.length >= 1);
    assert.ok(page.schedules.every((s: Msg) => s.nextFires.length === 3));
    sizes.push(page.schedules.length);
    seen.push(...page.schedules.map((s: Msg) => s.name));
    cursor = page.nextCursor;
  } while (cursor !== "");
  assert.deepEqual(seen, names, "every schedule once, by name");
  assert.deepEqual(sizes, [5, 5, 7]);

  const first = await stack.call<Msg>("ListSchedules", { executorName: "small", limit: 2 });
  assert.deepEqual(first.schedules.map((s: Msg) => s.name), ["small00", "small01"]);
  assert.equal(first.nextCursor, "small01");
  const last = await stack.call<Msg>("ListSchedules", {
    executorName: "small",
    limit: 3,
    cursor: first.nextCursor,
  });
  assert.deepEqual(last.schedules.map((s: Msg) => s.name), ["small02", "small03", "small04"]);
  assert.equal(last.nextCursor, "", "the last page has no cursor");

  for (
    const [request, field] of [
      [{ limit: 1001 }, "/limit"],
      [{ limit: -1 }, "/limit"],
      [{ cursor: "Not a name" }, "/cursor"],
    ] as const
  ) {
    const error = await rejectsWith(
      stack.call("ListSchedules", request),
      grpc.status.INVALID_ARGUMENT,
    );
    assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), [field]);
  }
});

Deno.test("a cancelled ListSchedules stops working out fire times", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "job" } });
  // A cron that fires rarely: each of its 100 next fire times takes a search (~13 ms in all).
  const count = 300;
  for (let i = 0; i < count; i++) {
    await stack.service.schedules.create({
      name: `rare${i}`,
      executorName: "job",
      cron: "0 0 0 29 2 1",
      timezone: "Pacific/Chatham",
    });
  }
  // The listing the rpc starts, seen from the service.
  const started = nextListing(stack.service.schedules);
  const answered = Promise.withResolvers<grpc.ServiceError | null>();
  const client = stack.client as unknown as {
    ListSchedules(
      request: Msg,
      done: (error: grpc.ServiceError | null) => void,
    ): grpc.ClientUnaryCall;
  };
  const call = client.ListSchedules(
    { fires: 100, limit: 1000 },
    (error) => answered.resolve(error),
  );
  const { listing } = await started;
  call.cancel();
  assert.equal((await answered.promise)?.code, grpc.status.CANCELLED);
  const page = await listing;
  assert.ok(page.items.length < count, `${page.items.length} of ${count} worked out`);
  assert.equal(page.nextCursor, page.items[page.items.length - 1].name);
  const after = await stack.call<Msg>("ListSchedules", { cursor: page.nextCursor, limit: 1000 });
  assert.equal(page.items.length + after.schedules.length, count);
  assert.equal(after.nextCursor, "");
});
