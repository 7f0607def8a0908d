/**
 * Every paged list and every bulk call that goes on from a cursor reads only the cursors the
 * manager gave out: anything else is a 400 naming `cursor` (REST) or an INVALID_ARGUMENT naming
 * `/cursor` (gRPC: the field's pointer in the request), on both stores — never an empty last page
 * or a restart from the top.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { violationsFromMetadata } from "@tasks-executor/proto";
import type { TestManager } from "./_manager.ts";
import { BACKENDS, backendTest } from "./fixtures/backends.ts";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { settleReady } from "./fixtures/settle_ready.ts";

/** Moves `count` new tasks of `executorName` (a disabled one) to the DLQ through a lease. */
async function deadTasks(manager: TestManager, executorName: string, count: number) {
  const { tasks } = await restOk(manager, "POST", "/tasks/batch", {
    tasks: Array.from({ length: count }, () => ({ executorName, data: {} })),
  });
  const now = Date.now();
  const error = { attempt: 1, message: "Boom", at: now, workerId: "test" };
  const settled = await settleReady(manager.store, executorName, {
    limit: count,
    now,
    settlement: { kind: "dlq", error, reason: "max_attempts", queueName: "dlq" },
  });
  assert.equal(settled.tasks.length, tasks.length);
  assert.ok(settled.applied.every(Boolean));
}

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "every list and bulk call refuses a cursor it did not give out, naming it, over REST and gRPC",
    async ({ manager }) => {
      await restOk(manager, "POST", "/executors", { config: { name: "mixed", enabled: false } });
      await deadTasks(manager, "mixed", 3);
      await restOk(manager, "POST", "/keys", { name: "ci", scopes: ["admin"] });
      const first = await restOk(manager, "GET", "/dlq?executorName=mixed&limit=1");
      const real: string = first.nextCursor;
      assert.match(real, /^\d+:[0-9a-f]{26}$/);
      assert.equal((await restOk(manager, "GET", `/dlq?cursor=${real}`)).entries.length, 2);
      // The form the MongoDB store gave out before (`<deadAt>_<id>`) still reads.
      const before = real.replace(":", "_");
      assert.equal((await restOk(manager, "GET", `/dlq?cursor=${before}`)).entries.length, 2);

      // What the reviewer sent, a real cursor with something after it or cut short, and text.
      const garbled = [
        "1:zz",
        `${real}:x`,
        real.slice(0, -1),
        `${real.replace(":", "_")}Z`,
        "NOT A CURSOR",
      ];
      const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
      try {
        for (const cursor of garbled) {
          const q = encodeURIComponent(cursor);
          const refusals = [
            ["GET", `/dlq?executorName=mixed&cursor=${q}`],
            ["GET", `/executors/mixed/dlq?cursor=${q}`],
            ["POST", `/dlq/requeue?executorName=mixed&cursor=${q}`],
            ["POST", "/dlq/requeue", { executorName: "mixed", cursor }],
            ["GET", `/tasks?cursor=${q}`],
            ["GET", `/tasks/search?metadataKey=k&metadataValue=v&cursor=${q}`],
            ["DELETE", `/tasks?executorName=mixed&cursor=${q}`],
            ["POST", `/tasks/cancel?executorName=mixed&cursor=${q}`],
            ["POST", `/tasks/retry?executorName=mixed&cursor=${q}`],
            ["GET", `/schedules?cursor=${q}`],
            ["GET", `/executors?cursor=${q}`],
            ["GET", `/keys?cursor=${q}`],
          ] as const;
          for (const [method, path, body] of refusals) {
            const answer = await rest(manager, method, path, body);
            const what = `${method} ${path} ${JSON.stringify(body ?? "")}`;
            assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
            // A body field is named by its pointer, a query parameter by its name.
            assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [
              body ? "/cursor" : "cursor",
            ], what);
          }
          const calls: [string, Record<string, unknown>][] = [
            ["ListDlq", { executorName: "mixed", cursor }],
            ["RequeueDlq", { executorName: "mixed", cursor }],
            ["ListTasks", { cursor }],
            ["SearchTasks", { metadataKey: "k", metadataValue: "v", cursor }],
            ["DeleteTasks", { executorName: "mixed", cursor }],
            ["CancelTasks", { executorName: "mixed", cursor }],
            ["RetryTasks", { executorName: "mixed", cursor }],
            ["ListSchedules", { cursor }],
            ["ListExecutors", { cursor }],
            ["ListKeys", { cursor }],
          ];
          for (const [method, request] of calls) {
            const error = await rejectsWith(
              unary(client, method, request),
              grpc.status.INVALID_ARGUMENT,
            );
            assert.deepEqual(
              violationsFromMetadata(error.metadata).map((v) => v.field),
              ["/cursor"],
              `${method} ${cursor}`,
            );
          }
        }
      } finally {
        client.close();
      }
      // Nothing was requeued by the refused calls: every dead task is still there.
      assert.equal((await restOk(manager, "GET", "/dlq?executorName=mixed")).entries.length, 3);
    },
  );
}
