/**
 * Field errors as the standard rich status of gRPC: a `google.rpc.Status` whose details hold one
 * `google.rpc.BadRequest`, in the binary trailer `grpc-status-details-bin`. grpcurl and the
 * official gRPC libraries decode it (Go `status.FromError(err).Details()`, Java
 * `StatusProto.fromThrowable`, Python `rpc_status.from_call`).
 *
 * `FieldViolation.field` is the JSON pointer of the bad field in the request (`/task/data/to`),
 * the same pointer REST answers with, and `description` says what is wrong with it.
 *
 * @example
 * ```ts
 * import { badRequestDetails, violationsFromDetails } from "@tasks-executor/proto";
 * const bytes = badRequestDetails(3, "Bad task", [{ field: "/task/data/to", message: "Required" }], 8000);
 * console.log(violationsFromDetails(bytes)); // [{ field: "/task/data/to", message: "Required" }]
 * ```
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { protoRoot } from "./_root.ts";

/** Trailer key of the binary `google.rpc.Status` of a call (gRPC's own name for it). */
export const STATUS_DETAILS_METADATA_KEY = "grpc-status-details-bin";

/** Type URL of `google.rpc.BadRequest` inside a `google.protobuf.Any`. */
export const BAD_REQUEST_TYPE_URL = "type.googleapis.com/google.rpc.BadRequest";

/** Type URL of `google.rpc.ErrorInfo` inside a `google.protobuf.Any`. */
export const ERROR_INFO_TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo";

/** `ErrorInfo.domain` of the details this server sends. */
export const ERROR_INFO_DOMAIN = "tasks-executor";

/**
 * `ErrorInfo.reason` of the ALREADY_EXISTS of a repeated idempotency key; its metadata `taskId`
 * is the id of the task the key made.
 */
export const IDEMPOTENCY_KEY_USED_REASON = "IDEMPOTENCY_KEY_USED";

/**
 * `ErrorInfo.reason` of the UNAVAILABLE of a worker id another API key holds (`WorkerIdHeld`
 * holds its metadata).
 */
export const WORKER_ID_HELD_REASON = "WORKER_ID_HELD";

/**
 * `ErrorInfo.reason` of the NOT_FOUND of an executor that does not exist (or that the caller's
 * key does not reach); its metadata `executor` is the name or id asked for. It tells that NOT_FOUND
 * from the original interface's `GetNextTask` NOT_FOUND "no task ready", which has no detail.
 */
export const EXECUTOR_NOT_FOUND_REASON = "EXECUTOR_NOT_FOUND";

/**
 * The metadata of a `WORKER_ID_HELD` refusal, all strings on the wire: what a worker needs to tell
 * a hold that ends by itself from another key's worker that is alive.
 */
export interface WorkerIdHeld {
  /** The worker id refused. */
  workerId: string;
  /**
   * `stream`: a work stream of the other key with this id is open on the manager, one that speaks
   * keepalive (dropped within `goneWithinMs` once its worker is gone), and heard from within the
   * last keepalive interval and a half. `calls`: no such stream, but a unary call of that key
   * under the id (`GetNextTask`, `ReportResults`) began within `goneWithinMs`: a live worker too
   * (a poller), and one still calling that long after a first refusal has one behind it, as a
   * stream. `stream_draining`: only live streams whose workers withdrew every credit (a credit of
   * 0 for each executor: a drain) are open; they close once their running tasks end, so wait, but
   * for no longer than a drain may take (both SDKs: their own `shutdownGraceMs` and wait for
   * acknowledgements, past `goneWithinMs`). `stream_silent`: only such streams silent longer than that
   * are open, whose workers may be gone (lost after an earlier refusal named their stream), so
   * they prove no live worker: wait, as for leases. `stream_without_keepalive`: only streams whose
   * hello asked for no keepalive are open, as silent when their workers idle as when they are gone;
   * the manager drops one silent past its SILENCE_WITHOUT_KEEPALIVE, within this refusal's
   * `goneWithinMs` of its last message, so one still open that long after a first refusal was
   * written to or opened since: wait that long, then stop as for `stream`. `leases`: only its leases
   * or unary calls under way hold the id, and they end by themselves (settled, or expired and
   * taken back). Any other value, from a later manager, reads as `leases`: a hold to wait out.
   */
  heldBy:
    | "stream"
    | "calls"
    | "stream_draining"
    | "stream_silent"
    | "stream_without_keepalive"
    | "leases";
  /**
   * How long at most (ms) the manager keeps open a work stream whose worker is gone (no message
   * for its keepalive silence, a worker that speaks keepalive; with `heldBy`
   * `stream_without_keepalive`, for SILENCE_WITHOUT_KEEPALIVE and a check): a stream that holds the
   * id longer than that after a first refusal has a live worker behind it.
   */
  goneWithinMs: number;
}

