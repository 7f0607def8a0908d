/**
 * Unit tests of the manager's count of the client's flow-control windows: what a stream hands to
 * node:http2 never passes them, comes out whole and in order, and its `end` comes last.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { FRAME_TYPE } from "./frames.ts";
import { timersSetDuring } from "../../tests/fixtures/turns.ts";
import { SendWindows, type StreamWindow } from "./send_window.ts";

const DEFAULT_WINDOW = 65_535;

/** A socket whose writes go nowhere (they are read for their frames all the same). */
function socket(): { write(chunk: Uint8Array): boolean } {
  return { write: () => true };
}

/** An HTTP/2 DATA frame of `bytes` payload on stream `id`, as node:http2 writes it to the socket. */
function dataFrame(id: number, bytes: number): Uint8Array {
  const frame = new Uint8Array(9 + bytes);
  const view = new DataView(frame.buffer);
  view.setUint32(0, bytes << 8 | FRAME_TYPE.DATA);
  view.setUint32(5, id);
  return frame;
}

/** Tells `windows` the client's WINDOW_UPDATE of `increment` on `stream` (0: the connection). */
function windowUpdate(windows: SendWindows, stream: number, increment: number): void {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, increment);
  windows.frame({ type: FRAME_TYPE.WINDOW_UPDATE, flags: 0, stream, length: 4 }, payload);
}

/** Tells `windows` the client's SETTINGS_INITIAL_WINDOW_SIZE. */
function initialWindow(windows: SendWindows, bytes: number): void {
  const payload = new Uint8Array(6);
  new DataView(payload.buffer).setUint16(0, 0x4);
  new DataView(payload.buffer).setUint32(2, bytes);
  windows.frame({ type: FRAME_TYPE.SETTINGS, flags: 0, stream: 0, length: 6 }, payload);
}

/** What a stream handed on, in order, and whether its `end` ran. */
class Handed {
  parts: Uint8Array[] = [];
  ended = false;
  readonly window: StreamWindow;
  /** Called after each part is handed on. */
  readonly #onPart: (stream: Handed) => void;

  constructor(window: StreamWindow, onPart: (stream: Handed) => void = () => {}) {
    this.window = window;
    this.#onPart = onPart;
  }

  get bytes(): number {
    return this.parts.reduce((sum, part) => sum + part.byteLength, 0);
  }

  write(bytes: Uint8Array, callback?: () => void): void {
    this.window.send(bytes, callback, (part, done) => {
      assert.equal(this.ended, false, "nothing is handed on after the end");
      this.parts.push(part);
      this.#onPart(this);
      done?.();
    });
  }

