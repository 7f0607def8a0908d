/**
 * `Client`: enqueue tasks and read their state over the manager's gRPC management API. Data and
 * results are plain JS values and times are `Date`s (the wire carries `google.protobuf.Value`s and
 * epoch ms).
 */
import {
  encodeMessage,
  ENUM_PREFIX,
  type ExecutorMessage,
  fromEnum,
  jsonOfValue,
  type RateLimitMessage,
  type TaskMessage,
} from "@tasks-executor/proto";
import {
  checkConnection,
  CONNECTION_FIELDS,
  type ConnectionOptions,
  executorConfigToMessage,
  msOfDuration,
  pageLimit,
  requiredDate,
} from "./_grpc.ts";
import { ClientChannel, PROBE_TIMEOUT_MS } from "./_client_channel.ts";
import { CallerCallback } from "./_callback.ts";
import { Backoff } from "./_backoff.ts";
import { streamable } from "./_produce.ts";
import { countOption, durationOption } from "./_options.ts";
import { checkFields, checkOptions, type FieldSpec, refuseViolations } from "./_fields.ts";
import { arrayArgument, optionsArgument, stringArgument } from "./_args.ts";
import { timerDelay } from "./_timer.ts";
import {
  ConflictError,
  type FieldViolation,
  ManagerError,
  UnavailableError,
  WaitTimeoutError,
} from "./errors.ts";
import {
  type ClientLimitValues,
  createdTaskFromMessage,
  encodeCreateRequest,
  taskFromMessage,
} from "./_task_wire.ts";
import type { JsonSchema } from "./schema.ts";
import { TRACE_FIELDS, traceMetadata, type TraceOptions } from "./_trace.ts";
import type { ClientLimits, CreateTaskOptions, NewTask, Task } from "./task.ts";
import {
  type BulkOutcome,
  type BulkStop,
  type BulkTaskFilter,
  bulkTaskRequest,
  type DlqFilter,
  dlqRequest,
  stopOf,
  TASK_FILTER_FIELDS,
  taskFilterFields,
} from "./bulk.ts";
import { type History, historyFromMessage, type HistoryQuery, historyRequest } from "./history.ts";
import { ScheduleClient } from "./schedules.ts";
import type {
  ExecutorConfig,
  RateLimit,
  RetryPolicy,
  TaskStatus,
  TaskStatusName,
  WriteConcernLevel,
} from "./types.ts";

export type { TaskStatus };
export type { ClientLimits, CreateTaskOptions, NewTask, Task, TaskAttemptError } from "./task.ts";

/** Statuses a task never leaves on its own. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ["completed", "failed", "dlq", "cancelled"];

/** A stored executor and its configuration (times in ms). */
export interface Executor {
  /** Id of the executor. */
  id: string;
  /** Its unique name, which tasks refer to. */
  name: string;
  /** A disabled executor hands out no tasks. */
  enabled: boolean;
  /** How hard its task writes are persisted. */
  writeConcern: { level: WriteConcernLevel };
  /** Its retry policy, every field set. */
  retryPolicy: Required<RetryPolicy> & { type: "constant" | "linear" | "exponential" };
  /** Its dead letter queue settings. */
  dlqConfig: { enabled: boolean; queueName: string };
  /** JSON Schema of task data (`null` = anything goes). */
  taskSchema: JsonSchema | null;
  /** Per-attempt timeout and lease length (ms). */
  timeout: number;
  /** Tasks running at once across all workers; 0 = no limit. */
  maxConcurrency: number;
  /** Task starts of the executor as a whole (`null` = no limit). */
  rateLimit: Required<RateLimit> | null;
  /** Task starts per group key (`null` = no limit). */
  rateLimitPerKey: Required<RateLimit> | null;
  /** Tasks of one group key running at once; 0 = no limit. */
  maxConcurrencyPerKey: number;
  /** JSON pointer into task data giving a task's group key (`null` = none). */
  groupKeyPointer: string | null;
  /** When it was created. */
  createdAt: Date;
  /** When its configuration last changed. */
  updatedAt: Date;
}

/** Which tasks `listTasks` returns; all fields combine with AND. Newest first. */
export interface TaskFilter {
  /** Only this executor's tasks. */
  executorName?: string;
  /**
   * Only tasks in this status (or any of these; left out or `null`: any status); the proto's name
   * (`TASK_STATUS_FAILED`) is taken too.
   */
  status?: TaskStatusName | TaskStatusName[] | null;
  /** Created at or after this time. */
  createdAfter?: Date | number;
  /** Created before this time. */
  createdBefore?: Date | number;
  /**
   * Finished (completed, failed, dead or cancelled) at or after this time. A page by finish time
   * looks at a bounded number of tasks, so it may hold fewer than `limit`, none even, while
   * `nextCursor` says more follow.
   */
  finishedAfter?: Date | number;
  /** Finished before this time (pages as for `finishedAfter`). */
  finishedBefore?: Date | number;
  /** `nextCursor` of the previous page (`null` or left out: the first). */
  cursor?: string | null;
  /** Page size: 1 to 1000 (default, or `null`: 50; 0 is refused, as REST refuses it). */
  limit?: number | null;
}

/** One page of tasks. */
export interface TaskPage {
  /** The tasks of this page, newest first. */
  tasks: Task[];
  /** Pass as `cursor` for the next page; `null` on the last page. */
  nextCursor: string | null;
}

/**
 * What `createTasksDetailed` answers, as REST's `POST /api/v1/tasks/batch` does: both arrays in
 * the order of the tasks given.
 */
