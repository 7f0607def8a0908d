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

let cachedBytes: protobuf.Root | undefined;

/**
 * The protocol's types with every `google.protobuf.Value` field of ours (task data, results,
 * schemas) declared `optional bytes` instead: the same wire format (a `Value` is
 * length-delimited), read and written as the encoded `Value` (value_bytes.ts). `optional` keeps
 * an unset field apart from a set one, as the message field did (`null` against a `Value`).
 */
export function valueBytesRoot(): protobuf.Root {
  if (cachedBytes) return cachedBytes;
  const json = protoRoot().toJSON() as { nested: Record<string, Namespace> };
  for (const [name, namespace] of Object.entries(json.nested)) {
    if (name !== "google") valueFieldsToBytes(namespace);
  }
  cachedBytes = protobuf.Root.fromJSON(json);
  cachedBytes.resolveAll();
  return cachedBytes;
}

/** A namespace or message of a root's JSON, as far as `valueFieldsToBytes` reads it. */
interface Namespace {
  nested?: Record<string, Namespace>;
  fields?: Record<string, {
    type: string;
    rule?: string;
    keyType?: string;
    options?: Record<string, unknown>;
  }>;
  oneofs?: Record<string, { oneof: string[] }>;
}

function valueFieldsToBytes(namespace: Namespace): void {
  for (const [name, field] of Object.entries(namespace.fields ?? {})) {
    if (field.type.replace(/^\./, "") !== "google.protobuf.Value") continue;
    if (field.rule === "repeated" || field.keyType) {
      throw new Error(`${name}: a repeated or map Value field is not read as bytes`);
    }
    field.type = "bytes";
    const inOneof = Object.values(namespace.oneofs ?? {}).some((o) => o.oneof.includes(name));
    if (!inOneof) {
      field.options = { ...field.options, proto3_optional: true };
      namespace.oneofs = { ...namespace.oneofs, [`_${name}`]: { oneof: [name] } };
    }
  }
  for (const nested of Object.values(namespace.nested ?? {})) valueFieldsToBytes(nested);
}
