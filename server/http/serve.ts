/**
 * The REST server: Deno's own HTTP server (the engine of `Deno.serve`) run on each connection that
 * the connection gate admits, so that connections are capped and idle ones are closed.
 */
import { join } from "node:path";
import { pipeline } from "node:stream";
import { connect } from "node:net";
import type { TLSSocket } from "node:tls";
import {
  type ConnectionCounts,
  type ConnectionGate,
  type ConnectionPlace,
  ConnectionPlaces,
  openConnectionGate,
} from "../connections.ts";
import { log } from "../log.ts";
import { waitAtMost } from "../wait_at_most.ts";
import type { ConnectionRequestBytes, RequestBytesInFlight } from "../request_bytes.ts";
import { openTlsGate, type ServerTlsFiles } from "../tls_listener.ts";
import { ArrivingBodies, type ArrivingBody } from "./arriving_bodies.ts";

/** How a request's body is read on the connection it came on (`readJsonObject`'s options). */
export interface BodyReading {
  /** The connection's request-bytes account; `null` when the server keeps none. */
  held: ConnectionRequestBytes | null;
  /**
   * Settles once the request is answered (its response sent, or the client gone): a body read to
   * its end is held on `held` until then, as the work it brings is not done before.
   */
  answered: Promise<unknown> | null;
  /** Counts the request as waiting for its client while the body arrives (`awaitClient`). */
  awaitClient: ((ended: (max: number) => void) => ArrivingBody) | null;
}

/**
 * The body reading of a request, from the handler's second argument (Hono's `c.env`); nothing to
 * account when it was not served by `serveHttp` (an app called directly).
 */
export function bodyReadingOf(info: unknown): BodyReading {
  const served = info as Partial<ServedRequest> | undefined;
  return {
    held: served?.requestBytes ?? null,
    // Settled either way: a response not sent in full rejects `completed`.
    answered: served?.completed?.catch(() => {}) ?? null,
    awaitClient: served?.awaitClient ?? null,
  };
}

/**
 * The address of the peer a request came from (`host:port`; under TLS the TLS client's, not the
 * relay's), from the handler's second argument; `"unknown"` when it was not served by `serveHttp`.
 */
export function peerOf(info: unknown): string {
  return (info as Partial<ServedRequest> | undefined)?.peer ?? "unknown";
}

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
  /** Its connections: open now, and closed so far to make room for new ones. */
  readonly connections: ConnectionCounts;
  /**
   * Stops accepting and closes idle connections at once, the others as soon as their running
   * requests are answered, and every connection still open after `graceMs` (default 5 s).
   * Resolves once all are closed. Idempotent (the first call's `graceMs` holds).
   */
  shutdown(options?: { graceMs?: number }): Promise<void>;
}

/** Where to listen and how many connections to keep. */
export interface HttpServerOptions {
  hostname: string;
  port: number;
  /**
   * Most open connections (MAX_HTTP_CONNECTIONS); one more takes the place of the connection idle
   * the longest, or is closed at once when every one has a request running.
   */
  maxConnections: number;
  /** A connection with no request running for this many ms is closed (CONNECTION_IDLE_MS). */
  idleMs: number;
  /**
   * Most request bodies arriving at once (MAX_HTTP_BODIES_ARRIVING); one more ends another to make
   * room (`ArrivingBodies.arrive` says which).
   */
  maxBodiesArriving: number;
  /** Serve HTTPS (HTTP/2 or HTTP/1.1) with these files; absent = HTTP. */
  tls?: ServerTlsFiles;
  /** The TLS handshake must end within this many ms (TLS_HANDSHAKE_MS). */
  handshakeMs?: number;
  /**
   * The manager's account of request bytes received and not yet answered; each connection's
   * requests read their bodies on their connection's account (`ServedRequest.requestBytes`).
   */
  requestBytes?: RequestBytesInFlight;
}

