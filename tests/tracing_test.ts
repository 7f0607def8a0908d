/**
 * Tracing end to end: a producer's W3C traceparent, sent through REST and through the SDK client,
 * is stored with the task, continued by the manager's spans and by a real worker process's attempt
 * spans (exported over OTLP/HTTP to a receiver inside the test), and given to the handler.
 */
import assert from "node:assert/strict";
import {
  type Context,
  context,
  type ContextManager,
  ROOT_CONTEXT,
  trace,
} from "@opentelemetry/api";
import { Client } from "../sdk/mod.ts";
import { startTestManager } from "./_manager.ts";
import { OtlpReceiver, type ReceivedSpan } from "./fixtures/otlp_receiver.ts";
import { Proc } from "./fixtures/process.ts";
import { restOk } from "./fixtures/rest.ts";

const WORKER = new URL("./fixtures/traced_worker.ts", import.meta.url).pathname;

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A producer's span context, as a traceparent (sampled). */
function producerSpan(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomHex(16);
  const spanId = randomHex(8);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/**
 * The smallest OpenTelemetry context manager (synchronous scopes only), standing in for the one a
 * producer's OpenTelemetry SDK sets up: enough for `Client.createTask`, which reads the active
 * span before its first await.
 */
class StackContextManager implements ContextManager {
  #stack: Context[] = [ROOT_CONTEXT];
  active(): Context {
    return this.#stack.at(-1)!;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    this.#stack.push(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#stack.pop();
    }
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#stack = [ROOT_CONTEXT];
    return this;
  }
}

function named(spans: ReceivedSpan[], prefix: string, service: string): ReceivedSpan[] {
  return spans.filter((s) => s.name.startsWith(prefix) && s.service === service);
}

Deno.test("a traceparent sent through REST, through the SDK and from the producer's active span reaches the handler as ctx.traceparent, and the create span, dispatches and every attempt (retry included) export into the producer's trace", async () => {
  await using receiver = new OtlpReceiver();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint };
  await using manager = await startTestManager({ env: otel });
  await using worker = new Proc("traced worker", Deno.execPath(), ["run", "-A", WORKER], {
    SDK_ADDRESS: manager.grpcAddress,
    OTEL_SERVICE_NAME: "traced-worker",
    ...otel,
  });
  await worker.waitForLine((line) => line === "ready tracing=true");

  const viaRest = producerSpan();
  const response = await fetch(`${manager.httpUrl}/api/v1/tasks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      traceparent: viaRest.traceparent,
      tracestate: "producer=rest",
    },
    body: JSON.stringify({ task: { executorName: "traced", data: { via: "rest" } } }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  const restTask = (await response.json()).task;

  const viaSdk = producerSpan();
  using client = new Client({ address: manager.grpcAddress });
  const sdkTask = await client.createTask("traced", { via: "sdk" }, {
    traceparent: viaSdk.traceparent,
  });

  // Created and waited for in one call (CreateAndWatchTask): the same metadata.
  const viaWait = producerSpan();
  const waitTask = await client.createTaskAndWait("traced", { via: "wait" }, {
    traceparent: viaWait.traceparent,
    timeoutMs: 20_000,
  });

  // No option: the SDK takes the span active in the producer's OpenTelemetry context.
  const viaActive = producerSpan();
  context.setGlobalContextManager(new StackContextManager());
  const active = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: viaActive.traceId,
    spanId: viaActive.spanId,
    traceFlags: 1,
  });
  let activeTask;
  try {
    activeTask = await context.with(active, () => client.createTask("traced", { via: "active" }));
  } finally {
    context.disable();
  }

  for (const id of [restTask.id, sdkTask.id, waitTask.id, activeTask.id]) {
    const done = await client.waitForTask(id, { timeoutMs: 20_000 });
    assert.equal(done.status, "completed", worker.describe());
    assert.equal(done.attempt, 2);
  }
  // Both flush what they buffered when they stop.
  worker.kill("SIGTERM");
  await worker.status;
  await manager.shutdown();

  const cases = [
    [viaRest, restTask],
    [viaSdk, sdkTask],
    [viaWait, waitTask],
    [viaActive, activeTask],
  ] as const;
  for (const [producer, task] of cases) {
    const spans = receiver.trace(producer.traceId);
    const [create, ...moreCreates] = named(spans, "create traced", "tasks-executor");
    assert.ok(create, `no create span in ${JSON.stringify(receiver.spans, null, 1)}`);
    assert.equal(moreCreates.length, 0);
    assert.equal(create.parentSpanId, producer.spanId, "the create span is the producer's child");

    const dispatches = named(spans, "dispatch traced", "tasks-executor");
    const settles = named(spans, "settle traced", "tasks-executor");
    const runs = named(spans, "run traced", "traced-worker");
    for (const [what, list] of [["dispatch", dispatches], ["settle", settles], ["run", runs]]) {
      const attempts = (list as ReceivedSpan[]).map((s) =>
        s.attributes["tasks_executor.task.attempt"]
      );
      assert.deepEqual(attempts.sort(), [1, 2], `${what} spans, one per attempt`);
      for (const span of list as ReceivedSpan[]) {
        assert.equal(span.parentSpanId, create.spanId, `${what} is a child of the create span`);
        assert.equal(span.attributes["messaging.message.id"], task.id);
      }
    }
    const failed = [settles, runs].map((list) =>
      list.find((s) => s.attributes["tasks_executor.task.attempt"] === 1)!
    );
    assert.deepEqual(
      failed.map((s) => s.statusCode),
      [2, 2],
      "the failed attempt's spans are errors",
    );

    // The handler saw its own attempt span's context, in the producer's trace.
    const seen = worker.lines.filter((line) => line.startsWith(`attempt ${task.id} `))
      .map((line) => line.split(" ")[3]);
    assert.deepEqual(
      seen.sort(),
      runs.map((run) => `00-${producer.traceId}-${run.spanId}-01`).sort(),
    );
  }
});

Deno.test("a malformed traceparent is ignored as W3C asks: the task is created and starts a trace of its own", async () => {
  await using receiver = new OtlpReceiver();
  await using manager = await startTestManager({
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
  });
  await restOk(manager, "POST", "/executors", { config: { name: "traced" } });
  const response = await fetch(`${manager.httpUrl}/api/v1/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json", traceparent: "00-nothex-00-01" },
    body: JSON.stringify({ task: { executorName: "traced", data: null } }),
  });
  assert.equal(response.status, 201);
  await response.body?.cancel();
  await manager.shutdown();
  const [create] = receiver.spans.filter((s) => s.name === "create traced");
  assert.ok(create);
  assert.equal(create.parentSpanId, "", "a root span: nothing of the bad header was kept");
});
