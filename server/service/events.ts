/** In-process notifications: tasks became ready, or changed (for the dispatcher and live views). */
import type { SkipReason } from "../domain/schedule.ts";
import { log } from "../log.ts";
import type { ShareRefusedEvent } from "../auth/shares.ts";

/** What happened. */
export type ServiceEvent =
  /** New or requeued tasks may be ready now for these executors. */
  | { type: "tasks_ready"; executorNames: string[] }
  /**
   * Some tasks of these executors changed state; `taskIds` names them when the change was made to
   * known tasks by hand (cancel, complete, fail, requeue), so the engine can tell their workers.
   */
  | { type: "tasks_changed"; executorNames: string[]; taskIds?: string[] }
  /**
   * Attempts of these tasks were settled through this manager into a final state (completed,
   * failed, dlq); waiting producers are told (a change by hand comes as `tasks_changed`).
   * `taskIds`: settles the store has written, so each of these tasks reads as final when the event
   * comes; `queuedTaskIds`: settles of `unacknowledged` executors, which a store may answer
   * before writing them and may still drop (the embedded store's group commit): read before they
   * are handed over.
   */
  | { type: "tasks_finished"; taskIds: string[]; queuedTaskIds: string[] }
  /** Tasks were created (not idempotent repeats): how many per executor. */
  | { type: "tasks_created"; counts: Record<string, number> }
  /** Tasks were cancelled (by hand or in bulk): how many per executor. */
  | { type: "tasks_cancelled"; counts: Record<string, number> }
  /** Executors were created, updated or deleted. */
  | { type: "executors_changed" }
  /** Schedules were created, changed, deleted or fired by hand. */
  | { type: "schedules_changed" }
  /** A scheduler fired a schedule: how late each task it created was (ms), and why it skipped. */
  | {
    type: "schedule_fired";
    scheduleName: string;
    executorName: string;
    latenessMs: number[];
    skipped: SkipReason[];
  }
  /** A key that is not an admin key was refused a place past its share of a cap. */
  | ShareRefusedEvent
  /**
   * A scheduler's fire of a schedule failed (threw, leaving it due); the schedule backs off
   * (`FIRE_BACKOFF` in `server/engine/scheduler.ts`).
   */
  | { type: "schedule_fire_failed"; scheduleName: string; executorName: string };

/**
 * How many of `tasks` each executor has, for `tasks_created` and `tasks_cancelled`. Counted in a
 * `Map`: names are the client's, and one such as `constructor` read from a plain object finds
 * `Object.prototype`'s member instead of a count.
 */
export function countsByExecutor(
  tasks: Iterable<{ executorName: string }>,
): Record<string, number> {
  const counts = new Map<string, number>();
  for (const { executorName } of tasks) {
    counts.set(executorName, (counts.get(executorName) ?? 0) + 1);
  }
  return Object.fromEntries(counts);
}

/**
 * Announces that executors `executorNames` were deleted, whoever finished the deletion (an API
 * delete, or the resumer finishing one a manager left half-way): `executors_changed` (executor
 * lists and the engine's copies), `schedules_changed` (their schedules went with them) and
 * `tasks_changed` naming them (their tasks went, as live views are told of any deleted task).
 *
 * @example
 * ```ts
 * import { announceExecutorsDeleted, type ServiceEvent } from "./events.ts";
 * const seen: ServiceEvent[] = [];
 * announceExecutorsDeleted({ emit: (event) => seen.push(event) }, ["a"]);
 * console.log(seen.map((event) => event.type)); // ["executors_changed", "schedules_changed", "tasks_changed"]
 * ```
 */
export function announceExecutorsDeleted(
  events: Pick<ServiceEvents, "emit">,
  executorNames: string[],
): void {
  events.emit({ type: "executors_changed" });
  events.emit({ type: "schedules_changed" });
  events.emit({ type: "tasks_changed", executorNames });
}

/** A tiny synchronous event hub. */
export class ServiceEvents {
  #listeners = new Set<(event: ServiceEvent) => void>();

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: (event: ServiceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls every listener; a throwing listener does not stop the others. */
  emit(event: ServiceEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error("Event listener failed", { error });
      }
    }
  }
}
