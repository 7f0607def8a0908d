/**
 * What Deno keeps of a closed HTTP/2 session, cut down to what it cannot let go.
 *
 * Deno 2.7.14's `node:http2` holds a global handle, for the life of the process, to the native
 * object behind every session it makes (the `Http2Session` under a `ServerHttp2Session`'s
 * `kHandle`), with about 25 KB of native memory it never frees. Through that object's own
 * properties (its owner, its `sendPending`, `onstreamclose` and `ondone` callbacks) the whole
 * closed connection stayed reachable: the session, its socket, the frame reader and the Deno
 * connection under it, about 3.5 KB of JavaScript heap a connection more. Once a session has
 * closed, those properties are deleted; the native part stays (see the README, "What Deno keeps
 * of every connection").
 */
import { setImmediate } from "node:timers";

interface SessionEvents {
  once(event: "close", listener: () => void): unknown;
}

/** What `forgetClosedSessions` needs of a `node:http2` server. */
export interface Http2ServerEvents {
  on(event: "session", listener: (session: SessionEvents) => void): unknown;
}

/** The native handle of a `node:http2` session (`kHandle`), or `undefined` if it has none. */
export function nativeHandleOf(session: object): Record<PropertyKey, unknown> | undefined {
  const key = Object.getOwnPropertySymbols(session).find((symbol) =>
    symbol.description === "kHandle"
  );
  const handle = key && (session as Record<symbol, unknown>)[key];
  return typeof handle === "object" && handle !== null
    ? handle as Record<PropertyKey, unknown>
    : undefined;
}

/**
 * Has every session `http2Server` makes drop what its native handle refers to once it has closed
 * (a turn after its `close`, so that node:http2's own close has run to its end). The handle is
 * taken when the session starts: node:http2 forgets it on close.
 */
export function forgetClosedSessions(http2Server: Http2ServerEvents): void {
  http2Server.on("session", (session) => {
    const handle = nativeHandleOf(session);
    if (!handle) return;
    session.once("close", () =>
      setImmediate(() => {
        for (const key of Reflect.ownKeys(handle)) delete handle[key];
      }));
  });
}
