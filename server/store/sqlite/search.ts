/**
 * `TaskSearchStore` over the embedded store: the ids of the newest tasks (of an executor and
 * statuses when given) come from the indexes a chunk at a time (newest_ids.ts), then each task is
 * read and decided by `matchesTaskSearchText` one at a time, so no task past the scan's end is
 * read or parsed, no statement reads more than a chunk, and the scan gives the thread back between
 * slices (`ScanPage.turn`).
 */
import { matchesTaskSearchText } from "../../domain/task_search.ts";
import type { Task } from "../../domain/task.ts";
import type { SqliteRunner } from "./history.ts";
import { ScanPage, type TaskSearchPage, type TaskSearchQuery } from "../task_search.ts";
import { storedSize } from "../store.ts";
import type { TaskSearchStore } from "../task_search.ts";
import { newestIds } from "./newest_ids.ts";

/** `TaskSearchStore` over the embedded store's database (see the module doc). */
export class SqliteTaskSearch implements TaskSearchStore {
  readonly #run: SqliteRunner;
  readonly #toTask: (row: Record<string, unknown>) => Task;

  constructor(run: SqliteRunner, toTask: (row: Record<string, unknown>) => Task) {
    this.#run = run;
    this.#toTask = toTask;
  }

  async taskSearch(query: TaskSearchQuery): Promise<TaskSearchPage> {
    type Row = Record<string, unknown>;
    const page = new ScanPage<Row>({
      ...query,
      sizeOf: storedSize,
    });
    const ids = newestIds(this.#run, {
      executorName: query.executorName,
      statuses: query.status,
      below: query.cursor,
    }, { want: query.scanLimit, turn: () => page.turn() });
    const one = this.#run.stmt("SELECT * FROM tasks WHERE id = ?");
    for await (const id of ids) {
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
