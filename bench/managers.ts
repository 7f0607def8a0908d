/**
 * Several managers on one store: the same no-op work through 1 manager, then through 2 managers
 * sharing one store (a SQLite file, or MongoDB with `--mongo`), each with its own SDK worker
 * process, producers spread over the managers. Prints a markdown table; writes nothing into the
 * repository.
 *
 * Run: `deno task bench:managers` (SQLite, 10,000 tasks) or
 * `deno task bench:managers --mongo=mongodb://127.0.0.1:27360` (or `MONGO_URI`; 300 tasks, a fresh
 * database per setup, dropped at the end). Flags: `--runs=3` `--tasks=N` `--latency=N` (sequential
 * tasks for enqueue → handler start) `--cross=N` (delayed tasks for completion seen across
 * managers) `--delay-ms=100` (their delay) `--concurrency=512` (of each worker) `--batch=1000`
 * `--write-concern=journaled` `--cpu-prof` (V8 profiles of every process, in a temp folder)
 * `--quick` (a smoke run).
 *
 * What is measured, for each setup (1 manager; 2 managers), each run:
 * - Throughput: first enqueue → last task completed. Producer lanes (2 in all, each one batch in
 *   flight) take turns over the managers, so 2 managers get the same producer load as 1. The
 *   driver follows the workers' run counts (`count` on `bench/_worker.ts`), waits for each
 *   worker's last task through its own manager (`Client.waitForTask`), then counts the store's
 *   completed tasks. Every task must be completed, and the handler runs of all workers must add up
 *   to the task count exactly: N tasks completed by N runs means none ran twice.
 * - Enqueue → handler start: one task at a time, created through each manager in turn, waited for
 *   on the manager it was created through; the handler's own clock reading is the start.
 * - Completion seen across managers: a task created through one manager with a short delay
 *   (`runAt`), so that waits on every manager are open before it runs; the time from its handler
 *   start to the completed task reaching a waiter on the manager that ran it (the push path) and a
 *   waiter on the other manager (which learns of it by polling the store).
 */
import { parseArgs } from "node:util";
import { MongoClient } from "mongodb";
import { Client } from "../sdk/mod.ts";
import {
  clock,
  cpuModel,
  cpuSeconds,
  enqueue,
  EventChild,
  int,
  type ManagerProcess,
  median,
  ms,
  percentiles,
  type Row,
  startManagerProcess,
  stopManagerProcess,
  table,
  wholeFlag,
  writeConcernFlag,
} from "./_shared.ts";

const EXECUTOR = "bench_noop";
const ROOT = new URL("..", import.meta.url);
/** Producer lanes in all, whatever the number of managers. */
const LANES = 2;
/** How often the driver asks the workers for their run counts while a throughput run goes. */
const COUNT_EVERY_MS = 10;

// Options -------------------------------------------------------------------------------------

interface Options {
  runs: number;
  tasks: number;
  latency: number;
  cross: number;
  delayMs: number;
  concurrency: number;
  batch: number;
  writeConcern: string;
  mongo: string | undefined;
  cpuProf: boolean;
  /** The setups to run, by their number of managers. */
  managers: number[];
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      tasks: { type: "string" },
      latency: { type: "string" },
      cross: { type: "string" },
      "delay-ms": { type: "string" },
      concurrency: { type: "string" },
      batch: { type: "string" },
      "write-concern": { type: "string" },
      mongo: { type: "string" },
      managers: { type: "string", default: "1,2" },
      quick: { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
    },
  });
  const quick = values.quick ?? false;
  const mongo = values.mongo ?? Deno.env.get("MONGO_URI") ?? undefined;
  const whole = (name: string, fallback: number, min = 1) => wholeFlag(values, name, fallback, min);
  const writeConcern = writeConcernFlag(values["write-concern"]);
  const managers = values.managers.split(",").map(Number);
  if (managers.some((n) => !Number.isInteger(n) || n < 1 || n > 8)) {
    throw new Error(`--managers must list numbers from 1 to 8, got "${values.managers}"`);
  }
  // FerretDB, what we have to test MongoDB with, scans collections: small defaults there.
  return {
    managers,
    runs: whole("runs", quick ? 1 : 3),
    tasks: whole("tasks", quick ? 1000 : mongo ? 300 : 10_000),
    latency: whole("latency", quick ? 40 : mongo ? 60 : 300),
    cross: whole("cross", quick ? 10 : mongo ? 20 : 50),
    delayMs: whole("delay-ms", 100, 0),
    concurrency: whole("concurrency", 512),
    batch: whole("batch", mongo ? 100 : 1000),
    writeConcern,
    mongo: mongo || undefined,
    cpuProf: values["cpu-prof"] ?? false,
  };
}

