/**
 * The browser's side of security, on real parts: the Host allow-list (DNS rebinding), CORS, the
 * cross-site request checks, admin page sessions over REST, and the admin page in Chromium —
 * login (typed and from `#key=`), a read-only key's page, logout, and a page on another origin
 * whose form post and `no-cors` fetches change nothing.
 */
import assert from "node:assert/strict";
import { KeyAuthenticator } from "../server/auth/keys.ts";
import { loadConfig } from "../server/config.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { createHttpApp } from "../server/http/app.ts";
import { SESSION_COOKIE } from "../server/http/session.ts";
import { KeyService } from "../server/service/keys.ts";
import { Service } from "../server/service/service.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { settleReady } from "./fixtures/settle_ready.ts";
import { startTestManager } from "./_manager.ts";
import { chromiumMissing, launchChromium } from "./fixtures/chromium.ts";
import { skipUnless } from "./fixtures/skip.ts";

/** The same key id with a different secret: the first character of the secret changed. */
function otherSecret(token: string): string {
  const at = token.lastIndexOf("_") + 1;
  return `${token.slice(0, at)}${token[at] === "A" ? "B" : "A"}${token.slice(at + 1)}`;
}

/**
 * One HTTP/1.1 request over a plain TCP connection, so that `Host` can be anything (fetch always
 * sends the URL's). Answers the status and the body.
 */
