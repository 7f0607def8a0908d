/**
 * The flow-control contract of the store (`ClaimOptions.flow`): rate buckets, keyed concurrency
 * and the round-robin walk over group keys, written once and run against each store from
 * tests/flow_store_test.ts. Time is injected: every claim passes its own `now`.
 */
import assert from "node:assert/strict";
import { type FlowControl, NO_FLOW_CONTROL, RATE_BUCKET_KEEP_MS } from "../server/domain/flow.ts";
import type { ClaimOptions } from "../server/store/store.ts";
import type { Task } from "../server/domain/task.ts";
import { contractCases, type ContractStore, makeExecutor, makeTask, T0 } from "./store_contract.ts";

/** Registers the flow contract tests for one store. */
export function flowContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: { ignore?: string | false; sanitize?: boolean } = {},
): void {
  const test = contractCases(label, open, options);

  function claim(
    store: ContractStore,
    flow: Partial<FlowControl>,
    over: Partial<ClaimOptions> = {},
  ): Promise<Task[]> {
    return store.taskClaim({
      executorName: "flow",
      limit: 100,
      leaseMs: 60_000,
      owner: "w1",
      now: T0,
      maxConcurrency: 0,
      flow: { ...NO_FLOW_CONTROL, ...flow },
      ...over,
    });
  }

  /** Tasks as the service creates them for a keyed executor: `""` is "no key" (`groupKeyOf`). */
  async function insert(store: ContractStore, groups: (string | null)[]): Promise<void> {
    await store.executorCreate(makeExecutor("flow"));
    await store.taskInsert(
      groups.map((key, i) => makeTask("flow", { groupKey: key ?? "", createdAt: T0 - 10_000 + i })),
    );
  }

  test("taskClaim() starts no more than the executor's rate allows, and more as time passes", async (store) => {
    await insert(store, Array(30).fill(null));
    const rateLimit = { limit: 10, period: 1000, burst: 5 };
    assert.equal((await claim(store, { rateLimit })).length, 5, "the burst at once");
    assert.equal((await claim(store, { rateLimit })).length, 0, "then nothing at the same time");
    assert.equal((await claim(store, { rateLimit }, { now: T0 + 250 })).length, 2, "2.5 tokens");
    assert.equal((await claim(store, { rateLimit }, { now: T0 + 300 })).length, 1);
    // A second claimer shares the same bucket.
    assert.equal((await claim(store, { rateLimit }, { now: T0 + 300, owner: "w2" })).length, 0);
    const later = await claim(store, { rateLimit }, { now: T0 + 10_000 });
    assert.equal(later.length, 5, "a full bucket holds `burst`, however long it waited");
  });

  test("taskClaim() under a rate raised while nothing was ready starts the next task at once: the claims that found nothing still took the new rate", async (store) => {
    await insert(store, [null]);
    const daily = { rateLimit: { limit: 1, period: 86_400_000, burst: 1 } };
    const fast = { rateLimit: { limit: 1_000_000, period: 1000, burst: 1_000_000 } };
    assert.equal((await claim(store, daily)).length, 1, "the day's one start");
    for (const at of [1000, 1500]) {
      assert.equal((await claim(store, fast, { now: T0 + at })).length, 0, "nothing ready");
    }
    await store.taskInsert([makeTask("flow", { groupKey: "", runAt: T0 + 2000 })]);
    assert.equal((await claim(store, fast, { now: T0 + 2001 })).length, 1);
  });

  test("taskClaim() keeps a separate bucket per group key", async (store) => {
    await insert(store, [..."aaaaabbbbb"]);
    const flow = { rateLimitPerKey: { limit: 2, period: 1000, burst: 2 } };
    const first = await claim(store, flow);
    assert.deepEqual(first.map((t) => t.groupKey).sort(), ["a", "a", "b", "b"]);
    assert.equal((await claim(store, flow, { now: T0 + 100 })).length, 0);
    const next = await claim(store, flow, { now: T0 + 500 });
    assert.deepEqual(next.map((t) => t.groupKey).sort(), ["a", "b"]);
  });

  test("taskClaim() never holds more than maxConcurrencyPerKey tasks of one key in progress", async (store) => {
    await insert(store, [..."aaaaaabbc", null, null]);
    const flow = { maxConcurrencyPerKey: 2 };
    const first = await claim(store, flow);
    const count = (tasks: Task[], key: string | null) =>
      tasks.filter((t) => (t.groupKey ?? null) === key).length;
    assert.equal(count(first, "a"), 2);
    assert.equal(count(first, "b"), 2);
    assert.equal(count(first, "c"), 1);
    assert.equal(count(first, null), 2, "tasks without a key form one group of their own");
    assert.equal((await claim(store, flow, { owner: "w2" })).length, 0);
    const a = first.find((t) => t.groupKey === "a")!;
    await store.taskSettle([{
      taskId: a.id,
      leaseToken: a.leaseToken!,
      settlement: { kind: "completed", result: null },
    }], { now: T0 + 1 });
    const next = await claim(store, flow, { now: T0 + 2 });
    assert.deepEqual(next.map((t) => t.groupKey), ["a"]);
  });

  test("taskClaim() serves group keys round-robin: a small key is not stuck behind a big one", async (store) => {
    // The big key's tasks are all older, so the plain claim order would take them first.
    await insert(store, [...Array(200).fill("big"), ...Array(5).fill("small")]);
    const flow = { groupKeyPointer: "/customerId" };
    const first = await claim(store, flow, { limit: 4 });
    assert.equal(first.filter((t) => t.groupKey === "small").length, 2);
    const second = await claim(store, flow, { limit: 4 });
    assert.equal(second.filter((t) => t.groupKey === "small").length, 2);
    const third = await claim(store, flow, { limit: 4 });
    assert.equal(third.filter((t) => t.groupKey === "small").length, 1);
    assert.equal(third.length, 4, "what a drained key leaves goes to the others");
  });

  test("taskClaim() with keyed flow control takes a whole batch from a single key", async (store) => {
    await insert(store, Array(50).fill("only"));
    const tasks = await claim(store, { groupKeyPointer: "/k" }, { limit: 40 });
    assert.equal(tasks.length, 40);
    assert.equal(new Set(tasks.map((t) => t.id)).size, 40);
  });

  test("taskClaim() applies maxConcurrency and the executor's rate together with keys", async (store) => {
    await insert(store, [..."aaaabbbbcccc"]);
    const flow = { rateLimit: { limit: 5, period: 1000, burst: 5 }, maxConcurrencyPerKey: 3 };
    const first = await claim(store, flow, { maxConcurrency: 4 });
    assert.equal(first.length, 4);
    assert.equal((await claim(store, flow, { maxConcurrency: 0, now: T0 + 1 })).length, 1);
  });

  test("taskClaim() leaves delayed tasks of a key alone and serves other keys", async (store) => {
    await store.executorCreate(makeExecutor("flow"));
    await store.taskInsert([
      makeTask("flow", { groupKey: "later", runAt: T0 + 60_000 }),
      makeTask("flow", { groupKey: "now" }),
    ]);
    const tasks = await claim(store, { maxConcurrencyPerKey: 1 });
    assert.deepEqual(tasks.map((t) => t.groupKey), ["now"]);
  });

  test("taskSettle() of a postponed retry gives the attempt back and records no error", async (store) => {
    await insert(store, [null]);
    const [task] = await claim(store, {});
    assert.equal(task.attempt, 1);
    const error = { attempt: 1, message: "Rate limited", at: T0 + 5, workerId: "w1" };
    const [applied] = await store.taskSettle([{
      taskId: task.id,
      leaseToken: task.leaseToken!,
      settlement: { kind: "retry", runAt: T0 + 500, error, postponed: true },
    }], { now: T0 + 5 });
    assert.equal(applied, true);
    const after = (await store.taskGet(task.id))!;
    assert.equal(after.status, "pending");
    assert.equal(after.attempt, 0);
    assert.equal(after.runAt, T0 + 500);
    assert.deepEqual(after.errors, []);
  });

  test("executorUpdate() that makes an executor keyed lets the keyed claim see its older tasks", async (store) => {
    const executor = await store.executorCreate(makeExecutor("flow"));
    await store.taskInsert([
      makeTask("flow", { groupKey: null }),
      makeTask("flow", { groupKey: null }),
    ]);
    await store.executorUpdate({ ...executor, groupKeyPointer: "/customerId", updatedAt: T0 + 1 }, {
      basedOn: executor.updatedAt,
    });
    const tasks = await claim(store, { groupKeyPointer: "/customerId" });
    assert.equal(tasks.length, 2);
  });

  test("taskInsert() of a task keyed by a stale view is claimed once its executor became keyed", async (store) => {
    // The creator read the executor before it became keyed (so `groupKeyOf` gave no key), and
    // the insert comes after the update: every insert path must still reach the keyed claim.
    const executor = await store.executorCreate(makeExecutor("flow"));
    const keyed = { ...executor, maxConcurrencyPerKey: 5, updatedAt: T0 + 1 };
    assert.ok(await store.executorUpdate(keyed, { basedOn: executor.updatedAt }));
    const stale = () => makeTask("flow", { groupKey: null, data: { customerId: "acme" } });
    await store.taskInsert([stale(), stale()]);
    await store.taskInsert([stale()], { writeConcern: "unacknowledged" });
    const flow = { ...NO_FLOW_CONTROL, maxConcurrencyPerKey: 5 };
    const { claimed } = await store.taskInsertAndClaim([stale()], {
      executorName: "flow",
      limit: 1,
      leaseMs: 60_000,
      owner: "w0",
      now: T0,
      maxConcurrency: 0,
      flow,
    });
    assert.equal(claimed.length, 1, "the claim made with the insert sees it");
    assert.equal((await claim(store, { maxConcurrencyPerKey: 5 })).length, 3);
  });

  test("executorCreate() of a keyed executor lets the keyed claim see tasks already under its name", async (store) => {
    // Tasks created against an executor of that name deleted meanwhile.
    await store.taskInsert([makeTask("flow", { groupKey: null })]);
    await store.executorCreate(makeExecutor("flow", { maxConcurrencyPerKey: 1 }));
    assert.equal((await claim(store, { maxConcurrencyPerKey: 1 })).length, 1);
  });

  test("taskInsert() of a task keyed by a stale view is claimed once its executor is keyed no more", async (store) => {
    const executor = await store.executorCreate(makeExecutor("flow", { maxConcurrencyPerKey: 1 }));
    assert.ok(
      await store.executorUpdate({ ...executor, maxConcurrencyPerKey: 0, updatedAt: T0 + 1 }, {
        basedOn: executor.updatedAt,
      }),
    );
    await store.taskInsert([
      makeTask("flow", { groupKey: "" }),
      makeTask("flow", { groupKey: "acme" }),
      makeTask("flow", { groupKey: null }),
    ]);
    assert.equal((await claim(store, {}, { limit: 1 })).length, 1, "the plain claim");
    const rateLimit = { limit: 10, period: 1000, burst: 10 };
    assert.equal((await claim(store, { rateLimit })).length, 2, "the flow claim without keys");
  });

  test("taskClaim() under a raised rate limit does not wait out the debt of the old one", async (store) => {
    await insert(store, Array(10).fill("k"));
    const daily = { limit: 1, period: 86_400_000, burst: 1 };
    const fast = { limit: 100, period: 1000, burst: 100 };
    for (
      const [slow, raised] of [[{ rateLimit: daily }, { rateLimit: fast }], [
        { rateLimitPerKey: daily },
        { rateLimitPerKey: fast },
      ]]
    ) {
      assert.equal((await claim(store, slow)).length, 1);
      assert.equal((await claim(store, slow, { now: T0 + 1000 })).length, 0);
      // The bucket counts as drained at the first claim under 100/s, and refills at that rate.
      assert.equal((await claim(store, raised, { now: T0 + 1000, limit: 1 })).length, 0);
      assert.equal((await claim(store, raised, { now: T0 + 1010, limit: 1 })).length, 1);
      assert.equal((await claim(store, raised, { now: T0 + 1040 })).length, 3);
    }
  });

  test("taskClaim() under a rate limit removed and put back does not wait out the old one", async (store) => {
    await insert(store, Array(3).fill(null));
    const daily = { rateLimit: { limit: 1, period: 86_400_000, burst: 1 } };
    const huge = { rateLimit: { limit: 1_000_000, period: 1000, burst: 1_000_000 } };
    assert.equal((await claim(store, daily)).length, 1);
    assert.equal((await claim(store, {}, { now: T0 + 1000, limit: 1 })).length, 1);
    assert.equal((await claim(store, huge, { now: T0 + 2000 })).length, 0);
    assert.equal((await claim(store, huge, { now: T0 + 2001 })).length, 1);
  });

  test("taskClaim() finds a ready key behind thousands of keys holding only delayed tasks", async (store) => {
    // Every key sorts before the ready one, and each holds one task due in an hour: the walk must
    // not spend its visits on them and leave the ready task waiting for their turn.
    const delayed = Array.from({ length: 3000 }, (_, i) =>
      makeTask("flow", {
        groupKey: `d${String(i).padStart(5, "0")}`,
        createdAt: T0 - 10_000,
        runAt: T0 + 3_600_000,
      }));
    await store.executorCreate(makeExecutor("flow"));
    await store.taskInsert([
      ...delayed,
      makeTask("flow", { groupKey: "ready", createdAt: T0 - 1 }),
    ]);
    const flow = { maxConcurrencyPerKey: 1 };
    // The dispatcher claims again at once while `taskNextRunAt` answers a time already come.
    let claims = 0;
    for (;;) {
      const got = await claim(store, flow, { limit: 1 });
      claims++;
      if (got.length > 0) {
        assert.equal(got[0].groupKey, "ready");
        break;
      }
      const next = await store.taskNextRunAt(["flow"], T0);
      assert.ok(next !== null && next <= T0, `claim ${claims} found nothing and said to wait`);
      assert.ok(claims < 3000, "each claim moves past many keys");
    }
    // Nothing else is ready: once a claim has looked at every key, it says when the next is due.
    for (let i = 0; i < 3000; i++) {
      assert.equal((await claim(store, flow, { limit: 1 })).length, 0);
      const next = await store.taskNextRunAt(["flow"], T0);
      if (next === T0 + 3_600_000) return;
      assert.ok(next !== null && next <= T0, "look again at once, or at the next due time");
    }
    assert.fail("claims kept asking to look again with nothing ready");
  });

  test("taskClaim() deletes a bucket full again only once no claim can be that late: a claim read before a later one's still finds the bucket in debt", async (store) => {
    await insert(store, ["k"]);
    // One start of key k every 100 ms, no burst.
    const flow = { rateLimitPerKey: { limit: 10, period: 1000, burst: 1 } };
    const keyed = () => makeTask("flow", { groupKey: "k", runAt: T0 });
    assert.equal((await claim(store, flow)).length, 1, "the start at T0");
    /** Enough claims at `now`, none finding a task, for the store's periodic prune to run. */
    const claimsAt = async (now: number) => {
      for (let i = 0; i < 1024; i++) assert.deepEqual(await claim(store, flow, { now }), []);
    };
    // Full again at T0 + 100; claims at T0 + 150 prune.
    await claimsAt(T0 + 150);
    await store.taskInsert([keyed()]);
    // A claim whose time was read at T0 + 9, before those claims, is 9 ms after the start at T0.
    assert.deepEqual(await claim(store, flow, { now: T0 + 9 }), [], "2 starts in 9 ms");
    // The task starts at T0 + 200. Full again at T0 + 300, then for longer than
    // RATE_BUCKET_KEEP_MS, the bucket is deleted: only a claim that much late could tell (nothing
    // else tells a full bucket from none), and it finds no debt.
    assert.equal((await claim(store, flow, { now: T0 + 200 })).length, 1);
    await claimsAt(T0 + 300 + RATE_BUCKET_KEEP_MS);
    await store.taskInsert([keyed()]);
    assert.equal((await claim(store, flow, { now: T0 + 209 })).length, 1, "not deleted");
  });

  test("executorDelete() forgets the executor's rate buckets: one made again with its name starts afresh", async (store) => {
    const executor = await store.executorCreate(makeExecutor("flow"));
    await store.taskInsert([
      makeTask("flow", { groupKey: "k" }),
      makeTask("flow", { groupKey: "k" }),
    ]);
    const daily = { limit: 1, period: 86_400_000, burst: 1 };
    assert.equal((await claim(store, { rateLimit: daily })).length, 1);
    assert.equal((await claim(store, { rateLimitPerKey: daily })).length, 1);
    assert.equal(await store.executorDelete(executor.id, { force: true }), true);
    await insert(store, Array(10).fill("k"));
    const rate = { limit: 1000, period: 1000, burst: 1000 };
    const tasks = await claim(store, { rateLimit: rate, rateLimitPerKey: rate }, { now: T0 + 1 });
    assert.equal(tasks.length, 10, "a full bucket, not one inherited");
  });
}
