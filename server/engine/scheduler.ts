/**
 * The scheduler: each manager ticks on its own, asks the store for schedules due now (an index
 * walk) and fires them through the service; the store keeps each fire to one task, so no leader.
 */
import { retryDelay } from "../domain/backoff.ts";
import type { RetryPolicy } from "../domain/executor.ts";
import type { Logger } from "../log.ts";
import { BurstLog } from "../log_throttle.ts";
import { Periodic } from "../periodic.ts";
import type { Schedule } from "../domain/schedule.ts";
import type { DueCursor } from "../store/store.ts";
import type { Service } from "../service/service.ts";
import { ThreadSlices } from "../thread_slices.ts";

/** Due schedules fired at once (each waits on its task's write; fires made together share it). */
const FIRES_AT_ONCE = 16;

/**
 * The backoff of a schedule whose fire failed (threw, leaving the schedule due: the store failed
 * under it, or it is a cron in a zone this manager's time zone data does not know): it is tried
 * again 1 s after its first failure, each failure in a row doubling that up to 60 s, less up to
 * half of it at random (jitter, so schedules that failed together are not tried together again).
 * A fire that returns (a task made, or a fire recorded as skipped) ends it.
 */
export const FIRE_BACKOFF: Readonly<RetryPolicy> = {
  type: "exponential",
  maxAttempts: Infinity,
  interval: 1000,
  multiplier: 2,
  maxInterval: 60_000,
  jitter: 0.5,
};

/** Scheduler tuning and injected dependencies. */
export interface SchedulerOptions {
  /** How often due schedules are looked for (ms). Default 250. */
  intervalMs?: number;
  /** Most schedules fired per tick (the rest wait for the next tick). Default 100. */
  batch?: number;
  /** Clock (epoch ms). Default the service's. */
  now?: () => number;
  /** Chance for the jitter of `FIRE_BACKOFF`. Default `Math.random`. */
  random?: () => number;
  log: Logger;
}

/**
 * Fires due schedules periodically; `stop()` is safe to call twice.
 *
 * @example
 * ```ts ignore
 * const scheduler = new Scheduler(service, { log });
 * scheduler.start();
 * await scheduler.stop();
 * ```
 */
export class Scheduler {
  readonly #service: Service;
  readonly #options: SchedulerOptions;
  readonly #loop: Periodic;
  /**
   * `Cannot fire schedule`, the first few of each schedule a minute, then their count: a store
   * away fails every due schedule on every tick (4 lines a second per schedule, before).
   */
  readonly #cannotFire: BurstLog;
  /**
   * `Schedule fire refused` (its task's data no longer fits the executor's schema, or the executor
   * is gone), with the refusal: the first few of each schedule a minute, then their count. Each is
   * also a `skipped` line in the schedule's history and a count in
   * `…_schedule_fires_skipped_total`, which say that it failed but not why.
   */
  readonly #refused: BurstLog;
  /**
   * This manager's backoff of each schedule whose fires failed, by id: how many failed in a row,
   * and when (epoch ms) it is tried again. Not in the store: a store that fails cannot keep it, and
   * a zone this manager does not know may be one another manager knows, whose fires go on.
   */
  readonly #backoff = new Map<string, { failures: number; retryAt: number }>();
  #stopped = false;

