/**
 * Engine behaviour end to end: real gRPC server, SQLite store in a temp dir, hand-driven workers
 * over real grpc-js streams — dispatch, fairness, concurrency, retries, DLQ, rescue, cancellation.
 */
import assert from "node:assert/strict";
import { durationFromMs, msFromTimestamp } from "@tasks-executor/proto";
import { DEFAULT_EXECUTOR_CONFIG, type Executor } from "../server/domain/executor.ts";
import { DEMAND_WITHDRAW_MS } from "../server/engine/dispatcher.ts";
import { Engine } from "../server/engine/engine.ts";
import { decideExpiry, decideSettlement } from "../server/engine/settler.ts";
import { ServiceEvents } from "../server/service/events.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { ClaimOptions, Store } from "../server/store/store.ts";
import { type EngineStack, startEngineServer, startEngineStack } from "./fixtures/engine_stack.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

const fastRetry = { type: "constant", interval: 10, maxAttempts: 3 };

/** Waits until the manager holds the credit its (one) worker granted. */
function creditArrived(stack: EngineStack, credits: number): Promise<void> {
  return stack.waitFor(
    () => Promise.resolve(stack.engine.workers.list()[0]?.credits === credits),
    "the worker's credit to reach the manager",
  );
}

Deno.test("a batch of ready tasks reaches the worker in one assignments message", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "batch" });
  const ids = await stack.enqueue("batch", [1, 2, 3, 4, 5]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["batch"],
  });
  worker.credit("batch", 10);
  const message = await worker.next((m) => m.kind === "assignments");
  const tasks = message.assignments!.tasks;
  assert.deepEqual(tasks.map((t) => t.taskId).sort(), [...ids].sort());
  assert.deepEqual(tasks.map((t) => JSON.parse(t.dataJson)).sort(), [1, 2, 3, 4, 5]);
  assert.ok(
    tasks.every((t) =>
      t.attempt === 1 && t.leaseToken !== "" && msFromTimestamp(t.leaseExpiresAt)! > 0
    ),
  );
  worker.send({
    results: {
      results: tasks.map((a) => ({
        taskId: a.taskId,
        leaseToken: a.leaseToken,
        ok: true,
        resultJson: JSON.stringify({ doubled: 2 * JSON.parse(a.dataJson) }),
      })),
    },
  });
  const acks = await worker.acks(0);
  assert.equal(acks.length, 5);
  assert.ok(acks.every((a) => a.accepted));
  const done = await stack.waitForTask(ids[2], (t) => t.status === "completed");
  assert.deepEqual(done.result, { doubled: 6 });
  const stats = stack.engine.stats();
  assert.equal(stats.executors.batch.completed, 5);
  assert.equal(stats.executors.batch.dispatched, 5);
  assert.equal(stats.executors.batch.runTimeMs.count, 5);
});

Deno.test("a task created while a worker waits is leased to it by the create itself", async () => {
  await using stack = await startEngineStack({ pollIntervalMs: 60_000 });
  await stack.executor({ name: "handoff" });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["handoff"],
  });
  worker.credit("handoff", 2);
  await creditArrived(stack, 2);
  const [{ task, created }] = await stack.service.createTasks([
    { executorName: "handoff", data: 1 },
  ]);
  assert.equal(created, true);
  assert.equal(task.status, "in_progress", "the answer shows the task as it is: leased");
  assert.equal(task.workerId, "w1");
  assert.equal(task.attempt, 1);
  const [assignment] = await worker.assigned(1);
  assert.equal(assignment.taskId, task.id);
  assert.equal(assignment.leaseToken, task.leaseToken);
  assert.equal(stack.engine.workers.list()[0].credits, 1, "one credit spent, one left");
});

Deno.test("a settle's event names the tasks whose settle was written apart from those only queued (an unacknowledged executor's)", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "written" });
  await stack.executor({ name: "queued", writeConcern: { level: "unacknowledged" } });
  const [written] = await stack.enqueue("written", [1]);
  const [queued] = await stack.enqueue("queued", [2]);
  const finished: { taskIds: string[]; queuedTaskIds: string[] }[] = [];
  stack.service.events.on((event) => {
    if (event.type === "tasks_finished") finished.push(event);
  });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["written", "queued"],
  });
  worker.credit("written", 1);
  worker.credit("queued", 1);
  const tasks = await worker.assigned(2);
  const after = worker.received.length;
  worker.send({
    results: {
      results: tasks.map((t) => ({ taskId: t.taskId, leaseToken: t.leaseToken, ok: true })),
    },
  });
  await worker.acks(after);
  assert.deepEqual(
    finished.flatMap((e) => e.taskIds),
    [written],
    "the written settle's task is final as the event comes",
  );
  assert.deepEqual(
    finished.flatMap((e) => e.queuedTaskIds),
    [queued],
    "the queued one is to be read first",
  );
});

Deno.test("credits bound what a worker gets and new credit brings more", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "credit" });
  await stack.enqueue("credit", [1, 2, 3, 4, 5]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["credit"],
  });
  worker.credit("credit", 2);
  await worker.assigned(2);
  worker.credit("credit", 3);
  await worker.assigned(5);
  assert.equal(new Set(worker.assignments.map((a) => a.taskId)).size, 5);
});

