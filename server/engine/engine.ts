/**
 * The execution engine: connects workers, hands them tasks, settles their results, extends leases,
 * cancels, and rescues expired leases. Transport-neutral: the gRPC worker service adapts to it.
 *
 * Built on the store and the event bus, before the service, which takes `handoff` (the
 * dispatcher) to lease new tasks as they are created and `executors` (the executors in memory) to
 * check creates against; the engine learns of other new work through the bus (`tasks_ready`) and
 * never calls the service.
 */
import { checkString } from "@tasks-executor/proto/json-value";
import {
  ExecutorNotFoundError,
  type FieldViolation,
  InvalidArgumentError,
  UnavailableError,
  WorkerIdHeldError,
  type WorkerIdHolder,
} from "../domain/errors.ts";
import { assertExecutor, reaches } from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN, type Principal } from "../auth/scopes.ts";
import { newId } from "../domain/id.ts";
import { DEFAULT_LIMITS, type Limits } from "../domain/limits.ts";
import { PROGRESS_CHUNK_CHARS, readProgressInSlices } from "./progress.ts";
import { ThreadSlices } from "../thread_slices.ts";
import { RESCUER_PREFIX, type Task } from "../domain/task.ts";
import type { TaskSpans } from "../service/task_spans.ts";
import type { ServiceEvent, ServiceEvents } from "../service/events.ts";
import type { Handoff } from "../service/handoff.ts";
import type { CallerOptions } from "../service/caller.ts";
import type { LeaseRef, Store } from "../store/store.ts";
import { Dispatcher } from "./dispatcher.ts";
import { ExecutorCache } from "./executor_cache.ts";
import { Rescuer } from "./rescuer.ts";
import { type AttemptOutcome, decideSettlement, type SettleItem, Settler } from "./settler.ts";
import { type EngineStats, StatsRecorder } from "./stats.ts";
import {
  type HeldLease,
  leaseOf,
  type WorkerChannel,
  type WorkerHello,
  WorkerRegistry,
  WorkerSession,
} from "./worker_registry.ts";
import type { WorkerDirectory } from "./workers.ts";
import { ServingReports } from "./serving.ts";
import { log as defaultLog, type Logger } from "../log.ts";
import { LeaseCheck } from "./lease_check.ts";
import { KEEPALIVE_DEFAULT_MS, SILENCE_WITHOUT_KEEPALIVE_DEFAULT_MS } from "../domain/keepalive.ts";
import { Liveness } from "./liveness.ts";
import {
  CHECKS_PER_INTERVAL,
  LEGACY_WORKER_ID_MESSAGE,
  LEGACY_WORKER_PREFIX,
  SILENT_INTERVALS,
} from "@tasks-executor/proto";

export type { EngineStats } from "./stats.ts";
export type { AttemptOutcome } from "./settler.ts";
export type { Cancellation, WorkerChannel, WorkerHello } from "./worker_registry.ts";
export { WorkerSession } from "./worker_registry.ts";

/** What the engine works on, made before it: the store and the event bus it shares. */
export interface EngineDeps {
  store: Store;
  /** Tells the engine of new work (`tasks_ready`); the engine tells live views of changes. */
  events: ServiceEvents;
  /** Records dispatch and settle spans, when the manager traces. */
  spans?: TaskSpans | null;
}

/** Engine tuning and injected dependencies. */
export interface EngineOptions {
  /** Clock for stored times (timers stay real). Default `Date.now`. */
  now?: () => number;
  /** Chance for retry jitter. Default `Math.random`. */
  random?: () => number;
  /** This manager's id (sent to workers, names the rescuer's leases). Default a new id. */
  managerId?: string;
  /** How often expired leases are looked for (ms). Default 500. */
  rescueIntervalMs?: number;
  /** Fallback poll for work inserted by other managers (ms). Default 1000. */
  pollIntervalMs?: number;
  /** How often executors are reloaded (ms). Default 3000. */
  executorRefreshMs?: number;
  /** Most tasks per claim and per message. Default 256 (see `DispatcherOptions.maxBatch`). */
  maxBatch?: number;
  /**
   * How often the leases this manager holds are looked up (ms), so that a task cancelled through
   * another manager sharing the store is aborted on its worker. Default 1000.
   */
  leaseCheckMs?: number;
  /** Where the engine's loops log. Default the manager's logger. */
  log?: Logger;
  /**
   * What workers may send and hold: `creditsPerExecutor`, `assignmentsInFlight` and `idChars`
   * here, the result and message limits in the worker protocol adapter. Default `DEFAULT_LIMITS`.
   */
  limits?: Limits;
  /**
   * How often this manager writes who serves each executor through it to the store (ms; see
   * `server/engine/serving.ts`). Default 10 000.
   */
  servingReportMs?: number;
  /**
   * How often, at least, a work stream whose worker speaks keepalive is written to, and must be
   * written to by its worker; silent for 3 intervals, it is dropped (ms). Default 10 000.
   */
  keepaliveIntervalMs?: number;
  /**
   * How long a work stream whose worker does not speak keepalive may stay silent (nothing arrives
   * from it) before it is closed (ms), found by the same checks, twice a keepalive interval.
   * Default 300 000.
   */
  silenceWithoutKeepaliveMs?: number;
}

/** A worker's report on one attempt, fenced by the lease it was given. */
export interface WorkerResult {
  taskId: string;
  leaseToken: string;
  outcome: AttemptOutcome;
  /**
   * Characters of the result's JSON text as the worker sent it (a success; 0 or absent
   * otherwise): what it weighs in a settle chunk (`SETTLE_CHUNK_CHARS`), which cannot tell it
   * from the parsed value without encoding it again.
   */
  resultChars?: number;
}

