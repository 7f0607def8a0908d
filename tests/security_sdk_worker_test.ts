/**
 * SDK worker processes against a real manager with authentication on: a key the manager refuses
 * (none, revoked, limited to another executor) is a configuration error — the worker logs one
 * line at error naming the cause, its `start()` or `closed` rejects with the SDK's error class,
 * and it stops instead of retrying.
 */
import assert from "node:assert/strict";
import { newToken } from "../server/auth/token.ts";
import { startTestManager, type TestManager } from "./_manager.ts";
import { Proc } from "./fixtures/process.ts";
import { WORKER_SCRIPT } from "./fixtures/sdk_process.ts";

/** The worker fixture with `key` (or none), its log (stderr) read as output. */
function workerWith(manager: TestManager, key: string): Proc {
  return new Proc("worker", "bash", [
    "-c",
    `exec "${Deno.execPath()}" run -A ${WORKER_SCRIPT} 2>&1`,
  ], {
    SDK_ADDRESS: manager.grpcAddress,
    TASKS_EXECUTOR_API_KEY: key,
  });
}

/**
 * Waits for the worker to end; checks it ended refused with `errorClass`: one error line naming
 * `cause`, no uncaught error, no retry.
 */
async function assertRefused(worker: Proc, errorClass: string, cause: RegExp): Promise<void> {
  const status = await worker.status;
  const output = worker.lines.join("\n");
  assert.equal(status.code, 3, output);
  assert.ok(worker.lines.includes(`refused ${errorClass}`), output);
  const errors = worker.lines.filter((line) => line.startsWith("error: "));
  assert.equal(errors.length, 1, output);
  assert.match(
    errors[0],
    /^error: Manager refused this worker's API key or what it may serve, stopping /,
  );
  assert.match(errors[0], cause);
  // How to give a key is said only when none was given, in the log and in the error rejected.
  if (!/No API key given/.test(cause.source)) assert.doesNotMatch(output, /No API key given/);
  assert.match(errors[0], new RegExp(`"status":"${errorClass}"`));
  assert.doesNotMatch(output, /Uncaught|retrying|reconnecting/);
}

async function securedManager() {
  const admin = newToken().token;
  const manager = await startTestManager({ env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin } });
  return manager;
}

Deno.test("an SDK worker without a key stops: start() rejects with UnauthenticatedError, one error line, no retry", async () => {
  await using manager = await securedManager();
  await using worker = workerWith(manager, "");
  await assertRefused(
    worker,
    "UnauthenticatedError",
    /"error":"[^"]*\. No API key given: set TASKS_EXECUTOR_API_KEY or the apiKey option"/,
  );
  assert.ok(
    worker.lines.some((line) =>
      /^refusal .*\. No API key given: set TASKS_EXECUTOR_API_KEY or the apiKey option$/.test(line)
    ),
    worker.lines.join("\n"),
  );
});

Deno.test("an SDK worker with a revoked key stops, at start and when revoked under a live stream", async () => {
  await using manager = await securedManager();
  const key = await manager.service.keys.create({
    name: "mailer",
    scopes: ["worker"],
    executors: ["sdk_test"],
  });
  await using live = workerWith(manager, key.token);
  await live.waitForLine((line) => line === "ready");
  await manager.service.keys.revoke(key.key.id);
  await assertRefused(live, "UnauthenticatedError", /revoked/);

  await using late = workerWith(manager, key.token);
  await assertRefused(late, "UnauthenticatedError", /revoked|not valid/);
});

Deno.test("an SDK worker whose key is limited to another executor stops with PermissionDeniedError", async () => {
  await using manager = await securedManager();
  const key = await manager.service.keys.create({
    name: "other",
    scopes: ["worker"],
    executors: ["resize_image"],
  });
  await using worker = workerWith(manager, key.token);
  await assertRefused(worker, "PermissionDeniedError", /limited to \\"resize_image\\"/);
});
