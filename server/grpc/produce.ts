/**
 * The producer's stream (`TaskExecutorManagerService/Produce`): creates, creates that wait for
 * their task's end, and waits for tasks, as messages on one stream instead of a call each. A
 * message on an open stream reaches the manager in about a fifth of a new call's time
 * (docs/benchmarks.md, "The transports' floor").
 *
 * Each request is served as its own call would be (`CreateTask`, `CreateAndWatchTask`,
 * `WatchTasks`), side by side, and answered under its id; a refused request is answered with its
 * status, and the stream goes on (a kind this manager does not know: UNIMPLEMENTED). So is one the
 * wire check refuses before decoding (not protobuf's wire format, past MAX_REQUEST_JSON_VALUES,
 * MAX_REQUEST_ELEMENTS or MAX_REQUEST_OBJECT_SHAPES, or a map key that ends with a backslash:
 * `checkedRequests`), under the id read from its bytes, once the scope its
 * kind needs is checked (a create audited); a refused cancel ends the wait it names with that
 * status. Only when no id can be read does that status end the stream. What bounds a stream:
 * - requests open (not answered `done`: waits included, and answers not yet written) are at most
 *   `PRODUCE_REQUESTS_IN_FLIGHT`; one more ends the stream with RESOURCE_EXHAUSTED;
 * - a request's bytes stay on its connection's account until its first answer is written
 *   (`holdRequestBytes`, `untilHandled`), so creates waiting to be served or answered are capped
 *   in bytes; a wait's until its last answer is, since the ids it names are held until then;
 * - answers are written one at a time, each once the client's windows on the stream (counted from
 *   its frames, `streamWindowOf`) and on the connection are open: a client that does not read
 *   holds at most one answer past its window, the rest wait here, counted as open, until the cap
 *   ends the stream; a task a wait found final is read only while the windows are open, at most
 *   `FINAL_READS_AT_ONCE` read and not yet written, and a wait's next task only once the one
 *   before is written, so answers waiting hold ids, not tasks;
 * - a request id of 0, or one in use by an open request, ends the stream with INVALID_ARGUMENT
 *   (its answers could not be told apart);
 * - the key was checked when the stream opened (`tasks.produce`: a key that may create or read
 *   tasks), and a revoked key ends it (`guardService`); each request is checked as its own call
 *   would be (the scope to create tasks and the key's executors per create, the scope to read
 *   tasks per wait), and each create is audited (the line names `Produce`).
 *
 * The response headers go out as the stream is served: the client tells by them that a status
 * that follows may come after requests were made.
 *
 * When the manager begins to stop (`draining`), a stream answers the requests it has open, refuses
 * new creates with UNAVAILABLE (nothing made: send them again, to another manager), and ends once
 * none is open, so that a producer's stream does not hold the shutdown for its grace period: with
 * UNAVAILABLE and the trailer `PRODUCE_NOT_RUN_METADATA_KEY` (requests the client sent after its
 * last answer were not read, so not run), or OK when the client had ended its side.
 */
import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import {
  encodeMessage,
  type NewTaskMessage,
  PRODUCE_NOT_RUN_METADATA_KEY,
  PRODUCE_REQUESTS_IN_FLIGHT,
  type ProduceErrorMessage,
  type ProduceRequestMessage,
  type ProduceResponseMessage,
  STATUS_DETAILS_METADATA_KEY,
} from "@tasks-executor/proto";
import { readTraceContext } from "@tasks-executor/proto/tracing";
import { audit } from "../auth/audit.ts";
import { authorize } from "../auth/permissions.ts";
import {
  InvalidArgumentError,
  ResourceExhaustedError,
  UnavailableError,
} from "../domain/errors.ts";
import { ENDED_STATUSES } from "../domain/task.ts";
import type { Service } from "../service/service.ts";
import type { TaskWatch } from "../service/task_watch.ts";
import type { Task } from "../domain/task.ts";
import { callerOf } from "./auth.ts";
import { oneNewTaskFromMessage, taskToMessage } from "./convert.ts";
import { releaseRequestBytes } from "./request_bytes.ts";
import { walkTopLevel } from "@tasks-executor/proto/wire-check";
import { WireRefusal } from "./wire_check.ts";
import {
  MESSAGE_PREFIX_BYTES,
  sendWindowOpen,
  sendWindowShut,
  streamWindowOf,
} from "./send_window.ts";
import { EXISTING_TASK_METADATA_KEY, type GrpcStatusError, toGrpcError } from "./status.ts";

