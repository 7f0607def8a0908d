/**
 * The errors callers are meant to catch. The HTTP and gRPC adapters each map them in one place
 * (problem+json status codes; gRPC status codes); anything else is an internal error.
 */
import type { Task } from "./task.ts";

/** One invalid field: a JSON pointer into the request body and what is wrong with it. */
export interface FieldViolation {
  /** JSON pointer of the offending field, e.g. `/config/retryPolicy/interval`. */
  field: string;
  /** What is wrong, in sentence case. */
  message: string;
  /**
   * The other fields of the request `message` names (`Must not be before /startAt`), each where
   * it is written: a transport that names fields its own way names these as it names `field`
   * (`InvalidArgumentError.renamed`), and no other text of the message, a value of the client's
   * it quotes included. Made with `naming`; not part of what a client is answered.
   */
  references?: readonly FieldReference[];
}

/** Another field of the request a violation's message names: its pointer, written at `at`. */
export interface FieldReference {
  /** Where in the message the pointer starts (a UTF-16 index). */
  at: number;
  pointer: string;
}

/** A field of the request, to be written in a violation's message by `naming`. */
export class FieldPointer {
  constructor(readonly pointer: string) {}
}

/** `pointer` as a field a violation's message names (`naming`). */
export function fieldPointer(pointer: string): FieldPointer {
  return new FieldPointer(pointer);
}

/**
 * A violation's message that names other fields of the request (`fieldPointer`), with where it
 * names them, so that renaming the fields (`InvalidArgumentError.renamed`) rewrites those and
 * nothing else; any other value is written as text.
 *
 * @example
 * ```ts
 * import { fieldPointer, naming } from "./errors.ts";
 * const { message, references } = naming`Must not be before ${fieldPointer("/startAt")}`;
 * console.log(message, references); // "Must not be before /startAt" [{ at: 19, pointer: "/startAt" }]
 * ```
 */
export function naming(
  text: TemplateStringsArray,
  ...values: (string | number | FieldPointer)[]
): { message: string; references: FieldReference[] } {
  let message = text[0];
  const references: FieldReference[] = [];
  values.forEach((value, i) => {
    if (value instanceof FieldPointer) {
      references.push({ at: message.length, pointer: value.pointer });
      message += value.pointer;
    } else message += String(value);
    message += text[i + 1];
  });
  return { message, references };
}

/**
 * `violation` with the fields it names renamed by `rename`, its own (`field`) and those its
 * message names (`references`); a reference its message does not hold where it says (a message
 * written again since) is dropped, never looked for in the text.
 */
function renamedViolation(
  violation: FieldViolation,
  rename: (field: string) => string,
): FieldViolation {
  const field = rename(violation.field);
  const refs = (violation.references ?? [])
    .filter((ref) => violation.message.startsWith(ref.pointer, ref.at))
    .sort((a, b) => a.at - b.at);
  if (refs.length === 0) {
    return field === violation.field ? violation : { field, message: violation.message };
  }
  let message = "";
  let from = 0;
  const references: FieldReference[] = [];
  for (const ref of refs) {
    if (ref.at < from) continue; // overlapping: not one written by `naming`
    message += violation.message.slice(from, ref.at);
    const pointer = rename(ref.pointer);
    references.push({ at: message.length, pointer });
    message += pointer;
    from = ref.at + ref.pointer.length;
  }
  message += violation.message.slice(from);
  return field === violation.field && message === violation.message
    ? violation
    : { field, message, references };
}

/** Most violations an error names; the others are counted in one more, last entry. */
export const MAX_VIOLATIONS = 50;
/** Longest message an error keeps, in characters; a longer one is cut, marked. */
export const MAX_ERROR_MESSAGE_CHARS = 4096;

/** `text` cut to `MAX_ERROR_MESSAGE_CHARS`, marked when cut. */
function cutText(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_CHARS
    ? `${text.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (cut)`
    : text;
}

/**
 * The request is malformed or breaks a rule (HTTP 400, gRPC INVALID_ARGUMENT). However many fields
 * fail, the error names at most `MAX_VIOLATIONS` and keeps `MAX_ERROR_MESSAGE_CHARS` of its message
 * and of each violation's field and message (a body of 250,000 unknown keys was answered with a
 * 17 MB error listing each one twice; a pointer echoes the client's member names, and one member
 * named by a 1 MB name was answered with it twice).
 */
