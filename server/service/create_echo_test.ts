import assert from "node:assert/strict";
import fc from "fast-check";
import type { NewTask } from "../domain/task.ts";
import { basicEchoBound, echoOf } from "./create_echo.ts";
import { jsonBytes } from "./paging.ts";

const text = fc.string({ unit: "binary", maxLength: 40 });
const integer = fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

Deno.test("a basic echo never takes more JSON bytes than its bound, whatever its strings and numbers", () => {
  fc.assert(
    fc.property(
      fc.record({
        id: text,
        executorName: text,
        priority: integer,
        runAt: integer,
        maxAttempts: integer,
        createdAt: integer,
        idempotencyKey: fc.option(text),
        groupKey: fc.option(text, { nil: undefined }),
        traceparent: fc.option(text),
        tracestate: fc.option(text),
      }),
      (fields) => {
        const task: NewTask = { ...fields, data: { big: "x".repeat(100) }, metadata: { k: "v" } };
        assert.ok(jsonBytes(echoOf(task, "basic")) <= basicEchoBound(task));
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("the bound holds at its corner: every string escaped, every number at its longest, a group key", () => {
  const escaped = (n: number) => "\u0001".repeat(n);
  const longest = -Number.MAX_SAFE_INTEGER;
  const task: NewTask = {
    id: escaped(26),
    executorName: escaped(10),
    data: null,
    metadata: {},
    priority: longest,
    runAt: longest,
    maxAttempts: longest,
    idempotencyKey: escaped(3),
    groupKey: escaped(1),
    createdAt: longest,
    traceparent: escaped(2),
    tracestate: escaped(2),
  };
  assert.ok(jsonBytes(echoOf(task, "basic")) <= basicEchoBound(task));
  // Exact but for the 2 bytes `null` leaves over for each of the three optional strings set here.
  assert.equal(basicEchoBound(task) - jsonBytes(echoOf(task, "basic")), 6);
});

Deno.test("the bound is tight for a plain task: within 6 bytes per character of its strings", () => {
  const task: NewTask = {
    id: "01JABCDEFGHJKMNPQRSTVWXYZ0",
    executorName: "send_email",
    data: null,
    metadata: {},
    priority: 0,
    runAt: 1_764_000_000_000,
    maxAttempts: 3,
    idempotencyKey: null,
    createdAt: 1_764_000_000_000,
  };
  const exact = jsonBytes(echoOf(task, "basic"));
  const bound = basicEchoBound(task);
  assert.ok(bound >= exact);
  assert.ok(bound - exact <= 6 * (task.id.length + task.executorName.length) + 5 * 17);
});
