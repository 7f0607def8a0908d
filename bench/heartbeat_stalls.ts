/**
 * How long a worker's heartbeats carrying progress hold the manager's thread: a manager process
 * (embedded store) and a raw `Work` stream holding `--tasks` leases, which sends heartbeats naming
 * them all, each task with `--progress-bytes` of new progress, two in flight at a time (each
 * followed by a result for no lease, whose ack tells the heartbeat before it was handled: a
 * stream's messages are handled in order). A timer probe inside the manager (`_stall_probe.ts`)
 * records every time its thread was held from timers past 5 ms.
 *
 * With `--results`, the worker sends instead, `--rounds` times, one results message settling every
 * task it holds, each result a JSON string of `--progress-bytes` bytes, and its tasks are made and
 * leased again between rounds: the timer gaps are those from each message's sending until a second
 * after its acks (the manager idle for 1.5 s before it and 1.1 s after them).
 *
 * Run: `deno run -A bench/heartbeat_stalls.ts [--tasks=3500] [--progress-bytes=1002]
 * [--seconds=20] [--results] [--rounds=5] [--cpu-prof]` (`--cpu-prof`: the manager's V8 profile,
 * in a temp folder). Prints, for the measured seconds: heartbeats handled a second (with
 * `--results`: the time from sending each results message to its acks), the manager's CPU time
 * per heartbeat (per results message), and the timer gaps (longest, 99th percentile, count past
 * 20, 50 and 100 ms).
 */
import { parseArgs } from "node:util";
import { Client } from "../sdk/mod.ts";
import { startManagerProcess } from "../tests/fixtures/manager_process.ts";
import { TestWorker } from "../tests/fixtures/test_worker.ts";
import { cpuModel, cpuSeconds, ms, percentile } from "./_shared.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tasks: { type: "string", default: "3500" },
    "progress-bytes": { type: "string", default: "1002" },
    seconds: { type: "string", default: "20" },
    results: { type: "boolean", default: false },
    rounds: { type: "string", default: "5" },
    "cpu-prof": { type: "boolean", default: false },
  },
});
const TASKS = Number(values.tasks);
const PROGRESS_BYTES = Number(values["progress-bytes"]);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const EXECUTOR = "beats";

