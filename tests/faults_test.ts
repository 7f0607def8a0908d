/**
 * Smaller faults of the hardening family, each with the input that broke it: one idempotency key
 * under an unacknowledged write concern on two managers, a worker without executor config, a
 * worker whose handlers ignore their signal, and results that wait behind slow store calls.
 */
import assert from "node:assert/strict";
import { Service } from "../server/service/service.ts";
import { openMongoStore } from "../server/store/mongo.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import type { Store } from "../server/store/store.ts";
import { skipUnless } from "./fixtures/skip.ts";

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
        })),
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
