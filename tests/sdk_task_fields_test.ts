/**
 * The SDK's `Task` carries every field of the manager's: the run, the latest progress a worker
 * reported, the lease's end and the handler's log lines, and each failed attempt's run, stack
 * trace and log lines, as REST shows them.
 */
import assert from "node:assert/strict";
import { Client, defineExecutor, type Task } from "../sdk/mod.ts";
import { presentTask } from "../server/http/json.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { quietWorker } from "./fixtures/quiet_worker.ts";

/** Reads task `id` until `done` says so (5 s at most). */
async function readUntil(
  client: Client,
  id: string,
  done: (task: Task) => boolean,
): Promise<Task> {
  const until = Date.now() + 5000;
  for (;;) {
    const task = await client.getTask(id);
    if (done(task) || Date.now() > until) return task;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("Client's Task has the progress, run, lease end, logs and error stacks REST shows", async () => {
  await using manager = await startSdkManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.registerExecutor("t_fields", {
    retryPolicy: { type: "constant", maxAttempts: 2, interval: 0 },
    timeout: 10_000,
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  await using worker = quietWorker(manager.grpcAddress, [
    defineExecutor({
      name: "t_fields",
      handler: async (_data, ctx) => {
        if (ctx.attempt === 1) {
          ctx.log("first attempt");
          ctx.heartbeat({ step: 1, of: 3 });
          await released;
          throw new Error("boom");
        }
        ctx.log("second attempt");
        return "ok";
      },
    }),
  ]);
  await worker.start();
  const { id } = await client.createTask("t_fields", {});

  const running = await readUntil(
    client,
    id,
    (t) => t.progress !== null && t.progress !== undefined,
  );
  assert.equal(running.status, "in_progress");
  assert.deepEqual(running.progress, { step: 1, of: 3 });
  assert.equal(running.run, 1);
  assert.ok(running.leaseExpiresAt instanceof Date, String(running.leaseExpiresAt));
  assert.ok(running.leaseExpiresAt.getTime() > Date.now(), "the lease runs out later");
  assert.deepEqual(running.logs, []);

  release();
  const done = await client.waitForTask(id, { timeoutMs: 5000 });
  assert.equal(done.status, "completed");
  assert.equal(done.leaseExpiresAt, null);
  assert.deepEqual(done.logs, ["second attempt"]);
  assert.equal(done.errors.length, 1);
  const [error] = done.errors;
  assert.equal(error.run, 1);
  assert.deepEqual(error.logs, ["first attempt"]);
  assert.ok(error.stack?.includes("Error: boom"), String(error.stack));

  // As REST presents the stored task.
  const rest = presentTask(await manager.service.getTask(id)) as Record<string, unknown>;
  assert.equal(done.run, rest.run);
  assert.deepEqual(done.progress, rest.progress);
  assert.deepEqual(done.logs, rest.logs);
  assert.deepEqual(
    done.errors.map(({ run, stack, logs }) => ({ run, stack, logs })),
    (rest.errors as Record<string, unknown>[]).map(({ run, stack, logs }) => ({
      run,
      stack,
      logs,
    })),
  );
});
