/**
 * Pacing for streaming calls that may send much (`WatchTasks`, reflection). Deno 2.7's `node:http2`
 * takes every write at once and keeps what the client's flow-control window does not admit, so
 * a client that stops reading would make the manager hold all it is sent (300 results of 1 MiB
 * took a manager from 150 to 500 MB). Writers wait here, before each message, while the
 * client's window on the connection is shut: then at most one message is queued per stream.
 *
 * The window is read from grpc-js's call internals (the HTTP/2 stream under its interceptors):
 * tests/task_watch_test.ts holds a non-reading client to it, so an upgrade that moves them fails
 * there rather than silently sending unpaced.
 */
import type * as grpc from "@grpc/grpc-js";
import { answersPiledUp } from "./answer_bytes.ts";
import { FRAME_TYPE, type FrameHead, type FrameListener } from "./frames.ts";

/** Bytes gRPC adds to each message on the wire (the compressed flag and the length). */
export const MESSAGE_PREFIX_BYTES = 5;

/** How often a shut window is looked at again, in ms. */
const RECHECK_MS = 25;

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
  const session = http2StreamOf(call)?.session;
  if (session?.destroyed === true) return false;
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
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, RECHECK_MS);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}

/** HTTP/2's default for a stream's window, until the client's SETTINGS say otherwise. */
const DEFAULT_WINDOW = 65_535;
/** The setting that gives a stream's first window (RFC 9113 §6.5.2). */
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
/** The property of a connection's socket that holds its `SendWindows` (read through Deno's proxy). */
const WINDOWS = Symbol.for("tasks-executor.sendWindows");

/**
 * What one connection's client lets the manager send on each stream that asks (`watch`): it reads
 * the client's SETTINGS (initial window) and WINDOW_UPDATE frames from the bytes the client sends,
 * since Deno's `node:http2` reports the connection's window only, none per stream. A worker whose
 * transport reads the socket (grpc-go, grpc-js) keeps the connection's window open while its
 * application reads nothing: only its stream's window shows it.
 *
 * @example
 * ```ts
 * import { SendWindows } from "./send_window.ts";
 * const windows = new SendWindows();
 * const stream = windows.watch(1);
 * stream.wrote(70_000);
 * console.log(stream.room()); // -4465: the client has not read what its window took
 * ```
 */
export class SendWindows implements FrameListener {
  #initial = DEFAULT_WINDOW;
  readonly #streams = new Map<number, StreamWindow>();
  #wakeQueued = false;

  /** Starts counting one stream's window (none of it used yet); `forget` ends it. */
  watch(streamId: number): StreamWindow {
    const stream = new StreamWindow(() => this.#initial, () => this.#streams.delete(streamId));
    this.#streams.set(streamId, stream);
    return stream;
  }

  /** The frames whose payloads it reads: WINDOW_UPDATE, and SETTINGS that are not an ack. */
  wantsPayload(head: FrameHead): boolean {
    return (head.type === FRAME_TYPE.WINDOW_UPDATE && head.length === 4) ||
      (head.type === FRAME_TYPE.SETTINGS && (head.flags & 0x1) === 0 && head.length <= 6 * 64);
  }

  /** Takes one frame `FrameReader` read (its payload when `wantsPayload` asked for it). */
  frame(head: FrameHead, payload: Uint8Array | null): void {
    if (!payload) return;
    const view = new DataView(payload.buffer, payload.byteOffset, payload.length);
    if (head.type === FRAME_TYPE.WINDOW_UPDATE) {
      const increment = view.getUint32(0) & 0x7fffffff;
      if (head.stream === 0) this.#wake(this.#streams.values());
      const stream = this.#streams.get(head.stream);
      if (!stream) return;
      stream.opened += increment;
      this.#wake([stream]);
      return;
    }
    for (let at = 0; at + 6 <= payload.length; at += 6) {
      if (view.getUint16(at) !== SETTINGS_INITIAL_WINDOW_SIZE) continue;
      this.#initial = view.getUint32(at + 2);
      this.#wake(this.#streams.values());
    }
  }

  /**
   * Tells the streams their window opened, once node:http2 has taken the same bytes in (its own
   * count of the connection's window moves only then).
   */
  #wake(streams: Iterable<StreamWindow>): void {
    for (const stream of streams) stream.woken = true;
    if (this.#wakeQueued) return;
    this.#wakeQueued = true;
    setTimeout(() => {
      this.#wakeQueued = false;
      for (const stream of this.#streams.values()) {
        if (!stream.woken) continue;
        stream.woken = false;
        if (stream.room() > 0) stream.notify();
      }
    }, 0);
  }
}

/** One stream's share of `SendWindows`: what the manager wrote on it against what was let in. */
export class StreamWindow {
  /** WINDOW_UPDATE increments the client sent for this stream. */
  opened = 0;
  /** Bytes of DATA the manager wrote on it (sent or still queued by node:http2). */
  written = 0;
  /** Set while a wake-up is due. */
  woken = false;
  /** Called when the client opens the window again (and there is room). */
  onOpen: (() => void) | undefined;
  readonly #initial: () => number;
  readonly #forget: () => void;

  constructor(initial: () => number, forget: () => void) {
    this.#initial = initial;
    this.#forget = forget;
  }

  /** Counts `bytes` of DATA written on the stream. */
  wrote(bytes: number): void {
    this.written += bytes;
  }

  /** Bytes the client's window on this stream still admits (negative: that much waits queued). */
  room(): number {
    return this.#initial() + this.opened - this.written;
  }

  /** Tells `onOpen` that the window opened. */
  notify(): void {
    this.onOpen?.();
  }

  /** Stops counting (the stream ended). */
  forget(): void {
    this.onOpen = undefined;
    this.notify();
    this.#forget();
  }
}

/**
 * The `SendWindows` of a connection, kept on its `socket` where `streamWindowOf` finds it: a
 * listener of the connection's `FrameReader`.
 */
export function readSendWindows(socket: object): FrameListener {
  const windows = new SendWindows();
  Object.defineProperty(socket, WINDOWS, { value: windows });
  return windows;
}

/**
 * The window of the HTTP/2 stream under `call`, counted from now (call it before anything is
 * written), and the connection's window; `null` when the connection's frames are not read
 * (`readSendWindows`) or the stream cannot be found.
 */
export function streamWindowOf(
  call: SendingCall,
): { stream: StreamWindow; connection: () => number } | null {
  const http2Stream = http2StreamOf(call) as
    | (Http2StreamLike & { id?: number; session?: { socket?: Record<symbol, unknown> } })
    | null;
  const windows = http2Stream?.session?.socket?.[WINDOWS];
  if (!(windows instanceof SendWindows) || typeof http2Stream?.id !== "number") return null;
  const session = http2Stream.session;
  return {
    stream: windows.watch(http2Stream.id),
    connection: () => session?.state?.remoteWindowSize ?? Infinity,
  };
}