/** The method's path, as the audit trail names it. */
const PRODUCE_PATH = "taskexecutor.v1.TaskExecutorManagerService/Produce";

type ProduceCall = grpc.ServerDuplexStream<ProduceRequestMessage, ProduceResponseMessage>;

const PRODUCE_RESPONSE = "taskexecutor.v1.ProduceResponse";

/** Answers `serveProduce` encoded already (to count them against the client's window). */
const encodedAnswers = new WeakMap<object, Uint8Array>();

/** `ProduceRequest`'s field numbers: its id, and the kinds of request (its `kind` oneof). */
const REQUEST_ID_FIELD = 1;
const KIND_OF_FIELD: Record<number, RefusedKind> = {
  2: "create",
  3: "createAndWatch",
  4: "cancel",
  7: "watch",
};
type RefusedKind = "create" | "createAndWatch" | "cancel" | "watch";

/**
 * A request the wire check refused (`checkedRequests`), with what its top level says
 * (`walkTopLevel`, nothing inside its fields decoded): its id (the last sent, as decoding keeps
 * it; `null` when none can be read: the top level cannot be walked, or the id is missing or no
 * 32-bit varint), and the kinds of request it names. Served as those kinds would be up to their
 * decoding (their scopes checked, a cancel ending its wait), then answered alone with the status
 * its own call would have ended with.
 */
class RefusedRequest {
  readonly kind = "refused";
  readonly requestId: number | null = null;
  readonly kinds = new Set<RefusedKind>();
  readonly error: ProduceErrorMessage;

  constructor(bytes: Uint8Array, refusal: WireRefusal) {
    this.error = {
      code: refusal.code,
      message: refusal.details,
      details: new Uint8Array(0),
      existingTaskId: "",
    };
    let id: number | null = null;
    let idReadable = true;
    const walked = walkTopLevel(bytes, (field, wire, value) => {
      const kind = KIND_OF_FIELD[field];
      if (kind) this.kinds.add(kind);
      if (field !== REQUEST_ID_FIELD) return;
      idReadable = wire === 0 && value >= 0;
      id = value;
    });
    if (walked && idReadable) this.requestId = id;
  }

  /** Whether it is a cancel and nothing else. */
  get cancels(): boolean {
    return this.kinds.size === 1 && this.kinds.has("cancel");
  }

  /** The status that ends the stream when its id cannot be read. */
  status(): GrpcStatusError {
    const { code, message } = this.error;
    return Object.assign(new Error(message), {
      code,
      details: message,
      metadata: new grpc.Metadata(),
    });
  }
}

/**
 * The manager service's definition (its requests checked by `checkedRequests`) with a `Produce`
 * request the wire check refused answered alone under its id, read from its bytes, instead of
 * ending the stream (which it still does when no id can be read), and with `Produce` answers
 * sent as the bytes `serveProduce` encoded to count them, instead of encoded a second time. Pass
 * it to `addService` with the implementation; with the plain definition the answers are encoded
 * again, the same bytes.
 */
export function producingDefinition(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const produce = definition.Produce;
  return {
    ...definition,
    Produce: {
      ...produce,
      requestDeserialize: (bytes: Buffer) => {
        const message = produce.requestDeserialize(bytes);
        return message instanceof WireRefusal ? new RefusedRequest(bytes, message) : message;
      },
      responseSerialize: (answer: object) => {
        const bytes = encodedAnswers.get(answer);
        return bytes
          ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
          : produce.responseSerialize(answer);
      },
    },
  };
}

