/**
 * Page reads take their turns for the key that asked (`PAGE_READ_TURNS`, rotating between
 * readers) while its request lasts: every listing, over REST and over gRPC (the original
 * service's too), reads its pages for
 * the caller's key, with the request's signal.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
import type { PageRequestBounds, Store } from "../server/store/store.ts";
import { grpcClients, startSecuredManager, unaryCall } from "./fixtures/secured_manager.ts";
import { startTestManager } from "./_manager.ts";
import { anonymousFrom } from "../server/auth/scopes.ts";
import { pageBounds } from "../server/service/paging.ts";
import { ResourceExhaustedError } from "../server/domain/errors.ts";
import {
  PAGE_READ_TURNS,
  PAGE_READS_WAITING_PER_KEY,
  ThreadTurns,
} from "../server/thread_slices.ts";

/**
 * Records, for each listing of `store`, the readers its pages were read for, each as
 * `<reader>+signal` when the read carried its request's signal.
 */
function recordReaders(store: Store): Record<string, string[]> {
  const readers: Record<string, string[]> = {};
  // Each listing: where it is, and which of its arguments is its `PageRequestBounds`.
  const listings: [object, string, number][] = [
    [store, "taskList", 1],
    [store, "dlqList", 1],
    [store, "executorList", 1],
    [store, "keyListPage", 0],
    [store.schedules, "scheduleList", 1],
  ];
  for (const [holder, name, at] of listings) {
    readers[name] = [];
    const original = Reflect.get(holder, name).bind(holder);
    Object.defineProperty(holder, name, {
      value: (...args: unknown[]) => {
        const page = args[at] as PageRequestBounds;
        readers[name].push(`${page.reader}${page.signal instanceof AbortSignal ? "+signal" : ""}`);
        return original(...args);
      },
    });
  }
  return readers;
}

/**
 * Records the owner of each work that takes a turn among page reads (`PAGE_READ_TURNS.run`), as
 * `<owner>+signal` when it carried its request's signal; disposing puts `run` back.
 */
function recordTurnOwners(): { owners: string[] } & Disposable {
  const owners: string[] = [];
  const run = PAGE_READ_TURNS.run.bind(PAGE_READ_TURNS);
  Object.defineProperty(PAGE_READ_TURNS, "run", {
    configurable: true,
    value: (...args: Parameters<typeof run>) => {
      owners.push(`${args[1]}${args[2] instanceof AbortSignal ? "+signal" : ""}`);
      return run(...args);
    },
  });
  return { owners, [Symbol.dispose]: () => Reflect.deleteProperty(PAGE_READ_TURNS, "run") };
}

Deno.test("every listing, over REST and gRPC, reads its pages for the key that asked, with its request's signal", async () => {
  await using secured = await startSecuredManager();
  const { manager, admin } = secured;
  await manager.service.createExecutor({ name: "e" });
  const reader = await secured.key({ name: "reader", scopes: ["read"] });
  const readers = recordReaders(manager.store);

  for (
    const path of ["/tasks", "/dlq", "/executors", "/executors/e/dlq", "/schedules"]
  ) {
    assert.equal((await secured.rest("GET", path, reader.token)).status, 200, path);
  }
  assert.equal((await secured.rest("GET", "/keys", admin.token)).status, 200);
  using clients = grpcClients(manager.grpcAddress);
  for (const method of ["ListTasks", "ListDlq", "ListExecutors", "ListSchedules"]) {
    await unaryCall(clients.manager, method, {}, reader.token);
  }
  await unaryCall(clients.manager, "ListKeys", {}, admin.token);
  const legacy = new (loadLegacyProtocol().TaskExecutorManager)(
    manager.grpcAddress,
    grpc.credentials.createInsecure(),
  );
  try {
    await unaryCall(legacy, "ListExecutors", {}, reader.token);
  } finally {
    legacy.close();
  }

  const asked = `${reader.id}+signal`;
  assert.deepEqual(readers, {
    taskList: [asked, asked],
    dlqList: [asked, asked, asked],
    executorList: [asked, asked, asked],
    keyListPage: [`${admin.id}+signal`, `${admin.id}+signal`],
    scheduleList: [asked, asked],
  });
});

