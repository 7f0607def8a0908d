/**
 * A paused executor (`enabled: false`) says so wherever its waiting tasks are reported: the
 * original interface's `GetNextTask` (FAILED_PRECONDITION naming the pause), `CreateExecutor` or
 * `UpdateExecutor` pausing one (a warning in the log), REST stats (`paused`), the command line's
 * `stats` and the admin page's dashboard card, with or without a worker connected.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { createLogger, setLogger } from "../server/log.ts";
import { startTestManager, type TestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { runToEnd } from "./fixtures/process.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { TestWorker } from "./fixtures/test_worker.ts";
import { legacyCall, legacyClient } from "./fixtures/legacy_grpc.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

async function stats(manager: TestManager): Promise<Json[]> {
  const response = await fetch(`${manager.httpUrl}/api/v1/stats`);
  assert.equal(response.status, 200);
  return (await response.json()).executors;
}

/** `main.ts stats` against `manager`: the table's line for `executor`. */
async function statsLine(manager: TestManager, executor: string): Promise<string> {
  const run = await runToEnd(Deno.execPath(), ["run", "-A", "main.ts", "stats"], {
    MANAGER_URL: manager.httpUrl,
    TASKS_EXECUTOR_API_KEY: "",
  });
  assert.equal(run.code, 0, run.stderr);
  const line = run.stdout.split("\n").find((l) => l.startsWith(`${executor} `));
  assert.ok(line, run.stdout);
  return line;
}

Deno.test("an UpdateExecutor of the original interface that pauses an executor is logged, and GetNextTask then says the executor is paused", async () => {
  await using manager = await startTestManager();
  const client = legacyClient(manager.grpcAddress);
  const lines: string[] = [];
  setLogger(createLogger({ level: "warn", format: "json", write: (line) => lines.push(line) }));
  try {
    await legacyCall(client, "RegisterExecutor", { executor_name: "legacy1" });
    await legacyCall(client, "AddTask", {
      executor_name: "legacy1",
      data: Buffer.from(JSON.stringify({ n: 1 })),
    });
    // `enabled` left out: the original proto sends false.
    const updated = await legacyCall(client, "UpdateExecutor", {
      id: "legacy1",
      config: { name: "legacy1" },
    });
    assert.equal(updated.executor.enabled, false);
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.executor === "legacy1");
    assert.ok(warning, lines.join("\n"));
    assert.match(warning.msg, /paused by an UpdateExecutor of the original interface/);
    assert.match(
      warning.msg,
      /enabled is false \(what the original proto sends when it is left out\)/,
    );

    const error = await legacyCall(client, "GetNextTask", { executor_name: "legacy1" }).then(
      () => assert.fail("a task of a paused executor was handed out"),
      (error: grpc.ServiceError) => error,
    );
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION, error.details);
    assert.match(error.details, /^Executor "legacy1" is paused \(enabled: false\)/);
    assert.match(error.details, /executors resume legacy1/);

    await legacyCall(client, "UpdateExecutor", { id: "legacy1", config: { enabled: true } });
    const { task } = await legacyCall(client, "GetNextTask", { executor_name: "legacy1" });
    assert.equal(task.executor_name, "legacy1");
    const none = await legacyCall(client, "GetNextTask", { executor_name: "legacy1" }).then(
      () => assert.fail("a second task was handed out"),
      (error: grpc.ServiceError) => error,
    );
    assert.equal(none.code, grpc.status.NOT_FOUND);
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
    client.close();
  }
});

Deno.test("a CreateExecutor of the original interface that leaves enabled out makes a paused executor, logged as such; GetNextTask's refusal names both calls", async () => {
  await using manager = await startTestManager();
  using client = legacyClient(manager.grpcAddress);
  const lines: string[] = [];
  setLogger(createLogger({ level: "warn", format: "json", write: (line) => lines.push(line) }));
  try {
    // `enabled` left out: the original proto sends false, and the executor is made paused, as
    // the earlier system made it.
    const created = await legacyCall(client, "CreateExecutor", { config: { name: "made" } });
    assert.equal(created.executor.enabled, false);
    const warning = lines.map((l) => JSON.parse(l)).find((l) => l.executor === "made");
    assert.ok(warning, lines.join("\n"));
    assert.match(warning.msg, /^Executor "made" is paused by a CreateExecutor of the original /);
    assert.match(
      warning.msg,
      /enabled is false \(what the original proto sends when it is left out\)/,
    );
    await legacyCall(client, "AddTask", { executor_name: "made", data: Buffer.from("{}") });
    const error = await legacyCall(client, "GetNextTask", { executor_name: "made" }).then(
      () => assert.fail("a task of a paused executor was handed out"),
      (error: grpc.ServiceError) => error,
    );
    assert.equal(error.code, grpc.status.FAILED_PRECONDITION, error.details);
    assert.match(
      error.details,
      /a CreateExecutor or UpdateExecutor of the original interface sets enabled to what it sends, false when left out\)$/,
    );

    // Sent enabled: nothing is logged.
    lines.length = 0;
    const active = await legacyCall(client, "CreateExecutor", {
      config: { name: "active", enabled: true },
    });
    assert.equal(active.executor.enabled, true);
    assert.deepEqual(lines, []);
  } finally {
    setLogger(createLogger({ level: "warn", format: "json" }));
  }
});

