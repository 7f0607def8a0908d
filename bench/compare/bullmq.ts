/**
 * The BullMQ side of `deno task bench:compare`: this process is the producer, one worker process
 * (`_bullmq_worker.ts`, concurrency 200) runs no-op jobs, and the figures measured are the ones
 * `deno task bench` prints for our side, measured the same way. BullMQ runs under Deno here.
 *
 * Run alone: `deno run -A bench/compare/bullmq.ts [--redis=127.0.0.1:6379] [--tasks=20000]
 * [--latency=500] [--concurrency=200] [--batch=1000] [--queue=name]`; without `--redis` it starts
 * its own `redis-server`. Prints progress on stderr and one JSON line of {@linkcode Figures} on
 * stdout.
 */
import { parseArgs } from "node:util";
import { Queue, QueueEvents } from "bullmq";
import { clock, EventChild, int, ms, percentile, wholeFlag } from "../_shared.ts";
import { type Figures, figuresLine } from "./_figures.ts";
import { redisStart } from "./_redis.ts";

const ROOT = new URL("../..", import.meta.url);
const JOB = "noop";

interface Options {
  redis: string | undefined;
  tasks: number;
  latency: number;
  concurrency: number;
  batch: number;
  queue: string;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      redis: { type: "string" },
      tasks: { type: "string" },
      latency: { type: "string" },
      concurrency: { type: "string" },
      batch: { type: "string" },
      queue: { type: "string" },
    },
  });
  const whole = (name: string, fallback: number, min = 1) => wholeFlag(values, name, fallback, min);
  return {
    redis: values.redis,
    tasks: whole("tasks", 20_000),
    latency: whole("latency", 500),
    concurrency: whole("concurrency", 200),
    batch: whole("batch", 1000),
    queue: values.queue ?? `bench_noop_${Date.now()}`,
  };
}

interface Bench {
  queue: Queue;
  worker: EventChild;
  connection: { host: string; port: number };
  options: Options;
  /** Jobs added so far (all of them completed between measurements). */
  total: number;
}

/** Adds `count` jobs with `addBulk`, `options.batch` at a time, 2 calls in flight. */
async function enqueue(bench: Bench, count: number, batch: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const from = next;
      const size = Math.min(batch, count - from);
      next += size;
      const jobs = Array.from({ length: size }, (_, i) => ({
        name: JOB,
        data: { n: bench.total + from + i },
      }));
      await bench.queue.addBulk(jobs);
    }
  };
  await Promise.all([lane(), lane()]);
}

/**
 * Adds `count` no-op jobs and times first add → last completion, as our bench does: the worker
 * says when it ran the last job, the producer then reads that job's state (back to back) until
 * it is completed, and a full count of completed jobs checks the rest.
 */
async function measureThroughput(bench: Bench, count: number, batch: number): Promise<number> {
  const { worker, queue } = bench;
  await worker.send(`expect ${count}`);
  await worker.next("expecting", 10_000);
  const start = clock();
  await enqueue(bench, count, batch);
  const done = await worker.next("done", Math.max(120_000, count * 10));
  const lastJobId = done.lastJobId as string;
  while ((await queue.getJobState(lastJobId)) !== "completed") {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  let finished = clock();
  bench.total += count;
  while ((await queue.getCompletedCount()) < bench.total) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    finished = clock();
  }
  return count / ((finished - start) / 1000);
}

interface LatencyResult {
  startP50: number;
  startP99: number;
  seenP50: number;
  addP50: number;
}

/**
 * Adds one job at a time and waits for it with `job.waitUntilFinished` (BullMQ's pushed
 * 'completed' event through `QueueEvents`); the processor's return value carries its start time.
 */
async function measureLatency(bench: Bench, samples: number): Promise<LatencyResult> {
  const events = new QueueEvents(bench.queue.name, { connection: bench.connection });
  await events.waitUntilReady();
  const start: number[] = [];
  const seen: number[] = [];
  const add: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = clock();
      const job = await bench.queue.add(JOB, { n: bench.total + i });
      add.push(clock() - t0);
      const result = await job.waitUntilFinished(events, 30_000) as { startedAt: number };
      seen.push(clock() - t0);
      start.push(result.startedAt - t0);
    }
  } finally {
    await events.close();
  }
  bench.total += samples;
  return {
    startP50: percentile(start, 0.5),
    startP99: percentile(start, 0.99),
    seenP50: percentile(seen, 0.5),
    addP50: percentile(add, 0.5),
  };
}

/** Runs one round against the Redis at `host:port`. */
async function run(options: Options, host: string, port: number): Promise<Figures> {
  const connection = { host, port };
  const queue = new Queue(options.queue, { connection });
  await queue.waitUntilReady();
  const worker = new EventChild(
    "BullMQ worker",
    [
      "bench/compare/_bullmq_worker.ts",
      `${host}:${port}`,
      options.queue,
      String(options.concurrency),
    ],
    { cwd: ROOT },
  );
  const bench: Bench = { queue, worker, connection, options, total: 0 };
  try {
    await worker.next("ready", 60_000);

    // Warm-up: JIT, connections, script loading (not counted).
    const warm = Math.min(2000, options.tasks);
    await measureThroughput(bench, warm, 500);
    await measureLatency(bench, 20);

    const throughput = await measureThroughput(bench, options.tasks, options.batch);
    console.error(`BullMQ throughput: ${int(throughput)} tasks/s`);
    const latency = await measureLatency(bench, options.latency);
    console.error(
      `BullMQ latency: start p50 ${ms(latency.startP50)} / p99 ${ms(latency.startP99)} ms, ` +
        `seen p50 ${ms(latency.seenP50)} ms`,
    );
    return { throughput, ...latency };
  } catch (error) {
    console.error(`--- BullMQ worker stderr ---\n${worker.stderr()}`);
    throw error;
  } finally {
    await worker.stop();
    // Leaves the Redis as it was (it may be shared by later rounds).
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  let figures: Figures;
  if (options.redis) {
    const [host, port] = options.redis.split(":");
    figures = await run(options, host, Number(port));
  } else {
    await using redis = await redisStart();
    figures = await run(options, redis.host, redis.port);
  }
  console.error(`BullMQ: ${figuresLine(figures)}`);
  console.log(JSON.stringify(figures));
}

if (import.meta.main) await main();
