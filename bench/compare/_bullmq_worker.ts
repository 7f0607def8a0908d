/**
 * The BullMQ side's worker process: one BullMQ `Worker` with a no-op processor, telling the
 * producer (one JSON line per event on stdout) when it has run the number of jobs expected.
 *
 * Usage: `deno run -A bench/compare/_bullmq_worker.ts <host:port> <queue> <concurrency>`. Commands
 * on stdin, one per line: `expect <n>` (answered `{"event":"expecting"}`) and `quit`. Each job
 * returns `{ startedAt }`, the epoch time in ms (sub-ms precision) at which the processor was called,
 * as `bench/_worker.ts` does for our side.
 */
import { Worker } from "bullmq";
import { clock, emit, readCommands } from "../_shared.ts";

const [address, queueName, concurrencyText = "200"] = Deno.args;
if (!address || !queueName) {
  throw new Error("Usage: _bullmq_worker.ts <host:port> <queue> <concurrency>");
}
const [host, portText] = address.split(":");

let expected = 0;
let seen = 0;

const worker = new Worker(
  queueName,
  // deno-lint-ignore require-await -- BullMQ's processor type is async
  async (job) => {
    const startedAt = clock();
    if (expected > 0) {
      seen++;
      if (seen === expected) {
        // The last run of the batch: its job id lets the producer see when it is settled.
        emit({ event: "done", count: seen, lastJobId: job.id });
        expected = 0;
      }
    }
    return { startedAt };
  },
  { connection: { host, port: Number(portText) }, concurrency: Number(concurrencyText) },
);
worker.on("error", (error) => console.error(`BullMQ worker error: ${error.stack}`));
await worker.waitUntilReady();
emit({ event: "ready" });

// Commands from the producer; stdin closing means the producer is gone.
await readCommands((command, arg) => {
  if (command === "expect") {
    expected = Number(arg);
    seen = 0;
    emit({ event: "expecting", count: expected });
  }
  return command === "quit" ? "quit" : undefined;
});
await worker.close();
Deno.exit(0);
