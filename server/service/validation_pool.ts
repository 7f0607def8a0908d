/**
 * A small pool of validation processes that compile task schemas and check task data against them
 * with a time budget, so that no schema and no data can hold the manager's event loop.
 *
 * Why: a schema is untrusted code in all but name. Its regular expressions run in linear time
 * (RE2), but linear with a large constant, and other keywords (`anyOf`/`oneOf` over recursive
 * `$ref`s, `uniqueItems` on arrays of objects, deep `if`/`then`/`else`) can take exponential or
 * quadratic time, and memory, on small data. No in-thread check can be interrupted, and guessing
 * the cost of a schema ahead of time would always miss a case.
 *
 * Why processes and not Web Workers: under Deno 2.7.14 `Worker.terminate()` does not stop a
 * worker that is busy in JavaScript — the thread keeps running (and allocating: one such job took
 * the whole process to a V8 out-of-memory abort) until it finishes by itself (denoland/deno#35657
 * describes the same on 2.9). A process can be killed, and gets a heap limit of its own
 * (`HEAP_MB`), so the worst a job can do is end its own process. Each process runs with no
 * permissions: `deno run --no-prompt` and nothing allowed (the manager needs `--allow-run`).
 *
 * Each step of a job has a budget (`compileMs` to compile a schema, `validationMs` per item of
 * data) of the process's CPU time, enforced by the process itself (`validation_watchdog.ts`): it
 * bounds the work a schema or its data makes, however little CPU a loaded machine gives the
 * process (timed by the wall clock, valid data was refused as too slow to check when the process
 * waited for a core). A process that overruns says so; it is killed (SIGKILL) and replaced, and
 * only its own job fails (`ValidationTimeoutError`). The pool's own timer, by the wall clock, is a
 * backstop for a process that stops answering (`backstopMs`): it is killed too, and its job fails
 * with `ValidationStalledError`, "busy, retry", never as data too slow to check. Jobs
 * wait in one queue per executor and each process runs one job at a time, so the jobs queued
 * behind a killed one go to the next free process, never failed. Executors take turns: a free
 * process takes the next job of the next executor with jobs waiting (round robin), so an
 * executor whose schema or data is slow to check (a key that may set its schema can make it so)
 * delays another executor's job by at most one turn, not by its whole queue (16 clients sending
 * data that ran to the 250 ms budget took other executors' creates from 5 ms to 3.8 s when the
 * queue was shared). A turn is short however many items a job has: a process is sent at most
 * `ITEMS_PER_MESSAGE` of them and answers those it checked once `VALIDATION_SLICE_MS` has run
 * (an item started runs to its end or its budget); the job then waits for its next turn. Two
 * batches of 120 items of 43 ms each took another executor's create from 8 ms to 14.9 s when a
 * job's turn lasted for all its items. Processes start lazily, at the first job (an
 * executor without a schema never starts one), and each keeps one compiled validator per executor
 * (the version last asked for, by executor id and `updatedAt`); the pool mirrors what each holds,
 * so it sends a schema only to a process that lacks it. A process says when each step begins, so
 * the pool names the step that overran or stalled. A job whose client went
 * away (its `signal`) leaves the queue, or takes no further turn once its part is answered.
 * @module
 */
import { fileURLToPath } from "node:url";
import type { FieldViolationMessage } from "@tasks-executor/proto";
import { UnavailableError } from "../domain/errors.ts";
import {
  LineSplitter,
  MAX_VIOLATIONS,
  VALIDATION_WORKER_ARG,
  type WorkerReply,
  type WorkerRequest,
} from "./validation_protocol.ts";
import { WaitQueue } from "./wait_queue.ts";

/**
 * The pool's wall-clock backstop of a step is this many times its CPU budget (`backstopMs`). A
 * step that uses its whole budget on a machine with a load average of 12 on 2 cores (a sixth of a
 * core to the process) ends within 6 budgets of wall time; 10 leaves room for more load.
 */
export const BACKSTOP_FACTOR = 10;

/**
 * The shortest backstop of a step, in ms: a budget of a few ms still gets seconds of wall time
 * before its process is taken as stalled (a burst of creates, a paused machine).
 */
export const MIN_BACKSTOP_MS = 5_000;

/** How long the pool waits for a step of `budgetMs` of CPU time before its process is stalled. */
export function backstopMs(budgetMs: number): number {
  return Math.max(BACKSTOP_FACTOR * budgetMs, MIN_BACKSTOP_MS);
}

