/**
 * What one task costs, in CPU, on the wire outside the store, in today's format (`taskexecutor.v1`)
 * and in the one before it (`bench/_pre_v1_wire.ts`, commit `f5bb364`): the SDK's create request
 * (checks, `NewTask` messages, the size check, gRPC encoding), the manager's decoding of it into
 * service input, the answer (v1: the basic view the SDK asks for; pre-v1: every task echoed whole)
 * and its reading by the SDK, then the worker stream: one batch of assignments encoded by the
 * manager and decoded by the worker, one batch of results encoded by the worker and decoded by the
 * manager. No network, no store: each stage is timed alone on a batch, in µs per task; the two
 * formats' runs take turns, and each figure is the median of the runs.
 *
 * Run: `deno run -A bench/create_tasks_codec.ts [--batch=1000] [--runs=7] [--ms=300]` in a clone
 * that has commit `f5bb364` (the pre-v1 `.proto` is read from git). CPU-bound, so a busy machine
 * disturbs it far less than the end-to-end benchmark; still compare medians.
 */
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import {
  loadProtocol,
  type NewTaskMessage,
  type TaskMessage,
  timestampFromMs,
} from "@tasks-executor/proto";
import { createdTaskToBasicMessage, newTaskFromMessage } from "../server/grpc/convert.ts";
import type { Task } from "../server/domain/task.ts";
import type { FieldViolation } from "../server/domain/errors.ts";
import { createdTaskFromMessage, encodeCreateRequest } from "../sdk/_task_wire.ts";
import type { NewTask } from "../sdk/task.ts";
import {
  loadPreV1Methods,
  PRE_V1_COMMIT,
  preV1CreateMessages,
  preV1NewTaskFromMessage,
  preV1TaskFromMessage,
  preV1TaskToMessage,
} from "./_pre_v1_wire.ts";
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

const protocol = loadProtocol();
const v1 = {
  createTasks: protocol.TaskExecutorManagerService.service.CreateTasks,
  work: protocol.TaskExecutorService.service.Work,
};
const preV1 = await loadPreV1Methods(new URL("..", import.meta.url));

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

/** One stage in both formats. */
interface Stage {
  side: "manager" | "SDK";
  label: string;
  preV1: () => unknown;
  v1: () => unknown;
}

