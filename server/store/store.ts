/**
 * The store contract: every read and atomic state change the manager needs, as intention-revealing
 * verbs. Two implementations (`sqlite/store.ts`, `mongo/store.ts`) pass the same suite in tests/.
 * No verb needs a multi-document transaction from its caller.
 */
import type { DlqEntry, DlqReason } from "../domain/dlq.ts";
import { type Executor, executorMissingError, type WriteConcernLevel } from "../domain/executor.ts";
import type { FlowControl } from "../domain/flow.ts";
import type { ScheduleStore } from "./schedules.ts";
export type { DueCursor } from "./schedules.ts";
import type { TaskSearchStore } from "./task_search.ts";
import {
  type NewTask,
  type Task,
  TASK_STATUSES,
  type TaskError,
  type TaskStatus,
} from "../domain/task.ts";
import type { HistoryStore } from "./history.ts";
import {
  ExecutorChangedError,
  FailedPreconditionError,
  InvalidArgumentError,
} from "../domain/errors.ts";
import { idFloorAt, isId } from "../domain/id.ts";
import { KEY_ID } from "../domain/key_id.ts";
import { DEFAULT_LIMITS } from "../domain/limits.ts";
import { log } from "../log.ts";

export type { HistoryQuery, HistoryStore } from "./history.ts";
export type { TaskSearchPage, TaskSearchQuery, TaskSearchStore } from "./task_search.ts";

/**
 * Why the last valid admin key is not revoked: without an admin key nobody can manage keys, and
 * only someone with access to the store could get back in.
 *
 * @example
 * ```ts
 * import { lastAdminKeyError } from "./store.ts";
 * console.log(lastAdminKeyError("0000000000000001").message.startsWith("Cannot revoke")); // true
 * ```
 */
export function lastAdminKeyError(id: string): FailedPreconditionError {
  return new FailedPreconditionError(
    `Cannot revoke key "${id}": it is the last valid admin key, and without one no key could ` +
      "be created or revoked again. Create another admin key first, then revoke this one",
  );
}

/** A task `Store.taskRescueExpired` took over, and the worker whose lease on it expired. */
export type RescuedTask = Task & { expiredWorkerId: string | null };

/** One page of a list and where the next one starts (`null` = last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A page as a store reads it, with `cursors[i]`: where a page cut right after item `i` goes on.
 * A caller that keeps fewer items than the store gave (`collectPage`, when it measures them as
 * larger than the store did) takes its `nextCursor` from there instead of reading again, which
 * could repeat an item on the next page when tasks were added meanwhile.
 */
/** Options of `Store.dlqPurge` and `Store.taskDeleteMany`. */
export interface DeleteOptions {
  /**
   * Told the count of each batch deleted, as it is, and of what went of a batch that failed
   * (MongoDB reads its ids again) before the failure is thrown.
   */
  onDeleted?: (count: number) => void;
}

export interface StorePage<T> extends Page<T> {
  cursors: string[];
}

/** Where a page stops: at most `limit` items, and with `maxBytes`, about that much stored text. */
export interface PageRequestBounds {
  cursor?: string;
  limit: number;
  /**
   * Stop before the row whose stored text (its strings, as the store holds them) would take the
   * page's past this (a page holds one row at least), so that rows past the page are never
   * parsed; the caller measures the answer exactly. Absent = by count only.
   */
  maxBytes?: number;
  /**
   * A listing by finish time looks at this many tasks at most (default `SCAN_PER_PAGE`); see
   * `SCAN_PER_PAGE`.
   */
  scanLimit?: number;
  /**
   * Whom the page is read for (an API key's id): an embedded store's page reads take turns
   * reader by reader in rotation (`PAGE_READ_TURNS`), so one reader's flood waits behind itself.
   * Absent: the manager reads for itself, or looks executors up by name, and takes no turn.
   */
  reader?: string;
  /** The reader's request: once aborted, a read still waiting for its turn is dropped. */
  signal?: AbortSignal;
}

/**
 * Takes the rows of one page as a store reads them, newest first: `offer` each row in turn until
 * it answers `false`; the page is then full and `more` says a row was left (that row is read, not
 * parsed). Both stores page with it, so that a page of large tasks reads no task past it.
 *
 * @example
 * ```ts
 * import { PageTaker } from "./store.ts";
 * const taker = new PageTaker({ limit: 10, maxBytes: 5 }, (row: string) => row.length);
 * for (const row of ["abc", "de", "f"]) if (!taker.offer(row)) break;
 * console.log(taker.rows, taker.more); // ["abc", "de"] true
 * ```
 */
export class PageTaker<R> {
  readonly rows: R[] = [];
  /** Whether a row was left past the page. */
  more = false;
  readonly #page: PageRequestBounds;
  readonly #sizeOf: (row: R) => number;
  #bytes = 0;

  constructor(page: PageRequestBounds, sizeOf: (row: R) => number) {
    this.#page = page;
    this.#sizeOf = sizeOf;
  }

