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
import { createLogger, setLogger } from "../server/log.ts";

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

/** Tasks of executor "flow" without a group key, and the executor as an update would make it keyed. */
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

/** A read-only connection to the file, counting the tasks of an executor without a key. */
function keyCounter(path: string) {
  const reader = new DatabaseSync(path, { readOnly: true });
  return {
    unkeyed: (executor = "flow") =>
      Number(
        reader.prepare(
          "SELECT count(*) AS n FROM tasks WHERE executor_name = ? AND group_key IS NULL",
        ).get(executor)!.n,
      ),
    due: () =>
      reader.prepare("SELECT keying_version FROM executors WHERE name = 'flow'").get()
        ?.keying_version,
    [Symbol.dispose]: () => reader.close(),
  };
}

/**
 * Turns of the event loop (timer turns, where a walk between its steps lets others run) until
 * `done()`, running `during` at each; gives up after 30 s.
 */
async function turnsUntil(done: () => boolean, during: () => void = () => {}): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    assert.ok(Date.now() < deadline, "not done after 30 s");
    during();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** A store whose executor "flow" was made keyed over 50,000 tasks, its walk under way. */
async function midWalk(prefix: string) {
  const dir = await tempDir(prefix);
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  const store = await openSqliteStore({ path });
  const keys = keyCounter(path);
  assert.ok(await store.executorUpdate(keyed, { basedOn: T0 }));
  await turnsUntil(() => keys.unkeyed() < count);
  return {
    path,
    keyed,
    store,
    keys,
    async [Symbol.asyncDispose]() {
      keys[Symbol.dispose]();
      await store[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("sqlite: an executor made keyed over 50,000 tasks has their keys written by a walk that gives the thread back between steps; the update answers before it ends", async () => {
  await using dir = await tempDir("flow_keying_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  await using store = await openSqliteStore({ path });
  using keys = keyCounter(path);
  assert.deepEqual(await store.executorUpdate(keyed, { basedOn: T0 }), keyed);
  assert.ok(keys.unkeyed() > 0, "the walk runs on after the update answered");
  // What another reader of the file sees at each turn: one statement keying every task (which
  // held the thread 0.49 s for 200,000) shows all or none.
  const seen = new Set<number>();
  await turnsUntil(() => keys.unkeyed() === 0, () => seen.add(keys.unkeyed()));
  const between = [...seen].filter((n) => n > 0 && n < count);
  assert.ok(between.length > 1, `tasks without a key seen between turns: ${[...seen]}`);
  assert.equal(keys.due(), null, "the walk is no longer due");
});

Deno.test("sqlite: while an executor made keyed has its older tasks keyed, every task running counts against maxConcurrencyPerKey — the one running before, and one a manager not yet aware of the change claims without keys — and another executor's tasks get no key", async () => {
  await using dir = await tempDir("flow_keying_running_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyedOver(path, count);
  await using store = await openSqliteStore({ path });
  await store.executorCreate(makeExecutor("other"));
  await store.taskInsert([makeTask("other", { groupKey: null })]);
  // The task running when the executor becomes keyed has the highest rowid: the last one walked.
  const running = makeTask("flow", { groupKey: null, priority: 9 });
  // And so does the one the stale claim below takes (its priority first).
  const stale = makeTask("flow", { groupKey: null, priority: 5 });
  await store.taskInsert([running, stale]);
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
  const keyedFlow = { ...NO_FLOW_CONTROL, maxConcurrencyPerKey: 2 };

  using keys = keyCounter(path);
  assert.ok(await store.executorUpdate({ ...keyed, ...keyedFlow }, { basedOn: T0 }));
  let staleClaims = 0;
  const keyedClaims: number[] = [];
  await turnsUntil(() => keys.unkeyed() === 0, () => {
    if (staleClaims === 0) {
      // A manager whose copy of the executor is older claims without keys.
      staleClaims = 1;
      void claim(NO_FLOW_CONTROL, 1).then((tasks) =>
        assert.deepEqual(tasks.map((task) => task.id), [stale.id])
      );
    } else {
      void claim(keyedFlow).then((tasks) => keyedClaims.push(tasks.length));
    }
  });
  assert.ok(keyedClaims.length > 0, "keyed claims were made during the walk");
  assert.deepEqual(keyedClaims.filter((n) => n > 0), [], 'key "" always had its two tasks running');
  assert.equal(keys.unkeyed("other"), 1, "the other executor's task is left as it was");
});

/**
 * Executor "flow" made keyed over `count` tasks, and the file then set back to what the update's
 * first transaction left when its manager stopped: the walk due, no task keyed yet.
 */
async function keyingLeftHalfWay(path: string, count: number) {
  const keyed = await keyedOver(path, count);
  {
    await using store = await openSqliteStore({ path });
    assert.ok(await store.executorUpdate(keyed, { basedOn: T0 }));
  }
  const raw = new DatabaseSync(path);
  raw.exec("UPDATE tasks SET group_key = NULL");
  raw.prepare("UPDATE executors SET keying_version = ? WHERE name = 'flow'").run(keyed.updatedAt);
  raw.close();
  return keyed;
}

Deno.test("sqlite: a keying a stopped manager left half-way is finished by another manager's resume, and the keyed claim then sees every task", async () => {
  await using dir = await tempDir("flow_keying_resume_");
  const path = `${dir.path}/tasks.db`;
  const keyed = await keyingLeftHalfWay(path, 12_000);

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

/** Collects the warnings and errors logged while it is in use (the store logs to `log`). */
function loggedProblems(): { lines: string[] } & Disposable {
  const lines: string[] = [];
  const note = (msg: string) => lines.push(msg);
  setLogger({ debug: () => {}, info: () => {}, warn: note, error: note });
  return {
    lines,
    [Symbol.dispose]: () => setLogger(createLogger({ level: "warn", format: "json" })),
  };
}

Deno.test("sqlite: a keying walk the store's close cut short stops at its next step, quietly, and stays due; the resume finishes it", async () => {
  using problems = loggedProblems();
  await using walk = await midWalk("flow_keying_close_");
  await walk.store[Symbol.asyncDispose]();
  assert.deepEqual(problems.lines, [], "a walk stopped, not failed on the closed file");
  assert.ok(walk.keys.unkeyed() > 0, "the walk stopped part way");
  assert.equal(walk.keys.due(), walk.keyed.updatedAt);
  await using again = await openSqliteStore({ path: walk.path });
  assert.deepEqual(await again.executorKeyingsResume({ now: Date.now() }), ["flow"]);
  assert.equal(walk.keys.unkeyed(), 0);
});

Deno.test("sqlite: an executor made keyed no more during its walk ends the walk: no walk is left due, and its tasks are not all given a key", async () => {
  await using walk = await midWalk("flow_keying_unkeyed_");
  const { store, keys, keyed } = walk;
  const unkeyed = { ...keyed, maxConcurrencyPerKey: 0, updatedAt: T0 + 2 };
  assert.ok(await store.executorUpdate(unkeyed, { basedOn: keyed.updatedAt }));
  assert.equal(keys.due(), null);
  const left = keys.unkeyed();
  // Turns enough for the walk's next steps, had it gone on.
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(
    left > 0 && keys.unkeyed() === left,
    `tasks without a key: ${left}, then ${keys.unkeyed()}`,
  );
  assert.deepEqual(await store.executorKeyingsResume({ now: Date.now() }), []);
});

Deno.test("sqlite: an executor renamed away and back during its walk has every task keyed in the end", async () => {
  await using walk = await midWalk("flow_keying_rename_");
  const { store, keys, keyed } = walk;
  const away = { ...keyed, name: "elsewhere", updatedAt: T0 + 2 };
  assert.ok(await store.executorUpdate(away, { basedOn: keyed.updatedAt }));
  // Turns for the first walk to take its next step while the name is another.
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  const back = { ...keyed, updatedAt: T0 + 3 };
  assert.ok(await store.executorUpdate(back, { basedOn: away.updatedAt }));
  await turnsUntil(() => keys.unkeyed() === 0);
  assert.equal(keys.due(), null);
});

Deno.test("sqlite: closing the store while a resume runs its walks stops them, quietly: none runs on the closed file, and those not finished stay due", async () => {
  await using dir = await tempDir("flow_keying_close_resume_");
  const path = `${dir.path}/tasks.db`;
  {
    await using store = await openSqliteStore({ path });
    for (const name of ["a", "b"]) {
      await store.executorCreate(makeExecutor(name));
      for (let i = 0; i < 20_000; i += 5000) {
        await store.taskInsert(Array.from({ length: 5000 }, () => makeTask(name)));
      }
    }
  }
  // Both walks due, as a stopped manager left them.
  const raw = new DatabaseSync(path);
  raw.exec(`UPDATE executors SET keying_version = ${T0 + 1}`);
  raw.close();
  using problems = loggedProblems();
  const store = await openSqliteStore({ path });
  const resume = store.executorKeyingsResume({ now: Date.now() });
  using keys = keyCounter(path);
  await turnsUntil(() => keys.unkeyed("a") < 20_000);
  await store[Symbol.asyncDispose]();
  assert.deepEqual(await resume, []);
  assert.deepEqual(problems.lines, []);
  assert.ok(keys.unkeyed("a") > 0 && keys.unkeyed("b") === 20_000);
  const check = new DatabaseSync(path, { readOnly: true });
  const due = check.prepare("SELECT count(*) AS n FROM executors WHERE keying_version IS NOT NULL");
  assert.equal(Number(due.get()!.n), 2);
  check.close();
});

Deno.test("sqlite: stopping the Resumer while it runs a keying walk stops the walk at its next step; the walk stays due", async () => {
  await using dir = await tempDir("flow_keying_resumer_stop_");
  const path = `${dir.path}/tasks.db`;
  const count = 50_000;
  const keyed = await keyingLeftHalfWay(path, count);
  await using store = await openSqliteStore({ path });
  using keys = keyCounter(path);
  const resumer = new Resumer(store, { log: createLogger({ level: "error", format: "json" }) });
  resumer.start();
  try {
    await turnsUntil(() => keys.unkeyed() < count);
  } finally {
    await resumer.stop();
  }
  assert.ok(keys.unkeyed() > 0, "the walk stopped part way: the stop did not wait for its end");
  assert.equal(keys.due(), keyed.updatedAt);
});
