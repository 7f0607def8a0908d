/**
 * The use cases of the manager — executors, tasks, the DLQ, stats — over the store contract.
 * REST and gRPC are thin adapters over this class; neither holds rules of its own.
 */
import {
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
  ClaimOptions,
  DlqFilter,
  ExecutorTaskStats,
  InsertOutcome,
  Page,
  Store,
  TaskFilter,
} from "../store/store.ts";
import { assertExecutor, executorsWithin, reaches } from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN, type Principal } from "../auth/scopes.ts";
import { ServiceEvents } from "./events.ts";
import { KeyService } from "./keys.ts";
import { HistoryService } from "./history.ts";
import type { CallerOptions, CreatedTask } from "./caller.ts";
import { ScheduleService } from "./schedules.ts";
import { collectPage, jsonBytes, type PageBounds } from "./paging.ts";
import { type DataCheck, SchemaRegistry } from "./schema.ts";
import { checkTaskData, parseTaskInput, type TaskInput } from "./task_input.ts";
import { TaskWatcher } from "./task_watch.ts";
import { assertNoViolations } from "./violations.ts";
import { parseTime, TIME_FORMAT_MESSAGE } from "../domain/time.ts";

export type { CallerOptions, CreatedTask } from "./caller.ts";

/** Paging asked for by a caller. */
export interface PageRequest {
  cursor?: string;
  limit?: number;
}

/** Most tasks one batch create may hold. */
export const MAX_BATCH = 10_000;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/**
 * Leases tasks as they are created, when a worker waits for them: the engine, while it runs. The
 * insert and the claim are then one store write, and the task reaches the worker without a
 * dispatch pass.
 */
export interface Handoff {
  /**
   * A claim for one worker with room for tasks of `executorName`, to make with the insert of
   * tasks created at `now`; its room stays reserved until `deliver`. `null` when none has room.
   */
  reserve(executorName: string, now: number): Reservation | null;
}

/** Room reserved on one worker by `Handoff.reserve`. */
export interface Reservation {
  readonly claim: ClaimOptions;
  /**
   * Gives the claimed tasks to the worker and frees the rest of the room; sees that what the
   * claim left of `created` (the tasks of the create) is dispatched. Called once.
   */
  deliver(claimed: Task[], created: readonly NewTask[]): Promise<void>;
}

/** Injected dependencies (clock and ids, so tests control them). */
export interface ServiceOptions {
  now?: () => number;
  newId?: (now: number) => string;
  /** What clients may bring (default `DEFAULT_LIMITS`). */
  limits?: Readonly<Limits>;
  /** Told after an API key is created or revoked (see `KeyServiceOptions.onChange`). */
  onKeysChange?: () => Promise<void>;
  /** How often waits for tasks read the store (see `TaskWatcherOptions.pollMs`). */
  watchPollMs?: number;
}

/** Manager use cases. */
export class Service {
  readonly store: Store;
  readonly events: ServiceEvents = new ServiceEvents();
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
  /** Set by the engine while it runs. */
  handoff: Handoff | null = null;
  /** Producers waiting for tasks to reach a final state. */
  readonly watch: TaskWatcher;

  constructor(store: Store, options: ServiceOptions = {}) {
    this.store = store;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? defaultNewId;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.schemas = new SchemaRegistry(this.limits);
    this.schedules = new ScheduleService({
      store,
      schemas: this.schemas,
      limits: this.limits,
      now: this.now,
      newId: this.newId,
      createTask: (input) => this.createTask(input),
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
    this.events.emit({ type: "executor_deleted", executorName: executor.name });
  }

  // Tasks ------------------------------------------------------------------------------------

  /**
   * Validates and inserts one task.
   *
   * @throws {InvalidArgumentError} {NotFoundError} {FailedPreconditionError}
   * @throws {PermissionDeniedError} for an executor the caller may not create tasks for
   */
  async createTask(input: unknown, options: CallerOptions = {}): Promise<CreatedTask> {
    const [outcome] = await this.#create([input], "/task", options.caller ?? ANONYMOUS_ADMIN);
    return outcome;
  }

  /**
   * Validates every task first and inserts none unless all are valid; then inserts them at once.
   *
   * @throws {InvalidArgumentError} listing every bad field of every task
   * @throws {PermissionDeniedError} for an executor the caller may not create tasks for
   */
  createTasks(inputs: unknown[], options: CallerOptions = {}): Promise<CreatedTask[]> {
    if (inputs.length > MAX_BATCH) {
      throw new InvalidArgumentError(`Cannot create more than ${MAX_BATCH} tasks at once`, [
        { field: "/tasks", message: `Must hold at most ${MAX_BATCH} tasks` },
      ]);
    }
    return this.#create(inputs, "/tasks", options.caller ?? ANONYMOUS_ADMIN);
  }

  async #create(inputs: unknown[], pointer: string, caller: Principal): Promise<CreatedTask[]> {
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
        createdAt: now,
      });
      byLevel.set(level, group);
    });
    if (!single) this.#assertEchoFits([...byLevel.values()].flatMap((group) => group.tasks));
    const outcomes: CreatedTask[] = new Array(parsed.length);
    const handedOff = new Set<string>();
    for (const [level, group] of byLevel) {
      const inserted = await this.#insert(group.tasks, level, now, handedOff);
      inserted.forEach((outcome, j) => (outcomes[group.indexes[j]] = outcome));
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
   * Inserts tasks of one write concern; when they are all of one executor and a worker has room
   * for them, leases them to it in the same write, and adds the executor to `handedOff`: the
   * reservation then sees to the rest of its tasks, and no `tasks_ready` is needed.
   */
  async #insert(
    tasks: NewTask[],
    writeConcern: WriteConcernLevel,
    now: number,
    handedOff: Set<string>,
  ): Promise<InsertOutcome[]> {
    const name = tasks[0].executorName;
    const reservation = tasks.every((task) => task.executorName === name)
      ? this.handoff?.reserve(name, now)
      : null;
    if (!reservation) return await this.store.taskInsert(tasks, { writeConcern });
    handedOff.add(name);
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
      return result.outcomes.map((outcome) => {
        const task = outcome.created ? leased.get(outcome.task.id) : undefined;
        return task ? { created: true, task } : outcome;
      });
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

  /**
   * Requeues every entry matching the filter (see `requeueDlq`). Entries that cannot go back (their
   * data no longer fits the schema, their executor is gone) stay where they are and are counted.
   *
   * @throws {InvalidArgumentError} on a bad filter value
   */
  async requeueDlqMany(
    filter: Record<string, unknown>,
  ): Promise<{ requeued: number; failed: number }> {
    // Ids are gathered first: requeueing while paging would move the ground under the cursor.
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listDlq(filter, { cursor, limit: MAX_PAGE });
      for (const entry of page.items) ids.push(entry.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    let requeued = 0;
    let failed = 0;
    for (const id of ids) {
      try {
        await this.requeueDlq(id);
        requeued++;
      } catch (error) {
        // Deleted or requeued meanwhile by someone else: nothing left to do for it.
        if (error instanceof NotFoundError) continue;
        if (error instanceof InvalidArgumentError || error instanceof FailedPreconditionError) {
          failed++;
        } else throw error;
      }
    }
    return { requeued, failed };
  }

  // Stats ------------------------------------------------------------------------------------

  /** Task figures per executor; every executor appears, with zeros when it has no tasks. */
  async taskStats(): Promise<ExecutorTaskStats[]> {
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
    return [...byName.values()].sort((a, b) => a.executorName.localeCompare(b.executorName));
  }
}
