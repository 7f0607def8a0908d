/**
 * Pages of tasks and DLQ entries capped by size as well as by count, so that no answer outgrows
 * what default gRPC and HTTP clients accept however large the items are.
 */
import { utf8Length } from "@tasks-executor/proto/json-value";
import { ANONYMOUS_ADMIN, readerOf } from "../auth/scopes.ts";
import type { FieldViolation } from "../domain/errors.ts";
import type { Page, PageRequestBounds, StorePage } from "../store/store.ts";
import type { ReadOptions } from "./caller.ts";

/** Paging asked for by a caller. */
export interface PageRequest {
  cursor?: string;
  limit?: number;
}

const DEFAULT_PAGE = 50;
/** The most items a page holds. */
export const MAX_PAGE = 1000;

/**
 * Reads one page of a store listing, continuing after `cursor`: at most `limit` items and about
 * `maxBytes` of them as stored, one at least (`PageRequestBounds`), each with its cursor.
 */
export type PageFetch<T> = (page: PageRequestBounds) => Promise<StorePage<T>>;

/** How `collectPage` sizes a page. */
export interface PageBounds<T> {
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Most items on the page. */
  limit: number;
  /** Most bytes the items may take together; a page holds at least one item whatever its size. */
  maxBytes: number;
  /** Size of one item in bytes, as it will be answered. */
  sizeOf: (item: T) => number;
  /** Whom the page is read for (`PageRequestBounds.reader`). */
  reader?: string;
  /** The client's request (`PageRequestBounds.signal`). */
  signal?: AbortSignal;
}

/**
 * Size of a value as JSON text, in UTF-8 bytes: how an item is measured against a page's bytes.
 *
 * @example
 * ```ts
 * import { jsonBytes } from "./paging.ts";
 * console.log(jsonBytes({ a: "é" })); // 10
 * ```
 */
export function jsonBytes(value: unknown): number {
  return utf8Length(JSON.stringify(value) ?? "null");
}

/**
 * The page size a caller asked for: `page.limit`, or `unset` (50 unless given) when it is absent or
 * 0. A size that is not a whole number from 1 to 1000 adds a violation on `limit` (and is given
 * back as it is).
 */
export function pageLimit(
  page: PageRequest,
  violations: FieldViolation[],
  unset = DEFAULT_PAGE,
): number {
  const limit = page.limit === undefined || page.limit === 0 ? unset : page.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    violations.push({ field: "limit", message: `Must be a whole number from 1 to ${MAX_PAGE}` });
  }
  return limit;
}

/**
 * Adds a violation on `cursor` when `page.cursor` is given and `isCursor` refuses it: a cursor no
 * previous page could have given (each listing knows the shape of its own).
 *
 * @example
 * ```ts
 * import { pageCursorCheck } from "./paging.ts";
 * const violations: { field: string; message: string }[] = [];
 * pageCursorCheck({ cursor: "x y" }, violations, (cursor) => /^\w+$/.test(cursor));
 * console.log(violations); // [{ field: "cursor", message: "Must be a cursor from a previous page" }]
 * ```
 */
export function pageCursorCheck(
  page: PageRequest,
  violations: FieldViolation[],
  isCursor: (cursor: string) => boolean,
): void {
  if (page.cursor && !isCursor(page.cursor)) {
    violations.push({ field: "cursor", message: "Must be a cursor from a previous page" });
  }
}

/**
 * A page of at most `limit` items and `maxBytes` of JSON (at least one item), items sized as JSON,
 * read for `by.caller` (its turn among page reads, `readerOf`: `PageRequestBounds.reader`) while
 * `by.signal` (its request) is not aborted.
 */
export function pageBounds<T>(
  page: PageRequest,
  size: { limit: number; maxBytes: number },
  by: ReadOptions = {},
): PageBounds<T> {
  return {
    cursor: page.cursor || undefined,
    limit: size.limit,
    maxBytes: size.maxBytes,
    sizeOf: jsonBytes,
    reader: readerOf(by.caller ?? ANONYMOUS_ADMIN),
    signal: by.signal,
  };
}

/**
 * Gathers up to `limit` items and at most `maxBytes` of them (at least one) in one read: the store
 * stops before a row that would take its stored text past `maxBytes`, so no item past the page is
 * parsed (a small newest task and then large ones made a page read 49 large tasks to answer 3;
 * eight such lists at once ran the manager out of memory). The items are then measured as
 * answered; when the store judged them short, the page is cut there and goes on from the cursor of
 * its last item, as the store gave it (a second read for it could repeat an item on the next page
 * when tasks were added meanwhile).
 *
 * @example
 * ```ts ignore
 * const page = await collectPage((p) => store.taskList(filter, p), {
 *   limit: 1000,
 *   maxBytes: 2 * 1024 * 1024,
 *   sizeOf: jsonBytes,
 * });
 * ```
 */
export async function collectPage<T>(fetch: PageFetch<T>, bounds: PageBounds<T>): Promise<Page<T>> {
  const read = await fetch({
    cursor: bounds.cursor,
    limit: bounds.limit,
    maxBytes: bounds.maxBytes,
    reader: bounds.reader,
    signal: bounds.signal,
  });
  const items: T[] = [];
  let bytes = 0;
  for (const [i, item] of read.items.entries()) {
    const size = bounds.sizeOf(item);
    if (items.length > 0 && bytes + size > bounds.maxBytes) {
      // The store judged sizes short: the next page goes on after the last item kept.
      return { items, nextCursor: read.cursors[i - 1] };
    }
    items.push(item);
    bytes += size;
  }
  return { items, nextCursor: read.nextCursor };
}
