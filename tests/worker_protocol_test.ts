/**
 * The worker protocol's edges over a real gRPC server: hello rules, malformed messages, results
 * for tasks not held or under stale tokens, and the unary GetNextTask / ReportResults calls.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { AssignmentMessage, ResultAckMessage, WorkRequest } from "@tasks-executor/proto";
import { type Outbox, UNSAID_LIMITS } from "../sdk/_connection.ts";
import { Credits } from "../sdk/_credits.ts";
import { ResultSender } from "../sdk/_results.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { type EngineStack, startEngineStack } from "./fixtures/engine_stack.ts";
import { type StreamEnd, TestWorker, workerClient } from "./fixtures/test_worker.ts";

/**
 * How a stack with executor "real" ends a stream whose first message is `first`, and how many
 * workers it lists then.
 */
async function firstMessageEnd(first: WorkRequest): Promise<StreamEnd & { workersListed: number }> {
  await using stack = await startEngineStack();
  await stack.executor({ name: "real" });
  await using worker = new TestWorker(stack.address);
  worker.send(first);
  const end = await worker.ended;
  return { ...end, workersListed: stack.engine.workers.list().length };
}

/** A stack (started with `options`) with executor "real", and worker "w1" of it, welcomed. */
async function stackWithWorker(
  options?: Parameters<typeof startEngineStack>[0],
): Promise<{ stack: EngineStack; worker: TestWorker } & AsyncDisposable> {
  const stack = await startEngineStack(options);
  try {
    await stack.executor({ name: "real" });
    const worker = await TestWorker.connect(stack.address, { workerId: "w1", executors: ["real"] });
    return {
      stack,
      worker,
      async [Symbol.asyncDispose]() {
        await worker[Symbol.asyncDispose]();
        await stack[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await stack[Symbol.asyncDispose]();
    throw error;
  }
}

Deno.test("hello naming an executor that does not exist ends the stream with NOT_FOUND", async () => {
  const end = await firstMessageEnd({
    hello: { workerId: "w1", executors: ["real", "ghost"], sdkVersion: "test" },
  });
  assert.equal(end.code, grpc.status.NOT_FOUND);
  assert.match(end.details, /"ghost"/);
  assert.equal(end.workersListed, 0);
});

Deno.test("hello with an empty worker id ends the stream with INVALID_ARGUMENT", async () => {
  const end = await firstMessageEnd({
    hello: { workerId: "", executors: ["real"], sdkVersion: "test" },
  });
  assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
  assert.equal(end.details, "Invalid worker: /hello/workerId: Is required");
});

Deno.test("hello naming more executors than a store may hold, or one twice, ends with INVALID_ARGUMENT before any is looked up", async () => {
  await using stack = await startEngineStack({ limits: { ...DEFAULT_LIMITS, executors: 3 } });
  await stack.executor({ name: "real" });
  for (
    const [executors, field] of [
      [["real", "a", "b", "c"], "/hello/executors"],
      [["real", "real"], "/hello/executors/1"],
      // Under MAX_REQUEST_ELEMENTS (65,536), which refuses more on the wire, before decoding.
      [Array.from({ length: 60_000 }, () => "real"), "/hello/executors"],
    ] as const
  ) {
    await using worker = new TestWorker(stack.address);
    worker.send({ hello: { workerId: "w1", executors: [...executors], sdkVersion: "test" } });
    const end = await worker.ended;
    assert.equal(end.code, grpc.status.INVALID_ARGUMENT, end.details);
    assert.match(
      end.details,
      new RegExp(
        `^Invalid worker: ${field}: ${
          field === "/hello/executors" ? ".*MAX_EXECUTORS" : 'Names "real" again'
        }`,
      ),
    );
  }
  assert.equal(stack.engine.workers.list().length, 0);
});

Deno.test("a worker stream may not take an id of the original interface's clients (legacy:<key id>)", async () => {
  const end = await firstMessageEnd({
    hello: { workerId: "legacy:k1", executors: ["real"], sdkVersion: "test" },
  });
  assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
  assert.match(end.details, /legacy:/);
  assert.equal(end.workersListed, 0);
});

Deno.test("a stream that does not start with hello ends with INVALID_ARGUMENT", async () => {
  const end = await firstMessageEnd({ credit: { executorName: "real", credits: 5 } });
  assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
  assert.match(end.details, /hello/i);
});

Deno.test("a second hello on one stream ends it with INVALID_ARGUMENT", async () => {
  await using s = await stackWithWorker();
  const { stack, worker } = s;
  assert.equal(stack.engine.workers.list().length, 1);
  worker.send({ hello: { workerId: "w1", executors: ["real"], sdkVersion: "test" } });
  const end = await worker.ended;
  assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
  await stack.waitFor(
    () => Promise.resolve(stack.engine.workers.list().length === 0),
    "the worker to be forgotten",
  );
});

Deno.test("the welcome names the manager and the worker is listed with its credits", async () => {
  await using s = await stackWithWorker({ managerId: "manager-1" });
  const { stack, worker } = s;
  assert.equal(worker.received[0].welcome?.managerId, "manager-1");
  worker.credit("real", 7);
  await stack.waitFor(
    () => Promise.resolve(stack.engine.workers.list()[0]?.credits === 7),
    "credits to show",
  );
  const [listed] = stack.engine.workers.list();
  assert.equal(listed.workerId, "w1");
  assert.deepEqual(listed.executors, ["real"]);
  assert.equal(listed.sdkVersion, "test");
});

Deno.test("a message with no field set ends the stream with INVALID_ARGUMENT", async () => {
  await using s = await stackWithWorker();
  const { worker } = s;
  worker.send({});
  const end = await worker.ended;
  assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
});

Deno.test("credit for an executor not in hello, or a negative credit, is INVALID_ARGUMENT", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "real" });
  await stack.executor({ name: "other" });
  for (
    const credit of [{ executorName: "other", credits: 1 }, { executorName: "real", credits: -3 }]
  ) {
    await using worker = await TestWorker.connect(stack.address, {
      workerId: "w1",
      executors: ["real"],
    });
    worker.credit(credit.executorName, credit.credits);
    const end = await worker.ended;
    assert.equal(end.code, grpc.status.INVALID_ARGUMENT, JSON.stringify(credit));
  }
});

