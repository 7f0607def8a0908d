/**
 * Tasks on the embedded store: inserts (acknowledged, or queued for the group commit), reads and
 * lists, stats, and deletes; the claim lives in claim.ts, settlements and leases in settle.ts.
 * Also the demand table that managers sharing the file use to share out `maxConcurrency`.
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
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
} from "../store.ts";
import {
  emptyTaskStats,
  idRangeOf,
  insertWriteConcern,
  type ListPageBounds,
  PageTaker,
  scanLimitOf,
  storedSize,
} from "../store.ts";
import { MIN_PENDING_RUN_AT, type SqliteClaims } from "./claim.ts";
import type { SqliteConnection } from "./connection.ts";
import type { GroupCommit, QueuedInsert } from "./group_commit.ts";
import { assertExecutorNow, executorExistsNow } from "./owned.ts";
import { flowOfRow, json, type Params, type Row, rowToTask } from "./rows.ts";
import { ThreadSlices } from "../../thread_slices.ts";

/** Offers `rows` to `taker` until it is full (the statement is then finished, unread). */
export function offerAll(rows: Iterable<Row>, taker: PageTaker<Row>): void {
  for (const row of rows) if (!taker.offer(row)) return;
}

/** Tasks one statement of `deleteTasksWhere` deletes (one statement deleting 200,000 held the thread 0.7 s). */
const DELETE_BATCH = 1000;

/**
 * Deletes every task matching `where` (SQL over `tasks`, bound to `params`) a batch at a time,
 * giving the thread back between batches, then waits for the disk; answers how many went. Each
 * batch is a transaction of its own.
 */
