/**
 * Property tests: any task within the documented limits — JSON data, metadata, idempotency key,
 * time — created over REST or gRPC reads back equal through REST, gRPC, a worker (the raw worker
 * protocol: what a handler receives) and the DLQ, with results and error messages too; anything
 * outside the limits is refused (400 / INVALID_ARGUMENT) and stores nothing. On each store.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import type {
  AssignmentMessage,
  DlqEntryMessage,
  ResultAckMessage,
  TaskMessage,
} from "@tasks-executor/proto";
import {
  jsonOfValue,
  msFromTimestamp,
  timestampFromMs,
  valueFromJson,
  type ValueMessage,
} from "@tasks-executor/proto";
import { MESSAGE_DEPTH_LIMIT } from "../proto/_root.ts";
import { DEFAULT_LIMITS, MAX_TIME_MS } from "../server/domain/limits.ts";
import type { TestManager } from "./_manager.ts";
import { BACKENDS, backendTest } from "./fixtures/backends.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { workerClient } from "./fixtures/test_worker.ts";

/** Cases per property: enough to find the kind, few enough for well under a minute. */
const RUNS = 40;
const DAY_MS = 86_400_000;
const EXECUTOR = "roundtrip";

// Arbitraries within the limits --------------------------------------------------------------

/** Any Unicode text (U+0000 included, no lone surrogates). */
const text = (maxLength: number, minLength = 0) =>
  fc.string({ unit: "binary", minLength, maxLength });

/** JSON numbers that read back exactly: safe integers and finite doubles within ±(2^53 − 1). */
const number = fc.oneof(
  fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.double({
    min: -Number.MAX_SAFE_INTEGER,
    max: Number.MAX_SAFE_INTEGER,
    noNaN: true,
    noDefaultInfinity: true,
  }).map((n) => (Object.is(n, -0) ? 0 : n)), // JSON has no -0: it reads back as 0
);

/** A member name the manager takes: not ending with a backslash (`endsWithBackslash`). */
const name = (maxLength: number, minLength = 0) =>
  text(maxLength, minLength).filter((key) => !key.endsWith("\\"));

const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text(40),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(name(12), tie("value"), { maxKeys: 5, noNullPrototype: true }),
  ),
})).value;

/** Metadata the manager takes: no key is empty (an empty one could not be searched for). */
const metadata = fc.dictionary(
  name(DEFAULT_LIMITS.metadataKeyChars, 1),
  text(64),
  { maxKeys: 8, noNullPrototype: true },
);

/** A time anywhere the API takes, and how it is written (gRPC only carries epoch ms). */
const time = fc.record({
  ms: fc.integer({ min: DAY_MS, max: MAX_TIME_MS - DAY_MS }),
  offsetMinutes: fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
  form: fc.constantFrom("epoch", "epoch-string", "utc", "offset"),
});

const taskInput = fc.record({
  data: json,
  metadata,
  idempotencyKey: fc.option(text(200, 1).filter((k) => !k.includes("\u0000")), { nil: null }),
  runAt: time,
  via: fc.constantFrom("rest", "grpc"),
  outcome: fc.oneof(
    fc.record({ ok: fc.constant(true as const), result: json }),
    fc.record({ ok: fc.constant(false as const), error: text(200, 1) }),
  ),
});

type TaskCase = typeof taskInput extends fc.Arbitrary<infer T> ? T : never;

