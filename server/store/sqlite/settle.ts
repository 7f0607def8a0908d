/**
 * Leases and settlements on the embedded store: the fenced settlement of an attempt (applied only
 * while the task is `in_progress` under the same lease token), lease extension and checks, the
 * rescue of expired leases, compare-and-set transitions, and the one place attempt errors are
 * bounded.
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
import { ENDED_STATUSES, keepTaskErrors, type Task, type TaskStatus } from "../../domain/task.ts";
import type {
  LeaseCheck,
  LeaseRef,
  RescuedTask,
  SettleRequest,
  TransitionChange,
  WriteOptions,
} from "../store.ts";
import { answerLeaseChecks } from "../store.ts";
import { CLEAR_LEASE, LEASED, NEW_TOKEN } from "./claim.ts";
import { CLEAR_DEAD_LETTER } from "./dlq.ts";
import { limitOf, type SqliteConnection } from "./connection.ts";
import type { GroupCommit } from "./group_commit.ts";
import { json, rowToTask } from "./rows.ts";

/** The settlement and lease verbs of the `Store` contract over one connection. */
export class SqliteSettlements {
  readonly #db: SqliteConnection;
  readonly #queue: GroupCommit;
  readonly #errorsKept: number;

  /** `errorsKept`: most attempt errors a task keeps (`keepTaskErrors`). */
  constructor(db: SqliteConnection, options: { queue: GroupCommit; errorsKept: number }) {
    this.#db = db;
    this.#queue = options.queue;
    this.#errorsKept = options.errorsKept;
  }

  /**
   * Applies one fenced settlement inside the current transaction; whether it applied. Every
   * statement takes the fence first (`LEASED`: `?1` id, `?2` lease token), then `?3` = now.
   */
  settleRow(request: SettleRequest, now: number): boolean {
    const s = request.settlement;
    const fence = [request.taskId, request.leaseToken, now] as const;
    let changes: number | bigint;
    switch (s.kind) {
      case "completed":
        changes = this.#db.stmt(
          `UPDATE tasks SET status = 'completed', result = ?4, completed_at = ?3,
             updated_at = ?3, logs = ?5, ${CLEAR_LEASE}
           WHERE ${LEASED}`,
        ).run(...fence, json(s.result), json(s.logs ?? [])).changes;
        break;
      case "retry":
        if (s.postponed) {
          changes = this.#db.stmt(
            `UPDATE tasks SET status = 'pending', run_at = ?4, attempt = attempt - 1,
               updated_at = ?3, ${CLEAR_LEASE}, worker_id = NULL
             WHERE ${LEASED}`,
          ).run(...fence, s.runAt).changes;
          break;
        }
        changes = this.#db.stmt(
          `UPDATE tasks SET status = 'pending', run_at = ?4,
             errors = json_insert(errors, '$[#]', json(?5)), updated_at = ?3, ${CLEAR_LEASE},
             worker_id = NULL
           WHERE ${LEASED}`,
        ).run(...fence, s.runAt, json(s.error)).changes;
        if (Number(changes) === 1) this.#keepErrors(request.taskId);
        break;
      case "failed":
        changes = this.#db.stmt(
          `UPDATE tasks SET status = 'failed', errors = json_insert(errors, '$[#]', json(?4)),
             completed_at = ?3, updated_at = ?3, ${CLEAR_LEASE}
           WHERE ${LEASED}`,
        ).run(...fence, json(s.error)).changes;
        if (Number(changes) === 1) this.#keepErrors(request.taskId);
        break;
      case "dlq":
        // The dead-letter facts go with the status, in this one row (dlq.ts).
        changes = this.#db.stmt(
          `UPDATE tasks SET status = 'dlq', errors = json_insert(errors, '$[#]', json(?4)),
             completed_at = ?3, updated_at = ?3, ${CLEAR_LEASE},
             dlq_reason = ?5, dlq_queue_name = ?6, dead_at = ?3
           WHERE ${LEASED}`,
        ).run(...fence, json(s.error), s.reason, s.queueName).changes;
        if (Number(changes) === 1) this.#keepErrors(request.taskId);
        break;
    }
    return Number(changes) === 1;
  }

  /**
   * The one place a task's attempt errors are bounded, right after one is added (in the same
   * transaction): `keepTaskErrors` to at most `errorsKept`. Returns whether it dropped any.
   */
  #keepErrors(id: string): boolean {
    const row = this.#db.stmt(
      "SELECT errors, errors_dropped FROM tasks WHERE id = ? AND json_array_length(errors) > ?",
    ).get(id, this.#errorsKept);
    if (!row) return false;
    const kept = keepTaskErrors(
      JSON.parse(row.errors as string),
      row.errors_dropped as number,
      this.#errorsKept,
    );
    this.#db.stmt("UPDATE tasks SET errors = ?, errors_dropped = ? WHERE id = ?")
      .run(json(kept.errors), kept.errorsDropped, id);
    return true;
  }

  async taskSettle(
    requests: SettleRequest[],
    options?: WriteOptions & { now: number },
  ): Promise<boolean[]> {
    if (requests.length === 0) return [];
    const now = options?.now ?? Date.now();
    if (options?.writeConcern === "unacknowledged") {
      return this.#settleUnacknowledged(requests, now);
    }
    const answers = this.#db.write(() => requests.map((request) => this.settleRow(request, now)));
    await this.#db.onDiskFor(options?.writeConcern);
    return answers;
  }

  #settleUnacknowledged(requests: SettleRequest[], now: number): boolean[] {
    this.#db.assertOpen();
    return requests.map((request) => {
      const row = this.#db.stmt("SELECT status, lease_token FROM tasks WHERE id = ?").get(
        request.taskId,
      );
      if (row?.status !== "in_progress" || row.lease_token !== request.leaseToken) return false;
      return this.#queue.addSettle(request, now);
    });
  }

  async leaseExtend(leases: LeaseRef[], until: number): Promise<boolean[]> {
    if (leases.length === 0) return [];
    const answers = this.#db.write(() =>
      leases.map((lease) =>
        Number(
          this.#db.stmt(
            `UPDATE tasks SET lease_expires_at = ?3,
               progress = CASE WHEN ?4 THEN ?5 ELSE progress END
             WHERE ${LEASED}`,
          ).run(
            lease.taskId,
            lease.leaseToken,
            until,
            lease.progress !== undefined ? 1 : 0,
            json(lease.progress),
          ).changes,
        ) === 1
      )
    );
    return answers;
  }

  async leaseCheck(leases: LeaseRef[]): Promise<LeaseCheck[]> {
    if (leases.length === 0) return [];
    const rows = this.#db.read(() =>
      this.#db.stmt(
        "SELECT id, status, lease_token FROM tasks WHERE id IN (SELECT value FROM json_each(?))",
      ).all(JSON.stringify(leases.map((lease) => lease.taskId)))
    );
    return answerLeaseChecks(
      leases,
      rows.map((row) => ({
        id: row.id as string,
        status: row.status as TaskStatus,
        leaseToken: row.lease_token as string | null,
      })),
    );
  }

  async taskRescueExpired(
    options: { now: number; limit: number; owner: string; leaseMs: number },
  ): Promise<RescuedTask[]> {
    if (options.limit <= 0) return [];
    const expired = `SELECT id, worker_id FROM tasks INDEXED BY tasks_lease_expiry
      WHERE status = 'in_progress' AND lease_expires_at < $now
      ORDER BY lease_expires_at ${limitOf("$limit")}`;
    const { workers, rows } = this.#db.write(() => {
      // Read and taken in one write transaction: the same tasks, their workers before the takeover.
      const window = { now: options.now, limit: options.limit };
      const workers = new Map(
        this.#db.stmt(expired).all(window).map((row) => [row.id, row.worker_id]),
      );
      const rows = this.#db.stmt(
        `UPDATE tasks SET lease_token = ${NEW_TOKEN}, lease_expires_at = $expires,
           worker_id = $owner, updated_at = $now
         WHERE id IN (SELECT id FROM (${expired}))
         RETURNING *`,
      ).all({ ...window, expires: options.now + options.leaseMs, owner: options.owner });
      return { workers, rows };
    });
    const tasks = rows.map((row) => ({
      ...rowToTask(row),
      expiredWorkerId: (workers.get(row.id) as string | null | undefined) ?? null,
    }));
    tasks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return tasks;
  }

  async taskTransition(
    id: string,
    change: TransitionChange,
  ): Promise<Task | null> {
    const patch = change.patch ?? {};
    const row = this.#db.write(() => {
      const updated = this.#db.stmt(transitionSql("*")).get(transitionParams(id, change));
      if (updated && patch.error && this.#keepErrors(id)) {
        return this.#db.stmt("SELECT * FROM tasks WHERE id = ?").get(id);
      }
      return updated;
    });
    await this.#db.onDisk();
    return row ? rowToTask(row) : null;
  }

  async taskTransitionMany(
    ids: string[],
    change: { from: TaskStatus; to: TaskStatus; now: number },
    options: { onMoved?: (id: string) => void } = {},
  ): Promise<string[]> {
    const moved = this.#db.write(() => {
      const update = this.#db.stmt(transitionSql("id"));
      return ids.filter((id) => update.get(transitionParams(id, change)) !== undefined);
    });
    // Committed: moved, whether or not the sync below fails.
    for (const id of moved) options.onMoved?.(id);
    await this.#db.onDisk();
    return moved;
  }
}

