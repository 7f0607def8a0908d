/**
 * How fast one client address may open connections to a port: a rate limit per address (GCRA,
 * `domain/flow.ts`), checked as a connection is accepted, before any byte of it is read. The gRPC
 * port has one (GRPC_CONNECTION_RATE_LIMIT, GRPC_CONNECTION_BURST): Deno 2.7.14's `node:http2`
 * keeps about 30 KB of every HTTP/2 session for the life of the process (grpc/closed_sessions.ts),
 * and a client reconnecting as fast as it could grew a manager by 600 MB in 5 s. A refusal is
 * logged once a minute at most.
 */
import { gcraTake, type RateLimit } from "./domain/flow.ts";
import { log } from "./log.ts";
import { LogThrottle } from "./log_throttle.ts";

/**
 * Addresses remembered at once. Past it, from the one seen the longest ago on, at least
 * `FORGOTTEN_AT_ONCE` are forgotten (one still in debt starts again with a whole burst), and on
 * past them those whose bucket is full again (they need no memory), up to the first still in debt.
 */
const MAX_ADDRESSES = 10_000;
const FORGOTTEN_AT_ONCE = 100;

/** Groups of an IPv6 address that name its /64 network. */
const IPV6_NETWORK_GROUPS = 4;

/**
 * The key of a client address whose connections are counted together: an IPv4 address itself
 * (also when written as IPv4-mapped IPv6), and an IPv6 address's /64 network, which one host is
 * usually given whole.
 *
 * @example
 * ```ts
 * import { clientAddressKey } from "./connection_rate.ts";
 * console.log(clientAddressKey("::ffff:192.0.2.7")); // "192.0.2.7"
 * console.log(clientAddressKey("2001:db8::1")); // "2001:db8:0:0::/64"
 * ```
 */
export function clientAddressKey(host: string): string {
  const address = host.replace(/%.*$/, "").toLowerCase();
  if (!address.includes(":")) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return mapped[1];
  const [head, tail] = address.split("::");
  const front = head ? head.split(":") : [];
  const back = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups = tail === undefined
    ? front
    : [...front, ...Array(Math.max(0, 8 - front.length - back.length)).fill("0"), ...back];
  const network = groups.slice(0, IPV6_NETWORK_GROUPS).map((group) =>
    parseInt(group, 16).toString(16)
  );
  return `${network.join(":")}::/64`;
}

/**
 * A rate limit on new connections per client address (`clientAddressKey`).
 *
 * @example
 * ```ts
 * import { ConnectionRateLimit } from "./connection_rate.ts";
 * const rate = new ConnectionRateLimit({ perSecond: 1, burst: 2, what: "test connections" });
 * rate.admit("192.0.2.7", 0); // true
 * rate.admit("192.0.2.7", 0); // true
 * rate.admit("192.0.2.7", 0); // false: the burst is spent
 * rate.admit("192.0.2.7", 1000); // true: one more a second
 * ```
 */
export class ConnectionRateLimit {
  readonly #rate: RateLimit;
  readonly #warning: string;
  readonly #refusals = new LogThrottle();
  /**
   * Each address's GCRA `tat` (ms) and the sighting it was last moved to the end at, oldest first.
   * An address is moved only once it may have drifted into the older half (moving it at each
   * sighting left V8's map a chain of deleted entries to walk: a refusal cost 24 µs among 10,000).
   */
  readonly #addresses = new Map<string, { tat: number; movedAt: number }>();
  /** Connections seen so far, admitted or refused. */
  #sightings = 0;
  #refused = 0;

  /**
   * @param limit `perSecond`: new connections a second per address once its `burst` (connections
   *   at once after a quiet spell) is spent, both at least 1; `what` names the connections and
   *   the settings in the log, e.g. `gRPC connections (GRPC_CONNECTION_RATE_LIMIT)`; `refusal`
   *   what becomes of those refused, in the log (default: they are closed at once); `warning`,
   *   when given, the whole warning line instead, for what is not a connection (logins)
   */
  constructor(
    limit: { perSecond: number; burst: number; what: string; refusal?: string; warning?: string },
  ) {
    this.#rate = { limit: limit.perSecond, period: 1000, burst: limit.burst };
    this.#warning = limit.warning ??
      `A client opens ${limit.what} faster than its rate limit: ${
        limit.refusal ?? "they are closed at once"
      }`;
  }

  /** Connections refused so far. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Whether a connection from `host` may be admitted at `now` (ms, monotonic), counting it if so.
   */
  admit(host: string, now: number = performance.now()): boolean {
    const key = clientAddressKey(host);
    const seen = ++this.#sightings;
    const known = this.#addresses.get(key);
    const { granted, tat } = gcraTake(known?.tat ?? 0, { now, want: 1, rate: this.#rate });
    if (!known) {
      if (this.#addresses.size >= MAX_ADDRESSES) this.#forget(now);
      this.#addresses.set(key, { tat, movedAt: seen });
    } else {
      if (granted > 0) known.tat = tat;
      // Fewer sightings than half the map since its move: fewer addresses went to the end after it.
      // Past that it may be in the older half, and goes to the end, to be the last forgotten.
      if (seen - known.movedAt > this.#addresses.size / 2) {
        this.#addresses.delete(key);
        this.#addresses.set(key, known);
        known.movedAt = seen;
      }
    }
    if (granted === 0) {
      this.#refused++;
      const leftOut = this.#refusals.admit("refused", Date.now());
      if (leftOut !== null) {
        log.warn(
          this.#warning,
          {
            client: key,
            perSecond: this.#rate.limit,
            burst: this.#rate.burst,
            ...(leftOut > 0 ? { linesLeftOut: leftOut } : {}),
          },
        );
      }
      return false;
    }
    return true;
  }

  /**
   * Drops, from the address seen the longest ago on, `FORGOTTEN_AT_ONCE` addresses, then those
   * whose bucket is full again, up to the first still in debt: a pass every hundred new addresses
   * at most, whatever their debts.
   */
  #forget(now: number): void {
    let dropped = 0;
    for (const [key, { tat }] of this.#addresses) {
      if (dropped >= FORGOTTEN_AT_ONCE && tat > now) break;
      this.#addresses.delete(key);
      dropped++;
    }
  }
}
