/**
 * The body of one validation process of `ValidationPool`: compiles task schemas and checks task
 * data against them, one job at a time, reading requests from stdin and writing replies to stdout
 * (one JSON message per line, see `validation_protocol.ts`). Started through `validation_role.ts`,
 * without permissions.
 *
 * It keeps one compiled validator per executor (the version last asked for), and says when each
 * step of a job begins. Each step's budget is CPU time of this process, enforced here by a
 * watchdog thread (`validation_watchdog.ts`) that writes the `overrun` line naming the step; the
 * pool kills the process on it.
 * @module
 */
import {
  compileJsonSchema,
  type JsonSchemaCheck,
  JsonSchemaError,
} from "@tasks-executor/proto/json-schema";
import type { FieldViolationMessage } from "@tasks-executor/proto";
import {
  LineSplitter,
  VALIDATION_SLICE_MS,
  type WorkerReply,
  type WorkerRequest,
} from "./validation_protocol.ts";
import { Watchdog } from "./validation_watchdog.ts";

/** The budgets of a process's steps, in ms of its CPU time (`ValidationPoolOptions`). */
export interface StepBudgets {
  compileMs: number;
  validationMs: number;
}

const encoder = new TextEncoder();
/** Executor id → its validator, as of `version` (its `updatedAt`). */
const validators = new Map<string, { version: number; check: JsonSchemaCheck }>();

function send(reply: WorkerReply): void {
  const bytes = encoder.encode(JSON.stringify(reply) + "\n");
  for (let written = 0; written < bytes.length;) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/** Runs `step` as step `index` of job `job`, within its budget of CPU time. */
function step<T>(
  watchdog: Watchdog,
  job: number,
  index: number,
  budgetMs: number,
  run: () => T,
): T {
  send({ type: "step", job, index });
  watchdog.arm(job, index, budgetMs);
  try {
    return run();
  } finally {
    watchdog.end();
  }
}

function handle(
  request: WorkerRequest & { type: "compile" | "validate" },
  watchdog: Watchdog,
  budgets: StepBudgets,
): WorkerReply {
  const { job } = request;
  const { compileMs, validationMs } = budgets;
  try {
    if (request.type === "compile") {
      step(watchdog, job, -1, compileMs, () => compileJsonSchema(request.schema));
      return { type: "done", job, results: [] };
    }
    let entry = validators.get(request.key);
    if (entry?.version !== request.version) {
      const check = step(watchdog, job, -1, compileMs, () => compileJsonSchema(request.schema));
      entry = { version: request.version, check };
      validators.set(request.key, entry);
    }
    const { check } = entry;
    // Past MAX_VIOLATIONS the request is refused anyway: the rest is not checked.
    let room = request.room;
    // Once the slice is used, the items checked so far are answered; the pool sends the rest.
    const sliceEnd = performance.now() + VALIDATION_SLICE_MS;
    const results: FieldViolationMessage[][] = [];
    for (const [index, data] of request.items.entries()) {
      if (room === 0) {
        results.push([]);
        continue;
      }
      if (index > 0 && performance.now() >= sliceEnd) break;
      const violations = step(watchdog, job, index, validationMs, () => check(data))
        .slice(0, room);
      room -= violations.length;
      results.push(violations);
    }
    return { type: "done", job, results };
  } catch (error) {
    const pointer = error instanceof JsonSchemaError ? error.pointer : null;
    return { type: "failed", job, message: (error as Error).message, pointer };
  }
}

/** Serves requests until stdin closes (the manager went away), each step within `budgets`. */
export async function serveValidation(budgets: StepBudgets): Promise<void> {
  const watchdog = await Watchdog.start();
  send({ type: "ready" });
  const decoder = new TextDecoder();
  const lines = new LineSplitter();
  for await (const chunk of Deno.stdin.readable) {
    for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
      const request = JSON.parse(line) as WorkerRequest;
      if (request.type === "forget") validators.delete(request.key);
      else send(handle(request, watchdog, budgets));
    }
  }
}
