/**
 * The worker's loggers: the default one writes a line per event to the console
 * (`[tasks-executor] message {fields as JSON}`, info and up), and `logger: false` silences it.
 */
import type { LogFields, Logger } from "./types.ts";

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The logger a `WorkerOptions.logger` value asks for: `false` silent, none the console. */
export function workerLogger(option: Logger | false | undefined): Logger {
  return option === false ? SILENT : option ?? consoleLogger();
}

function consoleLogger(): Logger {
  const line = (msg: string, fields?: LogFields) => {
    if (!fields || Object.keys(fields).length === 0) return `[tasks-executor] ${msg}`;
    let rendered: string;
    try {
      rendered = JSON.stringify(fields);
    } catch {
      rendered = String(fields);
    }
    return `[tasks-executor] ${msg} ${rendered}`;
  };
  return {
    debug() {},
    info: (msg, fields) => console.log(line(msg, fields)),
    warn: (msg, fields) => console.warn(line(msg, fields)),
    error: (msg, fields) => console.error(line(msg, fields)),
  };
}
