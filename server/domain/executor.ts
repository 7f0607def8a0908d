/**
 * Executors: a handler name and its isolated configuration, and the rules a configuration must
 * follow. `parseExecutorConfig` turns untrusted input into a valid configuration or names every
 * bad field.
 */
import {
  ExecutorNotFoundError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
} from "./errors.ts";
import {
  type FlowControl,
  MAX_CONCURRENCY_PER_KEY_BOUND,
  NO_FLOW_CONTROL,
  type NumberBound,
  parseFlowControl,
  RATE_LIMIT_BOUNDS,
  type RateLimit,
} from "./flow.ts";
import { INTEGER_TEXT_MESSAGE, jsonInteger } from "./json_integer.ts";
import { pointerToken } from "./json_pointer.ts";
import { DEFAULT_LIMITS } from "./limits.ts";
import {
  PROTO_ENUM_TYPE_MESSAGE,
  type ProtoEnum,
  protoEnumMessage,
  protoEnumOf,
} from "./proto_enum.ts";

/** How the delay between attempts grows. */
export type RetryType = "constant" | "linear" | "exponential";

/** How hard a task write must be persisted before it is acknowledged. */
export type WriteConcernLevel =
  | "unacknowledged"
  | "replica_acknowledged"
  | "journaled"
  | "majority";

/** Retry policy; intervals in milliseconds. */
export interface RetryPolicy {
  type: RetryType;
  /** Attempts in all, the first included (>= 1). */
  maxAttempts: number;
  /** Base delay (ms). */
  interval: number;
  /** Upper bound of any delay (ms); 0 = no bound. */
  maxInterval: number;
  /** Growth factor of the exponential policy (>= 1). */
  multiplier: number;
  /** Fraction (0..1) of each delay drawn at random, to spread retries. */
  jitter: number;
}

/** Dead letter queue settings. */
export interface DlqConfig {
  enabled: boolean;
  /** Name of the queue its dead tasks go to (default `dlq`). */
  queueName: string;
}

/** Everything a user sets on an executor (flow control: see `flow.ts`). */
export interface ExecutorConfig extends FlowControl {
  name: string;
  enabled: boolean;
  writeConcern: { level: WriteConcernLevel };
  retryPolicy: RetryPolicy;
  dlqConfig: DlqConfig;
  /** JSON Schema every task's data must satisfy; `null` = anything goes. */
  taskSchema: Record<string, unknown> | boolean | null;
  /** Per-attempt timeout, which is also the lease length (ms). */
  timeout: number;
  /** Tasks running at once across all workers and managers; 0 = no limit. */
  maxConcurrency: number;
}

