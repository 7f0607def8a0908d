/**
 * The client's flow-control windows (RFC 9113 §5.2, §6.9), counted by the manager. Deno 2.7's
 * `node:http2` takes every write at once, keeps what the client's windows do not admit, and never
 * frees what it kept for a connection that closes; so every answer goes through its stream's
 * `StreamWindow` (`http2_guard.ts`), which hands on only what both windows admit and holds the
 * rest itself. Writers of streaming calls that may send much also wait here before each message:
 * `Produce` and `Work` while their stream's window or the connection's is shut, so that a client
 * that stops reading has about one message held for it per stream; `WatchTasks` and reflection
 * while the connection's is shut or holds half its cap of answers (`answerRoom`), their stream's
 * answers past its window held by the stream meanwhile.
 *
 * The window of a call is read from grpc-js's call internals (the HTTP/2 stream under its
 * interceptors): tests/task_watch_test.ts holds a non-reading client to it, so an upgrade that
 * moves them fails there rather than silently sending unpaced.
 */
import type * as grpc from "@grpc/grpc-js";
import { answerRoom, answersPiledUp } from "./answer_bytes.ts";
import {
  FRAME_TYPE,
  type FrameHead,
  type FrameListener,
  MAX_FRAME_PAYLOAD,
  onWritesDone,
  onWrittenFrames,
} from "./frames.ts";

/** Bytes gRPC adds to each message on the wire (the compressed flag and the length). */
export const MESSAGE_PREFIX_BYTES = 5;

/**
 * How long a writer waits for a shut window with no word of it opening, in ms: the events that
 * open it (`SendWindows.onRoom`) wake it sooner. Looked at every 25 ms instead, 900 watches
 * waiting on one connection that read nothing took 48% of the manager's core.
 */
const NO_WORD_RECHECK_MS = 1_000;
/** How often a shut window whose frames are not read (no `SendWindows`) is looked at again, in ms. */
const UNREAD_RECHECK_MS = 25;

interface Http2StreamLike {
  session?: { state?: { remoteWindowSize?: number }; destroyed?: boolean; socket?: unknown };
}

/** A grpc-js server call that sends a stream of messages. */
type SendingCall =
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

/** The HTTP/2 stream under a grpc-js server call (`call.call`, then its `nextCall`s). */
function http2StreamOf(call: SendingCall): Http2StreamLike | null {
  let link = (call as unknown as { call?: Record<string, unknown> }).call;
  for (let depth = 0; link && depth < 16; depth++) {
    if (link.stream) return link.stream as Http2StreamLike;
    link = link.nextCall as Record<string, unknown> | undefined;
  }
  return null;
}

/**
 * Whether the client's flow-control window on the call's connection is shut now, or the
 * connection holds many answers its client has not taken (`answersPiledUp`: a client may announce
 * a window it does not read); `false` when neither can be read. A writer that checks first need
 * not wait for `sendWindowOpen` when it is open: the message goes out in the same turn.
 */
export function sendWindowShut(call: SendingCall): boolean {
  const http2Stream = http2StreamOf(call);
  const session = http2Stream?.session;
  if (session?.destroyed === true) return false;
  const window = http2Stream && windowOfStream(http2Stream);
  if (window) return window.connectionRoom() <= 0;
  return session?.state?.remoteWindowSize === 0 || answersPiledUp(session?.socket);
}

/**
 * Resolves once the client's flow-control window on the call's connection is open (at once when
 * it is, or when the window cannot be read), or `signal` aborts.
 */
export async function sendWindowOpen(
  call: SendingCall,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted && sendWindowShut(call)) {
    const http2Stream = http2StreamOf(call);
    const window = http2Stream && windowOfStream(http2Stream);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, window ? NO_WORD_RECHECK_MS : UNREAD_RECHECK_MS);
      const forget = window?.onConnectionRoom(done);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        forget?.();
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}

/** HTTP/2's first window, of a stream until the client's SETTINGS say otherwise, and of a connection. */
const DEFAULT_WINDOW = 65_535;
/** The setting that gives a stream's first window (RFC 9113 §6.5.2). */
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
/** The property of a connection's socket that holds its `SendWindows` (read through Deno's proxy). */
const WINDOWS = Symbol.for("tasks-executor.sendWindows");
/** The property of an HTTP/2 stream that holds its `StreamWindow` (`claimStreamWindow`). */
const WINDOW = Symbol.for("tasks-executor.streamWindow");
/**
 * Streams whose WINDOW_UPDATE came before node:http2 made them streams (the frames of one read
 * are seen before it takes them in) kept at most, per connection: more is not a client's doing
 * but a flood (a WINDOW_UPDATE on a stream never opened ends the connection).
 */