export class InvalidArgumentError extends Error {
  override name = "InvalidArgumentError";
  /**
   * The failing fields: all of them up to `MAX_VIOLATIONS` + 1, else the first `MAX_VIOLATIONS`
   * and an entry saying how many more there were.
   */
  readonly violations: FieldViolation[];
  /**
   * What `listing` wrote before the violations, and how many it was given: its message is made
   * of them and the violations alone, so `renamed` can write it again with other names.
   * `undefined` for a message of the thrower's own.
   */
  readonly listed?: { what: string; count: number };
  constructor(
    message: string,
    violations: FieldViolation[] = [],
    listed?: { what: string; count: number },
  ) {
    super(cutText(message));
    this.listed = listed;
    // One entry over: a list already cut (and moved by `movePointers`) keeps its count.
    const more = violations.length - MAX_VIOLATIONS;
    const named = more > 1 ? violations.slice(0, MAX_VIOLATIONS) : violations;
    this.violations = named.map((v) =>
      v.field.length > MAX_ERROR_MESSAGE_CHARS || v.message.length > MAX_ERROR_MESSAGE_CHARS
        ? { field: cutText(v.field), message: cutText(v.message) }
        : v
    );
    if (more > 1) {
      this.violations.push({ field: "", message: `And ${more} more violations, not listed` });
    }
  }

  /**
   * The error naming every one of `violations` after `what`: `what: <field>: <message>; …`
   * (`listViolations`).
   *
   * @example
   * ```ts
   * import { InvalidArgumentError } from "./errors.ts";
   * const error = InvalidArgumentError.listing("Invalid key", [{ field: "/a", message: "Is required" }]);
   * console.log(error.message); // "Invalid key: /a: Is required"
   * ```
   */
  static listing(
    what: string,
    violations: FieldViolation[],
  ): InvalidArgumentError {
    return new InvalidArgumentError(`${what}: ${listViolations(violations)}`, violations, {
      what,
      count: violations.length,
    });
  }

  /**
   * This error with each violation's field as `rename` names it: a transport that names fields
   * its own way (gRPC: a JSON pointer into its request message) renames them once, in its one
   * mapping of errors. A violation's message that names another field of the request
   * (`references`, made with `naming`: `Must not be before /startAt`) names it as `rename` does
   * too; no other text of a message is renamed (a value of the client's it quotes, `"a /b"`,
   * stays as it is: it was rewritten when it read like a pointer). A message `listing` made names
   * the new fields as it named the old ones (`what: <field>: <message>; …`); a message of the
   * thrower's own is kept as it is.
   *
   * @example
   * ```ts
   * import { InvalidArgumentError } from "./errors.ts";
   * const error = InvalidArgumentError.listing("Invalid page", [{ field: "limit", message: "Must be 1" }]);
   * console.log(error.renamed((field) => `/${field}`).message); // "Invalid page: /limit: Must be 1"
   * ```
   */
  renamed(rename: (field: string) => string): InvalidArgumentError {
    const violations = this.violations.map((v) => renamedViolation(v, rename));
    if (violations.every((v, i) => v === this.violations[i])) return this;
    if (this.listed === undefined) return new InvalidArgumentError(this.message, violations);
    // The entry counting those not listed (past MAX_VIOLATIONS) is not one of them.
    const shown = violations.slice(0, Math.min(this.listed.count, MAX_VIOLATIONS));
    return new InvalidArgumentError(
      `${this.listed.what}: ${listViolations(shown, this.listed.count)}`,
      violations,
      this.listed,
    );
  }
}

/**
 * `violations` as text for an error's message: `field` and `message` joined by ": ", one way
 * whatever names the field (a pointer, a query parameter: `limit: Must be …` once read
 * `limit Must be …` in some lists and `limit: Must be …` in others), one violation after another
 * joined by "; ", the first `MAX_VIOLATIONS` of them and then how many more (a batch of 1,200
 * tasks with 250 unknown fields each made a 9 MB message before `InvalidArgumentError` cut it).
 *
 * @example
 * ```ts
 * import { listViolations } from "./errors.ts";
 * console.log(listViolations([{ field: "/to", message: "Is required" }])); // "/to: Is required"
 * ```
 */
