/**
 * The original system's `taskexecutor.TaskExecutorManager`, served beside `taskexecutor.v1` for
 * clients generated from its proto: each rpc is a call of the same service and engine, with the
 * original messages (JSON data as bytes, enums by the original numbering, Timestamps, Durations).
 *
 * Leases: the original `UpdateTaskStatus(id, status, error)` carries no lease token, so an old
 * client's lease is identified by who calls. `GetNextTask` claims as worker `legacy:<key id>`
 * (`legacy:anonymous` with AUTH=off) and a report is accepted only while the task is in progress
 * under a lease of that same worker id, fenced by the lease token the manager looks up. No other
 * path may use a `legacy:` id (the engine refuses them), so no other key can take this one or fill
 * its `assignmentsInFlight`.
 */
import type * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import type {
  LegacyExecutorConfigMessage,
  LegacyExecutorMessage,
  LegacySecondsMessage,
  LegacyTaskMessage,
} from "@tasks-executor/proto/legacy";
import type { Principal } from "../auth/scopes.ts";
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from "../domain/errors.ts";
import { type Executor, EXECUTOR_NAME_PATTERN, ExecutorInUseError } from "../domain/executor.ts";
import { checkedRef } from "../domain/refs.ts";
import {
  backslashNameRefused,
  countJsonValues,
  MEMBER_GIVEN_TWICE,
  ObjectShapes,
  tooManyShapes,
} from "@tasks-executor/proto/json-text";
import type { Limits } from "../domain/limits.ts";
import { movePointers } from "../domain/pointers.ts";
import { failedAttempts, type Task } from "../domain/task.ts";
import { type Engine, LEGACY_WORKER_PREFIX } from "../engine/engine.ts";
import type { Service } from "../service/service.ts";
import { log } from "../log.ts";
import { unary } from "./unary.ts";
import { parseResults } from "./worker_service.ts";

/**
 * Why `GetNextTask` hands out nothing of a paused executor, and how to resume it: the original
 * proto's `enabled` has no presence, so a `CreateExecutor` or `UpdateExecutor` that leaves it out
 * makes the executor paused (as the earlier system did: the config is taken as sent).
 */
export function pausedMessage(executorName: string): string {
  return `Executor "${executorName}" is paused (enabled: false): no task is handed out until it ` +
    `is resumed (\`executors resume ${executorName}\`, the admin page, PUT ` +
    `/api/v1/executors/${executorName} {"enabled": true}, or an UpdateExecutor with enabled: ` +
    "true; a CreateExecutor or UpdateExecutor of the original interface sets enabled to what it " +
    "sends, false when left out)";
}

/**
 * Logs that a `CreateExecutor` or `UpdateExecutor` (`call`) of the original interface made
 * `executor` paused: its config's `enabled` is false, which is also what the original proto sends
 * when the field is left out.
 */
function warnPaused(call: string, executor: Executor, caller: Principal): void {
  if (executor.enabled) return;
  log.warn(
    `Executor "${executor.name}" is paused by ${call} of the original interface: its config's ` +
      "enabled is false (what the original proto sends when it is left out); no task is " +
      "handed out until it is resumed",
    { executor: executor.name, keyId: caller.keyId },
  );
}

/**
 * Logs that a `CreateExecutor` or `UpdateExecutor` (`call`) of the original interface whose config
 * holds a `dlq_config` turned `executor`'s DLQ off: that message's `enabled` has no presence either,
 * so a `dlq_config` that leaves it out (to set only `queue_name`, say) turns the DLQ off.
 */
function warnDlqOff(
  call: string,
  sent: LegacyExecutorConfigMessage | null,
  executor: Executor,
  caller: Principal,
): void {
  if (!sent?.dlqConfig || executor.dlqConfig.enabled) return;
  log.warn(
    `The DLQ of executor "${executor.name}" is off by ${call} of the original interface: its ` +
      "dlq_config's enabled is false (what the original proto sends when it is left out); a " +
      "task out of attempts then ends failed instead of in the DLQ",
    { executor: executor.name, keyId: caller.keyId },
  );
}

/**
 * How an old client deletes an executor still in use, with its tasks and schedules: the original
 * `DeleteExecutor` has no `force`, so the calls that have one.
 */
export function forceHint(executorName: string): string {
  return "the original DeleteExecutor has no force; to delete them too, run " +
    `\`tasks-executor executors delete ${executorName} --force\`, send DELETE ` +
    `/api/v1/executors/${executorName}?force=true, or call ` +
    "taskexecutor.v1.TaskExecutorManagerService/DeleteExecutor with force: true";
}

