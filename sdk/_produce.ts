/**
 * The `Client`'s producer stream (`Produce`): creates, creates that wait, and waits for tasks,
 * sent as messages on one stream kept open per connection instead of a new call each (a message on
 * an open stream reaches the manager several times sooner). Each request has an id; the manager
 * answers each id with the task (then, for a create that waits, the final task; for a wait, each
 * task once final) or with the status its own call would have had.
 */
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import {
  encodeProduceCancel,
  encodeProduceRequest,
  PRODUCE_NOT_RUN_METADATA_KEY,
  PRODUCE_REQUESTS_IN_FLIGHT,
  type ProduceErrorMessage,
  type ProduceResponseMessage,
  STATUS_DETAILS_METADATA_KEY,
  type TaskMessage,
} from "@tasks-executor/proto";
import { definitionOf, passThrough, toSdkError } from "./_grpc.ts";
import { UnavailableError } from "./errors.ts";

/**
 * What one request is: the create (`CreateTask`), the create that waits (`CreateAndWatchTask`) or
 * the wait for tasks (`WatchTasks`).
 */
export type ProduceKind = "create" | "createAndWatch" | "watch";

/** The method a request of each kind stands for (named in its errors, called in its stead). */
export const METHOD_OF: Readonly<Record<ProduceKind, string>> = {
  create: "CreateTask",
  createAndWatch: "CreateAndWatchTask",
  watch: "WatchTasks",
};

/** Options of one request on the stream. */
export interface ProduceOptions {
  /**
   * Deadline of the request, from now (ms): past it the request fails as a call's deadline would
   * (`UnavailableError`, code 4). The manager is not told (a wait is cancelled): a create it has
   * not made yet is made all the same, so retry with an `idempotencyKey`.
   */
  timeoutMs: number;
  /** Stops the request (a wait is cancelled on the manager); it rejects with the reason. */
  signal?: AbortSignal;
  /** W3C trace context of the create (`traceMetadata`; none when empty). */
  trace: { traceparent?: string; tracestate?: string };
  /**
   * Told of each task answered: the task as stored (a create), then as final (a create that
   * waits); each task once final (a wait).
   */
  onTask: (task: TaskMessage) => void;
  /** Send it as its own call: a request the stream must not carry (see `streamable`). */
  ownCall?: boolean;
}

/**
 * Whether a request whose strings are `strings` may go on the stream: each is well-formed UTF-16.
 * protobufjs writes a lone surrogate as bytes that are not UTF-8, which the manager refuses before
 * decoding; managers from before 2026-12-05 ended the stream holding such a message, failing every
 * request open on it (a newer one answers it alone), so such a request goes as its own call, which
 * every manager refuses alone.
 */
export function streamable(strings: Iterable<string | null | undefined>): boolean {
  for (const text of strings) {
    if (typeof text === "string" && !text.isWellFormed()) return false;
  }
  return true;
}

/**
 * The manager does not serve `Produce`, or not requests of this kind (an older version): the
 * request was not run, and goes as its own call instead.
 */
export class ProduceUnsupported extends Error {
  override name = "ProduceUnsupported";
}

/**
 * How long a stream with nothing open on it stays open (ms). A stream holds its connection's place
 * on the manager (a connection with one is not evicted, nor closed as idle): a client that stopped
 * creating gives it back, and its next create opens a new stream (one new call's time, once).
 */
export const PRODUCE_IDLE_MS = 5_000;

/** A request sent and not answered `done` yet. */
interface Pending {
  kind: ProduceKind;
  onTask: (task: TaskMessage) => void;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Given up by the caller (deadline, signal): its answers are dropped until `done`. */
  abandoned: boolean;
}

/** The SDK error a request of `kind` gets for status `code` (as its own call's would be). */
function statusError(
  code: grpc.status,
  details: string,
  kind: ProduceKind,
  metadata = new grpc.Metadata(),
): Error {
  return toSdkError({ code, details, metadata } as grpc.ServiceError, METHOD_OF[kind]);
}

/**
 * Whether a `ProduceError` says the manager does not serve the request's kind (nothing ran):
 * UNIMPLEMENTED, or the INVALID_ARGUMENT that managers of 2026-12-04, the first with `Produce`,
 * answered a `watch` with.
 */
