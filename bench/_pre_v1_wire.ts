/**
 * The wire format before `taskexecutor.v1` (commit `f5bb364`), for `create_tasks_codec.ts`: its
 * `.proto`, read from git at run time and loaded as grpc-js loads ours, and its conversions as they
 * were then — task data and results as JSON text (`*_json` strings), times as int64 epoch ms, the
 * `CreateTasks` answer echoing every task whole. The checks both formats share (`checkJsonValue`)
 * are today's, so that only the format differs.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import { LOADER_OPTIONS } from "@tasks-executor/proto";
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import type { Task } from "../server/domain/task.ts";
import type { NewTask } from "../sdk/task.ts";

/** The last commit before the move to `taskexecutor.v1`, and where its `.proto` lived. */
export const PRE_V1_COMMIT = "f5bb364";
const PRE_V1_PROTO = "proto/task_executor.proto";

/** The pre-v1 methods the benchmark times: the management `CreateTasks` and the worker `Work`. */
export interface PreV1Methods {
  createTasks: grpc.MethodDefinition<unknown, unknown>;
  work: grpc.MethodDefinition<unknown, unknown>;
}

/**
 * Loads the pre-v1 `.proto` from the repository's history (`git show`), with the loader options
 * the manager and the SDK use today.
 *
 * @throws {Error} when git cannot show the file (not a clone with that commit)
 */
export async function loadPreV1Methods(cwd: URL): Promise<PreV1Methods> {
  const out = await new Deno.Command("git", {
    args: ["show", `${PRE_V1_COMMIT}:${PRE_V1_PROTO}`],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `git show ${PRE_V1_COMMIT}:${PRE_V1_PROTO} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  const root = new protobuf.Root();
  protobuf.parse(new TextDecoder().decode(out.stdout), root, { keepCase: false });
  root.resolveAll();
  const loaded = grpc.loadPackageDefinition(protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS));
  const pkg = loaded.taskexecutor as grpc.GrpcObject;
  const manager = pkg.TaskExecutorManager as grpc.ServiceClientConstructor;
  const worker = pkg.TaskExecutor as grpc.ServiceClientConstructor;
  return { createTasks: manager.service.CreateTasks, work: worker.service.Work };
}

type Obj = Record<string, unknown>;

/**
 * SDK, pre-v1: the `NewTask` messages of a create (data checked, then as JSON text) and the
 * request size as it was estimated then (each message written out as JSON and counted).
 */
export function preV1CreateMessages(
  tasks: NewTask[],
  limits: { jsonDepth: number; taskDataBytes: number; requestBytes: number },
): Obj[] {
  const violations: { field: string; message: string }[] = [];
  tasks.forEach((task, i) =>
    checkJsonValue(task.data ?? null, {
      pointer: `/tasks/${i}/data`,
      maxDepth: limits.jsonDepth,
      maxBytes: limits.taskDataBytes,
    }, violations)
  );
  const messages = tasks.map((task) => ({
    executorName: task.executorName,
    dataJson: JSON.stringify(task.data ?? null),
    metadata: task.metadata ?? {},
    priority: task.priority ?? 0,
    runAt: task.runAt === undefined ? 0 : Number(task.runAt), // a `Date` or epoch ms
    idempotencyKey: task.idempotencyKey ?? "",
  }));
  const bytes = messages.reduce(
    (sum, message) => sum + Buffer.byteLength(JSON.stringify(message), "utf8"),
    0,
  );
  if (violations.length > 0 || bytes > limits.requestBytes) throw new Error("Refused request");
  return messages;
}

/** Manager, pre-v1: a received `NewTask` as service input (its `data_json` parsed). */
export function preV1NewTaskFromMessage(message: Obj): Obj {
  const input: Obj = { executorName: message.executorName };
  if (message.dataJson) input.data = JSON.parse(message.dataJson as string);
  const metadata = message.metadata as Record<string, string>;
  if (Object.keys(metadata).length > 0) input.metadata = metadata;
  if (message.priority) input.priority = message.priority;
  if (message.runAt) input.runAt = message.runAt;
  if (message.idempotencyKey) input.idempotencyKey = message.idempotencyKey;
  return input;
}

/** Manager, pre-v1: a created task as the answer carried it, whole (data and result as JSON). */
export function preV1TaskToMessage(task: Task): Obj {
  return {
    id: task.id,
    executorName: task.executorName,
    dataJson: JSON.stringify(task.data ?? null),
    metadata: task.metadata,
    status: task.status,
    priority: task.priority,
    runAt: task.runAt,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    errors: task.errors.map((e) => ({
      attempt: e.attempt,
      message: e.message,
      at: e.at,
      workerId: e.workerId,
    })),
    errorsDropped: task.errorsDropped,
    resultJson: JSON.stringify(task.result ?? null),
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt ?? 0,
    completedAt: task.completedAt ?? 0,
    idempotencyKey: task.idempotencyKey ?? "",
    workerId: task.workerId ?? "",
  };
}

const dateOf = (ms: unknown): Date | null => (Number(ms) ? new Date(Number(ms)) : null);
const jsonOf = (text: unknown): unknown => (text ? JSON.parse(text as string) : null);

/** SDK, pre-v1: a received task as plain values and `Date`s (data and result parsed). */
export function preV1TaskFromMessage(message: Obj): Obj {
  return {
    id: message.id,
    executorName: message.executorName,
    data: jsonOf(message.dataJson),
    metadata: { ...(message.metadata as Obj) },
    status: message.status,
    priority: message.priority,
    runAt: dateOf(message.runAt),
    attempt: message.attempt,
    maxAttempts: message.maxAttempts,
    errors: (message.errors as Obj[]).map((e) => ({
      attempt: e.attempt,
      message: e.message,
      at: new Date(Number(e.at)),
      workerId: e.workerId,
    })),
    errorsDropped: message.errorsDropped,
    result: jsonOf(message.resultJson),
    createdAt: new Date(Number(message.createdAt)),
    updatedAt: new Date(Number(message.updatedAt)),
    startedAt: dateOf(message.startedAt),
    completedAt: dateOf(message.completedAt),
    idempotencyKey: message.idempotencyKey || null,
    workerId: message.workerId || null,
  };
}
