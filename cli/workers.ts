/**
 * `workers list`: the workers connected to the manager the command talks to, and those gone from
 * it in the last 10 minutes (the manager keeps them a while, `disconnectedAt` set).
 */
import { anything, listOf, object, pageOf, text } from "./answer.ts";
import {
  type CommandGroup,
  operands,
  PAGE_FLAGS,
  PAGE_OPTIONS,
  pageParams,
  print,
  queryOf,
  verbOf,
  withNextPage,
} from "./command.ts";
import { table, time } from "./format.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** "connected", or "gone since TIME" for a worker the manager keeps a while after it left. */
function stateOf(worker: Json): string {
  return typeof worker.disconnectedAt === "string" && worker.disconnectedAt !== ""
    ? `gone since ${time(worker.disconnectedAt)}`
    : "connected";
}

const VERBS = ["list"] as const;

/** The `workers` command group. */
export const WORKERS: CommandGroup = {
  name: "workers",
  summary: "list the workers connected to the manager and those gone in the last 10 minutes",
  verbs: VERBS,
  usage: `Usage: tasks-executor workers list [--limit N] [--cursor CURSOR]

  list                          the workers connected to this manager and those gone from it in
                                the last 10 minutes, by worker id: state ("connected" or "gone
                                since TIME"), executors served, SDK, connected since, last
                                heartbeat, tasks in flight, credits left (every one unless
                                together they pass 2 MiB)`,
  options: { ...PAGE_OPTIONS },
  async run(args, values, context) {
    verbOf("workers", args, VERBS);
    operands("workers list", args.slice(1), []);
    const query = queryOf(pageParams(values));
    const body = await context.client.call("GET", `/workers${query}`, undefined, {
      shape: pageOf("workers", object({ workerId: text, executors: listOf(anything) })),
      flags: PAGE_FLAGS,
    }) as Json;
    print(context, body, () =>
      withNextPage(
        table(
          [
            "WORKER",
            "STATE",
            "EXECUTORS",
            "SDK",
            "CONNECTED",
            "LAST HEARTBEAT",
            "IN FLIGHT",
            "CREDITS",
          ],
          body.workers.map((w: Json) => [
            w.workerId,
            stateOf(w),
            w.executors.join(","),
            w.sdkVersion,
            time(w.connectedAt),
            time(w.lastHeartbeatAt),
            w.inFlight,
            w.credits,
          ]),
        ),
        body.nextCursor,
      ));
  },
};
