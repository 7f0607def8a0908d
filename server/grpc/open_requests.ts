/**
 * The services open to everyone (health and reflection) take small requests only. Their requests
 * name a service or a symbol, yet grpc-js reads each message up to the server's
 * `MAX_REQUEST_BYTES` (4 MiB) before its handler sees it: a client without a key that opened 200
 * health checks and sent 3 MiB of each message, never its end, held 650 MB of the manager's
 * memory for as long as it liked. A message of those services that says it is longer than
 * `OPEN_REQUEST_BYTES` is refused as soon as its 5-byte length prefix arrives (grpc-js answers
 * RESOURCE_EXHAUSTED, "Received message larger than max"), before its bytes are kept.
 */
import * as grpc from "@grpc/grpc-js";
import { log } from "../log.ts";

/** The largest request message health and reflection take, in bytes (their requests are names). */
export const OPEN_REQUEST_BYTES = 16 * 1024;

/** What grpc-js's own call (under the interceptors) holds to cut messages from its stream. */
interface CallUnderInterceptors {
  nextCall?: CallUnderInterceptors;
  decoder?: { maxReadMessageLength: number };
}

/**
 * A server interceptor that lowers the largest request message of the methods in `paths`
 * (`/package.Service/Method`) to `bytes`. It reaches into grpc-js's call under the interceptors
 * (its `decoder`); tests/grpc_open_requests_test.ts holds it to that.
 */
export function capOpenRequests(paths: ReadonlySet<string>, bytes: number): grpc.ServerInterceptor {
  let warned = false;
  return (method, call) => {
    if (paths.has(method.path)) {
      let inner = call as unknown as CallUnderInterceptors | undefined;
      while (inner && !inner.decoder) inner = inner.nextCall;
      if (inner?.decoder) inner.decoder.maxReadMessageLength = bytes;
      else if (!warned) {
        warned = true;
        log.error("Cannot cap the requests of health and reflection: grpc-js's call changed", {
          method: method.path,
        });
      }
    }
    return new grpc.ServerInterceptingCall(call);
  };
}
