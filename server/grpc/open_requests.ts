/**
 * The services open to everyone (health and reflection) take small requests, a few at a time.
 * Their requests name a service or a symbol, yet grpc-js reads each message up to the server's
 * `MAX_REQUEST_BYTES` (4 MiB) before its handler sees it, and HTTP/2 lets a client open streams
 * without end: a client without a key that opened 200 health checks and sent 3 MiB of each
 * message, never its end, held 650 MB of the manager's memory for as long as it liked, and 20,000
 * checks of 16 KB on 4 connections held 500 MB. So a message of those services that says it is
 * longer than `OPEN_REQUEST_BYTES` is refused as soon as its 5-byte length prefix arrives (grpc-js
 * answers RESOURCE_EXHAUSTED, "Received message larger than max"), before its bytes are kept, and
 * so is a compressed one that would decompress to more ("… decompresses to a size larger than");
 * one connection holds at most `OPEN_CALLS_PER_CONNECTION` of their calls at once (one more is
 * refused with RESOURCE_EXHAUSTED before it is read). Connections themselves are capped, and one
 * that holds no authenticated call gives its place to a new one (`ConnectionPlaces`).
 */
import * as grpc from "@grpc/grpc-js";
import { log } from "../log.ts";
import { callUnderInterceptors } from "./request_bytes.ts";

/** The largest request message health and reflection take, in bytes (their requests are names). */
export const OPEN_REQUEST_BYTES = 16 * 1024;

/** How many health and reflection calls one connection may have open at once. */
export const OPEN_CALLS_PER_CONNECTION = 16;

/**
 * A server interceptor for the methods in `paths` (`/package.Service/Method`): their request
 * messages are `bytes` long at most, and one connection (by peer address) holds at most
 * `perConnection` of their calls. It reaches into grpc-js's call under the interceptors (its
 * `decoder`); tests/grpc_open_requests_test.ts holds it to that.
 */
export function capOpenRequests(
  paths: ReadonlySet<string>,
  limits: { bytes: number; perConnection: number },
): grpc.ServerInterceptor {
  const open = new Map<string, number>();
  let warned = false;
  return (method, call) => {
    if (!paths.has(method.path)) return new grpc.ServerInterceptingCall(call);
    const inner = callUnderInterceptors(call);
    if (inner) {
      inner.decoder!.maxReadMessageLength = limits.bytes;
      inner.maxReceiveMessageSize = limits.bytes;
    } else if (!warned) {
      warned = true;
      log.error("Cannot cap the requests of health and reflection: grpc-js's call changed", {
        method: method.path,
      });
    }
    const peer = call.getPeer();
    let counted = false;
    const release = () => {
      if (!counted) return;
      counted = false;
      const left = (open.get(peer) ?? 1) - 1;
      if (left > 0) open.set(peer, left);
      else open.delete(peer);
    };
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const held = open.get(peer) ?? 0;
            if (held >= limits.perConnection) {
              intercepting.sendStatus({
                code: grpc.status.RESOURCE_EXHAUSTED,
                details:
                  `Too many health and reflection calls on one connection: at most ${limits.perConnection} at once`,
                metadata: new grpc.Metadata(),
              });
              return;
            }
            open.set(peer, held + 1);
            counted = true;
            pass(metadata);
          },
          // grpc-js tells every call when its stream has closed, answered or not: only then is
          // the stream no longer held.
          onCancel: release,
        }),
    });
    return intercepting;
  };
}
