/**
 * A work stream whose network goes silent (no FIN, no RST) is noticed on both ends: a real manager
 * with a short keepalive interval, an SDK worker reaching it through a TCP relay that can stop
 * forwarding on the connections it carries while relaying new ones.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { msFromDuration } from "@tasks-executor/proto";
import { Client, type Logger, Worker } from "../sdk/mod.ts";
import { startTestManager, type TestManager } from "./_manager.ts";
import { restOk } from "./fixtures/rest.ts";
import { TcpRelay } from "./fixtures/tcp_relay.ts";
import { spawnDenoWorker } from "./fixtures/sdk_process.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

const EXECUTOR = "liveness_test";
/** Short, so that three silent intervals pass quickly; the default is 10 s. */
const KEEPALIVE_INTERVAL_MS = 200;
const SILENT_WARNING = "No message from the manager on the work stream, taking it as dead";
const LOST_WARNING = "Lost the work stream to the manager, reconnecting";

/** The worker's warnings, kept for the test to count. */
class Warnings implements Logger {
  readonly lines: { msg: string; fields: Record<string, unknown> }[] = [];
  debug(): void {}
  info(): void {}
  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ msg, fields });
  }
  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push({ msg, fields });
  }
  count(msg: string): number {
    return this.lines.filter((line) => line.msg === msg).length;
  }
  describe(): string {
    return this.lines.map((line) => `${line.msg} ${JSON.stringify(line.fields)}`).join("\n");
  }
}

/** Waits (polling every 20 ms) until `check` holds, failing after a generous deadline. */
async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  detail: () => string = () => "",
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting until ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface ListedWorker {
  workerId: string;
  connectedAt: string;
  disconnectedAt: string | null;
}

/** The connections of `workerId` the manager lists as open (REST `GET /workers`). */
async function openSessions(manager: TestManager, workerId: string): Promise<ListedWorker[]> {
  const { workers } = await restOk(manager, "GET", "/workers") as { workers: ListedWorker[] };
  return workers.filter((w) => w.workerId === workerId && !w.disconnectedAt);
}

async function startWorker(address: string, workerId: string, log: Warnings): Promise<Worker> {
  const worker = new Worker({
    address,
    workerId,
    handleSignals: false,
    logger: log,
    shutdownGraceMs: 1000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    executors: [{ name: EXECUTOR, handler: (data: unknown) => ({ echoed: data }) }],
  });
  await worker.start();
  return worker;
}

function managerWithKeepalive(): Promise<TestManager> {
  return startTestManager({ env: { KEEPALIVE_INTERVAL: `${KEEPALIVE_INTERVAL_MS}ms` } });
}

Deno.test("a worker whose connection goes silent notices, reconnects and runs a task created afterwards; the manager drops the silent session", async () => {
  await using manager = await managerWithKeepalive();
  await using relay = TcpRelay.start(manager.grpcAddress);
  const log = new Warnings();
  const worker = await startWorker(relay.address, "silenced-worker", log);
  try {
    await waitUntil(
      "the worker is listed",
      async () => (await openSessions(manager, "silenced-worker")).length === 1,
    );
    const [before] = await openSessions(manager, "silenced-worker");
    const acceptedBefore = relay.accepted;

    relay.silence();

    await waitUntil(
      "the worker says its stream went silent",
      () => log.count(SILENT_WARNING) > 0,
      () => log.describe(),
    );
    const [silent] = log.lines.filter((line) => line.msg === SILENT_WARNING);
    assert.ok(
      (silent.fields.silentMs as number) >= 3 * KEEPALIVE_INTERVAL_MS,
      `silent for at least 3 intervals: ${JSON.stringify(silent.fields)}`,
    );
    assert.equal(silent.fields.keepaliveIntervalMs, KEEPALIVE_INTERVAL_MS);
    // Through the existing reconnect path, which says when it tries again.
    await waitUntil(
      "the worker reconnects",
      () => log.count(LOST_WARNING) > 0,
      () => log.describe(),
    );
    const lost = log.lines.find((line) => line.msg === LOST_WARNING)!;
    assert.equal(typeof lost.fields.retryInMs, "number");

    using client = new Client({ address: manager.grpcAddress });
    const task = await client.createTask(EXECUTOR, { n: 1 });
    const done = await client.waitForTask(task.id, { timeoutMs: 30_000 });
    assert.equal(done.status, "completed", log.describe());
    assert.deepEqual(done.result, { echoed: { n: 1 } });
    assert.ok(relay.accepted > acceptedBefore, "the worker came back on a new connection");

    // The silent session is gone: the one listed now is the new connection.
    await waitUntil(
      "the manager lists only the new connection",
      async () => {
        const open = await openSessions(manager, "silenced-worker");
        return open.length === 1 && open[0].connectedAt !== before.connectedAt;
      },
    );
  } finally {
    await worker.stop();
  }
});

