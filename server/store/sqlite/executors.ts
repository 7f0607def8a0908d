/**
 * Executors on the embedded store: table `executors` (the retry policy, DLQ config, schema and
 * flow control as JSON columns); names are unique, and stay taken while a deletion runs.
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
import type { StatementSync } from "node:sqlite";
import { ConflictError } from "../../domain/errors.ts";
import {
  EXECUTOR_DELETION_LEASE_MS,
  EXECUTOR_KEYING_LEASE_MS,
  executorDeletingError,
  executorInUseError,
  executorsFullError,
} from "../../domain/executor.ts";
import type { Executor } from "../../domain/executor.ts";
import { isKeyed } from "../../domain/flow.ts";
import { isUniqueViolation, limitOf, namedOrWithId, type SqliteConnection } from "./connection.ts";
import { forgetRatesOf } from "./flow.ts";
import { keyingBegin, keyingEnd, keyingsDue, type KeyingWalk, keyTasksStep } from "./keying.ts";
import { ThreadSlices } from "../../thread_slices.ts";
import { log } from "../../log.ts";
import { sweepLeft } from "../store.ts";
import {
  deleteSchedulesOf,
  type Deletion,
  DELETION_SWEEP_WHERE,
  deletionBegin,
  deletionEnd,
  deletionOf,
  deletionsBefore,
  inUseBy,
} from "./owned.ts";
import { deleteTasksWhere } from "./tasks.ts";
import { executorParams, type Params, type Row, rowToExecutor } from "./rows.ts";
import {
  executorUpdatedMeanwhile,
  type ExecutorVersion,
  type PageRequestBounds,
  PageTaker,
  storedSize,
  type StorePage,
} from "../store.ts";

/** The executor verbs of the `Store` contract over one connection. */
export class SqliteExecutors {
  readonly #db: SqliteConnection;
  /** The keying walks this process runs, by executor id and version (`#walk`). */
  readonly #walks = new Map<string, Promise<boolean>>();
  /** Set by `stopWalks`: the store is closing. */
  #stopping = false;

  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  /**
   * A name a deletion still holds is refused; one whose deletion began `EXECUTOR_DELETION_LEASE_MS`
   * or more before `executor.createdAt` is taken for abandoned: this create finishes it first.
   *
   * @throws {ConflictError} when the name is taken
   * @throws {FailedPreconditionError} when full, or while an executor of the name is being deleted
   */
  async executorCreate(executor: Executor, options: { max?: number } = {}): Promise<Executor> {
    let stored = this.#insert(executor, { max: options.max, takeOver: true });
    if (stored.abandoned) {
      await this.#sweep(stored.abandoned);
      stored = this.#insert(executor, { max: options.max, takeOver: false });
    }
    if (stored.keying) void this.#walk(stored.keying);
    await this.#db.onDisk();
    return structuredClone(executor);
  }

