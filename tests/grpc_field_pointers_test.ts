/**
 * How a gRPC answer names a bad field: the JSON pointer of the field in the request message as
 * proto3 JSON spells it (`/limit`, `/createdAfter`, `/status/0`), in the `google.rpc.BadRequest`
 * detail and in the status message (`field: message`), whichever layer found the fault. REST
 * names a query parameter by its bare name (`limit`), which is not a gRPC client's field.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  executorNotFoundFromMetadata,
  valueFromJson,
  violationsFromMetadata,
} from "@tasks-executor/proto";
import { rejectsWith, startGrpcStack } from "./fixtures/grpc_stack.ts";
import { createEmailExecutor } from "./fixtures/email_executor.ts";
import {
  failureOf,
  grpcClients,
  startSecuredManager,
  unaryCall,
} from "./fixtures/secured_manager.ts";

// deno-lint-ignore no-explicit-any
type Msg = Record<string, any>;

const HOUR = 3_600;
const NOW = Math.floor(Date.now() / 1000);

/**
 * Asserts that `error` names exactly `fields` in its `BadRequest`, and names each of them in its
 * message before what is wrong with it, in the one form (`Invalid page: /limit: Must be …`):
 * not a message of its own words with the violation added after it in brackets ("Invalid
 * fires: must be … (/fires: Must be …)"), and another field named by its pointer (`/to`).
 */
function assertNames(error: grpc.ServiceError, fields: string[], what: string): void {
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT, `${what}: ${error.details}`);
  const violations = violationsFromMetadata(error.metadata);
  assert.deepEqual(violations.map((v) => v.field), fields, `${what}: ${error.details}`);
  for (const v of violations) {
    assert.ok(
      error.details.includes(`: ${v.field}: ${v.message}`),
      `${what}: "${error.details}" names ${v.field}: ${v.message}`,
    );
    assert.ok(!error.details.includes(`(${v.field}: `), `${what}: "${error.details}"`);
  }
}

Deno.test("ListTasks names every bad field by its pointer, the service's page and filter checks as the adapter's own", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  for (
    const [request, fields] of [
      // Found by the service's paging, which names REST's query parameter `limit`.
      [{ limit: 5000 }, ["/limit"]],
      [{ cursor: "not a cursor" }, ["/cursor"]],
      [{ executorName: "Not A Name" }, ["/executorName"]],
      // An inverted time range, found by the service's filter.
      [
        { createdAfter: { seconds: NOW }, createdBefore: { seconds: NOW - HOUR } },
        ["/createdAfter"],
      ],
      // Found by the adapter while reading the message.
      [{ createdAfter: { seconds: NOW, nanos: -1 } }, ["/createdAfter"]],
      [{ status: ["TASK_STATUS_PENDING", 0] }, ["/status/1"]],
    ] as const
  ) {
    const error = await rejectsWith(stack.call("ListTasks", request), grpc.status.INVALID_ARGUMENT);
    assertNames(error, [...fields], `ListTasks ${JSON.stringify(request)}`);
  }
  const limit = await rejectsWith(
    stack.call("ListTasks", { limit: 5000 }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.equal(limit.details, "Invalid task filter: /limit: Must be a whole number from 1 to 1000");
});

Deno.test("the other lists, the search, the bulk calls, history and schedules name their fields by pointer", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "job" } });
  await stack.call("CreateSchedule", {
    config: { name: "nightly", executorName: "job", cron: "0 3 * * *" },
  });
  const cases: [string, Msg, string[]][] = [
    ["ListExecutors", { limit: 5000 }, ["/limit"]],
    ["ListExecutors", { cursor: "Not a name" }, ["/cursor"]],
    ["ListDlq", { limit: 5000 }, ["/limit"]],
    ["ListDlq", { executorName: "Not A Name" }, ["/executorName"]],
    ["ListKeys", { limit: 5000 }, ["/limit"]],
    ["ListWorkers", { limit: 5000 }, ["/limit"]],
    ["SearchTasks", { metadataKey: "k", limit: 5000 }, ["/limit"]],
    ["SearchTasks", { dataPointer: "/orderId" }, ["/dataValue"]],
    ["DeleteTasks", {}, ["/confirm"]],
    ["CancelTasks", { status: ["TASK_STATUS_COMPLETED"], confirm: true }, ["/status"]],
    ["RetryTasks", { createdAfter: { seconds: NOW }, createdBefore: { seconds: NOW - HOUR } }, [
      "/createdAfter",
    ]],
    ["PurgeDlq", {}, ["/confirm"]],
    ["GetHistory", { from: { seconds: NOW }, to: { seconds: NOW - HOUR } }, ["/from"]],
    ["GetHistory", { step: { seconds: 30 } }, ["/step"]],
    ["ListSchedules", { limit: 5000 }, ["/limit"]],
    ["GetSchedule", { id: "nightly", fires: 100_000 }, ["/fires"]],
    ["PreviewSchedule", { config: { cron: "0 3 * * *" }, count: 100_000 }, ["/count"]],
    ["CreateTasks", { tasks: [], view: 9 }, ["/view"]],
    ["UpdateExecutor", { id: "job", config: { name: "other" } }, ["/config/name"]],
    ["CreateExecutor", {
      config: { name: "bad", taskSchema: valueFromJson({ properties: { n: { pattern: "(" } } }) },
    }, ["/config/taskSchema/properties/n/pattern"]],
  ];
  for (const [method, request, fields] of cases) {
    const error = await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT);
    assertNames(error, fields, `${method} ${JSON.stringify(request)}`);
  }
  // Another field is named by its pointer in the request, as the field itself is.
  const named = async (method: string, request: Msg) =>
    violationsFromMetadata(
      (await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT)).metadata,
    )[0].message;
  const history = { from: { seconds: NOW }, to: { seconds: NOW - HOUR } };
  assert.equal(await named("GetHistory", history), "Must be before /to");
  assert.equal(
    await named("SearchTasks", { dataValue: valueFromJson("x") }),
    "Must be given with /dataValue",
  );
  const inverted = { createdAfter: { seconds: NOW }, createdBefore: { seconds: NOW - HOUR } };
  assert.equal(await named("ListTasks", inverted), "Must be before /createdBefore");
  const both = { name: "s", executorName: "job", cron: "0 3 * * *", every: { seconds: 60 } };
  assert.equal(
    await named("CreateSchedule", { config: both }),
    "Give either /config/cron or /config/every, not both",
  );
  const ends = {
    ...both,
    every: undefined,
    startAt: { seconds: NOW + HOUR },
    endAt: { seconds: NOW },
  };
  assert.equal(
    await named("CreateSchedule", { config: ends }),
    "Must not be before /config/startAt",
  );
});

