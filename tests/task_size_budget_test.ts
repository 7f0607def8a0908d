/**
 * The largest task the default limits allow — data and result at their limits, every metadata
 * entry, idempotency key and id at its longest, `errorsKept` attempt errors of the longest message,
 * stack trace and log lines, the largest progress
 * — still fits in one gRPC answer a default client receives (4 MiB), as a task and as a DLQ entry.
 * The arithmetic is in the header of server/domain/limits.ts.
 */
import assert from "node:assert/strict";
import { MAX_TRACESTATE_CHARS } from "@tasks-executor/proto/tracing";
import { protoRoot } from "../proto/_root.ts";
import type { DlqEntry } from "../server/domain/dlq.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import type { Task } from "../server/domain/task.ts";
import { dlqEntryToMessage, taskToMessage } from "../server/grpc/convert.ts";

/** What grpc-js, Go and grpcurl clients receive at most unless told otherwise. */
const DEFAULT_CLIENT_RECEIVE = 4 * 1024 * 1024;

/** `chars` UTF-16 units of the character that takes the most UTF-8 bytes per unit (3). */
const widest = (chars: number, seed = "") => (seed + "€".repeat(chars)).slice(0, chars);

/** JSON text of exactly `bytes` UTF-8 bytes: a string of 3-byte characters. */
function jsonOf(bytes: number): unknown {
  const chars = Math.floor((bytes - 2) / 3);
  return "€".repeat(chars) + "x".repeat(bytes - 2 - chars * 3);
}

function largestTask(): Task {
  const L = DEFAULT_LIMITS;
  const time = 253_402_300_799_999;
  return {
    id: widest(L.idChars),
    executorName: "e".repeat(128),
    data: jsonOf(L.taskDataBytes),
    metadata: Object.fromEntries(
      Array.from(
        { length: L.metadataEntries },
        (_, i) => [widest(L.metadataKeyChars, String(i)), widest(L.metadataValueChars)],
      ),
    ),
    status: "in_progress",
    priority: -2_147_483_648,
    runAt: time,
    attempt: 2_147_483_647,
    maxAttempts: 2_147_483_647,
    errors: Array.from({ length: L.errorsKept }, () => ({
      attempt: -2_147_483_648,
      message: widest(L.errorMessageChars),
      at: time,
      workerId: widest(L.idChars),
      run: 2_147_483_647,
      stack: widest(L.errorStackChars),
      logs: Array.from({ length: L.attemptLogLines }, () => widest(L.attemptLogLineChars)),
    })),
    errorsDropped: 2_147_483_647,
    run: 2_147_483_647,
    progress: jsonOf(L.progressBytes),
    logs: Array.from({ length: L.attemptLogLines }, () => widest(L.attemptLogLineChars)),
    result: jsonOf(L.resultBytes),
    createdAt: time,
    updatedAt: time,
    startedAt: time,
    completedAt: time,
    idempotencyKey: widest(L.idempotencyKeyChars),
    workerId: widest(L.idChars),
    leaseToken: widest(L.idChars),
    leaseExpiresAt: time,
    traceparent: `00-${"f".repeat(32)}-${"f".repeat(16)}-01`,
    tracestate: "v".repeat(MAX_TRACESTATE_CHARS),
  };
}

Deno.test("the largest task the default limits allow fits one gRPC answer of a default client", () => {
  const root = protoRoot();
  const encode = (type: string, message: unknown) => {
    const messageType = root.lookupType(`taskexecutor.v1.${type}`);
    return messageType.encode(messageType.fromObject(message as Record<string, unknown>)).finish()
      .length;
  };
  const task = largestTask();
  const entry: DlqEntry = {
    id: task.id,
    queueName: "q".repeat(128),
    executorName: task.executorName,
    task: { ...task, status: "dlq" },
    reason: "non_retryable",
    deadAt: task.runAt,
  };
  const asTask = encode("GetTaskResponse", { task: taskToMessage(task) });
  const asEntry = encode("GetDlqEntryResponse", { entry: dlqEntryToMessage(entry) });
  const asPage = encode("ListTasksResponse", {
    tasks: [taskToMessage(task)],
    nextCursor: "c".repeat(256),
  });
  for (const [what, bytes] of [["task", asTask], ["DLQ entry", asEntry], ["page", asPage]]) {
    assert.ok(
      (bytes as number) < DEFAULT_CLIENT_RECEIVE,
      `${what}: ${bytes} bytes, over ${DEFAULT_CLIENT_RECEIVE}`,
    );
  }
  console.log(`largest task: ${asTask} bytes; as a DLQ entry: ${asEntry} bytes`);
});
