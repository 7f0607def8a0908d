/**
 * Task use cases past their creation: read, list, move by hand along the allowed transitions, and
 * cancel. The create path stays in `service.ts`, whose `Service` answers these too.
 */
import {
  ExecutorNotFoundError,
  FailedPreconditionError,
  type FieldViolation,
  NotFoundError,
} from "../domain/errors.ts";
import { isId } from "../domain/id.ts";
import { checkedRef } from "../domain/refs.ts";
import type { Limits } from "../domain/limits.ts";
import {
  canTransition,
  fromRefusal,
  INTERRUPTED_BY_HAND,
  RESCUER_PREFIX,
  type Task,
  type TaskError,
  type TaskStatus,
  transitionRefusal,
} from "../domain/task.ts";
import type { Page, Store, TaskFilter, TaskRef } from "../store/store.ts";
import {
  checkJsonValue,
  checkString,
  resultTooLarge,
  utf8Length,
} from "@tasks-executor/proto/json-value";
import { assertExecutor, assertFound, executorsWithin } from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN, type Principal } from "../auth/scopes.ts";
import type { CallerOptions, ReadOptions, UseCaseContext } from "./caller.ts";
import { DlqEntryChangedError, type DlqService } from "./dlq.ts";
import type { ServiceEvents } from "./events.ts";
import { collectPage, pageBounds, pageCursorCheck, pageLimit, type PageRequest } from "./paging.ts";
import {
  assertNoViolations,
  checkStatusList,
  executorFilter,
  rangeViolation,
  taskStatusField,
  timeFilter,
} from "./violations.ts";

/** The time ranges of a task filter: each `…After` must come before its `…Before`. */
const RANGES = {
  created: ["createdAfter", "createdBefore"],
  finished: ["finishedAfter", "finishedBefore"],
} as const;

/** The answer for a task id that names no task, or one the caller may not read. */
export function taskMissing(id: string): NotFoundError {
  return new NotFoundError(`Task "${id}" does not exist`);
}

/**
 * Checks that `caller` may read a task of `executorName`. A task it may not read is answered as
 * one that does not exist (`taskMissing`): a 403 naming the executor told a key limited to other
 * executors that the id was a task, and whose.
 *
 * @throws {NotFoundError} when the caller's key does not reach the executor
 */
export function assertTaskReadable(caller: Principal, id: string, executorName: string): void {
  assertFound(caller, "tasks.read", executorName, () => taskMissing(id));
}

/** Tasks once created: reads and moves. */
export class TaskService {
  readonly #store: Store;
  readonly #events: ServiceEvents;
  readonly #limits: Readonly<Limits>;
  readonly #now: () => number;
  readonly #dlq: DlqService;

  /** `dlq` requeues a dead task moved back to `pending`. */
  constructor(context: UseCaseContext, dlq: DlqService) {
    this.#store = context.store;
    this.#events = context.events;
    this.#limits = context.limits;
    this.#now = context.now;
    this.#dlq = dlq;
  }

  /** @throws {NotFoundError} for no task, or one of an executor the caller may not read */
  async get(id: string, options: CallerOptions = {}): Promise<Task> {
    const task = await this.#task(id);
    assertTaskReadable(options.caller ?? ANONYMOUS_ADMIN, id, task.executorName);
    return task;
  }

