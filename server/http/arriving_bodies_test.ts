/** Unit tests of the cap on REST request bodies arriving at once. */
import assert from "node:assert/strict";
import { ArrivingBodies } from "./arriving_bodies.ts";

Deno.test("ArrivingBodies ends the body that has gone the longest without a byte to make room, and no other", () => {
  const bodies = new ArrivingBodies(2);
  const ended: string[] = [];
  const arrive = (name: string) => bodies.arrive((max) => ended.push(`${name}/${max}`));
  const a = arrive("a");
  arrive("b");
  // `a` had a byte since `b` arrived: `b` is the stalest.
  a.received();
  arrive("c");
  assert.deepEqual(ended, ["b/2"]);
  assert.equal(bodies.size, 2);
  // One all there makes room: the next arrives without ending anyone.
  a.done();
  a.done();
  arrive("d");
  assert.deepEqual(ended, ["b/2"]);
  arrive("e");
  assert.deepEqual(ended, ["b/2", "c/2"]);
  assert.equal(bodies.size, 2);
});

Deno.test("ArrivingBodies: bodies opened and never sent make room for each other, not at the cost of one arriving", () => {
  const bodies = new ArrivingBodies(2);
  const ended: string[] = [];
  const arrive = (name: string) => bodies.arrive(() => ended.push(name));
  const upload = arrive("upload");
  upload.received();
  for (let i = 0; i < 5; i++) arrive(`stalled ${i}`);
  assert.deepEqual(ended, ["stalled 0", "stalled 1", "stalled 2", "stalled 3"]);
  // Once only bodies that had bytes are left, the one longest without one goes.
  const other = arrive("other");
  other.received();
  upload.received();
  arrive("new");
  assert.deepEqual(ended.slice(4), ["stalled 4", "other"]);
});
