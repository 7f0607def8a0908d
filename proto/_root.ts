/**
 * The protocol's types as one protobufjs root: every embedded `.proto` file, parsed with field
 * names in lowerCamelCase, over the well-known types protobufjs ships (`google/protobuf/*.proto`).
 * Shared by the gRPC loader and the status details codec.
 */
import protobuf from "protobufjs";
import { PROTO_FILES } from "./_source.ts";

const WELL_KNOWN = ["duration", "empty", "struct", "timestamp", "wrappers"];
// protobufjs ships `Any` with its field named `type_url`; parsed here so that it reads `typeUrl`
// like every other field.
const ANY_PROTO = `syntax = "proto3"; package google.protobuf;
message Any { string type_url = 1; bytes value = 2; }`;

/**
 * How deep protobufjs encodes and decodes nested messages (its default, 100, is protoc's). A JSON
 * value nests three messages per level (`Value`, `Struct` or `ListValue`, the map entry), so data
 * at the manager's nesting limit (64) takes about 200. Beyond this the call fails to encode or
 * decode; within it the manager's own check refuses what is too deep, naming the spot.
 */
export const MESSAGE_DEPTH_LIMIT = 256;

let cached: protobuf.Root | undefined;

/** The parsed, resolved root (built once). */
export function protoRoot(): protobuf.Root {
  if (cached) return cached;
  protobuf.util.recursionLimit = MESSAGE_DEPTH_LIMIT;
  protobuf.Reader.recursionLimit = MESSAGE_DEPTH_LIMIT;
  const root = new protobuf.Root();
  for (const name of WELL_KNOWN) {
    const json = protobuf.common.get(`google/protobuf/${name}.proto`);
    if (json) root.addJSON(json.nested!);
  }
  protobuf.parse(ANY_PROTO, root, { keepCase: false });
  // Field names are turned to lowerCamelCase here, at parse time: proto-loader's `fromJSON`
  // ignores `keepCase`, so this is the one place that decides the shape of decoded messages.
  for (const source of Object.values(PROTO_FILES)) {
    protobuf.parse(source, root, { keepCase: false });
  }
  root.resolveAll();
  cached = root;
  return root;
}
