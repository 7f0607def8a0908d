/**
 * The SDK worker against a manager that misbehaves on the work stream (a buggy, older or newer
 * one, or a man in the middle on plaintext): a scripted fake serving `TaskExecutorService.Work`
 * alone, with a real `Worker` reaching it. Whatever the manager sends, the worker runs at most its
 * concurrency, runs a lease once, keeps its timers within what timers take, reads no time as an
 * Invalid Date, keeps a bounded log, waits for the answers it asked for, and decodes no message
 * past `maxWorkMessageElements` nor one that does not fit the wire format.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  encodeMessage,
  loadProtocol,
  type ResultAckMessage,
  type WorkRequest,
  type WorkResponse,
} from "@tasks-executor/proto";
import { type Logger, Worker, type WorkerOptions } from "../sdk/mod.ts";
import { MAX_KEEPALIVE_MS, MIN_KEEPALIVE_MS, StreamLiveness } from "../sdk/_liveness.ts";
import { maxWorkMessageElements } from "../sdk/_work_wire.ts";
import { KEEPALIVE_MAX_MS, KEEPALIVE_MIN_MS } from "../server/domain/keepalive.ts";
import { listenLocal } from "./fixtures/grpc_listen.ts";

type WorkCall = grpc.ServerDuplexStream<WorkRequest, WorkResponse>;

/**
 * Serves `Work` on a port of its own: `script` writes to each stream, `requests` keeps what came,
 * and every results message is acknowledged (by `answer`, when given).
 */
async function fakeManager(
  script: (call: WorkCall) => void,
  options: { answer?: (call: WorkCall, acks: ResultAckMessage[]) => void } = {},
) {
  const requests: WorkRequest[] = [];
  let streams = 0;
  const server = new grpc.Server();
  const unimplemented = (_: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED });
  const service = loadProtocol().TaskExecutorService.service;
  // A message written as bytes is sent as they are, as a manager that encodes wrongly would.
  const work = service.Work as grpc.MethodDefinition<WorkRequest, WorkResponse | Uint8Array>;
  const serialize = work.responseSerialize as (message: WorkResponse) => Buffer;
  const responseSerialize = (message: WorkResponse | Uint8Array) =>
    message instanceof Uint8Array ? Buffer.from(message) : serialize(message);
  server.addService({ ...service, Work: { ...work, responseSerialize } }, {
    Work: (call: WorkCall) => {
      streams++;
      call.on("data", (request: WorkRequest) => {
        requests.push(request);
        // Each results message is answered, as the manager does, accepting every result.
        const results = request.results?.results;
        if (results) {
          const acks = results.map(({ taskId }) => ({ taskId, accepted: true, error: "" }));
          if (options.answer) options.answer(call, acks);
          else call.write({ acks: { acks } });
        }
      });
      call.on("error", () => {});
      script(call);
    },
    GetNextTask: unimplemented,
    ReportResults: unimplemented,
  });
  const port = await listenLocal(server);
  return {
    address: `127.0.0.1:${port}`,
    requests,
    streams: () => streams,
    results: () => requests.flatMap((request) => request.results?.results ?? []),
    credits: () => requests.flatMap((request) => request.credit ? [request.credit.credits] : []),
    [Symbol.dispose]: () => server.forceShutdown(),
  };
}

/**
 * A welcome that leaves the limits unsaid (0), as an older manager's would, but those `said`
 * names; its keepalive interval `keepaliveSeconds`.
 */
const welcome = (
  keepaliveSeconds = 10,
  said: Partial<NonNullable<WorkResponse["welcome"]>> = {},
): WorkResponse => ({
  welcome: {
    managerId: "fake",
    maxMessageBytes: 0,
    maxResultBytes: 0,
    maxErrorChars: 0,
    keepaliveInterval: { seconds: keepaliveSeconds, nanos: 0 },
    ...said,
  },
});

let leases = 0;
/** A lease of a new task of `executorName`, expiring a minute from now unless `extra` says. */
function assignment(executorName: string, extra: object = {}) {
  const n = ++leases;
  const now = Math.floor(Date.now() / 1000);
  return {
    taskId: `task${n}`,
    executorName,
    dataJson: "{}",
    metadata: {},
    attempt: 1,
    maxAttempts: 3,
    leaseToken: `lease${n}`,
    leaseExpiresAt: { seconds: now + 60, nanos: 0 },
    createdAt: { seconds: now, nanos: 0 },
    traceparent: "",
    tracestate: "",
    ...extra,
  };
}

