/**
 * The gRPC check, in one wrapper around every handler of the API services: finds the caller behind
 * `authorization: Bearer <token>` metadata, checks the method's operation in the permission table,
 * audits state changes and closes the streams of revoked keys. The caller is found as the call's
 * metadata arrives, before any of its messages is read (`authenticateOnArrival`).
 */
import * as grpc from "@grpc/grpc-js";
import { audit } from "../auth/audit.ts";
import { authorize, GRPC_OPERATIONS, type Operation } from "../auth/permissions.ts";
import { anonymousFrom, type Authenticator, type Principal } from "../auth/scopes.ts";
import type { OpenStreams } from "../auth/streams.ts";
import { bearerToken } from "../auth/token.ts";
import type { ConnectionPlaces } from "../connections.ts";
import { PermissionDeniedError, UnauthenticatedError } from "../domain/errors.ts";
import { log } from "../log.ts";
import { CallEndedError, type GrpcStatusError, toGrpcError } from "./status.ts";

const callers = new WeakMap<object, Principal>();

/**
 * The caller of a call that went through `guardService`.
 *
 * @throws {Error} when it did not: a handler served without the guard never runs unchecked
 */
export function callerOf(call: object): Principal {
  const caller = callers.get(call);
  if (!caller) throw new Error("gRPC call was not authenticated: its service is not guarded");
  return caller;
}

/**
 * The token of a call's `authorization` metadata (`bearerToken`: `null`, which fails, in another
 * form); `undefined` without the metadata.
 */
export function tokenOf(metadata: grpc.Metadata): string | null | undefined {
  const [header] = metadata.get("authorization");
  if (header === undefined) return undefined;
  return bearerToken(String(header));
}

/**
 * The caller behind a call's `authorization` metadata. A credential that fails is logged (rate
 * limited, never the token) with `peer`.
 *
 * @throws {UnauthenticatedError} without the metadata, or with a malformed, unknown or revoked key
 * @throws {UnavailableError} when the key cannot be looked up (store away)
 */
async function authenticate(
  metadata: grpc.Metadata,
  authenticator: Authenticator,
  peer: string,
): Promise<Principal> {
  // Another form, a bare token included, is a credential that fails too (`bearerToken`), and is
  // logged so.
  const token = tokenOf(metadata);
  if (token === undefined) {
    throw new UnauthenticatedError(
      "Authentication required: send an API key as metadata authorization: Bearer <token>",
    );
  }
  const caller = await authenticator.authenticate(token, {
    transport: "grpc",
    peer,
    via: "metadata",
  });
  if (caller === null) {
    throw new UnauthenticatedError(
      token === null
        ? "Send the API key as metadata authorization: Bearer <key>"
        : "API key is not valid: it is malformed, unknown or revoked",
    );
  }
  return caller;
}

/**
 * `authorize`, auditing a denial with the call's method.
 *
 * @throws {PermissionDeniedError} when the caller's scopes do not allow `operation`
 */
function authorizeCall(caller: Principal, operation: Operation, path: string): void {
  try {
    authorize(caller, operation);
  } catch (error) {
    const reason = (error as Error).message;
    audit(caller, operation, {
      transport: "grpc",
      call: path,
      outcome: "PERMISSION_DENIED",
      reason,
    });
    throw error;
  }
}

/**
 * A server interceptor that authenticates every call of a method in the permission table from its
 * metadata, and checks that the key's scopes allow the method's operation, before grpc-js reads
 * any of its messages: a call without a valid key ends at once with UNAUTHENTICATED, one whose key
 * may not do it with PERMISSION_DENIED, its request neither read nor decoded (the guard alone let
 * an anonymous client have a 1.2 MB message decoded before refusing it: about 160 ms of the
 * manager's thread each; a read-only key, a create's). Limits to executors need the request: the
 * guard checks them.
 * Health and reflection, open to everyone, pass as they are. The guard (`guardService`)
 * authenticates again when the handler runs.
 */
export function authenticateOnArrival(authenticator: Authenticator): grpc.ServerInterceptor {
  return (method, call) => {
    const path = method.path.replace(/^\//, "");
    if (!Object.hasOwn(GRPC_OPERATIONS, path)) return new grpc.ServerInterceptingCall(call);
    const operation = GRPC_OPERATIONS[path];
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            authenticate(metadata, authenticator, call.getPeer()).then(
              (caller) => {
                authorizeCall(caller, operation, path);
                pass(metadata);
              },
            )
              // Refused, or the call going on threw (it ends INTERNAL, logged) rather than leave
              // a promise rejected unhandled, which would end the manager.
              .catch((error) => intercepting.sendStatus(toGrpcError(error)));
          },
        }),
    });
    return intercepting;
  };
}

/** How the guard finds callers; `authenticator` `null` = authentication off (`anonymousFrom`). */
export interface GuardOptions {
  authenticator: Authenticator | null;
  /** Where streams are tracked, to close them when their key is revoked (with an authenticator). */
  streams: OpenStreams | null;
  /**
   * The port's connection places: an authenticated call holds its connection's place while it
   * runs (an evictable connection is one without any); absent = no eviction.
   */
  places?: ConnectionPlaces;
}

