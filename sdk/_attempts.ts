/**
 * Attempts: each assignment the manager sends becomes a running attempt — its `TaskContext`, its
 * trace span, its handler run through `runAttempt` — and, once settled, a result queued and a
 * credit returned. Cancellations abort attempts; a drain waits for them and aborts them. A handler
 * still running `ABORT_SETTLE_MS` after its signal was aborted, whatever aborted it (its timeout, a
 * cancellation, a lost lease, the drain), is abandoned: the one rule, in `#abandon`.
 */
import {
  type AssignmentMessage,
  boundLogLines,
  type CancellationMessage,
  durationFromMs,
  ENUM_PREFIX,
  fromEnum,
  type ResultMessage,
  toEnum,
} from "@tasks-executor/proto";
import { readTraceContext } from "@tasks-executor/proto/tracing";
import { startAttemptSpan } from "./_attempt_span.ts";
import { msOfTimestamp } from "./_grpc.ts";
import { afterMs, MAX_TIMER_MS } from "./_timer.ts";
import type { Credits } from "./_credits.ts";
import { type Heartbeats, type Lease, leaseTiming } from "./_heartbeats.ts";
import type { ResultSender } from "./_results.ts";
import { type Outcome, runAttempt, type SendLimits } from "./_run.ts";
import type { Served } from "./_served.ts";
import {
  type AbortReason,
  NonRetryableError,
  RetryAfterError,
  TaskAbortedError,
} from "./errors.ts";
import type { LogFields, Logger, TaskContext } from "./types.ts";

/** One running attempt. */
export interface Run extends Lease {
  readonly assignment: AssignmentMessage;
  readonly served: Served;
  /** The first lines the handler logged (`ctx.log`), at most `maxLogLines`, and how many in all. */
  readonly logs: string[];
  logCount: number;
  /** Set once its result is queued (the handler returned, or it was abandoned). */
  over: boolean;
  /** Set when it was abandoned: its result was queued already, whatever it returns is dropped. */
  abandoned: boolean;
  /** The wait, from its abort, after which it is abandoned. */
  settle: { cancel(): void } | undefined;
}

/**
 * A handler still running this long after its signal was aborted is abandoned: its attempt is
 * reported as a retryable failure and its slot given back (the Go worker's `abortSettle`).
 */
export const ABORT_SETTLE_MS = 1000;

/** The least default of `maxAbandoned` (the Go worker's `defaultMinAbandoned`). */
const DEFAULT_MIN_ABANDONED = 16;

/**
 * The default of `maxAbandoned`: twice the sum of the executors' concurrency, and at least 16 (a
 * handler slow to return, a second or two after its abort, must not stop the worker).
 */
export function defaultMaxAbandoned(concurrencies: Iterable<number>): number {
  let slots = 0;
  for (const concurrency of concurrencies) slots += Math.max(1, concurrency);
  return Math.min(Math.max(DEFAULT_MIN_ABANDONED, 2 * slots), MAX_TIMER_MS);
}

/** Lease length assumed when the assignment's lease has expired already, without `timeout`. */
const DEFAULT_LEASE_MS = 30_000;

/** The attempts a worker runs, by task id. */
export class Attempts {
  readonly #running: Map<string, Run>;
  /**
   * How many of `#running` each executor has, kept as it changes: counted over `#running` for
   * each assignment, a message of 100,000 assignments past a concurrency of 1,000 took 0.53 s of
   * the worker's thread (0.11 s at a concurrency of 1).
   */
  readonly #runningOf = new Map<string, number>();
  readonly #served: ReadonlyMap<string, Served>;
  readonly #heartbeats: Heartbeats;
  readonly #results: ResultSender;
  readonly #credits: Credits;
  readonly #limits: () => SendLimits;
  readonly #log: Logger;
  readonly #workerId: string;
  readonly #changed = new Set<() => void>();
  readonly #maxAbandoned: () => number;
  readonly #stopping: () => boolean;
  readonly #tooManyAbandoned: (error: Error) => void;
  /** Handlers abandoned that have not returned yet. */
  #abandoned = 0;

