/**
 * The CPU budget of a validation process's steps, enforced inside the process (see
 * `validation_worker.ts`): a watchdog thread (a Web Worker) reads the CPU time the process has
 * used since the current step began, and once it passes the step's budget it writes the
 * protocol's `overrun` line to stdout itself, while the main thread is still busy in the step.
 *
 * Why CPU time and not wall time: the budget bounds the work a schema or its data makes (hostile
 * schemas are exponential). Timed by the wall clock, a process that got little CPU on a loaded
 * machine (load average 12 on 2 cores) ran past 250 ms on `{"to":"ada@example.com"}`, and valid
 * data was refused as too slow to check. The manager's wall-clock timer stays as a backstop for a
 * process that stops answering (`ValidationPool`), and what it ends is answered "busy, retry".
 *
 * The two threads share one `SharedArrayBuffer`. The main thread arms a step (its job, index,
 * budget and the process's CPU time at its start: `process.cpuUsage()`, about 1 µs, no permission
 * needed) and ends it; the watchdog claims an overrun of the live step by compare-and-swap, so
 * exactly one of them closes a step, and the main thread writes nothing while a claimed verdict
 * is being written (a long line of its own could interleave with it in the pipe).
 * @module
 */
import { cpuUsage } from "node:process";

/** How often the watchdog looks at a live step's CPU time, in ms. */
export const WATCHDOG_CHECK_MS = 10;

// Int32 slots of the shared buffer.
/** The live step's serial number (> 0); `0`: no step live; `CLAIMED`, `WRITTEN`: its verdict. */
const STATE = 0;
const JOB = 1;
const INDEX = 2;
/** Never written: the watchdog sleeps on it between its looks. */
const SLEEP = 3;
// Float64 slots, from byte 16.
const START_MS = 0;
const BUDGET_MS = 1;

/** The watchdog claimed the live step's overrun and is writing its line. */
const CLAIMED = -1;
/** The overrun line is written. */
const WRITTEN = -2;

/**
 * The watchdog thread's code: JavaScript run from a `data:` URL, as the process may read no file
 * (it has no permissions) and may be one bundled file. Its stdout write needs no permission.
 */
const WATCHDOG_SOURCE = `
import { cpuUsage } from "node:process";
self.onmessage = ({ data }) => {
  const ints = new Int32Array(data, 0, 4);
  const floats = new Float64Array(data, 16, 2);
  const encoder = new TextEncoder();
  self.postMessage("up");
  for (;;) {
    const state = Atomics.load(ints, ${STATE});
    if (state <= 0) {
      Atomics.wait(ints, ${STATE}, state);
      continue;
    }
    const job = ints[${JOB}], index = ints[${INDEX}];
    const start = floats[${START_MS}], budget = floats[${BUDGET_MS}];
    const { user, system } = cpuUsage();
    if ((user + system) / 1000 - start > budget && Atomics.load(ints, ${STATE}) === state) {
      if (Atomics.compareExchange(ints, ${STATE}, state, ${CLAIMED}) === state) {
        const line = JSON.stringify({ type: "overrun", job, index }) + "\\n";
        const bytes = encoder.encode(line);
        for (let written = 0; written < bytes.length;) {
          written += Deno.stdout.writeSync(bytes.subarray(written));
        }
        Atomics.store(ints, ${STATE}, ${WRITTEN});
        Atomics.notify(ints, ${STATE});
        continue;
      }
    }
    Atomics.wait(ints, ${SLEEP}, 0, ${WATCHDOG_CHECK_MS});
  }
};
`;

/** The process's CPU time so far, in ms. */
function cpuMs(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

/** The main thread's side of the watchdog: arms and ends each step. */
export class Watchdog {
  readonly #ints: Int32Array;
  readonly #floats: Float64Array;
  /** The watchdog thread, held as long as the process runs (it ends with it). */
  readonly #worker: Worker;
  #serial = 0;

  private constructor(buffer: SharedArrayBuffer, worker: Worker) {
    this.#ints = new Int32Array(buffer, 0, 4);
    this.#floats = new Float64Array(buffer, 16, 2);
    this.#worker = worker;
  }

  /** Starts the watchdog thread; resolves once it watches. */
  static async start(): Promise<Watchdog> {
    const buffer = new SharedArrayBuffer(32);
    const url = `data:application/javascript,${encodeURIComponent(WATCHDOG_SOURCE)}`;
    const worker = new Worker(url, { type: "module" });
    const up = new Promise<void>((resolve, reject) => {
      worker.onmessage = () => resolve();
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(`The validation watchdog did not start: ${event.message}`));
      };
    });
    worker.postMessage(buffer);
    await up;
    return new Watchdog(buffer, worker);
  }

  /** Step `index` of job `job` begins now, with `budgetMs` of the process's CPU time. */
  arm(job: number, index: number, budgetMs: number): void {
    this.#ints[JOB] = job;
    this.#ints[INDEX] = index;
    this.#floats[BUDGET_MS] = budgetMs;
    this.#floats[START_MS] = cpuMs();
    this.#serial = (this.#serial % 0x7fffffff) + 1;
    Atomics.store(this.#ints, STATE, this.#serial);
    Atomics.notify(this.#ints, STATE);
  }

  /**
   * The live step is over: nothing more is judged of it. When the watchdog claimed its overrun
   * first, waits until the overrun line is written (the manager kills the process on it).
   */
  end(): void {
    if (Atomics.compareExchange(this.#ints, STATE, this.#serial, 0) === this.#serial) return;
    while (Atomics.load(this.#ints, STATE) === CLAIMED) Atomics.wait(this.#ints, STATE, CLAIMED);
    Atomics.store(this.#ints, STATE, 0);
  }
}
