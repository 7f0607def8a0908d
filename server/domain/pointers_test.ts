/** Unit tests of moving and nesting the field pointers an error names. */
import assert from "node:assert/strict";
import { ExecutorNotFoundError, InvalidArgumentError } from "./errors.ts";
import { movePointers, nestPointers } from "./pointers.ts";

Deno.test("movePointers moves the fields an error names, and no text of its messages: a slash-word the client's text holds stays", () => {
  const error = InvalidArgumentError.listing("Cannot create task", [
    { field: "/task/data/path", message: 'Must be equal to "/task/data/path or /task/x"' },
  ]);
  const moved = movePointers(error, "/task", "") as InvalidArgumentError;
  assert.deepEqual(moved.violations, [
    { field: "/data/path", message: 'Must be equal to "/task/data/path or /task/x"' },
  ]);
  assert.equal(
    moved.message,
    'Cannot create task: /data/path: Must be equal to "/task/data/path or /task/x"',
  );
  const missing = ExecutorNotFoundError.listing("x", "Cannot create task", [
    { field: "/task/executorName", message: 'Executor "x" does not exist' },
  ]);
  const movedMissing = movePointers(missing, "/task", "") as ExecutorNotFoundError;
  assert.equal(
    movedMissing.message,
    'Cannot create task: /executorName: Executor "x" does not exist',
  );
  assert.equal(movedMissing.executor, "x");
});

Deno.test("nestPointers puts the fields under the request's field, and leaves a quoted slash-word alone", () => {
  const error = InvalidArgumentError.listing("Invalid schedule", [
    { field: "/cron", message: "Is not a valid cron expression: entry 2 (/hour) is illegal" },
  ]);
  const nested = nestPointers(error, "/config", ["/id"]) as InvalidArgumentError;
  assert.equal(
    nested.message,
    "Invalid schedule: /config/cron: Is not a valid cron expression: entry 2 (/hour) is illegal",
  );
});
