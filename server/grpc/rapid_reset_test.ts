/** Unit tests of the rapid-reset counter: frame headers read across any split of the bytes. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { FrameReader } from "./frames.ts";
import { ResetCounter } from "./rapid_reset.ts";

function frame(type: number, payloadBytes: number): number[] {
  return [payloadBytes >> 16, payloadBytes >> 8 & 0xff, payloadBytes & 0xff, type, 0, 0, 0, 0, 1]
    .concat(new Array(payloadBytes).fill(type === 0x3 ? 0 : 0x3));
}

/** Feeds `bytes` to a fresh counter's frame reader in chunks cut at `cuts`; whether it said "over". */
function feed(bytes: number[], cuts: number[]): boolean {
  const reader = new FrameReader([new ResetCounter()]);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  let over = false;
  for (const to of [...points, bytes.length]) {
    over ||= reader.read(new Uint8Array(bytes.slice(from, to)));
    from = to;
  }
  return over;
}

const preface = new Array(24).fill(0x3);

Deno.test("ResetCounter counts RST_STREAM frame headers only, wherever the bytes are cut", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(0x0, 0x1, 0x8), { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (types, cuts) => {
        // Other frames whose payload bytes read like RST_STREAM headers, and 200 resets (the
        // burst): never over.
        const others = types.flatMap((type) => frame(type, 20));
        const resets = Array.from({ length: 200 }, () => frame(0x3, 4)).flat();
        assert.equal(feed([...preface, ...others, ...resets], cuts), false);
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("ResetCounter says over once resets pass the burst at once", () => {
  fc.assert(
    fc.property(fc.array(fc.nat(), { maxLength: 20 }), (cuts) => {
      const resets = Array.from({ length: 400 }, () => frame(0x3, 4)).flat();
      assert.equal(feed([...preface, ...resets], cuts), true);
    }),
    { numRuns: 30 },
  );
});

Deno.test("ResetCounter says over before nghttp2's own bucket of resets runs out (1,000 at once, 33 more at each whole second of its clock), however the resets are spaced", () => {
  const reset = { type: 0x3, flags: 0, stream: 1, length: 4 };
  fc.assert(
    fc.property(
      fc.nat({ max: 999 }),
      fc.nat({ max: 1200 }),
      fc.integer({ min: 1, max: 400 }),
      fc.integer({ min: 1, max: 8000 }),
      (phaseMs, burst, perSecond, count) => {
        let now = 0;
        const ours = new ResetCounter(() => now);
        // nghttp2's bucket, whose seconds tick `phaseMs` after ours start.
        let theirs = 1000;
        let second = 0;
        // `burst` resets at once, then `count` at `perSecond`.
        for (let i = 0; i < burst + count; i++) {
          if (i > burst) now += 1000 / perSecond;
          const ticked = Math.floor((now + phaseMs) / 1000);
          if (ticked > second) {
            theirs = Math.min(1000, theirs + 33 * (ticked - second));
            second = ticked;
          }
          if (ours.frame(reset)) return; // the connection is closed first
          assert.ok(--theirs >= 0, `nghttp2 ran out first, ${Math.round(now)} ms in`);
        }
      },
    ),
    { numRuns: 300 },
  );
});
