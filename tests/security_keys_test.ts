/**
 * API keys with authentication on: the binary's `keys` command line on a real store, the first
 * start (a key printed once, and it works), REST and gRPC key management, last use, and a key
 * revoked through one manager refused by another sharing its store.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { msFromTimestamp } from "@tasks-executor/proto";
import { newToken } from "../server/auth/token.ts";
import { startTestManager } from "./_manager.ts";
import { BACKENDS, startBackendManager, withMongo } from "./fixtures/backends.ts";
import { managerClient } from "./fixtures/grpc_stack.ts";
import { eventually, managerSpec, startManagerProc } from "./fixtures/resilience_cluster.ts";
import { runToEnd } from "./fixtures/process.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { TestWorker } from "./fixtures/test_worker.ts";
import { tempDir } from "./fixtures/temp_dir.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** Runs `deno run -A main.ts keys …args` on the store in `dataDir`. */
function keysCli(dataDir: string, ...args: string[]) {
  return runToEnd(Deno.execPath(), ["run", "-A", "main.ts", "keys", ...args], {
    DATA_DIR: dataDir,
    LOG_LEVEL: "error",
  });
}

async function rest(
  base: string,
  path: string,
  options: { token?: string; method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${base}${path}`, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** Calls a unary gRPC method with `authorization: Bearer <token>` metadata. */
function grpcCall(client: grpc.Client, method: string, request: unknown, token: string) {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
  return new Promise<Json>((resolve, reject) => {
    fn.call(client, request, metadata, (error: Error | null, response: Json) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

Deno.test("keys command line: create prints the token once, list shows it, revoke ends it", async () => {
  await using dir = await tempDir("security-keys-");
  const created = await keysCli(
    dir.path,
    "create",
    "--name",
    "mailer",
    "--scope",
    "worker",
    "--scope",
    "producer",
    "--executor",
    "send_email",
    "--json",
  );
  assert.equal(created.code, 0, created.stderr);
  const { key, token, store } = JSON.parse(created.stdout);
  // Which store it wrote to, so a run in another directory (a new ./data) is noticed.
  const where = `SQLite file ${dir.path}/tasks.db (DATA_DIR=${dir.path})`;
  assert.equal(store, where);
  // The store made here holds no admin key: said on stderr (stdout stays the JSON).
  assert.equal(
    created.stderr,
    `The store ${where} holds no valid admin key: through a manager on it nobody can create or ` +
      "revoke keys. Make one with keys create --name NAME --scope admin\n",
  );
  assert.match(token, new RegExp(`^te_${key.id}_[A-Za-z0-9_-]{43}$`));
  assert.deepEqual(
    { name: key.name, scopes: key.scopes, executors: key.executors, revokedAt: key.revokedAt },
    { name: "mailer", scopes: ["worker", "producer"], executors: ["send_email"], revokedAt: null },
  );

  const human = await keysCli(dir.path, "create", "--name", "ops", "--scope", "admin");
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stderr, "");
  assert.match(
    human.stdout,
    /^Made key [0-9a-f]{16} "ops" \(admin\) in the store SQLite file .+\. Its token is shown/,
  );
  assert.ok(human.stdout.includes(`in the store ${where}.`), human.stdout);
  assert.match(human.stdout, /\n {2}te_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n/);

  const table = await keysCli(dir.path, "list");
  assert.equal(table.code, 0, table.stderr);
  const [heading, blank, ...lines] = table.stdout.trim().split("\n");
  assert.deepEqual([heading, blank], [`Keys in the store ${where}:`, ""]);
  assert.match(lines[0], /^ID +NAME +SCOPES +EXECUTORS +CREATED +LAST USED +REVOKED$/);
  // Times as every other command prints them (`2026-12-07 11:30:31Z`), not ISO with milliseconds.
  const at = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ";
  assert.match(
    lines[1],
    new RegExp(`^${key.id} +mailer +worker,producer +send_email +${at} +- +-$`),
  );
  assert.match(lines[2], new RegExp(`^[0-9a-f]{16} +ops +admin +\\* +${at} +- +-$`));
  assert.ok(!table.stdout.includes(token.slice(-43)), "no secret in the list");

  const revoked = await keysCli(dir.path, "revoke", key.id, "--json");
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.notEqual(JSON.parse(revoked.stdout).key.revokedAt, null);
  assert.equal(JSON.parse(revoked.stdout).store, where);
  const listed = JSON.parse((await keysCli(dir.path, "list", "--json")).stdout);
  assert.deepEqual(listed.keys.map((k: Json) => [k.name, k.revokedAt !== null]), [
    ["mailer", true],
    ["ops", false],
  ]);
  assert.ok(!JSON.stringify(listed).includes("secretHash"));

  // "ops" is the only valid admin key: revoking it would leave nobody able to manage keys.
  const opsId = listed.keys.find((k: Json) => k.name === "ops").id;
  const last = await keysCli(dir.path, "revoke", opsId);
  assert.equal(last.code, 1);
  assert.equal(
    last.stderr.trim(),
    `Cannot revoke key "${opsId}": it is the last valid admin key, and without one no key could ` +
      "be created or revoked again. Create another admin key first, then revoke this one " +
      "(keys create --name NAME --scope admin)",
  );
  assert.equal((await keysCli(dir.path, "create", "--name", "ops2", "--scope", "admin")).code, 0);
  assert.equal((await keysCli(dir.path, "revoke", opsId)).code, 0);
  // With a valid admin key in the store, a key without admin is made without a word on stderr.
  const another = await keysCli(dir.path, "create", "--name", "r", "--scope", "read", "--json");
  assert.equal(another.code, 0, another.stderr);
  assert.equal(another.stderr, "");
});

const MONGO = BACKENDS.find((backend) => backend.name === "mongo")!;

Deno.test({
  ...skipUnless(
    "keys list and revoke on MongoDB refuse a database that holds no store, and make none",
    MONGO.skip,
  ),
  async fn() {
    const name = `tasks_keys_none_${crypto.randomUUID().slice(0, 8)}`;
    const env = { MONGO_URI: Deno.env.get("TEST_MONGO_URI")!, MONGO_DB: name, LOG_LEVEL: "error" };
    for (const args of [["list"], ["revoke", "0123456789abcdef"]]) {
      const run = await runToEnd(Deno.execPath(), ["run", "-A", "main.ts", "keys", ...args], env);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`^No store at MongoDB database "${name}" at mongodb://`));
    }
    const collections = await withMongo((client) =>
      client.db(name).listCollections({}, { nameOnly: true }).toArray()
    );
    assert.deepEqual(collections, []);
  },
});

