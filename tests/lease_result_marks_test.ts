/**
 * A result that reached the manager shields its lease while it is settled (the rescuer keeps the
 * lease alive, the lease check leaves it to the settlement): a result the manager refuses no
 * longer does, nor one it drops behind a refusal that ended its stream; a lease the manager learns
 * only after the result arrived (held through a manager before this one), from the report itself
 * or from a heartbeat before it, is shielded from the result's arrival as one it knew. On the real
 * SQLite store, with a real gRPC worker stream; the rescuer and the lease check run when the test
 * says, on its clock.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { WorkResponse } from "@tasks-executor/proto";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { startEngineServer } from "./fixtures/engine_stack.ts";
import { withFirstSettleHeld } from "./fixtures/held_settle.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function cancelsOf(messages: WorkResponse[], taskId: string): unknown[] {
  return messages.flatMap((m) =>
    (m.cancellations?.tasks ?? []).filter((c) => c.taskId === taskId).map((c) => c.reason)
  );
}

/** An engine on `store` whose rescuer and lease check run only when called, on `clock()`. */
async function startManager(
  store: Store,
  clock: () => number,
  limits: Partial<typeof DEFAULT_LIMITS> = {},
) {
  const { engine, service, server } = await startEngineServer(store, {
    now: clock,
    rescueIntervalMs: 3_600_000,
    leaseCheckMs: 3_600_000,
    pollIntervalMs: 200,
    limits: { ...DEFAULT_LIMITS, ...limits },
  });
  return {
    engine,
    service,
    address: `127.0.0.1:${server.port}`,
    async stop() {
      await engine.stop();
      await server.close({ graceMs: 500 });
    },
  };
}

