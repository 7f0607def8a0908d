/**
 * The error of the HTTP layer itself, beside the domain errors; problem.ts maps both to answers.
 */

/**
 * A failure of the HTTP layer itself that has no domain meaning: a body too large, a media type
 * the API does not speak, an unknown route, a foreign `Host`, a request from another site, a
 * client past a rate limit.
 */
export class HttpError extends Error {
  override name = "HttpError";
  /** The HTTP status to answer with. */
  readonly status: 403 | 404 | 405 | 408 | 413 | 415 | 421 | 429;
  /** Headers to add to the answer (e.g. `Allow`). */
  readonly headers: Record<string, string>;
  constructor(
    status: 403 | 404 | 405 | 408 | 413 | 415 | 421 | 429,
    message: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** The most of a client's value (a header, a path) an answer or a log line repeats. */
const ECHOED_CHARS = 256;

/**
 * `value` as an answer or a log line repeats it: its first `ECHOED_CHARS` characters, then "…" (a
 * Content-Type of 400,000 bytes came back whole in its 415, and a 60 KB path in an audit line).
 *
 * @example
 * ```ts
 * import { echoed } from "./http_error.ts";
 * console.log(echoed("x".repeat(300)).length); // 257
 * ```
 */
export function echoed(value: string): string {
  return value.length > ECHOED_CHARS ? `${value.slice(0, ECHOED_CHARS)}…` : value;
}
