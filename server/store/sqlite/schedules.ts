/**
 * Schedules on the embedded SQLite store: table `schedules` (queried columns, the rest as JSON in
 * `body`) with a partial index on `next_fire_at` and `id` of enabled schedules for the due query.
 */
// Verbs are async by contract; node:sqlite answers synchronously.
// deno-lint-ignore-file require-await
import type { StatementSync } from "node:sqlite";
import { ConflictError } from "../../domain/errors.ts";
import { type Schedule, schedulesFullError } from "../../domain/schedule.ts";
import type { DueCursor, ScheduleFilter, ScheduleFireState, ScheduleStore } from "../schedules.ts";
import { type PageRequestBounds, PageTaker, storedSize, type StorePage } from "../store.ts";
import { limitOf, namedOrWithId } from "./connection.ts";
import { assertExecutorNow } from "./owned.ts";
import { pageReadInTurn } from "../../thread_slices.ts";

/** Tables and indexes, created with the store's own. */
export const SCHEDULES_SCHEMA = `
CREATE TABLE IF NOT EXISTS schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  executor_name TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  next_fire_at INTEGER,
  version INTEGER NOT NULL,
  body TEXT NOT NULL
);
DROP INDEX IF EXISTS schedules_due;
CREATE INDEX IF NOT EXISTS schedules_due_by_id ON schedules (next_fire_at, id) WHERE enabled = 1;
CREATE INDEX IF NOT EXISTS schedules_executor ON schedules (executor_name);
CREATE INDEX IF NOT EXISTS schedules_executor_name ON schedules (executor_name, name);
`;

/** The store's plumbing this module writes through (`SqliteConnection`, connection.ts). */
export interface SqliteAccess {
  /** Runs `fn` in one write transaction. */
  write<T>(fn: () => T): T;
  /** Runs a read after committing queued writes. */
  read<T>(fn: () => T): T;
  /** A cached prepared statement. */
  stmt(sql: string): StatementSync;
  /** Resolves once committed transactions are on disk. */
  onDisk(): Promise<void>;
}

type Row = Record<string, unknown>;
type Params = Record<string, string | number>;

/** The conditions of a filter; one executor walks the index on (executor_name, name). */
function filterWhere(filter: ScheduleFilter, params: Params): string[] {
  const names = filter.executorNames;
  if (names === undefined) return [];
  if (names.length === 1) {
    params.executor = names[0];
    return ["executor_name = $executor"];
  }
  params.executors = JSON.stringify(names);
  return ["executor_name IN (SELECT value FROM json_each($executors))"];
}

function rowToSchedule(row: Row): Schedule {
  const body = JSON.parse(row.body as string) as Omit<
    Schedule,
    "id" | "name" | "executorName" | "enabled" | "nextFireAt" | "version"
  >;
  return {
    ...body,
    id: row.id as string,
    name: row.name as string,
    executorName: row.executor_name as string,
    enabled: row.enabled === 1,
    nextFireAt: row.next_fire_at as number | null,
    version: row.version as number,
  };
}

function bodyOf(schedule: Schedule): string {
  const { id: _i, name: _n, executorName: _e, enabled: _a, nextFireAt: _f, version: _v, ...body } =
    schedule;
  return JSON.stringify(body);
}

function isUniqueViolation(error: unknown): boolean {
  return /UNIQUE constraint failed/.test(String((error as Error)?.message));
}

/** `ScheduleStore` over the embedded store's database. */
export class SqliteScheduleStore implements ScheduleStore {
  readonly #db: SqliteAccess;

  constructor(access: SqliteAccess) {
    this.#db = access;
  }