// One setup: managers, workers, producers on one store -------------------------------------------

interface WorkerCount {
  count: number;
  lastTaskId: string;
}

interface Setup {
  managers: ManagerProcess[];
  workers: EventChild[];
  /** The id each worker gave itself, in the order of `workers`. */
  workerIds: string[];
  /** One SDK `Client` per manager, in the order of `managers`. */
  clients: Client[];
  options: Options;
  /** Tasks of EXECUTOR created so far (all of them completed between measurements). */
  total: number;
}

/** Starts `count` managers one after the other on `store`, and one worker on each. */
async function startSetup(
  count: number,
  store: Record<string, string>,
  options: Options,
  profDir: string | undefined,
): Promise<Setup> {
  const setup: Setup = { managers: [], workers: [], workerIds: [], clients: [], options, total: 0 };
  try {
    // One after the other: the first creates the schema, the others find it.
    for (let i = 0; i < count; i++) {
      setup.managers.push(await startManagerProcess(store, profDir));
    }
    for (const manager of setup.managers) {
      const profile = profDir ? [`--cpu-prof-dir=${profDir}`, "--cpu-prof-md"] : [];
      const args = [manager.grpcAddress, EXECUTOR, String(options.concurrency)];
      setup.workers.push(
        new EventChild("Worker", [...profile, "bench/_worker.ts", ...args, options.writeConcern], {
          cwd: ROOT,
        }),
      );
      setup.clients.push(new Client({ address: manager.grpcAddress, callTimeoutMs: 120_000 }));
    }
    for (const worker of setup.workers) {
      setup.workerIds.push((await worker.next("ready", 60_000)).workerId as string);
    }
  } catch (error) {
    await stopSetup(setup);
    throw error;
  }
  return setup;
}

async function stopSetup(setup: Setup): Promise<void> {
  for (const client of setup.clients) client.close();
  await Promise.all(setup.workers.map((worker) => worker.stop()));
  await Promise.all(setup.managers.map(stopManagerProcess));
}

/** Each worker's handler runs since the last `expect`. */
async function workerCounts(setup: Setup): Promise<WorkerCount[]> {
  return await Promise.all(setup.workers.map(async (worker) => {
    await worker.send("count");
    const event = await worker.next("count", 10_000);
    return { count: event.count as number, lastTaskId: event.lastTaskId as string };
  }));
}

/** Starts counting handler runs from zero on every worker. */
async function resetCounts(setup: Setup): Promise<void> {
  await Promise.all(setup.workers.map(async (worker) => {
    await worker.send("expect 0");
    await worker.next("expecting", 10_000);
  }));
}

/** The store's tasks of EXECUTOR by status, as the first manager reports them (a full count). */
async function countByStatus(setup: Setup): Promise<Record<string, number>> {
  const response = await fetch(
    `${setup.managers[0].httpUrl}/api/v1/stats?executorName=${EXECUTOR}`,
  );
  const body = await response.json() as {
    executors: { executorName: string; byStatus: Record<string, number> }[];
  };
  return body.executors.find((e) => e.executorName === EXECUTOR)?.byStatus ?? {};
}

