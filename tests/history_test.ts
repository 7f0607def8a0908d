/**
 * Task history end to end: the recorder turns engine counters and service events into minutes in
 * the store, and `GET /api/v1/history` serves them (on each store), bounded and aligned.
 */
import assert from "node:assert/strict";
import { bucketOf, MINUTE_MS } from "../server/domain/history.ts";
import { HistoryRecorder } from "../server/engine/history_recorder.ts";
import { StatsRecorder } from "../server/engine/stats.ts";
import { createLogger } from "../server/log.ts";
import { ServiceEvents } from "../server/service/events.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import { startTestManager } from "./_manager.ts";
import { BACKENDS, backendTest } from "./fixtures/backends.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import * as grpc from "@grpc/grpc-js";
import { executorNotFoundFromMetadata } from "@tasks-executor/proto";
import { managerClient, rejectsWith, unary } from "./fixtures/grpc_stack.ts";

const log = createLogger({ level: "error", format: "pretty" });

Deno.test("the history recorder adds engine counter changes and events to the minute they were flushed in", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const events = new ServiceEvents();
  const stats = new StatsRecorder();
  let now = 10 * MINUTE_MS + 5_000;
  const snapshot = () => stats.snapshot({ workers: 0, inFlight: 0 });
  const recorder = new HistoryRecorder(
    { history: store.history, events, stats: snapshot, log },
    { ttlMs: 0, flushMs: 3_600_000, now: () => now },
  );
  recorder.start();
  try {
    const a = stats.of("a");
    a.dispatched += 3;
    a.completed += 2;
    a.failedAttempts += 1;
    a.retried += 1;
    stats.sample(a.runTimeMs, 40);
    stats.sample(a.runTimeMs, 400_000);
    events.emit({ type: "tasks_created", counts: { a: 3, b: 1 } });
    await recorder.flush();
    now += MINUTE_MS;
    a.completed += 1;
    events.emit({ type: "tasks_cancelled", counts: { b: 1 } });
    await recorder.flush();
    await recorder.flush(); // nothing new: adds nothing

    const points = await store.history.historyRead({
      from: 10 * MINUTE_MS,
      to: 12 * MINUTE_MS,
      step: MINUTE_MS,
    });
    assert.deepEqual(points.map((p) => p.at), [10 * MINUTE_MS, 11 * MINUTE_MS]);
    assert.deepEqual(points[0].counts, {
      created: 4,
      started: 3,
      completed: 2,
      failedAttempts: 1,
      retried: 1,
      deadLettered: 0,
      cancelled: 0,
    });
    assert.equal(points[0].runTimeMs[bucketOf(40)], 1);
    assert.equal(points[0].runTimeMs[bucketOf(400_000)], 1, "the overflow bucket");
    assert.equal(points[1].counts.completed, 1);
    assert.equal(points[1].counts.cancelled, 1);
  } finally {
    await recorder.stop();
    await recorder.stop();
  }
});

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "GET /history answers created and cancelled tasks per executor and in total, once flushed",
    async ({ manager }) => {
      for (const name of ["x", "y"]) {
        await restOk(manager, "POST", "/executors", { config: { name, enabled: false } });
      }
      const { tasks } = await restOk(manager, "POST", "/tasks/batch", {
        tasks: [
          { executorName: "x", data: {} },
          { executorName: "x", data: {} },
          { executorName: "x", data: {} },
          { executorName: "y", data: {} },
        ],
      });
      await restOk(manager, "POST", `/tasks/${tasks[0].id}/cancel`);
      await manager.history.flush();

      const x = await restOk(manager, "GET", "/history?executorName=x");
      assert.equal(x.executorName, "x");
      assert.equal(x.stepMs, MINUTE_MS);
      assert.equal(x.points.length, 60, "an hour of minutes by default");
      assert.equal(x.totals.created, 3);
      assert.equal(x.totals.cancelled, 1);
      assert.deepEqual(x.totals.runTimeMs, { p50: null, p95: null });
      const last = x.points.filter((p: { created: number }) => p.created > 0);
      assert.equal(last.length, 1);
      assert.ok(Date.parse(last[0].at) <= Date.now());

      const all = await restOk(manager, "GET", "/history?step=5m");
      assert.equal(all.executorName, null);
      assert.equal(all.points.length, 12);
      assert.equal(all.totals.created, 4);
      for (const point of all.points) assert.equal(Date.parse(point.at) % (5 * MINUTE_MS), 0);
    },
  );
}

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "a deleted executor's history is read by its name, REST and gRPC, while the store holds its rows (they count in the totals); a name no row names is 404 / NOT_FOUND",
    async ({ manager }) => {
      for (const name of ["left", "kept"]) {
        await restOk(manager, "POST", "/executors", { config: { name, enabled: false } });
        await restOk(manager, "POST", "/tasks", { executorName: name, data: {} });
      }
      await manager.history.flush();
      assert.equal((await rest(manager, "DELETE", "/executors/left?force=true")).status, 204);
      await manager.history.flush();
      const all = await restOk(manager, "GET", "/history");
      assert.equal(all.totals.created, 2, "its rows count in the totals");
      const left = await restOk(manager, "GET", "/history?executorName=left");
      assert.deepEqual([left.executorName, left.totals.created], ["left", 1]);
      const each = await restOk(manager, "GET", "/history?executorNames=kept,left");
      assert.deepEqual(
        each.series.map((s: { executorName: string; totals: { created: number } }) => [
          s.executorName,
          s.totals.created,
        ]),
        [["kept", 1], ["left", 1]],
      );
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        const viaGrpc = await unary<{ totals: { created: string | number } }>(
          client,
          "GetHistory",
          { executorName: "left" },
        );
        assert.equal(Number(viaGrpc.totals.created), 1);
        const eachGrpc = await unary<{ series: { executorName: string }[] }>(
          client,
          "GetHistory",
          { executorNames: ["kept", "left"] },
        );
        assert.deepEqual(eachGrpc.series.map((s) => s.executorName), ["kept", "left"]);
        // A name no executor has and no row names: refused as every read of a missing executor.
        for (const query of ["executorName=never", "executorNames=left,never"]) {
          const missing = await rest(manager, "GET", `/history?${query}`);
          assert.equal(missing.status, 404, query);
          assert.equal(missing.body.detail, 'Executor "never" does not exist', query);
        }
        for (const request of [{ executorName: "never" }, { executorNames: ["left", "never"] }]) {
          const refused = await rejectsWith(
            unary(client, "GetHistory", request),
            grpc.status.NOT_FOUND,
          );
          assert.equal(executorNotFoundFromMetadata(refused.metadata), "never");
        }
        // Its rows gone (retention), its name is refused too.
        await manager.store.history.historyPrune(Date.now() + 2 * 60 * MINUTE_MS);
        assert.equal((await rest(manager, "GET", "/history?executorName=left")).status, 404);
        assert.equal((await rest(manager, "GET", "/history?executorName=kept")).status, 200);
      } finally {
        client.close();
      }
    },
  );
}

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "stats of an executor deleted whose tasks are still counted are read by its name, REST and gRPC, as every executor's stats list them; a name nothing counts is 404 / NOT_FOUND",
    async ({ manager }) => {
      await restOk(manager, "POST", "/executors", { config: { name: "left", enabled: false } });
      await restOk(manager, "POST", "/tasks", { executorName: "left", data: {} });
      // Deleted, its tasks not swept yet (a delete removes them after the executor, a slice at a
      // time): its tasks are counted, the executor is not there.
      const executorVersions = manager.store.executorVersions;
      manager.store.executorVersions = async (...args) =>
        (await executorVersions.apply(manager.store, args)).filter((e) => e.name !== "left");
      const all = await restOk(manager, "GET", "/stats");
      assert.deepEqual(
        all.executors.map((e: { executorName: string }) => e.executorName),
        ["left"],
        JSON.stringify(all),
      );
      const left = await restOk(manager, "GET", "/stats?executorName=left");
      assert.deepEqual(left, all);
      const port = Number(manager.grpcAddress.split(":").pop());
      const client = managerClient(port, { ownConnection: true });
      try {
        const viaGrpc = await unary<{ executors: { executorName: string }[] }>(
          client,
          "GetStats",
          { executorName: "left" },
        );
        assert.deepEqual(viaGrpc.executors.map((e) => e.executorName), ["left"]);
        assert.equal((await rest(manager, "GET", "/stats?executorName=never")).status, 404);
        const refused = await rejectsWith(
          unary(client, "GetStats", { executorName: "never" }),
          grpc.status.NOT_FOUND,
        );
        assert.equal(executorNotFoundFromMetadata(refused.metadata), "never");
      } finally {
        client.close();
      }
    },
  );
}

