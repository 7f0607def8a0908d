/**
 * The producer's stream (`Produce`) over a real gRPC server and store, with a raw grpc-js client:
 * each request answered under its id, a refused request alone (the status its own call would have
 * had, the field named), creates that wait, cancelled waits, and the stream's own bounds (ids, the
 * requests it may hold open, keys, trace context). The SDK's use of it is in sdk_produce_test.ts.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import fc from "fast-check";
import {
  encodeMessage,
  encodeProduceRequest,
  executorNotFoundFromDetails,
  existingTaskIdFromDetails,
  loadProtocol,
  PRODUCE_NOT_RUN_METADATA_KEY,
  PRODUCE_REQUESTS_IN_FLIGHT,
  type ProduceResponseMessage,
  valueFromJson,
  violationsFromDetails,
} from "@tasks-executor/proto";
import { protoRoot } from "../proto/_root.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { startTestManager } from "./_manager.ts";
import { startGrpcStack } from "./fixtures/grpc_stack.ts";
import { stalledCall } from "./fixtures/raw_h2.ts";
import { startSecuredManager } from "./fixtures/secured_manager.ts";

const PRODUCE = "/taskexecutor.v1.TaskExecutorManagerService/Produce";
const NO_TRACE = { traceparent: "", tracestate: "" };

/** A `ProduceRequest` creating a task of `report` with `data`, encoded. */
function produceCreate(requestId: number, data: unknown = null): Uint8Array {
  return loadProtocol().TaskExecutorManagerService.service.Produce.requestSerialize({
    requestId,
    create: { task: { executorName: "report", data: valueFromJson(data) } },
  });
}

const SCHEMA = {
  type: "object",
  properties: { to: { type: "string", format: "email" } },
  required: ["to"],
};

/**
 * One open `Produce` stream and every answer it got, with a way to wait for more; with `raw`, it
 * takes requests as their encoded bytes.
 */
function openProduce(client: grpc.Client, token?: string, options: { raw?: boolean } = {}) {
  const metadata = new grpc.Metadata();
  if (token) metadata.set("authorization", `Bearer ${token}`);
  const method = loadProtocol().TaskExecutorManagerService.service.Produce;
  const stream = client.makeBidiStreamRequest(
    PRODUCE,
    options.raw ? (bytes: Uint8Array) => Buffer.from(bytes) : method.requestSerialize,
    method.responseDeserialize,
    metadata,
  ) as grpc.ClientDuplexStream<unknown, ProduceResponseMessage>;
  const answers: ProduceResponseMessage[] = [];
  const waiters: (() => void)[] = [];
  stream.on("data", (answer: ProduceResponseMessage) => {
    answers.push(answer);
    for (const wake of waiters.splice(0)) wake();
  });
  let ended: grpc.StatusObject | undefined;
  const status = new Promise<grpc.StatusObject>((resolve) =>
    stream.on("status", (status: grpc.StatusObject) => {
      ended = status;
      resolve(status);
      for (const wake of waiters.splice(0)) wake();
    })
  );
  stream.on("error", () => {});
  // Waits for the next answer; fails once the stream is over (the answer waited for never came).
  const next = async (what: string) => {
    if (ended) assert.fail(`the stream ended (${ended.code}: ${ended.details}) before ${what}`);
    await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    stream,
    answers,
    status,
    /** The answers of `id` once its last one (`done`) came. */
    async answersOf(id: number): Promise<ProduceResponseMessage[]> {
      while (!answers.some((a) => a.requestId === id && a.done)) {
        await next(`request ${id} was answered done`);
      }
      return answers.filter((a) => a.requestId === id);
    },
    /** Waits until `id` has `count` answers. */
    async answered(id: number, count: number): Promise<void> {
      while (answers.filter((a) => a.requestId === id).length < count) {
        await next(`request ${id} had ${count} answers`);
      }
    },
  };
}