/**
 * Creates `count` tasks over every manager and waits until each ran and is completed.
 *
 * @throws {Error} when the runs do not add up to `count`, or a task ends other than completed
 */
async function runBatch(setup: Setup, count: number, batch: number): Promise<number[]> {
  await resetCounts(setup);
  await enqueue(setup.clients, EXECUTOR, count, {
    batch,
    inFlight: LANES,
    offset: setup.total,
  });
  const deadline = Date.now() + Math.max(120_000, count * 20);
  let counts = await workerCounts(setup);
  while (sum(counts) < count) {
    if (Date.now() > deadline) throw new Error(`Only ${int(sum(counts))} of ${count} tasks ran`);
    await new Promise((resolve) => setTimeout(resolve, COUNT_EVERY_MS));
    counts = await workerCounts(setup);
  }
  // The last task each worker ran, waited for through that worker's manager (the push path).
  await Promise.all(
    counts.map((c, i) =>
      c.count > 0
        ? setup.clients[i].waitForTask(c.lastTaskId, {
          timeoutMs: Math.max(60_000, deadline - Date.now()),
        })
        : null
    ),
  );
  setup.total += count;
  return counts.map((c) => c.count);
}

function sum(counts: WorkerCount[]): number {
  return counts.reduce((total, c) => total + c.count, 0);
}

/**
 * Waits until the store counts every task created so far as completed (and none in another
 * status), then checks that the handler runs add up to the tasks of the last batch exactly (N
 * completed by N runs: none ran twice). Gives the time the store was first seen complete when it
 * had to wait for some result still settling, else `end`.
 *
 * @throws {Error} when that takes over 5 minutes, or the runs do not add up
 */
