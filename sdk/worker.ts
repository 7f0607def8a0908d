/**
 * `Worker`: serves executors over one `TaskExecutorService.Work` stream — credits up, assignments down,
 * results in batches, automatic heartbeats, cancellations, reconnects and a graceful drain.
 */
import process from "node:process";
import { clearImmediate, setImmediate } from "node:timers";
import type * as grpc from "@grpc/grpc-js";
import {
  type AssignmentMessage,
  boundLogLines,
  ENUM_PREFIX,
  fromEnum,
  type ResultMessage,
  toEnum,
  type WorkRequest,
  type WorkResponse,
} from "@tasks-executor/proto";
import { Buffer } from "node:buffer";
import { readTraceContext } from "@tasks-executor/proto/tracing";
import { startAttemptSpan } from "./_attempt_span.ts";
import { type ConnectionOptions, makeClient, toSdkError } from "./_grpc.ts";
import { WORKER_HOST } from "./_host.ts";
import {
  fitResult,
  MESSAGE_OVERHEAD_BYTES,
  type Outcome,
  resultWireBytes,
  runAttempt,
  type SendLimits,
} from "./_run.ts";
import { Client } from "./client.ts";
import {
  type AbortReason,
  type ManagerError,
  NonRetryableError,
  NotFoundError,
  PermissionDeniedError,
  RetryAfterError,
  TaskAbortedError,
  UnauthenticatedError,
} from "./errors.ts";
import { compileTaskSchema, type DataValidator } from "./schema.ts";
import type {
  AnyExecutorDefinition,
  ExecutorConfig,
  Handler,
  LogFields,
  Logger,
  Processor,
  ScheduleDeclaration,
  TaskContext,
} from "./types.ts";
import { SDK_VERSION } from "./version.ts";

/** Options of `Worker`. */
export interface WorkerOptions extends ConnectionOptions {
  /** Stable id of this worker (default: `worker-<pid>-<random>`). */
  workerId?: string;
  /** Executors served; more can be added with `registerProcessor` before `start()`. */
  executors?: AnyExecutorDefinition[];
  /** How long `stop()` waits for running tasks before aborting them (default 10 s). */
  shutdownGraceMs?: number;
  /**
   * Drain and stop on SIGINT/SIGTERM (default true). A second signal skips the grace period. When
   * handlers still run after the grace period and the abort (they ignore `ctx.signal`), the
   * process exits with 130 (SIGINT) or 143 (SIGTERM) once `closed` has settled; after a clean
   * drain it is left to end on its own.
   */
  handleSignals?: boolean;
  /**
   * Create or update the executors' configuration on start (default true). An executor served
   * without `config` is created with the manager's defaults if it does not exist, and left as it
   * is if it does.
   */
  register?: boolean;
  /** Where the worker logs (default: the console, info and up); `false` silences it. */
  logger?: Logger | false;
  /** Reconnect backoff: first delay and cap (ms), doubled per failure with jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * Result batching window in ms (default 2): the first result after a quiet spell goes at once,
   * the results that follow within the window go together in one message.
   */
  resultBatchMs?: number;
}

interface Served {
  name: string;
  handler: Handler<never, unknown>;
  concurrency: number;
  config?: ExecutorConfig;
  validate?: DataValidator;
  schedules: ScheduleDeclaration[];
}

interface Run {
  assignment: AssignmentMessage;
  served: Served;
  controller: AbortController;
  /** Lease length: also how long the attempt may go without finishing or `ctx.heartbeat()`. */
  leaseMs: number;
  /** Heartbeat period: a third of the lease length. */
  heartbeatEveryMs: number;
  /** When the attempt times out unless the handler calls `ctx.heartbeat()` first. */
  deadline: number;
  nextHeartbeatAt: number;
  lastHeartbeatAt: number;
  progress: unknown;
  /** Progress reported since the last heartbeat sent (it goes with the next one). */
  progressDirty: boolean;
  /** The first lines the handler logged (`ctx.log`), at most `maxLogLines`, and how many in all. */
  logs: string[];
  logCount: number;
  /** The manager said stop (cancelled or lease lost): no more heartbeats, refusal expected. */
  released: boolean;
  /** Settles when the handler settled and its result was queued. */
  done: Promise<void>;
  /** Set when shutdown gave up waiting: the result was already queued. */
  abandoned: boolean;
}

type State = "new" | "starting" | "running" | "stopping" | "stopped";

type WorkStream = grpc.ClientDuplexStream<WorkRequest, WorkResponse>;

const MAX_RESULTS_PER_MESSAGE = 500;
/**
 * What to assume of a manager whose welcome does not say (an older one, or before the first
 * welcome): gRPC's default 4 MiB receive limit.
 */
