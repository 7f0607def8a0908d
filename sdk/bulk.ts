/**
 * The filters and answers of the bulk calls of `Client` (`deleteTasks`, `cancelTasks`,
 * `retryTasks`, `purgeDlq`, `requeueDlq`) and their wire messages; `listTasks` sends the fields of
 * its filter as the bulk task calls do.
 */
import { ENUM_PREFIX } from "@tasks-executor/proto";
import { checkOptions, type FieldSpec } from "./_fields.ts";
import { enumField, toTimestamp } from "./_grpc.ts";
import type { ProtoEnumName, TaskStatusName } from "./types.ts";

/**
 * Which tasks a bulk call touches; fields combine with AND. A call that sets none of
 * `executorName` and the four times is refused (`InvalidArgumentError` naming `/confirm`)
 * unless `confirm` is true.
 */
export interface BulkTaskFilter {
  /** Only this executor's tasks. */
  executorName?: string;
  /**
   * Only these statuses, within those the call may touch (default, or `null`: all of those); the
   * proto's name (`TASK_STATUS_FAILED`) is taken too.
   */
  status?: TaskStatusName | TaskStatusName[] | null;
  /** Created at or after this time. */
  createdAfter?: Date | number;
  /** Created before this time. */
  createdBefore?: Date | number;
  /** Finished at or after this time. */
  finishedAfter?: Date | number;
  /** Finished before this time. */
  finishedBefore?: Date | number;
  /** `nextCursor` of the previous call (`null` or left out: from the start). */
  cursor?: string | null;
  /** Must be true when no other filter field is set. */
  confirm?: boolean | null;
}

/** Why a task was dead-lettered. */
export type DlqReason = "max_attempts" | "non_retryable" | "timeout" | "lease_lost" | "validation";

/**
 * Which dead letter queue entries `purgeDlq` and `requeueDlq` touch; with none of
 * `executorName`, `reason`, `deadBefore` set, `confirm` must be true.
 */
export interface DlqFilter {
  /** Only this executor's entries. */
  executorName?: string;
  /** Only entries dead for this reason (or the proto's name, `DLQ_REASON_TIMEOUT`). */
  reason?: ProtoEnumName<"DLQ_REASON_", DlqReason>;
  /** Only entries dead before this time. */
  deadBefore?: Date | number;
  /** Must be true when no other filter field is set. */
  confirm?: boolean | null;
  /** `nextCursor` of the previous `requeueDlq` call (`null` or left out: from the start). */
  cursor?: string | null;
}

/**
 * Why a bulk call stopped part way: the gRPC status it would have failed with had it done nothing
 * (`UNAVAILABLE`, 14, when a task's data could not be validated in time or the store failed).
 */
export interface BulkStop {
  /** The gRPC status code. */
  code: number;
  message: string;
}

/**
 * What one bulk call did. One call handles at most the manager's `BULK_MAX_TASKS` (1,000)
 * matching tasks; call again with `cursor: nextCursor` until it is `null`. A call that fails
 * did nothing; one that stopped after doing part of its work answers it with `stopped`.
 */
export interface BulkOutcome {
  /** Tasks deleted, cancelled, run again or requeued. */
  count: number;
  /** Matching tasks left as they are: their data no longer fits the schema (retry, requeue). */
  invalid: number;
  /**
   * Pass as `cursor` to go on; `null` once every matching task was looked at. With `stopped`: the
   * cursor the call was given (`null`: none), to make the same call again.
   */
  nextCursor: string | null;
  /**
   * Set when the call stopped after `count` tasks (delete, cancel, retry, requeue: they stay done, the rest
   * is untouched); `null` when it looked at every task it listed.
   */
  stopped: BulkStop | null;
}

/** `BulkOutcome.stopped` of a response's `stopped` (unset: `null`). */
export function stopOf(stopped: BulkStop | null | undefined): BulkStop | null {
  return stopped ? { code: stopped.code, message: stopped.message } : null;
}

/**
 * The fields of a task filter with their kinds (`checkFields`); statuses and times are checked
 * apart (`enumField`, `toTimestamp`).
 */
export const TASK_FILTER_FIELDS: FieldSpec = {
  executorName: "string?null",
  status: "any",
  createdAfter: "any",
  createdBefore: "any",
  finishedAfter: "any",
  finishedBefore: "any",
  cursor: "string?null",
};

/**
 * The request fields of which tasks a filter names, as the bulk task calls and `listTasks` send
 * them: unset fields as the proto's defaults, statuses as enum names, times as `Timestamp`s.
 *
 * @throws {RangeError} naming a time the SDK will not send (`toTimestamp`)
 * @throws {InvalidArgumentError} naming a status the protocol does not have (`enumField`)
 */
export function taskFilterFields(filter: Omit<BulkTaskFilter, "confirm">): Record<string, unknown> {
  // Each one named: one the manager does not know, sent as TASK_STATUS_UNSPECIFIED, would widen
  // the call to every status. A single name is sent as the list's first entry, and named so
  // (`/status/0`), as the manager names that place.
  const names = filter.status === undefined || filter.status === null
    ? []
    : Array.isArray(filter.status)
    ? filter.status
    : [filter.status];
  const status = names.map((name, i) =>
    enumField(ENUM_PREFIX.taskStatus, name, `/status/${i}`, { required: true })
  );
  return {
    executorName: filter.executorName ?? "",
    status,
    createdAfter: toTimestamp(filter.createdAfter, "/createdAfter"),
    createdBefore: toTimestamp(filter.createdBefore, "/createdBefore"),
    finishedAfter: toTimestamp(filter.finishedAfter, "/finishedAfter"),
    finishedBefore: toTimestamp(filter.finishedBefore, "/finishedBefore"),
    cursor: filter.cursor ?? "",
  };
}

/** The fields of a DLQ filter with their kinds; the reason and the time are checked apart. */
const DLQ_FILTER_FIELDS: FieldSpec = {
  executorName: "string?null",
  reason: "any",
  deadBefore: "any",
  confirm: "boolean?null",
  cursor: "string?null",
};

/** The fields of the filter of a bulk task call: a task filter and `confirm`. */
const BULK_FILTER_FIELDS: FieldSpec = { ...TASK_FILTER_FIELDS, confirm: "boolean?null" };

/** The request message of `DeleteTasks`, `CancelTasks` or `RetryTasks`. */
export function bulkTaskRequest(filter: BulkTaskFilter): Record<string, unknown> {
  checkOptions(filter, BULK_FILTER_FIELDS, "Invalid task filter");
  return { ...taskFilterFields(filter), confirm: filter.confirm === true };
}

/**
 * The request message of `PurgeDlq` or `RequeueDlq`.
 *
 * @throws {InvalidArgumentError} naming a `reason` the protocol does not have (`enumField`)
 */
export function dlqRequest(filter: DlqFilter): Record<string, unknown> {
  checkOptions(filter, DLQ_FILTER_FIELDS, "Invalid DLQ filter");
  return {
    executorName: filter.executorName ?? "",
    reason: enumField(ENUM_PREFIX.dlqReason, filter.reason, "/reason"),
    deadBefore: toTimestamp(filter.deadBefore, "/deadBefore"),
    confirm: filter.confirm === true,
    cursor: filter.cursor ?? "",
  };
}
