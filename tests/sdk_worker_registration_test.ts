/**
 * A worker's registration is checked whole before it is sent: an executor configuration or a
 * declared schedule the SDK refuses stops `start()` before any executor is created or updated.
 */
import assert from "node:assert/strict";
import { Client, InvalidArgumentError, NotFoundError } from "../sdk/mod.ts";
import type { ExecutorConfig } from "../sdk/mod.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { quietWorker } from "./fixtures/quiet_worker.ts";

Deno.test("a worker whose second executor's configuration is refused creates neither executor", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "first",
    config: { timeout: 5000, retryPolicy: { maxAttempts: 2 } },
    handler: () => null,
  }, {
    name: "second",
    config: { dlq: { enabled: true } } as ExecutorConfig,
    handler: () => null,
  }]);
  await assert.rejects(worker.start(), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.match(error.message, /^Executor "second": .*\/config\/dlq/);
    assert.deepEqual(error.violations.map((v) => v.field), ["/config/dlq"]);
    return true;
  });
  using client = new Client({ address: manager.grpcAddress });
  await assert.rejects(client.getExecutor("first"), NotFoundError);
  await assert.rejects(client.getExecutor("second"), NotFoundError);
});

Deno.test("a worker whose second executor declares a refused schedule creates no executor and no schedule", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "first",
    config: { timeout: 5000 },
    schedules: [{ name: "first_hourly", every: 3_600_000 }],
    handler: () => null,
  }, {
    name: "second",
    schedules: [{ name: "second_nightly", cron: "0 3 * * *", overlapPolicy: "sometimes" } as never],
    handler: () => null,
  }]);
  await assert.rejects(worker.start(), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.match(
      error.message,
      /^Schedule "second_nightly" of executor "second": .*\/config\/overlapPolicy/,
    );
    return true;
  });
  using client = new Client({ address: manager.grpcAddress });
  await assert.rejects(client.getExecutor("first"), NotFoundError);
  await assert.rejects(client.getExecutor("second"), NotFoundError);
  assert.deepEqual(await client.schedules.list(), []);
});

Deno.test("a worker whose schedule's task data its executor's own schema refuses creates no executor and no schedule", async () => {
  await using manager = await startSdkManager();
  await using worker = quietWorker(manager.grpcAddress, [{
    name: "mail",
    config: { taskSchema: { type: "object", required: ["to"] } },
    schedules: [{ name: "mail_daily", cron: "0 9 * * *", task: { data: { subject: "hi" } } }],
    handler: () => null,
  }]);
  await assert.rejects(worker.start(), (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError, String(error));
    assert.match(error.message, /^Schedule "mail_daily" of executor "mail": /);
    assert.deepEqual(error.violations.map((v) => v.field), ["/config/task/data/to"]);
    return true;
  });
  using client = new Client({ address: manager.grpcAddress });
  await assert.rejects(client.getExecutor("mail"), NotFoundError);
  assert.deepEqual(await client.schedules.list(), []);
});
