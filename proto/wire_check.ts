/**
 * A protobuf message's bytes checked against its type before protobufjs decodes them: one walk,
 * shared by the manager (every gRPC request, server/grpc/wire_check.ts) and the SDK (each message
 * of the work stream, sdk/_work_wire.ts), so that both read a tag, a length and a field's wire
 * type by the same rules and count the same elements.
 *
 * protobufjs bounds what it reads by the whole buffer, not by the message it is in: a string of a
 * sub-message whose length runs past that sub-message (or past the whole message, from a `Buffer`)
 * decoded as the bytes that happened to follow, sibling fields included, and a field sent with
 * another wire type than its own was read as if it had its own (a varint taken for a length). Here
 * every length is checked against the message that holds it, at every depth, every known
 * field's wire type against its declared type, and every string's bytes for UTF-8 (protobufjs
 * turned bad bytes into U+FFFD: three idempotency keys that differed there became one). What does
 * not fit is not decoded (`RangeError`, naming the field). Unknown fields are skipped, as protobuf
 * says, except in the messages a caller names (`CheckLimits.refuseUnknownFieldsIn`).
 *
 * The same walk counts what decoding would make: the JSON values (`google.protobuf.Value`
 * messages, each read into one JavaScript value: `withValueBytes`, value_bytes.ts), the
 * elements outside them (messages, map entries, values of repeated fields, and a singular field
 * each time it is sent again, as it is decoded again; unknown fields too when asked), each an
 * object, an array slot or a step of the decoder, and the object shapes of its maps (a
 * `Struct`'s among them: json_text.ts), each map an object once decoded, its keys its property
 * names in the order sent; a 4 MiB message holds millions of the first two and hundreds of
 * thousands of the last. Past any limit the message is not decoded (`TooManyInRequest`, naming
 * the field).
 * @module
 */
import { isUtf8 as isUtf8Bytes } from "node:buffer";
import protobuf from "protobufjs";
import {
  backslashNameRefused,
  endsWithBackslash,
  ObjectShapes,
  SHAPED_MEMBERS,
  tooManyShapes,
} from "./json_text.ts";

/** How deep messages (and groups of unknown fields) may nest: protobufjs's, as _root.ts sets it. */
const MAX_DEPTH = 256;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

const VARINT32 = new Set(["int32", "uint32", "sint32", "bool"]);

const WIRE_OF_SCALAR: Record<string, number> = {
  int32: VARINT,
  int64: VARINT,
  uint32: VARINT,
  uint64: VARINT,
  sint32: VARINT,
  sint64: VARINT,
  bool: VARINT,
  fixed64: FIXED64,
  sfixed64: FIXED64,
  double: FIXED64,
  fixed32: FIXED32,
  sfixed32: FIXED32,
  float: FIXED32,
  string: LENGTH_DELIMITED,
  bytes: LENGTH_DELIMITED,
};

/** What one known field of a message may be on the wire. */
interface FieldPlan {
  /** `package.Message.field`, for errors. */
  name: string;
  wire: number;
  /** A repeated field (or a map's entries): each value is one element of the request. */
  repeated: boolean;
  /** A `google.protobuf.Value` field: counted as a JSON value, not as an element. */
  holdsJsonValue: boolean;
  /** A repeated number field may also come packed (length-delimited). */
  packable: boolean;
  /**
   * A 32-bit varint (int32, uint32, sint32, bool, enum): 1 to 5 bytes, or 10 for a negative
   * int32. protobufjs reads the first 5 and then skips 5 more whatever they are, so a value of 6
   * to 9 bytes would be read into the field after it.
   */
  varint32: boolean;
  /** A string: its bytes must be UTF-8 (proto3 says so; protobufjs would put U+FFFD in). */
  utf8: boolean;
  /** A map's string key (a `Struct`'s among them): a property name once decoded, its shape counted. */
  memberName: boolean;
  /** What the field holds when it is a message (a map entry is one): its plan, made when needed. */
  message: protobuf.Type | MessagePlan | null;
}