/** One bad field of a refused request. */
export interface FieldViolationMessage {
  /** JSON pointer of the field in the request. */
  field: string;
  /** What is wrong with it (`description` on the wire). */
  message: string;
}

let types:
  | { Status: protobuf.Type; BadRequest: protobuf.Type; ErrorInfo: protobuf.Type }
  | undefined;
function rpcTypes() {
  types ??= {
    Status: protoRoot().lookupType("google.rpc.Status"),
    BadRequest: protoRoot().lookupType("google.rpc.BadRequest"),
    ErrorInfo: protoRoot().lookupType("google.rpc.ErrorInfo"),
  };
  return types;
}

interface DecodedStatus {
  details?: { typeUrl?: string; value?: Uint8Array }[];
}
interface DecodedErrorInfo {
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
}
interface DecodedBadRequest {
  fieldViolations?: { field?: string; description?: string }[];
}

/**
 * The binary `google.rpc.Status` of a refused call with its violations as a `BadRequest` detail,
 * at most `maxBytes` long: when every violation does not fit, the first ones that do are kept
 * (halving until they fit; none when even one is too long).
 *
 * @param code gRPC status code (3 for INVALID_ARGUMENT)
 * @param maxBytes budget of the encoded status, in bytes (a trailer carries it base64-encoded)
 */
export function badRequestDetails(
  code: number,
  message: string,
  violations: FieldViolationMessage[],
  maxBytes: number,
): Uint8Array {
  const { Status, BadRequest } = rpcTypes();
  const encode = (kept: FieldViolationMessage[]) => {
    const badRequest = BadRequest.encode(BadRequest.fromObject({
      fieldViolations: kept.map((v) => ({ field: v.field, description: v.message })),
    })).finish();
    return Status.encode(Status.fromObject({
      code,
      message,
      details: [{ typeUrl: BAD_REQUEST_TYPE_URL, value: badRequest }],
    })).finish();
  };
  let kept = violations;
  let bytes = encode(kept);
  while (bytes.length > maxBytes && kept.length > 0) {
    kept = kept.slice(0, Math.floor(kept.length / 2));
    bytes = encode(kept);
  }
  return bytes.length > maxBytes ? Status.encode({ code, message: "" }).finish() : bytes;
}

/**
 * The field violations of a binary `google.rpc.Status` (every `BadRequest` detail, in order);
 * empty when it has none or does not decode.
 */
export function violationsFromDetails(bytes: Uint8Array): FieldViolationMessage[] {
  const { Status, BadRequest } = rpcTypes();
  try {
    const status = Status.decode(bytes) as unknown as DecodedStatus;
    return (status.details ?? [])
      .filter((detail) => detail.typeUrl === BAD_REQUEST_TYPE_URL && detail.value)
      .flatMap((detail) =>
        (BadRequest.decode(detail.value!) as unknown as DecodedBadRequest).fieldViolations ?? []
      )
      .map((v) => ({ field: v.field ?? "", message: v.description ?? "" }));
  } catch {
    return [];
  }
}

