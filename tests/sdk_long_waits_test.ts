/**
 * Waits whose timeout is longer than a timer keeps (2^31 − 1 ms, 24.8 days): past it a timer fires
 * after 1 ms, and a wait of 30 days on a real manager ended at once, so they wait in steps.
 */
import assert from "node:assert/strict";
import { Client } from "../sdk/mod.ts";
import { startTestManager } from "./_manager.ts";

const DAYS_30 = 30 * 86_400_000;

Deno.test("waits with a timeoutMs longer than a timer keeps wait for their tasks, in steps: 30 days ended after 1 ms", async () => {
  await using manager = await startTestManager();
  using client = new Client({ address: manager.grpcAddress });
  await client.createExecutor("far", {});
  const one = await client.createTask("far", {});
  const two = await client.createTask("far", {});
  const created = Promise.withResolvers<string>();
  const waits = [
    client.waitForTask(one.id, { timeoutMs: DAYS_30 }),
    client.waitForTasks([one.id, two.id], { timeoutMs: DAYS_30 }).then((tasks) => tasks[1]),
    client.createTaskAndWait("far", {}, {
      timeoutMs: DAYS_30,
      onCreated: (task) => created.resolve(task.id),
    }),
  ];
  const ended: string[] = [];
  waits.forEach((wait, i) =>
    wait.then(() => ended.push(`wait ${i}`), (error) => ended.push(`wait ${i}: ${error}`))
  );
  waits[2].catch((error) => created.reject(error));
  const three = await created.promise;
  // Nothing ends them but their tasks, cancelled once each wait had a turn to time out.
  await new Promise((resolve) => setTimeout(resolve, 100));
  ended.push("cancelled");
  for (const id of [one.id, two.id, three]) await client.cancelTask(id);
  const tasks = await Promise.all(waits);
  assert.deepEqual(tasks.map((task) => task.status), ["cancelled", "cancelled", "cancelled"]);
  assert.equal(ended[0], "cancelled", ended.join("; "));
});
