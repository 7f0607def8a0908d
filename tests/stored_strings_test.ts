/**
 * Strings a worker or client sends that a store keeps read back intact, or are refused naming the
 * field: worker ids (SQLite reads its own text columns back cut at U+0000) are refused with U+0000
 * or ill-formed Unicode; error messages, metadata keys and values read back whole through REST, the
 * worker protocol and the DLQ; every string of an executor's, a schedule's and an API key's
 * configuration past its limit (the README's Limits table, docs/limits.md) is refused, naming it,
 * with nothing stored. On a real manager over each store.
 */
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import { violationsFromMetadata } from "@tasks-executor/proto";
import { InvalidArgumentError } from "../server/domain/errors.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import type { TestManager } from "./_manager.ts";
import { BACKENDS, backendTest } from "./fixtures/backends.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { TestWorker, workerClient } from "./fixtures/test_worker.ts";

/** How a `Work` stream answers a hello: the status it ends with, or `null` for a welcome. */
async function helloAnswer(manager: TestManager, workerId: string) {
  const worker = new TestWorker(manager.grpcAddress);
  const status = new Promise<grpc.StatusObject>((resolve) => worker.call.on("status", resolve));
  worker.send({ hello: { workerId, executors: ["strings"], sdkVersion: "test" } });
  const welcomed = worker.next((m) => m.kind === "welcome").then(() => null, () => null);
  const answer = await Promise.race([status, welcomed]);
  await worker.close();
  return answer &&
    {
      code: answer.code,
      details: answer.details,
      violations: violationsFromMetadata(answer.metadata),
    };
}

/** Longer than `chars` by one character. */
const over = (chars: number) => "x".repeat(chars + 1);

/**
 * A string field of a configuration, the bad values it is sent with, and the fields that carry
 * one (`fields(value)`): a create sends them over a valid configuration, an update (an executor's
 * or a schedule's) alone.
 */
interface BadString {
  what: "executor" | "schedule" | "key";
  field: string;
  values: string[];
  fields: (value: string) => Record<string, unknown>;
}

const { metadataKeyChars, metadataValueChars, scheduleExpressionChars, keyNameChars } =
  DEFAULT_LIMITS;

const BAD_STRINGS: BadString[] = [
  {
    what: "executor",
    field: "/config/name",
    values: ["a\u0000", "a\ud800", "a\\", over(128)],
    fields: (name) => ({ name }),
  },
  {
    what: "executor",
    field: "/config/dlqConfig/queueName",
    values: ["q\u0000", "q\ud800", "q\u0001", over(128)],
    fields: (queueName) => ({ dlqConfig: { enabled: true, queueName } }),
  },
  {
    what: "executor",
    field: "/config/groupKeyPointer",
    values: ["/a\u0000", "/a\ud800", `/${over(255)}`],
    fields: (groupKeyPointer) => ({ groupKeyPointer }),
  },
  {
    what: "executor",
    field: "/config/writeConcern/level",
    values: ["journaled\u0000", "journaled\ud800"],
    fields: (level) => ({ writeConcern: { level } }),
  },
  {
    what: "executor",
    field: "/config/retryPolicy/type",
    values: ["linear\u0000", "linear\ud800"],
    fields: (type) => ({ retryPolicy: { type } }),
  },
  {
    what: "executor",
    field: "/config/timeout",
    values: ["5s\u0000", "5s\ud800"],
    fields: (timeout) => ({ timeout }),
  },
  {
    what: "executor",
    field: "/config/rateLimit/period",
    values: ["1s\u0000", "1s\ud800"],
    fields: (period) => ({ rateLimit: { limit: 1, period } }),
  },
  {
    what: "executor",
    field: "/config/taskSchema/description",
    values: ["d\ud800"],
    fields: (description) => ({ taskSchema: { description } }),
  },
  {
    what: "schedule",
    field: "/name",
    values: ["a\u0000", "a\ud800", "a\\", over(128)],
    fields: (name) => ({ name }),
  },
  {
    what: "schedule",
    field: "/executorName",
    values: ["strings\u0000", "strings\ud800"],
    fields: (executorName) => ({ executorName }),
  },
  {
    what: "schedule",
    field: "/cron",
    values: ["0 0 1 1 *\u0000", "0 0 1 1 \ud800", "0 0 1\u00011 *", `0 0 1 1 ${over(255)}`],
    fields: (cron) => ({ cron }),
  },
  {
    what: "schedule",
    field: "/every",
    values: ["1m\u0000", "1m\ud800", "1m".padStart(scheduleExpressionChars + 1, "0")],
    fields: (every) => ({ cron: null, every }),
  },
  {
    what: "schedule",
    field: "/timezone",
    values: ["UTC\u0000", "UTC\ud800", `Europe/${over(60)}`],
    fields: (timezone) => ({ timezone }),
  },
  {
    what: "schedule",
    field: "/jitter",
    values: ["1s\u0000", "1s\ud800", "1s".padStart(scheduleExpressionChars + 1, "0")],
    fields: (jitter) => ({ jitter }),
  },
  {
    what: "schedule",
    field: "/overlapPolicy",
    values: ["skip\u0000", "skip\ud800"],
    fields: (overlapPolicy) => ({ overlapPolicy }),
  },
  {
    what: "schedule",
    field: "/missedFirePolicy",
    values: ["skip\u0000", "skip\ud800"],
    fields: (missedFirePolicy) => ({ missedFirePolicy }),
  },
  {
    what: "schedule",
    field: "/task/metadata/team",
    values: ["ops\ud800", over(metadataValueChars)],
    fields: (team) => ({ task: { metadata: { team } } }),
  },
  {
    what: "schedule",
    field: `/task/metadata/${over(metadataKeyChars)}`,
    values: ["ops"],
    fields: (value) => ({ task: { metadata: { [over(metadataKeyChars)]: value } } }),
  },
  {
    what: "schedule",
    field: "/task/data/s",
    values: ["s\ud800"],
    fields: (s) => ({ task: { data: { s } } }),
  },
  {
    what: "key",
    field: "/name",
    // Names that look like another ("k", "k x", "café") were taken until 2026-12-08.
    values: [
      "k\u0000",
      "k\ud800",
      "k\u202e",
      "k\u00ad",
      "k\u200b",
      "k\ufeff",
      "k\u00a0x",
      " k",
      "k ",
      "cafe\u0301",
      over(keyNameChars),
    ],
    fields: (name) => ({ name }),
  },
];

