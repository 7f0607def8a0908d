/**
 * The embedded store's long walks — lists and bulk listings by status, searches, stats, history
 * reads and prunes — read by index searches that stop where they are told (plans checked with
 * EXPLAIN QUERY PLAN), give the thread back between statements, and answer what one sorted read
 * answers. Nothing here is timed: a timer set before a walk fires before it ends only if the walk
 * let the event loop turn (tests/fixtures/turns.ts).
 */
import assert from "node:assert/strict";
import { DatabaseSync, StatementSync } from "node:sqlite";
import { MINUTE_MS } from "../server/domain/history.ts";
import type { TaskStatus } from "../server/domain/task.ts";
import { openSqliteStore, type SqliteStore } from "../server/store/sqlite/store.ts";
import type { TaskFilter } from "../server/store/store.ts";
import { makeDelta } from "./history_contract.ts";
import { makeExecutor, makeTask, T0 } from "./store_contract.ts";
import { PAGE_READ_BURST_MS, PAGE_READ_SHARE } from "../server/thread_slices.ts";
import { timerDuring } from "./fixtures/turns.ts";
import { SqliteConnection } from "../server/store/sqlite/connection.ts";

/** A store on a fresh file, and a second connection on it for plans and expected answers. */
async function storeAndFile(): Promise<
  { store: SqliteStore; db: DatabaseSync } & AsyncDisposable
