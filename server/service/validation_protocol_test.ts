import assert from "node:assert/strict";
import fc from "fast-check";
import { LineSplitter } from "./validation_protocol.ts";

Deno.test("LineSplitter gives back each line sent, in order, wherever the chunks are cut, and holds a line until its end arrives", () => {
  const line = fc.string({
    unit: fc.constantFrom("a", "é", "{", "\u2028", "\r", " "),
    maxLength: 20,
  });
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 8 }),
      fc.string({ unit: fc.constantFrom("x", "é"), maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (lines, unended, cuts) => {
        const text = lines.map((l) => `${l}\n`).join("") + unended;
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const splitter = new LineSplitter();
        const got: string[] = [];
        for (const [i, from] of [0, ...at].entries()) {
          got.push(...splitter.push(text.slice(from, at[i] ?? text.length)));
        }
        assert.deepEqual(got, lines);
        // The unended rest comes out once its end arrives.
        assert.deepEqual(splitter.push("\n"), [unended]);
      },
    ),
    { numRuns: 2000 },
  );
});
