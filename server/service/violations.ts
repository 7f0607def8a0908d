/** Field violations gathered while reading untrusted input, thrown together. */
import {
  fieldPointer,
  type FieldViolation,
  InvalidArgumentError,
  naming,
} from "../domain/errors.ts";
import { EXECUTOR_NAME_PATTERN, NAME_MESSAGE } from "../domain/executor.ts";
import {
  PROTO_ENUM_TYPE_MESSAGE,
  type ProtoEnum,
  protoEnumMessage,
  protoEnumOf,
} from "../domain/proto_enum.ts";
import { TASK_STATUS_ENUM, TASK_STATUSES, type TaskStatus } from "../domain/task.ts";
import { parseTime, TIME_FORMAT_MESSAGE } from "../domain/time.ts";

/**
 * Whether a filter field was given: anything but absent, `null` or `""`. A time of `0` is given
 * (1970-01-01): a bulk call counts a filter by this rule, and each filter applies what it counts
 * (`createdBefore: 0` once counted as a filter for `confirm` and then filtered nothing, so a
 * delete ran on every task).
 */
export function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/**
 * The time a filter field gives (epoch ms), or `undefined` when it is not given (`isGiven`). A
 * value that is not a time adds a violation on `field`.
 */
export function timeFilter(
  value: unknown,
  violations: FieldViolation[],
  field: string,
): number | undefined {
  if (!isGiven(value)) return undefined;
  const ms = parseTime(value);
  if (ms === undefined) violations.push({ field, message: TIME_FORMAT_MESSAGE });
  return ms;
}

/**
 * The executor a filter names, or `undefined` when none is given (absent or `""`). A value that
 * cannot be an executor's name (not a string, or outside `EXECUTOR_NAME_PATTERN`: a 60,000
 * character name listed nothing, as if it were a filter) adds a violation on `field`.
 *
 * @example
 * ```ts
 * import { executorFilter } from "./violations.ts";
 * const violations: { field: string; message: string }[] = [];
 * console.log(executorFilter("mail", violations)); // "mail"
 * console.log(executorFilter("A B", violations), violations.length); // undefined 1
 * ```
 */
export function executorFilter(
  value: unknown,
  violations: FieldViolation[],
  field = "executorName",
): string | undefined {
  if (!isGiven(value)) return undefined;
  if (typeof value === "string" && EXECUTOR_NAME_PATTERN.test(value)) return value;
  violations.push({ field, message: NAME_MESSAGE });
  return undefined;
}

/**
 * The one reader of a boolean a client sends, as a query parameter or a body field (REST) or a
 * field of a request: `undefined` when not given (absent or `null`, or `""` for a query
 * parameter), a violation on `field` for anything but a boolean. A query parameter is text:
 * `true` and `false` (any case), `1` and `0`. A body field is JSON: `true` or `false` only (the
 * string `"true"` is no boolean: `{"confirm":"1"}` once requeued the whole dead letter queue).
 *
 * @example
 * ```ts
 * import { booleanField } from "./violations.ts";
 * const violations: { field: string; message: string }[] = [];
 * console.log(booleanField("TRUE", "confirm", violations, { text: true })); // true
 * console.log(booleanField("1", "/confirm", violations), violations.length); // undefined 1
 * ```
 */
export function booleanField(
  value: unknown,
  field: string,
  violations: FieldViolation[],
  options: { text?: boolean } = {},
): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (options.text && typeof value === "string") {
    const text = value.toLowerCase();
    if (text === "") return undefined;
    if (text === "true" || text === "1") return true;
    if (text === "false" || text === "0") return false;
  }
  const shown = typeof value === "string" ? `"${value.slice(0, 100)}"` : typeof value;
  violations.push({ field, message: `Must be true or false, not ${shown}` });
  return undefined;
}

/**
 * The one reader of an enum value a client sends in `field` (a body's pointer or a query
 * parameter's name) of an enum the proto declares too: `protoEnumOf`'s three forms (our name, the
 * proto's value name, its number). A value that is neither a string nor a number, or none of
 * `allowed` (every value of `spec` unless told), adds a violation naming `field` that lists our
 * names and says the proto's are taken (`protoEnumMessage`); so does the proto's "not set" (0,
 * `<PREFIX>UNSPECIFIED`) unless `unspecified: "unset"`, which reads it as not given. The caller
 * decides what is not given (absent, `null`, `""`): this reads a value given.
 *
 * @example
 * ```ts
 * import { DLQ_REASON_ENUM } from "../domain/dlq.ts";
 * import { protoEnumField } from "./violations.ts";
 * const violations: { field: string; message: string }[] = [];
 * console.log(protoEnumField(DLQ_REASON_ENUM, "DLQ_REASON_TIMEOUT", "reason", violations)); // timeout
 * console.log(protoEnumField(DLQ_REASON_ENUM, "late", "reason", violations), violations.length);
 * // undefined 1
 * ```
 */
