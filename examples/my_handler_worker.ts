/**
 * Example worker: the original system's `my_handler`, with a JSON Schema for its data. Run a
 * manager, then `deno run -A examples/my_handler_worker.ts` (MANAGER_ADDRESS, default
 * localhost:50051); enqueue with `deno run -A examples/enqueue.ts`.
 */
import process from "node:process";
import { defineExecutor, ManagerError, NonRetryableError, Worker } from "../sdk/mod.ts";

/** The data `my_handler` takes. */
interface MyHandlerData {
  message: string;
  /** Make the handler fail this many attempts first (to watch retries). */
  failTimes?: number;
}

/** The original `my_handler`: echoes the message, upper-cased, with the attempt that did it. */
export const myHandler = defineExecutor<MyHandlerData, { echoed: string; attempt: number }>({
  name: "my_handler",
  concurrency: 4,
  config: {
    taskSchema: {
      type: "object",
      required: ["message"],
      additionalProperties: false,
      properties: {
        message: { type: "string", minLength: 1, maxLength: 1000 },
        failTimes: { type: "integer", minimum: 0, maximum: 10 },
      },
    },
    retryPolicy: { type: "exponential", maxAttempts: 5, interval: 500, maxInterval: 10_000 },
    dlqConfig: { enabled: true },
    timeout: 30_000,
  },
  handler: async (data, ctx) => {
    if (data.message === "poison") throw new NonRetryableError("Refusing the poison message");
    if (ctx.attempt <= (data.failTimes ?? 0)) {
      throw new Error(`Simulated failure on attempt ${ctx.attempt}`);
    }
    // Pretend to work, stopping early if the task is cancelled or the worker shuts down.
    await new Promise((resolve) => setTimeout(resolve, 100));
    ctx.signal.throwIfAborted();
    return { echoed: data.message.toUpperCase(), attempt: ctx.attempt };
  },
});

if (import.meta.main) {
  const worker = new Worker({
    address: process.env.MANAGER_ADDRESS ?? "localhost:50051",
    executors: [myHandler],
  });
  try {
    await worker.start(); // Ctrl+C drains: running tasks finish, then the worker exits
    await worker.closed;
  } catch (error) {
    // A refused API key (or configuration): the worker has logged why; exit without a stack.
    if (!(error instanceof ManagerError)) throw error;
    process.exitCode = 1;
  }
}
