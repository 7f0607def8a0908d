/**
 * The REST requests whose body is arriving. Each holds memory on the manager from its headers on
 * (about 75 KB: the HTTP/2 stream, the request and its handler), and HTTP/2 lets one connection
 * open 200 of them, each announcing a body it never sends: with no key, 20,000 requests to
 * `POST /api/v1/session` on 100 connections took the manager from 0.8 to 1.8 GB for the 30 s of
 * `REQUEST_RECEIVE_MS`. So at most `max` bodies arrive at once on a port; one more makes room by
 * ending the oldest none of whose bytes came, else the one that has gone the longest without a
 * byte (a body that keeps arriving keeps its place, one that stalls loses it first).
 */

/** A body counted as arriving, until `done`. */
export interface ArrivingBody {
  /** Some of its bytes came: it is the last to be ended to make room. */
  received(): void;
  /**
   * It is given up on (not all there in time, or ended to make room): once it is answered, its
   * connection takes no more requests (HTTP/2 GOAWAY) and closes when those it has are answered,
   * since a stream whose body was being read keeps its memory while its client keeps it open,
   * answered or not (closing the connection at once made Deno 2.7.14 panic while more streams
   * were arriving on it).
   */
  abandoned(): void;
  /** It is all there, or its request ended (twice counts once). */
  done(): void;
}

/** The bodies arriving on one port, at most `max` at once. */
export class ArrivingBodies {
  readonly #max: number;
  /** Each body's `ended`, for bodies none of whose bytes came yet, the oldest first. */
  readonly #waiting = new Map<object, (max: number) => void>();
  /** The same for bodies some of whose bytes came, the one that has gone longest without first. */
  readonly #arriving = new Map<object, (max: number) => void>();

  /** @param max most bodies arriving at once, 1 or more (MAX_HTTP_BODIES_ARRIVING) */
  constructor(max: number) {
    this.#max = max;
  }

  /** Bodies arriving now. */
  get size(): number {
    return this.#waiting.size + this.#arriving.size;
  }

  /**
   * Counts a body as arriving; when `max` already are, one is ended first (its `ended` is called
   * with `max`, and it no longer counts): the oldest none of whose bytes came, else the one that
   * has gone the longest without a byte. So bodies opened and never sent make room for each other,
   * not at the cost of one that is arriving.
   */
  arrive(ended: (max: number) => void): Omit<ArrivingBody, "abandoned"> {
    if (this.size >= this.#max) {
      const from = this.#waiting.size > 0 ? this.#waiting : this.#arriving;
      const [stalest, end] = from.entries().next().value!;
      from.delete(stalest);
      end(this.#max);
    }
    const body = {};
    this.#waiting.set(body, ended);
    return {
      received: () => {
        if (this.#waiting.delete(body) || this.#arriving.delete(body)) {
          this.#arriving.set(body, ended);
        }
      },
      done: () => {
        this.#waiting.delete(body);
        this.#arriving.delete(body);
      },
    };
  }
}
