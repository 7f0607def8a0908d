/**
 * The command line's help, however it is asked for: `help`, `-h` and `--help`, in any order and
 * number, before or after a command and its subcommand, give that command's help (never the
 * overall help when a command is named); run as `main.ts` reads its arguments, and as a process.
 */
import assert from "node:assert/strict";
import { helpAsOption, runCli } from "../cli/mod.ts";
import { CLI_USAGE } from "../cli/mod.ts";
import { DLQ } from "../cli/dlq.ts";
import { EXECUTORS } from "../cli/executors.ts";
import { SCHEDULES } from "../cli/schedules.ts";
import { STATS } from "../cli/stats.ts";
import { TASKS } from "../cli/tasks.ts";
import { WORKERS } from "../cli/workers.ts";
import { keysCommand } from "../server/cli.ts";
import { healthcheckCommand } from "../server/healthcheck.ts";
import { type Finished, runToEnd } from "./fixtures/process.ts";

/** The words that ask for the help. */
const HELP = ["help", "-h", "--help"];

/** Each command with one of its subcommands (`stats` and `healthcheck` have none). */
const COMMANDS: [string, string | undefined][] = [
  ["executors", "get"],
  ["tasks", "list"],
  ["schedules", "preview"],
  ["dlq", "requeue"],
  ["workers", "list"],
  ["stats", undefined],
  ["keys", "create"],
  ["healthcheck", undefined],
];

/** What `main.ts args` prints and answers, in this process (no manager is called for help). */
async function run(args: readonly string[]): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  const output = { out: (text: string) => stdout += `${text}\n`, err: (t: string) => stderr += t };
  const line = helpAsOption(args);
  const noConfig = () => {
    throw new Error("the help reads no configuration");
  };
  const code = line[0] === "keys"
    ? await keysCommand(line.slice(1), noConfig, output)
    : line[0] === "healthcheck"
    ? await healthcheckCommand(line.slice(1), noConfig, output)
    : await runCli(line, { MANAGER_URL: "http://127.0.0.1:9" }, output);
  return { code, stdout, stderr };
}

/** The first line of a command's help. */
function usageOf(command: string): RegExp {
  return command === "keys"
    ? /^Usage:\n {2}keys create/
    : new RegExp(`^Usage: tasks-executor ${command}\\b`);
}

/**
 * Every command line of at most four words made of `command` (once), its subcommand (at most
 * once, after it) and help words, that asks for the help: any that holds a help word, before the
 * command, after it or after its subcommand (`tasks list help` is `tasks list -h`). (After `--`,
 * `help` is an operand: `executors get -- help` is the executor named help.)
 */
function helpLines(command: string, sub: string | undefined): string[][] {
  const words = [...HELP, command, ...(sub ? [sub] : [])];
  const lines: string[][] = [];
  const grow = (line: string[]) => {
    if (line.length > 0) lines.push(line);
    if (line.length < 4) { for (const word of words) grow([...line, word]); }
  };
  grow([]);
  return lines.filter((line) => {
    const at = line.indexOf(command);
    if (at === -1 || line.lastIndexOf(command) !== at) return false;
    const subAt = sub === undefined ? -1 : line.indexOf(sub);
    if (subAt !== -1 && (subAt < at || line.lastIndexOf(sub!) !== subAt)) return false;
    return line.some((word) => HELP.includes(word));
  });
}

Deno.test("help, -h and --help, in any order and number before or after a command and its subcommand, print that command's help and exit 0", async () => {
  for (const [command, sub] of COMMANDS) {
    const lines = helpLines(command, sub);
    assert.ok(lines.length > 100, `${command}: ${lines.length} lines`);
    for (const line of lines) {
      const what = line.join(" ");
      const answer = await run(line);
      assert.equal(answer.code, 0, `${what}: exit ${answer.code}\n${answer.stderr}`);
      assert.match(answer.stdout, usageOf(command), what);
      assert.equal(answer.stderr, "", what);
    }
  }
});

Deno.test("help after every subcommand of every command prints that command's help; after -- or as an option's value it is no help", async () => {
  const subcommands: Record<string, readonly string[]> = {
    ...Object.fromEntries(
      [EXECUTORS, TASKS, SCHEDULES, DLQ, WORKERS].map((g) => [g.name, g.verbs]),
    ),
    keys: ["create", "list", "revoke"],
  };
  for (const [command, subs] of Object.entries(subcommands)) {
    for (const sub of subs) {
      for (const line of [[command, sub, "help"], [command, sub, "x", "help"]]) {
        const answer = await run(line);
        const what = `${line.join(" ")}: exit ${answer.code}\n${answer.stderr}`;
        assert.equal(answer.code, 0, what);
        assert.match(answer.stdout, usageOf(command), what);
      }
    }
  }
  // A word that is no subcommand is refused, help or not.
  const bogus = await run(["tasks", "bogus", "help"]);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /^Unknown command "tasks bogus"/);
  const keys = await run(["keys", "rotate", "help"]);
  assert.equal(keys.code, 2);
  assert.match(keys.stderr, /^Unknown command "rotate"/);
  // After `--`, and as an option's value, `help` is what it names: the manager is asked (and is
  // not there, exit 1).
  for (
    const line of [["executors", "get", "--", "help"], ["tasks", "list", "--executor", "help"]]
  ) {
    const answer = await run(line);
    assert.equal(answer.code, 1, `${line.join(" ")}: exit ${answer.code}\n${answer.stderr}`);
    assert.equal(answer.stdout, "", line.join(" "));
  }
});

