/**
 * What a real `main.ts` start prints besides its own log: nothing. No npm build-script notice on
 * the first start with an empty cache, and a taken port is one error line naming the variable.
 */
import assert from "node:assert/strict";
import { runToEnd } from "./fixtures/process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** npm packages with install scripts the manager does not need (deno.json `allowScripts.deny`). */
const SCRIPTED = ["protobufjs", "msgpackr-extract", "@bufbuild"];

/**
 * A Deno cache holding every npm package of this one (hard links: no copying) except `packages`,
 * so that a start fetches those again from the registry exactly as a first start does.
 */
async function cacheWithout(packages: string[]): Promise<string> {
  const info = await runToEnd(Deno.execPath(), ["info", "--json"]);
  const registry = `${JSON.parse(info.stdout).npmCache}/registry.npmjs.org`;
  const dir = await Deno.makeTempDir({ prefix: "tasks-executor-deno-dir-" });
  await Deno.mkdir(`${dir}/npm/registry.npmjs.org`, { recursive: true });
  for await (const entry of Deno.readDir(registry)) {
    if (packages.includes(entry.name)) continue;
    const linked = await runToEnd("cp", [
      "-al",
      `${registry}/${entry.name}`,
      `${dir}/npm/registry.npmjs.org/`,
    ]);
    assert.equal(linked.code, 0, linked.stderr);
  }
  return dir;
}

/** Starts the manager as a process; gives its stderr up to "Manager started" (or its end). */
async function stderrUntilStarted(env: Record<string, string>): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env: {
      MANAGER_HOST: "127.0.0.1",
      MANAGER_PORT: "0",
      MANAGER_GRPC_PORT: "0",
      AUTH: "off",
      NO_COLOR: "1",
      ...env,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (text.includes('"Manager started"')) {
      child.kill("SIGTERM");
      break;
    }
  }
  await child.status;
  return text;
}

Deno.test("a first start with an empty npm cache prints no build-script notice", async () => {
  const denoDir = await cacheWithout(SCRIPTED);
  const dataDir = await Deno.makeTempDir();
  try {
    // Deno reads its extra CA from DENO_CERT; machines that name it in SSL_CERT_FILE pass it on.
    const cert = Deno.env.get("DENO_CERT") ?? Deno.env.get("SSL_CERT_FILE");
    const stderr = await stderrUntilStarted({
      DENO_DIR: denoDir,
      DATA_DIR: dataDir,
      ...(cert ? { DENO_CERT: cert } : {}),
    });
    assert.match(stderr, /"Manager started"/, stderr);
    assert.doesNotMatch(stderr, /Ignored build scripts|lifecycle scripts|Warning/i, stderr);
    // The packages were fetched again: the start above was a first start for them.
    for (const name of SCRIPTED) await Deno.stat(`${denoDir}/npm/registry.npmjs.org/${name}`);
  } finally {
    await Deno.remove(denoDir, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});

for (const [variable, what] of [["MANAGER_PORT", "REST"], ["MANAGER_GRPC_PORT", "gRPC"]]) {
  Deno.test(`a taken ${variable} is one error line naming the port and the variable`, async () => {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const dataDir = await Deno.makeTempDir();
    try {
      const run = await runToEnd(Deno.execPath(), ["run", "-A", "main.ts"], {
        MANAGER_HOST: "127.0.0.1",
        MANAGER_PORT: "0",
        MANAGER_GRPC_PORT: "0",
        [variable]: String(taken.addr.port),
        DATA_DIR: dataDir,
        AUTH: "off",
        LOG_LEVEL: "error",
      });
      assert.equal(run.code, 1);
      const lines = run.stderr.trim().split("\n").filter((line) => !/^Stack backtrace:/.test(line));
      assert.equal(lines.length, 1, run.stderr);
      assert.equal(
        JSON.parse(lines[0]).msg,
        `Cannot listen for ${what} on port ${taken.addr.port} (${variable}): the address is already in use`,
      );
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}