/** A logger that keeps the warnings. */
function warnings(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug() {},
    info() {},
    warn: (msg) => lines.push(msg),
    error: (msg) => lines.push(msg),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** A worker of `executors` on the fake manager: no registration, no signal handling. */
function wireWorker(
  manager: { address: string },
  executors: WorkerOptions["executors"],
  logger: Logger = warnings(),
): Worker {
  return new Worker({
    address: manager.address,
    register: false,
    handleSignals: false,
    logger,
    executors,
  });
}

Deno.test("a worker sent more leases than its credits runs its concurrency and gives the rest back unstarted, with no credit for them", async () => {
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: Array.from({ length: 20 }, () => assignment("crowded")) } });
  });
  let running = 0;
  let peak = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  await using worker = wireWorker(manager, [{
    name: "crowded",
    concurrency: 2,
    handler: async () => {
      peak = Math.max(peak, ++running);
      await released;
      running--;
      return "done";
    },
  }]);
  await worker.start();
  await until(
    "the leases past the concurrency are given back",
    () => manager.results().length >= 18 || running > 2,
  );
  release();
  assert.equal(peak, 2, "no more handlers ran at once than the concurrency");
  await until("the two that ran report", () => manager.results().length === 20);
  const results = manager.results();
  assert.equal(results.filter((result) => result.ok).length, 2);
  const givenBack = results.filter((result) => !result.ok);
  assert.equal(givenBack.length, 18);
  assert.ok(
    givenBack.every((result) => result.rateLimited && result.retryable),
    "no attempt spent",
  );
  assert.match(givenBack[0].error ?? "", /runs 2 tasks of executor "crowded" already/);
  // The first grant, then one per attempt that ran: the worker never owes more than 2.
  assert.deepEqual(manager.credits().reduce((sum, credits) => sum + credits, 0), 4);
});

Deno.test("a worker sent a lease it runs already runs it once and reports it once", async () => {
  const twice = assignment("once");
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: [twice, twice] } });
    call.write({ assignments: { tasks: [twice] } });
  });
  const started: string[] = [];
  await using worker = wireWorker(manager, [{
    name: "once",
    concurrency: 4,
    handler: async (_data, ctx) => {
      started.push(ctx.taskId);
      await sleep(100);
      return ctx.signal.aborted ? "aborted" : "done";
    },
  }]);
  await worker.start();
  await until("the attempt reports", () => manager.results().length > 0);
  await sleep(100);
  assert.deepEqual(started, [twice.taskId]);
  assert.deepEqual(manager.results().map((result) => [result.ok, result.resultJson]), [
    [true, '"done"'],
  ]);
});

Deno.test("a worker keeps its timers within what timers take, whatever lease and keepalive interval the manager names", async () => {
  const day = 86_400;
  // A heartbeat due in 25 days, and liveness checks every 30 days: past 2^31 - 1 ms, a timer fires
  // after 1 ms (it took the stream for silent within ms, and woke every ms for the lease).
  const far = assignment("far", {
    leaseExpiresAt: { seconds: Math.floor(Date.now() / 1000) + 75 * day, nanos: 0 },
  });
  using manager = await fakeManager((call) => {
    call.write(welcome(60 * day));
    call.write({ assignments: { tasks: [far] } });
  });
  const delays: number[] = [];
  const { setTimeout: realTimeout, setInterval: realInterval } = globalThis;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realTimeout(fn, ms);
  }) as typeof setTimeout;
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realInterval(fn, ms);
  }) as typeof setInterval;
  const log = warnings();
  try {
    await using worker = wireWorker(manager, [{
      name: "far",
      handler: () => sleep(300).then(() => "done"),
    }], log);
    await worker.start();
    await until("the attempt reports", () => manager.results().length > 0);
  } finally {
    globalThis.setTimeout = realTimeout;
    globalThis.setInterval = realInterval;
  }
  assert.deepEqual(log.lines, []);
  assert.equal(manager.streams(), 1);
  assert.ok(Math.max(...delays) <= 2 ** 31 - 1, `a timer of ${Math.max(...delays)} ms`);
});

