/**
 * The dispatcher: claims ready tasks for connected workers up to their credits, one store call and
 * one message per batch, round-robin over executors and over the workers of each executor.
 *
 * Managers sharing a store share out each executor's `maxConcurrency` in proportion to what
 * their workers can run: every poll, each reports its workers' capacity per limited executor and
 * learns the others' (`Store.demandReport`), and claims only up to its share. Without this, the
 * manager whose workers freed a slot would take it again at once, before any other noticed it.
 */
import { DEFAULT_LIMITS } from "../domain/limits.ts";
import { flowOf, flowRecheckMs, hasFlowControl } from "../domain/flow.ts";
import type { Task } from "../domain/task.ts";
import type { Handoff, Reservation } from "../service/handoff.ts";
import type { ClaimOptions, Store } from "../store/store.ts";
import type { ExecutorCache } from "./executor_cache.ts";
import type { Settler } from "./settler.ts";
import type { StatsRecorder } from "./stats.ts";
import type { TaskSpans } from "../service/task_spans.ts";
import { waitAtMost } from "../wait_at_most.ts";
import {
  type LeaseHolder,
  leaseOf,
  type WorkerRegistry,
  type WorkerSession,
} from "./worker_registry.ts";
import type { Logger } from "../log.ts";
import { Periodic } from "../periodic.ts";
import { clearImmediate, setImmediate } from "node:timers";

/** What the dispatcher works with. */
export interface DispatcherDeps {
  store: Store;
  registry: WorkerRegistry;
  executors: ExecutorCache;
  settler: Settler;
  stats: StatsRecorder;
  now: () => number;
  /** This manager's id, under which it reports its workers' capacity. */
  managerId: string;
  /** Hears which executor's tasks were just leased. */
  onClaimed?: (executorName: string) => void;
  log: Logger;
  /** Records dispatch spans, when the manager traces. */
  spans?: TaskSpans | null;
}

/** Tuning. */
export interface DispatcherOptions {
  /**
   * Look for work this often (ms) even when nothing woke us: other managers sharing the store
   * insert tasks and free concurrency without telling this one. Default 1000.
   */
  pollMs?: number;
  /**
   * Most tasks claimed in one store call (and sent in one message). Default 256: a worker then
   * runs one batch while the manager claims and settles the next, where batches of 1,000 left the
   * two taking turns (no-op throughput +7–12% on 2 cores, 3 interleaved runs each of 64, 128, 256
   * and 1,000; 64 is slower again: more statements and messages per task).
   */
  maxBatch?: number;
  /**
   * Most tasks one worker id may hold unsettled through this manager; it gets no more until some
   * settle, whatever credit it granted. Default `DEFAULT_LIMITS.assignmentsInFlight`.
   */
  assignmentsInFlight?: number;
}

/** The longest a wake-up timer is set for; a later `runAt` is looked up again when it fires. */
const MAX_TIMER_MS = 60_000;
/** How soon a manager looks again for slots of an executor other managers share (doubling). */
const SHARED_RECHECK_MS = 20;
/** The soonest a rate-limited executor is claimed for again after a short claim (ms). */
const FLOW_RECHECK_MIN_MS = 5;
/** Capacity reports are counted for this many polls. */
const REPORT_POLLS = 3;
/**
 * Longest a stop waits for this manager's capacity report to be withdrawn (2 s, in ms): a store
 * away does not hold the stop, and the report is left to grow stale, as after a crash.
 */
export const DEMAND_WITHDRAW_MS = 2000;

/** Hands ready tasks to workers with credit; leases new tasks as they are created (`Handoff`). */
export class Dispatcher implements Handoff {
  readonly #deps: DispatcherDeps;
  readonly #pollMs: number;
  readonly #maxBatch: number;
  readonly #assignmentsInFlight: number;
  /** Per worker id: tasks being claimed for it now and not yet held (counted against its room). */
  #claiming = new Map<string, number>();
  /**
   * Per connection and executor, the credit a claim in flight may use up: a hand-off reserved
   * meanwhile (`reserve`) must not count it as room too, or the worker gets more than it granted.
   */
  #claimingCredit = new WeakMap<WorkerSession, Map<string, number>>();
  #executorCursor = 0;
  #workerCursor = new Map<string, number>();
  #dirty = false;
  #running: Promise<void> | undefined;
  readonly #poll: Periodic;
  #timer: number | undefined;
  #timerAt = Infinity;
  #soon: ReturnType<typeof setImmediate> | undefined;
  #stopped = true;
  /** Per limited executor: what the other managers' workers can run at once (last report). */
  #othersCapacity = new Map<string, number>();
  /** Whether the store may hold a report of this manager's with something in it. */
  #hasReport = false;
  #reporting: Promise<void> | undefined;
  #withdrawing: Promise<void> | undefined;
  #recheckMs = new Map<string, number>();

