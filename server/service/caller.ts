/** Shapes every use-case module shares: who a call is made for, and what creating a task gave. */
import type { Principal } from "../auth/scopes.ts";
import type { Task } from "../domain/task.ts";

/**
 * Who a call is made for. The transports always pass the caller they authenticated; a caller
 * inside the process (tests, tools) that leaves it out acts as `ANONYMOUS_ADMIN`. Calls that some
 * executor-limited scope may make take it (the permission table's `"own"` reach), and keep such
 * a caller to its executors.
 */
export interface CallerOptions {
  caller?: Principal;
}

/** What creating one task gave: a new task, or the one an idempotency key made before. */
export interface CreatedTask {
  task: Task;
  created: boolean;
}
