/**
 * gRPC's framing of request messages (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): a
 * Compressed-Flag byte (0, or 1 for a message compressed by the call's `grpc-encoding`), a 4-byte
 * length, the message. grpc-js reads a flag of 1 without a `grpc-encoding` (or with `identity`)
 * as an uncompressed message, and any flag but 1 as 0, and takes a request stream that ends in the
 * middle of a message as ended: a unary call then answered UNIMPLEMENTED ("Received no request
 * message"), a client stream lost its last message unsaid. gRPC's implementations (grpc-go,
 * grpc-java) answer each INTERNAL, a malformed message stream; so does the manager, saying which,
 * before any of it is decoded. A request stream (`Produce`, `Work`) that ends in the middle of a
 * message, or holds a misframed one, is ended INTERNAL once the messages before it are answered
 * (nothing after it is read): those are served as they come, so ended at once, a create already
 * made went unanswered and the client could not tell what was made.
 */
import * as grpc from "@grpc/grpc-js";
import { callUnderInterceptors } from "./request_bytes.ts";
import { log } from "../log.ts";

/** The details of a message whose flag says compressed on a call that names no compression. */
export const COMPRESSED_WITHOUT_ENCODING =
  "Error reading request: a message is flagged compressed (Compressed-Flag 1) but the call sets no grpc-encoding (or identity)";

/** The details of a request stream that ends partway through a message. */
export const ENDED_IN_MESSAGE =
  "Error reading request: the request stream ended in the middle of a message (its length prefix says more bytes than came)";

/** The details of a message whose Compressed-Flag is neither 0 nor 1. */
function unknownFlag(flag: number): string {
  return `Error reading request: a message has Compressed-Flag ${flag}, which gRPC does not have (0 or 1)`;
}

/**
 * The server interceptor that ends with INTERNAL a call whose message's Compressed-Flag is not 0,
 * or 1 with the call's `grpc-encoding` naming a compression, and a call whose request stream ends
 * partway through a message. It reaches into grpc-js's call under the interceptors (its decoder
 * and its `decompressMessage`, as `holdRequestBytes` does); a call it cannot reach passes as
 * grpc-js reads it. Put it first among the server's interceptors, nearest the wire.
 */
export function refuseMisframedMessages(): grpc.ServerInterceptor {
  let warned = false;
  return (method, call) => {
    const base = callUnderInterceptors(call);
    if (!base) {
      if (!warned) {
        warned = true;
        log.error("Cannot check the framing of gRPC requests: grpc-js's call changed", {
          method: method.path,
        });
      }
      return new grpc.ServerInterceptingCall(call);
    }
    // Why a request stream read as messages come (`method.requestStream`) was ended early: its
    // end, or the misframed message it is cut at, is passed on as its end, so the messages before
    // it are answered, and the OK that ends the call becomes INTERNAL with these details.
    let misframed: string | null = null;
    const refuse = (message: Uint8Array, details: string) => {
      if (method.requestStream && cutAt(base as StreamReading, message)) {
        misframed = details;
        // Never read: the stream ends where it was.
        return new Promise<Uint8Array>(() => {});
      }
      return Promise.reject({ code: grpc.status.INTERNAL, details });
    };
    const decompress = base.decompressMessage!.bind(base);
    // `message` is the framed message, its flag first; `encoding` is `identity` for a flag other
    // than 1, else the call's `grpc-encoding` (`identity` when it sent none).
    base.decompressMessage = (message, encoding) => {
      const flag = message[0];
      if (flag > 1) return refuse(message, unknownFlag(flag));
      if (flag === 1 && encoding === "identity") {
        return refuse(message, COMPRESSED_WITHOUT_ENCODING);
      }
      return decompress(message, encoding);
    };
    const decoder = base.decoder!;
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveHalfClose: (pass) => {
            // 0: between messages. Anything else: a prefix or a body partly read.
            if (decoder.readState === 0) return pass();
            if (method.requestStream) {
              misframed ??= ENDED_IN_MESSAGE;
              return pass();
            }
            // A unary or server-streaming handler starts at the end of the request stream: it
            // has not run, and never does.
            intercepting.sendStatus({
              code: grpc.status.INTERNAL,
              details: ENDED_IN_MESSAGE,
              metadata: new grpc.Metadata(),
            });
          },
        }),
      sendStatus: (status, next) =>
        next(
          misframed !== null && status.code === grpc.status.OK
            ? { code: grpc.status.INTERNAL, details: misframed, metadata: status.metadata }
            : status,
        ),
    });
    return intercepting;
  };
}

/** What of grpc-js's call under the interceptors `cutAt` changes (server-interceptors.js). */
interface StreamReading {
  /** The messages cut from the stream and not yet handed on, and its end (`HALF_CLOSE`). */
  readQueue?: { type: string; compressedMessage: unknown }[];
  receivedHalfClose?: boolean;
  handleDataFrame?(data: Uint8Array): void;
  handleEndEvent?(): void;
  maybePushNextMessage?(): void;
}

/**
 * Ends the request stream of `call` at its queued `message`: the message becomes the stream's end
 * for the handler, once the messages before it are read, and nothing after it is read (what came
 * in the same chunk is dropped, later data and the stream's own end are ignored). `false` when
 * grpc-js's call is not as expected (the call is then refused at once).
 */
function cutAt(call: StreamReading, message: Uint8Array): boolean {
  const queue = call.readQueue;
  const entry = queue?.find((queued) => queued.compressedMessage === message);
  if (
    !queue || !entry || typeof call.maybePushNextMessage !== "function" ||
    typeof call.handleDataFrame !== "function" || typeof call.handleEndEvent !== "function"
  ) return false;
  call.handleDataFrame = () => {};
  call.handleEndEvent = () => {};
  call.receivedHalfClose = true;
  entry.type = "HALF_CLOSE";
  // Messages of the chunk it came in are queued after it once this returns.
  queueMicrotask(() => {
    queue.splice(queue.indexOf(entry) + 1);
    call.maybePushNextMessage!();
  });
  return true;
}
