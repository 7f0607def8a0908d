/**
 * The Tasks Executor wire protocol: the `.proto` files, a loader for `@grpc/grpc-js`, and the
 * TypeScript shapes of its messages as the loader decodes them (lowerCamelCase, int64 as number).
 *
 * @example Load the services
 * ```ts
 * import { loadProtocol } from "@tasks-executor/proto";
 * const { TaskExecutorService, TaskExecutorManagerService } = loadProtocol();
 * console.log(typeof TaskExecutorService, typeof TaskExecutorManagerService);
 * ```
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import { protoRoot, valueBytesRoot } from "./_root.ts";
import { PROTO_DESCRIPTOR_SET, PROTO_FILES } from "./_source.ts";
import type { ValueField } from "./struct_value.ts";
import type { TimeMessage } from "./time.ts";

export { PROTO_FILES };
export {
  BAD_REQUEST_TYPE_URL,
  badRequestDetails,
  ERROR_INFO_DOMAIN,
  ERROR_INFO_TYPE_URL,
  EXECUTOR_NOT_FOUND_REASON,
  executorNotFoundDetails,
  executorNotFoundFromDetails,
  executorNotFoundFromMetadata,
  existingTaskDetails,
  existingTaskIdFromDetails,
  existingTaskIdFromMetadata,
  type FieldViolationMessage,
  IDEMPOTENCY_KEY_USED_REASON,
  STATUS_DETAILS_METADATA_KEY,
  violationsFromDetails,
  violationsFromMetadata,
  WORKER_ID_HELD_REASON,
  type WorkerIdHeld,
  workerIdHeldDetails,
  workerIdHeldFromDetails,
  workerIdHeldFromMetadata,
} from "./status_details.ts";
export { ENUM_PREFIX, fromEnum, toEnum } from "./enums.ts";
export {
  CHECKS_PER_INTERVAL,
  isSilent,
  type KeepaliveCheck,
  KeepaliveState,
  SILENT_INTERVALS,
  silentMsAtLeast,
} from "./keepalive.ts";
export {
  encodeProduceCancel,
  encodeProduceRequest,
  PRODUCE_NOT_RUN_METADATA_KEY,
  PRODUCE_REQUESTS_IN_FLIGHT,
} from "./produce.ts";
export {
  durationFromMs,
  msFromDuration,
  msFromTimestamp,
  type TimeMessage,
  timeProblem,
  timestampFromMs,
} from "./time.ts";
export {
  jsonFromValue,
  jsonOfValue,
  structFromJson,
  type StructMessage,
  type ValueField,
  valueFromJson,
  type ValueMessage,
} from "./struct_value.ts";
export { valueBytesOf } from "./value_bytes.ts";
export {
  LEGACY_WORKER_ID_MESSAGE,
  LEGACY_WORKER_PREFIX,
  WORKER_ID_CHARS,
  workerIdViolation,
} from "./worker_id.ts";

/** The proto package name. */
export const PROTO_PACKAGE = "taskexecutor.v1";

/** Options the manager and the SDK both decode messages with. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * An attempt's error message as the manager keeps it: at most `maxChars` characters (UTF-16 code
 * units), a longer one cut and marked with its full length. The SDK cuts with the same rule before
 * sending, so what a worker logs and what the manager stores agree.
 *
 * @example
 * ```ts
 * import { cutErrorMessage } from "@tasks-executor/proto";
 * console.log(cutErrorMessage("x".repeat(100), 40)); // "xxxxxxxxxxxx … [cut from 100 characters]"
 * ```
 */
export function cutErrorMessage(message: string, maxChars: number): string {
  if (message.length <= maxChars) return message;
  const mark = ` … [cut from ${message.length} characters]`;
  let end = Math.max(0, maxChars - mark.length);
  // Never keep half of a surrogate pair.
  const last = message.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--;
  return (message.slice(0, end) + mark).slice(0, maxChars);
}

/**
 * The log lines of one attempt as kept: at most `maxLines`, each cut to `maxChars`
 * (`cutErrorMessage`); when more came, the last kept line says how many were dropped. What is not
 * a string is left out. The SDK applies it before sending and the manager again on receipt.
 *
 * @example
 * ```ts
 * import { boundLogLines } from "@tasks-executor/proto";
 * console.log(boundLogLines(["a", "b", "c", "d"], 3, 80)); // ["a", "b", "… 2 more lines dropped"]
 * ```
 */
