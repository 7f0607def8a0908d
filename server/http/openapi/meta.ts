/**
 * The OpenAPI description of the server facts: the ServerFacts schema and the `/api/v1/meta` paths
 * (facts, retry delay preview).
 */
import { DLQ_REASONS } from "../../domain/dlq.ts";
import {
  EXECUTOR_BOUNDS,
  EXECUTOR_NAME_PATTERN,
  NAME_CHARS,
  RETRY_TYPES,
  WRITE_CONCERN_LEVELS,
} from "../../domain/executor.ts";
import { GROUP_KEY_MAX_CHARS } from "../../domain/flow.ts";
import { RUN_AGAIN_FROM, TASK_STATUSES } from "../../domain/task.ts";
import { type Json, ok, ref, withBody } from "./_parts.ts";

const list = (values: readonly string[], description: string) => ({
  type: "array",
  items: { enum: [...values] },
  description,
});

/** An object of a `NumberBound` for each of `keys`. */
const boundsOf = (keys: string[], description?: string) => ({
  type: "object",
  required: keys,
  properties: Object.fromEntries(keys.map((key) => [key, ref("NumberBound")])),
  ...(description ? { description } : {}),
});

/** Schemas of the server facts (components). */
export const META_SCHEMAS: Record<string, Json> = {
  NumberBound: {
    type: "object",
    required: ["min", "max", "integer"],
    description: "The range a number must be in: min and max included; whole when integer",
    properties: {
      min: { type: "number" },
      max: { type: "number" },
      integer: { type: "boolean" },
    },
  },
  ExecutorBounds: {
    type: "object",
    description: "The range of each numeric executor setting the manager takes (durations in " +
      "ms), the bounds of the admin page's executor form; a configuration outside them is " +
      'refused naming the field. {"limit": 0} alone removes a rate limit',
    required: Object.keys(EXECUTOR_BOUNDS),
    properties: {
      timeout: ref("NumberBound"),
      maxConcurrency: ref("NumberBound"),
      retryPolicy: boundsOf(Object.keys(EXECUTOR_BOUNDS.retryPolicy)),
      rateLimit: boundsOf(Object.keys(EXECUTOR_BOUNDS.rateLimit)),
      rateLimitPerKey: boundsOf(Object.keys(EXECUTOR_BOUNDS.rateLimitPerKey)),
      maxConcurrencyPerKey: ref("NumberBound"),
    },
  },
  ServerFacts: {
    type: "object",
    description: "What clients show rather than copy; durations in ms",
    required: [
      "taskStatuses",
      "runAgainFrom",
      "dlqReasons",
      "retryPolicyTypes",
      "writeConcernLevels",
      "executorDefaults",
      "executorBounds",
      "namePattern",
      "nameChars",
      "groupKeyChars",
      "maxRetryDelayMs",
    ],
    properties: {
      taskStatuses: list(TASK_STATUSES, "Every task status, in lifecycle order"),
      runAgainFrom: {
        ...list(
          TASK_STATUSES,
          "The `from` a run again sends with its change to pending (the admin page and the CLI " +
            "read it here): every status that may move there but a running one",
        ),
        example: [...RUN_AGAIN_FROM],
      },
      dlqReasons: list(DLQ_REASONS, "Every reason a task is dead-lettered for"),
      retryPolicyTypes: list(RETRY_TYPES, "Every retry policy type"),
      writeConcernLevels: list(WRITE_CONCERN_LEVELS, "Every write concern level, weakest first"),
      executorDefaults: {
        type: "object",
        description: "What a new executor gets for every setting it leaves out (no name)",
      },
      executorBounds: ref("ExecutorBounds"),
      namePattern: {
        type: "string",
        description: "The names of executors, DLQ queues and schedules, as a regular " +
          "expression's source (also a valid HTML pattern attribute)",
        example: EXECUTOR_NAME_PATTERN.source,
      },
      nameChars: {
        type: "string",
        description: "The name rule said for people (the admin page's hint under a name)",
        example: NAME_CHARS,
      },
      groupKeyChars: {
        type: "integer",
        description: "Most characters of an executor's groupKeyPointer, and of a group key",
        example: GROUP_KEY_MAX_CHARS,
      },
      maxRetryDelayMs: {
        type: "integer",
        description: "The longest delay before a retry, whatever the policy",
      },
    },
  },
};

/** The server facts paths. */
export const META_PATHS: Record<string, Json> = {
  "/api/v1/meta": {
    get: {
      operationId: "getServerFacts",
      summary:
        "Statuses, DLQ reasons, retry types, write concerns, executor defaults and bounds, the name pattern",
      responses: { "200": ok("The facts", ref("ServerFacts")) },
    },
  },
  "/api/v1/meta/retry-delays": {
    post: {
      operationId: "previewRetryDelays",
      summary: "The delay before each retry a retry policy gives, computed as the manager does",
      description:
        "maxAttempts - 1 delays in ms, each the longest it may be (jitter only takes off). Fields left out of retryPolicy take a new executor's defaults.",
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: {
              type: "object",
              additionalProperties: false,
              properties: { retryPolicy: ref("RetryPolicy") },
            },
          },
        },
      },
      responses: {
        "200": ok("The delays", {
          type: "object",
          properties: { delays: { type: "array", items: { type: "integer", minimum: 0 } } },
        }),
        ...withBody,
      },
    },
  },
};