/** Processes in a pool unless said otherwise: two, as a job may run a core flat out for its budget. */
export const DEFAULT_POOL_SIZE = 2;

/**
 * Most items of a `validate` job sent to a process at once; the job then waits for its turn again
 * for the next ones. With the slice a process checks items for (`VALIDATION_SLICE_MS`), this
 * bounds what a job holds a process for, and what is sent again of the items a slice left.
 */
export const ITEMS_PER_MESSAGE = 256;

/** Heap limit of each validation process, in MiB (V8 `--max-old-space-size`). */
export const HEAP_MB = 256;

/** How a pool works. */
export interface ValidationPoolOptions {
  /** Most CPU time one item of a `validate` job may take, in ms. */
  validationMs: number;
  /** Most CPU time compiling one schema may take, in ms. */
  compileMs: number;
  /** Most processes running at once (default `DEFAULT_POOL_SIZE`). */
  size?: number;
}

/** What a pool has done so far (for tests and metrics). */
export interface ValidationPoolStats {
  /** Processes started since the pool was made, replacements included. */
  workersStarted: number;
  /** Processes alive now. */
  workers: number;
  /** The process ids of the processes alive now (to find them in `ps`, or stop one in a test). */
  pids: number[];
  /** Processes killed for running past a budget. */
  timeouts: number;
  /** Processes killed for not answering within a step's backstop (`backstopMs`). */
  stalls: number;
  /** Jobs running in a process now. */
  running: number;
  /** Compiled validators the processes hold, summed (at most one per executor each). */
  validators: number;
  /** Jobs waiting for a free process. */
  queued: number;
}

/** A step ran past its budget of CPU time; its process was killed. */
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

/**
 * A step's process did not answer within its backstop (`backstopMs`), short of its CPU budget: the
 * machine or the process was held up (stopped, or starved of CPU far longer than the budget), not
 * the data. The process was killed; the step could not be checked, and may be tried again.
 */
export class ValidationStalledError extends UnavailableError {
  override name = "ValidationStalledError";
  /** The step: `-1` compiling the schema, `i` checking item `i` of the job. */
  readonly index: number;

  constructor(index: number) {
    super(
      `${
        index < 0 ? "The schema could not be compiled" : "Task data could not be validated"
      } in time: the manager is busy; retry`,
    );
    this.index = index;
  }
}

/** The process ended during a step (out of memory, most likely): that step cannot be checked. */
export class ValidationCrashError extends Error {
  override name = "ValidationCrashError";
  /** The step: `-1` compiling the schema, `i` checking item `i` of the job. */
  readonly index: number;

