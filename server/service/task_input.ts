/**
 * Reads a task to create from untrusted input (already camelCase), naming every bad field; what
 * it accepts is kept exactly by every transport and store.
 */
import type { FieldViolation } from "../domain/errors.ts";
import { checkJsonValue, checkString, escapePointer } from "@tasks-executor/proto/json-value";
import { EXECUTOR_NAME_PATTERN, NAME_MESSAGE } from "../domain/executor.ts";
import type { Limits } from "../domain/limits.ts";
import { parseOptionalTime, TIME_FORMAT_MESSAGE } from "../domain/time.ts";
import { groupKeyProblem } from "../domain/flow.ts";
import { FIRE_KEY_PREFIX } from "../domain/schedule.ts";

/** A task as a caller asks for it. `runAt` is epoch ms. */
export interface TaskInput {
  executorName: string;
  data: unknown;
  metadata: Record<string, string>;
  priority: number;
  runAt: number | null;
  idempotencyKey: string | null;
  /** The task's group key for flow control (`null`: the executor's `groupKeyPointer` decides). */
  groupKey: string | null;
}

const FIELDS = [
  "executorName",
  "data",
  "metadata",
  "priority",
  "runAt",
  "idempotencyKey",
  "groupKey",
];

/** What a task's optional string fields sent as `""` are told: leave them out, or send null. */
const EMPTY_MESSAGES: Record<string, string> = {
  runAt: "Must not be empty: leave the field out (or send null) to run the task now",
  idempotencyKey: "Must not be empty: leave the field out (or send null) for no idempotency key",
  groupKey:
    "Must not be empty: leave the field out (or send null) for the executor's groupKeyPointer to decide",
};

/**
 * Checks task data at `pointer` against the limits (depth, size, numbers, strings; see
 * `checkJsonValue`); pushes the first bad spot onto `violations` and returns `false` if any.
 */
export function checkTaskData(
  data: unknown,
  check: { pointer: string; limits: Readonly<Limits> },
  violations: FieldViolation[],
): boolean {
  return checkJsonValue(data, {
    pointer: check.pointer,
    maxDepth: check.limits.jsonDepth,
    maxBytes: check.limits.taskDataBytes,
  }, violations);
}

/**
 * Reads one task input; violations are pushed under `options.pointer` and the result is `null`
 * when there were any. Data must pass `checkTaskData`; metadata is at most
 * `limits.metadataEntries` string entries of bounded key and value length; the idempotency key is
 * at most `limits.idempotencyKeyChars` characters without U+0000, and begins with
 * `FIRE_KEY_PREFIX` only when `options.scheduled` (a schedule's fire creates it: a client's task
 * with the key of a fire to come took that fire's place, and with a far `runAt` and the `skip`
 * overlap policy held every fire after it); `runAt` is read by `parseOptionalTime` (none, that is
 * now: `null` or the epoch, `"0"` as 0). `runAt`, `idempotencyKey` and `groupKey` sent as `""` are
 * refused naming them (`EMPTY_MESSAGES`), as every schedule field is: no time, key or group key is
 * empty, and each read it as left out. (gRPC, whose proto3 strings and zero timestamp cannot be
 * told from unset, never passes `""` here: it leaves the field out.)
 */