Deno.test("a worker at its concurrency sent a new lease of a task it runs aborts the old attempt as lease_lost and gives the new lease back", async () => {
  const first = assignment("relet");
  const again = { ...first, leaseToken: `${first.leaseToken}-again` };
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: [first] } });
    setTimeout(() => call.write({ assignments: { tasks: [again] } }), 100);
  });
  const reasons: unknown[] = [];
  await using worker = wireWorker(manager, [{
    name: "relet",
    handler: async (_data, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      reasons.push((ctx.signal.reason as { reason?: unknown }).reason);
      return "aborted";
    },
  }]);
  await worker.start();
  await until("both leases are answered", () => manager.results().length === 2);
  assert.deepEqual(reasons, ["lease_lost"]);
  const byLease = Object.fromEntries(manager.results().map((r) => [r.leaseToken, r]));
  assert.equal(byLease[again.leaseToken].rateLimited, true, "the new lease is given back");
});

Deno.test("a worker counts each task it runs once against its concurrency: a place freed by an attempt that ended, or taken over by a new lease of its task, runs the next lease", async () => {
  const held = assignment("places", { dataJson: '"hold"' });
  const quick = assignment("places", { dataJson: '"quick"' });
  const again = { ...held, leaseToken: `${held.leaseToken}-again` };
  const next = assignment("places", { dataJson: '"hold"' });
  let stream!: WorkCall;
  using manager = await fakeManager((call) => {
    stream = call;
    call.write(welcome());
    call.write({ assignments: { tasks: [held, quick] } });
  });
  let started = 0;
  await using worker = wireWorker(manager, [{
    name: "places",
    concurrency: 2,
    handler: async (data, ctx) => {
      started++;
      if (data === "quick") return "done";
      await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      return "aborted";
    },
  }]);
  await worker.start();
  await until("the quick one reports", () => manager.results().length === 1);
  // One place is free: the new lease of the held task takes the held one's, the next the other.
  stream.write({ assignments: { tasks: [again, next] } });
  await until("four attempts started", () => started === 4);
  const cancelled = [again, next].map(({ taskId }) => ({
    taskId,
    reason: "CANCELLATION_REASON_CANCELLED",
  }));
  stream.write({ cancellations: { tasks: cancelled } });
  await until("every attempt reports", () => manager.results().length === 4);
  assert.deepEqual(manager.results().filter((result) => result.rateLimited), [], "none given back");
});

Deno.test("a worker logs a stream's welcome once however many the manager sends", async () => {
  using manager = await fakeManager((call) => {
    for (let i = 0; i < 1000; i++) call.write(welcome());
    call.write({ assignments: { tasks: [assignment("welcomed")] } });
  });
  const connected: string[] = [];
  await using worker = wireWorker(manager, [{ name: "welcomed", handler: () => "done" }], {
    ...warnings(),
    info: (msg) => connected.push(msg),
  });
  await worker.start();
  await until("the task after the welcomes reports", () => manager.results().length > 0);
  assert.deepEqual(connected, ["Connected to the manager"]);
});

Deno.test("a worker logs a cancellation of an attempt once however many times the manager sends it", async () => {
  const cancelled = assignment("cancelled");
  const cancellation = { taskId: cancelled.taskId, reason: "CANCELLATION_REASON_CANCELLED" };
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: [cancelled] } });
    setTimeout(() => {
      call.write({ cancellations: { tasks: Array.from({ length: 1000 }, () => cancellation) } });
    }, 100);
  });
  const lines: string[] = [];
  await using worker = wireWorker(manager, [{
    name: "cancelled",
    handler: (_data, ctx) =>
      new Promise((resolve) => ctx.signal.addEventListener("abort", resolve)),
  }], { ...warnings(), info: (msg) => lines.push(msg) });
  await worker.start();
  await until("the aborted attempt reports", () => manager.results().length > 0);
  assert.deepEqual(lines.filter((line) => line.startsWith("Manager asked")), [
    "Manager asked to abort a task",
  ]);
});