/** An answer waiting to be written, and what to do once it is. */
interface Outgoing {
  response: ProduceResponseMessage;
  written?: (response: ProduceResponseMessage) => void;
}

/**
 * The answer of a task a wait found final, waiting for its read: read only when the client's
 * windows are open and few others are read and not written (`FINAL_READS_AT_ONCE`), so that
 * answers waiting for a client that does not read hold ids, not tasks.
 */
interface PendingRead {
  requestId: number;
  /** The wait's next task, read (`TaskWatch.next`). */
  read: () => Promise<Task | null>;
  /** Whether it is the wait's last answer. */
  done: boolean;
  written: (response: ProduceResponseMessage) => void;
}

/** Final tasks one stream reads at once and has not written yet. */
const FINAL_READS_AT_ONCE = 4;

/** A request's failure as the `ProduceError` its own call's status would be. */
function produceErrorOf(error: unknown): ProduceErrorMessage {
  const status = toGrpcError(error);
  const [details] = status.metadata.get(STATUS_DETAILS_METADATA_KEY);
  const [existing] = status.metadata.get(EXISTING_TASK_METADATA_KEY);
  return {
    code: status.code,
    message: status.details,
    details: details instanceof Uint8Array ? details : new Uint8Array(0),
    existingTaskId: typeof existing === "string" ? existing : "",
  };
}

/** The answer to a request of a kind this manager does not know (a newer client's). */
const UNKNOWN_KIND: ProduceErrorMessage = {
  code: grpc.status.UNIMPLEMENTED,
  message:
    "The request sets no kind this manager serves: kind must be create, create_and_watch, watch or cancel",
  details: new Uint8Array(0),
  existingTaskId: "",
};

/** What a create on a stream of a manager that began to stop is refused with. */
const STOPPING = new UnavailableError(
  "The manager is stopping: the task was not made; send the request again (another manager takes it)",
);

/**
 * The status a stream of a stopping manager ends with once it answered every request it read:
 * requests the client sent after them were not run, and the trailer says so.
 */
function stopped(): GrpcStatusError {
  const message =
    "The manager is stopping: the requests this stream did not answer were not run; send them again";
  const metadata = new grpc.Metadata();
  metadata.set(PRODUCE_NOT_RUN_METADATA_KEY, "true");
  return Object.assign(new Error(message), {
    code: grpc.status.UNAVAILABLE,
    details: message,
    metadata,
  });
}

/** The answer a cancelled wait gets. */
const WAIT_CANCELLED: ProduceErrorMessage = {
  code: grpc.status.CANCELLED,
  message: "The wait was cancelled by the client; the task runs all the same",
  details: new Uint8Array(0),
  existingTaskId: "",
};

/**
 * Serves one `Produce` stream (see the module doc for its bounds). Ends when the client has ended
 * its side, or `draining` has aborted (the manager stops), and every request had its last answer
 * written; when the client cancels; or with a status when it breaks a rule above.
 */
