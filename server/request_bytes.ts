/**
 * The bytes of requests a manager has received and not answered yet: REST bodies from their first
 * byte to their answer, gRPC messages from their first byte until their handler is done with
 * them (a unary call's until it is answered, a create that waits for its task through the wait). Each
 * request is capped at `MAX_REQUEST_BYTES`, but nothing capped how many a client keeps coming at
 * once: one client opened 100 gRPC calls on one connection and sent 3.9 MiB of each message, never
 * the rest, and the manager held them all for as long as the connection lived (a connection may
 * have 1,000 calls open, and there are 1,000 connections). So every connection has an account of
 * the bytes its requests hold, capped at `connectionRequestBytes`, and all of them together at
 * `requestBytesInFlight`; a request whose
 * next bytes would pass either is refused (gRPC RESOURCE_EXHAUSTED, REST 503 with Retry-After)
 * and gives back what it held. And a request holds them for `receiveMs` at most while it arrives
 * (REST 408, gRPC RESOURCE_EXHAUSTED): without it, a few clients that sent all but the last
 * bytes of their bodies held the whole account, and every other request was refused, for as long
 * as their connections stayed open.
 *
 * What the account holds is of two kinds (`RequestBytesKind`), counted against the same caps and
 * shown apart: the bytes of requests under way (`"message"`: bodies and messages, none on an idle
 * manager), and what open gRPC calls hold for being open (`"call"`: each call's header list and a
 * fixed charge for its state, for as long as its stream is open: a worker's stream holds it all
 * its life).
 */
import { ResourceExhaustedError } from "./domain/errors.ts";
import { halfOfFree, type ShareRefusals } from "./auth/shares.ts";
import type { Limits } from "./domain/limits.ts";

/** The caps, in bytes, and the time a request may hold its bytes while it arrives. */
export interface RequestBytesLimits {
  /** All connections together (MAX_REQUEST_BYTES_IN_FLIGHT). */
  total: number;
  /** One connection (MAX_CONNECTION_REQUEST_BYTES). */
  perConnection: number;
  /** Longest a request may take to arrive, in ms (REQUEST_RECEIVE_MS). */
  receiveMs: number;
}

/**
 * What bytes on the account are held for: `"message"`, a request's body or messages, received and
 * not yet answered or handled; `"call"`, an open gRPC call's header list and state, from the
 * call's start until its stream closes.
 */
export type RequestBytesKind = "message" | "call";

/** The request bytes one connection holds. */
export interface ConnectionRequestBytes {
  /** Bytes held now, of both kinds. */
  readonly held: number;
  /**
   * Holds `bytes` more, of `kind` (default `"message"`).
   *
   * @throws {ResourceExhaustedError} naming the cap, when this connection or the manager would
   *   hold more than its cap, both kinds together (nothing is held then)
   */
  take(bytes: number, kind?: RequestBytesKind): void;
  /** Gives back `bytes` of `kind` (default `"message"`) held before; at most what it holds of it. */
  give(bytes: number, kind?: RequestBytesKind): void;
  /**
   * This account for one request that waits for its task (`POST /api/v1/tasks?wait=`,
   * `CreateAndWatchTask`): what it takes counts as well on the waits' share of the manager's
   * account, `WAITS_SHARE` of `total`, so that waits, which hold their bytes as long as their
   * tasks take, leave the rest to requests that do not wait; and, with `keyId` (the API key the
   * request comes with), on that key's part of the share: half of what the other keys' waits
   * leave of it (`server/auth/shares.ts`), and whatever fits for its first wait under way, so that
   * no key, nor two, can take it all.
   *
   * @throws {ResourceExhaustedError} from `take`, naming the share, past it (nothing held then)
   */
  waiting(keyId?: string): ConnectionRequestBytes;
}

/**
 * What one open gRPC call holds of the manager's memory besides its header list and messages, in
 * bytes: its node:http2 stream and grpc-js's call objects, decoder and listeners. Measured on a
 * manager process (V8 old space capped at 120 MB so that garbage is collected), 6 rounds of 1,000
 * calls on a new connection each, left open, 3 s apart, its V8 heap read from its
 * `process_heap_used_bytes`: `GetTask` calls of headers alone grew it by 9.9 to 11.3 KB a call a
 * round from the third round on (resident memory by 11.0 KB a call over the 6,000), `WatchTasks`
 * streams with their message by 11.6 to 11.8 KB (10.7 KB of resident memory); the largest,
 * rounded up. Held on the account from a call's start until its stream closes, so that the caps
 * bound what many cheap open calls hold: without it, 1,000 connections of 1,000 calls each would
 * hold some 12 GB the account did not see.
 */
export const OPEN_CALL_BYTES = 12 * 1024;

/** Share of the manager's request account that creates waiting for their tasks may hold together. */
export const WAITS_SHARE = 0.5;

/**
 * The manager's account of request bytes in flight, one per manager (REST and gRPC share it).
 *
 * @example
 * ```ts
 * import { RequestBytesInFlight } from "./request_bytes.ts";
 * const inFlight = new RequestBytesInFlight({ total: 100, perConnection: 60, receiveMs: 1000 });
 * const connection = inFlight.connection();
 * connection.take(50);
 * try {
 *   connection.take(20);
 * } catch (error) {
 *   console.log((error as Error).name); // "ResourceExhaustedError"
 * }
 * connection.give(50);
 * connection.take(10, "call");
 * console.log(inFlight.held, inFlight.callsHeld); // 10 10
 * connection.give(10, "call");
 * console.log(inFlight.held); // 0
 * ```
 */
