/**
 * The transports' own latency between two Deno processes on this machine, with no manager in the
 * way: how long a message takes from the moment one process sends it to the moment the other's
 * handler runs, for each way a producer or a worker could reach the manager — a new gRPC call
 * (`@grpc/grpc-js`, unary and server-streaming, as the SDK's `Client` makes them), a message on an
 * open gRPC bidi stream (the worker's `Work` stream, both ways), an HTTP `fetch` to `Deno.serve`,
 * and a message on a WebSocket (both ways). This is the floor under "enqueue → handler start":
 * two of these hops are in its path.
 *
 * Each figure is measured with the processes busy (the next message goes out as soon as the last
 * one is answered) and idle (a pause before each message, as between the benchmark's sequential
 * tasks: a process that sleeps first has to be woken). The clocks of both processes are the same
 * clock (`performance.timeOrigin + performance.now()`).
 *
 * Run: `deno run -A bench/transport_floor.ts [--samples=1500] [--pause-ms=2] [--runs=3]`. Prints
 * a markdown table, milliseconds: per way, the median over the runs of each run's p50 and p99.
 */
import * as grpc from "@grpc/grpc-js";
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import { clock, cpuModel, freePort, median, ms, percentile } from "./_shared.ts";

const { values } = parseArgs({
  options: {
    serve: { type: "string" },
    samples: { type: "string", default: "1500" },
    "pause-ms": { type: "string", default: "2" },
    runs: { type: "string", default: "3" },
  },
});

/** The one message shape both sides use: the sender's send time, or the receiver's handler time. */
interface Stamp {
  at: number;
}

const encode = (stamp: Stamp) => Buffer.from(JSON.stringify(stamp));
const decode = (bytes: Uint8Array): Stamp => JSON.parse(new TextDecoder().decode(bytes));
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: encode,
  requestDeserialize: decode,
  responseSerialize: encode,
  responseDeserialize: decode,
});
const SERVICE = {
  Unary: method("/floor.Floor/Unary", false, false),
  Stream: method("/floor.Floor/Stream", false, true),
  Bidi: method("/floor.Floor/Bidi", true, true),
};

// The serving process --------------------------------------------------------------------------

/** Serves gRPC on `grpcPort` and HTTP + WebSocket on `httpPort`; each answers with its own stamp. */
function serve(grpcPort: number, httpPort: number): void {
  const server = new grpc.Server();
  server.addService(SERVICE as unknown as grpc.ServiceDefinition, {
    Unary: (_call: unknown, callback: grpc.sendUnaryData<Stamp>) => callback(null, { at: clock() }),
    Stream: (call: grpc.ServerWritableStream<Stamp, Stamp>) => {
      call.write({ at: clock() });
      call.end();
    },
    Bidi: (call: grpc.ServerDuplexStream<Stamp, Stamp>) => {
      call.on("data", () => call.write({ at: clock() }));
      call.on("end", () => call.end());
    },
  });
  server.bindAsync(`127.0.0.1:${grpcPort}`, grpc.ServerCredentials.createInsecure(), (error) => {
    if (error) throw error;
  });
  Deno.serve({ hostname: "127.0.0.1", port: httpPort, onListen() {} }, (request) => {
    if (request.headers.get("upgrade") === "websocket") {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onmessage = () => socket.send(JSON.stringify({ at: clock() }));
      return response;
    }
    const at = clock();
    return request.arrayBuffer().then(() => Response.json({ at }));
  });
}

// The measuring process ------------------------------------------------------------------------

/** One send: resolves with the receiver's stamp. */
type Send = () => Promise<Stamp>;

/** Per message: send → receiver's handler, and (for the ways that answer with a push) back. */
interface Sample {
  there: number[];
  back: number[];
}

async function measure(send: Send, samples: number, pauseMs: number): Promise<Sample> {
  const there: number[] = [];
  const back: number[] = [];
  // The first messages warm up the connection, the JIT and the caches; they are not counted.
  const warmup = Math.min(200, samples);
  for (let i = 0; i < warmup + samples; i++) {
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const sent = clock();
    const stamp = await send();
    const received = clock();
    if (i < warmup) continue;
    there.push(stamp.at - sent);
    back.push(received - stamp.at);
  }
  return { there, back };
}

