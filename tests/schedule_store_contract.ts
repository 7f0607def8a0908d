/**
 * The schedule store contract (server/store/schedules.ts), written once and run against each store
 * from tests/store_sqlite_test.ts and tests/store_mongo_test.ts.
 */
import assert from "node:assert/strict";
import { ConflictError, FailedPreconditionError, NotFoundError } from "../server/domain/errors.ts";
import { newId } from "../server/domain/id.ts";
import type { Schedule } from "../server/domain/schedule.ts";
import type { ContractStore, StoreContractOptions } from "./store_contract.ts";
import { contractCases, makeExecutor, makeTask, T0 } from "./store_contract.ts";

/** The executors the cases' schedules name: a store keeps no schedule of a missing executor. */
const EXECUTORS = ["send_email", "resize", "other", "x", "y"];

/** A schedule of `executorName` with a fresh id, firing at `T0 + 60 s` unless overridden. */
export function makeSchedule(name: string, overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: newId(T0),
    name,
    executorName: "send_email",
    cron: "*/5 * * * *",
    every: null,
    timezone: "Europe/Berlin",
    task: { data: { to: "a@b.c", deep: [1, { x: "ü\u0001" }] }, metadata: { k: "v" }, priority: 3 },
    enabled: true,
    overlapPolicy: "skip",
    missedFirePolicy: "run_once",
    maxMissedFires: 10,
    jitterMs: 0,
    startAt: null,
    endAt: T0 + 86_400_000,
    createdAt: T0,
    updatedAt: T0,
    version: 1,
    nextFireAt: T0 + 60_000,
    lastTaskId: null,
    lastFires: [],
    ...overrides,
  };
}

