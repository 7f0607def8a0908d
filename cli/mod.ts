/**
 * The binary's command line for operators: `executors`, `tasks`, `schedules`, `dlq`, `workers` and
 * `stats`, talking to a running manager over its REST API (never to the store), tables or `--json`.
 */
import { AnswerError, EXIT_BAD_ANSWER } from "./answer.ts";
import { readArgs, withoutHelpWords } from "./args.ts";
import {
  baseUrlOf,
  InputError,
  ManagerClient,
  ManagerError,
  UsageError,
  ValueError,
} from "./client.ts";
import {
  assertNotEmpty,
  checkVerb,
  type CommandContext,
  type CommandGroup,
  type OptionSpec,
  type Values,
} from "./command.ts";
import { DLQ } from "./dlq.ts";
import { EXECUTORS } from "./executors.ts";
import { visibleLines } from "./format.ts";
import { SCHEDULES } from "./schedules.ts";
import { STATS } from "./stats.ts";
import { TASKS } from "./tasks.ts";
import { WORKERS } from "./workers.ts";

/** Where the command finds the manager when neither `--address` nor `MANAGER_URL` says. */
export const DEFAULT_MANAGER_URL = "http://localhost:8080";

const GROUPS: readonly CommandGroup[] = [EXECUTORS, TASKS, SCHEDULES, DLQ, WORKERS, STATS];

