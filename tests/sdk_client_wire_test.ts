/**
 * The SDK client against a manager whose answers are malformed (a buggy or hostile one, or a man in
 * the middle on plaintext) or lack a field a manager from before it does not send: a scripted fake
 * serving the management API's calls the test needs, with a real `Client` reaching it.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { loadProtocol } from "@tasks-executor/proto";
import { Client } from "../sdk/mod.ts";
import { listenLocal } from "./fixtures/grpc_listen.ts";

type Answer = (request: unknown) => unknown;

/** Serves the management service's `answers` on a port of its own; any other call UNIMPLEMENTED. */
async function fakeManager(answers: Record<string, Answer>) {
  const server = new grpc.Server();
  const { service } = loadProtocol().TaskExecutorManagerService;
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(service)) {
    handlers[method] = (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      const answer = answers[method];
      if (answer) callback(null, answer(call.request));
      else callback({ code: grpc.status.UNIMPLEMENTED });
    };
  }
  server.addService(service, handlers);
  const port = await listenLocal(server);
  return { address: `127.0.0.1:${port}`, [Symbol.dispose]: () => server.forceShutdown() };
}

const now = Math.floor(Date.now() / 1000);
/** Times no protobuf `Timestamp` allows; the first is past what a `Date` holds. */
const BAD_TIMES = [
  { seconds: 10_000_000_000_000, nanos: 0 },
  { seconds: 300_000_000_000, nanos: 0 },
  { seconds: now, nanos: 2_000_000_000 },
  { seconds: now, nanos: -1 },
];

Deno.test("a client takes a task's time that no protobuf Timestamp allows as unset: null where the time is optional, an Invalid Date where it is typed Date", async () => {
  for (const bad of BAD_TIMES) {
    using manager = await fakeManager({
      GetTask: () => ({
        task: {
          id: "t1",
          executorName: "dated",
          status: "TASK_STATUS_FAILED",
          attempt: 1,
          maxAttempts: 1,
          errors: [{ attempt: 1, message: "boom", at: bad, workerId: "w" }],
          runAt: bad,
          createdAt: bad,
          updatedAt: { seconds: now, nanos: 0 },
          startedAt: bad,
          completedAt: bad,
        },
      }),
    });
    using client = new Client({ address: manager.address });
    const task = await client.getTask("t1");
    const times = {
      runAt: task.runAt,
      createdAt: task.createdAt,
      startedAt: task.startedAt,
      completedAt: task.completedAt,
      errorAt: task.errors[0].at,
    };
    assert.deepEqual(
      { runAt: times.runAt, startedAt: times.startedAt, completedAt: times.completedAt },
      { runAt: null, startedAt: null, completedAt: null },
      JSON.stringify(bad),
    );
    // Typed Date: never null, whose getTime() would throw.
    for (const time of [times.createdAt, times.errorAt]) {
      assert.ok(time instanceof Date && Number.isNaN(time.getTime()), JSON.stringify(bad));
    }
    assert.equal(task.updatedAt.getTime(), now * 1000, "a valid time is read as sent");
  }
});

Deno.test("a client takes an executor's duration that no protobuf Duration allows as unset", async () => {
  using manager = await fakeManager({
    GetExecutor: () => ({
      executor: {
        id: "e1",
        name: "timed",
        enabled: true,
        retryPolicy: {
          type: "RETRY_POLICY_TYPE_CONSTANT",
          maxAttempts: 3,
          interval: { seconds: 1, nanos: -1 }, // nanos of the other sign
          maxInterval: { seconds: 400_000_000_000, nanos: 0 }, // past 10,000 years
        },
        dlqConfig: { enabled: true, queueName: "" },
        timeout: { seconds: 0, nanos: 1_000_000_000 }, // nanos past 999,999,999
        maxConcurrency: 1,
        createdAt: { seconds: now, nanos: 0 },
        updatedAt: { seconds: now, nanos: 0 },
      },
    }),
  });
  using client = new Client({ address: manager.address });
  const executor = await client.getExecutor("timed");
  assert.deepEqual(
    [executor.retryPolicy.interval, executor.retryPolicy.maxInterval, executor.timeout],
    [0, 0, 0],
  );
});

Deno.test("createTasksDetailed takes the manager's created flags, and reads them from the basic view when a manager from before the field sends none", async () => {
  const task = (id: string, data: unknown) => ({
    id,
    executorName: "e",
    status: "TASK_STATUS_PENDING",
    data,
    createdAt: { seconds: now, nanos: 0 },
    updatedAt: { seconds: now, nanos: 0 },
  });
  // The basic view: a task the call created comes without data, a key's earlier task whole.
  const tasks = [task("new", null), task("used", { stringValue: "before" })];
  const sent = [{ executorName: "e", data: "a" }, { executorName: "e", data: "b" }];
  for (
    const [flags, expected] of [
      [undefined, [true, false]],
      [[true, false], [true, false]],
      [[false, true], [false, true]], // the manager's word, not the view's mark
    ] as const
  ) {
    using manager = await fakeManager({
      CreateTasks: () => (flags ? { tasks, created: flags } : { tasks }),
    });
    using client = new Client({ address: manager.address });
    const answer = await client.createTasksDetailed(sent);
    assert.deepEqual(answer.created, expected, JSON.stringify(flags));
    assert.deepEqual(answer.tasks.map((t) => t.data), ["a", "before"]);
  }
});