  async #task(id: string): Promise<Task> {
    const task = await this.#store.taskGet(checkedRef("task", id, "/id"));
    if (!task) throw taskMissing(id);
    return task;
  }

  /**
   * Lists tasks, newest first: up to `page.limit` of them and at most `limits.pageBytes` of JSON
   * (at least one task); `nextCursor` continues after the last one. A listing by finish time looks
   * at `limits.searchScanTasks` tasks a page, and may answer fewer tasks, none even, with a
   * `nextCursor` (see `SCAN_PER_PAGE`). A caller limited to
   * executors lists one of them: the one named by `executorName`, or its only one.
   *
   * @throws {InvalidArgumentError} on a bad filter value
   * @throws {PermissionDeniedError} for an executor the caller may not read, or none named by a
   *   caller limited to more than one
   */
  list(
    filter: Record<string, unknown>,
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<Task>> {
    const { parsed, limit } = this.#listing(filter, page, options);
    const scanLimit = this.#limits.searchScanTasks;
    return collectPage(
      (p) => this.#store.taskList(parsed, { ...p, scanLimit }),
      pageBounds(page, { limit, maxBytes: this.#limits.pageBytes }, options),
    );
  }

  /**
   * `list` giving only each task's id, executor, status and run (`TaskRef`), up to `page.limit` (1 to
   * 1000) per page whatever the tasks' size: what bulk calls act on.
   *
   * @throws {InvalidArgumentError} {PermissionDeniedError} as `list`
   */
  listRefs(
    filter: Record<string, unknown>,
    page: PageRequest = {},
    options: CallerOptions = {},
  ): Promise<Page<TaskRef>> {
    const { parsed, limit } = this.#listing(filter, page, options);
    return this.#store.taskListRefs(parsed, {
      cursor: page.cursor || undefined,
      limit,
      scanLimit: this.#limits.searchScanTasks,
    });
  }

  /** The store filter and page size of a listing. @throws as `list` */
  #listing(
    filter: Record<string, unknown>,
    page: PageRequest,
    options: CallerOptions,
  ): { parsed: TaskFilter; limit: number } {
    const violations: FieldViolation[] = [];
    const parsed: TaskFilter = {};
    const executorName = executorFilter(filter.executorName, violations);
    if (executorName !== undefined) parsed.executorName = executorName;
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
    const named = checkStatusList(statuses, "status", () => "status", violations);
    if (named.length > 0) parsed.status = named;
    for (
      const key of ["createdAfter", "createdBefore", "finishedAfter", "finishedBefore"] as const
    ) {
      const ms = timeFilter(filter[key], violations, key);
      if (ms !== undefined) parsed[key] = ms;
    }
    rangeViolation(parsed.createdAfter, parsed.createdBefore, RANGES.created, violations);
    rangeViolation(parsed.finishedAfter, parsed.finishedBefore, RANGES.finished, violations);
    const limit = pageLimit(page, violations);
    pageCursorCheck(page, violations, isId);
    assertNoViolations("Invalid task filter", violations);
    return { parsed, limit };
  }

  /**
   * Moves a task to `status` by hand, only along allowed transitions. `pending` requeues it
   * (from `failed`, `dlq` or `cancelled`) or, for a pending task waiting out a delay, runs it now.
   *
   * `from`, when given, lists the statuses the task must be in for the change to happen (a compare
   * and set): a task in another one is refused with `fromRefusal` and nothing is changed. The store
   * write is conditional on the status read (`Store.taskTransition`), so a task that moves out of
   * `from` between the read and the write is refused too, never moved: a "run again" that lists
   * the ended statuses cannot take a task that a worker leased meanwhile.
   *
   * `expected.run`, when given, is the run the task must be in, read and written alike: one run
   * again since, even ended the same way, is refused as changed meanwhile (bulk calls move only
   * the tasks as they listed them).
   *
   * @throws {NotFoundError} {InvalidArgumentError} {FailedPreconditionError}
   */
  async updateStatus(
    id: string,
    change: { status: unknown; result?: unknown; error?: unknown; from?: unknown },
    expected: { run?: number } = {},
  ): Promise<Task> {
    const violations: FieldViolation[] = [];
    const status = taskStatusField(change.status, "/status", violations);
    if (change.result !== undefined) {
      const pointer = "/result";
      if (
        checkJsonValue(change.result, { pointer, maxDepth: this.#limits.jsonDepth }, violations)
      ) {
        // Too large, in the one wording a worker's result gets (`resultTooLarge`). The value came
        // in a request bounded by MAX_REQUEST_BYTES: written out whole, it costs no more.
        const bytes = utf8Length(JSON.stringify(change.result) ?? "null");
        if (bytes > this.#limits.resultBytes) {
          violations.push(resultTooLarge(bytes, this.#limits.resultBytes));
        }
      }
    }
    if (change.error !== undefined && change.error !== null) {
      if (typeof change.error !== "string") {
        violations.push({ field: "/error", message: "Must be a string" });
      } else {
        checkString(change.error, {
          pointer: "/error",
          maxChars: this.#limits.errorMessageChars,
        }, violations);
      }
    }
    const from = fromStatuses(change.from, violations);
    assertNoViolations("Cannot update task status", violations);
    // Given and valid: a violation on /status was thrown above otherwise.
    const to = status as TaskStatus;
    const task = await this.#task(id);
    if (from && !from.includes(task.status)) {
      throw new FailedPreconditionError(fromRefusal(id, task.status, from));
    }
    const run = expected.run;
    if (run !== undefined && task.run !== run) {
      throw new FailedPreconditionError(
        `Cannot move task "${id}" to ${to}: it changed meanwhile, try again`,
      );
    }
    const now = this.#now();
    if (task.status === "pending" && to === "pending") {
      return this.#transition(task, to, { runAt: now }, from, undefined, run);
    }
    if (!canTransition(task.status, to) || to === "in_progress" || to === "dlq") {
      throw new FailedPreconditionError(transitionRefusal(id, task.status, to));
    }
    if (task.status === "dlq") {
      // Its entry is gone when the task left the DLQ since it was read (run again elsewhere, then
      // leased): that is a change meanwhile, as for any other status, not a missing task.
      // Only the death read: one requeued since and dead again is not the task asked about.
      return await this.#dlq.requeue(id, { run: task.run }).catch(async (error) => {
        // Its executor gone is NOT_FOUND naming the executor, not a change meanwhile.
        if (error instanceof ExecutorNotFoundError) throw error;
        if (!(error instanceof NotFoundError || error instanceof DlqEntryChangedError)) throw error;
        throw await this.#changedMeanwhile(task, to, from) ?? error;
      });
    }
    // An attempt a change by hand ends (a running task moved back to pending, or any task marked
    // failed) is kept in errors[], naming the worker and run of the attempt; for a running task the
    // write is fenced on the lease read, so the worker named is the one whose attempt it ended.
    const running = task.status === "in_progress";
    const patch = to === "pending"
      ? {
        runAt: now,
        resetAttempts: true,
        ...(running ? { error: attemptEndedByHand(task, INTERRUPTED_BY_HAND, now) } : {}),
      }
      : to === "completed"
      ? { result: change.result ?? null }
      : to === "failed"
      ? {
        error: attemptEndedByHand(
          task,
          typeof change.error === "string" && change.error ? change.error : "Marked failed by hand",
          now,
        ),
      }
      : {};
    const fence = running && "error" in patch ? task.leaseToken ?? undefined : undefined;
    return this.#transition(task, to, patch, from, fence, run);
  }

  /** Cancels a pending or running task (a running handler is told to abort). */
  cancel(id: string): Promise<Task> {
    return this.updateStatus(id, { status: "cancelled" });
  }

  /**
   * Moves `task` from the status it was read in to `to`, if it is still in it (and holds
   * `leaseToken`, and is in `run`, when given). When it moved on meanwhile and `from` was given,
   * the refusal names the status it is in now.
   */
  async #transition(
    task: Task,
    to: TaskStatus,
    patch: Parameters<Store["taskTransition"]>[1]["patch"],
    from?: readonly TaskStatus[],
    leaseToken?: string,
    run?: number,
  ): Promise<Task> {
    const updated = await this.#store.taskTransition(task.id, {
      from: task.status,
      to,
      now: this.#now(),
      patch,
      ...(leaseToken === undefined ? {} : { leaseToken }),
      ...(run === undefined ? {} : { run }),
    });
    if (!updated) {
      throw await this.#changedMeanwhile(task, to, from) ?? taskMissing(task.id);
    }
    this.#events.emit({
      type: "tasks_changed",
      executorNames: [task.executorName],
      taskIds: [task.id],
    });
    if (to === "pending") {
      this.#events.emit({ type: "tasks_ready", executorNames: [task.executorName] });
    }
    if (to === "cancelled") {
      this.#events.emit({ type: "tasks_cancelled", counts: { [task.executorName]: 1 } });
    }
    return updated;
  }

  /**
   * Why a move of `task` to `to` found it changed since it was read: it is in none of the statuses
   * of `from` (named), or it changed otherwise (try again); `null` when it no longer exists.
   */
  async #changedMeanwhile(
    task: Task,
    to: TaskStatus,
    from: readonly TaskStatus[] | undefined,
  ): Promise<FailedPreconditionError | null> {
    const now = await this.#store.taskGet(task.id);
    if (!now) return null;
    if (from && !from.includes(now.status)) {
      return new FailedPreconditionError(fromRefusal(task.id, now.status, from));
    }
    return new FailedPreconditionError(
      `Cannot move task "${task.id}" to ${to}: it changed meanwhile, try again`,
    );
  }
}

/**
 * The `from` precondition of a status change: `undefined` or `null` for none, else a non-empty
 * list of task statuses, each at most once (each violation is added to `violations`).
 */
function fromStatuses(value: unknown, violations: FieldViolation[]): TaskStatus[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    violations.push({
      field: "/from",
      message: "Must be a non-empty list of the statuses the task must be in",
    });
    return undefined;
  }
  return checkStatusList(value, "/from", (i) => `/from/${i}`, violations);
}

/**
 * The `errors[]` entry of the attempt a change by hand ends (`message`): its attempt and run, and
 * the worker that held it.
 */
function attemptEndedByHand(task: Task, message: string, now: number): TaskError {
  return {
    attempt: task.attempt,
    message,
    at: now,
    // A rescuer that took the task over and did not settle it is no worker (its worker is gone).
    workerId: task.workerId && !task.workerId.startsWith(RESCUER_PREFIX) ? task.workerId : "",
    run: task.run,
  };
}