/** A stored executor. */
export interface Executor extends ExecutorConfig {
  id: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * Names (executors, DLQ queues, schedules): lowercase letters, digits, `_`, `.` and `-`, but not
 * `.` or `..` alone, which a URL path reads as "this folder" or "the one above" (no route would
 * reach them). The `-` is escaped so that the source is also a valid HTML `pattern` (browsers
 * compile those with the `v` flag, which refuses a bare `-` at a class's end): the admin page's
 * executor form takes it from `/api/v1/meta`.
 */
export const EXECUTOR_NAME_PATTERN = /^(?!\.\.?$)[a-z0-9_.\-]{1,128}$/;

/** The characters `EXECUTOR_NAME_PATTERN` takes, said for people. */
export const NAME_CHARS = "1-128 characters of a-z, 0-9, _, . or -, and not . or ..";

/** What a name that breaks `EXECUTOR_NAME_PATTERN` is told. */
export const NAME_MESSAGE = `Must be a string of ${NAME_CHARS}`;

/** Every retry policy type. */
export const RETRY_TYPES: readonly RetryType[] = ["constant", "linear", "exponential"];
/** Every write concern level, weakest first. */
export const WRITE_CONCERN_LEVELS: readonly WriteConcernLevel[] = [
  "unacknowledged",
  "replica_acknowledged",
  "journaled",
  "majority",
];
const MAX_INTERVAL_MS = 30 * 24 * 3600 * 1000;

/**
 * The shortest executor `timeout` (ms), which is also the lease length: workers heartbeat a lease
 * every third of its length but at most every 100 ms (both SDKs), so a shorter lease would run out
 * before the heartbeats that keep it could reach the manager.
 */
export const MIN_TIMEOUT_MS = 300;

/** The bounds of an executor's numeric settings (durations in ms). */
export interface ExecutorBounds {
  timeout: NumberBound;
  maxConcurrency: NumberBound;
  retryPolicy: Readonly<Record<Exclude<keyof RetryPolicy, "type">, NumberBound>>;
  rateLimit: Readonly<Record<keyof RateLimit, NumberBound>>;
  rateLimitPerKey: Readonly<Record<keyof RateLimit, NumberBound>>;
  maxConcurrencyPerKey: NumberBound;
}

/**
 * Every bound `parseExecutorConfig` holds an executor's numbers to, in one table: `/api/v1/meta`
 * gives it to clients (the admin page's executor form takes its `min`, `max` and `step` from it)
 * and the OpenAPI document states it.
 */
export const EXECUTOR_BOUNDS: ExecutorBounds = {
  timeout: { min: MIN_TIMEOUT_MS, max: MAX_INTERVAL_MS, integer: true },
  maxConcurrency: { min: 0, max: 1_000_000, integer: true },
  retryPolicy: {
    maxAttempts: { min: 1, max: 1000, integer: true },
    interval: { min: 0, max: MAX_INTERVAL_MS, integer: true },
    maxInterval: { min: 0, max: MAX_INTERVAL_MS, integer: true },
    multiplier: { min: 1, max: 100, integer: false },
    jitter: { min: 0, max: 1, integer: false },
  },
  rateLimit: RATE_LIMIT_BOUNDS,
  rateLimitPerKey: RATE_LIMIT_BOUNDS,
  maxConcurrencyPerKey: MAX_CONCURRENCY_PER_KEY_BOUND,
};

/** What a duration that is not whole milliseconds, or not a duration at all, is told. */
export const DURATION_MESSAGE = 'Must be a whole number of milliseconds: 1500, "1.5s" or ' +
  '{"seconds": 1, "nanos": 500000000} (nanos a multiple of 1000000)';

/**
 * The strictest of `levels` (later in `WRITE_CONCERN_LEVELS`): one write at it is as durable as
 * each of them asks, so tasks of several executors can be inserted together, in one write that
 * stores all of them or none. `unacknowledged` when `levels` is empty.
 *
 * @example
 * ```ts
 * import { strictestWriteConcern } from "./executor.ts";
 * console.log(strictestWriteConcern(["unacknowledged", "journaled", "replica_acknowledged"]));
 * // journaled
 * ```
 */
export function strictestWriteConcern(levels: Iterable<WriteConcernLevel>): WriteConcernLevel {
  let strictest = 0;
  for (const level of levels) {
    strictest = Math.max(strictest, WRITE_CONCERN_LEVELS.indexOf(level));
  }
  return WRITE_CONCERN_LEVELS[strictest];
}

/**
 * `RetryPolicyType` as both protos (the earlier system's and `taskexecutor.v1`) name and number
 * it, which their clients and config files send; read by `protoEnumOf`, as every enum REST reads.
 */
export const RETRY_POLICY_TYPE_ENUM: ProtoEnum<RetryType> = {
  names: RETRY_TYPES,
  prefix: "RETRY_POLICY_TYPE_",
  numbers: { constant: 1, linear: 2, exponential: 3 },
};
/** `WriteConcernLevel` as both protos name and number it (see `RETRY_POLICY_TYPE_ENUM`). */
export const WRITE_CONCERN_LEVEL_ENUM: ProtoEnum<WriteConcernLevel> = {
  names: WRITE_CONCERN_LEVELS,
  prefix: "WRITE_CONCERN_LEVEL_",
  numbers: { replica_acknowledged: 1, majority: 2, unacknowledged: 3, journaled: 4 },
};
/**
 * The shorter prefix the earlier system's config files also wrote a value name with
 * (`RETRY_POLICY_EXPONENTIAL`, `WRITE_CONCERN_MAJORITY`); a value name without a prefix
 * (`EXPONENTIAL`) is taken too.
 */
const SHORT_PREFIXES: Readonly<Record<string, string>> = {
  RETRY_POLICY_TYPE_: "RETRY_POLICY_",
  WRITE_CONCERN_LEVEL_: "WRITE_CONCERN_",
};

const DURATION_TEXT = /^(\d{1,12})(?:\.(\d{1,9}))?s$/;

/**
 * Reads a duration as milliseconds: a number of ms, a proto3 JSON duration string (`"5s"`,
 * `"0.250s"`) or a `google.protobuf.Duration` object (`{"seconds": 3, "nanos": 0}`, each as a
 * number or a string of decimal digits, `jsonInteger`). `undefined` when it is none of these; a negative duration is
 * returned as it is, for the caller's range check to refuse.
 *
 * @example
 * ```ts
 * import { durationMs } from "./executor.ts";
 * console.log(durationMs("0.250s"), durationMs({ seconds: 3, nanos: 0 }), durationMs(1500));
 * // 250 3000 1500
 * ```
 */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string") {
    const match = DURATION_TEXT.exec(value);
    if (!match) return undefined;
    // The fraction as whole nanoseconds, so that whole ms come out exact ("0.007s" is 7).
    return Number(match[1]) * 1000 + Number((match[2] ?? "").padEnd(9, "0")) / 1e6;
  }
  if (!isObject(value) || Object.keys(value).some((k) => k !== "seconds" && k !== "nanos")) {
    return undefined;
  }
  // Both are integers (int64 and int32): JSON numbers or proto3 JSON's decimal strings.
  const seconds = value.seconds === undefined ? 0 : jsonInteger(value.seconds);
  const nanos = value.nanos === undefined ? 0 : jsonInteger(value.nanos);
  if (
    seconds === undefined || !Number.isSafeInteger(seconds) || nanos === undefined ||
    !Number.isInteger(nanos) || Math.abs(nanos) > 999_999_999 ||
    // duration.proto: nanos carry the sign of seconds.
    (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)
  ) return undefined;
  return seconds * 1000 + nanos / 1e6;
}

