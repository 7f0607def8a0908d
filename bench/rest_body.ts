/**
 * What reading a small REST body costs the manager: `readJsonObject` (bounded in bytes and time,
 * held on the connection's account) against the floor, `request.bytes()` and `JSON.parse` with no
 * bound at all. A `Deno.serve` server in this process times the read inside its handler; `fetch`
 * sends a 60-byte create body (or one with a string of `--pad` bytes more), with a 1 ms pause
 * before each request. Prints µs per read, the median of each run's median, ways interleaved.
 *
 * Run: `deno run -A bench/rest_body.ts [--requests=1000] [--runs=5] [--pad=1048576]`.
 */
import { parseArgs } from "node:util";
import { readJsonObject, readShortBody } from "../server/http/json.ts";
import { freePort, median } from "./_shared.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "1000" },
    runs: { type: "string", default: "5" },
    pad: { type: "string", default: "0" },
  },
});
const REQUESTS = Number(values.requests);
const RUNS = Number(values.runs);
const PAD = "x".repeat(Number(values.pad));

const WAYS = {
  /** What the REST app reads every body with. */
  readJsonObject: (request: Request) =>
    readJsonObject(request, {
      maxBytes: Math.max(1_048_576, PAD.length + 1024),
      required: true,
      receiveMs: 10_000,
    }),
  /** No bound in size or time: the least a read can cost. */
  "bytes() + JSON.parse": async (request: Request) =>
    JSON.parse(new TextDecoder().decode(await request.bytes())),
  /** The bytes alone, as `readJsonObject` reads them. */
  readShortBody: (request: Request) =>
    readShortBody(request, { maxBytes: Math.max(1_048_576, PAD.length + 1024), receiveMs: 10_000 }),
  /** The bytes alone, with no bound. */
  "bytes()": (request: Request) => request.bytes(),
};
type Way = keyof typeof WAYS;

const times = new Map<Way, number[]>();
const port = freePort();
const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (request) => {
  const way = decodeURIComponent(new URL(request.url).pathname.slice(1)) as Way;
  const started = performance.now();
  await WAYS[way](request);
  times.get(way)!.push(performance.now() - started);
  return new Response(null, { status: 204 });
});

const perRun = new Map<Way, number[]>();
for (let run = 0; run < RUNS; run++) {
  for (const way of Object.keys(WAYS) as Way[]) times.set(way, []);
  for (let i = 0; i < REQUESTS; i++) {
    for (const way of Object.keys(WAYS) as Way[]) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const response = await fetch(`http://127.0.0.1:${port}/${encodeURIComponent(way)}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ executorName: "bench_noop", data: PAD ? { n: i, PAD } : { n: i } }),
      });
      await response.body?.cancel();
    }
  }
  for (const [way, values] of times) {
    perRun.set(way, [...perRun.get(way) ?? [], median(values.slice(REQUESTS / 10))]);
  }
}
await server.shutdown();
for (const [way, medians] of perRun) {
  console.log(
    `${way}: ${(median(medians) * 1000).toFixed(1)} µs per read (median of ${RUNS} runs)`,
  );
}
