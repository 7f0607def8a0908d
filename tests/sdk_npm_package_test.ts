/**
 * The SDK's npm package (scripts/build_sdk_npm.ts) as a Node user gets it: built, packed with
 * `npm pack`, installed from the tarball into a fresh Node project, a TypeScript file using
 * `Worker`, `Client` and `defineExecutor` type-checked against the package's declarations and
 * compiled by `tsc`, then run by `node` against a real manager until its one task completes. And
 * the Deno way from a clone: a script outside it, run with `--config <clone>/deno.json`.
 */
import assert from "node:assert/strict";
import { buildSdkNpm, TYPES_NODE_VERSION, TYPESCRIPT_VERSION } from "../scripts/build_sdk_npm.ts";
import { startSdkManager } from "./fixtures/sdk_manager.ts";
import { Proc } from "./fixtures/process.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { nodeVersion, runInDir } from "./fixtures/node.ts";

const NODE = nodeVersion();

/** The user's program: a worker for `npm_echo` and a client that runs one task through it. */
const PROGRAM = `
import { Client, defineExecutor, InvalidArgumentError, Worker, type Task } from "@tasks-executor/sdk";

const echo = defineExecutor<{ message: string }, { echoed: string; attempt: number }>({
  name: "npm_echo",
  config: { taskSchema: { type: "object", required: ["message"] } },
  handler: (data, ctx) => ({ echoed: data.message, attempt: ctx.attempt }),
});

// The declarations are real types, not \`any\`: a wrong option is an error (and is refused at
// run time too).
try {
  // @ts-expect-error address is a string
  new Worker({ address: 50051, executors: [] });
  throw new Error("A number as address was taken");
} catch (error) {
  if (!(error instanceof InvalidArgumentError)) throw error;
}

const address = process.env.SDK_ADDRESS!;
const worker = new Worker({ address, executors: [echo] });
await worker.start();
const client = new Client({ address });
const task = await client.createTask("npm_echo", { message: "from node" });
const done: Task = await client.waitForTask(task.id, { timeoutMs: 15_000 });
console.log(JSON.stringify({ status: done.status, result: done.result }));
client.close();
await worker.stop();
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    types: ["node"],
    outDir: "out",
  },
  files: ["worker.ts"],
};

Deno.test({
  ...skipUnless(
    "the npm package installs from its tarball, type-checks with tsc and runs a worker on Node",
    NODE === undefined ? "no node on PATH" : null,
  ),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "sdk-npm-test-" });
    try {
      await buildSdkNpm(`${dir}/package`);
      const tarball =
        (await runInDir("npm", ["pack", "--silent", "--pack-destination", dir], `${dir}/package`))
          .trim();
      assert.match(tarball, /^tasks-executor-sdk-\d+\.\d+\.\d+\.tgz$/);

      const app = `${dir}/app`;
      await Deno.mkdir(app);
      await Deno.writeTextFile(
        `${app}/package.json`,
        JSON.stringify({ private: true, type: "module" }),
      );
      await Deno.writeTextFile(`${app}/tsconfig.json`, JSON.stringify(TSCONFIG));
      await Deno.writeTextFile(`${app}/worker.ts`, PROGRAM);
      await runInDir("npm", [
        "install",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--ignore-scripts",
        `${dir}/${tarball}`,
        `typescript@${TYPESCRIPT_VERSION}`,
        `@types/node@${TYPES_NODE_VERSION}`,
      ], app);
      const tsc = `${app}/node_modules/typescript/bin/tsc`;
      await runInDir("node", [tsc, "--noEmit", "-p", app], app);
      await runInDir("node", [tsc, "-p", app], app);

      await using manager = await startSdkManager();
      await using worker = new Proc("node program", "node", [`${app}/out/worker.js`], {
        SDK_ADDRESS: manager.grpcAddress,
      });
      const line = await worker.waitForLine((l) => l.startsWith("{"));
      assert.deepEqual(JSON.parse(line), {
        status: "completed",
        result: { echoed: "from node", attempt: 1 },
      }, worker.describe());
      assert.equal((await worker.status).code, 0, worker.describe());
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a Deno script outside the clone imports the SDK by name with --config <clone>/deno.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sdk-clone-" });
  try {
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { Client, defineExecutor, Worker } from "@tasks-executor/sdk";\n` +
        `console.log([Worker, Client, defineExecutor].map((f) => typeof f).join(" "));\n`,
    );
    const config = new URL("../deno.json", import.meta.url).pathname;
    const out = await runInDir(Deno.execPath(), ["run", "-A", "--config", config, "main.ts"], dir);
    assert.equal(out.trim(), "function function function");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
