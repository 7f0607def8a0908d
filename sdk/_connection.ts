/**
 * The worker's work stream: opens `TaskExecutorService.Work` and writes to it; when it ends,
 * reconnects with backoff (registering the executors again first) unless the manager refused the
 * worker for good. Also reads the manager's limits from its welcome, and keeps the stream alive
 * at the keepalive interval the welcome names: a stream that goes silent is cancelled and opened
 * again on a new connection (see `_liveness.ts`).
 */
import type { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import type {
  HelloMessage,
  WelcomeMessage,
  WorkRequest,
  WorkResponse,
} from "@tasks-executor/proto";
import { TooManyInRequest } from "@tasks-executor/proto/wire-check";
import { workerIdHeldFromMetadata } from "@tasks-executor/proto";
import {
  type ConnectionOptions,
  definitionOf,
  makeClient,
  MAX_MESSAGE_BYTES,
  msOfDuration,
  toSdkError,
} from "./_grpc.ts";
import type { Backoff } from "./_backoff.ts";
import { StreamLiveness } from "./_liveness.ts";
import { checkWorkMessage, maxWorkMessageElements } from "./_work_wire.ts";
import type { SendLimits } from "./_run.ts";
import {
  InvalidArgumentError,
  type ManagerError,
  PermissionDeniedError,
  UnauthenticatedError,
  WorkerIdHeldError,
} from "./errors.ts";
import type { LogFields, Logger } from "./types.ts";

/** Where a worker is in its life; `start()` and `stop()` move it along, never back. */
export type WorkerState = "new" | "starting" | "running" | "stopping" | "stopped";

/** Where the worker's modules write to the manager. */
export interface Outbox {
  /** Whether a stream is open (writes go nowhere otherwise). */
  readonly isOpen: boolean;
  /** Writes one message; `false` when no stream is open or the write failed. */
  write(message: WorkRequest): boolean;
}

/** What the connection tells the worker, and asks of it. */
export interface ConnectionEvents {
  /** A new stream is open and the hello written: grant credits, resend, heartbeat. */
  opened(): void;
  /** A message arrived on the current stream. */
  message(message: WorkResponse): void;
  /** The stream ended and a reconnect is scheduled: nobody acknowledges on it any more. */
  lost(): void;
  /**
   * The manager refused this worker's key, executors or hello (its worker id), or another key's
   * live worker holds its id: retrying cannot mend it.
   */
  refused(error: ManagerError): void;
  /** Registers the executors again before a reconnect while running; throws to retry later. */
  register(): Promise<void>;
  /** How many attempts run (for the log). */
  inFlight(): number;
  /** How many attempts may run at once, all executors together: what bounds a message of leases. */
  capacity(): number;
  /**
   * The stream went silent: the connection under it is presumed dead, and the worker's other
   * channels to the manager (registration) are made anew, on new connections, before the reconnect.
   */
  silent(): void;
}

type WorkStream = grpc.ClientDuplexStream<WorkRequest, WorkResponse>;

/**
 * What to assume of a manager whose welcome does not say (an older one, or before the first
 * welcome): gRPC's default 4 MiB receive limit.
 */
export const UNSAID_LIMITS: SendLimits = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxResultBytes: 4 * 1024 * 1024,
  maxErrorChars: 64 * 1024,
  maxStackChars: 2000,
  maxLogLines: 10,
  maxLogLineChars: 150,
  maxProgressBytes: 1024,
};

/**
 * Most log lines a worker keeps per attempt (`ctx.log`), whatever a welcome says: the lines are
 * held until the attempt ends, and a welcome naming 2^31 − 1 had the worker keep every line a
 * handler wrote. The manager keeps 10.
 */
const MAX_LOG_LINES = 1000;

/**
 * The manager's limits as its welcome says them, `UNSAID_LIMITS` for those it leaves out; a
 * message size past what this client sends (`MAX_MESSAGE_BYTES`) counts as that, so that no
 * results message is one the client cancels its stream for, and a log line count past
 * `MAX_LOG_LINES` as that.
 */
export function limitsOfWelcome(welcome: WelcomeMessage): SendLimits {
  const limits = { ...UNSAID_LIMITS };
  for (const key of Object.keys(limits) as (keyof SendLimits)[]) {
    const said = Number(welcome[key]);
    if (said > 0) limits[key] = said;
  }
  limits.maxMessageBytes = Math.min(limits.maxMessageBytes, MAX_MESSAGE_BYTES);
  limits.maxLogLines = Math.min(limits.maxLogLines, MAX_LOG_LINES);
  return limits;
}

/**
 * `decode` of a work stream message once its bytes pass `checkWorkMessage`: protobuf's wire format,
 * checked as the manager checks its requests, and at most `maxWorkMessageElements(capacity())`
 * elements, counted without decoding.
 *
 * @throws {RangeError} for a message that does not pass, saying why: grpc-js then ends the stream
 *   (INTERNAL) and the worker reconnects
 */
