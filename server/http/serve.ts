/**
 * The REST server: Deno's own HTTP server (the engine of `Deno.serve`) run on each connection that
 * the connection gate admits, so that connections are capped and idle ones are closed.
 */
import { openConnectionGate } from "../connections.ts";
import { log } from "../log.ts";

/**
 * `Deno.serve` has no connection cap, no timeout for a connection that never sends a request, and
 * its accept loop ends for good on the first accept error (EMFILE): it cannot be given a listener
 * either. The function it is built on serves one connection; Deno 2.7 exposes it as an internal.
 */
type ServeOnConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => { finished: Promise<void>; shutdown(): Promise<void> };

const serveHttpOnConnection = (Deno as unknown as Record<symbol, Record<string, unknown>>)[
  (Deno as unknown as { internal: symbol }).internal
]?.serveHttpOnConnection as ServeOnConnection | undefined;

/** A running REST server. */
export interface HttpServer {
  /** The address it listens on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Why new connections cannot be accepted now, or `null` while they can. */
  readonly acceptError: string | null;
  /** Stops accepting, closes idle connections, lets running requests finish. Idempotent. */
  shutdown(): Promise<void>;
}

/** Where to listen and how many connections to keep. */
export interface HttpServerOptions {
  hostname: string;
  port: number;
  /** Most open connections (MAX_HTTP_CONNECTIONS); one more is closed at once. */
  maxConnections: number;
  /** A connection with no request running for this many ms is closed (CONNECTION_IDLE_MS). */
  idleMs: number;
}

/**
 * Serves `handler` on `hostname:port`.
 *
 * @throws {Deno.errors.AddrInUse} when the port is taken
 * @throws {Error} when this Deno does not offer per-connection serving (it is pinned to 2.7.14)
 * @example
 * ```ts ignore
 * const server = serveHttp(() => new Response("ok"), {
 *   hostname: "127.0.0.1", port: 0, maxConnections: 100, idleMs: 60_000,
 * });
 * await server.shutdown();
 * ```
 */
export function serveHttp(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  options: HttpServerOptions,
): HttpServer {
  if (!serveHttpOnConnection) {
    throw new Error(`Deno ${Deno.version.deno} cannot serve HTTP on one connection`);
  }
  const serveOne = serveHttpOnConnection;
  const connections = new Set<
    { idle: boolean; close(): Promise<void>; shutdown(): Promise<void> }
  >();

  const serve = (conn: Deno.TcpConn): Promise<void> => {
    const abort = new AbortController();
    let running = 0;
    let answered = Promise.withResolvers<void>();
    answered.resolve();
    let ended = false;
    let timer: number | undefined;
    // Cancelling a connection that has ended (or is shutting down) throws from the signal's
    // listener, where nothing can catch it: hence the checks.
    const close = () => {
      if (!ended) {
        ended = true;
        abort.abort();
      }
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(close, options.idleMs);
    };
    const server = serveOne(
      conn,
      abort.signal,
      (request, info) => {
        if (running++ === 0) answered = Promise.withResolvers<void>();
        clearTimeout(timer);
        info.completed.catch(() => {}).finally(() => {
          if (--running > 0) return;
          answered.resolve();
          if (!ended) arm();
        });
        return handler(request, info);
      },
      (error) => {
        log.error("Unexpected error while answering an HTTP request", { error });
        return new Response(null, { status: 500 });
      },
      () => {},
    );
    // A connection's own failure (the peer left mid-answer) is that connection's end, nothing more.
    const finished = server.finished.catch(() => {}).finally(() => {
      ended = true;
      clearTimeout(timer);
      connections.delete(entry);
    });
    const entry = {
      get idle() {
        return running === 0;
      },
      close: () => {
        close();
        return finished;
      },
      shutdown: () => {
        if (ended) return finished;
        ended = true;
        clearTimeout(timer);
        // Done once every answer has been sent or dropped, not only once the socket is closed.
        return server.shutdown().catch(() => {}).then(() =>
          Promise.all([finished, answered.promise])
        )
          .then(() => {});
      },
    };
    connections.add(entry);
    arm();
    return finished;
  };

  const gate = openConnectionGate({
    hostname: options.hostname,
    port: options.port,
    maxConnections: options.maxConnections,
    what: "REST connections (MAX_HTTP_CONNECTIONS)",
    serve,
  });

  let stopped: Promise<void> | undefined;
  return {
    addr: gate.addr,
    get acceptError() {
      return gate.acceptError;
    },
    shutdown: () =>
      stopped ??= (async () => {
        gate.close();
        await Promise.all(
          [...connections].map((c) => c.idle ? c.close() : c.shutdown()),
        );
      })(),
  };
}
