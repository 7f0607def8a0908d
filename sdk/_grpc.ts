/**
 * The SDK's side of gRPC: clients for both services, unary calls as promises, manager statuses
 * turned into the SDK's error classes, and executor configurations turned into proto messages.
 */
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import {
  durationFromMs,
  ENUM_PREFIX,
  enumNames,
  type ExecutorConfigMessage,
  executorNotFoundFromMetadata,
  existingTaskIdFromMetadata,
  type FieldViolationMessage,
  loadProtocol,
  msFromDuration,
  msFromTimestamp,
  type RateLimitMessage,
  type TimeMessage,
  timeProblem,
  timestampFromMs,
  toEnum,
  valueBytesOf,
  violationsFromMetadata,
  withValueBytes,
} from "@tasks-executor/proto";
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import {
  ConflictError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  ManagerError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
} from "./errors.ts";
import { checkFields, type FieldSpec, refuseViolations, SDK_DURATION_MESSAGE } from "./_fields.ts";
import { describeViolations } from "./schema.ts";
import type { ExecutorConfig, RateLimit } from "./types.ts";

/** Options shared by `Worker` and `Client` for reaching the manager. */
export interface ConnectionOptions {
  /** `host:port` of the manager's gRPC server, e.g. `localhost:50051`. */
  address: string;
  /**
   * API key (`te_<id>_<secret>`) sent as `authorization: Bearer <key>` on every call and stream
   * (default: the environment variable `TASKS_EXECUTOR_API_KEY`; none when that is unset too).
   */
  apiKey?: string | null;
  /**
   * TLS to the manager: `true` trusts the system's roots; an object names a private CA and, for
   * mutual TLS, a client certificate and key (default: plaintext).
   */
  tls?: boolean | TlsOptions | null;
}

/**
 * TLS material for the connection to the manager. Each field is PEM text (a string holding
 * `-----BEGIN`, or bytes) or the path of a PEM file.
 */
export interface TlsOptions {
  /** CA certificates to trust (default: the system's roots). */
  ca?: string | Uint8Array | null;
  /** Client certificate chain, for mutual TLS (with `key`). */
  cert?: string | Uint8Array | null;
  /** Private key of `cert`. */
  key?: string | Uint8Array | null;
}

/**
 * The fields of `ConnectionOptions` with their kinds (`checkFields`), for the constructors'
 * checks; `address` and `tls` are checked further by `checkConnection`.
 */
export const CONNECTION_FIELDS: FieldSpec = {
  address: "string",
  apiKey: "string?null",
  tls: "any",
};

/** The fields of `TlsOptions`, each checked by `checkConnection`. */
const TLS_FIELDS: FieldSpec = { ca: "any", cert: "any", key: "any" };

/**
 * Pushes what `checkFields` cannot tell of the connection fields of `options` (an option object
 * that passed it): no `address` (`""` too), a `tls` that is neither `true`, `false` nor an
 * object of PEM fields, or a PEM field that is neither text nor bytes (a `Buffer` is bytes).
 * Whether a PEM file can be read, and `apiKey`'s characters, are `makeClient`'s to tell.
 */
export function checkConnection(
  options: Record<string, unknown>,
  violations: FieldViolation[],
): void {
  if (options.address === undefined || options.address === null || options.address === "") {
    violations.push({
      field: "/address",
      message: "Must be given: host:port of the manager's gRPC server",
    });
  }
  const tls = options.tls;
  if (tls === undefined || tls === null || typeof tls === "boolean") return;
  if (typeof tls !== "object" || Array.isArray(tls)) {
    violations.push({
      field: "/tls",
      message: "Must be true, false or an object of PEM fields (ca, cert, key)",
    });
    return;
  }
  const fields = checkFields(tls, TLS_FIELDS, "/tls", violations)!;
  for (const key of ["ca", "cert", "key"]) {
    const value = fields[key];
    if (value === undefined || value === null) continue;
    if (typeof value === "string" || value instanceof Uint8Array) continue;
    violations.push({
      field: `/tls/${key}`,
      message: "Must be PEM text, PEM bytes (a Uint8Array) or the path of a PEM file",
    });
  }
}

/** The environment variable `apiKey` defaults to. */
const API_KEY_VARIABLE = "TASKS_EXECUTOR_API_KEY";

