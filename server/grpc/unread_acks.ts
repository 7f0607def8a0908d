/**
 * A guard against a client that asks for acks while it reads nothing. Each PING and SETTINGS frame
 * a client sends is answered by node:http2 with an ack, each its own socket write, however much
 * the socket already holds: nghttp2 ends a session that lets 1,000 acks pile up within one read,
 * not across reads. A client sending PINGs and reading nothing took a manager from 165 to 1,963 MB
 * with 150 MB of them over TLS (each 17-byte ack held in the socket's buffer costs ~13 times its
 * size). So such frames are counted while the socket holds more than `UNREAD_BYTES` not yet
 * written out (its client does not take what it is sent), and past `ACKS_UNREAD` the connection
 * is closed. The count starts again whenever the socket holds less: writes complete later than
 * they are made, so a client that reads may find some bytes there when its PING arrives (grpc-go
 * sends one per round trip while it receives data, to size its window). Measured with a client
 * sending PINGs and reading nothing: over TLS the connection closes after ~12 MB of them (most in
 * the kernel's socket buffers) and the manager keeps ~70 MB more; plaintext ~5 MB and ~8 MB.
 */
import { log } from "../log.ts";
import { FRAME_TYPE, type FrameListener } from "./frames.ts";

/** Frames asking for an ack a connection may send while what it was sent waits unwritten. */
export const ACKS_UNREAD = 1000;
/** Bytes a socket holds unwritten past which its client counts as one that does not read. */
export const UNREAD_BYTES = 64 * 1024;
/** The flag of a PING or SETTINGS frame that is itself an ack (RFC 9113 §6.5, §6.7). */
const ACK = 0x1;

/**
 * For the connection from `peer` whose socket is `socket`: the frame listener that asks to close
 * it once it has sent more than `ACKS_UNREAD` PING or SETTINGS frames (acks aside), each while the
 * socket held more than `UNREAD_BYTES` unwritten (logged once).
 */
export function unreadAcksCheck(socket: { writableLength: number }, peer: string): FrameListener {
  let owed = 0;
  return {
    frame(head) {
      if (head.type !== FRAME_TYPE.PING && head.type !== FRAME_TYPE.SETTINGS) return false;
      if ((head.flags & ACK) !== 0) return false;
      owed = socket.writableLength > UNREAD_BYTES ? owed + 1 : 0;
      if (owed <= ACKS_UNREAD) return false;
      log.warn("gRPC connection closed: it asks for acks while it reads nothing", { peer });
      return true;
    },
  };
}
