/**
 * The history contract suite: `Store.history` (server/store/history.ts) written once and run on
 * each store by tests/store_sqlite_test.ts and tests/store_mongo_test.ts, beside the store contract.
 */
import assert from "node:assert/strict";
import {
  bucketOf,
  emptySlot,
  type HistoryDelta,
  MINUTE_MS,
  quantileOf,
} from "../server/domain/history.ts";
import type { ContractStore, StoreContractOptions } from "./store_contract.ts";
import { contractCases, T0 } from "./store_contract.ts";

/** The first minute of the suite's fixed clock. */
const M0 = Math.floor(T0 / MINUTE_MS) * MINUTE_MS;

/** A delta for `executorName` at minute `m` (from `M0`) with the given counts and durations. */
export function makeDelta(
  executorName: string,
  m: number,
  counts: Partial<HistoryDelta["counts"]> = {},
  durations: { queueWaitMs?: number[]; runTimeMs?: number[] } = {},
): HistoryDelta {
  const slot = emptySlot();
  Object.assign(slot.counts, counts);
  for (const ms of durations.queueWaitMs ?? []) slot.queueWaitMs[bucketOf(ms)]++;
  for (const ms of durations.runTimeMs ?? []) slot.runTimeMs[bucketOf(ms)]++;
  return { executorName, minute: M0 + m * MINUTE_MS, ...slot };
}

/** Registers the history cases for one store. */
export function historyContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: Pick<StoreContractOptions, "ignore" | "sanitize"> = {},
): void {
  const test = contractCases(label, open, options);

  test("historyAdd() adds to a minute that exists, and historyRead() sums per step", async (store) => {
    await store.history.historyAdd([
      makeDelta("a", 0, { created: 2, completed: 1 }),
      makeDelta("b", 0, { created: 5 }),
      makeDelta("a", 3, { failedAttempts: 1, retried: 1 }),
    ]);
    // A second manager adds to the same minute of "a".
    await store.history.historyAdd([makeDelta("a", 0, { created: 1, cancelled: 4 })]);
    const all = await store.history.historyRead({
      from: M0,
      to: M0 + 10 * MINUTE_MS,
      step: MINUTE_MS,
    });
    assert.deepEqual(all.map((p) => p.at), [M0, M0 + 3 * MINUTE_MS], "only points with data");
    assert.equal(all[0].counts.created, 8);
    assert.equal(all[0].counts.cancelled, 4);
    assert.equal(all[1].counts.retried, 1);
    const a = await store.history.historyRead({
      executorName: "a",
      from: M0,
      to: M0 + 10 * MINUTE_MS,
      step: 5 * MINUTE_MS,
    });
    assert.equal(a.length, 1);
    assert.equal(a[0].at, M0);
    assert.deepEqual(a[0].counts, {
      created: 3,
      started: 0,
      completed: 1,
      failedAttempts: 1,
      retried: 1,
      deadLettered: 0,
      cancelled: 4,
    });
  });

  test("historyRead() leaves out minutes outside [from, to) and aligns points to from", async (store) => {
    await store.history.historyAdd(
      [0, 1, 2, 3, 4, 5].map((m) => makeDelta("a", m, { started: 1 })),
    );
    const points = await store.history.historyRead({
      from: M0 + MINUTE_MS,
      to: M0 + 5 * MINUTE_MS,
      step: 2 * MINUTE_MS,
    });
    assert.deepEqual(
      points.map((p) => [p.at - M0, p.counts.started]),
      [[MINUTE_MS, 2], [3 * MINUTE_MS, 2]],
    );
  });

  test("historyRead() with an aborted signal (its client went away) reads nothing more", async (store) => {
    await store.history.historyAdd([0, 1, 2].map((m) => makeDelta("a", m, { started: 1 })));
    const query = { from: M0, to: M0 + 3 * MINUTE_MS, step: MINUTE_MS };
    assert.equal((await store.history.historyRead(query)).length, 3);
    assert.deepEqual(
      await store.history.historyRead({ ...query, signal: AbortSignal.abort() }),
      [],
    );
  });

  test("historyAdd() keeps duration histograms bucket by bucket, so percentiles survive", async (store) => {
    await store.history.historyAdd([
      makeDelta("a", 0, {}, { queueWaitMs: [3, 3, 3, 3], runTimeMs: [40, 40] }),
      makeDelta("a", 1, {}, { queueWaitMs: [700_000], runTimeMs: [40, 2000] }),
    ]);
    const [point] = await store.history.historyRead({
      from: M0,
      to: M0 + 2 * MINUTE_MS,
      step: 2 * MINUTE_MS,
    });
    assert.equal(point.queueWaitMs.reduce((s, n) => s + n, 0), 5);
    assert.equal(point.queueWaitMs[point.queueWaitMs.length - 1], 1, "the overflow bucket");
    assert.equal(point.runTimeMs[bucketOf(40)], 3);
    const p50 = quantileOf(point.runTimeMs, 0.5)!;
    assert.ok(p50 > 25 && p50 <= 50, `p50 ${p50} lies in the (25, 50] ms bucket`);
  });

  test("historyAdd() from many callers at once loses nothing", async (store) => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.history.historyAdd([
          makeDelta("a", 0, { completed: 1 }, { runTimeMs: [7] }),
          makeDelta("b", 0, { completed: 2 }),
        ])),
    );
    const [point] = await store.history.historyRead({
      from: M0,
      to: M0 + MINUTE_MS,
      step: MINUTE_MS,
    });
    assert.equal(point.counts.completed, 60);
    assert.equal(point.runTimeMs[bucketOf(7)], 20);
  });

  test("historyPrune() deletes the minutes before a time and counts them", async (store) => {
    await store.history.historyAdd([
      makeDelta("a", 0, { created: 1 }),
      makeDelta("b", 0, { created: 1 }),
      makeDelta("a", 1, { created: 1 }),
      makeDelta("a", 2, { created: 1 }),
    ]);
    assert.equal(await store.history.historyPrune(M0 + 2 * MINUTE_MS), 3);
    const left = await store.history.historyRead({
      from: M0,
      to: M0 + 10 * MINUTE_MS,
      step: MINUTE_MS,
    });
    assert.deepEqual(left.map((p) => p.at), [M0 + 2 * MINUTE_MS]);
  });
}
