/**
 * The manager as one file: bundled, copied alone into an empty directory, it starts on the
 * embedded store and serves the admin page, REST and gRPC (so nothing is read from the repo).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { loadProtocol } from "@tasks-executor/proto";

const repo = fileURLToPath(new URL("..", import.meta.url));

/**
 * Reads the manager's log until its "Manager started" line, then keeps draining it in the
 * background (a closed pipe would make its later log writes fail).
 */
function startedLine(stderr: ReadableStream<Uint8Array>): Promise<{
  httpUrl: string;
  grpcAddress: string;
}> {
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder();
    let text = "";
    let found = false;
    (async () => {
      for await (const chunk of stderr) {
        text += decoder.decode(chunk, { stream: true });
        const line = text.split("\n").find((l) => l.includes('"Manager started"'));
        if (line && !found) {
          found = true;
          resolve(JSON.parse(line));
        }
      }
      if (!found) reject(new Error(`The bundled manager exited before it started:\n${text}`));
    })();
  });
}

Deno.test("the bundled manager runs alone from an empty directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tasks-executor-bundle-" });
  try {
    const bundled = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--quiet",
        "--platform",
        "deno",
        "--output",
        `${dir}/build/tasks-executor.js`,
        "main.ts",
      ],
      cwd: repo,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(bundled.success, new TextDecoder().decode(bundled.stderr));
    const runDir = `${dir}/run`;
    await Deno.mkdir(runDir);
    await Deno.copyFile(`${dir}/build/tasks-executor.js`, `${runDir}/tasks-executor.js`);

    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-env",
        "--allow-read",
        "--allow-write",
        "--allow-sys",
        "--allow-run",
        "tasks-executor.js",
      ],
      cwd: runDir,
      env: {
        MANAGER_HOST: "127.0.0.1",
        MANAGER_PORT: "0",
        MANAGER_GRPC_PORT: "0",
        LOG_LEVEL: "info",
        AUTH: "off",
      },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      const { httpUrl, grpcAddress } = await startedLine(child.stderr);

      const page = await fetch(`${httpUrl}/admin_page.html`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);

      const created = await fetch(`${httpUrl}/api/v1/executors`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ config: { name: "bundled" } }),
      });
      assert.equal(created.status, 201);
      assert.equal((await created.json()).executor.name, "bundled");

      // Schemas are compiled and checked in validation processes, started from the bundled file.
      const post = async (path: string, body: unknown) => {
        const response = await fetch(`${httpUrl}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        await response.body?.cancel();
        return response.status;
      };
      const taskSchema = { type: "object", properties: { n: { type: "integer" } } };
      assert.equal(
        await post("/api/v1/executors", { config: { name: "typed", enabled: false, taskSchema } }),
        201,
      );
      assert.equal(await post("/api/v1/tasks", { executorName: "typed", data: { n: 1 } }), 201);
      assert.equal(await post("/api/v1/tasks", { executorName: "typed", data: { n: "x" } }), 400);

      const { TaskExecutorManagerService } = loadProtocol();
      const client = new TaskExecutorManagerService(grpcAddress, grpc.credentials.createInsecure());
      try {
        const listed = await new Promise<{ executors: { name: string }[] }>((resolve, reject) =>
          (client as unknown as {
            ListExecutors(
              r: unknown,
              cb: (e: Error | null, r: { executors: { name: string }[] }) => void,
            ): void;
          }).ListExecutors({}, (e, r) => (e ? reject(e) : resolve(r)))
        );
        assert.deepEqual(listed.executors.map((e) => e.name), ["bundled", "typed"]);
      } finally {
        client.close();
      }
      // The embedded store wrote into the working directory, not into the repo.
      assert.ok((await Deno.stat(`${runDir}/data/tasks.db`)).isFile);
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      assert.equal(status.code, 0, "SIGTERM should stop the manager cleanly");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
