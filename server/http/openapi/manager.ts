/**
 * The OpenAPI description of the manager's own routes: the event stream, this document, health and
 * readiness, metrics, and the admin page with its files.
 */
import { type Json, NOT_FOUND, ok, pathParam, problem } from "./_parts.ts";

/** The manager's own paths. */
export const MANAGER_PATHS: Record<string, Json> = {
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
