/**
 * Stopping an in-process manager: open event streams end, worker streams and every accepted
 * connection are closed within the grace period, and nothing is left for Deno's sanitizers.
 */
import assert from "node:assert/strict";
import { TestWorker } from "./fixtures/test_worker.ts";
import { startTestManager } from "./_manager.ts";

const GRACE_MS = 10_000;

/** Resolves with true once the peer closes `conn` (end of stream or reset). */
async function closedByPeer(conn: Deno.Conn): Promise<true> {
  const buffer = new Uint8Array(1024);
  while (true) {
    try {
      if (await conn.read(buffer) === null) return true;
    } catch {
      return true;
    }
  }
}

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
