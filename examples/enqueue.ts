/**
 * Example client: enqueues a few `my_handler` tasks and prints how each ended. Run it while
 * examples/my_handler_worker.ts runs: `deno run -A examples/enqueue.ts`.
 */
import process from "node:process";
import { Client, InvalidArgumentError } from "../sdk/mod.ts";

using client = new Client({ address: process.env.MANAGER_ADDRESS ?? "localhost:50051" });

try {
  await client.createTask("my_handler", { msg: "typo" });
} catch (error) {
  // The manager checks the data against the executor's schema before storing the task.
  if (error instanceof InvalidArgumentError) console.log("Refused:", error.message);
  else throw error;
}

const tasks = await client.createTasks([
  { executorName: "my_handler", data: { message: "hello" } },
  { executorName: "my_handler", data: { message: "flaky", failTimes: 2 } },
  { executorName: "my_handler", data: { message: "poison" } },
]);
for (const task of tasks) {
  const done = await client.waitForTask(task.id, { timeoutMs: 60_000 });
  console.log(done.id, done.status, done.attempt, done.result ?? done.errors.at(-1)?.message);
}
