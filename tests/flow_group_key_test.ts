/**
 * Group keys read from task data (`groupKeyPointer`) that a store could not keep exactly, end to
 * end on a real manager over each store: SQLite reads text back cut at U+0000, so such a key once
 * stopped the keyed claim's walk on itself and no task of the executor ran. Such a key is no key
 * (the task joins the no-key group, as one with a key too long), whichever way the task came: a
 * create or a schedule's fire. A key given at creation that breaks the same rule is refused.
 */
import assert from "node:assert/strict";
import type { Task } from "../server/domain/task.ts";
import { BACKENDS, backendTest } from "./fixtures/backends.ts";
import { violationsFromMetadata } from "@tasks-executor/proto";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { Client } from "../sdk/mod.ts";
import { ConflictError } from "../server/domain/errors.ts";
import { parseExecutorConfig } from "../server/domain/executor.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { hooked } from "./fixtures/hooked.ts";

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "a task whose data holds a group key with U+0000 is put in the no-key group: every task of the executor, of every key, is claimed",
    async ({ manager: m }) => {
      await restOk(m, "POST", "/executors", {
        config: { name: "flow", groupKeyPointer: "/customer", maxConcurrencyPerKey: 2 },
      });
      const created = new Map<string, string>();
      const answered = new Map<string, string | null>();
      for (const customer of ["alice", "bob", "carol", "a\u0000x", "dave", "erin"]) {
        const { task } = await restOk(m, "POST", "/tasks", {
          executorName: "flow",
          data: { customer },
        });
        created.set(task.id, customer);
        answered.set(customer, task.groupKey);
      }
      // A schedule's fire derives the key the same way.
      await restOk(m, "POST", "/schedules", {
        name: "nul",
        executorName: "flow",
        every: "1h",
        task: { data: { customer: "b\u0000y" } },
      });
      const { taskId } = await restOk(m, "POST", "/schedules/nul/trigger", {});
      created.set(taskId, "b\u0000y");

      const claimed: Task[] = [];
      for (let i = 0; i < 5 && claimed.length < created.size; i++) {
        claimed.push(...await m.engine.claim("w1", ["flow"], 20));
      }
      const customers = (tasks: Task[]) =>
        tasks.map((t) => (t.data as { customer: string }).customer).sort();
      assert.deepEqual(customers(claimed), [...created.values()].sort());
      for (const [customer, groupKey] of answered) {
        assert.equal(groupKey, customer.includes("\u0000") ? null : customer, customer);
      }
      for (const task of claimed) {
        const customer = created.get(task.id)!;
        assert.equal(task.groupKey, customer.includes("\u0000") ? undefined : customer, customer);
      }
      // The data itself is kept whole.
      const [nul] = [...created].find(([, customer]) => customer === "a\u0000x")!;
      const { task } = await restOk(m, "GET", `/tasks/${nul}`);
      assert.deepEqual(task.data, { customer: "a\u0000x" });
      assert.equal(task.groupKey, null);
    },
  );

  backendTest(
    backend,
    "a group key given at creation with U+0000 or a lone surrogate is refused naming /groupKey; one in data with a lone surrogate is refused naming the data",
    async ({ manager: m }) => {
      await restOk(m, "POST", "/executors", {
        config: { name: "flow", groupKeyPointer: "/customer", maxConcurrencyPerKey: 2 },
      });
      for (
        const [groupKey, message] of [
          ["a\\u0000x", "Must not contain U+0000"],
          ["a\\ud800", "Must be well-formed Unicode (no lone surrogate)"],
        ]
      ) {
        const answer = await rest(
          m,
          "POST",
          "/tasks",
          `{"executorName":"flow","data":{},"groupKey":"${groupKey}"}`,
        );
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.ok(
          JSON.stringify(answer.body).includes(JSON.stringify({ field: "/groupKey", message })),
          JSON.stringify(answer.body),
        );
      }
      const answer = await rest(
        m,
        "POST",
        "/tasks",
        `{"executorName":"flow","data":{"customer":"a\\ud800"}}`,
      );
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.match(JSON.stringify(answer.body), /\/data\/customer/);
    },
  );

  backendTest(
    backend,
    "a groupKeyPointer that can name no member of task data (a token ending with a backslash, more tokens than data nests) is refused over REST and gRPC, naming it, with nothing stored; and so is such a search pointer",
    async ({ manager: m }) => {
      const bad = ["/customer\\", "/a\\/b", "/a".repeat(65)];
      await restOk(m, "POST", "/executors", { config: { name: "kept" } });
      const client = managerClient(Number(m.grpcAddress.split(":").pop()));
      try {
        for (const groupKeyPointer of bad) {
          const label = JSON.stringify(groupKeyPointer);
          for (
            const [method, path, body] of [
              ["POST", "/executors", { config: { name: "made", groupKeyPointer } }],
              ["PUT", "/executors/kept", { config: { groupKeyPointer } }],
            ] as const
          ) {
            const answer = await rest(m, method, path, body);
            assert.equal(answer.status, 400, `${method} ${label}: ${JSON.stringify(answer.body)}`);
            assert.deepEqual(
              answer.body.errors.map((e: { field: string }) => e.field),
              ["/config/groupKeyPointer"],
            );
          }
          for (
            const [method, request] of [
              ["CreateExecutor", { config: { name: "made", groupKeyPointer } }],
              ["UpdateExecutor", { id: "kept", config: { groupKeyPointer } }],
            ] as const
          ) {
            const error = await unary(client, method, request).then(() => null, (e) => e);
            assert.equal(error?.code, 3, `${method} ${label}: ${error}`);
            assert.deepEqual(
              violationsFromMetadata(error.metadata).map((v) => v.field),
              ["/config/groupKeyPointer"],
            );
          }
          const search = await rest(
            m,
            "GET",
            `/tasks/search?dataPointer=${encodeURIComponent(groupKeyPointer)}&dataValue=x`,
          );
          assert.equal(search.status, 400, `search ${label}: ${JSON.stringify(search.body)}`);
          assert.deepEqual(search.body.errors.map((e: { field: string }) => e.field), [
            "dataPointer",
          ]);
        }
      } finally {
        client.close();
      }
      assert.equal((await rest(m, "GET", "/executors/made")).status, 404);
      const { executor } = await restOk(m, "GET", "/executors/kept");
      assert.equal(executor.groupKeyPointer, null);
      // A control character may name a member of data: such a pointer keys its tasks.
      await restOk(m, "PUT", "/executors/kept", { config: { groupKeyPointer: "/\u0001" } });
      const { task } = await restOk(m, "POST", "/tasks", {
        executorName: "kept",
        data: { "\u0001": "acme" },
      });
      assert.equal(task.groupKey, "acme");
    },
  );

  backendTest(
    backend,
    "a groupKeyPointer stored before such pointers were refused may be sent again as stored (a worker declaring its executor at each start), but not to a new executor nor as a change",
    async ({ manager: m }) => {
      const bad = "/customer\\";
      const refused = async (method: "POST" | "PUT", path: string, body: unknown) => {
        const answer = await rest(m, method, path, body);
        assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body)}`);
        assert.deepEqual(
          answer.body.errors.map((e: { field: string }) => e.field),
          ["/config/groupKeyPointer"],
        );
      };
      await refused("POST", "/executors", { config: { name: "old", groupKeyPointer: bad } });
      await restOk(m, "POST", "/executors", { config: { name: "old", groupKeyPointer: "/c" } });
      // As a manager before the rule stored it.
      const stored = (await m.store.executorGet("old"))!;
      await m.store.executorUpdate(
        { ...stored, groupKeyPointer: bad, updatedAt: stored.updatedAt + 1 },
        { basedOn: stored.updatedAt },
      );
      const again = await restOk(m, "PUT", "/executors/old", {
        config: { groupKeyPointer: bad, maxConcurrencyPerKey: 2 },
      });
      assert.equal(again.executor.groupKeyPointer, bad);
      assert.equal(again.executor.maxConcurrencyPerKey, 2);
      // A create naming it is refused as taken, not for its pointer: the SDK's register then
      // changes the executor, as it does at every start of a worker.
      const taken = await rest(m, "POST", "/executors", {
        config: { name: "old", groupKeyPointer: bad },
      });
      assert.equal(taken.status, 409, JSON.stringify(taken.body));
      {
        using client = new Client({ address: m.grpcAddress });
        const registered = await client.registerExecutor("old", {
          groupKeyPointer: bad,
          maxConcurrencyPerKey: 3,
        });
        assert.equal(registered.groupKeyPointer, bad);
        assert.equal(registered.maxConcurrencyPerKey, 3);
      }
      // Another pointer so written, and the old one once changed, are refused.
      await refused("PUT", "/executors/old", { config: { groupKeyPointer: "/other\\" } });
      await restOk(m, "PUT", "/executors/old", { config: { groupKeyPointer: "/customer" } });
      await refused("PUT", "/executors/old", { config: { groupKeyPointer: bad } });
      await refused("POST", "/executors", { config: { name: "new", groupKeyPointer: bad } });
    },
  );
}

Deno.test("a create sending a stored groupKeyPointer the rule refuses is refused as taken before it inserts: an executor deleted meanwhile is not made again with that pointer", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const bad = "/customer\\";
  const made = await store.executorCreate(
    { ...parseExecutorConfig({ name: "old" }), id: "e1", createdAt: 1, updatedAt: 1 },
    { max: 10 },
  );
  // As a manager before the rule stored it.
  await store.executorUpdate({ ...made, groupKeyPointer: bad, updatedAt: 2 }, { basedOn: 1 });
  // The create's read of the stored pointer, and the executor deleted right after it.
  const deletedAfterRead = hooked(store, {
    executorList: (own) => async (...args) => {
      const page = await own(...args);
      await store.executorDelete("e1", { force: true });
      return page;
    },
  });
  const service = new Service(deletedAfterRead);
  await using _schemas = service.schemas;
  await assert.rejects(
    () => service.createExecutor({ name: "old", groupKeyPointer: bad }),
    ConflictError,
  );
  assert.equal(await store.executorGet("old"), null, "no executor made with the refused pointer");
});