  constructor(deps: DispatcherDeps, options: DispatcherOptions = {}) {
    this.#deps = deps;
    this.#pollMs = options.pollMs ?? 1000;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#assignmentsInFlight = options.assignmentsInFlight ?? DEFAULT_LIMITS.assignmentsInFlight;
    this.#poll = new Periodic({
      name: "Dispatch poll",
      intervalMs: this.#pollMs,
      run: () => {
        this.#reportCapacity();
        if (this.#anyCredit()) this.wake();
        return Promise.resolve();
      },
      log: deps.log,
    });
  }

  /** Starts the fallback poll and runs a first pass. */
  start(): void {
    this.#stopped = false;
    this.#withdrawing = undefined;
    this.#poll.start();
    this.#reportCapacity();
    this.wake();
  }

  /**
   * Stops every timer, waits for the pass in flight, and withdraws this manager's capacity report
   * (its rows deleted), so that the other managers take the whole of a limited executor's slots at
   * once rather than leave this manager's share unused until the report grows stale. The
   * withdrawal is waited for at most `DEMAND_WITHDRAW_MS`. Safe to call twice.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    if (this.#soon !== undefined) clearImmediate(this.#soon);
    this.#soon = undefined;
    await Promise.all([this.#poll.stop(), this.#running, this.#reporting]);
    if (this.#hasReport) this.#withdrawing ??= this.#withdraw();
    await this.#withdrawing;
  }

  /** Deletes this manager's capacity report, waiting for the store at most DEMAND_WITHDRAW_MS. */
  async #withdraw(): Promise<void> {
    const { store, managerId, log } = this.#deps;
    const now = this.#deps.now();
    const withdrawn = store.demandReport({
      managerId,
      capacity: {},
      now,
      since: now - REPORT_POLLS * this.#pollMs,
    }).then(
      () => {
        this.#hasReport = false;
      },
      (error) => log.warn("Capacity report not withdrawn; it grows stale instead", { error }),
    );
    await waitAtMost(withdrawn, DEMAND_WITHDRAW_MS);
  }

  /**
   * Asks for a dispatch pass. Wake-ups coalesce: one pass runs at a time, and one more runs after
   * it when woken meanwhile, so a burst of events costs at most two passes.
   */
  wake(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    if (this.#running) return;
    this.#running = this.#loop();
  }

  /**
   * `wake` after the current turn of the event loop: a pass claims synchronously on the embedded
   * store, so answers being written now (a worker's result acks) go out before it runs.
   */
  wakeSoon(): void {
    if (this.#stopped || this.#soon !== undefined) return;
    this.#soon = setImmediate(() => {
      this.#soon = undefined;
      this.wake();
    });
  }

  /** Wakes at `runAt` (a retry or a delayed task), unless a timer fires earlier already. */
  wakeAt(runAt: number): void {
    if (this.#stopped || runAt >= this.#timerAt) return;
    this.#clearTimer();
    const delay = Math.min(Math.max(0, runAt - this.#deps.now()), MAX_TIMER_MS);
    this.#timerAt = runAt;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.wake();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #anyCredit(): boolean {
    return this.#deps.registry.sessions().some((s) => s.totalCredits() > 0);
  }

  async #loop(): Promise<void> {
    try {
      while (this.#dirty && !this.#stopped) {
        this.#dirty = false;
        try {
          await this.#pass();
        } catch (error) {
          // The store may be briefly unavailable: the poll or the next event tries again.
          this.#deps.log.error("Dispatch pass failed", { error });
        }
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #pass(): Promise<void> {
    const { registry } = this.#deps;
    const served = registry.executorNames();
    if (served.length === 0) return;
    const now = this.#deps.now();
    // Start each pass at the next executor, so none is always served last.
    const start = this.#executorCursor++ % served.length;
    let active = [...served.slice(start), ...served.slice(0, start)];
    const starved = new Set<string>();
    while (active.length > 0 && !this.#stopped) {
      const more = await Promise.all(active.map((name) => this.#claimFor(name, starved)));
      active = active.filter((_, i) => more[i]);
    }
    // Executors with room but nothing ready: wake when their next delayed task comes due.
    const waiting = [...starved].filter((name) =>
      registry.sessionsFor(name).some((s) => s.creditFor(name) > 0)
    );
    if (waiting.length > 0 && !this.#stopped) {
      const next = await this.#deps.store.taskNextRunAt(waiting, now);
      if (next !== null) this.#wakeAtLater(next);
    }
  }

  #wakeAtLater(runAt: number): void {
    // `taskNextRunAt` answers as of the pass start; a time already past means "run again", at the
    // next turn: a keyed walk may ask for many passes in a row, and each holds the thread.
    if (runAt <= this.#deps.now()) this.wakeSoon();
    else this.wakeAt(runAt);
  }

  reserve(executorName: string, now: number): Reservation | null {
    const next = this.#nextClaim(executorName, now);
    if (!next) return null;
    const { session, claim } = next;
    const withdrawals = session.withdrawalsOf(executorName);
    // Held until delivery, so that a pass running meanwhile does not claim into the same room.
    session.credits.set(executorName, session.creditFor(executorName) - claim.limit);
    this.#countClaiming(session.workerId, claim.limit);
    return {
      claim,
      deliver: async (claimed, created) => {
        // A credit withdrawn meanwhile stays withdrawn: the room held is not given back.
        if (session.withdrawalsOf(executorName) === withdrawals) {
          session.credits.set(executorName, session.creditFor(executorName) + claim.limit);
        }
        this.#countClaiming(session.workerId, -claim.limit);
        this.#claimed(claim, claimed.length);
        // Handed over (its credit taken) before any wake: a pass run by the wake must not count
        // that credit as room again.
        const delivered = claimed.length === 0
          ? Promise.resolve()
          : this.#deliver(session, executorName, claimed, {
            now,
            leaseMs: claim.leaseMs,
            withdrawals,
          });
        // What the claim left: more ready tasks, when it took all it could; tasks due later.
        if (claimed.length === claim.limit) this.wake();
        let later = Infinity;
        for (const task of created) if (task.runAt > now) later = Math.min(later, task.runAt);
        if (later < Infinity) this.wakeAt(later);
        try {
          await delivered;
        } catch (error) {
          // The worker left and putting its tasks back failed too: they are created all the
          // same, and run once their lease expires. The caller's create must not fail for this.
          this.#deps.log.error("Handing new tasks over failed", { error });
        }
      },
    };
  }

  /** What this manager's workers can run at once of one executor: free credit and held tasks. */
  #capacity(name: string): number {
    let credit = 0;
    for (const session of this.#deps.registry.sessionsFor(name)) credit += session.creditFor(name);
    return credit + this.#deps.registry.heldFor(name);
  }

  /**
   * How many more tasks of a limited executor this manager may start: its share of
   * `maxConcurrency` (all of it when no other manager reported capacity), less what it holds.
   */
  #room(name: string, maxConcurrency: number): number {
    const others = this.#othersCapacity.get(name) ?? 0;
    const mine = this.#capacity(name);
    const share = others === 0
      ? maxConcurrency
      : Math.max(1, Math.round(maxConcurrency * mine / (mine + others)));
    return share - this.#deps.registry.heldFor(name);
  }

  /** Reports this manager's capacity per limited executor and learns the other managers'. */
  #reportCapacity(): void {
    if (this.#reporting || this.#stopped) return;
    const { executors, registry, store, managerId } = this.#deps;
    const capacity: Record<string, number> = {};
    for (const name of registry.executorNames()) {
      const executor = executors.peek(name);
      if (executor?.enabled && executor.maxConcurrency > 0) capacity[name] = this.#capacity(name);
    }
    const mine = Object.keys(capacity).length > 0;
    // Nothing limited to serve now, nor before: no share to learn, no report to take back.
    if (!mine && !this.#hasReport) return;
    const now = this.#deps.now();
    // Set before the write: one that fails may have been stored all the same, and is withdrawn.
    if (mine) this.#hasReport = true;
    this.#reporting = store.demandReport({
      managerId,
      capacity,
      now,
      since: now - REPORT_POLLS * this.#pollMs,
    }).then((totals) => {
      this.#hasReport = mine;
      this.#othersCapacity = new Map();
      for (const [name, own] of Object.entries(capacity)) {
        const total = Object.hasOwn(totals, name) ? totals[name] : own;
        this.#othersCapacity.set(name, Math.max(0, total - own));
      }
    }).catch((error) => {
      this.#deps.log.warn("Capacity report failed", { error });
    }).finally(() => (this.#reporting = undefined));
  }

  /**
   * After a claim: when other managers' workers share the executor's slots and the claim came
   * back short, look again soon, as slots they hold beyond their share come free — sooner after
   * a claim that got some, later (up to the poll) while none come.
   */
  #claimed(claim: ClaimOptions, count: number): void {
    const name = claim.executorName;
    const paced = claim.flow && count < claim.limit ? flowRecheckMs(claim.flow) : null;
    if (paced !== null) {
      // Rate-limited: look again when the next token is due (later while claims find none).
      const last = this.#recheckMs.get(name);
      const delay = count > 0 || last === undefined
        ? Math.max(FLOW_RECHECK_MIN_MS, paced)
        : Math.min(last * 2, this.#pollMs);
      this.#recheckMs.set(name, delay);
      this.wakeAt(this.#deps.now() + delay);
      return;
    }
    if (count === claim.limit || claim.maxConcurrency === 0 || !this.#othersCapacity.get(name)) {
      this.#recheckMs.delete(name);
      return;
    }
    const last = this.#recheckMs.get(name);
    const delay = count > 0 || last === undefined
      ? SHARED_RECHECK_MS
      : Math.min(last * 2, this.#pollMs);
    this.#recheckMs.set(name, delay);
    this.wakeAt(this.#deps.now() + delay);
  }

  /**
   * How many more tasks of one executor a connection may be given now: its credit, within what
   * its worker may still hold (`assignmentsInFlight`) and what its connection takes now (flow
   * control: none while the peer is not reading, so no task is leased only to wait unsent).
   */
  #roomOf(session: WorkerSession, name: string): number {
    const { channel } = session;
    if (!channel.writable()) return 0;
    const inClaims = this.#claiming.get(session.workerId) ?? 0;
    const held = this.#deps.registry.heldBy(session.workerId) + inClaims;
    const claiming = this.#claimingCredit.get(session)?.get(name) ?? 0;
    return Math.min(
      session.creditFor(name) - claiming,
      this.#assignmentsInFlight - held,
      // Tasks being claimed for it are not written yet: the window has not counted them.
      (channel.assignable?.(name) ?? Infinity) - inClaims,
    );
  }

  #countClaiming(workerId: string, delta: number): void {
    const n = (this.#claiming.get(workerId) ?? 0) + delta;
    if (n > 0) this.#claiming.set(workerId, n);
    else this.#claiming.delete(workerId);
  }

  /** The next worker of an executor to claim for, round-robin, and its claim; `null` if none. */
  #nextClaim(name: string, now: number): { session: WorkerSession; claim: ClaimOptions } | null {
    if (this.#stopped) return null;
    const { executors, registry } = this.#deps;
    const executor = executors.peek(name);
    if (!executor || !executor.enabled) return null;
    const ready = registry.sessionsFor(name).filter((s) => this.#roomOf(s, name) > 0);
    if (ready.length === 0) return null;
    const cursor = this.#workerCursor.get(name) ?? 0;
    this.#workerCursor.set(name, cursor + 1);
    const session = ready[cursor % ready.length];
    let limit = Math.min(this.#roomOf(session, name), this.#maxBatch);
    if (executor.maxConcurrency > 0) {
      limit = Math.min(limit, this.#room(name, executor.maxConcurrency));
    }
    if (limit <= 0) return null;
    return {
      session,
      claim: {
        executorName: name,
        limit,
        leaseMs: executor.timeout,
        owner: session.workerId,
        now,
        maxConcurrency: executor.maxConcurrency,
        ...(hasFlowControl(executor) ? { flow: flowOf(executor), clock: this.#deps.now } : {}),
      },
    };
  }

  /** One claim for the next worker of one executor; `true` when it may have more to give. */
  async #claimFor(name: string, starved: Set<string>): Promise<boolean> {
    const now = this.#deps.now();
    const next = this.#nextClaim(name, now);
    if (!next) return false;
    const { session, claim } = next;
    const withdrawals = session.withdrawalsOf(name);
    this.#countClaiming(session.workerId, claim.limit);
    const credit = this.#claimingCredit.get(session) ?? new Map<string, number>();
    this.#claimingCredit.set(session, credit);
    credit.set(name, (credit.get(name) ?? 0) + claim.limit);
    let tasks: Task[];
    try {
      tasks = await this.#deps.store.taskClaim(claim);
    } finally {
      this.#countClaiming(session.workerId, -claim.limit);
      credit.set(name, credit.get(name)! - claim.limit);
    }
    if (tasks.length > 0) {
      await this.#deliver(session, name, tasks, { now, leaseMs: claim.leaseMs, withdrawals });
    }
    this.#claimed(claim, tasks.length);
    if (tasks.length < claim.limit) {
      starved.add(name);
      return false;
    }
    return true;
  }

  /**
   * Hands tasks claimed for `session` to its worker; puts them back instead when the connection
   * closed, or its worker withdrew the executor's credit, since the claim began (`withdrawals` is
   * the count then): a stopping worker that heard the answer to its withdrawal gets no more.
   */
  async #deliver(
    session: WorkerSession,
    name: string,
    tasks: Task[],
    claimed: { now: number; leaseMs: number; withdrawals: number },
  ): Promise<void> {
    const { now, leaseMs, withdrawals } = claimed;
    this.#hold(tasks, { workerId: session.workerId, leaseMs, streamed: true, now });
    if (!session.closed && session.withdrawalsOf(name) === withdrawals) {
      session.credits.set(name, Math.max(0, session.creditFor(name) - tasks.length));
      session.channel.assign(tasks);
      return;
    }
    // Not handed over: no credit is taken. One the worker granted again since its withdrawal (a
    // pause, then a resume) is room for the tasks put back, not for these.
    await this.#putBack(tasks, now);
  }

  /**
   * The one place where tasks leased in the store become leases held here: registered, counted,
   * and announced (`onClaimed`). `tasks` are of one executor.
   */
  #hold(tasks: Task[], holder: LeaseHolder): void {
    if (tasks.length === 0) return;
    const { registry, stats } = this.#deps;
    const name = tasks[0].executorName;
    const counters = stats.of(name);
    for (const task of tasks) {
      registry.hold(leaseOf(task, holder));
      counters.dispatched++;
      stats.sample(counters.queueWaitMs, holder.now - task.runAt);
    }
    this.#deps.spans?.dispatched(tasks, holder.workerId);
    this.#deps.onClaimed?.(name);
  }

  /**
   * Leases up to `limit` ready tasks of one executor to a worker without a stream (unary
   * `GetNextTask`), within this manager's share of the executor's `maxConcurrency`, like a claim
   * for a streaming worker.
   */
  async claimUnary(executorName: string, workerId: string, limit: number): Promise<Task[]> {
    const executor = this.#deps.executors.peek(executorName);
    if (this.#stopped || !executor || !executor.enabled || limit <= 0) return [];
    if (executor.maxConcurrency > 0) {
      limit = Math.min(limit, this.#room(executorName, executor.maxConcurrency));
      if (limit <= 0) return [];
    }
    const now = this.#deps.now();
    const claim: ClaimOptions = {
      executorName,
      limit,
      leaseMs: executor.timeout,
      owner: workerId,
      now,
      maxConcurrency: executor.maxConcurrency,
      ...(hasFlowControl(executor) ? { flow: flowOf(executor), clock: this.#deps.now } : {}),
    };
    const tasks = await this.#deps.store.taskClaim(claim);
    this.#hold(tasks, { workerId, leaseMs: executor.timeout, streamed: false, now });
    this.#claimed(claim, tasks.length);
    return tasks;
  }

  /**
   * The worker went away, or withdrew its credit, while its tasks were being claimed: they never
   * reached it, so they go back to run at once rather than wait for their lease to expire, and
   * with no attempt spent (postponed, as a rate-limited attempt is).
   */
  async #putBack(tasks: Task[], now: number): Promise<void> {
    const { registry, settler } = this.#deps;
    const items = tasks.flatMap((task) => {
      const lease = registry.release(task.id, task.leaseToken ?? "");
      if (!lease) return [];
      return [{
        lease,
        settlement: {
          kind: "retry" as const,
          runAt: now,
          postponed: true,
          error: {
            attempt: task.attempt,
            run: task.run,
            message: "Not handed over: the worker left or withdrew its credit before it reached it",
            at: now,
            workerId: lease.workerId,
          },
        },
      }];
    });
    await settler.apply(items, now);
    this.wake();
  }
}