Deno.test("two executors served by one worker are both served (no starvation)", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "busy" });
  await stack.executor({ name: "quiet" });
  await stack.enqueue("busy", Array.from({ length: 60 }, (_, i) => i));
  await stack.enqueue("quiet", Array.from({ length: 30 }, (_, i) => i));
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["busy", "quiet"],
  });
  worker.handle(() => ({ ok: true }));
  worker.credit("busy", 2);
  worker.credit("quiet", 2);
  await worker.assigned(20);
  const first = worker.assignments.slice(0, 20);
  const quiet = first.filter((a) => a.executorName === "quiet").length;
  assert.ok(quiet >= 8, `quiet got ${quiet} of the first 20`);
  assert.ok(20 - quiet >= 8, `busy got ${20 - quiet} of the first 20`);
});

Deno.test("workers of one executor take turns", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "turns" });
  await using w1 = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["turns"],
  });
  await using w2 = await TestWorker.connect(stack.address, {
    workerId: "w2",
    executors: ["turns"],
  });
  w1.credit("turns", 3);
  w2.credit("turns", 3);
  await stack.waitFor(
    () => Promise.resolve(stack.engine.workers.list().every((w) => w.credits === 3)),
    "credits to register",
  );
  await stack.enqueue("turns", [1, 2, 3, 4, 5, 6]);
  await w1.assigned(3);
  await w2.assigned(3);
  assert.equal(w1.assignments.length + w2.assignments.length, 6);
});

Deno.test("maxConcurrency is never exceeded across workers", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "limited", maxConcurrency: 3 });
  const ids = await stack.enqueue("limited", Array.from({ length: 30 }, (_, i) => i));
  let running = 0;
  let most = 0;
  const handler = async () => {
    running++;
    most = Math.max(most, running);
    // Simulated work, so that tasks overlap.
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
    return { ok: true };
  };
  await using w1 = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["limited"],
  });
  await using w2 = await TestWorker.connect(stack.address, {
    workerId: "w2",
    executors: ["limited"],
  });
  w1.handle(handler);
  w2.handle(handler);
  w1.credit("limited", 10);
  w2.credit("limited", 10);
  await stack.waitFor(async () => {
    const page = await stack.store.taskList({ executorName: "limited", status: ["completed"] }, {
      limit: 100,
    });
    return page.items.length === ids.length;
  }, "every task to complete");
  assert.ok(most <= 3, `${most} ran at once`);
  assert.ok(most >= 2, `concurrency was used (${most})`);
});

Deno.test("managers sharing a store share a limited executor's slots between their workers", async () => {
  // The default poll (1 s): how often a manager reports its workers' capacity and looks for
  // slots freed through other managers.
  await using a = await startEngineStack({ pollIntervalMs: 1000, executorRefreshMs: 100 });
  await using b = await startEngineStack({ pollIntervalMs: 1000, executorRefreshMs: 100 }, a);
  const LIMIT = 4;
  await a.executor({ name: "shared", maxConcurrency: LIMIT });
  const connect = async (stack: typeof a, workerId: string) => {
    const worker = await TestWorker.connect(stack.address, { workerId, executors: ["shared"] });
    worker.handle(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { ok: true, resultJson: "null" };
    });
    // Either manager's worker alone could fill every slot.
    worker.credit("shared", LIMIT);
    return worker;
  };
  await using wa = await connect(a, "wa");
  await using wb = await connect(b, "wb");
  const reported = async () => {
    const now = Date.now();
    const totals = await a.store.demandReport({
      managerId: "observer",
      capacity: {},
      now,
      since: now - 3000,
    });
    return totals.shared === 2 * LIMIT;
  };
  await a.waitFor(reported, "both managers to report their workers' capacity", 5000);
  // Each learns the other's capacity with its next report, at most one poll later.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const TASKS = 300;
  await a.enqueue("shared", Array.from({ length: TASKS }, (_, i) => i));
  await a.waitFor(
    async () => {
      const stats = await a.store.taskStats({ now: Date.now() });
      return stats.find((e) => e.executorName === "shared")?.byStatus.completed === TASKS;
    },
    "every task to complete",
    20_000,
  );
  const counts = { wa: wa.assignments.length, wb: wb.assignments.length };
  assert.equal(counts.wa + counts.wb, TASKS, "each task ran once");
  // Without sharing, the manager whose worker frees a slot takes it again at once, and the
  // other one sees free slots only at its poll: its worker got 0-8% of the tasks.
  assert.ok(counts.wa >= TASKS / 3 && counts.wb >= TASKS / 3, JSON.stringify(counts));
  assert.ok(wa.maxRunning <= LIMIT && wb.maxRunning <= LIMIT);
});

