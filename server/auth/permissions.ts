/**
 * Who may call what, in one table: every REST operation and gRPC method names an operation, each
 * operation names the scopes that allow it, and keys limited to executors reach only those.
 */
import { PermissionDeniedError } from "../domain/errors.ts";
import type { Principal, Scope } from "./scopes.ts";

/**
 * How far a scope grants an operation: on every executor, or only on the executors its key is
 * limited to (`Principal.executors`; a key limited to none reaches every executor).
 */
export type Reach = "all" | "own";

/** One operation: who may do it, and whether it changes state (then it is audited). */
export interface OperationRule {
  /** What it does, as a denial message says it ("create tasks"). */
  what: string;
  /** Open to anyone, with or without a key. */
  open: boolean;
  /**
   * Reached by a request with no credential at all (no key, no session cookie), which the route
   * answers for nobody; a credential that fails is still refused (401), and a caller with one
   * still needs a scope. Only `session.read`: the admin page asks it on a first visit, before a
   * login, and a 401 there was an error in every browser console.
   */
  anonymous: boolean;
  /** Whether it changes state: each such call is logged with the caller's key id and name. */
  changes: boolean;
  /** The scopes that allow it, and how far. */
  scopes: Partial<Record<Scope, Reach>>;
}

const rule = (
  what: string,
  scopes: Partial<Record<Scope, Reach>>,
  options: { changes?: boolean; open?: boolean; anonymous?: boolean } = {},
): OperationRule => ({
  what,
  scopes: { admin: "all", ...scopes },
  changes: options.changes ?? false,
  open: options.open ?? false,
  anonymous: options.anonymous ?? false,
});

/** Every operation and its rule. */
export const OPERATIONS = {
  "public": rule("read public resources", {}, { open: true }),
  "session": rule("log in to and out of the admin page", {}, { open: true }),
  "session.read": rule("read what its own key may do", {
    producer: "all",
    worker: "all",
    read: "all",
    metrics: "all",
  }, { anonymous: true }),
  "executors.read": rule("read executors", { read: "all", producer: "own", worker: "own" }),
  "executors.write": rule("create or change executors", { worker: "own" }, { changes: true }),
  "executors.delete": rule("delete executors", {}, { changes: true }),
  "tasks.create": rule("create tasks", { producer: "own" }, { changes: true }),
  "tasks.read": rule("read tasks", { read: "all", producer: "own" }),
  // The producer's stream: whoever may create tasks or read them opens it; each request is then
  // checked, and each create audited, as its own call would be (`tasks.create` per create,
  // `tasks.read` per wait). Opening it changes nothing: a read key stays read-only.
  "tasks.produce": rule("create tasks or wait for them on the producer stream", {
    read: "all",
    producer: "own",
  }),
  "tasks.write": rule("change or cancel tasks", {}, { changes: true }),
  "dlq.read": rule("read the dead letter queue", { read: "all" }),
  "dlq.write": rule("requeue or delete dead tasks", {}, { changes: true }),
  "stats.read": rule("read task figures", { read: "all" }),
  "workers.read": rule("read connected workers", { read: "all" }),
  "events.read": rule("follow live events", { read: "all" }),
  "metrics.read": rule("read metrics", { read: "all", metrics: "all" }),
  "keys.manage": rule("manage API keys", {}, { changes: true }),
  "schedules.read": rule("read schedules", { read: "all", producer: "own" }),
  "schedules.write": rule(
    "create, change, pause, resume, trigger or delete schedules",
    { producer: "own" },
    { changes: true },
  ),
  "worker.work": rule("take and settle tasks", { worker: "own" }, { changes: true }),
} as const satisfies Record<string, OperationRule>;

/** An operation id, e.g. `tasks.create`. */
export type Operation = keyof typeof OPERATIONS;

/**
 * Each REST operation by method and path as the OpenAPI document writes it (`{param}`).
 * `HEAD` is answered as `GET`.
 */