async function verifyCompleted(setup: Setup, batch: number, end: number): Promise<number> {
  // Long enough for FerretDB, which settles a few tasks a second on a busy machine.
  const deadline = Date.now() + 300_000;
  let finished = end;
  while (true) {
    const byStatus = await countByStatus(setup);
    const others = Object.entries(byStatus).filter(([s, n]) => s !== "completed" && n > 0);
    if (byStatus.completed === setup.total && others.length === 0) break;
    if ((byStatus.completed ?? 0) > setup.total || Date.now() > deadline) {
      throw new Error(
        `Expected ${setup.total} completed tasks, the store has ${JSON.stringify(byStatus)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    finished = clock();
  }
  const runs = sum(await workerCounts(setup));
  if (runs !== batch) {
    throw new Error(`${batch} tasks completed by ${runs} handler runs: some task ran twice`);
  }
  return finished;
}

// Measurements ----------------------------------------------------------------------------------

interface ThroughputResult {
  tasksPerSecond: number;
  seconds: number;
  /** Share of the tasks each manager's worker ran, in % (in the order of the managers). */
  shares: number[];
  /** CPU used during the run, in % of one core, per manager and per worker. */
  managerCpu: number[];
  workerCpu: number[];
}

async function measureThroughput(setup: Setup): Promise<ThroughputResult> {
  const { options } = setup;
  const pids = [
    ...setup.managers.map((m) => m.child.pid),
    ...setup.workers.map((w) => w.child.pid),
  ];
  const cpuBefore = await Promise.all(pids.map(cpuSeconds));
  const start = clock();
  const counts = await runBatch(setup, options.tasks, options.batch);
  const end = clock();
  const cpuAfter = await Promise.all(pids.map(cpuSeconds));
  const seconds = (await verifyCompleted(setup, options.tasks, end) - start) / 1000;
  const wall = (end - start) / 1000;
  const percent = (i: number) => Math.round(((cpuAfter[i] - cpuBefore[i]) / wall) * 100);
  const m = setup.managers.length;
  return {
    tasksPerSecond: options.tasks / seconds,
    seconds,
    shares: counts.map((c) => (c / options.tasks) * 100),
    managerCpu: setup.managers.map((_, i) => percent(i)),
    workerCpu: setup.workers.map((_, i) => percent(m + i)),
  };
}

interface LatencyResult {
  /** Enqueue → handler start, ms. */
  start: number[];
  /** Enqueue → completion seen by the producer on the manager it created through, ms. */
  seen: number[];
}

/** One task at a time, created through each manager in turn and waited for there. */
async function measureLatency(setup: Setup, samples: number): Promise<LatencyResult> {
  const result: LatencyResult = { start: [], seen: [] };
  for (let i = 0; i < samples; i++) {
    const client = setup.clients[i % setup.clients.length];
    const t0 = clock();
    const created = await client.createTask(EXECUTOR, { n: setup.total + i });
    const task = await client.waitForTask(created.id, { timeoutMs: 60_000 });
    if (task.status !== "completed") throw new Error(`Task ${task.id} ended ${task.status}`);
    result.seen.push(clock() - t0);
    result.start.push((task.result as { startedAt: number }).startedAt - t0);
  }
  setup.total += samples;
  return result;
}

interface CrossResult {
  /** Handler start → the completed task reaches a waiter on the manager that ran it, ms. */
  own: number[];
  /** Handler start → the completed task reaches a waiter on another manager, ms. */
  other: number[];
}

/**
 * Delayed tasks created through each manager in turn, waited for on every manager from before
 * they run; which manager ran each is read from its `workerId`.
 */
async function measureCross(setup: Setup, samples: number): Promise<CrossResult> {
  const result: CrossResult = { own: [], other: [] };
  for (let i = 0; i < samples; i++) {
    const via = setup.clients[i % setup.clients.length];
    const created = await via.createTask(EXECUTOR, { n: setup.total + i }, {
      runAt: Date.now() + setup.options.delayMs,
    });
    const seenAt: number[] = [];
    const tasks = await Promise.all(setup.clients.map(async (client, m) => {
      const task = await client.waitForTask(created.id, { timeoutMs: 60_000 });
      seenAt[m] = clock();
      return task;
    }));
    const task = tasks[0];
    if (task.status !== "completed") throw new Error(`Task ${task.id} ended ${task.status}`);
    const startedAt = (task.result as { startedAt: number }).startedAt;
    const ranOn = setup.workerIds.indexOf(task.workerId ?? "");
    if (ranOn < 0) throw new Error(`Task ${task.id} ran on an unknown worker ${task.workerId}`);
    seenAt.forEach((at, m) => (m === ranOn ? result.own : result.other).push(at - startedAt));
  }
  setup.total += samples;
  return result;
}

// One setup's runs ------------------------------------------------------------------------------

interface SetupResult {
  managers: number;
  loadBefore: number[];
  throughput: ThroughputResult[];
  latency: LatencyResult[];
  cross: CrossResult[];
}

/** Opens the store for one setup; gives its environment and how to remove it. */
async function openStore(
  options: Options,
  managers: number,
): Promise<{ env: Record<string, string>; remove: () => Promise<void>; where: string }> {
  if (options.mongo) {
    const uri = options.mongo;
    const db = `bench_managers_${Date.now()}_${managers}`;
    return {
      env: { MONGO_URI: uri, MONGO_DB: db },
      where: `MongoDB database ${db}`,
      remove: async () => {
        const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
        try {
          await client.db(db).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  }
  const dir = await Deno.makeTempDir({ prefix: "tasks-executor-managers-" });
  return {
    env: { DATA_DIR: dir },
    where: `SQLite file ${dir}/tasks.db`,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

async function runSetup(
  managers: number,
  options: Options,
  profDir: string | undefined,
): Promise<SetupResult> {
  const store = await openStore(options, managers);
  const loadBefore = Deno.loadavg();
  log(`${managers} manager(s) on ${store.where}, load average ${loadText(loadBefore)}`);
  const result: SetupResult = { managers, loadBefore, throughput: [], latency: [], cross: [] };
  try {
    const setup = await startSetup(managers, store.env, options, profDir);
    try {
      // Warm-up: JIT, connections, statement caches (not counted).
      const warm = Math.min(1000, options.tasks);
      await runBatch(setup, warm, Math.min(options.batch, 500));
      await verifyCompleted(setup, warm, clock());
      await measureLatency(setup, Math.min(20, options.latency));
      for (let run = 1; run <= options.runs; run++) {
        const t = await measureThroughput(setup);
        log(
          `  throughput run ${run}: ${int(t.tasksPerSecond)} tasks/s (${t.seconds.toFixed(2)} s; ` +
            `run by manager ${t.shares.map((s) => `${Math.round(s)}%`).join(" / ")}; ` +
            `CPU managers ${t.managerCpu.join(" / ")}%, workers ${t.workerCpu.join(" / ")}%)`,
        );
        result.throughput.push(t);
        const l = await measureLatency(setup, options.latency);
        const start = percentiles(l.start);
        log(`  latency run ${run}: start p50 ${ms(start.p50)} / p99 ${ms(start.p99)} ms`);
        result.latency.push(l);
        const c = await measureCross(setup, options.cross);
        log(
          `  completion seen run ${run}: own manager p50 ${ms(percentiles(c.own).p50)} ms` +
            (c.other.length ? `, other manager p50 ${ms(percentiles(c.other).p50)} ms` : ""),
        );
        result.cross.push(c);
      }
    } finally {
      await stopSetup(setup);
    }
  } finally {
    await store.remove().catch((error) => log(`Could not remove ${store.where}: ${error}`));
  }
  return result;
}

// Report ----------------------------------------------------------------------------------------

function log(line: string): void {
  console.error(line);
}

function loadText(load: number[]): string {
  return load.map((n) => n.toFixed(2)).join(" ");
}

function setupRows(result: SetupResult): Row[] {
  const label = managersLabel(result.managers);
  const rows: Row[] = [
    [`${label}: throughput (tasks/s)`, result.throughput.map((t) => t.tasksPerSecond), int],
  ];
  result.throughput[0].shares.forEach((_, m) => {
    rows.push([
      `${label}: tasks run by manager ${m + 1}'s worker (%)`,
      result.throughput.map((t) => t.shares[m]),
      int,
    ]);
  });
  result.throughput[0].managerCpu.forEach((_, m) => {
    rows.push([
      `${label}: manager ${m + 1} CPU (% of a core)`,
      result.throughput.map((t) => t.managerCpu[m]),
      int,
    ]);
  });
  for (const q of ["p50", "p99"] as const) {
    rows.push([
      `${label}: enqueue → handler start, ${q} (ms)`,
      result.latency.map((l) => percentiles(l.start)[q]),
      ms,
    ]);
  }
  rows.push([
    `${label}: enqueue → completion seen by the producer, p50 (ms)`,
    result.latency.map((l) => percentiles(l.seen).p50),
    ms,
  ]);
  for (const q of ["p50", "p99"] as const) {
    rows.push([
      `${label}: handler start → completion seen on the manager that ran it, ${q} (ms)`,
      result.cross.map((c) => percentiles(c.own)[q]),
      ms,
    ]);
  }
  if (result.cross.every((c) => c.other.length > 0)) {
    for (const q of ["p50", "p99"] as const) {
      rows.push([
        `${label}: handler start → completion seen on the other manager, ${q} (ms)`,
        result.cross.map((c) => percentiles(c.other)[q]),
        ms,
      ]);
    }
  }
  return rows;
}

