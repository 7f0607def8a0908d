/**
 * What every command group of the command line shares: the shape of a group, what a command is
 * handed (client, output mode, files), and the small checks of its arguments.
 */
import type { ManagerClient } from "./client.ts";
import { InputError, UsageError, ValueError } from "./client.ts";

/** Option values as `node:util` `parseArgs` gives them. */
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** An option of a group, in `node:util` `parseArgs` terms. */
export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  /**
   * The manager refuses `""` for the field this string option sends (a task's `idempotencyKey`, a
   * schedule's `timezone`): `--name ""` is refused here (`assertNotEmpty`), exit 2, before
   * anything is sent, as any value the command can check.
   */
  notEmpty?: true;
}

/** What a command runs with. */
export interface CommandContext {
  client: ManagerClient;
  /** `--json`: print the manager's answers as JSON (one line each) instead of tables. */
  json: boolean;
  out(text: string): void;
  /**
   * A file's text; `-` reads standard input. `option` is the option that named it (`-f`,
   * `--data-file`), for the error.
   *
   * @throws {InputError} naming `option` and `path` when the file cannot be read
   */
  readFile(path: string, option: string): Promise<string>;
}

/** One command group (`executors`, `tasks`, …): its verbs, its options and its help. */
export interface CommandGroup {
  name: string;
  /** One line for the overall help. */
  summary: string;
  /** The group's `--help` text. */
  usage: string;
  /** Its commands (`list`, `get`, …); none for a group that is one command (`stats`). */
  verbs: readonly string[];
  /** Options besides the common ones (`--address`, `--api-key`, `--json`, `--help`). */
  options: Record<string, OptionSpec>;
  /**
   * Runs `args` (verb first, then its arguments); answers the exit code when it is not 0 (a task
   * waited for that did not complete, see `runCli`).
   * @throws {UsageError} {ManagerError} {AnswerError}
   */
  run(args: string[], values: Values, context: CommandContext): Promise<number | void>;
}

/** Prints `body` as one JSON line with `--json`, else what `human` makes of it. */
export function print(context: CommandContext, body: unknown, human: () => string): void {
  context.out(context.json ? JSON.stringify(body) : human());
}

/**
 * The arguments after the verb, checked to be exactly `names` (`["ID"]`).
 *
 * @throws {UsageError} naming what is missing or extra
 */
export function operands(command: string, args: string[], names: string[]): string[] {
  if (args.length < names.length) {
    throw new UsageError(`${command} needs ${names.slice(args.length).join(" ")}`);
  }
  if (args.length > names.length) throw new UsageError(`Unexpected "${args[names.length]}"`);
  return args;
}

