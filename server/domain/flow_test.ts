import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidArgumentError } from "./errors.ts";
import { parseExecutorConfig } from "./executor.ts";
import {
  gcraGiveBack,
  gcraNextAt,
  gcraTake,
  GROUP_KEY_MAX_CHARS,
  groupKeyAt,
  groupKeyOf,
  groupKeyProblem,
  NO_FLOW_CONTROL,
  type RateLimit,
} from "./flow.ts";
import { matchesTaskSearch } from "./task_search.ts";

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

Deno.test("groupKeyAt() reads an array by RFC 6901 indexes only, as a data search does: an array's length or an index with a leading zero is no member", () => {
  const data = { items: ["a", "b"], "": { length: 7 } };
  assert.equal(groupKeyAt(data, "/items/1"), "b");
  for (const pointer of ["/items/length", "/items/01", "/items/-", "/items/1.0"]) {
    assert.equal(groupKeyAt(data, pointer), null, pointer);
    assert.equal(
      matchesTaskSearch({ data, metadata: {} }, { data: { pointer, value: 2 } }),
      false,
      pointer,
    );
  }
  assert.equal(groupKeyAt(data, "//length"), "7", "an object's member named length is one");
  // Any data, any pointer to a scalar in it: the group key is the scalar the search finds there.
  fc.assert(
    fc.property(
      fc.jsonValue({ maxDepth: 4 }),
      fc.array(fc.nat(3), { maxLength: 4 }),
      (value, path) => {
        let node = value;
        const tokens: string[] = [];
        for (const step of path) {
          if (Array.isArray(node) && node.length > 0) {
            tokens.push(String(step % node.length));
            node = node[step % node.length];
          } else if (typeof node === "object" && node !== null && Object.keys(node).length > 0) {
            const key = Object.keys(node)[step % Object.keys(node).length];
            tokens.push(key);
            node = (node as Record<string, typeof node>)[key];
          }
        }
        const pointer = tokens.map((t) => `/${t.replaceAll("~", "~0").replaceAll("/", "~1")}`).join(
          "",
        );
        if (pointer === "") return;
        const scalar = typeof node === "string" || typeof node === "number" ||
          typeof node === "boolean";
        const key = scalar && groupKeyProblem(String(node)) === null ? String(node) : null;
        assert.equal(groupKeyAt(value, pointer), key);
        if (Array.isArray(node)) assert.equal(groupKeyAt(value, `${pointer}/length`), null);
      },
    ),
  );
});

Deno.test("groupKeyAt() gives no key for a value a key given at creation would be refused as (U+0000, a lone surrogate, too long, empty): the task joins the no-key group", () => {
  const flow = { ...NO_FLOW_CONTROL, groupKeyPointer: "/customer", maxConcurrencyPerKey: 2 };
  for (
    const [value, problem] of [
      ["a\u0000x", "Must not contain U+0000"],
      ["\u0000", "Must not contain U+0000"],
      ["a\ud800", "Must be well-formed Unicode (no lone surrogate)"],
      ["\udc00b", "Must be well-formed Unicode (no lone surrogate)"],
      ["x".repeat(GROUP_KEY_MAX_CHARS + 1), `Must be 1-${GROUP_KEY_MAX_CHARS} characters`],
      ["", `Must be 1-${GROUP_KEY_MAX_CHARS} characters`],
    ]
  ) {
    assert.equal(groupKeyProblem(value), problem, JSON.stringify(value));
    assert.equal(groupKeyAt({ customer: value }, "/customer"), null, JSON.stringify(value));
    assert.equal(groupKeyOf({ data: { customer: value }, groupKey: null }, flow), "");
  }
  for (const value of ["a\u0001x", "😀", "é", "x".repeat(GROUP_KEY_MAX_CHARS)]) {
    assert.equal(groupKeyProblem(value), null, JSON.stringify(value));
    assert.equal(groupKeyAt({ customer: value }, "/customer"), value);
  }
  // Whatever the string, a key read from data is one a task could have been given.
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 300 }),
        fc.string({ unit: fc.constantFrom("a", "\u0000", "\ud800", "\udc00", "😀"), maxLength: 8 }),
      ),
      (value) => {
        const key = groupKeyAt({ customer: value }, "/customer");
        assert.equal(key, groupKeyProblem(value) === null ? value : null);
      },
    ),
  );
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

