/**
 * End-to-end benchmark: no-op tasks through a real manager process (embedded store) and a real SDK
 * worker process — throughput, enqueue → start and enqueue → completion latency, and throughput
 * with a large backlog waiting. Prints a markdown table; writes nothing into the repository.
 *
 * Run: `deno task bench` (full size) or `deno task bench --quick` (a smoke run). Flags:
 * `--runs=3` `--tasks=20000` `--latency=500` `--backlog=1000000` (0 skips it) `--concurrency=512`
 * `--batch=1000` `--write-concern=journaled` (of the benchmark's executor) `--result-batch-ms=N`
 * (the worker's result batching window; default the SDK's) `--cpu-prof` (V8 profiles of both
 * processes, written to a temp folder), `--worker=ts|go` (the worker process: `bench/_worker.ts` on
 * the TypeScript SDK, or `bench/go_worker` on the Go SDK, built first with `go` from PATH,
 * /usr/local/go/bin or GO_BIN). Flow control of the benchmark's executor: `--rate-limit=N`
 * (N starts per second, burst N), `--keys=N` (tasks spread over N group keys, `/key` in their
 * data: the keyed, round-robin claim) and `--max-per-key=K` (`maxConcurrencyPerKey`, with
 * `--keys`).
 */
import { parseArgs } from "node:util";
import { Client, type Task } from "../sdk/mod.ts";
import {
  clock,
  cpuModel,
  cpuSeconds,
  enqueue,
  EventChild,
  int,
  type ManagerProcess,
  ms,
  type Percentiles,
  percentiles,
  type Row,
  startManagerProcess,
  stopManagerProcess,
  table,
  wholeFlag,
  writeConcernFlag,
} from "./_shared.ts";

const EXECUTOR = "bench_noop";
const BACKLOG_EXECUTOR = "bench_backlog";
/**
 * Tasks per backlog create: within the answer's 2 MiB (`limits.pageBytes`), which a batch create
 * weighs as JSON at ~470 bytes per small task even in the basic view.
 */
const BACKLOG_BATCH = 4000;
const ROOT = new URL("..", import.meta.url);

// Options -------------------------------------------------------------------------------------

interface Options {
  runs: number;
  tasks: number;
  latency: number;
  backlog: number;
  concurrency: number;
  batch: number;
  quick: boolean;
  cpuProf: boolean;
  writeConcern: string;
  resultBatchMs: number | undefined;
  /** Starts per second of the executor (0 = none). */
  rateLimit: number;
  /** Group keys the tasks are spread over (0 = no keys). */
  keys: number;
  maxPerKey: number;
  worker: "ts" | "go";
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      tasks: { type: "string" },
      latency: { type: "string" },
      backlog: { type: "string" },
      concurrency: { type: "string" },
      batch: { type: "string" },
      "write-concern": { type: "string" },
      "result-batch-ms": { type: "string" },
      "rate-limit": { type: "string" },
      keys: { type: "string" },
      "max-per-key": { type: "string" },
      worker: { type: "string", default: "ts" },
      quick: { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
    },
  });
  const quick = values.quick ?? false;
  const whole = (name: string, fallback: number, min = 1) => wholeFlag(values, name, fallback, min);
  const writeConcern = writeConcernFlag(values["write-concern"]);
  const worker = values.worker;
  if (worker !== "ts" && worker !== "go") {
    throw new Error(`--worker must be ts or go, got "${worker}"`);
  }
  return {
    worker,
    runs: whole("runs", 3),
    tasks: whole("tasks", quick ? 2000 : 20_000),
    latency: whole("latency", quick ? 100 : 500),
    backlog: whole("backlog", quick ? 20_000 : 1_000_000, 0),
    concurrency: whole("concurrency", 512),
    batch: whole("batch", 1000),
    quick,
    cpuProf: values["cpu-prof"] ?? false,
    writeConcern,
    resultBatchMs: values["result-batch-ms"] === undefined
      ? undefined
      : whole("result-batch-ms", 0, 0),
    rateLimit: whole("rate-limit", 0, 0),
    keys: whole("keys", 0, 0),
    maxPerKey: whole("max-per-key", 0, 0),
  };
}

