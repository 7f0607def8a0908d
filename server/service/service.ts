/**
 * The use cases of the manager — executors, tasks, the DLQ, stats — over the store contract.
 * REST and gRPC are thin adapters over this class; neither holds rules of its own.
 *
 * Collaborators come in through the constructor and calls go one way, service → engine → store:
 * the store and the event bus are made first; the engine is built on them; the service is built
 * last, on the store, the bus and the engine's dispatcher as its `Handoff`. The engine never
 * calls the service: it hears of new work through the bus.
 *
 * The path of a create (`createTask`, `createTasks`):
 * 1. Every input is parsed and bounded (task_input.ts), its executor looked up and its data
 *    checked against the executor's schema (schema.ts): all tasks are valid, or none is stored.
 * 2. The tasks are grouped by their executors' write concern. For a group of one executor the
 *    service asks the `Handoff` (handoff.ts) to `reserve` room on a worker waiting for that
 *    executor's tasks.
 * 3. With a reservation, `Store.taskInsertAndClaim` inserts the tasks and leases what fits in one
 *    write, then `Reservation.deliver` sends the leased tasks down the worker's stream and wakes
 *    the dispatcher for what the claim left. Without one, `Store.taskInsert` inserts them.
 * 4. The service emits `tasks_created`, `tasks_ready` for executors whose tasks were not handed
 *    over (the engine's dispatcher wakes for them) and `tasks_changed` (live views), and answers.
 */
import {
  ConflictError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
} from "../domain/errors.ts";
import {
  type Executor,
  type ExecutorConfig,
  parseExecutorConfig,
  type WriteConcernLevel,
} from "../domain/executor.ts";
import type { DlqEntry, DlqReason } from "../domain/dlq.ts";
import { DLQ_REASONS } from "../domain/dlq.ts";
import { isId, newId as defaultNewId } from "../domain/id.ts";
import { checkJsonValue, checkString } from "@tasks-executor/proto/json-value";
import { DEFAULT_LIMITS, type Limits } from "../domain/limits.ts";
import {
  canTransition,
  isTaskStatus,
  type NewTask,
  type Task,
  type TaskStatus,
} from "../domain/task.ts";
import type {
  DlqFilter,
  ExecutorTaskStats,
  InsertOutcome,
  Page,
  Store,
  TaskFilter,
} from "../store/store.ts";
import { assertExecutor, executorsWithin, reaches } from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN } from "../auth/scopes.ts";
import { ServiceEvents } from "./events.ts";
import type { Handoff } from "./handoff.ts";
import { KeyService } from "./keys.ts";
import { HistoryService } from "./history.ts";
import type { CallerOptions, CreatedTask } from "./caller.ts";
import { ScheduleService } from "./schedules.ts";
import { collectPage, jsonBytes, type PageBounds } from "./paging.ts";
import { type DataCheck, SchemaRegistry } from "./schema.ts";
import { checkTaskData, parseTaskInput, type TaskInput } from "./task_input.ts";
import { TaskWatcher } from "./task_watch.ts";
import { assertNoViolations } from "./violations.ts";
import type { TaskSpans } from "./task_spans.ts";
import type { TraceContext } from "@tasks-executor/proto/tracing";
import { parseTime, TIME_FORMAT_MESSAGE } from "../domain/time.ts";
import { groupKeyOf } from "../domain/flow.ts";

export type { CallerOptions, CreatedTask } from "./caller.ts";

/** How a create call is made: for whom, and in which producer's trace. */
export interface CreateOptions extends CallerOptions {
  /** The producer's W3C trace context (`traceparent` header or metadata), already read. */
  trace?: TraceContext | null;
}

/** Paging asked for by a caller. */
export interface PageRequest {
  cursor?: string;
  limit?: number;
}

