/**
 * The newest task ids of a selection (an executor, statuses, an id range) on the embedded store,
 * read from the indexes a chunk at a time: what lists, bulk calls and searches walk.
 *
 * Tasks are indexed by (executor, status, id) and by id, nothing else that lists use (an index by
 * status would be updated by every status change). So each (executor, status) pair's index range
 * gives its ids newest first, and the ranges are merged here, newest first. No statement reads
 * more than `CHUNK_ROWS` index entries, none sorts (each is an index SEARCH in id order), and the
 * caller's `turn` runs between statements, so a walk over a store of any size holds the manager's
 * thread for one slice at a time. Before, a list by status read up to 1,001 ids of every
 * executor in one go (300 executors: 250 ms), and a search by status alone walked the primary key
 * over every task (566,000: 150 ms) or sorted all of an executor's ids (200,000: 140 ms).
 *
 * The statements are separate reads, not one snapshot: a task that changes status during a walk
 * may be passed over or met in two ranges; it is given once (the merge meets both copies one after
 * the other), and callers read each task again with their conditions.
 */
import type { StatementSync } from "node:sqlite";
import { TASK_STATUSES } from "../../domain/task.ts";
import { limitOf } from "./connection.ts";
import type { Params } from "./rows.ts";

/** Most index entries one statement of a walk reads. */
export const CHUNK_ROWS = 1000;

/** How the walk runs statements (the store's connection, `SqliteRunner`). */
export interface SqliteReader {
  read<T>(fn: () => T): T;
  stmt(sql: string): StatementSync;
}

/** Which tasks to walk; every field narrows it. */
export interface IdSelection {
  /** One executor's tasks; absent: every executor's. */
  executorName?: string;
  /** Any of these statuses; empty or absent: every status. */
  statuses?: readonly string[];
  /** Ids at or above this. */
  from?: string;
  /** Ids below this (a cursor). */
  below?: string;
  /**
   * Conditions on the task row that no index serves (SQL over `tasks`, e.g. `completed_at >=
   * $after`, with their parameters in `params`): the walk reads past a task failing them, and
   * each statement still reads at most `CHUNK_ROWS` tasks, matching or not.
   */
  rowWhere?: readonly string[];
  params?: Params;
}

/** How a walk is paced. */
export interface WalkOptions {
  /** About how many ids the caller takes: sizes the first reads (it may take fewer or more). */
  want: number;
  /** Awaited before each statement: gives the thread back once a slice is spent (`ThreadSlices.turn`). */
  turn: () => Promise<void>;
}

/**
 * The ids of `selection`, newest first, each once, read lazily: stop taking and nothing more is
 * read.
 *
 * @example
 * ```ts ignore
 * const slices = new ThreadSlices();
 * for await (const id of newestIds(db, { statuses: ["pending"] }, {
 *   want: 100,
 *   turn: () => slices.turn(),
 * })) console.log(id);
 * ```
 */
export async function* newestIds(
  db: SqliteReader,
  selection: IdSelection,
  options: WalkOptions,
): AsyncGenerator<string> {
  const walk = new Walk(db, selection, options.turn);
  const statuses = [...new Set(selection.statuses ?? [])];
  let ranges: IndexRange[];
  if (selection.executorName === undefined && statuses.length === 0) {
    ranges = [new IndexRange(null)];
  } else {
    const names = selection.executorName !== undefined
      ? [selection.executorName]
      : await executorNames(db, options.turn);
    const pairs = statuses.length > 0 ? statuses : TASK_STATUSES;
    ranges = names.flatMap((name) => pairs.map((status) => new IndexRange({ name, status })));
  }
  const size = Math.max(1, Math.min(CHUNK_ROWS, Math.ceil(options.want / ranges.length)));
  const heap = new RangeHeap();
  for (const range of ranges) {
    range.size = size;
    range.below = selection.below;
    await walk.fill(range);
    if (range.head !== undefined) heap.push(range);
  }
  let last: string | undefined;
  while (heap.top) {
    const range = heap.top;
    const id = range.head!;
    range.at++;
    if (id !== last) {
      last = id;
      yield id;
    }
    if (range.head === undefined) await walk.fill(range);
    if (range.head === undefined) heap.pop();
    else heap.sinkTop();
  }
}

/**
 * The names of the executors that have tasks, in order: one index seek each, `turn` awaited
 * before each.
 */
export async function executorNames(
  db: SqliteReader,
  turn: () => Promise<void>,
): Promise<string[]> {
  const names: string[] = [];
  for (;;) {
    const after = names.at(-1);
    await turn();
    const row = db.read(() =>
      db.stmt(namesSql(after !== undefined)).get(after === undefined ? {} : { after })
    );
    if (row?.executor_name == null) return names;
    names.push(row.executor_name as string);
  }
}

