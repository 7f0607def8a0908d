/**
 * Leases kept alive: each attempt's lease length and deadline, heartbeats sent for running
 * attempts every third of their lease (with the progress handlers report), and attempts that
 * passed their deadline without `ctx.heartbeat()` aborted as timed out.
 */
import { Buffer } from "node:buffer";
import type { Outbox } from "./_connection.ts";
import type { SendLimits } from "./_run.ts";
import { timerDelay } from "./_timer.ts";
import { checkJsonValue } from "@tasks-executor/proto/json-value";
import { InvalidArgumentError, TaskAbortedError } from "./errors.ts";
import { describeViolations } from "./schema.ts";
import type { Logger } from "./types.ts";

/** The lease of one running attempt, as heartbeats keep it. */
export interface Lease {
  readonly taskId: string;
  /** Aborts the attempt (`ctx.signal`). */
  readonly controller: AbortController;
  /** Lease length: also how long the attempt may go without finishing or `ctx.heartbeat()`. */
  readonly leaseMs: number;
  /** Heartbeat period: a third of the lease length, at least 100 ms. */
  readonly heartbeatEveryMs: number;
  /** When the attempt times out unless the handler calls `ctx.heartbeat()` first (epoch ms). */
  deadline: number;
  nextHeartbeatAt: number;
  lastHeartbeatAt: number;
  /**
   * JSON text of the latest progress reported since the last heartbeat sent (it goes with the
   * next one), taken when it was reported; `undefined` when none waits.
   */
  progressJson: string | undefined;
  /** The manager said stop (cancelled or lease lost): no more heartbeats, refusal expected. */
  released: boolean;
}

/** A new lease's timing fields, from the lease's expiry (epoch ms) or, when past, `fallbackMs`. */
export function leaseTiming(
  expiresAt: number,
  fallbackMs: number,
  now: number,
): Pick<
  Lease,
  "leaseMs" | "heartbeatEveryMs" | "deadline" | "nextHeartbeatAt" | "lastHeartbeatAt"
> {
  const leaseMs = expiresAt > now ? expiresAt - now : fallbackMs;
  const heartbeatEveryMs = Math.max(100, Math.floor(leaseMs / 3));
  return {
    leaseMs,
    heartbeatEveryMs,
    deadline: now + leaseMs,
    nextHeartbeatAt: now + heartbeatEveryMs,
    lastHeartbeatAt: now,
  };
}

/** One timer for the heartbeats and deadlines of every running attempt. */
export class Heartbeats {
  readonly #leases: ReadonlyMap<string, Lease>;
  readonly #outbox: Outbox;
  readonly #limits: () => SendLimits;
  readonly #log: Logger;
  readonly #abort: (lease: Lease, error: TaskAbortedError) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  /** Heartbeats for the leases in `leases` (the running attempts, by task id). */
  constructor(parts: {
    leases: ReadonlyMap<string, Lease>;
    outbox: Outbox;
    limits: () => SendLimits;
    log: Logger;
    /** Aborts a lease's attempt (`Attempts.abort`): a timeout's. */
    abort: (lease: Lease, error: TaskAbortedError) => void;
  }) {
    this.#leases = parts.leases;
    this.#outbox = parts.outbox;
    this.#limits = parts.limits;
    this.#log = parts.log;
    this.#abort = parts.abort;
  }

  /** A lease was added to the running attempts: wake up for its first heartbeat or deadline. */
  track(lease: Lease): void {
    this.#schedule(Math.min(lease.nextHeartbeatAt, lease.deadline));
  }

