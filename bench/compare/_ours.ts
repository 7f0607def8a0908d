/**
 * Our side of `deno task bench:compare`: one run of `bench/end_to_end.ts` (a fresh manager and SDK
 * worker, executor write concern `journaled`, no backlog) as a subprocess, figures read off its table.
 */
import { runDeno } from "../_shared.ts";
import type { Figures } from "./_figures.ts";

const ROOT = new URL("../..", import.meta.url);

/** The rows of our bench's table this comparison reads, by label. */
const ROWS: Record<keyof Figures, RegExp> = {
  throughput: /^Throughput, [\d,]+ tasks \(tasks\/s\)$/,
  startP50: /^Latency, [^:]+: enqueue → handler start, p50 \(ms\)$/,
  startP99: /^Latency, [^:]+: enqueue → handler start, p99 \(ms\)$/,
  seenP50: /^Latency, [^:]+: enqueue → completion seen by producer, p50 \(ms\)$/,
  addP50: /^Latency, [^:]+: create call round trip, p50 \(ms\)$/,
};

/** Reads the figures off the markdown table `bench/end_to_end.ts` prints (its median column). */
export function oursParse(output: string): Figures {
  const medians = new Map<string, number>();
  for (const line of output.split("\n")) {
    if (!line.startsWith("|")) continue;
    const cells = line.split("|").slice(1, -1).map((cell) => cell.trim());
    medians.set(cells[0], Number(cells[cells.length - 1].replaceAll(",", "")));
  }
  const figure = (key: keyof Figures) => {
    for (const [label, value] of medians) {
      if (ROWS[key].test(label) && Number.isFinite(value)) return value;
    }
    throw new Error(
      `Cannot read our benchmark's table: no row matches ${ROWS[key]} ` +
        `(has bench/end_to_end.ts changed its labels?)\n${output}`,
    );
  };
  return {
    throughput: figure("throughput"),
    startP50: figure("startP50"),
    startP99: figure("startP99"),
    seenP50: figure("seenP50"),
    addP50: figure("addP50"),
  };
}

/** Runs `bench/end_to_end.ts` once (`--runs=1 --backlog=0 --write-concern=journaled`). */
export async function oursRun(options: { tasks: number; latency: number }): Promise<Figures> {
  const output = await runDeno("Our benchmark", [
    "bench/end_to_end.ts",
    "--runs=1",
    `--tasks=${options.tasks}`,
    `--latency=${options.latency}`,
    "--backlog=0",
    "--write-concern=journaled",
  ], ROOT);
  return oursParse(output);
}
