/** Reading a producer's W3C trace context (proto/tracing.ts), as every transport does. */
import assert from "node:assert/strict";
import { readTraceContext } from "@tasks-executor/proto/tracing";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";
const VALID = `00-${TRACE}-${SPAN}-01`;

Deno.test("readTraceContext() keeps a valid traceparent and the valid tracestate entries", () => {
  assert.deepEqual(readTraceContext(VALID, "a=1, b=2,bad key=x"), {
    traceparent: VALID,
    tracestate: "a=1,b=2",
  });
  assert.deepEqual(readTraceContext(` ${VALID} `), { traceparent: VALID, tracestate: null });
});

Deno.test("readTraceContext() reads a later version's traceparent as version 00, as W3C asks", () => {
  assert.equal(readTraceContext(`01-${TRACE}-${SPAN}-01-more`)?.traceparent, VALID);
});

Deno.test("readTraceContext() ignores a malformed, oversized or all-zero traceparent", () => {
  for (
    const bad of [
      undefined,
      42,
      "",
      "not a traceparent",
      VALID.toUpperCase(),
      `ff-${TRACE}-${SPAN}-01`,
      `00-${"0".repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `00-${TRACE}-${SPAN}-01-more`,
      `01-${TRACE}-${SPAN}-01-${"x".repeat(300)}`,
    ]
  ) assert.equal(readTraceContext(bad, "a=1"), null, String(bad));
});

Deno.test("readTraceContext() keeps the tracestate entries that fit in 512 characters", () => {
  const entries = (n: number) =>
    Array.from({ length: n }, (_, i) => `k${i}=${"v".repeat(40)}`).join(",");
  assert.deepEqual([entries(11).length, entries(12).length], [484, 529]);
  assert.equal(readTraceContext(VALID, entries(11))?.tracestate, entries(11));
  assert.equal(readTraceContext(VALID, entries(12))?.tracestate, entries(11));
});