Deno.test("Produce answers each create under its id, and a refused one alone with its call's status, naming the field; the stream goes on", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", {
    config: { name: "send_email", taskSchema: valueFromJson(SCHEMA) },
  });
  const produce = openProduce(stack.client);
  const task = (data: unknown, executorName = "send_email") => ({
    task: { executorName, data: valueFromJson(data) },
  });
  produce.stream.write({ requestId: 1, create: task({ to: "a@example.com" }) });
  produce.stream.write({ requestId: 2, create: task({ to: "not an address" }) });
  produce.stream.write({ requestId: 3, create: task({ to: "b@example.com" }, "no_such") });
  produce.stream.write({ requestId: 4 });
  produce.stream.write({
    requestId: 5,
    create: {
      task: {
        executorName: "send_email",
        data: valueFromJson({ to: "c@example.com" }),
        idempotencyKey: "once",
      },
    },
  });
  const [made] = await produce.answersOf(1);
  assert.equal(made.done, true);
  assert.equal(made.task?.executorName, "send_email");
  assert.equal(made.task?.status, "TASK_STATUS_PENDING");

  const [bad] = await produce.answersOf(2);
  assert.equal(bad.error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(bad.error!.message, /\/task\/data\/to/);
  assert.deepEqual(violationsFromDetails(bad.error!.details).map((v) => v.field), [
    "/task/data/to",
  ]);
  const [unknown] = await produce.answersOf(3);
  assert.equal(unknown.error?.code, grpc.status.NOT_FOUND);
  assert.match(unknown.error!.message, /no_such/);
  // No kind, or one this manager does not know (a newer client's: its field is not decoded).
  const [empty] = await produce.answersOf(4);
  assert.equal(empty.error?.code, grpc.status.UNIMPLEMENTED);
  assert.match(empty.error!.message, /kind must be create, create_and_watch, watch or cancel/);
  const [first] = await produce.answersOf(5);
  assert.ok(first.task);

  // The same idempotency key again: ALREADY_EXISTS naming the task it made, as CreateTask says.
  produce.stream.write({
    requestId: 6,
    create: {
      task: {
        executorName: "send_email",
        data: valueFromJson({ to: "c@example.com" }),
        idempotencyKey: "once",
      },
    },
  });
  const [again] = await produce.answersOf(6);
  assert.equal(again.error?.code, grpc.status.ALREADY_EXISTS);
  assert.equal(again.error?.existingTaskId, first.task!.id);
  assert.equal(existingTaskIdFromDetails(again.error!.details), first.task!.id);

  produce.stream.end();
  assert.equal((await produce.status).code, grpc.status.OK);
  // What was refused stored nothing: the two creates made two tasks.
  const listed = await stack.call<{ tasks: unknown[] }>("ListTasks", {});
  assert.equal(listed.tasks.length, 2);
});

Deno.test("a create_and_watch on Produce answers the task as stored, then final; a cancel ends only its wait, with CANCELLED", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const produce = openProduce(stack.client);
  const watched = { task: { executorName: "report", data: valueFromJson({ n: 1 }) } };
  produce.stream.write({ requestId: 7, createAndWatch: watched });
  produce.stream.write({ requestId: 8, createAndWatch: watched });
  await produce.answered(7, 1);
  await produce.answered(8, 1);
  const [created7] = produce.answers.filter((a) => a.requestId === 7);
  assert.equal(created7.done, false);
  assert.equal(created7.task?.status, "TASK_STATUS_PENDING");

  // Cancelling the task makes it final: the wait answers it, done.
  await stack.call("CancelTask", { id: created7.task!.id });
  const [, final7] = await produce.answersOf(7);
  assert.equal(final7.done, true);
  assert.equal(final7.task?.id, created7.task!.id);
  assert.equal(final7.task?.status, "TASK_STATUS_CANCELLED");

  // A cancel of request 8 ends its wait; its task stays, pending.
  produce.stream.write({ requestId: 8, cancel: {} });
  const [created8, ended8] = await produce.answersOf(8);
  assert.equal(ended8.error?.code, grpc.status.CANCELLED);
  assert.equal(ended8.done, true);
  const stored = await stack.service.getTask(created8.task!.id);
  assert.equal(stored.status, "pending");
  // A cancel that names no wait does nothing, and ids answered done may be used again.
  produce.stream.write({ requestId: 99, cancel: {} });
  produce.stream.write({ requestId: 7, create: watched });
  await produce.answered(7, 3);
  const reused = produce.answers.filter((a) => a.requestId === 7)[2];
  assert.equal(reused.done, true);
  assert.ok(reused.task);
  // A repeated idempotency key: ALREADY_EXISTS naming the task it made, as CreateAndWatchTask says.
  const keyed = { task: { ...watched.task, idempotencyKey: "once" } };
  produce.stream.write({ requestId: 20, create: keyed });
  const [made] = await produce.answersOf(20);
  produce.stream.write({ requestId: 21, createAndWatch: keyed });
  const [refused] = await produce.answersOf(21);
  assert.equal(refused.done, true);
  assert.equal(refused.error?.code, grpc.status.ALREADY_EXISTS);
  assert.equal(refused.error?.existingTaskId, made.task!.id);
  assert.equal(existingTaskIdFromDetails(refused.error!.details), made.task!.id);
  // A missing executor: NOT_FOUND naming it in an ErrorInfo (EXECUTOR_NOT_FOUND), as CreateTask.
  const missing = { task: { executorName: "nope" } };
  produce.stream.write({ requestId: 22, create: missing });
  produce.stream.write({ requestId: 23, createAndWatch: missing });
  for (const id of [22, 23]) {
    const [gone] = await produce.answersOf(id);
    assert.equal(gone.error?.code, grpc.status.NOT_FOUND);
    assert.equal(executorNotFoundFromDetails(gone.error!.details), "nope");
  }
  produce.stream.end();
  assert.equal((await produce.status).code, grpc.status.OK);
});

