/**
 * Tests of a batch create over executors of several write concerns: it is stored whole or not at
 * all, wherever another manager's delete of one of its executors falls.
 */
import assert from "node:assert/strict";
import { ExecutorNotFoundError } from "../server/domain/errors.ts";
import type { WriteConcernLevel } from "../server/domain/executor.ts";
import type { NewTask } from "../server/domain/task.ts";
import { Service } from "../server/service/service.ts";
import { executorNamed, type InsertOptions, type Store } from "../server/store/store.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { storeTests } from "./fixtures/store_backends.ts";
import { hooked, type Verb } from "./fixtures/hooked.ts";

/**
 * A service on `store` with executors "wa" (`journaled`) and "wb" (`unacknowledged`), and a batch
 * of three tasks of each, wa's first (`/tasks/3` is wb's first).
 */
async function twoWriteConcerns(store: Store) {
  const service = new Service(store);
  await service.createExecutor({ name: "wa", writeConcern: { level: "journaled" } });
  await service.createExecutor({ name: "wb", writeConcern: { level: "unacknowledged" } });
  const batch = [0, 1, 2, 3, 4, 5].map((i) => ({ executorName: i < 3 ? "wa" : "wb", data: i }));
  return {
    service,
    batch,
    [Symbol.asyncDispose]: () => service.schemas[Symbol.asyncDispose](),
  };
}

for (const when of ["before", "after"] as const) {
  storeTests(
    `a batch over two write concerns whose second executor another manager deletes ${when} the first insert is stored whole or refused with nothing stored`,
    async (store) => {
      let deleted = false;
      // Another manager deletes "wb" (force: its tasks go with it), once, at that point.
      const deleteWb = async () => {
        if (deleted) return;
        deleted = true;
        assert.equal(
          await store.executorDelete((await executorNamed(store, "wb"))!.id, {
            force: true,
          }),
          true,
        );
      };
      const deleting = (own: Verb): Verb => async (...args) => {
        if (when === "before") await deleteWb();
        const outcomes = await own(...args);
        if (when === "after") await deleteWb();
        return outcomes;
      };
      const hookedStore = hooked(store, { taskInsert: deleting, taskInsertAndClaim: deleting });
      await using made = await twoWriteConcerns(hookedStore);
      const answer = await made.service.createTasks(made.batch).then(
        (created) => ({ created, error: null }),
        (error: Error) => ({ created: null, error }),
      );
      assert.ok(deleted, "the delete ran");
      const stored = (await store.taskList({}, { limit: 100 })).items.map((t) => t.id).sort();
      if (answer.error) {
        assert.deepEqual(
          stored,
          [],
          `refused (${answer.error.message}), yet ${stored.length} of its tasks are stored`,
        );
      }
      if (when === "before") {
        // The insert finds "wb" gone: the request is refused, each of wb's tasks named.
        assert.ok(answer.error instanceof ExecutorNotFoundError, String(answer.error));
        assert.deepEqual(
          [...answer.error.message.matchAll(/\/tasks\/\d+\/executorName/g)].map(([m]) => m),
          ["/tasks/3/executorName", "/tasks/4/executorName", "/tasks/5/executorName"],
        );
      } else {
        // Stored whole before the delete: answered created; wb's tasks went with wb.
        assert.equal(answer.error, null);
        const ofWa = answer.created!.filter(({ task }) => task.executorName === "wa");
        assert.equal(ofWa.length, 3);
        assert.deepEqual(stored, ofWa.map(({ task }) => task.id).sort());
      }
    },
  );
}

Deno.test("a batch over two write concerns is one insert, at the stricter of them, and a single executor's batch is inserted at its own", async () => {
  await using real = await openSqliteStore({ path: ":memory:" });
  const inserts: { executors: string[]; writeConcern?: WriteConcernLevel }[] = [];
  const noting = (own: Verb): Verb => (tasks: NewTask[], options: InsertOptions) => {
    inserts.push({
      executors: tasks.map((t) => t.executorName),
      writeConcern: options.writeConcern,
    });
    return own(tasks, options);
  };
  await using made = await twoWriteConcerns(hooked(real, { taskInsert: noting }));
  const created = await made.service.createTasks(made.batch);
  assert.deepEqual(created.map(({ created }) => created), Array(6).fill(true));
  await made.service.createTasks([{ executorName: "wb", data: 6 }]);
  assert.deepEqual(inserts, [
    { executors: ["wa", "wa", "wa", "wb", "wb", "wb"], writeConcern: "journaled" },
    { executors: ["wb"], writeConcern: "unacknowledged" },
  ]);
  assert.equal((await real.taskList({}, { limit: 100 })).items.length, 7);
});

storeTests(
  "a batch whose tasks name missing executors reads them from the store at once, however many tasks and names, and names each such task",
  async (store) => {
    let reads = 0;
    const counted = hooked(store, {
      executorList: (own) => (...args) => {
        reads++;
        return own(...args);
      },
      executorGet: (own) => (...args) => {
        reads++;
        return own(...args);
      },
    });
    const service = new Service(counted);
    await using _ = { [Symbol.asyncDispose]: () => service.schemas[Symbol.asyncDispose]() };
    await service.createExecutor({ name: "here" });
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      executorName: i % 2 === 0 ? "gone" : "here",
      data: i,
    }));
    reads = 0;
    const error = await service.createTasks(batch).catch((e) => e);
    assert.ok(error instanceof ExecutorNotFoundError, String(error));
    assert.equal(error.executor, "gone");
    // The first ones are named (MAX_VIOLATIONS), the message says how many more.
    assert.match(
      error.message,
      /^Cannot create task: \/tasks\/0\/executorName: Executor "gone" does not exist; \/tasks\/2\/executorName: .*; and 450 more$/,
    );
    assert.ok(reads <= 2, `${reads} store reads of executors`);
    // As many missing executors as tasks: still one read.
    reads = 0;
    const distinct = batch.map((task, i) => ({ ...task, executorName: `gone${i}` }));
    const refused = await service.createTasks(distinct).catch((e) => e);
    assert.ok(refused instanceof ExecutorNotFoundError, String(refused));
    assert.match(refused.message, /; \/tasks\/1\/executorName: Executor "gone1" does not exist;/);
    assert.ok(reads <= 2, `${reads} store reads of executors for 1,000 missing names`);
    assert.equal((await store.taskList({}, { limit: 10 })).items.length, 0, "nothing stored");
  },
);
