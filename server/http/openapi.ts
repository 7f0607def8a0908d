/**
 * The OpenAPI 3.1 description of everything the HTTP app answers, served at /api/v1/openapi.json.
 * tests/openapi_test.ts keeps it and the routes of server/http/app.ts in step.
 */
import { SCOPES } from "../auth/scopes.ts";
import { OPERATIONS, REST_OPERATIONS, scopesFor } from "../auth/permissions.ts";
import { DEFAULT_LIMITS, MAX_TIME_MS } from "../domain/limits.ts";
import { TASK_STATUSES } from "../domain/task.ts";
import { HISTORY_COUNTS } from "../domain/history.ts";
import { SCHEDULE_SCHEMAS, schedulePaths } from "./openapi_schedules.ts";
import {
  FLOW_CONFIG_PROPERTIES,
  FLOW_EXECUTOR_PROPERTIES,
  FLOW_SCHEMAS,
  GROUP_KEY_PROPERTY,
} from "./openapi_flow.ts";
import { META_SCHEMAS, metaPaths } from "./openapi_meta.ts";

type Json = Record<string, unknown>;

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

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const time = { type: "string", format: "date-time" };
const nullableTime = { type: ["string", "null"], format: "date-time" };
const json = (schema: Json) => ({ "application/json": { schema } });
const ok = (description: string, schema: Json) => ({ description, content: json(schema) });
const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});

const BAD = problem("Invalid input; `errors` names every failing field");
const NOT_FOUND = problem("No such resource");
const TOO_LARGE = problem("Request body larger than the configured limit");
const MEDIA = problem("Request body is not application/json");
const CONFLICT = problem("Conflicts with the current state");
const withBody = { "400": BAD, "413": TOO_LARGE, "415": MEDIA };
/** An admin page session: the caller, what it may do (operations of the permission table), its end. */
const SESSION = {
  type: "object",
  properties: {
    session: {
      type: "object",
      properties: {
        authentication: { enum: ["on", "off"] },
        keyId: { type: "string" },
        keyName: { type: "string" },
        scopes: { type: "array", items: { type: "string" } },
        executors: { type: ["array", "null"], items: { type: "string" } },
        operations: { type: "array", items: { type: "string" } },
        expiresAt: { type: ["string", "null"], format: "date-time" },
      },
    },
  },
};

const pathParam = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string", minLength: 1 },
});
const queryParam = (name: string, description: string, schema: Json = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});
const idOrName = pathParam("idOrName", "Executor id or name");
const taskId = pathParam("id", "Task id");
const dlqId = pathParam("id", "DLQ entry id (the id of the dead task)");
const NEXT_CURSOR =
  "Pass as `cursor` for the next page; `null` on the last page. Pages end at `limit` items or before 2 MiB of JSON, whichever comes first";
const cursor = queryParam("cursor", "Where the page starts: `nextCursor` of the previous page");
const limit = queryParam(
  "limit",
  "Most items on the page (default 50); a page also ends before 2 MiB of JSON (the pageBytes limit, at least one item), so it may hold fewer while `nextCursor` says more follow",
  { type: "integer", minimum: 1, maximum: 1000 },
);
const reason = queryParam("reason", "Only entries dead for this reason", {
  anyOf: [ref("DlqReason"), { const: "" }],
});
const DATE_TIME = { type: "string", format: "date-time" };
const TIME_INPUT = {
  anyOf: [{ type: "string", format: "date-time" }, { type: "string", pattern: "^[0-9]{1,16}$" }],
};
/** A time a body takes: RFC 3339 with an offset, or epoch ms from 0 to `MAX_TIME_MS`. */
const TIME_IN_BODY = {
  anyOf: [DATE_TIME, { type: "integer", minimum: 0, maximum: MAX_TIME_MS }],
  description: "RFC 3339 with offset or epoch ms",
};
const timeQuery = (name: string, description: string) =>
  queryParam(name, `${description} (RFC 3339 with offset or epoch ms)`, TIME_INPUT);

