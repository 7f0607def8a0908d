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
import descriptor from "protobufjs/ext/descriptor/index.js";

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
 * Serves reflection for every service of `definition` on `server`, under both protocol versions
 * (v1alpha is what older grpcurl releases ask for).
 */
export function addReflection(
  server: grpc.Server,
  definition: protoLoader.PackageDefinition,
): void {
  const reflection = new ReflectionV1Implementation(protocStyle(definition));
  for (const version of ["v1", "v1alpha"]) {
    const source = REFLECTION_PROTO.replace(
      "package grpc.reflection.v1;",
      `package grpc.reflection.${version};`,
    );
    const root = protobuf.parse(source, { keepCase: false }).root;
    const loaded = protoLoader.fromJSON(root.toJSON(), REFLECTION_LOADER_OPTIONS);
    const service = loaded[`grpc.reflection.${version}.ServerReflection`] as grpc.ServiceDefinition;
    server.addService(service, {
      ServerReflectionInfo: (stream: grpc.ServerDuplexStream<unknown, unknown>) => {
        stream.on("end", () => stream.end());
        stream.on("data", (message) => {
          stream.write(
            reflection.handleServerReflectionRequest(
              message as Parameters<ReflectionV1Implementation["handleServerReflectionRequest"]>[0],
            ),
          );
        });
      },
    });
  }
}

// deno-lint-ignore no-explicit-any
type Descriptor = any;

/**
 * protobufjs names the entry type of `map<…> metadata` "Metadata" where protoc says
 * "MetadataEntry" (and marks no `proto3_optional`): strict reflection clients (grpcurl) refuse
 * such descriptors. This rewrites the file descriptors of a definition the way protoc writes them.
 */
function protocStyle(definition: protoLoader.PackageDefinition): protoLoader.PackageDefinition {
  const fixed = new Map<Buffer, Buffer>();
  const fix = (bytes: Buffer): Buffer => {
    const known = fixed.get(bytes);
    if (known) return known;
    const file = descriptor.FileDescriptorProto.decode(bytes) as Descriptor;
    for (const message of file.messageType) fixMessage(message, `.${file.package}`);
    const out = Buffer.from(descriptor.FileDescriptorProto.encode(file).finish());
    fixed.set(bytes, out);
    return out;
  };
  // Each definition shares one list of files among its entries: fix each list once.
  const fixedLists = new Map<Buffer[], Buffer[]>();
  const fixList = (files: Buffer[]): Buffer[] => {
    let out = fixedLists.get(files);
    if (!out) {
      out = withDependencies(files.map(fix));
      fixedLists.set(files, out);
    }
    return out;
  };
  const result: protoLoader.PackageDefinition = {};
  for (const [name, entry] of Object.entries(definition)) {
    const files = (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos;
    result[name] = files
      ? { ...entry, fileDescriptorProtos: fixList(files) } as protoLoader.AnyDefinition
      : entry;
  }
  return result;
}

/**
 * protobufjs writes one file per package and no `dependency` list: a file that uses a type of
 * another package (`google.protobuf.Timestamp`) cannot be resolved by reflection clients. This
 * names, in each file, the files that define the types it refers to.
 */
function withDependencies(files: Buffer[]): Buffer[] {
  const decoded = files.map((bytes) => descriptor.FileDescriptorProto.decode(bytes) as Descriptor);
  const fileOf = new Map<string, string>();
  const define = (scope: string, message: Descriptor, file: string) => {
    const path = `${scope}.${message.name}`;
    fileOf.set(path, file);
    for (const e of message.enumType ?? []) fileOf.set(`${path}.${e.name}`, file);
    for (const nested of message.nestedType ?? []) define(path, nested, file);
  };
  for (const file of decoded) {
    for (const message of file.messageType) define(`.${file.package}`, message, file.name);
    for (const e of file.enumType ?? []) fileOf.set(`.${file.package}.${e.name}`, file.name);
  }
  // protobufjs writes type names relative to where they are used: look them up as protoc
  // would, from the innermost scope outwards.
  const resolve = (scope: string, name: string): string | undefined => {
    if (name.startsWith(".")) return fileOf.get(name);
    for (let at = scope;; at = at.slice(0, Math.max(0, at.lastIndexOf(".")))) {
      const found = fileOf.get(`${at}.${name}`);
      if (found || at === "") return found;
    }
  };
  return decoded.map((file, i) => {
    const dependencies = new Set<string>();
    const use = (scope: string, name: string) => {
      const found = name ? resolve(scope, name) : undefined;
      if (found && found !== file.name) dependencies.add(found);
    };
    const visit = (scope: string, message: Descriptor) => {
      const path = `${scope}.${message.name}`;
      for (const field of message.field) use(path, field.typeName);
      for (const nested of message.nestedType ?? []) visit(path, nested);
    };
    const scope = `.${file.package}`;
    for (const message of file.messageType) visit(scope, message);
    for (const service of file.service ?? []) {
      for (const method of service.method) {
        use(scope, method.inputType);
        use(scope, method.outputType);
      }
    }
    if (dependencies.size === 0) return files[i];
    file.dependency = [...dependencies];
    return Buffer.from(descriptor.FileDescriptorProto.encode(file).finish());
  });
}

function fixMessage(message: Descriptor, scope: string): void {
  const path = `${scope}.${message.name}`;
  const renamed = new Map<string, string>();
  for (const field of message.field) {
    const entry = message.nestedType.find((n: Descriptor) =>
      n.options?.mapEntry && n.name === field.typeName
    );
    if (entry) {
      const camel = field.name.replace(/_([a-z0-9])/g, (_: string, c: string) => c.toUpperCase());
      entry.name = `${camel[0].toUpperCase()}${camel.slice(1)}Entry`;
      renamed.set(field.name, entry.name);
      field.typeName = `${path}.${entry.name}`;
    }
    // A oneof named `_field` holding only `field` is how proto3 `optional` is declared.
    const oneof = field.oneofIndex ?? -1;
    if (oneof >= 0 && message.oneofDecl[oneof]?.name === `_${field.name}`) {
      field.proto3Optional = true;
    }
  }
  for (const nested of message.nestedType) {
    if (!nested.options?.mapEntry) fixMessage(nested, path);
  }
}