export interface CreatedTasks {
  /** The tasks, as `createTasks` answers them. */
  tasks: Task[];
  /**
   * `true` where this call created the task; `false` where an idempotency key had made it before
   * (by an earlier call, or by an earlier task of this one) and the task is that one, as stored.
   */
  created: boolean[];
}

/** The strings of a create besides its data (checked apart), as the producer stream carries them. */
function stringsOf(
  executorName: string,
  fields: Pick<CreateTaskOptions, "idempotencyKey" | "groupKey" | "metadata">,
  trace: Record<string, string>,
): (string | null | undefined)[] {
  return [
    executorName,
    fields.idempotencyKey,
    fields.groupKey,
    ...Object.entries(fields.metadata ?? {}).flat(),
    ...Object.values(trace),
  ];
}

/** The options of `waitForTask` (`WaitOptions`); `timeoutMs` is checked apart. */
const WAIT_FIELDS: FieldSpec = { timeoutMs: "any", signal: "signal?null" };

/**
 * The options of `waitForTasks` (`WaitManyOptions`): a wait's, and `onTask`, which `waitForTask`
 * has not (its one task is its answer): given to it, `onTask` was taken and called, undocumented.
 */
const WAIT_MANY_FIELDS: FieldSpec = { ...WAIT_FIELDS, onTask: "function?null" };

/**
 * The options of `createTaskAndWait` besides those of a create (checked with the task) and
 * `timeoutMs` (`durationOption`): a callback that is no function was called once the task was
 * created, and threw out of the stream's handler, uncaught.
 */
const CREATE_AND_WAIT_FIELDS: FieldSpec = { signal: "signal?null", onCreated: "function?null" };

/**
 * The one task of `createTask` or `createTaskAndWait`: `executorName` and `data`, the call's
 * arguments, with `fields`, the create's options. Options holding an `executorName` or a `data`
 * (neither is an option) are refused, naming them under `/task` as every unknown option is: spread
 * after the arguments, they replaced them, and the task was created for another executor or with
 * other data.
 *
 * @throws {InvalidArgumentError} naming `/task/executorName` or `/task/data` (nothing is sent)
 */
function oneTask(executorName: string, data: unknown, fields: object): NewTask {
  const violations: FieldViolation[] = [];
  for (const key of ["executorName", "data"]) {
    if (Object.hasOwn(fields, key)) {
      violations.push({ field: `/task/${key}`, message: "Unknown field" });
    }
  }
  refuseViolations("Cannot create task", violations);
  return { executorName, data, ...fields };
}

/** The options of `getTask`. */
const GET_TASK_FIELDS: FieldSpec = { signal: "signal?null" };

/** The filter of `listTasks`: a task filter and a page's `limit` (checked by `pageLimit`). */
const LIST_FILTER_FIELDS: FieldSpec = { ...TASK_FILTER_FIELDS, limit: "any" };

/**
 * The fields of `ClientOptions` (`checkFields`): the numbers are checked apart (`durationOption`,
 * `countOption`: a `RangeError`), the connection by `checkConnection`.
 */
const CLIENT_FIELDS: FieldSpec = {
  ...CONNECTION_FIELDS,
  callTimeoutMs: "any",
  limits: "object?null",
};

/** The fields of `ClientLimits`, each checked by `countOption`. */
const LIMITS_FIELDS: FieldSpec = {
  taskDataBytes: "any",
  requestBytes: "any",
  jsonDepth: "any",
  watchTaskIds: "any",
};

/** The request of a wait for tasks (`WatchTasks`, or a `watch` on the producer stream). */
const WATCH_REQUEST = "taskexecutor.v1.WatchTasksRequest";

/** The backoff before a wait that lost its manager watches again (ms). */
const WAIT_AGAIN = { initialDelayMs: 100, maxDelayMs: 2000 };

/**
 * gRPC codes a manager ends a wait with for a reason that watching again would meet again:
 * INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION and
 * UNAUTHENTICATED. Other ends of a stream the manager had served (CANCELLED, INTERNAL, UNKNOWN: a
 * connection reset, a manager forced to shut down) lose the wait, and it watches again.
 */
const REFUSALS: ReadonlySet<number> = new Set([3, 5, 7, 8, 9, 16]);

/** The error of a wait that lost its manager (`lost`) and did not get through again in time. */
function notBack(lost: UnavailableError, timeoutMs: number): UnavailableError {
  return new UnavailableError(
    `${lost.message}; the wait watched again for ${timeoutMs} ms in all, and the manager stayed ` +
      "unreachable or unavailable",
    lost.code,
    { cause: lost },
  );
}

/** Options of `waitForTask` and `waitForTasks`. */
export interface WaitOptions {
  /**
   * Give up after this long (default 30 s). Any length: one past what a timer keeps (24.8 days)
   * is waited for in steps.
   */
  timeoutMs?: number | null;
  /** Stops waiting (rejecting with the signal's reason). */
  signal?: AbortSignal | null;
}

/** Options of `createTaskAndWait`: those of `createTask`, and of the wait. */
export interface CreateAndWaitOptions<TData = unknown> extends CreateTaskOptions, WaitOptions {
  /** Told of the task as created (stored, its id known), before it is final. */
  onCreated?: ((task: Task<TData>) => void) | null;
}

/** Options of `waitForTasks`. */
export interface WaitManyOptions<TData, TResult> extends WaitOptions {
  /** Told of each task as it reaches a final status, in the order they do. */
  onTask?: ((task: Task<TData, TResult>) => void) | null;
}

