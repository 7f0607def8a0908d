/**
 * Request bytes in flight: what clients have sent and handlers do not have yet is capped per
 * connection (MAX_CONNECTION_REQUEST_BYTES) and for the whole manager (MAX_REQUEST_BYTES_IN_FLIGHT),
 * over gRPC and REST together. Before, one connection could keep 1,000 calls open, each with a
 * message of nearly 4 MiB sent but for its last bytes, and the manager held them all.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { startTestManager, type TestManager } from "./_manager.ts";
import {
  grpcFrame,
  grpcStatusOf,
  grpcStream,
  headerListBytes,
  stalledCall,
} from "./fixtures/raw_h2.ts";
import { restOk } from "./fixtures/rest.ts";
import * as grpc from "@grpc/grpc-js";
import { loadProtocol, valueFromJson } from "@tasks-executor/proto";
import { managerClient } from "./fixtures/grpc_stack.ts";
import { OPEN_CALL_BYTES, RequestBytesInFlight } from "../server/request_bytes.ts";
import { readJsonObject } from "../server/http/json.ts";
import { SESSION_BODY_BYTES } from "../server/http/session.ts";
import { startSecuredManager } from "./fixtures/secured_manager.ts";
import { Client, Worker } from "../sdk/mod.ts";
import { startGrpcServer } from "../server/grpc/server.ts";
import { loadConfig } from "../server/config.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";

const GET_TASK = "/taskexecutor.v1.TaskExecutorManagerService/GetTask";
const CREATE_TASK = "/taskexecutor.v1.TaskExecutorManagerService/CreateTask";
const WORK = "/taskexecutor.v1.TaskExecutorService/Work";
const PRODUCE = "/taskexecutor.v1.TaskExecutorManagerService/Produce";

/** 1,000,000 bytes of a message declared 1,040,000 long: the call holds 1,000,005 bytes. */
const PARTIAL = 1_000_000;
const HELD = PARTIAL + 5;

/** A GetTaskRequest whose id is `length` bytes: it decodes, and the call waits for its end. */
function getTaskRequest(length: number): Uint8Array {
  const id = Buffer.alloc(length, "a");
  const header = [0x0a];
  for (let n = length;; n >>>= 7) {
    if (n < 0x80) {
      header.push(n);
      break;
    }
    header.push((n & 0x7f) | 0x80);
  }
  return new Uint8Array(Buffer.concat([Buffer.from(header), id]));
}

/**
 * What a call of `grpcStream` to `path` on `manager`, with `headers`, holds for being open from its
 * start until its stream closes: its header list by RFC 9113's measure (name and value bytes plus
 * 32 a field), and `OPEN_CALL_BYTES`.
 */
function headerBytes(
  manager: TestManager,
  path: string,
  headers: Record<string, string> = {},
): number {
  return OPEN_CALL_BYTES + headerListBytes({
    ":method": "POST",
    ":path": path,
    ":scheme": "http",
    ":authority": manager.grpcAddress,
    "content-type": "application/grpc",
    te: "trailers",
    ...headers,
  });
}

/** Opens `path` on `session` and sends the first PARTIAL bytes of a longer message. */
function partialCall(
  session: http2.ClientHttp2Session,
  path: string,
  headers: Record<string, string> = {},
): http2.ClientHttp2Stream {
  const stream = grpcStream(session, path, headers);
  const prefix = new Uint8Array(5);
  new DataView(prefix.buffer).setUint32(1, PARTIAL + 40_000);
  stream.write(prefix);
  stream.write(new Uint8Array(PARTIAL));
  return stream;
}

/**
 * What the manager's account holds (read with `token` when authentication is on): its two gauges,
 * the bytes of requests under way and what open calls hold, together; or one of them.
 */
async function heldBytes(
  manager: TestManager,
  token?: string,
  gauges: readonly string[] = ["request_bytes_in_flight", "request_bytes_of_open_calls"],
): Promise<number> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const text = await (await fetch(`${manager.httpUrl}/metrics`, { headers })).text();
  let sum = 0;
  for (const gauge of gauges) {
    const line = new RegExp(`^tasks_executor_${gauge} (\\d+)$`, "m").exec(text);
    assert.ok(line, `the gauge ${gauge} is scraped`);
    sum += Number(line[1]);
  }
  return sum;
}

/** Waits until the gauge says `bytes` (the manager reads what was sent on its own time). */
async function untilHeld(manager: TestManager, bytes: number, token?: string): Promise<void> {
  let now = -1;
  for (let i = 0; i < 500; i++) {
    now = await heldBytes(manager, token);
    if (now === bytes) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`the manager holds ${now} request bytes, not ${bytes}`);
}

function connect(manager: TestManager): http2.ClientHttp2Session {
  const session = http2.connect(`http://${manager.grpcAddress}`);
  session.on("error", () => {});
  return session;
}

const LIMITS = {
  MAX_REQUEST_BYTES: String(1024 * 1024),
  MAX_CONNECTION_REQUEST_BYTES: "3200000",
  MAX_REQUEST_BYTES_IN_FLIGHT: "4500000",
};

