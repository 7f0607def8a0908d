/**
 * Request counters for the Prometheus scrape: REST answers by method, route and status, gRPC calls
 * by method and status code, so that error rates per transport can be graphed and alerted on.
 */
import * as grpc from "@grpc/grpc-js";
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, type MetricsWriter } from "./prometheus.ts";

/**
 * The methods counted by name (RFC 9110's and PATCH). Any other is `other`: a client chooses the
 * method, and 5,000 made-up ones of 2,000 characters took a scrape from 6 KB to 10 MB.
 */
const HTTP_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "CONNECT",
  "TRACE",
]);

/** The `route` of a request no route answers (404, 405, a CORS preflight), whatever its path. */
const UNMATCHED_ROUTE = "unmatched";

/** The `method` label: the method when standard, else `other`. */
function httpMethodLabel(method: string): string {
  return HTTP_METHODS.has(method) ? method : "other";
}

/**
 * The `route` label: the pattern of the route that answered (`/api/v1/tasks/:id`), one of those
 * the app mounts, never the path; `unmatched` when only middleware (`ALL` routes) matched.
 */
function routeLabel(c: Context): string {
  return matchedRoutes(c).findLast((route) => route.method !== "ALL")?.path ?? UNMATCHED_ROUTE;
}

/** The `code` label: an HTTP status, or `other` for anything that cannot be one. */
function httpCodeLabel(status: number): string {
  return Number.isInteger(status) && status >= 100 && status <= 599 ? String(status) : "other";
}

/** The `code` label of a gRPC status: its name (`NOT_FOUND`), `UNKNOWN` for a number outside. */
function grpcCodeLabel(code: number): string {
  const name = grpc.status[code];
  return typeof name === "string" ? name : "UNKNOWN";
}

/**
 * Counts what both servers answer. Every label value comes from a fixed set, never from what a
 * client sent: the routes and gRPC methods mounted, the standard methods, the status codes.
 */
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
   * then).
   */
  readonly http: MiddlewareHandler = async (c, next) => {
    await next();
    this.#http.inc({
      method: httpMethodLabel(c.req.method),
      route: routeLabel(c),
      code: httpCodeLabel(c.res.status),
    });
  };

  /**
   * A grpc-js server interceptor counting each call's final status. `method.path` is a method the
   * server registered: grpc-js answers a path it does not know (UNIMPLEMENTED) before any
   * interceptor runs, so such calls are not counted here.
   */
  readonly grpc: grpc.ServerInterceptor = (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        this.#grpc.inc({ method: method.path, code: grpcCodeLabel(status.code) });
        next(status);
      },
    });

  /** Writes both families. */
  write(out: MetricsWriter): void {
    this.#http.write(out);
    this.#grpc.write(out);
  }
}
