/**
 * Unit tests of task statuses: which transitions are allowed, which are not, and status
 * recognition.
 */
import assert from "node:assert/strict";
import { canTransition, TASK_STATUSES, type TaskStatus } from "./task.ts";

const ALLOWED: [TaskStatus, TaskStatus][] = [
  ["pending", "in_progress"],
  ["pending", "cancelled"],
  ["in_progress", "pending"],
  ["in_progress", "completed"],
  ["in_progress", "failed"],
  ["in_progress", "dlq"],
  ["in_progress", "cancelled"],
  ["failed", "pending"],
  ["dlq", "pending"],
  ["cancelled", "pending"],
];

Deno.test("canTransition() allows exactly the lifecycle moves", () => {
  for (const from of TASK_STATUSES) {
    for (const to of TASK_STATUSES) {
      const expected = ALLOWED.some(([f, t]) => f === from && t === to);
      assert.equal(canTransition(from, to), expected, `${from} -> ${to}`);
    }
  }
});

Deno.test("canTransition() lets no task leave completed", () => {
  for (const to of TASK_STATUSES) assert.equal(canTransition("completed", to), false, to);
});

Deno.test("canTransition() refuses a pending task going straight to an outcome", () => {
  for (const to of ["completed", "failed", "dlq"] as const) {
    assert.equal(canTransition("pending", to), false, to);
  }
});

Deno.test("canTransition() lets terminal tasks other than completed only be requeued", () => {
  for (const from of ["failed", "dlq", "cancelled"] as const) {
    for (const to of TASK_STATUSES) {
      assert.equal(canTransition(from, to), to === "pending", `${from} -> ${to}`);
    }
  }
});

Deno.test("canTransition() never moves a status onto itself", () => {
  for (const status of TASK_STATUSES) assert.equal(canTransition(status, status), false);
});
