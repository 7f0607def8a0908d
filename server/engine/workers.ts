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
}

/** How long a gone worker is still listed (10 minutes, in ms), and how many at most. */
export const GONE_KEPT_MS = 10 * 60_000;
export const GONE_KEPT = 100;

/** How many of `workers` serve `executorName`. */
export function workersServing(workers: WorkerSnapshot[], executorName: string): number {
  return workers.filter((w) => w.executors.includes(executorName)).length;
}
