/**
 * The OpenAPI description of task figures: the history schemas (slot, point, percentiles), the
 * per-executor stats, and the `/api/v1/stats` and `/api/v1/history` paths.
 */
import { HISTORY_COUNTS } from "../../domain/history.ts";
import { MAX_HISTORY_EXECUTORS } from "../../service/history.ts";
import {
  BAD,
  type Json,
  nullableTime,
  ok,
  problem,
  queryParam,
  ref,
  time,
  timeQuery,
} from "./_parts.ts";

/** Schemas of history and stats (components). */
export const HISTORY_SCHEMAS: Record<string, Json> = {
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
      workers: {
        type: "integer",
        description:
          "Workers connected with a stream serving this executor, through this manager or another sharing the store (another's as of its last serving report, at most 10 s old); a worker that polls is not counted: see polled",
      },
      noWorkers: {
        type: "boolean",
        description:
          "Tasks are pending, none is in progress, and no worker serves the executor: none is connected to this manager or another sharing the store, and none polled it (GetNextTask) through any of them in the last 60 s",
      },
      polled: {
        type: "boolean",
        description:
          "A worker without a stream polled the executor (a unary GetNextTask: the original interface's, or v1's), through this manager or another sharing the store, in the last 60 s: it serves the executor, and workers does not count it",
      },
      paused: {
        type: "boolean",
        description:
          "The executor is paused (enabled: false): its pending tasks wait, served or not, until it is resumed",
      },
    },
  },
};

/**
 * A read of one executor's figures naming one that does not exist (a list's filter lists none),
 * and of which nothing is kept either (a deleted executor's history rows, its tasks still counted).
 */
const NAMED_EXECUTOR_NOT_FOUND = problem(
  "No executor has the name given, and none deleted has figures kept under it",
);

/** The stats and history paths. */
export const HISTORY_PATHS: Record<string, Json> = {
  "/api/v1/stats": {
    get: {
      operationId: "getStats",
      summary: "Task figures per executor",
      parameters: [
        queryParam(
          "executorName",
          "Only this executor: one that exists, or one deleted whose tasks are still counted",
        ),
      ],
      responses: {
        "200": ok("Figures", {
          type: "object",
          properties: { executors: { type: "array", items: ref("ExecutorStats") } },
        }),
        "404": NAMED_EXECUTOR_NOT_FOUND,
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
        queryParam(
          "executorName",
          "One executor: one that exists, or one deleted whose rows are kept (until HISTORY_TTL); default: every executor summed, deleted ones' rows too",
        ),
        {
          ...queryParam(
            "executorNames",
            `Several executors, each answered apart in series, in this order: comma-separated or repeated, each once, 1 to ${MAX_HISTORY_EXECUTORS}, each one that exists or one deleted whose rows are kept; points and totals are then theirs summed. Not with executorName`,
            {
              type: "array",
              minItems: 1,
              maxItems: MAX_HISTORY_EXECUTORS,
              uniqueItems: true,
              items: { type: "string", minLength: 1 },
            },
          ),
          style: "form",
          explode: false,
        },
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
            from: time,
            to: time,
            stepMs: { type: "integer" },
            points: { type: "array", items: ref("HistoryPoint") },
            totals: ref("HistorySlot"),
            series: {
              type: "array",
              description:
                "Only with executorNames: each executor's points and totals, in the order named",
              items: {
                type: "object",
                properties: {
                  executorName: { type: "string" },
                  points: { type: "array", items: ref("HistoryPoint") },
                  totals: ref("HistorySlot"),
                },
              },
            },
          },
        }),
        "400": BAD,
        "404": NAMED_EXECUTOR_NOT_FOUND,
        "503": problem(
          "History reads take their turn with the searches that scan (MAX_SEARCHES, MAX_SEARCHES_QUEUED; half of them for a key that is not an admin key): too many run and wait already; retry after Retry-After",
        ),
      },
    },
  },
};