Deno.test("gRPC: calls' unfinished messages are held on their connection's account (a worker stream's on an account of its own); past MAX_CONNECTION_REQUEST_BYTES, then past MAX_REQUEST_BYTES_IN_FLIGHT, a call ends RESOURCE_EXHAUSTED naming the cap, and closed calls give their bytes back", async () => {
  await using manager = await startTestManager({ env: LIMITS });
  const first = connect(manager);
  const second = connect(manager);
  try {
    const held = [];
    // Each call holds its message's bytes and its header list.
    let holding = 0;
    for (const path of [CREATE_TASK, GET_TASK, GET_TASK]) {
      held.push(partialCall(first, path));
      holding += HELD + headerBytes(manager, path);
      await untilHeld(manager, holding);
    }
    // A fourth on the same connection would take it past 3,200,000.
    const refused = await grpcStatusOf(partialCall(first, CREATE_TASK));
    assert.equal(refused.status, "8", refused.message); // RESOURCE_EXHAUSTED
    assert.match(refused.message, /MAX_CONNECTION_REQUEST_BYTES/);
    await untilHeld(manager, holding);
    // A worker stream's messages are held on an account of their own (the gauge adds it).
    held.push(partialCall(first, WORK));
    holding += HELD + headerBytes(manager, WORK);
    await untilHeld(manager, holding);

    // Another connection has its own account, but the manager's is shared.
    held.push(partialCall(second, GET_TASK));
    holding += HELD + headerBytes(manager, GET_TASK);
    await untilHeld(manager, holding);
    const full = await grpcStatusOf(partialCall(second, GET_TASK));
    assert.equal(full.status, "8", full.message);
    assert.match(full.message, /MAX_REQUEST_BYTES_IN_FLIGHT/);

    // Closing the first connection's calls gives their bytes back: the second is served again.
    for (const stream of held.slice(0, 4)) stream.close(http2.constants.NGHTTP2_CANCEL);
    await untilHeld(manager, HELD + headerBytes(manager, GET_TASK));
    const served = grpcStream(second, GET_TASK);
    served.end(grpcFrame(getTaskRequest(10)));
    served.on("data", () => {});
    assert.equal((await grpcStatusOf(served)).status, "5"); // NOT_FOUND: no such task
    for (const stream of held.slice(4)) stream.close(http2.constants.NGHTTP2_CANCEL);
    await untilHeld(manager, 0);
  } finally {
    first.close();
    second.close();
  }
});

Deno.test("gRPC: a call's header list is held on its connection's account from its start until it ends; a call whose headers would take the connection past MAX_CONNECTION_REQUEST_BYTES is refused RESOURCE_EXHAUSTED naming it", async () => {
  await using manager = await startTestManager({ env: LIMITS });
  const session = connect(manager);
  const opened: http2.ClientHttp2Stream[] = [];
  try {
    // Headers only: the call waits for its message.
    const padded = { "x-pad": "p".repeat(12_000) };
    const each = headerBytes(manager, GET_TASK, padded);
    const first = grpcStream(session, GET_TASK, padded);
    await untilHeld(manager, each);
    first.close(http2.constants.NGHTTP2_CANCEL);
    await untilHeld(manager, 0);

    // Three messages of 1,000,005 bytes held, then calls of headers alone up to the connection's
    // 3,200,000: the next is refused.
    for (let i = 0; i < 3; i++) opened.push(partialCall(session, GET_TASK));
    let holding = 3 * (HELD + headerBytes(manager, GET_TASK));
    await untilHeld(manager, holding);
    while (holding + each <= 3_200_000) {
      opened.push(grpcStream(session, GET_TASK, padded));
      holding += each;
      await untilHeld(manager, holding);
    }
    const refused = await grpcStatusOf(grpcStream(session, GET_TASK, padded));
    assert.equal(refused.status, "8", refused.message);
    assert.match(refused.message, /MAX_CONNECTION_REQUEST_BYTES/);
    await untilHeld(manager, holding);
    for (const stream of opened) stream.close(http2.constants.NGHTTP2_CANCEL);
    await untilHeld(manager, 0);
  } finally {
    session.close();
  }
});

/** Room on one connection for `OPEN_CALLS` calls of headers alone, not for one more. */
const OPEN_CALLS = 10;
const ROOM_FOR_OPEN_CALLS = {
  MAX_REQUEST_BYTES: "1024",
  MAX_CONNECTION_REQUEST_BYTES: String(OPEN_CALLS * OPEN_CALL_BYTES + 5_000),
  MAX_REQUEST_BYTES_IN_FLIGHT: String(4 * (OPEN_CALLS * OPEN_CALL_BYTES + 5_000)),
  REQUEST_RECEIVE_MS: "60000",
};

