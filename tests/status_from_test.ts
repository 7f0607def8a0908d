/**
 * A status change by hand with a `from` precondition (`PUT /tasks/{id}/status`, gRPC
 * `UpdateTaskStatus`): a task in none of its statuses is refused (409, FAILED_PRECONDITION) naming
 * the status it is in and the field, and nothing is stored, so "run again" never takes a task a
 * worker leased meanwhile. Without `from`, the change works as before. On a real manager over
 * each store.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { AssignmentMessage } from "@tasks-executor/proto";
import {
  INTERRUPTED_BY_HAND,
  RUN_AGAIN_FROM,
  type TaskError,
  type TaskStatus,
} from "../server/domain/task.ts";
import type { TestManager } from "./_manager.ts";
import { BACKENDS, backendTest } from "./fixtures/backends.ts";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { workerClient } from "./fixtures/test_worker.ts";

/** A new task of `executorName`, leased by the worker `w1` through `GetNextTask`. */
async function leased(m: TestManager, executorName: string): Promise<AssignmentMessage> {
  const { task } = await restOk(m, "POST", "/tasks", { task: { executorName } });
  const { client, call } = workerClient(m.grpcAddress);
  try {
    const got = await call<{ tasks: AssignmentMessage[] }>("GetNextTask", {
      workerId: "w1",
      executors: [executorName],
    });
    assert.deepEqual(got.tasks.map((t) => t.taskId), [task.id]);
    return got.tasks[0];
  } finally {
    client.close();
  }
}

/** The task as stored: status, worker and lease token. */
async function stored(m: TestManager, id: string) {
  const task = await m.store.taskGet(id);
  return [task?.status, task?.workerId, task?.leaseToken];
}

/**
 * Runs `call` while the manager's next read of a task answers it in `status`, as it was when the
 * caller looked, though a worker leased it since: the window between a status change's read and
 * its write.
 */
async function whileReadOnceAs<T>(
  m: TestManager,
  status: TaskStatus,
  call: () => Promise<T>,
): Promise<T> {
  const taskGet = m.store.taskGet;
  let read = false;
  m.store.taskGet = async (taskId: string) => {
    m.store.taskGet = taskGet;
    read = true;
    const task = await taskGet.call(m.store, taskId);
    return task && { ...task, status, workerId: null, leaseToken: null };
  };
  try {
    const answer = await call();
    assert.ok(read, "the task was read");
    return answer;
  } finally {
    m.store.taskGet = taskGet;
  }
}

