/**
 * Pages of tasks and DLQ entries capped by size as well as by count, so that no answer outgrows
 * what default gRPC and HTTP clients accept however large the items are.
 */
import { utf8Length } from "@tasks-executor/proto/json-value";
import type { FieldViolation } from "../domain/errors.ts";
import type { Page } from "../store/store.ts";

/** Paging asked for by a caller. */
export interface PageRequest {
  cursor?: string;
  limit?: number;
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/** Reads one page of a store listing, continuing after `cursor`. */
export type PageFetch<T> = (page: { cursor?: string; limit: number }) => Promise<Page<T>>;

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
 * The page size a caller asked for: `page.limit`, or 50 when it is absent or 0. A size that is not
 * a whole number from 1 to 1000 adds a violation on `limit` (and is given back as it is).
 */
export function pageLimit(page: PageRequest, violations: FieldViolation[]): number {
  const limit = page.limit === undefined || page.limit === 0 ? DEFAULT_PAGE : page.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    violations.push({ field: "limit", message: `Must be a whole number from 1 to ${MAX_PAGE}` });
  }
  return limit;
}

/** A page of at most `limit` items and `maxBytes` of JSON (at least one item), items sized as JSON. */
export function pageBounds<T>(
  page: PageRequest,
  options: { limit: number; maxBytes: number },
): PageBounds<T> {
  return {
    cursor: page.cursor || undefined,
    limit: options.limit,
    maxBytes: options.maxBytes,
    sizeOf: jsonBytes,
  };
}

/**
 * Gathers up to `limit` items and at most `maxBytes` of them (at least one), reading the store in
 * steps sized by the items seen so far: one item first, then as many as the average size says
 * still fit. Items past the page cost a read only when sizes vary within a step, so the work
 * follows the answer's size, not the count asked for (twenty 1 MiB tasks read to answer two held
 * the thread ~1 s). A page cut short by size has a `nextCursor` that continues right after its
 * last item.
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
  const items: T[] = [];
  let bytes = 0;
  let cursor = bounds.cursor;
  while (true) {
    const fit = items.length === 0
      ? 1
      : Math.floor((bounds.maxBytes - bytes) * items.length / bytes);
    const step = Math.min(bounds.limit - items.length, Math.max(1, fit));
    const read = await fetch({ cursor, limit: step });
    for (const [i, item] of read.items.entries()) {
      const size = bounds.sizeOf(item);
      if (items.length > 0 && bytes + size > bounds.maxBytes) {
        // Cut inside this read: ask the store for the cursor right after the last item kept.
        const kept = i === 0 ? { nextCursor: cursor ?? null } : await fetch({ cursor, limit: i });
        return { items, nextCursor: kept.nextCursor };
      }
      items.push(item);
      bytes += size;
    }
    if (read.nextCursor === null || items.length >= bounds.limit) {
      return { items, nextCursor: read.nextCursor };
    }
    cursor = read.nextCursor;
  }
}
