/** Unit tests of how field violations read in an error's message. */
import assert from "node:assert/strict";
import {
  fieldPointer,
  InvalidArgumentError,
  listViolations,
  MAX_VIOLATIONS,
  naming,
} from "./errors.ts";

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

Deno.test("renamed names another field a violation's message names (naming) as it names the field, and leaves every other text alone, the client's quoted in it too", () => {
  const nest = (field: string) => field.startsWith("/") ? `/config${field}` : field;
  const error = InvalidArgumentError.listing("Invalid schedule", [
    { field: "/endAt", ...naming`Must not be before ${fieldPointer("/startAt")}` },
    {
      field: "/every",
      ...naming`Give either ${fieldPointer("/cron")} or ${fieldPointer("/every")}, not both`,
    },
    { field: "/groupKeyPointer", message: 'Must be a JSON pointer such as "/customerId"' },
    // The client's text, quoted: a slash-word in it reads like a pointer, and is none.
    {
      field: "/cron",
      message: "Is not a valid cron expression: configuration entry 2 (/hour) contains illegal " +
        "characters, see /docs or /startAt",
    },
  ]).renamed(nest);
  assert.deepEqual(error.violations.map(({ field, message }) => ({ field, message })), [
    { field: "/config/endAt", message: "Must not be before /config/startAt" },
    { field: "/config/every", message: "Give either /config/cron or /config/every, not both" },
    {
      field: "/config/groupKeyPointer",
      message: 'Must be a JSON pointer such as "/customerId"',
    },
    {
      field: "/config/cron",
      message: "Is not a valid cron expression: configuration entry 2 (/hour) contains illegal " +
        "characters, see /docs or /startAt",
    },
  ]);
  assert.equal(
    error.message,
    'Invalid schedule: /config/endAt: Must not be before /config/startAt; /config/every: Give either /config/cron or /config/every, not both; /config/groupKeyPointer: Must be a JSON pointer such as "/customerId"; /config/cron: Is not a valid cron expression: configuration entry 2 (/hour) contains illegal characters, see /docs or /startAt',
  );
  // Renamed again, the references are where the first renaming wrote them.
  const twice = error.renamed((field) => field.replace("/config/", "/c/"));
  assert.equal(twice.violations[1].message, "Give either /c/cron or /c/every, not both");
  assert.equal(twice.violations[3].message, error.violations[3].message);
  // A message written again since its references were taken keeps its text.
  const rewritten = { ...error.violations[0], message: `Task 1: ${error.violations[0].message}` };
  assert.equal(
    new InvalidArgumentError("x", [rewritten]).renamed(nest).violations[0].message,
    rewritten.message,
  );
});

Deno.test("naming writes the fields it is given where it says, and other values as text", () => {
  const last = "9999-12-31T23:59:59.999Z";
  const { message, references } = naming`It passes ${last}: give an earlier ${
    fieldPointer("/to")
  } or a shorter ${fieldPointer("/step")} (${3} points)`;
  assert.equal(message, `It passes ${last}: give an earlier /to or a shorter /step (3 points)`);
  for (const { at, pointer } of references) {
    assert.equal(message.slice(at, at + pointer.length), pointer);
  }
  assert.deepEqual(references.map((r) => r.pointer), ["/to", "/step"]);
});
