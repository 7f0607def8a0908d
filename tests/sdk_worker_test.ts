/**
 * The SDK worker as users run it: real worker processes (tests/fixtures/sdk_worker.ts) against a
 * real manager — completion, retries, a killed worker, a graceful drain and a manager restart.
 */
import assert from "node:assert/strict";
import { Client } from "../sdk/mod.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { Proc } from "./fixtures/process.ts";
import { spawnDenoWorker, WORKER_SCRIPT } from "./fixtures/sdk_process.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { nodeVersion, runInDir } from "./fixtures/node.ts";

const started = (taskId: string) => (line: string) => line.startsWith(`started ${taskId} `);

Deno.test("a worker process completes tasks and the client reads their results", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnDenoWorker(manager.grpcAddress);
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  const tasks = await client.createTasks(
    [1, 2, 3, 4, 5].map((n) => ({ executorName: "sdk_test", data: { mode: "echo", value: n } })),
  );
  for (const [i, task] of tasks.entries()) {
    const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
    assert.equal(done.status, "completed", worker.describe());
    assert.deepEqual((done.result as { echoed: number }).echoed, i + 1);
    assert.equal(done.attempt, 1);
  }
});

Deno.test("a handler that fails twice then succeeds completes on its third attempt", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnDenoWorker(manager.grpcAddress);
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("sdk_test", { mode: "fail_until", succeedOn: 3 });
  const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
  assert.equal(done.status, "completed", worker.describe());
  assert.deepEqual(done.result, { attempt: 3 });
  assert.deepEqual(done.errors.map((e) => e.message), ["Failing attempt 1", "Failing attempt 2"]);
});

Deno.test("a RateLimitedError runs the task again later without spending an attempt", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnDenoWorker(manager.grpcAddress);
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  // More limited runs than the executor's 3 attempts: spending one each would dead-letter it.
  const task = await client.createTask("sdk_test", { mode: "rate_limited", times: 4, ms: 20 });
  const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
  assert.equal(done.status, "completed", worker.describe());
  assert.deepEqual(done.result, { attempt: 1, runs: 5 });
  assert.equal(done.attempt, 1);
  assert.deepEqual(done.errors, []);
});

Deno.test("a NonRetryableError sends the task to the DLQ after one attempt", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnDenoWorker(manager.grpcAddress);
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("sdk_test", { mode: "fatal" });
  const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
  assert.equal(done.status, "dlq", worker.describe());
  assert.equal(done.errors.length, 1);
  assert.equal(done.errors[0].message, "Asked to fail for good");
});

Deno.test("a task whose worker is killed mid-task completes later on another worker", async () => {
  await using manager = await startSdkManager({ rescueIntervalMs: 100 });
  await using first = spawnDenoWorker(manager.grpcAddress, {
    SDK_WORKER_ID: "first",
    SDK_TIMEOUT_MS: "1000",
  });
  await first.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("sdk_test", { mode: "sleep", ms: 60_000, fastFrom: 2 });
  await first.waitForLine(started(task.id));
  first.kill("SIGKILL");
  assert.equal((await first.status).signal, "SIGKILL");

  await using second = spawnDenoWorker(manager.grpcAddress, {
    SDK_WORKER_ID: "second",
    SDK_TIMEOUT_MS: "1000",
  });
  const done = await client.waitForTask(task.id, { timeoutMs: 20_000 });
  assert.equal(done.status, "completed", second.describe());
  assert.equal(done.attempt, 2);
  assert.deepEqual(done.result, { slept: 0, attempt: 2, worker: "second" });
  assert.equal(done.errors.length, 1, "the lost attempt is recorded");
});

Deno.test("SIGTERM lets the running task finish, reports it and exits cleanly", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnDenoWorker(manager.grpcAddress, {
    SDK_WORKER_ID: "draining",
    SDK_GRACE_MS: "10000",
    SDK_CONCURRENCY: "1",
  });
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("sdk_test", { mode: "sleep", ms: 700 });
  await worker.waitForLine(started(task.id));
  worker.kill("SIGTERM");
  const status = await worker.status;
  assert.equal(status.code, 0, worker.describe());
  assert.ok(worker.lines.includes("stopped"), worker.describe());
  const done = await client.getTask(task.id);
  assert.equal(done.status, "completed", worker.describe());
  assert.deepEqual(done.result, { slept: 700, attempt: 1, worker: "draining" });
});

Deno.test("SIGTERM past the grace period aborts the task, which runs again elsewhere", async () => {
  await using manager = await startSdkManager();
  await using worker = spawnDenoWorker(manager.grpcAddress, {
    SDK_GRACE_MS: "200",
    SDK_CONCURRENCY: "1",
    SDK_TIMEOUT_MS: "30000",
  });
  await worker.waitForLine((l) => l === "ready");
  using client = new Client({ address: manager.grpcAddress });
  const task = await client.createTask("sdk_test", { mode: "sleep", ms: 60_000, fastFrom: 2 });
  await worker.waitForLine(started(task.id));
  worker.kill("SIGTERM");
  assert.equal((await worker.status).code, 0, worker.describe());
  // The aborted attempt was reported at once (not left to expire): a new worker finishes it.
  const afterStop = await client.getTask(task.id);
  assert.equal(afterStop.status, "pending", worker.describe());
  assert.equal(afterStop.errors[0]?.message, "Worker shut down before the task finished");
  await using next = spawnDenoWorker(manager.grpcAddress);
  const done = await client.waitForTask(task.id, { timeoutMs: 15_000 });
  assert.equal(done.status, "completed", next.describe());
  assert.equal(done.attempt, 2);
});