  constructor(index: number, status: Deno.CommandStatus) {
    super(
      `The validation process stopped (exit code ${status.code}${
        status.signal ? `, ${status.signal}` : ""
      }) during step ${index}`,
    );
    this.index = index;
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
  | { type: "compile"; key: string; schema: unknown }
  | { type: "validate"; key: string; version: number; schema: unknown; items: unknown[] };

interface Job {
  id: number;
  request: JobRequest;
  /** Aborted when the job's client went away: it leaves the queue, or takes no further turn. */
  signal: AbortSignal | undefined;
  /**
   * The violations of the items of a `validate` job checked so far: a process answers those it
   * checked within `VALIDATION_SLICE_MS`, and the job waits its turn again for the rest.
   */
  checked: FieldViolationMessage[][];
  resolve(results: FieldViolationMessage[][]): void;
  reject(error: Error): void;
}

interface Slot {
  process: Deno.ChildProcess;
  /** Settles once the process has exited and its output is read to the end. */
  ended: Promise<unknown>;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  ready: boolean;
  /** Executor id → the schema version the process holds. */
  holds: Map<string, number>;
  job: Job | null;
  /** The step the current job is on (its backstop timed from when the process said it began). */
  step: number;
  timer: number;
  /** The end of what the process wrote to stderr (a crash report, or why it could not start). */
  stderr: string;
}

const encoder = new TextEncoder();

/** What a job whose client went away is told (nobody hears it). */
function gone(): UnavailableError {
  return new UnavailableError("The request's client went away before its data was checked");
}

/** How many violations `results` list over all their items. */
function violationsIn(results: FieldViolationMessage[][]): number {
  return results.reduce((sum, found) => sum + found.length, 0);
}

/**
 * How to start a validation process: `validation_role.ts` beside this module; or, when this module
 * was bundled into one file with the manager (or compiled into one binary), that file, whose first
 * import (`validation_role.ts`) serves validation when given `VALIDATION_WORKER_ARG`.
 */
function workerArgs(compileMs: number, validationMs: number): string[] {
  const role = [VALIDATION_WORKER_ARG, String(compileMs), String(validationMs)];
  // A `deno compile` binary runs main.ts on any arguments, with the permissions it was built with.
  if (import.meta.url.includes("/deno-compile-")) return role;
  const common = ["run", "--quiet", "--no-prompt"];
  if (import.meta.url.endsWith("/validation_pool.ts")) {
    const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
    const entry = fileURLToPath(new URL("./validation_role.ts", import.meta.url));
    return [...common, "--config", config, entry, ...role];
  }
  return [...common, "--no-config", fileURLToPath(import.meta.url), ...role];
}

/** Compiles schemas and checks data in child processes, each step within its budget. */
export class ValidationPool {
  readonly #options: Required<ValidationPoolOptions>;
  readonly #slots = new Set<Slot>();
  /** Jobs waiting, by executor key, in the order the keys take turns. */
  readonly #queues = new Map<string, WaitQueue<Job>>();
  /** Processes killed and not yet seen to end. */
  readonly #dropped = new Set<Slot>();
  #nextJob = 1;
  #workersStarted = 0;
  #timeouts = 0;
  #stalls = 0;
  #closed = false;

  constructor(options: ValidationPoolOptions) {
    this.#options = { size: DEFAULT_POOL_SIZE, ...options };
  }

  /**
   * Compiles `schema` (for executor `key`, whose jobs take turns with other executors') in a
   * process and keeps nothing.
   *
   * @throws {SchemaCompileError} when it does not compile
   * @throws {ValidationTimeoutError} (index `-1`) when compiling takes more CPU time than
   *   `compileMs`
   * @throws {ValidationStalledError} (index `-1`) when the process does not answer within the
   *   backstop (`backstopMs(compileMs)`)
   * @throws {ValidationCrashError} (index `-1`) when the process dies compiling it
   */
  async compile(schema: unknown, key: string): Promise<void> {
    await this.#submit({ type: "compile", key, schema });
  }

  /**
   * Checks each of `items` against `schema`, the schema of executor `key` as of `version`
   * (compiled in a process the first time that process sees this version; the older version it
   * held is dropped). Resolves to the violations of each item, in order.
   *
   * @throws {SchemaCompileError} when the schema does not compile
   * @throws {ValidationTimeoutError} when compiling takes more CPU time than `compileMs` or one
   *   item more than `validationMs`
   * @throws {ValidationStalledError} when a step's process does not answer within its backstop
   *   (`backstopMs`)
   * @throws {ValidationCrashError} when the process dies on a step (out of memory)
   * @throws {UnavailableError} when `signal` (the client's request) is aborted before the job is
   *   done: a job waiting leaves the queue, a job with items left takes no further turn
   */
  validate(
    key: string,
    version: number,
    schema: unknown,
    items: unknown[],
    signal?: AbortSignal,
  ): Promise<FieldViolationMessage[][]> {
    if (items.length === 0) return Promise.resolve([]);
    return this.#submit({ type: "validate", key, version, schema, items }, signal);
  }

  /** Drops the validators of executor `key` (deleted) from every process. */
  forget(key: string): void {
    for (const slot of this.#slots) {
      if (slot.holds.delete(key)) this.#send(slot, { type: "forget", key });
    }
  }

  /** What the pool has done so far. */
  stats(): ValidationPoolStats {
    const slots = [...this.#slots];
    return {
      workersStarted: this.#workersStarted,
      workers: slots.length,
      pids: slots.map((slot) => slot.process.pid),
      timeouts: this.#timeouts,
      stalls: this.#stalls,
      running: slots.filter((slot) => slot.job).length,
      validators: slots.reduce((sum, slot) => sum + slot.holds.size, 0),
      queued: this.#queued(),
    };
  }

  /** Kills every process and waits for them to end; jobs not finished fail. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed = () => new Error("The validation pool is closed");
    for (const job of this.#takeAll()) job.reject(closed());
    const ending = [...this.#slots, ...this.#dropped].map((slot) => slot.ended);
    for (const slot of this.#slots) this.#drop(slot)?.reject(closed());
    await Promise.all(ending);
  }

  #submit(request: JobRequest, signal?: AbortSignal): Promise<FieldViolationMessage[][]> {
    if (this.#closed) return Promise.reject(new Error("The validation pool is closed"));
    if (signal?.aborted) return Promise.reject(gone());
    return new Promise((resolve, reject) => {
      const job: Job = { id: this.#nextJob++, request, signal, checked: [], resolve, reject };
      this.#enqueue(job, "last");
      signal?.addEventListener("abort", () => this.#leave(job), { once: true });
      this.#pump();
    });
  }

  /** Puts `job` in its executor's queue, last or (a job with items left) first. */
  #enqueue(job: Job, place: "first" | "last"): void {
    const queue = this.#queues.get(job.request.key) ?? new WaitQueue<Job>();
    if (place === "first") queue.unshift(job);
    else queue.push(job);
    this.#queues.set(job.request.key, queue);
  }

  /** `job`'s client went away: waiting, it leaves the queue now; running, it ends with its part. */
  #leave(job: Job): void {
    const queue = this.#queues.get(job.request.key);
    if (!queue?.remove(job)) return;
    if (queue.size === 0) this.#queues.delete(job.request.key);
    job.reject(gone());
  }

  #queued(): number {
    let count = 0;
    for (const queue of this.#queues.values()) count += queue.size;
    return count;
  }

  /** Every waiting job, the queues emptied. */
  #takeAll(): Job[] {
    const jobs = [...this.#queues.values()].flatMap((queue) => [...queue]);
    this.#queues.clear();
    return jobs;
  }

  /** The next job to run: the first of the executor whose turn it is, which goes to the back. */
  #next(): Job | undefined {
    for (const [key, queue] of this.#queues) {
      const job = queue.shift()!;
      this.#queues.delete(key);
      if (queue.size > 0) this.#queues.set(key, queue);
      return job;
    }
    return undefined;
  }

