/**
 * The OpenAPI description of the server facts: the ServerFacts schema and the `/api/v1/meta` paths
 * (facts, retry delay preview).
 */
import { DLQ_REASONS } from "../../domain/dlq.ts";
import { RETRY_TYPES, WRITE_CONCERN_LEVELS } from "../../domain/executor.ts";
import { TASK_STATUSES } from "../../domain/task.ts";
import { type Json, ok, ref, withBody } from "./_parts.ts";

const list = (values: readonly string[], description: string) => ({
  type: "array",
  items: { enum: [...values] },
  description,
});

/** Schemas of the server facts (components). */
export const META_SCHEMAS: Record<string, Json> = {
  ServerFacts: {
    type: "object",
    description: "What clients show rather than copy; durations in ms",
    required: [
      "taskStatuses",
      "dlqReasons",
      "retryPolicyTypes",
      "writeConcernLevels",
      "executorDefaults",
      "maxRetryDelayMs",
    ],
    properties: {
      taskStatuses: list(TASK_STATUSES, "Every task status, in lifecycle order"),
      dlqReasons: list(DLQ_REASONS, "Every reason a task is dead-lettered for"),
      retryPolicyTypes: list(RETRY_TYPES, "Every retry policy type"),
      writeConcernLevels: list(WRITE_CONCERN_LEVELS, "Every write concern level, weakest first"),
      executorDefaults: {
        type: "object",
        description: "What a new executor gets for every setting it leaves out (no name)",
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
      summary: "Statuses, DLQ reasons, retry types, write concerns and executor defaults",
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