Deno.test("a watch on Produce answers each task once final, done on the last, as WatchTasks does; an unknown id is NOT_FOUND, none is INVALID_ARGUMENT naming /taskIds, a cancel ends it with CANCELLED", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const made = async () =>
    (await stack.call<{ task: { id: string } }>("CreateTask", {
      task: { executorName: "report", data: valueFromJson({ n: 1 }) },
    })).task.id;
  const [a, b, c, d] = [await made(), await made(), await made(), await made()];
  await stack.call("CancelTask", { id: c });
  const produce = openProduce(stack.client);
  // Repeats count once; the task final already is answered at once.
  produce.stream.write({ requestId: 1, watch: { taskIds: [a, b, c, a] } });
  await produce.answered(1, 1);
  assert.deepEqual(
    produce.answers.map((answer) => [answer.task?.id, answer.task?.status, answer.done]),
    [[c, "TASK_STATUS_CANCELLED", false]],
  );
  await stack.call("CancelTask", { id: a });
  await produce.answered(1, 2);
  assert.equal(produce.answers[1].done, false);
  await stack.call("CancelTask", { id: b });
  const answers = await produce.answersOf(1);
  assert.deepEqual(answers.map((answer) => [answer.task?.id, answer.done]), [
    [c, false],
    [a, false],
    [b, true],
  ]);

  produce.stream.write({ requestId: 2, watch: { taskIds: ["no_such_task"] } });
  produce.stream.write({ requestId: 3, watch: { taskIds: [] } });
  produce.stream.write({ requestId: 4, watch: { taskIds: [d] } });
  const [missing] = await produce.answersOf(2);
  assert.equal(missing.error?.code, grpc.status.NOT_FOUND);
  assert.match(missing.error!.message, /no_such_task/);
  const [none] = await produce.answersOf(3);
  assert.equal(none.error?.code, grpc.status.INVALID_ARGUMENT);
  assert.deepEqual(violationsFromDetails(none.error!.details).map((v) => v.field), ["/taskIds"]);
  // A cancel ends the wait; the task stays pending, and the manager holds no wait.
  while (stack.service.watch.size < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  produce.stream.write({ requestId: 4, cancel: {} });
  const [cancelled] = await produce.answersOf(4);
  assert.equal(cancelled.error?.code, grpc.status.CANCELLED);
  assert.equal((await stack.service.getTask(d)).status, "pending");
  assert.equal(stack.service.watch.size, 0);
  produce.stream.end();
  assert.equal((await produce.status).code, grpc.status.OK);
});

Deno.test("waits on Produce read a final task only when its answer is written, and a wait's next one after that: a client that reads nothing holds one window of tasks, however many waits it opens", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const { task } = await stack.call<{ task: { id: string } }>("CreateTask", {
      task: { executorName: "report", data: valueFromJson("d".repeat(10_000)) },
    });
    await stack.call("CancelTask", { id: task.id });
    ids.push(task.id);
  }
  // Every whole read of a task waited for is counted.
  let reads = 0;
  const taskGet = stack.store.taskGet.bind(stack.store);
  stack.store.taskGet = (id) => (reads++, taskGet(id));
  // One wait for 20 tasks, and 20 waits for one task each.
  const { requestSerialize } = loadProtocol().TaskExecutorManagerService.service.Produce;
  const watches = [
    requestSerialize({ requestId: 1, watch: { taskIds: ids.slice(0, 20) } }),
    ...ids.slice(20).map((id, i) =>
      requestSerialize({ requestId: i + 2, watch: { taskIds: [id] } })
    ),
  ];
  using call = await stalledCall(stack.server.port, PRODUCE, watches, {
    end: false,
    followWindows: true,
  });
  // Seven answers of 10 KB fill its 64 KiB window (the seventh past it); then no more is read.
  while (reads < 7) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 200));
  // (Up to 4 more may have been read by then, waiting to be written: FINAL_READS_AT_ONCE.)
  assert.ok(reads <= 7 + 4, `${reads} of 40 tasks read for a client that reads nothing`);
  await call.openWindow(2 ** 30);
  while (reads < 40) await new Promise((resolve) => setTimeout(resolve, 5));
});

