/**
 * The binary's `keys` command line: create, list and revoke API keys straight in the store that
 * DATA_DIR or MONGO_URI names (whoever can read it is trusted already), with or without a manager
 * running on it.
 */
import { readArgs, withoutHelpWords } from "../cli/args.ts";
import { time } from "../cli/format.ts";
import type { ApiKey } from "./auth/keys.ts";
import type { Config } from "./config.ts";
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from "./domain/errors.ts";
import { refProblem } from "./domain/refs.ts";
import { presentKey } from "./http/json.ts";
import { openStore } from "./store/open.ts";
import type { Page } from "./store/store.ts";
import { KeyService, parseKeySpec } from "./service/keys.ts";
import { storeLocation } from "./store_location.ts";

/** How to use the command, printed for `keys help`, `--help` and after a usage error. */
export const KEYS_USAGE = `Usage:
  keys create --name NAME --scope SCOPE [--scope SCOPE]… [--executor NAME]… [--json]
  keys list [--json]
  keys revoke ID [--json]
  keys [COMMAND] --help         (or keys help [COMMAND]: this help)

Scopes: admin, producer, worker, read, metrics. --executor limits a producer or worker key to
an executor (required for worker keys). A name is one key's among those not revoked (create
refuses another, exit 1; a revoked key's name is free again). The last valid admin key is not
revoked: create another admin key first. The store is the one DATA_DIR or MONGO_URI names (run with the manager's);
create makes the store when there is none (a manager makes no admin key on a store that holds
keys: create says when the store has no valid admin key), list and revoke refuse one that is not
there; each command says which store it used.

Exit codes: 0 done; 1 the store refused or could not be opened; 2 the command was written wrong
(a missing or bad --name, --scope or --executor, an id that cannot name a key: key ids are 16
lower-case hex digits, or a command that is not one, --help or not, said in one line before the
store is opened).`;

/** The flag that gives each field of a key spec (`/scopes/1` → the second `--scope`). */
const FIELD_FLAGS: Record<string, "name" | "scope" | "executor"> = {
  "/name": "name",
  "/scopes": "scope",
  "/executors": "executor",
};

/**
 * A refused key spec said in flags, not the API's JSON pointers:
 * `Invalid key: --scope "root": Must be one of admin, …`.
 */
function flagErrors(
  error: InvalidArgumentError,
  values: { scope?: string[]; executor?: string[] },
): string {
  const parts = error.violations.map(({ field, message }) => {
    const [, top, index] = /^(\/[a-z]+)(?:\/(\d+))?$/.exec(field) ?? [];
    const flag = FIELD_FLAGS[top];
    if (flag === undefined) return `${field}: ${message}`;
    const given = index === undefined
      ? ""
      : ` ${JSON.stringify(values[flag as "scope" | "executor"]?.[Number(index)])}`;
    return `--${flag}${given}: ${message}`;
  });
  return parts.length === 0 ? error.message : `Invalid key: ${parts.join("; ")}`;
}

/** Where the command writes (stdout and stderr by default). */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const CONSOLE: CliOutput = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

