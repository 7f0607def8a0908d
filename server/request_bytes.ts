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
 */
import { ResourceExhaustedError } from "./domain/errors.ts";
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

/** The request bytes one connection holds. */
export interface ConnectionRequestBytes {
  /** Bytes held now. */
  readonly held: number;
  /**
   * Holds `bytes` more.
   *
   * @throws {ResourceExhaustedError} naming the cap, when this connection or the manager would
   *   hold more than its cap (nothing is held then)
   */
  take(bytes: number): void;
  /** Gives back `bytes` held before. */
  give(bytes: number): void;
  /**
   * This account for one request that waits for its task (`POST /api/v1/tasks?wait=`,
   * `CreateAndWatchTask`): what it takes counts as well on the waits' share of the manager's
   * account, `WAITS_SHARE` of `total`, so that waits, which hold their bytes as long as their
   * tasks take, leave the rest to requests that do not wait; and, with `keyId` (the API key the
   * request comes with), on that key's half of the share, so that one key cannot take it all.
   *
   * @throws {ResourceExhaustedError} from `take`, naming the share, past it (nothing held then)
   */
  waiting(keyId?: string): ConnectionRequestBytes;
}

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
 * console.log(inFlight.held); // 0
 * ```
 */
export class RequestBytesInFlight {
  readonly limits: Readonly<RequestBytesLimits>;
  #held = 0;
  #waitsHeld = 0;
  /** Bytes held by waiting requests, by the API key they came with. */
  readonly #waitsOfKey = new Map<string, number>();

  constructor(limits: RequestBytesLimits) {
    this.limits = { ...limits };
  }

  /** Bytes held now over all connections. */
  get held(): number {
    return this.#held;
  }

  /** Bytes held now by requests that wait for their tasks (`ConnectionRequestBytes.waiting`). */
  get waitsHeld(): number {
    return this.#waitsHeld;
  }

  /** A new connection's account. */
  connection(): ConnectionRequestBytes {
    let held = 0;
    const limits = this.limits;
    const account: ConnectionRequestBytes = {
      get held() {
        return held;
      },
      take: (bytes) => {
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
      },
      give: (bytes) => {
        const given = Math.min(bytes, held);
        held -= given;
        this.#held -= given;
      },
      waiting: (keyId) => this.#waiting(account, keyId),
    };
    return account;
  }

  /**
   * `account` for one request that waits: its bytes counted on the waits' share as well, and on
   * `keyId`'s half of it.
   */
  #waiting(account: ConnectionRequestBytes, keyId: string | undefined): ConnectionRequestBytes {
    let held = 0;
    const share = Math.floor(this.limits.total * WAITS_SHARE);
    const keyShare = Math.floor(share / 2);
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
      take: (bytes) => {
        if (this.#waitsHeld + bytes > share) {
          throw new ResourceExhaustedError(
            `Creates that wait for their tasks hold ${this.#waitsHeld} bytes of requests, and take at most ${share} (half of MAX_REQUEST_BYTES_IN_FLIGHT), so that creates that do not wait keep room: create without waiting and watch the task, or retry later`,
          );
        }
        if (keyId !== undefined && ofKey() + bytes > keyShare) {
          throw new ResourceExhaustedError(
            `This key's creates that wait for their tasks hold ${ofKey()} bytes of requests, and one key takes at most ${keyShare} (a quarter of MAX_REQUEST_BYTES_IN_FLIGHT, half of what waits may hold): create without waiting and watch the task, or retry later`,
          );
        }
        account.take(bytes);
        held += bytes;
        this.#waitsHeld += bytes;
        setOfKey(ofKey() + bytes);
      },
      give: (bytes) => {
        const given = Math.min(bytes, held);
        account.give(given);
        held -= given;
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
): RequestBytesInFlight {
  return new RequestBytesInFlight({
    total: limits.requestBytesInFlight,
    perConnection: limits.connectionRequestBytes,
    receiveMs: limits.requestReceiveMs,
  });
}