Deno.test("a manager stopped gracefully withdraws its workers' capacity report: the other managers take a limited executor's whole limit at once, not once the report is stale", async () => {
  await using a = await startEngineStack({ pollIntervalMs: 1000, executorRefreshMs: 100 });
  await using b = await startEngineStack({ pollIntervalMs: 1000, executorRefreshMs: 100 }, a);
  await a.executor({ name: "shared", maxConcurrency: 4 });
  await using wa = await TestWorker.connect(a.address, { workerId: "wa", executors: ["shared"] });
  wa.credit("shared", 4);
  const reported = async () => {
    const now = Date.now();
    const totals = await b.store.demandReport({
      managerId: "observer",
      capacity: {},
      now,
      since: now - 3000,
    });
    return totals.shared ?? 0;
  };
  await a.waitFor(async () => await reported() === 4, "a to report its worker's capacity", 5000);
  await a.engine.stop();
  // Without the withdrawal, a's report counted for up to 3 polls (3 s) after the stop.
  assert.equal(await reported(), 0, "withdrawn at the stop");
});

Deno.test("a store that does not answer holds a graceful stop at most DEMAND_WITHDRAW_MS: the capacity report is left to grow stale", async () => {
  const dir = await Deno.makeTempDir({ prefix: "engine-test-" });
  await using _removed = { [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
  await using sqlite = await openSqliteStore({ path: `${dir}/tasks.db` });
  let hang = false;
  let withdrawals = 0;
  const store = new Proxy(sqlite, {
    get(target, key) {
      if (key === "demandReport" && hang) {
        return () => (withdrawals++, new Promise<never>(() => {}));
      }
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const { engine, service, server } = await startEngineServer(store, {
    pollIntervalMs: 100,
    executorRefreshMs: 100,
  });
  try {
    await service.createExecutor({ name: "limited", maxConcurrency: 2 });
    await using worker = await TestWorker.connect(`127.0.0.1:${server.port}`, {
      workerId: "w1",
      executors: ["limited"],
    });
    worker.credit("limited", 2);
    const reported = async () => {
      const now = Date.now();
      const totals = await sqlite.demandReport({
        managerId: "observer",
        capacity: {},
        now,
        since: now - 300,
      });
      return totals.limited === 2;
    };
    const deadline = Date.now() + 5000;
    while (!(await reported())) {
      assert.ok(Date.now() < deadline, "the capacity report never came");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    hang = true;
    const started = performance.now();
    await engine.stop();
    const took = performance.now() - started;
    assert.equal(withdrawals, 1, "the withdrawal was tried");
    assert.ok(
      took >= DEMAND_WITHDRAW_MS - 50 && took < DEMAND_WITHDRAW_MS + 1000,
      `took ${took} ms`,
    );
  } finally {
    await engine.stop();
    await server.close({ graceMs: 500 });
    await service.schemas[Symbol.asyncDispose]();
  }
});

Deno.test("a failing task is retried per policy, then dead-lettered with its history, then requeued runs again", async () => {
  await using stack = await startEngineStack();
  await stack.executor({
    name: "flaky",
    retryPolicy: { type: "exponential", interval: 100, multiplier: 2, maxAttempts: 3, jitter: 0 },
  });
  const [id] = await stack.enqueue("flaky", [{ n: 1 }]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["flaky"],
  });
  const seenAt: number[] = [];
  worker.handle((a) => {
    seenAt.push(Date.now());
    return a.attempt <= 3 && seenAt.length <= 3
      ? { ok: false, error: `boom ${a.attempt}`, retryable: true }
      : { ok: true, resultJson: '"fine"' };
  });
  worker.credit("flaky", 1);
  const dead = await stack.waitForTask(id, (t) => t.status === "dlq");
  assert.equal(dead.attempt, 3);
  assert.deepEqual(dead.errors.map((e) => e.message), ["boom 1", "boom 2", "boom 3"]);
  assert.deepEqual(dead.errors.map((e) => e.attempt), [1, 2, 3]);
  assert.ok(dead.errors.every((e) => e.workerId === "w1"));
  // Backoff: 100 ms after the first failure, 200 ms after the second (no jitter).
  assert.ok(seenAt[1] - seenAt[0] >= 95, `first gap ${seenAt[1] - seenAt[0]}`);
  assert.ok(seenAt[2] - seenAt[1] >= 195, `second gap ${seenAt[2] - seenAt[1]}`);
  const entry = await stack.service.getDlqEntry(id);
  assert.equal(entry.reason, "max_attempts");
  assert.equal(entry.queueName, "dlq");
  assert.equal(entry.task.errors.length, 3);

  await stack.service.requeueDlq(id);
  const done = await stack.waitForTask(id, (t) => t.status === "completed");
  assert.equal(done.result, "fine");
  assert.equal(seenAt.length, 4);
  const counters = stack.engine.stats().executors.flaky;
  assert.equal(counters.retried, 2);
  assert.equal(counters.deadLettered, 1);
  assert.equal(counters.failedAttempts, 3);
  assert.equal(counters.completed, 1);
});

Deno.test("each retry policy schedules its delays exactly (runAt = failure time + delay)", async () => {
  await using stack = await startEngineStack();
  const base = { interval: 40, maxAttempts: 3, jitter: 0 };
  const policies = {
    constant: { retryPolicy: { ...base, type: "constant" }, delays: [40, 40] },
    linear: { retryPolicy: { ...base, type: "linear" }, delays: [40, 80] },
    // 40, then 40 × 3 = 120 capped at maxInterval 100.
    exponential: {
      retryPolicy: { ...base, type: "exponential", multiplier: 3, maxInterval: 100 },
      delays: [40, 100],
    },
  };
  const names = Object.keys(policies) as (keyof typeof policies)[];
  for (const name of names) {
    await stack.executor({ name, retryPolicy: policies[name].retryPolicy });
  }
  const ids = await Promise.all(names.map(async (name) => (await stack.enqueue(name, [0]))[0]));
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: names,
  });
  worker.handle(() => ({ ok: false, error: "again", retryable: true }));
  for (const name of names) worker.credit(name, 1);
  // Each task is watched on its own, so that no short pending spell between attempts is missed.
  await Promise.all(names.map(async (name, i) => {
    const delays: number[] = [];
    for (const attempt of [1, 2]) {
      const waiting = await stack.waitForTask(
        ids[i],
        (t) => t.status === "pending" && t.attempt === attempt,
      );
      delays.push(waiting.runAt - waiting.errors[attempt - 1].at);
    }
    assert.deepEqual(delays, policies[name].delays, name);
    const dead = await stack.waitForTask(ids[i], (t) => t.status === "dlq");
    assert.equal(dead.attempt, 3, `${name}: maxAttempts`);
  }));
});

Deno.test("with the DLQ disabled a task that runs out of attempts ends failed", async () => {
  await using stack = await startEngineStack();
  await stack.executor({
    name: "nodlq",
    retryPolicy: { ...fastRetry, maxAttempts: 2 },
    dlqConfig: { enabled: false },
  });
  const [id] = await stack.enqueue("nodlq", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["nodlq"],
  });
  worker.handle(() => ({ ok: false, error: "nope", retryable: true }));
  worker.credit("nodlq", 1);
  const failed = await stack.waitForTask(id, (t) => t.status === "failed");
  assert.equal(failed.errors.length, 2);
  assert.equal((await stack.service.listDlq({ executorName: "nodlq" })).items.length, 0);
  assert.equal(stack.engine.stats().executors.nodlq.failed, 1);
});

Deno.test("a non-retryable error goes to the DLQ at once, into the executor's queue", async () => {
  await using stack = await startEngineStack();
  await stack.executor({
    name: "fatal",
    retryPolicy: { ...fastRetry, maxAttempts: 5 },
    dlqConfig: { enabled: true, queueName: "fatal-dead" },
  });
  const [id] = await stack.enqueue("fatal", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["fatal"],
  });
  worker.handle(() => ({ ok: false, error: "bad input", retryable: false }));
  worker.credit("fatal", 1);
  const dead = await stack.waitForTask(id, (t) => t.status === "dlq");
  assert.equal(dead.attempt, 1);
  const entry = await stack.service.getDlqEntry(id);
  assert.equal(entry.reason, "non_retryable");
  assert.equal(entry.queueName, "fatal-dead");
});

Deno.test("data the worker finds invalid is dead-lettered with reason validation", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "strict", retryPolicy: { ...fastRetry, maxAttempts: 5 } });
  const [id] = await stack.enqueue("strict", [{ wrong: true }]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["strict"],
  });
  worker.handle(() => ({
    ok: false,
    error: "/data/email is required",
    retryable: false,
    failureReason: "DLQ_REASON_VALIDATION",
  }));
  worker.credit("strict", 1);
  await stack.waitForTask(id, (t) => t.status === "dlq");
  assert.equal((await stack.service.getDlqEntry(id)).reason, "validation");
});

