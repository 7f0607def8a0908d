/**
 * The SDK's schedules, bulk operations and history against a real manager: `client.schedules`,
 * schedules declared next to a handler in a `Worker`, `deleteTasks` / `cancelTasks` /
 * `retryTasks` / `purgeDlq` / `requeueDlq` with their counts, and `getHistory`.
 */
import assert from "node:assert/strict";
import {
  Client,
  ConflictError,
  type ExecutorDefinition,
  InvalidArgumentError,
  NonRetryableError,
  NotFoundError,
} from "../sdk/mod.ts";
import { emptySlot, MINUTE_MS } from "../server/domain/history.ts";
import { startTestManager } from "./_manager.ts";
import { rest } from "./fixtures/rest.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { quietWorker } from "./fixtures/quiet_worker.ts";

const SCHEMA = { type: "object", required: ["kind"], properties: { kind: { type: "string" } } };

Deno.test("client.schedules creates, lists, reads, changes, pauses, resumes, triggers, previews and deletes a schedule", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("send_report", { taskSchema: SCHEMA });

  const created = await client.schedules.create("nightly", {
    executorName: "send_report",
    cron: "30 2 * * *",
    timezone: "Europe/Berlin",
    task: { data: { kind: "daily" }, metadata: { team: "ops" }, priority: 2 },
    missedFirePolicy: "run_each",
    jitter: 5000,
  });
  assert.equal(created.name, "nightly");
  assert.equal(created.cron, "30 2 * * *");
  assert.equal(created.every, null);
  assert.deepEqual(created.task, {
    data: { kind: "daily" },
    metadata: { team: "ops" },
    priority: 2,
  });
  assert.equal(created.missedFirePolicy, "run_each");
  assert.equal(created.overlapPolicy, "skip");
  assert.equal(created.jitter, 5000);
  assert.equal(created.nextFires.length, 5);
  assert.ok(created.nextFireAt instanceof Date);

  await assert.rejects(
    client.schedules.create("nightly", {
      executorName: "send_report",
      every: 60_000,
      task: { data: { kind: "x" } },
    }),
    ConflictError,
  );
  await assert.rejects(
    client.schedules.create("bad", {
      executorName: "send_report",
      every: 60_000,
      task: { data: { kind: 1 } },
    }),
    (error: unknown) =>
      error instanceof InvalidArgumentError &&
      error.violations.some((v) => v.field.startsWith("/config/task/data/")),
  );

  assert.deepEqual((await client.schedules.list()).map((s) => s.name), ["nightly"]);
  assert.equal((await client.schedules.get("nightly", { fires: 2 })).nextFires.length, 2);

  const changed = await client.schedules.update("nightly", {
    every: 3_600_000,
    endAt: Date.now() + 86_400_000,
  });
  assert.equal(changed.cron, null);
  assert.equal(changed.every, 3_600_000);
  assert.ok(changed.endAt instanceof Date);
  assert.equal(changed.task.priority, 2, "fields left out are kept");
  const cleared = await client.schedules.update("nightly", { endAt: null });
  assert.equal(cleared.endAt, null, "null clears a time");

  const paused = await client.schedules.pause("nightly");
  assert.equal(paused.enabled, false);
  assert.equal(paused.nextFireAt, null);
  const { schedule, taskId } = await client.schedules.trigger("nightly");
  assert.equal(schedule.lastFires[0].taskId, taskId);
  assert.equal(schedule.lastFires[0].manual, true);
  assert.equal(schedule.lastFires[0].skipped, null);
  assert.deepEqual((await client.getTask(taskId)).data, { kind: "daily" });
  assert.equal((await client.schedules.resume("nightly")).enabled, true);

  const fires = await client.schedules.preview({ cron: "0 12 * * *", timezone: "UTC" }, {
    count: 3,
  });
  assert.equal(fires.length, 3);
  assert.ok(fires.every((date) => date.getUTCHours() === 12 && date.getUTCMinutes() === 0));
  assert.equal((await client.schedules.preview({ cron: "0 12 * * *" })).length, 5);
  // A count of 0 is refused as REST refuses it (it was sent as "not given" and answered 5 fires),
  // and so are a negative one and a fraction; past the manager's 100 the manager refuses it.
  for (const count of [0, -1, 2.5]) {
    const error = await client.schedules.preview({ cron: "0 12 * * *" }, { count })
      .catch((e) => e);
    assert.ok(error instanceof InvalidArgumentError, `${count}: ${error}`);
    assert.match(error.message, /^Invalid fire times: \/count: Must be a whole number from 1/);
    assert.deepEqual(error.violations.map((v: { field: string }) => v.field), ["/count"]);
  }
  const tooMany = await client.schedules.preview({ cron: "0 12 * * *" }, { count: 100_000 })
    .catch((e) => e);
  assert.ok(tooMany instanceof InvalidArgumentError, String(tooMany));
  // So are fires of 0 when reading schedules.
  for (
    const read of [
      () => client.schedules.get("nightly", { fires: 0 }),
      () => client.schedules.listPage({ fires: 0 }),
    ]
  ) {
    const error = await read().catch((e) => e);
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.deepEqual(error.violations.map((v: { field: string }) => v.field), ["/fires"]);
  }

  await client.schedules.delete("nightly");
  await assert.rejects(client.schedules.get("nightly"), NotFoundError);
});

