/**
 * HTTP/2 "rapid reset" (CVE-2023-44487) guard for the gRPC port. A client that opens streams and
 * resets each at once (HEADERS, then RST_STREAM) costs the server work per stream while holding
 * none; nghttp2 ends such a session itself once its own bucket of resets is empty (1,000 at once,
 * about 33 a second after), and on that path Deno 2.7.14's `node:http2` frees memory twice and
 * the manager process aborts (measured, no key needed: 1,200 resets at once on one connection;
 * 90 a second, after 1,566). The resets never reach JavaScript as streams, so they are counted
 * here, in the bytes the client sends, with a smaller bucket than nghttp2's on both counts, and
 * the connection is closed first.
 */

import { closing, FRAME_TYPE, type FrameHead, type FrameListener } from "./frames.ts";

/**
 * Resets a connection may send at once, and per second after (a token bucket): under nghttp2's
 * 1,000 and ~33, so that its bucket never runs out first.
 */
const RESET_BURST = 200;
const RESETS_PER_SECOND = 20;

/**
 * Counts one connection's RST_STREAM frames (`FrameReader` reads them) and says when the client
 * has sent more than the bucket allows.
 *
 * @example
 * ```ts
 * import { FrameReader } from "./frames.ts";
 * import { ResetCounter } from "./rapid_reset.ts";
 * const reader = new FrameReader([new ResetCounter()]);
 * console.log(reader.read(new Uint8Array(24))); // false: the preface
 * ```
 */
export class ResetCounter implements FrameListener {
  readonly #now: () => number;
  #tokens = RESET_BURST;
  #at: number;

  /** @param now the clock, in ms (tests give their own) */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#at = now();
  }

  /** `true` once this frame is one reset too many. */
  frame(head: FrameHead): boolean {
    return head.type === FRAME_TYPE.RST_STREAM && !this.#take();
  }

  #take(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(
      RESET_BURST,
      this.#tokens + (now - this.#at) * RESETS_PER_SECOND / 1000,
    );
    this.#at = now;
    return --this.#tokens >= 0;
  }
}

/**
 * For one connection from `peer`: the frame listener that asks to close it once it resets streams
 * faster than `ResetCounter` allows (`closing` logs it).
 */
export function rapidResetCheck(peer: string): FrameListener {
  const counter = new ResetCounter();
  return {
    frame(head) {
      if (!counter.frame(head)) return false;
      return closing(peer, "it reset streams faster than allowed");
    },
  };
}