function boundedWorkMessage(decode: (bytes: Buffer) => WorkResponse, capacity: () => number) {
  return (bytes: Buffer): WorkResponse => {
    const most = maxWorkMessageElements(capacity());
    try {
      checkWorkMessage(bytes, most);
    } catch (error) {
      if (error instanceof RangeError) {
        throw new RangeError(`A message of the manager is not valid protobuf: ${error.message}`);
      }
      if (error instanceof TooManyInRequest) {
        throw new RangeError(
          `A message of the manager holds more than ${most} elements (maxWorkMessageElements): ${error.field} takes it past them`,
        );
      }
      throw error;
    }
    return decode(bytes);
  };
}

/** Whether the manager refused the key (UNAUTHENTICATED) or its reach (PERMISSION_DENIED). */
export function isRefusal(error: unknown): error is UnauthenticatedError | PermissionDeniedError {
  return error instanceof UnauthenticatedError || error instanceof PermissionDeniedError;
}

/**
 * Whether the manager refused the hello itself (INVALID_ARGUMENT naming a field under `/hello/`:
 * the worker id, an executor name): every stream starts with the same hello, so every reconnect
 * would be refused the same way.
 */
function isHelloRefusal(error: unknown): error is InvalidArgumentError {
  return error instanceof InvalidArgumentError &&
    error.violations.some((violation) => violation.field.startsWith("/hello/"));
}

/**
 * The wait for a worker id another API key holds, over the refusals of one hello after another:
 * a hold by leases or calls, or by a stream of a worker that is gone, ends by itself (after a key
 * rotation, the old key's); a work stream of the other key still open `goneWithinMs` (as the
 * manager says) after the first refusal that named one (`heldBy` `stream`: it speaks keepalive)
 * has a live worker behind it, and waiting cannot end: the worker stops, as when unary calls of
 * that key under the id go on that long (`calls`: a poller, whose leases would hold the id on). A
 * live stream that drains (`stream_draining`) ends by itself, but only when its worker's running
 * tasks do: it is waited for as long again as this worker's own drain may take, then the worker
 * stops as for `stream`. A stream without keepalive (`stream_without_keepalive`) is as silent when
 * its worker idles as when it is gone; the manager closes one once nothing arrives on it for its
 * own, longer, `goneWithinMs` (SILENCE_WITHOUT_KEEPALIVE and a check), so one still open that long
 * after the first refusal was spoken on or opened since: the worker stops as for `stream`. A
 * keepalive stream gone quiet (`stream_silent`: its worker may have been lost after the first
 * refusal) is waited for, as leases are. A manager older than the `WORKER_ID_HELD` detail is
 * waited for as before.
 */
class HeldIdWait {
  /** When (`performance.now()`) the first refusal naming a live holder came, and its bound. */
  #streamSince: number | undefined;
  #goneWithinMs = 0;
  readonly #drainMs: number;

  /** `drainMs`: how long this worker's own drain may take, waited for on top for a draining one. */
  constructor(drainMs: number) {
    this.#drainMs = drainMs;
  }

  /** The stream was welcomed: the id is this worker's, and a later wait starts over. */
  welcomed(): void {
    this.#streamSince = undefined;
  }

