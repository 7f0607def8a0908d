/** Task and executor ids (`server/domain/id.ts`): shape, uniqueness and creation order. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { isId, newId } from "../server/domain/id.ts";

Deno.test("ids are unique, well formed and sort in the order they were made, many in one millisecond", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2000 }),
      fc.integer({ min: 1_600_000_000_000, max: 4_000_000_000_000 }),
      (steps, start) => {
        // Clock readings that stay put or move forward, as Date.now() does.
        let now = start;
        const ids = steps.map((step) => newId(now += step));
        assert.deepEqual(ids.filter((id) => !isId(id)), []);
        assert.equal(new Set(ids).size, ids.length);
        assert.deepEqual([...ids].sort(), ids);
      },
    ),
    { numRuns: 50 },
  );
});
