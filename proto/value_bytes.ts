/**
 * JSON values ↔ the encoded bytes of a `google.protobuf.Value`, in one pass each way.
 *
 * protobufjs reads a `Value` into a message object per value, the loader copies that into a plain
 * object, and `jsonFromValue` copies it once more into the JSON value; writing makes as many on
 * the way back. That is fine for the few values of a small task, but a request holding 262,143
 * empty objects (1 MiB, within the manager's limits) held the manager's one thread 0.5–0.86 s
 * over gRPC, against ~50 ms for the same data as JSON over REST. The manager's service
 * definitions therefore carry every `Value` field as its bytes (`withValueBytes` in mod.ts), and
 * read and write them here, one JavaScript value per JSON value.
 *
 * The wire format is protobuf's for `google/protobuf/struct.proto`: a `Value` sets one of
 * `null_value` (1, varint), `number_value` (2, double), `string_value` (3), `bool_value` (4,
 * varint), `struct_value` (5, a `Struct`: map entries in field 1, each a key in 1 and a `Value`
 * in 2) and `list_value` (6, a `ListValue`: `Value`s in field 1). Read as protobufjs reads it:
 * a `Value` with none of them is `null`, of several the last one read wins (protobuf's rule for
 * a oneof), a repeated key in a `Struct` keeps its last value, a map entry without a key has the
 * key `""` and one without a value is `null`, unknown fields are passed over. A list or struct
 * nested past the depth limit is refused even when a later member or key replaces it (protobufjs
 * read it too). Written byte for byte as protobufjs writes `valueFromJson(json)`.
 *
 * @module
 */

/** Thrown by `readValueBytes` where nesting passes `maxDepth`; the path says where. */
export class ValueTooDeep extends Error {
  constructor() {
    super("too deep");
  }
}

const NULL_VALUE = 0x08;
const NUMBER_VALUE = 0x11;
const STRING_VALUE = 0x1a;
const BOOL_VALUE = 0x20;
const STRUCT_VALUE = 0x2a;
const LIST_VALUE = 0x32;
/** Field 1, length-delimited: a `Struct`'s entry, a `ListValue`'s value, an entry's key. */
const FIRST = 0x0a;
/** Field 2, length-delimited: a map entry's value. */
const SECOND = 0x12;

// A leading U+FEFF is part of the string (protobufjs and JSON.parse keep it), not a byte order mark.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

// Reading ---------------------------------------------------------------------------------------

/** What is being read: set by `readValueBytes`, which runs to its end synchronously. */
const EMPTY = new Uint8Array(0);
let input: Uint8Array = EMPTY;
let at = 0;

/** A double's 8 bytes, in the wire's order (little-endian) whatever the machine's. */
const double = new Float64Array(1);
const doubleBytes = new Uint8Array(double.buffer);
const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The JSON value `bytes` (an encoded `Value`) hold. Deeper nesting of lists and structs than
 * `maxDepth` throws `ValueTooDeep` with `path` holding the keys and indexes down to where it
 * starts; `path` is otherwise left as it was given. Bytes that are not a `Value` (a length past
 * the end) throw a `RangeError`.
 */
export function readValueBytes(
  bytes: Uint8Array,
  maxDepth: number,
  path: (string | number)[],
): unknown {
  input = bytes;
  at = 0;
  try {
    return readValue(bytes.length, 0, { maxDepth, path });
  } finally {
    input = EMPTY;
  }
}

/** What a read carries down: the depth limit, and the keys and indexes down to the value read. */
interface Walk {
  maxDepth: number;
  path: (string | number)[];
}

function readValue(end: number, depth: number, walk: Walk): unknown {
  let value: unknown = null;
  while (at < end) {
    const tag = varint32(end);
    switch (tag) {
      case NULL_VALUE:
        skipVarint(end);
        value = null;
        break;
      case NUMBER_VALUE:
        if (at + 8 > end) throw pastEnd();
        for (let i = 0; i < 8; i++) doubleBytes[littleEndian ? i : 7 - i] = input[at++];
        value = double[0];
        break;
      case STRING_VALUE: {
        const stop = lengthEnd(end);
        value = text(stop);
        break;
      }
      case BOOL_VALUE:
        value = varint32(end) !== 0;
        break;
      case STRUCT_VALUE: {
        const stop = lengthEnd(end);
        if (depth + 1 > walk.maxDepth) throw new ValueTooDeep();
        value = readStruct(stop, depth + 1, walk);
        break;
      }
      case LIST_VALUE: {
        const stop = lengthEnd(end);
        if (depth + 1 > walk.maxDepth) throw new ValueTooDeep();
        value = readList(stop, depth + 1, walk);
        break;
      }
      default:
        skipField(tag, end);
    }
  }
  return value;
}

