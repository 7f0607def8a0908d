/**
 * The store contract for schedules (`store.schedules`): CRUD, the due query the scheduler runs
 * each tick (an index walk on the next fire time), and compare-and-set of a schedule's fire state.
 * Implemented by `sqlite/schedules.ts` and `mongo/schedules.ts`; tests/schedule_store_contract.ts.
 */
import type { Schedule, ScheduleFire } from "../domain/schedule.ts";

/** The fire state a fire (or a manual trigger) writes. */
export interface ScheduleFireState {
  nextFireAt: number | null;
  lastTaskId: string | null;
  lastFires: ScheduleFire[];
}

/**
 * Where a page of schedules starts and stops: `PageRequestBounds` of store.ts, written out here
 * because store.ts imports this module.
 */
export interface SchedulePageBounds {
  /** `nextCursor` of the previous page. */
  cursor?: string;
  limit: number;
  /** Stop before the schedule whose stored text would take the page past this; absent = none. */
  maxBytes?: number;
}

/**
 * One page of schedules and where the next one starts (`null` = last page), with each one's
 * cursor: a `StorePage<Schedule>` (store.ts imports this module, so the shape is spelled here).
 */
export interface SchedulePage {
  items: Schedule[];
  nextCursor: string | null;
  cursors: string[];
}

/** Which schedules to list or count. */
export interface ScheduleFilter {
  /** Only the schedules of these executors (none when empty); absent = every executor's. */
  executorNames?: readonly string[];
}

/**
 * Schedule persistence. Every verb is atomic on its own. Times are epoch ms. Every write of an
 * existing schedule (`scheduleUpdate`, `scheduleSetFireState`) is a compare and set on the version
 * the caller read, so that a write built from an older read (a change of settings racing a fire)
 * cannot put back what another write replaced, such as a next fire time that has fired.
 *
 * A schedule never outlives its executor: `scheduleCreate` and `scheduleUpdate` store a schedule
 * only while the executor it names exists, checked in the step that writes, and
 * `Store.executorDelete` deletes an executor's schedules with it (its docstring says how each
 * store keeps that against writes at the same time, and what a racing client may see).
 */
/** Where a due batch ends: its last schedule's next fire time (epoch ms) and id. */
export interface DueCursor {
  nextFireAt: number;
  id: string;
}

export interface ScheduleStore {
  /**
   * Stores a new schedule, unless the store already holds `options.max` schedules (counted and
   * inserted in one transaction on SQLite; on MongoDB one manager's creates count and insert one
   * at a time, and creates through several managers racing within those round trips may pass it
   * together, as `executorCreate`'s do).
   *
   * Refused when `schedule.executorName` names no executor: on SQLite it is read in the insert's
   * transaction; on MongoDB after the insert, which is deleted again when the executor is gone.
   *
   * @throws {ConflictError} when the name is taken (whether or not the store is full)
   * @throws {FailedPreconditionError} when the store holds `options.max` schedules
   * @throws {NotFoundError} when its executor does not exist (`executorMissingError`)
   */
  scheduleCreate(schedule: Schedule, options?: { max?: number }): Promise<Schedule>;
  /**
   * By name, else by id: a name that is also another schedule's id finds the schedule of that
   * name (as `Store.executorGet` does). With `byId`, by id only (a re-read of a schedule held).
   */
  scheduleGet(idOrName: string, options?: { byId?: boolean }): Promise<Schedule | null>;
  /**
   * One page of the schedules `filter` matches, by name, after `page.cursor`: at most
   * `page.limit`, and with `page.maxBytes` it stops before the schedule whose stored text would
   * take the page past it (`PageTaker`: one schedule at least), so that no schedule past the page
   * is parsed. The cursor is the name of the page's last schedule (names are unique).
   */
  scheduleList(filter: ScheduleFilter, page: SchedulePageBounds): Promise<SchedulePage>;
  /** How many schedules `filter` matches (no schedule is read). */
  scheduleCount(filter?: ScheduleFilter): Promise<number>;
  /**
   * The names of every schedule (at most `limits.schedules`), read without their settings: what
   * the metrics keep series for.
   */
  scheduleNames(): Promise<string[]>;
  /**
   * Replaces the schedule `schedule.id` as given where it is still at `schedule.version` (compare
   * and set), bumping the version by one; `null` when it changed meanwhile or does not exist (the
   * caller reads it again to tell). Refused when the executor it names does not exist: on SQLite
   * it is read in the update's transaction; on MongoDB after the update, which, when it moved the
   * schedule to that executor, is undone by compare and set (the fire state written meanwhile
   * kept); a schedule the executor's delete swept meanwhile stays deleted.
   *
   * @throws {ConflictError} when a rename takes a name that is taken
   * @throws {NotFoundError} when its executor does not exist (`executorMissingError`)
   */
  scheduleUpdate(schedule: Schedule): Promise<Schedule | null>;
  /** `false` when it did not exist. */
  scheduleDelete(id: string): Promise<boolean>;
  /**
   * Up to `limit` enabled schedules whose `nextFireAt` is at or before `now`, earliest first (by
   * `nextFireAt`, then `id`), after `after` when given: the last schedule of the batch before, so
   * schedules left due (fires that failed) are not read again. Walks an index on the next fire
   * time (and id) of enabled schedules: no scan of the others.
   */
  scheduleDue(options: { now: number; limit: number; after?: DueCursor }): Promise<Schedule[]>;
  /**
   * Writes the fire state where the schedule is still at `version` (compare and set), bumping
   * it; `false` when the schedule changed meanwhile or is gone.
   */
  scheduleSetFireState(id: string, version: number, state: ScheduleFireState): Promise<boolean>;
}