/** Most tasks one batch create may hold. */
export const MAX_BATCH = 10_000;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

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
  /** Producers waiting for tasks to reach a final state. */
  readonly watch: TaskWatcher;
  /** Tasks' spans, when the manager traces. */
  readonly spans: TaskSpans | null;

  constructor(store: Store, options: ServiceOptions = {}) {
    this.store = store;
    this.events = options.events ?? new ServiceEvents();
    this.#handoff = options.handoff ?? null;
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
      createTask: (input) => this.createTask(input, { ifExists: "return" }),
      onChange: () => this.events.emit({ type: "schedules_changed" }),
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
    this.history = new HistoryService(store.history, { now: this.now, limits: this.limits });
  }

  // Executors --------------------------------------------------------------------------------

  /** @throws {InvalidArgumentError} {ConflictError} {PermissionDeniedError} */
  async createExecutor(input: unknown, options: CallerOptions = {}): Promise<Executor> {
    const config = parseExecutorConfig(input);
    assertExecutor(options.caller ?? ANONYMOUS_ADMIN, "executors.write", config.name, {
      pointer: "/config/name",
    });
    await this.schemas.compile(config.taskSchema, "/config/taskSchema");
    const now = this.now();
    const executor = await this.store.executorCreate({
      ...config,
      id: this.newId(now),
      createdAt: now,
      updatedAt: now,
    });
    this.events.emit({ type: "executors_changed" });
    return executor;
  }

  /** @throws {NotFoundError} {PermissionDeniedError} */
  async getExecutor(idOrName: string, options: CallerOptions = {}): Promise<Executor> {
    const executor = await this.#executor(idOrName);
    assertExecutor(options.caller ?? ANONYMOUS_ADMIN, "executors.read", executor.name);
    return executor;
  }

  async #executor(idOrName: string): Promise<Executor> {
    const executor = await this.store.executorGet(idOrName);
    if (!executor) throw new NotFoundError(`Executor "${idOrName}" does not exist`);
    return executor;
  }

  /** Every executor the caller may read. */
  async listExecutors(options: CallerOptions = {}): Promise<Executor[]> {
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    const executors = await this.store.executorList();
    return executors.filter((executor) => reaches(caller, "executors.read", executor.name));
  }

  /**
   * Changes the fields given in `input`, keeping the others. A rename is refused: tasks refer to
   * executors by name.
   *
   * @throws {NotFoundError} {InvalidArgumentError} {PermissionDeniedError}
   */
  async updateExecutor(
    idOrName: string,
    input: unknown,
    options: CallerOptions = {},
  ): Promise<Executor> {
    const current = await this.#executor(idOrName);
    assertExecutor(options.caller ?? ANONYMOUS_ADMIN, "executors.write", current.name);
    const config: ExecutorConfig = parseExecutorConfig(input, { base: current });
    if (config.name !== current.name) {
      throw new InvalidArgumentError("Cannot rename an executor: tasks refer to it by name", [
        { field: "/config/name", message: `Must stay "${current.name}"` },
      ]);
    }
    await this.schemas.compile(config.taskSchema, "/config/taskSchema");
    const next = { ...current, ...config, updatedAt: Math.max(this.now(), current.updatedAt + 1) };
    await this.schedules.assertSchedulesFit(next);
    const updated = await this.store.executorUpdate(next);
    if (!updated) throw new NotFoundError(`Executor "${idOrName}" does not exist`);
    this.events.emit({ type: "executors_changed" });
    if (updated.enabled) this.events.emit({ type: "tasks_ready", executorNames: [updated.name] });
    return updated;
  }

  /**
   * Deletes an executor. Refused while it has tasks waiting or running, or schedules, unless
   * `force`, which deletes its tasks, DLQ entries and schedules too.
   *
   * @throws {NotFoundError} {FailedPreconditionError}
   */
  async deleteExecutor(idOrName: string, options: { force?: boolean } = {}): Promise<void> {
    const executor = await this.#executor(idOrName);
    const stats = (await this.store.taskStats({ now: this.now() }))
      .find((s) => s.executorName === executor.name);
    const active = stats ? stats.byStatus.pending + stats.byStatus.in_progress : 0;
    if (active > 0 && !options.force) {
      throw new FailedPreconditionError(
        `Cannot delete executor "${executor.name}": ${active} tasks are pending or in progress (use force to delete them too)`,
      );
    }
    await this.schedules.beforeExecutorDelete(executor.name, options.force ?? false);
    await this.store.executorDelete(executor.id);
    this.schemas.forget(executor.id);
    await this.store.taskDeleteByExecutor(executor.name);
    this.events.emit({ type: "executors_changed" });
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
   * Validates every task first and inserts none unless all are valid; then inserts them at once.
   *
   * @throws {InvalidArgumentError} listing every bad field of every task
   * @throws {PermissionDeniedError} for an executor the caller may not create tasks for
   */
  createTasks(inputs: unknown[], options: CreateOptions = {}): Promise<CreatedTask[]> {
    if (inputs.length > MAX_BATCH) {
      throw new InvalidArgumentError(`Cannot create more than ${MAX_BATCH} tasks at once`, [
        { field: "/tasks", message: `Must hold at most ${MAX_BATCH} tasks` },
      ]);
    }
    return this.#create(inputs, "/tasks", options);
  }

  async #create(
    inputs: unknown[],
    pointer: string,
    options: CreateOptions,
  ): Promise<CreatedTask[]> {
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    const violations: FieldViolation[] = [];
    const single = pointer === "/task";
    const parsed: (TaskInput | null)[] = inputs.map((input, i) =>
      parseTaskInput(input, {
        pointer: single ? pointer : `${pointer}/${i}`,
        limits: this.limits,
      }, violations)
    );
    const executors = new Map<string, Executor>();
    // Per task, in order: its executor's absence, or its data checked against the schema.
    const perTask: (FieldViolation | DataCheck)[] = [];
    for (const [i, input] of parsed.entries()) {
      if (!input) continue;
      const at = single ? pointer : `${pointer}/${i}`;
      assertExecutor(caller, "tasks.create", input.executorName, {
        pointer: `${at}/executorName`,
      });
      let executor = executors.get(input.executorName);
      if (!executor) {
        const found = await this.store.executorGet(input.executorName);
        if (!found) {
          if (single) {
            throw new NotFoundError(
              `Cannot create task: executor "${input.executorName}" does not exist`,
            );
          }
          perTask.push({
            field: `${at}/executorName`,
            message: `Executor "${input.executorName}" does not exist`,
          });
          continue;
        }
        executor = found;
        executors.set(found.name, found);
      }
      perTask.push({ executor, data: input.data, pointer: `${at}/data` });
    }
    const checks = perTask.filter((p): p is DataCheck => "executor" in p);
    const checked = (await this.schemas.violations(checks)).values();
    for (const p of perTask) violations.push(...("executor" in p ? checked.next().value! : [p]));
    if (violations.length > 0) {
      throw new InvalidArgumentError(
        `Cannot create task: ${violations.map((v) => `${v.field} ${v.message}`).join("; ")}`,
        violations,
      );
    }
    // One span per request (not per task): a batch of thousands stays one span.
    const span = this.spans?.create(options.trace ?? null, [...executors.keys()]);
    const trace = span ? span.trace : options.trace ?? null;
    let failure: unknown;
    try {
      return await this.#insertValid(parsed as TaskInput[], { executors, single, trace });
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      span?.end(failure);
    }
  }

  /** Inserts validated task inputs, each with the trace context given, and announces them. */
  async #insertValid(
    parsed: TaskInput[],
    options: { executors: Map<string, Executor>; single: boolean; trace: TraceContext | null },
  ): Promise<CreatedTask[]> {
    const { executors, single, trace } = options;
    const now = this.now();
    const byLevel = new Map<WriteConcernLevel, { indexes: number[]; tasks: NewTask[] }>();
    parsed.forEach((input, i) => {
      const executor = executors.get(input!.executorName)!;
      const level = executor.writeConcern.level;
      const group = byLevel.get(level) ?? { indexes: [], tasks: [] };
      group.indexes.push(i);
      group.tasks.push({
        id: this.newId(now),
        executorName: executor.name,
        data: input!.data,
        metadata: input!.metadata,
        priority: input!.priority,
        runAt: input!.runAt ?? now,
        maxAttempts: executor.retryPolicy.maxAttempts,
        idempotencyKey: input!.idempotencyKey,
        groupKey: groupKeyOf(input!, executor),
        createdAt: now,
        traceparent: trace?.traceparent ?? null,
        tracestate: trace?.tracestate ?? null,
      });
      byLevel.set(level, group);
    });
    if (!single) this.#assertEchoFits([...byLevel.values()].flatMap((group) => group.tasks));
    const outcomes: CreatedTask[] = new Array(parsed.length);
    const handedOff = new Set<string>();
    for (const [level, group] of byLevel) {
      const inserted = await this.#insert(group.tasks, level, now);
      inserted.outcomes.forEach((outcome, j) => (outcomes[group.indexes[j]] = outcome));
      if (inserted.handedOff) handedOff.add(group.tasks[0].executorName);
    }
    const names = [...executors.keys()];
    const counts: Record<string, number> = {};
    for (const outcome of outcomes) {
      if (outcome.created) {
        counts[outcome.task.executorName] = (counts[outcome.task.executorName] ?? 0) + 1;
      }
    }
    this.events.emit({ type: "tasks_created", counts });
    const ready = names.filter((name) => !handedOff.has(name));
    if (ready.length > 0) this.events.emit({ type: "tasks_ready", executorNames: ready });
    this.events.emit({ type: "tasks_changed", executorNames: names });
    return outcomes;
  }

  /**
   * A batch's answer echoes its tasks: the batch is refused, before anything is stored, when they
   * would take more than `limits.pageBytes` as JSON (measured as pages are).
   *
   * @throws {InvalidArgumentError} naming `/tasks`
   */
  #assertEchoFits(tasks: NewTask[]): void {
    let bytes = 0;
    for (const task of tasks) {
      const stored: Task = {
        ...task,
        status: "pending",
        attempt: 0,
        errors: [],
        errorsDropped: 0,
        run: 1,
        progress: null,
        logs: [],
        result: null,
        updatedAt: task.createdAt,
        startedAt: null,
        completedAt: null,
        workerId: null,
        leaseToken: null,
        leaseExpiresAt: null,
        traceparent: task.traceparent ?? null,
        tracestate: task.tracestate ?? null,
      };
      bytes += jsonBytes(stored);
    }
    const max = this.limits.pageBytes;
    if (bytes <= max) return;
    throw new InvalidArgumentError(
      `Cannot create tasks: their answer would be ${bytes} bytes of tasks, more than the limit of ${max}; send fewer at once`,
      [{
        field: "/tasks",
        message:
          `Must hold at most ${max} bytes of tasks as JSON (the answer echoes them), not ${bytes}`,
      }],
    );
  }

  /**
   * Inserts tasks of one write concern (steps 2 and 3 of the module header); when they are all of
   * one executor and a worker has room for them, leases them to it in the same write. `handedOff`
   * then says the reservation saw to the rest of them, so no `tasks_ready` is needed.
   */
  async #insert(
    tasks: NewTask[],
    writeConcern: WriteConcernLevel,
    now: number,
  ): Promise<{ outcomes: InsertOutcome[]; handedOff: boolean }> {
    const name = tasks[0].executorName;
    const reservation = tasks.every((task) => task.executorName === name)
      ? this.#handoff?.reserve(name, now)
      : null;
    if (!reservation) {
      return { outcomes: await this.store.taskInsert(tasks, { writeConcern }), handedOff: false };
    }
    let claimed: Task[] = [];
    let created: NewTask[] = [];
    let onDisk = Promise.resolve();
    try {
      const result = await this.store.taskInsertAndClaim(tasks, reservation.claim, {
        writeConcern,
      });
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

  /** @throws {NotFoundError} {PermissionDeniedError} */
  async getTask(id: string, options: CallerOptions = {}): Promise<Task> {
    const task = await this.#task(id);
    assertExecutor(options.caller ?? ANONYMOUS_ADMIN, "tasks.read", task.executorName);
    return task;
  }

  async #task(id: string): Promise<Task> {
    const task = await this.store.taskGet(id);
    if (!task) throw new NotFoundError(`Task "${id}" does not exist`);
    return task;
  }

  /**
   * Lists tasks, newest first: up to `page.limit` of them and at most `limits.pageBytes` of JSON
   * (at least one task); `nextCursor` continues after the last one. A caller limited to
   * executors lists one of them: the one named by `executorName`, or its only one.
   *
   * @throws {InvalidArgumentError} on a bad filter value
   * @throws {PermissionDeniedError} for an executor the caller may not read, or none named by a
   *   caller limited to more than one
   */
  listTasks(
    filter: Record<string, unknown>,
    page: PageRequest = {},
    options: CallerOptions = {},
  ): Promise<Page<Task>> {
    const violations: FieldViolation[] = [];
    const parsed: TaskFilter = {};
    if (typeof filter.executorName === "string" && filter.executorName !== "") {
      parsed.executorName = filter.executorName;
    }
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    const within = executorsWithin(caller, "tasks.read");
    if (within?.length === 1) parsed.executorName ??= within[0];
    if (within !== null) {
      assertExecutor(caller, "tasks.read", parsed.executorName ?? "", {
        pointer: "executorName",
      });
    }
    const statuses = filter.status === undefined
      ? []
      : (Array.isArray(filter.status) ? filter.status : String(filter.status).split(","))
        .filter((s) => s !== "");
    for (const status of statuses) {
      if (!isTaskStatus(status)) {
        violations.push({ field: "status", message: `Unknown status "${status}"` });
      }
    }
    if (statuses.length > 0) parsed.status = statuses as TaskStatus[];
    for (
      const key of ["createdAfter", "createdBefore", "finishedAfter", "finishedBefore"] as const
    ) {
      const value = filter[key];
      if (value === undefined || value === "" || value === 0) continue;
      const ms = parseTime(value);
      if (ms === undefined) {
        violations.push({ field: key, message: TIME_FORMAT_MESSAGE });
      } else parsed[key] = ms;
    }
    const limit = this.#limit(page, violations);
    if (page.cursor && !isId(page.cursor)) {
      violations.push({ field: "cursor", message: "Must be a cursor from a previous page" });
    }
    if (violations.length > 0) {
      throw new InvalidArgumentError(
        `Invalid task filter: ${violations.map((v) => `${v.field}: ${v.message}`).join("; ")}`,
        violations,
      );
    }
    return collectPage((p) => this.store.taskList(parsed, p), this.#pageBounds(page, limit));
  }

  /** A page of at most `limit` items and `limits.pageBytes` of JSON (at least one item). */
  #pageBounds<T>(page: PageRequest, limit: number): PageBounds<T> {
    return {
      cursor: page.cursor || undefined,
      limit,
      maxBytes: this.limits.pageBytes,
      sizeOf: jsonBytes,
    };
  }

  #limit(page: PageRequest, violations: FieldViolation[]): number {
    const limit = page.limit === undefined || page.limit === 0 ? DEFAULT_PAGE : page.limit;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      violations.push({ field: "limit", message: `Must be a whole number from 1 to ${MAX_PAGE}` });
    }
    return limit;
  }

  /**
   * Moves a task to `status` by hand, only along allowed transitions. `pending` requeues it
   * (from `failed`, `dlq` or `cancelled`) or, for a pending task waiting out a delay, runs it now.
   *
   * @throws {NotFoundError} {InvalidArgumentError} {FailedPreconditionError}
   */
  async updateTaskStatus(
    id: string,
    change: { status: unknown; result?: unknown; error?: unknown },
  ): Promise<Task> {
    if (!isTaskStatus(change.status)) {
      throw new InvalidArgumentError(`Unknown status "${String(change.status)}"`, [
        {
          field: "/status",
          message: "Must be one of pending, in_progress, completed, failed, dlq, cancelled",
        },
      ]);
    }
    const violations: FieldViolation[] = [];
    if (change.result !== undefined) {
      checkJsonValue(change.result, {
        pointer: "/result",
        maxDepth: this.limits.jsonDepth,
        maxBytes: this.limits.resultBytes,
      }, violations);
    }
    if (change.error !== undefined && change.error !== null) {
      if (typeof change.error !== "string") {
        violations.push({ field: "/error", message: "Must be a string" });
      } else {
        checkString(change.error, {
          pointer: "/error",
          maxChars: this.limits.errorMessageChars,
        }, violations);
      }
    }
    assertNoViolations("Cannot update task status", violations);
    const to = change.status;
    const task = await this.#task(id);
    const now = this.now();
    if (task.status === "pending" && to === "pending") {
      return this.#transition(task, to, { runAt: now });
    }
    if (!canTransition(task.status, to) || to === "in_progress" || to === "dlq") {
      throw new FailedPreconditionError(
        `Cannot move task "${id}" from ${task.status} to ${to}`,
      );
    }
    if (task.status === "dlq") {
      return this.requeueDlq(id);
    }
    const patch = to === "pending"
      ? { runAt: now, resetAttempts: true }
      : to === "completed"
      ? { result: change.result ?? null }
      : to === "failed"
      ? {
        error: {
          attempt: task.attempt,
          message: typeof change.error === "string" && change.error
            ? change.error
            : "Marked failed by hand",
          at: now,
          workerId: "",
        },
      }
      : {};
    return this.#transition(task, to, patch);
  }

  /** Cancels a pending or running task (a running handler is told to abort). */
  cancelTask(id: string): Promise<Task> {
    return this.updateTaskStatus(id, { status: "cancelled" });
  }

  async #transition(
    task: Task,
    to: TaskStatus,
    patch: Parameters<Store["taskTransition"]>[1]["patch"],
  ): Promise<Task> {
    const updated = await this.store.taskTransition(task.id, {
      from: task.status,
      to,
      now: this.now(),
      patch,
    });
    if (!updated) {
      throw new FailedPreconditionError(
        `Cannot move task "${task.id}" to ${to}: it changed meanwhile, try again`,
      );
    }
    this.events.emit({
      type: "tasks_changed",
      executorNames: [task.executorName],
      taskIds: [task.id],
    });
    if (to === "pending") {
      this.events.emit({ type: "tasks_ready", executorNames: [task.executorName] });
    }
    if (to === "cancelled") {
      this.events.emit({ type: "tasks_cancelled", counts: { [task.executorName]: 1 } });
    }
    return updated;
  }

  // Dead letter queue ------------------------------------------------------------------------

  #dlqFilter(filter: Record<string, unknown>, violations: FieldViolation[]): DlqFilter {
    const parsed: DlqFilter = {};
    if (typeof filter.executorName === "string" && filter.executorName !== "") {
      parsed.executorName = filter.executorName;
    }
    if (filter.reason !== undefined && filter.reason !== "") {
      if (!(DLQ_REASONS as readonly unknown[]).includes(filter.reason)) {
        violations.push({ field: "reason", message: `Must be one of ${DLQ_REASONS.join(", ")}` });
      } else parsed.reason = filter.reason as DlqReason;
    }
    if (filter.deadBefore !== undefined && filter.deadBefore !== "" && filter.deadBefore !== 0) {
      const ms = parseTime(filter.deadBefore);
      if (ms === undefined) {
        violations.push({ field: "deadBefore", message: TIME_FORMAT_MESSAGE });
      } else parsed.deadBefore = ms;
    }
    return parsed;
  }

  /**
   * Lists DLQ entries, newest first, paged as `listTasks` pages.
   *
   * @throws {InvalidArgumentError}
   */
  listDlq(filter: Record<string, unknown>, page: PageRequest = {}): Promise<Page<DlqEntry>> {
    const violations: FieldViolation[] = [];
    const parsed = this.#dlqFilter(filter, violations);
    const limit = this.#limit(page, violations);
    if (violations.length > 0) {
      throw new InvalidArgumentError(
        `Invalid DLQ filter: ${violations.map((v) => `${v.field}: ${v.message}`).join("; ")}`,
        violations,
      );
    }
    return collectPage((p) => this.store.dlqList(parsed, p), this.#pageBounds(page, limit));
  }

  /** @throws {NotFoundError} */
  async getDlqEntry(id: string): Promise<DlqEntry> {
    const entry = await this.store.dlqGet(id);
    if (!entry) throw new NotFoundError(`DLQ entry "${id}" does not exist`);
    return entry;
  }

  /**
   * Sends a dead task back to run, with new data when given (validated against the executor's
   * schema again).
   *
   * @throws {NotFoundError} {InvalidArgumentError}
   */
  async requeueDlq(id: string, options: { data?: unknown } = {}): Promise<Task> {
    const entry = await this.getDlqEntry(id);
    const executor = await this.store.executorGet(entry.executorName);
    if (!executor) {
      throw new FailedPreconditionError(
        `Cannot requeue: executor "${entry.executorName}" does not exist any more`,
      );
    }
    const data = options.data === undefined ? entry.task.data : options.data;
    const violations: FieldViolation[] = [];
    if (!checkTaskData(data, { pointer: "/data", limits: this.limits }, violations)) {
      throw new InvalidArgumentError(`Cannot requeue: /data ${violations[0].message}`, violations);
    }
    await this.schemas.assertValid(executor, data, "/data");
    const task = await this.store.dlqRequeue(id, {
      now: this.now(),
      data: options.data === undefined ? undefined : data,
    });
    if (!task) throw new NotFoundError(`DLQ entry "${id}" does not exist`);
    this.events.emit({ type: "tasks_ready", executorNames: [task.executorName] });
    this.events.emit({ type: "tasks_changed", executorNames: [task.executorName] });
    return task;
  }

  /** @throws {NotFoundError} */
  async deleteDlqEntry(id: string): Promise<void> {
    if (!(await this.store.dlqDelete(id))) {
      throw new NotFoundError(`DLQ entry "${id}" does not exist`);
    }
  }

  /** Deletes every entry matching the filter; returns how many. @throws {InvalidArgumentError} */
  purgeDlq(filter: Record<string, unknown>): Promise<number> {
    const violations: FieldViolation[] = [];
    const parsed = this.#dlqFilter(filter, violations);
    if (violations.length > 0) {
      throw new InvalidArgumentError(
        `Invalid DLQ filter: ${violations.map((v) => `${v.field}: ${v.message}`).join("; ")}`,
        violations,
      );
    }
    return this.store.dlqPurge(parsed);
  }

  // Stats ------------------------------------------------------------------------------------

  /**
   * Task figures per executor, by name; every executor appears, with zeros when it has no tasks.
   * `filter.executorName` (empty = every executor) keeps that executor's figures only.
   */
  async taskStats(filter: { executorName?: string } = {}): Promise<ExecutorTaskStats[]> {
    const [executors, stats] = await Promise.all([
      this.store.executorList(),
      this.store.taskStats({ now: this.now() }),
    ]);
    const byName = new Map(stats.map((s) => [s.executorName, s]));
    for (const executor of executors) {
      if (!byName.has(executor.name)) {
        byName.set(executor.name, {
          executorName: executor.name,
          byStatus: { pending: 0, in_progress: 0, completed: 0, failed: 0, dlq: 0, cancelled: 0 },
          oldestPendingRunAt: null,
          dlqSize: 0,
        });
      }
    }
    return [...byName.values()]
      .filter((s) => !filter.executorName || s.executorName === filter.executorName)
      .sort((a, b) => a.executorName.localeCompare(b.executorName));
  }
}
