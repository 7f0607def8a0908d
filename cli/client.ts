/**
 * The command line's one way to the manager: REST calls under `/api/v1` at an address (plain
 * HTTP or TLS by its scheme) with an optional API key, answers read as JSON, refusals as errors.
 */
import { AnswerError, answerOf, type Shape } from "./answer.ts";
import { visible } from "./format.ts";

/** How long one call may take before the command gives up, in milliseconds. */
export const CALL_TIMEOUT_MS = 30_000;

/** The manager answered with an error (4xx/5xx), or could not be reached: exit code 1. */
export class ManagerError extends Error {
  override name = "ManagerError";
  /** The HTTP status of a refusal; `undefined` when the manager was not reached. */
  readonly status?: number;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** The command was written wrong (unknown verb, missing argument, bad option): exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * An option's value the command can tell is wrong without asking the manager (`--limit abc`,
 * `--run-at tomorrow`): exit code 2, as any command written wrong, but said in one line naming
 * the option, without the group's help.
 */
export class ValueError extends UsageError {
  override name = "ValueError";
}

/**
 * A file the command was told to read (`--data-file`, `-f`) cannot be read: exit code 1, as when
 * the manager cannot be reached. The command line was written right; what it names is not there.
 */
export class InputError extends Error {
  override name = "InputError";
}

/** A field error of a problem answer (`errors[]` of `application/problem+json`). */
interface Violation {
  field?: unknown;
  message?: unknown;
}

/**
 * The manager's REST base URL from an address: `https://host:8443` or `http://host:8080` as
 * given, a bare `host:port` as plain HTTP; a trailing `/` is dropped. `source` is where the address
 * came from (`--address`, or `MANAGER_URL` when no option gave one), named in a refusal.
 *
 * @throws {UsageError} when the address is not an http(s) URL or `host:port`
 * @example
 * ```ts
 * import { baseUrlOf } from "./client.ts";
 * console.log(baseUrlOf("localhost:8080")); // "http://localhost:8080"
 * ```
 */
export function baseUrlOf(address: string, source = "--address"): string {
  const notUrl = () =>
    new UsageError(`${source} must be a URL such as http://localhost:8080, not "${address}"`);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address);
  // `ht!tp://x` has no scheme a URL can have: not taken for a host `ht!tp` with a path.
  if (!scheme && address.includes("://")) throw notUrl();
  let url: URL;
  try {
    url = new URL(scheme ? address : `http://${address}`);
  } catch {
    throw notUrl();
  }
  // A host is a name (letters, digits, `-`, `_`, dot-separated) or an IP address; the URL parser
  // lets more through (`!`, `*`), which only a DNS lookup would then refuse.
  if (!HOST.test(url.hostname)) throw notUrl();
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${source} must use http:// or https://, not ${url.protocol}//`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new UsageError(`${source} takes no query, fragment or credentials (use --api-key)`);
  }
  return url.href.replace(/\/$/, "");
}

/** A host name (IDNs come as `xn--…`), an IPv4 address, or an IPv6 one in brackets. */
const HOST = /^(?:\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?)$/i;

/** REST calls to one manager; every method answers the parsed JSON body (`null` for 204). */
export class ManagerClient {
  readonly baseUrl: string;
  #apiKey: string | null;

  /** `baseUrl` as `baseUrlOf` gives it; `apiKey` sent as `authorization: Bearer …` when given. */
  constructor(baseUrl: string, options: { apiKey?: string | null } = {}) {
    this.baseUrl = baseUrl;
    this.#apiKey = options.apiKey || null;
  }

