/**
 * The `taskexecutor.v1.TaskExecutorManagerService` gRPC service: each rpc is one call of the use-case
 * service, with messages converted by convert.ts and errors mapped by status.ts.
 */
import * as grpc from "@grpc/grpc-js";
import {
  ENUM_PREFIX,
  type ExecutorConfigMessage,
  fromEnum,
  type NewTaskMessage,
} from "@tasks-executor/proto";
import type { FieldViolation } from "../domain/errors.ts";
import { ENDED_STATUSES } from "../domain/task.ts";
import { servedBy, type WorkerDirectory } from "../engine/workers.ts";
import type { Service } from "../service/service.ts";
import { workersPage } from "../service/workers.ts";
import {
  assertJsonFields,
  createdTaskToBasicMessage,
  dlqEntryToMessage,
  enumListField,
  executorConfigFromMessage,
  executorToMessage,
  jsonField,
  keyToMessage,
  newTaskFromMessage,
  oneNewTaskFromMessage,
  statsToMessage,
  taskToMessage,
  taskViewOf,
  timestampField,
  workerToMessage,
} from "./convert.ts";
import { callerOf } from "./auth.ts";
import { toGrpcError } from "./status.ts";
import { readTraceContext, type TraceContext } from "@tasks-executor/proto/tracing";
import { bulkMethods } from "./bulk.ts";
import { historyMethods } from "./history.ts";
import { scheduleMethods } from "./schedules.ts";
import { sendWindowOpen } from "./send_window.ts";
import { unary } from "./unary.ts";

/** The producer's W3C trace context from call metadata (malformed = none, as W3C asks). */
function traceOf(metadata: grpc.Metadata): TraceContext | null {
  return readTraceContext(metadata.get("traceparent")[0], metadata.get("tracestate").join(","));
}
import { searchTasksRpc } from "./task_search.ts";
import { serveProduce } from "./produce.ts";

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;

/**
 * Builds the implementation of `TaskExecutorManagerService` to pass to `grpc.Server.addService`,
 * with the service's definition as `withValueBytes` makes it: its answers carry task data,
 * results and schemas as encoded `Value`s (`valueBytesOf`), which the plain definition would not
 * encode.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { loadProtocol, withValueBytes } from "@tasks-executor/proto";
 * const server = new grpc.Server();
 * server.addService(
 *   withValueBytes(loadProtocol().TaskExecutorManagerService.service),
 *   createManagerService({ service, workers }),
 * );
 * ```
 */