const EARLY_STREAMS = 4096;

/** A callback of a stream's `write`: called once node:http2 (or the stream's window) took the bytes. */
type WriteCallback = (error?: Error | null) => void;
/** The stream's own `write`, which hands bytes to node:http2. */
type HandOn = (bytes: Uint8Array, callback?: WriteCallback) => void;

/**
 * What one connection's client lets the manager send (RFC 9113 §6.9), read from the bytes the
 * client sends: its SETTINGS (a stream's first window) and WINDOW_UPDATE frames, for the
 * connection and for each stream, less what the manager handed to node:http2 on each. Deno's
 * `node:http2` reports the connection's window only, and keeps whatever the client's windows do
 * not admit; what it keeps for a connection that then closes is never freed (Deno 2.7.14: 120
 * unread answers of 1.8 MB on 4 connections, closed, grew the manager about 200 MB each time).
 * So each stream hands node:http2 no more than both windows admit, and holds the rest itself
 * (`StreamWindow.send`), freed with the stream. A worker whose transport reads the socket
 * (grpc-go, grpc-js) keeps the connection's window open while its application reads nothing:
 * only its stream's window shows it.
 *
 * @example
 * ```ts
 * import { SendWindows } from "./send_window.ts";
 * const windows = new SendWindows({ write: () => true });
 * const stream = windows.claim(1);
 * stream.wrote(70_000);
 * console.log(stream.room()); // -4465: the client has not read what its window took
 * ```
 */