const probeFile = await Deno.makeTempFile({ prefix: "stall-probe-" });
const profDir = values["cpu-prof"] ? await Deno.makeTempDir({ prefix: "heartbeat-prof-" }) : "";
const denoArgs = [`--preload=${new URL("./_stall_probe.ts", import.meta.url).pathname}`];
if (profDir) denoArgs.push("--cpu-prof", `--cpu-prof-dir=${profDir}`);
const manager = await startManagerProcess({ STALL_PROBE_FILE: probeFile }, denoArgs);
try {
  const made = await fetch(`${manager.base}/api/v1/executors`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${manager.admin}` },
    body: JSON.stringify({ name: EXECUTOR, timeout: 600_000 }),
  });
  if (!made.ok) throw new Error(`Cannot create the executor: ${await made.text()}`);
  using client = new Client({ address: `127.0.0.1:${manager.grpcPort}`, apiKey: manager.admin });
  await using worker = await TestWorker.connect(`127.0.0.1:${manager.grpcPort}`, {
    workerId: "w-beats",
    executors: [EXECUTOR],
    token: manager.admin,
  });
  /** Makes `TASKS` tasks and waits until the worker holds them: their assignments. */
  const makeAndLease = async () => {
    const held = worker.assignments.length;
    for (let from = 0; from < TASKS; from += 1000) {
      const size = Math.min(1000, TASKS - from);
      await client.createTasks(
        Array.from({ length: size }, (_, i) => ({ executorName: EXECUTOR, data: { n: from + i } })),
      );
    }
    worker.credit(EXECUTOR, TASKS);
    return (await worker.assigned(held + TASKS, 120_000)).slice(held);
  };
  const pid = manager.proc.child.pid;
  /** The measured windows (epoch ms): the probe's lines in them count. */
  const windows: { from: number; to: number }[] = [];
  let cpu = 0;
  let count = 0;
  let summary = "";
  if (values.results) {
    const times: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const tasks = await makeAndLease();
      const text = JSON.stringify(`${round}:`.padEnd(PROGRESS_BYTES - 2, "r"));
      const results = tasks.map((t) => ({
        taskId: t.taskId,
        leaseToken: t.leaseToken,
        ok: true,
        resultJson: text,
      }));
      // The manager idle before it: the probe's line of the second before holds nothing else.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const after = worker.received.length;
      const [cpuBefore, start, sentAt] = [await cpuSeconds(pid), Date.now(), performance.now()];
      worker.send({ results: { results } });
      const acks = await worker.acks(after);
      times.push(performance.now() - sentAt);
      cpu += await cpuSeconds(pid) - cpuBefore;
      const refused = acks.filter((a) => !a.accepted).length;
      if (refused > 0) throw new Error(`${refused} results refused: ${acks[0].error}`);
      windows.push({ from: start, to: Date.now() + 1000 });
      count++;
      // Nothing else in the probe's line of the second after the acks.
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    summary = `${ROUNDS} results messages of ${TASKS} results, sent to acks: ${
      times.map(ms).join(", ")
    } ms; manager CPU ${ms((cpu * 1000) / count)} ms a message`;
  } else {
    const ids = (await makeAndLease()).map((a) => a.taskId);

    /** A heartbeat naming every task, each with new progress (a JSON string) of `PROGRESS_BYTES`. */
    const heartbeat = (n: number) => {
      const text = JSON.stringify(`${n}:`.padEnd(PROGRESS_BYTES - 2, "p"));
      return {
        heartbeat: { taskIds: ids, progressJson: Object.fromEntries(ids.map((id) => [id, text])) },
      };
    };
    const fence = { results: { results: [{ taskId: "fence", leaseToken: "fence", ok: true }] } };
    let sent = 0;
    let handled = 0;
    /** Messages received up to the last ack counted. */
    let seen = worker.received.length;
    const send = () => {
      worker.send(heartbeat(sent++));
      worker.send(fence);
    };
    /** Keeps two heartbeats in flight until `until` (performance.now()); counts those handled. */
    const run = async (until: number) => {
      while (sent - handled < 2) send();
      while (performance.now() < until) {
        const acks = await worker.next((m) => m.kind === "acks", {
          after: seen,
          timeoutMs: 60_000,
        });
        seen = worker.received.indexOf(acks, seen) + 1;
        handled++;
        while (sent - handled < 2) send();
      }
    };
    // A warm-up, then the measured seconds.
    await run(performance.now() + 3000);
    const [cpuBefore, handledBefore, start] = [await cpuSeconds(pid), handled, Date.now()];
    await run(performance.now() + SECONDS * 1000);
    const [cpuAfter, handledAfter, end] = [await cpuSeconds(pid), handled, Date.now()];
    // Each probe line covers the second before it.
    windows.push({ from: start + 1000, to: end });
    cpu = cpuAfter - cpuBefore;
    count = handledAfter - handledBefore;
    summary = `${(count / ((end - start) / 1000)).toFixed(2)} heartbeats/s, manager CPU ${
      ms((cpu * 1000) / count)
    } ms a heartbeat`;
  }
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const lines = (await Deno.readTextFile(probeFile)).trim().split("\n").map((l) => JSON.parse(l))
    .filter((l: { at: number }) => windows.some((w) => l.at > w.from && l.at <= w.to));
  const gaps: number[] = lines.flatMap((l: { gaps: number[] }) => l.gaps);
  const held: number[] = lines.flatMap((l: { held: number[] }) => l.held);
  console.log(
    `CPU: ${await cpuModel()}; ${TASKS} tasks, ${
      values.results ? "results" : "progress"
    } of ${PROGRESS_BYTES} bytes each`,
  );
  console.log(summary);
  console.log("| timer gaps past 5 ms | longest | p99 | > 20 ms | > 50 ms | > 100 ms |");
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const [label, values] of [["wall time", gaps], ["thread CPU time in them", held]] as const) {
    const past = (n: number) => values.filter((g) => g > n).length;
    console.log(
      `| ${label} | ${ms(Math.max(0, ...values))} | ${
        ms(values.length > 0 ? percentile(values, 0.99) : 0)
      } | ${past(20)} | ${past(50)} | ${past(100)} |`,
    );
  }
  const top = (values: number[]) => [...values].sort((a, b) => b - a).slice(0, 10).join(", ");
  console.log(`longest gaps: ${top(gaps)}; longest CPU times in a gap: ${top(held)}`);
} finally {
  // A graceful shutdown writes the profile (disposing kills the process).
  manager.proc.kill("SIGTERM");
  await Promise.race([manager.proc.child.status, new Promise((r) => setTimeout(r, 20_000))]);
  await manager[Symbol.asyncDispose]();
  await Deno.remove(probeFile);
  if (profDir) console.log(`profile: ${profDir}`);
}