Deno.test("keys command line: a key spec or id written wrong exits 2 naming the flag, before the store is opened; --help exits 0, bad usage exits 2", async () => {
  await using dir = await tempDir("security-keys-");
  const noExecutors = await keysCli(dir.path, "create", "--name", "w", "--scope", "worker");
  assert.equal(noExecutors.code, 2);
  assert.equal(
    noExecutors.stderr.trim(),
    "Invalid key: --executor: Must name the executors a worker key serves",
  );
  const badScope = await keysCli(
    dir.path,
    "create",
    "--name",
    "w",
    "--scope",
    "read",
    "--scope",
    "root",
  );
  assert.equal(badScope.code, 2);
  assert.equal(
    badScope.stderr,
    'Invalid key: --scope "root": Must be one of admin, producer, worker, read, metrics, or one by ' +
      'the proto\'s name (SCOPE_ADMIN, …) or number (1, 2, 3, 4, 5), not "root"\n',
  );
  // Known without the store: refused before one is opened, or made.
  await using empty = await tempDir("security-keys-scope-");
  const unopened = await keysCli(empty.path, "create", "--name", "w", "--scope", "root");
  assert.equal(unopened.code, 2);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(empty.path)), []);
  // So is every other part of the spec, and an id that names no key: exit 2, one line, no store
  // made; these once exited 1, as a refusal of the store does.
  const written: [string[], string][] = [
    [["create"], "Invalid key: --name: Must be a non-empty string; --scope: Must be a non-empty"],
    [["create", "--name", "x"], "Invalid key: --scope: Must be a non-empty list of scopes"],
    [
      ["create", "--name", "x", "--scope", "producer", "--executor", "BAD NAME"],
      'Invalid key: --executor "BAD NAME": Must be an executor name',
    ],
    [
      ["create", "--name", "dup", "--scope", "read", "--scope", "read"],
      'Invalid key: --scope "read": Must not repeat "read"',
    ],
    [
      ["create", "--name", "dup", "--scope", "worker", "--executor", "a", "--executor", "a"],
      'Invalid key: --executor "a": Must not repeat "a"',
    ],
    [
      ["create", "--name", "x", "--scope", "read", "--executor", "send_email"],
      "Invalid key: --executor: Only producer and worker keys are limited to executors",
    ],
    [["revoke", "a b"], 'Invalid key id "a b": Must be 16 lower-case hex digits, as keys list'],
    [["revoke", ""], 'Invalid key id "": Is required'],
    // Key ids are 16 lower-case hex digits: "zz" once went to the store and exited 1.
    [["revoke", "zz"], 'Invalid key id "zz": Must be 16 lower-case hex digits, as keys list'],
    [["revoke", "0123456789ABCDEF"], 'Invalid key id "0123456789ABCDEF": Must be 16 lower-case'],
  ];
  for (const [args, message] of written) {
    for (const where of [dir.path, empty.path]) {
      const run = await keysCli(where, ...args);
      assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.ok(run.stderr.startsWith(message), `${args.join(" ")}: ${run.stderr}`);
      assert.equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
    }
  }
  assert.deepEqual(await Array.fromAsync(Deno.readDir(empty.path)), []);
  // Where no store is, list and revoke say so (exit 1) and make none.
  for (const args of [["list"], ["revoke", "0123456789abcdef"]]) {
    const nowhere = await keysCli(empty.path, ...args);
    assert.equal(nowhere.code, 1, nowhere.stderr);
    assert.equal(
      nowhere.stderr,
      `No store at SQLite file ${empty.path}/tasks.db (DATA_DIR=${empty.path}): keys ${
        args[0]
      } reads the manager's store; set DATA_DIR (or MONGO_URI and MONGO_DB) to the manager's, or ` +
        "run it where it runs\n",
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(empty.path)), []);
  }
  // A DATA_DIR that is a file: one line, no stack trace.
  const file = `${empty.path}/a-file`;
  await Deno.writeTextFile(file, "");
  for (const verb of ["list", "create"]) {
    const args = verb === "list" ? ["list"] : ["create", "--name", "x", "--scope", "admin"];
    const onFile = await keysCli(file, ...args);
    assert.equal(onFile.code, 1, onFile.stderr);
    assert.match(onFile.stderr, /^Cannot open the store: [^\n]*\n$/, verb);
  }
  const badExecutor = await keysCli(
    dir.path,
    "create",
    "--name",
    "",
    "--scope",
    "producer",
    "--executor",
    "Bad Name",
  );
  assert.equal(badExecutor.code, 2);
  assert.match(
    badExecutor.stderr,
    /^Invalid key: --name: Must be a non-empty string; --executor "Bad Name": Must be an executor name/,
  );
  assert.doesNotMatch(badExecutor.stderr, /\/(name|scopes|executors)/);
  // None of the above made the store: a key made here does.
  assert.equal((await keysCli(dir.path, "create", "--name", "ops", "--scope", "admin")).code, 0);
  const unknown = await keysCli(dir.path, "revoke", "0123456789abcdef");
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /Key "0123456789abcdef" does not exist in the store SQLite file/);
  for (
    const args of [["--help"], ["-h"], ["help"], ["create", "--help"], ["list", "--help"], [
      "revoke",
      "--help",
    ]]
  ) {
    const help = await keysCli(dir.path, ...args);
    assert.equal(help.code, 0, `${args.join(" ")}: ${help.stderr}`);
    assert.match(help.stdout, /^Usage:\n {2}keys create/, args.join(" "));
  }
  for (
    const args of [[], ["rotate"], ["revoke"], ["list", "--name", "x"], ["create", "--nme", "x"]]
  ) {
    const usage = await keysCli(dir.path, ...args);
    assert.equal(usage.code, 2, args.join(" "));
    assert.match(usage.stderr, /Usage:\n {2}keys create/);
  }
  // A command that is not one is reported with --help as without it (as git does), and `help
  // keys …` is `keys --help …`.
  const main = (...args: string[]) =>
    runToEnd(Deno.execPath(), ["run", "-A", "main.ts", ...args], {
      DATA_DIR: dir.path,
      LOG_LEVEL: "error",
    });
  for (
    const args of [
      ["keys", "rotate", "--help"],
      ["keys", "--help", "rotate"],
      ["keys", "help", "rotate"],
      ["keys", "rotate", "-h"],
      ["help", "keys", "rotate"],
      ["keys", "help", "help", "rotate"],
    ]
  ) {
    const run = await main(...args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
    assert.match(
      run.stderr,
      /^Unknown command "rotate"\n\nUsage:\n {2}keys create/,
      args.join(" "),
    );
    assert.equal(run.stdout, "", args.join(" "));
  }
  // `help` after `help` is the help of help (as `git help help`): this help, not an unknown command.
  for (
    const args of [
      ["help", "keys"],
      ["--help", "keys", "create"],
      ["keys", "help", "help"],
      ["keys", "--help", "help"],
      ["help", "keys", "help"],
      ["help", "help", "keys"],
    ]
  ) {
    const run = await main(...args);
    assert.equal(run.code, 0, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stdout, /^Usage:\n {2}keys create/, args.join(" "));
  }
  // Help and usage need no valid configuration: a bad one is said only to a command that runs.
  const badConfig = (...args: string[]) =>
    runToEnd(Deno.execPath(), ["run", "-A", "main.ts", "keys", ...args], {
      DATA_DIR: dir.path,
      MANAGER_PORT: "abc",
    });
  const help = await badConfig("--help");
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage:\n {2}keys create/);
  const wrong = await badConfig("rotate");
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /^Unknown command "rotate"/);
  const listed = await badConfig("list");
  assert.equal(listed.code, 2);
  assert.match(listed.stderr, /^Invalid configuration: .*MANAGER_PORT/);
  // An option written wrong: one line naming it, in the command's words, then the usage.
  const options: [string[], string][] = [
    [["create", "--nme", "x"], 'Unknown option "--nme"'],
    [["list", "-x"], 'Unknown option "-x"'],
    [["create", "--scope", "read", "--name"], "Option --name needs a value"],
    [["list", "--json=yes"], "Option --json takes no value"],
    [["create", "--name", "a", "--name", "b", "--scope", "read"], "Option --name is given more"],
    // An option the command does not take, even given empty.
    [["list", "--name", ""], "keys list takes no --name, --scope or --executor"],
    [["revoke", "x", "--executor="], "keys revoke takes no --name, --scope or --executor"],
  ];
  for (const [args, line] of options) {
    const run = await keysCli(dir.path, ...args);
    assert.equal(run.code, 2, args.join(" "));
    assert.ok(run.stderr.startsWith(line), `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, /^[^\n]*\n\nUsage:\n {2}keys create/, args.join(" "));
  }
});

/** The status of a GET of `url` sent over plain TCP with the `Host` header named (fetch sends the URL's). */
async function statusWithHost(url: string, host: string): Promise<number> {
  const { hostname, port, pathname } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const request = `GET ${pathname} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  await conn.write(new TextEncoder().encode(request));
  const text = await new Response(conn.readable).text();
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

Deno.test("first start prints an admin key and its admin-page address once, and the key works", async () => {
  await using dir = await tempDir("security-keys-");
  // ALLOWED_HOSTS set: the printed localhost address must still be answered.
  const spec = { ...managerSpec(dir.path), env: { AUTH: "on", ALLOWED_HOSTS: "myhost.lan" } };
  let token: string;
  {
    await using manager = await startManagerProc("first", spec);
    const line = manager.lines.find((l) => l.includes("/admin_page.html#key="));
    assert.ok(line, manager.describe());
    const match = /^ {2}http:\/\/localhost:(\d+)\/admin_page\.html#key=(te_\S+)$/.exec(line);
    assert.ok(match, line);
    assert.equal(Number(match[1]), spec.httpPort);
    token = match[2];
    const page = `${manager.url}/admin_page.html`;
    assert.equal(await statusWithHost(page, `localhost:${spec.httpPort}`), 200);
    assert.equal(await statusWithHost(page, `myhost.lan:${spec.httpPort}`), 200);
    assert.equal(await statusWithHost(page, `rebind.example:${spec.httpPort}`), 421);
    assert.equal(manager.lines.filter((l) => l.includes(token)).length, 2, "token and address");

    const keys = await rest(manager.url, "/api/v1/keys", { token });
    assert.equal(keys.status, 200);
    assert.deepEqual(keys.body.keys.map((k: Json) => [k.name, k.scopes]), [
      ["first-admin", ["admin"]],
    ]);
    assert.equal((await rest(manager.url, "/api/v1/keys")).status, 401);
    assert.equal(
      (await rest(manager.url, "/api/v1/keys", { token: newToken().token })).status,
      401,
    );
  }
  {
    await using again = await startManagerProc("second", { ...spec, ...managerSpec(dir.path) });
    assert.equal((await rest(again.url, "/api/v1/executors", { token })).status, 200);
    await again.stop();
    assert.ok(!again.lines.some((l) => /te_[0-9a-f]{16}_/.test(l)), again.describe());
  }
});

Deno.test("keys over REST and gRPC: create answers the token once, list shows last use, revoke refuses it", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
  });
  const base = manager.httpUrl;

  const created = await rest(base, "/api/v1/keys", {
    token: admin,
    method: "POST",
    body: { name: "reader", scopes: ["read"] },
  });
  assert.equal(created.status, 201);
  const reader = created.body.token as string;
  assert.deepEqual(Object.keys(created.body.key).sort(), [
    "createdAt",
    "executors",
    "id",
    "lastUsedAt",
    "name",
    "revokedAt",
    "scopes",
  ]);
  const invalid = await rest(base, "/api/v1/keys", {
    token: admin,
    method: "POST",
    body: { name: "", scopes: [] },
  });
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.body.errors.map((e: Json) => e.field).sort(), ["/name", "/scopes"]);

  // A use shows in the list once it is written (about a second later).
  assert.equal((await rest(base, "/api/v1/executors", { token: reader })).status, 200);
  const used = await eventually("the reader key's last use in the list", async () => {
    const list = await rest(base, "/api/v1/keys", { token: admin });
    const key = list.body.keys.find((k: Json) => k.name === "reader");
    return key.lastUsedAt === null ? undefined : key;
  }, { timeoutMs: 10_000 });
  assert.ok(Date.parse(used.lastUsedAt) >= Date.parse(used.createdAt));

  const port = Number(manager.grpcAddress.split(":").pop());
  const client = managerClient(port);
  try {
    const viaGrpc = await grpcCall(client, "CreateKey", {
      name: "mailer",
      scopes: ["SCOPE_WORKER"],
      executors: ["send_email"],
    }, admin);
    assert.match(viaGrpc.token, new RegExp(`^te_${viaGrpc.key.id}_`));
    assert.deepEqual(viaGrpc.key.executors, ["send_email"]);
    assert.deepEqual(viaGrpc.key.scopes, ["SCOPE_WORKER"]);
    const listed = await grpcCall(client, "ListKeys", {}, admin);
    assert.deepEqual(listed.keys.map((k: Json) => k.name), ["bootstrap-admin", "reader", "mailer"]);
    assert.ok(!JSON.stringify(listed).includes(reader.slice(-43)));

    const revoked = await grpcCall(client, "RevokeKey", { id: created.body.key.id }, admin);
    assert.ok((msFromTimestamp(revoked.key.revokedAt) ?? 0) > 0);
    // Revoked through this manager: refused here at once.
    assert.equal((await rest(base, "/api/v1/executors", { token: reader })).status, 401);
    await assert.rejects(
      grpcCall(client, "RevokeKey", { id: "0123456789abcdef" }, admin),
      (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND,
    );
  } finally {
    client.close();
  }
});