for (const backend of BACKENDS) {
  const test = (name: string, fn: (manager: TestManager) => Promise<void>) =>
    backendTest(backend, name, (running) => fn(running.manager));

  test("PUT status pending with `from` leaves a leased task to its worker: 409, nothing stored", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.rest" } });
    const assignment = await leased(m, "from.rest");
    const id = assignment.taskId;
    const before = await stored(m, id);
    assert.deepEqual(before, ["in_progress", "w1", assignment.leaseToken]);

    const refused = await rest(m, "PUT", `/tasks/${id}/status`, {
      status: "pending",
      from: RUN_AGAIN_FROM,
    });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(
      refused.body.detail,
      `Task "${id}" is in_progress, not one of the statuses \`from\` accepts ` +
        "(failed, dlq, cancelled, pending): nothing changed",
      JSON.stringify(refused.body),
    );
    assert.deepEqual(await stored(m, id), before);

    // The race itself: the task is read failed (its status when the caller looked), and a worker
    // leases it before the write. The write is conditional on the status read, and the refusal
    // names the status it is in now.
    const raced = await whileReadOnceAs(
      m,
      "failed",
      () => rest(m, "PUT", `/tasks/${id}/status`, { status: "pending", from: RUN_AGAIN_FROM }),
    );
    assert.equal(raced.status, 409, JSON.stringify(raced.body));
    assert.match(JSON.stringify(raced.body), /is in_progress, not one of the statuses `from`/);
    assert.deepEqual(await stored(m, id), before);

    // A `from` that lists the status it is in lets the change through.
    const moved = await restOk(m, "PUT", `/tasks/${id}/status`, {
      status: "pending",
      from: ["in_progress"],
    });
    assert.equal(moved.task.status, "pending");
  });

  test("PUT status pending without `from` still takes a running task back (the old behaviour)", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.none" } });
    const { taskId } = await leased(m, "from.none");
    const moved = await restOk(m, "PUT", `/tasks/${taskId}/status`, { status: "pending" });
    assert.equal(moved.task.status, "pending");
    assert.deepEqual(await stored(m, taskId), ["pending", null, null]);
  });

  test("a running task moved back to pending by hand keeps its interrupted attempt in errors[], naming its worker", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.kept" } });
    const { taskId } = await leased(m, "from.kept");
    const before = Date.now();
    const { task } = await restOk(m, "PUT", `/tasks/${taskId}/status`, { status: "pending" });
    assert.deepEqual(
      [task.status, task.workerId, task.run, task.attempt],
      ["pending", null, 2, 0],
    );
    assert.equal(task.errors.length, 1, JSON.stringify(task.errors));
    const [kept] = task.errors;
    assert.deepEqual(
      [kept.attempt, kept.run, kept.workerId, kept.message],
      [1, 1, "w1", INTERRUPTED_BY_HAND],
    );
    assert.ok(Date.parse(kept.at) >= before - 1000, kept.at);
    // As stored.
    assert.deepEqual((await m.store.taskGet(taskId))!.errors.map((e) => e.workerId), ["w1"]);
    // A task moved back while pending (run now) or from an ended status records nothing.
    const again = await restOk(m, "PUT", `/tasks/${taskId}/status`, { status: "pending" });
    assert.equal(again.task.errors.length, 1);
  });

  test("a running task marked failed by hand keeps the attempt it ended, naming its worker and run", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.failed.hand" } });
    const { taskId } = await leased(m, "from.failed.hand");
    const { task } = await restOk(m, "PUT", `/tasks/${taskId}/status`, {
      status: "failed",
      error: "stuck",
    });
    assert.equal(task.status, "failed");
    assert.deepEqual(
      task.errors.map((e: TaskError) => [e.attempt, e.run, e.workerId, e.message]),
      [[1, 1, "w1", "stuck"]],
    );
  });

  test("a running task a rescue took over and did not settle, ended by hand, names no rescuer as the worker of the attempt", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.rescue.cut" } });
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push((await leased(m, "from.rescue.cut")).taskId);
    // A rescuer (another manager's, which stopped) took both over: the store names it the worker.
    const taken = await m.store.taskRescueExpired({
      now: Date.now() + 3_600_000,
      limit: 2,
      owner: "rescuer:m-gone",
      leaseMs: 0,
    });
    assert.equal(taken.length, 2);
    const ended = [
      await restOk(m, "PUT", `/tasks/${ids[0]}/status`, { status: "failed", error: "stuck" }),
      await restOk(m, "PUT", `/tasks/${ids[1]}/status`, { status: "pending" }),
    ];
    assert.deepEqual(
      ended.map(({ task }) => task.errors.map((e: TaskError) => [e.attempt, e.run, e.workerId])),
      [[[1, 1, ""]], [[1, 1, ""]]],
    );
  });

  test("`from` on a failed task runs it again; a bad `from` is a 400 naming the field", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.failed" } });
    const { task } = await restOk(m, "POST", "/tasks", { task: { executorName: "from.failed" } });
    await restOk(m, "POST", `/tasks/${task.id}/cancel`);
    const again = await restOk(m, "PUT", `/tasks/${task.id}/status`, {
      status: "pending",
      from: RUN_AGAIN_FROM,
    });
    assert.equal(again.task.status, "pending");
    for (
      const [from, field] of [[[], "/from"], ["failed", "/from"], [["failed", "done"], "/from/1"]]
    ) {
      const bad = await rest(m, "PUT", `/tasks/${task.id}/status`, { status: "pending", from });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      assert.ok(
        JSON.stringify(bad.body).includes(`"${field}"`),
        `${JSON.stringify(from)}: ${JSON.stringify(bad.body)}`,
      );
    }
  });

  test("UpdateTaskStatus with `from` is FAILED_PRECONDITION for a leased task, nothing stored", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.grpc" } });
    const assignment = await leased(m, "from.grpc");
    const id = assignment.taskId;
    const before = await stored(m, id);
    const client = managerClient(Number(m.grpcAddress.split(":").pop()));
    try {
      const error = await rejectsWith(
        unary(client, "UpdateTaskStatus", {
          id,
          status: "TASK_STATUS_PENDING",
          from: ["TASK_STATUS_FAILED", "TASK_STATUS_DLQ", "TASK_STATUS_CANCELLED"],
        }),
        grpc.status.FAILED_PRECONDITION,
      );
      assert.equal(
        error.details,
        `Task "${id}" is in_progress, not one of the statuses \`from\` accepts ` +
          "(failed, dlq, cancelled): nothing changed",
      );
      assert.deepEqual(await stored(m, id), before);
      // No `from` (an empty list): the change as before.
      const moved = await unary<{ task: { status: string } }>(client, "UpdateTaskStatus", {
        id,
        status: "TASK_STATUS_PENDING",
      });
      assert.equal(moved.task.status, "TASK_STATUS_PENDING");
    } finally {
      client.close();
    }
  });

  test("PUT status pending with `from` on a task read dead and leased since: 409 naming its status, not 404", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.dlq.race" } });
    const assignment = await leased(m, "from.dlq.race");
    const id = assignment.taskId;
    const before = await stored(m, id);
    const raced = await whileReadOnceAs(
      m,
      "dlq",
      () => rest(m, "PUT", `/tasks/${id}/status`, { status: "pending", from: RUN_AGAIN_FROM }),
    );
    assert.equal(raced.status, 409, JSON.stringify(raced.body));
    assert.match(JSON.stringify(raced.body), /is in_progress, not one of the statuses `from`/);
    assert.deepEqual(await stored(m, id), before);
  });

  test("a running task moved back or marked failed by hand is fenced on the lease read: one leased again since is 409, nothing stored", async (m) => {
    await restOk(m, "POST", "/executors", { config: { name: "from.fence" } });
    const { taskId } = await leased(m, "from.fence");
    const before = await stored(m, taskId);
    // As read before its lease expired and another worker leased it: the attempt the change would
    // record (worker w0) is not the one running now.
    for (const change of [{ status: "pending" }, { status: "failed", error: "stuck" }]) {
      const taskGet = m.store.taskGet;
      m.store.taskGet = async (id: string) => {
        m.store.taskGet = taskGet;
        const task = await taskGet.call(m.store, id);
        return task && { ...task, workerId: "w0", leaseToken: "lease-of-w0" };
      };
      const refused = await rest(m, "PUT", `/tasks/${taskId}/status`, change);
      assert.equal(m.store.taskGet, taskGet);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.match(refused.body.detail, /changed meanwhile, try again/);
      assert.deepEqual(await stored(m, taskId), before);
      assert.deepEqual((await m.store.taskGet(taskId))!.errors, []);
    }
  });
}
