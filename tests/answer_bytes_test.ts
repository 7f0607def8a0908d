/**
 * gRPC answers written and not yet taken by their clients are capped per connection
 * (MAX_CONNECTION_ANSWER_BYTES) and for the whole manager (MAX_ANSWER_BYTES_IN_FLIGHT): Deno's
 * `node:http2` keeps whatever a client does not read, and 300 `GetTask` calls of a 1.8 MB task on
 * a connection that read nothing took a manager 700 MB further each time.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { startTestManager, type TestManager } from "./_manager.ts";
import { deafConnection, stringsMessage } from "./fixtures/raw_h2.ts";
import { restOk } from "./fixtures/rest.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";
import {
  AnswerBytesInFlight,
  answersPiledUp,
  ENHANCE_YOUR_CALM,
} from "../server/grpc/answer_bytes.ts";

/** A socket whose writes complete at once (its client reads), or never (`deaf`). */
function socket(deaf = false): Duplex {
  return new Duplex({
    read() {},
    write(_chunk, _encoding, callback) {
      if (!deaf) callback();
    },
  });
}

/** An HTTP/2 DATA frame of `bytes` payload, as node:http2 writes it to the socket. */
function dataFrame(bytes: number): Buffer {
  const frame = Buffer.alloc(9 + bytes);
  frame.writeUIntBE(bytes, 0, 3);
  frame.writeUInt32BE(1, 5);
  return frame;
}

Deno.test("AnswerBytesInFlight: a connection holds what its streams wrote less the DATA its socket was handed and sent; past its cap an answer is refused, past the total the connection holding most is closed (or refused, when it is the one writing)", async () => {
  const answers = new AnswerBytesInFlight({ perConnection: 1000, total: 1500 });
  const reading = socket();
  answers.watch(reading);
  assert.equal(answers.admit(reading, 600), true);
  assert.equal(answers.held, 600);
  assert.equal(answers.admit(reading, 500), false, "1,100 would pass the connection's 1,000");
  assert.equal(answers.full(reading, 500), "MAX_CONNECTION_ANSWER_BYTES");
  reading.write(dataFrame(600));
  assert.equal(answers.held, 0, "handed to the socket and written");
  assert.equal(answersPiledUp(reading), false);
  assert.equal(answers.admit(reading, 500), true);

  // Handed to a socket that does not write: still held, in the socket's buffer.
  const deaf = socket(true);
  answers.watch(deaf);
  assert.equal(answers.admit(deaf, 800), true);
  deaf.write(dataFrame(800));
  assert.equal(answers.held, 500 + 809, "the frame's header is buffered too");
  assert.equal(answersPiledUp(deaf), true, "809 is half of 1,000 or more: pacing writers wait");

  // Below its even share (1,500 / 3) a connection is let through without a sum.
  const other = socket();
  answers.watch(other);
  assert.equal(answers.admit(other, 300), true);
  assert.equal(deaf.destroyed, false);
  // 500 + 809 + 300 + 250 would pass 1,500: the deaf connection holds most and is closed.
  assert.equal(answers.admit(other, 250), true);
  assert.equal(deaf.destroyed, true);
  assert.equal(answers.held, 1050);

  assert.equal(answers.admit(socket(), 5000), true, "a socket not watched is not counted");

  // The writer holds most itself: refused, nothing closed.
  const wide = new AnswerBytesInFlight({ perConnection: 5000, total: 1200 });
  const [most, less] = [socket(true), socket(true)];
  wide.watch(most);
  wide.watch(less);
  assert.equal(wide.admit(most, 900), true);
  assert.equal(wide.admit(less, 200), true);
  assert.equal(wide.full(most, 150), "MAX_ANSWER_BYTES_IN_FLIGHT");
  assert.equal(wide.admit(most, 150), false);
  assert.equal(most.destroyed || less.destroyed, false);
  const closed = new Promise((resolve) => most.once("close", resolve));
  most.destroy();
  await closed;
  assert.equal(wide.held, 200, "a closed connection is not counted");
});

/** What the manager's gauge says it holds. */
async function heldBytes(manager: TestManager): Promise<number> {
  const text = await (await fetch(`${manager.httpUrl}/metrics`)).text();
  const line = /^tasks_executor_answer_bytes_in_flight (\d+)$/m.exec(text);
  assert.ok(line, "the gauge is scraped");
  return Number(line[1]);
}

const CAP = 8 * 1024 * 1024;