> {
  const dir = await Deno.makeTempDir({ prefix: "store_sqlite_slices_" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  const db = new DatabaseSync(`${dir}/tasks.db`);
  return {
    store,
    db,
    [Symbol.asyncDispose]: async () => {
      db.close();
      await store[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Every SQL text prepared (on any connection) while `work` runs. */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const prototype = DatabaseSync.prototype;
  const prepare = prototype.prepare;
  prototype.prepare = function (this: DatabaseSync, sql: string) {
    seen.push(sql);
    return prepare.call(this, sql);
  };
  try {
    await work();
  } finally {
    prototype.prepare = prepare;
  }
  return seen;
}

/**
 * Why `sql`'s plan may read more than it answers: a table scan (but of the primary key in id
 * order with nothing to filter, which stops at the LIMIT), or a temporary b-tree (a sort of
 * everything that matches); `null` when it reads only what it answers (index searches).
 */
function unboundedStep(db: DatabaseSync, sql: string): string | null {
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all().map((row) => String(row.detail));
  const flat = sql.replace(/\s+/g, " ");
  for (const step of plan) {
    if (/TEMP B-TREE/.test(step)) return step;
    if (!/^SCAN (tasks|history\w*)\b/.test(step)) continue;
    const where = /WHERE (.*) ORDER BY id DESC LIMIT/.exec(flat)?.[1];
    const byIdOnly = / ORDER BY id DESC LIMIT /.test(flat) &&
      (where ?? "").split(" AND ").every((term) => term === "" || /^id [<>]=? \$\w+$/.test(term));
    if (/^SCAN tasks USING (COVERING )?INDEX sqlite_autoindex_tasks_1$/.test(step) && byIdOnly) {
      continue;
    }
    return step;
  }
  return null;
}

/** Inserts one pending task per executor `x0000`…, created one ms apart (so ids sort that way). */
async function oneTaskEach(store: SqliteStore, executors: number): Promise<string[]> {
  const outcomes = await store.taskInsert(
    Array.from(
      { length: executors },
      (_, i) => makeTask(`x${String(i).padStart(4, "0")}`, { createdAt: T0 + i }),
    ),
  );
  return outcomes.map((o) => o.task.id);
}

Deno.test("sqlite: lists, bulk listings, searches, stats, the retention purge and history read by index searches: no table scan, no sort", async () => {
  await using file = await storeAndFile();
  const { store, db } = file;
  const tasks = Array.from(
    { length: 40 },
    (_, i) => makeTask(`e${i % 4}`, { createdAt: T0 + i, metadata: { m: "1" } }),
  );
  await store.taskInsert(tasks);
  const claimed = await store.taskClaim({
    executorName: "e1",
    limit: 5,
    leaseMs: 60_000,
    owner: "w",
    now: T0 + 100,
    maxConcurrency: 0,
  });
  await store.taskSettle(
    claimed.map((t) => ({
      taskId: t.id,
      leaseToken: t.leaseToken!,
      settlement: { kind: "completed", result: null },
    })),
    { now: T0 + 200 },
  );
  await store.history.historyAdd([makeDelta("e0", 0, { created: 1 }), makeDelta("e1", 1)]);
  const search = { metadata: { key: "m", value: "2" } };
  const listings: TaskFilter[] = [
    {},
    { status: ["pending"] },
    { status: ["failed", "in_progress"] },
    { executorName: "e1" },
    { executorName: "e1", status: ["completed"] },
    { status: ["pending"], createdAfter: T0 + 3, createdBefore: T0 + 30 },
    { finishedAfter: T0 },
    { status: ["completed"], finishedBefore: T0 + 1000 },
  ];
  const statements = await statementsOf(async () => {
    for (const filter of listings) {
      await store.taskList(filter, { limit: 3, maxBytes: 1 << 20, scanLimit: 20 });
      await store.taskListRefs(filter, { limit: 3, scanLimit: 20 });
      await store.taskList(filter, { limit: 3, scanLimit: 100 });
    }
    for (const query of [{}, { status: ["failed" as TaskStatus] }, { executorName: "e2" }]) {
      await store.search.taskSearch({ ...query, search, limit: 5, scanLimit: 100, budgetMs: 1e4 });
    }
    await store.taskStats({ now: T0 });
    await store.taskPurgeFinished({ before: T0 + 1000, limit: 2 });
    const hour = { from: T0 - 60 * MINUTE_MS, to: T0 + 60 * MINUTE_MS, step: MINUTE_MS };
    await store.history.historyRead(hour);
    await store.history.historyRead({ ...hour, executorName: "e0" });
    // By whole hours and quarters over a day: the minutes of the first hour, then the roll-ups.
    const day = Math.floor(T0 / (60 * MINUTE_MS)) * 60 * MINUTE_MS;
    for (const step of [15 * MINUTE_MS, 60 * MINUTE_MS]) {
      await store.history.historyRead({ from: day, to: day + 1440 * MINUTE_MS, step });
      await store.history.historyRead({
        from: day,
        to: day + 1440 * MINUTE_MS,
        step,
        executorName: "e0",
      });
    }
    await store.history.historyPrune(T0 + 60 * MINUTE_MS);
  });
  const reads = [...new Set(statements)].filter((sql) =>
    /\b(FROM|INTO) (tasks|history\w*)\b/.test(sql)
  )
    .filter((sql) => !/^\s*INSERT/.test(sql));
  assert.ok(reads.length > 10, `statements seen: ${reads.length}`);
  for (const table of ["history_15m", "history_60m"]) {
    assert.ok(reads.some((sql) => sql.includes(`FROM ${table} `)), `${table} was read`);
  }
  for (const sql of reads) {
    const step = unboundedStep(db, sql);
    assert.equal(step, null, `${sql.replace(/\s+/g, " ").slice(0, 300)}\n  reads more: ${step}`);
  }
});

Deno.test("sqlite: a list and a bulk listing by status over 2,000 executors give the thread back: a timer set before them runs meanwhile", async () => {
  await using file = await storeAndFile();
  const { store } = file;
  const ids = await oneTaskEach(store, 2000);
  const newest = ids.toReversed();
  const listed = await timerDuring(() =>
    store.taskListRefs({ status: ["pending", "failed"] }, { limit: 1000 })
  );
  assert.ok(listed.timerFirst, "the listing gave the thread back");
  assert.deepEqual(listed.result.items.map((t) => t.id), newest.slice(0, 1000));
  assert.equal(listed.result.nextCursor, newest[999]);
  const page = await timerDuring(() =>
    store.taskList({ status: ["pending"], createdAfter: T0 }, {
      limit: 1000,
      cursor: newest[999],
    })
  );
  assert.ok(page.timerFirst, "the list gave the thread back");
  assert.deepEqual(page.result.items.map((t) => t.id), newest.slice(1000));
  assert.equal(page.result.nextCursor, null);
});

Deno.test("sqlite: taskStats() over 2,000 executors gives the thread back and counts what one GROUP BY counts", async () => {
  await using file = await storeAndFile();
  const { store, db } = file;
  await oneTaskEach(store, 2000);
  await store.taskTransitionMany(
    (await store.taskListRefs({ executorName: "x0007" }, { limit: 5 })).items.map((t) => t.id),
    { from: "pending", to: "cancelled", now: T0 + 5 },
  );
  const { timerFirst, result } = await timerDuring(() => store.taskStats({ now: T0 + 10_000 }));
  assert.ok(timerFirst, "the count gave the thread back");
  const expected = db.prepare(
    "SELECT executor_name, status, count(*) AS n FROM tasks GROUP BY executor_name, status",
  ).all();
  const counted = result.flatMap((s) =>
    Object.entries(s.byStatus).filter(([, n]) => n > 0).map(([status, n]) =>
      [s.executorName, status, n].join(" ")
    )
  );
  assert.deepEqual(counted, expected.map((r) => [r.executor_name, r.status, r.n].join(" ")));
  assert.equal(result.length, 2000);
  assert.equal(result[0].oldestPendingRunAt, T0);
  assert.equal(result[7].byStatus.cancelled, 1);
  assert.equal(result[7].oldestPendingRunAt, null);
});

Deno.test("sqlite: lists, bulk listings and searches by status and executor answer the pages of one sorted read, across index chunks", async () => {
  await using file = await storeAndFile();
  const { store, db } = file;
  // "big" has ranges longer than a chunk (1,000 ids); 30 small executors interleave with it.
  const tasks = Array.from(
    { length: 3600 },
    (_, i) =>
      makeTask(i % 10 === 0 ? `s${i % 30}` : "big", {
        createdAt: T0 + i,
        metadata: { even: String(i % 2 === 0) },
      }),
  );
  await store.taskInsert(tasks);
  const cancel = tasks.filter((_, i) => i % 3 === 0).map((t) => t.id);
  for (let at = 0; at < cancel.length; at += 500) {
    await store.taskTransitionMany(cancel.slice(at, at + 500), {
      from: "pending",
      to: "cancelled",
      now: T0 + 10_000 + at,
    });
  }
  await store.taskClaim({
    executorName: "big",
    limit: 700,
    leaseMs: 60_000,
    owner: "w",
    now: T0 + 20_000,
    maxConcurrency: 0,
  });
  const sorted = (where: string, ...params: (string | number)[]) =>
    db.prepare(`SELECT id FROM tasks ${where ? `WHERE ${where}` : ""} ORDER BY id DESC`)
      .all(...params).map((row) => row.id as string);
  const cases: [TaskFilter, string[]][] = [
    [{}, sorted("")],
    [{ status: ["pending"] }, sorted("status = 'pending'")],
    [{ status: ["cancelled", "in_progress"] }, sorted("status IN ('cancelled', 'in_progress')")],
    [{ executorName: "big" }, sorted("executor_name = 'big'")],
    [
      { executorName: "s10", status: ["cancelled"] },
      sorted("executor_name = 's10' AND status = 'cancelled'"),
    ],
    [
      { status: ["pending", "cancelled"], createdAfter: T0 + 500, createdBefore: T0 + 3100 },
      sorted(
        "status IN ('pending', 'cancelled') AND created_at >= ? AND created_at < ?",
        T0 + 500,
        T0 + 3100,
      ),
    ],
  ];
  for (const [filter, expected] of cases) {
    for (const limit of [1000, 333]) {
      const seen: string[] = [];
      const refs: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.taskList(filter, { cursor, limit });
        const refPage = await store.taskListRefs(filter, { cursor, limit });
        seen.push(...page.items.map((t) => t.id));
        refs.push(...refPage.items.map((t) => t.id));
        assert.equal(refPage.nextCursor, page.nextCursor);
        if (page.nextCursor) assert.equal(page.nextCursor, page.items.at(-1)!.id);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(seen, expected, `${JSON.stringify(filter)} by ${limit}`);
      assert.deepEqual(refs, expected, `${JSON.stringify(filter)} refs by ${limit}`);
    }
  }
  // A search looks at the same tasks in the same order, and matches by metadata among them.
  const even = { metadata: { key: "even", value: "true" } };
  for (
    const query of [{ status: ["cancelled", "in_progress"] as TaskStatus[] }, {
      executorName: "big",
    }]
  ) {
    const filter = query.status
      ? "status IN ('cancelled', 'in_progress')"
      : "executor_name = 'big'";
    const looked = sorted(filter);
    const page = await store.search.taskSearch({
      ...query,
      search: even,
      limit: 100_000,
      scanLimit: 1500,
      budgetMs: 60_000,
    });
    assert.equal(page.scanned, 1500);
    assert.equal(page.nextCursor, looked[1499]);
    const matched = new Set(sorted(`${filter} AND json_extract(metadata, '$.even') = 'true'`));
    assert.deepEqual(
      page.items.map((t) => t.id),
      looked.slice(0, 1500).filter((id) => matched.has(id)),
    );
  }
});

Deno.test("sqlite: historyRead() and historyPrune() over 4,000 quarter-hour roll-up rows read and delete them chunk by chunk, as one statement would", async () => {
  await using file = await storeAndFile();
  const { store, db } = file;
  const hour = 60 * MINUTE_MS;
  const from = Math.ceil(T0 / hour) * hour;
  // The first add sets the roll-ups' start at `from`; then 600 minutes of 100 executors.
  await store.history.historyAdd([{ ...makeDelta("e0", 0), minute: from - MINUTE_MS }]);
  const deltas = [];
  for (let m = 0; m < 600; m++) {
    for (let e = 0; e < 100; e++) {
      deltas.push({
        ...makeDelta(`e${e}`, 0, { created: 1, completed: e }),
        minute: from + m * MINUTE_MS,
      });
    }
  }
  await store.history.historyAdd(deltas);
  assert.equal(db.prepare("SELECT count(*) AS n FROM history_15m").get()?.n, 4001);
  const step = 15 * MINUTE_MS;
  const read = await store.history.historyRead({ from, to: from + 600 * MINUTE_MS, step });
  assert.deepEqual(
    read.map((p) => [p.at, p.counts.created, p.counts.completed]),
    Array.from({ length: 40 }, (_, k) => [from + k * step, 1500, 15 * 4950]),
  );
  const one = await store.history.historyRead({
    from,
    to: from + 600 * MINUTE_MS,
    step: 5 * hour,
    executorName: "e7",
  });
  assert.deepEqual(one.map((p) => [p.at, p.counts.created, p.counts.completed]), [
    [from, 300, 2100],
    [from + 5 * hour, 300, 2100],
  ]);
  // Every minute goes: every roll-up row with it, the one before `from` too.
  assert.equal(await store.history.historyPrune(from + 600 * MINUTE_MS), 60_001);
  for (const table of ["history", "history_15m", "history_60m"]) {
    assert.equal(db.prepare(`SELECT count(*) AS n FROM ${table}`).get()?.n, 0, table);
  }
});

Deno.test("sqlite: historyRead() and historyPrune() over 60,000 rows give the thread back and answer what one statement answers", async () => {
  await using file = await storeAndFile();
  const { store, db } = file;
  const deltas = [];
  for (let m = 0; m < 600; m++) {
    for (let e = 0; e < 100; e++) deltas.push(makeDelta(`e${e}`, m, { created: 1, completed: e }));
  }
  await store.history.historyAdd(deltas);
  const from = deltas[0].minute;
  const step = 60 * MINUTE_MS;
  const read = await timerDuring(() =>
    store.history.historyRead({ from, to: from + 600 * MINUTE_MS, step })
  );
  assert.ok(read.timerFirst, "the read gave the thread back");
  assert.deepEqual(
    read.result.map((p) => p.at),
    Array.from({ length: 10 }, (_, k) => from + k * step),
  );
  for (const point of read.result) {
    assert.equal(point.counts.created, 6000);
    assert.equal(point.counts.completed, 60 * 4950);
  }
  const one = await store.history.historyRead({
    from: from + 30 * MINUTE_MS,
    to: from + 90 * MINUTE_MS,
    step,
    executorName: "e3",
  });
  assert.deepEqual(one.map((p) => [p.at, p.counts.created, p.counts.completed]), [
    [from + 30 * MINUTE_MS, 60, 180],
  ]);
  const pruned = await timerDuring(() => store.history.historyPrune(from + 599 * MINUTE_MS));
  assert.ok(pruned.timerFirst, "the prune gave the thread back");
  assert.equal(pruned.result, 59_900);
  assert.equal(db.prepare("SELECT count(*) AS n FROM history").get()?.n, 100);
});

Deno.test("page reads take turns one at a time, reader by reader: of six lists asked at once the second starts after the event loop turned, and another reader's list asked meanwhile is the next to start, not behind the first reader's waiting", async () => {
  await using files = await storeAndFile();
  const { store } = files;
  await store.taskInsert(
    Array.from({ length: 10 }, (_, i) => makeTask("e", { createdAt: T0 + i })),
  );
  const ended: string[] = [];
  const lists: Promise<unknown>[] = [];
  const list = (reader: string, name: string) =>
    store.taskList({}, { limit: 10, reader }).then((page) => {
      ended.push(name);
      assert.equal(page.items.length, 10);
      // Asked the moment the first list ends, with four of the flood's waiting.
      if (name === "flood1") lists.push(list("other", "other"));
    });
  for (let i = 1; i <= 5; i++) lists.push(list("flood", `flood${i}`));
  const { timerFirst } = await timerDuring(() => lists[1]);
  assert.ok(timerFirst, "the second list waited for a timer turn");
  while (ended.length < 6) await Promise.all(lists);
  // flood2 had its place already: "other" is next, before the flood's three waiting.
  assert.deepEqual(ended, ["flood1", "flood2", "other", "flood3", "flood4", "flood5"]);
});

/** Starts a `ms` timer, then `work`; answers whether the timer fired before the work ended. */
async function timerOf<T>(ms: number, work: () => Promise<T>): Promise<boolean> {
  const order: string[] = [];
  const timer = new Promise((resolve) => setTimeout(resolve, ms)).then(() => order.push("timer"));
  await Promise.all([timer, work().then(() => order.push("work"))]);
  return order[0] === "timer";
}

Deno.test("page reads past PAGE_READ_BURST_MS in a row wait for their share of the thread, while reads for no reader (the manager's own, executors by name) take no turn", async () => {
  await using files = await storeAndFile();
  const { store } = files;
  await store.executorCreate(makeExecutor("e"));
  await store.taskInsert(
    Array.from(
      { length: 1000 },
      (_, i) => makeTask("e", { createdAt: T0 + i, data: { text: "x".repeat(2000) } }),
    ),
  );
  // Pages of 1,000 tasks, each followed by a read of one task, until that read waits for its
  // share: reads are charged the time they hold the thread, less than the wall time a loop of them
  // takes, so no fixed time of reading is sure to spend the burst.
  let waited = false;
  for (let i = 0; i < 200 && !waited; i++) {
    await store.taskList({}, { limit: 1000, reader: "r" });
    waited = await timerOf(10, () => store.taskList({}, { limit: 1, reader: "r" }));
  }
  assert.ok(
    waited,
    "after 200 pages of 1,000 tasks in a row, a read past the burst started at once",
  );
  // Spent again, then a read for no reader and a lookup by name: neither waits.
  await store.taskList({}, { limit: 1000, reader: "r" });
  assert.ok(
    !await timerOf(10, () => store.taskList({}, { limit: 1 })),
    "a read for no reader waited",
  );
  assert.ok(
    !await timerOf(10, () => store.executorList({ names: ["e"] }, { limit: 1 })),
    "a lookup by name waited",
  );
});

Deno.test("a task list that gives the thread back is charged only what its slices held it: beside other work holding the thread whenever it yields, the next read does not wait for that work's time", async () => {
  await using files = await storeAndFile();
  const { store } = files;
  await store.taskInsert(
    Array.from({ length: 1000 }, (_, i) => makeTask("e", { createdAt: T0 + i })),
  );
  // The turns' bucket full again after the reads of the tests before.
  await new Promise((resolve) => setTimeout(resolve, 3 * PAGE_READ_BURST_MS / PAGE_READ_SHARE));
  // Each row read holds the thread 0.05 ms more (a slower disk), so the walk lasts 50 ms or more
  // and gives the thread back between slices; whenever it does, other work holds it 100 ms.
  const get = StatementSync.prototype.get;
  Object.defineProperty(StatementSync.prototype, "get", {
    configurable: true,
    writable: true,
    value: function (this: StatementSync, ...args: unknown[]) {
      holdThread(0.05);
      return Reflect.apply(get, this, args);
    },
  });
  let others = 0;
  const other = setInterval(() => {
    others++;
    holdThread(100);
  }, 0);
  let page;
  try {
    page = await store.taskList({}, { limit: 1000, reader: "r" });
  } finally {
    clearInterval(other);
    StatementSync.prototype.get = get;
  }
  assert.equal(page.items.length, 1000);
  assert.ok(others >= 3, `other work held the thread ${others} times during the read`);
  // Charged the read's wall time, its slices and the others' 300 ms or more, the bucket would be
  // in debt: 100 ms of burst, plus 30% of the wall time, less all of it.
  assert.ok(
    !await timerOf(10, () => store.taskList({}, { limit: 1, reader: "r" })),
    "the next read waited for the time other work held the thread",
  );
});

/** Holds the thread `ms` milliseconds. */
function holdThread(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the thread is held */ }
}

Deno.test("after a WAL sync that held the thread past 5 ms, the next sync runs off the thread", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sqlite-sync-" });
  const path = `${dir}/tasks.db`;
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  const connection = new SqliteConnection(db, { path, flushQueued: () => {} });
  const proto = Deno.FsFile.prototype;
  const { syncDataSync, syncData } = proto;
  const used: string[] = [];
  proto.syncDataSync = function (this: Deno.FsFile) {
    used.push("sync");
    const until = performance.now() + 20;
    while (performance.now() < until) { /* a slow disk: the thread is held */ }
    return syncDataSync.call(this);
  };
  proto.syncData = function (this: Deno.FsFile) {
    used.push("async");
    return syncData.call(this);
  };
  try {
    db.exec("CREATE TABLE t (v TEXT)");
    db.exec("INSERT INTO t VALUES ('a')");
    await connection.onDisk();
    db.exec("INSERT INTO t VALUES ('b')");
    await connection.onDisk();
    // Off the thread it was quick: the next one is on the thread again.
    db.exec("INSERT INTO t VALUES ('c')");
    await connection.onDisk();
    assert.deepEqual(used, ["sync", "async", "sync"]);
  } finally {
    proto.syncDataSync = syncDataSync;
    proto.syncData = syncData;
    await connection.close();
    await Deno.remove(dir, { recursive: true });
  }
});
