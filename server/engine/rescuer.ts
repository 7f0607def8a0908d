/**
 * The rescuer: takes back leases that expired (a worker died, hung or lost its connection) and
 * settles each as a failed attempt — retried per policy or dead-lettered — telling the old holder.
 */
import { RESCUER_PREFIX } from "../domain/task.ts";
import type { Store } from "../store/store.ts";
import type { ExecutorCache } from "./executor_cache.ts";
import { decideExpiry, type SettleItem, type Settler } from "./settler.ts";
import type { StatsRecorder } from "./stats.ts";
import {
  type CancelReason,
  type HeldLease,
  leaseOf,
  resultWaits,
  type WorkerRegistry,
} from "./worker_registry.ts";
import type { Logger } from "../log.ts";
import { BurstLog } from "../log_throttle.ts";
import { Periodic } from "../periodic.ts";
import { ThreadSlices } from "../thread_slices.ts";

/** What the rescuer works with. */
export interface RescuerDeps {
  store: Store;
  registry: WorkerRegistry;
  executors: ExecutorCache;
  settler: Settler;
  stats: StatsRecorder;
  now: () => number;
  random?: () => number;
  /** Lease owner name of this rescuer (unique per manager). */
  owner: string;
  /** Called with the earliest retry time it scheduled. */
  onRetry: (runAt: number) => void;
  /** Called after it settled anything (concurrency was freed). */
  onSettled: () => void;
  log: Logger;
}

/** Tuning. */
export interface RescuerOptions {
  /** Look for expired leases this often (ms). Default 500. */
  intervalMs?: number;
  /** Most leases taken back per store call. Default `RESCUE_BATCH`. */
  limit?: number;
}

/**
 * Leases one rescue batch takes back and settles, at most: the embedded store takes them over in
 * one synchronous transaction and settles them in another, and a batch of 1,000 held the thread
 * 75-160 ms. A batch of 200 holds it a few tens of ms; between batches the thread is given back
 * once a slice is spent (`ThreadSlices`).
 */
export const RESCUE_BATCH = 200;

/** How long the rescuer holds a lease it took (only while it settles it). */
const RESCUE_LEASE_MS = 60_000;
/** A lease recorded here that expired this long ago was settled by some other manager. */
const FORGET_AFTER_MS = 60_000;

/** Periodically rescues expired leases. */
export class Rescuer {
  readonly #deps: RescuerDeps;
  readonly #intervalMs: number;
  readonly #limit: number;
  readonly #loop: Periodic;
  /**
   * A line per task rescued, a few per executor a minute, then a count: a worker killed holding
   * 1,000 tasks once wrote 1,000 lines at once.
   */
  readonly #rescued: BurstLog;

