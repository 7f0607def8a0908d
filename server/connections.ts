/**
 * The accept loop in front of the REST and gRPC servers: at most a set number of open connections,
 * a new one taking the place of the connection idle the longest when all are taken, and an accept
 * that fails (out of file descriptors) is retried with backoff instead of ending the server, while
 * `acceptError` says why it cannot accept.
 */
import type { ConnectionRateLimit } from "./connection_rate.ts";
import { log } from "./log.ts";

/** One admitted connection's place, from its accept to its close. */
export interface ConnectionPlace {
  /**
   * Marks one request (or authenticated gRPC call) running on this connection: the connection
   * cannot be evicted until the returned function has been called (calling it twice counts once).
   */
  hold(): () => void;
  /**
   * Marks one held request as waiting for its client's bytes (its body arriving): while every
   * request held on the connection waits so, the connection may give its place to a new one, after
   * every connection that holds none. Returns the function that ends the wait (twice counts once).
   */
  awaitClient(): () => void;
  /** Aborted when a new connection takes this place; the server then closes the connection. */
  readonly evicted: AbortSignal;
  /** Frees the place: the connection has closed. */
  leave(): void;
}

/**
 * The places of one port's connections (MAX_HTTP_CONNECTIONS, MAX_GRPC_CONNECTIONS). When every
 * place is taken, a new connection takes the place of the one that has held no request the
 * longest (one still in its TLS handshake, or that never sent a byte, included), else of the
 * oldest whose requests all wait for their client's bytes (`awaitClient`): a client that opens
 * idle connections, or sends its bodies a byte at a time, cannot keep others out, and one whose
 * requests run keeps its place. Only when every connection has a request running is the new one
 * closed.
 */
export class ConnectionPlaces {
  readonly #max: number;
  readonly #what: string;
  readonly #rate: ConnectionRateLimit | undefined;
  /** By peer (`host:port`, unique among open connections). */
  readonly #places = new Map<string, PlaceState>();
  #full = false;
  #evictions = 0;
  /** Counts admissions and request ends: orders connections by when they were last in use. */
  #clock = 0;

  /**
   * @param max most connections open at once
   * @param what names the limit in logs, e.g. `REST connections (MAX_HTTP_CONNECTIONS)`
   * @param rate how fast one client address may open connections, if it is limited
   */
  constructor(max: number, what: string, rate?: ConnectionRateLimit) {
    this.#max = max;
    this.#what = what;
    this.#rate = rate;
  }

  /** Connections admitted and not yet closed or evicted. */
  get open(): number {
    return this.#places.size;
  }

  /** Connections evicted so far to make room for new ones. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Connections closed at once so far: their client address opened them past its rate limit. */
  get rateLimited(): number {
    return this.#rate?.refused ?? 0;
  }

  /**
   * Admits the connection from `peer` (`host:port`, as gRPC's `getPeer` names it), evicting the
   * connection idle the longest when every place is taken; `null` when its address opens
   * connections past its rate limit, or every connection has a request running (the caller
   * closes the new one at once). A connection refused for its rate takes no place from another.
   */
  admit(peer: string): ConnectionPlace | null {
    if (this.#rate && !this.#rate.admit(peer.slice(0, peer.lastIndexOf(":")))) return null;
    if (this.#places.size >= this.#max && !this.#evictOne()) {
      if (!this.#full) {
        log.warn(`Too many ${this.#what}, each with a request running: new ones are closed`, {
          limit: this.#max,
        });
      }
      this.#full = true;
      return null;
    }
    this.#full = false;
    const state: PlaceState = {
      peer,
      running: 0,
      waiting: 0,
      lastUsed: ++this.#clock,
      abort: new AbortController(),
    };
    this.#places.set(peer, state);
    return this.#placeOf(state);
  }

  /** The place of the open connection from `peer`, if it has one. */
  find(peer: string): ConnectionPlace | undefined {
    const state = this.#places.get(peer);
    return state && this.#placeOf(state);
  }

  #placeOf(state: PlaceState): ConnectionPlace {
    return {
      evicted: state.abort.signal,
      hold: () => {
        state.running++;
        let held = true;
        return () => {
          if (!held) return;
          held = false;
          if (--state.running === 0) state.lastUsed = ++this.#clock;
        };
      },
      awaitClient: () => {
        state.waiting++;
        let waiting = true;
        return () => {
          if (!waiting) return;
          waiting = false;
          state.waiting--;
        };
      },
      leave: () => {
        if (this.#places.get(state.peer) === state) this.#places.delete(state.peer);
      },
    };
  }

  #evictOne(): boolean {
    let idle: PlaceState | undefined;
    let waiting: PlaceState | undefined;
    for (const state of this.#places.values()) {
      if (state.running === 0) {
        if (!idle || state.lastUsed < idle.lastUsed) idle = state;
      } else if (state.waiting >= state.running) {
        if (!waiting || state.lastUsed < waiting.lastUsed) waiting = state;
      }
    }
    const oldest = idle ?? waiting;
    if (!oldest) return false;
    if (this.#evictions++ === 0 || this.#evictions % 1000 === 0) {
      log.warn(`Too many ${this.#what}: new ones take the places of the idle longest`, {
        limit: this.#max,
        evictions: this.#evictions,
      });
    }
    this.#places.delete(oldest.peer);
    oldest.abort.abort();
    return true;
  }
}

