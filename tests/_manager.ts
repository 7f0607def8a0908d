/** Test helper: a real manager on free ports over a store in a fresh temp dir (or MongoDB). */
import { loadConfig } from "../server/config.ts";
import { createLogger } from "../server/log.ts";
import { type Manager, startManager } from "../server/manager.ts";

/** A manager for one test; disposing it also removes its data (unless `dataDir` was given). */
export interface TestManager extends Manager {
  readonly dataDir: string;
}

/**
 * Starts a manager on 127.0.0.1 with ports chosen by the system.
 *
 * `env` overrides configuration variables (e.g. `MONGO_URI`, `RESCUE_INTERVAL_MS`). Authentication
 * is off unless `env` sets `AUTH: "on"`: suites that test other behaviour need no keys.
 */
export async function startTestManager(
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<TestManager> {
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "tasks-executor-test-" });
  const config = loadConfig({
    MANAGER_HOST: "127.0.0.1",
    MANAGER_PORT: "0",
    MANAGER_GRPC_PORT: "0",
    DATA_DIR: dataDir,
    SHUTDOWN_GRACE_MS: "2000",
    RESCUE_INTERVAL_MS: "100",
    AUTH: "off",
    ...options.env,
  });
  const log = createLogger({ level: "error", format: "pretty" });
  const manager = await startManager(config, log);
  const dispose = async () => {
    await manager.shutdown();
    if (!options.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  return Object.assign(Object.create(null), manager, {
    dataDir,
    shutdown: dispose,
    [Symbol.asyncDispose]: dispose,
  });
}
