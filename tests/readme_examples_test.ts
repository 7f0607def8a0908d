/**
 * The README's `curl` and `grpcurl` commands, run as written (bash, the real curl and grpcurl)
 * against a manager with authentication on: none may be refused for want of a key or a scope.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { newToken } from "../server/auth/token.ts";
import { startTestManager } from "./_manager.ts";
import { startManagerProcess } from "./fixtures/manager_process.ts";
import { Proc, runToEnd } from "./fixtures/process.ts";
import { restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";

const README = new URL("../README.md", import.meta.url);
const GRPCURL = Deno.env.get("GRPCURL_BIN") ??
  fileURLToPath(new URL("../.tools/grpcurl", import.meta.url));
const missing = await Deno.stat(GRPCURL).then(() => null, () => `no grpcurl at ${GRPCURL}`) ??
  await Deno.stat("/usr/bin/curl").then(() => null, () => "no curl at /usr/bin/curl");

/** The README's `sh` blocks that run curl or grpcurl, in order. */
function clientBlocks(readme: string): string[] {
  return [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1])
    .filter((block) => /^(curl|grpcurl) /m.test(block));
}

/**
 * Run before the blocks: `curl` and `grpcurl` become functions that call the real tools with the
 * arguments as written, but aimed at the test manager's ports, and keep each answer in
 * `$OUT/<n>` followed by a last line `status <HTTP status or grpcurl exit code>`. `<task id>` is
 * the first `id` of the previous grpcurl answer (the README's UpdateTaskStatus after GetNextTask).
 */
const PRELUDE = `
n=0
last_id=""
aim() {
  local a="\${1//localhost:8080/127.0.0.1:$HTTP_PORT}"
  a="\${a//localhost:50051/127.0.0.1:$GRPC_PORT}"
  printf '%s' "\${a//<task id>/$last_id}"
}
curl() {
  local args=() a
  for a in "$@"; do args+=("$(aim "$a")"); done
  n=$((n + 1))
  local code
  code=$(/usr/bin/curl -o "$OUT/$n" -w '%{http_code}' "\${args[@]}")
  echo "status $code" >> "$OUT/$n"
}
grpcurl() {
  local args=() a
  for a in "$@"; do args+=("$(aim "$a")"); done
  n=$((n + 1))
  "$GRPCURL" "\${args[@]}" > "$OUT/$n" 2>&1
  local code=$?
  last_id=$(grep -o '"id": *"[^"]*"' "$OUT/$n" | head -1 | sed 's/.*"\\([^"]*\\)"$/\\1/')
  echo "status $code" >> "$OUT/$n"
}
`;

