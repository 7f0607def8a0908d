/**
 * `TaskSearchStore` over the embedded store: the ids of the newest tasks are read in id order (the
 * primary key; the executor and status narrow it), then each task is read and decided by
 * `matchesTaskSearchText` one at a time, so no task past the scan's end is read or parsed and the
 * scan gives the thread back between slices (`ScanPage.turn`).
 */
import { matchesTaskSearchText } from "../../domain/task_search.ts";
import type { Task } from "../../domain/task.ts";
import type { SqliteRunner } from "./history.ts";
import { ScanPage, type TaskSearchPage, type TaskSearchQuery } from "../task_search.ts";
import { storedSize } from "../store.ts";
import type { TaskSearchStore } from "../task_search.ts";

/** `TaskSearchStore` over the embedded store's database (see the module doc). */
export class SqliteTaskSearch implements TaskSearchStore {
  readonly #run: SqliteRunner;
  readonly #toTask: (row: Record<string, unknown>) => Task;

  constructor(run: SqliteRunner, toTask: (row: Record<string, unknown>) => Task) {
    this.#run = run;
    this.#toTask = toTask;
  }

  async taskSearch(query: TaskSearchQuery): Promise<TaskSearchPage> {
    const where: string[] = [];
    const params: Record<string, string | number> = { scan: query.scanLimit };
    if (query.executorName !== undefined) {
      where.push("executor_name = $executor");
      params.executor = query.executorName;
    }
    const statuses = [...new Set(query.status ?? [])];
    if (statuses.length > 0) {
      where.push(`status IN (${statuses.map((_, i) => `$s${i}`).join(", ")})`);
      statuses.forEach((status, i) => params[`s${i}`] = status);
    }
    if (query.cursor !== undefined) {
      where.push("id < $cursor");
      params.cursor = query.cursor;
    }
    // Ids only: sorting them (an executor's tasks come from its index in status order) reads no data.
    const sql = `SELECT id FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT $scan`;
    const ids = this.#run.read(() => this.#run.stmt(sql).all(params)).map((row) =>
      row.id as string
    );
    const deadline = Date.now() + query.budgetMs;
    type Row = Record<string, unknown>;
    const page = new ScanPage<Row>({
      ...query,
      overBudget: () => Date.now() > deadline,
      sizeOf: storedSize,
    });
    const one = this.#run.stmt("SELECT * FROM tasks WHERE id = ?");
    for (const id of ids) {
      const row = this.#run.read(() => one.get(id));
      // A task deleted since its id was read is looked at and not found.
      const match = row !== undefined &&
        matchesTaskSearchText(String(row.data), String(row.metadata), query.search);
      if (page.look(id, row ?? {}, match)) break;
      await page.turn();
    }
    const { items, ...rest } = page.result();
    return { items: items.map(this.#toTask), ...rest };
  }
}
