/**
 * A guard against header blocks cut into more CONTINUATION frames than nghttp2 takes. nghttp2
 * refuses a block in more than 8 of them (its limit against CONTINUATION floods), and Deno
 * 2.7.14's `node:http2` then neither sends GOAWAY nor closes the connection: the session reads
 * nothing more, and a stream open on it keeps the connection and its place for ever (the idle
 * timer sees a call running). So the manager counts them itself and closes such a connection.
 */
import { log } from "../log.ts";
import { FRAME_FLAG, FRAME_TYPE, type FrameListener } from "./frames.ts";

/** CONTINUATION frames nghttp2 takes in one header block (NGHTTP2_DEFAULT_MAX_CONTINUATIONS). */
export const MAX_CONTINUATIONS = 8;

/**
 * For one connection from `peer`: the frame listener that asks to close it once a header block
 * goes on past `MAX_CONTINUATIONS` CONTINUATION frames (logged once).
 */
export function headerBlockCheck(peer: string): FrameListener {
  // CONTINUATIONs of the block under way, or null when none is.
  let continuations: number | null = null;
  return {
    frame(head) {
      if (head.type === FRAME_TYPE.HEADERS || head.type === FRAME_TYPE.PUSH_PROMISE) {
        continuations = (head.flags & FRAME_FLAG.END_HEADERS) !== 0 ? null : 0;
        return false;
      }
      if (head.type !== FRAME_TYPE.CONTINUATION || continuations === null) return false;
      continuations = (head.flags & FRAME_FLAG.END_HEADERS) !== 0 ? null : continuations + 1;
      if (continuations === null || continuations <= MAX_CONTINUATIONS) return false;
      log.warn("gRPC connection closed: a header block went on in too many frames", { peer });
      return true;
    },
  };
}
