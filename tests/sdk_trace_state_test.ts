/**
 * A create's `tracestate` goes as the manager keeps it (proto/tracing.ts's `readTraceContext`, by
 * W3C's list rules): malformed entries dropped, at most 32 entries and 512 characters, none when
 * nothing is left. The Go SDK's `TestATracestateGoesAsTheManagerKeepsIt` holds it to the same
 * list (sdk/go/taskexecutor/trace_test.go's `tracestateCases`): where this SDK dropped a
 * malformed tracestate's bad entries, it refused one not printable ASCII.
 */
import assert from "node:assert/strict";
import { traceMetadata } from "../sdk/_trace.ts";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** `k0=0,k1=1,…` with `n` members. */
const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=${i}`).join(",");

/** Each tracestate given, and what goes (`""`: none). */
const CASES: [string, string][] = [
  ["a=1, b=2", "a=1,b=2"],
  ["a=1, bad key=2,b=\x01,c=3", "a=1,c=3"],
  ["a=\x01", ""],
  ["a=caf\u00e9", ""],
  ["A=1,x=y=z,a=1 ,=2,b=,c", "a=1"],
  ["a=1,b=2,a=3", "a=3,b=2"],
  ["tenant@vendor=v,0a=1,1@x=2", "tenant@vendor=v,1@x=2"],
  [
    `a=${"x".repeat(250)},b=${"y".repeat(250)},c=${"z".repeat(250)},d=1`,
    `a=${"x".repeat(250)},b=${"y".repeat(250)},d=1`,
  ],
  ["k=1,".repeat(600), ""], // past 2,048 characters
  [members(33), members(32)],
];

Deno.test("a tracestate goes as the manager keeps it, as the Go SDK sends it", () => {
  for (const [given, kept] of CASES) {
    const metadata = traceMetadata({ traceparent: TRACEPARENT, tracestate: given });
    assert.deepEqual(
      metadata,
      kept === "" ? { traceparent: TRACEPARENT } : { traceparent: TRACEPARENT, tracestate: kept },
      JSON.stringify(given),
    );
  }
  // Without a traceparent (and no span active), none goes: the manager reads none without one.
  assert.deepEqual(traceMetadata({ tracestate: "a=1" }), {});
});
