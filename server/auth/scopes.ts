/**
 * Who may do what: the scopes an API key carries, the permissions each scope grants, and the
 * caller (`Principal`) that every transport resolves a request to before the service acts.
 */
import type { ProtoEnum } from "../domain/proto_enum.ts";
import { type AuthAttempt, hostOfPeer } from "./failures.ts";

/** What an API key may be for. */
export type Scope = "admin" | "producer" | "worker" | "read" | "metrics";

/** Every scope, most powerful first. */
export const SCOPES: readonly Scope[] = ["admin", "producer", "worker", "read", "metrics"];

/** `Scope` of `taskexecutor.v1`, as REST reads it (`protoEnumOf`). */
export const SCOPE_ENUM: ProtoEnum<Scope> = {
  names: SCOPES,
  prefix: "SCOPE_",
  numbers: { admin: 1, producer: 2, worker: 3, read: 4, metrics: 5 },
};

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
  /**
   * Whom the caller's page reads wait their turn as (`PAGE_READ_TURNS`), when not as its key:
   * with authentication off, its client's host (`anonymousFrom`).
   */
  reader?: string;
}

/** The caller when authentication is turned off: may do everything. */
export const ANONYMOUS_ADMIN: Principal = Object.freeze({
  keyId: "anonymous",
  keyName: "anonymous (authentication off)",
  scopes: ["admin"] as const,
  executors: null,
});

/**
 * The caller from `peer` (`host:port`) when authentication is turned off: `ANONYMOUS_ADMIN`,
 * its page reads waiting their turn as its host's (`anonymous@10.0.0.7`). As one owner, every
 * client's reads queued in one line, and one client's 64 waiting (`PAGE_READS_WAITING_PER_KEY`)
 * had every other client's refused.
 *
 * @example
 * ```ts
 * import { anonymousFrom } from "./scopes.ts";
 * console.log(anonymousFrom("10.0.0.7:51234").reader); // "anonymous@10.0.0.7"
 * ```
 */
export function anonymousFrom(peer: string): Principal {
  return Object.freeze({ ...ANONYMOUS_ADMIN, reader: `anonymous@${hostOfPeer(peer)}` });
}

/** Whom `caller`'s page reads wait their turn as: its `reader`, else its key. */
export function readerOf(caller: Principal): string {
  return caller.reader ?? caller.keyId;
}

/** Finds the caller behind a bearer token; `null` for an unknown, malformed or revoked token. */
export interface Authenticator {
  /**
   * `attempt` says where the token came from when a client presented it: a failure is then
   * counted and logged (rate-limited, without the token). Without it (a session's key checked
   * again) nothing is logged. A `null` token is a credential not sent as `Bearer <token>`: it
   * authenticates nothing, and fails so.
   */
  authenticate(token: string | null, attempt?: AuthAttempt): Promise<Principal | null>;
  /**
   * Calls `listener` with the id of each key found revoked (here or through another manager
   * sharing the store), so that the streams it opened are closed. Returns the unsubscribe.
   */
  onRevoked(listener: (keyId: string) => void): () => void;
}
