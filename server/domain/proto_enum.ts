/**
 * The enums REST reads that `taskexecutor.v1` declares too, and the one rule that reads each: a
 * value is our name (`max_attempts`), the proto's value name (`DLQ_REASON_MAX_ATTEMPTS`) or its
 * number (`1`, or `"1"` as a query string carries it: `jsonInteger`'s forms), as the earlier
 * system's gRPC-Gateway clients send them. 0 and `<PREFIX>UNSPECIFIED` are the proto's "not set".
 * Answers give our names. Each enum's table lives beside the enum (`TASK_STATUS_ENUM`,
 * `DLQ_REASON_ENUM`, `OVERLAP_POLICY_ENUM`, `MISSED_FIRE_POLICY_ENUM`, `SCOPE_ENUM`), and
 * `tests/proto_enum_forms_test.ts` holds each to the proto.
 */
import { jsonInteger } from "./json_integer.ts";

/** What an enum value that is neither a name nor a number is told. */
export const PROTO_ENUM_TYPE_MESSAGE = "Must be a string or a number";

/** One enum as REST reads it: its names, and how the proto names and numbers them. */
export interface ProtoEnum<T extends string> {
  /** Our names, in the order a refusal lists them. */
  readonly names: readonly T[];
  /** The proto's value-name prefix (`DLQ_REASON_`). */
  readonly prefix: string;
  /** Each name's number in the proto. */
  readonly numbers: Readonly<Record<T, number>>;
}

/**
 * The value a client names, in any of the three forms: our name, the proto's value name (upper
 * case, prefix included) or its number; `null` for the proto's "not set" (0,
 * `<PREFIX>UNSPECIFIED`), `undefined` for anything else (`DLQ`, `dlq_reason_timeout`, `01`, 9).
 *
 * @example
 * ```ts
 * import { DLQ_REASON_ENUM } from "./dlq.ts";
 * import { protoEnumOf } from "./proto_enum.ts";
 * console.log(protoEnumOf(DLQ_REASON_ENUM, "DLQ_REASON_TIMEOUT"), protoEnumOf(DLQ_REASON_ENUM, "3"));
 * // timeout timeout
 * console.log(protoEnumOf(DLQ_REASON_ENUM, 0), protoEnumOf(DLQ_REASON_ENUM, "TIMEOUT"));
 * // null undefined
 * ```
 */
export function protoEnumOf<T extends string>(
  spec: ProtoEnum<T>,
  value: unknown,
): T | null | undefined {
  const number = jsonInteger(value);
  if (number !== undefined) {
    if (number === 0) return null;
    return spec.names.find((name) => spec.numbers[name] === number);
  }
  if (typeof value !== "string") return undefined;
  let name = value;
  if (value.startsWith(spec.prefix) && value === value.toUpperCase()) {
    name = value.slice(spec.prefix.length).toLowerCase();
    if (name === "unspecified") return null;
  }
  return spec.names.find((known) => known === name);
}

/**
 * What a value of `spec` outside `allowed` (`shown` as the client gave it) is told: our names, and
 * that the proto's names and numbers are taken too, each number in the order of the names, e.g.
 * `Must be one of skip, allow, or one by the proto's name (OVERLAP_POLICY_SKIP, …) or number
 * (1, 2), not "never"`.
 */
export function protoEnumMessage<T extends string>(
  spec: ProtoEnum<T>,
  shown: string,
  allowed: readonly T[] = spec.names,
): string {
  const numbers = allowed.map((name) => spec.numbers[name]).join(", ");
  return `Must be one of ${allowed.join(", ")}, or one by the proto's name ` +
    `(${spec.prefix}${allowed[0].toUpperCase()}, …) or number (${numbers}), not ${shown}`;
}
