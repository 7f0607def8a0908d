/**
 * A guard around the HTTP/2 streams grpc-js answers.
 *
 * - A client that opens a stream and resets it at once (RST_STREAM right after HEADERS) has the
 *   stream destroyed before grpc-js answers it; grpc-js then calls `respond` on it outside any
 *   handler (an unknown method, a wrong content type), and Deno's `node:http2` throws `The stream
 *   has been destroyed` as an uncaught error: one frame from anyone ended the manager. Answering a
 *   destroyed or closed stream is made a no-op instead.
 * - Every message a stream writes is first admitted by the account of answers its connection's
 *   client has not taken (`answer_bytes.ts`); one refused resets its stream with ENHANCE_YOUR_CALM.
 * - Then it goes through the stream's window (`send_window.ts`): node:http2 is handed what the
 *   client's windows admit, and the stream's `end` waits for the rest. What node:http2 keeps for a
 *   connection that closes is never freed.
 * - Every stream is counted from its arrival to its close or its trailers, for a shutdown to wait
 *   for: grpc-js's `tryShutdown` calls back before the streams of a session Deno has closed are
 *   done.
 */
import type * as grpc from "@grpc/grpc-js";
import {
  admitAnswer,
  type AnswerStream,
  ENHANCE_YOUR_CALM,
  trackAnswerStream,
} from "./answer_bytes.ts";
import { forgetClosedSessions, type Http2ServerEvents } from "./closed_sessions.ts";
import { noteHeaderList } from "./header_lists.ts";
import { claimStreamWindow, windowOfStream } from "./send_window.ts";

interface RespondingStream {
  destroyed: boolean;
  closed: boolean;
  session?: { socket?: unknown };
  respond(...args: unknown[]): unknown;
  write(chunk: unknown, ...rest: unknown[]): boolean;
  end(...args: unknown[]): unknown;
  sendTrailers(...args: unknown[]): unknown;
  close(code: number): void;
  once(event: "close" | "end", listener: () => void): unknown;
}

interface Http2ServerLike extends Http2ServerEvents {
  prependListener(
    event: "stream",
    listener: (stream: RespondingStream, headers: Record<string, unknown>) => void,
  ): unknown;
}

/** RST_STREAM's code for a stream the server did not process (RFC 9113 §8.7): safe to retry. */
const REFUSED_STREAM = 0x7;
/** The property of a stream that tells its `OpenHttp2Streams` it was answered. */
const ANSWERED = Symbol("answered");

const guarded = new WeakSet<object>();

/** Tells the stream's `OpenHttp2Streams` that its call's status was handed to node:http2. */
function answered(stream: RespondingStream): void {
  (stream as unknown as Record<symbol, (() => void) | undefined>)[ANSWERED]?.();
}

/**
 * Makes `respond` of the stream's class a no-op once the stream is destroyed or closed; has its
 * `write` ask the account of its connection first (`admitAnswer`), then hand the bytes on through
 * the stream's window (`StreamWindow.send`); and has its `end` wait for what the window holds.
 */
function guardStreamClass(stream: RespondingStream): void {
  const proto = Object.getPrototypeOf(stream) as RespondingStream;
  if (guarded.has(proto)) return;
  guarded.add(proto);
  const respond = proto.respond;
  proto.respond = function (this: RespondingStream, ...args: unknown[]) {
    if (this.destroyed || this.closed) return undefined;
    const responded = respond.apply(this, args);
    // A status with no message (trailers only) answers the call as trailers do.
    if ((args[1] as { endStream?: boolean } | undefined)?.endStream) answered(this);
    return responded;
  };
  const write = proto.write;
  proto.write = function (this: RespondingStream, chunk: unknown, ...rest: unknown[]) {
    const bytes = chunk instanceof Uint8Array ? chunk.byteLength : 0;
    if (!admitAnswer(this as unknown as AnswerStream, bytes)) {
      if (!this.destroyed && !this.closed) this.close(ENHANCE_YOUR_CALM);
      return false;
    }
    const window = windowOfStream(this);
    if (!window || !(chunk instanceof Uint8Array)) return write.call(this, chunk, ...rest);
    const callback = rest.find((arg) => typeof arg === "function") as
      | ((error?: Error | null) => void)
      | undefined;
    window.send(chunk, callback, (part, done) => write.call(this, part, done));
    return true;
  };
  const sendTrailers = proto.sendTrailers;
  proto.sendTrailers = function (this: RespondingStream, ...args: unknown[]) {
    const sent = sendTrailers.apply(this, args);
    answered(this);
    return sent;
  };
  const end = proto.end;
  proto.end = function (this: RespondingStream, ...args: unknown[]) {
    const window = windowOfStream(this);
    if (!window?.holds) return end.apply(this, args);
    // A last chunk goes the way of every other write (grpc-js ends with none).
    if (args.length > 0 && typeof args[0] !== "function") this.write(args.shift());
    window.endAfterSent(() => end.apply(this, args));
    return this;
  };
}