async function rawRequest(
  url: string,
  options: { method?: string; host: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const { hostname, port, pathname, search } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const body = options.body ?? "";
  const lines = [
    `${options.method ?? "GET"} ${pathname}${search} HTTP/1.1`,
    `Host: ${options.host}`,
    "Connection: close",
    `Content-Length: ${new TextEncoder().encode(body).length}`,
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  await conn.write(new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n${body}`));
  const text = await new Response(conn.readable).text();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

/** A dead task (`non_retryable`) and a pending one of executor `name`, made straight in the store. */
async function deadAndPending(
  store: Store,
  service: Service,
  name: string,
): Promise<{ deadId: string; pendingId: string }> {
  await service.createExecutor({ name });
  const { task: dead } = await service.createTask({ executorName: name, data: { n: 1 } });
  const now = Date.now();
  const { tasks: [claimed], applied: [settled] } = await settleReady(store, name, {
    limit: 1,
    now,
    settlement: {
      kind: "dlq",
      error: { attempt: 1, message: "boom", at: now, workerId: "test" },
      reason: "non_retryable",
      queueName: "dlq",
    },
  });
  assert.equal(claimed.id, dead.id);
  assert.ok(settled);
  const { task: pending } = await service.createTask({
    executorName: name,
    data: { n: 2 },
    runAt: now + 3_600_000,
  });
  return { deadId: dead.id, pendingId: pending.id };
}

/**
 * The REST app with authentication on, as the manager builds it: a SQLite store in a temp dir,
 * the key authenticator over it, keys made through the key service.
 */
async function startAuthApp(env: Record<string, string> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "security-browser-" });
  const store = await openSqliteStore({ path: `${dir}/tasks.db` });
  const service = new Service(store);
  const authenticator = await KeyAuthenticator.start(store);
  const keys = new KeyService(store, { onChange: () => authenticator.refresh() });
  const config = loadConfig({ AUTH: "on", ...env });
  const app = createHttpApp({
    service,
    workers: { list: () => [] },
    limits: config.limits,
    readiness: () => Promise.resolve({ ready: true, checks: {} }),
    authenticator,
    browser: { allowedHosts: config.allowedHosts, corsOrigins: config.corsOrigins },
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    store,
    service,
    keys,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await authenticator[Symbol.asyncDispose]();
      await store[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The `Set-Cookie` attributes of the session cookie, lowercased, and its value. */
function sessionCookie(response: Response): { value: string; attributes: string[] } {
  const header = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  assert.ok(header, "no session cookie was set");
  const [pair, ...attributes] = header.split(";").map((part) => part.trim());
  return {
    value: pair.slice(SESSION_COOKIE.length + 1),
    attributes: attributes.map((a) => a.toLowerCase()),
  };
}

// Host, Origin, content type, CORS ----------------------------------------------------------------

Deno.test("a foreign Host is refused with 421; IP literals and the allowed names are answered", async () => {
  await using manager = await startTestManager();
  const url = `${manager.httpUrl}/api/v1/executors`;
  const port = new URL(url).port;
  const foreign = await rawRequest(url, { host: `attacker.example:${port}` });
  assert.equal(foreign.status, 421);
  assert.match(JSON.parse(foreign.body).detail, /attacker\.example.*ALLOWED_HOSTS/);
  // A health probe is answered only for allowed names too.
  assert.equal(
    (await rawRequest(`${manager.httpUrl}/healthz`, { host: "rebind.example" })).status,
    421,
  );
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "10.1.2.3"]) {
    assert.equal((await rawRequest(url, { host })).status, 200, host);
  }

  await using named = await startTestManager({ env: { ALLOWED_HOSTS: "tasks.example.com" } });
  const namedUrl = `${named.httpUrl}/api/v1/executors`;
  assert.equal((await rawRequest(namedUrl, { host: "TASKS.example.com:443" })).status, 200);
  // ALLOWED_HOSTS adds to the loopback names, which a rebinding page cannot send.
  assert.equal((await rawRequest(namedUrl, { host: "localhost" })).status, 200);
  assert.equal((await rawRequest(namedUrl, { host: "127.0.0.1" })).status, 200);
  assert.equal((await rawRequest(namedUrl, { host: "other.example.com" })).status, 421);
});

Deno.test("a Host that is no host[:port] is refused with 400 naming it, on every route", async () => {
  await using manager = await startTestManager();
  for (const host of ["a:99999", "1.2.3.4:99999", "localhost:abc", "[::1", "127.0.0.1:-1"]) {
    for (
      const [method, path] of [
        ["GET", "/healthz"],
        ["GET", "/api/v1/tasks"],
        ["GET", "/admin_page.html"],
        ["GET", "/no/such/route"],
        ["POST", "/api/v1/session"],
      ]
    ) {
      const answer = await rawRequest(`${manager.httpUrl}${path}`, { method, host });
      assert.equal(answer.status, 400, `${host} ${method} ${path}: ${answer.body}`);
      assert.match(JSON.parse(answer.body).detail, /^Host ".*" is not a host name/);
    }
  }
});

Deno.test("cross-site requests change nothing: form posts, bodiless POSTs and foreign origins are refused", async () => {
  await using manager = await startTestManager();
  const { deadId, pendingId } = await deadAndPending(manager.store, manager.service, "victim");
  const api = `${manager.httpUrl}/api/v1`;
  const attempts: [string, string, Record<string, string>, string?][] = [
    // What a `no-cors` fetch or a beacon sends: no content type, the page's origin.
    ["POST", "/dlq/requeue", { origin: "http://attacker.example" }],
    ["POST", `/tasks/${pendingId}/cancel`, { origin: "http://attacker.example" }],
    // A browser that sends no Origin: the missing JSON content type is enough.
    ["POST", "/dlq/requeue", {}],
    ["POST", `/tasks/${pendingId}/cancel`, {}],
    ["POST", `/dlq/${deadId}/requeue`, { "content-type": "text/plain" }, "{}"],
    ["POST", "/dlq/requeue", { "content-type": "application/x-www-form-urlencoded" }, "a=1"],
    ["POST", "/dlq/requeue", { "content-type": "multipart/form-data; boundary=x" }, "--x--"],
    // JSON with a foreign or opaque origin.
    ["POST", "/dlq/requeue", {
      origin: "http://attacker.example",
      "content-type": "application/json",
    }, "{}"],
    ["POST", "/dlq/requeue", { origin: "null", "content-type": "application/json" }, "{}"],
    ["DELETE", `/dlq/${deadId}`, { origin: "http://attacker.example" }],
    ["PUT", `/tasks/${pendingId}/status`, {
      origin: "http://attacker.example",
      "content-type": "application/json",
    }, '{"status":"cancelled"}'],
    // Same host name, another port: another origin.
    [
      "POST",
      "/dlq/requeue",
      { origin: "http://127.0.0.1:1", "content-type": "application/json" },
      "{}",
    ],
  ];
  for (const [method, path, headers, body] of attempts) {
    const response = await fetch(api + path, { method, headers, body });
    const problem = await response.json();
    assert.ok(
      [403, 415].includes(response.status),
      `${method} ${path} ${JSON.stringify(headers)}: ${response.status}`,
    );
    assert.match(problem.detail, /another site|Cross-origin request refused/);
  }
  assert.equal((await manager.service.getTask(deadId)).status, "dlq");
  assert.equal((await manager.service.getTask(pendingId)).status, "pending");

  // The page's own requests pass: same origin, JSON.
  const own = await fetch(`${api}/tasks/${pendingId}/cancel`, {
    method: "POST",
    headers: { origin: manager.httpUrl, "content-type": "application/json" },
  });
  assert.equal(own.status, 200);
  await own.body?.cancel();
  // So do API clients: a bearer header cannot be sent across sites without a preflight. (A
  // requeue of the whole queue needs confirm=true.)
  const requeue = await fetch(`${api}/dlq/requeue?confirm=true`, {
    method: "POST",
    headers: { authorization: "Bearer anything" },
  });
  assert.equal(requeue.status, 200, await requeue.text());
  assert.equal((await manager.service.getTask(deadId)).status, "pending");
});

Deno.test("a keyless bodiless POST is answered 401 before any content-type rule; with a session cookie, 415", async () => {
  await using app = await startAuthApp();
  for (const path of ["/api/v1/dlq/requeue", "/api/v1/tasks/cancel", "/api/v1/tasks/x/cancel"]) {
    const keyless = await fetch(app.base + path, { method: "POST" });
    assert.equal(keyless.status, 401, path);
    await keyless.body?.cancel();
  }
  const { token } = await app.keys.create({ name: "page", scopes: ["admin"] });
  const login = await fetch(`${app.base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key: token }),
  });
  const cookie = login.headers.getSetCookie()[0].split(";")[0];
  await login.body?.cancel();
  const riding = await fetch(`${app.base}/api/v1/dlq/requeue`, {
    method: "POST",
    headers: { cookie },
  });
  assert.equal(riding.status, 415, "a cookie alone is what a page on another site can send");
  await riding.body?.cancel();
});

