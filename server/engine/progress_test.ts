/** Unit tests of what a heartbeat's progress keeps. */
import assert from "node:assert/strict";
import { DEFAULT_LIMITS } from "../domain/limits.ts";
import { readProgress } from "./progress.ts";

Deno.test("readProgress keeps the progress of the tasks named, within its size, and within the heartbeat's object shapes", () => {
  const limits = { ...DEFAULT_LIMITS, progressBytes: 64, requestObjectShapes: 3 };
  const kept = readProgress(
    {
      a: '{"step":1,"of":2}',
      b: '{"step":2}',
      c: '{"eta":5,"at":1}',
      d: "[1,2]",
      e: JSON.stringify("x".repeat(100)),
      f: "not json",
      unnamed: '{"x":1}',
    },
    ["a", "b", "c", "d", "e", "f"],
    limits,
  );
  // a's shapes are step, step of; b's step again; c's take the heartbeat past 3; d holds no
  // names; e is too large.
  assert.deepEqual(Object.fromEntries(kept), {
    a: { step: 1, of: 2 },
    b: { step: 2 },
    d: [1, 2],
  });
});

Deno.test("readProgress: 1,000 tasks' progress of 1 KiB, each of new names, keeps no more than the limit of shapes", () => {
  const taskIds = Array.from({ length: 1000 }, (_, i) => `t${i}`);
  // 80 names each: 80,000 in all, about 0.2 s of the thread to parse before.
  const progress = Object.fromEntries(taskIds.map((id) => [
    id,
    JSON.stringify(Object.fromEntries(Array.from({ length: 80 }, (_, k) => [`${id}_${k}`, 0]))),
  ]));
  const kept = readProgress(progress, taskIds, DEFAULT_LIMITS);
  // Each object's names are new: a shape each.
  const shapes = [...kept.values()].reduce(
    (sum: number, p) => sum + Object.keys(p as object).length,
    0,
  );
  assert.ok(shapes <= DEFAULT_LIMITS.requestObjectShapes, `${shapes} shapes kept`);
  assert.ok(kept.size > 100, `${kept.size} tasks' progress kept`);
});

Deno.test("readProgress does not keep progress with a member name given twice in an object, and keeps the next", () => {
  const kept = readProgress(
    { a: String.raw`{"n":{"step":1,"\u0073tep":2}}`, b: '{"step":3}' },
    ["a", "b"],
    DEFAULT_LIMITS,
  );
  assert.deepEqual(Object.fromEntries(kept), { b: { step: 3 } });
});

Deno.test("readProgress reads a task's progress once however many times the heartbeat names it", () => {
  const reads = new Map<string | symbol, number>();
  const progress = new Proxy({ t: '{"step":1}', u: "[2]" } as Record<string, string>, {
    get(target, key) {
      reads.set(key, (reads.get(key) ?? 0) + 1);
      return target[key as string];
    },
  });
  const kept = readProgress(progress, [...Array(1000).fill("t"), "u", "t", "u"], DEFAULT_LIMITS);
  assert.deepEqual(Object.fromEntries(kept), { t: { step: 1 }, u: [2] });
  assert.deepEqual(Object.fromEntries(reads), { t: 1, u: 1 });
});
