/**
 * The use cases of the manager — executors, tasks, the DLQ, stats — over the store contract.
 * REST and gRPC are thin adapters over this class; neither holds rules of its own. The create path
 * is written here; the other use cases in one module each (executors.ts with the stats, tasks.ts,
 * dlq.ts), which `Service` answers through.
 *
 * Collaborators come in through the constructor and calls go one way, service → engine → store:
 * the store and the event bus are made first; the engine is built on them; the service is built
 * last, on the store, the bus, the engine's dispatcher as its `Handoff` and the engine's executors
 * in memory as its `ExecutorCopies`. The engine never calls the service: it hears of new work
 * through the bus.
 *
 * The path of a create (`createTask`, `createTasks`):
 * 1. Every input is parsed and bounded (task_input.ts), its executor looked up (the engine's copy
 *    in memory, `ExecutorCopies`, when it holds one; else the store's) and its data checked
 *    against the executor's schema (schema.ts): all tasks are valid, or none is stored.
 * 2. The tasks are inserted together, in one store call that stores all of them or none, at the
 *    strictest write concern of their executors (`strictestWriteConcern`), which is as durable as
 *    each asks. For tasks of one executor the service asks the `Handoff` (handoff.ts) to
 *    `reserve` room on a worker waiting for that executor's tasks.
 * 3. With a reservation, `Store.taskInsertAndClaim` inserts the tasks and leases what fits in one
 *    write (the write refuses the request, `ExecutorChangedError`, when an executor is no
 *    longer the one checked against — the create is then checked again from step 1 against the
 *    store's executors, as is one that copies behind the store refused in step 1 — and
 *    `NotFoundError` when one is gone), then `Reservation.deliver` sends the leased tasks down
 *    the worker's stream and wakes the dispatcher for what the claim left. Without one,
 *    `Store.taskInsert` inserts them.
 * 4. The service emits `tasks_created`, `tasks_ready` for executors whose tasks were not handed
 *    over (the engine's dispatcher wakes for them) and `tasks_changed` (live views), and answers.
 */
import {
  ConflictError,
  ExecutorChangedError,
  ExecutorNotFoundError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
} from "../domain/errors.ts";
import {
  type Executor,
  strictestWriteConcern,
  type WriteConcernLevel,
} from "../domain/executor.ts";
import type { DlqEntry } from "../domain/dlq.ts";
import { newId as defaultNewId } from "../domain/id.ts";
import { DEFAULT_LIMITS, type Limits } from "../domain/limits.ts";
import type { NewTask, Task } from "../domain/task.ts";
import {
  executorNamed,
  executorsNamed,
  type ExecutorTaskStats,
  type ExecutorVersionRef,
  type InsertOutcome,
  type Page,
  sameVersion,
  type Store,
  type TaskRef,
} from "../store/store.ts";
import { assertExecutor } from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN } from "../auth/scopes.ts";
import { countsByExecutor, ServiceEvents } from "./events.ts";
import type { Handoff } from "./handoff.ts";
import { KeyService } from "./keys.ts";
import { HistoryService } from "./history.ts";
import type { CallerOptions, CreatedTask, ReadOptions, UseCaseContext } from "./caller.ts";
import { DlqService } from "./dlq.ts";
import { ExecutorService } from "./executors.ts";
import { TaskService } from "./tasks.ts";
import { ScheduleService } from "./schedules.ts";
import { jsonBytes, type PageRequest } from "./paging.ts";
import { basicEchoBound, type CreateAnswer, echoOf } from "./create_echo.ts";
import { type DataCheck, SchemaRegistry } from "./schema.ts";
import { parseTaskInput, type TaskInput } from "./task_input.ts";
import { type TaskWatch, TaskWatcher } from "./task_watch.ts";
import { SearchSlots } from "./search_slots.ts";
import type { CreateSpan, TaskSpans } from "./task_spans.ts";
import type { TraceContext } from "@tasks-executor/proto/tracing";
import { groupKeyOf } from "../domain/flow.ts";