function pemOf(value: string | Uint8Array | null | undefined, option: string): Buffer | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") return Buffer.from(value);
  if (value.includes("-----BEGIN")) return Buffer.from(value, "utf8");
  try {
    return readFileSync(value);
  } catch (error) {
    throw new TypeError(
      `Option tls.${option} must be PEM text or a readable PEM file, cannot read "${value}": ${
        (error as Error).message
      }`,
    );
  }
}

function credentialsOf(tls: ConnectionOptions["tls"]): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  if (tls === true) return grpc.credentials.createSsl();
  const key = pemOf(tls.key, "key");
  const cert = pemOf(tls.cert, "cert");
  if ((key === null) !== (cert === null)) {
    throw new TypeError("Options tls.cert and tls.key go together: give both or neither");
  }
  return grpc.credentials.createSsl(pemOf(tls.ca, "ca"), key, cert);
}

/**
 * What to say when the manager refuses a client that sent no key: how to give one, for the way
 * none was found (the `apiKey` option given empty, `TASKS_EXECUTOR_API_KEY` unreadable without
 * permission to read the environment, or neither set). `null` when a key was sent.
 */
export function missingKeyHint(option: string | null | undefined): string | null {
  if (apiKeyOf(option) !== null) return null;
  if (option !== undefined && option !== null) {
    return "No API key given: the apiKey option is empty";
  }
  return environmentKey() === null
    ? `No API key given: ${API_KEY_VARIABLE} cannot be read without permission to read the environment (Deno: --allow-env), and the apiKey option is unset`
    : `No API key given: set ${API_KEY_VARIABLE} or the apiKey option`;
}

/** `TASKS_EXECUTOR_API_KEY` (`undefined` when unset), or `null` without permission to read it. */
function environmentKey(): string | undefined | null {
  try {
    return process.env[API_KEY_VARIABLE];
  } catch {
    return null;
  }
}

/**
 * The key to send: the option, else the environment variable (unreadable without permission to
 * read the environment: then none).
 *
 * @throws {TypeError} when the key holds spaces or characters a header cannot carry
 */
function apiKeyOf(option: string | null | undefined): string | null {
  const key = option ?? environmentKey();
  const source = option === undefined || option === null ? API_KEY_VARIABLE : "Option apiKey";
  if (key === undefined || key === null || key === "") return null;
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new TypeError(`${source} must be an API key without spaces or control characters`);
  }
  return key;
}

/** Adds `authorization: Bearer <key>` to the metadata of every call and stream. */
function bearer(key: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", `Bearer ${key}`);
        next(metadata, listener);
      },
    });
}

/**
 * Makes a client of one of the two services: every channel of the SDK is made here. `interceptors`
 * run on every call and stream of the client, inside the one that sends the API key.
 *
 * @throws {TypeError} when `apiKey` (or its variable) or a `tls` file cannot be used
 */
export function makeClient(
  service: "TaskExecutorService" | "TaskExecutorManagerService",
  options: ConnectionOptions,
  extra: { interceptors?: grpc.Interceptor[] } = {},
): grpc.Client {
  const Ctor = clientConstructor(service);
  const key = apiKeyOf(options.apiKey);
  return new Ctor(options.address, credentialsOf(options.tls), {
    // Reconnect quickly after a manager restart; the SDK adds its own backoff on top.
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 5000,
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    // A connection of its own per client: grpc-js would otherwise share one among clients of the
    // same address, and a worker that finds its stream silent could not leave the dead
    // connection by making new clients (see `WorkConnection`).
    "grpc.use_local_subchannel_pool": 1,
    // The window this client gives the manager on each stream and the connection (HTTP/2 flow
    // control; 64 KiB by default). The manager sends a worker no more tasks than its stream's
    // window holds, and at the rates a worker reaches 64 KiB of assignments held it back.
    "grpc-node.flow_control_window": FLOW_CONTROL_WINDOW,
    interceptors: [...(key === null ? [] : [bearer(key)]), ...(extra.interceptors ?? [])],
  });
}

/**
 * The largest message a client of the SDK sends or receives: grpc-js cancels a call that writes a
 * larger one.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const constructors = new Map<string, grpc.ServiceClientConstructor>();

/**
 * The client class of `service`, whose task data, results and schemas travel as the bytes of
 * their `Value`s (`withValueBytes`): written with `valueBytesOf`, read with `jsonOfValue`, one
 * JavaScript value per JSON value instead of about six.
 */
