/**
 * Side-by-side benchmark, ours against BullMQ on the same machine, in alternating rounds (ours,
 * BullMQ, BullMQ durable, ours, …); prints each round's figures and a table of the medians and
 * their ratios. "BullMQ" runs on a Redis without persistence; "BullMQ durable" on a Redis that
 * `fsync`s its append-only file before answering each write, the promise our `journaled` makes.
 *
 * Run: `deno task bench:compare` (needs `redis-server`, e.g. `apt-get install redis-server`; the
 * script starts its own two, on free loopback ports, and stops them at the end).
 * Flags: `--rounds=3` (per side) `--tasks=20000` (throughput run) `--latency=500` (sequential
 * tasks for the latency figures) `--bullmq-concurrency=200` `--redis-server=redis-server` (the
 * command) `--quick` (a smoke run: 2 rounds, 2,000 tasks, 100 sequential tasks). Each round is a
 * fresh set of processes: ours is one run of `bench/end_to_end.ts` (manager + SDK worker, write
 * concern `journaled`), BullMQ's is `bench/compare/bullmq.ts` (producer + worker process).
 */
import { parseArgs } from "node:util";
import { cpuModel, int, median, runDeno, wholeFlag } from "../_shared.ts";
import { FIGURE_SPECS, type Figures, figuresLine } from "./_figures.ts";
import { oursRun } from "./_ours.ts";
import { RedisMissingError, type RedisServer, redisStart } from "./_redis.ts";

/** The sides of a round, in the order they run and are shown. */
const SIDES = ["ours", "BullMQ", "BullMQ durable"] as const;
type Side = typeof SIDES[number];

const ROOT = new URL("../..", import.meta.url);

interface Options {
  rounds: number;
  tasks: number;
  latency: number;
  bullmqConcurrency: number;
  redisServer: string;
  quick: boolean;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: "string" },
      tasks: { type: "string" },
      latency: { type: "string" },
      "bullmq-concurrency": { type: "string" },
      "redis-server": { type: "string" },
      quick: { type: "boolean", default: false },
    },
  });
  const quick = values.quick ?? false;
  const whole = (name: string, fallback: number, min = 1) => wholeFlag(values, name, fallback, min);
  return {
    rounds: whole("rounds", quick ? 2 : 3),
    tasks: whole("tasks", quick ? 2000 : 20_000),
    latency: whole("latency", quick ? 100 : 500),
    bullmqConcurrency: whole("bullmq-concurrency", 200),
    redisServer: values["redis-server"] ?? "redis-server",
    quick,
  };
}

/** One BullMQ round: `bullmq.ts` as a subprocess against the shared Redis. */
async function bullmqRun(redis: RedisServer, options: Options, round: number): Promise<Figures> {
  const stdout = (await runDeno("The BullMQ runner", [
    "bench/compare/bullmq.ts",
    `--redis=${redis.host}:${redis.port}`,
    `--tasks=${options.tasks}`,
    `--latency=${options.latency}`,
    `--concurrency=${options.bullmqConcurrency}`,
    `--queue=bench_noop_round_${round}`,
  ], ROOT)).trim();
  return JSON.parse(stdout.slice(stdout.lastIndexOf("\n") + 1)) as Figures;
}

/** The BullMQ version pinned in deno.json ("npm:bullmq@5.x.y" → "5.x.y"). */
async function bullmqVersion(): Promise<string> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  return /@([^@]+)$/.exec(config.imports?.bullmq ?? "")?.[1] ?? "unknown";
}

/**
 * The final table: each side's median, then ours / BullMQ and ours / BullMQ durable (below 1 for a
 * latency means ours is faster).
 */
function comparisonTable(rounds: Record<Side, Figures[]>, tasks: number): string {
  const lines = [
    `| figure | ${SIDES.map((side) => `${side} median`).join(" | ")} | ours / BullMQ | ` +
    `ours / BullMQ durable |`,
    `| --- | ${SIDES.map(() => "---:").join(" | ")} | ---: | ---: |`,
  ];
  for (const spec of FIGURE_SPECS) {
    const medians = SIDES.map((side) => median(rounds[side].map((f) => f[spec.key])));
    const [ours, plain, durable] = medians;
    lines.push(
      `| ${spec.label(tasks)} | ${medians.map(spec.format).join(" | ")} | ` +
        `${(ours / plain).toFixed(2)} | ${(ours / durable).toFixed(2)} |`,
    );
  }
  return lines.join("\n");
}

