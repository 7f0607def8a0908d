/**
 * The operator command line (`main.ts executors|tasks|schedules|dlq|workers|stats …`) run as a
 * real process against a real manager: tables for people, `--json` for scripts, exit codes 0, 1
 * and 2.
 */
import assert from "node:assert/strict";
import { Block, details, table, time, visible, visibleLines } from "../cli/format.ts";
import { newToken } from "../server/auth/token.ts";
import { UnavailableError } from "../server/domain/errors.ts";
import { RUN_AGAIN_FROM } from "../server/domain/task.ts";
import { startTestManager, type TestManager } from "./_manager.ts";
import { type Finished, runToEnd } from "./fixtures/process.ts";
import { restOk } from "./fixtures/rest.ts";
import { spawnDenoWorker } from "./fixtures/sdk_process.ts";
import { TestWorker } from "./fixtures/test_worker.ts";
import { settleReady } from "./fixtures/settle_ready.ts";

/** Runs `main.ts <args>` against `manager` (no key unless `env` gives one). */
function cli(manager: TestManager | null, args: string[], env: Record<string, string> = {}) {
  return runToEnd(Deno.execPath(), ["run", "-A", "main.ts", ...args], {
    MANAGER_URL: manager?.httpUrl ?? "http://127.0.0.1:9",
    TASKS_EXECUTOR_API_KEY: "",
    ...env,
  });
}

function describe(run: Finished): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

/** Runs a command that must succeed; gives its stdout. */
async function ok(manager: TestManager, args: string[], env?: Record<string, string>) {
  const run = await cli(manager, args, env);
  assert.equal(run.code, 0, describe(run));
  return run.stdout;
}

/** Runs a `--json` command that must succeed; gives its output parsed. */
// deno-lint-ignore no-explicit-any
async function json(manager: TestManager, args: string[]): Promise<any> {
  return JSON.parse(await ok(manager, [...args, "--json"]));
}

async function tempFile(text: string): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(path, text);
  return path;
}

Deno.test("executors: create, list, get, pause, resume, update and delete through the command line", async () => {
  await using manager = await startTestManager();
  const created = await ok(manager, ["executors", "create", "send_email"]);
  assert.match(created, /^Created executor send_email$/m);

  const table = await ok(manager, ["executors", "list"]);
  assert.match(table.split("\n")[0], /^NAME\s+STATE\s+RETRY/);
  assert.match(table, /^send_email\s+active\s+/m);

  const paused = await ok(manager, ["executors", "pause", "send_email"]);
  assert.match(paused, /^Paused executor send_email/);
  assert.equal((await restOk(manager, "GET", "/executors/send_email")).executor.enabled, false);
  assert.match(await ok(manager, ["executors", "list"]), /^send_email\s+paused\s+/m);
  await ok(manager, ["executors", "resume", "send_email"]);
  assert.equal((await json(manager, ["executors", "get", "send_email"])).executor.enabled, true);

  const file = await tempFile(JSON.stringify({ timeout: 5000, maxConcurrency: 4 }));
  const updated = await json(manager, ["executors", "update", "send_email", "-f", file]);
  assert.deepEqual([updated.executor.timeout, updated.executor.maxConcurrency], [5000, 4]);
  const details = await ok(manager, ["executors", "get", "send_email"]);
  assert.match(details, /^Timeout:\s+5s$/m);
  assert.match(details, /^Retry policy:\s+exponential, .*, ×2, jitter/m);
  // The multiplier is shown only where it counts.
  const linear = await tempFile(JSON.stringify({ retryPolicy: { type: "linear" } }));
  await ok(manager, ["executors", "update", "send_email", "-f", linear]);
  const linearDetails = await ok(manager, ["executors", "get", "send_email"]);
  assert.match(linearDetails, /^Retry policy:\s+linear, /m);
  assert.doesNotMatch(linearDetails, /×/);
  await Deno.remove(linear);
  assert.match(details, /^Max concurrency:\s+4$/m);

  assert.deepEqual(await json(manager, ["executors", "delete", "send_email"]), { deleted: 1 });
  assert.deepEqual((await json(manager, ["executors", "list"])).executors, []);
  await Deno.remove(file);
});

Deno.test("executors create -f sends an original-format config file as it is and the manager reads it", async () => {
  await using manager = await startTestManager();
  const file = await tempFile(JSON.stringify({
    name: "example_processor",
    enabled: true,
    write_concern: { level: 2 },
    retry_policy: { type: 1, max_attempts: 3, interval: { seconds: 3, nanos: 0 } },
    dlq_config: { enabled: false, queue_name: "" },
  }));
  const { executor } = await json(manager, ["executors", "create", "-f", file]);
  assert.equal(executor.name, "example_processor");
  assert.equal(executor.writeConcern.level, "majority");
  assert.deepEqual(
    [executor.retryPolicy.type, executor.retryPolicy.maxAttempts, executor.retryPolicy.interval],
    ["constant", 3, 3000],
  );
  assert.equal(executor.dlqConfig.enabled, false);
  await Deno.remove(file);
});

Deno.test("tasks: create, list, get and cancel through the command line", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", {
    name: "paused_one",
    enabled: false,
    taskSchema: { type: "object", required: ["to"] },
  });
  const created = await json(manager, [
    "tasks",
    "create",
    "paused_one",
    "--data",
    '{"to":"ada@example.com"}',
    "--priority",
    "7",
    "--metadata",
    "tenant=acme",
  ]);
  const id = created.task.id;
  assert.deepEqual(
    [created.task.data, created.task.priority, created.task.metadata],
    [{ to: "ada@example.com" }, 7, { tenant: "acme" }],
  );
  const dataFile = await tempFile('{"to":"bob@example.com"}');
  const human = await ok(manager, ["tasks", "create", "paused_one", "--data-file", dataFile]);
  assert.match(human.trim(), /^Created task \S+ \(pending\)$/);

  const listed = await json(manager, ["tasks", "list", "--executor", "paused_one", "--limit", "1"]);
  assert.equal(listed.tasks.length, 1);
  assert.equal(typeof listed.nextCursor, "string");
  const table = await ok(manager, ["tasks", "list", "--status", "pending"]);
  assert.match(table.split("\n")[0], /^ID\s+EXECUTOR\s+STATUS/);
  assert.match(table, new RegExp(`^${id}\\s+paused_one\\s+pending\\s+0/3\\s+7\\s`, "m"));
  const paged = await ok(manager, ["tasks", "list", "--limit", "1"]);
  assert.match(paged, /\n\nMore: add --cursor \S+\n$/);

  const details = await ok(manager, ["tasks", "get", id]);
  assert.match(details, new RegExp(`^Id:\\s+${id}$`, "m"));
  assert.match(details, /^Metadata:\s+tenant=acme$/m);
  assert.match(details, /"to": "ada@example.com"/);

  assert.match(await ok(manager, ["tasks", "cancel", id]), new RegExp(`^Cancelled task ${id}`));
  assert.equal((await json(manager, ["tasks", "get", id])).task.status, "cancelled");
  await Deno.remove(dataFile);
});

Deno.test("tasks list --finished-after and --finished-before list the tasks that ended in that time", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "ends", enabled: false });
  const { tasks } = await restOk(manager, "POST", "/tasks/batch", {
    tasks: Array.from({ length: 4 }, () => ({ executorName: "ends" })),
  });
  const ids: string[] = tasks.map((t: { id: string }) => t.id);
  const t0 = Date.parse("2030-01-01T00:00:00Z");
  // Three end a minute apart; the fourth never ends.
  for (const [i, id] of ids.slice(0, 3).entries()) {
    await manager.store.taskTransition(id, {
      from: "pending",
      to: "cancelled",
      now: t0 + i * 60_000,
    });
  }
  const listed = async (...args: string[]) =>
    (await json(manager, ["tasks", "list", "--executor", "ends", ...args])).tasks
      .map((t: { id: string }) => t.id).sort();
  assert.deepEqual(
    await listed("--finished-after", "2030-01-01T00:01:00Z"),
    [ids[1], ids[2]].sort(),
  );
  assert.deepEqual(
    await listed("--finished-before", "2030-01-01T00:02:00Z"),
    [ids[0], ids[1]].sort(),
  );
  assert.deepEqual(
    await listed(
      "--finished-after",
      "2030-01-01T00:01:00Z",
      "--finished-before",
      "2030-01-01T00:02:00Z",
    ),
    [ids[1]],
  );
  const refused = await cli(manager, ["tasks", "list", "--finished-after", "yesterday"]);
  assert.equal(refused.code, 2, describe(refused));
  assert.match(refused.stderr, /^--finished-after must be an RFC 3339 time/);
});

