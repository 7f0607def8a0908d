/**
 * Structured logs: one JSON object per line (level, time, msg, fields) on stderr, or a readable
 * line in development. Task data never goes into info-level fields.
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

function serializable(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error
      ? { name: value.name, message: value.message, stack: value.stack }
      : value;
  }
  return out;
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
