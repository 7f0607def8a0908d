/**
 * Request counters for the Prometheus scrape: REST answers by method, route and status, gRPC calls
 * by method and status code, so that error rates per transport can be graphed and alerted on.
 */
import * as grpc from "@grpc/grpc-js";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { Counter, type MetricsWriter } from "./prometheus.ts";

/** Counts what both servers answer. */
export class RequestMetrics {
  readonly #http = new Counter(
    "tasks_executor_http_requests_total",
    "REST and admin page requests answered, by method, route pattern and status code.",
  );
  readonly #grpc = new Counter(
    "tasks_executor_grpc_requests_total",
    "gRPC calls ended, by full method name and status code name.",
  );

  /**
   * Hono middleware counting every answer once it is made (errors included: they are answers by
   * then). The route is the pattern matched (`/api/v1/tasks/:id`), so labels stay few.
   */
  readonly http: MiddlewareHandler = async (c, next) => {
    await next();
    this.#http.inc({ method: c.req.method, route: routePath(c, -1), code: String(c.res.status) });
  };

  /** A grpc-js server interceptor counting each call's final status. */
  readonly grpc: grpc.ServerInterceptor = (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        this.#grpc.inc({
          method: method.path,
          code: grpc.status[status.code] ?? String(status.code),
        });
        next(status);
      },
    });

  /** Writes both families. */
  write(out: MetricsWriter): void {
    this.#http.write(out);
    this.#grpc.write(out);
  }
}
