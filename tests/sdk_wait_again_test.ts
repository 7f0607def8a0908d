/**
 * The SDK's waits outlive their manager going away: a wait that loses a manager it had reached
 * (stopped, restarted, its connection dropped) watches its tasks again until its own timeout.
 * A real manager process, stopped (SIGKILL, or SIGTERM, which ends its waits with UNAVAILABLE)
 * and started again on the same data dir and ports; a manager stopped for good; and an HTTP/2
 * server that resets the stream it served, or answers as a proxy that never reached a manager. A
 * wait on a manager never reached fails at once (sdk_client_unreachable_test.ts), and one the
 * manager ended for a reason it gave, a revoked key, ends with it (sdk_produce_test.ts).
 */
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import { join } from "node:path";
import { Client, UnavailableError, Worker } from "../sdk/mod.ts";
import { startTestManager } from "./_manager.ts";
import { managerSpec, startManagerProc } from "./fixtures/resilience_cluster.ts";
import { tempDir } from "./fixtures/temp_dir.ts";

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  Deno.test(`createTaskAndWait and waitForTasks outlive a manager stopped with ${signal} and started again: they watch again and answer the tasks once final`, () =>
    waitsOutlive(signal));
}

async function waitsOutlive(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
  await using dir = await tempDir("sdk-wait-restart-", { ignoreRemoveErrors: true });
  const spec = managerSpec(join(dir.path, "data"));
  await using first = await startManagerProc("manager", spec);
  const made = await fetch(`${first.url}/api/v1/executors`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "restarted" }),
  });
  await made.body?.cancel();
  assert.equal(made.status, 201);

  using client = new Client({ address: first.grpcAddress });
  const other = await client.createTask("restarted", { n: 2 });
  const created = Promise.withResolvers<string>();
  const waited = client.createTaskAndWait<{ n: number }, { doubled: number }>(
    "restarted",
    { n: 1 },
    { timeoutMs: 60_000, onCreated: (task) => created.resolve(task.id) },
  );
  // A client that only waits has heard nothing but its stream's headers from the manager.
  using waiter = new Client({ address: first.grpcAddress });
  const many = waiter.waitForTasks<{ n: number }, { doubled: number }>([other.id], {
    timeoutMs: 60_000,
  });
  const id = await created.promise;
  // Both waits are open on the manager (no worker runs the tasks yet): it stops under them, at
  // once or ending them with UNAVAILABLE.
  while (await watchers(first.url) < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  first.kill(signal);
  await first.status;

  await using second = await startManagerProc("manager (restarted)", spec);
  const worker = new Worker({
    address: second.grpcAddress,
    executors: [{
      name: "restarted",
      handler: (data: { n: number }) => Promise.resolve({ doubled: data.n * 2 }),
    }],
  });
  const working = worker.start();
  try {
    const [task, [otherTask]] = await Promise.all([waited, many]);
    assert.equal(task.id, id);
    assert.deepEqual([task.status, task.result], ["completed", { doubled: 2 }]);
    assert.deepEqual([otherTask.status, otherTask.result], ["completed", { doubled: 4 }]);
  } finally {
    await worker.stop();
    await working;
  }
}

/** The manager's count of open waits (`tasks_executor_task_watchers`). */
async function watchers(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^tasks_executor_task_watchers (\d+)/m.exec(text)?.[1] ?? 0);
}