Deno.test("REST stats and the command line's stats show a paused executor, served or not", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "held", enabled: false });
  await manager.service.createExecutor({ name: "orphan" });
  await manager.service.createTask({ executorName: "held", data: {} });
  await manager.service.createTask({ executorName: "orphan", data: {} });

  let [held, orphan] = await stats(manager);
  assert.deepEqual([held.executorName, held.paused, held.noWorkers], ["held", true, true]);
  assert.deepEqual([orphan.executorName, orphan.paused, orphan.noWorkers], ["orphan", false, true]);
  assert.match(await statsLine(manager, "held"), /\s0 \(paused\)\s/);
  assert.match(await statsLine(manager, "orphan"), /\s0 \(tasks waiting!\)\s/);

  const worker = await TestWorker.connect(manager.grpcAddress, {
    workerId: "w1",
    executors: ["held"],
  });
  try {
    [held] = await stats(manager);
    assert.deepEqual([held.workers, held.paused, held.noWorkers], [1, true, false]);
    assert.match(await statsLine(manager, "held"), /\s1 \(paused\)\s/);
  } finally {
    await worker.close();
  }
  // A worker that polls is not counted in `workers`: `polled` says it serves the executor.
  assert.equal(orphan.polled, false);
  using client = legacyClient(manager.grpcAddress);
  await legacyCall(client, "GetNextTask", { executor_name: "orphan" });
  [, orphan] = await stats(manager);
  assert.deepEqual([orphan.workers, orphan.polled, orphan.noWorkers], [0, true, false]);
  assert.match(await statsLine(manager, "orphan"), /\s0 \(polled\)\s/);
});

Deno.test({
  ...skipUnless(
    "the dashboard card of a paused executor says it is paused, with a worker connected or none; one that only a poller serves raises no alert and says it is polled",
    chromiumMissing(),
  ),
  async fn() {
    await using manager = await startTestManager();
    await manager.service.createExecutor({ name: "held", enabled: false });
    await manager.service.createExecutor({ name: "orphan" });
    await manager.service.createTask({ executorName: "held", data: {} });
    await manager.service.createTask({ executorName: "orphan", data: {} });
    // Served by a client of the original interface that polls: no connected worker, one task
    // running and one waiting.
    await manager.service.createExecutor({ name: "polled" });
    await manager.service.createTask({ executorName: "polled", data: {} });
    await manager.service.createTask({ executorName: "polled", data: {} });
    using client = legacyClient(manager.grpcAddress);
    await legacyCall(client, "GetNextTask", { executor_name: "polled" });
    const worker = await TestWorker.connect(manager.grpcAddress, {
      workerId: "w1",
      executors: ["held"],
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ baseURL: manager.httpUrl });
      await page.goto("/#/");
      const held = page.locator("article.card[data-executor='held']");
      const orphan = page.locator("article.card[data-executor='orphan']");
      await held.waitFor();
      assert.equal(
        await held.locator(".warning").textContent(),
        "Paused: tasks are waiting, and none is handed out until this executor is resumed",
      );
      assert.equal(await held.locator("h2 .muted").textContent(), "paused · 1 worker");
      assert.match(await held.getAttribute("class") ?? "", /\balert\b/);
      assert.equal(
        await orphan.locator(".warning").textContent(),
        "Tasks are waiting and no worker serves this executor",
      );
      const polled = page.locator("article.card[data-executor='polled']");
      // Not counted among the workers, the poller is named: the card says the executor is served.
      assert.equal(await polled.locator("h2 .muted").textContent(), "0 workers · polled");
      assert.match(await polled.locator("h2 .muted").getAttribute("title") ?? "", /polls/);
      assert.equal(await orphan.locator("h2 .muted").textContent(), "0 workers");
      assert.equal(await polled.locator(".warning").count(), 0);
      assert.doesNotMatch(await polled.getAttribute("class") ?? "", /\balert\b/);
    } finally {
      await browser.close();
      await worker.close();
    }
  },
});
