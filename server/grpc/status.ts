/**
 * The one mapping from domain errors to gRPC statuses, used by every gRPC handler of the manager.
 * Unknown errors are logged with their stack and answered INTERNAL with a generic message.
 */
import * as grpc from "@grpc/grpc-js";
import {
  ConflictError,
  ExecutorNotFoundError,
  FailedPreconditionError,
  type FieldViolation,
  InvalidArgumentError,
  listViolations,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  UnauthenticatedError,
  UnavailableError,
  WorkerIdHeldError,
} from "../domain/errors.ts";
import { log } from "../log.ts";
import { Buffer } from "node:buffer";
import {
  badRequestDetails,
  executorNotFoundDetails,
  existingTaskDetails,
  STATUS_DETAILS_METADATA_KEY,
  workerIdHeldDetails,
} from "@tasks-executor/proto";

// Statuses travel in HTTP/2 trailers, which peers cap (grpc-js: 16 KiB of headers by default):
// a batch of thousands of bad tasks must not turn its INVALID_ARGUMENT into a broken stream.
// The binary status travels base64-encoded: 6000 bytes take 8000 characters of the trailer.
const MAX_DETAILS_CHARS = 4000;
const MAX_STATUS_DETAILS_BYTES = 6000;

/** Trailer key holding the id of the task an already used idempotency key made. */
export const EXISTING_TASK_METADATA_KEY = "existing-task-id";

/** A status as grpc-js handlers hand it to `callback(error)` or `call.destroy(error)`. */
export type GrpcStatusError = grpc.ServerErrorResponse & {
  code: grpc.status;
  details: string;
  metadata: grpc.Metadata;
  /**
   * An authorization decision, audited as `Denied` (`server/auth/audit.ts`): PERMISSION_DENIED,
   * and the UNAVAILABLE of a worker id another key holds.
   */
  denied?: boolean;
};

/**
 * A call that had ended (cancelled, or past its deadline) before its handler could run: nothing
 * was done, and it is answered DEADLINE_EXCEEDED.
 */
export class CallEndedError extends Error {
  override name = "CallEndedError";
}

/**
 * The one rule by which a gRPC answer names a field: the JSON pointer of the field in the request
 * message, spelled as proto3 JSON spells it (lowerCamelCase: `/limit`, `/createdAfter`,
 * `/task/priority`, `/status/0`), in the `BadRequest` detail and in the message alike. The
 * service names a field a REST client sends as a query parameter by its bare name (`limit`,
 * `createdAfter`), which is that field's proto3 JSON name, at the top of the request: it is
 * answered as `/limit`. A pointer stays as it is, and so does `""` (the whole request).
 *
 * @example
 * ```ts
 * import { grpcField } from "./status.ts";
 * console.log(grpcField("createdAfter"), grpcField("/status/0"), grpcField("")); // "/createdAfter" "/status/0" ""
 * ```
 */
export function grpcField(field: string): string {
  return field === "" || field.startsWith("/") ? field : `/${field}`;
}

/** The gRPC status code of a domain error (INTERNAL for anything else). */
export function statusCodeOf(error: unknown): grpc.status {
  if (error instanceof CallEndedError) return grpc.status.DEADLINE_EXCEEDED;
  if (error instanceof InvalidArgumentError) return grpc.status.INVALID_ARGUMENT;
  if (error instanceof NotFoundError) return grpc.status.NOT_FOUND;
  if (error instanceof ConflictError) return grpc.status.ALREADY_EXISTS;
  if (error instanceof FailedPreconditionError) return grpc.status.FAILED_PRECONDITION;
  if (error instanceof UnavailableError) return grpc.status.UNAVAILABLE;
  if (error instanceof ResourceExhaustedError) return grpc.status.RESOURCE_EXHAUSTED;
  if (error instanceof UnauthenticatedError) return grpc.status.UNAUTHENTICATED;
  if (error instanceof PermissionDeniedError) return grpc.status.PERMISSION_DENIED;
  return grpc.status.INTERNAL;
}