Deno.test("schedules: create from a file, list, get, pause, resume, trigger, preview and delete through the command line", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "report", enabled: false });
  // Hourly, counted from its creation: no fire comes during the test but the one by hand.
  const file = await tempFile(JSON.stringify({
    name: "hourly-report",
    executorName: "report",
    every: "1h",
    task: { data: { kind: "hourly" }, priority: 5 },
  }));
  const created = await ok(manager, ["schedules", "create", "-f", file]);
  assert.match(created, /^Created schedule hourly-report$/m);
  assert.match(created, /^When:\s+every 1h$/m);

  const table = await ok(manager, ["schedules", "list"]);
  assert.match(table.split("\n")[0], /^NAME\s+EXECUTOR\s+STATE\s+WHEN\s+NEXT FIRE\s+LAST FIRE$/);
  assert.match(table, /^hourly-report\s+report\s+active\s+every 1h\s+\d{4}-\d\d-\d\d \S+\s+-$/m);

  assert.match(
    await ok(manager, ["schedules", "pause", "hourly-report"]),
    /^Paused schedule hourly-report/,
  );
  assert.equal((await restOk(manager, "GET", "/schedules/hourly-report")).schedule.enabled, false);
  assert.match(await ok(manager, ["schedules", "list"]), /^hourly-report\s+report\s+paused\s/m);
  const resumed = await json(manager, ["schedules", "resume", "hourly-report"]);
  assert.equal(resumed.schedule.enabled, true);

  const triggered = await ok(manager, ["schedules", "trigger", "hourly-report"]);
  const taskId = /^Triggered schedule hourly-report: task (\S+)$/m.exec(triggered)?.[1];
  assert.ok(taskId, triggered);
  const { task } = await restOk(manager, "GET", `/tasks/${taskId}`);
  assert.deepEqual([task.executorName, task.data, task.priority], [
    "report",
    { kind: "hourly" },
    5,
  ]);
  const shown = await ok(manager, ["schedules", "get", "hourly-report", "--fires", "2"]);
  assert.match(shown, new RegExp(`^\\s+\\S+ \\S+\\s+\\S+ \\S+\\s+task ${taskId}, by hand$`, "m"));
  assert.equal(
    (await json(manager, ["schedules", "get", "hourly-report", "--fires", "2"])).schedule.nextFires
      .length,
    2,
  );

  const preview = await json(manager, [
    "schedules",
    "preview",
    "--cron",
    "0 9 * * *",
    "--timezone",
    "Europe/Berlin",
    "--count",
    "3",
  ]);
  assert.equal(preview.nextFires.length, 3);
  for (const at of preview.nextFires) assert.equal(new Date(at).getUTCMinutes(), 0);
  // TIME 0 is none, as the manager reads the number 0: "0" ended the fires in 1970 (none left)
  // and, as a start, lined intervals up on the epoch.
  const before = Date.now();
  const unbounded = await json(manager, [
    "schedules",
    "preview",
    "--every",
    "7m",
    "--start-at",
    "0",
    "--end-at",
    "0",
    "--count",
    "2",
  ]);
  assert.equal(unbounded.nextFires.length, 2);
  const first = Date.parse(unbounded.nextFires[0]) - 7 * 60_000;
  assert.ok(first >= before && first <= Date.now(), "counted from now");

  assert.deepEqual(await json(manager, ["schedules", "delete", "hourly-report"]), { deleted: 1 });
  assert.deepEqual((await json(manager, ["schedules", "list"])).schedules, []);
  assert.equal(
    (await restOk(manager, "GET", `/tasks/${taskId}`)).task.id,
    taskId,
    "its task stays",
  );

  const missing = await cli(manager, ["schedules", "trigger", "hourly-report"]);
  assert.deepEqual([missing.code, missing.stderr.trim()], [
    1,
    'Schedule "hourly-report" does not exist',
  ]);
  const bad = await tempFile(
    JSON.stringify({ name: "bad", executorName: "report", cron: "61 * * * *" }),
  );
  const refused = await cli(manager, ["schedules", "create", "-f", bad]);
  assert.equal(refused.code, 1, describe(refused));
  assert.match(refused.stderr, /\/cron/);
  assert.deepEqual((await restOk(manager, "GET", "/schedules")).schedules, []);
  await Deno.remove(file);
  await Deno.remove(bad);
});

/** Leases every ready task of `executorName` and fails it for good (the DLQ off), as the engine would. */
async function failAll(manager: TestManager, executorName: string): Promise<number> {
  const now = Date.now();
  const error = { attempt: 1, message: "Mailbox full", at: now, workerId: "worker-1" };
  const { tasks } = await settleReady(manager.service.store, executorName, {
    limit: 100,
    owner: "worker-1",
    now,
    settlement: { kind: "failed", error },
  });
  return tasks.length;
}

Deno.test("tasks cancel, delete and retry by filter follow nextCursor to the end and print the counts; without a filter they need --confirm", async () => {
  // Two tasks per call: five tasks take three calls.
  await using manager = await startTestManager({ env: { BULK_MAX_TASKS: "2" } });
  assert.equal(manager.service.limits.bulkTasks, 2);
  await restOk(manager, "POST", "/executors", { name: "later", dlqConfig: { enabled: false } });
  const runAt = new Date(Date.now() + 3_600_000).toISOString();
  await restOk(manager, "POST", "/tasks/batch", {
    tasks: [1, 2, 3, 4, 5].map((n) => ({ executorName: "later", data: { n }, runAt })),
  });

  // A missing --confirm is the command written wrong, exit 2 with the help, in every command
  // that needs it, as dlq purge's always was: the tasks commands once sent the call and exited 1
  // with the manager's refusal. An empty filter is none, as the manager reads it.
  for (
    const args of [
      ["tasks", "cancel", "--status", "pending"],
      ["tasks", "cancel", "--status", "pending", "--executor", ""],
      ["tasks", "delete", "--status", "completed"],
      ["tasks", "retry", "--status", "failed"],
      ["dlq", "purge", "--executor", "later"],
    ]
  ) {
    const refused = await cli(manager, args);
    assert.equal(refused.code, 2, `${args.join(" ")}: ${describe(refused)}`);
    assert.match(
      refused.stderr,
      /^[^\n]*: add --confirm\b[^\n]*\n\nUsage: tasks-executor /,
      args.join(" "),
    );
    assert.equal(refused.stdout, "", args.join(" "));
  }
  assert.match(
    (await cli(manager, ["tasks", "delete", "--status", "completed"])).stderr,
    /^tasks delete with no filter but --status acts on every finished task: add --confirm \(or filter by --executor, --created-after, --created-before, --finished-after, --finished-before\)\n/,
  );
  const listed = await restOk(manager, "GET", "/tasks?status=pending");
  assert.equal(listed.tasks.length, 5, "nothing was cancelled");

  assert.match(
    await ok(manager, ["tasks", "cancel", "--executor", "later"]),
    /^Cancelled 5 tasks$/m,
  );
  assert.deepEqual(
    await json(manager, ["tasks", "delete", "--status", "cancelled", "--confirm"]),
    { deleted: 5 },
  );
  assert.equal((await restOk(manager, "GET", "/tasks")).tasks.length, 0);

  await restOk(manager, "POST", "/tasks/batch", {
    tasks: [1, 2, 3].map((n) => ({ executorName: "later", data: { n } })),
  });
  assert.equal(await failAll(manager, "later"), 3);
  assert.deepEqual(await json(manager, ["tasks", "retry", "--executor", "later"]), {
    retried: 3,
    invalid: 0,
  });
  const pending = await restOk(manager, "GET", "/tasks?executorName=later&status=pending");
  assert.equal(pending.tasks.length, 3);

  const usage = await cli(manager, ["tasks", "retry", "--limit", "3"]);
  assert.equal(usage.code, 2, describe(usage));
});

Deno.test("tasks cancel by filter that the manager stops or refuses part way exits 1 saying how many it cancelled", async () => {
  // Twelve tasks per call, cancelled ten per store call: the store fails from its `nth` on.
  await using manager = await startTestManager({ env: { BULK_MAX_TASKS: "12" } });
  await restOk(manager, "POST", "/executors", { name: "later", dlqConfig: { enabled: false } });
  const runAt = new Date(Date.now() + 3_600_000).toISOString();
  await restOk(manager, "POST", "/tasks/batch", {
    tasks: Array.from({ length: 40 }, (_, n) => ({ executorName: "later", data: { n }, runAt })),
  });
  const store = manager.store;
  const real = store.taskTransitionMany;
  const failFrom = (nth: number) => {
    let calls = 0;
    store.taskTransitionMany = (...args) =>
      ++calls >= nth
        ? Promise.reject(new UnavailableError("The store cannot be reached"))
        : real.apply(store, args);
  };
  const pending = async () =>
    (await restOk(manager, "GET", "/tasks?executorName=later&status=pending&limit=100")).tasks
      .length;
  try {
    // The first call's second chunk fails: that call answers the ten it cancelled, stopped.
    failFrom(2);
    const stopped = await cli(manager, ["tasks", "cancel", "--executor", "later"]);
    assert.equal(stopped.code, 1, describe(stopped));
    assert.match(
      stopped.stderr,
      /The manager stopped part way: The store cannot be reached; cancelled so far: 10; the same command again goes on/,
    );
    assert.equal(await pending(), 30);
    // The first call cancels twelve; the second fails before its first write: a 503.
    failFrom(3);
    const refused = await cli(manager, ["tasks", "cancel", "--executor", "later"]);
    assert.equal(refused.code, 1, describe(refused));
    assert.match(refused.stderr, /cancelled so far: 12; the same command again goes on/);
    assert.equal(await pending(), 18);
  } finally {
    store.taskTransitionMany = real;
  }
  assert.match(
    await ok(manager, ["tasks", "cancel", "--executor", "later"]),
    /^Cancelled 18 tasks$/m,
  );
});