  /**
   * One call: `path` under `/api/v1` (query included); `body` an object sent as JSON, or a string
   * sent exactly as it is (a config file). `timeoutMs` (default `CALL_TIMEOUT_MS`) bounds the
   * whole call; a long poll passes its wait plus that. `shape` is what the command reads of a
   * successful answer: the answer is checked against it before the command sees it. `flags`
   * names the option that sends each query parameter (`{ confirm: "--confirm" }`): a refusal that
   * names such a parameter says which option it is.
   *
   * @throws {ManagerError} the manager's `detail` and field errors, or why it was not reached
   * @throws {AnswerError} when a successful answer is not JSON or not of `shape`
   */
  async call(
    method: string,
    path: string,
    body?: unknown,
    options: { timeoutMs?: number; shape?: Shape; flags?: Record<string, string> } = {},
  ): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? CALL_TIMEOUT_MS;
    // One call per connection: the manager closes it after answering, so no idle connection of a
    // command that has exited is left for the manager to cancel later.
    const headers = new Headers({ accept: "application/json", connection: "close" });
    if (this.#apiKey) headers.set("authorization", `Bearer ${this.#apiKey}`);
    // A POST without a JSON type (or a key) is refused as possibly cross-site: always say JSON.
    if (method !== "GET") headers.set("content-type", "application/json");
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers,
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const reason = (error as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000} s`
        : (error as Error).message;
      throw new ManagerError(
        `Cannot reach the manager at ${this.baseUrl}: ${reason}${reachHint(reason, this.baseUrl)}`,
      );
    }
    const text = await response.text();
    let parsed: unknown = null;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        const message = `The manager at ${this.baseUrl} answered ${response.status} with a body ` +
          "that is not JSON (is the address the REST port?)";
        throw response.ok ? new AnswerError(message) : new ManagerError(message);
      }
    }
    if (!response.ok) {
      throw new ManagerError(
        problemMessage(response.status, parsed, options.flags ?? {}),
        response.status,
      );
    }
    return options.shape ? answerOf(parsed, options.shape, routeOf(method, path)) : parsed;
  }
}

/** A call as its messages name it: `GET /api/v1/tasks` (the query left out). */
export function routeOf(method: string, path: string): string {
  return `${method} /api/v1${path.split("?")[0]}`;
}

/**
 * What to do about a connection that failed for a reason a user can mend, as a sentence to add to
 * its message (`""` when the reason tells nothing): plaintext to a TLS port (Deno reads the TLS
 * alert as an invalid or HTTP/0.9 answer), a connection closed unanswered (as the gRPC port does),
 * or a certificate from a CA nobody said to trust.
 */
function reachHint(reason: string, baseUrl: string): string {
  if (baseUrl.startsWith("http:") && /invalid HTTP version|HTTP\/0\.9/i.test(reason)) {
    return `. The manager answers HTTPS here: use ${baseUrl.replace(/^http:/, "https:")}`;
  }
  if (/connection closed before message completed/i.test(reason)) {
    // The gRPC port speaks HTTP/2 only and closes an HTTP/1.1 request's connection unanswered.
    return ". Is this the gRPC port? The command line talks to the REST port (MANAGER_PORT, " +
      "default 8080)";
  }
  if (/UnknownIssuer|unknown issuer|self[- ]signed/i.test(reason)) {
    return ". Its certificate's issuer is not trusted: name the CA's PEM file in DENO_CERT " +
      "(DENO_CERT=ca.pem)";
  }
  return "";
}

/**
 * The message of a problem answer: its `detail`, then each field error on a line of its own, then
 * the options (`flags`, by query parameter) of the parameters it names, in a line of its own.
 */
function problemMessage(status: number, body: unknown, flags: Record<string, string>): string {
  const problem = (typeof body === "object" && body !== null ? body : {}) as {
    detail?: unknown;
    errors?: unknown;
  };
  // The manager's text stays on its own line: a line break in it is escaped, not a new line.
  const detail = typeof problem.detail === "string" ? visible(problem.detail) : `HTTP ${status}`;
  const violations = Array.isArray(problem.errors) ? problem.errors as Violation[] : [];
  const lines = violations.length > 1
    ? violations.map((v) => `  ${visible(String(v.field || "/"))}: ${visible(String(v.message))}`)
    : [];
  // The manager's words are for every client; these say how a command sends a key, and which
  // option is the parameter a refusal names (`confirm` is `--confirm`).
  const hint = status === 401 ? ["(give an API key: --api-key or TASKS_EXECUTOR_API_KEY)"] : [];
  // A query parameter is named as it is (`limit`), a body field as a JSON pointer (`/count`).
  const named = Object.entries(flags).filter(([param]) =>
    violations.some((v) => v.field === param || v.field === `/${param}`) ||
    new RegExp(`\\b${param}\\b`).test(detail)
  );
  const options = named.length === 0
    ? []
    : [`(options: ${named.map(([param, flag]) => `${flag} for ${param}`).join(", ")})`];
  return [detail, ...lines, ...hint, ...options].join("\n");
}
