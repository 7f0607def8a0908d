/**
 * What a worker sends and holds is bounded, and no result can poison the others: over-limit and
 * invalid results fail their own attempt, credits and unsettled tasks per stream are capped, and a
 * stream that does not read gets nothing more — over the raw protocol and with SDK processes.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  type AssignmentMessage,
  loadProtocol,
  type ResultAckMessage,
  type WorkRequest,
  type WorkResponse,
} from "@tasks-executor/proto";
import { DEFAULT_LIMITS, type Limits } from "../server/domain/limits.ts";
import { MEMBER_GIVEN_TWICE } from "@tasks-executor/proto/json-text";
import type { Task } from "../server/domain/task.ts";
import { Client } from "../sdk/mod.ts";
import { fitResult } from "../sdk/_run.ts";
import { startTestManager } from "./_manager.ts";
import { AnswerBytesInFlight } from "../server/grpc/answer_bytes.ts";
import { parseResults, TURN_BEFORE_BYTES } from "../server/grpc/worker_service.ts";
import { PROGRESS_CHUNK_CHARS, readProgressInSlices } from "../server/engine/progress.ts";
import { RESCUE_BATCH } from "../server/engine/rescuer.ts";
import { ADOPT_CHUNK } from "../server/engine/engine.ts";
import type { WorkerSession } from "../server/engine/worker_registry.ts";
import { startEngineStack } from "./fixtures/engine_stack.ts";
import { stalledCall } from "./fixtures/raw_h2.ts";
import { spawnDenoWorker } from "./fixtures/sdk_process.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { TestWorker, workerClient } from "./fixtures/test_worker.ts";

const SMALL: Limits = {
  ...DEFAULT_LIMITS,
  resultBytes: 64 * 1024,
  errorMessageChars: 200,
  creditsPerExecutor: 20,
  assignmentsInFlight: 50,
};

type Stack = Awaited<ReturnType<typeof startEngineStack>>;

/** How many tasks of one executor are in each status. */
async function counts(stack: Stack, executorName: string): Promise<Record<string, number>> {
  const stats = await stack.store.taskStats({ now: Date.now() });
  return stats.find((s) => s.executorName === executorName)?.byStatus ?? {};
}

async function settled(stack: Stack, ids: string[]): Promise<Task[]> {
  const ended = (t: Task) => t.status !== "pending" && t.status !== "in_progress";
  return await Promise.all(ids.map((id) => stack.waitForTask(id, ended)));
}

Deno.test("one result over resultBytes in a batch of 20 fails only its attempt; the 19 complete on the same stream", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "batch" });
  const ids = await stack.enqueue("batch", Array.from({ length: 20 }, (_, n) => n));
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["batch"],
  });
  worker.credit("batch", 20);
  const tasks = await worker.assigned(20);
  const big = tasks[7];
  const after = worker.received.length;
  worker.send({
    results: {
      results: tasks.map((t) => ({
        taskId: t.taskId,
        leaseToken: t.leaseToken,
        ok: true,
        resultJson: JSON.stringify(t === big ? "x".repeat(70 * 1024) : { n: t.dataJson }),
      })),
    },
  });
  const acks = await worker.acks(after);
  assert.equal(acks.length, 20);
  assert.ok(acks.every((a) => a.accepted), JSON.stringify(acks.filter((a) => !a.accepted)));
  const byId = new Map((await settled(stack, ids)).map((t) => [t.id, t]));
  const failed = byId.get(big.taskId)!;
  assert.equal(failed.status, "dlq");
  assert.equal(failed.result, null);
  assert.match(
    failed.errors[0].message,
    /^Result cannot be stored as it is: \/result: Must be at most \d+ bytes of JSON \(the manager's limit\), not 71682$/,
  );
  for (const t of tasks) {
    if (t !== big) assert.equal(byId.get(t.taskId)!.status, "completed");
  }
  // The stream is still open and serving.
  await stack.enqueue("batch", [99]);
  worker.credit("batch", 1);
  await worker.assigned(21);
});

Deno.test("results that are not JSON, hold a non-finite number or nest too deep fail their own attempt, naming why", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "bad" });
  const ids = await stack.enqueue("bad", [1, 2, 3, 4]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["bad"],
  });
  worker.credit("bad", 4);
  const tasks = await worker.assigned(4);
  const bodies = ["{not json", '{"n":1e400}', "[".repeat(100) + "]".repeat(100), '{"fine":true}'];
  const after = worker.received.length;
  worker.send({
    results: {
      results: tasks.map((t, i) => ({
        taskId: t.taskId,
        leaseToken: t.leaseToken,
        ok: true,
        resultJson: bodies[i],
      })),
    },
  });
  await worker.acks(after);
  const byId = new Map((await settled(stack, ids)).map((t) => [t.id, t]));
  const [notJson, infinite, deep, fine] = tasks.map((t) => byId.get(t.taskId)!);
  assert.equal(notJson.status, "dlq");
  assert.match(notJson.errors[0].message, /^Result is not valid JSON/);
  assert.equal(infinite.status, "dlq");
  assert.match(infinite.errors[0].message, /\/result\/n: Must be a finite number/);
  assert.equal(deep.status, "dlq");
  assert.match(deep.errors[0].message, /deeper than 64/);
  assert.equal(fine.status, "completed");
  assert.deepEqual(fine.result, { fine: true });
});

Deno.test("an error message over errorMessageChars is cut to the limit and marked as cut", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "err", retryPolicy: { type: "constant", interval: 60_000 } });
  const [id] = await stack.enqueue("err", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["err"],
  });
  worker.credit("err", 1);
  const [a] = await worker.assigned(1);
  worker.result(a, { ok: false, error: "e".repeat(100_000), retryable: true });
  const task = await stack.waitForTask(id, (t) => t.errors.length === 1);
  assert.equal(task.status, "pending");
  const message = task.errors[0].message;
  assert.equal(message.length, 200);
  assert.match(message, /^e+ … \[cut from 100000 characters\]$/);
});

