/**
 * System test with real processes: the MongoDB store (a FerretDB process) dies and comes back
 * under a running manager and worker; the APIs say "unavailable" meanwhile and no task is lost.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Client, UnavailableError } from "../sdk/mod.ts";
import {
  allCompleted,
  api,
  createTasks,
  eventually,
  ferretDbBinary,
  freePort,
  managerSpec,
  type Proc,
  RunLog,
  startFerretDb,
  startManagerProc,
  startWorker,
} from "./fixtures/resilience_cluster.ts";
import { skipUnless } from "./fixtures/skip.ts";

const FERRETDB = ferretDbBinary();

/** grpc.health.v1 serving statuses. */
const SERVING = 1;
const NOT_SERVING = 2;

/**
 * Asks `grpc.health.v1.Health/Check` for the overall status. The messages are tiny enough to
 * encode by hand: an empty request (service ""), a response of one varint field 1 (the status).
 */
async function healthStatus(address: string): Promise<number> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<number>((resolve, reject) => {
      client.makeUnaryRequest<Uint8Array, number>(
        "/grpc.health.v1.Health/Check",
        () => Buffer.alloc(0),
        (bytes) => (bytes.length >= 2 && bytes[0] === 0x08 ? bytes[1] : 0),
        new Uint8Array(0),
        new grpc.Metadata(),
        { deadline: Date.now() + 5000 },
        (error, status) => (error ? reject(error) : resolve(status ?? 0)),
      );
    });
  } finally {
    client.close();
  }
}

/** The error an SDK call fails with (`undefined` when it succeeds) and its message. */
async function outcomeOf(call: Promise<unknown>): Promise<{ error?: unknown; message: string }> {
  try {
    await call;
    return { message: "succeeded" };
  } catch (error) {
    return { error, message: (error as Error).message };
  }
}

