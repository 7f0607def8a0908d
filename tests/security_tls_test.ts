/**
 * TLS on both servers with certificates `openssl` makes at test time: HTTPS for REST, gRPC over
 * TLS for an SDK worker process, the SDK client and grpcurl, plaintext refused on both ports,
 * client certificates (mTLS) when TLS_CLIENT_CA_FILE is set, API keys sent by the SDK, the
 * handshake deadline, and certificates read again on SIGHUP by a manager process.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { newToken } from "../server/auth/token.ts";
import { ConfigError, loadConfig } from "../server/config.ts";
import { healthcheck } from "../server/healthcheck.ts";
import { type LogFields, setLogger } from "../server/log.ts";
import { Client, NotFoundError, UnauthenticatedError } from "../sdk/mod.ts";
import { startTestManager } from "./_manager.ts";
import { spawnDenoWorker, WORKER_SCRIPT } from "./fixtures/sdk_process.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { makePki } from "./fixtures/pki.ts";
import { Proc, runToEnd } from "./fixtures/process.ts";

const REFUSED_CLIENT = fileURLToPath(new URL("./fixtures/refused_client.ts", import.meta.url));

const GRPCURL = Deno.env.get("GRPCURL_BIN") ??
  fileURLToPath(new URL("../.tools/grpcurl", import.meta.url));
const noGrpcurl = await Deno.stat(GRPCURL).then(() => null, () => `no grpcurl at ${GRPCURL}`);

const pki = await makePki();
addEventListener("unload", () => Deno.removeSync(pki.dir, { recursive: true }));
const caPem = Deno.readTextFileSync(pki.ca);

function tlsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { TLS_CERT_FILE: pki.serverCert, TLS_KEY_FILE: pki.serverKey, ...extra };
}

/** An HTTP client that trusts the test CA. */
function trustingClient(): Deno.HttpClient {
  return Deno.createHttpClient({ caCerts: [caPem] });
}

function run(command: string, args: string[], env: Record<string, string> = {}) {
  return runToEnd(command, ["-max-time", "10", ...args], env);
}

Deno.test("config: TLS_CERT_FILE and TLS_KEY_FILE go together, and TLS_CLIENT_CA_FILE needs them and PEM certificates", () => {
  assert.throws(
    () => loadConfig({ TLS_CERT_FILE: pki.serverCert }),
    new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE go together: TLS_KEY_FILE is not set"),
  );
  assert.throws(
    () => loadConfig({ TLS_KEY_FILE: pki.serverKey }),
    new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE go together: TLS_CERT_FILE is not set"),
  );
  assert.throws(
    () => loadConfig({ TLS_CLIENT_CA_FILE: pki.ca }),
    new ConfigError("TLS_CLIENT_CA_FILE needs TLS_CERT_FILE and TLS_KEY_FILE"),
  );
  assert.throws(
    () => loadConfig(tlsEnv({ TLS_CLIENT_CA_FILE: pki.clientKey })),
    new ConfigError(
      `TLS_CLIENT_CA_FILE "${pki.clientKey}" must hold at least one PEM certificate`,
    ),
  );
  assert.equal(loadConfig(tlsEnv({ TLS_CLIENT_CA_FILE: pki.ca })).tls!.clientCa, caPem);
  assert.equal(loadConfig(tlsEnv()).tls!.clientCa, null);
  assert.equal(loadConfig({}).tls, null);
  const config = loadConfig(tlsEnv());
  assert.match(config.tls!.cert, /^-----BEGIN CERTIFICATE-----/);
  assert.match(config.tls!.key, /PRIVATE KEY-----/);
});

