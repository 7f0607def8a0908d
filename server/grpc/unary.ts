/** `unary`: how every unary rpc handler of the gRPC adapters runs (caller in, mapped status out). */
import type * as grpc from "@grpc/grpc-js";
import type { Principal } from "../auth/scopes.ts";
import { callerOf } from "./auth.ts";
import { toGrpcError } from "./status.ts";

// deno-lint-ignore no-explicit-any
type Message = Record<string, any>;

/**
 * Runs an async handler for a unary call, with the caller the guard found (`callerOf`), and
 * answers with its value or its mapped status. `signal` is aborted when the call is cancelled
 * (the client went away or its deadline passed), for handlers that wait for something.
 */
export function unary(
  handler: (
    request: Message,
    caller: Principal,
    metadata: grpc.Metadata,
    signal: AbortSignal,
  ) => Promise<unknown>,
): grpc.handleUnaryCall<Message, unknown> {
  return (call, callback) => {
    const cancelled = new AbortController();
    call.once("cancelled", () => cancelled.abort());
    let pending: Promise<unknown>;
    try {
      pending = handler(call.request, callerOf(call), call.metadata, cancelled.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (response) => callback(null, response),
      (error) => callback(toGrpcError(error)),
    );
  };
}
