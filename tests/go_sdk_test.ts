/**
 * The Go SDK (sdk/go) and its example (examples/go) in the suite: `go vet` and `go test` (the seed
 * scenario in both the original shape and the idiomatic one, with the idiomatic worker's and
 * client's tests and runnable examples, against managers the Go tests start on this Deno), the
 * example worker built and run against a real manager, and `go vet` of the benchmark's Go worker.
 * Skipped (visibly) when no Go toolchain is found.
 */
import assert from "node:assert/strict";
import { startTestManager } from "./_manager.ts";
import { Proc, runToEnd } from "./fixtures/process.ts";
import { skipUnless } from "./fixtures/skip.ts";

async function findGo(): Promise<string | null> {
  for (const candidate of [Deno.env.get("GO_BIN"), "go", "/usr/local/go/bin/go"]) {
    if (!candidate) continue;
    const found = await runToEnd(candidate, ["version"]).then((r) => r.code === 0, () => false);
    if (found) return candidate;
  }
  return null;
}

const GO = await findGo();
const noGo = GO ? null : "no Go toolchain (go on PATH, /usr/local/go/bin/go or GO_BIN)";
const noProtoc = noGo ??
  (await runToEnd("protoc", ["--version"]).then((r) => r.code === 0, () => false)
    ? null
    : "no protoc (apt-get install protobuf-compiler)");

/** Runs `go …args` in `dir` (from the repository root) and fails the test with its output. */
async function go(dir: string, args: string[], env: Record<string, string> = {}) {
  const finished = await runToEnd("sh", ["-c", `cd "$0" && exec "$@"`, dir, GO!, ...args], env);
  assert.equal(
    finished.code,
    0,
    `go ${args.join(" ")} in ${dir}:\n${finished.stdout}${finished.stderr}`,
  );
  return finished;
}

Deno.test({
  ...skipUnless("go vet is clean and go test passes the seed scenario (sdk/go)", noGo),
  async fn() {
    await go("sdk/go", ["vet", "./..."]);
    // A fresh run every time (-count=1): the test starts a manager from the current sources.
    const test = await go("sdk/go", ["test", "-count=1", "./..."], { DENO_BIN: Deno.execPath() });
    assert.match(test.stdout, /^ok\s+tasks-executor\/sdk\/go\/sdk\s/m);
    assert.match(test.stdout, /^ok\s+tasks-executor\/sdk\/go\/taskexecutor\s/m);
  },
});

Deno.test({
  ...skipUnless("the Go benchmark worker (bench/go_worker) passes go vet", noGo),
  async fn() {
    await go("bench/go_worker", ["vet", "./..."]);
  },
});

Deno.test({
  ...skipUnless("the Go example registers my_handler with its schema and processes a task", noGo),
  async fn() {
    await go("examples/go", ["vet", "./..."]);
    const binary = await Deno.makeTempFile({ prefix: "go-example-" });
    try {
      await go("examples/go", ["build", "-o", binary, "."]);
      await using manager = await startTestManager();
      await using worker = new Proc("go example", binary, [], {
        MANAGER_ADDRESS: manager.grpcAddress,
        MANAGER_URL: manager.httpUrl,
      });
      let schema: unknown = null;
      while (schema === null) {
        const found = await manager.service.getExecutor("my_handler").catch(() => null);
        schema = found?.taskSchema ?? null;
        if (schema === null) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual((schema as { required: string[] }).required, ["message"]);
      const { task } = await manager.service.createTask({
        executorName: "my_handler",
        data: { message: "hello", priority: 5 },
      });
      const line = await worker.waitForLine((l) => l.includes(task.id));
      assert.match(line, /HELLO$/);
      worker.kill("SIGTERM");
      assert.equal((await worker.status).code, 0, worker.describe());
      // The SDK says it reached the manager and what it serves, before it waits for tasks, and
      // the example that it stopped (on stderr).
      const said = worker.tail.filter((l) => l.startsWith("stderr: ")).join("\n");
      assert.match(
        said,
        new RegExp(`sdk: Connected to the manager at ${manager.grpcAddress}: serving my_handler`),
      );
      assert.doesNotMatch(said, /Connecting to the manager/);
      assert.match(said, /Stopped: the tasks in hand were reported$/);
    } finally {
      await Deno.remove(binary);
    }
  },
});

Deno.test({
  ...skipUnless(
    "the committed Go stubs are what `deno task proto:go` generates from the original and v1 protos",
    noProtoc,
  ),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "go-stubs-" });
    try {
      const generated = await runToEnd("bash", ["scripts/gen_go_proto.sh"], {
        GO_PROTO_OUT: out,
      });
      assert.equal(generated.code, 0, generated.stderr);
      for (
        const name of [
          "taskexecutorpb/taskexecutor.pb.go",
          "taskexecutorpb/taskexecutor_grpc.pb.go",
          "taskexecutorv1/task_executor.pb.go",
          "taskexecutorv1/task_executor_grpc.pb.go",
        ]
      ) {
        assert.equal(
          await Deno.readTextFile(`${out}/${name}`),
          await Deno.readTextFile(new URL(`../sdk/go/${name}`, import.meta.url)),
          `sdk/go/${name} differs: run deno task proto:go`,
        );
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  ...skipUnless(
    "the README's Go worker and producer build as two programs of one module, as its steps say",
    noGo,
  ),
  async fn() {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const section = readme.slice(readme.indexOf("### The idiomatic shape: `Worker` and `Client`"));
    const programs = [...section.matchAll(/^```go\n(\/\/ (\w+)\/main\.go:[\s\S]*?)^```$/gm)]
      .slice(0, 2);
    assert.deepEqual(programs.map((m) => m[2]), ["worker", "producer"]);
    const dir = await Deno.makeTempDir({ prefix: "go-readme-" });
    try {
      for (const [, source, name] of programs) {
        await Deno.mkdir(`${dir}/${name}`);
        await Deno.writeTextFile(`${dir}/${name}/main.go`, source);
      }
      // The README's go.mod steps, with the requirements the example module already resolved
      // (its go.sum), so that nothing is downloaded.
      const sdk = new URL("../sdk/go", import.meta.url).pathname;
      const example = await Deno.readTextFile(new URL("../examples/go/go.mod", import.meta.url));
      await Deno.writeTextFile(
        `${dir}/go.mod`,
        example.replace(/^module .*$/m, "module example.com/mailer")
          .replace(/^replace .*$/m, `replace tasks-executor/sdk/go => ${sdk}`),
      );
      await Deno.copyFile(new URL("../examples/go/go.sum", import.meta.url), `${dir}/go.sum`);
      await go(dir, ["vet", "./..."], { GOFLAGS: "-mod=mod" });
      const unformatted = await runToEnd("sh", ["-c", `cd "$0" && gofmt -l .`, dir], {
        PATH: `${GO!.replace(/\/go$/, "")}:${Deno.env.get("PATH")}`,
      });
      assert.equal(unformatted.stdout, "", "gofmt -l");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