  /** Takes `row` onto the page, or answers `false` (stop reading) when the page is full. */
  offer(row: R): boolean {
    const size = this.#page.maxBytes === undefined ? 0 : this.#sizeOf(row);
    const full = this.rows.length >= this.#page.limit ||
      (this.rows.length > 0 && this.#bytes + size > this.#page.maxBytes!);
    if (full) {
      this.more = true;
      return false;
    }
    this.rows.push(row);
    this.#bytes += size;
    return true;
  }

  /**
   * Where the store stopped looking before the page was full (a bounded scan: `scanLimit`), if it
   * did: the next page goes on below it.
   */
  cutAt: string | null = null;

  /**
   * The page, its items made from the rows kept, and each one's cursor (`cursorOf`); the next
   * page goes on after the last one when a row was left, else from `cutAt`.
   */
  page<T>(toItem: (row: R) => T, cursorOf: (row: R) => string): StorePage<T> {
    const cursors = this.rows.map(cursorOf);
    return {
      items: this.rows.map(toItem),
      nextCursor: this.more ? cursors[cursors.length - 1] : this.cutAt,
      cursors,
    };
  }
}

/**
 * The size of a stored row or document as `PageTaker` counts it: the length of its strings (JSON
 * text of data, result, metadata…), and of the JSON of anything else that is not a number.
 */
export function storedSize(row: object): number {
  let size = 0;
  for (const value of Object.values(row)) {
    if (typeof value === "string") size += value.length;
    else if (value !== null && typeof value === "object") size += JSON.stringify(value).length;
    else size += 8;
  }
  return size;
}

/** What a bulk call needs of a task to act on it: no data, result or history. */
export type TaskRef = Pick<Task, "id" | "executorName" | "status" | "run">;

/**
 * Which version of a task a delete acts on: a finished task leaves its status only for `pending`,
 * and that requeue counts a new `run`, so while `status` and `run` are as read, the task is the
 * one read (its result, errors and finish time included).
 */
export type TaskVersion = Pick<Task, "id" | "status" | "run">;

/** Which tasks to list; all fields are optional and combine with AND. Newest first. */
export interface TaskFilter {
  executorName?: string;
  status?: TaskStatus[];
  /** Inclusive lower bound on `createdAt` (epoch ms). */
  createdAfter?: number;
  /** Exclusive upper bound on `createdAt` (epoch ms). */
  createdBefore?: number;
  /** Inclusive lower bound on `completedAt`, when the task ended (epoch ms). */
  finishedAfter?: number;
  /** Exclusive upper bound on `completedAt` (epoch ms). */
  finishedBefore?: number;
}

/**
 * The ids a listing of `filter` after `cursor` can hold, newest first: at or after `from`, before
 * `below` (either absent = unbounded). Ids are made at their task's creation (`idFloorAt`), so the
 * creation times become an id range and a store reads only the tasks inside it (a listing of
 * `createdBefore` an hour ago read every task of the last hour first: 230 ms for 500,000 tasks on
 * SQLite, the manager's thread held all along).
 *
 * @example
 * ```ts
 * import { idRangeOf } from "./store.ts";
 * console.log(idRangeOf({ createdAfter: 16, createdBefore: 32 })); // { from: "000000000010", below: "000000000020" }
 * ```
 */
export function idRangeOf(
  filter: TaskFilter,
  cursor?: string,
): { from?: string; below?: string } {
  const range: { from?: string; below?: string } = {};
  if (filter.createdAfter !== undefined) range.from = idFloorAt(filter.createdAfter);
  const before = filter.createdBefore === undefined ? undefined : idFloorAt(filter.createdBefore);
  if (before !== undefined || cursor) {
    range.below = before === undefined || (cursor && cursor < before) ? cursor : before;
  }
  return range;
}

/**
 * How many tasks a store looks at for one page of a listing by finish time (`finishedAfter`,
 * `finishedBefore`), newest first, unless the page says (`scanLimit`; the service gives
 * `SEARCH_SCAN_TASKS`, as for a search): no index gives such tasks in the listing's order. A page
 * that has looked at this many stops there, full or not, and its `nextCursor` goes on below: a
 * page of such a listing may hold fewer than `limit` tasks, none even, and still have a next one.
 * (Without the bound, a listing of tasks finished in the future read all 500,000 tasks of a store,
 * 300 ms of the manager's thread on SQLite.)
 */
export const SCAN_PER_PAGE = DEFAULT_LIMITS.searchScanTasks;

/** How many tasks a page of `filter` may look at (see `SCAN_PER_PAGE`); `null` = no bound. */
export function scanLimitOf(filter: TaskFilter, page: ListPageBounds): number | null {
  if (filter.finishedAfter === undefined && filter.finishedBefore === undefined) return null;
  return Math.max(1, Math.trunc(page.scanLimit ?? SCAN_PER_PAGE));
}

/** A page of a listing that reads only ids and a few columns (no `maxBytes`). */
export type ListPageBounds = Omit<PageRequestBounds, "maxBytes">;

/** Which DLQ entries to list or purge. */
export interface DlqFilter {
  executorName?: string;
  reason?: DlqReason;
  /** Exclusive upper bound on `deadAt`. */
  deadBefore?: number;
}

/** The result of inserting one task. */
export type InsertOutcome =
  | { created: true; task: Task }
  /** The idempotency key was used before: this is the task it made. */
  | { created: false; task: Task };

/** What `taskInsertAndClaim` did. */
export interface InsertAndClaim {
  outcomes: InsertOutcome[];
  claimed: Task[];
  /** Resolves once the insert is as durable as its write concern asks. */
  onDisk: Promise<void>;
}

/** Options of write verbs: the executor's write concern for these writes. */
export interface WriteOptions {
  writeConcern?: WriteConcernLevel;
}

/** Options of `taskInsert` and `taskInsertAndClaim`. */
export interface InsertOptions extends WriteOptions {
  /**
   * Store the tasks only while each one's executor exists, checked in the step that inserts
   * (see `Store.executorDelete` for how each store keeps it against a delete running at the same
   * time): the service always asks it, so that no task it creates outlives its executor. Absent =
   * tasks are stored whatever their executor (a store holds tasks of a name no executor has only
   * from a crash during a delete, or from before this rule).
   */
  requireExecutors?: boolean;
  /**
   * The executors as the caller checked the tasks against them, by name (`id` and `updatedAt`,
   * which every update moves on): the insert stores nothing and throws `ExecutorChangedError`
   * when one of them is there in another version; with `requireExecutors`, one that is gone is
   * refused as missing (`NotFoundError`), though no task of this insert is of it (its request was
   * checked against it all the same). The service inserts each create in one call, whatever
   * write concerns its tasks have, so that this refusal keeps the whole of it out. The embedded
   * store checks inside the insert's transaction (an unacknowledged insert, right before it is
   * queued); MongoDB reads them right before the insert (one that changes in between goes unseen
   * there, as with any read before a write on that store).
   */
  executorVersions?: ReadonlyMap<string, ExecutorVersionRef>;
}

/** Which version of an executor a caller holds (see `InsertOptions.executorVersions`). */
export interface ExecutorVersionRef {
  id: string;
  updatedAt: number;
}

/**
 * What `executorDelete` does when the sweep of a deleted executor's tasks fails (the store failing
 * part way): logs a warning naming the executor, and leaves the rest of the sweep to
 * `executorDeletionsResume`, which every manager runs once `EXECUTOR_DELETION_LEASE_MS` has passed
 * since the deletion began. Its name stays taken until then.
 */
export function sweepLeft(executorName: string, error: unknown): void {
  log.warn("Deleting an executor's tasks failed part way: the resume finishes it", {
    executor: executorName,
    error,
  });
}

/**
 * The executor named `name` as `store` holds it; `null` when none has that name. Not
 * `executorGet`, which also finds an executor by its id: a field that holds a name must not take
 * an id for it.
 */
export async function executorNamed(
  store: Pick<Store, "executorList">,
  name: string,
): Promise<Executor | null> {
  return (await executorsNamed(store, [name])).get(name) ?? null;
}

/**
 * The executors `store` holds of `names` (distinct), by name, in one read; a name none has is
 * absent. A read per name held the manager's thread 0.45-0.7 s for a batch of 10,000 tasks each
 * naming another missing executor.
 */
export async function executorsNamed(
  store: Pick<Store, "executorList">,
  names: readonly string[],
): Promise<Map<string, Executor>> {
  if (names.length === 0) return new Map();
  const { items } = await store.executorList({ names }, { limit: names.length });
  return new Map(items.map((executor) => [executor.name, executor]));
}

/** The `ExecutorChangedError` of an `executorUpdate` that another update of `name` came before. */
export function executorUpdatedMeanwhile(name: string): ExecutorChangedError {
  return new ExecutorChangedError(
    `Cannot update executor "${name}": it was changed meanwhile by another update; try again`,
  );
}

/** Whether `a` and `b` are one version of one executor (`InsertOptions.executorVersions`). */
export function sameVersion(a: ExecutorVersionRef, b: ExecutorVersionRef): boolean {
  return a.id === b.id && a.updatedAt === b.updatedAt;
}

/**
 * The executors an insert of `tasks` with `options` must find, as `current` gives each now (by
 * name; `null` or absent for none): those of `executorVersions` in those versions, and with
 * `requireExecutors` every one of the tasks' and of `executorVersions` there. Each store reads
 * them its own way and calls this before it writes.
 *
 * @throws {ExecutorChangedError} naming the first executor in another version
 * @throws {NotFoundError} with `requireExecutors`, naming the first that is gone
 */
export function assertInsertExecutors(
  tasks: readonly NewTask[],
  options: InsertOptions,
  current: (name: string) => ExecutorVersionRef | null | undefined,
): void {
  const versions = options.executorVersions ?? new Map<string, ExecutorVersionRef>();
  for (const [name, version] of versions) {
    const now = current(name);
    if (!now || sameVersion(now, version)) continue;
    throw new ExecutorChangedError(
      `Cannot create tasks: executor "${name}" changed while they were being created; try again`,
    );
  }
  if (!options.requireExecutors) return;
  for (const name of [...tasks.map((task) => task.executorName), ...versions.keys()]) {
    if (!current(name)) throw executorMissingError("create task", name);
  }
}

/**
 * The write concern an insert of `tasks` runs with: `level`, except that `unacknowledged` becomes
 * `replica_acknowledged` when any task carries an idempotency key. Whether the key was free is
 * the answer to such a create, and an answer given before the store decided it can be wrong
 * (another manager may take the key meanwhile: two callers told "created", one id never stored).
 *
 * @example
 * ```ts ignore
 * insertWriteConcern([{ ...task, idempotencyKey: "k" }], "unacknowledged"); // "replica_acknowledged"
 * ```
 */
export function insertWriteConcern(
  tasks: readonly NewTask[],
  level: WriteConcernLevel | undefined,
): WriteConcernLevel | undefined {
  if (level !== "unacknowledged") return level;
  return tasks.some((task) => task.idempotencyKey !== null) ? "replica_acknowledged" : level;
}

/** What to claim: ready tasks of one executor, leased to one worker. */
export interface ClaimOptions {
  executorName: string;
  /** At most this many tasks. */
  limit: number;
  /** Lease length; the lease expires at `now + leaseMs`. */
  leaseMs: number;
  /** Who holds the lease (worker id). */
  owner: string;
  now: number;
  /**
   * Reads the time anew (epoch ms), as `now` was read: the rate buckets of `flow` are taken at
   * its time when the claim reaches them (`bucketTime`). A claim comes to its buckets late by
   * what goes before them — an insert before a hand-over, slot reservations, a wait for the write
   * lock another manager holds — and one taken at `now` on a bucket nobody used lately was granted
   * its burst as of then, so the bucket refilled from then. Absent: `now` (a test's own clock).
   */
  clock?: () => number;
  /**
   * Tasks of this executor that may be in progress at once, counting every holder (0 = no
   * limit). The claim never takes the total over it.
   */
  maxConcurrency: number;
  /**
   * The executor's flow control (`server/domain/flow.ts`), applied inside the claim and shared by
   * every claimer of the store: rate buckets, `maxConcurrencyPerKey`, and a round-robin walk
   * over group keys. Tasks over a limit stay pending. Absent = none. The tasks of a keyed
   * executor (`isKeyed`) carry a group key, `""` for none (`groupKeyOf`); a keyed claim sees only
   * those, and `executorUpdate` gives the older tasks of an executor that becomes keyed `""`
   * (on SQLite, for many tasks, those in progress at once and the others by a walk that goes on
   * after it answers, during which they wait: `KeyingWalk`).
   */
  flow?: FlowControl;
}

/** The next state of a leased task, decided by the engine. */
export type Settlement =
  | { kind: "completed"; result: unknown; logs?: string[] }
  /**
   * Back to pending, to run again at `runAt`, with the failed attempt recorded; or, when
   * `postponed` (the handler was rate limited), with the attempt not counted (`attempt − 1`) and
   * nothing recorded.
   */
  | { kind: "retry"; runAt: number; error: TaskError; postponed?: boolean }
  /** Failed for good (DLQ disabled). */
  | { kind: "failed"; error: TaskError }
  /** Into the dead letter queue `queueName`. */
  | { kind: "dlq"; error: TaskError; reason: DlqReason; queueName: string };

/** A settlement fenced by the lease it was made under. */
export interface SettleRequest {
  taskId: string;
  leaseToken: string;
  settlement: Settlement;
}

/** A lease to extend. */
export interface LeaseRef {
  taskId: string;
  leaseToken: string;
  /** Progress to record with it (JSON, already bounded); absent = keep what is stored. */
  progress?: unknown;
}

/** What one manager's workers can run at once, per executor (see `demandReport`). */
export interface DemandReport {
  managerId: string;
  capacity: Record<string, number>;
  now: number;
  /** Reports older than this are left out (and may be deleted). */
  since: number;
}

/**
 * Who serves one executor through one manager, or through the managers together (see
 * `servingReport`).
 */
export interface ServingFigures {
  /** Workers connected with a stream that serve it (one per connection). */
  workers: number;
  /** When a worker without a stream (a unary `GetNextTask`) last polled it; `null`: not lately. */
  polledAt: number | null;
}

/** Who serves each executor through one manager (see `servingReport`). */
export interface ServingReport {
  managerId: string;
  /** By executor name; an executor it does not name is served by nobody through it. */
  executors: Record<string, ServingFigures>;
  now: number;
  /** Reports older than this are deleted. */
  since: number;
}

/** The stats of an executor with no tasks and no DLQ entries. */
export function emptyTaskStats(executorName: string): ExecutorTaskStats {
  return {
    executorName,
    byStatus: Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>,
    oldestPendingRunAt: null,
    dlqSize: 0,
  };
}

/** Whether a lease is still held, and if not, what became of its task. */
export type LeaseCheck = { held: true } | { held: false; status: TaskStatus | null };

/** Answers `leaseCheck` from the tasks a store found of those asked for. */
export function answerLeaseChecks(
  leases: LeaseRef[],
  found: { id: string; status: TaskStatus; leaseToken: string | null }[],
): LeaseCheck[] {
  const byId = new Map(found.map((task) => [task.id, task]));
  return leases.map((lease): LeaseCheck => {
    const task = byId.get(lease.taskId);
    if (task?.status === "in_progress" && task.leaseToken === lease.leaseToken) {
      return { held: true };
    }
    return { held: false, status: task?.status ?? null };
  });
}

/** Changes allowed along a status transition made by hand (API, admin page). */
export interface TransitionPatch {
  result?: unknown;
  error?: TaskError;
  runAt?: number;
  /** Start counting attempts again (a requeue). */
  resetAttempts?: boolean;
  data?: unknown;
}

/** A status transition made by hand: see `Store.taskTransition`. */
export interface TransitionChange {
  from: TaskStatus;
  to: TaskStatus;
  now: number;
  patch?: TransitionPatch;
  /** The lease the task must still hold (it is `in_progress`); absent = any. */
  leaseToken?: string;
  /** The run the task must still be in (one run again since is not moved); absent = any. */
  run?: number;
}

/** Per-executor task figures. */
export interface ExecutorTaskStats {
  executorName: string;
  byStatus: Record<TaskStatus, number>;
  /** `runAt` of the longest-waiting ready pending task, or `null`. */
  oldestPendingRunAt: number | null;
  dlqSize: number;
}

/**
 * An API key as stored: its secret never, only the secret's SHA-256 hash. The store keeps scopes
 * and executors as given; `server/auth/keys.ts` owns what they mean.
 */
export interface ApiKeyRecord {
  /** Public key id (it is part of the token, so lookup is by id). */
  id: string;
  /** Who or what the key is for, as its creator named it. */
  name: string;
  scopes: string[];
  /** Executors a producer or worker key is limited to; `null` = every executor. */
  executors: string[] | null;
  /** Lower-case hex SHA-256 of the token's secret part. */
  secretHash: string;
  createdAt: number;
  /** Latest use recorded by `keyTouch`, or `null` if never used. */
  lastUsedAt: number | null;
  /** When it was revoked, or `null` while it is valid. */
  revokedAt: number | null;
}

/** One use of a key to record (see `keyTouch`). */
export interface KeyUse {
  id: string;
  at: number;
}

/** A key list cursor: the key's `createdAt`, then its id (`KEY_ID`, the one rule of key ids). */
const KEY_CURSOR = new RegExp(`^(\\d{1,16}):(${KEY_ID})$`);

/**
 * The key a `keyListPage` cursor (`<createdAt>:<id>`) points after; `null` without a cursor.
 *
 * @throws {InvalidArgumentError} naming `cursor` when it is not one
 */
export function keyCursor(cursor: string | undefined): { at: number; id: string } | null {
  if (cursor === undefined || cursor === "") return null;
  const match = KEY_CURSOR.exec(cursor);
  if (!match) {
    throw InvalidArgumentError.listing("Invalid page", [{
      field: "cursor",
      message: `Must be a cursor from a previous page, not "${cursor.slice(0, 100)}"`,
    }]);
  }
  return { at: Number(match[1]), id: match[2] };
}

/**
 * The cursor of a DLQ page after `entry`: `<deadAt>:<id>`, as both stores write it (their order
 * is the death time, then the id, newest first).
 */
export function dlqCursorOf(entry: { deadAt: number; id: string }): string {
  return `${entry.deadAt}:${entry.id}`;
}

/**
 * The entry a DLQ page cursor points after; `null` without a cursor. Only the shape
 * `dlqCursorOf` writes is read (and `<deadAt>_<id>`, the MongoDB store's form before), with any
 * id a store may hold; the service also requires the id to be one `newId` made
 * (`isServiceDlqCursor`), as it does of a task cursor.
 *
 * @throws {InvalidArgumentError} naming `cursor` when it is not one
 */
export function dlqCursor(cursor: string | undefined): { deadAt: number; id: string } | null {
  if (cursor === undefined || cursor === "") return null;
  const match = /^(\d{1,16})[:_](.+)$/s.exec(cursor);
  if (!match) {
    throw InvalidArgumentError.listing("Invalid page", [{
      field: "cursor",
      message: `Must be a cursor from a previous page, not "${cursor.slice(0, 100)}"`,
    }]);
  }
  return { deadAt: Number(match[1]), id: match[2] };
}

/**
 * Whether `cursor` is a DLQ cursor of an entry the service made (its id a `newId`): a cursor that
 * merely looked like one (`1:zz`) once read as a place past every entry, and a list or bulk
 * requeue given it answered an empty last page while thousands of entries were left.
 */
export function isServiceDlqCursor(cursor: string): boolean {
  const match = /^\d{1,16}[:_](.*)$/s.exec(cursor);
  return match !== null && isId(match[1]);
}

/** Which executor, and which change of it (`updatedAt` moves with every change). */
export type ExecutorVersion = Pick<Executor, "id" | "name" | "updatedAt">;

/** The store contract. Every verb is atomic on its own. Times are epoch ms. */
export interface Store extends AsyncDisposable {
  /** Which implementation (for logs and health). */
  readonly kind: "sqlite" | "mongo";