/** One service to guard: its definition (method paths) and the handlers to wrap. */
export interface GuardedService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> & {
  metadata: grpc.Metadata;
};

/**
 * Wraps every handler of a service: before it runs, the caller is authenticated (UNAUTHENTICATED
 * without a valid key) and the method's operation in `GRPC_OPERATIONS` checked
 * (PERMISSION_DENIED naming the scopes it needs; a method missing from the table is refused).
 * Handlers read the caller with `callerOf(call)`. State-changing calls are audited; a streaming
 * call is closed with UNAUTHENTICATED as soon as its key is revoked.
 *
 * @example
 * ```ts ignore
 * const definition = withValueBytes(protocol.TaskExecutorManagerService.service);
 * server.addService(definition, guardService({
 *   definition,
 *   implementation: createManagerService({ service, workers }),
 * }, { authenticator, streams }));
 * ```
 */
export function guardService(
  service: GuardedService,
  options: GuardOptions,
): grpc.UntypedServiceImplementation {
  const guarded: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service.definition)) {
    const handler = service.implementation[name];
    const path = method.path.replace(/^\//, "");
    const operation = GRPC_OPERATIONS[path];
    const check = async (call: AnyCall): Promise<Principal> => {
      if (!operation) {
        log.error("gRPC method has no entry in the permission table (server/auth/permissions.ts)", {
          method: path,
        });
        throw new PermissionDeniedError("No permission is defined for this method");
      }
      // Again, though the call was authenticated as it arrived: a unary call runs once its client
      // has sent the whole request, which may be after its key was revoked.
      const caller = options.authenticator
        ? await authenticate(call.metadata, options.authenticator, call.getPeer())
        : anonymousFrom(call.getPeer());
      authorizeCall(caller, operation, path);
      assertCallLive(call);
      callers.set(call, caller);
      return caller;
    };
    // Held from the check to the end of the call: the connection is then in use by a caller.
    const hold = (call: AnyCall, endEvents: string[]): () => void => {
      const release = options.places?.find(call.getPeer())?.hold() ?? (() => {});
      for (const event of ["cancelled", ...endEvents]) call.once(event, release);
      return release;
    };
    guarded[name] = method.responseStream
      ? guardStream(handler, { check, hold, path, operation, streams: options.streams })
      : guardUnary(handler, { check, hold, path, operation });
  }
  return guarded;
}

/**
 * Refuses to start a call that has ended already: its client cancelled it, or its deadline passed
 * (`grpc-timeout: 1n` is past before the handler can run, and grpc-js's own deadline timer fires
 * only a turn later). It would be answered DEADLINE_EXCEEDED or CANCELLED whatever it did, so
 * nothing is done; a deadline that passes while the handler runs is the caller's to check.
 *
 * @throws {CallEndedError} answered DEADLINE_EXCEEDED
 */
function assertCallLive(call: AnyCall): void {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  if (call.cancelled || ms <= Date.now()) {
    throw new CallEndedError(
      "The call was cancelled or past its deadline before it could run: nothing was done",
    );
  }
}

interface Guard {
  check: (call: AnyCall) => Promise<Principal>;
  /** Holds the call's connection place until one of `endEvents` (or `cancelled`); answers the release. */
  hold: (call: AnyCall, endEvents: string[]) => () => void;
  path: string;
  operation: Operation | undefined;
}

/** Unary and client-streaming handlers: `(call, callback)`. */
function guardUnary(handler: grpc.UntypedHandleCall, guard: Guard): grpc.UntypedHandleCall {
  const run = handler as (call: AnyCall, callback: grpc.sendUnaryData<unknown>) => void;
  return ((call: AnyCall, callback: grpc.sendUnaryData<unknown>) => {
    guard.check(call).then(
      (caller) => {
        const release = guard.hold(call, []);
        run(call, (error, ...rest) => {
          release();
          audit(caller, guard.operation!, {
            transport: "grpc",
            call: guard.path,
            outcome: grpc.status[error ? (error.code ?? grpc.status.UNKNOWN) : grpc.status.OK],
            reason: error?.details,
            denied: (error as GrpcStatusError | null)?.denied,
          });
          callback(error, ...rest);
        });
      },
      (error) => callback(toGrpcError(error)),
    );
  }) as grpc.UntypedHandleCall;
}

/** Server-streaming and bidirectional handlers: `(call)`, closed when the caller's key is revoked. */
function guardStream(
  handler: grpc.UntypedHandleCall,
  guard: Guard & { streams: OpenStreams | null },
): grpc.UntypedHandleCall {
  const run = handler as (call: AnyCall) => void;
  return ((call: AnyCall) => {
    guard.check(call).then(
      (caller) => {
        audit(caller, guard.operation!, { transport: "grpc", call: guard.path, outcome: "OPEN" });
        guard.hold(call, ["close", "error"]);
        let revoked = false;
        if (guard.streams) {
          const forget = guard.streams.track(caller, () => {
            revoked = true;
            call.emit("error", toGrpcError(new UnauthenticatedError("API key was revoked")));
          });
          call.once("close", forget);
          call.once("cancelled", forget);
        }
        if (!revoked) run(call);
      },
      (error) => call.emit("error", toGrpcError(error)),
    );
  }) as grpc.UntypedHandleCall;
}
