/**
 * A results message of many results is settled in chunks of at most `SETTLE_CHUNK` results and
 * `SETTLE_CHUNK_CHARS` of their text, one store call each, the event loop given a timer turn between them (one transaction of 3,500
 * results held the embedded store's thread 47 ms); its acks still answer its results in their
 * order. A store unavailable part-way leaves the chunks before it settled and acknowledged, and
 * the rest held for their worker to send again; a result settled and sent again is refused, never
 * applied twice. On a real engine and gRPC server over SQLite (and MongoDB when `TEST_MONGO_URI`
 * is set), with a raw `Work` stream.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { ResultAckMessage, ResultMessage } from "@tasks-executor/proto";
import { SETTLE_CHUNK, SETTLE_CHUNK_CHARS } from "../server/engine/engine.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { startEngineServer } from "./fixtures/engine_stack.ts";
import { storeTests } from "./fixtures/store_backends.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

/** The store, its `taskSettle` calls told to `onSettle` as they start and `settled` as they end. */
function watched(
  store: Store,
  hooks: { onSettle?: (requests: number) => void; settled?: () => void },
): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === "taskSettle") {
        return async (...args: Parameters<Store["taskSettle"]>) => {
          hooks.onSettle?.(args[0].length);
          const answers = await target.taskSettle(...args);
          hooks.settled?.();
          return answers;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** What each ack says, in order: `taskId accepted` or `taskId refused`. */
function answers(acks: ResultAckMessage[]): string[] {
  return acks.map((ack) => `${ack.taskId} ${ack.accepted ? "accepted" : "refused"}`);
}

/** Makes `count` tasks of executor `chunked` (made already) and leases them all to `worker`. */
async function leased(
  service: Awaited<ReturnType<typeof startEngineServer>>["service"],
  worker: TestWorker,
  count: number,
) {
  await service.createTasks(
    Array.from({ length: count }, (_, n) => ({ executorName: "chunked", data: n })),
  );
  worker.credit("chunked", count);
  return await worker.assigned(count, 30_000);
}

storeTests(
  "a results message of more result text than a settle chunk holds is settled chunk by chunk, a timer turn between them, its acks in order",
  async (real) => {
    /** Per `taskSettle` call: its settlements, and whether a timer set as the call before it started fired first. */
    const calls: { requests: number; turnBefore: boolean }[] = [];
    let fired = true;
    const store = watched(real, {
      onSettle: (requests) => {
        calls.push({ requests, turnBefore: fired });
        fired = false;
        setTimeout(() => (fired = true), 0);
      },
    });
    const { engine, service, server } = await startEngineServer(store, {
      rescueIntervalMs: 3_600_000,
      pollIntervalMs: 200,
    });
    try {
      await service.createExecutor({ name: "chunked", timeout: 600_000 });
      await using worker = await TestWorker.connect(`127.0.0.1:${server.port}`, {
        workerId: "w1",
        executors: ["chunked"],
      });
      const tasks = await leased(service, worker, 10);
      // Three results of a third of SETTLE_CHUNK_CHARS each fill a chunk (MongoDB, FerretDB above
      // all, settles a few hundred results in seconds; the count bound is the next test's).
      const results: ResultMessage[] = tasks.map((t, n) => ({
        taskId: t.taskId,
        leaseToken: t.leaseToken,
        ok: true,
        resultJson: JSON.stringify(`${n}`.padEnd(SETTLE_CHUNK_CHARS / 3 - 2, "r")),
      }));
      // A result refused as read (no lease token) in the second chunk's stretch: its ack goes there.
      results.splice(4, 0, { taskId: tasks[0].taskId, leaseToken: "", ok: true });
      const mark = worker.received.length;
      worker.send({ results: { results } });
      const acks = await worker.acks(mark);
      assert.deepEqual(
        answers(acks),
        results.map((r) => `${r.taskId} ${r.leaseToken ? "accepted" : "refused"}`),
      );
      assert.deepEqual(calls.map((c) => c.requests), [3, 3, 3, 1]);
      assert.deepEqual(calls.map((c) => c.turnBefore), [true, true, true, true]);
      for (const [n, t] of tasks.entries()) {
        const task = await real.taskGet(t.taskId);
        assert.equal(task?.status, "completed");
        assert.equal((task?.result as string).split("r")[0], `${n}`);
      }
    } finally {
      await server.close({ graceMs: 0 });
      await engine.stop();
    }
  },
);

Deno.test("a store unavailable part-way through a results message: the chunks before it are settled and acknowledged, the rest sent again settle, those settled sent again are refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "results-chunks-" });
  const path = `${dir}/tasks.db`;
  // Another process's writer holding the database past the busy timeout: SQLITE_BUSY, unavailable.
  const real = await openSqliteStore({ path, busyTimeoutMs: 20 });
  const other = new DatabaseSync(path);
  let firstSettled = false;
  const store = watched(real, {
    settled: () => {
      if (firstSettled) return;
      firstSettled = true;
      other.exec("BEGIN IMMEDIATE");
    },
  });
  const { engine, service, server } = await startEngineServer(store, {
    rescueIntervalMs: 3_600_000,
    pollIntervalMs: 3_600_000,
  });
  try {
    await service.createExecutor({ name: "chunked", timeout: 600_000 });
    const address = `127.0.0.1:${server.port}`;
    const first = await TestWorker.connect(address, { workerId: "w1", executors: ["chunked"] });
    const count = 2 * SETTLE_CHUNK + 50;
    const tasks = await leased(service, first, count);
    const resultsOf = (sending: number): ResultMessage[] =>
      tasks.map((t, n) => ({
        taskId: t.taskId,
        leaseToken: t.leaseToken,
        ok: true,
        resultJson: JSON.stringify({ n, sending }),
      }));
    const results = resultsOf(1);
    // Refused as read, before and after the failure: only the first is answered with the chunk.
    const refused = { taskId: tasks[0].taskId, leaseToken: "", ok: true };
    results.splice(SETTLE_CHUNK + 10, 0, refused);
    results.splice(5, 0, refused);
    const mark = first.received.length;
    first.send({ results: { results } });
    // The first chunk (and the refusal among it) answered in order; the stream ended UNAVAILABLE.
    assert.deepEqual(
      answers(await first.acks(mark)),
      results.slice(0, SETTLE_CHUNK + 1).map((r) =>
        `${r.taskId} ${r.leaseToken ? "accepted" : "refused"}`
      ),
    );
    const end = await first.ended;
    await first.close();
    other.exec("ROLLBACK");
    assert.equal(end.code, 14, end.details);
    for (const [n, t] of tasks.entries()) {
      const task = await real.taskGet(t.taskId);
      assert.equal(task?.status, n < SETTLE_CHUNK ? "completed" : "in_progress", `task ${n}`);
    }
    // The worker connects again and sends them all again (those acknowledged too): the rest settle.
    await using again = await TestWorker.connect(address, {
      workerId: "w1",
      executors: ["chunked"],
    });
    const resent = resultsOf(2);
    const mark2 = again.received.length;
    again.send({ results: { results: resent } });
    assert.deepEqual(
      answers(await again.acks(mark2)),
      resent.map((r, n) => `${r.taskId} ${n < SETTLE_CHUNK ? "refused" : "accepted"}`),
    );
    for (const [n, t] of tasks.entries()) {
      const task = await real.taskGet(t.taskId);
      assert.equal(task?.status, "completed");
      assert.deepEqual(task?.result, { n, sending: n < SETTLE_CHUNK ? 1 : 2 }, `task ${n}`);
    }
  } finally {
    if (other.isTransaction) other.exec("ROLLBACK");
    other.close();
    await server.close({ graceMs: 0 });
    await engine.stop();
    await real[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
