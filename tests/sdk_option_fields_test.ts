/**
 * The option objects of the SDK's calls against a real manager: a field of the wrong type, one
 * past what its protobuf field holds, or one the call does not know is refused before anything is
 * sent, with `InvalidArgumentError` naming it by JSON pointer in the manager's words. They were
 * sent changed (`priority: "hi"` stored as 0, `1.5` as 1, `maxAttempts: "abc"` as the default 3),
 * left out (`priorty`), or failed inside the SDK with a `TypeError` naming nothing.
 */
import assert from "node:assert/strict";
import {
  Client,
  InvalidArgumentError,
  NotFoundError,
  WaitTimeoutError,
  Worker,
} from "../sdk/mod.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";

/** Asserts that `call` rejects with an `InvalidArgumentError` naming `field` with `message`. */
async function refused(
  what: string,
  call: () => Promise<unknown>,
  field: string,
  message: string | RegExp,
): Promise<void> {
  let error: unknown;
  try {
    await call();
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof InvalidArgumentError, `${what}: ${error ?? "no error"}`);
  const violation = error.violations.find((v) => v.field === field);
  assert.ok(violation, `${what}: ${JSON.stringify(error.violations)}`);
  if (typeof message === "string") assert.equal(violation.message, message, what);
  else assert.match(violation.message, message, what);
  // Joined as every refusal joins them, `field: message`.
  assert.ok(error.message.includes(`${field}: `), `${what}: ${error.message}`);
}

// deno-lint-ignore no-explicit-any
type Loose = any;

Deno.test("creates and their options refuse wrong types and unknown fields before sending", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  await client.createExecutor("e3");
  const cases: [Loose, string, string | RegExp][] = [
    [{ priority: "hi" }, "/task/priority", "Must be a number"],
    [{ priority: 1.5 }, "/task/priority", "Must be a whole number"],
    [{ priority: NaN }, "/task/priority", "Must be a number"],
    [{ priority: true }, "/task/priority", "Must be a number"],
    [{ priority: 2 ** 32 + 3 }, "/task/priority", /^Must be a whole number between -2147483648/],
    [{ metadata: { a: 1 } }, "/task/metadata/a", "Must be a string"],
    [{ metadata: "a" }, "/task/metadata", "Must be an object of strings"],
    [{ idempotencyKey: 5 }, "/task/idempotencyKey", "Must be a string"],
    [{ groupKey: { a: 1 } }, "/task/groupKey", "Must be a string"],
    [{ priorty: 5 }, "/task/priorty", "Unknown field"],
    // The task's executor and data are the call's arguments: options holding them replaced them.
    [{ executorName: "e3" }, "/task/executorName", "Unknown field"],
    [{ data: { other: true } }, "/task/data", "Unknown field"],
    [{ tracestate: 5 }, "/tracestate", "Must be a string"],
    [{ traceparent: 5 }, "/traceparent", "Must be a string"],
    [{ traceparent: "00-nothex-00-01" }, "/traceparent", /^Must be a W3C traceparent/],
  ];
  for (const [options, field, message] of cases) {
    const what = JSON.stringify(options);
    await refused(`createTask ${what}`, () => client.createTask("e2", {}, options), field, message);
    await refused(
      `createTaskAndWait ${what}`,
      () => client.createTaskAndWait("e2", {}, { timeoutMs: 5000, ...options }),
      field,
      message,
    );
  }
  await refused(
    "createTasks",
    () => client.createTasks([{ executorName: "e2", data: {}, priority: "hi" } as Loose]),
    "/tasks/0/priority",
    "Must be a number",
  );
  await refused(
    "createTasks options",
    () =>
      client.createTasksDetailed([{ executorName: "e2", data: {} }], { tracepar: "x" } as Loose),
    "/tracepar",
    "Unknown field",
  );
  // Nothing was created by any of them.
  assert.equal((await client.listTasks({ executorName: "e2" })).tasks.length, 0);
  assert.equal((await client.listTasks({ executorName: "e3" })).tasks.length, 0);
});

