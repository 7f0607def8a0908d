/**
 * `TaskSearchStore` over MongoDB. Task data and metadata are stored as JSON text (FerretDB 1.24
 * refuses field names starting with `$`, which user data may hold), so no server-side query or
 * index can look inside them: the newest tasks (of an executor and statuses when given) are read
 * in `_id` order, in batches, and `matchesTaskSearchText` decides each, within the scan budget.
 */
import type { Collection, Document, Filter } from "mongodb";
import { matchesTaskSearchText } from "../../domain/task_search.ts";
import type { Task } from "../../domain/task.ts";
import { ScanPage, type TaskSearchPage, type TaskSearchQuery } from "../task_search.ts";
import { storedSize } from "../store.ts";
import type { TaskSearchStore } from "../task_search.ts";

/** Documents fetched per round trip while scanning. */
const SCAN_BATCH = 200;

/** What the search needs of a task document. */
export interface SearchableTaskDoc extends Document {
  _id: string;
  data: string;
  metadata: string;
}

/** `TaskSearchStore` over the `tasks` collection (see the module doc). */
export class MongoTaskSearch<D extends SearchableTaskDoc> implements TaskSearchStore {
  readonly #tasks: Collection<D>;
  readonly #deps: {
    guard: <T>(work: () => Promise<T>) => Promise<T>;
    toTask: (doc: D) => Task;
  };

  constructor(
    tasks: Collection<D>,
    deps: { guard: <T>(work: () => Promise<T>) => Promise<T>; toTask: (doc: D) => Task },
  ) {
    this.#tasks = tasks;
    this.#deps = deps;
  }

  taskSearch(query: TaskSearchQuery): Promise<TaskSearchPage> {
    return this.#deps.guard(async () => {
      const filter: Document = {};
      if (query.executorName !== undefined) filter.executorName = query.executorName;
      if (query.status && query.status.length > 0) filter.status = { $in: query.status };
      if (query.cursor !== undefined) filter._id = { $lt: query.cursor };
      const page = new ScanPage<D>({
        ...query,
        sizeOf: storedSize,
      });
      const cursor = this.#tasks.find(filter as Filter<D>).sort({ _id: -1 })
        .limit(query.scanLimit).batchSize(SCAN_BATCH);
      try {
        for await (const doc of cursor) {
          const match = matchesTaskSearchText(doc.data, doc.metadata, query.search);
          if (page.look(doc._id, doc as D, match)) break;
          await page.turn();
        }
      } finally {
        await cursor.close();
      }
      const { items, ...rest } = page.result();
      return { items: items.map(this.#deps.toTask), ...rest };
    });
  }
}