Deno.test("CORS answers only the origins in CORS_ORIGINS, and is off by default", async () => {
  const app = "https://app.example.com";
  await using manager = await startTestManager({ env: { CORS_ORIGINS: app } });
  const url = `${manager.httpUrl}/api/v1/executors`;
  const preflight = (origin: string) =>
    fetch(url, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
  const allowed = await preflight(app);
  assert.equal(allowed.status, 204);
  assert.equal(allowed.headers.get("access-control-allow-origin"), app);
  assert.match(allowed.headers.get("access-control-allow-methods") ?? "", /POST/);
  assert.match(allowed.headers.get("access-control-allow-headers") ?? "", /authorization/);
  const refused = await preflight("https://other.example");
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get("access-control-allow-origin"), null);
  assert.match((await refused.json()).detail, /CORS_ORIGINS/);

  const read = await fetch(url, { headers: { origin: app } });
  assert.equal(read.headers.get("access-control-allow-origin"), app);
  assert.match(read.headers.get("vary") ?? "", /Origin/);
  await read.body?.cancel();
  const write = await fetch(url, {
    method: "POST",
    headers: { origin: app, "content-type": "application/json" },
    body: JSON.stringify({ config: { name: "from_app" } }),
  });
  assert.equal(write.status, 201);
  assert.equal(write.headers.get("access-control-allow-origin"), app);
  await write.body?.cancel();
  const other = await fetch(url, { headers: { origin: "https://other.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  await other.body?.cancel();

  await using plain = await startTestManager();
  const off = await fetch(`${plain.httpUrl}/api/v1/executors`, {
    method: "OPTIONS",
    headers: { origin: app, "access-control-request-method": "GET" },
  });
  assert.equal(off.status, 403);
  await off.body?.cancel();
});

Deno.test("ALLOWED_HOSTS and CORS_ORIGINS are read from the environment and checked", () => {
  assert.deepEqual(loadConfig({}).allowedHosts, ["localhost", "127.0.0.1", "::1", "0.0.0.0"]);
  assert.deepEqual(
    loadConfig({ MANAGER_HOST: "Tasks.internal" }).allowedHosts,
    ["localhost", "127.0.0.1", "::1", "tasks.internal"],
  );
  // ALLOWED_HOSTS adds to the loopback names and MANAGER_HOST; it never removes them.
  assert.deepEqual(loadConfig({ ALLOWED_HOSTS: " A.example , [::1],*" }).allowedHosts, [
    "localhost",
    "127.0.0.1",
    "::1",
    "0.0.0.0",
    "a.example",
    "*",
  ]);
  assert.throws(() => loadConfig({ ALLOWED_HOSTS: "a.example/path" }), /ALLOWED_HOSTS/);
  assert.deepEqual(loadConfig({}).corsOrigins, []);
  assert.deepEqual(
    loadConfig({ CORS_ORIGINS: "https://a.example, http://localhost:3000/" }).corsOrigins,
    ["https://a.example", "http://localhost:3000"],
  );
  for (const bad of ["*", "a.example", "https://a.example/app", "ftp://a.example"]) {
    assert.throws(() => loadConfig({ CORS_ORIGINS: bad }), /CORS_ORIGINS/, bad);
  }
});

// Sessions over REST ------------------------------------------------------------------------------

Deno.test("a key logs in to an HttpOnly SameSite=Strict session; logout and revocation end it at once", async () => {
  await using app = await startAuthApp();
  const session = `${app.base}/api/v1/session`;
  const json = { "content-type": "application/json" };
  const { key, token } = await app.keys.create({ name: "page", scopes: ["read"] });

  const wrong = await fetch(session, {
    method: "POST",
    headers: json,
    // The key's id with another secret (its first character changed, so never the same token).
    body: JSON.stringify({ key: otherSecret(token) }),
  });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.headers.getSetCookie().length, 0);
  await wrong.body?.cancel();
  const noKey = await fetch(session, { method: "POST", headers: json, body: "{}" });
  assert.equal(noKey.status, 400);
  assert.equal((await noKey.json()).errors[0].field, "/key");

  const login = await fetch(session, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ key: token }),
  });
  assert.equal(login.status, 201);
  const cookie = sessionCookie(login);
  assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!cookie.value.includes(token) && !token.includes(cookie.value));
  for (const attribute of ["httponly", "samesite=strict", "path=/"]) {
    assert.ok(cookie.attributes.includes(attribute), `${attribute} in ${cookie.attributes}`);
  }
  assert.ok(cookie.attributes.includes(`max-age=${DEFAULT_LIMITS.sessionTtlMs / 1000}`));
  assert.ok(!cookie.attributes.includes("secure"), "plain HTTP: not Secure");
  const body = (await login.json()).session;
  assert.equal(body.keyId, key.id);
  assert.equal(body.readOnly, true);
  assert.ok(body.operations.includes("tasks.read"));
  assert.ok(!body.operations.includes("dlq.write"));

  const withCookie = { cookie: `${SESSION_COOKIE}=${cookie.value}` };
  const me = await fetch(session, { headers: withCookie });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).session.keyName, "page");
  // Neither a key nor a cookie: not logged in, answered without an error (the page's first
  // visit); a key that fails is still refused.
  const anonymous = await fetch(session);
  assert.equal(anonymous.status, 200);
  assert.deepEqual(await anonymous.json(), { session: null });
  const unknownKey = await fetch(session, {
    headers: { authorization: `Bearer ${otherSecret(token)}` },
  });
  assert.equal(unknownKey.status, 401);
  assert.match((await unknownKey.json()).detail, /unknown or revoked/);

  // Logout ends the session on the server, not only in the browser.
  const logout = await fetch(session, { method: "DELETE", headers: withCookie });
  assert.equal(logout.status, 204);
  assert.ok(sessionCookie(logout).attributes.includes("max-age=0"));
  const after = await fetch(session, { headers: withCookie });
  assert.equal(after.status, 401);
  assert.match((await after.json()).detail, /Session ended/);

  // Revocation: the next request of a session of that key is refused.
  const again = await fetch(session, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ key: token }),
  });
  const second = { cookie: `${SESSION_COOKIE}=${sessionCookie(again).value}` };
  await again.body?.cancel();
  const before = await fetch(session, { headers: second });
  assert.equal(before.status, 200);
  await before.body?.cancel();
  await app.keys.revoke(key.id);
  const revoked = await fetch(session, { headers: second });
  assert.equal(revoked.status, 401);
  await revoked.body?.cancel();
  const relogin = await fetch(session, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ key: token }),
  });
  assert.equal(relogin.status, 401);
  await relogin.body?.cancel();
});