Deno.test({
  ...skipUnless(
    "every curl and grpcurl command of the README works as written with authentication on",
    missing,
  ),
  async fn() {
    const key = newToken().token;
    await using manager = await startTestManager({
      env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: key },
    });
    const blocks = clientBlocks(await Deno.readTextFile(README));
    const commands = blocks.join("\n").split("\n").filter((line) => /^(curl|grpcurl) /.test(line));
    assert.ok(commands.length >= 9, `only ${commands.length} commands found`);

    const out = await Deno.makeTempDir({ prefix: "readme-examples-" });
    try {
      const run = await runToEnd("/usr/bin/bash", ["-c", [PRELUDE, ...blocks].join("\n")], {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        KEY: key,
        OUT: out,
        GRPCURL,
        HTTP_PORT: new URL(manager.httpUrl).port,
        GRPC_PORT: manager.grpcAddress.split(":").pop()!,
      });
      assert.equal(run.code, 0, run.stderr);
      const answers = await Promise.all(
        commands.map((_, i) => Deno.readTextFile(`${out}/${i + 1}`)),
      );
      const statuses = answers.map((answer) => /status (\d+)\n$/.exec(answer)?.[1]);
      for (const [i, command] of commands.entries()) {
        const status = statuses[i];
        const grpc = command.startsWith("grpcurl");
        // curl: the README's own invalid task is its documented 400; grpcurl: exit code 0.
        const expected = grpc ? ["0"] : ["200", "201", "400"];
        assert.ok(
          status !== undefined && expected.includes(status),
          `${command}\n→ ${answers[i]}`,
        );
        assert.doesNotMatch(answers[i], /Unauthenticated|PermissionDenied|"status":40[13]/);
      }
      assert.equal(
        statuses.filter((s) => s === "400").length,
        1,
        "only the README's invalid task is refused",
      );
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

/** The block after the first line `heading` starts, in `markdown`, as written. */
function blockAfter(markdown: string, heading: string): string {
  const section = markdown.slice(markdown.indexOf(heading));
  return /^```ts\n([\s\S]*?)^```$/m.exec(section)![1];
}

/** The `@example title` block of the doc comments of `source`, without their ` * ` margin. */
function docExample(source: string, title: string): string {
  const at = source.indexOf(`@example ${title}\n`);
  assert.ok(at >= 0, `no @example ${title}`);
  const block = /```ts\n([\s\S]*?)^\s*\* ```$/m.exec(source.slice(at))![1];
  return block.replace(/^\s*\* ?/gm, "");
}

/**
 * Writes `source` as `dir/name` with the SDK's imports aimed at this repository's SDK and
 * `localhost:50051` at `grpcAddress`: the example as a user would run it, on this manager.
 */
async function writeExample(
  dir: string,
  name: string,
  source: string,
  grpcAddress: string,
): Promise<string> {
  const sdk = (file: string) => JSON.stringify(new URL(`../sdk/${file}`, import.meta.url).href);
  const script = `${dir}/${name}`;
  await Deno.writeTextFile(
    script,
    source.replaceAll('"@tasks-executor/sdk"', sdk("mod.ts"))
      .replaceAll('"@tasks-executor/sdk/testing"', sdk("testing.ts"))
      .replaceAll('"localhost:50051"', JSON.stringify(grpcAddress)),
  );
  return script;
}

/** The READMEs with a first worker. */
const SDK_README = new URL("../sdk/README.md", import.meta.url);
const WORKER_EXAMPLES = [README, SDK_README];

for (const readme of WORKER_EXAMPLES) {
  const name = readme.pathname.slice(new URL("../", import.meta.url).pathname.length);

  Deno.test(`${name}'s first worker, refused for want of a key, ends with one line and no stack trace`, async () => {
    await using manager = await startTestManager({
      env: { AUTH: "on", BOOTSTRAP_ADMIN_KEY: newToken().token },
    });
    const source = blockAfter(await Deno.readTextFile(readme), "## A first worker");
    const dir = await Deno.makeTempDir({ prefix: "readme-worker-" });
    try {
      const script = await writeExample(dir, "worker.ts", source, manager.grpcAddress);
      // Without TASKS_EXECUTOR_API_KEY: only what Deno needs to find its cache is passed on.
      const env: Record<string, string> = {};
      for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "DENO_TLS_CA_STORE"]) {
        const value = Deno.env.get(name);
        if (value !== undefined) env[name] = value;
      }
      const config = fileURLToPath(new URL("../deno.json", import.meta.url));
      const output = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--config", config, script],
        clearEnv: true,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout) +
        new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 1, text);
      assert.match(text, /Manager refused this worker's API key/);
      assert.match(text, /No API key given/);
      assert.doesNotMatch(text, /Uncaught|\n\s+at /, text);
      // And deno lint finds nothing in it (an async handler with no await, the process global).
      const lint = await new Deno.Command(Deno.execPath(), {
        args: ["lint", "--config", config, script],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const said = new TextDecoder().decode(lint.stdout) + new TextDecoder().decode(lint.stderr);
      assert.equal(lint.code, 0, said);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("the README's command-line files create their executor and schedule after its curl examples, in order", async () => {
  await using manager = await startTestManager();
  // What the curl examples before the command-line section leave: send_email, report and its
  // nightly-report schedule.
  await restOk(manager, "POST", "/executors", { config: { name: "send_email" } });
  await restOk(manager, "POST", "/executors", { config: { name: "report" } });
  await restOk(manager, "POST", "/schedules", {
    name: "nightly-report",
    executorName: "report",
    cron: "30 2 * * *",
  });
  const readme = await Deno.readTextFile(README);
  const section = readme.slice(readme.indexOf("## Command line"));
  const dir = await Deno.makeTempDir({ prefix: "readme-cli-" });
  try {
    // Each file is the json block after the paragraph or line that names it (`name.json`:).
    for (
      const [, name, body] of section.matchAll(
        /`([\w-]+\.json)`[^\n]*:\n\n```json\n([\s\S]*?)^```$/gm,
      )
    ) {
      await Deno.writeTextFile(`${dir}/${name}`, body);
    }
    const lines = section.split("\n")
      .filter((line) => /^npx -y deno@[\d.]+ task start \w+ (create -f|trigger) /.test(line))
      .map((line) =>
        line.replace(/^npx -y deno@[\d.]+ task start /, "").replace(/#.*$/, "").trim()
      );
    assert.deepEqual(lines.map((line) => line.split(/\s+/).slice(0, 2).join(" ")), [
      "executors create",
      "schedules create",
      "schedules trigger",
    ]);
    for (const line of lines) {
      const args = line.split(/\s+/).map((word) =>
        word.endsWith(".json") ? `${dir}/${word}` : word
      );
      const run = await runToEnd(Deno.execPath(), ["run", "-A", "main.ts", ...args], {
        MANAGER_URL: manager.httpUrl,
        TASKS_EXECUTOR_API_KEY: "",
      });
      assert.equal(run.code, 0, `${line}\n${run.stdout}${run.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The SDK's first worker and client examples, each pair as a user copies them: the worker runs
 * until Ctrl+C (SIGINT), the client enqueues "hi" and prints what it got.
 */
const SERVED_EXAMPLES = [
  {
    name: "sdk/README.md's first worker and its Enqueue and wait",
    worker: async () => blockAfter(await Deno.readTextFile(SDK_README), "## A first worker"),
    client: async () => blockAfter(await Deno.readTextFile(SDK_README), "Enqueue and wait:"),
    printed: [
      'completed { echoed: "hi", attempt: 1 }',
      /^created [\w-]+$/,
      'completed { echoed: "hi", attempt: 1 }',
    ],
  },
  {
    name: "the SDK module's worker example and Client's example",
    worker: async () =>
      docExample(await Deno.readTextFile(new URL("../sdk/mod.ts", import.meta.url)), "A worker"),
    client: async () =>
      docExample(
        await Deno.readTextFile(new URL("../sdk/client.ts", import.meta.url)),
        "Enqueue a task and wait for its result",
      ),
    printed: ['completed { echoed: "hi" }'],
  },
];

for (const example of SERVED_EXAMPLES) {
  Deno.test(`${example.name} run as written against a manager process`, async () => {
    await using manager = await startManagerProcess();
    const address = `127.0.0.1:${manager.grpcPort}`;
    const dir = await Deno.makeTempDir({ prefix: "sdk-examples-" });
    try {
      const worker = await writeExample(dir, "worker.ts", await example.worker(), address);
      const client = await writeExample(dir, "client.ts", await example.client(), address);
      const config = fileURLToPath(new URL("../deno.json", import.meta.url));
      const env = { TASKS_EXECUTOR_API_KEY: manager.admin };
      await using proc = new Proc("worker", Deno.execPath(), [
        "run",
        "-A",
        "--config",
        config,
        worker,
      ], env);
      await proc.waitForLine((line) => line.includes("Connected to the manager"), 60_000);
      const run = await runToEnd(Deno.execPath(), ["run", "-A", "--config", config, client], env);
      assert.equal(run.code, 0, `${run.stdout}${run.stderr}\n${proc.describe()}`);
      const printed = run.stdout.trimEnd().split("\n");
      assert.equal(printed.length, example.printed.length, run.stdout);
      example.printed.forEach((expected, i) =>
        typeof expected === "string"
          ? assert.equal(printed[i], expected)
          : assert.match(printed[i], expected)
      );
      // Ctrl+C drains the worker: it stops, and exits 0.
      proc.kill("SIGINT");
      assert.equal((await proc.status).code, 0, proc.describe());
      assert.ok(proc.lines.some((line) => line.includes("Worker stopped")), proc.describe());
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** sdk/README.md's examples that need no manager: the block after `anchor`, and its stderr. */
const STANDALONE_EXAMPLES = [
  { anchor: "### Testing handlers", stderr: /^$/ },
  {
    anchor: "argument the SDK refuses before sending, catch both:",
    stderr: /^\/task\/runAt: Must be a valid Date .*\n$/,
  },
];

for (const { anchor, stderr } of STANDALONE_EXAMPLES) {
  Deno.test(`sdk/README.md's example after "${anchor}" runs as written`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sdk-examples-" });
    try {
      const source = blockAfter(await Deno.readTextFile(SDK_README), anchor);
      // An address nothing listens on: these examples must not need a manager.
      const script = await writeExample(dir, "example.ts", source, "127.0.0.1:1");
      const config = fileURLToPath(new URL("../deno.json", import.meta.url));
      const run = await runToEnd(Deno.execPath(), ["run", "-A", "--config", config, script]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stderr, stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