  end(): void {
    this.window.endAfterSent(() => this.ended = true);
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("a stream hands on what both windows admit, holds the rest and hands it on in parts as they open, then ends; its writes' callbacks are not held back", async () => {
  const windows = new SendWindows(socket());
  const first = new Handed(windows.claim(1));
  let called = 0;
  first.write(new Uint8Array(100_000).fill(1), () => called++);
  assert.equal(first.bytes, DEFAULT_WINDOW, "one first window, of the stream and the connection");
  assert.equal(first.window.holds, true);
  first.end();
  await settle();
  assert.equal(called, 1, "held bytes are taken as node:http2 takes bytes");
  assert.equal(first.ended, false, "the end waits for what is held");

  windowUpdate(windows, 1, 50_000);
  await settle();
  assert.equal(first.bytes, DEFAULT_WINDOW, "the connection's window is still shut");
  windowUpdate(windows, 0, 20_000);
  await settle();
  assert.equal(first.bytes, DEFAULT_WINDOW + 20_000, "as far as the connection's window admits");
  windowUpdate(windows, 0, 1_000_000);
  await settle();
  assert.equal(first.bytes, 100_000);
  assert.equal(first.ended, true);
  assert.deepEqual(
    new Uint8Array(first.parts.flatMap((part) => [...part])),
    new Uint8Array(100_000).fill(1),
  );

  // The connection's window has room left; a second stream's own window is the default.
  const second = new Handed(windows.claim(3));
  second.write(new Uint8Array(70_000));
  assert.equal(second.bytes, DEFAULT_WINDOW);
  initialWindow(windows, DEFAULT_WINDOW + 10_000);
  await settle();
  assert.equal(second.bytes, 70_000, "a larger first window opens every stream's");

  // A stream closed drops what it held and does not end.
  const third = new Handed(windows.claim(5));
  third.write(new Uint8Array(200_000));
  third.end();
  third.window.close();
  windowUpdate(windows, 5, 1_000_000);
  await settle();
  assert.equal(third.bytes, DEFAULT_WINDOW + 10_000);
  assert.equal(third.ended, false);
});

Deno.test("what a stream handed on and node:http2 had not written when the stream closed (a client's reset: node:http2 drops it) goes back to the connection's window; what was written does not", async () => {
  const wire = socket();
  const windows = new SendWindows(wire);
  const reset = new Handed(windows.claim(1));
  reset.write(new Uint8Array(DEFAULT_WINDOW));
  assert.equal(windows.connectionWindow(), 0);
  wire.write(dataFrame(1, 16_384));
  reset.window.close();
  assert.equal(
    windows.connectionWindow(),
    DEFAULT_WINDOW - 16_384,
    "the written part stays counted",
  );
  const next = new Handed(windows.claim(3));
  next.write(new Uint8Array(DEFAULT_WINDOW));
  assert.equal(next.bytes, DEFAULT_WINDOW - 16_384);
  wire.write(dataFrame(3, DEFAULT_WINDOW - 16_384));
  next.window.close();
  assert.equal(windows.connectionWindow(), 0, "written before the stream closed: spent");
  await settle();
});

Deno.test("what a closed stream gives back goes on to the streams holding bytes at once: no WINDOW_UPDATE comes for it", async () => {
  const windows = new SendWindows(socket());
  const [reset, waiting] = [new Handed(windows.claim(1)), new Handed(windows.claim(3))];
  reset.write(new Uint8Array(200_000));
  waiting.write(new Uint8Array(100_000));
  assert.deepEqual([reset.bytes, waiting.bytes], [DEFAULT_WINDOW, 0]);
  // One read opens the connection's window and the first stream's, and resets the first: it
  // takes the connection's window as it opens, and node:http2 drops that with it.
  windowUpdate(windows, 0, DEFAULT_WINDOW);
  windowUpdate(windows, 1, DEFAULT_WINDOW);
  await settle();
  assert.deepEqual([reset.bytes, waiting.bytes], [2 * DEFAULT_WINDOW, 0]);
  reset.window.close();
  await settle();
  assert.equal(waiting.bytes, DEFAULT_WINDOW);
  // A writer with room of its own (a worker's `Work` stream) is told, as for a WINDOW_UPDATE
  // of the connection: its connection's window may have been what held it.
  const writer = new Handed(windows.claim(5));
  let told = 0;
  writer.window.onOpen = () => told++;
  const other = new Handed(windows.claim(7));
  windowUpdate(windows, 0, 1_000);
  await settle();
  assert.equal(told, 1, "the writer is told the connection's window opened");
  other.write(new Uint8Array(1_000));
  told = 0;
  other.window.close();
  await settle();
  assert.equal(told, 1, "the writer is told what the closed stream gave back");
});

Deno.test("a write waits behind what its stream holds, though the windows would admit it alone", () => {
  const windows = new SendWindows(socket());
  const stream = new Handed(windows.claim(1));
  stream.write(new Uint8Array(DEFAULT_WINDOW + 10).fill(1));
  windowUpdate(windows, 0, 100);
  windowUpdate(windows, 1, 100);
  // Read, not yet handed on (a microtask away): a small write now goes after the held bytes.
  stream.write(new Uint8Array(5).fill(2));
  assert.deepEqual(runs(stream.parts), [[1, DEFAULT_WINDOW + 10], [2, 5]]);
});

Deno.test("a WINDOW_UPDATE read before node:http2 makes its stream counts once the stream is claimed; one for a stream never claimed is dropped", async () => {
  const windows = new SendWindows(socket());
  windowUpdate(windows, 0, 1_000_000);
  // The frames of one read are seen before node:http2 takes them in: HEADERS, then an update.
  windowUpdate(windows, 1, 40_000);
  windowUpdate(windows, 3, 10_000);
  const first = new Handed(windows.claim(1));
  first.write(new Uint8Array(DEFAULT_WINDOW + 40_000));
  assert.equal(first.window.holds, false);
  // Stream 3 was refused: claiming 5 drops what was kept for it.
  const fifth = new Handed(windows.claim(5));
  windowUpdate(windows, 3, 10_000);
  fifth.write(new Uint8Array(DEFAULT_WINDOW + 1));
  await settle();
  assert.equal(fifth.bytes, DEFAULT_WINDOW);
  assert.equal(
    windows.claim(3).room(),
    DEFAULT_WINDOW,
    "nothing kept for a stream below one claimed",
  );
});

/** `parts` as runs of one byte value: [value, length], ... */
function runs(parts: Uint8Array[]): number[][] {
  const out: number[][] = [];
  for (const part of parts) {
    for (const byte of part) {
      const last = out.at(-1);
      if (last && last[0] === byte) last[1]++;
      else out.push([byte, 1]);
    }
  }
  return out;
}

/**
 * Steps of a property over `streams` streams: a write of some bytes on one, a WINDOW_UPDATE of the
 * connection (0) or of one stream (1…), a new SETTINGS_INITIAL_WINDOW_SIZE.
 */
function windowSteps(streams: number) {
  return [
    fc.record({
      write: fc.integer({ min: 0, max: streams - 1 }),
      bytes: fc.integer({ min: 1, max: 90_000 }),
    }),
    fc.record({
      update: fc.integer({ min: 0, max: streams }),
      bytes: fc.integer({ min: 1, max: 60_000 }),
    }),
    fc.record({ initial: fc.integer({ min: 0, max: 200_000 }) }),
  ] as const;
}

Deno.test("whatever the writes and window updates, what streams hand on never passes their windows, and comes out whole, in order, before their end", async () => {
  const step = fc.oneof(
    ...windowSteps(3),
    fc.record({ end: fc.integer({ min: 0, max: 2 }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
      const windows = new SendWindows(socket());
      // The client's windows: the connection's increments, then each stream's, and their first.
      const opened = [0, 0, 0, 0];
      let initial = DEFAULT_WINDOW;
      // Checked as each part is handed on: within the stream's window and the connection's.
      const streams: Handed[] = [];
      const withinWindows = (stream: Handed) => {
        assert.ok(stream.bytes <= initial + opened[streams.indexOf(stream) + 1]);
        const all = streams.reduce((sum, stream) => sum + stream.bytes, 0);
        assert.ok(all <= DEFAULT_WINDOW + opened[0]);
      };
      streams.push(...[1, 3, 5].map((id) => new Handed(windows.claim(id), withinWindows)));
      // Per stream: the runs written ([value, length]), and whether its end was asked for.
      const written = streams.map(() => [] as number[][]);
      const endAsked = streams.map(() => false);
      let value = 0;
      for (const s of steps) {
        if ("write" in s) {
          if (endAsked[s.write]) continue;
          value = value % 255 + 1;
          written[s.write].push([value, s.bytes]);
          streams[s.write].write(new Uint8Array(s.bytes).fill(value));
        } else if ("update" in s) {
          opened[s.update] += s.bytes;
          windowUpdate(windows, s.update === 0 ? 0 : 2 * s.update - 1, s.bytes);
          await settle();
        } else if ("initial" in s) {
          // A smaller first window may leave a stream past it: it sends nothing until it opens.
          initial = s.initial;
          initialWindow(windows, s.initial);
          await settle();
        } else {
          endAsked[s.end] = true;
          streams[s.end].end();
        }
      }
      // Every window opened wide: everything goes, in order, then the end.
      for (const [i, id] of [0, 1, 3, 5].entries()) {
        opened[i] += 10_000_000;
        windowUpdate(windows, id, 10_000_000);
      }
      await settle();
      streams.forEach((stream, i) => {
        assert.deepEqual(runs(stream.parts), written[i]);
        assert.equal(stream.ended, endAsked[i]);
        assert.equal(stream.window.holds, false);
      });
    }),
    { numRuns: 200 },
  );
});

Deno.test("whatever happens, once things settle no stream holds bytes that both windows admit: writes, window updates, SETTINGS, DATA written, resets", async () => {
  const step = fc.oneof(
    ...windowSteps(4),
    fc.record({
      written: fc.integer({ min: 0, max: 3 }),
      bytes: fc.integer({ min: 1, max: 70_000 }),
    }),
    fc.record({ reset: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ settle: fc.constant(true) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 50 }), async (steps) => {
      const wire = socket();
      const windows = new SendWindows(wire);
      const ids = [1, 3, 5, 7];
      const streams = ids.map((id) => windows.claim(id));
      // Handed to node:http2 and not yet written to the socket, per stream.
      const unwritten = ids.map(() => 0);
      const closed = ids.map(() => false);
      const settled = () => {
        streams.forEach((stream, i) => {
          if (closed[i] || !stream.holds) return;
          const admits = Math.min(
            windows.initial + stream.opened - stream.sent,
            windows.connectionWindow(),
          );
          assert.ok(admits <= 0, `stream ${ids[i]} holds while the windows admit ${admits}`);
        });
      };
      for (const s of steps) {
        if ("write" in s) {
          if (closed[s.write]) continue;
          streams[s.write].send(new Uint8Array(s.bytes), undefined, (part) => {
            unwritten[s.write] += part.byteLength;
          });
        } else if ("update" in s) {
          windowUpdate(windows, s.update === 0 ? 0 : ids[s.update - 1], s.bytes);
        } else if ("initial" in s) {
          initialWindow(windows, s.initial);
        } else if ("written" in s) {
          const bytes = Math.min(s.bytes, unwritten[s.written]);
          if (bytes === 0 || closed[s.written]) continue;
          unwritten[s.written] -= bytes;
          wire.write(dataFrame(ids[s.written], bytes));
        } else if ("reset" in s) {
          closed[s.reset] = true;
          streams[s.reset].close();
        } else {
          await settle();
          settled();
        }
      }
      await settle();
      settled();
    }),
    { numRuns: 500 },
  );
});

/** A socket whose writes complete when `complete()` is called (their callbacks wait till then). */
function slowSocket(): {
  write(chunk: Uint8Array, ...rest: unknown[]): boolean;
  complete(): void;
} {
  let waiting: (() => void)[] = [];
  return {
    // As `Writable.write` reads its arguments: (chunk, callback) or (chunk, encoding, callback).
    write(_chunk, ...rest) {
      const done = typeof rest[0] === "function" ? rest[0] : rest[1];
      if (typeof done === "function") waiting.push(done as () => void);
      return true;
    },
    complete() {
      const done = waiting;
      waiting = [];
      for (const callback of done) callback();
    },
  };
}

Deno.test("a writer waiting for the connection's room is woken once it may have grown (a WINDOW_UPDATE of the connection, a stream closing, a write to the socket completing), once, and not while the connection's window stays shut", async () => {
  const sock = slowSocket();
  const windows = new SendWindows(sock);
  const full = new Handed(windows.claim(1));
  full.write(new Uint8Array(DEFAULT_WINDOW));
  assert.equal(windows.connectionWindow(), 0);
  let woken = 0;
  const wake = () => woken++;
  windows.onRoom(wake);
  // Only its stream's window opens, or a write completes: the connection's stays shut.
  windowUpdate(windows, 1, 1_000);
  sock.write(new Uint8Array(1), () => {});
  sock.complete();
  await settle();
  assert.equal(woken, 0, "not woken while the connection's window is shut");
  windowUpdate(windows, 0, 1_000);
  await settle();
  assert.equal(woken, 1, "woken by the connection's WINDOW_UPDATE");
  windowUpdate(windows, 0, 1_000);
  await settle();
  assert.equal(woken, 1, "once");

  windows.onRoom(wake);
  sock.write(new Uint8Array(1));
  sock.complete();
  assert.equal(woken, 2, "woken by a write completing (the account of answers), with no 'drain'");

  const forget = windows.onRoom(wake);
  forget();
  windowUpdate(windows, 0, 1_000);
  await settle();
  assert.equal(woken, 2, "not once forgotten");

  windows.onRoom(wake);
  full.window.close();
  await settle();
  assert.equal(woken, 3, "woken by a stream closing (what it had not sent goes back)");
});

Deno.test("a stream's writer waiting for its own window is told once it opens: by its WINDOW_UPDATE, or by the client's SETTINGS for every stream; not by another stream's, nor while its own stays shut", async () => {
  const windows = new SendWindows(socket());
  const streams = [new Handed(windows.claim(1)), new Handed(windows.claim(3))];
  const told: number[] = [];
  for (const [i, stream] of streams.entries()) {
    stream.window.wrote(DEFAULT_WINDOW);
    stream.window.onOpen = () => told.push(i);
  }
  windowUpdate(windows, 0, 100_000);
  await settle();
  assert.deepEqual(told, [], "the connection's window opened, but not theirs");
  windowUpdate(windows, 1, 10);
  await settle();
  assert.deepEqual(told, [0], "its own WINDOW_UPDATE, and not the other stream's");
  initialWindow(windows, DEFAULT_WINDOW + 10);
  await settle();
  assert.deepEqual(told, [0, 0, 1], "SETTINGS: every stream's window changed");
});

Deno.test("writers waiting for room are woken one a turn, oldest first: each looks after the one before wrote", async () => {
  const windows = new SendWindows(socket());
  const full = new Handed(windows.claim(1));
  full.write(new Uint8Array(DEFAULT_WINDOW));
  const woken: number[] = [];
  for (const id of [1, 2, 3]) windows.onRoom(() => woken.push(id));
  windowUpdate(windows, 0, 1_000);
  await settle();
  assert.deepEqual(woken, [1], "one WINDOW_UPDATE wakes the oldest writer alone");
  await settle();
  assert.deepEqual(woken, [1, 2], "the next a turn later, while there is room");
  // Another stream takes the room: the last sleeps on.
  new Handed(windows.claim(3)).write(new Uint8Array(2_000));
  assert.equal(windows.connectionWindow(), 0);
  await settle();
  await settle();
  assert.deepEqual(woken, [1, 2]);
});

Deno.test("a stream that closes with nothing to give back and no writer waiting sets no timer (a call's end would leave one behind it)", async () => {
  const windows = new SendWindows(socket());
  const stream = windows.claim(1);
  assert.equal(await timersSetDuring(() => stream.close()), 0);
});