Deno.test("config: a TLS file that is missing, not PEM or not the certificate's key stops the manager naming the variable", () => {
  const missing = join(pki.dir, "missing.pem");
  assert.throws(
    () => loadConfig(tlsEnv({ TLS_CERT_FILE: missing })),
    (error: Error) =>
      error instanceof ConfigError &&
      error.message.startsWith(`TLS_CERT_FILE "${missing}" cannot be read: `),
  );
  assert.throws(
    () => loadConfig(tlsEnv({ TLS_KEY_FILE: missing })),
    (error: Error) => error.message.startsWith(`TLS_KEY_FILE "${missing}" cannot be read: `),
  );
  assert.throws(
    () => loadConfig(tlsEnv({ TLS_CERT_FILE: pki.serverKey })),
    (error: Error) =>
      error.message.startsWith(`TLS_CERT_FILE "${pki.serverKey}" must hold a PEM certificate: `),
  );
  assert.throws(
    () => loadConfig(tlsEnv({ TLS_KEY_FILE: pki.ca })),
    (error: Error) =>
      error.message.startsWith(`TLS_KEY_FILE "${pki.ca}" must hold a PEM private key: `),
  );
  assert.throws(
    () => loadConfig(tlsEnv({ TLS_KEY_FILE: pki.clientKey })),
    new ConfigError(
      `TLS_KEY_FILE "${pki.clientKey}" is not the key of the certificate in TLS_CERT_FILE "${pki.serverCert}"`,
    ),
  );
});

Deno.test("REST over HTTPS with the test CA: health, the API and the admin page answer; plain HTTP and an untrusted client are refused; the healthcheck command speaks HTTPS", async () => {
  await using manager = await startTestManager({ env: tlsEnv() });
  assert.match(manager.httpUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  using client = trustingClient();
  const port = new URL(manager.httpUrl).port;

  for (const host of ["127.0.0.1", "localhost"]) {
    const health = await fetch(`https://${host}:${port}/healthz`, { client });
    assert.equal(health.status, 200, await health.text());
  }
  const executors = await fetch(`${manager.httpUrl}/api/v1/executors`, { client });
  assert.equal(executors.status, 200, await executors.text());
  const page = await fetch(`${manager.httpUrl}/admin_page.html`, { client });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);

  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  await assert.rejects(fetch(`${manager.httpUrl}/healthz`), /certificate|UnknownIssuer/i);

  assert.equal(await healthcheck(Number(port), { tls: true }), 0);
  assert.equal(await healthcheck(Number(port), { tls: false }), 1);
});

Deno.test("under TLS the session cookie is Secure and the manager's own origin is https, over HTTP/1.1 (relayed as http: inside) as over HTTP/2", async () => {
  const { token } = newToken();
  await using manager = await startTestManager({
    env: tlsEnv({ AUTH: "on", BOOTSTRAP_ADMIN_KEY: token }),
  });
  const session = `${manager.httpUrl}/api/v1/session`;
  for (const http2 of [false, true]) {
    using client = Deno.createHttpClient({ caCerts: [caPem], http2 });
    const json = { "content-type": "application/json" };
    const login = await fetch(session, {
      client,
      method: "POST",
      headers: json,
      body: JSON.stringify({ key: token }),
    });
    assert.equal(login.status, 201, await login.text());
    const [cookie] = login.headers.getSetCookie();
    assert.match(cookie, /; Secure$/, `HTTP/${http2 ? 2 : 1.1}: ${cookie}`);
    const logout = await fetch(session, { client, method: "DELETE" });
    assert.equal(logout.status, 204);
    assert.match(logout.headers.getSetCookie()[0], /; Secure$/);

    // An http: page on the manager's host and port is not the manager's own page.
    const origin = new URL(manager.httpUrl);
    const from = (scheme: string) =>
      fetch(session, {
        client,
        method: "POST",
        headers: { ...json, origin: `${scheme}//${origin.host}` },
        body: JSON.stringify({ key: token }),
      });
    const plain = await from("http:");
    assert.equal(plain.status, 403, await plain.text());
    const own = await from("https:");
    assert.equal(own.status, 201, await own.text());
  }
});

