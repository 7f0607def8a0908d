/**
 * Bulk operations by filter — delete finished tasks, cancel pending ones, run failed and dead ones
 * again, purge and requeue the DLQ — each answering how many it touched. The rules live here:
 * which statuses each may touch, that a call with no filter needs `confirm`, and how much one call
 * may do (`limits.bulkTasks`, then a cursor to go on with). A call reads only the ids, runs,
 * executors and statuses of what it matches (`listTaskRefs`, `listDlqRefs`) and the data of one
 * task at a time where it checks it, and gives the manager's thread back between slices
 * (`ThreadSlices`): its cost follows the count, not the size of the tasks.
 */
import {
  ExecutorNotFoundError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
} from "../domain/errors.ts";
import { protoEnumMessage } from "../domain/proto_enum.ts";
import { TASK_STATUS_ENUM, TASK_STATUSES, type TaskStatus, taskStatusOf } from "../domain/task.ts";
import { executorNamed, type TaskRef } from "../store/store.ts";
import { ThreadSlices } from "../thread_slices.ts";
import type { CallerOptions, Service } from "./service.ts";
import { DlqEntryChangedError } from "./dlq.ts";
import { countsByExecutor } from "./events.ts";
import { assertNoViolations, booleanField, checkStatusList, isGiven } from "./violations.ts";

/**
 * What a bulk call did: how many it touched, and where to go on from (`null` = done).
 *
 * A call that writes one task (or chunk) at a time and fails after some writes answers what it did
 * with `stopped`, never the error alone: an error answer means nothing was stored. One that fails
 * before its first write throws the error.
 */
export interface BulkOutcome {
  /** Tasks deleted, cancelled, run again or requeued. */
  count: number;
  /** Matching tasks left where they are because their data no longer fits the schema (or their executor is gone). */
  invalid: number;
  /**
   * Pass as `cursor` to handle the matching tasks after those this call looked at. With `stopped`:
   * the cursor the call was given (`null`: none), to repeat it; what it did no longer matches.
   */
  nextCursor: string | null;
  /** The error that stopped the call after `count` writes (the rest of its tasks untouched). */
  stopped?: Error;
}

/** The outcome of a DLQ requeue by filter (see `BulkOutcome` for `nextCursor` and `stopped`). */
export interface RequeueOutcome {
  /** Entries sent back to run. */
  requeued: number;
  /** Entries left: their data no longer fits the schema, or their executor is gone. */
  failed: number;
  nextCursor: string | null;
  stopped?: Error;
}

/**
 * The answer of a call that failed with `error` after `done` writes: the error itself when there
 * were none (nothing stored), else the partial outcome `partial` gives, stopped by `error`.
 */
function stoppedBy<T>(error: unknown, done: number, partial: (stopped: Error) => T): T {
  if (done === 0 || !(error instanceof Error)) throw error;
  return partial(error);
}

/** The cursor a call was given, as its `nextCursor` when it stopped: repeat the call. */
function givenCursor(cursor: unknown): string | null {
  return typeof cursor === "string" && cursor !== "" ? cursor : null;
}

/** Statuses a finished task has; those `deleteTasks` may delete. */
export const DELETABLE: readonly TaskStatus[] = ["completed", "failed", "cancelled"];
/** Statuses `retryTasks` runs again (`dlq` through the dead letter queue's requeue). */
export const RETRYABLE: readonly TaskStatus[] = ["failed", "dlq"];

/** Filter fields that narrow a task bulk call (a status alone does not). */
const TASK_FILTERS = [
  "executorName",
  "createdAfter",
  "createdBefore",
  "finishedAfter",
  "finishedBefore",
];
/** Filter fields that narrow a DLQ bulk call. */
const DLQ_FILTERS = ["executorName", "reason", "deadBefore"];

/** Tasks a bulk cancel moves per store call. */
const CANCEL_CHUNK = 10;

