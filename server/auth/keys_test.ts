import assert from "node:assert/strict";
import { openSqliteStore } from "../store/sqlite/store.ts";
import type { ApiKeyRecord } from "../store/store.ts";
import type { Store } from "../store/store.ts";
import { KEY_READ_INTERVAL_MS, KeyAuthenticator, principalOf, toApiKey } from "./keys.ts";
import { hashSecret, newToken } from "./token.ts";

async function record(
  overrides: Partial<ApiKeyRecord> = {},
): Promise<{ record: ApiKeyRecord; token: string }> {
  const { id, secret, token } = newToken();
  return {
    token,
    record: {
      id,
      name: "test",
      scopes: ["producer"],
      executors: ["send_email"],
      secretHash: await hashSecret(secret),
      createdAt: 1000,
      lastUsedAt: null,
      revokedAt: null,
      ...overrides,
    },
  };
}

Deno.test("toApiKey() and principalOf() never carry the secret hash", async () => {
  const { record: key } = await record();
  assert.ok(!("secretHash" in toApiKey(key)));
  assert.deepEqual(principalOf(key), {
    keyId: key.id,
    keyName: "test",
    scopes: ["producer"],
    executors: ["send_email"],
  });
});

Deno.test("KeyAuthenticator finds valid keys, refuses wrong, unknown and revoked ones", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const valid = await record();
  await store.keyCreate(valid.record);
  await using keys = await KeyAuthenticator.start(store, { refreshMs: 60_000 });
  const revokedIds: string[] = [];
  keys.onRevoked((id) => revokedIds.push(id));

  assert.equal((await keys.authenticate(valid.token))?.keyId, valid.record.id);
  const wrong = valid.token.slice(0, -2) + (valid.token.endsWith("AA") ? "BB" : "AA");
  assert.equal(await keys.authenticate(wrong), null);
  assert.equal(await keys.authenticate(newToken().token), null);
  assert.equal(await keys.authenticate("Bearer " + valid.token), null);

  // A key made after start works at once: an unknown id waits for a fresh read.
  const later = await record({ scopes: ["admin"], executors: null });
  await store.keyCreate(later.record);
  assert.deepEqual((await keys.authenticate(later.token))?.scopes, ["admin"]);

  await store.keyRevoke(valid.record.id, 2000);
  await keys.refresh();
  assert.equal(await keys.authenticate(valid.token), null);
  assert.deepEqual(revokedIds, [valid.record.id]);
});

Deno.test("KeyAuthenticator writes last use in one batch per refresh", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const a = await record();
  await store.keyCreate(a.record);
  let now = 5000;
  await using keys = await KeyAuthenticator.start(store, { refreshMs: 60_000, now: () => now });
  await keys.authenticate(a.token);
  now = 6000;
  await keys.authenticate(a.token);
  assert.equal((await store.keyGet(a.record.id))?.lastUsedAt, null);
  await keys.refresh();
  assert.equal((await store.keyGet(a.record.id))?.lastUsedAt, 6000);
});

Deno.test("KeyAuthenticator sees a revocation by another process within its refresh", async () => {
  const dir = await Deno.makeTempDir({ prefix: "keys-test-" });
  try {
    await using mine = await openSqliteStore({ path: `${dir}/tasks.db` });
    await using theirs = await openSqliteStore({ path: `${dir}/tasks.db` });
    const key = await record();
    await mine.keyCreate(key.record);
    await using keys = await KeyAuthenticator.start(mine, { refreshMs: 50 });
    assert.ok(await keys.authenticate(key.token));
    const revoked = Promise.withResolvers<string>();
    keys.onRevoked(revoked.resolve);
    await theirs.keyRevoke(key.record.id, 2000);
    assert.equal(await revoked.promise, key.record.id);
    assert.equal(await keys.authenticate(key.token), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("KeyAuthenticator reads the keys KEY_READ_INTERVAL_MS apart at least, however many tokens of unknown ids come one after the other", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  let reads = 0;
  const counted = new Proxy(store, {
    get(target, name) {
      if (name === "keyList") reads++;
      const value = Reflect.get(target, name, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as Store;
  await using keys = await KeyAuthenticator.start(counted, { refreshMs: 60_000 });
  reads = 0;
  const started = performance.now();
  let calls = 0;
  while (performance.now() - started < 5 * KEY_READ_INTERVAL_MS) {
    assert.equal(await keys.authenticate(newToken().token), null);
    calls++;
  }
  const elapsed = performance.now() - started;
  // Each call waited for a read that started after it came: one read per call, paced.
  assert.ok(calls >= 2, `${calls} calls`);
  assert.ok(
    reads <= Math.ceil(elapsed / KEY_READ_INTERVAL_MS) + 1,
    `${reads} reads in ${elapsed.toFixed(0)} ms`,
  );
  // A key made now still works, within one interval.
  const later = await record();
  await store.keyCreate(later.record);
  assert.equal((await keys.authenticate(later.token))?.keyId, later.record.id);
});
