/**
 * A throwaway Redis for the BullMQ side: Debian's `redis-server` on a free loopback port, started
 * and stopped by the benchmark, either without persistence (`--save "" --appendonly no`) or with
 * every write on disk before Redis answers it (`--appendonly yes --appendfsync always`: the same
 * promise as our `journaled` write concern).
 */
import { freePort, tail } from "../_shared.ts";

/** `redis-server` is not installed (or not at the path given). */
export class RedisMissingError extends Error {
  constructor(command: string) {
    super(
      `Cannot run the BullMQ side: "${command}" was not found. Install Redis ` +
        `(Debian: apt-get install redis-server) and run again`,
    );
    this.name = "RedisMissingError";
  }
}

/**
 * How Redis keeps its data: `none` = in memory only (lost when it stops); `fsync-always` = its
 * append-only file, `fsync`ed before each write is answered.
 */
export type RedisPersistence = "none" | "fsync-always";

/** The command-line flags of each persistence mode. */
const PERSISTENCE_FLAGS: Record<RedisPersistence, string[]> = {
  "none": ["--save", "", "--appendonly", "no"],
  "fsync-always": ["--save", "", "--appendonly", "yes", "--appendfsync", "always"],
};

export interface RedisServer extends AsyncDisposable {
  host: string;
  port: number;
  persistence: RedisPersistence;
  /** `redis-server --version`'s version, e.g. "7.0.15". */
  version: string;
  stop(): Promise<void>;
}

/** Answers whether a Redis on this port replies to PING. */
async function ping(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const buffer = new Uint8Array(64);
      const n = await conn.read(buffer);
      return n !== null && new TextDecoder().decode(buffer.subarray(0, n)).startsWith("+PONG");
    } finally {
      conn.close();
    }
  } catch {
    return false;
  }
}

/**
 * Starts `redis-server` and waits until it answers; throws {@linkcode RedisMissingError} when the
 * command does not exist.
 */
export async function redisStart(
  options: { command?: string; persistence?: RedisPersistence } = {},
): Promise<RedisServer> {
  const command = options.command ?? "redis-server";
  const persistence = options.persistence ?? "none";
  let versionText: string;
  try {
    const out = await new Deno.Command(command, { args: ["--version"], stdout: "piped" }).output();
    versionText = new TextDecoder().decode(out.stdout);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      throw new RedisMissingError(command);
    }
    throw error;
  }
  const version = /v=(\S+)/.exec(versionText)?.[1] ?? "unknown";

  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "tasks-executor-redis-" });
  const child = new Deno.Command(command, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      ...PERSISTENCE_FLAGS[persistence],
      "--dir",
      dir,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = tail(child.stdout);
  const errors = tail(child.stderr);
  let exited = false;
  child.status.then(() => (exited = true));

  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.status;
      clearTimeout(timer);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  const deadline = Date.now() + 20_000;
  while (!(await ping(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}:\n${output()}${errors()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    host: "127.0.0.1",
    port,
    persistence,
    version,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
