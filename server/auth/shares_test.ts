import assert from "node:assert/strict";
import { ResourceExhaustedError } from "../domain/errors.ts";
import { ANONYMOUS_ADMIN, type Principal } from "./scopes.ts";
import { KeyShares, type ShareRefusedEvent } from "./shares.ts";

const reader = (keyId: string): Principal => ({
  keyId,
  keyName: keyId,
  scopes: ["read"],
  executors: null,
});

/** Takes places of `shares` for `caller` one at a time until refused: how many it got. */
function takeAll(shares: KeyShares, caller: Principal, cap: number): number {
  let taken = 0;
  try {
    for (; taken < cap; taken++) shares.take(caller, 1, cap);
  } catch (error) {
    assert.ok(error instanceof ResourceExhaustedError);
  }
  return taken;
}

Deno.test("KeyShares: keys that take all they may one after the other halve the free places each, the last ones go one each to keys holding none, and each refusal is told", () => {
  const told: ShareRefusedEvent[] = [];
  const shares = new KeyShares("worker_streams", { emit: (event) => told.push(event) });
  const taken = ["a", "b", "c", "d"].map((key) => takeAll(shares, reader(key), 1000));
  assert.deepEqual(taken, [500, 250, 125, 62]);
  assert.equal(told.length, 4);
  assert.deepEqual(told[0], { type: "share_refused", resource: "worker_streams" });
  // A key holding places never takes one of the last two free places (the cap itself is the
  // caller's to check: a fourth key would be refused by it).
  const small = new KeyShares("worker_streams", { emit: () => {} });
  assert.deepEqual(["a", "b", "c"].map((key) => takeAll(small, reader(key), 4)), [2, 1, 1]);
});

Deno.test("KeyShares: keys that take places side by side end at about cap / (keys + 1) each; a key keeps what it holds when its share shrinks, and gets places again once others give theirs back", () => {
  const shares = new KeyShares("event_subscriptions", { emit: () => {} });
  const held = new Map<Principal, (() => void)[]>([[reader("a"), []], [reader("b"), []]]);
  for (let i = 0; i < 100; i++) {
    for (const [key, releases] of held) {
      try {
        releases.push(shares.take(key, 1, 200));
      } catch { /* its share */ }
    }
  }
  const [[a, ofA], [, ofB]] = [...held];
  assert.deepEqual([ofA.length, ofB.length], [67, 66]); // 67 left free
  const admin = shares.take(ANONYMOUS_ADMIN, 60, 200);
  // A holds 67, more than half of the 74 the others leave: refused, and its places stay.
  assert.throws(() => shares.take(a, 1, 200), /for key "a".*at most 37 of the 200 now/);
  admin();
  for (const release of ofB.splice(0, 10)) release();
  // Half of the 144 B leaves now: 72.
  for (let i = 0; i < 5; i++) shares.take(a, 1, 200);
  assert.throws(() => shares.take(a, 1, 200), /at most 72 of the 200 now/);
});