/** The executor configuration the flow-control flags ask for (`{}` without them). */
function flowConfig(options: Options): Record<string, unknown> {
  return {
    ...(options.rateLimit > 0
      ? { rateLimit: { limit: options.rateLimit, period: 1000, burst: options.rateLimit } }
      : {}),
    ...(options.keys > 0 ? { groupKeyPointer: "/key" } : {}),
    ...(options.maxPerKey > 0 ? { maxConcurrencyPerKey: options.maxPerKey } : {}),
  };
}

// Processes -----------------------------------------------------------------------------------

/**
 * The SDK worker process (`bench/_worker.ts`, or the Go one `bench/go_worker` built to `goBinary`)
 * and the JSON events it prints.
 */
function startWorkerProcess(
  address: string,
  options: Options,
  profDir?: string,
  goBinary?: string,
): EventChild {
  const args = [address, EXECUTOR, String(options.concurrency), options.writeConcern];
  const env: Record<string, string> = options.resultBatchMs === undefined
    ? {}
    : { BENCH_RESULT_BATCH_MS: String(options.resultBatchMs) };
  if (goBinary) return new EventChild("Go worker", args, { cwd: ROOT, env, command: goBinary });
  const profile = profDir ? [`--cpu-prof-dir=${profDir}`, "--cpu-prof-md"] : [];
  return new EventChild("Worker", [...profile, "bench/_worker.ts", ...args], { cwd: ROOT, env });
}

/** Builds `bench/go_worker` into `dir`; returns the binary's path. */
async function buildGoWorker(dir: string): Promise<string> {
  const binary = `${dir}/go_worker`;
  for (const go of [Deno.env.get("GO_BIN"), "go", "/usr/local/go/bin/go"]) {
    if (!go) continue;
    const built = await new Deno.Command(go, {
      args: ["build", "-o", binary, "."],
      cwd: new URL("go_worker/", import.meta.url),
    }).output().catch(() => null);
    if (!built) continue; // not found: try the next
    if (!built.success) throw new Error(`go build: ${new TextDecoder().decode(built.stderr)}`);
    return binary;
  }
  throw new Error("--worker=go needs a Go toolchain (go on PATH, /usr/local/go/bin/go or GO_BIN)");
}

// Measurements ----------------------------------------------------------------------------------

interface Bench {
  manager: ManagerProcess;
  worker: EventChild;
  client: Client;
  options: Options;
  /** Tasks of EXECUTOR created so far (all of them completed between measurements). */
  total: number;
}

interface ThroughputResult {
  tasksPerSecond: number;
  enqueuePerSecond: number;
  seconds: number;
  /** CPU used during the run, in % of one core. */
  cpu: { manager: number; worker: number; driver: number };
}

/**
 * Whether tasks of one executor are still waiting or running: one page of the list by executor and
 * status (an index range, exact, cheap with a backlog of other tasks).
 */
async function unfinished(bench: Bench, executor: string): Promise<boolean> {
  const response = await fetch(
    `${bench.manager.httpUrl}/api/v1/tasks?executorName=${executor}&status=pending,in_progress&limit=1`,
  );
  return ((await response.json()) as { tasks: unknown[] }).tasks.length > 0;
}

/**
 * Completed tasks of one executor, from the REST stats: a full count, which the manager may
 * answer up to a few seconds old with a large backlog (its counts of many tasks are reused), so
 * it checks the result after the timing, never times it.
 */
async function completedCount(bench: Bench, executor: string): Promise<number> {
  const response = await fetch(`${bench.manager.httpUrl}/api/v1/stats?executorName=${executor}`);
  const body = await response.json() as {
    executors: { executorName: string; byStatus: Record<string, number> }[];
  };
  return body.executors.find((e) => e.executorName === executor)?.byStatus.completed ?? 0;
}

/**
 * Enqueues `tasks` no-op tasks and times first enqueue → last completion. The end is seen without
 * polling during the run: the worker says when its handler ran the last task, then the driver waits
 * for that task through the push path (`Client.waitForTask`). A full count checks the result after.
 */