/** Options of `Client`. */
export interface ClientOptions extends ConnectionOptions {
  /**
   * Deadline of each call (default 10 s, at most 2^31 − 1 ms). A call made while connections to
   * the manager fail (refused, a TLS refusal) fails at once with `UnavailableError` naming why; it
   * does not wait for the manager to come back. A host that does not answer at all holds it until the deadline.
   * A call that ends at its deadline with nothing at all arrived on its connection since it began
   * has the manager asked a health check on that connection, with a deadline of 2 s; without an
   * answer the connection is taken for dead (a lost host, a dropped flow) and replaced, and the
   * call's `UnavailableError` says so (`connectionReplaced`), having waited up to 2 s longer. The
   * next call opens a new connection. No call is retried for you, but waits for tasks, which read
   * and change nothing, watch again until their own timeout (`waitForTasks`).
   */
  callTimeoutMs?: number | null;
  /** The manager's size limits, checked before sending (default: the manager's defaults). */
  limits?: ClientLimits | null;
}

/**
 * Talks to a manager's management API: create tasks, read and cancel them, register executors.
 * `createTask`, `createTaskAndWait` and the waits (`waitForTask`, `waitForTasks`) travel as
 * messages on one producer stream (`Produce`) kept open on the connection (each as its own call
 * when the manager does not serve it, or 1,000 requests are open on it). It holds one connection
 * of its own, and leaves it for a new one when it went silent (see `ClientOptions.callTimeoutMs`):
 * calls started on it fail at their deadlines, waits on it end with an `UnavailableError`
 * (UNAVAILABLE, `connectionReplaced`), and the next call goes over a new one. Nothing is retried
 * on its own: a `createTask` that failed so may have created its task, so give it an
 * `idempotencyKey` when you retry it.
 *
 * @example Enqueue a task and wait for its result
 * ```ts
 * import { Client } from "@tasks-executor/sdk";
 * using client = new Client({ address: "localhost:50051" });
 * const task = await client.createTask("my_handler", { message: "hi" });
 * const done = await client.waitForTask(task.id, { timeoutMs: 10_000 });
 * console.log(done.status, done.result);
 * ```
 */
export class Client implements Disposable {
  readonly #channel: ClientChannel;
  #timeoutMs: number;
  #limits: ClientLimitValues;
  /** Create, read, change, pause, resume, trigger and delete schedules (`ScheduleClient`). */
  readonly schedules: ScheduleClient;