/** What the handler learns of a request besides the request itself (its second argument). */
export interface ServedRequest extends Deno.ServeHandlerInfo<Deno.NetAddr> {
  /** The account of the connection it came on; `null` when the server keeps none. */
  requestBytes: ConnectionRequestBytes | null;
  /** The client's address, `host:port` (under TLS the TLS client's, not the relay's). */
  peer: string;
  /**
   * Counts this request as waiting for its client's bytes (its body arriving) until the returned
   * body is `done`: a connection whose requests all wait so may give its place to a new one
   * (`ConnectionPlace.awaitClient`), so bodies sent a byte at a time cannot hold the places; and
   * when `MAX_HTTP_BODIES_ARRIVING` bodies arrive already, one of them is ended (`ended`, with
   * that number) to make room (`ArrivingBodies.arrive`).
   */
  awaitClient(ended: (max: number) => void): ArrivingBody;
}

/**
 * Cancels a connection through the signal its engine was given. The engine's listener cancels the
 * connection's resource without checking it is still there: from the moment the connection ends
 * on its own (its peer closed it) until its `finished` settles, that throws `BadResource` from
 * the listener, where no caller can catch it, and the process would end (a client that closed its
 * connection just as a new one took its place did that). The error is reported while `abort()`
 * runs; that report, and only that one, is marked handled here: the connection is gone already.
 */
function cancelConnection(abort: AbortController): void {
  const gone = (event: ErrorEvent) => {
    if (event.error instanceof Deno.errors.BadResource) event.preventDefault();
  };
  globalThis.addEventListener("error", gone);
  try {
    abort.abort();
  } finally {
    globalThis.removeEventListener("error", gone);
  }
}

/**
 * Serves `handler` on `hostname:port`.
 *
 * @throws {Deno.errors.AddrInUse} when the port is taken
 * @throws {Error} when this Deno does not offer per-connection serving (it is pinned to 2.7.14)
 * @example
 * ```ts ignore
 * const server = await serveHttp(() => new Response("ok"), {
 *   hostname: "127.0.0.1", port: 0, maxConnections: 100, idleMs: 60_000,
 * });
 * await server.shutdown();
 * ```
 */
export async function serveHttp(
  handler: (request: Request, info: ServedRequest) => Response | Promise<Response>,
  options: HttpServerOptions,
): Promise<HttpServer> {
  if (!serveHttpOnConnection) {
    throw new Error(`Deno ${Deno.version.deno} cannot serve HTTP on one connection`);
  }
  const serveOne = serveHttpOnConnection;
  const connections = new Set<{ drain(): Promise<void>; close(): Promise<void> }>();
  const arriving = new ArrivingBodies(options.maxBodiesArriving);

  const serve = (
    conn: Deno.Conn<Deno.NetAddr>,
    place: ConnectionPlace,
    peer = addressOf(conn),
  ): Promise<void> => {
    let running = 0;
    let draining = false;
    let ended = false;
    let timer: number | undefined;
    const requestBytes = options.requestBytes?.connection() ?? null;
    const abort = new AbortController();
    const close = () => {
      if (!ended && !abort.signal.aborted) cancelConnection(abort);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(close, options.idleMs);
    };
    const server = serveOne(
      conn,
      abort.signal,
      (request, info) => {
        running++;
        clearTimeout(timer);
        const release = place.hold();
        // Its body was given up on: once it is answered, the connection takes no more requests
        // (HTTP/2 GOAWAY) and closes when those it has are answered.
        let abandoned = false;
        info.completed.catch(() => {}).finally(() => {
          release();
          if (abandoned) server.shutdown().catch(() => {});
          if (--running > 0 || ended) return;
          if (draining) close();
          else arm();
        });
        return handler(request, {
          // Read when asked only: a relayed connection's address throws.
          get remoteAddr() {
            return info.remoteAddr;
          },
          get completed() {
            return info.completed;
          },
          requestBytes,
          peer,
          awaitClient: (ended) => {
            const waiting = place.awaitClient();
            const body = arriving.arrive(ended);
            return {
              received: body.received,
              abandoned: () => abandoned = true,
              done: () => {
                waiting();
                body.done();
              },
            };
          },
        });
      },
      (error) => {
        log.error("Unexpected error while answering an HTTP request", { error });
        return new Response(null, { status: 500 });
      },
      () => {},
    );
    const finished = server.finished
      // A connection's own failure (the peer left mid-answer) is that connection's end, nothing
      // more; the engine then leaves its resource open, and its shutdown takes it back.
      .catch(() => {
        ended = true;
        return server.shutdown().catch(() => {});
      })
      .finally(() => {
        ended = true;
        clearTimeout(timer);
        connections.delete(entry);
      });
    const entry = {
      // Closed once its running requests are answered (at once when it has none).
      drain: () => {
        draining = true;
        if (running === 0) close();
        return finished;
      },
      close: () => {
        close();
        return finished;
      },
    };
    connections.add(entry);
    place.evicted.addEventListener("abort", close);
    arm();
    return finished;
  };

  const what = "REST connections (MAX_HTTP_CONNECTIONS)";
  const gateOptions = {
    hostname: options.hostname,
    port: options.port,
    places: new ConnectionPlaces(options.maxConnections, what),
    what,
  };
  const relay = options.tls && plaintextRelay(serve);
  const gate: ConnectionGate = options.tls && relay
    ? await openTlsGate({
      ...gateOptions,
      files: options.tls,
      handshakes: "REST TLS handshakes (TLS_CERT_FILE)",
      alpnProtocols: ["h2", "http/1.1"],
      clientCertificates: false,
      handshakeMs: options.handshakeMs ?? 10_000,
      serve: relay.serve,
    })
    : openConnectionGate({ ...gateOptions, serve });

  let stopped: Promise<void> | undefined;
  return {
    addr: gate.addr,
    get acceptError() {
      return gate.acceptError;
    },
    connections: gate,
    shutdown: ({ graceMs = 5000 } = {}) =>
      stopped ??= (async () => {
        await gate.close();
        await relay?.close();
        await waitAtMost(Promise.all([...connections].map((c) => c.drain())), graceMs);
        await Promise.all([...connections].map((c) => c.close()));
      })(),
  };
}

