/**
 * Request bodies sent a byte at a time. Deno hands each read of a request body as a view into a
 * 64 KiB buffer of its own, however few bytes the read brought: a reader that kept the views kept
 * the buffers. Before, a client with no API key sending login bodies (`POST /api/v1/session`) one
 * byte per DATA frame over 50 HTTP/2 streams took a manager from 0.17 GB to 5 GB in 12 s, while
 * its account of request bytes in flight (MAX_REQUEST_BYTES_IN_FLIGHT) counted a few hundred KB.
 *
 * The manager runs in a process of its own, one per test, so that its resident memory
 * (/proc/PID/status) is its own. Each byte is sent once the manager's account shows it has read
 * the one before (the `tasks_executor_request_bytes_in_flight` metric), so every byte is a read of
 * its own; the memory is read while all the bodies are still arriving.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { type ManagerProcess, startManagerProcess } from "./fixtures/manager_process.ts";
import { byteFrames, grpcStream } from "./fixtures/raw_h2.ts";

const GET_TASK = "/taskexecutor.v1.TaskExecutorManagerService/GetTask";

/** Bodies under way at once, and the bytes each sends one read at a time. */
const BODIES = 16;
const BYTES_EACH = 200;
/**
 * A quarter of what the reads' 64 KiB buffers take (16 × 200 × 64 KiB = 210 MB): before, the
 * manager grew by 185 MB over HTTP/2 and over HTTP/1.1 alike; now by 6 to 11 MB.
 */
const BOUND = (BODIES * BYTES_EACH * 64 * 1024) / 4;

const LINUX = Deno.build.os === "linux";

/** What each login body's first buffer holds on the account from the start, besides its bytes. */
const FIRST_BUFFER = 1024;

Deno.test({
  name:
    `${BODIES} login bodies trickled a byte per read over HTTP/2 streams of one connection (${BYTES_EACH} reads each) grow the manager by less than ${
      mb(BOUND)
    }, a quarter of what their reads' 64 KiB buffers take`,
  ignore: !LINUX,
  async fn() {
    await using manager = await managerProcess();
    const session = http2.connect(manager.base);
    session.on("error", () => {});
    const answered: Promise<number>[] = [];
    const streams = Array.from({ length: BODIES }, () => {
      const stream = session.request({
        ":method": "POST",
        ":path": "/api/v1/session",
        "content-type": "application/json",
        "content-length": "4000",
      });
      answered.push(
        new Promise((resolve) => {
          stream.on("response", (headers) => resolve(Number(headers[":status"])));
          stream.on("close", () => resolve(0));
        }),
      );
      stream.on("error", () => {});
      stream.resume();
      return stream;
    });
    try {
      const grown = await manager.trickle((i) => streams[i].write("a"), BODIES * FIRST_BUFFER);
      assert.ok(grown < BOUND, `${BODIES * BYTES_EACH} one-byte reads grew it by ${mb(grown)}`);
    } finally {
      for (const stream of streams) stream.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
    }
    // No answer came while the bodies were unfinished.
    assert.deepEqual(new Set(await Promise.all(answered)), new Set([0]));
  },
});

Deno.test({
  name:
    `${BODIES} login bodies trickled a byte per read over HTTP/1.1 connections (${BYTES_EACH} reads each) grow the manager by less than ${
      mb(BOUND)
    }`,
  ignore: !LINUX,
  async fn() {
    await using manager = await managerProcess();
    const conns = await Promise.all(
      Array.from(
        { length: BODIES },
        () => Deno.connect({ hostname: "127.0.0.1", port: manager.port }),
      ),
    );
    try {
      const head = new TextEncoder().encode(
        `POST /api/v1/session HTTP/1.1\r\nhost: 127.0.0.1:${manager.port}\r\n` +
          "content-type: application/json\r\ncontent-length: 4000\r\n\r\n",
      );
      await Promise.all(conns.map((conn) => write(conn, head)));
      const byte = new Uint8Array([0x61]);
      const writes: Promise<void>[] = [];
      const grown = await manager.trickle(
        (i) => writes.push(write(conns[i], byte)),
        BODIES * FIRST_BUFFER,
      );
      await Promise.all(writes);
      assert.ok(grown < BOUND, `${BODIES * BYTES_EACH} one-byte reads grew it by ${mb(grown)}`);
    } finally {
      for (const conn of conns) conn.close();
    }
  },
});

Deno.test({
  name:
    `${BODIES} gRPC messages trickled a byte per DATA frame on calls of one connection (${BYTES_EACH} frames each) grow the manager by less than ${
      mb(BOUND)
    } (3 MB measured: node:http2 copies each frame's payload out of what it reads)`,
  ignore: !LINUX,
  async fn() {
    await using manager = await managerProcess();
    const session = http2.connect(`http://127.0.0.1:${manager.grpcPort}`);
    session.on("error", () => {});
    const calls = Array.from({ length: BODIES }, () => {
      const call = grpcStream(session, GET_TASK, { authorization: `Bearer ${manager.admin}` });
      call.resume();
      return call;
    });
    try {
      // A GetTaskRequest of 4,000 bytes announced, its bytes to come one a frame.
      const prefix = new Uint8Array(5);
      new DataView(prefix.buffer).setUint32(1, 4000);
      for (const call of calls) call.write(prefix);
      // Each call's message holds its prefix besides the bytes trickled.
      const grown = await manager.trickle((i) => calls[i].write("a"), 5 * BODIES);
      assert.ok(grown < BOUND, `${BODIES * BYTES_EACH} one-byte frames grew it by ${mb(grown)}`);
    } finally {
      for (const call of calls) call.close(http2.constants.NGHTTP2_CANCEL);
      session.close();
    }
  },
});