Deno.test("--status takes what REST takes, the proto's names and numbers too, in tasks list and the bulk commands; what the manager refuses names --status", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "later", dlqConfig: { enabled: false } });
  const runAt = new Date(Date.now() + 3_600_000).toISOString();
  await restOk(manager, "POST", "/tasks/batch", {
    tasks: [1, 2, 3].map((n) => ({ executorName: "later", data: { n }, runAt })),
  });
  for (const status of ["pending", "TASK_STATUS_PENDING", "1", "TASK_STATUS_DLQ,1"]) {
    const listed = await json(manager, ["tasks", "list", "--status", status]);
    assert.deepEqual(listed.tasks.map((t: { status: string }) => t.status), [
      "pending",
      "pending",
      "pending",
    ], status);
  }
  assert.deepEqual((await json(manager, ["tasks", "list", "--status", "2"])).tasks, []);
  assert.match(
    await ok(manager, ["tasks", "cancel", "--status", "TASK_STATUS_PENDING", "--confirm"]),
    /^Cancelled 3 tasks$/m,
  );
  assert.deepEqual(await json(manager, ["tasks", "delete", "--status", "6", "--confirm"]), {
    deleted: 3,
  });
  await restOk(manager, "POST", "/tasks/batch", {
    tasks: [1, 2].map((n) => ({ executorName: "later", data: { n } })),
  });
  assert.equal(await failAll(manager, "later"), 2);
  assert.deepEqual(
    await json(manager, ["tasks", "retry", "--status", "TASK_STATUS_DLQ,4", "--confirm"]),
    { retried: 2, invalid: 0 },
  );
  // REST's refusals, named as the option that sent them: one reader, the manager's.
  for (
    const [status, message] of [
      ["bogus", /not "bogus"/],
      ["TASK_STATUS_UNSPECIFIED", /not "TASK_STATUS_UNSPECIFIED"/],
      ["7", /not "7"/],
      ["pending,TASK_STATUS_PENDING", /Must not repeat "pending"/],
    ] as const
  ) {
    const run = await cli(manager, ["tasks", "list", "--status", status]);
    assert.equal(run.code, 1, `${status}: ${describe(run)}`);
    assert.match(run.stderr, message, status);
    assert.match(run.stderr, /\(options: --status for status\)/, status);
  }
  const outside = await cli(manager, [
    "tasks",
    "retry",
    "--status",
    "TASK_STATUS_PENDING",
    "--confirm",
  ]);
  assert.equal(outside.code, 1, describe(outside));
  assert.match(outside.stderr, /TASK_STATUS_PENDING/);
  assert.match(outside.stderr, /--status for status/);
});

Deno.test("dlq purge that the manager stops part way exits 1 saying how many it deleted", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "mail" });
  await restOk(manager, "POST", "/tasks/batch", {
    tasks: [1, 2, 3].map((n) => ({ executorName: "mail", data: { n } })),
  });
  const now = Date.now();
  const error = { attempt: 1, message: "Mailbox full", at: now, workerId: "worker-1" };
  await settleReady(manager.service.store, "mail", {
    limit: 3,
    now,
    settlement: { kind: "dlq", error, reason: "timeout", queueName: "dlq" },
  });
  // The store deletes the batch, then fails (its connection lost before the next one).
  const store = manager.store;
  const real = store.dlqPurge;
  store.dlqPurge = async (...args) => {
    await real.apply(store, args);
    throw new UnavailableError("The store cannot be reached");
  };
  try {
    const stopped = await cli(manager, ["dlq", "purge", "--confirm", "--executor", "mail"]);
    assert.equal(stopped.code, 1, describe(stopped));
    assert.match(
      stopped.stderr,
      /The manager stopped part way: The store cannot be reached; deleted so far: 3; the same command again goes on/,
    );
  } finally {
    store.dlqPurge = real;
  }
  assert.deepEqual((await restOk(manager, "GET", "/dlq")).entries, []);
});

Deno.test("dlq list and purge --reason take what REST takes, the proto's names and numbers too; what the manager refuses names --reason", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "mail" });
  await restOk(manager, "POST", "/tasks/batch", {
    tasks: [1, 2, 3, 4].map((n) => ({ executorName: "mail", data: { n } })),
  });
  const now = Date.now();
  const error = { attempt: 1, message: "Mailbox full", at: now, workerId: "worker-1" };
  // Two dead for a timeout, two for attempts spent.
  const { tasks } = await settleReady(manager.service.store, "mail", {
    limit: 4,
    now,
    settlement: (_task, index) => ({
      kind: "dlq",
      error,
      reason: index < 2 ? "timeout" : "max_attempts",
      queueName: "dlq",
    }),
  });
  assert.equal(tasks.length, 4);
  const reasons = (entries: { reason: string }[]) => entries.map((e) => e.reason);
  for (const reason of ["timeout", "DLQ_REASON_TIMEOUT", "3"]) {
    const listed = await json(manager, ["dlq", "list", "--reason", reason]);
    assert.deepEqual(reasons(listed.entries), ["timeout", "timeout"], reason);
  }
  assert.match(
    await ok(manager, ["dlq", "list", "--reason", "DLQ_REASON_MAX_ATTEMPTS"]),
    /\smax_attempts\s+dlq\s+.*Mailbox full$/m,
  );
  assert.deepEqual((await json(manager, ["dlq", "list", "--reason", "5"])).entries, []);
  assert.deepEqual(
    await json(manager, ["dlq", "purge", "--confirm", "--reason", "DLQ_REASON_TIMEOUT"]),
    { deleted: 2 },
  );
  assert.deepEqual(await json(manager, ["dlq", "purge", "--confirm", "--reason", "1"]), {
    deleted: 2,
  });
  // REST's refusals, named as the option that sent them: one reader, the manager's.
  for (const reason of ["old", "DLQ_REASON_UNSPECIFIED", "0", "9", "dlq_reason_timeout"]) {
    for (const verb of [["list"], ["purge", "--confirm"]]) {
      const run = await cli(manager, ["dlq", ...verb, "--reason", reason]);
      assert.equal(run.code, 1, `${verb[0]} ${reason}: ${describe(run)}`);
      assert.match(run.stderr, /Must be one of max_attempts, .*DLQ_REASON_MAX_ATTEMPTS/, reason);
      assert.match(run.stderr, /\(options: --reason for reason\)/, reason);
    }
  }
  // An empty reason the manager would read as none (a purge of every dead task): refused here.
  for (const verb of [["list"], ["purge", "--confirm"]]) {
    const run = await cli(manager, ["dlq", ...verb, "--reason", ""]);
    assert.equal(run.code, 2, describe(run));
    assert.match(run.stderr, /^--reason must not be empty: leave the option out instead\n/);
  }
});

Deno.test("stats --executor naming a missing executor exits 1 with the manager's 404, as executors get does", async () => {
  await using manager = await startTestManager();
  for (const args of [["stats", "--executor", "nosuch"], ["executors", "get", "nosuch"]]) {
    const run = await cli(manager, args);
    assert.equal(run.code, 1, describe(run));
    assert.match(run.stderr, /Executor "nosuch" does not exist/, args.join(" "));
    assert.equal(run.stdout, "", args.join(" "));
  }
});

Deno.test("dlq, workers and stats: dead tasks from a real worker are listed, shown, requeued, deleted and purged", async () => {
  await using manager = await startTestManager();
  await using worker = spawnDenoWorker(manager.grpcAddress, { SDK_WORKER_ID: "cli-worker" });
  await worker.waitForLine((line) => line === "ready");

  const workers = await json(manager, ["workers", "list"]);
  assert.deepEqual(workers.workers.map((w: { workerId: string }) => w.workerId), ["cli-worker"]);
  assert.match(await ok(manager, ["workers", "list"]), /^cli-worker\s+connected\s+sdk_test\s+/m);

  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { task } = await json(manager, [
      "tasks",
      "create",
      "sdk_test",
      "--data",
      '{"mode":"fatal"}',
    ]);
    ids.push(task.id);
  }
  let dead: { entries: { id: string }[] } = { entries: [] };
  while (dead.entries.length < 3) {
    dead = await json(manager, ["dlq", "list", "--executor", "sdk_test"]);
  }
  assert.deepEqual(dead.entries.map((e) => e.id).sort(), [...ids].sort());
  assert.match(
    await ok(manager, ["dlq", "list"]),
    /\snon_retryable\s+dlq\s+.*Asked to fail for good$/m,
  );

  const shown = await ok(manager, ["dlq", "get", ids[0]]);
  assert.match(shown, /^Dead since .* \(non_retryable\) in queue dlq$/m);
  assert.match(shown, /^1\s+.*\s+cli-worker\s+Asked to fail for good$/m);

  const stats = await json(manager, ["stats", "--executor", "sdk_test"]);
  assert.equal(stats.executors[0].dlqSize, 3);
  assert.match(await ok(manager, ["stats"]), /^sdk_test\s+0\s+0\s+0\s+0\s+0\s+3\s+1\s/m);

  const requeued = await json(manager, ["dlq", "requeue", ids[0], "--data", '{"mode":"echo"}']);
  assert.equal(requeued.task.id, ids[0]);
  let task = requeued.task;
  while (task.status !== "completed") task = (await json(manager, ["tasks", "get", ids[0]])).task;

  assert.match(
    await ok(manager, ["dlq", "delete", ids[1]]),
    new RegExp(`^Deleted dead task ${ids[1]}`),
  );
  assert.deepEqual(await json(manager, ["dlq", "purge", "--confirm", "--executor", "sdk_test"]), {
    deleted: 1,
  });
  assert.deepEqual((await json(manager, ["dlq", "list"])).entries, []);
});

