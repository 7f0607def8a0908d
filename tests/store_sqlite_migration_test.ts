/**
 * The embedded store opens files written by earlier versions. The fixture
 * `tests/fixtures/sqlite_v7_dlq.sql` is a store written by schema version 7, whose DLQ was a
 * separate `dlq` table holding a JSON copy of each dead task; `sqlite_v7_dlq.json` is what that
 * version's verbs answered on it. Both were made once by the script in the fixture's header, run
 * on that version's code; the file is rebuilt here from the SQL text with `node:sqlite`.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { flowOf } from "../server/domain/flow.ts";
import type { Task } from "../server/domain/task.ts";
import { SCHEMA_VERSION } from "../server/store/sqlite/schema.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { makeExecutor, makeTask } from "./store_contract.ts";
import { tempDir } from "./fixtures/temp_dir.ts";

const T0 = 1_700_000_000_000;
const FIXTURE = new URL("./fixtures/sqlite_v7_dlq.sql", import.meta.url);
const ANSWERS = new URL("./fixtures/sqlite_v7_dlq.json", import.meta.url);

/** A temp dir holding the version 7 file, as `path`; removes itself. */
async function version7File(): Promise<{ path: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "store_sqlite_migration_" });
  const path = `${dir}/tasks.db`;
  const db = new DatabaseSync(path);
  try {
    db.exec(await Deno.readTextFile(FIXTURE));
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, 7);
  } finally {
    db.close();
  }
  return { path, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("sqlite: a store written by schema version 7 opens and its DLQ reads back the same", async () => {
  await using file = await version7File();
  const before = JSON.parse(await Deno.readTextFile(ANSWERS));
  {
    await using store = await openSqliteStore({ path: file.path });
    assert.deepEqual((await store.dlqList({}, { limit: 100 })).items, before.list);
    for (const [id, entry] of Object.entries(before.gets)) {
      assert.deepEqual(await store.dlqGet(id), entry, `dlqGet("${id}")`);
    }
    for (const [id, task] of Object.entries(before.tasks) as [string, Task][]) {
      // Except the worker a pending task still named (t7, pending again after a failed attempt
      // of w1): version 11 clears it, as pending tasks name no worker now.
      const expected = task.status === "pending" ? { ...task, workerId: null } : task;
      assert.deepEqual(await store.taskGet(id), expected, `taskGet("${id}")`);
    }
    assert.equal(before.tasks.t7.workerId, "w1");
    assert.equal((await store.taskGet("t7"))!.workerId, null);
    assert.deepEqual(await store.taskStats({ now: T0 + 6000 }), before.stats);
    const page = await store.dlqList({ executorName: "resize.image" }, { limit: 1 });
    assert.deepEqual(page.items.map((entry) => entry.id), ["t4"]);
    const next = await store.dlqList({ executorName: "resize.image" }, {
      limit: 1,
      cursor: page.nextCursor!,
    });
    assert.deepEqual(next.items.map((entry) => entry.id), ["t3"]);
    assert.deepEqual(
      (await store.dlqList({ reason: "non_retryable" }, { limit: 10 })).items.map((e) => e.id),
      ["t2"],
    );
  }
  const db = new DatabaseSync(file.path);
  try {
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
    const table = db.prepare("SELECT name FROM sqlite_master WHERE name = 'dlq'").get();
    assert.equal(table, undefined, "the dlq table is gone");
  } finally {
    db.close();
  }
});

Deno.test("sqlite: the DLQ of a migrated version 7 store requeues, purges and deletes", async () => {
  await using file = await version7File();
  await using store = await openSqliteStore({ path: file.path });
  const requeued = (await store.dlqRequeue("t1", { now: T0 + 9000 }))!;
  assert.equal(requeued.status, "pending");
  assert.equal(requeued.attempt, 0);
  assert.equal(requeued.run, 2);
  assert.equal(requeued.runAt, T0 + 9000);
  assert.deepEqual(requeued.data, { n: 1 });
  assert.equal(await store.dlqGet("t1"), null);
  assert.equal(await store.dlqRequeue("t1", { now: T0 + 9000 }), null, "requeued once only");

  assert.equal(await store.dlqPurge({ executorName: "resize.image" }), 2);
  assert.equal(await store.taskGet("t3"), null);
  assert.equal(await store.taskGet("t4"), null);
  assert.deepEqual((await store.dlqList({}, { limit: 10 })).items.map((e) => e.id), ["t2"]);

  assert.equal(await store.dlqDelete("t2"), true);
  assert.equal(await store.taskGet("t2"), null);
  assert.deepEqual((await store.dlqList({}, { limit: 10 })).items, []);
  const stats = await store.taskStats({ now: T0 + 9000 });
  assert.deepEqual(stats.map((s) => [s.executorName, s.dlqSize]), [["send_email", 0]]);

  // Dead again after the requeue: the new facts, not the migrated ones.
  const claims = await store.taskClaim({
    executorName: "send_email",
    limit: 10,
    leaseMs: 1000,
    owner: "w",
    now: T0 + 9000,
    maxConcurrency: 0,
  });
  assert.deepEqual(claims.map((task) => task.id).sort(), ["t1", "t7"]);
  const claimed = claims.find((task) => task.id === "t1")!;
  const error = { attempt: 1, message: "again", at: T0 + 9500, workerId: "w", run: 2 };
  await store.taskSettle([{
    taskId: "t1",
    leaseToken: claimed.leaseToken!,
    settlement: { kind: "dlq", error, reason: "timeout", queueName: "later" },
  }], { now: T0 + 9500 });
  const entry = (await store.dlqGet("t1"))!;
  assert.deepEqual([entry.reason, entry.queueName, entry.deadAt], ["timeout", "later", T0 + 9500]);
});

Deno.test("sqlite: opening a version 8 file marks a keying walk due for each keyed executor, which finds tasks an earlier version left without a key", async () => {
  await using dir = await tempDir("store_sqlite_migration_v8_");
  const path = `${dir.path}/tasks.db`;
  const keyed = makeExecutor("keyed", { maxConcurrencyPerKey: 1 });
  {
    await using store = await openSqliteStore({ path });
    await store.executorCreate(keyed);
    await store.executorCreate(makeExecutor("plain"));
    await store.taskInsert([makeTask("keyed"), makeTask("plain")]);
  }
  // The file as version 8 left it, one task of the keyed executor without a key (inserted by a
  // version that keyed it by its creator's older copy of the executor).
  const raw = new DatabaseSync(path);
  raw.exec("UPDATE tasks SET group_key = NULL");
  raw.exec("ALTER TABLE executors DROP COLUMN keying_version");
  raw.exec("PRAGMA user_version = 8");
  raw.close();

  await using store = await openSqliteStore({ path });
  assert.deepEqual(await store.executorKeyingsResume({ now: Date.now() }), ["keyed"]);
  const check = new DatabaseSync(path, { readOnly: true });
  const keys = check.prepare("SELECT executor_name, group_key FROM tasks ORDER BY executor_name")
    .all();
  check.close();
  assert.deepEqual(keys.map((row) => ({ ...row })), [
    { executor_name: "keyed", group_key: "" },
    { executor_name: "plain", group_key: null },
  ]);
});

Deno.test("sqlite: opening a version 9 file turns a group key holding U+0000 (read back cut there, it stopped every task of its executor) into no key, and the executor's tasks are claimed", async () => {
  await using dir = await tempDir("store_sqlite_migration_v9_");
  const path = `${dir.path}/tasks.db`;
  const keyed = makeExecutor("keyed", { maxConcurrencyPerKey: 1 });
  {
    await using store = await openSqliteStore({ path });
    await store.executorCreate(keyed);
    await store.taskInsert([makeTask("keyed"), makeTask("keyed")]);
  }
  // As version 9 left it: one task keyed "a\0x", as its data gave.
  const raw = new DatabaseSync(path);
  raw.exec(
    "UPDATE tasks SET group_key = 'a' || char(0) || 'x' WHERE rowid = (SELECT min(rowid) FROM tasks)",
  );
  raw.exec("UPDATE tasks SET group_key = 'b' WHERE group_key IS NOT 'a' || char(0) || 'x'");
  raw.exec("PRAGMA user_version = 9");
  raw.close();

  {
    await using store = await openSqliteStore({ path });
    const check = new DatabaseSync(path, { readOnly: true });
    const keys = check.prepare("SELECT hex(group_key) AS key FROM tasks ORDER BY key").all();
    check.close();
    assert.deepEqual(keys.map((row) => row.key), ["", "62"]);
    // A keyed claim takes both: the one whose key was cut, and the other.
    const claimed = await store.taskClaim({
      executorName: "keyed",
      limit: 10,
      leaseMs: 30_000,
      owner: "w1",
      now: Date.now() + 1000,
      maxConcurrency: 0,
      flow: flowOf(keyed),
    });
    assert.equal(claimed.length, 2);
  }
});

Deno.test("sqlite: opening a version 10 file clears the worker that pending tasks still named (an attempt that was over), and opening it again changes nothing", async () => {
  await using dir = await tempDir("store_sqlite_migration_v10_");
  const path = `${dir.path}/tasks.db`;
  const ids = { pending: "", delayed: "", running: "", failed: "", fresh: "" };
  {
    await using store = await openSqliteStore({ path });
    await store.executorCreate(makeExecutor("a"));
    const tasks = Object.keys(ids).map(() => makeTask("a"));
    await store.taskInsert(tasks);
    Object.keys(ids).forEach((key, i) => ids[key as keyof typeof ids] = tasks[i].id);
  }
  // As version 10 left them: tasks pending again after an attempt still naming its worker, one
  // running, one that ended with a worker, and one never claimed.
  const raw = new DatabaseSync(path);
  const set = raw.prepare(
    "UPDATE tasks SET status = ?, worker_id = ?, lease_token = ? WHERE id = ?",
  );
  set.run("pending", "w-old", null, ids.pending);
  set.run("pending", "w-old2", null, ids.delayed);
  set.run("in_progress", "w-now", "lease-1", ids.running);
  set.run("failed", "w-end", null, ids.failed);
  raw.exec("PRAGMA user_version = 10");
  raw.close();

  const workers = () => {
    const check = new DatabaseSync(path, { readOnly: true });
    try {
      return Object.fromEntries(
        check.prepare("SELECT id, worker_id FROM tasks").all().map((
          row,
        ) => [row.id, row.worker_id]),
      );
    } finally {
      check.close();
    }
  };
  const expected = {
    [ids.pending]: null,
    [ids.delayed]: null,
    [ids.running]: "w-now",
    [ids.failed]: "w-end",
    [ids.fresh]: null,
  };
  for (let open = 1; open <= 2; open++) {
    {
      await using store = await openSqliteStore({ path });
      assert.equal((await store.taskGet(ids.pending))!.workerId, null, `open ${open}`);
      assert.equal((await store.taskGet(ids.running))!.leaseToken, "lease-1");
    }
    assert.deepEqual(workers(), expected, `open ${open}`);
  }
  const version = new DatabaseSync(path, { readOnly: true });
  assert.equal(version.prepare("PRAGMA user_version").get()?.user_version, SCHEMA_VERSION);
  version.close();
});