Deno.test("a handler's retry-after replaces the policy's delay", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "later", retryPolicy: fastRetry });
  const [id] = await stack.enqueue("later", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["later"],
  });
  const seenAt: number[] = [];
  worker.handle((a) => {
    seenAt.push(Date.now());
    return a.attempt === 1
      ? { ok: false, error: "rate limited", retryable: true, retryAfter: durationFromMs(300) }
      : { ok: true };
  });
  worker.credit("later", 1);
  const waiting = await stack.waitForTask(id, (t) => t.status === "pending" && t.attempt === 1);
  assert.equal(waiting.runAt - waiting.errors[0].at, 300);
  await stack.waitForTask(id, (t) => t.status === "completed");
  assert.ok(seenAt[1] - seenAt[0] >= 295, `gap ${seenAt[1] - seenAt[0]}`);
});

Deno.test("a delayed task is dispatched when due, by timer rather than by poll", async () => {
  await using stack = await startEngineStack({ pollIntervalMs: 60_000 });
  await stack.executor({ name: "delayed" });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["delayed"],
  });
  worker.credit("delayed", 1);
  // Created while the worker waits (so the create itself tries to hand it over), and while
  // nothing else is ready, so only the timer can start it.
  await creditArrived(stack, 1);
  const due = Date.now() + 300;
  await stack.enqueue("delayed", [1], { runAt: due });
  await worker.assigned(1, 5000);
  assert.ok(Date.now() >= due - 5, "not before it was due");
});

