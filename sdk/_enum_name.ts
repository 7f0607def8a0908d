/**
 * How the SDK takes an enum value a caller names (`ProtoEnumName`, exported by `types.ts`).
 * @module
 */

/**
 * A value of an enum as the SDK takes it where a caller names one (a filter's status, a DLQ
 * reason, a retry type, a write concern, a schedule policy): our name (`"completed"`) or the
 * proto's value name for it (`"TASK_STATUS_COMPLETED"`, `Prefix` and the name in upper case), the
 * two forms of a name the manager reads. The SDK sends either as the same value; answers give our
 * names.
 *
 * @example
 * ```ts
 * import type { ProtoEnumName, TaskStatus } from "@tasks-executor/sdk";
 * const statuses: ProtoEnumName<"TASK_STATUS_", TaskStatus>[] = ["failed", "TASK_STATUS_DLQ"];
 * console.log(statuses.length); // 2
 * ```
 */
export type ProtoEnumName<Prefix extends string, Name extends string> =
  | Name
  | `${Prefix}${Uppercase<Name>}`;