export type { CallerOptions, CreatedTask } from "./caller.ts";

/** How a create call is made: for whom, and in which producer's trace. */
export interface CreateOptions extends CallerOptions {
  /** The producer's W3C trace context (`traceparent` header or metadata), already read. */
  trace?: TraceContext | null;
  /**
   * How much of each created task the caller's answer carries (a batch is refused when its answer
   * would not fit `limits.pageBytes`): `"full"` (default) the whole task, `"basic"` the task
   * without its data, metadata, result and progress (gRPC `TASK_VIEW_BASIC`).
   */
  answer?: CreateAnswer;
  /** Aborted when the caller went away: data not checked yet is not checked, nothing is stored. */
  signal?: AbortSignal;
  /** A schedule's fire creates the task: its idempotency key may begin with `FIRE_KEY_PREFIX`. */
  scheduled?: boolean;
}

export type { PageRequest } from "./paging.ts";

/** Most tasks one batch create may hold. */
export const MAX_BATCH = 10_000;

/**
 * What a create with tasks whose executors do not exist (`missing`: each task's pointer, `at`, and
 * its executor's name; one at least) is told: NOT_FOUND (404), carrying the first such executor
 * (gRPC's `EXECUTOR_NOT_FOUND` detail), its message naming each such task's `executorName` by its
 * pointer, a batch's and a single create's alike: `Cannot create task: /tasks/3/executorName:
 * Executor "x" does not exist`, `Cannot create task: /task/executorName: …` (an adapter moves the
 * pointer where its request holds the field: `/executorName` of a bare REST body). Nothing of the
 * request is stored.
 */
function executorsMissingError(
  missing: readonly { at: string; name: string }[],
): ExecutorNotFoundError {
  const violations = missing.map(({ at, name }) => ({
    field: `${at}/executorName`,
    message: `Executor "${name}" does not exist`,
  }));
  return ExecutorNotFoundError.listing(missing[0].name, "Cannot create task", violations);
}

/** Who creates a task, and what a repeated idempotency key gives (see `Service.createTask`). */
export interface CreateTaskOptions extends CreateOptions {
  /** `"refuse"` (default): a ConflictError; `"return"`: the existing task, `created: false`. */
  ifExists?: "refuse" | "return";
}

/** Injected dependencies (clock and ids, so tests control them). */
export interface ServiceOptions {
  /** The event bus the engine and live views listen on (default a new one). */
  events?: ServiceEvents;
  /** Leases new tasks to waiting workers (the engine's dispatcher); none: tasks wait a pass. */
  handoff?: Handoff;
  now?: () => number;
  newId?: (now: number) => string;
  /** What clients may bring (default `DEFAULT_LIMITS`). */
  limits?: Readonly<Limits>;
  /** Told after an API key is created or revoked (see `KeyServiceOptions.onChange`). */
  onKeysChange?: () => Promise<void>;
  /** How often waits for tasks read the store (see `TaskWatcherOptions.pollMs`). */
  watchPollMs?: number;
  /** Records tasks' spans (create here, dispatch and attempts in the engine); absent = off. */
  spans?: TaskSpans;
  /**
   * Executors as the engine holds them in memory (its `ExecutorCache`): a create is checked
   * against these without reading the store first; absent = read from the store.
   */
  executors?: ExecutorCopies;
  /** Chance for schedules' jitter (default `Math.random`). */
  random?: () => number;
}

/** An executor's task figures, and whether it is paused. */
export interface ExecutorStats extends ExecutorTaskStats {
  /** `enabled: false`: no task of it is handed out until it is resumed. */
  paused: boolean;
}

/**
 * Copies of executors kept in memory, which may be behind the store (another manager changed
 * one, or this one's reload has not run yet): a create checked against a copy is inserted only if
 * the copy is still the executor as stored (`InsertOptions.executorVersions`), and one a copy
 * refuses is checked again against the store's before it is answered, should the copy be behind.
 */
export interface ExecutorCopies {
  /** The copy of executor `name`, if one is held. */
  peek(name: string): Executor | undefined;
  /** Reads the store again, for the copies found behind it. */
  refresh(): Promise<void>;
}