Deno.test("a key name used by a key not revoked is refused over REST (409), gRPC (ALREADY_EXISTS) and keys create (exit 1), naming /name; a revoked key's name is free", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
  });
  const create = (name: string) =>
    rest(manager.httpUrl, "/api/v1/keys", {
      token: admin,
      method: "POST",
      body: { name, scopes: ["read"] },
    });
  const first = await create("oncall");
  assert.equal(first.status, 201);
  const again = await create("oncall");
  assert.equal(again.status, 409, JSON.stringify(again.body));
  assert.match(again.body.detail, /\/name: key [0-9a-f]{16} is named "oncall" and not revoked/);
  const client = managerClient(Number(manager.grpcAddress.split(":").pop()));
  try {
    await assert.rejects(
      grpcCall(client, "CreateKey", { name: "oncall", scopes: ["SCOPE_READ"] }, admin),
      (error: grpc.ServiceError) =>
        error.code === grpc.status.ALREADY_EXISTS && /\/name: key /.test(error.details),
    );
    // The bootstrap key's name is a name like another.
    await assert.rejects(
      grpcCall(client, "CreateKey", { name: "bootstrap-admin", scopes: ["SCOPE_READ"] }, admin),
      (error: grpc.ServiceError) => error.code === grpc.status.ALREADY_EXISTS,
    );
  } finally {
    client.close();
  }
  const names = (await manager.service.store.keyList()).map((k) => k.name);
  assert.deepEqual(names, ["bootstrap-admin", "oncall"], "nothing more was made");
  // Rotating: revoke, then create under the same name.
  assert.equal(
    (await rest(manager.httpUrl, `/api/v1/keys/${first.body.key.id}`, {
      token: admin,
      method: "DELETE",
    })).status,
    200,
  );
  assert.equal((await create("oncall")).status, 201);

  await using dir = await tempDir("security-keys-");
  assert.equal((await keysCli(dir.path, "create", "--name", "oncall", "--scope", "admin")).code, 0);
  const twice = await keysCli(dir.path, "create", "--name", "oncall", "--scope", "read");
  assert.equal(twice.code, 1, twice.stderr);
  assert.match(
    twice.stderr,
    /^Cannot create key: \/name: key [0-9a-f]{16} is named "oncall" and not revoked: choose another name, or revoke that key first \(in the store /,
  );
  assert.equal(twice.stdout, "");
});