  /**
   * Notes a refusal of the work stream; answers the error to stop with when the id is another
   * live worker's, `undefined` to reconnect.
   */
  refused(
    error: grpc.ServiceError,
    workerId: string,
    now: number = performance.now(),
  ): WorkerIdHeldError | undefined {
    if (error.code !== grpc.status.UNAVAILABLE) return undefined;
    const held = workerIdHeldFromMetadata(error.metadata);
    if (!held || !LIVE_HOLDERS.has(held.heldBy)) return undefined;
    if (this.#streamSince === undefined) {
      this.#streamSince = now;
      this.#goneWithinMs = held.goneWithinMs;
      return undefined;
    }
    const waitedMs = Math.round(now - this.#streamSince);
    const draining = held.heldBy === "stream_draining";
    // A stream without keepalive has its own, longer, bound: at least that long from the first
    // refusal, whichever holder it named.
    const goneWithinMs = Math.max(this.#goneWithinMs, held.goneWithinMs);
    const boundMs = goneWithinMs + (draining ? this.#drainMs : 0);
    if (waitedMs <= boundMs) return undefined;
    const how = draining
      ? `a work stream of that key with this id still drained ${waitedMs} ms after the first ` +
        `refusal, past the ${goneWithinMs} ms in which the manager closes the stream of a ` +
        `worker that is gone and the ${this.#drainMs} ms this worker's own drain may take ` +
        "(shutdownGraceMs and the wait for acknowledgements)"
      : held.heldBy === "calls"
      ? `a worker of that key still called with this id ${waitedMs} ms after the first refusal, past the ` +
        `${goneWithinMs} ms after which the manager no longer counts a gone worker's calls`
      : held.heldBy === "stream_without_keepalive"
      ? `a work stream of that key with this id, one without keepalive, stayed open ${waitedMs} ms, ` +
        `past the ${goneWithinMs} ms in which the manager closes such a stream once nothing ` +
        "arrives on it: its worker wrote or connected since"
      : `a work stream of that key with this id stayed open ${waitedMs} ms, past the ` +
        `${goneWithinMs} ms in which the manager closes the stream of a worker that is gone`;
    return new WorkerIdHeldError(
      workerId,
      `Worker id "${workerId}" is held by another API key's worker that is alive: ${how}. Give ` +
        "each worker its own id (workerId), or stop the other worker",
      error.code,
      { cause: error },
    );
  }
}

/**
 * What holds a worker id that shows a live worker of the other key once it holds it past its
 * `goneWithinMs` (`HeldIdWait`).
 */
const LIVE_HOLDERS = new Set(["stream", "calls", "stream_draining", "stream_without_keepalive"]);

/**
 * The longest a stopping worker waits before opening a lost stream again: its results must reach
 * the manager within the stop's wait for acknowledgements (3 s), and `reconnect.maxDelayMs` (10 s
 * by default) may be longer.
 */
const STOPPING_RECONNECT_MS = 100;

/** The one work stream of a worker, reopened after each loss. */
export class WorkConnection implements Outbox {
  readonly #options: ConnectionOptions;
  readonly #backoff: Backoff;
  readonly #log: Logger;
  readonly #state: () => WorkerState;
  readonly #events: ConnectionEvents;
  #client: grpc.Client | undefined;
  #hello: HelloMessage | undefined;
  #call: WorkStream | undefined;
  #liveness: StreamLiveness | undefined;
  /** When the open stream's first message came (`performance.now()`), `undefined` before it. */
  #answeredAt: number | undefined;
  readonly #heldId: HeldIdWait;
  /** The registration before a reconnect under way (a token of its own), `undefined` when none. */
  #registering: object | undefined;

  /** A connection that opens nothing before `open()`. */
  constructor(options: ConnectionOptions, parts: {
    backoff: Backoff;
    log: Logger;
    state: () => WorkerState;
    events: ConnectionEvents;
    /** How long this worker's own drain may take (ms): see `HeldIdWait`. */
    drainMs: number;
  }) {
    this.#options = options;
    this.#heldId = new HeldIdWait(parts.drainMs);
    this.#backoff = parts.backoff;
    this.#log = parts.log;
    this.#state = parts.state;
    this.#events = parts.events;
  }

  /** Whether a stream is open. */
  get isOpen(): boolean {
    return this.#call !== undefined;
  }

  /**
   * Makes the channel and keeps the hello every stream starts with; connects nothing yet.
   *
   * @throws {TypeError} when `apiKey` (or `TASKS_EXECUTOR_API_KEY`) or a `tls` file cannot be used
   */
  prepare(hello: HelloMessage): void {
    this.#client = makeClient("TaskExecutorService", this.#options);
    this.#hello = { ...hello, keepalive: true };
  }

  /** Opens a stream and says hello; `prepare()` comes first. */
  open(): void {
    const client = this.#client!;
    const work = definitionOf(client, "Work");
    const call = client.makeBidiStreamRequest(
      work.path,
      work.requestSerialize,
      boundedWorkMessage(
        work.responseDeserialize as (bytes: Buffer) => WorkResponse,
        () => this.#events.capacity(),
      ),
      new grpc.Metadata(),
      {},
    ) as WorkStream;
    this.#call = call;
    this.#answeredAt = undefined;
    call.on("data", (message: WorkResponse) => {
      if (this.#call !== call) return;
      this.#liveness?.heard();
      this.#answeredAt ??= performance.now();
      if (message.welcome) {
        this.#heldId.welcomed();
        this.#keepAlive(call, message.welcome);
      }
      this.#events.message(message);
    });
    call.on("error", (error: grpc.ServiceError) => this.#ended(call, error));
    call.on("end", () => this.#ended(call, undefined));
    this.write({ hello: this.#hello });
    this.#events.opened();
  }

  /** Writes one message to the open stream; `false` when there is none or the write failed. */
  write(message: WorkRequest): boolean {
    const call = this.#call;
    if (!call) return false;
    try {
      call.write(message);
      this.#liveness?.wrote();
      return true;
    } catch (error) {
      this.#log.debug("Write to the work stream failed", { error: (error as Error).message });
      return false;
    }
  }

  /**
   * The worker stops: a reconnect waiting for its registration, or for its backoff delay, opens the
   * stream at once, without the registration (a stopping worker registers nothing), so that the
   * results of the handlers still running reach the manager within the stop's wait for
   * acknowledgements; the registration's end is then ignored. A registration hanging on an
   * unanswered connection held the reconnect up to its deadline (5 s), and one failing after the
   * stop began dropped it; a delay longer than that wait (`reconnect.maxDelayMs`, 10 s by default)
   * came after it: the results were lost.
   */
  stopping(): void {
    if (this.#registering === undefined) {
      this.#backoff.hurry();
      return;
    }
    this.#registering = undefined;
    this.open();
  }

  /**
   * Drops a pending reconnect, ends the stream (cancelling it when the manager has not closed its
   * side within 1 s) and closes the channel.
   */
  async close(): Promise<void> {
    this.#backoff.cancel();
    this.#stopLiveness();
    const call = this.#call;
    this.#call = undefined;
    if (call) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          call.cancel();
          resolve();
        }, 1000);
        call.on("status", () => {
          clearTimeout(timer);
          resolve();
        });
        call.on("error", () => {});
        call.end();
      });
    }
    this.#client?.close();
  }

  /** Checks the stream at the welcome's keepalive interval; an older manager names none. */
  #keepAlive(call: WorkStream, welcome: WelcomeMessage): void {
    this.#stopLiveness();
    const intervalMs = msOfDuration(welcome.keepaliveInterval) ?? 0;
    if (!(intervalMs > 0)) return;
    this.#liveness = new StreamLiveness(intervalMs, {
      // An empty heartbeat extends no lease: the manager takes it as "still here", and so does
      // a manager older than keepalive, which would refuse a message kind it does not know.
      keepalive: () => this.write({ heartbeat: { taskIds: [] } }),
      silent: (silentMs) => this.#silent(call, silentMs, intervalMs),
    });
  }