export function listViolations(
  violations: readonly FieldViolation[],
  count = violations.length,
): string {
  const listed = violations.slice(0, MAX_VIOLATIONS)
    // The whole value (pointer "") is named by its message alone ("Invalid key:  Must be …").
    .map((v) => v.field === "" ? v.message : `${v.field}: ${v.message}`)
    .join("; ");
  const more = count - MAX_VIOLATIONS;
  return more > 0 ? `${listed}; and ${more} more` : listed;
}

/** The thing named does not exist (HTTP 404, gRPC NOT_FOUND). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/**
 * The executor named (`executor`: its name or id, as asked) does not exist, or the caller's key
 * does not reach it: every NOT_FOUND of a missing executor is one, whatever the call (a read, a
 * change, a worker's claim, a task's create, `executorMissingError`). Over gRPC its NOT_FOUND
 * carries a `google.rpc.ErrorInfo` (reason `EXECUTOR_NOT_FOUND`), which tells it from the original
 * `GetNextTask`'s NOT_FOUND "no task ready" and from a task's. `message` defaults to
 * `Executor "x" does not exist`.
 */
export class ExecutorNotFoundError extends NotFoundError {
  /**
   * What `listing` wrote before the request fields that named missing executors, and those
   * fields, so that `renamed` can write the message again with other pointers. `undefined` for a
   * message of the thrower's own.
   */
  readonly listed?: { what: string; violations: readonly FieldViolation[] };
  constructor(
    readonly executor: string,
    message = `Executor "${executor}" does not exist`,
    listed?: { what: string; violations: readonly FieldViolation[] },
  ) {
    super(message);
    this.listed = listed;
  }

  /**
   * The error naming each request field (`violations`: its pointer, and which executor it names
   * that does not exist) after `what`, as `InvalidArgumentError.listing` does:
   * `what: <field>: <message>; …`. `executor` is the first missing one.
   *
   * @example
   * ```ts
   * import { ExecutorNotFoundError } from "./errors.ts";
   * const error = ExecutorNotFoundError.listing("x", "Cannot create task", [
   *   { field: "/task/executorName", message: 'Executor "x" does not exist' },
   * ]);
   * console.log(error.message); // 'Cannot create task: /task/executorName: Executor "x" does not exist'
   * ```
   */
  static listing(
    executor: string,
    what: string,
    violations: readonly FieldViolation[],
  ): ExecutorNotFoundError {
    return new ExecutorNotFoundError(executor, `${what}: ${listViolations(violations)}`, {
      what,
      violations,
    });
  }

  /**
   * This error with the request fields it names as `rename` names them (an adapter whose request
   * holds them elsewhere: `/task/executorName` of a bare REST body is `/executorName`); one with
   * a message of the thrower's own is kept as it is.
   */
  renamed(rename: (field: string) => string): ExecutorNotFoundError {
    if (this.listed === undefined) return this;
    const violations = this.listed.violations.map((v) => ({ ...v, field: rename(v.field) }));
    return ExecutorNotFoundError.listing(this.executor, this.listed.what, violations);
  }
}

/** The thing exists already, e.g. a duplicate name or idempotency key (HTTP 409, ALREADY_EXISTS). */
export class ConflictError extends Error {
  override name = "ConflictError";
  /**
   * The existing resource, when there is one to return: the task an idempotency key made (each
   * transport presents it in its own shape).
   */
  readonly existing?: { task: Task };
  constructor(message: string, existing?: { task: Task }) {
    super(message);
    this.existing = existing;
  }
}

/** The state does not allow it, e.g. a forbidden status transition (HTTP 409, FAILED_PRECONDITION). */
export class FailedPreconditionError extends Error {
  override name = "FailedPreconditionError";
}

/** The store cannot be reached (HTTP 503, gRPC UNAVAILABLE). */
export class UnavailableError extends Error {
  override name = "UnavailableError";
}

/**
 * An executor is no longer the version a write was based on: for a create, updated (or deleted
 * and made again) since the tasks were checked against it (`InsertOptions.executorVersions`); for
 * an update, another update came first (`Store.executorUpdate`). Nothing was stored; the service
 * checks the create, or applies the update, again on the executor as stored, and a caller that
 * still sees this (the executor changed each time) may try again (HTTP 503, gRPC UNAVAILABLE).
 */