export function parseTaskInput(
  input: unknown,
  options: { pointer: string; limits: Readonly<Limits>; scheduled?: boolean },
  violations: FieldViolation[],
): TaskInput | null {
  const { pointer, limits } = options;
  const before = violations.length;
  const fail = (key: string, message: string) =>
    violations.push({ field: key ? `${pointer}/${key}` : pointer, message });
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    fail("", "Must be an object");
    return null;
  }
  const given = input as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!FIELDS.includes(key)) fail(escapePointer(key), "Unknown field");
  }
  // Refused once, as empty, and then read as left out, not refused again as a bad value.
  const obj = { ...given };
  for (const [key, message] of Object.entries(EMPTY_MESSAGES)) {
    if (obj[key] === "") {
      fail(key, message);
      delete obj[key];
    }
  }

  const executorName = obj.executorName;
  if (executorName === undefined || executorName === null || executorName === "") {
    fail("executorName", "Is required");
  } else if (typeof executorName !== "string" || !EXECUTOR_NAME_PATTERN.test(executorName)) {
    fail("executorName", NAME_MESSAGE);
  }

  const data = obj.data === undefined ? null : obj.data;
  checkTaskData(data, { pointer: `${pointer}/data`, limits }, violations);

  const metadata = parseMetadata(
    obj.metadata,
    { pointer: `${pointer}/metadata`, limits, scheduled: options.scheduled },
    violations,
  );

  let priority = 0;
  if (obj.priority !== undefined && obj.priority !== null) {
    if (
      typeof obj.priority !== "number" || !Number.isInteger(obj.priority) ||
      Math.abs(obj.priority) > 1_000_000
    ) fail("priority", "Must be a whole number between -1000000 and 1000000");
    else priority = obj.priority;
  }

  let runAt: number | null = null;
  if (obj.runAt !== undefined) {
    const ms = parseOptionalTime(obj.runAt);
    if (ms === undefined) fail("runAt", TIME_FORMAT_MESSAGE);
    else runAt = ms;
  }

  let idempotencyKey: string | null = null;
  const key = obj.idempotencyKey;
  if (key !== undefined && key !== null) {
    if (typeof key !== "string") fail("idempotencyKey", "Must be a string");
    else if (key.startsWith(FIRE_KEY_PREFIX) && !options.scheduled) {
      fail(
        "idempotencyKey",
        `Must not begin with "${FIRE_KEY_PREFIX}": the keys of the tasks schedules create do`,
      );
    } else if (
      checkString(key, {
        pointer: `${pointer}/idempotencyKey`,
        maxChars: limits.idempotencyKeyChars,
        noNul: true,
      }, violations)
    ) idempotencyKey = key;
  }

  let groupKey: string | null = null;
  if (obj.groupKey !== undefined && obj.groupKey !== null) {
    const problem = groupKeyProblem(obj.groupKey);
    if (problem) fail("groupKey", problem);
    else groupKey = obj.groupKey as string;
  }

  if (violations.length > before) return null;
  return {
    executorName: executorName as string,
    data,
    metadata,
    priority,
    runAt,
    idempotencyKey,
    groupKey,
  };
}

/**
 * A task's metadata: at most `limits.metadataEntries` string entries of bounded key and value
 * length, no key empty — but in a schedule's fire (`scheduled`), whose task was stored before
 * empty keys were refused: its schedule would stop firing, with nothing its owner sent to blame.
 */
function parseMetadata(
  value: unknown,
  options: { pointer: string; limits: Readonly<Limits>; scheduled?: boolean },
  violations: FieldViolation[],
): Record<string, string> {
  const { pointer, limits } = options;
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    violations.push({ field: pointer, message: "Must be an object of strings" });
    return {};
  }
  // Counted before the entries are made: 300,000 of them took 0.2 s more than their keys.
  const count = Object.keys(value).length;
  if (count > limits.metadataEntries) {
    violations.push({
      field: pointer,
      message: `Must have at most ${limits.metadataEntries} entries, not ${count}`,
    });
    return {};
  }
  const entries = Object.entries(value);
  const { metadataKeyChars, metadataValueChars } = limits;
  const kept = entries.filter(([key, item]) => {
    const at = `${pointer}/${escapePointer(key)}`;
    if (key === "" && !options.scheduled) {
      // Stored, it could be searched for by no one (`metadataKey=` is no key).
      violations.push({ field: at, message: "Must not be empty: a metadata key names its value" });
      return false;
    }
    if (!checkString(key, { pointer: at, maxChars: metadataKeyChars, isKey: true }, violations)) {
      return false;
    }
    if (typeof item === "string") {
      return checkString(item, { pointer: at, maxChars: metadataValueChars }, violations);
    }
    violations.push({ field: at, message: "Must be a string" });
    return false;
  });
  // fromEntries keeps a key such as "__proto__" as data; assigning it would not.
  return Object.fromEntries(kept);
}
