/** In-process notifications: tasks became ready, or changed (for the dispatcher and live views). */

/** What happened. */
export type ServiceEvent =
  /** New or requeued tasks may be ready now for these executors. */
  | { type: "tasks_ready"; executorNames: string[] }
  /** Some tasks of these executors changed state. */
  | { type: "tasks_changed"; executorNames: string[] }
  /** Executors were created, updated or deleted. */
  | { type: "executors_changed" };

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
        console.error("Event listener failed", error);
      }
    }
  }
}
