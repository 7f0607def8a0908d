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
