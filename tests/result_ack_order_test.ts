/**
 * The acks of a results message answer its results in their order, results refused as they were
 * read (no lease token, an id too long) among them: a worker matches the acks of one task to its
 * results in the order it sent them. On a real engine and gRPC server over SQLite, with a raw
 * `Work` stream and the unary `ReportResults`.
 */
import assert from "node:assert/strict";
import type { ResultAckMessage } from "@tasks-executor/proto";
import { startEngineStack } from "./fixtures/engine_stack.ts";
import { TestWorker, workerClient } from "./fixtures/test_worker.ts";

/** What each ack says, in order: `taskId accepted` or `taskId refused`. */
function answers(acks: ResultAckMessage[]): string[] {
  return acks.map((ack) => `${ack.taskId} ${ack.accepted ? "accepted" : "refused"}`);
}

Deno.test("acks answer a Work stream's results in their order, those refused as read among them", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "ordered", timeout: 60_000 });
  await using worker = await TestWorker.connect(stack.address, {
    workerId: "w1",
    executors: ["ordered"],
  });
  const [a, b] = await stack.enqueue("ordered", [1, 2]);
  worker.credit("ordered", 2);
  const leased = await worker.assigned(2);
  const tokenOf = (id: string) => leased.find((x) => x.taskId === id)!.leaseToken;
  const mark = worker.received.length;
  // a's result sent first without its token (refused as read), then again with it; b's after.
  worker.send({
    results: {
      results: [
        { taskId: a, leaseToken: "", ok: true, resultJson: "1" },
        { taskId: a, leaseToken: tokenOf(a), ok: true, resultJson: "1" },
        { taskId: b, leaseToken: tokenOf(b), ok: true, resultJson: "2" },
        { taskId: b, leaseToken: "", ok: true, resultJson: "2" },
      ],
    },
  });
  assert.deepEqual(answers(await worker.acks(mark)), [
    `${a} refused`,
    `${a} accepted`,
    `${b} accepted`,
    `${b} refused`,
  ]);
});

Deno.test("acks answer ReportResults' results in their order, those refused as read among them", async () => {
  await using stack = await startEngineStack();
  await stack.executor({ name: "ordered", timeout: 60_000 });
  const [a] = await stack.enqueue("ordered", [1]);
  const { client, call } = workerClient(stack.address);
  try {
    const { tasks } = await call<{ tasks: { taskId: string; leaseToken: string }[] }>(
      "GetNextTask",
      { workerId: "w1", executors: ["ordered"], maxTasks: 1 },
    );
    const { acks } = await call<{ acks: ResultAckMessage[] }>("ReportResults", {
      workerId: "w1",
      results: [
        { taskId: a, leaseToken: "", ok: true, resultJson: "1" },
        { taskId: a, leaseToken: tasks[0].leaseToken, ok: true, resultJson: "1" },
      ],
    });
    assert.deepEqual(answers(acks), [`${a} refused`, `${a} accepted`]);
  } finally {
    client.close();
  }
});
