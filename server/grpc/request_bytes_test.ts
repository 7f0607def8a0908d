import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { StreamDecoder } from "@grpc/grpc-js/build/src/stream-decoder.js";
import { type CallUnderInterceptors, PartialMessage } from "./request_bytes.ts";

type Decoder = NonNullable<CallUnderInterceptors["decoder"]>;

/** A framed gRPC message of `body`: flag byte, 4-byte length, body. */
function framed(body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/** `bytes` written to grpc-js's decoder in chunks of `size`, each chunk a buffer of its own. */
function writeInChunks(decoder: Decoder, pieces: PartialMessage, bytes: Buffer, size: number) {
  const messages: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    messages.push(...decoder.write(Buffer.from(bytes.subarray(at, at + size))));
    if (decoder.readState !== 0) pieces.keep(decoder);
  }
  return messages;
}

Deno.test("a message sent a byte per DATA frame is kept in a few buffers, not a view per byte", () => {
  const decoder = new StreamDecoder(-1) as unknown as Decoder;
  const pieces = new PartialMessage();
  const body = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
  const bytes = framed(body);
  // All but the last byte: the message is partly read.
  const none = writeInChunks(decoder, pieces, bytes.subarray(0, -1), 1);
  assert.equal(none.length, 0);
  // 40,000 one-byte pieces kept as three buffers of up to 16 KiB (one view each).
  assert.equal(decoder.readPartialMessage.length, 3);
  assert.ok(decoder.readPartialMessage.every((p) => p.buffer.byteLength <= 16_384));
  assert.equal(decoder.readCompressFlag.buffer.byteLength, 1);
  const [message] = decoder.write(Buffer.from(bytes.subarray(-1)));
  assert.deepEqual(Buffer.from(message), bytes);
});

Deno.test("pieces of 2 KiB are copied together too, a view costing a quarter of one", () => {
  const decoder = new StreamDecoder(-1) as unknown as Decoder;
  const pieces = new PartialMessage();
  const bytes = framed(Buffer.alloc(2048 * 40, 7));
  // The prefix, then 40 chunks of 2 KiB but the last byte.
  writeInChunks(decoder, pieces, bytes.subarray(0, 5), 5);
  const none = writeInChunks(decoder, pieces, bytes.subarray(5, -1), 2048);
  assert.equal(none.length, 0);
  assert.equal(decoder.readPartialMessage.length, 5);
  const [message] = decoder.write(Buffer.from(bytes.subarray(-1)));
  assert.deepEqual(Buffer.from(message), bytes);
});

Deno.test("pieces of a message: large ones kept as they came, small ones copied together, the message whole", () => {
  const decoder = new StreamDecoder(-1) as unknown as Decoder;
  const pieces = new PartialMessage();
  const a = framed(Buffer.alloc(50_000, 1));
  const b = framed(Buffer.from(Array.from({ length: 3_000 }, (_, i) => i % 256)));
  const all = Buffer.concat([a, b, a]);
  for (const size of [1, 7, 1000, 1024, 4096, 16_384]) {
    const messages = writeInChunks(decoder, pieces, all, size);
    assert.deepEqual(messages.map((m) => Buffer.from(m)), [a, b, a], `chunks of ${size}`);
    assert.equal(decoder.readState, 0);
  }
});
