/**
 * The serving report (server/engine/serving.ts) on a real store: what a manager writes of who
 * serves each executor through it, and how seldom a poll makes it write.
 */
import assert from "node:assert/strict";
import { createLogger } from "../server/log.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { ServingReport, Store } from "../server/store/store.ts";
import { SERVING_STALE_MS, SERVING_WITHDRAW_MS, ServingReports } from "../server/engine/serving.ts";
import { WorkerRegistry } from "../server/engine/worker_registry.ts";
import { POLL_SERVES_MS } from "../server/engine/workers.ts";
import { eventually } from "./fixtures/resilience_cluster.ts";

const T0 = 1_700_000_000_000;

Deno.test("a poll makes the serving report be written once while its executor stays reported: polls after it write nothing until the next report", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const written: ServingReport[] = [];
  // The report uses these two verbs only.
  const counted = {
    servingReport: (report: ServingReport) => {
      written.push(report);
      return store.servingReport(report);
    },
    servingTotals: (options: { since: number; exceptManagerId?: string }) =>
      store.servingTotals(options),
  } as unknown as Store;
  let now = T0;
  const registry = new WorkerRegistry();
  const reports = new ServingReports({
    store: counted,
    registry,
    managerId: "here",
    now: () => now,
    log: createLogger({ level: "error", format: "json", write: () => {} }),
  }, { intervalMs: 3_600_000, kickGapMs: 0 });
  reports.start();
  try {
    const poll = (names: string[]) => {
      registry.notePoll(names, now);
      reports.notePolled(names);
    };
    poll(["a"]);
    await eventually("the first poll's report", () => written.length === 1 || undefined);
    for (let i = 0; i < 1000; i++) {
      now += 10;
      poll(["a"]);
    }
    // A report asked for would be written by now: its timer (0 ms) was set before this one.
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(written.length, 1, "polls of an executor reported as polled write nothing");
    assert.deepEqual(written[0].executors, { a: { workers: 0, polledAt: T0 } });

    // The next report carries the newest poll; a poll of another executor asks for one at once.
    poll(["a", "b"]);
    await eventually("the report of b's first poll", () => written.length === 2 || undefined);
    assert.deepEqual(written[1].executors, {
      a: { workers: 0, polledAt: now },
      b: { workers: 0, polledAt: now },
    });
    assert.deepEqual(await store.servingTotals({ since: now - SERVING_STALE_MS }), {
      a: { workers: 0, polledAt: now },
      b: { workers: 0, polledAt: now },
    });
    assert.deepEqual((await reports.elsewhere(now)).polled, new Set(), "its own is not elsewhere");

    // Polls forgotten (POLL_SERVES_MS) leave the next report; a poll then asks for one again.
    now += POLL_SERVES_MS + 1;
    await reports.flush();
    assert.deepEqual(written[2].executors, {});
    poll(["a"]);
    await eventually(
      "the report of a's poll after a pause",
      () => written.length === 4 || undefined,
    );
    assert.deepEqual(written[3].executors, { a: { workers: 0, polledAt: now } });
  } finally {
    await reports.stop();
  }
});

Deno.test("a store away fails the serving report about once a second: Serving report failed is written the first 10 times, then counted in one line", async () => {
  const lines: { msg: string; manager?: string; count?: number }[] = [];
  const away = {
    servingReport: () => Promise.reject(new Error("Store unavailable")),
  } as unknown as Store;
  const registry = new WorkerRegistry();
  const reports = new ServingReports({
    store: away,
    registry,
    managerId: "here",
    now: () => T0,
    log: createLogger({
      level: "warn",
      format: "json",
      write: (line) => lines.push(JSON.parse(line)),
    }),
  }, { intervalMs: 3_600_000, kickGapMs: 0 });
  reports.start();
  registry.notePoll(["a"], T0);
  for (let i = 0; i < 25; i++) await reports.flush();
  await reports.stop();
  // The stop then tries to withdraw the report, which fails too: said once.
  assert.equal(lines.length, 12, lines.map((line) => line.msg).join("\n"));
  assert.equal(lines[11].msg, "Serving report not withdrawn; it grows stale instead");
  assert(lines.slice(0, 10).every((line) => line.msg === "Serving report failed"));
  assert.equal(lines[10].count, 15);
  assert.equal(lines[10].manager, "here");
  assert.match(lines[10].msg, /^Serving report failed: 15 more within 60 s, not logged one by one/);
});

Deno.test("a manager stopped gracefully withdraws its serving report: the other managers stop counting its workers and polls at once, not 30 s later", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const now = T0;
  const quiet = createLogger({ level: "error", format: "json", write: () => {} });
  const registry = new WorkerRegistry();
  const here = new ServingReports({
    store,
    registry,
    managerId: "here",
    now: () => now,
    log: quiet,
  }, {
    intervalMs: 3_600_000,
  });
  const there = new ServingReports({
    store,
    registry: new WorkerRegistry(),
    managerId: "there",
    now: () => now,
    log: quiet,
  }, { intervalMs: 3_600_000 });
  here.start();
  registry.notePoll(["a"], now);
  await here.flush();
  assert.deepEqual((await there.elsewhere(now)).polled, new Set(["a"]));
  await here.stop();
  assert.deepEqual((await there.elsewhere(now)).polled, new Set(), "withdrawn at the stop");
  assert.deepEqual(await store.servingTotals({ since: now - SERVING_STALE_MS }), {});
  await here.stop(); // twice is once
});

Deno.test("a store that does not answer holds a graceful stop at most SERVING_WITHDRAW_MS: the report is left to grow stale", async () => {
  let calls = 0;
  const hanging = {
    servingReport: () => ++calls === 1 ? Promise.resolve() : new Promise<void>(() => {}),
  } as unknown as Store;
  const registry = new WorkerRegistry();
  const reports = new ServingReports({
    store: hanging,
    registry,
    managerId: "here",
    now: () => T0,
    log: createLogger({ level: "error", format: "json", write: () => {} }),
  }, { intervalMs: 3_600_000 });
  reports.start();
  registry.notePoll(["a"], T0);
  await reports.flush();
  const started = performance.now();
  await reports.stop();
  const took = performance.now() - started;
  assert.equal(calls, 2, "the withdrawal was tried");
  assert(took >= SERVING_WITHDRAW_MS - 50 && took < SERVING_WITHDRAW_MS + 1000, `took ${took} ms`);
});