Deno.test("help words with no command print the overall help; with a word that is no command, exit 2", async () => {
  for (
    const line of [["help"], ["-h", "--help"], ["help", "-h", "help"]]
  ) {
    const answer = await run(line);
    assert.equal(answer.code, 0, line.join(" "));
    assert.match(answer.stdout, /^Usage: tasks-executor <command>/, line.join(" "));
  }
  // A help option before the word once hid it: `help -h bogus` printed the overall help, exit 0.
  for (const line of [["help", "-h", "bogus"], ["-h", "--help", "task"], ["--help", "help", "x"]]) {
    const answer = await run(line);
    assert.equal(answer.code, 2, line.join(" "));
    assert.match(answer.stderr, /^Unknown command "\w+"\n\nUsage: tasks-executor <command>/);
  }
  // After `--`, `-h` is an operand (a task id), not a second help option to drop.
  assert.deepEqual(helpAsOption(["tasks", "-h", "get", "--", "-h"]), [
    "tasks",
    "-h",
    "get",
    "--",
    "-h",
  ]);
});

Deno.test("the binary prints the most specific help however asked: help -h tasks, tasks -h help, help keys -h", async () => {
  const binary = (args: string[]) =>
    runToEnd(Deno.execPath(), ["run", "-A", "main.ts", ...args], {
      MANAGER_URL: "http://127.0.0.1:9",
      TASKS_EXECUTOR_API_KEY: "",
    });
  const cases: [string[], string][] = [
    [["help", "-h", "tasks"], "tasks"],
    [["help", "--help", "tasks", "list"], "tasks"],
    [["tasks", "-h", "help"], "tasks"],
    [["help", "tasks", "-h"], "tasks"],
    [["tasks", "list", "-h", "--help"], "tasks"],
    [["-h", "help", "stats", "--help"], "stats"],
    [["help", "-h", "keys"], "keys"],
    [["help", "keys", "-h"], "keys"],
  ];
  for (const [args, command] of cases) {
    const answer = await binary(args);
    const what = `${args.join(" ")}: exit ${answer.code}\n${answer.stderr}`;
    assert.equal(answer.code, 0, what);
    assert.match(answer.stdout, usageOf(command), what);
  }
});

Deno.test("every top-level command the overall help names answers --help, -h and help COMMAND with its own help, and refuses a word that is no subcommand with exit 2", async () => {
  const named = [...CLI_USAGE.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
  assert.deepEqual(named, [...COMMANDS.map(([command]) => command)], "COMMANDS is every command");
  const binary = (args: string[]) =>
    runToEnd(Deno.execPath(), ["run", "-A", "main.ts", ...args], {
      MANAGER_URL: "http://127.0.0.1:9",
      TASKS_EXECUTOR_API_KEY: "",
      MANAGER_PORT: "9",
    });
  for (const command of named) {
    for (const args of [[command, "--help"], [command, "-h"], ["help", command]]) {
      const answer = await binary(args);
      const what = `${args.join(" ")}: exit ${answer.code}\n${answer.stderr}`;
      assert.equal(answer.code, 0, what);
      assert.match(answer.stdout, usageOf(command), what);
      assert.equal(answer.stderr, "", what);
    }
  }
  // healthcheck has no subcommand: a word after it is refused, --help or not, with its help.
  for (const args of [["healthcheck", "bogus", "--help"], ["help", "healthcheck", "bogus"]]) {
    const answer = await run(args);
    assert.equal(answer.code, 2, args.join(" "));
    assert.match(
      answer.stderr,
      /^healthcheck takes no arguments, not "bogus"\n\nUsage: tasks-executor healthcheck/,
    );
    assert.equal(answer.stdout, "", args.join(" "));
  }
});

Deno.test("the overall help's command rows start their descriptions in one column, continuation lines too", () => {
  const commands = CLI_USAGE.slice(0, CLI_USAGE.indexOf("\n\nWithout")).split("\n").slice(2);
  const rows = commands.filter((line) => /^ {2}[a-z]/.test(line));
  const columns = new Set(rows.map((line) => /^ {2}[a-z]+ +/.exec(line)![0].length));
  assert.equal(columns.size, 1, rows.join("\n"));
  const [column] = columns;
  for (const line of commands.filter((line) => !/^ {2}[a-z]/.test(line))) {
    assert.equal(/^ */.exec(line)![0].length, column, line);
  }
});

Deno.test("stats' help says which names --executor takes as the manager does: an executor that exists, or one deleted whose tasks are still counted", () => {
  const words = STATS.usage.replace(/\s+/g, " ");
  assert.match(
    words,
    /--executor names one executor: one that exists, or one deleted whose tasks are still counted/,
  );
  assert.match(words, /Any other name exits 1, as the manager answers 404/);
});