/** Defaults applied to every field a configuration leaves out. */
export const DEFAULT_EXECUTOR_CONFIG: Omit<ExecutorConfig, "name"> = {
  enabled: true,
  writeConcern: { level: "journaled" },
  retryPolicy: {
    type: "exponential",
    maxAttempts: 3,
    interval: 1000,
    maxInterval: 60_000,
    multiplier: 2,
    jitter: 0,
  },
  dlqConfig: { enabled: true, queueName: "dlq" },
  taskSchema: null,
  timeout: 30_000,
  maxConcurrency: 0,
  ...NO_FLOW_CONTROL,
};

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Collects violations while reading one object, each field under a JSON pointer prefix. */
class Reader {
  constructor(readonly violations: FieldViolation[], readonly pointer: string) {}

  object(input: unknown, key: string): Obj | undefined {
    if (input === undefined || input === null) return undefined;
    if (!isObject(input)) {
      this.fail(key, "Must be an object");
      return undefined;
    }
    return input;
  }

  fail(key: string, message: string): void {
    this.violations.push({ field: `${this.pointer}/${key}`, message });
  }

  unknownKeys(input: Obj, allowed: readonly string[]): void {
    for (const key of Object.keys(input)) {
      if (!allowed.includes(key)) this.fail(pointerToken(key), "Unknown field");
    }
  }

  number(
    input: Obj,
    key: string,
    fallback: number,
    rule: NumberBound,
  ): number {
    const given = input[key];
    if (given === undefined || given === null) return fallback;
    // An integer setting takes proto3 JSON's string form too ("4"); a fraction takes numbers only.
    const value = rule.integer
      ? jsonInteger(given)
      : typeof given === "number" && Number.isFinite(given)
      ? given
      : undefined;
    if (value === undefined) {
      this.fail(
        key,
        rule.integer && typeof given === "string" ? INTEGER_TEXT_MESSAGE : "Must be a number",
      );
      return fallback;
    }
    // A digit string too long to be a double is Infinity: out of range, not a fraction.
    if (rule.integer && Number.isFinite(value) && !Number.isInteger(value)) {
      this.fail(key, "Must be a whole number");
    } else if (value < rule.min || value > rule.max) {
      this.fail(key, `Must be between ${rule.min} and ${rule.max}`);
    }
    return value;
  }

  boolean(input: Obj, key: string, fallback: boolean): boolean {
    const value = input[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== "boolean") {
      this.fail(key, "Must be true or false");
      return fallback;
    }
    return value;
  }