function clientConstructor(service: "TaskExecutorService" | "TaskExecutorManagerService") {
  let Ctor = constructors.get(service);
  if (!Ctor) {
    const definition = withValueBytes(loadProtocol()[service].service);
    Ctor = grpc.makeGenericClientConstructor(definition, service);
    constructors.set(service, Ctor);
  }
  return Ctor;
}

/** Bytes of HTTP/2 window this client grants per stream and connection. */
const FLOW_CONTROL_WINDOW = 4 * 1024 * 1024;

type UnaryMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

/** How `unary` and `serverStream` make a call. */
export interface CallSettings {
  /** The call's deadline, from now. */
  timeoutMs: number;
  /** Cancels the call once aborted. */
  signal?: AbortSignal;
  /** Call metadata to send (such as `traceparent`). */
  metadata?: Record<string, string>;
  /** `request` is the encoded message (a `Uint8Array`). */
  encoded?: boolean;
}

/**
 * Calls one unary method; rejects with the SDK error class matching the status. With `encoded`,
 * `request` is the request message already encoded (`encodeMessage`), sent as it is.
 *
 * Calls fail fast: while connections to the manager fail (refused, a TLS refusal), a call fails
 * at once with UNAVAILABLE carrying the connection's error, which callers log and retry on their
 * own backoff. (grpc-js would wait for a connection only if asked through the `Metadata` options,
 * and its error would then say no more than "deadline exceeded".)
 */