  /** Attempts kept in `running` (which `heartbeats` reads too). */
  constructor(parts: {
    running: Map<string, Run>;
    served: ReadonlyMap<string, Served>;
    heartbeats: Heartbeats;
    results: ResultSender;
    credits: Credits;
    limits: () => SendLimits;
    log: Logger;
    workerId: string;
    /** The most abandoned handlers left running at once (negative: no bound). */
    maxAbandoned: () => number;
    /** Whether the worker drains: its abandoned handlers count against no bound. */
    stopping: () => boolean;
    /** Called once more handlers than `maxAbandoned` were abandoned and still run. */
    tooManyAbandoned: (error: Error) => void;
  }) {
    this.#running = parts.running;
    this.#served = parts.served;
    this.#heartbeats = parts.heartbeats;
    this.#results = parts.results;
    this.#credits = parts.credits;
    this.#limits = parts.limits;
    this.#log = parts.log;
    this.#workerId = parts.workerId;
    this.#maxAbandoned = parts.maxAbandoned;
    this.#stopping = parts.stopping;
    this.#tooManyAbandoned = parts.tooManyAbandoned;
  }

  /** How many abandoned handlers still run (they ignored their signal and have not returned). */
  get abandoned(): number {
    return this.#abandoned;
  }

  /** How many attempts run. */
  get size(): number {
    return this.#running.size;
  }

  /** How many attempts of one executor run. */
  runningFor(executorName: string): number {
    return this.#runningOf.get(executorName) ?? 0;
  }

