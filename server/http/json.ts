/**
 * JSON in and out of the REST API: bounded request body reading, snake_case → lowerCamelCase key
 * conversion of input, and presenters that turn domain objects into API JSON (RFC 3339 times).
 */
import type { ApiKey } from "../auth/keys.ts";
import type { DlqEntry } from "../domain/dlq.ts";
import { type FieldViolation, InvalidArgumentError } from "../domain/errors.ts";
import type { Executor } from "../domain/executor.ts";
import type { Task, TaskError } from "../domain/task.ts";
import { noWorkers, type Served, type WorkerSnapshot } from "../engine/workers.ts";
import type { ExecutorTaskStats } from "../store/store.ts";
import { escapePointer } from "@tasks-executor/proto/json-value";
import { echoed, HttpError } from "./http_error.ts";
import type { ConnectionRequestBytes } from "../request_bytes.ts";
import { ReceivedBytes } from "../received_bytes.ts";
import {
  backslashNameRefused,
  countJsonValues,
  MEMBER_GIVEN_TWICE,
  ObjectShapes,
  tooManyShapes,
} from "@tasks-executor/proto/json-text";
import { PARSE_TURNS } from "../thread_slices.ts";
import type { ArrivingBody } from "./arriving_bodies.ts";
import type { BodyReading } from "./serve.ts";

/** A JSON object as read from a request. */
export type JsonObject = Record<string, unknown>;

/** Keys whose values belong to users and are passed on untouched by key conversion. */
const USER_DATA_KEYS = new Set(["data", "taskSchema", "metadata", "result"]);

/** Most members an object of the API itself may have (user data aside): ours have a few dozen. */
const API_OBJECT_MEMBERS = 256;

/** A snake_case name: lower-case words of letters and digits joined by single underscores. */
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;

/**
 * `send_email_to` → `sendEmailTo`; any other key (no underscore, or not snake_case, such as
 * `_x` or `__proto__`) is returned as it is, so that an unknown field is named as it was sent.
 *
 * @example
 * ```ts
 * import { camelKey } from "./json.ts";
 * console.log(camelKey("executor_name")); // "executorName"
 * console.log(camelKey("_x")); // "_x"
 * ```
 */
export function camelKey(key: string): string {
  return SNAKE_CASE.test(key)
    ? key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
    : key;
}

/** An array or object of the request being converted, and where it sits (for a violation). */
interface Visit {
  value: unknown;
  parent: Visit | null;
  key: string;
}

function pointerOf(visit: Visit): string {
  let pointer = "";
  for (let at: Visit | null = visit; at?.parent; at = at.parent) {
    pointer = `/${escapePointer(at.key)}${pointer}`;
  }
  return pointer;
}

/**
 * Converts snake_case keys to lowerCamelCase at every depth, except inside user data
 * (`data`, `taskSchema`, `metadata`, `result`). Giving one field under both spellings is
 * refused, and so is an object of the API with more than 256 members (none has that many). The
 * walk keeps its own stack, so that no nesting depth can overflow the call stack, and spells a
 * JSON pointer only for a field it reports.
 *
 * @throws {InvalidArgumentError} naming every field given twice and every object too large
 */
export function camelizeKeys(value: unknown): unknown {
  const violations: FieldViolation[] = [];
  let root = value;
  const stack: Visit[] = [{ value, parent: null, key: "" }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const container = visit.value;
    if (Array.isArray(container)) {
      for (let i = container.length - 1; i >= 0; i--) {
        const item = container[i];
        if (typeof item === "object" && item !== null) {
          stack.push({ value: item, parent: visit, key: String(i) });
        }
      }
      continue;
    }
    let object = container as JsonObject;
    const keys = Object.keys(object);
    if (keys.length > API_OBJECT_MEMBERS) {
      // Renaming 327,677 snake_case keys of one such object took 0.45 s.
      violations.push({
        field: pointerOf(visit),
        message:
          `Has ${keys.length} members: no object of the API has more than ${API_OBJECT_MEMBERS} (user data, schemas, metadata and results aside)`,
      });
      continue;
    }
    const camels = keys.map(camelKey);
    if (camels.some((camel, i) => camel !== keys[i])) {
      // A new object rather than renaming in place: deleting a key makes a slow dictionary.
      const renamed: JsonObject = {};
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const camel = camels[i];
        if (camel !== key && Object.hasOwn(object, camel)) {
          violations.push({
            field: `${pointerOf(visit)}/${escapePointer(camel)}`,
            message: `Is given twice (as ${camel} and in snake_case)`,
          });
          continue;
        }
        if (camel === "__proto__") {
          Object.defineProperty(renamed, camel, {
            value: object[key],
            writable: true,
            enumerable: true,
            configurable: true,
          });
        } else {
          renamed[camel] = object[key];
        }
      }
      if (visit.parent === null) root = renamed;
      else (visit.parent.value as Record<string, unknown>)[visit.key] = renamed;
      object = renamed;
      visit.value = renamed;
    }
    for (const name of Object.keys(object)) {
      const item = object[name];
      if (typeof item === "object" && item !== null && !USER_DATA_KEYS.has(name)) {
        stack.push({ value: item, parent: visit, key: name });
      }
    }
  }
  if (violations.length > 0) {
    throw InvalidArgumentError.listing("Invalid request body", violations);
  }
  return root;
}