Deno.test("a failure with an out-of-range field fails its attempt without retry, naming the field", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "odd" });
  const [id] = await stack.enqueue("odd", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["odd"],
  });
  worker.credit("odd", 1);
  const [a] = await worker.assigned(1);
  // Only DLQ_REASON_VALIDATION is the worker's to claim.
  worker.result(a, {
    ok: false,
    error: "boom",
    retryable: true,
    failureReason: "DLQ_REASON_TIMEOUT",
  });
  const task = await stack.waitForTask(id, (t) => t.status === "dlq");
  assert.match(
    task.errors[0].message,
    /\/failureReason: Must be unspecified or DLQ_REASON_VALIDATION.*boom/,
  );
});

Deno.test("a failure with a negative or malformed retry_after Duration fails its attempt without retry, naming the field", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "back" });
  const ids = await stack.enqueue("back", [1, 2]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["back"],
  });
  worker.credit("back", 2);
  const [a, b] = await worker.assigned(2);
  worker.result(a, { ok: false, error: "boom", retryable: true, retryAfter: { seconds: -5 } });
  // duration.proto: nanos carry the sign of seconds, and stay under a second.
  worker.result(b, {
    ok: false,
    error: "boom",
    retryable: true,
    retryAfter: { seconds: 1, nanos: 1_500_000_000 },
  });
  const [first, second] = await Promise.all(
    [a, b].map((x) => stack.waitForTask(x.taskId, (t) => t.status === "dlq")),
  );
  assert.deepEqual([a.taskId, b.taskId].sort(), [...ids].sort());
  assert.match(first.errors[0].message, /\/retryAfter: Must be zero or more.*boom/);
  assert.match(
    second.errors[0].message,
    /\/retryAfter: nanos must be -999999999 to 999999999.*boom/,
  );
});

Deno.test("results without a usable task id or lease token are refused by ack and the stream goes on", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "ids" });
  const [id] = await stack.enqueue("ids", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["ids"],
  });
  worker.credit("ids", 1);
  const [a] = await worker.assigned(1);
  const after = worker.received.length;
  worker.send({
    results: {
      results: [
        { taskId: "t".repeat(10_000), leaseToken: a.leaseToken, ok: true },
        { taskId: a.taskId, leaseToken: "", ok: true },
        { taskId: a.taskId, leaseToken: a.leaseToken, ok: true, resultJson: '"done"' },
      ],
    },
  });
  const acks = await worker.acks(after);
  const refused = acks.filter((ack) => !ack.accepted);
  assert.equal(refused.length, 2);
  assert.ok(refused.every((ack) => ack.taskId.length <= SMALL.idChars));
  assert.ok(refused.some((ack) => /\/0\/taskId: Must be at most 256 characters/.test(ack.error)));
  assert.ok(refused.some((ack) => /\/1\/leaseToken: Is required/.test(ack.error)));
  assert.equal((await stack.waitForTask(id, (t) => t.status === "completed")).result, "done");
});

Deno.test("unary ReportResults holds results to the same limits, one by one", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "unary" });
  const ids = await stack.enqueue("unary", [1, 2]);
  const { client, call } = workerClient(stack.address);
  try {
    const { tasks } = await call<{ tasks: { taskId: string; leaseToken: string }[] }>(
      "GetNextTask",
      { workerId: "u1", executors: ["unary"], maxTasks: 2 },
    );
    const reply = await call<{ acks: ResultAckMessage[] }>("ReportResults", {
      workerId: "u1",
      results: [
        { ...tasks[0], ok: true, resultJson: JSON.stringify("y".repeat(80_000)) },
        { ...tasks[1], ok: true, resultJson: "1" },
      ],
    });
    assert.deepEqual(reply.acks.map((ack) => ack.accepted), [true, true]);
    const byId = new Map((await settled(stack, ids)).map((t) => [t.id, t]));
    assert.match(
      byId.get(tasks[0].taskId)!.errors[0].message,
      /^Result cannot be stored as it is: \/result: Must be at most \d+ bytes of JSON/,
    );
    assert.equal(byId.get(tasks[1].taskId)!.status, "completed");
  } finally {
    client.close();
  }
});

Deno.test("the welcome tells the worker the manager's limits", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "hi" });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["hi"],
  });
  const { welcome } = worker.received[0];
  assert.equal(welcome?.maxMessageBytes, SMALL.requestBytes);
  assert.equal(welcome?.maxResultBytes, SMALL.resultBytes);
  assert.equal(welcome?.maxErrorChars, SMALL.errorMessageChars);
});

