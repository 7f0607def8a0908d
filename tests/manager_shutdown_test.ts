/**
 * Stopping an in-process manager: open event streams end, worker streams and every accepted
 * connection are closed within the grace period, answers on their way are let through, and
 * nothing is left for Deno's sanitizers.
 */
import assert from "node:assert/strict";
import {
  callHeaders,
  type DeafConnection,
  deafConnection,
  frame,
  grpcFrame,
  openedAndReset,
  stalledCall,
  stringsMessage,
} from "./fixtures/raw_h2.ts";
import { makePki } from "./fixtures/pki.ts";
import { restOk } from "./fixtures/rest.ts";
import { TestWorker } from "./fixtures/test_worker.ts";
import { closedByPeer } from "./fixtures/closed_by_peer.ts";
import { startTestManager } from "./_manager.ts";

const GRACE_MS = 10_000;

/** Reads `body` to its end; rejects if the stream is cut instead of ended. */
async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
}

/**
 * Asks `client` (which reads only what the transport needs) for task `taskId`, waits until the
 * answer's first window has arrived (the rest waits for the client), then starts the manager's
 * shutdown and waits for its GOAWAY: the answer holds the shutdown in its grace period. The call,
 * and the shutdown's promise.
 */
async function stopWithAnswerHeld(
  manager: { shutdown(): Promise<void> },
  client: DeafConnection,
  taskId: string,
): Promise<{ call: number; stopping: Promise<void> }> {
  const call = await client.call(
    "/taskexecutor.v1.TaskExecutorManagerService/GetTask",
    stringsMessage(1, [taskId]),
  );
  client.readTransportOnly();
  while (client.received(call) < 65_535) await new Promise((r) => setTimeout(r, 10));
  const stopping = manager.shutdown();
  await client.goaway;
  return { call, stopping };
}

Deno.test("a manager with an event subscriber, a worker stream and idle connections stops within its grace period, ends the event stream and leaves nothing open", async () => {
  const manager = await startTestManager({ env: { SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
  const grpcPort = Number(manager.grpcAddress.split(":").at(-1));
  const httpPort = Number(new URL(manager.httpUrl).port);
  const idle: Deno.Conn[] = [];
  let stopping: Promise<void> | undefined;
  try {
    const created = await fetch(`${manager.httpUrl}/api/v1/executors`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ config: { name: "stopping" } }),
    });
    assert.equal(created.status, 201);
    await created.body?.cancel();

    const events = await fetch(`${manager.httpUrl}/api/v1/events`);
    assert.equal(events.status, 200);
    const reader = events.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /: connected/);

    const worker = await TestWorker.connect(manager.grpcAddress, {
      workerId: "stopping-worker",
      executors: ["stopping"],
    });
    // A REST connection kept alive after its answer, and connections that never sent a byte.
    const keptAlive = await Deno.connect({ hostname: "127.0.0.1", port: httpPort });
    idle.push(keptAlive);
    await keptAlive.write(
      new TextEncoder().encode("GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"),
    );
    assert.ok((await keptAlive.read(new Uint8Array(1024)) ?? 0) > 0);
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port: httpPort }));
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port: grpcPort }));

    let timer: number | undefined;
    const outcome = await Promise.race([
      (stopping = manager.shutdown()).then(() => "stopped"),
      new Promise((resolve) => timer = setTimeout(() => resolve("grace period over"), GRACE_MS)),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "stopped");

    // The event stream ended (a cut stream would reject here), the worker heard the end.
    await readToEnd(reader);
    const end = await worker.ended;
    assert.ok(end.code !== 0, `the worker stream ended with ${JSON.stringify(end)}`);
    await worker.close();
    for (const conn of idle) assert.equal(await closedByPeer(conn), true);
  } finally {
    for (const conn of idle) conn.close();
    // A shutdown that hangs fails the test above; waiting for it here would hang the run.
    if (!stopping) await manager.shutdown();
  }
});

for (const transport of ["plaintext", "TLS"] as const) {
  Deno.test(`a gRPC answer still on its way to a slow client when the manager stops reaches it whole, its status included (${transport}): the shutdown waits for it within the grace period`, async () => {
    const pki = transport === "TLS" ? await makePki() : null;
    const ca = pki && await Deno.readTextFile(pki.ca);
    const manager = await startTestManager({
      env: {
        SHUTDOWN_GRACE_MS: String(GRACE_MS),
        ...pki ? { TLS_CERT_FILE: pki.serverCert, TLS_KEY_FILE: pki.serverKey } : {},
      },
    });
    using httpClient = Deno.createHttpClient(ca ? { caCerts: [ca] } : {});
    const target = { httpUrl: manager.httpUrl, httpClient };
    let stopping: Promise<void> | undefined;
    try {
      await restOk(target, "POST", "/executors", { config: { name: "slow-reader" } });
      const { task } = await restOk(target, "POST", "/tasks", {
        executorName: "slow-reader",
        data: "a".repeat(900_000),
      });
      using client = await deafConnection(
        Number(manager.grpcAddress.split(":").at(-1)),
        ca ? { tls: { ca } } : {},
      );
      // The stream's first window's worth arrives; the other 835 KB wait for the client.
      const held = await stopWithAnswerHeld(manager, client, task.id);
      stopping = held.stopping;
      const call = held.call;
      // Time for a shutdown that does not wait to cut the connection (it did, 12 ms in).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const answer = (await client.read(1)).get(call)!;
      // Ended: its trailers came (over TLS they were lost with a socket destroyed at once).
      assert.deepEqual(
        { ended: answer.ended, reset: answer.reset, whole: answer.data > 900_000 },
        { ended: true, reset: null, whole: true },
        `${answer.data} bytes`,
      );
      await stopping;
    } finally {
      if (!stopping) await manager.shutdown();
      if (pki) await Deno.remove(pki.dir, { recursive: true });
    }
  });
}

