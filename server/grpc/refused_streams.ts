/**
 * A guard against streams nghttp2 refuses for their headers. Deno 2.7.14's `node:http2` takes 128
 * header fields on a stream and resets it at the 129th (ENHANCE_YOUR_CALM), and nghttp2 resets one
 * whose headers break HTTP's rules (PROTOCOL_ERROR: a missing pseudo-header, a `connection`
 * field); JavaScript never sees such a stream, and the fields it sent stay in memory until V8's
 * next full collection (`../native_memory.ts`). Each refused stream is owed to the process's
 * collector, as much as it may have left, and a connection that has more than `REFUSED_STREAMS`
 * refused is closed. A stream the manager answered and then reset (an answer past its
 * connection's cap: ENHANCE_YOUR_CALM) is not counted: its headers reached JavaScript.
 */
import { log } from "../log.ts";
import { nativeMemory, type NativeMemoryCollector } from "../native_memory.ts";
import { FRAME_FLAG, FRAME_TYPE, type FrameListener, onWrittenFrames } from "./frames.ts";

/** Streams refused for their headers one connection may have before it is closed. */
export const REFUSED_STREAMS = 8;
/** Header fields Deno 2.7.14's `node:http2` takes on one stream (Node's `maxHeaderListPairs`). */
const HEADER_FIELDS = 128;
/** The largest entry of a client's HPACK table (RFC 7541 §4.1: the default size, 4,096 bytes). */
const TABLE_ENTRY_BYTES = 4096;
/** RST_STREAM's codes for a stream refused for its headers (RFC 9113 §7). */
const PROTOCOL_ERROR = 0x1;
const ENHANCE_YOUR_CALM = 0xb;

/**
 * The most a stream refused for its headers may leave (bytes): each of its fields named from the
 * HPACK table, plus the bytes of its header block decoded (Huffman decodes to at most 8/5 of its
 * length).
 */
export function refusedStreamBytes(headerBlockBytes: number): number {
  return HEADER_FIELDS * TABLE_ENTRY_BYTES + Math.ceil(headerBlockBytes * 8 / 5);
}

/**
 * For the connection from `peer` whose socket is `socket`: the frame listener of what its client
 * sends that asks to close it once more than `REFUSED_STREAMS` of its streams were refused for
 * their headers (logged once). A refused stream is one the manager resets (PROTOCOL_ERROR or
 * ENHANCE_YOUR_CALM, read from what is written to `socket`) without having answered it; each
 * owes `collector` `refusedStreamBytes` of the header blocks received since the one before.
 */
export function refusedStreamsCheck(
  socket: object,
  peer: string,
  collector: NativeMemoryCollector = nativeMemory,
): FrameListener {
  let refused = 0;
  let headerBlockBytes = 0;
  // Streams the manager answered (HEADERS written) and that are still open.
  const answered = new Set<number>();
  onWrittenFrames(socket, {
    wantsPayload: (head) => head.type === FRAME_TYPE.RST_STREAM,
    frame(head, payload) {
      if (head.type === FRAME_TYPE.HEADERS) answered.add(head.stream);
      const ends = head.type === FRAME_TYPE.HEADERS || head.type === FRAME_TYPE.DATA;
      if (ends && (head.flags & FRAME_FLAG.END_STREAM) !== 0) answered.delete(head.stream);
      if (head.type !== FRAME_TYPE.RST_STREAM || payload?.length !== 4) return false;
      const code = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
      if (answered.delete(head.stream)) return false;
      if (code !== PROTOCOL_ERROR && code !== ENHANCE_YOUR_CALM) return false;
      refused++;
      collector.owe(refusedStreamBytes(headerBlockBytes));
      headerBlockBytes = 0;
      return false;
    },
  });
  return {
    frame(head) {
      if (head.type === FRAME_TYPE.HEADERS || head.type === FRAME_TYPE.CONTINUATION) {
        headerBlockBytes += head.length;
      }
      if (head.type === FRAME_TYPE.RST_STREAM) answered.delete(head.stream);
      if (refused <= REFUSED_STREAMS) return false;
      log.warn("gRPC connection closed: too many of its streams were refused for their headers", {
        peer,
      });
      return true;
    },
  };
}
