/**
 * Tasks ↔ the messages of the management API, for `Client`: the `NewTask`s of a create request,
 * checked before anything is sent, and a received `Task` as plain JS values and `Date`s.
 */
import {
  encodeMessage,
  ENUM_PREFIX,
  fromEnum,
  jsonOfValue,
  type NewTaskMessage,
  type TaskMessage,
  valueBytesOf,
} from "@tasks-executor/proto";
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import { stringProblem } from "./_args.ts";
import { checkFields, type FieldSpec } from "./_fields.ts";
import { describeViolations } from "./schema.ts";
import { requiredDate, toDate, toTimestamp } from "./_grpc.ts";
import { type FieldViolation, InvalidArgumentError } from "./errors.ts";
import type { ClientLimits, NewTask, Task } from "./task.ts";
import type { TaskStatus } from "./types.ts";

/** The limits a `Client` checks with, each set (`ClientLimits` with the defaults filled in). */
export type ClientLimitValues = { [K in keyof ClientLimits]-?: number };

/**
 * The encoded request that creates `tasks`: a `CreateTaskRequest` for `"one"` (its fields named
 * `/task/…`), else a `CreateTasksRequest` asking for the `TASK_VIEW_BASIC` answer (`/tasks/<i>/…`).
 * Refuses before anything is sent what the manager would refuse: data it would not keep exactly
 * (`checkJsonValue`: a non-finite number or one beyond ±(2^53 − 1), a lone surrogate, nesting
 * deeper than `jsonDepth`, no JSON at all), data over `taskDataBytes`, or a request over
 * `requestBytes`. The request is encoded once: the size checked is that of the bytes sent.
 *
 * @throws {InvalidArgumentError} naming every bad field by JSON pointer
 */
export function encodeCreateRequest(
  tasks: NewTask[],
  limits: ClientLimitValues,
  shape: "one" | "many",
): Uint8Array {
  const pointer = (i: number) => shape === "one" ? "/task" : `/tasks/${i}`;
  const violations: FieldViolation[] = [];
  tasks.forEach((task, i) => {
    if (!checkFields(task, NEW_TASK_FIELDS, pointer(i), violations)) return;
    // Required, as every name a call takes: `null` is "Is required" (as left out), not a type.
    const problem = stringProblem(task.executorName);
    if (problem !== null) {
      violations.push({ field: `${pointer(i)}/executorName`, message: problem });
    }
    checkJsonValue(task.data ?? null, {
      pointer: `${pointer(i)}/data`,
      maxDepth: limits.jsonDepth,
      maxBytes: limits.taskDataBytes,
    }, violations);
  });
  if (violations.length > 0) throw invalid(violations);
  const messages = tasks.map((task, i) => newTaskToMessage(task, pointer(i)));
  const request = shape === "one"
    ? encodeMessage("taskexecutor.v1.CreateTaskRequest", { task: messages[0] }, VALUE_BYTES)
    : encodeMessage("taskexecutor.v1.CreateTasksRequest", {
      tasks: messages,
      view: "TASK_VIEW_BASIC",
    }, VALUE_BYTES);
  if (request.length <= limits.requestBytes) return request;
  throw invalid([{
    field: messages.length === 1 ? pointer(0) : "/tasks",
    message:
      `Must take at most ${limits.requestBytes} bytes in all, not ${request.length} (send fewer or smaller tasks at once)`,
  }]);
}

/**
 * The fields of a `NewTask` (`createTask`'s options among them): what the manager reads as not
 * given (`null` too) is sent as its default, anything else of the wrong type is refused, as are
 * fields a task does not have (a misspelt `priorty`). `data` is checked apart (`checkJsonValue`),
 * `runAt` by `toTimestamp`, `executorName` by `stringProblem`.
 */
const NEW_TASK_FIELDS: FieldSpec = {
  executorName: "any",
  data: "any",
  metadata: "strings?null",
  priority: "int32?null",
  runAt: "any",
  idempotencyKey: "string?null",
  groupKey: "string?null",
};

/** Requests are encoded as the client's definitions encode them (`withValueBytes`). */
const VALUE_BYTES = { valueBytes: true };

function invalid(violations: FieldViolation[]): InvalidArgumentError {
  return new InvalidArgumentError(
    `Cannot create task: ${describeViolations(violations)}`,
    3, // INVALID_ARGUMENT, as the manager would answer
    violations,
  );
}

/**
 * A task as its message; its data passed `checkJsonValue`, so it is JSON as it stands.
 *
 * @throws {RangeError} naming `<pointer>/runAt` when it is no time the SDK sends (`toTimestamp`)
 */
function newTaskToMessage(task: NewTask, pointer: string): NewTaskMessage {
  return {
    executorName: task.executorName,
    data: valueBytesOf(task.data ?? null),
    metadata: task.metadata ?? {},
    priority: task.priority ?? 0,
    // The pointer is only made for a time given.
    runAt: task.runAt === undefined || task.runAt === null
      ? null
      : toTimestamp(task.runAt, `${pointer}/runAt`),
    idempotencyKey: task.idempotencyKey ?? "",
    groupKey: task.groupKey ?? "",
  };
}

/**
 * A task of a `TASK_VIEW_BASIC` answer as a `Task`: one this request created (no `data` on the
 * wire) takes `data` and `metadata` from `sent`, the task that created it (`data` the same value,
 * `undefined` as `null`); one an idempotency key had made before came whole.
 */
export function createdTaskFromMessage(message: TaskMessage, sent: NewTask): Task {
  const task = taskFromMessage(message);
  if (message.data !== null && message.data !== undefined) return task;
  return { ...task, data: sent.data ?? null, metadata: { ...sent.metadata } };
}

/** A task message as a `Task` with parsed JSON and `Date`s. */
export function taskFromMessage(message: TaskMessage): Task {
  return {
    id: message.id,
    executorName: message.executorName,
    data: jsonOfValue(message.data),
    metadata: { ...message.metadata },
    status: fromEnum(ENUM_PREFIX.taskStatus, message.status) as TaskStatus,
    priority: message.priority,
    runAt: toDate(message.runAt),
    attempt: message.attempt,
    maxAttempts: message.maxAttempts,
    run: message.run ?? 0,
    progress: jsonOfValue(message.progress),
    logs: [...(message.logs ?? [])],
    leaseExpiresAt: toDate(message.leaseExpiresAt),
    errors: (message.errors ?? []).map((e) => ({
      attempt: e.attempt,
      message: e.message,
      at: requiredDate(e.at),
      workerId: e.workerId,
      run: e.run || null,
      stack: e.stack || null,
      logs: [...(e.logs ?? [])],
    })),
    errorsDropped: message.errorsDropped ?? 0,
    result: jsonOfValue(message.result),
    createdAt: requiredDate(message.createdAt),
    updatedAt: requiredDate(message.updatedAt),
    startedAt: toDate(message.startedAt),
    completedAt: toDate(message.completedAt),
    idempotencyKey: message.idempotencyKey || null,
    groupKey: message.groupKey || null,
    workerId: message.workerId || null,
  };
}
