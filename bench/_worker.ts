/**
 * The benchmark's worker process: serves one no-op executor through the SDK and tells the driver
 * (one JSON line per event on stdout) when it has run the number of tasks the driver expects.
 *
 * Usage: `deno run -A bench/_worker.ts <address> <executor> <concurrency> [write concern]`. Commands on stdin, one
 * per line: `expect <n>` (count the next n handler runs; answered `{"event":"expecting"}`) and
 * `quit`. Each handler returns `{ startedAt }`, the epoch time in ms (sub-ms precision) at which it
 * was called, so the driver can measure enqueue → handler start from the task's result.
 */
import { Worker } from "../sdk/mod.ts";

const [address, executor = "bench_noop", concurrencyText = "512", writeConcern = "journaled"] =
  Deno.args;
if (!address) {
  throw new Error("Usage: _worker.ts <address> <executor> <concurrency> [write concern]");
}
const concurrency = Number(concurrencyText);
// Unset = the SDK's default result batching window.
const resultBatchMs = Deno.env.get("BENCH_RESULT_BATCH_MS");

const encoder = new TextEncoder();
/** Writes one event line; stdout is a pipe read line by line by the driver. */
function emit(event: Record<string, unknown>): void {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(event) + "\n"));
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
const clock = () => performance.timeOrigin + performance.now();

let expected = 0;
let seen = 0;
let firstAt = 0;

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
      if (expected > 0) {
        if (seen === 0) firstAt = startedAt;
        seen++;
        if (seen === expected) {
          // The last run of the batch: its task id lets the driver see when it is settled.
          emit({ event: "done", count: seen, firstAt, lastAt: startedAt, lastTaskId: ctx.taskId });
          expected = 0;
        }
      }
      return { startedAt };
    },
  }],
});

await worker.start();
emit({ event: "ready", workerId: worker.workerId });

// Commands from the driver; stdin closing means the driver is gone.
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let buffer = "";
for await (const chunk of lines) {
  buffer += chunk;
  let newline: number;
  while ((newline = buffer.indexOf("\n")) >= 0) {
    const [command, arg] = buffer.slice(0, newline).trim().split(/\s+/);
    buffer = buffer.slice(newline + 1);
    if (command === "expect") {
      expected = Number(arg);
      seen = 0;
      firstAt = 0;
      emit({ event: "expecting", count: expected });
    } else if (command === "quit") {
      await worker.stop();
      Deno.exit(0);
    }
  }
}
await worker.stop();
Deno.exit(0);