/** The compare-and-set of `taskTransition`, answering `returning` of the task moved. */
function transitionSql(returning: "*" | "id"): string {
  return `UPDATE tasks SET status = $to, updated_at = $now, ${CLEAR_LEASE}, ${CLEAR_DEAD_LETTER},
      result = CASE WHEN $hasResult THEN $result ELSE result END,
      errors = CASE WHEN $error IS NULL THEN errors
                    ELSE json_insert(errors, '$[#]', json($error)) END,
      run_at = coalesce($runAt, run_at),
      attempt = CASE WHEN $reset THEN 0 ELSE attempt END,
      run = CASE WHEN $reset THEN run + 1 ELSE run END,
      data = CASE WHEN $hasData THEN $data ELSE data END,
      completed_at = CASE WHEN $ends THEN $now ELSE NULL END,
      worker_id = CASE WHEN $to = 'pending' THEN NULL ELSE worker_id END
    WHERE id = $id AND status = $from AND ($lease IS NULL OR lease_token = $lease)
      AND ($run IS NULL OR run = $run)
    RETURNING ${returning}`;
}

/** The parameters of `transitionSql` for one task. */
function transitionParams(
  id: string,
  change: TransitionChange,
) {
  const patch = change.patch ?? {};
  return {
    id,
    from: change.from,
    lease: change.leaseToken ?? null,
    run: change.run ?? null,
    to: change.to,
    now: change.now,
    hasResult: patch.result !== undefined ? 1 : 0,
    result: json(patch.result),
    error: patch.error ? json(patch.error) : null,
    runAt: patch.runAt ?? null,
    reset: patch.resetAttempts ? 1 : 0,
    hasData: patch.data !== undefined ? 1 : 0,
    data: json(patch.data),
    ends: ENDED_STATUSES.includes(change.to) ? 1 : 0,
  };
}