const MAX_MS = 30 * 24 * 3600 * 1000;
/** A duration as the API takes it: ms, a proto3 JSON string (`"1.5s"`) or a Duration object. */
const durationInput = (description: string, minimum: number) => ({
  description: `${description}: milliseconds, a proto3 JSON duration string such as "1.5s", ` +
    `or {"seconds", "nanos"}; answers always give milliseconds`,
  anyOf: [
    { type: "number", minimum, maximum: MAX_MS },
    { type: "string", pattern: "^[0-9]{1,12}(\\.[0-9]{1,9})?s$" },
    {
      type: "object",
      additionalProperties: false,
      properties: {
        seconds: { anyOf: [{ type: "integer" }, { type: "string", pattern: "^[0-9]{1,12}$" }] },
        nanos: { type: "integer", minimum: 0, maximum: 999999999 },
      },
    },
    { type: "null" },
  ],
});
/** An enum as the API takes it: our name, the proto name, or the earlier system's number. */
const enumInput = (names: string[], protoNames: string[], numbers: number[]) => ({
  description: `Answers give the lowercase name; the proto name (${protoNames.join(", ")}) and ` +
    `the earlier system's number (${
      names.map((n, i) => `${numbers[i]} = ${n}`).join(", ")
    }; 0 = not set) are also taken`,
  anyOf: [
    { enum: [...names, ...protoNames, "", null] },
    { type: "integer", enum: [0, ...numbers] },
  ],
});
const TASK_STATUS = { type: "string", enum: [...TASK_STATUSES] };
const STATUS_LIST = `(${TASK_STATUSES.join("|")})`;