/** Whether a `Content-Type` value is JSON: `application/json` or `application/…+json`. */
export function isJsonMediaType(contentType: string): boolean {
  const type = contentType.split(";")[0].trim().toLowerCase();
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * Reads a request body as a JSON object, refusing more than `maxBytes` bytes whether or not the
 * client announced its length (a chunked body is counted while it is read). An absent body reads
 * as `{}` unless `required`. With `held`, the body's bytes (its first 1 KiB buffer from before its
 * first byte) are held on that connection's account
 * (`../request_bytes.ts`) while it is read, and once read until `answered` settles; with
 * `receiveMs`, it must arrive within that time;
 * with `awaitClient`, the request counts as waiting for its client meanwhile.
 *
 * @throws {HttpError} 408 (not all there within `receiveMs`), 413 (too large, or more than
 *   `maxValues` JSON values or `maxShapes` object shapes), 415 (not JSON, a
 *   charset other than utf-8, a Content-Encoding other than identity) · {InvalidArgumentError}
 *   (malformed JSON, a member name given twice in one object) · {ResourceExhaustedError} (the
 *   connection or the manager holds too many request bytes)
 */
export async function readJsonObject(
  request: Request,
  options: {
    maxBytes: number;
    required?: boolean;
    held?: ConnectionRequestBytes | null;
    /** Settles once the request is answered; a body read stays `held` until then (`BodyReading`). */
    answered?: Promise<unknown> | null;
    /** The body must have arrived this many ms after the call, else 408 (`REQUEST_RECEIVE_MS`). */
    receiveMs?: number;
    /** Counts the body as arriving, until it is in (`BodyReading`). */
    awaitClient?: BodyReading["awaitClient"];
    /** Most JSON values the body may hold (`countJsonValues`), else 413 before it is parsed. */
    maxValues?: number;
    /** Most object shapes the body may hold (`ObjectShapes`), else 413 before it is parsed. */
    maxShapes?: number;
  },
): Promise<JsonObject> {
  const contentType = request.headers.get("content-type");
  const announced = request.headers.get("content-length");
  if (announced !== null && Number(announced) > options.maxBytes) {
    throw new HttpError(
      413,
      `Request body is ${announced} bytes, more than the limit of ${options.maxBytes}`,
    );
  }
  if (contentType !== null && !isJsonMediaType(contentType)) {
    throw new HttpError(415, `Content-Type must be application/json, not "${echoed(contentType)}"`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? "")?.[1];
  if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
    throw new HttpError(415, `Content-Type charset must be utf-8, not "${echoed(charset)}"`);
  }
  const encoding = request.headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") {
    throw new HttpError(
      415,
      `Content-Encoding "${echoed(encoding)}" is not supported: send the body uncompressed`,
    );
  }
  const bytes = await readBounded(request, options);
  if (bytes.length === 0) {
    if (options.required) {
      throw new InvalidArgumentError("Request body is required: a JSON object", [
        { field: "", message: "Is required" },
      ]);
    }
    return {};
  }
  if (contentType === null) {
    throw new HttpError(415, "Content-Type must be application/json");
  }
  // A large body's parse holds the thread for a while (about 40 ms for 4 MiB): in its turn.
  return bytes.length < PARSE_IN_TURN_BYTES
    ? parseJsonObject(bytes, options)
    : PARSE_TURNS.run(() => Promise.resolve(parseJsonObject(bytes, options)));
}

/** Bodies from this size up are parsed in their turn with other large bodies (`PARSE_TURNS`). */
const PARSE_IN_TURN_BYTES = 64 * 1024;

