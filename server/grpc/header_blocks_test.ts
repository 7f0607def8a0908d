/** Unit tests of the guard against header blocks in more CONTINUATION frames than nghttp2 takes. */
import assert from "node:assert/strict";
import { headerBlockCheck, MAX_CONTINUATIONS } from "./header_blocks.ts";

const head = (type: number, flags = 0) => ({ type, flags, stream: 1, length: 10 });

Deno.test("headerBlockCheck closes a connection whose header block goes on past MAX_CONTINUATIONS CONTINUATION frames, and only then", () => {
  const check = headerBlockCheck("127.0.0.1:1");
  // Blocks ended within the limit, or in their HEADERS, and frames of other types between them.
  for (let round = 0; round < 3; round++) {
    assert.equal(check.frame(head(0x1), null), false);
    for (let i = 0; i < MAX_CONTINUATIONS - 1; i++) {
      assert.equal(check.frame(head(0x9), null), false);
    }
    assert.equal(check.frame(head(0x9, 0x4), null), false);
    assert.equal(check.frame(head(0x1, 0x4), null), false);
    assert.equal(check.frame(head(0x0), null), false);
  }
  // nghttp2 counts every CONTINUATION of a block, the one that ends it too.
  assert.equal(check.frame(head(0x1), null), false);
  for (let i = 0; i < MAX_CONTINUATIONS; i++) assert.equal(check.frame(head(0x9), null), false);
  assert.equal(check.frame(head(0x9, 0x4), null), true);
});

Deno.test("headerBlockCheck closes a connection whose header block is cut by another frame, or a CONTINUATION of another stream, or that sends PUSH_PROMISE", () => {
  for (const type of [0x0, 0x1, 0x3, 0x4, 0x6, 0x8]) {
    const check = headerBlockCheck("127.0.0.1:1");
    assert.equal(check.frame(head(0x1), null), false);
    assert.equal(check.frame(head(type), null), true, `frame type ${type}`);
  }
  const check = headerBlockCheck("127.0.0.1:1");
  assert.equal(check.frame(head(0x1), null), false);
  assert.equal(check.frame({ type: 0x9, flags: 0x4, stream: 3, length: 10 }, null), true);
  assert.equal(headerBlockCheck("127.0.0.1:1").frame(head(0x5, 0x4), null), true);
});