Deno.test("a page limit that is not a whole number from 1 to 1000, 0 above all, is refused by every list call naming /limit, as REST refuses limit=0", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("send_report");
  await client.schedules.create("nightly", { executorName: "send_report", every: 60_000 });
  await client.createTask("send_report", null);
  // REST's words for the same mistake: `limit`, a whole number from 1 to 1000.
  const said = [];
  for (const path of ["/tasks?limit=0", "/schedules?limit=0"]) {
    const answer = await rest(manager, "GET", path);
    assert.equal(answer.status, 400, `${path}: ${JSON.stringify(answer.body)}`);
    said.push(...answer.body.errors);
  }
  assert.deepEqual(said.map((v) => v.field), ["limit", "limit"]);
  // The SDK sent 0 as "not given", which the manager answered with its default page of 50.
  // The title is the manager's answer's to that list (ListTasks, ListSchedules).
  const lists: [string, string, (limit: number) => Promise<unknown>][] = [
    ["listTasks", "Invalid task filter", (limit) => client.listTasks({ limit })],
    [
      "schedules.listPage",
      "Invalid schedule filter",
      (limit) => client.schedules.listPage({ limit }),
    ],
  ];
  for (const [name, title, list] of lists) {
    for (const limit of [0, -1, 2.5, 1001, 2 ** 32 + 1]) {
      const error = await list(limit).catch((e) => e);
      assert.ok(error instanceof InvalidArgumentError, `${name}(${limit}): ${error}`);
      // In the manager's gRPC words: the field's pointer in the request.
      assert.deepEqual(error.violations, [{ ...said[0], field: "/limit" }], `${name}(${limit})`);
      assert.equal(error.message, `${title}: /limit: Must be a whole number from 1 to 1000`);
    }
    assert.ok(await list(1), `${name}(1)`);
    assert.ok(await list(1000), `${name}(1000)`);
  }
});