/** A message's known fields by number, and its name for errors. */
interface MessagePlan {
  name: string;
  fields: (FieldPlan | undefined)[];
  /** `google.protobuf.Value`: one JSON value, counted. */
  jsonValue: boolean;
  /** A map's entry: `checkMessage` answers the shape of the map's object once it has its key. */
  entry: boolean;
  /** One of the messages a JSON value is made of (`JSON_PARTS`): its elements are not counted. */
  jsonPart: boolean;
  /** `google.protobuf.Struct` or `ListValue`: one level of a JSON value's nesting. */
  jsonLevel: boolean;
  /**
   * `google.protobuf.Struct.FieldsEntry`: an entry without its `Value` is read as a `null`
   * member, one JSON value that no `Value` message holds, so it is counted as one.
   */
  nullWithoutValue: boolean;
}

const JSON_VALUE = "google.protobuf.Value";
const STRUCT_ENTRY = "google.protobuf.Struct.FieldsEntry";
/** The messages a JSON value is made of: a field of any other message holding one is named. */
const JSON_PARTS = new Set([
  JSON_VALUE,
  "google.protobuf.Struct",
  STRUCT_ENTRY,
  "google.protobuf.ListValue",
]);
/** The messages that are an array or an object of a JSON value: a level of its nesting each. */
const JSON_LEVELS = new Set(["google.protobuf.Struct", "google.protobuf.ListValue"]);

const plans = new WeakMap<protobuf.Type, MessagePlan>();
/**
 * A message's plan, every property set from the start: plans of one shape keep `checkMessage`'s
 * reads of them fast (plans given properties later, of several shapes, made it about twice as
 * slow).
 */
function messagePlan(name: string): MessagePlan {
  return {
    name,
    fields: [],
    jsonValue: false,
    entry: false,
    jsonPart: false,
    jsonLevel: false,
    nullWithoutValue: false,
  };
}

const GROUP: MessagePlan = messagePlan("a group of unknown fields");

function planOf(type: protobuf.Type, entry = false): MessagePlan {
  let plan = plans.get(type);
  if (plan) return plan;
  // A map's entry type as a descriptor gives it: protobufjs names it without protoc's "Entry".
  const name = type.fullName.replace(/^\./, "");
  plan = messagePlan(entry && !name.endsWith("Entry") ? `${name}Entry` : name);
  if (plan.name === JSON_VALUE) plan.jsonValue = true;
  if (JSON_PARTS.has(plan.name)) plan.jsonPart = true;
  if (JSON_LEVELS.has(plan.name)) plan.jsonLevel = true;
  for (const field of type.fieldsArray) plan.fields[field.id] = fieldPlan(type, plan.name, field);
  if (entry) markEntry(plan);
  plans.set(type, plan);
  return plan;
}

/** A map entry's string key is a property name once decoded; a `Struct`'s entry is JSON. */
function markEntry(entry: MessagePlan): void {
  entry.entry = true;
  const key = entry.fields[1];
  if (key?.utf8) key.memberName = true;
  if (entry.name === STRUCT_ENTRY) entry.nullWithoutValue = entry.jsonPart = true;
}

function fieldPlan(holderType: protobuf.Type, holder: string, field: protobuf.Field): FieldPlan {
  field.resolve();
  const name = `${holder}.${field.name}`;
  if (field instanceof protobuf.MapField) {
    // On the wire a map is a repeated message of key (1) and value (2), named as protoc does.
    const entry = messagePlan(
      `${holder}.${field.name[0].toUpperCase()}${field.name.slice(1)}Entry`,
    );
    entry.fields[1] = {
      name: `${entry.name}.key`,
      wire: wireOf(field.keyType, null),
      repeated: false,
      holdsJsonValue: false,
      packable: false,
      varint32: VARINT32.has(field.keyType),
      utf8: field.keyType === "string",
      memberName: false,
      message: null,
    };
    entry.fields[2] = valuePlan(`${entry.name}.value`, field, false);
    markEntry(entry);
    return {
      name,
      wire: LENGTH_DELIMITED,
      repeated: true,
      holdsJsonValue: false,
      packable: false,
      varint32: false,
      utf8: false,
      memberName: false,
      message: entry,
    };
  }
  const plan = valuePlan(name, field, field.repeated);
  // From a descriptor (as grpc-js's loader keeps them) a map is a repeated field of an entry type
  // nested in its holder, with a key (1) and a value (2); its `map_entry` option cannot be told
  // apart, as protobufjs sets it on the holder too.
  const type = field.resolvedType;
  if (
    field.repeated && type instanceof protobuf.Type && type.parent === holderType &&
    type.fieldsArray.length === 2 && type.fields.key?.id === 1 && type.fields.value?.id === 2
  ) {
    plan.message = planOf(type, true);
  }
  return plan;
}

