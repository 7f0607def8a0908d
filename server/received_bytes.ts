/**
 * Bytes received from a client and kept past the read that brought them. A read may hand a view
 * into a buffer much larger than its bytes, and keeping the view keeps the whole buffer: Deno
 * hands each read of a request body as a view into 64 KiB of its own, however few bytes came, so a
 * body sent one byte per read kept 64 KiB a byte while the manager's account of request bytes in
 * flight counted one (a client with no key took a manager from 0.17 GB to 5 GB with login bodies
 * trickled over 50 HTTP/2 streams). So every reader that keeps what it receives keeps it through
 * here: gathered into one buffer (`ReceivedBytes`), or, chunk by chunk, as `keptBytes`.
 */

/**
 * `bytes` to keep: itself when it spans its whole buffer, else a copy of just its bytes (what it
 * keeps is then what `byteLength` says).
 *
 * @example
 * ```ts
 * import { keptBytes } from "./received_bytes.ts";
 * const read = new Uint8Array(65_536).subarray(0, 1);
 * console.log(keptBytes(read).buffer.byteLength); // 1
 * ```
 */
export function keptBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : bytes.slice();
}

/** The first buffer of a body (a few chunks of a small body fit in it). */
const FIRST_BYTES = 1024;

/** Slack past the bytes that `bytes()` keeps rather than copy them out. */
const SLACK_KEPT = 1024;

/**
 * The bytes of one request received in pieces, in one buffer that grows (doubling) as they pass
 * it: a read goes straight into its free `room()` (a BYOB read, which allocates nothing), or a
 * chunk read otherwise is copied in (`add`), and nothing of the chunk is kept. The buffer is at
 * most twice what came, or 1 KiB, and `max` + 1 bytes (one more than may come, so that a read can
 * bring the byte too many). With the length the client `declared` (`Content-Length`) it grows to
 * that + 1 at most while the bytes stay within it, so a body as long as declared is read into one
 * buffer with no copy but its last growth's; the declared length alone allocates nothing (it may be
 * a lie).
 *
 * @example
 * ```ts
 * import { ReceivedBytes } from "./received_bytes.ts";
 * const body = new ReceivedBytes({ max: 4096, declared: 3 });
 * body.add(new Uint8Array([1, 2]));
 * body.add(new Uint8Array([3]));
 * console.log(body.bytes()); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export class ReceivedBytes {
  #buffer: Uint8Array = new Uint8Array(0);
  #size = 0;
  readonly #max: number;
  readonly #declared: number | null;

  /** `max`: the most that may come (the caller refuses more). */
  constructor(options: { max: number; declared?: number | null }) {
    this.#max = options.max;
    const declared = options.declared ?? null;
    this.#declared = declared !== null && Number.isSafeInteger(declared) && declared >= 0
      ? declared
      : null;
  }

  /** Bytes received so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Where the next read goes: the free end of the buffer (grown first when full), for a BYOB read
   * (`ReadableStreamBYOBReader.read`), whose answer goes to `filled`.
   */
  room(): Uint8Array {
    if (this.#size === this.#buffer.length) this.#grow(this.#size + 1);
    return this.#buffer.subarray(this.#size);
  }

  /**
   * What a read into `room()` answered, `done` or not: the read moved the buffer into `read`'s
   * (a BYOB read transfers it), which holds the bytes it brought.
   */
  filled(read: Uint8Array): void {
    this.#buffer = new Uint8Array(read.buffer);
    this.#size += read.byteLength;
  }

  /** Copies `chunk` in after what came before. */
  add(chunk: Uint8Array): void {
    const needed = this.#size + chunk.byteLength;
    if (needed > this.#buffer.length) this.#grow(needed);
    this.#buffer.set(chunk, this.#size);
    this.#size = needed;
  }

  /** The bytes received: a view of the buffer when little of it is free, else a copy. */
  bytes(): Uint8Array {
    const bytes = this.#buffer.subarray(0, this.#size);
    return this.#buffer.length - this.#size <= SLACK_KEPT ? bytes : bytes.slice();
  }

  #grow(needed: number): void {
    let length = Math.max(needed, Math.min(2 * this.#buffer.length || FIRST_BYTES, this.#max + 1));
    if (this.#declared !== null && needed <= this.#declared) {
      length = Math.min(length, this.#declared + 1);
    }
    const grown = new Uint8Array(length);
    grown.set(this.#buffer.subarray(0, this.#size));
    this.#buffer = grown;
  }
}
