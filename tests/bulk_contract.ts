/**
 * The store verbs of bulk operations (`taskDeleteMany`, `taskListRefs`, `taskRefsOf`, `dlqListRefs`,
 * `taskTransitionMany`, the `finishedAfter`/`finishedBefore` bounds of `taskList`), written once
 * and run on each store by tests/store_sqlite_test.ts and tests/store_mongo_test.ts, beside the
 * store contract.
 */
import assert from "node:assert/strict";
import { SCAN_PER_PAGE, type Settlement } from "../server/store/store.ts";
import type { ContractStore, StoreContractOptions } from "./store_contract.ts";
import { contractCases, makeTask, T0 } from "./store_contract.ts";

/** Inserts `count` tasks of "a" and settles them as `settlement` at `at`; gives their ids. */
async function settled(
  store: ContractStore,
  count: number,
  settlement: Settlement,
  at: number,
): Promise<string[]> {
  await store.taskInsert(Array.from({ length: count }, () => makeTask("a")));
  return await claimAndSettle(store, count, settlement, { claimedAt: T0, at });
}

/**
 * Claims `count` ready tasks of "a" at `claimedAt` (that many must be ready) and settles them as
 * `settlement` at `at`; gives their ids.
 */
async function claimAndSettle(
  store: ContractStore,
  count: number,
  settlement: Settlement,
  times: { claimedAt: number; at: number },
): Promise<string[]> {
  const claimed = await store.taskClaim({
    executorName: "a",
    limit: count,
    leaseMs: 60_000,
    owner: "w",
    now: times.claimedAt,
    maxConcurrency: 0,
  });
  assert.equal(claimed.length, count);
  await store.taskSettle(
    claimed.map((t) => ({ taskId: t.id, leaseToken: t.leaseToken!, settlement })),
    { now: times.at },
  );
  return claimed.map((t) => t.id);
}