  /**
   * Prepares a connection to `options.address`; it opens on the first call.
   *
   * @throws {InvalidArgumentError} naming each field of `options` of the wrong type (`tls: "yes"`)
   *   or that it does not have (a misspelt `adress`), and a missing `address`
   * @throws {TypeError} when `apiKey` (or `TASKS_EXECUTOR_API_KEY`) or a `tls` file cannot be used
   * @throws {RangeError} naming `callTimeoutMs` or a `limits` field that is not a number it can use
   */
  constructor(options: ClientOptions) {
    const violations: FieldViolation[] = [];
    const fields = checkFields(options ?? {}, CLIENT_FIELDS, "", violations);
    if (fields) {
      checkConnection(fields, violations);
      checkFields(fields.limits ?? undefined, LIMITS_FIELDS, "/limits", violations);
    }
    refuseViolations("Invalid client options", violations);
    this.#timeoutMs = durationOption(options.callTimeoutMs, "callTimeoutMs", { fallback: 10_000 });
    const limits = options.limits ?? {};
    this.#limits = {
      taskDataBytes: countOption(limits.taskDataBytes, "limits.taskDataBytes", 1024 * 1024),
      requestBytes: countOption(limits.requestBytes, "limits.requestBytes", 4 * 1024 * 1024),
      jsonDepth: countOption(limits.jsonDepth, "limits.jsonDepth", 64),
      watchTaskIds: countOption(limits.watchTaskIds, "limits.watchTaskIds", 1000),
    };
    this.#channel = new ClientChannel(options);
    this.schedules = new ScheduleClient(
      (method, request) => this.#call(method, request),
      this.#limits.jsonDepth,
    );
  }

  #call<T>(
    method: string,
    request: unknown,
    signal?: AbortSignal,
    metadata?: Record<string, string>,
    encoded?: boolean,
  ): Promise<T> {
    return this.#channel.unary<T>(method, request, {
      timeoutMs: this.#timeoutMs,
      signal,
      metadata,
      encoded,
    });
  }

  /**
   * Creates one task and returns it.
   *
   * @throws {NotFoundError} when the executor does not exist
   * @throws {InvalidArgumentError} when the data does not match the executor's schema, or is
   *   larger than the manager takes (checked before sending, see `ClientLimits`)
   * @throws {ConflictError} when `idempotencyKey` made a task before; its `existingTaskId`
   *   names that task
   * @throws {RangeError} naming `/task/runAt` when it is not a valid `Date` or whole epoch ms
   *   from 0 (nothing is sent)
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const task = await client.createTask("send_email", { to: "a@example.com" }, {
   *   runAt: new Date(Date.now() + 60_000),
   *   idempotencyKey: "welcome-a@example.com",
   * });
   * console.log(task.id, task.status);
   * ```
   */
  async createTask<TData = unknown>(
    executorName: string,
    data: TData,
    options: CreateTaskOptions = {},
  ): Promise<Task<TData>> {
    const { traceparent, tracestate, ...fields } = optionsArgument(options, "Cannot create task");
    const trace = traceMetadata({ traceparent, tracestate });
    const request = encodeCreateRequest([oneTask(executorName, data, fields)], this.#limits, "one");
    let created: TaskMessage | null = null;
    await this.#channel.produce("create", request, {
      timeoutMs: this.#timeoutMs,
      trace,
      onTask: (task) => created = task,
      ownCall: !streamable(stringsOf(executorName, fields, trace)),
    });
    if (created === null) {
      throw new UnavailableError("The manager answered the create without its task", 14);
    }
    return taskFromMessage(created) as Task<TData>;
  }

  /**
   * Creates one task and waits for it to reach a final status (completed, failed, dlq or
   * cancelled), in one call (`CreateAndWatchTask`): the manager answers the task once it is
   * stored (`onCreated`), then sends it the moment it is final. One round trip to the manager
   * less than `createTask` then `waitForTask`, which is what a producer waiting for the result
   * saves.
   *
   * @throws what `createTask` throws, and {ResourceExhaustedError} when the manager has too many
   *   waits open: nothing was created then
   * @throws {WaitTimeoutError} when `timeoutMs` passes once the task was created (`taskId` names
   *   it; it runs all the same). Should it pass before the manager answered, the error is the
   *   deadline's `UnavailableError` (code 4), as for `createTask`: the task may exist.
   * @throws {RangeError} when `timeoutMs` is not a finite number of ms above 0 (nothing is sent)
   * @throws `signal.reason` when `signal` aborts the call; a task created before that runs all the
   *   same (`onCreated` has its id)
   * @throws {UnavailableError} when the manager was lost once the task was created and not reached
   *   again by `timeoutMs`: until then the wait watches the task again, as `waitForTask` does
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const task = await client.createTaskAndWait("resize", { url: "https://example.com/a.png" }, {
   *   timeoutMs: 60_000,
   *   onCreated: (created) => console.log("created", created.id),
   * });
   * console.log(task.status, task.result);
   * ```
   */
  async createTaskAndWait<TData = unknown, TResult = unknown>(
    executorName: string,
    data: TData,
    options: CreateAndWaitOptions<TData> = {},
  ): Promise<Task<TData, TResult>> {
    const { traceparent, tracestate, timeoutMs: given, signal, onCreated, ...fields } =
      optionsArgument(options, "Cannot create task");
    // Only a wrong one is looked at again: nothing allocated on the way of a good one.
    if (
      (onCreated !== undefined && onCreated !== null && typeof onCreated !== "function") ||
      (signal !== undefined && signal !== null && !(signal instanceof AbortSignal))
    ) checkOptions({ signal, onCreated }, CREATE_AND_WAIT_FIELDS, "Cannot create task");
    const timeoutMs = durationOption(given, "timeoutMs", { fallback: 30_000, inSteps: true });
    const deadline = performance.now() + timeoutMs;
    const request = encodeCreateRequest([oneTask(executorName, data, fields)], this.#limits, "one");
    const trace = traceMetadata({ traceparent, tracestate });
    let created: Task<TData, TResult> | null = null;
    let final: Task<TData, TResult> | null = null;
    let lost: UnavailableError | undefined;
    const told = new CallerCallback(onCreated);
    // A wait longer than a timer keeps watches for that long first, then on in `#waitUntil`.
    const step = timerDelay(timeoutMs);
    try {
      await this.#channel.produce("createAndWatch", request, {
        timeoutMs: step,
        signal: signal ?? undefined,
        trace,
        ownCall: !streamable(stringsOf(executorName, fields, trace)),
        onTask: (message) => {
          const task = taskFromMessage(message) as Task<TData, TResult>;
          if (created === null) {
            created = task;
            told.call(task);
          }
          if (TERMINAL_STATUSES.includes(task.status)) final = task;
        },
      });
    } catch (error) {
      // What `onCreated` threw ends the call as it is, whatever it is (an `UnavailableError` too,
      // which would have been taken for the manager lost, the task waited for again).
      told.rethrow();
      if (final !== null) return final;
      const id = (created as Task | null)?.id;
      if (signal?.aborted || id === undefined) throw error;
      if (error instanceof UnavailableError && error.code === 4) {
        if (step === timeoutMs) throw await this.#waitTimeout(id, timeoutMs);
      } else if (!this.#watchesAgain(error)) throw error;
      else lost = error;
    }
    if (created === null) {
      throw new UnavailableError("The manager ended the wait before the task was created", 14);
    }
    if (final === null) {
      // The manager ends the stream only after the final task, unless it stops or the connection
      // drops (`lost`): wait on.
      const { id } = created as Task<TData, TResult>;
      const [task] = await this.#waitUntil<TData, TResult>([id], {
        deadline,
        timeoutMs,
        signal,
        lost,
      });
      return task;
    }
    return final;
  }

  /**
   * Creates many tasks in one call: all of them, or none when any is invalid (the error names
   * each bad field as `/tasks/<index>/…`). A task whose idempotency key was used before is the
   * one that key made, as stored. A task this call created has the `data` you passed (the same
   * value: the manager's answer leaves it out, `TASK_VIEW_BASIC`) and a copy of your `metadata`.
   * `createTasksDetailed` also tells which of them this call created.
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const tasks = await client.createTasks(
   *   [1, 2, 3].map((n) => ({ executorName: "square", data: { n } })),
   * );
   * console.log(tasks.length); // 3
   * ```
   */
  async createTasks(tasks: NewTask[], options: TraceOptions = {}): Promise<Task[]> {
    return (await this.createTasksDetailed(tasks, options)).tasks;
  }

  /**
   * Creates many tasks as `createTasks` does, and also tells which of them this call created:
   * `{ tasks: Task[], created: boolean[] }`, both in the order given (REST's batch answer).
   * `created[i]` is `false` when an idempotency key had made `tasks[i]` before, by an earlier
   * call or by an earlier task of this one (the same key twice in one call makes one task,
   * created once). A manager from before `CreateTasksResponse.created` sends no flags: each is
   * then read from the answer's basic view, where only a task this call created comes without
   * its data.
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const { tasks, created } = await client.createTasksDetailed([
   *   { executorName: "send_email", data: { to: "a@example.com" }, idempotencyKey: "mail-1" },
   *   { executorName: "send_email", data: { to: "a@example.com" }, idempotencyKey: "mail-1" },
   * ]);
   * console.log(tasks[0].id === tasks[1].id, created); // true [ true, false ]
   * ```
   */
  async createTasksDetailed(tasks: NewTask[], options: TraceOptions = {}): Promise<CreatedTasks> {
    arrayArgument(tasks, "/tasks", "Cannot create task");
    checkOptions(options, TRACE_FIELDS, "Cannot create task");
    const trace = traceMetadata(options);
    const request = encodeCreateRequest(tasks, this.#limits, "many");
    const response = await this.#call<{ tasks: TaskMessage[]; created?: boolean[] }>(
      "CreateTasks",
      request,
      undefined,
      trace,
      true,
    );
    const flags = response.created ?? [];
    return {
      tasks: response.tasks.map((task, i) => createdTaskFromMessage(task, tasks[i])),
      created: response.tasks.map((task, i) =>
        flags.length === response.tasks.length
          ? flags[i]
          : task.data === null || task.data === undefined
      ),
    };
  }

  /**
   * Reads one task.
   *
   * @throws {NotFoundError}
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const task = await client.getTask("01J0000000000000000000000");
   * console.log(task.status, task.attempt, task.errors);
   * ```
   */
  async getTask<TData = unknown, TResult = unknown>(
    id: string,
    options: { signal?: AbortSignal | null } = {},
  ): Promise<Task<TData, TResult>> {
    stringArgument(id, "/id", "Invalid task id");
    checkOptions(options, GET_TASK_FIELDS, "Cannot read task");
    const response = await this.#call<{ task: TaskMessage }>(
      "GetTask",
      { id },
      options.signal ?? undefined,
    );
    return taskFromMessage(response.task) as Task<TData, TResult>;
  }

  /**
   * Lists tasks, newest first, one page at a time.
   *
   * @throws {InvalidArgumentError} naming `/limit` when it is not a whole number from 1 to 1000
   *   (nothing is sent), or a status the protocol does not have
   *
   * @example Every failed task of one executor
   * ```ts
   * import { Client, type Task } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const all: Task[] = [];
   * let cursor: string | undefined;
   * do {
   *   const page = await client.listTasks({ executorName: "send_email", status: "failed", cursor });
   *   all.push(...page.tasks);
   *   cursor = page.nextCursor ?? undefined;
   * } while (cursor);
   * console.log(all.length);
   * ```
   */
  async listTasks(filter: TaskFilter = {}): Promise<TaskPage> {
    checkOptions(filter, LIST_FILTER_FIELDS, "Invalid task filter");
    const response = await this.#call<{ tasks: TaskMessage[]; nextCursor: string }>("ListTasks", {
      ...taskFilterFields(filter),
      limit: pageLimit(filter.limit, "Invalid task filter"),
    });
    return { tasks: response.tasks.map(taskFromMessage), nextCursor: response.nextCursor || null };
  }

  /**
   * Waits for a task to reach a final status (completed, failed, dlq or cancelled): the manager
   * tells it the moment it does (a `watch` request on the client's `Produce` stream, or a
   * `WatchTasks` call when the manager does not serve that), with no polling.
   *
   * @throws {WaitTimeoutError} when `timeoutMs` passes first
   * @throws {RangeError} when `timeoutMs` is not a finite number of ms above 0 (nothing is sent)
   * @throws `signal.reason` when `signal` aborts the wait
   * @throws {NotFoundError} when no task has this id
   * @throws {UnavailableError} as `waitForTasks`: at once when the manager was never reached, at
   *   `timeoutMs` when it was lost and not reached again
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const { id } = await client.createTask("my_handler", { message: "hi" });
   * const task = await client.waitForTask(id, { timeoutMs: 5000 });
   * if (task.status !== "completed") console.error(task.errors.at(-1)?.message);
   * ```
   */
  async waitForTask<TData = unknown, TResult = unknown>(
    id: string,
    options: WaitOptions = {},
  ): Promise<Task<TData, TResult>> {
    stringArgument(id, "/taskIds/0", "Cannot wait");
    checkOptions(options, WAIT_FIELDS, "Cannot wait");
    const [task] = await this.waitForTasks<TData, TResult>([id], options);
    return task;
  }

  /**
   * Waits for every task of `ids` to reach a final status; answers them in the order of `ids`.
   * One wait per `limits.watchTaskIds` ids (a `watch` request on the client's `Produce` stream,
   * or a `WatchTasks` call when the manager does not serve that), side by side; `onTask` hears
   * of each task the moment it is final. No ids is no wait: `[]` at once, nothing sent (every task
   * named is final), as the Go SDK's `Wait` with no ids answers an empty slice; the manager
   * refuses a watch that names no task.
   *
   * A wait that loses a manager it had reached (the manager stopped or restarted, the connection
   * dropped, or went silent and was replaced) watches the tasks not yet final again, after a
   * backoff of 100 ms doubling to 2 s, until `timeoutMs`: waiting reads and changes nothing, and
   * the manager keeps the tasks, so a wait lives through a manager's restart.
   *
   * @throws {WaitTimeoutError} when `timeoutMs` passes first (naming a task still waited for)
   * @throws {RangeError} when `timeoutMs` is not a finite number of ms above 0 (nothing is sent)
   * @throws `signal.reason` when `signal` aborts the wait
   * @throws {NotFoundError} naming the first id that is not a task
   * @throws {UnavailableError} at once when the manager was never reached on this client's
   *   connections (a wrong address, a manager not started), or ended the wait for a reason it gave
   *   (its `cause`: a revoked key); at `timeoutMs` when the manager was lost and not reached again
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const created = await client.createTasks([
   *   { executorName: "my_handler", data: { message: "a" } },
   *   { executorName: "my_handler", data: { message: "b" } },
   * ]);
   * const done = await client.waitForTasks(created.map((t) => t.id), {
   *   onTask: (task) => console.log(task.id, task.status),
   * });
   * console.log(done.every((task) => task.status === "completed"));
   * ```
   */
  async waitForTasks<TData = unknown, TResult = unknown>(
    ids: readonly string[],
    options: WaitManyOptions<TData, TResult> = {},
  ): Promise<Task<TData, TResult>[]> {
    arrayArgument(ids, "/taskIds", "Cannot wait", { strings: true });
    checkOptions(options, WAIT_MANY_FIELDS, "Cannot wait");
    const timeoutMs = durationOption(options.timeoutMs, "timeoutMs", {
      fallback: 30_000,
      inSteps: true,
    });
    const deadline = performance.now() + timeoutMs;
    return await this.#waitUntil(ids, { ...options, deadline, timeoutMs });
  }

  /**
   * Waits for `ids` until `deadline` (`performance.now()` time): the waits of `waitForTasks`,
   * watched again for the tasks not yet final whenever they end early or lose a manager reached
   * before (`#watchesAgain`), after a backoff (`WAIT_AGAIN`), until the deadline. The manager
   * keeps the tasks; only the wait was lost.
   *
   * @throws {WaitTimeoutError} naming `timeoutMs` at the deadline
   * @throws {UnavailableError} at the deadline when the manager was lost and not reached again
   */
  async #waitUntil<TData, TResult>(
    ids: readonly string[],
    options: WaitManyOptions<TData, TResult> & {
      deadline: number;
      timeoutMs: number;
      /** How an earlier wait for `ids` lost the manager (`createTaskAndWait`'s). */
      lost?: UnavailableError;
    },
  ): Promise<Task<TData, TResult>[]> {
    const { deadline, timeoutMs } = options;
    const unique = [...new Set(ids)];
    const done = new Map<string, Task<TData, TResult>>();
    const backoff = new Backoff(WAIT_AGAIN);
    let lost: UnavailableError | null = options.lost ?? null;
    const told = new CallerCallback(options.onTask);
    const onTask = (task: Task<TData, TResult>) => told.call(task);
    for (;;) {
      const left = unique.filter((id) => !done.has(id));
      if (left.length === 0) return ids.map((id) => done.get(id)!);
      const remaining = Math.floor(deadline - performance.now());
      if (remaining <= 0) {
        throw lost ? notBack(lost, timeoutMs) : await this.#waitTimeout(left[0], timeoutMs);
      }
      const before = done.size;
      // A wait longer than a timer keeps (past it, a timer fires after 1 ms) watches in steps.
      const step = timerDelay(remaining);
      try {
        await this.#watch(left, { ...options, timeoutMs: step, onTask }, done);
        lost = null;
      } catch (error) {
        // What `onTask` threw ends the wait as it is, whatever it is: an `UnavailableError` of its
        // own is not the manager lost (which watched again, and answered the tasks).
        told.rethrow();
        if (options.signal?.aborted) throw options.signal.reason;
        if (error instanceof UnavailableError && error.code === 4) {
          if (step < remaining) continue;
          // The deadline. Once the manager was lost, it is back only if it answers a health check
          // now (something heard on the connection since, such as its stream's headers, does not
          // say the connection is alive still); else the tasks are just not final yet.
          const back = !lost || (!error.connectionReplaced && await this.#channel.answers());
          throw back ? await this.#waitTimeout(left[0], timeoutMs) : notBack(lost!, timeoutMs);
        }
        if (!this.#watchesAgain(error)) throw error;
        lost = error;
      }
      if (left.every((id) => done.has(id))) continue;
      // A watch that brought a task had the manager back: the next one starts the backoff again.
      if (done.size > before) backoff.reset();
      // Sleeps the backoff, or until the deadline or `signal`, whichever comes first.
      const wake = () => backoff.cancel();
      options.signal?.addEventListener("abort", wake, { once: true });
      try {
        await backoff.sleep(Math.max(0, Math.min(backoff.next(), deadline - performance.now())));
      } finally {
        options.signal?.removeEventListener("abort", wake);
      }
      if (options.signal?.aborted) throw options.signal.reason;
    }
  }

  /**
   * Whether a wait that failed with `error` watches again: UNAVAILABLE after the manager was
   * reached on this client's connections (it stopped or restarted, the connection dropped or was
   * replaced, the manager answered that it is unavailable). Not when the manager was never reached
   * (a wrong address fails at once, as every call does), nor when it ended the stream with a
   * refusal (`REFUSALS`: the error's cause, e.g. a revoked key's UNAUTHENTICATED).
   */
  #watchesAgain(error: unknown): error is UnavailableError {
    if (!(error instanceof UnavailableError) || error.code !== 14) return false;
    if (error.cause instanceof ManagerError && REFUSALS.has(error.cause.code)) return false;
    return error.connectionReplaced || this.#channel.reached;
  }

  /**
   * One wait for every task of `ids`: one `watch` per `limits.watchTaskIds` ids, side by side,
   * each task put in `done` (and told to `onTask`) as it is final; one failing ends the others.
   *
   * @throws what the first wait to fail threw
   */
  async #watch<TData, TResult>(
    ids: string[],
    options: WaitManyOptions<TData, TResult> & { timeoutMs: number },
    done: Map<string, Task<TData, TResult>>,
  ): Promise<void> {
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += this.#limits.watchTaskIds) {
      chunks.push(ids.slice(i, i + this.#limits.watchTaskIds));
    }
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    try {
      await Promise.all(
        chunks.map((taskIds) =>
          this.#channel.produce("watch", encodeMessage(WATCH_REQUEST, { taskIds }), {
            timeoutMs: options.timeoutMs,
            signal,
            trace: {},
            ownCall: !streamable(taskIds),
            onTask: (message) => {
              const task = taskFromMessage(message) as Task<TData, TResult>;
              done.set(task.id, task);
              options.onTask?.(task);
            },
          }).catch((error) => {
            stop.abort(error);
            throw error;
          })
        ),
      );
    } catch (error) {
      throw stop.signal.reason ?? error;
    }
  }

  /**
   * The error of a wait for task `id` that gave up after `timeoutMs`, with its status now ("unknown"
   * when the manager does not tell within `PROBE_TIMEOUT_MS`).
   */
  async #waitTimeout(id: string, timeoutMs: number): Promise<WaitTimeoutError> {
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), PROBE_TIMEOUT_MS);
    const status = await this.getTask(id, { signal: stop.signal })
      .then((task) => task.status, () => "unknown")
      .finally(() => clearTimeout(timer));
    return new WaitTimeoutError(
      `Task "${id}" is still ${status} after ${timeoutMs} ms`,
      status,
      id,
    );
  }

  /**
   * Cancels a pending or running task (a running handler sees `ctx.signal` aborted).
   *
   * @throws {FailedPreconditionError} when the task already finished
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const task = await client.createTask("report", {}, { runAt: Date.now() + 3_600_000 });
   * console.log((await client.cancelTask(task.id)).status); // "cancelled"
   * ```
   */
  async cancelTask(id: string): Promise<Task> {
    stringArgument(id, "/id", "Invalid task id");
    const response = await this.#call<{ task: TaskMessage }>("CancelTask", { id });
    return taskFromMessage(response.task);
  }

  /**
   * Creates an executor: the fields given in `config`, the manager's defaults for the others.
   *
   * @throws {ConflictError} when an executor of that name exists (`ALREADY_EXISTS`)
   * @throws {InvalidArgumentError} naming the field the manager refused
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const executor = await client.createExecutor("resize_image", { timeout: 60_000 });
   * console.log(executor.timeout); // 60000
   * ```
   */
  async createExecutor(name: string, config: ExecutorConfig = {}): Promise<Executor> {
    stringArgument(name, "/config/name", "Invalid executor configuration");
    const created = await this.#call<{ executor: ExecutorMessage }>("CreateExecutor", {
      config: executorConfigToMessage(name, config, this.#limits.jsonDepth),
    });
    return executorFromMessage(created.executor);
  }

  /**
   * Creates an executor, or updates the fields given in `config` when it exists already. Workers
   * do this on start for the executors they serve.
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const executor = await client.registerExecutor("send_email", {
   *   retryPolicy: { maxAttempts: 5 },
   *   timeout: 10_000,
   * });
   * console.log(executor.retryPolicy.maxAttempts); // 5
   * ```
   */
  async registerExecutor(name: string, config: ExecutorConfig = {}): Promise<Executor> {
    stringArgument(name, "/config/name", "Invalid executor configuration");
    try {
      return await this.createExecutor(name, config);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    const updated = await this.#call<{ executor: ExecutorMessage }>("UpdateExecutor", {
      id: name,
      config: executorConfigToMessage(name, config, this.#limits.jsonDepth),
    });
    return executorFromMessage(updated.executor);
  }

  /**
   * Reads one executor by name or id.
   *
   * @throws {NotFoundError}
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * console.log((await client.getExecutor("send_email")).taskSchema);
   * ```
   */
  async getExecutor(nameOrId: string): Promise<Executor> {
    stringArgument(nameOrId, "/id", "Invalid executor id or name");
    const response = await this.#call<{ executor: ExecutorMessage }>("GetExecutor", {
      id: nameOrId,
    });
    return executorFromMessage(response.executor);
  }

  /**
   * Lists every executor, by name: the manager answers them in pages of up to 2 MiB, which this
   * reads one after the other.
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * console.log((await client.listExecutors()).map((e) => e.name));
   * ```
   */
  async listExecutors(): Promise<Executor[]> {
    const executors: Executor[] = [];
    let cursor = "";
    do {
      const page = await this.#call<{ executors: ExecutorMessage[]; nextCursor: string }>(
        "ListExecutors",
        { cursor },
      );
      executors.push(...page.executors.map(executorFromMessage));
      cursor = page.nextCursor;
    } while (cursor);
    return executors;
  }

  /**
   * Deletes finished tasks (`completed`, `failed`, `cancelled`) matching the filter: at most
   * `BULK_MAX_TASKS` per call; go on with `cursor: nextCursor` until it is `null`. A store that
   * fails after some were deleted answers their `count` with `stopped` (as `BulkOutcome`).
   *
   * @throws {InvalidArgumentError} for a status that is not finished, or no filter without
   *   `confirm`
   *
   * @example Delete every completed task of one executor
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * let cursor: string | undefined;
   * let deleted = 0;
   * do {
   *   const outcome = await client.deleteTasks({
   *     executorName: "send_email",
   *     status: "completed",
   *     cursor,
   *   });
   *   deleted += outcome.count;
   *   cursor = outcome.nextCursor ?? undefined;
   * } while (cursor);
   * console.log(deleted);
   * ```
   */
  async deleteTasks(filter: BulkTaskFilter): Promise<BulkOutcome> {
    const response = await this.#call<
      { deleted: number; nextCursor: string; stopped: BulkStop | null }
    >("DeleteTasks", bulkTaskRequest(filter));
    return {
      count: response.deleted,
      invalid: 0,
      nextCursor: response.nextCursor || null,
      stopped: stopOf(response.stopped),
    };
  }

  /**
   * Cancels pending tasks matching the filter (as `deleteTasks`; `status` may only be
   * `pending`).
   *
   * @throws {InvalidArgumentError} as `deleteTasks`
   */
  async cancelTasks(filter: BulkTaskFilter): Promise<BulkOutcome> {
    const response = await this.#call<
      { cancelled: number; nextCursor: string; stopped: BulkStop | null }
    >("CancelTasks", bulkTaskRequest(filter));
    return {
      count: response.cancelled,
      invalid: 0,
      nextCursor: response.nextCursor || null,
      stopped: stopOf(response.stopped),
    };
  }

  /**
   * Runs failed and dead tasks matching the filter again, attempts counted from zero, after
   * checking their data against the executor's schema; those that no longer fit stay and are
   * counted in `invalid`.
   *
   * @throws {InvalidArgumentError} as `deleteTasks`
   */
  async retryTasks(filter: BulkTaskFilter): Promise<BulkOutcome> {
    const response = await this.#call<
      { retried: number; invalid: number; nextCursor: string; stopped: BulkStop | null }
    >("RetryTasks", bulkTaskRequest(filter));
    return {
      count: response.retried,
      invalid: response.invalid,
      nextCursor: response.nextCursor || null,
      stopped: stopOf(response.stopped),
    };
  }

  /**
   * Deletes every dead letter queue entry (and its task) matching the filter, in one call; a store
   * failure after some were deleted answers their `count` with `stopped` (as `BulkOutcome`).
   *
   * @throws {InvalidArgumentError} when no filter is set without `confirm`
   */
  async purgeDlq(filter: DlqFilter): Promise<{ count: number; stopped: BulkStop | null }> {
    const response = await this.#call<{ deleted: number; stopped: BulkStop | null }>(
      "PurgeDlq",
      dlqRequest(filter),
    );
    return { count: response.deleted, stopped: stopOf(response.stopped) };
  }

  /**
   * Requeues dead letter queue entries matching the filter (their data checked against the
   * schema; those that no longer fit stay and are counted in `invalid`), as `deleteTasks` pages.
   *
   * @throws {InvalidArgumentError} when no filter is set without `confirm`
   */
  async requeueDlq(filter: DlqFilter): Promise<BulkOutcome> {
    const response = await this.#call<
      { requeued: number; failed: number; nextCursor: string; stopped: BulkStop | null }
    >("RequeueDlq", dlqRequest(filter));
    return {
      count: response.requeued,
      invalid: response.failed,
      nextCursor: response.nextCursor || null,
      stopped: stopOf(response.stopped),
    };
  }

  /**
   * Reads task history: one point per step (default: each minute of the last hour, every
   * executor summed).
   *
   * @throws {InvalidArgumentError} naming `/step`, `/from` or `/to` (a `step` that is not a positive
   *   whole number of ms before anything is sent)
   * @throws {NotFoundError} for an `executorName` no executor has, its `missingExecutor` naming it,
   *   as every read of a named executor is refused (a manager older than 2026-12-07 answered an
   *   hour of zeros)
   *
   * @example Completed tasks per hour over the last day
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * using client = new Client({ address: "localhost:50051" });
   * const history = await client.getHistory({
   *   executorName: "send_email",
   *   from: Date.now() - 86_400_000,
   *   step: 3_600_000,
   * });
   * console.log(history.points.map((p) => p.completed), history.totals.runTimeP95);
   * ```
   */
  async getHistory(query: HistoryQuery = {}): Promise<History> {
    return historyFromMessage(await this.#call("GetHistory", historyRequest(query)));
  }

  /**
   * Closes the connection. Calls made after it fail.
   *
   * @example
   * ```ts
   * import { Client } from "@tasks-executor/sdk";
   * const client = new Client({ address: "localhost:50051" });
   * client.close();
   * ```
   */
  close(): void {
    this.#channel.close();
  }

  /** Same as `close()`, for `using client = new Client(…)`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function executorFromMessage(message: ExecutorMessage): Executor {
  const p = message.retryPolicy;
  return {
    id: message.id,
    name: message.name,
    enabled: message.enabled,
    writeConcern: {
      level: (fromEnum(ENUM_PREFIX.writeConcernLevel, message.writeConcern?.level) ??
        "journaled") as WriteConcernLevel,
    },
    retryPolicy: {
      type: fromEnum(ENUM_PREFIX.retryPolicyType, p.type) as Executor["retryPolicy"]["type"],
      maxAttempts: p.maxAttempts,
      interval: msOfDuration(p.interval) ?? 0,
      maxInterval: msOfDuration(p.maxInterval) ?? 0,
      multiplier: p.multiplier,
      jitter: p.jitter ?? 0,
    },
    dlqConfig: { enabled: message.dlqConfig.enabled, queueName: message.dlqConfig.queueName },
    taskSchema: jsonOfValue(message.taskSchema) as JsonSchema | null,
    timeout: msOfDuration(message.timeout) ?? 0,
    maxConcurrency: message.maxConcurrency,
    rateLimit: rateLimitFromMessage(message.rateLimit),
    rateLimitPerKey: rateLimitFromMessage(message.rateLimitPerKey),
    maxConcurrencyPerKey: message.maxConcurrencyPerKey ?? 0,
    groupKeyPointer: message.groupKeyPointer || null,
    createdAt: requiredDate(message.createdAt),
    updatedAt: requiredDate(message.updatedAt),
  };
}

function rateLimitFromMessage(message: RateLimitMessage | null): Required<RateLimit> | null {
  return message &&
    { limit: message.limit, period: msOfDuration(message.period) ?? 0, burst: message.burst };
}
