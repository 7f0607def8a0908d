import assert from "node:assert/strict";
import { createLogger } from "../log.ts";
import { KeyService } from "../service/keys.ts";
import { openSqliteStore } from "../store/sqlite/store.ts";
import { firstStart, prepareKeys } from "./startup.ts";
import { newToken } from "./token.ts";

function capturingLog() {
  const lines: { level: string; msg: string }[] = [];
  const log = createLogger({
    level: "debug",
    format: "json",
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { log, lines };
}

Deno.test("prepareKeys() warns at every start while AUTH=off", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const { log, lines } = capturingLog();
  for (let start = 0; start < 2; start++) {
    await prepareKeys(new KeyService(store), { auth: false, bootstrapAdminKey: null }, log);
  }
  const warnings = lines.filter((l) => l.level === "warn").map((l) => l.msg);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /^Authentication is off \(AUTH=off\)/);
  await prepareKeys(new KeyService(store), { auth: true, bootstrapAdminKey: null }, log);
  assert.equal(lines.filter((l) => l.level === "warn").length, 2, "no warning with AUTH=on");
});

Deno.test("prepareKeys() makes BOOTSTRAP_ADMIN_KEY and warns when it was revoked", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const keys = new KeyService(store);
  const { log, lines } = capturingLog();
  const { token, id } = newToken();
  await prepareKeys(keys, { auth: true, bootstrapAdminKey: token }, log);
  assert.deepEqual((await keys.list()).items.map((k) => k.id), [id]);
  // The last valid admin key is not revoked: another one first.
  await keys.create({ name: "second-admin", scopes: ["admin"] });
  await keys.revoke(id);
  await prepareKeys(keys, { auth: true, bootstrapAdminKey: token }, log);
  assert.ok(lines.some((l) => l.level === "warn" && /revoked key/.test(l.msg)));
});

Deno.test("firstStart() gives the admin key and its admin-page address once, with AUTH=on only", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const keys = new KeyService(store);
  const { log } = capturingLog();
  const options = {
    auth: true,
    httpUrl: "http://localhost:8080",
    storeEnv: "DATA_DIR=/srv/d",
    log,
  };
  assert.equal(await firstStart(keys, { ...options, auth: false }), null);
  const notice = await firstStart(keys, options);
  const token = /http:\/\/localhost:8080\/admin_page\.html#key=(te_\S+)/.exec(notice ?? "")?.[1];
  assert.ok(token, notice ?? "no notice");
  assert.ok(notice!.includes(`\n  ${token}\n`));
  // Lost it? names the manager's store, so the keys command is not run on another one.
  assert.match(
    notice!,
    new RegExp(
      `\\n {2}DATA_DIR=/srv/d npx -y deno@${
        Deno.version.deno.replaceAll(".", "\\.")
      } task start keys ` +
        "create --name NAME --scope admin\\n",
    ),
  );
  assert.equal(await firstStart(keys, options), null);
});

Deno.test("firstStart() warns, naming the command, when the store's keys hold no valid admin key", async () => {
  await using store = await openSqliteStore({ path: ":memory:" });
  const keys = new KeyService(store);
  const { log, lines } = capturingLog();
  const options = { auth: true, httpUrl: "http://localhost:8080", storeEnv: "DATA_DIR=/x", log };
  // As `keys create --scope producer --scope worker --executor x` leaves a new store.
  await keys.create({ name: "a", scopes: ["producer", "worker"], executors: ["x"] });
  assert.equal(await firstStart(keys, options), null);
  const warnings = lines.filter((l) => l.level === "warn").map((l) => l.msg);
  assert.equal(warnings.length, 1, JSON.stringify(lines));
  assert.match(warnings[0], /^The store holds no valid admin key/);
  assert.match(warnings[0], /DATA_DIR=\/x .*keys create --name NAME --scope admin$/);
  // Not with AUTH=off, and not once an admin key exists.
  await firstStart(keys, { ...options, auth: false });
  await keys.create({ name: "admin", scopes: ["admin"] });
  await firstStart(keys, options);
  assert.equal(lines.filter((l) => l.level === "warn").length, 1);
});
