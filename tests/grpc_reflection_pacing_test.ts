/**
 * Reflection is open to every client: one that sends requests and reads no answer makes the
 * manager hold one answer at a time, not one per request.
 */
import assert from "node:assert/strict";
import { ReflectionV1Implementation } from "@grpc/reflection/build/src/implementations/reflection-v1.js";
import { startGrpcStack } from "./fixtures/grpc_stack.ts";
import { stalledCall, stringsMessage } from "./fixtures/raw_h2.ts";

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

Deno.test("a reflection client that sends 200 requests and reads nothing gets answers made one window at a time, and all once it reads", async () => {
  await using stack = await startGrpcStack();
  // Counts the answers made (each the whole descriptor set of the manager's service).
  let answers = 0;
  const handle = ReflectionV1Implementation.prototype.handleServerReflectionRequest;
  ReflectionV1Implementation.prototype.handleServerReflectionRequest = function (...args) {
    answers++;
    return handle.apply(this, args);
  };
  try {
    const request = stringsMessage(4, ["taskexecutor.v1.TaskExecutorManagerService"]);
    using call = await stalledCall(
      stack.server.port,
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      Array.from({ length: 200 }, () => request),
      { end: false },
    );
    await waitUntil(() => answers >= 1);
    // Unpaced, all 200 would be made and queued within this time; paced, none more is.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(answers <= 3, `${answers} of 200 answers made for a client that reads nothing`);
    call.drain();
    await call.openWindow(2 ** 30);
    await waitUntil(() => answers === 200);
  } finally {
    ReflectionV1Implementation.prototype.handleServerReflectionRequest = handle;
  }
});
