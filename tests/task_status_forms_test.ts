/**
 * Over REST a task status is taken in every form the protos give it, as an executor config's
 * enums are: our name (`cancelled`), the value name (`TASK_STATUS_CANCELLED`) or its number (6),
 * wherever a request names one (a list's and a search's filter, the bulk calls, a change by hand
 * and its `from`); answers keep our names.
 */
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { PROTO_FILES } from "@tasks-executor/proto";
import { TASK_STATUS_NUMBERS, TASK_STATUSES } from "../server/domain/task.ts";
import { startTestManager } from "./_manager.ts";

async function call(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const fields = (answer: { body: { errors?: { field: string; message: string }[] } }) =>
  answer.body.errors?.map((e) => `${e.field}: ${e.message}`);

Deno.test("the original and the v1 proto number TaskStatus alike, as TASK_STATUS_NUMBERS does", () => {
  for (
    const [file, pkg] of [
      ["taskexecutor/taskexecutor.proto", "taskexecutor"],
      ["taskexecutor/v1/task_executor.proto", "taskexecutor.v1"],
    ]
  ) {
    const root = protobuf.parse(PROTO_FILES[file as keyof typeof PROTO_FILES]).root;
    const { values } = root.lookupEnum(`${pkg}.TaskStatus`);
    assert.deepEqual(
      values,
      Object.fromEntries([
        ["TASK_STATUS_UNSPECIFIED", 0],
        ...TASK_STATUSES.map((s) => [`TASK_STATUS_${s.toUpperCase()}`, TASK_STATUS_NUMBERS[s]]),
      ]),
      file,
    );
  }
});

Deno.test("REST reads a task status as our name, the proto's name or its number, everywhere", async () => {
  await using manager = await startTestManager();
  const base = manager.httpUrl;
  assert.equal((await call(base, "POST", "/api/v1/executors", { name: "s1" })).status, 201);
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const created = await call(base, "POST", "/api/v1/tasks", {
      task: { executorName: "s1", data: { i } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ids.push(created.body.task.id);
  }
  // A change by hand and its precondition, in each form.
  for (
    const [id, change] of [
      [ids[0], { status: "TASK_STATUS_CANCELLED", from: ["TASK_STATUS_PENDING"] }],
      [ids[1], { status: 6, from: [1, "in_progress"] }],
      [ids[2], { status: "6", from: ["1"] }],
    ] as const
  ) {
    const moved = await call(base, "PUT", `/api/v1/tasks/${id}/status`, change);
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.task.status, "cancelled");
  }
  const refused = await call(base, "PUT", `/api/v1/tasks/${ids[3]}/status`, {
    status: "TASK_STATUS_CANCELLED",
    from: ["TASK_STATUS_COMPLETED"],
  });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));

  // A list's filter.
  for (const status of ["cancelled", "TASK_STATUS_CANCELLED", "6", "TASK_STATUS_DLQ,6"]) {
    const listed = await call(base, "GET", `/api/v1/tasks?executorName=s1&status=${status}`);
    assert.equal(listed.status, 200, `${status}: ${JSON.stringify(listed.body)}`);
    assert.deepEqual(listed.body.tasks.map((t: { status: string }) => t.status), [
      "cancelled",
      "cancelled",
      "cancelled",
    ], status);
  }
  const pending = await call(base, "GET", "/api/v1/tasks?executorName=s1&status=1");
  assert.deepEqual(pending.body.tasks.map((t: { id: string }) => t.id), [ids[3]]);
  const STATUSES = `${TASK_STATUSES.join(", ")}, or one by the proto's name ` +
    "(TASK_STATUS_PENDING, …) or number (1, 2, 3, 4, 5, 6)";
  for (
    const [status, message] of [
      ["cancelled,TASK_STATUS_CANCELLED", 'Must not repeat "cancelled"'],
      ["TASK_STATUS_UNSPECIFIED", `Must be one of ${STATUSES}, not "TASK_STATUS_UNSPECIFIED"`],
      ["0", `Must be one of ${STATUSES}, not "0"`],
      ["7", `Must be one of ${STATUSES}, not "7"`],
      ["01", `Must be one of ${STATUSES}, not "01"`],
      ["1.0", `Must be one of ${STATUSES}, not "1.0"`],
      ["PENDING", `Must be one of ${STATUSES}, not "PENDING"`],
      ["task_status_pending", `Must be one of ${STATUSES}, not "task_status_pending"`],
      ["TASK_STATUS_pending", `Must be one of ${STATUSES}, not "TASK_STATUS_pending"`],
    ]
  ) {
    const answer = await call(base, "GET", `/api/v1/tasks?status=${status}`);
    assert.equal(answer.status, 400, status);
    assert.deepEqual(fields(answer), [`status: ${message}`], status);
  }

  // A search's filter.
  const found = await call(
    base,
    "GET",
    `/api/v1/tasks/search?id=${ids[0]}&status=TASK_STATUS_CANCELLED`,
  );
  assert.equal(found.status, 200, JSON.stringify(found.body));
  assert.deepEqual(found.body.tasks.map((t: { id: string }) => t.id), [ids[0]]);
  const searchMiss = await call(base, "GET", `/api/v1/tasks/search?id=${ids[0]}&status=1`);
  assert.deepEqual(searchMiss.body.tasks, []);

  // The bulk calls: within their statuses, in any form; outside them, named as given.
  const retry = await call(
    base,
    "POST",
    "/api/v1/tasks/retry?executorName=s1&status=TASK_STATUS_CANCELLED",
  );
  assert.equal(retry.status, 400);
  assert.deepEqual(fields(retry), [
    "status: Must be one of failed, dlq, or one by the proto's name (TASK_STATUS_FAILED, …) or " +
    'number (4, 5), not "TASK_STATUS_CANCELLED"',
  ]);
  const retried = await call(
    base,
    "POST",
    "/api/v1/tasks/retry?executorName=s1&status=TASK_STATUS_FAILED,5",
  );
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.equal(retried.body.retried, 0);
  const cancel = await call(base, "POST", "/api/v1/tasks/cancel?executorName=s1&status=1");
  assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
  assert.equal(cancel.body.cancelled, 1);
  const deleted = await call(
    base,
    "DELETE",
    "/api/v1/tasks?executorName=s1&status=TASK_STATUS_CANCELLED",
  );
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.equal(deleted.body.deleted, 4);
});
