/**
 * The task search route of the REST API (`GET /api/v1/tasks/search`): a thin adapter over
 * `TaskSearchService`.
 */
import type { Hono } from "hono";
import type { TaskSearchService } from "../service/task_search.ts";
import { callerOf } from "./auth.ts";
import { presentTask } from "./json.ts";
import { pageOf, queryOf } from "./query_guard.ts";

/** Mounts `GET /api/v1/tasks/search` (before `/api/v1/tasks/:id`, which would take "search"). */
export function mountTaskSearchRoutes(app: Hono, search: TaskSearchService): void {
  app.get("/api/v1/tasks/search", async (c) => {
    const query = queryOf(c);
    const q = (name: string) => query[name];
    const page = await search.searchTasks({
      id: q("id"),
      metadataKey: q("metadataKey"),
      metadataValue: q("metadataValue"),
      dataPointer: q("dataPointer"),
      dataValue: q("dataValue"),
      executorName: q("executorName"),
      status: q("status"),
      ...pageOf(query),
    }, { caller: callerOf(c), signal: c.req.raw.signal });
    return c.json({
      tasks: page.items.map(presentTask),
      nextCursor: page.nextCursor,
      scanned: page.scanned,
    });
  });
}