const UNSAID_LIMITS: SendLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxResultBytes: 4 * 1024 * 1024,
  maxErrorChars: 64 * 1024,
  maxStackChars: 2000,
  maxLogLines: 10,
  maxLogLineChars: 150,
  maxProgressBytes: 1024,
};
const MAX_UNACKED = 10_000;
// After the grace period, aborted handlers get this long to return before they are abandoned.
const ABORT_SETTLE_MS = 1000;
// At shutdown, how long to wait for the manager to acknowledge the last results.
const ACK_WAIT_MS = 3000;
const REGISTER_TIMEOUT_MS = 5000;
/** Exit codes of the signal path when handlers had to be abandoned: 128 + the signal's number. */
const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * A worker process's connection to the manager: runs the handlers of its executors.
 *
 * @example Serve one executor
 * ```ts
 * import { defineExecutor, Worker } from "@tasks-executor/sdk";
 *
 * const worker = new Worker({
 *   address: "localhost:50051",
 *   executors: [
 *     defineExecutor<{ message: string }, { echoed: string }>({
 *       name: "my_handler",
 *       concurrency: 4,
 *       config: {
 *         taskSchema: {
 *           type: "object",
 *           required: ["message"],
 *           properties: { message: { type: "string" } },
 *         },
 *         retryPolicy: { type: "exponential", maxAttempts: 3, interval: 1000 },
 *       },
 *       handler: async (data, ctx) => {
 *         ctx.logger.info("Working", { taskId: ctx.taskId, attempt: ctx.attempt });
 *         return { echoed: data.message };
 *       },
 *     }),
 *   ],
 * });
 * await worker.start(); // SIGINT/SIGTERM drain it; or call worker.stop()
 * await worker.closed;
 * ```
 */
export class Worker implements AsyncDisposable {
  /** This worker's id, as the manager and the admin page show it. */
  readonly workerId: string;
  /**
   * Settles once the worker has stopped (after `stop()` or a signal). Rejects, with
   * `UnauthenticatedError` or `PermissionDeniedError`, when it stopped because the manager refused
   * its API key or executors (a configuration error that retrying cannot mend).
   */
  readonly closed: Promise<void>;

  readonly #options: WorkerOptions;
  readonly #log: Logger;
  readonly #served = new Map<string, Served>();
  readonly #runs = new Map<string, Run>();
  #state: State = "new";
  #resolveClosed!: () => void;
  #rejectClosed!: (error: Error) => void;
  /** Why the manager refused this worker for good, once it did. */
  #refusal: ManagerError | undefined;
  #stopping: Promise<void> | undefined;

  #grpc: grpc.Client | undefined;
  #manager: Client | undefined;
  #call: WorkStream | undefined;
  #failures = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #reconnectWake: (() => void) | undefined;

  #pending: ResultMessage[] = [];
  /** The manager's limits on what this worker sends, from its last welcome. */
  #limits: SendLimits = UNSAID_LIMITS;
  #unacked = new Map<string, ResultMessage>();
  /** Tasks the manager took back (cancelled, lease lost): their results are refused, quietly. */
  #expectRefusal = new Set<string>();
  #ackWaiters = new Set<() => void>();
  #grants = new Map<string, number>();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #flushSoon: ReturnType<typeof setImmediate> | undefined;
  /** When results were last sent (performance.now()). */
  #flushedAt = -Infinity;
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeatAt = Infinity;
  #runsChanged = new Set<() => void>();
  #graceCut: (() => void) | undefined;
  #signalHandler: ((signal: string) => void) | undefined;
  /** Set by the first SIGINT/SIGTERM: the process's exit code if handlers must be abandoned. */
  #signalExitCode: number | undefined;

