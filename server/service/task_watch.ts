/**
 * Waiting producers: who waits for which tasks to reach a final state (completed, failed, dlq,
 * cancelled), woken by this manager's own task events and, for tasks finished through another
 * manager sharing the store, by a bounded poll of the store for the ids waited on. Waits read
 * statuses only (`taskRefsOf`); a whole task is read when its wait hands it over, so a wait whose
 * reader is slow holds ids, not tasks.
 */
import {
  type FieldViolation,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
} from "../domain/errors.ts";
import type { Limits } from "../domain/limits.ts";
import { ENDED_STATUSES, type Task } from "../domain/task.ts";
import type { Store, TaskRef } from "../store/store.ts";
import { ANONYMOUS_ADMIN, type Principal } from "../auth/scopes.ts";
import type { ServiceEvents } from "./events.ts";
import { KeyShares } from "../auth/shares.ts";
import { assertTaskReadable, taskMissing } from "./tasks.ts";
import { assertNoViolations } from "./violations.ts";
import { log } from "../log.ts";
import { Periodic } from "../periodic.ts";
import { setImmediate } from "node:timers";

/** Task ids one status read of a poll names. */
const POLL_CHUNK = 1000;

/** The error of a wait refused or ended because the manager stops. */
function stopping(): UnavailableError {
  return new UnavailableError("The manager is stopping: wait for tasks on another one");
}

/** What the registry needs. */
export interface TaskWatcherOptions {
  store: Pick<Store, "taskGet" | "taskRefsOf">;
  events: ServiceEvents;
  limits: Pick<Limits, "watchTaskIds" | "taskWatchers" | "watchedTasks" | "idChars">;
  /**
   * How often the store is read for the tasks waited on, in ms (default 250): the most a task
   * finished through another manager waits to be seen here, plus one read.
   */
  pollMs?: number;
}

/**
 * One manager's waits. Each task reaching a final state through this manager is handed to every
 * wait naming it: at once when its settle was written to the store (`tasks_finished`), after a
 * read of its status when the settle was queued (`unacknowledged`) or the change was made by hand
 * (a cancel, a status change: `tasks_changed`). Every `pollMs`, while any wait is open, the
 * statuses of the ids still waited on are read (tasks finished through other managers).
 * Bounded by `limits`: ids per wait, waits at once, ids over all waits.
 *
 * @example
 * ```ts ignore
 * using watch = await service.watch.open(["01J…"], { caller });
 * for (let task; (task = await watch.next(signal));) console.log(task.id, task.status);
 * ```
 */
export class TaskWatcher {
  readonly #store: Pick<Store, "taskGet" | "taskRefsOf">;
  readonly #limits: TaskWatcherOptions["limits"];
  readonly #watches = new Set<TaskWatch>();
  readonly #byId = new Map<string, Set<TaskWatch>>();
  readonly #poll: Periodic;
  /** Waits `openForNew` is making (their task is being created). */
  #reserved = 0;
  /** Each key's share of the waits and of the ids waited for (`KeyShares`). */
  readonly #waitShares: KeyShares;
  readonly #idShares: KeyShares;
  #closed = false;

