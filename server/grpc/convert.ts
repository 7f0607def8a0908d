/**
 * Domain objects ↔ proto messages of the management API: `Timestamp`s and `Duration`s, JSON values as
 * `google.protobuf.Value`, enums and proto3 defaults. Holds no rules: what it reads is handed to the service, which validates it.
 */
import type {
  DlqEntryMessage,
  ExecutorConfigMessage,
  ExecutorMessage,
  NewTaskMessage,
  RateLimitMessage,
  RetryPolicyMessage,
  TaskMessage,
} from "@tasks-executor/proto";
import {
  durationFromMs,
  ENUM_PREFIX,
  enumNames,
  fromEnum,
  jsonFromValue,
  msFromTimestamp,
  type TimeMessage,
  timeProblem,
  timestampFromMs,
  toEnum,
  valueBytesOf,
  type ValueField,
} from "@tasks-executor/proto";
import { type FieldViolation, InvalidArgumentError } from "../domain/errors.ts";
import type { ApiKey } from "../auth/keys.ts";
import type { Executor } from "../domain/executor.ts";
import { MAX_TIME_MS } from "../domain/limits.ts";
import type { RateLimit } from "../domain/flow.ts";
import type { DlqEntry } from "../domain/dlq.ts";
import type { Task } from "../domain/task.ts";
import { noWorkers, type Served, type WorkerSnapshot } from "../engine/workers.ts";
import type { ExecutorTaskStats } from "../store/store.ts";

type Obj = Record<string, unknown>;

/**
 * Reads a `google.protobuf.Value` field: unset gives `undefined`, anything else its JSON value.
 * Nesting deeper than `maxDepth` is pushed as a violation naming the spot (and gives `undefined`);
 * everything else about the value is the service's to judge.
 */
export function jsonField(
  value: ValueField | null | undefined,
  pointer: string,
  context: { maxDepth: number; violations: FieldViolation[] },
): unknown {
  if (value === undefined || value === null) return undefined;
  return jsonFromValue(value, { pointer, maxDepth: context.maxDepth }, context.violations);
}

/**
 * What a `Timestamp` before the Unix epoch is told: the manager takes times from 1970 on (the
 * service's own refusal, `TIME_FORMAT_MESSAGE`, words REST's forms, RFC 3339 text or epoch
 * milliseconds, which a gRPC client does not send). A year past 9999 is `timeProblem`'s.
 */
export const TIMESTAMP_RANGE_MESSAGE =
  `Must be a Timestamp from 1970-01-01T00:00:00Z (seconds 0) to ${
    new Date(MAX_TIME_MS).toISOString()
  }`;

/**
 * The ms of a received `Timestamp` field; `undefined` when unset. A message the well-known type
 * does not allow (`timeProblem`: nanos past a second, a year past 9999) is refused rather than
 * read as some other time, and so is a time before 1970, which the manager does not take
 * (`TIMESTAMP_RANGE_MESSAGE`).
 *
 * @throws {InvalidArgumentError} naming `field`
 */
export function timestampField(time: TimeMessage | null | undefined, field: string) {
  const ms = timeField(time, field, "timestamp");
  if (ms !== undefined && ms < 0) {
    throw InvalidArgumentError.listing("Invalid timestamp", [
      { field, message: TIMESTAMP_RANGE_MESSAGE },
    ]);
  }
  return ms;
}

/**
 * The ms of a received `Duration` field; `undefined` when unset.
 *
 * @throws {InvalidArgumentError} naming `field` for a message duration.proto does not allow
 */
export function durationField(time: TimeMessage | null | undefined, field: string) {
  return timeField(time, field, "duration");
}

/**
 * The ms of a received `Duration` of an executor configuration, a fraction of a ms kept (`nanos`
 * 500 is 0.0005), for `parseExecutorConfig` to refuse as it refuses it over REST rather than
 * read it as a shorter time; `undefined` when unset.
 *
 * @throws {InvalidArgumentError} naming `field` for a message duration.proto does not allow
 */
export function configDurationField(
  time: TimeMessage | null | undefined,
  field: string,
): number | undefined {
  timeField(time, field, "duration");
  if (!time) return undefined;
  return Number(time.seconds ?? 0) * 1000 + Number(time.nanos ?? 0) / 1e6;
}

