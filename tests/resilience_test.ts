/**
 * System tests with real processes: nothing is lost and nothing runs twice without cause when a
 * manager or a worker dies (SIGKILL), and `maxConcurrency` holds across managers sharing a store.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import {
  allCompleted,
  api,
  createTasks,
  delay,
  type ManagerProc,
  managerSpec,
  type Proc,
  RunLog,
  startManagerProc,
  startWorker,
} from "./fixtures/resilience_cluster.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { tempDir } from "./fixtures/temp_dir.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI");
/**
 * Tasks of the MongoDB case. FerretDB 1.24 uses no index for any query (not even `{ _id }`: see
 * server/store/mongo/ferretdb.ts), so every store call scans the tasks collection and time grows
 * with the square of the tasks. Measured here (2 cores, two managers, three workers):
 * 200 tasks 16-21 s, 500 tasks 105 s; at that rate 10,000 would take hours. Against a real
 * MongoDB set RESILIENCE_MONGO_TASKS=10000.
 */
const MONGO_TASKS = Number(Deno.env.get("RESILIENCE_MONGO_TASKS") || 200);

/** Stops child processes in reverse order of start, whatever happens. */
class Processes implements AsyncDisposable {
  readonly #all: Proc[] = [];
  add<T extends Proc>(proc: T): T {
    this.#all.push(proc);
    return proc;
  }
  describe(): string {
    return this.#all.map((p) => p.describe()).join("\n");
  }
  async [Symbol.asyncDispose](): Promise<void> {
    for (const proc of this.#all.toReversed()) await proc.stop();
  }
}

/**
 * Kills the manager (SIGKILL) with a third of `TASKS` done and restarts it on the same data dir
 * and ports; `outlastLeases` keeps it down until every lease it gave out has expired.
 *
 * The first task is held by the worker until the restarted manager is up (SIGUSR1), so that some
 * task is surely in progress at the kill: with the others alone, all 32 slots can finish together
 * and the kill can fall between their results and the next batch (under load it did, in about
 * one run in four), leaving nothing in flight to check.
 */
async function managerRestart(outlastLeases: boolean): Promise<void> {
  const TASKS = 2000;
  const EXECUTOR = "resilience_restart";
  await using dir = await tempDir("tasks-executor-resilience-", { ignoreRemoveErrors: true });
  await using procs = new Processes();
  const spec = managerSpec(join(dir.path, "data"));
  const first = procs.add(await startManagerProc("manager", spec));
  const log = new RunLog();
  const worker = procs.add(
    await startWorker("worker-1", first.grpcAddress, {
      RES_EXECUTOR: EXECUTOR,
      RES_CONCURRENCY: "32",
      RES_TIMEOUT_MS: outlastLeases ? "1000" : "3000",
    }, log),
  );

  const ids = await createTasks(first.url, EXECUTOR, TASKS, (i) => ({ ms: 20, hold: i === 0 }));
  assert.equal(ids.length, TASKS);
  await worker.until(
    "a third of the tasks to finish and the held one to start",
    () => log.finished >= TASKS / 3 && log.byTask.has(ids[0]),
  );
  first.kill("SIGKILL");
  await first.status;
  const seenAtKill = { started: log.started, finished: log.finished };

  // What the store held as leased at the kill: only these may run twice (their lease is lost).
  const inFlight = new Map<string, number>();
  {
    await using store = await openSqliteStore({ path: join(spec.dataDir, "tasks.db") });
    let cursor: string | undefined;
    do {
      const page = await store.taskList(
        { executorName: EXECUTOR, status: ["in_progress"] },
        { cursor, limit: 1000 },
      );
      for (const task of page.items) inFlight.set(task.id, task.leaseExpiresAt ?? 0);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  assert.ok(inFlight.size > 0, "some tasks must be in progress at the kill");
  assert.ok(seenAtKill.finished < TASKS, "the kill must come before the work is done");
  if (outlastLeases) {
    // Time itself is the point here: the leases must run out while no manager is up.
    await delay(Math.max(0, Math.max(...inFlight.values()) + 100 - Date.now()));
  }

  // Same data dir, same ports: the worker, never restarted, must find it again by itself.
  const second = procs.add(await startManagerProc("manager (restarted)", spec));
  worker.kill("SIGUSR1"); // lets the held task go on
  await allCompleted(second.url, EXECUTOR, TASKS, 60_000);
  assert.equal(worker.exited, false, "the worker process must live through the outage");
  assert.ok(log.finished > seenAtKill.finished, "the worker must have worked after the restart");
  // An operator sees the outage in the worker's log, with when it tries again.
  const lost = worker.lines.find((l) => l.startsWith("warn: Lost the work stream to the manager"));
  assert.match(lost ?? "", /"retryInMs":\d+/, "the worker must warn that it reconnects, and when");

  const neverRun = ids.filter((id) => !log.byTask.has(id));
  assert.deepEqual(neverRun, [], "every task must have run");
  const repeated = log.repeated();
  const unexplained = repeated.filter((id) => !inFlight.has(id));
  console.log(
    `  manager restart (${outlastLeases ? "down past the leases" : "quick"}): ${TASKS} tasks, ` +
      `${seenAtKill.finished} finished and ${inFlight.size} in flight at the kill, ` +
      `${repeated.length} ran twice (${log.started} attempts in all)`,
  );
  assert.deepEqual(unexplained, [], "only tasks in flight at the kill may run twice");
  assert.ok(repeated.length <= inFlight.size);
  assert.ok(log.runs.every((r) => r.attempt <= 2), "no task may run more than twice");
}

Deno.test(
  "a manager killed with SIGKILL and restarted at once completes every accepted task, rerunning only those in flight",
  () => managerRestart(false),
);

Deno.test(
  "a manager killed with SIGKILL and kept down past its leases completes every accepted task, rerunning only those in flight",
  () => managerRestart(true),
);

Deno.test(
  "a task whose worker is killed with SIGKILL mid-task is retried by another worker once its lease expires",
  async () => {
    const TASKS = 20;
    const EXECUTOR = "resilience_worker_kill";
    const env = { RES_EXECUTOR: EXECUTOR, RES_CONCURRENCY: "4", RES_TIMEOUT_MS: "1000" };
    await using dir = await tempDir("tasks-executor-resilience-", { ignoreRemoveErrors: true });
    await using procs = new Processes();
    const manager = procs.add(await startManagerProc("manager", managerSpec(dir.path)));
    const log = new RunLog();
    const doomed = procs.add(await startWorker("worker-a", manager.grpcAddress, env, log));

    // The first attempt sleeps long: worker-a is surely mid-task when it dies.
    const ids = await createTasks(manager.url, EXECUTOR, TASKS, () => ({ ms: 50, firstMs: 900 }));
    await doomed.until("worker-a to start 4 tasks", () => log.started >= 4);
    doomed.kill("SIGKILL");
    await doomed.status;
    const killed = log.runs.filter((r) => r.worker === "worker-a" && r.end === undefined);
    assert.ok(killed.length > 0, "worker-a must die holding tasks");

    procs.add(await startWorker("worker-b", manager.grpcAddress, env, log));
    await allCompleted(manager.url, EXECUTOR, TASKS, 30_000);

    assert.deepEqual(ids.filter((id) => !log.byTask.has(id)), [], "every task must have run");
    for (const { taskId } of killed) {
      const { body } = await api(manager.url, "GET", `/api/v1/tasks/${taskId}`);
      const task = body.task as {
        status: string;
        attempt: number;
        workerId: string;
        errors: { attempt: number; message: string }[];
      };
      assert.equal(task.status, "completed");
      assert.equal(task.workerId, "worker-b");
      assert.equal(task.attempt, 2, "the lost attempt counts as one");
      assert.equal(task.errors.length, 1, JSON.stringify(task.errors));
      assert.equal(task.errors[0].attempt, 1);
      assert.deepEqual(
        log.byTask.get(taskId)!.map((r) => `${r.worker}#${r.attempt}`),
        ["worker-a#1", "worker-b#2"],
      );
    }
    const rerun = log.repeated().filter((id) => !killed.some((k) => k.taskId === id));
    assert.deepEqual(rerun, [], "only the tasks worker-a held may run twice");
  },
);

/** Two managers over one store, three workers spread over them, `maxConcurrency` 8. */
async function twoManagersOneStore(
  store: { dataDir: string; mongo?: { uri: string; db: string } },
  tasks: number,
  timeoutMs: number,
): Promise<void> {
  const EXECUTOR = "resilience_shared";
  const LIMIT = 8;
  await using procs = new Processes();
  const a = procs.add(await startManagerProc("manager-a", managerSpec(store.dataDir, store.mongo)));
  const b = procs.add(await startManagerProc("manager-b", managerSpec(store.dataDir, store.mongo)));
  const log = new RunLog();
  const env = {
    RES_EXECUTOR: EXECUTOR,
    RES_MAX_CONCURRENCY: String(LIMIT),
    // Long leases: nothing may expire under load, so any second run would be a defect.
    RES_TIMEOUT_MS: "60000",
  };
  // 3 + 3 + 6 = 12 > 8 runs wanted at once, yet neither manager's workers alone can fill the
  // limit: both managers must claim at the same time, so the limit is held across them. (How
  // managers share out slots either one could fill: tests/engine_test.ts.)
  const managers: [string, ManagerProc, number][] = [["w1", a, 3], ["w2", a, 3], ["w3", b, 6]];
  // One after the other: the workers register the same executor and the test is not about that.
  for (const [name, manager, concurrency] of managers) {
    procs.add(
      await startWorker(name, manager.grpcAddress, {
        ...env,
        RES_CONCURRENCY: String(concurrency),
      }, log),
    );
  }

  const started = Date.now();
  const half = Math.floor(tasks / 2);
  const ids = [
    ...await createTasks(a.url, EXECUTOR, half, () => ({ ms: 2 })),
    ...await createTasks(b.url, EXECUTOR, tasks - half, () => ({ ms: 2 })),
  ];
  const counts = await allCompleted(a.url, EXECUTOR, tasks, timeoutMs);
  const seconds = (Date.now() - started) / 1000;

  const byWorker = Object.groupBy(log.runs, (r) => r.worker);
  const overlap = log.maxOverlap();
  console.log(
    `  two managers: ${tasks} tasks in ${seconds.toFixed(1)} s, ` +
      `runs per worker ${managers.map(([w]) => `${w}=${byWorker[w]?.length ?? 0}`).join(" ")}, ` +
      `most at once ${overlap} (limit ${LIMIT})`,
  );
  assert.equal(counts.completed, tasks);
  assert.deepEqual(ids.filter((id) => !log.byTask.has(id)), [], "every task must have run");
  assert.deepEqual(log.repeated(), [], "no task may run twice");
  assert.equal(log.started, tasks);
  assert.ok(overlap <= LIMIT, `${overlap} attempts ran at once, more than maxConcurrency ${LIMIT}`);
  assert.ok((byWorker.w3?.length ?? 0) > 0, "the worker of manager-b must get work");
  assert.ok((byWorker.w1?.length ?? 0) + (byWorker.w2?.length ?? 0) > 0);
}

Deno.test(
  "two managers sharing one SQLite file run 10,000 tasks exactly once within maxConcurrency",
  async () => {
    await using dir = await tempDir("tasks-executor-resilience-", { ignoreRemoveErrors: true });
    await twoManagersOneStore({ dataDir: dir.path }, 10_000, 120_000);
  },
);

Deno.test({
  ...skipUnless(
    `two managers sharing one MongoDB run ${MONGO_TASKS} tasks exactly once within maxConcurrency`,
    MONGO_URI ? null : "TEST_MONGO_URI is not set",
  ),
  fn: async () => {
    if (!MONGO_URI) return;
    const db = `resilience_${crypto.randomUUID().slice(0, 8)}`;
    await using dir = await tempDir("tasks-executor-resilience-", { ignoreRemoveErrors: true });
    try {
      await twoManagersOneStore(
        { dataDir: dir.path, mongo: { uri: MONGO_URI, db } },
        MONGO_TASKS,
        170_000,
      );
    } finally {
      // A failed drop must not hide the test's own failure.
      const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
      await client.db(db).dropDatabase().catch((error) => {
        console.warn(`Could not drop test database ${db}: ${error.message}`);
      });
      await client.close();
    }
  },
});

if (!MONGO_URI) {
  console.warn("TEST_MONGO_URI is unset: the MongoDB case of the resilience tests is skipped");
}
