/**
 * `Worker`: serves executors over one `TaskExecutorService.Work` stream. The class is the
 * composition and the lifecycle (new → starting → running → stopping → stopped); each job is a
 * module of its own: `_served.ts` (executor definitions), `_registration.ts` (registering them),
 * `_connection.ts` + `_backoff.ts` (the stream, reconnects), `_credits.ts` (credits up),
 * `_attempts.ts` (assignments down, handlers run), `_results.ts` (results in batches, acks),
 * `_heartbeats.ts` (leases kept, timeouts) and `_drain.ts` (signals, graceful stop).
 */
import process from "node:process";
import { workerIdViolation, type WorkResponse } from "@tasks-executor/proto";
import { Attempts, defaultMaxAbandoned, type Run } from "./_attempts.ts";
import { Backoff } from "./_backoff.ts";
import {
  isRefusal,
  limitsOfWelcome,
  UNSAID_LIMITS,
  WorkConnection,
  type WorkerState,
} from "./_connection.ts";
import { Credits } from "./_credits.ts";
import { Drain } from "./_drain.ts";
import { Heartbeats } from "./_heartbeats.ts";
import { WORKER_HOST } from "./_host.ts";
import { loggerProblem, workerLogger } from "./_logger.ts";
import { checkFields, checkOptions, type FieldSpec, refuseViolations } from "./_fields.ts";
import { durationOption } from "./_options.ts";
import { registerExecutors, registerUntilDone } from "./_registration.ts";
import { ResultSender } from "./_results.ts";
import type { SendLimits } from "./_run.ts";
import { addServed, definitionOfProcessor, type Served } from "./_served.ts";
import { Client } from "./client.ts";
import {
  type FieldViolation,
  InvalidArgumentError,
  type ManagerError,
  UnauthenticatedError,
  WorkerIdHeldError,
} from "./errors.ts";
import { checkConnection, CONNECTION_FIELDS, missingKeyHint } from "./_grpc.ts";
import type { Logger, Processor } from "./types.ts";
import { SDK_VERSION } from "./version.ts";
import type { WorkerOptions } from "./worker_options.ts";

export type { WorkerOptions };

/** At shutdown, how long to wait for the manager to acknowledge the last results. */
const ACK_WAIT_MS = 3000;
const REGISTER_TIMEOUT_MS = 5000;

/**
 * The fields of `WorkerOptions` (`checkFields`): the durations are checked apart
 * (`durationOption`: a `RangeError`), each executor by `addServed` (a `TypeError`), the
 * connection by `checkConnection` and the logger by `loggerProblem`.
 */
const WORKER_FIELDS: FieldSpec = {
  ...CONNECTION_FIELDS,
  workerId: "string?null",
  executors: "array?null",
  shutdownGraceMs: "any",
  handleSignals: "boolean?null",
  register: "boolean?null",
  logger: "any",
  reconnect: "object?null",
  resultBatchMs: "any",
  maxAbandoned: "any",
};

/** The fields of `WorkerOptions.reconnect`, each checked by `durationOption`. */
const RECONNECT_FIELDS: FieldSpec = { initialDelayMs: "any", maxDelayMs: "any" };

/** The options of `registerProcessor`; `concurrency` is checked by `addServed`. */
const PROCESSOR_OPTION_FIELDS: FieldSpec = { concurrency: "any" };

/**
 * Refuses `options` of `new Worker` holding a field of the wrong type or one it does not have
 * (a misspelt `adress`, `handleSignal`: it was ignored), or no address.
 *
 * @throws {InvalidArgumentError} naming every such field
 */
