/**
 * The W3C trace context a producer's create call carries to the manager: the one given, else the
 * active OpenTelemetry span's, as `traceparent` / `tracestate` gRPC metadata.
 */
import {
  activeTraceContext,
  readTraceContext,
  type TraceContext,
} from "@tasks-executor/proto/tracing";
import { checkOptions, type FieldSpec, refuseViolations } from "./_fields.ts";

/** The trace a task's create call continues. */
export interface TraceOptions {
  /**
   * W3C `traceparent` of the producer's span (`00-<trace id>-<span id>-<flags>`). Default: the
   * span active in OpenTelemetry's context, if the producer traces; else none (`null` is not
   * given, as for every optional field).
   */
  traceparent?: string | null;
  /**
   * W3C `tracestate` sent with `traceparent` (`null`: none), as the manager keeps it: malformed
   * entries dropped, cut to 32 entries and 512 characters (W3C's list rules).
   */
  tracestate?: string | null;
}

/** The trace options of a create, each a string or `null` (`traceparent` is read apart). */
export const TRACE_FIELDS: FieldSpec = { traceparent: "string?null", tracestate: "string?null" };

/**
 * The metadata carrying the trace of `options` (or the active span's), `{}` for none.
 *
 * @throws {InvalidArgumentError} naming `/traceparent` when one given is malformed, or either
 *   field when it is not a string
 */
export function traceMetadata(options: TraceOptions): Record<string, string> {
  const { traceparent, tracestate } = options;
  // Only fields given are checked: a create without a trace (most) allocates nothing here.
  if (
    (traceparent !== undefined && traceparent !== null) ||
    (tracestate !== undefined && tracestate !== null)
  ) checkOptions({ traceparent, tracestate }, TRACE_FIELDS, "Cannot create task");
  let trace: TraceContext | null;
  if (traceparent === undefined || traceparent === null) {
    trace = activeTraceContext();
  } else {
    trace = readTraceContext(traceparent, tracestate ?? undefined);
    if (!trace) {
      refuseViolations("Cannot create task", [{
        field: "/traceparent",
        message: "Must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>, ids not all zero",
      }]);
    }
  }
  if (!trace) return {};
  return trace.tracestate === null
    ? { traceparent: trace.traceparent }
    : { traceparent: trace.traceparent, tracestate: trace.tracestate };
}
