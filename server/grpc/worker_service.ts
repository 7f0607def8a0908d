/**
 * The worker protocol over gRPC (`TaskExecutor`): the bidirectional `Work` stream and the unary
 * `GetNextTask` / `UpdateTaskStatus`, as a thin adapter over the engine.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type {
  AssignmentMessage,
  ManagerMessage,
  ResultAckMessage,
  ResultMessage,
  WorkerMessage,
} from "@tasks-executor/proto";
import { type FieldViolation, InvalidArgumentError, UnavailableError } from "../domain/errors.ts";
import type { Task } from "../domain/task.ts";
import type { Engine, WorkerResult, WorkerSession } from "../engine/engine.ts";
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
    leaseExpiresAt: task.leaseExpiresAt ?? 0,
    createdAt: task.createdAt,
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
    bound += 128 + 3 * (a.dataJson.length + a.taskId.length + a.leaseToken.length);
    for (const key in a.metadata) bound += 3 * (key.length + a.metadata[key].length) + 8;
  }
  if (bound <= MAX_ASSIGNMENTS_BYTES) return assignments.length > 0 ? [assignments] : [];
  const chunks: AssignmentMessage[][] = [];
  let current: AssignmentMessage[] = [];
  let bytes = 0;
  for (const a of assignments) {
    let size = 128 + Buffer.byteLength(a.dataJson) + a.taskId.length + a.leaseToken.length;
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

function invalid(message: string, field: string, detail: string): InvalidArgumentError {
  return new InvalidArgumentError(message, [{ field, message: detail }]);
}

/**
 * Reads a batch of results; any malformed one refuses the whole batch (nothing is applied).
 *
 * @throws {InvalidArgumentError} naming every bad field
 */
export function parseResults(results: unknown, pointer: string): WorkerResult[] {
  if (!Array.isArray(results)) {
    throw invalid("Results must be a list", pointer, "Must be a list");
  }
  const violations: FieldViolation[] = [];
  const parsed: WorkerResult[] = [];
  results.forEach((raw: ResultMessage, i) => {
    const at = `${pointer}/${i}`;
    const bad = (field: string, message: string) =>
      violations.push({ field: `${at}/${field}`, message });
    if (typeof raw?.taskId !== "string" || raw.taskId === "") bad("taskId", "Is required");
    if (typeof raw?.leaseToken !== "string" || raw.leaseToken === "") {
      bad("leaseToken", "Is required");
    }
    if (raw?.ok) {
      let result: unknown = null;
      if (raw.resultJson) {
        try {
          result = JSON.parse(raw.resultJson);
        } catch {
          bad("resultJson", "Must be JSON text");
        }
      }
      parsed.push({
        taskId: raw.taskId,
        leaseToken: raw.leaseToken,
        outcome: { ok: true, result },
      });
      return;
    }
    const retryAfterMs = Number(raw?.retryAfterMs ?? 0);
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      bad("retryAfterMs", "Must be zero or more");
    }
    const failureReason = raw?.failureReason ?? "";
    if (failureReason !== "" && failureReason !== "validation") {
      bad("failureReason", 'Must be empty or "validation"');
    }
    parsed.push({
      taskId: raw?.taskId,
      leaseToken: raw?.leaseToken,
      outcome: {
        ok: false,
        error: String(raw?.error ?? ""),
        retryable: Boolean(raw?.retryable),
        retryAfterMs,
        failureReason: failureReason === "validation" ? "validation" : undefined,
      },
    });
  });
  if (violations.length > 0) {
    throw new InvalidArgumentError(
      `Malformed results: ${violations.map((v) => `${v.field} ${v.message}`).join("; ")}`,
      violations,
    );
  }
  return parsed;
}

type WorkCall = grpc.ServerDuplexStream<WorkerMessage, ManagerMessage>;

/** Serves one `Work` stream: hello first, then credits, results and heartbeats, in order. */
function serveWork(engine: Engine, call: WorkCall): void {
  let session: WorkerSession | undefined;
  let ended = false;
  // Messages are handled one after the other, so a credit never overtakes the results before it.
  let chain: Promise<void> = Promise.resolve();

  const release = () => {
    if (session) engine.disconnect(session);
    session = undefined;
  };
  const fail = (error: unknown) => {
    if (ended) return;
    ended = true;
    release();
    call.emit("error", toGrpcError(error));
  };
  const write = (message: ManagerMessage) => {
    if (!ended) call.write(message);
  };

  const handle = async (message: WorkerMessage) => {
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
        },
        {
          assign: (tasks) => {
            for (const chunk of chunked(tasks.map(toAssignment))) {
              write({ assignments: { tasks: chunk } });
            }
          },
          cancel: (tasks) => write({ cancellations: { tasks } }),
          close: (reason) => fail(new UnavailableError(reason)),
        },
      );
      if (ended) {
        engine.disconnect(opened);
        return;
      }
      session = opened;
      write({ welcome: { managerId: engine.managerId } });
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
        const results = parseResults(message.results?.results ?? [], "/results/results");
        const acks = await engine.report(session.workerId, results);
        write({ acks: { acks: acks as ResultAckMessage[] } });
        return;
      }
      case "heartbeat":
        await engine.heartbeat(session, message.heartbeat?.taskIds ?? []);
        return;
      default:
        throw invalid(
          "Message sets no known field",
          "/kind",
          "Must be one of hello, credit, results, heartbeat",
        );
    }
  };

  call.on("data", (message: WorkerMessage) => {
    chain = chain.then(() => handle(message)).catch(fail);
  });
  call.on("end", () => {
    chain = chain.then(() => {
      if (ended) return;
      ended = true;
      release();
      call.end();
    });
  });
  call.on("cancelled", () => {
    ended = true;
    release();
  });
  call.on("error", () => {
    ended = true;
    release();
  });
  call.on("close", release);
}

/**
 * The `TaskExecutor` service implementation for `grpc.Server.addService`.
 *
 * @example
 * ```ts ignore
 * server.addService(loadProtocol().TaskExecutor.service, createWorkerService(engine));
 * ```
 */
export function createWorkerService(engine: Engine): grpc.UntypedServiceImplementation {
  const getNextTask: grpc.handleUnaryCall<
    { workerId: string; executors: string[]; maxTasks: number },
    { tasks: AssignmentMessage[] }
  > = (call, callback) => {
    const request = call.request;
    engine.claim(request.workerId, request.executors ?? [], Number(request.maxTasks ?? 0))
      .then((tasks) => callback(null, { tasks: tasks.map(toAssignment) }))
      .catch((error) => callback(toGrpcError(error)));
  };
  const updateTaskStatus: grpc.handleUnaryCall<
    { workerId: string; results: ResultMessage[] },
    { acks: ResultAckMessage[] }
  > = (call, callback) => {
    Promise.resolve()
      .then(() => {
        const request = call.request;
        if (typeof request.workerId !== "string" || request.workerId === "") {
          throw invalid("Worker id is required", "/workerId", "Is required");
        }
        return engine.report(request.workerId, parseResults(request.results ?? [], "/results"));
      })
      .then((acks) => callback(null, { acks }))
      .catch((error) => callback(toGrpcError(error)));
  };
  return {
    Work: (call: WorkCall) => serveWork(engine, call),
    GetNextTask: getNextTask,
    UpdateTaskStatus: updateTaskStatus,
  };
}