/**
 * How many times one create is checked at most: against the copies first, then against the
 * executors as stored when the copies were behind them (found so at the insert, or after they
 * refused the create: only the executors as stored may refuse one), once more should one change
 * again in between; past that it answers `ExecutorChangedError`, nothing stored.
 */
const CREATE_CHECKS = 3;

/** What one check of a create took and did (see `Service.#create`). */
interface CreatePass {
  /** The copies of executors it took, by name (the others it read from the store). */
  copied: Map<string, Executor>;
  /** Whether its tasks passed their checks (what fails after is the insert's). */
  checked: boolean;
}

/** Manager use cases. */
export class Service {
  readonly store: Store;
  readonly events: ServiceEvents;
  readonly schemas: SchemaRegistry;
  readonly now: () => number;
  readonly newId: (now: number) => string;
  readonly limits: Readonly<Limits>;
  /** API keys: create, list, revoke. */
  readonly keys: KeyService;
  /** Task history per executor and minute. */
  readonly history: HistoryService;
  /** Schedules: CRUD, pause, resume, trigger, preview, fires. */
  readonly schedules: ScheduleService;
  readonly #handoff: Handoff | null;
  readonly #copies: ExecutorCopies | null;
  /** Producers waiting for tasks to reach a final state. */
  readonly watch: TaskWatcher;
  /**
   * Task searches and history reads running and waiting (`limits.searches`,
   * `limits.searchesQueued`).
   */
  readonly searches: SearchSlots;
  /** Tasks' spans, when the manager traces. */
  readonly spans: TaskSpans | null;
  readonly #executors: ExecutorService;
  readonly #tasks: TaskService;
  readonly #dlq: DlqService;

  constructor(store: Store, options: ServiceOptions = {}) {
    this.store = store;
    this.events = options.events ?? new ServiceEvents();
    this.#handoff = options.handoff ?? null;
    this.#copies = options.executors ?? null;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? defaultNewId;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.spans = options.spans ?? null;
    this.schemas = new SchemaRegistry(this.limits);
    this.schedules = new ScheduleService({
      store,
      schemas: this.schemas,
      limits: this.limits,
      now: this.now,
      newId: this.newId,
      createTask: (input) => this.createTask(input, { ifExists: "return", scheduled: true }),
      onChange: () => this.events.emit({ type: "schedules_changed" }),
      random: options.random,
    });
    this.keys = new KeyService(store, {
      limits: this.limits,
      now: this.now,
      onChange: options.onKeysChange,
    });
    this.watch = new TaskWatcher({
      store,
      events: this.events,
      limits: this.limits,
      pollMs: options.watchPollMs,
    });
    this.searches = new SearchSlots(this.limits, this.events);
    this.history = new HistoryService(store.history, {
      now: this.now,
      limits: this.limits,
      slots: this.searches,
      executorExists: async (name) => (await executorNamed(store, name)) !== null,
    });
    const context: UseCaseContext = {
      store,
      events: this.events,
      schemas: this.schemas,
      limits: this.limits,
      now: this.now,
      newId: this.newId,
    };
    this.#executors = new ExecutorService(context, this.schedules);
    this.#dlq = new DlqService(context);
    this.#tasks = new TaskService(context, this.#dlq);
  }

  // Executors (executors.ts) -----------------------------------------------------------------

  /** Creates an executor. @throws {InvalidArgumentError} {ConflictError} {PermissionDeniedError} */
  createExecutor(input: unknown, options: CallerOptions = {}): Promise<Executor> {
    return this.#executors.create(input, options);
  }

  /** @throws {NotFoundError} {PermissionDeniedError} */
  getExecutor(idOrName: string, options: CallerOptions = {}): Promise<Executor> {
    return this.#executors.get(idOrName, options);
  }

  /** The executor named `name` (not one whose id is `name`). @throws {NotFoundError} {PermissionDeniedError} */
  getExecutorNamed(name: string, options: CallerOptions = {}): Promise<Executor> {
    return this.#executors.getNamed(name, options);
  }