async function leasedTask(
  stack: Awaited<ReturnType<typeof startEngineStack>>,
  worker: TestWorker,
  executorName: string,
): Promise<AssignmentMessage> {
  await stack.enqueue(executorName, [{ n: 1 }]);
  worker.credit(executorName, 1);
  const [a] = await worker.assigned(1);
  return a;
}

Deno.test("a result for a task held by another worker is refused and changes nothing", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "real" });
  await using holder = await TestWorker.connect(stack.address, {
    workerId: "holder",
    executors: ["real"],
  });
  await using other = await TestWorker.connect(stack.address, {
    workerId: "other",
    executors: ["real"],
  });
  const a = await leasedTask(stack, holder, "real");
  other.result(a, { ok: true, resultJson: '"stolen"' });
  const [ack] = await other.acks(1);
  assert.deepEqual(ack, {
    taskId: a.taskId,
    accepted: false,
    error: "Task is not held by this worker",
  });
  assert.equal((await stack.store.taskGet(a.taskId))!.status, "in_progress");
  holder.result(a, { ok: true, resultJson: '"mine"' });
  const [mine] = await holder.acks(holder.received.length);
  assert.equal(mine.accepted, true);
  assert.equal((await stack.store.taskGet(a.taskId))!.result, "mine");
});

Deno.test("a result under a stale lease token is refused and changes nothing", async () => {
  await using s = await stackWithWorker();
  const { stack, worker } = s;
  const a = await leasedTask(stack, worker, "real");
  const mark = worker.received.length;
  worker.result({ taskId: a.taskId, leaseToken: "not-the-token" }, { ok: false, error: "x" });
  const [ack] = await worker.acks(mark);
  assert.equal(ack.accepted, false);
  assert.match(ack.error, /stale lease token/i);
  const task = await stack.store.taskGet(a.taskId);
  assert.equal(task!.status, "in_progress");
  assert.equal(task!.errors.length, 0);
});

Deno.test("a result for an unknown task, or sent twice, is refused", async () => {
  await using s = await stackWithWorker();
  const { stack, worker } = s;
  const a = await leasedTask(stack, worker, "real");
  const mark = worker.received.length;
  worker.send({
    results: {
      results: [
        { taskId: "0000000000000000000000nope", leaseToken: "t", ok: true },
        { taskId: a.taskId, leaseToken: a.leaseToken, ok: true },
        { taskId: a.taskId, leaseToken: a.leaseToken, ok: true },
      ],
    },
  });
  const acks = await worker.acks(mark);
  assert.deepEqual(acks.map((x) => x.accepted), [false, true, false]);
  assert.match(acks[0].error, /unknown task/i);
  assert.match(acks[2].error, /duplicate/i);
  const again = worker.received.length;
  worker.result(a, { ok: true });
  const [late] = await worker.acks(again);
  assert.equal(late.accepted, false);
});