Deno.test("the last valid admin key is not revoked over REST or gRPC, even by itself: 409 / FAILED_PRECONDITION", async () => {
  const admin = newToken().token;
  const adminId = admin.split("_")[1];
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
  });
  const base = manager.httpUrl;
  const refused = await rest(base, `/api/v1/keys/${adminId}`, { token: admin, method: "DELETE" });
  assert.equal(refused.status, 409);
  assert.equal(refused.body.type.endsWith("failed-precondition"), true, refused.body.type);
  assert.match(refused.body.detail, /last valid admin key.*Create another admin key first/);
  assert.equal((await rest(base, "/api/v1/keys", { token: admin })).status, 200);

  const port = Number(manager.grpcAddress.split(":").pop());
  const client = managerClient(port);
  try {
    await assert.rejects(
      grpcCall(client, "RevokeKey", { id: adminId }, admin),
      (error: grpc.ServiceError) =>
        error.code === grpc.status.FAILED_PRECONDITION &&
        /last valid admin key.*Create another admin key first/.test(error.details),
    );
    const other = await rest(base, "/api/v1/keys", {
      token: admin,
      method: "POST",
      body: { name: "second-admin", scopes: ["admin"] },
    });
    assert.equal(other.status, 201);
    const revoked = await grpcCall(client, "RevokeKey", { id: adminId }, admin);
    assert.notEqual(revoked.key.revokedAt, undefined);
    const gone = await rest(base, `/api/v1/keys/${other.body.key.id}`, {
      token: other.body.token,
      method: "DELETE",
    });
    assert.equal(gone.status, 409);
  } finally {
    client.close();
  }
});

