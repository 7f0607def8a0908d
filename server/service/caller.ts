/**
 * Shapes every use-case module shares: who a call is made for, what creating a task gave, and what
 * the modules of `Service` work with.
 */
import type { Principal } from "../auth/scopes.ts";
import type { Limits } from "../domain/limits.ts";
import type { Task } from "../domain/task.ts";
import type { Store } from "../store/store.ts";
import type { ServiceEvents } from "./events.ts";
import type { SchemaRegistry } from "./schema.ts";

/**
 * Who a call is made for. The transports always pass the caller they authenticated; a caller
 * inside the process (tests, tools) that leaves it out acts as `ANONYMOUS_ADMIN`. Calls that some
 * executor-limited scope may make take it (the permission table's `"own"` reach), and keep such
 * a caller to its executors.
 */
export interface CallerOptions {
  caller?: Principal;
}

/**
 * Who a read is made for, and its request's signal: aborted when the client goes away, which
 * drops a read still waiting for its turn (`PAGE_READ_TURNS`) or ends a long one.
 */
export interface ReadOptions extends CallerOptions {
  signal?: AbortSignal;
}

/** What creating one task gave: a new task, or the one an idempotency key made before. */
export interface CreatedTask {
  task: Task;
  created: boolean;
}

/** What `Service` hands its use-case modules (executors.ts, tasks.ts, dlq.ts): the same for all. */
export interface UseCaseContext {
  store: Store;
  events: ServiceEvents;
  schemas: SchemaRegistry;
  limits: Readonly<Limits>;
  now: () => number;
  newId: (now: number) => string;
}