/** A raw `Work` stream that never reads what the manager sends (no `data` listener). */
function deafStream(address: string, hello: { workerId: string; executors: string[] }) {
  const { TaskExecutorService } = loadProtocol();
  const client = new TaskExecutorService(address, grpc.credentials.createInsecure());
  const call = (client as unknown as {
    Work(): grpc.ClientDuplexStream<WorkRequest, WorkResponse>;
  }).Work();
  call.on("error", () => {});
  call.write({ hello: { ...hello, sdkVersion: "test" } });
  return {
    send: (message: WorkRequest) => call.write(message),
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

Deno.test("a stream granting 1,000,000 credits holds at most the caps; a second worker gets the rest", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "greedy", timeout: 60_000 });
  await stack.executor({ name: "other", timeout: 60_000 });
  const ids = await stack.enqueue("greedy", Array.from({ length: 200 }, (_, n) => n));
  await stack.enqueue("other", Array.from({ length: 100 }, (_, n) => n));
  const greedy = deafStream(stack.address, { workerId: "greedy", executors: ["greedy", "other"] });
  try {
    for (let i = 0; i < 10; i++) {
      greedy.send({ credit: { executorName: "greedy", credits: 1_000_000 } });
      greedy.send({ credit: { executorName: "other", credits: 1_000_000 } });
    }
    const held = () => stack.engine.workers.list().find((w) => w.workerId === "greedy");
    await stack.waitFor(
      () => Promise.resolve((held()?.inFlight ?? 0) >= SMALL.assignmentsInFlight),
      "the greedy stream to fill its cap",
    );
    await using healthy = await TestWorker.connect(stack.address, {
      workerId: "healthy",
      executors: ["greedy"],
    });
    healthy.handle(() => ({ ok: true, resultJson: "1" }));
    healthy.credit("greedy", 10);
    await stack.waitFor(async () => {
      const { pending = 0, completed = 0 } = await counts(stack, "greedy");
      return pending === 0 && completed >= 200 - SMALL.assignmentsInFlight;
    }, "the healthy worker to run every task the greedy one does not hold");
    const worker = held()!;
    assert.ok(worker.inFlight <= SMALL.assignmentsInFlight, `holds ${worker.inFlight}`);
    assert.ok(worker.credits <= 2 * SMALL.creditsPerExecutor, `credits ${worker.credits}`);
    const leased = (await Promise.all(ids.map((id) => stack.store.taskGet(id))))
      .filter((t) => t!.status === "in_progress" && t!.workerId === "greedy");
    assert.ok(leased.length <= SMALL.assignmentsInFlight);
  } finally {
    greedy.close();
  }
});

Deno.test("a connection whose peer is not reading gets no tasks until it drains; others get them meanwhile", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "slow", timeout: 60_000 });
  // The engine's side of flow control, through a connection as the gRPC adapter makes one: it
  // reports itself not writable while `call.write` says the peer's buffer is full.
  let writable = false;
  const received: string[] = [];
  const session = await stack.engine.connect(
    { workerId: "slow-reader", executors: ["slow"], sdkVersion: "test" },
    {
      assign: (tasks) => received.push(...tasks.map((t) => t.id)),
      cancel: () => {},
      close: () => {},
      executorDeleted: () => {},
      writable: () => writable,
      keepalive: () => {},
    },
  );
  try {
    stack.engine.addCredit(session, "slow", 10);
    const ids = await stack.enqueue("slow", Array.from({ length: 30 }, (_, n) => n));
    await using other = await TestWorker.connect(stack.address, {
      workerId: "reader",
      executors: ["slow"],
    });
    other.credit("slow", 20);
    await other.assigned(20);
    assert.equal(received.length, 0, "nothing went to the connection that is not reading");
    writable = true;
    stack.engine.resume(session);
    await stack.waitFor(
      () => Promise.resolve(received.length === 10),
      "the drained connection to get its 10 tasks",
    );
    assert.deepEqual(
      new Set([...received, ...other.assignments.map((a) => a.taskId)]),
      new Set(ids),
    );
  } finally {
    stack.engine.disconnect(session);
  }
});

/**
 * An engine stack with `count` tasks of `bytes` characters for executor `large`, a healthy worker
 * (which first runs one, so the manager learns their size, when `learnSize`), and a raw `Work`
 * stream of worker `workerId` that reads nothing (its hello, then its own first messages).
 */
async function largeTasksAndDeafWorker(
  options: {
    count: number;
    bytes: number;
    learnSize: boolean;
    workerId: string;
    answerBytes?: AnswerBytesInFlight;
    /** The dispatcher's poll, in ms (the engine stack's when absent). */
    pollIntervalMs?: number;
  },
  first: (serialize: (message: unknown) => Uint8Array, executor: string) => Uint8Array[],
) {
  const stack = await startEngineStack({
    answerBytes: options.answerBytes,
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  });
  // An executor of its own: the worker service keeps the bytes per task last sent for each
  // executor name, for every stream it serves, and another test's tasks would tell it theirs.
  const executor = `large-${options.workerId}-${options.learnSize ? "known" : "new"}`;
  await stack.executor({ name: executor, timeout: 60_000 });
  const ids: string[] = [];
  for (let i = 0; i < options.count; i++) {
    ids.push(...await stack.enqueue(executor, ["d".repeat(options.bytes)]));
  }
  const healthy = await TestWorker.connect(stack.address, {
    workerId: "healthy",
    executors: [executor],
  });
  healthy.handle(() => ({ ok: true, resultJson: "1" }));
  if (options.learnSize) {
    healthy.credit(executor, 1);
    await stack.waitFor(
      async () => (await counts(stack, executor)).completed === 1,
      "the healthy worker to run one task",
    );
  }
  const serialize = loadProtocol().TaskExecutorService.service.Work.requestSerialize;
  const port = Number(stack.address.split(":").at(-1));
  const deaf = await stalledCall(port, "/taskexecutor.v1.TaskExecutorService/Work", [
    serialize({ hello: { workerId: options.workerId, executors: [executor] } }),
    ...first(serialize, executor),
  ], { end: false });
  const held = async () =>
    (await Promise.all(ids.map((id) => stack.store.taskGet(id))))
      .filter((t) => t!.status === "in_progress" && t!.workerId === options.workerId).length;
  return {
    deaf,
    executor,
    held,
    serialize,
    waitFor: stack.waitFor.bind(stack),
    /** Enqueues one more task of the same size. */
    async enqueue(): Promise<void> {
      ids.push(...await stack.enqueue(executor, ["d".repeat(options.bytes)]));
    },
    /** Gives the healthy worker credit and waits until it ran all but the `kept` tasks. */
    async runTheRest(kept: number): Promise<void> {
      healthy.credit(executor, 5);
      await stack.waitFor(async () => {
        const { pending = 0, completed = 0 } = await counts(stack, executor);
        return pending === 0 && completed === ids.length - kept;
      }, "the healthy worker to run every task the deaf one was not leased");
    },
    async [Symbol.asyncDispose]() {
      deaf[Symbol.dispose]();
      await healthy[Symbol.asyncDispose]();
      await stack[Symbol.asyncDispose]();
    },
  };
}

