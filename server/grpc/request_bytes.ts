/**
 * gRPC's side of the request bytes in flight (`../request_bytes.ts`): what a call holds is held on
 * its connection's account. For being open (kind `"call"`), from its start until its stream closes
 * (answered or not: a client may keep its side open after the answer), its header list (measured
 * as node:http2 hands it over: `noteHeaderList`) and `OPEN_CALL_BYTES` for its state. Of what it
 * has received and its handler does not have yet (kind `"message"`), bytes as they enter
 * grpc-js's message decoder, a compressed message's growth once it is decompressed — and given
 * back as the handler is done with it: each message of a client-streaming call as it is read (or,
 * for the methods named `untilHandled`, once its handler says it is done with it:
 * `releaseRequestBytes`), the message of a unary or server-streaming call when the call is
 * answered (its status sent: 100 batch creates of 4 MiB waiting for validation held 1.5 GB when
 * their bytes went back as the handler began), and all of it when the stream closes.
 * Bytes that would take the account past a cap end the call with RESOURCE_EXHAUSTED naming it, and
 * so does a request that has not arrived within REQUEST_RECEIVE_MS (`Arrivals`).
 *
 * Once a call is answered (or gone), the messages grpc-js still queues for it are dropped: nobody
 * reads them, and grpc-js kept them for as long as the client kept its side of the stream open.
 * It cuts every message of a DATA frame at once, and one 16 KiB frame holds 3,276 empty ones, each
 * about 500 bytes of the manager's memory once cut and decoded: a `Produce` stream answered at its
 * first (a request id of 0) kept the other 3,275, 100 such streams held open about 180 MB, and a
 * connection may have 1,000 streams.
 */
import * as grpc from "@grpc/grpc-js";
import { parseToken } from "../auth/token.ts";
import { tokenOf } from "./auth.ts";
import { headerListBytesOf } from "./header_lists.ts";
import { log } from "../log.ts";
import {
  type ConnectionRequestBytes,
  OPEN_CALL_BYTES,
  type RequestBytesInFlight,
} from "../request_bytes.ts";

/** What grpc-js's own call (under the interceptors) holds to cut messages from its stream. */
export interface CallUnderInterceptors {
  nextCall?: CallUnderInterceptors;
  /** Cuts the stream's bytes into framed messages (5-byte prefix, then the message). */
  decoder?: {
    maxReadMessageLength: number;
    /** 0 between messages; otherwise a message's prefix or body is partly read. */
    readState: number;
    /** The flag byte of the message partly read: a view into the chunk it came in. */
    readCompressFlag: Uint8Array;
    /** The pieces of the message body partly read, a view into each chunk that brought one. */
    readPartialMessage: Uint8Array[];
    write(data: Uint8Array): Uint8Array[];
  };
  /** The length a compressed message may decompress to. */
  maxReceiveMessageSize?: number;
  /**
   * The messages cut from the stream and not yet handed on (being decoded, or decoded and waiting
   * for a read), and the stream's end.
   */
  readQueue?: unknown[];
  /** A framed message's contents, decompressed when it was compressed. */
  decompressMessage?(message: Uint8Array, encoding: string): Uint8Array | Promise<Uint8Array>;
  /** The HTTP/2 stream the call is served on (its session's socket: the connection). */
  stream?: { session?: { socket?: object } };
}

/** grpc-js's call under `call`'s interceptors, the one with the decoder; `null` if it changed. */
export function callUnderInterceptors(call: unknown): CallUnderInterceptors | null {
  let inner = call as CallUnderInterceptors | undefined;
  while (inner && !inner.decoder) inner = inner.nextCall;
  return inner?.decoder && typeof inner.decoder.readState === "number" &&
      Array.isArray(inner.decoder.readPartialMessage) &&
      inner.decoder.readCompressFlag instanceof Uint8Array &&
      inner.decompressMessage && inner.maxReceiveMessageSize !== undefined
    ? inner
    : null;
}

/** Read messages of `untilHandled` methods, and how to give their bytes back. */
const heldUntilHandled = new WeakMap<object, () => void>();

