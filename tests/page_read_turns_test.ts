/**
 * Page reads take their turns for the key that asked (`PAGE_READ_TURNS`, rotating between
 * readers): every listing, over REST and over gRPC, reads its pages for the caller's key.
 */
import assert from "node:assert/strict";
import type { PageRequestBounds, Store } from "../server/store/store.ts";
import { grpcClients, startSecuredManager, unaryCall } from "./fixtures/secured_manager.ts";

/** Records, for each listing of `store`, the readers its pages were read for. */
function recordReaders(store: Store): Record<string, (string | undefined)[]> {
  const readers: Record<string, (string | undefined)[]> = {};
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
        readers[name].push((args[at] as PageRequestBounds).reader);
        return original(...args);
      },
    });
  }
  return readers;
}

Deno.test("every listing, over REST and gRPC, reads its pages for the key that asked", async () => {
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

  assert.deepEqual(readers, {
    taskList: [reader.id, reader.id],
    dlqList: [reader.id, reader.id, reader.id],
    executorList: [reader.id, reader.id],
    keyListPage: [admin.id, admin.id],
    scheduleList: [reader.id, reader.id],
  });
});