Deno.test({
  name:
    "waitForTask and createTaskAndWait on a manager stopped for good watch again until their timeout, then end with UnavailableError saying so",
  // grpc-js keeps a refused connection's reconnect backoff timer after the client closes.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const manager = await startTestManager();
    try {
      using client = new Client({ address: manager.grpcAddress });
      await client.registerExecutor("idle");
      const task = await client.createTask("idle", null);
      // Long enough to be open when the manager stops; nothing here is timed.
      const waiting = client.waitForTask(task.id, { timeoutMs: 3_000 }).catch((e) => e);
      let createdId = "";
      const creating = client.createTaskAndWait("idle", {}, {
        timeoutMs: 3_000,
        onCreated: (created) => createdId = created.id,
      }).catch((e) => e);
      while (createdId === "" || manager.service.watch.size < 2) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await manager.shutdown();
      for (const ended of await Promise.all([waiting, creating])) {
        assert.ok(ended instanceof UnavailableError, String(ended));
        assert.match(
          ended.message,
          /watched again for 3000 ms in all, and the manager stayed unreachable or unavailable/,
        );
        assert.ok(ended.cause instanceof UnavailableError, String(ended.cause));
      }
    } finally {
      await manager.shutdown();
    }
  },
});

/**
 * An HTTP/2 server on a free port that answers every stream with `answer`; counts the streams.
 */
async function fakeServer(
  answer: (stream: http2.ServerHttp2Stream) => void,
): Promise<{ address: string; streams: () => number } & AsyncDisposable> {
  let streams = 0;
  const server = http2.createServer();
  server.on("stream", (stream: http2.ServerHttp2Stream) => {
    streams++;
    stream.on("error", () => {});
    answer(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    streams: () => streams,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test({
  name:
    "a wait whose stream a gRPC server served and then reset (CANCEL, as a manager forced to shut down does) watches again",
  // grpc-js keeps a connection's reconnect backoff timer after the client closes.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using server = await fakeServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" });
      stream.close(http2.constants.NGHTTP2_CANCEL);
    });
    using client = new Client({ address: server.address });
    const stop = new AbortController();
    const waiting = client.waitForTask("01a2384a6e4e028ba5d85f124a", {
      timeoutMs: 3_600_000,
      signal: stop.signal,
    }).catch((error) => error);
    let ended = false;
    waiting.finally(() => ended = true);
    while (!ended && server.streams() < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    stop.abort(new Error("seen enough"));
    assert.match(String(await waiting), /seen enough/, "watched again, until its signal");
  },
});

Deno.test({
  name:
    "a wait answered by a proxy that never reached a manager (HTTP 502, no gRPC) fails at once: nothing said the manager was reached",
  // grpc-js keeps a connection's reconnect backoff timer after the client closes.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using server = await fakeServer((stream) => {
      stream.respond({ ":status": 502 });
      stream.end();
    });
    using client = new Client({ address: server.address });
    // A wait that watched again would go on until its signal, which only turns such a hang into
    // a failure.
    const ended = await client.waitForTask("01a2384a6e4e028ba5d85f124a", {
      timeoutMs: 3_600_000,
      signal: AbortSignal.timeout(30_000),
    }).catch((error) => error);
    assert.ok(ended instanceof UnavailableError, String(ended));
    assert.equal(server.streams(), 1);
  },
});

Deno.test({
  name:
    "a wait on a manager that serves its stream and then ends it with UNAVAILABLE (its store down) watches again until its timeout, then ends with UnavailableError naming both",
  // grpc-js keeps a connection's reconnect backoff timer after the client closes.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await using server = await fakeServer((stream) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
        waitForTrailers: true,
      });
      stream.on(
        "wantTrailers",
        () =>
          stream.sendTrailers({ "grpc-status": "14", "grpc-message": "The store is unavailable" }),
      );
      stream.end();
    });
    using client = new Client({ address: server.address });
    // How long the wait watches again; nothing here is timed.
    const ended = await client.waitForTask("01a2384a6e4e028ba5d85f124a", { timeoutMs: 1_500 })
      .catch((error) => error);
    assert.ok(ended instanceof UnavailableError, String(ended));
    assert.match(ended.message, /The store is unavailable/);
    assert.match(ended.message, /the manager stayed unreachable or unavailable/);
    assert.ok(server.streams() >= 2, `${server.streams()} streams: it did not watch again`);
  },
});