/**
 * Refuses a call that names no filter unless `confirm` is true: one click must not empty a queue.
 * `confirm` is a boolean (`booleanField`: a query parameter's `true`/`false`/`1`/`0`, any case),
 * refused naming it when it is anything else, filter or not. With `statuses` (a task call), a
 * `status` outside them is refused in the same answer: the caller learns all that is wrong at once.
 *
 * @throws {InvalidArgumentError} naming `confirm` (and `status`)
 */
export function assertConfirmed(
  filter: Record<string, unknown>,
  fields: readonly string[],
  what: string,
  statuses?: readonly TaskStatus[],
): void {
  const violations = statuses ? statusViolations(filter, statuses) : [];
  // The rule serves REST (a query parameter or a body field) and gRPC alike: named without either.
  const before = violations.length;
  const confirm = booleanField(filter.confirm, "confirm", violations, { text: true });
  const malformed = violations.length > before;
  if (!malformed && confirm !== true && !fields.some((field) => isGiven(filter[field]))) {
    const message = `Must be true to ${what} (or filter by ${fields.join(", ")})`;
    violations.push({ field: "confirm", message });
  }
  const title = fields === DLQ_FILTERS ? "Invalid DLQ filter" : "Invalid task filter";
  assertNoViolations(title, violations);
}

/** A violation on `status` for each status the filter lists outside `allowed`. */
function statusViolations(
  filter: Record<string, unknown>,
  allowed: readonly TaskStatus[],
): FieldViolation[] {
  const listed = listedStatuses(filter);
  if (listed.length > TASK_STATUSES.length) {
    // Refused whole, not one violation an entry: the answer stays as small as a list allowed.
    const violations: FieldViolation[] = [];
    checkStatusList(listed, "status", () => "status", violations);
    return violations;
  }
  // Each entry in any form `taskStatusOf` reads (`failed`, `TASK_STATUS_FAILED`, 4), named as given.
  return listed
    .filter((given) => !allowed.includes(taskStatusOf(given)!))
    .map((given) => ({
      field: "status",
      message: protoEnumMessage(TASK_STATUS_ENUM, `"${given}"`, allowed),
    }));
}

/** The entries of a filter's `status` list, as given. */
function listedStatuses(filter: Record<string, unknown>): string[] {
  return isGiven(filter.status) ? String(filter.status).split(",").filter((s) => s !== "") : [];
}

/**
 * The statuses a filter asks for, in our names (each was checked by `assertConfirmed`); a list of
 * nothing (`status=,`) asks for every allowed one.
 */
function askedStatuses(
  filter: Record<string, unknown>,
  allowed: readonly TaskStatus[],
): TaskStatus[] {
  const listed = listedStatuses(filter).map(taskStatusOf)
    .filter((status): status is TaskStatus => status !== undefined);
  return listed.length > 0 ? listed : [...allowed];
}

/** Bulk operations over the service's own verbs (see the module doc). */
export class BulkService {
  readonly #service: Service;

  constructor(service: Service) {
    this.#service = service;
  }

  /**
   * Deletes one finished task (`completed`, `failed`, `cancelled`, or `dlq` with its entry).
   *
   * @throws {NotFoundError} {FailedPreconditionError} for a task that has not finished
   */
  async deleteTask(id: string, options: CallerOptions = {}): Promise<void> {
    const task = await this.#service.getTask(id, options);
    if (task.status === "dlq") {
      // Only the death read: one requeued since and dead again is not the task asked about.
      const deleted = await this.#service.store.dlqDelete(id, { run: task.run });
      if (!deleted) {
        throw new FailedPreconditionError(
          `Cannot delete task "${id}": it changed meanwhile, try again`,
        );
      }
      return this.#changed([task]);
    }
    if (!DELETABLE.includes(task.status)) {
      throw new FailedPreconditionError(
        `Cannot delete task "${id}": it is ${task.status}; only finished tasks (${
          DELETABLE.join(", ")
        }, dlq) can be deleted, cancel it first`,
      );
    }
    // Only while still the version read (status and run): one run again since, even ended the
    // same way, is not the task asked about.
    const deleted = await this.#service.store.taskDeleteMany([task]);
    if (deleted === 0) {
      throw new FailedPreconditionError(
        `Cannot delete task "${id}": it changed meanwhile, try again`,
      );
    }
    this.#changed([task]);
  }

