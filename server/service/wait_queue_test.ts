import assert from "node:assert/strict";
import fc from "fast-check";
import { WaitQueue } from "./wait_queue.ts";

Deno.test("WaitQueue keeps the order an array would, whatever is pushed, put first, taken and removed", () => {
  const step = fc.oneof(
    fc.record({ op: fc.constant("push" as const), item: fc.nat(20) }),
    fc.record({ op: fc.constant("unshift" as const), item: fc.nat(20) }),
    fc.record({ op: fc.constant("shift" as const) }),
    fc.record({ op: fc.constant("remove" as const), item: fc.nat(20) }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const queue = new WaitQueue<number>();
      const model: number[] = [];
      for (const s of steps) {
        if (s.op === "push" && !model.includes(s.item)) model.push(s.item);
        if (s.op === "unshift" && !model.includes(s.item)) model.unshift(s.item);
        if (s.op === "push") queue.push(s.item);
        if (s.op === "unshift") queue.unshift(s.item);
        if (s.op === "shift") assert.equal(queue.shift(), model.shift());
        if (s.op === "remove") {
          const at = model.indexOf(s.item);
          if (at >= 0) model.splice(at, 1);
          assert.equal(queue.remove(s.item), at >= 0);
        }
        assert.deepEqual([...queue], model);
        assert.equal(queue.size, model.length);
      }
    }),
    { numRuns: 2000 },
  );
});