Deno.test("parseExecutorConfig() refuses a groupKeyPointer that is no string a group key may be (U+0000, a lone surrogate) or no JSON pointer, naming it; takes one that is", () => {
  for (const pointer of ["/\ud800", "/a\u0000b", "customerId", "/a~2", "/a~"]) {
    assert.throws(() => parseExecutorConfig({ name: "a", groupKeyPointer: pointer }), (error) => {
      assert.ok(error instanceof InvalidArgumentError);
      assert.deepEqual(error.violations.map((v) => v.field), ["/config/groupKeyPointer"]);
      return true;
    }, JSON.stringify(pointer));
  }
  for (const pointer of ["/", "/customer/~0id~1x"]) {
    assert.equal(
      parseExecutorConfig({ name: "a", groupKeyPointer: pointer }).groupKeyPointer,
      pointer,
    );
  }
});

Deno.test("parseExecutorConfig() refuses a groupKeyPointer that names no member of task data (a token ending with a backslash, more tokens than data nests), naming it; takes one with control characters, which a member name may hold", () => {
  for (
    const [pointer, maxDepth] of [["/a\\", 64], ["/a\\/b", 64], ["/a\\\\", 64], [
      "/a/b/c",
      2,
    ]] as const
  ) {
    assert.throws(
      () => parseExecutorConfig({ name: "a", groupKeyPointer: pointer }, { maxDepth }),
      (error) => {
        assert.ok(error instanceof InvalidArgumentError);
        assert.deepEqual(error.violations.map((v) => v.field), ["/config/groupKeyPointer"]);
        return true;
      },
      JSON.stringify(pointer),
    );
  }
  for (const pointer of ["/\u0001", "/a\\b", "/\u007f/\u0085", "/a".repeat(64)]) {
    assert.equal(
      parseExecutorConfig({ name: "a", groupKeyPointer: pointer }).groupKeyPointer,
      pointer,
    );
  }
});

Deno.test("parseExecutorConfig() takes a groupKeyPointer that names no member of task data when it is the one stored, and refuses it as a change or on a new executor", () => {
  const stored = parseExecutorConfig({ name: "a" });
  const old = { ...stored, groupKeyPointer: "/a\\" };
  const fields = (run: () => unknown) => {
    try {
      run();
      return [];
    } catch (error) {
      assert.ok(error instanceof InvalidArgumentError);
      return error.violations.map((v) => v.field);
    }
  };
  assert.equal(
    parseExecutorConfig({ groupKeyPointer: "/a\\" }, { base: old }).groupKeyPointer,
    "/a\\",
  );
  assert.equal(
    parseExecutorConfig({ name: "a", groupKeyPointer: "/a\\" }, { storedGroupKeyPointer: "/a\\" })
      .groupKeyPointer,
    "/a\\",
  );
  for (
    const run of [
      () => parseExecutorConfig({ groupKeyPointer: "/b\\" }, { base: old }),
      () => parseExecutorConfig({ name: "a", groupKeyPointer: "/a\\" }),
      () => parseExecutorConfig({ groupKeyPointer: "/a\\" }, { base: stored }),
      () =>
        parseExecutorConfig({ groupKeyPointer: "/a\\" }, {
          base: old,
          storedGroupKeyPointer: null,
        }),
    ]
  ) assert.deepEqual(fields(run), ["/config/groupKeyPointer"]);
});