  /**
   * An enum given in any form `protoEnumOf` reads (our name `exponential`, the proto's value name
   * `RETRY_POLICY_TYPE_EXPONENTIAL`, its number 3 or "3"), or by a value name with the shorter
   * prefix of the earlier system's config files or none (`RETRY_POLICY_EXPONENTIAL`,
   * `EXPONENTIAL`); absent, `null`, `""`, 0 and `…_UNSPECIFIED` keep `fallback`. Anything else is
   * refused as every such enum is (`protoEnumMessage`).
   */
  enumValue<T extends string>(input: Obj, key: string, spec: ProtoEnum<T>, fallback: T): T {
    const value = input[key];
    if (value === undefined || value === null || value === "") return fallback;
    if (typeof value !== "string" && typeof value !== "number") {
      this.fail(key, PROTO_ENUM_TYPE_MESSAGE);
      return fallback;
    }
    let given: string | number = value;
    if (typeof value === "string" && /^[A-Z_]+$/.test(value) && !value.startsWith(spec.prefix)) {
      const short = SHORT_PREFIXES[spec.prefix];
      given = spec.prefix + (value.startsWith(short) ? value.slice(short.length) : value);
    }
    const known = protoEnumOf(spec, given);
    if (known === null) return fallback;
    if (known !== undefined) return known;
    const shown = typeof value === "string" ? `"${value.slice(0, 100)}"` : String(value);
    this.fail(key, protoEnumMessage(spec, shown));
    return fallback;
  }

  /**
   * A duration in whole ms, in any form `durationMs` reads, within `rule`. A finer part is
   * refused, not rounded: a stored `3000.0005` would be no time the API can answer as given.
   * The value in force (`fallback`: on an update, the stored one) is taken as it is, so that an
   * executor stored before a rule still takes an update that sends every field back (the admin
   * page's form does).
   */
  duration(input: Obj, key: string, fallback: number, rule: NumberBound): number {
    const value = input[key];
    if (value === undefined || value === null) return fallback;
    const ms = durationMs(value);
    if (ms === fallback) return ms;
    if (ms === undefined || !Number.isInteger(ms)) {
      this.fail(key, DURATION_MESSAGE);
      return fallback;
    }
    if (ms < rule.min || ms > rule.max) {
      this.fail(key, `Must be between ${rule.min} ms and ${rule.max} ms`);
      return fallback;
    }
    return ms;
  }

  child(key: string): Reader {
    return new Reader(this.violations, `${this.pointer}/${key}`);
  }
}

/**
 * Reads an executor configuration from untrusted input, on top of `base` (defaults for a new
 * executor, the current configuration for an update). Times are milliseconds. `maxDepth` is how
 * deep task data nests (`limits.jsonDepth`, default `DEFAULT_LIMITS.jsonDepth`): a
 * `groupKeyPointer` of more tokens names nothing. `storedGroupKeyPointer` is the pointer stored
 * for the executor of that name (the base's when not given): sent as stored, it is not judged by
 * the rule that came after it (`parseFlowControl`).
 *
 * @throws {InvalidArgumentError} naming every bad field by JSON pointer under `pointer`.
 */
