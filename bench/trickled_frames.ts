/**
 * A client that sends its bodies one byte per DATA frame, written frame by frame over TCP to a
 * manager process of its own: `--streams` GetTask calls on one connection (with `--rest`, login
 * bodies, `POST /api/v1/session`, over HTTP/2), each sending `--bytes` bytes a byte a frame and
 * announcing one more, round-robin, as fast as the connection takes them (within the flow-control
 * windows the manager opens). Prints the manager's resident memory before, once its gauge of
 * request bytes in flight counts every byte (the requests still open), and 8 s later.
 *
 *   deno run -A bench/trickled_frames.ts --streams=16 --bytes=28225
 *   deno run -A bench/trickled_frames.ts --rest --streams=200 --bytes=4000
 */
import { parseArgs } from "node:util";
import { startManagerProcess } from "../tests/fixtures/manager_process.ts";
import { byteFrames } from "../tests/fixtures/raw_h2.ts";

const GET_TASK = "/taskexecutor.v1.TaskExecutorManagerService/GetTask";
const { values } = parseArgs({
  args: Deno.args,
  options: {
    streams: { type: "string", default: "16" },
    bytes: { type: "string", default: "28225" },
    rest: { type: "boolean", default: false },
  },
});
const STREAMS = Number(values.streams);
const BYTES = Number(values.bytes);

// The login bodies are what is measured: none is refused for its rate.
await using manager = await startManagerProcess({ LOGIN_BURST: "100000" });
const { port, grpcPort, base, admin } = manager;
const gauge = async () => {
  const text = await (await fetch(`${base}/metrics`, {
    headers: { authorization: `Bearer ${admin}` },
  })).text();
  return Number(
    text.split("\n").find((l) => l.startsWith("tasks_executor_request_bytes_in_flight "))!
      .split(" ")[1],
  );
};
const rss = () => manager.rss();

await new Promise((resolve) => setTimeout(resolve, 500));
const before = { rss: rss(), gauge: await gauge() };
const started = performance.now();
using _client = values.rest
  ? await byteFrames(port, "/api/v1/session", STREAMS, BYTES)
  : await byteFrames(grpcPort, GET_TASK, STREAMS, BYTES, {
    grpc: true,
    authorization: `Bearer ${admin}`,
  });
// Every byte read: the gauge counts them (the manager takes its account as it reads).
while (await gauge() < before.gauge + STREAMS * (BYTES + (values.rest ? 0 : 5))) {
  if (manager.proc.exited) throw new Error(manager.proc.describe());
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const seconds = (performance.now() - started) / 1000;
const after = { rss: rss(), gauge: await gauge() };
// Garbage has had time to go: what is left is kept (the calls are still open, within 30 s).
await new Promise((resolve) => setTimeout(resolve, 8_000));
const settled = rss();
console.log(JSON.stringify({
  over: values.rest ? "REST" : "gRPC",
  streams: STREAMS,
  frames: STREAMS * BYTES,
  seconds: Number(seconds.toFixed(1)),
  rssBeforeMB: Number((before.rss / 1e6).toFixed(1)),
  rssAfterMB: Number((after.rss / 1e6).toFixed(1)),
  grownMB: Number(((after.rss - before.rss) / 1e6).toFixed(1)),
  bytesPerFrame: Math.round((after.rss - before.rss) / (STREAMS * BYTES)),
  settledGrownMB: Number(((settled - before.rss) / 1e6).toFixed(1)),
  alive: !manager.proc.exited,
  gaugeBefore: before.gauge,
  gaugeAfter: after.gauge,
}));