  /**
   * Deletes finished tasks matching the filter (`listTasks` fields; `status` within `completed`,
   * `failed`, `cancelled`, all three by default), in one store write. A write the store fails
   * after some of the tasks went (a MongoDB `deleteMany` cut part way) answers those with
   * `stopped`.
   *
   * @throws {InvalidArgumentError} on a bad filter, a status that is not finished, or no filter
   *   without `confirm`
   * @throws the store's error when it fails with no task deleted
   */
  async deleteTasks(
    filter: Record<string, unknown>,
    options: CallerOptions = {},
  ): Promise<BulkOutcome> {
    assertConfirmed(filter, TASK_FILTERS, "delete every finished task", DELETABLE);
    const { tasks, nextCursor } = await this.#matching(filter, DELETABLE, options);
    // Each only while still the version listed (status and run): a task run again since is not
    // one the filter matched, however it ended (a cancelled one that completed, or one that ended
    // cancelled again after `finishedBefore`); it stays and is not counted.
    let count = 0;
    try {
      await this.#service.store.taskDeleteMany(tasks, { onDeleted: (n) => count += n });
    } catch (error) {
      const stopped = stoppedBy(error, count, (stop) => stop);
      this.#changed(tasks);
      return { count, invalid: 0, nextCursor: givenCursor(filter.cursor), stopped };
    }
    this.#changed(tasks);
    return { count, invalid: 0, nextCursor };
  }

  /**
   * Cancels pending tasks matching the filter (`status` may only be `pending`), a chunk at a time;
   * a store error after a chunk was cancelled answers the count with `stopped`.
   *
   * @throws {InvalidArgumentError} as `deleteTasks`
   * @throws the store's error when it fails before any task was cancelled
   */
  async cancelTasks(
    filter: Record<string, unknown>,
    options: CallerOptions = {},
  ): Promise<BulkOutcome> {
    assertConfirmed(filter, TASK_FILTERS, "cancel every pending task", ["pending"]);
    const { tasks, nextCursor } = await this.#matching(filter, ["pending"], options);
    const service = this.#service;
    // Pending tasks only: none has a handler to stop, so the store moves them a chunk at a time
    // (a store rewrites each task whole, data and all), the thread given back between slices.
    const cancelled = new Set<string>();
    let stopped: Error | undefined;
    const slices = new ThreadSlices();
    try {
      for (let at = 0; at < tasks.length; at += CANCEL_CHUNK) {
        const ids = tasks.slice(at, at + CANCEL_CHUNK).map((task) => task.id);
        const change = { from: "pending", to: "cancelled", now: service.now() } as const;
        // Told each as it moves: a store that fails part way through a chunk moved some of it.
        await service.store.taskTransitionMany(ids, change, { onMoved: (id) => cancelled.add(id) });
        await slices.turn();
      }
    } catch (error) {
      stopped = stoppedBy(error, cancelled.size, (stop) => stop);
    }
    const moved = tasks.filter((task) => cancelled.has(task.id));
    if (moved.length > 0) {
      service.events.emit({
        type: "tasks_changed",
        executorNames: [...new Set(moved.map((task) => task.executorName))],
        taskIds: moved.map((task) => task.id),
      });
      service.events.emit({ type: "tasks_cancelled", counts: countsByExecutor(moved) });
    }
    if (stopped) {
      return { count: moved.length, invalid: 0, nextCursor: givenCursor(filter.cursor), stopped };
    }
    return { count: moved.length, invalid: 0, nextCursor };
  }

