/**
 * Structured logs: one JSON object per line (level, time, msg, fields) on stderr, or a readable
 * line in development. Task data never goes into info-level fields, and strings are logged cut to
 * `LOGGED_CHARS`.
 */
import type { LogLevel } from "./config.ts";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra fields of a log line (task and executor ids, counts, errors). */
export type LogFields = Record<string, unknown>;

/** A leveled logger. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/**
 * Most characters of one string a log line keeps (a field's, one within arrays and plain objects
 * down to four levels, an error's message or stack, the message itself); the rest is left out,
 * with the length said. Many fields carry what a client sent: 20 worker hellos with an SDK version
 * of 4,000,000 characters wrote 80 MB of log. Deeper values, and other objects (a `Date`, a class
 * instance), are logged as they are: the manager's log calls pass none that hold a client's text.
 */
export const LOGGED_CHARS = 4_096;

/** `text` cut to `LOGGED_CHARS`, saying how long it was. */
function cut(text: string): string {
  return text.length <= LOGGED_CHARS
    ? text
    : `${text.slice(0, LOGGED_CHARS)}… (${text.length} characters)`;
}

/**
 * `value` as a log line holds it: errors as their name, message and stack, strings cut, and the
 * same within arrays and plain objects down to `depth` levels (other objects as they are: a
 * `Date` keeps its `toJSON`).
 */
function loggable(value: unknown, depth = 3): unknown {
  if (typeof value === "string") return cut(value);
  if (value instanceof Error) {
    return {
      name: value.name,
      message: cut(value.message),
      stack: value.stack === undefined ? undefined : cut(value.stack),
    };
  }
  if (depth === 0 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => loggable(item, depth - 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, loggable(item, depth - 1)]),
  );
}

function serializable(fields: LogFields): LogFields {
  return loggable(fields, 4) as LogFields;
}

/**
 * Makes a logger writing lines through `write` (default: stderr).
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const log = createLogger({ level: "info", format: "json" });
 * log.info("Manager started", { httpPort: 8080 });
 * ```
 */
export function createLogger(
  options: { level: LogLevel; format: "json" | "pretty"; write?: (line: string) => void },
): Logger {
  const encoder = new TextEncoder();
  const write = options.write ??
    ((line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n")));
  const min = RANK[options.level];
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (RANK[level] < min) return;
    msg = cut(msg);
    const time = new Date().toISOString();
    if (options.format === "json") {
      write(JSON.stringify({ level, time, msg, ...serializable(fields) }));
    } else {
      const extra = Object.entries(serializable(fields))
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
      write(
        `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? " " + extra : ""}`,
      );
    }
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

let current: Logger = createLogger({ level: "warn", format: "json" });

/** Makes `logger` the one every part of the manager writes to (main.ts sets it at start). */
export function setLogger(logger: Logger): void {
  current = logger;
}

/**
 * The manager's logger. Until `setLogger` is called it writes warnings and errors only, as JSON.
 *
 * @example
 * ```ts
 * import { log } from "./log.ts";
 * log.warn("Lease rescue failed", { executor: "send_email" });
 * ```
 */
export const log: Logger = {
  debug: (msg, fields) => current.debug(msg, fields),
  info: (msg, fields) => current.info(msg, fields),
  warn: (msg, fields) => current.warn(msg, fields),
  error: (msg, fields) => current.error(msg, fields),
};
