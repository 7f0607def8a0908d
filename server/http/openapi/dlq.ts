/**
 * The OpenAPI description of the dead letter queue: the DLQ schemas (reason, entry) and the
 * `/api/v1/dlq` paths (list, purge, requeue, get, delete), plus the parts an executor's own DLQ
 * path (`executors.ts`) shares.
 */
import {
  BAD,
  BOOLEAN_QUERY,
  cursor,
  type Json,
  json,
  limit,
  noContent,
  NOT_FOUND,
  ok,
  pageOf,
  problem,
  protoEnumInput,
  protoEnumSpellings,
  queryParam,
  READS_WAITING,
  ref,
  refParam,
  time,
  TIME_IN_BODY,
  timeQuery,
  withBody,
} from "./_parts.ts";
import { DLQ_REASON_ENUM } from "../../domain/dlq.ts";
import { BULK_CURSOR, BULK_STOPPED, bulkCursor } from "./bulk.ts";
import { taskAnswer } from "./tasks.ts";

/** The `reason` query parameter of a DLQ filter. */
export const reason = queryParam(
  "reason",
  "Only entries dead for this reason: our name (`timeout`), the proto's value name (`DLQ_REASON_TIMEOUT`) or its number (`3`)",
  { type: "string", enum: [...protoEnumSpellings(DLQ_REASON_ENUM), ""] },
);
const dlqId = refParam("id", "DLQ entry id (the id of the dead task)", false);
/** A page of DLQ entries. */
export const entriesPage = pageOf("entries", "DlqEntry");
/** How many entries a purge deleted (and why it stopped, when a store batch failed after some). */
export const deletedAnswer = {
  type: "object",
  properties: { deleted: { type: "integer" }, stopped: BULK_STOPPED },
};

/** Schemas of the DLQ (components). */
export const DLQ_SCHEMAS: Record<string, Json> = {
  DlqReason: {
    type: "string",
    enum: ["max_attempts", "non_retryable", "timeout", "lease_lost", "validation"],
  },
  DlqReasonInput: protoEnumInput(DLQ_REASON_ENUM, "A DLQ reason as a request gives it"),
  DlqEntry: {
    type: "object",
    required: ["id", "queueName", "executorName", "reason", "deadAt", "task"],
    properties: {
      id: { type: "string" },
      queueName: { type: "string" },
      executorName: { type: "string" },
      reason: ref("DlqReason"),
      deadAt: time,
      task: ref("Task"),
    },
  },
};

/** A bulk DLQ call's filter as query parameters (purge; requeue takes them in its body too). */
const DLQ_FILTER_QUERY = [
  queryParam("executorName", "Only this executor's"),
  reason,
  timeQuery("deadBefore", "Dead before"),
  queryParam("confirm", `Must be true when no filter is given. ${BOOLEAN_QUERY}`, {
    type: "boolean",
  }),
];

/** The DLQ paths. */
export const DLQ_PATHS: Record<string, Json> = {
  "/api/v1/dlq": {
    get: {
      operationId: "listDlq",
      summary: "List dead letters, newest first",
      parameters: [queryParam("executorName", "Only this executor's"), reason, cursor, limit],
      responses: { "200": ok("A page", entriesPage), "400": BAD, "503": READS_WAITING },
    },
    delete: {
      operationId: "purgeDlq",
      summary: "Delete every dead letter matching the filter",
      parameters: DLQ_FILTER_QUERY,
      responses: { "200": ok("How many were deleted", deletedAnswer), "400": BAD },
    },
  },
  "/api/v1/dlq/requeue": {
    post: {
      operationId: "requeueDlqMany",
      summary: "Run again every dead letter matching the filter (a requeue: a new run)",
      description:
        "The filter and `cursor` come in the body or as query parameters; a field in both is the body's.",
      parameters: [...DLQ_FILTER_QUERY, bulkCursor],
      requestBody: {
        required: false,
        content: json({
          type: "object",
          additionalProperties: false,
          properties: {
            executorName: { type: "string" },
            reason: ref("DlqReasonInput"),
            deadBefore: TIME_IN_BODY,
            confirm: {
              type: "boolean",
              description:
                'Must be true when no filter is given; a JSON boolean (the string "true" is a 400 naming /confirm)',
            },
            cursor: {
              type: "string",
              description:
                "`nextCursor` of the previous call; anything else is a 400 naming `cursor`",
            },
          },
        }),
      },
      responses: {
        "200": ok("How many went back, and how many could not (e.g. data no longer valid)", {
          type: "object",
          properties: {
            requeued: { type: "integer" },
            failed: { type: "integer" },
            nextCursor: { type: ["string", "null"], description: BULK_CURSOR },
            stopped: BULK_STOPPED,
          },
        }),
        ...withBody,
      },
    },
  },
  "/api/v1/dlq/{id}": {
    parameters: [dlqId],
    get: {
      operationId: "getDlqEntry",
      summary: "Get a dead letter",
      responses: {
        "200": ok("The entry", { type: "object", properties: { entry: ref("DlqEntry") } }),
        "404": NOT_FOUND,
      },
    },
    delete: {
      operationId: "deleteDlqEntry",
      summary: "Delete a dead letter and its task",
      responses: {
        "204": noContent,
        "404": NOT_FOUND,
        "409": problem(
          "The task changed meanwhile (requeued since it was read: running again, or dead again in a new run): nothing was deleted, try again",
        ),
      },
    },
  },
  "/api/v1/dlq/{id}/requeue": {
    parameters: [dlqId],
    post: {
      operationId: "requeueDlqEntry",
      summary: "Run a dead task again (a requeue: a new run), optionally with new data",
      requestBody: {
        required: false,
        content: json({
          type: "object",
          additionalProperties: false,
          properties: { data: { description: "Replaces the task data (validated again)" } },
        }),
      },
      responses: {
        "200": ok("Requeued", taskAnswer),
        ...withBody,
        "404": problem(
          'No such entry, or its executor is gone (`Cannot requeue: executor "x" does not exist`): nothing was requeued',
        ),
        "409": problem(
          "The task changed meanwhile (requeued since it was read: running again, or dead again in a new run): nothing was requeued, try again",
        ),
      },
    },
  },
};
