/**
 * API keys: the public view of a stored key, the caller it stands for, and the authenticator that
 * finds the caller behind a token (the token format is in `token.ts`).
 */
import { UnavailableError } from "../domain/errors.ts";
import { log } from "../log.ts";
import type { ApiKeyRecord, Store } from "../store/store.ts";
import { type AuthAttempt, AuthFailureLog } from "./failures.ts";
import { type Authenticator, type Principal, type Scope, SCOPES } from "./scopes.ts";
import { parseToken, secretMatches } from "./token.ts";

/** A key as callers may see it: everything but the secret and its hash. */
export interface ApiKey {
  id: string;
  name: string;
  scopes: Scope[];
  /** Executors a producer or worker key is limited to; `null` = every executor. */
  executors: string[] | null;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms of the latest use seen (recorded about once a second), or `null`. */
  lastUsedAt: number | null;
  /** Epoch ms, or `null` while the key is valid. */
  revokedAt: number | null;
}

function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** The public view of a stored key (no secret hash; scopes this version does not know left out). */
export function toApiKey(record: ApiKeyRecord): ApiKey {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes.filter(isScope),
    executors: record.executors === null ? null : [...record.executors],
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt,
    revokedAt: record.revokedAt,
  };
}

/** The caller a valid key stands for. */
export function principalOf(record: ApiKeyRecord): Principal {
  const key = toApiKey(record);
  return { keyId: key.id, keyName: key.name, scopes: key.scopes, executors: key.executors };
}

/**
 * The least time between the starts of two reads of the keys, in ms. A token whose key id is not
 * in memory waits for a read that starts after it came; tokens of made-up ids sent one after the
 * other kept a read of every key going back to back, on the manager's thread (see the README's
 * Security section for what it cost).
 */
export const KEY_READ_INTERVAL_MS = 100;

/** Options of `KeyAuthenticator.start`. */
export interface KeyAuthenticatorOptions {
  /** How often the keys are read again from the store and uses written (default 1000 ms). */
  refreshMs?: number;
  /** The clock for last-use times and the failure log's windows (default `Date.now`). */
  now?: () => number;
}

/**
 * Finds the caller behind a token from the store's valid keys, held in memory and read again
 * every `refreshMs`, so a key revoked through any manager sharing the store is refused here
 * within that time. A token whose id is not in memory waits for a read that starts after it
 * arrived (a key made a moment ago works within `KEY_READ_INTERVAL_MS`); such reads are one at a
 * time and `KEY_READ_INTERVAL_MS` apart at least, so unknown tokens cannot multiply store calls.
 * Uses are written in one batch per refresh, never one per call. While the store is away the keys
 * last read keep working.
 *
 * @example
 * ```ts ignore
 * await using keys = await KeyAuthenticator.start(store);
 * const caller = await keys.authenticate("te_…"); // Principal | null
 * ```
 */
export class KeyAuthenticator implements Authenticator, AsyncDisposable {
  readonly #store: Store;
  readonly #now: () => number;
  /** Failed authentications of tokens clients presented: counted, and logged rate-limited. */
  readonly failures: AuthFailureLog;
  #valid = new Map<string, ApiKeyRecord>();
  /** Latest use of each key since the last write, by key id. */
  #uses = new Map<string, number>();
  #revokedListeners = new Set<(keyId: string) => void>();
  #running: Promise<void> | null = null;
  #queued: Promise<void> | null = null;
  #timer: number | undefined;
  #closed = false;
  /** When the latest read started (`performance.now()`). */
  #lastRead = -Infinity;

  private constructor(store: Store, options: KeyAuthenticatorOptions) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.failures = new AuthFailureLog({ now: this.#now });
  }

  /**
   * Reads the keys once and starts refreshing them.
   *
   * @throws {UnavailableError} when the store cannot be read
   */
  static async start(
    store: Store,
    options: KeyAuthenticatorOptions = {},
  ): Promise<KeyAuthenticator> {
    const authenticator = new KeyAuthenticator(store, options);
    await authenticator.refresh();
    authenticator.#timer = setInterval(() => {
      authenticator.refresh().catch((error) => {
        log.warn("Cannot read API keys from the store; the keys read before stay in use", {
          error: (error as Error).message,
        });
      });
    }, options.refreshMs ?? 1000);
    return authenticator;
  }

  /**
   * The caller behind `token`, or `null` for a token not sent as `Bearer <token>` (`null`), or a
   * malformed, unknown, wrong or revoked one; such a
   * failure is counted and logged (`failures`) when `attempt` says where the token came from.
   *
   * @throws {UnavailableError} when the token's key is not in memory and the store cannot be read
   */
  async authenticate(token: string | null, attempt?: AuthAttempt): Promise<Principal | null> {
    const principal = token === null ? null : await this.#find(token);
    if (principal === null && attempt) this.failures.note(token, attempt);
    return principal;
  }

  async #find(token: string): Promise<Principal | null> {
    const parts = parseToken(token);
    if (!parts) return null;
    let record = this.#valid.get(parts.id);
    if (!record) {
      await this.refresh();
      record = this.#valid.get(parts.id);
      if (!record) return null;
    }
    if (!(await secretMatches(parts.secret, record.secretHash))) return null;
    this.#uses.set(record.id, this.#now());
    return principalOf(record);
  }

  /**
   * Calls `listener` with the id of each key that was valid and is found revoked (or gone) by a
   * refresh, e.g. to close the streams it opened. Returns a function that removes the listener.
   */
  onRevoked(listener: (keyId: string) => void): () => void {
    this.#revokedListeners.add(listener);
    return () => this.#revokedListeners.delete(listener);
  }

  /**
   * Reads the keys again (and writes the uses seen since the last time). Resolves after a read
   * that started after the call; calls made while one runs share the next.
   *
   * @throws {UnavailableError} when the store cannot be read
   */
  refresh(): Promise<void> {
    if (this.#running === null) {
      this.#running = this.#paced().finally(() => (this.#running = null));
      return this.#running;
    }
    return this.#queued ??= this.#running.catch(() => {}).then(() => {
      this.#queued = null;
      return this.refresh();
    });
  }

  /** `#load`, once `KEY_READ_INTERVAL_MS` have passed since the latest read started. */
  async #paced(): Promise<void> {
    const wait = this.#lastRead + KEY_READ_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.#lastRead = performance.now();
    await this.#load();
  }

  async #load(): Promise<void> {
    if (this.#closed) throw new UnavailableError("The key authenticator is stopped");
    await this.#writeUses();
    const valid = new Map<string, ApiKeyRecord>();
    for (const record of await this.#store.keyList({ valid: true })) valid.set(record.id, record);
    const before = this.#valid;
    this.#valid = valid;
    for (const id of before.keys()) {
      if (valid.has(id)) continue;
      for (const listener of this.#revokedListeners) listener(id);
    }
  }

  async #writeUses(): Promise<void> {
    if (this.#uses.size === 0) return;
    const uses = [...this.#uses].map(([id, at]) => ({ id, at }));
    this.#uses.clear();
    try {
      await this.#store.keyTouch(uses);
    } catch (error) {
      // Kept for the next write, unless a later use of the same key came meanwhile.
      for (const use of uses) {
        if ((this.#uses.get(use.id) ?? -Infinity) < use.at) this.#uses.set(use.id, use.at);
      }
      throw error;
    }
  }

  /** Stops refreshing and writes the uses not yet written. Safe to call twice. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    await this.#running?.catch(() => {});
    this.#closed = true;
    await this.#writeUses().catch(() => {});
  }
}
