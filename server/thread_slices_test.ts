import assert from "node:assert/strict";
import { ThreadTurns } from "./thread_slices.ts";

Deno.test("ThreadTurns: up to `concurrency` works start at once; past them, the next starts after a timer turn of the event loop; a failing work gives its place on", async () => {
  const turns = new ThreadTurns(2);
  const order: string[] = [];
  const work = (name: string, fail = false) => () => {
    order.push(name);
    return fail ? Promise.reject(new Error(name)) : Promise.resolve(name);
  };
  const runs = [
    turns.run(work("a", true)).catch((error) => `failed ${error.message}`),
    turns.run(work("b")),
    turns.run(work("c")),
    turns.run(work("d")),
  ];
  setTimeout(() => order.push("timer"), 0);
  assert.deepEqual(await Promise.all(runs), ["failed a", "b", "c", "d"]);
  assert.deepEqual(order, ["a", "b", "timer", "c", "d"]);
});
