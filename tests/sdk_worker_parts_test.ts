/**
 * The Worker's parts on their own, where their rules are decisions rather than I/O: the reconnect
 * backoff, the credits owed, result batching within the manager's limits and acknowledgements,
 * lease timing and the welcome's limits. What goes to the manager is recorded by an outbox.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { WorkRequest } from "@tasks-executor/proto";
import { Backoff, STABLE_STREAM_MS } from "../sdk/_backoff.ts";
import { limitsOfWelcome, type Outbox, UNSAID_LIMITS } from "../sdk/_connection.ts";
import { Credits } from "../sdk/_credits.ts";
import { Heartbeats, type Lease, leaseTiming } from "../sdk/_heartbeats.ts";
import { InvalidArgumentError } from "../sdk/errors.ts";
import { MAX_MESSAGE_BYTES, missingKeyHint } from "../sdk/_grpc.ts";
import { ResultSender } from "../sdk/_results.ts";
import { fitResult, type SendLimits } from "../sdk/_run.ts";
import type { Served } from "../sdk/_served.ts";
import type { Logger } from "../sdk/types.ts";

/** An outbox that keeps what is written while `isOpen`. */
class RecordingOutbox implements Outbox {
  isOpen = true;
  readonly written: WorkRequest[] = [];
  /** When each message was written (`performance.now()`). */
  readonly writtenAt: number[] = [];
  write(message: WorkRequest): boolean {
    if (!this.isOpen) return false;
    this.written.push(message);
    this.writtenAt.push(performance.now());
    return true;
  }
}

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

/** A result sender over `outbox`, with the manager's `limits`, a `log` and a batch window of 2 ms. */
function senderOver(
  outbox: Outbox,
  options: { limits?: SendLimits; log?: Logger; windowMs?: number } = {},
): ResultSender {
  return new ResultSender({
    outbox,
    credits: new Credits(),
    limits: () => options.limits ?? UNSAID_LIMITS,
    log: options.log ?? SILENT,
    windowMs: options.windowMs ?? 2,
  });
}
const served = (name: string, concurrency: number): Served => ({
  name,
  concurrency,
  handler: () => null,
  schedules: [],
});

Deno.test("Backoff doubles its delay per failure within the upper half, caps it and starts over after reset()", () => {
  const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 });
  const bases = [100, 200, 400, 800, 1000, 1000];
  for (const base of bases) {
    const delay = backoff.next();
    assert.ok(delay >= base / 2 && delay <= base, `${delay} within [${base / 2}, ${base}]`);
  }
  backoff.reset();
  assert.ok(backoff.next() <= 100);
});

Deno.test("Backoff starts over after a stream answered on for STABLE_STREAM_MS, or its longest delay when shorter, and counts on after a shorter one", () => {
  for (const [maxDelayMs, stable] of [[10_000, STABLE_STREAM_MS], [500, 500]]) {
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs });
    for (let i = 0; i < 3; i++) backoff.next();
    backoff.streamEnded(stable - 1);
    const counted = backoff.next();
    assert.ok(counted >= 250, `${counted}: the fourth failure's delay (cap ${maxDelayMs})`);
    backoff.streamEnded(stable);
    assert.ok(backoff.next() <= 100, `cap ${maxDelayMs}`);
  }
});

Deno.test("Backoff.cancel() ends a sleep at once and drops a scheduled retry", async () => {
  const backoff = new Backoff();
  const slept = backoff.sleep(60_000);
  backoff.cancel();
  await slept;
  let retried = false;
  backoff.schedule(0, () => retried = true);
  backoff.cancel();
  // A timer set after the retry's, with the same delay, fires after it would have.
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(retried, false);
});

