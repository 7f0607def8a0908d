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
 * - Every stream is counted from its arrival to its close, for a shutdown to wait for: grpc-js's
 *   `tryShutdown` calls back before the streams of a session Deno has closed are done.
 */
import type * as grpc from "@grpc/grpc-js";
import {
  admitAnswer,
  type AnswerStream,
  ENHANCE_YOUR_CALM,
  trackAnswerStream,
} from "./answer_bytes.ts";
import { claimStreamWindow, windowOfStream } from "./send_window.ts";

interface RespondingStream {
  destroyed: boolean;
  closed: boolean;
  session?: { socket?: unknown };
  respond(...args: unknown[]): unknown;
  write(chunk: unknown, ...rest: unknown[]): boolean;
  end(...args: unknown[]): unknown;
  close(code: number): void;
  once(event: "close", listener: () => void): unknown;
}

interface Http2ServerLike {
  prependListener(event: "stream", listener: (stream: RespondingStream) => void): unknown;
}

const guarded = new WeakSet<object>();

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
    return respond.apply(this, args);
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

/** The HTTP/2 streams open on a server's connections, whatever their call. */
export class OpenHttp2Streams {
  #open = 0;
  #drained: PromiseWithResolvers<void> | null = null;

  /** Streams arrived and not yet closed (answered, reset, or their connection gone). */
  get open(): number {
    return this.#open;
  }

  /** Resolves once no stream is open: at once when none is. */
  drained(): Promise<void> {
    if (this.#open === 0) return Promise.resolve();
    this.#drained ??= Promise.withResolvers<void>();
    return this.#drained.promise;
  }

  /** Counts `stream` until its `close`. */
  track(stream: RespondingStream): void {
    this.#open++;
    stream.once("close", () => {
      if (--this.#open > 0) return;
      this.#drained?.resolve();
      this.#drained = null;
    });
  }
}

/**
 * Guards the streams of every HTTP/2 server `server` makes from now on (call it before
 * `createConnectionInjector` or `bindAsync`), and counts them. It reaches into grpc-js's
 * `createHttp2Server`; tests/connection_limits_test.ts resets streams, tests/answer_bytes_test.ts
 * reads nothing, and tests/manager_shutdown_test.ts holds an answer across a shutdown, to hold it
 * to that.
 */
export function guardHttp2Streams(server: grpc.Server): OpenHttp2Streams {
  const internal = server as unknown as {
    createHttp2Server(credentials: unknown): Http2ServerLike;
  };
  const open = new OpenHttp2Streams();
  const create = internal.createHttp2Server.bind(server);
  internal.createHttp2Server = (credentials) => {
    const http2Server = create(credentials);
    http2Server.prependListener("stream", (stream) => {
      guardStreamClass(stream);
      trackAnswerStream(stream as unknown as AnswerStream);
      open.track(stream);
      const window = claimStreamWindow(stream);
      if (window) stream.once("close", () => window.close());
    });
    return http2Server;
  };
  return open;
}
