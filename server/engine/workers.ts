/** What the rest of the manager may know of connected workers (REST, gRPC, stats, metrics). */

/** One connected (or recently gone) worker as seen by this manager. Times are epoch ms. */
export interface WorkerSnapshot {
  workerId: string;
  /** Its connection, unique on this manager: a worker id may have more than one. */
  connectionId: number;
  executors: string[];
  sdkVersion: string;
  /** Host name, process id and runtime its hello gave ("" and 0 = not said). */
  host: string;
  pid: number;
  runtime: string;
  connectedAt: number;
  lastHeartbeatAt: number;
  /** Tasks leased to it and not yet reported. */
  inFlight: number;
  /** Tasks it can still take, summed over its executors. */
  credits: number;
  /** Ids of tasks it runs now (at most `RUNNING_LISTED`). */
  running: string[];
  /** When its connection ended; `null` while connected. */
  disconnectedAt: number | null;
}

/** Most running task ids one worker snapshot lists. */
export const RUNNING_LISTED = 20;

/** Read access to the worker registry. */
export interface WorkerDirectory {
  /** Workers connected to this manager now. */
  list(): WorkerSnapshot[];
  /**
   * Workers whose last connection to this manager ended recently and that have not come back,
   * newest first (kept `GONE_KEPT_MS`, at most `GONE_KEPT`).
   */
  gone?(): WorkerSnapshot[];
  /**
   * Executors that a worker without a stream (a unary `GetNextTask`: the original interface's
   * pollers, the v1 unary call) polled on this manager since `now − POLL_SERVES_MS`.
   */
  polled?(now: number): ReadonlySet<string>;
  /**
   * Who serves the executors through the other managers sharing the store, as they last reported
   * it (see `server/engine/serving.ts`); absent: this manager is alone.
   */
  elsewhere?(now: number): Promise<Served>;
}

/**
 * How long a poll of an executor by a worker without a stream counts it as served (60 s, in ms):
 * such a worker is listed nowhere, and polls again only when its handler is done or its wait
 * between polls ends (the original-shape Go SDK's is 2 s at most).
 */
export const POLL_SERVES_MS = 60_000;

/** How long a gone worker is still listed (10 minutes, in ms), and how many at most. */
export const GONE_KEPT_MS = 10 * 60_000;
export const GONE_KEPT = 100;

/**
 * How many of `workers` serve each executor, by name (an executor none serves is absent); a
 * worker names each executor once, as its session does. Counted in one pass over every worker's
 * executors for all the executors at once: counted again for each executor, the stats of 1,000
 * executors with 1,000 workers each serving them all took 2.6 s (now 29 ms).
 *
 * @example
 * ```ts
 * import { workersServing } from "./workers.ts";
 * const workers = [{ executors: ["a", "b"] }, { executors: ["b"] }];
 * console.log(workersServing(workers).get("b")); // 2
 * ```
 */
export function workersServing(
  workers: readonly Pick<WorkerSnapshot, "executors">[],
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const worker of workers) {
    for (const name of worker.executors) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/**
 * Who serves the executors: see `workersServing`, `WorkerDirectory.polled` and
 * `WorkerDirectory.elsewhere`.
 */
export interface Served {
  /** Connected workers (work streams) serving each executor, by name. */
  workers: ReadonlyMap<string, number>;
  /** Executors a worker without a stream polled within `POLL_SERVES_MS`. */
  polled: ReadonlySet<string>;
}

/**
 * Who serves the executors at `now`, through this manager and the others sharing the store: the
 * one reading of it that every API's stats use.
 */
export async function servedBy(directory: WorkerDirectory, now: number): Promise<Served> {
  const here: Served = {
    workers: workersServing(directory.list()),
    polled: directory.polled?.(now) ?? new Set(),
  };
  const elsewhere = await directory.elsewhere?.(now);
  return elsewhere ? joinServed(here, elsewhere) : here;
}

/**
 * Who serves the executors through two sets of managers together: their workers summed, their
 * polls joined.
 *
 * @example
 * ```ts
 * import { joinServed } from "./workers.ts";
 * const here = { workers: new Map([["a", 1]]), polled: new Set<string>() };
 * const there = { workers: new Map([["a", 2]]), polled: new Set(["b"]) };
 * const served = joinServed(here, there);
 * console.log(served.workers.get("a"), served.polled.has("b")); // 3 true
 * ```
 */
export function joinServed(a: Served, b: Served): Served {
  const workers = new Map(a.workers);
  for (const [name, count] of b.workers) workers.set(name, (workers.get(name) ?? 0) + count);
  return { workers, polled: new Set([...a.polled, ...b.polled]) };
}

/**
 * Whether tasks of an executor wait with no worker of any kind serving it: some are pending, none
 * is in progress (a task in progress has a worker, on this manager or another sharing the store,
 * until its lease ends), no worker connected to any manager serves it, and no worker without a
 * stream polled it within `POLL_SERVES_MS` (`servedBy`).
 *
 * @example
 * ```ts
 * import { noWorkers } from "./workers.ts";
 * const stats = { executorName: "a", byStatus: { pending: 2, in_progress: 1 } };
 * console.log(noWorkers(stats, { workers: new Map(), polled: new Set() })); // false
 * ```
 */
export function noWorkers(
  stats: { executorName: string; byStatus: { pending: number; in_progress: number } },
  served: Served,
): boolean {
  return stats.byStatus.pending > 0 && stats.byStatus.in_progress === 0 &&
    (served.workers.get(stats.executorName) ?? 0) === 0 && !served.polled.has(stats.executorName);
}