Deno.test("tasks create|get --wait print the task once final and exit 0 completed, 3 ended otherwise, 4 when the wait passes first", async () => {
  await using manager = await startTestManager();
  await using worker = spawnDenoWorker(manager.grpcAddress, { SDK_WORKER_ID: "cli-waiter" });
  await worker.waitForLine((line) => line === "ready");
  const create = (data: string, ...more: string[]) =>
    cli(manager, ["tasks", "create", "sdk_test", "--data", data, ...more]);

  const completed = await create('{"mode":"echo","value":"hi"}', "--wait", "30s", "--json");
  assert.equal(completed.code, 0, describe(completed));
  const { task } = JSON.parse(completed.stdout);
  assert.deepEqual([task.status, task.result.echoed], ["completed", "hi"]);

  const dead = await create('{"mode":"fatal"}', "--wait", "30s");
  assert.equal(dead.code, 3, describe(dead));
  assert.match(dead.stdout, /^Task \S+ ended dlq\n\n/);
  assert.match(dead.stdout, /^Status:\s+dlq$/m);

  // Due in a year: not final whatever the timing, so the wait always passes first.
  const later = new Date(Date.now() + 365 * 86_400_000).toISOString();
  const pending = await create('{"mode":"echo"}', "--run-at", later, "--wait", "100ms", "--json");
  assert.equal(pending.code, 4, describe(pending));
  const id = JSON.parse(pending.stdout).task.id;
  assert.equal(JSON.parse(pending.stdout).task.status, "pending");
  const stillPending = await cli(manager, ["tasks", "get", id, "--wait", "100ms"]);
  assert.equal(stillPending.code, 4, describe(stillPending));
  assert.match(stillPending.stdout, new RegExp(`^Task ${id} is still pending after 0.1 s\n`));
  await ok(manager, ["tasks", "cancel", id]);
  const cancelled = await cli(manager, ["tasks", "get", id, "--wait", "1m", "--json"]);
  assert.equal(cancelled.code, 3, describe(cancelled));
  assert.equal(JSON.parse(cancelled.stdout).task.status, "cancelled");

  // Created without waiting, then waited for while it runs.
  const sleeping = await json(manager, [
    "tasks",
    "create",
    "sdk_test",
    "--data",
    '{"mode":"sleep","ms":300}',
  ]);
  const slept = await cli(manager, ["tasks", "get", sleeping.task.id, "--wait", "30s"]);
  assert.equal(slept.code, 0, describe(slept));
  assert.match(slept.stdout, new RegExp(`^Task ${sleeping.task.id} completed\n\n`));
  assert.match(slept.stdout, /"slept": 300/);

  // The manager's refusal of a create that would wait stores nothing.
  const refused = await create('{"mode":"nope"}', "--wait", "30s");
  assert.equal(refused.code, 1, describe(refused));
  assert.match(refused.stderr, /mode/);
  assert.equal((await json(manager, ["tasks", "list", "--executor", "sdk_test"])).tasks.length, 4);
});

Deno.test("a manager's refusal prints its message on stderr and exits 1", async () => {
  const token = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: token },
  });

  const anonymous = await cli(manager, ["executors", "list"]);
  assert.equal(anonymous.code, 1, describe(anonymous));
  assert.equal(anonymous.stdout, "");
  assert.match(
    anonymous.stderr,
    /^Not logged in: .*\n\(give an API key: --api-key or TASKS_EXECUTOR_API_KEY\)\n$/,
  );

  const key = { TASKS_EXECUTOR_API_KEY: token };
  await ok(manager, ["executors", "create", "busy"], key);
  const missing = await cli(manager, ["tasks", "get", "nope"], key);
  assert.deepEqual([missing.code, missing.stderr.trim()], [1, 'Task "nope" does not exist']);

  await ok(manager, ["tasks", "create", "busy", "--api-key", token]);
  const refused = await cli(manager, ["executors", "delete", "busy"], key);
  assert.equal(refused.code, 1, describe(refused));
  assert.match(
    refused.stderr,
    /^Cannot delete executor "busy": 1 task is pending or in progress/,
  );
  // The manager names its parameter (force); the command line says which option that is.
  assert.match(refused.stderr, /\n\(options: --force for force\)\n$/);

  const invalid = await cli(manager, ["tasks", "create", "busy", "--priority", "99999999"], key);
  assert.equal(invalid.code, 1, describe(invalid));
  assert.match(invalid.stderr, /priority/);

  // A refusal that names a field or parameter says which option sends it.
  assert.match(invalid.stderr, /\n\(options: --priority for priority\)\n$/);
  const limit = await cli(manager, ["executors", "list", "--limit", "5000"], key);
  assert.equal(limit.code, 1, describe(limit));
  assert.match(
    limit.stderr,
    /^Invalid executor list: limit: .*\n\(options: --limit for limit\)\n$/,
  );
  const count = await cli(
    manager,
    ["schedules", "preview", "--every", "5m", "--count", "500"],
    key,
  );
  assert.equal(count.code, 1, describe(count));
  assert.match(count.stderr, /^Invalid fire times: \/count: .*\n\(options: --count for count\)\n$/);
  // A cron expression or interval is the manager's to read (the command line imports none of its
  // code): refused there, exit 1, naming the option, as the README says.
  for (const [flag, value] of [["--every", "abc"], ["--every", "0s"], ["--cron", "x"]]) {
    const bad = await cli(manager, ["schedules", "preview", flag, value], key);
    assert.equal(bad.code, 1, describe(bad));
    assert.match(bad.stderr, new RegExp(`\\(options: ${flag} for ${flag.slice(2)}\\)\\n$`));
  }
  const fires = await cli(manager, ["schedules", "list", "--fires", "500"], key);
  assert.equal(fires.code, 1, describe(fires));
  assert.match(fires.stderr, /\n\(options: --fires for fires\)\n$/);

  const unreachable = await cli(null, ["stats"]);
  assert.equal(unreachable.code, 1, describe(unreachable));
  assert.match(unreachable.stderr, /^Cannot reach the manager at http:\/\/127\.0\.0\.1:9: /);
  // The gRPC port closes a REST call's connection unanswered: said to be maybe the wrong port.
  const grpc = await cli(null, ["tasks", "list", "--address", manager.grpcAddress]);
  assert.equal(grpc.code, 1, describe(grpc));
  assert.match(
    grpc.stderr,
    /^Cannot reach the manager at http:\/\/127\.0\.0\.1:\d+: .*\. Is this the gRPC port\? The command line talks to the REST port \(MANAGER_PORT, default 8080\)\n$/,
  );
});

