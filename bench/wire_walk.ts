/**
 * What the walk of a message's bytes before decoding costs: the manager's check of a
 * `CreateTasks` request of 1,000 tasks with small JSON data (its request type as the manager
 * loads it, from descriptors, held to the default limits), and the worker's bound on a
 * `WorkResponse` of 2,000 leases, each with every field and 64 metadata entries (both walks:
 * proto/wire_check.ts). Prints the process's CPU time per 200 walks (user and system: time the
 * process waits for a core is left out, which on a shared machine is most of the noise), each
 * run and the median of the runs.
 *
 * Run: `deno run -A bench/wire_walk.ts [--iterations=200] [--runs=7]`. Read the medians, and the
 * load printed with them.
 */
import os from "node:os";
import process from "node:process";
import { parseArgs } from "node:util";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { encodeMessage, loadProtocol, valueFromJson } from "../proto/mod.ts";
import { checkWire } from "../proto/wire_check.ts";
import { checkWorkMessage, maxWorkMessageElements } from "../sdk/_work_wire.ts";

const { values } = parseArgs({
  options: {
    iterations: { type: "string", default: "200" },
    runs: { type: "string", default: "7" },
  },
});
const ITERATIONS = Number(values.iterations);
const RUNS = Number(values.runs);

/** `CreateTasksRequest` as the manager checks it: from the descriptors its loader keeps. */
function servedRequestType(): protobuf.Type {
  const method = loadProtocol().TaskExecutorManagerService.service.CreateTasks as unknown as {
    requestType: { fileDescriptorProtos: Uint8Array[] };
  };
  const set = {
    file: method.requestType.fileDescriptorProtos.map((file) =>
      descriptor.FileDescriptorProto.decode(file)
    ),
  };
  const root = (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root })
    .fromDescriptor(set);
  root.resolveAll();
  return root.lookupType("taskexecutor.v1.CreateTasksRequest");
}

const create = encodeMessage("taskexecutor.v1.CreateTasksRequest", {
  tasks: Array.from({ length: 1_000 }, (_, i) => ({
    executorName: "send_email",
    data: valueFromJson({ to: `user${i}@example.com`, n: i, tags: ["a", "b"], ok: true }),
    metadata: { tenant: "t1" },
  })),
});
const time = { seconds: 1_800_000_000, nanos: 5 };
const work = encodeMessage("taskexecutor.v1.WorkResponse", {
  assignments: {
    tasks: Array.from({ length: 2_000 }, (_, n) => ({
      taskId: `task${n}`,
      executorName: "e",
      dataJson: '{"to":"a@example.com"}',
      metadata: Object.fromEntries(
        Array.from({ length: 64 }, (_, i) => [`key${i}`, `value${i}`]),
      ),
      attempt: 1,
      maxAttempts: 3,
      leaseToken: `lease${n}`,
      leaseExpiresAt: time,
      createdAt: time,
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      tracestate: "a=b",
    })),
  },
});

const type = servedRequestType();
const limits = {
  jsonValues: 256 * 1024,
  elements: 64 * 1024,
  shapes: 16 * 1024,
  refuseNamesEndingInBackslash: true,
};
const variants: Record<string, () => void> = {
  "manager checkWire, CreateTasks of 1,000": () => checkWire(type, create, limits),
  "SDK bound, WorkResponse of 2,000 leases": () =>
    checkWorkMessage(work, maxWorkMessageElements(2_000)),
};

console.log(
  `create ${create.length} bytes, work ${work.length} bytes; load ${
    os.loadavg().map((n) => n.toFixed(2)).join(" ")
  }`,
);
/** CPU time of this process so far, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const times: Record<string, number[]> = {};
for (let run = 0; run < RUNS + 1; run++) {
  for (const [name, walk] of Object.entries(variants)) {
    const start = cpuMs();
    for (let i = 0; i < ITERATIONS; i++) walk();
    const ms = cpuMs() - start;
    if (run > 0) (times[name] ??= []).push(ms); // the first run warms up
  }
}
for (const [name, runs] of Object.entries(times)) {
  const sorted = [...runs].sort((a, b) => a - b);
  console.log(
    `${name}: median ${
      sorted[Math.floor(sorted.length / 2)].toFixed(1)
    } ms CPU per ${ITERATIONS} (runs ${runs.map((ms) => ms.toFixed(1)).join(", ")})`,
  );
}
