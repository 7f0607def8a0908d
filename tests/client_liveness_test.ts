/**
 * A producer's `Client` whose connection goes silent (no FIN, no RST) leaves it for a new one, and
 * one on a live connection keeps it: a real manager, a `Client` reaching it through a TCP relay
 * that can stop forwarding on the connections it carries while relaying new ones.
 */
import assert from "node:assert/strict";
import { Client, type Logger, UnavailableError, WaitTimeoutError, Worker } from "../sdk/mod.ts";
import { startTestManager } from "./_manager.ts";
import { TcpRelay } from "./fixtures/tcp_relay.ts";

const EXECUTOR = "client_liveness_test";
const DEADLINE_EXCEEDED = 4;
const QUIET: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Whether `error` is the error of a call whose connection was taken for dead and replaced. */
function replaced(code: number): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof UnavailableError, String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.connectionReplaced, true, error.message);
    assert.match(error.message, /replaced/);
    return true;
  };
}

Deno.test("a Client whose connection goes silent fails the call at its deadline, says the connection was replaced, and its next call creates a task over a new connection that a worker runs", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  using client = new Client({ address: relay.address, callTimeoutMs: 500 });
  await client.registerExecutor(EXECUTOR);
  assert.equal(relay.accepted, 1);

  relay.silence();

  // (a) At its deadline, after the health check on the silent connection got no answer either.
  await assert.rejects(client.listExecutors(), replaced(DEADLINE_EXCEEDED));
  // (b) The next call goes over a new connection, and the task it makes is run.
  const task = await client.createTask(EXECUTOR, { n: 1 });
  assert.equal(relay.accepted, 2, "the next call opened a new connection");
  const worker = new Worker({
    address: manager.grpcAddress,
    handleSignals: false,
    logger: QUIET,
    shutdownGraceMs: 1000,
    executors: [{ name: EXECUTOR, handler: (data: unknown) => ({ echoed: data }) }],
  });
  await worker.start();
  try {
    const done = await client.waitForTask(task.id, { timeoutMs: 30_000 });
    assert.equal(done.status, "completed");
    assert.deepEqual(done.result, { echoed: { n: 1 } });
  } finally {
    await worker.stop();
  }
  assert.equal(relay.accepted, 2, "the new connection carried on");
});

Deno.test("a task watch on a connection that goes silent watches again over a new one once a call finds the connection dead, and answers the task once final, long before its own timeout", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  using client = new Client({ address: relay.address, callTimeoutMs: 500 });
  await client.registerExecutor(EXECUTOR);
  // No worker: the task stays pending, and its watch waits.
  const task = await client.createTask(EXECUTOR, {});
  const watching = client.waitForTask(task.id, { timeoutMs: 600_000 });
  // Answered on the same connection, after the watch was sent on it.
  await client.getTask(task.id);

  relay.silence();

  await assert.rejects(client.getTask(task.id), replaced(DEADLINE_EXCEEDED));
  // The watch, ended with UNAVAILABLE on the dead connection, waits on over the new one.
  await client.cancelTask(task.id);
  const final = await watching;
  assert.deepEqual([final.id, final.status], [task.id, "cancelled"]);
  assert.equal(relay.accepted, 2);
});

Deno.test("a wait whose manager went silent on every connection, new ones too, ends at its timeout with UnavailableError saying the manager stayed unreachable, not WaitTimeoutError", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  using client = new Client({ address: relay.address, callTimeoutMs: 500 });
  await client.registerExecutor(EXECUTOR);
  const task = await client.createTask(EXECUTOR, {});
  // Long enough for the call below to find the connection dead first; nothing here is timed.
  const watching = client.waitForTask(task.id, { timeoutMs: 6_000 }).catch((error) => error);
  await client.getTask(task.id);

  relay.silenceAll();

  await assert.rejects(client.getTask(task.id), replaced(DEADLINE_EXCEEDED));
  const ended = await watching;
  assert.ok(ended instanceof UnavailableError, String(ended));
  assert.match(ended.message, /the manager stayed unreachable or unavailable/);
});

