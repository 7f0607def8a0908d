/**
 * The workers listing (REST `GET /api/v1/workers`, gRPC `ListWorkers`): this manager's connected
 * and recently gone workers, a page at a time, bounded by count and by size as the other lists are.
 */
import type { FieldViolation } from "../domain/errors.ts";
import type { WorkerDirectory, WorkerSnapshot } from "../engine/workers.ts";
import type { Page } from "../store/store.ts";
import {
  collectPage,
  jsonBytes,
  MAX_PAGE,
  pageCursorCheck,
  pageLimit,
  type PageRequest,
} from "./paging.ts";
import { assertNoViolations } from "./violations.ts";

/** A workers cursor: `<connection id>:<worker id>` of the last worker of the previous page. */
const WORKER_CURSOR = /^(\d{1,15}):([^]+)$/;

/**
 * One page of the workers `directory` lists, connected and gone alike, by worker id and then by
 * connection: up to `page.limit` (1 to 1000; unset = 1000, so that one page holds them all unless
 * they are large) and at most `options.maxBytes` of JSON (one worker at least), each worker
 * `options.sizeOf` bytes as answered (default its JSON's here); `nextCursor`
 * continues after the last one. Unpaged, 50 workers naming 980 executors of 128 characters made a
 * 6.5 MB answer, past the 4 MiB a default gRPC client receives (~130 MB at 1,000 streams and
 * 1,000 executors), and gone workers kept it so for 10 minutes after every stream closed.
 *
 * @example
 * ```ts
 * import { workersPage } from "./workers.ts";
 * const page = await workersPage({ list: () => [] }, { limit: 10 }, { maxBytes: 2 * 1024 * 1024 });
 * console.log(page); // { items: [], nextCursor: null }
 * ```
 *
 * @throws {InvalidArgumentError} on a bad `limit` or `cursor` (at once, not through the promise)
 */
export function workersPage(
  directory: WorkerDirectory,
  page: PageRequest,
  options: { maxBytes: number; sizeOf?: (worker: WorkerSnapshot) => number },
): Promise<Page<WorkerSnapshot>> {
  const violations: FieldViolation[] = [];
  const limit = pageLimit(page, violations, MAX_PAGE);
  const after = page.cursor ? WORKER_CURSOR.exec(page.cursor) : null;
  pageCursorCheck(page, violations, (cursor) => WORKER_CURSOR.test(cursor));
  assertNoViolations("Invalid worker list", violations);
  const all = [...directory.list(), ...directory.gone?.() ?? []].sort(byPlace);
  const start = after
    ? all.findIndex((w) => byPlace(w, { workerId: after[2], connectionId: Number(after[1]) }) > 0)
    : 0;
  // The workers after the cursor, as a store would read them: `collectPage` cuts the page by size.
  const read = (bounds: { limit: number }) => {
    const items = start < 0 ? [] : all.slice(start, start + bounds.limit);
    const more = start >= 0 && start + items.length < all.length;
    return Promise.resolve({
      items,
      cursors: items.map(workerCursor),
      nextCursor: more ? workerCursor(items[items.length - 1]) : null,
    });
  };
  return collectPage(read, {
    limit,
    maxBytes: options.maxBytes,
    sizeOf: options.sizeOf ?? jsonBytes,
  });
}

/** Where a worker stands in the listing: by worker id, then by connection. */
function byPlace(
  a: Pick<WorkerSnapshot, "workerId" | "connectionId">,
  b: Pick<WorkerSnapshot, "workerId" | "connectionId">,
): number {
  if (a.workerId !== b.workerId) return a.workerId < b.workerId ? -1 : 1;
  return a.connectionId - b.connectionId;
}

function workerCursor(worker: WorkerSnapshot): string {
  return `${worker.connectionId}:${worker.workerId}`;
}