  /** Gives queued jobs to free processes, starting processes while the pool has room. */
  #pump(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.#next();
      if (!job) return;
      this.#run(slot, job);
    }
    let starting = [...this.#slots].filter((slot) => !slot.ready).length;
    while (this.#slots.size < this.#options.size && this.#queued() > starting) {
      this.#start();
      starting++;
    }
  }

  #start(): void {
    const process = new Deno.Command(Deno.execPath(), {
      args: workerArgs(this.#options.compileMs, this.#options.validationMs),
      // Read by every Deno, a compiled binary too (where `--v8-flags` would be a program argument).
      env: { DENO_V8_FLAGS: `--max-old-space-size=${HEAP_MB}` },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const slot: Slot = {
      process,
      ended: Promise.resolve(),
      writer: process.stdin.getWriter(),
      ready: false,
      holds: new Map(),
      job: null,
      step: 0,
      timer: 0,
      stderr: "",
    };
    slot.writer.closed.catch(() => {}); // a killed process's stdin: its end is seen in `status`
    this.#slots.add(slot);
    this.#workersStarted++;
    slot.ended = Promise.all([
      this.#read(slot),
      this.#readStderr(slot),
      process.status.then((status) => this.#onExit(slot, status)),
    ]);
  }

  /** Reads the process's replies, one JSON message per line. */
  async #read(slot: Slot): Promise<void> {
    const decoder = new TextDecoder();
    const lines = new LineSplitter();
    try {
      for await (const chunk of slot.process.stdout) {
        for (const line of lines.push(decoder.decode(chunk, { stream: true }))) {
          if (this.#slots.has(slot)) this.#onReply(slot, JSON.parse(line));
        }
      }
    } catch {
      // The process was killed mid-line: its end is handled in `#onExit`.
    }
  }

  /** Keeps the last 2,000 characters of the process's stderr. */
  async #readStderr(slot: Slot): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of slot.process.stderr) {
        slot.stderr = (slot.stderr + decoder.decode(chunk, { stream: true })).slice(-2000);
      }
    } catch {
      // The process was killed: nothing more to read.
    }
  }

  #send(slot: Slot, request: WorkerRequest): void {
    slot.writer.write(encoder.encode(JSON.stringify(request) + "\n")).catch(() => {});
  }

  #run(slot: Slot, job: Job): void {
    slot.job = job;
    const { request } = job;
    let compiles = true;
    if (request.type === "compile") {
      this.#send(slot, { type: "compile", job: job.id, schema: request.schema });
    } else {
      const { key, version } = request;
      // The next items not checked yet, and the violations the job may still report.
      const from = job.checked.length;
      const items = request.items.slice(from, from + ITEMS_PER_MESSAGE);
      const room = MAX_VIOLATIONS - violationsIn(job.checked);
      compiles = slot.holds.get(key) !== version;
      this.#send(
        slot,
        compiles
          ? { type: "validate", job: job.id, key, version, items, room, schema: request.schema }
          : { type: "validate", job: job.id, key, version, items, room },
      );
      if (compiles) slot.holds.set(key, version);
    }
    // Until the process says otherwise, its first step is timed from now.
    this.#enter(slot, compiles ? -1 : 0);
  }

  /** The current job of `slot` begins step `step`: its backstop starts. */
  #enter(slot: Slot, step: number): void {
    slot.step = step;
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => this.#stalled(slot), backstopMs(this.#budget(step)));
  }

  /** The process said that step `index` of its job ran past its budget: kill it, fail the job. */
  #overrun(slot: Slot, job: Job, index: number): void {
    this.#timeouts++;
    this.#drop(slot);
    job.reject(new ValidationTimeoutError(this.#stepOf(job, index), this.#budget(index)));
    this.#pump();
  }

  /**
   * The process did not answer within the current step's backstop, and did not say that the step
   * ran past its budget: it was held up, not the data. Kill it, fail its job as "busy, retry".
   */
  #stalled(slot: Slot): void {
    const job = slot.job;
    if (!job) return;
    this.#stalls++;
    this.#drop(slot);
    job.reject(new ValidationStalledError(this.#stepOf(job, slot.step)));
    this.#pump();
  }

  /** A step of the part of `job` a process was given, as a step of the whole job. */
  #stepOf(job: Job, step: number): number {
    return step < 0 ? step : job.checked.length + step;
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
    if (reply.type === "step") return this.#enter(slot, reply.index);
    if (reply.type === "overrun") return this.#overrun(slot, job, reply.index);
    clearTimeout(slot.timer);
    slot.job = null;
    if (reply.type === "done") this.#done(job, reply.results);
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

  /**
   * A process answered `results` for the part of `job` it was given (`ITEMS_PER_MESSAGE` items at
   * most): all of them, or those checked before its slice ran out. Items left: the job waits for
   * its turn again, first among its executor's jobs but after every other executor's waiting.
   */
  #done(job: Job, results: FieldViolationMessage[][]): void {
    const { checked } = job;
    checked.push(...results);
    if (job.request.type !== "validate") return job.resolve(checked);
    const left = job.request.items.length - checked.length;
    // Past MAX_VIOLATIONS nothing more is checked: the items left have none listed.
    if (left <= 0 || violationsIn(checked) >= MAX_VIOLATIONS) {
      return job.resolve([...checked, ...Array.from({ length: left }, () => [])]);
    }
    if (job.signal?.aborted) return job.reject(gone());
    this.#enqueue(job, "first");
  }

  /** The process ended by itself (out of memory, a crash, or it could not start). */
  #onExit(slot: Slot, status: Deno.CommandStatus): void {
    if (!this.#slots.has(slot)) return; // killed by the pool
    const job = this.#drop(slot);
    job?.reject(new ValidationCrashError(this.#stepOf(job, slot.step), status));
    if (!slot.ready) {
      // A process that never started would fail the same way again: fail what waits for it.
      const error = new Error(
        `A validation process could not start (exit code ${status.code}): ${slot.stderr.trim()}`,
      );
      for (const queued of this.#takeAll()) queued.reject(error);
    }
    this.#pump();
  }

  /** Kills a process and forgets it; returns the job it was running. */
  #drop(slot: Slot): Job | null {
    clearTimeout(slot.timer);
    this.#slots.delete(slot);
    this.#dropped.add(slot);
    slot.ended.finally(() => this.#dropped.delete(slot));
    slot.writer.abort().catch(() => {});
    try {
      slot.process.kill("SIGKILL");
    } catch {
      // It has exited already.
    }
    const job = slot.job;
    slot.job = null;
    return job;
  }
}
