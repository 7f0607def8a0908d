/**
 * The OpenAPI description of executors: their configuration and answer schemas (retry policy, DLQ
 * config, write concern) and the `/api/v1/executors` paths, the executor's own DLQ included.
 */
import {
  EXECUTOR_BOUNDS,
  EXECUTOR_NAME_PATTERN,
  RETRY_POLICY_TYPE_ENUM,
  WRITE_CONCERN_LEVEL_ENUM,
} from "../../domain/executor.ts";
import {
  BAD,
  BOOLEAN_QUERY,
  busyWithBody,
  configEnumInput,
  cursor,
  durationInput,
  integerInput,
  type Json,
  json,
  limit,
  noContent,
  NOT_FOUND,
  ok,
  pageOf,
  problem,
  queryParam,
  READS_WAITING,
  ref,
  refParam,
  time,
  VALIDATION_HELD_UP,
  withBody,
} from "./_parts.ts";
import { FLOW_CONFIG_PROPERTIES, FLOW_EXECUTOR_PROPERTIES } from "./flow.ts";
import { deletedAnswer, entriesPage, reason } from "./dlq.ts";

/** Schemas of executors (components). */
export const EXECUTOR_SCHEMAS: Record<string, Json> = {
  RetryPolicy: {
    type: "object",
    additionalProperties: false,
    properties: {
      type: configEnumInput(RETRY_POLICY_TYPE_ENUM, "RETRY_POLICY_"),
      maxAttempts: integerInput({
        minimum: EXECUTOR_BOUNDS.retryPolicy.maxAttempts.min,
        maximum: EXECUTOR_BOUNDS.retryPolicy.maxAttempts.max,
      }),
      interval: durationInput("Base delay", EXECUTOR_BOUNDS.retryPolicy.interval.min),
      maxInterval: durationInput(
        "Delay bound: 0 = none, else at least interval",
        EXECUTOR_BOUNDS.retryPolicy.maxInterval.min,
      ),
      multiplier: {
        type: ["number", "null"],
        minimum: EXECUTOR_BOUNDS.retryPolicy.multiplier.min,
        maximum: EXECUTOR_BOUNDS.retryPolicy.multiplier.max,
      },
      jitter: {
        type: ["number", "null"],
        minimum: EXECUTOR_BOUNDS.retryPolicy.jitter.min,
        maximum: EXECUTOR_BOUNDS.retryPolicy.jitter.max,
      },
    },
  },
  DlqConfig: {
    type: "object",
    additionalProperties: false,
    properties: {
      enabled: { type: ["boolean", "null"] },
      // Empty or null = the default; else a name, as an executor's (not "." or "..").
      queueName: { type: ["string", "null"], pattern: `^$|${EXECUTOR_NAME_PATTERN.source}` },
    },
  },
  WriteConcern: {
    type: "object",
    properties: {
      level: configEnumInput(WRITE_CONCERN_LEVEL_ENUM, "WRITE_CONCERN_"),
    },
    additionalProperties: false,
  },
  ExecutorConfig: {
    type: "object",
    description: "Executor settings; fields left out (or null) keep their default (create) or " +
      "value (update)",
    additionalProperties: false,
    properties: {
      name: { type: "string", pattern: EXECUTOR_NAME_PATTERN.source },
      enabled: { type: ["boolean", "null"] },
      writeConcern: { anyOf: [ref("WriteConcern"), { type: "null" }] },
      retryPolicy: { anyOf: [ref("RetryPolicy"), { type: "null" }] },
      dlqConfig: { anyOf: [ref("DlqConfig"), { type: "null" }] },
      taskSchema: {
        type: ["object", "boolean", "null"],
        description: "JSON Schema (2020-12) for task data, or null",
      },
      timeout: durationInput(
        "Per-attempt timeout, also the lease length",
        EXECUTOR_BOUNDS.timeout.min,
      ),
      maxConcurrency: integerInput({
        minimum: EXECUTOR_BOUNDS.maxConcurrency.min,
        maximum: EXECUTOR_BOUNDS.maxConcurrency.max,
      }, "0 = no limit"),
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
const idOrName = refParam("idOrName", "Executor name or id (looked up as a name first)", true);

/** 404 of an executor named by id or name to a call a limited key may make. */
const EXECUTOR_NOT_FOUND = problem(
  "No such executor, or one the key may not reach: both are answered alike",
);

/** The executor paths. */
export const EXECUTOR_PATHS: Record<string, Json> = {
  "/api/v1/executors": {
    get: {
      operationId: "listExecutors",
      summary:
        "A page of executors, by name: every one (up to 1,000) unless together they pass 2 MiB of JSON",
      parameters: [
        cursor,
        queryParam(
          "limit",
          "Most executors on the page (default 1000, the most a store holds by default); a page also ends before 2 MiB of JSON (at least one executor), so it may hold fewer while `nextCursor` says more follow",
          { type: "integer", minimum: 1, maximum: 1000 },
        ),
      ],
      responses: {
        "200": ok("A page of executors, by name", pageOf("executors", "Executor")),
        "400": problem("Bad query parameter"),
        "503": READS_WAITING,
      },
    },
    post: {
      operationId: "createExecutor",
      summary: "Create an executor",
      requestBody: executorBody(newExecutor),
      responses: {
        "201": ok("Created", executorAnswer),
        ...withBody,
        "503": busyWithBody(VALIDATION_HELD_UP),
        "409": problem(
          "The name is taken, an executor of that name is still being deleted, or the store holds MAX_EXECUTORS executors already",
        ),
      },
    },
  },
  "/api/v1/executors/{idOrName}": {
    parameters: [idOrName],
    get: {
      operationId: "getExecutor",
      summary: "Get an executor",
      responses: { "200": ok("The executor", executorAnswer), "404": EXECUTOR_NOT_FOUND },
    },
    put: {
      operationId: "updateExecutor",
      summary: "Change an executor (fields given are merged into its configuration)",
      requestBody: executorBody(ref("ExecutorConfig")),
      responses: {
        "200": ok("Changed", executorAnswer),
        ...withBody,
        "503": busyWithBody(
          `other updates of the executor came first each of the three times this one was applied, or ${VALIDATION_HELD_UP}`,
        ),
        "404": EXECUTOR_NOT_FOUND,
      },
    },
    delete: {
      operationId: "deleteExecutor",
      summary: "Delete an executor",
      parameters: [
        queryParam("force", `Also delete its pending and running tasks. ${BOOLEAN_QUERY}`, {
          type: "boolean",
        }),
      ],
      responses: {
        "204": noContent,
        "400": BAD,
        "404": NOT_FOUND,
        "409": problem(
          "Tasks are pending or in progress, or schedules create its tasks, and force was not given",
        ),
      },
    },
  },
  "/api/v1/executors/{idOrName}/dlq": {
    parameters: [idOrName],
    get: {
      operationId: "listExecutorDlq",
      summary: "List the dead letter queue of one executor, newest first",
      parameters: [reason, cursor, limit],
      responses: {
        "200": ok("A page", entriesPage),
        "400": BAD,
        "404": NOT_FOUND,
        "503": READS_WAITING,
      },
    },
    delete: {
      operationId: "purgeExecutorDlq",
      summary: "Delete every dead letter of one executor",
      responses: { "200": ok("How many were deleted", deletedAnswer), "404": NOT_FOUND },
    },
  },
};