Deno.test("waits, filters, history and schedules refuse wrong types and unknown fields", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  const { id } = await client.createTask("e2", {});
  await refused(
    "waitForTask",
    () => client.waitForTask(id, { timeoutMs: 100, sigal: null } as Loose),
    "/sigal",
    "Unknown field",
  );
  await refused(
    "listTasks",
    () => client.listTasks({ executorNme: "e2" } as Loose),
    "/executorNme",
    "Unknown field",
  );
  await refused(
    "listTasks executorName",
    () => client.listTasks({ executorName: 5 } as Loose),
    "/executorName",
    "Must be a string",
  );
  await refused(
    "cancelTasks",
    () => client.cancelTasks({ executorName: "e2", confirm: "yes" } as Loose),
    "/confirm",
    "Must be true or false",
  );
  await refused(
    "purgeDlq",
    () => client.purgeDlq({ executorName: "e2", reasn: "timeout" } as Loose),
    "/reasn",
    "Unknown field",
  );
  await refused(
    "getHistory",
    () => client.getHistory({ stp: 60_000 } as Loose),
    "/stp",
    "Unknown field",
  );
  const schedule = (config: Loose) => () => client.schedules.create("s1", config);
  await refused(
    "schedule every",
    schedule({ executorName: "e2", every: 1.5 }),
    "/config/every",
    /^Must be a whole number of milliseconds/,
  );
  await refused(
    "schedule maxMissedFires",
    schedule({ executorName: "e2", every: 60_000, maxMissedFires: "3" }),
    "/config/maxMissedFires",
    // Judged by the manager's one rule for it, as REST words it for "3".
    "Must be a whole number from 1 to 100",
  );
  await refused(
    "schedule task priority",
    schedule({ executorName: "e2", every: 60_000, task: { priority: 0.5 } }),
    "/config/task/priority",
    "Must be a whole number",
  );
  await refused(
    "schedule unknown",
    schedule({ executorName: "e2", crn: "* * * * *" }),
    "/config/crn",
    "Unknown field",
  );
  await refused(
    "schedules.listPage",
    () => client.schedules.listPage({ cursr: "" } as Loose),
    "/cursr",
    "Unknown field",
  );
  assert.equal((await client.schedules.list()).length, 0);
  // The task still waits: the wait above was refused, not the task cancelled.
  assert.equal((await client.getTask(id)).status, "pending");
});

Deno.test("executor configurations refuse wrong types and unknown fields (registerExecutor, Worker)", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const cases: [Loose, string, string | RegExp][] = [
    [{ maxConcurrency: 1.5 }, "/config/maxConcurrency", "Must be a whole number"],
    [{ maxConcurrency: 2 ** 32 + 1 }, "/config/maxConcurrency", /^Must be a whole number between/],
    [
      { retryPolicy: { maxAttempts: "abc" } },
      "/config/retryPolicy/maxAttempts",
      "Must be a number",
    ],
    [{ retryPolicy: { multiplier: NaN } }, "/config/retryPolicy/multiplier", "Must be a number"],
    [{ retryPolicy: { maxAtempts: 3 } }, "/config/retryPolicy/maxAtempts", "Unknown field"],
    [
      { rateLimit: { limit: 1.5, period: 1000 } },
      "/config/rateLimit/limit",
      "Must be a whole number between 1 and 1000000",
    ],
    [{ dlqConfig: { enabled: "yes" } }, "/config/dlqConfig/enabled", "Must be true or false"],
    [{ enabled: 1 }, "/config/enabled", "Must be true or false"],
    [{ maxConcurency: 2 }, "/config/maxConcurency", "Unknown field"],
  ];
  for (const [config, field, message] of cases) {
    const what = JSON.stringify(config);
    await refused(
      `registerExecutor ${what}`,
      () => client.registerExecutor("e3", config),
      field,
      message,
    );
    const worker = new Worker({
      address: manager.grpcAddress,
      logger: false,
      handleSignals: false,
      executors: [{ name: "e4", handler: () => null, config }],
    });
    await refused(`Worker ${what}`, () => worker.start(), field, message);
    await worker.stop();
  }
  await assert.rejects(() => client.getExecutor("e3"), NotFoundError);
  await assert.rejects(() => client.getExecutor("e4"), NotFoundError);
});

Deno.test("a Worker's executor definition with a field it does not have is refused, naming it", () => {
  assert.throws(
    () =>
      new Worker({
        address: "127.0.0.1:1",
        logger: false,
        handleSignals: false,
        executors: [{ name: "e5", handler: () => null, concurency: 4 } as Loose],
      }),
    { name: "TypeError", message: /Executor "e5" has no field "concurency"/ },
  );
});