Deno.test("a worker logs that an executor it serves was deleted once a stream however many times the manager says it, and never for one it does not serve", async () => {
  using manager = await fakeManager((call) => {
    call.write(welcome());
    for (let i = 0; i < 1000; i++) {
      call.write({ executorDeleted: { executorName: "deleted" } });
      call.write({ executorDeleted: { executorName: `other${i}` } });
    }
    call.write({ assignments: { tasks: [assignment("deleted")] } });
  });
  const log = warnings();
  await using worker = wireWorker(manager, [{ name: "deleted", handler: () => "done" }], log);
  await worker.start();
  await until("the task after them reports", () => manager.results().length > 0);
  assert.deepEqual(log.lines, [
    "The manager says this executor was deleted: its tasks are gone and no more will come",
  ]);
});

Deno.test("a worker takes an assignment's time that no protobuf Timestamp allows as unset: ctx.createdAt is when the worker received it, never an Invalid Date", async () => {
  const now = Math.floor(Date.now() / 1000);
  const bad = [
    { seconds: 10_000_000_000_000, nanos: 0 }, // past what a Date holds: an Invalid Date
    { seconds: 300_000_000_000, nanos: 0 }, // past 9999-12-31
    { seconds: -100_000_000_000, nanos: 0 }, // before 0001-01-01
    { seconds: now, nanos: 2_000_000_000 }, // nanos past 999,999,999
    { seconds: now, nanos: -1 },
  ];
  const leases = bad.map((createdAt) =>
    assignment("dated", { createdAt, leaseExpiresAt: createdAt })
  );
  const sentAt = Date.now();
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: leases } });
  });
  const seen: Record<string, number> = {};
  await using worker = wireWorker(manager, [{
    name: "dated",
    concurrency: leases.length,
    handler: (_data, ctx) => {
      seen[ctx.taskId] = ctx.createdAt.getTime();
      return "done";
    },
  }]);
  await worker.start();
  await until("every attempt reports", () => manager.results().length === leases.length);
  const receivedBy = Date.now();
  for (const { taskId } of leases) {
    assert.ok(
      seen[taskId] >= sentAt && seen[taskId] <= receivedBy,
      `${taskId}: createdAt ${new Date(seen[taskId])} is the time of receipt`,
    );
  }
  assert.ok(
    manager.results().every((result) => result.ok),
    "each ran as a lease of the default length",
  );
});

Deno.test("a worker's stop waits out a shutdownGraceMs longer than a timer keeps, in steps: 30 days ended after 1 ms", async () => {
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: [assignment("graceful")] } });
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let started = false;
  const worker = new Worker({
    address: manager.address,
    register: false,
    handleSignals: false,
    logger: warnings(),
    shutdownGraceMs: 30 * 86_400_000,
    executors: [{
      name: "graceful",
      handler: async (_data, ctx) => {
        started = true;
        await released;
        return ctx.signal.aborted ? "aborted" : "done";
      },
    }],
  });
  await worker.start();
  await until("the attempt runs", () => started);
  const stopped = worker.stop();
  await until("the worker takes no more", () => manager.credits().includes(0));
  // The grace period had its turn to end; only the handler's return ends it.
  await sleep(100);
  release();
  await stopped;
  assert.deepEqual(manager.results().map((r) => [r.ok, r.resultJson]), [[true, '"done"']]);
});

Deno.test("a worker keeps at most 1,000 log lines of an attempt whatever log line count the manager's welcome names", async () => {
  using manager = await fakeManager((call) => {
    call.write(welcome(10, { maxLogLines: 2 ** 31 - 1 }));
    call.write({ assignments: { tasks: [assignment("chatty")] } });
  });
  await using worker = wireWorker(manager, [{
    name: "chatty",
    handler: (_data, ctx) => {
      for (let i = 0; i < 5000; i++) ctx.log(`line ${i}`);
      return "done";
    },
  }]);
  await worker.start();
  await until("the attempt reports", () => manager.results().length > 0);
  const logs = manager.results()[0].logs ?? [];
  assert.equal(logs.length, 1000);
  assert.deepEqual([logs[0], logs[998], logs[999]], [
    "line 0",
    "line 998",
    "… 4001 more lines dropped",
  ]);
});