  constructor(options: TaskWatcherOptions) {
    this.#store = options.store;
    this.#limits = options.limits;
    this.#waitShares = new KeyShares("task_watchers", options.events);
    this.#idShares = new KeyShares("watched_tasks", options.events);
    this.#poll = new Periodic({
      name: "Reading tasks waited for",
      intervalMs: options.pollMs ?? 250,
      run: () => this.#pollOnce(),
      log,
    });
    options.events.on((event) => {
      if (this.#byId.size === 0) return;
      if (event.type === "tasks_finished") {
        // Tasks whose settle the store has written are final: handed over at once (each read
        // whole when its wait takes it). A queued settle may still be dropped: read first.
        this.#deliver(event.taskIds);
        void this.#read(event.queuedTaskIds);
      } else if (event.type === "tasks_changed" && event.taskIds) {
        // A change by hand may not have made them final: read first.
        void this.#read(event.taskIds);
      }
    });
  }

  /** Waits open now. */
  get size(): number {
    return this.#watches.size;
  }

  /**
   * Opens a wait for `taskIds` (repeats count once): each task is handed over once it is final —
   * at once for those final already. `pointer` names the ids field in errors (default
   * `/taskIds`).
   *
   * @throws {InvalidArgumentError} for no ids, more than `limits.watchTaskIds`, or an id that is
   *   not a string of 1 to `limits.idChars` characters
   * @throws {ResourceExhaustedError} when `limits.taskWatchers` waits are open, or the ids would
   *   take the ids waited for past `limits.watchedTasks`, or past the caller's key's share of
   *   either (`KeyShares`: for a key that is not an admin key, half of what the other keys leave)
   * @throws {NotFoundError} naming the first id that is not a task, or a task of an executor the
   *   caller may not read (answered as one that does not exist)
   * @throws {UnavailableError} once the manager is stopping
   */
  async open(
    taskIds: readonly unknown[],
    options: { caller?: Principal; pointer?: string } = {},
  ): Promise<TaskWatch> {
    const ids = this.#check(taskIds, options.pointer ?? "/taskIds");
    const caller = options.caller ?? ANONYMOUS_ADMIN;
    const release = this.#admit(ids.length, caller);
    // Registered before the first read: a task finishing meanwhile is read again, not missed.
    const watch = this.#register(ids, release);
    try {
      const refs = new Map((await this.#store.taskRefsOf(ids)).map((ref) => [ref.id, ref]));
      for (const id of ids) {
        const ref = refs.get(id);
        if (!ref) throw taskMissing(id);
        assertTaskReadable(caller, id, ref.executorName);
      }
      for (const ref of refs.values()) {
        if (ENDED_STATUSES.includes(ref.status)) watch.deliver(ref.id);
      }
    } catch (error) {
      watch.close();
      throw error;
    }
    return watch;
  }

  /**
   * Makes a task with `create` and opens a wait for it (`CreateAndWatchTask`, `POST
   * /api/v1/tasks?wait=…`). Room for the wait is checked first, so that a refusal means nothing
   * was made; the task is waited for from the moment `create` answers, and read once more at the
   * next turn (after the caller has sent the task as created), so that a finish that came while
   * `create` was still waiting for the disk is not missed. The caller may read what it may create
   * (`tasks.create` grants no executor `tasks.read` does not).
   *
   * @throws {ResourceExhaustedError} {UnavailableError} as `open`, before `create` runs
   * @throws what `create` throws
   */
  async openForNew<T extends { task: Task }>(
    create: () => Promise<T>,
    caller: Principal = ANONYMOUS_ADMIN,
  ): Promise<{ made: T; watch: TaskWatch }> {
    const release = this.#admit(1, caller);
    this.#reserved++;
    let made: T;
    try {
      made = await create();
    } catch (error) {
      release();
      throw error;
    } finally {
      this.#reserved--;
    }
    const { task } = made;
    const watch = this.#register([task.id], release);
    if (this.#closed) watch.fail(stopping());
    else if (ENDED_STATUSES.includes(task.status)) watch.deliver(task);
    else setImmediate(() => void this.#read([task.id]));
    return { made, watch };
  }

  /** Ends every open wait with `UnavailableError` and refuses new ones (the manager stops). */
  close(): void {
    this.#closed = true;
    for (const watch of [...this.#watches]) {
      watch.fail(stopping());
    }
  }

  /**
   * Refuses a wait for `count` more ids past the limits or the caller's key's share of them (or
   * once stopping). Waits being made by `openForNew` count as open, with one id each. The answer
   * gives the key's share back.
   */
  #admit(count: number, caller: Principal): () => void {
    if (this.#closed) throw stopping();
    if (this.#watches.size + this.#reserved >= this.#limits.taskWatchers) {
      throw new ResourceExhaustedError(
        `Too many waits for tasks: this manager serves at most ${this.#limits.taskWatchers} at once (MAX_TASK_WATCHERS)`,
      );
    }
    if (this.#byId.size + this.#reserved + count > this.#limits.watchedTasks) {
      throw new ResourceExhaustedError(
        `Too many tasks waited for: this manager waits for at most ${this.#limits.watchedTasks} at once (MAX_WATCHED_TASKS)`,
      );
    }
    const releaseWait = this.#waitShares.take(caller, 1, this.#limits.taskWatchers);
    try {
      const releaseIds = this.#idShares.take(caller, count, this.#limits.watchedTasks);
      return () => {
        releaseWait();
        releaseIds();
      };
    } catch (error) {
      releaseWait();
      throw error;
    }
  }

  /** A new wait for `ids`, woken by events and polls from now on; `release` when it ends. */
  #register(ids: readonly string[], release: () => void): TaskWatch {
    const watch = new TaskWatch(ids, {
      read: (id) => this.#store.taskGet(id),
      onClose: () => {
        if (this.#forget(watch)) release();
      },
    });
    this.#watches.add(watch);
    for (const id of ids) {
      const set = this.#byId.get(id) ?? new Set();
      set.add(watch);
      this.#byId.set(id, set);
    }
    this.#poll.start();
    return watch;
  }

  #check(taskIds: readonly unknown[], pointer: string): string[] {
    const max = this.#limits.watchTaskIds;
    if (!Array.isArray(taskIds) || taskIds.length === 0 || taskIds.length > max) {
      throw InvalidArgumentError.listing("Invalid wait", [
        { field: pointer, message: `Must hold from 1 to ${max} task ids` },
      ]);
    }
    const violations: FieldViolation[] = [];
    taskIds.forEach((id, i) => {
      if (typeof id !== "string" || id === "" || id.length > this.#limits.idChars) {
        violations.push({
          field: `${pointer}/${i}`,
          message: `Must be a task id of 1 to ${this.#limits.idChars} characters`,
        });
      }
    });
    assertNoViolations("Cannot wait for tasks", violations);
    return [...new Set(taskIds as string[])];
  }

  /** Drops an open wait; `false` when it was dropped already. */
  #forget(watch: TaskWatch): boolean {
    if (!this.#watches.delete(watch)) return false;
    for (const id of watch.ids) {
      const set = this.#byId.get(id);
      set?.delete(watch);
      if (set?.size === 0) this.#byId.delete(id);
    }
    // Polls only while someone waits.
    if (this.#watches.size === 0) void this.#poll.stop();
    return true;
  }

  /** Reads the statuses of tasks waited on and hands the final ones over; a deleted one ends its waits. */
  async #read(ids: string[]): Promise<void> {
    // Ids no longer waited on (their waits ended meanwhile) are not read.
    ids = ids.filter((id) => this.#byId.has(id));
    if (ids.length === 0) return;
    let refs: Map<string, TaskRef>;
    try {
      refs = new Map((await this.#store.taskRefsOf(ids)).map((ref) => [ref.id, ref]));
    } catch (error) {
      // The next poll reads them again (the store may be away for a while).
      log.warn("Cannot read tasks waited for", { error });
      return;
    }
    for (const id of ids) {
      const watches = this.#byId.get(id);
      if (!watches) continue;
      const ref = refs.get(id);
      if (!ref) {
        const gone = deletedWhileWaited(id);
        for (const watch of [...watches]) watch.fail(gone);
      } else if (ENDED_STATUSES.includes(ref.status)) {
        for (const watch of [...watches]) watch.deliver(id);
      }
    }
  }

  /** Hands tasks known to be final over to every wait naming them (ids not waited for: none). */
  #deliver(ids: string[]): void {
    for (const id of ids) {
      for (const watch of [...this.#byId.get(id) ?? []]) watch.deliver(id);
    }
  }

  async #pollOnce(): Promise<void> {
    const ids = [...this.#byId.keys()];
    for (let i = 0; i < ids.length && this.#byId.size > 0; i += POLL_CHUNK) {
      await this.#read(ids.slice(i, i + POLL_CHUNK));
    }
  }
}

function deletedWhileWaited(id: string): NotFoundError {
  return new NotFoundError(`Task "${id}" was deleted while waited for`);
}

/**
 * One open wait: `next` gives its tasks, each once, as they become final, then `null` once every
 * task was handed over or the wait is closed. Close it (or `using`) when done early.
 */
export class TaskWatch implements Disposable {
  /** The ids waited for, without repeats. */
  readonly ids: readonly string[];
  readonly #pending: Set<string>;
  /** Final tasks not handed over yet: the task when it came whole, else its id (read on `next`). */
  readonly #ready: (Task | string)[] = [];
  readonly #read: (id: string) => Promise<Task | null>;
  readonly #onClose: () => void;
  #wake: (() => void) | null = null;
  #error: Error | null = null;
  #closed = false;

  /** Made by `TaskWatcher.open`; `read` reads a task when it is handed over by id. */
  constructor(
    ids: readonly string[],
    deps: { read: (id: string) => Promise<Task | null>; onClose: () => void },
  ) {
    this.ids = ids;
    this.#pending = new Set(ids);
    this.#read = deps.read;
    this.#onClose = deps.onClose;
  }

  /** Hands over a final task, whole or by id (once per id). */
  deliver(task: Task | string): void {
    const id = typeof task === "string" ? task : task.id;
    if (this.#closed || !this.#pending.delete(id)) return;
    this.#ready.push(task);
    if (this.#pending.size === 0) this.#onClose();
    this.#wakeUp();
  }

  /** Ends the wait: `next` throws `error` once the tasks handed over before are taken. */
  fail(error: Error): void {
    if (this.#closed) return;
    this.#error = error;
    this.#onClose();
    this.#wakeUp();
  }

  /**
   * The next task to become final, as it is when handed over (read then, when only its id came);
   * `null` when every task was handed over, the wait was closed, or `signal` was aborted (tasks
   * that were final by then are not read).
   *
   * @throws the error the wait failed with (`NotFoundError` for a task deleted meanwhile,
   *   `UnavailableError` when the manager stops)
   */
  async next(signal?: AbortSignal): Promise<Task | null> {
    // Without a turn when a task is ready (its reader writes it in the turn that woke it).
    const readyNow = this.#ready.length > 0 && !signal?.aborted;
    if (!readyNow && !(await this.ready(signal))) return null;
    const ready = this.#ready.shift()!;
    if (typeof ready !== "string") return ready;
    const task = await this.#read(ready);
    if (!task) throw deletedWhileWaited(ready);
    return task;
  }

  /**
   * Waits until `next` has a task to give at once: `true` then; `false` once every task was
   * handed over, the wait was closed, or `signal` was aborted. A reader that sends each task
   * somewhere slow can wait for room to send it, and only then read it with `next`.
   *
   * @throws the error the wait failed with, once the tasks final before it are taken (at once
   *   when `signal` was aborted)
   */
  async ready(signal?: AbortSignal): Promise<boolean> {
    while (true) {
      if (signal?.aborted) {
        // The manager stopping aborts its readers' signals too: they hear why.
        if (this.#error) throw this.#error;
        return false;
      }
      if (this.#ready.length > 0) return true;
      if (this.#error) throw this.#error;
      if (this.#closed || this.#pending.size === 0) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener("abort", done);
          this.#wake = null;
          resolve();
        };
        this.#wake = done;
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** Stops waiting; safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    this.#wakeUp();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #wakeUp(): void {
    this.#wake?.();
  }
}
