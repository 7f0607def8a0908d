/**
 * Liveness of the work streams, the manager's side: one loop for every session checks them
 * `CHECKS_PER_INTERVAL` times per keepalive interval, has each stream of a worker that speaks
 * keepalive write a `Keepalive` when it wrote nothing since the previous check, and drops a session
 * from which nothing arrived for `SILENT_INTERVALS` intervals (the rule: `proto/keepalive.ts`). It
 * notices a peer gone without FIN or RST, which HTTP/2 PING cannot on our runtime (see the SDK
 * README). A session whose worker does not speak keepalive gets none, and is dropped once nothing
 * arrived from it for `silenceWithoutKeepaliveMs`: an idle older worker then reconnects, and a gone
 * one's stream does not hold its worker id for good.
 */
import { CHECKS_PER_INTERVAL } from "@tasks-executor/proto";
import type { Logger } from "../log.ts";
import { Periodic } from "../periodic.ts";
import type { WorkerSession } from "./worker_registry.ts";

/** What the liveness loop works with. */
export interface LivenessDeps {
  /** The open sessions. */
  sessions: () => Iterable<WorkerSession>;
  /** Drops a silent session: releases it and ends its stream; `silentMs` is how long at least. */
  drop: (session: WorkerSession, silentMs: number) => void;
  log: Logger;
}

/** One loop keeping every keepalive-speaking work stream talking, and dropping the silent ones. */
export class Liveness {
  readonly #deps: LivenessDeps;
  readonly #intervalMs: number;
  readonly #silenceWithoutKeepaliveMs: number;
  readonly #loop: Periodic;

  /**
   * `intervalMs`: the keepalive interval the welcome announces; `silenceWithoutKeepaliveMs`: how
   * long a session whose worker does not speak keepalive may stay silent.
   */
  constructor(
    deps: LivenessDeps,
    options: { intervalMs: number; silenceWithoutKeepaliveMs: number },
  ) {
    this.#deps = deps;
    this.#intervalMs = options.intervalMs;
    this.#silenceWithoutKeepaliveMs = options.silenceWithoutKeepaliveMs;
    this.#loop = new Periodic({
      name: "Work stream liveness",
      intervalMs: options.intervalMs / CHECKS_PER_INTERVAL,
      run: () => Promise.resolve(this.check()),
      log: deps.log,
    });
  }

  /** Starts the loop. */
  start(): void {
    this.#loop.start();
  }

  /** Stops it. Safe to call twice. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** One check of every session: keepalives where a stream was quiet, silent sessions dropped. */
  check(): void {
    const now = performance.now();
    for (const session of [...this.#deps.sessions()]) {
      if (session.closed) continue;
      if (!session.keepalive) {
        const silentMs = Math.round(now - session.heardAt);
        if (silentMs > this.#silenceWithoutKeepaliveMs) this.#deps.drop(session, silentMs);
        continue;
      }
      const found = session.liveness.check(this.#intervalMs);
      if ("silentMs" in found) this.#deps.drop(session, found.silentMs);
      else if (found.keepaliveDue) session.channel.keepalive();
    }
  }
}