Deno.test("a disabled executor gets nothing until it is enabled again", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "off", enabled: false });
  await stack.executor({ name: "on" });
  const [offId] = await stack.enqueue("off", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["off", "on"],
  });
  worker.credit("off", 5);
  worker.credit("on", 5);
  // A pass that serves "on" would have served "off" too, had it been enabled.
  await stack.enqueue("on", [2]);
  await worker.assigned(1);
  assert.equal(worker.assignments[0].executorName, "on");
  await stack.service.updateExecutor("off", { enabled: true });
  const [, second] = await worker.assigned(2);
  assert.equal(second.taskId, offId);
});

Deno.test("an expired lease is rescued and retried, and the old holder's late result is refused", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "slow", timeout: 300, retryPolicy: fastRetry });
  const [id] = await stack.enqueue("slow", [1]);
  await using w1 = await TestWorker.connect(stack.address, { workerId: "w1", executors: ["slow"] });
  w1.credit("slow", 1);
  const [first] = await w1.assigned(1);
  // w1 hangs: the rescuer takes the lease back and tells w1.
  const cancel = await w1.next((m) => m.kind === "cancellations");
  assert.deepEqual(cancel.cancellations!.tasks, [{
    taskId: id,
    reason: "CANCELLATION_REASON_TIMEOUT",
  }]);
  await using w2 = await TestWorker.connect(stack.address, { workerId: "w2", executors: ["slow"] });
  w2.credit("slow", 1);
  const [second] = await w2.assigned(1);
  assert.equal(second.taskId, id);
  assert.equal(second.attempt, 2);
  const mark = w1.received.length;
  w1.result(first, { ok: true, resultJson: '"late"' });
  const [refused] = await w1.acks(mark);
  assert.equal(refused.accepted, false);
  assert.match(refused.error, /not held|stale|no longer valid/i);
  w2.result(second, { ok: true, resultJson: '"on time"' });
  const done = await stack.waitForTask(id, (t) => t.status === "completed");
  assert.equal(done.result, "on time");
  assert.match(done.errors[0].message, /timed out/i);
  assert.equal(done.errors[0].workerId, "w1");
  assert.equal(stack.engine.stats().executors.slow.rescued, 1);
});

Deno.test("a lease taken through another manager sharing the store, which expires, is rescued here saying so, not as a timeout of a worker this manager sees", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "elsewhere", timeout: 300, retryPolicy: fastRetry });
  const [id] = await stack.enqueue("elsewhere", [1]);
  // The other manager: its own connection to the same file, whose worker then goes silent.
  await using other = await openSqliteStore({ path: `${stack.dir}/tasks.db` });
  const [leased] = await other.taskClaim({
    executorName: "elsewhere",
    limit: 1,
    leaseMs: 300,
    owner: "w-elsewhere",
    now: Date.now(),
    maxConcurrency: 0,
  });
  assert.equal(leased.id, id);
  const retried = await stack.waitForTask(id, (t) => t.status === "pending" && t.errors.length > 0);
  assert.deepEqual(
    retried.errors.map((e) => [e.workerId, e.message]),
    [[
      "w-elsewhere",
      'Lease expired: no result or heartbeat within 300 ms from worker "w-elsewhere", which is ' +
      "not connected to this manager (it, or the manager it was connected to, may be gone)",
    ]],
  );
});

Deno.test("a task whose rescue was cut short (its lease held by a rescuer, which expired) is rescued naming no rescuer as its worker", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "cut_short", timeout: 300, retryPolicy: fastRetry });
  const ids = await stack.enqueue("cut_short", [1, 2]);
  // Another manager's rescuer, and this one's, took each task over from its worker and went no
  // further (stopped, or the store failed it): the store names the rescuer, whose lease expires.
  await using other = await openSqliteStore({ path: `${stack.dir}/tasks.db` });
  const now = Date.now();
  await other.taskClaim({
    executorName: "cut_short",
    limit: 2,
    leaseMs: 300,
    owner: "w-gone",
    now,
    maxConcurrency: 0,
  });
  const rescuers = ["rescuer:m-gone", `rescuer:${stack.engine.managerId}`];
  for (const owner of rescuers) {
    const taken = await other.taskRescueExpired({ now: now + 301, limit: 1, owner, leaseMs: 0 });
    assert.equal(taken.length, 1);
  }
  for (const id of ids) {
    const retried = await stack.waitForTask(
      id,
      (t) => t.status === "pending" && t.errors.length > 0,
    );
    assert.deepEqual(retried.errors.map((e) => [e.workerId, e.message]), [[
      "",
      "Lease expired: a rescue of it was cut short (the manager stopped, or failed to settle it), " +
      "and the worker that held it is not known",
    ]]);
  }
});