function valuePlan(name: string, field: protobuf.Field, repeated: boolean): FieldPlan {
  const resolved = field.resolvedType;
  const message = resolved instanceof protobuf.Type ? resolved : null;
  const wire = wireOf(field.type, resolved);
  return {
    name,
    wire,
    repeated,
    holdsJsonValue: message?.fullName === `.${JSON_VALUE}`,
    packable: repeated && wire !== LENGTH_DELIMITED,
    varint32: resolved instanceof protobuf.Enum || VARINT32.has(field.type),
    utf8: field.type === "string",
    memberName: false,
    message,
  };
}

function wireOf(type: string, resolved: protobuf.Type | protobuf.Enum | null): number {
  if (resolved instanceof protobuf.Type) return LENGTH_DELIMITED;
  if (resolved instanceof protobuf.Enum) return VARINT;
  const wire = WIRE_OF_SCALAR[type];
  if (wire === undefined) throw new Error(`no wire type for a field of type ${type}`);
  return wire;
}

/** Why a message does not fit the wire format (`where`: the field or message it is about). */
function refuse(where: string, why: string): never {
  throw new RangeError(`${where} ${why}`);
}

/**
 * A message holding more JSON values, elements or object shapes than its `CheckLimits` allow;
 * `field` names the field that took the count past its limit (`package.Message.field`, or
 * `field 15 of package.Message` when unknown).
 */
export class TooManyInRequest extends Error {
  override name = "TooManyInRequest";
  /** The field that took the count past its limit. */
  readonly field: string;

  constructor(message: string, field: string) {
    super(message);
    this.field = field;
  }
}

/**
 * A message holding what its `CheckLimits` refuse whatever its size: a map key that ends with a
 * backslash (`refuseNamesEndingInBackslash`), or a field its message does not declare where that
 * is refused (`refuseUnknownFieldsIn`).
 */
export class RefusedInRequest extends Error {
  override name = "RefusedInRequest";
}

const PAST_END = "runs past the end of its message";