/** A string option's value, or `undefined`. */
export function stringOf(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The text of the file named by `-f FILE` (`-` = standard input), which `command` needs, checked
 * to be JSON (it is sent as it is: the manager reads it, whichever format).
 *
 * @throws {UsageError} when `-f` is missing
 * @throws {InputError} when the file cannot be read, or is not JSON (its path and where it fails)
 */
export async function requiredFile(
  values: Values,
  context: CommandContext,
  command: string,
): Promise<string> {
  const file = stringOf(values, "file");
  if (file === undefined) throw new UsageError(`${command} needs -f FILE`);
  const text = await context.readFile(file, "-f");
  try {
    JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new InputError(`-f ${fileName(file)}: not JSON: ${jsonFailure(text, error)}`);
  }
  return text;
}

/** A file's path as messages name it: `-` is standard input. */
function fileName(path: string): string {
  return path === "-" ? "- (standard input)" : path;
}

/** Why `text` is not JSON, with where (V8 says `at position 1 (line 1 column 2)`, but not at the end). */
function jsonFailure(text: string, error: unknown): string {
  const message = (error as Error).message;
  return /position \d+/.test(message) || !/end of JSON/.test(message)
    ? message
    : `${message} at position ${text.length} (the end)`;
}

/** An option's text as a message quotes it: at most 64 characters. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

/**
 * A whole-number option's value (`--priority 5` → `5`), or `undefined` when not given; with
 * `min`, at least that (`--limit 0` is refused here; the manager checks the greatest).
 *
 * @throws {ValueError} naming the option when the text is not such a number
 */
export function integerOf(values: Values, name: string, min?: number): number | undefined {
  const text = stringOf(values, name);
  if (text === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(text) || (min !== undefined && Number(text) < min)) {
    const from = min === undefined ? "" : ` from ${min}`;
    throw new ValueError(`--${name} must be a whole number${from}, not ${quoted(text)}`);
  }
  return Number(text);
}

/**
 * An RFC 3339 time the manager reads (server/domain/time.ts): a `T`, at most 9 fraction digits,
 * `Z` or a `±hh:mm` offset. Its range (1970 to 9999) the manager checks.
 */
const RFC3339 =
  /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?(?:[Zz]|[+-](\d\d):(\d\d))$/;

/**
 * Whether `text` is such a time on the calendar: a day its month has, hours to 23, minutes and
 * seconds to 59 (no leap second), an offset to 23:59. `Date.parse` takes `2027-02-30` as March 2
 * and `T24:00` as the next day, which the manager refuses.
 */
function isRfc3339(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second && Number(m[7] ?? 0) <= 23 && Number(m[8] ?? 0) <= 59;
}

/**
 * A time option's text as given (`--run-at 2026-12-02T14:00:00Z`), or `undefined`: an RFC 3339
 * time with an offset, or epoch milliseconds, as the manager reads them.
 *
 * @throws {ValueError} naming the option when the text is neither
 */
export function timeOf(values: Values, name: string): string | undefined {
  const text = stringOf(values, name);
  if (text === undefined) return undefined;
  if (/^\d{1,16}$/.test(text) || isRfc3339(text)) {
    return text;
  }
  throw new ValueError(
    `--${name} must be an RFC 3339 time with an offset (2026-12-02T14:00:00Z, …+02:00) or ` +
      `epoch milliseconds, not ${quoted(text)}`,
  );
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration option's value in milliseconds (`--wait 30s` → `30000`), or `undefined` when not
 * given: a whole number with a unit (`ms`, `s`, `m`, `h`), more than 0 and at most `maxMs`.
 *
 * @throws {ValueError} naming the option when the text is not such a duration
 */
export function durationOf(values: Values, name: string, maxMs: number): number | undefined {
  const text = stringOf(values, name);
  if (text === undefined) return undefined;
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text);
  const ms = match ? Number(match[1]) * DURATION_UNITS_MS[match[2]] : NaN;
  if (!(ms > 0 && ms <= maxMs)) {
    throw new ValueError(
      `--${name} must be a duration such as 30s, 5m or 1h (ms, s, m or h), more than 0 and at ` +
        `most ${maxMs / 3_600_000}h, not "${text.slice(0, 64)}"`,
    );
  }
  return ms;
}

/**
 * Refuses `--name ""` for each option of `options` marked `notEmpty`: the one check of the empty
 * values the manager would refuse, said in one line naming the option. Whatever reads such an
 * option (`stringOf`) has no `""` to send.
 *
 * @throws {ValueError} naming the first such option given as `""`
 */
export function assertNotEmpty(options: Record<string, OptionSpec>, values: Values): void {
  const empty = Object.keys(options).find((name) =>
    options[name].notEmpty === true && values[name] === ""
  );
  if (empty !== undefined) {
    throw new ValueError(`--${empty} must not be empty: leave the option out instead`);
  }
}

/**
 * Refuses an option the command does not take: `allowed` lists the group's options `command`
 * reads (`"tasks get"` reads none).
 *
 * @throws {UsageError} naming the first option given that is not allowed
 */
export function assertOptions(command: string, values: Values, allowed: readonly string[]): void {
  const stray = Object.keys(values).find((name) =>
    values[name] !== undefined && !allowed.includes(name)
  );
  if (stray) throw new UsageError(`${command} takes no --${stray}`);
}

/**
 * A query string from the options given (`?status=pending&limit=10`), empty when none.
 * `params` maps query names to option values.
 */
export function queryOf(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) query.set(name, value);
  }
  const text = query.toString();
  return text ? `?${text}` : "";
}

