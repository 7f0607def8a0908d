/**
 * `TaskSearchStore` over the embedded store: the newest tasks are read in id order (the primary
 * key; the executor and status narrow it) and `matchesTaskSearchText` runs inside SQLite's scan
 * as the function `task_search_match`, one row at a time, so a scan stops where its budget ends.
 */
import type { DatabaseSync } from "node:sqlite";
import { matchesTaskSearchText, type TaskSearch } from "../../domain/task_search.ts";
import type { Task } from "../../domain/task.ts";
import type { SqliteRunner } from "./history.ts";
import { ScanPage, type TaskSearchPage, type TaskSearchQuery } from "../task_search.ts";
import type { TaskSearchStore } from "../task_search.ts";

/** `TaskSearchStore` over the embedded store's database (see the module doc). */
export class SqliteTaskSearch implements TaskSearchStore {
  readonly #run: SqliteRunner;
  readonly #toTask: (row: Record<string, unknown>) => Task;

  constructor(
    db: DatabaseSync,
    run: SqliteRunner,
    toTask: (row: Record<string, unknown>) => Task,
  ) {
    this.#run = run;
    this.#toTask = toTask;
    // RFC 6901 pointers cannot be written as SQLite JSON paths (a token of digits is an array
    // index or an object key depending on the value), so the one rule in the domain runs here.
    db.function(
      "task_search_match",
      { deterministic: true },
      (data, metadata, search) =>
        matchesTaskSearchText(String(data), String(metadata), JSON.parse(String(search))) ? 1 : 0,
    );
  }

  taskSearch(query: TaskSearchQuery): Promise<TaskSearchPage> {
    const where: string[] = [];
    const params: Record<string, string | number> = {
      search: JSON.stringify(query.search satisfies TaskSearch),
      scan: query.scanLimit,
    };
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
    const sql = `SELECT *, task_search_match(data, metadata, $search) AS hit FROM tasks
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT $scan`;
    const deadline = Date.now() + query.budgetMs;
    type Row = Record<string, unknown>;
    const page = new ScanPage<Row>({ ...query, overBudget: () => Date.now() > deadline });
    this.#run.read(() => {
      for (const row of this.#run.stmt(sql).iterate(params)) {
        if (page.look(row.id as string, row, row.hit === 1)) break;
      }
    });
    const { items, ...rest } = page.result();
    return Promise.resolve({ items: items.map(this.#toTask), ...rest });
  }
}