/** Logs `token` in; answers the `Cookie` header of its session. */
async function loginCookie(base: string, token: string): Promise<{ cookie: string }> {
  const response = await fetch(`${base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key: token }),
  });
  assert.equal(response.status, 201);
  await response.body?.cancel();
  return { cookie: `${SESSION_COOKIE}=${sessionCookie(response).value}` };
}

/** An event stream opened with `headers`, its first bytes read (the server holds it live). */
async function openEvents(
  base: string,
  headers: Record<string, string>,
  client: Deno.HttpClient,
  signal: AbortSignal,
) {
  const response = await fetch(`${base}/api/v1/events`, { headers, client, signal });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  await reader.read();
  return reader;
}

/** Reads `reader` to its end; fails when it has not ended within `ms`. */
async function endsWithin(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number) {
  let timer: number | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stream was still open after ${ms} ms`)), ms);
  });
  try {
    const ended = (async () => {
      while (!(await reader.read()).done);
    })();
    ended.catch(() => {}); // a stream aborted after a failure
    await Promise.race([ended, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads `reader` until its text holds `text`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, text: string) {
  let seen = "";
  const decoder = new TextDecoder();
  while (!seen.includes(text)) {
    const { done, value } = await reader.read();
    assert.ok(!done, `the stream ended before ${text}`);
    seen += decoder.decode(value, { stream: true });
  }
}

Deno.test("logout, expiry and revocation end what a session holds open: its event streams and waits end at once, another session's stay", async () => {
  await using app = await startAuthApp({ SESSION_TTL_MS: "6000" });
  const admin = await app.keys.create({ name: "admin", scopes: ["admin"] });
  const bearer = { authorization: `Bearer ${admin.token}` };
  const page = await app.keys.create({ name: "page", scopes: ["read"] });
  await fetch(`${app.base}/api/v1/executors`, {
    method: "POST",
    headers: { ...bearer, "content-type": "application/json" },
    body: JSON.stringify({ name: "send_email" }),
  }).then((r) => r.body?.cancel());
  const createTask = async () => {
    const response = await fetch(`${app.base}/api/v1/tasks`, {
      method: "POST",
      headers: { ...bearer, "content-type": "application/json" },
      body: JSON.stringify({ executorName: "send_email", data: {} }),
    });
    assert.equal(response.status, 201);
    return (await response.json()).task.id as string;
  };
  using client = Deno.createHttpClient({});
  using other = Deno.createHttpClient({});
  // On a failure, what is still open is closed, so that the server can stop.
  const open = new AbortController();
  try {
    // Logout: the session's stream and its wait end; the key's other session keeps its stream.
    const tab = await loginCookie(app.base, page.token);
    const otherTab = await loginCookie(app.base, page.token);
    const events = await openEvents(app.base, tab, client, open.signal);
    const kept = await openEvents(app.base, otherTab, other, open.signal);
    const id = await createTask();
    await readUntil(kept, "event: tasks");
    const started = Date.now();
    const wait = fetch(`${app.base}/api/v1/tasks/${id}?wait=15s`, {
      headers: tab,
      signal: open.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the wait is under way
    const logout = await fetch(`${app.base}/api/v1/session`, { method: "DELETE", headers: tab });
    assert.equal(logout.status, 204);
    await endsWithin(events, 2_000);
    const waited = await wait;
    assert.equal(waited.status, 401);
    assert.match((await waited.json()).detail, /Session ended/);
    assert.ok(Date.now() - started < 5_000, "the wait ended with the session, not at its 15 s");
    await createTask();
    await readUntil(kept, "event: tasks");

    // Expiry (SESSION_TTL_MS 6 s) ends the other session's stream, though no request comes.
    await endsWithin(kept, 10_000);

    // Revocation of its key ends a session's stream.
    const third = await loginCookie(app.base, page.token);
    const revoked = await openEvents(app.base, third, client, open.signal);
    await app.keys.revoke(page.key.id);
    await endsWithin(revoked, 2_000);
  } finally {
    open.abort();
  }
});

Deno.test("one key holds at most 100 sessions, and a revoked key's sessions give their places back", async () => {
  // 203 logins at once from one address: the sessions are what is measured, not their rate.
  await using app = await startAuthApp({ MAX_SESSIONS: "150", LOGIN_BURST: "1000" });
  const login = async (token: string) => {
    const response = await fetch(`${app.base}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: token }),
    });
    const cookie = response.status === 201 ? sessionCookie(response).value : null;
    await response.body?.cancel();
    return { status: response.status, cookie };
  };
  const uses = async (cookie: string) => {
    const response = await fetch(`${app.base}/api/v1/session`, {
      headers: { cookie: `${SESSION_COOKIE}=${cookie}` },
    });
    await response.body?.cancel();
    return response.status;
  };
  const metrics = await app.keys.create({ name: "scraper", scopes: ["metrics"] });
  const reader = await app.keys.create({ name: "reader", scopes: ["read"] });
  const admin = await app.keys.create({ name: "admin", scopes: ["admin"] });
  const first = (await login(metrics.token)).cookie!;
  for (let i = 0; i < 149; i++) assert.equal((await login(metrics.token)).status, 201);
  assert.equal(await uses(first), 401, "the key's oldest session ended past its 100");
  for (let i = 0; i < 50; i++) assert.equal((await login(reader.token)).status, 201);
  assert.equal((await login(admin.token)).status, 503, "150 sessions: the table is full");
  await app.keys.revoke(metrics.key.id);
  const afterRevoke = await login(admin.token);
  assert.equal(afterRevoke.status, 201, "the revoked key's 100 places are free again");
});

Deno.test("login is a state-changing request: a cross-site login form is refused", async () => {
  await using app = await startAuthApp();
  const { token } = await app.keys.create({ name: "victim", scopes: ["admin"] });
  const form = await fetch(`${app.base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `key=${token}`,
  });
  assert.equal(form.status, 415);
  assert.equal(form.headers.getSetCookie().length, 0);
  await form.body?.cancel();
  const foreign = await fetch(`${app.base}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "http://attacker.example" },
    body: JSON.stringify({ key: token }),
  });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.getSetCookie().length, 0);
  await foreign.body?.cancel();
});

Deno.test("with authentication off the page needs no login and the session says so", async () => {
  await using manager = await startTestManager();
  const response = await fetch(`${manager.httpUrl}/api/v1/session`);
  assert.equal(response.status, 200);
  const { session } = await response.json();
  assert.equal(session.authentication, "off");
  assert.deepEqual(session.scopes, ["admin"]);
  assert.equal(session.readOnly, false);
  const login = await fetch(`${manager.httpUrl}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key: "te_0000000000000001_" + "A".repeat(43) }),
  });
  assert.equal(login.status, 409);
  await login.body?.cancel();
});

// The admin page in Chromium ----------------------------------------------------------------------

Deno.test({
  ...skipUnless(
    "the admin page logs in with a key, hides writes from a read-only key, logs out, and refuses another origin's requests",
    chromiumMissing(),
  ),
  async fn(t) {
    await using app = await startAuthApp();
    const { deadId, pendingId } = await deadAndPending(app.store, app.service, "victim");
    const admin = await app.keys.create({ name: "ops", scopes: ["admin"] });
    const reader = await app.keys.create({ name: "viewer", scopes: ["read"] });
    // Another origin on the same host name: same site, so the browser sends the session cookie.
    const evil = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const target = new URL(request.url).searchParams.get("target") ?? "";
      // Browser-side code as text: it runs in the attacker's page, not in Deno.
      const page = `<!DOCTYPE html><html><body>
        <form method="POST" action="${target}/api/v1/dlq/requeue" enctype="text/plain">
          <input name='{"executorName":"' value='victim"}'>
        </form>
        <script>
          (async () => {
            const calls = [
              fetch("${target}/api/v1/dlq/requeue", { method: "POST", mode: "no-cors", credentials: "include" }),
              fetch("${target}/api/v1/tasks/${pendingId}/cancel", { method: "POST", mode: "no-cors", credentials: "include" }),
              fetch("${target}/api/v1/dlq/${deadId}", { method: "DELETE", mode: "no-cors", credentials: "include" }),
              fetch("${target}/api/v1/tasks/${pendingId}/cancel", {
                method: "POST", mode: "cors", credentials: "include",
                headers: { "content-type": "application/json" }, body: "{}",
              }),
            ];
            await Promise.allSettled(calls);
            document.title = "fetched";
            document.forms[0].submit();
          })();
        </script></body></html>`;
      return new Response(page, { headers: { "content-type": "text/html" } });
    });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ baseURL: app.base });
      const page = await context.newPage();
      const failed: string[] = [];
      page.on("pageerror", (error) => failed.push(error.message));
      // What the browser's console shows as errors, failed loads included ("Failed to load
      // resource: … 401"): a first visit, not logged in yet, is the normal case and shows none.
      const consoleErrors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") {
          consoleErrors.push(`${message.text()} (${message.location().url})`);
        }
      });
      const loginForm = page.locator("form[aria-label='Log in']");

      await t.step(
        "a first visit shows the login form and logs no error in the console",
        async () => {
          await page.goto("/admin_page.html#/dlq");
          await loginForm.waitFor();
          assert.equal(await page.locator("nav").isHidden(), true);
          assert.deepEqual(consoleErrors, []);
        },
      );

      await t.step(
        "a wrong key is refused; the right one logs in and shows every action",
        async () => {
          await loginForm.locator("input[name=key]").fill("te_0000000000000000_" + "A".repeat(43));
          await loginForm.locator("button[type=submit]").click();
          await page.locator(".notice-error", { hasText: /unknown or revoked/ }).waitFor();
          await loginForm.locator("input[name=key]").fill(admin.token);
          await loginForm.locator("button[type=submit]").click();
          await page.locator("#account-name", { hasText: "Key ops" }).waitFor();
          await page.locator("main h1", { hasText: "Dead letters" }).waitFor();
          await page.getByRole("button", { name: "Run all again" }).waitFor();
          assert.equal(await page.locator("#account-mode").isHidden(), true);
          // The cookie is out of the page's reach.
          assert.equal(await page.evaluate<string>("document.cookie"), "");
        },
      );

      await t.step(
        "a page on another origin changes nothing with form posts and no-cors fetches",
        async () => {
          const attacker = await context.newPage();
          await attacker.goto(`http://127.0.0.1:${evil.addr.port}/?target=${app.base}`);
          // The form post navigates to the manager's refusal.
          await attacker.waitForURL(`${app.base}/api/v1/dlq/requeue`);
          assert.match(
            await attacker.locator("body").textContent() ?? "",
            /another site|Cross-origin/,
          );
          await attacker.close();
          assert.equal((await app.service.getTask(deadId)).status, "dlq");
          assert.equal((await app.service.getTask(pendingId)).status, "pending");
        },
      );

      await t.step(
        "logout ends the session: the page asks for a key again, also after a reload",
        async () => {
          await page.getByRole("button", { name: "Log out" }).click();
          await loginForm.waitFor();
          // The cookie is gone: not logged in, as on a first visit.
          assert.equal(
            await page.evaluate<string>(
              'fetch("/api/v1/session").then(async (r) => `${r.status} ${await r.text()}`)',
            ),
            '200 {"session":null}',
          );
          const before = consoleErrors.length;
          await page.reload();
          await loginForm.waitFor();
          assert.deepEqual(consoleErrors.slice(before), [], "no console error after a reload");
        },
      );

      await t.step(
        "a key in the address (#key=…) logs in and leaves the address at once",
        async () => {
          await page.goto(`/admin_page.html#key=${encodeURIComponent(reader.token)}`);
          await page.locator("#account-name", { hasText: "Key viewer" }).waitFor();
          assert.doesNotMatch(page.url(), /key=|te_/);
        },
      );

      await t.step("a read-only key sees the data and no action that would fail", async () => {
        await page.locator("#account-mode", { hasText: "read-only" }).waitFor();
        const writes =
          /^(New executor|New task|Run again|Run now|Run all again|Edit data|Purge|Delete|Cancel task|Disable|Enable|Save changes|Create executor)\b/;
        const views = [
          ["#/", "Dashboard"],
          ["#/executors", "Executors"],
          ["#/executors/victim", "Executor victim"],
          ["#/executors/new", "New executor"],
          ["#/tasks", "Tasks"],
          ["#/tasks/new", "New task"],
          [`#/tasks/${pendingId}`, `Task ${pendingId}`],
          [`#/tasks/${deadId}`, `Task ${deadId}`],
          ["#/dlq", "Dead letters"],
          [`#/dlq/${deadId}`, `Dead letter ${deadId}`],
          ["#/workers", "Workers"],
        ];
        const refused: string[] = [];
        page.on("response", (r) => {
          if (r.status() >= 400) refused.push(`${r.status()} ${r.request().method()} ${r.url()}`);
        });
        for (const [hash, heading] of views) {
          await page.goto(`/admin_page.html${hash}`);
          await page.locator("main h1", { hasText: heading }).waitFor();
          await page.waitForLoadState("networkidle");
          const buttons = await page.locator("main button, main a.btn").allTextContents();
          const shown = buttons.map((b) => b.trim()).filter((b) => writes.test(b));
          assert.deepEqual(shown, [], `${hash} shows ${shown.join(", ")}`);
        }
        await page.goto(`/admin_page.html#/dlq`);
        await page.locator("main tbody tr", { hasText: deadId }).waitFor();
        assert.deepEqual(refused, []);
      });

      await t.step("a revoked key's page returns to the login form", async () => {
        await app.keys.revoke(reader.key.id);
        await page.goto("/admin_page.html#/tasks");
        await loginForm.waitFor();
        assert.deepEqual(failed, []);
      });
    } finally {
      await browser.close();
      await evil.shutdown();
    }
  },
});