Deno.test("a field whose type or REST counterpart allows null takes null as not given", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  const { id } = await client.createTask("e2", {});
  // A page's nextCursor is null on the last page, and is passed on as the next call's cursor.
  const first = await client.listTasks({ executorName: "e2", cursor: null });
  assert.deepEqual(first.tasks.map((t) => t.id), [id]);
  assert.equal(first.nextCursor, null);
  assert.equal((await client.listTasks({ executorName: null } as Loose)).tasks.length, 1);
  assert.equal((await client.deleteTasks({ executorName: "e2", cursor: null })).count, 0);
  assert.equal(
    (await client.requeueDlq({ executorName: "e2", cursor: null, confirm: null } as Loose)).count,
    0,
  );
  assert.equal(
    (await client.schedules.listPage({ cursor: null, executorName: null } as Loose))
      .nextCursor,
    null,
  );
  await client.purgeDlq({ executorName: null, confirm: true } as Loose);
  await client.getHistory({ executorName: null } as Loose);
  // As REST's PUT takes them: null keeps the default (or the stored value).
  const executor = await client.registerExecutor("y", {
    enabled: null,
    maxConcurrency: null,
    maxConcurrencyPerKey: null,
    writeConcern: null,
    timeout: null,
    retryPolicy: { jitter: null, multiplier: null, maxAttempts: null },
    dlqConfig: { enabled: null, queueName: null },
  } as Loose);
  assert.equal(executor.enabled, true);
  assert.equal(executor.retryPolicy.maxAttempts, 3);
  const schedule = await client.schedules.create("s1", {
    executorName: "e2",
    cron: null,
    every: 60_000,
    timezone: null,
    task: null,
    enabled: null,
    maxMissedFires: null,
    jitter: null,
  } as Loose);
  assert.equal(schedule.every, 60_000);
  assert.equal(schedule.timezone, "UTC");
  assert.equal(schedule.enabled, true);
});

Deno.test("createTask and createTaskAndWait take idempotencyKey and groupKey null as not given", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  const task = await client.createTask("e2", {}, { idempotencyKey: null, groupKey: null });
  assert.equal(task.idempotencyKey, null);
  assert.equal(task.groupKey, null);
  // No worker: the wait ends at its timeout, after the create went through.
  await assert.rejects(
    () =>
      client.createTaskAndWait("e2", {}, {
        idempotencyKey: null,
        groupKey: null,
        timeoutMs: 200,
        onCreated: (created) => {
          assert.equal(created.idempotencyKey, null);
          assert.equal(created.groupKey, null);
        },
      }),
    WaitTimeoutError,
  );
  assert.equal((await client.listTasks({ executorName: "e2" })).tasks.length, 2);
});

Deno.test("schedules.preview takes a whole ScheduleConfig and checks only the timing it sends", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  const config = {
    executorName: "e2",
    every: 60_000,
    task: { data: { kind: "daily" } },
    enabled: false,
  };
  const fires = await client.schedules.preview(config, { count: 2 });
  assert.equal(fires.length, 2);
  assert.equal(fires[1].getTime() - fires[0].getTime(), 60_000);
  await refused(
    "preview every",
    () => client.schedules.preview({ ...config, every: 1.5 }),
    "/config/every",
    /^Must be a whole number of milliseconds/,
  );
  // A field no schedule has is refused, not left out (a misspelt timezone previewed in UTC).
  await refused(
    "preview timezon",
    () =>
      client.schedules.preview(
        { cron: "0 9 * * *", timezon: "Asia/Tokyo" } as Parameters<
          typeof client.schedules.preview
        >[0],
      ),
    "/config/timezon",
    /^Unknown field/,
  );
});

Deno.test("traceparent, tracestate and a history step take null as not given", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  // They were refused (`/traceparent: Must be a string`, `Invalid step`) where every other
  // optional field reads null as not given.
  const task = await client.createTask("e2", {}, { traceparent: null, tracestate: null });
  assert.equal(task.status, "pending");
  const [second] = await client.createTasks([{ executorName: "e2", data: {} }], {
    traceparent: null,
    tracestate: null,
  });
  assert.equal(second.status, "pending");
  const history = await client.getHistory({ executorName: "e2", step: null, from: null, to: null });
  assert.equal(history.step, 60_000);
});

