/**
 * The embedded store: every verb of the store contract on the built-in `node:sqlite`, in one file
 * that several manager processes may share (WAL mode, each multi-statement verb in BEGIN IMMEDIATE).
 *
 * Write concern on the embedded store:
 *
 * | level                    | the promise resolves once                                         |
 * | ------------------------ | ----------------------------------------------------------------- |
 * | `journaled`, `majority`  | the transaction is committed and the WAL file is synced to disk   |
 * |                          | (`fdatasync`, after the current turn of the event loop; one sync  |
 * |                          | serves every commit made before it started)                       |
 * | `replica_acknowledged`   | the transaction is committed to the WAL, which is synced at       |
 * |                          | checkpoints: safe if the process dies, not if the machine does    |
 * | `unacknowledged`         | the rows are queued; they are committed together a moment later   |
 * |                          | (group commit), and a crash in between loses them. Every other    |
 * |                          | verb of the same store commits the queue first, so the process    |
 * |                          | reads its own writes. Lease tokens are checked when a settlement  |
 * |                          | is queued; if another process wins the race meanwhile, it is      |
 * |                          | dropped at commit. Inserts with an idempotency key are never      |
 * |                          | queued: they commit before the answer (`insertWriteConcern`).     |
 *
 * One manager has one SQLite file; its single machine has no replicas, so `majority` means the
 * same as `journaled`. Every transaction commits with `synchronous=NORMAL`; the levels that need
 * the disk wait for the WAL sync after the commit. Claims, lease extensions and rescues never wait
 * for it: if the machine loses them, the task is simply pending again (at-least-once delivery is
 * kept).
 *
 * Layout of this folder: `store.ts` (this class: opening, the verbs, delegated per concern),
 * `connection.ts` (statements, transactions, the WAL sync), `group_commit.ts` (the queue of
 * unacknowledged writes), `schema.ts` (tables, indexes, migrations), `rows.ts` (row ↔ domain),
 * `tasks.ts`, `claim.ts`, `settle.ts`, `dlq.ts`, `executors.ts`, `owned.ts` (what an executor
 * owns, and the rule that ties it to the executor), `keys.ts`, `flow.ts` (flow control),
 * `history.ts`, `schedules.ts`, `search.ts` and `serving.ts` (who serves each executor through
 * each manager).
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises. Page reads hold the thread in one
// go (about 50 ms for 1,000 tasks of 1.5 KB): they take turns (`PAGE_READ_TURNS`).
// deno-lint-ignore-file require-await
import { DatabaseSync } from "node:sqlite";
import type { DlqEntry } from "../../domain/dlq.ts";
import { UnavailableError } from "../../domain/errors.ts";
import type { Executor } from "../../domain/executor.ts";
import { DEFAULT_LIMITS } from "../../domain/limits.ts";
import type { NewTask, Task, TaskStatus } from "../../domain/task.ts";
import type {
  ApiKeyRecord,
  ClaimOptions,
  DeleteOptions,
  DemandReport,
  DlqFilter,
  ExecutorTaskStats,
  ExecutorVersion,
  HistoryStore,
  InsertAndClaim,
  InsertOptions,
  InsertOutcome,
  KeyUse,
  LeaseCheck,
  LeaseRef,
  ListPageBounds,
  Page,
  PageRequestBounds,
  RescuedTask,
  ServingFigures,
  ServingReport,
  SettleRequest,
  Store,
  StorePage,
  TaskFilter,
  TaskRef,
  TaskSearchStore,
  TaskVersion,
  TransitionChange,
  WriteOptions,
} from "../store.ts";
import type { ScheduleStore } from "../schedules.ts";
import { SqliteClaims } from "./claim.ts";
import { SqliteConnection } from "./connection.ts";
import { SqliteDlq } from "./dlq.ts";
import { SqliteExecutors } from "./executors.ts";
import { GroupCommit } from "./group_commit.ts";
import { SqliteHistory } from "./history.ts";
import { SqliteKeys } from "./keys.ts";
import { prepareSchema } from "./schema.ts";
import { SqliteScheduleStore } from "./schedules.ts";
import { SqliteTaskSearch } from "./search.ts";
import { SqliteServing } from "./serving.ts";
import { SqliteSettlements } from "./settle.ts";
import { SqliteTasks } from "./tasks.ts";
import { rowToTask } from "./rows.ts";
import { pageReadInTurn } from "../../thread_slices.ts";

/** How to open the embedded store. */
export interface SqliteStoreOptions {
  /** File path of the database, or `":memory:"`. Missing parent folders are created. */
  path: string;
  /** How long a write waits for another process's transaction before failing (default 5 s). */
  busyTimeoutMs?: number;
  /** How long unacknowledged writes wait to be committed together (default 2 ms). */
  groupCommitDelayMs?: number;
  /** Most attempt errors a task keeps (default `DEFAULT_LIMITS.errorsKept`; `keepTaskErrors`). */
  errorsKept?: number;
}

