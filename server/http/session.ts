/**
 * Admin page sessions and the caller of a REST request. A key given once to `POST /api/v1/session`
 * becomes a cookie holding a random session id; the manager keeps, in memory only, the key behind
 * each id and authenticates it again on every request, so a revoked key's sessions stop at once.
 */
import type { Context, Hono } from "hono";
import { authorize, type Operation, OPERATIONS } from "../auth/permissions.ts";
import { type AuthAttempt, hostOfPeer } from "../auth/failures.ts";
import type { Authenticator, Principal } from "../auth/scopes.ts";
import { bearerToken } from "../auth/token.ts";
import {
  FailedPreconditionError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnauthenticatedError,
} from "../domain/errors.ts";
import { ConnectionRateLimit } from "../connection_rate.ts";
import type { Limits } from "../domain/limits.ts";
import { HttpError } from "./http_error.ts";
import { unrefTimer } from "../unref_timer.ts";
import { assertKnownKeys, readJsonObject } from "./json.ts";
import { bodyReadingOf, peerOf } from "./serve.ts";

/** The name of the session cookie. */
export const SESSION_COOKIE = "te_session";

/** How a request presented its caller. */
export type Credential = "bearer" | "malformed" | "session" | "none";

/** The caller of one request, as `resolveCaller` found it. */
export interface Caller {
  /** `null` when no credential was sent, or it is malformed, unknown, revoked or expired. */
  principal: Principal | null;
  credential: Credential;
  /** For a session: when it ends, epoch ms. */
  expiresAt?: number;
  /** For a session: its handle for `SessionTable.track` (a hash of its id, never the id). */
  session?: string;
}

/** Options of a `SessionTable`. */
export interface SessionOptions {
  /** How long a session lasts after login, in ms (`Limits.sessionTtlMs`). */
  ttlMs: number;
  /** Most sessions held at once (`Limits.sessions`). */
  maxSessions: number;
  /** The clock, epoch ms (default `Date.now`). */
  now?: () => number;
}

interface Held {
  /** The key the session was opened with: authenticated again on every use. */
  token: string;
  /** That key's id. */
  keyId: string;
  expiresAt: number;
}

/**
 * Most sessions one key holds; a login past it ends that key's oldest session. Without it one key
 * (a `metrics` key will do) could fill the table and lock every admin out of the page.
 */
export const SESSIONS_PER_KEY = 100;

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Sessions are found by a hash of their id, so that a lookup's time tells nothing of the ids. */
async function digest(id: string): Promise<string> {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id));
  return base64url(new Uint8Array(hash));
}

/**
 * The open sessions of this manager, in memory: a restart, or another manager behind the same
 * address, asks for a new login.
 *
 * @example
 * ```ts ignore
 * const sessions = new SessionTable(authenticator, { ttlMs: 3_600_000, maxSessions: 100 });
 * const opened = await sessions.open("te_…"); // { id, principal, expiresAt } | null
 * const caller = await sessions.resolve(opened!.id); // null once the key is revoked
 * ```
 */
export class SessionTable {
  readonly #authenticator: Authenticator;
  readonly #options: SessionOptions;
  readonly #now: () => number;
  readonly #held = new Map<string, Held>();
  /**
   * What is held open on each session's authority (`track`), by session handle, with the one
   * timer that ends the session at its expiry meanwhile: set by the first `track`, cleared with
   * the last one forgotten or the session's end.
   */
  readonly #tracked = new Map<
    string,
    { closers: Set<() => void>; expiry: ReturnType<typeof setTimeout> }
  >();

  constructor(authenticator: Authenticator, options: SessionOptions) {
    this.#authenticator = authenticator;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    // A revoked key's sessions give their places back at once, not when they expire.
    authenticator.onRevoked((keyId) => {
      for (const [key, held] of this.#held) if (held.keyId === keyId) this.#end(key);
    });
  }

  /** Drops session `key` and closes what is held open on it. */
  #end(key: string): void {
    this.#held.delete(key);
    const tracked = this.#tracked.get(key);
    this.#tracked.delete(key);
    if (!tracked) return;
    clearTimeout(tracked.expiry);
    for (const close of tracked.closers) close();
  }

