/** Unit tests of what frame listeners share: the log line of a connection they close. */
import assert from "node:assert/strict";
import { createLogger, setLogger } from "../log.ts";
import { closing } from "./frames.ts";

Deno.test("closing logs a closed connection once a minute per reason, whatever the client, then says how many were left out", () => {
  const lines: Record<string, unknown>[] = [];
  setLogger(
    createLogger({ level: "info", format: "json", write: (line) => lines.push(JSON.parse(line)) }),
  );
  try {
    // Clients that connect again after each close, from addresses and ports that change.
    for (let i = 0; i < 1000; i++) {
      assert.equal(closing(`10.9.${i >> 8}.${i & 0xff}:${1000 + i}`, "why", i), true);
      assert.equal(closing(`::${i.toString(16)}:${1000 + i}`, "why", i), true);
    }
    closing("10.9.9.9:5000", "another reason", 500);
    closing("10.9.9.9:6000", "why", 60_000);
    assert.deepEqual(lines.map((line) => [line.msg, line.peer, line.linesLeftOut]), [
      ["gRPC connection closed: why", "10.9.0.0:1000", undefined],
      ["gRPC connection closed: another reason", "10.9.9.9:5000", undefined],
      ["gRPC connection closed: why", "10.9.9.9:6000", 1999],
    ]);
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
  }
});