  /** Throws `UnavailableError` when the store cannot be reached. */
  ping(): Promise<void>;

  /** Task history per executor and minute (`history.ts`). */
  readonly history: HistoryStore;
  /** Schedules (see `schedules.ts`). */
  readonly schedules: ScheduleStore;
  /** Searching tasks by data and metadata (see `task_search.ts`). */
  readonly search: TaskSearchStore;

  // Executors --------------------------------------------------------------------------------
  /**
   * Stores a new executor, unless the store already holds `options.max` executors (counted and
   * inserted atomically where the store has transactions; on MongoDB one manager's creates count
   * and insert one at a time, and creates through several managers racing within those round
   * trips may pass it together).
   *
   * A name still held by a deletion (`executorDelete`) is refused. A deletion that began
   * `EXECUTOR_DELETION_LEASE_MS` or more before `executor.createdAt` is taken for abandoned (its
   * manager stopped half-way): this create finishes it, then stores the executor.
   *
   * @throws {ConflictError} when the name is taken (whether or not the store is full)
   * @throws {FailedPreconditionError} when the store holds `options.max` executors, or while an
   *   executor of the name is still being deleted (`executorDeletingError`)
   */
  executorCreate(executor: Executor, options?: { max?: number }): Promise<Executor>;
  /**
   * By name, else by id: a name that is also another executor's id finds the executor of that
   * name (`executorNamed` finds by name only).
   */
  executorGet(idOrName: string): Promise<Executor | null>;
  /**
   * Executors by name (only those of `filter.names` when given), after `page.cursor` (a name): at
   * most `page.limit`, and about `page.maxBytes` of stored text (one at least; `PageTaker`). The
   * cursor is the last name.
   */
  executorList(
    filter: { names?: readonly string[] },
    page: PageRequestBounds,
  ): Promise<StorePage<Executor>>;
  /**
   * Every executor's id, name and `updatedAt`, by name, reading none of their configurations: how
   * a manager sees what changed (a list of 1,000 executors with 60 KB schemas was 64 MB).
   */
  executorVersions(): Promise<ExecutorVersion[]>;
  /**
   * Replaces the configuration of the executor `id` by compare and set: only while its stored
   * `updatedAt` is still `options.basedOn` (the version the change was made on), and only with a
   * later `updatedAt`, so that no update undoes another it did not see and no two configurations
   * are ever stored under one (`id`, `updatedAt`), the version creates and managers' copies go by
   * (`InsertOptions.executorVersions`). `null` when it does not exist (a change racing
   * `executorDelete` never stores the executor again).
   *
   * @throws {ExecutorChangedError} when the stored `updatedAt` is no longer `basedOn` (another
   *   update came first: read it again), or `executor.updatedAt` is not later than `basedOn`
   */
  executorUpdate(executor: Executor, options: { basedOn: number }): Promise<Executor | null>;
  /**
   * Deletes the executor `id` and everything stored under its name: its schedules, its tasks and
   * DLQ entries, and its rate buckets; `false` when it did not exist. Without `options.force` it
   * is refused while the executor has tasks pending or in progress, or schedules, counted in the
   * step that deletes it. `options.now` (default: the wall clock) dates the deletion.
   *
   * No schedule or task outlives its executor, whatever runs at the same time: `scheduleCreate`,
   * `scheduleUpdate` and `taskInsert` (`requireExecutors`) store nothing under a name no executor
   * has (`executorMissingError`), and this verb deletes the executor before it sweeps its name.
   *
   * The name stays taken until the sweep ends, so that an executor made again with it never loses
   * its tasks to the old one's: the step that deletes the executor records a deletion of the name,
   * the sweep removes it last, and `executorCreate` refuses a name a deletion holds. A deletion a
   * manager left half-way (it stopped) is finished `EXECUTOR_DELETION_LEASE_MS` after it began, by
   * `executorDeletionsResume` or by a create of the name, whichever comes first. Two managers sweeping one name at once
   * (a live deletion taken for abandoned: a long one, or skewed clocks) only share the work: each
   * batch of tasks is deleted only while its deletion stands.
   * The delete is done, and answers, once the executor is deleted and its deletion recorded: a
   * store that fails while its tasks are swept after that leaves the rest to
   * `executorDeletionsResume`, as a manager that stopped would (`sweepLeft` logs it), rather than
   * answer an error for a delete that took place.
   * - SQLite: the count, the executor, its schedules and the deletion's record go in one
   *   transaction, and the writes above read the executor in theirs; its tasks are deleted after
   *   it, a batch per transaction that also reads the record (a crash in between leaves them, and
   *   the name taken, until the deletion is finished as above).
   * - MongoDB (no transactions): counts, records the deletion, deletes the executor, sweeps the
   *   rate buckets and schedules of its name, then its tasks a batch at a time (ids read, then the
   *   record checked and no executor of the name seen, then those ids deleted), and removes the
   *   record; `executorCreate` reads the record before and after its insert, and takes its
   *   executor back when a deletion began in between. The writes above insert first, then read
   *   the executor and take their write back when it is gone. A client racing the delete may see:
   *   its schedule or task answered created and then gone with the executor, even without `force`
   *   (made after the count); its create answered `NotFoundError` after its write was listed for a
   *   moment (a worker may have been handed such a task: its settlement is refused); an executor
   *   create refused after it was listed for a moment (what was made for it then goes with the
   *   sweep); and until the sweep ends, schedules and tasks under a name no executor has (a fire
   *   then skips as `executor_missing`). An unacknowledged insert (`w: 0`) still on its way may
   *   miss the sweep. A manager stalled for the lease between its check of the record and its
   *   sweep of the name's schedules and rate buckets could still reach those of an executor made
   *   after another manager finished the deletion.
   *
   * @throws {FailedPreconditionError} without `force`, while the executor is in use
   *   (`executorInUseError`)
   */
  executorDelete(id: string, options?: { force?: boolean; now?: number }): Promise<boolean>;
  /**
   * Finishes the deletions of executors (`executorDelete`) that began `EXECUTOR_DELETION_LEASE_MS`
   * or more before `options.now`: their manager stopped half-way (or they are that long, and then
   * the sweeps share the work). Each is swept as `executorDelete` sweeps, and its name freed.
   * Every manager runs it periodically (`Resumer`), so that an abandoned deletion ends
   * without waiting for a create of its name. Answers the names of the deletions it took up and
   * saw end. Once `signal` aborts, no further batch of tasks is deleted: the deletions it had not
   * finished stay, for a later resume, and are not in the answer.
   */
  executorDeletionsResume(options: { now: number; signal?: AbortSignal }): Promise<string[]>;
  /**
   * Finishes the keying of executors' older tasks that a manager left half-way: the tasks of an
   * executor created keyed or made keyed get the empty group key where they have none, so that
   * the keyed claim sees them (`executorCreate` and `executorUpdate` begin it; on SQLite a walk
   * over many tasks runs on after they answer).
   * - SQLite: the walks (`KeyingWalk`, sqlite/keying.ts) that began `EXECUTOR_KEYING_LEASE_MS` or more
   *   before `options.now` and are still due, each run again from the start. Every manager runs
   *   it periodically (`Resumer`). Answers the names of the executors whose walk it finished.
   *   Once `signal` aborts, the walks it began stop at their next step (they stay due).
   * - MongoDB: every task has a key from its insert; there is nothing to finish (`[]`).
   */
  executorKeyingsResume(options: { now: number; signal?: AbortSignal }): Promise<string[]>;