/** The requests that carry `fields`: a create, and an update of what `what` keeps. */
function requests(what: BadString["what"], fields: Record<string, unknown>) {
  switch (what) {
    case "executor":
      return [
        ["POST", "/executors", { config: { name: "made", ...fields } }],
        ["PUT", "/executors/strings", { config: fields }],
      ] as const;
    case "schedule":
      return [
        ["POST", "/schedules", {
          name: "made",
          executorName: "strings",
          cron: "0 0 1 1 *",
          ...fields,
        }],
        ["PUT", "/schedules/kept", fields],
      ] as const;
    case "key":
      return [["POST", "/keys", { name: "made", scopes: ["read"], ...fields }]] as const;
  }
}

/** What a manager holds that a configuration's request could change. */
async function stored(manager: TestManager) {
  return await Promise.all(
    ["/executors", "/schedules", "/keys"].map(async (path) => (await restOk(manager, "GET", path))),
  );
}

for (const backend of BACKENDS) {
  const test = (name: string, fn: (manager: TestManager) => Promise<void>) =>
    backendTest(backend, name, async (running) => {
      assert.equal(
        (await rest(running.manager, "POST", "/executors", {
          config: { name: "strings", retryPolicy: { maxAttempts: 1 } },
        })).status,
        201,
      );
      await fn(running.manager);
    }, { RESCUE_INTERVAL_MS: "100" });

  test("a worker id with U+0000 is refused in hello and in unary calls, naming workerId", async (m) => {
    const refused = await helloAnswer(m, "worker-\u0000-1");
    assert.ok(refused, "the hello was welcomed");
    assert.equal(refused.code, 3, refused.details);
    assert.deepEqual(refused.violations, [
      { field: "/hello/workerId", message: "Must not contain U+0000" },
    ]);
    const { client, call } = workerClient(m.grpcAddress);
    try {
      for (
        const [method, request] of [
          ["GetNextTask", { workerId: "w\u0000", executors: ["strings"], maxTasks: 1 }],
          ["ReportResults", { workerId: "w\u0000", results: [] }],
        ] as const
      ) {
        const error = await call(method, request).then(() => null, (e) => e);
        assert.equal(error?.code, 3, `${method}: ${error}`);
        assert.deepEqual(violationsFromMetadata(error.metadata), [
          { field: "/workerId", message: "Must not contain U+0000" },
        ]);
      }
    } finally {
      client.close();
    }
    assert.equal(m.engine.workers.list().length, 0);
  });

  test("a worker id with a lone surrogate is refused by the engine, naming workerId", async (m) => {
    const error = await m.engine.claim("w\ud800", ["strings"], 1).then(() => null, (e) => e);
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.deepEqual(error.violations, [
      { field: "/workerId", message: "Must be well-formed Unicode (no lone surrogate)" },
    ]);
  });

  test("worker ids, error messages and metadata with U+0000 read back whole through REST, the worker and the DLQ", async (m) => {
    const workerId = "wörker-😀-\u0001-" + "w".repeat(200);
    const metadata = { "k\u0000ey": "va\u0000lue", plain: "\u0000" };
    const created = await rest(m, "POST", "/tasks", {
      task: { executorName: "strings", data: { s: "\u0000" }, metadata },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.task.id;
    await using worker = await TestWorker.connect(m.grpcAddress, {
      workerId,
      executors: ["strings"],
    });
    worker.credit("strings", 1);
    const [assignment] = await worker.assigned(1);
    assert.deepEqual(assignment.metadata, metadata);
    assert.equal(assignment.dataJson, JSON.stringify({ s: "\u0000" }));
    const running = (await rest(m, "GET", `/tasks/${id}`)).body.task;
    assert.equal(running.workerId, workerId);

    const message = "boom\u0000tail \u0000 😀";
    const after = worker.received.length;
    worker.result(assignment, { ok: false, error: message, retryable: false });
    assert.deepEqual((await worker.acks(after)).map((a) => a.accepted), [true]);

    const task = (await rest(m, "GET", `/tasks/${id}`)).body.task;
    assert.equal(task.status, "dlq");
    assert.equal(task.workerId, workerId);
    assert.deepEqual(task.errors.map((e: { message: string }) => e.message), [message]);
    assert.equal(task.errors[0].workerId, workerId);
    assert.deepEqual(task.metadata, metadata);
    const listed = (await rest(m, "GET", "/tasks?executorName=strings")).body.tasks[0];
    assert.deepEqual([listed.workerId, listed.errors[0].message], [workerId, message]);
    const entry = (await rest(m, "GET", `/dlq/${id}`)).body.entry;
    assert.deepEqual(entry.task.metadata, metadata);
    assert.deepEqual(entry.task.errors[0].message, message);
    assert.equal(entry.task.errors[0].workerId, workerId);
  });

  test("a manual error message with U+0000 reads back whole; one with a lone surrogate is a 400", async (m) => {
    const created = await rest(m, "POST", "/tasks", { task: { executorName: "strings" } });
    const id = created.body.task.id;
    await using worker = await TestWorker.connect(m.grpcAddress, {
      workerId: "manual",
      executors: ["strings"],
    });
    worker.credit("strings", 1);
    await worker.assigned(1);
    const lone = await fetch(`${m.httpUrl}/api/v1/tasks/${id}/status`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: '{"status":"failed","error":"bad \\ud800"}',
    });
    assert.equal(lone.status, 400);
    assert.deepEqual((await lone.json()).errors.map((e: { field: string }) => e.field), ["/error"]);
    const failed = await rest(m, "PUT", `/tasks/${id}/status`, {
      status: "failed",
      error: "by\u0000hand",
    });
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    const task = (await rest(m, "GET", `/tasks/${id}`)).body.task;
    assert.deepEqual(task.errors.map((e: { message: string }) => e.message), ["by\u0000hand"]);
  });

  test("a DLQ queue name with U+0000 is refused naming the field (queue names are a-z0-9_.-)", async (m) => {
    const answer = await rest(m, "POST", "/executors", {
      config: { name: "queues", dlqConfig: { enabled: true, queueName: "dlq\u0000x" } },
    });
    assert.equal(answer.status, 400);
    assert.deepEqual(
      answer.body.errors.map((e: { field: string }) => e.field),
      ["/config/dlqConfig/queueName"],
    );
  });

  test("each string of an executor's, a schedule's and an API key's configuration past its limits is a 400 naming it, over REST and gRPC, with nothing stored", async (m) => {
    await restOk(m, "POST", "/schedules", {
      name: "kept",
      executorName: "strings",
      cron: "0 0 1 1 *",
    });
    const before = await stored(m);
    for (const { what, field, values, fields } of BAD_STRINGS) {
      for (const value of values) {
        for (const [method, path, body] of requests(what, fields(value))) {
          const label = `${method} ${path} ${field} = ${JSON.stringify(value).slice(0, 40)}`;
          const answer = await rest(m, method, path, body);
          assert.equal(answer.status, 400, `${label}: ${JSON.stringify(answer.body)}`);
          assert.deepEqual(
            answer.body.errors.map((e: { field: string }) => e.field),
            [field],
            label,
          );
        }
      }
    }
    const client = managerClient(Number(m.grpcAddress.split(":").pop()));
    try {
      const schedule = { name: "made", executorName: "strings", cron: "0 0 1 1 *" };
      for (
        const [method, request, field] of [
          [
            "CreateExecutor",
            { config: { name: "made", groupKeyPointer: "/a\u0000" } },
            "/config/groupKeyPointer",
          ],
          [
            "UpdateExecutor",
            { id: "strings", config: { dlqConfig: { enabled: true, queueName: "q\u0000" } } },
            "/config/dlqConfig/queueName",
          ],
          [
            "CreateSchedule",
            { config: { ...schedule, timezone: "UTC\u0000" } },
            "/config/timezone",
          ],
          [
            "CreateSchedule",
            { config: { ...schedule, cron: "0 0 1 1 *\u0000" } },
            "/config/cron",
          ],
          [
            "UpdateSchedule",
            { id: "kept", config: { task: { metadata: { team: over(metadataValueChars) } } } },
            "/config/task/metadata/team",
          ],
          ["CreateKey", { name: "k\u0000", scopes: ["SCOPE_READ"] }, "/name"],
        ] as const
      ) {
        const error = await unary(client, method, request).then(() => null, (e) => e);
        assert.equal(error?.code, 3, `${method} ${field}: ${error}`);
        assert.deepEqual(
          violationsFromMetadata(error.metadata).map((v) => v.field),
          [field],
          `${method} ${field}`,
        );
      }
    } finally {
      client.close();
    }
    assert.deepEqual(await stored(m), before);
  });
}
