/** Unit tests of what JSON text is measured for before it is parsed. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { countJsonText, countJsonValues, endsWithBackslash, ObjectShapes } from "./json_text.ts";
import { shapesIn } from "../tests/fixtures/object_shapes.ts";

const encoder = new TextEncoder();

/** JSON values whose names are never array indexes (V8 orders those apart) nor end with a backslash. */
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, true, 1, "s"),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.array(fc.tuple(fc.string({ maxLength: 3 }).map((k) => `k${k}k`), tie("value")), {
      maxLength: 4,
    }).map((members) => Object.fromEntries(members)),
  ),
})).value;

Deno.test("countJsonValues notes each distinct prefix of each object's member names, and nothing else (property)", () => {
  fc.assert(
    fc.property(json, fc.boolean(), (value, spaced) => {
      const text = JSON.stringify(value, null, spaced ? 2 : undefined);
      const shapes = new ObjectShapes(Infinity);
      countJsonValues(encoder.encode(text), Infinity, shapes);
      assert.equal(shapes.size, shapesIn(JSON.parse(text), true).size, text);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("countJsonValues: the same names in another order or subset are other shapes; strings in arrays and in values are no names", () => {
  const shapesOf = (text: string) => {
    const shapes = new ObjectShapes(Infinity);
    countJsonValues(encoder.encode(text), Infinity, shapes);
    return shapes.size;
  };
  assert.equal(shapesOf('[{"a":1,"b":2},{"a":3,"b":4}]'), 2);
  assert.equal(shapesOf('[{"a":1,"b":2},{"b":3,"a":4}]'), 4);
  assert.equal(shapesOf('[{"a":1,"b":2},{"a":3,"c":4}]'), 3);
  assert.equal(shapesOf('{"a":{"a":{}}}'), 1, "nested objects of one name share its shape");
  assert.equal(shapesOf(String.raw`{"a":["b",{"c":"{\"d\":1}"}],"e\"":{"c":{}},"":0}`), 4);
  // "ab" then "c" is not "a" then "bc".
  assert.equal(shapesOf('[{"ab":1,"c":2},{"a":1,"bc":2}]'), 4);
});

Deno.test("ObjectShapes is past its most at the first shape beyond it, and counting stops there", () => {
  const shapes = new ObjectShapes(3);
  const values = countJsonValues(
    encoder.encode('[{"a":1,"b":2},{"a":3,"b":4},{"b":5},{"c":6},{"d":7}]'),
    Infinity,
    shapes,
  );
  assert.equal(shapes.past, true);
  assert.equal(shapes.size, 4, "counted up to the fourth shape");
  assert.equal(values, 11, "and no further: the fifth object is not counted");
});

Deno.test("countJsonText counts values and shapes of a string's JSON", () => {
  const shapes = new ObjectShapes(Infinity);
  assert.equal(countJsonText("[1,2,{}]", Infinity, shapes), 4);
  assert.equal(shapes.size, 0);
  assert.equal(countJsonText('{"é":1,"b":[{"é":2}]}', Infinity, shapes), 5);
  // é and é b from the start of two members; é again from the start of one.
  assert.equal(shapes.size, 3);
});

Deno.test("ObjectShapes: 100,000 objects of one new name each, and their 100,000 one-name extensions, are told apart but for the few a 30-bit hash makes alike", () => {
  const shapes = new ObjectShapes(Infinity);
  const names = encoder.encode(Array.from({ length: 100_000 }, (_, i) => `k${i}`).join(""));
  let at = 0;
  for (let i = 0; i < 100_000; i++) {
    const length = `k${i}`.length;
    const first = shapes.step(ObjectShapes.EMPTY, names, at, at + length);
    shapes.step(first, names, 0, 2);
    at += length;
  }
  // 100,000 kept shapes in 2^30 hashes: about 5 pairs alike, each counted once.
  assert.ok(shapes.size > 199_950 && shapes.size <= 200_000, `${shapes.size}`);
});

Deno.test("ObjectShapes: past 1,536 shapes grown from one, each object of another makes one, however often it comes", () => {
  // The hash's seed is random per process, so two of these names may hash alike (about one run
  // in 500). A name hashing as a kept one is taken for it (no shape made), so the counts below
  // hold whether or not one does.
  const shapes = new ObjectShapes(Infinity);
  const count = (name: string) => {
    const before = shapes.size;
    countJsonValues(encoder.encode(`{"${name}":0}`), Infinity, shapes);
    return shapes.size - before;
  };
  const names = Array.from({ length: 2000 }, (_, i) => `k${i}`);
  // Each new unless it hashes as one kept before it.
  const takenForKept = names.filter((name) => count(name) === 0).length;
  // Again: the 1,536 kept (and those taken for them) make none, every other one makes one more.
  const madeAgain = names.map(count);
  assert.equal(madeAgain.filter((made) => made === 0).length, 1536 + takenForKept);
  assert.ok(madeAgain.slice(0, 1536).every((made) => made === 0), "the first 1,536 are kept");
  assert.equal(count("k1999") + count("k1999"), madeAgain[1999] * 2, "however often it comes");
});

Deno.test("endsWithBackslash tells a name that ends with a backslash, however it is written (property)", () => {
  /** `name` in JSON text, each character escaped as \uXXXX when `unicode`. */
  const written = (name: string, unicode: boolean) =>
    unicode
      ? [...name].map((c) =>
        [...c].map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")
      ).join("")
      : JSON.stringify(name).slice(1, -1);
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("a", "\\", "u", "0", "5", "c", "\n", '"', "é") }),
      fc.boolean(),
      (name, unicode) => {
        const bytes = encoder.encode(written(name, unicode));
        assert.equal(endsWithBackslash(bytes, 0, bytes.length, true), name.endsWith("\\"));
        const raw = encoder.encode(name);
        assert.equal(endsWithBackslash(raw, 0, raw.length, false), name.endsWith("\\"));
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("countJsonValues stops at a member name that ends with a backslash, and says so; a value that does is no name", () => {
  const shapesOf = (text: string) => {
    const shapes = new ObjectShapes(Infinity);
    countJsonValues(encoder.encode(text), Infinity, shapes);
    return shapes.nameEndingInBackslash;
  };
  assert.equal(shapesOf(String.raw`{"z":0,"a\\":1}`), true);
  assert.equal(shapesOf(String.raw`{"z":0,"a\u005C":1}`), true);
  assert.equal(shapesOf(String.raw`{"z":"a\\","a\\n":["b\\"]}`), false);
});

Deno.test("countJsonValues counts an object's shapes from a start of its member count, as JSON.parse makes them: the same names in objects of other lengths are other shapes", () => {
  const shapes = new ObjectShapes(Infinity);
  // {"a"}, {"a","b"}, {"a","b","c"}: 1 + 2 + 3 shapes, not 3.
  countJsonValues(encoder.encode('[{"a":1},{"a":1,"b":2},{"a":1,"b":2,"c":3}]'), Infinity, shapes);
  assert.equal(shapes.size, 6);
  // Past 128 members, one start.
  const wide = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(",")}}`;
  const many = new ObjectShapes(Infinity);
  countJsonValues(encoder.encode(`[${wide(130)},${wide(140)}]`), Infinity, many);
  assert.equal(many.size, 140);
});

Deno.test("countJsonValues counts an object's first 1,020 names as shapes: past them V8 keeps a dictionary", () => {
  const wide = (n: number) => {
    const shapes = new ObjectShapes(Infinity);
    countJsonValues(
      encoder.encode(`{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(",")}}`),
      Infinity,
      shapes,
    );
    return shapes.size;
  };
  // The hash's seed is random per process, so two of 1,020 names may hash alike (about one run
  // in 2,000): the counts are taken against each other, which share their hashes.
  const first = wide(1020);
  assert.ok(first > 1010 && first <= 1020, `${first}`);
  assert.equal(wide(1019), first - 1);
  assert.equal(wide(1021), first);
  assert.equal(wide(20_000), first);
});

/** A JSON value as written: an object is its members in order, so that one may be written twice. */
type Written = null | number | Written[] | { members: [string, Written][] };

/**
 * Names that may need escapes, be alike once unescaped, or need escapes in a pointer (none ends
 * with a backslash: `endsWithBackslash`).
 */
const memberName = fc.string({
  unit: fc.constantFrom("a", "b", "/", "~", "\\", '"', "é", "😀", "\ud800", "\udc00", "\n", "0"),
  maxLength: 3,
}).map((name) => `k${name}k`);

const written: fc.Arbitrary<Written> = fc.letrec<{ value: Written }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(null, 1),
    fc.array(tie("value"), { maxLength: 4 }),
    // Up to 12 members: objects compared each with each, and through the table of hashes.
    fc.uniqueArray(fc.tuple(memberName, tie("value")), { maxLength: 12, selector: ([k]) => k })
      .map((members) => ({ members })),
  ),
})).value;

/** Each object of `value` with members, and its pointer. */
function objectsIn(value: Written, pointer = ""): [pointer: string, object: Written][] {
  if (value === null || typeof value === "number") return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => objectsIn(item, `${pointer}/${i}`));
  return [
    ...(value.members.length > 0 ? [[pointer, value] as [string, Written]] : []),
    ...value.members.flatMap(([name, item]) =>
      objectsIn(item, `${pointer}/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`)
    ),
  ];
}

/**
 * `value` as JSON text, names written with `\u` escapes where `escaped` says; in the object
 * `twice`, its member `member` is written again, right after the member `at`, its name spelled
 * the other way when `respelled`.
 */
function write(
  value: Written,
  escaped: (name: string) => boolean,
  twice?: { object: Written; member: number; at: number; respelled: boolean },
): string {
  if (value === null || typeof value === "number") return JSON.stringify(value);
  if (Array.isArray(value)) {
    return `[${value.map((item) => write(item, escaped, twice)).join(",")}]`;
  }
  const name = (key: string, respelled = false) =>
    escaped(key) !== respelled
      ? `"${
        Array.from({ length: key.length }, (_, i) =>
          `\\u${key.charCodeAt(i).toString(16).padStart(4, "0")}`).join("")
      }"`
      : JSON.stringify(key);
  const members = value.members.map(([key, item]) => `${name(key)}:${write(item, escaped, twice)}`);
  if (twice?.object === value) {
    const [key, item] = value.members[twice.member];
    members.splice(twice.at + 1, 0, `${name(key, twice.respelled)}:${write(item, escaped)}`);
  }
  return `{${members.join(",")}}`;
}

Deno.test("countJsonValues finds a member name given twice in one object at any depth, compared unescaped, and names it by its pointer; text without one passes (property)", () => {
  fc.assert(
    fc.property(
      written,
      fc.nat(),
      fc.nat(),
      fc.nat(),
      fc.func(fc.boolean()),
      fc.boolean(),
      (value, which, member, at, escaped, respelled) => {
        const noted = (text: string) => {
          const shapes = new ObjectShapes(Infinity);
          countJsonValues(encoder.encode(text), Infinity, shapes);
          return shapes.memberGivenTwice;
        };
        const plain = write(value, escaped);
        assert.equal(noted(plain), null, plain);
        const objects = objectsIn(value);
        fc.pre(objects.length > 0);
        const [pointer, object] = objects[which % objects.length];
        const { members } = object as { members: [string, Written][] };
        const twice = { object, member: member % members.length, at: 0, respelled };
        twice.at = twice.member + at % (members.length - twice.member);
        const text = write(value, escaped, twice);
        const name = members[twice.member][0];
        assert.equal(
          noted(text),
          `${pointer}/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`,
          text,
        );
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("countJsonValues finds a name given twice among 10,000, and none among 10,000 distinct; it stops there", () => {
  const names = Array.from({ length: 10_000 }, (_, i) => `"key${i}":${i}`);
  const noted = (text: string) => {
    const shapes = new ObjectShapes(Infinity);
    const values = countJsonValues(encoder.encode(text), Infinity, shapes);
    return [shapes.memberGivenTwice, values];
  };
  assert.deepEqual(noted(`{${names.join(",")}}`), [null, 10_001]);
  // The root, the object, its 10,001 members; not the item after.
  assert.deepEqual(noted(`[{${names.join(",")},"key5000":0}, 1]`), ["/0/key5000", 10_003]);
  assert.deepEqual(noted(String.raw`{"a":{"b":[{"c":1,"\u0063":2}]}}`), ["/a/b/0/c", 6]);
  // Told apart: a lone surrogate from another, `\/` is `/`.
  assert.deepEqual(noted(String.raw`{"\ud800":1,"\ud801":2,"\udc00":3}`), [null, 4]);
  assert.deepEqual(noted(String.raw`{"a/":1,"a\/":2}`), ["/a~1", 3]);
  // A surrogate pair escaped is its character.
  assert.deepEqual(noted(String.raw`{"😀":1,"\ud83d\ude00":2}`), ["/😀", 3]);
  // Objects nested 2,000 deep, each with an escaped name: the innermost one's is found.
  const deep = String.raw`{"\u0061":`.repeat(2000) + '{"c":1,"c":2}' + ',"b":0}'.repeat(2000);
  assert.equal(noted(deep)[0], "/a".repeat(2000) + "/c");
});
