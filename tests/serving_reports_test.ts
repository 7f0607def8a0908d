/**
 * The serving report (server/engine/serving.ts) on a real store: what a manager writes of who
 * serves each executor through it, and how seldom a poll makes it write.
 */
import assert from "node:assert/strict";
import { createLogger } from "../server/log.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { ServingReport, Store } from "../server/store/store.ts";
import { SERVING_STALE_MS, ServingReports } from "../server/engine/serving.ts";
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
  assert.equal(lines.length, 11, lines.map((line) => line.msg).join("\n"));
  assert(lines.slice(0, 10).every((line) => line.msg === "Serving report failed"));
  assert.equal(lines[10].count, 15);
  assert.equal(lines[10].manager, "here");
  assert.match(lines[10].msg, /^Serving report failed: 15 more within 60 s, not logged one by one/);
});
