/** Unit tests of the untrusted JSON checker: each kind of bad spot, named by its JSON pointer. */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { FieldViolationMessage as FieldViolation } from "./mod.ts";
import { checkJsonValue, checkString, utf8Length } from "./json_value.ts";

function check(value: unknown, options: { maxDepth?: number; maxBytes?: number } = {}) {
  const violations: FieldViolation[] = [];
  const ok = checkJsonValue(value, { pointer: "/d", maxDepth: 64, ...options }, violations);
  assert.equal(ok, violations.length === 0);
  return violations;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

Deno.test("checkJsonValue() passes plain JSON of every kind", () => {
  assert.deepEqual(
    check({ a: [1, -2.5, "x", true, null, { b: "é😀" }], "": 0, n: Number.MAX_SAFE_INTEGER }),
    [],
  );
});

Deno.test("checkJsonValue() refuses a number that is not finite, naming where", () => {
  assert.deepEqual(check({ n: JSON.parse("1e400") }), [
    { field: "/d/n", message: "Must be a finite number" },
  ]);
  assert.deepEqual(check([0, [-Infinity]]), [
    { field: "/d/1/0", message: "Must be a finite number" },
  ]);
  assert.deepEqual(check(NaN), [{ field: "/d", message: "Must be a finite number" }]);
});

Deno.test("checkJsonValue() refuses integers beyond 2^53 - 1 rather than changing them", () => {
  const [violation] = check({ id: JSON.parse("12345678901234567890") });
  assert.equal(violation.field, "/d/id");
  assert.match(violation.message, /send larger numbers as strings/);
  assert.equal(check(-(2 ** 53)).length, 1);
  assert.deepEqual(check(-Number.MAX_SAFE_INTEGER), []);
});

Deno.test("checkJsonValue() refuses lone surrogates in strings and in keys", () => {
  assert.deepEqual(check({ s: "a\ud800b" }), [
    { field: "/d/s", message: "Must be well-formed Unicode (no lone surrogate)" },
  ]);
  assert.deepEqual(check({ ["k\udc00"]: 1 }), [
    { field: "/d/k\udc00", message: "Must have a key of well-formed Unicode (no lone surrogate)" },
  ]);
});

Deno.test("checkJsonValue() keeps U+0000 in strings and keys: stores hold JSON as text", () => {
  assert.deepEqual(check({ "a\u0000b": "key-\u0000-end" }), []);
});

Deno.test("checkJsonValue() refuses nesting past the limit and walks 10,000 levels safely", () => {
  assert.deepEqual(check(nested(3), { maxDepth: 3 }), []);
  assert.deepEqual(check(nested(4), { maxDepth: 3 }), [
    { field: "/d/0/0/0", message: "Must not nest arrays and objects deeper than 3" },
  ]);
  assert.equal(check(nested(10_000)).length, 1);
  assert.equal(check(JSON.parse("[".repeat(100_000) + "]".repeat(100_000))).length, 1);
});

Deno.test("checkJsonValue() refuses JSON text over maxBytes, counting UTF-8 bytes", () => {
  // `"é😀"` is 2 quotes + 2 + 4 bytes.
  assert.deepEqual(check("é😀", { maxBytes: 8 }), []);
  assert.deepEqual(check("é😀", { maxBytes: 7 }), [
    { field: "/d", message: "Must be at most 7 bytes as JSON text, not 8" },
  ]);
});

Deno.test("checkJsonValue() takes any value of exactly maxBytes, and refuses it under one byte less, naming the value (property)", () => {
  fc.assert(
    // Values the check takes when their size is not limited (no unsafe integers).
    fc.property(fc.jsonValue().filter((value) => check(value).length === 0), (value) => {
      const bytes = utf8Length(JSON.stringify(value));
      assert.deepEqual(check(value, { maxBytes: bytes }), []);
      const refused = check(value, { maxBytes: bytes - 1 });
      assert.equal(refused.length, 1);
      assert.equal(refused[0].field, "/d");
      assert.match(
        refused[0].message,
        new RegExp(`^Must be at most ${bytes - 1} bytes as JSON text`),
      );
    }),
    { numRuns: 500 },
  );
});

Deno.test("checkJsonValue() stops at maxBytes: an object far larger is refused before its end is walked", () => {
  const big = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 0]));
  const [refused] = check(big, { maxBytes: 1000 });
  // A lower bound reached within the first members, not the object's size.
  assert.match(refused.message, /^Must be at most 1000 bytes as JSON text, not (\d+) or more$/);
  assert.ok(Number(/not (\d+)/.exec(refused.message)![1]) < 1100, refused.message);
});