Deno.test("clients that keep a stream open hold no shutdown for its grace period: a reflection stream, a call sent as headers alone (refused: it never ran), and a Produce stream its client never ends", async () => {
  const grace = 60_000;
  const manager = await startTestManager({
    // Idle connections are not closed meanwhile (grpc-js's own timer would end them at last).
    env: { SHUTDOWN_GRACE_MS: String(grace), CONNECTION_IDLE_MS: String(2 * grace) },
  });
  const port = Number(manager.grpcAddress.split(":").at(-1));
  let stopping: Promise<void> | undefined;
  const open: Disposable[] = [];
  try {
    // ServerReflectionRequest { list_services: "*" }, the client's side left open.
    open.push(
      await stalledCall(
        port,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        [stringsMessage(7, ["*"])],
        { end: false },
      ),
      await stalledCall(port, "/taskexecutor.v1.TaskExecutorManagerService/ListExecutors", [], {
        end: false,
      }),
      await stalledCall(port, "/taskexecutor.v1.TaskExecutorManagerService/Produce", [], {
        end: false,
      }),
    );
    // Each is open on the manager before it stops.
    await new Promise((resolve) => setTimeout(resolve, 300));
    let timer: number | undefined;
    const outcome = await Promise.race([
      (stopping = manager.shutdown()).then(() => "stopped"),
      new Promise((resolve) => timer = setTimeout(() => resolve("held"), grace / 6)),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, "stopped");
  } finally {
    for (const each of open) each[Symbol.dispose]();
    if (!stopping) await manager.shutdown();
    else await stopping;
  }
});

Deno.test("a gRPC connection accepted before the manager stops whose client sends its preface and a call after is refused a session: the call never runs", async () => {
  const manager = await startTestManager({ env: { SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
  const port = Number(manager.grpcAddress.split(":").at(-1));
  await restOk(manager, "POST", "/executors", { config: { name: "held" } });
  const { task } = await restOk(manager, "POST", "/tasks", {
    executorName: "held",
    data: "a".repeat(300_000),
  });
  let stopping: Promise<void> | undefined;
  const late = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    // An answer its client does not read holds the shutdown in its grace period meanwhile.
    using client = await deafConnection(port);
    ({ stopping } = await stopWithAnswerHeld(manager, client, task.id));
    const [preface] = openedAndReset(port, "/no.Such/Method", 0);
    await late.write(preface);
    const path = "/taskexecutor.v1.TaskExecutorManagerService/ListExecutors";
    await late.write(frame(0x1, 0x4, 1, new Uint8Array(callHeaders(port, path))));
    await late.write(frame(0x0, 0x1, 1, grpcFrame(new Uint8Array())));
    const answered = new Uint8Array(1024);
    const bytes: number[] = [];
    for (let n; (n = await late.read(answered).catch(() => null)) !== null;) {
      bytes.push(...answered.subarray(0, n));
    }
    // Closed with nothing written: no SETTINGS, no answer (one was served before the fix).
    assert.deepEqual(bytes, []);
  } finally {
    late.close();
    if (!stopping) await manager.shutdown();
    else await stopping;
  }
});

Deno.test("a TLS connection whose handshake ends after the manager stopped is closed at once, not when its preface's deadline ends", async () => {
  const pki = await makePki();
  const ca = await Deno.readTextFile(pki.ca);
  const manager = await startTestManager({
    env: {
      TLS_CERT_FILE: pki.serverCert,
      TLS_KEY_FILE: pki.serverKey,
      TLS_HANDSHAKE_MS: "600000",
      CONNECTION_IDLE_MS: "600000",
    },
  });
  const port = Number(manager.grpcAddress.split(":").at(-1));
  const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await manager.shutdown();
    const conn = await Deno.startTls(tcp, {
      hostname: "localhost",
      caCerts: [ca],
      alpnProtocols: ["h2"],
    });
    // Else it would wait for a preface for 10 minutes.
    let timer: number | undefined;
    const outcome = await Promise.race([
      closedByPeer(conn).then(() => "closed"),
      new Promise((resolve) => timer = setTimeout(() => resolve("still open"), 20_000)),
    ]);
    clearTimeout(timer);
    conn.close();
    assert.equal(outcome, "closed");
  } finally {
    await Deno.remove(pki.dir, { recursive: true });
  }
});