function managersLabel(count: number): string {
  return count === 1 ? "1 manager" : `${count} managers`;
}

/**
 * Medians side by side, one column per setup, and the last setup's over the first's:
 * `measurement | 1 manager | 2 managers | 2 / 1`.
 */
function comparison(results: SetupResult[]): string {
  const own = (r: SetupResult) => median(r.cross.map((c) => percentiles(c.own).p50));
  const other = (r: SetupResult) =>
    r.cross.every((c) => c.other.length > 0)
      ? median(r.cross.map((c) => percentiles(c.other).p50))
      : NaN;
  const figures: [string, (r: SetupResult) => number, (n: number) => string][] = [
    ["throughput (tasks/s)", (r) => median(r.throughput.map((t) => t.tasksPerSecond)), int],
    [
      "enqueue → handler start, p50 (ms)",
      (r) => median(r.latency.map((l) => percentiles(l.start).p50)),
      ms,
    ],
    [
      "enqueue → handler start, p99 (ms)",
      (r) => median(r.latency.map((l) => percentiles(l.start).p99)),
      ms,
    ],
    [
      "enqueue → completion seen by the producer, p50 (ms)",
      (r) => median(r.latency.map((l) => percentiles(l.seen).p50)),
      ms,
    ],
    ["handler start → completion seen, same manager, p50 (ms)", own, ms],
    ["handler start → completion seen, other manager, p50 (ms)", other, ms],
  ];
  const first = results[0];
  const last = results[results.length - 1];
  const ratio = results.length > 1 ? [`${last.managers} / ${first.managers}`] : [];
  const header = [
    "measurement (median of the runs)",
    ...results.map((r) => managersLabel(r.managers)),
    ...ratio,
  ];
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const [label, figure, format] of figures) {
    const cells = results.map((r) => figure(r)).map((n) => (Number.isNaN(n) ? "" : format(n)));
    if (ratio.length > 0) {
      const value = figure(last) / figure(first);
      cells.push(Number.isNaN(value) ? "" : value.toFixed(2));
    }
    lines.push(`| ${[label, ...cells].join(" | ")} |`);
  }
  return lines.join("\n");
}