Deno.test({
  name:
    "gRPC over TLS with an API key: an SDK worker process (key from TASKS_EXECUTOR_API_KEY) completes a task sent by an SDK client (apiKey option); grpcurl calls a method with the CA and the key as metadata; a client without a key and a plaintext grpcurl are refused",
  async fn() {
    const { token } = newToken();
    await using manager = await startTestManager({
      env: tlsEnv({ AUTH: "on", BOOTSTRAP_ADMIN_KEY: token }),
    });
    const address = `localhost:${manager.grpcAddress.split(":").at(-1)}`;

    await using worker = spawnDenoWorker(address, {
      SDK_TLS_CA: pki.ca,
      TASKS_EXECUTOR_API_KEY: token,
    });
    await worker.waitForLine((line) => line === "ready");

    using client = new Client({ address, apiKey: token, tls: { ca: pki.ca } });
    const task = await client.createTask("sdk_test", { mode: "echo", value: "over TLS" });
    const done = await client.waitForTask(task.id, { timeoutMs: 20_000 });
    assert.equal(done.status, "completed");
    assert.deepEqual((done.result as { echoed: unknown }).echoed, "over TLS");
    // Answers past the HTTP/2 default window (65,535 bytes) flow: the manager reads the client's
    // SETTINGS and WINDOW_UPDATE frames over TLS as over TCP.
    const large = "x".repeat(1_000_000);
    const echoed = await client.createTaskAndWait("sdk_test", { mode: "echo", value: large }, {
      timeoutMs: 20_000,
    });
    assert.equal((echoed.result as { echoed: unknown }).echoed, large);

    // The CA as PEM text works as well as its path.
    using pemClient = new Client({ address, apiKey: token, tls: { ca: caPem } });
    assert.equal((await pemClient.getTask(task.id)).status, "completed");

    using keyless = new Client({ address, tls: { ca: pki.ca }, callTimeoutMs: 5000 });
    await assert.rejects(
      keyless.getTask(task.id),
      UnauthenticatedError,
    );

    if (noGrpcurl) return;
    const call = ["taskexecutor.v1.TaskExecutorManagerService/GetTask"];
    const got = await run(GRPCURL, [
      "-cacert",
      pki.ca,
      "-H",
      `authorization: Bearer ${token}`,
      "-d",
      JSON.stringify({ id: task.id }),
      address,
      ...call,
    ]);
    assert.equal(got.code, 0, got.stderr);
    assert.match(got.stdout, /"status": "TASK_STATUS_COMPLETED"/);
    const plain = await run(GRPCURL, [
      "-plaintext",
      "-d",
      JSON.stringify({ id: task.id }),
      address,
      ...call,
    ]);
    assert.notEqual(plain.code, 0, plain.stdout);
  },
});

Deno.test({
  ...skipUnless(
    "grpcurl over TLS needs the CA, and lists the services through reflection without a key",
    noGrpcurl,
  ),
  async fn() {
    await using manager = await startTestManager({ env: tlsEnv({ AUTH: "on" }) });
    const address = `localhost:${manager.grpcAddress.split(":").at(-1)}`;
    const listed = await run(GRPCURL, ["-cacert", pki.ca, address, "list"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /taskexecutor\.v1\.TaskExecutorManagerService/);
    const untrusted = await run(GRPCURL, [address, "list"]);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate/i);
  },
});

Deno.test("SDK: an apiKey with spaces, a tls file it cannot read, or tls.cert without tls.key is a TypeError naming the option; TASKS_EXECUTOR_API_KEY is checked the same way", () => {
  assert.throws(
    () => new Client({ address: "localhost:1", apiKey: "te_x y" }),
    new TypeError("Option apiKey must be an API key without spaces or control characters"),
  );
  const missing = join(pki.dir, "missing.pem");
  assert.throws(
    () => new Client({ address: "localhost:1", tls: { ca: missing } }),
    (error: Error) =>
      error instanceof TypeError &&
      error.message.startsWith(
        `Option tls.ca must be PEM text or a readable PEM file, cannot read "${missing}": `,
      ),
  );
  assert.throws(
    () => new Client({ address: "localhost:1", tls: { ca: pki.ca, cert: pki.clientCert } }),
    new TypeError("Options tls.cert and tls.key go together: give both or neither"),
  );
  const before = Deno.env.get("TASKS_EXECUTOR_API_KEY");
  Deno.env.set("TASKS_EXECUTOR_API_KEY", "te_bad\nkey");
  try {
    assert.throws(
      () => new Client({ address: "localhost:1" }),
      new TypeError(
        "TASKS_EXECUTOR_API_KEY must be an API key without spaces or control characters",
      ),
    );
    // An explicit option wins over the variable.
    new Client({ address: "localhost:1", apiKey: "te_good" }).close();
  } finally {
    if (before === undefined) Deno.env.delete("TASKS_EXECUTOR_API_KEY");
    else Deno.env.set("TASKS_EXECUTOR_API_KEY", before);
  }
});

