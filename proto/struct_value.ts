/**
 * JSON values ↔ `google.protobuf.Value` (and `Struct`), the structured form JSON takes on the
 * management API: grpcurl and every protobuf JSON mapping write task data as plain JSON
 * (`"data": {"to": "ada@example.com"}`), not as escaped JSON text.
 *
 * Exactness: a `Value` number is a double, so every number either side accepts is one a double
 * holds exactly. The manager refuses numbers beyond ±(2^53 − 1) and non-finite ones
 * (`checkJsonValue`), on every transport: bigger integers travel as strings, as in REST.
 *
 * @example
 * ```ts
 * import { jsonFromValue, valueFromJson } from "@tasks-executor/proto";
 * const wire = valueFromJson({ to: "ada@example.com", n: [1, null] });
 * console.log(jsonFromValue(wire, { pointer: "/task/data", maxDepth: 64 }, [])); // the same object
 * ```
 * @module
 */
import type { FieldViolationMessage } from "./status_details.ts";
import { escapePointer, tooDeep } from "./json_value.ts";
import { readValueBytes, ValueTooDeep } from "./value_bytes.ts";

/** A `google.protobuf.Value` as the loader decodes it (one member set; `kind` names it). */
export interface ValueMessage {
  nullValue?: string | number | null;
  numberValue?: number | null;
  stringValue?: string | null;
  boolValue?: boolean | null;
  structValue?: StructMessage | null;
  listValue?: { values?: ValueMessage[] | null } | null;
  kind?: string;
}

/**
 * A `google.protobuf.Value` field as a message reaches code: the loader's message, or the
 * encoded `Value` itself where the definitions carry it as bytes (the manager's: `withValueBytes`
 * in mod.ts, read and written by value_bytes.ts).
 */
export type ValueField = ValueMessage | Uint8Array;

/** A `google.protobuf.Struct` as the loader decodes it. */
export interface StructMessage {
  fields?: Record<string, ValueMessage> | null;
}

/**
 * A JSON value as a `Value` message. `undefined` members of objects are left out (as JSON text
 * leaves them out); `undefined` alone or in an array is `null`. The value is assumed checked
 * (`checkJsonValue`): nothing but JSON is expected here.
 */
export function valueFromJson(json: unknown): ValueMessage {
  if (json === null || json === undefined) return { nullValue: "NULL_VALUE" };
  switch (typeof json) {
    case "number":
      return { numberValue: json };
    case "string":
      return { stringValue: json };
    case "boolean":
      return { boolValue: json };
  }
  if (!Array.isArray(json)) return { structValue: structFromJson(json as Record<string, unknown>) };
  const values: ValueMessage[] = new Array(json.length);
  for (let i = 0; i < json.length; i++) values[i] = valueFromJson(json[i]);
  return { listValue: { values } };
}

/** A JSON object as a `Struct` message. */
export function structFromJson(object: Record<string, unknown>): StructMessage {
  const fields: Record<string, ValueMessage> = {};
  for (const key of Object.keys(object)) {
    const member = object[key];
    if (member !== undefined) fields[key] = valueFromJson(member);
  }
  return { fields };
}

/**
 * A received `Value` (either form of `ValueField`) as JSON. A `Value` with no member set reads as
 * `null`. Deeper nesting than `maxDepth` is not walked: one violation names where it starts,
 * under `pointer`, and the answer is `undefined`. Numbers come as they are (non-finite ones too):
 * `checkJsonValue` judges them.
 */
export function jsonFromValue(
  value: ValueField | null | undefined,
  check: { pointer: string; maxDepth: number },
  violations: FieldViolationMessage[],
): unknown {
  // The keys and indexes down to the node being read: the pointer is spelled only for an error.
  const path: (string | number)[] = [];
  try {
    if (value instanceof Uint8Array) return readValueBytes(value, check.maxDepth, path);
    return readValue(value, 0, check.maxDepth, path);
  } catch (error) {
    if (!(error instanceof ValueTooDeep)) throw error;
    const field = check.pointer + path.map((key) => `/${escapePointer(String(key))}`).join("");
    violations.push({ field, message: tooDeep(check.maxDepth) });
    return undefined;
  }
}

// Plain loops, no intermediate objects: this runs for every task a producer creates.
function readValue(
  node: ValueMessage | null | undefined,
  depth: number,
  maxDepth: number,
  path: (string | number)[],
): unknown {
  if (!node) return null;
  if (node.numberValue !== undefined && node.numberValue !== null) return node.numberValue;
  if (node.stringValue !== undefined && node.stringValue !== null) return node.stringValue;
  if (node.boolValue !== undefined && node.boolValue !== null) return node.boolValue;
  const list = node.listValue;
  const struct = node.structValue;
  if (!list && !struct) return null;
  if (depth + 1 > maxDepth) throw new ValueTooDeep();
  if (list) {
    const values = list.values ?? [];
    const array: unknown[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      path.push(i);
      array[i] = readValue(values[i], depth + 1, maxDepth, path);
      path.pop();
    }
    return array;
  }
  const fields = struct!.fields ?? {};
  const object: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    path.push(key);
    object[key] = readValue(fields[key], depth + 1, maxDepth, path);
    path.pop();
  }
  return object;
}

/**
 * A `Value` the manager sent (already within its limits) as JSON; unset is `null`.
 *
 * @example
 * ```ts
 * import { jsonOfValue } from "@tasks-executor/proto";
 * console.log(jsonOfValue({ listValue: { values: [{ numberValue: 1 }] } })); // [1]
 * ```
 */
export function jsonOfValue(value: ValueField | null | undefined): unknown {
  return jsonFromValue(value, { pointer: "", maxDepth: Infinity }, []) ?? null;
}
