/**
 * The `Client`'s channel to the manager, made anew when its connection went silent (no FIN, no
 * RST: TCP tells nothing, and HTTP/2 PING cannot on Deno 2.7.14). The rule: a call or stream that
 * ends at its deadline while nothing at all arrived on its channel since it began makes the channel
 * suspect; the manager is then asked a health check on that channel with a deadline of
 * `PROBE_TIMEOUT_MS`, and a channel whose check gets no answer either is closed for a new one.
 */
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import type { TaskMessage } from "@tasks-executor/proto";
import { type ConnectionOptions, makeClient, serverStream, unary } from "./_grpc.ts";
import { UnavailableError } from "./errors.ts";
import {
  METHOD_OF,
  type ProduceKind,
  type ProduceOptions,
  ProduceStream,
  ProduceUnsupported,
} from "./_produce.ts";

/**
 * Deadline of the health check that decides whether a suspect channel is dead (ms). A live manager
 * answers one in well under a millisecond; two seconds leave room for one that is busy.
 */
export const PROBE_TIMEOUT_MS = 2000;

/** Statuses grpc-js makes up on the client: they say nothing about the connection being alive. */
const LOCAL_STATUSES: ReadonlySet<number> = new Set([
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.CANCELLED,
]);

/** One grpc-js client (its own connection) and what was heard on it. */
class Channel {
  readonly client: grpc.Client;
  /** Headers, messages and statuses that arrived from the manager so far. */
  heard = 0;
  /**
   * gRPC headers and messages that arrived so far: only a gRPC server sends those, where grpc-js
   * makes up an UNAVAILABLE status of its own for a connection never established.
   */
  answered = 0;
  /** The health check in flight: resolves whether the manager answered it. */
  probe: Promise<boolean> | null = null;
  replaced = false;
  /** Ends each stream open on the channel. */
  readonly streams = new Set<AbortController>();
  /** The producer stream on it (opened with its first request). */
  readonly produce: ProduceStream;

  constructor(options: ConnectionOptions) {
    this.client = makeClient("TaskExecutorManagerService", options, {
      interceptors: [listener(this)],
    });
    this.produce = new ProduceStream(this.client);
  }
}

/** Counts what arrives from the manager on every call and stream of `channel`. */
function listener(channel: { heard: number; answered: number }): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveMetadata(received, nextListener) {
            channel.heard++;
            // grpc-js hands on the headers of any HTTP answer (a proxy's 502 too): only a gRPC
            // server's say it was reached.
            if (String(received.get("content-type")[0] ?? "").startsWith("application/grpc")) {
              channel.answered++;
            }
            nextListener(received);
          },
          onReceiveMessage(message, nextListener) {
            // A unary call with no answer is told of a `null` message with its status.
            if (message !== null) {
              channel.heard++;
              channel.answered++;
            }
            nextListener(message);
          },
          onReceiveStatus(status, nextListener) {
            if (!LOCAL_STATUSES.has(status.code)) channel.heard++;
            nextListener(status);
          },
        });
      },
    });
}

/**
 * Whether the manager answers a health check (`grpc.health.v1.Health/Check` for the server as a
 * whole) on `client`'s connection within `PROBE_TIMEOUT_MS`. Any answer counts, a refusal too.
 */
function answersProbe(client: grpc.Client): Promise<boolean> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      // An empty HealthCheckRequest (service "") is zero bytes; the answer is not read.
      () => Buffer.alloc(0),
      (bytes: Buffer) => bytes,
      {},
      new grpc.Metadata(),
      { deadline: Date.now() + PROBE_TIMEOUT_MS },
      (error) => resolve(error?.code !== grpc.status.DEADLINE_EXCEEDED),
    );
  });
}

/** The management service's channel of one `Client`, replaced when it went silent. */
export class ClientChannel {
  readonly #options: ConnectionOptions;
  #current: Channel;
  #closed = false;
  /** The headers and messages that arrived on the channels replaced so far. */
  #answeredBefore = 0;