for (const backend of BACKENDS) {
  Deno.test({
    ...skipUnless(
      `a key revoked through manager A is refused by manager B sharing its store (${backend.name})`,
      backend.skip,
    ),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const admin = newToken().token;
      const env = { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin };
      await using running = await startBackendManager(backend, env);
      const a = running.manager;
      const mongo: Record<string, string> = running.mongoDb
        ? { MONGO_URI: Deno.env.get("TEST_MONGO_URI")!, MONGO_DB: running.mongoDb }
        : {};
      await using b = await startTestManager({ dataDir: a.dataDir, env: { ...env, ...mongo } });

      const created = await rest(a.httpUrl, "/api/v1/keys", {
        token: admin,
        method: "POST",
        body: { name: "shop", scopes: ["producer"] },
      });
      const token = created.body.token as string;
      // Made on A, known on B at once (an unknown key id makes B read the keys again).
      assert.equal((await rest(b.httpUrl, "/api/v1/tasks", { token })).status, 200);

      const revoked = await rest(a.httpUrl, `/api/v1/keys/${created.body.key.id}`, {
        token: admin,
        method: "DELETE",
      });
      assert.equal(revoked.status, 200);
      const started = performance.now();
      await eventually("manager B to refuse the revoked key", async () => {
        const answer = await rest(b.httpUrl, "/api/v1/tasks", { token });
        return answer.status === 401 ? true : undefined;
      }, { timeoutMs: 10_000, intervalMs: 20 });
      console.log(`Manager B refused the key ${Math.round(performance.now() - started)} ms later`);
    },
  });
}