/** The violations a status carries in `grpc-status-details-bin`; empty when it has none. */
export function violationsFromMetadata(
  metadata: grpc.Metadata | undefined,
): FieldViolationMessage[] {
  const value = metadata?.get(STATUS_DETAILS_METADATA_KEY)[0];
  return value instanceof Uint8Array ? violationsFromDetails(value) : [];
}

/**
 * The binary `google.rpc.Status` of the ALREADY_EXISTS of a repeated idempotency key: one
 * `google.rpc.ErrorInfo` detail, reason `IDEMPOTENCY_KEY_USED`, domain `tasks-executor`, metadata
 * `taskId` = the id of the task the key made.
 *
 * @example
 * ```ts
 * import { existingTaskDetails, existingTaskIdFromDetails } from "@tasks-executor/proto";
 * const bytes = existingTaskDetails(6, "A task with idempotency key \"k\" exists already", "t1");
 * console.log(existingTaskIdFromDetails(bytes)); // "t1"
 * ```
 *
 * @param code gRPC status code (6 for ALREADY_EXISTS)
 */
export function existingTaskDetails(code: number, message: string, taskId: string): Uint8Array {
  return errorInfoStatus(code, message, IDEMPOTENCY_KEY_USED_REASON, { taskId });
}

/** A binary `google.rpc.Status` with one `google.rpc.ErrorInfo` detail of ours (`reason`). */
function errorInfoStatus(
  code: number,
  message: string,
  reason: string,
  metadata: Record<string, string>,
): Uint8Array {
  const { Status, ErrorInfo } = rpcTypes();
  const errorInfo = ErrorInfo.encode(ErrorInfo.fromObject({
    reason,
    domain: ERROR_INFO_DOMAIN,
    metadata,
  })).finish();
  return Status.encode(Status.fromObject({
    code,
    message,
    details: [{ typeUrl: ERROR_INFO_TYPE_URL, value: errorInfo }],
  })).finish();
}

/**
 * The metadata of the first `google.rpc.ErrorInfo` detail of ours with `reason` in a binary
 * `google.rpc.Status`; `undefined` when it has none or does not decode.
 */
function errorInfoMetadata(bytes: Uint8Array, reason: string): Record<string, string> | undefined {
  const { Status, ErrorInfo } = rpcTypes();
  try {
    const status = Status.decode(bytes) as unknown as DecodedStatus;
    for (const detail of status.details ?? []) {
      if (detail.typeUrl !== ERROR_INFO_TYPE_URL || !detail.value) continue;
      const info = ErrorInfo.decode(detail.value) as unknown as DecodedErrorInfo;
      if (info.domain === ERROR_INFO_DOMAIN && info.reason === reason) return info.metadata ?? {};
    }
  } catch {
    // not a status: nothing of ours in it
  }
  return undefined;
}

/**
 * The id of the task a repeated idempotency key made, from the `ErrorInfo` detail of a binary
 * `google.rpc.Status` (reason `IDEMPOTENCY_KEY_USED`); `undefined` when it has none or does not
 * decode.
 */
export function existingTaskIdFromDetails(bytes: Uint8Array): string | undefined {
  return errorInfoMetadata(bytes, IDEMPOTENCY_KEY_USED_REASON)?.taskId || undefined;
}

/**
 * The binary `google.rpc.Status` of the UNAVAILABLE of a worker id another key holds: one
 * `google.rpc.ErrorInfo` detail, reason `WORKER_ID_HELD`, domain `tasks-executor`, metadata
 * `workerId`, `heldBy` and `goneWithinMs` (decimal).
 *
 * @example
 * ```ts
 * import { workerIdHeldDetails, workerIdHeldFromDetails } from "@tasks-executor/proto";
 * const held = { workerId: "w1", heldBy: "stream" as const, goneWithinMs: 40_000 };
 * console.log(workerIdHeldFromDetails(workerIdHeldDetails(14, "Held", held)));
 * // { workerId: "w1", heldBy: "stream", goneWithinMs: 40000 }
 * ```
 *
 * @param code gRPC status code (14 for UNAVAILABLE)
 */