export const REST_OPERATIONS: Readonly<Record<string, Operation>> = {
  "GET /api/v1/executors": "executors.read",
  "POST /api/v1/executors": "executors.write",
  "GET /api/v1/executors/{idOrName}": "executors.read",
  "PUT /api/v1/executors/{idOrName}": "executors.write",
  "DELETE /api/v1/executors/{idOrName}": "executors.delete",
  "GET /api/v1/executors/{idOrName}/dlq": "dlq.read",
  "DELETE /api/v1/executors/{idOrName}/dlq": "dlq.write",
  "GET /api/v1/tasks": "tasks.read",
  "POST /api/v1/tasks": "tasks.create",
  "POST /api/v1/tasks/batch": "tasks.create",
  "DELETE /api/v1/tasks": "tasks.write",
  "POST /api/v1/tasks/cancel": "tasks.write",
  "POST /api/v1/tasks/retry": "tasks.write",
  "GET /api/v1/tasks/{id}": "tasks.read",
  "GET /api/v1/tasks/watch": "tasks.read",
  "GET /api/v1/tasks/search": "tasks.read",
  "DELETE /api/v1/tasks/{id}": "tasks.write",
  "PUT /api/v1/tasks/{id}/status": "tasks.write",
  "POST /api/v1/tasks/{id}/cancel": "tasks.write",
  "GET /api/v1/dlq": "dlq.read",
  "DELETE /api/v1/dlq": "dlq.write",
  "POST /api/v1/dlq/requeue": "dlq.write",
  "GET /api/v1/dlq/{id}": "dlq.read",
  "POST /api/v1/dlq/{id}/requeue": "dlq.write",
  "DELETE /api/v1/dlq/{id}": "dlq.write",
  "GET /api/v1/stats": "stats.read",
  "GET /api/v1/history": "stats.read",
  "GET /api/v1/workers": "workers.read",
  "GET /api/v1/events": "events.read",
  "GET /api/v1/keys": "keys.manage",
  "POST /api/v1/keys": "keys.manage",
  "DELETE /api/v1/keys/{id}": "keys.manage",
  "GET /api/v1/schedules": "schedules.read",
  "POST /api/v1/schedules": "schedules.write",
  "POST /api/v1/schedules/preview": "schedules.read",
  "GET /api/v1/schedules/{idOrName}": "schedules.read",
  "PUT /api/v1/schedules/{idOrName}": "schedules.write",
  "DELETE /api/v1/schedules/{idOrName}": "schedules.write",
  "POST /api/v1/schedules/{idOrName}/pause": "schedules.write",
  "POST /api/v1/schedules/{idOrName}/resume": "schedules.write",
  "POST /api/v1/schedules/{idOrName}/trigger": "schedules.write",
  // It describes the API and holds no data, as gRPC server reflection does.
  "GET /api/v1/openapi.json": "public",
  // Server facts (statuses, defaults) describe the API and hold no data, as the document above.
  // The retry preview is part of configuring executors.
  "GET /api/v1/meta": "public",
  "POST /api/v1/meta/retry-delays": "executors.read",
  // Login takes the key in its body and logout needs none; any key may see what it may do.
  "POST /api/v1/session": "session",
  "GET /api/v1/session": "session.read",
  "DELETE /api/v1/session": "session",
  "GET /healthz": "public",
  "GET /readyz": "public",
  "GET /metrics": "metrics.read",
  "GET /": "public",
  "GET /admin_page.html": "public",
  "GET /static/{path}": "public",
};

/**
 * Each gRPC method by its full name (`package.Service/Method`). The health service and server
 * reflection are open and are not listed: they are not guarded.
 */