function readList(end: number, depth: number, walk: Walk): unknown[] {
  const array: unknown[] = [];
  for (let stop = nextField(FIRST, end); stop >= 0; stop = nextField(FIRST, end)) {
    walk.path.push(array.length);
    array.push(readValue(stop, depth, walk));
    walk.path.pop();
  }
  return array;
}

function readStruct(end: number, depth: number, walk: Walk): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let entryEnd = nextField(FIRST, end); entryEnd >= 0; entryEnd = nextField(FIRST, end)) {
    // The key first, wherever the entry has it, so that a violation in the value names it.
    const entryStart = at;
    let key = "";
    for (let stop = nextField(FIRST, entryEnd); stop >= 0; stop = nextField(FIRST, entryEnd)) {
      key = text(stop);
    }
    at = entryStart;
    let value: unknown = null;
    for (let stop = nextField(SECOND, entryEnd); stop >= 0; stop = nextField(SECOND, entryEnd)) {
      walk.path.push(key);
      value = readValue(stop, depth, walk);
      walk.path.pop();
    }
    // An own member even for "__proto__", as JSON.parse makes it.
    if (key === "__proto__") {
      Object.defineProperty(object, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      object[key] = value;
    }
  }
  return object;
}

/**
 * Moves to the next field tagged `tag` (a length-delimited one) before `end`, passing over any
 * other, and answers where it ends, the position then at its start; `-1` at `end`.
 */
function nextField(tag: number, end: number): number {
  while (at < end) {
    const found = varint32(end);
    if (found === tag) return lengthEnd(end);
    skipField(found, end);
  }
  return -1;
}

/** Reads a length and answers where what it measures ends. */
function lengthEnd(end: number): number {
  const length = varint32(end);
  const stop = at + length;
  if (stop > end) throw pastEnd();
  return stop;
}

/** The UTF-8 text from here to `stop`, then moves past it. */
function text(stop: number): string {
  const start = at;
  at = stop;
  if (stop - start <= 32) {
    // Short ASCII (most keys) without the decoder's call.
    let ascii = "";
    for (let i = start; i < stop; i++) {
      const byte = input[i];
      if (byte >= 0x80) return decoder.decode(input.subarray(start, stop));
      ascii += String.fromCharCode(byte);
    }
    return ascii;
  }
  return decoder.decode(input.subarray(start, stop));
}

/** A varint's low 32 bits (as an unsigned number); a longer varint's other bytes are skipped. */
function varint32(end: number): number {
  // One byte: every tag here, and every length under 128.
  if (at < end && input[at] < 0x80) return input[at++];
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (at >= end) throw pastEnd();
    const byte = input[at++];
    if (shift < 32) value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value % 2 ** 32;
  }
  throw new RangeError("A varint is longer than 10 bytes");
}

function skipVarint(end: number): void {
  varint32(end);
}

/** Passes over a field of `tag` that is not read (groups included). */
function skipField(tag: number, end: number): void {
  switch (tag & 7) {
    case 0:
      skipVarint(end);
      return;
    case 1:
      at += 8;
      break;
    case 2:
      at = lengthEnd(end);
      return;
    case 3:
      for (;;) {
        const inner = varint32(end);
        if ((inner & 7) === 4) {
          if (inner >>> 3 !== tag >>> 3) throw new RangeError("A group ends with another field");
          return;
        }
        skipField(inner, end);
      }
    case 5:
      at += 4;
      break;
    default:
      throw new RangeError(`Wire type ${tag & 7} where a field starts`);
  }
  if (at > end) throw pastEnd();
}

function pastEnd(): RangeError {
  return new RangeError("A length runs past the end of the Value");
}

// Writing ---------------------------------------------------------------------------------------

/**
 * What is being written: set by `valueBytesOf`, which runs to its end synchronously, unless a
 * getter of the value calls it again (`writing`; that call saves and restores them).
 */
let output = EMPTY;
let to = 0;
/** The sizes the measuring pass found, in the order the writing pass needs them. */
const sizes: number[] = [];
let next = 0;
let writing = false;

/**
 * `json` as an encoded `Value`: the bytes protobufjs writes for `valueFromJson(json)`. An
 * `undefined` member of an object is left out; `undefined` alone or in an array is `null`. The
 * value is assumed checked (`checkJsonValue`): nothing but JSON is expected, and a lone surrogate
 * (which the check refuses) would be written as U+FFFD, as `TextEncoder` writes it, where
 * protobufjs wrote bytes that are not UTF-8.
 *
 * @throws {TypeError} when the value changed between the pass that measures it and the one that
 * writes it (a getter answering differently): no bytes are given rather than wrong ones.
 */
export function valueBytesOf(json: unknown): Uint8Array {
  if (writing) return valueBytesWithin(json);
  writing = true;
  try {
    sizes.length = 0;
    const size = measure(json);
    const written = output = new Uint8Array(size);
    to = 0;
    next = 0;
    write(json);
    if (to !== size || next !== sizes.length) throw changedWhileEncoded();
    return written;
  } finally {
    writing = false;
    sizes.length = 0;
    output = EMPTY;
  }
}