Deno.test("a command written wrong exits 2 with the group's help; --help exits 0", async () => {
  const cases: [string[], RegExp][] = [
    [["executors", "frob"], /^Unknown command "executors frob"/],
    [["executors"], /^executors needs a command: list, get/],
    [["tasks", "get"], /^tasks get needs ID/],
    // One line naming the option, in the command line's words (Node's ended with an unbalanced
    // quote: `… as in '-- "--bogus"`), then the group's help.
    [["tasks", "list", "--bogus"], /^Unknown option "--bogus"\n\nUsage: tasks-executor tasks/],
    [["stats", "-x"], /^Unknown option "-x"\n\nUsage: tasks-executor stats/],
    [["dlq", "get", "x", "--bogus=1"], /^Unknown option "--bogus"\n\n/],
    [["tasks", "list", "--executor"], /^Option --executor needs a value\n\n/],
    [["tasks", "list", "--executor", "--json"], /^Option --executor needs a value, not the /],
    [["workers", "list", "--json=yes"], /^Option --json takes no value\n\n/],
    [["tasks", "cancel", "a", "b"], /^Unexpected "b"/],
    [["tasks", "get", "x", "--status", "pending"], /^tasks get takes no --status/],
    [["tasks", "list", "--wait", "1s"], /^tasks list takes no --wait/],
    [["dlq", "purge"], /^dlq purge deletes dead tasks for good: add --confirm/],
    [["executors", "update", "x"], /^executors update needs -f FILE/],
    [["schedules", "update", "x"], /^schedules update needs -f FILE/],
    [["schedules", "trigger", "x", "--fires", "3"], /^schedules trigger takes no --fires/],
    [["stats", "--address", "ftp://host"], /^--address must use http:\/\/ or https:\/\//],
    // Not taken for a host `ht!tp` (and looked up in DNS, exit 1).
    [["tasks", "list", "--address", "ht!tp://x"], /^--address must be a URL such as http:/],
    [["tasks", "list", "--address", "x*y:8080"], /^--address must be a URL such as http:/],
    [["tasks", "list", "--executor", "a", "--executor", "b"], /^Option --executor is given more/],
    [["tasks", "delete", "--executor", "a", "--executor=b"], /^Option --executor is given more/],
    [["tasks", "list", "--limit", "1", "--limit", "2"], /^Option --limit is given more than once/],
  ];
  for (const [args, message] of cases) {
    const run = await cli(null, args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${describe(run)}`);
    assert.match(run.stderr, message, args.join(" "));
    assert.match(run.stderr, /\nUsage: tasks-executor /, args.join(" "));
  }
  // An address from the environment is named as such: the command line held no --address.
  const fromEnv = await cli(null, ["tasks", "list"], { MANAGER_URL: "ht!tp://x" });
  assert.equal(fromEnv.code, 2, describe(fromEnv));
  assert.match(fromEnv.stderr, /^MANAGER_URL must be a URL such as http:/);
  // A value the command can check is refused in one line naming the option, before any call:
  // the manager at 127.0.0.1:9 cannot be reached, which would exit 1.
  const values: [string[], RegExp][] = [
    [["tasks", "create", "x", "--wait", "10x"], /^--wait must be a duration such as 30s/],
    [["tasks", "create", "x", "--wait", "0s"], /^--wait must be a duration .* more than 0/],
    [["tasks", "get", "x", "--wait", "25h"], /^--wait must be a duration .* at most 24h/],
    [
      ["tasks", "create", "x", "--data", "{nope"],
      /^--data must be JSON: Expected property name or '}' in JSON at position 1 \(line 1/,
    ],
    [["tasks", "create", "x", "--data", '{"a":1e400}'], /^--data must be JSON: .*too large/],
    [["dlq", "run-again", "x", "--data", "[1,"], /^--data must be JSON: .*at position 3/],
    [
      ["tasks", "create", "x", "--priority", "abc"],
      /^--priority must be a whole number, not "abc"/,
    ],
    [["tasks", "create", "x", "--run-at", "tomorrow"], /^--run-at must be an RFC 3339 time/],
    // An empty value the manager would refuse is refused here, as `--run-at ""` is.
    [["tasks", "create", "x", "--run-at", ""], /^--run-at must be an RFC 3339 time/],
    [["tasks", "create", "x", "--idempotency-key", ""], /^--idempotency-key must not be empty/],
    [["tasks", "create", "x", "--group-key="], /^--group-key must not be empty: leave the/],
    [["schedules", "preview", "--cron", ""], /^--cron must not be empty/],
    [["schedules", "preview", "--every", ""], /^--every must not be empty/],
    [["schedules", "preview", "--every", "5m", "--timezone", ""], /^--timezone must not be/],
    [["tasks", "list", "--limit", "abc"], /^--limit must be a whole number from 1, not "abc"/],
    [["tasks", "list", "--limit", "0"], /^--limit must be a whole number from 1, not "0"/],
    [["tasks", "list", "--created-after", "yesterday"], /^--created-after must be an RFC 3339/],
    [["tasks", "list", "--created-before", "2026-12-01"], /^--created-before must be an RFC/],
    [["tasks", "retry", "--finished-after", "now"], /^--finished-after must be an RFC 3339/],
    [["tasks", "list", "--created-after", "2026-12-02 14:00:00Z"], /^--created-after must be/],
    // Well formed, but not on the calendar: the manager would refuse them (exit 1 until 2026-12-08).
    [["tasks", "create", "x", "--run-at", "2027-02-30T00:00:00Z"], /^--run-at must be an RFC/],
    [["tasks", "list", "--created-after", "2026-12-02T24:00:00Z"], /^--created-after must be/],
    [["tasks", "list", "--created-before", "2026-12-31T23:59:60Z"], /^--created-before must/],
    [["dlq", "purge", "--confirm", "--dead-before", "2026-12-02T14:00:00+24:00"], /^--dead-/],
    [["dlq", "list", "--reason", ""], /^--reason must not be empty: leave the option out/],
    [["dlq", "purge", "--confirm", "--dead-before", "x"], /^--dead-before must be an RFC 3339/],
    [["executors", "list", "--limit", "ten"], /^--limit must be a whole number from 1/],
    [["workers", "list", "--limit", "1.5"], /^--limit must be a whole number from 1/],
    [["schedules", "list", "--fires", "0"], /^--fires must be a whole number from 1/],
    [["schedules", "get", "x", "--fires", "abc"], /^--fires must be a whole number from 1/],
    [
      ["tasks", "create", "x", "--metadata", "a=1", "--metadata", "b=2", "--metadata", "a=2"],
      /^--metadata gives the key "a" more than once\n/,
    ],
    [["schedules", "preview"], /^schedules preview needs --cron EXPR or --every INTERVAL/],
    [["schedules", "preview", "--cron", "* * * * *", "--every", "5m"], /^schedules preview needs/],
    [["schedules", "preview", "--every", "5m", "--count", "many"], /^--count must be a whole/],
    [["schedules", "preview", "--every", "5m", "--start-at", "x"], /^--start-at must be an RFC/],
  ];
  for (const [args, message] of values) {
    const run = await cli(null, args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${describe(run)}`);
    assert.match(run.stderr, message, args.join(" "));
    assert.equal(run.stderr.split("\n").length, 2, `one line: ${describe(run)}`);
  }
  // What the manager reads goes to it (here: not reached, exit 1): a status or a DLQ reason in
  // any form too.
  for (const status of ["pending,", "TASK_STATUS_PENDING", "1", "bogus"]) {
    const run = await cli(null, ["tasks", "list", "--status", status]);
    assert.equal(run.code, 1, `${status}: ${describe(run)}`);
    assert.match(run.stderr, /^Cannot reach the manager/, status);
  }
  for (const reason of ["DLQ_REASON_TIMEOUT", "3", "old"]) {
    const run = await cli(null, ["dlq", "purge", "--confirm", "--reason", reason]);
    assert.equal(run.code, 1, `${reason}: ${describe(run)}`);
    assert.match(run.stderr, /^Cannot reach the manager/, reason);
  }
  for (
    const at of [
      "2026-12-02t14:00:00.123456789+02:00",
      "2028-02-29T23:59:59-23:59",
      "1764684000000",
    ]
  ) {
    const run = await cli(null, ["tasks", "list", "--created-after", at]);
    assert.equal(run.code, 1, `${at}: ${describe(run)}`);
    assert.match(run.stderr, /^Cannot reach the manager/, at);
  }
  for (const group of ["executors", "tasks", "schedules", "dlq", "workers", "stats"]) {
    const help = await cli(null, [group, "--help"]);
    assert.equal(help.code, 0, describe(help));
    assert.match(help.stdout, new RegExp(`^Usage: tasks-executor ${group}`));
    assert.match(help.stdout, /Exit codes: 0 done, 1 /);
  }
  const overall = await cli(null, ["help"]);
  assert.equal(overall.code, 0, describe(overall));
  for (const group of ["executors", "tasks", "schedules", "dlq", "workers", "stats", "keys"]) {
    assert.match(overall.stdout, new RegExp(`^  ${group}\\s`, "m"));
  }
});

Deno.test("a word that names no command is reported even with --help: exit 2, the help on stderr", async () => {
  // As git does (`git remote bogus --help`: unknown subcommand, exit 129): --help anywhere, or
  // `help` first, never turns a mistyped command into a success.
  const refused: [string[], RegExp][] = [
    [["tasks", "bogus", "--help"], /^Unknown command "tasks bogus" \(one of: list, /],
    [["tasks", "--help", "bogus"], /^Unknown command "tasks bogus"/],
    [["tasks", "help", "bogus"], /^Unknown command "tasks bogus"/],
    [["tasks", "bogus", "-h"], /^Unknown command "tasks bogus"/],
    [["executors", "bogus", "--help"], /^Unknown command "executors bogus"/],
    [["schedules", "bogus", "--help"], /^Unknown command "schedules bogus"/],
    [["dlq", "bogus", "--help"], /^Unknown command "dlq bogus"/],
    [["workers", "bogus", "--help"], /^Unknown command "workers bogus"/],
    // `stats` takes no command: a word after it is one too many, with --help as without.
    [["stats", "bogus", "--help"], /^Unexpected "bogus"/],
    [["stats", "help", "bogus"], /^Unexpected "bogus"/],
    [["help", "bogus"], /^Unknown command "bogus"/],
    [["--help", "bogus"], /^Unknown command "bogus"/],
    [["-h", "task"], /^Unknown command "task"/],
    [["help", "tasks", "bogus"], /^Unknown command "tasks bogus"/],
    // `help help` is the help of help, and what follows it is checked as after one `help`.
    [["tasks", "help", "help", "bogus"], /^Unknown command "tasks bogus"/],
    [["stats", "help", "help", "bogus"], /^Unexpected "bogus"/],
    [["help", "help", "bogus"], /^Unknown command "bogus"/],
  ];
  for (const [args, message] of refused) {
    const run = await cli(null, args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${describe(run)}`);
    assert.match(run.stderr, message, args.join(" "));
    assert.match(run.stderr, /\n\nUsage: tasks-executor /, args.join(" "));
    assert.equal(run.stdout, "", args.join(" "));
  }
  // A known command's help, however asked: `help GROUP` is `GROUP --help`.
  const helped: [string[], RegExp][] = [
    [["tasks", "list", "--help"], /^Usage: tasks-executor tasks /],
    [["tasks", "help", "list"], /^Usage: tasks-executor tasks /],
    [["dlq", "requeue", "-h"], /^Usage: tasks-executor dlq /],
    [["help", "schedules"], /^Usage: tasks-executor schedules /],
    [["--help", "stats"], /^Usage: tasks-executor stats/],
    [["help", "healthcheck"], /^Usage: tasks-executor healthcheck\n/],
    [["healthcheck", "--help"], /^Usage: tasks-executor healthcheck\n/],
    // The help of help (as `git help help` shows help's own page): the help `help` was asked in.
    [["help", "help"], /^Usage: tasks-executor <command>/],
    [["tasks", "help", "help"], /^Usage: tasks-executor tasks /],
    [["tasks", "--help", "help"], /^Usage: tasks-executor tasks /],
    [["tasks", "help", "help", "list"], /^Usage: tasks-executor tasks /],
    [["stats", "help", "help"], /^Usage: tasks-executor stats/],
    [["help", "tasks", "help"], /^Usage: tasks-executor tasks /],
    [["help", "help", "dlq"], /^Usage: tasks-executor dlq /],
  ];
  for (const [args, usage] of helped) {
    const run = await cli(null, args);
    assert.equal(run.code, 0, `${args.join(" ")}: ${describe(run)}`);
    assert.match(run.stdout, usage, args.join(" "));
  }
});

Deno.test("a first word that is no command exits 2 with the overall help and starts no manager", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tasks-executor-cli-" });
  try {
    for (const args of [["schedule", "list"], ["task", "list"], ["bogus"], ["--json"], [""]]) {
      // A manager started by mistake would run until stopped: SIGTERM stops it (and its
      // validation processes, which hold the output open), and the checks below fail.
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "main.ts", ...args],
        cwd: new URL("../", import.meta.url).pathname,
        env: { MANAGER_PORT: "0", MANAGER_GRPC_PORT: "0", DATA_DIR: dataDir },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const timer = setTimeout(() => child.kill("SIGTERM"), 15_000);
      const output = await child.output().finally(() => clearTimeout(timer));
      const run: Finished = {
        code: output.code,
        stdout: new TextDecoder().decode(output.stdout),
        stderr: new TextDecoder().decode(output.stderr),
      };
      assert.equal(run.code, 2, `${args.join(" ")}: ${describe(run)}`);
      assert.match(
        run.stderr,
        new RegExp(`^Unknown command "${args[0]}"\n\nUsage: tasks-executor `),
      );
      assert.doesNotMatch(run.stdout + run.stderr, /Manager started|te_/, describe(run));
      assert.deepEqual(await Array.fromAsync(Deno.readDir(dataDir)), [], "no store made");
    }
    // Nor is a word after `healthcheck` ignored (a check with no manager up exits 1).
    const extra = await cli(null, ["healthcheck", "--port", "8081"], { MANAGER_PORT: "9" });
    assert.equal(extra.code, 2, describe(extra));
    assert.match(
      extra.stderr,
      /^healthcheck takes no arguments, not "--port"\n\nUsage: tasks-executor healthcheck\n/,
    );
    for (const word of ["help", "--help", "-h"]) {
      const run = await cli(null, [word]);
      assert.equal(run.code, 0, describe(run));
      assert.match(run.stdout, /^Usage: tasks-executor <command>/);
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("healthcheck says in one line what it asked and why it failed, and that MANAGER_URL is not what it checks", async () => {
  await using manager = await startTestManager();
  // MANAGER_URL names a ready manager; healthcheck asks the one on MANAGER_PORT of this machine.
  const run = await cli(manager, ["healthcheck"], { MANAGER_PORT: "9" });
  assert.equal(run.code, 1, describe(run));
  assert.equal(run.stdout, "");
  assert.equal(
    run.stderr,
    "Not ready: http://127.0.0.1:9/readyz (MANAGER_PORT=9): connection refused, no manager " +
      `listens there; MANAGER_URL (${manager.httpUrl}) is not what healthcheck checks: it checks ` +
      "the manager of this machine, on MANAGER_PORT\n",
  );
  const port = new URL(manager.httpUrl).port;
  const ready = await cli(manager, ["healthcheck"], { MANAGER_PORT: port });
  assert.equal(ready.code, 0, describe(ready));
  assert.equal(ready.stdout + ready.stderr, "");
  // A port that takes the connection and closes it unanswered: the reason without the runtime's
  // preamble (`error sending request from 127.0.0.1:… for http://…`), which repeats the address.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closing = (async () => {
    for await (const conn of listener) conn.close();
  })().catch(() => {});
  const mute = await cli(null, ["healthcheck"], { MANAGER_PORT: String(listener.addr.port) });
  assert.equal(mute.code, 1, describe(mute));
  assert.match(mute.stderr, /^Not ready: http:\/\/127\.0\.0\.1:\d+\/readyz \(MANAGER_PORT=\d+\): /);
  assert.doesNotMatch(mute.stderr, /error sending request/);
  listener.close();
  await closing;
  // An empty MANAGER_URL is none, as the manager's configuration reads one: not an address.
  const empty = await cli(null, ["executors", "list"], { MANAGER_URL: "" });
  assert.doesNotMatch(empty.stderr, /MANAGER_URL must be/, describe(empty));
});

Deno.test("a file named that cannot be read, or is not JSON, exits 1 with one line naming the option and the path, not the help", async () => {
  const dir = await Deno.makeTempDir();
  const missing = `${dir}/missing.json`;
  const cases: [string[], string][] = [
    [["dlq", "run-again", "x", "--data-file", missing], `--data-file ${missing}: No such file`],
    [["dlq", "requeue", "x", "--data-file", dir], `--data-file ${dir}: Is a directory`],
    [["tasks", "create", "x", "--data-file", missing], `--data-file ${missing}: No such file`],
    [["executors", "create", "-f", missing], `-f ${missing}: No such file`],
    [["executors", "update", "x", "--file", missing], `-f ${missing}: No such file`],
    [["schedules", "create", "-f", missing], `-f ${missing}: No such file`],
    [["schedules", "update", "x", "-f", dir], `-f ${dir}: Is a directory`],
  ];
  // A file that is read but holds no JSON is not the command written wrong either.
  const notJson = `${dir}/not.json`;
  await Deno.writeTextFile(notJson, '{\n  "name": "x",\n}\n');
  const where = "Expected double-quoted property name in JSON at position 17 (line 3 column 1)";
  const empty = `${dir}/empty.json`;
  await Deno.writeTextFile(empty, "");
  cases.push(
    [
      ["tasks", "create", "x", "--data-file", notJson],
      `--data-file ${notJson}: not JSON: ${where}`,
    ],
    [
      ["dlq", "run-again", "x", "--data-file", notJson],
      `--data-file ${notJson}: not JSON: ${where}`,
    ],
    [["executors", "create", "-f", notJson], `-f ${notJson}: not JSON: ${where}`],
    [["executors", "update", "x", "-f", notJson], `-f ${notJson}: not JSON: ${where}`],
    [["schedules", "create", "-f", notJson], `-f ${notJson}: not JSON: ${where}`],
    [["schedules", "update", "x", "-f", notJson], `-f ${notJson}: not JSON: ${where}`],
    [
      ["executors", "create", "-f", empty],
      `-f ${empty}: not JSON: Unexpected end of JSON input at position 0 (the end)`,
    ],
  );
  for (const [args, message] of cases) {
    const run = await cli(null, args);
    assert.deepEqual([run.code, run.stdout, run.stderr], [1, "", `${message}\n`], describe(run));
  }
  // A command written wrong is told so (exit 2) whatever its file: the options are checked first.
  const wrong = await cli(null, [
    "tasks",
    "create",
    "x",
    "--priority",
    "abc",
    "--data-file",
    missing,
  ]);
  assert.deepEqual(
    [wrong.code, wrong.stderr],
    [2, '--priority must be a whole number, not "abc"\n'],
    describe(wrong),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("visible() shows C0, DEL, C1 and bidirectional control characters escaped and leaves other text as it is", () => {
  assert.equal(
    visible("\u001b[2J\u001b]0;TITLE\u0007"),
    String.raw`\u001b[2J\u001b]0;TITLE\u0007`,
  );
  assert.equal(visible("a\nb\tc\rd"), String.raw`a\nb\tc\rd`);
  assert.equal(
    visible("\u0000\u001f\u007f\u0080\u009b\u009f"),
    String.raw`\u0000\u001f\u007f\u0080\u009b\u009f`,
  );
  // Every bidirectional control: an id that ends in U+202E shows what follows it reversed.
  assert.equal(
    visible("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    String.raw`\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069`,
  );
  // The neighbours of the ranges (~ is U+007E, U+00A0 a no-break space, U+200D a zero-width
  // joiner, U+2029 and U+206A beside the bidi ranges), Arabic and Hebrew, and the rest of Unicode.
  const ordinary = "plain ~ \u00a0 é 日本 😀 \\ \u2028 \u200d \u2029 \u206a عربى עברית";
  assert.equal(visible(ordinary), ordinary);
  const escaped = visible("\u001b\u009b\n");
  assert.equal(visible(escaped), escaped, "escaping twice changes nothing more");
  assert.equal(
    visibleLines("one\u0007\ntwo\u001b"),
    String.raw`one\u0007` + "\n" + String.raw`two\u001b`,
  );

  // A line break or tab inside a field stays inside its cell or its details line.
  assert.deepEqual(table(["A", "B"], [["x\ny", "z\tw"]]).split("\n"), [
    "A     B",
    String.raw`x\ny  z\tw`,
  ]);
  assert.equal(
    details([["Metadata", "k=v\n\u001b[2J"], ["Data", new Block('{\n  "a": 1\u0007\n}')]]),
    [
      String.raw`Metadata: k=v\n\u001b[2J`,
      "Data:     {",
      '            "a": 1\\u0007',
      "          }",
    ]
      .join("\n"),
  );
});

Deno.test("tasks get, dlq list, dlq get, workers list and errors show control characters from the manager escaped; --json keeps them as JSON escapes", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "hostile", retryPolicy: { maxAttempts: 1 } });
  const attack = "\u001b[2J\u001b]0;TITLE\u0007";
  const shown = String.raw`\u001b[2J\u001b]0;TITLE\u0007`;
  const metadata = { [`key${attack}`]: `value${attack}\u009b31m\nnext` };
  const { task: created } = await restOk(manager, "POST", "/tasks", {
    executorName: "hostile",
    metadata,
  });
  const workerId = `worker${attack}`;
  await using worker = await TestWorker.connect(manager.grpcAddress, {
    workerId,
    executors: ["hostile"],
  });
  worker.credit("hostile", 1);
  const [assignment] = await worker.assigned(1);
  const message = `boom${attack}\u009b2J\t\u202eafter`;
  const after = worker.received.length;
  worker.result(assignment, { ok: false, error: message, retryable: false });
  assert.deepEqual((await worker.acks(after)).map((a) => a.accepted), [true]);

  /** Asserts `text` holds no raw ESC, BEL, CSI (C1) or right-to-left override and gives it. */
  const inert = (command: string, text: string) => {
    const raw = ["\u001b", "\u0007", "\u009b", "\u202e"].filter((c) => text.includes(c));
    assert.deepEqual(raw, [], `${command} printed a raw control: ${text}`);
    return text;
  };
  const run = async (args: string[]) => inert(args.join(" "), await ok(manager, args));

  const task = await run(["tasks", "get", created.id]);
  assert.ok(
    task.includes(
      `Metadata:        key${shown}=value${shown}` + String.raw`\u009b31m\nnext` + "\n",
    ),
    task,
  );
  assert.match(task, new RegExp(`^Worker:\\s+worker${RegExp.escape(shown)}$`, "m"));
  const errorLine = `worker${shown}  boom${shown}` + String.raw`\u009b2J\t\u202eafter`;
  assert.ok(task.split("\n").some((line) => line.endsWith(errorLine)), task);

  const dead = await run(["dlq", "list"]);
  assert.ok(dead.trimEnd().endsWith(`boom${shown}` + String.raw`\u009b2J\t\u202eafter`), dead);
  assert.equal(dead.trimEnd().split("\n").length, 2, "one header, one row");
  assert.ok((await run(["dlq", "get", created.id])).includes(errorLine));

  const workers = await run(["workers", "list"]);
  assert.match(
    workers,
    new RegExp(`^worker${RegExp.escape(shown)}\\s+connected\\s+hostile\\s+test\\s`, "m"),
  );

  // JSON as JSON writes it: ESC and BEL as \u001b and \u0007, and C1 escaped too; the same text.
  const json = await cli(manager, ["tasks", "get", created.id, "--json"]);
  assert.equal(json.code, 0, describe(json));
  inert("tasks get --json", json.stdout);
  assert.ok(json.stdout.includes(String.raw`\u009b31m`), json.stdout);
  const { task: read } = JSON.parse(json.stdout);
  assert.deepEqual([read.metadata, read.workerId, read.errors[0].message], [
    metadata,
    workerId,
    message,
  ]);
  const listed = await cli(manager, ["workers", "list", "--json"]);
  inert("workers list --json", listed.stdout);
  assert.equal(JSON.parse(listed.stdout).workers[0].workerId, workerId);

  // The manager's refusal echoes the id it was given: escaped on stderr too. (An id with a
  // control character is refused as malformed, without echoing it.)
  const missing = await cli(manager, ["tasks", "get", "nope\u202eafter"]);
  assert.equal(missing.code, 1, describe(missing));
  inert("tasks get (refused)", missing.stderr);
  assert.equal(missing.stderr.trim(), `Task "nope${String.raw`\u202e`}after" does not exist`);
  const malformed = await cli(manager, ["tasks", "get", `nope${attack}`]);
  assert.equal(malformed.code, 1, describe(malformed));
  inert("tasks get (malformed)", malformed.stderr);
  assert.equal(
    malformed.stderr.trim(),
    "Invalid task id: id: Must hold no white space or control characters",
  );
});

/** A self-signed certificate for 127.0.0.1 (its own trust anchor) and its key, made by openssl. */
async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = `${dir}/${name}.pem`;
  const key = `${dir}/${name}.key`;
  const made = await runToEnd("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  assert.equal(made.code, 0, made.stderr);
  return { cert, key };
}

Deno.test("an https:// address talks TLS, trusting the CA that DENO_CERT names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tasks-executor-cli-tls-" });
  try {
    const served = await selfSigned(dir, "served");
    const other = await selfSigned(dir, "other");
    await using manager = await startTestManager({
      env: { TLS_CERT_FILE: served.cert, TLS_KEY_FILE: served.key },
    });
    assert.match(manager.httpUrl, /^https:\/\//);
    const trusted = await cli(manager, ["stats", "--json"], { DENO_CERT: served.cert });
    assert.equal(trusted.code, 0, describe(trusted));
    assert.deepEqual(JSON.parse(trusted.stdout), { executors: [] });

    const untrusted = await cli(manager, ["stats"], { DENO_CERT: other.cert });
    assert.equal(untrusted.code, 1, describe(untrusted));
    assert.match(untrusted.stderr, /^Cannot reach the manager at https:.*certificate/);
    assert.match(untrusted.stderr, /issuer is not trusted: name the CA's PEM file in DENO_CERT/);

    // Plaintext to the TLS port: told to use https://.
    const plain = manager.httpUrl.replace(/^https:/, "http:");
    const plaintext = await cli(manager, ["stats"], { MANAGER_URL: plain, DENO_CERT: served.cert });
    assert.equal(plaintext.code, 1, describe(plaintext));
    assert.ok(
      plaintext.stderr.includes(`The manager answers HTTPS here: use ${manager.httpUrl}`),
      describe(plaintext),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("workers list shows whether each worker is connected or gone, and since when", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "kept" });
  await using stays = await TestWorker.connect(manager.grpcAddress, {
    workerId: "stays",
    executors: ["kept"],
  });
  const leaves = await TestWorker.connect(manager.grpcAddress, {
    workerId: "leaves",
    executors: ["kept"],
  });
  await leaves.close();
  let listed = await json(manager, ["workers", "list"]);
  while (!listed.workers.some((w: { disconnectedAt: unknown }) => w.disconnectedAt)) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    listed = await json(manager, ["workers", "list"]);
  }
  const gone = listed.workers.find((w: { workerId: string }) => w.workerId === "leaves");
  const shown = await ok(manager, ["workers", "list"]);
  assert.match(shown.split("\n")[0], /^WORKER\s+STATE\s+EXECUTORS\s/);
  assert.match(shown, /^stays\s+connected\s+kept\s/m);
  const since = gone.disconnectedAt.replace("T", " ").replace(/(\.\d+)?Z$/, "");
  assert.match(shown, new RegExp(`^leaves\\s+gone since ${since}\\S*\\s+kept\\s`, "m"));
  assert.ok(stays);
  const help = await cli(null, ["workers", "--help"]);
  assert.match(help.stdout, /gone from it in\s+the last 10 minutes/);
});

Deno.test("executors get shows the flow-control settings that are set; tasks create --group-key gives a task its key and tasks get shows it", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "plain", enabled: false });
  const plain = await ok(manager, ["executors", "get", "plain"]);
  assert.doesNotMatch(plain, /Rate limit|per key|Group key/);

  await restOk(manager, "POST", "/executors", {
    name: "keyed",
    enabled: false,
    rateLimit: { limit: 100, period: "1s", burst: 20 },
    rateLimitPerKey: { limit: 5, period: 60_000 },
    maxConcurrencyPerKey: 2,
    groupKeyPointer: "/customerId",
  });
  const keyed = await ok(manager, ["executors", "get", "keyed"]);
  assert.match(keyed, /^Rate limit:\s+100 per 1s, burst 20$/m);
  assert.match(keyed, /^Rate limit per key:\s+5 per 1m, burst 5$/m);
  assert.match(keyed, /^Max concurrency per key:\s+2$/m);
  assert.match(keyed, /^Group key pointer:\s+\/customerId$/m);

  const given = await json(manager, [
    "tasks",
    "create",
    "keyed",
    "--data",
    '{"customerId":"acme"}',
    "--group-key",
    "globex",
  ]);
  assert.equal(given.task.groupKey, "globex");
  assert.match(await ok(manager, ["tasks", "get", given.task.id]), /^Group key:\s+globex$/m);
  const read = await json(manager, ["tasks", "create", "keyed", "--data", '{"customerId":"acme"}']);
  assert.match(await ok(manager, ["tasks", "get", read.task.id]), /^Group key:\s+acme$/m);
  const none = await json(manager, ["tasks", "create", "plain"]);
  assert.doesNotMatch(await ok(manager, ["tasks", "get", none.task.id]), /Group key/);
});

