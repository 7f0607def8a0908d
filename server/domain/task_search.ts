/**
 * Searching tasks by a field of their data (a JSON pointer equal to a value) or by a metadata
 * entry: the one match rule both stores run while they scan.
 */
import { parseJsonPointer, valueAtPointer } from "./json_pointer.ts";

/** A search over task data and metadata; both given = both must match. */
export interface TaskSearch {
  /** Data where the value at `pointer` (RFC 6901) equals `value` (JSON equality, scalars only). */
  data?: { pointer: string; value: string | number | boolean | null };
  /** Metadata where `key` is present with exactly `value`. */
  metadata?: { key: string; value: string };
}

/**
 * Whether a task's data and metadata match `search`. Data equality is JSON equality of scalars:
 * `123` matches `123` and `123.0` but not `"123"`; an object or array never matches.
 *
 * @example
 * ```ts
 * import { matchesTaskSearch } from "./task_search.ts";
 * const task = { data: { orderId: 123 }, metadata: { tenant: "acme" } };
 * matchesTaskSearch(task, { data: { pointer: "/orderId", value: 123 } }); // true
 * matchesTaskSearch(task, { metadata: { key: "tenant", value: "other" } }); // false
 * ```
 */
export function matchesTaskSearch(
  task: { data: unknown; metadata: Record<string, string> },
  search: TaskSearch,
): boolean {
  if (search.metadata) {
    const { key, value } = search.metadata;
    if (!Object.hasOwn(task.metadata, key) || task.metadata[key] !== value) return false;
  }
  if (search.data) {
    const tokens = parseJsonPointer(search.data.pointer);
    if (tokens === null) return false;
    const found = valueAtPointer(task.data, tokens);
    if (found !== search.data.value) return false;
  }
  return true;
}

/**
 * `matchesTaskSearch` over stored JSON text (the stores keep data and metadata as text); text
 * that does not parse matches nothing.
 */
export function matchesTaskSearchText(
  data: string,
  metadata: string,
  search: TaskSearch,
): boolean {
  try {
    return matchesTaskSearch(
      { data: search.data ? JSON.parse(data) : null, metadata: JSON.parse(metadata) ?? {} },
      search,
    );
  } catch {
    return false;
  }
}
