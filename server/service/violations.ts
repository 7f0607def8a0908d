/** Field violations gathered while reading untrusted input, thrown together. */
import { type FieldViolation, InvalidArgumentError } from "../domain/errors.ts";
import { EXECUTOR_NAME_PATTERN, NAME_MESSAGE } from "../domain/executor.ts";

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
  if (value === undefined || value === "" || value === null) return undefined;
  if (typeof value === "string" && EXECUTOR_NAME_PATTERN.test(value)) return value;
  violations.push({ field, message: NAME_MESSAGE });
  return undefined;
}

/**
 * Throws one `InvalidArgumentError` naming every violation, when there are any; the message is
 * `what: <pointer> <message>; …`.
 *
 * @example
 * ```ts
 * import { assertNoViolations } from "./violations.ts";
 * assertNoViolations("Invalid key", []); // returns: nothing to report
 * ```
 */
export function assertNoViolations(what: string, violations: FieldViolation[]): void {
  if (violations.length === 0) return;
  throw new InvalidArgumentError(
    `${what}: ${violations.map((v) => `${v.field} ${v.message}`).join("; ")}`,
    violations,
  );
}
