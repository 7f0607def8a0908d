/**
 * Regression test for the Deno runtime pin: on Deno 2.8/2.9 a grpc-js server aborts the whole
 * process when a client closes a connection that carried ~100+ calls (denoland/deno#36788).
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";

const FIXTURE = new URL("./fixtures/grpc_server.ts", import.meta.url).pathname;
const CALLS = 300;
const ROUNDS = 4;

/** Reads a byte stream to its end as text, handing each complete line to `onLine`. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<string> {
  let all = "";
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    all += chunk;
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    lines.forEach(onLine);
  }
  return all;
}

Deno.test(`the gRPC server lives on after clients close connections that made ${CALLS} calls`, async () => {
  // A child process, so that an abort inside the runtime fails this test instead of the runner.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", FIXTURE],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const port = Promise.withResolvers<number>();
  const stdout = readLines(child.stdout, (line) => {
    if (line.startsWith("{")) port.resolve(JSON.parse(line).port);
  });
  const stderr = readLines(child.stderr, () => {});
  // Should the child die before it prints its port, say so rather than wait forever.
  status.then((s) => port.reject(new Error(`Server fixture exited early with code ${s.code}`)));
  const writer = child.stdin.getWriter();

  try {
    const serverPort = await port.promise;

    // One round is enough to abort a broken runtime, but the abort comes a moment after the
    // close and not every time: later rounds notice it without a sleep, and vary the pattern.
    for (let round = 0; round < ROUNDS; round++) {
      const client = managerClient(serverPort, { ownConnection: true });
      const call = (i: number) =>
        i % 2 === 0
          ? unary(client, "GetExecutor", { id: "ping" })
          : unary(client, "ListExecutors", {});
      try {
        if (round === 0) await unary(client, "CreateExecutor", { config: { name: "ping" } });
        if (round % 2 === 1) {
          await Promise.all(Array.from({ length: CALLS }, (_, i) => call(i)));
        } else {
          for (let i = 0; i < CALLS; i++) await call(i);
        }
      } finally {
        client.close();
      }
    }

    const second = managerClient(serverPort, { ownConnection: true });
    try {
      const { executors } = await unary<{ executors: { name: string }[] }>(
        second,
        "ListExecutors",
      );
      assert.deepEqual(executors.map((e) => e.name), ["ping"]);
    } finally {
      second.close();
    }
    assert.equal(exited, false, "the server process is alive");
  } catch (error) {
    if ((error as grpc.ServiceError).code === undefined) throw error;
    throw new Error(`A call failed; server stderr:\n${await stderr}`, { cause: error });
  } finally {
    await writer.close().catch(() => {});
    const { code, signal } = await status;
    const [, errors] = await Promise.all([stdout, stderr]);
    assert.equal(code, 0, `server exited with code ${code} (signal ${signal}):\n${errors}`);
  }
});