  constructor(deps: RescuerDeps, options: RescuerOptions = {}) {
    this.#deps = deps;
    this.#rescued = new BurstLog("info", "Expired lease rescued", { log: deps.log });
    this.#intervalMs = options.intervalMs ?? 500;
    this.#limit = options.limit ?? RESCUE_BATCH;
    this.#loop = new Periodic({
      name: "Lease rescue",
      intervalMs: this.#intervalMs,
      run: () => this.rescueOnce(),
      log: deps.log,
    });
  }

  /** Starts the periodic rescue. */
  start(): void {
    this.#loop.start();
  }

  /** Stops it and waits for a rescue in flight. Safe to call twice. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Writes the count of the rescue lines left out (at the engine's stop, after `stop`). */
  close(): void {
    this.#rescued.close();
  }

  /**
   * Rescues every lease expired by now; returns how many tasks it settled. Leases whose result
   * this manager holds are kept alive first, with the same `now`: a result that arrived before
   * its lease expired is applied, however long it waits behind earlier messages or store calls.
   */
  async rescueOnce(): Promise<number> {
    const now = this.#deps.now();
    await this.#keepAnswered(now);
    let settled = 0;
    // Between batches the thread is given back once a slice is spent: 50,000 leases expiring at
    // once (5 workers that took 10,000 tasks each and never answered) held it 3.8 s in one pass.
    const slices = new ThreadSlices();
    for (let batch = 0;; batch++) {
      if (batch > 0) await slices.turn();
      const count = await this.#rescueBatch(now);
      settled += count.settled;
      if (count.found < this.#limit || !this.#loop.running) break;
    }
    this.#forgetStale();
    return settled;
  }

  /**
   * Extends, in the store (so that no manager sharing it expires them either), the leases that
   * expire before the pass after next and whose result reached this manager and waits its turn.
   * The result's fence is its lease token; only the clock could lose it, and this stops the clock.
   */
  async #keepAnswered(now: number): Promise<void> {
    const soon = now + 2 * this.#intervalMs;
    const byUntil = new Map<number, HeldLease[]>();
    for (const lease of this.#deps.registry.leases()) {
      if (!resultWaits(lease, now)) continue;
      if (lease.leaseExpiresAt > soon) continue;
      const until = now + lease.leaseMs;
      const group = byUntil.get(until);
      if (group) group.push(lease);
      else byUntil.set(until, [lease]);
    }
    for (const [until, leases] of byUntil) {
      const held = await this.#deps.store.leaseExtend(leases, until);
      leases.forEach((lease, i) => {
        if (held[i]) lease.leaseExpiresAt = until;
      });
    }
  }

  async #rescueBatch(now: number): Promise<{ found: number; settled: number }> {
    const { store, registry, executors, settler, stats } = this.#deps;
    const tasks = await store.taskRescueExpired({
      now,
      limit: this.#limit,
      owner: this.#deps.owner,
      leaseMs: RESCUE_LEASE_MS,
    });
    if (tasks.length === 0) return { found: 0, settled: 0 };
    const items: SettleItem[] = [];
    const notices: { held: HeldLease | undefined; reason: CancelReason }[] = [];
    for (const task of tasks) {
      const held = registry.lease(task.id);
      // A rescuer named there (this manager's or another's) is no worker: it took the task over
      // and was cut short before it settled it (it stopped, or the store failed the settle), and
      // the worker it took it from is no longer known.
      const expired = task.expiredWorkerId;
      const holder = held?.workerId ??
        (expired && !expired.startsWith(RESCUER_PREFIX) ? expired : "");
      // Known to be gone (its stream closed) = lease lost; connected here = hung or too slow; not
      // held here = leased through another manager sharing the store, which may be what is gone.
      const gone = held !== undefined && held.streamed &&
        registry.sessionsOf(held.workerId).length === 0;
      const reason = gone ? "lease_lost" : "timeout";
      const executor = executors.peek(task.executorName);
      const leaseMs = held?.leaseMs ?? executor?.timeout ?? 0;
      const message = gone
        ? `Lease lost: worker "${holder}" went away and its lease expired`
        : held
        ? `Timed out: no result within ${leaseMs} ms`
        : holder
        ? `Lease expired: no result or heartbeat within ${leaseMs} ms from worker "${holder}", ` +
          "which is not connected to this manager (it, or the manager it was connected to, may " +
          "be gone)"
        : "Lease expired: a rescue of it was cut short (the manager stopped, or failed to settle " +
          "it), and the worker that held it is not known";
      items.push({
        lease: {
          ...leaseOf(task, { workerId: holder, leaseMs: RESCUE_LEASE_MS, streamed: false, now }),
          startedAt: held?.startedAt ?? task.startedAt ?? now,
        },
        settlement: decideExpiry(
          { attempt: task.attempt, maxAttempts: task.maxAttempts, workerId: holder, run: task.run },
          executor,
          { now, random: this.#deps.random, reason, message },
        ),
      });
      notices.push({ held, reason });
    }
    const applied = await settler.apply(items, now);
    let settled = 0;
    let earliest = Infinity;
    // One cancellations message per worker for the batch, not one per task.
    const cancels = new Map<string, { taskId: string; reason: CancelReason }[]>();
    items.forEach((item, i) => {
      if (!applied[i]) return;
      settled++;
      stats.of(item.lease.executorName).rescued++;
      this.#rescued.write(item.lease.executorName, {
        taskId: item.lease.taskId,
        workerId: item.lease.workerId,
        next: item.settlement.kind,
      });
      if (item.settlement.kind === "retry") earliest = Math.min(earliest, item.settlement.runAt);
      const { held, reason } = notices[i];
      // Released meanwhile (the lease check saw the takeover and told the worker the lease was
      // lost): it is not told again.
      if (!held || !registry.release(held.taskId, held.leaseToken)) return;
      const list = cancels.get(held.workerId) ?? [];
      list.push({ taskId: held.taskId, reason });
      cancels.set(held.workerId, list);
    });
    for (const [workerId, list] of cancels) {
      for (const session of registry.sessionsOf(workerId)) session.cancel(list);
    }
    if (earliest < Infinity) this.#deps.onRetry(earliest);
    if (settled > 0) this.#deps.onSettled();
    return { found: tasks.length, settled };
  }

  /** Drops records of leases long expired: another manager rescued them. */
  #forgetStale(): void {
    const { registry } = this.#deps;
    const cutoff = this.#deps.now() - FORGET_AFTER_MS;
    const stale = [...registry.leases()].filter((l) => l.leaseExpiresAt < cutoff);
    for (const lease of stale) registry.release(lease.taskId, lease.leaseToken);
  }
}