Deno.test("a Worker creates the schedules declared next to its handler; a second worker's different declaration of that name wins; a pause made elsewhere survives", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const declare = (cron: string): ExecutorDefinition<never, unknown> => ({
    name: "send_report",
    config: { taskSchema: SCHEMA },
    schedules: [{ name: "report", cron, task: { data: { kind: cron } } }],
    handler: () => null,
  });

  await using first = quietWorker(manager.grpcAddress, [declare("0 6 * * *")]);
  await first.start();
  const made = await client.schedules.get("report");
  assert.equal(made.executorName, "send_report");
  assert.equal(made.cron, "0 6 * * *");
  assert.deepEqual(made.task.data, { kind: "0 6 * * *" });

  await client.schedules.pause("report");
  await using second = quietWorker(manager.grpcAddress, [declare("0 7 * * *")]);
  await second.start();
  const taken = await client.schedules.get("report");
  assert.equal(taken.id, made.id);
  assert.equal(taken.cron, "0 7 * * *", "the later registration wins");
  assert.deepEqual(taken.task.data, { kind: "0 7 * * *" });
  assert.equal(taken.enabled, false, "the declaration does not set enabled: the pause stays");
});

Deno.test("a Worker declaring a cron with other whitespace between its fields than the stored one's leaves the schedule as it is", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const declare = (): ExecutorDefinition<never, unknown> => ({
    name: "send_report",
    schedules: [{ name: "report", cron: " 0  6\t* * * " }],
    handler: () => null,
  });
  await using first = quietWorker(manager.grpcAddress, [declare()]);
  await first.start();
  const made = await client.schedules.get("report");
  assert.equal(made.cron, "0 6 * * *");
  await using second = quietWorker(manager.grpcAddress, [declare()]);
  await second.start();
  const again = await client.schedules.get("report");
  assert.equal(
    again.updatedAt.getTime(),
    made.updatedAt.getTime(),
    "the same declaration is no change: not written again (a timing change counts its next fire from now)",
  );
});

Deno.test("a Worker declaring a schedule's time zone in another case or by an alias than the stored name leaves the schedule as it is", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const declare = (timezone: string): ExecutorDefinition<never, unknown> => ({
    name: "send_report",
    schedules: [{ name: "report", cron: "0 6 * * *", timezone }],
    handler: () => null,
  });
  await using first = quietWorker(manager.grpcAddress, [declare("europe/paris")]);
  await first.start();
  const made = await client.schedules.get("report");
  assert.equal(made.timezone, "Europe/Paris");
  for (const timezone of ["europe/paris", "EUROPE/PARIS", "Europe/Paris"]) {
    await using again = quietWorker(manager.grpcAddress, [declare(timezone)]);
    await again.start();
    const after = await client.schedules.get("report");
    assert.equal(after.updatedAt.getTime(), made.updatedAt.getTime(), `${timezone}: not written`);
  }
  await client.schedules.create("eastern", {
    executorName: "send_report",
    cron: "0 6 * * *",
    timezone: "America/New_York",
  });
  const stored = await client.schedules.get("eastern");
  const declared = await client.schedules.register("eastern", {
    executorName: "send_report",
    cron: "0 6 * * *",
    timezone: "US/Eastern",
  });
  assert.equal(declared.updatedAt.getTime(), stored.updatedAt.getTime(), "an alias: not written");
  // The epoch is none, as stored: no change to write.
  const unbounded = await client.schedules.register("eastern", {
    executorName: "send_report",
    cron: "0 6 * * *",
    startAt: 0,
    endAt: new Date(0),
  });
  assert.equal(unbounded.updatedAt.getTime(), stored.updatedAt.getTime(), "the epoch: not written");
  // A zero offset is kept as UTC: declared so, a schedule in UTC is no change.
  const inUtc = await client.schedules.create("utc", {
    executorName: "send_report",
    every: 60_000,
  });
  assert.equal(inUtc.timezone, "UTC");
  for (const timezone of ["+00:00", "-00:00", "-0000"]) {
    const again = await client.schedules.register("utc", {
      executorName: "send_report",
      every: 60_000,
      timezone,
    });
    assert.equal(again.updatedAt.getTime(), inUtc.updatedAt.getTime(), `${timezone}: not written`);
  }
});

