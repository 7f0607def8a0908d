/**
 * `tasks-executor healthcheck`: asks the local manager's /readyz and exits 0 when it is ready,
 * 1 otherwise, saying in one line what it asked and why it failed (for container health checks,
 * where no curl is installed).
 */
import { get } from "node:https";

/** How to use the command, printed for `healthcheck --help` (`-h`, `help healthcheck`). */
export const HEALTHCHECK_USAGE = `Usage: tasks-executor healthcheck

  Exits 0 when the manager of this machine is ready: asks /readyz on 127.0.0.1 at MANAGER_PORT
  (HTTPS when the manager's TLS is set), read from the manager's configuration as a start reads
  it, not MANAGER_URL, which names the manager the other commands talk to. Otherwise exits 1,
  saying in one line what it asked and why. It takes no arguments; it is the container's check
  of its own manager.

Exit codes: 0 ready; 1 not ready or not reached; 2 the command was written wrong (an argument
given, said in one line before this help) or the configuration is invalid.`;

/** The words that ask for the help (after `healthcheck`, alone or repeated). */
const HELP_WORDS = ["help", "--help", "-h"];

/**
 * Runs `healthcheck …` (`args` without the leading word): with only help words, prints the help
 * (exit 0); with any other word, exit 2 naming it, before the configuration is read; else checks
 * the manager of the configuration `readConfig` gives (`healthcheck`).
 *
 * @example
 * ```ts ignore
 * Deno.exit(await healthcheckCommand([], () => ({ port: 8080, tls: false })));
 * ```
 */
export async function healthcheckCommand(
  args: readonly string[],
  readConfig: () => { port: number; tls: boolean },
  options: { managerUrl?: string; out?: (text: string) => void; err?: (text: string) => void } = {},
): Promise<number> {
  const out = options.out ?? ((text: string) => console.log(text));
  const err = options.err ?? ((text: string) => console.error(text));
  const other = args.find((arg) => !HELP_WORDS.includes(arg));
  if (other !== undefined) {
    // A word after it is a command line written wrong, not ignored, --help or not (as git
    // refuses `git remote bogus --help`).
    err(`healthcheck takes no arguments, not ${JSON.stringify(other)}\n\n${HEALTHCHECK_USAGE}`);
    return 2;
  }
  if (args.length > 0) {
    out(HEALTHCHECK_USAGE);
    return 0;
  }
  const { port, tls } = readConfig();
  return await healthcheck(port, { tls, managerUrl: options.managerUrl });
}

/** Options of `healthcheck`. */
export interface HealthcheckOptions {
  /** The manager serves HTTPS on its REST port. */
  tls: boolean;
  /**
   * MANAGER_URL, when set: not what the check asks (it checks the manager of its own machine, on
   * MANAGER_PORT), so a failure says so, lest it be taken for a check of that address.
   */
  managerUrl?: string;
  /** Where the line saying why the check failed goes (stderr by default). */
  report?: (line: string) => void;
}

/**
 * Exit code for the readiness of the manager on `port` of this machine (127.0.0.1), the port a
 * manager started with the same configuration listens on; a failure is said in one line. Its
 * certificate is not checked: the check talks to its own machine over loopback, sends no secret
 * and reads only a status, and the certificate names the public host, not 127.0.0.1.
 *
 * @example
 * ```ts ignore
 * Deno.exit(await healthcheck(8080, { tls: false }));
 * // Not ready: http://127.0.0.1:8080/readyz (MANAGER_PORT=8080): connection refused, …
 * ```
 */
export async function healthcheck(port: number, options: HealthcheckOptions): Promise<number> {
  const report = options.report ?? ((line: string) => console.error(line));
  const url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}/readyz`;
  let problem: string;
  try {
    const status = options.tls ? await httpsStatus(url) : await httpStatus(url);
    if (status === 200) return 0;
    problem = `answered HTTP ${status}${status === 503 ? " (up, not ready: see /readyz)" : ""}`;
  } catch (error) {
    problem = reason(error as Error);
  }
  const elsewhere = options.managerUrl === undefined
    ? ""
    : `; MANAGER_URL (${options.managerUrl}) is not what healthcheck checks: it checks the ` +
      "manager of this machine, on MANAGER_PORT";
  report(`Not ready: ${url} (MANAGER_PORT=${port}): ${problem}${elsewhere}`);
  return 1;
}

/** Why a request failed, in a few words. */
function reason(error: Error): string {
  if (error.name === "TimeoutError" || /timed out/i.test(error.message)) {
    return "no answer within 2 seconds";
  }
  if (/Connection refused|ECONNREFUSED/i.test(error.message)) {
    return "connection refused, no manager listens there";
  }
  // Deno 2.7's words: `error sending request from 127.0.0.1:56352 for http://…/readyz (…): …`.
  return error.message.replace(
    /^error sending request (?:for url \([^)]*\)|from \S+ for \S+ \([^)]*\)): /,
    "",
  );
}

async function httpStatus(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.body?.cancel();
  return response.status;
}

function httpsStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(
      url,
      { rejectUnauthorized: false, timeout: 2000, agent: false },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("timeout", () => request.destroy(new Error("Timed out")));
    request.on("error", reject);
  });
}