/** The lease owner of an old client: one per API key (`legacy:anonymous` with AUTH=off). */
export function legacyWorkerId(caller: Principal): string {
  return `${LEGACY_WORKER_PREFIX}${caller.keyId}`;
}

/** Executors a `ListExecutors` page holds when `page_size` is 0, and at most. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

function invalid(field: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`Invalid field ${field}: ${message}`, [{ field, message }]);
}

/** Epoch ms as a `Timestamp`, or ms as a `Duration`; `null` stays unset. */
function secondsOf(ms: number | null): LegacySecondsMessage | null {
  if (ms === null) return null;
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Our lowercase enum value as the original proto's enum name (`exponential` → `…_EXPONENTIAL`). */
function enumName(prefix: string, value: string): string {
  return `${prefix}${value.toUpperCase()}`;
}

/**
 * The data bytes of `AddTask`: JSON text in UTF-8; empty bytes = no data (`null`). What the text
 * holds is counted on its bytes before it is parsed, as a REST body's is.
 *
 * @throws {InvalidArgumentError} naming `/data` when the bytes are not UTF-8 JSON text, or hold a
 *   member name that ends with a backslash (`endsWithBackslash`); naming the member (`/data/a`)
 *   when an object holds its name twice
 * @throws {ResourceExhaustedError} when they hold more than `limits.requestJsonValues` JSON values
 *   or `limits.requestObjectShapes` object shapes
 */
function dataFromBytes(
  bytes: Uint8Array | null | undefined,
  limits: Pick<Limits, "requestJsonValues" | "requestObjectShapes">,
): unknown {
  if (!bytes || bytes.length === 0) return null;
  const shapes = new ObjectShapes(limits.requestObjectShapes);
  if (countJsonValues(bytes, limits.requestJsonValues, shapes) > limits.requestJsonValues) {
    throw new ResourceExhaustedError(
      `/data holds more than ${limits.requestJsonValues} JSON values, the most one request may hold (MAX_REQUEST_JSON_VALUES): send less in one request`,
    );
  }
  if (shapes.past) throw new ResourceExhaustedError(tooManyShapes("/data holds", shapes.most));
  if (shapes.nameEndingInBackslash) throw invalid("/data", backslashNameRefused("It"));
  if (shapes.memberGivenTwice !== null) {
    throw invalid(`/data${shapes.memberGivenTwice}`, MEMBER_GIVEN_TWICE);
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalid("/data", `Must be JSON text in UTF-8: ${(error as Error).message}`);
  }
}

/**
 * A task as the original `Task`; `retry_count` counts failed attempts, `error` is the newest's
 * message. An attempt cut short by a move back to pending by hand did not fail: it is neither
 * counted nor the `error` (a pending task shows the failure before it, or none).
 */
function taskToLegacy(task: Task): LegacyTaskMessage {
  const failed = failedAttempts(task.errors);
  return {
    id: task.id,
    executorName: task.executorName,
    data: Buffer.from(JSON.stringify(task.data ?? null)),
    metadata: task.metadata,
    status: enumName("TASK_STATUS_", task.status),
    error: failed.at(-1)?.message ?? "",
    retryCount: failed.length + task.errorsDropped,
    createdAt: secondsOf(task.createdAt),
    updatedAt: secondsOf(task.updatedAt),
    startedAt: secondsOf(task.startedAt),
    completedAt: secondsOf(task.completedAt),
  };
}

function configToLegacy(executor: Executor): LegacyExecutorConfigMessage {
  return {
    name: executor.name,
    enabled: executor.enabled,
    writeConcern: { level: enumName("WRITE_CONCERN_LEVEL_", executor.writeConcern.level) },
    retryPolicy: {
      type: enumName("RETRY_POLICY_TYPE_", executor.retryPolicy.type),
      maxAttempts: executor.retryPolicy.maxAttempts,
      interval: secondsOf(executor.retryPolicy.interval),
    },
    dlqConfig: executor.dlqConfig,
  };
}

function executorToLegacy(executor: Executor): LegacyExecutorMessage {
  return {
    id: executor.id,
    name: executor.name,
    enabled: executor.enabled,
    config: configToLegacy(executor),
    createdAt: secondsOf(executor.createdAt),
    updatedAt: secondsOf(executor.updatedAt),
  };
}

/**
 * Reads an original `ExecutorConfig` into the untrusted input `parseExecutorConfig` takes, which
 * reads the original enum names and numbers and `Duration`s itself. `enabled` has no presence in
 * the original proto and is taken as sent, the config's and a present `dlq_config`'s alike (see
 * `warnPaused`, `warnDlqOff`); an absent sub-message, a 0 enum and a 0 `max_attempts` keep the
 * current (or default) value.
 */
function configFromLegacy(message: LegacyExecutorConfigMessage | null): Record<string, unknown> {
  if (!message) return {};
  const config: Record<string, unknown> = { enabled: message.enabled };
  if (message.name) config.name = message.name;
  if (message.writeConcern) config.writeConcern = { level: message.writeConcern.level };
  const policy = message.retryPolicy;
  if (policy) {
    const retryPolicy: Record<string, unknown> = { type: policy.type };
    if (policy.maxAttempts) retryPolicy.maxAttempts = policy.maxAttempts;
    if (policy.interval) retryPolicy.interval = policy.interval;
    config.retryPolicy = retryPolicy;
  }
  if (message.dlqConfig) {
    const dlq: Record<string, unknown> = { enabled: message.dlqConfig.enabled };
    if (message.dlqConfig.queueName) dlq.queueName = message.dlqConfig.queueName;
    config.dlqConfig = dlq;
  }
  return config;
}

/**
 * Builds the implementation of the original `TaskExecutorManager` for `grpc.Server.addService`
 * (wrapped by `guardService`, which finds the caller of each call).
 *
 * `UpdateTaskStatus` takes `COMPLETED` (the attempt succeeded, no result) and `FAILED` (the
 * attempt failed with `error`: retried by the executor's policy, then the DLQ), and
 * `IN_PROGRESS` (confirms the lease, changes nothing); any other status is INVALID_ARGUMENT. A
 * report for a task the caller holds no lease on is FAILED_PRECONDITION.
 *
 * @example
 * ```ts ignore
 * server.addService(loadLegacyProtocol().TaskExecutorManager.service, guardService({
 *   definition: loadLegacyProtocol().TaskExecutorManager.service,
 *   implementation: createLegacyService({ engine, service }),
 * }, { authenticator, streams }));
 * ```
 */
export function createLegacyService(
  deps: { engine: Engine; service: Service },
): grpc.UntypedServiceImplementation {
  const { engine, service } = deps;

  /** The lease token of a task the caller holds. @throws {FailedPreconditionError} otherwise */
  const heldToken = async (given: unknown, caller: Principal): Promise<string> => {
    const id = checkedRef("task", given, "/id");
    const token = await engine.heldLeaseToken(legacyWorkerId(caller), id, {
      caller,
      legacy: true,
    });
    if (token === null) {
      // Say what became of the task when the caller may read it: cancelled meanwhile, most often.
      const task = await service.getTask(id, { caller }).catch(() => null);
      if (task?.status === "cancelled") {
        throw new FailedPreconditionError(
          `Task "${id}" was cancelled: it is no longer in progress, and a report of it is not taken`,
        );
      }
      const now = task && task.status !== "in_progress"
        ? `: it is ${task.status === "dlq" ? "in the DLQ" : task.status}`
        : "";
      throw new FailedPreconditionError(
        `Task "${id}" is not in progress under a lease of this caller ` +
          `(${legacyWorkerId(caller)})${now}`,
      );
    }
    return token;
  };

  return {
    AddTask: unary(async (req, caller) => {
      const data = dataFromBytes(req.data, engine.limits);
      // The service names fields under /task; this request has them at the top.
      const { task } = await service.createTask(
        { executorName: req.executorName, data, metadata: req.metadata ?? {} },
        { caller },
      ).catch((error) => {
        throw movePointers(error, "/task", "");
      });
      return { task: taskToLegacy(task) };
    }),
    GetTaskStatus: unary(async (req, caller) => {
      const task = taskToLegacy(await service.getTask(req.id, { caller }));
      return { status: task.status, error: task.error };
    }),
    RegisterExecutor: unary(async (req, caller) => {
      checkedRef("executorName", req.executorName, "/executorName");
      try {
        await service.getExecutorNamed(req.executorName, { caller });
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        try {
          await service.createExecutor({ name: req.executorName }, { caller });
        } catch (error) {
          // Registered at the same moment by another client: it exists, as asked.
          if (!(error instanceof ConflictError)) {
            throw movePointers(error, "/config/name", "/executorName");
          }
        }
      }
      return { success: true };
    }),
    GetNextTask: unary(async (req, caller) => {
      checkedRef("executorName", req.executorName, "/executorName");
      // The claim names its executors as a list (`/executors/0`); this request has one field.
      const [task] = await engine.claim(legacyWorkerId(caller), [req.executorName], 1, {
        caller,
        legacy: true,
      }).catch((error) => {
        throw movePointers(error, "/executors/0", "/executorName");
      });
      if (!task) {
        // The claim checked that the executor exists and that the caller may work it.
        if ((await engine.executors.get(req.executorName))?.enabled === false) {
          throw new FailedPreconditionError(pausedMessage(req.executorName));
        }
        // No detail: an executor that does not exist is an ExecutorNotFoundError, whose NOT_FOUND
        // carries an ErrorInfo (EXECUTOR_NOT_FOUND) that tells the two apart.
        throw new NotFoundError(`No task of executor "${req.executorName}" is ready`);
      }
      return { task: taskToLegacy(task) };
    }),
    UpdateTaskStatus: unary(async (req, caller) => {
      const status = String(req.status);
      if (status === "TASK_STATUS_IN_PROGRESS") {
        await heldToken(req.id, caller);
        return { task: taskToLegacy(await service.getTask(req.id)) };
      }
      if (status !== "TASK_STATUS_COMPLETED" && status !== "TASK_STATUS_FAILED") {
        throw invalid(
          "/status",
          "Must be TASK_STATUS_COMPLETED, TASK_STATUS_FAILED or TASK_STATUS_IN_PROGRESS",
        );
      }
      const leaseToken = await heldToken(req.id, caller);
      const { results } = await parseResults(
        [{
          taskId: req.id,
          leaseToken,
          ok: status === "TASK_STATUS_COMPLETED",
          error: req.error || "Failed (no error message given)",
          retryable: true,
        }],
        { pointer: "", limits: engine.limits },
      );
      const [ack] = await engine.report(legacyWorkerId(caller), results, {
        caller,
        legacy: true,
      });
      if (!ack.accepted) throw new FailedPreconditionError(`Report refused: ${ack.error}`);
      // The report checked that the caller may work this executor: it may see the task it settled.
      return { task: taskToLegacy(await service.getTask(req.id)) };
    }),
    CreateExecutor: unary(async (req, caller) => {
      const executor = await service.createExecutor(configFromLegacy(req.config), { caller });
      warnPaused("a CreateExecutor", executor, caller);
      warnDlqOff("a CreateExecutor", req.config, executor, caller);
      return { executor: executorToLegacy(executor) };
    }),
    UpdateExecutor: unary(async (req, caller) => {
      const executor = await service.updateExecutor(req.id, configFromLegacy(req.config), {
        caller,
      });
      warnPaused("an UpdateExecutor", executor, caller);
      warnDlqOff("an UpdateExecutor", req.config, executor, caller);
      return { executor: executorToLegacy(executor) };
    }),
    GetExecutor: unary(async (req, caller) => ({
      executor: executorToLegacy(await service.getExecutor(req.id, { caller })),
    })),
    ListExecutors: unary(async (req, caller, _metadata, signal) => {
      // Pages in name order; the token is the last name of the previous page.
      const size = Number(req.pageSize ?? 0);
      if (!Number.isInteger(size) || size < 0) throw invalid("/pageSize", "Must be 0 or more");
      const limit = Math.min(size === 0 ? DEFAULT_PAGE_SIZE : size, MAX_PAGE_SIZE);
      const after = String(req.pageToken ?? "");
      if (after !== "" && !EXECUTOR_NAME_PATTERN.test(after)) {
        throw invalid("/pageToken", "Must be next_page_token of a previous page");
      }
      // A page also ends before 2 MiB, as every page of the manager's does.
      const page = await service.listExecutors({ cursor: after, limit }, { caller, signal });
      return {
        executors: page.items.map(executorToLegacy),
        nextPageToken: page.nextCursor ?? "",
      };
    }),
    DeleteExecutor: unary(async (req) => {
      await service.deleteExecutor(req.id).catch((error) => {
        // "Use force" tells an old client nothing: its request has no force.
        if (!(error instanceof ExecutorInUseError)) throw error;
        throw new ExecutorInUseError(
          error.executorName,
          error.inUse,
          forceHint(error.executorName),
        );
      });
      return {};
    }),
  };
}