const schemas: Record<string, Json> = {
  Problem: {
    type: "object",
    description: "RFC 9457 problem details",
    required: ["type", "title", "status", "detail"],
    properties: {
      type: { type: "string" },
      title: { type: "string" },
      status: { type: "integer" },
      detail: { type: "string" },
      errors: {
        type: "array",
        items: {
          type: "object",
          required: ["field", "message"],
          properties: {
            field: { type: "string", description: "JSON pointer into the request body" },
            message: { type: "string" },
          },
        },
      },
      task: { ...ref("Task"), description: "The existing task of an idempotent repeat" },
    },
  },
  RetryPolicy: {
    type: "object",
    additionalProperties: false,
    properties: {
      type: enumInput(
        ["constant", "linear", "exponential"],
        ["RETRY_POLICY_CONSTANT", "RETRY_POLICY_LINEAR", "RETRY_POLICY_EXPONENTIAL"],
        [1, 2, 3],
      ),
      maxAttempts: { type: ["integer", "null"], minimum: 1, maximum: 1000 },
      interval: durationInput("Base delay", 0),
      maxInterval: durationInput("Delay bound (0 = none)", 0),
      multiplier: { type: ["number", "null"], minimum: 1, maximum: 100 },
      jitter: { type: ["number", "null"], minimum: 0, maximum: 1 },
    },
  },
  DlqConfig: {
    type: "object",
    additionalProperties: false,
    properties: {
      enabled: { type: ["boolean", "null"] },
      queueName: { type: ["string", "null"], pattern: "^[a-z0-9_.-]{0,128}$" },
    },
  },
  WriteConcern: {
    type: "object",
    properties: {
      level: enumInput(
        ["replica_acknowledged", "majority", "unacknowledged", "journaled"],
        [
          "WRITE_CONCERN_REPLICA_ACKNOWLEDGED",
          "WRITE_CONCERN_MAJORITY",
          "WRITE_CONCERN_UNACKNOWLEDGED",
          "WRITE_CONCERN_JOURNALED",
        ],
        [1, 2, 3, 4],
      ),
    },
    additionalProperties: false,
  },
  ExecutorConfig: {
    type: "object",
    description: "Executor settings; fields left out (or null) keep their default (create) or " +
      "value (update)",
    additionalProperties: false,
    properties: {
      name: { type: "string", pattern: "^[a-z0-9_.-]{1,128}$" },
      enabled: { type: ["boolean", "null"] },
      writeConcern: { anyOf: [ref("WriteConcern"), { type: "null" }] },
      retryPolicy: { anyOf: [ref("RetryPolicy"), { type: "null" }] },
      dlqConfig: { anyOf: [ref("DlqConfig"), { type: "null" }] },
      taskSchema: {
        type: ["object", "boolean", "null"],
        description: "JSON Schema (2020-12) for task data, or null",
      },
      timeout: durationInput("Per-attempt timeout", 1),
      maxConcurrency: {
        type: ["integer", "null"],
        minimum: 0,
        maximum: 1000000,
        description: "0 = no limit",
      },
      ...FLOW_CONFIG_PROPERTIES,
    },
  },
  Executor: {
    type: "object",
    required: ["id", "name", "enabled", "retryPolicy", "dlqConfig", "createdAt", "updatedAt"],
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      enabled: { type: "boolean" },
      writeConcern: ref("WriteConcern"),
      retryPolicy: ref("RetryPolicy"),
      dlqConfig: ref("DlqConfig"),
      taskSchema: { description: "JSON Schema for task data, or null" },
      timeout: { type: "number" },
      maxConcurrency: { type: "integer" },
      ...FLOW_EXECUTOR_PROPERTIES,
      createdAt: time,
      updatedAt: time,
    },
  },
  TaskStatus: TASK_STATUS,
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
        description: "Failed attempts, oldest first: the first and the newest (at most 50)",
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
      workerId: { type: ["string", "null"] },
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
      metadata: {
        type: ["object", "null"],
        maxProperties: DEFAULT_LIMITS.metadataEntries,
        propertyNames: { maxLength: DEFAULT_LIMITS.metadataKeyChars },
        additionalProperties: { type: "string", maxLength: DEFAULT_LIMITS.metadataValueChars },
      },
      priority: { type: ["integer", "null"], minimum: -1000000, maximum: 1000000 },
      runAt: {
        anyOf: [...TIME_IN_BODY.anyOf, { type: "null" }],
        description: `${TIME_IN_BODY.description}; default now`,
      },
      idempotencyKey: {
        type: ["string", "null"],
        maxLength: DEFAULT_LIMITS.idempotencyKeyChars,
        description: "No U+0000",
      },
      ...GROUP_KEY_PROPERTY,
    },
  },
  DlqReason: {
    type: "string",
    enum: ["max_attempts", "non_retryable", "timeout", "lease_lost", "validation"],
  },
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
  Worker: {
    type: "object",
    properties: {
      workerId: { type: "string" },
      executors: { type: "array", items: { type: "string" } },
      sdkVersion: { type: "string" },
      connectedAt: time,
      lastHeartbeatAt: time,
      inFlight: { type: "integer", description: "Tasks it runs now" },
      credits: {
        type: "integer",
        description: "Tasks it can still take: inFlight + credits is what it can run at once",
      },
      host: { type: "string" },
      pid: { type: "integer" },
      runtime: { type: "string", description: "e.g. deno 2.7.14" },
      runningTaskIds: { type: "array", items: { type: "string" }, maxItems: 20 },
      disconnectedAt: {
        ...nullableTime,
        description: "When it went away (listed for 10 minutes); null while connected",
      },
    },
  },
  ApiKey: {
    type: "object",
    description: "An API key: never its secret, never a hash of it",
    properties: {
      id: { type: "string", description: "Public key id, the part after `te_` in its token" },
      name: { type: "string" },
      scopes: { type: "array", items: { type: "string", enum: [...SCOPES] } },
      executors: {
        type: ["array", "null"],
        items: { type: "string" },
        description: "Executors a producer or worker key is limited to; null = every executor",
      },
      createdAt: time,
      lastUsedAt: {
        ...nullableTime,
        description: "Latest use seen (recorded about once a second)",
      },
      revokedAt: nullableTime,
    },
  },
  NewApiKey: {
    type: "object",
    required: ["name", "scopes"],
    properties: {
      name: { type: "string", minLength: 1, maxLength: DEFAULT_LIMITS.keyNameChars },
      scopes: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: { type: "string", enum: [...SCOPES] },
      },
      executors: {
        type: ["array", "null"],
        minItems: 1,
        maxItems: DEFAULT_LIMITS.keyExecutors,
        items: { type: "string", pattern: "^[a-z0-9_.-]{1,128}$" },
        description:
          "Limits a producer or worker key to these executors (required for worker keys); absent or null = every executor",
      },
    },
  },
  HistorySlot: {
    type: "object",
    description: "Counts of a time span, and its queue wait and run time percentiles (ms)",
    properties: {
      ...Object.fromEntries(HISTORY_COUNTS.map((name) => [name, { type: "integer" }])),
      queueWaitMs: ref("Percentiles"),
      runTimeMs: ref("Percentiles"),
    },
  },
  HistoryPoint: {
    allOf: [
      ref("HistorySlot"),
      { type: "object", properties: { at: { type: "string", format: "date-time" } } },
    ],
  },
  Percentiles: {
    type: "object",
    description: "`null` when nothing was measured",
    properties: { p50: { type: ["number", "null"] }, p95: { type: ["number", "null"] } },
  },
  ExecutorStats: {
    type: "object",
    properties: {
      executorName: { type: "string" },
      byStatus: { type: "object", additionalProperties: { type: "integer" } },
      dlqSize: { type: "integer" },
      oldestPendingAt: nullableTime,
      workers: { type: "integer", description: "Connected workers serving this executor" },
      noWorkers: { type: "boolean", description: "Tasks are pending and no worker serves them" },
    },
  },
};

