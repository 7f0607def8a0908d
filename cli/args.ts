/**
 * Reading a command line's options with `node:util` `parseArgs`, its refusals said in one line
 * naming the option (`Unknown option "--bogus"`), not in Node's words (`… as in '-- "--bogus"`).
 * Shared by the REST command line and the binary's `keys` command.
 */
import { parseArgs } from "node:util";

/** An option in `parseArgs` terms. */
export interface ArgSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
}

/** Option values as `parseArgs` gives them. */
export type ArgValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * `args` read against `options` (positionals allowed anywhere). `helpWord` says whether `help` is
 * one of the positionals before any `--`: it asks for the help wherever it stands (`tasks list
 * help`), as `-h` does; after `--` it is an operand (`executors get -- help`), and an option's
 * value (`--executor help`) is none.
 *
 * @throws {Error} in one line naming the option: one not of `options`, a string option without a
 *   value (or with one that starts with `-`, which is given as `--name=-x`), a boolean option
 *   given a value (`--json=yes`), an option given twice that does not take a list
 */
export function readArgs(
  args: string[],
  options: Record<string, ArgSpec>,
): { values: ArgValues; positionals: string[]; helpWord: boolean } {
  // Read loosely first: every option is a token, known or not, and is judged here.
  const { tokens } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const terminator = tokens.findIndex((token) => token.kind === "option-terminator");
  const helpWord = tokens.slice(0, terminator === -1 ? tokens.length : terminator).some((token) =>
    token.kind === "positional" && token.value === "help"
  );
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    const shown = token.rawName;
    if (spec === undefined) throw new Error(`Unknown option ${JSON.stringify(shown)}`);
    if (spec.type === "string" && token.value === undefined) {
      throw new Error(`Option ${shown} needs a value`);
    }
    if (
      spec.type === "string" && !token.inlineValue && token.value !== undefined &&
      token.value.length > 1 && token.value.startsWith("-")
    ) {
      // `--executor --json`: a forgotten value, not the value "--json".
      throw new Error(
        `Option ${shown} needs a value, not the option-like ${JSON.stringify(token.value)} ` +
          `(a value that starts with "-" is given as --${token.name}=${token.value})`,
      );
    }
    if (spec.type === "boolean" && token.value !== undefined) {
      throw new Error(`Option ${shown} takes no value`);
    }
    // parseArgs keeps the last of an option given twice: `--executor a --executor b` would act
    // on b alone, without a word. Only options that take a list may repeat.
    if (seen.has(token.name) && !spec.multiple) {
      throw new Error(`Option --${token.name} is given more than once`);
    }
    seen.add(token.name);
  }
  const { values, positionals } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: true,
  });
  return { values: values as ArgValues, positionals, helpWord };
}

/**
 * `words` (after `help`, or after a group's name or `keys`) without the `help` words that lead
 * them: each asks for the help, the one after another too (the help of help, as `git help help`
 * shows help's own page), so the command they are followed by is the one whose help is asked for.
 *
 * @example
 * ```ts
 * import { withoutHelpWords } from "./args.ts";
 * withoutHelpWords(["help", "help", "list"]); // ["list"]
 * ```
 */
export function withoutHelpWords(words: readonly string[]): string[] {
  let at = 0;
  while (words[at] === "help") at++;
  return words.slice(at);
}
