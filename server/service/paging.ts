/**
 * Pages of tasks and DLQ entries capped by size as well as by count, so that no answer outgrows
 * what default gRPC and HTTP clients accept however large the items are.
 */
import { utf8Length } from "@tasks-executor/proto/json-value";
import type { Page } from "../store/store.ts";

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

// Items read from the store before their sizes are known: this many at a time at first, so that a
// page of large items never holds more than a few of them in memory.
const FIRST_READ = 20;

/**
 * Gathers up to `limit` items and at most `maxBytes` of them (at least one), reading the store in
 * steps sized by the items seen so far. A page cut short by size has a `nextCursor` that continues
 * right after its last item.
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
    const wanted = bounds.limit - items.length;
    const average = items.length > 0 ? bytes / items.length : 0;
    const step = average > 0
      ? Math.min(wanted, Math.floor((bounds.maxBytes - bytes) / average) + 1)
      : Math.min(wanted, FIRST_READ);
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