  /**
   * `ctx.heartbeat(progress)`: keeps the progress (as JSON text, taken now: a value changed later
   * is not what was reported), gives the attempt another lease length and sends a heartbeat soon
   * (at most one a second per attempt). No progress (`undefined`) leaves one reported before and
   * not sent yet to go.
   *
   * @throws {InvalidArgumentError} naming `progress` when the manager would not keep it
   *   (`checkProgress`, against the limits of the manager's latest welcome); nothing is kept,
   *   extended or sent then
   */
  beat(lease: Lease, progress: unknown): void {
    checkProgress(progress, this.#limits().maxProgressBytes);
    if (progress !== undefined) lease.progressJson = JSON.stringify(progress);
    if (lease.released || this.#leases.get(lease.taskId) !== lease) return;
    // The handler shows progress: its attempt may go on for another lease length.
    lease.deadline = Date.now() + lease.leaseMs;
    // Coalesce: a handler calling this in a tight loop sends at most one heartbeat a second.
    const earliest = lease.lastHeartbeatAt + Math.min(1000, lease.heartbeatEveryMs);
    lease.nextHeartbeatAt = Math.min(lease.nextHeartbeatAt, earliest);
    this.#schedule(lease.nextHeartbeatAt);
  }

  /** A new stream: one heartbeat at once for every attempt still held. */
  beatAll(): void {
    const held = [...this.#leases.values()].filter((lease) => !lease.released);
    if (held.length === 0) return;
    this.#outbox.write({ heartbeat: { taskIds: held.map((lease) => lease.taskId) } });
    const now = Date.now();
    for (const lease of held) lease.lastHeartbeatAt = now;
  }

  /** Stops the timer (at shutdown). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #schedule(at: number): void {
    if (at >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    // A time past what a timer keeps is waited for in steps: `#due` finds nothing due, sets the next.
    this.#timer = setTimeout(() => this.#due(), timerDelay(at - Date.now()));
  }

  /** Sends the heartbeats that are due and times out attempts past their deadline. */
  #due(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = Date.now();
    const due: string[] = [];
    const progressJson: Record<string, string> = {};
    const carrying: Lease[] = [];
    let next = Infinity;
    for (const lease of this.#leases.values()) {
      if (lease.released) continue;
      if (lease.deadline <= now) {
        // No heartbeats after a timeout: the lease runs out unless the handler returns first.
        lease.released = true;
        this.#log.warn("Task attempt timed out, aborting it", {
          taskId: lease.taskId,
          timeoutMs: lease.leaseMs,
        });
        this.#abort(lease, new TaskAbortedError("timeout"));
        continue;
      }
      if (lease.nextHeartbeatAt <= now + 5) {
        due.push(lease.taskId);
        const json = this.#progressToSend(lease);
        if (json !== undefined) {
          progressJson[lease.taskId] = json;
          carrying.push(lease);
        }
        lease.lastHeartbeatAt = now;
        lease.nextHeartbeatAt = now + lease.heartbeatEveryMs;
      }
      next = Math.min(next, lease.nextHeartbeatAt, lease.deadline);
    }
    if (due.length > 0) {
      // Progress leaves its lease only once written: with no stream open it goes with the next.
      if (this.#outbox.write({ heartbeat: { taskIds: due, progressJson } })) {
        for (const lease of carrying) lease.progressJson = undefined;
      }
    }
    if (next !== Infinity) this.#schedule(next);
  }

  /**
   * The progress `lease` has to send, within the limit of the manager's latest welcome. One taken
   * under a larger limit than a later welcome names (a reconnect to another manager) cannot be
   * sent, the manager would not keep it: it is dropped, and said so with a warning, for the
   * handler's next `ctx.heartbeat(progress)` is refused against the new limit, not this one.
   */
  #progressToSend(lease: Lease): string | undefined {
    const json = lease.progressJson;
    if (json === undefined) return undefined;
    const maxProgressBytes = this.#limits().maxProgressBytes;
    const progressBytes = Buffer.byteLength(json);
    if (progressBytes <= maxProgressBytes) return json;
    lease.progressJson = undefined;
    this.#log.warn(
      "Progress reported before the manager lowered its maxProgressBytes is too large to send: dropped",
      { taskId: lease.taskId, progressBytes, maxProgressBytes },
    );
    return undefined;
  }
}

/** Deepest nesting of arrays and objects in a progress value the manager keeps (its `jsonDepth`). */
const PROGRESS_DEPTH = 64;

/**
 * Refuses a progress value the manager would not keep (it ignores such progress, and it went
 * unseen before: dropped with a debug line): one that is not JSON (a bigint, a function), that
 * `JSON.stringify` would change (`NaN`, a lone surrogate), nested deeper than 64, or larger than
 * `maxBytes` as JSON text (the manager's `maxProgressBytes`, 1 KiB by default). `undefined` is
 * no progress, and passes.
 *
 * @throws {InvalidArgumentError} naming `progress` and the spot (`/progress/…`)
 */
export function checkProgress(progress: unknown, maxBytes: number): void {
  if (progress === undefined) return;
  const violations: { field: string; message: string }[] = [];
  if (
    checkJsonValue(
      progress,
      { pointer: "/progress", maxDepth: PROGRESS_DEPTH, maxBytes },
      violations,
    )
  ) return;
  throw new InvalidArgumentError(
    `ctx.heartbeat(progress): progress cannot be stored as it is: ${
      describeViolations(violations)
    }`,
    3,
    violations,
  );
}