export class RequestBytesInFlight {
  readonly limits: Readonly<RequestBytesLimits>;
  #held = 0;
  #callsHeld = 0;
  #waitsHeld = 0;
  /** Bytes held by waiting requests, by the API key they came with. */
  readonly #waitsOfKey = new Map<string, number>();
  readonly #refusals: ShareRefusals | null;

  /** `refusals`, told of each wait refused for its key's part of the waits' share. */
  constructor(limits: RequestBytesLimits, refusals?: ShareRefusals) {
    this.limits = { ...limits };
    this.#refusals = refusals ?? null;
  }

  /** Bytes held now over all connections, of both kinds: what the caps are checked against. */
  get held(): number {
    return this.#held;
  }

  /** Of `held`, the bytes open gRPC calls hold for being open (kind `"call"`). */
  get callsHeld(): number {
    return this.#callsHeld;
  }

  /** Bytes held now by requests that wait for their tasks (`ConnectionRequestBytes.waiting`). */
  get waitsHeld(): number {
    return this.#waitsHeld;
  }

  /** A new connection's account. */
  connection(): ConnectionRequestBytes {
    let held = 0;
    let callsHeld = 0;
    const limits = this.limits;
    const account: ConnectionRequestBytes = {
      get held() {
        return held;
      },
      take: (bytes, kind = "message") => {
        if (held + bytes > limits.perConnection) {
          throw new ResourceExhaustedError(
            `This connection's requests would hold ${
              held + bytes
            } bytes not yet answered, more than the ${limits.perConnection} one connection may (MAX_CONNECTION_REQUEST_BYTES); send fewer at once`,
          );
        }
        if (this.#held + bytes > limits.total) {
          throw new ResourceExhaustedError(
            `The manager holds ${this.#held} bytes of requests not yet answered and takes at most ${limits.total} (MAX_REQUEST_BYTES_IN_FLIGHT); retry later`,
          );
        }
        held += bytes;
        this.#held += bytes;
        if (kind === "call") {
          callsHeld += bytes;
          this.#callsHeld += bytes;
        }
      },
      give: (bytes, kind = "message") => {
        const given = Math.min(bytes, kind === "call" ? callsHeld : held - callsHeld);
        held -= given;
        this.#held -= given;
        if (kind === "call") {
          callsHeld -= given;
          this.#callsHeld -= given;
        }
      },
      waiting: (keyId) => this.#waiting(account, keyId),
    };
    return account;
  }

  /**
   * `account` for one request that waits: its bytes counted on the waits' share as well, and on
   * `keyId`'s part of it: half of what the other keys' waits leave, or, when the key held none as
   * this request took its first bytes, whatever fits (as a key holding no place may take one).
   */
  #waiting(account: ConnectionRequestBytes, keyId: string | undefined): ConnectionRequestBytes {
    let held = 0;
    let callsHeld = 0;
    const share = Math.floor(this.limits.total * WAITS_SHARE);
    /** Whether the key held no wait's bytes as this request took its first. */
    let first: boolean | undefined;
    const ofKey = () => keyId === undefined ? 0 : this.#waitsOfKey.get(keyId) ?? 0;
    const setOfKey = (bytes: number) => {
      if (keyId === undefined) return;
      if (bytes > 0) this.#waitsOfKey.set(keyId, bytes);
      else this.#waitsOfKey.delete(keyId);
    };
    const waiting: ConnectionRequestBytes = {
      get held() {
        return held;
      },
      take: (bytes, kind) => {
        if (this.#waitsHeld + bytes > share) {
          throw new ResourceExhaustedError(
            `Creates that wait for their tasks hold ${this.#waitsHeld} bytes of requests, and take at most ${share} (half of MAX_REQUEST_BYTES_IN_FLIGHT), so that creates that do not wait keep room: create without waiting and watch the task, or retry later`,
          );
        }
        first ??= ofKey() === 0;
        const keyShare = halfOfFree(share, this.#waitsHeld - ofKey());
        if (keyId !== undefined && !first && ofKey() + bytes > keyShare) {
          this.#refusals?.emit({ type: "share_refused", resource: "wait_bytes" });
          throw new ResourceExhaustedError(
            `This key's creates that wait for their tasks hold ${ofKey()} bytes of requests, and one key takes at most ${keyShare} now: half of what the other keys' waits leave of the ${share} waits may hold (half of MAX_REQUEST_BYTES_IN_FLIGHT); create without waiting and watch the task, or retry later`,
          );
        }
        account.take(bytes, kind);
        held += bytes;
        if (kind === "call") callsHeld += bytes;
        this.#waitsHeld += bytes;
        setOfKey(ofKey() + bytes);
      },
      give: (bytes, kind = "message") => {
        const given = Math.min(bytes, kind === "call" ? callsHeld : held - callsHeld);
        account.give(given, kind);
        held -= given;
        if (kind === "call") callsHeld -= given;
        this.#waitsHeld -= given;
        setOfKey(ofKey() - given);
      },
      waiting: () => waiting,
    };
    return waiting;
  }
}

/** The account a manager with `limits` keeps (`requestBytesInFlight`, `connectionRequestBytes`). */
export function requestBytesInFlight(
  limits: Pick<Limits, "requestBytesInFlight" | "connectionRequestBytes" | "requestReceiveMs">,
  refusals?: ShareRefusals,
): RequestBytesInFlight {
  return new RequestBytesInFlight({
    total: limits.requestBytesInFlight,
    perConnection: limits.connectionRequestBytes,
    receiveMs: limits.requestReceiveMs,
  }, refusals);
}
