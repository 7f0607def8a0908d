/**
 * Executor use cases: create, read, change and delete executors (each task schema compiled as it
 * is saved), and the task figures per executor. `Service` answers them; see its module header.
 */
import {
  ConflictError,
  ExecutorChangedError,
  ExecutorNotFoundError,
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
} from "../domain/errors.ts";
import {
  type Executor,
  EXECUTOR_NAME_PATTERN,
  type ExecutorConfig,
  parseExecutorConfig,
} from "../domain/executor.ts";
import { dataPointerProblem } from "../domain/json_pointer.ts";
import { checkedRef } from "../domain/refs.ts";
import type { Limits } from "../domain/limits.ts";
import { executorNamed, type ExecutorTaskStats, type Page, type Store } from "../store/store.ts";
import {
  assertExecutor,
  assertFound,
  executorsWithin,
  type Operation,
  reaches,
} from "../auth/permissions.ts";
import { ANONYMOUS_ADMIN, type Principal } from "../auth/scopes.ts";
import type { CallerOptions, ReadOptions, UseCaseContext } from "./caller.ts";
import { announceExecutorsDeleted, type ServiceEvents } from "./events.ts";
import type { ScheduleService } from "./schedules.ts";
import type { SchemaRegistry } from "./schema.ts";
import { assertNoViolations, executorFilter } from "./violations.ts";
import {
  collectPage,
  MAX_PAGE,
  pageBounds,
  pageCursorCheck,
  pageLimit,
  type PageRequest,
} from "./paging.ts";

/**
 * Counting tasks reads an index entry per task (SQLite: 45–50 ms for 500,000 tasks, on the
 * manager's thread), and the dashboard asks again on every burst of task events. Counts of at
 * least `COUNTS_REUSE_FROM_TASKS` tasks that took at least `COUNTS_SLOW_MS` to read are answered
 * again for `COUNTS_REUSE` times as long as they took, `COUNTS_MAX_AGE_MS` at most, so that however
 * often they are asked for, counting holds about 1/(1 + `COUNTS_REUSE`) of the thread (a 50 ms
 * count is then up to 1 s old; the first count after a start, from a cold file, took 710 ms there).
 * Other counts are read afresh: a small store's are cheap, and a count slowed by a busy machine
 * is not a reason to answer old figures.
 */
export const COUNTS_SLOW_MS = 10;
/** See `COUNTS_SLOW_MS`. */
export const COUNTS_REUSE_FROM_TASKS = 10_000;
/** See `COUNTS_SLOW_MS`. */
export const COUNTS_REUSE = 20;
/** The oldest counts are ever answered, in ms. See `COUNTS_SLOW_MS`. */
export const COUNTS_MAX_AGE_MS = 5000;

/** How many times one update is applied at most while other updates keep coming first. */
const UPDATE_TRIES = 3;
/**
 * The most a try of an update waits before the next (ms): a random time up to this, times the
 * tries made, so that updates that collided through several managers do not collide again.
 */
const UPDATE_RETRY_MS = 25;

/** The answer for an executor that does not exist, or that the caller's key does not reach. */
function executorNotFound(idOrName: string): NotFoundError {
  return new ExecutorNotFoundError(idOrName);
}

/** Executors and their task figures. */
export class ExecutorService {
  readonly #store: Store;
  readonly #limits: Readonly<Limits>;
  readonly #events: ServiceEvents;
  readonly #schemas: SchemaRegistry;
  readonly #now: () => number;
  readonly #newId: (now: number) => string;
  readonly #schedules: ScheduleService;
  /**
   * The last update asked for of each executor, by its id (however the update named it): an
   * update starts once the one before it has ended, so updates through this manager never collide.
   */
  readonly #updates = new Map<string, Promise<unknown>>();
  /** The latest slow counts of many tasks (`COUNTS_SLOW_MS`): when read (ms), how long it took. */
  #counts: { at: number; tookMs: number; stats: ExecutorTaskStats[] } | null = null;