Deno.test("parseExecutorConfig() reads a rate limit's period as a duration and burst as limit by default", () => {
  const config = parseExecutorConfig({ name: "a", rateLimit: { limit: 100, period: "60s" } });
  assert.deepEqual(config.rateLimit, { limit: 100, period: 60_000, burst: 100 });
  const kept = parseExecutorConfig({ rateLimit: null }, { base: config });
  assert.deepEqual(kept.rateLimit, config.rateLimit, "null keeps the limit");
  const removed = parseExecutorConfig({ rateLimit: { limit: 0 } }, { base: config });
  assert.equal(removed.rateLimit, null);
});

const EPOCH = 1_776_000_000_000;

Deno.test("gcraTake() counts a debt left by a slower rate as a bucket drained now under the current one", () => {
  const daily = { limit: 1, period: 86_400_000, burst: 1 };
  const { tat } = gcraTake(0, { now: EPOCH, want: 1, rate: daily });
  const fast = { limit: 100, period: 1000, burst: 100 };
  const first = gcraTake(tat, { now: EPOCH + 1000, want: 5, rate: fast });
  assert.deepEqual(first, { granted: 0, tat: EPOCH + 2000 }, "drained: one refill away");
  const kept = first.tat;
  assert.equal(gcraTake(kept, { now: EPOCH + 1010, want: 5, rate: fast }).granted, 1);
  assert.equal(gcraTake(kept, { now: EPOCH + 2000, want: 500, rate: fast }).granted, 100);
});

Deno.test("gcraTake() gives a full bucket its burst whatever the epoch's float rounding", () => {
  // 3/s with burst 1 used to find 0.99999 tokens in a full bucket at every epoch time.
  const rate = { limit: 3, period: 1000, burst: 1 };
  assert.equal(gcraTake(0, { now: EPOCH, want: 1, rate }).granted, 1);
  fc.assert(
    fc.property(arbRate(), fc.integer({ min: EPOCH, max: EPOCH + 1e10 }), (rate, now) => {
      assert.equal(gcraTake(0, { now, want: rate.burst, rate }).granted, rate.burst);
    }),
  );
});

/**
 * Rates of at most 100 starts per ms: below 0.01 ms an interval is too close to the 1/4096 ms
 * resolution of an epoch time in a double for each start to have its own `tat`.
 */
function arbRate(): fc.Arbitrary<RateLimit> {
  return fc.record({
    limit: fc.integer({ min: 1, max: 1_000_000 }),
    period: fc.integer({ min: 1, max: 86_400_000 }),
    burst: fc.integer({ min: 1, max: 1_000_000 }),
  }).filter((rate) => rate.period / rate.limit >= 0.01);
}

/** Takes at `now`, keeping the `tat` as the stores do: after a grant, or when it came back lower. */
function takeAndKeep(
  tat: number,
  options: { now: number; want: number; rate: RateLimit },
): { granted: number; tat: number } {
  const taken = gcraTake(tat, options);
  return { granted: taken.granted, tat: taken.granted > 0 || taken.tat < tat ? taken.tat : tat };
}

Deno.test("gcraTake()'s cap never binds while the rate stays the same", () => {
  fc.assert(
    fc.property(
      arbRate(),
      fc.array(fc.record({ gap: fc.nat(), want: fc.nat() }), { maxLength: 50 }),
      (rate, steps) => {
        const interval = rate.period / rate.limit;
        let tat = 0;
        let now = EPOCH;
        for (const { gap, want } of steps) {
          now += gap % (rate.period * 2);
          const taken = gcraTake(tat, { now, want: want % (rate.burst * 2 + 1), rate });
          // Without the cap the debt would be `max(tat − now, 0)`: never above a drained bucket.
          assert.ok(Math.max(tat - now, 0) <= rate.burst * interval + 1e-3);
          tat = taken.tat;
        }
      },
    ),
  );
});

