/**
 * A worker's results reach the manager across a lost stream, also while the worker stops: a real
 * manager, an SDK worker reaching it through a TCP relay that can cut its connections.
 */
import assert from "node:assert/strict";
import { Client, type Logger, Worker } from "../sdk/mod.ts";
import { startTestManager } from "./_manager.ts";
import { TcpRelay } from "./fixtures/tcp_relay.ts";

const EXECUTOR = "results_delivery";

/** The worker's log lines, kept for a failure's message. */
class Lines implements Logger {
  readonly lines: string[] = [];
  debug(): void {}
  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push(`info ${msg} ${JSON.stringify(fields)}`);
  }
  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push(`warn ${msg} ${JSON.stringify(fields)}`);
  }
  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.lines.push(`error ${msg} ${JSON.stringify(fields)}`);
  }
  has(prefix: string): boolean {
    return this.lines.some((line) => line.startsWith(prefix));
  }
}

/** Waits (polling every 20 ms) until `check` holds, failing after a generous deadline. */
async function waitUntil(what: string, check: () => boolean, detail = () => ""): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting until ${what}\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A worker of `EXECUTOR` reaching the manager through `relay`, with one handler that runs until
 * `release()` and returns `{ done: true }`; `started()` says whether it began.
 */
async function heldWorker(
  relay: TcpRelay,
  workerId: string,
  reconnect: { initialDelayMs: number; maxDelayMs: number },
) {
  const log = new Lines();
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  let started = false;
  const worker = new Worker({
    address: relay.address,
    workerId,
    handleSignals: false,
    logger: log,
    shutdownGraceMs: 10_000,
    reconnect,
    executors: [{
      name: EXECUTOR,
      handler: async () => {
        started = true;
        await released;
        return { done: true };
      },
    }],
  });
  await worker.start();
  return { worker, log, release: () => release(), started: () => started };
}

Deno.test("a worker stopped while its stream is lost delivers the result of the handler that finishes in its grace over the stream it opens again", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  // The stream lost, the next one comes 600-1200 ms later: the stop falls in that gap.
  const { worker, log, release, started } = await heldWorker(relay, "stopped-while-lost", {
    initialDelayMs: 1200,
    maxDelayMs: 1200,
  });
  using client = new Client({ address: manager.grpcAddress });
  try {
    const task = await client.createTask(EXECUTOR, {});
    await waitUntil("the handler runs", started, () => log.lines.join("\n"));
    relay.cut();
    await waitUntil(
      "the worker notes its stream lost",
      () => log.has("warn Lost the work stream to the manager"),
      () => log.lines.join("\n"),
    );
    const stopped = worker.stop();
    // The handler finishes in the grace period, while no stream is open yet.
    release();
    await stopped;
    const after = await client.getTask(task.id);
    assert.equal(after.status, "completed", log.lines.join("\n"));
    assert.deepEqual(after.result, { done: true });
  } finally {
    release();
    await worker.stop();
  }
});

Deno.test("a worker stopped while the registration before its reconnect hangs delivers the result of the handler that finishes in its grace", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  const { worker, log, release, started } = await heldWorker(relay, "stopped-while-registering", {
    initialDelayMs: 50,
    maxDelayMs: 100,
  });
  using client = new Client({ address: manager.grpcAddress });
  try {
    const task = await client.createTask(EXECUTOR, {});
    await waitUntil("the handler runs", started, () => log.lines.join("\n"));
    // The stream lost, and the registration before the reconnect goes over a connection that
    // forwards nothing: it waits for its deadline (5 s).
    relay.silenceAll();
    relay.cut();
    await waitUntil(
      "the worker notes its stream lost",
      () => log.has("warn Lost the work stream to the manager"),
      () => log.lines.join("\n"),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    // The manager is reachable again; the registration under way still hangs.
    relay.relayNew();
    const stopped = worker.stop();
    release();
    await stopped;
    const after = await client.getTask(task.id);
    assert.equal(after.status, "completed", log.lines.join("\n"));
    assert.deepEqual(after.result, { done: true });
  } finally {
    release();
    await worker.stop();
  }
});

Deno.test("a worker stopped while its reconnect delay is longer than the stop's wait for acknowledgements reconnects at once, also when the stream is lost during the stop, and delivers the result", async () => {
  for (const lostFirst of [true, false]) {
    await using manager = await startTestManager();
    await using relay = TcpRelay.start(manager.grpcAddress);
    // The next stream would come 4-8 s after the loss: past the stop's 3 s wait.
    const { worker, log, release, started } = await heldWorker(
      relay,
      `stopped-before-reconnect-${lostFirst}`,
      { initialDelayMs: 8000, maxDelayMs: 8000 },
    );
    using client = new Client({ address: manager.grpcAddress });
    try {
      const task = await client.createTask(EXECUTOR, {});
      await waitUntil("the handler runs", started, () => log.lines.join("\n"));
      const stopped = lostFirst ? undefined : worker.stop();
      relay.cut();
      await waitUntil(
        "the worker notes its stream lost",
        () => log.has("warn Lost the work stream to the manager"),
        () => log.lines.join("\n"),
      );
      const stopping = stopped ?? worker.stop();
      release();
      await stopping;
      const after = await client.getTask(task.id);
      assert.equal(after.status, "completed", `lostFirst: ${lostFirst}\n${log.lines.join("\n")}`);
      assert.deepEqual(after.result, { done: true });
    } finally {
      release();
      await worker.stop();
    }
  }
});