  // Tasks ------------------------------------------------------------------------------------
  /**
   * Inserts many tasks at once. A task whose `idempotencyKey` (per executor) was used before is
   * not inserted: its outcome carries the existing task. The write concern is
   * `insertWriteConcern(tasks, writeConcern)`: a batch with a key is never unacknowledged.
   * With `requireExecutors`, a batch with a task whose executor does not exist is refused whole;
   * unacknowledged inserts, answered before they are written, are checked before (so one of an
   * executor gone then is refused) and again when written, where a task whose executor went in
   * between is dropped (nobody waits for that answer).
   *
   * @throws {NotFoundError} with `requireExecutors`, naming the first executor that does not exist
   *   (`executorMissingError`): no task of the batch is kept
   * @throws {ExecutorChangedError} with `executorVersions`, one changed: nothing is kept
   */
  taskInsert(tasks: NewTask[], options?: InsertOptions): Promise<InsertOutcome[]>;
  /**
   * `taskInsert`, then `taskClaim(claim)`: the same outcomes and the same claimed tasks (older
   * ready tasks of higher priority come first, as ever). Where the store has transactions the
   * two are one write (SQLite: one transaction, one disk sync), so a task created while a worker
   * waits reaches it without a second write. The claim runs even when the insert made nothing new.
   * The claimed tasks may be handed out at once; the insert is as durable as `writeConcern` asks
   * once `onDisk` resolves, and must not be acknowledged before (the caller awaits it).
   *
   * @throws {NotFoundError} as `taskInsert` (nothing is claimed then)
   */
  taskInsertAndClaim(
    tasks: NewTask[],
    claim: ClaimOptions,
    options?: InsertOptions,
  ): Promise<InsertAndClaim>;
  taskGet(id: string): Promise<Task | null>;
  /** Newest first; `cursor` comes from the previous page. */
  taskList(filter: TaskFilter, page: PageRequestBounds): Promise<StorePage<Task>>;
  /**
   * `taskList` reading only what a bulk call acts on (`TaskRef`): the same filter, order and
   * cursors, and none of the tasks' data, so its cost does not grow with their size.
   */
  taskListRefs(
    filter: TaskFilter,
    page: ListPageBounds,
  ): Promise<Page<TaskRef>>;
  /**
   * The ids, executors and statuses of the tasks among `ids` that exist, in no set order (an id
   * that is no task is left out), reading none of their data: what waits poll for. Callers
   * bound `ids` (waits hold at most `Limits.watchTaskIds` each and poll in chunks).
   */
  taskRefsOf(ids: readonly string[]): Promise<TaskRef[]>;
  /**
   * Leases up to `limit` ready tasks (`pending`, `runAt <= now`) of one executor, highest
   * priority first, then oldest `runAt`: status `in_progress`, `attempt + 1`, a fresh lease token,
   * `leaseExpiresAt = now + leaseMs`, `workerId = owner`, `startedAt = now`. No task is ever
   * leased to two claimers at once.
   */
  taskClaim(options: ClaimOptions): Promise<Task[]>;
  /**
   * Applies settlements where the task is still `in_progress` under the same lease token; the
   * answer says, per request and in order, whether it was applied.
   */
  taskSettle(
    requests: SettleRequest[],
    options?: WriteOptions & { now: number },
  ): Promise<boolean[]>;
  /** Pushes `leaseExpiresAt` to `until` where the lease token still matches. */
  leaseExtend(leases: LeaseRef[], until: number): Promise<boolean[]>;
  /**
   * Records how many tasks of each executor this manager's workers can run at once (replacing
   * its previous report), and answers the sum per executor over every manager that reported at
   * or after `since`, this one included. Managers sharing a store use it to share out an
   * executor's `maxConcurrency`.
   */
  demandReport(report: DemandReport): Promise<Record<string, number>>;
  /**
   * Records who serves each executor through this manager, replacing its previous report (an
   * empty one withdraws it), and deletes every manager's reports older than `since`. Managers
   * sharing a store use it so that an executor served only through another manager is not taken
   * as unserved (`noWorkers`).
   */
  servingReport(report: ServingReport): Promise<void>;
  /**
   * Who serves each executor through the managers whose report is at or after `since`, but for
   * `exceptManagerId` (a manager knows its own better): workers summed, the newest poll. An
   * executor no such report names is absent.
   */
  servingTotals(
    options: { since: number; exceptManagerId?: string },
  ): Promise<Record<string, ServingFigures>>;
  /**
   * Which of these leases are still held (`in_progress` under the same token); for the others,
   * the task's status now (`null`: the task is gone). In the order asked.
   */
  leaseCheck(leases: LeaseRef[]): Promise<LeaseCheck[]>;
  /**
   * Takes over up to `limit` in-progress tasks whose lease expired before `now`: each gets a fresh
   * lease token (held by `owner`, its `workerId`, until `now + leaseMs`) so that exactly one
   * rescuer settles it. Each is answered as stored after the takeover, with the worker whose lease
   * expired (`expiredWorkerId`), which the attempt's error names: the owner of an earlier takeover
   * when that rescue was cut short (the rescuer tells those apart by their prefix).
   */
  taskRescueExpired(
    options: { now: number; limit: number; owner: string; leaseMs: number },
  ): Promise<RescuedTask[]>;
  /**
   * Moves a task from status `from` to `to` if it is still in `from` (compare and set), clearing
   * any lease; with `leaseToken`, only if it also still holds that lease (an in-progress task: the
   * attempt the move interrupts is the one the caller read, whose worker a patch's error names).
   * `null` when the task does not exist, is no longer in `from`, or holds another lease.
   */
  taskTransition(id: string, change: TransitionChange): Promise<Task | null>;
  /**
   * `taskTransition` without a patch for each task of `ids`, answering the ids that moved (in the
   * order given); reads none of the tasks' data, so a bulk change costs the same however large
   * they are. `onMoved` is told each id as its task moves, so a caller whose call fails part way
   * (MongoDB moves one task at a time) knows what moved all the same.
   */
  taskTransitionMany(
    ids: string[],
    change: { from: TaskStatus; to: TaskStatus; now: number },
    options?: { onMoved?: (id: string) => void },
  ): Promise<string[]>;
  /**
   * When a claim of these executors may next find tasks: the earliest `runAt` after `now` among
   * their pending tasks, or `null` for none; `now` itself when the last claim of one of them
   * stopped partway through its group keys (a keyed walk over many keys with nothing ready, see
   * sqlite/flow.ts), so the caller claims again (at its next turn: the claim is synchronous on the
   * embedded store).
   */
  taskNextRunAt(executorNames: string[], now: number): Promise<number | null>;
  /** Figures per executor that has tasks or DLQ entries. */
  taskStats(options: { now: number }): Promise<ExecutorTaskStats[]>;
  /** Deletes up to `limit` tasks that ended `completed` (or `cancelled`) before `before`. */
  taskPurgeFinished(options: { before: number; limit: number }): Promise<number>;
  /**
   * Deletes each of `tasks` that is still the version read: the same `status` and `run` (one run
   * again since, or moved on, stays), each in the same conditional write that deletes it; returns
   * how many went. Not for `dlq` tasks (`dlqDelete` removes their entry too). SQLite deletes
   * them in one transaction (all or none; `options.onDeleted` is told once it commits, before the
   * sync); MongoDB in one `deleteMany`, which the server may cut part way: then `onDeleted` is
   * told how many of the tasks are gone (their ids read again) before the error is thrown.
   */
  taskDeleteMany(tasks: readonly TaskVersion[], options?: DeleteOptions): Promise<number>;