/**
 * The embedded store. Open it with `openSqliteStore` (or `SqliteStore.open`).
 *
 * @example
 * ```ts
 * import { openSqliteStore } from "./store.ts";
 * await using store = await openSqliteStore({ path: ":memory:" });
 * await store.ping();
 * ```
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly #db: SqliteConnection;
  readonly #queue: GroupCommit;
  readonly #executors: SqliteExecutors;
  readonly #tasks: SqliteTasks;
  readonly #claims: SqliteClaims;
  readonly #settlements: SqliteSettlements;
  readonly #dlq: SqliteDlq;
  readonly #keys: SqliteKeys;
  readonly #serving: SqliteServing;
  readonly history: HistoryStore;
  readonly schedules: ScheduleStore;
  readonly search: TaskSearchStore;

  private constructor(db: DatabaseSync, options: SqliteStoreOptions) {
    // The queue commits through the connection, which commits the queue before every verb.
    this.#queue = new GroupCommit({
      delayMs: options.groupCommitDelayMs ?? 2,
      commit: (inserts, settles) =>
        this.#db.transaction(() => {
          this.#tasks.insertQueued(inserts);
          for (const { request, now } of settles) this.#settlements.settleRow(request, now);
        }),
    });
    this.#db = new SqliteConnection(db, {
      path: options.path,
      flushQueued: () => this.#queue.flush(),
    });
    this.#claims = new SqliteClaims(this.#db);
    this.#tasks = new SqliteTasks(this.#db, { queue: this.#queue, claims: this.#claims });
    this.#settlements = new SqliteSettlements(this.#db, {
      queue: this.#queue,
      errorsKept: options.errorsKept ?? DEFAULT_LIMITS.errorsKept,
    });
    this.#executors = new SqliteExecutors(this.#db);
    this.#dlq = new SqliteDlq(this.#db);
    this.#keys = new SqliteKeys(this.#db);
    this.#serving = new SqliteServing(this.#db);
    this.history = new SqliteHistory(this.#db);
    this.schedules = new SqliteScheduleStore(this.#db);
    this.search = new SqliteTaskSearch(this.#db, rowToTask);
  }

  /** Opens (and creates when needed) the database at `options.path`. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    if (options.path !== ":memory:" && !options.path.startsWith("file:")) {
      const slash = Math.max(options.path.lastIndexOf("/"), options.path.lastIndexOf("\\"));
      if (slash > 0) Deno.mkdirSync(options.path.slice(0, slash), { recursive: true });
    }
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(options.path);
    } catch (error) {
      throw new UnavailableError(
        `Cannot open SQLite database "${options.path}": ${(error as Error).message}`,
      );
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      prepareSchema(db);
    } catch (error) {
      db.close();
      throw new UnavailableError(
        `Cannot prepare SQLite database "${options.path}": ${(error as Error).message}`,
      );
    }
    return new SqliteStore(db, options);
  }

  /** Runs a trivial query. @throws {UnavailableError} */
  async ping(): Promise<void> {
    try {
      this.#db.read(() => this.#db.stmt("SELECT 1").get());
    } catch (error) {
      if (error instanceof UnavailableError) throw error;
      throw new UnavailableError(`The SQLite store does not answer: ${(error as Error).message}`);
    }
  }

  // Executors (executors.ts) -------------------------------------------------------------------

  executorCreate(executor: Executor, options?: { max?: number }): Promise<Executor> {
    return this.#executors.executorCreate(executor, options);
  }
  executorGet(idOrName: string): Promise<Executor | null> {
    return this.#executors.executorGet(idOrName);
  }
  executorList(
    filter: { names?: readonly string[] },
    page: PageRequestBounds,
  ): Promise<StorePage<Executor>> {
    return pageReadInTurn(() => this.#executors.executorList(filter, page), page);
  }
  executorVersions(): Promise<ExecutorVersion[]> {
    return this.#executors.executorVersions();
  }

  executorUpdate(executor: Executor, options: { basedOn: number }): Promise<Executor | null> {
    return this.#executors.executorUpdate(executor, options);
  }
  executorDelete(id: string, options?: { force?: boolean; now?: number }): Promise<boolean> {
    return this.#executors.executorDelete(id, options);
  }
  executorDeletionsResume(options: { now: number; signal?: AbortSignal }): Promise<string[]> {
    return this.#executors.executorDeletionsResume(options);
  }
  executorKeyingsResume(options: { now: number; signal?: AbortSignal }): Promise<string[]> {
    return this.#executors.executorKeyingsResume(options);
  }

  // Tasks (tasks.ts, claim.ts, settle.ts) -------------------------------------------------------

  taskInsert(tasks: NewTask[], options?: InsertOptions): Promise<InsertOutcome[]> {
    return this.#tasks.taskInsert(tasks, options);
  }
  taskInsertAndClaim(
    tasks: NewTask[],
    claim: ClaimOptions,
    options?: InsertOptions,
  ): Promise<InsertAndClaim> {
    return this.#tasks.taskInsertAndClaim(tasks, claim, options);
  }
  taskGet(id: string): Promise<Task | null> {
    return this.#tasks.taskGet(id);
  }
  taskList(filter: TaskFilter, page: PageRequestBounds): Promise<StorePage<Task>> {
    return pageReadInTurn((slices) => this.#tasks.taskList(filter, page, slices), page);
  }
  taskListRefs(filter: TaskFilter, page: ListPageBounds): Promise<Page<TaskRef>> {
    return this.#tasks.taskListRefs(filter, page);
  }
  taskRefsOf(ids: readonly string[]): Promise<TaskRef[]> {
    return this.#tasks.taskRefsOf(ids);
  }
  taskClaim(options: ClaimOptions): Promise<Task[]> {
    return this.#claims.taskClaim(options);
  }
  taskSettle(
    requests: SettleRequest[],
    options?: WriteOptions & { now: number },
  ): Promise<boolean[]> {
    return this.#settlements.taskSettle(requests, options);
  }
  leaseExtend(leases: LeaseRef[], until: number): Promise<boolean[]> {
    return this.#settlements.leaseExtend(leases, until);
  }
  demandReport(report: DemandReport): Promise<Record<string, number>> {
    return this.#tasks.demandReport(report);
  }
  servingReport(report: ServingReport): Promise<void> {
    return this.#serving.servingReport(report);
  }
  servingTotals(
    options: { since: number; exceptManagerId?: string },
  ): Promise<Record<string, ServingFigures>> {
    return this.#serving.servingTotals(options);
  }
  leaseCheck(leases: LeaseRef[]): Promise<LeaseCheck[]> {
    return this.#settlements.leaseCheck(leases);
  }
  taskRescueExpired(
    options: { now: number; limit: number; owner: string; leaseMs: number },
  ): Promise<RescuedTask[]> {
    return this.#settlements.taskRescueExpired(options);
  }
  taskTransition(id: string, change: TransitionChange): Promise<Task | null> {
    return this.#settlements.taskTransition(id, change);
  }
  taskTransitionMany(
    ids: string[],
    change: { from: TaskStatus; to: TaskStatus; now: number },
    options: { onMoved?: (id: string) => void } = {},
  ): Promise<string[]> {
    return this.#settlements.taskTransitionMany(ids, change, options);
  }
  taskNextRunAt(executorNames: string[], now: number): Promise<number | null> {
    return this.#claims.taskNextRunAt(executorNames, now);
  }
  taskStats(options: { now: number }): Promise<ExecutorTaskStats[]> {
    return this.#tasks.taskStats(options);
  }
  taskPurgeFinished(options: { before: number; limit: number }): Promise<number> {
    return this.#tasks.taskPurgeFinished(options);
  }
  taskDeleteMany(tasks: readonly TaskVersion[], options?: DeleteOptions): Promise<number> {
    return this.#tasks.taskDeleteMany(tasks, options);
  }

  // Dead letter queue (dlq.ts) -----------------------------------------------------------------

  dlqList(filter: DlqFilter, page: PageRequestBounds): Promise<StorePage<DlqEntry>> {
    return pageReadInTurn(() => this.#dlq.dlqList(filter, page), page);
  }
  dlqListRefs(filter: DlqFilter, page: { cursor?: string; limit: number }): Promise<Page<TaskRef>> {
    return this.#dlq.dlqListRefs(filter, page);
  }
  dlqGet(id: string): Promise<DlqEntry | null> {
    return this.#dlq.dlqGet(id);
  }
  dlqRequeue(
    id: string,
    options: { now: number; data?: unknown; run?: number },
  ): Promise<Task | null> {
    return this.#dlq.dlqRequeue(id, options);
  }
  dlqDelete(id: string, options: { run?: number } = {}): Promise<boolean> {
    return this.#dlq.dlqDelete(id, options);
  }
  dlqPurge(filter: DlqFilter, options?: DeleteOptions): Promise<number> {
    return this.#dlq.dlqPurge(filter, options);
  }

  // API keys (keys.ts) -------------------------------------------------------------------------

  keyCreate(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    return this.#keys.keyCreate(key);
  }
  keyGet(id: string): Promise<ApiKeyRecord | null> {
    return this.#keys.keyGet(id);
  }
  keyList(filter?: { valid?: boolean }): Promise<ApiKeyRecord[]> {
    return this.#keys.keyList(filter);
  }
  keyListPage(page: PageRequestBounds): Promise<StorePage<ApiKeyRecord>> {
    return pageReadInTurn(() => this.#keys.keyListPage(page), page);
  }
  keyRevoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    return this.#keys.keyRevoke(id, now);
  }
  keyTouch(uses: KeyUse[]): Promise<void> {
    return this.#keys.keyTouch(uses);
  }

  /**
   * Stops the keying walks under way (they stay due, for the resume), commits queued writes and
   * closes the database; safe to call twice.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    // Both from this call on: no verb runs once it is made, and the walks stop at their next step.
    const walks = this.#executors.stopWalks();
    await this.#db.close();
    await walks;
  }
}

/**
 * Opens the embedded store on a SQLite file (or `":memory:"`).
 *
 * @example
 * ```ts
 * import { openSqliteStore } from "./store.ts";
 * await using store = await openSqliteStore({ path: "./data/tasks.db" });
 * console.log(store.kind); // "sqlite"
 * ```
 */
export function openSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  return SqliteStore.open(options);
}