Deno.test("with authentication off, every listing over REST and gRPC reads its pages for the client's host, and one host's reads waiting do not refuse another's", async () => {
  const manager = await startTestManager({ env: { AUTH: "off" } });
  try {
    await manager.service.createExecutor({ name: "e" });
    const readers = recordReaders(manager.store);
    for (
      const path of ["/tasks", "/dlq", "/executors", "/executors/e/dlq", "/schedules", "/keys"]
    ) {
      const answer = await fetch(`${manager.httpUrl}/api/v1${path}`);
      await answer.body?.cancel();
      assert.equal(answer.status, 200, path);
    }
    using clients = grpcClients(manager.grpcAddress);
    for (const method of ["ListTasks", "ListDlq", "ListExecutors", "ListSchedules", "ListKeys"]) {
      await unaryCall(clients.manager, method, {}, "none");
    }
    const legacy = new (loadLegacyProtocol().TaskExecutorManager)(
      manager.grpcAddress,
      grpc.credentials.createInsecure(),
    );
    try {
      await unaryCall(legacy, "ListExecutors", {}, "none");
    } finally {
      legacy.close();
    }
    const host = "anonymous@127.0.0.1+signal";
    assert.deepEqual(readers, {
      taskList: [host, host],
      dlqList: [host, host, host],
      executorList: [host, host, host],
      keyListPage: [host, host],
      scheduleList: [host, host],
    });
  } finally {
    await manager.shutdown();
  }

  // Two hosts are two owners of the turns: one's waiting reads at their cap, the other's queue.
  const [one, two] = ["10.0.0.1:5000", "10.0.0.2:5000"].map((peer) =>
    pageBounds({}, { limit: 1, maxBytes: 1 }, { caller: anonymousFrom(peer) }).reader!
  );
  assert.notEqual(one, two);
  const turns = new ThreadTurns(1, { waitingPerOwner: PAGE_READS_WAITING_PER_KEY });
  let release = () => {};
  const running = turns.run(() => new Promise<void>((resolve) => release = resolve), one);
  const waiting = Array.from(
    { length: PAGE_READS_WAITING_PER_KEY },
    () => turns.run(() => Promise.resolve(), one),
  );
  await assert.rejects(() => turns.run(() => Promise.resolve(), one), ResourceExhaustedError);
  const other = turns.run(() => Promise.resolve("served"), two);
  release();
  await Promise.all([running, ...waiting]);
  assert.equal(await other, "served");
});

Deno.test("fire times worked out for a caller (a preview, a schedule read or listed with its fires), over REST and gRPC, take their turn among page reads for the key that asked: 30 clients of a read key previewing a sparse cron in a loop held every other request ~1 s", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "e" });
  // A cron that fires in a leap February whose 29th is a fifth Monday: 100 fires take ~100 ms.
  const cron = "0 0 29 2 1#5";
  await manager.service.schedules.create({ name: "s", executorName: "e", cron, task: {} });
  const reader = await secured.key({ name: "reader", scopes: ["read"] });
  using turns = recordTurnOwners();
  const { owners } = turns;
  const preview = await secured.rest("POST", "/schedules/preview", reader.token, {
    cron,
    count: 100,
  });
  assert.equal(preview.status, 200);
  assert.equal((await secured.rest("GET", "/schedules/s?fires=100", reader.token)).status, 200);
  using clients = grpcClients(manager.grpcAddress);
  await unaryCall(
    clients.manager,
    "PreviewSchedule",
    { config: { cron }, count: 100 },
    reader.token,
  );
  await unaryCall(clients.manager, "GetSchedule", { id: "s", fires: 100 }, reader.token);
  const listed = owners.length;
  assert.equal((await secured.rest("GET", "/schedules?fires=100", reader.token)).status, 200);
  await unaryCall(clients.manager, "ListSchedules", { fires: 100 }, reader.token);
  const asked = `${reader.id}+signal`;
  assert.deepEqual(owners.slice(0, listed), [asked, asked, reader.id, reader.id]);
  // A listing's page read takes its turn, then its fire times another.
  assert.deepEqual(owners.slice(listed), [asked, asked, asked, asked]);
});

Deno.test("a schedule's create (refused as never firing too), change, pause, resume and trigger, over REST and gRPC, work out its fire times in a turn among page reads for the key that asked: 30 producers sending creates of a sparse cron refused as never firing held every other request 30–45 ms p50, up to 0.1–0.5 s", async () => {
  await using secured = await startSecuredManager();
  const { manager } = secured;
  await manager.service.createExecutor({ name: "e" });
  const producer = await secured.key({ name: "producer", scopes: ["producer"], executors: ["e"] });
  const cron = "0 0 29 2 1#5";
  // Its next fire is years away: a schedule that ends tomorrow never fires, and is refused.
  const endAt = new Date(Date.now() + 86_400_000).toISOString();
  using turns = recordTurnOwners();
  const { owners } = turns;
  const rest = (method: string, path: string, body?: unknown) =>
    secured.rest(method, path, producer.token, body);
  const never = await rest("POST", "/schedules", { name: "n", executorName: "e", cron, endAt });
  assert.equal(never.status, 400);
  assert.equal(
    (await rest("POST", "/schedules", { name: "s", executorName: "e", cron })).status,
    201,
  );
  assert.equal((await rest("PUT", "/schedules/s", { cron: "0 0 * * *" })).status, 200);
  assert.equal((await rest("POST", "/schedules/s/pause")).status, 200);
  assert.equal((await rest("POST", "/schedules/s/resume")).status, 200);
  assert.equal((await rest("POST", "/schedules/s/trigger")).status, 201);
  const overRest = owners.length;
  using clients = grpcClients(manager.grpcAddress);
  const call = (method: string, request: unknown) =>
    unaryCall(clients.manager, method, request, producer.token);
  await call("CreateSchedule", { config: { name: "g", executorName: "e", cron } });
  await call("UpdateSchedule", { id: "g", config: { cron: "0 0 * * *" } });
  await call("PauseSchedule", { id: "g" });
  await call("ResumeSchedule", { id: "g" });
  await call("TriggerSchedule", { id: "g" });
  const asked = `${producer.id}+signal`;
  assert.deepEqual(owners.slice(0, overRest), [asked, asked, asked, asked, asked, asked]);
  assert.deepEqual(owners.slice(overRest), Array(5).fill(producer.id));
});
