import assert from "node:assert/strict";
import { keptBytes, ReceivedBytes } from "./received_bytes.ts";

Deno.test("keptBytes() keeps a view that spans its buffer and copies one that does not, so what is kept is what byteLength says", () => {
  const whole = new Uint8Array([1, 2, 3]);
  assert.equal(keptBytes(whole), whole);
  const read = new Uint8Array(65_536).subarray(10, 11);
  read[0] = 7;
  const kept = keptBytes(read);
  assert.deepEqual([...kept], [7]);
  assert.equal(kept.buffer.byteLength, 1);
});

Deno.test("ReceivedBytes copies chunks into one buffer of its own: no chunk's buffer is kept, and a body of the declared length is answered without a last copy", () => {
  const body = new ReceivedBytes({ max: 4096, declared: 3000 });
  for (let i = 0; i < 3000; i++) {
    const read = new Uint8Array(65_536).subarray(0, 1);
    read[0] = i % 256;
    body.add(read);
  }
  const bytes = body.bytes();
  assert.equal(bytes.length, 3000);
  assert.equal(bytes[2999], 2999 % 256);
  // Grown to the declared length and one byte more (for the read that finds the end), no further.
  assert.equal(bytes.buffer.byteLength, 3001);
});

Deno.test("ReceivedBytes: a declared length allocates nothing before bytes come, and one passed is no longer a cap", () => {
  const lying = new ReceivedBytes({ max: 4_194_304, declared: 4_194_304 });
  assert.equal(lying.room().length, 1024);
  const short = new ReceivedBytes({ max: 4096, declared: 2 });
  short.add(new Uint8Array(5).fill(1));
  assert.deepEqual([...short.bytes()], [1, 1, 1, 1, 1]);
});

Deno.test("ReceivedBytes.bytes() copies the bytes out of a buffer much of which is free", () => {
  const body = new ReceivedBytes({ max: 1_048_576 });
  body.add(new Uint8Array(2048));
  body.add(new Uint8Array(1));
  const bytes = body.bytes();
  assert.equal(bytes.length, 2049);
  assert.equal(bytes.buffer.byteLength, 2049);
});

Deno.test("ReceivedBytes reads a byte stream straight into its buffer (BYOB), growing it up to one byte past max", async () => {
  const chunks = [new Uint8Array(1500).fill(1), new Uint8Array(600).fill(2)];
  const stream = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk) controller.enqueue(chunk);
      else {
        // As Deno's own streams end: a pending BYOB read is answered with no bytes.
        controller.close();
        controller.byobRequest?.respond(0);
      }
    },
  });
  const reader = stream.getReader({ mode: "byob" });
  const body = new ReceivedBytes({ max: 2100 });
  while (true) {
    const { done, value } = await reader.read(body.room());
    if (value) body.filled(value);
    if (done) break;
    assert.ok(body.size <= 2101);
  }
  const bytes = body.bytes();
  assert.equal(bytes.length, 2100);
  assert.equal(bytes[1499], 1);
  assert.equal(bytes[1500], 2);
  assert.equal(body.room().length, 1, "full at max: room for the one byte that would pass it");
});