/**
 * Checks that `bytes` are `type` in protobuf's wire format, every length within the message that
 * holds it, and that they hold at most `limits.jsonValues` `google.protobuf.Value` messages and
 * at most `limits.elements` elements outside them: each occurrence of a message field (a map's
 * entries included) and each value of a repeated field (packed ones one by one). Each element
 * becomes an object or an array slot once decoded, about a microsecond of the thread: 2,000,000
 * empty tasks in one 4 MB `CreateTasks` held the manager's thread 2.7 s before being refused as more
 * than 10,000 tasks, and 4,000,000 packed statuses in a `DeleteTasks` 1.5 s. A singular field
 * sent again counts too, from its second time: 2,090,000 empty `bytes` in the original interface's
 * `AddTask` held it 1.4 s (each a new buffer). With `limits.unknownFieldsAreElements`, so does
 * each field the type does not declare (and each field inside a group), which the decoder skips
 * a step at a time. And at most `limits.shapes` object shapes of its maps (a `Struct`'s keys are
 * its object's member names), each about 1-3 µs of the thread once decoded when it is new
 * (json_text.ts); not counted when `limits.shapes` is not given. A message named in
 * `limits.refuseUnknownFieldsIn`, at any depth, holds only fields it declares. Messages nest at
 * most 256 deep, groups of unknown fields among them (protobufjs's limit where the manager and
 * the SDK load the protocol, proto/_root.ts).
 *
 * What passes, protobufjs decodes reading exactly those bytes, each field as its type declares
 * it. One check runs at a time (it never waits): its state is the module's, shared with
 * `walkTopLevel`, so neither may be called from inside a `walkTopLevel` visit.
 *
 * @example
 * ```ts
 * import { checkWire } from "@tasks-executor/proto/wire-check";
 * import { encodeMessage, messageType } from "@tasks-executor/proto";
 * const type = messageType("taskexecutor.v1.GetTaskRequest");
 * checkWire(type, encodeMessage("taskexecutor.v1.GetTaskRequest", { id: "t1" })); // passes
 * try {
 *   checkWire(type, Uint8Array.of(0x0a, 0x05, 0x61)); // id says 5 bytes, 1 follows
 * } catch (error) {
 *   console.log(String(error)); // "RangeError: taskexecutor.v1.GetTaskRequest.id runs past the end of its message"
 * }
 * ```
 *
 * @throws RangeError naming the field (`package.Message.field`, or its number when unknown) that
 * does not fit.
 * @throws {TooManyInRequest} naming the field that took a count past its limit
 * @throws {RefusedInRequest} naming the unknown field's number and its message
 *   (`unknown field 12 in taskexecutor.v1.DeleteTasksRequest`), or the map key it does not take
 */
export function checkWire(
  type: protobuf.Type,
  bytes: Uint8Array,
  limits: CheckLimits = {},
): void {
  pos = 0;
  countShapes = limits.shapes !== undefined;
  shapes = countShapes ? new ObjectShapes(limits.shapes!) : UNCOUNTED_SHAPES;
  refuseBackslashNames = limits.refuseNamesEndingInBackslash === true;
  refusing = limits.refuseUnknownFieldsIn ?? null;
  unknownAreElements = limits.unknownFieldsAreElements === true;
  jsonValuesMax = jsonValuesLeft = limits.jsonValues ?? Infinity;
  elementsMax = elementsLeft = limits.elements ?? Infinity;
  jsonDepthMax = limits.jsonDepth ?? Infinity;
  jsonLevels = 0;
  jsonField = "";
  checkMessage(bytes, planOf(type), bytes.length, 0, 0);
}

/** Where the check is in the bytes: one check runs at a time, and none waits. */
let pos = 0;
/** JSON values the request may still hold, and the field holding the one being walked. */
let jsonValuesLeft = Infinity;
let jsonValuesMax = Infinity;
let jsonField = "";
/** Arrays and objects a JSON value may nest (`CheckLimits.jsonDepth`), and those open now. */
let jsonDepthMax = Infinity;
let jsonLevels = 0;
/** Elements outside JSON values the request may still hold. */
let elementsLeft = Infinity;
let elementsMax = Infinity;
/** The object shapes of the request's maps met so far, when they are counted. */
let countShapes = false;
const UNCOUNTED_SHAPES = new ObjectShapes(Infinity);
let shapes = UNCOUNTED_SHAPES;
/** Whether a map key that ends with a backslash is refused (`endsWithBackslash`). */
let refuseBackslashNames = false;
/** The messages that refuse a field they do not declare, by full name. */
let refusing: ReadonlySet<string> | null = null;
/** Whether each unknown field counts as an element. */
let unknownAreElements = false;

/**
 * What `checkWire` holds a message to: at most `jsonValues` JSON values and `elements` elements
 * (default: no limit), at most `shapes` object shapes (default: not counted), and with
 * `refuseNamesEndingInBackslash` no map key that ends with a backslash.
 */