  /**
   * Prepares the first channel; it connects on the first call.
   *
   * @throws {TypeError} as `makeClient`
   */
  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#current = new Channel(this.#options);
  }

  /**
   * Calls one unary method as `unary` does on the current channel.
   *
   * @throws the SDK error of the status; an `UnavailableError` with `connectionReplaced` when the
   *   call ended at its deadline and its channel was found dead and replaced
   */
  async unary<T>(
    method: string,
    request: unknown,
    options: Parameters<typeof unary>[3],
  ): Promise<T> {
    const channel = this.#current;
    const heard = channel.heard;
    try {
      return await unary<T>(channel.client, method, request, options);
    } catch (error) {
      throw await this.#afterFailure(channel, heard, error);
    }
  }

  /**
   * Opens one server stream as `serverStream` does on the current channel.
   *
   * @throws as `unary`; and an `UnavailableError` (UNAVAILABLE, `connectionReplaced`) when another
   *   call found its channel dead: the stream could hear nothing more on it
   */
  async serverStream<T>(
    method: string,
    request: unknown,
    options: Parameters<typeof serverStream<T>>[3],
  ): Promise<void> {
    const channel = this.#current;
    const heard = channel.heard;
    const ended = new AbortController();
    channel.streams.add(ended);
    const signal = options.signal ? AbortSignal.any([options.signal, ended.signal]) : ended.signal;
    try {
      await serverStream<T>(channel.client, method, request, { ...options, signal });
    } catch (error) {
      if (ended.signal.aborted) throw error;
      throw await this.#afterFailure(channel, heard, error);
    } finally {
      channel.streams.delete(ended);
    }
  }

  /**
   * Sends one create (`create`: `CreateTask`), create that waits (`createAndWatch`:
   * `CreateAndWatchTask`) or wait for tasks (`watch`: `WatchTasks`), `request` encoded, on the
   * current channel's producer stream; as its own call when the manager does not serve that stream
   * or that kind of request (an older version), `PRODUCE_REQUESTS_IN_FLIGHT` requests are open on
   * it, or `options.ownCall` says so. Resolves at its last answer.
   *
   * `options.onTask` runs a caller's callback (`onCreated`, `onTask`): should it throw, the request
   * ends there (a wait is cancelled on the manager) and rejects with what it threw, the same value;
   * the stream and the other requests on it go on. Thrown from the stream's event handler, it
   * would have escaped every caller and ended the process.
   *
   * @throws as `unary` (a deadline with nothing heard since the request was sent has the channel
   *   probed and, when dead, replaced)
   * @throws what `options.onTask` threw
   */
  async produce(kind: ProduceKind, request: Uint8Array, options: ProduceOptions): Promise<void> {
    const thrown = new AbortController();
    let callbackError: unknown;
    const onTask = options.onTask;
    const signal = options.signal
      ? AbortSignal.any([options.signal, thrown.signal])
      : thrown.signal;
    try {
      await this.#produce(kind, request, {
        ...options,
        signal,
        onTask: (task) => {
          if (thrown.signal.aborted) return;
          try {
            onTask(task);
          } catch (error) {
            callbackError = error;
            thrown.abort(error);
          }
        },
      });
    } catch (error) {
      if (thrown.signal.aborted) throw callbackError;
      throw error;
    }
    // A callback that threw on the request's last answer (a create's only one) ends it as well.
    if (thrown.signal.aborted) throw callbackError;
  }

  async #produce(kind: ProduceKind, request: Uint8Array, options: ProduceOptions): Promise<void> {
    const channel = this.#current;
    if (!options.ownCall && channel.produce.accepts(kind)) {
      const heard = channel.heard;
      try {
        return await channel.produce.send(kind, request, options);
      } catch (error) {
        if (!(error instanceof ProduceUnsupported)) {
          if (options.signal?.aborted) throw error;
          throw await this.#afterFailure(channel, heard, error);
        }
      }
    }
    const call = {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      metadata: options.trace as Record<string, string>,
      encoded: true,
    };
    if (kind === "create") {
      const answer = await this.unary<{ task: TaskMessage }>(METHOD_OF[kind], request, call);
      options.onTask(answer.task);
      return;
    }
    await this.serverStream<{ task: TaskMessage }>(METHOD_OF[kind], request, {
      ...call,
      onMessage: (message) => options.onTask(message.task),
    });
  }

  /**
   * Whether the manager ever answered (headers or a message) on this client's connections: a
   * call that fails with UNAVAILABLE now lost a manager it had reached, rather than one never
   * reached (a wrong address, a manager not started).
   */
  get reached(): boolean {
    return this.#answeredBefore + this.#current.answered > 0;
  }

  /**
   * Whether the manager answers a health check on the current channel within `PROBE_TIMEOUT_MS`
   * (any answer counts); a channel that does not answer is replaced, as a silent one is.
   */
  async answers(): Promise<boolean> {
    return !(await this.#isDead(this.#current));
  }

  /** Closes the current channel; calls made afterwards fail. Safe to call twice. */
  close(): void {
    this.#closed = true;
    this.#current.produce.close();
    this.#current.client.close();
  }

  // The error to throw for `error`, once the rule has looked at the channel.
  async #afterFailure(channel: Channel, heardAtStart: number, error: unknown): Promise<unknown> {
    const deadline = error instanceof UnavailableError &&
      error.code === grpc.status.DEADLINE_EXCEEDED;
    if (!deadline || channel.heard !== heardAtStart || !(await this.#isDead(channel))) {
      return error;
    }
    return new UnavailableError(
      `${error.message}; nothing arrived on the connection since the call began and the manager ` +
        `did not answer a health check within ${PROBE_TIMEOUT_MS} ms on it either, so the ` +
        `connection was taken for dead and replaced: the next call opens a new one`,
      error.code,
      { cause: error, connectionReplaced: true },
    );
  }

  // Probes a suspect channel (one check at a time per channel) and replaces it when dead.
  async #isDead(channel: Channel): Promise<boolean> {
    if (channel.replaced) return true;
    channel.probe ??= answersProbe(channel.client).finally(() => channel.probe = null);
    if (await channel.probe) return false;
    this.#replace(channel);
    return true;
  }

  #replace(channel: Channel): void {
    if (channel.replaced) return;
    channel.replaced = true;
    this.#answeredBefore += channel.answered;
    if (this.#current === channel && !this.#closed) this.#current = new Channel(this.#options);
    // Calls already started on it go on, and fail at their deadlines as they would have.
    channel.client.close();
    const ended = new UnavailableError(
      "The connection to the manager went silent and was replaced, ending this stream: " +
        "open it again",
      grpc.status.UNAVAILABLE,
      { connectionReplaced: true },
    );
    for (const stream of channel.streams) stream.abort(ended);
    channel.produce.close(ended);
  }
}