Deno.test({
  ...skipUnless(
    "a store outage makes the manager unready and its APIs unavailable, and loses no task",
    FERRETDB
      ? null
      : "no FerretDB at .tools/ferretdb; set FERRETDB_BIN or run scripts/ferretdb.sh build",
  ),
  fn: async () => {
    const EXECUTOR = "outage";
    const BEFORE = 80;
    const AFTER = 20;
    const root = await Deno.makeTempDir({ prefix: "tasks-executor-outage-" });
    const procs: Proc[] = [];
    const t0 = Date.now();
    const phases: string[] = [];
    const phase = (name: string) =>
      phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    try {
      const ferretPort = freePort();
      const ferretDir = join(root, "ferretdb");
      let ferret = await startFerretDb(FERRETDB!, ferretPort, ferretDir);
      procs.push(ferret);
      const manager = await startManagerProc("manager", {
        ...managerSpec(join(root, "data"), {
          uri: `mongodb://127.0.0.1:${ferretPort}`,
          db: "outage_test",
        }),
        // Info level: on a failure the manager's last lines say what the engine did.
        env: { LOG_LEVEL: "info" },
      });
      procs.push(manager);
      const log = new RunLog();
      const worker = await startWorker("worker-1", manager.grpcAddress, {
        RES_EXECUTOR: EXECUTOR,
        RES_CONCURRENCY: "4",
        RES_TIMEOUT_MS: "3000",
      }, log);
      procs.push(worker);
      assert.equal(await healthStatus(manager.grpcAddress), SERVING);

      const before = await createTasks(manager.url, EXECUTOR, BEFORE, () => ({ ms: 20 }));
      await worker.until("some tasks to finish", () => log.finished >= 20);
      const killedAt = Date.now();
      ferret.kill("SIGKILL");
      await ferret.status;
      assert.ok(log.finished < BEFORE, "some tasks must still wait when the store goes away");

      phase("store killed");
      // Everything at once: each store call waits out the driver's server selection timeout.
      // Readiness follows the store; REST answers 503 problem+json that says what is wrong, on
      // reads and on writes; gRPC answers UNAVAILABLE (not INTERNAL); the gRPC health service
      // follows readiness (refreshed every 2 s).
      const calls: [string, string, unknown?][] = [
        ["GET", `/api/v1/tasks?executorName=${EXECUTOR}`],
        ["GET", `/api/v1/tasks/${before[0]}`],
        ["POST", "/api/v1/tasks", { executorName: EXECUTOR, data: { ms: 1 } }],
        ["GET", "/api/v1/stats"],
      ];
      using client = new Client({ address: manager.grpcAddress, callTimeoutMs: 30_000 });
      const [unready, answers, outcomes] = await Promise.all([
        eventually("/readyz to answer 503", async () => {
          const answer = await api(manager.url, "GET", "/readyz");
          return answer.status === 503 ? answer.body : undefined;
        }, { timeoutMs: 30_000, intervalMs: 200 }),
        Promise.all(calls.map(([method, path, body]) => api(manager.url, method, path, body))),
        Promise.all([
          outcomeOf(client.getTask(before[0])),
          outcomeOf(client.listTasks({ executorName: EXECUTOR })),
          outcomeOf(client.createTask(EXECUTOR, { ms: 1 })),
        ]),
        eventually("gRPC health to say NOT_SERVING", async () => {
          return (await healthStatus(manager.grpcAddress)) === NOT_SERVING ? true : undefined;
        }, { timeoutMs: 30_000, intervalMs: 200 }),
      ]);
      const checks = unready.checks as Record<string, string>;
      assert.notEqual(checks.store, "ok", JSON.stringify(unready));
      assert.equal(checks.servers, "ok");
      answers.forEach((answer, i) => {
        const what = `${calls[i][0]} ${calls[i][1]} during the outage: ` +
          `${answer.status} ${JSON.stringify(answer.body)}`;
        assert.equal(answer.status, 503, what);
        assert.match(answer.contentType, /^application\/problem\+json/, what);
        assert.match(String(answer.body.detail), /unavailable/i, what);
      });
      ["getTask", "listTasks", "createTask"].forEach((method, i) => {
        const what = `gRPC ${method} during the outage: ${JSON.stringify(outcomes[i])}`;
        assert.ok(outcomes[i].error instanceof UnavailableError, what);
        assert.match(outcomes[i].message, /store is unavailable/i, what);
      });
      console.log(`  store outage: readyz ${JSON.stringify(unready)}`);
      console.log(`  store outage: REST ${answers[0].status} ${JSON.stringify(answers[0].body)}`);

      phase("outage answers checked");
      // The store comes back on the same port and data: everything recovers by itself.
      ferret = await startFerretDb(FERRETDB!, ferretPort, ferretDir);
      procs.push(ferret);
      await eventually("/readyz to answer 200 again", async () => {
        return (await api(manager.url, "GET", "/readyz")).status === 200 ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 200 });
      phase("readyz 200");
      await eventually("gRPC health to say SERVING again", async () => {
        return (await healthStatus(manager.grpcAddress)) === SERVING ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 200 });

      phase("health SERVING");
      const after = await createTasks(manager.url, EXECUTOR, AFTER, () => ({ ms: 1 }));
      try {
        await allCompleted(manager.url, EXECUTOR, BEFORE + AFTER, 60_000);
      } catch (error) {
        console.log(
          `manager:\n  ${manager.tail.join("\n  ")}\nworker:\n  ${worker.tail.join("\n  ")}`,
        );
        throw error;
      }
      phase("all completed");
      const all = [...before, ...after];
      assert.deepEqual(all.filter((id) => !log.byTask.has(id)), [], "every task must have run");
      assert.equal(worker.exited, false, "the worker must live through the outage");
      // A task may run twice only when its first attempt began before the store went away (its
      // result could not be saved, so its lease ran out).
      const repeated = log.repeated();
      const unexplained = repeated.filter((id) => log.byTask.get(id)![0].start > killedAt);
      assert.deepEqual(unexplained, [], "only tasks running at the outage may run twice");
      console.log(
        `  store outage: ${BEFORE} tasks before, ${AFTER} after, ` +
          `${repeated.length} ran twice (running when the store died); ${phases.join(", ")}`,
      );
    } finally {
      for (const proc of procs.toReversed()) await proc.stop();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