Deno.test("Credits grant the room left on a new stream and one per finished attempt, and zero for all once closed", () => {
  const outbox = new RecordingOutbox();
  const credits = new Credits();
  credits.restart([served("a", 4), served("b", 2)], (name) => name === "a" ? 1 : 2);
  credits.returned("b");
  credits.send(outbox);
  assert.deepEqual(outbox.written, [
    { credit: { executorName: "a", credits: 3 } },
    { credit: { executorName: "b", credits: 1 } },
  ]);
  credits.send(outbox);
  assert.equal(outbox.written.length, 2, "what was sent is not owed again");
  credits.close(["a", "b"], outbox);
  credits.returned("a");
  credits.restart([served("a", 4)], () => 0);
  credits.send(outbox);
  assert.deepEqual(outbox.written.slice(2), [
    { credit: { executorName: "a", credits: 0 } },
    { credit: { executorName: "b", credits: 0 } },
  ]);
});

Deno.test("ResultSender splits results into messages within the manager's size, keeps them until acknowledged and sends them again first on a new stream", async () => {
  const outbox = new RecordingOutbox();
  const limits = { ...UNSAID_LIMITS, maxMessageBytes: 1000 };
  const sender = senderOver(outbox, { limits });
  const result = (i: number) => ({
    taskId: `t${i}`,
    leaseToken: "l",
    ok: true,
    resultJson: JSON.stringify("x".repeat(300)),
  });
  for (let i = 0; i < 5; i++) sender.queue(result(i));
  sender.flush();
  const batches = outbox.written.map((m) => m.results!.results.map((r) => r.taskId));
  assert.deepEqual(batches, [["t0", "t1"], ["t2", "t3"], ["t4"]]);

  sender.acknowledged([{ taskId: "t0", accepted: true, error: "" }]);
  outbox.written.length = 0;
  outbox.isOpen = false;
  sender.queue(result(5));
  sender.flush();
  assert.equal(outbox.written.length, 0, "no stream: the result waits");
  outbox.isOpen = true;
  sender.resend();
  const resent = outbox.written.flatMap((m) => m.results!.results.map((r) => r.taskId));
  assert.deepEqual(resent, ["t1", "t2", "t3", "t4", "t5"]);

  // The manager answers each message, the empty one that ends the wait too.
  const acked = sender.waitForAcks(60_000);
  for (const message of outbox.written) {
    const { results } = message.results!;
    sender.acknowledged(results.map(({ taskId }) => ({ taskId, accepted: true, error: "" })));
  }
  await acked;
  sender.stop();
});

Deno.test("ResultSender sends every result queued once, in order, whichever writes the stream refuses, and again on a new stream those it may not have delivered", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3000 }),
      fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 6 }),
      (count, opens) => {
        // A stream that takes `room` messages, then refuses one (taken as not delivered).
        let room = 0;
        const sent: string[] = [];
        const outbox: Outbox = {
          isOpen: true,
          write(message) {
            if (room-- <= 0) return false;
            sent.push(...message.results!.results.map((r) => r.taskId));
            return true;
          },
        };
        const sender = senderOver(outbox);
        for (let i = 0; i < count; i++) {
          sender.queue({ taskId: `t${i}`, leaseToken: "l", ok: true, resultJson: "1" });
        }
        for (const messages of opens) {
          room = messages;
          sender.flush();
        }
        // Sent so far: in the order queued, none twice.
        assert.deepEqual(sent, [...sent].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
        assert.equal(new Set(sent).size, sent.length);
        room = Infinity;
        const before = sent.length;
        sender.resend();
        // A new stream: what may not have been delivered goes again, and the rest after it, in
        // order, each once.
        const again = sent.slice(before);
        assert.deepEqual(
          again,
          [...new Set(again)].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
        );
        assert.deepEqual(
          [...new Set(sent)].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))),
          Array.from({ length: count }, (_, i) => `t${i}`),
        );
        sender.stop();
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("ResultSender keeps the newest 10,000 results not yet acknowledged, and sends them again oldest first on a new stream", () => {
  const outbox = new RecordingOutbox();
  const sender = senderOver(outbox);
  const count = 10_000 + 2_500;
  for (let i = 0; i < count; i++) {
    sender.queue({ taskId: `t${i}`, leaseToken: "l", ok: true, resultJson: "1" });
  }
  sender.flush();
  assert.equal(outbox.written.flatMap((m) => m.results!.results).length, count);
  outbox.written.length = 0;
  sender.resend();
  const resent = outbox.written.flatMap((m) => m.results!.results.map((r) => r.taskId));
  assert.deepEqual(resent, Array.from({ length: 10_000 }, (_, i) => `t${i + 2_500}`));
  sender.stop();
});