Deno.test("Produce sends its response headers as it serves the stream, before any request", async () => {
  await using stack = await startGrpcStack();
  // deno-lint-ignore no-explicit-any
  const stream = (stack.client as any).Produce(new grpc.Metadata()) as grpc.ClientDuplexStream<
    unknown,
    unknown
  >;
  stream.on("error", () => {}); // the cancel at the end
  let timer: number | undefined;
  const headers = await Promise.race([
    new Promise((resolve) => stream.once("metadata", () => resolve("headers"))),
    new Promise((resolve) => timer = setTimeout(() => resolve("none within 5 s"), 5000)),
  ]);
  clearTimeout(timer);
  assert.equal(headers, "headers");
  stream.cancel();
});

Deno.test("Produce answers a request the wire check refuses alone, under the id read from its bytes (past MAX_REQUEST_JSON_VALUES, MAX_REQUEST_ELEMENTS or MAX_REQUEST_OBJECT_SHAPES, a map key ending with a backslash, or not protobuf's wire format): the stream goes on, and one whose id cannot be read ends it", async () => {
  const limits = {
    ...DEFAULT_LIMITS,
    requestJsonValues: 100,
    requestElements: 100,
    requestObjectShapes: 10,
  };
  await using stack = await startGrpcStack({ limits });
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const encode = (request: Record<string, unknown>) =>
    encodeMessage("taskexecutor.v1.ProduceRequest", request);
  const produce = openProduce(stack.client, undefined, { raw: true });
  // 200 JSON values; 150 ids (elements); the create's executor name runs past its message; then
  // a create that is fine, and one past the JSON values whose id comes after the refused field.
  produce.stream.write(produceCreate(1, new Array(199).fill(1)));
  const ids = Array.from({ length: 150 }, (_, i) => `id${i}`);
  produce.stream.write(encode({ requestId: 2, watch: { taskIds: ids } }));
  produce.stream.write(Uint8Array.of(0x08, 3, 0x12, 5, 0x0a, 3, 0x0a, 0x7f, 0x61));
  produce.stream.write(produceCreate(4, { fine: true }));
  produce.stream.write(Uint8Array.of(...produceCreate(0, new Array(199).fill(1)), 0x08, 5));
  // An object of 11 names makes 11 shapes; a name ending with a backslash is refused.
  const names = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`n${i}`, i]));
  produce.stream.write(produceCreate(10, names));
  produce.stream.write(produceCreate(11, { "q\\": 1 }));
  const [values] = await produce.answersOf(1);
  assert.equal(values.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(
    values.error!.message,
    /^taskexecutor\.v1\.NewTask\.data takes the request past 100 JSON values/,
  );
  const [elements] = await produce.answersOf(2);
  assert.equal(elements.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(
    elements.error!.message,
    /^taskexecutor\.v1\.WatchTasksRequest\.taskIds takes the request past 100 elements/,
  );
  const [malformed] = await produce.answersOf(3);
  assert.equal(malformed.error?.code, grpc.status.INTERNAL);
  assert.match(
    malformed.error!.message,
    /taskexecutor\.v1\.NewTask\.executorName runs past the end of its message/,
  );
  const [made] = await produce.answersOf(4);
  assert.equal(made.task?.executorName, "report");
  const [late] = await produce.answersOf(5);
  assert.equal(late.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  const [shapes] = await produce.answersOf(10);
  assert.equal(shapes.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(
    shapes.error!.message,
    /^taskexecutor\.v1\.NewTask\.data takes the request to more than 10 object shapes/,
  );
  const [backslash] = await produce.answersOf(11);
  assert.equal(backslash.error?.code, grpc.status.INVALID_ARGUMENT);
  assert.match(backslash.error!.message, /holds a member name that ends with a backslash/);
  produce.stream.end();
  assert.equal((await produce.status).code, grpc.status.OK);
  assert.equal((await stack.call<{ tasks: unknown[] }>("ListTasks", {})).tasks.length, 1);

  // No id can be read: the top level cut short (a length past the message's end), or no id
  // sent. The status ends the stream. A refused request under id 0 is refused as id 0 is.
  const many = { task: { executorName: "report", data: valueFromJson(new Array(199).fill(1)) } };
  for (
    const [bytes, code] of [
      [Uint8Array.of(0x08, 6, 0x12, 0x7f, 0x00), grpc.status.INTERNAL],
      [encode({ create: many }), grpc.status.RESOURCE_EXHAUSTED],
      [encode({ requestId: 0, create: many }), grpc.status.INVALID_ARGUMENT],
    ] as const
  ) {
    const broken = openProduce(stack.client, undefined, { raw: true });
    broken.stream.write(produceCreate(7, { fine: true }));
    await broken.answersOf(7);
    broken.stream.write(bytes);
    // Ended by the client too: a stream the manager let go on would end OK.
    broken.stream.end();
    assert.equal((await broken.status).code, code);
  }

  // A cancel the wire check refuses (its trace context is not UTF-8) ends the wait it names,
  // whose last answer is that status; one naming no wait does nothing, as a cancel does.
  const waits = openProduce(stack.client, undefined, { raw: true });
  const watched = { task: { executorName: "report" } };
  waits.stream.write(encode({ requestId: 8, createAndWatch: watched }));
  await waits.answered(8, 1);
  const badCancel = (id: number) => Uint8Array.of(0x08, id, 0x22, 0x00, 0x2a, 0x01, 0xff);
  waits.stream.write(badCancel(99));
  waits.stream.write(badCancel(8));
  const [created, cancelled] = await waits.answersOf(8);
  assert.equal(created.task?.status, "TASK_STATUS_PENDING");
  assert.equal(cancelled.error?.code, grpc.status.INTERNAL);
  assert.match(cancelled.error!.message, /ProduceRequest\.traceparent is not valid UTF-8/);
  // A refused request under an id in use ends the stream, as any request would.
  waits.stream.write(encode({ requestId: 9, createAndWatch: watched }));
  await waits.answered(9, 1);
  waits.stream.write(encode({ requestId: 9, create: many }));
  assert.equal((await waits.status).code, grpc.status.INVALID_ARGUMENT);
  assert.equal(waits.answers.filter((a) => a.requestId === 99).length, 0);
  assert.equal((await stack.call<{ tasks: unknown[] }>("ListTasks", {})).tasks.length, 6);
});

Deno.test("Produce ends a stream whose request id is 0 or in use, with INVALID_ARGUMENT naming /requestId", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const watched = { task: { executorName: "report" } };
  for (const ids of [[0], [3, 3]]) {
    const produce = openProduce(stack.client);
    for (const id of ids) produce.stream.write({ requestId: id, createAndWatch: watched });
    const status = await produce.status;
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /Request id/);
    const [details] = status.metadata.get("grpc-status-details-bin") as Uint8Array[];
    assert.deepEqual(violationsFromDetails(details).map((v) => v.field), ["/requestId"]);
  }
});