/** Every round's figures, side by side. */
function roundsTable(rounds: Record<Side, Figures[]>, tasks: number): string {
  const count = rounds[SIDES[SIDES.length - 1]].length;
  const header = ["figure"];
  for (let i = 0; i < count; i++) header.push(...SIDES.map((side) => `${side} ${i + 1}`));
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const spec of FIGURE_SPECS) {
    const cells = [spec.label(tasks)];
    for (let i = 0; i < count; i++) {
      cells.push(...SIDES.map((side) => spec.format(rounds[side][i][spec.key])));
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const command = `deno task bench:compare ${Deno.args.join(" ")}`.trim();
  const loadBefore = Deno.loadavg();
  const date = new Date().toISOString().slice(0, 10);

  const redis: RedisServer[] = [];
  try {
    redis.push(await redisStart({ command: options.redisServer, persistence: "none" }));
    redis.push(await redisStart({ command: options.redisServer, persistence: "fsync-always" }));
  } catch (error) {
    for (const server of redis) await server.stop();
    if (!(error instanceof RedisMissingError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
  const [plain, durable] = redis;

  const rounds: Record<Side, Figures[]> = { "ours": [], "BullMQ": [], "BullMQ durable": [] };
  const run: Record<Side, (round: number) => Promise<Figures>> = {
    "ours": () => oursRun(options),
    "BullMQ": (round) => bullmqRun(plain, options, round),
    "BullMQ durable": (round) => bullmqRun(durable, options, round),
  };
  try {
    console.error(
      `Redis ${plain.version} on ${plain.host}:${plain.port} (no persistence) and ` +
        `${durable.host}:${durable.port} (appendfsync always); ${options.rounds} rounds per ` +
        `side, ${int(options.tasks)} tasks, ${int(options.latency)} sequential tasks`,
    );
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of SIDES) {
        const figures = await run[side](round);
        rounds[side].push(figures);
        console.log(`round ${round}, ${`${side}:`.padEnd(16)} ${figuresLine(figures)}`);
      }
    }
  } catch (error) {
    console.error(`Comparison failed: ${(error as Error).stack}`);
    Deno.exitCode = 1;
  } finally {
    for (const server of redis) await server.stop();
  }
  // Only whole rounds are compared.
  const whole = Math.min(...SIDES.map((side) => rounds[side].length));
  if (whole === 0) return;
  for (const side of SIDES) rounds[side].length = whole;

  const cores = navigator.hardwareConcurrency;
  console.log(`\n## Side by side with BullMQ${options.quick ? " (quick smoke run)" : ""}\n`);
  console.log(`Command: \`${command}\`, ${date}  `);
  console.log(
    `Machine: ${cores} cores (${await cpuModel()}), ${Deno.build.os} ${Deno.osRelease()}, ` +
      `Deno ${Deno.version.deno}; load average before the run ` +
      `${loadBefore.map((n) => n.toFixed(2)).join(" ")}  `,
  );
  console.log(
    `BullMQ ${await bullmqVersion()} under Deno on Redis ${plain.version}: "BullMQ" without ` +
      `persistence, "BullMQ durable" with \`--appendonly yes --appendfsync always\`; one ` +
      `producer, one worker process at concurrency ${options.bullmqConcurrency}. Ours: ` +
      `\`bench/end_to_end.ts\` (embedded store, executor write concern \`journaled\`, one SDK ` +
      `worker process). No-op tasks; ${whole} alternating rounds per side, medians.\n`,
  );
  console.log(comparisonTable(rounds, options.tasks));
  console.log(`\nEvery round:\n`);
  console.log(roundsTable(rounds, options.tasks));
  console.log(
    `\nThroughput: first enqueue → last task completed as the queue reports it (batches of ` +
      `1,000, 2 in flight). Latency: ${int(options.latency)} tasks one at a time; handler start ` +
      `is the handler's own clock reading; completion seen is when the producer knows (ours: ` +
      `\`Client.createTaskAndWait\`, one request on its \`Produce\` stream; BullMQ: \`queue.add\`, ` +
      `then \`job.waitUntilFinished\` on a \`QueueEvents\` opened before). For the ` +
      `latency figures a ratio below 1 means ours is faster. Timings in ms.`,
  );
  if (options.quick) console.log(`\nA quick smoke run: these figures are not results.`);
}

if (import.meta.main) await main();
