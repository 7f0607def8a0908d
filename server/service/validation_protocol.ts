/**
 * The lines between `ValidationPool` and its validation processes (`validation_worker.ts`): one
 * JSON message per line, on the process's stdin and stdout.
 * @module
 */
import type { FieldViolationMessage } from "@tasks-executor/proto";

/**
 * The argument that makes the bundled manager file run as a validation process instead (see
 * `validation_role.ts`). The two arguments after it are the budgets of its steps, in ms of its CPU
 * time: compiling a schema, then checking one item.
 */
export const VALIDATION_WORKER_ARG = "--tasks-executor-validation-worker";

/**
 * Most violations one job reports, over all its items: a schema can find millions in small data
 * (`oneOf` over recursive `$ref`s), and an answer that long would hold the event loop instead.
 */
export const MAX_VIOLATIONS = 100;

/**
 * How long a process checks the items of one job before it answers with those checked so far, in
 * ms: the pool sends the rest again after the other executors' jobs waiting have had their turn,
 * so that a batch of thousands of items that each take most of their budget delays another
 * executor's job by about this much, not by the whole batch (two batches of 120 items of 43 ms
 * each took another executor's create from 8 ms to 14.9 s).
 */
export const VALIDATION_SLICE_MS = 50;

/** From the pool to a process. */
export type WorkerRequest =
  /** Compile a schema and keep nothing: does it compile, and how long does it take? */
  | { type: "compile"; job: number; schema: unknown }
  /**
   * Check `items` against executor `key`'s schema as of `version`; `schema` is sent when the
   * process does not hold that version yet. `room`: violations the job may still report
   * (`MAX_VIOLATIONS` less those its earlier parts found).
   */
  | {
    type: "validate";
    job: number;
    key: string;
    version: number;
    schema?: unknown;
    items: unknown[];
    room: number;
  }
  /** Drop the validator of executor `key`. No answer. */
  | { type: "forget"; key: string };

/** From a process to the pool. */
export type WorkerReply =
  /** The process has loaded and takes requests. */
  | { type: "ready" }
  /** Job `job` begins step `index` (`-1`: compiling its schema; `i`: checking item `i`). */
  | { type: "step"; job: number; index: number }
  /**
   * Step `index` of job `job` has used its budget of the process's CPU time and is still running
   * (written by the process's watchdog thread): the pool kills the process.
   */
  | { type: "overrun"; job: number; index: number }
  /**
   * A job finished: the violations of each item (empty lists for a compile). Fewer results than
   * items: those were checked before `VALIDATION_SLICE_MS` ran out, the rest were not.
   */
  | { type: "done"; job: number; results: FieldViolationMessage[][] }
  /**
   * A job failed: the schema does not compile (`pointer` names the spot inside it), or something
   * unexpected happened (`pointer` is `null`).
   */
  | { type: "failed"; job: number; message: string; pointer: string | null };

/**
 * Cuts text that arrives in chunks into the lines it holds (without their `\n`), each line once
 * whole. A chunk is searched from its own start only and a line's parts are joined once: searching
 * the text held from its start at each chunk, and appending to it, read a request of 4 MB of task
 * data in 64 KiB chunks in 134 ms (660 ms in 16 KiB chunks), not 2 ms.
 *
 * @example
 * ```ts
 * const lines = new LineSplitter();
 * console.log(lines.push('{"a":')); // []
 * console.log(lines.push('1}\n{"b":2}\n{')); // ['{"a":1}', '{"b":2}']
 * ```
 */
export class LineSplitter {
  /** The parts of the line not ended yet. */
  #parts: string[] = [];

  /** The lines `text` ends, in order; what follows the last `\n` waits for the next chunk. */
  push(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let end; (end = text.indexOf("\n", start)) >= 0; start = end + 1) {
      this.#parts.push(text.slice(start, end));
      lines.push(this.#parts.join(""));
      this.#parts = [];
    }
    if (start < text.length) this.#parts.push(text.slice(start));
    return lines;
  }
}
