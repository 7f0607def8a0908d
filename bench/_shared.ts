/**
 * What the benchmarks (`end_to_end.ts`, `managers.ts` and `compare/`) share: the clock, statistics,
 * number formats, tables, free ports, manager processes, producers, and child processes that report
 * JSON events on stdout.
 */
import { WRITE_CONCERN_LEVELS } from "../server/domain/executor.ts";
import { freePort } from "../tests/fixtures/ports.ts";

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The p50, p95 and p99 of a sample. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** The p50, p95 and p99 of `values` (nearest rank). */
export function percentiles(values: number[]): Percentiles {
  return {
    p50: percentile(values, 0.5),
    p95: percentile(values, 0.95),
    p99: percentile(values, 0.99),
  };
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A count for a table: `20,822`. */
export const int = (n: number): string => Math.round(n).toLocaleString("en");
/** Milliseconds for a table: two decimals under 10, one above. */
export const ms = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

/** One row of a benchmark table: a label, one value per run, and how to print a value. */
export type Row = [label: string, values: number[], format: (n: number) => string];

/** A markdown table of `rows`: one column per run (`runs` of them), then the median. */
export function table(rows: Row[], runs: number): string {
  const header = ["measurement", ...Array.from({ length: runs }, (_, i) => `run ${i + 1}`)];
  header.push("median");
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
  ];
  for (const [label, values, format] of rows) {
    const cells = values.map(format);
    while (cells.length < runs) cells.push("");
    lines.push(`| ${[label, ...cells, format(median(values))].join(" | ")} |`);
  }
  return lines.join("\n");
}

export { freePort };

/** Keeps the last bytes of a child's output, to show when something goes wrong. */
export function tail(stream: ReadableStream<Uint8Array>): () => string {
  let text = "";
  (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text = (text + chunk).slice(-8000);
    }
  })().catch(() => {});
  return () => text;
}

