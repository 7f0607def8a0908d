/**
 * Tasks on the embedded store: inserts (acknowledged, or queued for the group commit), reads and
 * lists, stats, and deletes; the claim lives in claim.ts, settlements and leases in settle.ts.
 * Also the demand table that managers sharing the file use to share out `maxConcurrency`.
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
import type { SQLInputValue } from "node:sqlite";
import { ConflictError } from "../../domain/errors.ts";
import { type FlowControl, groupKeyOf } from "../../domain/flow.ts";
import {
  type NewTask,
  storedTask,
  type Task,
  TASK_STATUSES,
  type TaskStatus,
} from "../../domain/task.ts";
import type {
  ClaimOptions,
  DeleteOptions,
  DemandReport,
  ExecutorTaskStats,
  InsertAndClaim,
  InsertOptions,
  InsertOutcome,
  Page,
  PageRequestBounds,
  StorePage,
  TaskFilter,
  TaskRef,
  TaskVersion,
} from "../store.ts";
import {
  assertInsertExecutors,
  emptyTaskStats,
  type ExecutorVersionRef,
  idRangeOf,
  insertWriteConcern,
  type ListPageBounds,
  PageTaker,
  scanLimitOf,
  storedSize,
} from "../store.ts";
import { CLAIMED_COLUMNS, leaseColumns, MIN_PENDING_RUN_AT, type SqliteClaims } from "./claim.ts";
import { limitOf, type SqliteConnection } from "./connection.ts";
import type { GroupCommit, QueuedInsert } from "./group_commit.ts";
import { flowOfRow, json, type Params, type Row, rowToTask } from "./rows.ts";
import { ThreadSlices } from "../../thread_slices.ts";
import { countSql, executorNames, newestIds } from "./newest_ids.ts";

/** An executor as an insert's transaction reads it (`SqliteTasks.#executorNow`). */
interface ExecutorNow extends ExecutorVersionRef {
  flow: FlowControl;
}
/** What one insert read of each executor, by name (`null`: none). */
type ExecutorsRead = Map<string, ExecutorNow | null>;

/** Offers `rows` to `taker` until it is full (the statement is then finished, unread). */
export function offerAll(rows: Iterable<Row>, taker: PageTaker<Row>): void {
  for (const row of rows) if (!taker.offer(row)) return;
}

/**
 * Index entries one statement of `taskStats` counts: counting reads the (executor, status, id)
 * index alone, ~0.2 µs an entry, so a chunk costs about 2 ms.
 */
const COUNT_CHUNK_ROWS = 10_000;

/** The `TaskRef` of a row read with `id, executor_name, status, run`. */
export function rowToRef(row: Row): TaskRef {
  return {
    id: row.id as string,
    executorName: row.executor_name as string,
    status: row.status as TaskStatus,
    run: row.run as number,
  };
}

/** Tasks one statement of `deleteTasksWhere` deletes (one statement deleting 200,000 held the thread 0.7 s). */
const DELETE_BATCH = 1000;

/**
 * Deletes every task matching `where` (SQL over `tasks`, bound to `params`) a batch at a time,
 * giving the thread back between batches, then waits for the disk; answers how many went. Each
 * batch is a transaction of its own. Once `signal` aborts, no further batch begins (those before
 * stay deleted). `onDeleted` is told each batch's count as it is deleted: a caller whose delete
 * fails part way knows how many went.
 */
export async function deleteTasksWhere(
  db: SqliteConnection,
  where: string,
  params: Params,
  signal?: AbortSignal,
  onDeleted?: (count: number) => void,
): Promise<number> {
  const sql =
    `DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE ${where} LIMIT ${DELETE_BATCH})`;
  const slices = new ThreadSlices();
  let deleted = 0;
  while (signal?.aborted !== true) {
    const changes = Number(db.write(() => db.stmt(sql).run(params).changes));
    deleted += changes;
    onDeleted?.(changes);
    if (changes < DELETE_BATCH) break;
    await slices.turn();
  }
  await db.onDisk();
  return deleted;
}

