/**
 * A Deno TCP connection seen as the Node stream that `@grpc/grpc-js` serves HTTP/2 on, so that the
 * manager's own accept loop (server/connections.ts) can hand connections to the gRPC server.
 */
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";

/** The connection as a Node socket-like `Duplex`, and a promise that settles when it is closed. */
export interface NodeSocket {
  socket: Duplex;
  closed: Promise<void>;
}

/**
 * Wraps `conn` (no delay set on TCP: HTTP/2 frames go out at once). When the peer stops sending, or the
 * stream is destroyed, the connection is closed.
 *
 * @example
 * ```ts ignore
 * const { socket, closed } = nodeSocketOf(await listener.accept());
 * injector.injectConnection(socket);
 * await closed;
 * ```
 */
export function nodeSocketOf(conn: Deno.Conn<Deno.NetAddr>): NodeSocket {
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  const reader = conn.readable.getReader();
  const writer = conn.writable.getWriter();
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const socket = new Duplex({
    // As a net.Socket: the end of what the peer sends ends the connection.
    allowHalfOpen: false,
    read() {
      reader.read().then(
        ({ value, done }) =>
          this.push(done ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
        (error) => this.destroy(error),
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      writer.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      writer.close().then(() => callback(), callback);
    },
    destroy(error, callback) {
      reader.cancel().catch(() => {});
      writer.abort().catch(() => {});
      try {
        conn.close();
      } catch {
        // Cancelling the streams closed it already.
      }
      resolve();
      callback(error);
    },
  });
  // What grpc-js and node:http2 read from a socket besides the stream itself.
  Object.assign(socket, {
    remoteAddress: conn.remoteAddr.hostname,
    remotePort: conn.remoteAddr.port,
    localAddress: conn.localAddr.hostname,
    localPort: conn.localAddr.port,
    setNoDelay: () => socket,
    setKeepAlive: () => socket,
    setTimeout: () => socket,
  });
  return { socket, closed };
}
