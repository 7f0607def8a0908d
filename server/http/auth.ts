/**
 * The REST check, in one middleware: finds the caller of each request, checks the route's
 * operation in the permission table, audits state changes and ends what a request holds open
 * (event streams, waits) when its key is revoked or its session ends.
 */
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { audit } from "../auth/audit.ts";
import { authorize, type Operation, OPERATIONS, REST_OPERATIONS } from "../auth/permissions.ts";
import { anonymousFrom, type Authenticator, type Principal } from "../auth/scopes.ts";
import { OpenStreams } from "../auth/streams.ts";
import { PermissionDeniedError, UnauthenticatedError } from "../domain/errors.ts";
import { log } from "../log.ts";
import { problemResponse } from "./problem.ts";
import { peerOf } from "./serve.ts";
import { echoed } from "./http_error.ts";
import { resolveCaller, type SessionTable, whyUnauthenticated } from "./session.ts";

const callers = new WeakMap<Context, Principal>();
const authorities = new WeakMap<Context, AbortSignal>();

/**
 * The caller of a request to a guarded route, as the middleware found it.
 *
 * @throws {Error} for a request the middleware did not check (an open route): never unchecked
 */
export function callerOf(c: Context): Principal {
  const caller = callers.get(c);
  if (!caller) throw new Error("Request was not authenticated: its route is open or unguarded");
  return caller;
}

/** A route path as hono writes it (`/a/:id`, `/s/:path{.+}`) in OpenAPI's form (`/a/{id}`). */
export function openApiPath(path: string): string {
  return path.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) => `{${name}}`);
}

/**
 * The middleware. The caller is found by `resolveCaller` (a bearer key or an admin page session);
 * with `auth` `null` authentication is off and every caller acts as `ANONYMOUS_ADMIN`, its reads
 * in turn as its host's (`anonymousFrom`; the table still applies: a route missing from it is
 * refused). Open routes are served without looking at credentials; requests that match no route
 * pass on to the 404/405 answer.
 *
 * @throws {UnauthenticatedError} (401) without a valid key or session
 * @throws {PermissionDeniedError} (403) naming the scopes the operation needs
 * @example
 * ```ts ignore
 * app.use("*", authentication({ auth: { authenticator, sessions } }));
 * app.get("/api/v1/tasks/:id", async (c) =>
 *   c.json(await service.getTask(c.req.param("id"), { caller: callerOf(c) })));
 * ```
 */
export function authentication(
  options: { auth: { authenticator: Authenticator; sessions: SessionTable } | null },
): MiddlewareHandler {
  const { auth } = options;
  const streams = auth ? new OpenStreams(auth.authenticator) : null;
  return async (c, next) => {
    const route = matchedRoutes(c).find((r) => r.method !== "ALL");
    if (!route) return await next();
    const operation = operationOf(`${route.method} ${openApiPath(route.path)}`);
    if (OPERATIONS[operation].open) return await next();
    const peer = peerOf(c.env);
    let caller: Principal;
    let session: string | undefined;
    if (auth) {
      const resolved = await resolveCaller(c.req.raw, { ...auth, peer });
      if (!resolved.principal) {
        // No credential at all, where the route answers for nobody (`OperationRule.anonymous`).
        if (resolved.credential === "none" && OPERATIONS[operation].anonymous) return await next();
        throw new UnauthenticatedError(whyUnauthenticated(resolved.credential));
      }
      caller = resolved.principal;
      session = resolved.session;
    } else caller = anonymousFrom(peer);
    const call = echoed(`${c.req.method} ${c.req.path}`);
    try {
      authorize(caller, operation);
    } catch (error) {
      const reason = (error as Error).message;
      audit(caller, operation, { transport: "rest", call, outcome: 403, reason });
      throw error;
    }
    callers.set(c, caller);
    // What the request holds open on its caller's authority ends with it: an event stream ends, a
    // wait (`?wait=`) ends at once, and a read answers nothing (the task it waited for reached the
    // caller 0.35–0.5 s after a revocation). The authority ends when the key is revoked, or, for
    // an admin page session, when the session ends (logout, expiry, revocation).
    const authority = new AbortController();
    authorities.set(c, authority.signal);
    const track = trackerOf(caller, session, streams, auth?.sessions);
    const forget = track(() => authority.abort());
    try {
      await next();
    } finally {
      forget();
    }
    const ended = authority.signal.aborted;
    if (ended && c.req.method === "GET" && !isEventStream(c)) {
      c.res = problemResponse(
        new UnauthenticatedError(
          session === undefined
            ? "The API key was revoked while the request ran"
            : "Session ended while the request ran: it was logged out, expired, or its key was " +
              "revoked",
        ),
      );
    }
    audit(caller, operation, {
      transport: "rest",
      call,
      outcome: c.res.status,
      reason: c.error?.message,
    });
    if (auth && isEventStream(c)) c.res = endWithAuthority(c.res, track);
  };
}

/** Calls `close` once when the caller's authority ends; answers the function that forgets it. */
type Tracker = (close: () => void) => () => void;

/** The tracker of a caller: its key's revocation, and its session's end when it came by one. */
function trackerOf(
  caller: Principal,
  session: string | undefined,
  streams: OpenStreams | null,
  sessions: SessionTable | undefined,
): Tracker {
  return (close) => {
    let closed = false;
    const once = () => {
      if (!closed) close();
      closed = true;
    };
    const forgetKey = streams ? streams.track(caller, once) : () => {};
    const forgetSession = session !== undefined && sessions
      ? sessions.track(session, once)
      : () => {};
    return () => {
      forgetKey();
      forgetSession();
    };
  };
}

/**
 * The signal that aborts when the authority a request was let in on ends (its key revoked, its
 * session ended): a wait given it ends at once. Never aborted with authentication off.
 */
export function authorityOf(c: Context): AbortSignal | undefined {
  return authorities.get(c);
}

function operationOf(route: string): Operation {
  const operation = REST_OPERATIONS[route];
  if (operation) return operation;
  log.error("Route has no entry in the permission table (server/auth/permissions.ts)", { route });
  throw new PermissionDeniedError("No permission is defined for this operation");
}

function isEventStream(c: Context): boolean {
  return c.res.body !== null &&
    (c.res.headers.get("content-type") ?? "").startsWith("text/event-stream");
}

/** The same response, its body ended (and the stream behind it cancelled) when its authority ends. */
function endWithAuthority(response: Response, track: Tracker): Response {
  const reader = response.body!.getReader();
  let ended = false;
  let forget = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      forget = track(() => {
        if (ended) return;
        ended = true;
        controller.close();
        reader.cancel("The caller's key was revoked or its session ended").catch(() => {});
      });
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (ended) return;
      if (!done) return controller.enqueue(value);
      ended = true;
      forget();
      controller.close();
    },
    cancel(reason) {
      ended = true;
      forget();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
}
