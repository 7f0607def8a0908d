/**
 * OpenTelemetry spans of tasks on the manager — create, dispatch, and each attempt's settlement —
 * children of the producer's W3C trace context, exported over OTLP/HTTP when configured.
 */
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import {
  type OtlpSettings,
  parentContext,
  startOtlpTracing,
  type TraceContext,
  traceContextOf,
} from "@tasks-executor/proto/tracing";
import type { Task } from "../domain/task.ts";
import type { CreateSpan, SettledAttempt, TaskSpans } from "../service/task_spans.ts";

/** Attribute names (OpenTelemetry messaging conventions where one fits, else `tasks_executor.*`). */
const ATTR = {
  system: "messaging.system",
  operation: "messaging.operation.type",
  destination: "messaging.destination.name",
  batch: "messaging.batch.message_count",
  taskId: "messaging.message.id",
  attempt: "tasks_executor.task.attempt",
  worker: "tasks_executor.worker.id",
  outcome: "tasks_executor.task.outcome",
} as const;

/** `TaskSpans` recorded with an OpenTelemetry tracer. */
export class OtelTaskSpans implements TaskSpans {
  readonly #tracer: Tracer;

  constructor(tracer: Tracer) {
    this.#tracer = tracer;
  }

  create(parent: TraceContext | null, executorNames: readonly string[]): CreateSpan {
    const span = this.#tracer.startSpan(`create ${executorNames.join(",")}`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        [ATTR.system]: "tasks_executor",
        [ATTR.operation]: "create",
        [ATTR.destination]: executorNames.join(","),
      },
    }, parentContext(parent));
    return {
      trace: traceContextOf(span.spanContext())!,
      end(error?: unknown) {
        if (error !== undefined) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        }
        span.end();
      },
    };
  }

  dispatched(tasks: readonly Task[], workerId: string): void {
    for (const task of tasks) {
      if (task.traceparent === null) continue;
      this.#tracer.startSpan(`dispatch ${task.executorName}`, {
        kind: SpanKind.PRODUCER,
        attributes: {
          [ATTR.system]: "tasks_executor",
          [ATTR.operation]: "send",
          [ATTR.destination]: task.executorName,
          [ATTR.taskId]: task.id,
          [ATTR.attempt]: task.attempt,
          [ATTR.worker]: workerId,
        },
      }, parentContext({ traceparent: task.traceparent, tracestate: task.tracestate })).end();
    }
  }

  settled(attempt: SettledAttempt, outcome: { kind: string; error?: string }, now: number): void {
    if (attempt.traceparent === null) return;
    const parent = { traceparent: attempt.traceparent, tracestate: attempt.tracestate };
    const span = this.#tracer.startSpan(`settle ${attempt.executorName}`, {
      kind: SpanKind.CONSUMER,
      startTime: attempt.startedAt,
      attributes: {
        [ATTR.system]: "tasks_executor",
        [ATTR.operation]: "settle",
        [ATTR.destination]: attempt.executorName,
        [ATTR.taskId]: attempt.taskId,
        [ATTR.attempt]: attempt.attempt,
        [ATTR.worker]: attempt.workerId,
        [ATTR.outcome]: outcome.kind,
      },
    }, parentContext(parent));
    if (outcome.kind !== "completed") {
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error ?? outcome.kind });
    }
    span.end(Math.max(now, attempt.startedAt));
  }
}

/** The manager's tracing: its spans and the provider to flush at exit; `null` when off. */
export interface ManagerTracing {
  spans: TaskSpans;
  /** Sends what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/** Tracing to the OTLP endpoint configured (`Config.tracing`), or `null` when it is off. */
export function startManagerTracing(settings: OtlpSettings | null): ManagerTracing | null {
  if (!settings) return null;
  const provider = startOtlpTracing(settings);
  const tracer = provider.getTracer("tasks-executor");
  return { spans: new OtelTaskSpans(tracer), shutdown: () => provider.shutdown() };
}