  /**
   * The stream went silent (the manager's host lost, a network cut with no FIN or RST): cancels
   * it, which reconnects through `#ended`, on new channels (a new connection) since the old one
   * is presumed dead.
   */
  #silent(call: WorkStream, silentMs: number, keepaliveIntervalMs: number): void {
    if (this.#call !== call) return;
    this.#log.warn("No message from the manager on the work stream, taking it as dead", {
      silentMs,
      keepaliveIntervalMs,
    });
    const old = this.#client;
    this.#client = makeClient("TaskExecutorService", this.#options);
    this.#events.silent();
    call.cancel();
    old?.close();
  }

  #stopLiveness(): void {
    this.#liveness?.stop();
    this.#liveness = undefined;
  }

  #ended(call: WorkStream, error: grpc.ServiceError | undefined): void {
    if (this.#call !== call) return;
    this.#call = undefined;
    this.#stopLiveness();
    call.removeAllListeners("data");
    // grpc-js emits an error after `cancel()`; keep a listener so it is never unhandled.
    call.on("error", () => {});
    if (this.#state() === "stopped") return;
    const refusal = error && toSdkError(error, "Work");
    if (isRefusal(refusal) || isHelloRefusal(refusal)) return this.#events.refused(refusal);
    const held = error && this.#heldId.refused(error, this.#hello?.workerId ?? "");
    if (held) return this.#events.refused(held);
    if (this.#answeredAt !== undefined) {
      this.#backoff.streamEnded(performance.now() - this.#answeredAt);
    }
    // A stopping worker waits for acknowledgements 3 s at most: it tries again within
    // STOPPING_RECONNECT_MS, not after a backoff that may be longer than that wait.
    const next = this.#backoff.next();
    const delay = this.#state() === "stopping" ? Math.min(next, STOPPING_RECONNECT_MS) : next;
    const fields: LogFields = { retryInMs: delay, inFlight: this.#events.inFlight() };
    if (error) fields.error = error.details || error.message;
    this.#log.warn("Lost the work stream to the manager, reconnecting", fields);
    this.#events.lost();
    this.#backoff.schedule(delay, () => void this.#reconnect());
  }

  async #reconnect(): Promise<void> {
    if (this.#state() === "running") {
      // The manager may have come back with an empty store: register again before serving.
      const registering = {};
      this.#registering = registering;
      try {
        await this.#events.register();
      } catch (error) {
        // The stop opened the stream without it (`stopping`).
        if (this.#registering !== registering) return;
        this.#registering = undefined;
        if (this.#state() !== "running") return;
        if (isRefusal(error)) return this.#events.refused(error);
        const delay = this.#backoff.next();
        this.#log.warn("Executor registration failed, retrying", {
          error: (error as Error).message,
          retryInMs: delay,
        });
        this.#backoff.schedule(delay, () => void this.#reconnect());
        return;
      }
      if (this.#registering !== registering) return;
      this.#registering = undefined;
    }
    const state = this.#state();
    if (state === "running" || state === "stopping") this.open();
  }
}
