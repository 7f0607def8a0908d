/**
 * Dead letter queue use cases: list, read, requeue (with new data, validated again), delete and
 * purge dead tasks. `Service` answers them; see its module header.
 */
import {
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
} from "../domain/errors.ts";
import { DLQ_REASON_ENUM, type DlqEntry } from "../domain/dlq.ts";
import { executorMissingError } from "../domain/executor.ts";
import { checkedRef } from "../domain/refs.ts";
import type { Limits } from "../domain/limits.ts";
import type { Task } from "../domain/task.ts";
import {
  type DlqFilter,
  executorNamed,
  isServiceDlqCursor,
  type Page,
  type Store,
  type TaskRef,
} from "../store/store.ts";
import type { ReadOptions, UseCaseContext } from "./caller.ts";
import type { ServiceEvents } from "./events.ts";
import { collectPage, pageBounds, pageCursorCheck, pageLimit, type PageRequest } from "./paging.ts";
import type { SchemaRegistry } from "./schema.ts";
import { checkTaskData } from "./task_input.ts";
import { assertNoViolations, executorFilter, protoEnumField, timeFilter } from "./violations.ts";

/**
 * A DLQ entry's task changed between its read and a write fenced on it (requeued since: running
 * again, or dead again in a new run): nothing was written. A bulk call counts such an entry as
 * gone, not as one it failed to act on.
 */
export class DlqEntryChangedError extends FailedPreconditionError {
  constructor(id: string, what: "delete" | "requeue") {
    super(`Cannot ${what} DLQ entry "${id}": it changed meanwhile, try again`);
  }
}

/** The dead letter queue: dead tasks seen as DLQ entries. */
export class DlqService {
  readonly #store: Store;
  readonly #events: ServiceEvents;
  readonly #schemas: SchemaRegistry;
  readonly #limits: Readonly<Limits>;
  readonly #now: () => number;

  constructor(context: UseCaseContext) {
    this.#store = context.store;
    this.#events = context.events;
    this.#schemas = context.schemas;
    this.#limits = context.limits;
    this.#now = context.now;
  }

