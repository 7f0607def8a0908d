/**
 * The OpenAPI description of tasks: the task schemas (status, task, failed attempt, new task) and
 * the `/api/v1/tasks` paths — create, list, get (and wait), watch, search, move, cancel, and the
 * bulk operations of `bulk.ts`.
 */
import { DEFAULT_LIMITS } from "../../domain/limits.ts";
import { RUN_AGAIN_FROM, TASK_STATUS_NUMBERS, TASK_STATUSES } from "../../domain/task.ts";
import {
  BAD,
  busyWithBody,
  cursor,
  type Json,
  json,
  limit,
  METADATA_INPUT,
  noContent,
  NOT_FOUND,
  nullableTime,
  ok,
  pageOf,
  problem,
  queryParam,
  READS_WAITING,
  ref,
  refParam,
  STATUS_FORMS,
  statusQuery,
  statusSpellings,
  time,
  TIME_IN_BODY,
  timeQuery,
  VALIDATION_HELD_UP,
  withBody,
} from "./_parts.ts";
import { cancelTasks, deleteTasks, retryTasks } from "./bulk.ts";
import { GROUP_KEY_PROPERTY } from "./flow.ts";

/** A create's 503 beside the request-bytes limits' (`busyWithBody`). */
const EXECUTOR_KEPT_CHANGING =
  "an executor of the tasks kept changing while they were being created (three checks at most; nothing stored)";

/** The W3C trace context a create continues (README "Tracing"); malformed = ignored, as W3C asks. */
const TRACE_HEADERS = [
  {
    name: "traceparent",
    in: "header",
    required: false,
    description:
      "W3C traceparent of the producer's span (`00-<32 hex>-<16 hex>-<2 hex>`); the tasks' attempts continue its trace. A malformed value is ignored",
    schema: { type: "string", maxLength: 256 },
  },
  {
    name: "tracestate",
    in: "header",
    required: false,
    description: "W3C tracestate sent with traceparent (kept up to 512 characters)",
    schema: { type: "string" },
  },
];
const taskId = refParam("id", "Task id", false);
/** 404 for a task id: no such task, or one of an executor the key may not read (answered alike). */
const TASK_NOT_FOUND = problem(
  "No such task, or a task of an executor the key may not read: both are answered alike",
);
/** An answer holding one task. */
export const taskAnswer = { type: "object", properties: { task: ref("Task") } };

