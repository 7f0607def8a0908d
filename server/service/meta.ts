/**
 * Facts of the server that clients show rather than copy (statuses, reasons, executor defaults
 * and bounds, the retry backoff): the admin page reads them here, so it cannot drift from the server.
 */
import { retryDelay } from "../domain/backoff.ts";
import { DLQ_REASONS, type DlqReason } from "../domain/dlq.ts";
import {
  DEFAULT_EXECUTOR_CONFIG,
  EXECUTOR_BOUNDS,
  EXECUTOR_NAME_PATTERN,
  type ExecutorBounds,
  type ExecutorConfig,
  NAME_CHARS,
  parseExecutorConfig,
  RETRY_TYPES,
  type RetryType,
  WRITE_CONCERN_LEVELS,
  type WriteConcernLevel,
} from "../domain/executor.ts";
import { GROUP_KEY_MAX_CHARS } from "../domain/flow.ts";
import { MAX_RETRY_DELAY_MS } from "../domain/limits.ts";
import { RUN_AGAIN_FROM, TASK_STATUSES, type TaskStatus } from "../domain/task.ts";

/** What `serverFacts` gives. Durations are milliseconds. */
export interface ServerFacts {
  /** Every task status, in lifecycle order. */
  taskStatuses: readonly TaskStatus[];
  /** The `from` a "run again" sends (`RUN_AGAIN_FROM`): a running task is not taken. */
  runAgainFrom: readonly TaskStatus[];
  /** Every reason a task is dead-lettered for. */
  dlqReasons: readonly DlqReason[];
  retryPolicyTypes: readonly RetryType[];
  /** Every write concern level, weakest first. */
  writeConcernLevels: readonly WriteConcernLevel[];
  /** The configuration a new executor gets for every field it leaves out. */
  executorDefaults: Omit<ExecutorConfig, "name">;
  /**
   * The range of each numeric executor setting the manager takes (`min` and `max` included, whole
   * numbers when `integer`): the admin page's executor form bounds its inputs by it.
   */
  executorBounds: ExecutorBounds;
  /** The names of executors, DLQ queues and schedules (a regular expression's source). */
  namePattern: string;
  /** The same rule said for people (`NAME_CHARS`). */
  nameChars: string;
  /** Most characters of a group key pointer (and of a group key). */
  groupKeyChars: number;
  /** The longest delay before a retry, whatever the policy (ms). */
  maxRetryDelayMs: number;
}

/** The facts, the same for every caller. */
export function serverFacts(): ServerFacts {
  return {
    taskStatuses: TASK_STATUSES,
    runAgainFrom: RUN_AGAIN_FROM,
    dlqReasons: DLQ_REASONS,
    retryPolicyTypes: RETRY_TYPES,
    writeConcernLevels: WRITE_CONCERN_LEVELS,
    executorDefaults: DEFAULT_EXECUTOR_CONFIG,
    executorBounds: EXECUTOR_BOUNDS,
    namePattern: EXECUTOR_NAME_PATTERN.source,
    nameChars: NAME_CHARS,
    groupKeyChars: GROUP_KEY_MAX_CHARS,
    maxRetryDelayMs: MAX_RETRY_DELAY_MS,
  };
}

/**
 * The delays (ms) before each retry a retry policy allows — `maxAttempts - 1` of them, the
 * longest each may be (jitter only takes off) — as `retryDelay` computes them when tasks fail.
 * `input` is a retry policy as in an executor's configuration; fields it leaves out take the
 * defaults of a new executor.
 *
 * @example
 * ```ts
 * import { previewRetryDelays } from "./meta.ts";
 * console.log(previewRetryDelays({ type: "linear", maxAttempts: 4, interval: 200, maxInterval: 500 }));
 * // [200, 400, 500]
 * ```
 *
 * @throws {InvalidArgumentError} naming every bad field under `/retryPolicy`
 */
export function previewRetryDelays(input: unknown): number[] {
  const { retryPolicy } = parseExecutorConfig({ retryPolicy: input ?? {} }, {
    base: { name: "preview", ...DEFAULT_EXECUTOR_CONFIG },
    pointer: "",
  });
  const longest = { ...retryPolicy, jitter: 0 };
  return Array.from({ length: retryPolicy.maxAttempts - 1 }, (_, i) => retryDelay(longest, i + 1));
}
