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
