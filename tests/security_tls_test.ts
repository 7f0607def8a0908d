/**
 * TLS on both servers with certificates `openssl` makes at test time: HTTPS for REST, gRPC over
 * TLS for an SDK worker process, the SDK client and grpcurl, plaintext refused on both ports,
 * client certificates (mTLS) when TLS_CLIENT_CA_FILE is set, API keys sent by the SDK.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { newToken } from "../server/auth/token.ts";
import { ConfigError, loadConfig } from "../server/config.ts";
import { healthcheck } from "../server/healthcheck.ts";
import { Client, ManagerError } from "../sdk/mod.ts";
import { startTestManager } from "./_manager.ts";
import { spawnDenoWorker } from "./fixtures/sdk_process.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { runToEnd } from "./fixtures/process.ts";

const GRPCURL = Deno.env.get("GRPCURL_BIN") ??
  fileURLToPath(new URL("../.tools/grpcurl", import.meta.url));
const noGrpcurl = await Deno.stat(GRPCURL).then(() => null, () => `no grpcurl at ${GRPCURL}`);

/** Paths of the PEM files of one test PKI. */
interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const output = await new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).output();
  if (!output.success) {
    throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

/** A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate. */
async function makePki(): Promise<Pki> {
  const dir = await Deno.makeTempDir({ prefix: "tasks-executor-tls-" });
  const ca = async (name: string) =>
    await openssl(dir, [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    ]);
  const leaf = async (name: string, issuer: string, extensions: string) => {
    await Deno.writeTextFile(join(dir, `${name}.ext`), extensions);
    await openssl(dir, [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    ]);
    await openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${issuer}.crt`,
      "-CAkey",
      `${issuer}.key`,
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    ]);
  };
  await ca("ca");
  await leaf(
    "server",
    "ca",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  await leaf("client", "ca", "extendedKeyUsage=clientAuth\n");
  const at = (file: string) => join(dir, file);
  return {
    dir,
    ca: at("ca.crt"),
    serverCert: at("server.crt"),
    serverKey: at("server.key"),
    clientCert: at("client.crt"),
    clientKey: at("client.key"),
  };
}

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

Deno.test("config: TLS_CERT_FILE and TLS_KEY_FILE go together, and TLS_CLIENT_CA_FILE is refused", () => {
  assert.throws(
    () => loadConfig({ TLS_CERT_FILE: pki.serverCert }),
    new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE go together: TLS_KEY_FILE is not set"),
  );
  assert.throws(
    () => loadConfig({ TLS_KEY_FILE: pki.serverKey }),
    new ConfigError("TLS_CERT_FILE and TLS_KEY_FILE go together: TLS_CERT_FILE is not set"),
  );
  // Deno's TLS listener cannot ask for client certificates: refused rather than ignored.
  assert.throws(
    () => loadConfig(tlsEnv({ TLS_CLIENT_CA_FILE: pki.ca })),
    (error: Error) =>
      error instanceof ConfigError && error.message.startsWith("TLS_CLIENT_CA_FILE cannot be used"),
  );
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

    // The CA as PEM text works as well as its path.
    using pemClient = new Client({ address, apiKey: token, tls: { ca: caPem } });
    assert.equal((await pemClient.getTask(task.id)).status, "completed");

    using keyless = new Client({ address, tls: { ca: pki.ca }, callTimeoutMs: 5000 });
    await assert.rejects(
      keyless.getTask(task.id),
      (error: Error) => error instanceof ManagerError && (error as ManagerError).code === 16,
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
