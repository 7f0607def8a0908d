/**
 * The figures both sides of the comparison report, and how each is labelled and printed.
 */
import { int, ms } from "../_shared.ts";

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
