/** Unit tests of the guard against a client that asks for acks while it reads nothing. */
import assert from "node:assert/strict";
import { ACKS_UNREAD, UNREAD_BYTES, unreadAcksCheck } from "./unread_acks.ts";

const PING = { type: 0x6, flags: 0, stream: 0, length: 8 };
const PING_ACK = { ...PING, flags: 0x1 };

/** A frame of `type` with `payload` bytes, as node:http2 writes it. */
function frame(type: number, payload: number): Uint8Array {
  const bytes = new Uint8Array(9 + payload);
  new DataView(bytes.buffer).setUint32(0, payload << 8 | type);
  return bytes;
}

/** A socket whose buffer holds `writableLength` bytes, and what it was handed. */
function socket(writableLength: number) {
  return {
    writableLength,
    write(chunk: Uint8Array) {
      this.writableLength += chunk.length;
      return true;
    },
  };
}

Deno.test("unreadAcksCheck closes a connection past ACKS_UNREAD PINGs in a row while its socket holds more than UNREAD_BYTES and writes nothing out (each ack only piles up)", () => {
  const held = socket(UNREAD_BYTES + 1);
  const check = unreadAcksCheck(held, "127.0.0.1:1");
  for (let i = 0; i < ACKS_UNREAD; i++) {
    assert.equal(check.frame(PING, null), false, `PING ${i + 1}`);
    assert.equal(check.frame(PING_ACK, null), false, "an ack asks for none");
    held.write(frame(0x6, 8)); // its ack, never written out
  }
  assert.equal(check.frame(PING, null), true);
});

Deno.test("unreadAcksCheck lets a client that reads send PINGs for ever, though its socket holds megabytes at each (grpc-go's window-sizing PINGs during a long transfer)", () => {
  const held = socket(4 * 1024 * 1024);
  const check = unreadAcksCheck(held, "127.0.0.1:1");
  for (let i = 0; i < 20 * ACKS_UNREAD; i++) {
    assert.equal(check.frame(PING, null), false, `PING ${i + 1}`);
    // Between two PINGs: answers handed to the socket, and as much written out (the client reads).
    for (let j = 0; j < 4; j++) held.write(frame(0x0, 16_384));
    held.write(frame(0x6, 8));
    held.writableLength -= 4 * (9 + 16_384) + 17 + (i % 3); // a little more some times
  }
  // Nor does one whose socket holds little, reading or not.
  const light = socket(UNREAD_BYTES);
  const lightCheck = unreadAcksCheck(light, "127.0.0.1:2");
  for (let i = 0; i < 3 * ACKS_UNREAD; i++) assert.equal(lightCheck.frame(PING, null), false);
});
