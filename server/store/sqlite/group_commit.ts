/**
 * The group commit of unacknowledged writes (`writeConcern: unacknowledged`): inserts and
 * settlements are queued and committed together in one transaction a moment later, or at once
 * when the queue is full or any other verb of the store runs (`SqliteConnection.write`/`read`).
 */
import type { NewTask } from "../../domain/task.ts";
import { log } from "../../log.ts";
import type { SettleRequest } from "../store.ts";

/** Most queued unacknowledged rows before they are committed without waiting. */
const MAX_QUEUED = 5000;

/** A task waiting for the group commit, and whether its executor must exist then. */
export interface QueuedInsert {
  task: NewTask;
  /** `InsertOptions.requireExecutors`: checked at the commit, where the row is written. */
  requireExecutors: boolean;
}

/** A settlement waiting for the group commit, with the time it was asked for. */
export interface QueuedSettle {
  request: SettleRequest;
  now: number;
}

/** How the queued rows are committed. */
export interface GroupCommitOptions {
  /** How long queued rows wait to be committed together (ms). */
  delayMs: number;
  /**
   * Writes the rows in one transaction; a row that lost a race to another process is dropped
   * (nobody waits for its answer). A throw loses the whole batch, which is logged.
   */
  commit: (inserts: QueuedInsert[], settles: QueuedSettle[]) => void;
}

/** The queue of unacknowledged writes of one store (see the module doc). */
export class GroupCommit {
  readonly #options: GroupCommitOptions;
  #inserts: QueuedInsert[] = [];
  #settles: QueuedSettle[] = [];
  /** Tasks with a settlement in the queue: a second one is refused, as a committed one would be. */
  readonly #settleIds = new Set<string>();
  #timer: number | null = null;

  constructor(options: GroupCommitOptions) {
    this.#options = options;
  }

  /** Queues new tasks (without idempotency keys: `insertWriteConcern`). */
  addInserts(tasks: NewTask[], options: { requireExecutors: boolean }): void {
    for (const task of tasks) {
      this.#inserts.push({ task, requireExecutors: options.requireExecutors });
    }
    this.#schedule();
  }

  /** Queues a settlement; `false` when the task already has one queued. */
  addSettle(request: SettleRequest, now: number): boolean {
    if (this.#settleIds.has(request.taskId)) return false;
    this.#settleIds.add(request.taskId);
    this.#settles.push({ request, now });
    this.#schedule();
    return true;
  }

  #schedule(): void {
    if (this.#inserts.length + this.#settles.length >= MAX_QUEUED) {
      this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, this.#options.delayMs);
  }

  /** Commits every queued write in one transaction (nothing when the queue is empty). */
  flush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#inserts.length === 0 && this.#settles.length === 0) return;
    const inserts = this.#inserts;
    const settles = this.#settles;
    this.#inserts = [];
    this.#settles = [];
    this.#settleIds.clear();
    try {
      this.#options.commit(inserts, settles);
    } catch (error) {
      log.error("Lost unacknowledged task writes", {
        count: inserts.length + settles.length,
        error,
      });
    }
  }
}
