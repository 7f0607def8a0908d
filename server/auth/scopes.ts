/**
 * Who may do what: the scopes an API key carries, the permissions each scope grants, and the
 * caller (`Principal`) that every transport resolves a request to before the service acts.
 */
import type { AuthAttempt } from "./failures.ts";

/** What an API key may be for. */
export type Scope = "admin" | "producer" | "worker" | "read" | "metrics";

/** Every scope, most powerful first. */
export const SCOPES: readonly Scope[] = ["admin", "producer", "worker", "read", "metrics"];

/** The caller of one request, as authentication found it. */
export interface Principal {
  /** The API key's id (public; never the secret), or `"anonymous"` when authentication is off. */
  keyId: string;
  /** The key's name, for audit lines. */
  keyName: string;
  scopes: readonly Scope[];
  /**
   * Executors a `producer` or `worker` key is limited to; `null` = every executor. Other scopes
   * ignore it.
   */
  executors: readonly string[] | null;
}

/** The caller when authentication is turned off: may do everything. */
export const ANONYMOUS_ADMIN: Principal = Object.freeze({
  keyId: "anonymous",
  keyName: "anonymous (authentication off)",
  scopes: ["admin"] as const,
  executors: null,
});

/** Finds the caller behind a bearer token; `null` for an unknown, malformed or revoked token. */
export interface Authenticator {
  /**
   * `attempt` says where the token came from when a client presented it: a failure is then
   * counted and logged (rate-limited, without the token). Without it (a session's key checked
   * again) nothing is logged.
   */
  authenticate(token: string, attempt?: AuthAttempt): Promise<Principal | null>;
  /**
   * Calls `listener` with the id of each key found revoked (here or through another manager
   * sharing the store), so that the streams it opened are closed. Returns the unsubscribe.
   */
  onRevoked(listener: (keyId: string) => void): () => void;
}
