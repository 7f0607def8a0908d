/**
 * A bound on one message of the work stream from the manager, checked on its bytes before they
 * are decoded: decoding reads each field in a step of its own, and makes an object or a string of
 * each message, map entry and string; one message of 1,000,000 metadata entries (12.9 MB) held the
 * worker's event loop 3.0-3.2 s (0.15-0.29 s now, receiving it).
 *
 * The bytes are walked as protobufjs reads them, so that what is counted is what would be decoded:
 * a known field by its declared type whatever wire type it comes with, a tag or a length as the
 * low 32 bits of a varint of at most 5 bytes (after which 5 more are skipped, whatever they are),
 * an unknown field skipped by its wire type.
 */
import { messageType } from "@tasks-executor/proto";

/** A message type of the protocol, as protobufjs reflects it, and one of its fields. */
type MessageType = ReturnType<typeof messageType>;
type Field = MessageType["fieldsArray"][number];

/** Most metadata entries a task holds: the manager's `limits.metadataEntries`, which no setting changes. */
export const TASK_METADATA_ENTRIES = 64;

/**
 * Fields one lease may be sent with: the assignment, its ten fields, the two fields of each of its
 * two times, and each metadata entry with its key and value.
 */
const FIELDS_PER_LEASE = 1 + 10 + 2 * 2 + 3 * TASK_METADATA_ENTRIES;

/**
 * Fields a message may hold besides its leases: a welcome, the acks of a results message (500
 * results at most), the cancellations of running attempts.
 */
export const WORK_MESSAGE_BASE_FIELDS = 100_000;

/**
 * Most fields, at every depth, one message of the work stream may hold for a worker that runs at
 * most `capacity` attempts at once (its executors' concurrency together): a manager leases no
 * more tasks than the worker's credits, which never pass its capacity.
 */
export function maxWorkMessageFields(capacity: number): number {
  return WORK_MESSAGE_BASE_FIELDS + capacity * FIELDS_PER_LEASE;
}

let workResponse: MessageType | undefined;

/**
 * How many fields, at every depth, decoding a `WorkResponse`'s bytes would read
 * (`maxWorkMessageFields`), counted without decoding: each number and each unknown field skipped
 * costs the decoder a step too (30 million of them in a 57 MB message held a worker 3 s); stops
 * counting past `most`. Bytes the decoder would not read to their end in step with this walk (a
 * group, a truncated field, a field past the message that holds it) count as `Infinity`.
 */
export function workMessageFields(bytes: Uint8Array, most: number): number {
  // As the work stream decodes it (`withValueBytes`).
  workResponse ??= messageType("taskexecutor.v1.WorkResponse", { valueBytes: true });
  const walk = { bytes, count: 0, most };
  const read = walkMessage(walk, 0, bytes.length, workResponse);
  return read || walk.count > most ? walk.count : Infinity;
}

interface Walk {
  bytes: Uint8Array;
  count: number;
  most: number;
}

/** How deep messages may nest in a `WorkResponse` (4 do: an assignment's time). */
const MAX_DEPTH = 8;

const LENGTH_DELIMITED = 2;
const FIXED64 = new Set(["fixed64", "sfixed64", "double"]);
const FIXED32 = new Set(["fixed32", "sfixed32", "float"]);
const VARINT64 = new Set(["int64", "uint64", "sint64"]);

/** Walks the fields of a message of `type` in `[from, to)`; false when the bytes do not read. */
function walkMessage(
  walk: Walk,
  from: number,
  to: number,
  type: MessageType,
  depth = 0,
): boolean {
  if (depth > MAX_DEPTH) return false;
  let pos = from;
  while (pos < to) {
    const tag = varint32(walk.bytes, pos, to);
    if (tag === undefined || ++walk.count > walk.most) return false;
    const field = type.fieldsById[tag.value >>> 3];
    pos = field
      ? readField(walk, tag.next, to, field, depth)
      : skip(walk.bytes, tag.next, to, tag.value & 7);
    if (pos < 0 || walk.count > walk.most) return false;
  }
  return pos === to;
}

