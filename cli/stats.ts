/** `stats`: how many tasks each executor has in each status, its dead tasks and its workers. */
import { anything, listOf, object, recordOf, text } from "./answer.ts";
import { type CommandGroup, operands, print, queryOf, stringOf } from "./command.ts";
import { table, time } from "./format.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** Workers serving an executor, and why its pending tasks wait: paused, or nobody serves it. */
function workersCell(s: Json): string {
  if (s.paused) return `${s.workers} (paused)`;
  if (s.noWorkers) return "0 (tasks waiting!)";
  // A worker that polls is not counted: "polled" says one served it in the last 60 s.
  return s.polled === true ? `${s.workers} (polled)` : String(s.workers);
}

/** The `stats` command group. */
export const STATS: CommandGroup = {
  name: "stats",
  summary: "tasks by status per executor, DLQ size and workers serving each",
  verbs: [],
  usage: `Usage: tasks-executor stats [--executor NAME]

  Per executor: tasks pending, in progress, completed, failed and cancelled, dead tasks,
  connected workers serving it ("paused" when the executor is paused: its tasks wait until it
  is resumed; "tasks waiting!" when tasks wait and no worker serves it; "polled" when a worker
  that polls, which is not counted, asked for its tasks in the last 60 s), and when the oldest
  pending task became ready to run. --executor names one executor: one that exists, or one
  deleted whose tasks are still counted (their deletion not finished yet; every executor's stats
  list them too). Any other name exits 1, as the manager answers 404.`,
  options: { executor: { type: "string" } },
  async run(args, values, context) {
    operands("stats", args, []);
    const query = queryOf({ executorName: stringOf(values, "executor") });
    const body = await context.client.call("GET", `/stats${query}`, undefined, {
      shape: object({
        executors: listOf(object({ executorName: text, byStatus: recordOf(anything) })),
      }),
      flags: { executorName: "--executor" },
    }) as Json;
    print(context, body, () =>
      table(
        [
          "EXECUTOR",
          "PENDING",
          "IN PROGRESS",
          "COMPLETED",
          "FAILED",
          "CANCELLED",
          "DLQ",
          "WORKERS",
          "OLDEST PENDING",
        ],
        body.executors.map((s: Json) => [
          s.executorName,
          s.byStatus.pending,
          s.byStatus.in_progress,
          s.byStatus.completed,
          s.byStatus.failed,
          s.byStatus.cancelled,
          s.dlqSize,
          workersCell(s),
          time(s.oldestPendingAt),
        ]),
      ));
  },
};
