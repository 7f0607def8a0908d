/**
 * Settling attempts: turns a worker's outcome or an expired lease into the task's next state
 * (completed, retry with backoff, dead letter, failed) and applies many at once, fenced by lease.
 */
import { retryDelay } from "../domain/backoff.ts";
import type { DlqReason } from "../domain/dlq.ts";
import { UnavailableError } from "../domain/errors.ts";
import { utf8Length } from "@tasks-executor/proto/json-value";
import {
  DEFAULT_EXECUTOR_CONFIG,
  type Executor,
  type WriteConcernLevel,
} from "../domain/executor.ts";
import { MAX_RETRY_DELAY_MS, MAX_TIME_MS } from "../domain/limits.ts";
import type { Task, TaskError } from "../domain/task.ts";
import type { Settlement, SettleRequest, Store } from "../store/store.ts";
import type { ExecutorCache } from "./executor_cache.ts";
import type { StatsRecorder } from "./stats.ts";
import type { TaskSpans } from "../service/task_spans.ts";
import type { HeldLease } from "./worker_registry.ts";
import { log } from "../log.ts";
import { BurstLog } from "../log_throttle.ts";

/**
 * The shortest wait (ms) of a task whose handler said it was rate limited: such a postponement
 * spends no attempt, so a handler that answers it at once every time must not spin.
 */
export const MIN_POSTPONE_MS = 100;

/** What a worker reported for one attempt. */
export type AttemptOutcome =
  | { ok: true; result: unknown; logs?: string[] }
  | {
    ok: false;
    error: string;
    /** The error's stack trace (already cut to `limits.errorStackChars`). */
    stack?: string;
    /** Lines the handler logged during the attempt (already bounded). */
    logs?: string[];
    /** `false` = do not try again (dead-lettered at once). */
    retryable: boolean;
    /** Wait this long before the next attempt instead of the policy's delay (> 0). */
    retryAfterMs?: number;
    /**
     * `validation`: the data failed the executor's schema, dead-lettered at once with that
     * reason. `rate_limited` (the worker protocol's `Result.rate_limited`): the handler was rate
     * limited; the task runs again after `retryAfterMs` (at least `MIN_POSTPONE_MS`) without
     * spending an attempt.
     */
    failureReason?: "validation" | "rate_limited";
  };

/** The attempt being settled. */
export interface AttemptRef {
  /** 1-based number of this attempt. */
  attempt: number;
  maxAttempts: number;
  workerId: string;
  /** The task's run (1, then one more per requeue); recorded with a failed attempt. */
  run?: number;
}

/** Chance and time for a decision. */
export interface DecideOptions {
  now: number;
  random?: () => number;
}

function policyOf(executor: Executor | undefined) {
  return executor?.retryPolicy ?? DEFAULT_EXECUTOR_CONFIG.retryPolicy;
}

function deadOrFailed(
  executor: Executor | undefined,
  error: TaskError,
  reason: DlqReason,
): Settlement {
  const dlq = executor?.dlqConfig ?? DEFAULT_EXECUTOR_CONFIG.dlqConfig;
  return dlq.enabled
    ? { kind: "dlq", error, reason, queueName: dlq.queueName || "dlq" }
    : { kind: "failed", error };
}

/**
 * The next state of a task after one attempt: completed; dead-lettered at once when the worker says
 * the error is not retryable (or the data is invalid); dead-lettered with `max_attempts` when no
 * attempt is left; otherwise a retry after the handler's retry-after or the executor's backoff
 * (both capped at `MAX_RETRY_DELAY_MS`; the retry's `runAt` never passes `MAX_TIME_MS`). With the
 * DLQ disabled, dead-lettering becomes `failed`.
 *
 * @example
 * ```ts
 * import { decideSettlement } from "./settler.ts";
 * const s = decideSettlement({ ok: false, error: "boom", retryable: true },
 *   { attempt: 1, maxAttempts: 3, workerId: "w1" }, undefined, { now: 0 });
 * console.log(s.kind); // "retry"
 * ```
 */
