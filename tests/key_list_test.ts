/**
 * The key list is paged like every other list: oldest first, up to `limit` (default 1000) and
 * 2 MiB of JSON. Revoked keys stay in the store, so the list only grows: unpaged, it would one day
 * outgrow what a default gRPC client takes (4 MiB).
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";

Deno.test("1,003 keys come 1,000 to a page over REST and gRPC, oldest first, each once; limit and cursor are checked", async () => {
  await using manager = await startTestManager();
  for (let i = 0; i < 1003; i++) {
    await manager.service.keys.create({ name: `k${i}`, scopes: ["read"] });
  }
  // Oldest first, then by id: keys made in the same millisecond come in id order.
  const made = (await manager.service.store.keyList()).map((k) => k.id);
  assert.equal(made.length, 1003);
  const first = await restOk(manager, "GET", "/keys");
  assert.equal(first.keys.length, 1000);
  const second = await restOk(manager, "GET", `/keys?cursor=${first.nextCursor}`);
  assert.equal(second.nextCursor, null);
  assert.deepEqual([...first.keys, ...second.keys].map((k: { id: string }) => k.id), made);

  const two = await restOk(manager, "GET", "/keys?limit=2");
  assert.deepEqual(two.keys.map((k: { id: string }) => k.id), made.slice(0, 2));
  const next = await restOk(manager, "GET", `/keys?limit=2&cursor=${two.nextCursor}`);
  assert.deepEqual(next.keys.map((k: { id: string }) => k.id), made.slice(2, 4));
  const bad = await rest(manager, "GET", "/keys?cursor=nope");
  assert.equal(bad.status, 400);
  assert.equal(bad.body.errors[0].field, "cursor");
  const tooMany = await rest(manager, "GET", "/keys?limit=1001");
  assert.equal(tooMany.status, 400);
  assert.equal(tooMany.body.errors[0].field, "limit");

  const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
  try {
    const seen: string[] = [];
    let cursor = "";
    do {
      const page: { keys: { id: string }[]; nextCursor: string } = await unary(
        client,
        "ListKeys",
        { cursor, limit: 400 },
      );
      assert.ok(page.keys.length <= 400);
      seen.push(...page.keys.map((k) => k.id));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, made);
  } finally {
    client.close();
  }
});