export function protoEnumField<T extends string>(
  spec: ProtoEnum<T>,
  value: unknown,
  field: string,
  violations: FieldViolation[],
  options: { allowed?: readonly T[]; unspecified?: "refused" | "unset" } = {},
): T | undefined {
  if (typeof value !== "string" && typeof value !== "number") {
    violations.push({ field, message: PROTO_ENUM_TYPE_MESSAGE });
    return undefined;
  }
  const known = protoEnumOf(spec, value);
  if (known === null && options.unspecified === "unset") return undefined;
  const allowed = options.allowed ?? spec.names;
  if (known !== null && known !== undefined && allowed.includes(known)) return known;
  const shown = typeof value === "string" ? `"${value.slice(0, 100)}"` : String(value);
  violations.push({ field, message: protoEnumMessage(spec, shown, allowed) });
  return undefined;
}

/**
 * A task status a client sends in `field`, read by `protoEnumField` (our name, the proto's
 * `TASK_STATUS_…` name or its number): a violation naming the field when it is not given
 * (`required`: absent or `null`), neither a string nor a number, or no status. The one reader of
 * a status a request gives, a filter's or a change's.
 */
export function taskStatusField(
  value: unknown,
  field: string,
  violations: FieldViolation[],
  options: { required?: boolean } = {},
): TaskStatus | undefined {
  if (value === undefined || value === null) {
    if (options.required ?? true) violations.push({ field, message: "Is required" });
    return undefined;
  }
  return protoEnumField(TASK_STATUS_ENUM, value, field, violations);
}

/**
 * A violation on the first of `fields` (the range's start) when both bounds of a time range are
 * given and the first is not before the second, as history words `from` after `to`: such a range
 * matches nothing (an inverted `createdAfter`/`createdBefore` once answered an empty list, and a
 * bulk delete 0).
 */
export function rangeViolation(
  after: number | undefined,
  before: number | undefined,
  fields: readonly [after: string, before: string],
  violations: FieldViolation[],
): void {
  if (after === undefined || before === undefined || after < before) return;
  // The other field by its pointer: a query parameter's bare name is the top of the request.
  const other = fields[1].startsWith("/") ? fields[1] : `/${fields[1]}`;
  violations.push({ field: fields[0], ...naming`Must be before ${fieldPointer(other)}` });
}

/**
 * Throws one `InvalidArgumentError` naming every violation, when there are any; the message is
 * `what: <field>: <message>; …` (`listViolations`).
 *
 * @example
 * ```ts
 * import { assertNoViolations } from "./violations.ts";
 * assertNoViolations("Invalid key", []); // returns: nothing to report
 * ```
 */
export function assertNoViolations(
  what: string,
  violations: FieldViolation[],
): void {
  if (violations.length === 0) return;
  throw InvalidArgumentError.listing(what, violations);
}

/**
 * Checks a list of task statuses given in a request (a `from` precondition, a status filter) and
 * answers the statuses it names, in our names (each entry in any form `taskStatusField` reads):
 * each status at most once, so never more entries than there are statuses — a longer list is
 * refused whole, naming `field`, so that its answer stays as small as the list allowed — and each
 * a known status, a wrong one named at `at(i)` (its place, or the list's own field for a filter).
 *
 * @example
 * ```ts
 * import type { FieldViolation } from "../domain/errors.ts";
 * import { checkStatusList } from "./violations.ts";
 * const violations: FieldViolation[] = [];
 * checkStatusList(["failed", "failed", "done"], "/from", (i) => `/from/${i}`, violations);
 * console.log(violations);
 * // [{ field: "/from/1", message: 'Must not repeat "failed"' },
 * //  { field: "/from/2", message: 'Must be one of pending, …, cancelled, or the proto's …, not "done"' }]
 * ```
 */
export function checkStatusList(
  list: readonly unknown[],
  field: string,
  at: (i: number) => string,
  violations: FieldViolation[],
): TaskStatus[] {
  if (list.length > TASK_STATUSES.length) {
    violations.push({
      field,
      message: `Must name each status at most once: at most ${TASK_STATUSES.length}, ` +
        `not ${list.length}`,
    });
    return [];
  }
  const statuses: TaskStatus[] = [];
  list.forEach((entry, i) => {
    // An entry is a status or wrong: `null` is no status here, not one left out.
    if (entry === null) {
      violations.push({ field: at(i), message: PROTO_ENUM_TYPE_MESSAGE });
      return;
    }
    // Any form `taskStatusOf` reads: `pending`, `TASK_STATUS_PENDING` and 1 are one status.
    const known = taskStatusField(entry, at(i), violations);
    if (known === undefined) return;
    if (statuses.includes(known)) {
      violations.push({ field: at(i), message: `Must not repeat "${known}"` });
    } else statuses.push(known);
  });
  return statuses;
}