  /**
   * Checks the executors (names, concurrency, schemas) and prepares the worker; nothing connects
   * before `start()`.
   *
   * @throws {TypeError} on a bad executor definition
   */
  constructor(options: WorkerOptions) {
    if (!options.address) throw new TypeError("Worker option address is required");
    this.#options = options;
    this.workerId = options.workerId ??
      `worker-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.#log = options.logger === false ? SILENT : options.logger ?? consoleLogger();
    this.closed = new Promise((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    // Whoever awaits `closed` hears of a refusal; nobody awaiting it is no unhandled rejection.
    this.closed.catch(() => {});
    for (const definition of options.executors ?? []) this.#add(definition);
  }

  /**
   * Serves an executor with a processor shaped like the original Go SDK's (`processTask(task)`,
   * `getTaskSchema()`). Call it before `start()`.
   *
   * @example
   * ```ts
   * import { Worker } from "@tasks-executor/sdk";
   * const worker = new Worker({ address: "localhost:50051" });
   * worker.registerProcessor("my_handler", {
   *   processTask: async (task) => ({ received: task.data, attempt: task.attempt }),
   *   getTaskSchema: () => ({ type: "object", properties: { message: { type: "string" } } }),
   * });
   * await worker.start();
   * ```
   */
  registerProcessor<TData = unknown, TResult = unknown>(
    name: string,
    processor: Processor<TData, TResult>,
    options: { concurrency?: number } = {},
  ): this {
    if (this.#state !== "new") {
      throw new Error(`Cannot register processor "${name}": the worker has started`);
    }
    const schema = processor.getTaskSchema?.();
    const config: ExecutorConfig = { ...processor.getConfig?.() };
    if (schema !== undefined && schema !== null) config.taskSchema = schema;
    this.#add({
      name,
      concurrency: options.concurrency,
      config,
      handler: ((data: TData, ctx: TaskContext) =>
        processor.processTask({
          id: ctx.taskId,
          executorName: ctx.executorName,
          data,
          metadata: ctx.metadata,
          attempt: ctx.attempt,
          maxAttempts: ctx.maxAttempts,
          createdAt: ctx.createdAt,
        }, ctx)) as Handler<never, unknown>,
    });
    return this;
  }

  #add(definition: AnyExecutorDefinition): void {
    const { name } = definition;
    if (!/^[a-z0-9_.-]{1,128}$/.test(name)) {
      throw new TypeError(
        `Executor name "${name}" must be 1-128 characters of a-z, 0-9, _, . or -`,
      );
    }
    if (this.#served.has(name)) throw new TypeError(`Executor "${name}" is registered twice`);
    if (typeof definition.handler !== "function") {
      throw new TypeError(`Executor "${name}" needs a handler function`);
    }
    const concurrency = definition.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TypeError(`Executor "${name}" concurrency must be a whole number >= 1`);
    }
    const schema = definition.config?.taskSchema;
    let validate: DataValidator | undefined;
    if (schema !== undefined && schema !== null) {
      try {
        validate = compileTaskSchema(schema);
      } catch (error) {
        throw new TypeError(`Executor "${name}" taskSchema: ${(error as Error).message}`);
      }
    }
    this.#served.set(name, {
      name,
      handler: definition.handler,
      concurrency,
      config: definition.config,
      validate,
      schedules: definition.schedules ?? [],
    });
  }

  /**
   * Registers the executors' configuration (retrying while the manager is unreachable), then
   * opens the work stream. Resolves once connected for the first time.
   *
   * @throws {InvalidArgumentError} when the manager refuses a configuration
   * @throws {UnauthenticatedError} when the manager refuses the API key (none, unknown, revoked)
   * @throws {PermissionDeniedError} when the key may not register or serve these executors
   * @throws {TypeError} when `apiKey` (or `TASKS_EXECUTOR_API_KEY`) or a `tls` file cannot be used
   *
   * @example
   * ```ts
   * import { Worker } from "@tasks-executor/sdk";
   * const worker = new Worker({
   *   address: "localhost:50051",
   *   executors: [{ name: "noop", handler: () => null }],
   * });
   * await worker.start();
   * await worker.stop();
   * ```
   */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error("Cannot start the worker: it was started before");
    if (this.#served.size === 0) {
      throw new Error("Cannot start the worker: it serves no executor (pass executors)");
    }
    // Channels first: a bad apiKey or tls file throws before anything started.
    this.#grpc = makeClient("TaskExecutorService", this.#options);
    this.#manager = new Client({ ...this.#options, callTimeoutMs: REGISTER_TIMEOUT_MS });
    this.#state = "starting";
    this.#installSignals();
    try {
      await this.#registerUntilDone();
    } catch (error) {
      if ((this.#state as State) === "stopped") return; // stop() won the race
      if (isRefusal(error)) this.#noteRefusal(error);
      await this.#teardown();
      throw error;
    }
    if ((this.#state as State) !== "starting") return; // stopped while registering
    this.#state = "running";
    this.#connect();
  }

  /** Registers every configured executor; retries while unreachable, throws on a refusal. */
  async #registerUntilDone(): Promise<void> {
    if (this.#options.register === false) return;
    while (this.#state === "starting" || this.#state === "running") {
      try {
        await this.#registerAll();
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 14 && (error as { code?: number }).code !== 4) {
          throw error;
        }
        const delay = this.#backoff();
        this.#log.warn("Manager unreachable, retrying executor registration", {
          address: this.#options.address,
          retryInMs: delay,
          error: (error as Error).message,
        });
        await this.#sleep(delay);
      }
    }
  }

  async #registerAll(): Promise<void> {
    for (const served of this.#served.values()) {
      if (served.config) await this.#manager!.registerExecutor(served.name, served.config);
      else await this.#ensureExecutor(served.name);
      for (const { name, ...declared } of served.schedules) {
        await this.#manager!.schedules.register(name, { ...declared, executorName: served.name });
      }
    }
    this.#log.debug("Executors registered", { executors: [...this.#served.keys()] });
  }

  /**
   * An executor served without `config`: created with the manager's defaults when it does not
   * exist, left as it is when it does (its configuration is someone else's, the API's or the
   * admin page's).
   */
  async #ensureExecutor(name: string): Promise<void> {
    try {
      await this.#manager!.getExecutor(name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      this.#log.info("Creating executor with the manager's defaults", { executor: name });
      await this.#manager!.registerExecutor(name);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#reconnectWake = resolve;
      this.#reconnectTimer = setTimeout(() => {
        this.#reconnectTimer = undefined;
        this.#reconnectWake = undefined;
        resolve();
      }, ms);
    });
  }

  #backoff(): number {
    const first = this.#options.reconnect?.initialDelayMs ?? 100;
    const cap = this.#options.reconnect?.maxDelayMs ?? 10_000;
    const base = Math.min(cap, first * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    // Full jitter on the upper half: spreads a fleet of workers after a manager restart.
    return Math.round(base / 2 + Math.random() * base / 2);
  }

  // Connection --------------------------------------------------------------------------------

  #connect(): void {
    const call = (this.#grpc as unknown as { Work(): WorkStream }).Work();
    this.#call = call;
    call.on("data", (message: WorkResponse) => {
      if (this.#call === call) this.#onMessage(message);
    });
    call.on("error", (error: grpc.ServiceError) => this.#onStreamEnd(call, error));
    call.on("end", () => this.#onStreamEnd(call, undefined));
    this.#write({
      hello: {
        workerId: this.workerId,
        executors: [...this.#served.keys()],
        sdkVersion: `ts-${SDK_VERSION}`,
        ...WORKER_HOST,
      },
    });
    // A fresh connection starts with no credit: grant the room left by tasks still running.
    this.#grants.clear();
    if (this.#state === "running") {
      for (const served of this.#served.values()) {
        const room = served.concurrency - this.#runningFor(served.name);
        if (room > 0) this.#grants.set(served.name, room);
      }
    }
    // Results the last connection may not have delivered go again; stale ones are refused.
    const resend = [...this.#unacked.values()];
    this.#unacked.clear();
    this.#pending = [...resend, ...this.#pending];
    this.#flush();
    const running = [...this.#runs.values()].filter((r) => !r.released);
    if (running.length > 0) {
      this.#write({ heartbeat: { taskIds: running.map((r) => r.assignment.taskId) } });
      const now = Date.now();
      for (const run of running) run.lastHeartbeatAt = now;
    }
  }

  #onStreamEnd(call: WorkStream, error: grpc.ServiceError | undefined): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    call.removeAllListeners("data");
    // grpc-js emits an error after `cancel()`; keep a listener so it is never unhandled.
    call.on("error", () => {});
    if (this.#state === "stopped") return;
    const refusal = error && toSdkError(error, "Work");
    if (isRefusal(refusal)) return this.#refuse(refusal);
    const delay = this.#backoff();
    const fields: LogFields = { retryInMs: delay, inFlight: this.#runs.size };
    if (error) fields.error = error.details || error.message;
    this.#log.warn("Lost the work stream to the manager, reconnecting", fields);
    this.#notifyAcks(); // nobody will acknowledge on this stream any more
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#reconnect();
    }, delay);
  }

  async #reconnect(): Promise<void> {
    if (this.#state !== "running" && this.#state !== "stopping") return;
    if (this.#state === "running" && this.#options.register !== false) {
      // The manager may have come back with an empty store: register again before serving.
      try {
        await this.#registerAll();
      } catch (error) {
        if (this.#state !== "running") return;
        if (isRefusal(error)) return this.#refuse(error);
        const delay = this.#backoff();
        this.#log.warn("Executor registration failed, retrying", {
          error: (error as Error).message,
          retryInMs: delay,
        });
        this.#reconnectTimer = setTimeout(() => {
          this.#reconnectTimer = undefined;
          void this.#reconnect();
        }, delay);
        return;
      }
    }
    if (this.#state === "running" || this.#state === "stopping") this.#connect();
  }

  /** Logs, once, the manager's refusal of this worker's key or executors; `closed` rejects with it. */
  #noteRefusal(error: ManagerError): void {
    if (this.#refusal) return;
    this.#refusal = error;
    this.#log.error("Manager refused this worker's API key, stopping", {
      address: this.#options.address,
      error: error.message,
      status: error.name,
    });
  }

  /** A refusal after start: stops the worker (draining), and `closed` rejects with it. */
  #refuse(error: ManagerError): void {
    this.#noteRefusal(error);
    void this.stop();
  }

  #write(message: WorkRequest): boolean {
    const call = this.#call;
    if (!call) return false;
    try {
      call.write(message);
      return true;
    } catch (error) {
      this.#log.debug("Write to the work stream failed", { error: (error as Error).message });
      return false;
    }
  }

  #onMessage(message: WorkResponse): void {
    this.#failures = 0;
    if (message.welcome) {
      const said = message.welcome;
      const limits = { ...UNSAID_LIMITS };
      for (const key of Object.keys(limits) as (keyof SendLimits)[]) {
        if (Number(said[key]) > 0) limits[key] = Number(said[key]);
      }
      this.#limits = limits;
      this.#log.info("Connected to the manager", {
        managerId: message.welcome.managerId,
        workerId: this.workerId,
        executors: [...this.#served.keys()],
      });
    }
    if (message.assignments) {
      for (const assignment of message.assignments.tasks) this.#startRun(assignment);
    }
    if (message.cancellations) {
      for (const cancellation of message.cancellations.tasks) {
        const { taskId } = cancellation;
        const run = this.#runs.get(taskId);
        if (!run) continue;
        run.released = true;
        const reason = fromEnum(ENUM_PREFIX.cancellationReason, cancellation.reason);
        const why: AbortReason = reason === "timeout" || reason === "lease_lost"
          ? reason
          : "cancelled";
        this.#log.info("Manager asked to abort a task", { taskId, reason: why });
        run.controller.abort(new TaskAbortedError(why));
      }
    }
    if (message.executorDeleted) {
      this.#log.warn(
        "The manager says this executor was deleted: its tasks are gone and no more will come",
        { executor: message.executorDeleted.executorName },
      );
    }
    if (message.acks) {
      for (const ack of message.acks.acks) {
        this.#unacked.delete(ack.taskId);
        const expected = this.#expectRefusal.delete(ack.taskId);
        if (!ack.accepted) {
          const fields = { taskId: ack.taskId, error: ack.error };
          if (expected) this.#log.debug("Manager refused the result of an aborted task", fields);
          else this.#log.warn("Manager refused a result", fields);
        }
      }
      this.#notifyAcks();
    }
  }

  // Tasks -------------------------------------------------------------------------------------

  #runningFor(name: string): number {
    let n = 0;
    for (const run of this.#runs.values()) if (run.served.name === name) n++;
    return n;
  }

  #startRun(assignment: AssignmentMessage): void {
    const served = this.#served.get(assignment.executorName);
    if (!served) {
      this.#queueResult({
        taskId: assignment.taskId,
        leaseToken: assignment.leaseToken,
        ok: false,
        error: `Worker ${this.workerId} does not serve executor "${assignment.executorName}"`,
        retryable: true,
        retryAfterMs: 0,
      });
      return;
    }
    const previous = this.#runs.get(assignment.taskId);
    if (previous) {
      // Leased again (ours expired meanwhile): the old attempt's result will be refused.
      previous.released = true;
      previous.controller.abort(new TaskAbortedError("lease_lost"));
    }
    const now = Date.now();
    const leaseMs = assignment.leaseExpiresAt > now
      ? assignment.leaseExpiresAt - now
      : served.config?.timeout ?? 30_000;
    const heartbeatEveryMs = Math.max(100, Math.floor(leaseMs / 3));
    const controller = new AbortController();
    const run: Run = {
      assignment,
      served,
      controller,
      leaseMs,
      heartbeatEveryMs,
      deadline: now + leaseMs,
      nextHeartbeatAt: now + heartbeatEveryMs,
      lastHeartbeatAt: now,
      progress: undefined,
      progressDirty: false,
      logs: [],
      logCount: 0,
      released: false,
      done: Promise.resolve(),
      abandoned: false,
    };
    const span = startAttemptSpan(
      readTraceContext(assignment.traceparent, assignment.tracestate),
      {
        executorName: served.name,
        taskId: assignment.taskId,
        attempt: assignment.attempt,
        workerId: this.workerId,
      },
    );
    const ctx: TaskContext = {
      taskId: assignment.taskId,
      executorName: served.name,
      attempt: assignment.attempt,
      maxAttempts: assignment.maxAttempts,
      metadata: Object.freeze({ ...assignment.metadata }),
      createdAt: new Date(Number(assignment.createdAt) || now),
      workerId: this.workerId,
      signal: controller.signal,
      heartbeat: (progress) => this.#manualHeartbeat(run, progress),
      log: (line) => {
        run.logCount++;
        if (run.logs.length < this.#limits.maxLogLines) run.logs.push(String(line));
      },
      logger: this.#log,
      traceparent: span.traceparent,
    };
    this.#runs.set(assignment.taskId, run);
    this.#scheduleHeartbeat(Math.min(run.nextHeartbeatAt, run.deadline));
    run.done = span.run(() => runAttempt(served.handler, assignment.dataJson, ctx, served.validate))
      .then((outcome) => {
        span.end(outcome.ok ? undefined : outcome.error);
        this.#finish(run, outcome);
      });
  }

  #finish(run: Run, outcome: Outcome): void {
    if (run.abandoned) return;
    const { assignment } = run;
    if (this.#runs.get(assignment.taskId) === run) this.#runs.delete(assignment.taskId);
    const result: ResultMessage = outcome.ok
      ? {
        taskId: assignment.taskId,
        leaseToken: assignment.leaseToken,
        ok: true,
        resultJson: outcome.resultJson,
        logs: this.#logsOf(run),
      }
      : {
        taskId: assignment.taskId,
        leaseToken: assignment.leaseToken,
        ok: false,
        error: outcome.error,
        retryable: outcome.retryable,
        retryAfterMs: outcome.retryAfterMs,
        failureReason: toEnum(ENUM_PREFIX.dlqReason, outcome.failureReason),
        ...(outcome.rateLimited ? { rateLimited: true } : {}),
        stack: outcome.cause instanceof Error ? outcome.cause.stack ?? "" : "",
        logs: this.#logsOf(run),
      };
    if (!outcome.ok && !run.released) {
      const fields: LogFields = {
        taskId: assignment.taskId,
        executor: run.served.name,
        attempt: assignment.attempt,
        retryable: outcome.retryable,
        error: outcome.error,
      };
      // An attempt the manager will retry is the retry policy at work: one info line, no stack.
      // The last attempt, or one not to be retried, is a warning; a stack helps with a crash,
      // not with an error the handler threw on purpose.
      if (outcome.retryable && assignment.attempt < assignment.maxAttempts) {
        this.#log.info("Task attempt failed, the manager retries it", fields);
      } else {
        const deliberate = outcome.cause instanceof NonRetryableError ||
          outcome.cause instanceof RetryAfterError || outcome.cause instanceof TaskAbortedError;
        if (outcome.cause instanceof Error && !outcome.failureReason && !deliberate) {
          fields.stack = outcome.cause.stack;
        }
        this.#log.warn("Task attempt failed", fields);
      }
    }
    if (run.released && run.controller.signal.reason?.reason !== "timeout") {
      this.#expectRefusal.add(assignment.taskId);
      if (this.#expectRefusal.size > MAX_UNACKED) {
        this.#expectRefusal.delete(this.#expectRefusal.values().next().value!);
      }
    }
    this.#queueResult(result);
    if (this.#state === "running") {
      this.#grants.set(run.served.name, (this.#grants.get(run.served.name) ?? 0) + 1);
    }
    for (const notify of this.#runsChanged) notify();
  }

  /** The attempt's log lines as sent (`boundLogLines`, counting those not kept). */
  #logsOf(run: Run): string[] {
    const { maxLogLines, maxLogLineChars } = this.#limits;
    return boundLogLines(run.logs, maxLogLines, maxLogLineChars, { total: run.logCount });
  }

  #queueResult(result: ResultMessage): void {
    this.#pending.push(result);
    if (this.#flushTimer !== undefined || this.#flushSoon !== undefined) return;
    const windowMs = this.#options.resultBatchMs ?? 2;
    if (performance.now() - this.#flushedAt >= windowMs) {
      // Quiet until now: send without waiting out the window, yet after the current turn of the
      // event loop, so that results finishing together (one assignment message) still share one
      // message.
      this.#flushSoon = setImmediate(() => {
        this.#flushSoon = undefined;
        this.#flush();
      });
      return;
    }
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flush();
    }, windowMs);
  }

  /**
   * Sends queued results and the credits they freed, in messages within the manager's size limit;
   * each result is first fitted to its limits (`fitResult`), so that no result can stop the
   * others.
   */
  #flush(): void {
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    if (this.#flushSoon !== undefined) {
      clearImmediate(this.#flushSoon);
      this.#flushSoon = undefined;
    }
    if (!this.#call) return; // kept for the next connection
    if (this.#pending.length > 0) this.#flushedAt = performance.now();
    while (this.#pending.length > 0) {
      const batch = this.#nextBatch();
      for (const result of batch) this.#unacked.set(result.taskId, result);
      if (!this.#write({ results: { results: batch } })) return;
    }
    while (this.#unacked.size > MAX_UNACKED) {
      this.#unacked.delete(this.#unacked.keys().next().value!);
    }
    if (this.#state !== "running") return;
    for (const [executorName, credits] of this.#grants) {
      if (credits > 0) this.#write({ credit: { executorName, credits } });
    }
    this.#grants.clear();
  }

  /** Takes the next results that fit in one message (at least one) off the queue. */
  #nextBatch(): ResultMessage[] {
    const batch: ResultMessage[] = [];
    let bytes = MESSAGE_OVERHEAD_BYTES;
    let taken = 0;
    for (; taken < this.#pending.length && batch.length < MAX_RESULTS_PER_MESSAGE; taken++) {
      const queued = this.#pending[taken];
      const result = fitResult(queued, this.#limits);
      this.#pending[taken] = result;
      if (result.ok !== queued.ok) {
        this.#log.warn("Task result is over the manager's limit, reporting a failed attempt", {
          taskId: result.taskId,
          error: result.error,
        });
      }
      const size = resultWireBytes(result);
      if (batch.length > 0 && bytes + size > this.#limits.maxMessageBytes) break;
      batch.push(result);
      bytes += size;
    }
    this.#pending.splice(0, taken);
    return batch;
  }

  // Heartbeats --------------------------------------------------------------------------------

  #manualHeartbeat(run: Run, progress: unknown): void {
    run.progress = progress;
    if (progress !== undefined) run.progressDirty = true;
    if (run.released || !this.#runs.has(run.assignment.taskId)) return;
    // The handler shows progress: its attempt may go on for another lease length.
    run.deadline = Date.now() + run.leaseMs;
    // Coalesce: a handler calling this in a tight loop sends at most one heartbeat a second.
    const earliest = run.lastHeartbeatAt + Math.min(1000, run.heartbeatEveryMs);
    run.nextHeartbeatAt = Math.min(run.nextHeartbeatAt, earliest);
    this.#scheduleHeartbeat(run.nextHeartbeatAt);
  }

  #scheduleHeartbeat(at: number): void {
    if (at >= this.#heartbeatAt) return;
    if (this.#heartbeatTimer !== undefined) clearTimeout(this.#heartbeatTimer);
    this.#heartbeatAt = at;
    this.#heartbeatTimer = setTimeout(() => this.#sendHeartbeats(), Math.max(0, at - Date.now()));
  }

  /** Sends the heartbeats that are due and times out attempts past their deadline. */
  #sendHeartbeats(): void {
    this.#heartbeatTimer = undefined;
    this.#heartbeatAt = Infinity;
    const now = Date.now();
    const due: string[] = [];
    const progressJson: Record<string, string> = {};
    let next = Infinity;
    for (const run of this.#runs.values()) {
      if (run.released) continue;
      if (run.deadline <= now) {
        // No heartbeats after a timeout: the lease runs out unless the handler returns first.
        run.released = true;
        this.#log.warn("Task attempt timed out, aborting it", {
          taskId: run.assignment.taskId,
          timeoutMs: run.leaseMs,
        });
        run.controller.abort(new TaskAbortedError("timeout"));
        continue;
      }
      if (run.nextHeartbeatAt <= now + 5) {
        due.push(run.assignment.taskId);
        if (run.progressDirty) {
          run.progressDirty = false;
          const json = progressJsonOf(run.progress, this.#limits.maxProgressBytes);
          if (json !== undefined) progressJson[run.assignment.taskId] = json;
          else {this.#log.debug("Progress is not JSON or too large, not sent", {
              taskId: run.assignment.taskId,
            });}
        }
        run.lastHeartbeatAt = now;
        run.nextHeartbeatAt = now + run.heartbeatEveryMs;
      }
      next = Math.min(next, run.nextHeartbeatAt, run.deadline);
    }
    if (due.length > 0) this.#write({ heartbeat: { taskIds: due, progressJson } });
    if (next !== Infinity) this.#scheduleHeartbeat(next);
  }

  // Shutdown ----------------------------------------------------------------------------------

  #installSignals(): void {
    if (this.#options.handleSignals === false) return;
    this.#signalHandler = (signal: string) => {
      this.#signalExitCode ??= SIGNAL_EXIT_CODES[signal];
      if (this.#state === "stopping") {
        this.#log.warn(`Received ${signal} again, aborting running tasks now`);
        this.#graceCut?.();
        return;
      }
      this.#log.info(`Received ${signal}, draining`, { inFlight: this.#runs.size });
      void this.stop();
    };
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      try {
        process.on(signal, this.#signalHandler);
      } catch {
        // Not every platform has every signal (SIGTERM on Windows).
      }
    }
  }

  #removeSignals(): void {
    if (!this.#signalHandler) return;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      try {
        process.off(signal, this.#signalHandler);
      } catch {
        // See #installSignals.
      }
    }
    this.#signalHandler = undefined;
  }

  /**
   * Drains and stops: takes no more tasks, waits up to `shutdownGraceMs` for running handlers,
   * aborts the rest through `ctx.signal` (their results are sent as retryable failures), delivers
   * the results and closes the connection. Safe to call twice.
   *
   * @example
   * ```ts
   * import { Worker } from "@tasks-executor/sdk";
   * const worker = new Worker({
   *   address: "localhost:50051",
   *   handleSignals: false,
   *   shutdownGraceMs: 5000,
   *   executors: [{ name: "noop", handler: () => null }],
   * });
   * await worker.start();
   * await worker.stop();
   * ```
   */
  stop(): Promise<void> {
    if (this.#state === "new") {
      this.#state = "stopped";
      this.#resolveClosed();
      return this.closed;
    }
    this.#stopping ??= this.#drain();
    return this.#stopping;
  }

  async #drain(): Promise<void> {
    const wasConnecting = this.#state === "starting";
    this.#state = "stopping";
    if (wasConnecting) {
      this.#wakeSleeper();
      await this.#teardown();
      return;
    }
    // Take no more work: the manager reads a zero credit as "none left".
    for (const name of this.#served.keys()) {
      this.#write({ credit: { executorName: name, credits: 0 } });
    }
    const graceMs = this.#options.shutdownGraceMs ?? 10_000;
    await this.#waitForRuns(graceMs, true);
    let abandoned = 0;
    if (this.#runs.size > 0) {
      this.#log.warn("Grace period over, aborting running tasks", { running: this.#runs.size });
      for (const run of this.#runs.values()) {
        run.controller.abort(new TaskAbortedError("shutdown"));
      }
      await this.#waitForRuns(ABORT_SETTLE_MS, false);
      for (const run of [...this.#runs.values()]) {
        // The handler ignores its signal: report the attempt as interrupted and stop waiting.
        this.#finish(run, {
          ok: false,
          error: new TaskAbortedError("shutdown").message,
          retryable: true,
          retryAfterMs: 0,
          cause: undefined,
        });
        run.abandoned = true;
        abandoned++;
      }
    }
    this.#flush();
    await this.#waitForAcks(ACK_WAIT_MS);
    await this.#teardown();
    if (abandoned > 0 && this.#signalExitCode !== undefined) {
      // Nothing can stop a handler that ignores its signal, and it would keep the process (and
      // whatever it touches) going long after its task was handed to another worker. A signal
      // asked the process to end: end it, once code awaiting `closed` has had its turn.
      this.#log.warn("Exiting: handlers ignored their abort signal", {
        abandoned,
        exitCode: this.#signalExitCode,
      });
      const code = this.#signalExitCode;
      setTimeout(() => process.exit(code), 0);
    }
  }

  /** Waits until no task runs or `ms` passes (or, when `cuttable`, a second signal). */
  #waitForRuns(ms: number, cuttable: boolean): Promise<void> {
    if (this.#runs.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#runsChanged.delete(check);
        if (cuttable) this.#graceCut = undefined;
        resolve();
      };
      const check = () => {
        if (this.#runs.size === 0) done();
      };
      const timer = setTimeout(done, ms);
      this.#runsChanged.add(check);
      if (cuttable) this.#graceCut = done;
    });
  }

  #waitForAcks(ms: number): Promise<void> {
    if (this.#unacked.size === 0 && this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#ackWaiters.delete(check);
        resolve();
      };
      const check = () => {
        // Nothing left to hear about, or no stream to hear it on.
        if ((this.#unacked.size === 0 && this.#pending.length === 0) || !this.#call) done();
      };
      const timer = setTimeout(done, ms);
      this.#ackWaiters.add(check);
    });
  }

  #notifyAcks(): void {
    for (const check of [...this.#ackWaiters]) check();
  }

  #wakeSleeper(): void {
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const wake = this.#reconnectWake;
    this.#reconnectWake = undefined;
    wake?.();
  }

  async #teardown(): Promise<void> {
    this.#state = "stopped";
    this.#wakeSleeper();
    for (const timer of [this.#flushTimer, this.#heartbeatTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (this.#flushSoon !== undefined) clearImmediate(this.#flushSoon);
    this.#flushTimer = undefined;
    this.#flushSoon = undefined;
    this.#heartbeatTimer = undefined;
    this.#heartbeatAt = Infinity;
    const call = this.#call;
    this.#call = undefined;
    if (call) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          call.cancel();
          resolve();
        }, 1000);
        call.on("status", () => {
          clearTimeout(timer);
          resolve();
        });
        call.on("error", () => {});
        call.end();
      });
    }
    this.#manager?.close();
    this.#grpc?.close();
    this.#removeSignals();
    this.#log.info("Worker stopped", { workerId: this.workerId });
    if (this.#refusal) this.#rejectClosed(this.#refusal);
    else this.#resolveClosed();
  }

  /** Same as `stop()`, for `await using worker = new Worker(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Whether the manager refused the key (UNAUTHENTICATED) or its reach (PERMISSION_DENIED). */
function isRefusal(error: unknown): error is UnauthenticatedError | PermissionDeniedError {
  return error instanceof UnauthenticatedError || error instanceof PermissionDeniedError;
}

function consoleLogger(): Logger {
  const line = (msg: string, fields?: LogFields) => {
    if (!fields || Object.keys(fields).length === 0) return `[tasks-executor] ${msg}`;
    let rendered: string;
    try {
      rendered = JSON.stringify(fields);
    } catch {
      rendered = String(fields);
    }
    return `[tasks-executor] ${msg} ${rendered}`;
  };
  return {
    debug() {},
    info: (msg, fields) => console.log(line(msg, fields)),
    warn: (msg, fields) => console.warn(line(msg, fields)),
    error: (msg, fields) => console.error(line(msg, fields)),
  };
}

/** JSON text of a progress value within `maxBytes`, or `undefined` when it cannot be sent. */
function progressJsonOf(progress: unknown, maxBytes: number): string | undefined {
  try {
    const json = JSON.stringify(progress ?? null);
    return json !== undefined && Buffer.byteLength(json) <= maxBytes ? json : undefined;
  } catch {
    return undefined;
  }
}
