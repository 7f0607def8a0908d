/**
 * The `taskexecutor.v1.TaskExecutorManagerService` gRPC service: each rpc is one call of the use-case
 * service, with messages converted by convert.ts and errors mapped by status.ts.
 */
import type * as grpc from "@grpc/grpc-js";
import {
  ENUM_PREFIX,
  type ExecutorConfigMessage,
  fromEnum,
  msFromTimestamp,
  type NewTaskMessage,
} from "@tasks-executor/proto";
import { ConflictError, type FieldViolation, InvalidArgumentError } from "../domain/errors.ts";
import type { WorkerDirectory } from "../engine/workers.ts";
import type { Service } from "../service/service.ts";
import {
  assertJsonFields,
  dlqEntryToMessage,
  executorConfigFromMessage,
  executorToMessage,
  jsonField,
  keyToMessage,
  newTaskFromMessage,
  statsToMessage,
  taskToMessage,
  workerToMessage,
} from "./convert.ts";
import type { Principal } from "../auth/scopes.ts";
import { callerOf } from "./auth.ts";
import { toGrpcError } from "./status.ts";
import { searchTasksRpc } from "./task_search.ts";

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;

/**
 * Runs an async handler for a unary call, with the caller the guard found (`callerOf`), and
 * answers with its value or its mapped status.
 */
export function unary(
  handler: (request: Message, caller: Principal) => Promise<unknown>,
): grpc.handleUnaryCall<Message, unknown> {
  return (call, callback) => {
    let pending: Promise<unknown>;
    try {
      pending = handler(call.request, callerOf(call));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (response) => callback(null, response),
      (error) => callback(toGrpcError(error)),
    );
  };
}

/**
 * Builds the implementation of `TaskExecutorManagerService` to pass to `grpc.Server.addService`.
 *
 * @example
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * import { loadProtocol } from "@tasks-executor/proto";
 * const server = new grpc.Server();
 * server.addService(
 *   loadProtocol().TaskExecutorManagerService.service,
 *   createManagerService({ service, workers }),
 * );
 * ```
 */
export function createManagerService(
  deps: { service: Service; workers: WorkerDirectory },
): grpc.UntypedServiceImplementation {
  const { service, workers } = deps;
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
    ListExecutors: unary(async (_req, caller) => ({
      executors: (await service.listExecutors({ caller })).map(executorToMessage),
    })),
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
    CreateTask: unary(async (req, caller) => {
      const violations: FieldViolation[] = [];
      const input = newTaskFromMessage(req.task as NewTaskMessage | null, "/task", {
        maxDepth,
        violations,
      });
      assertJsonFields(violations);
      const { task, created } = await service.createTask(input, { caller });
      if (!created) {
        // As REST answers 409: the caller learns its key was used, and which task it made.
        throw new ConflictError(
          `A task with idempotency key "${task.idempotencyKey}" exists already for executor "${task.executorName}"`,
          { task: taskToMessage(task) },
        );
      }
      return { task: taskToMessage(task) };
    }),
    CreateTasks: unary(async (req, caller) => {
      const violations: FieldViolation[] = [];
      const inputs = (req.tasks as NewTaskMessage[]).map((t, i) =>
        newTaskFromMessage(t, `/tasks/${i}`, { maxDepth, violations })
      );
      assertJsonFields(violations);
      const outcomes = await service.createTasks(inputs, { caller });
      return { tasks: outcomes.map((o) => taskToMessage(o.task)) };
    }),
    GetTask: unary(async (req, caller) => ({
      task: taskToMessage(await service.getTask(req.id, { caller })),
    })),
    ListTasks: unary(async (req, caller) => {
      const page = await service.listTasks(
        {
          executorName: req.executorName,
          status: (req.status as string[]).map((status) =>
            fromEnum(ENUM_PREFIX.taskStatus, status) ?? ""
          ),
          createdAfter: msFromTimestamp(req.createdAfter),
          createdBefore: msFromTimestamp(req.createdBefore),
        },
        { cursor: req.cursor, limit: req.limit },
        { caller },
      );
      return { tasks: page.items.map(taskToMessage), nextCursor: page.nextCursor ?? "" };
    }),
    SearchTasks: unary(searchTasksRpc(service)),
    UpdateTaskStatus: unary(async (req) => {
      const violations: FieldViolation[] = [];
      const result = jsonField(req.result, "/result", { maxDepth, violations });
      assertJsonFields(violations);
      const task = await service.updateTaskStatus(req.id, {
        status: fromEnum(ENUM_PREFIX.taskStatus, req.status) ?? "",
        result,
        error: req.error || undefined,
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
        for (let task; (task = await watch.next(cancelled.signal));) {
          call.write({ task: taskToMessage(task) });
        }
        if (!cancelled.signal.aborted) call.end();
      })().catch((error) => call.emit("error", toGrpcError(error)));
    },

    // Dead letter queue ----------------------------------------------------------------------
    ListDlq: unary(async (req) => {
      const page = await service.listDlq(
        { executorName: req.executorName, reason: fromEnum(ENUM_PREFIX.dlqReason, req.reason) },
        { cursor: req.cursor, limit: req.limit },
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
    PurgeDlq: unary(async (req) => {
      const filter = {
        executorName: req.executorName,
        reason: fromEnum(ENUM_PREFIX.dlqReason, req.reason),
        deadBefore: msFromTimestamp(req.deadBefore),
      };
      // proto3 sends every field, so an empty request would purge everything: REST asks for
      // `confirm=true` then, and so does this.
      if (
        !req.executorName && !filter.reason && filter.deadBefore === undefined &&
        req.confirm !== true
      ) {
        const message =
          "Must be true to purge the whole dead letter queue (or filter by executor_name, reason or dead_before)";
        throw new InvalidArgumentError(`Invalid field confirm: ${message}`, [
          { field: "confirm", message },
        ]);
      }
      return { deleted: await service.purgeDlq(filter) };
    }),
    RequeueDlq: unary((req) =>
      service.requeueDlqMany({
        executorName: req.executorName,
        reason: fromEnum(ENUM_PREFIX.dlqReason, req.reason),
        deadBefore: msFromTimestamp(req.deadBefore),
      })
    ),

    // Stats and workers ----------------------------------------------------------------------
    GetStats: unary(async (req) => {
      const all = await service.taskStats();
      const connected = workers.list();
      const now = service.now();
      const stats = req.executorName ? all.filter((s) => s.executorName === req.executorName) : all;
      return { executors: stats.map((s) => statsToMessage(s, { now, workers: connected })) };
    }),
    ListWorkers: unary(() =>
      Promise.resolve({
        workers: [...workers.list(), ...workers.gone?.() ?? []].map(workerToMessage),
      })
    ),

    // API keys -------------------------------------------------------------------------------
    CreateKey: unary(async (req) => {
      // proto3 cannot send "no list": no executors means every executor, as in REST.
      const executors = (req.executors ?? []).length > 0 ? req.executors : undefined;
      const created = await service.keys.create({
        name: req.name,
        scopes: (req.scopes as string[]).map((scope) => fromEnum(ENUM_PREFIX.scope, scope) ?? ""),
        executors,
      });
      return { key: keyToMessage(created.key), token: created.token };
    }),
    ListKeys: unary(async () => ({ keys: (await service.keys.list()).map(keyToMessage) })),
    RevokeKey: unary(async (req) => ({ key: keyToMessage(await service.keys.revoke(req.id)) })),
  };
}