export function unary<TResponse>(
  client: grpc.Client,
  method: string,
  request: unknown,
  options: CallSettings,
): Promise<TResponse> {
  const fn = options.encoded
    ? encodedUnary(client, method)
    : (client as unknown as Record<string, UnaryMethod>)[method];
  return new Promise<TResponse>((resolve, reject) => {
    const call = fn.call(
      client,
      request,
      metadataOf(options.metadata),
      { deadline: Date.now() + options.timeoutMs },
      (error, response) => {
        options.signal?.removeEventListener("abort", onAbort);
        if (error) reject(toSdkError(error, method));
        else resolve(response as TResponse);
      },
    );
    const onAbort = () => call.cancel();
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function metadataOf(entries: Record<string, string> = {}): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

/** An encoded request message as grpc-js sends it: the same bytes, as a Buffer. */
export function passThrough(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The definition (path, serializers) of `method` of the client's service. */
export function definitionOf(
  client: grpc.Client,
  method: string,
): grpc.MethodDefinition<unknown, unknown> {
  return (client.constructor as grpc.ServiceClientConstructor).service[method];
}

// `method` of the client's service, taking its request as encoded bytes.
function encodedUnary(client: grpc.Client, method: string): UnaryMethod {
  const definition = definitionOf(client, method);
  return (request, metadata, options, callback) =>
    client.makeUnaryRequest(
      definition.path,
      passThrough,
      definition.responseDeserialize,
      request as Uint8Array,
      metadata,
      options,
      callback,
    );
}

// The server-streaming `method` of the client's service, taking its request as encoded bytes.
function encodedServerStream(client: grpc.Client, method: string): ServerStreamMethod {
  const definition = definitionOf(client, method);
  return (request, metadata, options) =>
    client.makeServerStreamRequest(
      definition.path,
      passThrough,
      definition.responseDeserialize,
      request as Uint8Array,
      metadata,
      options,
    );
}

type ServerStreamMethod = (
  request: unknown,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
) => grpc.ClientReadableStream<unknown>;

/**
 * Calls one server-streaming method, handing each message to `onMessage`; resolves when the
 * server ends the stream, rejects with the SDK error class matching the status (or with the
 * signal's reason once `signal` is aborted).
 */
export function serverStream<TMessage>(
  client: grpc.Client,
  method: string,
  request: unknown,
  options: CallSettings & { onMessage: (message: TMessage) => void },
): Promise<void> {
  const fn = options.encoded
    ? encodedServerStream(client, method)
    : (client as unknown as Record<string, ServerStreamMethod>)[method];
  return new Promise<void>((resolve, reject) => {
    if (options.signal?.aborted) return reject(options.signal.reason);
    const call = fn.call(client, request, metadataOf(options.metadata), {
      deadline: Date.now() + options.timeoutMs,
    });
    const onAbort = () => call.cancel();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (error?: Error) => {
      options.signal?.removeEventListener("abort", onAbort);
      if (options.signal?.aborted) reject(options.signal.reason);
      else if (error) reject(error);
      else resolve();
    };
    call.on("data", (message: TMessage) => options.onMessage(message));
    call.on("error", (error: grpc.ServiceError) => settle(toSdkError(error, method)));
    call.on("end", () => settle());
  });
}

const RESOLUTION_NOTE = "Resolution note:";

/**
 * `details` without a trailing empty "Resolution note:" (and the white space and one period
 * before it): grpc-js ends the details of a failed connection with a note of the name resolver,
 * empty for a plain `host:port`, which says nothing. Cut by trimming, not by a regular expression:
 * `/\.?\s*Resolution note:\s*$/` tries every start in a run of white space, and 16,000 spaces in
 * a status message a manager sent held the thread 306 ms (64,000: 6.6 s).
 *
 * @example
 * ```ts
 * console.log(withoutEmptyResolutionNote("No connection established. Resolution note: ")); // "No connection established"
 * ```
 */
export function withoutEmptyResolutionNote(details: string): string {
  const trimmed = details.trimEnd();
  if (!trimmed.endsWith(RESOLUTION_NOTE)) return details;
  const before = trimmed.slice(0, -RESOLUTION_NOTE.length).trimEnd();
  return before.endsWith(".") ? before.slice(0, -1) : before;
}

/** A grpc-js status error as the SDK error class of its code. */
export function toSdkError(error: grpc.ServiceError, method: string): Error {
  const message = withoutEmptyResolutionNote(
    error.details || error.message || `${method} failed`,
  );
  const options = { cause: error };
  switch (error.code) {
    case grpc.status.NOT_FOUND:
      return new NotFoundError(message, error.code, {
        ...options,
        missingExecutor: executorNotFoundFromMetadata(error.metadata),
      });
    case grpc.status.ALREADY_EXISTS:
      return new ConflictError(message, error.code, {
        ...options,
        existingTaskId: existingTaskIdFromMetadata(error.metadata),
      });
    case grpc.status.INVALID_ARGUMENT:
      return new InvalidArgumentError(
        message,
        error.code,
        violationsFromMetadata(error.metadata),
        options,
      );
    case grpc.status.FAILED_PRECONDITION:
      return new FailedPreconditionError(message, error.code, options);
    case grpc.status.UNAUTHENTICATED:
      return new UnauthenticatedError(message, error.code, options);
    case grpc.status.PERMISSION_DENIED:
      return new PermissionDeniedError(message, error.code, options);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new ResourceExhaustedError(message, error.code, options);
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return new UnavailableError(
        `Manager unreachable (${method}): ${message}`,
        error.code,
        options,
      );
    default:
      return new ManagerError(message, error.code, options);
  }
}

/**
 * `json` as the bytes of its `Value` (`valueBytesOf`), once it passed the check the manager runs
 * on what it keeps (`checkJsonValue`): a lone surrogate, which `valueBytesOf` would write as
 * U+FFFD, a number beyond ±(2^53 − 1) or not finite, nesting past `maxDepth` (which also keeps
 * the encoder's recursion short), or anything that is not JSON is refused before it is sent.
 *
 * @throws {InvalidArgumentError} naming the bad spot under `pointer` (`/config/taskSchema/…`),
 *   with the message `describe` makes of it, as the manager words it
 */
export function checkedValueBytes(
  json: unknown,
  check: {
    pointer: string;
    maxDepth: number;
    describe: (violation: FieldViolationMessage) => string;
  },
): Uint8Array {
  const violations: FieldViolationMessage[] = [];
  const { pointer, maxDepth } = check;
  if (checkJsonValue(json, { pointer, maxDepth }, violations)) return valueBytesOf(json);
  throw new InvalidArgumentError(check.describe(violations[0]), 3, violations);
}

/**
 * An executor configuration as the proto message. Only fields the caller set are sent: the
 * manager reads zero/empty scalars and absent sub-messages as "keep as it is". `maxDepth` bounds
 * the nesting of `taskSchema` (`checkedValueBytes`).
 *
 * @throws {InvalidArgumentError} for a `taskSchema` that is not JSON the manager keeps, a duration
 *   that is not whole ms, a retry type or write concern the protocol does not have, or a value the
 *   wire would carry as "not given" (`checkUnsetZeros`)
 */
export function executorConfigToMessage(
  name: string,
  config: ExecutorConfig,
  maxDepth: number,
): ExecutorConfigMessage {
  checkConfigFields(config);
  checkDurations(config);
  checkUnsetZeros(config);
  const message: ExecutorConfigMessage = { name };
  // `null` is not given (the executor's value is kept), as REST's PUT reads it, for every field
  // but the task schema, whose `null` is "no schema" over REST and gRPC alike. A rate limit is
  // removed by `{ limit: 0 }` and the group key pointer by `""`, as over REST and gRPC.
  if (config.enabled != null) message.enabled = config.enabled;
  if (config.writeConcern != null) {
    message.writeConcern = typeof config.writeConcern === "string"
      ? {
        level: enumField(
          ENUM_PREFIX.writeConcernLevel,
          config.writeConcern,
          "/config/writeConcern",
        ),
      }
      : {
        level: enumField(
          ENUM_PREFIX.writeConcernLevel,
          config.writeConcern.level,
          "/config/writeConcern/level",
        ),
      };
  }
  if (config.retryPolicy) {
    const p = config.retryPolicy;
    // `jitter` has presence: left out, it keeps the executor's (0 is "no jitter"). The 0 of
    // `maxAttempts` and `multiplier` is "not given" on the wire: one given is never 0 here
    // (`checkUnsetZeros`).
    message.retryPolicy = {
      type: enumField(ENUM_PREFIX.retryPolicyType, p.type, "/config/retryPolicy/type"),
      maxAttempts: p.maxAttempts ?? 0,
      interval: durationFromMs(p.interval),
      maxInterval: durationFromMs(p.maxInterval),
      multiplier: p.multiplier ?? 0,
      jitter: p.jitter ?? null,
    };
  }
  if (config.dlqConfig) {
    // `enabled` has no presence inside DlqConfig: the manager takes it as sent, so default it on.
    message.dlqConfig = {
      enabled: config.dlqConfig.enabled ?? true,
      queueName: config.dlqConfig.queueName ?? "",
    };
  }
  if (config.taskSchema !== undefined) {
    message.taskSchema = checkedValueBytes(config.taskSchema, {
      pointer: "/config/taskSchema",
      maxDepth,
      describe: ({ field, message }) => `Invalid JSON Schema: ${field}: ${message}`,
    });
  }
  if (config.timeout != null) message.timeout = durationFromMs(config.timeout);
  if (config.maxConcurrency != null) message.maxConcurrency = config.maxConcurrency;
  if (config.rateLimit != null) message.rateLimit = rateLimitToMessage(config.rateLimit);
  if (config.rateLimitPerKey != null) {
    message.rateLimitPerKey = rateLimitToMessage(config.rateLimitPerKey);
  }
  if (config.maxConcurrencyPerKey != null) {
    message.maxConcurrencyPerKey = config.maxConcurrencyPerKey;
  }
  if (config.groupKeyPointer != null) message.groupKeyPointer = config.groupKeyPointer;
  return message;
}

/**
 * The fields of an executor configuration and of its parts, with their kinds (`checkFields`):
 * durations, enum names and the task schema are checked apart (`checkDurations`, `enumField`,
 * `checkedValueBytes`), ranges by the manager.
 */
const CONFIG_FIELDS: FieldSpec = {
  enabled: "boolean?null",
  writeConcern: "any",
  retryPolicy: "object?null",
  dlqConfig: "object?null",
  taskSchema: "any",
  timeout: "any",
  maxConcurrency: "int32?null",
  rateLimit: "object?null",
  rateLimitPerKey: "object?null",
  maxConcurrencyPerKey: "int32?null",
  groupKeyPointer: "string?null",
};
// `maxAttempts` and `multiplier`, as a rate limit's `limit` and `burst`, are checked whole (type,
// wholeness and range, in REST's words) by `checkUnsetZeros` alone: an `int32` kind here refused
// 2^40 with the int32's range ("between -2147483648 and 2147483647"), and 1.5 or "abc" in other
// words than REST's, before the manager's range was looked at.
const RETRY_POLICY_FIELDS: FieldSpec = {
  type: "any",
  maxAttempts: "any",
  interval: "any",
  maxInterval: "any",
  multiplier: "any",
  jitter: "number?null",
};
const DLQ_CONFIG_FIELDS: FieldSpec = { enabled: "boolean?null", queueName: "string?null" };
const RATE_LIMIT_FIELDS: FieldSpec = { limit: "any", period: "any", burst: "any" };
const WRITE_CONCERN_FIELDS: FieldSpec = { level: "any" };

/**
 * Refuses a configuration holding a field of the wrong type (`maxConcurrency: 1.5`,
 * `retryPolicy.maxAttempts: "abc"`, which were sent as 1 and as the default) or one it does not
 * have (a misspelt field, which was left out), in the manager's words, naming each by JSON pointer
 * under `/config`.
 *
 * @throws {InvalidArgumentError} naming every such field
 */
function checkConfigFields(config: ExecutorConfig): void {
  const violations: FieldViolation[] = [];
  const fields = checkFields(config, CONFIG_FIELDS, "/config", violations);
  if (fields) {
    checkFields(fields.retryPolicy, RETRY_POLICY_FIELDS, "/config/retryPolicy", violations);
    checkFields(fields.dlqConfig, DLQ_CONFIG_FIELDS, "/config/dlqConfig", violations);
    for (const key of ["rateLimit", "rateLimitPerKey"]) {
      if (fields[key] === null) continue;
      checkFields(fields[key], RATE_LIMIT_FIELDS, `/config/${key}`, violations);
    }
    if (typeof fields.writeConcern === "object" && fields.writeConcern !== null) {
      checkFields(fields.writeConcern, WRITE_CONCERN_FIELDS, "/config/writeConcern", violations);
    }
  }
  refuseViolations("Invalid executor configuration", violations);
}

/**
 * Our name (`"timeout"`) of `value`, when it is our name or the proto's value name for it
 * (`"DLQ_REASON_TIMEOUT"`, upper case, the prefix included: the two forms of a name the manager
 * reads, `protoEnumOf`); `undefined` for anything else, `<PREFIX>UNSPECIFIED` included.
 */
export function enumName(prefix: string, value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const names = enumNames(prefix);
  if (names.includes(value)) return value;
  if (!value.startsWith(prefix) || value !== value.toUpperCase()) return undefined;
  const name = value.slice(prefix.length).toLowerCase();
  return names.includes(name) ? name : undefined;
}

/**
 * The enum value name of `name`, our name (`"completed"`) or the proto's value name
 * (`"TASK_STATUS_COMPLETED"`) of a value of the enum whose value names start with `prefix`, as the
 * manager reads either; `undefined`, `null` or `""` is `<PREFIX>UNSPECIFIED` (not given) unless
 * `required` (an entry of a list, where it would read as no filter). A name the enum does not have
 * (a typo, `"Completed"`, `"<PREFIX>UNSPECIFIED"`) is refused here, naming `field` and the forms
 * taken, rather than sent as `<PREFIX>UNSPECIFIED`: the manager would read that as not given, and
 * a filter would widen to every value. A number (`3`, `"3"`), which the manager's REST API reads,
 * is refused too, saying that the SDK takes names only: its types spell the names, and a number is
 * the proto's numbering, not a name a reader of the call can check.
 *
 * @throws {InvalidArgumentError} naming `field` (nothing is sent)
 */
export function enumField(
  prefix: string,
  name: unknown,
  field: string,
  options: { required?: boolean } = {},
): string {
  if (!options.required && (name === undefined || name === null || name === "")) {
    return toEnum(prefix, undefined);
  }
  const known = enumName(prefix, name);
  if (known !== undefined) return toEnum(prefix, known);
  const names = enumNames(prefix);
  const numeric = typeof name === "number" ||
    (typeof name === "string" && /^\s*[-+]?\d+\s*$/.test(name));
  const message = `Must be one of ${names.join(", ")}, or the proto's name for one ` +
    `(${toEnum(prefix, names[0])}, …), not ${JSON.stringify(name) ?? String(name)}` +
    (numeric ? " (the SDK takes an enum value by name, not by number)" : "");
  const violations = [{ field, message }];
  throw new InvalidArgumentError(describeViolations(violations), 3, violations);
}

/** The most items a page holds (the manager's `MAX_PAGE`). */
const MAX_PAGE_LIMIT = 1000;

/**
 * A page size as its request field, where 0 stands for "not given" (the manager's default, 50; so
 * do `undefined` and `null`):
 * a size of 0, below, not whole or past 1000 is refused here, as REST refuses `limit=0`, in the
 * manager's words and form (`what`, the title of the manager's answer to that list: `Invalid task
 * filter: /limit: Must be a whole number from 1 to 1000`), rather than sent as 0 and answered with
 * 50 items (or, past 2^31, wrapped).
 *
 * @throws {InvalidArgumentError} naming `/limit` (nothing is sent)
 */
export function pageLimit(limit: number | null | undefined, what: string): number {
  if (limit === undefined || limit === null) return 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    refuseViolations(what, [
      { field: "/limit", message: `Must be a whole number from 1 to ${MAX_PAGE_LIMIT}` },
    ]);
  }
  return limit;
}

/**
 * Refuses a duration of `config` that is not a whole number of milliseconds (`"1s"`, `1.5`): the
 * SDK's types take milliseconds, and the manager would refuse a fraction (or read a string as no
 * time at all) with a message written for REST, which also takes `"1s"`. Ranges are the manager's
 * to judge.
 *
 * @throws {InvalidArgumentError} naming every such field (`/config/rateLimit/period`)
 */
function checkDurations(config: ExecutorConfig): void {
  const fields: [string, unknown][] = [
    ["/config/timeout", config.timeout],
    ["/config/retryPolicy/interval", config.retryPolicy?.interval],
    ["/config/retryPolicy/maxInterval", config.retryPolicy?.maxInterval],
    ["/config/rateLimit/period", config.rateLimit?.period],
    ["/config/rateLimitPerKey/period", config.rateLimitPerKey?.period],
  ];
  const violations = fields
    .filter(([, ms]) => ms !== undefined && ms !== null && !Number.isSafeInteger(ms))
    .map(([field]) => ({ field, message: SDK_DURATION_MESSAGE }));
  if (violations.length === 0) return;
  throw new InvalidArgumentError(describeViolations(violations), 3, violations);
}

/** The range a number of an executor configuration must be in (the manager's `NumberBound`). */
interface NumberBound {
  min: number;
  max: number;
  integer: boolean;
}

/**
 * The bounds of the numbers of an executor configuration whose 0 the wire carries as "not given"
 * (proto3 scalars without presence): the manager's `EXECUTOR_BOUNDS` for them, which the SDK
 * cannot import (the manager's rules import nothing outside themselves, the SDK nothing but
 * proto/); tests/sdk_config_rules_test.ts holds the two equal. Every other number is sent as
 * given and judged by the manager.
 */
export const UNSET_ZERO_BOUNDS: {
  retryPolicy: Record<"maxAttempts" | "multiplier", NumberBound>;
  rateLimit: Record<"limit" | "burst", NumberBound>;
} = {
  retryPolicy: {
    maxAttempts: { min: 1, max: 1000, integer: true },
    multiplier: { min: 1, max: 100, integer: false },
  },
  rateLimit: {
    limit: { min: 1, max: 1_000_000, integer: true },
    burst: { min: 1, max: 1_000_000, integer: true },
  },
};

/**
 * Refuses, as REST refuses them and in its words, the values of `config` the wire would carry as
 * "not given": `retryPolicy.maxAttempts` or `multiplier` 0 (which kept the executor's), a rate
 * limit without `limit` or with `limit` 0 beside other fields (sent as `limit` 0 alone, which
 * removed the limit), `burst` 0 (which became `limit`); and with them every other value of these
 * fields out of the manager's range (`UNSET_ZERO_BOUNDS`), and a `period` of `null`. A rate limit
 * of `limit` 0 alone removes the limit, as over REST and gRPC (`null` keeps it), and a `burst` of
 * `null` is not given (the limit), as REST reads it. The one check of these four numbers (their
 * type too: `checkConfigFields` takes them as any value); run after it, which refuses a rate limit
 * or a retry policy that is no object.
 *
 * @throws {InvalidArgumentError} naming every such field by JSON pointer under `/config`
 */
function checkUnsetZeros(config: ExecutorConfig): void {
  const violations: FieldViolation[] = [];
  const policy = config.retryPolicy;
  if (policy) {
    for (const key of ["maxAttempts", "multiplier"] as const) {
      const value = policy[key];
      if (value === undefined || value === null) continue;
      const { min, max, integer } = UNSET_ZERO_BOUNDS.retryPolicy[key];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        violations.push({ field: `/config/retryPolicy/${key}`, message: "Must be a number" });
      } else if (integer && !Number.isInteger(value)) {
        violations.push({ field: `/config/retryPolicy/${key}`, message: "Must be a whole number" });
      } else if (value < min || value > max) {
        violations.push({
          field: `/config/retryPolicy/${key}`,
          message: `Must be between ${min} and ${max}`,
        });
      }
    }
  }
  for (const key of ["rateLimit", "rateLimitPerKey"] as const) {
    const rate = config[key] as Record<string, unknown> | null | undefined;
    if (rate === undefined || rate === null) continue;
    const given = Object.keys(rate).filter((k) => rate[k] !== undefined);
    if (given.length === 1 && given[0] === "limit" && rate.limit === 0) continue;
    for (const field of ["limit", "burst"] as const) {
      const value = rate[field];
      // A burst left out or null is not given: the limit, as over REST.
      if ((value === undefined || value === null) && field === "burst") continue;
      const { min, max } = UNSET_ZERO_BOUNDS.rateLimit[field];
      if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
        violations.push({
          field: `/config/${key}/${field}`,
          message: `Must be a whole number between ${min} and ${max}`,
        });
      }
    }
    if (rate.period === null) {
      violations.push({ field: `/config/${key}/period`, message: SDK_DURATION_MESSAGE });
    }
  }
  refuseViolations("Invalid executor configuration", violations);
}

// `{ limit: 0 }` is sent as `limit` 0 alone, which the manager reads as "remove the limit", as
// REST does; `checkUnsetZeros` refused every other 0.
function rateLimitToMessage(rate: RateLimit): Partial<RateLimitMessage> {
  return { limit: rate.limit, period: durationFromMs(rate.period), burst: rate.burst ?? 0 };
}

/**
 * A time given as a `Date` or epoch ms, as a `Timestamp` (unset: `null`). The manager checks the
 * range; what the SDK will not send (an invalid `Date`, a fraction of a millisecond, a negative
 * time) is refused here rather than sent as something else, with a `RangeError` whose message
 * names `field`, the time's JSON pointer (`/tasks/3/runAt`), in the `field: message` form of the
 * SDK's other refusals. (Not an `InvalidArgumentError`, which is a `ManagerError`: an error has one
 * chain of classes, and code catching these as `RangeError` would no longer catch them.)
 *
 * @throws {RangeError} naming `field`
 */
export function toTimestamp(
  time: Date | number | undefined | null,
  field: string,
): TimeMessage | null {
  if (time === undefined || time === null) return null;
  const ms = time instanceof Date ? time.getTime() : time;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(
      `${field}: Must be a valid Date or whole epoch milliseconds from 0, not ${String(time)}`,
    );
  }
  return timestampFromMs(ms);
}