/**
 * Turns any thrown value into the status to answer with. Domain errors keep their message; the
 * violations of an `InvalidArgumentError` name their fields by `grpcField`, and are added to the
 * message (`field: message`) when it does not already name them, and always sent as a `google.rpc.BadRequest` detail of the binary `google.rpc.Status` in
 * the `grpc-status-details-bin` trailer (the first violations that fit, when not all do). The
 * ALREADY_EXISTS of a repeated idempotency key names the task the key made there, as a
 * `google.rpc.ErrorInfo` (reason `IDEMPOTENCY_KEY_USED`, metadata `taskId`), and in the
 * `existing-task-id` trailer. A worker id another key holds says what holds it, as a
 * `google.rpc.ErrorInfo` (reason `WORKER_ID_HELD`, metadata `workerId`, `heldBy`, `goneWithinMs`),
 * and an executor that does not exist names it, as a `google.rpc.ErrorInfo` (reason
 * `EXECUTOR_NOT_FOUND`, metadata `executor`). Anything else is logged and answered with a generic INTERNAL, never
 * leaked.
 *
 * @example
 * ```ts
 * import { toGrpcError } from "./status.ts";
 * import { NotFoundError } from "../domain/errors.ts";
 * const status = toGrpcError(new NotFoundError('Task "x" does not exist'));
 * console.log(status.code, status.details); // 5 Task "x" does not exist
 * ```
 */
export function toGrpcError(error: unknown): GrpcStatusError {
  if (error instanceof InvalidArgumentError) error = error.renamed(grpcField);
  if (error instanceof PermissionDeniedError && error.field !== undefined) {
    error = new PermissionDeniedError(error.reason, { field: grpcField(error.field) });
  }
  const code = statusCodeOf(error);
  const metadata = new grpc.Metadata();
  let details: string;
  if (code === grpc.status.INTERNAL) {
    log.error("Internal error in a gRPC call", { error });
    details = "Internal error";
  } else {
    details = (error as Error).message;
  }
  if (error instanceof InvalidArgumentError && error.violations.length > 0) {
    details = withViolations(details, error.violations);
  }
  if (error instanceof ConflictError && error.existing) {
    metadata.set(EXISTING_TASK_METADATA_KEY, error.existing.task.id);
  }
  if (details.length > MAX_DETAILS_CHARS) details = `${details.slice(0, MAX_DETAILS_CHARS - 1)}…`;
  if (error instanceof InvalidArgumentError && error.violations.length > 0) {
    const status = badRequestDetails(code, details, error.violations, MAX_STATUS_DETAILS_BYTES);
    metadata.set(STATUS_DETAILS_METADATA_KEY, Buffer.from(status));
  }
  if (error instanceof ConflictError && error.existing) {
    const status = existingTaskDetails(code, details, error.existing.task.id);
    metadata.set(STATUS_DETAILS_METADATA_KEY, Buffer.from(status));
  }
  if (error instanceof ExecutorNotFoundError) {
    const status = executorNotFoundDetails(code, details, error.executor);
    metadata.set(STATUS_DETAILS_METADATA_KEY, Buffer.from(status));
  }
  if (error instanceof WorkerIdHeldError) {
    const { workerId, heldBy, goneWithinMs } = error;
    const status = workerIdHeldDetails(code, details, { workerId, heldBy, goneWithinMs });
    metadata.set(STATUS_DETAILS_METADATA_KEY, Buffer.from(status));
  }
  const status = new Error(details) as GrpcStatusError;
  status.code = code;
  status.details = details;
  status.metadata = metadata;
  status.denied = code === grpc.status.PERMISSION_DENIED || error instanceof WorkerIdHeldError;
  return status;
}

function withViolations(message: string, violations: FieldViolation[]): string {
  const missing = violations.filter((v) => !message.includes(v.field));
  if (missing.length === 0) return message;
  return `${message} (${listViolations(missing)})`;
}