export function decideSettlement(
  outcome: AttemptOutcome,
  attempt: AttemptRef,
  executor: Executor | undefined,
  options: DecideOptions,
): Settlement {
  if (outcome.ok) {
    return outcome.logs?.length
      ? { kind: "completed", result: outcome.result, logs: outcome.logs }
      : { kind: "completed", result: outcome.result };
  }
  if (outcome.failureReason === "rate_limited") {
    const delay = Math.min(
      Math.max(outcome.retryAfterMs ?? 0, MIN_POSTPONE_MS),
      MAX_RETRY_DELAY_MS,
    );
    return {
      kind: "retry",
      runAt: Math.min(options.now + delay, MAX_TIME_MS),
      error: {
        attempt: attempt.attempt,
        message: outcome.error,
        at: options.now,
        workerId: attempt.workerId,
      },
      postponed: true,
    };
  }
  return decideFailure(attempt, executor, {
    ...options,
    message: outcome.error,
    stack: outcome.stack,
    logs: outcome.logs,
    immediate: outcome.failureReason === "validation"
      ? "validation"
      : outcome.retryable
      ? undefined
      : "non_retryable",
    exhausted: "max_attempts",
    retryAfterMs: outcome.retryAfterMs,
  });
}

/**
 * The next state of a task whose lease ran out (`timeout`: its worker is hung or slow) or whose
 * worker went away (`lease_lost`): a failed attempt, retried per policy, dead-lettered with that
 * reason when no attempt is left.
 */
export function decideExpiry(
  attempt: AttemptRef,
  executor: Executor | undefined,
  options: DecideOptions & { reason: "timeout" | "lease_lost"; message: string },
): Settlement {
  return decideFailure(attempt, executor, {
    ...options,
    immediate: undefined,
    exhausted: options.reason,
  });
}

function decideFailure(
  attempt: AttemptRef,
  executor: Executor | undefined,
  options: DecideOptions & {
    message: string;
    immediate: DlqReason | undefined;
    exhausted: DlqReason;
    retryAfterMs?: number;
    stack?: string;
    logs?: string[];
  },
): Settlement {
  const error: TaskError = {
    attempt: attempt.attempt,
    message: options.message || "Attempt failed without a message",
    at: options.now,
    workerId: attempt.workerId,
    ...(attempt.run !== undefined ? { run: attempt.run } : {}),
    ...(options.stack ? { stack: options.stack } : {}),
    ...(options.logs?.length ? { logs: options.logs } : {}),
  };
  if (options.immediate) return deadOrFailed(executor, error, options.immediate);
  if (attempt.attempt >= attempt.maxAttempts) {
    return deadOrFailed(executor, error, options.exhausted);
  }
  // A worker's retry-after is capped like the policy's delays, so a bad value cannot bury a task.
  const delay = options.retryAfterMs && options.retryAfterMs > 0
    ? Math.min(options.retryAfterMs, MAX_RETRY_DELAY_MS)
    : retryDelay(policyOf(executor), attempt.attempt, { random: options.random });
  return { kind: "retry", runAt: Math.min(options.now + delay, MAX_TIME_MS), error };
}

/**
 * Whether `task` shows `settlement` applied at `now`: completed at `now`, or holding the very
 * attempt error the settlement records (same attempt, time, worker and message). It tells, after
 * a batch the store refused part-way, a settlement that landed before the refusal from a lease
 * that something else ended (a rescue, a cancel).
 *
 * @example
 * ```ts
 * import { showsSettlement } from "./settler.ts";
 * const error = { attempt: 1, message: "boom", at: 5, workerId: "w1" };
 * console.log(showsSettlement({ status: "pending", completedAt: null, errors: [error] },
 *   { kind: "retry", runAt: 10, error }, 5)); // true
 * ```
 */