  constructor(service: Service, options: SchedulerOptions) {
    this.#service = service;
    this.#options = options;
    this.#cannotFire = new BurstLog("warn", "Cannot fire schedule", {
      log: options.log,
      keyField: "schedule",
    });
    this.#refused = new BurstLog("warn", "Schedule fire refused", {
      log: options.log,
      keyField: "schedule",
    });
    this.#loop = new Periodic({
      name: "Schedule tick",
      intervalMs: options.intervalMs ?? 250,
      run: () => this.tick(),
      log: options.log,
    });
  }

  /**
   * How many schedules are in this manager's backoff: their last fire here failed, and they have
   * been due at each tick since.
   */
  get backingOff(): number {
    return this.#backoff.size;
  }

  /** Starts ticking. */
  start(): void {
    if (!this.#stopped) this.#loop.start();
  }

  /**
   * Fires every schedule due now, one batch at a time until none is left (or stopped), giving the
   * thread back between slices (`ThreadSlices`); returns how many tasks it created. A schedule in
   * its backoff (`FIRE_BACKOFF`) is passed over until its `retryAt`; one no longer due (changed,
   * paused, deleted, or fired by another manager) leaves its backoff.
   */
  async tick(): Promise<number> {
    const now = (this.#options.now ?? this.#service.now)();
    const batch = this.#options.batch ?? 100;
    const slices = new ThreadSlices();
    let created = 0;
    // Fires that fail leave their schedules due, where they were in the store's order: each later
    // batch is read after the last schedule of the one before, or a batch of them failing at every
    // tick (crons in a zone this manager's time zone data does not know, say) held every schedule
    // due after them for good; each is read once a tick.
    let after: DueCursor | undefined;
    const seen = new Set<string>();
    while (!this.#stopped) {
      const due = await this.#service.schedules.due(now, batch, after);
      const last = due.at(-1);
      // A due schedule has a next fire time (at or before `now`).
      if (last) after = { nextFireAt: last.nextFireAt!, id: last.id };
      // Several at once: each fire waits on its task's write and sync, which fires made together
      // share (one at a time, 1,000 schedules due each second took 0.8 s to fire).
      let next = 0;
      const fireNext = async (): Promise<void> => {
        while (next < due.length && !this.#stopped) {
          const schedule = due[next++];
          seen.add(schedule.id);
          // Passed over: a fire that fails costs its work at most once per backoff, and the
          // others of the batch are not kept waiting on it.
          if ((this.#backoff.get(schedule.id)?.retryAt ?? 0) > now) continue;
          // Added once made: `created += await …` reads `created` before the wait, and drops
          // what the other fires running meanwhile added.
          const made = await this.#fire(schedule, now);
          created += made;
          // A fire waits on the embedded store's sync in a `setImmediate` turn, where timers run
          // but Deno's HTTP server seldom answers: 3,000 schedules due each second held
          // `/healthz` for whole ticks, 1.2–1.6 s.
          await slices.turn();
        }
      };
      await Promise.all(Array.from({ length: Math.min(FIRES_AT_ONCE, due.length) }, fireNext));
      if (due.length < batch) {
        for (const id of this.#backoff.keys()) if (!seen.has(id)) this.#backoff.delete(id);
        break;
      }
    }
    return created;
  }

  /**
   * Fires one due schedule; how many tasks it made. A failure makes none: it is logged, and starts
   * or lengthens the schedule's backoff.
   */
  async #fire(schedule: Schedule, now: number): Promise<number> {
    try {
      const report = await this.#service.schedules.fireDue(schedule, now);
      this.#backoff.delete(schedule.id);
      for (const { fireAt, reason, refusal } of report.skipped) {
        if (refusal === undefined) continue;
        this.#refused.write(schedule.name, {
          executor: schedule.executorName,
          fireAt: new Date(fireAt).toISOString(),
          reason,
          error: refusal,
        });
      }
      if (report.fired.length + report.skipped.length > 0) {
        this.#service.events.emit({
          type: "schedule_fired",
          scheduleName: schedule.name,
          executorName: schedule.executorName,
          latenessMs: report.fired.map((fire) => fire.latenessMs),
          skipped: report.skipped.map((skip) => skip.reason),
        });
      }
      return report.fired.length;
    } catch (error) {
      const failures = (this.#backoff.get(schedule.id)?.failures ?? 0) + 1;
      const retryAt = now +
        retryDelay(FIRE_BACKOFF, failures, { random: this.#options.random ?? Math.random });
      this.#backoff.set(schedule.id, { failures, retryAt });
      this.#cannotFire.write(schedule.name, {
        error,
        failures,
        retryAt: new Date(retryAt).toISOString(),
      });
      this.#service.events.emit({
        type: "schedule_fire_failed",
        scheduleName: schedule.name,
        executorName: schedule.executorName,
      });
      return 0;
    }
  }

  /** Stops ticking and waits for a tick under way; the fires left out of the log are counted. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop.stop();
    this.#cannotFire.close();
    this.#refused.close();
  }
}
