/**
 * A task created while its executor changes flow control, at the service: the service reads the
 * executor, another manager updates it, then the task is inserted — which finds the executor
 * changed (`InsertOptions.executorVersions`), so the create is checked again against it, and the
 * claim must take the task as the executor now says. Deterministic: the update runs inside the
 * service's read of the executor. (The store's own keying of a task a creator keyed by an older
 * view is `flow_contract.ts`'s.) On SQLite, and MongoDB through `TEST_MONGO_URI`.
 */
import assert from "node:assert/strict";
import type { Executor } from "../server/domain/executor.ts";
import { flowOf } from "../server/domain/flow.ts";
import { Service } from "../server/service/service.ts";
import type { Store } from "../server/store/store.ts";
import { storeTests } from "./fixtures/store_backends.ts";

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

for (const change of CHANGES) {
  storeTests(
    `createTask() while its executor ${change.label} leaves a task the claim takes`,
    async (store) => {
      const admin = new Service(store);
      await admin.createExecutor({ name: "flow", taskSchema: null, ...change.from });
      let current: Executor | null = null;
      const service = new Service(
        racing(store, async (read) => {
          current = (await store.executorUpdate({
            ...read,
            ...change.to,
            updatedAt: read.updatedAt + 1,
          }, { basedOn: read.updatedAt }))!;
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
    },
  );
}