Deno.test("a worker takes a welcome's keepalive interval shorter than the manager's own minimum as that minimum: 1 ms had it reconnect about ten times a second", async () => {
  const keepalives: ReturnType<typeof setInterval>[] = [];
  using manager = await fakeManager((call) => {
    call.write(welcome(0, { keepaliveInterval: { seconds: 0, nanos: 1_000_000 } }));
    // The manager's side of the keepalive, at a fifth of the minimum interval.
    keepalives.push(setInterval(() => call.write({ keepalive: {} }), 20));
  });
  const log = warnings();
  try {
    await using worker = wireWorker(manager, [{ name: "kept", handler: () => "done" }], log);
    await worker.start();
    await until("the stream is open", () => manager.requests.length > 0);
    // Long enough for a 1 ms interval's stream to be taken for silent many times over.
    await sleep(300);
  } finally {
    keepalives.forEach(clearInterval);
  }
  // One reconnect is left to a stall of this process past three intervals (300 ms) on a loaded
  // machine; a stall only lowers the count of keepalives.
  assert.ok(manager.streams() <= 2, `${manager.streams()} streams in 300 ms: ${log.lines}`);
  const empty = manager.requests.filter((r) => r.heartbeat && r.heartbeat.taskIds.length === 0);
  assert.ok(empty.length <= 10, `${empty.length} keepalives written in 300 ms`);
  assert.equal(MIN_KEEPALIVE_MS, KEEPALIVE_MIN_MS, "the worker's floor is the manager's minimum");
});

Deno.test("a worker takes a welcome's keepalive interval longer than the manager's own maximum as that maximum: 49.7 days had a silent manager taken for alive for 149 days", () => {
  const events = { keepalive() {}, silent() {} };
  for (const [named, taken] of [[60 * 86_400_000, KEEPALIVE_MAX_MS], [10_000, 10_000]]) {
    const liveness = new StreamLiveness(named, events);
    liveness.stop();
    assert.equal(liveness.intervalMs, taken, `a welcome naming ${named} ms`);
  }
  assert.equal(MAX_KEEPALIVE_MS, KEEPALIVE_MAX_MS, "the worker's ceiling is the manager's maximum");
});

Deno.test("a worker's stop waits for the answer to the results message it wrote last, not for acks the manager sends unasked", async () => {
  const events: string[] = [];
  let lastAnswer: ResultAckMessage[] = [];
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: [assignment("acked")] } });
    call.on("end", () => events.push("worker closed its side"));
  }, {
    answer: (call, acks) => {
      if (acks.length > 0) {
        // Each results message answered twice: the second answer is unasked.
        lastAnswer = acks;
        call.write({ acks: { acks } });
        call.write({ acks: { acks } });
        return;
      }
      // The stop's empty message: an unasked answer first, its own a moment later.
      call.write({ acks: { acks: lastAnswer } });
      setTimeout(() => {
        events.push("answered");
        call.write({ acks: { acks: [] } });
      }, 200);
    },
  });
  const worker = wireWorker(manager, [{ name: "acked", handler: () => "done" }]);
  await worker.start();
  await until("the attempt reports", () => manager.results().length > 0);
  await worker.stop();
  assert.deepEqual(events, ["answered", "worker closed its side"]);
});

/**
 * Has a worker of concurrency 1 sent `first` on its first stream (after the welcome) and a light
 * lease on the next: the tasks that ran, the light lease, and the first warning logged.
 */
async function refusedThenReconnected(first: (executorName: string) => unknown) {
  const refused = first("refusing");
  const light = assignment("refusing");
  using manager = await fakeManager((call) => {
    call.write(welcome());
    if (manager.streams() === 1) call.write(refused as WorkResponse);
    else call.write({ assignments: { tasks: [light] } });
  });
  const ran: string[] = [];
  const lines: { msg: string; error?: unknown }[] = [];
  await using worker = wireWorker(manager, [{
    name: "refusing",
    concurrency: 1,
    handler: (_data, ctx) => {
      ran.push(ctx.taskId);
      return "done";
    },
  }], { ...warnings(), warn: (msg, fields) => lines.push({ msg, error: fields?.error }) });
  await worker.start();
  await until("the next stream's task runs", () => ran.length > 0);
  return { ran, light, warning: lines[0] };
}