  /**
   * Runs failed and dead tasks matching the filter again (`status` within `failed`, `dlq`; both
   * by default), attempts counted from zero, after checking their data against the executor's
   * schema as it is now. A task whose data no longer fits (or whose executor is gone) stays as it
   * is and is counted in `invalid`. A task that cannot be checked in time
   * (`ValidationStalledError`) or a store error after some were run again answers those with
   * `stopped`.
   *
   * @throws {InvalidArgumentError} as `deleteTasks`
   * @throws {ValidationStalledError} or the store's error when it comes before any task was run
   *   again
   */
  async retryTasks(
    filter: Record<string, unknown>,
    options: CallerOptions = {},
  ): Promise<BulkOutcome> {
    assertConfirmed(filter, TASK_FILTERS, "run every failed and dead task again", RETRYABLE);
    const { tasks, nextCursor } = await this.#matching(filter, RETRYABLE, options);
    let count = 0;
    let invalid = 0;
    const slices = new ThreadSlices();
    for (const task of tasks) {
      let outcome;
      try {
        outcome = await this.#retry(task);
      } catch (error) {
        // A task not checked in time (the validation stalled), or a store error: those before it
        // stay run again, and the answer says so.
        return stoppedBy(error, count, (stopped) => ({
          count,
          invalid,
          nextCursor: givenCursor(filter.cursor),
          stopped,
        }));
      }
      if (outcome === "retried") count++;
      if (outcome === "invalid") invalid++;
      await slices.turn();
    }
    return { count, invalid, nextCursor };
  }

