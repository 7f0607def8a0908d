/**
 * The flow-control store contract (tests/flow_contract.ts) on both stores: a SQLite file in a
 * temp dir, and MongoDB through `TEST_MONGO_URI` (a fresh database per test).
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MongoClient } from "mongodb";
import { openMongoStore } from "../server/store/mongo/store.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { FLOW_QUERIES, nextReadyKey } from "../server/store/sqlite/flow.ts";
import type { ContractStore } from "./store_contract.ts";
import { flowContract } from "./flow_contract.ts";
import { type FlowControl, NO_FLOW_CONTROL } from "../server/domain/flow.ts";
import { makeExecutor, makeTask, T0 } from "./store_contract.ts";
import { tempDir } from "./fixtures/temp_dir.ts";
import { Resumer } from "../server/engine/resumer.ts";
import { EXECUTOR_KEYING_LEASE_MS } from "../server/domain/executor.ts";
import { createLogger } from "../server/log.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";
const RUN_ID = `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;
let databases = 0;

/** A store and what its dispose must also remove. */
function disposing<T extends ContractStore>(store: T, after: () => Promise<void>): ContractStore {
  const close = store[Symbol.asyncDispose].bind(store);
  Object.defineProperty(store, Symbol.asyncDispose, {
    value: async () => {
      try {
        await close();
      } finally {
        await after();
      }
    },
  });
  return store;
}

flowContract("sqlite", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow_store_" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  return disposing(store, () => Deno.remove(dir, { recursive: true }));
});

flowContract("mongo", async () => {
  const dbName = `tasks_flow_${RUN_ID}_${++databases}`;
  const store = await openMongoStore({ uri: MONGO_URI, dbName, serverSelectionTimeoutMs: 5000 });
  return disposing(store, async () => {
    const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
    try {
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });
}, {
  ignore: MONGO_URI ? false : "TEST_MONGO_URI is not set",
  // The driver keeps sockets and monitor timers in its pool between calls.
  sanitize: false,
});

Deno.test("sqlite: a keyed claim that stopped its walk part way, whose ready task another process then took, stops saying look again at once: within a few claims the next run time is the delayed tasks'", async () => {
  await using dir = await tempDir("flow_walk_");
  const path = `${dir.path}/tasks.db`;
  await using mine = await openSqliteStore({ path });
  await using other = await openSqliteStore({ path });
  await mine.executorCreate(makeExecutor("flow"));
  const later = T0 + 3_600_000;
  // More keys of delayed tasks than one walk passes, then one key with a task ready.
  const delayed = Array.from({ length: 3000 }, (_, i) =>
    makeTask("flow", {
      groupKey: `d${String(i).padStart(5, "0")}`,
      createdAt: T0 - 10_000,
      runAt: later,
    }));
  await mine.taskInsert([...delayed, makeTask("flow", { groupKey: "ready", createdAt: T0 - 1 })]);
  const claim = (store: typeof mine, flow: FlowControl) =>
    store.taskClaim({
      executorName: "flow",
      limit: 1,
      leaseMs: 60_000,
      owner: "w",
      now: T0,
      maxConcurrency: 0,
      flow,
    });
  const keyed = { ...NO_FLOW_CONTROL, maxConcurrencyPerKey: 1 };
  assert.deepEqual(await claim(mine, keyed), [], "the walk stopped before the ready key");
  assert.equal(await mine.taskNextRunAt(["flow"], T0), T0, "look again at once");
  assert.equal((await claim(other, NO_FLOW_CONTROL)).length, 1, "the other process takes it");
  // Each claim walks on a part of the keys; after whole cycles that found nothing, it waits.
  const nextRuns: (number | null)[] = [];
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(await claim(mine, keyed), []);
    nextRuns.push(await mine.taskNextRunAt(["flow"], T0));
  }
  assert.equal(nextRuns.at(-1), later, `next run times: ${nextRuns.map((t) => t! - T0)}`);
});

