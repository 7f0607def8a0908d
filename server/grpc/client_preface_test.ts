/** Unit tests of the wait for a gRPC client's HTTP/2 connection preface. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import fc from "fast-check";
import { afterClientPreface, CLIENT_PREFACE, prefaceSoFar } from "./client_preface.ts";

const SETTINGS = Buffer.from([0, 0, 0, 0x4, 0, 0, 0, 0, 0]);

/** A socket its test pushes the client's bytes into. */
function clientSocket(): Duplex {
  const socket = new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
  socket.on("error", () => {});
  return socket;
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Waits for the preface on a socket fed `chunks`; what a `data` listener added at the hand-over
 * then got, and whether the socket was handed over or destroyed.
 */
async function handOverOf(chunks: Uint8Array[], ms = 1000) {
  const socket = clientSocket();
  const got: Buffer[] = [];
  let handedOver = 0;
  afterClientPreface(socket, ms, () => {
    handedOver++;
    socket.on("data", (chunk: Buffer) => got.push(chunk));
  });
  for (const chunk of chunks) {
    socket.push(chunk);
    await turn();
  }
  await turn();
  return { socket, handedOver, got: Buffer.concat(got) };
}

Deno.test("prefaceSoFar: the preface whole, a start of it, or something else", () => {
  assert.equal(prefaceSoFar(CLIENT_PREFACE), "whole");
  assert.equal(prefaceSoFar(Buffer.concat([CLIENT_PREFACE, SETTINGS])), "whole");
  assert.equal(prefaceSoFar(new Uint8Array(0)), "so far");
  assert.equal(prefaceSoFar(CLIENT_PREFACE.subarray(0, 23)), "so far");
  assert.equal(prefaceSoFar(Buffer.from("GET / HTTP/1.1\r\n")), "other");
  // A TLS ClientHello sent to the plaintext port.
  assert.equal(prefaceSoFar(Buffer.from([0x16, 0x03, 0x01])), "other");
  assert.equal(prefaceSoFar(Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r!")), "other");
});

Deno.test("afterClientPreface hands the socket over once, with every byte in order, however the chunks cut the preface", async () => {
  const ping = Buffer.from([0, 0, 8, 0x6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  const sent = Buffer.concat([CLIENT_PREFACE, SETTINGS, ping]);
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(fc.integer({ min: 1, max: sent.length - 1 }), { maxLength: 6 }),
      async (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), sent.length];
        const chunks = at.slice(1).map((end, i) => sent.subarray(at[i], end));
        const { socket, handedOver, got } = await handOverOf(chunks);
        assert.equal(handedOver, 1);
        assert.deepEqual(got, sent);
        assert.equal(socket.destroyed, false);
      },
    ),
    { numRuns: 40 },
  );
});

Deno.test("afterClientPreface destroys a socket whose client sends anything else, at the first byte that differs", async () => {
  const { socket, handedOver } = await handOverOf([Buffer.from("PRI * HTTP/1.1")]);
  assert.equal(handedOver, 0);
  assert.equal(socket.destroyed, true);
});

Deno.test("afterClientPreface destroys a socket that sends no preface in time", async () => {
  const { socket, handedOver } = await handOverOf([CLIENT_PREFACE.subarray(0, 10)], 30);
  assert.equal(socket.destroyed, false, "waiting for the rest");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(handedOver, 0);
  assert.equal(socket.destroyed, true);
});

Deno.test("afterClientPreface does nothing more once the socket has closed", async () => {
  const socket = clientSocket();
  let handedOver = 0;
  afterClientPreface(socket, 30, () => handedOver++);
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(handedOver, 0);
  assert.equal(socket.listenerCount("data"), 0);
});
