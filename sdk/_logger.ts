/**
 * The worker's loggers: the default one writes a line per event to the console
 * (`2026-12-02T20:50:12.239Z [tasks-executor] message {fields as JSON}`: the time in UTC, info and
 * up), and `logger: false` silences it.
 */
import type { LogFields, Logger } from "./types.ts";

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * What is wrong with `option` as `WorkerOptions.logger` (`null`: nothing): it must be `false`,
 * left out (`null` too), or an object with the four methods of a `Logger`. `true`, say, was taken
 * as the logger and failed at the worker's first line, inside its start.
 */
export function loggerProblem(option: unknown): string | null {
  if (option === undefined || option === null || option === false) return null;
  const methods = option as Record<string, unknown>;
  if (
    typeof option === "object" && typeof methods.debug === "function" &&
    typeof methods.info === "function" && typeof methods.warn === "function" &&
    typeof methods.error === "function"
  ) return null;
  return "Must be false or a logger: an object with debug, info, warn and error functions";
}

/** The logger a `WorkerOptions.logger` value asks for: `false` silent, none the console. */
export function workerLogger(option: Logger | false | null | undefined): Logger {
  return option === false ? SILENT : option ?? consoleLogger();
}

function consoleLogger(): Logger {
  const line = (msg: string, fields?: LogFields) => {
    const head = `${new Date().toISOString()} [tasks-executor] ${msg}`;
    if (!fields || Object.keys(fields).length === 0) return head;
    let rendered: string;
    try {
      rendered = JSON.stringify(fields);
    } catch {
      rendered = String(fields);
    }
    return `${head} ${rendered}`;
  };
  return {
    debug() {},
    info: (msg, fields) => console.log(line(msg, fields)),
    warn: (msg, fields) => console.warn(line(msg, fields)),
    error: (msg, fields) => console.error(line(msg, fields)),
  };
}
