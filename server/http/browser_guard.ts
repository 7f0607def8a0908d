/**
 * What a browser may make the manager do: the Host names answered (against DNS rebinding), the
 * pages on other origins allowed to call (CORS), and which requests count as the admin page's own
 * (against cross-site request forgery). One middleware, before routing and authentication.
 */
import type { MiddlewareHandler } from "hono";
import { InvalidArgumentError } from "../domain/errors.ts";
import { isJsonMediaType } from "./json.ts";
import { echoed, HttpError } from "./http_error.ts";

/** Which hosts and origins the manager answers browsers for. */
export interface BrowserPolicy {
  /**
   * Host names answered besides IP literals, lowercase (`ALLOWED_HOSTS`); `["*"]` answers any.
   * IP literals are always answered: a rebinding attack needs a name of the attacker's.
   */
  allowedHosts: readonly string[];
  /**
   * Origins (`https://app.example.com`) whose pages may call the API (`CORS_ORIGINS`); empty =
   * CORS off. They pass the cross-site check too.
   */
  corsOrigins: readonly string[];
  /**
   * The REST port speaks TLS (TLS_CERT_FILE): the manager's own origin is then `https:` only (an
   * `http:` page on the same host and port is not the manager's). Without TLS either scheme
   * counts, as a proxy in front may end TLS. Absent = no TLS.
   */
  tls?: boolean;
}

/** Methods that change nothing; every other method is state-changing. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const CORS_METHODS = "GET, HEAD, POST, PUT, DELETE";
const CORS_HEADERS = "authorization, content-type, accept, last-event-id, traceparent, tracestate";
const CORS_MAX_AGE_S = "600";

/**
 * The host name of a `Host` header value (`Example.com:8080` → `example.com`, `[::1]:80` → `::1`),
 * or `null` when it is not one.
 *
 * @example
 * ```ts
 * import { hostnameOf } from "./browser_guard.ts";
 * console.log(hostnameOf("[::1]:8080")); // "::1"
 * ```
 */
export function hostnameOf(host: string): string | null {
  if (host === "" || /[\s/?#@\\]/.test(host)) return null;
  try {
    return new URL(`http://${host}`).hostname.replace(/^\[(.*)\]$/, "$1");
  } catch {
    return null;
  }
}

/** Whether a host name (as `hostnameOf` gives it) is an IPv4 or IPv6 address. */
export function isIpLiteral(hostname: string): boolean {
  return hostname.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(hostname);
}

function hostAllowed(policy: BrowserPolicy, hostname: string): boolean {
  return isIpLiteral(hostname) || policy.allowedHosts.includes("*") ||
    policy.allowedHosts.includes(hostname);
}

/** `Origin` as `scheme://host[:port]`, or `null` for `null`, opaque or malformed origins. */
function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Whether `origin` names the host and port of the `Host` header (default ports compared as such),
 * under TLS with `https:`. The scheme comes from the listener, never from the request's URL (HTTP/1.1
 * requests relayed from the TLS listener arrive as `http:`).
 */
function sameHost(origin: string, host: string, tls: boolean): boolean {
  const { protocol, host: originHost } = new URL(origin);
  if (tls && protocol !== "https:") return false;
  try {
    return new URL(`${protocol}//${host}`).host === originHost;
  } catch {
    return false;
  }
}

/**
 * The middleware. In order:
 * 1. `Host` must be a host with an optional port (else 400) and name this manager (an IP literal
 *    or one of `allowedHosts`): else 421.
 * 2. A CORS preflight is answered 204 for an allowed origin, 403 otherwise.
 * 3. A state-changing request (any method but GET, HEAD, OPTIONS) that carries `Origin` must come
 *    from this manager's own origin (same host and port as `Host`) or an allowed one: else 403.
 * 4. Answers to an allowed cross-origin caller carry `Access-Control-Allow-Origin`.
 *
 * The content-type rule for POSTs is `jsonPostGuard`, mounted after authentication.
 *
 * @throws {InvalidArgumentError} 400 for a `Host` that is no host[:port]
 * @throws {HttpError} 421 or 403 as above (answered as problem+json by the app)
 * @example
 * ```ts ignore
 * app.use("*", browserGuard({ allowedHosts: ["localhost"], corsOrigins: [] }));
 * ```
 */
export function browserGuard(policy: BrowserPolicy): MiddlewareHandler {
  const cors = new Set(policy.corsOrigins);
  return async (c, next) => {
    const request = c.req.raw;
    // The request's URL is built from `Host`: one that is no host[:port] ("a:99999", "h:abc")
    // leaves it unparsable, and every later reading of it would throw (RFC 9112 §3.2: 400).
    const url = URL.parse(request.url);
    if (url === null) {
      const message = `Host "${echoed(request.headers.get("host") ?? "")}" is not a ` +
        "host name or address with an optional port (1-65535)";
      throw new InvalidArgumentError(message, [{ field: "Host", message }]);
    }
    const host = request.headers.get("host") ?? url.host;
    const hostname = hostnameOf(host);
    if (hostname === null || !hostAllowed(policy, hostname)) {
      throw new HttpError(
        421,
        `Host "${echoed(host)}" is not a name this manager answers to (ALLOWED_HOSTS)`,
      );
    }

    const originHeader = request.headers.get("origin");
    const origin = originHeader === null ? null : originOf(originHeader);
    const allowedCrossOrigin = origin !== null && cors.has(origin);

    if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
      if (!allowedCrossOrigin) {
        throw new HttpError(
          403,
          `Origin "${
            echoed(originHeader ?? "")
          }" may not call this API from a browser (CORS_ORIGINS)`,
        );
      }
      return c.body(null, 204, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": CORS_METHODS,
        "access-control-allow-headers": CORS_HEADERS,
        "access-control-max-age": CORS_MAX_AGE_S,
        "vary": "Origin",
      });
    }

    if (!SAFE_METHODS.has(request.method)) {
      if (originHeader !== null && !allowedCrossOrigin) {
        const sameOrigin = origin !== null && sameHost(origin, host, policy.tls === true);
        if (!sameOrigin) {
          throw new HttpError(
            403,
            `Cross-origin request refused: origin "${
              echoed(originHeader)
            }" is neither this manager's nor in CORS_ORIGINS`,
          );
        }
      }
    }

    await next();
    if (cors.size > 0) c.res.headers.append("vary", "Origin");
    if (allowedCrossOrigin) c.res.headers.set("access-control-allow-origin", origin);
  };
}

/**
 * A POST — the one state-changing method a page on another site can send without a preflight —
 * needs a JSON `Content-Type` or an `Authorization` header, neither of which such a page can send:
 * else 415. So bodiless `no-cors` POSTs and form posts riding on a session cookie are refused.
 * Mounted after authentication, so that a caller with no credentials hears 401 first.
 *
 * @throws {HttpError} 415
 * @example
 * ```ts ignore
 * app.use("*", authentication({ auth }));
 * app.use("*", jsonPostGuard());
 * ```
 */
export function jsonPostGuard(): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    const contentType = request.headers.get("content-type");
    if (
      request.method === "POST" && !request.headers.has("authorization") &&
      (contentType === null || !isJsonMediaType(contentType))
    ) {
      throw new HttpError(
        415,
        "A POST needs Content-Type: application/json (or an Authorization header), " +
          "which a page on another site cannot send",
      );
    }
    await next();
  };
}