/**
 * A body's JSON object, keys camelized.
 *
 * @throws {HttpError} 413 (more than `maxValues` JSON values or `maxShapes` object shapes)
 *   · {InvalidArgumentError} (not UTF-8, malformed, not an object, a member name ending with a
 *   backslash: `endsWithBackslash`, a member name given twice in one object, at any depth, named
 *   by its pointer as the body spells it)
 */
function parseJsonObject(
  bytes: Uint8Array,
  { maxValues = Infinity, maxShapes = Infinity }: { maxValues?: number; maxShapes?: number },
): JsonObject {
  const shapes = new ObjectShapes(maxShapes);
  if (countJsonValues(bytes, maxValues, shapes) > maxValues) {
    throw new HttpError(
      413,
      `Request body holds more than ${maxValues} JSON values (objects, arrays, members and items), the most one request may hold (MAX_REQUEST_JSON_VALUES + MAX_REQUEST_ELEMENTS): send less in one request`,
    );
  }
  if (shapes.past) throw new HttpError(413, tooManyShapes("Request body holds", maxShapes));
  if (shapes.nameEndingInBackslash) {
    const message = backslashNameRefused("Request body");
    throw new InvalidArgumentError(message, [{ field: "", message }]);
  }
  if (shapes.memberGivenTwice !== null) {
    const violations = [{ field: shapes.memberGivenTwice, message: MEMBER_GIVEN_TWICE }];
    throw InvalidArgumentError.listing("Invalid request body", violations);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidArgumentError("Malformed JSON body: not valid UTF-8", [
      { field: "", message: "Is not valid UTF-8" },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message;
    throw new InvalidArgumentError(`Malformed JSON body: ${reason}`, [
      { field: "", message: `Is not valid JSON: ${reason}` },
    ]);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new InvalidArgumentError("Request body must be a JSON object", [
      { field: "", message: "Must be a JSON object" },
    ]);
  }
  return camelizeKeys(parsed) as JsonObject;
}

/**
 * The bytes of `request`'s body when it holds at most `options.maxBytes`, read as
 * `readJsonObject` reads (in time, counted as arriving and held), whatever its headers say; `null`
 * when it holds more, found from its `Content-Length` or once that much has come, the rest left
 * unread. What a route that takes no body looks at (`requestGuard`): of a body it refuses it reads
 * that much at most, from anyone (some routes are open before authentication).
 *
 * @throws {HttpError} 408 when the body does not arrive in time · {InvalidArgumentError} when the
 *   connection closes before it ends
 */
export async function readShortBody(
  request: Request,
  options: Parameters<typeof readBounded>[1],
): Promise<Uint8Array | null> {
  const announced = request.headers.get("content-length");
  if (announced !== null && Number(announced) > options.maxBytes) return null;
  try {
    return await readBounded(request, options);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) return null;
    throw error;
  }
}

async function readBounded(
  request: Request,
  options: {
    maxBytes: number;
    held?: ConnectionRequestBytes | null;
    answered?: Promise<unknown> | null;
    receiveMs?: number;
    awaitClient?: BodyReading["awaitClient"];
  },
): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array();
  const { maxBytes } = options;
  const held = options.held ?? null;
  // Read into one buffer of ours: a read of Deno's own is a view into 64 KiB allocated for it,
  // however few bytes it brings (kept, it keeps them all; dropped, they wait for a collection).
  const byob = byobReaderOf(request.body);
  const plain = byob ? null : request.body.getReader();
  const reader = byob ?? plain!;
  const received = new ReceivedBytes({
    max: maxBytes,
    declared: Number(request.headers.get("content-length") ?? Number.NaN),
  });
  let size = 0;
  let taken = 0;
  /** What the body's first buffer holds on `held`, besides the bytes `taken`. */
  let firstBuffer = 0;
  let timer: number | undefined;
  // Counted as arriving (`awaitClient`) from below, until it is in.
  let arriving: ArrivingBody | null = null;
  // Why the body was given up on (not all there in time, or ended to make room), and the read it
  // then cuts short. Each read waits on a promise of its own: a race of each read with one
  // promise for the whole body left a reaction on that promise per read until the body ended,
  // about 560 bytes a read (a body sent a byte per DATA frame kept 560 bytes a byte).
  let stoppedBy: HttpError | null = null;
  let cutRead: ((why: HttpError) => void) | null = null;
  const stop = (why: HttpError) => {
    if (stoppedBy) return;
    stoppedBy = why;
    arriving?.abandoned();
    reader.cancel().catch(() => {});
    cutRead?.(why);
  };
  if (options.receiveMs !== undefined) {
    timer = setTimeout(() =>
      stop(
        new HttpError(
          408,
          `Request body did not arrive within ${options.receiveMs} ms (REQUEST_RECEIVE_MS): ${size} bytes came`,
        ),
      ), options.receiveMs);
  }
  arriving = options.awaitClient?.((max) =>
    stop(
      new HttpError(
        408,
        `Request body stopped arriving after ${size} bytes: ${max} other requests' bodies are arriving, the most the manager waits for at once (MAX_HTTP_BODIES_ARRIVING), and this one had gone the longest without a byte`,
      ),
    )
  ) ?? null;
  let ended = false;
  try {
    // The buffer the bytes go into is held from before the first read: its first size (1 KiB, or
    // the declared length + 1 when less) is taken at once, and the bytes as they come, as before.
    // Counted by the bytes alone, the 1,024 bodies MAX_HTTP_BODIES_ARRIVING lets arrive held 1 MiB
    // the account did not see before any of their bytes came. (Past the first buffer, the buffer
    // grows by doubling, to twice the bytes at most: the two together are about what it takes.)
    if (held) {
      const first = received.room().length;
      try {
        held.take(first);
      } catch (error) {
        await reader.cancel().catch(() => {});
        throw error;
      }
      firstBuffer = first;
    }
    while (true) {
      const read = (byob ? byob.read(received.room()) : plain!.read()).catch(() => {
        // The client closed the connection before its body ended: a bad request, not ours.
        const message = `Ended after ${size} bytes: the connection closed`;
        throw new InvalidArgumentError(`Request body cut short: ${message}`, [
          { field: "", message },
        ]);
      });
      if (stoppedBy) throw stoppedBy;
      const { done, value } = await new Promise<ReadableStreamReadResult<Uint8Array>>(
        (resolve, reject) => {
          cutRead = reject;
          read.then(resolve, reject);
        },
      );
      cutRead = null;
      if (done) {
        if (byob && value) received.filled(value);
        ended = true;
        break;
      }
      arriving?.received();
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new HttpError(413, `Request body is more than the limit of ${maxBytes} bytes`);
      }
      if (held) {
        try {
          held.take(value.byteLength);
        } catch (error) {
          await reader.cancel().catch(() => {});
          throw error;
        }
        taken += value.byteLength;
      }
      if (byob) received.filled(value);
      else received.add(value);
    }
  } finally {
    clearTimeout(timer);
    // A body read to its end needs no release: its stream is closed, and releasing the reader
    // makes an error object (with its stack) for the closed promise, a fifth of a small body's
    // read.
    if (!ended) {
      try {
        reader.releaseLock();
      } catch {
        // A read still pending after the deadline: the reader was cancelled, nothing is kept.
      }
    }
    // The work a body brings lasts until it is answered: 100 batches of 4 MiB taken at once and
    // waiting for validation held 1.5 GB when their bytes went back as soon as they were read.
    // Read to its end, its bytes stay held until it is answered, its first buffer no longer.
    held?.give(firstBuffer);
    if (ended && options.answered) {
      options.answered.catch(() => {}).finally(() => held?.give(taken));
    } else held?.give(taken);
    arriving?.done();
  }
  return received.bytes();
}

