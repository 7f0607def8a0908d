/**
 * Smaller faults of the hardening family, each with the input that broke it: one idempotency key
 * under an unacknowledged write concern on two managers, a worker without executor config, a
 * worker whose handlers ignore their signal, and results that wait behind slow store calls.
 */
import assert from "node:assert/strict";
import { msFromTimestamp } from "@tasks-executor/proto";
import { Client, NotFoundError } from "../sdk/mod.ts";
import { registerExecutors } from "../sdk/_registration.ts";
import { DEFAULT_EXECUTOR_CONFIG } from "../server/domain/executor.ts";
import { Service } from "../server/service/service.ts";
import { openMongoStore } from "../server/store/mongo/store.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { startHeldSettleEngine } from "./fixtures/held_settle.ts";
import { Proc } from "./fixtures/process.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";

/** Two managers' services on one store (two connections), and a way to drop it all. */
interface TwoManagers extends AsyncDisposable {
  a: Service;
  b: Service;
}

async function twoSqliteManagers(): Promise<TwoManagers> {
  const dir = await Deno.makeTempDir({ prefix: "faults-key-" });
  const stores = [
    await openSqliteStore({ path: `${dir}/tasks.db` }),
    await openSqliteStore({ path: `${dir}/tasks.db` }),
  ];
  return {
    a: new Service(stores[0]),
    b: new Service(stores[1]),
    async [Symbol.asyncDispose]() {
      for (const store of stores) await store[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function twoMongoManagers(): Promise<TwoManagers> {
  const dbName = `faults_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;
  const open = () => openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 });
  const stores: Store[] = [await open(), await open()];
  return {
    a: new Service(stores[0]),
    b: new Service(stores[1]),
    async [Symbol.asyncDispose]() {
      const { MongoClient } = await import("mongodb");
      for (const store of stores) await store[Symbol.asyncDispose]();
      const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

/**
 * ~70 concurrent creates with one idempotency key, half through each manager, on an executor
 * whose write concern is `unacknowledged`: exactly one is told "created", every answer names that
 * task, and both managers can read it.
 */
async function oneKeyOneTask(managers: TwoManagers, rounds: number): Promise<void> {
  await managers.a.createExecutor({
    name: "keyed",
    writeConcern: { level: "unacknowledged" },
  });
  for (let round = 0; round < rounds; round++) {
    const key = `order-${round}`;
    const answers = await Promise.all(
      Array.from({ length: 70 }, (_, i) =>
        (i % 2 === 0 ? managers.a : managers.b).createTask({
          executorName: "keyed",
          data: { i },
          idempotencyKey: key,
        }, { ifExists: "return" })),
    );
    const created = answers.filter((answer) => answer.created);
    assert.equal(created.length, 1, `round ${round}: one "created" answer per key`);
    const ids = new Set(answers.map((answer) => answer.task.id));
    assert.deepEqual([...ids], [created[0].task.id], `round ${round}: one task per key`);
    for (const service of [managers.a, managers.b]) {
      const task = await service.getTask(created[0].task.id);
      assert.equal(task.idempotencyKey, key);
    }
  }
}

Deno.test("one idempotency key never answers created twice on two managers sharing a SQLite file, even unacknowledged", async () => {
  await using managers = await twoSqliteManagers();
  await oneKeyOneTask(managers, 13);
});

Deno.test({
  ...skipUnless(
    "one idempotency key never answers created twice on two managers sharing a MongoDB, even unacknowledged (w:0)",
    MONGO_URI ? null : "TEST_MONGO_URI is not set",
  ),
  fn: async () => {
    await using managers = await twoMongoManagers();
    await oneKeyOneTask(managers, 3);
  },
});

// A worker without executor config ---------------------------------------------------------------

const FAULTS_WORKER = new URL("./fixtures/faults_worker.ts", import.meta.url).pathname;

function spawnBareWorker(address: string, env: Record<string, string> = {}): Proc {
  return new Proc("worker", Deno.execPath(), ["run", "-A", FAULTS_WORKER], {
    SDK_ADDRESS: address,
    ...env,
  });
}

Deno.test("a worker serving an executor without config creates it with the manager's defaults and runs its tasks", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnBareWorker(manager.grpcAddress);
  await worker.waitForLine((l) => l === "ready");
  const executor = await manager.service.getExecutor("bare");
  const { name: _name, ...defaults } = { name: "", ...DEFAULT_EXECUTOR_CONFIG };
  for (const [field, value] of Object.entries(defaults)) {
    assert.deepEqual(executor[field as keyof typeof executor], value, `${field} is the default`);
  }
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("bare", { ms: 0 });
  const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
  assert.equal(done.status, "completed", worker.describe());
  assert.equal(done.attempt, 1);
});

Deno.test("a worker serving an executor without config leaves an existing executor's configuration as it is", async () => {
  await using manager = await startSdkManager();
  const before = await manager.service.createExecutor({
    name: "bare",
    timeout: 12_345,
    retryPolicy: { type: "constant", maxAttempts: 7, interval: 10 },
  });
  await using worker = spawnBareWorker(manager.grpcAddress);
  await worker.waitForLine((l) => l === "ready");
  assert.deepEqual(await manager.service.getExecutor("bare"), before, worker.describe());
  using client = new Client({ address: manager.grpcAddress });
  const done = await client.waitForTask((await client.createTask("bare", {})).id, {
    timeoutMs: 15_000,
  });
  assert.equal(done.status, "completed", worker.describe());
});

Deno.test("a worker serving without config an executor named like another executor's id creates it, leaving the other as it is", async () => {
  await using manager = await startSdkManager();
  const other = await manager.service.createExecutor({ name: "other", timeout: 12_345 });
  await using worker = spawnBareWorker(manager.grpcAddress, { SDK_EXECUTOR: other.id });
  await worker.waitForLine((l) => l === "ready");
  const made = await manager.service.getExecutorNamed(other.id);
  assert.equal(made.timeout, DEFAULT_EXECUTOR_CONFIG.timeout, worker.describe());
  assert.deepEqual(await manager.service.getExecutorNamed("other"), other);
  using client = new Client({ address: manager.grpcAddress });
  const done = await client.waitForTask((await client.createTask(other.id, {})).id, {
    timeoutMs: 15_000,
  });
  assert.equal(done.status, "completed", worker.describe());
});

Deno.test("an executor served without config that another client makes between the worker's read and its create is left exactly as made: the worker sends no update", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  let made: unknown;
  // The worker's read finds nothing; the executor is made before its create.
  const racing = new Proxy(client, {
    get(target, name) {
      if (name === "getExecutor") {
        return async () => {
          made = await manager.service.createExecutor({ name: "bare", timeout: 12_345 });
          throw new NotFoundError('Executor "bare" does not exist', 5);
        };
      }
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const bare = { name: "bare", concurrency: 1, handler: () => null, schedules: [] };
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  await registerExecutors(racing, new Map([["bare", bare]]), silent);
  assert.deepEqual(await manager.service.getExecutor("bare"), made);
});

// A handler that ignores its signal ----------------------------------------------------------------

/** The process's exit status; rejects with its last output when it runs on past `ms`. */
async function exitWithin(proc: Proc, ms: number): Promise<Deno.CommandStatus> {
  let timer: number | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${proc.name} still runs ${ms} ms on\n${proc.describe()}`)),
      ms,
    );
  });
  try {
    return await Promise.race([proc.status, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("SIGTERM ends a worker process whose handler ignores its signal after the grace period, with exit code 143", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnBareWorker(manager.grpcAddress, { SDK_GRACE_MS: "300" });
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  // The handler would sleep two minutes whatever its signal says.
  const task = await client.createTask("bare", { ms: 120_000 });
  await worker.waitForLine((l) => l.startsWith(`started ${task.id} `));
  worker.kill("SIGTERM");
  // Grace (0.3 s) + abort wait (1 s) + result acknowledgement (≤ 3 s) + close (≤ 1 s), with room.
  const status = await exitWithin(worker, 30_000);
  assert.equal(status.code, 143, worker.describe());
  assert.ok(worker.lines.includes("stopped"), "code awaiting worker.closed ran first");
  // The abandoned attempt was reported before the exit: the task waits for another worker.
  const after = await client.getTask(task.id);
  assert.equal(after.status, "pending", worker.describe());
  assert.equal(after.errors[0]?.message, "Worker shut down before the task finished");
});

// Results that wait behind slow store calls --------------------------------------------------------

Deno.test("results that reached the manager before their leases expired are applied, however long they wait behind slow store calls", async () => {
  const held = await startHeldSettleEngine({ prefix: "faults-results-" });
  const { real, slow, engine, service, server } = held;
  await service.createExecutor({
    name: "quick",
    timeout: 2000,
    retryPolicy: { type: "constant", maxAttempts: 5, interval: 10 },
  });
  const worker = await TestWorker.connect(`127.0.0.1:${server.port}`, {
    workerId: "w1",
    executors: ["quick"],
  });
  try {
    const created = await service.createTasks([
      { executorName: "quick", data: "a" },
      { executorName: "quick", data: "b" },
    ]);
    held.clock = Date.now();
    const start = held.clock;
    worker.credit("quick", 2);
    const [a, b] = await worker.assigned(2);
    assert.equal(msFromTimestamp(a.leaseExpiresAt), start + 2000);
    const mark = worker.received.length;
    // a's result is being applied (its store call is slow); b's waits behind it on the stream.
    worker.result(a, { ok: true, resultJson: '"a"' });
    await slow.held;
    worker.result(b, { ok: true, resultJson: '"b"' });
    // Both answered in time. The rescuer keeps both leases alive: b's as soon as it arrived.
    held.clock = start + 1500;
    for (let tries = 0;; tries++) {
      await engine.rescueNow();
      const waiting = await real.taskGet(b.taskId);
      if (waiting?.leaseExpiresAt === held.clock + 2000) break;
      if (tries > 200) assert.fail(`b's lease was never kept alive: ${JSON.stringify(waiting)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Past the leases as first given: nothing to rescue, since both results are in hand.
    held.clock = start + 2500;
    assert.equal(await engine.rescueNow(), 0);
    slow.release();
    for (const [task, value] of [[a, "a"], [b, "b"]] as const) {
      const ack = await worker.next(
        (m) => m.acks?.acks.some((x) => x.taskId === task.taskId) ?? false,
        { after: mark },
      );
      assert.deepEqual(ack.acks!.acks, [{ taskId: task.taskId, accepted: true, error: "" }]);
      const done = await real.taskGet(task.taskId);
      assert.equal(done?.status, "completed");
      assert.equal(done?.result, value);
      assert.equal(done?.attempt, 1, "it ran once");
      assert.deepEqual(done?.errors, []);
    }
    assert.deepEqual(created.map((c) => c.task.id).sort(), [a.taskId, b.taskId].sort());
  } finally {
    slow.release();
    await worker.close();
    await held.close();
  }
});
