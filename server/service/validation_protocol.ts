/**
 * The messages between `ValidationPool` and its workers (`validation_worker.ts`), and the layout
 * of the shared progress cells through which a worker says which step it is on.
 * @module
 */
import type { FieldViolationMessage } from "@tasks-executor/proto";

/** The name every validation worker is started with (`Worker` option `name`). */
export const VALIDATION_WORKER_NAME = "tasks-executor-validation";

/** Int32 cell: the job the worker is on. */
export const PROGRESS_JOB = 0;
/** Int32 cell: the step of that job (`-1`: compiling its schema; `i`: checking item `i`). */
export const PROGRESS_INDEX = 1;
/** Float64 cell (bytes 8–15): when that step began, in epoch ms (`performance.timeOrigin` based). */
export const PROGRESS_STARTED = 0;
/**
 * Most violations one job reports, over all its items: a schema can find millions in small data
 * (`oneOf` over recursive `$ref`s), and an answer that long would hold the event loop instead.
 */
export const MAX_VIOLATIONS = 100;
/** Size of the shared progress buffer, in bytes. */
export const PROGRESS_BYTES = 16;

/** From the pool to a worker. */
export type WorkerRequest =
  /** Sent once, first: the shared progress buffer (`PROGRESS_BYTES`). */
  | { type: "start"; progress: SharedArrayBuffer }
  /** Compile a schema and keep nothing: does it compile, and how long does it take? */
  | { type: "compile"; job: number; schema: unknown }
  /**
   * Check `items` against executor `key`'s schema as of `version`; `schema` is sent when the
   * worker does not hold that version yet.
   */
  | {
    type: "validate";
    job: number;
    key: string;
    version: number;
    schema?: unknown;
    items: unknown[];
  }
  /** Drop the validator of executor `key`. No answer. */
  | { type: "forget"; key: string };

/** From a worker to the pool. */
export type WorkerReply =
  /** The worker has loaded and takes requests. */
  | { type: "ready" }
  /** A job finished: the violations of each item (empty lists for a compile). */
  | { type: "done"; job: number; results: FieldViolationMessage[][] }
  /**
   * A job failed: the schema does not compile (`pointer` names the spot inside it), or something
   * unexpected happened (`pointer` is `null`).
   */
  | { type: "failed"; job: number; message: string; pointer: string | null };
