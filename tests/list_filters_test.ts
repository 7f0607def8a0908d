/**
 * The list filters of REST and gRPC are the same filters: every query parameter of a listing or
 * bulk route is a field of its gRPC request and back, and `ListTasks` filters by finish time as
 * `GET /api/v1/tasks` does — over gRPC and the TypeScript SDK, against a real manager.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { timestampFromMs, violationsFromMetadata } from "@tasks-executor/proto";
import { Client } from "@tasks-executor/sdk";
import { protoRoot } from "../proto/_root.ts";
import { OPENAPI } from "../server/http/openapi/mod.ts";
import { BACKENDS, backendTest } from "./fixtures/backends.ts";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Each REST route that lists or acts by filter, and the request message of its rpc. */
const ROUTES: [string, string, string][] = [
  ["GET", "/api/v1/tasks", "ListTasksRequest"],
  ["GET", "/api/v1/tasks/search", "SearchTasksRequest"],
  ["DELETE", "/api/v1/tasks", "DeleteTasksRequest"],
  ["POST", "/api/v1/tasks/cancel", "CancelTasksRequest"],
  ["POST", "/api/v1/tasks/retry", "RetryTasksRequest"],
  ["GET", "/api/v1/dlq", "ListDlqRequest"],
  ["DELETE", "/api/v1/dlq", "PurgeDlqRequest"],
  ["POST", "/api/v1/dlq/requeue", "RequeueDlqRequest"],
  ["GET", "/api/v1/executors", "ListExecutorsRequest"],
  ["GET", "/api/v1/schedules", "ListSchedulesRequest"],
  ["GET", "/api/v1/keys", "ListKeysRequest"],
  ["GET", "/api/v1/history", "GetHistoryRequest"],
  ["GET", "/api/v1/stats", "GetStatsRequest"],
  ["GET", "/api/v1/workers", "ListWorkersRequest"],
];

Deno.test("every query parameter of a REST list or bulk route is a field of its gRPC request, and back", () => {
  const root = protoRoot();
  for (const [method, path, message] of ROUTES) {
    const operation = (OPENAPI.paths as Json)[path][method.toLowerCase()];
    const query = (operation.parameters as Json[])
      .filter((p) => p.in === "query")
      .map((p) => p.name as string)
      .sort();
    const fields = Object.keys(root.lookupType(`taskexecutor.v1.${message}`).fields).sort();
    assert.deepEqual(fields, query, `${method} ${path} and ${message}`);
  }
});

const T0 = Date.parse("2030-01-01T00:00:00Z");

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "ListTasks and the SDK's listTasks filter by finish time as GET /tasks does",
    async ({ manager }) => {
      await restOk(manager, "POST", "/executors", { config: { name: "ends", enabled: false } });
      const { tasks } = await restOk(manager, "POST", "/tasks/batch", {
        tasks: Array.from({ length: 4 }, () => ({ executorName: "ends" })),
      });
      const ids: string[] = tasks.map((t: Json) => t.id);
      // Three end a minute apart; the fourth stays pending (never finished).
      for (const [i, id] of ids.slice(0, 3).entries()) {
        const moved = await manager.store.taskTransition(id, {
          from: "pending",
          to: "cancelled",
          now: T0 + i * 60_000,
        });
        assert.ok(moved);
      }
      const after = new Date(T0 + 60_000).toISOString();
      const before = new Date(T0 + 120_000).toISOString();
      const viaRest = async (query: string) =>
        (await restOk(manager, "GET", `/tasks?executorName=ends&${query}`)).tasks
          .map((t: Json) => t.id).sort();
      assert.deepEqual(await viaRest(`finishedAfter=${after}`), [ids[1], ids[2]].sort());
      assert.deepEqual(await viaRest(`finishedBefore=${before}`), [ids[0], ids[1]].sort());
      assert.deepEqual(await viaRest(`finishedAfter=${after}&finishedBefore=${before}`), [ids[1]]);

      const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
      try {
        const viaGrpc = async (request: Record<string, unknown>) =>
          (await unary<Json>(client, "ListTasks", { executorName: "ends", ...request })).tasks
            .map((t: Json) => t.id).sort();
        const [a, b] = [timestampFromMs(T0 + 60_000), timestampFromMs(T0 + 120_000)];
        assert.deepEqual(
          await viaGrpc({ finishedAfter: a }),
          await viaRest(`finishedAfter=${after}`),
        );
        assert.deepEqual(
          await viaGrpc({ finishedBefore: b }),
          await viaRest(`finishedBefore=${before}`),
        );
        assert.deepEqual(await viaGrpc({ finishedAfter: a, finishedBefore: b }), [ids[1]]);
        const bad = await rejectsWith(
          unary(client, "ListTasks", { finishedBefore: { seconds: 1, nanos: -1 } }),
          grpc.status.INVALID_ARGUMENT,
        );
        assert.deepEqual(violationsFromMetadata(bad.metadata).map((v) => v.field), [
          "/finishedBefore",
        ]);
      } finally {
        client.close();
      }

      using sdk = new Client({ address: manager.grpcAddress });
      const page = await sdk.listTasks({
        executorName: "ends",
        finishedAfter: new Date(T0 + 60_000),
        finishedBefore: T0 + 120_000,
      });
      assert.deepEqual(page.tasks.map((t) => t.id), [ids[1]]);
    },
  );
  backendTest(
    backend,
    "an inverted time range is refused naming its first bound, over REST and gRPC, lists and bulk calls",
    async ({ manager }) => {
      await restOk(manager, "POST", "/executors", { config: { name: "ranges", enabled: false } });
      const [late, early] = ["2030-01-01T00:00:00Z", "2020-01-01T00:00:00Z"];
      for (
        const [after, before] of [["createdAfter", "createdBefore"], [
          "finishedAfter",
          "finishedBefore",
        ]]
      ) {
        for (
          const [method, path] of [
            ["GET", "/tasks"],
            ["DELETE", "/tasks"],
            ["POST", "/tasks/cancel"],
            ["POST", "/tasks/retry"],
          ]
        ) {
          for (const [a, b] of [[late, early], [early, early]]) {
            const refused = await rest(manager, method, `${path}?${after}=${a}&${before}=${b}`);
            assert.equal(refused.status, 400, `${method} ${path} ${after}`);
            assert.deepEqual(refused.body.errors, [
              { field: after, message: `Must be before /${before}` },
            ]);
            assert.equal(
              refused.body.detail,
              `Invalid task filter: ${after}: Must be before /${before}`,
            );
          }
        }
        const ok = await restOk(manager, "GET", `/tasks?${after}=${early}&${before}=${late}`);
        assert.deepEqual(ok.tasks, []);
      }
      const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
      try {
        const range = {
          createdAfter: timestampFromMs(Date.parse(late)),
          createdBefore: timestampFromMs(Date.parse(early)),
        };
        for (const rpc of ["ListTasks", "DeleteTasks", "CancelTasks", "RetryTasks"]) {
          const refused = await rejectsWith(
            unary(client, rpc, range),
            grpc.status.INVALID_ARGUMENT,
          );
          // Named by its pointer in the request, in the detail and the message.
          assert.deepEqual(violationsFromMetadata(refused.metadata), [
            { field: "/createdAfter", message: "Must be before /createdBefore" },
          ], rpc);
          assert.equal(
            refused.details,
            "Invalid task filter: /createdAfter: Must be before /createdBefore",
            rpc,
          );
        }
      } finally {
        client.close();
      }
    },
  );
}
