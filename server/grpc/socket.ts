/**
 * A Deno TCP connection seen as the Node stream that `@grpc/grpc-js` serves HTTP/2 on, so that the
 * manager's own accept loop (server/connections.ts) can hand connections to the gRPC server.
 *
 * It reads and writes with the connection's own `read` and `write`, not its web streams: on the
 * manager's hot path (one small HTTP/2 frame burst per create, per assignment) the streams'
 * machinery cost about a tenth of the manager's CPU, and each read allocated a fresh 64 KiB chunk.
 */
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { FrameReader } from "./frames.ts";
import { headerBlockCheck } from "./header_blocks.ts";
import { rapidResetCheck } from "./rapid_reset.ts";
import { unreadAcksCheck } from "./unread_acks.ts";
import { headerListCheck } from "./header_lists.ts";
import { readSendWindows } from "./send_window.ts";

/** The connection as a Node socket-like `Duplex`, and a promise that settles when it is closed. */
export interface NodeSocket {
  socket: Duplex;
  closed: Promise<void>;
}

/**
 * Bytes a read takes when the read before filled its buffer, the client sending in bulk (the size
 * Deno's own connection streams read in).
 */
const BULK_READ_BYTES = 64 * 1024;
/**
 * Bytes a read takes otherwise: what the read an idle connection waits on holds, for as long as it
 * waits (64 KiB of an idle connection's 80 KB when every read took `BULK_READ_BYTES`).
 */
const READ_BYTES = 4 * 1024;
/**
 * Bulk reads under way at once, over all connections: past it a read takes `READ_BYTES` whatever
 * came before. A read waits on its buffer for as long as its client is quiet, so without this a
 * client that sends a first 4 KiB on each connection would have every one of them hold 64 KiB.
 */
const BULK_READS = 64;
/** Bulk buffers kept between reads, for the next. */
const SPARE_BULK_BUFFERS = 16;

/** The buffers of bulk reads, shared by every connection (`BULK_READS`, `SPARE_BULK_BUFFERS`). */
const bulkBuffers = {
  spare: [] as Uint8Array[],
  taken: 0,
  /** A buffer for a bulk read, or `null` when `BULK_READS` are under way. */
  take(): Uint8Array | null {
    if (this.taken >= BULK_READS) return null;
    this.taken++;
    return this.spare.pop() ?? new Uint8Array(BULK_READ_BYTES);
  },
  /** Gives back a buffer `take` gave, once nothing refers to its bytes. */
  give(buffer: Uint8Array): void {
    this.taken--;
    if (this.spare.length < SPARE_BULK_BUFFERS) this.spare.push(buffer);
  },
};
const NOTHING = new Uint8Array(0);

/**
 * Wraps `conn` (no delay set on TCP: HTTP/2 frames go out at once). When the peer stops sending, or the
 * stream is destroyed, the connection is closed; so is one whose peer resets streams faster than
 * `ResetCounter` allows. Writes queued while one is under way go out
 * together in the next write (`writev`).
 *
 * @example
 * ```ts ignore
 * const { socket, closed } = nodeSocketOf(await listener.accept());
 * injector.injectConnection(socket);
 * await closed;
 * ```
 */
export function nodeSocketOf(conn: Deno.Conn<Deno.NetAddr>): NodeSocket {
  if ("setNoDelay" in conn) {
    (conn as Deno.TcpConn).setNoDelay(true);
    // The kernel's TCP keepalive ends a connection whose peer went silent (no FIN, no RST) even
    // when nothing of ours speaks on it: an idle client, a WatchTasks stream, an older worker.
    (conn as Deno.TcpConn).setKeepAlive(true);
  }
  // One read is under way at a time (the next `read()` comes after the push): one small buffer
  // serves them, and each push copies out what was read. A read that fills it says the client
  // sends in bulk: the next takes a bulk buffer (`bulkBuffers`, shared with other connections
  // between reads) while fewer than `BULK_READS` are under way, until one does not fill its buffer. Dropped once the socket is destroyed: Deno's node:http2
  // keeps what a closed session held (the socket among it), about 20 KB a connection.
  let scratch = new Uint8Array(READ_BYTES);
  let bulk = false;
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    try {
      conn.close();
    } catch {
      // Closed by the peer's end already.
    }
  };
  const socket = new Duplex({
    // As a net.Socket: the end of what the peer sends ends the connection.
    allowHalfOpen: false,
    read() {
      const bulkBuffer = bulk ? bulkBuffers.take() : null;
      const buffer = bulkBuffer ?? scratch;
      conn.read(buffer).then(
        (n) => {
          if (!this.destroyed) took(buffer, n);
          if (bulkBuffer) bulkBuffers.give(bulkBuffer);
        },
        (error) => {
          if (bulkBuffer) bulkBuffers.give(bulkBuffer);
          this.destroy(error);
        },
      );
    },
    write(chunk: Buffer, _encoding, callback) {
      writeAll(conn, chunk).then(() => callback(), callback);
    },
    writev(chunks, callback) {
      writeAll(conn, Buffer.concat(chunks.map(({ chunk }) => chunk as Buffer))).then(
        () => callback(),
        callback,
      );
    },
    final(callback) {
      // Every write has completed (the stream calls this after their callbacks).
      close();
      callback();
    },
    destroy(error, callback) {
      close();
      scratch = new Uint8Array(0);
      client.release();
      resolve();
      callback(error);
    },
  });
  // What a read brought: `buffer` is free again once this returns (`push` copies).
  const took = (buffer: Uint8Array, n: number | null) => {
    if (n === null) {
      socket.push(null);
      return;
    }
    bulk = n === buffer.length;
    const bytes = client.take(buffer.subarray(0, n));
    if (bytes === null) socket.destroy();
    // All of it held (a header block under way): the next read is asked for here.
    else if (bytes.length === 0) socket._read(READ_BYTES);
    else socket.push(Buffer.from(bytes));
  };
  // Made once the socket exists (the windows are kept on it); its first read comes after this.
  const client = heldUntilSettled(
    readClientFrames(socket, `${conn.remoteAddr.hostname}:${conn.remoteAddr.port}`),
  );
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