  /**
   * Calls `close` once when the session of `handle` (`Caller.session`) ends: logged out, expired,
   * its key revoked, or ended past its key's share (at once when it has ended already). Returns the
   * function that forgets it; call it when what was held open ends.
   */
  track(handle: string, close: () => void): () => void {
    const held = this.#held.get(handle);
    if (!held) {
      close();
      return () => {};
    }
    let tracked = this.#tracked.get(handle);
    if (!tracked) {
      // Expiry ends it too, though no request comes to find the session expired: one timer for
      // the session, however many requests and streams it holds open.
      const expiry = setTimeout(() => {
        if (this.#held.get(handle) === held) this.#end(handle);
      }, Math.max(0, held.expiresAt - this.#now()));
      unrefTimer(expiry);
      this.#tracked.set(handle, tracked = { closers: new Set(), expiry });
    }
    const entry = () => close();
    const mine = tracked;
    mine.closers.add(entry);
    return () => {
      mine.closers.delete(entry);
      if (mine.closers.size === 0 && this.#tracked.get(handle) === mine) {
        clearTimeout(mine.expiry);
        this.#tracked.delete(handle);
      }
    };
  }

  /** How long a session lasts after login, in ms. */
  get ttlMs(): number {
    return this.#options.ttlMs;
  }

  /** Sessions held now, expired ones not yet dropped included. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Opens a session for `token`: its id (32 random bytes, base64url), caller and end; `null` when
   * the token is not a valid key (a failure logged with `attempt`, when given).
   *
   * @throws {ResourceExhaustedError} when `maxSessions` sessions are open and none has expired
   * @throws {UnavailableError} when the key cannot be checked (store away)
   */
  async open(
    token: string,
    attempt?: AuthAttempt,
  ): Promise<{ id: string; principal: Principal; expiresAt: number } | null> {
    const principal = await this.#authenticator.authenticate(token, attempt);
    if (principal === null) return null;
    const now = this.#now();
    const ofKey = [...this.#held].filter(([, held]) => held.keyId === principal.keyId);
    // Oldest first (insertion order): end the oldest past the key's share.
    for (const [key] of ofKey.slice(0, Math.max(0, ofKey.length - SESSIONS_PER_KEY + 1))) {
      this.#end(key);
    }
    if (this.#held.size >= this.#options.maxSessions) {
      for (const [key, held] of this.#held) {
        if (held.expiresAt <= now) this.#end(key);
      }
      if (this.#held.size >= this.#options.maxSessions) {
        throw new ResourceExhaustedError(
          `Cannot log in: ${this.#options.maxSessions} sessions are open (MAX_SESSIONS); ` +
            "log out elsewhere or wait for sessions to expire",
        );
      }
    }
    const id = base64url(crypto.getRandomValues(new Uint8Array(32)));
    const expiresAt = now + this.#options.ttlMs;
    this.#held.set(await digest(id), { token, keyId: principal.keyId, expiresAt });
    return { id, principal, expiresAt };
  }

  /**
   * The caller behind session `id` and its end; `null` (and the session dropped) when it is
   * unknown, expired, or its key is no longer valid.
   *
   * @throws {UnavailableError} when the key cannot be checked (store away)
   */
  async resolve(
    id: string,
  ): Promise<{ principal: Principal; expiresAt: number; handle: string } | null> {
    const key = await digest(id);
    const held = this.#held.get(key);
    if (!held) return null;
    if (held.expiresAt <= this.#now()) {
      this.#end(key);
      return null;
    }
    const principal = await this.#authenticator.authenticate(held.token);
    if (principal === null) {
      this.#end(key);
      return null;
    }
    return { principal, expiresAt: held.expiresAt, handle: key };
  }

  /** Ends session `id` and what is held open on it (`track`); nothing happens when there is none. */
  async close(id: string): Promise<void> {
    this.#end(await digest(id));
  }
}

/** The value of cookie `name` in a `Cookie` header, or `null`. */
function cookieOf(request: Request, name: string): string | null {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return null;
}

/**
 * The caller of `request`: the `Authorization: Bearer <token>` header when there is one (any
 * other Authorization scheme is a malformed credential), else the session cookie, else none. A
 * header that fails is logged (rate-limited, never the token) with `peer`, the client's address.
 *
 * @throws {UnavailableError} when the key cannot be checked (store away)
 */
export async function resolveCaller(
  request: Request,
  deps: { authenticator: Authenticator; sessions: SessionTable; peer?: string },
): Promise<Caller> {
  const authorization = request.headers.get("authorization");
  if (authorization !== null) {
    // Another form fails (`bearerToken`), and is logged as a failure.
    const token = bearerToken(authorization);
    const principal = await deps.authenticator.authenticate(token, {
      transport: "rest",
      peer: deps.peer ?? "unknown",
      via: "authorization",
    });
    return { principal, credential: token === null ? "malformed" : "bearer" };
  }
  const id = cookieOf(request, SESSION_COOKIE);
  if (id === null || id === "") return { principal: null, credential: "none" };
  const session = await deps.sessions.resolve(id);
  return session === null ? { principal: null, credential: "session" } : {
    principal: session.principal,
    credential: "session",
    expiresAt: session.expiresAt,
    session: session.handle,
  };
}

/**
 * Why a request with `credential` and no valid caller is refused: the message of its 401.
 *
 * @example
 * ```ts
 * import { whyUnauthenticated } from "./session.ts";
 * console.log(whyUnauthenticated("bearer")); // "The API key is unknown or revoked"
 * ```
 */
export function whyUnauthenticated(credential: Credential): string {
  switch (credential) {
    case "none":
      return "Not logged in: send Authorization: Bearer <key>, or log in with POST /api/v1/session";
    case "session":
      // Sessions live in memory: one from before a restart is unknown, as an ended one is.
      return "Session ended: it expired, was logged out, its key was revoked, or the manager " +
        "restarted";
    case "bearer":
      return "The API key is unknown or revoked";
    case "malformed":
      return "Send the API key as Authorization: Bearer <key>";
  }
}

/** The warning, once a minute at most, while logins are refused for their client's rate. */
export const LOGINS_REFUSED =
  "Logins refused: a client address attempts them past LOGIN_BURST at once, then LOGIN_RATE_LIMIT a second; they are answered 429, their bodies unread";

/**
 * The rate limit on logins of a manager with `limits` (`SessionRouteDeps.logins`); its `refused`
 * counts the logins refused (`tasks_executor_logins_rate_limited_total`).
 */
export function loginRate(
  limits: Pick<Limits, "loginRateLimit" | "loginBurst">,
): ConnectionRateLimit {
  return new ConnectionRateLimit({
    perSecond: limits.loginRateLimit,
    burst: limits.loginBurst,
    what: "logins",
    warning: LOGINS_REFUSED,
  });
}

/** What the session routes need. */
export interface SessionRouteDeps {
  /** `null` when authentication is off (AUTH=off): every caller is the anonymous admin. */
  auth: { authenticator: Authenticator; sessions: SessionTable } | null;
  /** The anonymous caller while authentication is off. */
  anonymous: Principal;
  /** Longest a login's body may take to arrive, ms (REQUEST_RECEIVE_MS). */
  receiveMs: number;
  /**
   * How fast one client address may attempt logins (LOGIN_RATE_LIMIT, LOGIN_BURST): checked before
   * the body is read (`loginRate`).
   */
  logins: ConnectionRateLimit;
  /**
   * The REST port speaks TLS (TLS_CERT_FILE): the cookie is `Secure`. Decided by the listener,
   * not the request: HTTP/1.1 requests relayed from the TLS listener arrive with `http:` URLs.
   */
  tls: boolean;
}

/**
 * Largest login body (`{"key": "te_…"}`), bytes: the route is open to everyone, and its body only
 * holds a key (81 characters), so it does not take `MAX_REQUEST_BYTES` of the request-bytes account.
 */
export const SESSION_BODY_BYTES = 4096;

/** The operations of the permission table that `principal` may perform (on some executor). */
function operationsOf(principal: Principal): Operation[] {
  return (Object.keys(OPERATIONS) as Operation[]).filter((operation) => {
    try {
      authorize(principal, operation);
      return true;
    } catch {
      return false;
    }
  });
}

function setCookie(c: Context, value: string, options: { maxAgeS: number; tls: boolean }): void {
  const { maxAgeS } = options;
  const secure = options.tls ? "; Secure" : "";
  c.header(
    "set-cookie",
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure}`,
  );
}

/**
 * Mounts `/api/v1/session`:
 * - `POST {"key": "te_…"}` → 201 `{session}` and the cookie (`HttpOnly`, `SameSite=Strict`,
 *   `Path=/`, `Max-Age` = the session's life, `Secure` when the port speaks TLS, whatever the
 *   request's URL says); 401 for a key that is not
 *   valid; 409 while authentication is off; 503 when `MAX_SESSIONS` are open; 429 with
 *   `Retry-After: 1` and `Connection: close`, the body unread, when the client's address attempts
 *   logins faster than `logins` lets it.
 * - `GET` → 200 `{session}` for the caller (cookie or bearer key; the anonymous admin while
 *   authentication is off); 200 `{session: null}` for a request with neither (the admin page's
 *   first visit: a 401 there showed as an error in the browser's console); 401 for a key or a
 *   session that is not valid (unknown, revoked, ended).
 * - `DELETE` → 204: ends the cookie's session (if any) and clears the cookie.
 *
 * `session` is `{authentication: "on"|"off", keyId, keyName, scopes, executors, operations,
 * readOnly, expiresAt}` — `operations` the operations of `server/auth/permissions.ts` the caller
 * may perform (what the admin page shows buttons for), `readOnly` true when none of them changes
 * anything, `expiresAt` RFC 3339 or null.
 */
export function mountSessionRoutes(app: Hono, deps: SessionRouteDeps): void {
  const present = (principal: Principal, expiresAt: number | null) => {
    const operations = operationsOf(principal);
    return {
      session: {
        authentication: deps.auth ? "on" : "off",
        keyId: principal.keyId,
        keyName: principal.keyName,
        scopes: principal.scopes,
        executors: principal.executors,
        operations,
        readOnly: !operations.some((operation) => OPERATIONS[operation].changes),
        expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
      },
    };
  };

  app.post("/api/v1/session", async (c) => {
    // Before the body is read: a flood of logins from one address is refused for the price of
    // its headers. The body is left unread, so the connection is closed once this is answered
    // (over HTTP/1.1 what is left of it would otherwise have to be read or come first).
    if (!deps.logins.admit(hostOfPeer(peerOf(c.env)))) {
      throw new HttpError(
        429,
        "Too many logins from this address: LOGIN_BURST at once, then LOGIN_RATE_LIMIT a second; retry later",
        { "retry-after": "1", connection: "close" },
      );
    }
    // Open to everyone, and a body only holds a key: SESSION_BODY_BYTES, not MAX_REQUEST_BYTES.
    const body = await readJsonObject(c.req.raw, {
      maxBytes: SESSION_BODY_BYTES,
      required: true,
      ...bodyReadingOf(c.env),
      receiveMs: deps.receiveMs,
    });
    assertKnownKeys(body, ["key"]);
    if (typeof body.key !== "string" || body.key === "") {
      throw InvalidArgumentError.listing("Invalid request body", [
        { field: "/key", message: "Must be an API key (a non-empty string)" },
      ]);
    }
    if (!deps.auth) {
      throw new FailedPreconditionError(
        "Authentication is off (AUTH=off): the admin page needs no login",
      );
    }
    const opened = await deps.auth.sessions.open(body.key, {
      transport: "rest",
      peer: peerOf(c.env),
      via: "login",
    });
    if (!opened) throw new UnauthenticatedError("Cannot log in: the key is unknown or revoked");
    setCookie(c, opened.id, {
      maxAgeS: Math.floor(deps.auth.sessions.ttlMs / 1000),
      tls: deps.tls,
    });
    return c.json(present(opened.principal, opened.expiresAt), 201);
  });

  app.get("/api/v1/session", async (c) => {
    if (!deps.auth) return c.json(present(deps.anonymous, null));
    const caller = await resolveCaller(c.req.raw, { ...deps.auth, peer: peerOf(c.env) });
    if (!caller.principal && caller.credential === "none") return c.json({ session: null });
    if (!caller.principal) throw new UnauthenticatedError(whyUnauthenticated(caller.credential));
    return c.json(present(caller.principal, caller.expiresAt ?? null));
  });

  app.delete("/api/v1/session", async (c) => {
    const id = cookieOf(c.req.raw, SESSION_COOKIE);
    if (id && deps.auth) await deps.auth.sessions.close(id);
    setCookie(c, "", { maxAgeS: 0, tls: deps.tls });
    return c.body(null, 204);
  });
}
