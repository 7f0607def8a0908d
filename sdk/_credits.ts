/**
 * Credits: how many more tasks of each executor this worker takes. Granted for the room left on
 * each new stream and again as attempts finish (sent with their results); zero for every executor
 * once the worker drains.
 */
import type { Outbox } from "./_connection.ts";
import type { Served } from "./_served.ts";

/** The credits this worker owes the manager, per executor. */
export class Credits {
  readonly #granted = new Map<string, number>();
  #closed = false;

  /**
   * A new stream starts with no credit: owes each executor the room its concurrency leaves beside
   * the attempts still running (nothing once closed).
   */
  restart(served: Iterable<Served>, running: (executorName: string) => number): void {
    this.#granted.clear();
    if (this.#closed) return;
    for (const { name, concurrency } of served) {
      const room = concurrency - running(name);
      if (room > 0) this.#granted.set(name, room);
    }
  }

  /** An attempt of `executorName` finished: one more task may come (unless closed). */
  returned(executorName: string): void {
    if (this.#closed) return;
    this.#granted.set(executorName, (this.#granted.get(executorName) ?? 0) + 1);
  }

  /** Writes the credits owed since the last send (nothing once closed). */
  send(outbox: Outbox): void {
    if (this.#closed) return;
    for (const [executorName, credits] of this.#granted) {
      if (credits > 0) outbox.write({ credit: { executorName, credits } });
    }
    this.#granted.clear();
  }

  /** Takes no more work: writes a zero credit per executor, which the manager reads as "none". */
  close(executorNames: Iterable<string>, outbox: Outbox): void {
    this.#closed = true;
    for (const executorName of executorNames) {
      outbox.write({ credit: { executorName, credits: 0 } });
    }
  }
}