export function showsSettlement(
  task: Pick<Task, "status" | "completedAt" | "errors"> & { runAt?: number },
  settlement: Settlement,
  now: number,
): boolean {
  if (settlement.kind === "completed") {
    return task.status === "completed" && task.completedAt === now;
  }
  if (settlement.kind === "retry" && settlement.postponed) {
    return task.status === "pending" && task.runAt === settlement.runAt;
  }
  const { attempt, at, workerId, message } = settlement.error;
  return task.errors.some((e) =>
    e.attempt === attempt && e.at === at && e.workerId === workerId && e.message === message
  );
}

/** One settlement to apply for a lease held through this manager. */
export interface SettleItem {
  lease: HeldLease;
  settlement: Settlement;
}

function requestOf(item: SettleItem): SettleRequest {
  return {
    taskId: item.lease.taskId,
    leaseToken: item.lease.leaseToken,
    settlement: item.settlement,
  };
}

/**
 * Tasks a batch of settlements made final: `committed`, written to the store when `apply`
 * answers (reads see them final); `queued`, of executors whose write concern is
 * `unacknowledged`, which a store may answer before writing them: the embedded store queues them
 * for its group commit and drops one whose lease was taken over meanwhile (another manager's
 * rescue). MongoDB writes them before answering all the same; they are kept apart by level, not
 * by store.
 */
export interface FinishedTasks {
  committed: string[];
  queued: string[];
}