Deno.test(`Produce ends a stream holding more than ${PRODUCE_REQUESTS_IN_FLIGHT} requests open with RESOURCE_EXHAUSTED; the waits it held end`, async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const produce = openProduce(stack.client);
  const watched = { task: { executorName: "report" } };
  for (let id = 1; id <= PRODUCE_REQUESTS_IN_FLIGHT; id++) {
    produce.stream.write({ requestId: id, createAndWatch: watched });
  }
  // Every one of them is open: created, and waiting for its end.
  while (produce.answers.length < PRODUCE_REQUESTS_IN_FLIGHT) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(stack.service.watch.size, PRODUCE_REQUESTS_IN_FLIGHT);
  produce.stream.write({ requestId: PRODUCE_REQUESTS_IN_FLIGHT + 1, createAndWatch: watched });
  const status = await produce.status;
  assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.match(status.details, /requests open/);
  // The one past the cap created nothing.
  const [stats] = await stack.service.taskStats({ executorName: "report" });
  assert.equal(stats.byStatus.pending, PRODUCE_REQUESTS_IN_FLIGHT);
  while (stack.service.watch.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
});

Deno.test("Produce carries each create's trace context from its own message, for both kinds", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  // Raw bytes, as the SDK sends them: the create encoded once, then wrapped.
  // deno-lint-ignore no-explicit-any
  const stream = (stack.client as any).Produce(new grpc.Metadata(), {}) as grpc.ClientDuplexStream<
    unknown,
    ProduceResponseMessage
  >;
  const answers: ProduceResponseMessage[] = [];
  stream.on("data", (answer: ProduceResponseMessage) => answers.push(answer));
  stream.on("error", () => {}); // the cancel at the end
  const kinds = ["create", "createAndWatch"] as const;
  const traceOf = (i: number) => `00-0af7651916cd43dd8448eb211c80319${i}-b7ad6b7169203331-01`;
  const requestType = protoRoot().lookupType("taskexecutor.v1.ProduceRequest");
  for (const [i, kind] of kinds.entries()) {
    const inner = encodeMessage(
      `taskexecutor.v1.${kind === "create" ? "CreateTask" : "CreateAndWatchTask"}Request`,
      {
        task: { executorName: "report" },
      },
    );
    stream.write(requestType.decode(
      encodeProduceRequest(i + 1, kind, inner, { traceparent: traceOf(i), tracestate: `v=${i}` }),
    ));
  }
  while (answers.length < kinds.length) await new Promise((resolve) => setTimeout(resolve, 5));
  for (const [i] of kinds.entries()) {
    const { task } = answers.find((a) => a.requestId === i + 1)!;
    const stored = await stack.store.taskGet(task!.id);
    assert.equal(stored?.traceparent, traceOf(i));
    assert.equal(stored?.tracestate, `v=${i}`);
  }
  stream.cancel();
});

