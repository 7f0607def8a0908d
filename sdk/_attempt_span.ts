/**
 * The span of one attempt on the worker: a child of the trace context the task carries (the
 * manager's create span), recorded by the global OpenTelemetry tracer provider when one is set.
 */
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { parentContext, type TraceContext, traceContextOf } from "@tasks-executor/proto/tracing";
import { SDK_VERSION } from "./version.ts";

/** One attempt's span while its handler runs. */
export interface AttemptSpan {
  /**
   * The attempt's own `traceparent` when a tracer provider records it; else the task's as it came
   * (nothing records the attempt); `null` when neither traces.
   */
  readonly traceparent: string | null;
  /** Runs `fn` with the attempt's span active (for a context manager the process has set up). */
  run<T>(fn: () => T): T;
  /** Ends the span, marked failed with `error` when given. */
  end(error?: string): void;
}

const tracer = trace.getTracer("@tasks-executor/sdk", SDK_VERSION);

/** Starts the span of one attempt of `taskId`, a child of `parent` (the task's trace context). */
export function startAttemptSpan(
  parent: TraceContext | null,
  attempt: { executorName: string; taskId: string; attempt: number; workerId: string },
): AttemptSpan {
  const parentCtx = parentContext(parent);
  const span = tracer.startSpan(`run ${attempt.executorName}`, {
    kind: SpanKind.CONSUMER,
    attributes: {
      "messaging.system": "tasks_executor",
      "messaging.operation.type": "process",
      "messaging.destination.name": attempt.executorName,
      "messaging.message.id": attempt.taskId,
      "tasks_executor.task.attempt": attempt.attempt,
      "tasks_executor.worker.id": attempt.workerId,
    },
  }, parentCtx);
  const own = traceContextOf(span.spanContext());
  const active = trace.setSpan(parentCtx, span);
  return {
    traceparent: own?.traceparent ?? parent?.traceparent ?? null,
    run: (fn) => context.with(active, fn),
    end(error?: string) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end();
    },
  };
}
