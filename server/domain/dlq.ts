/** Dead letter queue entries: tasks that ran out of chances, kept with why. */
import type { ProtoEnum } from "./proto_enum.ts";
import type { Task } from "./task.ts";

/** Why a task was dead-lettered. */
export type DlqReason = "max_attempts" | "non_retryable" | "timeout" | "lease_lost" | "validation";

/** Every DLQ reason. */
export const DLQ_REASONS: readonly DlqReason[] = [
  "max_attempts",
  "non_retryable",
  "timeout",
  "lease_lost",
  "validation",
];

/** `DlqReason` of `taskexecutor.v1`, as REST reads it (`protoEnumOf`). */
export const DLQ_REASON_ENUM: ProtoEnum<DlqReason> = {
  names: DLQ_REASONS,
  prefix: "DLQ_REASON_",
  numbers: { max_attempts: 1, non_retryable: 2, timeout: 3, lease_lost: 4, validation: 5 },
};

/** A dead-lettered task. Its id is the task's id. */
export interface DlqEntry {
  id: string;
  queueName: string;
  executorName: string;
  /** The task as it was when it died (status `dlq`), with its attempt history. */
  task: Task;
  reason: DlqReason;
  /** Epoch ms. */
  deadAt: number;
}