export function serveProduce(
  service: Service,
  call: ProduceCall,
  draining: AbortSignal = new AbortController().signal,
): void {
  const caller = callerOf(call);
  const maxDepth = service.limits.jsonDepth;
  const gone = new AbortController();
  // Requests not answered `done`, by id: each with what stops its wait, and its message (whose
  // bytes go back at its first answer, a wait's at its last, or when the stream is over).
  const open = new Map<
    number,
    { stop: AbortController; message: ProduceRequestMessage | RefusedRequest }
  >();
  const outbox: Outgoing[] = [];
  // Final tasks of waits to read, and how many were read (or are being read) and not written.
  const reads: PendingRead[] = [];
  let unwritten = 0;
  let pumping = false;
  // The client's window on this stream, counted before anything is written (`null`: its
  // connection's frames are not read; then the connection's window alone paces).
  const window = streamWindowOf(call);
  let writing = false;
  let clientEnded = false;
  let over = false;
  // Headers at once: the client tells by them that the stream was served (a refusal before them
  // ran nothing; after them, a request not answered may have been made).
  call.sendMetadata(new grpc.Metadata());

  // The stream is over: waits end, and requests not yet answered give their bytes back.
  const close = () => {
    over = true;
    draining.removeEventListener("abort", endIfDone);
    gone.abort();
    for (const { message } of open.values()) releaseRequestBytes(message);
  };
  const endWith = (status: GrpcStatusError) => {
    if (over) return;
    close();
    call.emit("error", status);
  };
  const fail = (error: unknown) => endWith(toGrpcError(error));
  const endIfDone = () => {
    if (!(clientEnded || draining.aborted) || open.size > 0 || over) return;
    if (!clientEnded) return endWith(stopped());
    over = true;
    draining.removeEventListener("abort", endIfDone);
    call.end();
  };
  draining.addEventListener("abort", endIfDone);
  // Whether the client's windows on the stream and on the connection are open now (or the
  // stream is over). A grpc-js or grpc-go client keeps its connection's window open while its
  // application reads nothing: only the stream's window shows it. Checked before each write, so
  // that an answer goes out in the turn that made it when they are open (other work queued for
  // that turn, such as a worker's acknowledgements, does not go first).
  const windowsOpen = () =>
    gone.signal.aborted ||
    ((!window || window.stream.room() > 0) && !sendWindowShut(call));
  // Resolves once they are open (or the stream is over). The stream's window has one `onOpen`,
  // and both loops below may wait for it at once: they share one wait (a second waiter set in
  // the first's place left the first waiting for good, and 18 waits for 1 MB tasks stalled).
  let streamOpen: Promise<void> | undefined;
  const windowOpen = async () => {
    while (window && window.stream.room() <= 0 && !gone.signal.aborted) {
      await (streamOpen ??= new Promise<void>((resolve) => {
        const opened = () => {
          gone.signal.removeEventListener("abort", opened);
          window.stream.onOpen = undefined;
          streamOpen = undefined;
          resolve();
        };
        window.stream.onOpen = opened;
        gone.signal.addEventListener("abort", opened);
      }));
    }
    await sendWindowOpen(call, gone.signal);
  };
  // Writes the outbox in order, one answer at a time, each once the windows are open: a client
  // that reads nothing has at most one answer past its window.
  const flush = async () => {
    if (writing) return;
    writing = true;
    try {
      while (outbox.length > 0 && !gone.signal.aborted) {
        if (!windowsOpen()) await windowOpen();
        if (gone.signal.aborted) break;
        const { response, written } = outbox.shift()!;
        // Encoded here, to be counted against the window (`producingDefinition` sends the bytes).
        const bytes = encodeMessage(
          PRODUCE_RESPONSE,
          response as unknown as Record<string, unknown>,
          { valueBytes: true },
        );
        encodedAnswers.set(response, bytes);
        window?.stream.wrote(MESSAGE_PREFIX_BYTES + bytes.length);
        call.write(response);
        written?.(response);
        // A request's bytes go back with its first answer; a wait's, with its last (its ids are
        // held until then). A create that waits gives them back once made: held for the wait,
        // past the connection's cap they would end the whole stream, every request on it.
        const request = open.get(response.requestId)?.message;
        if (response.done || request?.kind !== "watch") releaseRequestBytes(request);
        if (response.done) open.delete(response.requestId);
      }
    } finally {
      writing = false;
    }
    endIfDone();
  };
  const answer = (
    response: ProduceResponseMessage,
    written?: (response: ProduceResponseMessage) => void,
  ) => {
    if (gone.signal.aborted) return;
    outbox.push({ response, written });
    flush().catch(fail);
  };
  // Starts the reads of final tasks in turn, each once the windows are open, at most
  // `FINAL_READS_AT_ONCE` read and not yet written: a slow read holds back only the reads after
  // it, not the stream's other answers.
  const pumpReads = async () => {
    if (pumping) return;
    pumping = true;
    try {
      while (reads.length > 0 && unwritten < FINAL_READS_AT_ONCE && !gone.signal.aborted) {
        if (!windowsOpen()) await windowOpen();
        if (gone.signal.aborted || reads.length === 0) break;
        const { requestId, read, done, written } = reads.shift()!;
        unwritten++;
        const send = (response: ProduceResponseMessage) =>
          answer(response, (response) => {
            unwritten--;
            written(response);
            pumpReads().catch(fail);
          });
        const failed = (error: unknown) =>
          send({ requestId, error: produceErrorOf(error), done: true });
        // Sent in the turn the read ends (no `catch` turn before it); a task that cannot be
        // answered fails its request as a failed read does.
        read().then((task) => {
          let response: ProduceResponseMessage;
          try {
            response = { requestId, task: taskToMessage(task!), done };
          } catch (error) {
            return failed(error);
          }
          send(response);
        }, failed);
      }
    } finally {
      pumping = false;
    }
  };
  // Answers `requestId` with the next task of `watch` (ready to take), read only when its turn
  // comes (`pumpReads`); resolves with the answer once written (an error, should the read fail),
  // or with `null` once `ended` (the stream over, or the request stopped: the wait's one signal
  // of both, not one more per answer, ~3.5 µs each) aborts before the read started.
  const answerNextOf = (
    requestId: number,
    watch: TaskWatch,
    done: boolean,
    ended: AbortSignal,
  ) =>
    new Promise<ProduceResponseMessage | null>((resolve) => {
      const entry: PendingRead = {
        requestId,
        read: () => watch.next(),
        done,
        written: (response) => {
          ended.removeEventListener("abort", dropped);
          resolve(response);
        },
      };
      const dropped = () => {
        ended.removeEventListener("abort", dropped);
        const at = reads.indexOf(entry);
        // Being read already: its answer goes out.
        if (at < 0 && !gone.signal.aborted) return;
        if (at >= 0) reads.splice(at, 1);
        resolve(null);
      };
      ended.addEventListener("abort", dropped);
      if (ended.aborted) return dropped();
      reads.push(entry);
      pumpReads().catch(fail);
    });
  // The rest of a wait: each task answered once final, the last `done`, each read only when its
  // answer is written and the next one only after that (so a client that does not read holds
  // ids here, not tasks); CANCELLED once `stop` aborts (a cancel the wire check refused: its
  // status instead, the one answer it gets).
  const answerWatch = async (requestId: number, watch: TaskWatch, stop: AbortSignal) => {
    const ended = AbortSignal.any([gone.signal, stop]);
    let left = watch.ids.length;
    while (await watch.ready(ended)) {
      left--;
      const written = await answerNextOf(requestId, watch, left === 0, ended);
      if (written?.done) return;
      if (!written) break;
    }
    const { reason } = stop;
    const error = reason instanceof RefusedRequest ? reason.error : WAIT_CANCELLED;
    answer({ requestId, error, done: true });
  };

  // A wait for tasks, as `WatchTasks`.
  const serveWatch = async (message: ProduceRequestMessage, stop: AbortSignal) => {
    authorize(caller, "tasks.read");
    using watch = await service.watch.open(message.watch?.taskIds ?? [], { caller });
    await answerWatch(message.requestId, watch, stop);
  };

  const serve = async (message: ProduceRequestMessage | RefusedRequest, stop: AbortSignal) => {
    if (message instanceof RefusedRequest) return serveRefused(message);
    const requestId = message.requestId;
    const kind = message.kind;
    if (kind === "watch") {
      return await serveWatch(message, stop).catch((error) =>
        answer({ requestId, error: produceErrorOf(error), done: true })
      );
    }
    if (kind !== "create" && kind !== "createAndWatch") {
      return answer({ requestId, error: UNKNOWN_KIND, done: true });
    }
    let created = false;
    try {
      // Before the task is read, as its own call is refused before it is decoded.
      authorize(caller, "tasks.create");
      if (draining.aborted) throw STOPPING;
      const input = oneNewTaskFromMessage(message[kind]?.task as NewTaskMessage | null, maxDepth);
      const trace = readTraceContext(message.traceparent || undefined, message.tracestate);
      if (kind === "create") {
        // The stream gone, data not checked yet is not (a `cancel` ends a wait, never a create).
        const { task } = await service.createTask(input, { caller, trace, signal: gone.signal });
        created = true;
        audited("OK");
        answer({ requestId, task: taskToMessage(task), done: true });
        return;
      }
      const made = await service.createTaskAndWatch(input, {
        caller,
        trace,
        signal: gone.signal,
      });
      using watch = made.watch;
      const task = made.created.task;
      created = true;
      audited("OK");
      const final = ENDED_STATUSES.includes(task.status);
      answer({ requestId, task: taskToMessage(task), done: final });
      if (!final) await answerWatch(requestId, watch, stop);
    } catch (error) {
      const refused = produceErrorOf(error);
      if (!created) audited(grpc.status[refused.code], refused.message);
      answer({ requestId, error: refused, done: true });
    }
  };
  // A request the wire check refused, under its id: checked as its kinds would be before
  // decoding (the scope to create tasks for a create, audited as one, to read them for a watch),
  // then answered with the refusal.
  const serveRefused = (message: RefusedRequest) => {
    const creates = message.kinds.has("create") || message.kinds.has("createAndWatch");
    let error = message.error;
    try {
      if (creates) authorize(caller, "tasks.create");
      if (message.kinds.has("watch")) authorize(caller, "tasks.read");
    } catch (denied) {
      error = produceErrorOf(denied);
    }
    if (creates) audited(grpc.status[error.code], error.message);
    answer({ requestId: message.requestId!, error, done: true });
  };
  const audited = (outcome: string, reason?: string) =>
    audit(caller, "tasks.create", { transport: "grpc", call: PRODUCE_PATH, outcome, reason });

  call.on("data", (message: ProduceRequestMessage | RefusedRequest) => {
    if (over) return releaseRequestBytes(message);
    const id = message.requestId;
    // Refused by the wire check with no id to answer under: the status ends the stream.
    if (id === null) {
      releaseRequestBytes(message);
      return endWith((message as RefusedRequest).status());
    }
    if (message.kind === "cancel" || (message instanceof RefusedRequest && message.cancels)) {
      open.get(id)?.stop.abort(message);
      return releaseRequestBytes(message);
    }
    if (id === 0 || open.has(id)) {
      releaseRequestBytes(message);
      return fail(
        InvalidArgumentError.listing(`Request id ${id} cannot be used`, [{
          field: "/requestId",
          message: id === 0
            ? "Must be 1 or more"
            : "Is in use by a request that has not had its last answer",
        }]),
      );
    }
    if (open.size >= PRODUCE_REQUESTS_IN_FLIGHT) {
      releaseRequestBytes(message);
      return fail(
        new ResourceExhaustedError(
          `The stream has ${open.size} requests open (not yet answered done, or their answers not read): at most ${PRODUCE_REQUESTS_IN_FLIGHT} may be; read the answers, or open another stream`,
        ),
      );
    }
    const stop = new AbortController();
    open.set(id, { stop, message });
    serve(message, stop.signal).catch(fail);
  });
  call.on("end", () => {
    clientEnded = true;
    endIfDone();
  });
  call.on("cancelled", close);
  call.on("error", close);
  call.on("close", close);
}
