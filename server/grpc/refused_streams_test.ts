/** Unit tests of the guard against streams refused for their headers. */
import assert from "node:assert/strict";
import { NativeMemoryCollector } from "../native_memory.ts";
import { FRAME_FLAG, FRAME_TYPE } from "./frames.ts";
import { REFUSED_STREAMS, refusedStreamsCheck } from "./refused_streams.ts";

const PROTOCOL_ERROR = 0x1;
const CANCEL = 0x8;
const ENHANCE_YOUR_CALM = 0xb;

function frame(type: number, flags: number, stream: number, payload: number[] = []): Uint8Array {
  const out = new Uint8Array(9 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length << 8 | type);
  out[4] = flags;
  new DataView(out.buffer).setUint32(5, stream);
  out.set(payload, 9);
  return out;
}
const reset = (stream: number, code: number) =>
  frame(FRAME_TYPE.RST_STREAM, 0, stream, [0, 0, 0, code]);
const inbound = (type: number, stream: number, length: number) => ({
  type,
  flags: FRAME_FLAG.END_HEADERS,
  stream,
  length,
});

/** A socket whose writes are read as node:http2 makes them, and a collector that counts. */
function setup() {
  const owed: number[] = [];
  const collector = new NativeMemoryCollector({ thresholdBytes: Infinity, collect: () => {} });
  collector.owe = (bytes) => void owed.push(bytes);
  const socket = { write: (_chunk: unknown) => true };
  const check = refusedStreamsCheck(socket, "127.0.0.1:1", collector);
  return { owed, socket, check };
}

Deno.test("refusedStreamsCheck owes each stream refused for its headers what it may have left, and closes the connection past REFUSED_STREAMS of them", () => {
  const { owed, socket, check } = setup();
  for (let i = 0; i < REFUSED_STREAMS; i++) {
    const id = 2 * i + 1;
    assert.equal(check.frame(inbound(FRAME_TYPE.HEADERS, id, 300), null), false);
    assert.equal(check.frame(inbound(FRAME_TYPE.CONTINUATION, id, 200), null), false);
    socket.write(reset(id, i % 2 === 0 ? ENHANCE_YOUR_CALM : PROTOCOL_ERROR));
  }
  // Each: 128 fields of a full table's largest entry, and its 500 bytes of blocks decoded (x 8/5).
  assert.deepEqual(owed, new Array(REFUSED_STREAMS).fill(128 * 4096 + 800));
  assert.equal(check.frame(inbound(FRAME_TYPE.HEADERS, 99, 10), null), false, "8 refused: open");
  socket.write(reset(99, ENHANCE_YOUR_CALM));
  assert.equal(check.frame(inbound(FRAME_TYPE.HEADERS, 101, 10), null), true, "9: closed");
});

Deno.test("refusedStreamsCheck leaves out streams the manager answered before resetting them, and resets of other codes", () => {
  const { owed, socket, check } = setup();
  for (let i = 0; i < 3 * REFUSED_STREAMS; i++) {
    const id = 2 * i + 1;
    assert.equal(check.frame(inbound(FRAME_TYPE.HEADERS, id, 300), null), false);
    // Answered (its HEADERS written), then reset past its connection's cap.
    socket.write(frame(FRAME_TYPE.HEADERS, FRAME_FLAG.END_HEADERS, id, [0x88]));
    socket.write(reset(id, ENHANCE_YOUR_CALM));
    // Cancelled by the manager, or by the client.
    socket.write(reset(id + 1000, CANCEL));
  }
  // An answered stream that ended is forgotten: a later reset of its id would be a refusal.
  socket.write(frame(FRAME_TYPE.HEADERS, FRAME_FLAG.END_HEADERS, 7001, [0x88]));
  socket.write(
    frame(FRAME_TYPE.HEADERS, FRAME_FLAG.END_STREAM | FRAME_FLAG.END_HEADERS, 7001, [0x88]),
  );
  socket.write(reset(7001, PROTOCOL_ERROR));
  assert.equal(owed.length, 1);
  assert.equal(check.frame(inbound(FRAME_TYPE.HEADERS, 7003, 10), null), false);
});
