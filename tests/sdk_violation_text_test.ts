/**
 * The SDK words a list of violations as the manager does (`describeViolations` beside the
 * manager's `listViolations`): `field: message`, one after another joined by "; ", and a
 * violation of the whole value (pointer `""`) by its message alone.
 */
import assert from "node:assert/strict";
import { Client, describeViolations, InvalidArgumentError } from "../sdk/mod.ts";
import { listViolations } from "../server/domain/errors.ts";

Deno.test("describeViolations words violations as the manager's listViolations does, the whole value's too", () => {
  for (
    const violations of [
      [{ field: "/to", message: "Is required" }],
      [{ field: "", message: "Must be an object" }],
      [{ field: "/a", message: "Is required" }, { field: "", message: "Must be an object" }],
    ]
  ) {
    assert.equal(describeViolations(violations), listViolations(violations));
  }
});

Deno.test("an option object that is not one is refused as the manager words it, without an empty field", async () => {
  // Refused before anything is sent: no manager listens there.
  using client = new Client({ address: "127.0.0.1:1" });
  // deno-lint-ignore no-explicit-any
  const error = await client.listTasks(5 as any).catch((e) => e);
  assert.ok(error instanceof InvalidArgumentError, String(error));
  assert.deepEqual(error.violations, [{ field: "", message: "Must be an object" }]);
  assert.equal(error.message, "Invalid task filter: Must be an object");
});
