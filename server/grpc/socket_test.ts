/** Unit tests of how a connection's client bytes are read before node:http2 gets them. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import fc from "fast-check";
import { nodeSocketOf, readClientFramesFirst } from "./socket.ts";

/** `count` RST_STREAM frames (CANCEL), 13 bytes each. */
function resets(count: number): Buffer {
  return Buffer.from(
    Array.from({ length: count }, (_, i) => [0, 0, 4, 0x3, 0, 0, 0, 0, 2 * i + 1, 0, 0, 0, 8])
      .flat(),
  );
}

/** A socket read by `readClientFramesFirst`, as a TLS socket is, and the sizes of the chunks its listeners got. */
function readFirst(): { socket: Duplex; seen: number[] } {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  readClientFramesFirst(socket, "127.0.0.1:1");
  const seen: number[] = [];
  socket.on("data", (chunk: Buffer) => seen.push(chunk.length));
  socket.on("error", () => {});
  return { socket, seen };
}

Deno.test("readClientFramesFirst: chunks reach the data listeners until one trips a check; that one reaches none, and the socket is destroyed", async () => {
  const { socket, seen } = readFirst();
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
  socket.push(Buffer.concat([preface, settings]));
  socket.push(resets(150));
  // The burst is 200: the next 150 pass it.
  socket.push(resets(150));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [33, 150 * 13]);
  assert.equal(socket.destroyed, true);
});

Deno.test("readClientFramesFirst holds back a header block until its last frame is read whole, however the chunks cut it", async () => {
  const { socket, seen } = readFirst();
  const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const settings = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);
  // HEADERS without END_HEADERS (3 fields), then a CONTINUATION that ends the block (2 more).
  const headers = Buffer.from([0, 0, 3, 0x1, 0x1, 0, 0, 0, 1, 0x83, 0x86, 0x84]);
  const continuation = Buffer.from([0, 0, 2, 0x9, 0x4, 0, 0, 0, 1, 0x82, 0x82]);
  const ping = Buffer.from([0, 0, 8, 0x6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  socket.push(Buffer.concat([preface, settings, headers.subarray(0, 5)]));
  socket.push(headers.subarray(5));
  socket.push(continuation.subarray(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [33], "the block's bytes are held");
  socket.push(Buffer.concat([continuation.subarray(10), ping]));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(seen, [33, 12 + 11 + 17], "then handed on whole, with what follows");
  assert.equal(socket.destroyed, false);
});

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** DATA frames on stream 1 whose payloads are `payloads`, after the preface and an empty SETTINGS. */
function clientBytes(payloads: Uint8Array[]): Buffer {
  const frames = payloads.map((payload) =>
    Buffer.concat([
      Buffer.from([payload.length >> 16, (payload.length >> 8) & 0xff, payload.length & 0xff]),
      Buffer.from([0x0, 0, 0, 0, 0, 1]),
      payload,
    ])
  );
  return Buffer.concat([PREFACE, Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]), ...frames]);
}

/**
 * A real loopback connection served by `nodeSocketOf`, each read it makes recorded (the size of
 * its buffer, and what it read: `null` while it waits), and what its `data` listeners got.
 */
async function servedConnection() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  listener.close();
  const reads: { size: number; read: number | null }[] = [];
  const read = server.read.bind(server);
  server.read = (buffer: Uint8Array) => {
    const entry = { size: buffer.length, read: null as number | null };
    reads.push(entry);
    return read(buffer).then((n) => {
      entry.read = n;
      return n;
    });
  };
  const { socket, closed } = nodeSocketOf(server);
  const received: Buffer[] = [];
  let receivedBytes = 0;
  socket.on("data", (chunk: Buffer) => {
    received.push(chunk);
    receivedBytes += chunk.length;
  });
  socket.on("error", () => {});
  return {
    client,
    reads,
    received: () => Buffer.concat(received),
    async untilReceived(bytes: number) {
      while (receivedBytes < bytes) await new Promise((resolve) => setTimeout(resolve, 1));
    },
    async [Symbol.asyncDispose]() {
      client.close();
      socket.destroy();
      await closed;
    },
  };
}

