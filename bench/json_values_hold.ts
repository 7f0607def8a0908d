/**
 * How long one create holding much JSON holds the manager's thread, over gRPC and over REST: the
 * same task data sent as a `CreateTask` call (data a `google.protobuf.Value`) and as a REST
 * `POST /api/v1/tasks` (data JSON text), to a manager process on a fresh embedded store. While
 * each call runs, a second client asks `/healthz` back to back: the longest of those answers is
 * how long the manager's one thread was kept from anything else. The data are the largest of a
 * kind the default limits let in (MAX_REQUEST_JSON_VALUES 262,144; 1 MiB of JSON per task).
 *
 * Run: `deno run -A bench/json_values_hold.ts [--runs=5]`. Prints a markdown table, ms, the
 * median over the runs (the ways interleaved) of the call's time and of the longest `/healthz`.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { encodeMessage, valueFromJson } from "@tasks-executor/proto";
import { cpuModel, median, ms, startManagerProcess, stopManagerProcess } from "./_shared.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const RUNS = Number(values.runs);

/** The data of each kind, each within the default limits. */
const KINDS: Record<string, unknown> = {
  "262,143 empty objects": new Array(262_143).fill({}),
  "262,143 numbers": new Array(262_143).fill(1.5),
  "20,000 small objects (8 values each)": new Array(20_000).fill({
    id: "abc",
    n: 3,
    tags: ["x", "y"],
    ok: true,
  }),
};

const CREATE_TASK = "/taskexecutor.v1.TaskExecutorManagerService/CreateTask";
const identity = (bytes: Buffer) => bytes;

const dir = await Deno.makeTempDir({ prefix: "json-values-hold-" });
const manager = await startManagerProcess({ DATA_DIR: dir });
const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
try {
  const made = await fetch(`${manager.httpUrl}/api/v1/executors`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "hold" }),
  });
  if (!made.ok) throw new Error(`Cannot create the executor: ${await made.text()}`);

  /** Runs `call` while `/healthz` is asked back to back; answers both times, ms. */
  const held = async (call: () => Promise<void>) => {
    let done = false;
    let longest = 0;
    const probe = (async () => {
      while (!done) {
        const started = performance.now();
        const response = await fetch(`${manager.httpUrl}/healthz`);
        await response.body?.cancel();
        longest = Math.max(longest, performance.now() - started);
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await call();
    const took = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
    done = true;
    await probe;
    return { took, longest };
  };

  const results = new Map<string, { took: number[]; longest: number[] }>();
  const record = (label: string, figures: { took: number; longest: number }) => {
    const row = results.get(label) ?? { took: [], longest: [] };
    row.took.push(figures.took);
    row.longest.push(figures.longest);
    results.set(label, row);
  };
  for (let run = 0; run < RUNS; run++) {
    for (const [kind, data] of Object.entries(KINDS)) {
      const request = Buffer.from(encodeMessage("taskexecutor.v1.CreateTaskRequest", {
        task: { executorName: "hold", data: valueFromJson(data) },
      }));
      record(
        `${kind}, gRPC`,
        await held(() =>
          new Promise<void>((resolve, reject) =>
            client.makeUnaryRequest(
              CREATE_TASK,
              identity,
              identity,
              request,
              (error) => error ? reject(error) : resolve(),
            )
          )
        ),
      );
      const body = JSON.stringify({ executorName: "hold", data });
      record(
        `${kind}, REST`,
        await held(async () => {
          const response = await fetch(`${manager.httpUrl}/api/v1/tasks`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
          });
          if (response.status !== 201) throw new Error(await response.text());
          await response.body?.cancel();
        }),
      );
    }
  }
  console.log(
    `${await cpuModel()}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ${RUNS} runs`,
  );
  console.log("| data, transport | the create (ms) | longest /healthz meanwhile (ms) |");
  console.log("| --- | ---: | ---: |");
  for (const [label, row] of results) {
    console.log(`| ${label} | ${ms(median(row.took))} | ${ms(median(row.longest))} |`);
  }
} finally {
  client.close();
  await stopManagerProcess(manager);
  await Deno.remove(dir, { recursive: true });
}
