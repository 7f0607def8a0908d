import assert from "node:assert/strict";
import fc from "fast-check";
import { workersServing } from "./workers.ts";

Deno.test("workersServing() counts, for each executor, the workers that name it", () => {
  const name = fc.constantFrom<string>("a", "b", "c", "d", "e");
  const worker = fc.uniqueArray(name, { maxLength: 5 }).map((executors) => ({ executors }));
  fc.assert(
    fc.property(fc.array(worker, { maxLength: 20 }), (workers) => {
      const counts = workersServing(workers);
      for (const executor of ["a", "b", "c", "d", "e"]) {
        const serving = workers.filter((w) => w.executors.includes(executor)).length;
        assert.equal(counts.get(executor) ?? 0, serving);
      }
      assert.ok([...counts.values()].every((n) => n > 0), "an executor none serves is absent");
    }),
  );
});
