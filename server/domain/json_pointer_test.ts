import assert from "node:assert/strict";
import fc from "fast-check";
import { dataPointerProblem, parseJsonPointer, pointerToken } from "./json_pointer.ts";

/** Member names the manager takes in task data: well-formed, not ending with a backslash. */
const memberName = fc.string({ unit: "grapheme", maxLength: 8 })
  .filter((name) => name.isWellFormed() && !name.endsWith("\\"));

Deno.test("dataPointerProblem() takes every pointer to a member of data the manager takes, and parseJsonPointer() reads its names back", () => {
  fc.assert(
    fc.property(fc.array(memberName, { minLength: 1, maxLength: 64 }), (names) => {
      const pointer = names.map((name) => `/${pointerToken(name)}`).join("");
      assert.equal(dataPointerProblem(pointer, { maxTokens: 64 }), null, JSON.stringify(pointer));
      assert.deepEqual(parseJsonPointer(pointer), names);
    }),
    { numRuns: 500 },
  );
});

Deno.test("dataPointerProblem() refuses a pointer that can name no member of data: a token ending with a backslash, more tokens than data nests, a lone surrogate, no pointer at all", () => {
  fc.assert(
    fc.property(
      fc.array(memberName, { maxLength: 5 }),
      memberName,
      fc.array(memberName, { maxLength: 5 }),
      (before, name, after) => {
        const tokens = [...before, `${name}\\`, ...after];
        const pointer = tokens.map((token) => `/${pointerToken(token)}`).join("");
        assert.match(dataPointerProblem(pointer, { maxTokens: 64 })!, /backslash/);
      },
    ),
  );
  assert.match(dataPointerProblem("/a".repeat(65), { maxTokens: 64 })!, /at most 64/);
  assert.equal(dataPointerProblem("/a".repeat(64), { maxTokens: 64 }), null);
  for (const text of ["", "a", "/a~2", "/a~"]) {
    assert.match(dataPointerProblem(text, { maxTokens: 64 })!, /RFC 6901/, JSON.stringify(text));
  }
  assert.match(dataPointerProblem("/a\ud800", { maxTokens: 64 })!, /surrogate/);
  // A control character may name a member: `{"\u0001": 1}` is data the manager takes.
  assert.equal(dataPointerProblem("/\u0001/a\\b", { maxTokens: 64 }), null);
});