Deno.test({
  name:
    "mTLS (TLS_CLIENT_CA_FILE): an SDK worker with a client certificate from the CA works; one without a certificate or with one from another CA is refused; grpcurl works with -cert/-key only; REST asks for none",
  async fn() {
    await using manager = await startTestManager({
      env: tlsEnv({ TLS_CLIENT_CA_FILE: pki.ca }),
    });
    const logged: { level: string; msg: string; fields: LogFields }[] = [];
    const keep = (level: string) => (msg: string, fields: LogFields = {}) =>
      logged.push({ level, msg, fields });
    setLogger({
      debug: keep("debug"),
      info: keep("info"),
      warn: keep("warn"),
      error: keep("error"),
    });
    const address = `localhost:${manager.grpcAddress.split(":").at(-1)}`;

    await using worker = spawnDenoWorker(address, {
      SDK_TLS_CA: pki.ca,
      SDK_TLS_CERT: pki.clientCert,
      SDK_TLS_KEY: pki.clientKey,
    });
    await worker.waitForLine((line) => line === "ready");
    const mtls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    using client = new Client({ address, tls: mtls });
    const task = await client.createTask("sdk_test", { mode: "echo", value: "mutual" });
    const done = await client.waitForTask(task.id, { timeoutMs: 20_000 });
    assert.equal(done.status, "completed");

    // UNAVAILABLE (14): the connection ends in its handshake, before any call. In processes of
    // their own: grpc-js keeps a refused connection's reconnect backoff timer running after its
    // client closes (see the fixture).
    const rogueCert: Record<string, string> = {
      SDK_TLS_CERT: pki.rogueCert,
      SDK_TLS_KEY: pki.rogueKey,
    };
    for (const tls of [{}, rogueCert]) {
      const refused = await runToEnd(Deno.execPath(), ["run", "-A", REFUSED_CLIENT], {
        SDK_ADDRESS: address,
        SDK_TLS_CA: pki.ca,
        ...tls,
      });
      assert.match(
        refused.stdout,
        /^UnavailableError Manager unreachable \(GetTask\): /,
        refused.stderr,
      );
    }
    // Worker processes that keep being refused, their log (stderr) read as output.
    const refusedWorker = (env: Record<string, string>) =>
      new Proc("worker", "bash", ["-c", `exec "${Deno.execPath()}" run -A ${WORKER_SCRIPT} 2>&1`], {
        SDK_ADDRESS: address,
        SDK_TLS_CA: pki.ca,
        ...env,
      });
    await using certless = refusedWorker({});
    await using rogue = refusedWorker({ SDK_TLS_CERT: pki.rogueCert, SDK_TLS_KEY: pki.rogueKey });
    // Each retry line carries the cause the TLS layer gave (another CA's certificate ends the
    // connection without an alert the client reads: its cause is the broken write).
    const causes = [];
    for (const refused of [certless, rogue]) {
      const line = await refused.waitForLine((line) =>
        line.startsWith("warn: Manager unreachable")
      );
      causes.push(JSON.parse(line.slice(line.indexOf("{"))).error as string);
    }
    assert.match(causes[0], /^Manager unreachable \(\w+\): .*CertificateRequired/);
    assert.match(causes[1], /^Manager unreachable \(\w+\): .*Last error: \S+/);
    // The manager logs the refusals at info, one line a minute for each reason from the one
    // peer address they all come from, however many times the two workers retry: the second
    // mistake is not hidden behind the first. They are labelled as handshakes, not as the cap on
    // connections.
    await certless.waitForLine((line) => line.startsWith("warn: Manager unreachable"));
    await rogue.waitForLine((line) => line.startsWith("warn: Manager unreachable"));
    const refusals = logged.filter((l) =>
      /^(TLS handshake|Client certificate) refused$/.test(l.msg)
    );
    const reasons = refusals.map((l) => `${l.msg}: ${l.fields.reason}`);
    assert.equal(new Set(reasons).size, refusals.length, `a reason logged twice: ${reasons}`);
    assert.equal(refusals.length, 2, JSON.stringify(refusals));
    for (const refusal of refusals) {
      assert.equal(refusal.level, "info");
      assert.match(String(refusal.fields.peer), /127\.0\.0\.1$/);
      assert.match(String(refusal.fields.reason), /\S/);
      assert.equal(
        refusal.fields.what,
        "gRPC TLS handshakes (TLS_CERT_FILE, TLS_CLIENT_CA_FILE)",
      );
    }

    // REST asks for no client certificate; only the worker with one is connected.
    using http = trustingClient();
    const listed = await fetch(`${manager.httpUrl}/api/v1/workers`, { client: http });
    assert.equal(listed.status, 200);
    assert.equal((await listed.json()).workers.length, 1);

    if (noGrpcurl) return;
    const services = await run(GRPCURL, [
      "-cacert",
      pki.ca,
      "-cert",
      pki.clientCert,
      "-key",
      pki.clientKey,
      address,
      "list",
    ]);
    assert.equal(services.code, 0, services.stderr);
    assert.match(services.stdout, /taskexecutor\.v1\.TaskExecutor/);
    const without = await run(GRPCURL, ["-cacert", pki.ca, address, "list"]);
    assert.notEqual(without.code, 0);
    assert.match(without.stderr, /certificate required/);
  },
});