export class SendWindows implements FrameListener {
  /** The connection's socket, whose account of answers (`answer_bytes.ts`) writers heed too. */
  readonly socket: object;
  #initial = DEFAULT_WINDOW;
  readonly #streams = new Map<number, StreamWindow>();
  /** WINDOW_UPDATE increments of streams not claimed yet, by id (above `#claimedUpTo`). */
  readonly #early = new Map<number, number>();
  #claimedUpTo = 0;
  /** The connection's WINDOW_UPDATE increments. */
  #connectionOpened = 0;
  /** Bytes of DATA written to the socket, over all streams. */
  #connectionWritten = 0;
  /**
   * Bytes of DATA open streams handed to node:http2 that were not written to the socket yet: a
   * stream reset meanwhile takes them with it (node:http2 drops them, and the client never counts
   * them against its window).
   */
  #unwritten = 0;
  /** Reads the DATA frames written to the socket (`onWrittenFrames`). */
  readonly #written: FrameListener = {
    frame: (head) => {
      if (head.type !== FRAME_TYPE.DATA) return;
      this.#connectionWritten += head.length;
      const stream = this.#streams.get(head.stream);
      if (!stream) return;
      const written = Math.min(head.length, stream.unwritten);
      stream.unwritten -= written;
      this.#unwritten -= written;
    },
  };
  /** Streams holding bytes the windows did not admit. */
  readonly #holding = new Set<StreamWindow>();
  #releaseQueued = false;
  #wakeQueued = false;
  /** Writers waiting for the connection's room to grow (`onRoom`), oldest first. */
  readonly #roomWaiters = new Set<() => void>();
  #nextWakeQueued = false;
  /** Streams whose own window opened, to be told (`StreamWindow.notify`) in the next turn. */
  readonly #woken = new Set<StreamWindow>();
  /**
   * Set when the connection's window opened, or every stream's (SETTINGS): every stream with room
   * is told in the next turn. Marking each stream at each such frame instead, a client's flood
   * of WINDOW_UPDATEs of the connection held `/healthz` for seconds.
   */
  #allWoken = false;

  constructor(socket: object) {
    this.socket = socket;
    onWrittenFrames(socket, this.#written);
    // A write that completes takes its bytes off the socket's buffer, which the account of
    // answers counts (`answerRoom`): no 'drain' tells it when the write never passed the
    // buffer's mark.
    onWritesDone(socket, () => this.#wakeRoomWaiters());
  }

  /**
   * Starts counting stream `streamId`'s window as node:http2 makes it a stream (nothing sent on
   * it yet); `StreamWindow.close` ends it.
   */
  claim(streamId: number): StreamWindow {
    const stream = new StreamWindow(this, () => {
      this.#streams.delete(streamId);
      this.#holding.delete(stream);
      this.#woken.delete(stream);
      const givenBack = stream.unwritten;
      this.#unwritten -= givenBack;
      stream.unwritten = 0;
      // No WINDOW_UPDATE comes for what node:http2 dropped (the client never counted it): the
      // connection's window opened by it now, for the streams holding bytes and the writers.
      // The account of answers gives back what the stream had not sent, too (`answerRoom`): the
      // writers waiting for room are told (a timer only when some wait: a stream closes with
      // every call).
      if (givenBack > 0) this.#openedAll();
      else if (this.#roomWaiters.size > 0) this.#opened();
    });
    stream.opened = this.#early.get(streamId) ?? 0;
    // Streams are made in the order of their ids: one below this one that was not claimed was
    // refused.
    for (const id of this.#early.keys()) if (id <= streamId) this.#early.delete(id);
    this.#claimedUpTo = Math.max(this.#claimedUpTo, streamId);
    this.#streams.set(streamId, stream);
    return stream;
  }

  /** A stream's first window now (the client's SETTINGS may change it). */
  get initial(): number {
    return this.#initial;
  }

  /**
   * Bytes of DATA the connection's window admits now, over all streams: less what was written to
   * the socket, and what open streams handed to node:http2 and it has not written yet.
   */
  connectionWindow(): number {
    return DEFAULT_WINDOW + this.#connectionOpened - this.#connectionWritten - this.#unwritten;
  }

  /** Counts `bytes` of DATA handed to node:http2 on `stream`, not written to the socket yet. */
  sent(stream: StreamWindow, bytes: number): void {
    stream.unwritten += bytes;
    this.#unwritten += bytes;
  }

  /**
   * Calls `wake` once when the connection's room (`StreamWindow.connectionRoom`) may have grown:
   * its window opened (WINDOW_UPDATE, SETTINGS), a stream closed (what it had not sent goes back),
   * or a write to the socket completed (the account of answers, `answerRoom`). Returns a function
   * that forgets it.
   */
  onRoom(wake: () => void): () => void {
    this.#roomWaiters.add(wake);
    return () => this.#roomWaiters.delete(wake);
  }

  /**
   * Wakes the oldest writer waiting for room when the connection has some (else they sleep on),
   * and the next a turn later, once the one before has written: all woken at once, each looked
   * before any wrote, and one WINDOW_UPDATE let 335 writers of 200 KB through a 64 KiB window
   * (265 of them then reset past the connection's cap of answers).
   */
  #wakeRoomWaiters(): void {
    if (this.#roomWaiters.size === 0) return;
    if (this.connectionWindow() <= 0 || answerRoom(this.socket) <= 0) return;
    const [wake] = this.#roomWaiters;
    this.#roomWaiters.delete(wake);
    wake();
    if (this.#roomWaiters.size === 0 || this.#nextWakeQueued) return;
    this.#nextWakeQueued = true;
    setTimeout(() => {
      this.#nextWakeQueued = false;
      this.#wakeRoomWaiters();
    }, 0);
  }

  /** Marks `stream` as holding bytes (it is released when a window opens) or no longer. */
  holding(stream: StreamWindow, holds: boolean): void {
    if (holds) this.#holding.add(stream);
    else this.#holding.delete(stream);
  }

  /** The frames whose payloads it reads: WINDOW_UPDATE, and SETTINGS that are not an ack. */
  wantsPayload(head: FrameHead): boolean {
    return (head.type === FRAME_TYPE.WINDOW_UPDATE && head.length === 4) ||
      (head.type === FRAME_TYPE.SETTINGS && (head.flags & 0x1) === 0 &&
        head.length <= MAX_FRAME_PAYLOAD);
  }

  /** Takes one frame `FrameReader` read (its payload when `wantsPayload` asked for it). */
  frame(head: FrameHead, payload: Uint8Array | null): void {
    if (!payload) return;
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    if (head.type === FRAME_TYPE.WINDOW_UPDATE) {
      const increment = view.getUint32(0) & 0x7fffffff;
      if (head.stream === 0) {
        this.#connectionOpened += increment;
        this.#openedAll();
        return;
      }
      const stream = this.#streams.get(head.stream);
      if (stream) {
        stream.opened += increment;
        this.#opened(stream);
      } else if (head.stream > this.#claimedUpTo && this.#early.size < EARLY_STREAMS) {
        this.#early.set(head.stream, (this.#early.get(head.stream) ?? 0) + increment);
      }
      return;
    }
    for (let at = 0; at + 6 <= payload.length; at += 6) {
      if (view.getUint16(at) !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
      this.#initial = view.getUint32(at + 2);
      this.#openedAll();
    }
  }

  /** Has the streams holding bytes hand on what the windows admit, in a microtask. */
  #releaseHolding(): void {
    if (this.#holding.size === 0 || this.#releaseQueued) return;
    this.#releaseQueued = true;
    queueMicrotask(() => {
      this.#releaseQueued = false;
      for (const stream of [...this.#holding]) stream.release();
    });
  }

  /**
   * A window opened, the connection's or `stream`'s: the bytes streams hold go on once node:http2
   * has read the same frames (a microtask: the frames are seen as they arrive, before it takes
   * them in), and the writers waiting for room are told once its own count of the connection's
   * window has moved.
   */
  #opened(stream?: StreamWindow): void {
    if (stream) this.#woken.add(stream);
    this.#releaseHolding();
    if (this.#wakeQueued) return;
    this.#wakeQueued = true;
    setTimeout(() => {
      this.#wakeQueued = false;
      const woken = [...(this.#allWoken ? this.#streams.values() : this.#woken)];
      this.#allWoken = false;
      this.#woken.clear();
      for (const stream of woken) if (stream.room() > 0) stream.notify();
      this.#wakeRoomWaiters();
    }, 0);
  }

  /** As `#opened`, for every stream (marked once, whatever their number). */
  #openedAll(): void {
    this.#allWoken = true;
    this.#opened();
  }
}

/**
 * One stream's share of `SendWindows`: what its writers gave it (`wrote`), what it handed to
 * node:http2 (`send`), against what the client let in.
 */
export class StreamWindow {
  /** WINDOW_UPDATE increments the client sent for this stream. */
  opened = 0;
  /** Bytes of DATA its writers counted as written (handed on, held here, or on their way). */
  written = 0;
  /** Bytes of DATA the stream's `write` was given (handed on or held here). */
  given = 0;
  /** Bytes of DATA handed to node:http2. */
  sent = 0;
  /** Of those, the bytes not yet written to the socket (`SendWindows` counts them). */
  unwritten = 0;
  /**
   * Called when the stream has room and its window or the connection's may have opened (its or
   * the connection's WINDOW_UPDATE, SETTINGS, a stream closing with bytes to give back): a
   * worker's `Work` stream waits on both windows, `Produce` on its own.
   */
  onOpen: (() => void) | undefined;
  readonly #windows: SendWindows;
  readonly #forget: () => void;
  /** Bytes the windows did not admit yet, oldest first. */
  #held: Uint8Array[] = [];
  #handOn: HandOn | undefined;
  /** The stream's `end`, once called while bytes were held. */
  #end: (() => void) | undefined;
  #closed = false;

  constructor(windows: SendWindows, forget: () => void) {
    this.#windows = windows;
    this.#forget = forget;
  }

  /** Counts `bytes` of DATA its writer wrote (for `room`). */
  wrote(bytes: number): void {
    this.written += bytes;
  }

  /** Bytes the client's window on this stream admits past what its writers wrote (negative: held). */
  room(): number {
    return this.#windows.initial + this.opened - this.written;
  }

  /**
   * Bytes of DATA a writer may give the connection now: what its window admits, within what its
   * account of answers leaves before half its cap (`answerRoom`: a client may announce a window
   * it does not read) less what this stream's writer wrote that has not reached the stream yet
   * (grpc-js holds a stream's next messages until node:http2 is done with the one before).
   *
   * The connection's window is not lessened by those bytes on their way, by choice: a writer of
   * several messages in one turn may pass it, and the stream holds what it does not admit. A
   * client's transport opens that window as bytes arrive, whatever its application reads (the
   * stream's window says that), and what a client can make the manager hold is bounded by the
   * account of answers either way. Lessened too, a worker whose stream's window was open and
   * whose connection's was shut was leased 4 tasks of 20 KB instead of 28, but the benchmark's
   * throughput fell in 6 of 7 interleaved pairs (by 12% in the median of the first 4).
   */
  connectionRoom(): number {
    const onTheirWay = Math.max(0, this.written - this.given);
    return Math.min(
      this.#windows.connectionWindow(),
      answerRoom(this.#windows.socket) - onTheirWay,
    );
  }

  /** Whether bytes wait here for the client's windows. */
  get holds(): boolean {
    return this.#held.length > 0;
  }

  /**
   * Hands `bytes` on with `handOn` (the stream's own `write`) at once when both windows admit
   * them and nothing waits before them; else holds them, and hands on what the windows admit as
   * they open, in order, in parts. Held bytes are taken as node:http2 takes bytes, whatever the
   * window: `callback` is called at once (in a microtask), so the call goes on to its status
   * (whose `end` waits, `endAfterSent`), and the account of answers counts them until sent.
   */
  send(bytes: Uint8Array, callback: WriteCallback | undefined, handOn: HandOn): void {
    this.given += bytes.byteLength;
    if (this.#closed || (this.#held.length === 0 && bytes.byteLength <= this.#admits())) {
      if (!this.#closed) this.#count(bytes.byteLength);
      handOn(bytes, callback);
      return;
    }
    this.#held.push(bytes);
    this.#handOn = handOn;
    this.#windows.holding(this, true);
    this.release();
    if (callback) queueMicrotask(() => callback());
  }

  /** Hands on what it holds as far as the windows admit; then the stream's `end` if it was due. */
  release(): void {
    const handOn = this.#handOn;
    while (handOn && this.#held.length > 0) {
      const admits = this.#admits();
      if (admits <= 0) return;
      const next = this.#held[0];
      if (next.byteLength <= admits) {
        this.#held.shift();
        this.#count(next.byteLength);
        handOn(next);
      } else {
        this.#count(admits);
        handOn(next.subarray(0, admits));
        this.#held[0] = next.subarray(admits);
      }
    }
    this.#windows.holding(this, false);
    const end = this.#end;
    this.#end = undefined;
    end?.();
  }

  /** Calls `end` (the stream's own) at once, or once what it holds is handed on. */
  endAfterSent(end: () => void): void {
    if (this.#held.length === 0) end();
    else this.#end = end;
  }

  /** `SendWindows.onRoom` of the stream's connection. */
  onConnectionRoom(wake: () => void): () => void {
    return this.#windows.onRoom(wake);
  }

  /** Tells `onOpen` that the window opened. */
  notify(): void {
    this.onOpen?.();
  }

  /** Stops counting (the stream closed): what it held is dropped. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#end = undefined;
    this.#handOn = undefined;
    this.onOpen = undefined;
    this.#forget();
  }

  /** Bytes both windows admit now. */
  #admits(): number {
    return Math.min(
      this.#windows.initial + this.opened - this.sent,
      this.#windows.connectionWindow(),
    );
  }

  #count(bytes: number): void {
    this.sent += bytes;
    this.#windows.sent(this, bytes);
  }
}

/**
 * The `SendWindows` of a connection, kept on its `socket` where `streamWindowOf` finds it: a
 * listener of the connection's `FrameReader`.
 */
export function readSendWindows(socket: object): FrameListener {
  const windows = new SendWindows(socket);
  Object.defineProperty(socket, WINDOWS, { value: windows });
  return windows;
}

/** An HTTP/2 stream of a gRPC server, as far as its window is counted. */
interface WindowedStream {
  id?: number;
  session?: { socket?: unknown };
  [WINDOW]?: StreamWindow;
}

/**
 * Starts counting the window of `stream` (as it arrives, before anything is written on it) and
 * keeps it on the stream; `null` when its connection's frames are not read (`readSendWindows`).
 */
export function claimStreamWindow(stream: WindowedStream): StreamWindow | null {
  let windows: unknown;
  try {
    windows = (stream.session?.socket as Record<symbol, unknown> | undefined)?.[WINDOWS];
  } catch {
    // node:http2's proxy throws once the session has let go of its socket.
    return null;
  }
  if (!(windows instanceof SendWindows) || typeof stream.id !== "number") return null;
  const window = windows.claim(stream.id);
  stream[WINDOW] = window;
  return window;
}

/** The window `claimStreamWindow` counts for `stream`, or `undefined`. */
export function windowOfStream(stream: object): StreamWindow | undefined {
  return (stream as WindowedStream)[WINDOW];
}

/**
 * The window of the HTTP/2 stream under `call`, and the connection's window (bytes it admits
 * now); `null` when the connection's frames are not read (`readSendWindows`) or the stream cannot
 * be found.
 */
export function streamWindowOf(
  call: SendingCall,
): { stream: StreamWindow; connection: () => number } | null {
  const http2Stream = http2StreamOf(call);
  const stream = http2Stream && windowOfStream(http2Stream);
  if (!stream) return null;
  return { stream, connection: () => stream.connectionRoom() };
}