async function transports(grpcPort: number, httpPort: number) {
  const Client = grpc.makeGenericClientConstructor(
    SERVICE as unknown as grpc.ServiceDefinition,
    "Floor",
  );
  const client = new Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure()) as
    & grpc.Client
    & Record<string, (...args: unknown[]) => grpc.ClientReadableStream<Stamp>>;
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (error) => (error ? reject(error) : resolve()))
  );
  const bidi = client.Bidi() as unknown as grpc.ClientDuplexStream<Stamp, Stamp>;
  let answered: ((stamp: Stamp) => void) | null = null;
  bidi.on("data", (stamp: Stamp) => answered?.(stamp));
  // Its status once the client closes (CANCELLED) or the serving process is stopped.
  bidi.on("error", () => {});

  const socket = new WebSocket(`ws://127.0.0.1:${httpPort}/`);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  socket.onmessage = (event) => answered?.(JSON.parse(event.data));
  const pushed = (write: () => void) =>
    new Promise<Stamp>((resolve) => {
      answered = resolve;
      write();
    });

  const ways: { label: string; send: Send; back: boolean }[] = [
    {
      label: "gRPC, new unary call",
      back: false,
      send: () =>
        new Promise((resolve, reject) =>
          client.Unary(
            { at: clock() },
            (error: Error | null, stamp: Stamp) => error ? reject(error) : resolve(stamp),
          )
        ),
    },
    {
      label: "gRPC, new server-streaming call",
      back: false,
      send: () =>
        new Promise((resolve, reject) => {
          const call = client.Stream({ at: clock() });
          call.once("data", resolve);
          call.on("error", reject);
        }),
    },
    {
      label: "gRPC, message on an open bidi stream",
      back: true,
      send: () => pushed(() => bidi.write({ at: clock() })),
    },
    {
      label: "HTTP/1.1, `fetch` to `Deno.serve`",
      back: false,
      send: async () => {
        const response = await fetch(`http://127.0.0.1:${httpPort}/`, {
          method: "POST",
          body: JSON.stringify({ at: clock() }),
        });
        return await response.json();
      },
    },
    {
      label: "WebSocket message",
      back: true,
      send: () => pushed(() => socket.send(JSON.stringify({ at: clock() }))),
    },
  ];
  const close = () => {
    bidi.end();
    client.close();
    socket.close();
  };
  return { ways, close };
}

async function main(): Promise<void> {
  if (values.serve) {
    const [grpcPort, httpPort] = values.serve.split(",").map(Number);
    serve(grpcPort, httpPort);
    console.log("ready");
    return;
  }
  const samples = Number(values.samples);
  const pauseMs = Number(values["pause-ms"]);
  const runs = Number(values.runs);
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ").slice(0, 3);
  const grpcPort = freePort();
  const httpPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, `--serve=${grpcPort},${httpPort}`],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let said = "";
    while (!said.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("The serving process ended before it was ready");
      said += value;
    }
    const { ways, close } = await transports(grpcPort, httpPort);
    // way → column → one value per run
    const figures = new Map<string, Map<string, number[]>>();
    const add = (way: string, column: string, value: number) => {
      const columns = figures.get(way) ?? new Map<string, number[]>();
      columns.set(column, [...columns.get(column) ?? [], value]);
      figures.set(way, columns);
    };
    for (let run = 0; run < runs; run++) {
      for (const [when, pause] of [["busy", 0], ["idle", pauseMs]] as const) {
        for (const way of ways) {
          const { there, back } = await measure(way.send, samples, pause);
          add(way.label, `${when} p50`, percentile(there, 0.5));
          add(way.label, `${when} p99`, percentile(there, 0.99));
          if (way.back) add(way.label, `${when}: answer back p50`, percentile(back, 0.5));
        }
      }
    }
    close();
    const columns = ["busy p50", "busy p99", "idle p50", "idle p99"];
    const backColumns = ["busy: answer back p50", "idle: answer back p50"];
    console.log(`## Transport floor\n`);
    console.log(
      `Command: \`deno run -A bench/transport_floor.ts --samples=${samples} --pause-ms=${pauseMs} --runs=${runs}\`  `,
    );
    console.log(
      `Machine: ${navigator.hardwareConcurrency} cores (${await cpuModel()}), Deno ${Deno.version.deno}; load average before the run ${
        load.join(" ")
      }  `,
    );
    console.log(
      `Send → the other process's handler, ms, median of ${runs} runs; "idle" = a ${pauseMs} ms pause before each message, "answer back" = the handler's answer → the sender\n`,
    );
    const header = ["way", ...columns, ...backColumns];
    console.log(`| ${header.join(" | ")} |`);
    console.log(`| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`);
    for (const [way, perColumn] of figures) {
      const cells = [...columns, ...backColumns].map((column) => {
        const perRun = perColumn.get(column);
        return perRun ? ms(median(perRun)) : "—";
      });
      console.log(`| ${[way, ...cells].join(" | ")} |`);
    }
  } finally {
    child.kill();
    await child.status;
  }
}

await main();