export function boundLogLines(
  lines: unknown,
  maxLines: number,
  maxChars: number,
  options: { total?: number } = {},
): string[] {
  if (!Array.isArray(lines) || maxLines <= 0) return [];
  const text = lines.filter((line): line is string => typeof line === "string");
  // `total`: how many lines were logged when only the first ones were kept (the SDK keeps few).
  const total = Math.max(options.total ?? 0, text.length);
  if (total <= maxLines) return text.map((line) => cutErrorMessage(line, maxChars));
  const kept = text.slice(0, maxLines - 1).map((line) => cutErrorMessage(line, maxChars));
  return [...kept, `… ${total - kept.length} more lines dropped`];
}

/**
 * `message` (decoded shape, as the loader gives it) encoded as `typeName`
 * (`taskexecutor.v1.CreateTasksRequest`): the bytes gRPC would send, so that a caller can weigh
 * a request and send the same bytes (see the SDK's `unary` with `encoded`) instead of encoding
 * it twice.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "@tasks-executor/proto";
 * console.log(encodeMessage("taskexecutor.v1.GetTaskRequest", { id: "t1" }).length); // 4
 * ```
 */
export function encodeMessage(
  typeName: string,
  message: Record<string, unknown>,
  options: {
    /** `message`'s `Value` fields are encoded `Value`s (`valueBytesOf`), as in `withValueBytes`. */
    valueBytes?: boolean;
  } = {},
): Uint8Array {
  const types = options.valueBytes ? bytesEncodingTypes : encodingTypes;
  let type = types.get(typeName);
  if (!type) {
    type = (options.valueBytes ? valueBytesRoot() : protoRoot()).lookupType(typeName);
    types.set(typeName, type);
  }
  return type.encode(type.fromObject(message)).finish();
}

/**
 * The protobufjs type of the protocol's message `typeName` (e.g. `"taskexecutor.v1.WorkResponse"`),
 * resolved: its fields by number and declared type, for a walk of its bytes. With `valueBytes`,
 * as `withValueBytes` decodes it (its `Value` fields as bytes).
 *
 * @throws {Error} for a name the protocol does not define
 */
export function messageType(
  typeName: string,
  options: { valueBytes?: boolean } = {},
): protobuf.Type {
  return (options.valueBytes ? valueBytesRoot() : protoRoot()).lookupType(typeName);
}

// Found once per name: the root's lookup cost about half of what converting and encoding a
// small create does.
const encodingTypes = new Map<string, protobuf.Type>();
const bytesEncodingTypes = new Map<string, protobuf.Type>();

let bytesDefinition: protoLoader.PackageDefinition | undefined;

/**
 * `service` (one of `loadProtocol`'s, or a copy of its methods) with every `google.protobuf.Value`
 * field of its requests and answers carried as the encoded `Value` (a `Uint8Array`, unset
 * `undefined`): read with `jsonFromValue`, written with `valueBytesOf`, one JavaScript value per
 * JSON value instead of about six (value_bytes.ts). The wire is the same; only the four
 * serializers change, and the methods' types (for reflection and wire checks) stay as they were.
 *
 * @example
 * ```ts
 * import { loadProtocol, withValueBytes } from "@tasks-executor/proto";
 * const service = withValueBytes(loadProtocol().TaskExecutorManagerService.service);
 * console.log(service.CreateTask.path); // "/taskexecutor.v1.TaskExecutorManagerService/CreateTask"
 * ```
 */
export function withValueBytes(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  bytesDefinition ??= protoLoader.fromJSON(valueBytesRoot().toJSON(), LOADER_OPTIONS);
  const methods = new Map<string, grpc.MethodDefinition<unknown, unknown>>();
  for (const entry of Object.values(bytesDefinition)) {
    if ("format" in entry) continue;
    for (const method of Object.values(entry as grpc.ServiceDefinition)) {
      if (typeof method === "object" && "path" in method) methods.set(method.path, method);
    }
  }
  return Object.fromEntries(
    Object.entries(service).map(([name, method]) => {
      const bytes = methods.get(method.path);
      if (!bytes) throw new Error(`${method.path} is not a method of the protocol`);
      return [name, {
        ...method,
        requestSerialize: bytes.requestSerialize,
        requestDeserialize: bytes.requestDeserialize,
        responseSerialize: bytes.responseSerialize,
        responseDeserialize: bytes.responseDeserialize,
      }];
    }),
  );
}

