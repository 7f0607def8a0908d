/**
 * HTTP/2 "rapid reset" (CVE-2023-44487) guard for the gRPC port. A client that opens streams and
 * resets each at once (HEADERS, then RST_STREAM) costs the server work per stream while holding
 * none; nghttp2 ends such a session itself after about 1,000 resets, and on that path Deno
 * 2.7.14's `node:http2` frees memory twice and the manager process aborts (measured: 1,200
 * resets on one connection, no key needed). The resets never reach JavaScript as streams, so they
 * are counted here, in the bytes the client sends, and the connection is closed first.
 */

import { log } from "../log.ts";

/** Resets a connection may send at once, and per second after (a token bucket). */
const RESET_BURST = 200;
const RESETS_PER_SECOND = 100;
const PREFACE_BYTES = 24;
const FRAME_HEADER_BYTES = 9;
const RST_STREAM = 0x3;

/**
 * Reads the frame headers of one connection's inbound HTTP/2 bytes, chunk by chunk, and says when
 * the client has sent more RST_STREAM frames than the bucket allows.
 *
 * @example
 * ```ts
 * import { ResetCounter } from "./rapid_reset.ts";
 * const counter = new ResetCounter();
 * console.log(counter.over(new Uint8Array(24))); // false: the preface
 * ```
 */
export class ResetCounter {
  /** Bytes to skip before the next frame header (the preface, then each payload). */
  #skip = PREFACE_BYTES;
  /** The part of a frame header read so far. */
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerBytes = 0;
  #tokens = RESET_BURST;
  #at = performance.now();

  /** Takes the next inbound bytes; `true` once the client reset streams faster than allowed. */
  over(chunk: Uint8Array): boolean {
    let at = 0;
    while (at < chunk.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      const n = Math.min(FRAME_HEADER_BYTES - this.#headerBytes, chunk.length - at);
      this.#header.set(chunk.subarray(at, at + n), this.#headerBytes);
      this.#headerBytes += n;
      at += n;
      if (this.#headerBytes < FRAME_HEADER_BYTES) break;
      this.#headerBytes = 0;
      const h = this.#header;
      this.#skip = h[0] << 16 | h[1] << 8 | h[2];
      if (h[3] === RST_STREAM && !this.#take()) return true;
    }
    return false;
  }

  #take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(
      RESET_BURST,
      this.#tokens + (now - this.#at) * RESETS_PER_SECOND / 1000,
    );
    this.#at = now;
    return --this.#tokens >= 0;
  }
}

/**
 * For one connection from `peer`: a function of its next inbound bytes answering whether to close
 * it now (it reset streams faster than `ResetCounter` allows; logged once).
 */
export function rapidResetCheck(peer: string): (chunk: Uint8Array) => boolean {
  const counter = new ResetCounter();
  return (chunk) => {
    if (!counter.over(chunk)) return false;
    log.warn("gRPC connection closed: it reset streams faster than allowed", { peer });
    return true;
  };
}
