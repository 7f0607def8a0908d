/** Field violations gathered while reading untrusted input, thrown together. */
import { type FieldViolation, InvalidArgumentError } from "../domain/errors.ts";

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