/** Schemas of tasks (components). */
export const TASK_SCHEMAS: Record<string, Json> = {
  TaskStatus: { type: "string", enum: [...TASK_STATUSES] },
  TaskStatusInput: {
    description: `A task status as a request gives it: ${STATUS_FORMS}`,
    anyOf: [
      { type: "string", enum: statusSpellings(TASK_STATUSES) },
      { type: "integer", enum: TASK_STATUSES.map((s) => TASK_STATUS_NUMBERS[s]) },
    ],
  },
  TaskError: {
    type: "object",
    properties: {
      attempt: { type: "integer" },
      message: { type: "string" },
      at: time,
      workerId: { type: "string" },
      run: { type: ["integer", "null"], description: "The run the attempt belonged to" },
      stack: { type: ["string", "null"], description: "The error's stack trace, as sent" },
      logs: {
        type: "array",
        items: { type: "string" },
        description: "Lines the handler logged during the attempt (`ctx.log`)",
      },
    },
  },
  Task: {
    type: "object",
    required: ["id", "executorName", "status", "runAt", "attempt", "createdAt", "updatedAt"],
    properties: {
      id: { type: "string" },
      executorName: { type: "string" },
      data: { description: "Any JSON, valid against the executor's taskSchema" },
      metadata: { type: "object", additionalProperties: { type: "string" } },
      status: ref("TaskStatus"),
      priority: { type: "integer" },
      runAt: time,
      attempt: { type: "integer" },
      maxAttempts: { type: "integer" },
      errors: {
        type: "array",
        items: ref("TaskError"),
        description:
          'Failed attempts, and attempts interrupted by a move back to pending by hand ("Interrupted: moved back to pending by hand while running", naming their worker), oldest first: the first and the newest (at most 50)',
      },
      errorsDropped: {
        type: "integer",
        description: "Failed attempts left out of errors, between the first and the newest kept",
      },
      result: { description: "What the handler returned" },
      createdAt: time,
      updatedAt: time,
      startedAt: nullableTime,
      completedAt: nullableTime,
      idempotencyKey: { type: ["string", "null"] },
      ...GROUP_KEY_PROPERTY,
      workerId: {
        type: ["string", "null"],
        description: "The worker of the current attempt: running it, or whose attempt ended the " +
          "task; null while pending (not started, or queued again after a retry or a requeue: " +
          "the workers of failed attempts, and of one interrupted by a move back to pending by " +
          "hand, are in errors)",
      },
      leaseExpiresAt: nullableTime,
      run: { type: "integer", description: "1, then one more each time it is run again" },
      progress: { description: "The latest progress a worker reported; null = none" },
      logs: {
        type: "array",
        items: { type: "string" },
        description: "Lines logged during the attempt that completed it",
      },
    },
  },
  NewTask: {
    type: "object",
    required: ["executorName"],
    additionalProperties: false,
    properties: {
      executorName: { type: "string", minLength: 1 },
      data: { description: "Any JSON, valid against the executor's taskSchema" },
      metadata: METADATA_INPUT,
      priority: { type: ["integer", "null"], minimum: -1000000, maximum: 1000000 },
      runAt: {
        anyOf: [...TIME_IN_BODY.anyOf, { type: "null" }],
        description:
          `${TIME_IN_BODY.description}; default now, as null or the epoch (0, "0"); "" is refused naming the field (leave it out or send null)`,
      },
      idempotencyKey: {
        type: ["string", "null"],
        minLength: 1,
        maxLength: DEFAULT_LIMITS.idempotencyKeyChars,
        description:
          'No U+0000; "" is refused naming the field (leave it out or send null for none)',
      },
      groupKey: {
        ...GROUP_KEY_PROPERTY.groupKey,
        minLength: 1,
        description:
          `${GROUP_KEY_PROPERTY.groupKey.description}; "" is refused naming the field (leave it out or send null)`,
      },
    },
  },
};

/** `wait` of a task read or create: how long the answer may wait for the task to be final. */
const waitParam = queryParam(
  "wait",
  `Wait up to this long for a final status (completed, failed, dlq, cancelled), then answer the task as it stands: plain ms or with a unit (\`500ms\`, \`30s\`, \`1m\`), at most ${DEFAULT_LIMITS.waitMs} ms; absent, empty or 0: no wait`,
  { type: "string", pattern: "^\\d+(\\.\\d+)?(ms|s|m|h|d)?$" },
);