function timeField(
  time: TimeMessage | null | undefined,
  field: string,
  kind: "timestamp" | "duration",
): number | undefined {
  const problem = timeProblem(time, kind);
  if (problem) {
    // "Invalid timestamp: /createdAfter: Nanos must be 0 to 999999999", as every list of them.
    throw InvalidArgumentError.listing(`Invalid ${kind}`, [
      { field, message: `${problem[0].toUpperCase()}${problem.slice(1)}` },
    ]);
  }
  return msFromTimestamp(time);
}

/**
 * The lowercase names of a repeated enum field: every one of the gRPC services reads its lists
 * through this (`status` of the lists, searches and bulk calls, `UpdateTaskStatus`'s `from`,
 * `CreateKey`'s `scopes`), so that one rule answers them all alike. Its zero value
 * (`<PREFIX>UNSPECIFIED`) is no value of the list: proto3 sends "every value" as an empty list, so
 * a 0 in it is a client's mistake (an SDK that mapped a name it did not know to 0), and reading it
 * as "no filter" would widen the call. It is refused, naming its place (`/status/1`), before
 * anything is read or changed, and so is a number the proto does not declare (the service would
 * name the REST parameter, `status`, not the place), and so is a value named again, by its enum
 * value name (`/status/1: Must not repeat TASK_STATUS_FAILED`), so that one list's faults are all
 * named by place. A list longer than the values the enum declares
 * repeats one: it is refused whole, naming the field, so that the answer stays as small as a list
 * allowed.
 *
 * @throws {InvalidArgumentError} naming each zero, unknown number or repeat in the list, or the
 *   list
 */
export function enumListField(
  prefix: string,
  values: readonly (string | number)[] | null | undefined,
  pointer: string,
  what: string,
): string[] {
  const most = enumNames(prefix).length;
  if ((values?.length ?? 0) > most) {
    throw InvalidArgumentError.listing(what, [{
      field: pointer,
      message: `Must name each value at most once: at most ${most}, not ${values!.length}`,
    }]);
  }
  const violations: FieldViolation[] = [];
  const seen = new Set<string>();
  const names = (values ?? []).map((value, i) => {
    const name = fromEnum(prefix, value);
    // Decoded with `enums: String`, a value the proto declares arrives as its name.
    if (name !== undefined && typeof value !== "number") {
      if (seen.has(name)) {
        violations.push({
          field: `${pointer}/${i}`,
          message: `Must not repeat ${prefix}${name.toUpperCase()}`,
        });
      }
      seen.add(name);
      return name;
    }
    violations.push({
      field: `${pointer}/${i}`,
      message: name === undefined
        ? `Must not be ${prefix}UNSPECIFIED (an empty list is every value)`
        : `Must be one of ${
          enumNames(prefix).map((known) => prefix + known.toUpperCase()).join(", ")
        }, not ${value}`,
    });
    return "";
  });
  if (violations.length > 0) throw InvalidArgumentError.listing(what, violations);
  return names;
}

/** Throws one INVALID_ARGUMENT naming every JSON value that could not be read. */
export function assertJsonFields(violations: FieldViolation[]): void {
  if (violations.length === 0) return;
  throw InvalidArgumentError.listing("Invalid JSON value", violations);
}

/**
 * Reads an `ExecutorConfig` message into the untrusted input `parseExecutorConfig` takes (domain
 * names: `interval`, `maxInterval`, `timeout` in ms, `taskSchema` as a value). Only fields the
 * caller set are copied, so that a create gets the defaults for the rest and an update keeps them.
 *
 * What counts as "set", given proto3:
 * - Fields with presence: `enabled`, `max_concurrency` and `retry_policy.jitter` (`optional`:
 *   sent 0 sets 0, "unlimited" and "no jitter"), the sub-messages `write_concern`,
 *   `retry_policy`, `dlq_config` (absent = keep all of their fields), and the durations
 *   `timeout`, `retry_policy.interval`, `retry_policy.max_interval` (a zero duration sets 0).
 * - Scalars without presence: zero or empty means "not set" — the proto's own convention
 *   (`0 = unset`). Only fields whose 0 is no value of theirs are such (`max_attempts`,
 *   `multiplier`, the enums, `name`, `queue_name`). A `double` (`multiplier`, `jitter`) sent as
 *   NaN or ±Infinity is no 0: it is handed on, and refused naming its pointer
 *   (`/config/retryPolicy/multiplier: Must be a number`) rather than read as "not set".
 * - `dlq_config.enabled` has no presence of its own: when `dlq_config` is sent, its `enabled` is
 *   taken as given (false included); otherwise the DLQ could never be turned off over gRPC.
 * - `task_schema`: unset = keep; a null value removes the schema.
 * - Flow control: `rate_limit` and `rate_limit_per_key` are read as `rateLimitFromMessage` says;
 *   `max_concurrency_per_key` and `group_key_pointer` are `optional` (0 and "" remove them).
 *
 * @throws {InvalidArgumentError} when `task_schema` nests deeper than `maxDepth`
 */