export interface CheckLimits {
  jsonValues?: number;
  elements?: number;
  shapes?: number;
  refuseNamesEndingInBackslash?: boolean;
  /**
   * How deep arrays and objects nest in a JSON value (`[1]` is 1) that whoever reads the message
   * decodes: an array or object nested deeper is not walked (its length is checked), as its
   * reader refuses it before reading into it, naming the spot (`readValueBytes`, which reads the
   * `Value`s of `withValueBytes`'s definitions). Unset: every level is walked, up to 256
   * messages. Set it only where every `Value` is read so: protobufjs would decode one.
   */
  jsonDepth?: number;
  /**
   * Full names of messages (`taskexecutor.v1.DeleteTasksRequest`) in which a field the type does
   * not declare is refused (`RefusedInRequest`), at any depth, instead of skipped.
   */
  refuseUnknownFieldsIn?: ReadonlySet<string>;
  /**
   * Each field the type does not declare (and each field inside a group) counts as an element:
   * the decoder skips it a step at a time, and without a size limit of a few MiB millions of them
   * fit in one message.
   */
  unknownFieldsAreElements?: boolean;
}

/**
 * A varint of at most `maxBytes` bytes ending by `end`, read from `pos`; its value when it fits
 * 32 bits (tags and lengths do), -1 when it runs past `end` or is longer.
 */
