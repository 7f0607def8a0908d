/**
 * The body of one validation worker (a Web Worker of `ValidationPool`): compiles task schemas and
 * checks task data against them, off the manager's event loop, one job at a time.
 *
 * It keeps one compiled validator per executor (the version last asked for). Before each step it
 * writes what it is doing into the pool's shared progress cells (`PROGRESS_*`), so that the pool
 * can tell, without a message, which task of a job has run past its budget.
 * @module
 */
import {
  compileJsonSchema,
  type JsonSchemaCheck,
  JsonSchemaError,
} from "@tasks-executor/proto/json-schema";
import {
  MAX_VIOLATIONS,
  PROGRESS_INDEX,
  PROGRESS_JOB,
  PROGRESS_STARTED,
  type WorkerReply,
  type WorkerRequest,
} from "./validation_protocol.ts";

const scope = self as unknown as {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
};

let cells: Int32Array | undefined;
let started: Float64Array | undefined;
/** Executor id → its validator, as of `version` (its `updatedAt`). */
const validators = new Map<string, { version: number; check: JsonSchemaCheck }>();

/** Marks the start of step `index` of job `job` (`-1`: compiling the schema). */
function progress(job: number, index: number): void {
  started![PROGRESS_STARTED] = performance.timeOrigin + performance.now();
  Atomics.store(cells!, PROGRESS_INDEX, index);
  Atomics.store(cells!, PROGRESS_JOB, job);
}

function handle(request: WorkerRequest & { type: "compile" | "validate" }): WorkerReply {
  try {
    if (request.type === "compile") {
      progress(request.job, -1);
      compileJsonSchema(request.schema);
      return { type: "done", job: request.job, results: [] };
    }
    let entry = validators.get(request.key);
    if (entry?.version !== request.version) {
      progress(request.job, -1);
      entry = { version: request.version, check: compileJsonSchema(request.schema) };
      validators.set(request.key, entry);
    }
    // Past MAX_VIOLATIONS the request is refused anyway: the rest is not checked.
    let room = MAX_VIOLATIONS;
    const results = request.items.map((data, index) => {
      if (room === 0) return [];
      progress(request.job, index);
      const violations = entry.check(data).slice(0, room);
      room -= violations.length;
      return violations;
    });
    return { type: "done", job: request.job, results };
  } catch (error) {
    const pointer = error instanceof JsonSchemaError ? error.pointer : null;
    return { type: "failed", job: request.job, message: (error as Error).message, pointer };
  }
}

scope.onmessage = (event) => {
  const request = event.data;
  if (request.type === "start") {
    cells = new Int32Array(request.progress, 0, 2);
    started = new Float64Array(request.progress, 8, 1);
  } else if (request.type === "forget") {
    validators.delete(request.key);
  } else {
    scope.postMessage(handle(request));
  }
};
scope.postMessage({ type: "ready" });