Deno.test("a task whose lease keeps expiring is dead-lettered with reason timeout", async () => {
  await using stack = await startEngineStack();
  await stack.executor({
    name: "hang",
    timeout: 300,
    retryPolicy: { ...fastRetry, maxAttempts: 1 },
  });
  const [id] = await stack.enqueue("hang", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["hang"],
  });
  worker.credit("hang", 1);
  await worker.assigned(1);
  await stack.waitForTask(id, (t) => t.status === "dlq");
  assert.equal((await stack.service.getDlqEntry(id)).reason, "timeout");
});

Deno.test("heartbeats keep a long task's lease alive", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "long", timeout: 300, retryPolicy: fastRetry });
  const [id] = await stack.enqueue("long", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["long"],
  });
  worker.credit("long", 1);
  const [a] = await worker.assigned(1);
  // The task runs three times longer than its timeout, heartbeating every 100 ms.
  const beats = setInterval(() => worker.send({ heartbeat: { taskIds: [id] } }), 100);
  try {
    await new Promise((resolve) => setTimeout(resolve, 900));
  } finally {
    clearInterval(beats);
  }
  const mark = worker.received.length;
  worker.result(a, { ok: true });
  const [ack] = await worker.acks(mark);
  assert.equal(ack.accepted, true);
  const done = await stack.waitForTask(id, (t) => t.status === "completed");
  assert.equal(done.attempt, 1);
  assert.equal(done.errors.length, 0);
  assert.ok(!worker.received.some((m) => m.kind === "cancellations"));
});

Deno.test("cancelling a running task tells its worker and refuses its result", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "cancel" });
  const [id] = await stack.enqueue("cancel", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["cancel"],
  });
  worker.credit("cancel", 1);
  const [a] = await worker.assigned(1);
  await stack.service.cancelTask(id);
  const message = await worker.next((m) => m.kind === "cancellations");
  assert.deepEqual(message.cancellations!.tasks, [{
    taskId: id,
    reason: "CANCELLATION_REASON_CANCELLED",
  }]);
  const mark = worker.received.length;
  worker.result(a, { ok: true });
  const [ack] = await worker.acks(mark);
  assert.equal(ack.accepted, false);
  assert.equal((await stack.store.taskGet(id))!.status, "cancelled");
});

Deno.test("a task cancelled through another manager sharing the store is aborted on its worker", async () => {
  await using stack = await startEngineStack({ leaseCheckMs: 50 });
  await stack.executor({ name: "elsewhere", timeout: 60_000 });
  const [id] = await stack.enqueue("elsewhere", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["elsewhere"],
  });
  worker.credit("elsewhere", 1);
  await worker.assigned(1);
  // The other manager: its own connection to the same file; nothing tells this engine.
  await using other = await openSqliteStore({ path: `${stack.dir}/tasks.db` });
  await new Service(other).cancelTask(id);
  const message = await worker.next((m) => m.kind === "cancellations", { timeoutMs: 5000 });
  assert.deepEqual(message.cancellations!.tasks, [{
    taskId: id,
    reason: "CANCELLATION_REASON_CANCELLED",
  }]);
  assert.equal(stack.engine.workers.list()[0].inFlight, 0, "the lease is released here");
});

Deno.test("a task whose worker was killed mid-task completes later with another worker", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "crash", timeout: 300, retryPolicy: fastRetry });
  const [id] = await stack.enqueue("crash", [1]);
  const w1 = await TestWorker.connect(stack.address, { workerId: "w1", executors: ["crash"] });
  w1.credit("crash", 1);
  await w1.assigned(1);
  w1.kill();
  await stack.waitFor(
    () => Promise.resolve(stack.engine.workers.list().length === 0),
    "the dead worker to be forgotten",
  );
  // Not touched at once: its lease runs out first.
  assert.equal((await stack.store.taskGet(id))!.status, "in_progress");
  await using w2 = await TestWorker.connect(stack.address, {
    workerId: "w2",
    executors: ["crash"],
  });
  w2.handle(() => ({ ok: true, resultJson: '"recovered"' }));
  w2.credit("crash", 1);
  const done = await stack.waitForTask(id, (t) => t.status === "completed");
  assert.equal(done.result, "recovered");
  assert.equal(done.attempt, 2);
  assert.equal(done.workerId, "w2");
  assert.match(done.errors[0].message, /lease lost/i);
});

Deno.test("a worker that reconnects may still report a task it got before the drop", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "blip" });
  const [id] = await stack.enqueue("blip", [1]);
  const before = await TestWorker.connect(stack.address, { workerId: "w1", executors: ["blip"] });
  before.credit("blip", 1);
  const [a] = await before.assigned(1);
  before.kill();
  await using after = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["blip"],
  });
  after.result(a, { ok: true });
  const [ack] = await after.acks(0);
  assert.equal(ack.accepted, true);
  await stack.waitForTask(id, (t) => t.status === "completed" && t.attempt === 1);
});

