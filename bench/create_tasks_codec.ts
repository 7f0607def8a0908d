/**
 * What one task costs, in CPU, on its way through `CreateTasks` outside the store: the SDK's
 * request building (checks, `NewTask` messages, the request size check), the gRPC encoding and
 * decoding of request and answer, the manager's reading of the request into service input and its
 * building of the answer, and the SDK's reading of the answer. No network, no store: each stage is
 * timed alone on a batch, in µs per task (median of the runs).
 *
 * Run: `deno run -A bench/create_tasks_codec.ts [--batch=1000] [--runs=7] [--ms=300]`. CPU-bound,
 * so a busy machine disturbs it far less than the end-to-end benchmark; still compare medians.
 */
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { loadProtocol, type NewTaskMessage, type TaskMessage } from "@tasks-executor/proto";
import { createdTaskToBasicMessage, newTaskFromMessage } from "../server/grpc/convert.ts";
import type { Task } from "../server/domain/task.ts";
import type { FieldViolation } from "../server/domain/errors.ts";
import { createdTaskFromMessage, encodeCreateRequest } from "../sdk/_task_wire.ts";
import type { NewTask } from "../sdk/task.ts";
import { median } from "./_shared.ts";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "1000" },
    runs: { type: "string", default: "7" },
    ms: { type: "string", default: "300" },
  },
});
const batch = Number(values.batch);
const runs = Number(values.runs);
const budgetMs = Number(values.ms);

const LIMITS = {
  taskDataBytes: 1024 * 1024,
  requestBytes: 4 * 1024 * 1024,
  jsonDepth: 64,
  watchTaskIds: 1000,
};

/** Task data of two sizes: the end-to-end benchmark's `{ n }`, and an e-mail of ~350 bytes. */
const SHAPES: Record<string, (n: number) => unknown> = {
  "{ n }": (n) => ({ n }),
  "e-mail, ~350 B": (n) => ({
    to: `user${n}@example.com`,
    subject: "Your order has shipped",
    body: "Hello, your order is on its way. ".repeat(6),
    tags: ["order", "shipping", "eu"],
    orderId: 100_000 + n,
    urgent: false,
    items: [{ sku: "A-1", qty: 2 }, { sku: "B-7", qty: 1 }],
  }),
};

const method = loadProtocol().TaskExecutorManagerService.service.CreateTasks;

/** A created task as the service answers it (pending, never run). */
function createdTask(data: unknown, i: number, now: number): Task {
  return {
    id: `01JD${String(i).padStart(22, "0")}`,
    executorName: "send_email",
    data,
    metadata: {},
    status: "pending",
    priority: 0,
    runAt: now,
    attempt: 0,
    maxAttempts: 3,
    errors: [],
    errorsDropped: 0,
    run: 1,
    progress: null,
    logs: [],
    result: null,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    idempotencyKey: null,
    groupKey: null,
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    traceparent: null,
    tracestate: null,
  };
}

/** µs per task of `stage` over the batch: as many rounds as fit in the budget, after a warm-up. */
function time(stage: () => unknown): number {
  for (let i = 0; i < 20; i++) stage();
  let rounds = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    stage();
    rounds++;
  }
  return ((performance.now() - start) * 1000) / (rounds * batch);
}

for (const [shape, dataOf] of Object.entries(SHAPES)) {
  const tasks: NewTask[] = Array.from({ length: batch }, (_, i) => ({
    executorName: "send_email",
    data: dataOf(i),
  }));
  const now = Date.now();
  const request = encodeCreateRequest(tasks, LIMITS, "many");
  const wire = Buffer.from(request.buffer, request.byteOffset, request.byteLength);
  const decoded = method.requestDeserialize(wire) as { tasks: NewTaskMessage[] };
  const created = tasks.map((t, i) => createdTask(t.data, i, now));
  const answer = { tasks: created.map(createdTaskToBasicMessage) };
  const response = method.responseSerialize(answer);
  const received = method.responseDeserialize(response) as { tasks: TaskMessage[] };

  // The SDK encodes the request once, in its build stage: gRPC sends those bytes as they are.
  const stages: [string, () => unknown][] = [
    [
      "SDK: build and encode request (checks, messages, size)",
      () => encodeCreateRequest(tasks, LIMITS, "many"),
    ],
    ["manager: decode request (gRPC)", () => method.requestDeserialize(wire)],
    ["manager: request → service input", () => {
      const violations: FieldViolation[] = [];
      return decoded.tasks.map((t, i) =>
        newTaskFromMessage(t, `/tasks/${i}`, { maxDepth: 64, violations })
      );
    }],
    ["manager: created tasks → answer (basic view)", () => created.map(createdTaskToBasicMessage)],
    ["manager: encode answer (gRPC)", () => method.responseSerialize(answer)],
    ["SDK: decode answer (gRPC)", () => method.responseDeserialize(response)],
    [
      "SDK: answer → Task objects",
      () => received.tasks.map((task, i) => createdTaskFromMessage(task, tasks[i])),
    ],
  ];
  const results = stages.map(() => [] as number[]);
  for (let run = 0; run < runs; run++) {
    stages.forEach(([, stage], i) => results[i].push(time(stage)));
  }
  console.log(
    `\n### ${shape}: batches of ${batch}, request ${request.length} B, ` +
      `answer ${response.length} B; µs per task, median of ${runs} runs\n`,
  );
  console.log("| stage | µs/task | runs (min–max) |\n| --- | ---: | ---: |");
  let manager = 0;
  let sdk = 0;
  stages.forEach(([label], i) => {
    const m = median(results[i]);
    if (label.startsWith("manager")) manager += m;
    else sdk += m;
    const range = `${Math.min(...results[i]).toFixed(2)}–${Math.max(...results[i]).toFixed(2)}`;
    console.log(`| ${label} | ${m.toFixed(2)} | ${range} |`);
  });
  console.log(`| **manager, all stages** | **${manager.toFixed(2)}** | |`);
  console.log(`| **SDK, all stages** | **${sdk.toFixed(2)}** | |`);
}