// Main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const command = `deno task bench:managers ${
    Deno.args.map((a) => a.replace(/^(--mongo=mongodb(?:\+srv)?:\/\/)[^@/]*@/, "$1…@")).join(" ")
  }`.trim();
  const profDir = options.cpuProf
    ? await Deno.makeTempDir({ prefix: "tasks-executor-prof-" })
    : undefined;
  const results: SetupResult[] = [];
  try {
    for (const managers of options.managers) {
      results.push(await runSetup(managers, options, profDir));
    }
  } catch (error) {
    console.error(`Benchmark failed: ${(error as Error).stack}`);
    Deno.exitCode = 1;
    return;
  }
  const loadAfter = Deno.loadavg();
  const store = options.mongo
    ? "MongoDB (`--mongo`; a fresh database per setup)"
    : "one SQLite file (every manager's `DATA_DIR` is the same folder)";
  console.log(`## Several managers on one store\n`);
  console.log(`Command: \`${command}\`  `);
  console.log(
    `Machine: ${navigator.hardwareConcurrency} cores (${await cpuModel()}), ${Deno.build.os} ` +
      `${Deno.osRelease()}, Deno ${Deno.version.deno}; load average ${
        results.map((r) => `before the ${managersLabel(r.managers)} runs ${loadText(r.loadBefore)}`)
          .join(", ")
      }, after ${loadText(loadAfter)} (other processes share these cores)  `,
  );
  console.log(
    `Setup: ${store}; executor write concern \`${options.writeConcern}\`; one SDK worker ` +
      `process per manager (no-op handler, concurrency ${options.concurrency}); producers = this ` +
      `process, ${LANES} lanes of batches of ${
        int(options.batch)
      } taking turns over the managers. ` +
      `Throughput: ${int(options.tasks)} tasks, first enqueue → last completion, each task ` +
      `completed by exactly one handler run (checked). Latency: ${int(options.latency)} ` +
      `sequential tasks. Completion seen: ${int(options.cross)} tasks delayed ` +
      `${options.delayMs} ms, waited for on every manager. ${options.runs} run(s) each.\n`,
  );
  console.log(table(results.flatMap(setupRows), options.runs));
  console.log("");
  console.log(comparison(results));
  if (profDir) console.log(`\nCPU profiles (.cpuprofile and .md): ${profDir}`);
}

if (import.meta.main) await main();