Deno.test("Engine.stop() is safe to call twice and refuses work afterwards", async () => {
  const dir = await Deno.makeTempDir({ prefix: "engine-test-" });
  try {
    await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
    const engine = new Engine({ store, events: new ServiceEvents() });
    await engine.start();
    await engine.stop();
    await engine.stop();
    await assert.rejects(() => engine.claim("w1", ["x"], 1), /not running/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const executorFixture: Executor = {
  ...DEFAULT_EXECUTOR_CONFIG,
  name: "unit",
  id: "x",
  createdAt: 0,
  updatedAt: 0,
  retryPolicy: {
    ...DEFAULT_EXECUTOR_CONFIG.retryPolicy,
    type: "constant",
    interval: 50,
    jitter: 0.5,
  },
  dlqConfig: { enabled: true, queueName: "unit-dlq" },
};

Deno.test("decideSettlement() retries with jittered backoff until the last attempt, then dead-letters", () => {
  const failure = { ok: false as const, error: "boom", retryable: true };
  const retry = decideSettlement(
    failure,
    { attempt: 1, maxAttempts: 2, workerId: "w" },
    executorFixture,
    {
      now: 1000,
      random: () => 1,
    },
  );
  assert.deepEqual(retry, {
    kind: "retry",
    runAt: 1025,
    error: { attempt: 1, message: "boom", at: 1000, workerId: "w" },
  });
  const last = decideSettlement(
    failure,
    { attempt: 2, maxAttempts: 2, workerId: "w" },
    executorFixture,
    {
      now: 1000,
    },
  );
  assert.equal(last.kind, "dlq");
  assert.equal(last.kind === "dlq" && last.reason, "max_attempts");
  assert.equal(last.kind === "dlq" && last.queueName, "unit-dlq");
});

Deno.test("decideSettlement() caps a retry-after and fails instead of dead-lettering when the DLQ is off", () => {
  const huge = decideSettlement(
    { ok: false, error: "later", retryable: true, retryAfterMs: 1e15 },
    { attempt: 1, maxAttempts: 3, workerId: "w" },
    executorFixture,
    { now: 0 },
  );
  assert.equal(huge.kind === "retry" && huge.runAt, 30 * 24 * 3600 * 1000);
  const off = { ...executorFixture, dlqConfig: { enabled: false, queueName: "dlq" } };
  const failed = decideSettlement(
    { ok: false, error: "bad", retryable: false },
    { attempt: 1, maxAttempts: 3, workerId: "w" },
    off,
    { now: 0 },
  );
  assert.equal(failed.kind, "failed");
});

Deno.test("decideExpiry() retries a timed-out attempt and dead-letters the last one with its reason", () => {
  const options = { now: 0, random: () => 0, reason: "lease_lost" as const, message: "gone" };
  assert.equal(
    decideExpiry({ attempt: 1, maxAttempts: 2, workerId: "w" }, executorFixture, options).kind,
    "retry",
  );
  const dead = decideExpiry(
    { attempt: 2, maxAttempts: 2, workerId: "w" },
    executorFixture,
    options,
  );
  assert.equal(dead.kind === "dlq" && dead.reason, "lease_lost");
});

Deno.test("every claim of an executor under a rate limit carries the engine's clock, so the store takes its buckets at the time it reaches them: the dispatcher's, a create's hand-over, a worker without a stream's", async () => {
  await using stack = await startEngineStack({ pollIntervalMs: 60_000 });
  await stack.executor({ name: "rated", rateLimit: { limit: 1000, period: 1000 } });
  const clocks: string[] = [];
  const note = (path: string, claim: ClaimOptions) =>
    clocks.push(
      `${path}: ${
        typeof claim.clock === "function" && Math.abs(claim.clock() - Date.now()) < 1000
          ? "clock"
          : "none"
      }`,
    );
  const { store } = stack;
  const claim = store.taskClaim.bind(store);
  const insertAndClaim = store.taskInsertAndClaim.bind(store);
  Object.defineProperty(store, "taskClaim", {
    value: (options: ClaimOptions) => {
      note("claim", options);
      return claim(options);
    },
  });
  Object.defineProperty(store, "taskInsertAndClaim", {
    value: (...args: Parameters<Store["taskInsertAndClaim"]>) => {
      note("hand-over", args[1]);
      return insertAndClaim(...args);
    },
  });
  await stack.enqueue("rated", [1]);
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["rated"],
  });
  // Room for the two tasks it is given; the third waits for a worker without a stream.
  worker.credit("rated", 2);
  await worker.next((m) => m.kind === "assignments");
  // The worker waits with room left: a create is handed over to it.
  await stack.enqueue("rated", [2]);
  await worker.next((m) => m.kind === "assignments");
  assert.ok(clocks.includes("claim: clock"), JSON.stringify(clocks));
  assert.ok(clocks.includes("hand-over: clock"), JSON.stringify(clocks));
  // And a worker without a stream (`GetNextTask`).
  await stack.enqueue("rated", [3]);
  clocks.push("unary");
  assert.equal((await stack.engine.claim("w2", ["rated"], 1)).length, 1);
  assert.equal(clocks.at(-1), "claim: clock");
  assert.ok(!clocks.some((c) => c.endsWith("none")), JSON.stringify(clocks));
});

/**
 * Holds the store's `method` until the returned release is called, and resolves `started` once it
 * was called: a claim in flight, at the moment the test chooses.
 */
function gate(store: Store, method: "taskClaim" | "taskInsertAndClaim") {
  const original = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store);
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  let started!: () => void;
  const entered = new Promise<void>((resolve) => (started = resolve));
  Object.defineProperty(store, method, {
    value: async (...args: unknown[]) => {
      started();
      await opened;
      return await original(...args);
    },
  });
  return { started: entered, release: open };
}

/** Sends an empty results message and waits for its acks: the manager handled what came before. */
async function barrier(worker: TestWorker): Promise<void> {
  const after = worker.received.length;
  worker.send({ results: { results: [] } });
  assert.deepEqual(await worker.acks(after), []);
}

Deno.test("a claim in flight when its worker withdraws its credit is put back, not handed over, and spends no attempt", async () => {
  await using stack = await startEngineStack({ pollIntervalMs: 60_000 });
  await stack.executor({ name: "withdrawn" });
  const ids = await stack.enqueue("withdrawn", [1, 2]);
  const claim = gate(stack.store, "taskClaim");
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["withdrawn"],
  });
  worker.credit("withdrawn", 2);
  await claim.started;
  // The worker stops: no more credit, and the manager's answer after it is the last word.
  worker.credit("withdrawn", 0);
  await barrier(worker);
  claim.release();
  for (const id of ids) {
    await stack.waitForTask(
      id,
      (t) => t.status === "pending" && t.startedAt !== null && t.leaseToken === null,
    );
  }
  for (const id of ids) {
    const task = (await stack.store.taskGet(id))!;
    assert.equal(task.attempt, 0, "the put-back spent no attempt");
    assert.deepEqual(task.errors, [], "and recorded no failure");
  }
  await barrier(worker);
  assert.equal(worker.assignments.length, 0, "nothing was handed over after the withdrawal");
  assert.equal(stack.engine.workers.list()[0].credits, 0);
});