/** Registers the schedule contract tests for one store. */
export function scheduleStoreContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: Pick<StoreContractOptions, "ignore" | "sanitize"> = {},
): void {
  const cases = contractCases(label, open, options);
  const test = (name: string, fn: (store: ContractStore) => Promise<void>) =>
    cases(name, async (store) => {
      for (const executor of EXECUTORS) await store.executorCreate(makeExecutor(executor));
      await fn(store);
    });

  test("scheduleGet() finds a created schedule by id and by name, exactly as saved", async (store) => {
    const schedule = makeSchedule("nightly");
    await store.schedules.scheduleCreate(schedule);
    assert.deepEqual(await store.schedules.scheduleGet(schedule.id), schedule);
    assert.deepEqual(await store.schedules.scheduleGet("nightly"), schedule);
    assert.equal(await store.schedules.scheduleGet("nope"), null);
  });

  test("scheduleGet() of a name that is also another schedule's id finds the schedule of that name, whichever was made first", async (store) => {
    const first = makeSchedule("first");
    await store.schedules.scheduleCreate(first);
    const namedLikeFirst = makeSchedule(first.id);
    await store.schedules.scheduleCreate(namedLikeFirst);
    const last = makeSchedule("last");
    const namedLikeLast = makeSchedule(last.id);
    await store.schedules.scheduleCreate(namedLikeLast);
    await store.schedules.scheduleCreate(last);
    assert.deepEqual(await store.schedules.scheduleGet(first.id), namedLikeFirst);
    assert.deepEqual(await store.schedules.scheduleGet(last.id), namedLikeLast);
    assert.deepEqual(await store.schedules.scheduleGet(namedLikeFirst.id), namedLikeFirst);
    assert.deepEqual(await store.schedules.scheduleGet("first"), first);
    assert.deepEqual(await store.schedules.scheduleGet(first.id, { byId: true }), first);
    assert.equal(await store.schedules.scheduleGet("first", { byId: true }), null);
  });

  test("scheduleCreate() refuses a name that is taken", async (store) => {
    await store.schedules.scheduleCreate(makeSchedule("nightly"));
    await assert.rejects(
      () => store.schedules.scheduleCreate(makeSchedule("nightly")),
      ConflictError,
    );
  });

  test("scheduleList() answers by name, all or some executors', exactly as saved", async (store) => {
    const s = store.schedules;
    const b = makeSchedule("b");
    await s.scheduleCreate(b);
    await s.scheduleCreate(makeSchedule("a", { executorName: "resize" }));
    await s.scheduleCreate(makeSchedule("c"));
    await s.scheduleCreate(makeSchedule("d", { executorName: "other" }));
    const all = await s.scheduleList({}, { limit: 10 });
    assert.deepEqual(all.items.map((x) => x.name), ["a", "b", "c", "d"]);
    assert.equal(all.nextCursor, null);
    assert.deepEqual(all.items[1], b);
    const mine = await s.scheduleList({ executorNames: ["send_email"] }, { limit: 10 });
    assert.deepEqual(mine.items.map((x) => x.name), ["b", "c"]);
    const some = await s.scheduleList({ executorNames: ["resize", "other"] }, { limit: 10 });
    assert.deepEqual(some.items.map((x) => x.name), ["a", "d"]);
    assert.deepEqual(await s.scheduleList({ executorNames: [] }, { limit: 10 }), {
      items: [],
      nextCursor: null,
      cursors: [],
    });
    assert.equal(await s.scheduleCount(), 4);
    assert.equal(await s.scheduleCount({ executorNames: ["send_email"] }), 2);
    assert.equal(await s.scheduleCount({ executorNames: ["resize", "other"] }), 2);
    assert.equal(await s.scheduleCount({ executorNames: [] }), 0);
  });

  test("scheduleList() pages by name: the cursor walks every schedule once, up to the limit", async (store) => {
    const s = store.schedules;
    const names = Array.from({ length: 7 }, (_, i) => `s${i}`);
    for (const name of names.toReversed()) {
      await s.scheduleCreate(makeSchedule(name, { executorName: name === "s3" ? "x" : "y" }));
    }
    for (
      const [filter, expected] of [
        [{}, names],
        [{ executorNames: ["y"] }, names.filter((n) => n !== "s3")],
      ] as const
    ) {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await s.scheduleList(filter, { cursor, limit: 3 });
        assert.ok(page.items.length >= 1 && page.items.length <= 3);
        seen.push(...page.items.map((x) => x.name));
        cursor = page.nextCursor ?? undefined;
        if (cursor) assert.equal(cursor, page.items[page.items.length - 1].name);
      } while (cursor !== undefined);
      assert.deepEqual(seen, expected);
    }
    // A page that ends exactly at the last schedule says there is no more.
    const exact = await s.scheduleList({}, { cursor: "s3", limit: 3 });
    assert.deepEqual(exact.items.map((x) => x.name), ["s4", "s5", "s6"]);
    assert.equal(exact.nextCursor, null);
  });

  test("scheduleList() stops before the schedule that would take the page past maxBytes", async (store) => {
    const s = store.schedules;
    const big = "x".repeat(100_000);
    for (const name of ["a", "b", "c", "d", "e"]) {
      await s.scheduleCreate(makeSchedule(name, {
        task: { data: { big }, metadata: {}, priority: 0 },
      }));
    }
    const seen: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await s.scheduleList({}, { cursor, limit: 1000, maxBytes: 250_000 });
      seen.push(page.items.map((x) => x.name));
      assert.ok(page.items.every((x) => (x.task.data as { big: string }).big === big));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    assert.deepEqual(seen, [["a", "b"], ["c", "d"], ["e"]]);
    // One schedule at least, however large.
    const one = await s.scheduleList({}, { limit: 1000, maxBytes: 10 });
    assert.deepEqual(one.items.map((x) => x.name), ["a"]);
    assert.equal(one.nextCursor, "a");
  });

  test("scheduleUpdate() replaces the schedule and bumps its version", async (store) => {
    const schedule = makeSchedule("nightly");
    await store.schedules.scheduleCreate(schedule);
    const changed = { ...schedule, cron: null, every: 60_000, enabled: false, updatedAt: T0 + 1 };
    const updated = await store.schedules.scheduleUpdate(changed);
    assert.deepEqual(updated, { ...changed, version: 2 });
    assert.deepEqual(await store.schedules.scheduleGet(schedule.id), { ...changed, version: 2 });
    assert.equal(await store.schedules.scheduleUpdate(makeSchedule("ghost")), null);
  });

  test("scheduleCreate() with max refuses a new schedule once the store holds max (FailedPreconditionError), a taken name still with ConflictError", async (store) => {
    const s = store.schedules;
    await s.scheduleCreate(makeSchedule("one"), { max: 2 });
    await s.scheduleCreate(makeSchedule("two"), { max: 2 });
    await assert.rejects(
      () => s.scheduleCreate(makeSchedule("three"), { max: 2 }),
      (error: Error) =>
        error instanceof FailedPreconditionError && /holds 2 schedules/.test(error.message),
    );
    await assert.rejects(() => s.scheduleCreate(makeSchedule("two"), { max: 2 }), ConflictError);
    assert.equal(await s.scheduleCount(), 2);
    await s.scheduleCreate(makeSchedule("three"), { max: 3 });
  });

  test("scheduleCreate() with max holds under 20 creates at once: exactly max are stored", async (store) => {
    const s = store.schedules;
    await s.scheduleCreate(makeSchedule("first"));
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => s.scheduleCreate(makeSchedule(`s${i}`), { max: 8 })),
    );
    assert.ok(
      outcomes.every((o) =>
        o.status === "fulfilled" || o.reason instanceof FailedPreconditionError
      ),
      "each create is stored or refused as full",
    );
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 7);
    assert.equal(await s.scheduleCount(), 8);
  });

  test("scheduleUpdate() is a compare and set: a change read before a fire is refused, and the fire's next fire time and history stay", async (store) => {
    const s = store.schedules;
    const read = makeSchedule("every", { every: 1000, cron: null, nextFireAt: T0 + 1000 });
    await s.scheduleCreate(read);
    const fire = {
      fireAt: T0 + 1000,
      firedAt: T0 + 1010,
      taskId: "t1",
      skipped: null,
      manual: false,
    };
    const fired = { nextFireAt: T0 + 2000, lastTaskId: "t1", lastFires: [fire] };
    assert.equal(await s.scheduleSetFireState(read.id, 1, fired), true);
    // Built from the read before the fire: it would put back nextFireAt T0 + 1000, which fired.
    const stale = { ...read, executorName: "resize", enabled: false, updatedAt: T0 + 1 };
    assert.equal(await s.scheduleUpdate(stale), null);
    assert.deepEqual(await s.scheduleGet(read.id), { ...read, ...fired, version: 2 });
    // The same change over a fresh read is written, with the fire state it read.
    const fresh = (await s.scheduleGet(read.id))!;
    const changed = { ...fresh, executorName: "resize", enabled: false, updatedAt: T0 + 1 };
    assert.deepEqual(await s.scheduleUpdate(changed), { ...changed, version: 3 });
    assert.deepEqual(await s.scheduleGet(read.id), { ...changed, version: 3 });
    // And a fire state written from the read before that change is refused too.
    assert.equal(await s.scheduleSetFireState(read.id, 2, { ...fired, nextFireAt: T0 }), false);
  });

  test("scheduleUpdate() refuses a rename to a taken name", async (store) => {
    await store.schedules.scheduleCreate(makeSchedule("a"));
    const b = makeSchedule("b");
    await store.schedules.scheduleCreate(b);
    await assert.rejects(
      () => store.schedules.scheduleUpdate({ ...b, name: "a" }),
      ConflictError,
    );
  });

  test("scheduleDue() answers enabled schedules due by now, earliest first, up to the limit", async (store) => {
    const s = store.schedules;
    await s.scheduleCreate(makeSchedule("late", { nextFireAt: T0 + 3 }));
    await s.scheduleCreate(makeSchedule("early", { nextFireAt: T0 + 1 }));
    await s.scheduleCreate(makeSchedule("middle", { nextFireAt: T0 + 2 }));
    await s.scheduleCreate(makeSchedule("paused", { nextFireAt: T0, enabled: false }));
    await s.scheduleCreate(makeSchedule("future", { nextFireAt: T0 + 10 }));
    await s.scheduleCreate(makeSchedule("ended", { nextFireAt: null }));
    const due = await s.scheduleDue({ now: T0 + 5, limit: 10 });
    assert.deepEqual(due.map((x) => x.name), ["early", "middle", "late"]);
    const first = await s.scheduleDue({ now: T0 + 5, limit: 2 });
    assert.deepEqual(first.map((x) => x.name), ["early", "middle"]);
    assert.deepEqual(await s.scheduleDue({ now: T0, limit: 10 }), []);
    // After the last of a batch: by next fire time, then id, so ties are read once each.
    await s.scheduleCreate(makeSchedule("tied", { nextFireAt: T0 + 2 }));
    const all = await s.scheduleDue({ now: T0 + 5, limit: 10 });
    assert.deepEqual(all.map((x) => x.nextFireAt), [T0 + 1, T0 + 2, T0 + 2, T0 + 3]);
    const read: string[] = [];
    for (let after = undefined as { nextFireAt: number; id: string } | undefined;;) {
      const batch = await s.scheduleDue({ now: T0 + 5, limit: 1, after });
      if (batch.length === 0) break;
      read.push(batch[0].name);
      after = { nextFireAt: batch[0].nextFireAt!, id: batch[0].id };
    }
    assert.deepEqual(read, all.map((x) => x.name));
  });

  test("scheduleSetFireState() applies once per version (compare and set)", async (store) => {
    const schedule = makeSchedule("nightly");
    await store.schedules.scheduleCreate(schedule);
    const fire = {
      fireAt: T0 + 60_000,
      firedAt: T0 + 60_010,
      taskId: "t1",
      skipped: null,
      manual: false,
    };
    const state = { nextFireAt: T0 + 120_000, lastTaskId: "t1", lastFires: [fire] };
    assert.equal(await store.schedules.scheduleSetFireState(schedule.id, 1, state), true);
    assert.equal(
      await store.schedules.scheduleSetFireState(schedule.id, 1, { ...state, lastTaskId: "t2" }),
      false,
    );
    assert.deepEqual(await store.schedules.scheduleGet(schedule.id), {
      ...schedule,
      ...state,
      version: 2,
    });
    assert.equal(await store.schedules.scheduleSetFireState("ghost", 1, state), false);
  });

  test("scheduleNames() names every schedule", async (store) => {
    const s = store.schedules;
    assert.deepEqual(await s.scheduleNames(), []);
    await s.scheduleCreate(makeSchedule("a"));
    await s.scheduleCreate(makeSchedule("b"));
    assert.deepEqual((await s.scheduleNames()).sort(), ["a", "b"]);
  });

  test("scheduleDelete() removes one schedule", async (store) => {
    const s = store.schedules;
    const a = makeSchedule("a");
    await s.scheduleCreate(a);
    await s.scheduleCreate(makeSchedule("b"));
    assert.equal(await s.scheduleDelete(a.id), true);
    assert.equal(await s.scheduleDelete(a.id), false);
    assert.deepEqual((await s.scheduleList({}, { limit: 10 })).items.map((x) => x.name), ["b"]);
  });

  // An executor and its schedules: the steps of a create and a delete in the order a race gives.

  test("scheduleCreate() of an executor deleted since its creator read it is refused (NotFoundError), nothing stored", async (store) => {
    // The creator read "resize"; its delete lands before the insert.
    assert.equal(await store.executorDelete((await store.executorGet("resize"))!.id), true);
    await assert.rejects(
      () => store.schedules.scheduleCreate(makeSchedule("late", { executorName: "resize" })),
      (error) =>
        error instanceof NotFoundError && /executor "resize" does not exist/.test(error.message),
    );
    assert.equal(await store.schedules.scheduleGet("late"), null);
    assert.equal(await store.schedules.scheduleCount(), 0);
    // With max, the count and the insert are one step too: still refused.
    await assert.rejects(
      () =>
        store.schedules.scheduleCreate(makeSchedule("later", { executorName: "resize" }), {
          max: 10,
        }),
      NotFoundError,
    );
    assert.equal(await store.schedules.scheduleCount(), 0);
  });

  test("scheduleUpdate() moving a schedule to an executor deleted meanwhile is refused (NotFoundError) and the schedule stays as it was", async (store) => {
    const s = store.schedules;
    const schedule = makeSchedule("nightly");
    await s.scheduleCreate(schedule);
    assert.equal(await store.executorDelete((await store.executorGet("resize"))!.id), true);
    await assert.rejects(
      () =>
        s.scheduleUpdate({
          ...schedule,
          executorName: "resize",
          task: { data: { moved: true }, metadata: {}, priority: 0 },
        }),
      (error) =>
        error instanceof NotFoundError && /executor "resize" does not exist/.test(error.message),
    );
    const after = (await s.scheduleGet(schedule.id))!;
    // Only the version may have moved (MongoDB undoes the write by a second compare and set).
    assert.deepEqual({ ...after, version: schedule.version }, schedule);
    assert.equal(await s.scheduleCount({ executorNames: ["resize"] }), 0);
  });

  test("executorDelete() without force is refused while the executor has schedules; with force its schedules go with it", async (store) => {
    const s = store.schedules;
    await s.scheduleCreate(makeSchedule("a", { executorName: "resize" }));
    await s.scheduleCreate(makeSchedule("b", { executorName: "resize" }));
    await s.scheduleCreate(makeSchedule("c"));
    const resize = (await store.executorGet("resize"))!;
    await assert.rejects(
      () => store.executorDelete(resize.id),
      (error) =>
        error instanceof FailedPreconditionError &&
        /Cannot delete executor "resize": 2 schedules create its tasks/.test(error.message),
    );
    assert.ok(await store.executorGet("resize"));
    assert.equal(await s.scheduleCount({ executorNames: ["resize"] }), 2);
    await store.taskInsert([makeTask("resize")]);
    await assert.rejects(
      () => store.executorDelete(resize.id),
      /Cannot delete executor "resize": 1 task is pending or in progress/,
    );
    assert.equal(await store.executorDelete(resize.id, { force: true }), true);
    assert.equal(await store.executorGet("resize"), null);
    assert.equal(await s.scheduleCount({ executorNames: ["resize"] }), 0);
    assert.deepEqual((await s.scheduleList({}, { limit: 10 })).items.map((x) => x.name), ["c"]);
  });
}