/**
 * Calls and one-byte frames of the fast trickle: grpc-js's decoder kept a view of each frame's
 * payload until its message was whole, about 500 bytes of the manager's memory a frame (231 MB
 * for these 451,600 frames, the account counting 451,600 bytes); now 54 to 70 MB, the garbage of
 * the reads (twice as many frames grow it no further).
 */
const FAST_CALLS = 16;
const FAST_FRAMES_EACH = 28_225;
const FAST_BOUND = FAST_CALLS * FAST_FRAMES_EACH * 256;

Deno.test({
  name:
    `${FAST_CALLS} gRPC messages sent a byte per DATA frame as fast as the connection takes them (${FAST_FRAMES_EACH} frames each) grow the manager by less than ${
      mb(FAST_BOUND)
    }, 256 bytes a frame (231 MB before: a view kept per frame)`,
  ignore: !LINUX,
  async fn() {
    await using manager = await managerProcess();
    const before = manager.rss();
    using _client = await byteFrames(
      manager.grpcPort,
      GET_TASK,
      FAST_CALLS,
      FAST_FRAMES_EACH,
      { grpc: true, authorization: `Bearer ${manager.admin}` },
    );
    // Each call's prefix and bytes, all read (none of the messages is whole).
    await manager.held(FAST_CALLS * (5 + FAST_FRAMES_EACH));
    const grown = manager.rss() - before;
    assert.ok(
      grown < FAST_BOUND,
      `${FAST_CALLS * FAST_FRAMES_EACH} one-byte frames grew it by ${mb(grown)}`,
    );
  },
});

/**
 * Login bodies and one-byte frames of the fast REST trickle: each read of a body raced the read
 * with one promise for the whole body, which kept a reaction per read until the body ended, about
 * 560 bytes a read (548 MB for these 800,000 frames, the account counting 800,000 bytes); now 93
 * MB, the garbage of the reads (half as many frames grow it as much).
 */
const REST_BODIES = 200;
const REST_FRAMES_EACH = 4_000;
const REST_BOUND = REST_BODIES * REST_FRAMES_EACH * 256;

Deno.test({
  name:
    `${REST_BODIES} login bodies sent a byte per DATA frame over HTTP/2 as fast as the connection takes them (${REST_FRAMES_EACH} frames each) grow the manager by less than ${
      mb(REST_BOUND)
    }, 256 bytes a frame (548 MB before: a promise reaction kept per read)`,
  ignore: !LINUX,
  async fn() {
    await using manager = await managerProcess();
    const before = manager.rss();
    using _client = await byteFrames(
      manager.port,
      "/api/v1/session",
      REST_BODIES,
      REST_FRAMES_EACH,
    );
    await manager.held(REST_BODIES * (FIRST_BUFFER + REST_FRAMES_EACH));
    const grown = manager.rss() - before;
    assert.ok(
      grown < REST_BOUND,
      `${REST_BODIES * REST_FRAMES_EACH} one-byte frames grew it by ${mb(grown)}`,
    );
  },
});

/** A manager process, and the trickle that measures it. */
interface TrickledManager extends ManagerProcess {
  /**
   * Sends `BYTES_EACH` rounds of one byte to each of the `BODIES` bodies (`send(i)`), each once
   * the manager has read the round before (its account holds `first` bytes besides them, what was
   * sent before); answers how much the manager grew meanwhile.
   */
  trickle(send: (i: number) => void, first?: number): Promise<number>;
  /** Resolves once the manager's account holds `bytes` at least. */
  held(bytes: number): Promise<void>;
}

async function managerProcess(): Promise<TrickledManager> {
  // The login bodies are what is measured: none is refused for its rate.
  const started = await startManagerProcess({ LOGIN_BURST: "100000" });
  const { proc: manager, base, admin } = started;
  const held = async () => {
    const response = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const text = await response.text();
    const line = text.split("\n").find((l) =>
      l.startsWith("tasks_executor_request_bytes_in_flight ")
    );
    assert.ok(line, `no request bytes metric in:\n${text.slice(0, 500)}`);
    return Number(line.split(" ")[1]);
  };
  return {
    ...started,
    async trickle(send, first = 0) {
      while (await held() < first) {
        if (manager.exited) throw new Error(`manager exited\n${manager.describe()}`);
      }
      const before = started.rss();
      for (let round = 1; round <= BYTES_EACH; round++) {
        for (let i = 0; i < BODIES; i++) send(i);
        while (await held() < first + round * BODIES) {
          if (manager.exited) throw new Error(`manager exited\n${manager.describe()}`);
        }
      }
      const grown = started.rss() - before;
      assert.equal(await held(), first + BODIES * BYTES_EACH, "the account counts every byte read");
      return grown;
    },
    async held(bytes) {
      while (await held() < bytes) {
        if (manager.exited) throw new Error(`manager exited\n${manager.describe()}`);
      }
    },
  };
}

async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += await conn.write(bytes.subarray(done));
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}