/** Every stage of one shape's batch, in both formats, and the sizes of their messages. */
function stagesOf(dataOf: (n: number) => unknown): { stages: Stage[]; sizes: string } {
  const tasks: NewTask[] = Array.from({ length: batch }, (_, i) => ({
    executorName: "send_email",
    data: dataOf(i),
  }));
  const now = Date.now();
  const created = tasks.map((t, i) => createdTask(t.data, i, now));

  const request = encodeCreateRequest(tasks, LIMITS, "many");
  const wire = Buffer.from(request.buffer, request.byteOffset, request.byteLength);
  const decoded = v1.createTasks.requestDeserialize(wire) as { tasks: NewTaskMessage[] };
  const answer = { tasks: created.map(createdTaskToBasicMessage) };
  const response = v1.createTasks.responseSerialize(answer);
  const received = v1.createTasks.responseDeserialize(response) as { tasks: TaskMessage[] };

  const oldRequest = { tasks: preV1CreateMessages(tasks, LIMITS) };
  const oldWire = preV1.createTasks.requestSerialize(oldRequest);
  const oldDecoded = preV1.createTasks.requestDeserialize(oldWire) as { tasks: [] };
  const oldAnswer = { tasks: created.map(preV1TaskToMessage) };
  const oldResponse = preV1.createTasks.responseSerialize(oldAnswer);
  const oldReceived = preV1.createTasks.responseDeserialize(oldResponse) as { tasks: [] };

  // The worker stream: the same tasks leased, as the manager sends them (in both formats the data
  // is JSON text; the times are epoch ms before v1 and `Timestamp`s in v1), and a no-op handler's
  // results.
  const leased = (i: number) => ({
    taskId: created[i].id,
    executorName: "send_email",
    dataJson: JSON.stringify(tasks[i].data),
    metadata: {},
    attempt: 1,
    maxAttempts: 3,
    leaseToken: `01JE${String(i).padStart(22, "0")}`,
  });
  const assignments = {
    assignments: {
      tasks: tasks.map((_, i) => ({
        ...leased(i),
        leaseExpiresAt: timestampFromMs(now + 30_000),
        createdAt: timestampFromMs(now),
        traceparent: "",
        tracestate: "",
      })),
    },
  };
  const oldAssignments = {
    assignments: {
      tasks: tasks.map((_, i) => ({ ...leased(i), leaseExpiresAt: now + 30_000, createdAt: now })),
    },
  };
  const result = (i: number) => ({
    taskId: created[i].id,
    leaseToken: `01JE${String(i).padStart(22, "0")}`,
    ok: true,
    resultJson: "null",
  });
  const results = { results: { results: tasks.map((_, i) => ({ ...result(i), logs: [] })) } };
  const oldResults = { results: { results: tasks.map((_, i) => result(i)) } };
  const assignmentWire = v1.work.responseSerialize(assignments);
  const oldAssignmentWire = preV1.work.responseSerialize(oldAssignments);
  const resultWire = v1.work.requestSerialize(results);
  const oldResultWire = preV1.work.requestSerialize(oldResults);

  const stages: Stage[] = [
    {
      side: "SDK",
      label: "build and encode the create request (checks, messages, size)",
      // v1 encodes once and checks the size of those bytes; pre-v1 estimated the size from JSON
      // text, then gRPC encoded the messages.
      preV1: () =>
        preV1.createTasks.requestSerialize({ tasks: preV1CreateMessages(tasks, LIMITS) }),
      v1: () => encodeCreateRequest(tasks, LIMITS, "many"),
    },
    {
      side: "manager",
      label: "decode the request (gRPC)",
      preV1: () => preV1.createTasks.requestDeserialize(oldWire),
      v1: () => v1.createTasks.requestDeserialize(wire),
    },
    {
      side: "manager",
      label: "request → service input",
      preV1: () => oldDecoded.tasks.map(preV1NewTaskFromMessage),
      v1: () => {
        const violations: FieldViolation[] = [];
        return decoded.tasks.map((t, i) =>
          newTaskFromMessage(t, `/tasks/${i}`, { maxDepth: 64, violations })
        );
      },
    },
    {
      side: "manager",
      label: "created tasks → answer (pre-v1 whole, v1 basic view)",
      preV1: () => created.map(preV1TaskToMessage),
      v1: () => created.map(createdTaskToBasicMessage),
    },
    {
      side: "manager",
      label: "encode the answer (gRPC)",
      preV1: () => preV1.createTasks.responseSerialize(oldAnswer),
      v1: () => v1.createTasks.responseSerialize(answer),
    },
    {
      side: "SDK",
      label: "decode the answer (gRPC)",
      preV1: () => preV1.createTasks.responseDeserialize(oldResponse),
      v1: () => v1.createTasks.responseDeserialize(response),
    },
    {
      side: "SDK",
      label: "answer → `Task` objects",
      preV1: () => oldReceived.tasks.map(preV1TaskFromMessage),
      v1: () => received.tasks.map((task, i) => createdTaskFromMessage(task, tasks[i])),
    },
    {
      side: "manager",
      label: "encode the assignments (gRPC)",
      preV1: () => preV1.work.responseSerialize(oldAssignments),
      v1: () => v1.work.responseSerialize(assignments),
    },
    {
      side: "SDK",
      label: "decode the assignments (gRPC)",
      preV1: () => preV1.work.responseDeserialize(oldAssignmentWire),
      v1: () => v1.work.responseDeserialize(assignmentWire),
    },
    {
      side: "SDK",
      label: "encode the results (gRPC)",
      preV1: () => preV1.work.requestSerialize(oldResults),
      v1: () => v1.work.requestSerialize(results),
    },
    {
      side: "manager",
      label: "decode the results (gRPC)",
      preV1: () => preV1.work.requestDeserialize(oldResultWire),
      v1: () => v1.work.requestDeserialize(resultWire),
    },
  ];
  const perTask = (bytes: { length: number }) => (bytes.length / batch).toFixed(0);
  const sizes = `bytes per task pre-v1 / v1: request ${perTask(oldWire)} / ${perTask(request)}, ` +
    `answer ${perTask(oldResponse)} / ${perTask(response)}, ` +
    `assignment ${perTask(oldAssignmentWire)} / ${perTask(assignmentWire)}, ` +
    `result ${perTask(oldResultWire)} / ${perTask(resultWire)}`;
  return { stages, sizes };
}

const us = (n: number) => n.toFixed(2);

for (const [shape, dataOf] of Object.entries(SHAPES)) {
  const { stages, sizes } = stagesOf(dataOf);
  const results = stages.map(() => ({ preV1: [] as number[], v1: [] as number[] }));
  for (let run = 0; run < runs; run++) {
    // The formats take turns, and which goes first alternates from run to run.
    stages.forEach((stage, i) => {
      if (run % 2 === 0) {
        results[i].preV1.push(time(stage.preV1));
        results[i].v1.push(time(stage.v1));
      } else {
        results[i].v1.push(time(stage.v1));
        results[i].preV1.push(time(stage.preV1));
      }
    });
  }
  console.log(
    `\n### ${shape}: batches of ${batch}; µs per task, median of ${runs} runs; ` +
      `pre-v1 = ${PRE_V1_COMMIT}\n\n${sizes}\n`,
  );
  console.log(
    "| stage | pre-v1 | v1 | v1 − pre-v1 | v1 runs (min–max) |\n| --- | ---: | ---: | ---: | ---: |",
  );
  const totals = { manager: { preV1: 0, v1: 0 }, SDK: { preV1: 0, v1: 0 } };
  stages.forEach(({ side, label }, i) => {
    const before = median(results[i].preV1);
    const after = median(results[i].v1);
    totals[side].preV1 += before;
    totals[side].v1 += after;
    const range = `${us(Math.min(...results[i].v1))}–${us(Math.max(...results[i].v1))}`;
    console.log(
      `| ${side}: ${label} | ${us(before)} | ${us(after)} | ${us(after - before)} | ${range} |`,
    );
  });
  for (const side of ["manager", "SDK"] as const) {
    const { preV1: before, v1: after } = totals[side];
    console.log(
      `| **${side}, all stages** | **${us(before)}** | **${us(after)}** | ` +
        `**${us(after - before)}** | |`,
    );
  }
}
