/**
 * The REST API (/api/v1), health and metrics endpoints, live events and the embedded admin page:
 * a thin hono adapter over the service, holding no rules of its own.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { ANONYMOUS_ADMIN, type Authenticator, type Principal } from "../auth/scopes.ts";
import { type FieldViolation, InvalidArgumentError } from "../domain/errors.ts";
import { checkedRef, type RefKind } from "../domain/refs.ts";
import type { Limits } from "../domain/limits.ts";
import { movePointers } from "../domain/pointers.ts";
import { servedBy, type WorkerDirectory } from "../engine/workers.ts";
import type { Service } from "../service/service.ts";
import { BulkService } from "../service/bulk.ts";
import { readDlqFilter } from "../service/dlq.ts";
import { isServiceDlqCursor } from "../store/store.ts";
import { assertNoViolations, booleanField } from "../service/violations.ts";
import { previewRetryDelays, serverFacts } from "../service/meta.ts";
import { bodyReadingOf } from "./serve.ts";
import { ASSETS } from "./_assets.ts";
import { authentication, authorityOf, callerOf } from "./auth.ts";
import { browserGuard, type BrowserPolicy, jsonPostGuard } from "./browser_guard.ts";
import { eventStreams } from "./events.ts";
import {
  assertKnownKeys,
  type JsonObject,
  presentDlqEntry,
  presentExecutor,
  presentKey,
  presentStats,
  presentTask,
  presentWorker,
  readJsonObject,
  readShortBody,
} from "./json.ts";
import { presentHistory } from "./history_json.ts";
import { OPENAPI } from "./openapi/mod.ts";
import { pageOf, queryOf, requestGuard } from "./query_guard.ts";
import { mountScheduleRoutes } from "./schedules.ts";
import { echoed, HttpError } from "./http_error.ts";
import { problemResponse, stopOf } from "./problem.ts";
import { mountTaskSearchRoutes } from "./task_search.ts";
import { TaskSearchService } from "../service/task_search.ts";
import { jsonBytes } from "../service/paging.ts";
import { workersPage } from "../service/workers.ts";
import { loginRate, mountSessionRoutes, SessionTable } from "./session.ts";
import { createAndWaitForTask, taskWatchStreams, waitForTask, waitOf } from "./task_watch.ts";
import { log } from "../log.ts";
import type { ConnectionRateLimit } from "../connection_rate.ts";
import { readTraceContext, type TraceContext } from "@tasks-executor/proto/tracing";

/** The producer's W3C trace context from request headers (malformed = none, as W3C asks). */
function traceOf(headers: Headers): TraceContext | null {
  return readTraceContext(headers.get("traceparent"), headers.get("tracestate"));
}

/** What the HTTP app needs from the rest of the manager. */
export interface HttpDeps {
  service: Service;
  workers: WorkerDirectory;
  /** Size and count limits; `requestBytes` caps request bodies. */
  limits: Limits;
  /** Whether the manager can serve now, with one line per dependency checked. */
  readiness: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
  /** Prometheus text exposition; /metrics answers 404 without it. */
  metrics?: () => Promise<string>;
  /** Aborted when the manager stops: event streams end and new subscriptions are refused. */
  stopping?: AbortSignal;
  /** Finds the caller behind a key; `null` or absent = authentication off (AUTH=off). */
  authenticator?: Authenticator | null;
  /**
   * Host names and CORS origins answered, and whether the port speaks TLS (`tls`: the session
   * cookie is then `Secure`); absent = IP-literal hosts only, CORS off, no TLS.
   */
  browser?: BrowserPolicy;
  /** Counts every answer (the requests metric), first and outermost. */
  countRequests?: MiddlewareHandler;
  /**
   * The rate limit on logins per client address, whose refusals the metrics count; absent = one
   * of the app's own from `limits` (`loginRate`).
   */
  logins?: ConnectionRateLimit;
}

