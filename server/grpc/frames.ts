/**
 * The HTTP/2 frames of a gRPC connection, read from its bytes as they pass (RFC
 * 9113 §3.4, §4.1: the 24-byte preface, then frames of a 9-byte header and a payload). Deno's
 * `node:http2` keeps some of what they say to itself — stream resets before they are streams
 * (`rapid_reset.ts`), each stream's flow-control window (`send_window.ts`) — so the connection's
 * listeners read them here, from one pass over the bytes. What the manager writes is read so too
 * (`onWrittenFrames`): the DATA each stream sent; and each write's completion is told
 * (`onWritesDone`), which no 'drain' tells when the socket's buffer stayed under its mark.
 */

import { log } from "../log.ts";
import { LogThrottle } from "../log_throttle.ts";

const PREFACE_BYTES = 24;
/**
 * The largest frame payload a peer may send before it is told otherwise (RFC 9113 §4.2): the
 * manager never tells it otherwise, and node:http2 ends a connection that sends a larger one.
 */
export const MAX_FRAME_PAYLOAD = 16_384;
/** Bytes of a frame's header (RFC 9113 §4.1), before its payload. */
export const FRAME_HEADER_BYTES = 9;

/** Frame types the listeners read (RFC 9113 §6). */
export const FRAME_TYPE = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Flags of a frame (RFC 9113 §6.1, §6.2). */
export const FRAME_FLAG = {
  END_STREAM: 0x1,
  END_HEADERS: 0x4,
} as const;

/** A frame's header: its type, flags, stream (0 = the connection) and payload length in bytes. */
export interface FrameHead {
  type: number;
  flags: number;
  stream: number;
  length: number;
}

/** Lines "gRPC connection closed" per reason: one a minute at most, whatever the client. */
const closedLog = new LogThrottle();

/**
 * What a frame listener answers when it closes the connection from `peer` for `why`: `true`,
 * after a warning at most once a minute per reason, which says how many were left out since the
 * last (`linesLeftOut`). Clients that connect again after each close, thousands of times a second
 * and from as many addresses as they like, must not fill the log.
 */
export function closing(peer: string, why: string, now = Date.now()): true {
  const leftOut = closedLog.admit(why, now);
  if (leftOut !== null) {
    log.warn(
      `gRPC connection closed: ${why}`,
      leftOut > 0 ? { peer, linesLeftOut: leftOut } : { peer },
    );
  }
  return true;
}

/** One reader of a connection's frames. */
export interface FrameListener {
  /** Whether it reads the payload of a frame with this header (else it sees the header only). */
  wantsPayload?(head: FrameHead): boolean;
  /**
   * Takes one frame: its payload when asked for, else `null`. Answers `true` when the connection
   * must be closed now (the reading then stops).
   */
  frame(head: FrameHead, payload: Uint8Array | null): boolean | void;
}

/**
 * Cuts one connection's bytes into frames, however the chunks split them, for its `listeners`:
 * its inbound bytes (after the client's preface), or with `preface: 0` what the server writes.
 *
 * @example
 * ```ts
 * import { FrameReader } from "./frames.ts";
 * const types: number[] = [];
 * const reader = new FrameReader([{ frame: (head) => void types.push(head.type) }]);
 * reader.read(new Uint8Array(24)); // the preface
 * reader.read(new Uint8Array([0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8])); // RST_STREAM on stream 1
 * console.log(types); // [3]
 * ```
 */
export class FrameReader {
  readonly #listeners: readonly FrameListener[];
  /** Bytes to skip before the next frame header (the preface, then payloads nobody reads). */
  #skip: number;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerBytes = 0;
  /** The frame whose payload is being read, and its bytes so far. */
  #head: FrameHead | null = null;
  #payload: Uint8Array | null = null;
  #payloadBytes = 0;
  #closed = false;
  /** Bytes read so far, and where the header block under way began (`null`: none is). */
  #offset = 0;
  #blockStart: number | null = null;
  /** Whether the frame being read ends the header block under way. */
  #endsBlock = false;

  constructor(listeners: readonly FrameListener[], options: { preface?: number } = {}) {
    this.#listeners = listeners;
    this.#skip = options.preface ?? PREFACE_BYTES;
  }

  /**
   * Bytes of the connection, from its first, that hold no unfinished header block (nor the
   * first bytes of a frame header, which may begin one): nghttp2
   * decodes a header block's fields as its bytes arrive, so the bytes of one still arriving are
   * held back from node:http2 until its last frame is read and measured. Nothing else may come
   * between a block's frames (RFC 9113 §4.3); `header_blocks.ts` closes a connection where
   * something does.
   */
  get settled(): number {
    // A frame header not yet whole may be a HEADERS frame's.
    return this.#blockStart ?? this.#offset - this.#headerBytes;
  }

