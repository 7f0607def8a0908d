/**
 * W3C Trace Context for tasks — reading `traceparent` and `tracestate` as a producer sends them,
 * turning them into OpenTelemetry parents — and OTLP/HTTP export when the standard variables ask
 * for it. Shared by the manager and the SDK, so both read and write the headers the same way.
 */
import {
  type Context,
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type SpanContext,
  trace,
} from "@opentelemetry/api";
import { parseTraceParent, TraceState } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";

/** Longest `tracestate` kept, in characters (what W3C asks every vendor to pass on). */
export const MAX_TRACESTATE_CHARS = 512;
/** Longest `traceparent` read at all (a version 00 one has 55 characters). */
const MAX_TRACEPARENT_CHARS = 256;

/** A W3C trace context as it travels: `traceparent` normalised to version 00. */
export interface TraceContext {
  /** `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`. */
  traceparent: string;
  /** Vendor entries, at most `MAX_TRACESTATE_CHARS` characters; `null` = none. */
  tracestate: string | null;
}

/**
 * Reads a producer's `traceparent` (and `tracestate`) header values. A malformed or absent
 * `traceparent` gives `null` — W3C Trace Context says a receiver then starts a new trace rather
 * than fail the request. Of `tracestate`, malformed entries are dropped, then the last entries
 * until it fits `MAX_TRACESTATE_CHARS` (OpenTelemetry's `TraceState`, as W3C suggests); nothing
 * left = `null`. Inputs are bounded before they are parsed.
 *
 * @example
 * ```ts
 * import { readTraceContext } from "./tracing.ts";
 * const t = readTraceContext("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=1");
 * console.log(t?.traceparent, t?.tracestate); // the same two strings
 * console.log(readTraceContext("not a traceparent")); // null
 * ```
 */
export function readTraceContext(traceparent: unknown, tracestate?: unknown): TraceContext | null {
  if (typeof traceparent !== "string" || traceparent.length > MAX_TRACEPARENT_CHARS) return null;
  const parsed = parseTraceParent(traceparent.trim());
  if (!parsed || !isSpanContextValid(parsed)) return null;
  let state: string | null = null;
  if (typeof tracestate === "string" && tracestate.length <= 4 * MAX_TRACESTATE_CHARS) {
    const serialized = new TraceState(tracestate).serialize();
    if (serialized !== "" && serialized.length <= MAX_TRACESTATE_CHARS) state = serialized;
  }
  return { traceparent: formatTraceparent(parsed), tracestate: state };
}

/** A span context as a version 00 `traceparent`. */
export function formatTraceparent(span: SpanContext): string {
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${span.traceId}-${span.spanId}-${flags}`;
}

/** A valid span context as a `TraceContext`; `null` for an invalid one (a no-op span's). */
export function traceContextOf(span: SpanContext | undefined): TraceContext | null {
  if (!span || !isSpanContextValid(span)) return null;
  const state = span.traceState?.serialize() ?? "";
  return readTraceContext(formatTraceparent(span), state);
}

/** The trace context of the span active in the caller (OpenTelemetry's context), if any. */
export function activeTraceContext(): TraceContext | null {
  return traceContextOf(trace.getSpanContext(context.active()));
}

/** An OpenTelemetry context whose remote parent is `parent` (the root context for `null`). */
export function parentContext(parent: TraceContext | null): Context {
  const span = parent === null ? undefined : parseTraceParent(parent.traceparent);
  if (!span) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    ...span,
    isRemote: true,
    traceState: parent!.tracestate === null ? undefined : new TraceState(parent!.tracestate),
  });
}

/** A tracer provider exporting over OTLP/HTTP; `shutdown` sends what is buffered. */
export type OtlpTracerProvider = BasicTracerProvider;

/** Where and as whom spans are exported, from the standard variables. */
export interface OtlpSettings {
  /** The OTLP/HTTP traces URL (ending in `/v1/traces` when built from the base endpoint). */
  url: string;
  /** `OTEL_SERVICE_NAME`, else the default given. */
  serviceName: string;
}

/**
 * Reads the standard OpenTelemetry variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is),
 * else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`; `null` (tracing off) when neither is set or
 * `OTEL_SDK_DISABLED=true`.
 *
 * @throws {TypeError} naming the variable when its value is not an http(s) URL
 */
export function otlpSettings(
  env: (name: string) => string | undefined,
  defaultServiceName: string,
): OtlpSettings | null {
  const get = (name: string) => env(name)?.trim() ?? "";
  if (get("OTEL_SDK_DISABLED").toLowerCase() === "true") return null;
  const traces = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  const base = get("OTEL_EXPORTER_OTLP_ENDPOINT");
  if (traces === "" && base === "") return null;
  const name = traces !== "" ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
  const url = traces !== "" ? traces : `${base.replace(/\/+$/, "")}/v1/traces`;
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new TypeError(`${name} must be an http or https URL, got "${traces || base}"`);
  }
  return { url, serviceName: get("OTEL_SERVICE_NAME") || defaultServiceName };
}

/**
 * A tracer provider exporting spans in batches over OTLP/HTTP (JSON) to `settings.url`; the
 * exporter reads `OTEL_EXPORTER_OTLP_HEADERS` and its other standard variables itself.
 *
 * @example
 * ```ts ignore
 * const settings = otlpSettings((name) => Deno.env.get(name), "tasks-executor");
 * const provider = settings && startOtlpTracing(settings);
 * const tracer = provider?.getTracer("tasks-executor");
 * // … at exit:
 * await provider?.shutdown();
 * ```
 */
export function startOtlpTracing(settings: OtlpSettings): OtlpTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.url }))],
  });
}