Deno.test("gcraTake() from any stored tat starts again within one refill, and never over the limit", () => {
  fc.assert(
    fc.property(
      arbRate(),
      fc.integer({ min: 0, max: EPOCH + 10 * 86_400_000 }),
      fc.array(fc.record({ gap: fc.nat(), want: fc.nat() }), { maxLength: 60 }),
      (rate, stored, steps) => {
        const interval = rate.period / rate.limit;
        const first = takeAndKeep(stored, { now: EPOCH, want: 1, rate });
        const later = EPOCH + rate.burst * interval + interval;
        assert.ok(gcraTake(first.tat, { now: later, want: 1, rate }).granted >= 1, "progress");
        // Any window of one period after the change holds at most limit + burst starts.
        let tat = first.tat;
        let now = EPOCH;
        const starts: number[] = Array(first.granted).fill(now);
        for (const { gap, want } of steps) {
          now += gap % Math.ceil(rate.period / 4 + 1);
          const taken = takeAndKeep(tat, { now, want: want % (rate.burst + 2), rate });
          tat = taken.tat;
          for (let i = 0; i < taken.granted; i++) starts.push(now);
        }
        let j = 0;
        for (let i = 0; i < starts.length; i++) {
          while (starts[j] <= starts[i] - rate.period) j++;
          assert.ok(i - j + 1 <= rate.limit + rate.burst, `window of ${i - j + 1}`);
        }
      },
    ),
  );
});

Deno.test("gcraTake() capped at the bucket's latest claim: a claim with an older `now` never writes the bucket back to full", () => {
  const rate = { limit: 20, period: 1000, burst: 5 };
  for (const behind of [50, 150, 300]) {
    // Kept as the stores keep it: `tat` after a grant or when it came back lower, with `at`.
    let tat = 0;
    let at: number | undefined;
    const starts: number[] = [];
    // Every 10 ms a claim with a fresh `now` and one whose `now` was read `behind` ms before.
    for (let t = EPOCH; t < EPOCH + 3000; t += 10) {
      for (const now of [t, t - behind]) {
        const taken = gcraTake(tat, { now, want: 4, rate, latest: at });
        if (taken.granted > 0 || taken.tat < tat) {
          assert.ok(taken.granted > 0, `${behind} ms behind: tat lowered with nothing granted`);
          tat = taken.tat;
          at = Math.max(at ?? now, now);
        }
        for (let i = 0; i < taken.granted; i++) starts.push(now);
      }
    }
    starts.sort((a, b) => a - b);
    let worst = 0;
    for (const [i, start] of starts.entries()) {
      worst = Math.max(worst, starts.slice(i).filter((s) => s < start + rate.period).length);
    }
    assert.ok(worst <= rate.limit + rate.burst, `${behind} ms behind: a window held ${worst}`);
  }
});

Deno.test("gcraGiveBack() leaves the bucket where it would be had the tokens not been taken: all of them when no claim came since, less the refill a later claim took", () => {
  const rate = { limit: 10, period: 1000, burst: 5 };
  // A full bucket drained by a take of 5 at EPOCH; 3 of them are not used.
  const took = gcraTake(0, { now: EPOCH, want: 5, rate }).tat;
  const asIfTwo = gcraTake(0, { now: EPOCH, want: 2, rate }).tat;
  assert.equal(gcraGiveBack(took, { count: 3, rate, took, latest: EPOCH, givenSince: 0 }), asIfTwo);
  // A claim 400 ms later took the 4 tokens refilled; had the 3 not been taken, the bucket was
  // full by then, and the claim left it where a take of 4 from a full bucket does.
  const later = gcraTake(took, { now: EPOCH + 400, want: 4, rate });
  assert.equal(later.granted, 4);
  const back = gcraGiveBack(later.tat, {
    count: 3,
    rate,
    took,
    latest: EPOCH + 400,
    givenSince: 0,
  });
  assert.equal(back, gcraTake(asIfTwo, { now: EPOCH + 400, want: 4, rate }).tat);
  // The bucket was made anew since the take (its total of give-backs restarted): nothing back.
  const fresh = gcraTake(0, { now: EPOCH + 600, want: 1, rate }).tat;
  assert.equal(
    gcraGiveBack(fresh, { count: 3, rate, took, latest: EPOCH + 600, givenSince: -300 }),
    fresh,
  );
});

