/**
 * The contract by which a create leases its new tasks to a waiting worker in the insert's own
 * write: the service asks, the engine's dispatcher (given to the service at construction) answers.
 */
import type { NewTask, Task } from "../domain/task.ts";
import type { ClaimOptions } from "../store/store.ts";

/**
 * Leases tasks as they are created, when a worker waits for them: the engine's dispatcher, which
 * answers `null` while the engine is not running. The insert and the claim are then one store
 * write, and the task reaches the worker without a dispatch pass.
 */
export interface Handoff {
  /**
   * A claim for one worker with room for tasks of `executorName`, to make with the insert of
   * tasks created at `now`; its room stays reserved until `deliver`. `null` when none has room.
   */
  reserve(executorName: string, now: number): Reservation | null;
}

/** Room reserved on one worker by `Handoff.reserve`. */
export interface Reservation {
  readonly claim: ClaimOptions;
  /**
   * Gives the claimed tasks to the worker and frees the rest of the room; sees that what the
   * claim left of `created` (the tasks of the create) is dispatched. Called once.
   */
  deliver(claimed: Task[], created: readonly NewTask[]): Promise<void>;
}