/** A path segment: an id or a name, escaped. */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * JSON given inline (`--data '{"a":1}'`) or as a file (`--data-file data.json`, `-` = stdin);
 * `undefined` when neither.
 *
 * @throws {UsageError} when both are given
 * @throws {ValueError} when the inline text is not JSON or holds a number beyond a double's range
 *   (it would be sent as `null`)
 * @throws {InputError} when the file cannot be read, or its text is not JSON or holds such a
 *   number
 */
export async function jsonInput(
  values: Values,
  context: CommandContext,
  names: { inline: string; file: string },
): Promise<unknown> {
  const inline = stringOf(values, names.inline);
  const file = stringOf(values, names.file);
  if (inline !== undefined && file !== undefined) {
    throw new UsageError(`Give --${names.inline} or --${names.file}, not both`);
  }
  const text = inline ??
    (file === undefined ? undefined : await context.readFile(file, `--${names.file}`));
  if (text === undefined) return undefined;
  try {
    // A number past a double's range reads as Infinity, which JSON.stringify would send as null.
    return JSON.parse(inline === undefined ? text.replace(/^\uFEFF/, "") : text, (_key, value) => {
      if (typeof value === "number" && !Number.isFinite(value)) {
        throw new SyntaxError("a number is too large to send as it is");
      }
      return value;
    });
  } catch (error) {
    // Inline JSON is the command line written wrong; a file's contents are not: like a file that
    // cannot be read, exit 1.
    if (inline !== undefined) {
      throw new ValueError(`--${names.inline} must be JSON: ${jsonFailure(text, error)}`);
    }
    throw new InputError(
      `--${names.file} ${fileName(file!)}: not JSON: ${jsonFailure(text, error)}`,
    );
  }
}

/** The options of a command that lists one page: `--limit N` and `--cursor CURSOR`. */
export const PAGE_OPTIONS: Record<"limit" | "cursor", OptionSpec> = {
  limit: { type: "string" },
  cursor: { type: "string" },
};

/**
 * The page `--limit` and `--cursor` ask for, named as every list's query names it (`queryOf`).
 *
 * @throws {ValueError} when `--limit` is not a whole number from 1
 */
export function pageParams(values: Values): { limit?: string; cursor?: string } {
  return { limit: integerOf(values, "limit", 1)?.toString(), cursor: stringOf(values, "cursor") };
}

/** The options that send a page's query parameters, for refusals (`ManagerClient.call`'s `flags`). */
export const PAGE_FLAGS: Record<string, string> = { limit: "--limit", cursor: "--cursor" };

/** The rows of a paged list and, when there are more, the line that fetches the next page. */
export function withNextPage(text: string, nextCursor: unknown): string {
  return typeof nextCursor === "string" && nextCursor !== ""
    ? `${text}\n\nMore: add --cursor ${shellWord(nextCursor)}`
    : text;
}

/**
 * `text` as one word of a POSIX shell, to paste: as it is when it holds nothing a shell reads,
 * else in single quotes. A workers cursor ends with a worker id, which its worker chose.
 */
export function shellWord(text: string): string {
  return /^[\w.:=+\/@%,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The verb, or a usage error listing the verbs when it is missing or unknown. */
export function verbOf(group: string, args: string[], verbs: readonly string[]): string {
  const verb = args[0];
  if (verb === undefined) throw new UsageError(`${group} needs a command: ${verbs.join(", ")}`);
  if (!verbs.includes(verb)) {
    throw new UsageError(`Unknown command "${group} ${verb}" (one of: ${verbs.join(", ")})`);
  }
  return verb;
}

/**
 * Checks the words after a group's name as its `run` does before anything else, for `--help`:
 * the command is one of `group.verbs`, or, for a group that is one command, there is no word.
 *
 * @throws {UsageError} as `run` would (`Unknown command "tasks bogus" (one of: …)`)
 */
export function checkVerb(group: CommandGroup, args: string[]): void {
  if (group.verbs.length === 0) operands(group.name, args, []);
  else if (args.length > 0) verbOf(group.name, args, group.verbs);
}
