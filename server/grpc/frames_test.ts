/**
 * Unit tests of what frame listeners share: the log line of a connection they close, and the one
 * watch on a socket's writes.
 */
import assert from "node:assert/strict";
import { createLogger, setLogger } from "../log.ts";
import { closing, FRAME_TYPE, onWritesDone, onWrittenFrames } from "./frames.ts";

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

/** A socket whose writes complete when `complete` is called, oldest first. */
function socket() {
  const pending: ((error?: unknown) => void)[] = [];
  const writes: unknown[][] = [];
  return {
    writes,
    // As `Writable.write` reads its arguments: (chunk, callback) or (chunk, encoding, callback).
    write(chunk: Uint8Array, ...rest: unknown[]): boolean {
      writes.push([chunk, ...rest]);
      const callback = typeof rest[0] === "function" ? rest[0] : rest[1];
      if (typeof callback === "function") pending.push(callback as () => void);
      return true;
    },
    complete(): void {
      pending.shift()?.();
    },
  };
}

/** A PING frame (8 bytes of payload). */
const ping = new Uint8Array([0, 0, 8, FRAME_TYPE.PING, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);

Deno.test("onWrittenFrames and onWritesDone share one wrapper of a socket's write: every listener reads each frame once, and each completion is told after the write's own callback, with or without one", () => {
  const raw = socket();
  const types: [string, number][] = [];
  onWrittenFrames(raw, { frame: (head) => void types.push(["first", head.type]) });
  const wrapped = raw.write;
  onWrittenFrames(raw, { frame: (head) => void types.push(["second", head.type]) });
  const told: string[] = [];
  onWritesDone(raw, () => told.push("done"));
  onWritesDone(raw, () => told.push("done again"));
  assert.equal(raw.write, wrapped, "one wrapper");

  raw.write(ping.subarray(0, 5), () => told.push("callback"));
  raw.write(ping.subarray(5));
  assert.deepEqual(types, [["first", FRAME_TYPE.PING], ["second", FRAME_TYPE.PING]]);
  raw.complete();
  assert.deepEqual(told, ["callback", "done", "done again"]);
  raw.complete();
  assert.deepEqual(told, ["callback", "done", "done again", "done", "done again"]);
  // An encoding and no callback, or one given as undefined, in the callback's place.
  raw.write(ping, "buffer");
  raw.write(ping, "buffer", undefined);
  raw.complete();
  raw.complete();
  assert.equal(told.length, 9);
});

Deno.test("a socket whose completions no one waits for has its writes handed on as they came", () => {
  const raw = socket();
  onWrittenFrames(raw, { frame: () => false });
  const callback = () => {};
  raw.write(ping, "buffer", callback);
  raw.write(ping);
  assert.deepEqual(raw.writes, [[ping, "buffer", callback], [ping]]);
});