/**
 * The HTTP/2 streams open on a server's connections, whatever their call, for a shutdown to wait
 * for. A stream counts until it closes or its trailers (its call's status) are handed to
 * node:http2: a client that never ends its side of an answered call does not hold the shutdown.
 */
export class OpenHttp2Streams {
  /** Each open stream, with whether the whole of its request arrived. */
  readonly #open = new Map<RespondingStream, { requestEnded: boolean; path: string }>();
  #drained: PromiseWithResolvers<void> | null = null;
  readonly #singleRequestPaths: ReadonlySet<string>;

  /**
   * @param singleRequestPaths the paths of the methods whose request is one message (unary and
   *   server-streaming): a call of one whose request has not all arrived has not run
   */
  constructor(singleRequestPaths: ReadonlySet<string>) {
    this.#singleRequestPaths = singleRequestPaths;
  }

  /** Resolves once no stream is open: at once when none is. */
  drained(): Promise<void> {
    if (this.#open.size === 0) return Promise.resolve();
    this.#drained ??= Promise.withResolvers<void>();
    return this.#drained.promise;
  }

  /**
   * Resets (REFUSED_STREAM: nothing ran, the client may send it again) every open call of a
   * single-request method whose request has not all arrived: a client that sends the headers of a
   * call and nothing more cannot hold a shutdown for its grace.
   */
  refuseUnstarted(): void {
    for (const [stream, { requestEnded, path }] of this.#open) {
      if (requestEnded || !this.#singleRequestPaths.has(path)) continue;
      if (!stream.destroyed && !stream.closed) stream.close(REFUSED_STREAM);
    }
  }

  /** Counts `stream` (a call to `path`) until its `close` or its trailers. */
  track(stream: RespondingStream, path: string): void {
    const state = { requestEnded: false, path };
    this.#open.set(stream, state);
    stream.once("end", () => state.requestEnded = true);
    const done = () => {
      if (!this.#open.delete(stream) || this.#open.size > 0) return;
      this.#drained?.resolve();
      this.#drained = null;
    };
    (stream as unknown as Record<symbol, () => void>)[ANSWERED] = done;
    stream.once("close", done);
  }
}

/**
 * Guards the streams of every HTTP/2 server `server` makes from now on (call it before
 * `createConnectionInjector` or `bindAsync`), and counts them in `open`. It reaches into grpc-js's
 * `createHttp2Server`; tests/connection_limits_test.ts resets streams, tests/answer_bytes_test.ts
 * reads nothing, and tests/manager_shutdown_test.ts holds an answer across a shutdown, to hold it
 * to that.
 */
export function guardHttp2Streams(server: grpc.Server, open: OpenHttp2Streams): void {
  const internal = server as unknown as {
    createHttp2Server(credentials: unknown): Http2ServerLike;
  };
  const create = internal.createHttp2Server.bind(server);
  internal.createHttp2Server = (credentials) => {
    const http2Server = create(credentials);
    forgetClosedSessions(http2Server);
    http2Server.prependListener("stream", (stream, headers) => {
      // What its call's account holds for its headers (`holdRequestBytes`).
      noteHeaderList(stream, headers);
      guardStreamClass(stream);
      trackAnswerStream(stream as unknown as AnswerStream);
      open.track(stream, String(headers[":path"] ?? ""));
      const window = claimStreamWindow(stream);
      if (window) stream.once("close", () => window.close());
    });
    return http2Server;
  };
}