export function executorConfigFromMessage(
  message: ExecutorConfigMessage | null | undefined,
  options: { maxDepth: number },
): Obj {
  const config: Obj = {};
  if (!message) return config;
  if (message.name) config.name = message.name;
  if (message.enabled !== undefined && message.enabled !== null) config.enabled = message.enabled;
  if (message.writeConcern) {
    const level = fromEnum(ENUM_PREFIX.writeConcernLevel, message.writeConcern.level);
    config.writeConcern = level ? { level } : {};
  }
  if (message.retryPolicy) config.retryPolicy = retryPolicyFromMessage(message.retryPolicy);
  if (message.dlqConfig) {
    const dlq: Obj = { enabled: message.dlqConfig.enabled ?? false };
    if (message.dlqConfig.queueName) dlq.queueName = message.dlqConfig.queueName;
    config.dlqConfig = dlq;
  }
  const violations: FieldViolation[] = [];
  const schema = jsonField(message.taskSchema, "/config/taskSchema", {
    maxDepth: options.maxDepth,
    violations,
  });
  assertJsonFields(violations);
  if (schema !== undefined) config.taskSchema = schema;
  const timeout = configDurationField(message.timeout, "/config/timeout");
  if (timeout !== undefined) config.timeout = timeout;
  if (message.maxConcurrency !== undefined && message.maxConcurrency !== null) {
    config.maxConcurrency = message.maxConcurrency;
  }
  if (message.rateLimit) {
    config.rateLimit = rateLimitFromMessage(message.rateLimit, "/config/rateLimit");
  }
  if (message.rateLimitPerKey) {
    config.rateLimitPerKey = rateLimitFromMessage(
      message.rateLimitPerKey,
      "/config/rateLimitPerKey",
    );
  }
  if (message.maxConcurrencyPerKey !== undefined && message.maxConcurrencyPerKey !== null) {
    config.maxConcurrencyPerKey = message.maxConcurrencyPerKey;
  }
  if (message.groupKeyPointer !== undefined && message.groupKeyPointer !== null) {
    config.groupKeyPointer = message.groupKeyPointer;
  }
  return config;
}

/**
 * Reads a `RateLimit` message into the domain's input shape (`parseFlowControl` judges it):
 * `limit` as sent (so `limit` 0 alone removes the limit), `period` in ms when set (unset = the
 * default 1 s), `burst` when not 0 (0 = the default, `limit`).
 */
function rateLimitFromMessage(message: Partial<RateLimitMessage>, pointer: string): Obj {
  const rate: Obj = { limit: message.limit ?? 0 };
  const period = configDurationField(message.period, `${pointer}/period`);
  if (period !== undefined) rate.period = period;
  if (message.burst) rate.burst = message.burst;
  return rate;
}

function rateLimitToMessage(rate: RateLimit | null): RateLimitMessage | null {
  return rate && { limit: rate.limit, period: durationFromMs(rate.period), burst: rate.burst };
}

function retryPolicyFromMessage(message: Partial<RetryPolicyMessage>): Obj {
  const policy: Obj = {};
  const type = fromEnum(ENUM_PREFIX.retryPolicyType, message.type);
  if (type) policy.type = type;
  if (message.maxAttempts) policy.maxAttempts = message.maxAttempts;
  const interval = configDurationField(message.interval, "/config/retryPolicy/interval");
  if (interval !== undefined) policy.interval = interval;
  const maxInterval = configDurationField(message.maxInterval, "/config/retryPolicy/maxInterval");
  if (maxInterval !== undefined) policy.maxInterval = maxInterval;
  // A double may carry NaN and ±Infinity, and NaN is falsy: only 0 (or -0) is "not set". The
  // others go on for `parseExecutorConfig` to refuse (`Must be a number`), as over REST.
  const multiplier = message.multiplier;
  if (multiplier !== undefined && multiplier !== null && multiplier !== 0) {
    policy.multiplier = multiplier;
  }
  // -0 is 0: no jitter, stored and answered as 0.
  if (message.jitter !== undefined && message.jitter !== null) {
    policy.jitter = message.jitter === 0 ? 0 : message.jitter;
  }
  return policy;
}