Deno.test("a worker refuses a message of the manager over maxWorkMessageElements before decoding it, and reconnects", async () => {
  // Each metadata entry is one element.
  const metadata: Record<string, string> = {};
  for (let i = 0; i <= maxWorkMessageElements(1); i++) metadata[`k${i}`] = "v";
  const { ran, light, warning } = await refusedThenReconnected((executorName) => ({
    assignments: { tasks: [assignment(executorName, { metadata })] },
  }));
  assert.deepEqual(ran, [light.taskId]);
  assert.equal(warning.msg, "Lost the work stream to the manager, reconnecting");
  assert.match(String(warning.error), /holds more than 33067 elements/);
});

Deno.test("a worker refuses a message of the manager that does not fit the wire format before decoding it, and reconnects", async () => {
  // A lease whose assignments (field 2) come as a varint (wire type 0, not 2): protobufjs reads
  // them by their declared type all the same, and the worker would run the task.
  const { ran, light, warning } = await refusedThenReconnected((executorName) => {
    const encoded = encodeMessage("taskexecutor.v1.WorkResponse", {
      assignments: { tasks: [assignment(executorName)] },
    });
    return Uint8Array.of(0x10, ...encoded.subarray(1));
  });
  assert.deepEqual(ran, [light.taskId]);
  assert.equal(warning.msg, "Lost the work stream to the manager, reconnecting");
  assert.match(
    String(warning.error),
    /not valid protobuf: taskexecutor\.v1\.WorkResponse\.assignments has wire type 0, not 2/,
  );
});

/**
 * A worker of the fake `manager` reconnecting after 10 ms doubled per failure up to
 * `maxDelayMs`, and the `retryInMs` of each of its "Lost the work stream" warnings.
 */
function reconnectingWorker(manager: { address: string }, maxDelayMs: number) {
  const delays: number[] = [];
  const worker = new Worker({
    address: manager.address,
    register: false,
    handleSignals: false,
    reconnect: { initialDelayMs: 10, maxDelayMs },
    logger: {
      ...warnings(),
      warn: (msg, fields) => {
        if (msg === "Lost the work stream to the manager, reconnecting") {
          delays.push(fields?.retryInMs as number);
        }
      },
    },
    executors: [{ name: "ended", handler: () => "done" }],
  });
  return { worker, delays };
}

Deno.test("a worker whose streams the manager ends right after welcoming it waits longer after each: the welcome started the delays over, and it reconnected about ten times a second", async () => {
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.end();
  });
  const { worker, delays } = reconnectingWorker(manager, 10_000);
  await using _ = worker;
  await worker.start();
  await until("five streams ended", () => delays.length >= 5);
  // Doubled from 10 ms per failure, each drawn from the upper half of its base: 10, 20, ... 160.
  delays.slice(0, 5).forEach((delay, n) => {
    const base = 10 * 2 ** n;
    assert.ok(delay >= base / 2 && delay <= base, `delay ${n + 1}: ${delays}`);
  });
});

Deno.test("a worker's reconnect delays start over after a stream that lasted STABLE_STREAM_MS (or reconnect.maxDelayMs, when shorter) from its welcome", async () => {
  // Four streams ended at once, then one held 1 s (the longest delay is 100 ms: a stall of
  // the worker up to 0.9 s still leaves it long enough).
  using manager = await fakeManager((call) => {
    call.write(welcome());
    if (manager.streams() === 5) setTimeout(() => call.end(), 1000);
    else call.end();
  });
  const { worker, delays } = reconnectingWorker(manager, 100);
  await using _ = worker;
  await worker.start();
  await until("five streams ended", () => delays.length >= 5);
  // 10, 20, 40 and 80 ms bases, then 10 again: without starting over, the 100 ms cap.
  assert.ok(delays[3] >= 40, `${delays}`);
  assert.ok(delays[4] <= 10, `${delays}`);
});

