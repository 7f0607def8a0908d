/**
 * Errors of the SDK: the two a handler throws to steer retries (`NonRetryableError`,
 * `RetryAfterError`) and the ones `Client` calls throw, one class per manager status code.
 */

/**
 * Thrown by a handler when another attempt cannot help (bad input, a permanent refusal): the task
 * goes straight to the DLQ (or `failed`) without waiting out its retries.
 *
 * @example
 * ```ts
 * import { NonRetryableError } from "@tasks-executor/sdk";
 * function charge(amount: number): void {
 *   if (amount <= 0) throw new NonRetryableError(`Amount must be positive, got ${amount}`);
 * }
 * charge(5);
 * ```
 */
export class NonRetryableError extends Error {
  /** Always `"NonRetryableError"`. */
  override name = "NonRetryableError";
  /**
   * Creates the error.
   *
   * @param message why no attempt can succeed, recorded as the attempt's error
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * Thrown by a handler to ask for the next attempt after `retryAfterMs` instead of the executor's
 * backoff (for example when a remote API answered 429 with `Retry-After`).
 *
 * @example
 * ```ts
 * import { RetryAfterError } from "@tasks-executor/sdk";
 * const error = new RetryAfterError(30_000, "Rate limited by the mail provider");
 * console.log(error.retryAfterMs); // 30000
 * ```
 */
export class RetryAfterError extends Error {
  /** Always `"RetryAfterError"`. */
  override name = "RetryAfterError";
  /** How long the manager should wait before the next attempt (ms). */
  readonly retryAfterMs: number;
  /**
   * Creates the error.
   *
   * @param retryAfterMs delay before the next attempt (ms, >= 0)
   */
  constructor(retryAfterMs: number, message?: string, options?: ErrorOptions) {
    super(message ?? `Retry requested in ${retryAfterMs} ms`, options);
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      throw new RangeError(`retryAfterMs must be a non-negative number, got ${retryAfterMs}`);
    }
    this.retryAfterMs = Math.round(retryAfterMs);
  }
}

/**
 * Thrown by a handler that was rate limited by something it calls (a third-party API's 429): the
 * task runs again after `retryAfterMs` **without spending an attempt** and without an entry in its
 * errors, unlike `RetryAfterError`. The manager waits at least 100 ms. A manager that does not know
 * the protocol's `rate_limited` flag treats it as a `RetryAfterError` (the attempt counts).
 *
 * @example
 * ```ts
 * import { RateLimitedError } from "@tasks-executor/sdk";
 * const error = new RateLimitedError(5_000, "Mail provider answered 429");
 * console.log(error.retryAfterMs); // 5000
 * ```
 */
export class RateLimitedError extends Error {
  /** Always `"RateLimitedError"`. */
  override name = "RateLimitedError";
  /** How long the manager should wait before running the task again (ms). */
  readonly retryAfterMs: number;
  /**
   * Creates the error.
   *
   * @param retryAfterMs delay before the task runs again (ms, >= 0)
   */
  constructor(retryAfterMs: number, message?: string, options?: ErrorOptions) {
    super(message ?? `Rate limited: retry in ${retryAfterMs} ms`, options);
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      throw new RangeError(`retryAfterMs must be a non-negative number, got ${retryAfterMs}`);
    }
    this.retryAfterMs = Math.round(retryAfterMs);
  }
}

/** One invalid field: a JSON pointer and what is wrong with it. */
export interface FieldViolation {
  /** JSON pointer of the offending field, e.g. `/data/email`. */
  field: string;
  /** What is wrong, in sentence case. */
  message: string;
}

/**
 * Base class of every error a `Client` call throws for an answer of the manager; `code` is the
 * gRPC status code.
 *
 * @example
 * ```ts
 * import { ManagerError } from "@tasks-executor/sdk";
 * try {
 *   throw new ManagerError("Boom", 13);
 * } catch (error) {
 *   if (error instanceof ManagerError) console.log(error.code);
 * }
 * ```
 */
