/**
 * `tasks create … --wait D` and `tasks get ID --wait D`: the task once it is final, by long polls
 * of the manager (`POST /api/v1/tasks?wait=…`, then `GET /api/v1/tasks/{id}?wait=…`) until it ends
 * or `D` passes; the exit code says which.
 */
import { TASK_ANSWER } from "./answer.ts";
import { CALL_TIMEOUT_MS, type ManagerClient } from "./client.ts";
import { segment } from "./command.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The longest `--wait` the command line takes (24 h), in milliseconds. */
export const MAX_WAIT_MS = 24 * 3_600_000;

/** The longest wait the manager takes in one long poll (its `wait` limit, 60 s). */
const LONG_POLL_MS = 60_000;

/**
 * A long poll answered "not final" sooner than this (ms) did not wait: a manager that is stopping,
 * or a proxy or server that ignores `wait`. The next poll then waits first, `POLL_BACKOFF_FIRST_MS`
 * doubling up to `POLL_BACKOFF_MAX_MS`, so that such a server is not asked back to back.
 */
const EARLY_ANSWER_MS = 1000;
/** See `EARLY_ANSWER_MS`. */
const POLL_BACKOFF_FIRST_MS = 250;
/** See `EARLY_ANSWER_MS`. */
const POLL_BACKOFF_MAX_MS = 5000;

/** The statuses a task does not leave on its own. */
const FINAL_STATUSES = ["completed", "failed", "dlq", "cancelled"];

/** Exit code: the task ended without completing (failed, dlq, cancelled). */
export const EXIT_NOT_COMPLETED = 3;
/** Exit code: the wait passed before the task ended. */
export const EXIT_WAIT_PASSED = 4;

/** What a wait came to: the last answer (`{task}`), a line saying how it ended, the exit code. */
export interface WaitOutcome {
  body: Json;
  headline: string;
  exitCode: number;
}

/**
 * Waits up to `waitMs` for the task `first` starts: `first(pollMs, timeoutMs)` makes the first
 * long poll (a create, or a read) and answers `{task}`, checked as `TASK_ANSWER`; further polls
 * read the task until it is final or the time is up, after a backoff when a poll did not wait
 * (`EARLY_ANSWER_MS`). The exit code is 0 when it completed, else `EXIT_NOT_COMPLETED` or
 * `EXIT_WAIT_PASSED`.
 *
 * @throws {ManagerError} a refusal of any poll (the task deleted meanwhile: 404)
 */
export async function waitForFinal(
  client: ManagerClient,
  waitMs: number,
  first: (pollMs: number, timeoutMs: number) => Promise<Json>,
): Promise<WaitOutcome> {
  const until = Date.now() + waitMs;
  const pollOf = () => Math.max(1, Math.min(LONG_POLL_MS, until - Date.now()));
  let pollMs = pollOf();
  let asked = Date.now();
  let body = await first(pollMs, pollMs + CALL_TIMEOUT_MS);
  let backoffMs = 0;
  while (!FINAL_STATUSES.includes(body.task.status) && until > Date.now()) {
    const early = Date.now() - asked < Math.min(EARLY_ANSWER_MS, pollMs);
    backoffMs = early
      ? Math.min(POLL_BACKOFF_MAX_MS, Math.max(POLL_BACKOFF_FIRST_MS, backoffMs * 2))
      : 0;
    if (backoffMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(backoffMs, until - Date.now())));
    }
    if (until <= Date.now()) break;
    pollMs = pollOf();
    asked = Date.now();
    body = await readTask(client, body.task.id, pollMs);
  }
  const { id, status } = body.task;
  if (!FINAL_STATUSES.includes(status)) {
    return {
      body,
      headline: `Task ${id} is still ${status} after ${waitMs / 1000} s`,
      exitCode: EXIT_WAIT_PASSED,
    };
  }
  return status === "completed"
    ? { body, headline: `Task ${id} completed`, exitCode: 0 }
    : { body, headline: `Task ${id} ended ${status}`, exitCode: EXIT_NOT_COMPLETED };
}

/** One long poll of task `id` (`GET /api/v1/tasks/{id}?wait=…`), of up to `pollMs`. */
export async function readTask(client: ManagerClient, id: string, pollMs: number): Promise<Json> {
  return await client.call("GET", `/tasks/${segment(id)}?wait=${pollMs}`, undefined, {
    timeoutMs: pollMs + CALL_TIMEOUT_MS,
    shape: TASK_ANSWER,
  });
}
