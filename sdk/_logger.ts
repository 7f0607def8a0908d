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

/**
 * The logger a `WorkerOptions.logger` value asks for: `false` silent, none the console, a user's
 * guarded (`guardedLogger`).
 */
export function workerLogger(option: Logger | false | null | undefined): Logger {
  return option === false ? SILENT : option ? guardedLogger(option) : consoleLogger();
}

/**
 * `logger` with each call guarded: a method that throws (or returns a promise that rejects) is
 * swallowed, so that it never fails the worker's own work. The SDK logs from stream handlers and
 * timers, where the throw would have ended the process. The first failure is written with
 * `console.error` once, with the line it lost; later ones are dropped silently.
 */
export function guardedLogger(logger: Logger): Logger {
  let told = false;
  const call = (level: keyof Logger, msg: string, fields?: LogFields) => {
    const failed = (error: unknown) => {
      if (told) return;
      told = true;
      try {
        console.error(
          `[tasks-executor] The logger's ${level} method threw, so this line and later ones it ` +
            `fails on are not logged: ${msg}`,
          error,
        );
      } catch {
        // Nothing left to tell.
      }
    };
    try {
      const result: unknown = logger[level](msg, fields);
      if (typeof (result as PromiseLike<unknown> | null)?.then === "function") {
        (result as PromiseLike<unknown>).then(undefined, failed);
      }
    } catch (error) {
      failed(error);
    }
  };
  return {
    debug: (msg, fields) => call("debug", msg, fields),
    info: (msg, fields) => call("info", msg, fields),
    warn: (msg, fields) => call("warn", msg, fields),
    error: (msg, fields) => call("error", msg, fields),
  };
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
