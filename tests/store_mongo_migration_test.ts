/**
 * The MongoDB store opens a database written by the version that kept each dead task twice (status
 * `dlq` on the task plus an entry in a `dlq` collection), and its DLQ reads back the same.
 *
 * The fixture, tests/fixtures/mongo_dlq_v1.json, was made by running a script at commit d38b6af
 * (the last version with the `dlq` collection) against FerretDB 1.24: through that version's
 * store verbs it created two executors, dead-lettered four tasks (`taskClaim` + `taskSettle`,
 * three reasons, one custom queue name, two after a retry), left one task pending and completed
 * another; then it read every document and index back raw and recorded what `dlqList` and
 * `taskStats` answered. Each test inserts those documents and indexes raw into a fresh database
 * before the store opens on it.
 */
import assert from "node:assert/strict";
import { type Document, MongoClient } from "mongodb";
import type { DlqEntry } from "../server/domain/dlq.ts";
import type { ExecutorTaskStats, Store } from "../server/store/store.ts";
import { openMongoStore } from "../server/store/mongo/store.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { T0 } from "./store_contract.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";
const SKIP_REASON = MONGO_URI ? null : "TEST_MONGO_URI is not set";
const RUN_ID = `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;
let databases = 0;

interface Fixture {
  collections: Record<"executors" | "tasks" | "dlq", Document[]>;
  indexes: Record<"executors" | "tasks" | "dlq", { key: Document; name: string }[]>;
  answers: { dlqList: DlqEntry[]; taskStats: ExecutorTaskStats[] };
}

const FIXTURE: Fixture = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/mongo_dlq_v1.json", import.meta.url)),
);
/** The `now` the fixture's `taskStats` answer was taken at. */
const STATS_NOW = T0 + 5000;

/** What the test changes in the fixture's documents before inserting them. */
type Edit = (collections: Fixture["collections"]) => void;

/**
 * A fresh database holding the fixture's documents and indexes (after `edit`), its name, and a
 * client of it; disposing drops it.
 */
async function oldDatabase(edit: Edit = () => {}) {
  const dbName = `tasks_migrate_${RUN_ID}_${++databases}`;
  const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
  const db = client.db(dbName);
  const collections = structuredClone(FIXTURE.collections);
  edit(collections);
  for (const name of ["executors", "tasks", "dlq"] as const) {
    await db.collection(name).createIndexes(FIXTURE.indexes[name]);
    if (collections[name].length > 0) await db.collection(name).insertMany(collections[name]);
  }
  return {
    dbName,
    db,
    open: () => openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 }),
    async [Symbol.asyncDispose]() {
      await db.dropDatabase();
      await client.close();
    },
  };
}

async function allEntries(store: Store): Promise<DlqEntry[]> {
  return (await store.dlqList({}, { limit: 100 })).items;
}

function migrationTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    ...skipUnless(`mongo migration: ${name}`, SKIP_REASON),
    // The driver keeps sockets and monitor timers in its pool between calls.
    sanitizeOps: false,
    sanitizeResources: false,
    fn,
  });
}

migrationTest(
  "a database with the dlq collection opens and its DLQ lists, gets, counts, requeues and purges as before",
  async () => {
    await using old = await oldDatabase();
    await using store = await old.open();
    const expected = FIXTURE.answers.dlqList;
    assert.equal(expected.length, 4);
    assert.deepEqual(await allEntries(store), expected);
    for (const entry of expected) assert.deepEqual(await store.dlqGet(entry.id), entry);
    const paged: DlqEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.dlqList({}, { cursor, limit: 3 });
      paged.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(paged, expected);
    assert.deepEqual(await store.taskStats({ now: STATS_NOW }), FIXTURE.answers.taskStats);
    assert.deepEqual(
      (await store.dlqList({ reason: "non_retryable" }, { limit: 10 })).items.map((e) => e.id),
      expected.filter((e) => e.reason === "non_retryable").map((e) => e.id),
    );

    // What is gone: the second copy, the mark of an unwritten copy, and its index.
    const names = (await old.db.listCollections({}, { nameOnly: true }).toArray()).map((c) =>
      c.name
    );
    assert.ok(!names.includes("dlq"), "the dlq collection is dropped");
    const tasks = old.db.collection("tasks");
    assert.equal(await tasks.countDocuments({ dlqPendingSince: { $exists: true } }), 0);
    assert.ok(!(await tasks.indexes()).some((index) => index.name === "dlq_pending"));

    const [first, ...rest] = expected;
    const requeued = (await store.dlqRequeue(first.id, { now: STATS_NOW, data: { fixed: 1 } }))!;
    assert.equal(requeued.status, "pending");
    assert.equal(requeued.attempt, 0);
    assert.deepEqual(requeued.data, { fixed: 1 });
    assert.equal(await store.dlqGet(first.id), null);
    assert.deepEqual(await allEntries(store), rest);
    const images = rest.filter((e) => e.executorName === "images");
    assert.ok(images.length > 0);
    assert.equal(await store.dlqPurge({ executorName: "images" }), images.length);
    for (const entry of images) assert.equal(await store.taskGet(entry.id), null);
    const left = rest.filter((e) => e.executorName !== "images");
    assert.deepEqual(await allEntries(store), left);
    assert.equal(await store.dlqPurge({}), left.length);
    assert.deepEqual(await allEntries(store), []);
  },
);

migrationTest(
  "the migration finishes what the previous version could leave half done",
  async () => {
    const [missingFacts, missingEntry, staleEntry] = FIXTURE.answers.dlqList.map((e) => e.id);
    await using old = await oldDatabase((collections) => {
      const task = (id: string) => collections.tasks.find((doc) => doc._id === id)!;
      // A dead task whose facts only its entry holds.
      delete task(missingFacts).dlqReason;
      delete task(missingFacts).deadAt;
      delete task(missingFacts).queueName;
      // A settlement that stopped between its two writes: the task dead and marked, no entry.
      task(missingEntry).dlqPendingSince = Date.now();
      collections.dlq = collections.dlq.filter((doc) => doc._id !== missingEntry);
      // A requeue that stopped between its two writes: the task pending, its entry still there.
      Object.assign(task(staleEntry), { status: "pending", attempt: 0, completedAt: null });
      for (const field of ["dlqReason", "deadAt", "queueName"]) delete task(staleEntry)[field];
    });
    await using store = await old.open();
    const expected = FIXTURE.answers.dlqList.filter((entry) => entry.id !== staleEntry);
    assert.deepEqual(await allEntries(store), expected);
    assert.equal(await store.dlqGet(staleEntry), null);
    assert.equal((await store.taskGet(staleEntry))?.status, "pending");
  },
);

migrationTest(
  "two managers opening an old database at once both migrate it, and opening it again changes nothing",
  async () => {
    await using old = await oldDatabase();
    const [one, two] = await Promise.all([old.open(), old.open()]);
    try {
      assert.deepEqual(await allEntries(one), FIXTURE.answers.dlqList);
      assert.deepEqual(await allEntries(two), FIXTURE.answers.dlqList);
    } finally {
      await one[Symbol.asyncDispose]();
      await two[Symbol.asyncDispose]();
    }
    await using again = await old.open();
    assert.deepEqual(await allEntries(again), FIXTURE.answers.dlqList);
  },
);

migrationTest(
  "a pending task that still names the worker of an attempt that was over names none, at every open and once it moves on",
  async () => {
    // As a version that kept workerId on the way back to pending left them: a task pending again
    // after a retry, and one claimed and running. The fixture's other tasks ended with a worker.
    const pending = "01HFIXTURE0000000000000007";
    const running = "01HFIXTURE0000000000000008";
    await using old = await oldDatabase((collections) => {
      const task = (id: string) => collections.tasks.find((doc) => doc._id === id)!;
      task(pending).workerId = "w-old";
      Object.assign(task(running), {
        status: "in_progress",
        workerId: "w-now",
        leaseToken: "lease-1",
        leaseExpiresAt: STATS_NOW + 60_000,
        completedAt: null,
      });
    });
    const rawWorker = async (id: string) =>
      (await old.db.collection("tasks").findOne({ _id: id as never }))?.workerId ?? null;
    for (let open = 1; open <= 2; open++) {
      await using store = await old.open();
      assert.equal((await store.taskGet(pending))!.workerId, null, `open ${open}`);
      const [listed] = (await store.taskList({ status: ["pending"] }, { limit: 10 })).items
        .filter((task) => task.id === pending);
      assert.equal(listed.workerId, null, `open ${open}`);
      const held = (await store.taskGet(running))!;
      assert.deepEqual([held.status, held.workerId, held.leaseToken], [
        "in_progress",
        "w-now",
        "lease-1",
      ]);
    }
    // Its next write clears it: a task cancelled while pending names no worker.
    await using store = await old.open();
    const cancelled = (await store.taskTransition(pending, {
      from: "pending",
      to: "cancelled",
      now: STATS_NOW + 1,
    }))!;
    assert.deepEqual([cancelled.status, cancelled.workerId], ["cancelled", null]);
    assert.equal(await rawWorker(pending), null);
    assert.equal((await store.taskGet(running))!.workerId, "w-now");
  },
);

migrationTest(
  "a pending task that still names the worker of an attempt that was over is claimed, and rescued once its lease expires, as its claimer's",
  async () => {
    const pending = "01HFIXTURE0000000000000007";
    await using old = await oldDatabase((collections) => {
      collections.tasks.find((doc) => doc._id === pending)!.workerId = "w-old";
    });
    await using store = await old.open();
    const now = T0 + 20_000_000;
    const claimed = await store.taskClaim({
      executorName: "emails",
      limit: 10,
      leaseMs: 1000,
      owner: "w-new",
      now,
      maxConcurrency: 0,
    });
    assert.deepEqual(claimed.map((task) => [task.id, task.workerId]), [[pending, "w-new"]]);
    const rescued = await store.taskRescueExpired({
      now: now + 2000,
      limit: 10,
      owner: "rescuer-1",
      leaseMs: 60_000,
    });
    assert.deepEqual(
      rescued.map((task) => [task.id, task.workerId, task.expiredWorkerId]),
      [[pending, "rescuer-1", "w-new"]],
    );
  },
);