/** An executor as a proto message. */
export function executorToMessage(executor: Executor): ExecutorMessage {
  const policy = executor.retryPolicy;
  return {
    id: executor.id,
    name: executor.name,
    enabled: executor.enabled,
    writeConcern: { level: toEnum(ENUM_PREFIX.writeConcernLevel, executor.writeConcern.level) },
    retryPolicy: {
      type: toEnum(ENUM_PREFIX.retryPolicyType, policy.type),
      maxAttempts: policy.maxAttempts,
      interval: durationFromMs(policy.interval),
      maxInterval: durationFromMs(policy.maxInterval),
      multiplier: policy.multiplier,
      jitter: policy.jitter,
    },
    dlqConfig: { enabled: executor.dlqConfig.enabled, queueName: executor.dlqConfig.queueName },
    taskSchema: valueBytesOf(executor.taskSchema),
    timeout: durationFromMs(executor.timeout)!,
    maxConcurrency: executor.maxConcurrency,
    createdAt: timestampFromMs(executor.createdAt)!,
    updatedAt: timestampFromMs(executor.updatedAt)!,
    rateLimit: rateLimitToMessage(executor.rateLimit),
    rateLimitPerKey: rateLimitToMessage(executor.rateLimitPerKey),
    maxConcurrencyPerKey: executor.maxConcurrencyPerKey,
    groupKeyPointer: executor.groupKeyPointer ?? "",
  };
}

/**
 * Reads a `NewTask` message into the untrusted input `Service.createTask` takes. `run_at` 0 and
 * empty `idempotency_key` and `group_key` mean "not set"; unset `data` means no data (`null`).
 *
 * @param pointer JSON pointer of this task in the request (`/task`, `/tasks/3`), for errors
 */
export function newTaskFromMessage(
  message: NewTaskMessage | null | undefined,
  pointer: string,
  context: { maxDepth: number; violations: FieldViolation[] },
): Obj {
  if (!message) return {};
  const input: Obj = { executorName: message.executorName };
  const data = jsonField(message.data, `${pointer}/data`, context);
  if (data !== undefined) input.data = data;
  if (message.metadata && Object.keys(message.metadata).length > 0) {
    input.metadata = message.metadata;
  }
  if (message.priority) input.priority = message.priority;
  const runAt = timestampField(message.runAt, `${pointer}/runAt`);
  if (runAt !== undefined) input.runAt = runAt;
  if (message.idempotencyKey) input.idempotencyKey = message.idempotencyKey;
  if (message.groupKey) input.groupKey = message.groupKey;
  return input;
}

/**
 * The one task of a `CreateTaskRequest` or `CreateAndWatchTaskRequest` (at `/task`), read as
 * `newTaskFromMessage` reads it.
 *
 * @throws {InvalidArgumentError} naming each JSON field (`/task/data/…`) that cannot be read
 */
export function oneNewTaskFromMessage(
  message: NewTaskMessage | null | undefined,
  maxDepth: number,
): Obj {
  const violations: FieldViolation[] = [];
  const input = newTaskFromMessage(message, "/task", { maxDepth, violations });
  assertJsonFields(violations);
  return input;
}

/**
 * The view a `CreateTasksRequest` asks for: `"full"` when unset, `"basic"` or `"full"` as named.
 *
 * @throws {InvalidArgumentError} naming `/view` for a value the proto does not declare
 */
export function taskViewOf(view: string | number | null | undefined): "basic" | "full" {
  const name = fromEnum(ENUM_PREFIX.taskView, view) ?? "full";
  if (name === "basic" || name === "full") return name;
  throw InvalidArgumentError.listing("Invalid view", [
    { field: "/view", message: `Must be one of TASK_VIEW_BASIC, TASK_VIEW_FULL, not ${name}` },
  ]);
}

/** A task as a proto message; times not reached yet are 0, absent strings empty. */
export function taskToMessage(task: Task): TaskMessage {
  return taskMessage(task, true);
}

/**
 * A task `CreateTasks` just created, in its `TASK_VIEW_BASIC` answer: `taskToMessage` without
 * `data`, `metadata`, `result` and `progress` (left unset: the producer sent the first two, and a
 * new task has neither of the others), which are most of what a small task costs to encode.
 */
