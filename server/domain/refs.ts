/**
 * What a request names a stored thing by (an id, or an executor's or schedule's id or name), read
 * before it is looked up: an empty or malformed one names nothing that could exist, so it is a bad
 * argument (400 / INVALID_ARGUMENT naming the field), not a missing thing (404 / NOT_FOUND, kept
 * for a well-formed one that does not exist).
 */
import { InvalidArgumentError } from "./errors.ts";
import { EXECUTOR_NAME_PATTERN, NAME_CHARS } from "./executor.ts";
import { keyIdProblem } from "./key_id.ts";
import { DEFAULT_LIMITS } from "./limits.ts";

/** The most characters an id has: what a worker may send of one (`limits.idChars`). */
export const ID_MAX_CHARS = DEFAULT_LIMITS.idChars;

/**
 * What is named: `executor` and `schedule` by id or name (ids are made of the characters names
 * take), `executorName` by name alone, the others by id: a key's is 16 lower-case hex digits
 * (`key_id.ts`), the others any text up to `ID_MAX_CHARS` without white space.
 */
export type RefKind = "executor" | "executorName" | "schedule" | "task" | "dlqEntry" | "key";

const WHAT: Record<RefKind, string> = {
  executor: "executor id or name",
  executorName: "executor name",
  schedule: "schedule id or name",
  task: "task id",
  dlqEntry: "DLQ entry id",
  key: "key id",
};

/** White space and control characters, which no id or name holds. */
const NOT_IN_IDS = /[\s\p{Cc}]/u;

/**
 * Why `value` cannot name a thing of `kind`, or `null` when it can.
 *
 * @example
 * ```ts
 * import { refProblem } from "./refs.ts";
 * console.log(refProblem("executor", ""), refProblem("task", "a b"), refProblem("task", "01"));
 * // Is required Must hold no white space or control characters null
 * ```
 */
export function refProblem(kind: RefKind, value: unknown): string | null {
  if (typeof value !== "string" || value === "") return "Is required";
  if (kind === "executor" || kind === "executorName" || kind === "schedule") {
    if (EXECUTOR_NAME_PATTERN.test(value)) return null;
    const by = kind === "executorName" ? "a name" : "an id or a name";
    return `Must be ${by}: ${NAME_CHARS}`;
  }
  // A key id has one shape (the id part of a token), so anything else names no key.
  if (kind === "key") return keyIdProblem(value);
  if (value.length > ID_MAX_CHARS) return `Must be at most ${ID_MAX_CHARS} characters`;
  if (NOT_IN_IDS.test(value)) return "Must hold no white space or control characters";
  return null;
}

/**
 * `value`, when it can name a thing of `kind`.
 *
 * @throws {InvalidArgumentError} naming `field` (`/id`, or a REST path parameter) otherwise
 */
export function checkedRef(kind: RefKind, value: unknown, field: string): string {
  const problem = refProblem(kind, value);
  if (problem !== null) {
    throw InvalidArgumentError.listing(
      `Invalid ${WHAT[kind]}`,
      [{ field, message: problem }],
    );
  }
  return value as string;
}
