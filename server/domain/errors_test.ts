/** Unit tests of how field violations read in an error's message. */
import assert from "node:assert/strict";
import { InvalidArgumentError, listViolations, MAX_VIOLATIONS } from "./errors.ts";

Deno.test('listViolations names each field before its message one way, and the whole value (pointer "") by its message alone', () => {
  // One way, a pointer or a query parameter: "limit Must be …" once stood beside "limit: Must be …".
  assert.equal(listViolations([{ field: "/to", message: "Is required" }]), "/to: Is required");
  assert.equal(listViolations([{ field: "limit", message: "Must be 1" }]), "limit: Must be 1");
  // It read " Must be an object", and "Invalid key:  Must be an object" once listed.
  assert.equal(listViolations([{ field: "", message: "Must be an object" }]), "Must be an object");
  assert.equal(
    listViolations(
      [{ field: "from", message: "Must be before to" }, { field: "", message: "X" }],
    ),
    "from: Must be before to; X",
  );
});

Deno.test("InvalidArgumentError.listing says what was refused, then every violation, and keeps them", () => {
  const violations = Array.from({ length: MAX_VIOLATIONS + 5 }, (_, i) => ({
    field: `/a/${i}`,
    message: "Is wrong",
  }));
  const error = InvalidArgumentError.listing("Invalid thing", violations);
  assert.match(error.message, /^Invalid thing: \/a\/0: Is wrong; \/a\/1: Is wrong;/);
  assert.match(error.message, /; and 5 more$/);
  assert.equal(error.violations.length, MAX_VIOLATIONS + 1);
  assert.equal(
    InvalidArgumentError.listing("Invalid key", [{ field: "", message: "Must be an object" }])
      .message,
    "Invalid key: Must be an object",
  );
});
