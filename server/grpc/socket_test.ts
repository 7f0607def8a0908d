/** Unit tests of how a TLS socket's client bytes are read before node:http2 gets them. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { readClientFramesFirst } from "./socket.ts";

/** `count` RST_STREAM frames (CANCEL), 13 bytes each. */
function resets(count: number): Buffer {
  return Buffer.from(
    Array.from({ length: count }, (_, i) => [0, 0, 4, 0x3, 0, 0, 0, 0, 2 * i + 1, 0, 0, 0, 8])
      .flat(),
  );
}

/** A socket read by `readClientFramesFirst`, as a TLS socket is, and the sizes of the chunks its listeners got. */
function readFirst(): { socket: Duplex; seen: number[] } {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  readClientFramesFirst(socket, "127.0.0.1:1");
  const seen: number[] = [];
  socket.on("data", (chunk: Buffer) => seen.push(chunk.length));
  socket.on("error", () => {});
  return { socket, seen };
}

Deno.test("readClientFramesFirst: chunks reach the data listeners until one trips a check; that one reaches none, and the socket is destroyed", async () => {
  const { socket, seen } = readFirst();
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
  socket.push(Buffer.concat([preface, settings]));
  socket.push(resets(150));
  // The burst is 200: the next 150 pass it.
  socket.push(resets(150));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [33, 150 * 13]);
  assert.equal(socket.destroyed, true);
});

Deno.test("readClientFramesFirst holds back a header block until its last frame is read whole, however the chunks cut it", async () => {
  const { socket, seen } = readFirst();
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
  // HEADERS without END_HEADERS (3 fields), then a CONTINUATION that ends the block (2 more).
  const headers = Buffer.from([0, 0, 3, 0x1, 0x1, 0, 0, 0, 1, 0x83, 0x86, 0x84]);
  const continuation = Buffer.from([0, 0, 2, 0x9, 0x4, 0, 0, 0, 1, 0x82, 0x82]);
  const ping = Buffer.from([0, 0, 8, 0x6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  socket.push(Buffer.concat([preface, settings, headers.subarray(0, 5)]));
  socket.push(headers.subarray(5));
  socket.push(continuation.subarray(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [33], "the block's bytes are held");
  socket.push(Buffer.concat([continuation.subarray(10), ping]));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [33, 12 + 11 + 17], "then handed on whole, with what follows");
  assert.equal(socket.destroyed, false);
});
