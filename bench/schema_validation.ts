/**
 * What schema validation costs a create: the round trip of one task create over REST and over
 * gRPC, one after another, for an executor without a schema and one with a small schema, against
 * a real manager in this process (embedded store in a temp dir). Prints p50 and p99 per case.
 *
 * Run: `deno run -A bench/schema_validation.ts [--creates=3000] [--runs=3]`. The machine is shared
 * and noisy: compare the medians of several runs.
 */
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { loadProtocol, valueFromJson } from "@tasks-executor/proto";
import { startTestManager } from "../tests/_manager.ts";

const { values } = parseArgs({
  options: { creates: { type: "string", default: "3000" }, runs: { type: "string", default: "3" } },
});
const creates = Number(values.creates);
const runs = Number(values.runs);

/** A schema of the usual kind: a few typed fields, one pattern, one format, one required. */
const SCHEMA = {
  type: "object",
  required: ["email"],
  properties: {
    email: { type: "string", format: "email" },
    name: { type: "string", maxLength: 100 },
    code: { type: "string", pattern: "^[A-Z]{3}-[0-9]{4}$" },
    n: { type: "integer", minimum: 0 },
  },
};
const DATA = { email: "a@example.com", name: "Ada", code: "ABC-1234", n: 7 };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function timeLoop(call: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 200; i++) await call(); // warm-up (and, with a schema, the workers)
  const times: number[] = [];
  for (let i = 0; i < creates; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

const results: Record<string, { p50: number[]; p99: number[] }> = {};
for (let run = 0; run < runs; run++) {
  await using manager = await startTestManager();
  for (const [name, taskSchema] of [["plain", null], ["schema", SCHEMA]] as const) {
    const response = await fetch(`${manager.httpUrl}/api/v1/executors`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ config: { name, enabled: false, taskSchema } }),
    });
    if (response.status !== 201) {
      throw new Error(`Cannot create executor: ${await response.text()}`);
    }
  }
  const { TaskExecutorManagerService } = loadProtocol();
  const client = new TaskExecutorManagerService(
    manager.grpcAddress,
    grpc.credentials.createInsecure(),
  );
  const cases: Record<string, () => Promise<void>> = {};
  for (const name of ["plain", "schema"]) {
    const body = JSON.stringify({ executorName: name, data: DATA });
    cases[`REST ${name}`] = async () => {
      const response = await fetch(`${manager.httpUrl}/api/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      await response.body?.cancel();
      if (response.status !== 201) throw new Error(`REST create answered ${response.status}`);
    };
    const request = { task: { executorName: name, data: valueFromJson(DATA) } };
    cases[`gRPC ${name}`] = () =>
      new Promise((resolve, reject) =>
        (client as unknown as Record<
          string,
          (r: unknown, cb: (e: Error | null) => void) => void
        >).CreateTask(request, (error) => (error ? reject(error) : resolve()))
      );
  }
  for (const [label, call] of Object.entries(cases)) {
    const { p50, p99 } = await timeLoop(call);
    results[label] ??= { p50: [], p99: [] };
    results[label].p50.push(p50);
    results[label].p99.push(p99);
  }
  client.close();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`| case | p50 ms (median of ${runs} runs) | p99 ms (median) | p50 of each run |`);
console.log("| --- | --- | --- | --- |");
for (const [label, { p50, p99 }] of Object.entries(results)) {
  console.log(
    `| ${label} | ${median(p50).toFixed(3)} | ${median(p99).toFixed(3)} | ${
      p50.map((x) => x.toFixed(3)).join(", ")
    } |`,
  );
}