Deno.test("a drain warns of the tasks it aborts alone, not of one aborted already that is still running", async () => {
  const [cancelled, running] = [assignment("drained"), assignment("drained")];
  let stream!: WorkCall;
  using manager = await fakeManager((call) => {
    stream = call;
    call.write(welcome());
    call.write({ assignments: { tasks: [cancelled, running] } });
  });
  const warned: { msg: string; fields?: Record<string, unknown> }[] = [];
  let started = 0;
  const reasons: Record<string, unknown> = {};
  await using worker = new Worker({
    address: manager.address,
    register: false,
    handleSignals: false,
    shutdownGraceMs: 100,
    logger: { ...warnings(), warn: (msg, fields) => warned.push({ msg, fields }) },
    executors: [{
      name: "drained",
      concurrency: 2,
      handler: async (_data, ctx) => {
        started++;
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        reasons[ctx.taskId] = (ctx.signal.reason as { reason?: string }).reason;
        // The cancelled one takes its time to return: it still runs when the grace is over.
        if (ctx.taskId === cancelled.taskId) await sleep(300);
        return "aborted";
      },
    }],
  });
  await worker.start();
  await until("both attempts started", () => started === 2);
  stream.write({
    cancellations: {
      tasks: [{ taskId: cancelled.taskId, reason: "CANCELLATION_REASON_CANCELLED" }],
    },
  });
  await until("the cancellation is read", () => reasons[cancelled.taskId] !== undefined);
  await worker.stop();
  assert.deepEqual(
    warned.filter(({ msg }) => msg.startsWith("Grace period over")),
    [{
      msg: "Grace period over, aborting running tasks",
      fields: { running: 1, taskIds: [running.taskId] },
    }],
  );
  assert.deepEqual(reasons, { [cancelled.taskId]: "cancelled", [running.taskId]: "shutdown" });
});

Deno.test("a worker the manager refuses on its work stream aborts its running handlers at once, without the grace period, also during a drain's grace", async () => {
  for (const stoppingFirst of [false, true]) {
    const held = assignment("refused");
    let stream!: WorkCall;
    using manager = await fakeManager((call) => {
      stream = call;
      call.write(welcome());
      call.write({ assignments: { tasks: [held] } });
    });
    const warned: { msg: string; fields?: Record<string, unknown> }[] = [];
    let reason: unknown;
    let started = false;
    await using worker = new Worker({
      address: manager.address,
      register: false,
      handleSignals: false,
      shutdownGraceMs: 60_000,
      logger: { ...warnings(), warn: (msg, fields) => warned.push({ msg, fields }) },
      executors: [{
        name: "refused",
        handler: async (_data, ctx) => {
          started = true;
          await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
          reason = (ctx.signal.reason as { reason?: string }).reason;
          return "aborted";
        },
      }],
    });
    await worker.start();
    await until("the attempt started", () => started);
    const stopped = stoppingFirst ? worker.stop() : undefined;
    if (stoppingFirst) {
      await until("the drain withdrew the credits", () => manager.credits().includes(0));
    }
    const refusedAt = performance.now();
    stream.emit("error", { code: grpc.status.UNAUTHENTICATED, details: "API key revoked" });
    const closed = await worker.closed.then(() => "resolved", (error: Error) => error.name);
    await stopped;
    const took = performance.now() - refusedAt;
    assert.equal(closed, "UnauthenticatedError");
    assert.ok(
      took < 5000,
      `closed ${Math.round(took)} ms after the refusal (stoppingFirst: ${stoppingFirst})`,
    );
    assert.equal(reason, "shutdown");
    assert.deepEqual(
      warned.filter(({ msg }) => msg.includes("aborting running tasks")),
      [{
        msg:
          "The manager refused this worker, aborting running tasks now: their results cannot be delivered",
        fields: { running: 1, taskIds: [held.taskId] },
      }],
    );
  }
});

