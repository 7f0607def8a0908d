/**
 * The bytes of gRPC answers the manager has written and its clients have not taken yet. A client
 * that does not read leaves them in the manager (held by their streams until its windows admit
 * them, `send_window.ts`, then in the socket's buffers): a client with a read key that opened 600
 * `ListTasks` calls of 1,000 tasks on one connection and never read its socket took a manager to
 * 2.2 GB, 300 `GetTask` calls of a 1.8 MB task 0.5 GB more each time, and `/healthz` waited
 * seconds meanwhile. So each connection counts, per open stream, what the stream has been given to
 * send (each message it writes) less the DATA frames' payloads of that stream handed to the
 * socket, plus what the socket still buffers (a stream that ends takes what it had not sent with
 * it), and an answer that would take that past `perConnection`, or all connections together past
 * `total`, is not written: its stream is reset with ENHANCE_YOUR_CALM,
 * which gRPC clients report as RESOURCE_EXHAUSTED. Past `total`, the connection that holds the
 * most is closed instead when it is not the one writing or waiting for room: the client that reads
 * nothing pays for it, not the next caller. And since an answer refused has been built already (a page read and
 * encoded: 300 such calls still held the thread 3 s), unary and server-streaming calls take turns
 * on their connection (`answerInTurn`), a call's handler running once there is room for its answer.
 *
 * Writers that pace themselves by the client's window (`send_window.ts`) stay far below the caps;
 * the caps hold for a client that lies about its window, or for answers that no one paces.
 */
import * as grpc from "@grpc/grpc-js";
import type { Duplex } from "node:stream";
import type { Limits } from "../domain/limits.ts";
import { log } from "../log.ts";
import { LogThrottle } from "../log_throttle.ts";
import { FRAME_TYPE, onWrittenFrames } from "./frames.ts";
import { callUnderInterceptors } from "./request_bytes.ts";

/** The caps, in bytes of gRPC messages (with their 5-byte prefixes). */
export interface AnswerBytesLimits {
  /** One connection (MAX_CONNECTION_ANSWER_BYTES). */
  perConnection: number;
  /** All connections together (MAX_ANSWER_BYTES_IN_FLIGHT). */
  total: number;
}

/** The RST_STREAM code for a peer that makes the endpoint hold too much (RFC 9113 §7). */
export const ENHANCE_YOUR_CALM = 0xb;

/** What one connection's streams have been given to send and its socket was not handed yet. */
interface ConnectionAnswers {
  owner: AnswerBytesInFlight;
  socket: Duplex;
  /**
   * By stream id, open streams only: bytes of messages the stream wrote less the DATA payloads of
   * that stream written to the socket. A stream reset before its data went out (a cancel, a
   * deadline, a refusal here) takes what it had left with it.
   */
  streams: Map<number, number>;
  /** Their sum. */
  unsent: number;
}

/** Where a connection's account is kept on its socket (read through `node:http2`'s proxy). */
const ANSWERS = Symbol.for("tasks-executor.answerBytes");

/**
 * The account kept on `socket` (a stream's `session.socket`: `node:http2`'s proxy, which throws
 * once the session has let go of its socket), or `null`.
 */
function accountOf(socket: unknown): ConnectionAnswers | null {
  try {
    return (socket as Record<symbol, ConnectionAnswers> | undefined)?.[ANSWERS] ?? null;
  } catch {
    return null;
  }
}

/** The bytes `connection` holds: given, not yet handed to its socket, or handed and buffered. */
function heldBy(connection: ConnectionAnswers): number {
  return connection.unsent + connection.socket.writableLength;
}

/**
 * Bytes the connection of `socket` (a stream's `session.socket`) may be given before it holds half
 * its cap of answers not taken (`Infinity` when no account watches it): a writer that paces itself
 * (`send_window.ts`) stops there, instead of building messages its client is not reading (one
 * that lies about its window reads as open). It sees the messages that reached the stream: those
 * still on their way through grpc-js are not counted, so a burst of them can reach the cap
 * (`admit` refuses past it).
 */