/** A ResultSender of batching window `windowMs` writing to a recording outbox, and result `i`. */
function timedSender(windowMs: number) {
  const outbox = new RecordingOutbox();
  const sender = senderOver(outbox, { windowMs });
  const result = (i: number) => ({ taskId: `t${i}`, leaseToken: "l", ok: true, resultJson: "1" });
  return { outbox, sender, result };
}

Deno.test("ResultSender sends a result that follows a send within the window when the window since that send ends, not a whole window later", async () => {
  const { outbox, sender, result } = timedSender(1000);
  // When the write happened, not when a poll saw it: a poll late by 14 ms on a loaded machine
  // made a send 1,000 ms after the first look 986 ms after it.
  const sent = async (count: number) => {
    while (outbox.written.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    return outbox.writtenAt[count - 1];
  };
  // After a quiet spell: at once (the next turn).
  sender.queue(result(0));
  const first = await sent(1);
  // 700 ms into the window: it waits the 300 ms left, not a whole window (1000 ms).
  await new Promise((resolve) => setTimeout(resolve, 700));
  sender.queue(result(1));
  const second = await sent(2);
  assert.ok(second - first < 1500, `sent ${Math.round(second - first)} ms after the first`);
  assert.ok(second - first >= 990, `sent ${Math.round(second - first)} ms after the first`);
  sender.stop();
});

Deno.test("ResultSender sends a result at once when every result sent before was acknowledged, and one that waits for acknowledgements as soon as they come (Nagle's rule)", async () => {
  const { outbox, sender, result } = timedSender(60_000);
  const ack = (i: number) => sender.acknowledged([{ taskId: `t${i}`, accepted: true, error: "" }]);
  // Well within the window (60 s): a result held for it fails here.
  const sent = async (count: number) => {
    for (let waited = 0; outbox.written.length < count; waited += 5) {
      if (waited > 5000) assert.fail(`${outbox.written.length} of ${count} messages sent`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  sender.queue(result(0));
  await sent(1);
  // Its send was acknowledged: the next goes at once though the window since it is open.
  ack(0);
  sender.queue(result(1));
  await sent(2);
  // One sent is not acknowledged: the next waits, with those that follow it...
  sender.queue(result(2));
  sender.queue(result(3));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(outbox.written.length, 2);
  // ...until it is, then they go together.
  ack(1);
  await sent(3);
  assert.deepEqual(outbox.written[2].results!.results.map((r) => r.taskId), ["t2", "t3"]);
  sender.stop();
});

Deno.test("ResultSender.waitForAcks() writes a results message holding none and waits for the manager's answer to it, after every result is acknowledged, and for results queued meanwhile", async () => {
  const { outbox, sender, result } = timedSender(2);
  const turns = () => new Promise((resolve) => setTimeout(resolve, 20));
  sender.queue(result(1));
  sender.flush();
  let done = false;
  const waited = sender.waitForAcks(60_000).then(() => (done = true));
  const sent = () => outbox.written.map((m) => m.results!.results.map((r) => r.taskId));
  assert.deepEqual(sent(), [["t1"], []]);
  sender.acknowledged([{ taskId: "t1", accepted: true, error: "" }]);
  await turns();
  assert.equal(done, false, "the empty message is not answered yet: more may come before it");
  // A lease given back meanwhile (the worker is stopping): its result is waited for too.
  sender.queue(result(9));
  await turns();
  assert.deepEqual(sent(), [["t1"], [], ["t9"]]);
  sender.acknowledged([]);
  await turns();
  assert.equal(done, false, "the given-back result is not acknowledged yet");
  sender.acknowledged([{ taskId: "t9", accepted: true, error: "" }]);
  await waited;
  sender.stop();
});

Deno.test("ResultSender keeps the results of two attempts of one task each until its own acknowledgement, and sends both again on a new stream", () => {
  const warned: string[] = [];
  const outbox = new RecordingOutbox();
  const sender = senderOver(outbox, {
    log: { ...SILENT, warn: (_msg, fields) => warned.push(String(fields?.taskId)) },
  });
  const sentAgain = () => {
    outbox.written.length = 0;
    sender.resend();
    return outbox.written.flatMap((m) =>
      m.results!.results.map((r) => `${r.taskId}/${r.leaseToken}`)
    );
  };
  // The task leased again to this worker: the new attempt reports, then the old one (taken back).
  sender.queue({ taskId: "t", leaseToken: "new", ok: true, resultJson: "1" });
  sender.flush();
  sender.expectRefusal("t", "old");
  sender.queue({ taskId: "t", leaseToken: "old", ok: false, error: "lease lost" });
  sender.flush();
  assert.deepEqual(sentAgain(), ["t/new", "t/old"], "neither took the other's place");
  // The manager answers the first sent (the new attempt's): the old one is still waiting.
  sender.acknowledged([{ taskId: "t", accepted: true, error: "" }]);
  assert.deepEqual(sentAgain(), ["t/old"], "the ack answered the new attempt's result alone");
  // Its refusal was expected: no warning. A refusal of a result of the task now warns.
  sender.acknowledged([{ taskId: "t", accepted: false, error: "Stale lease" }]);
  assert.deepEqual(sentAgain(), []);
  sender.queue({ taskId: "t", leaseToken: "third", ok: true, resultJson: "1" });
  sender.flush();
  sender.acknowledged([{ taskId: "t", accepted: false, error: "Refused" }]);
  assert.deepEqual(warned, ["t"]);
  sender.stop();
});

Deno.test("ResultSender warns of a refusal of a result it sent, and of none of a result it never sent or that was answered before", () => {
  const warned: string[] = [];
  const sender = senderOver(new RecordingOutbox(), {
    log: { ...SILENT, warn: (_msg, fields) => warned.push(String(fields?.taskId)) },
  });
  sender.queue({ taskId: "sent", leaseToken: "l", ok: true, resultJson: "1" });
  sender.flush();
  const refused = (taskId: string) => ({ taskId, accepted: false, error: "Refused" });
  sender.acknowledged([
    ...Array.from({ length: 1000 }, (_, i) => refused(`never${i}`)),
    refused("sent"),
  ]);
  sender.acknowledged([refused("sent")]);
  assert.deepEqual(warned, ["sent"]);
  sender.stop();
});

Deno.test("a lease runs to its expiry and beats every third of it; an expired one falls back to the executor's timeout", () => {
  assert.deepEqual(leaseTiming(31_000, 5000, 1000), {
    leaseMs: 30_000,
    heartbeatEveryMs: 10_000,
    deadline: 31_000,
    nextHeartbeatAt: 11_000,
    lastHeartbeatAt: 1000,
  });
  assert.equal(leaseTiming(0, 5000, 1000).leaseMs, 5000);
  assert.equal(leaseTiming(1150, 5000, 1000).heartbeatEveryMs, 100, "at least 100 ms apart");
});

Deno.test("progress taken under a larger maxProgressBytes than a later welcome names is dropped with a warning, not a debug line; a heartbeat is judged by the latest welcome; progress waits for a stream to be sent on", async () => {
  const outbox = new RecordingOutbox();
  let limits: SendLimits = { ...UNSAID_LIMITS, maxProgressBytes: 1024 };
  const warned: [string, Record<string, unknown> | undefined][] = [];
  const debugged: string[] = [];
  const log: Logger = {
    ...SILENT,
    debug: (message) => debugged.push(message),
    warn: (message, fields) => warned.push([message, fields]),
  };
  const leases = new Map<string, Lease>();
  const heartbeats = new Heartbeats({ leases, outbox, limits: () => limits, log, abort: () => {} });
  const lease: Lease = {
    taskId: "t1",
    controller: new AbortController(),
    ...leaseTiming(Date.now() + 600, 600, Date.now()),
    progressJson: undefined,
    released: false,
  };
  leases.set(lease.taskId, lease);
  heartbeats.track(lease);
  /** Waits for the next heartbeat written, and answers its progress of t1. */
  const nextHeartbeat = async (): Promise<string | undefined> => {
    const before = outbox.written.length;
    const started = performance.now();
    while (outbox.written.length === before) {
      assert.ok(performance.now() - started < 5000, "a heartbeat within 5 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return outbox.written.at(-1)!.heartbeat!.progressJson?.t1;
  };
  try {
    const large = { text: "x".repeat(500) };
    heartbeats.beat(lease, large);
    // A reconnect to a manager whose welcome names a smaller limit, before the heartbeat went.
    limits = { ...limits, maxProgressBytes: 100 };
    assert.equal(await nextHeartbeat(), undefined);
    assert.equal(warned.length, 1, JSON.stringify(warned));
    assert.match(warned[0][0], /maxProgressBytes/);
    assert.deepEqual(warned[0][1], {
      taskId: "t1",
      progressBytes: JSON.stringify(large).length,
      maxProgressBytes: 100,
    });
    assert.deepEqual(debugged, []);
    // The same progress now is refused at once, against the latest welcome's limit.
    assert.throws(() => heartbeats.beat(lease, large), InvalidArgumentError);
    // Progress is the value as reported: changed afterwards, the report stands.
    const small = { done: 1 };
    heartbeats.beat(lease, small);
    small.done = 2;
    // No stream open when the heartbeat is due: the progress goes with the next one written.
    outbox.isOpen = false;
    await new Promise((resolve) => setTimeout(resolve, 400));
    heartbeats.beat(lease, undefined);
    outbox.isOpen = true;
    assert.equal(await nextHeartbeat(), '{"done":1}');
    assert.equal(await nextHeartbeat(), undefined, "sent once");
    assert.equal(warned.length, 1);
  } finally {
    heartbeats.stop();
  }
});

Deno.test("the welcome's limits replace the assumed ones, those it leaves unsaid (0) are kept", () => {
  const limits = limitsOfWelcome({
    managerId: "m",
    maxMessageBytes: 1024,
    maxResultBytes: 0,
    maxErrorChars: 100,
  });
  assert.deepEqual(limits, {
    ...UNSAID_LIMITS,
    maxMessageBytes: 1024,
    maxErrorChars: 100,
  });
});

Deno.test("a welcome's message size past what the worker sends counts as that: a result too large for it fails alone", () => {
  const limits = limitsOfWelcome({
    managerId: "m",
    maxMessageBytes: 2 ** 62,
    maxResultBytes: 2 ** 62,
    maxErrorChars: 0,
  });
  assert.equal(limits.maxMessageBytes, MAX_MESSAGE_BYTES);
  const fitted = fitResult(
    { taskId: "t", leaseToken: "l", ok: true, resultJson: "x".repeat(MAX_MESSAGE_BYTES) },
    limits,
  );
  assert.equal(fitted.ok, false);
  assert.match(
    fitted.error ?? "",
    /^Result cannot be stored as it is: \/result: Must be at most \d+ bytes of JSON \(the manager's limit\), not \d+$/,
  );
});

Deno.test("missingKeyHint says how to give a key for the way none was found, and nothing when one was", () => {
  const saved = Deno.env.get("TASKS_EXECUTOR_API_KEY");
  try {
    Deno.env.delete("TASKS_EXECUTOR_API_KEY");
    assert.equal(
      missingKeyHint(undefined),
      "No API key given: set TASKS_EXECUTOR_API_KEY or the apiKey option",
    );
    // Given empty, the option is what counts: the variable is not read.
    assert.equal(missingKeyHint(""), "No API key given: the apiKey option is empty");
    assert.equal(missingKeyHint("te_given"), null);
    Deno.env.set("TASKS_EXECUTOR_API_KEY", "te_given");
    assert.equal(missingKeyHint(undefined), null);
  } finally {
    if (saved === undefined) Deno.env.delete("TASKS_EXECUTOR_API_KEY");
    else Deno.env.set("TASKS_EXECUTOR_API_KEY", saved);
  }
});
