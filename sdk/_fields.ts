/**
 * The one check of the shape of the option objects the SDK's calls take (what a create, a wait, a
 * filter or an executor configuration holds): a field of the wrong type, or one the call does not
 * know (a misspelt `priorty`), is refused before anything is sent, naming it by JSON pointer in
 * the manager's words, instead of being sent as something else (`"hi"` as priority 0, `1.5` as 1,
 * 2^32 + 3 as 3) or left out. Ranges and the finer rules stay the manager's (or the helpers' of
 * `_grpc.ts`: durations, enum names, page limits, times).
 */
import { escapePointer } from "@tasks-executor/proto/json-value";
import { type FieldViolation, InvalidArgumentError } from "./errors.ts";
import { describeViolations } from "./schema.ts";

/**
 * What a field holds: `ms` a duration in whole milliseconds (a fraction was cut on the wire, a
 * string sent as no time), `int32` a whole number a protobuf `int32` carries (anything else was
 * truncated or wrapped around on the wire), `number` a finite number, `string`, `boolean`,
 * `strings` an object of strings (metadata), `object` an object checked apart, `array` an array
 * (its entries checked apart), `function` a function (a callback), `signal` an `AbortSignal`,
 * `any` anything (checked apart). A kind ending in `?null` also takes `null` (read as not given).
 */
export type FieldKind = BaseKind | `${Exclude<BaseKind, "any">}?null`;

/** The kinds of `FieldKind` without `?null`. */
type BaseKind =
  | "ms"
  | "int32"
  | "number"
  | "string"
  | "boolean"
  | "strings"
  | "object"
  | "array"
  | "function"
  | "signal"
  | "any";

/** Each kind without its `?null`, looked up rather than cut (nothing allocated per field). */
const BASE_KIND: Readonly<Record<FieldKind, BaseKind>> = {
  ms: "ms",
  int32: "int32",
  number: "number",
  string: "string",
  boolean: "boolean",
  strings: "strings",
  object: "object",
  array: "array",
  function: "function",
  signal: "signal",
  any: "any",
  "ms?null": "ms",
  "int32?null": "int32",
  "number?null": "number",
  "string?null": "string",
  "boolean?null": "boolean",
  "strings?null": "strings",
  "object?null": "object",
  "array?null": "array",
  "function?null": "function",
  "signal?null": "signal",
};

/** The fields an option object may hold, each with its kind. */
export type FieldSpec = Readonly<Record<string, FieldKind>>;

/** What a duration the SDK cannot send is told: the SDK takes numbers of milliseconds. */
export const SDK_DURATION_MESSAGE = "Must be a whole number of milliseconds, e.g. 1000 for 1 s";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** `pointer`/`key`, the key escaped (RFC 6901). */
function at(pointer: string, key: string): string {
  return `${pointer}/${escapePointer(key)}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What is wrong with `value` as a field of `kind` (`null`: nothing); `undefined` is left out. */
function problemOf(value: unknown, kind: FieldKind): string | null {
  if (value === undefined || kind === "any") return null;
  if (value === null && kind.endsWith("?null")) return null;
  switch (BASE_KIND[kind]) {
    case "ms":
      return Number.isSafeInteger(value) ? null : SDK_DURATION_MESSAGE;
    case "int32":
      if (typeof value !== "number" || !Number.isFinite(value)) return "Must be a number";
      if (!Number.isInteger(value)) return "Must be a whole number";
      return value < INT32_MIN || value > INT32_MAX
        ? `Must be a whole number between ${INT32_MIN} and ${INT32_MAX}`
        : null;
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? null : "Must be a number";
    case "string":
      return typeof value === "string" ? null : "Must be a string";
    case "boolean":
      return typeof value === "boolean" ? null : "Must be true or false";
    case "object":
      return isObject(value) ? null : "Must be an object";
    case "strings":
      return isObject(value) ? null : "Must be an object of strings";
    case "array":
      return Array.isArray(value) ? null : "Must be an array";
    case "function":
      return typeof value === "function" ? null : "Must be a function";
    case "signal":
      return value instanceof AbortSignal ? null : "Must be an AbortSignal";
    case "any":
      return null;
  }
}

/**
 * Checks `value`, an option object found at `pointer`, against `spec`: pushes one violation per
 * field of the wrong kind, per entry of a `strings` field that is not a string, and per field
 * `spec` does not name ("Unknown field"). `undefined` (not given) passes. Returns the object, or
 * `undefined` when it is none.
 */
export function checkFields(
  value: unknown,
  spec: FieldSpec,
  pointer: string,
  violations: FieldViolation[],
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    violations.push({ field: pointer, message: "Must be an object" });
    return undefined;
  }
  // `for…in` over own keys: the same keys as `Object.entries`, without an array of pairs per call.
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const field = value[key];
    const kind = Object.hasOwn(spec, key) ? spec[key] : undefined;
    if (kind === undefined) {
      violations.push({ field: at(pointer, key), message: "Unknown field" });
      continue;
    }
    const problem = problemOf(field, kind);
    if (problem !== null) {
      violations.push({ field: at(pointer, key), message: problem });
    } else if (BASE_KIND[kind] === "strings" && isObject(field)) {
      for (const name in field) {
        if (Object.hasOwn(field, name) && typeof field[name] !== "string") {
          violations.push({ field: at(at(pointer, key), name), message: "Must be a string" });
        }
      }
    }
  }
  return value;
}

/**
 * Refuses what `violations` name, if anything: an `InvalidArgumentError` (code 3, as the manager
 * would answer) whose message starts with `what` and lists each field and its problem as the
 * manager does (`describeViolations`: `/priority: Must be a number`).
 *
 * @throws {InvalidArgumentError}
 */
export function refuseViolations(what: string, violations: FieldViolation[]): void {
  if (violations.length === 0) return;
  throw new InvalidArgumentError(`${what}: ${describeViolations(violations)}`, 3, violations);
}

/**
 * Checks one option object at `pointer` against `spec` and refuses it, as `refuseViolations`,
 * when anything is wrong.
 *
 * @throws {InvalidArgumentError} naming every bad field
 */
export function checkOptions(
  value: unknown,
  spec: FieldSpec,
  what: string,
  pointer = "",
): void {
  const violations: FieldViolation[] = [];
  checkFields(value, spec, pointer, violations);
  refuseViolations(what, violations);
}