export function answerRoom(socket: unknown): number {
  const connection = accountOf(socket);
  if (!connection || !connection.owner.watching(connection)) return Infinity;
  return connection.owner.limits.perConnection / 2 - heldBy(connection);
}

/** Whether the connection of `socket` holds half its cap of answers not taken or more. */
export function answersPiledUp(socket: unknown): boolean {
  return answerRoom(socket) <= 0;
}

/** An HTTP/2 stream of a gRPC server, as far as its answers are counted. */
export interface AnswerStream {
  id: number;
  session?: { socket?: unknown };
  once(event: "close", listener: () => void): unknown;
}

/**
 * Counts `stream`'s answers on its connection's account until it closes: then what it was given
 * and did not send is no longer held. Call it as the stream arrives.
 */
export function trackAnswerStream(stream: AnswerStream): void {
  const connection = accountOf(stream.session?.socket);
  if (!connection) return;
  connection.streams.set(stream.id, 0);
  stream.once("close", () => {
    connection.unsent -= connection.streams.get(stream.id) ?? 0;
    connection.streams.delete(stream.id);
  });
}

/**
 * Whether a message of `bytes` may be written on `stream`, by the account that watches its
 * connection (`AnswerBytesInFlight.admit`); `true` for a connection no account watches. Streams'
 * classes are shared by every server of a process: the account is found from the stream's
 * socket, not kept by the class.
 */
export function admitAnswer(stream: AnswerStream, bytes: number): boolean {
  const connection = accountOf(stream.session?.socket);
  return connection?.owner.admit(connection, stream.id, bytes) ?? true;
}

/**
 * The manager's account of gRPC answer bytes not yet taken by their clients.
 *
 * @example
 * ```ts ignore
 * const answers = new AnswerBytesInFlight({ perConnection: 64 << 20, total: 256 << 20 });
 * answers.watch(socket); // before node:http2 writes on it
 * admitAnswer(stream, message.byteLength); // false: reset the stream
 * ```
 */
export class AnswerBytesInFlight {
  readonly limits: Readonly<AnswerBytesLimits>;
  readonly #connections = new Set<ConnectionAnswers>();
  // A refusal is logged once a minute per client address at most (a flood would fill the log).
  readonly #logged = new LogThrottle();

  constructor(limits: AnswerBytesLimits) {
    this.limits = { ...limits };
  }

