/**
 * What a worker says about where it runs, in its hello: host name, process id and runtime. Read
 * once; what the runtime will not tell (Deno without `--allow-sys`) is left empty.
 */
import os from "node:os";
import process from "node:process";

function hostName(): string {
  try {
    return os.hostname();
  } catch {
    return "";
  }
}

/** The runtime and its version: `deno 2.7.14`, `node v22.1.0`, or `bun 1.1.0`. */
function runtimeName(): string {
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno;
  if (deno) return `deno ${deno}`;
  const bun = (process.versions as Record<string, string | undefined>).bun;
  return bun ? `bun ${bun}` : `node ${process.version}`;
}

/** Host name, process id and runtime of this process. */
export const WORKER_HOST: { host: string; pid: number; runtime: string } = {
  host: hostName(),
  pid: process.pid,
  runtime: runtimeName(),
};
