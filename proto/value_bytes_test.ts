/**
 * The one-pass `Value` codec against protobufjs: the same bytes written for any JSON value, the
 * same JSON read from any `Value` protobufjs writes, and the same depth violations.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeMessage,
  type FieldViolationMessage,
  jsonFromValue,
  valueBytesOf,
  valueFromJson,
  type ValueMessage,
} from "./mod.ts";
import { protoRoot } from "./_root.ts";

const VALUE = "google.protobuf.Value";
const valueType = () => protoRoot().lookupType(VALUE);

/** Well-formed text of any plane (the manager refuses a lone surrogate before it stores it). */
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 12 }),
  // U+FEFF first is text, not a byte order mark: it reads back kept, in values and keys alike.
  fc.string({ unit: "grapheme", maxLength: 12 }).map((rest) => `\uFEFF${rest}é`),
);
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
    text,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(text, fc.constant("__proto__")), tie("value"), {
      maxKeys: 5,
      noNullPrototype: true,
    }),
  ),
})).value;

/** JSON as the message form reads it (the reference). */
function viaMessage(value: unknown, maxDepth = 64) {
  const violations: FieldViolationMessage[] = [];
  const message = valueType().toObject(
    valueType().decode(encodeMessage(VALUE, valueFromJson(value) as Record<string, unknown>)),
    { enums: String, defaults: true, oneofs: true },
  ) as ValueMessage;
  return { json: jsonFromValue(message, { pointer: "/d", maxDepth }, violations), violations };
}

function viaBytes(bytes: Uint8Array, maxDepth = 64) {
  const violations: FieldViolationMessage[] = [];
  return { json: jsonFromValue(bytes, { pointer: "/d", maxDepth }, violations), violations };
}

Deno.test("valueBytesOf() writes the bytes protobufjs writes, and they read back as the same JSON", () => {
  fc.assert(
    fc.property(json, (value) => {
      const bytes = valueBytesOf(value);
      const written = encodeMessage(VALUE, valueFromJson(value) as Record<string, unknown>);
      assert.deepEqual(bytes, new Uint8Array(written));
      assert.deepStrictEqual(viaBytes(bytes).json, value);
    }),
    { numRuns: 500 },
  );
});

Deno.test("reading bytes and reading the message name the same spot for nesting past maxDepth", () => {
  fc.assert(
    fc.property(json, fc.integer({ min: 0, max: 4 }), (value, maxDepth) => {
      const bytes = viaBytes(valueBytesOf(value), maxDepth);
      const message = viaMessage(value, maxDepth);
      assert.deepStrictEqual(bytes, message);
    }),
    { numRuns: 500 },
  );
  assert.deepEqual(viaBytes(valueBytesOf({ a: [[1]] }), 2).violations, [
    { field: "/d/a/0", message: "Must not nest arrays and objects deeper than 2" },
  ]);
});

Deno.test("a key __proto__ reads as an own member, as JSON.parse reads it", () => {
  const value = viaBytes(valueBytesOf(JSON.parse('{"__proto__": {"polluted": 1}}'))).json;
  assert.deepEqual(Object.keys(value as object), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("Values protobufjs writes but valueBytesOf never does read as protobufjs reads them", () => {
  const encode = (message: Record<string, unknown>) => encodeMessage(VALUE, message);
  // No member: null. A map entry without its value: null; without its key: "".
  assert.equal(viaBytes(encode({})).json, null);
  const struct = (fields: Record<string, unknown>) => encode({ structValue: { fields } });
  assert.deepEqual(viaBytes(struct({ a: {} })).json, { a: null });
  const entryWithoutKey = Uint8Array.of(0x2a, 0x06, 0x0a, 0x04, 0x12, 0x02, 0x20, 0x01);
  assert.deepEqual(viaBytes(entryWithoutKey).json, { "": true });
  // Of two members, the last one read; a key twice, its last value; unknown fields passed over.
  const twoMembers = Uint8Array.of(0x20, 0x01, 0x1a, 0x01, 0x78);
  assert.equal(viaBytes(twoMembers).json, "x");
  const keyTwice = Uint8Array.of(
    ...[0x2a, 0x12],
    ...[0x0a, 0x07, 0x0a, 0x01, 0x6b, 0x12, 0x02, 0x20, 0x00],
    ...[0x0a, 0x07, 0x0a, 0x01, 0x6b, 0x12, 0x02, 0x20, 0x01],
  );
  assert.deepEqual(viaBytes(keyTwice).json, { k: true });
  // A value before its key: a violation in it still names the key.
  const valueFirst = Uint8Array.of(
    0x2a,
    0x0b,
    0x0a,
    0x09,
    0x12,
    0x04,
    0x32,
    0x02,
    0x0a,
    0x00,
    0x0a,
    0x01,
    0x6b,
  );
  assert.deepEqual(viaBytes(valueFirst).json, { k: [null] });
  assert.deepEqual(viaBytes(valueFirst, 1).violations, [
    { field: "/d/k", message: "Must not nest arrays and objects deeper than 1" },
  ]);
  const unknown = Uint8Array.of(0x38, 0x05, 0x45, 1, 2, 3, 4, 0x4b, 0x50, 0x01, 0x4c, 0x20, 0x01);
  assert.equal(viaBytes(unknown).json, true);
});

Deno.test("bytes that are not a Value are refused with a RangeError, not read past their end", () => {
  const whole = valueBytesOf({ list: [1, "text", { a: null }] });
  for (let cut = 1; cut < whole.length; cut++) {
    const bytes = whole.subarray(0, cut);
    try {
      viaBytes(bytes);
    } catch (error) {
      assert.ok(error instanceof RangeError, `cut at ${cut}: ${error}`);
    }
  }
  assert.throws(() => viaBytes(Uint8Array.of(0x11, 1, 2, 3)), RangeError);
  assert.throws(() => viaBytes(Uint8Array.of(0x2a, 0x05, 0x0a)), RangeError);
  assert.throws(() => viaBytes(Uint8Array.of(0x0e)), RangeError);
});

Deno.test("valueBytesOf() called again from a getter of the value it writes gives both right bytes; a value that changes meanwhile is refused", () => {
  const inner: Uint8Array[] = [];
  const value = {
    a: "αβγ",
    get b() {
      inner.push(valueBytesOf({ x: "hi" }));
      return { c: "deep" };
    },
    e: "tail",
  };
  const bytes = valueBytesOf(value);
  const plain = { a: "αβγ", b: { c: "deep" }, e: "tail" };
  assert.deepEqual(bytes, valueBytesOf(plain));
  assert.deepEqual(viaBytes(bytes).json, plain);
  assert.equal(inner.length, 2, "the getter ran in both passes");
  for (const each of inner) assert.deepEqual(viaBytes(each).json, { x: "hi" });
  let reads = 0;
  const changing = {
    get s() {
      return reads++ === 0 ? "short" : "a longer string";
    },
  };
  assert.throws(() => valueBytesOf(changing), TypeError);
  assert.deepEqual(viaBytes(valueBytesOf(plain)).json, plain, "a later call is right");
});