/** The processor's model name, for the report. */
export async function cpuModel(): Promise<string> {
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    return /model name\s*:\s*(.+)/.exec(info)?.[1].trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

/** One line a benchmark child prints on stdout: `{"event": "…", …}`. */
export interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

/**
 * A Deno child process that takes commands as lines on stdin and reports JSON events, one per
 * line, on stdout (other lines are ignored); `stop()` sends `quit` and waits for it to exit.
 */
export class EventChild {
  readonly child: Deno.ChildProcess;
  readonly stderr: () => string;
  readonly #name: string;
  #events: ChildEvent[] = [];
  #wake: (() => void) | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #exited = false;

  /**
   * Runs `deno run -A …args` in `cwd` (or the executable `command` with `args`); `name` says
   * which child in error messages.
   */
  constructor(
    name: string,
    args: string[],
    options: { cwd: URL; env?: Record<string, string>; command?: string },
  ) {
    this.#name = name;
    this.child = new Deno.Command(options.command ?? Deno.execPath(), {
      args: options.command ? args : ["run", "-A", ...args],
      cwd: options.cwd,
      env: options.env ?? {},
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.stderr = tail(this.child.stderr);
    this.#writer = this.child.stdin.getWriter();
    this.child.status.then(() => {
      this.#exited = true;
      this.#wake?.();
    });
    this.#read();
  }

  async #read(): Promise<void> {
    let buffer = "";
    for await (const chunk of this.child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          this.#events.push(JSON.parse(line));
        } catch {
          continue; // not one of our lines
        }
        this.#wake?.();
      }
    }
  }

  /** Waits for the next event of this type (earlier events of other types are dropped). */
  async next(type: string, timeoutMs: number): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const i = this.#events.findIndex((e) => e.event === type);
      if (i >= 0) return this.#events.splice(0, i + 1)[i];
      if (this.#exited) {
        throw new Error(`${this.#name} exited while waiting for "${type}":\n${this.stderr()}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.#name} sent no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Sends one command line. */
  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** Asks the child to quit, and kills it if it has not within 10 s. */
  async stop(): Promise<void> {
    await this.send("quit").catch(() => {});
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.child.status;
    clearTimeout(timer);
  }
}

const encoder = new TextEncoder();

/** In a child: writes one event line on stdout, which the driver reads line by line. */
export function emit(event: ChildEvent): void {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(event) + "\n"));
}

/**
 * In a child: runs `handle(command, arg)` for each command line the driver sends on stdin, until
 * stdin closes (the driver is gone) or a handler returns `"quit"`.
 */
export async function readCommands(
  handle: (command: string, arg: string | undefined) => void | "quit" | Promise<void | "quit">,
): Promise<void> {
  let buffer = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const [command, arg] = buffer.slice(0, newline).trim().split(/\s+/);
      buffer = buffer.slice(newline + 1);
      if (await handle(command, arg) === "quit") return;
    }
  }
}

/**
 * Runs `deno run -A …args` in `cwd` to its end and gives its stdout.
 *
 * @throws {Error} naming `what`, the command and the end of its stderr, when it fails
 */
export async function runDeno(what: string, args: string[], cwd: URL): Promise<string> {
  const command = ["run", "-A", ...args];
  const out = await new Deno.Command(Deno.execPath(), {
    args: command,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  if (!out.success) {
    throw new Error(
      `${what} (deno ${command.join(" ")}) failed with exit code ${out.code}:\n` +
        decoder.decode(out.stderr).slice(-8000),
    );
  }
  return decoder.decode(out.stdout);
}

const ROOT = new URL("..", import.meta.url);

/** CPU seconds (user + system, all threads) a process has used so far, from /proc; NaN if gone. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // Fields after the command name (which may hold spaces) start at the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks
  } catch {
    return NaN;
  }
}

/** A manager process (`main.ts`) the benchmark started, with auth off, on free loopback ports. */
export interface ManagerProcess {
  child: Deno.ChildProcess;
  /** `http://127.0.0.1:<port>`: REST. */
  httpUrl: string;
  /** `127.0.0.1:<port>`: gRPC. */
  grpcAddress: string;
  /** The end of its stderr. */
  stderr: () => string;
}

/**
 * Starts a manager process on the store `store` names (`{ DATA_DIR }`, or `{ MONGO_URI, MONGO_DB }`)
 * and waits until `/readyz` answers (at most 60 s). `profDir` = write a V8 CPU profile there.
 *
 * @throws {Error} with the end of its stderr, when it exits or is not ready in time
 */
export async function startManagerProcess(
  store: Record<string, string>,
  profDir?: string,
): Promise<ManagerProcess> {
  const httpPort = freePort();
  const grpcPort = freePort();
  const profile = profDir ? [`--cpu-prof-dir=${profDir}`, "--cpu-prof-md"] : [];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...profile, "main.ts"],
    cwd: ROOT,
    env: {
      MANAGER_HOST: "127.0.0.1",
      MANAGER_PORT: String(httpPort),
      MANAGER_GRPC_PORT: String(grpcPort),
      LOG_LEVEL: "warn",
      AUTH: "off",
      ...store,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = tail(child.stderr);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 60_000;
  let exited = false;
  child.status.then(() => (exited = true));
  while (true) {
    if (exited) throw new Error(`Manager exited before it was ready:\n${stderr()}`);
    try {
      const response = await fetch(`${httpUrl}/readyz`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`Manager not ready after 60 s:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, httpUrl, grpcAddress: `127.0.0.1:${grpcPort}`, stderr };
}

/** Stops a manager with SIGTERM (its graceful shutdown), SIGKILL after 20 s. */
export async function stopManagerProcess(manager: ManagerProcess): Promise<void> {
  manager.child.kill("SIGTERM");
  const timer = setTimeout(() => manager.child.kill("SIGKILL"), 20_000);
  await manager.child.status;
  clearTimeout(timer);
}

/** What a producer needs of the SDK `Client`. */
export interface Producer {
  createTasks(tasks: { executorName: string; data: unknown }[]): Promise<unknown>;
}

/**
 * Creates `count` tasks of `executor` (data `{ n }`, n from `offset`; with `keys`, also
 * `key: "k<n % keys>"`) in batches of `batch`, `inFlight` batches at a time; the lanes take turns
 * over `producers` (lane i creates through `producers[i % producers.length]`).
 */
export async function enqueue(
  producers: Producer[],
  executor: string,
  count: number,
  options: { batch: number; inFlight: number; offset?: number; keys?: number },
): Promise<void> {
  let next = 0;
  const offset = options.offset ?? 0;
  const lane = async (producer: Producer) => {
    while (next < count) {
      const from = next;
      const size = Math.min(options.batch, count - from);
      next += size;
      const tasks = Array.from({ length: size }, (_, i) => {
        const n = offset + from + i;
        return {
          executorName: executor,
          data: options.keys ? { n, key: `k${n % options.keys}` } : { n },
        };
      });
      await producer.createTasks(tasks);
    }
  };
  await Promise.all(
    Array.from({ length: options.inFlight }, (_, i) => lane(producers[i % producers.length])),
  );
}

/**
 * A whole-number command-line flag from `parseArgs`'s values: `fallback` when it is absent.
 *
 * @throws {Error} naming `--name` when it is not a whole number of at least `min`
 */
export function wholeFlag(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min = 1,
): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be a whole number of at least ${min}, got "${text}"`);
  }
  return n;
}

/**
 * The `--write-concern` flag, an executor write concern level: `journaled` when absent.
 *
 * @throws {Error} when it names no level
 */
export function writeConcernFlag(text: string | undefined): string {
  const level = text ?? "journaled";
  if (!(WRITE_CONCERN_LEVELS as readonly string[]).includes(level)) {
    throw new Error(
      `--write-concern must be one of ${WRITE_CONCERN_LEVELS.join(", ")}, got "${level}"`,
    );
  }
  return level;
}