/** `ms` written as RFC 3339 with `offsetMinutes` (`±hh:mm`). */
function withOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
  const abs = Math.abs(offsetMinutes);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, "0")}:${
    String(abs % 60).padStart(2, "0")
  }`;
  return `${local}${offsetMinutes < 0 ? "-" : "+"}${hhmm}`;
}

function writeTime(t: TimeCase): unknown {
  switch (t.form) {
    case "epoch":
      return t.ms;
    case "epoch-string":
      return String(t.ms);
    case "utc":
      return new Date(t.ms).toISOString();
    default:
      return withOffset(t.ms, t.offsetMinutes);
  }
}

interface TimeCase {
  ms: number;
  offsetMinutes: number;
  form: "epoch" | "epoch-string" | "utc" | "offset";
}

// Calls -----------------------------------------------------------------------------------------

interface Clients {
  m: TestManager;
  manager: grpc.Client;
  worker: ReturnType<typeof workerClient>;
}

async function withClients(m: TestManager, use: (clients: Clients) => Promise<void>) {
  const manager = managerClient(Number(m.grpcAddress.split(":").pop()));
  const worker = workerClient(m.grpcAddress);
  try {
    await use({ m, manager, worker });
  } finally {
    manager.close();
    worker.client.close();
  }
}

async function storedCount(m: TestManager): Promise<number> {
  return (await restOk(m, "GET", `/tasks?executorName=${EXECUTOR}&limit=1000`)).tasks.length;
}

// Properties ------------------------------------------------------------------------------------

let serial = 0;

async function roundTrip(c: Clients, input: TaskCase): Promise<void> {
  // Keys of earlier cases stay taken: a prefix keeps each case's key its own.
  const idempotencyKey = input.idempotencyKey === null
    ? null
    : `${++serial}:${input.idempotencyKey}`;
  let id: string;
  if (input.via === "rest") {
    const body = {
      task: {
        executorName: EXECUTOR,
        data: input.data,
        metadata: input.metadata,
        runAt: writeTime(input.runAt),
        idempotencyKey,
      },
    };
    id = (await restOk(c.m, "POST", "/tasks", body)).task.id;
  } else {
    const { task } = await unary<{ task: TaskMessage }>(c.manager, "CreateTask", {
      task: {
        executorName: EXECUTOR,
        data: valueFromJson(input.data),
        metadata: input.metadata,
        runAt: timestampFromMs(input.runAt.ms),
        idempotencyKey: idempotencyKey ?? "",
      },
    });
    id = task.id;
  }

  // REST and gRPC read what was sent.
  const viaRest = (await restOk(c.m, "GET", `/tasks/${id}`)).task;
  assert.deepEqual(viaRest.data, input.data);
  assert.deepEqual(viaRest.metadata, input.metadata);
  assert.equal(viaRest.idempotencyKey, idempotencyKey);
  assert.equal(Date.parse(viaRest.runAt), input.runAt.ms);
  const viaGrpc = (await unary<{ task: TaskMessage }>(c.manager, "GetTask", { id })).task;
  assert.deepEqual(jsonOfValue(viaGrpc.data), input.data);
  assert.deepEqual({ ...viaGrpc.metadata }, input.metadata);
  assert.equal(viaGrpc.idempotencyKey, idempotencyKey ?? "");
  assert.equal(msFromTimestamp(viaGrpc.runAt), input.runAt.ms);

  // A worker gets the same data and metadata once the task is due ("retry now").
  await restOk(c.m, "PUT", `/tasks/${id}/status`, { status: "pending" });
  const { tasks } = await c.worker.call<{ tasks: AssignmentMessage[] }>("GetNextTask", {
    workerId: "prop",
    executors: [EXECUTOR],
  });
  assert.equal(tasks.length, 1);
  assert.equal(tasks[0].taskId, id);
  assert.deepEqual(JSON.parse(tasks[0].dataJson), input.data);
  assert.deepEqual({ ...tasks[0].metadata }, input.metadata);

  const outcome = input.outcome;
  const { acks } = await c.worker.call<{ acks: ResultAckMessage[] }>("ReportResults", {
    workerId: "prop",
    results: [
      outcome.ok
        ? {
          taskId: id,
          leaseToken: tasks[0].leaseToken,
          ok: true,
          resultJson: JSON.stringify(outcome.result),
        }
        : {
          taskId: id,
          leaseToken: tasks[0].leaseToken,
          ok: false,
          error: outcome.error,
          retryable: false,
        },
    ],
  });
  assert.equal(acks[0].accepted, true, acks[0].error);

  if (outcome.ok) {
    assert.deepEqual((await restOk(c.m, "GET", `/tasks/${id}`)).task.result, outcome.result);
    const done = (await unary<{ task: TaskMessage }>(c.manager, "GetTask", { id })).task;
    assert.deepEqual(jsonOfValue(done.result), outcome.result);
    return;
  }
  // The DLQ entry holds the task as created and the worker's message.
  const entry = (await restOk(c.m, "GET", `/dlq/${id}`)).entry;
  assert.deepEqual(entry.task.data, input.data);
  assert.deepEqual(entry.task.metadata, input.metadata);
  assert.equal(entry.task.idempotencyKey, idempotencyKey);
  assert.equal(entry.task.errors[0].message, outcome.error);
  const grpcEntry = (await unary<{ entry: DlqEntryMessage }>(c.manager, "GetDlqEntry", { id }))
    .entry;
  assert.deepEqual(jsonOfValue(grpcEntry.task!.data), input.data);
  assert.equal(grpcEntry.task!.errors[0].message, outcome.error);
}

/** Inputs just outside one limit each, as JSON text (so that non-finite numbers can be written). */
interface BadCase {
  /** The JSON pointer (below the task) the answer must name. */
  field: RegExp;
  dataJson?: string;
  metadata?: Record<string, string>;
  idempotencyKey?: string;
  runAt?: number | string;
}

const badInput: fc.Arbitrary<BadCase> = fc.oneof<fc.Arbitrary<BadCase>[]>(
  fc.integer({ min: DEFAULT_LIMITS.jsonDepth + 1, max: 5000 }).map((depth) => ({
    field: /^\/data(\/0)+$/,
    dataJson: "[".repeat(depth) + "]".repeat(depth),
  })),
  fc.constantFrom("1e400", "-1e400", "12345678901234567890", "9007199254740992", "-1e20").chain(
    (n) =>
      json.map((inner) => ({
        field: /^\/data\/n$/,
        dataJson: `{"pad":${JSON.stringify(inner)},"n":${n}}`,
      })),
  ),
  fc.constantFrom("\\ud800", "a\\udfff", "\\udc00\\ud800").map((lone) => ({
    field: /^\/data\/s$/,
    dataJson: `{"s":"${lone}"}`,
  })),
  text(DEFAULT_LIMITS.idempotencyKeyChars + 20, DEFAULT_LIMITS.idempotencyKeyChars + 1)
    .filter((k) => k.length > DEFAULT_LIMITS.idempotencyKeyChars)
    .map((key) => ({ field: /^\/idempotencyKey$/, idempotencyKey: key })),
  fc.tuple(text(20), text(20)).map(([a, b]) => ({
    field: /^\/idempotencyKey$/,
    idempotencyKey: `${a}\u0000${b}`,
  })),
  fc.integer({ min: DEFAULT_LIMITS.metadataEntries + 1, max: 200 }).map((n) => ({
    field: /^\/metadata$/,
    metadata: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"])),
  })),
  fc.integer({ min: DEFAULT_LIMITS.metadataValueChars + 1, max: 10_000 }).map((n) => ({
    field: /^\/metadata\/v$/,
    metadata: { v: "x".repeat(n) },
  })),
  text(64).map((value) => ({ field: /^\/metadata\/$/, metadata: { "": value } })),
  fc.oneof(
    fc.integer({ min: MAX_TIME_MS + 1, max: Number.MAX_SAFE_INTEGER }),
    fc.integer({ min: DAY_MS, max: MAX_TIME_MS - DAY_MS }).map((ms) =>
      new Date(ms).toISOString().slice(0, -1) // no offset
    ),
    fc.constantFrom("tomorrow", "2030-06-01", "Sat Jun 01 2030", "2030-06-01T12:00:00+0200"),
  ).map((runAt) => ({ field: /^\/runAt$/, runAt })),
);

/**
 * A bad case's data as the `google.protobuf.Value` a protobuf client sends (`null` for none), or
 * `undefined` when none can: protobuf strings are UTF-8, which has no lone surrogates, and an
 * encoder stops at MESSAGE_DEPTH_LIMIT nested messages (three per JSON level). Big numbers arrive
 * as the nearest double, still beyond ±(2^53 − 1); `1e400` as infinity.
 */
function grpcDataOf(dataJson: string | undefined): ValueMessage | null | undefined {
  if (dataJson === undefined) return null;
  const data = JSON.parse(dataJson);
  const strings = JSON.stringify(data).match(/"(?:[^"\\]|\\.)*"/g) ?? [];
  if (strings.some((text) => !(JSON.parse(text) as string).isWellFormed())) return undefined;
  // Deepest nesting, walked without recursion (the cases go thousands deep).
  let deepest = 0;
  const stack: [unknown, number][] = [[data, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    if (value !== null && typeof value === "object") {
      for (const child of Object.values(value)) stack.push([child, depth + 1]);
    }
  }
  return 3 * deepest + 8 > MESSAGE_DEPTH_LIMIT ? undefined : valueFromJson(data);
}

async function refusedEverywhere(c: Clients, bad: BadCase): Promise<void> {
  const fields = [
    `"executorName":"${EXECUTOR}"`,
    bad.dataJson === undefined ? null : `"data":${bad.dataJson}`,
    bad.metadata === undefined ? null : `"metadata":${JSON.stringify(bad.metadata)}`,
    bad.idempotencyKey === undefined
      ? null
      : `"idempotencyKey":${JSON.stringify(bad.idempotencyKey)}`,
    bad.runAt === undefined ? null : `"runAt":${JSON.stringify(bad.runAt)}`,
  ].filter((f) => f !== null);
  const answer = await rest(c.m, "POST", "/tasks", `{"task":{${fields.join(",")}}}`);
  assert.equal(answer.status, 400, JSON.stringify(answer.body));
  assert.ok(
    answer.body.errors.some((e: { field: string }) => bad.field.test(e.field.replace("/task", ""))),
    JSON.stringify(answer.body.errors),
  );

  // gRPC carries times as epoch ms only: a time that is not a number is a REST-only case, and so
  // is data no protobuf client can send (see grpcDataOf).
  const data = grpcDataOf(bad.dataJson);
  if (typeof bad.runAt !== "string" && data !== undefined) {
    const call = unary(c.manager, "CreateTask", {
      task: {
        executorName: EXECUTOR,
        data,
        metadata: bad.metadata ?? {},
        runAt: typeof bad.runAt === "number" ? timestampFromMs(bad.runAt) : null,
        idempotencyKey: bad.idempotencyKey ?? "",
      },
    });
    await assert.rejects(call, (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT);
  }
  assert.equal(await storedCount(c.m), 0);
}

for (const backend of BACKENDS) {
  const test = (name: string, fn: (c: Clients) => Promise<void>) =>
    backendTest(backend, name, async (running) => {
      await restOk(running.manager, "POST", "/executors", {
        config: { name: EXECUTOR, retryPolicy: { maxAttempts: 1 }, dlqConfig: { enabled: true } },
      });
      await withClients(running.manager, fn);
    });

  test("any task within the limits reads back equal through REST, gRPC, a worker and the DLQ", (c) =>
    fc.assert(fc.asyncProperty(taskInput, (input) => roundTrip(c, input)), { numRuns: RUNS }));

  test("any task outside one limit is refused over REST and gRPC and stores nothing", (c) =>
    fc.assert(fc.asyncProperty(badInput, (bad) => refusedEverywhere(c, bad)), { numRuns: RUNS }));
}