  /** Takes the next bytes; `true` once a listener asked to close the connection. */
  read(chunk: Uint8Array): boolean {
    const start = this.#offset;
    let at = 0;
    while (at < chunk.length && !this.#closed) {
      if (this.#payload) {
        const n = Math.min(this.#payload.length - this.#payloadBytes, chunk.length - at);
        this.#payload.set(chunk.subarray(at, at + n), this.#payloadBytes);
        this.#payloadBytes += n;
        at += n;
        if (this.#payloadBytes === this.#payload.length) {
          const payload = this.#payload;
          this.#payload = null;
          this.#tell(this.#head!, payload, true);
          this.#frameRead();
        }
        continue;
      }
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, chunk.length - at);
        this.#skip -= n;
        at += n;
        if (this.#skip === 0) this.#frameRead();
        continue;
      }
      const n = Math.min(FRAME_HEADER_BYTES - this.#headerBytes, chunk.length - at);
      this.#header.set(chunk.subarray(at, at + n), this.#headerBytes);
      this.#headerBytes += n;
      at += n;
      if (this.#headerBytes < FRAME_HEADER_BYTES) break;
      this.#headerBytes = 0;
      const h = this.#header;
      const head: FrameHead = {
        length: h[0] << 16 | h[1] << 8 | h[2],
        type: h[3],
        flags: h[4],
        stream: (h[5] << 24 | h[6] << 16 | h[7] << 8 | h[8]) & 0x7fffffff,
      };
      this.#startFrame(head, start + at - FRAME_HEADER_BYTES);
      if (head.length > 0 && this.#listeners.some((l) => l.wantsPayload?.(head))) {
        this.#head = head;
        this.#payload = new Uint8Array(head.length);
        this.#payloadBytes = 0;
      } else {
        this.#skip = head.length;
        this.#tell(head, null, false);
        if (head.length === 0) this.#frameRead();
      }
    }
    this.#offset = start + at;
    return this.#closed;
  }

  /** Notes where a header block begins (HEADERS, PUSH_PROMISE) and whether this frame ends it. */
  #startFrame(head: FrameHead, at: number): void {
    const inBlock = head.type === FRAME_TYPE.HEADERS || head.type === FRAME_TYPE.PUSH_PROMISE ||
      head.type === FRAME_TYPE.CONTINUATION;
    if (inBlock && head.type !== FRAME_TYPE.CONTINUATION && this.#blockStart === null) {
      this.#blockStart = at;
    }
    this.#endsBlock = inBlock && (head.flags & FRAME_FLAG.END_HEADERS) !== 0;
  }

  /** A frame was read to its end: the header block it ended is settled. */
  #frameRead(): void {
    if (this.#endsBlock) this.#blockStart = null;
    this.#endsBlock = false;
  }

  /** Hands a frame to each listener, its payload to those that asked for it. */
  #tell(head: FrameHead, payload: Uint8Array | null, read: boolean): void {
    for (const listener of this.#listeners) {
      const wanted = read && (listener.wantsPayload?.(head) ?? false);
      if (listener.frame(head, wanted ? payload : null) === true) {
        this.#closed = true;
        return;
      }
    }
  }
}

/** Where a socket keeps what watches its writes (`onWrittenFrames`, `onWritesDone`). */
const WRITES = Symbol.for("tasks-executor.writes");

/** A socket as far as what is written to it is read. */
interface WritableSocket {
  write(chunk: unknown, ...rest: unknown[]): boolean;
  [WRITES]?: WriteWatchers;
}

/** What is told of a socket's writes: the frames written, and each write's completion. */
interface WriteWatchers {
  frames: FrameListener[];
  done: (() => void)[];
}

/**
 * The watchers of `socket`'s writes: one wrapper around its `write`, made at the first call,
 * reads the frames of every chunk and wraps a write's callback only while some wait for it.
 */
function writeWatchersOf(socket: object): WriteWatchers {
  const writable = socket as WritableSocket;
  const known = writable[WRITES];
  if (known) return known;
  const watchers: WriteWatchers = { frames: [], done: [] };
  const reader = new FrameReader(watchers.frames, { preface: 0 });
  const write = writable.write.bind(socket);
  const completed = () => {
    for (const done of watchers.done) done();
  };
  writable.write = (chunk: unknown, ...rest: unknown[]) => {
    if (chunk instanceof Uint8Array) reader.read(chunk);
    if (watchers.done.length === 0) return write(chunk, ...rest);
    // `write(chunk, callback)` or `write(chunk, encoding, callback)`, as `Writable.write` reads
    // them: the callback's place is the first after the chunk when that is a function.
    const place = typeof rest[0] === "function" ? 0 : 1;
    const callback = typeof rest[place] === "function"
      ? rest[place] as (error?: unknown) => void
      : undefined;
    rest[place] = (error?: unknown) => {
      callback?.(error);
      completed();
    };
    return write(chunk, ...rest);
  };
  Object.defineProperty(socket, WRITES, { value: watchers });
  return watchers;
}

/**
 * Hands `listener` the frames written to `socket` from now on, as node:http2 writes them (no
 * preface): one reader per socket, wrapped around its `write`, however many listen.
 */
export function onWrittenFrames(socket: object, listener: FrameListener): void {
  writeWatchersOf(socket).frames.push(listener);
}

/** Calls `done` each time a write to `socket` completes (after the write's own callback). */
export function onWritesDone(socket: object, done: () => void): void {
  writeWatchersOf(socket).done.push(done);
}