export function createManagerService(
  deps: {
    service: Service;
    workers: WorkerDirectory;
    /** Aborted when the server begins to stop: `Produce` streams end once answered. */
    draining?: AbortSignal;
  },
): grpc.UntypedServiceImplementation {
  const { service, workers, draining } = deps;
  // How deep a JSON value is read from the wire; the service checks the same limit again.
  const maxDepth = service.limits.jsonDepth;
  return {
    // Executors ------------------------------------------------------------------------------
    CreateExecutor: unary(async (req, caller) => {
      const input = executorConfigFromMessage(req.config as ExecutorConfigMessage | null, {
        maxDepth,
      });
      return { executor: executorToMessage(await service.createExecutor(input, { caller })) };
    }),
    GetExecutor: unary(async (req, caller) => ({
      executor: executorToMessage(await service.getExecutor(req.id, { caller })),
    })),
    ListExecutors: unary(async (req, caller, _metadata, signal) => {
      const page = await service.listExecutors(
        { cursor: req.cursor, limit: req.limit },
        { caller, signal },
      );
      return { executors: page.items.map(executorToMessage), nextCursor: page.nextCursor ?? "" };
    }),
    UpdateExecutor: unary(async (req, caller) => {
      const input = executorConfigFromMessage(req.config as ExecutorConfigMessage | null, {
        maxDepth,
      });
      return {
        executor: executorToMessage(await service.updateExecutor(req.id, input, { caller })),
      };
    }),
    DeleteExecutor: unary(async (req) => {
      await service.deleteExecutor(req.id, { force: req.force === true });
      return { deleted: true };
    }),

    // Tasks ----------------------------------------------------------------------------------
    CreateTask: unary(async (req, caller, metadata, signal) => {
      const input = oneNewTaskFromMessage(req.task as NewTaskMessage | null, maxDepth);
      const { task } = await service.createTask(input, {
        caller,
        trace: traceOf(metadata),
        signal,
      });
      return { task: taskToMessage(task) };
    }),
    CreateTasks: unary(async (req, caller, metadata, signal) => {
      const violations: FieldViolation[] = [];
      const inputs = (req.tasks as NewTaskMessage[]).map((t, i) =>
        newTaskFromMessage(t, `/tasks/${i}`, { maxDepth, violations })
      );
      assertJsonFields(violations);
      const basic = taskViewOf(req.view) === "basic";
      const outcomes = await service.createTasks(inputs, {
        caller,
        trace: traceOf(metadata),
        answer: basic ? "basic" : "full",
        signal,
      });
      return {
        tasks: outcomes.map((o) =>
          basic && o.created ? createdTaskToBasicMessage(o.task) : taskToMessage(o.task)
        ),
        created: outcomes.map((o) => o.created),
      };
    }),
    GetTask: unary(async (req, caller) => ({
      task: taskToMessage(await service.getTask(req.id, { caller })),
    })),
    ListTasks: unary(async (req, caller, _metadata, signal) => {
      const page = await service.listTasks(
        {
          executorName: req.executorName,
          status: enumListField(
            ENUM_PREFIX.taskStatus,
            req.status,
            "/status",
            "Invalid task filter",
          ),
          createdAfter: timestampField(req.createdAfter, "/createdAfter"),
          createdBefore: timestampField(req.createdBefore, "/createdBefore"),
          finishedAfter: timestampField(req.finishedAfter, "/finishedAfter"),
          finishedBefore: timestampField(req.finishedBefore, "/finishedBefore"),
        },
        { cursor: req.cursor, limit: req.limit },
        { caller, signal },
      );
      return { tasks: page.items.map(taskToMessage), nextCursor: page.nextCursor ?? "" };
    }),
    SearchTasks: unary(searchTasksRpc(service)),
    UpdateTaskStatus: unary(async (req) => {
      const violations: FieldViolation[] = [];
      const result = jsonField(req.result, "/result", { maxDepth, violations });
      assertJsonFields(violations);
      const from = enumListField(
        ENUM_PREFIX.taskStatus,
        req.from,
        "/from",
        "Cannot update task status",
      );
      const task = await service.updateTaskStatus(req.id, {
        // Unset (TASK_STATUS_UNSPECIFIED) is no status: "/status: Is required", as over REST.
        status: fromEnum(ENUM_PREFIX.taskStatus, req.status),
        result,
        error: req.error || undefined,
        // Empty = no precondition (proto3 cannot tell an empty list from none).
        from: from.length > 0 ? from : undefined,
      });
      return { task: taskToMessage(task) };
    }),
    CancelTask: unary(async (req) => ({ task: taskToMessage(await service.cancelTask(req.id)) })),
    WatchTasks: (call: grpc.ServerWritableStream<Message, unknown>) => {
      // Ends when every task was sent, the client cancels, or the manager stops (UNAVAILABLE).
      const cancelled = new AbortController();
      call.once("cancelled", () => cancelled.abort());
      (async () => {
        using watch = await service.watch.open(call.request.taskIds ?? [], {
          caller: callerOf(call),
        });
        // Headers once the wait is open: the client knows then that it reached the manager (the
        // SDKs watch again after losing a manager they reached, not one never reached).
        call.sendMetadata(new grpc.Metadata());
        // Each task is read as it is handed over: paced by the client, the wait holds ids.
        while (true) {
          await sendWindowOpen(call, cancelled.signal);
          const task = await watch.next(cancelled.signal);
          if (!task) break;
          call.write({ task: taskToMessage(task) });
        }
        if (!cancelled.signal.aborted) call.end();
      })().catch((error) => call.emit("error", toGrpcError(error)));
    },
    CreateAndWatchTask: (call: grpc.ServerWritableStream<Message, unknown>) => {
      // The created task, then the final one; ends early when the client cancels (or its
      // deadline passes), with UNAVAILABLE when the manager stops.
      const cancelled = new AbortController();
      call.once("cancelled", () => cancelled.abort());
      (async () => {
        const input = oneNewTaskFromMessage(call.request.task as NewTaskMessage | null, maxDepth);
        const { created, watch } = await service.createTaskAndWatch(input, {
          caller: callerOf(call),
          trace: traceOf(call.metadata),
        });
        using _watch = watch;
        call.write({ task: taskToMessage(created.task) });
        if (!ENDED_STATUSES.includes(created.task.status)) {
          const task = await watch.next(cancelled.signal);
          if (task) call.write({ task: taskToMessage(task) });
        }
        if (!cancelled.signal.aborted) call.end();
      })().catch((error) => call.emit("error", toGrpcError(error)));
    },

    Produce: (call: Parameters<typeof serveProduce>[1]) => serveProduce(service, call, draining),

    // Dead letter queue ----------------------------------------------------------------------
    ListDlq: unary(async (req, caller, _metadata, signal) => {
      const page = await service.listDlq(
        { executorName: req.executorName, reason: fromEnum(ENUM_PREFIX.dlqReason, req.reason) },
        { cursor: req.cursor, limit: req.limit },
        { caller, signal },
      );
      return { entries: page.items.map(dlqEntryToMessage), nextCursor: page.nextCursor ?? "" };
    }),
    GetDlqEntry: unary(async (req) => ({
      entry: dlqEntryToMessage(await service.getDlqEntry(req.id)),
    })),
    RequeueDlqEntry: unary(async (req) => {
      // Unset `data` keeps the task's data; a value (null included) replaces it.
      const violations: FieldViolation[] = [];
      const data = jsonField(req.data, "/data", { maxDepth, violations });
      assertJsonFields(violations);
      const task = await service.requeueDlq(req.id, data === undefined ? {} : { data });
      return { task: taskToMessage(task) };
    }),
    DeleteDlqEntry: unary(async (req) => {
      await service.deleteDlqEntry(req.id);
      return { deleted: true };
    }),
    ...bulkMethods(service),

    // Stats and workers ----------------------------------------------------------------------
    GetStats: unary(async (req) => {
      const stats = await service.taskStats({ executorName: req.executorName });
      const now = service.now();
      const served = await servedBy(workers, now);
      return { executors: stats.map((s) => statsToMessage(s, { now, served })) };
    }),
    ListWorkers: unary(async (req) => {
      const page = await workersPage(workers, { cursor: req.cursor, limit: req.limit }, {
        maxBytes: service.limits.pageBytes,
      });
      return { workers: page.items.map(workerToMessage), nextCursor: page.nextCursor ?? "" };
    }),

    // API keys -------------------------------------------------------------------------------
    CreateKey: unary(async (req) => {
      // proto3 cannot send "no list": no executors means every executor, as in REST.
      const executors = (req.executors ?? []).length > 0 ? req.executors : undefined;
      const created = await service.keys.create({
        name: req.name,
        scopes: enumListField(ENUM_PREFIX.scope, req.scopes, "/scopes", "Invalid key"),
        executors,
      });
      return { key: keyToMessage(created.key), token: created.token };
    }),
    ListKeys: unary(async (req, caller, _metadata, signal) => {
      const page = await service.keys.list({ cursor: req.cursor, limit: req.limit }, {
        caller,
        signal,
      });
      return { keys: page.items.map(keyToMessage), nextCursor: page.nextCursor ?? "" };
    }),
    RevokeKey: unary(async (req) => ({ key: keyToMessage(await service.keys.revoke(req.id)) })),

    ...scheduleMethods(service),
    ...historyMethods(service),
  };
}