Deno.test("a wait's callbacks and signal, and getTask's options, are checked before sending", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  let told = 0;
  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    [
      "createTaskAndWait onCreated",
      () => client.createTaskAndWait("e2", {}, { onCreated: 5 as Loose, timeoutMs: 500 }),
      "/onCreated",
      /^Must be a function$/,
    ],
    [
      "waitForTasks onTask",
      () => client.waitForTasks(["t1"], { onTask: "log" as Loose, timeoutMs: 500 }),
      "/onTask",
      /^Must be a function$/,
    ],
    [
      // `onTask` is `waitForTasks`' (WaitManyOptions): `waitForTask`'s one task is its answer.
      // It was taken and called, though `WaitOptions` has no such field.
      "waitForTask onTask",
      () => client.waitForTask("t1", { onTask: () => told++, timeoutMs: 500 } as Loose),
      "/onTask",
      /^Unknown field$/,
    ],
    [
      "createTaskAndWait onTask",
      () => client.createTaskAndWait("e2", {}, { onTask: () => told++, timeoutMs: 500 } as Loose),
      "/task/onTask",
      /^Unknown field$/,
    ],
    [
      "waitForTask signal",
      () => client.waitForTask("t1", { signal: true as Loose, timeoutMs: 500 }),
      "/signal",
      /^Must be an AbortSignal$/,
    ],
    [
      "createTaskAndWait signal",
      () => client.createTaskAndWait("e2", {}, { signal: "stop" as Loose, timeoutMs: 500 }),
      "/signal",
      /^Must be an AbortSignal$/,
    ],
    [
      "getTask signl",
      () => client.getTask("t1", { signl: new AbortController().signal } as Loose),
      "/signl",
      /^Unknown field$/,
    ],
    [
      "getTask signal",
      () => client.getTask("t1", { signal: 1 } as Loose),
      "/signal",
      /^Must be an AbortSignal$/,
    ],
  ];
  for (const [what, call, field, message] of cases) await refused(what, call, field, message);
  assert.equal(told, 0);
  // A bad onCreated was only found once the task was created (and then thrown from a stream
  // handler): nothing is created now.
  assert.equal((await client.listTasks({ executorName: "e2" })).tasks.length, 0);
  // null is not given.
  await assert.rejects(
    () => client.createTaskAndWait("e2", {}, { onCreated: null, signal: null, timeoutMs: 300 }),
    WaitTimeoutError,
  );
  await assert.rejects(() => client.getTask("t1", { signal: null }), NotFoundError);
});

Deno.test("a filter's status null is not given: every status", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  const { id } = await client.createTask("e2", {});
  // It was sent as the list [null] and refused (`/status/0: Must be one of pending, …`).
  const page = await client.listTasks({ executorName: "e2", status: null });
  assert.deepEqual(page.tasks.map((task) => task.id), [id]);
  assert.equal((await client.cancelTasks({ executorName: "e2", status: null })).count, 1);
  assert.equal((await client.deleteTasks({ executorName: "e2", status: null })).count, 1);
});

Deno.test("a time the SDK will not send is a RangeError naming it by JSON pointer, the task's index too", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  const bad = new Date("not a date");
  // It named `runAt` alone: which of a batch's tasks was not said.
  const cases: [string, () => Promise<unknown>, string][] = [
    ["createTask", () => client.createTask("e2", {}, { runAt: bad }), "/task/runAt"],
    [
      "createTasks",
      () =>
        client.createTasks([
          { executorName: "e2", data: {}, runAt: 0 },
          { executorName: "e2", data: {}, runAt: Number.NaN },
        ]),
      "/tasks/1/runAt",
    ],
    ["listTasks", () => client.listTasks({ createdAfter: -1 }), "/createdAfter"],
    ["purgeDlq", () => client.purgeDlq({ deadBefore: bad }), "/deadBefore"],
    ["getHistory", () => client.getHistory({ from: 1.5 }), "/from"],
  ];
  for (const [what, call, field] of cases) {
    await assert.rejects(call, {
      name: "RangeError",
      message: new RegExp(
        `^${field}: Must be a valid Date or whole epoch milliseconds from 0, not `,
      ),
    }, what);
  }
  assert.equal((await client.listTasks({ executorName: "e2" })).tasks.length, 0);
});

Deno.test("schedules.list refuses a field it does not have, though listPage has it", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  // `limit` and `cursor` were passed on to listPage and overwritten there: ignored.
  for (const field of ["limit", "cursor", "executorNam"]) {
    await refused(
      `list ${field}`,
      () => client.schedules.list({ [field]: field === "limit" ? 5 : "x" } as Loose),
      `/${field}`,
      /^Unknown field$/,
    );
  }
  assert.deepEqual(await client.schedules.list({ executorName: null } as Loose), []);
});

Deno.test("a page size or a count of fire times given as null is not given", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("e2");
  await client.createTask("e2", {});
  await client.schedules.create("s1", { executorName: "e2", every: 60_000 });
  // Each was refused ("Invalid limit: … not null", "Invalid fires: … not null").
  assert.equal((await client.listTasks({ limit: null })).tasks.length, 1);
  const page = await client.schedules.listPage({ limit: null, fires: null });
  assert.equal(page.schedules[0].nextFires.length, 5);
  assert.equal((await client.schedules.get("s1", { fires: null })).nextFires.length, 5);
  assert.equal((await client.schedules.preview({ every: 60_000 }, { count: null })).length, 5);
});
