/**
 * The figures both sides of the comparison report, how each is labelled and printed, and the
 * small statistics (percentiles, medians) both runners use.
 */

/** One round's figures, from either side. Times are in milliseconds. */
export interface Figures {
  /** No-op tasks per second, first enqueue → last completion as the queue reports it. */
  throughput: number;
  /** Enqueue (before the add / create call) → handler start, p50 over sequential tasks. */
  startP50: number;
  /** Enqueue → handler start, p99. */
  startP99: number;
  /** Enqueue → the producer sees the task completed, p50. */
  seenP50: number;
  /** The add / create call's round trip, p50. */
  addP50: number;
}

/** How one figure is shown in the final table. */
export interface FigureSpec {
  key: keyof Figures;
  label: (tasks: number) => string;
  format: (n: number) => string;
}

export const int = (n: number): string => Math.round(n).toLocaleString("en");
export const ms = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

/** The figures in the order of the final table. */
export const FIGURE_SPECS: readonly FigureSpec[] = [
  {
    key: "throughput",
    label: (tasks) => `throughput, ${int(tasks)} no-op tasks (tasks/s, higher is better)`,
    format: int,
  },
  { key: "startP50", label: () => "enqueue → handler start, p50 (ms)", format: ms },
  { key: "startP99", label: () => "enqueue → handler start, p99 (ms)", format: ms },
  {
    key: "seenP50",
    label: () => "enqueue → completion seen by the producer, p50 (ms)",
    format: ms,
  },
  { key: "addP50", label: () => "add / create round trip, p50 (ms)", format: ms },
];

/** One line with every figure of a round. */
export function figuresLine(figures: Figures): string {
  return `${int(figures.throughput)} tasks/s; start p50 ${ms(figures.startP50)} / ` +
    `p99 ${ms(figures.startP99)} ms; completion seen p50 ${ms(figures.seenP50)} ms; ` +
    `add p50 ${ms(figures.addP50)} ms`;
}

/** The value at quantile `q` (0..1) of `values`, nearest rank. */
export function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** Asks the system for a free loopback TCP port (closed again right away). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Keeps the last bytes of a child's output, to show when something goes wrong. */
export function tail(stream: ReadableStream<Uint8Array>): () => string {
  let text = "";
  (async () => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      text = (text + chunk).slice(-8000);
    }
  })().catch(() => {});
  return () => text;
}
