/**
 * The lease check: looks up, every `intervalMs`, each lease this manager holds, so that a task
 * cancelled, completed or failed by hand through another manager sharing the store is aborted
 * on its worker within one check, not at its next heartbeat. The same check runs at once for
 * the tasks this manager's own service changes (`check`).
 *
 * A lease whose holder's result reached this manager (`resultWaits`) is left to that result's
 * settlement, which releases it whether or not the store applies it: its worker has finished the
 * run, so there is nothing to abort. The settlement writes the task before it answers (a SQLite
 * write waits for its WAL sync after the commit), and a check reading the task in between saw it
 * ended under a lease still held here, and told the worker to abort, as `lease_lost`, a run it had
 * finished and reported (1,405 such cancellations across 400 streams in 12 s). A result that waits
 * `RESULT_WAIT_MS` or longer no longer shields its lease.
 */
import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";
import { Periodic } from "../periodic.ts";
import { ThreadSlices } from "../thread_slices.ts";
import type { TaskStatus } from "../domain/task.ts";
import {
  type Cancellation,
  type CancelReason,
  type HeldLease,
  resultWaits,
  type WorkerRegistry,
} from "./worker_registry.ts";

/**
 * Why the worker of `lease` is told to abort its task, found under another lease or none with
 * `status` at `now`: cancelled by hand; `timeout` when its lease had run out and the task is not
 * completed (a rescue took it: one of this manager's, between the batches of a pass, before that
 * rescue settled it and told the worker so itself, or another manager's), as the rescue tells it;
 * otherwise `lease_lost`. A rescue pass takes leases over 200 a batch, and a check during a batch
 * told the tasks taken over and not yet settled `lease_lost`: 200-400 of 50,000 leases expiring at
 * once, 2,081-2,328 of 5,000 with a check every 50 ms.
 */
function reasonOf(status: TaskStatus | null, lease: HeldLease, now: number): CancelReason {
  if (status === "cancelled") return "cancelled";
  if (lease.leaseExpiresAt <= now && status !== null && status !== "completed") return "timeout";
  return "lease_lost";
}

/**
 * Leases looked up per store call, at most. The calls go one after the other, the thread given back
 * between them once a slice is spent (`ThreadSlices`): the periodic pass started them all at once,
 * and the embedded store, which answers synchronously, then read every batch in one go (3,500
 * leases of tasks with 1 KiB of progress, four reads back to back: 20-90 ms of the thread, more
 * for more leases).
 */
export const LEASE_CHECK_BATCH = 1000;

/** What the lease check works with. */
export interface LeaseCheckDeps {
  store: Store;
  registry: WorkerRegistry;
  now: () => number;
  /** Called after it released any lease (concurrency was freed). */
  onFreed: () => void;
  log: Logger;
}

/** Periodically aborts, on their workers, tasks whose lease this manager no longer holds. */
export class LeaseCheck {
  readonly #deps: LeaseCheckDeps;
  readonly #loop: Periodic;

  constructor(deps: LeaseCheckDeps, options: { intervalMs?: number } = {}) {
    this.#deps = deps;
    this.#loop = new Periodic({
      name: "Lease check",
      intervalMs: options.intervalMs ?? 1000,
      run: () => this.checkAll(),
      log: deps.log,
    });
  }

  /** Starts the periodic check. */
  start(): void {
    this.#loop.start();
  }

  /** Stops it and waits for a check in flight. Safe to call twice. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Checks every lease held through this manager now (the periodic check's pass). */
  checkAll(): Promise<void> {
    return this.check([...this.#deps.registry.leases()]);
  }

  /**
   * Tells workers to abort the tasks of `leases` that left `in_progress` under that lease, but for
   * those whose result is being settled here (see above). Looked up `LEASE_CHECK_BATCH` a store
   * call, one call after the other.
   */
  async check(leases: HeldLease[]): Promise<void> {
    const slices = new ThreadSlices();
    for (let at = 0; at < leases.length; at += LEASE_CHECK_BATCH) {
      if (at > 0) await slices.turn();
      await this.#checkBatch(leases.slice(at, at + LEASE_CHECK_BATCH));
    }
  }

  async #checkBatch(leases: HeldLease[]): Promise<void> {
    const { store, registry } = this.#deps;
    const checks = await store.leaseCheck(leases);
    // Taken after the read: a result that came during it may be what the read saw settled.
    const now = this.#deps.now();
    let freed = false;
    // One cancellations message per worker for the check, not one per task.
    const cancels = new Map<string, Cancellation[]>();
    checks.forEach((check, i) => {
      const lease = leases[i];
      // Still held, released here meanwhile (settled, extended elsewhere, rescued), or its result
      // is being settled (which releases it).
      if (check.held || registry.lease(lease.taskId) !== lease || resultWaits(lease, now)) return;
      registry.release(lease.taskId, lease.leaseToken);
      freed = true;
      const list = cancels.get(lease.workerId) ?? [];
      list.push({ taskId: lease.taskId, reason: reasonOf(check.status, lease, now) });
      cancels.set(lease.workerId, list);
    });
    for (const [workerId, list] of cancels) {
      for (const session of registry.sessionsOf(workerId)) session.cancel(list);
    }
    if (freed) this.#deps.onFreed();
  }
}