  // Dead letter queue ------------------------------------------------------------------------
  /** Newest first. */
  dlqList(filter: DlqFilter, page: PageRequestBounds): Promise<StorePage<DlqEntry>>;
  /** `dlqList` reading only the entries' ids, executors and statuses (as `taskListRefs`). */
  dlqListRefs(filter: DlqFilter, page: { cursor?: string; limit: number }): Promise<Page<TaskRef>>;
  dlqGet(id: string): Promise<DlqEntry | null>;
  /**
   * Takes the entry out of the DLQ and its task back to `pending` (attempts counted from zero,
   * `runAt = now`), with new data when given; with `run`, only while the task is still in that run
   * (one requeued since and dead again stays). `null` when there is no such entry.
   */
  dlqRequeue(
    id: string,
    options: { now: number; data?: unknown; run?: number },
  ): Promise<Task | null>;
  /**
   * Deletes the entry and its task; with `run`, only while the task is still in that run (one
   * requeued since and dead again stays). `false` when there is no such entry.
   */
  dlqDelete(id: string, options?: { run?: number }): Promise<boolean>;
  /**
   * Deletes every entry (and task) matching the filter, checked in the delete itself (a task
   * found dead before `deadBefore`, then requeued and dead again after it, stays); returns how
   * many. It deletes a batch at a time, each told to `options.onDeleted` once done: those before
   * a batch that fails stay deleted, and what went of that batch is told too (MongoDB reads its
   * ids again; a SQLite batch is one transaction).
   */
  dlqPurge(filter: DlqFilter, options?: DeleteOptions): Promise<number>;

