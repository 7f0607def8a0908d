/**
 * A small pool of Web Workers that compile task schemas and check task data against them with a
 * time budget, so that no schema and no data can hold the manager's event loop.
 *
 * Why workers: a schema is untrusted code in all but name. Its regular expressions run in linear
 * time (RE2), but linear with a large constant, and other keywords (`anyOf`/`oneOf` over recursive
 * `$ref`s, `uniqueItems` on arrays of objects, deep `if`/`then`/`else`) can take exponential or
 * quadratic time on small data. No in-thread check can be interrupted, and guessing the cost of a
 * schema ahead of time would always miss a case. A worker can be terminated: the pool gives each
 * step a budget (`validationMs` per task's data, `compileMs` per schema compile), terminates the
 * worker that overruns it, starts a fresh one, and fails only that job.
 *
 * Jobs wait in one queue and each worker runs one job at a time, so a terminated worker holds no
 * other job: the jobs queued behind it go to the next free worker, never failed. Workers start
 * lazily, at the first job (an executor without a schema never starts one), and each keeps one
 * compiled validator per executor (the version last asked for, by executor id and `updatedAt`);
 * the pool mirrors what each worker holds, so it sends a schema only to a worker that lacks it.
 *
 * A worker writes the step it is on (and when it began) into a shared buffer: the pool reads it
 * when a budget timer fires, so a batch of many tasks costs no message per task, and the answer
 * names the task that ran too long.
 * @module
 */
import type { FieldViolationMessage } from "@tasks-executor/proto";
import {
  PROGRESS_BYTES,
  PROGRESS_INDEX,
  PROGRESS_JOB,
  PROGRESS_STARTED,
  VALIDATION_WORKER_NAME,
  type WorkerReply,
  type WorkerRequest,
} from "./validation_protocol.ts";

/** Workers in a pool unless said otherwise: two, as a job may run a core flat out for its budget. */
export const DEFAULT_POOL_SIZE = 2;

/** How a pool works. */
export interface ValidationPoolOptions {
  /** Longest time one item of a `validate` job may take, in ms. */
  validationMs: number;
  /** Longest time compiling one schema may take, in ms. */
  compileMs: number;
  /** Most workers running at once (default `DEFAULT_POOL_SIZE`). */
  size?: number;
  /** The worker module (default: `validation_worker.ts` beside this file, see `defaultWorkerUrl`). */
  workerUrl?: URL;
}

/** What a pool has done so far (for tests and metrics). */
export interface ValidationPoolStats {
  /** Workers started since the pool was made, replacements included. */
  workersStarted: number;
  /** Workers alive now. */
  workers: number;
  /** Workers terminated for running past a budget. */
  timeouts: number;
  /** Jobs running on a worker now. */
  running: number;
  /** Jobs waiting for a free worker. */
  queued: number;
}

/** A step ran past its budget; its worker was terminated. */
export class ValidationTimeoutError extends Error {
  override name = "ValidationTimeoutError";
  /** The step: `-1` compiling the schema, `i` checking item `i` of the job. */
  readonly index: number;
  /** The budget it ran past, in ms. */
  readonly budgetMs: number;

  constructor(index: number, budgetMs: number) {
    super(
      index < 0
        ? `Compiling the schema took longer than ${budgetMs} ms`
        : `Validating item ${index} took longer than ${budgetMs} ms`,
    );
    this.index = index;
    this.budgetMs = budgetMs;
  }
}

/** The schema does not compile; `pointer` is the JSON pointer of the fault inside it. */
export class SchemaCompileError extends Error {
  override name = "SchemaCompileError";
  readonly pointer: string;

  constructor(message: string, pointer: string) {
    super(message);
    this.pointer = pointer;
  }
}

type JobRequest =
  | { type: "compile"; schema: unknown }
  | { type: "validate"; key: string; version: number; schema: unknown; items: unknown[] };

interface Job {
  id: number;
  request: JobRequest;
  resolve(results: FieldViolationMessage[][]): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  cells: Int32Array;
  started: Float64Array;
  /** Executor id → the schema version the worker holds. */
  holds: Map<string, number>;
  job: Job | null;
  /** When the current job was posted, and its first step (`-1`: compiling, `0`: the first item). */
  postedAt: number;
  firstStep: number;
  timer: number;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * The module workers start from: `validation_worker.ts` beside this module; or, when this module
 * was bundled into one file with the manager, that file, whose first import
 * (`validation_role.ts`) runs only the worker in a thread named `VALIDATION_WORKER_NAME`.
 */
function defaultWorkerUrl(): URL {
  return import.meta.url.endsWith("/validation_pool.ts")
    ? new URL("./validation_worker.ts", import.meta.url)
    : new URL(import.meta.url);
}

/** Compiles schemas and checks data in workers, each step within its budget. */
export class ValidationPool {
  readonly #options: Required<ValidationPoolOptions>;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  #nextJob = 1;
  #workersStarted = 0;
  #timeouts = 0;
  #closed = false;

  constructor(options: ValidationPoolOptions) {
    this.#options = {
      size: DEFAULT_POOL_SIZE,
      workerUrl: defaultWorkerUrl(),
      ...options,
    };
  }

  /**
   * Compiles `schema` in a worker and keeps nothing.
   *
   * @throws {SchemaCompileError} when it does not compile
   * @throws {ValidationTimeoutError} (index `-1`) when compiling takes longer than `compileMs`
   */
  async compile(schema: unknown): Promise<void> {
    await this.#submit({ type: "compile", schema });
  }