/** A BYOB reader of `body`, or `null` when it is not a byte stream. */
function byobReaderOf(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | null {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    return null;
  }
}

/**
 * Refuses keys of `body` that are not in `allowed`, naming each under `pointer`.
 *
 * @throws {InvalidArgumentError}
 */
export function assertKnownKeys(body: JsonObject, allowed: readonly string[], pointer = ""): void {
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const violations = unknown.map((key) => ({
      field: `${pointer}/${escapePointer(key)}`,
      message: "Unknown field",
    }));
    throw InvalidArgumentError.listing("Invalid request body", violations);
  }
}

// Presenters --------------------------------------------------------------------------------------

/**
 * Epoch ms → RFC 3339 (UTC, millisecond precision); `null` for `null` or a time outside the range
 * a date can hold.
 *
 * @example
 * ```ts
 * import { rfc3339 } from "./json.ts";
 * console.log(rfc3339(0)); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export function rfc3339(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A task error as API JSON. */
export function presentTaskError(error: TaskError): JsonObject {
  return {
    attempt: error.attempt,
    message: error.message,
    at: rfc3339(error.at),
    workerId: error.workerId,
    run: error.run ?? null,
    stack: error.stack ?? null,
    logs: error.logs ?? [],
  };
}

/** A task as API JSON. The lease token stays inside the manager: it fences worker results. */
export function presentTask(task: Task): JsonObject {
  return {
    id: task.id,
    executorName: task.executorName,
    data: task.data,
    metadata: task.metadata,
    status: task.status,
    priority: task.priority,
    runAt: rfc3339(task.runAt),
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    errors: task.errors.map(presentTaskError),
    errorsDropped: task.errorsDropped,
    run: task.run,
    progress: task.progress ?? null,
    logs: task.logs,
    result: task.result ?? null,
    createdAt: rfc3339(task.createdAt),
    updatedAt: rfc3339(task.updatedAt),
    startedAt: rfc3339(task.startedAt),
    completedAt: rfc3339(task.completedAt),
    idempotencyKey: task.idempotencyKey,
    groupKey: task.groupKey ?? null,
    workerId: task.workerId,
    leaseExpiresAt: rfc3339(task.leaseExpiresAt),
  };
}

