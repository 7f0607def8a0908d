/**
 * The task search contract suite: `Store.search` (server/store/task_search.ts) written once and run
 * on each store by tests/store_sqlite_test.ts and tests/store_mongo_test.ts.
 */
import assert from "node:assert/strict";
import type { TaskSearch } from "../server/domain/task_search.ts";
import type { TaskSearchQuery } from "../server/store/task_search.ts";
import type { ContractStore, StoreContractOptions } from "./store_contract.ts";
import { contractCases, makeTask, T0 } from "./store_contract.ts";
import { timerDuring } from "./fixtures/turns.ts";

/** Registers the search cases for one store. */
export function searchContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: Pick<StoreContractOptions, "ignore" | "sanitize"> = {},
): void {
  const test = contractCases(label, open, options);
  const query = (search: TaskSearch, more: Partial<TaskSearchQuery> = {}): TaskSearchQuery => ({
    search,
    limit: 10,
    scanLimit: 1000,
    budgetMs: 60_000,
    ...more,
  });
  /** Tasks created one ms apart, oldest first, so that ids sort in this order. */
  const insert = (
    store: ContractStore,
    items: { data?: unknown; meta?: Record<string, string> }[],
  ) =>
    store.taskInsert(items.map((item, i) =>
      makeTask("a", {
        createdAt: T0 + i,
        data: item.data ?? null,
        metadata: item.meta ?? {},
      })
    )).then((outcomes) => outcomes.map((o) => o.task.id));

  test("taskSearch() finds tasks whose data holds a value at a JSON pointer, newest first", async (store) => {
    const ids = await insert(store, [
      { data: { orderId: 123 } },
      { data: { orderId: "123" } },
      { data: { order: { lines: [{ sku: "x" }, { sku: "y/z" }] } } },
      { data: { orderId: 123.0, other: true } },
      { data: { "a/b": { "~k": null } } },
      { data: [5, { orderId: 123 }] },
    ]);
    const found = async (search: TaskSearch) =>
      (await store.search.taskSearch(query(search))).items.map((t) => t.id);
    assert.deepEqual(await found({ data: { pointer: "/orderId", value: 123 } }), [ids[3], ids[0]]);
    assert.deepEqual(await found({ data: { pointer: "/orderId", value: "123" } }), [ids[1]]);
    assert.deepEqual(await found({ data: { pointer: "/order/lines/1/sku", value: "y/z" } }), [
      ids[2],
    ]);
    assert.deepEqual(await found({ data: { pointer: "/a~1b/~0k", value: null } }), [ids[4]]);
    assert.deepEqual(await found({ data: { pointer: "/1/orderId", value: 123 } }), [ids[5]]);
    assert.deepEqual(await found({ data: { pointer: "/missing", value: null } }), []);
  });

  test("taskSearch() gives the thread back while it scans: a timer set before it runs meanwhile", async (store) => {
    // Each task takes a few ms to parse, so the scan outlasts a slice (server/thread_slices.ts).
    const big = { items: Array.from({ length: 100_000 }, () => ({})) };
    await insert(store, Array.from({ length: 6 }, () => ({ data: big })));
    const { timerFirst, result } = await timerDuring(() =>
      store.search.taskSearch(query({ data: { pointer: "/missing", value: 1 } }))
    );
    assert.ok(timerFirst, "the scan gave the thread back");
    assert.equal(result.scanned, 6);
  });

  test("taskSearch() with maxBytes stops before a match that would cross it, and goes on from there", async (store) => {
    const big = "x".repeat(10_000);
    const ids = await insert(store, [
      { data: big, meta: { m: "1" } },
      { data: big, meta: { m: "1" } },
      { data: big, meta: { m: "2" } },
      { data: big, meta: { m: "1" } },
      { data: 1, meta: { m: "1" } },
    ]);
    const search = { metadata: { key: "m", value: "1" } };
    const first = await store.search.taskSearch(query(search, { maxBytes: 15_000 }));
    assert.deepEqual(first.items.map((t) => t.id), [ids[4], ids[3]]);
    assert.equal(first.scanned, 3, "the large one with m=2 was looked at too");
    const next = await store.search.taskSearch(
      query(search, { maxBytes: 100, cursor: first.nextCursor! }),
    );
    assert.deepEqual(next.items.map((t) => t.id), [ids[1]], "one match however large");
    const rest = await store.search.taskSearch(query(search, { cursor: next.nextCursor! }));
    assert.deepEqual(rest.items.map((t) => t.id), [ids[0]]);
    assert.equal(rest.nextCursor, null);
  });

  test("taskSearch() finds tasks by a metadata entry, within an executor and statuses", async (store) => {
    const ids = await insert(store, [
      { meta: { tenant: "acme" } },
      { meta: { tenant: "acme", region: "eu" } },
      { meta: { tenant: "other" } },
    ]);
    await store.taskInsert([makeTask("b", { createdAt: T0 + 10, metadata: { tenant: "acme" } })]);
    const acme = { metadata: { key: "tenant", value: "acme" } };
    const page = await store.search.taskSearch(query(acme, { executorName: "a" }));
    assert.deepEqual(page.items.map((t) => t.id), [ids[1], ids[0]]);
    assert.equal(page.nextCursor, null);
    assert.deepEqual(page.items[0].metadata, { tenant: "acme", region: "eu" });
    const done = await store.search.taskSearch(query(acme, { status: ["completed"] }));
    assert.deepEqual(done.items, []);
    const all = await store.search.taskSearch(query(acme, { status: ["pending"] }));
    assert.equal(all.items.length, 3);
  });

  test("taskSearch() pages: a full page, a spent scan budget or an aborted signal gives a cursor to go on", async (store) => {
    const ids = await insert(
      store,
      Array.from({ length: 7 }, (_, i) => ({ data: { even: i % 2 === 0 } })),
    );
    const even = { data: { pointer: "/even", value: true } };
    // Newest first: ids 6, 4 | 2, 0.
    const first = await store.search.taskSearch(query(even, { limit: 2 }));
    assert.deepEqual(first.items.map((t) => t.id), [ids[6], ids[4]]);
    assert.equal(first.nextCursor, ids[4]);
    const second = await store.search.taskSearch(
      query(even, { limit: 2, cursor: first.nextCursor! }),
    );
    assert.deepEqual(second.items.map((t) => t.id), [ids[2], ids[0]]);
    // The scan budget: 2 tasks looked at per page, so a page may hold no match and go on.
    const cut = await store.search.taskSearch(query(even, { scanLimit: 2, cursor: ids[6] }));
    assert.deepEqual(cut.items.map((t) => t.id), [ids[4]]);
    assert.equal(cut.scanned, 2);
    assert.equal(cut.nextCursor, ids[4]);
    const none = await store.search.taskSearch(query(even, { scanLimit: 1, cursor: ids[6] }));
    assert.deepEqual(none.items, []);
    assert.equal(none.nextCursor, ids[5]);
    // The time budget: spent at once, one task is still looked at, so a search always advances.
    const timed = await store.search.taskSearch(query(even, { budgetMs: -1 }));
    assert.equal(timed.scanned, 1);
    assert.equal(timed.nextCursor, ids[6]);
    // The client went away: the scan stops as when its time is spent.
    const gone = AbortSignal.abort();
    const aborted = await store.search.taskSearch(query(even, { signal: gone }));
    assert.equal(aborted.scanned, 1);
    assert.equal(aborted.nextCursor, ids[6]);
    const last = await store.search.taskSearch(query(even, { cursor: ids[1] }));
    assert.deepEqual(last.items.map((t) => t.id), [ids[0]]);
    assert.equal(last.nextCursor, null);
  });
}
