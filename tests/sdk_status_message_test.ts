/**
 * What the SDK keeps of a failed call's status message: grpc-js's trailing empty "Resolution
 * note:" is cut, and nothing else of the message changes, whatever the manager sent.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { withoutEmptyResolutionNote } from "../sdk/_grpc.ts";

/** What was cut before: the same cut, by a regular expression (slow on long runs of spaces). */
const EMPTY_RESOLUTION_NOTE = /\.?\s*Resolution note:\s*$/;

Deno.test("withoutEmptyResolutionNote() cuts what the regular expression of the note cut, and only that", () => {
  const part = fc.constantFrom(
    "Resolution note:",
    "Resolution note: dns",
    "Resolution",
    " note:",
    ".",
    " ",
    "\n",
    "\t",
    "\u00a0",
    "\u2028",
    "\ufeff",
    "x",
    "é",
  );
  fc.assert(
    fc.property(fc.array(part, { maxLength: 12 }).map((parts) => parts.join("")), (details) => {
      assert.equal(
        withoutEmptyResolutionNote(details),
        details.replace(EMPTY_RESOLUTION_NOTE, ""),
      );
    }),
    { numRuns: 5000 },
  );
});

Deno.test("withoutEmptyResolutionNote() keeps a message of a long run of spaces whole, with or without a note", () => {
  const spaces = " ".repeat(64_000);
  assert.equal(withoutEmptyResolutionNote(`x${spaces}y`), `x${spaces}y`);
  assert.equal(withoutEmptyResolutionNote(`Refused.${spaces}Resolution note:${spaces}`), "Refused");
  assert.equal(
    withoutEmptyResolutionNote("No connection established. Resolution note: "),
    "No connection established",
  );
  assert.equal(
    withoutEmptyResolutionNote("No connection established. Resolution note: dns failed"),
    "No connection established. Resolution note: dns failed",
  );
});