/** Applies settlements in as few store calls as the executors' write concerns allow. */
export class Settler {
  readonly #store: Store;
  readonly #executors: ExecutorCache;
  readonly #stats: StatsRecorder;
  readonly #onApplied: (executorNames: string[], finished: FinishedTasks) => void;
  readonly #spans: TaskSpans | null;
  /**
   * The per-task lines a burst of failures writes once each, a few per executor a minute, then a
   * count (10,000 failing tasks once wrote 10,000 lines).
   */
  readonly #lines = {
    deadLettered: new BurstLog("warn", "Task dead-lettered"),
    failed: new BurstLog("warn", "Task failed for good"),
    resultRefused: new BurstLog(
      "error",
      "Store refused a task's result; its attempt fails instead",
    ),
  };

  /**
   * `onApplied` hears, after each batch that changed any task, which executors' tasks changed
   * and which tasks reached a final state (completed, failed, dlq).
   */
  constructor(
    store: Store,
    executors: ExecutorCache,
    stats: StatsRecorder,
    onApplied: (executorNames: string[], finished: FinishedTasks) => void = () => {},
    spans: TaskSpans | null = null,
  ) {
    this.#store = store;
    this.#executors = executors;
    this.#stats = stats;
    this.#onApplied = onApplied;
    this.#spans = spans;
  }

  /**
   * Applies every settlement where the lease still holds: one `taskSettle` call per write concern
   * level, run side by side. The answer says, in order, which were applied.
   *
   * A batch the store refuses for a reason other than being unavailable (one result over what a
   * MongoDB document holds, say) is applied item by item, so the others still settle; a result the
   * store refuses on its own fails its attempt instead, not retryable, and that item's
   * `settlement` is replaced by the failure. Part of a refused batch may have been applied before
   * the refusal (FerretDB writes a batch in chunks): such an item is answered as applied, not
   * refused (see `#applyOneByOne`).
   *
   * @throws {UnavailableError} when the store is unavailable (nothing is known to be applied)
   */
  async apply(items: SettleItem[], now: number): Promise<boolean[]> {
    const applied = new Array<boolean>(items.length).fill(false);
    if (items.length === 0) return applied;
    const groups = new Map<WriteConcernLevel, { indexes: number[]; requests: SettleRequest[] }>();
    items.forEach((item, i) => {
      const level = this.#executors.peek(item.lease.executorName)?.writeConcern.level ??
        DEFAULT_EXECUTOR_CONFIG.writeConcern.level;
      let group = groups.get(level);
      if (!group) {
        group = { indexes: [], requests: [] };
        groups.set(level, group);
      }
      group.indexes.push(i);
      group.requests.push(requestOf(item));
    });
    await Promise.all(
      [...groups].map(async ([level, group]) => {
        const options = { writeConcern: level, now };
        let answers: boolean[];
        try {
          answers = await this.#store.taskSettle(group.requests, options);
        } catch (error) {
          if (error instanceof UnavailableError) throw error;
          log.warn("Store refused a batch of settlements, applying them one by one", { error });
          answers = await this.#applyOneByOne(group.indexes.map((i) => items[i]), options);
        }
        answers.forEach((ok, j) => (applied[group.indexes[j]] = ok));
      }),
    );
    const changed = new Set<string>();
    const finished: FinishedTasks = { committed: [], queued: [] };
    for (const [level, group] of groups) {
      for (const i of group.indexes) {
        const item = items[i];
        if (!applied[i]) continue;
        this.#count(item, now);
        changed.add(item.lease.executorName);
        if (item.settlement.kind === "retry") continue;
        (level === "unacknowledged" ? finished.queued : finished.committed).push(item.lease.taskId);
      }
    }
    if (changed.size > 0) this.#onApplied([...changed], finished);
    return applied;
  }

  /**
   * Applies, one by one, settlements whose batch the store refused. An item whose lease is no
   * longer held is looked up instead: applied when its task shows this very settlement
   * (`showsSettlement`: the refused batch wrote it before failing), refused otherwise.
   */
  async #applyOneByOne(
    items: SettleItem[],
    options: { writeConcern: Executor["writeConcern"]["level"]; now: number },
  ): Promise<boolean[]> {
    const checks = await this.#store.leaseCheck(items.map((item) => item.lease));
    const answers: boolean[] = [];
    for (const [j, item] of items.entries()) {
      if (checks[j].held) {
        answers.push(await this.#applyAlone(item, options));
      } else {
        const task = await this.#store.taskGet(item.lease.taskId);
        answers.push(task !== null && showsSettlement(task, item.settlement, options.now));
      }
    }
    return answers;
  }

  /** Applies one settlement; a result the store refuses becomes a failed attempt. */
  async #applyAlone(
    item: SettleItem,
    options: { writeConcern: Executor["writeConcern"]["level"]; now: number },
  ): Promise<boolean> {
    try {
      const [ok] = await this.#store.taskSettle([requestOf(item)], options);
      return ok;
    } catch (error) {
      const settlement = item.settlement;
      if (error instanceof UnavailableError || settlement.kind !== "completed") throw error;
      const bytes = utf8Length(JSON.stringify(settlement.result ?? null));
      this.#lines.resultRefused.write(item.lease.executorName, {
        taskId: item.lease.taskId,
        error,
      });
      item.settlement = decideSettlement(
        {
          ok: false,
          error: `Result could not be stored: the store refused it (${bytes} bytes of JSON)`,
          retryable: false,
        },
        item.lease,
        this.#executors.peek(item.lease.executorName),
        { now: options.now },
      );
      const [ok] = await this.#store.taskSettle([requestOf(item)], options);
      return ok;
    }
  }

  /** Writes the counts of per-task lines left out (at the engine's stop). */
  close(): void {
    for (const lines of Object.values(this.#lines)) lines.close();
  }

  #count(item: SettleItem, now: number): void {
    const counters = this.#stats.of(item.lease.executorName);
    this.#stats.sample(counters.runTimeMs, now - item.lease.startedAt);
    const settlement = item.settlement;
    this.#spans?.settled(item.lease, {
      kind: settlement.kind,
      error: settlement.kind === "completed" ? undefined : settlement.error.message,
    }, now);
    switch (item.settlement.kind) {
      case "completed":
        counters.completed++;
        break;
      case "retry":
        if (item.settlement.postponed) break;
        counters.failedAttempts++;
        counters.retried++;
        break;
      case "dlq":
        counters.failedAttempts++;
        counters.deadLettered++;
        this.#lines.deadLettered.write(item.lease.executorName, {
          taskId: item.lease.taskId,
          attempt: item.lease.attempt,
          reason: item.settlement.reason,
        });
        break;
      case "failed":
        counters.failedAttempts++;
        counters.failed++;
        this.#lines.failed.write(item.lease.executorName, {
          taskId: item.lease.taskId,
          attempt: item.lease.attempt,
        });
        break;
    }
  }
}