/** `host:port` of a TCP connection's peer (`"unknown"` for another kind). */
function addressOf(conn: Deno.Conn): string {
  const address = conn.remoteAddr;
  return address.transport === "tcp" ? `${address.hostname}:${address.port}` : "unknown";
}

/**
 * HTTPS by relay: Deno's HTTP engine serves only Deno connections, and Deno's TLS listener cannot
 * drop a client that never starts its handshake nor change its certificate. So TLS ends in
 * server/tls_listener.ts, and each connection's plaintext goes over a Unix socket in a private
 * folder to the engine (`serve`), at the cost of one more copy of every byte (docs/benchmarks.md,
 * "What TLS costs"). Each relayed connection starts with a 4-byte number that tells the engine's
 * side which place (server/connections.ts) the TLS connection holds.
 */
function plaintextRelay(
  serve: (conn: Deno.Conn<Deno.NetAddr>, place: ConnectionPlace, peer: string) => Promise<void>,
) {
  const dir = Deno.makeTempDirSync({ prefix: "tasks-executor-https-" });
  const path = join(dir, "plaintext.sock");
  const inner = Deno.listen({ transport: "unix", path });
  const relayed = new Map<number, { place: ConnectionPlace; peer: string }>();
  let next = 0;
  const serveRelayed = async (conn: Deno.Conn) => {
    const id = new Uint8Array(4);
    for (let got = 0; got < id.length;) {
      const n = await conn.read(id.subarray(got)).catch(() => null);
      if (n === null) return conn.close();
      got += n;
    }
    const number = new DataView(id.buffer).getUint32(0);
    const entry = relayed.get(number);
    relayed.delete(number);
    if (!entry) return conn.close();
    await serve(conn as unknown as Deno.Conn<Deno.NetAddr>, entry.place, entry.peer);
  };
  const served = (async () => {
    for await (const conn of inner) serveRelayed(conn).catch(() => {});
  })().catch(() => {});
  return {
    serve: (socket: TLSSocket, place: ConnectionPlace) =>
      new Promise<void>((done) => {
        const number = next;
        next = (next + 1) % 2 ** 32;
        relayed.set(number, { place, peer: `${socket.remoteAddress}:${socket.remotePort}` });
        const plain = connect({ path });
        const id = new Uint8Array(4);
        new DataView(id.buffer).setUint32(0, number);
        plain.write(id);
        pipeline(socket, plain, socket, () => {
          relayed.delete(number);
          socket.destroy();
          plain.destroy();
          done();
        });
      }),
    close: async () => {
      inner.close();
      await served;
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