Deno.test("a wait that lost its connection and got through again on a new one ends at its timeout with WaitTimeoutError: the manager was back, the task not final", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  using client = new Client({ address: relay.address, callTimeoutMs: 500 });
  await client.registerExecutor(EXECUTOR);
  const task = await client.createTask(EXECUTOR, {});
  // Long enough to be open on the manager before the cut; nothing here is timed.
  const watching = client.waitForTask(task.id, { timeoutMs: 3_000 }).catch((error) => error);
  while (manager.service.watch.size === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  relay.cut();
  const ended = await watching;
  assert.ok(ended instanceof WaitTimeoutError, String(ended));
  assert.equal(ended.lastStatus, "pending");
  assert.equal(relay.accepted, 2, "watched again over a new connection");
});

Deno.test("a wait that lost its connection, got through again, and whose new connection then goes silent ends with UnavailableError saying the manager stayed unreachable", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  using client = new Client({ address: relay.address, callTimeoutMs: 3_000 });
  await client.registerExecutor(EXECUTOR);
  const task = await client.createTask(EXECUTOR, {});
  // Long enough to be open again before the silence; nothing here is timed.
  const watching = client.waitForTask(task.id, { timeoutMs: 5_000 }).catch((error) => error);
  const until = async (ready: () => boolean) => {
    while (!ready()) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  await until(() => manager.service.watch.size === 1);
  relay.cut();
  // Open again over a new connection, whose stream's headers came: then it goes silent.
  await until(() => relay.accepted === 2 && relay.forwarded.toClient > 0);
  await until(() => manager.service.watch.size === 1);
  relay.silenceAll();
  const ended = await watching;
  assert.ok(ended instanceof UnavailableError, String(ended));
  assert.match(ended.message, /the manager stayed unreachable or unavailable/);
});

Deno.test("a createTaskAndWait whose connection dropped once its task was made, and whose manager stays silent on every new one, ends at its timeout with UnavailableError saying the manager stayed unreachable", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  using client = new Client({ address: relay.address, callTimeoutMs: 500 });
  await client.registerExecutor(EXECUTOR);
  let created = false;
  // Long enough to be created before the cut; nothing here is timed.
  const waiting = client.createTaskAndWait(EXECUTOR, {}, {
    timeoutMs: 4_000,
    onCreated: () => created = true,
  }).catch((error) => error);
  while (!created) await new Promise((resolve) => setTimeout(resolve, 10));
  relay.silenceAll();
  relay.cut();
  const ended = await waiting;
  assert.ok(ended instanceof UnavailableError, String(ended));
  assert.match(ended.message, /the manager stayed unreachable or unavailable/);
});

Deno.test("a Client on a live connection keeps it when calls end at their deadlines before any answer, and when a watch waits out its timeout with nothing to say", async () => {
  await using manager = await startTestManager();
  await using relay = TcpRelay.start(manager.grpcAddress);
  {
    using client = new Client({ address: relay.address, callTimeoutMs: 5000 });
    await client.registerExecutor(EXECUTOR);
    const task = await client.createTask(EXECUTOR, {});
    // Nothing arrives on the stream while the task stays pending.
    await assert.rejects(
      client.waitForTask(task.id, { timeoutMs: 300 }),
      (error) => error instanceof WaitTimeoutError && error.lastStatus === "pending",
    );
    assert.equal((await client.getTask(task.id)).status, "pending");
    assert.equal(relay.accepted, 1, "one connection throughout");
  }
  // A deadline too short for any answer: nothing arrives before it, every time.
  using hasty = new Client({ address: relay.address, callTimeoutMs: 1 });
  const acceptedBefore = relay.accepted;
  let deadlines = 0;
  for (let i = 0; i < 5; i++) {
    try {
      await hasty.listExecutors();
    } catch (error) {
      assert.ok(error instanceof UnavailableError, String(error));
      assert.equal(error.code, DEADLINE_EXCEEDED);
      assert.equal(error.connectionReplaced, false, error.message);
      deadlines++;
    }
  }
  assert.ok(deadlines > 0, "some calls ended at their deadline");
  assert.equal(relay.accepted, acceptedBefore + 1, "the hasty client kept its one connection");
});