Deno.test("a stale result before the live one for the same task in one batch does not shadow it", async () => {
  await using s = await stackWithWorker();
  const { stack, worker } = s;
  const a = await leasedTask(stack, worker, "real");
  const mark = worker.received.length;
  // As a worker sends again on a new stream: the old attempt's result first, then the new one's.
  worker.send({
    results: {
      results: [
        { taskId: a.taskId, leaseToken: "an-earlier-lease", ok: false, error: "old attempt" },
        { taskId: a.taskId, leaseToken: a.leaseToken, ok: true, resultJson: '"new"' },
        { taskId: a.taskId, leaseToken: a.leaseToken, ok: true, resultJson: '"again"' },
      ],
    },
  });
  const acks = await worker.acks(mark);
  assert.deepEqual(acks.map((x) => x.accepted), [false, true, false]);
  assert.match(acks[0].error, /stale lease token/i);
  assert.match(acks[2].error, /duplicate/i);
  const task = await stack.store.taskGet(a.taskId);
  assert.equal(task!.status, "completed");
  assert.equal(task!.result, "new");
});

Deno.test("the SDK's results sent again on a new stream, the old attempt's then the new one's, settle the task by the new one", async () => {
  await using s = await stackWithWorker();
  const { stack, worker } = s;
  const a = await leasedTask(stack, worker, "real");
  // What a ResultSender holds unacknowledged when its stream is lost: the old attempt's result
  // (its lease expired, the task leased again to this worker) and the new attempt's.
  const written: WorkRequest[] = [];
  const outbox: Outbox = { isOpen: true, write: (message) => (written.push(message), true) };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const sender = new ResultSender({
    outbox,
    credits: new Credits(),
    limits: () => UNSAID_LIMITS,
    log: silent,
    windowMs: 2,
  });
  sender.queue({ taskId: a.taskId, leaseToken: "the-expired-lease", ok: false, error: "late" });
  sender.flush();
  sender.queue({ taskId: a.taskId, leaseToken: a.leaseToken, ok: true, resultJson: '"new"' });
  sender.flush();
  // The stream was lost before either was acknowledged: a new one gets both again.
  written.length = 0;
  sender.resend();
  sender.stop();
  const sent = written.flatMap((m) => m.results?.results ?? []).map((r) => r.leaseToken);
  assert.deepEqual(sent, ["the-expired-lease", a.leaseToken], "both, oldest first");
  const mark = worker.received.length;
  for (const message of written) worker.send(message);
  const acks = await worker.acks(mark);
  assert.deepEqual(acks.map((x) => x.accepted), [false, true]);
  assert.equal((await stack.store.taskGet(a.taskId))!.status, "completed");
});

Deno.test("unary GetNextTask leases tasks and ReportResults settles them", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "unary", retryPolicy: { type: "constant", interval: 10 } });
  const ids = await stack.enqueue("unary", [1, 2, 3]);
  const { client, call } = workerClient(stack.address);
  try {
    const got = await call<{ tasks: AssignmentMessage[] }>("GetNextTask", {
      workerId: "u1",
      executors: ["unary"],
      maxTasks: 2,
    });
    assert.equal(got.tasks.length, 2);
    assert.ok(got.tasks.every((t) => ids.includes(t.taskId) && t.leaseToken !== ""));
    const [done, failed] = got.tasks;
    const reply = await call<{ acks: ResultAckMessage[] }>("ReportResults", {
      workerId: "u1",
      results: [
        { taskId: done.taskId, leaseToken: done.leaseToken, ok: true, resultJson: "42" },
        {
          taskId: failed.taskId,
          leaseToken: failed.leaseToken,
          ok: false,
          error: "e",
          retryable: true,
        },
      ],
    });
    assert.deepEqual(reply.acks.map((a) => a.accepted), [true, true]);
    assert.equal((await stack.store.taskGet(done.taskId))!.result, 42);
    const retried = await stack.store.taskGet(failed.taskId);
    assert.equal(retried!.status, "pending");
    assert.equal(retried!.errors[0].workerId, "u1");

    // Another worker id cannot settle what u1 holds.
    const third = await call<{ tasks: AssignmentMessage[] }>("GetNextTask", {
      workerId: "u1",
      executors: ["unary"],
    });
    assert.equal(third.tasks.length, 1);
    const refused = await call<{ acks: ResultAckMessage[] }>("ReportResults", {
      workerId: "u2",
      results: [{ taskId: third.tasks[0].taskId, leaseToken: third.tasks[0].leaseToken, ok: true }],
    });
    assert.equal(refused.acks[0].accepted, false);
  } finally {
    client.close();
  }
});

Deno.test("unary calls with an unknown executor or no worker id are refused", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "unary" });
  const { client, call } = workerClient(stack.address);
  try {
    await assert.rejects(
      () => call("GetNextTask", { workerId: "u1", executors: ["ghost"], maxTasks: 1 }),
      (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND && /"ghost"/.test(e.details),
    );
    await assert.rejects(
      () => call("GetNextTask", { workerId: "", executors: ["unary"] }),
      (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT,
    );
    await assert.rejects(
      () => call("ReportResults", { workerId: "", results: [] }),
      (e: grpc.ServiceError) => e.code === grpc.status.INVALID_ARGUMENT,
    );
  } finally {
    client.close();
  }
});