async function measureThroughput(bench: Bench): Promise<ThroughputResult> {
  const { worker, client, options, manager } = bench;
  const count = options.tasks;
  await worker.send(`expect ${count}`);
  await worker.next("expecting", 10_000);

  const pids = [manager.child.pid, worker.child.pid, Deno.pid];
  const cpuBefore = await Promise.all(pids.map(cpuSeconds));
  const start = clock();
  await enqueue([client], EXECUTOR, count, {
    batch: options.batch,
    inFlight: 2,
    offset: bench.total,
    keys: options.keys,
  });
  const enqueued = clock();
  const done = await worker.next("done", Math.max(120_000, count * 10));
  await client.waitForTask(done.lastTaskId as string, { timeoutMs: 60_000 });
  const end = clock();
  const cpuAfter = await Promise.all(pids.map(cpuSeconds));
  bench.total += count;

  // If some result is still settling, wait for it (and count it); then every task must be
  // completed (checked untimed).
  let finished = end;
  while (await unfinished(bench, EXECUTOR)) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    finished = clock();
  }
  while ((await completedCount(bench, EXECUTOR)) < bench.total) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seconds = (finished - start) / 1000;
  const wall = (end - start) / 1000;
  const percent = (i: number) => Math.round(((cpuAfter[i] - cpuBefore[i]) / wall) * 100);
  return {
    tasksPerSecond: count / seconds,
    enqueuePerSecond: count / ((enqueued - start) / 1000),
    seconds,
    cpu: { manager: percent(0), worker: percent(1), driver: percent(2) },
  };
}

interface LatencyResult {
  /** Enqueue (before the call) → handler start, ms. */
  start: Percentiles;
  /** Enqueue → the producer sees the task completed (`createTaskAndWait`), ms. */
  visible: Percentiles;
  /** Enqueue → the manager's completedAt stamp (whole ms), ms. */
  settled: Percentiles;
  /** The `createTask` call's round trip, ms. */
  create: Percentiles;
  /** Enqueue → completion seen with `createTask`, then `waitForTask`, ms. */
  visibleTwoCalls: Percentiles;
}

/**
 * Enqueues tasks one at a time, each handler returning its start time, in turn with
 * `Client.createTaskAndWait` (one `CreateAndWatchTask` request on the client's `Produce` stream:
 * the manager sends the task as created, then the moment it is final) and with `createTask` then
 * `waitForTask` (a `watch` request on the same stream, sent once the create answered), which also
 * times the create alone.
 */
async function measureLatency(bench: Bench, samples: number): Promise<LatencyResult> {
  const { client } = bench;
  const start: number[] = [];
  const visible: number[] = [];
  const settled: number[] = [];
  const create: number[] = [];
  const visibleTwoCalls: number[] = [];
  const check = (task: Task) => {
    if (task.status !== "completed") {
      throw new Error(`Task ${task.id} ended ${task.status}: ${JSON.stringify(task.errors)}`);
    }
  };
  // One of each in turn, so that both meet the same conditions (a checkpoint, a busy spell).
  for (let i = 0; i < samples; i++) {
    let t0 = clock();
    const task = await client.createTaskAndWait(EXECUTOR, { n: bench.total++ }, {
      timeoutMs: 60_000,
    });
    visible.push(clock() - t0);
    check(task);
    start.push((task.result as { startedAt: number }).startedAt - t0);
    settled.push(task.completedAt!.getTime() - t0);

    t0 = clock();
    const created = await client.createTask(EXECUTOR, { n: bench.total++ });
    create.push(clock() - t0);
    check(await client.waitForTask(created.id, { timeoutMs: 60_000 }));
    visibleTwoCalls.push(clock() - t0);
  }
  return {
    start: percentiles(start),
    visible: percentiles(visible),
    settled: percentiles(settled),
    create: percentiles(create),
    visibleTwoCalls: percentiles(visibleTwoCalls),
  };
}

/** Fills the store with `count` pending tasks of an executor no worker serves. */
async function fillBacklog(bench: Bench, count: number): Promise<number> {
  await bench.client.registerExecutor(BACKLOG_EXECUTOR, {});
  const started = clock();
  let done = 0;
  let lastReport = 0;
  while (done < count) {
    const step = Math.min(count - done, 100_000);
    await enqueue([bench.client], BACKLOG_EXECUTOR, step, {
      batch: BACKLOG_BATCH,
      inFlight: 2,
      offset: done,
    });
    done += step;
    if (done - lastReport >= 200_000 || done === count) {
      lastReport = done;
      log(`  backlog: ${done.toLocaleString("en")} tasks waiting`);
    }
  }
  return count / ((clock() - started) / 1000);
}