function checkWorkerOptions(options: WorkerOptions | undefined): void {
  const violations: FieldViolation[] = [];
  const fields = checkFields(options ?? {}, WORKER_FIELDS, "", violations);
  if (fields) {
    checkConnection(fields, violations);
    checkFields(fields.reconnect ?? undefined, RECONNECT_FIELDS, "/reconnect", violations);
    const problem = loggerProblem(fields.logger);
    if (problem !== null) violations.push({ field: "/logger", message: problem });
  }
  refuseViolations("Invalid worker options", violations);
}

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
   * its API key or executors, or with `WorkerIdHeldError` when another key's worker that is alive
   * holds its worker id (configuration errors that retrying cannot mend); such a stop gives
   * running handlers no grace period (no result can reach the manager any more): they are aborted
   * at once, and given a second at most to return. Rejects with an `Error` naming the handler to fix
   * when the worker stopped because more handlers than `maxAbandoned` ignored their signal.
   */
  readonly closed: Promise<void>;

  readonly #options: WorkerOptions;
  readonly #log: Logger;
  readonly #served = new Map<string, Served>();
  #state: WorkerState = "new";
  #resolveClosed!: () => void;
  #rejectClosed!: (error: Error) => void;
  /** Why the manager refused this worker for good, once it did. */
  #refusal: ManagerError | undefined;
  /** Why the worker stopped itself: more handlers abandoned than `maxAbandoned`. */
  #overAbandoned: Error | undefined;
  #stopping: Promise<void> | undefined;
  /** The manager's limits on what this worker sends, from its last welcome. */
  #limits: SendLimits = UNSAID_LIMITS;
  /** Whether the current stream's welcome came. */
  #welcomed = false;
  /** The executors the manager said on the current stream were deleted. */
  readonly #saidDeleted = new Set<string>();
  #manager: Client | undefined;

  readonly #backoff: Backoff;
  readonly #connection: WorkConnection;
  readonly #credits = new Credits();
  readonly #results: ResultSender;
  readonly #heartbeats: Heartbeats;
  readonly #attempts: Attempts;
  readonly #drain: Drain;
  readonly #graceMs: number;

  /**
   * Checks the executors (names, concurrency, schemas) and prepares the worker; nothing connects
   * before `start()`.
   *
   * @throws {InvalidArgumentError} naming each field of `options` of the wrong type
   *   (`handleSignals: "no"`) or that it does not have (a misspelt `adress`), and a missing
   *   `address`
   * @throws {TypeError} on a bad executor definition
   * @throws {RangeError} naming the option when `shutdownGraceMs`, `resultBatchMs` or a
   *   `reconnect` delay is not a finite number of ms (delays above 0), or when `resultBatchMs` or
   *   a `reconnect` delay is longer than a timer keeps (2^31 − 1 ms)
   */
  constructor(options: WorkerOptions) {
    checkWorkerOptions(options);
    this.#options = options;
    this.#graceMs = durationOption(options.shutdownGraceMs, "shutdownGraceMs", {
      fallback: 10_000,
      atLeast: "zero",
      inSteps: true,
    });
    this.workerId = options.workerId ??
      `worker-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
    const log = this.#log = workerLogger(options.logger);
    this.closed = new Promise((resolve, reject) => {
      this.#resolveClosed = resolve;
      this.#rejectClosed = reject;
    });
    // Whoever awaits `closed` hears of a refusal; nobody awaiting it is no unhandled rejection.
    this.closed.catch(() => {});
    for (const definition of options.executors ?? []) addServed(this.#served, definition);

    const limits = () => this.#limits;
    const { maxAbandoned } = options;
    if (maxAbandoned != null && !Number.isSafeInteger(maxAbandoned)) {
      throw new RangeError(
        `maxAbandoned must be a whole number (negative: no bound), not ${String(maxAbandoned)}`,
      );
    }
    this.#backoff = new Backoff(options.reconnect ?? undefined);
    const outbox = this.#connection = new WorkConnection(options, {
      backoff: this.#backoff,
      log,
      drainMs: this.#graceMs + ACK_WAIT_MS,
      state: () => this.#state,
      events: {
        opened: () => this.#opened(),
        message: (message) => this.#onMessage(message),
        lost: () => this.#results.lost(),
        refused: (error) => this.#refuse(error),
        register: () =>
          options.register === false
            ? Promise.resolve()
            : registerExecutors(this.#manager!, this.#served, log),
        inFlight: () => this.#attempts.size,
        capacity: () => [...this.#served.values()].reduce((sum, s) => sum + s.concurrency, 0),
        silent: () => {
          this.#manager?.close();
          this.#manager = this.#registrationClient();
        },
      },
    });
    this.#results = new ResultSender({
      outbox,
      credits: this.#credits,
      limits,
      log,
      windowMs: durationOption(options.resultBatchMs, "resultBatchMs", {
        fallback: 2,
        atLeast: "zero",
      }),
    });
    const running = new Map<string, Run>();
    this.#heartbeats = new Heartbeats({
      leases: running,
      outbox,
      limits,
      log,
      abort: (lease, error) => this.#attempts.abort(lease, error),
    });
    this.#attempts = new Attempts({
      running,
      served: this.#served,
      heartbeats: this.#heartbeats,
      results: this.#results,
      credits: this.#credits,
      limits,
      log,
      workerId: this.workerId,
      maxAbandoned: () =>
        maxAbandoned ?? defaultMaxAbandoned([...this.#served.values()].map((s) => s.concurrency)),
      stopping: () => this.#state === "stopping" || this.#state === "stopped",
      tooManyAbandoned: (error) => {
        this.#overAbandoned ??= error;
        void this.stop();
      },
    });
    this.#drain = new Drain(log);
  }

  /**
   * Serves an executor with a processor shaped like the original Go SDK's (`processTask(task)`,
   * `getTaskSchema()`). Call it before `start()`.
   *
   * @throws {InvalidArgumentError} naming a field of `options` of the wrong type or that it does
   *   not have (a misspelt `concurency`: it was ignored)
   * @throws {TypeError} as for an executor definition (a bad name or concurrency, one served
   *   already), or when `processTask` is not a function, or `getTaskSchema`/`getConfig` given and
   *   not one
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
    options: { concurrency?: number | null } = {},
  ): this {
    checkOptions(options, PROCESSOR_OPTION_FIELDS, `Cannot register processor "${name}"`);
    if (this.#state !== "new") {
      throw new Error(`Cannot register processor "${name}": the worker has started`);
    }
    addServed(
      this.#served,
      definitionOfProcessor(name, processor, options.concurrency ?? undefined),
    );
    return this;
  }

  /**
   * Registers the executors' configuration (retrying while the manager is unreachable), then
   * opens the work stream. Resolves once the executors are registered and the stream is being
   * opened; the manager's welcome (logged as `Connected to the manager`) follows a moment later,
   * and tasks created meanwhile wait in the store until the stream is up.
   *
   * @throws {InvalidArgumentError} when the SDK refuses an executor's configuration or a declared
   *   schedule (every executor's are checked before any is sent: nothing is registered), or the
   *   manager refuses one (those before it stay registered), or when `workerId` is
   *   one it refuses (empty, starting with `legacy:`, past 256 characters, holding U+0000 or a
   *   lone surrogate), naming `/hello/workerId` (nothing connects)
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
    // The id first, by the manager's rule: one it refuses would be refused on every reconnect.
    const idViolation = workerIdViolation(this.workerId, "/hello/workerId");
    if (idViolation) {
      const { field, message } = idViolation;
      const error = new InvalidArgumentError(
        `Worker id "${String(this.workerId).slice(0, 256)}": ${message} (workerId, ${field})`,
        3,
        [idViolation],
      );
      this.#log.error("The worker id is not one the manager takes, not starting", {
        error: error.message,
      });
      throw error;
    }
    // Channels first: a bad apiKey or tls file throws before anything started.
    this.#connection.prepare({
      workerId: this.workerId,
      executors: [...this.#served.keys()],
      sdkVersion: `ts-${SDK_VERSION}`,
      ...WORKER_HOST,
    });
    this.#manager = this.#registrationClient();
    this.#state = "starting";
    if (this.#options.handleSignals !== false) {
      this.#drain.listen({
        draining: () => this.#state === "stopping",
        inFlight: () => this.#attempts.size,
        stop: () => void this.stop(),
      });
    }
    try {
      if (this.#options.register !== false) {
        await registerUntilDone(this.#manager, this.#served, {
          backoff: this.#backoff,
          log: this.#log,
          address: this.#options.address,
          active: () => this.#state === "starting" || this.#state === "running",
        });
      }
    } catch (error) {
      if ((this.#state as WorkerState) === "stopped") return; // stop() won the race
      if (isRefusal(error)) this.#noteRefusal(error);
      await this.#teardown();
      throw error;
    }
    if ((this.#state as WorkerState) !== "starting") return; // stopped while registering
    this.#state = "running";
    this.#connection.open();
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
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** Same as `stop()`, for `await using worker = new Worker(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** The client that registers the executors. */
  #registrationClient(): Client {
    const { address, apiKey, tls } = this.#options;
    return new Client({ address, apiKey, tls, callTimeoutMs: REGISTER_TIMEOUT_MS });
  }

  /** A new stream: credits for the room left, results it may have missed, leases still held. */
  #opened(): void {
    this.#welcomed = false;
    this.#saidDeleted.clear();
    this.#credits.restart(this.#served.values(), (name) => this.#attempts.runningFor(name));
    this.#results.resend();
    this.#heartbeats.beatAll();
  }

  #onMessage(message: WorkResponse): void {
    if (message.welcome) {
      this.#limits = limitsOfWelcome(message.welcome);
      // Once a stream: a manager that sent 65,000 welcomes logged a line each.
      if (!this.#welcomed) {
        this.#welcomed = true;
        this.#log.info("Connected to the manager", {
          managerId: message.welcome.managerId,
          workerId: this.workerId,
          executors: [...this.#served.keys()],
        });
      }
    }
    if (message.assignments) {
      for (const assignment of message.assignments.tasks) {
        // Once stopping, a lease the manager wrote before it read this worker's credit of 0.
        if (this.#state === "running") this.#attempts.start(assignment);
        else this.#attempts.giveBack(assignment, "The worker was stopping");
      }
    }
    if (message.cancellations) {
      for (const cancellation of message.cancellations.tasks) this.#attempts.cancel(cancellation);
    }
    const deleted = message.executorDeleted?.executorName;
    // Once a stream per executor served: a manager that said it 1,000 times logged a line each.
    if (deleted !== undefined && this.#served.has(deleted) && !this.#saidDeleted.has(deleted)) {
      this.#saidDeleted.add(deleted);
      this.#log.warn(
        "The manager says this executor was deleted: its tasks are gone and no more will come",
        { executor: deleted },
      );
    }
    if (message.acks) this.#results.acknowledged(message.acks.acks);
  }

  /**
   * Logs, once, the manager's refusal of this worker's key or executors; `closed` rejects with it.
   * A refusal for want of a key says how to give one (`missingKeyHint`), in its message too.
   */
  #noteRefusal(error: ManagerError): void {
    if (this.#refusal) return;
    this.#refusal = error;
    const hint = error instanceof UnauthenticatedError
      ? missingKeyHint(this.#options.apiKey)
      : null;
    if (hint !== null) error.message = `${error.message}. ${hint}`;
    const what = error instanceof WorkerIdHeldError
      ? "Another API key's worker holds this worker's id, stopping"
      : error instanceof InvalidArgumentError
      ? "Manager refused this worker's hello (its id or executors), stopping"
      : "Manager refused this worker's API key or what it may serve, stopping";
    this.#log.error(what, {
      address: this.#options.address,
      error: error.message,
      status: error.name,
    });
  }

  /**
   * A refusal after start: stops the worker, and `closed` rejects with it. No result can reach the
   * manager any more: the drain gives running handlers no grace (also when it is under way), it
   * aborts them at once and waits a second at most for them to return, as the Go worker does.
   */
  #refuse(error: ManagerError): void {
    this.#noteRefusal(error);
    this.#drain.cutGrace();
    // No stream comes again: a wait for acknowledgements under way ends.
    this.#results.lost();
    void this.stop();
  }

  /** Takes no more work, drains the attempts, delivers their results, then closes. */
  async #stop(): Promise<void> {
    const wasConnecting = this.#state === "starting";
    this.#state = "stopping";
    if (wasConnecting) return await this.#teardown();
    this.#credits.close(this.#served.keys(), this.#connection);
    this.#connection.stopping();
    await this.#drain.drain(
      this.#attempts,
      this.#graceMs,
      () => this.#refusal !== undefined,
    );
    // Leases written before the manager read the credit of 0 come back until its last answer.
    // Also over a stream opened again, when this one is lost meanwhile (or was as the stop came).
    await this.#results.waitForAcks(ACK_WAIT_MS, () => this.#refusal !== undefined);
    await this.#teardown();
    // Abandoned handlers still running, by the drain or before it (a timeout, a cancellation).
    this.#drain.exitIfAbandoned(this.#attempts.abandoned);
  }

  async #teardown(): Promise<void> {
    this.#state = "stopped";
    this.#results.stop();
    this.#heartbeats.stop();
    await this.#connection.close();
    this.#manager?.close();
    this.#drain.unlisten();
    this.#log.info("Worker stopped", { workerId: this.workerId });
    const failure = this.#refusal ?? this.#overAbandoned;
    if (failure) this.#rejectClosed(failure);
    else this.#resolveClosed();
  }
}