/** An executor as API JSON (durations stay milliseconds, as in its configuration). */
export function presentExecutor(executor: Executor): JsonObject {
  return {
    id: executor.id,
    name: executor.name,
    enabled: executor.enabled,
    writeConcern: { level: executor.writeConcern.level },
    retryPolicy: { ...executor.retryPolicy },
    dlqConfig: { ...executor.dlqConfig },
    taskSchema: executor.taskSchema,
    timeout: executor.timeout,
    maxConcurrency: executor.maxConcurrency,
    rateLimit: executor.rateLimit,
    rateLimitPerKey: executor.rateLimitPerKey,
    maxConcurrencyPerKey: executor.maxConcurrencyPerKey,
    groupKeyPointer: executor.groupKeyPointer,
    createdAt: rfc3339(executor.createdAt),
    updatedAt: rfc3339(executor.updatedAt),
  };
}

/** A DLQ entry as API JSON. */
export function presentDlqEntry(entry: DlqEntry): JsonObject {
  return {
    id: entry.id,
    queueName: entry.queueName,
    executorName: entry.executorName,
    reason: entry.reason,
    deadAt: rfc3339(entry.deadAt),
    task: presentTask(entry.task),
  };
}

/** An API key as API JSON: no secret, no hash; times RFC 3339 or `null`. */
export function presentKey(key: ApiKey): JsonObject {
  return {
    id: key.id,
    name: key.name,
    scopes: [...key.scopes],
    executors: key.executors === null ? null : [...key.executors],
    createdAt: rfc3339(key.createdAt),
    lastUsedAt: rfc3339(key.lastUsedAt),
    revokedAt: rfc3339(key.revokedAt),
  };
}

/** A connected (or recently gone: `disconnectedAt` set) worker as API JSON. */
export function presentWorker(worker: WorkerSnapshot): JsonObject {
  return {
    workerId: worker.workerId,
    executors: [...worker.executors],
    sdkVersion: worker.sdkVersion,
    host: worker.host,
    pid: worker.pid,
    runtime: worker.runtime,
    connectedAt: rfc3339(worker.connectedAt),
    lastHeartbeatAt: rfc3339(worker.lastHeartbeatAt),
    inFlight: worker.inFlight,
    credits: worker.credits,
    runningTaskIds: [...worker.running],
    disconnectedAt: rfc3339(worker.disconnectedAt),
  };
}

/**
 * One executor's figures as API JSON, with who serves it through the managers sharing the store
 * (`served`: `servedBy`): `workers` counts its connected workers, `polled` says a worker without a
 * stream (a unary `GetNextTask`) polled it within `POLL_SERVES_MS`, which `workers` does not count,
 * `noWorkers` flags tasks waiting with no worker of any kind serving it (see `noWorkers`), `paused`
 * an executor whose tasks wait until it is resumed.
 */
export function presentStats(
  stats: ExecutorTaskStats & { paused?: boolean },
  served: Served,
): JsonObject {
  return {
    executorName: stats.executorName,
    byStatus: { ...stats.byStatus },
    dlqSize: stats.dlqSize,
    oldestPendingAt: rfc3339(stats.oldestPendingRunAt),
    workers: served.workers.get(stats.executorName) ?? 0,
    noWorkers: noWorkers(stats, served),
    polled: served.polled.has(stats.executorName),
    paused: stats.paused ?? false,
  };
}
