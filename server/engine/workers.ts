/** What the rest of the manager may know of connected workers (REST, gRPC, stats, metrics). */

/** One connected worker as seen by this manager. Times are epoch ms. */
export interface WorkerSnapshot {
  workerId: string;
  executors: string[];
  sdkVersion: string;
  connectedAt: number;
  lastHeartbeatAt: number;
  /** Tasks leased to it and not yet reported. */
  inFlight: number;
  /** Tasks it can still take, summed over its executors. */
  credits: number;
}

/** Read access to the worker registry. */
export interface WorkerDirectory {
  /** Workers connected to this manager now. */
  list(): WorkerSnapshot[];
}

/** How many of `workers` serve `executorName`. */
export function workersServing(workers: WorkerSnapshot[], executorName: string): number {
  return workers.filter((w) => w.executors.includes(executorName)).length;
}