Deno.test("a result the manager refused no longer keeps its lease from the lease check or the rescue", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lease-marks-" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  let clock = Date.now();
  const manager = await startManager(store, () => clock, {
    creditsPerExecutor: 4,
    assignmentsInFlight: 4,
  });
  await manager.service.createExecutor({
    name: "refused",
    timeout: 2000,
    retryPolicy: { type: "constant", maxAttempts: 3, interval: 60_000 },
  });
  const first = await TestWorker.connect(manager.address, {
    workerId: "w1",
    executors: ["refused"],
  });
  let again: TestWorker | undefined;
  try {
    await manager.service.createTasks(
      ["a", "b"].map((data) => ({ executorName: "refused", data })),
    );
    clock = Date.now();
    const start = clock;
    first.credit("refused", 2);
    const [a, b] = await first.assigned(2);
    // One message with a's and b's results and more than a worker can hold: refused whole.
    const junk = [1, 2, 3].map((n) => ({ taskId: `none-${n}`, leaseToken: "none", ok: true }));
    first.send({
      results: {
        results: [
          { taskId: a.taskId, leaseToken: a.leaseToken, ok: true, resultJson: '"a"' },
          { taskId: b.taskId, leaseToken: b.leaseToken, ok: true, resultJson: '"b"' },
          ...junk,
        ],
      },
    });
    assert.equal((await first.ended).code, grpc.status.INVALID_ARGUMENT);
    assert.equal((await store.taskGet(a.taskId))?.status, "in_progress");
    // The worker comes back; its tasks are still leased to it.
    again = await TestWorker.connect(manager.address, { workerId: "w1", executors: ["refused"] });
    // a is cancelled: the lease check tells the worker at once.
    await manager.service.cancelTask(a.taskId);
    await manager.engine.leaseCheckNow();
    await again.next((m) => cancelsOf([m], a.taskId).length > 0);
    // b's lease runs out: rescued as a lease whose worker never reported, its worker told so.
    clock = start + 2500;
    assert.equal(await manager.engine.rescueNow(), 1);
    await again.next((m) => cancelsOf([m], b.taskId).length > 0);
    assert.deepEqual(cancelsOf(again.received, a.taskId), ["CANCELLATION_REASON_CANCELLED"]);
    assert.deepEqual(cancelsOf(again.received, b.taskId), ["CANCELLATION_REASON_TIMEOUT"]);
    const rescued = await store.taskGet(b.taskId);
    assert.equal(rescued?.status, "pending");
    assert.match(rescued?.errors[0]?.message ?? "", /Timed out/);
    assert.equal(manager.engine.workers.list()[0].inFlight, 0, "every lease is released here");
  } finally {
    first.kill();
    await again?.close();
    await manager.stop();
    await store[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a lease learned from the result that settles it (held through an earlier manager) is left to that settlement by the lease check", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lease-marks-" });
  const real = await openSqliteStore({ path: `${dir}/tasks.db` });
  const slow = withFirstSettleHeld(real, { afterCommit: true });
  const manager = await startManager(slow.store, () => Date.now());
  // The manager the worker was connected to before: its own connection to the same file.
  const before = await openSqliteStore({ path: `${dir}/tasks.db` });
  await manager.service.createExecutor({ name: "adopted", timeout: 60_000 });
  const worker = await TestWorker.connect(manager.address, {
    workerId: "w1",
    executors: ["adopted"],
  });
  try {
    const [id] = (await new Service(before).createTasks([{ executorName: "adopted", data: 1 }]))
      .map((outcome) => outcome.task.id);
    const [leased] = await before.taskClaim({
      executorName: "adopted",
      limit: 1,
      leaseMs: 60_000,
      owner: "w1",
      now: Date.now(),
      maxConcurrency: 0,
    });
    assert.equal(leased.id, id);
    const mark = worker.received.length;
    // The worker reports it here, where nothing held its lease until this report.
    worker.result({ taskId: id, leaseToken: leased.leaseToken! }, { ok: true, resultJson: "2" });
    await slow.held;
    assert.equal((await real.taskGet(id))?.status, "completed");
    await manager.engine.leaseCheckNow();
    slow.release();
    const ack = await worker.next(
      (m) => m.acks?.acks.some((x) => x.taskId === id) ?? false,
      { after: mark },
    );
    assert.deepEqual(ack.acks!.acks, [{ taskId: id, accepted: true, error: "" }]);
    // What the check sent went out before the ack, on the same stream.
    assert.deepEqual(
      cancelsOf(worker.received.slice(mark), id),
      [],
      "a finished task is not aborted",
    );
    assert.equal(manager.engine.workers.list()[0].inFlight, 0, "its lease is released here");
  } finally {
    slow.release();
    await worker.close();
    await manager.stop();
    await before[Symbol.asyncDispose]();
    await real[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("results queued on a stream the manager cuts (too many messages waiting) no longer keep their leases from the rescue", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lease-marks-" });
  const real = await openSqliteStore({ path: `${dir}/tasks.db` });
  // b's settlement waits, so that what the worker sends after it queues up on the stream.
  const slow = withFirstSettleHeld(real);
  let clock = Date.now();
  const manager = await startManager(slow.store, () => clock);
  await manager.service.createExecutor({
    name: "cut",
    timeout: 2000,
    retryPolicy: { type: "constant", maxAttempts: 3, interval: 60_000 },
  });
  const worker = await TestWorker.connect(manager.address, {
    workerId: "w1",
    executors: ["cut"],
  });
  try {
    await manager.service.createTasks(["a", "b"].map((data) => ({ executorName: "cut", data })));
    clock = Date.now();
    const start = clock;
    worker.credit("cut", 2);
    const [a, b] = await worker.assigned(2);
    worker.result(b, { ok: true, resultJson: '"b"' });
    await slow.held;
    // a's result waits behind b's, then more messages than a stream may hold waiting: cut.
    worker.result(a, { ok: true, resultJson: '"a"' });
    for (let i = 0; i < 1000; i++) worker.send({ heartbeat: { taskIds: [] } });
    assert.equal((await worker.ended).code, grpc.status.RESOURCE_EXHAUSTED);
    slow.release();
    // b's settlement ends the stream's last turn; the turns of what waited behind it follow.
    while ((await real.taskGet(b.taskId))?.status !== "completed") await delay(20);
    // The manager will never apply a's result: a's lease runs out and is rescued as any other,
    // once the turns queued behind b's have been dropped (polled, not waited for a fixed time).
    clock = start + 2500;
    let rescued = 0;
    for (const giveUp = Date.now() + 5000; rescued === 0 && Date.now() < giveUp;) {
      rescued = await manager.engine.rescueNow();
      if (rescued === 0) await delay(20);
    }
    assert.equal(rescued, 1);
    const task = await real.taskGet(a.taskId);
    assert.equal(task?.status, "pending");
    assert.match(task?.errors[0]?.message ?? "", /Lease lost|Timed out/);
  } finally {
    slow.release();
    worker.kill();
    await manager.stop();
    await real[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * `store`, except that its first call of `method` whose arguments `matches` waits until
 * `release()`, before it reaches the store; `held` resolves when that call reaches the wait.
 */
function withCallHeld<M extends "taskRefsOf" | "leaseExtend">(
  store: Store,
  method: M,
  matches: (...args: Parameters<Store[M]>) => boolean,
) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const held = new Promise<void>((resolve) => (reached = resolve));
  let waited = false;
  const wrapped = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (property !== method) return typeof value === "function" ? value.bind(target) : value;
      return async (...args: Parameters<Store[M]>) => {
        if (!waited && matches(...args)) {
          waited = true;
          reached();
          await gate;
        }
        return await (value as (...a: Parameters<Store[M]>) => unknown).apply(target, args);
      };
    },
  });
  return { store: wrapped, held, release };
}

Deno.test("a result that arrives before its lease is learned (held through an earlier manager) shields it from the moment it is learned", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lease-marks-" });
  const real = await openSqliteStore({ path: `${dir}/tasks.db` });
  const before = await openSqliteStore({ path: `${dir}/tasks.db` });
  const [x, y] = (await new Service(before).createExecutor({
    name: "learned",
    timeout: 2000,
    retryPolicy: { type: "constant", maxAttempts: 3, interval: 60_000 },
  }).then(() =>
    new Service(before).createTasks([1, 2].map((data) => ({ executorName: "learned", data })))
  )).map((outcome) => outcome.task.id);
  // The heartbeat's look-up of the leases it names waits, and so, later, does its extension of y.
  const lookUp = withCallHeld(real, "taskRefsOf", (ids) => ids.includes(x));
  const extend = withCallHeld(
    lookUp.store,
    "leaseExtend",
    (refs) => refs.some((ref) => ref.taskId === y),
  );
  let clock = Date.now();
  const manager = await startManager(extend.store, () => clock);
  const worker = await TestWorker.connect(manager.address, {
    workerId: "w1",
    executors: ["learned"],
  });
  try {
    // x and y were leased to w1 through the manager before this one.
    const start = clock;
    const leased = await before.taskClaim({
      executorName: "learned",
      limit: 2,
      leaseMs: 2000,
      owner: "w1",
      now: start,
      maxConcurrency: 0,
    });
    const tokenOf = (id: string) => leased.find((task) => task.id === id)!.leaseToken!;
    let arrived!: () => void;
    const xArrived = new Promise<void>((resolve) => (arrived = resolve));
    const note = manager.engine.noteResults.bind(manager.engine);
    manager.engine.noteResults = (workerId, results) => {
      if (JSON.stringify(results).includes(x)) arrived();
      return note(workerId, results);
    };
    const mark = worker.received.length;
    // A heartbeat naming both (and y's progress, so that y's lease is extended), then x's result,
    // which arrives while the manager does not know x's lease yet.
    worker.send({ heartbeat: { taskIds: [x, y], progressJson: { [y]: "1" } } });
    await lookUp.held;
    worker.result({ taskId: x, leaseToken: tokenOf(x) }, { ok: true, resultJson: '"x"' });
    await xArrived;
    lookUp.release();
    // The heartbeat learned both leases and waits on y's extension; x's result waits behind it.
    await extend.held;
    clock = start + 2500;
    assert.equal(
      await manager.engine.rescueNow(),
      1,
      "only y, whose worker did not report, is rescued",
    );
    extend.release();
    const ack = await worker.next(
      (m) => m.acks?.acks.some((a) => a.taskId === x) ?? false,
      { after: mark },
    );
    assert.deepEqual(ack.acks!.acks, [{ taskId: x, accepted: true, error: "" }]);
    assert.deepEqual(cancelsOf(worker.received.slice(mark), x), [], "x is not taken back");
    assert.equal((await real.taskGet(x))?.status, "completed");
  } finally {
    lookUp.release();
    extend.release();
    await worker.close();
    await manager.stop();
    await before[Symbol.asyncDispose]();
    await real[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
