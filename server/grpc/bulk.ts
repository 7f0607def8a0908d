/**
 * The bulk rpcs of `TaskExecutorManagerService` (delete, cancel and retry tasks by filter; purge
 * and requeue the DLQ by filter): each is one call of the bulk service, which holds every rule,
 * `confirm` for a call without a filter included — the same calls REST makes. A call that
 * stopped part way answers what it did with `stopped` (a `BulkStop`: the status it would have
 * failed with).
 */
import type * as grpc from "@grpc/grpc-js";
import { ENUM_PREFIX, fromEnum } from "@tasks-executor/proto";
import { enumListField, timestampField } from "./convert.ts";
import { BulkService } from "../service/bulk.ts";
import type { Service } from "../service/service.ts";
import { toGrpcError } from "./status.ts";
import { unary } from "./unary.ts";

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;

/** A `DeleteTasksRequest` (and its siblings) as the filter the bulk service reads. */
function taskFilterOf(req: Message): Record<string, unknown> {
  return {
    executorName: req.executorName,
    status: enumListField(ENUM_PREFIX.taskStatus, req.status, "/status", "Invalid task filter")
      .join(","),
    createdAfter: timestampField(req.createdAfter, "/createdAfter"),
    createdBefore: timestampField(req.createdBefore, "/createdBefore"),
    finishedAfter: timestampField(req.finishedAfter, "/finishedAfter"),
    finishedBefore: timestampField(req.finishedBefore, "/finishedBefore"),
    cursor: req.cursor,
    confirm: req.confirm === true,
  };
}

/** A `PurgeDlqRequest` or `RequeueDlqRequest` as the bulk service's DLQ filter. */
function dlqFilterOf(req: Message): Record<string, unknown> {
  return {
    executorName: req.executorName,
    reason: fromEnum(ENUM_PREFIX.dlqReason, req.reason),
    deadBefore: timestampField(req.deadBefore, "/deadBefore"),
    confirm: req.confirm === true,
  };
}

/** The `stopped` field of an answer: a `BulkStop` of the error, when there was one. */
function stopOf(stopped: Error | undefined): { stopped?: { code: number; message: string } } {
  if (!stopped) return {};
  const status = toGrpcError(stopped);
  return { stopped: { code: status.code, message: status.details } };
}

/** The bulk rpcs, to spread into the `TaskExecutorManagerService` implementation. */
export function bulkMethods(service: Service): grpc.UntypedServiceImplementation {
  const bulk = new BulkService(service);
  return {
    DeleteTasks: unary(async (req, caller) => {
      const outcome = await bulk.deleteTasks(taskFilterOf(req), { caller });
      return {
        deleted: outcome.count,
        nextCursor: outcome.nextCursor ?? "",
        ...stopOf(outcome.stopped),
      };
    }),
    CancelTasks: unary(async (req, caller) => {
      const outcome = await bulk.cancelTasks(taskFilterOf(req), { caller });
      return {
        cancelled: outcome.count,
        nextCursor: outcome.nextCursor ?? "",
        ...stopOf(outcome.stopped),
      };
    }),
    RetryTasks: unary(async (req, caller) => {
      const outcome = await bulk.retryTasks(taskFilterOf(req), { caller });
      return {
        retried: outcome.count,
        invalid: outcome.invalid,
        nextCursor: outcome.nextCursor ?? "",
        ...stopOf(outcome.stopped),
      };
    }),
    PurgeDlq: unary(async (req) => {
      const { deleted, stopped } = await bulk.purgeDlq(dlqFilterOf(req));
      return { deleted, ...stopOf(stopped) };
    }),
    RequeueDlq: unary(async (req) => {
      const outcome = await bulk.requeueDlq(dlqFilterOf(req), { cursor: req.cursor });
      return {
        requeued: outcome.requeued,
        failed: outcome.failed,
        nextCursor: outcome.nextCursor ?? "",
        ...stopOf(outcome.stopped),
      };
    }),
  };
}