Deno.test("checkJsonValue() sizes a value written out by its own toJSON, or boxed, as JSON.stringify writes it", () => {
  class Money {
    constructor(readonly cents: number, readonly note: string) {}
    toJSON() {
      return this.cents;
    }
  }
  // 11 bytes as JSON text, though its members take 230.
  const price = { price: new Money(5, "x".repeat(200)) };
  assert.deepEqual(check(price, { maxBytes: 100 }), []);
  assert.deepEqual(check({ s: new String("ab") }, { maxBytes: 10 }), []);
  assert.equal(
    check({ price: new Money(5, ""), big: "y".repeat(200) }, { maxBytes: 100 }).length,
    1,
  );
});

Deno.test("checkJsonValue() escapes ~ and / of keys in the pointer it names", () => {
  assert.deepEqual(check({ "a/b~c": NaN }).map((v) => v.field), ["/d/a~1b~0c"]);
});

Deno.test("checkJsonValue() refuses values that are not JSON", () => {
  assert.deepEqual(check({ f: () => 1 }), [{ field: "/d/f", message: "Must be a JSON value" }]);
  assert.deepEqual(check([1, undefined]), [{ field: "/d/1", message: "Must be a JSON value" }]);
  assert.deepEqual(check({ n: 1n }), [{ field: "/d/n", message: "Must be a JSON value" }]);
});

Deno.test("checkJsonValue() passes over an object member that is undefined, as JSON does", () => {
  assert.deepEqual(check({ u: undefined, n: 1 }), []);
});

/** The first bad spot in document order, found the plain recursive way (a reference). */
function firstBadSpot(
  value: unknown,
  pointer: string,
  depth: number,
  maxDepth: number,
): string | null {
  if (typeof value === "number" && !Number.isFinite(value)) return pointer;
  if (typeof value === "string" && !value.isWellFormed()) return pointer;
  if (typeof value !== "object" || value === null) return null;
  if (depth + 1 > maxDepth) return pointer;
  const members: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [String(i), item])
    : Object.entries(value).filter(([, item]) => item !== undefined);
  for (const [key, item] of members) {
    const at = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
    if (!key.isWellFormed()) return at;
    const bad = firstBadSpot(item, at, depth + 1, maxDepth);
    if (bad !== null) return bad;
  }
  return null;
}

Deno.test("checkJsonValue() names the first bad spot in document order, whatever the value", () => {
  const bad = fc.constantFrom(NaN, Infinity, "\ud800", "ok");
  const key = fc.oneof(fc.string({ maxLength: 3 }), fc.constantFrom("a/b", "~", "\udc00"));
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.integer(),
      bad,
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 4 }),
    ),
  }));
  fc.assert(
    fc.property(value, fc.integer({ min: 0, max: 4 }), (value, maxDepth) => {
      const spot = firstBadSpot(value, "/d", 0, maxDepth);
      assert.deepEqual(check(value, { maxDepth }).map((v) => v.field), spot === null ? [] : [spot]);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("checkString() refuses lone surrogates, strings over maxChars and NUL when asked", () => {
  const violations: FieldViolation[] = [];
  assert.equal(checkString("key-\u0000-end", { pointer: "/k", maxChars: 256 }, violations), true);
  assert.equal(checkString("x\ud800", { pointer: "/k", maxChars: 256 }, violations), false);
  assert.equal(checkString("abc", { pointer: "/k", maxChars: 2 }, violations), false);
  assert.equal(
    checkString("a\u0000", { pointer: "/k", maxChars: 9, noNul: true }, violations),
    false,
  );
  assert.deepEqual(violations, [
    { field: "/k", message: "Must be well-formed Unicode (no lone surrogate)" },
    { field: "/k", message: "Must be at most 2 characters, not 3" },
    { field: "/k", message: "Must not contain U+0000" },
  ]);
});