export function createdTaskToBasicMessage(task: Task): TaskMessage {
  return taskMessage(task, false);
}

function taskMessage(task: Task, withValues: boolean): TaskMessage {
  return {
    id: task.id,
    executorName: task.executorName,
    data: withValues ? valueBytesOf(task.data) : null,
    metadata: withValues ? task.metadata : {},
    status: toEnum(ENUM_PREFIX.taskStatus, task.status),
    priority: task.priority,
    runAt: timestampFromMs(task.runAt)!,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    errors: task.errors.map((e) => ({
      attempt: e.attempt,
      message: e.message,
      at: timestampFromMs(e.at)!,
      workerId: e.workerId,
      run: e.run ?? 0,
      stack: e.stack ?? "",
      logs: e.logs ?? [],
    })),
    errorsDropped: task.errorsDropped,
    result: withValues ? valueBytesOf(task.result) : null,
    createdAt: timestampFromMs(task.createdAt)!,
    updatedAt: timestampFromMs(task.updatedAt)!,
    startedAt: timestampFromMs(task.startedAt),
    completedAt: timestampFromMs(task.completedAt),
    idempotencyKey: task.idempotencyKey ?? "",
    workerId: task.workerId ?? "",
    run: task.run,
    progress: withValues ? valueBytesOf(task.progress) : null,
    logs: task.logs,
    groupKey: task.groupKey ?? "",
    leaseExpiresAt: timestampFromMs(task.leaseExpiresAt),
  };
}

/** A DLQ entry as a proto message. */
export function dlqEntryToMessage(entry: DlqEntry): DlqEntryMessage {
  return {
    id: entry.id,
    queueName: entry.queueName,
    task: taskToMessage(entry.task),
    reason: toEnum(ENUM_PREFIX.dlqReason, entry.reason),
    deadAt: timestampFromMs(entry.deadAt)!,
    executorName: entry.executorName,
  };
}

/** Figures of one executor as an `ExecutorStats` message. */
export interface ExecutorStatsMessage {
  executorName: string;
  byStatus: Record<string, number>;
  dlqSize: number;
  workers: number;
  /** Unset when nothing is pending. */
  oldestPendingAge: TimeMessage | null;
  /** `enabled: false`: no task of it is handed out until it is resumed. */
  paused: boolean;
  /** Tasks wait with no worker of any kind serving it (`noWorkers`). */
  noWorkers: boolean;
  /** A worker without a stream polled it here within `POLL_SERVES_MS`. */
  polled: boolean;
}

/**
 * Stats of one executor as a proto message, with who serves it on this manager (`served`:
 * `servedBy`), by the rules REST's stats follow (`presentStats`).
 */
export function statsToMessage(
  stats: ExecutorTaskStats & { paused: boolean },
  options: { now: number; served: Served },
): ExecutorStatsMessage {
  const { served } = options;
  return {
    executorName: stats.executorName,
    byStatus: { ...stats.byStatus },
    dlqSize: stats.dlqSize,
    workers: served.workers.get(stats.executorName) ?? 0,
    noWorkers: noWorkers(stats, served),
    polled: served.polled.has(stats.executorName),
    oldestPendingAge: stats.oldestPendingRunAt === null
      ? null
      : durationFromMs(Math.max(0, options.now - stats.oldestPendingRunAt)),
    paused: stats.paused,
  };
}

/** A connected worker as a `WorkerInfo` message. */
export function workerToMessage(worker: WorkerSnapshot): Obj {
  return {
    workerId: worker.workerId,
    executors: worker.executors,
    sdkVersion: worker.sdkVersion,
    connectedAt: timestampFromMs(worker.connectedAt),
    lastHeartbeatAt: timestampFromMs(worker.lastHeartbeatAt),
    inFlight: worker.inFlight,
    credits: worker.credits,
    host: worker.host,
    pid: worker.pid,
    runtime: worker.runtime,
    runningTaskIds: worker.running,
    disconnectedAt: timestampFromMs(worker.disconnectedAt),
  };
}

/** An `ApiKey` message: no secret, no hash; 0 for times not set, no executors = every one. */
export function keyToMessage(key: ApiKey): Obj {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes.map((scope) => toEnum(ENUM_PREFIX.scope, scope)),
    executors: key.executors ?? [],
    createdAt: timestampFromMs(key.createdAt),
    lastUsedAt: timestampFromMs(key.lastUsedAt),
    revokedAt: timestampFromMs(key.revokedAt),
  };
}
