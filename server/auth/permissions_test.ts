import assert from "node:assert/strict";
import { PermissionDeniedError } from "../domain/errors.ts";
import {
  assertExecutor,
  authorize,
  executorsWithin,
  GRPC_OPERATIONS,
  type Operation,
  OPERATIONS,
  type Reach,
  REST_OPERATIONS,
} from "./permissions.ts";
import { ANONYMOUS_ADMIN, type Principal, type Scope, SCOPES } from "./scopes.ts";

const key = (scopes: Principal["scopes"], executors: string[] | null = null): Principal => ({
  keyId: "0123456789abcdef",
  keyName: "test-key",
  scopes,
  executors,
});

Deno.test("authorize() lets admin do every operation", () => {
  for (const operation of Object.keys(OPERATIONS) as Operation[]) {
    authorize(ANONYMOUS_ADMIN, operation);
  }
});

Deno.test("authorize() refuses a read key a write, naming the scopes that would allow it", () => {
  assert.throws(
    () => authorize(key(["read"]), "tasks.create"),
    (error: Error) => {
      assert.ok(error instanceof PermissionDeniedError);
      assert.match(error.message, /needs scope admin or producer, the key has read/);
      assert.match(error.message, /test-key/);
      return true;
    },
  );
});

Deno.test("authorize() lets anyone use open operations, a key without scopes included", () => {
  authorize(key([]), "public");
  authorize(key([]), "session");
  assert.throws(() => authorize(key([]), "tasks.read"), /the key has no scope/);
});

Deno.test("a metrics key reads metrics (and its own session) and nothing else", () => {
  for (const operation of Object.keys(OPERATIONS) as Operation[]) {
    const allowed = ["metrics.read", "session.read"].includes(operation) ||
      OPERATIONS[operation].open;
    if (allowed) authorize(key(["metrics"]), operation);
    else assert.throws(() => authorize(key(["metrics"]), operation), PermissionDeniedError);
  }
});

Deno.test("executorsWithin() limits producer and worker keys to their executors", () => {
  const worker = key(["worker"], ["send_email"]);
  assert.deepEqual(executorsWithin(worker, "worker.work"), ["send_email"]);
  assert.deepEqual(executorsWithin(worker, "executors.write"), ["send_email"]);
  assert.deepEqual(executorsWithin(worker, "tasks.read"), []);
  assert.equal(executorsWithin(key(["producer"]), "tasks.create"), null, "unlimited producer");
  // A scope that reaches every executor wins over a limited one on the same key.
  assert.equal(executorsWithin(key(["producer", "read"], ["a"]), "tasks.read"), null);
  assert.deepEqual(executorsWithin(key(["producer", "read"], ["a"]), "tasks.create"), ["a"]);
});

Deno.test("assertExecutor() refuses another executor, naming the limit and the field", () => {
  const worker = key(["worker"], ["send_email"]);
  assertExecutor(worker, "worker.work", "send_email");
  assert.throws(
    () => assertExecutor(worker, "worker.work", "resize_image", { pointer: "/hello/executors/0" }),
    (error: Error) => {
      assert.ok(error instanceof PermissionDeniedError);
      assert.equal(
        error.message,
        'Key "test-key" (0123456789abcdef) is limited to "send_email": it may not take and ' +
          'settle tasks for "resize_image" (/hello/executors/0)',
      );
      return true;
    },
  );
  assert.throws(
    () =>
      assertExecutor(key(["producer"], ["a", "b"]), "tasks.read", "", { pointer: "executorName" }),
    /may not read tasks without naming one \(executorName\)/,
  );
  // A key without the scope hears about the scope, not about executors.
  assert.throws(() => assertExecutor(worker, "tasks.create", "send_email"), /needs scope/);
});

Deno.test("every operation of the table is named by some REST route or gRPC method", () => {
  const used = new Set([...Object.values(REST_OPERATIONS), ...Object.values(GRPC_OPERATIONS)]);
  assert.deepEqual(Object.keys(OPERATIONS).filter((op) => !used.has(op as Operation)), []);
});

Deno.test("every scope grants something beyond the open operations", () => {
  for (const scope of SCOPES) {
    const granted = (Object.keys(OPERATIONS) as Operation[])
      .filter((op) => !OPERATIONS[op].open && OPERATIONS[op].scopes[scope] !== undefined);
    assert.ok(granted.length > 0, scope);
  }
});

Deno.test("whoever may create a task may read it (CreateAndWatchTask answers the task it created under tasks.create)", () => {
  const create: Partial<Record<Scope, Reach>> = OPERATIONS["tasks.create"].scopes;
  const read: Partial<Record<Scope, Reach>> = OPERATIONS["tasks.read"].scopes;
  for (const scope of SCOPES) {
    const reach = create[scope];
    if (reach === undefined) continue;
    assert.ok(
      read[scope] === "all" || read[scope] === reach,
      `${scope}: create ${reach}, read ${read[scope]}`,
    );
  }
});
