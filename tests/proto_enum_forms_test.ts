/**
 * Over REST every enum `taskexecutor.v1` declares is taken in the three forms a task status is
 * (`task_status_forms_test.ts`): our name (`timeout`), the proto's value name
 * (`DLQ_REASON_TIMEOUT`) or its number (3, or "3" in a query string): a DLQ filter's `reason`, an
 * API key's `scopes`, a schedule's `overlapPolicy` and `missedFirePolicy`, an executor's retry
 * `type` and write concern `level`. A refusal names the field and lists our names, saying the
 * proto's are taken too; answers keep our names.
 */
import assert from "node:assert/strict";
import protobuf from "protobufjs";
import { PROTO_FILES } from "@tasks-executor/proto";
import { SCOPE_ENUM } from "../server/auth/scopes.ts";
import { DLQ_REASON_ENUM, type DlqReason } from "../server/domain/dlq.ts";
import { RETRY_POLICY_TYPE_ENUM, WRITE_CONCERN_LEVEL_ENUM } from "../server/domain/executor.ts";
import type { ProtoEnum } from "../server/domain/proto_enum.ts";
import { MISSED_FIRE_POLICY_ENUM, OVERLAP_POLICY_ENUM } from "../server/domain/schedule.ts";
import { TASK_STATUS_ENUM } from "../server/domain/task.ts";
import { startTestManager, type TestManager } from "./_manager.ts";
import { type Answer, rest, restOk } from "./fixtures/rest.ts";

const fields = (answer: Answer) =>
  answer.body.errors?.map((e: { field: string; message: string }) => `${e.field}: ${e.message}`);

Deno.test("each enum REST reads numbers and names its values as taskexecutor.v1 declares them", () => {
  const v1 = protobuf.parse(PROTO_FILES["taskexecutor/v1/task_executor.proto"]).root;
  const original = protobuf.parse(PROTO_FILES["taskexecutor/taskexecutor.proto"]).root;
  const specs: [protobuf.Root, string, ProtoEnum<string>][] = [
    [v1, "taskexecutor.v1.TaskStatus", TASK_STATUS_ENUM],
    [v1, "taskexecutor.v1.DlqReason", DLQ_REASON_ENUM],
    [v1, "taskexecutor.v1.Scope", SCOPE_ENUM],
    [v1, "taskexecutor.v1.OverlapPolicy", OVERLAP_POLICY_ENUM],
    [v1, "taskexecutor.v1.MissedFirePolicy", MISSED_FIRE_POLICY_ENUM],
    [v1, "taskexecutor.v1.RetryPolicyType", RETRY_POLICY_TYPE_ENUM],
    [v1, "taskexecutor.v1.WriteConcernLevel", WRITE_CONCERN_LEVEL_ENUM],
    // The original interface's, which an executor config file of the earlier system names.
    [original, "taskexecutor.RetryPolicyType", RETRY_POLICY_TYPE_ENUM],
    [original, "taskexecutor.WriteConcernLevel", WRITE_CONCERN_LEVEL_ENUM],
  ];
  for (const [root, name, spec] of specs) {
    const { values } = root.lookupEnum(name);
    assert.deepEqual(
      values,
      Object.fromEntries([
        [`${spec.prefix}UNSPECIFIED`, 0],
        ...spec.names.map((n) => [`${spec.prefix}${n.toUpperCase()}`, spec.numbers[n]]),
      ]),
      name,
    );
  }
});

/**
 * Sends each step's request, in order: it must get its `status`, and its answer hold what `holds`
 * says, value by value, where `read` finds them.
 */
async function answersHold(
  manager: TestManager,
  read: (body: Answer["body"]) => unknown[],
  steps: { method: string; path: string; body: unknown; status: number; holds: unknown[] }[],
): Promise<void> {
  for (const step of steps) {
    const answer = await rest(manager, step.method, step.path, step.body);
    assert.equal(answer.status, step.status, JSON.stringify(answer.body));
    const found = read(answer.body);
    for (const [i, value] of step.holds.entries()) assert.equal(found[i], value);
  }
}

