/**
 * OpenTelemetry tracing for a worker or producer process that has no OpenTelemetry setup of its
 * own: spans exported over OTLP/HTTP as the standard `OTEL_*` variables say.
 */
import process from "node:process";
import { trace } from "@opentelemetry/api";
import { otlpSettings, startOtlpTracing } from "@tasks-executor/proto/tracing";
import { checkOptions, type FieldSpec } from "./_fields.ts";

/** The options of `startTracing`. */
const TRACING_FIELDS: FieldSpec = { serviceName: "string?null" };

/** Tracing started by `startTracing`. */
export interface Tracing {
  /** Sends the spans still buffered and stops exporting (call it before the process exits). */
  shutdown(): Promise<void>;
}

/**
 * Registers a global OpenTelemetry tracer provider that exports spans in batches over OTLP/HTTP
 * (JSON) when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set;
 * returns `null` and changes nothing when neither is (or `OTEL_SDK_DISABLED=true`). The `Worker`
 * then records a span per attempt and the `Client` sends the active span's `traceparent`. A
 * process with an OpenTelemetry SDK of its own does not need this: both use the global provider.
 * The service name is `OTEL_SERVICE_NAME`, else `options.serviceName` (default
 * `"tasks-executor-worker"`; `null` is not given).
 *
 * @throws {InvalidArgumentError} naming a field of `options` of the wrong type or that it does not
 *   have (a misspelt `servicename` was ignored)
 * @throws {TypeError} naming the variable whose value is not an http(s) URL
 *
 * @example
 * ```ts ignore
 * import { startTracing, Worker } from "@tasks-executor/sdk";
 * const tracing = startTracing({ serviceName: "email-worker" });
 * const worker = new Worker({ address: "localhost:50051", executors: [sendEmail] });
 * await worker.start();
 * await tracing?.shutdown();
 * ```
 */
export function startTracing(options: { serviceName?: string | null } = {}): Tracing | null {
  checkOptions(options, TRACING_FIELDS, "Cannot start tracing");
  const settings = otlpSettings(
    (name) => process.env[name],
    options.serviceName ?? "tasks-executor-worker",
  );
  if (!settings) return null;
  const provider = startOtlpTracing(settings);
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      await provider.shutdown();
      trace.disable();
    },
  };
}
