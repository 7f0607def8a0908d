/**
 * Bulk operations over REST on each store: delete finished tasks, cancel pending ones, run failed
 * and dead ones again — each answering how many it touched — the confirm rule, one task's delete,
 * and going on with `nextCursor` past the per-call cap.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { DatabaseSync } from "node:sqlite";
import { startTestManager, type TestManager } from "./_manager.ts";
import { type Backend, BACKENDS, backendTest } from "./fixtures/backends.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";
import type { Settlement } from "../server/store/store.ts";
import { executorNotFoundFromMetadata } from "@tasks-executor/proto";
import { UnavailableError } from "../server/domain/errors.ts";
import { EXECUTOR_DELETION_LEASE_MS } from "../server/domain/executor.ts";
import { Collection, MongoNetworkError } from "mongodb";

/**
 * Creates `count` tasks of `executorName` and moves them to `status` through a lease. The lease
 * takes any pending task of the executor: make the pending ones of a test last.
 */
async function tasksIn(
  manager: TestManager,
  executorName: string,
  status: "pending" | "completed" | "failed" | "dlq" | "cancelled",
  count: number,
  data: unknown = {},
): Promise<string[]> {
  const { tasks } = await restOk(manager, "POST", "/tasks/batch", {
    tasks: Array.from({ length: count }, () => ({ executorName, data })),
  });
  const ids: string[] = tasks.map((t: { id: string }) => t.id);
  if (status === "pending") return ids;
  if (status === "cancelled") {
    for (const id of ids) await restOk(manager, "POST", `/tasks/${id}/cancel`);
    return ids;
  }
  const now = Date.now();
  const error = { attempt: 1, message: "Boom", at: now, workerId: "w1" };
  const settlement: Settlement = status === "completed"
    ? { kind: "completed", result: 1 }
    : status === "failed"
    ? { kind: "failed", error }
    : { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
  // The engine may have handed some out already: claim until every one is held here.
  const held = new Map<string, string>();
  while (held.size < ids.length) {
    const claimed = await manager.store.taskClaim({
      executorName,
      limit: ids.length,
      leaseMs: 60_000,
      owner: "test",
      now: Date.now(),
      maxConcurrency: 0,
    });
    for (const task of claimed) held.set(task.id, task.leaseToken!);
  }
  const applied = await manager.store.taskSettle(
    ids.map((taskId) => ({ taskId, leaseToken: held.get(taskId)!, settlement })),
    { now },
  );
  assert.ok(applied.every(Boolean));
  return ids;
}

/**
 * Runs a finished task again (from the DLQ for a dead one) and settles that run as `settlement`,
 * at `at`: a new run of the same task, ended the same way if the settlement is that of the first.
 */
async function runAgain(manager: TestManager, id: string, settlement: Settlement, at: number) {
  const store = manager.store;
  const task = (await store.taskGet(id))!;
  const now = Date.now();
  const moved = task.status === "dlq"
    ? await store.dlqRequeue(id, { now })
    : await store.taskTransition(id, {
      from: task.status,
      to: "pending",
      now,
      patch: { runAt: now, resetAttempts: true },
    });
  assert.equal(moved?.run, task.run + 1);
  const [claimed] = await store.taskClaim({
    executorName: task.executorName,
    limit: 1,
    leaseMs: 60_000,
    owner: "test",
    now: Date.now(),
    maxConcurrency: 0,
  });
  assert.equal(claimed?.id, id);
  const [applied] = await store.taskSettle(
    [{ taskId: id, leaseToken: claimed.leaseToken!, settlement }],
    { now: at },
  );
  assert.ok(applied);
}

async function statusOf(manager: TestManager, id: string): Promise<string | null> {
  const answer = await rest(manager, "GET", `/tasks/${id}`);
  return answer.status === 404 ? null : answer.body.task.status;
}

async function executor(manager: TestManager, name: string, taskSchema: unknown = null) {
  await restOk(manager, "POST", "/executors", {
    config: {
      name,
      taskSchema,
      // Disabled: no worker or dispatcher takes these tasks while the test moves them.
      enabled: false,
    },
  });
}

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "DELETE /tasks deletes the finished tasks matching the filter and says how many",
    async ({ manager }) => {
      await executor(manager, "x");
      await executor(manager, "y");
      const done = await tasksIn(manager, "x", "completed", 3);
      const failed = await tasksIn(manager, "x", "failed", 2);
      const cancelled = await tasksIn(manager, "x", "cancelled", 1);
      const pending = await tasksIn(manager, "x", "pending", 2);
      const other = await tasksIn(manager, "y", "completed", 2);

      const longAgo = await restOk(manager, "DELETE", "/tasks?finishedBefore=2001-01-01T00:00:00Z");
      assert.deepEqual(longAgo, { deleted: 0, nextCursor: null }, "none finished back then");
      const listed = await restOk(manager, "GET", "/tasks?executorName=y&finishedAfter=1");
      assert.equal(listed.tasks.length, 2);
      const onlyCompleted = await restOk(
        manager,
        "DELETE",
        "/tasks?executorName=x&status=completed",
      );
      assert.deepEqual(onlyCompleted, { deleted: 3, nextCursor: null });
      for (const id of done) assert.equal(await statusOf(manager, id), null);

      const rest_ = await restOk(manager, "DELETE", "/tasks?executorName=x");
      assert.deepEqual(rest_, { deleted: 3, nextCursor: null }, "failed and cancelled");
      for (const id of [...failed, ...cancelled]) assert.equal(await statusOf(manager, id), null);
      for (const id of pending) assert.equal(await statusOf(manager, id), "pending");
      for (const id of other) assert.equal(await statusOf(manager, id), "completed");

      const notFinished = await rest(manager, "DELETE", "/tasks?executorName=x&status=pending");
      assert.equal(notFinished.status, 400);
      assert.equal(notFinished.body.errors[0].field, "status");
      // A status list of nothing is no status filter: the finished ones, not every task.
      await executor(manager, "z");
      const [finished] = await tasksIn(manager, "z", "completed", 1);
      const [waiting] = await tasksIn(manager, "z", "pending", 1);
      for (const status of [",", ",,", "%2C"]) {
        const answer = await restOk(manager, "DELETE", `/tasks?executorName=z&status=${status}`);
        assert.equal(answer.deleted, status === "," ? 1 : 0, status);
      }
      assert.equal(await statusOf(manager, finished), null);
      assert.equal(await statusOf(manager, waiting), "pending");
    },
  );

  backendTest(
    backend,
    "DELETE /tasks and DELETE /tasks/{id} delete a task only while it is in the status it was read in: one run again and ended otherwise since stays",
    async ({ manager }) => {
      await executor(manager, "x");
      const [id] = await tasksIn(manager, "x", "failed", 1);
      // As listed while it was cancelled, before it was run again and failed: the list answers the
      // status it was read in, the delete finds it in another.
      const taskListRefs = manager.store.taskListRefs;
      manager.store.taskListRefs = async (...args: Parameters<typeof taskListRefs>) => {
        manager.store.taskListRefs = taskListRefs;
        const page = await taskListRefs.call(
          manager.store,
          { ...args[0], status: ["failed"] },
          args[1],
        );
        return {
          ...page,
          items: page.items.map((ref) => ({ ...ref, status: "cancelled" as const })),
        };
      };
      const answer = await restOk(manager, "DELETE", "/tasks?executorName=x&status=cancelled");
      assert.equal(manager.store.taskListRefs, taskListRefs);
      assert.deepEqual(answer, { deleted: 0, nextCursor: null });
      assert.equal(await statusOf(manager, id), "failed");
      // One task's delete, the same: read cancelled, found failed.
      const taskGet = manager.store.taskGet;
      manager.store.taskGet = async (taskId: string) => {
        manager.store.taskGet = taskGet;
        const task = await taskGet.call(manager.store, taskId);
        return task && { ...task, status: "cancelled" };
      };
      const one = await rest(manager, "DELETE", `/tasks/${id}`);
      assert.equal(manager.store.taskGet, taskGet);
      assert.equal(one.status, 409, JSON.stringify(one.body));
      assert.match(one.body.detail, /changed meanwhile, try again/);
      assert.equal(await statusOf(manager, id), "failed");
    },
  );

  backendTest(
    backend,
    "DELETE /tasks and DELETE /tasks/{id} delete a task only in the run it was read in: one run again and ended the same way since stays, with its new run",
    async ({ manager }) => {
      await executor(manager, "x");
      const [again, old] = await tasksIn(manager, "x", "failed", 2);
      const cutOff = Date.now() + 1;
      const error = { attempt: 1, message: "Boom again", at: cutOff + 1000, workerId: "w2" };
      const failed: Settlement = { kind: "failed", error };
      // Listed as failed before the cut-off; run again and failed again (after it) before the
      // delete: still failed, but not the failure the filter matched.
      const taskListRefs = manager.store.taskListRefs;
      manager.store.taskListRefs = async (...args: Parameters<typeof taskListRefs>) => {
        manager.store.taskListRefs = taskListRefs;
        const page = await taskListRefs.apply(manager.store, args);
        await runAgain(manager, again, failed, cutOff + 1000);
        return page;
      };
      const answer = await restOk(
        manager,
        "DELETE",
        `/tasks?executorName=x&status=failed&finishedBefore=${cutOff}`,
      );
      assert.equal(manager.store.taskListRefs, taskListRefs);
      assert.deepEqual(answer, { deleted: 1, nextCursor: null });
      assert.equal(await statusOf(manager, old), null);
      const kept = (await restOk(manager, "GET", `/tasks/${again}`)).task;
      assert.equal(kept.status, "failed");
      assert.equal(kept.run, 2);
      assert.equal(kept.errors.at(-1).message, "Boom again");

      // One task's delete, the same: read failed, run again and failed again before the delete.
      const taskGet = manager.store.taskGet;
      const readThenRunAgain = (settlement: Settlement) => {
        manager.store.taskGet = async (taskId: string) => {
          manager.store.taskGet = taskGet;
          const task = await taskGet.call(manager.store, taskId);
          await runAgain(manager, taskId, settlement, Date.now());
          return task;
        };
      };
      readThenRunAgain(failed);
      const one = await rest(manager, "DELETE", `/tasks/${again}`);
      assert.equal(manager.store.taskGet, taskGet);
      assert.equal(one.status, 409, JSON.stringify(one.body));
      assert.match(one.body.detail, /changed meanwhile, try again/);
      assert.equal((await restOk(manager, "GET", `/tasks/${again}`)).task.run, 3);

      // A dead task's, the same: read dead, requeued and dead again before the delete.
      const [dead] = await tasksIn(manager, "x", "dlq", 1);
      readThenRunAgain({ kind: "dlq", error, reason: "max_attempts", queueName: "dlq" });
      const deadOne = await rest(manager, "DELETE", `/tasks/${dead}`);
      assert.equal(manager.store.taskGet, taskGet);
      assert.equal(deadOne.status, 409, JSON.stringify(deadOne.body));
      assert.match(deadOne.body.detail, /changed meanwhile, try again/);
      const entry = (await restOk(manager, "GET", `/tasks/${dead}`)).task;
      assert.deepEqual([entry.status, entry.run], ["dlq", 2]);
      // Read as it is now, each goes.
      for (const id of [again, dead]) {
        assert.equal((await rest(manager, "DELETE", `/tasks/${id}`)).status, 204);
        assert.equal(await statusOf(manager, id), null);
      }
    },
  );

  backendTest(
    backend,
    "DELETE /dlq/{id} and DeleteDlqEntry delete only the death read: one requeued since, running again or dead again, stays (409 / FAILED_PRECONDITION)",
    async ({ manager }) => {
      await executor(manager, "x");
      const error = { attempt: 1, message: "Boom again", at: Date.now(), workerId: "w2" };
      const dead: Settlement = { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
      const dlqGet = manager.store.dlqGet;
      /** The next entry read is answered as read, then `meanwhile` changes its task. */
      const readThen = (meanwhile: (id: string) => Promise<unknown>) => {
        manager.store.dlqGet = async (entryId: string) => {
          manager.store.dlqGet = dlqGet;
          const entry = await dlqGet.call(manager.store, entryId);
          await meanwhile(entryId);
          return entry;
        };
      };
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        // All dead first: a task requeued below is pending, and `tasksIn` would lease it.
        const [id, other, gone] = await tasksIn(manager, "x", "dlq", 3);
        // Read dead, requeued and dead again before the delete: not the death asked about.
        readThen((entryId) => runAgain(manager, entryId, dead, Date.now()));
        const deadAgain = await rest(manager, "DELETE", `/dlq/${id}`);
        assert.equal(deadAgain.status, 409, JSON.stringify(deadAgain.body));
        assert.equal(manager.store.dlqGet, dlqGet);
        assert.match(deadAgain.body.detail, /changed meanwhile, try again/);
        let task = (await restOk(manager, "GET", `/tasks/${id}`)).task;
        assert.deepEqual([task.status, task.run], ["dlq", 2]);
        // The same over gRPC.
        readThen((entryId) => runAgain(manager, entryId, dead, Date.now()));
        const refused = await rejectsWith(
          unary(client, "DeleteDlqEntry", { id }),
          grpc.status.FAILED_PRECONDITION,
        );
        assert.match(refused.details, /changed meanwhile, try again/);
        task = (await restOk(manager, "GET", `/tasks/${id}`)).task;
        assert.deepEqual([task.status, task.run], ["dlq", 3]);
        // Read dead, requeued before the delete: a live task, not deleted, and not "not found".
        readThen((entryId) => manager.store.dlqRequeue(entryId, { now: Date.now() }));
        const live = await rest(manager, "DELETE", `/dlq/${id}`);
        assert.equal(live.status, 409, JSON.stringify(live.body));
        assert.match(live.body.detail, /changed meanwhile, try again/);
        task = (await restOk(manager, "GET", `/tasks/${id}`)).task;
        assert.deepEqual([task.status, task.run], ["pending", 4]);
        readThen((entryId) => manager.store.dlqRequeue(entryId, { now: Date.now() }));
        await rejectsWith(
          unary(client, "DeleteDlqEntry", { id: other }),
          grpc.status.FAILED_PRECONDITION,
        );
        assert.equal(await statusOf(manager, other), "pending");
        // Read as it is now, a dead one goes; a missing one is not found.
        assert.equal((await rest(manager, "DELETE", `/dlq/${gone}`)).status, 204);
        assert.equal(await statusOf(manager, gone), null);
        assert.equal((await rest(manager, "DELETE", `/dlq/${gone}`)).status, 404);
        await rejectsWith(unary(client, "DeleteDlqEntry", { id: gone }), grpc.status.NOT_FOUND);
        assert.equal((await rest(manager, "DELETE", `/dlq/${id}`)).status, 404, "not dead");
      } finally {
        client.close();
      }
    },
  );

  backendTest(
    backend,
    "a requeue from the DLQ whose executor is gone is NOT_FOUND naming the executor (404 / NOT_FOUND with EXECUTOR_NOT_FOUND), one entry or by a status change; in bulk it counts as failed; the task stays dead",
    async ({ manager }) => {
      await executor(manager, "left");
      const [id, other] = await tasksIn(manager, "left", "dlq", 2);
      // Deleted, its tasks not swept yet (a delete removes them after the executor, a slice at
      // a time): its DLQ entries are there, the executor is not.
      const executorList = manager.store.executorList;
      manager.store.executorList = async (...args) => {
        const page = await executorList.apply(manager.store, args);
        return { ...page, items: page.items.filter((e) => e.name !== "left") };
      };
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        const one = await rest(manager, "POST", `/dlq/${id}/requeue`, {});
        assert.equal(one.status, 404, JSON.stringify(one.body));
        assert.equal(one.body.detail, 'Cannot requeue: executor "left" does not exist');
        const moved = await rest(manager, "PUT", `/tasks/${id}/status`, { status: "pending" });
        assert.equal(moved.status, 404, JSON.stringify(moved.body));
        assert.equal(moved.body.detail, 'Cannot requeue: executor "left" does not exist');
        const refused = await rejectsWith(
          unary(client, "RequeueDlqEntry", { id }),
          grpc.status.NOT_FOUND,
        );
        assert.equal(refused.details, 'Cannot requeue: executor "left" does not exist');
        assert.equal(executorNotFoundFromMetadata(refused.metadata), "left");
        const status = await rejectsWith(
          unary(client, "UpdateTaskStatus", { id, status: "TASK_STATUS_PENDING" }),
          grpc.status.NOT_FOUND,
        );
        assert.equal(executorNotFoundFromMetadata(status.metadata), "left");
        // In bulk: entries it could not requeue, not ones gone meanwhile.
        assert.deepEqual(
          await restOk(manager, "POST", "/dlq/requeue", { executorName: "left" }),
          { requeued: 0, failed: 2, nextCursor: null },
        );
        assert.deepEqual(
          await unary(client, "RequeueDlq", { executorName: "left" }),
          { requeued: 0, failed: 2, nextCursor: "", stopped: null },
        );
        const retried = await restOk(manager, "POST", "/tasks/retry?executorName=left&status=dlq");
        assert.deepEqual([retried.retried, retried.invalid], [0, 2]);
        for (const dead of [id, other]) assert.equal(await statusOf(manager, dead), "dlq");
      } finally {
        client.close();
      }
    },
  );

  backendTest(
    backend,
    "a requeue from the DLQ (one entry, in bulk, or a status change) requeues only the death read: one requeued since, running again or dead again, is not requeued again",
    async ({ manager }) => {
      await executor(manager, "x");
      const error = { attempt: 1, message: "Boom again", at: Date.now(), workerId: "w2" };
      const dead: Settlement = { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
      const deadAgain = (id: string) => runAgain(manager, id, dead, Date.now());
      const store = manager.store;
      /** The next call of `method` is answered as read, then `meanwhile` changes the task. */
      const readThen = <K extends "dlqGet" | "taskGet" | "taskListRefs" | "dlqListRefs">(
        method: K,
        meanwhile: () => Promise<unknown>,
      ) => {
        const original = store[method];
        // deno-lint-ignore no-explicit-any
        (store as any)[method] = async (...args: unknown[]) => {
          store[method] = original;
          // deno-lint-ignore no-explicit-any
          const read = await (original as any).apply(store, args);
          await meanwhile();
          return read;
        };
      };
      const runAndStatus = async (id: string) => {
        const { task } = await restOk(manager, "GET", `/tasks/${id}`);
        return [task.run, task.status];
      };
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        // All dead first: a task requeued below is pending, and `tasksIn` would lease it.
        const [one, live, bulk, other, another] = await tasksIn(manager, "x", "dlq", 5);
        // One entry: read dead, requeued and dead again before the requeue.
        readThen("dlqGet", () => deadAgain(one));
        const answer = await rest(manager, "POST", `/dlq/${one}/requeue`, { data: { n: 2 } });
        assert.equal(answer.status, 409, JSON.stringify(answer.body));
        assert.match(answer.body.detail, /changed meanwhile, try again/);
        assert.deepEqual(await runAndStatus(one), [2, "dlq"]);
        readThen("dlqGet", () => deadAgain(one));
        const refused = await rejectsWith(
          unary(client, "RequeueDlqEntry", { id: one }),
          grpc.status.FAILED_PRECONDITION,
        );
        assert.match(refused.details, /changed meanwhile, try again/);
        assert.deepEqual(await runAndStatus(one), [3, "dlq"]);
        // Read dead, requeued (running again) before the requeue: changed, not "not found".
        readThen("dlqGet", () => store.dlqRequeue(live, { now: Date.now() }));
        const running = await rest(manager, "POST", `/dlq/${live}/requeue`, {});
        assert.equal(running.status, 409, JSON.stringify(running.body));
        assert.deepEqual(await runAndStatus(live), [2, "pending"]);
        // `runAgain` leases the executor's pending task: none may be left pending.
        const cancel = (id: string) => restOk(manager, "POST", `/tasks/${id}/cancel`);
        await cancel(live);

        // In bulk: listed dead, requeued and dead again before its turn: not the entry matched.
        readThen("dlqListRefs", () => deadAgain(bulk));
        const requeued = await restOk(manager, "POST", "/dlq/requeue?executorName=x");
        assert.deepEqual(requeued, { requeued: 3, failed: 0, nextCursor: null }, "all but bulk");
        assert.deepEqual(await runAndStatus(bulk), [2, "dlq"]);
        assert.deepEqual(await runAndStatus(one), [4, "pending"]);
        for (const id of [other, another]) assert.deepEqual(await runAndStatus(id), [2, "pending"]);
        for (const id of [one, other, another]) await cancel(id);
        // Run again by the task filter: the same.
        readThen("taskListRefs", () => deadAgain(bulk));
        const again = await restOk(manager, "POST", "/tasks/retry?executorName=x&status=dlq");
        assert.deepEqual(again, { retried: 0, invalid: 0, nextCursor: null });
        assert.deepEqual(await runAndStatus(bulk), [3, "dlq"]);

        // A status change by hand: read dead, requeued and dead again before the move.
        readThen("taskGet", () => deadAgain(bulk));
        const move = await rest(manager, "PUT", `/tasks/${bulk}/status`, { status: "pending" });
        assert.equal(move.status, 409, JSON.stringify(move.body));
        assert.match(move.body.detail, /changed meanwhile, try again/);
        assert.deepEqual(await runAndStatus(bulk), [4, "dlq"]);
        // Read as it is now, it goes.
        assert.equal((await rest(manager, "POST", `/dlq/${bulk}/requeue`, {})).status, 200);
        assert.deepEqual(await runAndStatus(bulk), [5, "pending"]);
      } finally {
        client.close();
      }
    },
  );

  backendTest(
    backend,
    "POST /tasks/retry runs a task again only in the run it was listed in: one run again and ended the same way since stays",
    async ({ manager }) => {
      await executor(manager, "x");
      const error = { attempt: 1, message: "Boom again", at: Date.now(), workerId: "w2" };
      const settlements: Record<"failed" | "dlq", Settlement> = {
        failed: { kind: "failed", error },
        dlq: { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" },
      };
      for (const status of ["failed", "dlq"] as const) {
        const [again, old] = await tasksIn(manager, "x", status, 2);
        const cutOff = Date.now() + 1;
        // Listed before the cut-off; run again and ended the same way (after it) before the
        // retry: still failed or dead, but not the task the filter matched.
        const taskListRefs = manager.store.taskListRefs;
        manager.store.taskListRefs = async (...args: Parameters<typeof taskListRefs>) => {
          manager.store.taskListRefs = taskListRefs;
          const page = await taskListRefs.apply(manager.store, args);
          await runAgain(manager, again, settlements[status], cutOff + 1000);
          return page;
        };
        const answer = await restOk(
          manager,
          "POST",
          `/tasks/retry?executorName=x&status=${status}&finishedBefore=${cutOff}`,
        );
        assert.equal(manager.store.taskListRefs, taskListRefs);
        assert.deepEqual(answer, { retried: 1, invalid: 0, nextCursor: null }, status);
        assert.equal(await statusOf(manager, old), "pending");
        const kept = (await restOk(manager, "GET", `/tasks/${again}`)).task;
        assert.deepEqual([kept.status, kept.run], [status, 2]);
        await restOk(manager, "POST", `/tasks/${old}/cancel`);
      }

      // A failed task read (its data checked) and run again and failed again before the write:
      // the write is fenced on the run read, not only on the status.
      await executor(manager, "y");
      const [again] = await tasksIn(manager, "y", "failed", 1);
      const taskGet = manager.store.taskGet;
      manager.store.taskGet = async (taskId: string) => {
        manager.store.taskGet = taskGet;
        const task = await taskGet.call(manager.store, taskId);
        await runAgain(manager, taskId, settlements.failed, Date.now());
        return task;
      };
      const answer = await restOk(manager, "POST", "/tasks/retry?executorName=y&status=failed");
      assert.equal(manager.store.taskGet, taskGet);
      assert.deepEqual(answer, { retried: 0, invalid: 0, nextCursor: null });
      const kept = (await restOk(manager, "GET", `/tasks/${again}`)).task;
      assert.deepEqual([kept.status, kept.run], ["failed", 2]);
    },
  );

  backendTest(
    backend,
    "POST /dlq/requeue requeues an entry only in the run it was listed in: one requeued and dead again since stays",
    async ({ manager }) => {
      await executor(manager, "x");
      const [again, old] = await tasksIn(manager, "x", "dlq", 2);
      const cutOff = Date.now() + 1;
      const error = { attempt: 1, message: "Boom again", at: cutOff + 1000, workerId: "w2" };
      const dead: Settlement = { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" };
      const dlqListRefs = manager.store.dlqListRefs;
      manager.store.dlqListRefs = async (...args: Parameters<typeof dlqListRefs>) => {
        manager.store.dlqListRefs = dlqListRefs;
        const page = await dlqListRefs.apply(manager.store, args);
        await runAgain(manager, again, dead, cutOff + 1000);
        return page;
      };
      const answer = await restOk(
        manager,
        "POST",
        `/dlq/requeue?executorName=x&deadBefore=${cutOff}`,
      );
      assert.equal(manager.store.dlqListRefs, dlqListRefs);
      assert.deepEqual(answer, { requeued: 1, failed: 0, nextCursor: null });
      assert.equal(await statusOf(manager, old), "pending");
      const kept = (await restOk(manager, "GET", `/tasks/${again}`)).task;
      assert.deepEqual([kept.status, kept.run], ["dlq", 2]);
    },
  );

  backendTest(
    backend,
    "a bulk call with no executor or time filter needs confirm=true",
    async ({ manager }) => {
      await executor(manager, "x");
      const done = await tasksIn(manager, "x", "completed", 2);
      const pending = await tasksIn(manager, "x", "pending", 2);
      for (
        const [method, path] of [
          ["DELETE", "/tasks"],
          ["DELETE", "/tasks?status=completed"],
          ["POST", "/tasks/cancel"],
          ["POST", "/tasks/retry"],
          ["DELETE", "/dlq"],
          ["POST", "/dlq/requeue"],
        ]
      ) {
        const refused = await rest(manager, method, path);
        assert.equal(refused.status, 400, `${method} ${path}`);
        assert.equal(refused.body.errors[0].field, "confirm", `${method} ${path}`);
      }
      for (const id of [...done, ...pending]) assert.notEqual(await statusOf(manager, id), null);
      assert.deepEqual(await restOk(manager, "DELETE", "/tasks?confirm=true"), {
        deleted: 2,
        nextCursor: null,
      });
      assert.deepEqual(await restOk(manager, "POST", "/tasks/cancel?confirm=true"), {
        cancelled: 2,
        nextCursor: null,
      });
    },
  );

  backendTest(
    backend,
    "confirm is a boolean on every bulk call, refused naming it otherwise, filter or not",
    async ({ manager }) => {
      await executor(manager, "x");
      const dead = await tasksIn(manager, "x", "dlq", 1);
      const pending = await tasksIn(manager, "x", "pending", 1);
      const refusals: [string, string, unknown, string][] = [
        ["POST", "/dlq/requeue", { confirm: "1" }, "/confirm"],
        ["POST", "/dlq/requeue", { confirm: "true" }, "/confirm"],
        ["POST", "/dlq/requeue", { confirm: "abc", executorName: "x" }, "/confirm"],
        ["POST", "/dlq/requeue?confirm=abc", {}, "confirm"],
        ["DELETE", "/dlq?confirm=abc", undefined, "confirm"],
        ["DELETE", "/dlq?confirm=abc&executorName=x", undefined, "confirm"],
        ["POST", "/tasks/cancel?confirm=abc&executorName=x", undefined, "confirm"],
        ["POST", "/tasks/retry?confirm=maybe&executorName=x", undefined, "confirm"],
        ["DELETE", "/tasks?confirm=nope&executorName=x", undefined, "confirm"],
        ["DELETE", "/tasks?confirm=yes", undefined, "confirm"],
      ];
      for (const [method, path, body, field] of refusals) {
        const refused = await rest(manager, method, path, body);
        assert.equal(refused.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
        assert.deepEqual(
          refused.body.errors.map((e: { field: string }) => e.field),
          [field],
          `${method} ${path}`,
        );
        assert.match(refused.body.errors[0].message, /^Must be true or false, not /);
      }
      assert.equal(await statusOf(manager, dead[0]), "dlq", "nothing was requeued");
      assert.equal(await statusOf(manager, pending[0]), "pending", "nothing was cancelled");
      // A query parameter is text: true and false in any case, or 1 and 0.
      assert.deepEqual(await restOk(manager, "POST", "/tasks/retry?confirm=TRUE"), {
        retried: 1,
        invalid: 0,
        nextCursor: null,
      });
      const off = await rest(manager, "POST", "/tasks/cancel?confirm=False");
      assert.equal(off.status, 400);
      assert.match(off.body.errors[0].message, /^Must be true to cancel every pending task/);
      assert.deepEqual(await restOk(manager, "POST", "/tasks/cancel?confirm=1"), {
        cancelled: 2,
        nextCursor: null,
      });
    },
  );

  backendTest(
    backend,
    "a bulk call names a status it may not touch and a missing confirm in one answer",
    async ({ manager }) => {
      for (
        const [method, path, allowed] of [
          [
            "POST",
            "/tasks/retry?status=pending",
            "failed, dlq, or one by the proto's name (TASK_STATUS_FAILED, …) or number (4, 5)",
          ],
          [
            "POST",
            "/tasks/cancel?status=failed",
            "pending, or one by the proto's name (TASK_STATUS_PENDING, …) or number (1)",
          ],
          [
            "DELETE",
            "/tasks?status=pending",
            "completed, failed, cancelled, or one by the proto's name (TASK_STATUS_COMPLETED, …) " +
            "or number (3, 4, 6)",
          ],
        ]
      ) {
        const refused = await rest(manager, method, path);
        assert.equal(refused.status, 400, `${method} ${path}`);
        assert.deepEqual(
          refused.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
          [
            ["status", `Must be one of ${allowed}, not "${path.split("=")[1]}"`],
            ["confirm", refused.body.errors[1]?.message],
          ],
          `${method} ${path}`,
        );
        assert.match(refused.body.errors[1].message, /^Must be true to /);
        assert.match(
          refused.body.detail,
          /^Invalid task filter: status: Must be one of .*; confirm: /,
        );
      }
    },
  );

  backendTest(
    backend,
    "DELETE /tasks/{id} deletes one finished task and refuses one still to run",
    async ({ manager }) => {
      await executor(manager, "x");
      const [done] = await tasksIn(manager, "x", "completed", 1);
      const [dead] = await tasksIn(manager, "x", "dlq", 1);
      const [pending] = await tasksIn(manager, "x", "pending", 1);
      assert.equal((await rest(manager, "DELETE", `/tasks/${done}`)).status, 204);
      assert.equal(await statusOf(manager, done), null);
      assert.equal((await rest(manager, "DELETE", `/tasks/${dead}`)).status, 204);
      assert.equal((await rest(manager, "GET", `/dlq/${dead}`)).status, 404, "its DLQ entry too");
      const refused = await rest(manager, "DELETE", `/tasks/${pending}`);
      assert.equal(refused.status, 409);
      assert.match(refused.body.detail, /pending/);
      assert.equal(await statusOf(manager, pending), "pending");
      assert.equal((await rest(manager, "DELETE", `/tasks/${done}`)).status, 404);
    },
  );

  backendTest(
    backend,
    "POST /tasks/cancel cancels the pending tasks matching the filter",
    async ({ manager }) => {
      await executor(manager, "x");
      await executor(manager, "y");
      const [done] = await tasksIn(manager, "x", "completed", 1);
      const x = await tasksIn(manager, "x", "pending", 3);
      const y = await tasksIn(manager, "y", "pending", 2);
      assert.deepEqual(await restOk(manager, "POST", "/tasks/cancel?executorName=x"), {
        cancelled: 3,
        nextCursor: null,
      });
      for (const id of x) assert.equal(await statusOf(manager, id), "cancelled");
      for (const id of y) assert.equal(await statusOf(manager, id), "pending");
      assert.equal(await statusOf(manager, done), "completed");
    },
  );

  backendTest(
    backend,
    "POST /tasks/retry runs failed and dead tasks again and leaves those whose data no longer fits",
    async ({ manager }) => {
      await executor(manager, "x");
      const good = await tasksIn(manager, "x", "failed", 2, { n: 1 });
      const [bad] = await tasksIn(manager, "x", "failed", 1, { n: "one" });
      const dead = await tasksIn(manager, "x", "dlq", 2, { n: 2 });
      const [deadBad] = await tasksIn(manager, "x", "dlq", 1, { n: "two" });
      // The schema changed since: `n` must now be a number.
      await restOk(manager, "PUT", "/executors/x", {
        config: { taskSchema: { type: "object", properties: { n: { type: "number" } } } },
      });
      const answer = await restOk(manager, "POST", "/tasks/retry?executorName=x");
      assert.deepEqual(answer, { retried: 4, invalid: 2, nextCursor: null });
      for (const id of [...good, ...dead]) {
        const { task } = await restOk(manager, "GET", `/tasks/${id}`);
        assert.equal(task.status, "pending");
        assert.equal(task.attempt, 0);
      }
      assert.equal(await statusOf(manager, bad), "failed");
      assert.equal(await statusOf(manager, deadBad), "dlq");
    },
  );

  backendTest(
    backend,
    "a bulk call handles at most BULK_MAX_TASKS tasks and nextCursor goes on with the rest",
    async ({ manager }) => {
      await executor(manager, "x");
      await tasksIn(manager, "x", "completed", 7);
      let cursor: string | null = null;
      const counts: number[] = [];
      do {
        const query: string = `/tasks?executorName=x${cursor ? `&cursor=${cursor}` : ""}`;
        const answer: { deleted: number; nextCursor: string | null } = await restOk(
          manager,
          "DELETE",
          query,
        );
        counts.push(answer.deleted);
        cursor = answer.nextCursor;
      } while (cursor);
      assert.deepEqual(counts, [3, 3, 1]);
      const { tasks } = await restOk(manager, "GET", "/tasks?executorName=x");
      assert.equal(tasks.length, 0);
    },
    { BULK_MAX_TASKS: "3" },
  );

  backendTest(
    backend,
    "bulk calls read no task's data, whatever its size: only retry reads each task it checks",
    async ({ manager }) => {
      await executor(manager, "x");
      // A page of such tasks answers two of them; a bulk call acts on all of them.
      const big = { items: Array.from({ length: 20_000 }, (_, i) => ({ i })) };
      const failed = await tasksIn(manager, "x", "failed", 3, big);
      const dead = await tasksIn(manager, "x", "dlq", 2, big);
      const pending = await tasksIn(manager, "x", "pending", 6, big);
      const reads = recordDataReads(manager);
      const cancelled = await restOk(manager, "POST", "/tasks/cancel?executorName=x");
      assert.deepEqual(cancelled, { cancelled: 6, nextCursor: null });
      assert.deepEqual(reads.taken(), {}, "cancel");
      for (const id of pending) assert.equal(await statusOf(manager, id), "cancelled");
      reads.taken();
      const deleted = await restOk(manager, "DELETE", "/tasks?executorName=x&status=cancelled");
      assert.deepEqual(deleted, { deleted: 6, nextCursor: null });
      assert.deepEqual(reads.taken(), {}, "delete");
      const retried = await restOk(manager, "POST", "/tasks/retry?executorName=x&status=failed");
      assert.deepEqual(retried, { retried: 3, invalid: 0, nextCursor: null });
      // Each task's data is checked against the schema; moving it reads it again.
      assert.deepEqual(reads.taken(), { taskGet: 6, taskTransition: 3 }, "retry");
      for (const id of failed) assert.equal(await statusOf(manager, id), "pending");
      reads.taken();
      const requeued = await restOk(manager, "POST", "/dlq/requeue?executorName=x");
      assert.deepEqual(requeued, { requeued: 2, failed: 0, nextCursor: null });
      assert.deepEqual(reads.taken(), { dlqGet: 2 }, "requeue: each entry read once");
      for (const id of dead) assert.equal(await statusOf(manager, id), "pending");
    },
  );

  backendTest(
    backend,
    "a bulk call over large tasks gives the manager's thread back: a request sent meanwhile is answered first",
    async ({ manager }) => {
      await executor(manager, "x");
      // ~6 ms to parse each; read twice per requeue, so the call outlasts many 10 ms slices.
      const big = { items: Array.from({ length: 100_000 }, () => ({})) };
      // Two per call: a body holds at most 327,680 JSON values.
      for (let i = 0; i < 20; i++) await tasksIn(manager, "x", "dlq", 2, big);
      const order: string[] = [];
      const requeue = restOk(manager, "POST", "/dlq/requeue?executorName=x")
        .then((answer) => order.push(`requeued ${answer.requeued}`));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const health = fetch(`${manager.httpUrl}/healthz`)
        .then((response) => response.body?.cancel())
        .then(() => order.push("healthz"));
      await Promise.all([requeue, health]);
      assert.deepEqual(order, ["healthz", "requeued 40"]);
    },
  );
}

/**
 * Counts the calls the manager's store gets to verbs that read whole tasks, data and all (the
 * store itself is untouched: its methods are wrapped on this one object). `taken()` gives the
 * counts since the last time and starts again.
 */
function recordDataReads(manager: TestManager) {
  const store = manager.store as unknown as Record<string, (...args: unknown[]) => unknown>;
  let counts: Record<string, number> = {};
  for (const verb of ["taskGet", "taskList", "taskTransition", "dlqList", "dlqGet"]) {
    const real = store[verb].bind(store);
    store[verb] = (...args: unknown[]) => {
      counts[verb] = (counts[verb] ?? 0) + 1;
      return real(...args);
    };
  }
  return {
    taken() {
      const seen = counts;
      counts = {};
      return seen;
    },
  };
}

/**
 * Stalls the manager's validation processes from its `nth` check of task data on (1: the first):
 * they are stopped (SIGSTOP) just before that check is asked of them, as on a machine that gives
 * them no CPU, and the check fails at its backstop. Disposing it lets them go on.
 */
function stallValidationFrom(manager: TestManager, nth: number): Disposable {
  const schemas = manager.service.schemas;
  const real = schemas.assertValid;
  const stopped: number[] = [];
  let checks = 0;
  schemas.assertValid = (...args) => {
    if (++checks === nth) {
      stopped.push(...schemas.stats().pids);
      assert.ok(stopped.length > 0, "validation processes run");
      for (const pid of stopped) Deno.kill(pid, "SIGSTOP");
    }
    return real.apply(schemas, args);
  };
  return {
    [Symbol.dispose]() {
      schemas.assertValid = real;
      for (const pid of stopped) {
        try {
          Deno.kill(pid, "SIGCONT");
        } catch {
          // Killed as stalled already.
        }
      }
    },
  };
}

/**
 * Makes the manager's store fail `verb` from its `nth` call on (1: the first) with `error`, as a
 * store that goes away mid-way. Disposing it gives the store its verb back.
 */
function failStoreFrom(
  manager: TestManager,
  verb: "taskTransition" | "taskTransitionMany" | "dlqRequeue",
  nth: number,
  error: () => Error = () => new UnavailableError("The store cannot be reached"),
): Disposable {
  const store = manager.store as unknown as Record<string, (...args: unknown[]) => unknown>;
  const real = store[verb];
  let calls = 0;
  store[verb] = (...args: unknown[]) =>
    ++calls >= nth ? Promise.reject(error()) : real.apply(store, args);
  return {
    [Symbol.dispose]() {
      store[verb] = real;
    },
  };
}

/** How many of `ids` are in each status. */
async function statusCounts(manager: TestManager, ids: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const status = String(await statusOf(manager, id));
    counts[status] = (counts[status] ?? 0) + 1;
  }
  return counts;
}

const OBJECT_SCHEMA = { type: "object", properties: { n: { type: "number" } } };
const STALLED = /could not be validated in time: the manager is busy; retry/;

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "POST /tasks/retry whose third task's validation stalls answers the two it ran again and why it stopped; the same call again runs the rest",
    async ({ manager }) => {
      await executor(manager, "x", OBJECT_SCHEMA);
      const failed = await tasksIn(manager, "x", "failed", 4, { n: 1 });
      {
        using _stall = stallValidationFrom(manager, 3);
        const answer = await rest(manager, "POST", "/tasks/retry?executorName=x");
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const { stopped, ...counts } = answer.body;
        assert.deepEqual(counts, { retried: 2, invalid: 0, nextCursor: null });
        assert.equal(stopped.status, 503);
        assert.match(stopped.detail, STALLED);
      }
      assert.deepEqual(await statusCounts(manager, failed), { pending: 2, failed: 2 });
      const again = await restOk(manager, "POST", "/tasks/retry?executorName=x");
      assert.deepEqual(again, { retried: 2, invalid: 0, nextCursor: null });
      assert.deepEqual(await statusCounts(manager, failed), { pending: 4 });
    },
  );

  backendTest(
    backend,
    "POST /tasks/retry whose first task's validation stalls answers 503 and runs none again",
    async ({ manager }) => {
      await executor(manager, "x", OBJECT_SCHEMA);
      const failed = await tasksIn(manager, "x", "failed", 3, { n: 1 });
      using _stall = stallValidationFrom(manager, 1);
      const answer = await rest(manager, "POST", "/tasks/retry?executorName=x");
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.match(answer.body.detail, STALLED);
      assert.deepEqual(await statusCounts(manager, failed), { failed: 3 });
    },
  );

  backendTest(
    backend,
    "gRPC RetryTasks whose second task's validation stalls answers the one it ran again with stopped UNAVAILABLE",
    async ({ manager }) => {
      await executor(manager, "x", OBJECT_SCHEMA);
      const failed = await tasksIn(manager, "x", "failed", 3, { n: 1 });
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        using _stall = stallValidationFrom(manager, 2);
        const answer = await unary(client, "RetryTasks", { executorName: "x" });
        const { stopped, ...counts } = answer as { stopped: { code: number; message: string } };
        assert.deepEqual(counts, { retried: 1, invalid: 0, nextCursor: "" });
        assert.equal(stopped.code, grpc.status.UNAVAILABLE);
        assert.match(stopped.message, STALLED);
      } finally {
        client.close();
      }
      assert.deepEqual(await statusCounts(manager, failed), { pending: 1, failed: 2 });
    },
  );

  backendTest(
    backend,
    "POST /dlq/requeue whose second entry's validation stalls answers the one it requeued and why it stopped",
    async ({ manager }) => {
      await executor(manager, "x", OBJECT_SCHEMA);
      const dead = await tasksIn(manager, "x", "dlq", 3, { n: 1 });
      {
        using _stall = stallValidationFrom(manager, 2);
        const answer = await rest(manager, "POST", "/dlq/requeue?executorName=x");
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const { stopped, ...counts } = answer.body;
        assert.deepEqual(counts, { requeued: 1, failed: 0, nextCursor: null });
        assert.equal(stopped.status, 503);
        assert.match(stopped.detail, STALLED);
      }
      assert.deepEqual(await statusCounts(manager, dead), { pending: 1, dlq: 2 });
    },
  );

  backendTest(
    backend,
    "POST /tasks/cancel whose store fails after the first chunk answers the tasks it cancelled and why it stopped",
    async ({ manager }) => {
      await executor(manager, "x");
      const pending = await tasksIn(manager, "x", "pending", 25);
      {
        using _fail = failStoreFrom(manager, "taskTransitionMany", 2);
        const answer = await rest(manager, "POST", "/tasks/cancel?executorName=x");
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const { stopped, ...counts } = answer.body;
        assert.deepEqual(counts, { cancelled: 10, nextCursor: null });
        assert.equal(stopped.status, 503);
        assert.match(stopped.detail, /The store cannot be reached/);
      }
      assert.deepEqual(await statusCounts(manager, pending), { cancelled: 10, pending: 15 });
      {
        // Failing at once, it answers the error: nothing was cancelled.
        using _fail = failStoreFrom(manager, "taskTransitionMany", 1);
        const answer = await rest(manager, "POST", "/tasks/cancel?executorName=x");
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
      }
      assert.deepEqual(await statusCounts(manager, pending), { cancelled: 10, pending: 15 });
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        using _fail = failStoreFrom(manager, "taskTransitionMany", 2);
        const answer = await unary(client, "CancelTasks", { executorName: "x" });
        const { stopped, ...counts } = answer as { stopped: { code: number; message: string } };
        assert.deepEqual(counts, { cancelled: 10, nextCursor: "" });
        assert.equal(stopped.code, grpc.status.UNAVAILABLE);
      } finally {
        client.close();
      }
      assert.deepEqual(await statusCounts(manager, pending), { cancelled: 20, pending: 5 });
    },
  );

  if (backend.name === "mongo") {
    backendTest(
      backend,
      "POST /tasks/cancel whose MongoDB store fails inside a chunk, after some of its tasks moved, answers those cancelled, never an error",
      async ({ manager }) => {
        await executor(manager, "x");
        const pending = await tasksIn(manager, "x", "pending", 5);
        // The third task's move is refused by the connection: the two before it are cancelled.
        const real = Collection.prototype.updateOne;
        let moves = 0;
        Collection.prototype.updateOne = function (this: Collection, ...args: unknown[]) {
          const [filter] = args as [Record<string, unknown>];
          if (this.collectionName === "tasks" && filter.status === "pending" && ++moves === 3) {
            return Promise.reject(new MongoNetworkError("connection reset"));
          }
          return (real as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof real;
        let answer;
        try {
          answer = await rest(manager, "POST", "/tasks/cancel?executorName=x");
        } finally {
          Collection.prototype.updateOne = real;
        }
        assert.deepEqual(await statusCounts(manager, pending), { cancelled: 2, pending: 3 });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        const { stopped, ...counts } = answer.body;
        assert.deepEqual(counts, { cancelled: 2, nextCursor: null });
        assert.equal(stopped.status, 503);
      },
    );

    backendTest(
      backend,
      "DELETE /tasks, DeleteTasks and DELETE /dlq whose MongoDB deleteMany is cut part way answer the tasks it deleted, never an error",
      async ({ manager }) => {
        await executor(manager, "x");
        const done = await tasksIn(manager, "x", "completed", 6);
        const dead = await tasksIn(manager, "x", "dlq", 5);
        // The next deleteMany of tasks deletes its first `cut` ids, then its connection drops:
        // the driver answers the error alone, as for a command the server cut part way.
        const real = Collection.prototype.deleteMany;
        let cut: number | null = null;
        Collection.prototype.deleteMany = async function (this: Collection, ...args: unknown[]) {
          const [filter] = args as [{ _id?: { $in?: string[] } }];
          const ids = filter._id?.$in;
          if (this.collectionName !== "tasks" || cut === null || !ids) {
            return await (real as (...a: unknown[]) => Promise<unknown>).apply(this, args);
          }
          const first = cut;
          cut = null;
          await real.call(this, { ...filter, _id: { $in: ids.slice(0, first) } });
          throw new MongoNetworkError("connection reset");
        } as typeof real;
        try {
          // Cut before it deleted any: the error, nothing stored.
          cut = 0;
          const refused = await rest(manager, "DELETE", "/tasks?executorName=x");
          assert.equal(refused.status, 503, JSON.stringify(refused.body));
          assert.deepEqual(await statusCounts(manager, done), { completed: 6 });
          cut = 2;
          const answer = await rest(manager, "DELETE", "/tasks?executorName=x");
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          const { stopped, ...counts } = answer.body;
          assert.deepEqual(counts, { deleted: 2, nextCursor: null });
          assert.equal(stopped.status, 503);
          assert.deepEqual(await statusCounts(manager, done), { completed: 4, null: 2 });
          cut = 1;
          const port = Number(manager.grpcAddress.split(":").pop());
          const client = managerClient(port, { ownConnection: true });
          try {
            const rpc = await unary(client, "DeleteTasks", { executorName: "x" }) as {
              deleted: number;
              stopped: { code: number };
            };
            assert.equal(rpc.deleted, 1);
            assert.equal(rpc.stopped.code, grpc.status.UNAVAILABLE);
          } finally {
            client.close();
          }
          assert.deepEqual(await statusCounts(manager, done), { completed: 3, null: 3 });
          // A purge's first batch cut part way: what it deleted, not an error.
          cut = 3;
          const purge = await rest(manager, "DELETE", "/dlq?executorName=x");
          assert.equal(purge.status, 200, JSON.stringify(purge.body));
          assert.equal(purge.body.deleted, 3);
          assert.equal(purge.body.stopped.status, 503);
          assert.deepEqual(await statusCounts(manager, dead), { dlq: 2, null: 3 });
        } finally {
          Collection.prototype.deleteMany = real;
        }
        assert.deepEqual(await restOk(manager, "DELETE", "/tasks?executorName=x"), {
          deleted: 3,
          nextCursor: null,
        });
        assert.deepEqual(await restOk(manager, "DELETE", "/dlq?executorName=x"), { deleted: 2 });
      },
    );
  }

  backendTest(
    backend,
    "POST /tasks/retry and /dlq/requeue whose store fails mid-way answer what they did, an unexpected error as a 500 that leaks nothing",
    async ({ manager }) => {
      await executor(manager, "x");
      const failed = await tasksIn(manager, "x", "failed", 3);
      const dead = await tasksIn(manager, "x", "dlq", 3);
      {
        using _fail = failStoreFrom(manager, "taskTransition", 3);
        const answer = await restOk(manager, "POST", "/tasks/retry?executorName=x&status=failed");
        assert.deepEqual(answer.retried, 2);
        assert.equal(answer.stopped.status, 503);
      }
      assert.deepEqual(await statusCounts(manager, failed), { pending: 2, failed: 1 });
      {
        using _fail = failStoreFrom(manager, "dlqRequeue", 2, () => new Error("disk on fire"));
        const answer = await restOk(manager, "POST", "/dlq/requeue?executorName=x");
        assert.deepEqual(answer.requeued, 1);
        assert.equal(answer.stopped.status, 500);
        assert.doesNotMatch(answer.stopped.detail, /disk on fire/);
      }
      assert.deepEqual(await statusCounts(manager, dead), { pending: 1, dlq: 2 });
    },
  );
}

Deno.test({
  name:
    "DELETE /api/v1/dlq and PurgeDlq whose SQLite store fails in their second batch answer the first batch deleted and why they stopped",
  // A trigger on the store's own file makes a delete fail once few enough dead tasks are left: a
  // purge deletes 1,000 a statement (each a transaction), so a later statement of it fails whole.
  async fn() {
    await using manager = await startTestManager();
    await executor(manager, "x");
    await tasksIn(manager, "x", "dlq", 2500);
    const db = new DatabaseSync(`${manager.dataDir}/tasks.db`);
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      const failFrom = (left: number) => {
        db.exec("DROP TRIGGER IF EXISTS fail_purge");
        db.exec(`CREATE TRIGGER fail_purge BEFORE DELETE ON tasks
          WHEN (SELECT count(*) FROM tasks WHERE status = 'dlq') <= ${left}
          BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
      };
      const dead = async () => (await restOk(manager, "GET", "/stats")).executors[0].dlqSize;
      // Failing in its first statement, the purge answers the error: nothing was deleted.
      failFrom(2500);
      const refused = await rest(manager, "DELETE", "/dlq?executorName=x");
      assert.equal(refused.status, 500, JSON.stringify(refused.body));
      assert.equal(await dead(), 2500);
      failFrom(1500);
      const stopped = await rest(manager, "DELETE", "/dlq?executorName=x");
      assert.equal(stopped.status, 200, JSON.stringify(stopped.body));
      assert.equal(stopped.body.deleted, 1000);
      assert.equal(stopped.body.stopped.status, 500);
      assert.doesNotMatch(stopped.body.stopped.detail, /disk on fire/);
      assert.equal(await dead(), 1500);
      failFrom(400);
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        const answer = await unary(client, "PurgeDlq", { executorName: "x" }) as {
          deleted: number;
          stopped: { code: number };
        };
        assert.equal(answer.deleted, 1000);
        assert.equal(answer.stopped.code, grpc.status.INTERNAL);
      } finally {
        client.close();
      }
      db.exec("DROP TRIGGER fail_purge");
      assert.deepEqual(await restOk(manager, "DELETE", "/executors/x/dlq"), { deleted: 500 });
    } finally {
      db.close();
    }
  },
});

/**
 * Makes the store fail every delete of `executorName`'s tasks until the answer's `restore` is
 * called: a trigger on SQLite's file, a dropped connection for MongoDB's `deleteMany`.
 */
function failTaskDeletesOf(
  backend: Backend,
  manager: TestManager,
  executorName: string,
): () => void {
  if (backend.name === "sqlite") {
    const db = new DatabaseSync(`${manager.dataDir}/tasks.db`);
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec(`CREATE TRIGGER fail_sweep BEFORE DELETE ON tasks
      WHEN OLD.executor_name = '${executorName}'
      BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    return () => {
      db.exec("DROP TRIGGER fail_sweep");
      db.close();
    };
  }
  const real = Collection.prototype.deleteMany;
  Collection.prototype.deleteMany = function (this: Collection, ...args: unknown[]) {
    const [filter] = args as [{ executorName?: unknown }];
    if (this.collectionName === "tasks" && filter.executorName === executorName) {
      return Promise.reject(new MongoNetworkError("connection reset"));
    }
    return (real as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof real;
  return () => Collection.prototype.deleteMany = real;
}

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "DELETE /executors/{name}?force=true whose store fails deleting its tasks answers the delete done, the executor gone; the resume deletes the tasks",
    async ({ manager }) => {
      await executor(manager, "x");
      const tasks = [
        ...await tasksIn(manager, "x", "completed", 2),
        ...await tasksIn(manager, "x", "pending", 3),
      ];
      const restore = failTaskDeletesOf(backend, manager, "x");
      let answer;
      try {
        answer = await rest(manager, "DELETE", "/executors/x?force=true");
      } finally {
        restore();
      }
      // The executor is gone whatever the sweep did: an error answer would say nothing changed.
      assert.equal(answer.status, 204, JSON.stringify(answer.body));
      assert.equal((await rest(manager, "GET", "/executors/x")).status, 404);
      // Its tasks stay until the resume, and the name with them.
      assert.deepEqual(await statusCounts(manager, tasks), { completed: 2, pending: 3 });
      const again = await rest(manager, "POST", "/executors", { config: { name: "x" } });
      assert.equal(again.status, 409, JSON.stringify(again.body));
      const late = Date.now() + 2 * EXECUTOR_DELETION_LEASE_MS;
      assert.deepEqual(await manager.store.executorDeletionsResume({ now: late }), ["x"]);
      assert.deepEqual(await statusCounts(manager, tasks), { null: 5 });
      await restOk(manager, "POST", "/executors", { config: { name: "x" } });
    },
  );
}

Deno.test({
  name:
    "DELETE /api/v1/tasks whose SQLite store fails in its second statement answers the error with nothing deleted (one transaction)",
  async fn() {
    await using manager = await startTestManager();
    await executor(manager, "x");
    // Listed newest first: the completed ones are deleted by the first statement, the failed ones
    // by the second, which the trigger aborts.
    const failed = await tasksIn(manager, "x", "failed", 2);
    const completed = await tasksIn(manager, "x", "completed", 3);
    const db = new DatabaseSync(`${manager.dataDir}/tasks.db`);
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      db.exec(`CREATE TRIGGER fail_failed BEFORE DELETE ON tasks WHEN OLD.status = 'failed'
        BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
      const refused = await rest(manager, "DELETE", "/tasks?executorName=x");
      assert.equal(refused.status, 500, JSON.stringify(refused.body));
      assert.deepEqual(await statusCounts(manager, [...failed, ...completed]), {
        failed: 2,
        completed: 3,
      });
      db.exec("DROP TRIGGER fail_failed");
    } finally {
      db.close();
    }
    assert.deepEqual(await restOk(manager, "DELETE", "/tasks?executorName=x"), {
      deleted: 5,
      nextCursor: null,
    });
  },
});