Deno.test("encodeProduceRequest wraps any encoded create or wait as the ProduceRequest it stands for (property)", () => {
  const requestType = protoRoot().lookupType("taskexecutor.v1.ProduceRequest");
  const ascii = fc.string({ unit: fc.constantFrom(..."abcdef0123456789-=,"), maxLength: 60 });
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 0xffff_ffff }),
      fc.constantFrom("create" as const, "createAndWatch" as const),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 200 }),
      ascii,
      ascii,
      (requestId, kind, idempotencyKey, executorName, traceparent, tracestate) => {
        const task = { executorName, idempotencyKey };
        const inner = encodeMessage("taskexecutor.v1.CreateTaskRequest", { task });
        const decoded = requestType.toObject(
          requestType.decode(
            encodeProduceRequest(requestId, kind, inner, { traceparent, tracestate }),
          ),
          { defaults: true, longs: Number, oneofs: true },
        );
        assert.equal(decoded.requestId, requestId);
        assert.equal(decoded.kind, kind);
        assert.equal(decoded[kind].task.executorName, executorName);
        assert.equal(decoded[kind].task.idempotencyKey, idempotencyKey);
        assert.equal(decoded.traceparent, traceparent);
        assert.equal(decoded.tracestate, tracestate);
      },
    ),
  );
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 0xffff_ffff }),
      fc.array(fc.string({ maxLength: 40 }), { maxLength: 50 }),
      (requestId, taskIds) => {
        const inner = encodeMessage("taskexecutor.v1.WatchTasksRequest", { taskIds });
        const decoded = requestType.toObject(
          requestType.decode(encodeProduceRequest(requestId, "watch", inner, NO_TRACE)),
          { defaults: true, longs: Number, oneofs: true },
        );
        assert.equal(decoded.requestId, requestId);
        assert.equal(decoded.kind, "watch");
        assert.deepEqual(decoded.watch.taskIds, taskIds);
      },
    ),
  );
});

Deno.test("Produce opens for a key that may create or read tasks, checks each create and wait as its own call would (scope, executors), and ends when its key is revoked", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "mine" });
  await manager.service.createExecutor({ name: "theirs" });
  const { TaskExecutorManagerService } = loadProtocol();
  const client = new TaskExecutorManagerService(
    manager.grpcAddress,
    grpc.credentials.createInsecure(),
  );
  try {
    const worker = await secured.key({ name: "worker", scopes: ["worker"], executors: ["mine"] });
    const refused = openProduce(client, worker.token);
    refused.stream.write({ requestId: 1, create: { task: { executorName: "mine" } } });
    assert.equal((await refused.status).code, grpc.status.PERMISSION_DENIED);

    // A key that may only read waits on the stream; its creates are refused alone.
    const reader = await secured.key({ name: "reader", scopes: ["read"] });
    const read = openProduce(client, reader.token);
    const { task: done } = await manager.service.createTask({ executorName: "mine" });
    await manager.service.cancelTask(done.id);
    read.stream.write({ requestId: 1, create: { task: { executorName: "mine" } } });
    read.stream.write({ requestId: 2, watch: { taskIds: [done.id] } });
    // Refused for the scope before its task is read, as its own call would be.
    read.stream.write({ requestId: 3, create: {} });
    const [createRefused] = await read.answersOf(1);
    assert.equal(createRefused.error?.code, grpc.status.PERMISSION_DENIED);
    assert.equal((await read.answersOf(3))[0].error?.code, grpc.status.PERMISSION_DENIED);
    const [waited] = await read.answersOf(2);
    assert.equal(waited.task?.status, "TASK_STATUS_CANCELLED");
    read.stream.end();
    assert.equal((await read.status).code, grpc.status.OK);

    const producer = await secured.key({ name: "p", scopes: ["producer"], executors: ["mine"] });
    const produce = openProduce(client, producer.token);
    produce.stream.write({ requestId: 1, create: { task: { executorName: "mine" } } });
    produce.stream.write({ requestId: 2, create: { task: { executorName: "theirs" } } });
    assert.ok((await produce.answersOf(1))[0].task);
    assert.equal((await produce.answersOf(2))[0].error?.code, grpc.status.PERMISSION_DENIED);
    // A watch reads tasks as WatchTasks does: one of an executor the key does not reach is
    // answered as one that does not exist.
    const theirs = await manager.service.createTask({ executorName: "theirs" });
    const mine = (await produce.answersOf(1))[0].task!.id;
    produce.stream.write({ requestId: 3, watch: { taskIds: [mine, theirs.task.id] } });
    const [hidden] = await produce.answersOf(3);
    assert.equal(hidden.error?.code, grpc.status.NOT_FOUND);
    assert.match(hidden.error!.message, new RegExp(theirs.task.id));
    await manager.service.keys.revoke(producer.id);
    const status = await produce.status;
    assert.equal(status.code, grpc.status.UNAUTHENTICATED);
    assert.match(status.details, /revoked/);
  } finally {
    client.close();
  }
});