  /** Bytes held now over all connections (the gauge). */
  get held(): number {
    let sum = 0;
    for (const connection of this.#connections) sum += heldBy(connection);
    return sum;
  }

  /**
   * Counts what `socket`'s streams are given (`trackAnswerStream`, `admitAnswer`) and it is handed
   * (the DATA frames in the bytes written to it) from now on, until it closes.
   */
  watch(socket: Duplex): void {
    const connection: ConnectionAnswers = { owner: this, socket, streams: new Map(), unsent: 0 };
    onWrittenFrames(socket, {
      frame: (head) => {
        if (head.type !== FRAME_TYPE.DATA) return;
        const left = connection.streams.get(head.stream);
        if (!left) return;
        const sent = Math.min(left, head.length);
        connection.streams.set(head.stream, left - sent);
        connection.unsent -= sent;
      },
    });
    Object.defineProperty(socket, ANSWERS, { value: connection });
    this.#connections.add(connection);
    socket.once("close", () => this.#connections.delete(connection));
  }

  /** The account of the connection of `socket` (a stable key for it), `null` when not watched. */
  connectionOf(socket: unknown): object | null {
    const connection = accountOf(socket);
    return connection && this.#connections.has(connection) ? connection : null;
  }

  /** Whether `connection` (a `connectionOf`) is counted still: its socket has not closed. */
  watching(connection: object): boolean {
    return this.#connections.has(connection as ConnectionAnswers);
  }

  /**
   * The cap (its variable's name) `connection` (a `connectionOf`) would pass with `bytes` more, or
   * `null` when there is room, made if need be as `admit` makes it (closing the connection that
   * holds the most). `null` too for a connection no longer watched.
   */
  full(connection: object, bytes: number): string | null {
    if (!this.watching(connection)) return null;
    return this.#room(connection as ConnectionAnswers, bytes);
  }

  /**
   * Whether a message of `bytes` may be written on stream `streamId` of `connection`; counted as
   * given to that stream when it may.
   */
  admit(connection: ConnectionAnswers, streamId: number, bytes: number): boolean {
    if (!this.#connections.has(connection)) return true;
    const cap = this.#room(connection, bytes);
    if (cap !== null) {
      this.#log("gRPC answer refused", connection, heldBy(connection), cap);
      return false;
    }
    // Only the streams counted from their arrival (`trackAnswerStream`): one unknown, or closed
    // already, would keep its bytes until the connection ends.
    const given = connection.streams.get(streamId);
    if (given === undefined) return true;
    connection.streams.set(streamId, given + bytes);
    connection.unsent += bytes;
    return true;
  }

  /**
   * The cap `connection` would pass with `bytes` more, or `null`. Past the total, the connection
   * that holds the most is closed when it is not this one (the client that reads nothing pays for
   * it, not the next caller), and there is room. The total is summed only when `connection` would
   * hold more than its even share: a client that reads keeps its own near zero and pays nothing,
   * and the total may so be passed by connections within their share, by a share each at most.
   */
  #room(connection: ConnectionAnswers, bytes: number): string | null {
    const own = heldBy(connection);
    if (own + bytes > this.limits.perConnection) return "MAX_CONNECTION_ANSWER_BYTES";
    if (own + bytes <= this.limits.total / this.#connections.size) return null;
    let total = bytes;
    let most = connection;
    let mostHeld = own;
    for (const other of this.#connections) {
      const held = heldBy(other);
      total += held;
      if (held > mostHeld) [most, mostHeld] = [other, held];
    }
    if (total <= this.limits.total) return null;
    if (most === connection) return "MAX_ANSWER_BYTES_IN_FLIGHT";
    this.#log("gRPC connection closed", most, mostHeld, "MAX_ANSWER_BYTES_IN_FLIGHT");
    this.#connections.delete(most);
    most.socket.destroy();
    return null;
  }

  #log(what: string, connection: ConnectionAnswers, held: number, limit: string): void {
    const { remoteAddress, remotePort } = connection.socket as unknown as Record<string, unknown>;
    const leftOut = this.#logged.admit(String(remoteAddress), Date.now());
    if (leftOut === null) return;
    log.warn(`${what}: its client has not taken what it was sent`, {
      peer: `${remoteAddress}:${remotePort}`,
      held,
      limit,
      leftOut,
    });
  }
}

/** Most unary calls of one connection whose handlers run at once (`answerInTurn`). */
export const CALLS_RUNNING_PER_CONNECTION = 32;

/** The account a manager with `limits` keeps (`answerBytesInFlight`, `connectionAnswerBytes`). */
export function answerBytesInFlight(
  limits: Pick<Limits, "answerBytesInFlight" | "connectionAnswerBytes">,
): AnswerBytesInFlight {
  return new AnswerBytesInFlight({
    perConnection: limits.connectionAnswerBytes,
    total: limits.answerBytesInFlight,
  });
}

/** How often a connection without room for an answer is looked at again, in ms. */
const RECHECK_MS = 25;

/** A call waiting for its turn: since when (`performance.now()`), how to start or refuse it. */
interface Waiting {
  since: number;
  start(): void;
  refuse(): void;
}

/** One connection's turns: handlers running, calls waiting (oldest first), a recheck timer. */
interface Turns {
  running: number;
  waiting: Waiting[];
  timer: number | undefined;
}

/** Per connection (its account). */
const turns = new WeakMap<object, Turns>();

/**
 * A server interceptor for unary and server-streaming calls: at most `running` unary handlers of
 * one connection run at once, and the next call waits for one of them to answer and for its
 * connection to have room for an answer of `roomFor` bytes from each running handler and from it
 * (`AnswerBytesInFlight.full`), oldest first. A server-streaming call waits its turn so, then holds
 * no place: it may last as long as its client likes (32 watches would otherwise hold every place of
 * their connection), and its writers pace themselves (`send_window.ts`). Without
 * turns every call's handler ran before any answer was written, so none could see the answers
 * before it: 300 `GetTask` calls of a 1.8 MB task on a connection that read nothing were all
 * built (3 s of the thread, 600 MB). A client that reads gets every answer, paced by how fast it
 * reads; one that does not has its calls wait, each holding its request only, `waitMs` at most
 * (then RESOURCE_EXHAUSTED: waiting calls of clients that read nothing held the manager's request
 * bytes for as long as they liked, 268 MB of 268 with 4 connections). It reaches into
 * grpc-js's call under the interceptors (its HTTP/2 stream); tests/answer_bytes_test.ts holds it
 * to that.
 */
export function answerInTurn(
  answers: AnswerBytesInFlight,
  limits: { roomFor: number; running: number; waitMs: number },
): grpc.ServerInterceptor {
  /** Starts waiting calls while there is a place and room; rechecks later when there is no room. */
  const serve = (connection: object, turn: Turns) => {
    clearTimeout(turn.timer);
    turn.timer = undefined;
    // Closed: its calls are cancelled (or about to be), none is to run for nobody.
    if (!answers.watching(connection)) {
      turn.waiting.length = 0;
      return;
    }
    // A call does not wait longer than `waitMs`: it holds its request's bytes meanwhile.
    const now = performance.now();
    while (turn.waiting.length > 0 && now - turn.waiting[0].since >= limits.waitMs) {
      turn.waiting.shift()!.refuse();
    }
    while (turn.waiting.length > 0 && turn.running < limits.running) {
      // Room for the answers of the handlers running (not written yet, most of them) and its own.
      if (answers.full(connection, (turn.running + 1) * limits.roomFor) !== null) {
        turn.timer = setTimeout(() => serve(connection, turn), RECHECK_MS);
        return;
      }
      turn.waiting.shift()!.start();
    }
  };
  let warned = false;
  return (method, call) => {
    if (method.requestStream) return new grpc.ServerInterceptingCall(call);
    const inner = callUnderInterceptors(call);
    const connection = answers.connectionOf(inner?.stream?.session?.socket);
    if (!connection) {
      if (!inner?.stream && !warned) {
        warned = true;
        log.error("Cannot give gRPC calls their turns: grpc-js's call changed", {
          method: method.path,
        });
      }
      return new grpc.ServerInterceptingCall(call);
    }
    const turn = turns.get(connection) ?? { running: 0, waiting: [], timer: undefined };
    turns.set(connection, turn);
    let holding = false;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (holding) turn.running--;
      serve(connection, turn);
    };
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveHalfClose: (pass) => {
            turn.waiting.push({
              since: performance.now(),
              start: () => {
                if (ended) return;
                // A server-streaming call may last as long as its client likes (a watch): it
                // waits its turn and for room, and holds no place after (its writers pace
                // themselves).
                if (!method.responseStream) {
                  holding = true;
                  turn.running++;
                }
                pass();
              },
              refuse: () => {
                if (ended) return;
                intercepting.sendStatus({
                  code: grpc.status.RESOURCE_EXHAUSTED,
                  details:
                    `The call waited ${limits.waitMs} ms for its turn (REQUEST_RECEIVE_MS): this connection has answers its client has not read; read them before asking for more`,
                  metadata: new grpc.Metadata(),
                });
              },
            });
            serve(connection, turn);
          },
          onCancel: end,
        }),
      sendStatus: (status, next) => {
        end();
        next(status);
      },
    });
    return intercepting;
  };
}