/** Who calls a worker verb, and whether it comes through the original interface. */
export interface WorkerCallOptions extends CallerOptions {
  /**
   * The call comes through the original interface (`server/grpc/legacy_service.ts`): it may use the
   * caller's own `legacy:<key id>`, which every other path refuses.
   */
  legacy?: boolean;
  /**
   * The call comes over the worker's own work stream (its results), which tells whether its worker
   * lives on its own: it is not taken for a unary worker's (`heldBy` `calls`).
   */
  streamed?: boolean;
}

/** What `Engine.report` takes beside the worker id and its results. */
export interface ReportOptions extends WorkerCallOptions {
  /**
   * Called when the report fails after some of its chunks were settled (`SETTLE_CHUNK`), before
   * it throws: the acks of the results settled, and of the results before them that were refused,
   * in order (the answer's first acks; the rest were not settled, and may be sent again).
   */
  settledBeforeFailure?: (acks: ResultAck[]) => void;
}

/** Whether a result was applied, and why not. */
export interface ResultAck {
  taskId: string;
  accepted: boolean;
  /** Why it was refused (empty when accepted). */
  error: string;
}

/** Most tasks one worker may ask for in one unary call. */
const MAX_UNARY_TASKS = 1000;

/**
 * Worker ids of the original interface's clients (`legacy:<key id>`): no other path (a stream's
 * hello, `GetNextTask`, `ReportResults`) may use one, or any key could claim another key's id (key
 * ids are not secret) and lock its clients out, or fill its `assignmentsInFlight`. The SDKs'
 * workers check their ids by the same rule (`workerIdViolation`).
 */
export { LEGACY_WORKER_PREFIX };

/**
 * Task ids whose statuses one read asks for when a worker names leases this manager lacks. The
 * reads go one after the other, the thread given back between them once a slice is spent
 * (`ThreadSlices`): a heartbeat naming 10,000 such ids read them all in one go.
 */
export const ADOPT_CHUNK = 500;

/**
 * Leases one store call extends, at most: the embedded store writes them in one synchronous
 * transaction, and a heartbeat naming 10,000 leases in one held the thread 60-130 ms (a worker
 * sending them back to back kept `/healthz` at 50-100 ms, 822 ms at worst). Between chunks the
 * thread is given back once a slice is spent (`ThreadSlices`).
 */
const LEASE_EXTEND_CHUNK = 500;

/**
 * Results of one report settled in one store call, at most: the embedded store writes them in one
 * synchronous transaction, and a results message of 3,500 results of 1 KiB settled in one held
 * the thread 47 ms. A report's chunks are settled one after the other, each once the one before
 * it is applied (for `journaled`, on disk), with a timer turn of the event loop between them.
 */
export const SETTLE_CHUNK = 200;

/**
 * Characters of result JSON text, error messages, stacks and log lines one settle chunk holds, at
 * most (or one result past it): 200 results of 16 KiB are 3.2 MB to encode and write.
 */
export const SETTLE_CHUNK_CHARS = 192 * 1024;

/**
 * A lease this manager extended less than this long ago (and at most a tenth of its length) is
 * not written again by a heartbeat that brings no progress for it: a worker sending heartbeats
 * back to back for its 10,000 tasks would otherwise have the store write each lease each time.
 */
const EXTEND_AGAIN_MS = 1000;

/** At most this many executor names go into a log line; the rest are counted. */
const LOGGED_NAMES = 20;

/**
 * The execution engine of one manager.
 *
 * @example
 * ```ts ignore
 * const events = new ServiceEvents();
 * const engine = new Engine({ store, events });
 * const service = new Service(store, {
 *   events,
 *   handoff: engine.handoff,
 *   executors: engine.executors,
 * });
 * await engine.start();
 * const workerService = createWorkerService(engine);
 * // … serve it over gRPC …
 * await engine.stop();
 * ```
 */
export class Engine implements AsyncDisposable {
  readonly store: Store;
  readonly managerId: string;
  readonly now: () => number;
  /** The limits this engine and its transports enforce on workers. */
  readonly limits: Readonly<Limits>;
  /** The keepalive interval announced to workers (ms; see `EngineOptions.keepaliveIntervalMs`). */
  readonly keepaliveIntervalMs: number;
  /** See `EngineOptions.silenceWithoutKeepaliveMs` (ms). */
  readonly silenceWithoutKeepaliveMs: number;
  readonly #random: () => number;
  readonly #registry = new WorkerRegistry();
  readonly #stats = new StatsRecorder();
  readonly #executors: ExecutorCache;
  readonly #settler: Settler;
  readonly #dispatcher: Dispatcher;
  readonly #rescuer: Rescuer;
  readonly #background = new Set<Promise<unknown>>();
  readonly #leaseCheck: LeaseCheck;
  readonly #liveness: Liveness;
  readonly #serving: ServingReports;
  readonly #directory: WorkerDirectory;
  readonly #log: Logger;
  readonly #events: ServiceEvents;
  #unsubscribe: (() => void) | undefined;
  #state: "new" | "running" | "stopped" = "new";
  #stopping: Promise<void> | undefined;

