/**
 * The MongoDB store: the shared store contract against `TEST_MONGO_URI` (one fresh database per
 * test), plus what only it has (several clients on one database, reconnecting after an outage).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Collection, MongoClient } from "mongodb";
import { UnavailableError } from "../server/domain/errors.ts";
import { emptySlot } from "../server/domain/history.ts";
import { NO_FLOW_CONTROL } from "../server/domain/flow.ts";
import type { Task } from "../server/domain/task.ts";
import { openMongoStore, timeoutDefaults } from "../server/store/mongo/store.ts";
import { MONGODB, type ServerCompat } from "../server/store/mongo/compat.ts";
import { MongoDlq } from "../server/store/mongo/dlq.ts";
import { type TaskDoc, toTaskDoc } from "../server/store/mongo/documents.ts";
import type { Store } from "../server/store/store.ts";
import { type ContractStore, makeTask, storeContract, T0 } from "./store_contract.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { historyContract } from "./history_contract.ts";
import { HISTORY_TABLES, type HistoryTable } from "../server/store/history.ts";
import { bulkContract } from "./bulk_contract.ts";
import { scheduleStoreContract } from "./schedule_store_contract.ts";
import { searchContract } from "./search_contract.ts";
import { attemptDetailContract } from "./attempt_detail_contract.ts";
import { freePort } from "./fixtures/ports.ts";
import { eventually } from "./fixtures/resilience_cluster.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";
const SKIP_REASON = MONGO_URI ? null : "TEST_MONGO_URI is not set";
const RUN_ID = `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;
let databases = 0;

/** A database name no other test or run uses. */
function freshDbName(): string {
  return `tasks_test_${RUN_ID}_${++databases}`;
}