/** Dead-letters a new task of `executorName` for `reason`, as a worker's last failure would. */
async function deadLetter(manager: TestManager, executorName: string, reason: DlqReason) {
  const { task } = await restOk(manager, "POST", "/tasks", { task: { executorName, data: {} } });
  const now = Date.now();
  const [claimed] = await manager.store.taskClaim({
    executorName,
    limit: 1,
    leaseMs: 60_000,
    owner: "w1",
    now,
    maxConcurrency: 0,
  });
  assert.equal(claimed.id, task.id);
  const [applied] = await manager.store.taskSettle([{
    taskId: claimed.id,
    leaseToken: claimed.leaseToken!,
    settlement: {
      kind: "dlq",
      error: { attempt: 1, message: "Boom", at: now, workerId: "w1" },
      reason,
      queueName: "dlq",
    },
  }], { now });
  assert.equal(applied, true);
  return task.id as string;
}

const REASONS = "max_attempts, non_retryable, timeout, lease_lost, validation, or one by the " +
  "proto's name (DLQ_REASON_MAX_ATTEMPTS, …) or number (1, 2, 3, 4, 5)";

Deno.test("REST reads a DLQ reason as our name, the proto's name or its number, in every DLQ filter", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "d1" });
  const ids = (entries: { id: string }[]) => entries.map((e) => e.id).sort();
  const [timedOut, exhausted, other] = [
    await deadLetter(manager, "d1", "timeout"),
    await deadLetter(manager, "d1", "max_attempts"),
    await deadLetter(manager, "d1", "timeout"),
  ];

  // The lists: the DLQ's and an executor's own.
  for (const reason of ["timeout", "DLQ_REASON_TIMEOUT", "3"]) {
    for (const path of [`/dlq?reason=${reason}`, `/executors/d1/dlq?reason=${reason}`]) {
      const listed = await rest(manager, "GET", path);
      assert.equal(listed.status, 200, `${path}: ${JSON.stringify(listed.body)}`);
      assert.deepEqual(ids(listed.body.entries), [timedOut, other].sort(), path);
      assert.ok(listed.body.entries.every((e: { reason: string }) => e.reason === "timeout"));
    }
  }
  for (
    const reason of ["late", "DLQ_REASON_LATE", "DLQ_REASON_UNSPECIFIED", "0", "6", "TIMEOUT"]
  ) {
    for (const path of [`/dlq?reason=${reason}`, `/executors/d1/dlq?reason=${reason}`]) {
      const refused = await rest(manager, "GET", path);
      assert.equal(refused.status, 400, path);
      assert.deepEqual(fields(refused), [`reason: Must be one of ${REASONS}, not "${reason}"`]);
    }
  }

  // A requeue's filter, in its body (named by pointer; a JSON number is a number) or its query.
  const bad = await rest(manager, "POST", "/dlq/requeue", { reason: "DLQ_REASON_LATE" });
  assert.equal(bad.status, 400);
  assert.deepEqual(fields(bad), [`/reason: Must be one of ${REASONS}, not "DLQ_REASON_LATE"`]);
  const requeues: [string, Record<string, unknown>, number, string?][] = [
    ["/dlq/requeue", { reason: 2 }, 0, "no entry is non_retryable"],
    ["/dlq/requeue", { reason: "DLQ_REASON_MAX_ATTEMPTS" }, 1],
    ["/dlq/requeue?reason=DLQ_REASON_TIMEOUT", {}, 2],
  ];
  for (const [path, body, requeued, why] of requeues) {
    const answer = await rest(manager, "POST", path, body);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.requeued, requeued, why ?? path);
  }
  assert.equal((await restOk(manager, "GET", `/tasks/${exhausted}`)).task.status, "pending");

  // A purge's.
  await restOk(manager, "POST", "/executors", { name: "d2" });
  const again = await deadLetter(manager, "d2", "validation");
  const refused = await rest(manager, "DELETE", "/dlq?reason=5x");
  assert.deepEqual(fields(refused), [`reason: Must be one of ${REASONS}, not "5x"`]);
  const purged = await rest(manager, "DELETE", "/dlq?reason=DLQ_REASON_VALIDATION");
  assert.equal(purged.status, 200, JSON.stringify(purged.body));
  assert.equal(purged.body.deleted, 1);
  assert.equal((await rest(manager, "GET", `/dlq/${again}`)).status, 404);
});