export function workerIdHeldDetails(code: number, message: string, held: WorkerIdHeld): Uint8Array {
  return errorInfoStatus(code, message, WORKER_ID_HELD_REASON, {
    workerId: held.workerId,
    heldBy: held.heldBy,
    goneWithinMs: String(held.goneWithinMs),
  });
}

/**
 * The `heldBy` values this module reads; any other is read as `leases`. The manager's list
 * (`server/domain/errors.ts`, which proto/ may not import) must be the same:
 * `tests/worker_id_holders_test.ts` checks both ways.
 */
const HOLDERS = [
  "stream",
  "calls",
  "stream_draining",
  "stream_silent",
  "stream_without_keepalive",
  "leases",
] as const;

/**
 * The `WORKER_ID_HELD` metadata of a binary `google.rpc.Status`; `undefined` when it has none (a
 * manager older than it), or it does not decode.
 */
export function workerIdHeldFromDetails(bytes: Uint8Array): WorkerIdHeld | undefined {
  const metadata = errorInfoMetadata(bytes, WORKER_ID_HELD_REASON);
  if (metadata === undefined) return undefined;
  const { workerId = "", heldBy, goneWithinMs } = metadata;
  const ms = Number(goneWithinMs);
  return {
    workerId,
    heldBy: HOLDERS.find((holder) => holder === heldBy) ?? "leases",
    goneWithinMs: Number.isFinite(ms) && ms > 0 ? ms : 0,
  };
}

/** The `WORKER_ID_HELD` metadata of a refusal, from `grpc-status-details-bin`. */
export function workerIdHeldFromMetadata(
  metadata: grpc.Metadata | undefined,
): WorkerIdHeld | undefined {
  const value = metadata?.get(STATUS_DETAILS_METADATA_KEY)[0];
  return value instanceof Uint8Array ? workerIdHeldFromDetails(value) : undefined;
}

/**
 * The binary `google.rpc.Status` of the NOT_FOUND of an executor that does not exist: one
 * `google.rpc.ErrorInfo` detail, reason `EXECUTOR_NOT_FOUND`, domain `tasks-executor`, metadata
 * `executor` = the name or id asked for.
 *
 * @example
 * ```ts
 * import { executorNotFoundDetails, executorNotFoundFromDetails } from "@tasks-executor/proto";
 * const bytes = executorNotFoundDetails(5, "Executor \"gone\" does not exist", "gone");
 * console.log(executorNotFoundFromDetails(bytes)); // "gone"
 * ```
 *
 * @param code gRPC status code (5 for NOT_FOUND)
 */
export function executorNotFoundDetails(
  code: number,
  message: string,
  executor: string,
): Uint8Array {
  return errorInfoStatus(code, message, EXECUTOR_NOT_FOUND_REASON, { executor });
}

/**
 * The executor a binary `google.rpc.Status` says does not exist (reason `EXECUTOR_NOT_FOUND`);
 * `undefined` when it has no such detail (another NOT_FOUND, a manager older than it) or does not
 * decode.
 */
export function executorNotFoundFromDetails(bytes: Uint8Array): string | undefined {
  return errorInfoMetadata(bytes, EXECUTOR_NOT_FOUND_REASON)?.executor;
}

/** The executor a refusal says does not exist, from `grpc-status-details-bin`. */
export function executorNotFoundFromMetadata(
  metadata: grpc.Metadata | undefined,
): string | undefined {
  const value = metadata?.get(STATUS_DETAILS_METADATA_KEY)[0];
  return value instanceof Uint8Array ? executorNotFoundFromDetails(value) : undefined;
}

/** The id of the task a repeated idempotency key made, from `grpc-status-details-bin`. */
export function existingTaskIdFromMetadata(
  metadata: grpc.Metadata | undefined,
): string | undefined {
  const value = metadata?.get(STATUS_DETAILS_METADATA_KEY)[0];
  return value instanceof Uint8Array ? existingTaskIdFromDetails(value) : undefined;
}