/**
 * A received `Timestamp` as a `Date`, or `null` when unset or not a `Timestamp` the well-known type
 * allows (`msOfTimestamp`).
 */
export function toDate(time: TimeMessage | undefined | null): Date | null {
  const ms = msOfTimestamp(time);
  return ms === undefined ? null : new Date(ms);
}

/**
 * A received `Timestamp` that every answer holding it carries (a task's `createdAt`, an error's
 * `at`), as a `Date`: an Invalid Date (`getTime()` is `NaN`) when a buggy or hostile manager sent
 * none, or none the well-known type allows. Such a field is typed `Date`, so it is never `null`:
 * `null` made a caller's `createdAt.getTime()` throw a TypeError.
 */
export function requiredDate(time: TimeMessage | undefined | null): Date {
  return toDate(time) ?? new Date(NaN);
}

/**
 * The epoch ms of a received `Timestamp`; `undefined` when unset, or when it is none that
 * timestamp.proto allows (`timeProblem`: seconds outside years 1 to 9999, nanos outside
 * 0..999,999,999). Such a time from a buggy or hostile manager is taken as unset, as a `Value`
 * that cannot be read is taken as `null`: as a `Date` it was an Invalid Date (every valid
 * `Timestamp` is a valid `Date`).
 */
export function msOfTimestamp(time: TimeMessage | undefined | null): number | undefined {
  return timeProblem(time, "timestamp") === undefined ? msFromTimestamp(time) : undefined;
}

/**
 * The ms of a received `Duration`; `undefined` when unset, or when it is none that duration.proto
 * allows (`timeProblem`: seconds beyond ±10,000 years, nanos beyond ±999,999,999 or of the other
 * sign), taken as unset as `msOfTimestamp` takes a bad `Timestamp`.
 */
export function msOfDuration(time: TimeMessage | undefined | null): number | undefined {
  return timeProblem(time, "duration") === undefined ? msFromDuration(time) : undefined;
}