export const GRPC_OPERATIONS: Readonly<Record<string, Operation>> = {
  "taskexecutor.v1.TaskExecutorManagerService/CreateExecutor": "executors.write",
  "taskexecutor.v1.TaskExecutorManagerService/GetExecutor": "executors.read",
  "taskexecutor.v1.TaskExecutorManagerService/ListExecutors": "executors.read",
  "taskexecutor.v1.TaskExecutorManagerService/UpdateExecutor": "executors.write",
  "taskexecutor.v1.TaskExecutorManagerService/DeleteExecutor": "executors.delete",
  "taskexecutor.v1.TaskExecutorManagerService/CreateTask": "tasks.create",
  "taskexecutor.v1.TaskExecutorManagerService/CreateTasks": "tasks.create",
  "taskexecutor.v1.TaskExecutorManagerService/GetTask": "tasks.read",
  "taskexecutor.v1.TaskExecutorManagerService/ListTasks": "tasks.read",
  "taskexecutor.v1.TaskExecutorManagerService/SearchTasks": "tasks.read",
  "taskexecutor.v1.TaskExecutorManagerService/UpdateTaskStatus": "tasks.write",
  "taskexecutor.v1.TaskExecutorManagerService/CancelTask": "tasks.write",
  "taskexecutor.v1.TaskExecutorManagerService/WatchTasks": "tasks.read",
  // It answers only the task it created: what may create a task may read it.
  "taskexecutor.v1.TaskExecutorManagerService/CreateAndWatchTask": "tasks.create",
  // CreateTask, CreateAndWatchTask and WatchTasks as messages on one stream.
  "taskexecutor.v1.TaskExecutorManagerService/Produce": "tasks.produce",
  "taskexecutor.v1.TaskExecutorManagerService/ListDlq": "dlq.read",
  "taskexecutor.v1.TaskExecutorManagerService/GetDlqEntry": "dlq.read",
  "taskexecutor.v1.TaskExecutorManagerService/RequeueDlqEntry": "dlq.write",
  "taskexecutor.v1.TaskExecutorManagerService/DeleteDlqEntry": "dlq.write",
  "taskexecutor.v1.TaskExecutorManagerService/PurgeDlq": "dlq.write",
  "taskexecutor.v1.TaskExecutorManagerService/RequeueDlq": "dlq.write",
  "taskexecutor.v1.TaskExecutorManagerService/GetStats": "stats.read",
  "taskexecutor.v1.TaskExecutorManagerService/ListWorkers": "workers.read",
  "taskexecutor.v1.TaskExecutorManagerService/CreateKey": "keys.manage",
  "taskexecutor.v1.TaskExecutorManagerService/ListKeys": "keys.manage",
  "taskexecutor.v1.TaskExecutorManagerService/RevokeKey": "keys.manage",
  "taskexecutor.v1.TaskExecutorManagerService/DeleteTasks": "tasks.write",
  "taskexecutor.v1.TaskExecutorManagerService/CancelTasks": "tasks.write",
  "taskexecutor.v1.TaskExecutorManagerService/RetryTasks": "tasks.write",
  "taskexecutor.v1.TaskExecutorManagerService/CreateSchedule": "schedules.write",
  "taskexecutor.v1.TaskExecutorManagerService/ListSchedules": "schedules.read",
  "taskexecutor.v1.TaskExecutorManagerService/GetSchedule": "schedules.read",
  "taskexecutor.v1.TaskExecutorManagerService/UpdateSchedule": "schedules.write",
  "taskexecutor.v1.TaskExecutorManagerService/DeleteSchedule": "schedules.write",
  "taskexecutor.v1.TaskExecutorManagerService/PauseSchedule": "schedules.write",
  "taskexecutor.v1.TaskExecutorManagerService/ResumeSchedule": "schedules.write",
  "taskexecutor.v1.TaskExecutorManagerService/TriggerSchedule": "schedules.write",
  "taskexecutor.v1.TaskExecutorManagerService/PreviewSchedule": "schedules.read",
  "taskexecutor.v1.TaskExecutorManagerService/GetHistory": "stats.read",
  "taskexecutor.v1.TaskExecutorService/Work": "worker.work",
  "taskexecutor.v1.TaskExecutorService/GetNextTask": "worker.work",
  "taskexecutor.v1.TaskExecutorService/ReportResults": "worker.work",
  // The original system's interface (server/grpc/legacy_service.ts), on the same operations.
  "taskexecutor.TaskExecutorManager/AddTask": "tasks.create",
  "taskexecutor.TaskExecutorManager/GetTaskStatus": "tasks.read",
  "taskexecutor.TaskExecutorManager/RegisterExecutor": "executors.write",
  "taskexecutor.TaskExecutorManager/GetNextTask": "worker.work",
  "taskexecutor.TaskExecutorManager/UpdateTaskStatus": "worker.work",
  "taskexecutor.TaskExecutorManager/CreateExecutor": "executors.write",
  "taskexecutor.TaskExecutorManager/UpdateExecutor": "executors.write",
  "taskexecutor.TaskExecutorManager/GetExecutor": "executors.read",
  "taskexecutor.TaskExecutorManager/ListExecutors": "executors.read",
  "taskexecutor.TaskExecutorManager/DeleteExecutor": "executors.delete",
};

/** The scopes that allow `operation`, most powerful first (empty for an open one). */
export function scopesFor(operation: Operation): Scope[] {
  return Object.keys(OPERATIONS[operation].scopes) as Scope[];
}

