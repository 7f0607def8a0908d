/**
 * The dead letter queue on the embedded store: the tasks in status `dlq`. The dead-letter facts
 * (`dlq_reason`, `dlq_queue_name`, `dead_at`) are columns of the task, written by the settlement
 * that moves it there (settle.ts) and cleared by the update that takes it out; the DLQ verbs are
 * queries and transitions on `tasks`, served by the partial indexes `tasks_dead` and
 * `tasks_dead_executor` (schema.ts). A `DlqEntry` is the API's view of such a row (`rowToDlqEntry`).
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
import type { DlqEntry } from "../../domain/dlq.ts";
import type { Task } from "../../domain/task.ts";
import type {
  DeleteOptions,
  DlqFilter,
  Page,
  PageRequestBounds,
  StorePage,
  TaskRef,
} from "../store.ts";
import { dlqCursor, dlqCursorOf, PageTaker, storedSize } from "../store.ts";
import { CLEAR_LEASE } from "./claim.ts";
import { limitOf, type SqliteConnection } from "./connection.ts";
import { deleteTasksWhere, offerAll, rowToRef } from "./tasks.ts";
import { json, type Params, type Row, rowToDlqEntry, rowToTask } from "./rows.ts";

/** Sets the dead-letter columns of a task that leaves `dlq` (or never was there). */
export const CLEAR_DEAD_LETTER = "dlq_reason = NULL, dlq_queue_name = NULL, dead_at = NULL";

/** The DLQ verbs of the `Store` contract over one connection. */
export class SqliteDlq {
  readonly #db: SqliteConnection;

  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  /** The conditions (on `tasks`) of a DLQ filter, the first being that the task is dead. */
  #dlqWhere(filter: DlqFilter, params: Params): string[] {
    const where = ["status = 'dlq'"];
    if (filter.executorName !== undefined) {
      where.push("executor_name = $executor");
      params.executor = filter.executorName;
    }
    if (filter.reason !== undefined) {
      where.push("dlq_reason = $reason");
      params.reason = filter.reason;
    }
    if (filter.deadBefore !== undefined) {
      where.push("dead_at < $deadBefore");
      params.deadBefore = filter.deadBefore;
    }
    return where;
  }

  async dlqList(filter: DlqFilter, page: PageRequestBounds): Promise<StorePage<DlqEntry>> {
    return this.#dlqPage(filter, page, "*", rowToDlqEntry);
  }

  async dlqListRefs(
    filter: DlqFilter,
    page: { cursor?: string; limit: number },
  ): Promise<Page<TaskRef>> {
    return this.#dlqPage(
      filter,
      { ...page, maxBytes: undefined },
      "id, executor_name, status, run, dead_at",
      rowToRef,
    );
  }

  /** A page of `columns` of the dead tasks, newest death first (cursors: `dlqCursorOf`). */
  #dlqPage<T>(
    filter: DlqFilter,
    page: PageRequestBounds,
    columns: string,
    toItem: (row: Row) => T,
  ): StorePage<T> {
    const params: Params = { limit: page.limit + 1 };
    const where = this.#dlqWhere(filter, params);
    const after = dlqCursor(page.cursor);
    if (after) {
      where.push("(dead_at, id) < ($cursorDeadAt, $cursorId)");
      params.cursorDeadAt = after.deadAt;
      params.cursorId = after.id;
    }
    const sql = `SELECT ${columns} FROM tasks WHERE ${where.join(" AND ")}
      ORDER BY dead_at DESC, id DESC ${limitOf("$limit")}`;
    const taker = new PageTaker<Row>(page, storedSize);
    this.#db.read(() => offerAll(this.#db.stmt(sql).iterate(params), taker));
    return taker.page(
      toItem,
      (row) => dlqCursorOf({ deadAt: row.dead_at as number, id: row.id as string }),
    );
  }

  async dlqGet(id: string): Promise<DlqEntry | null> {
    const row = this.#db.read(() =>
      this.#db.stmt("SELECT * FROM tasks WHERE id = ? AND status = 'dlq'").get(id)
    );
    return row ? rowToDlqEntry(row) : null;
  }

  async dlqRequeue(
    id: string,
    options: { now: number; data?: unknown; run?: number },
  ): Promise<Task | null> {
    const row = this.#db.read(() =>
      this.#db.stmt(
        `UPDATE tasks SET status = 'pending', attempt = 0, run = run + 1, run_at = $now,
           updated_at = $now, completed_at = NULL, worker_id = NULL, ${CLEAR_LEASE},
           ${CLEAR_DEAD_LETTER},
           data = CASE WHEN $hasData THEN $data ELSE data END
         WHERE id = $id AND status = 'dlq' AND ($run IS NULL OR run = $run)
         RETURNING *`,
      ).get({
        id,
        run: options.run ?? null,
        now: options.now,
        hasData: options.data !== undefined ? 1 : 0,
        data: json(options.data),
      })
    );
    await this.#db.onDisk();
    return row ? rowToTask(row) : null;
  }

  async dlqDelete(id: string, options: { run?: number } = {}): Promise<boolean> {
    const changes = this.#db.read(() =>
      this.#db.stmt(
        "DELETE FROM tasks WHERE id = ? AND status = 'dlq' AND (?2 IS NULL OR run = ?2)",
      ).run(id, options.run ?? null).changes
    );
    await this.#db.onDisk();
    return Number(changes) === 1;
  }

  dlqPurge(filter: DlqFilter, options: DeleteOptions = {}): Promise<number> {
    const params: Params = {};
    const where = this.#dlqWhere(filter, params);
    return deleteTasksWhere(this.#db, where.join(" AND "), params, undefined, options.onDeleted);
  }
}