Deno.test("a Worker declaring a schedule that has ended (its endAt past) starts, and leaves the schedule as it is", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const endAt = new Date(Date.now() + 2500);
  const declare = (): ExecutorDefinition<never, unknown> => ({
    name: "send_offer",
    schedules: [{ name: "offer", every: 1000, endAt }],
    handler: () => null,
  });
  await using first = quietWorker(manager.grpcAddress, [declare()]);
  await first.start();
  const made = await client.schedules.get("offer");
  while (Date.now() <= endAt.getTime()) await new Promise((r) => setTimeout(r, 100));
  // A create of it now is refused ("Never fires from now on"): the one stored is the answer.
  await using second = quietWorker(manager.grpcAddress, [declare()]);
  await second.start();
  const again = await client.schedules.get("offer");
  assert.equal(again.updatedAt.getTime(), made.updatedAt.getTime());
});

Deno.test("a Worker declaring a schedule whose name belongs to another executor does not start", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("other");
  await client.schedules.create("report", { executorName: "other", every: 60_000 });
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "send_report",
    schedules: [{ name: "report", every: 60_000 }],
    handler: () => null,
  }]);
  await assert.rejects(
    worker.start(),
    (error: unknown) =>
      error instanceof ConflictError && /exists for executor "other"/.test(error.message),
  );
  assert.equal((await client.schedules.get("report")).executorName, "other");
});

Deno.test("bulk calls answer their counts, go on by cursor, and refuse an unfiltered call without confirm", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("later");
  await client.registerExecutor("doomed", { dlqConfig: { enabled: true } });
  await client.registerExecutor("broken", { dlqConfig: { enabled: false } });
  const runAt = Date.now() + 3_600_000;
  await client.createTasks(
    [1, 2, 3].map((n) => ({ executorName: "later", data: { n }, runAt })),
  );

  for (const call of [client.deleteTasks({}), client.cancelTasks({}), client.retryTasks({})]) {
    await assert.rejects(
      call,
      (error: unknown) =>
        error instanceof InvalidArgumentError && error.violations[0]?.field === "/confirm",
    );
  }
  await assert.rejects(client.purgeDlq({}), InvalidArgumentError);
  await assert.rejects(client.requeueDlq({}), InvalidArgumentError);

  assert.deepEqual(await client.cancelTasks({ executorName: "later" }), {
    count: 3,
    invalid: 0,
    nextCursor: null,
    stopped: null,
  });
  assert.deepEqual(
    await client.deleteTasks({ executorName: "later", status: "cancelled" }),
    { count: 3, invalid: 0, nextCursor: null, stopped: null },
  );

  await using worker = quietWorker(manager.grpcAddress, [
    { name: "doomed", handler: () => Promise.reject(new NonRetryableError("No")) },
    { name: "broken", handler: () => Promise.reject(new NonRetryableError("No")) },
  ]);
  await worker.start();
  const dead = await client.createTask("doomed", {});
  const failed = await client.createTask("broken", {});
  await client.waitForTasks([dead.id, failed.id], { timeoutMs: 20_000 });
  await worker.stop();

  assert.deepEqual(await client.retryTasks({ executorName: "broken" }), {
    count: 1,
    invalid: 0,
    nextCursor: null,
    stopped: null,
  });
  assert.equal((await client.getTask(failed.id)).status, "pending");
  assert.deepEqual(await client.requeueDlq({ executorName: "doomed" }), {
    count: 1,
    invalid: 0,
    nextCursor: null,
    stopped: null,
  });
  assert.equal((await client.getTask(dead.id)).status, "pending");
  assert.deepEqual(await client.purgeDlq({ confirm: true }), { count: 0, stopped: null });
});

