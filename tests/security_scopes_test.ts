/**
 * The permission table, proven on a real manager with authentication on: every REST operation of
 * the OpenAPI document and every gRPC method of the proto, called with no key, a wrong key, a
 * revoked key and a key of each scope, answers as the table says; executor-limited worker keys stay
 * on their executors; revoked keys lose their open streams, also through another manager.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { Hono } from "hono";
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { encodeMessage, loadProtocol } from "@tasks-executor/proto";
import { grpcFrame, grpcStatusOf, grpcStream } from "./fixtures/raw_h2.ts";
import { grpcClients as openGrpcClients, unaryCall } from "./fixtures/secured_manager.ts";
import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
import {
  GRPC_OPERATIONS,
  type Operation,
  OPERATIONS,
  REST_OPERATIONS,
} from "../server/auth/permissions.ts";
import { type Scope, SCOPES } from "../server/auth/scopes.ts";
import { newToken } from "../server/auth/token.ts";
import { loadConfig } from "../server/config.ts";
import { guardService } from "../server/grpc/auth.ts";
import { authentication } from "../server/http/auth.ts";
import { problemResponse } from "../server/http/problem.ts";
import { OPENAPI } from "../server/http/openapi/mod.ts";
import type { LogFields, Logger } from "../server/log.ts";
import { type Manager, startManager } from "../server/manager.ts";
import { listenLocal } from "./fixtures/grpc_listen.ts";

const HTTP_METHODS = ["get", "put", "post", "delete", "patch"];

/** Every REST operation of the OpenAPI document, as `METHOD /path/{param}`. */
function documentedRestOperations(): string[] {
  const out: string[] = [];
  for (const [path, item] of Object.entries(OPENAPI.paths as Record<string, object>)) {
    for (const method of HTTP_METHODS) {
      if (method in item) out.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return out.sort();
}

interface ProtoMethod {
  /** `package.Service/Method`. */
  name: string;
  service: string;
  definition: grpc.MethodDefinition<unknown, unknown>;
}

/** Every method of every service in the loaded proto. */
function protoMethods(): ProtoMethod[] {
  const out: ProtoMethod[] = [];
  const definitions = {
    ...loadProtocol().packageDefinition,
    ...loadLegacyProtocol().packageDefinition,
  };
  for (const [service, definition] of Object.entries(definitions)) {
    for (const method of Object.values(definition as Record<string, unknown>)) {
      const m = method as grpc.MethodDefinition<unknown, unknown>;
      if (typeof m?.path !== "string") continue;
      out.push({ name: m.path.slice(1), service, definition: m });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A manager with authentication on, over a store in `dataDir`, whose log lines are kept. */
async function startSecuredManager(
  dataDir: string,
): Promise<{ manager: Manager; lines: { msg: string; fields: LogFields }[] }> {
  const lines: { msg: string; fields: LogFields }[] = [];
  const keep = (msg: string, fields: LogFields = {}) => lines.push({ msg, fields });
  const log: Logger = { debug: () => {}, info: keep, warn: keep, error: keep };
  const config = loadConfig({
    MANAGER_HOST: "127.0.0.1",
    MANAGER_PORT: "0",
    MANAGER_GRPC_PORT: "0",
    DATA_DIR: dataDir,
    SHUTDOWN_GRACE_MS: "500",
    // Each call below opens a connection of its own, as fast as it can: hundreds a second from one
    // address, past its rate limit (tests/connection_limits_test.ts tests that).
    GRPC_CONNECTION_BURST: "100000",
    AUTH: "on",
    // A known admin key, so that the first start prints nothing.
    BOOTSTRAP_ADMIN_KEY: newToken().token,
  });
  return { manager: await startManager(config, log), lines };
}

/** No key; a well-formed unknown key; a malformed one; a revoked admin key; a key per scope. */
type Credential = "none" | "wrong" | "malformed" | "revoked" | Scope;
const CREDENTIALS: Credential[] = [
  "none",
  "wrong",
  "malformed",
  "revoked",
  "admin",
  "producer",
  "worker",
  "read",
  "metrics",
];

/**
 * The scope table the README states, written out: what each scope may do beyond the open
 * operations (`own` = only on the executors its key is limited to).
 */
const SCOPE_TABLE: Record<Scope, Record<string, "all" | "own">> = {
  admin: Object.fromEntries(
    (Object.keys(OPERATIONS) as Operation[]).filter((op) => !OPERATIONS[op].open).map((op) => [
      op,
      "all",
    ]),
  ),
  producer: {
    "tasks.create": "own",
    "tasks.read": "own",
    "tasks.produce": "own",
    "executors.read": "own",
    "schedules.read": "own",
    "schedules.write": "own",
    "session.read": "all",
  },
  worker: {
    "worker.work": "own",
    "executors.read": "own",
    "executors.write": "own",
    "session.read": "all",
  },
  read: {
    "executors.read": "all",
    "tasks.read": "all",
    "tasks.produce": "all",
    "schedules.read": "all",
    "dlq.read": "all",
    "stats.read": "all",
    "workers.read": "all",
    "events.read": "all",
    "metrics.read": "all",
    "session.read": "all",
  },
  metrics: { "metrics.read": "all", "session.read": "all" },
};

Deno.test("the permission table grants each scope what the README's scope table says", () => {
  for (const scope of Object.keys(SCOPE_TABLE) as Scope[]) {
    const granted = Object.fromEntries(
      (Object.keys(OPERATIONS) as Operation[])
        .filter((op) => !OPERATIONS[op].open && OPERATIONS[op].scopes[scope] !== undefined)
        .map((op) => [op, OPERATIONS[op].scopes[scope]]),
    );
    assert.deepEqual(granted, SCOPE_TABLE[scope], scope);
  }
});

/** The README's scope table: each scope's "may" text, backticks removed. */
async function readmeScopeTexts(): Promise<Record<string, string>> {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  return Object.fromEntries(
    [...readme.matchAll(/^\| `(\w+)` +\| (.+?) +\|$/gm)]
      .filter(([, scope]) => (SCOPES as readonly string[]).includes(scope))
      .map(([, scope, text]) => [scope, text.replaceAll("`", "")]),
  );
}

/** The admin page's scope descriptions (static/views/keys.js `SCOPES`). */
async function pageScopeTexts(): Promise<Record<string, string>> {
  const source = await Deno.readTextFile(new URL("../static/views/keys.js", import.meta.url));
  const list = /const SCOPES = (\[[\s\S]*?\n\]);/.exec(source)?.[1];
  assert.ok(list, "SCOPES not found in static/views/keys.js");
  // The list holds string literals joined with +, nothing else: evaluate it as JSON.
  const json = list.replace(/"\s*\+\s*"/g, "").replace(/,(\s*[\]}])/g, "$1");
  return Object.fromEntries(JSON.parse(json) as [string, string][]);
}

/**
 * Words the description of a scope holds exactly when the permission table grants it the
 * operation (admin, "everything", aside).
 */
const DESCRIBED: Partial<Record<Operation, RegExp>> = {
  "tasks.create": /\bcreate\b[^;]*\btasks\b/,
  "schedules.write": /\bchange, pause, resume, trigger and delete schedules\b/,
  "executors.write": /\bregister/,
  "worker.work": /\bworker protocol\b/,
  "dlq.read": /\bDLQ\b/,
  "metrics.read": /\bmetrics\b/,
};

Deno.test("the README's scope table, the admin page's scope descriptions and the permission table agree", async () => {
  const readme = await readmeScopeTexts();
  assert.deepEqual(Object.keys(readme), [...SCOPES]);
  assert.deepEqual(await pageScopeTexts(), readme);
  for (const scope of SCOPES.filter((s) => s !== "admin")) {
    for (const [operation, words] of Object.entries(DESCRIBED) as [Operation, RegExp][]) {
      const granted = OPERATIONS[operation].scopes[scope] !== undefined;
      assert.equal(words.test(readme[scope]), granted, `${scope} / ${operation}: ${readme[scope]}`);
    }
  }
});

/** What the table says a credential gets for an operation. */
function expected(operation: Operation, credential: Credential): "401" | "403" | "allowed" {
  const rule = OPERATIONS[operation];
  if (rule.open) return "allowed";
  // No credential at all reaches it, answered for nobody (GET /api/v1/session).
  if (rule.anonymous && credential === "none") return "allowed";
  if (!(SCOPES as readonly string[]).includes(credential)) return "401";
  return rule.scopes[credential as Scope] === undefined ? "403" : "allowed";
}

interface Fixture extends AsyncDisposable {
  manager: Manager;
  lines: { msg: string; fields: LogFields }[];
  dataDir: string;
  tokens: Record<Credential, string | null>;
  keyIds: Partial<Record<Credential, string>>;
  /** Creates a key through the service; answers its token and id. */
  createKey(spec: object): Promise<{ token: string; id: string }>;
}

async function setUp(): Promise<Fixture> {
  const dataDir = await Deno.makeTempDir({ prefix: "security-scopes-" });
  const { manager, lines } = await startSecuredManager(dataDir);
  const createKey = async (spec: object) => {
    const created = await manager.service.keys.create(spec);
    return { token: created.token, id: created.key.id };
  };
  const tokens: Record<Credential, string | null> = {
    none: null,
    wrong: newToken().token,
    malformed: "not-a-key",
    revoked: null,
    admin: null,
    producer: null,
    worker: null,
    read: null,
    metrics: null,
  };
  const keyIds: Partial<Record<Credential, string>> = {};
  for (const scope of ["admin", "producer", "worker", "read", "metrics"] as const) {
    const created = await createKey({
      name: `${scope}-key`,
      scopes: [scope],
      executors: scope === "worker" ? ["send_email"] : null,
    });
    tokens[scope] = created.token;
    keyIds[scope] = created.id;
  }
  const revoked = await createKey({ name: "revoked-key", scopes: ["admin"] });
  await manager.service.keys.revoke(revoked.id);
  tokens.revoked = revoked.token;
  await manager.service.createExecutor({ name: "send_email" });
  await manager.service.createExecutor({ name: "resize_image" });
  return {
    manager,
    lines,
    dataDir,
    tokens,
    keyIds,
    createKey,
    [Symbol.asyncDispose]: async () => {
      await manager.shutdown();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** Calls one REST operation with placeholder ids and an empty JSON body; answers the status. */
async function callRest(
  baseUrl: string,
  operation: string,
  token: string | null,
) {
  const [method, path] = operation.split(" ");
  const url = baseUrl + path.replace(/\{[^}]+\}/g, "zz-none");
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (method === "POST" || method === "PUT") {
    headers["content-type"] = "application/json";
    body = "{}";
  }
  // A client per call: the connection closes with it (an event stream's included).
  using client = Deno.createHttpClient({});
  const response = await fetch(url, { method, headers, body, client });
  const reader = response.body?.getReader();
  // An event stream is read up to its first bytes, so that the server sees it live, then left.
  if (response.headers.get("content-type") === "text/event-stream") await reader?.read();
  await reader?.cancel();
  return response;
}

function classOf(status: number): "401" | "403" | "allowed" {
  return status === 401 ? "401" : status === 403 ? "403" : "allowed";
}

Deno.test("every REST operation and gRPC method has an entry in the permission table, and every entry a route or method", () => {
  const rest = documentedRestOperations();
  assert.deepEqual(
    rest.filter((op) => !(op in REST_OPERATIONS)),
    [],
    "REST operations without an entry",
  );
  assert.deepEqual(
    Object.keys(REST_OPERATIONS).filter((op) => !rest.includes(op)).sort(),
    [],
    "entries without a REST operation",
  );
  const methods = protoMethods().map((m) => m.name);
  assert.ok(methods.length > 20, `found ${methods.length} gRPC methods`);
  assert.deepEqual(
    methods.filter((m) => !(m in GRPC_OPERATIONS)),
    [],
    "gRPC methods without an entry",
  );
  assert.deepEqual(
    Object.keys(GRPC_OPERATIONS).filter((m) => !methods.includes(m)).sort(),
    [],
    "entries without a gRPC method",
  );
});

Deno.test("every REST operation answers each credential as the permission table says", async () => {
  await using fixture = await setUp();
  const mismatches: string[] = [];
  for (const operation of documentedRestOperations()) {
    const id = REST_OPERATIONS[operation];
    assert.ok(id, `${operation} has an entry`);
    for (const credential of CREDENTIALS) {
      const response = await callRest(
        fixture.manager.httpUrl,
        operation,
        fixture.tokens[credential],
      );
      const got = classOf(response.status);
      const want = expected(id, credential);
      if (got !== want) {
        mismatches.push(`${operation} with ${credential}: ${response.status}, want ${want}`);
      }
      if (got === "401") {
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
      }
    }
  }
  assert.deepEqual(mismatches, []);
});

/** Calls one gRPC method with an empty request (a hello for `Work`); answers the status code. */
function callGrpc(
  address: string,
  method: ProtoMethod,
  token: string | null,
): Promise<grpc.status> {
  const Client = grpc.makeGenericClientConstructor(
    { [method.name]: method.definition },
    method.service,
  );
  const client = new Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  if (token !== null) metadata.set("authorization", `Bearer ${token}`);
  const name = method.name;
  // deno-lint-ignore no-explicit-any
  const call = (client as any)[name].bind(client);
  return new Promise<grpc.status>((resolve) => {
    const done = (code: grpc.status) => {
      client.close();
      resolve(code);
    };
    const { requestStream, responseStream } = method.definition;
    if (!requestStream && !responseStream) {
      call(
        {},
        metadata,
        (error: grpc.ServiceError | null) => done(error ? error.code : grpc.status.OK),
      );
      return;
    }
    if (!requestStream && responseStream) {
      // A server stream (WatchTasks): an empty request is refused as invalid once let in.
      const stream = call({}, metadata);
      stream.on("data", () => {});
      stream.on("error", (error: grpc.ServiceError) => done(error.code));
      stream.on("end", () => done(grpc.status.OK));
      return;
    }
    assert.ok(
      requestStream && responseStream,
      `${name}: only unary, server-streaming and bidi methods are known`,
    );
    // The worker stream: a hello for the worker key's own executor; a welcome means it was let in.
    const stream = call(metadata);
    stream.on("data", () => {
      stream.cancel();
      done(grpc.status.OK);
    });
    stream.on("error", (error: grpc.ServiceError) => done(error.code));
    stream.write({ hello: { workerId: "probe", executors: ["send_email"], sdkVersion: "test" } });
  });
}

function grpcClassOf(code: grpc.status): "401" | "403" | "allowed" {
  return code === grpc.status.UNAUTHENTICATED
    ? "401"
    : code === grpc.status.PERMISSION_DENIED
    ? "403"
    : "allowed";
}

Deno.test("every gRPC method of both services answers each credential as the permission table says", async () => {
  await using fixture = await setUp();
  const mismatches: string[] = [];
  for (const method of protoMethods()) {
    const id = GRPC_OPERATIONS[method.name];
    assert.ok(id, `${method.name} has an entry`);
    for (const credential of CREDENTIALS) {
      const code = await callGrpc(fixture.manager.grpcAddress, method, fixture.tokens[credential]);
      const want = expected(id, credential);
      if (grpcClassOf(code) !== want) {
        mismatches.push(`${method.name} with ${credential}: ${grpc.status[code]}, want ${want}`);
      }
    }
  }
  assert.deepEqual(mismatches, []);
});

Deno.test("every gRPC method finds its caller and checks its scopes before it reads the request: bytes that do not decode get UNAUTHENTICATED without a valid key, PERMISSION_DENIED with a key whose scopes do not allow the method, INTERNAL with one whose do", async () => {
  await using fixture = await setUp();
  const identity = (bytes: Buffer) => bytes;
  // Field 1, 5 bytes long, with one there: no request message decodes from it.
  const malformed = Buffer.from([0x0a, 0x05, 0x61]);
  const mismatches: string[] = [];
  for (const method of protoMethods()) {
    for (const credential of CREDENTIALS) {
      const client = new grpc.Client(
        fixture.manager.grpcAddress,
        grpc.credentials.createInsecure(),
      );
      const metadata = new grpc.Metadata();
      const token = fixture.tokens[credential];
      if (token !== null) metadata.set("authorization", `Bearer ${token}`);
      const path = `/${method.name}`;
      const { requestStream, responseStream } = method.definition;
      const code = await new Promise<grpc.status>((resolve) => {
        if (!requestStream && !responseStream) {
          client.makeUnaryRequest(
            path,
            identity,
            identity,
            malformed,
            metadata,
            (error) => resolve(error ? error.code : grpc.status.OK),
          );
          return;
        }
        const stream = requestStream
          ? client.makeBidiStreamRequest(path, identity, identity, metadata)
          : client.makeServerStreamRequest(path, identity, identity, malformed, metadata);
        stream.on("data", () => {});
        stream.on("error", (error: grpc.ServiceError) => resolve(error.code));
        stream.on("end", () => resolve(grpc.status.OK));
        if (requestStream) (stream as grpc.ClientDuplexStream<Buffer, Buffer>).write(malformed);
      });
      client.close();
      const want = {
        "401": grpc.status.UNAUTHENTICATED,
        "403": grpc.status.PERMISSION_DENIED,
        allowed: grpc.status.INTERNAL,
      }[expected(GRPC_OPERATIONS[method.name], credential)];
      if (code !== want) {
        mismatches.push(
          `${method.name} with ${credential}: ${grpc.status[code]}, want ${grpc.status[want]}`,
        );
      }
    }
  }
  assert.deepEqual(mismatches, []);
});

Deno.test("a worker id another key holds is audited as Denied, with the refusal as its reason, on every path that refuses it: the Work hello (as its refusal of an executor the key does not reach), GetNextTask and ReportResults", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const { worker } = grpcClients;
  const [first, second] = await Promise.all(
    ["holder", "latecomer"].map((name) =>
      fixture.createKey({ name, scopes: ["worker"], executors: ["send_email"] })
    ),
  );
  const held = openWorkStream(worker, first.token, ["send_email"], "w-audited");
  await held.welcomed;

  const refusedHello = await openWorkStream(worker, second.token, ["send_email"], "w-audited")
    .ended;
  assert.equal(refusedHello.code, grpc.status.UNAVAILABLE);
  for (
    const [method, request] of [
      ["GetNextTask", { workerId: "w-audited", executors: ["send_email"], maxTasks: 1 }],
      ["ReportResults", { workerId: "w-audited", results: [] }],
    ] as const
  ) {
    await assert.rejects(
      unaryCall(worker, method, request, second.token),
      (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE,
    );
  }
  const refusedExecutor = await openWorkStream(worker, second.token, ["resize_image"]).ended;
  assert.equal(refusedExecutor.code, grpc.status.PERMISSION_DENIED);
  held.stream.cancel();
  await held.ended;

  const service = "taskexecutor.v1.TaskExecutorService";
  const lines = fixture.lines.filter((line) => line.fields.keyId === second.id);
  assert.deepEqual(
    lines.map((line) => [line.msg, line.fields.operation, line.fields.call, line.fields.outcome]),
    [
      ["Audit", "worker.work", `${service}/Work`, "OPEN"],
      ["Denied", "worker.work", `${service}/Work`, "UNAVAILABLE"],
      ["Denied", "worker.work", `${service}/GetNextTask`, "UNAVAILABLE"],
      ["Denied", "worker.work", `${service}/ReportResults`, "UNAVAILABLE"],
      ["Audit", "worker.work", `${service}/Work`, "OPEN"],
      ["Denied", "worker.work", `${service}/Work`, "PERMISSION_DENIED"],
    ],
  );
  const reasons = lines.filter((line) => line.msg === "Denied").map((l) => l.fields.reason);
  assert.match(
    String(reasons[0]),
    /^Worker id "w-audited" is held by another API key.*\(\/hello\/workerId\)$/,
  );
  for (const reason of reasons.slice(1, 3)) {
    assert.match(
      String(reason),
      /^Worker id "w-audited" is held by another API key.*\(\/workerId\)$/,
    );
  }
  assert.match(String(reasons[3]), /resize_image/);
  for (const line of lines) {
    assert.equal(line.fields.keyName, "latecomer");
    assert.equal(line.fields.transport, "grpc");
  }
});

/**
 * Opens a worker stream with `token` and a hello (`keepalive`: one that speaks keepalive, as the
 * SDKs' workers do); resolves once the welcome came.
 */
function openWorkStream(
  client: grpc.Client,
  token: string,
  executors: string[],
  workerId = `w-${crypto.randomUUID()}`,
  keepalive = false,
) {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  // deno-lint-ignore no-explicit-any
  const stream = (client as any).Work(metadata) as grpc.ClientDuplexStream<unknown, unknown>;
  const ended = new Promise<grpc.ServiceError>((resolve) => stream.on("error", resolve));
  const welcomed = new Promise<void>((resolve) => stream.once("data", () => resolve()));
  stream.write({ hello: { workerId, executors, sdkVersion: "test", keepalive } });
  return { stream, ended, welcomed };
}

const code = (error: unknown) => (error as grpc.ServiceError).code;

Deno.test("a worker key for send_email cannot register, receive or settle resize_image tasks", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const { manager, worker } = grpcClients;
  const workerToken = fixture.tokens.worker!;
  const adminToken = fixture.tokens.admin!;

  // Register: its own executor yes, another no (gRPC and REST).
  await unaryCall(manager, "UpdateExecutor", {
    id: "send_email",
    config: { name: "send_email" },
  }, workerToken);
  const refused = await unaryCall(manager, "CreateExecutor", {
    config: { name: "resize_image_2" },
  }, workerToken).then(() => null, (e) => e);
  assert.equal(code(refused), grpc.status.PERMISSION_DENIED);
  assert.match(refused.details, /limited to "send_email"/);
  // Another key's executor is answered as one that does not exist: the key cannot tell them apart.
  for (const name of ["resize_image", "no_such_executor"]) {
    for (
      const [method, request] of [
        ["UpdateExecutor", { id: name, config: { name } }],
        ["GetExecutor", { id: name }],
      ] as const
    ) {
      const error = await unaryCall(manager, method, request, workerToken).then(
        () => null,
        (e) => e,
      );
      assert.equal(code(error), grpc.status.NOT_FOUND, `${method} ${name}`);
      assert.equal(error.details, `Executor "${name}" does not exist`);
    }
  }
  const rest = await fetch(`${fixture.manager.httpUrl}/api/v1/executors`, {
    method: "POST",
    headers: { authorization: `Bearer ${workerToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "resize_image_2" }),
  });
  assert.equal(rest.status, 403);
  assert.match((await rest.json()).detail, /\/config\/name|\/name/);
  const listed = await unaryCall<{ executors: { name: string }[] }>(
    manager,
    "ListExecutors",
    {},
    workerToken,
  );
  assert.deepEqual(listed.executors.map((e) => e.name), ["send_email"]);

  // Receive: a hello or a claim naming another executor is refused; a claim gets its own only.
  const refusedStream = openWorkStream(worker, workerToken, ["send_email", "resize_image"]);
  assert.equal((await refusedStream.ended).code, grpc.status.PERMISSION_DENIED);
  const refusedClaim = await unaryCall(worker, "GetNextTask", {
    workerId: "w1",
    executors: ["resize_image"],
    maxTasks: 10,
  }, workerToken).then(() => null, (e) => e);
  assert.equal(code(refusedClaim), grpc.status.PERMISSION_DENIED);
  const service = fixture.manager.service;
  await service.createTask({ executorName: "resize_image", data: { n: 1 } });
  await service.createTask({ executorName: "send_email", data: { n: 2 } });
  const own = await unaryCall<{ tasks: { executorName: string }[] }>(worker, "GetNextTask", {
    workerId: "w1",
    executors: ["send_email"],
    maxTasks: 10,
  }, workerToken);
  assert.deepEqual(own.tasks.map((t) => t.executorName), ["send_email"]);

  // Settle: a resize_image task leased to an admin-keyed worker cannot be settled with this key,
  // not under that worker's id (the admin key holds it), nor with its lease token under its own.
  const leased = await unaryCall<{ tasks: { taskId: string; leaseToken: string }[] }>(
    worker,
    "GetNextTask",
    { workerId: "w-admin", executors: ["resize_image"], maxTasks: 1 },
    adminToken,
  );
  const [task] = leased.tasks;
  const result = { taskId: task.taskId, leaseToken: task.leaseToken, ok: true, resultJson: "1" };
  const underItsId = await unaryCall(worker, "ReportResults", {
    workerId: "w-admin",
    results: [result],
  }, workerToken).then(() => null, (e) => e);
  // Held, not forbidden for good: another key's worker may take the id once the hold ends.
  assert.equal(code(underItsId), grpc.status.UNAVAILABLE);
  assert.match(underItsId.details, /\(\/workerId\)$/);
  const forged = await unaryCall<{ acks: { accepted: boolean; error: string }[] }>(
    worker,
    "ReportResults",
    { workerId: "w1", results: [result] },
    workerToken,
  );
  assert.equal(forged.acks[0].accepted, false);
  assert.match(forged.acks[0].error, /Permission denied.*resize_image/);
  assert.equal((await service.getTask(task.taskId)).status, "in_progress");
  // The same result under the admin key is applied: the refusal was the key's.
  const real = await unaryCall<{ acks: { accepted: boolean }[] }>(worker, "ReportResults", {
    workerId: "w-admin",
    results: [{ taskId: task.taskId, leaseToken: task.leaseToken, ok: true, resultJson: "1" }],
  }, adminToken);
  assert.equal(real.acks[0].accepted, true);
});

Deno.test("a unary call whose request comes after its key was revoked is refused, though the key was valid when the call opened", async () => {
  await using fixture = await setUp();
  const key = await fixture.createKey({ name: "late", scopes: ["producer"] });
  const session = http2.connect(`http://${fixture.manager.grpcAddress}`);
  session.on("error", () => {});
  try {
    // Headers now (the key is valid), the request later.
    const authorization = `Bearer ${key.token}`;
    const stream = grpcStream(
      session,
      "/taskexecutor.v1.TaskExecutorManagerService/CreateTask",
      { authorization },
    );
    stream.on("data", () => {});
    const status = grpcStatusOf(stream);
    // A call opened after it, answered: the first call's headers were read and let in by then.
    const probe = grpcStream(session, "/taskexecutor.v1.TaskExecutorManagerService/GetTask", {
      authorization,
    });
    probe.on("data", () => {});
    probe.end(new Uint8Array(5));
    await new Promise((resolve) => probe.once("close", resolve));
    await fixture.manager.service.keys.revoke(key.id);
    const message = encodeMessage("taskexecutor.v1.CreateTaskRequest", {
      task: { executorName: "send_email" },
    });
    stream.end(grpcFrame(message));
    assert.equal((await status).status, String(grpc.status.UNAUTHENTICATED));
    assert.equal((await fixture.manager.service.listTasks({}, { limit: 10 })).items.length, 0);
  } finally {
    session.close();
  }
});

/**
 * Opens a send_email work stream on the manager at `grpcAddress` with a new worker key, revokes
 * the key through `fixture`'s manager once welcomed; answers how the stream ended, and when.
 */
async function workStreamEndOnRevoke(
  fixture: Fixture,
  grpcAddress: string,
): Promise<{ error: grpc.ServiceError; afterMs: number }> {
  using grpcClients = openGrpcClients(grpcAddress);
  const key = await fixture.createKey({
    name: "mailer",
    scopes: ["worker"],
    executors: ["send_email"],
  });
  const open = openWorkStream(grpcClients.worker, key.token, ["send_email"]);
  await open.welcomed;
  const revokedAt = performance.now();
  await fixture.manager.service.keys.revoke(key.id);
  const error = await open.ended;
  return { error, afterMs: Math.round(performance.now() - revokedAt) };
}

Deno.test("a revoked worker key's open stream is closed with UNAUTHENTICATED", async () => {
  await using fixture = await setUp();
  const { error, afterMs } = await workStreamEndOnRevoke(fixture, fixture.manager.grpcAddress);
  console.log(`stream closed ${afterMs} ms after revocation`);
  assert.equal(error.code, grpc.status.UNAUTHENTICATED);
  assert.match(error.details, /revoked/);
});

Deno.test("a key revoked through one manager closes its worker stream on another sharing the store", async () => {
  await using fixture = await setUp();
  const other = await startSecuredManager(fixture.dataDir);
  try {
    const { error, afterMs } = await workStreamEndOnRevoke(fixture, other.manager.grpcAddress);
    console.log(`stream on the other manager closed ${afterMs} ms after revocation`);
    assert.equal(error.code, grpc.status.UNAUTHENTICATED);
  } finally {
    await other.manager.shutdown();
  }
});

Deno.test("a revoked key's event stream ends", async () => {
  await using fixture = await setUp();
  const key = await fixture.createKey({ name: "dashboard", scopes: ["read"] });
  using client = Deno.createHttpClient({});
  const response = await fetch(`${fixture.manager.httpUrl}/api/v1/events`, {
    headers: { authorization: `Bearer ${key.token}` },
    client,
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  await reader.read();
  await fixture.manager.service.keys.revoke(key.id);
  let done = false;
  while (!done) done = (await reader.read()).done;
  const again = await fetch(`${fixture.manager.httpUrl}/api/v1/events`, {
    headers: { authorization: `Bearer ${key.token}` },
    client,
  });
  await again.body?.cancel();
  assert.equal(again.status, 401);
});

Deno.test("state-changing calls are audited with the key's id and name, never its token", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const producer = fixture.tokens.producer!;
  const response = await fetch(`${fixture.manager.httpUrl}/api/v1/tasks`, {
    method: "POST",
    headers: { authorization: `Bearer ${producer}`, "content-type": "application/json" },
    body: JSON.stringify({ executorName: "send_email", data: {} }),
  });
  assert.equal(response.status, 201);
  await response.body?.cancel();
  await unaryCall(grpcClients.manager, "CreateTask", {
    task: { executorName: "send_email", data: { structValue: {} } },
  }, producer);
  await unaryCall(grpcClients.manager, "ListTasks", { executorName: "send_email" }, producer);
  const audits = fixture.lines.filter((line) => line.msg === "Audit");
  assert.deepEqual(
    audits.map((line) => [line.fields.transport, line.fields.operation, line.fields.call]),
    [
      ["rest", "tasks.create", "POST /api/v1/tasks"],
      ["grpc", "tasks.create", "taskexecutor.v1.TaskExecutorManagerService/CreateTask"],
    ],
    "one line per state change, none for reads",
  );
  for (const line of audits) {
    assert.equal(line.fields.keyId, fixture.keyIds.producer);
    assert.equal(line.fields.keyName, "producer-key");
  }
  const secrets = Object.values(fixture.tokens).filter((t): t is string => !!t?.startsWith("te_"));
  const logged = JSON.stringify(fixture.lines);
  for (const token of secrets) {
    assert.ok(!logged.includes(token.slice(20)), "no secret in the log");
  }
});

Deno.test("each create on a Produce stream is audited, a denied one with its reason", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const limited = await fixture.createKey({
    name: "send-email-producer",
    scopes: ["producer"],
    executors: ["send_email"],
  });
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${limited.token}`);
  // deno-lint-ignore no-explicit-any
  const stream = (grpcClients.manager as any).Produce(metadata) as grpc.ClientDuplexStream<
    unknown,
    { requestId: number; done: boolean }
  >;
  let answered = 0;
  stream.on("data", () => answered++);
  stream.write({ requestId: 1, create: { task: { executorName: "send_email" } } });
  stream.write({ requestId: 2, create: { task: { executorName: "resize_image" } } });
  while (answered < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  stream.end();
  await new Promise((resolve) => stream.on("status", resolve));
  const produce = "taskexecutor.v1.TaskExecutorManagerService/Produce";
  const lines = fixture.lines.filter((line) =>
    line.fields.call === produce && line.fields.keyId === limited.id
  );
  // One line per create (opening the stream changes nothing); they run side by side, in either
  // order.
  assert.deepEqual(
    lines.map((line) => [line.msg, line.fields.operation, line.fields.outcome]).sort(),
    [
      ["Audit", "tasks.create", "OK"],
      ["Denied", "tasks.create", "PERMISSION_DENIED"],
    ],
  );
  const denied = lines.find((line) => line.msg === "Denied")!;
  assert.match(String(denied.fields.reason), /resize_image/);

  // A create the wire check refuses (its executor name runs past its message) is checked for
  // the scope first, as its own call would be before its decoding, and audited as a create.
  const malformed = Uint8Array.of(0x08, 1, 0x12, 5, 0x0a, 3, 0x0a, 0x7f, 0x61);
  for (
    const [credential, code] of [["read", "PERMISSION_DENIED"], ["producer", "INTERNAL"]] as const
  ) {
    const raw = new grpc.Metadata();
    raw.set("authorization", `Bearer ${fixture.tokens[credential]}`);
    const refused = grpcClients.manager.makeBidiStreamRequest(
      `/${produce}`,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) =>
        loadProtocol().TaskExecutorManagerService.service.Produce.responseDeserialize(bytes),
      raw,
    );
    const answer = new Promise<{ error?: { code: number } }>((resolve) =>
      refused.once("data", resolve)
    );
    refused.on("error", () => {});
    refused.write(malformed);
    assert.equal((await answer).error?.code, grpc.status[code]);
    refused.end();
    await new Promise((resolve) => refused.on("status", resolve));
    const [line] = fixture.lines.filter((line) =>
      line.fields.call === produce && line.fields.keyId === fixture.keyIds[credential]
    );
    assert.deepEqual([line.fields.operation, line.fields.outcome], ["tasks.create", code]);
  }
});

Deno.test("a worker stream of a send_email key cannot take the worker id of an admin-keyed worker, nor settle or keep alive its resize_image task", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const service = fixture.manager.service;
  await service.createTask({ executorName: "resize_image", data: {} });
  const leased = await unaryCall<{ tasks: { taskId: string; leaseToken: string }[] }>(
    grpcClients.worker,
    "GetNextTask",
    { workerId: "w-admin", executors: ["resize_image"], maxTasks: 1 },
    fixture.tokens.admin!,
  );
  const [task] = leased.tasks;
  const before = await service.getTask(task.taskId);

  // The admin key's lease holds its worker id.
  const taken = openWorkStream(
    grpcClients.worker,
    fixture.tokens.worker!,
    ["send_email"],
    "w-admin",
  );
  const refused = await taken.ended;
  assert.equal(refused.code, grpc.status.UNAVAILABLE, refused.details);
  assert.match(refused.details, /\(\/hello\/workerId\)$/);

  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${fixture.tokens.worker}`);
  // deno-lint-ignore no-explicit-any
  const stream = (grpcClients.worker as any).Work(metadata) as grpc.ClientDuplexStream<
    unknown,
    // deno-lint-ignore no-explicit-any
    any
  >;
  const messages: Record<string, unknown>[] = [];
  const next = (kind: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const look = () => {
        const found = messages.find((m) => m.kind === kind);
        if (found) return resolve(found);
        stream.once("data", (m) => {
          messages.push(m);
          look();
        });
      };
      look();
    });
  stream.write({ hello: { workerId: "w-mail", executors: ["send_email"], sdkVersion: "test" } });
  await next("welcome");
  stream.write({ heartbeat: { taskIds: [task.taskId] } });
  const cancelled = await next("cancellations") as { cancellations: { tasks: unknown[] } };
  assert.deepEqual(cancelled.cancellations.tasks, [{
    taskId: task.taskId,
    reason: "CANCELLATION_REASON_LEASE_LOST",
  }]);
  stream.write({
    results: {
      results: [{ taskId: task.taskId, leaseToken: task.leaseToken, ok: true, resultJson: "1" }],
    },
  });
  const acked = await next("acks") as { acks: { acks: { accepted: boolean; error: string }[] } };
  assert.equal(acked.acks.acks[0].accepted, false);
  assert.match(acked.acks.acks[0].error, /Permission denied/);
  stream.on("error", () => {});
  stream.cancel();

  const after = await service.getTask(task.taskId);
  assert.equal(after.status, "in_progress");
  assert.equal(after.leaseExpiresAt, before.leaseExpiresAt, "the lease was not extended");
});

Deno.test("a producer key limited to send_email creates and reads send_email tasks only", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const service = fixture.manager.service;
  const { token } = await fixture.createKey({
    name: "mail-producer",
    scopes: ["producer"],
    executors: ["send_email"],
  });
  const other = await service.createTask({ executorName: "resize_image", data: {} });
  const rest = (path: string, init: RequestInit = {}) =>
    fetch(`${fixture.manager.httpUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    });

  const own = await rest("/api/v1/tasks", {
    method: "POST",
    body: JSON.stringify({ executorName: "send_email", data: {} }),
  });
  assert.equal(own.status, 201);
  const ownId = (await own.json()).task.id;
  const refused = await rest("/api/v1/tasks/batch", {
    method: "POST",
    body: JSON.stringify({
      tasks: [{ executorName: "send_email", data: {} }, { executorName: "resize_image", data: {} }],
    }),
  });
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).detail, /"resize_image" \(\/tasks\/1\/executorName\)/);
  const grpcRefused = await unaryCall(grpcClients.manager, "CreateTask", {
    task: { executorName: "resize_image", data: { structValue: {} } },
  }, token).then(() => null, (e) => e);
  assert.equal(code(grpcRefused), grpc.status.PERMISSION_DENIED);

  // Another executor's task is answered as no task (see tests/security_task_probes_test.ts).
  const read = await rest(`/api/v1/tasks/${other.task.id}`);
  assert.equal(read.status, 404);
  await read.body?.cancel();
  const listed = await rest("/api/v1/tasks");
  assert.deepEqual((await listed.json()).tasks.map((t: { id: string }) => t.id), [ownId]);
  const listedOther = await rest("/api/v1/tasks?executor_name=resize_image");
  assert.equal(listedOther.status, 403);
  await listedOther.body?.cancel();
  const stored = await service.listTasks({ executorName: "resize_image" });
  assert.equal(stored.items.length, 1, "the refused batch stored nothing");
});

Deno.test("a denial names the field of the request as each transport's caller sent it, and is logged with its transport and call", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const producer = await fixture.createKey({
    name: "mail-producer",
    scopes: ["producer"],
    executors: ["send_email"],
  });
  const worker = fixture.tokens.worker!;
  const mailWorker = await fixture.createKey({
    name: "mail-worker",
    scopes: ["worker"],
    executors: ["send_email"],
  });
  const post = async (path: string, token: string, body: unknown) => {
    const response = await fetch(`${fixture.manager.httpUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 403);
    return (await response.json()).detail as string;
  };
  const grpcDetail = (promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail("the call was allowed"),
      (error: grpc.ServiceError) => {
        assert.equal(error.code, grpc.status.PERMISSION_DENIED);
        return error.details;
      },
    );
  const task = { executorName: "resize_image", data: {} };

  assert.match(
    await post("/api/v1/tasks", producer.token, task),
    /"resize_image" \(\/executorName\)$/,
  );
  assert.match(
    await post("/api/v1/tasks", producer.token, { task }),
    /"resize_image" \(\/task\/executorName\)$/,
  );
  assert.match(
    await post("/api/v1/executors", worker, { name: "resize_more" }),
    /"resize_more" \(\/name\)$/,
  );
  assert.match(
    await post("/api/v1/executors", worker, { config: { name: "resize_more" } }),
    /"resize_more" \(\/config\/name\)$/,
  );
  assert.match(
    await grpcDetail(unaryCall(grpcClients.manager, "CreateTask", {
      task: { executorName: "resize_image", data: { structValue: {} } },
    }, producer.token)),
    /"resize_image" \(\/task\/executorName\)$/,
  );
  const legacy = new (loadLegacyProtocol().TaskExecutorManager)(
    fixture.manager.grpcAddress,
    grpc.credentials.createInsecure(),
  );
  try {
    assert.match(
      await grpcDetail(
        unaryCall(legacy, "AddTask", { executorName: "resize_image" }, producer.token),
      ),
      /"resize_image" \(\/executorName\)$/,
    );
    assert.match(
      await grpcDetail(
        unaryCall(legacy, "RegisterExecutor", { executorName: "resize_more" }, worker),
      ),
      /"resize_more" \(\/executorName\)$/,
    );
    // GetNextTaskRequest of the original interface has `executor_name` alone, no list.
    assert.match(
      await grpcDetail(
        unaryCall(legacy, "GetNextTask", { executorName: "resize_image" }, mailWorker.token),
      ),
      /"resize_image" \(\/executorName\)$/,
    );
  } finally {
    legacy.close();
  }
  // A scope denial, before the handler, on each transport.
  await post("/api/v1/dlq/requeue", fixture.tokens.read!, {});
  await grpcDetail(unaryCall(grpcClients.manager, "PurgeDlq", {}, fixture.tokens.read!));

  const denied = fixture.lines.filter((line) => line.msg === "Denied").map((line) => line.fields);
  assert.deepEqual(
    denied.map((f) => [f.keyName, f.operation, f.transport, f.call, f.outcome]),
    [
      ["mail-producer", "tasks.create", "rest", "POST /api/v1/tasks", 403],
      ["mail-producer", "tasks.create", "rest", "POST /api/v1/tasks", 403],
      ["worker-key", "executors.write", "rest", "POST /api/v1/executors", 403],
      ["worker-key", "executors.write", "rest", "POST /api/v1/executors", 403],
      [
        "mail-producer",
        "tasks.create",
        "grpc",
        "taskexecutor.v1.TaskExecutorManagerService/CreateTask",
        "PERMISSION_DENIED",
      ],
      [
        "mail-producer",
        "tasks.create",
        "grpc",
        "taskexecutor.TaskExecutorManager/AddTask",
        "PERMISSION_DENIED",
      ],
      [
        "worker-key",
        "executors.write",
        "grpc",
        "taskexecutor.TaskExecutorManager/RegisterExecutor",
        "PERMISSION_DENIED",
      ],
      [
        "mail-worker",
        "worker.work",
        "grpc",
        "taskexecutor.TaskExecutorManager/GetNextTask",
        "PERMISSION_DENIED",
      ],
      ["read-key", "dlq.write", "rest", "POST /api/v1/dlq/requeue", 403],
      [
        "read-key",
        "dlq.write",
        "grpc",
        "taskexecutor.v1.TaskExecutorManagerService/PurgeDlq",
        "PERMISSION_DENIED",
      ],
    ],
  );
  for (const fields of denied) {
    assert.equal(typeof fields.keyId, "string");
    assert.match(String(fields.reason), /may not/);
  }
  assert.ok(!fixture.lines.some((line) => line.msg === "Audit" && line.fields.outcome === 403));
});

Deno.test("a REST route missing from the permission table is refused to everyone, admin included", async () => {
  const app = new Hono();
  app.onError((error) => problemResponse(error));
  app.use("*", authentication({ auth: null }));
  app.get("/api/v1/unlisted", (c) => c.json({ leaked: true }));
  const response = await app.request("/api/v1/unlisted");
  assert.equal(response.status, 403);
  assert.match((await response.json()).detail, /No permission is defined/);
});

Deno.test("a gRPC method missing from the permission table is refused to everyone, admin included", async () => {
  const definition = {
    Unlisted: {
      path: "/taskexecutor.v1.TaskExecutorManagerService/Unlisted",
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
      requestDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString()),
      responseSerialize: (value: unknown) => Buffer.from(JSON.stringify(value)),
      responseDeserialize: (bytes: Buffer) => JSON.parse(bytes.toString()),
    },
  } as unknown as grpc.ServiceDefinition;
  const server = new grpc.Server();
  server.addService(
    definition,
    guardService({
      definition,
      implementation: {
        Unlisted: ((_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
          callback(null, { leaked: true })) as grpc.UntypedHandleCall,
      },
    }, { authenticator: null, streams: null }),
  );
  const port = await listenLocal(server);
  const Client = grpc.makeGenericClientConstructor(definition, "Unlisted");
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      // deno-lint-ignore no-explicit-any
      (client as any).Unlisted({}, (e: grpc.ServiceError | null) => resolve(e))
    );
    assert.equal(error?.code, grpc.status.PERMISSION_DENIED, String(error?.details));
    assert.match(error!.details, /No permission is defined/);
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
});

Deno.test("a worker id held by an open stream of one key is refused to another key (UNAVAILABLE naming /hello/workerId, /workerId for GetNextTask: it is retried, not a refusal for good); the same key may open more streams; once those close, the id is free", async () => {
  await using fixture = await setUp();
  using grpcClients = openGrpcClients(fixture.manager.grpcAddress);
  const { worker } = grpcClients;
  const [first, second] = await Promise.all(
    ["mailer-a", "mailer-b"].map((name) =>
      fixture.createKey({ name, scopes: ["worker"], executors: ["send_email"] })
    ),
  );

  // A stream that speaks keepalive, as an SDK worker's: one without says so (security_worker_ids).
  const held = openWorkStream(worker, first.token, ["send_email"], "w-shared", true);
  await held.welcomed;
  const taken = openWorkStream(worker, second.token, ["send_email"], "w-shared");
  const refused = await taken.ended;
  assert.equal(refused.code, grpc.status.UNAVAILABLE);
  assert.equal(
    refused.details,
    'Worker id "w-shared" is held by another API key on this manager: a worker stream of that ' +
      "key with this id is open (one whose worker is gone is closed within 40000 ms). Stop that " +
      "worker, or choose a worker id of your own (/hello/workerId)",
  );
  await assert.rejects(
    unaryCall(worker, "GetNextTask", {
      workerId: "w-shared",
      executors: ["send_email"],
      maxTasks: 1,
    }, second.token),
    (error: grpc.ServiceError) =>
      error.code === grpc.status.UNAVAILABLE && error.details.endsWith("(/workerId)"),
  );

  // The owner may open another stream under the same id (a reconnect overlapping the old one).
  const again = openWorkStream(worker, first.token, ["send_email"], "w-shared");
  await again.welcomed;

  for (const open of [held, again]) {
    open.stream.cancel();
    await open.ended;
  }
  // The registry forgets a stream once the manager sees it end; the next hello may race it.
  for (let attempt = 1;; attempt++) {
    const free = openWorkStream(worker, second.token, ["send_email"], "w-shared");
    const outcome = await Promise.race([free.welcomed.then(() => null), free.ended]);
    if (outcome === null) {
      free.stream.cancel();
      await free.ended;
      break;
    }
    assert.equal(outcome.code, grpc.status.UNAVAILABLE);
    assert.ok(attempt < 100, "The worker id stays held after its streams closed");
  }
});
