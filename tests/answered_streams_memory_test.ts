/**
 * Messages queued for a call that is answered. grpc-js cuts every message of a DATA frame at once
 * and queues them decoded until they are read; one 16 KiB frame holds 3,276 empty messages. A
 * `Produce` stream is answered (ended INVALID_ARGUMENT) at its first empty message, a request id of
 * 0, and grpc-js kept the other 3,275 for as long as the client kept its side of the stream open:
 * 100 such streams held about 180 MB of the manager (a connection may have 1,000 streams).
 *
 * The manager runs in a process of its own, its V8 old space capped at 100 MB, so that what is
 * garbage is collected and only what is kept counts: before, it ran out of memory and died.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { startManagerProcess } from "./fixtures/manager_process.ts";
import { grpcStatusOf, grpcStream } from "./fixtures/raw_h2.ts";

const PRODUCE = "/taskexecutor.v1.TaskExecutorManagerService/Produce";
const STREAMS = 100;
/** Empty messages in one 16 KiB DATA frame: 5 bytes each (a flag of 0 and a length of 0). */
const MESSAGES_EACH = Math.floor(16_384 / 5);
/** Half of what the streams' queued messages held before (about 180 MB). */
const BOUND = 90e6;

Deno.test({
  name:
    `${STREAMS} Produce streams answered at the first of ${MESSAGES_EACH} empty messages, held open, keep none of the others (the manager grows by less than ${
      BOUND / 1e6
    } MB)`,
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using manager = await startManagerProcess({ DENO_V8_FLAGS: "--max-old-space-size=100" });
    const { admin, grpcPort } = manager;
    const before = manager.rss();
    const session = http2.connect(`http://127.0.0.1:${grpcPort}`);
    session.on("error", () => {});
    const frame = new Uint8Array(MESSAGES_EACH * 5);
    const calls = Array.from({ length: STREAMS }, () => {
      const call = grpcStream(session, PRODUCE, { authorization: `Bearer ${admin}` });
      call.resume();
      call.write(frame);
      return call;
    });
    try {
      const statuses = await Promise.all(
        calls.map((call) =>
          grpcStatusOf(call).catch((error) => ({ status: "none", message: String(error) }))
        ),
      );
      for (const { status, message } of statuses) {
        assert.equal(status, "3", message);
        assert.match(message, /Request id 0 cannot be used/);
      }
      // The streams are still open on the client's side: what the manager keeps for them, it
      // keeps now.
      assert.ok(await manager.healthy(), `the manager is gone\n${manager.proc.describe()}`);
      const grown = manager.rss() - before;
      assert.ok(grown < BOUND, `grew by ${(grown / 1e6).toFixed(0)} MB`);
    } finally {
      for (const call of calls) call.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
    }
  },
});
