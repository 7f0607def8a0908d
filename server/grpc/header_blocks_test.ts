/** Unit tests of the guard against header blocks in more CONTINUATION frames than nghttp2 takes. */
import assert from "node:assert/strict";
import { headerBlockCheck, MAX_CONTINUATIONS } from "./header_blocks.ts";

const head = (type: number, flags = 0) => ({ type, flags, stream: 1, length: 10 });

Deno.test("headerBlockCheck closes a connection whose header block goes on past MAX_CONTINUATIONS CONTINUATION frames, and only then", () => {
  const check = headerBlockCheck("127.0.0.1:1");
  // Blocks ended within the limit, or in their HEADERS, and CONTINUATION-like frames outside one.
  for (let round = 0; round < 3; round++) {
    assert.equal(check.frame(head(0x1), null), false);
    for (let i = 0; i < MAX_CONTINUATIONS - 1; i++) {
      assert.equal(check.frame(head(0x9), null), false);
    }
    assert.equal(check.frame(head(0x9, 0x4), null), false);
    assert.equal(check.frame(head(0x1, 0x4), null), false);
    assert.equal(check.frame(head(0x0), null), false);
  }
  assert.equal(check.frame(head(0x1), null), false);
  for (let i = 0; i < MAX_CONTINUATIONS; i++) assert.equal(check.frame(head(0x9), null), false);
  assert.equal(check.frame(head(0x9), null), true);
});
