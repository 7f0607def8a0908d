/**
 * The spans a task's life makes when the manager traces (see server/monitoring/tracing.ts): one
 * per create request, one per dispatch, one per settled attempt. Absent = not tracing.
 */
import type { TraceContext } from "@tasks-executor/proto/tracing";
import type { Task } from "../domain/task.ts";

/** One create request's span, open while the request runs. */
export interface CreateSpan {
  /** The context to store with the request's tasks: this span's, so attempts are its children. */
  readonly trace: TraceContext;
  /** Ends the span; `error` marks it failed. */
  end(error?: unknown): void;
}

/** An attempt that reached its end on this manager (a held lease, settled). */
export interface SettledAttempt {
  taskId: string;
  executorName: string;
  workerId: string;
  attempt: number;
  /** When the lease began (epoch ms): the span's start. */
  startedAt: number;
  traceparent: string | null;
  tracestate: string | null;
}

/** Records the spans of tasks' lives. */
export interface TaskSpans {
  /**
   * Opens the span of one create request for `executorNames`, a child of the producer's
   * `parent` (a new trace when `null`).
   */
  create(parent: TraceContext | null, executorNames: readonly string[]): CreateSpan;
  /** Records the dispatch of freshly leased tasks of one executor to `workerId`, now. */
  dispatched(tasks: readonly Task[], workerId: string): void;
  /**
   * Records one attempt from lease to settlement at `now`: `outcome` is the settlement's kind
   * (`completed`, `retry`, `dlq`, `failed`); `error` the failed attempt's message.
   */
  settled(attempt: SettledAttempt, outcome: { kind: string; error?: string }, now: number): void;
}