Deno.test("a worker that sends hello and credits and reads nothing holds about one window of large tasks; another runs the rest", async () => {
  // 200 KB each: one assignment overfills a client's first 64 KiB window.
  await using run = await largeTasksAndDeafWorker(
    { count: 30, bytes: 200_000, learnSize: true, workerId: "deaf" },
    (serialize, executor) => [serialize({ credit: { executorName: executor, credits: 10_000 } })],
  );
  await run.waitFor(async () => await run.held() > 0, "the deaf worker to be leased a task");
  // Its transport takes in what arrives (grpc-go and grpc-js open the connection's window as
  // bytes come), but its application reads nothing: the stream's window stays shut.
  await run.deaf.openConnectionWindow(2 ** 30);
  const deafHeld = await run.held();
  await run.runTheRest(deafHeld);
  // Before, the deaf worker was leased all 30 (its credit allowed 10,000), each written into a
  // window that let none of them through.
  assert.ok(deafHeld <= 2, `the deaf worker holds ${deafHeld} tasks`);
  assert.equal(await run.held(), deafHeld, "the deaf worker got nothing more");
});

Deno.test("a worker whose connection's window was all that held its leases back is leased the tasks waiting as soon as that window opens, though the dispatcher's next poll is ten minutes away", async () => {
  // 30 KB each: two fill most of a connection's first 64 KiB window, a third passes it (3 leased
  // here before the window opens, 2 waiting).
  await using run = await largeTasksAndDeafWorker(
    { count: 2, bytes: 30_000, learnSize: false, workerId: "shut", pollIntervalMs: 600_000 },
    () => [],
  );
  // Its stream's window is open: only the connection's holds leases back.
  await run.deaf.openStreamWindow(2 ** 30);
  await run.deaf.send([
    run.serialize({ credit: { executorName: run.executor, credits: 10_000 } }),
  ]);
  await run.waitFor(async () => await run.held() === 2, "the two tasks waiting to be leased");
  // Created one at a time, each looking for a worker: the first finds room left in the
  // connection's window, the next two find it shut.
  for (let i = 0; i < 3; i++) await run.enqueue();
  const beforeOpening = await run.held();
  assert.ok(beforeOpening < 5, `all ${beforeOpening} leased before the window opened`);
  await run.deaf.openConnectionWindow(2 ** 30);
  await run.waitFor(async () => await run.held() === 5, "the tasks left to be leased");
});