function table(keys: ApiKey[]): string {
  // As every other command prints a time (`2026-12-07 11:30:31Z`), not `…T11:30:31.676Z`.
  const at = (ms: number | null) => time(ms === null ? null : new Date(ms).toISOString());
  const rows = [
    ["ID", "NAME", "SCOPES", "EXECUTORS", "CREATED", "LAST USED", "REVOKED"],
    ...keys.map((key) => [
      key.id,
      key.name,
      key.scopes.join(","),
      key.executors?.join(",") ?? "*",
      at(key.createdAt),
      at(key.lastUsedAt),
      at(key.revokedAt),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

/**
 * Runs `keys <verb> …` (`args` without the leading `keys`) against the store of the configuration
 * `readConfig` gives, read only once the command line is known good: `--help` and bad usage need
 * no valid configuration. Answers the exit code: 0 done, 1 refused or failed by the store (the
 * reason on stderr), 2 the command written wrong: bad usage, or a key spec or key id refused before
 * the store is opened. Errors `readConfig` throws pass through.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await keysCommand(["list", "--json"], () => loadConfig(Deno.env.toObject())));
 * ```
 */
export async function keysCommand(
  args: string[],
  readConfig: () => Config,
  output: CliOutput = CONSOLE,
): Promise<number> {
  let parsed;
  try {
    parsed = readArgs(args, {
      name: { type: "string" },
      scope: { type: "string", multiple: true },
      executor: { type: "string", multiple: true },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
  } catch (error) {
    output.err(`${(error as Error).message}\n\n${KEYS_USAGE}`);
    return 2;
  }
  const { positionals } = parsed;
  const values = parsed.values as {
    name?: string;
    scope?: string[];
    executor?: string[];
    json?: boolean;
    help?: boolean;
  };
  const [verb, ...rest] = positionals;
  const usage = (problem: string) => {
    output.err(`${problem}\n\n${KEYS_USAGE}`);
    return 2;
  };
  // A command that is not one is reported with --help as without it, exit 2 (as git does with
  // `git remote bogus --help`): `keys rotate --help` and `keys help rotate` too. `help` names the
  // help itself: `keys help help` is the help of help, this help, as `tasks help help` is.
  const named = withoutHelpWords(positionals)[0];
  if (named !== undefined && !["create", "list", "revoke"].includes(named)) {
    return usage(`Unknown command "${named}"`);
  }
  // `help` anywhere before `--` asks for the help, as -h does: `keys list help` too.
  if (parsed.helpWord || values.help) {
    output.out(KEYS_USAGE);
    return 0;
  }
  if (verb === undefined) return usage("Missing command: create, list or revoke");
  if (verb === "revoke" ? rest.length !== 1 : rest.length !== 0) {
    return usage(verb === "revoke" ? "keys revoke takes one key id" : `Unexpected "${rest[0]}"`);
  }
  // Given at all, even as "": `keys list --name ""` is written as wrong as `--name x`.
  if (
    verb !== "create" &&
    (values.name !== undefined || values.scope !== undefined || values.executor !== undefined)
  ) {
    return usage(`keys ${verb} takes no --name, --scope or --executor`);
  }
  const config = readConfig();

  // What the command line alone decides is the command written wrong (exit 2), said before the
  // store is opened (or made), in one line naming the flag: the whole key spec (a missing --name or
  // --scope, an unknown or repeated scope, a bad --executor), and an id that no key can have (key
  // ids are 16 lower-case hex digits: the token's rule).
  if (verb === "create") {
    try {
      parseKeySpec(
        { name: values.name, scopes: values.scope, executors: values.executor },
        config.limits,
      );
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      output.err(flagErrors(error, values));
      return 2;
    }
  }
  if (verb === "revoke") {
    const problem = refProblem("key", rest[0]);
    if (problem !== null) {
      output.err(`Invalid key id ${JSON.stringify(rest[0].slice(0, 64))}: ${problem}`);
      return 2;
    }
  }

  let store;
  try {
    // Listing or revoking in a store that does not exist is a command run in the wrong place (or
    // with the wrong DATA_DIR or MONGO_DB): said, not answered from a new empty store.
    store = await openStore(config, { existing: verb !== "create" });
  } catch (error) {
    if (error instanceof NotFoundError) {
      output.err(
        `No store at ${storeLocation(config)}: keys ${verb} reads the manager's store; ` +
          "set DATA_DIR (or MONGO_URI and MONGO_DB) to the manager's, or run it where it runs",
      );
      return 1;
    }
    output.err(`Cannot open the store: ${(error as Error).message}`);
    return 1;
  }
  try {
    const keys = new KeyService(store, { limits: config.limits });
    const where = storeLocation(config);
    if (verb === "create") {
      const { key, token } = await keys.create({
        name: values.name,
        scopes: values.scope,
        executors: values.executor,
      });
      output.out(
        values.json
          ? JSON.stringify({ key: presentKey(key), token, store: where })
          : `Made key ${key.id} "${key.name}" (${key.scopes.join(", ")}) in the store ${where}. ` +
            `Its token is shown this once:\n\n  ${token}\n`,
      );
      // A store made here holds this key alone, and a manager makes its first admin key only on a
      // store with no key at all: said now, not found out when nobody can manage keys.
      if (!key.scopes.includes("admin") && !await keys.hasValidAdmin()) {
        output.err(
          `The store ${where} holds no valid admin key: through a manager on it nobody can create ` +
            "or revoke keys. Make one with keys create --name NAME --scope admin",
        );
      }
    } else if (verb === "list") {
      const list = [];
      let cursor: string | null = "";
      do {
        const page: Page<ApiKey> = await keys.list({ cursor });
        list.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      output.out(
        values.json
          ? JSON.stringify({ keys: list.map(presentKey), store: where })
          : `Keys in the store ${where}:\n\n${table(list)}`,
      );
    } else {
      const key = await keys.revoke(rest[0]);
      output.out(
        values.json
          ? JSON.stringify({ key: presentKey(key), store: where })
          : `Revoked key ${key.id} "${key.name}" in the store ${where}; ` +
            "managers on it refuse it within a second",
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      output.err(flagErrors(error, values));
      return 1;
    }
    if (error instanceof NotFoundError) {
      output.err(`${error.message} in the store ${storeLocation(config)}`);
      return 1;
    }
    if (error instanceof ConflictError) {
      output.err(`${error.message} (in the store ${storeLocation(config)})`);
      return 1;
    }
    if (error instanceof FailedPreconditionError) {
      output.err(`${error.message} (keys create --name NAME --scope admin)`);
      return 1;
    }
    if (error instanceof UnavailableError) {
      output.err(error.message);
      return 1;
    }
    throw error;
  } finally {
    await store[Symbol.asyncDispose]();
  }
}
