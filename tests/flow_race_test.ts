/**
 * A task created while its executor changes flow control, at the service: the service reads the
 * executor, another manager updates it, then the task is inserted. Deterministic: the update runs
 * inside the service's read of the executor. On SQLite, and MongoDB through `TEST_MONGO_URI`.
 */
import assert from "node:assert/strict";
import { MongoClient } from "mongodb";
import type { Executor } from "../server/domain/executor.ts";
import { flowOf } from "../server/domain/flow.ts";
import { Service } from "../server/service/service.ts";
import type { Store } from "../server/store/store.ts";
import { openMongoStore } from "../server/store/mongo/store.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { skipUnless } from "./fixtures/skip.ts";
import type { ContractStore } from "./store_contract.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI");
const RUN_ID = `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;

const BACKENDS = [
  {
    name: "sqlite",
    skip: null,
    open: async (): Promise<ContractStore & { drop(): Promise<void> }> => {
      const dir = await Deno.makeTempDir({ prefix: "flow_race_" });
      const store = await openSqliteStore({ path: `${dir}/tasks.db` });
      return Object.assign(store, { drop: () => Deno.remove(dir, { recursive: true }) });
    },
  },
  {
    name: "mongo",
    skip: MONGO_URI ? null : "TEST_MONGO_URI is not set",
    open: async (): Promise<ContractStore & { drop(): Promise<void> }> => {
      const dbName = `tasks_flow_race_${RUN_ID}_${crypto.randomUUID().slice(0, 6)}`;
      const store = await openMongoStore({ uri: MONGO_URI!, dbName });
      return Object.assign(store, {
        drop: async () => {
          const client = new MongoClient(MONGO_URI!);
          try {
            await client.db(dbName).dropDatabase();
          } finally {
            await client.close();
          }
        },
      });
    },
  },
] as const;

/**
 * `store`, whose first read of an executor by name (`executorList` of names, as a create reads
 * its executor) runs `meanwhile` after reading (another manager's update).
 */
function racing(store: Store, meanwhile: (read: Executor) => Promise<void>): Store {
  let first = true;
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "executorList") {
        return async (...args: Parameters<Store["executorList"]>) => {
          const page = await target.executorList(...args);
          const found = page.items[0];
          if (first && found && args[0].names) {
            first = false;
            await meanwhile(found);
          }
          return page;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const CHANGES = [
  { from: {}, to: { maxConcurrencyPerKey: 1 }, label: "becomes keyed" },
  { from: {}, to: { groupKeyPointer: "/customerId" }, label: "is given a group key pointer" },
  { from: { maxConcurrencyPerKey: 1 }, to: { maxConcurrencyPerKey: 0 }, label: "is keyed no more" },
];

for (const backend of BACKENDS) {
  for (const change of CHANGES) {
    Deno.test({
      ...skipUnless(
        `${backend.name}: createTask() while its executor ${change.label} leaves a task the claim takes`,
        backend.skip,
      ),
      // The MongoDB driver keeps sockets and monitor timers in its pool between calls.
      sanitizeOps: backend.name === "sqlite",
      sanitizeResources: backend.name === "sqlite",
      fn: async () => {
        const store = await backend.open();
        try {
          const admin = new Service(store);
          await admin.createExecutor({ name: "flow", taskSchema: null, ...change.from });
          let current: Executor | null = null;
          const service = new Service(
            racing(store, async (read) => {
              current = (await store.executorUpdate({
                ...read,
                ...change.to,
                updatedAt: read.updatedAt + 1,
              }))!;
            }),
          );
          const created = await service.createTask({
            executorName: "flow",
            data: { customerId: "acme" },
          });
          assert.ok(current, "the update ran between the read and the insert");
          const claimed = await store.taskClaim({
            executorName: "flow",
            limit: 10,
            leaseMs: 60_000,
            owner: "w1",
            now: Date.now() + 1000,
            maxConcurrency: 0,
            flow: flowOf(current),
          });
          assert.deepEqual(claimed.map((task) => task.id), [created.task.id]);
        } finally {
          await store[Symbol.asyncDispose]();
          await store.drop();
        }
      },
    });
  }
}