/** The loaded services, ready for `grpc.Server.addService` or as client constructors. */
export interface Protocol {
  /** Package definition: every service and message, as grpc-js loads them. */
  packageDefinition: protoLoader.PackageDefinition;
  /**
   * The compiled `FileDescriptorProto` of every file (ours, google.rpc's and the well-known types
   * they import), as protoc writes them: what server reflection serves.
   */
  fileDescriptors: Uint8Array[];
  /** Management API service. */
  TaskExecutorManagerService: grpc.ServiceClientConstructor;
  /** Worker protocol service. */
  TaskExecutorService: grpc.ServiceClientConstructor;
}

let cached: Protocol | undefined;

const enumNamesCache = new Map<string, readonly string[]>();

/**
 * The lowercase names of the values of the `taskexecutor.v1` enum whose value names start with
 * `prefix` (an `ENUM_PREFIX` entry), `<PREFIX>UNSPECIFIED` left out, in declaration order.
 *
 * @example
 * ```ts
 * import { ENUM_PREFIX, enumNames } from "@tasks-executor/proto";
 * console.log(enumNames(ENUM_PREFIX.overlapPolicy)); // ["skip", "allow"]
 * ```
 */
export function enumNames(prefix: string): readonly string[] {
  const known = enumNamesCache.get(prefix);
  if (known) return known;
  const found = Object.values(protoRoot().lookup(PROTO_PACKAGE)!.toJSON().nested ?? {})
    .map((nested) => (nested as { values?: Record<string, number> }).values)
    .find((values) => values && Object.keys(values).some((name) => name.startsWith(prefix)));
  if (!found) throw new Error(`No enum of ${PROTO_PACKAGE} has values named ${prefix}…`);
  const names = Object.keys(found)
    .filter((name) => name !== `${prefix}UNSPECIFIED`)
    .map((name) => name.slice(prefix.length).toLowerCase());
  enumNamesCache.set(prefix, names);
  return names;
}

/**
 * Parses the embedded `.proto` files (no file is read) and loads them for `@grpc/grpc-js`.
 *
 * @example
 * ```ts
 * import { loadProtocol } from "@tasks-executor/proto";
 * const proto = loadProtocol();
 * console.log(Object.keys(proto.TaskExecutorService.service));
 * ```
 */
