/** Unit tests of the connection places: who is evicted when every place is taken, and who is not. */
import assert from "node:assert/strict";
import { ConnectionPlaces } from "./connections.ts";

Deno.test("ConnectionPlaces: a connection past the cap takes the place of the one idle the longest", () => {
  const places = new ConnectionPlaces(2, "test connections");
  const a = places.admit("a:1")!;
  const b = places.admit("b:1")!;
  // a served a request after b was admitted: b is now the one idle the longest.
  a.hold()();
  const c = places.admit("c:1");
  assert.ok(c);
  assert.equal(b.evicted.aborted, true);
  assert.equal(a.evicted.aborted, false);
  assert.equal(places.open, 2);
  assert.equal(places.evictions, 1);
  // The evicted connection closing later changes nothing.
  b.leave();
  assert.equal(places.open, 2);
});

Deno.test("ConnectionPlaces: connections with a request running are never evicted; with every one busy a new one is refused", () => {
  const places = new ConnectionPlaces(2, "test connections");
  const a = places.admit("a:1")!;
  const b = places.admit("b:1")!;
  const releaseA = a.hold();
  const releaseB = places.find("b:1")!.hold();
  assert.equal(places.admit("c:1"), null);
  // Released twice, counted once: b holds one request still.
  const second = b.hold();
  releaseB();
  releaseB();
  assert.equal(places.admit("c:1"), null);
  second();
  assert.ok(places.admit("c:1"));
  assert.equal(b.evicted.aborted, true);
  releaseA();
  a.leave();
  assert.equal(places.open, 1);
  assert.equal(places.find("a:1"), undefined);
});