Deno.test("a long poll whose key is revoked while it waits answers 401, not the task", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
  });
  const base = manager.httpUrl;
  assert.equal(
    (await rest(base, "/api/v1/executors", {
      token: admin,
      method: "POST",
      body: { config: { name: "job", enabled: false } },
    })).status,
    201,
  );
  const created = await rest(base, "/api/v1/keys", {
    token: admin,
    method: "POST",
    body: { name: "producer", scopes: ["producer"], executors: ["job"] },
  });
  const producer = created.body.token as string;
  const task = (await rest(base, "/api/v1/tasks", {
    token: producer,
    method: "POST",
    body: { executorName: "job", data: { secret: 1 } },
  })).body.task;
  const waiting = rest(base, `/api/v1/tasks/${task.id}?wait=30s`, { token: producer });
  // The wait is open once the manager counts it.
  await eventually("the long poll to wait", async () => {
    const metrics = await (await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${admin}` },
    })).text();
    return /tasks_executor_task_watchers\s+1\b/.test(metrics) ? true : undefined;
  }, { timeoutMs: 10_000 });
  const revoked = await rest(base, `/api/v1/keys/${created.body.key.id}`, {
    token: admin,
    method: "DELETE",
  });
  assert.equal(revoked.status, 200);
  await rest(base, `/api/v1/tasks/${task.id}/cancel`, { token: admin, method: "POST" });
  const answer = await waiting;
  assert.equal(answer.status, 401);
  assert.doesNotMatch(JSON.stringify(answer.body), /secret/);
});

Deno.test("a key that is not an admin key alone holds at most half of each shared cap: event subscriptions, waits, worker streams; an admin key still gets its place", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: {
      AUTH: "on",
      BOOTSTRAP_ADMIN_KEY: admin,
      MAX_SSE_SUBSCRIBERS: "4",
      MAX_TASK_WATCHERS: "4",
      MAX_WORKER_STREAMS: "4",
    },
  });
  const base = manager.httpUrl;
  const key = async (name: string, scopes: string[]) =>
    (await rest(base, "/api/v1/keys", {
      token: admin,
      method: "POST",
      body: { name, scopes, executors: scopes.includes("worker") ? ["job"] : undefined },
    })).body.token as string;
  const reader = await key("reader", ["read"]);
  await rest(base, "/api/v1/executors", {
    token: admin,
    method: "POST",
    body: { config: { name: "job", enabled: false } },
  });
  const task = (await rest(base, "/api/v1/tasks", {
    token: admin,
    method: "POST",
    body: { executorName: "job", data: null },
  })).body.task;

  // Event subscriptions: two of four for the read key, the third refused naming its share. Each
  // stream's reader is kept: one no longer referenced is closed when it is garbage collected, and
  // its subscription with it (a collection before the wait below gave that wait the place).
  const open: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const subscribe = async (token: string, path = "/api/v1/events") => {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.ok) {
      const reader = response.body!.getReader();
      await reader.read();
      open.push(reader);
    } else await response.body?.cancel();
    return response;
  };
  try {
    for (const path of ["/api/v1/events", `/api/v1/tasks/watch?ids=${task.id}`]) {
      assert.equal((await subscribe(reader, path)).status, 200);
      assert.equal((await subscribe(reader, path)).status, 200);
      const refused = await subscribe(reader, path);
      assert.equal(refused.status, 503, path);
      assert.equal((await subscribe(admin, path)).status, 200, `${path}: the admin's place`);
    }
    const refused = await rest(base, `/api/v1/tasks/${task.id}?wait=5s`, { token: reader });
    assert.equal(refused.status, 503);
    // The admin's wait counts: half of the three places it leaves is one.
    assert.match(refused.body.detail, /for key "reader".*at most 1 of the 4 now/);

    // Worker streams: the worker key gets two of four.
    const worker = await key("worker", ["worker"]);
    const workers: TestWorker[] = [];
    try {
      for (const id of ["w1", "w2"]) {
        workers.push(
          await TestWorker.connect(manager.grpcAddress, {
            workerId: id,
            executors: ["job"],
            token: worker,
          }),
        );
      }
      const third = new TestWorker(manager.grpcAddress, { token: worker });
      third.send({ hello: { workerId: "w3", executors: ["job"], sdkVersion: "test" } });
      const end = await third.ended;
      assert.equal(end.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(end.details, /worker streams \(MAX_WORKER_STREAMS\) for key "worker"/);
      await third[Symbol.asyncDispose]();
      workers.push(
        await TestWorker.connect(manager.grpcAddress, {
          workerId: "admin-worker",
          executors: ["job"],
          token: admin,
        }),
      );
    } finally {
      for (const w of workers) await w[Symbol.asyncDispose]();
    }
  } finally {
    for (const reader of open) await reader.cancel();
  }
});