  /** `schedules` checks an executor change against its schedules. */
  constructor(context: UseCaseContext, schedules: ScheduleService) {
    this.#store = context.store;
    this.#limits = context.limits;
    this.#events = context.events;
    this.#schemas = context.schemas;
    this.#now = context.now;
    this.#newId = context.newId;
    this.#schedules = schedules;
  }

  /**
   * @throws {InvalidArgumentError} {ConflictError} {PermissionDeniedError}
   * @throws {FailedPreconditionError} when the store holds `limits.executors` already, or while
   *   an executor of the name is still being deleted (`Store.executorCreate`)
   */
  async create(input: unknown, options: CallerOptions = {}): Promise<Executor> {
    const storedGroupKeyPointer = await this.#storedGroupKeyPointer(input, options.caller);
    const config = parseExecutorConfig(input, {
      maxDepth: this.#limits.jsonDepth,
      storedGroupKeyPointer,
    });
    assertExecutor(options.caller ?? ANONYMOUS_ADMIN, "executors.write", config.name, {
      pointer: "/config/name",
    });
    // Taken only as the pointer stored: the executor it was read from exists, and the create is
    // refused as taken now, as its insert would be; an insert after that executor's deletion
    // would make a new one with a pointer the rule refuses.
    if (storedGroupKeyPointer !== undefined) {
      throw new ConflictError(`Executor "${config.name}" already exists`);
    }
    await this.#schemas.compile(config.taskSchema, "/config/taskSchema", config.name);
    const now = this.#now();
    // The store counts and inserts at once: counted here, before the compile's wait, 30 creates
    // at once past MAX_EXECUTORS all saw room and were all stored.
    const executor = await this.#store.executorCreate(
      { ...config, id: this.#newId(now), createdAt: now, updatedAt: now },
      { max: this.#limits.executors },
    );
    this.#events.emit({ type: "executors_changed" });
    return executor;
  }

  /**
   * The groupKeyPointer stored for the executor a create names, when the create sends one that
   * `dataPointerProblem` refuses and the caller may change that executor; else `undefined`. A
   * worker declares its executor at every start by a create, then by an update once the create
   * finds it taken (the SDK's register): a pointer stored before that rule passes both, and the
   * create is refused as taken. Read only then, so other creates read nothing more.
   */
  async #storedGroupKeyPointer(
    input: unknown,
    caller: Principal = ANONYMOUS_ADMIN,
  ): Promise<string | null | undefined> {
    if (typeof input !== "object" || input === null) return undefined;
    const { name, groupKeyPointer } = input as Record<string, unknown>;
    if (typeof name !== "string" || typeof groupKeyPointer !== "string" || groupKeyPointer === "") {
      return undefined;
    }
    if (dataPointerProblem(groupKeyPointer, { maxTokens: this.#limits.jsonDepth }) === null) {
      return undefined;
    }
    if (!reaches(caller, "executors.write", name)) return undefined;
    return (await executorNamed(this.#store, name))?.groupKeyPointer ?? undefined;
  }

  /** @throws {NotFoundError} {PermissionDeniedError} */
  async get(idOrName: string, options: CallerOptions = {}): Promise<Executor> {
    return await this.#executor(idOrName, options.caller ?? ANONYMOUS_ADMIN, "executors.read");
  }

  /**
   * The executor named `name` (never one whose id is `name`: for a field that holds a name).
   * @throws {NotFoundError} {PermissionDeniedError}
   */
  async getNamed(name: string, options: CallerOptions = {}): Promise<Executor> {
    const executor = await executorNamed(this.#store, checkedRef("executorName", name, "/name"));
    return this.#readable(executor, name, options.caller ?? ANONYMOUS_ADMIN, "executors.read");
  }

  /**
   * The executor `idOrName`, if `caller` may perform `operation` on it: one its key does not reach
   * is answered as missing (`assertFound`).
   */
  async #executor(idOrName: string, caller: Principal, operation: Operation): Promise<Executor> {
    const executor = await this.#store.executorGet(checkedRef("executor", idOrName, "/id"));
    return this.#readable(executor, idOrName, caller, operation);
  }

  /** `executor` as read for `asked`, when `caller` may perform `operation` on it. */
  #readable(
    executor: Executor | null,
    asked: string,
    caller: Principal,
    operation: Operation,
  ): Executor {
    if (!executor) throw executorNotFound(asked);
    assertFound(caller, operation, executor.name, () => executorNotFound(asked));
    return executor;
  }

  /**
   * The executors the caller may read, by name: up to `page.limit` (1 to 1000; unset = 1000, the
   * most a store holds, so that one page has them all unless they are large) and at most
   * `limits.pageBytes` of JSON (one at least); `nextCursor` continues after the last one.
   *
   * @throws {InvalidArgumentError} on a bad `limit` or `cursor`
   */
  list(
    page: PageRequest = {},
    options: ReadOptions = {},
  ): Promise<Page<Executor>> {
    const violations: FieldViolation[] = [];
    const limit = pageLimit(page, violations, MAX_PAGE);
    pageCursorCheck(page, violations, (cursor) => EXECUTOR_NAME_PATTERN.test(cursor));
    assertNoViolations("Invalid executor list", violations);
    const names = executorsWithin(options.caller ?? ANONYMOUS_ADMIN, "executors.read") ??
      undefined;
    if (names?.length === 0) return Promise.resolve({ items: [], nextCursor: null });
    return collectPage(
      (p) => this.#store.executorList({ names }, p),
      pageBounds(page, { limit, maxBytes: this.#limits.pageBytes }, options),
    );
  }

  /**
   * Changes the fields given in `input`, keeping the others. A rename is refused: tasks refer to
   * executors by name. Updates racing each other apply in turn: through this manager one after the
   * other (`#updates`); one that another manager's came before (`ExecutorChangedError` from the
   * store) is applied again on the executor as that one left it, after a random wait
   * (`UPDATE_RETRY_MS`), up to `UPDATE_TRIES` times in all.
   *
   * @throws {NotFoundError} {InvalidArgumentError} {PermissionDeniedError}
   * @throws {ExecutorChangedError} when other updates came first every time
   */
  async update(
    idOrName: string,
    input: unknown,
    options: CallerOptions = {},
  ): Promise<Executor> {
    const { id } = await this.#executor(
      idOrName,
      options.caller ?? ANONYMOUS_ADMIN,
      "executors.write",
    );
    const before = this.#updates.get(id);
    const update = (before ?? Promise.resolve()).then(() =>
      this.#updateTrying(idOrName, input, options)
    );
    const ended = update.catch(() => {});
    this.#updates.set(id, ended);
    try {
      return await update;
    } finally {
      if (this.#updates.get(id) === ended) this.#updates.delete(id);
    }
  }

  async #updateTrying(idOrName: string, input: unknown, options: CallerOptions) {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#updateOnce(idOrName, input, options);
      } catch (error) {
        if (!(error instanceof ExecutorChangedError) || attempt === UPDATE_TRIES) throw error;
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.random() * UPDATE_RETRY_MS * attempt)
      );
    }
  }

  async #updateOnce(idOrName: string, input: unknown, options: CallerOptions): Promise<Executor> {
    const current = await this.#executor(
      idOrName,
      options.caller ?? ANONYMOUS_ADMIN,
      "executors.write",
    );
    const config: ExecutorConfig = parseExecutorConfig(input, {
      base: current,
      maxDepth: this.#limits.jsonDepth,
    });
    if (config.name !== current.name) {
      throw InvalidArgumentError.listing("Cannot rename an executor", [
        {
          field: "/config/name",
          message: `Must stay "${current.name}": tasks refer to it by name`,
        },
      ]);
    }
    await this.#schemas.compile(config.taskSchema, "/config/taskSchema", config.name);
    // Later than the stored one, which the store requires of an update (its version).
    const next = { ...current, ...config, updatedAt: Math.max(this.#now(), current.updatedAt + 1) };
    await this.#schedules.assertSchedulesFit(next);
    const updated = await this.#store.executorUpdate(next, { basedOn: current.updatedAt });
    if (!updated) throw executorNotFound(idOrName);
    this.#events.emit({ type: "executors_changed" });
    if (updated.enabled) this.#events.emit({ type: "tasks_ready", executorNames: [updated.name] });
    return updated;
  }

  /**
   * Deletes an executor with its finished tasks and DLQ entries. Refused while it has tasks
   * waiting or running, or schedules, unless `force`, which deletes those too. The store counts
   * and deletes in one step (`Store.executorDelete`), and refuses a schedule or task made for the
   * executor once it is gone, so that a create racing the delete leaves nothing behind it. The
   * name stays taken until the executor's tasks are all deleted: an executor made again with it
   * meanwhile would have lost its tasks to the old one's.
   *
   * @throws {NotFoundError} {FailedPreconditionError}
   */
  async delete(idOrName: string, options: { force?: boolean } = {}): Promise<void> {
    const executor = await this.#executor(idOrName, ANONYMOUS_ADMIN, "executors.delete");
    const force = options.force ?? false;
    if (!(await this.#store.executorDelete(executor.id, { force, now: this.#now() }))) {
      throw executorNotFound(idOrName);
    }
    this.#schemas.forget(executor.id);
    // Its schedules, finished tasks and DLQ entries went with it (with `force`, every task).
    announceExecutorsDeleted(this.#events, [executor.name]);
  }

  /**
   * Task figures per executor, by name; every executor appears, with zeros when it has no tasks.
   * `filter.executorName` (empty = every executor) keeps that executor's figures only: a read of
   * one executor's figures, so a name no executor has is refused as every read of a named executor
   * is, not answered with no figures, unless tasks of that name are still counted (an executor
   * deleted, its tasks not all swept yet: every executor's figures list them, and its name reads
   * them, as history's does). Counts that were slow to read may be reused for a while
   * (`COUNTS_SLOW_MS`).
   *
   * @throws {InvalidArgumentError} for an `executorName` that cannot be a name
   * @throws {ExecutorNotFoundError} for an `executorName` no executor has and no task counted has
   */
  async stats(filter: { executorName?: string } = {}): Promise<ExecutorTaskStats[]> {
    const violations: FieldViolation[] = [];
    const executorName = executorFilter(filter.executorName, violations);
    assertNoViolations("Invalid stats filter", violations);
    const [executors, stats] = await Promise.all([
      this.#store.executorVersions(),
      this.#taskCounts(),
    ]);
    if (
      executorName !== undefined && !executors.some((e) => e.name === executorName) &&
      !stats.some((s) => s.executorName === executorName)
    ) {
      throw executorNotFound(executorName);
    }
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
      .filter((s) => executorName === undefined || s.executorName === executorName)
      .sort((a, b) => a.executorName.localeCompare(b.executorName));
  }

  /** The store's task counts, or the latest slow ones while they are young enough to reuse. */
  async #taskCounts(): Promise<ExecutorTaskStats[]> {
    const kept = this.#counts;
    if (kept) {
      const age = this.#now() - kept.at;
      const reuseMs = Math.min(kept.tookMs * COUNTS_REUSE, COUNTS_MAX_AGE_MS);
      if (age >= 0 && age < reuseMs) return structuredClone(kept.stats);
    }
    const started = this.#now();
    const stats = await this.#store.taskStats({ now: started });
    const at = this.#now();
    const tookMs = at - started;
    const counted = stats.reduce(
      (sum, s) => sum + Object.values(s.byStatus).reduce((a, b) => a + b, 0),
      0,
    );
    const slow = tookMs >= COUNTS_SLOW_MS && counted >= COUNTS_REUSE_FROM_TASKS;
    this.#counts = slow ? { at, tookMs, stats: structuredClone(stats) } : null;
    return stats;
  }
}
