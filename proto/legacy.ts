/**
 * The original system's interface (unversioned package `taskexecutor`), loaded from its own
 * protobufjs root so that none of its names meet those of `taskexecutor.v1`. Served beside our API
 * for clients generated from the earlier proto; the Go SDK's stubs are generated from the same file.
 *
 * @example Load the service
 * ```ts
 * import { loadLegacyProtocol } from "@tasks-executor/proto/legacy";
 * const { TaskExecutorManager } = loadLegacyProtocol();
 * console.log(Object.keys(TaskExecutorManager.service).length); // 10
 * ```
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import { LOADER_OPTIONS, PROTO_FILES } from "./mod.ts";

/** The original interface's `.proto` file, by its import path in `PROTO_FILES`. */
export const LEGACY_PROTO_FILE = "taskexecutor/taskexecutor.proto";

/** The proto package name of the original interface. */
export const LEGACY_PROTO_PACKAGE = "taskexecutor";

/** The well-known types the original interface imports (protobufjs carries their definitions). */
const IMPORTS = ["google/protobuf/duration.proto", "google/protobuf/timestamp.proto"];

/**
 * The package definition of the original interface, with the lowerCamelCase field names handlers
 * decode with. Enums decode as their names, `bytes` as `Buffer`, `int64` as numbers.
 */
function legacyPackageDefinition(): protoLoader.PackageDefinition {
  const root = new protobuf.Root();
  for (const file of IMPORTS) {
    root.addJSON((protobuf.common.get(file) as protobuf.INamespace).nested ?? {});
  }
  protobuf.parse(PROTO_FILES[LEGACY_PROTO_FILE], root, { keepCase: false });
  return protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
}

/** The loaded original service, for `grpc.Server.addService` or as a client constructor. */
export interface LegacyProtocol {
  packageDefinition: protoLoader.PackageDefinition;
  TaskExecutorManager: grpc.ServiceClientConstructor;
}

let cached: LegacyProtocol | undefined;

/** Parses the embedded original `.proto` (no file is read) and loads it for `@grpc/grpc-js`. */
export function loadLegacyProtocol(): LegacyProtocol {
  if (cached) return cached;
  const packageDefinition = legacyPackageDefinition();
  const loaded = grpc.loadPackageDefinition(packageDefinition);
  const pkg = loaded[LEGACY_PROTO_PACKAGE] as grpc.GrpcObject;
  cached = {
    packageDefinition,
    TaskExecutorManager: pkg.TaskExecutorManager as grpc.ServiceClientConstructor,
  };
  return cached;
}

/** A `google.protobuf.Timestamp` or `Duration` as decoded (seconds as a number). */
export interface LegacySecondsMessage {
  seconds: number;
  nanos: number;
}

/** The original `Task` as decoded: `data` is JSON text as bytes, times may be `null` (unset). */
export interface LegacyTaskMessage {
  id: string;
  executorName: string;
  data: Uint8Array;
  metadata: Record<string, string>;
  /** `TASK_STATUS_PENDING` … `TASK_STATUS_CANCELLED`. */
  status: string;
  error: string;
  retryCount: number;
  createdAt: LegacySecondsMessage | null;
  updatedAt: LegacySecondsMessage | null;
  startedAt: LegacySecondsMessage | null;
  completedAt: LegacySecondsMessage | null;
}

/** The original `ExecutorConfig` as decoded; enums by name (`RETRY_POLICY_TYPE_EXPONENTIAL`). */
export interface LegacyExecutorConfigMessage {
  name: string;
  enabled: boolean;
  writeConcern: { level: string } | null;
  retryPolicy: {
    type: string;
    maxAttempts: number;
    interval: LegacySecondsMessage | null;
  } | null;
  dlqConfig: { enabled: boolean; queueName: string } | null;
}

/** The original `Executor` as decoded. */
export interface LegacyExecutorMessage {
  id: string;
  name: string;
  enabled: boolean;
  config: LegacyExecutorConfigMessage;
  createdAt: LegacySecondsMessage | null;
  updatedAt: LegacySecondsMessage | null;
}