// Report ----------------------------------------------------------------------------------------

function log(line: string): void {
  console.error(line);
}

function latencyRows(label: string, results: LatencyResult[]): Row[] {
  const rows: Row[] = [];
  for (const q of ["p50", "p95", "p99"] as const) {
    rows.push([`${label}: enqueue → handler start, ${q} (ms)`, results.map((r) => r.start[q]), ms]);
  }
  for (const q of ["p50", "p95", "p99"] as const) {
    rows.push([
      `${label}: enqueue → completion seen by producer, ${q} (ms)`,
      results.map((r) => r.visible[q]),
      ms,
    ]);
  }
  rows.push([
    `${label}: enqueue → manager's completedAt stamp (1 ms grain), p50 (ms)`,
    results.map((r) => r.settled.p50),
    ms,
  ]);
  rows.push([`${label}: create call round trip, p50 (ms)`, results.map((r) => r.create.p50), ms]);
  rows.push([
    `${label}, createTask then waitForTask: enqueue → completion seen, p50 (ms)`,
    results.map((r) => r.visibleTwoCalls.p50),
    ms,
  ]);
  return rows;
}

function throughputRows(label: string, results: ThroughputResult[]): Row[] {
  return [
    [`${label} (tasks/s)`, results.map((r) => r.tasksPerSecond), int],
    [`${label}: enqueue alone (tasks/s)`, results.map((r) => r.enqueuePerSecond), int],
    [`${label}: manager CPU (% of a core)`, results.map((r) => r.cpu.manager), int],
    [`${label}: worker CPU (% of a core)`, results.map((r) => r.cpu.worker), int],
    [`${label}: producer CPU (% of a core)`, results.map((r) => r.cpu.driver), int],
  ];
}

