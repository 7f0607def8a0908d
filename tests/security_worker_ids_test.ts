/**
 * Worker ids across API keys, on a real manager with authentication on: an id belongs to one key
 * while its streams, leases or calls last, on every path that takes one; `legacy:` ids belong to
 * the original interface alone.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { workerIdHeldFromMetadata } from "@tasks-executor/proto";
import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
import { Worker, WorkerIdHeldError } from "../sdk/mod.ts";
import { TcpRelay } from "./fixtures/tcp_relay.ts";
import {
  failureOf,
  grpcClients,
  openWorkStream,
  type SecuredManager,
  startSecuredManager,
  type TestKey,
  unaryCall,
} from "./fixtures/secured_manager.ts";

type Assignment = { taskId: string; leaseToken: string; executorName: string };

/**
 * A secured manager with the executor "exa" (`timeout` its task timeout in ms) and a worker key
 * of it for each name in `names`, in that order, as `keys`; `keepalive` sets the manager's
 * KEEPALIVE_INTERVAL.
 */
async function securedWithWorkerKeys(
  names: string[],
  options: { keepalive?: string; timeout?: number } = {},
): Promise<SecuredManager & { keys: TestKey[] }> {
  const secured = await startSecuredManager(
    options.keepalive ? { KEEPALIVE_INTERVAL: options.keepalive } : {},
  );
  try {
    const timeout = options.timeout === undefined ? {} : { timeout: options.timeout };
    await secured.manager.service.createExecutor({ name: "exa", ...timeout });
    const keys = await Promise.all(
      names.map((name) => secured.key({ name, scopes: ["worker"], executors: ["exa"] })),
    );
    return Object.assign(secured, { keys });
  } catch (error) {
    await secured[Symbol.asyncDispose]();
    throw error;
  }
}

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
  await using secured = await securedWithWorkerKeys(["squatter", "mailer"]);
  const { manager, keys: [squatter, mailer] } = secured;
  await manager.service.createTasks(Array.from({ length: 3 }, () => ({ executorName: "exa" })));
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
  // Its leases and its call of a moment ago hold it: a worker of that key using the id (a poller),
  // which called within goneWithinMs (4 keepalive intervals).
  const callsHold = { workerId: "mailer-1", heldBy: "calls", goneWithinMs: 40_000 };
  assert.deepEqual(workerIdHeldFromMetadata(refused.metadata), callsHold);
  assert.match(refused.details, /a worker of that key with this id called within the last 40000/);
  const claimed = await failureOf(claim(mailer.token, 1));
  assert.equal(claimed.code, grpc.status.UNAVAILABLE, claimed.details);
  assert.deepEqual(workerIdHeldFromMetadata(claimed.metadata), callsHold);
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

  // Nothing holds the id now: the other key's worker takes it, and holds it in turn (a worker
  // that speaks keepalive, as the SDKs' do).
  const taken = openWorkStream(clients.worker, mailer.token, {
    workerId: "mailer-1",
    executors: ["exa"],
    keepalive: true,
  });
  await taken.welcomed;
  const now = await failureOf(claim(squatter.token, 1));
  assert.equal(now.code, grpc.status.UNAVAILABLE, now.details);
  // An open stream holds it: one whose worker is gone is closed within 4 keepalive intervals.
  assert.match(now.details, /a worker stream of that key with this id is open .*40000 ms/);
  assert.deepEqual(workerIdHeldFromMetadata(now.metadata), {
    workerId: "mailer-1",
    heldBy: "stream",
    goneWithinMs: 40_000,
  });
  taken.stream.cancel();
  await taken.ended;
});

/**
 * A worker under the id "shared-2" for the tests below: `lines` collects what it logs, `ran` the
 * tasks it ran.
 */
function sharedIdWorker(
  address: string,
  name: string,
  apiKey: string,
  out: { lines: string[]; ran: string[] },
  handler: () => unknown = () => null,
  shutdownGraceMs = 0,
): Worker {
  return new Worker({
    address,
    apiKey,
    workerId: "shared-2",
    register: false,
    handleSignals: false,
    shutdownGraceMs,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    logger: {
      debug() {},
      info: (msg) => out.lines.push(`${name} info ${msg}`),
      warn: (msg, fields) => out.lines.push(`${name} warn ${msg} ${JSON.stringify(fields)}`),
      error: (msg, fields) => out.lines.push(`${name} error ${msg} ${JSON.stringify(fields)}`),
    },
    executors: [{
      name: "exa",
      handler: () => {
        out.ran.push(name);
        return handler();
      },
    }],
  });
}

