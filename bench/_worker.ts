/**
 * The benchmark's worker process: serves one no-op executor through the SDK and tells the driver
 * (one JSON line per event on stdout) when it has run the number of tasks the driver expects.
 *
 * Usage: `deno run -A bench/_worker.ts <address> <executor> <concurrency> [write concern]`. Commands on stdin, one
 * per line: `expect <n>` (count handler runs from now on, and say `{"event":"done"}` at the n-th;
 * answered `{"event":"expecting"}`), `count` (answered `{"event":"count"}` with the runs counted
 * since the last `expect`, the first and last start times and the last task id: how a driver with
 * several workers, each running an unknown share, follows them) and `quit`. Each handler returns `{ startedAt }`, the epoch time in ms (sub-ms precision) at which it
 * was called, so the driver can measure enqueue → handler start from the task's result.
 */
import { Worker } from "../sdk/mod.ts";
import { clock, emit, readCommands } from "./_shared.ts";

const [address, executor = "bench_noop", concurrencyText = "512", writeConcern = "journaled"] =
  Deno.args;
if (!address) {
  throw new Error("Usage: _worker.ts <address> <executor> <concurrency> [write concern]");
}
const concurrency = Number(concurrencyText);
// Unset = the SDK's default result batching window.
const resultBatchMs = Deno.env.get("BENCH_RESULT_BATCH_MS");

/** The run at which to say "done" (0 = none). */
let expected = 0;
let seen = 0;
let firstAt = 0;
let lastAt = 0;
let lastTaskId = "";

const worker = new Worker({
  address,
  logger: false,
  handleSignals: true,
  shutdownGraceMs: 2000,
  resultBatchMs: resultBatchMs === undefined ? undefined : Number(resultBatchMs),
  executors: [{
    name: executor,
    concurrency,
    // No schema: validation is not what this benchmark measures.
    config: {
      retryPolicy: { maxAttempts: 3, interval: 100 },
      timeout: 60_000,
      writeConcern: writeConcern as "journaled",
    },
    handler: (_data: unknown, ctx) => {
      const startedAt = clock();
      if (seen === 0) firstAt = startedAt;
      seen++;
      lastAt = startedAt;
      lastTaskId = ctx.taskId;
      if (seen === expected) {
        // The last run of the batch: its task id lets the driver see when it is settled.
        emit({ event: "done", count: seen, firstAt, lastAt, lastTaskId });
        expected = 0;
      }
      return { startedAt };
    },
  }],
});

await worker.start();
emit({ event: "ready", workerId: worker.workerId });

// Commands from the driver; stdin closing means the driver is gone.
await readCommands((command, arg) => {
  if (command === "expect") {
    expected = Number(arg);
    seen = 0;
    firstAt = 0;
    emit({ event: "expecting", count: expected });
  } else if (command === "count") {
    emit({ event: "count", count: seen, firstAt, lastAt, lastTaskId });
  }
  return command === "quit" ? "quit" : undefined;
});
await worker.stop();
Deno.exit(0);