/** Headers on every answer: the admin page runs under a strict policy (no inline code). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

function badQuery(name: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid query parameter ${name}: ${message}`, [
    { field: name, message },
  ]);
}

/** Boolean query parameter `name` (`booleanField`'s rule), `false` when not given. */
function booleanOf(query: Record<string, string>, name: string): boolean {
  const violations: FieldViolation[] = [];
  const value = booleanField(query[name], name, violations, { text: true });
  if (violations.length > 0) throw badQuery(name, violations[0].message);
  return value ?? false;
}

/**
 * Path parameter `name`, which names a thing of `kind`: one that cannot (empty, malformed) is
 * refused naming the parameter, as gRPC refuses it; a well-formed one that names nothing is the
 * service's 404.
 */
function idParam(c: Context, name: string, kind: RefKind): string {
  return checkedRef(kind, c.req.param(name) ?? "", name);
}

/**
 * Lets a resource be sent wrapped (`{task: {…}}`) or bare (`{…}`). Field pointers of a bare body
 * (in validation errors and permission denials) are reported without the wrapper, so that they
 * point into what the client sent.
 */
async function unwrapped<T>(
  body: JsonObject,
  key: string,
  run: (input: unknown) => Promise<T>,
): Promise<T> {
  if (Object.hasOwn(body, key)) {
    assertKnownKeys(body, [key]);
    return await run(body[key]);
  }
  try {
    return await run(body);
  } catch (error) {
    throw movePointers(error, `/${key}`, "");
  }
}

function assetResponse(c: Context, path: string): Response {
  const asset = ASSETS[path];
  if (!asset) throw new HttpError(404, `No file at ${echoed(path)}`);
  const body = asset.encoding === "base64"
    ? Uint8Array.from(atob(asset.body), (ch) => ch.charCodeAt(0))
    : asset.body;
  return c.body(body, 200, { "content-type": asset.type, "cache-control": "no-cache" });
}

/** Hono paths (`/a/:id`, `/s/:path{.+}`) as URL patterns, to tell 404 from 405. */
function patternOf(path: string): URLPattern {
  return new URLPattern({ pathname: path.replace(/:(\w+)\{([^}]+)\}/g, ":$1($2)") });
}

/**
 * Builds the HTTP app. Mount it with `Deno.serve(app.fetch)`.
 *
 * @example
 * ```ts ignore
 * const app = createHttpApp({ service, workers, limits: DEFAULT_LIMITS, readiness });
 * Deno.serve({ port: 8080 }, app.fetch);
 * ```
 */
