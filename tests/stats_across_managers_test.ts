/**
 * Stats on managers sharing one store: an executor served only through another manager (a worker
 * that polls, or one connected with a stream) is served here too, on the embedded store's file and
 * on MongoDB.
 */
import assert from "node:assert/strict";
import { startTestManager, type TestManager } from "./_manager.ts";
import { type Backend, BACKENDS, withMongo } from "./fixtures/backends.ts";
import { eventually } from "./fixtures/resilience_cluster.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { TestWorker } from "./fixtures/test_worker.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";
const RUN_ID = `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** One executor's REST stats on `manager`. */
async function statsOf(manager: TestManager, executorName: string): Promise<Json> {
  const body = await restOk(manager, "GET", `/stats?executorName=${executorName}`);
  return body.executors[0];
}

const figures = (s: Json) => ({ workers: s.workers, noWorkers: s.noWorkers, polled: s.polled });

for (const backend of BACKENDS) {
  Deno.test({
    ...skipUnless(
      `REST stats on one manager count the workers of another sharing the store: one that polls there, one connected there with a stream (${backend.name})`,
      backend.skip,
    ),
    async fn() {
      await using place = await sharedPlace(backend);
      await using a = await startTestManager({ dataDir: place.dataDir, env: place.env });
      await using b = await startTestManager({ dataDir: place.dataDir, env: place.env });
      // Tasks that wait and are not ready: a worker takes none, so only who serves it counts.
      for (const name of ["polled_there", "streamed_there"]) {
        await restOk(a, "POST", "/executors", { name });
        await restOk(a, "POST", "/tasks", {
          executorName: name,
          data: {},
          runAt: "2100-01-01T00:00:00Z",
        });
      }
      const unserved = { workers: 0, noWorkers: true, polled: false };
      assert.deepEqual(figures(await statsOf(a, "polled_there")), unserved);
      assert.deepEqual(figures(await statsOf(a, "streamed_there")), unserved);

      // A worker without a stream polls through B (nothing is ready for it).
      assert.deepEqual(await b.engine.claim("poller", ["polled_there"], 1), []);
      assert.deepEqual(figures(await statsOf(b, "polled_there")), {
        workers: 0,
        noWorkers: false,
        polled: true,
      });
      await eventually("A's stats to say a worker polled through B", async () => {
        const s = await statsOf(a, "polled_there");
        return s.polled === true ? s : undefined;
      }, { timeoutMs: 15_000 });
      assert.deepEqual(figures(await statsOf(a, "polled_there")), {
        workers: 0,
        noWorkers: false,
        polled: true,
      });

      // A worker with a stream connects to B, then leaves.
      const worker = await TestWorker.connect(b.grpcAddress, {
        workerId: "streamer",
        executors: ["streamed_there"],
      });
      try {
        await eventually("A's stats to count B's connected worker", async () => {
          const s = await statsOf(a, "streamed_there");
          return s.workers === 1 ? s : undefined;
        }, { timeoutMs: 15_000 });
        assert.deepEqual(figures(await statsOf(a, "streamed_there")), {
          workers: 1,
          noWorkers: false,
          polled: false,
        });
      } finally {
        await worker.close();
      }
      await eventually("A's stats to see B's worker gone", async () => {
        const s = await statsOf(a, "streamed_there");
        return s.workers === 0 ? s : undefined;
      }, { timeoutMs: 15_000 });
      assert.deepEqual(figures(await statsOf(a, "streamed_there")), unserved);
    },
  });
}

/** Where two managers keep one store: a data directory, and on MongoDB a fresh database. */
async function sharedPlace(
  backend: Backend,
): Promise<{ dataDir: string; env: Record<string, string> } & AsyncDisposable> {
  const dataDir = await Deno.makeTempDir({ prefix: "stats-across-managers-" });
  const mongoDb = backend.name === "mongo" ? `tasks_served_${RUN_ID}` : null;
  return {
    dataDir,
    env: mongoDb ? { MONGO_URI, MONGO_DB: mongoDb } : {},
    async [Symbol.asyncDispose]() {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      if (mongoDb) await withMongo((client) => client.db(mongoDb).dropDatabase());
    },
  };
}