Deno.test("two keys that take all they may of each shared cap leave a place to a third: event subscriptions, waits, worker streams (REST and gRPC), each refusal counted by resource", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: {
      AUTH: "on",
      BOOTSTRAP_ADMIN_KEY: admin,
      MAX_SSE_SUBSCRIBERS: "4",
      MAX_TASK_WATCHERS: "4",
      MAX_WORKER_STREAMS: "4",
    },
  });
  const base = manager.httpUrl;
  await rest(base, "/api/v1/executors", {
    token: admin,
    method: "POST",
    body: { config: { name: "job", enabled: false } },
  });
  const task = (await rest(base, "/api/v1/tasks", {
    token: admin,
    method: "POST",
    body: { executorName: "job", data: null },
  })).body.task;
  const key = async (name: string, scope: "read" | "worker") =>
    (await rest(base, "/api/v1/keys", {
      token: admin,
      method: "POST",
      body: { name, scopes: [scope], executors: scope === "worker" ? ["job"] : undefined },
    })).body.token as string;
  const [a, b, c] = [await key("a", "read"), await key("b", "read"), await key("c", "read")];
  const [wa, wb, wc] = [
    await key("worker-a", "worker"),
    await key("worker-b", "worker"),
    await key("worker-c", "worker"),
  ];
  const refusals = async () => {
    const text = await (await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${admin}` },
    })).text();
    return Object.fromEntries(
      [...text.matchAll(/^tasks_executor_share_refusals_total\{resource="(\w+)"\} (\d+)$/gm)]
        .map((m) => [m[1], Number(m[2])]),
    );
  };
  assert.deepEqual(await refusals(), {
    event_subscriptions: 0,
    searches: 0,
    task_watchers: 0,
    wait_bytes: 0,
    watched_tasks: 0,
    worker_streams: 0,
  });

  // Each stream's reader is kept (one garbage collected closes its subscription).
  const open: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const subscribe = async (token: string, path: string) => {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.ok) {
      const reader = response.body!.getReader();
      await reader.read();
      open.push(reader);
    } else await response.body?.cancel();
    return response.status;
  };
  const workers: TestWorker[] = [];
  /** A worker of `token` on a Work stream: OK once connected, else the code it ended with. */
  const work = async (token: string, workerId: string) => {
    const worker = new TestWorker(manager.grpcAddress, { token });
    workers.push(worker);
    worker.send({ hello: { workerId, executors: ["job"], sdkVersion: "test" } });
    const end = await Promise.race([
      worker.ended,
      new Promise<null>((resolve) =>
        worker.call.on("data", (m: { kind?: string }) => m.kind === "welcome" && resolve(null))
      ),
    ]);
    if (end === null) return grpc.status.OK;
    assert.match(end.details, /worker streams \(MAX_WORKER_STREAMS\) for key "worker-[ab]"/);
    return end.code;
  };
  try {
    for (const path of ["/api/v1/events", `/api/v1/tasks/watch?ids=${task.id}`]) {
      // A takes two of the four and B one of the two A leaves: the others each asked are refused.
      const taken = [];
      for (const token of [a, b]) {
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push(await subscribe(token, path));
        taken.push(statuses.filter((status) => status === 200).length);
      }
      assert.deepEqual(taken, [2, 1], path);
      assert.equal(await subscribe(c, path), 200, `${path}: the third key's place`);
      // A's share is one now, and it keeps the two it holds: the four places are all held.
      assert.equal(await subscribe(admin, path), 503, `${path}: every place held`);
    }
    const codes: number[][] = [];
    for (const [token, name] of [[wa, "a"], [wb, "b"]]) {
      const ended: number[] = [];
      for (let i = 0; i < 4; i++) ended.push(await work(token, `${name}${i}`));
      codes.push(ended);
    }
    const ok = grpc.status.OK, full = grpc.status.RESOURCE_EXHAUSTED;
    assert.deepEqual(codes, [[ok, ok, full, full], [ok, full, full, full]]);
    assert.equal(await work(wc, "c0"), ok, "the third key's worker connects");
    assert.deepEqual(await refusals(), {
      event_subscriptions: 5,
      searches: 0,
      task_watchers: 5,
      wait_bytes: 0,
      watched_tasks: 0,
      worker_streams: 5,
    });
  } finally {
    for (const w of workers) await w[Symbol.asyncDispose]();
    for (const reader of open) await reader.cancel();
  }
});