Deno.test("the manager drops a keepalive-speaking session whose connection goes silent, though its worker never comes back", async () => {
  await using manager = await managerWithKeepalive();
  await restOk(manager, "POST", "/executors", { config: { name: EXECUTOR } });
  await using relay = TcpRelay.start(manager.grpcAddress);
  // A hand-driven stream that speaks keepalive: an empty heartbeat every interval, and no
  // reconnect of its own.
  const worker = await TestWorker.connect(relay.address, {
    workerId: "vanished-worker",
    executors: [EXECUTOR],
    keepalive: true,
  });
  const beat = setInterval(
    () => worker.send({ heartbeat: { taskIds: [] } }),
    KEEPALIVE_INTERVAL_MS,
  );
  try {
    // Alive while it speaks: keepalives come and it stays listed.
    await worker.next((m) => m.kind === "keepalive");
    assert.equal((await openSessions(manager, "vanished-worker")).length, 1);
    relay.silence();
    await waitUntil(
      "the manager no longer lists the silent session",
      async () => (await openSessions(manager, "vanished-worker")).length === 0,
    );
  } finally {
    clearInterval(beat);
    worker.kill();
  }
});

Deno.test("the welcome names the keepalive interval; a silent keepalive speaker is dropped while a worker without keepalive is kept and sent none", async () => {
  await using manager = await managerWithKeepalive();
  await restOk(manager, "POST", "/executors", { config: { name: EXECUTOR } });
  // An older worker: its hello says nothing of keepalive, and it sends nothing while idle.
  await using older = await TestWorker.connect(manager.grpcAddress, {
    workerId: "older-worker",
    executors: [EXECUTOR],
  });
  const silent = await TestWorker.connect(manager.grpcAddress, {
    workerId: "silent-speaker",
    executors: [EXECUTOR],
    keepalive: true,
  });
  try {
    const welcome = older.received.find((m) => m.kind === "welcome")!.welcome!;
    assert.equal(msFromDuration(welcome.keepaliveInterval), KEEPALIVE_INTERVAL_MS);
    await silent.next((m) => m.kind === "keepalive");
    const end = await silent.ended;
    assert.equal(end.code, grpc.status.UNAVAILABLE);
    assert.match(end.details, /^No message from the worker for \d+ ms$/);
    assert.equal((await openSessions(manager, "silent-speaker")).length, 0);
    // The older worker was as quiet for as long, and is still there, sent no keepalive.
    assert.equal((await openSessions(manager, "older-worker")).length, 1);
    assert.deepEqual(older.received.map((m) => m.kind), ["welcome"]);
  } finally {
    silent.kill();
  }
});