for (const learnSize of [false, true]) {
  Deno.test(
    `a worker that opens its windows without reading is leased what they admit, while the manager holds less than half its connection's cap of answers for it; another runs the rest (${
      learnSize ? "their size known" : "none sent yet"
    })`,
    async () => {
      const perConnection = 32 * 1024 * 1024;
      const answers = new AnswerBytesInFlight({ perConnection, total: 2 * perConnection });
      await using run = await largeTasksAndDeafWorker(
        { count: 60, bytes: 1_000_000, learnSize, workerId: "liar", answerBytes: answers },
        () => [],
      );
      // Windows of 1 GiB on the stream and the connection, and not a byte read from the socket:
      // what the kernel's buffers do not take stays in the manager.
      await run.deaf.openWindow(2 ** 30);
      await run.deaf.send([
        run.serialize({ credit: { executorName: run.executor, credits: 10_000 } }),
      ]);
      await run.waitFor(async () => await run.held() > 0, "the liar to be leased a task");
      // Time for several dispatch polls (200 ms apart here), which could lease it more: a slower
      // machine can only hide that, not fake it.
      let most = 0;
      for (const until = Date.now() + 1500; Date.now() < until;) {
        most = Math.max(most, answers.held);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const liarHeld = await run.held();
      await run.runTheRest(liarHeld);
      // Leases stop once the connection holds half its cap, or the first lease (16 tasks while
      // none was sent), give or take a task's guessed size. Leased as far as its windows admit,
      // the liar was leased past the cap and reset.
      const firstLease = learnSize ? 0 : 16 * 1_000_000;
      assert.ok(most <= Math.max(perConnection / 2, firstLease) + 4_000_000, `held ${most}`);
      assert.equal(await run.held(), liarHeld, "the liar got nothing more, and was not reset");
    },
  );
}

Deno.test("parseResults fails the attempt of a result past MAX_REQUEST_JSON_VALUES or MAX_REQUEST_OBJECT_SHAPES, with a member name that ends with a backslash or given twice in an object, found before it is parsed; the others of its message are kept", async () => {
  const limits = { ...DEFAULT_LIMITS, requestJsonValues: 10, requestObjectShapes: 3 };
  const result = (taskId: string, resultJson: string) => ({
    taskId,
    leaseToken: "l",
    ok: true,
    resultJson,
  });
  const { results } = await parseResults([
    result("a", '{"x":1,"y":{"z":0}}'),
    result("b", '{"x":1,"w":2,"v":3,"s":4}'),
    result("c", '{"u":[{"t":0}]}'),
    result("d", JSON.stringify(new Array(10).fill(0))),
    result("e", "[1,2]"),
    result("f", String.raw`{"q\\":1}`),
    result("g", '[{"p":1,"p":2}]'),
  ], { pointer: "/results", limits });
  // Each result is counted alone: three shapes each for a and c, four for b.
  assert.deepEqual(results[0].outcome, { ok: true, result: { x: 1, y: { z: 0 } } });
  assert.equal(results[1].outcome.ok, false);
  assert.match(
    (results[1].outcome as { error: string }).error,
    /^Result not kept: it holds more than 3 object shapes .*MAX_REQUEST_OBJECT_SHAPES/,
  );
  assert.deepEqual(results[2].outcome, { ok: true, result: { u: [{ t: 0 }] } });
  assert.match(
    (results[3].outcome as { error: string }).error,
    /^Result not kept: it holds more than 10 JSON values, .*MAX_REQUEST_JSON_VALUES/,
  );
  assert.deepEqual(results[4].outcome, { ok: true, result: [1, 2] });
  assert.match(
    (results[5].outcome as { error: string }).error,
    /^Result not kept: it holds a member name that ends with a backslash/,
  );
  assert.deepEqual(results[6].outcome, {
    ok: false,
    retryable: false,
    error: `Result not kept: /result/0/p: ${MEMBER_GIVEN_TWICE}`,
  });
});

Deno.test("parseResults gives the thread back between results once they have held it a slice: a timer runs before it answers", async () => {
  const limits = { ...DEFAULT_LIMITS, requestJsonValues: Infinity, resultBytes: Infinity };
  // Twenty results of 200,000 values each: more than a slice (10 ms) on any machine.
  const big = JSON.stringify(new Array(100_000).fill([0]));
  const results = Array.from({ length: 20 }, (_, i) => ({
    taskId: `t${i}`,
    leaseToken: "l",
    ok: true,
    resultJson: big,
  }));
  let timerRan = false;
  setTimeout(() => timerRan = true, 0);
  const parsed = await parseResults(results, { pointer: "/results", limits });
  assert.equal(parsed.results.length, 20);
  assert.ok(parsed.results.every((r) => r.outcome.ok));
  assert.ok(timerRan, "a timer ran while the results were parsed");
});

Deno.test("fitResult keeps a result within the manager's limits and cuts long errors, stacks and logs", () => {
  const limits = {
    maxMessageBytes: 1000,
    maxResultBytes: 500,
    maxErrorChars: 50,
    maxStackChars: 60,
    maxLogLines: 3,
    maxLogLineChars: 40,
    maxProgressBytes: 100,
  };
  const ok = { taskId: "t", leaseToken: "l", ok: true, resultJson: '"small"' };
  assert.equal(fitResult(ok, limits), ok);
  const big = fitResult({ ...ok, resultJson: JSON.stringify("é".repeat(300)) }, limits);
  assert.equal(big.ok, false);
  assert.equal(big.retryable, false);
  assert.equal(
    big.error,
    "Result cannot be stored as it is: /result: Must be at most 500 bytes of JSON (the manager's limit), not 602",
  );
  const tooBigForMessage = fitResult({ ...ok, resultJson: "1".repeat(990) }, {
    ...limits,
    maxResultBytes: 10_000,
  });
  assert.equal(tooBigForMessage.ok, false);
  const failed = fitResult({ ...ok, ok: false, error: "e".repeat(80) }, limits);
  assert.equal(failed.error!.length, 50);
  assert.match(failed.error!, /\[cut from 80 characters\]$/);
  const detailed = fitResult({
    ...ok,
    ok: false,
    error: "boom",
    stack: "Error: boom\n" + "    at handler (file.ts:1:1)\n".repeat(10),
    logs: ["one", "two", "x".repeat(100), "four", "five"],
  }, limits);
  assert.equal(detailed.stack!.length, 60);
  assert.match(detailed.stack!, /^Error: boom\n.*\[cut from \d+ characters\]$/s);
  assert.deepEqual(detailed.logs, ["one", "two", "… 3 more lines dropped"]);
});

Deno.test("an SDK worker whose handler returns a result over the limit fails that attempt only, and does not reconnect", async () => {
  await using manager = await startTestManager({
    env: { TASK_RESULT_MAX_BYTES: String(64 * 1024), MAX_REQUEST_BYTES: String(256 * 1024) },
  });
  await using worker = spawnDenoWorker(manager.grpcAddress, { SDK_CONCURRENCY: "20" });
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  // 19 results of 40 KB need several messages under a 256 KiB receive limit.
  const tasks = await Promise.all(
    Array.from({ length: 20 }, (_, n) =>
      client.createTask("sdk_test", {
        mode: "echo",
        value: n === 7 ? "b".repeat(70 * 1024) : "s".repeat(40_000),
      })),
  );
  for (const [n, task] of tasks.entries()) {
    const done = await client.waitForTask(task.id, { timeoutMs: 20_000 });
    if (n === 7) {
      assert.equal(done.status, "dlq", worker.describe());
      assert.equal(done.attempt, 1);
      assert.match(
        done.errors[0].message,
        /^Result cannot be stored as it is: \/result: Must be at most \d+ bytes of JSON \(the manager's limit\), not \d+$/,
      );
    } else {
      assert.equal(done.status, "completed", worker.describe());
    }
  }
  assert.ok(
    !worker.describe().includes("Lost the work stream"),
    `the worker reconnected:\n${worker.describe()}`,
  );
});

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";

Deno.test({
  ...skipUnless(
    "on MongoDB a result over 16 MiB (resultBytes raised) fails only its own task",
    MONGO_URI ? null : "TEST_MONGO_URI is not set",
  ),
  fn: async () => {
    const dbName = `tasks_limits_${Date.now().toString(36)}`;
    await using manager = await startTestManager({
      env: {
        MONGO_URI,
        MONGO_DB: dbName,
        TASK_RESULT_MAX_BYTES: String(32 * 1024 * 1024),
        MAX_REQUEST_BYTES: String(40 * 1024 * 1024),
      },
    });
    await manager.service.createExecutor({ name: "huge" });
    const created = await manager.service.createTasks(
      Array.from({ length: 5 }, (_, n) => ({ executorName: "huge", data: n })),
    );
    const ids = created.map((c) => c.task.id);
    await using worker = await TestWorker.connect(manager.grpcAddress, {
      workerId: "w1",
      executors: ["huge"],
    });
    worker.credit("huge", 5);
    const tasks = await worker.assigned(5);
    const after = worker.received.length;
    worker.send({
      results: {
        results: tasks.map((t, i) => ({
          taskId: t.taskId,
          leaseToken: t.leaseToken,
          ok: true,
          resultJson: i === 2 ? JSON.stringify("h".repeat(17 * 1024 * 1024)) : String(i),
        })),
      },
    });
    const acks = await worker.acks(after);
    assert.ok(acks.every((a) => a.accepted), JSON.stringify(acks));
    const byId = new Map<string, Task>();
    for (const id of ids) byId.set(id, await manager.service.getTask(id));
    for (const [i, t] of tasks.entries()) {
      const task = byId.get(t.taskId)!;
      if (i === 2) {
        assert.equal(task.status, "dlq");
        assert.match(task.errors[0].message, /^Result could not be stored/);
      } else {
        assert.equal(task.status, "completed");
        assert.equal(task.attempt, 1);
      }
    }
  },
});

Deno.test("a worker stream that sends results and reads nothing is cut off once 1,000 of its messages wait, holding none of their acks", async () => {
  await using stack = await startEngineStack({ limits: SMALL });
  await stack.executor({ name: "flood" });
  // A task of 100 KB: its assignment alone fills the client's 64 KiB window.
  const [id] = await stack.enqueue("flood", ["d".repeat(100_000)]);
  const serialize = loadProtocol().TaskExecutorService.service.Work.requestSerialize;
  const port = Number(stack.address.split(":").at(-1));
  using call = await stalledCall(port, "/taskexecutor.v1.TaskExecutorService/Work", [
    serialize({ hello: { workerId: "flooder", executors: ["flood"] } }),
    serialize({ credit: { executorName: "flood", credits: 1 } }),
  ], { end: false });
  await stack.waitForTask(id, (t) => t.status === "in_progress");
  const listed = () => stack.engine.workers.list().some((w) => w.workerId === "flooder");
  assert.ok(listed());
  // Results the manager cannot answer while the client reads nothing: they wait, and past
  // 1,000 the stream ends (RESOURCE_EXHAUSTED) and its session with it.
  const results = serialize({ results: { results: [{ taskId: "none", leaseToken: "none" }] } });
  await call.send(Array.from({ length: 1_100 }, () => results));
  await stack.waitFor(() => Promise.resolve(!listed()), "the flooding stream to be cut off");
});

Deno.test("a hello's free text is cut to its own string: 50 hellos of 1.3 M characters keep a few MiB, not the originals", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", "tests/fixtures/hello_heap.ts"],
    stderr: "inherit",
  }).output();
  assert.ok(output.success);
  const { sessions, heldMiB } = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(sessions, 50);
  // A slice kept each 1.3 M-character original alive: 62 MiB for these 50.
  assert.ok(heldMiB < 8, `50 sessions keep ${heldMiB.toFixed(1)} MiB`);
});

