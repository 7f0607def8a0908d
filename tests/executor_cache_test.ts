import assert from "node:assert/strict";
import { createLogger } from "../server/log.ts";
import { ServiceEvents } from "../server/service/events.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { ExecutorCache } from "../server/engine/executor_cache.ts";
import { makeExecutor as executor, T0 } from "./store_contract.ts";

Deno.test("ExecutorCache reloads only the executors new or changed since its last reload, and reports the deleted", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  // The store as it is, counting the configurations read one by one and the lists read.
  const reads = { get: 0, list: 0 };
  const counted = new Proxy(store, {
    get(target, name) {
      if (name === "executorGet") reads.get++;
      if (name === "executorList") reads.list++;
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Store;
  for (const name of ["a", "b", "c"]) await store.executorCreate(executor(name));
  const deleted: string[][] = [];
  let changes = 0;
  const cache = new ExecutorCache(counted, new ServiceEvents(), {
    refreshMs: 3_600_000,
    onChange: () => changes++,
    onDeleted: (names) => deleted.push(names),
    log: createLogger({ level: "error", format: "json" }),
  });
  await cache.start();
  try {
    assert.deepEqual([cache.peek("a")?.name, cache.peek("b")?.name, cache.peek("c")?.name], [
      "a",
      "b",
      "c",
    ]);
    assert.deepEqual(reads, { get: 3, list: 0 });
    assert.equal(changes, 1);

    await cache.refresh();
    assert.deepEqual(reads, { get: 3, list: 0 }, "nothing changed: no configuration read");
    assert.equal(changes, 1);

    const b = (await store.executorGet("b"))!;
    await store.executorUpdate({ ...b, enabled: false, updatedAt: T0 + 1 });
    await store.executorDelete((await store.executorGet("c"))!.id);
    await store.executorCreate(executor("d"));
    await cache.refresh();
    assert.deepEqual(reads, { get: 5, list: 0 }, "b and d read again, a not");
    assert.equal(cache.peek("b")?.enabled, false);
    assert.equal(cache.peek("c"), undefined);
    assert.equal(cache.peek("d")?.name, "d");
    assert.deepEqual(deleted, [["c"]]);
    assert.equal(changes, 2);
  } finally {
    await cache.stop();
  }
});