/**
 * Gives back the bytes of `message`, read from a call of a method that `holdRequestBytes` holds
 * `untilHandled`, once its handler is done with it; does nothing for any other message (or twice).
 */
export function releaseRequestBytes(message: unknown): void {
  if (typeof message !== "object" || message === null) return;
  const give = heldUntilHandled.get(message);
  heldUntilHandled.delete(message);
  give?.();
}

/**
 * A server interceptor that holds every call's received bytes on its connection's account (by
 * peer address) in `inFlight` until its handler is done with them: for the client-streaming methods in
 * `untilHandled` (paths), until the handler calls `releaseRequestBytes` with the message (the
 * worker stream keeps messages waiting their turn). It reaches into grpc-js's call under the
 * interceptors (its decoder); tests/request_bytes_test.ts holds it to that.
 */
export function holdRequestBytes(
  inFlight: RequestBytesInFlight,
  options: {
    untilHandled?: ReadonlySet<string>;
    /** The methods (paths) it holds the bytes of; absent = every method. */
    holds?: (path: string) => boolean;
    /**
     * Methods (paths) whose calls wait for their task: their bytes count on the waits' share as
     * well (`ConnectionRequestBytes.waiting`).
     */
    waits?: ReadonlySet<string>;
  } = {},
): grpc.ServerInterceptor {
  // By peer: the account of the connection, and how many of its calls are open.
  const connections = new Map<string, { account: ConnectionRequestBytes; calls: number }>();
  const arriving = new Arrivals(inFlight.limits.receiveMs);
  let warned = false;
  return (method, call) => {
    if (options.holds && !options.holds(method.path)) return new grpc.ServerInterceptingCall(call);
    const base = callUnderInterceptors(call);
    if (!base) {
      if (!warned) {
        warned = true;
        log.error("Cannot hold gRPC request bytes on their connection: grpc-js's call changed", {
          method: method.path,
        });
      }
      return new grpc.ServerInterceptingCall(call);
    }
    const peer = call.getPeer();
    // Taken when the call starts; until then its stream is paused, so nothing arrives.
    let connection: { account: ConnectionRequestBytes; calls: number } | null = null;
    // The call's account: its connection's, or for a call that waits, that on the waits' share.
    let account: ConnectionRequestBytes | null = null;
    // Framed messages cut from the stream and not yet read by the handler, oldest first; and the
    // same by message, for the decompression of each to find its own (searching the list for
    // each took 10-14 ms of the thread per 16 KiB frame of 1,820 small requests).
    const unread: { message: Uint8Array; bytes: number }[] = [];
    const unreadByMessage = new Map<Uint8Array, { message: Uint8Array; bytes: number }>();
    let held = 0;
    // What the call holds for being open, its header list (16 KiB at most) and `OPEN_CALL_BYTES`,
    // from its start until its stream closes: a connection may have 1,000 calls open.
    let openHeld = 0;
    let closed = false;
    const take = (bytes: number) => {
      if (!account || closed) return false;
      account.take(bytes);
      held += bytes;
      return true;
    };
    const give = (bytes: number) => {
      held -= bytes;
      account?.give(bytes);
    };

    // A request arrives within `receiveMs`: a unary or server-streaming call's message and end
    // from the call's start, a streaming call's first message from its start and each later one
    // from its first byte. A call that sent its headers and nothing more held ~9 KB for ever.
    const late = () =>
      intercepting.sendStatus({
        code: grpc.status.RESOURCE_EXHAUSTED,
        details:
          `The request did not arrive within ${inFlight.limits.receiveMs} ms (REQUEST_RECEIVE_MS)`,
        metadata: new grpc.Metadata(),
      });

    const decoder = base.decoder!;
    const piecesOf = new PartialMessage();
    const write = decoder.write.bind(decoder);
    // grpc-js answers a decoder's error with RESOURCE_EXHAUSTED and its message.
    decoder.write = (data) => {
      if (!take(data.byteLength)) return write(data);
      const messages = write(data);
      if (decoder.readState !== 0) piecesOf.keep(decoder);
      for (const message of messages) {
        const entry = { message, bytes: message.byteLength };
        unread.push(entry);
        unreadByMessage.set(message, entry);
      }
      if (!method.requestStream) arriving.start(late);
      else if (decoder.readState === 0) arriving.end(late);
      else if (messages.length > 0) arriving.restart(late);
      else arriving.start(late);
      return messages;
    };
    const decompress = base.decompressMessage!.bind(base);
    base.decompressMessage = async (message, encoding) => {
      const contents = await decompress(message, encoding);
      const entry = unreadByMessage.get(message);
      const growth = contents.byteLength - message.byteLength;
      if (entry && growth > 0) {
        try {
          if (take(growth)) entry.bytes += growth;
        } catch (error) {
          throw { code: grpc.status.RESOURCE_EXHAUSTED, details: (error as Error).message };
        }
      }
      return contents;
    };

    // Read by an `untilHandled` handler, not yet handled.
    const handling = new Set<{ bytes: number }>();
    const readOne = (message: unknown) => {
      const entry = unread.shift();
      if (!entry) return;
      unreadByMessage.delete(entry.message);
      if (options.untilHandled?.has(method.path) && typeof message === "object" && message) {
        handling.add(entry);
        heldUntilHandled.set(message, () => {
          if (handling.delete(entry)) give(entry.bytes);
        });
      } else {
        give(entry.bytes);
      }
    };
    const readAll = () => {
      if (base.readQueue) base.readQueue.length = 0;
      unread.length = 0;
      unreadByMessage.clear();
      handling.clear();
      give(held);
    };
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          // Counted once grpc-js has a listener for the call (so that its end reaches onCancel),
          // before any of its messages is read.
          onReceiveMetadata: (metadata, pass) => {
            connection = connections.get(peer) ?? { account: inFlight.connection(), calls: 0 };
            // A call that waits counts on its key's part of the waits' share: the key its token
            // names, read before authentication, which refuses the call if it is not that key's.
            account = options.waits?.has(method.path)
              ? connection.account.waiting(tokenKeyId(metadata))
              : connection.account;
            connection.calls++;
            connections.set(peer, connection);
            try {
              const open = headerListBytesOf(base.stream) + OPEN_CALL_BYTES;
              account.take(open, "call");
              openHeld = open;
            } catch (error) {
              intercepting.sendStatus({
                code: grpc.status.RESOURCE_EXHAUSTED,
                details: (error as Error).message,
                metadata: new grpc.Metadata(),
              });
              return;
            }
            arriving.start(late);
            pass(metadata);
          },
          onReceiveMessage: (message, pass) => {
            if (method.requestStream) readOne(message);
            pass(message);
          },
          onReceiveHalfClose: (pass) => {
            if (!method.requestStream) arriving.end(late);
            pass();
          },
          // grpc-js calls it once, when the call's stream closes, however it ends: answered,
          // cancelled, reset, its connection lost or the server shut down.
          onCancel: () => {
            arriving.end(late);
            readAll();
            account?.give(openHeld, "call");
            openHeld = 0;
            closed = true;
            if (connection && --connection.calls === 0) connections.delete(peer);
          },
        }),
      // The call is answered: the messages it still holds go back (a unary or server-streaming
      // call's message is held until then, as the work it brings is not done before; a create
      // that waits holds its task's data for the wait). What it holds for being open stays until
      // its stream closes.
      sendStatus: (status, next) => {
        readAll();
        next(status);
      },
    });
    return intercepting;
  };
}

