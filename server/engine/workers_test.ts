import assert from "node:assert/strict";
import fc from "fast-check";
import { WorkerRegistry } from "./worker_registry.ts";
import { noWorkers, POLL_SERVES_MS, servedBy, workersServing } from "./workers.ts";

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

Deno.test("noWorkers() is true only when tasks wait and no worker of any kind serves the executor", () => {
  const stats = (pending: number, inProgress: number) => ({
    executorName: "a",
    byStatus: { pending, in_progress: inProgress },
  });
  const nobody = { workers: new Map<string, number>(), polled: new Set<string>() };
  assert.equal(noWorkers(stats(2, 0), nobody), true);
  assert.equal(noWorkers(stats(0, 0), nobody), false, "nothing waits");
  assert.equal(noWorkers(stats(2, 1), nobody), false, "a worker runs one of its tasks");
  assert.equal(noWorkers(stats(2, 0), { ...nobody, workers: new Map([["a", 1]]) }), false);
  assert.equal(noWorkers(stats(2, 0), { ...nobody, workers: new Map([["b", 1]]) }), true);
  assert.equal(noWorkers(stats(2, 0), { ...nobody, polled: new Set(["a"]) }), false);
});

Deno.test("the registry keeps each executor's newest poll for POLL_SERVES_MS, then forgets it", async () => {
  const registry = new WorkerRegistry();
  registry.notePoll(["a", "b"], 1_000);
  registry.notePoll(["a"], 5_000);
  assert.deepEqual([...registry.polled(1_000 + POLL_SERVES_MS)].sort(), ["a", "b"]);
  assert.deepEqual([...registry.polled(1_001 + POLL_SERVES_MS)], ["a"]);
  assert.deepEqual([...registry.polled(5_001 + POLL_SERVES_MS)], []);
  assert.deepEqual([...(await servedBy(registry, 5_000)).polled], [], "forgotten, not kept");
});