export function createHttpApp(deps: HttpDeps): Hono {
  const { service, workers } = deps;
  const bulk = new BulkService(service);
  const app = new Hono();
  // `waits`: the request waits for its task, and holds its bytes on the waits' share meanwhile
  // (its key's part of it, with authentication on).
  const body = (c: Context, required = false, waits = false) => {
    const reading = bodyReadingOf(c.env);
    return readJsonObject(c.req.raw, {
      maxBytes: deps.limits.requestBytes,
      required,
      ...reading,
      held: waits ? reading.held?.waiting(keyIdOf(callerOf(c))) : reading.held,
      receiveMs: deps.limits.requestReceiveMs,
      // A gRPC request's two budgets together: JSON.parse makes a value several times faster
      // than protobufjs, so a body may hold what a gRPC request holds in values and elements.
      maxValues: deps.limits.requestJsonValues + deps.limits.requestElements,
      maxShapes: deps.limits.requestObjectShapes,
    });
  };

  // Callers are a bearer key or an admin page session (`resolveCaller(request, auth)`).
  const auth = deps.authenticator
    ? {
      authenticator: deps.authenticator,
      sessions: new SessionTable(deps.authenticator, {
        ttlMs: deps.limits.sessionTtlMs,
        maxSessions: deps.limits.sessions,
      }),
    }
    : null;

  if (deps.countRequests) app.use("*", deps.countRequests);
  app.use("*", async (c, next) => {
    await next();
    for (const [key, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(key, value);
  });
  app.use("*", browserGuard(deps.browser ?? { allowedHosts: [], corsOrigins: [] }));
  app.use("*", authentication({ auth }));
  app.use(
    "/api/v1/*",
    requestGuard(OPENAPI, (c, maxBytes) =>
      readShortBody(c.req.raw, {
        maxBytes,
        receiveMs: deps.limits.requestReceiveMs,
        ...bodyReadingOf(c.env),
      })),
  );
  app.use("*", jsonPostGuard());
  app.onError((error) => problemResponse(error));
  // Built at the first unmatched request, when every route is mounted: a URLPattern costs about
  // 0.25 ms to build, and one per route per request made any 404 cost ~13 ms of the event loop.
  let routePatterns: { method: string; path: string; pattern: URLPattern }[] | null = null;
  app.notFound((c) => {
    routePatterns ??= app.routes.filter((route) => route.method !== "ALL").map((route) => ({
      method: route.method,
      path: route.path,
      pattern: patternOf(route.path),
    }));
    const matching = routePatterns.filter((route) => route.pattern.test({ pathname: c.req.path }));
    // A literal path (`/dlq/requeue`) is what the client meant, not the template (`/dlq/:id`).
    const literal = matching.filter((route) => route.path === c.req.path);
    const allowed = new Set((literal.length > 0 ? literal : matching).map((r) => r.method));
    const method = c.req.method === "HEAD" ? "GET" : c.req.method;
    if (allowed.size > 0 && !allowed.has(method)) {
      if (allowed.has("GET")) allowed.add("HEAD");
      const allow = [...allowed].sort().join(", ");
      return problemResponse(
        new HttpError(
          405,
          `Method ${echoed(c.req.method)} is not allowed on ${echoed(c.req.path)}`,
          { allow },
        ),
      );
    }
    return problemResponse(
      new HttpError(404, `No route for ${echoed(c.req.method)} ${echoed(c.req.path)}`),
    );
  });

  mountSessionRoutes(app, {
    auth,
    anonymous: ANONYMOUS_ADMIN,
    receiveMs: deps.limits.requestReceiveMs,
    logins: deps.logins ?? loginRate(deps.limits),
    tls: deps.browser?.tls === true,
  });

  // Executors -----------------------------------------------------------------------------------
  app.get("/api/v1/executors", async (c) => {
    const page = await service.listExecutors(pageOf(queryOf(c)), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ executors: page.items.map(presentExecutor), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/executors", async (c) => {
    const input = await body(c, true);
    const executor = await unwrapped(
      input,
      "config",
      (config) => service.createExecutor(config, { caller: callerOf(c) }),
    );
    return c.json({ executor: presentExecutor(executor) }, 201);
  });
  app.get("/api/v1/executors/:idOrName", async (c) => {
    const executor = await service.getExecutor(idParam(c, "idOrName", "executor"), {
      caller: callerOf(c),
    });
    return c.json({ executor: presentExecutor(executor) });
  });
  app.put("/api/v1/executors/:idOrName", async (c) => {
    const id = idParam(c, "idOrName", "executor");
    const input = await body(c, true);
    const executor = await unwrapped(
      input,
      "config",
      (config) => service.updateExecutor(id, config, { caller: callerOf(c) }),
    );
    return c.json({ executor: presentExecutor(executor) });
  });
  app.delete("/api/v1/executors/:idOrName", async (c) => {
    const id = idParam(c, "idOrName", "executor");
    await service.deleteExecutor(id, { force: booleanOf(queryOf(c), "force") });
    return c.body(null, 204);
  });
  app.get("/api/v1/executors/:idOrName/dlq", async (c) => {
    const executor = await service.getExecutor(idParam(c, "idOrName", "executor"), {
      caller: callerOf(c),
    });
    const query = queryOf(c);
    const page = await service.listDlq(
      { executorName: executor.name, reason: query.reason },
      pageOf(query),
      { caller: callerOf(c), signal: c.req.raw.signal },
    );
    return c.json({ entries: page.items.map(presentDlqEntry), nextCursor: page.nextCursor });
  });
  app.delete("/api/v1/executors/:idOrName/dlq", async (c) => {
    const executor = await service.getExecutor(idParam(c, "idOrName", "executor"), {
      caller: callerOf(c),
    });
    const { deleted, stopped } = await service.purgeDlq({ executorName: executor.name });
    return c.json({ deleted, ...stopOf(stopped) });
  });

  // Tasks ---------------------------------------------------------------------------------------
  app.get("/api/v1/tasks", async (c) => {
    const query = queryOf(c);
    const page = await service.listTasks(
      {
        executorName: query.executorName,
        status: query.status,
        createdAfter: query.createdAfter,
        createdBefore: query.createdBefore,
        finishedAfter: query.finishedAfter,
        finishedBefore: query.finishedBefore,
      },
      pageOf(query),
      { caller: callerOf(c), signal: c.req.raw.signal },
    );
    return c.json({ tasks: page.items.map(presentTask), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/tasks", async (c) => {
    // Checked before anything is created: a refused request stores nothing.
    const waitMs = waitOf(queryOf(c).wait, deps.limits.waitMs);
    const input = await body(c, true, waitMs > 0);
    const caller = callerOf(c);
    const trace = traceOf(c.req.raw.headers);
    const task = await unwrapped(
      input,
      "task",
      async (t) =>
        waitMs > 0
          ? await createAndWaitForTask(service, t, {
            waitMs,
            caller,
            trace,
            signals: [c.req.raw.signal, deps.stopping, authorityOf(c)],
          })
          : (await service.createTask(t, { caller, trace, signal: c.req.raw.signal })).task,
    );
    return c.json({ task: presentTask(task) }, 201);
  });
  app.post("/api/v1/tasks/batch", async (c) => {
    const input = await body(c, true);
    assertKnownKeys(input, ["tasks"]);
    if (!Array.isArray(input.tasks)) {
      throw InvalidArgumentError.listing("Cannot create tasks", [
        { field: "/tasks", message: "Must be an array" },
      ]);
    }
    const outcomes = await service.createTasks(input.tasks, {
      caller: callerOf(c),
      trace: traceOf(c.req.raw.headers),
      signal: c.req.raw.signal,
    });
    return c.json({
      tasks: outcomes.map((o) => presentTask(o.task)),
      created: outcomes.map((o) => o.created),
    }, 201);
  });
  mountTaskSearchRoutes(app, new TaskSearchService(service));
  // Before /tasks/:id, which would take "watch" for an id.
  app.get("/api/v1/tasks/watch", taskWatchStreams(service, { callerOf, stopping: deps.stopping }));
  app.delete("/api/v1/tasks", async (c) => {
    const outcome = await bulk.deleteTasks(queryOf(c), { caller: callerOf(c) });
    return c.json({
      deleted: outcome.count,
      nextCursor: outcome.nextCursor,
      ...stopOf(outcome.stopped),
    });
  });
  app.post("/api/v1/tasks/cancel", async (c) => {
    const outcome = await bulk.cancelTasks(queryOf(c), { caller: callerOf(c) });
    return c.json({
      cancelled: outcome.count,
      nextCursor: outcome.nextCursor,
      ...stopOf(outcome.stopped),
    });
  });
  app.post("/api/v1/tasks/retry", async (c) => {
    const outcome = await bulk.retryTasks(queryOf(c), { caller: callerOf(c) });
    return c.json({
      retried: outcome.count,
      invalid: outcome.invalid,
      nextCursor: outcome.nextCursor,
      ...stopOf(outcome.stopped),
    });
  });
  app.get("/api/v1/tasks/:id", async (c) => {
    const id = idParam(c, "id", "task");
    const waitMs = waitOf(queryOf(c).wait, deps.limits.waitMs);
    const task = waitMs > 0
      ? await waitForTask(service, id, {
        waitMs,
        caller: callerOf(c),
        signals: [c.req.raw.signal, deps.stopping, authorityOf(c)],
      })
      : await service.getTask(id, { caller: callerOf(c) });
    return c.json({ task: presentTask(task) });
  });
  app.put("/api/v1/tasks/:id/status", async (c) => {
    const id = idParam(c, "id", "task");
    const input = await body(c, true);
    assertKnownKeys(input, ["status", "result", "error", "from"]);
    const task = await service.updateTaskStatus(id, {
      status: input.status,
      result: input.result,
      error: input.error,
      from: input.from,
    });
    return c.json({ task: presentTask(task) });
  });
  app.delete("/api/v1/tasks/:id", async (c) => {
    await bulk.deleteTask(idParam(c, "id", "task"), { caller: callerOf(c) });
    return c.body(null, 204);
  });
  app.post("/api/v1/tasks/:id/cancel", async (c) => {
    const task = await service.cancelTask(idParam(c, "id", "task"));
    return c.json({ task: presentTask(task) });
  });

  // Dead letter queue ---------------------------------------------------------------------------
  app.get("/api/v1/dlq", async (c) => {
    const query = queryOf(c);
    const page = await service.listDlq(
      { executorName: query.executorName, reason: query.reason },
      pageOf(query),
      { caller: callerOf(c), signal: c.req.raw.signal },
    );
    return c.json({ entries: page.items.map(presentDlqEntry), nextCursor: page.nextCursor });
  });
  app.delete("/api/v1/dlq", async (c) => {
    const { deleted, stopped } = await bulk.purgeDlq(queryOf(c));
    return c.json({ deleted, ...stopOf(stopped) });
  });
  app.post("/api/v1/dlq/requeue", async (c) => {
    const input = await body(c);
    assertKnownKeys(input, ["executorName", "reason", "deadBefore", "confirm", "cursor"]);
    // The filter comes in the query or the body, each field in one of them only.
    const query = queryOf(c);
    const twice = Object.keys(input).filter((key) => Object.hasOwn(query, key));
    const violations = twice.map((field) => ({
      field,
      message: "Is given in both the query and the body: give it in one",
    }));
    // A body field is JSON: `"true"` is no boolean there (the query's text rule is not the body's).
    booleanField(input.confirm, "/confirm", violations);
    // A body field is named by its pointer, as in every other body; a query parameter by its name.
    readDlqFilter(input, violations, (field) => `/${field}`);
    if (
      input.cursor !== undefined &&
      (typeof input.cursor !== "string" ||
        (input.cursor !== "" && !isServiceDlqCursor(input.cursor)))
    ) {
      violations.push({ field: "/cursor", message: "Must be a cursor from a previous call" });
    }
    assertNoViolations("Invalid DLQ filter", violations);
    const filter = { ...query, ...input };
    const outcome = await bulk.requeueDlq(filter, {
      cursor: typeof filter.cursor === "string" ? filter.cursor : undefined,
    });
    return c.json({
      requeued: outcome.requeued,
      failed: outcome.failed,
      nextCursor: outcome.nextCursor,
      ...stopOf(outcome.stopped),
    });
  });
  app.get("/api/v1/dlq/:id", async (c) => {
    const entry = await service.getDlqEntry(idParam(c, "id", "dlqEntry"));
    return c.json({ entry: presentDlqEntry(entry) });
  });
  app.post("/api/v1/dlq/:id/requeue", async (c) => {
    const id = idParam(c, "id", "dlqEntry");
    const input = await body(c);
    assertKnownKeys(input, ["data"]);
    const task = await service.requeueDlq(
      id,
      Object.hasOwn(input, "data") ? { data: input.data } : {},
    );
    return c.json({ task: presentTask(task) });
  });
  app.delete("/api/v1/dlq/:id", async (c) => {
    await service.deleteDlqEntry(idParam(c, "id", "dlqEntry"));
    return c.body(null, 204);
  });

  // API keys ------------------------------------------------------------------------------------
  app.get("/api/v1/keys", async (c) => {
    const page = await service.keys.list(pageOf(queryOf(c)), {
      caller: callerOf(c),
      signal: c.req.raw.signal,
    });
    return c.json({ keys: page.items.map(presentKey), nextCursor: page.nextCursor });
  });
  app.post("/api/v1/keys", async (c) => {
    const created = await service.keys.create(await body(c, true));
    // The token is in this answer only: no cache may keep it.
    return c.json({ key: presentKey(created.key), token: created.token }, 201, {
      "cache-control": "no-store",
    });
  });
  app.delete("/api/v1/keys/:id", async (c) => {
    const key = await service.keys.revoke(idParam(c, "id", "key"));
    return c.json({ key: presentKey(key) });
  });

  mountScheduleRoutes(app, { service, body });

  // Stats, workers, events ----------------------------------------------------------------------
  app.get("/api/v1/stats", async (c) => {
    const stats = await service.taskStats({ executorName: queryOf(c).executorName });
    const served = await servedBy(workers, service.now());
    return c.json({ executors: stats.map((s) => presentStats(s, served)) });
  });
  app.get("/api/v1/history", async (c) => {
    const options = { caller: callerOf(c), signal: c.req.raw.signal };
    return c.json(presentHistory(await service.history.read(queryOf(c), options)));
  });
  app.get("/api/v1/workers", async (c) => {
    const page = await workersPage(workers, pageOf(queryOf(c)), {
      maxBytes: service.limits.pageBytes,
      // Counted as answered: times as text, running tasks by id.
      sizeOf: (worker) => jsonBytes(presentWorker(worker)),
    });
    return c.json({ workers: page.items.map(presentWorker), nextCursor: page.nextCursor });
  });
  app.get(
    "/api/v1/events",
    eventStreams(service.events, {
      maxSubscribers: deps.limits.sseSubscribers,
      callerOf,
      signal: deps.stopping,
    }),
  );
  app.get("/api/v1/openapi.json", (c) => c.json(OPENAPI));
  app.get("/api/v1/meta", (c) => c.json(serverFacts()));
  app.post("/api/v1/meta/retry-delays", async (c) => {
    const input = await body(c, true);
    assertKnownKeys(input, ["retryPolicy"]);
    return c.json({ delays: previewRetryDelays(input.retryPolicy) });
  });

  // Operations ----------------------------------------------------------------------------------
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    let readiness: { ready: boolean; checks: Record<string, string> };
    try {
      readiness = await deps.readiness();
    } catch (error) {
      log.warn("Readiness check failed", { error });
      readiness = { ready: false, checks: { readiness: "the check itself failed" } };
    }
    return c.json(
      { status: readiness.ready ? "ready" : "unavailable", checks: readiness.checks },
      readiness.ready ? 200 : 503,
    );
  });
  app.get("/metrics", async (c) => {
    if (!deps.metrics) throw new HttpError(404, "Metrics are not enabled");
    return c.body(await deps.metrics(), 200, {
      "content-type": "text/plain; version=0.0.4; charset=utf-8",
    });
  });

  // Admin page ----------------------------------------------------------------------------------
  app.get("/", (c) => assetResponse(c, "/admin_page.html"));
  app.get("/admin_page.html", (c) => assetResponse(c, "/admin_page.html"));
  app.get("/static/:path{.+}", (c) => assetResponse(c, c.req.path));

  return app;
}

/** The API key a request came with, for its key's shares; none with authentication off. */
function keyIdOf(caller: Principal): string | undefined {
  return caller.keyId === ANONYMOUS_ADMIN.keyId ? undefined : caller.keyId;
}