function changedWhileEncoded(): TypeError {
  return new TypeError("The value changed while it was being encoded (a getter?)");
}

/** `valueBytesOf` called from a getter of the value another call is writing: theirs is kept. */
function valueBytesWithin(json: unknown): Uint8Array {
  const saved = { output, to, next, sizes: sizes.slice() };
  writing = false;
  try {
    return valueBytesOf(json);
  } finally {
    writing = true;
    ({ output, to, next } = saved);
    sizes.length = 0;
    for (const size of saved.sizes) sizes.push(size);
  }
}

/**
 * The size of `json`'s `Value` message, without its own tag and length. Pushes, in the order
 * `write` meets them, the UTF-8 length of each string and key and the size of each list and
 * struct.
 */
function measure(json: unknown): number {
  const fixed = fixedSize(json);
  if (fixed > 0) return fixed;
  switch (typeof json) {
    case "string": {
      const length = utf8Length(json);
      sizes.push(length);
      return 1 + varintLength(length) + length;
    }
  }
  const slot = sizes.length;
  sizes.push(0);
  let content = 0;
  if (Array.isArray(json)) {
    for (let i = 0; i < json.length; i++) {
      const item = measure(json[i]);
      content += 1 + varintLength(item) + item;
    }
  } else {
    const object = json as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      const member = object[key];
      if (member === undefined) continue;
      const keyLength = utf8Length(key);
      sizes.push(keyLength);
      const value = measure(member);
      const entry = 1 + varintLength(keyLength) + keyLength + 1 + varintLength(value) + value;
      content += 1 + varintLength(entry) + entry;
    }
  }
  sizes[slot] = content;
  return 1 + varintLength(content) + content;
}

function write(json: unknown): void {
  if (json === null || json === undefined) {
    output[to++] = NULL_VALUE;
    output[to++] = 0;
    return;
  }
  switch (typeof json) {
    case "number":
      output[to++] = NUMBER_VALUE;
      double[0] = json;
      for (let i = 0; i < 8; i++) output[to++] = doubleBytes[littleEndian ? i : 7 - i];
      return;
    case "boolean":
      output[to++] = BOOL_VALUE;
      output[to++] = json ? 1 : 0;
      return;
    case "string":
      output[to++] = STRING_VALUE;
      writeText(json);
      return;
  }
  const content = sizes[next++];
  if (Array.isArray(json)) {
    output[to++] = LIST_VALUE;
    writeVarint(content);
    for (let i = 0; i < json.length; i++) {
      output[to++] = FIRST;
      writeVarint(valueSize(json[i]));
      write(json[i]);
    }
    return;
  }
  output[to++] = STRUCT_VALUE;
  writeVarint(content);
  const object = json as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const member = object[key];
    if (member === undefined) continue;
    const keyLength = sizes[next];
    const value = valueSize(member, 1);
    output[to++] = FIRST;
    writeVarint(1 + varintLength(keyLength) + keyLength + 1 + varintLength(value) + value);
    output[to++] = FIRST;
    writeText(key);
    output[to++] = SECOND;
    writeVarint(value);
    write(member);
  }
}

/**
 * The size of `json`'s `Value` message (as `measure` found it), read from `sizes` without moving
 * on; `ahead` skips that many entries first (a key's length, read before its value's).
 */
function valueSize(json: unknown, ahead = 0): number {
  const fixed = fixedSize(json);
  if (fixed > 0) return fixed;
  const size = sizes[next + ahead];
  return 1 + varintLength(size) + size;
}

/** The size of a null's, a number's or a boolean's `Value` (tag and body); 0 for the others. */
function fixedSize(json: unknown): number {
  if (json === null || json === undefined) return 2;
  switch (typeof json) {
    case "number":
      return 9;
    case "boolean":
      return 2;
  }
  return 0;
}

/** Writes `text`'s UTF-8 length (from `sizes`), then its bytes. */
function writeText(text: string): void {
  const length = sizes[next++];
  writeVarint(length);
  if (length === text.length) {
    for (let i = 0; i < length; i++) output[to++] = text.charCodeAt(i);
    return;
  }
  const { read, written } = encoder.encodeInto(text, output.subarray(to, to + length));
  if (read !== text.length || written !== length) throw changedWhileEncoded();
  to += length;
}

function writeVarint(value: number): void {
  while (value >= 0x80) {
    output[to++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  output[to++] = value;
}

function varintLength(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** `text`'s length in UTF-8, as `TextEncoder` writes it (a lone surrogate as U+FFFD: 3 bytes). */
function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      length += 1;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        length += 2;
        i++;
      } else {
        length += 2;
      }
    } else {
      length += 2;
    }
  }
  return length;
}