Deno.test("getHistory answers the stored minutes, summed per step, with their percentiles", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  // A read of one executor's history names one that exists (a name none has is NOT_FOUND).
  await client.createExecutor("a");
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
  const slot = emptySlot();
  slot.counts.created = 5;
  slot.counts.deadLettered = 1;
  slot.queueWaitMs[0] = 5;
  await manager.service.store.history.historyAdd([
    { executorName: "a", minute: hour + MINUTE_MS, ...slot },
    { executorName: "a", minute: hour + 2 * MINUTE_MS, ...slot },
    { executorName: "b", minute: hour + 2 * MINUTE_MS, ...slot },
  ]);
  const history = await client.getHistory({
    executorName: "a",
    from: hour,
    to: hour + 3_600_000,
    step: 30 * MINUTE_MS,
  });
  assert.equal(history.executorName, "a");
  assert.equal(history.step, 30 * MINUTE_MS);
  assert.deepEqual(history.points.map((p) => [p.at.getTime() - hour, p.created]), [
    [0, 10],
    [30 * MINUTE_MS, 0],
  ]);
  assert.equal(history.totals.deadLettered, 2);
  assert.equal(typeof history.totals.queueWaitP50, "number");
  assert.equal(history.totals.runTimeP50, null);
  const all = await client.getHistory({ from: hour, to: hour + 3_600_000, step: 3_600_000 });
  assert.equal(all.executorName, null);
  assert.equal(all.totals.created, 15);
  assert.deepEqual(all.series, []);
  // Several executors in one call: each apart, in the order named, and their sum.
  await client.createExecutor("b");
  const each = await client.getHistory({
    executorNames: ["b", "a"],
    from: hour,
    to: hour + 3_600_000,
    step: 3_600_000,
  });
  assert.deepEqual(each.series.map((s) => [s.executorName, s.totals.created]), [["b", 5], [
    "a",
    10,
  ]]);
  assert.deepEqual(each.series.map((s) => s.points.map((p) => p.created)), [[5], [10]]);
  assert.equal(each.totals.created, 15);
  await assert.rejects(client.getHistory({ step: 1000 }), InvalidArgumentError);
  // A step that is no positive whole number of ms is refused as such, before it is sent: -5 went
  // out as a Duration the manager refused with "nanos must have the sign of seconds".
  for (const step of [-5, -60_000, 0, 1.5, NaN]) {
    const error = await client.getHistory({ step }).catch((e) => e);
    assert.ok(error instanceof InvalidArgumentError, `${step}: ${error}`);
    assert.match(error.message, /\/step: must be a positive whole number of ms/, String(step));
    assert.deepEqual(error.violations.map((v: { field: string }) => v.field), ["/step"]);
  }
});

Deno.test("a schema or schedule data the manager would not keep exactly is refused before it is sent, naming the spot, and nothing is stored", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const deep = (levels: number) => {
    let value: unknown = 1;
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  };
  // Field and wording as the manager's own refusal of the same value.
  const refused = (field: string) => (error: unknown) =>
    error instanceof InvalidArgumentError &&
    error.violations.length === 1 && error.violations[0].field === field &&
    (error.message.startsWith(`Invalid JSON Schema: ${field}: `) ||
      error.message.startsWith(`Invalid schedule: ${field}: `));
  // A lone surrogate went out as U+FFFD before, and was stored so.
  await assert.rejects(
    client.registerExecutor("s", { taskSchema: { type: "object", description: "a\uD800b" } }),
    refused("/config/taskSchema/description"),
  );
  // Nesting past jsonDepth; 5,000 levels ran the encoder out of stack.
  await assert.rejects(
    client.registerExecutor("s", { taskSchema: { enum: [deep(5000)] } }),
    refused(
      "/config/taskSchema/enum/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0",
    ),
  );
  await assert.rejects(client.getExecutor("s"), NotFoundError);
  await client.registerExecutor("n");
  await assert.rejects(
    client.schedules.create("a", {
      executorName: "n",
      every: 3_600_000,
      task: { data: { k: "x\uDC00" } },
    }),
    refused("/config/task/data/k"),
  );
  await assert.rejects(
    client.schedules.create("a", {
      executorName: "n",
      every: 3_600_000,
      task: { data: { k: 1e300 } },
    }),
    refused("/config/task/data/k"),
  );
  await assert.rejects(client.schedules.get("a"), NotFoundError);
});