Deno.test("ReportResults: a result holding a member name twice in an object fails its attempt, not retryable, naming the member; no result is kept", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", {
    config: { name: "once", dlqConfig: { enabled: false } },
  });
  const { task } = await restOk(manager, "POST", "/tasks", { task: { executorName: "once" } });
  const { client, call } = workerClient(manager.grpcAddress);
  try {
    const got = await call<{ tasks: AssignmentMessage[] }>("GetNextTask", {
      workerId: "w1",
      executors: ["once"],
    });
    const reply = await call<{ acks: ResultAckMessage[] }>("ReportResults", {
      workerId: "w1",
      results: [{
        taskId: task.id,
        leaseToken: got.tasks[0].leaseToken,
        ok: true,
        resultJson: String.raw`{"total":1,"tot\u0061l":2}`,
      }],
    });
    assert.equal(reply.acks[0].accepted, true);
  } finally {
    client.close();
  }
  const failed = (await restOk(manager, "GET", `/tasks/${task.id}`)).task;
  assert.equal(failed.status, "failed");
  assert.equal(failed.result, null);
  assert.equal(failed.errors[0].message, `Result not kept: /result/total: ${MEMBER_GIVEN_TWICE}`);
});

Deno.test("a heartbeat naming 1,200 leases extends them in store calls of at most 500, the thread given back between; one right after writes only new progress", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "beat", timeout: 60_000 });
  await stack.enqueue("beat", Array.from({ length: 1200 }, (_, n) => n));
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w-beat",
    executors: ["beat"],
  });
  worker.credit("beat", 1200);
  const tasks = await worker.assigned(1200, 30_000);
  // Each call of the embedded store is one synchronous transaction: its size is what one turn
  // of the thread holds.
  const calls: number[] = [];
  const extend = stack.store.leaseExtend.bind(stack.store);
  stack.store.leaseExtend = (leases, until) => {
    calls.push(leases.length);
    return extend(leases, until);
  };
  // Leases extended (or handed out) within the last second are not written again.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const before = Date.now();
  worker.send({ heartbeat: { taskIds: tasks.map((t) => t.taskId), progressJson: {} } });
  await stack.waitFor(
    () => Promise.resolve(calls.reduce((a, b) => a + b, 0) >= 1200),
    "leases extended",
  );
  assert.ok(Math.max(...calls) <= 500, `store calls of ${calls.join(", ")} leases`);
  const task = await stack.store.taskGet(tasks[1199].taskId);
  assert.ok(task!.leaseExpiresAt! >= before + 60_000, "the last lease was extended");
  assert.equal(worker.received.filter((m) => m.kind === "cancellations").length, 0);
  // Again at once: only the lease whose progress is new is written.
  calls.length = 0;
  const ids = tasks.map((t) => t.taskId);
  worker.send({ heartbeat: { taskIds: ids, progressJson: { [ids[5]]: "50" } } });
  worker.send({ heartbeat: { taskIds: ids, progressJson: {} } });
  await stack.waitFor(() => Promise.resolve(calls.length > 0), "progress written");
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(calls, [1]);
  assert.equal((await stack.store.taskGet(ids[5]))!.progress, 50);
});