interface PlaceState {
  peer: string;
  running: number;
  /** Of the running requests, those waiting for their client's bytes. */
  waiting: number;
  lastUsed: number;
  abort: AbortController;
}

/** Whether this process can open one more file descriptor (it opens and closes `/dev/null`). */
function descriptorsFree(): boolean {
  try {
    Deno.openSync("/dev/null").close();
    return true;
  } catch {
    return false;
  }
}

/**
 * A port's connections: open now, closed so far to make room for new ones, and closed at once so
 * far for their address's rate limit.
 */
export interface ConnectionCounts {
  readonly open: number;
  readonly evictions: number;
  readonly rateLimited: number;
}

/** A listening socket whose connections are counted and capped. */
export interface ConnectionGate extends ConnectionCounts {
  /** The address it listens on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Why the last accept failed, or `null` while accepting works. */
  readonly acceptError: string | null;
  /**
   * Stops listening and cancels a pending retry; resolves once the accept loop has ended. Open
   * connections are left to their server. Safe to call twice.
   */
  close(): Promise<void>;
}

/** How a gate listens and what it does with each connection. */
export interface ConnectionGateOptions {
  hostname: string;
  port: number;
  /** The port's places: a connection accepted without one is closed at once. */
  places: ConnectionPlaces;
  /** Names the connections in logs, e.g. `REST connections (MAX_HTTP_CONNECTIONS)`. */
  what: string;
  /**
   * Serves one accepted connection, closing it when `place.evicted` aborts; settles once the
   * connection is closed (its place is then freed).
   */
  serve(conn: Deno.Conn<Deno.NetAddr>, place: ConnectionPlace): Promise<unknown>;
}

const FIRST_RETRY_MS = 10;
const LAST_RETRY_MS = 1000;

/**
 * Listens on `hostname:port` and hands each accepted connection that `places` admits to `serve`.
 *
 * @throws {Deno.errors.AddrInUse} and other listen errors, at once
 * @example
 * ```ts ignore
 * const gate = openConnectionGate({
 *   hostname: "127.0.0.1", port: 0, places: new ConnectionPlaces(100, "test connections"),
 *   what: "test connections", serve: async (conn) => conn.close(),
 * });
 * gate.close();
 * ```
 */
export function openConnectionGate(options: ConnectionGateOptions): ConnectionGate {
  const address = { hostname: options.hostname, port: options.port };
  // Plaintext only: the TLS ports listen through server/tls_listener.ts.
  const listener = Deno.listen(address);
  const { places, serve } = options;
  let acceptError: string | null = null;
  let closed = false;
  // The backoff after a failed accept, ended early by `close`.
  let retry: { timer: number; wake(): void } | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((wake) => {
      retry = { timer: setTimeout(wake, ms), wake };
    });

  const admit = (conn: Deno.Conn<Deno.NetAddr>) => {
    const place = places.admit(`${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`);
    if (!place) {
      conn.close();
      return;
    }
    serve(conn, place)
      .catch((error) => log.warn(`A connection failed`, { what: options.what, error }))
      .finally(() => place.leave());
  };

  const loop = (async () => {
    let retryMs = FIRST_RETRY_MS;
    while (!closed) {
      let conn: Deno.Conn<Deno.NetAddr>;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        if (acceptError === null) {
          log.warn(`Cannot accept ${options.what}; retrying`, { error: String(error) });
        }
        acceptError = (error as Error).message;
        await sleep(retryMs);
        retry = undefined;
        retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
        // The next accept may wait for a client for long; readiness must not keep saying "cannot
        // accept" meanwhile once descriptors are free again.
        if (descriptorsFree()) acceptError = null;
        continue;
      }
      if (closed) {
        conn.close();
        return;
      }
      if (acceptError !== null) log.info(`Accepting ${options.what} again`);
      acceptError = null;
      retryMs = FIRST_RETRY_MS;
      admit(conn);
    }
  })();

  return {
    addr: listener.addr,
    get open() {
      return places.open;
    },
    get evictions() {
      return places.evictions;
    },
    get rateLimited() {
      return places.rateLimited;
    },
    get acceptError() {
      return acceptError;
    },
    close() {
      if (!closed) {
        closed = true;
        listener.close();
        clearTimeout(retry?.timer);
        retry?.wake();
      }
      return loop;
    },
  };
}