  /**
   * Stores `executor` in one transaction (managers sharing the file count and insert in turn),
   * unless a deletion holds its name: answers that deletion when `takeOver` allows and it is
   * abandoned, for the caller to finish; otherwise refuses. Answers the keying walk to run when
   * the executor is keyed.
   */
  #insert(
    executor: Executor,
    options: { max?: number; takeOver: boolean },
  ): { abandoned?: Deletion; keying?: KeyingWalk | null } {
    const taken = () => new ConflictError(`Executor "${executor.name}" already exists`);
    return this.#db.write(() => {
      const deletion = deletionOf(this.#deps, executor.name);
      if (deletion) {
        const abandoned = executor.createdAt - deletion.startedAt >= EXECUTOR_DELETION_LEASE_MS;
        if (options.takeOver && abandoned) return { abandoned: deletion };
        throw executorDeletingError(executor.name);
      }
      if (options.max !== undefined) {
        const found = this.#db.stmt("SELECT 1 FROM executors WHERE name = ?").get(executor.name);
        if (found) throw taken();
        const count = Number(this.#db.stmt("SELECT count(*) AS n FROM executors").get()!.n);
        if (count >= options.max) throw executorsFullError(count);
      }
      try {
        this.#db.stmt(
          `INSERT INTO executors (id, name, enabled, write_concern, retry_policy, dlq_config,
             task_schema, timeout, max_concurrency, flow, created_at, updated_at)
           VALUES ($id, $name, $enabled, $write_concern, $retry_policy, $dlq_config, $task_schema,
             $timeout, $max_concurrency, $flow, $created_at, $updated_at)`,
        ).run(executorParams(executor));
      } catch (error) {
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
      // Tasks may carry the name already (inserted without `requireExecutors`).
      return { keying: isKeyed(executor) ? keyingBegin(this.#deps, executor) : null };
    });
  }

  async executorGet(idOrName: string): Promise<Executor | null> {
    const row = this.#db.read(() => this.#db.stmt(namedOrWithId("executors")).get(idOrName));
    return row ? rowToExecutor(row) : null;
  }

  async executorList(
    filter: { names?: readonly string[] },
    page: PageRequestBounds,
  ): Promise<StorePage<Executor>> {
    const taker = new PageTaker<Row>(page, storedSize);
    const names = filter.names === undefined
      ? ""
      : "AND name IN (SELECT value FROM json_each($names))";
    const sql = `SELECT * FROM executors WHERE name > $after ${names} ORDER BY name ${
      limitOf("$limit")
    }`;
    const params: Params = { after: page.cursor ?? "", limit: page.limit + 1 };
    if (filter.names !== undefined) params.names = JSON.stringify(filter.names);
    this.#db.read(() => {
      for (const row of this.#db.stmt(sql).iterate(params)) if (!taker.offer(row)) break;
    });
    return taker.page(rowToExecutor, (row) => row.name as string);
  }

  async executorVersions(): Promise<ExecutorVersion[]> {
    const sql = "SELECT id, name, updated_at FROM executors ORDER BY name";
    const rows = this.#db.read(() => this.#db.stmt(sql).all());
    return rows.map((row) => ({
      id: row.id as string,
      name: row.name as string,
      updatedAt: Number(row.updated_at),
    }));
  }

  /**
   * An executor that becomes keyed (or is renamed while keyed) has its tasks' missing group keys
   * set to `""`: in the update's transaction when it has few tasks, else those in progress there
   * and the rest by a `KeyingWalk` that runs on after the update answers (`keyingBegin`); task
   * inserts read the executor in theirs (`SqliteTasks.insertRow`). So no task of the executor is
   * left without a key, whatever view its creator had; the pending ones the walk has not reached
   * yet wait for it.
   *
   * @throws {ConflictError} when renamed onto a taken name, or one a deletion still holds
   */
  async executorUpdate(
    executor: Executor,
    options: { basedOn: number },
  ): Promise<Executor | null> {
    const { changes, keying } = this.#db.write(() => {
      const before = this.#db.stmt("SELECT * FROM executors WHERE id = ?").get(executor.id);
      if (
        before &&
        (Number(before.updated_at) !== options.basedOn || executor.updatedAt <= options.basedOn)
      ) {
        throw executorUpdatedMeanwhile(executor.name);
      }
      if (before && before.name !== executor.name && deletionOf(this.#deps, executor.name)) {
        throw new ConflictError(`Executor "${executor.name}" already exists`);
      }
      let changes: number;
      try {
        changes = Number(
          this.#db.stmt(
            `UPDATE executors SET name = $name, enabled = $enabled, write_concern = $write_concern,
               retry_policy = $retry_policy, dlq_config = $dlq_config, task_schema = $task_schema,
               timeout = $timeout, max_concurrency = $max_concurrency, flow = $flow,
               created_at = $created_at,
               updated_at = $updated_at
             WHERE id = $id`,
          ).run(executorParams(executor)).changes,
        );
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ConflictError(`Executor "${executor.name}" already exists`);
        }
        throw error;
      }
      if (changes !== 1) return { changes };
      if (!isKeyed(executor)) {
        keyingEnd(this.#deps, executor.id);
        return { changes };
      }
      const keyedBefore = before !== undefined && isKeyed(rowToExecutor(before)) &&
        before.name === executor.name;
      return { changes, keying: keyedBefore ? null : keyingBegin(this.#deps, executor) };
    });
    if (keying) void this.#walk(keying);
    await this.#db.onDisk();
    return changes === 1 ? structuredClone(executor) : null;
  }

  /**
   * Deletes the executor, its schedules and rate buckets (so that one made later with its name
   * starts afresh) in one transaction, which also counts what a delete without `force` is refused
   * for, and writes the deletion's row (owned.ts), which keeps the name taken; then its tasks, a
   * batch per transaction, and the row once none is left. Writes of its schedules and tasks read
   * the executor in their own transaction (owned.ts): none lands under its name once it is gone,
   * and no executor of the name is stored before the row goes, so the batches, which delete by
   * name, never reach a task of another executor. The delete is done once that transaction
   * commits: a batch that fails after it leaves the rest to the resume (`sweepLeft`).
   *
   * @throws {FailedPreconditionError} without `force`, while it has active tasks or schedules
   */
  async executorDelete(
    id: string,
    options: { force?: boolean; now?: number } = {},
  ): Promise<boolean> {
    const deletion = this.#db.write((): Deletion | null => {
      const row = this.#db.stmt("SELECT name FROM executors WHERE id = ?").get(id);
      if (!row) return null;
      const name = row.name as string;
      if (!options.force) {
        const inUse = inUseBy(this.#deps, name);
        if (inUse.activeTasks > 0 || inUse.schedules > 0) throw executorInUseError(name, inUse);
      }
      forgetRatesOf(this.#deps, name);
      deleteSchedulesOf(this.#deps, name);
      this.#db.stmt("DELETE FROM executors WHERE id = ?").run(id);
      const deletion = { name, executorId: id, startedAt: options.now ?? Date.now() };
      deletionBegin(this.#deps, deletion);
      return deletion;
    });
    if (deletion === null) return false;
    await this.#sweep(deletion).catch((error) => sweepLeft(deletion.name, error));
    return true;
  }

  async executorKeyingsResume(
    options: { now: number; signal?: AbortSignal },
  ): Promise<string[]> {
    const walks = this.#db.read(() =>
      keyingsDue(this.#deps, options.now - EXECUTOR_KEYING_LEASE_MS)
    );
    const names: string[] = [];
    for (const walk of walks) {
      if (options.signal?.aborted) break;
      // A walk this process runs already is joined, not reported: it was not left half-way.
      const joined = this.#walks.has(walkKey(walk));
      if (await this.#walk(walk, options.signal) && !joined) names.push(walk.executorName);
    }
    return names;
  }

  /**
   * Runs `walk` (or joins the run of it this process has under way); answers whether it reached
   * its end. Called in the turn of the commit that began it, so that a resume joins it. A walk
   * that fails (a disk error), that `stopWalks` stopped or whose `signal` aborted (the one of
   * the call that began it) stays due, for the resume.
   */
  #walk(walk: KeyingWalk, signal?: AbortSignal): Promise<boolean> {
    const key = walkKey(walk);
    const running = this.#walks.get(key);
    if (running) return running;
    const walking = this.#keyTasks(walk, signal).catch((error) => {
      log.warn("The keying of an executor's tasks failed: left to the resume", {
        executorId: walk.executorId,
        error,
      });
      return false;
    }).finally(() => this.#walks.delete(key));
    this.#walks.set(key, walking);
    return walking;
  }

  /**
   * Runs `walk` to its end once what began it is on disk, giving the thread back between steps
   * (`ThreadSlices`); answers `false` when it ended early (the executor is gone, a later change
   * ended or took over its walk, `stopWalks`, or `signal`). Two managers may run one walk at
   * once (one taking it for abandoned): each key they write is the same.
   */
  async #keyTasks(walk: KeyingWalk, signal?: AbortSignal): Promise<boolean> {
    const stopped = () => this.#stopping || signal?.aborted === true;
    if (stopped()) return false;
    await this.#db.onDisk();
    const slices = new ThreadSlices();
    for (;;) {
      if (stopped()) return false;
      const step = this.#db.write(() => keyTasksStep(this.#deps, walk));
      if (step.ended) return false;
      if (step.done) break;
      await slices.turn();
    }
    await this.#db.onDisk();
    return true;
  }

  /** Stops the keying walks under way at their next step (they stay due) and waits for them. */
  async stopWalks(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#walks.values());
  }

  async executorDeletionsResume(
    options: { now: number; signal?: AbortSignal },
  ): Promise<string[]> {
    const before = options.now - EXECUTOR_DELETION_LEASE_MS;
    const abandoned = this.#db.read(() => deletionsBefore(this.#deps, before));
    const ended: string[] = [];
    for (const deletion of abandoned) {
      if (await this.#sweep(deletion, options.signal)) ended.push(deletion.name);
    }
    return ended;
  }

  /**
   * Deletes the tasks of `deletion`'s name a batch at a time, then its row; answers `false` when
   * `signal` stopped it first (the row stays, for the resume). Any manager may run it, the one
   * that began the deletion or one finishing it after a crash, both at once too: a batch deletes
   * only while the row stands (`DELETION_SWEEP_WHERE`).
   */
  async #sweep(deletion: Deletion, signal?: AbortSignal): Promise<boolean> {
    const params = { executor: deletion.name, deletion: deletion.executorId };
    for (;;) {
      await deleteTasksWhere(this.#db, DELETION_SWEEP_WHERE, params, signal);
      if (signal?.aborted) return false;
      if (this.#db.write(() => deletionEnd(this.#deps, deletion))) break;
    }
    await this.#db.onDisk();
    return true;
  }

  /** What the flow helpers need of the connection. */
  get #deps(): { stmt(sql: string): StatementSync } {
    return { stmt: (sql) => this.#db.stmt(sql) };
  }
}

/** Which executor and version a keying walk is of. */
function walkKey(walk: KeyingWalk): string {
  return `${walk.executorId}@${walk.version}`;
}