function kindUnsupported(error: ProduceErrorMessage): boolean {
  return error.code === grpc.status.UNIMPLEMENTED ||
    (error.code === grpc.status.INVALID_ARGUMENT &&
      error.message.startsWith("Message sets no known request"));
}

/** The error of a `ProduceError` answer, as its own call's status would have made it. */
function errorOf(error: ProduceErrorMessage, kind: ProduceKind): Error {
  const metadata = new grpc.Metadata();
  if (error.details.length > 0) {
    metadata.set(STATUS_DETAILS_METADATA_KEY, Buffer.from(error.details));
  }
  return statusError(error.code, error.message, kind, metadata);
}

/** One `Produce` stream on one grpc-js client, opened with the first request. */
export class ProduceStream {
  readonly #client: grpc.Client;
  readonly #path: string;
  readonly #deserialize: (bytes: Buffer) => unknown;
  #call: grpc.ClientDuplexStream<Uint8Array, ProduceResponseMessage> | null = null;
  readonly #pending = new Map<number, Pending>();
  #lastId = 0;
  #unsupported = false;
  /** Kinds the manager answered as unknown (an older version): sent as their own calls. */
  readonly #kindsUnsupported = new Set<ProduceKind>();
  #closed = false;
  /** Ends the stream once nothing was open on it for `PRODUCE_IDLE_MS`. */
  #idle: ReturnType<typeof setTimeout> | undefined;

  /** Prepares the stream of `client` (a `TaskExecutorManagerService` client). */
  constructor(client: grpc.Client) {
    this.#client = client;
    const definition = definitionOf(client, "Produce");
    this.#path = definition.path;
    this.#deserialize = definition.responseDeserialize;
  }

  /**
   * Whether a request of `kind` may go on the stream now: the manager serves it (as far as known),
   * and fewer than `PRODUCE_REQUESTS_IN_FLIGHT` requests are open on it (past that, a request goes
   * as its own call rather than end the stream).
   */
  accepts(kind: ProduceKind): boolean {
    return !this.#unsupported && !this.#kindsUnsupported.has(kind) && !this.#closed &&
      this.#pending.size < PRODUCE_REQUESTS_IN_FLIGHT;
  }