/** One index range being walked: its ids read so far and where the next read starts. */
class IndexRange {
  ids: string[] = [];
  at = 0;
  below: string | undefined;
  done = false;
  size = 1;

  /** `null`: every task, by the primary key. */
  constructor(readonly pair: { name: string; status: string } | null) {}

  /** The newest id not given yet, once read. */
  get head(): string | undefined {
    return this.ids[this.at];
  }
}

/** The statements of one walk. */
class Walk {
  readonly #db: SqliteReader;
  readonly #selection: IdSelection;
  readonly #turn: () => Promise<void>;

  constructor(db: SqliteReader, selection: IdSelection, turn: () => Promise<void>) {
    this.#db = db;
    this.#selection = selection;
    this.#turn = turn;
  }

  /** Runs one statement, after giving the thread back when the slice is spent. */
  async #read<T>(fn: () => T): Promise<T> {
    await this.#turn();
    return this.#db.read(fn);
  }

  /** Reads `range` on until it has an id to give or is done; each read doubles the next one. */
  async fill(range: IndexRange): Promise<void> {
    while (range.head === undefined && !range.done) {
      const rows = await this.#read(() => this.#statement(range).all(this.#params(range)));
      const { rowWhere } = this.#selection;
      const kept = rowWhere?.length ? rows.filter((row) => row.ok === 1) : rows;
      range.ids = kept.map((row) => row.id as string);
      range.at = 0;
      if (rows.length > 0) range.below = rows[rows.length - 1].id as string;
      range.done = rows.length < range.size;
      range.size = Math.min(CHUNK_ROWS, range.size * 2);
    }
  }

  #statement(range: IndexRange): StatementSync {
    return this.#db.stmt(rangeSql(this.#selection, range.pair !== null, range.below !== undefined));
  }

  #params(range: IndexRange): Params {
    const params: Params = { size: range.size };
    if (this.#selection.rowWhere?.length) Object.assign(params, this.#selection.params);
    if (range.pair) {
      params.executor = range.pair.name;
      params.status = range.pair.status;
    }
    if (this.#selection.from !== undefined) params.from = this.#selection.from;
    if (range.below !== undefined) params.below = range.below;
    return params;
  }
}

/** The statement that finds the first executor name (after `$after`) that has tasks. */
export function namesSql(after: boolean): string {
  return `SELECT min(executor_name) AS executor_name FROM tasks INDEXED BY tasks_executor_status
    ${after ? "WHERE executor_name > $after" : ""}`;
}

/**
 * The statement that counts one chunk of an (executor, status) pair's tasks, newest first, up to
 * `$size`, and gives the last id it counted: the next chunk goes on below it.
 */
export function countSql(below: boolean): string {
  return `SELECT count(*) AS n, min(id) AS last FROM (
    SELECT id FROM tasks INDEXED BY tasks_executor_status
    WHERE executor_name = $executor AND status = $status ${below ? "AND id < $below" : ""}
    ORDER BY id DESC ${limitOf("$size")})`;
}

/**
 * The statement that reads one chunk of an index range, newest first: of one (executor, status)
 * pair (`pair`), or of every task by the primary key.
 */
export function rangeSql(selection: IdSelection, pair: boolean, below: boolean): string {
  const where: string[] = [];
  if (pair) where.push("executor_name = $executor", "status = $status");
  if (selection.from !== undefined) where.push("id >= $from");
  if (below) where.push("id < $below");
  const ok = selection.rowWhere?.length ? `, (${selection.rowWhere.join(" AND ")}) AS ok` : "";
  return `SELECT id${ok} FROM tasks ${pair ? "INDEXED BY tasks_executor_status" : ""}
    ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC ${limitOf("$size")}`;
}

/** Index ranges by their newest id not given yet, the newest on top (a binary heap). */
class RangeHeap {
  readonly #items: IndexRange[] = [];

  get top(): IndexRange | undefined {
    return this.#items[0];
  }

  push(range: IndexRange): void {
    const items = this.#items;
    items.push(range);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!newer(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): void {
    const last = this.#items.pop()!;
    if (this.#items.length === 0) return;
    this.#items[0] = last;
    this.sinkTop();
  }

  /** Puts the top back in its place after its head moved on. */
  sinkTop(): void {
    const items = this.#items;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let newest = i;
      if (left < items.length && newer(items[left], items[newest])) newest = left;
      if (right < items.length && newer(items[right], items[newest])) newest = right;
      if (newest === i) return;
      [items[i], items[newest]] = [items[newest], items[i]];
      i = newest;
    }
  }
}

function newer(a: IndexRange, b: IndexRange): boolean {
  return a.head! > b.head!;
}
