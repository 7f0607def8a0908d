/**
 * Unit tests of the backoff math: each policy, the cap, and jitter with an injected random
 * source, so no test depends on chance.
 */
import assert from "node:assert/strict";
import { retryDelay } from "./backoff.ts";
import type { RetryPolicy } from "./executor.ts";
import { MAX_RETRY_DELAY_MS } from "./limits.ts";

function policy(overrides: Partial<RetryPolicy>): RetryPolicy {
  return {
    type: "constant",
    maxAttempts: 5,
    interval: 1000,
    maxInterval: 0,
    multiplier: 2,
    jitter: 0,
    ...overrides,
  };
}

Deno.test("retryDelay() of a constant policy is the interval after every attempt", () => {
  const constant = policy({ type: "constant", interval: 250 });
  assert.deepEqual([1, 2, 3, 10].map((n) => retryDelay(constant, n)), [250, 250, 250, 250]);
});

Deno.test("retryDelay() of a linear policy grows by the interval per attempt", () => {
  const linear = policy({ type: "linear", interval: 300 });
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay(linear, n)), [300, 600, 900, 1200]);
});

Deno.test("retryDelay() of an exponential policy multiplies the interval per attempt", () => {
  const exponential = policy({ type: "exponential", interval: 100, multiplier: 3 });
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay(exponential, n)), [100, 300, 900, 2700]);
});

Deno.test("retryDelay() never exceeds maxInterval when one is set", () => {
  const capped = policy({ type: "exponential", interval: 100, multiplier: 2, maxInterval: 500 });
  assert.deepEqual([1, 2, 3, 4, 20].map((n) => retryDelay(capped, n)), [100, 200, 400, 500, 500]);
  const linear = policy({ type: "linear", interval: 1000, maxInterval: 2500 });
  assert.equal(retryDelay(linear, 5), 2500);
  const uncapped = policy({ type: "exponential", interval: 100, multiplier: 2, maxInterval: 0 });
  assert.equal(retryDelay(uncapped, 11), 102_400);
});

Deno.test("retryDelay() takes up to jitter × delay off, drawn from the random source", () => {
  const jittery = policy({ type: "constant", interval: 1000, jitter: 0.5 });
  assert.equal(retryDelay(jittery, 1, { random: () => 0 }), 1000);
  assert.equal(retryDelay(jittery, 1, { random: () => 0.5 }), 750);
  assert.equal(retryDelay(jittery, 1, { random: () => 0.999999 }), 500);
  const full = policy({ type: "constant", interval: 1000, jitter: 1 });
  assert.equal(retryDelay(full, 1, { random: () => 0.25 }), 750);
});

Deno.test("retryDelay() applies jitter after the cap", () => {
  const capped = policy({ type: "exponential", interval: 100, maxInterval: 400, jitter: 0.5 });
  assert.equal(retryDelay(capped, 10, { random: () => 1 }), 200);
});

Deno.test("retryDelay() uses Math.random when no random source is given", () => {
  const jittery = policy({ type: "constant", interval: 1000, jitter: 0.5 });
  for (let i = 0; i < 50; i++) {
    const delay = retryDelay(jittery, 1);
    assert.ok(delay >= 500 && delay <= 1000, `${delay} lies within the jitter range`);
  }
});

Deno.test("retryDelay() treats an attempt below 1 as the first attempt", () => {
  const linear = policy({ type: "linear", interval: 100 });
  assert.equal(retryDelay(linear, 0), 100);
  assert.equal(retryDelay(linear, -3), 100);
  const exponential = policy({ type: "exponential", interval: 100 });
  assert.equal(retryDelay(exponential, 0), 100);
});

Deno.test("retryDelay() rounds to whole milliseconds", () => {
  const exponential = policy({ type: "exponential", interval: 100, multiplier: 1.5 });
  assert.equal(retryDelay(exponential, 3), 225);
  assert.equal(retryDelay(exponential, 4), 338);
});

Deno.test("retryDelay() never passes MAX_RETRY_DELAY_MS, however far a policy grows", () => {
  // The policy of issue 9: 30 days × 100^(n-1) passes 2^53 ms by the fifth attempt.
  const steep = policy({ type: "exponential", interval: 2_592_000_000, multiplier: 100 });
  for (const attempt of [1, 2, 5, 10, 200, 1000]) {
    assert.equal(retryDelay(steep, attempt), MAX_RETRY_DELAY_MS, `attempt ${attempt}`);
  }
  const linear = policy({ type: "linear", interval: 2_592_000_000 });
  assert.equal(retryDelay(linear, 1000), MAX_RETRY_DELAY_MS);
  const zero = policy({ type: "exponential", interval: 0, multiplier: 100 });
  assert.equal(retryDelay(zero, 1000), 0);
});