  async scheduleCreate(schedule: Schedule, options: { max?: number } = {}): Promise<Schedule> {
    const taken = () => new ConflictError(`Schedule "${schedule.name}" already exists`);
    // One transaction: creates (through any manager on the file) count and insert in turn, and
    // an executor's delete comes wholly before the insert (refused) or after it (takes it along).
    this.#db.write(() => {
      assertExecutorNow(this.#db, schedule.executorName, "create schedule");
      if (options.max !== undefined) {
        if (this.#db.stmt("SELECT 1 FROM schedules WHERE name = ?").get(schedule.name)) {
          throw taken();
        }
        const count = Number(this.#db.stmt("SELECT count(*) AS n FROM schedules").get()!.n);
        if (count >= options.max) throw schedulesFullError(count);
      }
      try {
        this.#db.stmt(
          `INSERT INTO schedules (id, name, executor_name, enabled, next_fire_at, version, body)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          schedule.id,
          schedule.name,
          schedule.executorName,
          schedule.enabled ? 1 : 0,
          schedule.nextFireAt,
          schedule.version,
          bodyOf(schedule),
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
    });
    await this.#db.onDisk();
    return structuredClone(schedule);
  }

  async scheduleGet(idOrName: string, options?: { byId?: boolean }): Promise<Schedule | null> {
    const row = this.#db.read(() =>
      this.#db.stmt(
        options?.byId ? "SELECT * FROM schedules WHERE id = ?1" : namedOrWithId("schedules"),
      ).get(idOrName)
    );
    return row ? rowToSchedule(row) : null;
  }

  scheduleList(filter: ScheduleFilter, page: PageRequestBounds): Promise<StorePage<Schedule>> {
    // A page read holds the thread in one go: in its turn (`PAGE_READ_TURNS`, see store.ts).
    return pageReadInTurn(() => this.#list(filter, page), page);
  }

  async #list(filter: ScheduleFilter, page: PageRequestBounds): Promise<StorePage<Schedule>> {
    const params: Params = { limit: page.limit + 1 };
    const where = filterWhere(filter, params);
    if (page.cursor !== undefined) {
      where.push("name > $cursor");
      params.cursor = page.cursor;
    }
    const sql = `SELECT * FROM schedules ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY name ${limitOf("$limit")}`;
    const taker = new PageTaker<Row>(page, storedSize);
    this.#db.read(() => {
      for (const row of this.#db.stmt(sql).iterate(params)) if (!taker.offer(row)) break;
    });
    return taker.page(rowToSchedule, (row) => row.name as string);
  }

  async scheduleCount(filter: ScheduleFilter = {}): Promise<number> {
    const params: Params = {};
    const where = filterWhere(filter, params);
    const row = this.#db.read(() =>
      this.#db.stmt(
        `SELECT count(*) AS n FROM schedules ${where.length ? `WHERE ${where.join(" AND ")}` : ""}`,
      ).get(params)
    );
    return Number(row?.n ?? 0);
  }

  async scheduleNames(): Promise<string[]> {
    const rows = this.#db.read(() => this.#db.stmt("SELECT name FROM schedules").all());
    return rows.map((row) => row.name as string);
  }

  async scheduleUpdate(schedule: Schedule): Promise<Schedule | null> {
    const row = this.#db.write(() => {
      assertExecutorNow(this.#db, schedule.executorName, "change schedule");
      try {
        return this.#db.stmt(
          `UPDATE schedules SET name = ?, executor_name = ?, enabled = ?, next_fire_at = ?,
             version = version + 1, body = ? WHERE id = ? AND version = ? RETURNING *`,
        ).get(
          schedule.name,
          schedule.executorName,
          schedule.enabled ? 1 : 0,
          schedule.nextFireAt,
          bodyOf(schedule),
          schedule.id,
          schedule.version,
        );
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ConflictError(`Schedule "${schedule.name}" already exists`);
        }
        throw error;
      }
    });
    await this.#db.onDisk();
    return row ? rowToSchedule(row) : null;
  }

  async scheduleDelete(id: string): Promise<boolean> {
    const { changes } = this.#db.write(() =>
      this.#db.stmt("DELETE FROM schedules WHERE id = ?").run(id)
    );
    await this.#db.onDisk();
    return Number(changes) > 0;
  }

  async scheduleDue(
    options: { now: number; limit: number; after?: DueCursor },
  ): Promise<Schedule[]> {
    const { now, limit, after } = options;
    const rows = this.#db.read(() =>
      after === undefined
        ? this.#db.stmt(
          `SELECT * FROM schedules INDEXED BY schedules_due_by_id
           WHERE enabled = 1 AND next_fire_at <= ? ORDER BY next_fire_at, id ${limitOf("?")}`,
        ).all(now, limit)
        : this.#db.stmt(
          `SELECT * FROM schedules INDEXED BY schedules_due_by_id
           WHERE enabled = 1 AND next_fire_at <= ? AND (next_fire_at, id) > (?, ?)
           ORDER BY next_fire_at, id ${limitOf("?")}`,
        ).all(now, after.nextFireAt, after.id, limit)
    );
    return rows.map(rowToSchedule);
  }

  async scheduleSetFireState(
    id: string,
    version: number,
    state: ScheduleFireState,
  ): Promise<boolean> {
    const applied = this.#db.write(() => {
      const row = this.#db.stmt("SELECT * FROM schedules WHERE id = ? AND version = ?")
        .get(id, version);
      if (!row) return false;
      const schedule = { ...rowToSchedule(row), ...state };
      this.#db.stmt(
        "UPDATE schedules SET next_fire_at = ?, version = version + 1, body = ? WHERE id = ?",
      ).run(state.nextFireAt, bodyOf(schedule), id);
      return true;
    });
    await this.#db.onDisk();
    return applied;
  }
}