/**
 * A task running while the manager restarts (a graceful stop: streams end, then GOAWAY) is
 * delivered after the worker reconnects by itself, and the worker takes new work after.
 */
async function workerSurvivesManagerRestart(deno?: string): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "sdk-restart-" });
  try {
    const first = await startSdkManager({ dataDir });
    const port = first.port;
    await using worker = spawnDenoWorker(first.grpcAddress, { SDK_TIMEOUT_MS: "20000" }, deno);
    await worker.waitForLine((l) => l === "ready");
    let taskId: string;
    {
      using client = new Client({ address: first.grpcAddress });
      taskId = (await client.createTask("sdk_test", { mode: "sleep", ms: 1500 })).id;
      await worker.waitForLine(started(taskId));
    }
    await first.stop();
    // The task finishes while the manager is down; its result goes out after the reconnect.
    await using second = await startSdkManager({ dataDir, port });
    using client = new Client({ address: second.grpcAddress });
    const done = await client.waitForTask(taskId, { timeoutMs: 20_000 });
    assert.equal(done.status, "completed", worker.describe());
    assert.equal(done.attempt, 1, worker.describe());
    // And it takes new work on the new connection.
    const more = await client.createTask("sdk_test", { mode: "echo", value: "again" });
    const moreDone = await client.waitForTask(more.id, { timeoutMs: 15_000 });
    assert.equal(moreDone.status, "completed", worker.describe());
    assert.equal(worker.exited, false, "the worker process must live on");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("a worker reconnects after the manager restarts and delivers its result", async () => {
  await workerSurvivesManagerRestart();
});

// Deno 2.8+ -----------------------------------------------------------------------------------

// The manager stays on 2.7.14 (grpc-js servers abort on 2.8/2.9); workers are only clients, and
// this is what a worker on a newer Deno does. Opt-in, with SDK_NEXT_DENO naming that Deno: a
// worker on 2.9.6 aborts now and then when the manager restarts (nghttp2 on GOAWAY,
// denoland/deno#36788), so the suite cannot depend on it.
const NEXT_DENO = Deno.env.get("SDK_NEXT_DENO");

function denoVersionOf(binary: string): string | undefined {
  try {
    const out = new Deno.Command(binary, { args: ["--version"], stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).split(" ")[1] : undefined;
  } catch {
    return undefined;
  }
}

const NEXT_VERSION = NEXT_DENO ? denoVersionOf(NEXT_DENO) : undefined;

Deno.test({
  ...skipUnless(
    `a worker on Deno ${NEXT_VERSION ?? "2.8+"} survives a manager restart and completes tasks`,
    NEXT_VERSION
      ? null
      : "opt-in (set SDK_NEXT_DENO to a Deno 2.8+ binary): a worker on Deno 2.9.6 aborts now and then when the manager restarts (denoland/deno#36788)",
  ),
  fn: () => workerSurvivesManagerRestart(NEXT_DENO),
});

// Node ----------------------------------------------------------------------------------------

const NODE = nodeVersion();
// The npm packages the SDK (and the proto package under it) import, at the versions of deno.json.
const NPM_DEPENDENCIES: Record<string, string> = {
  "@grpc/grpc-js": "1.14.7",
  "@grpc/proto-loader": "0.8.1",
  "protobufjs": "7.6.6",
  "ajv": "8.20.0",
  "ajv-formats": "3.0.1",
};

Deno.test({
  ...skipUnless(
    "the SDK runs on Node: a bundled worker with npm-installed deps completes a task",
    NODE === undefined ? "no node on PATH" : null,
  ),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sdk-node-" });
    try {
      // Our code in one ES module; the npm packages stay imports, resolved by npm like a user's.
      const externals = [...Object.keys(NPM_DEPENDENCIES), "ajv/*"].flatMap((p) => [
        "--external",
        p,
      ]);
      await runInDir(
        Deno.execPath(),
        ["bundle", "--quiet", ...externals, "-o", `${dir}/worker.mjs`, WORKER_SCRIPT],
        Deno.cwd(),
      );
      await Deno.writeTextFile(
        `${dir}/package.json`,
        JSON.stringify({ type: "module", private: true, dependencies: NPM_DEPENDENCIES }),
      );
      await runInDir(
        "npm",
        ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts"],
        dir,
      );

      await using manager = await startSdkManager();
      await using worker = new Proc("node worker", "node", [`${dir}/worker.mjs`], {
        SDK_ADDRESS: manager.grpcAddress,
        SDK_WORKER_ID: "node-worker",
      });
      await worker.waitForLine((l) => l === "ready");
      using client = new Client({ address: manager.grpcAddress });
      const echo = await client.createTask("sdk_test", { mode: "echo", value: NODE });
      const flaky = await client.createTask("sdk_test", { mode: "fail_until", succeedOn: 2 });
      const echoDone = await client.waitForTask(echo.id, { timeoutMs: 15_000 });
      assert.equal(echoDone.status, "completed", worker.describe());
      assert.deepEqual(echoDone.result, { echoed: NODE, attempt: 1, worker: "node-worker" });
      assert.equal((await client.waitForTask(flaky.id, { timeoutMs: 15_000 })).status, "completed");
      worker.kill("SIGTERM");
      assert.equal((await worker.status).code, 0, worker.describe());
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