// Main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const command = `deno task bench ${Deno.args.join(" ")}`.trim();
  const loadBefore = Deno.loadavg();
  const dataDir = await Deno.makeTempDir({ prefix: "tasks-executor-bench-" });
  const profDir = options.cpuProf ? await Deno.makeTempDir({ prefix: "tasks-executor-prof-" }) : "";
  // The Go worker's binary goes beside the data, removed with it.
  const goBinary = options.worker === "go" ? await buildGoWorker(dataDir) : undefined;
  log(`Manager and ${options.worker} worker starting (data in ${dataDir})`);
  const manager = await startManagerProcess({ DATA_DIR: dataDir }, profDir || undefined);
  const worker = startWorkerProcess(manager.grpcAddress, options, profDir || undefined, goBinary);
  const client = new Client({ address: manager.grpcAddress, callTimeoutMs: 120_000 });
  const bench: Bench = { manager, worker, client, options, total: 0 };
  const rows: Row[] = [];
  let backlogFillRate = 0;
  try {
    await worker.next("ready", 60_000);
    const flow = flowConfig(options);
    if (Object.keys(flow).length > 0) {
      const response = await fetch(`${manager.httpUrl}/api/v1/executors/${EXECUTOR}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ config: flow }),
      });
      if (!response.ok) throw new Error(`Executor update answered ${await response.text()}`);
      await response.body?.cancel();
    }

    // Warm-up: JIT, connections, statement caches (not counted).
    await worker.send(`expect ${Math.min(2000, options.tasks)}`);
    await worker.next("expecting", 10_000);
    await enqueue([client], EXECUTOR, Math.min(2000, options.tasks), { batch: 500, inFlight: 1 });
    await worker.next("done", 60_000);
    bench.total += Math.min(2000, options.tasks);
    await measureLatency(bench, 20);

    const throughput: ThroughputResult[] = [];
    for (let run = 1; run <= options.runs; run++) {
      const result = await measureThroughput(bench);
      log(
        `throughput run ${run}: ${int(result.tasksPerSecond)} tasks/s ` +
          `(${result.seconds.toFixed(2)} s; CPU manager ${result.cpu.manager}%, ` +
          `worker ${result.cpu.worker}%, producer ${result.cpu.driver}%)`,
      );
      throughput.push(result);
    }
    rows.push(...throughputRows(`Throughput, ${int(options.tasks)} tasks`, throughput));

    const latency: LatencyResult[] = [];
    for (let run = 1; run <= options.runs; run++) {
      const result = await measureLatency(bench, options.latency);
      log(
        `latency run ${run}: start p50 ${ms(result.start.p50)} / p99 ${ms(result.start.p99)} ms, ` +
          `seen p50 ${ms(result.visible.p50)} / p99 ${ms(result.visible.p99)} ms`,
      );
      latency.push(result);
    }
    rows.push(...latencyRows(`Latency, ${int(options.latency)} sequential tasks`, latency));

    if (options.backlog > 0) {
      log(`Filling a backlog of ${int(options.backlog)} tasks for "${BACKLOG_EXECUTOR}"…`);
      backlogFillRate = await fillBacklog(bench, options.backlog);
      const label = `With ${int(options.backlog)} waiting`;
      const loaded: ThroughputResult[] = [];
      for (let run = 1; run <= options.runs; run++) {
        const result = await measureThroughput(bench);
        log(
          `backlog throughput run ${run}: ${int(result.tasksPerSecond)} tasks/s ` +
            `(${result.seconds.toFixed(2)} s)`,
        );
        loaded.push(result);
      }
      rows.push(...throughputRows(`${label}: throughput, ${int(options.tasks)} tasks`, loaded));
      const loadedLatency: LatencyResult[] = [];
      for (let run = 1; run <= options.runs; run++) {
        loadedLatency.push(await measureLatency(bench, options.latency));
      }
      rows.push(...latencyRows(label, loadedLatency).slice(0, 6));
    }
  } catch (error) {
    console.error(`Benchmark failed: ${(error as Error).stack}`);
    console.error(`--- manager stderr ---\n${manager.stderr()}`);
    console.error(`--- worker stderr ---\n${worker.stderr()}`);
    Deno.exitCode = 1;
  } finally {
    client.close();
    await worker.stop();
    await stopManagerProcess(manager);
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  if (rows.length === 0) return;

  const cores = navigator.hardwareConcurrency;
  console.log(`## End-to-end benchmark\n`);
  console.log(`Command: \`${command}\`  `);
  console.log(
    `Machine: ${cores} cores (${await cpuModel()}), ${Deno.build.os} ${Deno.osRelease()}, ` +
      `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); load average before the run ` +
      `${loadBefore.map((n) => n.toFixed(2)).join(" ")} (other processes share these cores)  `,
  );
  console.log(
    `Setup: one manager process (embedded SQLite store, executor write concern ` +
      `\`${options.writeConcern}\`), one ` +
      (options.worker === "go"
        ? "Go SDK worker process (`bench/go_worker`, "
        : "SDK worker process (") +
      `no-op handler, concurrency ${options.concurrency}, result batching window ` +
      `${options.resultBatchMs ?? "default (2)"} ms), ` +
      `producer = this process (SDK \`Client\`, batches of ${int(options.batch)}, 2 in flight). ` +
      `Flow control: ${JSON.stringify(flowConfig(options))}. ` +
      `Median of ${options.runs} runs.\n`,
  );
  console.log(table(rows, options.runs));
  console.log(
    `\nThroughput: first enqueue → last task completed as the manager reports it (the worker ` +
      `says when it ran the last task; the producer then waits for that task with ` +
      `\`Client.waitForTask\`). ` +
      `Latency: one task at a time; "handler start" is the handler's own clock reading, ` +
      `"completion seen" is when \`Client.createTaskAndWait\` (one CreateAndWatchTask request ` +
      `on the client's Produce stream: the task as created, then as final) gave the producer ` +
      `the completed task; the create ` +
      `call round trip and "createTask then waitForTask" come from as many tasks more, in turn ` +
      `with those, each ` +
      `made with \`createTask\` and waited for with \`waitForTask\` (a watch request on the same ` +
      `Produce stream, sent once the create answered).`,
  );
  if (options.backlog > 0) {
    console.log(
      `Backlog: ${int(options.backlog)} pending tasks of an executor no worker serves, inserted ` +
        `at ${int(backlogFillRate)} tasks/s (batches of ${int(BACKLOG_BATCH)}); the measured ` +
        `tasks share the store, its table and indexes with them.`,
    );
  }
  if (profDir) console.log(`\nCPU profiles (.cpuprofile and .md): ${profDir}`);
}

if (import.meta.main) await main();
