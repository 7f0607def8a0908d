/**
 * The manager's entry point: reads the configuration, starts the manager, stops it on SIGINT or
 * SIGTERM and reads the TLS files again on SIGHUP. `main.ts healthcheck` asks a running manager
 * whether it is ready (for containers); `main.ts keys …` creates, lists and revokes API keys in the
 * store (see server/cli.ts); `main.ts executors|tasks|dlq|workers|stats …` talk to a running manager
 * over REST (cli/).
 */
// First: in the bundled manager, this file is also where validation processes start (see there).
import "./server/service/validation_role.ts";
// Then: every module, npm ones inlined into the bundle included, runs on Node's timers.
import "./server/node_timers.ts";
import { helpAsOption, runCli } from "./cli/mod.ts";
import { keysCommand } from "./server/cli.ts";
import { type Config, ConfigError, loadConfig } from "./server/config.ts";
import { healthcheckCommand } from "./server/healthcheck.ts";
import { createLogger } from "./server/log.ts";
import { startManager, StartupError } from "./server/manager.ts";

// Only the bare command line starts the manager. Any first word but `healthcheck` and `keys` is
// an operator command, which needs no manager configuration (a bad one must not stop it); a word
// that is no command (`schedule`, `--json`) is refused there with the usage, exit 2, not taken
// for a start of the manager.
// `help keys …` is `keys --help …`, `help healthcheck` is `healthcheck --help` (cli/mod.ts's
// helpAsOption; it reads the groups' the same way).
const args = helpAsOption(Deno.args);
const command = args[0];
if (command !== undefined && command !== "healthcheck" && command !== "keys") {
  Deno.exit(await runCli(args, Deno.env.toObject()));
}

/** The configuration from the environment; a bad one ends the process with exit 2, said. */
function configOrExit(): Config {
  try {
    return loadConfig(Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Invalid configuration: ${error.message}`);
    Deno.exit(2);
  }
}

// `keys --help` and a `keys` command written wrong need no valid configuration either.
if (command === "keys") Deno.exit(await keysCommand(args.slice(1), configOrExit));
// `healthcheck --help` and a word after `healthcheck` need no valid configuration either.
if (command === "healthcheck") {
  Deno.exit(
    await healthcheckCommand(args.slice(1), () => {
      const config = configOrExit();
      return { port: config.httpPort, tls: config.tls !== null };
    }, { managerUrl: Deno.env.get("MANAGER_URL") || undefined }),
  );
}
const config = configOrExit();

const log = createLogger({ level: config.logLevel, format: config.logFormat });
let manager;
try {
  manager = await startManager(config, log);
} catch (error) {
  if (!(error instanceof StartupError)) throw error;
  log.error(error.message);
  Deno.exit(1);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    log.info("Signal received, shutting down", { signal });
    await manager.shutdown();
    Deno.exit(0);
  });
}
Deno.addSignalListener("SIGHUP", () => manager.reloadTls());