  /**
   * Sends `request` (an encoded `CreateTaskRequest`, `CreateAndWatchTaskRequest` or
   * `WatchTasksRequest`); resolves at its last answer.
   *
   * @throws the SDK error its own call would have thrown: from its answer, or from the stream's
   *   status when the manager refused the stream as it opened, or ended it stopping with the
   *   trailer that says unanswered requests were not run (`UnavailableError`; nothing ran then)
   * @throws {UnavailableError} (UNAVAILABLE, the stream's status as `cause`) when the stream ended
   *   after it opened and before the request's last answer: the task may have been made
   * @throws {ProduceUnsupported} when the manager does not serve `Produce`, or not this kind of
   *   request (nothing ran)
   * @throws `signal.reason` once `signal` aborts
   */
  send(kind: ProduceKind, request: Uint8Array, options: ProduceOptions): Promise<void> {
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    clearTimeout(this.#idle);
    const id = this.#nextId();
    const call = this.#call ?? this.#start();
    return new Promise<void>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        outcome();
      };
      const pending: Pending = {
        kind,
        onTask: options.onTask,
        resolve: () => settle(resolve),
        reject: (error) => settle(() => reject(error)),
        abandoned: false,
      };
      const abandon = (error: unknown) => {
        if (pending.abandoned) return;
        pending.abandoned = true;
        pending.reject(error);
        // The manager stops the wait; a create it is making is made all the same.
        // Not once its last answer came (a callback that threw on it): the id is not open then.
        if (kind !== "create" && this.#call === call && this.#pending.get(id) === pending) {
          call.write(encodeProduceCancel(id));
        }
      };
      const onAbort = () => abandon(options.signal!.reason);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(() =>
        abandon(
          statusError(
            grpc.status.DEADLINE_EXCEEDED,
            `Deadline exceeded after ${options.timeoutMs} ms`,
            kind,
          ),
        ), options.timeoutMs);
      this.#pending.set(id, pending);
      call.write(encodeProduceRequest(id, kind, request, {
        traceparent: options.trace.traceparent ?? "",
        tracestate: options.trace.tracestate ?? "",
      }));
    });
  }

  /**
   * Ends the stream for good: requests still open fail with `error`, by default the CANCELLED
   * error of a call cancelled by its client (their tasks may have been made).
   */
  close(error?: unknown): void {
    this.#closed = true;
    clearTimeout(this.#idle);
    const call = this.#call;
    if (!call) return;
    this.#endAll(call, (kind) =>
      error ?? statusError(
        grpc.status.CANCELLED,
        "The client was closed before the manager answered: the task may have been made",
        kind,
      ));
    call.cancel();
  }

  // The next id not open on the stream (ids wrap after 2^32 - 1; 0 is not an id).
  #nextId(): number {
    do this.#lastId = this.#lastId >= 0xffff_ffff ? 1 : this.#lastId + 1; while (
      this.#pending.has(this.#lastId)
    );
    return this.#lastId;
  }

  #start(): grpc.ClientDuplexStream<Uint8Array, ProduceResponseMessage> {
    const call = this.#client.makeBidiStreamRequest(
      this.#path,
      passThrough,
      this.#deserialize as (bytes: Buffer) => ProduceResponseMessage,
      new grpc.Metadata(),
      {},
    );
    this.#call = call;
    // The manager sends headers once it serves the stream: before them, a refusal (the key, the
    // caps) ran nothing; after them, a request not answered may have been made, unless the
    // status's trailers say it was not run.
    let served = false;
    call.on("metadata", () => served = true);
    call.on("data", (answer: ProduceResponseMessage) => this.#answered(call, answer));
    const ended = (error: grpc.ServiceError | null) => {
      const unsupported = error?.code === grpc.status.UNIMPLEMENTED;
      if (unsupported && this.#call === call) this.#unsupported = true;
      this.#endAll(call, (kind) => {
        if (unsupported) return new ProduceUnsupported("The manager does not serve Produce");
        const refused = error
          ? toSdkError(error, METHOD_OF[kind])
          : statusError(grpc.status.UNAVAILABLE, "The manager ended the producer stream", kind);
        // Refused as it opened (the key, the caps), or ended by a stopping manager that read
        // nothing after its last answer: nothing ran.
        const notRun = error?.metadata?.get(PRODUCE_NOT_RUN_METADATA_KEY)[0] === "true";
        if (!served || notRun) return refused;
        const what = kind === "watch"
          ? "this wait was over: wait again"
          : "the manager answered this request, which may have been made";
        return new UnavailableError(
          `The producer stream ended before ${what}: ${refused.message}`,
          grpc.status.UNAVAILABLE,
          { cause: refused },
        );
      });
    };
    call.on("error", (error: grpc.ServiceError) => ended(error));
    call.on("end", () => ended(null));
    return call;
  }

  // Nothing was open on `call` for `PRODUCE_IDLE_MS`: its side ends (the manager then ends the
  // stream), so that an idle client holds no stream on its connection; the next request opens
  // another.
  #endIdle(call: grpc.ClientDuplexStream<Uint8Array, ProduceResponseMessage>): void {
    if (this.#call !== call || this.#pending.size > 0) return;
    this.#call = null;
    call.end();
  }

  // The stream `call` is over: every request open on it fails with `errorFor` its kind. Once
  // only: a later end of the same stream finds none.
  #endAll(
    call: grpc.ClientDuplexStream<Uint8Array, ProduceResponseMessage>,
    errorFor: (kind: ProduceKind) => unknown,
  ): void {
    if (this.#call !== call) return;
    this.#call = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const request of pending) {
      if (request.abandoned) continue;
      request.abandoned = true;
      request.reject(errorFor(request.kind));
    }
  }

  #answered(
    call: grpc.ClientDuplexStream<Uint8Array, ProduceResponseMessage>,
    answer: ProduceResponseMessage,
  ): void {
    const pending = this.#pending.get(answer.requestId);
    if (!pending) return;
    if (answer.done) {
      this.#pending.delete(answer.requestId);
      if (this.#pending.size === 0 && !this.#closed && this.#call === call) {
        this.#idle = setTimeout(() => this.#endIdle(call), PRODUCE_IDLE_MS);
      }
    }
    if (pending.abandoned) return;
    if (answer.error && kindUnsupported(answer.error)) {
      this.#kindsUnsupported.add(pending.kind);
      return pending.reject(new ProduceUnsupported(`The manager does not serve ${pending.kind}`));
    }
    if (answer.error) return pending.reject(errorOf(answer.error, pending.kind));
    if (answer.task) pending.onTask(answer.task);
    if (answer.done) pending.resolve();
  }
}