/** Reads a known field at `pos` by its declared type; the position after it, or -1. */
function readField(
  walk: Walk,
  pos: number,
  to: number,
  field: Field,
  depth: number,
): number {
  field.resolve();
  const message = field.resolvedType && "fieldsById" in field.resolvedType
    ? field.resolvedType as MessageType
    : null;
  const delimited = field.map || message !== null || field.type === "string" ||
    field.type === "bytes";
  if (!delimited && field.repeated) return skip(walk.bytes, pos, to, LENGTH_DELIMITED, walk); // packed
  if (!delimited) return scalar(walk.bytes, pos, to, field.type);
  const length = varint32(walk.bytes, pos, to);
  if (length === undefined || length.next + length.value > to) return -1;
  const end = length.next + length.value;
  if (field.map) return walkEntry(walk, length.next, end) ? end : -1;
  if (message) return walkMessage(walk, length.next, end, message, depth + 1) ? end : -1;
  return end;
}

/** A map entry of strings (the only maps a `WorkResponse` holds): its fields counted. */
function walkEntry(walk: Walk, from: number, to: number): boolean {
  let pos = from;
  while (pos < to) {
    const tag = varint32(walk.bytes, pos, to);
    if (tag === undefined || ++walk.count > walk.most) return false;
    const number = tag.value >>> 3;
    if (number === 1 || number === 2) {
      const length = varint32(walk.bytes, tag.next, to);
      if (length === undefined || length.next + length.value > to) return false;
      pos = length.next + length.value;
    } else {
      pos = skip(walk.bytes, tag.next, to, tag.value & 7);
      if (pos < 0) return false;
    }
  }
  return pos === to;
}

/** Skips a scalar of protobuf type `type` at `pos`; the position after it, or -1. */
function scalar(bytes: Uint8Array, pos: number, to: number, type: string): number {
  const next = FIXED64.has(type)
    ? pos + 8
    : FIXED32.has(type)
    ? pos + 4
    : VARINT64.has(type)
    ? varint64End(bytes, pos, to)
    : varint32(bytes, pos, to)?.next ?? -1; // int32, uint32, sint32, bool, enums
  return next < 0 || next > to ? -1 : next;
}

/**
 * Skips a field of wire type `wire` at `pos` as protobufjs's `skipType` does (a packed field's
 * values, when `walk` is given, counted by its bytes); the position after it, or -1. Groups are
 * not skipped: proto3 never writes them.
 */
function skip(bytes: Uint8Array, pos: number, to: number, wire: number, walk?: Walk): number {
  switch (wire) {
    case 0:
      while (pos < to && bytes[pos] >= 0x80) pos++;
      return pos < to ? pos + 1 : -1;
    case 1:
      return pos + 8 <= to ? pos + 8 : -1;
    case LENGTH_DELIMITED: {
      const length = varint32(bytes, pos, to);
      if (length === undefined || length.next + length.value > to) return -1;
      if (walk) walk.count += length.value;
      return length.next + length.value;
    }
    case 5:
      return pos + 4 <= to ? pos + 4 : -1;
    default:
      return -1;
  }
}

/**
 * A varint read as protobufjs's `uint32` reads it: the low 32 bits of its first 5 bytes, and when
 * the fifth goes on, 5 bytes more skipped whatever they are; `undefined` past `to`.
 */
function varint32(
  bytes: Uint8Array,
  pos: number,
  to: number,
): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= to) return undefined;
    const byte = bytes[pos++];
    value = i < 4 ? value | (byte & 0x7f) << (7 * i) : value | (byte & 0x0f) << 28;
    if (byte < 0x80) return { value: value >>> 0, next: pos };
  }
  pos += 5;
  return pos <= to ? { value: value >>> 0, next: pos } : undefined;
}

/** The end of a varint of at most 10 bytes at `pos` (protobufjs's 64-bit read), or -1. */
function varint64End(bytes: Uint8Array, pos: number, to: number): number {
  for (let i = 0; i < 10 && pos < to; i++) if (bytes[pos++] < 0x80) return pos;
  return -1;
}