  /**
   * A page of the executors the caller may read, by name (all of them unless they pass 2 MiB).
   *
   * @throws {InvalidArgumentError} on a bad `limit` or `cursor`
   */
  listExecutors(
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<Executor>> {
    return this.#executors.list(page, options);
  }

  /**
   * Changes the fields given in `input`, keeping the others; a rename is refused.
   *
   * @throws {NotFoundError} {InvalidArgumentError} {PermissionDeniedError}
   */
  updateExecutor(idOrName: string, input: unknown, options: CallerOptions = {}): Promise<Executor> {
    return this.#executors.update(idOrName, input, options);
  }

  /**
   * Deletes an executor; with `force`, its tasks, DLQ entries and schedules too.
   *
   * @throws {NotFoundError} {FailedPreconditionError}
   */
  deleteExecutor(idOrName: string, options: { force?: boolean } = {}): Promise<void> {
    return this.#executors.delete(idOrName, options);
  }

  // Tasks ------------------------------------------------------------------------------------

  /**
   * Validates and inserts one task. An idempotency key its executor has a task for already is
   * refused, naming that task (so the caller learns its key was used, and what it made), unless
   * `ifExists: "return"`, which gives that task back with `created: false`.
   *
   * @throws {InvalidArgumentError} {NotFoundError} {FailedPreconditionError}
   * @throws {ConflictError} for a repeated idempotency key, with `existing.task`
   * @throws {PermissionDeniedError} for an executor the caller may not create tasks for
   * @throws {ExecutorChangedError} when its executor changed during each of `CREATE_CHECKS`
   *   checks (nothing stored)
   */
  async createTask(input: unknown, options: CreateTaskOptions = {}): Promise<CreatedTask> {
    const [outcome] = await this.#create([input], "/task", options);
    if (!outcome.created && options.ifExists !== "return") {
      const { task } = outcome;
      throw new ConflictError(
        `A task with idempotency key "${task.idempotencyKey}" exists already for executor "${task.executorName}"`,
        { task },
      );
    }
    return outcome;
  }

  /**
   * Creates one task as `createTask` does and opens a wait for it (see `TaskWatcher.openForNew`):
   * `watch.next` gives the task once it is final, unless `created.task` is final already.
   *
   * @throws as `createTask`, and {ResourceExhaustedError} {UnavailableError} when no wait can be
   *   opened (nothing is created then)
   */
  async createTaskAndWatch(
    input: unknown,
    options: CreateTaskOptions = {},
  ): Promise<{ created: CreatedTask; watch: TaskWatch }> {
    const { made, watch } = await this.watch.openForNew(
      () => this.createTask(input, options),
      options.caller,
    );
    return { created: made, watch };
  }

  /**
   * Validates every task first and inserts none unless all are valid; then inserts them at once.
   *
   * @throws {ExecutorNotFoundError} naming each task whose executor does not exist by its pointer
   *   (`executorsMissingError`)
   * @throws {InvalidArgumentError} listing every bad field of every task
   * @throws {PermissionDeniedError} for an executor the caller may not create tasks for
   * @throws {ExecutorChangedError} when an executor of the tasks changed during each of
   *   `CREATE_CHECKS` checks (nothing stored)
   */
  createTasks(inputs: unknown[], options: CreateOptions = {}): Promise<CreatedTask[]> {
    if (inputs.length > MAX_BATCH) {
      throw InvalidArgumentError.listing("Cannot create tasks", [
        { field: "/tasks", message: `Must hold at most ${MAX_BATCH} tasks, not ${inputs.length}` },
      ]);
    }
    return this.#create(inputs, "/tasks", options);
  }

  async #create(
    inputs: unknown[],
    pointer: string,
    options: CreateOptions,
  ): Promise<CreatedTask[]> {
    const invalid: FieldViolation[] = [];
    const single = pointer === "/task";
    const parsed: (TaskInput | null)[] = inputs.map((input, i) =>
      parseTaskInput(input, {
        pointer: single ? pointer : `${pointer}/${i}`,
        limits: this.limits,
        scheduled: options.scheduled,
      }, invalid)
    );
    // One span per request, over all its checks (not per task: a batch stays one span).
    const run: { span?: CreateSpan } = {};
    let failure: unknown;
    try {
      for (let check = 1;; check++) {
        const copies = check === 1 ? this.#copies : null;
        const pass: CreatePass = { copied: new Map(), checked: false };
        try {
          return await this.#checkAndInsert(parsed, [...invalid], {
            pointer,
            single,
            options,
            copies,
            pass,
            run,
          });
        } catch (error) {
          const again = check < CREATE_CHECKS &&
            await this.#checkAgain(error, pass, invalid.length > 0);
          if (!again) throw error;
          // Errors of a reload are the cache's to log (`Periodic`); the copies stay as they are.
          if (copies) copies.refresh().catch(() => {});
        }
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      run.span?.end(failure);
    }
  }

  /**
   * Whether a check that failed with `error` calls for another, against the executors as stored:
   * when an insert found one changed (nothing was stored then), or when copies refused the tasks
   * themselves (bad data, a schema that no longer compiles) and some copy it took is behind the
   * store — the refusal may be the copy's alone, an update that let the data in not having
   * reached it. Not for a request the parse refused (`parseRefused`: refused whatever the
   * executors), nor for any other refusal of the insert (the store's answer, nothing stored):
   * such a create would only be checked, and cost, twice.
   */
  async #checkAgain(error: unknown, pass: CreatePass, parseRefused: boolean): Promise<boolean> {
    if (error instanceof ExecutorChangedError) return true;
    const refusedByCopies = !pass.checked && !parseRefused &&
      (error instanceof InvalidArgumentError || error instanceof FailedPreconditionError);
    return refusedByCopies && await this.#behindStore(pass.copied);
  }

  /** Whether any of `copied` (executors by name) is not the version the store holds now. */
  async #behindStore(copied: ReadonlyMap<string, Executor>): Promise<boolean> {
    if (copied.size === 0) return false;
    const names = [...copied.keys()];
    const { items } = await this.store.executorList({ names }, { limit: names.length });
    const stored = new Map(items.map((executor) => [executor.name, executor]));
    return names.some((name) => {
      const now = stored.get(name);
      return !now || !sameVersion(now, copied.get(name)!);
    });
  }

  /**
   * Checks parsed task inputs (`violations`: those of the parse) against their executors —
   * `copies` of them when given, else as the store holds them — and inserts them when all are
   * valid, noting in `pass` the copies it took and whether the tasks passed their checks.
   *
   * @throws {ExecutorChangedError} when an executor is no longer as it was checked against
   */
  async #checkAndInsert(
    parsed: (TaskInput | null)[],
    violations: FieldViolation[],
    { pointer, single, options, copies, pass, run }: {
      pointer: string;
      single: boolean;
      options: CreateOptions;
      copies: ExecutorCopies | null;
      pass: CreatePass;
      /** The request's span, opened by its first check that gets to insert. */
      run: { span?: CreateSpan };
    },
  ): Promise<CreatedTask[]> {
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    const executors = new Map<string, Executor>();
    // The executors no copy holds, all in one store read, however many tasks name them (a store
    // read per task of 50 batches of 1,000 naming a missing executor held the thread 2.2 s).
    const unread = new Set<string>();
    for (const input of parsed) {
      if (input && !copies?.peek(input.executorName)) unread.add(input.executorName);
    }
    const stored = await executorsNamed(this.store, [...unread]);
    // Per task, in order, its data to check against the schema; the tasks of missing executors.
    const perTask: DataCheck[] = [];
    const missing: { at: string; name: string }[] = [];
    for (const [i, input] of parsed.entries()) {
      if (!input) continue;
      const at = single ? pointer : `${pointer}/${i}`;
      assertExecutor(caller, "tasks.create", input.executorName, {
        pointer: `${at}/executorName`,
      });
      let executor = executors.get(input.executorName);
      if (!executor) {
        const copy = copies?.peek(input.executorName);
        if (copy) pass.copied.set(copy.name, copy);
        const found = copy ?? stored.get(input.executorName);
        if (!found) {
          missing.push({ at, name: input.executorName });
          continue;
        }
        executor = found;
        executors.set(found.name, found);
      }
      perTask.push({ executor, data: input.data, pointer: `${at}/data` });
    }
    // A missing executor is NOT_FOUND whatever else is wrong, as for a single create.
    if (missing.length > 0) throw executorsMissingError(missing);
    for (const found of await this.schemas.violations(perTask, options.signal)) {
      violations.push(...found);
    }
    if (violations.length > 0) {
      throw InvalidArgumentError.listing("Cannot create task", violations);
    }
    pass.checked = true;
    run.span ??= this.spans?.create(options.trace ?? null, [...executors.keys()]);
    const trace = run.span ? run.span.trace : options.trace ?? null;
    try {
      return await this.#insertValid(parsed as TaskInput[], {
        executors,
        single,
        trace,
        answer: options.answer ?? "full",
      });
    } catch (error) {
      // The store refuses the tasks of an executor deleted since it was read above (they would
      // outlive it): a batch is told so as when the read found it missing.
      if (error instanceof NotFoundError) {
        throw await this.#refusedCreate(parsed as TaskInput[], { pointer, single }, error);
      }
      throw error;
    }
  }

  /**
   * What a create the store refused for an executor deleted meanwhile (`refusal`) is told: each
   * task of an executor missing now named by its pointer, as `#create`'s read names them;
   * `refusal` itself when every executor is found again (made again since).
   */
  async #refusedCreate(
    parsed: TaskInput[],
    { pointer, single }: { pointer: string; single: boolean },
    refusal: NotFoundError,
  ): Promise<Error> {
    const names = [...new Set(parsed.map((input) => input.executorName))];
    const found = await executorsNamed(this.store, names);
    const gone = new Set(names.filter((name) => !found.has(name)));
    const missing = parsed.flatMap((input, i) =>
      gone.has(input.executorName)
        ? [{ at: single ? pointer : `${pointer}/${i}`, name: input.executorName }]
        : []
    );
    if (missing.length === 0) return refusal;
    return executorsMissingError(missing);
  }

  /**
   * Inserts validated task inputs, each with the trace context given, all in one store call
   * (stored all or none), and announces them.
   */
  async #insertValid(
    parsed: TaskInput[],
    options: {
      executors: Map<string, Executor>;
      single: boolean;
      trace: TraceContext | null;
      answer: CreateAnswer;
    },
  ): Promise<CreatedTask[]> {
    const { executors, single, trace } = options;
    const now = this.now();
    const tasks = parsed.map((input): NewTask => {
      const executor = executors.get(input.executorName)!;
      return {
        id: this.newId(now),
        executorName: executor.name,
        data: input.data,
        metadata: input.metadata,
        priority: input.priority,
        runAt: input.runAt ?? now,
        maxAttempts: executor.retryPolicy.maxAttempts,
        idempotencyKey: input.idempotencyKey,
        groupKey: groupKeyOf(input, executor),
        createdAt: now,
        traceparent: trace?.traceparent ?? null,
        tracestate: trace?.tracestate ?? null,
      };
    });
    if (!single) this.#assertEchoFits(tasks, options.answer);
    // One insert for the whole request, at the strictest write concern of its executors: the
    // store keeps all of it or none and checks every executor in that one step. (Inserted one
    // write concern at a time, an executor deleted between two inserts had the later refused
    // after the earlier were stored.)
    const level = strictestWriteConcern([...executors.values()].map((e) => e.writeConcern.level));
    const versions = new Map(
      [...executors.values()].map(({ name, id, updatedAt }) => [name, { id, updatedAt }]),
    );
    const inserted = tasks.length > 0
      ? await this.#insert(tasks, level, now, versions)
      : { outcomes: [], handedOff: false };
    const outcomes: CreatedTask[] = inserted.outcomes;
    const handedOff = inserted.handedOff ? tasks[0].executorName : null;
    const names = [...executors.keys()];
    const counts = countsByExecutor(
      outcomes.filter((outcome) => outcome.created).map((outcome) => outcome.task),
    );
    this.events.emit({ type: "tasks_created", counts });
    const ready = names.filter((name) => name !== handedOff);
    if (ready.length > 0) this.events.emit({ type: "tasks_ready", executorNames: ready });
    this.events.emit({ type: "tasks_changed", executorNames: names });
    return outcomes;
  }

  /**
   * A batch's answer echoes its tasks: the batch is refused, before anything is stored, when they
   * would take more than `limits.pageBytes` as JSON (measured as pages are), as much of each as
   * the `answer` view carries. In the basic view a bound without writing any JSON settles the
   * usual batch; the tasks are written out and weighed only when the bound is over the limit.
   *
   * @throws {InvalidArgumentError} naming `/tasks`
   */
  #assertEchoFits(tasks: NewTask[], answer: CreateAnswer): void {
    const max = this.limits.pageBytes;
    if (answer === "basic" && tasks.reduce((sum, t) => sum + basicEchoBound(t), 0) <= max) return;
    let bytes = 0;
    for (const task of tasks) bytes += jsonBytes(echoOf(task, answer));
    if (bytes <= max) return;
    throw InvalidArgumentError.listing("Cannot create tasks", [{
      field: "/tasks",
      message: `Must hold at most ${max} bytes of tasks as JSON (the answer echoes them${
        answer === "basic" ? ", without their data and metadata" : ""
      }), not ${bytes}: send fewer at once`,
    }]);
  }

  /**
   * Inserts a request's tasks in one store call (steps 2 and 3 of the module header), at
   * `writeConcern`; when they are all of one executor and a worker has room for them, leases them
   * to it in the same write. `handedOff` then says the reservation saw to the rest of them, so no
   * `tasks_ready` is needed. `executorVersions`: the executors the tasks were checked against, for
   * the store to hold the insert to (`InsertOptions.executorVersions`).
   *
   * @throws as `Store.taskInsert` (nothing stored then)
   */
  async #insert(
    tasks: NewTask[],
    writeConcern: WriteConcernLevel,
    now: number,
    executorVersions: ReadonlyMap<string, ExecutorVersionRef>,
  ): Promise<{ outcomes: InsertOutcome[]; handedOff: boolean }> {
    const name = tasks[0].executorName;
    const reservation = tasks.every((task) => task.executorName === name)
      ? this.#handoff?.reserve(name, now)
      : null;
    // `requireExecutors`: the store refuses the tasks of an executor deleted since it was read.
    const options = { writeConcern, requireExecutors: true, executorVersions };
    if (!reservation) {
      return { outcomes: await this.store.taskInsert(tasks, options), handedOff: false };
    }
    let claimed: Task[] = [];
    let created: NewTask[] = [];
    let onDisk = Promise.resolve();
    try {
      const result = await this.store.taskInsertAndClaim(tasks, reservation.claim, options);
      claimed = result.claimed;
      onDisk = result.onDisk;
      created = tasks;
      // The caller sees a task handed over already as it is now: leased.
      const leased = new Map(claimed.map((task) => [task.id, task]));
      const outcomes = result.outcomes.map((outcome) => {
        const task = outcome.created ? leased.get(outcome.task.id) : undefined;
        return task ? { created: true, task } : outcome;
      });
      return { outcomes, handedOff: true };
    } finally {
      // The worker may start while the insert is still being synced to disk; the caller hears
      // of the task only once it is.
      try {
        await reservation.deliver(claimed, created);
      } finally {
        await onDisk;
      }
    }
  }

  // Tasks once created (tasks.ts) ------------------------------------------------------------

  /** @throws {NotFoundError} for no task, or one of an executor the caller may not read */
  getTask(id: string, options: CallerOptions = {}): Promise<Task> {
    return this.#tasks.get(id, options);
  }

  /**
   * Lists tasks, newest first, a page bounded by `page.limit` and `limits.pageBytes`.
   *
   * @throws {InvalidArgumentError} {PermissionDeniedError}
   */
  listTasks(
    filter: Record<string, unknown>,
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<Task>> {
    return this.#tasks.list(filter, page, options);
  }

  /**
   * Lists tasks as `listTasks` does, giving only their ids, executors, statuses and runs (`TaskRef`),
   * up to `page.limit` per page whatever the tasks' size.
   *
   * @throws {InvalidArgumentError} {PermissionDeniedError}
   */
  listTaskRefs(
    filter: Record<string, unknown>,
    page: PageRequest = {},
    options: CallerOptions = {},
  ): Promise<Page<TaskRef>> {
    return this.#tasks.listRefs(filter, page, options);
  }

  /**
   * Moves a task to `status` by hand, only along allowed transitions; with `from`, only when the
   * task is in one of those statuses; with `fence.run`, only while it is in that run (see
   * `TaskService.updateStatus`).
   *
   * @throws {NotFoundError} {InvalidArgumentError} {FailedPreconditionError}
   */
  updateTaskStatus(
    id: string,
    change: { status: unknown; result?: unknown; error?: unknown; from?: unknown },
    fence: { run?: number } = {},
  ): Promise<Task> {
    return this.#tasks.updateStatus(id, change, fence);
  }

  /** Cancels a pending or running task (a running handler is told to abort). */
  cancelTask(id: string): Promise<Task> {
    return this.#tasks.cancel(id);
  }

  // Dead letter queue (dlq.ts) ----------------------------------------------------------------

  /**
   * Lists DLQ entries as `listDlq` does, giving only their ids, executors and statuses.
   *
   * @throws {InvalidArgumentError}
   */
  listDlqRefs(filter: Record<string, unknown>, page: PageRequest = {}): Promise<Page<TaskRef>> {
    return this.#dlq.listRefs(filter, page);
  }

  /** Lists DLQ entries, newest first, paged as `listTasks` pages. @throws {InvalidArgumentError} */
  listDlq(
    filter: Record<string, unknown>,
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<DlqEntry>> {
    return this.#dlq.list(filter, page, options);
  }

  /** @throws {NotFoundError} */
  getDlqEntry(id: string): Promise<DlqEntry> {
    return this.#dlq.get(id);
  }

  /**
   * Sends a dead task back to run, with new data when given (validated again).
   *
   * @throws {NotFoundError} {InvalidArgumentError} {FailedPreconditionError}
   */
  requeueDlq(id: string, options: { data?: unknown; run?: number } = {}): Promise<Task> {
    return this.#dlq.requeue(id, options);
  }

  /**
   * Deletes the entry and its task while it is still the death read (see `DlqService.delete`).
   *
   * @throws {NotFoundError} {FailedPreconditionError}
   */
  deleteDlqEntry(id: string): Promise<void> {
    return this.#dlq.delete(id);
  }

  /**
   * Deletes every entry matching the filter; answers how many, and `stopped` when the store
   * failed after some were deleted (see `DlqService.purge`).
   *
   * @throws {InvalidArgumentError}
   */
  purgeDlq(filter: Record<string, unknown>): Promise<{ deleted: number; stopped?: Error }> {
    return this.#dlq.purge(filter);
  }

  // Stats (executors.ts) ----------------------------------------------------------------------

  /**
   * Task figures per executor, by name, zeros for an executor without tasks; `executorName`
   * (empty = every executor) keeps that executor's only. `paused`: the executor is paused
   * (`enabled: false`), so its pending tasks wait whoever serves it.
   */
  async taskStats(filter: { executorName?: string } = {}): Promise<ExecutorStats[]> {
    const stats = await this.#executors.stats(filter);
    return await Promise.all(stats.map(async (s) => {
      const executor = this.#copies?.peek(s.executorName) ??
        await this.store.executorGet(s.executorName);
      return { ...s, paused: executor?.enabled === false };
    }));
  }
}
