/**
 * Memory outside V8's heap that only V8's garbage collector frees, collected when it piles up.
 *
 * Deno 2.7.14's `node:http2` keeps a stream's header fields (up to 128) in an object that V8
 * frees, not the stream. A stream nghttp2 refuses before JavaScript sees it (a 129th field, a
 * missing pseudo-header) leaves its fields behind until V8's next full collection, and V8 times
 * those by its own heap, which such streams barely grow. A few bytes name a 4 KB entry of the
 * HPACK table, so 130 such names make 512 KiB per stream: one client grew a manager by 336 MB for
 * every 700 streams, for good (a bare `node:http2` server kept 1.4 GB after 2,800; collecting
 * every second held it at 411 MB).
 *
 * So the gRPC connections tell this collector what each refused stream may have left (`owe`,
 * `server/grpc/refused_streams.ts`), and it collects once that passes `thresholdBytes`.
 * Collecting needs V8's `gc` function, which `--v8-flags=--expose-gc` exposes (the `start`, `dev`
 * and `compile` tasks pass it); without it the manager says so at start, and V8 collects when it
 * likes.
 */
import { log } from "./log.ts";

/** Garbage (bytes) let pile up before V8 collects. */
export const NATIVE_GARBAGE_BYTES = 64 * 1024 * 1024;

/** What the collector calls; the process's own by default. */
export interface NativeMemoryOptions {
  thresholdBytes?: number;
  /** A full collection; `undefined` when V8 exposes none (`globalThis.gc`). */
  collect?: (() => void) | undefined;
  /** Runs `fn` soon, outside the caller's turn (`setTimeout(fn, 0)`). */
  soon?: (fn: () => void) => void;
}

/**
 * Has V8 collect its garbage when what only a collection frees has piled up.
 *
 * @example
 * ```ts
 * import { NativeMemoryCollector } from "./native_memory.ts";
 * let collections = 0;
 * const collector = new NativeMemoryCollector({
 *   thresholdBytes: 100,
 *   collect: () => collections++,
 *   soon: (fn) => fn(),
 * });
 * collector.owe(60);
 * collector.owe(60); // 120 owed: collected
 * console.log(collections); // 1
 * ```
 */
export class NativeMemoryCollector {
  readonly #collect: (() => void) | undefined;
  readonly #thresholdBytes: number;
  readonly #soon: (fn: () => void) => void;
  #owed = 0;
  #due = false;
  #collections = 0;

  constructor(options: NativeMemoryOptions = {}) {
    this.#collect = "collect" in options ? options.collect : (globalThis as { gc?: () => void }).gc;
    this.#thresholdBytes = options.thresholdBytes ?? NATIVE_GARBAGE_BYTES;
    this.#soon = options.soon ?? ((fn) => setTimeout(fn, 0));
  }

  /** Whether it can collect (V8 exposes `gc`). */
  get available(): boolean {
    return this.#collect !== undefined;
  }

  /** Full collections made so far. */
  get collections(): number {
    return this.#collections;
  }

  /**
   * Something just left up to `bytes` that only a collection frees; past the threshold, V8
   * collects soon (once for all owed by then).
   */
  owe(bytes: number): void {
    if (!this.#collect) return;
    this.#owed += bytes;
    if (this.#owed < this.#thresholdBytes || this.#due) return;
    this.#due = true;
    this.#soon(() => {
      this.#due = false;
      this.#owed = 0;
      this.#collect!();
      this.#collections++;
    });
  }
}

/** The manager process's collector, owed to by its gRPC connections. */
export const nativeMemory = new NativeMemoryCollector();

/** Says at start when the manager cannot collect (V8 exposes no `gc`). */
export function warnWithoutCollection(collector = nativeMemory): void {
  if (collector.available) return;
  log.warn(
    "V8's gc is not exposed (run with --v8-flags=--expose-gc): what node:http2 keeps of " +
      "refused streams is freed only when V8 collects on its own",
  );
}
