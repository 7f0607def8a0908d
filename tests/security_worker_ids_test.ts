/**
 * Worker ids across API keys, on a real manager with authentication on: an id belongs to one key
 * while its streams, leases or calls last, on every path that takes one; `legacy:` ids belong to
 * the original interface alone.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
import { Worker } from "../sdk/mod.ts";
import {
  failureOf,
  grpcClients,
  openWorkStream,
  startSecuredManager,
  unaryCall,
} from "./fixtures/secured_manager.ts";

type Assignment = { taskId: string; leaseToken: string; executorName: string };

Deno.test("no path but the original interface takes a legacy: worker id: a worker key cannot claim or report as the admin key's old clients, which keep getting their tasks", async () => {
  await using secured = await startSecuredManager();
  const { manager, admin } = secured;
  await manager.service.createExecutor({ name: "exa" });
  await manager.service.createExecutor({ name: "exb" });
  await manager.service.createTasks([{ executorName: "exa" }, { executorName: "exb" }]);
  const worker = await secured.key({ name: "exa-worker", scopes: ["worker"], executors: ["exa"] });
  using clients = grpcClients(manager.grpcAddress);

  for (const workerId of [`legacy:${admin.id}`, `legacy:${worker.id}`]) {
    const claimed = await failureOf(
      unaryCall(clients.worker, "GetNextTask", {
        workerId,
        executors: ["exa"],
        maxTasks: 1000,
      }, worker.token),
    );
    assert.equal(claimed.code, grpc.status.INVALID_ARGUMENT, claimed.details);
    assert.match(claimed.details, /Must not start with "legacy:"/);
    const reported = await failureOf(
      unaryCall(clients.worker, "ReportResults", { workerId, results: [] }, worker.token),
    );
    assert.equal(reported.code, grpc.status.INVALID_ARGUMENT, reported.details);
  }

  const Legacy = loadLegacyProtocol().TaskExecutorManager;
  const legacy = new Legacy(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    const answer = await unaryCall<{ task: { id: string; executorName: string } }>(
      legacy,
      "GetNextTask",
      { executorName: "exb" },
      admin.token,
    );
    assert.equal(answer.task.executorName, "exb");
    // Its own id, through its own interface: the report is taken.
    const settled = await unaryCall<{ task: { status: string } }>(legacy, "UpdateTaskStatus", {
      id: answer.task.id,
      status: "TASK_STATUS_COMPLETED",
    }, admin.token);
    assert.equal(settled.task.status, "TASK_STATUS_COMPLETED");
  } finally {
    legacy.close();
  }
});

Deno.test("a worker id whose leases one key holds is refused to another key on every path (UNAVAILABLE naming the worker id: workers try again later) and is free once they are settled", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "exa" });
  await manager.service.createTasks(Array.from({ length: 3 }, () => ({ executorName: "exa" })));
  const squatter = await secured.key({ name: "squatter", scopes: ["worker"], executors: ["exa"] });
  const mailer = await secured.key({ name: "mailer", scopes: ["worker"], executors: ["exa"] });
  using clients = grpcClients(manager.grpcAddress);
  const claim = (token: string, maxTasks: number) =>
    unaryCall<{ tasks: Assignment[] }>(clients.worker, "GetNextTask", {
      workerId: "mailer-1",
      executors: ["exa"],
      maxTasks,
    }, token);

  const { tasks } = await claim(squatter.token, 2);
  assert.equal(tasks.length, 2);

  // No stream of the squatter is open: its leases hold the id.
  const stream = openWorkStream(clients.worker, mailer.token, {
    workerId: "mailer-1",
    executors: ["exa"],
  });
  const refused = await Promise.race([stream.welcomed.then(() => null), stream.ended]);
  if (refused === null) stream.stream.cancel();
  assert.ok(refused, "The other key's hello was welcomed under the held worker id");
  assert.equal(refused.code, grpc.status.UNAVAILABLE, refused.details);
  assert.match(
    refused.details,
    /^Worker id "mailer-1" is held by another API key.*\(\/hello\/workerId\)$/,
  );
  const claimed = await failureOf(claim(mailer.token, 1));
  assert.equal(claimed.code, grpc.status.UNAVAILABLE, claimed.details);
  assert.match(claimed.details, /\(\/workerId\)$/);
  const reported = await failureOf(
    unaryCall(clients.worker, "ReportResults", {
      workerId: "mailer-1",
      results: tasks.map((t) => ({ taskId: t.taskId, leaseToken: t.leaseToken, ok: true })),
    }, mailer.token),
  );
  assert.equal(reported.code, grpc.status.UNAVAILABLE, reported.details);

  // The holder goes on under its id, then settles what it holds.
  const more = await claim(squatter.token, 5);
  assert.equal(more.tasks.length, 1);
  const { acks } = await unaryCall<{ acks: { accepted: boolean }[] }>(
    clients.worker,
    "ReportResults",
    {
      workerId: "mailer-1",
      results: [...tasks, ...more.tasks].map((t) => ({
        taskId: t.taskId,
        leaseToken: t.leaseToken,
        ok: true,
      })),
    },
    squatter.token,
  );
  assert.deepEqual(acks.map((a) => a.accepted), [true, true, true]);

  // Nothing holds the id now: the other key's worker takes it, and holds it in turn.
  const taken = openWorkStream(clients.worker, mailer.token, {
    workerId: "mailer-1",
    executors: ["exa"],
  });
  await taken.welcomed;
  const now = await failureOf(claim(squatter.token, 1));
  assert.equal(now.code, grpc.status.UNAVAILABLE, now.details);
  taken.stream.cancel();
  await taken.ended;
});

Deno.test("an SDK worker whose id another key's worker holds waits, reconnecting, and serves once the id is free", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "exa" });
  const keys = await Promise.all(
    ["old", "new"].map((name) => secured.key({ name, scopes: ["worker"], executors: ["exa"] })),
  );
  const lines: string[] = [];
  const ran: string[] = [];
  const workerWith = (name: string, apiKey: string) =>
    new Worker({
      address: manager.grpcAddress,
      apiKey,
      workerId: "shared-1",
      register: false,
      handleSignals: false,
      reconnect: { initialDelayMs: 10, maxDelayMs: 40 },
      logger: {
        debug() {},
        info: (msg) => lines.push(`${name} info ${msg}`),
        warn: (msg, fields) => lines.push(`${name} warn ${msg} ${JSON.stringify(fields)}`),
        error: (msg, fields) => lines.push(`${name} error ${msg} ${JSON.stringify(fields)}`),
      },
      executors: [{
        name: "exa",
        handler: () => {
          ran.push(name);
          return null;
        },
      }],
    });
  const until = async (what: string, done: () => boolean) => {
    for (let i = 0; !done(); i++) {
      assert.ok(i < 500, `${what}:\n${lines.join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const first = workerWith("first", keys[0].token);
  await first.start();
  await until(
    "the first worker connected",
    () => lines.includes("first info Connected to the manager"),
  );
  const second = workerWith("second", keys[1].token);
  try {
    await second.start();
    // Told the id is held, again and again: not a refusal for good.
    const held = () => lines.filter((l) => /^second warn .*is held by another API key/.test(l));
    await until("the second worker retried the held id", () => held().length >= 3);
    await first.stop();
    await until(
      "the second worker connected",
      () => lines.includes("second info Connected to the manager"),
    );
    await manager.service.createTasks([{ executorName: "exa" }]);
    await until("the task ran", () => ran.length > 0);
    assert.deepEqual(ran, ["second"]);
    assert.deepEqual(lines.filter((l) => l.includes(" error ")), []);
  } finally {
    await second.stop();
  }
});
