/**
 * The worker protocol over gRPC (`TaskExecutorService`): the bidirectional `Work` stream and the unary
 * `GetNextTask` / `ReportResults`, as a thin adapter over the engine.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import {
  type AssignmentMessage,
  boundLogLines,
  cutErrorMessage,
  durationFromMs,
  ENUM_PREFIX,
  fromEnum,
  msFromDuration,
  type ResultAckMessage,
  type ResultMessage,
  timeProblem,
  timestampFromMs,
  toEnum,
  type WorkRequest,
  type WorkResponse,
} from "@tasks-executor/proto";
import {
  type FieldViolation,
  InvalidArgumentError,
  listViolations,
  ResourceExhaustedError,
  UnavailableError,
} from "../domain/errors.ts";
import { checkJsonValue, resultTooLarge, utf8Length } from "@tasks-executor/proto/json-value";
import type { Limits } from "../domain/limits.ts";
import { BytesPerTask } from "./bytes_per_task.ts";
import {
  backslashNameRefused,
  countJsonText,
  MEMBER_GIVEN_TWICE,
  ObjectShapes,
  tooManyShapes,
} from "@tasks-executor/proto/json-text";
import { ThreadSlices } from "../thread_slices.ts";
import type { Task } from "../domain/task.ts";
import type {
  AttemptOutcome,
  Engine,
  ResultAck,
  WorkerResult,
  WorkerSession,
} from "../engine/engine.ts";
import { callerOf } from "./auth.ts";
import { audit } from "../auth/audit.ts";
import { releaseRequestBytes } from "./request_bytes.ts";
import { MESSAGE_PREFIX_BYTES, sendWindowOpen, streamWindowOf } from "./send_window.ts";
import { toGrpcError } from "./status.ts";

/** A lease-fenced task as the worker receives it. */
function toAssignment(task: Task): AssignmentMessage {
  return {
    taskId: task.id,
    executorName: task.executorName,
    dataJson: JSON.stringify(task.data ?? null),
    metadata: task.metadata,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    leaseToken: task.leaseToken ?? "",
    leaseExpiresAt: timestampFromMs(task.leaseExpiresAt),
    createdAt: timestampFromMs(task.createdAt),
    traceparent: task.traceparent ?? "",
    tracestate: task.tracestate ?? "",
  };
}

/**
 * grpc-js clients refuse messages over 4 MiB by default: a batch of large tasks is split so each
 * message stays well under that. Small tasks (the usual case) still travel in one message.
 */
const MAX_ASSIGNMENTS_BYTES = 3 * 1024 * 1024;

