/** Dead letter queue entries: tasks that ran out of chances, kept with why. */
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