  /**
   * Checks each of `items` against `schema`, the schema of executor `key` as of `version`
   * (compiled in a worker the first time that worker sees this version; the older version it
   * held is dropped). Resolves to the violations of each item, in order.
   *
   * @throws {SchemaCompileError} when the schema does not compile
   * @throws {ValidationTimeoutError} when compiling takes longer than `compileMs` or one item
   *   longer than `validationMs`
   */
  validate(
    key: string,
    version: number,
    schema: unknown,
    items: unknown[],
  ): Promise<FieldViolationMessage[][]> {
    if (items.length === 0) return Promise.resolve([]);
    return this.#submit({ type: "validate", key, version, schema, items });
  }

  /** Drops the validators of executor `key` (deleted) from every worker. */
  forget(key: string): void {
    for (const slot of this.#slots) {
      if (slot.holds.delete(key)) slot.worker.postMessage({ type: "forget", key });
    }
  }

  /** What the pool has done so far. */
  stats(): ValidationPoolStats {
    return {
      workersStarted: this.#workersStarted,
      workers: this.#slots.size,
      timeouts: this.#timeouts,
      running: [...this.#slots].filter((slot) => slot.job).length,
      queued: this.#queue.length,
    };
  }

  /** Terminates every worker; jobs not finished fail. Idempotent. */
  close(): void {
    this.#closed = true;
    const closed = () => new Error("The validation pool is closed");
    for (const slot of this.#slots) this.#drop(slot)?.reject(closed());
    for (const job of this.#queue.splice(0)) job.reject(closed());
  }

  #submit(request: JobRequest): Promise<FieldViolationMessage[][]> {
    if (this.#closed) return Promise.reject(new Error("The validation pool is closed"));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextJob++, request, resolve, reject });
      this.#pump();
    });
  }

  /** Gives queued jobs to free workers, starting workers while the pool has room. */
  #pump(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.ready && !slot.job) this.#run(slot, this.#queue.shift()!);
    }
    const starting = [...this.#slots].filter((slot) => !slot.ready).length;
    while (this.#slots.size < this.#options.size && this.#queue.length > starting) this.#start();
  }

  #start(): void {
    const worker = new Worker(this.#options.workerUrl, {
      type: "module",
      name: VALIDATION_WORKER_NAME,
    });
    const progress = new SharedArrayBuffer(PROGRESS_BYTES);
    const slot: Slot = {
      worker,
      ready: false,
      cells: new Int32Array(progress, 0, 2),
      started: new Float64Array(progress, 8, 1),
      holds: new Map(),
      job: null,
      postedAt: 0,
      firstStep: 0,
      timer: 0,
    };
    this.#slots.add(slot);
    this.#workersStarted++;
    worker.onmessage = (event: MessageEvent<WorkerReply>) => this.#onReply(slot, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      const error = new Error(`A validation worker failed: ${event.message}`);
      const job = this.#drop(slot);
      job?.reject(error);
      // A worker that never loaded would fail the same way again: fail what waits for it.
      if (!slot.ready) { for (const queued of this.#queue.splice(0)) queued.reject(error); }
      this.#pump();
    };
    worker.postMessage({ type: "start", progress } satisfies WorkerRequest);
  }

  #run(slot: Slot, job: Job): void {
    slot.job = job;
    const { request } = job;
    let message: WorkerRequest;
    let compiles = true;
    if (request.type === "compile") {
      message = { type: "compile", job: job.id, schema: request.schema };
    } else {
      compiles = slot.holds.get(request.key) !== request.version;
      const { key, version, items } = request;
      message = compiles
        ? { type: "validate", job: job.id, key, version, items, schema: request.schema }
        : { type: "validate", job: job.id, key, version, items };
      if (compiles) slot.holds.set(key, version);
    }
    slot.postedAt = now();
    slot.firstStep = compiles ? -1 : 0;
    slot.worker.postMessage(message);
    this.#arm(slot, slot.postedAt + this.#budget(slot.firstStep));
  }

  #arm(slot: Slot, deadline: number): void {
    slot.timer = setTimeout(() => this.#check(slot), Math.max(0, deadline - now()));
  }

  /** Runs when a budget may be over: terminates the worker if the step it is on overran. */
  #check(slot: Slot): void {
    const job = slot.job;
    if (!job) return;
    // Before the worker marks its first step, that step is timed from when the job was posted.
    const begun = Atomics.load(slot.cells, PROGRESS_JOB) === job.id;
    const index = begun ? Atomics.load(slot.cells, PROGRESS_INDEX) : slot.firstStep;
    const deadline = (begun ? slot.started[PROGRESS_STARTED] : slot.postedAt) + this.#budget(index);
    if (now() < deadline) return this.#arm(slot, deadline);
    this.#timeouts++;
    this.#drop(slot);
    job.reject(new ValidationTimeoutError(index, this.#budget(index)));
    this.#pump();
  }

  /** The budget of a step, in ms. */
  #budget(step: number): number {
    return step < 0 ? this.#options.compileMs : this.#options.validationMs;
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (reply.type === "ready") {
      slot.ready = true;
      return this.#pump();
    }
    const job = slot.job;
    if (!job || job.id !== reply.job) return;
    clearTimeout(slot.timer);
    slot.job = null;
    if (reply.type === "done") job.resolve(reply.results);
    else {
      if (job.request.type === "validate") slot.holds.delete(job.request.key);
      job.reject(
        reply.pointer === null
          ? new Error(`Validation failed: ${reply.message}`)
          : new SchemaCompileError(reply.message, reply.pointer),
      );
    }
    this.#pump();
  }

  /** Terminates a worker and forgets it; returns the job it was running. */
  #drop(slot: Slot): Job | null {
    clearTimeout(slot.timer);
    slot.worker.terminate();
    this.#slots.delete(slot);
    const job = slot.job;
    slot.job = null;
    return job;
  }
}
