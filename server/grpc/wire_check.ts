/**
 * Every request message is checked against protobuf's wire format before protobufjs decodes it,
 * by the walk the SDK's worker shares (`checkWire`, proto/wire_check.ts): every length within the
 * message that holds it, every known field's wire type, every string's UTF-8, and the JSON values,
 * elements and object shapes it holds within the manager's limits. What does not fit is not
 * decoded: the call ends with INTERNAL (gRPC's table of library codes: an error parsing the
 * request) and details naming the field, which grpc-js's own answer ("Error deserializing
 * request") leaves out; past a limit with RESOURCE_EXHAUSTED, naming the field. Unknown fields
 * are skipped, as protobuf says, except in the requests whose fields narrow what a call acts on
 * or reads (`REFUSES_UNKNOWN_FIELDS`): there a field the manager does not know is
 * INVALID_ARGUMENT.
 */
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor/index.js";
import {
  type CheckLimits,
  checkWire,
  RefusedInRequest,
  TooManyInRequest,
} from "@tasks-executor/proto/wire-check";

/**
 * The requests whose fields narrow what the call acts on or reads: bulk calls by filter, lists,
 * searches, stats, history, claims of tasks, the scopes and executors a new key is held to, and
 * the status change whose `from` says which statuses it may move a task from.
 * A field the manager does not know there (a newer client's filter, a misspelt one in a
 * hand-written proto) would be skipped and widen the call (a bulk delete of every executor's
 * tasks, a key that may use every executor), so it is refused, naming its number, before
 * anything is done, as REST refuses a query parameter it does not declare. Every other request
 * skips unknown fields, as protobuf says, so that a client built from a newer proto keeps working
 * (a create with an option this manager does not have makes its task without it; a call by id
 * acts on that one whatever else it carries); the worker stream and `Produce`, the hot paths,
 * among them.
 */
export const REFUSES_UNKNOWN_FIELDS: ReadonlySet<string> = new Set([
  "taskexecutor.v1.DeleteTasksRequest",
  "taskexecutor.v1.CancelTasksRequest",
  "taskexecutor.v1.RetryTasksRequest",
  "taskexecutor.v1.PurgeDlqRequest",
  "taskexecutor.v1.RequeueDlqRequest",
  "taskexecutor.v1.ListExecutorsRequest",
  "taskexecutor.v1.ListTasksRequest",
  "taskexecutor.v1.SearchTasksRequest",
  "taskexecutor.v1.ListDlqRequest",
  "taskexecutor.v1.ListWorkersRequest",
  "taskexecutor.v1.ListKeysRequest",
  "taskexecutor.v1.ListSchedulesRequest",
  "taskexecutor.v1.GetStatsRequest",
  "taskexecutor.v1.GetHistoryRequest",
  "taskexecutor.v1.CreateKeyRequest",
  "taskexecutor.v1.GetNextTaskRequest",
  "taskexecutor.v1.UpdateTaskStatusRequest",
  "taskexecutor.GetNextTaskRequest",
  "taskexecutor.ListExecutorsRequest",
]);

/**
 * What a checked deserializer gives in place of a request that does not fit the wire format
 * (INTERNAL, as gRPC answers a request it cannot parse), holds too many JSON values, elements or
 * object shapes (RESOURCE_EXHAUSTED, as for a message over the size limit), or a map key the
 * manager does not take or a field it does not know where that is refused (INVALID_ARGUMENT).
 */
export class WireRefusal {
  constructor(readonly code: grpc.status, readonly details: string) {}
}

/**
 * `definition` with every method's request checked by `checkWire` before it is decoded, held to
 * `options` (`CheckLimits`), the requests of `REFUSES_UNKNOWN_FIELDS` refusing fields they do not
 * declare; a request that does not pass becomes a refusal that
 * `refuseMalformedRequests` answers, so it must be among the server's interceptors. The message
 * types come from the descriptors grpc-js's loader keeps beside each method, so any
 * loaded service can be checked.
 *
 * @example
 * ```ts ignore
 * const server = new grpc.Server({ interceptors: [refuseMalformedRequests] });
 * server.addService(checkedRequests(definition, { jsonValues: 262_144, elements: 65_536 }), implementation);
 * ```
 */
export function checkedRequests(
  definition: grpc.ServiceDefinition,
  options: CheckLimits = {},
): grpc.ServiceDefinition {
  const limits: CheckLimits = { ...options, refuseUnknownFieldsIn: REFUSES_UNKNOWN_FIELDS };
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => {
      const requestType = requestTypeOf(method);
      return [name, {
        ...method,
        requestDeserialize: (bytes: Uint8Array) => {
          try {
            checkWire(requestType, bytes, limits);
          } catch (error) {
            if (error instanceof RangeError) {
              return new WireRefusal(
                grpc.status.INTERNAL,
                `Error deserializing request: ${error.message}`,
              );
            }
            if (error instanceof TooManyInRequest) {
              return new WireRefusal(grpc.status.RESOURCE_EXHAUSTED, error.message);
            }
            if (error instanceof RefusedInRequest) {
              return new WireRefusal(grpc.status.INVALID_ARGUMENT, error.message);
            }
            throw error;
          }
          return method.requestDeserialize(bytes as never);
        },
      }];
    }),
  );
}

/**
 * The server interceptor that ends a call whose request did not pass `checkedRequests` with its
 * status (INTERNAL and what did not fit the wire format, RESOURCE_EXHAUSTED for too many JSON
 * values, INVALID_ARGUMENT for what it does not take); the handler never sees it. Put it last
 * among the server's interceptors, so the others see the status it sends.
 */
export const refuseMalformedRequests: grpc.ServerInterceptor = (_method, call) => {
  const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message, pass) => {
          if (!(message instanceof WireRefusal)) return pass(message);
          intercepting.sendStatus({
            code: message.code,
            details: message.details,
            metadata: new grpc.Metadata(),
          });
        },
      }),
  });
  return intercepting;
};

interface LoadedMethod {
  path: string;
  requestType?: { fileDescriptorProtos?: Uint8Array[] };
}

const roots = new WeakMap<Uint8Array[], protobuf.Root>();

/** The protobufjs root of the files a loaded method's request type came with. */
function rootOf(method: LoadedMethod): protobuf.Root {
  const files = method.requestType?.fileDescriptorProtos;
  if (!files) throw new Error(`${method.path}: its request type has no file descriptors`);
  let root = roots.get(files);
  if (!root) {
    const set = { file: files.map((file) => descriptor.FileDescriptorProto.decode(file)) };
    root = (protobuf.Root as unknown as { fromDescriptor(set: unknown): protobuf.Root })
      .fromDescriptor(set);
    root.resolveAll();
    roots.set(files, root);
  }
  return root;
}

/** The request message of `/pkg.Service/Method`. */
function requestTypeOf(method: LoadedMethod): protobuf.Type {
  const [, service, name] = method.path.split("/");
  return rootOf(method).lookupService(service).methods[name].resolvedRequestType!;
}
