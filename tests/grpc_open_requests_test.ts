/**
 * Health and reflection, open to everyone, take small requests, a few at a time: a message that
 * says it is longer than OPEN_REQUEST_BYTES is refused once its length prefix has come, before its
 * bytes are kept (a client without a key held 650 MB of the manager with 200 checks of 3 MiB never
 * ended), and one connection holds OPEN_CALLS_PER_CONNECTION of their calls at most.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { startTestManager } from "./_manager.ts";
import { grpcFrame, grpcStatusOf, grpcStream } from "./fixtures/raw_h2.ts";
import { encodeMessage } from "@tasks-executor/proto";
import { OPEN_CALLS_PER_CONNECTION, OPEN_REQUEST_BYTES } from "../server/grpc/open_requests.ts";

/**
 * Sends only the 5-byte prefix of a message `declared` bytes long, and ends the call there (so a
 * server that waits for the rest answers at once instead); answers grpc-status and message.
 */
async function prefixOnly(
  session: http2.ClientHttp2Session,
  path: string,
  declared: number,
): Promise<{ status: string; message: string }> {
  const stream = grpcStream(session, path);
  const prefix = new Uint8Array(5);
  new DataView(prefix.buffer).setUint32(1, declared);
  stream.end(prefix);
  stream.on("data", () => {});
  try {
    return await grpcStatusOf(stream);
  } finally {
    stream.close();
  }
}

Deno.test("health and reflection refuse a request message longer than OPEN_REQUEST_BYTES from its length prefix; the API takes the server's limit", async () => {
  await using manager = await startTestManager();
  const session = http2.connect(`http://${manager.grpcAddress}`);
  session.on("error", () => {});
  try {
    for (
      const path of [
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      ]
    ) {
      const answer = await prefixOnly(session, path, 4_000_000);
      assert.equal(answer.status, "8", `${path}: ${answer.message}`); // RESOURCE_EXHAUSTED
      assert.match(
        answer.message,
        new RegExp(`larger than max \\(4000000 vs ${OPEN_REQUEST_BYTES}\\)`),
      );
    }
    // The API's methods keep MAX_REQUEST_BYTES (4 MiB): past it, refused the same way.
    const api = await prefixOnly(
      session,
      "/taskexecutor.v1.TaskExecutorManagerService/CreateTask",
      5 * 1024 * 1024,
    );
    assert.equal(api.status, "8");
    assert.match(api.message, /larger than max \(5242880 vs 4194304\)/);
  } finally {
    session.close();
  }
});

/** Opens a health Watch of the whole server on `session`; resolves with its stream and first status. */
function watch(
  session: http2.ClientHttp2Session,
): Promise<{ stream: http2.ClientHttp2Stream; first: "message" | string }> {
  const stream = grpcStream(session, "/grpc.health.v1.Health/Watch");
  stream.end(new Uint8Array(5)); // an empty HealthCheckRequest: the server as a whole
  return Promise.race([
    new Promise<"message">((resolve) => stream.once("data", () => resolve("message"))),
    grpcStatusOf(stream).then((status) => status.message),
  ]).then((first) => ({ stream, first }));
}

Deno.test("one connection holds OPEN_CALLS_PER_CONNECTION health and reflection calls at once; one more is refused, and its place comes back when one ends", async () => {
  await using manager = await startTestManager();
  const one = http2.connect(`http://${manager.grpcAddress}`);
  const two = http2.connect(`http://${manager.grpcAddress}`);
  for (const session of [one, two]) session.on("error", () => {});
  try {
    const held: http2.ClientHttp2Stream[] = [];
    for (let i = 0; i < OPEN_CALLS_PER_CONNECTION; i++) {
      const opened = await watch(one);
      assert.equal(opened.first, "message", `watch ${i + 1}`);

      held.push(opened.stream);
    }
    const refused = await watch(one);
    assert.match(
      refused.first,
      new RegExp(
        `^Too many health and reflection calls on one connection: at most ${OPEN_CALLS_PER_CONNECTION}`,
      ),
    );
    // Another connection has places of its own.
    const elsewhere = await watch(two);
    assert.equal(elsewhere.first, "message");
    elsewhere.stream.close();
    // A watch that ends gives its place back.
    const closed = new Promise((resolve) => held[0].once("close", resolve));
    held[0].close(http2.constants.NGHTTP2_CANCEL);
    await closed;
    let again = await watch(one);
    // The manager may see the cancel a moment after the client closed: try again a few times.
    for (let tries = 1; again.first !== "message" && tries < 100; tries++) {
      again.stream.close();
      again = await watch(one);
    }
    assert.equal(again.first, "message");
    held.push(again.stream);
    for (const stream of held) stream.close();
  } finally {
    one.close();
    two.close();
  }
});

Deno.test("a compressed request to health or reflection that would decompress past OPEN_REQUEST_BYTES is refused too", async () => {
  await using manager = await startTestManager();
  // A client that gzips what it sends (grpc-js's compression option; 2 = gzip).
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure(), {
    "grpc.default_compression_algorithm": 2,
  });
  try {
    // A HealthCheckRequest naming a service of 100,000 characters: under 1 KB once gzipped.
    const name = new TextEncoder().encode("x".repeat(100_000));
    const request = Buffer.from([0x0a, 0xa0, 0x8d, 0x06, ...name]);
    const identity = (bytes: Buffer) => bytes;
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        identity,
        identity,
        request,
        (e) => resolve(e),
      )
    );
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED, String(error?.details));
    assert.match(
      error!.details,
      new RegExp(`decompresses to a size larger than ${OPEN_REQUEST_BYTES}`),
    );
  } finally {
    client.close();
  }
});

Deno.test("health checks one after the other on one connection each give their place back: 3 × OPEN_CALLS_PER_CONNECTION of them all pass", async () => {
  await using manager = await startTestManager();
  const session = http2.connect(`http://${manager.grpcAddress}`);
  session.on("error", () => {});
  try {
    for (let i = 0; i < 3 * OPEN_CALLS_PER_CONNECTION; i++) {
      const answer = await prefixOnly(session, "/grpc.health.v1.Health/Check", 0);
      assert.equal(answer.status, "0", `check ${i + 1}: ${answer.message}`);
    }
  } finally {
    session.close();
  }
});

Deno.test("a call past its deadline before it can run is answered DEADLINE_EXCEEDED and changes nothing", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "late" });
  const session = http2.connect(`http://${manager.grpcAddress}`);
  try {
    for (const timeout of ["1n", "1u"]) {
      const stream = grpcStream(session, "/taskexecutor.v1.TaskExecutorManagerService/CreateTask", {
        "grpc-timeout": timeout,
      });
      stream.end(grpcFrame(encodeMessage("taskexecutor.v1.CreateTaskRequest", {
        task: { executorName: "late", idempotencyKey: `late-${timeout}` },
      })));
      stream.on("data", () => {});
      const { status } = await grpcStatusOf(stream);
      assert.equal(Number(status), grpc.status.DEADLINE_EXCEEDED, timeout);
    }
  } finally {
    session.close();
  }
  const { items } = await manager.store.taskList({ executorName: "late" }, { limit: 10 });
  assert.deepEqual(items, [], "nothing was created");
});