/**
 * Reads from `conn` until the peer closes it; resolves with the bytes read before that. Rejects
 * when the connection is still open after 20 s (a liveness bound, far above any deadline tested).
 */
async function readToEnd(conn: Deno.Conn): Promise<number> {
  let total = 0;
  const buffer = new Uint8Array(1024);
  // Closing it here may end the read with null or with BadResource: the flag tells.
  let gaveUp = false;
  const timer = setTimeout(() => {
    gaveUp = true;
    conn.close();
  }, 20_000);
  try {
    for (;;) {
      const n = await conn.read(buffer).catch(() => null);
      if (gaveUp) throw new Error("The manager kept the connection open for 20 s");
      if (n === null) return total;
      total += n;
    }
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("TLS_HANDSHAKE_MS: a client that connects and sends nothing, or starts a TLS record and goes silent, is closed on both ports; one that finished its handshake in time is served after the deadline", async () => {
  await using manager = await startTestManager({
    env: tlsEnv({ TLS_HANDSHAKE_MS: "300", TLS_CLIENT_CA_FILE: pki.ca }),
  });
  const ports = [
    Number(new URL(manager.httpUrl).port),
    Number(manager.grpcAddress.split(":").at(-1)),
  ];
  for (const port of ports) {
    using silent = await Deno.connect({ hostname: "127.0.0.1", port });
    using started = await Deno.connect({ hostname: "127.0.0.1", port });
    // The first bytes of a TLS handshake record header, and then nothing.
    await started.write(new Uint8Array([0x16, 0x03, 0x01]));
    // Closed by the manager: the reads end (EOF) with nothing received.
    assert.deepEqual(await Promise.all([readToEnd(silent), readToEnd(started)]), [0, 0]);
  }
  // A connection that finished its handshake outlives the deadline: asked after three of them.
  const { connect } = await import("node:tls");
  const socket = connect({ host: "127.0.0.1", port: ports[0], servername: "localhost", ca: caPem });
  await new Promise((secured) => socket.once("secureConnect", secured));
  await new Promise((later) => setTimeout(later, 900));
  socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  let answer = "";
  for await (const chunk of socket) answer += new TextDecoder().decode(chunk);
  assert.match(answer, /^HTTP\/1\.1 200 /);
});

Deno.test("the connection caps hold under TLS from the TCP accept: past MAX_HTTP_CONNECTIONS and MAX_GRPC_CONNECTIONS a client takes the place of the connection idle the longest, one still in its handshake", async () => {
  await using manager = await startTestManager({
    env: tlsEnv({
      MAX_HTTP_CONNECTIONS: "2",
      MAX_GRPC_CONNECTIONS: "2",
      // Far beyond the test: only a new connection can close a held one.
      TLS_HANDSHAKE_MS: "600000",
    }),
  });
  const ports = [
    Number(new URL(manager.httpUrl).port),
    Number(manager.grpcAddress.split(":").at(-1)),
  ];
  const held = async (port: number) => {
    const conns = [];
    for (let i = 0; i < 2; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    return conns;
  };
  using http = trustingClient();
  const [oldestRest, newerRest] = await held(ports[0]);
  const health = await fetch(`${manager.httpUrl}/healthz`, { client: http });
  assert.equal(health.status, 200);
  await health.body?.cancel();
  assert.equal(await readToEnd(oldestRest), 0);
  oldestRest.close();
  newerRest.close();

  const [oldestGrpc, newerGrpc] = await held(ports[1]);
  using client = new Client({ address: `localhost:${ports[1]}`, tls: { ca: pki.ca } });
  await assert.rejects(client.getTask("missing"), NotFoundError);
  assert.equal(await readToEnd(oldestGrpc), 0);
  oldestGrpc.close();
  newerGrpc.close();
});

/** The SHA-256 fingerprint of the certificate the TLS server on `port` presents. */
async function servedFingerprint(port: number): Promise<string> {
  const { connect } = await import("node:tls");
  return await new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ca: caPem,
      cert: Deno.readTextFileSync(pki.clientCert),
      key: Deno.readTextFileSync(pki.clientKey),
      ALPNProtocols: ["h2"],
    }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

Deno.test("SIGHUP: a manager process reads its swapped certificate files again and serves the new certificate on both ports; unusable files leave the old one in place", async () => {
  const { X509Certificate } = await import("node:crypto");
  const fingerprintOf = (file: string) =>
    new X509Certificate(Deno.readTextFileSync(file)).fingerprint256;
  const dir = await Deno.makeTempDir({ prefix: "tasks-executor-reload-" });
  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  await Deno.copyFile(pki.serverCert, cert);
  await Deno.copyFile(pki.serverKey, key);
  const proc = new Proc(
    "manager",
    "bash",
    ["-c", `exec "${Deno.execPath()}" run -A main.ts 2>&1`],
    {
      MANAGER_HOST: "127.0.0.1",
      MANAGER_PORT: "0",
      MANAGER_GRPC_PORT: "0",
      DATA_DIR: join(dir, "data"),
      AUTH: "off",
      TLS_CERT_FILE: cert,
      TLS_KEY_FILE: key,
      TLS_CLIENT_CA_FILE: pki.ca,
    },
  );
  try {
    const started = JSON.parse(await proc.waitForLine((line) => line.includes("Manager started")));
    const ports = [
      Number(new URL(started.httpUrl).port),
      Number(started.grpcAddress.split(":").pop()),
    ];
    for (const port of ports) {
      assert.equal(await servedFingerprint(port), fingerprintOf(pki.serverCert));
    }

    // A key that is not the certificate's: refused, the old pair stays.
    await Deno.copyFile(pki.server2Cert, cert);
    proc.kill("SIGHUP");
    await proc.waitForLine((line) => line.includes("TLS files not reloaded"));
    for (const port of ports) {
      assert.equal(await servedFingerprint(port), fingerprintOf(pki.serverCert));
    }

    await Deno.copyFile(pki.server2Key, key);
    proc.kill("SIGHUP");
    await proc.waitForLine((line) => line.includes("TLS files reloaded for new connections"));
    for (const port of ports) {
      assert.equal(await servedFingerprint(port), fingerprintOf(pki.server2Cert));
    }
  } finally {
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
