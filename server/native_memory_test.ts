/** Unit tests of the collector of what only V8's garbage collector frees. */
import assert from "node:assert/strict";
import { NativeMemoryCollector } from "./native_memory.ts";

Deno.test("NativeMemoryCollector collects once what is owed passes the threshold, once for all owed by then", () => {
  let collections = 0;
  const queued: (() => void)[] = [];
  const collector = new NativeMemoryCollector({
    thresholdBytes: 100,
    collect: () => collections++,
    soon: (fn) => queued.push(fn),
  });
  collector.owe(99);
  assert.equal(queued.length, 0, "under the threshold: nothing due");
  collector.owe(1);
  collector.owe(500);
  assert.equal(queued.length, 1, "one collection due, however much more is owed meanwhile");
  assert.equal(collections, 0, "not in the caller's turn");
  queued.shift()!();
  assert.equal(collections, 1);
  assert.equal(collector.collections, 1);
  collector.owe(99);
  assert.equal(queued.length, 0, "the count starts again after a collection");
  collector.owe(1);
  queued.shift()!();
  assert.equal(collections, 2);
});

Deno.test("NativeMemoryCollector without V8's gc owes nothing and says it cannot collect", () => {
  const collector = new NativeMemoryCollector({
    thresholdBytes: 1,
    collect: undefined,
    soon: () => assert.fail("nothing is due without gc"),
  });
  collector.owe(1_000_000);
  assert.equal(collector.available, false);
  assert.equal(collector.collections, 0);
});
