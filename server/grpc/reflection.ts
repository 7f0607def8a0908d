/**
 * Server reflection (`grpc.reflection.v1` and `v1alpha`), so that `grpcurl` lists and calls the
 * services with no proto file. The reflection protocol definition is embedded: nothing is read
 * from disk, which keeps the bundled manager self-contained.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionV1Implementation } from "@grpc/reflection/build/src/implementations/reflection-v1.js";
import { Buffer } from "node:buffer";
import protobuf from "protobufjs";
import { sendWindowOpen } from "./send_window.ts";
import { checkedRequests } from "./wire_check.ts";

/** The messages of grpc/reflection/v1/reflection.proto (the gRPC Server Reflection protocol). */
export const REFLECTION_PROTO = `
syntax = "proto3";
package grpc.reflection.v1;
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest) returns (stream ServerReflectionResponse);
}
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
    ExtensionRequest file_containing_extension = 5;
    string all_extension_numbers_of_type = 6;
    string list_services = 7;
  }
}
message ExtensionRequest {
  string containing_type = 1;
  int32 extension_number = 2;
}
message ServerReflectionResponse {
  string valid_host = 1;
  ServerReflectionRequest original_request = 2;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ExtensionNumberResponse all_extension_numbers_response = 5;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
message FileDescriptorResponse {
  repeated bytes file_descriptor_proto = 1;
}
message ExtensionNumberResponse {
  string base_type_name = 1;
  repeated int32 extension_number = 2;
}
message ListServiceResponse {
  repeated ServiceResponse service = 1;
}
message ServiceResponse {
  string name = 1;
}
message ErrorResponse {
  int32 error_code = 1;
  string error_message = 2;
}
`;

// The options the reflection implementation decodes its requests with.
const REFLECTION_LOADER_OPTIONS: protoLoader.Options = {
  longs: String,
  enums: String,
  bytes: Array,
  defaults: true,
  oneofs: true,
};

/**
 * Serves reflection for every service declared in `fileDescriptors` (encoded
 * `FileDescriptorProto`s, as protoc or buf compile them, with their `dependency` lists) on
 * `server`, under both protocol versions (v1alpha is what older grpcurl releases ask for). Every
 * file is served, including the well-known types and the status details that clients decode.
 * Answers the paths of the methods it served. Once `draining` aborts (the server stops), a stream
 * answers the request it is on and ends.
 */
export function addReflection(
  server: grpc.Server,
  fileDescriptors: Uint8Array[],
  draining: AbortSignal = new AbortController().signal,
): string[] {
  const paths: string[] = [];
  const reflection = new ReflectionV1Implementation({
    files: { fileDescriptorProtos: fileDescriptors.map((bytes) => Buffer.from(bytes)) },
  } as unknown as protoLoader.PackageDefinition);
  for (const version of ["v1", "v1alpha"]) {
    const source = REFLECTION_PROTO.replace(
      "package grpc.reflection.v1;",
      `package grpc.reflection.${version};`,
    );
    const root = protobuf.parse(source, { keepCase: false }).root;
    const loaded = protoLoader.fromJSON(root.toJSON(), REFLECTION_LOADER_OPTIONS);
    const service = checkedRequests(
      loaded[`grpc.reflection.${version}.ServerReflection`] as grpc.ServiceDefinition,
    );
    paths.push(...Object.values(service).map((method) => method.path));
    server.addService(service, {
      // One request at a time, each answered once the client's window is open: the stream is
      // open to everyone, and a client that sends requests without reading the answers (each
      // up to the whole descriptor set) would otherwise have the manager hold them all.
      ServerReflectionInfo: (stream: grpc.ServerDuplexStream<unknown, unknown>) => {
        const gone = new AbortController();
        let answering = false;
        const end = () => {
          draining.removeEventListener("abort", endIfIdle);
          if (!stream.writableEnded) stream.end();
        };
        const endIfIdle = () => {
          if (!answering) end();
        };
        draining.addEventListener("abort", endIfIdle);
        stream.once("cancelled", () => {
          draining.removeEventListener("abort", endIfIdle);
          gone.abort();
        });
        stream.on("end", end);
        stream.on("data", (message) => {
          if (draining.aborted) return;
          answering = true;
          stream.pause();
          sendWindowOpen(stream, gone.signal).then(() => {
            answering = false;
            if (gone.signal.aborted) return;
            stream.write(
              reflection.handleServerReflectionRequest(
                message as Parameters<
                  ReflectionV1Implementation["handleServerReflectionRequest"]
                >[0],
              ),
            );
            if (draining.aborted) end();
            else stream.resume();
          });
        });
      },
    });
  }
  return paths;
}
