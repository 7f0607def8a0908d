/**
 * The worker's loggers: the default one writes a line per event to the console
 * (`2026-12-02T20:50:12.239Z [tasks-executor] message {fields as JSON}`: the time in UTC, info and
 * up), and `logger: false` silences it.
 */
import type { LogFields, Logger } from "./types.ts";

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The logger a `WorkerOptions.logger` value asks for: `false` silent, none the console. */
export function workerLogger(option: Logger | false | undefined): Logger {
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