/** Registers the bulk cases for one store. */
export function bulkContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: Pick<StoreContractOptions, "ignore" | "sanitize"> = {},
): void {
  const test = contractCases(label, open, options);

  test("taskDeleteMany() deletes only the tasks still in the status and run they were read in", async (store) => {
    const done = await settled(store, 3, { kind: "completed", result: 1 }, T0 + 10);
    await store.taskInsert([makeTask("a"), makeTask("a")]);
    const pending = (await store.taskList({ status: ["pending"] }, { limit: 10 })).items;
    const read = (id: string) => ({ id, status: "completed" as const, run: 1 });
    const deleted = await store.taskDeleteMany([
      ...done.map(read),
      ...pending.map((t) => read(t.id)),
      read("nope"),
    ]);
    assert.equal(deleted, 3);
    for (const id of done) assert.equal(await store.taskGet(id), null);
    for (const task of pending) assert.equal((await store.taskGet(task.id))?.status, "pending");
    assert.equal(await store.taskDeleteMany([]), 0);
  });

  test("taskDeleteMany() leaves a task run again since, though it ended in the status read again", async (store) => {
    const error = { attempt: 1, message: "x", at: T0, workerId: "w" };
    const failed: Settlement = { kind: "failed", error };
    const [again, kept, later] = await settled(store, 3, failed, T0 + 10);
    // `again` and `later` are run again and fail again: their second run, not the one read.
    for (const id of [again, later]) {
      const moved = await store.taskTransition(id, {
        from: "failed",
        to: "pending",
        now: T0 + 20,
        patch: { runAt: T0, resetAttempts: true },
      });
      assert.equal(moved?.run, 2);
    }
    await claimAndSettle(store, 2, failed, { claimedAt: T0 + 30, at: T0 + 40 });
    const runOne = [again, kept].map((id) => ({ id, status: "failed" as const, run: 1 }));
    assert.equal(await store.taskDeleteMany(runOne), 1);
    assert.equal(await store.taskGet(kept), null);
    const stayed = await store.taskGet(again);
    assert.equal(stayed?.status, "failed");
    assert.equal(stayed?.run, 2);
    assert.equal(stayed?.completedAt, T0 + 40);
    // Read in the run it is in, it goes; refs answer that run.
    const [ref] = await store.taskRefsOf([later]);
    assert.deepEqual(ref, { id: later, executorName: "a", status: "failed", run: 2 });
    assert.equal(await store.taskDeleteMany([ref, { id: again, status: "failed", run: 2 }]), 2);
    assert.equal(await store.taskGet(again), null);
  });

  test("taskDeleteMany() leaves dead tasks to the DLQ's own delete", async (store) => {
    const error = { attempt: 1, message: "x", at: T0, workerId: "w" };
    const [dead] = await settled(store, 1, {
      kind: "dlq",
      error,
      reason: "max_attempts",
      queueName: "dlq",
    }, T0 + 10);
    assert.equal(await store.taskDeleteMany([{ id: dead, status: "dlq", run: 1 }]), 0);
    assert.notEqual(await store.dlqGet(dead), null);
  });

  test("dlqDelete() with a run deletes the entry only while its task is in that run", async (store) => {
    const error = { attempt: 1, message: "x", at: T0, workerId: "w" };
    const dlq: Settlement = { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
    const [dead] = await settled(store, 1, dlq, T0 + 10);
    const [listed] = (await store.dlqListRefs({}, { limit: 10 })).items;
    assert.deepEqual(listed, { id: dead, executorName: "a", status: "dlq", run: 1 });
    assert.equal((await store.dlqRequeue(dead, { now: T0 }))?.run, 2);
    // The one ready task, dead again: in run 2.
    await claimAndSettle(store, 1, dlq, { claimedAt: T0 + 20, at: T0 + 30 });
    assert.equal(await store.dlqDelete(dead, { run: 1 }), false);
    assert.equal((await store.dlqGet(dead))?.task.run, 2);
    assert.equal(await store.dlqDelete(dead, { run: 2 }), true);
    assert.equal(await store.dlqGet(dead), null);
  });

  test("dlqRequeue() with a run requeues the entry only while its task is in that run", async (store) => {
    const error = { attempt: 1, message: "x", at: T0, workerId: "w" };
    const dlq: Settlement = { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
    const [dead] = await settled(store, 1, dlq, T0 + 10);
    assert.equal((await store.dlqRequeue(dead, { now: T0, run: 1 }))?.run, 2);
    // Running again: not dead, in no run.
    assert.equal(await store.dlqRequeue(dead, { now: T0, run: 1 }), null);
    assert.equal(await store.dlqRequeue(dead, { now: T0, run: 2 }), null);
    await claimAndSettle(store, 1, dlq, { claimedAt: T0 + 20, at: T0 + 30 });
    // Dead again in run 2: the death of run 1 is gone, and that of run 2 is not it.
    assert.equal(await store.dlqRequeue(dead, { now: T0 + 40, run: 1, data: { v: 9 } }), null);
    const still = (await store.dlqGet(dead))!;
    assert.deepEqual([still.task.run, still.task.status, still.task.data], [2, "dlq", { n: 1 }]);
    const requeued = (await store.dlqRequeue(dead, { now: T0 + 40, run: 2, data: { v: 9 } }))!;
    assert.deepEqual([requeued.run, requeued.status, requeued.data], [3, "pending", { v: 9 }]);
  });

  test("dlqRequeue() and taskTransition() with a run move the task only while it is in that run", async (store) => {
    const error = { attempt: 1, message: "x", at: T0, workerId: "w" };
    const dlq: Settlement = { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
    const failed: Settlement = { kind: "failed", error };
    const [dead] = await settled(store, 1, dlq, T0 + 10);
    assert.equal(await store.dlqRequeue(dead, { now: T0 + 20, run: 2 }), null);
    assert.equal((await store.dlqGet(dead))?.task.run, 1);
    assert.equal((await store.dlqRequeue(dead, { now: T0 + 20, run: 1 }))?.run, 2);
    await store.taskDeleteMany([{ id: dead, status: "pending", run: 2 }]);
    const [failing] = await settled(store, 1, failed, T0 + 30);
    const back = { from: "failed", to: "pending", now: T0 + 40 } as const;
    const patch = { runAt: T0 + 40, resetAttempts: true };
    assert.equal(await store.taskTransition(failing, { ...back, patch, run: 2 }), null);
    assert.equal((await store.taskGet(failing))?.status, "failed");
    const moved = await store.taskTransition(failing, { ...back, patch, run: 1 });
    assert.deepEqual([moved?.status, moved?.run], ["pending", 2]);
  });

  test("taskListRefs() pages as taskList() does, giving ids, executors, statuses and runs only", async (store) => {
    await settled(store, 3, { kind: "completed", result: 1 }, T0 + 10);
    await store.taskInsert([
      ...Array.from({ length: 7 }, (_, i) => makeTask("a", { createdAt: T0 + i, data: { i } })),
      ...Array.from({ length: 4 }, (_, i) => makeTask("b", { createdAt: T0 + i })),
    ]);
    const filters: Parameters<ContractStore["taskList"]>[0][] = [
      {},
      { executorName: "a" },
      { status: ["pending"] },
      { executorName: "a", status: ["completed", "pending"] },
      { createdAfter: T0 + 2, createdBefore: T0 + 5 },
      { executorName: "nobody" },
    ];
    for (const filter of filters) {
      for (const limit of [1, 3, 100]) {
        let cursor: string | undefined;
        do {
          const full = await store.taskList(filter, { cursor, limit });
          const refs = await store.taskListRefs(filter, { cursor, limit });
          assert.deepEqual(
            refs,
            {
              items: full.items.map(({ id, executorName, status, run }) => ({
                id,
                executorName,
                status,
                run,
              })),
              nextCursor: full.nextCursor,
              cursors: full.cursors,
            },
            `${JSON.stringify(filter)} limit ${limit} after ${cursor}`,
          );
          cursor = refs.nextCursor ?? undefined;
        } while (cursor);
      }
    }
  });

  test("taskRefsOf() gives the ids, executors, statuses and runs of the ids that are tasks, leaving the others out", async (store) => {
    const done = await settled(store, 2, { kind: "completed", result: "r".repeat(1000) }, T0 + 10);
    const [{ task: { id: pendingId } }] = await store.taskInsert([
      makeTask("b", { data: { big: "d".repeat(1000) } }),
    ]);
    const byId = (refs: { id: string }[]) => [...refs].sort((x, y) => x.id < y.id ? -1 : 1);
    assert.deepEqual(
      byId(await store.taskRefsOf([...done, pendingId, "no-such-task", done[0]])),
      byId([
        ...done.map((id) => ({ id, executorName: "a", status: "completed", run: 1 })),
        { id: pendingId, executorName: "b", status: "pending", run: 1 },
      ]),
    );
    assert.deepEqual(await store.taskRefsOf([]), []);
  });

  test("dlqListRefs() pages as dlqList() does, giving ids, executors, statuses and runs only", async (store) => {
    const error = { attempt: 1, message: "x", at: T0, workerId: "w" };
    const dlq = (reason: "max_attempts" | "non_retryable") =>
      ({ kind: "dlq", error, reason, queueName: "dlq" }) as const;
    await settled(store, 3, dlq("max_attempts"), T0 + 10);
    await settled(store, 2, dlq("non_retryable"), T0 + 20);
    await settled(store, 2, dlq("max_attempts"), T0 + 20);
    for (
      const filter of [{}, { reason: "non_retryable" as const }, { deadBefore: T0 + 20 }, {
        executorName: "b",
      }]
    ) {
      for (const limit of [1, 2, 100]) {
        let cursor: string | undefined;
        do {
          const full = await store.dlqList(filter, { cursor, limit });
          const refs = await store.dlqListRefs(filter, { cursor, limit });
          assert.deepEqual(refs, {
            items: full.items.map(({ id, executorName, task }) => ({
              id,
              executorName,
              status: "dlq",
              run: task.run,
            })),
            nextCursor: full.nextCursor,
            cursors: full.cursors,
          }, `${JSON.stringify(filter)} limit ${limit} after ${cursor}`);
          cursor = refs.nextCursor ?? undefined;
        } while (cursor);
      }
    }
  });

  test("taskTransitionMany() moves the tasks still in `from`, as taskTransition() does, and names them", async (store) => {
    const [done] = await settled(store, 1, { kind: "completed", result: 1 }, T0 + 10);
    const pending = [makeTask("a"), makeTask("a"), makeTask("b")];
    await store.taskInsert(pending);
    const ids = [pending[2].id, done, "nope", pending[0].id, pending[1].id];
    const moved = await store.taskTransitionMany(ids, {
      from: "pending",
      to: "cancelled",
      now: T0 + 20,
    });
    assert.deepEqual(moved, [pending[2].id, pending[0].id, pending[1].id]);
    for (const task of pending) {
      const stored = await store.taskGet(task.id);
      assert.equal(stored?.status, "cancelled");
      assert.equal(stored?.completedAt, T0 + 20);
      assert.equal(stored?.updatedAt, T0 + 20);
      assert.deepEqual(stored?.data, task.data);
    }
    assert.equal((await store.taskGet(done))?.status, "completed");
    const again = await store.taskTransitionMany(ids, {
      from: "pending",
      to: "cancelled",
      now: T0,
    });
    assert.deepEqual(again, [], "none is pending any more");
    assert.deepEqual(
      await store.taskTransitionMany([], { from: "pending", to: "cancelled", now: T0 }),
      [],
    );
  });

  test("taskList() bounds the time a task finished with finishedAfter and finishedBefore", async (store) => {
    const early = await settled(store, 2, { kind: "completed", result: 1 }, T0 + 1000);
    const late = await settled(store, 2, { kind: "completed", result: 1 }, T0 + 5000);
    await store.taskInsert([makeTask("a")]);
    const ids = async (filter: Parameters<ContractStore["taskList"]>[0]) =>
      (await store.taskList(filter, { limit: 100 })).items.map((t) => t.id).sort();
    assert.deepEqual(await ids({ finishedBefore: T0 + 5000 }), [...early].sort());
    assert.deepEqual(await ids({ finishedAfter: T0 + 5000 }), [...late].sort());
    assert.deepEqual(
      await ids({ executorName: "a", status: ["completed"], finishedAfter: T0 + 1000 }),
      [...early, ...late].sort(),
    );
  });

  test("a listing by finish time looks at scanLimit tasks a page at most (SCAN_PER_PAGE unless given), and its cursors still reach every match", async (store) => {
    const done = await settled(store, 3, { kind: "completed", result: 1 }, T0 + 1000);
    // Newer than those, never finished: a page looking for finished tasks meets these first.
    await store.taskInsert(
      Array.from({ length: 25 }, (_, i) => makeTask("a", { createdAt: T0 + 1 + i })),
    );
    const filters = [{ finishedAfter: T0 }, { status: ["completed" as const], finishedAfter: T0 }];
    for (const filter of filters) {
      const first = await store.taskList(filter, { limit: 50, scanLimit: 20 });
      assert.deepEqual(first.items, [], "the newest 20 tasks hold no match");
      assert.ok(first.nextCursor, "and the page says where to go on");
      const second = await store.taskList(filter, {
        cursor: first.nextCursor,
        limit: 50,
        scanLimit: 20,
      });
      assert.deepEqual(second.items.map((t) => t.id).sort(), [...done].sort());
      assert.equal(second.nextCursor, null);
      // A page that fills up before the bound goes on after its last task, as any page does.
      const small = await store.taskList(filter, { cursor: first.nextCursor, limit: 2 });
      assert.equal(small.nextCursor, small.items[1].id);
      // By default the bound is SCAN_PER_PAGE, far more than these tasks: one page finds all.
      const whole = await store.taskList(filter, { limit: 50 });
      assert.ok(SCAN_PER_PAGE > 28);
      assert.deepEqual([whole.items.length, whole.nextCursor], [3, null]);
    }
  });
}