function varint(bytes: Uint8Array, end: number, maxBytes: number): number {
  if (pos >= end) return -1;
  const first = bytes[pos++];
  if (first < 0x80) return first;
  let value = first & 0x7f;
  let scale = 0x80;
  for (let i = 1; i < maxBytes; i++) {
    if (pos >= end) return -1;
    const byte = bytes[pos++];
    if (i < 4) value += (byte & 0x7f) * scale;
    else if (i === 4) value += (byte & 0x0f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
  return -1;
}

/**
 * Reads fields up to `end`, or up to the end-group tag of `group` (a field number) when not 0. For
 * a map's entry, `shape` is its map's object shape before the entry (-1: not counted), and the
 * answer is its shape after (with the entry's key).
 */
function checkMessage(
  bytes: Uint8Array,
  plan: MessagePlan,
  end: number,
  depth: number,
  group: number,
  shape = ObjectShapes.EMPTY,
): number {
  if (depth > MAX_DEPTH) refuse(plan.name, `nests deeper than ${MAX_DEPTH} messages`);
  if (plan.jsonValue) countJsonValue();
  let valueSeen = false;
  // The shape of the object each map field of this message makes, and its entries so far: the
  // last one's by itself (a message has one map field, as a Struct, or its entries come
  // together), others' by number.
  let mapId = 0;
  let mapShape = ObjectShapes.EMPTY;
  let mapEntries = 0;
  let otherMaps: Map<number, [shape: number, entries: number]> | null = null;
  // The singular fields read so far (numbers 1 to 31 as bits; the rest, rare, in a set): each is
  // decoded again when sent again, so from its second time it counts as an element.
  let singular = 0;
  let singularHigh: Set<number> | null = null;
  while (pos < end) {
    const tag = varint(bytes, end, 5);
    if (tag < 0) refuse(plan.name, "has a tag that is cut short or longer than 5 bytes");
    const id = tag >>> 3;
    const wire = tag & 7;
    if (id === 0) refuse(plan.name, "has a field numbered 0");
    if (wire === END_GROUP) {
      if (id === group) return shape;
      refuse(plan.name, `ends group ${id}, which was not opened`);
    }
    const field = plan.fields[id];
    if (field === undefined) {
      if (refusing !== null && refusing.has(plan.name)) {
        throw new RefusedInRequest(
          `unknown field ${id} in ${plan.name}: this call refuses fields the manager does not know, as ignoring one could widen what it acts on`,
        );
      }
      if (unknownAreElements && --elementsLeft < 0) tooManyElements(fieldName(plan, id));
    }
    if (field && wire !== field.wire && !(field.packable && wire === LENGTH_DELIMITED)) {
      refuse(field.name, `has wire type ${wire}, not ${field.wire}`);
    }
    // Each value of a packed field is counted as it is walked (`checkPacked`).
    const packed = field?.packable === true && wire === LENGTH_DELIMITED;
    if (field && !plan.jsonPart && (field.repeated || field.message) && !packed) {
      if (!field.holdsJsonValue) countElements(field, 1);
    }
    if (field && !field.repeated) {
      const again = id < 32 ? (singular & (1 << id)) !== 0 : singularHigh?.has(id) === true;
      if (again) countElements(field, 1);
      else if (id < 32) singular |= 1 << id;
      else (singularHigh ??= new Set()).add(id);
    }
    switch (wire) {
      case VARINT:
        if (field?.varint32) checkVarint32(bytes, field, end);
        else if (varint(bytes, end, 10) < 0) refuse(fieldName(plan, id), PAST_END);
        break;
      case FIXED64:
      case FIXED32: {
        const size = wire === FIXED64 ? 8 : 4;
        if (size > end - pos) refuse(fieldName(plan, id), PAST_END);
        pos += size;
        break;
      }
      case LENGTH_DELIMITED: {
        const length = varint(bytes, end, 5);
        if (length < 0 || length > end - pos) refuse(fieldName(plan, id), PAST_END);
        const stop = pos + length;
        const message = field?.message;
        if (message) {
          const inner = message instanceof protobuf.Type
            ? (field.message = planOf(message))
            : message;
          if (!plan.jsonPart) jsonField = field.name;
          if (inner.entry) {
            if (id !== mapId) {
              if (mapId !== 0) (otherMaps ??= new Map()).set(mapId, [mapShape, mapEntries]);
              [mapShape, mapEntries] = otherMaps?.get(id) ?? [ObjectShapes.EMPTY, 0];
              mapId = id;
            }
            // Past `SHAPED_MEMBERS` entries the object is a dictionary, and makes no shape.
            const counted = ++mapEntries <= SHAPED_MEMBERS;
            const after = checkMessage(bytes, inner, stop, depth + 1, 0, counted ? mapShape : -1);
            if (counted) mapShape = after;
          } else if (!inner.jsonLevel) checkMessage(bytes, inner, stop, depth + 1, 0);
          else if (jsonLevels < jsonDepthMax) {
            jsonLevels++;
            checkMessage(bytes, inner, stop, depth + 1, 0);
            jsonLevels--;
          }
          // Else an array or object past the depth limit: its reader refuses it unread, and any
          // depth of it gets that answer (walked, 85 levels of objects took the walk past 256
          // messages: INTERNAL, where 70 were INVALID_ARGUMENT naming the spot).
          valueSeen ||= plan.nullWithoutValue === true && id === 2;
        } else if (field?.packable) checkPacked(bytes, field, stop);
        else if (field?.utf8 && !isUtf8(bytes, pos, stop)) refuse(field.name, "is not valid UTF-8");
        if (field?.memberName) {
          if (countShapes) {
            if (shape >= 0) shape = shapes.step(shape, bytes, pos, stop);
            if (shapes.past) {
              const where = plan.jsonPart ? jsonField : field.name;
              throw new TooManyInRequest(
                tooManyShapes(`${where} takes the request to`, shapes.most),
                where,
              );
            }
          }
          if (refuseBackslashNames && endsWithBackslash(bytes, pos, stop, false)) {
            throw new RefusedInRequest(
              backslashNameRefused(plan.jsonPart ? jsonField : field.name),
            );
          }
        }
        pos = stop;
        break;
      }
      case START_GROUP:
        checkMessage(bytes, GROUP, end, depth + 1, id);
        break;
      default:
        refuse(fieldName(plan, id), `has wire type ${wire}, which protobuf does not have`);
    }
  }
  if (group !== 0) refuse(plan.name, `does not close group ${group}`);
  if (plan.nullWithoutValue && !valueSeen) countJsonValue();
  return shape;
}

/** `count` more elements in the request; past the most it may hold, the request is refused. */
function countElements(field: FieldPlan, count: number): void {
  elementsLeft -= count;
  if (elementsLeft < 0) tooManyElements(field.name);
}

function tooManyElements(where: string): never {
  throw new TooManyInRequest(
    `${where} takes the request past ${elementsMax} elements (messages, map entries, values of repeated fields), the most one request may hold (MAX_REQUEST_ELEMENTS): send less in one request`,
    where,
  );
}

/** One more JSON value in the request; past the most it may hold, the request is refused. */
function countJsonValue(): void {
  if (--jsonValuesLeft < 0) {
    throw new TooManyInRequest(
      `${jsonField} takes the request past ${jsonValuesMax} JSON values (google.protobuf.Value messages), the most one request may hold (MAX_REQUEST_JSON_VALUES): send less in one request`,
      jsonField,
    );
  }
}

/**
 * Whether `bytes[start, end)` are UTF-8: ASCII at a glance, the rest by `node:buffer`'s `isUtf8`,
 * which makes no string (a strict `TextDecoder` made one: 32 MiB of "é" took 77-94 ms against
 * 48-69 ms).
 */
function isUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i] >= 0x80) return isUtf8Bytes(bytes.subarray(i, end));
  }
  return true;
}