const executorBody = (config: Json) => ({
  required: true,
  content: json({
    oneOf: [
      {
        type: "object",
        required: ["config"],
        additionalProperties: false,
        properties: { config },
      },
      config,
    ],
  }),
});
const newExecutor = { allOf: [ref("ExecutorConfig"), { required: ["name"] }] };
const executorAnswer = { type: "object", properties: { executor: ref("Executor") } };
const taskAnswer = { type: "object", properties: { task: ref("Task") } };
const entriesPage = {
  type: "object",
  properties: {
    entries: { type: "array", items: ref("DlqEntry") },
    nextCursor: { type: ["string", "null"], description: NEXT_CURSOR },
  },
};
const deletedAnswer = { type: "object", properties: { deleted: { type: "integer" } } };
const noContent = { description: "Done" };
const BULK_DESCRIPTION =
  `One call handles at most ${DEFAULT_LIMITS.bulkTasks} matching tasks (the bulkTasks limit), newest first; \`nextCursor\` says where the next call goes on. With no executorName and no time bound, \`confirm=true\` is needed`;
const BULK_CURSOR =
  "Pass as `cursor` to go on with the matching items after these; `null` when done";
const bulkFilter = (statuses: string) => [
  queryParam("executorName", "Only tasks of this executor"),
  queryParam("status", `Comma-separated statuses among ${statuses}`),
  timeQuery("createdAfter", "Created at or after"),
  timeQuery("createdBefore", "Created before"),
  timeQuery("finishedAfter", "Ended at or after"),
  timeQuery("finishedBefore", "Ended before"),
  queryParam("confirm", "Must be true when no executorName or time bound is given", {
    type: "boolean",
  }),
  queryParam("cursor", "`nextCursor` of the previous call"),
];
const bulkAnswer = (...counts: string[]) => ({
  type: "object",
  properties: {
    ...Object.fromEntries(counts.map((name) => [name, { type: "integer" }])),
    nextCursor: { type: ["string", "null"], description: BULK_CURSOR },
  },
});

