/**
 * The history contract suite: `Store.history` (server/store/history.ts) written once and run on
 * each store by tests/store_sqlite_test.ts and tests/store_mongo_test.ts, beside the store contract.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addSlot,
  bucketOf,
  emptySlot,
  type HistoryDelta,
  type HistoryPoint,
  MINUTE_MS,
  quantileOf,
} from "../server/domain/history.ts";
import type { ContractStore, StoreContractOptions } from "./store_contract.ts";
import { contractCases, T0 } from "./store_contract.ts";
import { skipUnless } from "./fixtures/skip.ts";

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

const HOUR_MS = 60 * MINUTE_MS;
/** An hour after the suite's fixed clock, at the start of an hour. */
const H0 = Math.ceil(T0 / HOUR_MS) * HOUR_MS;

/** A delta for `executorName` at `minutes` from `H0` (a whole hour). */
function hourDelta(
  executorName: string,
  minutes: number,
  counts: Partial<HistoryDelta["counts"]> = {},
  durations: { queueWaitMs?: number[]; runTimeMs?: number[] } = {},
): HistoryDelta {
  return { ...makeDelta(executorName, 0, counts, durations), minute: H0 + minutes * MINUTE_MS };
}

/** The points a read of `deltas` must answer, summed here (only points with something in them). */
function expectedPoints(
  deltas: HistoryDelta[],
  query: { from: number; to: number; step: number; executorName?: string },
): HistoryPoint[] {
  const points = new Map<number, HistoryPoint>();
  for (const delta of deltas) {
    if (delta.minute < query.from || delta.minute >= query.to) continue;
    if (query.executorName !== undefined && delta.executorName !== query.executorName) continue;
    const at = query.from + Math.floor((delta.minute - query.from) / query.step) * query.step;
    if (!points.has(at)) points.set(at, { at, ...emptySlot() });
    addSlot(points.get(at)!, delta);
  }
  return [...points.values()].sort((a, b) => a.at - b.at);
}

/** A store whose history an older version wrote: minutes only, no roll-ups. */
export interface OlderHistoryStore extends AsyncDisposable {
  store: ContractStore;
  /** Writes minutes as a version that kept no roll-ups did (only `created` is kept). */
  addMinutes(deltas: HistoryDelta[]): Promise<void>;
}