  constructor(deps: EngineDeps, options: EngineOptions = {}) {
    this.store = deps.store;
    this.#events = deps.events;
    this.now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.managerId = options.managerId ?? newId(Date.now());
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? KEEPALIVE_DEFAULT_MS;
    this.silenceWithoutKeepaliveMs = options.silenceWithoutKeepaliveMs ??
      SILENCE_WITHOUT_KEEPALIVE_DEFAULT_MS;
    const log = this.#log = options.log ?? defaultLog;
    this.#executors = new ExecutorCache(this.store, deps.events, {
      refreshMs: options.executorRefreshMs,
      onChange: () => this.#dispatcher.wake(),
      // Workers serving an executor deleted here or through another manager are told so, and its
      // counters go (an executor made again with the name counts from zero).
      onDeleted: (names) => {
        this.#stats.forget(names);
        for (const name of names) {
          for (const session of this.#registry.sessionsFor(name)) {
            session.channel.executorDeleted(name);
          }
        }
      },
      log,
    });
    // Live views (admin page, tests) learn of settled and leased tasks through tasks_changed.
    const changed = (executorNames: string[]) =>
      this.#events.emit({ type: "tasks_changed", executorNames });
    this.#settler = new Settler(this.store, this.#executors, this.#stats, (names, finished) => {
      if (finished.committed.length + finished.queued.length > 0) {
        this.#events.emit({
          type: "tasks_finished",
          taskIds: finished.committed,
          queuedTaskIds: finished.queued,
        });
      }
      changed(names);
    }, deps.spans ?? null);
    const common = {
      store: this.store,
      registry: this.#registry,
      executors: this.#executors,
      settler: this.#settler,
      stats: this.#stats,
      now: this.now,
      log,
      spans: deps.spans ?? null,
    };
    this.#dispatcher = new Dispatcher({
      ...common,
      managerId: this.managerId,
      onClaimed: (name) => changed([name]),
    }, {
      pollMs: options.pollIntervalMs,
      maxBatch: options.maxBatch,
      assignmentsInFlight: this.limits.assignmentsInFlight,
    });
    this.#rescuer = new Rescuer({
      ...common,
      random: this.#random,
      owner: `${RESCUER_PREFIX}${this.managerId}`,
      onRetry: (runAt) => this.#dispatcher.wakeAt(runAt),
      onSettled: () => this.#dispatcher.wake(),
    }, { intervalMs: options.rescueIntervalMs });
    this.#leaseCheck = new LeaseCheck({
      store: this.store,
      registry: this.#registry,
      now: this.now,
      onFreed: () => this.#dispatcher.wake(),
      log,
    }, { intervalMs: options.leaseCheckMs });
    this.#serving = new ServingReports({
      store: this.store,
      registry: this.#registry,
      managerId: this.managerId,
      now: this.now,
      log,
    }, { intervalMs: options.servingReportMs });
    const registry = this.#registry;
    this.#directory = {
      list: () => registry.list(),
      gone: () => registry.gone(),
      polled: (now) => registry.polled(now),
      elsewhere: (now) => this.#serving.elsewhere(now),
    };
    this.#liveness = new Liveness({
      sessions: () => this.#registry.sessions(),
      drop: (session, silentMs) => this.#dropSilent(session, silentMs),
      log,
    }, {
      intervalMs: this.keepaliveIntervalMs,
      silenceWithoutKeepaliveMs: this.silenceWithoutKeepaliveMs,
    });
  }

  /**
   * Leases new tasks to waiting workers as they are created (the dispatcher), for the service;
   * it reserves nothing until `start` and after `stop`.
   */
  get handoff(): Handoff {
    return this.#dispatcher;
  }

  /**
   * The executors this manager holds in memory, refreshed from the store every few seconds and
   * on this manager's changes: the service checks creates against them (`ExecutorCopies`).
   */
  get executors(): ExecutorCache {
    return this.#executors;
  }

  /**
   * Connected workers, for the APIs and metrics, and who serves each executor through the other
   * managers sharing the store (`elsewhere`).
   */
  get workers(): WorkerDirectory {
    return this.#directory;
  }

  /** Loads executors and starts dispatching and rescuing. */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error("Engine was started already");
    this.#state = "running";
    this.#unsubscribe = this.#events.on((event) => this.#onEvent(event));
    await this.#executors.start();
    this.#dispatcher.start();
    this.#rescuer.start();
    this.#leaseCheck.start();
    this.#liveness.start();
    this.#serving.start();
  }

  /**
   * Stops timers, ends every worker stream (UNAVAILABLE, so workers reconnect elsewhere) and waits
   * for store calls in flight. Leases held stay in the store and expire as usual. Safe to call
   * twice.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#state = "stopped";
    this.#unsubscribe?.();
    for (const session of this.#registry.sessions()) {
      this.#registry.remove(session, this.now());
      session.channel.close("Manager is shutting down");
    }
    await Promise.all([
      this.#dispatcher.stop(),
      this.#rescuer.stop(),
      this.#leaseCheck.stop(),
      this.#liveness.stop(),
      this.#serving.stop(),
      this.#executors.stop(),
    ]);
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    // The per-task lines left out are counted in the log before the manager goes.
    this.#settler.close();
    this.#rescuer.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** Counters per executor since start. */
  stats(): EngineStats {
    return this.#stats.snapshot({
      workers: this.#registry.sessions().length,
      inFlight: this.#registry.leaseCount(),
    });
  }

  /** Rescues expired leases now (tests drive the rescue with an injected clock; the timer does it on its own). */
  rescueNow(): Promise<number> {
    return this.#track(this.#rescuer.rescueOnce());
  }

  /** Runs the lease check over every lease held here now (tests drive it; the timer does it on its own). */
  leaseCheckNow(): Promise<void> {
    return this.#track(this.#leaseCheck.checkAll());
  }

  // Worker protocol ----------------------------------------------------------------------------

  /**
   * Registers a worker connection after its hello. The caller's key must allow taking tasks of
   * every executor the hello names; it is kept for the session's later heartbeats. Its stream
   * took its place of MAX_WORKER_STREAMS, and of its key's share of them, at its start (the gRPC
   * server's `capWorkStreams`).
   *
   * @throws {InvalidArgumentError} on an empty worker id or executor list
   * @throws {NotFoundError} naming an executor that does not exist
   * @throws {PermissionDeniedError} naming an executor the caller's key does not reach
   * @throws {InvalidArgumentError} for a worker id of the original interface (`legacy:…`)
   * @throws {WorkerIdHeldError} naming `/hello/workerId` when another key holds the worker id
   *   (its streams, leases or calls under way on this manager: see `WorkerRegistry.holdId`)
   */
  async connect(
    hello: WorkerHello,
    channel: WorkerChannel,
    options: CallerOptions = {},
  ): Promise<WorkerSession> {
    this.#assertRunning();
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    await this.#checkWorker(hello.workerId, hello.executors, { pointer: "/hello", caller });
    const session = new WorkerSession(hello, channel, {
      now: this.now(),
      caller,
      // The most tasks one heartbeat of it may name (see the worker service).
      toldKept: this.limits.creditsPerExecutor * new Set(hello.executors).size,
    });
    if (this.#state !== "running") throw new UnavailableError("Manager is shutting down");
    // After the last await, so that no other key takes the id in between; the session holds it.
    this.#holdId(hello.workerId, caller, "/hello")();
    this.#registry.add(session);
    this.#serving.noteStreams(hello.executors);
    const names = hello.executors;
    this.#log.info("Worker connected", {
      workerId: hello.workerId,
      executors: names.length <= LOGGED_NAMES
        ? names
        : [...names.slice(0, LOGGED_NAMES), `… ${names.length - LOGGED_NAMES} more`],
      sdkVersion: session.sdkVersion,
    });
    return session;
  }

  /**
   * Forgets a connection. Its leases are left as they are: a worker that reconnects (the SDK does
   * on its own) may still report them, and those of a worker that died expire and are rescued as
   * `lease_lost`, so a network blip never makes a task run twice.
   */
  disconnect(session: WorkerSession): void {
    if (!this.#registry.remove(session, this.now())) return;
    this.#serving.noteStreams(session.executors);
    this.#log.info("Worker disconnected", { workerId: session.workerId });
  }

  /**
   * Drops a session from which nothing arrived for 3 keepalive intervals (`silenceWithoutKeepaliveMs`
   * when its worker does not speak keepalive): no more tasks go to it, it leaves the worker list,
   * and its stream is ended (UNAVAILABLE). Its leases are left as `disconnect` leaves them.
   */
  #dropSilent(session: WorkerSession, silentMs: number): void {
    if (!this.#registry.remove(session, this.now())) return;
    this.#serving.noteStreams(session.executors);
    this.#log.warn("Worker stream went silent, dropping it", {
      workerId: session.workerId,
      silentMs,
      keepalive: session.keepalive,
      ...session.keepalive
        ? { keepaliveIntervalMs: this.keepaliveIntervalMs }
        : { silenceWithoutKeepaliveMs: this.silenceWithoutKeepaliveMs },
    });
    session.channel.close(`No message from the worker for ${silentMs} ms`);
  }

  /**
   * Gives a connection room for `credits` more tasks of one executor; zero withdraws what is left
   * (a draining worker), and tasks claimed for it before then are put back, not handed over
   * (`WorkerSession.withdraw`). What it holds is capped at `limits.creditsPerExecutor`: a grant beyond
   * is kept only up to the cap (granting more again as tasks finish is the protocol's way).
   *
   * @throws {InvalidArgumentError} for an executor it did not announce or a negative or
   *   fractional number
   */
  addCredit(session: WorkerSession, executorName: string, credits: number): void {
    if (!session.credits.has(executorName)) {
      throw InvalidArgumentError.listing("Invalid credit", [{
        field: "/credit/executorName",
        message: `Must be one of the hello's executors, not "${executorName}"`,
      }]);
    }
    if (!Number.isSafeInteger(credits) || credits < 0) {
      throw InvalidArgumentError.listing("Invalid credit", [
        { field: "/credit/credits", message: "Must be a whole number of 0 or more" },
      ]);
    }
    session.lastHeartbeatAt = this.now();
    // Zero adds nothing, so it carries the one other thing a worker needs to say: "no more".
    if (credits === 0) return session.withdraw(executorName);
    session.grant(
      executorName,
      Math.min(session.creditFor(executorName) + credits, this.limits.creditsPerExecutor),
    );
    this.#dispatcher.wake();
  }

  /**
   * A connection that stopped taking messages (its peer was not reading) takes them again: lease
   * tasks to it once more.
   */
  resume(session: WorkerSession): void {
    if (!session.closed && session.totalCredits() > 0) this.#dispatcher.wake();
  }

  /**
   * Notes that results reached this manager, before their turn comes to be applied: their leases
   * are kept alive meanwhile (the rescuer extends them), so a result that came in time is applied,
   * and the lease check leaves them to their settlement; a lease not known here yet (held through a
   * manager before this one) is, from the result's arrival, as soon as something the worker sent
   * before it learns the lease. `results` is what the worker sent, `{ taskId, leaseToken }[]`
   * unchecked; the rest is ignored. Call the answer once they were
   * handled, whatever became of them: a result refused (invalid, or answered "no") then no longer
   * shields its lease. `keep` says the result was dropped unapplied without being refused (its
   * stream ended first, or the store was unavailable): its worker sends it again, and the mark
   * stays (`RESULT_WAIT_MS` at most). Later calls of the answer do nothing.
   */
  noteResults(workerId: string, results: unknown): (keep?: boolean) => void {
    const noted = this.#registry.noteResults(workerId, results, this.now(), this.limits);
    let open = true;
    return (keep = false) => {
      if (!open) return;
      open = false;
      this.#registry.resultsHandled(noted, keep);
    };
  }

  /**
   * Settles a batch of results from one worker, in chunks of at most `SETTLE_CHUNK` results and
   * `SETTLE_CHUNK_CHARS` characters, in order: one store call per write concern level and chunk,
   * each chunk once the one before it is applied, a timer turn of the event loop between them. A
   * result for a task this worker does not hold, under a stale lease token, or of an executor the
   * caller's key does not reach, is refused and changes nothing.
   *
   * A failure part-way (the store unavailable) leaves the chunks before it settled, as their acks
   * would say (`ReportOptions.settledBeforeFailure` hears them), and nothing after it; the failed
   * chunk itself may be partly applied on MongoDB (a bulk write cut short). A result settled and
   * sent again is never applied twice: its lease is over, and it is refused.
   *
   * @throws {InvalidArgumentError} on an empty or over-long worker id, or one of the original
   *   interface's (`legacy:…`) outside it
   * @throws {WorkerIdHeldError} naming `/workerId` when another key holds the worker id
   * @throws {UnavailableError} when the store is unavailable
   */
  report(
    workerId: string,
    results: WorkerResult[],
    options: ReportOptions = {},
  ): Promise<ResultAck[]> {
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    // Counted from its arrival (see `noteResults`), unless the id is another key's; each lease
    // noted is handed back once the report is over (`resultsHandled`), refused or not.
    const owner = this.#registry.ownerOf(workerId);
    const noted = owner === null || owner === caller.keyId
      ? this.#registry.noteResults(workerId, results, this.now(), this.limits)
      : [];
    return this.#guarded(async () => {
      this.#checkWorkerId(workerId, "", options);
      return await this.#whileHolding(
        workerId,
        caller,
        () => this.#report(workerId, results, caller, options.settledBeforeFailure),
        options.streamed,
      );
    }).then(
      (acks) => {
        this.#registry.resultsHandled(noted);
        return acks;
      },
      (error) => {
        this.#registry.resultsHandled(noted, error instanceof UnavailableError);
        throw error;
      },
    );
  }

  async #report(
    workerId: string,
    results: WorkerResult[],
    caller: Principal,
    settledBeforeFailure: ReportOptions["settledBeforeFailure"],
  ): Promise<ResultAck[]> {
    const acks: ResultAck[] = results.map((r) => ({
      taskId: r.taskId,
      accepted: false,
      error: "",
    }));
    // Leases learned only now (held through a manager before this one) are marked by these
    // results' notes as they are learned (`WorkerRegistry.hold`), as those known on arrival.
    await this.#adopt(workerId, results.map((r) => r.taskId), caller);
    const now = this.now();
    const items: SettleItem[] = [];
    const indexes: number[] = [];
    const seen = new Set<string>();
    results.forEach((result, i) => {
      const lease = this.#registry.lease(result.taskId);
      if (seen.has(result.taskId)) {
        acks[i].error = "Duplicate result for this task in one batch";
      } else if (!lease) {
        acks[i].error = "Unknown task: it is not in progress under any lease of this worker";
      } else if (!reaches(caller, "worker.work", lease.executorName)) {
        acks[i].error =
          `Permission denied: the key may not settle tasks of executor "${lease.executorName}"`;
      } else if (lease.workerId !== workerId) {
        acks[i].error = "Task is not held by this worker";
      } else if (lease.leaseToken !== result.leaseToken) {
        acks[i].error = "Stale lease token: the task was leased again since";
      } else {
        const executor = this.#executors.peek(lease.executorName);
        items.push({
          lease,
          settlement: decideSettlement(result.outcome, lease, executor, {
            now,
            random: this.#random,
          }),
        });
        indexes.push(i);
        // Only the result that settles shadows those after it: a stale one (an earlier attempt's,
        // sent again first on a new stream) must not refuse the live attempt's result behind it.
        seen.add(result.taskId);
      }
    });
    let earliestRetry = Infinity;
    let at = 0;
    try {
      while (at < items.length) {
        if (at > 0) await new Promise((resolve) => setTimeout(resolve, 0));
        const end = settleChunkEnd(items, at, (j) => results[indexes[j]]);
        const chunk = items.slice(at, end);
        const applied = await this.#settler.apply(chunk, now);
        chunk.forEach((item, j) => {
          const ack = acks[indexes[at + j]];
          // Applied or not, this lease is over: the store moved on (rescued, cancelled, settled).
          this.#registry.release(item.lease.taskId, item.lease.leaseToken);
          if (applied[j]) {
            ack.accepted = true;
            if (item.settlement.kind === "retry") {
              earliestRetry = Math.min(earliestRetry, item.settlement.runAt);
            }
          } else {
            ack.error = "Lease is no longer valid: the task expired, was cancelled or was settled";
          }
        });
        at = end;
      }
    } catch (error) {
      if (at > 0) settledBeforeFailure?.(acks.slice(0, indexes[at]));
      throw error;
    } finally {
      if (earliestRetry < Infinity) this.#dispatcher.wakeAt(earliestRetry);
      // Settled tasks free executor concurrency; another worker may be waiting for it. The pass
      // waits for the acks to go out first: it is not on this worker's path (its credits are).
      if (at > 0) this.#dispatcher.wakeSoon();
    }
    return acks;
  }

  /**
   * Extends the leases of tasks a connection is running, to now + the executor's timeout. Tasks
   * whose lease cannot be extended are cancelled on the worker: with the reason the lease check
   * gives (`LeaseCheck`: `cancelled`, `timeout` when expired and taken by a rescue, `lease_lost`)
   * for a lease held here, `lease_lost` for one it does not hold (unknown, another worker's).
   * Ids longer than any task id (`limits.idChars`) are ignored.
   * `progressJson` (task id → JSON text) is stored with the lease of each task named in
   * `taskIds`; progress over `limits.progressBytes`, not JSON or not kept exactly is ignored.
   */
  heartbeat(
    session: WorkerSession,
    taskIds: string[],
    progressJson: Record<string, string> = {},
  ): Promise<void> {
    const max = this.limits.idChars;
    const ids = taskIds.filter((id) => typeof id === "string" && id.length <= max);
    return this.#guarded(async () => {
      // Read and written in chunks, the thread given back between them once a slice is spent.
      const slices = new ThreadSlices();
      const progress = await readProgressInSlices(progressJson, ids, this.limits, slices);
      await this.#heartbeat(session, ids, progress, progressJson, slices);
    });
  }

  async #heartbeat(
    session: WorkerSession,
    taskIds: string[],
    progress: Map<string, unknown>,
    progressJson: Record<string, string>,
    slices: ThreadSlices,
  ): Promise<void> {
    session.lastHeartbeatAt = this.now();
    if (taskIds.length === 0) return;
    await this.#adopt(session.workerId, taskIds, session.caller, slices);
    const now = this.now();
    const lost: string[] = [];
    const ended: HeldLease[] = [];
    const byLength = new Map<number, HeldLease[]>();
    for (const taskId of new Set(taskIds)) {
      const lease = this.#registry.lease(taskId);
      if (
        !lease || lease.workerId !== session.workerId ||
        !reaches(session.caller, "worker.work", lease.executorName)
      ) {
        // Told to abort it already (cancelled, timed out, lost): the heartbeat was on its way
        // before its worker read that, and one cancellation per attempt is enough.
        if (!session.wasTold(taskId)) lost.push(taskId);
        continue;
      }
      const leaseMs = this.#executors.peek(lease.executorName)?.timeout ?? lease.leaseMs;
      const fresh = lease.leaseMs === leaseMs &&
        lease.leaseExpiresAt >= now + leaseMs - Math.min(EXTEND_AGAIN_MS, leaseMs / 10);
      if (fresh && !progress.has(taskId)) continue;
      const group = byLength.get(leaseMs) ?? [];
      group.push(lease);
      byLength.set(leaseMs, group);
    }
    for (const [leaseMs, all] of byLength) {
      const until = now + leaseMs;
      for (let at = 0; at < all.length;) {
        if (at > 0) await slices.turn();
        // At most LEASE_EXTEND_CHUNK leases, and at most PROGRESS_CHUNK_CHARS of progress (or
        // one lease past it): 500 leases with 1 KiB of progress each held the thread too long.
        let end = at;
        let chars = 0;
        while (
          end < all.length && end - at < LEASE_EXTEND_CHUNK && chars < PROGRESS_CHUNK_CHARS
        ) {
          const taskId = all[end++].taskId;
          if (progress.has(taskId)) chars += progressJson[taskId].length;
        }
        const leases = all.slice(at, end);
        at = end;
        const refs: LeaseRef[] = leases.map((l) => ({
          taskId: l.taskId,
          leaseToken: l.leaseToken,
          ...(progress.has(l.taskId) ? { progress: progress.get(l.taskId) } : {}),
        }));
        const extended = await this.store.leaseExtend(refs, until);
        leases.forEach((lease, i) => {
          if (extended[i]) {
            lease.leaseExpiresAt = until;
            lease.leaseMs = leaseMs;
          } else {
            ended.push(lease);
          }
        });
      }
    }
    if (lost.length > 0 && !session.closed) {
      session.cancel(lost.map((taskId) => ({ taskId, reason: "lease_lost" })));
    }
    // Held here but no longer in the store: the lease check tells why (cancelled, a rescue's
    // timeout, lost), as it would at its next pass, and leaves alone a lease whose result is
    // being settled.
    if (ended.length > 0) await this.#leaseCheck.check(ended);
  }

  /**
   * The lease token `workerId` holds on task `taskId`, or `null` when it holds none (the task is
   * not in progress, or leased to another worker). For clients that report without a token (the
   * original interface): their report is then fenced by this token like any other.
   *
   * @throws {InvalidArgumentError} {WorkerIdHeldError} for a worker id the caller may not use, as
   *   `report`
   */
  heldLeaseToken(
    workerId: string,
    taskId: string,
    options: WorkerCallOptions = {},
  ): Promise<string | null> {
    return this.#guarded(async () => {
      this.#checkWorkerId(workerId, "", options);
      const caller = options.caller ?? ANONYMOUS_ADMIN;
      await this.#whileHolding(workerId, caller, () => this.#adopt(workerId, [taskId], caller));
      const lease = this.#registry.lease(taskId);
      return lease && lease.workerId === workerId ? lease.leaseToken : null;
    });
  }

  /**
   * Claims up to `max` tasks of these executors for a worker without a stream (unary
   * `GetNextTask`), round-robin over the executors.
   *
   * @throws {InvalidArgumentError} {NotFoundError}
   * @throws {PermissionDeniedError} naming an executor the caller's key does not reach
   * @throws {WorkerIdHeldError} naming `/workerId` when another key holds the worker id
   */
  claim(
    workerId: string,
    executorNames: string[],
    max: number,
    options: WorkerCallOptions = {},
  ): Promise<Task[]> {
    return this.#guarded(() => this.#claim(workerId, executorNames, max, options));
  }

  async #claim(
    workerId: string,
    executorNames: string[],
    max: number,
    options: WorkerCallOptions,
  ): Promise<Task[]> {
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    await this.#checkWorker(workerId, executorNames, { ...options, pointer: "", caller });
    if (!Number.isInteger(max) || max < 0 || max > MAX_UNARY_TASKS) {
      throw InvalidArgumentError.listing("Invalid claim", [
        { field: "/maxTasks", message: `Must be from 1 to ${MAX_UNARY_TASKS}` },
      ]);
    }
    // Served, as far as stats tell (`noWorkers`): this worker is listed nowhere else. Other
    // managers learn it from the serving report, written off this path.
    this.#registry.notePoll(executorNames, this.now());
    this.#serving.notePolled(executorNames);
    // After the last await of the checks; the leases claimed hold the id on after the call.
    return await this.#whileHolding(
      workerId,
      caller,
      () => this.#claimHeld(workerId, executorNames, max),
    );
  }

  async #claimHeld(workerId: string, executorNames: string[], max: number): Promise<Task[]> {
    // A worker without a stream is held to the same cap on unsettled tasks as one with a stream;
    // only its own key's leases count (no other key may use the id).
    let left = Math.min(
      max === 0 ? 1 : max,
      this.limits.assignmentsInFlight - this.#registry.heldBy(workerId),
    );
    const names = [...new Set(executorNames)];
    const start = Math.floor(this.#random() * names.length);
    const claimed: Task[] = [];
    for (let k = 0; k < names.length && left > 0; k++) {
      const tasks = await this.#dispatcher.claimUnary(
        names[(start + k) % names.length],
        workerId,
        left,
      );
      claimed.push(...tasks);
      left -= tasks.length;
    }
    return claimed;
  }

  // Internals ----------------------------------------------------------------------------------

  /** Runs a call while the engine runs (tracked, so `stop` waits for it); rejects otherwise. */
  #guarded<T>(call: () => Promise<T>): Promise<T> {
    if (this.#state !== "running") {
      return Promise.reject(new UnavailableError("Manager is not running"));
    }
    return this.#track(call());
  }

  #assertRunning(): void {
    if (this.#state !== "running") throw new UnavailableError("Manager is not running");
  }

  /**
   * A worker id is stored in a text column of its own (SQLite reads one back cut at U+0000), so
   * it must be well-formed Unicode without U+0000, and at most `limits.idChars` long. One that
   * starts with `LEGACY_WORKER_PREFIX` is the original interface's: only that interface may use
   * it, and only the caller's own (`legacy:<key id>`).
   */
  #checkWorkerId(workerId: string, pointer: string, options: WorkerCallOptions = {}): void {
    if (typeof workerId !== "string" || workerId.trim() === "") {
      throw InvalidArgumentError.listing("Invalid worker", [
        { field: `${pointer}/workerId`, message: "Is required" },
      ]);
    }
    const own = `${LEGACY_WORKER_PREFIX}${(options.caller ?? ANONYMOUS_ADMIN).keyId}`;
    if (workerId.startsWith(LEGACY_WORKER_PREFIX) && !(options.legacy && workerId === own)) {
      const message = LEGACY_WORKER_ID_MESSAGE;
      throw InvalidArgumentError.listing(`Invalid worker "${workerId.slice(0, 256)}"`, [
        { field: `${pointer}/workerId`, message },
      ]);
    }
    const violations: FieldViolation[] = [];
    const check = { pointer: `${pointer}/workerId`, maxChars: this.limits.idChars, noNul: true };
    if (!checkString(workerId, check, violations)) {
      throw InvalidArgumentError.listing("Invalid worker", violations);
    }
  }

  async #checkWorker(
    workerId: string,
    executorNames: string[],
    options: WorkerCallOptions & { pointer: string; caller: Principal },
  ): Promise<void> {
    const { pointer, caller } = options;
    this.#checkWorkerId(workerId, pointer, options);
    if (!Array.isArray(executorNames) || executorNames.length === 0) {
      throw InvalidArgumentError.listing("Invalid worker", [
        { field: `${pointer}/executors`, message: "Must name at least one executor" },
      ]);
    }
    // Bounded before any name is looked at: no more than the store may hold, each once.
    if (executorNames.length > this.limits.executors) {
      const message = `Names ${executorNames.length} executors, more than the ` +
        `${this.limits.executors} a store may hold (MAX_EXECUTORS)`;
      throw InvalidArgumentError.listing("Invalid worker", [
        { field: `${pointer}/executors`, message },
      ]);
    }
    const seen = new Set<string>();
    executorNames.forEach((name, i) => {
      if (seen.has(name)) {
        throw InvalidArgumentError.listing("Invalid worker", [
          { field: `${pointer}/executors/${i}`, message: `Names "${name}" again` },
        ]);
      }
      seen.add(name);
    });
    executorNames.forEach((name, i) =>
      assertExecutor(caller, "worker.work", name, { pointer: `${pointer}/executors/${i}` })
    );
    for (const name of executorNames) {
      if (!(await this.#executors.get(name))) {
        throw new ExecutorNotFoundError(name);
      }
    }
  }

  /**
   * Holds `workerId` for the caller's key until the answer is called (see
   * `WorkerRegistry.holdId`). A worker id belongs to one key on this manager while its streams,
   * leases or calls last: what one key's workers hold never counts against another key's.
   *
   * @throws {WorkerIdHeldError} naming `${pointer}/workerId` when another key holds it
   */
  #holdId(workerId: string, caller: Principal, pointer: string): () => void {
    const release = this.#registry.holdId(workerId, caller.keyId);
    if (release) return release;
    const named = `Worker id "${
      workerId.slice(0, 256)
    }" is held by another API key on this manager`;
    // A stream that speaks keepalive is dropped once silent past SILENT_INTERVALS intervals
    // (`Liveness`), at a check made twice an interval: one interval more is past it whenever its
    // last message came, and a worker told "stream" stops after `goneWithinMs`. One whose hello
    // asked for none is dropped once silent past `silenceWithoutKeepaliveMs`, at the same checks:
    // an idle live worker's is as silent as a gone one's, so it is no proof of a live worker until
    // it is still open that long after (`withoutKeepaliveMs`).
    const goneWithinMs = (SILENT_INTERVALS + 1) * this.keepaliveIntervalMs;
    const withoutKeepaliveMs = this.silenceWithoutKeepaliveMs +
      Math.ceil(this.keepaliveIntervalMs / CHECKS_PER_INTERVAL);
    // One quiet past an interval (`KeepaliveState.quiet`) may be a worker's lost after an earlier
    // refusal named its stream: no proof of a live worker either, until it speaks again.
    const sessions = this.#registry.sessionsOf(workerId);
    const speaking = sessions.filter((session) => session.keepalive);
    // A unary call under the id within `goneWithinMs` is a live worker's too (a poller).
    // A live one that drains ends by itself, when its worker's running tasks do.
    const calledAt = this.#registry.calledAt(workerId);
    const live = speaking.filter((session) => !session.liveness.quiet);
    const heldBy: WorkerIdHolder = live.some((session) => !session.draining)
      ? "stream"
      : calledAt !== undefined && calledAt >= this.now() - goneWithinMs
      ? "calls"
      : live.length > 0
      ? "stream_draining"
      : speaking.length > 0
      ? "stream_silent"
      : sessions.length > 0
      ? "stream_without_keepalive"
      : "leases";
    const yours = `choose a worker id of your own (${pointer}/workerId)`;
    throw new WorkerIdHeldError(
      heldBy === "stream"
        ? `${named}: a worker stream of that key with this id is open (one whose worker is ` +
          `gone is closed within ${goneWithinMs} ms). Stop that worker, or ${yours}`
        : heldBy === "calls"
        ? `${named}: a worker of that key with this id called within the last ${goneWithinMs} ` +
          `ms (GetNextTask, ReportResults). Stop that worker, or ${yours}`
        : heldBy === "stream_draining"
        ? `${named} while a worker stream of that key with this id is open and draining (it ` +
          `takes no more tasks, and closes once its running ones end): try again later, stop ` +
          `that worker, or ${yours}`
        : heldBy === "stream_silent"
        ? `${named} while a worker stream of that key with this id is open but silent (its ` +
          `worker may be gone: the stream is closed within ${goneWithinMs} ms of its last ` +
          `message): try again later, or ${yours}`
        : heldBy === "stream_without_keepalive"
        ? `${named} while a worker stream of that key with this id, one without keepalive, is ` +
          `open (it is closed within ${withoutKeepaliveMs} ms of its last message): try again ` +
          `later, stop that worker, or ${yours}`
        : `${named} until its leases and calls under way end: try again later, or ${yours}`,
      {
        workerId: workerId.slice(0, 256),
        heldBy,
        goneWithinMs: heldBy === "stream_without_keepalive" ? withoutKeepaliveMs : goneWithinMs,
      },
    );
  }

  /**
   * Runs `work` (a call's) with `workerId` held for the caller's key (`#holdId`), noted as a unary
   * worker's call unless it came over a work stream (`streamed`).
   */
  async #whileHolding<T>(
    workerId: string,
    caller: Principal,
    work: () => Promise<T>,
    streamed = false,
  ): Promise<T> {
    const release = this.#holdId(workerId, caller, "");
    if (!streamed) this.#registry.noteCall(workerId, this.now());
    try {
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Learns leases this manager did not hand out but the store says this worker holds (it
   * reconnected here after its manager restarted), so its results and heartbeats still count.
   * Only of executors `caller` may work: the leases hold the worker id for the caller's key.
   * Reads `ADOPT_CHUNK` ids at a time, the thread given back between chunks once a slice of
   * `slices` is spent.
   */
  async #adopt(
    workerId: string,
    taskIds: string[],
    caller: Principal,
    slices: ThreadSlices = new ThreadSlices(),
  ): Promise<void> {
    const max = this.limits.idChars;
    const unknown = [
      ...new Set(taskIds.filter((id) => id && id.length <= max && !this.#registry.lease(id))),
    ];
    // Statuses first, a chunk of ids per read (a heartbeat may name 10,000 ids per executor, all
    // made up: one read each held the loop 1.2-1.9 s for 350,000); whole tasks only of those
    // running, which only a worker's real leases are.
    for (let i = 0; i < unknown.length; i += ADOPT_CHUNK) {
      if (i > 0) await slices.turn();
      const refs = await this.store.taskRefsOf(unknown.slice(i, i + ADOPT_CHUNK));
      const running = refs.filter((ref) => ref.status === "in_progress");
      const tasks = await Promise.all(running.map((ref) => this.store.taskGet(ref.id)));
      for (const task of tasks) {
        if (
          !task || task.status !== "in_progress" || task.workerId !== workerId ||
          !task.leaseToken || this.#registry.lease(task.id) ||
          !reaches(caller, "worker.work", task.executorName)
        ) continue;
        const leaseMs = this.#executors.peek(task.executorName)?.timeout ?? 30_000;
        this.#registry.hold(leaseOf(task, { workerId, leaseMs, streamed: false, now: this.now() }));
      }
    }
  }

  #onEvent(event: ServiceEvent): void {
    if (this.#state !== "running") return;
    if (event.type === "tasks_ready") {
      const served = event.executorNames.some((n) => this.#registry.sessionsFor(n).length > 0);
      if (served) this.#dispatcher.wake();
    } else if (event.type === "tasks_changed" && event.taskIds) {
      const held = event.taskIds.flatMap((id) => this.#registry.lease(id) ?? []);
      if (held.length > 0) void this.#track(this.#leaseCheck.check(held)).catch(() => {});
    }
  }

  /** Keeps a promise in the set `stop` waits for, so no store call outlives the engine. */
  #track<T>(promise: Promise<T>): Promise<T> {
    this.#background.add(promise);
    const forget = () => this.#background.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}

/**
 * Where the settle chunk that starts at `items[at]` ends (exclusive): at most `SETTLE_CHUNK`
 * items, and at most `SETTLE_CHUNK_CHARS` of their text (or one item past it). `resultOf(j)` is
 * the worker's result that `items[j]` settles.
 */
function settleChunkEnd(
  items: readonly SettleItem[],
  at: number,
  resultOf: (j: number) => WorkerResult,
): number {
  let end = at;
  let chars = 0;
  while (end < items.length && end - at < SETTLE_CHUNK && chars < SETTLE_CHUNK_CHARS) {
    const result = resultOf(end++);
    const outcome = result.outcome;
    chars += result.resultChars ?? 0;
    for (const line of outcome.logs ?? []) chars += line.length;
    if (!outcome.ok) chars += outcome.error.length + (outcome.stack?.length ?? 0);
  }
  return end;
}