Deno.test("a create handed over to a worker that withdraws its credit meanwhile is put back, and the worker's credit stays withdrawn", async () => {
  await using stack = await startEngineStack({ pollIntervalMs: 60_000 });
  await stack.executor({ name: "withdrawn" });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["withdrawn"],
  });
  worker.credit("withdrawn", 2);
  await creditArrived(stack, 2);
  const handOver = gate(stack.store, "taskInsertAndClaim");
  const created = stack.service.createTasks([{ executorName: "withdrawn", data: 1 }]);
  await handOver.started;
  worker.credit("withdrawn", 0);
  await barrier(worker);
  handOver.release();
  const [{ task }] = await created;
  await stack.waitForTask(
    task.id,
    (t) => t.status === "pending" && t.startedAt !== null && t.leaseToken === null,
  );
  assert.equal((await stack.store.taskGet(task.id))!.attempt, 0, "the put-back spent no attempt");
  await barrier(worker);
  assert.equal(worker.assignments.length, 0, "nothing was handed over after the withdrawal");
  assert.equal(stack.engine.workers.list()[0].credits, 0, "the room held is not given back");
});

Deno.test("a worker that withdraws its credit and grants it again while a claim is in flight keeps that grant: the tasks put back reach it", async () => {
  await using stack = await startEngineStack({ pollIntervalMs: 60_000 });
  await stack.executor({ name: "resumed" });
  const ids = await stack.enqueue("resumed", [1, 2]);
  const claim = gate(stack.store, "taskClaim");
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["resumed"],
  });
  worker.credit("resumed", 2);
  await claim.started;
  // A pause, then a resume: the claim made for the first grant is not handed over.
  worker.credit("resumed", 0);
  worker.credit("resumed", 2);
  await barrier(worker);
  claim.release();
  await stack.waitFor(
    () => Promise.resolve(worker.assignments.length === 2),
    "the tasks put back to reach the worker on its second grant",
  );
  assert.deepEqual(worker.assignments.map((a) => a.taskId).sort(), [...ids].sort());
  assert.ok(worker.assignments.every((a) => a.attempt === 1), "the put-back spent no attempt");
  assert.equal(stack.engine.workers.list()[0].credits, 0);
});

Deno.test("a create handed over to a worker that withdraws its credit and grants it again meanwhile leaves it that grant", async () => {
  await using stack = await startEngineStack({ pollIntervalMs: 60_000 });
  await stack.executor({ name: "resumed" });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["resumed"],
  });
  worker.credit("resumed", 2);
  await creditArrived(stack, 2);
  const handOver = gate(stack.store, "taskInsertAndClaim");
  const created = stack.service.createTasks([{ executorName: "resumed", data: 1 }]);
  await handOver.started;
  worker.credit("resumed", 0);
  worker.credit("resumed", 2);
  await barrier(worker);
  handOver.release();
  const [{ task }] = await created;
  await stack.waitFor(
    () => Promise.resolve(worker.assignments.length === 1),
    "the task put back to reach the worker on its second grant",
  );
  assert.equal(worker.assignments[0].taskId, task.id);
  assert.equal(worker.assignments[0].attempt, 1, "the put-back spent no attempt");
  assert.equal(stack.engine.workers.list()[0].credits, 1, "granted 2, holds 1");
});