function chunked(assignments: AssignmentMessage[]): AssignmentMessage[][] {
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: when even that bound fits, the
  // exact byte counts below are not needed (the usual batch of small tasks).
  let bound = 0;
  for (const a of assignments) {
    bound += 128 + 3 * (a.dataJson.length + a.taskId.length + a.leaseToken.length) +
      a.traceparent.length + a.tracestate.length;
    for (const key in a.metadata) bound += 3 * (key.length + a.metadata[key].length) + 8;
  }
  if (bound <= MAX_ASSIGNMENTS_BYTES) return assignments.length > 0 ? [assignments] : [];
  const chunks: AssignmentMessage[][] = [];
  let current: AssignmentMessage[] = [];
  let bytes = 0;
  for (const a of assignments) {
    // Trace contexts are ASCII (proto/tracing.ts): one byte per character.
    let size = 128 + Buffer.byteLength(a.dataJson) + a.taskId.length + a.leaseToken.length +
      a.traceparent.length + a.tracestate.length;
    for (const key in a.metadata) {
      size += Buffer.byteLength(key) + Buffer.byteLength(a.metadata[key]) + 8;
    }
    if (current.length > 0 && bytes + size > MAX_ASSIGNMENTS_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(a);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The refusal of a worker's message: `what: field: detail` (`InvalidArgumentError.listing`). */
function invalid(what: string, field: string, detail: string): InvalidArgumentError {
  return InvalidArgumentError.listing(what, [{ field, message: detail }]);
}

/**
 * A batch of results as read: those to settle, and acks for the items refused outright, each with
 * its index in the batch (`at`).
 */
export interface ParsedResults {
  results: WorkerResult[];
  refused: { at: number; ack: ResultAck }[];
}

/**
 * The acks of a batch in the order of its results: `acks` answers `parsed.results` in order, and
 * the acks of `parsed.refused` go where their results were. A worker matches the acks of one task
 * to its results in the order it sent them. When `acks` answers only the first of
 * `parsed.results` (a report that failed part-way), the answer is the acks of the batch's first
 * results up to the first left unanswered.
 */
export function acksInOrder(parsed: ParsedResults, acks: ResultAck[]): ResultAck[] {
  const all: ResultAck[] = [];
  let next = 0;
  for (const { at, ack } of parsed.refused) {
    while (all.length < at && next < acks.length) all.push(acks[next++]);
    if (all.length < at) return all;
    all.push(ack);
  }
  return all.concat(acks.slice(next));
}

/** The limits `parseResults` holds results to. */
export type ResultLimits = Pick<
  Limits,
  | "resultBytes"
  | "errorMessageChars"
  | "jsonDepth"
  | "idChars"
  | "errorStackChars"
  | "attemptLogLines"
  | "attemptLogLineChars"
  | "assignmentsInFlight"
  | "requestJsonValues"
  | "requestObjectShapes"
>;

/**
 * Reads a batch of results, each on its own, so that one bad item never holds up the others:
 * - an item that cannot name its attempt (task id or lease token missing, or longer than
 *   `idChars`) is refused with an ack saying why, and changes nothing;
 * - a result over `resultBytes` of JSON text, not JSON, or JSON no store keeps exactly (too deep,
 *   a non-finite or unsafe number: `checkJsonValue`) fails its attempt, not retryable (the same
 *   handler on the same data would most likely send it again), with a message saying why; so
 *   does one of more than `requestJsonValues` JSON values or `requestObjectShapes` object shapes
 *   (`proto/json_text.ts`), counted before it is parsed, with a member name that ends with a
 *   backslash (`endsWithBackslash`), or with a member name given twice in one object;
 * - a failure with a bad `retryAfter` or `failureReason` fails its attempt the same way;
 * - an error message longer than `errorMessageChars` is cut and marked (`cutErrorMessage`).
 *
 * Results are parsed in slices of the thread (`ThreadSlices`): a message may hold many, each
 * within its limits.
 *
 * @throws {InvalidArgumentError} when `results` is not a list
 */
export async function parseResults(
  results: unknown,
  options: { pointer: string; limits: ResultLimits },
): Promise<ParsedResults> {
  const { pointer, limits } = options;
  if (!Array.isArray(results)) {
    throw invalid("Results must be a list", pointer, "Must be a list");
  }
  // No worker holds more tasks than that: more results is no report, and each would cost the
  // manager a check and an ack (2,000,000 empty results held its thread 12.8 s).
  if (results.length > limits.assignmentsInFlight) {
    throw invalid(
      "Results name more tasks than a worker can hold",
      pointer,
      `Must hold at most ${limits.assignmentsInFlight} results (assignmentsInFlight), not ${results.length}`,
    );
  }
  const parsed: ParsedResults = { results: [], refused: [] };
  const slices = new ThreadSlices();
  for (const [i, raw] of (results as ResultMessage[]).entries()) {
    const at = `${pointer}/${i}`;
    const refusal = [
      idProblem(raw?.taskId, `${at}/taskId`, limits.idChars),
      idProblem(raw?.leaseToken, `${at}/leaseToken`, limits.idChars),
    ].find((problem) => problem !== null);
    if (refusal) {
      const taskId = typeof raw?.taskId === "string" ? raw.taskId.slice(0, limits.idChars) : "";
      parsed.refused.push({
        at: i,
        ack: { taskId, accepted: false, error: `Result refused: ${refusal}` },
      });
      continue;
    }
    parsed.results.push({
      taskId: raw.taskId,
      leaseToken: raw.leaseToken,
      outcome: withDetail(
        raw.ok ? successOf(raw.resultJson ?? "", limits) : failureOf(raw, at, limits),
        raw,
        limits,
      ),
      resultChars: raw.ok ? raw.resultJson?.length ?? 0 : 0,
    });
    // A result parsed may have held the thread: past a slice, others get it between results.
    if (raw.ok && raw.resultJson) await slices.turn();
  }
  return parsed;
}

/** An outcome with the attempt's log lines and (for a failure) stack trace, bounded. */
function withDetail(outcome: AttemptOutcome, raw: ResultMessage, limits: ResultLimits) {
  const logs = boundLogLines(raw.logs, limits.attemptLogLines, limits.attemptLogLineChars);
  const detailed: AttemptOutcome = logs.length > 0 ? { ...outcome, logs } : outcome;
  if (detailed.ok || typeof raw.stack !== "string" || raw.stack === "") return detailed;
  return { ...detailed, stack: cutErrorMessage(raw.stack, limits.errorStackChars) };
}

/** Why a task id or lease token cannot be used, as `field: Problem` (`null` when it can). */
function idProblem(value: unknown, field: string, maxChars: number): string | null {
  if (typeof value !== "string" || value === "") return `${field}: Is required`;
  if (value.length > maxChars) return `${field}: Must be at most ${maxChars} characters`;
  return null;
}

/** A reported result, or the failed attempt it makes when the manager cannot keep it. */
function successOf(resultJson: string, limits: ResultLimits): AttemptOutcome {
  const fail = (error: string): AttemptOutcome => ({ ok: false, error, retryable: false });
  if (resultJson === "") return { ok: true, result: null };
  const bytes = utf8Length(resultJson);
  if (bytes > limits.resultBytes) {
    return fail(
      `Result cannot be stored as it is: ${
        listViolations([resultTooLarge(bytes, limits.resultBytes)])
      }`,
    );
  }
  const shapes = new ObjectShapes(limits.requestObjectShapes);
  if (countJsonText(resultJson, limits.requestJsonValues, shapes) > limits.requestJsonValues) {
    return fail(
      `Result not kept: it holds more than ${limits.requestJsonValues} JSON values, the most one request may hold (MAX_REQUEST_JSON_VALUES)`,
    );
  }
  if (shapes.past) return fail(`Result not kept: ${tooManyShapes("it holds", shapes.most)}`);
  if (shapes.nameEndingInBackslash) return fail(`Result not kept: ${backslashNameRefused("it")}`);
  if (shapes.memberGivenTwice !== null) {
    return fail(`Result not kept: /result${shapes.memberGivenTwice}: ${MEMBER_GIVEN_TWICE}`);
  }
  let result: unknown;
  try {
    result = JSON.parse(resultJson);
  } catch (error) {
    return fail(`Result is not valid JSON: ${(error as Error).message}`);
  }
  const violations: FieldViolation[] = [];
  if (!checkJsonValue(result, { pointer: "/result", maxDepth: limits.jsonDepth }, violations)) {
    const [first] = violations;
    return fail(`Result cannot be stored as it is: ${listViolations([first])}`);
  }
  return { ok: true, result };
}

/** A reported failure; one whose fields are out of range fails without retry, saying which. */
function failureOf(raw: ResultMessage, at: string, limits: ResultLimits): AttemptOutcome {
  const error = cutErrorMessage(String(raw.error ?? ""), limits.errorMessageChars);
  const retryAfterMs = msFromDuration(raw.retryAfter) ?? 0;
  const retryAfterProblem = timeProblem(raw.retryAfter, "duration");
  const failureReason = fromEnum(ENUM_PREFIX.dlqReason, raw.failureReason);
  const bad = retryAfterProblem
    ? `${at}/retryAfter: ${retryAfterProblem}`
    : retryAfterMs < 0
    ? `${at}/retryAfter: Must be zero or more`
    : failureReason !== undefined && failureReason !== "validation"
    ? `${at}/failureReason: Must be unspecified or DLQ_REASON_VALIDATION`
    : null;
  if (bad) {
    return {
      ok: false,
      error: cutErrorMessage(
        `Worker sent an invalid result: ${bad}; its error: ${error}`,
        limits.errorMessageChars,
      ),
      retryable: false,
    };
  }
  return {
    ok: false,
    error,
    retryable: Boolean(raw.retryable),
    retryAfterMs,
    failureReason: raw.rateLimited
      ? "rate_limited"
      : failureReason === "validation"
      ? "validation"
      : undefined,
  };
}

type WorkCall = grpc.ServerDuplexStream<WorkRequest, WorkResponse>;

/** Messages of one `Work` stream received and waiting their turn, at most. */
const MAX_UNHANDLED_MESSAGES = 1000;

/**
 * A `Work` message of more bytes than this is handled after a timer turn of the event loop, where
 * waiting I/O runs: its decode (the wire check and protobuf) held the thread already, and its
 * handling's first slice (`ThreadSlices`, up to `SLICE_MS`) ran straight after it, in the same
 * turn. A heartbeat of 3,500 tasks' progress of 1 KiB (3.7 MB) takes 9-21 ms of CPU to decode, so
 * the two held the thread up to about 30 ms at once; a turn costs about a millisecond, nothing
 * beside such a message's handling.
 */
export const TURN_BEFORE_BYTES = 256 * 1024;

/** The encoded size of each `Work` message received, by the decoded message. */
const receivedBytes = new WeakMap<object, number>();

/** Who counts the bytes of a `Work` message sent, once grpc-js encodes it, by the message. */
const onEncoded = new WeakMap<object, (bytes: number) => void>();

/**
 * Most tasks leased at once to a stream of an executor none of whose tasks was sent yet (then
 * the bytes per task are known): a few, whatever their size. Guessing 1 KiB a task instead let
 * the first lease to a worker that announced 1 GiB windows take 58 tasks of 1 MB at once.
 */
const FIRST_LEASE_TASKS = 16;

/**
 * The worker service's definition with `Work` messages measured as they are decoded, so that a
 * stream can bound the bytes it holds unhandled, and as they are encoded, so that it can count
 * what it wrote against the worker's flow-control window. Pass it to `addService` with the
 * implementation.
 */
export function measuredWorkerDefinition(
  definition: grpc.ServiceDefinition,
): grpc.ServiceDefinition {
  const work = definition.Work;
  return {
    ...definition,
    Work: {
      ...work,
      requestDeserialize: (bytes: Buffer) => {
        const message = work.requestDeserialize(bytes);
        if (message && typeof message === "object") receivedBytes.set(message, bytes.length);
        return message;
      },
      responseSerialize: (message: object) => {
        const bytes = work.responseSerialize(message);
        onEncoded.get(message)?.(MESSAGE_PREFIX_BYTES + bytes.length);
        return bytes;
      },
    },
  };
}

/** The work stream's method, as the audit trail names it. */
const WORK_PATH = "taskexecutor.v1.TaskExecutorService/Work";

/**
 * Serves one `Work` stream: hello first, then credits, results and heartbeats, in order.
 *
 * Flow control: once `call.write` says the peer is not reading what was sent, the stream gets no
 * more tasks, and its own messages are left unread (so the peer's writes wait too), until it
 * drains. Deno's HTTP/2 layer never says so (it queues whatever the peer's window does not
 * admit) and reads on while the stream is paused, so besides:
 * - tasks are leased to the stream only while the peer's flow-control window on it is open, and
 *   no more at once than that window admits (`assignable`, from the bytes per task written so
 *   far on any stream: `bytesPerTask`): a worker that reads nothing holds about one window of
 *   tasks, not all its credits allow;
 * - a results message, which an ack answers, is handled once the connection's window is open;
 * - a peer whose messages waiting their turn pass `MAX_UNHANDLED_MESSAGES` or 4 ×
 *   MAX_REQUEST_BYTES is cut off with RESOURCE_EXHAUSTED (a worker of ours sends its next results
 *   without waiting for acks, but never that much ahead).
 * The stream's window is counted from the client's frames (`streamWindowOf`): Deno reports the
 * connection's window only, which a worker whose transport reads the socket keeps open.
 */
function serveWork(engine: Engine, bytesPerTask: BytesPerTask, call: WorkCall): void {
  let session: WorkerSession | undefined;
  let ended = false;
  // The manager ended the stream itself with a refusal (any status but UNAVAILABLE): the results
  // still waiting their turn on it will never be applied, and are refused with it.
  let refused = false;
  let blocked = false;
  // Counted before anything is written on the stream; `null` when its connection is not read.
  const window = streamWindowOf(call);
  // Messages received and not handled yet, and their encoded bytes.
  let unhandled = 0;
  let unhandledBytes = 0;
  const gone = new AbortController();
  // Messages are handled one after the other, so a credit never overtakes the results before it.
  let chain: Promise<void> = Promise.resolve();

  const release = () => {
    if (session) engine.disconnect(session);
    session = undefined;
  };
  const fail = (error: unknown) => {
    if (ended) return;
    ended = true;
    refused = !(error instanceof UnavailableError);
    release();
    const status = toGrpcError(error);
    // A refusal of the hello for want of permission, or of a worker id another key holds: the
    // stream's own audit line said OPEN; this one says it was denied, as a unary call's would.
    if (status.denied) {
      audit(callerOf(call), "worker.work", {
        transport: "grpc",
        call: WORK_PATH,
        outcome: grpc.status[status.code],
        reason: status.details,
        denied: true,
      });
    }
    call.emit("error", status);
  };
  /** Writes `message`, counted against the window at `estimate` bytes until it is encoded. */
  const write = (
    message: WorkResponse,
    estimate = 0,
    executor?: { name: string; tasks: number },
  ) => {
    session?.liveness.wrote();
    if (ended) return;
    if (window) {
      window.stream.wrote(estimate);
      // Guessed until it is encoded: a lease on its way through grpc-js tells the next one.
      if (executor && bytesPerTask.get(executor.name) === undefined) {
        bytesPerTask.learn(executor.name, Math.ceil(estimate / executor.tasks));
      }
      onEncoded.set(message, (bytes) => {
        window.stream.wrote(bytes - estimate);
        if (executor) bytesPerTask.learn(executor.name, Math.ceil(bytes / executor.tasks));
      });
    }
    if (call.write(message) || blocked) return;
    blocked = true;
    call.pause();
  };
  /** Bytes the worker's window takes now (`Infinity` when it cannot be told). */
  const windowRoom = () => window ? Math.min(window.stream.room(), window.connection()) : Infinity;
  if (window) {
    window.stream.onOpen = () => {
      if (session && !blocked && !ended) engine.resume(session);
    };
  }
  call.on("drain", () => {
    if (!blocked) return;
    blocked = false;
    call.resume();
    if (session) engine.resume(session);
  });
  const limits = engine.limits;

  const handle = async (message: WorkRequest) => {
    if (ended) return;
    const kind = message?.kind;
    if (!session) {
      if (kind !== "hello" || !message.hello) {
        throw invalid("The first message must be hello", "/hello", "Must come first");
      }
      const hello = message.hello;
      const opened = await engine.connect(
        {
          workerId: hello.workerId,
          executors: hello.executors ?? [],
          sdkVersion: hello.sdkVersion ?? "",
          host: hello.host ?? "",
          pid: Number(hello.pid ?? 0),
          runtime: hello.runtime ?? "",
          keepalive: hello.keepalive === true,
        },
        {
          assign: (tasks) => {
            for (const chunk of chunked(tasks.map(toAssignment))) {
              let estimate = 0;
              for (const a of chunk) estimate += 128 + a.dataJson.length;
              write({ assignments: { tasks: chunk } }, estimate, {
                name: chunk[0].executorName,
                tasks: chunk.length,
              });
            }
          },
          cancel: (tasks) =>
            write({
              cancellations: {
                tasks: tasks.map(({ taskId, reason }) => ({
                  taskId,
                  reason: toEnum(ENUM_PREFIX.cancellationReason, reason),
                })),
              },
            }),
          close: (reason) => fail(new UnavailableError(reason)),
          executorDeleted: (executorName) => write({ executorDeleted: { executorName } }),
          writable: () => !blocked && !ended && windowRoom() > 0,
          assignable: (executorName) => {
            const room = windowRoom();
            if (room === Infinity) return Infinity;
            if (room <= 0) return 0;
            const perTask = bytesPerTask.get(executorName);
            // Until one of its tasks was sent, a lease is kept small: they may be large.
            if (perTask === undefined) return Math.min(FIRST_LEASE_TASKS, room);
            return Math.max(1, Math.floor(room / perTask));
          },
          keepalive: () => {
            // A peer that is not reading what was sent learns nothing from one more message.
            if (!blocked) write({ keepalive: {} });
          },
        },
        { caller: callerOf(call) },
      );
      if (ended) {
        engine.disconnect(opened);
        return;
      }
      session = opened;
      write({
        welcome: {
          managerId: engine.managerId,
          maxMessageBytes: limits.requestBytes,
          maxResultBytes: limits.resultBytes,
          maxErrorChars: limits.errorMessageChars,
          maxStackChars: limits.errorStackChars,
          maxLogLines: limits.attemptLogLines,
          maxLogLineChars: limits.attemptLogLineChars,
          maxProgressBytes: limits.progressBytes,
          keepaliveInterval: durationFromMs(engine.keepaliveIntervalMs),
        },
      });
      return;
    }
    switch (kind) {
      case "hello":
        throw invalid("Hello may be sent only once per stream", "/hello", "Was sent already");
      case "credit": {
        const credit = message.credit!;
        engine.addCredit(session, credit.executorName, Number(credit.credits));
        return;
      }
      case "results": {
        const parsed = await parseResults(message.results?.results ?? [], {
          pointer: "/results/results",
          limits,
        });
        const acks = await engine.report(session.workerId, parsed.results, {
          caller: session.caller,
          streamed: true,
          // The stream ends with the failure: the results settled before it are acknowledged
          // first, so that their worker does not send them again (they would be refused).
          settledBeforeFailure: (settled) =>
            write({ acks: { acks: acksInOrder(parsed, settled) as ResultAckMessage[] } }),
        });
        write({ acks: { acks: acksInOrder(parsed, acks) as ResultAckMessage[] } });
        return;
      }
      case "heartbeat": {
        // An empty one is the worker's keepalive: it only says the worker is there.
        const taskIds = message.heartbeat?.taskIds ?? [];
        // No worker holds more tasks than its credits allow: more ids is no heartbeat, and each
        // id costs the manager a lease lookup on its one thread.
        const most = limits.creditsPerExecutor * session.executors.length;
        if (taskIds.length > most) {
          throw invalid(
            "Heartbeat names more tasks than the worker can hold",
            "/heartbeat/taskIds",
            `Must name at most ${most} tasks (creditsPerExecutor × executors of the hello), not ${taskIds.length}`,
          );
        }
        const progress = message.heartbeat?.progressJson ?? {};
        const entries = Object.keys(progress).length;
        if (entries > most) {
          throw invalid(
            "Heartbeat carries progress for more tasks than the worker can hold",
            "/heartbeat/progressJson",
            `Must hold at most ${most} entries, not ${entries}`,
          );
        }
        await engine.heartbeat(session, taskIds, progress);
        return;
      }
      default:
        throw invalid(
          "Message sets no known field",
          "/kind",
          "Must be one of hello, credit, results, heartbeat",
        );
    }
  };

  call.on("data", (message: WorkRequest) => {
    session?.heard();
    const bytes = receivedBytes.get(message) ?? 0;
    unhandled++;
    unhandledBytes += bytes;
    if (unhandled > MAX_UNHANDLED_MESSAGES || unhandledBytes > 4 * limits.requestBytes) {
      fail(
        new ResourceExhaustedError(
          `The worker sent ${unhandled} messages (${unhandledBytes} bytes) not handled yet: at most ${MAX_UNHANDLED_MESSAGES} and 4 × MAX_REQUEST_BYTES may wait; read what the manager sends`,
        ),
      );
      return;
    }
    // A result counts from its arrival, not from its turn in the chain: its lease is kept alive,
    // and left to its settlement by the lease check, until the message is handled. A message
    // refused gives its leases back to the usual path at once: refused itself (invalid: the stream
    // ends over it), or dropped unhandled behind a refusal that ended the stream (another message
    // invalid, too many messages waiting). One dropped unhandled as the stream ended otherwise (the
    // worker went, the store or the manager is unavailable) or unapplied for want of the store
    // keeps the mark, its worker sends it again (see `Engine.noteResults`).
    const handled = session && message?.kind === "results"
      ? engine.noteResults(session.workerId, message.results?.results)
      : undefined;
    let keep = true;
    chain = chain
      .then(async () => {
        if (message?.kind === "results") await sendWindowOpen(call, gone.signal);
        if (bytes > TURN_BEFORE_BYTES) await new Promise((resolve) => setTimeout(resolve, 0));
        if (ended) {
          keep = !refused;
          return;
        }
        keep = false;
        await handle(message);
      })
      .catch((error) => {
        keep = error instanceof UnavailableError;
        fail(error);
      })
      .finally(() => {
        handled?.(keep);
        unhandled--;
        unhandledBytes -= bytes;
        releaseRequestBytes(message);
      });
  });
  call.on("end", () => {
    chain = chain.then(() => {
      if (ended) return;
      ended = true;
      release();
      call.end();
    });
  });
  /** The stream is over: its waits end, its session goes. */
  const over = () => {
    gone.abort();
    release();
  };
  call.on("cancelled", () => {
    ended = true;
    over();
  });
  call.on("error", () => {
    ended = true;
    over();
  });
  call.on("close", over);
}

/**
 * The `TaskExecutorService` service implementation for `grpc.Server.addService`.
 *
 * @example
 * ```ts ignore
 * server.addService(loadProtocol().TaskExecutorService.service, createWorkerService(engine));
 * ```
 */
export function createWorkerService(engine: Engine): grpc.UntypedServiceImplementation {
  // Learned from every Work stream of this manager, for the next lease of each. Twice
  // MAX_EXECUTORS: a store may hold more executors than this manager's limit (lowered since, or
  // another manager's), and names past the bound would each be learned again at every lease.
  const bytesPerTask = new BytesPerTask(2 * engine.limits.executors);
  const getNextTask: grpc.handleUnaryCall<
    { workerId: string; executors: string[]; maxTasks: number },
    { tasks: AssignmentMessage[] }
  > = (call, callback) => {
    const request = call.request;
    Promise.resolve()
      .then(() =>
        engine.claim(request.workerId, request.executors ?? [], Number(request.maxTasks ?? 0), {
          caller: callerOf(call),
        })
      )
      .then((tasks) => callback(null, { tasks: tasks.map(toAssignment) }))
      .catch((error) => callback(toGrpcError(error)));
  };
  const reportResults: grpc.handleUnaryCall<
    { workerId: string; results: ResultMessage[] },
    { acks: ResultAckMessage[] }
  > = (call, callback) => {
    Promise.resolve()
      .then(async () => {
        const request = call.request;
        const parsed = await parseResults(request.results ?? [], {
          pointer: "/results",
          limits: engine.limits,
        });
        return engine.report(request.workerId, parsed.results, { caller: callerOf(call) })
          .then((acks) => acksInOrder(parsed, acks));
      })
      .then((acks) => callback(null, { acks }))
      .catch((error) => callback(toGrpcError(error)));
  };
  return {
    Work: (call: WorkCall) => serveWork(engine, bytesPerTask, call),
    GetNextTask: getNextTask,
    ReportResults: reportResults,
  };
}
