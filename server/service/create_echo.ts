/**
 * What a batch create's answer carries of each new task (its echo), and a bound on its size as
 * JSON that needs no JSON written: the service refuses a batch whose echo would not fit a page.
 */
import type { NewTask, Task } from "../domain/task.ts";
import { jsonBytes } from "./paging.ts";

/** How much of each created task an answer carries: whole, or without data and metadata. */
export type CreateAnswer = "full" | "basic";

/** A new task as a create's answer shows it. */
export function echoOf(task: NewTask, answer: CreateAnswer): Task {
  return {
    ...task,
    ...(answer === "basic" ? { data: null, metadata: {} } : {}),
    status: "pending",
    attempt: 0,
    errors: [],
    errorsDropped: 0,
    run: 1,
    progress: null,
    logs: [],
    result: null,
    updatedAt: task.createdAt,
    startedAt: null,
    completedAt: null,
    workerId: null,
    leaseToken: null,
    leaseExpiresAt: null,
    groupKey: task.groupKey ?? null,
    traceparent: task.traceparent ?? null,
    tracestate: task.tracestate ?? null,
  };
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

/**
 * An upper bound on the JSON bytes (UTF-8) of `task`'s basic echo: the fixed part, plus 6 bytes
 * per UTF-16 unit of its strings (the most one takes in JSON, as `\u001f`; a string in place of
 * `null` adds its 2 quotes, which `null`'s 4 bytes already cover).
 */
export function basicEchoBound(task: NewTask): number {
  const chars = task.id.length + task.executorName.length + (task.idempotencyKey?.length ?? 0) +
    (task.groupKey?.length ?? 0) + (task.traceparent?.length ?? 0) +
    (task.tracestate?.length ?? 0);
  return BASIC_ECHO_FIXED_BYTES + 6 * chars;
}