/**
 * The reader of what a gRPC connection's client sends, for what its frames say that node:http2
 * keeps to itself: resets (`rapid_reset.ts`), acks asked for while nothing is read
 * (`unread_acks.ts`), header blocks in too many frames (`header_blocks.ts`) and header lists
 * past their limits (`header_lists.ts`), for which `read`
 * answers `true` when the connection must be closed, and
 * flow-control windows (`send_window.ts`, kept on `socket`). Every connection's bytes go through
 * one, plain or TLS, before node:http2 reads them.
 */
export function readClientFrames(socket: Duplex, peer: string): FrameReader {
  return new FrameReader([
    rapidResetCheck(peer),
    unreadAcksCheck(socket, peer),
    headerBlockCheck(peer),
    headerListCheck(peer),
    readSendWindows(socket),
  ]);
}

/**
 * Has `socket` (a TLS socket, whose bytes node:http2 takes from its `data` events) read by
 * `readClientFrames` before any listener gets them: a chunk after which the connection must be
 * closed reaches none, and the socket is destroyed. Watching the events instead is too late: the
 * listeners after the watcher still get that chunk, and node:http2 taking 3,000 resets in one
 * chunk aborts the process (a double free in Deno 2.7.14).
 */
export function readClientFramesFirst(socket: Duplex, peer: string): void {
  const client = heldUntilSettled(readClientFrames(socket, peer));
  socket.once("close", client.release);
  const emit = socket.emit;
  socket.emit = function (this: Duplex, event: string | symbol, ...args: unknown[]) {
    if (event !== "data" || !(args[0] instanceof Uint8Array)) {
      return emit.call(this, event, ...args);
    }
    const bytes = client.take(args[0]);
    if (bytes === null) {
      this.destroy();
      return false;
    }
    if (bytes.length === 0) return true;
    return emit.call(this, event, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  };
}

/**
 * A connection's client bytes on their way to node:http2, read by `frames` first: what they have
 * settled (`FrameReader.settled`) is handed on, and the rest, a header block still arriving, is
 * held until it is read whole and measured. A block is 9 frames of 16 KiB at most
 * (`header_blocks.ts`), closed past 64 KiB (`header_lists.ts`), and nothing else may come between
 * its frames. The function answers the bytes to hand on now (maybe none, then the next chunk is
 * awaited), or `null` when the connection must be closed.
 */
function heldUntilSettled(frames: FrameReader): HeldBytes {
  // Copies of the chunks held (a chunk's buffer may be read into again), joined once settled.
  let held: Uint8Array[] = [];
  let handed = 0;
  let reader: FrameReader | null = frames;
  const release = () => {
    // Deno keeps what a closed session held, its socket and this with it: nothing more is kept.
    held = [];
    reader = null;
  };
  const take = (chunk: Uint8Array) => {
    if (!reader || reader.read(chunk)) {
      release();
      return null;
    }
    const now = reader.settled - handed;
    if (now === 0) {
      held.push(copy(chunk));
      return NOTHING;
    }
    handed += now;
    const all = held.length === 0 ? chunk : Buffer.concat([...held, chunk]);
    held = now === all.length ? [] : [copy(all.subarray(now))];
    return all.subarray(0, now);
  };
  return { take, release };
}

/** What `heldUntilSettled` answers: `take` a chunk, and `release` all when the socket closes. */
interface HeldBytes {
  take(chunk: Uint8Array): Uint8Array | null;
  release(): void;
}

/** A copy of `bytes` (`Buffer#slice` is a view). */
function copy(bytes: Uint8Array): Uint8Array {
  return Uint8Array.prototype.slice.call(bytes);
}

// `Conn.write` may take part of the bytes: the rest follows until all are written.
async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.byteLength;) {
    done += await conn.write(bytes.subarray(done));
  }
}