export class ManagerError extends Error {
  /** Always `"ManagerError"`. */
  override name = "ManagerError";
  /** gRPC status code of the answer. */
  readonly code: number;
  /**
   * Creates the error.
   *
   * @param code the gRPC status code of the answer
   */
  constructor(message: string, code: number, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * The task, executor or entry named does not exist (gRPC NOT_FOUND); for an executor,
 * `missingExecutor` names it.
 *
 * @example
 * ```ts
 * import { Client, NotFoundError } from "@tasks-executor/sdk";
 * const client = new Client({ address: "localhost:50051" });
 * try {
 *   await client.createTask("no_such_executor", {});
 * } catch (error) {
 *   if (!(error instanceof NotFoundError) || error.missingExecutor === null) throw error;
 *   console.log(`No executor ${error.missingExecutor}`);
 * } finally {
 *   client.close();
 * }
 * ```
 */
export class NotFoundError extends ManagerError {
  /** Always `"NotFoundError"`. */
  override name = "NotFoundError";
  /**
   * The executor that does not exist (or that the key does not reach), as asked (the manager's
   * `google.rpc.ErrorInfo` detail, reason `EXECUTOR_NOT_FOUND`): a task's create for it, a read or
   * change of it; `null` for any other NOT_FOUND (a task, a DLQ entry), or from a manager older
   * than 2026-12-07, which did not send it.
   */
  readonly missingExecutor: string | null;
  /**
   * Creates the error.
   *
   * @param code the gRPC status code of the answer
   */
  constructor(
    message: string,
    code: number,
    options?: ErrorOptions & { missingExecutor?: string | null },
  ) {
    super(message, code, options);
    this.missingExecutor = options?.missingExecutor ?? null;
  }
}

/**
 * The thing exists already, e.g. a duplicate executor name, or an idempotency key that made a
 * task before (gRPC ALREADY_EXISTS); for the key, `existingTaskId` names the task it made.
 *
 * @example
 * ```ts
 * import { Client, ConflictError } from "@tasks-executor/sdk";
 * using client = new Client({ address: "localhost:50051" });
 * const create = () => client.createTask("send_email", { to: "a@b.c" }, { idempotencyKey: "k" });
 * const task = await create().catch(async (error) => {
 *   if (!(error instanceof ConflictError) || !error.existingTaskId) throw error;
 *   return await client.getTask(error.existingTaskId);
 * });
 * console.log(task.id);
 * ```
 */
export class ConflictError extends ManagerError {
  /** Always `"ConflictError"`. */
  override name = "ConflictError";
  /**
   * The id of the task a repeated idempotency key made (the manager's `google.rpc.ErrorInfo`
   * detail, reason `IDEMPOTENCY_KEY_USED`); `null` for any other conflict, or from a manager
   * older than 2026-12-07, which did not send it.
   */
  readonly existingTaskId: string | null;
  /**
   * Creates the error.
   *
   * @param code the gRPC status code of the answer
   */
  constructor(
    message: string,
    code: number,
    options?: ErrorOptions & { existingTaskId?: string | null },
  ) {
    super(message, code, options);
    this.existingTaskId = options?.existingTaskId ?? null;
  }
}

/**
 * The request breaks a rule, e.g. task data that does not match the executor's schema (gRPC
 * INVALID_ARGUMENT). `violations` names the fields when the manager sent them.
 *
 * @example
 * ```ts
 * import { Client, InvalidArgumentError } from "@tasks-executor/sdk";
 * const client = new Client({ address: "localhost:50051" });
 * try {
 *   await client.createTask("send_email", { to: 42 });
 * } catch (error) {
 *   if (error instanceof InvalidArgumentError) console.log(error.message);
 * } finally {
 *   client.close();
 * }
 * ```
 */
export class InvalidArgumentError extends ManagerError {
  /** Always `"InvalidArgumentError"`. */
  override name = "InvalidArgumentError";
  /** Every failing field the manager named (may be empty). */
  readonly violations: FieldViolation[];
  /**
   * Creates the error.
   *
   * @param violations the fields the manager named
   */
  constructor(
    message: string,
    code: number,
    violations: FieldViolation[] = [],
    options?: ErrorOptions,
  ) {
    super(message, code, options);
    this.violations = violations;
  }
}

/**
 * The state does not allow it, e.g. cancelling a completed task (gRPC FAILED_PRECONDITION).
 *
 * @example
 * ```ts
 * import { FailedPreconditionError } from "@tasks-executor/sdk";
 * console.log(new FailedPreconditionError("Cannot move task", 9).name);
 * ```
 */
export class FailedPreconditionError extends ManagerError {
  /** Always `"FailedPreconditionError"`. */
  override name = "FailedPreconditionError";
}

/**
 * The manager (or its store) cannot be reached (gRPC UNAVAILABLE or DEADLINE_EXCEEDED).
 * `connectionReplaced` says the `Client` took its connection for dead and closed it: the next call
 * opens a new one (see `ClientOptions.callTimeoutMs`).
 *
 * @example
 * ```ts
 * import { UnavailableError } from "@tasks-executor/sdk";
 * const error = new UnavailableError("Manager unreachable", 14);
 * console.log(error.code, error.connectionReplaced); // 14 false
 * ```
 */
export class UnavailableError extends ManagerError {
  /** Always `"UnavailableError"`. */
  override name = "UnavailableError";
  /** The call's connection was taken for dead and replaced: calls made now use a new one. */
  readonly connectionReplaced: boolean;
  /**
   * Creates the error.
   *
   * @param code the gRPC status code (UNAVAILABLE or DEADLINE_EXCEEDED)
   */
  constructor(
    message: string,
    code: number,
    options: ErrorOptions & { connectionReplaced?: boolean } = {},
  ) {
    super(message, code, options);
    this.connectionReplaced = options.connectionReplaced ?? false;
  }
}

/**
 * Another API key's worker holds this worker's id on the manager, and is alive: the manager kept
 * refusing the id (UNAVAILABLE, `WORKER_ID_HELD`) because a work stream of that key with this id
 * stayed open past the time in which it closes the stream of a worker that is gone, or unary
 * calls of that key under the id (a poller) went on past it (`heldBy` `calls`). Two workers
 * under two keys share one id: a configuration error, so a `Worker` stops (its `closed` rejects
 * with this) instead of waiting without end. A hold that ends by itself (the other key's stream
 * closing after its worker went away, its leases ending) is waited out, as after a key rotation.
 *
 * @example
 * ```ts
 * import { WorkerIdHeldError } from "@tasks-executor/sdk";
 * const error = new WorkerIdHeldError("w1", "Worker id \"w1\" is held by another API key", 14);
 * console.log(error.workerId, error.code); // w1 14
 * ```
 */
export class WorkerIdHeldError extends ManagerError {
  /** Always `"WorkerIdHeldError"`. */
  override name = "WorkerIdHeldError";
  /** The worker id another key holds. */
  readonly workerId: string;
  /**
   * Creates the error.
   *
   * @param code the gRPC status code of the manager's refusal (UNAVAILABLE)
   */
  constructor(workerId: string, message: string, code: number, options: ErrorOptions = {}) {
    super(message, code, options);
    this.workerId = workerId;
  }
}

/**
 * The manager refused the API key: none was sent, or it is malformed, unknown or revoked (gRPC
 * UNAUTHENTICATED). A configuration error: calling again with the same key cannot succeed, so a
 * `Worker` stops (its `start()` or `closed` rejects with it) instead of retrying.
 *
 * @example
 * ```ts
 * import { UnauthenticatedError } from "@tasks-executor/sdk";
 * console.log(new UnauthenticatedError("API key was revoked", 16).code); // 16
 * ```
 */
export class UnauthenticatedError extends ManagerError {
  /** Always `"UnauthenticatedError"`. */
  override name = "UnauthenticatedError";
}

/**
 * The API key may not do this: it lacks the scope, or is limited to other executors (gRPC
 * PERMISSION_DENIED); the message names what would allow it. A configuration error, like
 * `UnauthenticatedError`: a `Worker` stops instead of retrying.
 *
 * @example
 * ```ts
 * import { PermissionDeniedError } from "@tasks-executor/sdk";
 * console.log(new PermissionDeniedError("Key is limited to \"a\"", 7).code); // 7
 * ```
 */
export class PermissionDeniedError extends ManagerError {
  /** Always `"PermissionDeniedError"`. */
  override name = "PermissionDeniedError";
}

/**
 * The manager is at one of its limits, e.g. too many waits for tasks open at once
 * (`MAX_TASK_WATCHERS`) or a message over its size limit (gRPC RESOURCE_EXHAUSTED); the message
 * names the limit. Calling again once others have finished may succeed.
 *
 * @example
 * ```ts
 * import { ResourceExhaustedError } from "@tasks-executor/sdk";
 * console.log(new ResourceExhaustedError("Too many waits for tasks", 8).code); // 8
 * ```
 */
export class ResourceExhaustedError extends ManagerError {
  /** Always `"ResourceExhaustedError"`. */
  override name = "ResourceExhaustedError";
}

/**
 * `Client.waitForTask(s)` or `Client.createTaskAndWait` gave up before the task reached a final
 * status.
 *
 * @example
 * ```ts
 * import { WaitTimeoutError } from "@tasks-executor/sdk";
 * const error = new WaitTimeoutError("Task \"t1\" is still pending after 100 ms", "pending", "t1");
 * console.log(error.lastStatus, error.taskId); // "pending" "t1"
 * ```
 */
export class WaitTimeoutError extends Error {
  /** Always `"WaitTimeoutError"`. */
  override name = "WaitTimeoutError";
  /** The status the task had when the wait gave up. */
  readonly lastStatus: string;
  /** The task waited for (the first one not final, of many). */
  readonly taskId: string;
  /**
   * Creates the error.
   *
   * @param lastStatus the task's status when the wait gave up
   * @param taskId the task waited for
   */
  constructor(message: string, lastStatus: string, taskId: string) {
    super(message);
    this.lastStatus = lastStatus;
    this.taskId = taskId;
  }
}

/** Why an attempt was told to stop. */
export type AbortReason = "cancelled" | "timeout" | "lease_lost" | "shutdown";

/**
 * The `reason` of a handler's `ctx.signal` once aborted; says why the attempt should stop.
 *
 * @example
 * ```ts
 * import { TaskAbortedError } from "@tasks-executor/sdk";
 * const controller = new AbortController();
 * controller.abort(new TaskAbortedError("shutdown"));
 * const reason = controller.signal.reason as TaskAbortedError;
 * console.log(reason.reason); // "shutdown"
 * ```
 */
export class TaskAbortedError extends Error {
  /** Always `"TaskAbortedError"`. */
  override name = "TaskAbortedError";
  /** Why the attempt was aborted. */
  readonly reason: AbortReason;
  /**
   * Creates the error.
   *
   * @param reason why the attempt is aborted
   */
  constructor(reason: AbortReason, message?: string) {
    super(message ?? ABORT_MESSAGES[reason]);
    this.reason = reason;
  }
}

const ABORT_MESSAGES: Record<AbortReason, string> = {
  cancelled: "Task was cancelled",
  timeout: "Task timed out",
  lease_lost: "Task lease was lost",
  shutdown: "Worker shut down before the task finished",
};
