/**
 * The OpenAPI 3.1 description of everything the HTTP app answers, served at /api/v1/openapi.json,
 * assembled from one module per API area (schemas and paths); security comes from the permission
 * table. tests/openapi_test.ts keeps it and the routes of server/http/app.ts in step.
 */
import { OPERATIONS, REST_OPERATIONS, scopesFor } from "../../auth/permissions.ts";
import { type Json, problem, PROBLEM_SCHEMAS } from "./_parts.ts";
import { DLQ_PATHS, DLQ_SCHEMAS } from "./dlq.ts";
import { EXECUTOR_PATHS, EXECUTOR_SCHEMAS } from "./executors.ts";
import { FLOW_SCHEMAS } from "./flow.ts";
import { HISTORY_PATHS, HISTORY_SCHEMAS } from "./history.ts";
import { KEY_PATHS, KEY_SCHEMAS } from "./keys.ts";
import { MANAGER_PATHS } from "./manager.ts";
import { META_PATHS, META_SCHEMAS } from "./meta.ts";
import { SCHEDULE_PATHS, SCHEDULE_SCHEMAS } from "./schedules.ts";
import { TASK_PATHS, TASK_SCHEMAS } from "./tasks.ts";
import { WORKER_PATHS, WORKER_SCHEMAS } from "./workers.ts";

const schemas: Record<string, Json> = {
  ...PROBLEM_SCHEMAS,
  ...EXECUTOR_SCHEMAS,
  ...TASK_SCHEMAS,
  ...DLQ_SCHEMAS,
  ...WORKER_SCHEMAS,
  ...KEY_SCHEMAS,
  ...HISTORY_SCHEMAS,
  ...SCHEDULE_SCHEMAS,
  ...FLOW_SCHEMAS,
  ...META_SCHEMAS,
};

const paths: Record<string, Json> = {
  ...EXECUTOR_PATHS,
  ...TASK_PATHS,
  ...DLQ_PATHS,
  ...HISTORY_PATHS,
  ...WORKER_PATHS,
  ...KEY_PATHS,
  ...MANAGER_PATHS,
  ...SCHEDULE_PATHS,
  ...META_PATHS,
};

// Any operation may also answer an error not listed for it (405, 413, 500, 503…): always problem+json.
// Who may call each operation comes from the one permission table (server/auth/permissions.ts).
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
    // Optional where a request with no credential at all is answered (for nobody).
    const anonymous = id !== undefined && OPERATIONS[id].anonymous;
    described.security = anonymous ? [{ bearerAuth: [] }, {}] : [{ bearerAuth: [] }];
    described["x-scopes"] = scopes;
    described.responses["401"] = problem(
      anonymous
        ? "An API key that is malformed, unknown or revoked, or a session that ended"
        : "No API key, or one that is malformed, unknown or revoked",
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
      "Request bodies accept snake_case keys too (user data is left as it is). " +
      "A member name given twice in one object of a body, at any depth, is a 400 naming it. " +
      "Every route answers 400 to a Host that is no host with an optional port, and 421 to a " +
      "Host the manager does not answer to (ALLOWED_HOSTS).",
  },
  paths,
  security: [{ bearerAuth: [] }],
  components: { schemas, securitySchemes },
};