Deno.test("a worker key's streams count against its share from their start: past it, streams that never say hello are refused naming the share and key, and another key's worker still connects", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin, MAX_WORKER_STREAMS: "4" },
  });
  const base = manager.httpUrl;
  await rest(base, "/api/v1/executors", {
    token: admin,
    method: "POST",
    body: { config: { name: "job", enabled: false } },
  });
  const key = async (name: string) =>
    (await rest(base, "/api/v1/keys", {
      token: admin,
      method: "POST",
      body: { name, scopes: ["worker"], executors: ["job"] },
    })).body.token as string;
  const [a, b] = [await key("worker-a"), await key("worker-b")];
  // Key A opens as many streams as the manager serves, none saying hello: two are its share.
  const raw = [1, 2, 3, 4].map(() => new TestWorker(manager.grpcAddress, { token: a }));
  const workers: TestWorker[] = [];
  try {
    const ends = await Promise.all(raw.map(async (stream) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = await Promise.race([
        stream.ended,
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 3000))),
      ]);
      clearTimeout(timer);
      return end;
    }));
    const refused = ends.filter((end) => end !== null);
    assert.equal(refused.length, 2, JSON.stringify(ends));
    for (const end of refused) {
      assert.equal(end!.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(
        end!.details,
        /worker streams \(MAX_WORKER_STREAMS\) for key "worker-a".*at most 2 of the 4/,
      );
      assert.doesNotMatch(end!.details, new RegExp(a));
    }
    workers.push(
      await TestWorker.connect(manager.grpcAddress, {
        workerId: "b1",
        executors: ["job"],
        token: b,
      }),
    );
  } finally {
    for (const w of [...raw, ...workers]) await w[Symbol.asyncDispose]();
  }
});

Deno.test("a worker stream admitted at its start within its key's share is not refused at its hello, whatever other keys' workers connected meanwhile", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin, MAX_WORKER_STREAMS: "4" },
  });
  const base = manager.httpUrl;
  await rest(base, "/api/v1/executors", {
    token: admin,
    method: "POST",
    body: { config: { name: "job", enabled: false } },
  });
  const key = async (name: string) =>
    (await rest(base, "/api/v1/keys", {
      token: admin,
      method: "POST",
      body: { name, scopes: ["worker"], executors: ["job"] },
    })).body.token as string;
  const [a, b] = [await key("worker-a"), await key("worker-b")];
  // A opens three streams, saying nothing yet: once one is refused, the two others hold its share,
  // two of four. B's worker takes one of the two left.
  const streams = [1, 2, 3].map(() => new TestWorker(manager.grpcAddress, { token: a }));
  try {
    const refused = await Promise.race(streams.map((s) => s.ended.then(() => s)));
    assert.match((await refused.ended).details, /for key "worker-a".*at most 2 of the 4 now/);
    const held = streams.filter((s) => s !== refused);
    streams.push(
      await TestWorker.connect(manager.grpcAddress, {
        workerId: "b1",
        executors: ["job"],
        token: b,
      }),
    );
    // Both of A's streams say hello now and are welcomed: their places were taken at their start.
    for (const [i, stream] of held.entries()) {
      stream.send({ hello: { workerId: `a${i}`, executors: ["job"], sdkVersion: "test" } });
      const answer = await Promise.race([
        stream.ended,
        stream.next((m) => m.kind === "welcome"),
      ]);
      assert.equal((answer as { kind?: string }).kind, "welcome", JSON.stringify(answer));
    }
  } finally {
    for (const stream of streams) await stream[Symbol.asyncDispose]();
  }
});

Deno.test("a key sent without the Bearer scheme (bare, Basic, Token) is refused over REST (401) and gRPC (UNAUTHENTICATED); Bearer in any case is taken", async () => {
  const admin = newToken().token;
  await using manager = await startTestManager({
    env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: admin },
  });
  const port = Number(manager.grpcAddress.split(":").pop());
  const client = managerClient(port);
  /** The REST status and detail, and the gRPC code and details, of a list with `authorization`. */
  const listed = async (authorization: string) => {
    const answer = await fetch(`${manager.httpUrl}/api/v1/executors`, {
      headers: { authorization },
    });
    const detail = answer.ok ? "" : (await answer.json()).detail;
    if (answer.ok) await answer.body?.cancel();
    const metadata = new grpc.Metadata();
    metadata.set("authorization", authorization);
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      (client as unknown as Record<string, (...args: unknown[]) => void>).ListExecutors
        .call(client, {}, metadata, (error: grpc.ServiceError | null) => resolve(error))
    );
    return [answer.status, detail, error?.code ?? grpc.status.OK, error?.details ?? ""];
  };
  try {
    // A bare token was taken. Each is told how to send it.
    for (const refused of [admin, `Basic ${admin}`, `Token ${admin}`, `Bearer${admin}`]) {
      assert.deepEqual(await listed(refused), [
        401,
        "Send the API key as Authorization: Bearer <key>",
        grpc.status.UNAUTHENTICATED,
        "Send the API key as metadata authorization: Bearer <key>",
      ], refused.slice(0, 8));
    }
    for (const taken of [`Bearer ${admin}`, `bearer ${admin}`, `BEARER  ${admin}`]) {
      assert.deepEqual(await listed(taken), [200, "", grpc.status.OK, ""], taken.slice(0, 8));
    }
  } finally {
    client.close();
  }
});