/** Registers the history cases for one store. */
export function historyContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: Pick<StoreContractOptions, "ignore" | "sanitize"> & {
    /** A fresh store with minutes an older version wrote; without it, that case is a visible skip. */
    older?: () => Promise<OlderHistoryStore>;
  } = {},
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

  test("historyReadEach() answers each executor named what historyRead() of it does, in one read", async (store) => {
    const deltas = [
      makeDelta("a", 0, { created: 2 }, { runTimeMs: [40] }),
      makeDelta("b", 0, { created: 5 }),
      makeDelta("b", 7, { completed: 1 }),
      makeDelta("c", 1, { created: 9 }),
    ];
    await store.history.historyAdd(deltas);
    for (const step of [MINUTE_MS, 15 * MINUTE_MS]) {
      const query = { from: M0, to: M0 + 30 * MINUTE_MS, step };
      const each = await store.history.historyReadEach(query, ["b", "none", "a"]);
      assert.deepEqual([...each.keys()], ["b", "none", "a"]);
      assert.deepEqual(each.get("none"), []);
      for (const name of ["a", "b"]) {
        assert.deepEqual(each.get(name), expectedPoints(deltas, { ...query, executorName: name }));
        assert.deepEqual(
          each.get(name),
          await store.history.historyRead({ ...query, executorName: name }),
        );
      }
    }
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

  test("historyNamesHeld() answers the names some row names, whatever its time, until the prune takes their last", async (store) => {
    assert.deepEqual(await store.history.historyNamesHeld(["a"]), new Set(), "nothing added yet");
    await store.history.historyAdd([
      makeDelta("a", 0, { created: 1 }),
      makeDelta("b", 0, { created: 1 }),
      makeDelta("b", 200, { created: 1 }),
    ]);
    assert.deepEqual(
      await store.history.historyNamesHeld(["a", "b", "never", "a b"]),
      new Set(["a", "b"]),
    );
    assert.deepEqual(await store.history.historyNamesHeld([]), new Set());
    // The prune takes every row of "a" (its hour's roll-up with its last minute), not "b"'s last.
    await store.history.historyPrune(M0 + 120 * MINUTE_MS);
    assert.deepEqual(await store.history.historyNamesHeld(["a", "b"]), new Set(["b"]));
  });

  test("historyRead() by a step of whole roll-up spans (15 minutes, an hour) answers what the minutes add up to", async (store) => {
    // Five hours of three executors, a minute in seven, with counts and durations that vary.
    const deltas: HistoryDelta[] = [];
    for (let m = 0; m < 300; m += 7) {
      for (const [i, name] of ["a", "b", "c"].entries()) {
        deltas.push(
          hourDelta(name, m + i, { created: m % 5 + i, completed: m % 3, retried: i }, {
            queueWaitMs: [m % 11, 3 * i],
            runTimeMs: [m * 40],
          }),
        );
      }
    }
    // The first add sets the roll-ups' start at H0 + 1 hour; then three calls, as a recorder
    // adds them: the first hour is read from minutes, the rest from roll-ups.
    deltas.unshift(hourDelta("a", 59, { created: 1 }));
    await store.history.historyAdd([deltas[0]]);
    for (let k = 0; k < 3; k++) {
      await store.history.historyAdd(deltas.slice(1).filter((_, i) => i % 3 === k));
    }
    for (const step of [MINUTE_MS, 15 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS, 2 * HOUR_MS]) {
      for (const executorName of [undefined, "b"]) {
        for (const [from, to] of [[H0, H0 + 6 * HOUR_MS], [H0 + 2 * HOUR_MS, H0 + 4 * HOUR_MS]]) {
          const query = { from, to, step, ...(executorName ? { executorName } : {}) };
          assert.deepEqual(
            await store.history.historyRead(query),
            expectedPoints(deltas, query),
            JSON.stringify({ ...query, from: from - H0, to: to - H0 }),
          );
        }
      }
    }
  });

  test("historyRead() of any deltas, by any step of whole minutes, quarters or hours, answers what the deltas add up to (property)", async (store) => {
    // The roll-ups' start is H0; run `r` adds to and reads its own six hours, a day apart.
    await store.history.historyAdd([hourDelta("a", -1)]);
    const DAY_MINUTES = 24 * 60;
    const delta = fc.record({
      executorName: fc.constantFrom("a", "b", "c"),
      minute: fc.integer({ min: 0, max: 359 }),
      created: fc.integer({ min: 0, max: 5 }),
      deadLettered: fc.integer({ min: 0, max: 2 }),
      runTimeMs: fc.array(fc.integer({ min: 0, max: 400_000 }), { maxLength: 3 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(delta, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(1, 15, 30, 45, 60, 120, 180),
        fc.option(fc.constantFrom("a", "b", "c"), { nil: undefined }),
        async (picked, stepMinutes, executorName) => {
          const offset = ++run * DAY_MINUTES;
          const deltas = picked.map((d) =>
            hourDelta(d.executorName, offset + d.minute, {
              created: d.created,
              deadLettered: d.deadLettered,
            }, { runTimeMs: d.runTimeMs })
          );
          await store.history.historyAdd(deltas);
          const step = stepMinutes * MINUTE_MS;
          const from = H0 + offset * MINUTE_MS;
          const query = {
            from,
            to: from + 360 * MINUTE_MS,
            step,
            ...(executorName ? { executorName } : {}),
          };
          assert.deepEqual(await store.history.historyRead(query), expectedPoints(deltas, query));
        },
      ),
      { numRuns: 25 },
    );
  });

  test("historyAdd() from many callers at once loses nothing in the roll-ups either", async (store) => {
    // The first add sets the roll-ups' start at H0; the ones at once then fall after it.
    await store.history.historyAdd([hourDelta("a", -1, { created: 1 })]);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.history.historyAdd([
          hourDelta("a", i, { completed: 1 }, { runTimeMs: [7] }),
          hourDelta("b", 59 - i, { completed: 2 }),
        ])),
    );
    for (const step of [15 * MINUTE_MS, HOUR_MS]) {
      const points = await store.history.historyRead({ from: H0, to: H0 + HOUR_MS, step });
      assert.equal(points.reduce((sum, p) => sum + p.counts.completed, 0), 60, `step ${step}`);
      assert.equal(points.reduce((sum, p) => sum + p.runTimeMs[bucketOf(7)], 0), 20);
    }
  });

  test("historyPrune() deletes a roll-up once all its minutes are gone, and keeps whole the one it cuts through", async (store) => {
    await store.history.historyAdd([hourDelta("a", -1, { created: 1 })]);
    await store.history.historyAdd(
      Array.from({ length: 180 }, (_, m) => hourDelta("a", m, { created: 1 })),
    );
    // Every minute before H0 + 90 goes: the first hour whole, half of the second.
    assert.equal(await store.history.historyPrune(H0 + 90 * MINUTE_MS), 91);
    const hours = await store.history.historyRead({
      from: H0,
      to: H0 + 3 * HOUR_MS,
      step: HOUR_MS,
    });
    assert.deepEqual(hours.map((p) => [(p.at - H0) / HOUR_MS, p.counts.created]), [[1, 60], [
      2,
      60,
    ]]);
    const quarters = await store.history.historyRead({
      from: H0,
      to: H0 + 3 * HOUR_MS,
      step: 15 * MINUTE_MS,
    });
    assert.deepEqual(quarters.map((p) => (p.at - H0) / MINUTE_MS), [90, 105, 120, 135, 150, 165]);
    const minutes = await store.history.historyRead({
      from: H0 - HOUR_MS,
      to: H0 + 3 * HOUR_MS,
      step: MINUTE_MS,
    });
    assert.equal(minutes.length, 90, "the minutes from H0 + 90 on");
  });

  test("historyAdd() from many callers at once, before a roll-up start is stored, stores one and loses nothing", async (store) => {
    await Promise.all(
      Array.from({ length: 10 }, () =>
        store.history.historyAdd([
          hourDelta("a", -1, { created: 1 }),
          hourDelta("b", 59, { created: 2 }),
        ])),
    );
    // Every first add says the roll-ups start at H0 + 1 hour; one of them is kept.
    await store.history.historyAdd([hourDelta("a", 61, { created: 4 })]);
    const hours = await store.history.historyRead({
      from: H0 - HOUR_MS,
      to: H0 + 2 * HOUR_MS,
      step: HOUR_MS,
    });
    assert.deepEqual(hours.map((p) => [(p.at - H0) / MINUTE_MS, p.counts.created]), [
      [-60, 10],
      [0, 20],
      [60, 4],
    ]);
  });

  Deno.test({
    ...skipUnless(
      `${label}: historyRead() of a store an older version wrote sums its minutes, and the roll-ups only from the hour after the latest minute kept or added when this version first adds`,
      options.ignore ||
        (options.older ? null : "this store has no hook to write as an older version"),
    ),
    sanitizeOps: options.sanitize ?? true,
    sanitizeResources: options.sanitize ?? true,
    fn: async () => {
      await using older = await options.older!();
      const { store } = older;
      // The older version's minutes: one an hour for four hours, the last (minute 190) from a
      // manager whose clock runs ahead of this version's first add.
      await older.addMinutes([10, 70, 130, 190].map((m) => hourDelta("a", m, { created: 1 })));
      // This version's first add: in the first hour and in the third; so the roll-ups of the first
      // four hours lack older minutes, and hold everything from the fifth hour (240) on.
      await store.history.historyAdd([
        hourDelta("a", 5, { created: 10 }),
        hourDelta("a", 150, { created: 10 }),
      ]);
      await store.history.historyAdd([
        hourDelta("a", 200, { created: 10 }),
        hourDelta("a", 250, { created: 10 }),
      ]);
      const created = async (step: number, from = H0) =>
        (await store.history.historyRead({ from, to: H0 + 5 * HOUR_MS, step })).map((p) => [
          (p.at - H0) / MINUTE_MS,
          p.counts.created,
        ]);
      assert.deepEqual(await created(HOUR_MS), [[0, 11], [60, 1], [120, 11], [180, 11], [240, 10]]);
      assert.deepEqual(await created(15 * MINUTE_MS), [
        [0, 11],
        [60, 1],
        [120, 1],
        [150, 10],
        [180, 1],
        [195, 10],
        [240, 10],
      ]);
      assert.deepEqual(await created(HOUR_MS, H0 + 4 * HOUR_MS), [[240, 10]]);
      // A name only the older version's minutes hold is held too.
      await older.addMinutes([hourDelta("old", 20, { created: 1 })]);
      assert.deepEqual(
        await store.history.historyNamesHeld(["old", "a", "x"]),
        new Set(["old", "a"]),
      );
    },
  });
}
