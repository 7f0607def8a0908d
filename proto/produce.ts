/**
 * The producer's stream (`Produce`), as both ends see it: the cap on requests a stream may have
 * open, and the encoding of a request around a create (or a wait) the client encoded already
 * (`CreateTaskRequest` bytes, checked against the manager's limits before they are sent). Its
 * messages' shapes are with the others in `mod.ts`.
 *
 * @example
 * ```ts
 * import { encodeMessage, encodeProduceRequest } from "@tasks-executor/proto";
 * const create = encodeMessage("taskexecutor.v1.CreateTaskRequest", {
 *   task: { executorName: "resize" },
 * });
 * const request = encodeProduceRequest(1, "create", create, { traceparent: "", tracestate: "" });
 * console.log(request.length > create.length); // true
 * ```
 * @module
 */
import protobuf from "protobufjs";

/**
 * Requests one `Produce` stream may have open (not yet answered `done`), waits included. One more
 * ends the stream with RESOURCE_EXHAUSTED: a client that reads its answers never holds this many,
 * because the SDK sends a request past it as its own call instead.
 */
export const PRODUCE_REQUESTS_IN_FLIGHT = 1000;

/**
 * The trailer (value `true`) of a `Produce` stream a stopping manager ended: every request the
 * stream had not answered was not run (none was read after the last answer), so a client may
 * send each again, as a refused call's (UNAVAILABLE, the stream's status).
 */
export const PRODUCE_NOT_RUN_METADATA_KEY = "tasks-executor-not-run";

// Field numbers of `ProduceRequest`.
const REQUEST_ID = 1;
const CREATE = 2;
const CREATE_AND_WATCH = 3;
const CANCEL = 4;
const TRACEPARENT = 5;
const TRACESTATE = 6;
const WATCH = 7;
const VARINT = 0;
const LENGTH_DELIMITED = 2;

/** The kinds of request `encodeProduceRequest` wraps, and the field each goes in. */
const FIELD_OF = { create: CREATE, createAndWatch: CREATE_AND_WATCH, watch: WATCH } as const;

/**
 * A `ProduceRequest` carrying `request` (an encoded `CreateTaskRequest`,
 * `CreateAndWatchTaskRequest` or `WatchTasksRequest`, the same bytes, as a sub-message) under
 * `requestId`, with the create's trace context ("" = none).
 */
export function encodeProduceRequest(
  requestId: number,
  kind: keyof typeof FIELD_OF,
  request: Uint8Array,
  trace: { traceparent: string; tracestate: string },
): Uint8Array {
  const writer = protobuf.Writer.create()
    .uint32((REQUEST_ID << 3) | VARINT).uint32(requestId)
    .uint32((FIELD_OF[kind] << 3) | LENGTH_DELIMITED)
    .bytes(request);
  if (trace.traceparent !== "") {
    writer.uint32((TRACEPARENT << 3) | LENGTH_DELIMITED).string(trace.traceparent);
  }
  if (trace.tracestate !== "") {
    writer.uint32((TRACESTATE << 3) | LENGTH_DELIMITED).string(trace.tracestate);
  }
  return writer.finish();
}

/** A `ProduceRequest` that stops the wait of `requestId`. */
export function encodeProduceCancel(requestId: number): Uint8Array {
  return protobuf.Writer.create()
    .uint32((REQUEST_ID << 3) | VARINT).uint32(requestId)
    .uint32((CANCEL << 3) | LENGTH_DELIMITED).bytes(new Uint8Array(0))
    .finish();
}
