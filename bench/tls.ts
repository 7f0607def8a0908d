/**
 * What TLS costs: a task read (`GetTask` over gRPC, `GET /api/v1/tasks/{id}` over REST) against a
 * real manager in this process, plaintext, with TLS, and (gRPC) with client certificates; one
 * call after another (p50, p99) and 64 in flight (calls per second). Certificates are made with
 * `openssl` in a temp dir.
 *
 * Run: `deno run -A bench/tls.ts [--calls=2000] [--runs=3]`. The machine is shared and noisy:
 * compare the medians of several runs.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "../sdk/mod.ts";
import { startTestManager } from "../tests/_manager.ts";

const { values } = parseArgs({
  options: { calls: { type: "string", default: "2000" }, runs: { type: "string", default: "3" } },
});
const calls = Number(values.calls);
const runs = Number(values.runs);
const IN_FLIGHT = 64;

const dir = await Deno.makeTempDir({ prefix: "bench-tls-" });
async function openssl(...args: string[]) {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}
await openssl(
  ..."req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ca -keyout ca.key -out ca.crt".split(" "),
);
for (
  const [name, ext] of [["server", "subjectAltName=DNS:localhost"], [
    "client",
    "extendedKeyUsage=clientAuth",
  ]]
) {
  await Deno.writeTextFile(join(dir, `${name}.ext`), `${ext}\n`);
  await openssl(
    ..."req -newkey rsa:2048 -nodes".split(" "),
    ...["-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`],
  );
  await openssl(
    ..."x509 -req -CA ca.crt -CAkey ca.key -CAcreateserial -days 1".split(" "),
    ...["-in", `${name}.csr`, "-extfile", `${name}.ext`, "-out", `${name}.crt`],
  );
}
const pem = (file: string) => Deno.readTextFileSync(join(dir, file));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function measure(call: () => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next++ < calls) await call();
  }));
  const perSecond = calls / ((performance.now() - start) / 1000);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), perSecond };
}

type Mode = "plaintext" | "tls" | "mtls";
const env: Record<Mode, Record<string, string>> = {
  plaintext: {},
  tls: { TLS_CERT_FILE: join(dir, "server.crt"), TLS_KEY_FILE: join(dir, "server.key") },
  mtls: {
    TLS_CERT_FILE: join(dir, "server.crt"),
    TLS_KEY_FILE: join(dir, "server.key"),
    TLS_CLIENT_CA_FILE: join(dir, "ca.crt"),
  },
};

const rows: string[] = [];
for (let run = 1; run <= runs; run++) {
  for (const mode of ["plaintext", "tls", "mtls"] as const) {
    await using manager = await startTestManager({ env: env[mode] });
    await manager.service.createExecutor({ name: "bench" });
    const task = (await manager.service.createTask({ executorName: "bench", data: { n: 1 } }))
      .task;
    const port = manager.grpcAddress.split(":").at(-1);
    const ca = join(dir, "ca.crt");
    const tls = mode === "plaintext"
      ? false
      : mode === "tls"
      ? { ca }
      : { ca, cert: join(dir, "client.crt"), key: join(dir, "client.key") };
    const client = new Client({ address: `localhost:${port}`, tls });
    const getTask = () => client.getTask(task.id);
    const g = await measure(getTask);
    client.close();
    rows.push(
      `run ${run} gRPC ${mode.padEnd(9)} p50 ${g.p50.toFixed(3)} ms  p99 ${g.p99.toFixed(3)} ms  ${
        Math.round(g.perSecond)
      }/s`,
    );
    if (mode === "mtls") continue;
    using http = Deno.createHttpClient({ caCerts: [pem("ca.crt")] });
    const url = `${manager.httpUrl.replace("127.0.0.1", "localhost")}/api/v1/tasks/${task.id}`;
    const r = await measure(async () => {
      const response = await fetch(url, { client: http });
      await response.arrayBuffer();
    });
    rows.push(
      `run ${run} REST ${mode.padEnd(9)} p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms  ${
        Math.round(r.perSecond)
      }/s`,
    );
  }
}
console.log(rows.join("\n"));
await Deno.remove(dir, { recursive: true });