const paths: Record<string, Record<string, unknown>> = {
  "/api/v1/executors": {
    get: {
      operationId: "listExecutors",
      summary: "List executors",
      responses: {
        "200": ok("Every executor, by name", {
          type: "object",
          properties: { executors: { type: "array", items: ref("Executor") } },
        }),
      },
    },
    post: {
      operationId: "createExecutor",
      summary: "Create an executor",
      requestBody: executorBody(newExecutor),
      responses: {
        "201": ok("Created", executorAnswer),
        ...withBody,
        "409": problem("The name is taken"),
      },
    },
  },
  "/api/v1/executors/{idOrName}": {
    parameters: [idOrName],
    get: {
      operationId: "getExecutor",
      summary: "Get an executor",
      responses: { "200": ok("The executor", executorAnswer), "404": NOT_FOUND },
    },
    put: {
      operationId: "updateExecutor",
      summary: "Change an executor (fields given are merged into its configuration)",
      requestBody: executorBody(ref("ExecutorConfig")),
      responses: { "200": ok("Changed", executorAnswer), ...withBody, "404": NOT_FOUND },
    },
    delete: {
      operationId: "deleteExecutor",
      summary: "Delete an executor",
      parameters: [
        queryParam("force", "Also delete its pending and running tasks", { type: "boolean" }),
      ],
      responses: {
        "204": noContent,
        "400": BAD,
        "404": NOT_FOUND,
        "409": problem("Tasks are pending or in progress and force was not given"),
      },
    },
  },
  "/api/v1/executors/{idOrName}/dlq": {
    parameters: [idOrName],
    get: {
      operationId: "listExecutorDlq",
      summary: "List the dead letter queue of one executor, newest first",
      parameters: [reason, cursor, limit],
      responses: { "200": ok("A page", entriesPage), "400": BAD, "404": NOT_FOUND },
    },
    delete: {
      operationId: "purgeExecutorDlq",
      summary: "Delete every dead letter of one executor",
      responses: { "200": ok("How many were deleted", deletedAnswer), "404": NOT_FOUND },
    },
  },
  "/api/v1/tasks": {
    delete: {
      operationId: "deleteTasks",
      summary: "Delete finished tasks matching the filter",
      description: BULK_DESCRIPTION,
      parameters: bulkFilter("completed, failed, cancelled (default: all three)"),
      responses: { "200": ok("How many were deleted", bulkAnswer("deleted")), "400": BAD },
    },
    get: {
      operationId: "listTasks",
      summary: "List tasks, newest first",
      parameters: [
        queryParam("executorName", "Only tasks of this executor"),
        queryParam("status", "Comma-separated statuses", {
          type: "string",
          pattern: `^(${STATUS_LIST}(,${STATUS_LIST})*)?$`,
        }),
        timeQuery("createdAfter", "Created at or after"),
        timeQuery("createdBefore", "Created before"),
        timeQuery("finishedAfter", "Ended at or after"),
        timeQuery("finishedBefore", "Ended before"),
        cursor,
        limit,
      ],
      responses: {
        "200": ok("A page", {
          type: "object",
          properties: {
            tasks: { type: "array", items: ref("Task") },
            nextCursor: { type: ["string", "null"], description: NEXT_CURSOR },
          },
        }),
        "400": BAD,
      },
    },
    post: {
      operationId: "createTask",
      summary: "Create a task",
      parameters: TRACE_HEADERS,
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
      },
    },
  },
  "/api/v1/tasks/cancel": {
    post: {
      operationId: "cancelTasks",
      summary: "Cancel pending tasks matching the filter",
      description: BULK_DESCRIPTION,
      parameters: bulkFilter("pending only"),
      responses: { "200": ok("How many were cancelled", bulkAnswer("cancelled")), "400": BAD },
    },
  },
  "/api/v1/tasks/retry": {
    post: {
      operationId: "retryTasks",
      summary: "Run failed and dead tasks matching the filter again, their data checked again",
      description: BULK_DESCRIPTION +
        ". A task whose data no longer fits its executor's schema (or whose executor is gone) stays as it is and is counted in `invalid`",
      parameters: bulkFilter("failed, dlq (default: both)"),
      responses: {
        "200": ok("How many run again, and how many stayed", bulkAnswer("retried", "invalid")),
        "400": BAD,
      },
    },
  },
  "/api/v1/tasks/{id}": {
    parameters: [taskId],
    get: {
      operationId: "getTask",
      summary: "Get a task; with `wait`, once it is final or when the wait ends (a long poll)",
      parameters: [
        queryParam(
          "wait",
          `Wait up to this long for a final status (completed, failed, dlq, cancelled), then answer the task as it stands: plain ms or with a unit (\`500ms\`, \`30s\`, \`1m\`), at most ${DEFAULT_LIMITS.waitMs} ms`,
          { type: "string", pattern: "^\\d+(\\.\\d+)?(ms|s|m|h|d)?$" },
        ),
      ],
      responses: { "200": ok("The task", taskAnswer), "400": BAD, "404": NOT_FOUND },
    },
    delete: {
      operationId: "deleteTask",
      summary:
        "Delete one finished task (completed, failed, cancelled, or dead with its DLQ entry)",
      responses: {
        "204": noContent,
        "404": NOT_FOUND,
        "409": problem("The task has not finished (cancel it first)"),
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
            `Task ids, comma-separated or repeated: 1 to ${DEFAULT_LIMITS.watchTaskIds}`,
            { type: "array", items: { type: "string", minLength: 1 } },
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
        "404": NOT_FOUND,
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
        queryParam("dataPointer", "An RFC 6901 JSON pointer into the data, e.g. `/orderId`"),
        queryParam(
          "dataValue",
          'The value there, as JSON (`123`, `"abc"`, `true`, `null`); text that is not JSON is a string',
        ),
        queryParam("executorName", "Only tasks of this executor"),
        queryParam("status", "Comma-separated statuses", {
          type: "string",
          pattern: `^(${STATUS_LIST}(,${STATUS_LIST})*)?$`,
        }),
        cursor,
        limit,
      ],
      responses: {
        "200": ok("A page of matches", {
          type: "object",
          properties: {
            tasks: { type: "array", items: ref("Task") },
            nextCursor: { type: ["string", "null"], description: NEXT_CURSOR },
            scanned: { type: "integer", description: "Tasks looked at for this page" },
          },
        }),
        "400": BAD,
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
            status: ref("TaskStatus"),
            result: { description: "Result, when completing" },
            error: { type: "string", description: "Message, when failing" },
          },
        }),
      },
      responses: {
        "200": ok("Moved", taskAnswer),
        ...withBody,
        "404": NOT_FOUND,
        "409": CONFLICT,
      },
    },
  },
  "/api/v1/tasks/{id}/cancel": {
    parameters: [taskId],
    post: {
      operationId: "cancelTask",
      summary: "Cancel a pending or running task",
      responses: { "200": ok("Cancelled", taskAnswer), "404": NOT_FOUND, "409": CONFLICT },
    },
  },
  "/api/v1/dlq": {
    get: {
      operationId: "listDlq",
      summary: "List dead letters, newest first",
      parameters: [queryParam("executorName", "Only this executor's"), reason, cursor, limit],
      responses: { "200": ok("A page", entriesPage), "400": BAD },
    },
    delete: {
      operationId: "purgeDlq",
      summary: "Delete every dead letter matching the filter",
      parameters: [
        queryParam("executorName", "Only this executor's"),
        reason,
        timeQuery("deadBefore", "Dead before"),
        queryParam("confirm", "Must be true when no filter is given", { type: "boolean" }),
      ],
      responses: { "200": ok("How many were deleted", deletedAnswer), "400": BAD },
    },
  },
  "/api/v1/dlq/requeue": {
    post: {
      operationId: "requeueDlqMany",
      summary: "Run again every dead letter matching the filter (a requeue: a new run)",
      requestBody: {
        required: false,
        content: json({
          type: "object",
          additionalProperties: false,
          properties: {
            executorName: { type: "string" },
            reason: ref("DlqReason"),
            deadBefore: TIME_IN_BODY,
            confirm: { type: "boolean", description: "Must be true when no filter is given" },
            cursor: { type: "string", description: "`nextCursor` of the previous call" },
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
      responses: { "204": noContent, "404": NOT_FOUND },
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
        "404": NOT_FOUND,
        "409": CONFLICT,
      },
    },
  },
  "/api/v1/stats": {
    get: {
      operationId: "getStats",
      summary: "Task figures per executor",
      parameters: [queryParam("executorName", "Only this executor")],
      responses: {
        "200": ok("Figures", {
          type: "object",
          properties: { executors: { type: "array", items: ref("ExecutorStats") } },
        }),
      },
    },
  },
  "/api/v1/history": {
    get: {
      operationId: "getHistory",
      summary: "Task history per step: counts, queue wait and run time p50/p95",
      description:
        "Kept per executor and minute for HISTORY_TTL. Each point covers [at, at + stepMs); percentiles come from a fixed histogram per minute (bounds 1 ms … 300 s), interpolated inside a bucket",
      parameters: [
        queryParam("executorName", "One executor (default: every executor summed)"),
        timeQuery("from", "Start (default: one hour before to); moved back to a multiple of step"),
        timeQuery("to", "End (default: the end of the current minute)"),
        queryParam("step", "Length of a point: 1m, 5m, 1h … or ms, whole minutes (default 1m)", {
          type: "string",
        }),
      ],
      responses: {
        "200": ok("The points and their totals", {
          type: "object",
          properties: {
            executorName: { type: ["string", "null"] },
            from: DATE_TIME,
            to: DATE_TIME,
            stepMs: { type: "integer" },
            points: { type: "array", items: ref("HistoryPoint") },
            totals: ref("HistorySlot"),
          },
        }),
        "400": BAD,
      },
    },
  },
  "/api/v1/workers": {
    get: {
      operationId: "listWorkers",
      summary: "Workers connected to this manager",
      responses: {
        "200": ok("Workers", {
          type: "object",
          properties: { workers: { type: "array", items: ref("Worker") } },
        }),
      },
    },
  },
  "/api/v1/keys": {
    get: {
      operationId: "listKeys",
      summary: "Every API key, oldest first, revoked ones included (no secrets)",
      responses: {
        "200": ok("Keys", {
          type: "object",
          properties: { keys: { type: "array", items: ref("ApiKey") } },
        }),
      },
    },
    post: {
      operationId: "createKey",
      summary: "Create an API key; the answer holds its token, shown this once",
      requestBody: { required: true, content: json(ref("NewApiKey")) },
      responses: {
        "201": ok("The key and its token (`te_<id>_<secret>`, sent as `Bearer <token>`)", {
          type: "object",
          properties: { key: ref("ApiKey"), token: { type: "string" } },
        }),
        ...withBody,
      },
    },
  },
  "/api/v1/keys/{id}": {
    parameters: [pathParam("id", "Key id")],
    delete: {
      operationId: "revokeKey",
      summary: "Revoke an API key: refused by every manager sharing the store within a second",
      responses: {
        "200": ok("The revoked key", { type: "object", properties: { key: ref("ApiKey") } }),
        "404": NOT_FOUND,
      },
    },
  },
  "/api/v1/session": {
    post: {
      operationId: "logIn",
      summary: "Log in to the admin page: the key becomes a session cookie (te_session)",
      requestBody: {
        required: true,
        content: json({
          type: "object",
          required: ["key"],
          properties: { key: { type: "string", description: "An API key (te_<id>_<secret>)" } },
        }),
      },
      responses: {
        "201": ok("The session, with its cookie in Set-Cookie", SESSION),
        "401": problem("The key is unknown or revoked"),
        "409": problem("Authentication is off (AUTH=off): there is nothing to log in to"),
        ...withBody,
      },
    },
    get: {
      operationId: "getSession",
      summary: "Who the caller is (session cookie or key) and which operations it may perform",
      responses: { "200": ok("The session", SESSION) },
    },
    delete: {
      operationId: "logOut",
      summary: "Log out: ends the cookie's session and clears the cookie",
      responses: { "204": { description: "Logged out" } },
    },
  },
  "/api/v1/events": {
    get: {
      operationId: "events",
      summary:
        "Server-sent events: `tasks` ({executorNames}), `executors` and `schedules`, coalesced",
      responses: {
        "200": {
          description: "An endless event stream",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
      },
    },
  },
  "/api/v1/openapi.json": {
    get: {
      operationId: "openapi",
      summary: "This document",
      responses: { "200": ok("OpenAPI 3.1", { type: "object" }) },
    },
  },
  "/healthz": {
    get: {
      operationId: "health",
      summary: "Liveness",
      responses: {
        "200": ok("The process answers", {
          type: "object",
          properties: { status: { const: "ok" } },
        }),
      },
    },
  },
  "/readyz": {
    get: {
      operationId: "ready",
      summary: "Readiness, with the result of each check",
      responses: {
        "200": ok("Ready", { type: "object" }),
        "503": ok("Not ready", { type: "object" }),
      },
    },
  },
  "/metrics": {
    get: {
      operationId: "metrics",
      summary: "Prometheus metrics",
      responses: {
        "200": {
          description: "Text exposition format 0.0.4",
          content: { "text/plain": { schema: { type: "string" } } },
        },
        "404": problem("Metrics are not enabled"),
      },
    },
  },
  "/": {
    get: {
      operationId: "adminPage",
      summary: "The admin page",
      responses: {
        "200": { description: "HTML", content: { "text/html": { schema: { type: "string" } } } },
      },
    },
  },
  "/admin_page.html": {
    get: {
      operationId: "adminPageFile",
      summary: "The admin page",
      responses: {
        "200": { description: "HTML", content: { "text/html": { schema: { type: "string" } } } },
      },
    },
  },
  "/static/{path}": {
    get: {
      operationId: "staticFile",
      summary: "Scripts and styles of the admin page",
      parameters: [pathParam("path", "File path under /static/")],
      responses: { "200": { description: "The file" }, "404": NOT_FOUND },
    },
  },
};

// Any operation may also answer an error not listed for it (405, 413, 500, 503…): always problem+json.
// Who may call each operation comes from the one permission table (server/auth/permissions.ts).
Object.assign(schemas, SCHEDULE_SCHEMAS, FLOW_SCHEMAS);
Object.assign(
  paths,
  schedulePaths({ ref, ok, problem, pathParam, queryParam, withBody, notFound: NOT_FOUND }),
);
Object.assign(schemas, META_SCHEMAS);
Object.assign(
  paths,
  metaPaths({ ref, ok, problem, pathParam, queryParam, withBody, notFound: NOT_FOUND }),
);

for (const [path, item] of Object.entries(paths)) {
  for (const [method, operation] of Object.entries(item)) {
    if (Array.isArray(operation)) continue;
    const described = operation as { responses: Json; security?: unknown; "x-scopes"?: unknown };
    described.responses.default = problem("Any other error (e.g. 405, 413, 500, 503)");
    // An operation missing from the table is refused to everyone: described as closed, too.
    const id = REST_OPERATIONS[`${method.toUpperCase()} ${path}`];
    if (id && OPERATIONS[id].open) {
      described.security = [];
      continue;
    }
    const scopes = id ? scopesFor(id) : [];
    described.security = [{ bearerAuth: [] }];
    described["x-scopes"] = scopes;
    described.responses["401"] = problem(
      "No API key, or one that is malformed, unknown or revoked",
    );
    described.responses["403"] = problem(
      `The key lacks the scope (any of: ${scopes.join(", ")}), or its executor limit`,
    );
  }
}

/** How callers authenticate: an API key as a bearer token. */
const securitySchemes = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "te_<id>_<secret>",
    description: "An API key. `x-scopes` on each operation lists the scopes that allow it.",
  },
};

/** The OpenAPI 3.1 document of the manager's HTTP interface. */
export const OPENAPI: Json = {
  openapi: "3.1.0",
  info: {
    title: "Tasks Executor",
    version: "1.0.0",
    description: "Executors, tasks and the dead letter queue of a Tasks Executor manager. " +
      "Request bodies accept snake_case keys too (user data is left as it is).",
  },
  paths,
  security: [{ bearerAuth: [] }],
  components: { schemas, securitySchemes },
};
