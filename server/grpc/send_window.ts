/**
 * Pacing for streaming calls that may send much (`WatchTasks`, reflection). Deno 2.7's `node:http2`
 * takes every write at once and keeps what the client's flow-control window does not admit, so
 * a client that stops reading would make the manager hold all it is sent (300 results of 1 MiB
 * took a manager from 150 to 500 MB). Writers wait here, before each message, while the
 * client's window on the connection is shut: then at most one message is queued per stream.
 *
 * The window is read from grpc-js's call internals (the HTTP/2 stream under its interceptors):
 * tests/task_watch_test.ts holds a non-reading client to it, so an upgrade that moves them fails
 * there rather than silently sending unpaced.
 */
import type * as grpc from "@grpc/grpc-js";

/** How often a shut window is looked at again, in ms. */
const RECHECK_MS = 25;

interface Http2StreamLike {
  session?: { state?: { remoteWindowSize?: number }; destroyed?: boolean };
}

/** A grpc-js server call that sends a stream of messages. */
type SendingCall =
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

/** The HTTP/2 stream under a grpc-js server call (`call.call`, then its `nextCall`s). */
function http2StreamOf(call: SendingCall): Http2StreamLike | null {
  let link = (call as unknown as { call?: Record<string, unknown> }).call;
  for (let depth = 0; link && depth < 16; depth++) {
    if (link.stream) return link.stream as Http2StreamLike;
    link = link.nextCall as Record<string, unknown> | undefined;
  }
  return null;
}

/**
 * Resolves once the client's flow-control window on the call's connection is open (at once when
 * it is, or when the window cannot be read), or `signal` aborts.
 */
export async function sendWindowOpen(
  call: SendingCall,
  signal: AbortSignal,
): Promise<void> {
  const session = http2StreamOf(call)?.session;
  const shut = () =>
    !signal.aborted && session?.destroyed !== true && session?.state?.remoteWindowSize === 0;
  while (shut()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, RECHECK_MS);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}