Deno.test("a heartbeat naming 1,200 leases this manager lacks reads their statuses ADOPT_CHUNK a store call, the thread given back between", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "adopt", timeout: 60_000 });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w-adopt",
    executors: ["adopt"],
  });
  // Each read holds the thread 15 ms, as a large read does on a loaded manager.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const calls: { ids: number; ticks: number }[] = [];
  const refsOf = stack.store.taskRefsOf.bind(stack.store);
  stack.store.taskRefsOf = (ids) => {
    calls.push({ ids: ids.length, ticks });
    const end = performance.now() + 15;
    while (performance.now() < end) { /* the thread is held */ }
    return refsOf(ids);
  };
  try {
    const ids = Array.from({ length: 1200 }, (_, n) => `made-up-${n}`);
    worker.send({ heartbeat: { taskIds: ids, progressJson: {} } });
    await stack.waitFor(
      () => Promise.resolve(calls.reduce((a, c) => a + c.ids, 0) >= 1200),
      "statuses read",
    );
  } finally {
    clearInterval(ticker);
  }
  assert.deepEqual(calls.map((c) => c.ids), [ADOPT_CHUNK, ADOPT_CHUNK, 1200 - 2 * ADOPT_CHUNK]);
  for (let i = 1; i < calls.length; i++) {
    assert.ok(calls[i].ticks > calls[i - 1].ticks, "a timer ran between the reads");
  }
});

Deno.test("a heartbeat of 1,200 tasks' progress of 1 KiB writes it in store calls of at most 64 KiB of progress, the thread given back between", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "progress", timeout: 60_000 });
  await stack.enqueue("progress", Array.from({ length: 1200 }, (_, n) => n));
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w-progress",
    executors: ["progress"],
  });
  worker.credit("progress", 1200);
  const tasks = await worker.assigned(1200, 30_000);
  // Each store call holds the thread 15 ms, as a large write does on a loaded manager.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const calls: { leases: number; chars: number; ticks: number }[] = [];
  const extend = stack.store.leaseExtend.bind(stack.store);
  stack.store.leaseExtend = (leases, until) => {
    const chars = leases.reduce((n, l) => n + (l.progress === undefined ? 0 : 1002), 0);
    calls.push({ leases: leases.length, chars, ticks });
    const end = performance.now() + 15;
    while (performance.now() < end) { /* the thread is held */ }
    return extend(leases, until);
  };
  try {
    const progress = JSON.stringify("p".repeat(1000));
    const ids = tasks.map((t) => t.taskId);
    worker.send({
      heartbeat: {
        taskIds: ids,
        progressJson: Object.fromEntries(ids.map((id) => [id, progress])),
      },
    });
    await stack.waitFor(
      () => Promise.resolve(calls.reduce((a, c) => a + c.leases, 0) >= 1200),
      "leases extended",
    );
    const sizes = calls.map((c) => c.leases).join(", ");
    assert.ok(
      calls.every((c) => c.chars < PROGRESS_CHUNK_CHARS + 1002),
      `store calls of ${sizes} leases with progress of 1 KiB`,
    );
    for (let i = 1; i < calls.length; i++) {
      assert.ok(calls[i].ticks > calls[i - 1].ticks, `no timer ran between store calls: ${sizes}`);
    }
    const task = await stack.store.taskGet(ids[1199]);
    assert.equal(task!.progress, "p".repeat(1000));
  } finally {
    clearInterval(ticker);
  }
});

Deno.test("a Work message past TURN_BEFORE_BYTES is handled after a timer turn, not in the turn that decoded it; a small one at once", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "turn", timeout: 60_000 });
  // The stream's session, to learn when each message has been decoded (the stream says it heard
  // the worker, in the turn that decoded the message).
  const sessions: WorkerSession[] = [];
  const connect = stack.engine.connect.bind(stack.engine);
  stack.engine.connect = async (...args) => {
    const session = await connect(...args);
    sessions.push(session);
    return session;
  };
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w-turn",
    executors: ["turn"],
  });
  // Whether a timer set in the turn that decoded the message ran before its handling started.
  let timerRan = false;
  const heard = sessions[0].liveness.heard.bind(sessions[0].liveness);
  sessions[0].liveness.heard = () => {
    timerRan = false;
    setTimeout(() => timerRan = true, 0);
    heard();
  };
  const handled: { bytes: number; timerRan: boolean }[] = [];
  const heartbeat = stack.engine.heartbeat.bind(stack.engine);
  stack.engine.heartbeat = (session, taskIds, progressJson = {}) => {
    handled.push({ bytes: Object.values(progressJson).join("").length, timerRan });
    return heartbeat(session, taskIds, progressJson);
  };
  // Progress for tasks the worker does not hold is not kept, but it is in the message.
  const large = JSON.stringify("p".repeat(1000));
  const count = Math.ceil(TURN_BEFORE_BYTES / 1000) + 1;
  worker.send({
    heartbeat: {
      taskIds: [],
      progressJson: Object.fromEntries(Array.from({ length: count }, (_, n) => [`t${n}`, large])),
    },
  });
  await stack.waitFor(() => Promise.resolve(handled.length === 1), "the large heartbeat handled");
  worker.send({ heartbeat: { taskIds: [], progressJson: { t0: "1" } } });
  await stack.waitFor(() => Promise.resolve(handled.length === 2), "the small heartbeat handled");
  assert.ok(handled[0].bytes > TURN_BEFORE_BYTES);
  assert.deepEqual(handled.map((h) => h.timerRan), [true, false]);
});