/** The task paths. */
export const TASK_PATHS: Record<string, Json> = {
  "/api/v1/tasks": {
    delete: deleteTasks,
    get: {
      operationId: "listTasks",
      summary: "List tasks, newest first",
      parameters: [
        queryParam("executorName", "Only tasks of this executor"),
        statusQuery("Only tasks in one of these statuses"),
        timeQuery(
          "createdAfter",
          "Created at or after; before createdBefore when both are given (else a 400)",
        ),
        timeQuery("createdBefore", "Created before"),
        timeQuery(
          "finishedAfter",
          `Ended at or after; before finishedBefore when both are given (else a 400). A page by end time looks at ${DEFAULT_LIMITS.searchScanTasks} tasks at most (SEARCH_SCAN_TASKS) and may hold fewer than \`limit\`, none even, with a \`nextCursor\` to go on`,
        ),
        timeQuery("finishedBefore", "Ended before (pages as for `finishedAfter`)"),
        cursor,
        limit,
      ],
      responses: {
        "200": ok("A page", pageOf("tasks", "Task")),
        "400": BAD,
        "503": READS_WAITING,
      },
    },
    post: {
      operationId: "createTask",
      summary: "Create a task; with `wait`, answer it once it is final or when the wait ends",
      description:
        "With `wait`, the task is created as without it, then the answer waits (a long poll, as `GET /api/v1/tasks/{id}?wait=…`); a 201 whose task is not final yet means the wait ended first. A refused request (400 naming `wait` included, or 503 when the manager's waits are full) creates nothing.",
      parameters: [...TRACE_HEADERS, waitParam],
      requestBody: {
        required: true,
        content: json({
          oneOf: [
            {
              type: "object",
              required: ["task"],
              additionalProperties: false,
              properties: { task: ref("NewTask") },
            },
            ref("NewTask"),
          ],
        }),
      },
      responses: {
        "201": ok("Created", taskAnswer),
        ...withBody,
        "503": busyWithBody(
          `the manager's waits are full (with \`wait\`), or waits hold their share of the request bytes (half of MAX_REQUEST_BYTES_IN_FLIGHT, one key half of that), or ${EXECUTOR_KEPT_CHANGING}, or ${VALIDATION_HELD_UP}`,
        ),
        "404": problem("The executor does not exist"),
        "409": problem("The idempotency key was used before; `task` is the task it made"),
      },
    },
  },
  "/api/v1/tasks/batch": {
    post: {
      operationId: "createTasks",
      summary: "Create many tasks at once: all are valid and inserted, or none",
      parameters: TRACE_HEADERS,
      description:
        "The answer echoes every task, so the tasks may take at most 2 MiB as JSON together (the pageBytes limit); a larger batch is refused with 400 naming `/tasks` before anything is stored",
      requestBody: {
        required: true,
        content: json({
          type: "object",
          required: ["tasks"],
          additionalProperties: false,
          properties: { tasks: { type: "array", maxItems: 10000, items: ref("NewTask") } },
        }),
      },
      responses: {
        "201": ok("Created (or found by idempotency key, see `created`)", {
          type: "object",
          properties: {
            tasks: { type: "array", items: ref("Task") },
            created: { type: "array", items: { type: "boolean" } },
          },
        }),
        ...withBody,
        "404": problem(
          "A task's executor does not exist: nothing is stored, `detail` names each such task by its pointer (`/tasks/3/executorName`)",
        ),
        "503": busyWithBody(`${EXECUTOR_KEPT_CHANGING}, or ${VALIDATION_HELD_UP}`),
      },
    },
  },
  "/api/v1/tasks/cancel": { post: cancelTasks },
  "/api/v1/tasks/retry": { post: retryTasks },
  "/api/v1/tasks/{id}": {
    parameters: [taskId],
    get: {
      operationId: "getTask",
      summary: "Get a task; with `wait`, once it is final or when the wait ends (a long poll)",
      parameters: [waitParam],
      responses: { "200": ok("The task", taskAnswer), "400": BAD, "404": TASK_NOT_FOUND },
    },
    delete: {
      operationId: "deleteTask",
      summary:
        "Delete one finished task (completed, failed, cancelled, or dead with its DLQ entry)",
      responses: {
        "204": noContent,
        "404": NOT_FOUND,
        "409": problem(
          "The task has not finished (cancel it first), or it changed since it was read (run again meanwhile, even if that run ended the same way)",
        ),
      },
    },
  },
  "/api/v1/tasks/watch": {
    get: {
      operationId: "watchTasks",
      summary:
        "Server-sent events: one `task` event ({task}) per task named as it reaches a final status (at once for those final already), then `end`",
      parameters: [
        {
          ...queryParam(
            "ids",
            `Task ids, comma-separated or repeated: 1 to ${DEFAULT_LIMITS.watchTaskIds}; an id named twice is waited for once (one task event)`,
            {
              type: "array",
              minItems: 1,
              maxItems: DEFAULT_LIMITS.watchTaskIds,
              items: { type: "string", minLength: 1 },
            },
          ),
          required: true,
          style: "form",
          explode: false,
        },
      ],
      responses: {
        "200": {
          description:
            "A stream that ends after the last task (`event: error` with {detail} if the wait fails after it began)",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        "400": BAD,
        "404": TASK_NOT_FOUND,
      },
    },
  },
  "/api/v1/tasks/search": {
    get: {
      operationId: "searchTasks",
      summary: "Search tasks by id, by a metadata entry, or by a field of their data, newest first",
      description:
        `By id: one primary-key read. By metadata or data: a scan of the newest tasks (of the executor and statuses given) that looks at most at ${DEFAULT_LIMITS.searchScanTasks} tasks and for ${DEFAULT_LIMITS.searchScanMs} ms per page, so a page may hold fewer matches than \`limit\` (even none) and still have a \`nextCursor\` to go on with.`,
      parameters: [
        queryParam("id", "A task id"),
        queryParam("metadataKey", "A metadata key (with metadataValue)"),
        queryParam("metadataValue", "The metadata value it must have, exactly"),
        queryParam(
          "dataPointer",
          "An RFC 6901 JSON pointer into the data, e.g. `/orderId`, of at most 64 tokens, none ending with a backslash (no data holds such a member name)",
        ),
        queryParam(
          "dataValue",
          'The value there, as JSON (`123`, `"abc"`, `true`, `null`); text that is not JSON is a string',
        ),
        queryParam("executorName", "Only tasks of this executor"),
        statusQuery("Only tasks in one of these statuses"),
        cursor,
        limit,
      ],
      responses: {
        "200": ok(
          "A page of matches",
          pageOf("tasks", "Task", {
            scanned: {
              type: "integer",
              description:
                "Tasks looked at for this page (by id: 1 for a task the key may read, else 0)",
            },
          }),
        ),
        "400": BAD,
        "503": problem(
          "Searches that scan run a few at a time and the others wait their turn: too many run and wait already (MAX_SEARCHES, MAX_SEARCHES_QUEUED; half of them for a key that is not an admin key); retry after Retry-After",
        ),
      },
    },
  },
  "/api/v1/tasks/{id}/status": {
    parameters: [taskId],
    put: {
      operationId: "updateTaskStatus",
      summary:
        "Move a task to another status by hand, along the allowed transitions (`pending`: run it again, or run a delayed task now)",
      requestBody: {
        required: true,
        content: json({
          type: "object",
          required: ["status"],
          additionalProperties: false,
          properties: {
            status: ref("TaskStatusInput"),
            result: { description: "Result, when completing" },
            error: { type: "string", description: "Message, when failing" },
            from: {
              type: "array",
              minItems: 1,
              maxItems: TASK_STATUSES.length,
              uniqueItems: true,
              items: ref("TaskStatusInput"),
              description:
                "A precondition (compare and set): the statuses the task must be in now for the change to happen. A task in another status is refused with a 409 naming its status, and nothing changes; the check and the change are one conditional write, so a task leased by a worker meanwhile is never taken from it. Run again sends `runAgainFrom` of `/api/v1/meta` (" +
                `\`${JSON.stringify(RUN_AGAIN_FROM)}\`). Absent: any status the transition allows`,
            },
          },
        }),
      },
      responses: {
        "200": ok("Moved", taskAnswer),
        ...withBody,
        "404": NOT_FOUND,
        "409": problem(
          'The transition is not allowed, the task is in none of the statuses of `from` ("Task … is in_progress, not one of the statuses `from` accepts (…): nothing changed"), or it changed meanwhile',
        ),
      },
    },
  },
  "/api/v1/tasks/{id}/cancel": {
    parameters: [taskId],
    post: {
      operationId: "cancelTask",
      summary: "Cancel a pending or running task",
      responses: {
        "200": ok("Cancelled", taskAnswer),
        "404": NOT_FOUND,
        "409": problem(
          'The task is not pending or running: "Task … is already cancelled", or why it cannot be cancelled (completed, failed, in the DLQ)',
        ),
      },
    },
  },
};
