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

Deno.test("readClientFramesFirst: chunks reach the data listeners until one trips a check; that one reaches none, and the socket is destroyed", async () => {
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