async function dropDatabase(dbName: string): Promise<void> {
  const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

/** Gives `store` a dispose that also runs `after` (the store's private fields need `target`). */
function withDispose(store: Store, after: () => Promise<void>): ContractStore {
  let disposed = false;
  return new Proxy(store, {
    get(target, property) {
      if (property === Symbol.asyncDispose) {
        return async () => {
          if (disposed) return;
          disposed = true;
          try {
            await target[Symbol.asyncDispose]();
          } finally {
            await after();
          }
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A store on a fresh database that is dropped when the store is disposed. */
async function freshStore(): Promise<ContractStore> {
  const dbName = freshDbName();
  const store = await openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 });
  return withDispose(store, () => dropDatabase(dbName));
}

storeContract("mongo", freshStore, {
  ignore: SKIP_REASON ?? false,
  // The driver keeps sockets and monitor timers in its pool between calls.
  sanitize: false,
  location: () => {
    const dbName = freshDbName();
    return Promise.resolve({
      open: () => openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 }),
      [Symbol.asyncDispose]: () => dropDatabase(dbName),
    });
  },
});
historyContract("mongo", freshStore, {
  ignore: SKIP_REASON ?? false,
  sanitize: false,
  older: async () => {
    const dbName = freshDbName();
    const store = await openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 });
    const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
    return {
      store,
      addMinutes: async (deltas) => {
        await client.db(dbName).collection<{ _id: string }>("history").insertMany(
          deltas.map((delta) => ({
            _id: `${delta.minute}:${delta.executorName}`,
            minute: delta.minute,
            executorName: delta.executorName,
            created: delta.counts.created,
          })),
        );
      },
      [Symbol.asyncDispose]: async () => {
        await client.close();
        await store[Symbol.asyncDispose]();
        await dropDatabase(dbName);
      },
    };
  },
});
bulkContract("mongo", freshStore, { ignore: SKIP_REASON ?? false, sanitize: false });
searchContract("mongo", freshStore, { ignore: SKIP_REASON ?? false, sanitize: false });
attemptDetailContract("mongo", freshStore, { ignore: SKIP_REASON ?? false, sanitize: false });

scheduleStoreContract("mongo", freshStore, {
  ignore: SKIP_REASON ?? false,
  sanitize: false,
});

function mongoTest(name: string, reason: string | null, fn: () => Promise<void>): void {
  Deno.test({
    ...skipUnless(`mongo: ${name}`, reason),
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

mongoTest(
  "dlqPurge() applies its filter again in the delete: a task found dead before deadBefore, then requeued and dead again after it, stays",
  SKIP_REASON,
  async () => {
    const dbName = freshDbName();
    const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
    try {
      const db = client.db(dbName);
      const tasks = db.collection<TaskDoc>("tasks");
      const dead = (id: string) => ({
        ...toTaskDoc(makeTask("a", { id })),
        status: "dlq" as const,
        dlqReason: "max_attempts" as const,
        queueName: "dlq",
        deadAt: T0 + 10,
      });
      await tasks.insertMany([dead("again"), dead("once")]);
      // Between the purge's read and its delete, "again" is requeued and dies again, after the
      // cut-off: not a death the filter matches.
      let between = false;
      const compat: ServerCompat = {
        ...MONGODB,
        locked: async (ids, wait, work) => {
          if (!between) {
            between = true;
            await tasks.updateOne({ _id: "again" }, {
              $set: { deadAt: T0 + 150 },
              $inc: { requeues: 1 },
            });
          }
          await MONGODB.locked(ids, wait, work);
        },
      };
      const dlq = new MongoDlq({ db, tasks, compat, errorsKept: 10 });
      assert.equal(await dlq.purge({ deadBefore: T0 + 100 }), 1);
      assert.equal(between, true);
      assert.equal(await tasks.findOne({ _id: "once" }), null);
      const kept = await tasks.findOne({ _id: "again" });
      assert.deepEqual([kept?.status, kept?.requeues, kept?.deadAt], ["dlq", 1, T0 + 150]);
    } finally {
      await client.db(dbName).dropDatabase();
      await client.close();
    }
  },
);

mongoTest(
  "each history collection is indexed by executor then start, made when a database opened again lacks it (historyNamesHeld reads a gone name by it)",
  SKIP_REASON,
  async () => {
    const dbName = freshDbName();
    const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
    const byExecutor = async (table: HistoryTable) =>
      (await client.db(dbName).collection(table.name).indexes()).find((index) =>
        JSON.stringify(index.key) === JSON.stringify({ executorName: 1, [table.key]: 1 })
      );
    try {
      const first = await openMongoStore({
        uri: MONGO_URI,
        dbName,
        serverSelectionTimeoutMs: 5000,
      });
      await first[Symbol.asyncDispose]();
      for (const table of HISTORY_TABLES) {
        const index = await byExecutor(table);
        assert.ok(index, `${table.name} has no index by executor then ${table.key}`);
        await client.db(dbName).collection(table.name).dropIndex(String(index.name));
      }
      const again = await openMongoStore({
        uri: MONGO_URI,
        dbName,
        serverSelectionTimeoutMs: 5000,
      });
      await again[Symbol.asyncDispose]();
      for (const table of HISTORY_TABLES) assert.ok(await byExecutor(table), table.name);
    } finally {
      await client.db(dbName).dropDatabase();
      await client.close();
    }
  },
);

mongoTest(
  "historyAdd() through two stores on one database at once, to one minute: every count is kept, in the minutes and in each roll-up",
  SKIP_REASON,
  async () => {
    const dbName = freshDbName();
    const open = () => openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 });
    const hour = T0 - (T0 % 3_600_000);
    const one = await open();
    try {
      await using two = await open();
      const delta = () => {
        const slot = emptySlot();
        slot.counts.completed = 1;
        return { ...slot, executorName: "shared", minute: hour + 60_000 };
      };
      const rounds = 50;
      for (let round = 0; round < rounds; round++) {
        await Promise.all([one.history.historyAdd([delta()]), two.history.historyAdd([delta()])]);
      }
      for (const step of [60_000, 900_000, 3_600_000]) {
        const points = await one.history.historyRead({ from: hour, to: hour + 3_600_000, step });
        const completed = points.reduce((sum, point) => sum + point.counts.completed, 0);
        assert.equal(completed, 2 * rounds, `step ${step} ms`);
      }
    } finally {
      await one[Symbol.asyncDispose]();
      await dropDatabase(dbName);
    }
  },
);

mongoTest(
  "two clients claiming at once never share a task and never exceed maxConcurrency",
  SKIP_REASON,
  async () => {
    const dbName = freshDbName();
    const options = { uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 };
    await using one = withDispose(await openMongoStore(options), () => dropDatabase(dbName));
    await using two = await openMongoStore(options);
    const total = 60;
    const maxConcurrency = 7;
    await one.taskInsert(
      Array.from({ length: total }, (_, i) => makeTask("a", { priority: i % 4 })),
    );
    const seen = new Set<string>();
    let now = T0;
    for (let round = 0; seen.size < total; round++) {
      assert.ok(round < 100, "all tasks get claimed");
      // Three claimers per client, all at once.
      const claims = await Promise.all(
        [one, two, one, two, one, two].map((store, i) =>
          store.taskClaim({
            executorName: "a",
            limit: 3,
            leaseMs: 60_000,
            owner: `w${i}`,
            now,
            maxConcurrency,
          })
        ),
      );
      const claimed: Task[] = claims.flat();
      for (const task of claimed) {
        assert.ok(!seen.has(task.id), `task ${task.id} was leased twice`);
        seen.add(task.id);
      }
      const running = await one.taskList({ status: ["in_progress"] }, { limit: 100 });
      assert.ok(
        running.items.length <= maxConcurrency,
        `${running.items.length} tasks run at once, more than ${maxConcurrency}`,
      );
      assert.equal(running.items.length, claimed.length);
      // Finish about half, through the other client, so that slots free up unevenly.
      const finishing = claimed.filter((_, i) => i % 2 === 0 || claimed.length === 1);
      const answers = await two.taskSettle(
        finishing.map((task) => ({
          taskId: task.id,
          leaseToken: task.leaseToken!,
          settlement: { kind: "completed", result: null },
        })),
        { now },
      );
      assert.ok(answers.every(Boolean));
      const rest = claimed.filter((task) => !finishing.includes(task));
      await one.taskSettle(
        rest.map((task) => ({
          taskId: task.id,
          leaseToken: task.leaseToken!,
          settlement: { kind: "completed", result: null },
        })),
        { now },
      );
      now += 1;
    }
    const stats = await two.taskStats({ now });
    assert.equal(stats[0].byStatus.completed, total);
  },
);

// Outage and recovery on a FerretDB of the test's own ------------------------------------------

const REPO_DIR = fileURLToPath(new URL("..", import.meta.url));
const FERRETDB_BIN = Deno.env.get("FERRETDB_BIN") || `${REPO_DIR}.tools/ferretdb`;

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A FerretDB process on `port` keeping its data in `dir`; resolves once the port answers. */
async function startFerret(
  port: number,
  dir: string,
): Promise<Deno.ChildProcess & AsyncDisposable> {
  const child = new Deno.Command(FERRETDB_BIN, {
    args: [
      `--listen-addr=127.0.0.1:${port}`,
      "--handler=sqlite",
      `--sqlite-url=file:${dir}/`,
      `--state-dir=${dir}`,
      "--debug-addr=-",
      "--telemetry=disable",
      "--log-level=error",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  // No event tells that the port is open: try it until it answers or the process ends.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return child;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error(`FerretDB did not start on port ${port}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function stopFerret(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Already gone.
  }
  await child.status;
}

mongoTest(
  "the store works again without reopening after the server stops and starts",
  fileExists(FERRETDB_BIN)
    ? null
    : `FerretDB binary not found at ${FERRETDB_BIN} (set FERRETDB_BIN)`,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "store_mongo_ferret_" });
    const port = freePort();
    let server = await startFerret(port, dir);
    try {
      await using store = await openMongoStore({
        uri: `mongodb://127.0.0.1:${port}`,
        dbName: "recovery",
        serverSelectionTimeoutMs: 1500,
      });
      const [made] = await store.taskInsert([makeTask("a", { data: { kept: true } })]);
      await store.ping();

      await stopFerret(server);
      await assert.rejects(() => store.ping(), UnavailableError);
      await assert.rejects(() => store.taskGet(made.task.id), (error: Error) => {
        assert.ok(error instanceof UnavailableError);
        assert.match(error.message, /MongoDB store is unavailable/);
        return true;
      });

      server = await startFerret(port, dir);
      await store.ping();
      assert.deepEqual((await store.taskGet(made.task.id))?.data, { kept: true });
      const [claimed] = await store.taskClaim({
        executorName: "a",
        limit: 1,
        leaseMs: 1000,
        owner: "w1",
        now: T0,
        maxConcurrency: 0,
      });
      assert.equal(claimed.id, made.task.id);
    } finally {
      await stopFerret(server);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

mongoTest(
  "calls to a server that stops answering fail as unavailable, and work again once it answers",
  fileExists(FERRETDB_BIN)
    ? null
    : `FerretDB binary not found at ${FERRETDB_BIN} (set FERRETDB_BIN)`,
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "store_mongo_stall_" });
    const port = freePort();
    const server = await startFerret(port, dir);
    try {
      // A heartbeat every 0.5 s (the driver's least) keeps the test short; the 5 s heartbeat
      // timeout is the store's default (the calls fail after ~12 s here: the driver tries a
      // failed heartbeat once more; with the driver's 30 s they waited ~70 s).
      await using store = await openMongoStore({
        uri: `mongodb://127.0.0.1:${port}/?heartbeatFrequencyMS=500`,
        dbName: "stall",
        serverSelectionTimeoutMs: 1500,
      });
      const [made] = await store.taskInsert([makeTask("a")]);
      // The process keeps its sockets open and reads nothing: no error reaches the driver.
      server.kill("SIGSTOP");
      const outcomes = await Promise.allSettled([
        store.taskGet(made.task.id),
        store.ping(),
        store.executorVersions(),
      ]);
      for (const outcome of outcomes) {
        assert.equal(outcome.status, "rejected");
        assert.ok(outcome.reason instanceof UnavailableError, String(outcome.reason));
      }
      server.kill("SIGCONT");
      await store.ping();
      assert.equal((await store.taskGet(made.task.id))?.id, made.task.id);
    } finally {
      server.kill("SIGCONT");
      await stopFerret(server);
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("mongo: the connection string's own timeouts win over the store's defaults", () => {
  const defaults = { serverSelectionTimeoutMS: 10_000, connectTimeoutMS: 5_000 };
  assert.deepEqual(timeoutDefaults("mongodb://h:1", defaults), defaults);
  assert.deepEqual(timeoutDefaults("mongodb://h:1,h:2/db?replicaSet=r", defaults), defaults);
  assert.deepEqual(
    timeoutDefaults("mongodb+srv://u:p@h/db?connecttimeoutms=100&w=1", defaults),
    { serverSelectionTimeoutMS: 10_000 },
  );
  assert.deepEqual(
    timeoutDefaults("mongodb://h/?serverSelectionTimeoutMS=1&connectTimeoutMS=2", defaults),
    {},
  );
});

mongoTest(
  "a lock left by a call that never finished does not hide its task from claims for ever",
  SKIP_REASON,
  async () => {
    const dbName = freshDbName();
    await using store = withDispose(
      await openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 }),
      () => dropDatabase(dbName),
    );
    const [{ task }] = await store.taskInsert([makeTask("a")]);
    // What a claim leaves when the store dies between locking a task and unlocking it (the
    // `locks` collection is how the store serialises task updates on FerretDB).
    const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
    try {
      await client.db(dbName).collection<{ _id: string; at: number }>("locks").insertOne({
        _id: task.id,
        at: Date.now() - 60_000,
      });
    } finally {
      await client.close();
    }
    const claim = () =>
      store.taskClaim({
        executorName: "a",
        limit: 1,
        leaseMs: 60_000,
        owner: "w",
        now: T0 + 1,
        maxConcurrency: 0,
      });
    // Claims skip it until it has looked abandoned over three heartbeats of its holder (6 s):
    // then one breaks the lock, and the next one gets the task.
    const claimed = await eventually("a claim gets the task", async () => {
      const got = await claim();
      return got.length > 0 ? got : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    assert.deepEqual(claimed.map((t) => t.id), [task.id]);
  },
);

mongoTest(
  "a hand-over whose insert took 300 ms takes its rate bucket at the time it claims, not at the time read before the insert: a claim right after it finds the bucket drained",
  SKIP_REASON,
  async () => {
    await using store = await freshStore();
    // One start every 200 ms, no burst.
    const flow = { ...NO_FLOW_CONTROL, rateLimit: { limit: 5, period: 1000, burst: 1 } };
    // Each claim reads the clock again at its buckets, as the engine's do.
    const claim = {
      executorName: "a",
      limit: 1,
      leaseMs: 60_000,
      maxConcurrency: 0,
      flow,
      clock: Date.now,
    };
    const insertMany = Collection.prototype.insertMany;
    Collection.prototype.insertMany = async function (this: Collection, ...args) {
      if (this.collectionName === "tasks") await new Promise((ok) => setTimeout(ok, 300));
      return insertMany.apply(this, args);
    } as typeof insertMany;
    let handedOver;
    try {
      handedOver = await store.taskInsertAndClaim(
        [makeTask("a"), makeTask("a")],
        { ...claim, owner: "m1", now: Date.now() },
      );
    } finally {
      Collection.prototype.insertMany = insertMany;
    }
    assert.equal(handedOver.claimed.length, 1);
    // Taken at the time read before the insert, the bucket refilled from then: this claim, under
    // 200 ms after the first, found a token.
    const next = await store.taskClaim({ ...claim, owner: "m2", now: Date.now() });
    assert.deepEqual(next.map((task) => task.id), [], "a second start within one interval");
  },
);

/**
 * Runs `test` with a store on a fresh database and that database's rate buckets (`flow_rates`),
 * read and written as another manager would; the database is dropped after.
 */
async function withRates(
  test: (
    store: Store,
    rates: Collection<{ _id: string; tat: number; at?: number; given?: number }>,
  ) => Promise<void>,
): Promise<void> {
  const dbName = freshDbName();
  await using store = withDispose(
    await openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 }),
    () => dropDatabase(dbName),
  );
  const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
  try {
    await test(store, client.db(dbName).collection("flow_rates"));
  } finally {
    await client.close();
  }
}

mongoTest(
  "a give-back counts what another gave back since its take: the bucket keeps the running total (`given`), and the second give-back returns only the debt its take left less that",
  SKIP_REASON,
  () =>
    withRates(async (store, rates) => {
      // 10/s, burst 5: a bucket drained is 500 ms of debt. It starts 200 ms in debt, 50 ms given
      // back in all before.
      const flow = { ...NO_FLOW_CONTROL, rateLimit: { limit: 10, period: 1000, burst: 5 } };
      await rates.insertOne({ _id: "a/*", tat: T0 + 200, at: T0, given: 50 });
      await store.taskInsert([makeTask("a")]);
      // The claim takes 3 tokens (the bucket at T0 + 500) and wins the one task. While it claims,
      // another manager gives 4 tokens back: the bucket at T0 + 100, 450 ms given in all.
      const updateOne = Collection.prototype.updateOne;
      let meanwhile = true;
      Collection.prototype.updateOne = async function (this: Collection, ...args) {
        if (this.collectionName === "tasks" && meanwhile) {
          meanwhile = false;
          await rates.updateOne({ _id: "a/*" }, { $set: { tat: T0 + 100, given: 450 } });
        }
        return updateOne.apply(this, args);
      } as typeof updateOne;
      let claimed;
      try {
        claimed = await store.taskClaim({
          executorName: "a",
          limit: 3,
          leaseMs: 60_000,
          owner: "m1",
          now: T0,
          maxConcurrency: 0,
          flow,
        });
      } finally {
        Collection.prototype.updateOne = updateOne;
      }
      assert.equal(claimed.length, 1);
      // Its 2 unused tokens: the debt its take left (500) less the 400 given back since, 100 ms.
      assert.deepEqual(await rates.findOne({ _id: "a/*" }), {
        _id: "a/*",
        tat: T0,
        at: T0,
        given: 550,
      });
    }),
);

mongoTest(
  "a give-back to a bucket pruned and taken afresh since its take gives nothing back: a claim right after the fresh take finds no token",
  SKIP_REASON,
  () =>
    withRates(async (store, rates) => {
      // One start every 100 ms, no burst; a busy bucket, full at T0, 5 s given back in its life.
      const flow = { ...NO_FLOW_CONTROL, rateLimit: { limit: 10, period: 1000, burst: 1 } };
      const claim = (owner: string, now: number) => ({
        executorName: "a",
        limit: 1,
        leaseMs: 60_000,
        owner,
        now,
        maxConcurrency: 0,
        flow,
      });
      await rates.insertOne({ _id: "a/*", tat: T0, at: T0, given: 5000 });
      // A claim at T0 takes the token and finds no task. Before its give-back reads the bucket,
      // another manager prunes it (full again at T0 + 150) and takes a token afresh.
      const findOne = Collection.prototype.findOne;
      let reads = 0;
      Collection.prototype.findOne = async function (this: Collection, ...args: unknown[]) {
        if (this.collectionName === "flow_rates" && ++reads === 2) {
          await rates.deleteMany({ tat: { $lte: T0 + 150 } });
          await rates.insertOne({ _id: "a/*", tat: T0 + 250, at: T0 + 150 });
        }
        return Reflect.apply(findOne, this, args);
      } as typeof findOne;
      try {
        assert.deepEqual(await store.taskClaim(claim("m1", T0)), []);
      } finally {
        Collection.prototype.findOne = findOne;
      }
      assert.deepEqual(await rates.findOne({ _id: "a/*" }), {
        _id: "a/*",
        tat: T0 + 250,
        at: T0 + 150,
      });
      await store.taskInsert([makeTask("a")]);
      assert.deepEqual(await store.taskClaim(claim("m2", T0 + 150)), [], "a second start at once");
    }),
);
