/**
 * What a batch create's answer carries of each new task (its echo), and a bound on its size as
 * JSON that needs no JSON written: the service refuses a batch whose echo would not fit a page.
 */
import { type NewTask, storedTask, type Task } from "../domain/task.ts";
import { jsonBytes } from "./paging.ts";

/** How much of each created task an answer carries: whole, or without data and metadata. */
export type CreateAnswer = "full" | "basic";

/** A new task as a create's answer shows it. */
export function echoOf(task: NewTask, answer: CreateAnswer): Task {
  const stored = storedTask(task);
  return answer === "basic" ? { ...stored, data: null, metadata: {} } : stored;
}

/** The longest JSON number a stored integer field can be (`-9007199254740991`). */
const LONGEST_INTEGER = -Number.MAX_SAFE_INTEGER;

/**
 * The JSON bytes of a basic echo whose required strings are empty, optional strings null and
 * numbers at their longest: what any basic echo takes besides its strings' characters.
 */
const BASIC_ECHO_FIXED_BYTES = jsonBytes(echoOf({
  id: "",
  executorName: "",
  data: null,
  metadata: {},
  priority: LONGEST_INTEGER,
  runAt: LONGEST_INTEGER,
  maxAttempts: LONGEST_INTEGER,
  idempotencyKey: null,
  groupKey: null,
  createdAt: LONGEST_INTEGER,
  traceparent: null,
  tracestate: null,
}, "basic"));

/** The JSON bytes a group key's member adds besides the key's characters: `"groupKey":"",`. */
const GROUP_KEY_MEMBER_BYTES = jsonBytes({ groupKey: "" }) - jsonBytes({}) + 1;

/**
 * An upper bound on the JSON bytes (UTF-8) of `task`'s basic echo: the fixed part, the group key's
 * member when there is one (the fixed part has none), plus 6 bytes per UTF-16 unit of its strings
 * (the most one takes in JSON, as `\u001f`; a string in place of `null` adds its 2 quotes, which
 * `null`'s 4 bytes already cover).
 */
export function basicEchoBound(task: NewTask): number {
  const chars = task.id.length + task.executorName.length + (task.idempotencyKey?.length ?? 0) +
    (task.groupKey?.length ?? 0) + (task.traceparent?.length ?? 0) +
    (task.tracestate?.length ?? 0);
  return BASIC_ECHO_FIXED_BYTES + (task.groupKey ? GROUP_KEY_MEMBER_BYTES : 0) + 6 * chars;
}