function keyOf(caller: Principal): string {
  return `Key "${caller.keyName}" (${caller.keyId})`;
}

/**
 * Checks that `caller` may perform `operation` at all (executor limits are checked later, by
 * `assertExecutor` or `executorsWithin`, where the executor is known). Open operations allow
 * anyone.
 *
 * @throws {PermissionDeniedError} naming the scopes that would allow it
 * @example
 * ```ts
 * import { authorize } from "./permissions.ts";
 * import { ANONYMOUS_ADMIN } from "./scopes.ts";
 * authorize(ANONYMOUS_ADMIN, "tasks.create"); // passes: admin may do everything
 * ```
 */
export function authorize(caller: Principal, operation: Operation): void {
  const rule: OperationRule = OPERATIONS[operation];
  if (rule.open || caller.scopes.some((scope) => rule.scopes[scope] !== undefined)) return;
  throw new PermissionDeniedError(
    `${keyOf(caller)} may not ${rule.what}: that needs scope ${
      scopesFor(operation).join(" or ")
    }, the key has ${caller.scopes.length > 0 ? caller.scopes.join(", ") : "no scope"}`,
  );
}

/**
 * The executors `caller` reaches with `operation`: `null` for every executor, otherwise the names
 * (empty when no scope of the caller allows the operation).
 *
 * @example
 * ```ts
 * import { executorsWithin } from "./permissions.ts";
 * const worker = { keyId: "k1", keyName: "mailer", scopes: ["worker"] as const, executors: ["send_email"] };
 * executorsWithin(worker, "worker.work"); // ["send_email"]
 * executorsWithin(worker, "tasks.read"); // []
 * ```
 */
export function executorsWithin(
  caller: Principal,
  operation: Operation,
): readonly string[] | null {
  const rule: OperationRule = OPERATIONS[operation];
  let own = false;
  for (const scope of caller.scopes) {
    const reach = rule.scopes[scope];
    if (reach === "all") return null;
    if (reach === "own") own = true;
  }
  if (!own) return [];
  return caller.executors === null ? null : caller.executors;
}

/** Whether `caller` may perform `operation` on executor `executorName`. */
export function reaches(caller: Principal, operation: Operation, executorName: string): boolean {
  const within = executorsWithin(caller, operation);
  return within === null || within.includes(executorName);
}

/**
 * Checks that `caller` may perform `operation` on a resource it named by id or name (a task, an
 * executor, a schedule) that belongs to executor `executorName`. One the caller's key does not
 * reach is answered as one that does not exist (`missing()`): a 403 naming the executor told a key
 * limited to other executors that the id or name was taken, and by which executor.
 *
 * @throws {PermissionDeniedError} when no scope of the caller allows the operation at all
 * @throws the error `missing` makes, when the key does not reach `executorName`
 * @example
 * ```ts ignore
 * assertFound(caller, "executors.read", executor.name, () => executorMissing(idOrName));
 * ```
 */
export function assertFound(
  caller: Principal,
  operation: Operation,
  executorName: string,
  missing: () => Error,
): void {
  if (reaches(caller, operation, executorName)) return;
  authorize(caller, operation);
  throw missing();
}

/**
 * Checks that `caller` may perform `operation` on executor `executorName` (`""` when the request
 * named none: allowed only to callers not limited to executors).
 *
 * @param options.pointer JSON pointer of the field that named the executor, in the service's
 *   request shape (adapters move it to their own with `movePointers`)
 * @throws {PermissionDeniedError} naming the executors the key is limited to
 * @example
 * ```ts ignore
 * assertExecutor(caller, "tasks.create", input.executorName, { pointer: "/task/executorName" });
 * ```
 */
export function assertExecutor(
  caller: Principal,
  operation: Operation,
  executorName: string,
  options: { pointer?: string } = {},
): void {
  if (reaches(caller, operation, executorName)) return;
  authorize(caller, operation);
  const within = executorsWithin(caller, operation) ?? [];
  const limit = within.length > 0 ? within.map((name) => `"${name}"`).join(", ") : "no executor";
  const target = executorName === "" ? "without naming one" : `for "${executorName}"`;
  throw new PermissionDeniedError(
    `${keyOf(caller)} is limited to ${limit}: it may not ${OPERATIONS[operation].what} ${target}`,
    { field: options.pointer },
  );
}
