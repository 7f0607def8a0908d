/**
 * What `google.protobuf.Timestamp` / `Duration` would cost the worker stream against the epoch-ms
 * `int64` fields it carries: encode + decode, in this process, of an assignment batch (the
 * manager's `Assignments` message, 100 tasks of the benchmark's shape) and of a results batch, the
 * way grpc-js and proto-loader do it (`fromObject` + `encode`, `decode` + `toObject` with the
 * loader's options), with the time conversions (`timestampFromMs`, `msFromTimestamp`) included.
 * Prints µs per task, median of the runs, variants interleaved.
 *
 * Run: `deno run -A bench/worker_stream_times.ts [--batches=2000] [--runs=5]`. The machine is
 * shared and noisy: read the medians, and the load printed with them.
 */
import os from "node:os";
import { parseArgs } from "node:util";
import protobuf from "protobufjs";
import {
  durationFromMs,
  LOADER_OPTIONS,
  msFromDuration,
  msFromTimestamp,
  timestampFromMs,
} from "../proto/mod.ts";

const { values } = parseArgs({
  options: { batches: { type: "string", default: "2000" }, runs: { type: "string", default: "5" } },
});
const BATCHES = Number(values.batches);
const RUNS = Number(values.runs);
const TASKS_PER_BATCH = 100;

/** The two shapes of the stream's timed messages, fields as in `taskexecutor.v1`. */
const SOURCE = `syntax = "proto3"; package bench;
import "google/protobuf/timestamp.proto"; import "google/protobuf/duration.proto";
message AssignmentMs {
  string task_id = 1; string executor_name = 2; string data_json = 3;
  map<string, string> metadata = 4; int32 attempt = 5; int32 max_attempts = 6;
  string lease_token = 7; int64 lease_expires_at = 8; int64 created_at = 9;
  string traceparent = 10; string tracestate = 11;
}
message AssignmentTs {
  string task_id = 1; string executor_name = 2; string data_json = 3;
  map<string, string> metadata = 4; int32 attempt = 5; int32 max_attempts = 6;
  string lease_token = 7; google.protobuf.Timestamp lease_expire_time = 12;
  google.protobuf.Timestamp create_time = 13; string traceparent = 10; string tracestate = 11;
}
message AssignmentsMs { repeated AssignmentMs tasks = 1; }
message AssignmentsTs { repeated AssignmentTs tasks = 1; }
message ResultMs {
  string task_id = 1; string lease_token = 2; bool ok = 3; string result_json = 4;
  string error = 5; bool retryable = 6; int64 retry_after_ms = 7;
}
message ResultTs {
  string task_id = 1; string lease_token = 2; bool ok = 3; string result_json = 4;
  string error = 5; bool retryable = 6; google.protobuf.Duration retry_after = 12;
}
message ResultsMs { repeated ResultMs results = 1; }
message ResultsTs { repeated ResultTs results = 1; }`;

const root = new protobuf.Root();
for (const name of ["duration", "timestamp"]) {
  root.addJSON(protobuf.common.get(`google/protobuf/${name}.proto`)!.nested!);
}
protobuf.parse(SOURCE, root, { keepCase: false });
root.resolveAll();
const type = (name: string) => root.lookupType(`bench.${name}`);

/** One message type's round trip as grpc-js and proto-loader make it. */
function roundTrip(t: protobuf.Type, message: Record<string, unknown>): Record<string, unknown> {
  const bytes = t.encode(t.fromObject(message)).finish();
  return t.toObject(t.decode(bytes), LOADER_OPTIONS) as Record<string, unknown>;
}