  /**
   * Lists DLQ entries, newest first, paged as `listTasks` pages.
   *
   * @throws {InvalidArgumentError}
   */
  list(
    filter: Record<string, unknown>,
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<DlqEntry>> {
    const { parsed, limit } = this.#listing(filter, page);
    return collectPage(
      (p) => this.#store.dlqList(parsed, p),
      pageBounds(page, { limit, maxBytes: this.#limits.pageBytes }, options),
    );
  }

  /**
   * `list` giving only each entry's id, executor, status and run (`TaskRef`), up to `page.limit` per
   * page whatever the entries' size: what a bulk requeue acts on.
   *
   * @throws {InvalidArgumentError}
   */
  listRefs(filter: Record<string, unknown>, page: PageRequest = {}): Promise<Page<TaskRef>> {
    const { parsed, limit } = this.#listing(filter, page);
    return this.#store.dlqListRefs(parsed, { cursor: page.cursor || undefined, limit });
  }

  /** The store filter and page size of a listing. @throws {InvalidArgumentError} */
  #listing(
    filter: Record<string, unknown>,
    page: PageRequest,
  ): { parsed: DlqFilter; limit: number } {
    const violations: FieldViolation[] = [];
    const parsed = readDlqFilter(filter, violations);
    const limit = pageLimit(page, violations);
    pageCursorCheck(page, violations, isServiceDlqCursor);
    assertNoViolations("Invalid DLQ filter", violations);
    return { parsed, limit };
  }

  /** @throws {NotFoundError} */
  async get(id: string): Promise<DlqEntry> {
    const entry = await this.#store.dlqGet(checkedRef("dlqEntry", id, "/id"));
    if (!entry) throw new NotFoundError(`DLQ entry "${id}" does not exist`);
    return entry;
  }

  /**
   * Sends a dead task back to run, with new data when given (validated against the executor's
   * schema again), only while it is still the death read: dead, in the run of the entry read, or
   * `options.run` when the caller read the task before (as a task's delete and status change do).
   * One requeued since (running again, or dead again) is not requeued again.
   *
   * @throws {NotFoundError} {InvalidArgumentError} {FailedPreconditionError}
   * @throws {ExecutorNotFoundError} when the entry's executor does not exist any more
   * @throws {DlqEntryChangedError} when it changed between the read and the requeue
   */
  async requeue(id: string, options: { data?: unknown; run?: number } = {}): Promise<Task> {
    const entry = await this.get(id);
    const run = options.run ?? entry.task.run;
    if (entry.task.run !== run) throw new DlqEntryChangedError(id, "requeue");
    const executor = await executorNamed(this.#store, entry.executorName);
    // NOT_FOUND naming the executor, as every call naming one that does not exist (it was 409).
    if (!executor) throw executorMissingError("requeue", entry.executorName);
    const data = options.data === undefined ? entry.task.data : options.data;
    const violations: FieldViolation[] = [];
    if (!checkTaskData(data, { pointer: "/data", limits: this.#limits }, violations)) {
      throw InvalidArgumentError.listing("Cannot requeue", violations);
    }
    await this.#schemas.assertValid(executor, data, "/data");
    const task = await this.#store.dlqRequeue(id, {
      now: this.#now(),
      data: options.data === undefined ? undefined : data,
      run,
    });
    if (!task) throw await this.#missingOrChanged(id, "requeue");
    this.#events.emit({ type: "tasks_ready", executorNames: [task.executorName] });
    this.#events.emit({ type: "tasks_changed", executorNames: [task.executorName] });
    return task;
  }

  /**
   * Deletes the entry and its task, only while the task is still the death read: dead, in the
   * same run (as a task's delete). One requeued since (running again, or dead again) stays.
   *
   * @throws {NotFoundError} {FailedPreconditionError} when it changed between the read and the
   *   delete
   */
  async delete(id: string): Promise<void> {
    const entry = await this.get(id);
    if (!(await this.#store.dlqDelete(id, { run: entry.task.run }))) {
      throw await this.#missingOrChanged(id, "delete");
    }
    this.#events.emit({ type: "tasks_changed", executorNames: [entry.executorName] });
  }

  /**
   * Why a write fenced on the death read found nothing: the task is gone (deleted meanwhile: not
   * found) or is there in another state or run (changed meanwhile).
   */
  async #missingOrChanged(id: string, what: "delete" | "requeue"): Promise<Error> {
    return await this.#store.taskGet(id)
      ? new DlqEntryChangedError(id, what)
      : new NotFoundError(`DLQ entry "${id}" does not exist`);
  }

  /**
   * Deletes every entry matching the filter, a store batch at a time; answers how many, and the
   * error that stopped it (`stopped`) when a batch failed after some were deleted (they stay
   * deleted). Live views are told of the executor filtered on, or, as the store does not say
   * whose entries went, of every executor.
   *
   * @throws {InvalidArgumentError}
   * @throws the store's error when it fails before any entry was deleted
   */
  async purge(filter: Record<string, unknown>): Promise<{ deleted: number; stopped?: Error }> {
    const violations: FieldViolation[] = [];
    const parsed = readDlqFilter(filter, violations);
    assertNoViolations("Invalid DLQ filter", violations);
    let deleted = 0;
    let stopped: Error | undefined;
    try {
      await this.#store.dlqPurge(parsed, { onDeleted: (count) => deleted += count });
    } catch (error) {
      if (deleted === 0 || !(error instanceof Error)) throw error;
      stopped = error;
    }
    if (deleted > 0) {
      // The entries are gone whatever: a store that cannot list the executors now leaves live
      // views to their next refresh, and does not turn what was done into an error answer.
      const executorNames = parsed.executorName !== undefined
        ? [parsed.executorName]
        : await this.#store.executorVersions().then(
          (versions) => versions.map((version) => version.name),
          () => [],
        );
      this.#events.emit({ type: "tasks_changed", executorNames });
    }
    return stopped ? { deleted, stopped } : { deleted };
  }
}

/**
 * The store filter a DLQ filter gives (`executorName`, `reason`, `deadBefore`), each bad field a
 * violation named by `name(field)`: the field itself (a query parameter, a request field), or its
 * pointer where a body holds it (`/executorName`).
 */
export function readDlqFilter(
  filter: Record<string, unknown>,
  violations: FieldViolation[],
  name: (field: string) => string = (field) => field,
): DlqFilter {
  const parsed: DlqFilter = {};
  const executorName = executorFilter(filter.executorName, violations, name("executorName"));
  if (executorName !== undefined) parsed.executorName = executorName;
  if (filter.reason !== undefined && filter.reason !== "") {
    // Any form `protoEnumOf` reads (`timeout`, `DLQ_REASON_TIMEOUT`, 3). The proto's "not set"
    // (0, `DLQ_REASON_UNSPECIFIED`) is refused, as `TASK_STATUS_UNSPECIFIED` is: a bulk call
    // counts a given field as a filter for `confirm`, and this one would filter nothing.
    const reason = protoEnumField(DLQ_REASON_ENUM, filter.reason, name("reason"), violations);
    if (reason !== undefined) parsed.reason = reason;
  }
  const deadBefore = timeFilter(filter.deadBefore, violations, name("deadBefore"));
  if (deadBefore !== undefined) parsed.deadBefore = deadBefore;
  return parsed;
}