Deno.test("a batch of large tasks is split so no message exceeds a client's 4 MiB limit", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "big" });
  // Tasks as large as task data may be (1 MiB of JSON), created one by one (a batch's answer is
  // capped at 2 MiB).
  const blob = "x".repeat(1024 * 1024 - 2);
  for (let i = 0; i < 6; i++) await stack.enqueue("big", [blob]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["big"],
  });
  worker.credit("big", 6);
  const tasks = await worker.assigned(6);
  assert.ok(tasks.every((t) => JSON.parse(t.dataJson) === blob));
  const messages = worker.received.filter((m) => m.kind === "assignments");
  assert.ok(messages.length >= 2, `${messages.length} messages`);
});

Deno.test("a zero credit withdraws what a draining worker had left", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "drain" });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["drain"],
  });
  worker.credit("drain", 5);
  worker.credit("drain", 0);
  await stack.waitFor(
    () => Promise.resolve(stack.engine.workers.list()[0]?.credits === 0),
    "credits to be withdrawn",
  );
  // With another worker to prove a pass ran, the drained one gets nothing.
  await using other = await TestWorker.connect(stack.address, {
    workerId: "w2",
    executors: ["drain"],
  });
  other.credit("drain", 1);
  await stack.enqueue("drain", [1]);
  await other.assigned(1);
  assert.equal(worker.assignments.length, 0);
});

Deno.test("a worker gets no more tasks than its credits when a create hands tasks straight to it", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "handoff" });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["handoff"],
  });
  worker.credit("handoff", 3);
  await stack.waitFor(
    () => Promise.resolve(stack.engine.workers.list()[0]?.credits === 3),
    "credits to show",
  );
  // The create leases 3 to w1 in its own write; the pass it wakes must not count that room again.
  await stack.enqueue("handoff", Array.from({ length: 30 }, (_, i) => i));
  await worker.assigned(3);
  // With another worker to prove a later pass ran, w1 still has only what it asked for.
  await using other = await TestWorker.connect(stack.address, {
    workerId: "w2",
    executors: ["handoff"],
  });
  other.credit("handoff", 1);
  await other.assigned(1);
  assert.equal(worker.assignments.length, 3);
});

Deno.test("results or progress for more tasks than a worker can hold end the stream with INVALID_ARGUMENT", async () => {
  await using stack = await startEngineStack({
    limits: { ...DEFAULT_LIMITS, creditsPerExecutor: 5, assignmentsInFlight: 5 },
  });
  await stack.executor({ name: "real" });
  const results = (count: number): WorkRequest => ({
    results: {
      results: Array.from({ length: count }, (_, i) => ({
        taskId: `t${i}`,
        leaseToken: "x",
        ok: true,
      })),
    },
  });
  const progress = (count: number): WorkRequest => ({
    heartbeat: {
      taskIds: [],
      progressJson: Object.fromEntries(Array.from({ length: count }, (_, i) => [`t${i}`, "1"])),
    },
  });
  for (
    const [make, details] of [
      [results, /^Results name more tasks than a worker can hold/],
      [progress, /^Heartbeat carries progress for more tasks than the worker can hold/],
    ] as const
  ) {
    await using worker = await TestWorker.connect(stack.address, {
      workerId: `w-${details.source.length}`,
      executors: ["real"],
    });
    // As many as it could hold is answered (results for tasks it does not hold are refused).
    worker.send(make(5));
    worker.send(make(6));
    const end = await worker.ended;
    assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
    assert.match(end.details, details);
  }
});

Deno.test("a heartbeat naming more tasks than the worker can hold ends the stream with INVALID_ARGUMENT naming /heartbeat/taskIds", async () => {
  await using s = await stackWithWorker({
    limits: { ...DEFAULT_LIMITS, creditsPerExecutor: 5 },
  });
  const { worker } = s;
  // As many as it could hold is a heartbeat (of tasks it does not run: each is lost).
  worker.send({ heartbeat: { taskIds: ["a", "b", "c", "d", "e"] } });
  worker.send({ heartbeat: { taskIds: ["a", "b", "c", "d", "e", "f"] } });
  const end = await worker.ended;
  assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
  assert.match(end.details, /more tasks than the worker can hold/);
  const lost = worker.received.flatMap((m) => m.cancellations?.tasks ?? []);
  assert.deepEqual(lost.map((c) => c.taskId).sort(), ["a", "b", "c", "d", "e"]);
});