for (const shut of ["connection and stream", "stream"]) {
  Deno.test(`Produce writes answers only while the client's window is open (${shut} window shut): a client that reads nothing is ended at the cap, not sent answers without end`, async () => {
    await using stack = await startGrpcStack();
    await stack.call("CreateExecutor", { config: { name: "report" } });
    const create = produceCreate;
    const stored = async () =>
      (await stack.service.taskStats({ executorName: "report" }))[0]?.byStatus.pending ?? 0;
    const madeAll = async (count: number) => {
      while (await stored() < count) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    // The first answer (70 KB of data) fills the client's 64 KiB window, and it reads nothing.
    using call = await stalledCall(stack.server.port, PRODUCE, [create(1, "d".repeat(70_000))], {
      end: false,
      followWindows: true,
    });
    // As a grpc-js or grpc-go client whose application reads nothing: its transport keeps the
    // connection's window open, only the stream's stays shut.
    // (Less than 2^31 - 1 with the opening below, which HTTP/2 takes as its most.)
    if (shut === "stream") await call.openConnectionWindow(2 ** 29);
    await madeAll(1);
    // Each create is made; its answer waits for the window, and the request stays open.
    for (let id = 2; id <= PRODUCE_REQUESTS_IN_FLIGHT + 1; id += 100) {
      await call.send(Array.from({ length: 100 }, (_, i) => create(id + i)));
      await madeAll(id + 99);
    }
    // One more passes the cap: refused, and the stream ends. Once the client reads, the answers
    // held back and the stream's end reach it. Had the manager written every answer at once, no
    // request would have stayed open, and this one would have been made like the others.
    const last = PRODUCE_REQUESTS_IN_FLIGHT + 2;
    await call.send([create(last)]);
    await call.openWindow(2 ** 30);
    let closed = false;
    call.closed.then(() => closed = true);
    while (!closed && await stored() < last) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(closed, true, "the create past the cap was made, the stream still open");
    assert.equal(await stored(), PRODUCE_REQUESTS_IN_FLIGHT + 1);
  });
}

Deno.test("a Produce stream gives each request's bytes back once answered, and all of them however it ends: ended by the manager, or cut by the client", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "report" });
  const port = Number(manager.grpcAddress.split(":").at(-1));
  const held = async () => {
    const scrape = await (await fetch(`${manager.httpUrl}/metrics`)).text();
    return Number(/^tasks_executor_request_bytes_in_flight (\d+)$/m.exec(scrape)![1]);
  };
  const until = async (condition: (bytes: number) => boolean) => {
    for (let i = 0; i < 1000; i++) {
      const bytes = await held();
      if (condition(bytes)) return;
      if (i === 999) assert.fail(`the manager holds ${bytes} request bytes`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  for (const end of ["answered", "manager", "unreadable", "client"]) {
    // The first answer fills the client's window: the next creates are made, and their answers
    // (and so their bytes) wait.
    const call = await stalledCall(port, PRODUCE, [produceCreate(1, "d".repeat(70_000))], {
      end: false,
      followWindows: true,
    });
    await call.send([2, 3, 4].map((id) => produceCreate(id, "e".repeat(10_000))));
    await until((bytes) => bytes >= 30_000);
    // What the open stream holds for being open is on a gauge of its own.
    if (end === "answered") {
      // The client reads: each request gives its bytes back as its answer is written, though
      // the stream stays open.
      await call.openWindow(2 ** 30);
      await until((bytes) => bytes === 0);
      let closed = false;
      call.closed.then(() => closed = true);
      await call.send([produceCreate(5, "f".repeat(10_000))]);
      // Once its task is made, its answer is written and its bytes are back: the stream is open.
      const made = async () =>
        (await manager.service.taskStats({ executorName: "report" }))[0].byStatus.pending;
      const before = await made();
      while (await made() === before) await new Promise((resolve) => setTimeout(resolve, 10));
      await until((bytes) => bytes === 0);
      assert.equal(closed, false);
    }
    if (end === "manager") {
      // An id in use: the manager ends the stream, and gives back what it held, though the
      // client has not read the end.
      await call.send([produceCreate(3)]);
      await until((bytes) => bytes === 0);
    }
    if (end === "unreadable") {
      // A request the wire check refuses with no id to read (its top level cut short): its
      // status ends the stream, and what it held goes back at once, as above.
      await call.send([Uint8Array.of(0x12, 0x7f, 0x00)]);
      await until((bytes) => bytes === 0);
    }
    call[Symbol.dispose]();
    await until((bytes) => bytes === 0);
  }
});

Deno.test("a final task's read that does not come back holds back no other answer on the stream", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const { task } = await stack.call<{ task: { id: string } }>("CreateTask", {
    task: { executorName: "report" },
  });
  await stack.call("CancelTask", { id: task.id });
  // Whole reads of tasks waited for hang until released (a store that stalls).
  const release = Promise.withResolvers<void>();
  const taskGet = stack.store.taskGet.bind(stack.store);
  let reading = 0;
  stack.store.taskGet = async (id) => {
    reading++;
    await release.promise;
    return taskGet(id);
  };
  const produce = openProduce(stack.client);
  produce.stream.write({ requestId: 1, watch: { taskIds: [task.id] } });
  while (reading === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  produce.stream.write({ requestId: 2, create: { task: { executorName: "report" } } });
  // Bounded: held back, the create would never be answered while the read hangs.
  const timer = Promise.withResolvers<never>();
  const timeout = setTimeout(() => timer.reject(new Error("the create was held back")), 10_000);
  const [created] = await Promise.race([produce.answersOf(2), timer.promise]);
  clearTimeout(timeout);
  assert.ok(created.task);
  assert.equal(produce.answers.some((answer) => answer.requestId === 1), false);
  release.resolve();
  const [waited] = await produce.answersOf(1);
  assert.equal(waited.task?.status, "TASK_STATUS_CANCELLED");
  produce.stream.end();
  assert.equal((await produce.status).code, grpc.status.OK);
});

Deno.test("a watch on Produce holds its request's bytes until its last answer is written, then gives them back", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "report" });
  const { task } = await manager.service.createTask({ executorName: "report" });
  const port = Number(manager.grpcAddress.split(":").at(-1));
  const held = async () => {
    const scrape = await (await fetch(`${manager.httpUrl}/metrics`)).text();
    return Number(/^tasks_executor_request_bytes_in_flight (\d+)$/m.exec(scrape)![1]);
  };
  const watch = loadProtocol().TaskExecutorManagerService.service.Produce.requestSerialize({
    requestId: 1,
    watch: { taskIds: [task.id] },
  });
  using _call = await stalledCall(port, PRODUCE, [watch], { end: false, followWindows: true });
  while (manager.service.watch.size < 1) await new Promise((resolve) => setTimeout(resolve, 5));
  // Waiting: the ids it names are held, and counted (with the message's 5-byte prefix); what the
  // open stream holds for being open is on a gauge of its own.
  assert.equal(await held(), watch.length + 5);
  await manager.service.cancelTask(task.id);
  for (let i = 0; await held() > 0; i++) {
    if (i === 500) assert.fail(`the manager holds ${await held()} bytes of an answered watch`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
});