  async #retry(task: TaskRef): Promise<"retried" | "invalid" | "gone"> {
    const service = this.#service;
    try {
      // Each only while still in the run listed: a task run again since (and failed or dead
      // again, after `finishedBefore` or for another reason) is not one the filter matched; it
      // stays and counts as gone.
      if (task.status === "dlq") {
        await service.requeueDlq(task.id, { run: task.run });
      } else {
        const executor = await executorNamed(service.store, task.executorName);
        if (!executor) return "invalid";
        // The data is read one task at a time, when it is checked: never a page of it at once.
        const stored = await service.store.taskGet(task.id);
        if (stored?.status !== "failed" || stored.run !== task.run) return "gone";
        await service.schemas.assertValid(executor, stored.data, "/data");
        // `from`: the task was read failed, but one leased since (run again by someone else,
        // then claimed) would be taken from its worker without it; it counts as gone.
        await service.updateTaskStatus(
          task.id,
          { status: "pending", from: ["failed"] },
          { run: task.run },
        );
      }
      return "retried";
    } catch (error) {
      // A dead task whose executor is gone stays dead: one the call could not run again.
      if (error instanceof InvalidArgumentError || error instanceof ExecutorNotFoundError) {
        return "invalid";
      }
      if (error instanceof DlqEntryChangedError) return "gone";
      if (error instanceof FailedPreconditionError && task.status === "dlq") return "invalid";
      if (error instanceof NotFoundError || error instanceof FailedPreconditionError) return "gone";
      throw error;
    }
  }

  /**
   * Deletes DLQ entries (and their tasks) matching the filter (`executorName`, `reason`,
   * `deadBefore`).
   *
   * A store error after some were deleted answers those with `stopped`.
   *
   * @throws {InvalidArgumentError} on a bad filter, or no filter without `confirm`
   * @throws the store's error when it fails before any entry was deleted
   */
  purgeDlq(filter: Record<string, unknown>): Promise<{ deleted: number; stopped?: Error }> {
    assertConfirmed(filter, DLQ_FILTERS, "purge the whole dead letter queue");
    return this.#service.purgeDlq(pick(filter, DLQ_FILTERS));
  }

  /**
   * Requeues DLQ entries matching the filter (see `Service.requeueDlq`), up to
   * `limits.bulkTasks` per call after `cursor`. Entries whose data no longer fits stay. An entry
   * that cannot be checked in time (`ValidationStalledError`) or a store error after some were
   * requeued answers those with `stopped`.
   *
   * @throws {InvalidArgumentError} on a bad filter, or no filter without `confirm`
   * @throws {ValidationStalledError} or the store's error when it comes before any entry was
   *   requeued
   */
  async requeueDlq(
    filter: Record<string, unknown>,
    page: { cursor?: string } = {},
  ): Promise<RequeueOutcome> {
    assertConfirmed(filter, DLQ_FILTERS, "requeue the whole dead letter queue");
    const service = this.#service;
    const refs: TaskRef[] = [];
    let cursor = page.cursor || undefined;
    let nextCursor: string | null = null;
    do {
      const listed = await service.listDlqRefs(pick(filter, DLQ_FILTERS), {
        cursor,
        limit: Math.min(1000, service.limits.bulkTasks - refs.length),
      });
      refs.push(...listed.items);
      nextCursor = listed.nextCursor;
      cursor = nextCursor ?? undefined;
    } while (cursor && refs.length < service.limits.bulkTasks);
    let requeued = 0;
    let failed = 0;
    const slices = new ThreadSlices();
    for (const { id, run } of refs) {
      try {
        // Only the death listed: one requeued since and dead again is not the entry matched.
        await service.requeueDlq(id, { run });
        requeued++;
      } catch (error) {
        // Its executor gone: an entry it failed to requeue. Deleted or requeued meanwhile by
        // someone else: nothing left to do for it.
        if (error instanceof ExecutorNotFoundError) failed++;
        else if (!(error instanceof NotFoundError || error instanceof DlqEntryChangedError)) {
          if (error instanceof InvalidArgumentError || error instanceof FailedPreconditionError) {
            failed++;
          } else {
            // Not checked in time (the validation stalled), or a store error: the entries before
            // it stay requeued, and the answer says so.
            return stoppedBy(error, requeued, (stopped) => ({
              requeued,
              failed,
              nextCursor: givenCursor(page.cursor),
              stopped,
            }));
          }
        }
      }
      await slices.turn();
    }
    return { requeued, failed, nextCursor };
  }

  /**
   * Up to `limits.bulkTasks` tasks matching the filter with a status in `allowed` (the filter's
   * `status` must lie within it), newest first after `filter.cursor`.
   */
  async #matching(
    filter: Record<string, unknown>,
    allowed: readonly TaskStatus[],
    options: CallerOptions,
  ): Promise<{ tasks: TaskRef[]; nextCursor: string | null }> {
    const service = this.#service;
    // A list of nothing (`status=,`) is no status filter, as in a read: every allowed status,
    // never every status. Each status was checked against `allowed` by `assertConfirmed`.
    const asked = askedStatuses(filter, allowed);
    const tasks: TaskRef[] = [];
    let cursor = typeof filter.cursor === "string" && filter.cursor !== ""
      ? filter.cursor
      : undefined;
    let nextCursor: string | null = null;
    // A page by finish time looks at SEARCH_SCAN_TASKS tasks and may match none: many may come
    // before enough match, the thread given back between slices.
    const slices = new ThreadSlices();
    do {
      const page = await service.listTaskRefs(
        { ...pick(filter, TASK_FILTERS), status: asked.join(",") },
        { cursor, limit: Math.min(1000, service.limits.bulkTasks - tasks.length) },
        options,
      );
      tasks.push(...page.items);
      nextCursor = page.nextCursor;
      cursor = nextCursor ?? undefined;
      await slices.turn();
    } while (cursor && tasks.length < service.limits.bulkTasks);
    return { tasks, nextCursor };
  }

  #changed(tasks: readonly Pick<TaskRef, "executorName">[]): void {
    if (tasks.length === 0) return;
    const executorNames = [...new Set(tasks.map((task) => task.executorName))];
    this.#service.events.emit({ type: "tasks_changed", executorNames });
  }
}

function pick(filter: Record<string, unknown>, fields: readonly string[]) {
  return Object.fromEntries(fields.filter((f) => isGiven(filter[f])).map((f) => [f, filter[f]]));
}