Deno.test("gcraGiveBack() after claims that came late and tokens given back late, overlapping, never lets more start than GCRA allows: from one start to a later one, burst plus one a refill interval", () => {
  fc.assert(
    fc.property(
      fc.record({
        limit: fc.integer({ min: 1, max: 50 }),
        period: fc.integer({ min: 10, max: 2000 }),
        burst: fc.integer({ min: 1, max: 20 }),
      }),
      fc.array(
        fc.record({
          gap: fc.nat({ max: 200 }),
          behind: fc.nat({ max: 300 }),
          want: fc.integer({ min: 1, max: 25 }),
          unused: fc.nat({ max: 25 }),
          backAfter: fc.nat({ max: 3 }),
        }),
        { maxLength: 80 },
      ),
      (rate, claims) => {
        // The bucket as the MongoDB store keeps it: `tat`, `at` (the latest claim time) and
        // `given` (what every give-back returned, in all).
        let tat = 0;
        let at: number | undefined;
        let given = 0;
        let clock = EPOCH;
        const starts: number[] = [];
        const giveBacks: { due: number; count: number; took: number; given: number }[] = [];
        claims.forEach((claim, i) => {
          clock += claim.gap;
          // A claim whose `now` was read `behind` ms before it reached the bucket.
          const now = clock - claim.behind;
          const taken = gcraTake(tat, { now, want: claim.want, rate, latest: at });
          if (taken.granted > 0 || taken.tat < tat) {
            tat = taken.tat;
            at = Math.max(at ?? now, now);
          }
          const unused = Math.min(claim.unused, taken.granted);
          for (let k = 0; k < taken.granted - unused; k++) starts.push(now);
          if (unused > 0) {
            giveBacks.push({ due: i + claim.backAfter, count: unused, took: tat, given });
          }
          for (const back of giveBacks.filter((b) => b.due <= i)) {
            const before = tat;
            tat = gcraGiveBack(tat, {
              count: back.count,
              rate,
              took: back.took,
              latest: at ?? back.took,
              givenSince: given - back.given,
            });
            given += before - tat;
            giveBacks.splice(giveBacks.indexOf(back), 1);
          }
        });
        // GCRA's bound (so no window of one period over limit + burst): from one start to a later
        // one, at most `burst` plus one a refill interval.
        starts.sort((a, b) => a - b);
        const interval = rate.period / rate.limit;
        for (let i = 0; i < starts.length; i++) {
          for (let j = i; j < starts.length; j++) {
            const most = rate.burst + Math.floor((starts[j] - starts[i]) / interval + 1e-9);
            assert.ok(j - i + 1 <= most, `${j - i + 1} starts in ${starts[j] - starts[i]} ms`);
          }
        }
      },
    ),
    {
      numRuns: 1000,
      // Tokens all given back after a claim took the refill, then a steady run of claims: given
      // back whole, 17 starts in a window of 200 ms (the most is 15). And two give-backs that
      // overlap: the second counting the first's tokens as its own debt, 3 starts in 282 ms
      // (the most is 2 + 1).
      examples: [[
        { limit: 10, period: 200, burst: 5 },
        [
          { gap: 0, behind: 0, want: 5, unused: 5, backAfter: 1 },
          { gap: 60, behind: 0, want: 5, unused: 0, backAfter: 0 },
          { gap: 0, behind: 0, want: 5, unused: 0, backAfter: 0 },
          ...Array.from({ length: 10 }, () => ({
            gap: 20,
            behind: 0,
            want: 1,
            unused: 0,
            backAfter: 0,
          })),
        ],
      ], [
        { limit: 2, period: 565, burst: 2 },
        [
          { gap: 0, behind: 0, want: 1, unused: 1, backAfter: 1 },
          { gap: 0, behind: 0, want: 1, unused: 1, backAfter: 1 },
          { gap: 1, behind: 0, want: 1, unused: 0, backAfter: 0 },
          { gap: 176, behind: 0, want: 1, unused: 0, backAfter: 0 },
          { gap: 106, behind: 0, want: 1, unused: 0, backAfter: 0 },
        ],
      ]],
    },
  );
});