Deno.test("sqlite: the keyed claim's reads are index searches, never a scan or a sort", async () => {
  const dir = await Deno.makeTempDir({ prefix: "flow_plan_" });
  try {
    const store = await openSqliteStore({ path: `${dir}/tasks.db` });
    await store[Symbol.asyncDispose]();
    const db = new DatabaseSync(`${dir}/tasks.db`);
    try {
      for (const [name, sql] of Object.entries(FLOW_QUERIES)) {
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((row) => row.detail);
        assert.equal(plan.length, 1, `${name}: ${plan.join("; ")}`);
        assert.match(
          String(plan[0]),
          /^SEARCH tasks USING COVERING INDEX tasks_(pending|running)_group \(executor_name=\? AND group_key[=>]\?\)$/,
          name,
        );
      }
      // The walk to the next key with a ready task: two seeks per key passed, however many tasks
      // each key holds.
      for (const from of [">", ">="] as const) {
        const plan = db.prepare(`EXPLAIN QUERY PLAN ${nextReadyKey(from)}`).all()
          .map((row) => String(row.detail)).filter((line) => / tasks\b/.test(line));
        assert.deepEqual(plan, [
          "SEARCH tasks USING COVERING INDEX tasks_pending_group_due (executor_name=? AND group_key>?)",
          "SEARCH tasks USING COVERING INDEX tasks_pending_group_due (executor_name=? AND group_key=? AND run_at<?)",
          "SEARCH tasks USING COVERING INDEX tasks_pending_group_due (executor_name=? AND group_key>?)",
          "SEARCH tasks USING COVERING INDEX tasks_pending_group_due (executor_name=? AND group_key=? AND run_at<?)",
        ], from);
      }
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Tasks of executor "flow" without a group key, then the executor made keyed by an update. */
async function keyedOver(path: string, count: number) {
  await using store = await openSqliteStore({ path });
  const executor = await store.executorCreate(makeExecutor("flow"));
  for (let i = 0; i < count; i += 5000) {
    await store.taskInsert(
      Array.from({ length: Math.min(5000, count - i) }, () => makeTask("flow", { groupKey: null })),
    );
  }
  return { ...executor, maxConcurrencyPerKey: 1, updatedAt: T0 + 1 };
}

Deno.test("sqlite: an executor made keyed over 50,000 tasks gives the thread back while their keys are written, and every task has one when the update answers", async () => {
  await using dir = await tempDir("flow_keying_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  await using store = await openSqliteStore({ path });
  const reader = new DatabaseSync(path, { readOnly: true });
  const unkeyed = () =>
    Number(
      reader.prepare("SELECT count(*) AS n FROM tasks WHERE group_key IS NULL").get()!.n,
    );
  // What another reader of the file sees at each turn of the event loop during the update: one
  // statement keying every task (which held the thread 0.49 s for 200,000) shows all or none.
  const seen = new Set<number>();
  const sampler = setInterval(() => seen.add(unkeyed()), 0);
  try {
    assert.ok(await store.executorUpdate(keyed, { basedOn: T0 }));
  } finally {
    clearInterval(sampler);
  }
  assert.equal(unkeyed(), 0);
  const between = [...seen].filter((n) => n > 0 && n < count);
  assert.ok(between.length > 0, `tasks without a key seen between turns: ${[...seen]}`);
  reader.close();
  assert.equal(
    Number(
      (await store.taskStats({ now: T0 })).find((s) => s.executorName === "flow")!.byStatus.pending,
    ),
    count,
  );
});

Deno.test("sqlite: a keying a stopped manager left half-way is finished by another manager's resume, and the keyed claim then sees every task", async () => {
  await using dir = await tempDir("flow_keying_resume_");
  const path = `${dir.path}/tasks.db`;
  const count = 12_000;
  const keyed = await keyedOver(path, count);
  {
    await using first = await openSqliteStore({ path });
    assert.ok(await first.executorUpdate(keyed, { basedOn: T0 }));
  }
  // The file as the update's first transaction left it when its manager stopped: the executor
  // keyed and its walk due, no task keyed yet.
  const raw = new DatabaseSync(path);
  raw.exec("UPDATE tasks SET group_key = NULL");
  raw.prepare("UPDATE executors SET keying_version = ? WHERE name = 'flow'").run(keyed.updatedAt);
  raw.close();

  await using second = await openSqliteStore({ path });
  const claim = () =>
    second.taskClaim({
      executorName: "flow",
      limit: 10,
      leaseMs: 60_000,
      owner: "w",
      now: T0,
      maxConcurrency: 0,
      flow: { ...NO_FLOW_CONTROL, maxConcurrencyPerKey: 1 },
    });
  assert.deepEqual(await claim(), [], "tasks without a key wait for the walk");
  const leased = keyed.updatedAt + EXECUTOR_KEYING_LEASE_MS - 1;
  assert.deepEqual(await second.executorKeyingsResume({ now: leased }), [], "its manager's still");
  const resumer = new Resumer(second, { log: createLogger({ level: "error", format: "json" }) });
  assert.deepEqual(await resumer.resumeOnce(), { deletions: [], keyings: ["flow"] });
  assert.equal((await claim()).length, 1, 'one at a time: every task has the key ""');
  const check = new DatabaseSync(path, { readOnly: true });
  assert.equal(
    Number(check.prepare("SELECT count(*) AS n FROM tasks WHERE group_key IS NULL").get()!.n),
    0,
  );
  check.close();
  assert.deepEqual(await resumer.resumeOnce(), { deletions: [], keyings: [] }, "nothing due now");
});

Deno.test("sqlite: an update whose keying walk the store's close cut short is answered as stored, and the walk is left due for the resume", async () => {
  await using dir = await tempDir("flow_keying_close_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  const reader = new DatabaseSync(path, { readOnly: true });
  const unkeyed = () =>
    Number(reader.prepare("SELECT count(*) AS n FROM tasks WHERE group_key IS NULL").get()!.n);
  const store = await openSqliteStore({ path });
  let closed: Promise<void> | null = null;
  const watcher = setInterval(() => {
    const left = unkeyed();
    if (closed === null && left > 0 && left < count) closed = store[Symbol.asyncDispose]();
  }, 0);
  let updated;
  try {
    updated = await store.executorUpdate(keyed, { basedOn: T0 });
  } finally {
    clearInterval(watcher);
  }
  assert.ok(closed !== null, "the store was closed during the walk");
  await closed;
  assert.deepEqual(updated, keyed, "the update is stored, and answered so");
  assert.ok(unkeyed() > 0, "the walk stopped part way");

  await using again = await openSqliteStore({ path });
  assert.deepEqual((await again.executorGet("flow"))?.maxConcurrencyPerKey, 1);
  assert.deepEqual(await again.executorKeyingsResume({ now: Date.now() }), ["flow"]);
  assert.equal(unkeyed(), 0);
  reader.close();
});

/** Runs `during` at each turn of the event loop while `work` runs; answers what `work` did. */
async function atEachTurn<T>(work: Promise<T>, during: () => void): Promise<T> {
  const timer = setInterval(during, 0);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

Deno.test("sqlite: while an executor made keyed has its older tasks keyed, the one already running counts against maxConcurrencyPerKey, and another executor's tasks get no key", async () => {
  await using dir = await tempDir("flow_keying_running_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  await using store = await openSqliteStore({ path });
  await store.executorCreate(makeExecutor("other"));
  await store.taskInsert([makeTask("other", { groupKey: null })]);
  // The task running when the executor becomes keyed has the highest rowid: the last one walked.
  const running = makeTask("flow", { groupKey: null, priority: 9 });
  await store.taskInsert([running]);
  const claim = (flow: FlowControl, limit = 5) =>
    store.taskClaim({
      executorName: "flow",
      limit,
      leaseMs: 60_000,
      owner: "w",
      now: T0,
      maxConcurrency: 0,
      flow,
    });
  assert.deepEqual((await claim(NO_FLOW_CONTROL, 1)).map((task) => task.id), [running.id]);

  const reader = new DatabaseSync(path, { readOnly: true });
  const unkeyed = (name: string) =>
    Number(
      reader.prepare(
        "SELECT count(*) AS n FROM tasks WHERE executor_name = ? AND group_key IS NULL",
      )
        .get(name)!.n,
    );
  const keyedClaims: number[] = [];
  await atEachTurn(store.executorUpdate(keyed, { basedOn: T0 }), () => {
    const left = unkeyed("flow");
    if (left > 0 && left < count) {
      void claim({ ...NO_FLOW_CONTROL, maxConcurrencyPerKey: 1 }).then((tasks) =>
        keyedClaims.push(tasks.length)
      );
    }
  });
  assert.ok(keyedClaims.length > 0, "claims were made during the walk");
  assert.deepEqual(keyedClaims.filter((n) => n > 0), [], 'key "" had its one task running');
  assert.equal(unkeyed("flow"), 0);
  assert.equal(unkeyed("other"), 1, "the other executor's task is left as it was");
  reader.close();
});

Deno.test("sqlite: an executor made keyed no more during its walk ends the walk: no walk is left due, and its tasks are not all given a key", async () => {
  await using dir = await tempDir("flow_keying_unkeyed_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  await using store = await openSqliteStore({ path });
  const reader = new DatabaseSync(path, { readOnly: true });
  const unkeyed = () =>
    Number(reader.prepare("SELECT count(*) AS n FROM tasks WHERE group_key IS NULL").get()!.n);
  let unkeying: Promise<unknown> | null = null;
  await atEachTurn(store.executorUpdate(keyed, { basedOn: T0 }), () => {
    const left = unkeyed();
    if (unkeying === null && left > 0 && left < count) {
      unkeying = store.executorUpdate({ ...keyed, maxConcurrencyPerKey: 0, updatedAt: T0 + 2 }, {
        basedOn: keyed.updatedAt,
      });
    }
  });
  assert.ok(unkeying !== null, "made keyed no more during the walk");
  assert.ok(await unkeying);
  assert.ok(unkeyed() > 0, "the walk stopped");
  const due = reader.prepare("SELECT keying_version FROM executors WHERE name = 'flow'").get();
  assert.equal(due!.keying_version, null);
  assert.deepEqual(await store.executorKeyingsResume({ now: Date.now() }), []);
  reader.close();
});

Deno.test("sqlite: an executor renamed away and back during its walk still has every task keyed once the last rename answers", async () => {
  await using dir = await tempDir("flow_keying_rename_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  await using store = await openSqliteStore({ path });
  const reader = new DatabaseSync(path, { readOnly: true });
  const unkeyed = () =>
    Number(reader.prepare("SELECT count(*) AS n FROM tasks WHERE group_key IS NULL").get()!.n);
  let renames: Promise<unknown> | null = null;
  await atEachTurn(store.executorUpdate(keyed, { basedOn: T0 }), () => {
    const left = unkeyed();
    if (renames === null && left > 0 && left < count) {
      renames = (async () => {
        const away = { ...keyed, name: "elsewhere", updatedAt: T0 + 2 };
        assert.ok(await store.executorUpdate(away, { basedOn: keyed.updatedAt }));
        // Turns for the first walk to take its next step while the name is another.
        await new Promise((resolve) => setTimeout(resolve, 50));
        const back = { ...keyed, updatedAt: T0 + 3 };
        assert.ok(await store.executorUpdate(back, { basedOn: away.updatedAt }));
      })();
    }
  });
  assert.ok(renames !== null, "renamed during the walk");
  await renames;
  assert.equal(unkeyed(), 0);
  reader.close();
});