/** The columns an insert takes from a new task (`newTaskParams`, `?1` to `?12`). */
const NEW_TASK_COLUMNS = `id, executor_name, data, metadata, priority, run_at, max_attempts,
  created_at, idempotency_key, traceparent, tracestate, group_key, errors, result`;
const NEW_TASK_VALUES = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, '[]', 'null'";

/** A task inserted leased (`?13` the lease's expiry, `?14` its owner, `?15` the time). */
const LEASED_INSERT = (() => {
  const lease = leaseColumns({ expires: "?13", owner: "?14", now: "?15" });
  return `INSERT INTO tasks (${NEW_TASK_COLUMNS}, attempt, ${
    lease.map(([column]) => column).join(", ")
  })
    VALUES (${NEW_TASK_VALUES}, 1, ${lease.map(([, value]) => value).join(", ")})
    ON CONFLICT DO NOTHING RETURNING ${CLAIMED_COLUMNS}`;
})();

/** The parameters of `NEW_TASK_VALUES`, in order. */
function newTaskParams(task: NewTask): SQLInputValue[] {
  return [
    task.id,
    task.executorName,
    json(task.data),
    json(task.metadata ?? {}),
    task.priority,
    task.runAt,
    task.maxAttempts,
    task.createdAt,
    task.idempotencyKey ?? null,
    task.traceparent ?? null,
    task.tracestate ?? null,
    task.groupKey ?? null,
  ];
}

/** The task verbs of the `Store` contract (but the claim and settlements) over one connection. */
export class SqliteTasks {
  readonly #db: SqliteConnection;
  readonly #queue: GroupCommit;
  readonly #claims: SqliteClaims;

  constructor(db: SqliteConnection, options: { queue: GroupCommit; claims: SqliteClaims }) {
    this.#db = db;
    this.#queue = options.queue;
    this.#claims = options.claims;
  }

