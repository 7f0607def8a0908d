/**
 * The history recorder: adds up what this manager saw per executor and minute, in memory, and
 * adds it to the store every few seconds (upserts that add, so managers sharing a store can all
 * write); also prunes minutes older than the history TTL. `stop()` flushes and is safe twice.
 */
import { Periodic } from "../periodic.ts";
import {
  addSlot,
  DURATION_BUCKETS_MS,
  emptySlot,
  type HistoryCount,
  type HistoryDelta,
  isEmptySlot,
  minuteOf,
} from "../domain/history.ts";
import type { Logger } from "../log.ts";
import type { ServiceEvents } from "../service/events.ts";
import type { HistoryStore } from "../store/store.ts";
import type { EngineStats, ExecutorCounters, Samples } from "./stats.ts";

/** What the recorder reads and writes. */
export interface HistoryRecorderDeps {
  history: HistoryStore;
  /** Task creations and cancellations are counted from these events. */
  events: ServiceEvents;
  /** The engine's counters since start; the recorder adds what changed between two reads. */
  stats: () => EngineStats;
  log: Logger;
}

/** Timing of the recorder. */
export interface HistoryRecorderOptions {
  /** Minutes older than this are deleted (HISTORY_TTL; 0 = kept forever). */
  ttlMs: number;
  /** How often figures are added to the store (default 5 s). */
  flushMs?: number;
  /** How often old minutes are deleted (default 10 min). */
  pruneEveryMs?: number;
  now?: () => number;
}

/** Most (executor, minute) rows held while the store cannot be written; older ones are dropped. */
const MAX_PENDING = 10_000;

const COUNTERS: [HistoryCount, keyof ExecutorCounters][] = [
  ["started", "dispatched"],
  ["completed", "completed"],
  ["failedAttempts", "failedAttempts"],
  ["retried", "retried"],
  ["deadLettered", "deadLettered"],
];

/** `now` minus `before` of one duration series, as a histogram with its overflow bucket. */
function histogramDelta(now: Samples, before: Samples | undefined): number[] {
  const out = new Array(DURATION_BUCKETS_MS.length + 1).fill(0);
  const overflow = (s: Samples) => s.count - s.buckets.reduce((sum, n) => sum + n, 0);
  now.buckets.forEach((n, i) => (out[i] = n - (before?.buckets[i] ?? 0)));
  out[DURATION_BUCKETS_MS.length] = overflow(now) - (before ? overflow(before) : 0);
  return out;
}

/**
 * Records history for one manager. Engine counters that changed since the last flush are put in
 * the minute of the flush (at most `flushMs` late); creations and cancellations in the minute they
 * happened.
 *
 * @example
 * ```ts ignore
 * const recorder = new HistoryRecorder({ history: store.history, events, stats, log }, { ttlMs });
 * recorder.start();
 * await recorder.stop(); // flushes what is left
 * ```
 */
export class HistoryRecorder {
  readonly #deps: HistoryRecorderDeps;
  readonly #options: HistoryRecorderOptions;
  readonly #now: () => number;
  /** Figures not yet in the store, by `${minute}:${executor}`. */
  #pending = new Map<string, HistoryDelta>();
  #last: Record<string, ExecutorCounters> = {};
  #lastPrune = 0;
  readonly #loop: Periodic;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;

  constructor(deps: HistoryRecorderDeps, options: HistoryRecorderOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#loop = new Periodic({
      name: "History flush",
      intervalMs: options.flushMs ?? 5000,
      run: () => this.#flush(),
      log: deps.log,
    });
  }

  /** Starts counting and flushing. */
  start(): void {
    if (this.#loop.running || this.#stopped) return;
    this.#last = this.#deps.stats().executors;
    this.#lastPrune = this.#now();
    this.#unsubscribe = this.#deps.events.on((event) => {
      if (event.type === "tasks_created") this.#count("created", event.counts);
      if (event.type === "tasks_cancelled") this.#count("cancelled", event.counts);
    });
    this.#loop.start();
  }

  #count(name: HistoryCount, counts: Record<string, number>): void {
    const minute = minuteOf(this.#now());
    for (const [executorName, n] of Object.entries(counts)) {
      this.#delta(executorName, minute).counts[name] += n;
    }
  }

  #delta(executorName: string, minute: number): HistoryDelta {
    const key = `${minute}:${executorName}`;
    let delta = this.#pending.get(key);
    if (!delta) {
      if (this.#pending.size >= MAX_PENDING) {
        this.#pending.delete(this.#pending.keys().next().value!);
      }
      this.#pending.set(key, delta = { executorName, minute, ...emptySlot() });
    }
    return delta;
  }

  /**
   * Adds what was counted since the last flush to the store now (kept for the next one on
   * failure, which is logged). One flush at a time; a call during one waits for it and then runs
   * its own.
   */
  flush(): Promise<void> {
    return this.#loop.runNow();
  }

  async #flush(): Promise<void> {
    const now = this.#now();
    const snapshot = this.#deps.stats().executors;
    const minute = minuteOf(now);
    for (const [name, counters] of Object.entries(snapshot)) {
      const before = Object.hasOwn(this.#last, name) ? this.#last[name] : undefined;
      const slot = emptySlot();
      for (const [count, key] of COUNTERS) {
        slot.counts[count] = (counters[key] as number) - ((before?.[key] as number) ?? 0);
      }
      slot.queueWaitMs = histogramDelta(counters.queueWaitMs, before?.queueWaitMs);
      slot.runTimeMs = histogramDelta(counters.runTimeMs, before?.runTimeMs);
      if (!isEmptySlot(slot)) addSlot(this.#delta(name, minute), slot);
    }
    this.#last = snapshot;
    const deltas = [...this.#pending.values()].filter((delta) => !isEmptySlot(delta));
    this.#pending = new Map();
    try {
      await this.#deps.history.historyAdd(deltas);
    } catch (error) {
      // Kept (merged with what comes meanwhile) for the next flush.
      for (const delta of deltas) addSlot(this.#delta(delta.executorName, delta.minute), delta);
      throw error;
    }
    if (
      this.#options.ttlMs > 0 && now - this.#lastPrune >= (this.#options.pruneEveryMs ?? 600_000)
    ) {
      this.#lastPrune = now;
      await this.#deps.history.historyPrune(minuteOf(now - this.#options.ttlMs));
    }
  }

  /** Stops counting and flushes what is left (a failure is logged). Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const started = this.#loop.running;
    this.#unsubscribe?.();
    await this.#loop.stop();
    if (!started) return;
    await this.#flush().catch((error) =>
      this.#deps.log.warn("History flush at stop failed", { error })
    );
  }
}
