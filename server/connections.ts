/**
 * The accept loop in front of the REST and gRPC servers: at most a set number of open connections
 * (more are closed at once), and an accept that fails (out of file descriptors) is retried with
 * backoff instead of ending the server, while `acceptError` says why it cannot accept.
 */
import { log } from "./log.ts";

/** Whether this process can open one more file descriptor (it opens and closes `/dev/null`). */
function descriptorsFree(): boolean {
  try {
    Deno.openSync("/dev/null").close();
    return true;
  } catch {
    return false;
  }
}

/** A listening socket whose connections are counted and capped. */
export interface ConnectionGate {
  /** The address it listens on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** Connections open now. */
  readonly open: number;
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
  /** Most connections open at once; one more is closed as soon as it is accepted. */
  maxConnections: number;
  /** Names the limit in logs, e.g. `REST connections (MAX_HTTP_CONNECTIONS)`. */
  what: string;
  /** Serves one accepted connection; settles once the connection is closed. */
  serve(conn: Deno.Conn<Deno.NetAddr>): Promise<unknown>;
}

const FIRST_RETRY_MS = 10;
const LAST_RETRY_MS = 1000;

/**
 * Listens on `hostname:port` and hands each accepted connection to `serve` while fewer than
 * `maxConnections` are open.
 *
 * @throws {Deno.errors.AddrInUse} and other listen errors, at once
 * @example
 * ```ts ignore
 * const gate = openConnectionGate({
 *   hostname: "127.0.0.1", port: 0, maxConnections: 100, what: "test connections",
 *   serve: async (conn) => conn.close(),
 * });
 * gate.close();
 * ```
 */
export function openConnectionGate(options: ConnectionGateOptions): ConnectionGate {
  const address = { hostname: options.hostname, port: options.port };
  // Plaintext only: the TLS ports listen through server/tls_listener.ts.
  const listener = Deno.listen(address);
  const serve = options.serve;
  let open = 0;
  let acceptError: string | null = null;
  let closed = false;
  let full = false;
  // The backoff after a failed accept, ended early by `close`.
  let retry: { timer: number; wake(): void } | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((wake) => {
      retry = { timer: setTimeout(wake, ms), wake };
    });

  const admit = (conn: Deno.Conn<Deno.NetAddr>) => {
    if (open >= options.maxConnections) {
      if (!full) {
        log.warn(`Too many ${options.what}: new connections are closed`, {
          limit: options.maxConnections,
        });
      }
      full = true;
      conn.close();
      return;
    }
    full = false;
    open++;
    serve(conn)
      .catch((error) => log.warn(`A connection failed`, { what: options.what, error }))
      .finally(() => open--);
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
      return open;
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