export class ExecutorChangedError extends UnavailableError {
  override name = "ExecutorChangedError";
}

/**
 * What may hold a worker id another API key refuses (`WorkerIdHeldError.heldBy`). The wire's view of
 * the same values (`WorkerIdHeld.heldBy` in `proto/status_details.ts`, which the SDKs read) must name
 * exactly these: `tests/worker_id_holders_test.ts` does not type-check otherwise.
 */
export const WORKER_ID_HOLDERS = [
  "stream",
  "calls",
  "stream_draining",
  "stream_silent",
  "stream_without_keepalive",
  "leases",
] as const;

/** One of `WORKER_ID_HOLDERS`. */
export type WorkerIdHolder = typeof WORKER_ID_HOLDERS[number];

/**
 * A worker id is held by another API key on this manager (its worker streams, leases or calls
 * under way: `WorkerRegistry.holdId`). The hold ends by itself once they do, so the caller may try
 * again later, or choose an id of its own (HTTP 503, gRPC UNAVAILABLE: workers reconnect with
 * backoff, where PERMISSION_DENIED stops them for good). The message ends with the field that named
 * the id. What holds it tells a hold that ends by itself from a live worker of the other key: an
 * open work stream that speaks keepalive still held `goneWithinMs` after a first refusal has one
 * behind it (the workers stop then); leases and calls end by themselves, and a stream without
 * keepalive is waited on too, as the manager cannot tell whether its worker lives. gRPC sends them
 * as a `google.rpc.ErrorInfo` (reason `WORKER_ID_HELD`).
 */
export class WorkerIdHeldError extends UnavailableError {
  override name = "WorkerIdHeldError";
  /** The worker id refused. */
  readonly workerId: string;
  /**
   * `stream`: a work stream of the other key is open, one that speaks keepalive (dropped within
   * `goneWithinMs` once its worker is gone) and heard from within the last keepalive interval and
   * a half; `calls`: a unary call (`GetNextTask`, `ReportResults`) under the id began within
   * `goneWithinMs`, a live worker's too (a poller); `stream_draining`: only live streams whose
   * workers withdrew every credit are open (they close once their running tasks end);
   * `stream_silent`: only such streams silent longer than that are open (their workers may
   * be gone: no proof of a live one); `stream_without_keepalive`: only streams whose hello
   * asked for no keepalive are open, which the manager never drops for silence, so it cannot tell
   * a live worker's from a gone one's (it holds the id until it closes); `leases`: only leases or
   * calls hold it.
   */
  readonly heldBy: WorkerIdHolder;
  /** How long at most (ms) the manager keeps open a work stream whose worker is gone. */
  readonly goneWithinMs: number;
  constructor(
    message: string,
    held: { workerId: string; heldBy: WorkerIdHolder; goneWithinMs: number },
  ) {
    super(message);
    this.workerId = held.workerId;
    this.heldBy = held.heldBy;
    this.goneWithinMs = held.goneWithinMs;
  }
}

/**
 * A capacity limit of the manager is reached: too many worker streams or event subscribers
 * (HTTP 503 with Retry-After, gRPC RESOURCE_EXHAUSTED). The message names the limit.
 */
export class ResourceExhaustedError extends Error {
  override name = "ResourceExhaustedError";
}

/**
 * The caller sent no API key, or one that is malformed, unknown or revoked (HTTP 401 with
 * `WWW-Authenticate: Bearer`, gRPC UNAUTHENTICATED).
 */
export class UnauthenticatedError extends Error {
  override name = "UnauthenticatedError";
}

/**
 * The caller's key lacks the scope an operation needs, or is limited to other executors (HTTP 403,
 * gRPC PERMISSION_DENIED). The message names the scopes that would allow it, and the request field
 * that named the executor refused when one did: `… may not create tasks for "x" (/executorName)`.
 */
export class PermissionDeniedError extends Error {
  override name = "PermissionDeniedError";
  /** The message without the field. */
  readonly reason: string;
  /** JSON pointer of the request field that named what was refused, if one did. */
  readonly field: string | undefined;
  constructor(reason: string, options: { field?: string } = {}) {
    super(options.field ? `${reason} (${options.field})` : reason);
    this.reason = reason;
    this.field = options.field;
  }
}
