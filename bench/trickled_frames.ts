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
import { newToken } from "../server/auth/token.ts";
import { freePort } from "../tests/fixtures/ports.ts";
import { Proc } from "../tests/fixtures/process.ts";
import { tempDir } from "../tests/fixtures/temp_dir.ts";
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

await using dir = await tempDir();
const [port, grpcPort] = [freePort(), freePort()];
const admin = newToken().token;
await using manager = new Proc("manager", Deno.execPath(), ["run", "-A", "main.ts"], {
  MANAGER_HOST: "127.0.0.1",
  MANAGER_PORT: String(port),
  MANAGER_GRPC_PORT: String(grpcPort),
  DATA_DIR: dir.path,
  AUTH: "on",
  BOOTSTRAP_ADMIN_KEY: admin,
  LOG_LEVEL: "error",
  // The login bodies are what is measured: none is refused for its rate.
  LOGIN_BURST: "100000",
});
const base = `http://127.0.0.1:${port}`;
while (!(await fetch(`${base}/healthz`).then((r) => (r.body?.cancel(), r.ok), () => false))) {
  if (manager.exited) throw new Error(manager.describe());
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const gauge = async () => {
  const text = await (await fetch(`${base}/metrics`, {
    headers: { authorization: `Bearer ${admin}` },
  })).text();
  return Number(
    text.split("\n").find((l) => l.startsWith("tasks_executor_request_bytes_in_flight "))!
      .split(" ")[1],
  );
};
const rss = () =>
  Number(
    /^VmRSS:\s+(\d+) kB$/m.exec(Deno.readTextFileSync(`/proc/${manager.child.pid}/status`))![1],
  ) * 1024;

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
  if (manager.exited) throw new Error(manager.describe());
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
  alive: !manager.exited,
  gaugeBefore: before.gauge,
  gaugeAfter: after.gauge,
}));
