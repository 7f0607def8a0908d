/** Unit tests of what JSON text is measured for before it is parsed. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { countJsonValues, JsonNames, noteJsonNames } from "./json_text.ts";

const encoder = new TextEncoder();

/** The distinct member names of a parsed JSON value, over all its objects. */
function namesIn(json: unknown, into = new Set<string>()): Set<string> {
  if (json !== null && typeof json === "object") {
    if (!Array.isArray(json)) { for (const key of Object.keys(json)) into.add(key); }
    for (const item of Object.values(json)) namesIn(item, into);
  }
  return into;
}

Deno.test("countJsonValues notes every distinct member name and nothing else: not strings in arrays, not values (property)", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.boolean(), (json, spaced) => {
      const text = JSON.stringify(json, null, spaced ? 2 : undefined);
      const names = new JsonNames(Infinity);
      countJsonValues(encoder.encode(text), Infinity, names);
      assert.equal(names.size, namesIn(JSON.parse(text)).size, text);
    }),
    { numRuns: 1000 },
  );
});

Deno.test("countJsonValues: names inside strings, names nested in arrays, and a name seen again", () => {
  const names = new JsonNames(Infinity);
  const text = String.raw`{"a":["b",{"c":"{\"d\":1}","a":[]}],"e\"":{"c":{}},"":0}`;
  countJsonValues(encoder.encode(text), Infinity, names);
  // a, c, e", and the empty name: "b" is an item, and {"d":1} is a string's text.
  assert.equal(names.size, 4);
});

Deno.test("JsonNames is past its most at the first name beyond it, and counting stops there", () => {
  const names = new JsonNames(3);
  const text = '{"a":1,"b":2,"a":3,"c":4,"d":5,"e":6}';
  const values = countJsonValues(encoder.encode(text), Infinity, names);
  assert.equal(names.past, true);
  assert.equal(names.size, 4, "counted up to the fourth distinct name");
  assert.ok(values < 7, "and no further");
  const under = new JsonNames(3);
  countJsonValues(encoder.encode('{"a":1,"b":{"c":[{"a":1,"b":2}]}}'), Infinity, under);
  assert.equal(under.past, false);
  assert.equal(under.size, 3);
});

Deno.test("noteJsonNames counts across texts, and passes over text without a quote", () => {
  const names = new JsonNames(2);
  assert.equal(noteJsonNames("[1,2,{}]", names), true);
  assert.equal(names.size, 0);
  assert.equal(noteJsonNames('{"a":1}', names), true);
  assert.equal(noteJsonNames('{"a":2,"b":[]}', names), true);
  assert.equal(noteJsonNames('{"c":null}', names), false);
  assert.equal(names.past, true);
  assert.equal(noteJsonNames("[3]", names), true, "text without names is not refused");
});

Deno.test("JsonNames: 100,000 distinct names are told apart (no two hash alike by chance)", () => {
  const names = new JsonNames(Infinity);
  const bytes = encoder.encode(Array.from({ length: 100_000 }, (_, i) => `k${i}`).join(""));
  let at = 0;
  for (let i = 0; i < 100_000; i++) {
    const length = `k${i}`.length;
    names.add(bytes, at, at + length);
    at += length;
  }
  assert.equal(names.size, 100_000);
});