Deno.test(`gRPC: an open call holds OPEN_CALL_BYTES (${OPEN_CALL_BYTES}) besides its header list until its stream closes: on a connection with room for ${OPEN_CALLS} calls of headers alone the next is refused RESOURCE_EXHAUSTED naming MAX_CONNECTION_REQUEST_BYTES, and each call gives it back once, however it ends`, async () => {
  await using manager = await startTestManager({ env: ROOM_FOR_OPEN_CALLS });
  const openCalls = () => heldBytes(manager, undefined, ["request_bytes_of_open_calls"]);
  const inFlight = () => heldBytes(manager, undefined, ["request_bytes_in_flight"]);
  const until = async (gauge: () => Promise<number>, bytes: number) => {
    let now = -1;
    for (let i = 0; i < 500 && now !== bytes; i++) {
      now = await gauge();
      if (now !== bytes) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(now, bytes);
  };
  const each = headerBytes(manager, GET_TASK);
  const session = connect(manager);
  const other = connect(manager);
  try {
    const calls = Array.from({ length: OPEN_CALLS }, () => grpcStream(session, GET_TASK));
    await until(openCalls, OPEN_CALLS * each);
    assert.equal(await inFlight(), 0, "headers alone are no request bytes in flight");
    const refused = await grpcStatusOf(grpcStream(session, GET_TASK));
    assert.equal(refused.status, "8", refused.message); // RESOURCE_EXHAUSTED
    assert.match(refused.message, /MAX_CONNECTION_REQUEST_BYTES/);
    await until(openCalls, OPEN_CALLS * each);

    // Answered: its message sent and its side ended (NOT_FOUND: no such task).
    const answered = calls.pop()!;
    answered.end(grpcFrame(getTaskRequest(10)));
    answered.resume();
    assert.equal((await grpcStatusOf(answered)).status, "5");
    await until(openCalls, (OPEN_CALLS - 1) * each);
    // Cancelled (RST_STREAM CANCEL, as a client's cancel sends), and reset with another code.
    calls.pop()!.close(http2.constants.NGHTTP2_CANCEL);
    await until(openCalls, (OPEN_CALLS - 2) * each);
    calls.pop()!.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    await until(openCalls, (OPEN_CALLS - 3) * each);
    // The room is there again: a call on it is served.
    const served = grpcStream(session, GET_TASK);
    served.end(grpcFrame(getTaskRequest(10)));
    served.resume();
    assert.equal((await grpcStatusOf(served)).status, "5");
    await until(openCalls, (OPEN_CALLS - 3) * each);
    // Another connection's calls, then the connection lost under them and under the first's.
    for (let i = 0; i < 3; i++) grpcStream(other, GET_TASK);
    await until(openCalls, OPEN_CALLS * each);
    other.destroy();
    await until(openCalls, (OPEN_CALLS - 3) * each);
    session.destroy();
    await until(openCalls, 0);
    assert.equal(await inFlight(), 0);
  } finally {
    session.destroy();
    other.destroy();
  }
});

Deno.test("an idle manager with a worker connected holds no request bytes in flight: the worker's stream is on request_bytes_of_open_calls (OPEN_CALL_BYTES and its header list) until it ends", async () => {
  await using manager = await startTestManager();
  const openCalls = () => heldBytes(manager, undefined, ["request_bytes_of_open_calls"]);
  const inFlight = () => heldBytes(manager, undefined, ["request_bytes_in_flight"]);
  await using worker = new Worker({
    address: manager.grpcAddress,
    executors: [{ name: "idle", handler: () => null }],
    handleSignals: false,
    logger: false,
  });
  await worker.start();
  while ((await restOk(manager, "GET", "/workers")).workers.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Its hello and credits are handled at once; nothing else comes while it idles.
  let held = -1;
  for (let i = 0; i < 500 && held !== 0; i++) {
    held = await inFlight();
    if (held !== 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(held, 0);
  const open = await openCalls();
  assert.ok(
    open > OPEN_CALL_BYTES && open < OPEN_CALL_BYTES + 2_000,
    `the worker's stream holds ${open} bytes for being open`,
  );
  await worker.stop();
  for (let i = 0; i < 500 && await openCalls() !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await openCalls(), 0);
});

Deno.test("a gRPC server shut down with calls open gives back what they held for being open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "open-calls-" });
  await using store = await openSqliteStore({ path: `${dir}/tasks.db` });
  const service = new Service(store);
  const limits = { total: 100_000_000, perConnection: 50_000_000, receiveMs: 60_000 };
  const requests = new RequestBytesInFlight(limits);
  const server = await startGrpcServer(
    {
      service,
      workers: { list: () => [] },
      requestBytes: requests,
      workerRequestBytes: new RequestBytesInFlight(limits),
    },
    { host: "127.0.0.1", port: 0 },
  );
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  session.on("error", () => {});
  try {
    for (let i = 0; i < 5; i++) grpcStream(session, GET_TASK);
    for (let i = 0; i < 5; i++) grpcStream(session, PRODUCE);
    for (let i = 0; i < 500 && requests.callsHeld < 10 * OPEN_CALL_BYTES; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(requests.callsHeld > 10 * OPEN_CALL_BYTES, `${requests.callsHeld} held`);
    await server.close({ graceMs: 100 });
    // grpc-js tells the calls on the next turn.
    for (let i = 0; i < 100 && requests.held > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(requests.held, 0);
    assert.equal(requests.callsHeld, 0);
  } finally {
    session.destroy();
    await server.close();
    await service.schemas[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gRPC: a compressed message is held at its decompressed size until its call ends (a 1 KB gzip of a 1,000,004-byte request counts 1,000,004)", async () => {
  await using manager = await startTestManager({ env: LIMITS });
  const session = connect(manager);
  try {
    const request = getTaskRequest(PARTIAL);
    const compressed = gzipSync(request);
    assert.ok(compressed.length < 10_000);
    const framed = grpcFrame(new Uint8Array(compressed));
    framed[0] = 1; // compressed
    const calls = [];
    // Each call holds its message, decompressed, and its header list.
    const each = request.length + headerBytes(manager, GET_TASK, { "grpc-encoding": "gzip" });
    for (let i = 1; i <= 3; i++) {
      const stream = grpcStream(session, GET_TASK, { "grpc-encoding": "gzip" });
      // The whole message, not the call's end: a unary handler runs only once the end comes.
      stream.write(framed);
      calls.push(stream);
      await untilHeld(manager, i * each);
    }
    const stream = grpcStream(session, GET_TASK, { "grpc-encoding": "gzip" });
    stream.write(framed);
    const refused = await grpcStatusOf(stream);
    assert.equal(refused.status, "8", refused.message);
    assert.match(refused.message, /MAX_CONNECTION_REQUEST_BYTES/);
    // Ending a held call runs its handler, which has the message now: its bytes go back.
    calls[0].end();
    calls[0].on("data", () => {});
    // INVALID_ARGUMENT: an id of a million characters names no task (the handler ran).
    assert.equal((await grpcStatusOf(calls[0])).status, "3");
    await untilHeld(manager, 2 * each);
    for (const call of calls.slice(1)) call.close(http2.constants.NGHTTP2_CANCEL);
    await untilHeld(manager, 0);
  } finally {
    session.close();
  }
});

Deno.test("gRPC: compressed requests that arrive in one frame are each held at their decompressed size: three creates of 900 KB gzipped to 1 KB each are taken and given back, a fourth in the frame passes MAX_CONNECTION_REQUEST_BYTES and ends the stream", async () => {
  await using manager = await startTestManager({ env: LIMITS });
  await manager.service.createExecutor({ name: "report" });
  const serialize = loadProtocol().TaskExecutorManagerService.service.Produce.requestSerialize;
  const create = (requestId: number) => {
    const request = serialize({
      requestId,
      create: { task: { executorName: "report", data: valueFromJson("d".repeat(900_000)) } },
    });
    const framed = grpcFrame(new Uint8Array(gzipSync(request)));
    framed[0] = 1; // compressed
    return framed;
  };
  const session = connect(manager);
  try {
    for (const [count, status] of [[3, "0"], [4, "8"]] as const) {
      const stream = grpcStream(session, PRODUCE, { "grpc-encoding": "gzip" });
      stream.on("data", () => {});
      const frame = Buffer.concat(Array.from({ length: count }, (_, i) => create(i + 1)));
      assert.ok(frame.length < 16_384, "one DATA frame");
      stream.end(frame);
      const ended = await grpcStatusOf(stream);
      assert.equal(ended.status, status, ended.message);
      if (status === "8") assert.match(ended.message, /MAX_CONNECTION_REQUEST_BYTES/);
      await untilHeld(manager, 0);
    }
  } finally {
    session.close();
  }
});

Deno.test("REST: a body read while the manager holds MAX_REQUEST_BYTES_IN_FLIGHT is refused with 503 problem+json, Retry-After and the cap's name; once the bytes are back it is read", async () => {
  await using manager = await startTestManager({ env: LIMITS });
  const sessions = [connect(manager), connect(manager)];
  try {
    const held = [];
    // Each call holds its message's bytes and its header list.
    const each = HELD + headerBytes(manager, GET_TASK);
    for (const session of sessions) {
      for (let i = 0; i < 2; i++) {
        held.push(partialCall(session, GET_TASK));
        await untilHeld(manager, held.length * each);
      }
    }
    // About 4,000,020 held: a body of 1,000,037 more would pass 4,500,000.
    const body = JSON.stringify({ executorName: "x", data: "a".repeat(PARTIAL) });
    const post = () =>
      fetch(`${manager.httpUrl}/api/v1/tasks`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const refused = await post();
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("content-type"), "application/problem+json");
    assert.ok(refused.headers.get("retry-after"));
    assert.match((await refused.json()).detail, /MAX_REQUEST_BYTES_IN_FLIGHT/);
    await untilHeld(manager, 4 * each);

    for (const stream of held) stream.close(http2.constants.NGHTTP2_CANCEL);
    await untilHeld(manager, 0);
    const read = await post();
    assert.equal(read.status, 404, await read.text()); // the executor does not exist
    await untilHeld(manager, 0);
  } finally {
    for (const session of sessions) session.close();
  }
});

Deno.test("gRPC: a worker stream's messages waiting their turn stay held until handled; past MAX_CONNECTION_REQUEST_BYTES the stream is cut off and gives them back", async () => {
  await using manager = await startTestManager({ env: LIMITS });
  await manager.service.createExecutor({ name: "flood" });
  // A task of 100 KB: its assignment alone fills the client's 64 KiB window, so the manager
  // cannot answer results (it acks each) and they wait.
  const { task } = await manager.service.createTask({
    executorName: "flood",
    data: "d".repeat(100_000),
  });
  const serialize = loadProtocol().TaskExecutorService.service.Work.requestSerialize;
  const port = Number(manager.grpcAddress.split(":").at(-1));
  using call = await stalledCall(port, WORK, [
    serialize({ hello: { workerId: "flooder", executors: ["flood"] } }),
    serialize({ credit: { executorName: "flood", credits: 1 } }),
  ], { end: false, followWindows: true });
  const worker = async () =>
    (await restOk(manager, "GET", "/workers")).workers.some((
      w: { workerId: string; disconnectedAt: string | null },
    ) => w.workerId === "flooder" && w.disconnectedAt === null);
  while ((await manager.service.getTask(task.id)).status !== "in_progress") {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const result = serialize({
    results: { results: [{ taskId: "none", leaseToken: "none", resultJson: "1".repeat(600_000) }] },
  });
  await call.send([result, result, result, result, result]);
  // Five of 600 KB wait: held, though read (before, given back as soon as read).
  const five = 5 * (result.length + 5);
  let held = 0;
  for (let i = 0; i < 500 && held < five; i++) {
    held = await heldBytes(manager);
    if (held < five) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(held >= five, `${held} bytes held`);
  assert.ok(await worker());
  // A sixth passes the connection's 3,200,000: the stream ends, and what it held goes back.
  await call.send([result]);
  await untilHeld(manager, 0);
  for (let i = 0; i < 500 && await worker(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await worker(), false);
});

Deno.test("every request gives its bytes back however it ends: after real traffic, refusals, cancels, a deadline and connections cut mid-message, the manager holds 0", async () => {
  const admin = `te_0123456789abcdef_${"A".repeat(43)}`;
  await using manager = await startTestManager({
    env: { ...LIMITS, AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
  });
  const heldNow = () => heldBytes(manager, admin);
  await using worker = new Worker({
    address: manager.grpcAddress,
    apiKey: admin,
    executors: [{ name: "echo", handler: (data: unknown) => data }],
    handleSignals: false,
    logger: false,
  });
  await worker.start();
  using client = new Client({ address: manager.grpcAddress, apiKey: admin });
  // Work through the SDK: creates, batches, waits, the worker stream's results.
  await Promise.all(
    Array.from(
      { length: 20 },
      (_, i) => client.createTaskAndWait("echo", { i, pad: "p".repeat(i * 1000) }),
    ),
  );
  await client.createTasks(
    Array.from({ length: 200 }, (_, i) => ({ executorName: "echo", data: i })),
  );
  // REST: created, refused by the schema of the body, refused without a key, a body cut short.
  const post = (body: string, key: string | null = admin) =>
    fetch(`${manager.httpUrl}/api/v1/tasks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...key ? { authorization: `Bearer ${key}` } : {},
      },
      body,
    }).then((r) => r.body?.cancel());
  await post(JSON.stringify({ executorName: "echo", data: "x".repeat(100_000) }));
  await post("{ not json");
  await post(JSON.stringify({ executorName: "echo" }), null);
  // gRPC: a call without a key with its message sent, a watch cancelled, a watch past its deadline.
  const session = connect(manager);
  const anonymous = grpcStream(session, CREATE_TASK);
  anonymous.end(grpcFrame(getTaskRequest(50_000)));
  anonymous.on("data", () => {});
  assert.equal((await grpcStatusOf(anonymous)).status, "16"); // UNAUTHENTICATED
  const waiting = await client.createTask("echo", 1, { runAt: new Date(Date.now() + 60_000) });
  const cancelled = new AbortController();
  const watch = client.waitForTask(waiting.id, { signal: cancelled.signal }).catch(() => null);
  cancelled.abort();
  await watch;
  await client.waitForTask(waiting.id, { timeoutMs: 50 }).catch(() => null);
  // Messages cut mid-way: streams reset, and a connection destroyed under them.
  const cut = connect(manager);
  const partials = [partialCall(cut, GET_TASK, { authorization: `Bearer ${admin}` })];
  partials.push(partialCall(cut, CREATE_TASK, { authorization: `Bearer ${admin}` }));
  await untilHeldAtLeast(heldNow, 2 * HELD);
  cut.destroy();
  const reset = partialCall(session, GET_TASK, { authorization: `Bearer ${admin}` });
  await untilHeldAtLeast(heldNow, HELD);
  reset.close(http2.constants.NGHTTP2_CANCEL);
  session.close();
  // The worker's stream sends heartbeats and credits, each held until handled: stop it first.
  await worker.stop();
  client.close();
  for (let i = 0; i < 500 && await heldNow() !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await heldNow(), 0);
});

Deno.test("a request holds its bytes for REQUEST_RECEIVE_MS at most while it arrives: a REST body sent but for its end gets 408, a gRPC message cut mid-way, a unary call without its end or without any message, or a worker stream without its hello RESOURCE_EXHAUSTED, and the bytes go back", async () => {
  await using manager = await startTestManager({ env: { ...LIMITS, REQUEST_RECEIVE_MS: "400" } });
  // REST over HTTP/1.1: a body announced as 100,000 bytes, 50,000 sent.
  const [host, port] = manager.httpUrl.replace("http://", "").split(":");
  const conn = await Deno.connect({ hostname: host, port: Number(port) });
  const head = `POST /api/v1/tasks HTTP/1.1\r\nHost: ${host}\r\n` +
    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
  await conn.write(new TextEncoder().encode(head + "[" + " ".repeat(49_999)));
  const answer = new Uint8Array(4096);
  const n = await conn.read(answer);
  const text = new TextDecoder().decode(answer.subarray(0, n ?? 0));
  assert.match(text, /^HTTP\/1\.1 408/);
  assert.match(text, /REQUEST_RECEIVE_MS/);
  assert.match(text, /"type":"urn:tasks-executor:problem:request-timeout"/);
  conn.close();
  await untilHeld(manager, 0);

  const session = connect(manager);
  try {
    // A message cut mid-way, a unary call's whole message without its end, calls that send their
    // headers and nothing more (unary, and a worker stream that never says hello).
    const cut = partialCall(session, GET_TASK);
    const unended = grpcStream(session, GET_TASK);
    unended.write(grpcFrame(getTaskRequest(1000)));
    const headersOnly = grpcStream(session, GET_TASK);
    const noHello = grpcStream(session, WORK);
    // The answers are listened for at once: they may come in the same turn.
    const answers = [cut, unended, headersOnly, noHello].map((call) => grpcStatusOf(call));
    for (const answer of answers) {
      const status = await answer;
      assert.equal(status.status, "8", status.message);
      assert.match(status.message, /did not arrive within 400 ms .*REQUEST_RECEIVE_MS/);
    }
    await untilHeld(manager, 0);
  } finally {
    session.close();
  }
});

Deno.test("the login route, open to everyone, reads 4 KiB at most (SESSION_BODY_BYTES), not MAX_REQUEST_BYTES", async () => {
  const admin = `te_0123456789abcdef_${"A".repeat(43)}`;
  await using manager = await startTestManager({ env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin } });
  const response = await fetch(`${manager.httpUrl}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key: "te_" + "a".repeat(SESSION_BODY_BYTES) }),
  });
  assert.equal(response.status, 413);
  await response.body?.cancel();
});

/** Waits until `held()` says `bytes` or more. */
async function untilHeldAtLeast(held: () => Promise<number>, bytes: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await held() >= bytes) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`the manager never held ${bytes} request bytes`);
}

Deno.test("RequestBytesInFlight: a refused take holds nothing, gives are capped at what is held", () => {
  const inFlight = new RequestBytesInFlight({ total: 100, perConnection: 60, receiveMs: 1000 });
  const [a, b] = [inFlight.connection(), inFlight.connection()];
  a.take(60);
  assert.throws(() => a.take(1), /MAX_CONNECTION_REQUEST_BYTES/);
  b.take(40);
  assert.throws(() => b.take(1), /MAX_REQUEST_BYTES_IN_FLIGHT/);
  assert.equal(inFlight.held, 100);
  a.give(1000);
  assert.equal(a.held, 0);
  assert.equal(inFlight.held, 40);
  b.take(20);
  assert.equal(inFlight.held, 60);
});

Deno.test("at most MAX_HTTP_BODIES_ARRIVING REST bodies arrive at once: one more ends the one gone the longest without a byte (408), and over HTTP/2 its connection then takes no more requests (GOAWAY)", async () => {
  await using manager = await startTestManager({ env: { MAX_HTTP_BODIES_ARRIVING: "2" } });
  await manager.service.createExecutor({ name: "ab" });
  const [host, port] = manager.httpUrl.replace("http://", "").split(":");
  const body = '{"executorName":"ab"}';
  // Each body's first buffer (its Content-Length + 1) is held from the start, besides its bytes.
  const first = body.length + 1;
  const encoder = new TextEncoder();
  // Closed at the end whatever happens: a request left waiting for its body holds the manager's
  // shutdown.
  const opened: Deno.Conn[] = [];
  let session: http2.ClientHttp2Session | undefined;
  let watchdog: number | undefined;
  // An HTTP/1.1 create whose first byte of body is sent, the rest later.
  const started = async () => {
    const conn = await Deno.connect({ hostname: host, port: Number(port) });
    opened.push(conn);
    const head = `POST /api/v1/tasks HTTP/1.1\r\nHost: ${host}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    await conn.write(encoder.encode(head + body[0]));
    return conn;
  };
  const answerOf = async (conn: Deno.Conn) => {
    const answer = new Uint8Array(4096);
    const n = await conn.read(answer);
    return new TextDecoder().decode(answer.subarray(0, n ?? 0));
  };
  try {
    const a = await started();
    await untilHeld(manager, first + 1);
    const b = await started();
    await untilHeld(manager, 2 * first + 2);
    // `a` sends a byte more: `b` has gone the longest without one, and the next body ends it.
    await a.write(encoder.encode(body[1]));
    await untilHeld(manager, 2 * first + 3);
    const c = await started();
    const ended = await answerOf(b);
    assert.match(ended, /^HTTP\/1\.1 408/);
    assert.match(
      ended,
      /Request body stopped arriving after 1 bytes: 2 other requests' bodies are arriving.*MAX_HTTP_BODIES_ARRIVING/,
    );
    await untilHeld(manager, 2 * first + 3);
    await a.write(encoder.encode(body.slice(2)));
    await c.write(encoder.encode(body.slice(1)));
    assert.match(await answerOf(a), /^HTTP\/1\.1 201/);
    assert.match(await answerOf(c), /^HTTP\/1\.1 201/);

    // Over HTTP/2 (prior knowledge): the stream's body is ended to make room, and the connection
    // is told to go away once it is answered. Without that the stream stays open as long as the
    // client keeps it: the watchdog only ends the wait for what does not come.
    session = http2.connect(manager.httpUrl);
    session.on("error", () => {});
    const goaway = new Promise<string>((resolve) => {
      session!.once("goaway", () => resolve("goaway"));
      watchdog = setTimeout(() => resolve("no GOAWAY within 20 s"), 20_000);
    });
    const stream = session.request({
      ":method": "POST",
      ":path": "/api/v1/tasks",
      "content-type": "application/json",
      "content-length": String(body.length),
    });
    stream.on("error", () => {});
    const status = new Promise<number>((resolve) =>
      stream.once("response", (headers) => resolve(Number(headers[":status"])))
    );
    stream.write(body[0]);
    await untilHeld(manager, first + 1);
    const d = await started();
    await untilHeld(manager, 2 * first + 2);
    const e = await started();
    assert.equal(await status, 408);
    assert.equal(await goaway, "goaway");
    for (const conn of [d, e]) {
      await conn.write(encoder.encode(body.slice(1)));
      assert.match(await answerOf(conn), /^HTTP\/1\.1 201/);
    }
    assert.equal((await manager.service.listTasks({}, { limit: 10 })).items.length, 4);
  } finally {
    clearTimeout(watchdog);
    session?.destroy();
    for (const conn of opened) {
      try {
        conn.close();
      } catch {
        // Closed by the manager already.
      }
    }
  }
});

Deno.test("creates that wait (REST `?wait=`, gRPC CreateAndWatchTask) hold their bytes for the wait, and the workers' results that end the waits, held on an account of their own, are not refused for want of room", async () => {
  await using manager = await startTestManager({ env: { ...LIMITS, REQUEST_RECEIVE_MS: "60000" } });
  await restOk(manager, "POST", "/executors", { config: { name: "held" } });
  const data = "a".repeat(800_000);
  const body = JSON.stringify({ executorName: "held", data });
  const waits = [];
  for (let i = 1; i <= 2; i++) {
    waits.push(fetch(`${manager.httpUrl}/api/v1/tasks?wait=60s`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }));
    await untilHeld(manager, i * body.length);
  }
  const client = managerClient(Number(manager.grpcAddress.split(":")[1]), { ownConnection: true });
  // Requests that do not wait take the rest of the account: two messages stalled mid-way.
  const stalled = connect(manager);
  try {
    const call = (client as unknown as Record<
      string,
      (request: unknown) => grpc.ClientReadableStream<{ task: { status: string } }>
    >).CreateAndWatchTask;
    const small = "b".repeat(400_000);
    const watch = call.call(client, { task: { executorName: "held", data: valueFromJson(small) } });
    const answers: string[] = [];
    const ended = new Promise((resolve) => watch.on("status", resolve).on("error", () => {}));
    watch.on("data", (answer) => answers.push(answer.task.status));
    let held = 0;
    for (let i = 0; i < 500 && held <= 2 * body.length + small.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      held = await heldBytes(manager);
    }
    // Three waits, 2 MB of the 2.25 MB the waits may hold, held while they wait.
    assert.ok(held > 2 * body.length + small.length, `the waits hold their bytes (${held})`);
    partialCall(stalled, GET_TASK);
    partialCall(stalled, GET_TASK);
    await untilHeld(manager, held + 2 * (HELD + headerBytes(manager, GET_TASK)));

    // Each result echoes its data: 800 KB, more than the requests' account has left.
    await using worker = new Worker({
      address: manager.grpcAddress,
      executors: [{ name: "held", handler: (input: unknown) => input }],
      handleSignals: false,
      logger: false,
    });
    await worker.start();
    for (const wait of waits) {
      const answer = await wait;
      assert.equal(answer.status, 201);
      assert.equal((await answer.json()).task.status, "completed");
    }
    await ended;
    assert.deepEqual(answers, ["TASK_STATUS_PENDING", "TASK_STATUS_COMPLETED"]);
    stalled.destroy();
    // The worker's stream holds its header list while it is open.
    await worker.stop();
    await untilHeld(manager, 0);
  } finally {
    stalled.destroy();
    client.close();
  }
});

Deno.test("creates that wait hold half of MAX_REQUEST_BYTES_IN_FLIGHT at most: past it one is refused (REST 503 naming the share, gRPC RESOURCE_EXHAUSTED) and nothing is stored, while a create that does not wait still goes through", async () => {
  await using manager = await startTestManager({ env: { ...LIMITS, REQUEST_RECEIVE_MS: "60000" } });
  await restOk(manager, "POST", "/executors", { config: { name: "held" } });
  const data = "a".repeat(800_000);
  const body = JSON.stringify({ executorName: "held", data });
  const create = (wait: boolean) =>
    fetch(`${manager.httpUrl}/api/v1/tasks${wait ? "?wait=60s" : ""}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
  // Two waits of 800 KB hold 1.6 MB of the 2.25 MB the waits may hold.
  const waits = [create(true), create(true)];
  await untilHeld(manager, 2 * body.length);

  const refused = await create(true);
  assert.equal(refused.status, 503);
  assert.ok(refused.headers.get("retry-after"));
  assert.match(
    (await refused.json()).detail,
    /Creates that wait .*half of MAX_REQUEST_BYTES_IN_FLIGHT/,
  );
  const client = managerClient(Number(manager.grpcAddress.split(":")[1]), { ownConnection: true });
  try {
    const call = (client as unknown as Record<
      string,
      (request: unknown) => grpc.ClientReadableStream<unknown>
    >).CreateAndWatchTask;
    const watch = call.call(client, { task: { executorName: "held", data: valueFromJson(data) } });
    watch.on("data", () => {});
    const status = await new Promise<grpc.ServiceError>((resolve) => watch.on("error", resolve));
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, /Creates that wait/);
  } finally {
    client.close();
  }
  const created = await create(false);
  assert.equal(created.status, 201);
  await created.body?.cancel();
  const ids: string[] = [];
  let cursor = "";
  do {
    // Pages of 2 MiB at most: two tasks of 800 KB each.
    const page = await restOk(manager, "GET", `/tasks?executorName=held&cursor=${cursor}`);
    ids.push(...page.tasks.map((task: { id: string }) => task.id));
    cursor = page.nextCursor ?? "";
  } while (cursor);
  assert.equal(ids.length, 3, "the two waiting and the one that did not wait");

  for (const id of ids) await restOk(manager, "POST", `/tasks/${id}/cancel`);
  for (const wait of waits) {
    const answer = await wait;
    assert.equal(answer.status, 201);
    assert.equal((await answer.json()).task.status, "cancelled");
  }
  await untilHeld(manager, 0);
});

Deno.test("with authentication on, one key's creates that wait hold half of the waits' share at most: past it its next is refused (REST 503, gRPC RESOURCE_EXHAUSTED) while other keys' waits still go through", async () => {
  await using secured = await startSecuredManager({ ...LIMITS, REQUEST_RECEIVE_MS: "60000" });
  const { manager } = secured;
  await manager.service.createExecutor({ name: "held" });
  const [a, b, c] = await Promise.all(
    ["a", "b", "c"].map((name) => secured.key({ name, scopes: ["producer"] })),
  );
  // 4.5 MB in flight: waits hold 2.25 MB at most, one key 1.125 MB.
  const data = "a".repeat(500_000);
  const body = JSON.stringify({ executorName: "held", data });
  const create = (token: string) =>
    fetch(`${manager.httpUrl}/api/v1/tasks?wait=60s`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
    });
  const waits = [create(a.token), create(a.token)];
  await untilHeld(manager, 2 * body.length, secured.admin.token);
  const refused = await create(a.token);
  assert.equal(refused.status, 503);
  assert.match((await refused.json()).detail, /This key's creates that wait/);
  waits.push(create(b.token));
  await untilHeld(manager, 3 * body.length, secured.admin.token);

  const client = managerClient(Number(manager.grpcAddress.split(":")[1]), { ownConnection: true });
  const watch = (token: string) => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${token}`);
    const call = (client as unknown as Record<
      string,
      (request: unknown, metadata: grpc.Metadata) => grpc.ClientReadableStream<unknown>
    >).CreateAndWatchTask;
    const stream = call.call(client, {
      task: { executorName: "held", data: valueFromJson(data) },
    }, metadata);
    const first = new Promise<string>((resolve) => {
      stream.on("data", () => resolve("answered"));
      stream.on("error", (error: grpc.ServiceError) => resolve(grpc.status[error.code]));
    });
    return { stream, first };
  };
  try {
    const ofA = watch(a.token);
    assert.equal(await ofA.first, "RESOURCE_EXHAUSTED");
    const ofC = watch(c.token);
    assert.equal(await ofC.first, "answered", "another key's wait goes through");
    ofC.stream.cancel();
  } finally {
    client.close();
  }
  const tasks = await manager.service.listTasks({ executorName: "held" }, { limit: 10 });
  assert.equal(tasks.items.length, 4, "three waits over REST and one over gRPC, none refused");
  for (const task of tasks.items) await manager.service.cancelTask(task.id);
  for (const wait of waits) assert.equal((await (await wait).json()).task.status, "cancelled");
  await untilHeld(manager, 0, secured.admin.token);
});

Deno.test("with authentication on, two keys whose creates wait for all they may of the waits' share leave room for a third key's wait, and each refusal is counted", async () => {
  await using secured = await startSecuredManager({ ...LIMITS, REQUEST_RECEIVE_MS: "60000" });
  const { manager } = secured;
  await manager.service.createExecutor({ name: "held" });
  const [a, b, c] = await Promise.all(
    ["a", "b", "c"].map((name) => secured.key({ name, scopes: ["producer"] })),
  );
  // Waits hold 2.25 MB at most: A half of it (two of 500 KB), B half of the 1.25 MB A leaves (its
  // first, and no second), and C's first fits the 0.75 MB left.
  const body = JSON.stringify({ executorName: "held", data: "a".repeat(500_000) });
  const create = (token: string) =>
    fetch(`${manager.httpUrl}/api/v1/tasks?wait=60s`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body,
    });
  const refusals = async () =>
    Number(
      /^tasks_executor_share_refusals_total\{resource="wait_bytes"\} (\d+)$/m.exec(
        await (await fetch(`${manager.httpUrl}/metrics`, {
          headers: { authorization: `Bearer ${secured.admin.token}` },
        })).text(),
      )?.[1],
    );
  assert.equal(await refusals(), 0);
  const waits: Promise<Response>[] = [];
  for (const [token, taken] of [[a.token, 2], [b.token, 1]] as const) {
    for (let i = 0; i < taken; i++) waits.push(create(token));
    await untilHeld(manager, waits.length * body.length, secured.admin.token);
    const refused = await create(token);
    assert.equal(refused.status, 503);
    assert.match((await refused.json()).detail, /This key's creates that wait/);
  }
  waits.push(create(c.token));
  await untilHeld(manager, 4 * body.length, secured.admin.token);
  assert.equal(await refusals(), 2);

  const tasks = await manager.service.listTasks({ executorName: "held" }, { limit: 10 });
  assert.equal(tasks.items.length, 4, "A's two, B's one and C's one");
  for (const task of tasks.items) await manager.service.cancelTask(task.id);
  for (const wait of waits) assert.equal((await (await wait).json()).task.status, "cancelled");
  await untilHeld(manager, 0, secured.admin.token);
});

Deno.test("RequestBytesInFlight: a request that waits takes from its connection's account and from the waits' share, and gives back to both", () => {
  const inFlight = new RequestBytesInFlight({ total: 100, perConnection: 100, receiveMs: 1000 });
  const connection = inFlight.connection();
  const [a, b] = [connection.waiting(), connection.waiting()];
  a.take(30);
  b.take(20);
  assert.throws(() => b.take(1), /half of MAX_REQUEST_BYTES_IN_FLIGHT/);
  assert.equal(inFlight.waitsHeld, 50);
  connection.take(50);
  assert.equal(inFlight.held, 100);
  a.give(1000);
  assert.equal(a.held, 0);
  assert.equal(inFlight.waitsHeld, 20);
  assert.equal(inFlight.held, 70);
  b.take(30);
  assert.equal(inFlight.waitsHeld, 50);
});

Deno.test("a REST body read to its end stays held until its request is answered", async () => {
  // A body of 1,000 bytes at most is read into a first buffer of 1,001, held while it is read.
  const account = new RequestBytesInFlight({ total: 2000, perConnection: 2000, receiveMs: 1000 });
  const held = account.connection();
  const answered = Promise.withResolvers<void>();
  const body = JSON.stringify({ a: "b".repeat(100) });
  const request = new Request("http://x/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const read = await readJsonObject(request, {
    maxBytes: 1000,
    held,
    answered: answered.promise,
  });
  assert.equal(read.a, "b".repeat(100));
  assert.equal(account.held, body.length, "held while the work it brings is not answered");
  answered.resolve();
  await answered.promise;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(account.held, 0);
});

Deno.test("the smallest MAX_CONNECTION_REQUEST_BYTES the manager takes lets a gRPC request of MAX_REQUEST_BYTES through, its call's OPEN_CALL_BYTES and header list besides", async () => {
  const requestBytes = 64 * 1024;
  let smallest = 0;
  try {
    loadConfig({
      DATA_DIR: "unused",
      MAX_REQUEST_BYTES: String(requestBytes),
      MAX_CONNECTION_REQUEST_BYTES: "1",
    });
  } catch (error) {
    smallest = Number(
      /MAX_CONNECTION_REQUEST_BYTES must be at least .*?\((\d+)/.exec(
        (error as Error).message,
      )?.[1],
    );
  }
  assert.ok(smallest > requestBytes, `the smallest cap is ${smallest}`);
  await using manager = await startTestManager({
    env: {
      MAX_REQUEST_BYTES: String(requestBytes),
      MAX_CONNECTION_REQUEST_BYTES: String(smallest),
      MAX_REQUEST_BYTES_IN_FLIGHT: String(smallest),
    },
  });
  const session = connect(manager);
  try {
    // A GetTaskRequest of MAX_REQUEST_BYTES: an id that long names no task.
    const call = grpcStream(session, GET_TASK);
    call.end(grpcFrame(getTaskRequest(requestBytes - 4)));
    call.resume();
    const { status, message } = await grpcStatusOf(call);
    assert.notEqual(status, "8", message);
  } finally {
    session.close();
  }
});