  /**
   * Inserts one row inside the current transaction; the task as stored, or `null` when an
   * idempotency key (or the id) is taken. A task without a group key is keyed by its executor
   * as this transaction reads it (`groupKeyOf`), not by the creator's copy, which may predate
   * the executor becoming keyed: the keyed claim sees only tasks with a key (see flow.ts).
   * `read` keeps what the transaction read of each executor.
   */
  insertRow(task: NewTask, read: ExecutorsRead = new Map()): NewTask | null {
    task = this.#keyed(task, read);
    const result = this.#db.stmt(
      `INSERT INTO tasks (${NEW_TASK_COLUMNS}, status, attempt, updated_at)
       VALUES (${NEW_TASK_VALUES}, 'pending', 0, ?8) ON CONFLICT DO NOTHING`,
    ).run(...newTaskParams(task));
    return Number(result.changes) === 1 ? task : null;
  }

  /**
   * `insertRow`, the task leased to `claim`'s owner as the claim would lease it: the task as
   * stored and its row as the claim returns it (`claimedTasks`), or `null` when an idempotency
   * key (or the id) is taken.
   */
  #insertLeased(
    task: NewTask,
    read: ExecutorsRead,
    claim: ClaimOptions,
  ): { stored: NewTask; row: unknown[] } | null {
    task = this.#keyed(task, read);
    const row = this.#db.arrayStmt(LEASED_INSERT).get(
      ...newTaskParams(task),
      claim.now + claim.leaseMs,
      claim.owner,
      claim.now,
    ) as unknown as unknown[] | undefined;
    return row ? { stored: task, row } : null;
  }

  /** `task` with the group key its executor gives it now, when it has none of its own. */
  #keyed(task: NewTask, read: ExecutorsRead): NewTask {
    if ((task.groupKey ?? null) !== null) return task;
    const flow = this.#executorNow(task.executorName, read)?.flow;
    const groupKey = flow ? groupKeyOf({ data: task.data, groupKey: null }, flow) : null;
    return groupKey === null ? task : { ...task, groupKey };
  }

  /**
   * Executor `name` as the store holds it now (`null`: none), read once per `read`: its version,
   * for `executorVersions`; whether it exists, for `requireExecutors`; its flow control, for
   * group keys.
   */
  #executorNow(name: string, read: ExecutorsRead): ExecutorNow | null {
    let executor = read.get(name);
    if (executor === undefined) {
      const row = this.#db.stmt("SELECT id, updated_at, flow FROM executors WHERE name = ?")
        .get(name);
      executor = row
        ? { id: row.id as string, updatedAt: Number(row.updated_at), flow: flowOfRow(row) }
        : null;
      read.set(name, executor);
    }
    return executor;
  }

  /**
   * Checks `options.executorVersions` and `options.requireExecutors` against the executors as
   * read into `read` (inside the insert's transaction, or right before the queue takes it).
   *
   * @throws {ExecutorChangedError} {NotFoundError}
   */
  #assertExecutors(tasks: NewTask[], options: InsertOptions, read: ExecutorsRead): void {
    assertInsertExecutors(tasks, options, (name) => this.#executorNow(name, read));
  }

  #taskByKey(executorName: string, key: string): Task | null {
    const row = this.#db.stmt(
      "SELECT * FROM tasks WHERE executor_name = ? AND idempotency_key = ?",
    ).get(executorName, key);
    return row ? rowToTask(row) : null;
  }

  async taskInsert(tasks: NewTask[], options: InsertOptions = {}): Promise<InsertOutcome[]> {
    if (tasks.length === 0) return [];
    const level = insertWriteConcern(tasks, options.writeConcern);
    if (level === "unacknowledged") return this.#insertUnacknowledged(tasks, options);
    const outcomes = this.#db.write(() => this.#insertRows(tasks, options));
    await this.#db.onDiskFor(level);
    return outcomes;
  }

  async taskInsertAndClaim(
    tasks: NewTask[],
    claim: ClaimOptions,
    options: InsertOptions = {},
  ): Promise<InsertAndClaim> {
    const level = insertWriteConcern(tasks, options.writeConcern);
    if (level === "unacknowledged") {
      // Queued for the group commit, which the claim's write flushes first.
      const outcomes = this.#insertUnacknowledged(tasks, options);
      return { outcomes, claimed: await this.#claims.taskClaim(claim), onDisk: Promise.resolve() };
    }
    let outcomes: InsertOutcome[] = [];
    const rows = this.#db.write(() => {
      // When the claim would lease exactly the new tasks that are due, they are inserted
      // leased: one write each instead of an insert and the claim's update.
      const leased = this.#claims.leasedOnInsert(tasks, claim);
      if (!leased) {
        outcomes = this.#insertRows(tasks, options);
        return this.#claims.claimRows(claim);
      }
      const rows: unknown[][] = [];
      outcomes = this.#insertRows(tasks, options, { claim, tasks: leased, rows });
      return rows;
    });
    return {
      outcomes,
      claimed: this.#claims.claimedTasks(rows, claim),
      onDisk: this.#db.onDiskFor(level),
    };
  }

  /**
   * Inserts inside the current transaction; with `requireExecutors`, only when every task's
   * executor exists in it (owned.ts); with `executorVersions`, only when those are the versions
   * in it.
   *
   * @throws {NotFoundError} naming the first executor that does not exist
   * @throws {ExecutorChangedError} naming the first executor in another version
   */
  #insertRows(
    tasks: NewTask[],
    options: InsertOptions,
    leased?: { claim: ClaimOptions; tasks: Set<NewTask>; rows: unknown[][] },
  ): InsertOutcome[] {
    // One read of each executor serves the checks and the group keys (`#executorNow`).
    const read: ExecutorsRead = new Map();
    this.#assertExecutors(tasks, options, read);
    return tasks.map((task): InsertOutcome => {
      let stored: NewTask | null;
      if (leased?.tasks.has(task)) {
        const inserted = this.#insertLeased(task, read, leased.claim);
        if (inserted) leased.rows.push(inserted.row);
        stored = inserted?.stored ?? null;
      } else {
        stored = this.insertRow(task, read);
      }
      if (stored) return { created: true, task: storedTask(stored) };
      const existing = task.idempotencyKey
        ? this.#taskByKey(task.executorName, task.idempotencyKey)
        : null;
      if (!existing) throw new ConflictError(`Task "${task.id}" already exists`);
      return { created: false, task: existing };
    });
  }

  /**
   * Queues tasks without idempotency keys for the group commit (see `insertWriteConcern`), once
   * `executorVersions` and `requireExecutors` hold for the executors as they are now (read
   * without committing the queue first); the commit checks `requireExecutors` again and drops a
   * task whose executor went meanwhile.
   *
   * @throws {NotFoundError} {ExecutorChangedError}
   */
  #insertUnacknowledged(tasks: NewTask[], options: InsertOptions): InsertOutcome[] {
    this.#db.assertOpen();
    try {
      this.#assertExecutors(tasks, options, new Map());
    } catch (error) {
      throw this.#db.mapError(error);
    }
    this.#queue.addInserts(tasks, { requireExecutors: options.requireExecutors ?? false });
    return tasks.map((task) => ({ created: true, task: storedTask(task) }));
  }

  /**
   * Inserts the group commit's queued tasks inside the current transaction. One queued with
   * `requireExecutors` whose executor is gone by now (deleted, maybe by another process, since
   * it was queued) is dropped: its creator was answered already and waits for nothing.
   */
  insertQueued(inserts: QueuedInsert[]): void {
    const read: ExecutorsRead = new Map();
    for (const { task, requireExecutors } of inserts) {
      if (requireExecutors && this.#executorNow(task.executorName, read) === null) continue;
      this.insertRow(task, read);
    }
  }

  async taskGet(id: string): Promise<Task | null> {
    const row = this.#db.read(() => this.#db.stmt("SELECT * FROM tasks WHERE id = ?").get(id));
    return row ? rowToTask(row) : null;
  }

  /** A page of tasks; `slices` measure the read and give the thread back (`pageReadInTurn`). */
  async taskList(
    filter: TaskFilter,
    page: PageRequestBounds,
    slices: ThreadSlices,
  ): Promise<StorePage<Task>> {
    const taker = new PageTaker<Row>(page, storedSize);
    await this.#listRows(filter, page, "*", taker, slices);
    return taker.page(rowToTask, (row) => row.id as string);
  }

  async taskListRefs(
    filter: TaskFilter,
    page: ListPageBounds,
  ): Promise<Page<TaskRef>> {
    const taker = new PageTaker<Row>({ limit: page.limit }, storedSize);
    await this.#listRows(filter, page, "id, executor_name, status, run", taker, new ThreadSlices());
    return taker.page(rowToRef, (row) => row.id as string);
  }

  async taskRefsOf(ids: readonly string[]): Promise<TaskRef[]> {
    const rows = this.#db.read(() =>
      this.#db.stmt(
        `SELECT id, executor_name, status, run FROM tasks
           WHERE id IN (SELECT value FROM json_each(?))`,
      ).all(JSON.stringify(ids))
    );
    return rows.map(rowToRef);
  }

  /**
   * Offers the rows of the listing (`columns` of each), newest first, to `taker`: the ids come
   * from the indexes a chunk at a time (newest_ids.ts), then each task is read with every
   * condition of the filter (it may have changed since its id was read), the thread given back
   * between `slices`, so a page costs what it reads whatever the store holds.
   */
  async #listRows(
    filter: TaskFilter,
    page: ListPageBounds,
    columns: string,
    taker: PageTaker<Row>,
    slices: ThreadSlices,
  ): Promise<void> {
    // Conditions no index serves: each task the walk meets is checked.
    const rowWhere: string[] = [];
    const params: Params = {};
    if (filter.createdAfter !== undefined) {
      rowWhere.push("created_at >= $after");
      params.after = filter.createdAfter;
    }
    if (filter.createdBefore !== undefined) {
      rowWhere.push("created_at < $before");
      params.before = filter.createdBefore;
    }
    if (filter.finishedAfter !== undefined) {
      rowWhere.push("completed_at >= $finishedAfter");
      params.finishedAfter = filter.finishedAfter;
    }
    if (filter.finishedBefore !== undefined) {
      rowWhere.push("completed_at < $finishedBefore");
      params.finishedBefore = filter.finishedBefore;
    }
    const ids = idRangeOf(filter, page.cursor);
    let from = ids.from;
    const scanLimit = scanLimitOf(filter, page);
    if (scanLimit !== null) {
      // At or above `ids.from`: the floor is counted inside the range.
      const floor = this.#scanFloor(ids, scanLimit);
      if (floor !== null) {
        from = floor;
        taker.cutAt = floor;
      }
    }
    const statuses = [...new Set(filter.status ?? [])];
    const where = [...rowWhere];
    const rowParams: Params = { ...params };
    if (filter.executorName !== undefined) {
      where.push("executor_name = $executor");
      rowParams.executor = filter.executorName;
    }
    if (statuses.length > 0) {
      where.push(`status IN (${statuses.map((_, i) => `$s${i}`).join(", ")})`);
      statuses.forEach((status, i) => rowParams[`s${i}`] = status);
    }
    const read = this.#db.stmt(
      `SELECT ${columns} FROM tasks WHERE ${["id = $id", ...where].join(" AND ")}`,
    );
    const turn = () => slices.turn();
    const walk = newestIds(this.#db, {
      executorName: filter.executorName,
      statuses,
      from,
      below: ids.below,
      rowWhere,
      params,
    }, { want: page.limit + 1, turn });
    for await (const id of walk) {
      const row = this.#db.read(() => read.get({ ...rowParams, id }));
      if (row !== undefined && !taker.offer(row)) return;
      await turn();
    }
  }

  /**
   * The id `scanLimit` tasks down from the top of `ids` (every task, newest first), or `null`
   * when fewer are left: a page looks at the tasks from there up.
   */
  #scanFloor(ids: { from?: string; below?: string }, scanLimit: number): string | null {
    const bounds = [
      ...(ids.from !== undefined ? ["id >= $from"] : []),
      ...(ids.below !== undefined ? ["id < $below"] : []),
    ];
    const row = this.#db.read(() =>
      this.#db.stmt(
        `SELECT id FROM tasks ${bounds.length ? `WHERE ${bounds.join(" AND ")}` : ""}
         ORDER BY id DESC LIMIT 1 OFFSET ${scanLimit - 1}`,
      ).get({
        ...(ids.from !== undefined ? { from: ids.from } : {}),
        ...(ids.below !== undefined ? { below: ids.below } : {}),
      })
    );
    return row ? row.id as string : null;
  }

  async demandReport(report: DemandReport): Promise<Record<string, number>> {
    const rows = this.#db.write(() => {
      this.#db.stmt("DELETE FROM demand WHERE manager_id = ? OR reported_at < ?").run(
        report.managerId,
        report.since,
      );
      for (const [executorName, capacity] of Object.entries(report.capacity)) {
        this.#db.stmt("INSERT INTO demand VALUES (?, ?, ?, ?)").run(
          report.managerId,
          executorName,
          capacity,
          report.now,
        );
      }
      return this.#db.stmt(
        `SELECT executor_name, sum(capacity) AS total FROM demand WHERE reported_at >= ?
         GROUP BY executor_name`,
      ).all(report.since);
    });
    return Object.fromEntries(rows.map((row) => [row.executor_name, Number(row.total)]));
  }

  /**
   * Counts each executor's tasks per status from the (executor, status, id) index,
   * `COUNT_CHUNK_ROWS` entries per statement, the thread given back between slices: one
   * `GROUP BY` over every task held it 68 ms for 566,000 tasks. The counts are separate reads,
   * not one snapshot: a task that changes status meanwhile may be counted in both or neither.
   */
  async taskStats(options: { now: number }): Promise<ExecutorTaskStats[]> {
    const slices = new ThreadSlices();
    const turn = () => slices.turn();
    const stats: ExecutorTaskStats[] = [];
    for (const name of await executorNames(this.#db, turn)) {
      const entry = emptyTaskStats(name);
      for (const status of TASK_STATUSES) {
        entry.byStatus[status] = await this.#countOf(name, status, turn);
      }
      // The DLQ is the executor's dead tasks.
      entry.dlqSize = entry.byStatus.dlq;
      if (entry.byStatus.pending > 0) {
        await turn();
        const runAt = this.#db.read(() =>
          this.#db.stmt(MIN_PENDING_RUN_AT).get({ executor: name, after: -Infinity })
        )?.value as number | null | undefined;
        if (runAt != null && runAt <= options.now) entry.oldestPendingRunAt = runAt;
      }
      // An executor whose tasks all went meanwhile is not listed, as if it had been read before.
      if (Object.values(entry.byStatus).some((n) => n > 0)) stats.push(entry);
    }
    return stats.sort((a, b) => (a.executorName < b.executorName ? -1 : 1));
  }

  /** How many tasks `executorName` has in `status`, counted a chunk of the index at a time. */
  async #countOf(
    executorName: string,
    status: TaskStatus,
    turn: () => Promise<void>,
  ): Promise<number> {
    let count = 0;
    let below: string | undefined;
    for (;;) {
      await turn();
      const params = { executor: executorName, status, size: COUNT_CHUNK_ROWS };
      const row = this.#db.read(() =>
        this.#db.stmt(countSql(below !== undefined)).get(
          below === undefined ? params : { ...params, below },
        )
      )!;
      count += row.n as number;
      if ((row.n as number) < COUNT_CHUNK_ROWS) return count;
      below = row.last as string;
    }
  }

  async taskPurgeFinished(options: { before: number; limit: number }): Promise<number> {
    if (options.limit <= 0) return 0;
    const changes = this.#db.write(() =>
      this.#db.stmt(
        `DELETE FROM tasks WHERE id IN (
           SELECT id FROM tasks INDEXED BY tasks_finished
           WHERE status IN ('completed', 'cancelled') AND completed_at < ? ${limitOf("?")})`,
      ).run(options.before, options.limit).changes
    );
    return Number(changes);
  }

  async taskDeleteMany(
    tasks: readonly TaskVersion[],
    options: DeleteOptions = {},
  ): Promise<number> {
    if (tasks.length === 0) return 0;
    // One statement per status and run read (most tasks are in their first run, so a bulk delete
    // is one or a few): each deletes its ids (through the primary key) only while they are still
    // in that status and run, so a task requeued since (a new run) or moved on stays. A group of
    // one takes the one-row statement (10,000 tasks each in a run of its own: 50 ms, not 250).
    const groups = Map.groupBy(tasks, (task) => `${task.status}\n${task.run}`);
    const changes = this.#db.write(() => {
      const many = this.#db.stmt(
        `DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(?))
           AND status = ? AND run = ? AND status != 'dlq'`,
      );
      const one = this.#db.stmt(
        "DELETE FROM tasks WHERE id = ? AND status = ? AND run = ? AND status != 'dlq'",
      );
      let deleted = 0;
      for (const group of groups.values()) {
        const [{ status, run }] = group;
        const removed = group.length === 1
          ? one.run(group[0].id, status, run)
          : many.run(JSON.stringify(group.map((task) => task.id)), status, run);
        deleted += Number(removed.changes);
      }
      return deleted;
    });
    // Committed: told before the sync, which may fail with the tasks deleted.
    options.onDeleted?.(changes);
    await this.#db.onDisk();
    return Number(changes);
  }
}