Deno.test("REST reads an API key's scopes as our names, the proto's names or their numbers", async () => {
  await using manager = await startTestManager();
  const created = await rest(manager, "POST", "/keys", {
    name: "k",
    scopes: ["SCOPE_PRODUCER", 4, "metrics"],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.key.scopes, ["producer", "read", "metrics"]);
  const SCOPES = "admin, producer, worker, read, metrics, or one by the proto's name " +
    "(SCOPE_ADMIN, …) or number (1, 2, 3, 4, 5)";
  const refused = await rest(manager, "POST", "/keys", {
    name: "k2",
    scopes: ["SCOPE_ROOT", "SCOPE_UNSPECIFIED", 0, "2", "SCOPE_PRODUCER"],
  });
  assert.equal(refused.status, 400);
  assert.deepEqual(fields(refused), [
    `/scopes/0: Must be one of ${SCOPES}, not "SCOPE_ROOT"`,
    `/scopes/1: Must be one of ${SCOPES}, not "SCOPE_UNSPECIFIED"`,
    `/scopes/2: Must be one of ${SCOPES}, not 0`,
    '/scopes/4: Must not repeat "producer"',
  ]);
});

Deno.test("REST reads a schedule's overlap and missed-fire policies as our names, the proto's names or their numbers", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "e1" });
  await answersHold(
    manager,
    (body) => [body.schedule.overlapPolicy, body.schedule.missedFirePolicy],
    [
      {
        method: "POST",
        path: "/schedules",
        body: {
          name: "s1",
          executorName: "e1",
          every: "1h",
          overlapPolicy: "OVERLAP_POLICY_ALLOW",
          missedFirePolicy: 3,
        },
        status: 201,
        holds: ["allow", "run_each"],
      },
      // The proto's "not set" keeps the policy in force, as a field left out does.
      {
        method: "PUT",
        path: "/schedules/s1",
        body: {
          overlapPolicy: "OVERLAP_POLICY_UNSPECIFIED",
          missedFirePolicy: "MISSED_FIRE_POLICY_SKIP",
        },
        status: 200,
        holds: ["allow", "skip"],
      },
      {
        method: "PUT",
        path: "/schedules/s1",
        body: { overlapPolicy: "1", missedFirePolicy: "run_once" },
        status: 200,
        holds: ["skip", "run_once"],
      },
    ],
  );

  const refused = await rest(manager, "POST", "/schedules", {
    name: "s2",
    executorName: "e1",
    every: "1h",
    overlapPolicy: "OVERLAP_POLICY_QUEUE",
    missedFirePolicy: 4,
  });
  assert.equal(refused.status, 400);
  assert.deepEqual(fields(refused), [
    "/overlapPolicy: Must be one of skip, allow, or one by the proto's name " +
    '(OVERLAP_POLICY_SKIP, …) or number (1, 2), not "OVERLAP_POLICY_QUEUE"',
    "/missedFirePolicy: Must be one of skip, run_once, run_each, or one by the proto's name " +
    "(MISSED_FIRE_POLICY_SKIP, …) or number (1, 2, 3), not 4",
  ]);
});

Deno.test("REST reads an executor's retry type and write concern level as every such enum, and refuses them alike", async () => {
  await using manager = await startTestManager();
  await answersHold(
    manager,
    (body) => [body.executor.retryPolicy.type, body.executor.writeConcern.level],
    [
      {
        method: "POST",
        path: "/executors",
        body: {
          name: "x1",
          retryPolicy: { type: "1" },
          writeConcern: { level: "WRITE_CONCERN_LEVEL_MAJORITY" },
        },
        status: 201,
        holds: ["constant", "majority"],
      },
      // The earlier system's config files' spellings still hold.
      {
        method: "PUT",
        path: "/executors/x1",
        body: { retryPolicy: { type: "RETRY_POLICY_LINEAR" }, writeConcern: { level: 4 } },
        status: 200,
        holds: ["linear", "journaled"],
      },
    ],
  );

  const refused = await rest(manager, "POST", "/executors", {
    name: "x2",
    retryPolicy: { type: "fibonacci" },
    writeConcern: { level: "5" },
  });
  assert.equal(refused.status, 400);
  assert.deepEqual(fields(refused)?.sort(), [
    "/retryPolicy/type: Must be one of constant, linear, exponential, or one by the " +
    'proto\'s name (RETRY_POLICY_TYPE_CONSTANT, …) or number (1, 2, 3), not "fibonacci"',
    "/writeConcern/level: Must be one of unacknowledged, replica_acknowledged, journaled, " +
    "majority, or one by the proto's name (WRITE_CONCERN_LEVEL_UNACKNOWLEDGED, …) or number " +
    '(3, 1, 4, 2), not "5"',
  ]);
});