Deno.test("a handler that ignores its aborted signal is abandoned a second after the abort: its attempt is reported and its slot runs the next task", async () => {
  // Its lease (so its timeout) ends in a second; the handler ignores the abort that follows.
  const hung = assignment("hangs", {
    dataJson: '"hang"',
    leaseExpiresAt: { seconds: Math.floor(Date.now() / 1000) + 1, nanos: 0 },
  });
  const next = assignment("hangs", { dataJson: '"quick"' });
  let stream!: WorkCall;
  using manager = await fakeManager((call) => {
    stream = call;
    call.write(welcome());
    call.write({ assignments: { tasks: [hung] } });
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const logged: string[] = [];
  await using worker = wireWorker(manager, [{
    name: "hangs",
    concurrency: 1,
    handler: async (data) => {
      if (data === "hang") await released;
      return data;
    },
  }], { ...warnings(), warn: (msg) => logged.push(msg), error: (msg) => logged.push(msg) });
  await worker.start();
  try {
    await until("the hung attempt is reported", () => manager.results().length === 1);
    const [abandoned] = manager.results();
    assert.equal(abandoned.taskId, hung.taskId);
    assert.equal(abandoned.retryable, true);
    assert.equal(
      abandoned.error,
      "Task timed out; the handler did not return within 1000 ms of its abort and was abandoned",
    );
    await until("its credit is given back", () => manager.credits().includes(1));
    stream.write({ assignments: { tasks: [next] } });
    await until("the next task runs in its slot", () => manager.results().length === 2);
    assert.equal(manager.results()[1].resultJson, '"quick"');
    release();
    await until(
      "the abandoned handler's return is logged",
      () => logged.includes("An abandoned task handler returned at last; its result is dropped"),
    );
    assert.equal(manager.results().length, 2, "what it returned at last is dropped");
  } finally {
    release(); // a handler left hanging would hold the stop
  }
});

Deno.test("a worker stops once more handlers than maxAbandoned ignore their signal, and closed names the handler to fix", async () => {
  const [first, second] = [assignment("leaks"), assignment("leaks")];
  let stream!: WorkCall;
  using manager = await fakeManager((call) => {
    stream = call;
    call.write(welcome());
    call.write({ assignments: { tasks: [first] } });
  });
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let started = 0;
  await using worker = new Worker({
    address: manager.address,
    register: false,
    handleSignals: false,
    logger: warnings(),
    maxAbandoned: 1,
    executors: [{
      name: "leaks",
      concurrency: 1,
      handler: async () => {
        started++;
        await released;
      },
    }],
  });
  await worker.start();
  try {
    const cancel = (taskId: string) =>
      stream.write({
        cancellations: { tasks: [{ taskId, reason: "CANCELLATION_REASON_CANCELLED" }] },
      });
    await until("the first attempt started", () => started === 1);
    cancel(first.taskId);
    await until("the first is abandoned", () => manager.results().length === 1);
    stream.write({ assignments: { tasks: [second] } });
    await until("the second attempt started", () => started === 2);
    cancel(second.taskId);
    const closed = await worker.closed.then(() => "resolved", (error: Error) => error.message);
    assert.match(
      closed,
      new RegExp(
        `^2 task handlers still run after their signal was aborted, more than maxAbandoned \\(1\\): .* task ${second.taskId} of executor "leaks" \\(cancelled\\)`,
      ),
    );
  } finally {
    release(); // a handler left hanging would hold the stop
  }
});

Deno.test("ctx.heartbeat(progress) throws InvalidArgumentError naming /progress for a progress the manager would not keep, and sends nothing of it", async () => {
  const held = assignment("progress");
  using manager = await fakeManager((call) => {
    call.write(welcome());
    call.write({ assignments: { tasks: [held] } });
  });
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await using worker = wireWorker(manager, [{
    name: "progress",
    handler: (_data, ctx) => {
      const thrown: string[] = [];
      for (const progress of [NaN, 10n, cyclic, "x".repeat(2000), { ok: [() => 1] }]) {
        try {
          ctx.heartbeat(progress);
          thrown.push("returned");
        } catch (error) {
          thrown.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      ctx.heartbeat({ done: 1 });
      return thrown;
    },
  }]);
  await worker.start();
  await until("the attempt reports", () => manager.results().length === 1);
  const thrown = JSON.parse(manager.results()[0].resultJson ?? "[]") as string[];
  const prefix =
    "InvalidArgumentError: ctx.heartbeat(progress): progress cannot be stored as it is: ";
  assert.deepEqual(
    thrown.map((line) => line.startsWith(prefix)),
    [true, true, true, true, true],
    thrown.join("\n"),
  );
  assert.deepEqual(thrown.map((line) => line.slice(prefix.length).split(":")[0]), [
    "/progress",
    "/progress",
    thrown[2].slice(prefix.length).split(":")[0],
    "/progress",
    "/progress/ok/0",
  ]);
  assert.match(thrown[3], /Must be at most 1024 bytes as JSON text/);
  const sent = manager.requests.flatMap((r) => Object.values(r.heartbeat?.progressJson ?? {}));
  assert.ok(sent.every((json) => json === '{"done":1}'), `progress sent: ${sent.join(", ")}`);
});
