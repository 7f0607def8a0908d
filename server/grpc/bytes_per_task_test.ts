/** Unit tests of what the worker service remembers of each executor's task size. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { BytesPerTask } from "./bytes_per_task.ts";

Deno.test("BytesPerTask keeps the latest size of each name, and past its bound forgets the name learned the longest ago", () => {
  const sizes = new BytesPerTask(2);
  sizes.learn("a", 100);
  sizes.learn("b", 200);
  // Learning a known name again takes no other's place, and makes it the latest.
  sizes.learn("a", 150);
  assert.equal(sizes.size, 2);
  assert.equal(sizes.get("a"), 150);
  sizes.learn("c", 300);
  assert.equal(sizes.get("b"), undefined, "the name learned the longest ago is forgotten");
  assert.equal(sizes.get("a"), 150, "a name leased again stays");
  assert.equal(sizes.get("c"), 300);
  assert.equal(sizes.size, 2);
});

Deno.test("BytesPerTask: executors made and deleted under new names, one after the other, keep it at its bound", () => {
  const sizes = new BytesPerTask(1000);
  for (let i = 0; i < 100_000; i++) sizes.learn(`executor-${i}`, 1 + i % 7);
  assert.equal(sizes.size, 1000);
  assert.equal(sizes.get("executor-99999"), 1 + 99_999 % 7);
  assert.equal(sizes.get("executor-98999"), undefined);
  assert.equal(sizes.get("executor-99000"), 1 + 99_000 % 7);
});

Deno.test("BytesPerTask, property: never past its bound, and the name learned last is known with its size", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.nat()), { maxLength: 200 }),
      (most, steps) => {
        const sizes = new BytesPerTask(most);
        // The names in the order they were last learned, to check the bounded one against.
        const model = new Map<string, number>();
        for (const [n, bytes] of steps) {
          const name = `e${n}`;
          sizes.learn(name, bytes);
          if (!model.delete(name) && model.size === most) model.delete(model.keys().next().value!);
          model.set(name, bytes);
          assert.ok(sizes.size <= most);
          assert.equal(sizes.get(name), bytes);
        }
        for (let n = 0; n <= 20; n++) assert.equal(sizes.get(`e${n}`), model.get(`e${n}`));
      },
    ),
    { numRuns: 300 },
  );
});