export function loadProtocol(): Protocol {
  if (cached) return cached;
  const packageDefinition = protoLoader.fromJSON(protoRoot().toJSON(), LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(packageDefinition);
  const pkg = PROTO_PACKAGE.split(".").reduce(
    (object, name) => object[name] as grpc.GrpcObject,
    loaded,
  );
  const set = descriptor.FileDescriptorSet.decode(
    Uint8Array.from(atob(PROTO_DESCRIPTOR_SET), (c) => c.charCodeAt(0)),
  ) as unknown as { file: protobuf.Message[] };
  cached = {
    packageDefinition,
    fileDescriptors: set.file.map((file) => descriptor.FileDescriptorProto.encode(file).finish()),
    TaskExecutorManagerService: pkg.TaskExecutorManagerService as grpc.ServiceClientConstructor,
    TaskExecutorService: pkg.TaskExecutorService as grpc.ServiceClientConstructor,
  };
  return cached;
}

// ------------------------------------------------------------------------------------------------
// Message shapes (decoded with LOADER_OPTIONS). Management API times are `Timestamp`s and
// `Duration`s (unset = null); the worker stream's are epoch milliseconds (0 = unset). JSON values
// are `ValueField`s: unset is null in the message form, undefined in the bytes form.
// ------------------------------------------------------------------------------------------------

/** Retry policy of an executor. */
export interface RetryPolicyMessage {
  type: string;
  maxAttempts: number;
  interval: TimeMessage | null;
  maxInterval: TimeMessage | null;
  multiplier: number;
  /** In an `ExecutorConfig`: unset = keep; 0 = none. */
  jitter: number | null;
}

/** Dead letter queue settings of an executor. */
export interface DlqConfigMessage {
  enabled: boolean;
  queueName: string;
}

/** A start rate: `limit` starts per `period` (unset = 1 s), up to `burst` at once (0 = `limit`). */
export interface RateLimitMessage {
  limit: number;
  period: TimeMessage | null;
  burst: number;
}

/** Executor configuration as sent to create or update one. */
export interface ExecutorConfigMessage {
  name: string;
  enabled?: boolean;
  writeConcern?: { level: string } | null;
  retryPolicy?: Partial<RetryPolicyMessage> | null;
  dlqConfig?: Partial<DlqConfigMessage> | null;
  taskSchema?: ValueField | null;
  timeout?: TimeMessage | null;
  /** Unset = keep; 0 = no limit. */
  maxConcurrency?: number | null;
  /** Unset = keep; only `limit` 0 = remove. */
  rateLimit?: Partial<RateLimitMessage> | null;
  /** Unset = keep; only `limit` 0 = remove. */
  rateLimitPerKey?: Partial<RateLimitMessage> | null;
  /** Unset = keep; 0 = no limit. */
  maxConcurrencyPerKey?: number | null;
  /** Unset = keep; "" = none. */
  groupKeyPointer?: string | null;
}

/** A stored executor. */
export interface ExecutorMessage {
  id: string;
  name: string;
  enabled: boolean;
  writeConcern: { level: string };
  retryPolicy: RetryPolicyMessage;
  dlqConfig: DlqConfigMessage;
  taskSchema?: ValueField | null;
  timeout: TimeMessage;
  maxConcurrency: number;
  createdAt: TimeMessage;
  updatedAt: TimeMessage;
  /** Null = none. */
  rateLimit: RateLimitMessage | null;
  /** Null = none. */
  rateLimitPerKey: RateLimitMessage | null;
  /** 0 = no limit. */
  maxConcurrencyPerKey: number;
  /** "" = none. */
  groupKeyPointer: string;
}

/** One failed attempt. */
export interface TaskErrorMessage {
  attempt: number;
  message: string;
  at: TimeMessage;
  workerId: string;
  /** The run the attempt belonged to (0 = not recorded). */
  run?: number;
  /** The error's stack trace, as the worker sent it ("" = none). */
  stack?: string;
  /** Lines the handler logged during the attempt. */
  logs?: string[];
}

/** A stored task. */
export interface TaskMessage {
  id: string;
  executorName: string;
  /** Unset (`null`) only for a task created in a `TASK_VIEW_BASIC` answer. */
  data?: ValueField | null;
  metadata: Record<string, string>;
  status: string;
  priority: number;
  runAt: TimeMessage;
  attempt: number;
  maxAttempts: number;
  /** The first failed attempt and the newest ones (at most 50 by default), oldest first. */
  errors: TaskErrorMessage[];
  /** Failed attempts left out of `errors`, between the first and the newest kept. */
  errorsDropped: number;
  /** A null value until the task completes with a result (unset in a basic view). */
  result?: ValueField | null;
  createdAt: TimeMessage;
  updatedAt: TimeMessage;
  startedAt: TimeMessage | null;
  completedAt: TimeMessage | null;
  idempotencyKey: string;
  workerId: string;
  /** 1, then one more per requeue. */
  run?: number;
  /** The latest progress a worker reported (a null value = none; unset in a basic view). */
  progress?: ValueField | null;
  /** Lines the handler logged during the attempt that completed the task. */
  logs?: string[];
  /** Flow-control group; "" = none. */
  groupKey: string;
  /** When the running attempt's lease runs out; unset (`null`) unless in progress. */
  leaseExpiresAt?: TimeMessage | null;
}

/** A task to create. */
export interface NewTaskMessage {
  executorName: string;
  /** Unset = null. */
  data?: ValueField | null;
  metadata?: Record<string, string>;
  priority?: number;
  runAt?: TimeMessage | null;
  idempotencyKey?: string;
  /** Flow-control group; "" or unset = from the executor's `groupKeyPointer`. */
  groupKey?: string;
}

/** A dead-lettered task. */
export interface DlqEntryMessage {
  id: string;
  queueName: string;
  task: TaskMessage;
  reason: string;
  deadAt: TimeMessage;
  executorName: string;
}

/** Worker → manager: the first message on a `Work` stream. */
export interface HelloMessage {
  workerId: string;
  executors: string[];
  sdkVersion: string;
  /** The worker's host name ("" = not said). */
  host?: string;
  /** Its process id (0 = not said). */
  pid?: number;
  /** Its runtime and version, e.g. "deno 2.7.14" ("" = not said). */
  runtime?: string;
  /** It speaks keepalive (see `WelcomeMessage.keepaliveInterval`). */
  keepalive?: boolean;
}

/** Worker → manager: room for more tasks of one executor. */
export interface CreditMessage {
  executorName: string;
  /** Added to the credit left; 0 withdraws it all (draining). */
  credits: number;
}

/** Worker → manager: the outcome of one attempt. */
export interface ResultMessage {
  taskId: string;
  leaseToken: string;
  ok: boolean;
  resultJson?: string;
  error?: string;
  retryable?: boolean;
  /** Wait this long before the next attempt; unset or zero = the executor's policy. */
  retryAfter?: TimeMessage | null;
  /** `DLQ_REASON_VALIDATION` when the data failed the executor's schema on the worker. */
  failureReason?: string | number;
  /** The handler was rate limited: run again after `retryAfter`, no attempt spent. */
  rateLimited?: boolean;
  /** The failure's stack trace. */
  stack?: string;
  /** Lines the handler logged during the attempt. */
  logs?: string[];
}

/** Worker → manager on the `Work` stream (exactly one field set). */
export interface WorkRequest {
  hello?: HelloMessage | null;
  credit?: CreditMessage | null;
  results?: { results: ResultMessage[] } | null;
  /** Leases to extend; `progressJson`: the latest progress of some of them, as JSON text. */
  heartbeat?: { taskIds: string[]; progressJson?: Record<string, string> } | null;
  kind?: "hello" | "credit" | "results" | "heartbeat";
}

/** A task leased to a worker. */
export interface AssignmentMessage {
  taskId: string;
  executorName: string;
  dataJson: string;
  metadata: Record<string, string>;
  attempt: number;
  maxAttempts: number;
  leaseToken: string;
  /** When the lease expires (unset: not said). */
  leaseExpiresAt: TimeMessage | null;
  /** When the task was created. */
  createdAt: TimeMessage | null;
  /** W3C trace context the attempt continues; "" = none (see proto/tracing.ts). */
  traceparent: string;
  /** W3C tracestate sent with `traceparent`; "" = none. */
  tracestate: string;
}

/** Manager → worker: abort these tasks. */
export interface CancellationMessage {
  taskId: string;
  /** A `CancellationReason` value name (`CANCELLATION_REASON_TIMEOUT`). */
  reason: string | number;
}

/** Manager → worker: whether a result was applied. */
export interface ResultAckMessage {
  taskId: string;
  accepted: boolean;
  error: string;
}

/** Manager → worker: the first message on a `Work` stream, with the manager's limits (0 = not said). */
export interface WelcomeMessage {
  managerId: string;
  /** Largest message the manager receives, in bytes. */
  maxMessageBytes: number;
  /** Largest `resultJson` the manager stores, in bytes of UTF-8. */
  maxResultBytes: number;
  /** Longest error message kept, in characters; longer ones are cut (`cutErrorMessage`). */
  maxErrorChars: number;
  /** Longest stack trace kept, in characters. */
  maxStackChars?: number;
  /** Most log lines kept per attempt, and the longest line, in characters. */
  maxLogLines?: number;
  maxLogLineChars?: number;
  /** Largest progress kept, as JSON text, in bytes of UTF-8. */
  maxProgressBytes?: number;
  /**
   * How often, at least, each side writes on the stream of a worker that speaks keepalive; a side
   * that hears nothing for 3 of them treats the stream as dead. Unset = no keepalive.
   */
  keepaliveInterval?: TimeMessage | null;
}

/** Manager → worker on the `Work` stream (exactly one field set). */
export interface WorkResponse {
  welcome?: WelcomeMessage | null;
  assignments?: { tasks: AssignmentMessage[] } | null;
  cancellations?: { tasks: CancellationMessage[] } | null;
  acks?: { acks: ResultAckMessage[] } | null;
  /** An executor this worker serves was deleted. */
  executorDeleted?: { executorName: string } | null;
  /** The manager is alive (sent only when it wrote nothing else for a keepalive interval). */
  keepalive?: Record<string, never> | null;
  kind?: "welcome" | "assignments" | "cancellations" | "acks" | "executorDeleted" | "keepalive";
}

/** Client → manager on the `Produce` stream. */
export interface ProduceRequestMessage {
  requestId: number;
  create?: { task?: unknown } | null;
  createAndWatch?: { task?: unknown } | null;
  cancel?: Record<string, never> | null;
  watch?: { taskIds?: unknown[] } | null;
  kind?: "create" | "createAndWatch" | "cancel" | "watch";
  traceparent: string;
  tracestate: string;
}

/** A request's failure, as its own call's status would say it. */
export interface ProduceErrorMessage {
  /** gRPC status code. */
  code: number;
  message: string;
  /** Binary `google.rpc.Status` (field violations for INVALID_ARGUMENT); empty without one. */
  details: Uint8Array;
  /** ALREADY_EXISTS: the task the idempotency key made. */
  existingTaskId: string;
}

/** Manager → client on the `Produce` stream. */
export interface ProduceResponseMessage {
  requestId: number;
  task?: TaskMessage | null;
  error?: ProduceErrorMessage | null;
  kind?: "task" | "error";
  /** The request's last answer. */
  done: boolean;
}
