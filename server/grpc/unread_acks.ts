/**
 * A guard against a client that asks for acks while it reads nothing. Each PING and SETTINGS frame
 * a client sends is answered by node:http2 with an ack, each its own socket write, however much
 * the socket already holds: nghttp2 ends a session that lets 1,000 acks pile up within one read,
 * not across reads. A client sending PINGs and reading nothing took a manager from 165 to 1,963 MB
 * with 150 MB of them over TLS (each 17-byte ack held in the socket's buffer costs ~13 times its
 * size). So such a frame counts when the socket holds more than `UNREAD_BYTES` not yet written out
 * and wrote nothing out since the last one (its client takes nothing of what it is sent); past
 * `ACKS_UNREAD` in a row the connection is closed. A client that reads is written to between its
 * PINGs, and the count starts again: grpc-go sends one per round trip for as long as it receives
 * data (to size its window), and with a window larger than the kernel's buffers the socket holds
 * megabytes at every one of them while the client reads at the link's rate. Measured with a
 * client sending PINGs and reading nothing: over TLS the connection closes after ~12 MB of them
 * (most in the kernel's socket buffers) and the manager keeps ~70 MB more, ~200 MB when V8 has not
 * yet collected the acks' garbage; plaintext after 8–15 MB, and 5–40 MB more.
 */
import {
  closing,
  FRAME_HEADER_BYTES,
  FRAME_TYPE,
  type FrameListener,
  onWrittenFrames,
} from "./frames.ts";

/** Frames asking for an ack a connection may send in a row while nothing is written out. */
export const ACKS_UNREAD = 1000;
/** Bytes a socket holds unwritten past which its client may be one that does not read. */
export const UNREAD_BYTES = 64 * 1024;
/** The flag of a PING or SETTINGS frame that is itself an ack (RFC 9113 §6.5, §6.7). */
const ACK = 0x1;

/**
 * For the connection from `peer` whose socket is `socket`: the frame listener that asks to close
 * it once it has sent more than `ACKS_UNREAD` PING or SETTINGS frames (acks aside) in a row, each
 * while the socket held more than `UNREAD_BYTES` unwritten and had written nothing out since the
 * one before (`closing` logs it).
 */
export function unreadAcksCheck(socket: { writableLength: number }, peer: string): FrameListener {
  let owed = 0;
  // Bytes handed to the socket so far, and it and what the socket held at the last such frame.
  let handed = 0;
  let handedThen = 0;
  let heldThen = 0;
  onWrittenFrames(socket, {
    frame(head) {
      handed += FRAME_HEADER_BYTES + head.length;
      return false;
    },
  });
  return {
    frame(head) {
      if (head.type !== FRAME_TYPE.PING && head.type !== FRAME_TYPE.SETTINGS) return false;
      if ((head.flags & ACK) !== 0) return false;
      const held = socket.writableLength;
      const writtenOut = heldThen + (handed - handedThen) - held;
      [heldThen, handedThen] = [held, handed];
      owed = held > UNREAD_BYTES && writtenOut <= 0 ? owed + 1 : 0;
      if (owed <= ACKS_UNREAD) return false;
      return closing(peer, "it asks for acks while it reads nothing");
    },
  };
}
