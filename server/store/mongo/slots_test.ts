/** Unit tests of picking free concurrency slots on MongoDB. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { freeSlots } from "./slots.ts";

Deno.test("freeSlots() gives distinct free slots, as many as wanted or as are free (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.uniqueArray(fc.integer({ min: 0, max: 250 })),
      fc.integer({ min: 0, max: 60 }),
      (count, held, want) => {
        // Slots held past `count` too: a limit lowered while tasks ran.
        const used = new Set(held.map((n) => `s${n}`));
        const free = freeSlots(count, used, want, (n) => `s${n}`);
        const freeCount = Array.from({ length: count }, (_, n) => `s${n}`)
          .filter((key) => !used.has(key)).length;
        assert.equal(free.length, Math.min(want, freeCount));
        assert.equal(new Set(free).size, free.length);
        for (const key of free) {
          assert.ok(!used.has(key), key);
          assert.ok(Number(key.slice(1)) < count, key);
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("freeSlots() of a limit of 1,000,000 names about as many slots as it gives, not every slot", () => {
  let named = 0;
  const used = new Set(["s1", "s2", "s3"]);
  const free = freeSlots(1_000_000, used, 100, (n) => {
    named++;
    return `s${n}`;
  });
  assert.equal(free.length, 100);
  assert.ok(named < 1_000, `${named} slots named`);
});