export function parseExecutorConfig(
  input: unknown,
  options: {
    base?: ExecutorConfig;
    pointer?: string;
    maxDepth?: number;
    storedGroupKeyPointer?: string | null;
  } = {},
): ExecutorConfig {
  const pointer = options.pointer ?? "/config";
  const base: ExecutorConfig = options.base ?? { name: "", ...DEFAULT_EXECUTOR_CONFIG };
  const violations: FieldViolation[] = [];
  if (!isObject(input)) {
    throw InvalidArgumentError.listing("Invalid executor", [
      { field: pointer, message: "Must be an object" },
    ]);
  }
  const root = new Reader(violations, pointer);
  root.unknownKeys(input, [
    "name",
    "enabled",
    "writeConcern",
    "retryPolicy",
    "dlqConfig",
    "taskSchema",
    "timeout",
    "maxConcurrency",
    "rateLimit",
    "rateLimitPerKey",
    "maxConcurrencyPerKey",
    "groupKeyPointer",
  ]);

  let name = base.name;
  if (input.name !== undefined) {
    if (typeof input.name !== "string" || !EXECUTOR_NAME_PATTERN.test(input.name)) {
      root.fail("name", NAME_MESSAGE);
    } else name = input.name;
  }
  if (!name && !violations.some((v) => v.field === `${pointer}/name`)) {
    root.fail("name", "Is required");
  }

  const retryPolicy = { ...base.retryPolicy };
  const retryInput = root.object(input.retryPolicy, "retryPolicy");
  if (retryInput) {
    const r = root.child("retryPolicy");
    r.unknownKeys(retryInput, [
      "type",
      "maxAttempts",
      "interval",
      "maxInterval",
      "multiplier",
      "jitter",
    ]);
    retryPolicy.type = r.enumValue(
      retryInput,
      "type",
      RETRY_POLICY_TYPE_ENUM,
      base.retryPolicy.type,
    );
    const bounds = EXECUTOR_BOUNDS.retryPolicy;
    retryPolicy.maxAttempts = r.number(
      retryInput,
      "maxAttempts",
      base.retryPolicy.maxAttempts,
      bounds.maxAttempts,
    );
    retryPolicy.interval = r.duration(
      retryInput,
      "interval",
      base.retryPolicy.interval,
      bounds.interval,
    );
    retryPolicy.maxInterval = r.duration(
      retryInput,
      "maxInterval",
      base.retryPolicy.maxInterval,
      bounds.maxInterval,
    );
    // 0 is "no bound"; a bound below the base delay would cut every delay to less than asked.
    // Judged when the pair changes (one stored before the rule still updates); a bound left out
    // is lifted (0) rather than refused: a worker's retry policy, or the original interface,
    // which has no maxInterval, gives an interval alone, above the default bound of 60 s.
    const under = retryPolicy.maxInterval > 0 && retryPolicy.maxInterval < retryPolicy.interval &&
      (retryPolicy.interval !== base.retryPolicy.interval ||
        retryPolicy.maxInterval !== base.retryPolicy.maxInterval) &&
      !violations.some((v) => v.field.startsWith(`${pointer}/retryPolicy/`));
    if (under && (retryInput.maxInterval === undefined || retryInput.maxInterval === null)) {
      retryPolicy.maxInterval = 0;
    } else if (under) {
      r.fail(
        "maxInterval",
        `Must be 0 (no bound) or at least interval (${retryPolicy.interval} ms)`,
      );
    }
    retryPolicy.multiplier = r.number(
      retryInput,
      "multiplier",
      base.retryPolicy.multiplier,
      bounds.multiplier,
    );
    retryPolicy.jitter = r.number(retryInput, "jitter", base.retryPolicy.jitter, bounds.jitter);
  }

  const dlqConfig = { ...base.dlqConfig };
  const dlqInput = root.object(input.dlqConfig, "dlqConfig");
  if (dlqInput) {
    const d = root.child("dlqConfig");
    d.unknownKeys(dlqInput, ["enabled", "queueName"]);
    dlqConfig.enabled = d.boolean(dlqInput, "enabled", base.dlqConfig.enabled);
    const queueName = dlqInput.queueName;
    if (queueName !== undefined && queueName !== null && queueName !== "") {
      if (typeof queueName !== "string" || !EXECUTOR_NAME_PATTERN.test(queueName)) {
        d.fail("queueName", NAME_MESSAGE);
      } else dlqConfig.queueName = queueName;
    }
  }

  let writeConcern = base.writeConcern;
  const wcInput = root.object(input.writeConcern, "writeConcern");
  if (wcInput) {
    const w = root.child("writeConcern");
    w.unknownKeys(wcInput, ["level"]);
    writeConcern = {
      level: w.enumValue(wcInput, "level", WRITE_CONCERN_LEVEL_ENUM, base.writeConcern.level),
    };
  }

  let taskSchema = base.taskSchema;
  if (input.taskSchema !== undefined) {
    const schema = input.taskSchema;
    if (schema === null || typeof schema === "boolean" || isObject(schema)) taskSchema = schema;
    else root.fail("taskSchema", "Must be a JSON Schema object, a boolean or null");
  }

  const config: ExecutorConfig = {
    name,
    enabled: root.boolean(input, "enabled", base.enabled),
    writeConcern,
    retryPolicy,
    dlqConfig,
    taskSchema,
    timeout: root.duration(input, "timeout", base.timeout, EXECUTOR_BOUNDS.timeout),
    maxConcurrency: root.number(
      input,
      "maxConcurrency",
      base.maxConcurrency,
      EXECUTOR_BOUNDS.maxConcurrency,
    ),
    ...parseFlowControl(input, {
      base,
      pointer,
      violations,
      duration: durationMs,
      durationMessage: DURATION_MESSAGE,
      maxDepth: options.maxDepth ?? DEFAULT_LIMITS.jsonDepth,
      storedPointer: options.storedGroupKeyPointer,
    }),
  };
  if (violations.length > 0) {
    throw InvalidArgumentError.listing("Invalid executor configuration", violations);
  }
  return config;
}

