import assert from "node:assert/strict";
import { ResourceExhaustedError, UnavailableError } from "../domain/errors.ts";
import { ANONYMOUS_ADMIN, type Principal } from "../auth/scopes.ts";
import type { ShareRefusedEvent } from "../auth/shares.ts";
import { SearchSlots } from "./search_slots.ts";

const NOT_TOLD = { emit: () => {} };

const reader = (keyId: string): Principal => ({
  keyId,
  keyName: keyId,
  scopes: ["read"],
  executors: null,
});

/** Whether a promise has settled, after the microtasks queued before it ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await Promise.resolve();
  await Promise.resolve();
  return done;
}

Deno.test("SearchSlots runs at most `searches` at once, queues up to `searchesQueued` in order and refuses the next", async () => {
  const slots = new SearchSlots({ searches: 2, searchesQueued: 2 }, NOT_TOLD);
  const first = await slots.take(ANONYMOUS_ADMIN);
  const second = await slots.take(ANONYMOUS_ADMIN);
  const third = slots.take(ANONYMOUS_ADMIN);
  const fourth = slots.take(ANONYMOUS_ADMIN);
  assert.equal(slots.running, 2);
  assert.equal(slots.waiting, 2);
  await assert.rejects(slots.take(ANONYMOUS_ADMIN), ResourceExhaustedError);
  assert.equal(await settled(third), false);
  first();
  first(); // twice counts once
  assert.equal(await settled(third), true);
  assert.equal(await settled(fourth), false);
  second();
  (await third)();
  (await fourth)();
  assert.equal(slots.running, 0);
  assert.equal(slots.waiting, 0);
});

Deno.test("SearchSlots holds a key that is not an admin key to half the places, and lets other keys past its waiting searches", async () => {
  const slots = new SearchSlots({ searches: 4, searchesQueued: 4 }, NOT_TOLD);
  const a = reader("a");
  const running = [await slots.take(a), await slots.take(a)];
  // Its share of the four places: two run, the next two wait though two places are free.
  const waiting = [slots.take(a), slots.take(a)];
  assert.equal(slots.waiting, 2);
  await assert.rejects(
    slots.take(a),
    /Too many searches and history reads running and waiting \(MAX_SEARCHES \+ MAX_SEARCHES_QUEUED\) for key "a"/,
  );
  // Another key starts at once on a free place.
  const b = await slots.take(reader("b"));
  assert.equal(slots.running, 3);
  running[0]();
  assert.equal(await settled(waiting[0]), true);
  assert.equal(await settled(waiting[1]), false);
  b();
  running[1]();
  for (const wait of waiting) (await wait)();
  assert.equal(slots.running, 0);
});

Deno.test("SearchSlots drops a waiting search whose client went away: it never starts, and its place is free", async () => {
  const slots = new SearchSlots({ searches: 1, searchesQueued: 1 }, NOT_TOLD);
  const running = await slots.take(ANONYMOUS_ADMIN);
  const client = new AbortController();
  const gone = slots.take(ANONYMOUS_ADMIN, client.signal);
  assert.equal(slots.waiting, 1);
  client.abort();
  await assert.rejects(gone, UnavailableError);
  assert.equal(slots.waiting, 0);
  // The queue's one place is free again, and the next waiter is the one to start.
  const next = slots.take(ANONYMOUS_ADMIN);
  assert.equal(slots.waiting, 1);
  running();
  (await next)();
  assert.equal(slots.running, 0);
  await assert.rejects(slots.take(ANONYMOUS_ADMIN, AbortSignal.abort()), UnavailableError);
  assert.equal(slots.running, 0, "a search whose client left before it asked does not start");
});

Deno.test("SearchSlots: two keys that take all the places they may to run and wait leave one to a third key, and each refusal is told", async () => {
  const told: ShareRefusedEvent[] = [];
  const slots = new SearchSlots({ searches: 4, searchesQueued: 4 }, {
    emit: (event) => told.push(event),
  });
  const held: Promise<() => void>[] = [];
  const takeAll = async (caller: Principal) => {
    for (let i = 0; i < 8; i++) {
      const slot = slots.take(caller);
      if (await settled(slot) && !(await slot.then(() => true, () => false))) return i;
      held.push(slot);
    }
    return 8;
  };
  // A: half of the 8 (two run, two wait); B: half of the 4 A leaves (both run).
  assert.deepEqual([await takeAll(reader("a")), await takeAll(reader("b"))], [4, 2]);
  assert.deepEqual([slots.running, slots.waiting], [4, 2]);
  const ofC = slots.take(reader("c"));
  assert.equal(await settled(ofC), false, "C waits its turn, not refused");
  assert.deepEqual(told, [
    { type: "share_refused", resource: "searches" },
    { type: "share_refused", resource: "searches" },
  ]);
  held.push(ofC);
  for (const slot of held) (await slot)();
  assert.deepEqual([slots.running, slots.waiting], [0, 0]);
});
