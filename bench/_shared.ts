/**
 * What both benchmarks (`end_to_end.ts` and `compare/`) share: the clock, statistics, number
 * formats, free ports, and child processes that report JSON events on stdout.
 */

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
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

/** Asks the system for a free loopback TCP port (closed again right away). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

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
