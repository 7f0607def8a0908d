/**
 * The OpenAPI description of the workers connected to a manager: the Worker schema and the
 * `/api/v1/workers` path.
 */
import {
  cursor,
  type Json,
  nullableTime,
  ok,
  pageOf,
  problem,
  queryParam,
  time,
} from "./_parts.ts";

/** Schemas of workers (components). */
export const WORKER_SCHEMAS: Record<string, Json> = {
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
};

/** The workers path. */
export const WORKER_PATHS: Record<string, Json> = {
  "/api/v1/workers": {
    get: {
      operationId: "listWorkers",
      summary:
        "A page of the workers connected to this manager and of those gone in the last 10 minutes, by worker id: up to 1,000 unless `limit` says fewer",
      parameters: [
        cursor,
        queryParam(
          "limit",
          "Most workers on the page (default 1000); a page also ends before 2 MiB of JSON (at least one worker), so it may hold fewer while `nextCursor` says more follow",
          { type: "integer", minimum: 1, maximum: 1000 },
        ),
      ],
      responses: {
        "200": ok("A page of workers", pageOf("workers", "Worker")),
        "400": problem("Bad query parameter"),
      },
    },
  },
};