Deno.test("the service keeps naming a query parameter by its name, as REST answers it", async () => {
  await using stack = await startGrpcStack();
  const error = await (async () => await stack.service.listTasks({}, { limit: 5000 }))()
    .catch((e) => e);
  assert.deepEqual(error.violations.map((v: { field: string }) => v.field), ["limit"]);
});

Deno.test("a key limited to other executors is refused over gRPC naming the filter field by pointer", async () => {
  await using secured = await startSecuredManager();
  await secured.manager.service.createExecutor({ name: "mine" });
  await secured.manager.service.createExecutor({ name: "theirs" });
  const reader = await secured.key({ name: "p", scopes: ["producer"], executors: ["mine"] });
  using clients = grpcClients(secured.manager.grpcAddress);
  const error = await failureOf(
    unaryCall(clients.manager, "ListTasks", { executorName: "theirs" }, reader.token),
  );
  assert.equal(error.code, grpc.status.PERMISSION_DENIED, error.details);
  assert.match(error.details, /may not .* for "theirs" \(\/executorName\)$/);
});

Deno.test("the schedule calls name a field of the config under /config, as CreateExecutor does, and keep /id and /count", async () => {
  await using stack = await startGrpcStack();
  await createEmailExecutor(stack);
  await stack.call("CreateExecutor", { config: { name: "job" } });
  await stack.call("CreateSchedule", {
    config: { name: "nightly", executorName: "job", cron: "0 3 * * *" },
  });
  const valid = { name: "s", executorName: "job", cron: "0 3 * * *" };
  const cases: [string, Msg, string[]][] = [
    // Found by the service, which names REST's bare body from its root (`/cron`).
    ["CreateSchedule", { config: { ...valid, cron: "not a cron" } }, ["/config/cron"]],
    ["CreateSchedule", { config: { ...valid, name: "Not A Name" } }, ["/config/name"]],
    ["CreateSchedule", { config: { ...valid, maxMissedFires: 1000 } }, ["/config/maxMissedFires"]],
    ["CreateSchedule", { config: { name: "s", cron: "0 3 * * *" } }, ["/config/executorName"]],
    // The executor's schema, checked against the task's data.
    [
      "CreateSchedule",
      {
        config: { ...valid, executorName: "send_email", task: { data: valueFromJson({ to: 1 }) } },
      },
      ["/config/task/data/to"],
    ],
    // Found by the adapter while reading the message.
    [
      "CreateSchedule",
      { config: { ...valid, cron: "", every: { seconds: -1 } } },
      ["/config/every"],
    ],
    ["UpdateSchedule", { id: "nightly", config: { timezone: "Mars/Olympus" } }, [
      "/config/timezone",
    ]],
    ["UpdateSchedule", { id: "nightly", config: { cron: "0 0 30 2 *" } }, ["/config/cron"]],
    // Outside `config`: named as they are.
    ["UpdateSchedule", { id: "Not A Name!", config: { cron: "0 4 * * *" } }, ["/id"]],
    ["PreviewSchedule", { config: { cron: "not a cron" } }, ["/config/cron"]],
    [
      "PreviewSchedule",
      { config: { cron: "0 3 * * *", startAt: { seconds: NOW + HOUR }, endAt: { seconds: NOW } } },
      ["/config/endAt"],
    ],
    ["PreviewSchedule", { config: { cron: "0 3 * * *" }, count: 100_000 }, ["/count"]],
  ];
  for (const [method, request, fields] of cases) {
    const error = await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT);
    assertNames(error, fields, `${method} ${JSON.stringify(request)}`);
  }
  const bad = await rejectsWith(
    stack.call("CreateSchedule", { config: { ...valid, cron: "not a cron" } }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(bad.details, /^Invalid schedule: \/config\/cron: /);
  // A message quoting the client's text names the field under /config, and quotes the text as
  // given, a slash-word in it too: only pointers are renamed.
  const quoted = await rejectsWith(
    stack.call("CreateSchedule", { config: { ...valid, cron: "0 /hour * * *" } }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(quoted.details, /^Invalid schedule: \/config\/cron: .*\(\/hour\)/);
  assert.doesNotMatch(quoted.details, /\/config\/hour/);
  assert.deepEqual(
    violationsFromMetadata(quoted.metadata).map((v) => [v.field, /\(\/hour\)/.test(v.message)]),
    [["/config/cron", true]],
  );
  // A message naming another field of the config names it under /config too.
  const both = await rejectsWith(
    stack.call("CreateSchedule", { config: { ...valid, every: { seconds: 60 } } }),
    grpc.status.INVALID_ARGUMENT,
  );
  assert.match(both.details, /Give either \/config\/cron or \/config\/every, not both/);
  // A missing executor is no bad field: NOT_FOUND with the EXECUTOR_NOT_FOUND detail, as a task's
  // create for one answers.
  for (
    const [method, request, what] of [
      ["CreateSchedule", { config: { ...valid, executorName: "nope" } }, "create"],
      ["UpdateSchedule", { id: "nightly", config: { executorName: "nope" } }, "change"],
    ] as const
  ) {
    const missing = await rejectsWith(stack.call(method, request), grpc.status.NOT_FOUND);
    // Naming the field that named it, under /config as every field of the config.
    assert.equal(
      missing.details,
      `Cannot ${what} schedule: /config/executorName: Executor "nope" does not exist`,
    );
    assert.equal(executorNotFoundFromMetadata(missing.metadata), "nope");
  }
});

Deno.test("a key limited to other executors is refused a schedule naming /config/executorName", async () => {
  await using secured = await startSecuredManager();
  await secured.manager.service.createExecutor({ name: "mine" });
  await secured.manager.service.createExecutor({ name: "theirs" });
  const writer = await secured.key({ name: "w", scopes: ["producer"], executors: ["mine"] });
  using clients = grpcClients(secured.manager.grpcAddress);
  const error = await failureOf(
    unaryCall(clients.manager, "CreateSchedule", {
      config: { name: "s", executorName: "theirs", cron: "0 3 * * *" },
    }, writer.token),
  );
  assert.equal(error.code, grpc.status.PERMISSION_DENIED, error.details);
  assert.match(error.details, /"theirs" \(\/config\/executorName\)$/);
});

Deno.test("a Timestamp before 1970 is refused in gRPC's words, naming the field, on every call that takes a time; REST keeps its own", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "job" } });
  const before = { seconds: -1 };
  const filters = ["createdAfter", "createdBefore", "finishedAfter", "finishedBefore"];
  const schedule = { name: "s", executorName: "job", cron: "0 3 * * *" };
  const cases: [string, Msg, string][] = [
    ["CreateTask", { task: { executorName: "job", runAt: before } }, "/task/runAt"],
    [
      "CreateTasks",
      { tasks: [{ executorName: "job" }, { executorName: "job", runAt: before }] },
      "/tasks/1/runAt",
    ],
    ...["ListTasks", "DeleteTasks", "CancelTasks", "RetryTasks"].flatMap((method) =>
      filters.map((field): [string, Msg, string] => [method, { [field]: before }, `/${field}`])
    ),
    ["PurgeDlq", { deadBefore: before }, "/deadBefore"],
    ["RequeueDlq", { deadBefore: before }, "/deadBefore"],
    ["GetHistory", { from: before }, "/from"],
    ["GetHistory", { to: before }, "/to"],
    ["CreateSchedule", { config: { ...schedule, startAt: before } }, "/config/startAt"],
    ["CreateSchedule", { config: { ...schedule, endAt: before } }, "/config/endAt"],
    ["PreviewSchedule", { config: { cron: "0 3 * * *", startAt: before } }, "/config/startAt"],
  ];
  for (const [method, request, field] of cases) {
    const what = `${method} ${JSON.stringify(request)}`;
    const error = await rejectsWith(stack.call(method, request), grpc.status.INVALID_ARGUMENT);
    assert.deepEqual(violationsFromMetadata(error.metadata).map((v) => v.field), [field], what);
    assert.match(
      error.details,
      new RegExp(`${field}: Must be a Timestamp from 1970-01-01T00:00:00Z \\(seconds 0\\) to `),
      what,
    );
    assert.doesNotMatch(error.details, /RFC 3339|epoch milliseconds/, what);
  }
  // The service, which REST calls with its query's text or a body's number, words REST's forms.
  await assert.rejects(
    async () => await stack.service.listTasks({ createdAfter: "-1" }),
    (error: Error) =>
      /createdAfter: Must be an RFC 3339 time .* or epoch milliseconds/.test(error.message),
  );
});
