/**
 * The OpenAPI description of the bulk operations on tasks (delete, cancel, retry every task a
 * filter matches, a bounded number per call): their filter parameters and answers. The
 * `/api/v1/tasks` paths (`tasks.ts`) hold them.
 */
import { DEFAULT_LIMITS } from "../../domain/limits.ts";
import type { TaskStatus } from "../../domain/task.ts";
import { DELETABLE, RETRYABLE } from "../../service/bulk.ts";
import { BAD, BOOLEAN_QUERY, ok, queryParam, ref, statusQuery, timeQuery } from "./_parts.ts";

const BULK_DESCRIPTION =
  `One call handles at most ${DEFAULT_LIMITS.bulkTasks} matching tasks (the bulkTasks limit), newest first; \`nextCursor\` says where the next call goes on. With no executorName and no time bound, \`confirm=true\` is needed`;
/** What `nextCursor` of a bulk answer means. */
export const BULK_CURSOR =
  "Pass as `cursor` to go on with the matching items after these; `null` when done";
/**
 * The `stopped` member of the answer of a bulk call that writes its items one (or a batch) at a
 * time: cancel, retry, DLQ requeue and purge.
 */
export const BULK_STOPPED = {
  ...ref("Problem"),
  description:
    "Present when the call stopped part way: the counts were done, the rest was not touched. The problem it would have answered had it done nothing (a 503 when a task's data could not be validated in time or the store failed). `nextCursor` is then the cursor the call was given (`null`: none): make the same call again; what it did no longer matches. A call that fails before doing anything answers the error, never a count",
};
/** The `cursor` query parameter of a bulk call. */
export const bulkCursor = queryParam(
  "cursor",
  "`nextCursor` of the previous call; anything else is a 400 naming `cursor`",
);
const bulkFilter = (statuses: string, allowed: readonly TaskStatus[]) => [
  queryParam("executorName", "Only tasks of this executor"),
  statusQuery(`Only tasks in one of these statuses, among ${statuses}`, allowed),
  timeQuery(
    "createdAfter",
    "Created at or after; before createdBefore when both are given (else a 400)",
  ),
  timeQuery("createdBefore", "Created before"),
  timeQuery(
    "finishedAfter",
    "Ended at or after; before finishedBefore when both are given (else a 400)",
  ),
  timeQuery("finishedBefore", "Ended before"),
  queryParam(
    "confirm",
    `Must be true when no executorName or time bound is given. ${BOOLEAN_QUERY}`,
    {
      type: "boolean",
    },
  ),
  bulkCursor,
];
const bulkAnswer = (...counts: string[]) => ({
  type: "object",
  properties: {
    ...Object.fromEntries(counts.map((name) => [name, { type: "integer" }])),
    nextCursor: { type: ["string", "null"], description: BULK_CURSOR },
    stopped: BULK_STOPPED,
  },
});

/** DELETE /api/v1/tasks. */
export const deleteTasks = {
  operationId: "deleteTasks",
  summary: "Delete finished tasks matching the filter",
  description:
    `${BULK_DESCRIPTION}. Each task is deleted only while it is still as listed (its status and run): one run again since, even if it ended the same way (cancelled again after \`finishedBefore\`), stays and is not counted`,
  parameters: bulkFilter("completed, failed, cancelled (default: all three)", DELETABLE),
  responses: { "200": ok("How many were deleted", bulkAnswer("deleted")), "400": BAD },
};

/** POST /api/v1/tasks/cancel. */
export const cancelTasks = {
  operationId: "cancelTasks",
  summary: "Cancel pending tasks matching the filter",
  description: BULK_DESCRIPTION,
  parameters: bulkFilter("pending only", ["pending"]),
  responses: { "200": ok("How many were cancelled", bulkAnswer("cancelled")), "400": BAD },
};

/** POST /api/v1/tasks/retry. */
export const retryTasks = {
  operationId: "retryTasks",
  summary: "Run failed and dead tasks matching the filter again, their data checked again",
  description: BULK_DESCRIPTION +
    ". A task whose data no longer fits its executor's schema (or whose executor is gone) stays as it is and is counted in `invalid`",
  parameters: bulkFilter("failed, dlq (default: both)", RETRYABLE),
  responses: {
    "200": ok("How many run again, and how many stayed", bulkAnswer("retried", "invalid")),
    "400": BAD,
  },
};
