/**
 * Proto enum value names ↔ the lowercase names the domain, REST and the SDK use: the value name is
 * the enum's prefix and the name in upper case (`TASK_STATUS_` + `in_progress` =
 * `TASK_STATUS_IN_PROGRESS`); `<PREFIX>UNSPECIFIED` (0) is "not set".
 *
 * @example
 * ```ts
 * import { ENUM_PREFIX, fromEnum, toEnum } from "@tasks-executor/proto";
 * console.log(toEnum(ENUM_PREFIX.taskStatus, "in_progress")); // "TASK_STATUS_IN_PROGRESS"
 * console.log(fromEnum(ENUM_PREFIX.taskStatus, "TASK_STATUS_DLQ")); // "dlq"
 * console.log(fromEnum(ENUM_PREFIX.taskStatus, "TASK_STATUS_UNSPECIFIED")); // undefined
 * ```
 * @module
 */

/** The value-name prefix of each enum of `taskexecutor.v1`. */
export const ENUM_PREFIX = {
  taskStatus: "TASK_STATUS_",
  retryPolicyType: "RETRY_POLICY_TYPE_",
  writeConcernLevel: "WRITE_CONCERN_LEVEL_",
  dlqReason: "DLQ_REASON_",
  cancellationReason: "CANCELLATION_REASON_",
  scope: "SCOPE_",
  overlapPolicy: "OVERLAP_POLICY_",
  missedFirePolicy: "MISSED_FIRE_POLICY_",
  scheduleSkipReason: "SCHEDULE_SKIP_REASON_",
  taskView: "TASK_VIEW_",
} as const;

/** The enum value name of a lowercase name; `undefined` or empty is `<PREFIX>UNSPECIFIED`. */
export function toEnum(prefix: string, name: string | undefined | null): string {
  return `${prefix}${name ? name.toUpperCase() : "UNSPECIFIED"}`;
}

/**
 * The lowercase name of a decoded enum value: `undefined` for unset, 0 or `<PREFIX>UNSPECIFIED`.
 * A number the proto does not declare (a newer client's value) comes back as its decimal text, so
 * that the check it meets names it as not one of the allowed values.
 */
export function fromEnum(
  prefix: string,
  value: string | number | undefined | null,
): string | undefined {
  if (value === undefined || value === null || value === 0) return undefined;
  if (typeof value === "number") return String(value);
  if (value === `${prefix}UNSPECIFIED`) return undefined;
  return value.startsWith(prefix) ? value.slice(prefix.length).toLowerCase() : value;
}
