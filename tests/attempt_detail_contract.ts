/**
 * The attempt detail contract suite, run on each store by tests/store_sqlite_test.ts and
 * tests/store_mongo_test.ts: progress stored with a lease extension, log lines with a completion,
 * stack traces and log lines with failed attempts, and runs counted by requeues.
 */
import assert from "node:assert/strict";
import type { ContractStore, StoreContractOptions } from "./store_contract.ts";
import { contractCases, makeTask, T0 } from "./store_contract.ts";

/** Registers the attempt detail cases for one store. */
export function attemptDetailContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: Pick<StoreContractOptions, "ignore" | "sanitize"> = {},
): void {
  const test = contractCases(label, open, options);
  const claim = async (store: ContractStore, now = T0) => {
    const [task] = await store.taskClaim({
      executorName: "a",
      limit: 1,
      leaseMs: 60_000,
      owner: "w",
      now,
      maxConcurrency: 0,
    });
    return task;
  };

  test("leaseExtend() stores progress; a new attempt starts without any", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const task = await claim(store);
    assert.deepEqual([task.run, task.progress, task.logs], [1, null, []]);
    const ref = { taskId: task.id, leaseToken: task.leaseToken! };
    assert.deepEqual(await store.leaseExtend([{ ...ref, progress: { percent: 30 } }], T0 + 5), [
      true,
    ]);
    assert.deepEqual((await store.taskGet(task.id))!.progress, { percent: 30 });
    // An extension without progress keeps what is stored.
    await store.leaseExtend([ref], T0 + 6);
    assert.deepEqual((await store.taskGet(task.id))!.progress, { percent: 30 });
    const error = {
      attempt: 1,
      run: 1,
      message: "boom",
      at: T0 + 7,
      workerId: "w",
      stack: "Error: boom\n    at f (x.ts:1:1)",
      logs: ["one", "two"],
    };
    await store.taskSettle([{
      ...ref,
      settlement: { kind: "retry", runAt: T0 + 8, error },
    }], { now: T0 + 7 });
    const retrying = (await store.taskGet(task.id))!;
    assert.deepEqual(retrying.errors, [error]);
    const second = await claim(store, T0 + 9);
    assert.equal(second.progress, null);
    assert.equal((await store.taskGet(task.id))!.progress, null);
  });

  test("a completion keeps its log lines, and requeues count runs", async (store) => {
    await store.taskInsert([makeTask("a")]);
    let task = await claim(store);
    await store.taskSettle([{
      taskId: task.id,
      leaseToken: task.leaseToken!,
      settlement: { kind: "completed", result: 1, logs: ["done", "really"] },
    }], { now: T0 + 1 });
    assert.deepEqual((await store.taskGet(task.id))!.logs, ["done", "really"]);

    await store.taskInsert([makeTask("a", { createdAt: T0 + 2 })]);
    task = await claim(store, T0 + 3);
    const error = { attempt: 1, run: 1, message: "dead", at: T0 + 4, workerId: "w" };
    await store.taskSettle([{
      taskId: task.id,
      leaseToken: task.leaseToken!,
      settlement: { kind: "dlq", error, reason: "non_retryable", queueName: "dlq" },
    }], { now: T0 + 4 });
    const requeued = (await store.dlqRequeue(task.id, { now: T0 + 5 }))!;
    assert.deepEqual([requeued.run, requeued.attempt], [2, 0]);
    const again = await claim(store, T0 + 6);
    assert.deepEqual([again.id, again.run, again.attempt], [task.id, 2, 1]);
    await store.taskSettle([{
      taskId: task.id,
      leaseToken: again.leaseToken!,
      settlement: { kind: "failed", error: { ...error, run: 2, at: T0 + 7 } },
    }], { now: T0 + 7 });
    const byHand = (await store.taskTransition(task.id, {
      from: "failed",
      to: "pending",
      now: T0 + 8,
      patch: { resetAttempts: true, runAt: T0 + 8 },
    }))!;
    assert.deepEqual([byHand.run, byHand.attempt], [3, 0]);
    assert.deepEqual(byHand.errors.map((e) => e.run), [1, 2]);
  });
}
