/** Reads a task to create from untrusted input (already camelCase), naming every bad field. */
import type { FieldViolation } from "../domain/errors.ts";

/** A task as a caller asks for it. `runAt` is epoch ms. */
export interface TaskInput {
  executorName: string;
  data: unknown;
  metadata: Record<string, string>;
  priority: number;
  runAt: number | null;
  idempotencyKey: string | null;
}

const FIELDS = ["executorName", "data", "metadata", "priority", "runAt", "idempotencyKey"];

/** Reads a time given as epoch ms or an RFC 3339 string; `undefined` when it is neither. */
export function parseTime(value: unknown): number | undefined {
  // 8.64e15 ms is the latest time a JavaScript Date can hold.
  if (typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 8.64e15) {
    return value;
  }
  if (typeof value === "string" && value !== "") {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms) && ms >= 0) return ms;
  }
  return undefined;
}

/**
 * Reads one task input; violations are pushed under `pointer` and the result is `null` when there
 * were any.
 */
export function parseTaskInput(
  input: unknown,
  pointer: string,
  violations: FieldViolation[],
): TaskInput | null {
  const before = violations.length;
  const fail = (key: string, message: string) =>
    violations.push({ field: key ? `${pointer}/${key}` : pointer, message });
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    fail("", "Must be an object");
    return null;
  }
  const obj = input as Record<string, unknown>;
  for (const key of Object.keys(obj)) if (!FIELDS.includes(key)) fail(key, "Unknown field");

  const executorName = obj.executorName;
  if (typeof executorName !== "string" || executorName === "") fail("executorName", "Is required");

  const metadata: Record<string, string> = {};
  if (obj.metadata !== undefined && obj.metadata !== null) {
    if (typeof obj.metadata !== "object" || Array.isArray(obj.metadata)) {
      fail("metadata", "Must be an object of strings");
    } else {
      for (const [key, value] of Object.entries(obj.metadata)) {
        if (typeof value !== "string") fail(`metadata/${key}`, "Must be a string");
        else metadata[key] = value;
      }
    }
  }

  let priority = 0;
  if (obj.priority !== undefined && obj.priority !== null) {
    if (
      typeof obj.priority !== "number" || !Number.isInteger(obj.priority) ||
      Math.abs(obj.priority) > 1_000_000
    ) fail("priority", "Must be a whole number between -1000000 and 1000000");
    else priority = obj.priority;
  }

  let runAt: number | null = null;
  if (obj.runAt !== undefined && obj.runAt !== null && obj.runAt !== 0 && obj.runAt !== "") {
    const ms = parseTime(obj.runAt);
    if (ms === undefined) fail("runAt", "Must be an RFC 3339 time or epoch milliseconds");
    else runAt = ms;
  }

  let idempotencyKey: string | null = null;
  if (
    obj.idempotencyKey !== undefined && obj.idempotencyKey !== null && obj.idempotencyKey !== ""
  ) {
    if (typeof obj.idempotencyKey !== "string" || obj.idempotencyKey.length > 256) {
      fail("idempotencyKey", "Must be a string of at most 256 characters");
    } else idempotencyKey = obj.idempotencyKey;
  }

  if (violations.length > before) return null;
  return {
    executorName: executorName as string,
    data: obj.data === undefined ? null : obj.data,
    metadata,
    priority,
    runAt,
    idempotencyKey,
  };
}