  /** Keeps `run` in `#running` under its task id, in place of the run there. */
  #track(run: Run): void {
    const replaced = this.#running.get(run.taskId);
    if (replaced) this.#untrack(replaced);
    this.#running.set(run.taskId, run);
    this.#runningOf.set(run.served.name, this.runningFor(run.served.name) + 1);
  }

  /** Takes `run` out of `#running`, unless another run of its task replaced it there. */
  #untrack(run: Run): void {
    if (this.#running.get(run.taskId) !== run) return;
    this.#running.delete(run.taskId);
    const left = this.runningFor(run.served.name) - 1;
    if (left > 0) this.#runningOf.set(run.served.name, left);
    else this.#runningOf.delete(run.served.name);
  }

  /**
   * Runs an assigned task's handler; an executor not served fails the attempt, retryable. A lease
   * this worker runs already is the same attempt, not another; one past the executor's concurrency
   * (more than its credits: a manager that miscounts) is given back unstarted.
   */
  start(assignment: AssignmentMessage): void {
    const served = this.#served.get(assignment.executorName);
    if (!served) {
      this.#results.queue({
        taskId: assignment.taskId,
        leaseToken: assignment.leaseToken,
        ok: false,
        error: `Worker ${this.#workerId} does not serve executor "${assignment.executorName}"`,
        retryable: true,
      });
      return;
    }
    const { taskId } = assignment;
    const previous = this.#running.get(taskId);
    if (previous?.assignment.leaseToken === assignment.leaseToken) {
      this.#log.debug("Ignoring a lease the worker runs already", { taskId });
      return;
    }
    if (previous) {
      // Leased again (ours expired meanwhile): the old attempt's result will be refused.
      previous.released = true;
      this.abort(previous, new TaskAbortedError("lease_lost"));
    }
    if (this.runningFor(served.name) >= served.concurrency) {
      return this.giveBack(
        assignment,
        `Worker ${this.#workerId} runs ${served.concurrency} tasks of executor "${served.name}" already (its concurrency)`,
      );
    }
    const now = Date.now();
    const controller = new AbortController();
    const run: Run = {
      taskId,
      assignment,
      served,
      controller,
      ...leaseTiming(
        msOfTimestamp(assignment.leaseExpiresAt) ?? 0,
        served.config?.timeout ?? DEFAULT_LEASE_MS,
        now,
      ),
      progressJson: undefined,
      logs: [],
      logCount: 0,
      released: false,
      over: false,
      abandoned: false,
      settle: undefined,
    };
    const span = startAttemptSpan(
      readTraceContext(assignment.traceparent, assignment.tracestate),
      { executorName: served.name, taskId, attempt: assignment.attempt, workerId: this.#workerId },
    );
    const ctx: TaskContext = {
      taskId,
      executorName: served.name,
      attempt: assignment.attempt,
      maxAttempts: assignment.maxAttempts,
      metadata: Object.freeze({ ...assignment.metadata }),
      createdAt: new Date(msOfTimestamp(assignment.createdAt) || now),
      workerId: this.#workerId,
      signal: controller.signal,
      heartbeat: (progress) => this.#heartbeats.beat(run, progress),
      log: (line) => {
        run.logCount++;
        if (run.logs.length < this.#limits().maxLogLines) run.logs.push(String(line));
      },
      logger: this.#log,
      traceparent: span.traceparent,
    };
    this.#track(run);
    this.#heartbeats.track(run);
    void span.run(() => runAttempt(served.handler, assignment.dataJson, ctx, served.validate))
      .then((outcome) => {
        span.end(outcome.ok ? undefined : outcome.error);
        run.settle?.cancel();
        if (!run.abandoned) return this.#finish(run, outcome);
        const left = --this.#abandoned;
        this.#log.warn("An abandoned task handler returned at last; its result is dropped", {
          taskId,
          executor: served.name,
          abandonedHandlers: left,
        });
      });
  }

  /**
   * Gives a lease back unstarted, as a rate-limited attempt: the task runs again (elsewhere, or
   * here once there is room) with no attempt spent. It frees no credit: it took none.
   */
  giveBack({ taskId, leaseToken }: AssignmentMessage, why: string): void {
    this.#log.debug("Giving back a task unstarted", { taskId, why });
    this.#results.queue({
      taskId,
      leaseToken,
      ok: false,
      error: why,
      retryable: true,
      rateLimited: true,
    });
  }

  /**
   * Aborts the attempt of `lease`, one of the running attempts, through its `ctx.signal` with
   * `error`, and gives its handler `ABORT_SETTLE_MS` from then to return before it is abandoned
   * (`#abandon`). Every abort of an attempt goes through here: a timeout (from `Heartbeats`), a
   * cancellation, a lease lost or replaced, the drain. (A listener on each attempt's signal did
   * the same at about 2.5 µs of the worker's CPU a task, every task: Deno's `AbortSignal` makes
   * `addEventListener` dear.)
   */
  abort(lease: Lease, error: TaskAbortedError): void {
    const run = lease as Run; // `Heartbeats` reads the same map of running attempts.
    run.controller.abort(error);
    if (!run.over && run.settle === undefined) {
      run.settle = afterMs(ABORT_SETTLE_MS, () => this.#abandon(run));
    }
  }

  /** The manager took a task back (cancelled, timed out, lease lost): aborts its attempt. */
  cancel(cancellation: CancellationMessage): void {
    const { taskId } = cancellation;
    const run = this.#running.get(taskId);
    if (!run) return;
    const aborted = run.controller.signal.aborted;
    run.released = true;
    // Logged and aborted once: a manager that cancelled an attempt 1,000 times logged a line each.
    if (aborted) return;
    const reason = fromEnum(ENUM_PREFIX.cancellationReason, cancellation.reason);
    const why: AbortReason = reason === "timeout" || reason === "lease_lost" ? reason : "cancelled";
    this.#log.info("Manager asked to abort a task", { taskId, reason: why });
    this.abort(run, new TaskAbortedError(why));
  }

  /**
   * The task ids of the running attempts not aborted yet (none timed out, cancelled or lost its
   * lease), which `abortAll()` would abort, in task id order.
   */
  notAborted(): string[] {
    const ids: string[] = [];
    for (const run of this.#running.values()) {
      if (!run.controller.signal.aborted) ids.push(run.taskId);
    }
    return ids.sort();
  }

  /**
   * Aborts every running attempt not aborted yet through `ctx.signal` with
   * `TaskAbortedError("shutdown")`; one aborted already keeps its own reason.
   */
  abortAll(): void {
    for (const run of this.#running.values()) {
      if (!run.controller.signal.aborted) this.abort(run, new TaskAbortedError("shutdown"));
    }
  }

  /**
   * Gives up on a handler still running `ABORT_SETTLE_MS` after its signal was aborted (it ignores
   * it): JavaScript cannot stop it, so it is left running, its attempt is reported as a retryable
   * failure naming why it was aborted (refused when the manager took the task back), and its slot
   * and credit are given back, so that the executor's other tasks run on this worker. What it
   * returns later is dropped. More than `maxAbandoned` left running at once stop the worker
   * (unless it drains already: it stops anyway).
   */
  #abandon(run: Run): void {
    if (run.over) return;
    const left = ++this.#abandoned;
    const stopping = this.#stopping();
    const { taskId, attempt } = run.assignment;
    const aborted = run.controller.signal.reason as TaskAbortedError;
    this.#log.error(
      stopping
        ? "Task handler did not return after its signal was aborted: abandoning it, it keeps running"
        : "Task handler did not return after its signal was aborted: abandoning it, it keeps running, and giving back its slot",
      {
        taskId,
        executor: run.served.name,
        attempt,
        reason: aborted.reason,
        waitedMs: ABORT_SETTLE_MS,
        abandonedHandlers: left,
      },
    );
    this.#finish(run, {
      ok: false,
      // A drain's keeps the message of an attempt cut by a stop.
      error: aborted.reason === "shutdown"
        ? aborted.message
        : `${aborted.message}; the handler did not return within ${ABORT_SETTLE_MS} ms of its abort and was abandoned`,
      retryable: true,
      retryAfterMs: 0,
      cause: undefined,
    });
    run.abandoned = true;
    const most = this.#maxAbandoned();
    if (stopping || most < 0 || left <= most) return;
    // Each such handler runs on for good, holding what it holds: one that always hangs left one
    // more per attempt, without end. The worker stops instead, and says which handler to fix.
    this.#log.error(
      "Too many abandoned task handlers, stopping the worker: fix the handler to return once its signal is aborted",
      { abandonedHandlers: left, maxAbandoned: most, taskId, executor: run.served.name },
    );
    this.#tooManyAbandoned(
      new Error(
        `${left} task handlers still run after their signal was aborted, more than maxAbandoned (${most}): the worker stopped rather than leave one running per attempt; the last was task ${taskId} of executor "${run.served.name}" (${aborted.reason}): fix its handler to return once ctx.signal is aborted`,
      ),
    );
  }

  /**
   * Waits until no attempt runs, `ms` passes (in steps past what a timer keeps: a grace period of
   * 30 days ended after 1 ms) or `cut` is aborted.
   */
  waitUntilIdle(ms: number, cut?: AbortSignal): Promise<void> {
    if (this.#running.size === 0 || cut?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        timer.cancel();
        this.#changed.delete(check);
        cut?.removeEventListener("abort", done);
        resolve();
      };
      const check = () => {
        if (this.#running.size === 0) done();
      };
      const timer = afterMs(ms, done);
      this.#changed.add(check);
      cut?.addEventListener("abort", done, { once: true });
    });
  }

  #finish(run: Run, outcome: Outcome): void {
    if (run.over) return;
    run.over = true;
    const { assignment } = run;
    this.#untrack(run);
    const result: ResultMessage = outcome.ok
      ? {
        taskId: assignment.taskId,
        leaseToken: assignment.leaseToken,
        ok: true,
        resultJson: outcome.resultJson,
        logs: this.#logsOf(run),
      }
      : {
        taskId: assignment.taskId,
        leaseToken: assignment.leaseToken,
        ok: false,
        error: outcome.error,
        retryable: outcome.retryable,
        retryAfter: durationFromMs(outcome.retryAfterMs || null),
        failureReason: toEnum(ENUM_PREFIX.dlqReason, outcome.failureReason),
        ...(outcome.rateLimited ? { rateLimited: true } : {}),
        stack: outcome.cause instanceof Error ? outcome.cause.stack ?? "" : "",
        logs: this.#logsOf(run),
      };
    if (!outcome.ok && !run.released) this.#logFailure(run, outcome);
    if (run.released && run.controller.signal.reason?.reason !== "timeout") {
      this.#results.expectRefusal(assignment.taskId, assignment.leaseToken);
    }
    this.#results.queue(result);
    this.#credits.returned(run.served.name);
    for (const notify of this.#changed) notify();
  }

  #logFailure(run: Run, outcome: Outcome & { ok: false }): void {
    const { assignment } = run;
    const fields: LogFields = {
      taskId: assignment.taskId,
      executor: run.served.name,
      attempt: assignment.attempt,
      retryable: outcome.retryable,
      error: outcome.error,
    };
    // An attempt the manager will retry is the retry policy at work: one info line, no stack.
    // The last attempt, or one not to be retried, is a warning; a stack helps with a crash,
    // not with an error the handler threw on purpose. A rate-limited attempt spends none (its
    // task runs again, even after its last attempt); a manager naming no maxAttempts, none known:
    // the Go worker's rule.
    const { attempt, maxAttempts } = assignment;
    if (
      outcome.retryable && (outcome.rateLimited || maxAttempts <= 0 || attempt < maxAttempts)
    ) {
      this.#log.info("Task attempt failed, the manager retries it", fields);
      return;
    }
    const deliberate = outcome.cause instanceof NonRetryableError ||
      outcome.cause instanceof RetryAfterError || outcome.cause instanceof TaskAbortedError;
    if (outcome.cause instanceof Error && !outcome.failureReason && !deliberate) {
      fields.stack = outcome.cause.stack;
    }
    this.#log.warn("Task attempt failed", fields);
  }

  /** The attempt's log lines as sent (`boundLogLines`, counting those not kept). */
  #logsOf(run: Run): string[] {
    const { maxLogLines, maxLogLineChars } = this.#limits();
    return boundLogLines(run.logs, maxLogLines, maxLogLineChars, { total: run.logCount });
  }
}