/**
 * Message pieces smaller than this are copied together rather than kept one view each (a view
 * costs about 500 bytes: an eighth of such a piece at most).
 */
const SMALL_PIECE = 4096;
/** The largest buffer small pieces are copied into; the next ones go to a new one. */
const PIECES_BUFFER = 16_384;

/**
 * What grpc-js's decoder keeps of a message partly read, kept at what its bytes take. The decoder
 * keeps a view of each chunk that brought a piece of the message (each DATA frame's payload) until
 * the message is whole: a view costs about 500 bytes of the manager's memory however few bytes it
 * holds, and it holds the whole chunk it views. A message sent a byte per DATA frame held 500
 * bytes a byte, where the account of request bytes in flight counted one (16 calls of 28,225
 * one-byte frames grew a manager by 231 MB, counted as 451,600 bytes). So a piece under 4 KiB (or one
 * that is a small part of its chunk) is copied, as it comes, into a buffer of the call's own,
 * which grows to twice what it holds at most and to `PIECES_BUFFER`; the decoder keeps a view of
 * that instead, one for up to 16 KiB of the message. The flag byte it keeps is copied out of its
 * chunk too.
 */
export class PartialMessage {
  #buffer: Uint8Array | null = null;
  #used = 0;
  #view: Uint8Array | null = null;