export async function deleteTasksWhere(
  db: SqliteConnection,
  where: string,
  params: Params,
): Promise<number> {
  const sql =
    `DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE ${where} LIMIT ${DELETE_BATCH})`;
  const slices = new ThreadSlices();
  let deleted = 0;
  for (;;) {
    const changes = Number(db.write(() => db.stmt(sql).run(params).changes));
    deleted += changes;
    if (changes < DELETE_BATCH) break;
    await slices.turn();
  }
  await db.onDisk();
  return deleted;
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
   * `flows` keeps what the transaction read, by executor name.
   */
  insertRow(task: NewTask, flows: Map<string, FlowControl | null> = new Map()): NewTask | null {
    if ((task.groupKey ?? null) === null) {
      const flow = this.#flowNow(task.executorName, flows);
      const groupKey = flow ? groupKeyOf({ data: task.data, groupKey: null }, flow) : null;
      if (groupKey !== null) task = { ...task, groupKey };
    }
    const result = this.#db.stmt(
      `INSERT INTO tasks (id, executor_name, data, metadata, status, priority, run_at, attempt,
         max_attempts, errors, result, created_at, updated_at, idempotency_key, traceparent,
         tracestate, group_key)
       VALUES (?, ?, ?, ?, 'pending', ?, ?, 0, ?, '[]', 'null', ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ).run(
      task.id,
      task.executorName,
      json(task.data),
      json(task.metadata ?? {}),
      task.priority,
      task.runAt,
      task.maxAttempts,
      task.createdAt,
      task.createdAt,
      task.idempotencyKey ?? null,
      task.traceparent ?? null,
      task.tracestate ?? null,
      task.groupKey ?? null,
    );
    return Number(result.changes) === 1 ? task : null;
  }

  /** The flow control of executor `name` now (`null`: no such executor), read once per `flows`. */
  #flowNow(name: string, flows: Map<string, FlowControl | null>): FlowControl | null {
    let flow = flows.get(name);
    if (flow === undefined) {
      const row = this.#db.stmt("SELECT flow FROM executors WHERE name = ?").get(name);
      flow = row ? flowOfRow(row) : null;
      flows.set(name, flow);
    }
    return flow;
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
      outcomes = this.#insertRows(tasks, options);
      return this.#claims.claimRows(claim);
    });
    return {
      outcomes,
      claimed: this.#claims.claimedTasks(rows, claim),
      onDisk: this.#db.onDiskFor(level),
    };
  }

  /**
   * Inserts inside the current transaction; with `requireExecutors`, only when every task's
   * executor exists in it (owned.ts).
   *
   * @throws {NotFoundError} naming the first executor that does not exist
   */
  #insertRows(tasks: NewTask[], options: InsertOptions): InsertOutcome[] {
    if (options.requireExecutors) {
      for (const name of new Set(tasks.map((task) => task.executorName))) {
        assertExecutorNow(this.#db, name, "create task");
      }
    }
    const flows = new Map<string, FlowControl | null>();
    return tasks.map((task): InsertOutcome => {
      const stored = this.insertRow(task, flows);
      if (stored) return { created: true, task: storedTask(stored) };
      const existing = task.idempotencyKey
        ? this.#taskByKey(task.executorName, task.idempotencyKey)
        : null;
      if (!existing) throw new ConflictError(`Task "${task.id}" already exists`);
      return { created: false, task: existing };
    });
  }

  /** Queues tasks without idempotency keys for the group commit (see `insertWriteConcern`). */
  #insertUnacknowledged(tasks: NewTask[], options: InsertOptions): InsertOutcome[] {
    this.#db.assertOpen();
    this.#queue.addInserts(tasks, { requireExecutors: options.requireExecutors ?? false });
    return tasks.map((task) => ({ created: true, task: storedTask(task) }));
  }

  /**
   * Inserts the group commit's queued tasks inside the current transaction. One queued with
   * `requireExecutors` whose executor is gone by now (deleted, maybe by another process, since
   * it was queued) is dropped: its creator was answered already and waits for nothing.
   */
  insertQueued(inserts: QueuedInsert[]): void {
    const flows = new Map<string, FlowControl | null>();
    const exists = new Map<string, boolean>();
    for (const { task, requireExecutors } of inserts) {
      if (requireExecutors) {
        let found = exists.get(task.executorName);
        if (found === undefined) {
          found = executorExistsNow(this.#db, task.executorName);
          exists.set(task.executorName, found);
        }
        if (!found) continue;
      }
      this.insertRow(task, flows);
    }
  }

  async taskGet(id: string): Promise<Task | null> {
    const row = this.#db.read(() => this.#db.stmt("SELECT * FROM tasks WHERE id = ?").get(id));
    return row ? rowToTask(row) : null;
  }

  async taskList(filter: TaskFilter, page: PageRequestBounds): Promise<StorePage<Task>> {
    const taker = new PageTaker<Row>(page, storedSize);
    this.#listRows(filter, page, "*", taker);
    return taker.page(rowToTask, (row) => row.id as string);
  }

  async taskListRefs(
    filter: TaskFilter,
    page: ListPageBounds,
  ): Promise<Page<TaskRef>> {
    const taker = new PageTaker<Row>({ limit: page.limit }, storedSize);
    this.#listRows(filter, page, "id, executor_name, status", taker);
    return taker.page((row) => ({
      id: row.id as string,
      executorName: row.executor_name as string,
      status: row.status as TaskStatus,
    }), (row) => row.id as string);
  }

  async taskRefsOf(ids: readonly string[]): Promise<TaskRef[]> {
    const rows = this.#db.read(() =>
      this.#db.stmt(
        "SELECT id, executor_name, status FROM tasks WHERE id IN (SELECT value FROM json_each(?))",
      ).all(JSON.stringify(ids))
    );
    return rows.map((row) => ({
      id: row.id as string,
      executorName: row.executor_name as string,
      status: row.status as TaskStatus,
    }));
  }

  /** Offers the rows of the listing (`columns` of each), newest first, to `taker`. */
  #listRows(
    filter: TaskFilter,
    page: ListPageBounds,
    columns: string,
    taker: PageTaker<Row>,
  ): void {
    const where: string[] = [];
    const params: Params = { limit: page.limit + 1 };
    if (filter.createdAfter !== undefined) {
      where.push("created_at >= $after");
      params.after = filter.createdAfter;
    }
    if (filter.createdBefore !== undefined) {
      where.push("created_at < $before");
      params.before = filter.createdBefore;
    }
    if (filter.finishedAfter !== undefined) {
      where.push("completed_at >= $finishedAfter");
      params.finishedAfter = filter.finishedAfter;
    }
    if (filter.finishedBefore !== undefined) {
      where.push("completed_at < $finishedBefore");
      params.finishedBefore = filter.finishedBefore;
    }
    const ids = idRangeOf(filter, page.cursor);
    if (ids.from !== undefined) {
      where.push("id >= $idFrom");
      params.idFrom = ids.from;
    }
    if (ids.below !== undefined) {
      where.push("id < $idBelow");
      params.idBelow = ids.below;
    }
    const scanLimit = scanLimitOf(filter, page);
    if (scanLimit !== null) {
      const floor = this.#scanFloor(ids, scanLimit);
      if (floor !== null) {
        where.push("id >= $scanFloor");
        params.scanFloor = floor;
        taker.cutAt = floor;
      }
    }
    const statuses = [...new Set(filter.status ?? [])];
    // An executor's tasks of any status: one (executor, status) index range per status.
    if (statuses.length === 0 && filter.executorName !== undefined) statuses.push(...TASK_STATUSES);
    if (statuses.length === 0) {
      const sql = `SELECT ${columns} FROM tasks ${
        where.length ? `WHERE ${where.join(" AND ")}` : ""
      }
        ORDER BY id DESC LIMIT $limit`;
      this.#db.read(() => offerAll(this.#db.stmt(sql).iterate(params), taker));
      return;
    }
    this.#db.read(() =>
      this.#listByStatus(filter.executorName, statuses, where, params, columns, taker)
    );
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

  /**
   * A page filtered by executor or status, newest first. Tasks are indexed by (executor, status, id) only, so
   * each (executor, status) pair gives its newest ids in index order and the pairs are merged:
   * no sort of every matching task, and no index that every status change would have to update.
   */
  #listByStatus(
    executorName: string | undefined,
    statuses: string[],
    where: string[],
    params: Params,
    columns: string,
    taker: PageTaker<Row>,
  ): void {
    const clause = ["executor_name = $executor", "status = $status", ...where].join(" AND ");
    if (executorName !== undefined && statuses.length === 1) {
      const sql = `SELECT ${columns} FROM tasks WHERE ${clause} ORDER BY id DESC LIMIT $limit`;
      const rows = this.#db.stmt(sql).iterate({
        ...params,
        executor: executorName,
        status: statuses[0],
      });
      offerAll(rows, taker);
      return;
    }
    // One read transaction, so that every query below sees one snapshot of the file.
    this.#db.stmt("BEGIN").run();
    try {
      const names = executorName !== undefined ? [executorName] : this.#db.stmt(
        `WITH RECURSIVE names(name) AS (
             SELECT min(executor_name) FROM tasks
             UNION ALL
             SELECT (SELECT min(executor_name) FROM tasks WHERE executor_name > names.name)
             FROM names WHERE names.name IS NOT NULL)
           SELECT name FROM names WHERE name IS NOT NULL`,
      ).all().map((row) => row.name as string);
      const newest = this.#db.stmt(
        `SELECT id FROM tasks WHERE ${clause} ORDER BY id DESC LIMIT $limit`,
      );
      const ids: string[] = [];
      for (const name of names) {
        for (const status of statuses) {
          for (const row of newest.all({ ...params, executor: name, status })) {
            ids.push(row.id as string);
          }
        }
      }
      ids.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      ids.length = Math.min(ids.length, params.limit as number);
      if (ids.length === 0) return;
      const rows = this.#db.stmt(
        `SELECT ${columns} FROM tasks WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id DESC`,
      ).iterate(JSON.stringify(ids));
      offerAll(rows, taker);
    } finally {
      this.#db.stmt("COMMIT").run();
    }
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

  async taskStats(options: { now: number }): Promise<ExecutorTaskStats[]> {
    const byName = new Map<string, ExecutorTaskStats>();
    const entry = (name: string): ExecutorTaskStats => {
      let stats = byName.get(name);
      if (!stats) {
        stats = emptyTaskStats(name);
        byName.set(name, stats);
      }
      return stats;
    };
    this.#db.read(() => {
      // One read transaction, so that the queries below see one snapshot of the file.
      this.#db.stmt("BEGIN").run();
      try {
        const counts = this.#db.stmt(
          "SELECT executor_name, status, count(*) AS n FROM tasks GROUP BY executor_name, status",
        ).all();
        for (const row of counts) {
          const stats = entry(row.executor_name as string);
          stats.byStatus[row.status as TaskStatus] = row.n as number;
          // The DLQ is the executor's dead tasks.
          if (row.status === "dlq") stats.dlqSize = row.n as number;
        }
        const oldest = this.#db.stmt(MIN_PENDING_RUN_AT);
        for (const stats of byName.values()) {
          if (stats.byStatus.pending === 0) continue;
          const runAt = oldest.get({ executor: stats.executorName, after: -Infinity })?.value as
            | number
            | null
            | undefined;
          if (runAt != null && runAt <= options.now) stats.oldestPendingRunAt = runAt;
        }
      } finally {
        this.#db.stmt("COMMIT").run();
      }
    });
    return [...byName.values()].sort((a, b) => (a.executorName < b.executorName ? -1 : 1));
  }

  async taskPurgeFinished(options: { before: number; limit: number }): Promise<number> {
    if (options.limit <= 0) return 0;
    const changes = this.#db.write(() =>
      this.#db.stmt(
        `DELETE FROM tasks WHERE id IN (
           SELECT id FROM tasks INDEXED BY tasks_finished
           WHERE status IN ('completed', 'cancelled') AND completed_at < ? LIMIT ?)`,
      ).run(options.before, options.limit).changes
    );
    return Number(changes);
  }

  async taskDeleteMany(ids: string[], options: { statuses: TaskStatus[] }): Promise<number> {
    if (ids.length === 0 || options.statuses.length === 0) return 0;
    const changes = this.#db.write(() =>
      this.#db.stmt(
        `DELETE FROM tasks WHERE id IN (SELECT value FROM json_each(?))
           AND status IN (SELECT value FROM json_each(?)) AND status != 'dlq'`,
      ).run(JSON.stringify(ids), JSON.stringify(options.statuses)).changes
    );
    await this.#db.onDisk();
    return Number(changes);
  }
}
