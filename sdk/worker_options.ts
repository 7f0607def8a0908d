/** The options of `Worker`: the connection, the executors served, shutdown, logging, backoff. */
import type { ConnectionOptions } from "./_grpc.ts";
import type { AnyExecutorDefinition, Logger } from "./types.ts";

/**
 * Options of `Worker`. A field of the wrong type or one it does not have is refused by the
 * constructor with an `InvalidArgumentError` naming it; `null` is not given, as for every optional
 * field.
 */
export interface WorkerOptions extends ConnectionOptions {
  /** Stable id of this worker (default: `worker-<pid>-<random>`). */
  workerId?: string | null;
  /** Executors served; more can be added with `registerProcessor` before `start()`. */
  executors?: AnyExecutorDefinition[] | null;
  /**
   * How long `stop()` waits for running tasks before aborting them (default 10 s). Any length:
   * one past what a timer keeps (24.8 days) is waited for in steps.
   */
  shutdownGraceMs?: number | null;
  /**
   * The most abandoned handlers left running at once. A handler still running a second after its
   * `ctx.signal` was aborted (its timeout, a cancellation, a lost lease) is abandoned: its attempt
   * is reported as a retryable failure and its slot given back, but JavaScript cannot stop it. One
   * more than this stops the worker (it drains, and `closed` rejects naming the handler to fix).
   * Default: twice the sum of the executors' `concurrency`, and at least 16; negative: no bound;
   * 0: the first abandoned handler stops the worker.
   */
  maxAbandoned?: number | null;
  /**
   * Drain and stop on SIGINT/SIGTERM (default true). A second signal skips the grace period. When
   * handlers still run after the grace period and the abort (they ignore `ctx.signal`), the
   * process exits with 130 (SIGINT) or 143 (SIGTERM) once `closed` has settled; after a clean
   * drain it is left to end on its own.
   */
  handleSignals?: boolean | null;
  /**
   * Create or update the executors' configuration on start (default true). An executor served
   * without `config` is created with the manager's defaults if it does not exist, and left as it
   * is if it does.
   */
  register?: boolean | null;
  /** Where the worker logs (default: the console, info and up); `false` silences it. */
  logger?: Logger | false | null;
  /**
   * Reconnect backoff: first delay and cap (ms, at most 2^31 − 1), doubled per failure with jitter.
   */
  reconnect?: { initialDelayMs?: number | null; maxDelayMs?: number | null } | null;
  /**
   * Result batching window in ms (default 2; 0 = none; at most 2^31 − 1). A result goes at once
   * (after the current turn of the event loop) when every result sent before was acknowledged by
   * the manager, or the last send is a window old; otherwise it waits, with those that follow, for
   * those acknowledgements or the end of the window counted from that send, whichever comes first
   * (Nagle's rule: a worker producing one result at a time is not held, a busy one batches).
   */
  resultBatchMs?: number | null;
}
