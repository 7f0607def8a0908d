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
      [{ field: "from", message: "Must be before /to" }, { field: "", message: "X" }],
    ),
    "from: Must be before /to; X",
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

Deno.test("renamed names the new fields in the message listing made, keeps a message of its own, and keeps the count of those not listed", () => {
  const slash = (field: string) => field === "" || field.startsWith("/") ? field : `/${field}`;
  const listed = InvalidArgumentError.listing("Invalid task filter", [
    { field: "limit", message: "Must be 1" },
    { field: "/status/0", message: "Must be a string" },
    { field: "", message: "Must be an object" },
  ]);
  const renamed = listed.renamed(slash);
  assert.equal(
    renamed.message,
    "Invalid task filter: /limit: Must be 1; /status/0: Must be a string; Must be an object",
  );
  assert.deepEqual(renamed.violations.map((v) => v.field), ["/limit", "/status/0", ""]);
  // Renamed twice, it is listed from the new names again.
  assert.equal(
    renamed.renamed((f) => f.replace("/limit", "/page/limit")).message.slice(0, 41),
    "Invalid task filter: /page/limit: Must be",
  );
  // Nothing to rename: the same error.
  assert.equal(renamed.renamed(slash), renamed);

  const own = new InvalidArgumentError('Invalid cursor "x"', [{ field: "cursor", message: "No" }]);
  assert.equal(own.renamed(slash).message, 'Invalid cursor "x"');
  assert.deepEqual(own.renamed(slash).violations, [{ field: "/cursor", message: "No" }]);

  const many = InvalidArgumentError.listing(
    "Invalid thing",
    Array.from({ length: MAX_VIOLATIONS + 5 }, (_, i) => ({ field: `a${i}`, message: "Is wrong" })),
  ).renamed(slash);
  assert.match(many.message, /^Invalid thing: \/a0: Is wrong; \/a1: Is wrong;/);
  assert.match(many.message, /\/a49: Is wrong; and 5 more$/);
  assert.equal(many.violations.length, MAX_VIOLATIONS + 1);
  assert.equal(many.violations[MAX_VIOLATIONS].message, "And 5 more violations, not listed");
});

Deno.test("renamed names another field a violation's message names by its pointer as it names the field, and leaves a quoted example alone", () => {
  const nest = (field: string) => field.startsWith("/") ? `/config${field}` : field;
  const error = InvalidArgumentError.listing("Invalid schedule", [
    { field: "/endAt", message: "Must not be before /startAt" },
    { field: "/every", message: "Give either /cron or /every, not both" },
    { field: "/groupKeyPointer", message: 'Must be a JSON pointer such as "/customerId"' },
  ]).renamed(nest);
  assert.deepEqual(error.violations, [
    { field: "/config/endAt", message: "Must not be before /config/startAt" },
    { field: "/config/every", message: "Give either /config/cron or /config/every, not both" },
    {
      field: "/config/groupKeyPointer",
      message: 'Must be a JSON pointer such as "/customerId"',
    },
  ]);
  assert.equal(
    error.message,
    'Invalid schedule: /config/endAt: Must not be before /config/startAt; /config/every: Give either /config/cron or /config/every, not both; /config/groupKeyPointer: Must be a JSON pointer such as "/customerId"',
  );
});