Deno.test("a client that reads nothing is written MAX_CONNECTION_ANSWER_BYTES of answers at most, its other calls waiting their turn while other clients are served; once it reads, every call is answered", async () => {
  await using manager = await startTestManager({
    env: { MAX_CONNECTION_ANSWER_BYTES: String(CAP), MAX_ANSWER_BYTES_IN_FLIGHT: String(2 * CAP) },
  });
  await restOk(manager, "POST", "/executors", { config: { name: "big" } });
  const { task } = await restOk(manager, "POST", "/tasks", {
    executorName: "big",
    data: "a".repeat(900_000),
  });
  const port = Number(manager.grpcAddress.split(":")[1]);
  using deaf = await deafConnection(port);
  const calls = 40;
  for (let i = 0; i < calls; i++) {
    await deaf.call(
      "/taskexecutor.v1.TaskExecutorManagerService/GetTask",
      stringsMessage(1, [task.id]),
    );
  }
  // The answers written pile up to the cap, and no further: the rest wait.
  let held = 0;
  for (let i = 0; i < 500 && held < CAP - 2 * 900_000; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    held = await heldBytes(manager);
  }
  assert.ok(held >= CAP - 2 * 900_000, `answers pile up to the cap (${held})`);
  const client = managerClient(port, { ownConnection: true });
  try {
    const other = await unary<{ task: { id: string } }>(client, "GetTask", { id: task.id });
    assert.equal(other.task.id, task.id, "another connection is served meanwhile");
  } finally {
    client.close();
  }
  for (let i = 0; i < 20; i++) {
    assert.ok((held = await heldBytes(manager)) <= CAP, `at most the cap is held (${held})`);
  }

  const seen = await deaf.read(calls);
  const answered = [...seen.values()].filter((s) => s.ended && s.data > 900_000);
  assert.equal(answered.length, calls, JSON.stringify([...seen.values()].slice(0, 3)));
  assert.ok([...seen.values()].every((s) => s.reset === null));
  for (let i = 0; i < 500 && await heldBytes(manager) > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(await heldBytes(manager), 0);
});

Deno.test("a client that announces a window it does not read: its connection holds MAX_CONNECTION_ANSWER_BYTES of WatchTasks answers at most (its streams pause at half of it; one whose next answer would pass it is reset, RESOURCE_EXHAUSTED), and once it reads, the others' tasks all come", async () => {
  await using manager = await startTestManager({
    env: { MAX_CONNECTION_ANSWER_BYTES: String(CAP), MAX_ANSWER_BYTES_IN_FLIGHT: String(2 * CAP) },
  });
  await restOk(manager, "POST", "/executors", { config: { name: "big" } });
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    const { task } = await restOk(manager, "POST", "/tasks", {
      executorName: "big",
      data: "a".repeat(900_000),
    });
    ids.push(task.id);
  }
  await restOk(manager, "POST", "/tasks/cancel?executorName=big", {});
  const port = Number(manager.grpcAddress.split(":")[1]);
  using deaf = await deafConnection(port, { window: 2 ** 31 - 1 });
  const watches = 4;
  for (let i = 0; i < watches; i++) {
    await deaf.call(
      "/taskexecutor.v1.TaskExecutorManagerService/WatchTasks",
      stringsMessage(1, ids),
    );
  }
  let held = 0;
  for (let i = 0; i < 500 && held < CAP / 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    held = await heldBytes(manager);
  }
  assert.ok(held >= CAP / 2, `answers pile up to half the cap (${held})`);
  for (let i = 0; i < 20; i++) {
    assert.ok((held = await heldBytes(manager)) <= CAP, `at most the cap is held (${held})`);
  }
  const seen = await deaf.read(watches);
  for (const stream of seen.values()) {
    if (stream.reset !== null) assert.equal(stream.reset, ENHANCE_YOUR_CALM);
    else assert.ok(stream.ended && stream.data > 10 * 900_000, JSON.stringify(stream));
  }
});

Deno.test("server-streaming calls hold no place of their connection's turns: with 40 WatchTasks waiting on one connection, a unary call on it is answered", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { config: { name: "waiting" } });
  const { task } = await restOk(manager, "POST", "/tasks", { executorName: "waiting" });
  const client = managerClient(Number(manager.grpcAddress.split(":")[1]), { ownConnection: true });
  const watches: { cancel(): void }[] = [];
  try {
    const watch = (client as unknown as Record<
      string,
      (request: unknown) => { on(event: string, f: () => void): unknown; cancel(): void }
    >).WatchTasks;
    for (let i = 0; i < 40; i++) {
      const call = watch.call(client, { taskIds: [task.id] });
      call.on("error", () => {});
      watches.push(call);
    }
    let timer: number | undefined;
    const answered = await Promise.race([
      unary<{ task: { id: string } }>(client, "GetTask", { id: task.id }),
      // A guard against a hang, not a measure: the call waits for nothing when it passes.
      new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 30_000)),
    ]);
    clearTimeout(timer);
    assert.equal(answered?.task.id, task.id, "the unary call is answered");
  } finally {
    for (const call of watches) call.cancel();
    client.close();
  }
});