Deno.test("a Produce stream of a server that begins to stop answers what it has open, refuses new creates with UNAVAILABLE (nothing made), and ends once answered, saying that what it did not answer was not run: it does not hold the shutdown", async () => {
  await using stack = await startGrpcStack();
  await stack.call("CreateExecutor", { config: { name: "report" } });
  const produce = openProduce(stack.client);
  produce.stream.write({
    requestId: 1,
    createAndWatch: { task: { executorName: "report", data: valueFromJson({ n: 1 }) } },
  });
  await produce.answered(1, 1);
  const watched = produce.answers[0].task!.id;

  const closing = stack.server.close({ graceMs: 10_000 });
  produce.stream.write({
    requestId: 2,
    create: { task: { executorName: "report", data: valueFromJson({ n: 2 }) } },
  });
  const [refused] = await produce.answersOf(2);
  assert.equal(refused.error?.code, grpc.status.UNAVAILABLE);
  assert.match(refused.error!.message, /stopping: the task was not made/);

  // The wait still open is answered when its task ends; then the stream ends, though its client
  // never ended its side (UNAVAILABLE, its trailer saying that what it did not answer was not run),
  // and the server is stopped.
  await stack.service.cancelTask(watched);
  const answers = await produce.answersOf(1);
  assert.equal(answers.at(-1)?.task?.status, "TASK_STATUS_CANCELLED");
  const status = await produce.status;
  assert.equal(status.code, grpc.status.UNAVAILABLE);
  assert.deepEqual(status.metadata.get(PRODUCE_NOT_RUN_METADATA_KEY), ["true"]);
  await closing;
  const { items } = await stack.service.listTasks({});
  assert.deepEqual(items.map((task) => task.id), [watched]);
});
