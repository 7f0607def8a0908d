import assert from "node:assert/strict";
import { InvalidArgumentError } from "./errors.ts";
import { parseExecutorConfig } from "./executor.ts";
import { gcraNextAt, gcraTake, groupKeyAt, groupKeyOf, NO_FLOW_CONTROL } from "./flow.ts";

Deno.test("gcraTake() never lets a window of one period hold more than limit + burst starts", () => {
  const rate = { limit: 20, period: 1000, burst: 5 };
  let tat = 0;
  const starts: number[] = [];
  // Claimers asking for 3 at a time every 7 ms for 5 s.
  for (let now = 10_000; now < 15_000; now += 7) {
    const taken = gcraTake(tat, { now, want: 3, rate });
    tat = taken.tat;
    for (let i = 0; i < taken.granted; i++) starts.push(now);
  }
  let worst = 0;
  for (const [i, start] of starts.entries()) {
    const inWindow = starts.slice(i).filter((t) => t < start + rate.period).length;
    worst = Math.max(worst, inWindow);
  }
  assert.ok(worst <= rate.limit + rate.burst, `worst window ${worst}`);
  assert.ok(worst >= rate.limit, `the limit is reached, got ${worst}`);
  assert.ok(Math.abs(starts.length - (5 + 20 * 5)) <= 2, `total ${starts.length}`);
});

Deno.test("gcraNextAt() is when a drained bucket grants its next start", () => {
  const rate = { limit: 10, period: 1000, burst: 2 };
  const { tat } = gcraTake(0, { now: 5000, want: 2, rate });
  const at = gcraNextAt(tat, rate);
  assert.equal(gcraTake(tat, { now: at - 1, want: 1, rate }).granted, 0);
  assert.equal(gcraTake(tat, { now: at, want: 1, rate }).granted, 1);
});

Deno.test("groupKeyAt() reads a JSON pointer and keeps only scalar keys", () => {
  const data = { customer: { id: 42, "a/b": "x", tags: ["t"] }, ok: true };
  assert.equal(groupKeyAt(data, "/customer/id"), "42");
  assert.equal(groupKeyAt(data, "/customer/a~1b"), "x");
  assert.equal(groupKeyAt(data, "/ok"), "true");
  assert.equal(groupKeyAt(data, "/customer/tags"), null);
  assert.equal(groupKeyAt(data, "/missing"), null);
  assert.equal(groupKeyAt({ k: "x".repeat(300) }, "/k"), null);
  const flow = { ...NO_FLOW_CONTROL, groupKeyPointer: "/customer/id" };
  assert.equal(groupKeyOf({ data, groupKey: "given" }, flow), "given");
  assert.equal(groupKeyOf({ data, groupKey: null }, flow), "42");
  assert.equal(
    groupKeyOf({ data: {}, groupKey: null }, flow),
    "",
    "a keyed executor's no-key group",
  );
  assert.equal(groupKeyOf({ data: {}, groupKey: null }, NO_FLOW_CONTROL), null);
});

Deno.test("parseExecutorConfig() names each bad flow-control field by its JSON pointer", () => {
  assert.throws(
    () =>
      parseExecutorConfig({
        name: "a",
        rateLimit: { limit: 0.5, period: "soon", extra: 1 },
        rateLimitPerKey: 3,
        maxConcurrencyPerKey: -1,
        groupKeyPointer: "customerId",
      }),
    (error: unknown) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.deepEqual(error.violations.map((v) => v.field).sort(), [
        "/config/groupKeyPointer",
        "/config/maxConcurrencyPerKey",
        "/config/rateLimit/extra",
        "/config/rateLimit/limit",
        "/config/rateLimit/period",
        "/config/rateLimitPerKey",
      ]);
      return true;
    },
  );
});

Deno.test("parseExecutorConfig() reads a rate limit's period as a duration and burst as limit by default", () => {
  const config = parseExecutorConfig({ name: "a", rateLimit: { limit: 100, period: "60s" } });
  assert.deepEqual(config.rateLimit, { limit: 100, period: 60_000, burst: 100 });
  const kept = parseExecutorConfig({ rateLimit: null }, { base: config });
  assert.deepEqual(kept.rateLimit, config.rateLimit, "null keeps the limit");
  const removed = parseExecutorConfig({ rateLimit: { limit: 0 } }, { base: config });
  assert.equal(removed.rateLimit, null);
});
