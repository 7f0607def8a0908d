/** Metrics, health and stats of a running manager, read the way an operator's tools read them. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { startTestManager } from "./_manager.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reader of the Prometheus text format: throws on any line it does not understand. */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/
      .exec(line);
    if (type) {
      assert.ok(!types.has(type[1]), `Family ${type[1]} is declared twice`);
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `Unreadable line: ${line}`);
    const labels: Record<string, string> = {};
    for (
      const pair of (sample[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)
    ) {
      labels[pair[1]] = pair[2];
    }
    const value = sample[3] === "+Inf" ? Infinity : Number(sample[3]);
    assert.ok(!Number.isNaN(value), `Bad value in: ${line}`);
    const family = sample[1].replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(sample[1]) || types.has(family), `Sample before its TYPE: ${line}`);
    samples.push({ name: sample[1], labels, value });
  }
  return { types, samples };
}

function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string>,
): number | undefined {
  return samples.find((s) =>
    s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )?.value;
}

async function post(url: string, body: unknown): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("/metrics counts tasks, attempts and latencies in the Prometheus text format", async () => {
  await using manager = await startTestManager();
  const api = `${manager.httpUrl}/api/v1`;
  await (await post(`${api}/executors`, {
    config: { name: "metered", retryPolicy: { type: "constant", maxAttempts: 1, interval: 10 } },
  })).body?.cancel();
  await (await post(`${api}/tasks/batch`, {
    tasks: [1, 2, 3].map((n) => ({ executorName: "metered", data: { n } })),
  })).body?.cancel();

  await using worker = await TestWorker.connect(manager.grpcAddress, {
    workerId: "metrics-worker",
    executors: ["metered"],
  });
  worker.handle((a) =>
    JSON.parse(a.dataJson).n === 3
      ? { ok: false, error: "Boom", retryable: false }
      : { ok: true, resultJson: "{}" }
  );
  worker.credit("metered", 3);
  await worker.next(() => worker.assignments.length === 3 && worker.running.size === 0);

  // Settlements are applied after the results arrive: wait until the store shows all three done.
  let byStatus: Record<string, number> = {};
  for (let i = 0; i < 200; i++) {
    const stats = await (await fetch(`${api}/stats`)).json();
    byStatus = stats.executors[0].byStatus;
    if (byStatus.completed === 2 && byStatus.dlq === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(byStatus.completed, 2);
  assert.equal(byStatus.dlq, 1);

  const response = await fetch(`${manager.httpUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const { types, samples } = parsePrometheus(await response.text());
  const executor = { executor: "metered" };
  assert.equal(valueOf(samples, "tasks_executor_tasks_created_total", executor), 3);
  assert.equal(valueOf(samples, "tasks_executor_tasks_completed_total", executor), 2);
  assert.equal(valueOf(samples, "tasks_executor_task_attempts_failed_total", executor), 1);
  assert.equal(valueOf(samples, "tasks_executor_tasks_dead_lettered_total", executor), 1);
  assert.equal(valueOf(samples, "tasks_executor_tasks", { ...executor, status: "completed" }), 2);
  assert.equal(valueOf(samples, "tasks_executor_dlq_size", executor), 1);
  assert.equal(valueOf(samples, "tasks_executor_workers_connected", executor), 1);
  assert.equal(valueOf(samples, "tasks_executor_store_up", { store: "sqlite" }), 1);

  // Counters end in _total; histograms have cumulative buckets ending in +Inf = _count.
  for (const [name, type] of types) {
    if (type === "counter") assert.match(name, /_total$/);
    assert.match(name, /^(tasks_executor_|process_)/);
  }
  for (
    const name of ["tasks_executor_task_run_seconds", "tasks_executor_task_queue_wait_seconds"]
  ) {
    assert.equal(types.get(name), "histogram");
    const buckets = samples.filter((s) =>
      s.name === `${name}_bucket` && s.labels.executor === "metered"
    );
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value);
    assert.equal(buckets.at(-1)?.labels.le, "+Inf");
    assert.equal(buckets.at(-1)?.value, valueOf(samples, `${name}_count`, executor));
    assert.equal(valueOf(samples, `${name}_count`, executor), 3);
  }
  // The event loop probe has turned while the tasks ran (every 20 ms); the manager's stop stops
  // it, or this test fails for the timer it leaks.
  const delay = "tasks_executor_event_loop_delay_seconds";
  assert.equal(types.get(delay), "histogram");
  const delays = samples.filter((s) => s.name === `${delay}_bucket`);
  assert.deepEqual(delays.map((s) => s.labels.le).slice(0, 2), ["0.005", "0.01"]);
  assert.equal(delays.at(-1)?.labels.le, "+Inf");
  assert.ok(valueOf(samples, `${delay}_count`, {})! > 0, "the probe has turned");
});

Deno.test("/healthz and /readyz report a live manager and a reachable store", async () => {
  await using manager = await startTestManager();
  const health = await fetch(`${manager.httpUrl}/healthz`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  const ready = await fetch(`${manager.httpUrl}/readyz`);
  assert.equal(ready.status, 200);
  const body = await ready.json();
  assert.deepEqual(body.checks, { servers: "ok", store: "ok" });
});

Deno.test("/api/v1/stats flags an executor with waiting tasks and no worker", async () => {
  await using manager = await startTestManager();
  const api = `${manager.httpUrl}/api/v1`;
  await (await post(`${api}/executors`, { config: { name: "orphan" } })).body?.cancel();
  await (await post(`${api}/tasks`, { executorName: "orphan", data: {} })).body?.cancel();
  const stats = await (await fetch(`${api}/stats`)).json();
  const orphan = stats.executors.find((e: { executorName: string }) => e.executorName === "orphan");
  assert.equal(orphan.byStatus.pending, 1);
  assert.equal(orphan.workers, 0);
  assert.equal(orphan.noWorkers, true);
  assert.ok(typeof orphan.oldestPendingAt === "string");
});

/** Each series of `samples`, as its name and labels, for telling new series from old ones. */
function seriesOf(samples: Sample[]): Set<string> {
  return new Set(samples.map((s) => `${s.name}${JSON.stringify(s.labels)}`));
}

Deno.test("/metrics labels requests from a fixed set: made-up methods, paths and gRPC methods add no series", async () => {
  const admin = `te_0123456789abcdef_${"A".repeat(43)}`;
  await using manager = await startTestManager({ env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin } });
  const authorization = `Bearer ${admin}`;
  const scrape = async () =>
    parsePrometheus(
      await (await fetch(`${manager.httpUrl}/metrics`, { headers: { authorization } })).text(),
    ).samples;
  const requests = (samples: Sample[]) =>
    samples.filter((s) => /^tasks_executor_(http|grpc)_requests_total$/.test(s.name));
  const before = seriesOf(requests(await scrape()));

  // Anyone may send these: no key, a method of its own on a route or on a path of its own.
  const made = 30;
  for (let i = 0; i < made; i++) {
    const response = await fetch(
      `${manager.httpUrl}${i % 2 ? "/api/v1/tasks" : `/nowhere/${i}`}`,
      { method: `MADEUP${i}${"M".repeat(500)}`, headers: i % 3 ? {} : { authorization } },
    );
    await response.body?.cancel();
    assert.ok(response.status >= 400, `A made-up method was answered ${response.status}`);
  }
  const client = new grpc.Client(manager.grpcAddress, grpc.credentials.createInsecure());
  try {
    for (let i = 0; i < 5; i++) {
      const code = await new Promise<number | undefined>((resolve) =>
        client.makeUnaryRequest(
          `/madeup${i}.Service/Method${i}`,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          Buffer.alloc(0),
          (error) => resolve(error?.code),
        )
      );
      assert.equal(code, grpc.status.UNIMPLEMENTED);
    }
  } finally {
    client.close();
  }

  const after = requests(await scrape());
  for (const sample of after) {
    for (const value of Object.values(sample.labels)) {
      assert.doesNotMatch(value, /madeup|nowhere|MMMM/i, `A client's text in ${sample.name}`);
    }
  }
  const added = after.filter((s) => !before.has(`${s.name}${JSON.stringify(s.labels)}`));
  assert.ok(added.length <= 3, `Made-up requests added ${added.length} series`);
  // Still counted, under one method label.
  const other = after.filter((s) => s.labels.method === "other");
  assert.equal(other.reduce((sum, s) => sum + s.value, 0), made);
  assert.ok(other.every((s) => s.labels.route === "unmatched"));
});

Deno.test("/metrics drops every series of an executor once it is deleted", async () => {
  await using manager = await startTestManager();
  const api = `${manager.httpUrl}/api/v1`;
  for (const name of ["kept", "gone"]) {
    await (await post(`${api}/executors`, { config: { name } })).body?.cancel();
    await (await post(`${api}/tasks`, { executorName: name, data: {} })).body?.cancel();
  }
  await using worker = await TestWorker.connect(manager.grpcAddress, {
    workerId: "deleted-executor-worker",
    executors: ["kept", "gone"],
  });
  worker.handle(() => ({ ok: true, resultJson: "{}" }));
  worker.credit("kept", 1);
  worker.credit("gone", 1);
  await worker.next(() => worker.assignments.length === 2 && worker.running.size === 0);

  const scrape = async () =>
    parsePrometheus(await (await fetch(`${manager.httpUrl}/metrics`)).text()).samples;
  const labelled = (samples: Sample[], executor: string) =>
    new Set(samples.filter((s) => s.labels.executor === executor).map((s) => s.name));
  const before = await scrape();
  for (const executor of ["kept", "gone"]) {
    assert.equal(valueOf(before, "tasks_executor_tasks_created_total", { executor }), 1);
    assert.equal(valueOf(before, "tasks_executor_tasks_dispatched_total", { executor }), 1);
  }
  const keptFamilies = labelled(before, "kept");

  const deleted = await fetch(`${api}/executors/gone?force=true`, { method: "DELETE" });
  assert.ok(deleted.ok, `Delete answered ${deleted.status}`);
  await deleted.body?.cancel();

  const after = await scrape();
  assert.deepEqual([...labelled(after, "gone")], []);
  assert.deepEqual(labelled(after, "kept"), keptFamilies);
  assert.equal(valueOf(after, "tasks_executor_tasks_created_total", { executor: "kept" }), 1);
});

Deno.test("/metrics shows each executor's counters from its first scrape, at 0 before anything counts", async () => {
  await using manager = await startTestManager();
  await manager.service.createExecutor({ name: "quiet" });
  const samples = parsePrometheus(await (await fetch(`${manager.httpUrl}/metrics`)).text()).samples;
  for (
    const name of [
      "tasks_executor_tasks_created_total",
      "tasks_executor_tasks_completed_total",
      "tasks_executor_task_attempts_failed_total",
      "tasks_executor_tasks_dead_lettered_total",
      "tasks_executor_tasks_dispatched_total",
    ]
  ) {
    // A series that appears with its first task hides that task from rate() and increase().
    assert.equal(valueOf(samples, name, { executor: "quiet" }), 0, name);
  }
});

Deno.test("/metrics drops the fire series of a deleted schedule", async () => {
  await using manager = await startTestManager();
  const api = `${manager.httpUrl}/api/v1`;
  await (await post(`${api}/executors`, { config: { name: "tick" } })).body?.cancel();
  for (const name of ["kept-schedule", "gone-schedule"]) {
    const created = await post(`${api}/schedules`, { name, executorName: "tick", every: "1s" });
    assert.equal(created.status, 201, await created.text());
  }
  const scrape = async () =>
    parsePrometheus(await (await fetch(`${manager.httpUrl}/metrics`)).text()).samples;
  const fires = (samples: Sample[], schedule: string) =>
    valueOf(samples, "tasks_executor_schedule_fires_total", { schedule, executor: "tick" }) ?? 0;
  // The scheduler fires each within a second or so; wait for both to be counted.
  for (;;) {
    const before = await scrape();
    if (fires(before, "kept-schedule") > 0 && fires(before, "gone-schedule") > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const deleted = await fetch(`${api}/schedules/gone-schedule`, { method: "DELETE" });
  assert.ok(deleted.ok, `Delete answered ${deleted.status}`);
  await deleted.body?.cancel();

  const after = await scrape();
  assert.deepEqual(after.filter((s) => s.labels.schedule === "gone-schedule"), []);
  assert.ok(fires(after, "kept-schedule") > 0, "the other schedule's series stay");
});