Deno.test("readProgressInSlices gives the thread back between chunks of progress once they have held it a slice: a timer runs before it answers", async () => {
  const limits = { ...DEFAULT_LIMITS, progressBytes: Infinity };
  // Twenty tasks' progress of 200,000 values each: more than a slice (10 ms) on any machine.
  const big = JSON.stringify(new Array(200_000).fill(0));
  const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
  let timerRan = false;
  setTimeout(() => timerRan = true, 0);
  const kept = await readProgressInSlices(
    Object.fromEntries(ids.map((id) => [id, big])),
    ids,
    limits,
  );
  assert.equal(kept.size, 20);
  assert.ok(timerRan, "a timer ran while the progress was read");
});

Deno.test("the rescue of 1,200 expired leases of a silent worker cancels them in one message per batch and gives the thread back between batches", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "silent", timeout: 300 });
  await stack.enqueue("silent", Array.from({ length: 1200 }, (_, n) => n));
  // Rescues wait until every lease is out, then are timed: each store call holds the thread
  // 15 ms, as a large batch does on a loaded manager.
  let open = false;
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const ticksAtCall: number[] = [];
  const rescue = stack.store.taskRescueExpired.bind(stack.store);
  stack.store.taskRescueExpired = async (options) => {
    if (!open) return [];
    ticksAtCall.push(ticks);
    const until = performance.now() + 15;
    while (performance.now() < until) { /* the thread is held */ }
    return await rescue(options);
  };
  try {
    await using worker = await TestWorker.connect(stack.address, {
      workerId: "w-silent",
      executors: ["silent"],
    });
    worker.credit("silent", 1200);
    await worker.assigned(1200, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    open = true;
    const cancelled = () => worker.received.flatMap((m) => m.cancellations?.tasks ?? []).length;
    const deadline = Date.now() + 20_000;
    while (cancelled() < 1200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(cancelled(), 1200);
    const messages = worker.received.filter((m) => m.kind === "cancellations").length;
    // One per batch of RESCUE_BATCH, and a few more for a batch cut short by a pass's end.
    assert.ok(
      messages <= 1200 / RESCUE_BATCH + 2,
      `${messages} cancellations messages for 1,200 tasks`,
    );
    // The pass that found the first batch full asked again: the thread was given back between.
    const calls = ticksAtCall.length;
    assert.ok(calls >= 2, `${calls} rescue calls`);
    for (let i = 1; i < calls; i++) {
      assert.ok(
        ticksAtCall[i] > ticksAtCall[i - 1],
        `no timer ran between rescue calls: ${ticksAtCall}`,
      );
    }
  } finally {
    clearInterval(ticker);
  }
});

Deno.test("the rescue of 600 expired leases takes them over and settles them at most 200 a store call", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "batch", timeout: 300 });
  await stack.enqueue("batch", Array.from({ length: 600 }, (_, n) => n));
  // Each call of the embedded store is one synchronous transaction: its size is what one turn
  // of the thread holds.
  const taken: number[] = [];
  const settled: number[] = [];
  const rescue = stack.store.taskRescueExpired.bind(stack.store);
  stack.store.taskRescueExpired = async (options) => {
    const tasks = await rescue(options);
    if (tasks.length > 0) taken.push(tasks.length);
    return tasks;
  };
  const settle = stack.store.taskSettle.bind(stack.store);
  stack.store.taskSettle = (requests, options) => {
    settled.push(requests.length);
    return settle(requests, options);
  };
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w-batch",
    executors: ["batch"],
  });
  worker.credit("batch", 600);
  await worker.assigned(600, 30_000);
  const cancelled = () => worker.received.flatMap((m) => m.cancellations?.tasks ?? []).length;
  await stack.waitFor(() => Promise.resolve(cancelled() >= 600), "leases rescued");
  assert.equal(taken.reduce((a, b) => a + b, 0), 600);
  assert.ok(Math.max(...taken) <= RESCUE_BATCH, `rescue calls taking ${taken.join(", ")} leases`);
  assert.ok(Math.max(...settled) <= RESCUE_BATCH, `settle calls of ${settled.join(", ")}`);
  assert.equal(RESCUE_BATCH, 200);
});

Deno.test("a task the lease check finds taken over by the rescue before it is settled is cancelled on its worker once", async () => {
  await using stack = await startEngineStack({ leaseCheckMs: 20 });
  await stack.executor({ name: "once", timeout: 300 });
  await stack.enqueue("once", Array.from({ length: 100 }, (_, n) => n));
  // The rescue's settlements wait 200 ms after the takeover: lease checks run meanwhile.
  const settle = stack.store.taskSettle.bind(stack.store);
  stack.store.taskSettle = async (requests, options) => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return await settle(requests, options);
  };
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w-once",
    executors: ["once"],
  });
  worker.credit("once", 100);
  const tasks = await worker.assigned(100, 30_000);
  const cancels = () => worker.received.flatMap((m) => m.cancellations?.tasks ?? []);
  await stack.waitFor(() => Promise.resolve(cancels().length >= 100), "tasks cancelled");
  await stack.waitFor(
    async () => (await stack.store.taskGet(tasks[99].taskId))!.status !== "in_progress",
    "tasks settled",
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const ids = cancels().map((c) => c.taskId);
  assert.equal(
    ids.length,
    new Set(ids).size,
    `${ids.length} cancellations of ${new Set(ids).size} tasks`,
  );
  assert.equal(new Set(ids).size, 100);
});