Deno.test("tasks create without --data creates a task whose data is null, as REST, gRPC and a schedule without task data do", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "bare", enabled: false });
  const { task } = await json(manager, ["tasks", "create", "bare"]);
  assert.equal(task.data, null);
  assert.equal((await restOk(manager, "GET", `/tasks/${task.id}`)).task.data, null);
  const given = await json(manager, ["tasks", "create", "bare", "--data", "{}"]);
  assert.deepEqual(given.task.data, {});
});

Deno.test("tasks run-again runs one failed task again with its data as it is, where the executor has no DLQ", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "nodlq", dlqConfig: { enabled: false } });
  const { task: created } = await restOk(manager, "POST", "/tasks", {
    executorName: "nodlq",
    data: { to: "ada@example.com" },
  });
  const { task: other } = await restOk(manager, "POST", "/tasks", { executorName: "nodlq" });
  assert.equal(await failAll(manager, "nodlq"), 2);
  const noEntry = await cli(manager, ["dlq", "run-again", created.id]);
  assert.equal(noEntry.code, 1, describe(noEntry));
  assert.match(
    noEntry.stderr,
    new RegExp(
      `\n\\(a failed task that is not in the DLQ runs again with: tasks run-again ${created.id}\\)\n$`,
    ),
  );

  const again = await ok(manager, ["tasks", "run-again", created.id]);
  assert.match(
    again,
    new RegExp(`^Task ${created.id} will run again \\(run \\d+, pending\\)$`, "m"),
  );
  const { task } = await restOk(manager, "GET", `/tasks/${created.id}`);
  assert.deepEqual([task.status, task.data], ["pending", { to: "ada@example.com" }]);
  assert.equal((await restOk(manager, "GET", `/tasks/${other.id}`)).task.status, "failed");
  const json = await cli(manager, ["tasks", "run-again", other.id, "--json"]);
  assert.equal(JSON.parse(json.stdout).task.status, "pending");

  // Not a running task: taken from its worker, it would run twice.
  await restOk(manager, "POST", "/tasks", { executorName: "nodlq" });
  const [running] = await manager.service.store.taskClaim({
    executorName: "nodlq",
    limit: 1,
    owner: "worker-1",
    now: Date.now(),
    leaseMs: 60_000,
    maxConcurrency: 0,
  });
  const refused = await cli(manager, ["tasks", "run-again", running.id]);
  assert.deepEqual(
    [refused.code, refused.stderr],
    [
      1,
      `Task ${running.id} is running: it runs again only once it has ended ` +
      `(tasks cancel ${running.id} ends it)\n`,
    ],
    describe(refused),
  );
  const still = (await restOk(manager, "GET", `/tasks/${running.id}`)).task;
  assert.deepEqual([still.status, still.workerId], ["in_progress", "worker-1"]);
  // Nor a completed one, said in the command's words: the manager's refusal names `from`, which
  // the command sends and its user never wrote.
  await restOk(manager, "PUT", `/tasks/${running.id}/status`, { status: "completed" });
  const done = await cli(manager, ["tasks", "run-again", running.id]);
  assert.deepEqual(
    [done.code, done.stderr],
    [
      1,
      `Task ${running.id} is completed: only a failed, dead, cancelled or pending task runs again\n`,
    ],
    describe(done),
  );

  const extra = await cli(null, ["tasks", "run-again", "x", "--data", "{}"]);
  assert.equal(extra.code, 2, describe(extra));
  assert.match(extra.stderr, /^tasks run-again takes no --data/);
  assert.match(
    (await cli(null, ["tasks", "--help"])).stdout,
    /^ {2}run-again ID\s+run one failed/m,
  );
});

