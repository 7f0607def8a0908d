/**
 * The search part of the store contract: tasks whose data or metadata match a `TaskSearch`, found
 * by scanning the newest tasks (of an executor and statuses when given) within a budget.
 */
import type { Task, TaskStatus } from "../domain/task.ts";
import type { TaskSearch } from "../domain/task_search.ts";
import { ThreadSlices } from "../thread_slices.ts";

/** One search page request. */
export interface TaskSearchQuery {
  executorName?: string;
  /** Any of these statuses; empty or absent = every status. */
  status?: TaskStatus[];
  search: TaskSearch;
  /** Go on below this task id (a `nextCursor`). */
  cursor?: string;
  /** At most this many matches. */
  limit: number;
  /** Look at most at this many tasks. */
  scanLimit: number;
  /**
   * Stop before a match whose stored text would take the matches' past this many bytes (one
   * match at least), so that no match past the page is parsed.
   */
  maxBytes?: number;
  /** Stop looking after this many ms of wall time. */
  budgetMs: number;
  /** Stop looking once aborted (the client that asked went away); the page so far is answered. */
  signal?: AbortSignal;
}

/**
 * Matches, newest first. `nextCursor` goes on after the last task looked at when the page is
 * full or a budget ran out, so a page may hold fewer than `limit` matches and still have a next
 * one; `null` = no task is left to look at.
 */
export interface TaskSearchPage {
  items: Task[];
  nextCursor: string | null;
  /** Tasks looked at for this page. */
  scanned: number;
}

/** Where tasks are searched; `Store.search` of both stores. */
export interface TaskSearchStore {
  taskSearch(query: TaskSearchQuery): Promise<TaskSearchPage>;
}

/** How a `ScanPage` is cut. */
export interface ScanPageOptions<T> {
  limit: number;
  scanLimit: number;
  /** Wall time from the page's construction, in ms, as `TaskSearchQuery.budgetMs`. */
  budgetMs: number;
  /** As `TaskSearchQuery.signal`. */
  signal?: AbortSignal;
  /** With `sizeOf`: the most bytes of matches, as `TaskSearchQuery.maxBytes`. */
  maxBytes?: number;
  sizeOf?: (item: T) => number;
}

/**
 * A search page being filled from a scan of tasks, newest first. It looks at one task at least,
 * then the scan is cut when `limit` matched, `scanLimit` were looked at, `budgetMs` passed or
 * `signal` was aborted; the stores scan lazily, so a task not reached costs nothing.
 *
 * @example
 * ```ts
 * import { ScanPage } from "./task_search.ts";
 * const page = new ScanPage<string>({ limit: 1, scanLimit: 10, budgetMs: 1000 });
 * page.look("b", "task b", false); // false: go on
 * page.look("a", "task a", true); // true: cut, the page is full
 * console.log(page.result()); // { items: ["task a"], nextCursor: "a", scanned: 2 }
 * ```
 */
export class ScanPage<T> {
  readonly #options: ScanPageOptions<T>;
  readonly #items: T[] = [];
  #looked = 0;
  #bytes = 0;
  #lastId: string | null = null;
  #cutAfter: string | null = null;
  readonly #slices = new ThreadSlices();
  readonly #deadline: number;

  constructor(options: ScanPageOptions<T>) {
    this.#options = options;
    this.#deadline = Date.now() + options.budgetMs;
  }

  /** Records one task looked at (`id`: the task's id); `true` = cut the scan here. */
  look(id: string, item: T, match: boolean): boolean {
    if (match && this.#overBytes(item)) {
      // Not looked at after all: the next page starts with it.
      this.#cutAfter = this.#lastId;
      return true;
    }
    this.#looked++;
    this.#lastId = id;
    if (match) this.#items.push(item);
    const cut = this.#items.length >= this.#options.limit ||
      this.#looked >= this.#options.scanLimit || Date.now() > this.#deadline ||
      this.#options.signal?.aborted === true;
    if (cut) this.#cutAfter = id;
    return cut;
  }

  /** Whether a match would take the page past `maxBytes` (never the first); else counts it. */
  #overBytes(item: T): boolean {
    const { maxBytes, sizeOf } = this.#options;
    if (maxBytes === undefined || sizeOf === undefined) return false;
    const size = sizeOf(item);
    if (this.#items.length > 0 && this.#bytes + size > maxBytes) return true;
    this.#bytes += size;
    return false;
  }

  /**
   * Gives the thread back between tasks once the scan has held it for a slice (`ThreadSlices`),
   * so a scan as long as its budget never holds the manager's thread for more than a slice and
   * one task.
   */
  turn(): Promise<void> {
    return this.#slices.turn();
  }

  /** The page: a cut scan goes on below the last task looked at (there may be none left). */
  result(): { items: T[]; nextCursor: string | null; scanned: number } {
    return { items: this.#items, nextCursor: this.#cutAfter, scanned: this.#looked };
  }
}
