/**
 * The TLS side of the manager's two ports: a `node:tls` server on its own listener, capped like
 * server/connections.ts, with a handshake deadline, client certificates checked against
 * TLS_CLIENT_CA_FILE, and the files read again on `reload` (SIGHUP) for the connections after.
 */
import type { Socket } from "node:net";
import { createServer, type TLSSocket } from "node:tls";
import type { ConnectionGate, ConnectionPlace, ConnectionPlaces } from "./connections.ts";
import { log } from "./log.ts";
import { LogThrottle } from "./log_throttle.ts";
import { readServerTls, type ServerTls } from "./tls.ts";

/**
 * The TLS files both ports serve, and the ports to tell when they are read again. One per
 * manager; `reload` is what SIGHUP calls.
 */
export class ServerTlsFiles {
  #tls: ServerTls;
  readonly #listeners = new Set<(tls: ServerTls) => void>();

  constructor(tls: ServerTls) {
    this.#tls = tls;
  }

  /** The files as last read. */
  get current(): ServerTls {
    return this.#tls;
  }

  /**
   * Reads the files again (the same paths); connections accepted from now on use them, open ones
   * keep theirs. Whether client certificates are asked for is decided at start (the variables do
   * not change).
   *
   * @throws {TlsFileError} naming the variable whose file is not usable; the files in use stay
   */
  reload(): void {
    this.#tls = readServerTls(this.#tls.files)!;
    for (const listener of this.#listeners) listener(this.#tls);
  }

  /** Calls `listener` after each reload, until the returned function is called. */
  onReload(listener: (tls: ServerTls) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** How a TLS port listens, and what it does with each connection once secure. */
export interface TlsGateOptions {
  hostname: string;
  port: number;
  /** The port's places, taken from the TCP accept (the handshake holds no request). */
  places: ConnectionPlaces;
  /** Names the connections in logs, e.g. `gRPC connections (MAX_GRPC_CONNECTIONS)`. */
  what: string;
  /**
   * Names the handshakes in the lines of refused ones, e.g. `gRPC TLS handshakes (TLS_CERT_FILE,
   * TLS_CLIENT_CA_FILE)`: what a refusal concerns, not the connection cap.
   */
  handshakes: string;
  files: ServerTlsFiles;
  /** ALPN protocols offered, in order of preference (`["h2"]` for gRPC). */
  alpnProtocols: string[];
  /** Ask for a client certificate issued by TLS_CLIENT_CA_FILE (when that file is set). */
  clientCertificates: boolean;
  /** The handshake must end within this many ms (TLS_HANDSHAKE_MS), else the socket is closed. */
  handshakeMs: number;
  /**
   * Serves one connection whose handshake succeeded; settles once it is closed. The gate closes
   * it when `place.evicted` aborts.
   */
  serve(socket: TLSSocket, place: ConnectionPlace): Promise<unknown>;
}

/**
 * Listens for TLS on `hostname:port`. Deno's own TLS listener cannot ask for client certificates,
 * cannot drop a client that never starts its handshake, and cannot change its certificate; a
 * `node:tls` server can (the handshake deadline is kept here, as Deno 2.7 ignores the server's
 * `handshakeTimeout`).
 *
 * @throws {Error} with code `EADDRINUSE` and other listen errors
 * @example
 * ```ts ignore
 * const gate = await openTlsGate({ hostname: "127.0.0.1", port: 0,
 *   places: new ConnectionPlaces(100, "test connections"), what: "test connections",
 *   handshakes: "test TLS handshakes", files, alpnProtocols: ["h2"], clientCertificates: true,
 *   handshakeMs: 10_000, serve: async (socket) => socket.end() });
 * await gate.close();
 * ```
 */
export async function openTlsGate(options: TlsGateOptions): Promise<ConnectionGate> {
  const { files } = options;
  const askCertificate = options.clientCertificates && files.current.clientCa !== null;
  const contextOf = (tls: ServerTls) => ({
    cert: tls.cert,
    key: tls.key,
    ...(askCertificate ? { ca: tls.clientCa! } : {}),
  });
  const server = createServer({
    ...contextOf(files.current),
    ALPNProtocols: options.alpnProtocols,
    requestCert: askCertificate,
    rejectUnauthorized: askCertificate,
  });
  const stopReload = files.onReload((tls) => server.setSecureContext(contextOf(tls)));

  const { places } = options;
  // The places of the connections still in their handshake, with their deadlines, by remote
  // address and port.
  const handshaking = new Map<
    string,
    { place: ConnectionPlace; deadline: ReturnType<typeof setTimeout> }
  >();
  server.on("connection", (socket: Socket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const place = places.admit(key);
    if (!place) {
      socket.destroy();
      return;
    }
    place.evicted.addEventListener("abort", () => socket.destroy());
    // The server's own `handshakeTimeout` does not fire on Deno 2.7: a client that never sends
    // would keep its socket. This deadline closes it; `secureConnection` clears it.
    handshaking.set(key, {
      place,
      deadline: setTimeout(() => socket.destroy(), options.handshakeMs),
    });
    socket.once("close", () => {
      place.leave();
      clearTimeout(handshaking.get(key)?.deadline);
      handshaking.delete(key);
    });
  });
  // Refused handshakes are the operator's clue to a client's TLS mistake (no certificate, another
  // CA, plaintext to this port); strangers can cause them, so one line per peer and reason a
  // minute: a different mistake from the same address (two clients behind one NAT, a client
  // fixed halfway) is not hidden behind the first. Reasons are the TLS library's own words.
  const refusals = new LogThrottle();
  const logRefusal = (msg: string, socket: TLSSocket, reason: string) => {
    // Deno 2.7: a TLS socket whose handshake failed has no remoteAddress; its TCP socket has.
    const peer = socket.remoteAddress ??
      (socket as TLSSocket & { _parent?: Socket })._parent?.remoteAddress ?? "unknown";
    const suppressed = refusals.admit(`${peer}\n${msg}\n${reason}`, Date.now());
    if (suppressed === null) return;
    log.info(msg, {
      what: options.handshakes,
      peer,
      reason,
      ...(suppressed > 0 ? { suppressed } : {}),
    });
  };
  server.on("tlsClientError", (error: Error, socket: TLSSocket) => {
    logRefusal("TLS handshake refused", socket, error.message);
    socket.destroy();
  });
  server.on("secureConnection", (socket: TLSSocket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const handshake = handshaking.get(key);
    clearTimeout(handshake?.deadline);
    handshaking.delete(key);
    if (!handshake) {
      socket.destroy();
      return;
    }
    // Refused in the handshake already when missing or not issued by the CA; checked again here
    // so that no connection without a verified certificate ever reaches `serve`.
    if (askCertificate && !socket.authorized) {
      logRefusal(
        "Client certificate refused",
        socket,
        String(socket.authorizationError ?? "not verified"),
      );
      socket.destroy();
      return;
    }
    handshake.place.evicted.addEventListener("abort", () => socket.destroy());
    options.serve(socket, handshake.place)
      .catch((error) => log.warn(`A connection failed`, { what: options.what, error }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Errors after listening (a failed accept) are the server's to retry; they are logged.
  server.on("error", (error) => log.warn(`Cannot accept ${options.what}`, { error }));
  const address = server.address() as { address: string; port: number };

  let stopped = false;
  return {
    addr: { transport: "tcp", hostname: address.address, port: address.port },
    get open() {
      return places.open;
    },
    get evictions() {
      return places.evictions;
    },
    get rateLimited() {
      return places.rateLimited;
    },
    acceptError: null,
    // Stops listening; a connection still in its handshake ends by its deadline at the latest.
    close() {
      if (!stopped) {
        stopped = true;
        stopReload();
        server.close();
      }
      return Promise.resolve();
    },
  };
}
