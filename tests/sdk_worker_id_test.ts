/**
 * A worker id the manager refuses for good: the SDK's worker checks its own id by the manager's
 * rule before it connects (`start()` rejects naming `/hello/workerId`), and a hello the manager
 * refuses as INVALID_ARGUMENT stops the work stream instead of reconnecting without end.
 */
import assert from "node:assert/strict";
import { WORKER_ID_CHARS } from "@tasks-executor/proto";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { Backoff } from "../sdk/_backoff.ts";
import { WorkConnection, type WorkerState } from "../sdk/_connection.ts";
import { InvalidArgumentError, type ManagerError, Worker } from "../sdk/mod.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

Deno.test("the SDK's worker id bound is the manager's", () => {
  assert.equal(WORKER_ID_CHARS, DEFAULT_LIMITS.idChars);
});

Deno.test("start() refuses a worker id the manager would refuse, naming /hello/workerId, before connecting", async () => {
  const cases: [string, RegExp][] = [
    ["legacy:x", /Must not start with "legacy:"/],
    ["w".repeat(5000), /Must be at most 256 characters, not 5000/],
    ["a\u0000b", /Must not contain U\+0000/],
    ["a\ud800", /well-formed/],
    ["  ", /Is required/],
  ];
  for (const [workerId, message] of cases) {
    // Nothing listens at this address; without registration, a worker that did not check its id
    // would resolve `start()` and retry its work stream in the background.
    const worker = new Worker({
      address: "127.0.0.1:1",
      workerId,
      logger: false,
      handleSignals: false,
      register: false,
      executors: [{ name: "e", handler: () => null }],
    });
    const error = await worker.start().then(() => null, (error) => error);
    assert.ok(error instanceof InvalidArgumentError, `${workerId.slice(0, 20)}: ${error}`);
    assert.match(error.message, message);
    assert.match(error.message, /\/hello\/workerId/);
    assert.deepEqual(error.violations.map((v) => v.field), ["/hello/workerId"]);
    await worker.stop();
  }
});

Deno.test("a hello the manager refuses as INVALID_ARGUMENT stops the work stream: no reconnect", async () => {
  await using manager = await startSdkManager();
  const refused: ManagerError[] = [];
  const warned: string[] = [];
  let lost = 0;
  let state: WorkerState = "running";
  const connection = new WorkConnection({ address: manager.grpcAddress }, {
    backoff: new Backoff({ initialDelayMs: 10, maxDelayMs: 20 }),
    log: { ...SILENT, warn: (message: string) => warned.push(message) },
    state: () => state,
    drainMs: 0,
    events: {
      opened() {},
      message() {},
      lost: () => lost++,
      refused: (error) => refused.push(error),
      register: () => Promise.resolve(),
      inFlight: () => 0,
      capacity: () => 1,
      silent() {},
    },
  });
  // The manager's rule, sent as it is: what the Worker's own check keeps from being sent.
  connection.prepare({ workerId: "legacy:x", executors: ["e"], sdkVersion: "test" });
  connection.open();
  const deadline = Date.now() + 5000;
  while (refused.length === 0 && lost === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // Time for a reconnect to show, had one been scheduled.
  await new Promise((resolve) => setTimeout(resolve, 200));
  state = "stopped";
  await connection.close();
  assert.equal(lost, 0, warned.join("\n"));
  assert.deepEqual(warned, []);
  assert.equal(refused.length, 1);
  assert.ok(refused[0] instanceof InvalidArgumentError, String(refused[0]));
  assert.match(refused[0].message, /Must not start with "legacy:"/);
  assert.deepEqual(
    (refused[0] as InvalidArgumentError).violations.map((v) => v.field),
    ["/hello/workerId"],
  );
});
