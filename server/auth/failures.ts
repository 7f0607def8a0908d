/**
 * Failed authentications: each is counted, and logged at info (`Authentication failed`, with the
 * key id tried when the token has one, the peer address and the transport; never the token), at
 * most once per peer address and transport a minute and `FAILURE_LINES` times a minute in all.
 */
import { log as defaultLog, type Logger } from "../log.ts";
import { LogThrottle } from "../log_throttle.ts";
import { parseToken } from "./token.ts";

/** Where a credential came from: the transport, the peer's address, and what carried it. */
export interface AuthAttempt {
  transport: "rest" | "grpc";
  /** The peer's address, `host:port` or `host` (the port is not logged; it changes per connection). */
  peer: string;
  /** What carried it: a bearer header, gRPC metadata, or a login's body. */
  via: "authorization" | "metadata" | "login";
}

/** The window of the throttles, ms: one line per peer, and `FAILURE_LINES` lines in all, per window. */
export const FAILURE_LOG_WINDOW_MS = 60_000;

/** Most lines written per window over all peers: many addresses cannot fill the log either. */
export const FAILURE_LINES = 100;

/**
 * The host of a peer address (`10.0.0.1:5000` → `10.0.0.1`, `[::1]:80` and `::1:80` → `::1`).
 *
 * @example
 * ```ts
 * import { hostOfPeer } from "./failures.ts";
 * console.log(hostOfPeer("127.0.0.1:51234")); // "127.0.0.1"
 * ```
 */
export function hostOfPeer(peer: string): string {
  const host = /^(.*):\d+$/.exec(peer)?.[1] ?? peer;
  return host.replace(/^\[(.*)\]$/, "$1");
}

/**
 * Counts and logs failed authentications (a token that is malformed, unknown, revoked or has a
 * wrong secret), rate-limited so that a flood of guesses cannot fill the log: the first failure of
 * a peer address on a transport in each window is written, the next written line of that peer
 * says how many were left out (`suppressed`), and past `FAILURE_LINES` lines in a window nothing
 * more is written until the next, whose first line says how many were left out that way
 * (`suppressedElsewhere`).
 *
 * @example
 * ```ts
 * import { AuthFailureLog } from "./failures.ts";
 * const failures = new AuthFailureLog({ now: () => 0 });
 * const attempt = { transport: "rest", peer: "10.0.0.1:5000", via: "authorization" } as const;
 * failures.note("te_0123456789abcdef_wrong", attempt);
 * console.log(failures.counts()); // { rest: 1, grpc: 0 }
 * ```
 */
export class AuthFailureLog {
  readonly #now: () => number;
  readonly #log: Logger | null;
  readonly #perPeer = new LogThrottle(FAILURE_LOG_WINDOW_MS);
  readonly #counts = { rest: 0, grpc: 0 };
  #windowStart = -Infinity;
  #lines = 0;
  /** Lines left out because the window's `FAILURE_LINES` were written. */
  #overflow = 0;

  /** @param options.log where lines go (default the manager's logger) */
  constructor(options: { now?: () => number; log?: Logger } = {}) {
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? null;
  }

  /** Failed authentications since start, by transport (for metrics). */
  counts(): { rest: number; grpc: number } {
    return { ...this.#counts };
  }

  /**
   * Counts a failure of `token` (null when it was not sent as `Bearer <token>`) and logs it
   * unless throttled.
   */
  note(token: string | null, attempt: AuthAttempt): void {
    this.#counts[attempt.transport]++;
    const now = this.#now();
    if (now - this.#windowStart >= FAILURE_LOG_WINDOW_MS) {
      this.#windowStart = now;
      this.#lines = 0;
    }
    const peer = hostOfPeer(attempt.peer);
    if (this.#lines >= FAILURE_LINES) {
      this.#overflow++;
      return;
    }
    const suppressed = this.#perPeer.admit(`${attempt.transport} ${peer}`, now);
    if (suppressed === null) return;
    this.#lines++;
    const elsewhere = this.#overflow;
    this.#overflow = 0;
    const keyId = token === null ? null : parseToken(token)?.id ?? null;
    (this.#log ?? defaultLog).info("Authentication failed", {
      transport: attempt.transport,
      peer,
      via: attempt.via,
      // Only the public part of a well-formed token; never the token or its secret.
      keyId,
      reason: token === null
        ? "not sent as Bearer <token>"
        : keyId === null
        ? "not an API key token"
        : "the key is unknown or revoked, or the secret is wrong",
      ...(suppressed > 0 ? { suppressed } : {}),
      ...(elsewhere > 0 ? { suppressedElsewhere: elsewhere } : {}),
    });
  }
}
