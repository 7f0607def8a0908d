/**
 * The rule of a worker id, shared by the manager (a stream's hello, `GetNextTask`,
 * `ReportResults`) and the SDKs' workers, which check their own id before they connect rather than
 * have the manager refuse every hello.
 * @module
 */
import { checkString } from "./json_value.ts";
import type { FieldViolationMessage } from "./status_details.ts";

/**
 * Worker ids of the original interface's clients (`legacy:<key id>`): no other path may use one,
 * or any key could claim another key's id (key ids are not secret) and lock its clients out.
 */
export const LEGACY_WORKER_PREFIX = "legacy:";

/** What the manager says of a worker id that starts with `LEGACY_WORKER_PREFIX`. */
export const LEGACY_WORKER_ID_MESSAGE: string =
  `Must not start with "${LEGACY_WORKER_PREFIX}": such ids ` +
  "are the original interface's clients'";

/**
 * Longest worker id, in characters (UTF-16 code units): the manager's `limits.idChars`, which
 * bounds task ids and lease tokens too.
 */
export const WORKER_ID_CHARS = 256;

/**
 * What is wrong with `workerId` as a worker's own id on the work stream, under `pointer`
 * (`/hello/workerId`), in the manager's words: empty, starting with `LEGACY_WORKER_PREFIX`, not
 * well-formed Unicode, longer than `maxChars` or holding U+0000. `null` when it is usable.
 *
 * @example
 * ```ts
 * import { workerIdViolation } from "@tasks-executor/proto";
 * workerIdViolation("legacy:x", "/hello/workerId")?.message; // 'Must not start with "legacy:": …'
 * ```
 */
export function workerIdViolation(
  workerId: unknown,
  pointer: string,
  maxChars: number = WORKER_ID_CHARS,
): FieldViolationMessage | null {
  if (typeof workerId !== "string" || workerId.trim() === "") {
    return { field: pointer, message: "Is required" };
  }
  if (workerId.startsWith(LEGACY_WORKER_PREFIX)) {
    return { field: pointer, message: LEGACY_WORKER_ID_MESSAGE };
  }
  const violations: FieldViolationMessage[] = [];
  checkString(workerId, { pointer, maxChars, noNul: true }, violations);
  return violations[0] ?? null;
}
