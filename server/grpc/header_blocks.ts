/**
 * A guard on how a client's header blocks are framed (RFC 9113 §4.3, §6.10), which the manager
 * holds a block's bytes back on (`frames.ts`, `FrameReader.settled`), so it closes the connection
 * itself, before node:http2 would, when:
 * - a block goes on past `MAX_CONTINUATIONS` CONTINUATION frames. nghttp2 refuses a block in more
 *   than 8 of them (its limit against CONTINUATION floods), and Deno 2.7.14's `node:http2` then
 *   neither sends GOAWAY nor closes the connection: the session reads nothing more, and a stream
 *   open on it kept the connection and its place for ever (the idle timer sees a call running);
 * - a block is cut by any other frame, or a CONTINUATION of another stream: the bytes after it
 *   would be held back with the block's (8 connections sent 25 MB of DATA after a HEADERS
 *   without END_HEADERS: 650 MB, and `/healthz` waited 8 s);
 * - a client sends PUSH_PROMISE, which only servers may (§8.4).
 */
import { closing, FRAME_FLAG, FRAME_TYPE, type FrameListener } from "./frames.ts";

/** CONTINUATION frames nghttp2 takes in one header block (NGHTTP2_DEFAULT_MAX_CONTINUATIONS). */
export const MAX_CONTINUATIONS = 8;

/**
 * For one connection from `peer`: the frame listener that asks to close it when a header block
 * goes on past `MAX_CONTINUATIONS` CONTINUATION frames, is cut by another frame, or is a
 * PUSH_PROMISE (`closing` logs it).
 */
export function headerBlockCheck(peer: string): FrameListener {
  // The stream of the block under way and its CONTINUATIONs so far, or null when none is.
  let block: { stream: number; continuations: number } | null = null;
  const close = (why: string) => closing(peer, why);
  return {
    frame(head) {
      const ends = (head.flags & FRAME_FLAG.END_HEADERS) !== 0;
      if (block) {
        if (head.type !== FRAME_TYPE.CONTINUATION || head.stream !== block.stream) {
          return close("a header block was cut by another frame");
        }
        if (++block.continuations > MAX_CONTINUATIONS) {
          return close("a header block went on in too many frames");
        }
        if (ends) block = null;
        return false;
      }
      if (head.type === FRAME_TYPE.PUSH_PROMISE) return close("a client sent PUSH_PROMISE");
      if (head.type === FRAME_TYPE.HEADERS && !ends) {
        block = { stream: head.stream, continuations: 0 };
      }
      return false;
    },
  };
}