/** Waits until `done()`, for `ms` at most; a failure shows `lines`. */
async function until(what: string, done: () => boolean, lines: string[], ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!done()) {
    assert.ok(Date.now() < deadline, `${what}:\n${lines.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * What `worker` comes to within `ms`: "closed" when it stopped without an error, the error it
 * stopped with, or "waiting"; when `first` answers before either, its answer.
 */
async function outcomeWithin(
  worker: Worker,
  ms: number,
  first?: Promise<string>,
): Promise<string | Error> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return await Promise.race([
    ...(first ? [first] : []),
    worker.closed.then(() => "closed", (error: Error) => error),
    new Promise<"waiting">((resolve) => timer = setTimeout(() => resolve("waiting"), ms)),
  ]).finally(() => clearTimeout(timer));
}

Deno.test("an SDK worker whose id another key's worker holds waits, reconnecting, and serves once the id is free", async () => {
  await using secured = await securedWithWorkerKeys(["old", "new"]);
  const { manager, keys } = secured;
  const out = { lines: [] as string[], ran: [] as string[] };
  const first = sharedIdWorker(manager.grpcAddress, "first", keys[0].token, out);
  await first.start();
  await until(
    "the first worker connected",
    () => out.lines.includes("first info Connected to the manager"),
    out.lines,
  );
  const second = sharedIdWorker(manager.grpcAddress, "second", keys[1].token, out);
  try {
    await second.start();
    // Told the id is held, again and again: not a refusal for good.
    const held = () => out.lines.filter((l) => /^second warn .*is held by another API key/.test(l));
    await until("the second worker retried the held id", () => held().length >= 3, out.lines);
    await first.stop();
    await until(
      "the second worker connected",
      () => out.lines.includes("second info Connected to the manager"),
      out.lines,
    );
    await manager.service.createTasks([{ executorName: "exa" }]);
    await until("the task ran", () => out.ran.length > 0, out.lines);
    assert.deepEqual(out.ran, ["second"]);
    assert.deepEqual(out.lines.filter((l) => l.includes(" error ")), []);
  } finally {
    await second.stop();
  }
});

Deno.test("two SDK workers under one worker id and two keys, both alive: the second stops within the manager's keepalive window with an error naming the id, the first serves on", async () => {
  // Keepalive every 200 ms: a stream whose worker is gone is closed within 800 ms.
  await using secured = await securedWithWorkerKeys(["one", "two"], { keepalive: "200ms" });
  const { manager, keys } = secured;
  const out = { lines: [] as string[], ran: [] as string[] };
  const first = sharedIdWorker(manager.grpcAddress, "first", keys[0].token, out);
  await first.start();
  await until(
    "the first connected",
    () => out.lines.includes("first info Connected to the manager"),
    out.lines,
  );
  const second = sharedIdWorker(manager.grpcAddress, "second", keys[1].token, out);
  try {
    const started = Date.now();
    await second.start();
    const stopped = await outcomeWithin(second, 8_000);
    assert.ok(
      stopped instanceof WorkerIdHeldError,
      `still ${String(stopped)}:\n${out.lines.join("\n")}`,
    );
    assert.equal(stopped.workerId, "shared-2");
    assert.equal(stopped.code, grpc.status.UNAVAILABLE);
    assert.match(
      stopped.message,
      /^Worker id "shared-2" is held by another API key's worker that is alive/,
    );
    // Past the 800 ms a gone worker's stream takes to close, and soon after.
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 800 && tookMs < 5_000, `stopped after ${tookMs} ms`);
    assert.ok(
      out.lines.some((l) =>
        l.startsWith("second error Another API key's worker holds this worker's id, stopping")
      ),
      out.lines.join("\n"),
    );
    assert.ok(!out.lines.includes("second info Connected to the manager"));
    // The first holds its id and serves.
    await manager.service.createTasks([{ executorName: "exa" }]);
    await until("the task ran", () => out.ran.length > 0, out.lines);
    assert.deepEqual(out.ran, ["first"]);
    assert.deepEqual(out.lines.filter((l) => l.startsWith("first error")), []);
  } finally {
    await second.stop();
    await first.stop();
  }
});

Deno.test("a worker id held by a work stream without keepalive is no proof of a live worker: the refusal says stream_without_keepalive with its own bound (SILENCE_WITHOUT_KEEPALIVE, 5 min, and a check), and an SDK worker waits past the keepalive streams' 800 ms, then serves once that stream closes", async () => {
  // Keepalive every 200 ms: a stream that speaks it and whose worker is gone is closed within
  // 800 ms; one whose hello asked for none only once silent for 5 minutes.
  await using secured = await securedWithWorkerKeys(["raw", "sdk"], { keepalive: "200ms" });
  const { manager, keys } = secured;
  using clients = grpcClients(manager.grpcAddress);
  const hello = { workerId: "shared-2", executors: ["exa"] };
  const raw = openWorkStream(clients.worker, keys[0].token, hello);
  await raw.welcomed;

  const refused = await openWorkStream(clients.worker, keys[1].token, hello).ended;
  assert.equal(refused.code, grpc.status.UNAVAILABLE, refused.details);
  assert.deepEqual(workerIdHeldFromMetadata(refused.metadata), {
    workerId: "shared-2",
    heldBy: "stream_without_keepalive",
    goneWithinMs: 300_100,
  });
  assert.match(
    refused.details,
    /one without keepalive, is open \(it is closed within 300100 ms of its last message\): try again later/,
  );

  const out = { lines: [] as string[], ran: [] as string[] };
  const worker = sharedIdWorker(manager.grpcAddress, "sdk", keys[1].token, out);
  try {
    await worker.start();
    // Three times the 800 ms after which a stream said to be a live worker's stops it.
    const stopped = await outcomeWithin(worker, 2_400);
    assert.equal(stopped, "waiting", out.lines.join("\n"));
    assert.ok(
      out.lines.filter((l) => /^sdk warn .*one without keepalive/.test(l)).length >= 2,
      out.lines.join("\n"),
    );
    raw.stream.cancel();
    await raw.ended;
    await until(
      "the SDK worker connected",
      () => out.lines.includes("sdk info Connected to the manager"),
      out.lines,
    );
    await manager.service.createTasks([{ executorName: "exa" }]);
    await until("the task ran", () => out.ran.length > 0, out.lines);
    assert.deepEqual(out.lines.filter((l) => l.startsWith("sdk error")), []);
  } finally {
    await worker.stop();
  }
});

Deno.test("a work stream without keepalive whose worker went silent is closed past SILENCE_WITHOUT_KEEPALIVE, and an SDK worker of another key waiting on its id gets it and serves, where it waited without end", async () => {
  // Keepalive every 200 ms (checks every 100 ms); a stream without it is closed once silent for
  // 1 s: within 1,100 ms of its last message.
  await using secured = await startSecuredManager({
    KEEPALIVE_INTERVAL: "200ms",
    SILENCE_WITHOUT_KEEPALIVE: "1s",
  });
  const { manager } = secured;
  await manager.service.createExecutor({ name: "exa" });
  const keys = await Promise.all(
    ["raw", "sdk"].map((name) => secured.key({ name, scopes: ["worker"], executors: ["exa"] })),
  );
  using clients = grpcClients(manager.grpcAddress);
  const hello = { workerId: "shared-2", executors: ["exa"] };
  // A raw gRPC worker: its hello asks for no keepalive, and it sends nothing more.
  const raw = openWorkStream(clients.worker, keys[0].token, hello);
  await raw.welcomed;
  const refused = await openWorkStream(clients.worker, keys[1].token, hello).ended;
  assert.deepEqual(workerIdHeldFromMetadata(refused.metadata), {
    workerId: "shared-2",
    heldBy: "stream_without_keepalive",
    goneWithinMs: 1_100,
  });

  const out = { lines: [] as string[], ran: [] as string[] };
  const worker = sharedIdWorker(manager.grpcAddress, "sdk", keys[1].token, out);
  try {
    await worker.start();
    await until(
      "the SDK worker connected",
      () => out.lines.includes("sdk info Connected to the manager"),
      out.lines,
      30_000,
    );
    const closed = await raw.ended;
    assert.equal(closed.code, grpc.status.UNAVAILABLE, closed.details);
    assert.match(closed.details, /^No message from the worker for \d+ ms$/);
    assert.ok(
      out.lines.some((l) => /^sdk warn .*one without keepalive, is open/.test(l)),
      out.lines.join("\n"),
    );
    await manager.service.createTasks([{ executorName: "exa" }]);
    await until("the task ran", () => out.ran.length > 0, out.lines, 30_000);
    assert.deepEqual(out.lines.filter((l) => l.startsWith("sdk error")), []);
  } finally {
    await worker.stop();
  }
});

Deno.test("an SDK worker whose id another key's worker without keepalive goes on writing on its stream stops past that stream's bound with an error naming the id, where it waited without end", async () => {
  await using secured = await startSecuredManager({
    KEEPALIVE_INTERVAL: "200ms",
    SILENCE_WITHOUT_KEEPALIVE: "1s",
  });
  const { manager } = secured;
  await manager.service.createExecutor({ name: "exa" });
  const keys = await Promise.all(
    ["raw", "sdk"].map((name) => secured.key({ name, scopes: ["worker"], executors: ["exa"] })),
  );
  using clients = grpcClients(manager.grpcAddress);
  const raw = openWorkStream(clients.worker, keys[0].token, {
    workerId: "shared-2",
    executors: ["exa"],
  });
  await raw.welcomed;
  // A live worker without keepalive: it writes (an empty heartbeat) well within its 1 s.
  const writing = setInterval(() => raw.stream.write({ heartbeat: {} }), 200);
  const out = { lines: [] as string[], ran: [] as string[] };
  const worker = sharedIdWorker(manager.grpcAddress, "sdk", keys[1].token, out);
  try {
    await worker.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stopped = await Promise.race([
      worker.closed.then(() => "closed", (error: Error) => error),
      new Promise<"waiting">((resolve) => timer = setTimeout(() => resolve("waiting"), 30_000)),
    ]).finally(() => clearTimeout(timer));
    assert.ok(stopped instanceof WorkerIdHeldError, `${String(stopped)}:\n${out.lines.join("\n")}`);
    assert.equal(stopped.workerId, "shared-2");
    assert.match(
      stopped.message,
      /one without keepalive, stayed open \d+ ms, past the 1100 ms in which the manager closes such a stream/,
    );
    assert.ok(!out.lines.includes("sdk info Connected to the manager"), out.lines.join("\n"));
  } finally {
    clearInterval(writing);
    raw.stream.cancel();
    await raw.ended;
    await worker.stop();
  }
});

Deno.test("a worker restarted under a new key while its old stream is dying (no FIN, a task leased) waits out the old stream and its lease, then serves", async () => {
  // The lease of a gone worker ends with its timeout: 2 s, past the 800 ms of its stream.
  await using secured = await securedWithWorkerKeys(["old", "new"], {
    keepalive: "200ms",
    timeout: 2_000,
  });
  const { manager, keys } = secured;
  await using relay = TcpRelay.start(manager.grpcAddress);
  const out = { lines: [] as string[], ran: [] as string[] };
  let hang!: () => void;
  const hung = new Promise<void>((resolve) => hang = resolve);
  const old = sharedIdWorker(relay.address, "old", keys[0].token, out, () => hung);
  await old.start();
  await manager.service.createTasks([{ executorName: "exa" }]);
  await until("the old worker took the task", () => out.ran.length > 0, out.lines);
  // Its host is gone: nothing of it reaches the manager any more, and its connection stays open.
  relay.silenceAll();
  const fresh = sharedIdWorker(manager.grpcAddress, "new", keys[1].token, out);
  try {
    const started = Date.now();
    await fresh.start();
    await until(
      "the new worker connected",
      () => out.lines.includes("new info Connected to the manager"),
      out.lines,
    );
    assert.ok(Date.now() - started >= 1_000, "connected before the old lease ended");
    const held = out.lines.filter((l) => /^new warn .*is held by another API key/.test(l));
    assert.ok(held.some((l) => l.includes("worker stream of that key")), out.lines.join("\n"));
    assert.ok(held.some((l) => l.includes("until its leases")), out.lines.join("\n"));
    assert.deepEqual(out.lines.filter((l) => l.startsWith("new error")), []);
    // The task the old worker lost comes back to the new one.
    await until("the new worker ran the task", () => out.ran.includes("new"), out.lines);
  } finally {
    hang();
    await fresh.stop();
    await old.stop();
  }
});

Deno.test("a worker whose id another key's worker held when it was first refused, that worker dying without FIN after that refusal, waits out its stream and serves: a stream silent past a keepalive interval is stream_silent, no proof of a live worker", async () => {
  // Keepalive every 200 ms: goneWithinMs is 800 ms.
  await using secured = await securedWithWorkerKeys(["old", "new"], { keepalive: "200ms" });
  const { manager, keys } = secured;
  await using relay = TcpRelay.start(manager.grpcAddress);
  const out = { lines: [] as string[], ran: [] as string[] };
  const old = sharedIdWorker(relay.address, "old", keys[0].token, out);
  await old.start();
  await until(
    "the old worker connected",
    () => out.lines.includes("old info Connected to the manager"),
    out.lines,
  );
  const fresh = sharedIdWorker(manager.grpcAddress, "new", keys[1].token, out);
  try {
    await fresh.start();
    const heldLine = /^new warn .*a worker stream of that key with this id is open/;
    await until("the new worker was refused", () => out.lines.some((l) => heldLine.test(l)), [
      ...out.lines,
    ]);
    // The old worker was alive at that refusal; its host is lost 400 ms later (no FIN), so its
    // stream is closed 1,000-1,200 ms after that refusal, past the 800 ms of goneWithinMs.
    await new Promise((resolve) => setTimeout(resolve, 400));
    relay.silenceAll();
    const connected = until(
      "the new worker connected",
      () => out.lines.includes("new info Connected to the manager"),
      out.lines,
    ).then(() => "connected");
    const stopped = await outcomeWithin(fresh, 8_000, connected);
    assert.equal(stopped, "connected", `${String(stopped)}:\n${out.lines.join("\n")}`);
    assert.ok(
      out.lines.some((l) => /^new warn .*open but silent/.test(l)),
      out.lines.join("\n"),
    );
    assert.deepEqual(out.lines.filter((l) => l.startsWith("new error")), []);
  } finally {
    await fresh.stop();
    await old.stop();
  }
});

Deno.test("an SDK worker whose id another key's unary poller goes on using stops within goneWithinMs with an error naming the id (heldBy calls), where it waited without end", async () => {
  // Keepalive every 200 ms: goneWithinMs is 800 ms.
  // The poller's task runs an hour: its lease alone would hold the id that long.
  await using secured = await securedWithWorkerKeys(["poller", "sdk"], {
    keepalive: "200ms",
    timeout: 3_600_000,
  });
  const { manager, keys } = secured;
  await manager.service.createTasks([{ executorName: "exa" }]);
  using clients = grpcClients(manager.grpcAddress);
  const poll = () =>
    unaryCall<{ tasks: Assignment[] }>(clients.worker, "GetNextTask", {
      workerId: "shared-2",
      executors: ["exa"],
      maxTasks: 1,
    }, keys[0].token);
  assert.equal((await poll()).tasks.length, 1);
  const refused = await openWorkStream(clients.worker, keys[1].token, {
    workerId: "shared-2",
    executors: ["exa"],
  }).ended;
  assert.equal(refused.code, grpc.status.UNAVAILABLE, refused.details);
  assert.deepEqual(workerIdHeldFromMetadata(refused.metadata), {
    workerId: "shared-2",
    heldBy: "calls",
    goneWithinMs: 800,
  });
  assert.match(refused.details, /a worker of that key with this id called within the last 800 ms/);
  // The poller polls on, every 100 ms, its task still running.
  let polling = true;
  const poller = (async () => {
    while (polling) {
      await poll();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const out = { lines: [] as string[], ran: [] as string[] };
  const worker = sharedIdWorker(manager.grpcAddress, "sdk", keys[1].token, out);
  try {
    const started = Date.now();
    await worker.start();
    const stopped = await outcomeWithin(worker, 8_000);
    assert.ok(
      stopped instanceof WorkerIdHeldError,
      `still ${String(stopped)}:\n${out.lines.join("\n")}`,
    );
    assert.equal(stopped.workerId, "shared-2");
    assert.match(stopped.message, /^Worker id "shared-2" is held by another API key's worker/);
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 800 && tookMs < 5_000, `stopped after ${tookMs} ms`);
  } finally {
    polling = false;
    await poller;
    await worker.stop();
  }
});

Deno.test("a worker whose id another key's worker holds while it drains, longer than goneWithinMs, waits out the drain (heldBy stream_draining) and serves", async () => {
  // Keepalive every 200 ms: goneWithinMs is 800 ms; each worker's drain waits 2 s for handlers.
  await using secured = await securedWithWorkerKeys(["old", "new"], { keepalive: "200ms" });
  const { manager, keys } = secured;
  const out = { lines: [] as string[], ran: [] as string[] };
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const old = sharedIdWorker(manager.grpcAddress, "old", keys[0].token, out, () => released, 2_000);
  await old.start();
  await manager.service.createTasks([{ executorName: "exa" }]);
  await until("the old worker took the task", () => out.ran.length > 0, out.lines);
  // The old worker drains (its stream open, its task running) while the new one starts.
  const stopping = old.stop();
  await new Promise((resolve) => setTimeout(resolve, 200)); // its credits of 0 reach the manager
  const fresh = sharedIdWorker(manager.grpcAddress, "new", keys[1].token, out, () => null, 2_000);
  try {
    await fresh.start();
    const drainLine = /^new warn .*this id is open and draining \(it takes no more tasks/;
    await until(
      "the new worker was told of the drain",
      () => out.lines.some((l) => drainLine.test(l)),
      out.lines,
    );
    // Past goneWithinMs, the old drain still under way.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    release();
    await stopping;
    const connected = until(
      "the new worker connected",
      () => out.lines.includes("new info Connected to the manager"),
      out.lines,
    ).then(() => "connected");
    const outcome = await outcomeWithin(fresh, 8_000, connected);
    assert.equal(outcome, "connected", `${String(outcome)}:\n${out.lines.join("\n")}`);
    assert.deepEqual(out.lines.filter((l) => l.startsWith("new error")), []);
  } finally {
    release();
    await fresh.stop();
  }
});

Deno.test("a worker whose id another key's worker holds with a drain longer than its own may take stops past goneWithinMs and its own drain, naming the id", async () => {
  // Keepalive every 200 ms: goneWithinMs is 800 ms; the SDK worker's own drain, 0 ms of grace and
  // 3 s for acknowledgements.
  await using secured = await securedWithWorkerKeys(["raw", "sdk"], { keepalive: "200ms" });
  const { manager, keys } = secured;
  using clients = grpcClients(manager.grpcAddress);
  const hello = { workerId: "shared-2", executors: ["exa"], keepalive: true };
  const raw = openWorkStream(clients.worker, keys[0].token, hello);
  await raw.welcomed;
  // It withdraws its credit, as a drain does, and speaks on without end.
  raw.stream.write({ credit: { executorName: "exa", credits: 0 } });
  const speaking = setInterval(() => raw.stream.write({ heartbeat: {} }), 100);
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await openWorkStream(clients.worker, keys[1].token, hello).ended;
    assert.deepEqual(workerIdHeldFromMetadata(refused.metadata), {
      workerId: "shared-2",
      heldBy: "stream_draining",
      goneWithinMs: 800,
    });
    const out = { lines: [] as string[], ran: [] as string[] };
    const worker = sharedIdWorker(manager.grpcAddress, "sdk", keys[1].token, out);
    const started = Date.now();
    await worker.start();
    const stopped = await outcomeWithin(worker, 10_000);
    await worker.stop();
    assert.ok(
      stopped instanceof WorkerIdHeldError,
      `still ${String(stopped)}:\n${out.lines.join("\n")}`,
    );
    assert.match(stopped.message, /^Worker id "shared-2" .* still drained \d+ ms after the first/);
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 3_800 && tookMs < 8_000, `stopped after ${tookMs} ms`);
  } finally {
    clearInterval(speaking);
    raw.stream.cancel();
    await raw.ended;
  }
});
