import assert from "node:assert/strict";
import { KeyAuthenticator } from "../auth/keys.ts";
import { newToken } from "../auth/token.ts";
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from "../domain/errors.ts";
import { NAME_MESSAGE } from "../domain/executor.ts";
import { openSqliteStore } from "../store/sqlite/store.ts";
import { FIRST_ADMIN_KEY_ID, KeyService, parseKeySpec } from "./keys.ts";

function violations(input: unknown): string[] {
  try {
    parseKeySpec(input);
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError);
    return error.violations.map((v) => `${v.field} ${v.message}`);
  }
  return [];
}

Deno.test("parseKeySpec() names every bad field by JSON pointer", () => {
  assert.deepEqual(violations(null), [" Must be an object"]);
  assert.deepEqual(violations({}), [
    "/name Must be a non-empty string",
    "/scopes Must be a non-empty list of scopes: admin, producer, worker, read, metrics",
  ]);
  assert.deepEqual(violations({ name: "a\nb", scopes: ["root", "read", "read"] }), [
    "/name Must be well-formed text without control, invisible or text-direction characters, or white space other than U+0020",
    "/scopes/0 Must be one of admin, producer, worker, read, metrics, or one by the proto's name " +
    '(SCOPE_ADMIN, …) or number (1, 2, 3, 4, 5), not "root"',
    '/scopes/2 Must not repeat "read"',
  ]);
  for (const name of ["admin\u202Eyek", "a\u2066b", "a\u200Fb", "a\u2028b"]) {
    assert.deepEqual(violations({ name, scopes: ["read"] }), [
      "/name Must be well-formed text without control, invisible or text-direction characters, or white space other than U+0020",
    ], JSON.stringify(name));
  }
  assert.deepEqual(violations({ name: "x".repeat(129), scopes: ["worker"] }), [
    "/name Must be at most 128 characters, not 129",
    "/executors Must name the executors a worker key serves",
  ]);
  assert.deepEqual(violations({ name: "r", scopes: ["read"], executors: ["a"] }), [
    "/executors Only producer and worker keys are limited to executors",
  ]);
  for (const scopes of [["producer", "admin"], ["worker", "read"], ["producer", "metrics"]]) {
    assert.deepEqual(violations({ name: "m", scopes, executors: ["a"] }), [
      "/executors Only producer and worker keys are limited to executors",
    ], scopes.join());
  }
  assert.deepEqual(
    violations({ name: "pw", scopes: ["producer", "worker"], executors: ["a"] }),
    [],
  );
  assert.deepEqual(violations({ name: "p", scopes: ["producer"], executors: [] }), [
    "/executors Must be a non-empty list of executor names, or left out for every executor",
  ]);
  assert.deepEqual(violations({ name: "p", scopes: ["producer"], executors: ["Bad Name", 3] }), [
    `/executors/0 Must be an executor name: ${NAME_MESSAGE}`,
    `/executors/1 Must be an executor name: ${NAME_MESSAGE}`,
  ]);
  assert.deepEqual(
    violations({ name: "p", scopes: ["producer"], executors: Array(101).fill("a") }),
    ["/executors Must name at most 100 executors, not 101"],
  );
});

Deno.test("parseKeySpec() accepts producer keys for every executor, and refuses a repeated executor as a repeated scope", () => {
  assert.deepEqual(parseKeySpec({ name: "shop", scopes: ["producer"] }), {
    name: "shop",
    scopes: ["producer"],
    executors: null,
  });
  assert.deepEqual(
    parseKeySpec({ name: "mailer", scopes: ["worker", "producer"], executors: ["a", "b"] }),
    { name: "mailer", scopes: ["worker", "producer"], executors: ["a", "b"] },
  );
  // A repeat was dropped without a word, where a repeated scope is refused.
  assert.deepEqual(
    violations({ name: "mailer", scopes: ["worker", "producer"], executors: ["a", "b", "a"] }),
    ['/executors/2 Must not repeat "a"'],
  );
});

Deno.test("KeyService creates a key whose token works, lists it without secrets, revokes it", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  await using authenticator = await KeyAuthenticator.start(store, { refreshMs: 60_000 });
  const keys = new KeyService(store, { now: () => 42, onChange: () => authenticator.refresh() });
  const { key, token } = await keys.create({ name: "ci", scopes: ["read"] });
  assert.equal(token.split("_")[1], key.id);
  assert.equal((await authenticator.authenticate(token))?.keyName, "ci");

  const listed = await keys.list();
  assert.deepEqual(listed, { items: [key], nextCursor: null });
  assert.ok(!JSON.stringify(listed).includes(token.slice(-43)));
  assert.ok(!JSON.stringify(listed).includes("secretHash"));

  assert.equal((await keys.revoke(key.id)).revokedAt, 42);
  // This manager refuses it at once, without waiting for its next refresh.
  assert.equal(await authenticator.authenticate(token), null);
  await assert.rejects(() => keys.revoke("0123456789abcdef"), NotFoundError);
});

Deno.test("KeyService makes the first admin key once, on a store without keys", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const keys = new KeyService(store);
  const first = await keys.createFirstAdmin();
  assert.equal(first?.key.id, FIRST_ADMIN_KEY_ID);
  assert.deepEqual(first?.key.scopes, ["admin"]);
  assert.equal(first?.key.name, "first-admin");
  assert.equal(await keys.createFirstAdmin(), null);
  // The last valid admin key is not revoked: another one first.
  await assert.rejects(() => keys.revoke(FIRST_ADMIN_KEY_ID), FailedPreconditionError);
  await keys.create({ name: "second-admin", scopes: ["admin"] });
  await keys.revoke(FIRST_ADMIN_KEY_ID);
  assert.equal(await keys.createFirstAdmin(), null, "a revoked key still counts");
});

Deno.test("KeyService makes sure of BOOTSTRAP_ADMIN_KEY and keeps it revoked once revoked", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const keys = new KeyService(store);
  const { token, id } = newToken();
  assert.equal(await keys.ensureBootstrapKey(token), "created");
  assert.equal(await keys.ensureBootstrapKey(token), "exists");
  assert.equal(await keys.createFirstAdmin(), null);
  await assert.rejects(() => keys.ensureBootstrapKey(newToken(id).token), ConflictError);
  await keys.create({ name: "second-admin", scopes: ["admin"] });
  await keys.revoke(id);
  assert.equal(await keys.ensureBootstrapKey(token), "revoked");
  // Listed by creation time, then id: two keys made in one millisecond come in either order.
  assert.deepEqual((await keys.list()).items.map((k) => [k.name, k.scopes]).sort(), [
    ["bootstrap-admin", ["admin"]],
    ["second-admin", ["admin"]],
  ]);
});
