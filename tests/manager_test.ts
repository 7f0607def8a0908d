/** Starting and stopping a whole manager: what a user sees when a port is taken. */
import assert from "node:assert/strict";
import { loadConfig } from "../server/config.ts";
import { createLogger } from "../server/log.ts";
import { startManager, StartupError } from "../server/manager.ts";

const quiet = createLogger({ level: "error", format: "json", write: () => {} });

for (const [variable, what] of [["MANAGER_PORT", "REST"], ["MANAGER_GRPC_PORT", "gRPC"]]) {
  Deno.test(`a taken ${variable} stops the start with a message naming it, leaving nothing open and no store made`, async () => {
    const dataDir = await Deno.makeTempDir();
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const config = loadConfig({
        MANAGER_HOST: "127.0.0.1",
        MANAGER_PORT: "0",
        MANAGER_GRPC_PORT: "0",
        // A DATA_DIR not made yet: a start refused for its port once made it, with a tasks.db.
        DATA_DIR: `${dataDir}/new`,
        AUTH: "on",
        [variable]: String(taken.addr.port),
      });
      await assert.rejects(startManager(config, quiet), (error: Error) => {
        assert.ok(error instanceof StartupError);
        assert.equal(
          error.message,
          `Cannot listen for ${what} on port ${taken.addr.port} (${variable}): the address is already in use`,
        );
        return true;
      });
      assert.deepEqual(await Array.fromAsync(Deno.readDir(dataDir)), [], "no DATA_DIR made");
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}

Deno.test("a DATA_DIR that cannot be a folder stops the start with a message naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/a-file`;
    await Deno.writeTextFile(file, "");
    const config = loadConfig({
      MANAGER_HOST: "127.0.0.1",
      MANAGER_PORT: "0",
      MANAGER_GRPC_PORT: "0",
      DATA_DIR: `${file}/data`,
    });
    await assert.rejects(startManager(config, quiet), (error: Error) => {
      assert.ok(error instanceof StartupError);
      assert.match(error.message, /^Cannot open DATA_DIR ".*a-file\/data": /);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