function fieldName(plan: MessagePlan, id: number): string {
  return plan.fields[id]?.name ?? `field ${id} of ${plan.name}`;
}

/** A packed repeated number field: whole values, ending exactly at `stop`, each one element. */
function checkPacked(bytes: Uint8Array, field: FieldPlan, stop: number): void {
  const size = field.wire === FIXED64 ? 8 : field.wire === FIXED32 ? 4 : 0;
  if (size > 0) {
    if ((stop - pos) % size !== 0) {
      refuse(field.name, `is packed in a length not a multiple of ${size}`);
    }
    countElements(field, (stop - pos) / size);
    return;
  }
  while (pos < stop) {
    if (field.varint32) checkVarint32(bytes, field, stop);
    else if (varint(bytes, stop, 10) < 0) refuse(field.name, PAST_END);
    countElements(field, 1);
  }
}

/** A 32-bit varint value: 1 to 5 bytes, or 10. */
function checkVarint32(bytes: Uint8Array, field: FieldPlan, end: number): void {
  const start = pos;
  if (varint(bytes, end, 10) < 0) refuse(field.name, PAST_END);
  const length = pos - start;
  if (length > 5 && length < 10) {
    refuse(field.name, `is a 32-bit varint of ${length} bytes (it takes 1 to 5, or 10)`);
  }
}

/**
 * Walks the top level of `bytes` without looking inside its fields: `visit(id, wire, value)` for
 * each field as it comes, `value` being a varint's low 32 bits (as a 32-bit field decodes it), or
 * -1 for a varint of 6 to 9 bytes, which no 32-bit field may be, and 0 for other wire types.
 * Lets a stream answer a refused message under its id. Its position is the module's, shared with
 * `checkWire`: `visit` must call neither.
 *
 * @returns false, having stopped there, when the top level cannot be walked: a tag or length
 * cut short or past the end, field 0, a group, a wire type protobuf does not have
 */
export function walkTopLevel(
  bytes: Uint8Array,
  visit: (id: number, wire: number, value: number) => void,
): boolean {
  pos = 0;
  const end = bytes.length;
  while (pos < end) {
    const tag = varint(bytes, end, 5);
    if (tag < 0 || tag >>> 3 === 0) return false;
    const wire = tag & 7;
    let value = 0;
    switch (wire) {
      case VARINT: {
        const start = pos;
        value = varint(bytes, end, 10);
        if (value < 0) return false;
        if (pos - start > 5 && pos - start < 10) value = -1;
        break;
      }
      case FIXED64:
      case FIXED32:
        pos += wire === FIXED64 ? 8 : 4;
        if (pos > end) return false;
        break;
      case LENGTH_DELIMITED: {
        const length = varint(bytes, end, 5);
        if (length < 0 || length > end - pos) return false;
        pos += length;
        break;
      }
      default:
        return false;
    }
    visit(tag >>> 3, wire, value);
  }
  return true;
}