Deno.test("tasks run-again sends as `from` what the manager serves as runAgainFrom, not a list of its own", async () => {
  await using manager = await startTestManager();
  const { runAgainFrom } = await restOk(manager, "GET", "/meta");
  assert.deepEqual(runAgainFrom, RUN_AGAIN_FROM);
  await restOk(manager, "POST", "/executors", { name: "facts", dlqConfig: { enabled: false } });
  const { task } = await restOk(manager, "POST", "/tasks", { executorName: "facts" });
  assert.equal(await failAll(manager, "facts"), 1);
  // A manager that says another list: the command sends that one.
  const sent: unknown[] = [];
  await using proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const body = req.method === "GET" ? undefined : await req.text();
    if (req.method === "PUT") sent.push(JSON.parse(body!).from);
    const headers = new Headers();
    for (const name of ["accept", "content-type", "authorization"]) {
      const value = req.headers.get(name);
      if (value) headers.set(name, value);
    }
    const answer = await fetch(`${manager.httpUrl}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body,
    });
    if (url.pathname === "/api/v1/meta") {
      return Response.json({ ...await answer.json(), runAgainFrom: ["failed"] });
    }
    return new Response(await answer.arrayBuffer(), { status: answer.status });
  });
  const run = await cli(manager, ["tasks", "run-again", task.id], {
    MANAGER_URL: `http://127.0.0.1:${proxy.addr.port}`,
  });
  assert.equal(run.code, 0, describe(run));
  assert.deepEqual(sent, [["failed"]]);
  assert.equal((await restOk(manager, "GET", `/tasks/${task.id}`)).task.status, "pending");
});