  /** Called after each write to `decoder` that leaves a message partly read. */
  keep(decoder: NonNullable<CallUnderInterceptors["decoder"]>): void {
    const flag = decoder.readCompressFlag;
    if (flag.buffer.byteLength > flag.byteLength) decoder.readCompressFlag = flag.slice();
    const pieces = decoder.readPartialMessage;
    const piece = pieces.at(-1);
    if (
      !piece || piece === this.#view ||
      (piece.byteLength >= SMALL_PIECE && piece.byteLength * 2 > piece.buffer.byteLength)
    ) {
      return;
    }
    pieces.pop();
    const n = piece.byteLength;
    // The buffer goes on only where the message's last piece is its view (a new message starts
    // with pieces of its own).
    const goesOn = this.#buffer !== null && pieces.at(-1) === this.#view;
    if (!goesOn || this.#used + n > PIECES_BUFFER) {
      this.#buffer = new Uint8Array(Math.max(n, Math.min(PIECES_BUFFER, Math.max(64, 2 * n))));
      this.#used = 0;
    } else {
      pieces.pop();
      if (this.#used + n > this.#buffer!.byteLength) {
        const grown = new Uint8Array(Math.min(PIECES_BUFFER, 2 * (this.#used + n)));
        grown.set(this.#buffer!.subarray(0, this.#used));
        this.#buffer = grown;
      }
    }
    this.#buffer!.set(piece, this.#used);
    this.#used += n;
    this.#view = this.#buffer!.subarray(0, this.#used);
    pieces.push(this.#view);
  }
}

/**
 * The requests still arriving, each with the time its clock started, checked by one timer
 * (`receiveMs` / 4 apart, a second at most) instead of a timer per message: a request is cut
 * within that much past `receiveMs`. The timer runs only while some request arrives.
 */
class Arrivals {
  readonly #receiveMs: number;
  /** By the function that cuts the request: since when it arrives (`performance.now()`). */
  readonly #since = new Map<() => void, number>();
  #timer: number | undefined;

  constructor(receiveMs: number) {
    this.#receiveMs = receiveMs;
  }

  /** The request `cut` cuts arrives, from now unless it already did. */
  start(cut: () => void): void {
    if (this.#since.has(cut)) return;
    this.#since.set(cut, performance.now());
    this.#timer ??= setInterval(() => this.#check(), Math.min(1000, this.#receiveMs / 4));
  }

  /** The request has a new message arriving: its clock starts again. */
  restart(cut: () => void): void {
    this.#since.delete(cut);
    this.start(cut);
  }

  /** The request is all there, or gone. */
  end(cut: () => void): void {
    if (!this.#since.delete(cut) || this.#since.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const now = performance.now();
    for (const [cut, since] of this.#since) {
      if (now - since >= this.#receiveMs) {
        this.end(cut);
        cut();
      }
    }
  }
}

/** The id of the API key a call's token names; none without one (or one not sent as Bearer). */
function tokenKeyId(metadata: grpc.Metadata): string | undefined {
  const token = tokenOf(metadata);
  return token === undefined || token === null
    ? undefined
    : parseToken(token)?.id ?? token.slice(0, 64);
}
