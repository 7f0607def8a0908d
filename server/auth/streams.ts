/**
 * Long-lived calls (worker streams, event streams) by the key that opened them: each is closed as
 * soon as the authenticator finds its key revoked, here or through another manager.
 */
import type { Authenticator, Principal } from "./scopes.ts";

/**
 * Open streams by key id. Subscribes to the authenticator's revocations when made; dispose it to
 * unsubscribe.
 *
 * @example
 * ```ts ignore
 * using streams = new OpenStreams(authenticator);
 * const forget = streams.track(caller, () => call.destroy());
 * call.once("close", forget);
 * ```
 */
export class OpenStreams implements Disposable {
  readonly #byKey = new Map<string, Set<() => void>>();
  /** Keys seen revoked: a stream opened with one just after its revocation is closed at once. */
  readonly #revoked = new Set<string>();
  readonly #unsubscribe: () => void;

  constructor(authenticator: Authenticator) {
    this.#unsubscribe = authenticator.onRevoked((keyId) => this.#close(keyId));
  }

  /**
   * Calls `close` once when `caller`'s key is revoked (at once when it is already). Returns the
   * function that forgets the stream; call it when the stream ends.
   */
  track(caller: Principal, close: () => void): () => void {
    if (this.#revoked.has(caller.keyId)) {
      close();
      return () => {};
    }
    let closers = this.#byKey.get(caller.keyId);
    if (!closers) this.#byKey.set(caller.keyId, closers = new Set());
    const entry = () => close();
    closers.add(entry);
    return () => {
      closers.delete(entry);
      if (closers.size === 0 && this.#byKey.get(caller.keyId) === closers) {
        this.#byKey.delete(caller.keyId);
      }
    };
  }

  #close(keyId: string): void {
    this.#revoked.add(keyId);
    const closers = this.#byKey.get(keyId);
    this.#byKey.delete(keyId);
    for (const close of closers ?? []) close();
  }

  [Symbol.dispose](): void {
    this.#unsubscribe();
  }
}