const COMMON: Record<string, OptionSpec> = {
  address: { type: "string" },
  "api-key": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const COMMON_HELP = `Common options:
  --address URL       the manager's REST address (MANAGER_URL; default ${DEFAULT_MANAGER_URL});
                      https:// for TLS (a private CA: DENO_CERT=ca.pem)
  --api-key TOKEN     an API key (TASKS_EXECUTOR_API_KEY; the variable keeps it out of ps)
  --json              print the manager's answers as JSON, one line each, for scripts
  -h, --help          this help

Exit codes: 0 done, 1 the manager refused or could not be reached (its message on stderr), or
a file named (-f, --data-file) could not be read or is not JSON; 2 the command was written
wrong (a value the command can check, a number, a time, a choice, inline --data, an empty
value the manager refuses, is refused in one line naming the option, before anything is sent);
with tasks create|get --wait, 3 the task ended without completing, 4 the wait passed first;
${EXIT_BAD_ANSWER} the manager answered something this command cannot read (a field missing or of another
type, pages that never end), the field named on stderr.`;

/** The overall help: every group with its summary. */
export const CLI_USAGE = `Usage: tasks-executor <command> [options]

${GROUPS.map((g) => `  ${g.name.padEnd(11)} ${g.summary}`).join("\n")}
  keys        create, list and revoke API keys in the store (see: keys --help)
  healthcheck exits 0 when the manager of this machine (127.0.0.1, MANAGER_PORT; not
              MANAGER_URL) is ready, 1 otherwise, saying in one line what it asked and why
              (see: healthcheck --help)

Without any argument the manager starts; a first word that is no command above exits 2.
"tasks-executor <command> --help" (or "help <command>", "<command> help", "<command>
<subcommand> help") shows a command's help, "help help" this one; a command that is not one exits
2 with --help too. After "--", "help" is an operand: "executors get -- help".

${COMMON_HELP}`;

/** Where the command writes (stdout and stderr by default), control characters escaped. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const CONSOLE: CliOutput = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

/** The words that ask for the overall help instead of a command. */
const HELP_WORDS = ["help", "--help", "-h"];

/** The options that ask for the help. */
const HELP_OPTIONS = ["--help", "-h"];

/**
 * `words` without the words that ask for the help before them, `help`, `-h` and `--help` alike
 * (`help -h tasks` asks for the help of `tasks` as `help tasks` does).
 */
function afterHelpWords(words: readonly string[]): string[] {
  let at = 0;
  while (at < words.length && HELP_WORDS.includes(words[at])) at++;
  return words.slice(at);
}

/**
 * `help COMMAND …` (or `--help`, `-h` first, any of them repeated or mixed: `help -h COMMAND`,
 * `-h help COMMAND`) as `COMMAND --help …`, for a group here or the binary's `keys` and
 * `healthcheck`: that
 * command's help, the words after it checked as with `--help` anywhere (`help tasks bogus` is
 * refused as `tasks bogus --help` is). A command's `-h` or `--help` given more than once (`help
 * tasks -h`, `tasks -h --help`) is one: asking for the help twice is no option given twice. Words
 * after `--` are operands and stay. Any other command line as it is.
 *
 * @example
 * ```ts
 * import { helpAsOption } from "./mod.ts";
 * helpAsOption(["help", "tasks", "list"]); // ["tasks", "--help", "list"]
 * helpAsOption(["help", "-h", "tasks", "-h"]); // ["tasks", "--help"]
 * ```
 */
export function helpAsOption(args: readonly string[]): string[] {
  const isCommand = (word: string | undefined) =>
    word === "keys" || word === "healthcheck" || GROUPS.some((g) => g.name === word);
  const [word, ...more] = afterHelpWords(args);
  const asked = HELP_WORDS.includes(args[0]) && isCommand(word);
  const line = asked ? [word, "--help", ...more] : [...args];
  if (!isCommand(line[0])) return line;
  // The first help option stays where it is (it may be the forgotten value of the option before
  // it, refused as such), the others go.
  const end = line.includes("--") ? line.indexOf("--") : line.length;
  const first = line.findIndex((arg) => HELP_OPTIONS.includes(arg));
  return line.filter((arg, i) => i <= first || i >= end || !HELP_OPTIONS.includes(arg));
}

/**
 * The text of the file `path` names (`-`: standard input), which `option` named.
 *
 * @throws {InputError} as one line, `--data-file missing.json: No such file`
 */
async function readFile(path: string, option: string): Promise<string> {
  try {
    return path === "-"
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(path);
  } catch (error) {
    const where = path === "-" ? "- (standard input)" : path;
    throw new InputError(`${option} ${where}: ${readFailure(error)}`);
  }
}

/** Why a file could not be read, in a few words (Deno's own text names the system call too). */
function readFailure(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "No such file";
  if (error instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "Is a directory";
  return (error as Error).message;
}

/**
 * Runs `<group> <verb> …` (`args` as the binary got them) against the manager that `--address`
 * or `env.MANAGER_URL` names, with the key of `--api-key` or `env.TASKS_EXECUTOR_API_KEY`.
 * Answers the exit code: 0 done, 1 refused by the manager or not reached (its message on
 * stderr) or a file named unreadable or not JSON, 2 bad usage (with the group's help), for a task waited for (`tasks create|get
 * --wait`) 3 when it ended without completing (failed, dlq, cancelled), 4 when the wait passed
 * first, and `EXIT_BAD_ANSWER` (5) when the manager answered something the command cannot read.
 * Everything written goes through `visibleLines`: no control character but a line break reaches
 * the terminal, whoever wrote the text.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await runCli(["tasks", "list", "--json"], Deno.env.toObject()));
 * ```
 */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  given: CliOutput = CONSOLE,
): Promise<number> {
  // The one way out: the manager's text (ids, metadata, error messages) reaches the terminal with
  // its control characters escaped, whichever command printed it.
  const output: CliOutput = {
    out: (text) => given.out(visibleLines(text)),
    err: (text) => given.err(visibleLines(text)),
  };
  const [name, ...rest] = helpAsOption(args);
  const group = GROUPS.find((g) => g.name === name);
  if (!group) {
    // `help WORD`: WORD is no command (a group's is that group's help, see helpAsOption), and is
    // said to be none, not answered with the help as if it were. `help help` is the help of help:
    // this overall help, as `git help help` is help's own page.
    const word = afterHelpWords(rest)[0];
    const asked = word === undefined || word.startsWith("-") || HELP_WORDS.includes(word);
    if (name === undefined || (HELP_WORDS.includes(name) && asked)) {
      output.out(CLI_USAGE);
      return 0;
    }
    if (HELP_WORDS.includes(name)) {
      output.err(`Unknown command "${word}"\n\n${CLI_USAGE}`);
      return 2;
    }
    // A mistyped command (`schedule`, `task`) or an option without a command is the command
    // line written wrong: refused, never taken for something else.
    output.err(`Unknown command "${name}"\n\n${CLI_USAGE}`);
    return 2;
  }
  const usage = `${group.usage}\n\n${COMMON_HELP}`;
  let values: Values;
  let positionals: string[];
  let helpWord: boolean;
  try {
    ({ values, positionals, helpWord } = readArgs(rest, { ...group.options, ...COMMON }));
  } catch (error) {
    output.err(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help || helpWord) {
    // `help` anywhere before `--` asks for the help as `-h` does: `tasks list help` as `tasks list
    // -h` (it once ran `tasks list` with the operand "help", exit 2); `executors get -- help` is
    // the executor named help.
    // A command that is not one is reported with --help as without it, exit 2 (as git does with
    // `git remote bogus --help`), not answered with the help and exit 0 as if it were one. `help`
    // names the help itself, so `tasks help help` is the help of help: the group's help, as `help
    // help` is the overall help and `git help help` is help's own page.
    try {
      checkVerb(group, withoutHelpWords(positionals));
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      output.err(`${error.message}\n\n${usage}`);
      return 2;
    }
    output.out(usage);
    return 0;
  }
  const own: Values = {};
  for (const key of Object.keys(group.options)) own[key] = values[key];
  try {
    assertNotEmpty(group.options, own);
    const option = values.address as string | undefined;
    // An empty variable is none, as the manager's configuration reads one.
    const fromEnv = env.MANAGER_URL || undefined;
    const address = option ?? fromEnv ?? DEFAULT_MANAGER_URL;
    const source = option === undefined && fromEnv !== undefined ? "MANAGER_URL" : "--address";
    const client = new ManagerClient(baseUrlOf(address, source), {
      apiKey: (values["api-key"] as string | undefined) ?? env.TASKS_EXECUTOR_API_KEY,
    });
    const context: CommandContext = {
      client,
      json: values.json === true,
      out: output.out,
      readFile,
    };
    return (await group.run(positionals, own, context)) ?? 0;
  } catch (error) {
    if (error instanceof ValueError) {
      output.err(error.message);
      return 2;
    }
    if (error instanceof UsageError) {
      output.err(`${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof ManagerError || error instanceof InputError) {
      output.err(error.message);
      return 1;
    }
    if (error instanceof AnswerError) {
      output.err(error.message);
      return EXIT_BAD_ANSWER;
    }
    throw error;
  }
}