/**
 * What a create past MAX_EXECUTORS is told (FAILED_PRECONDITION, 409): the store holds `count`
 * executors already. The stores throw it from `executorCreate`.
 */
export function executorsFullError(count: number): FailedPreconditionError {
  return new FailedPreconditionError(
    `Cannot create executor: the store holds ${count} executors, the limit (MAX_EXECUTORS); delete some first`,
  );
}

/**
 * What a write of something an executor owns (a task, a schedule) is told when the executor named
 * `name` does not exist when the store makes it (NOT_FOUND, 404): `Cannot create schedule:
 * executor "x" does not exist`. The stores throw it from `taskInsert` (with `requireExecutors`),
 * `scheduleCreate` and `scheduleUpdate`, so that nothing is stored for an executor deleted
 * between its creator's read and its write (a task's create is told which of its fields named
 * the executor, `Service.createTasks`). An `ExecutorNotFoundError`, as every NOT_FOUND of a
 * missing executor: over gRPC it carries the `EXECUTOR_NOT_FOUND` detail.
 */
export function executorMissingError(what: string, name: string): ExecutorNotFoundError {
  return new ExecutorNotFoundError(name, `Cannot ${what}: executor "${name}" does not exist`);
}

/**
 * A delete without `force` of an executor still in use (FAILED_PRECONDITION, 409): `inUse` says
 * what holds it (`2 tasks are pending or in progress`), and the message how to delete them too
 * (`how`: `use force`, where the call has a `force`; the original interface's, which has none,
 * names the calls that have one).
 */
export class ExecutorInUseError extends FailedPreconditionError {
  constructor(
    readonly executorName: string,
    readonly inUse: string,
    how = "use force to delete them too",
  ) {
    super(`Cannot delete executor "${executorName}": ${inUse} (${how})`);
  }
}

/**
 * What a delete without `force` of an executor still in use is told (FAILED_PRECONDITION, 409):
 * it has `activeTasks` tasks pending or in progress, or `schedules` schedules (the tasks are named
 * first). The stores throw it from `executorDelete`, counted in the step that deletes.
 */
export function executorInUseError(
  name: string,
  counts: { activeTasks: number; schedules: number },
): ExecutorInUseError {
  const { activeTasks: tasks, schedules } = counts;
  const what = tasks > 0
    ? `${tasks} ${tasks === 1 ? "task is" : "tasks are"} pending or in progress`
    : `${schedules} ${schedules === 1 ? "schedule creates" : "schedules create"} its tasks`;
  return new ExecutorInUseError(name, what);
}

/**
 * How long a deletion of an executor is left to the manager that began it, in ms. While the
 * deletion runs (its executor gone, its tasks being deleted) the name stays taken: a create of it
 * within this time of the deletion's start is refused (`executorDeletingError`); after it the
 * deletion is taken for abandoned (its manager stopped half-way): a create finishes it before
 * storing the executor, and every manager finishes it by itself (`Resumer`). Taking over a deletion that still runs is safe, only slower: both managers delete
 * the tasks of a name no executor holds, and each batch checks that the deletion still stands.
 */
export const EXECUTOR_DELETION_LEASE_MS = 60_000;

/**
 * How long the keying walk of an executor made keyed is left to the manager that began it, in
 * ms: after it the walk is taken for abandoned (its manager stopped half-way) and every manager
 * runs it again from the start (`Store.executorKeyingsResume`). Taking over a walk that still
 * runs is safe, only slower: both write the same keys.
 */
export const EXECUTOR_KEYING_LEASE_MS = 60_000;

/**
 * What a create of an executor is told while an executor of that name is still being deleted
 * (FAILED_PRECONDITION, 409): the executor does not exist (a read answers NOT_FOUND), so "already
 * exists" would send a create-or-update client to an update that fails; the state that blocks the
 * create ends by itself. The stores throw it from `executorCreate`.
 */
export function executorDeletingError(name: string): FailedPreconditionError {
  return new FailedPreconditionError(
    `Cannot create executor "${name}": an executor of that name is still being deleted; try again once its tasks are deleted`,
  );
}