const now = Date.now();
const id = (i: number) => `01J${String(i).padStart(23, "0")}`;
const TOKENS = Array.from({ length: TASKS_PER_BATCH }, () => crypto.randomUUID());
function assignment(i: number) {
  return {
    taskId: id(i),
    executorName: "bench_noop",
    dataJson: `{"i":${i}}`,
    metadata: {},
    attempt: 1,
    maxAttempts: 3,
    leaseToken: TOKENS[i],
    traceparent: "",
    tracestate: "",
  };
}
function result(i: number) {
  return { taskId: id(i), leaseToken: TOKENS[i], ok: false, error: "Busy", retryable: true };
}

interface Case {
  name: string;
  run(): number;
}

/** Builds the batch from times in ms, sends it round, reads the times back: as the code would. */
const CASES: Case[] = [
  {
    name: "assignments, int64 epoch ms",
    run() {
      const t = type("AssignmentsMs");
      const tasks = Array.from({ length: TASKS_PER_BATCH }, (_, i) => ({
        ...assignment(i),
        leaseExpiresAt: now + 30_000,
        createdAt: now - i,
      }));
      const back = roundTrip(t, { tasks }).tasks as { leaseExpiresAt: number; createdAt: number }[];
      return back.reduce((n, a) => n + a.leaseExpiresAt - a.createdAt, 0);
    },
  },
  {
    name: "assignments, Timestamp",
    run() {
      const t = type("AssignmentsTs");
      const tasks = Array.from({ length: TASKS_PER_BATCH }, (_, i) => ({
        ...assignment(i),
        leaseExpireTime: timestampFromMs(now + 30_000),
        createTime: timestampFromMs(now - i),
      }));
      const back = roundTrip(t, { tasks }).tasks as {
        leaseExpireTime: { seconds: number; nanos: number };
        createTime: { seconds: number; nanos: number };
      }[];
      return back.reduce(
        (n, a) => n + msFromTimestamp(a.leaseExpireTime)! - msFromTimestamp(a.createTime)!,
        0,
      );
    },
  },
  {
    name: "results, int64 ms",
    run() {
      const t = type("ResultsMs");
      const results = Array.from({ length: TASKS_PER_BATCH }, (_, i) => ({
        ...result(i),
        retryAfterMs: 1500,
      }));
      const back = roundTrip(t, { results }).results as { retryAfterMs: number }[];
      return back.reduce((n, r) => n + r.retryAfterMs, 0);
    },
  },
  {
    name: "results, Duration",
    run() {
      const t = type("ResultsTs");
      const results = Array.from({ length: TASKS_PER_BATCH }, (_, i) => ({
        ...result(i),
        retryAfter: durationFromMs(1500),
      }));
      const back = roundTrip(t, { results }).results as {
        retryAfter: { seconds: number; nanos: number };
      }[];
      return back.reduce((n, r) => n + msFromDuration(r.retryAfter)!, 0);
    },
  },
];

function timeCase(c: Case): number {
  let sink = 0;
  const start = performance.now();
  for (let b = 0; b < BATCHES; b++) sink += c.run();
  const elapsed = performance.now() - start;
  if (sink === -1) console.log(sink); // keeps the work observable
  return (elapsed * 1000) / (BATCHES * TASKS_PER_BATCH);
}

for (const c of CASES) timeCase({ ...c, run: () => c.run() }); // warm-up
const times = new Map<string, number[]>(CASES.map((c) => [c.name, []]));
for (let r = 0; r < RUNS; r++) {
  for (const c of CASES) times.get(c.name)!.push(timeCase(c));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `Worker stream times: ${BATCHES} batches of ${TASKS_PER_BATCH} per run, ${RUNS} runs; ` +
    `load average ${os.loadavg().map((n) => n.toFixed(2)).join(" ")}; Deno ${Deno.version.deno}`,
);
console.log("| message, time fields | µs per task (median) | runs |");
console.log("| --- | ---: | --- |");
for (const c of CASES) {
  const xs = times.get(c.name)!;
  console.log(
    `| ${c.name} | ${median(xs).toFixed(2)} | ${xs.map((x) => x.toFixed(2)).join(" ")} |`,
  );
}