Deno.test("a healthy idle worker is neither dropped nor reconnects over many keepalive intervals", async () => {
  await using manager = await managerWithKeepalive();
  await using relay = TcpRelay.start(manager.grpcAddress);
  const log = new Warnings();
  const worker = await startWorker(relay.address, "idle-worker", log);
  try {
    await waitUntil(
      "the worker is listed",
      async () => (await openSessions(manager, "idle-worker")).length === 1,
    );
    const [before] = await openSessions(manager, "idle-worker");
    const accepted = relay.accepted;
    const start = { ...relay.forwarded };
    // Idle, the only traffic is keepalives: 20 chunks each way are ten intervals or more.
    await waitUntil(
      "keepalives went both ways for many intervals",
      () =>
        relay.forwarded.toClient - start.toClient >= 20 &&
        relay.forwarded.toTarget - start.toTarget >= 20,
    );
    assert.equal(log.count(SILENT_WARNING), 0, log.describe());
    assert.equal(log.count(LOST_WARNING), 0, log.describe());
    assert.equal(relay.accepted, accepted, "no new connection");
    const open = await openSessions(manager, "idle-worker");
    assert.deepEqual(open.map((w) => w.connectedAt), [before.connectedAt]);
  } finally {
    await worker.stop();
  }
});

Deno.test(
  "a handler that keeps its worker's event loop busy past the silence limit has its one result kept: the stream is dropped and the worker sends the result on the next",
  async () => {
    await using manager = await managerWithKeepalive();
    await using worker = spawnDenoWorker(manager.grpcAddress, {
      SDK_WORKER_ID: "blocking-worker",
      SDK_TIMEOUT_MS: "60000",
    });
    await worker.waitForLine((line) => line === "ready");
    using client = new Client({ address: manager.grpcAddress });
    // Eight intervals without a turn of the loop: no keepalive, no heartbeat, nothing read.
    const blockMs = 8 * KEEPALIVE_INTERVAL_MS;
    const task = await client.createTask("sdk_test", { mode: "block", ms: blockMs });
    const done = await client.waitForTask(task.id, { timeoutMs: 30_000 });

    assert.equal(done.status, "completed", worker.describe());
    assert.deepEqual(done.result, { blocked: blockMs, attempt: 1 });
    assert.equal(done.attempt, 1);
    assert.deepEqual(done.errors, []);
    assert.equal(worker.lines.filter((line) => line.startsWith(`started ${task.id} `)).length, 1);
    // The manager did take the blocked stream for dead meanwhile, and the worker came back.
    assert.ok(
      worker.tail.some((line) =>
        line.includes(LOST_WARNING) && line.includes("No message from the worker")
      ),
      worker.describe(),
    );
  },
);

/**
 * The kernel's timer of each established TCP socket on local port `port` (`/proc/net/tcp`): 2 is
 * the keepalive timer, 0 none.
 */
async function timersOnLocalPort(port: number): Promise<number[]> {
  const table = await Deno.readTextFile("/proc/net/tcp");
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return table.split("\n").slice(1).map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === "01")
    .map((cols) => Number(cols[5].split(":")[0]));
}

Deno.test({
  name:
    "every gRPC connection the manager accepts has TCP keepalive on, so a silent peer that speaks no keepalive of ours is let go too",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using manager = await managerWithKeepalive();
    using client = new Client({ address: manager.grpcAddress });
    await client.registerExecutor(EXECUTOR, {});
    const task = await client.createTask(EXECUTOR, { n: 1 });
    // A watch that nothing answers holds its connection open and quiet on the manager's side.
    const stop = new AbortController();
    const watching = client.waitForTask(task.id, { timeoutMs: 60_000, signal: stop.signal })
      .catch(() => null);
    const port = Number(manager.grpcAddress.slice(manager.grpcAddress.lastIndexOf(":") + 1));
    let timers: number[] = [];
    await waitUntil("the manager's side of the connection is listed", async () => {
      timers = await timersOnLocalPort(port);
      return timers.length > 0;
    });
    assert.deepEqual([...new Set(timers)], [2], `timers on port ${port}: ${timers}`);
    stop.abort();
    await watching;
  },
});
