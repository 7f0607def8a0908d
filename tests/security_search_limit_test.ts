/**
 * Task searches that scan, and history reads, run a few at a time (MAX_SEARCHES), the others wait
 * their turn (MAX_SEARCHES_QUEUED), and a key that is not an admin key holds half: past that a
 * search or read is refused with 503 and Retry-After over REST, RESOURCE_EXHAUSTED over gRPC.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { Principal } from "../server/auth/scopes.ts";
import {
  failureOf,
  grpcClients,
  type SecuredManager,
  startSecuredManager,
  unaryCall,
} from "./fixtures/secured_manager.ts";

const SEARCH = "/tasks/search?dataPointer=/zz&dataValue=1";

/** One place to run and one to wait. */
const ONE_PLACE_EACH = { MAX_SEARCHES: "1", MAX_SEARCHES_QUEUED: "1" };

/** The principal of `secured`'s admin key, to take places with directly. */
function adminPrincipal(secured: SecuredManager): Principal {
  return {
    keyId: secured.admin.id,
    keyName: "bootstrap-admin",
    scopes: ["admin"],
    executors: null,
  };
}

/** Waits until a request sent is waiting for a place; fails (`what`) when it was answered first. */
async function untilQueued(searches: { waiting: number }, sent: Promise<unknown>, what: string) {
  let ran = false;
  // Awaited by the caller; a failure before must not leave it unhandled.
  sent.then(() => ran = true, () => ran = true);
  while (searches.waiting === 0) {
    assert.ok(!ran, what);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("a key's searches past its share wait their turn, then are refused with 503 and Retry-After (RESOURCE_EXHAUSTED over gRPC), while an admin key's still run", async () => {
  await using secured = await startSecuredManager({ MAX_SEARCHES: "2", MAX_SEARCHES_QUEUED: "2" });
  const { manager } = secured;
  await manager.service.createExecutor({ name: "exa" });
  await manager.service.createTasks(
    Array.from({ length: 20 }, (_, i) => ({ executorName: "exa", data: { zz: i } })),
  );
  const reader = await secured.key({ name: "reader", scopes: ["read"] });
  const principal: Principal = {
    keyId: reader.id,
    keyName: "reader",
    scopes: ["read"],
    executors: null,
  };
  const { searches } = manager.service;

  // The reader's one running search (its half of 2), held here as a long scan would hold it.
  const held = await searches.take(principal);
  const queued = secured.rest("GET", SEARCH, reader.token);
  await untilQueued(searches, queued, "The search ran past the key's share instead of waiting");

  // Its half of the 4 places to run and wait is taken: refused at once.
  const refused = await secured.rest("GET", SEARCH, reader.token);
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.equal(refused.body.type, "urn:tasks-executor:problem:resource-exhausted");
  assert.match(
    refused.body.detail,
    /Too many searches and history reads running and waiting \(MAX_SEARCHES \+ MAX_SEARCHES_QUEUED\) for key "reader"/,
  );
  assert.ok(Number(refused.headers.get("retry-after")) > 0);
  using clients = grpcClients(manager.grpcAddress);
  const overGrpc = await failureOf(
    unaryCall(
      clients.manager,
      "SearchTasks",
      { dataPointer: "/zz", dataValue: { numberValue: 1 } },
      reader.token,
    ),
  );
  assert.equal(overGrpc.code, grpc.status.RESOURCE_EXHAUSTED, overGrpc.details);

  // The admin key runs on the free place; a search by id, one read, never waits.
  const admin = await secured.rest("GET", SEARCH, secured.admin.token);
  assert.equal(admin.status, 200, JSON.stringify(admin.body));
  assert.equal(admin.body.tasks.length, 1);
  const byId = await secured.rest(
    "GET",
    `/tasks/search?id=${admin.body.tasks[0].id}`,
    reader.token,
  );
  assert.equal(byId.status, 200);

  held();
  const answered = await queued;
  assert.equal(answered.status, 200, JSON.stringify(answered.body));
  assert.deepEqual(answered.body.tasks.map((t: { data: unknown }) => t.data), [{ zz: 1 }]);
  assert.equal(searches.running, 0);
});

Deno.test("past MAX_SEARCHES running and MAX_SEARCHES_QUEUED waiting, any key's search is refused", async () => {
  await using secured = await startSecuredManager(ONE_PLACE_EACH);
  const { manager, admin } = secured;
  const { searches } = manager.service;
  const running = await searches.take(adminPrincipal(secured));
  const waiting = searches.take(adminPrincipal(secured));
  const refused = await secured.rest("GET", SEARCH, admin.token);
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.match(refused.body.detail, /MAX_SEARCHES, MAX_SEARCHES_QUEUED/);
  running();
  (await waiting)();
  assert.equal((await secured.rest("GET", SEARCH, admin.token)).status, 200);
});

Deno.test("history reads take their turn with the searches: one waits while the places are held, then is refused past the queue (503 / RESOURCE_EXHAUSTED), and runs once a place frees; one of a single executor's last hour runs at once", async () => {
  await using secured = await startSecuredManager(ONE_PLACE_EACH);
  const { manager, admin } = secured;
  // A read of one executor's history names one that exists (a name none has is a 404).
  await manager.service.createExecutor({ name: "exa" });
  const { searches } = manager.service;
  const running = await searches.take(adminPrincipal(secured));
  const queued = secured.rest("GET", "/history", admin.token);
  await untilQueued(searches, queued, "The history read ran while every place was held");
  const refused = await secured.rest("GET", "/history", admin.token);
  assert.equal(refused.status, 503, JSON.stringify(refused.body));
  assert.match(refused.body.detail, /Too many searches and history reads/);
  using clients = grpcClients(manager.grpcAddress);
  const overGrpc = await failureOf(unaryCall(clients.manager, "GetHistory", {}, admin.token));
  assert.equal(overGrpc.code, grpc.status.RESOURCE_EXHAUSTED, overGrpc.details);
  // One executor over the last hour, at most 60 rows (the dashboard asks one per executor): at once.
  const small = await secured.rest("GET", "/history?executorName=exa", admin.token);
  assert.equal(small.status, 200, JSON.stringify(small.body));
  const longer = await secured.rest(
    "GET",
    `/history?executorName=exa&from=${Date.now() - 3 * 3_600_000}`,
    admin.token,
  );
  assert.equal(longer.status, 503, "one executor over more than an hour takes a place");

  running();
  const answered = await queued;
  assert.equal(answered.status, 200, JSON.stringify(answered.body));
  assert.equal(answered.body.points.length, 60);
  assert.equal(searches.running, 0);
});