for (const backend of BACKENDS) {
  backendTest(
    backend,
    "executors named like Object.prototype's members are counted as any other, in history and metrics",
    async ({ manager }) => {
      const names = ["constructor", "__proto__"];
      for (const name of names) {
        await restOk(manager, "POST", "/executors", { config: { name, enabled: false } });
        await restOk(manager, "POST", "/tasks", { executorName: name, data: 1 });
        await restOk(manager, "POST", "/tasks/batch", {
          tasks: [{ executorName: name, data: 2 }, { executorName: name, data: 3 }],
        });
        const { cancelled } = await restOk(manager, "POST", `/tasks/cancel?executorName=${name}`);
        assert.equal(cancelled, 3);
      }
      await manager.history.flush();
      const metrics = await (await fetch(`${manager.httpUrl}/metrics`)).text();
      for (const name of names) {
        const { totals } = await restOk(manager, "GET", `/history?executorName=${name}`);
        assert.equal(totals.created, 3, name);
        assert.equal(totals.cancelled, 3, name);
        const line = metrics.split("\n").find((l) =>
          l.startsWith(`tasks_executor_tasks_created_total{executor="${name}"} `)
        );
        assert.equal(line?.split(" ")[1], "3", String(line));
      }
    },
  );
}

Deno.test("GET /history refuses a bad step or window, naming the field", async () => {
  await using manager = await startTestManager();
  for (
    const [query, field] of [
      ["step=30s", "step"],
      ["step=often", "step"],
      ["from=2030-01-01T00:00:00Z&to=2029-01-01T00:00:00Z", "from"],
      ["from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z", "step"],
      ["to=tomorrow", "to"],
      // Moved up to the end of its step, `to` would be answered past year 9999: no RFC 3339 time,
      // nor a protobuf Timestamp (it was answered "+010000-01-06T00:00:00.000Z").
      ["from=9999-12-01T00:00:00Z&to=253402300799999&step=7d", "to"],
      ["from=9999-12-31T00:00:00Z&to=9999-12-31T23:59:59.999Z", "to"],
    ]
  ) {
    const answer = await rest(manager, "GET", `/history?${query}`);
    assert.equal(answer.status, 400, query);
    assert.equal(answer.body.errors[0].field, field, query);
  }
  // A `to` in 1970's first hour: the default window starts no earlier than 1970.
  const early = await rest(manager, "GET", "/history?to=1");
  assert.equal(early.status, 200);
  assert.equal(early.body.from, "1970-01-01T00:00:00.000Z");
  // The last step that ends by then is answered.
  const last = await rest(
    manager,
    "GET",
    "/history?from=9999-12-31T23:00:00Z&to=9999-12-31T23:59:00Z&step=1m",
  );
  assert.equal(last.status, 200);
  assert.equal(last.body.to, "9999-12-31T23:59:00.000Z");
});