/** `size` bytes counting up from `first`, modulo 256: no two neighbours alike. */
function payload(size: number, first: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (first + i) & 0xff);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
}

Deno.test("nodeSocketOf: a read takes 4 KiB, and 64 KiB only after a read that filled its buffer; a connection that goes quiet waits on 4 KiB", async () => {
  await using served = await servedConnection();
  const sent = clientBytes(Array.from({ length: 8 }, (_, i) => new Uint8Array(16_000).fill(i)));
  await writeAll(served.client, sent);
  await served.untilReceived(sent.length);
  assert.ok(served.received().equals(sent), "every byte handed on once, in order");
  const { reads } = served;
  assert.equal(reads[0].size, 4096);
  for (let i = 1; i < reads.length; i++) {
    const before = reads[i - 1];
    assert.equal(reads[i].size, before.read === before.size ? 65536 : 4096, `read ${i}`);
  }
  assert.ok(reads.some((r) => r.size === 65536), "the bulk was read 64 KiB at a time");
  const waiting = reads.at(-1)!;
  assert.equal(waiting.read, null, "a read waits for what comes next");
  assert.equal(waiting.size, 4096);
});

Deno.test("nodeSocketOf, property: connections read at once, sharing bulk buffers, each hand on exactly what their client sent", async () => {
  await fc.assert(
    fc.asyncProperty(
      // Each client's frames by their payload's size and first byte (fast-check's own arrays are
      // mostly short; these must pass 4 KiB, and often 64 KiB, to take bulk buffers).
      fc.array(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40_000 }), fc.nat(255)), {
          minLength: 1,
          maxLength: 6,
        }),
        { minLength: 2, maxLength: 4 },
      ),
      async (clients) => {
        const connections = await Promise.all(clients.map(() => servedConnection()));
        try {
          const sent = clients.map((frames) =>
            clientBytes(frames.map(([size, first]) => payload(size, first)))
          );
          await Promise.all(connections.map((c, i) => writeAll(c.client, sent[i])));
          await Promise.all(connections.map((c, i) => c.untilReceived(sent[i].length)));
          connections.forEach((c, i) => assert.ok(c.received().equals(sent[i]), `client ${i}`));
        } finally {
          for (const c of connections) await c[Symbol.asyncDispose]();
        }
      },
    ),
    { numRuns: 30 },
  );
});

Deno.test("nodeSocketOf: at most 64 bulk reads are under way over all connections; quiet connections after a full read hold no more, and closed ones give theirs back", async () => {
  const connections = await Promise.all(Array.from({ length: 70 }, () => servedConnection()));
  try {
    // Exactly 4,096 bytes each, then nothing: the read that takes them fills its buffer, and
    // the next would wait on 64 KiB for as long as the client stays quiet.
    const sent = clientBytes([new Uint8Array(4096 - 24 - 9 - 9)]);
    assert.equal(sent.length, 4096);
    await Promise.all(connections.map((c) => writeAll(c.client, sent)));
    await Promise.all(connections.map((c) => c.untilReceived(sent.length)));
    const waitingBulk = connections.filter((c) => {
      const waiting = c.reads.at(-1)!;
      return waiting.read === null && waiting.size === 65536;
    }).length;
    assert.ok(waitingBulk > 0, "some waiting reads took a bulk buffer");
    assert.ok(waitingBulk <= 64, `${waitingBulk} quiet connections wait on 64 KiB`);
  } finally {
    for (const c of connections) await c[Symbol.asyncDispose]();
  }
  // Every bulk buffer went back when its connection closed: a bulk sender reads in 64 KiB again.
  await using served = await servedConnection();
  const bulk = clientBytes(Array.from({ length: 8 }, () => new Uint8Array(16_000)));
  await writeAll(served.client, bulk);
  await served.untilReceived(bulk.length);
  assert.ok(served.reads.some((r) => r.size === 65536 && r.read !== null));
});