Deno.test("times print marked as UTC, and schedules update names the schedule as the file leaves it", async () => {
  assert.equal(time("2026-12-08T01:30:00.000Z"), "2026-12-08 01:30:00Z");
  assert.equal(time("2026-12-08T01:30:00Z"), "2026-12-08 01:30:00Z");
  assert.equal(time(null), "-");

  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "report", enabled: false });
  const { schedule } = await restOk(manager, "POST", "/schedules", {
    name: "every2",
    executorName: "report",
    cron: "30 2 * * *",
    timezone: "Europe/Berlin",
  });
  // A preview counts from now when its start has passed: a winter day two years on (CET, UTC+1).
  const year = new Date().getUTCFullYear() + 2;
  const preview = await ok(manager, [
    "schedules",
    "preview",
    "--cron",
    "30 2 * * *",
    "--timezone",
    "Europe/Berlin",
    "--start-at",
    `${year}-01-10T12:00:00Z`,
    "--count",
    "1",
  ]);
  assert.equal(preview, `${year}-01-11 01:30:00Z\n`);
  // Its next fire from now, as the create answered it: 01:30Z while Berlin keeps CET, 00:30Z
  // while it keeps CEST, 01:00Z the night its clocks jump.
  const next = new Date(schedule.nextFireAt).toISOString();
  assert.match(
    await ok(manager, ["schedules", "list"]),
    new RegExp(`\\s${next.slice(0, 10)} ${next.slice(11, 19)}Z\\s`),
  );

  const file = await tempFile(JSON.stringify({ name: "renamed" }));
  const updated = await ok(manager, ["schedules", "update", "every2", "-f", file]);
  assert.match(updated, /^Updated schedule renamed \(renamed from every2\)$/m);
  assert.match(updated, /^Name:\s+renamed$/m);
  const same = await tempFile(JSON.stringify({ cron: "0 3 * * *" }));
  assert.match(
    await ok(manager, ["schedules", "update", "renamed", "-f", same]),
    /^Updated schedule renamed$/m,
  );
  await Deno.remove(file);
  await Deno.remove(same);
});