  // API keys ---------------------------------------------------------------------------------
  /** @throws {ConflictError} when the id is taken (revoked keys keep theirs). */
  keyCreate(key: ApiKeyRecord): Promise<ApiKeyRecord>;
  keyGet(id: string): Promise<ApiKeyRecord | null>;
  /**
   * Every key, revoked ones included, oldest first (then by id); with `filter.valid`, only the
   * keys not revoked (what authentication reads every second: revoked keys stay listed forever).
   */
  keyList(filter?: { valid?: boolean }): Promise<ApiKeyRecord[]>;
  /**
   * `keyList` a page at a time, oldest first (then by id), after `page.cursor`: at most
   * `page.limit` keys and about `page.maxBytes` of stored text (one at least). The cursor is
   * `<createdAt>:<id>` of the last key.
   */
  keyListPage(page: PageRequestBounds): Promise<StorePage<ApiKeyRecord>>;
  /**
   * Sets `revokedAt = now` unless the key was revoked before (the first time is kept). The key as
   * it is now, or `null` when there is no such key. Refuses to revoke the last valid admin key
   * (see `lastAdminKeyError`): the check and the revocation are one atomic step, so two managers
   * revoking the last two admin keys at once leave one of them valid.
   *
   * @throws {FailedPreconditionError} when `id` is the only valid key with the `admin` scope
   */
  keyRevoke(id: string, now: number): Promise<ApiKeyRecord | null>;
  /**
   * Records uses: `lastUsedAt` becomes `at` where that is later than what is stored. Meant for
   * batches (one call per second or so), not a call per request. Unknown ids are ignored.
   */
  keyTouch(uses: KeyUse[]): Promise<void>;
}
