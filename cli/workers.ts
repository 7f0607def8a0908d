/** `workers list`: the workers connected to the manager the command talks to. */
import { anything, listOf, object, pageOf, text } from "./answer.ts";
import {
  type CommandGroup,
  operands,
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

/** The `workers` command group. */
export const WORKERS: CommandGroup = {
  name: "workers",
  summary: "list the workers connected to the manager",
  usage: `Usage: tasks-executor workers list [--limit N] [--cursor CURSOR]

  list                          the workers connected to this manager, by worker id: executors
                                served, SDK, connected since, last heartbeat, tasks in flight,
                                credits left (every one unless together they pass 2 MiB)`,
  options: { ...PAGE_OPTIONS },
  async run(args, values, context) {
    verbOf("workers", args, ["list"]);
    operands("workers list", args.slice(1), []);
    const query = queryOf(pageParams(values));
    const body = await context.client.call("GET", `/workers${query}`, undefined, {
      shape: pageOf("workers", object({ workerId: text, executors: listOf(anything) })),
    }) as Json;
    print(context, body, () =>
      withNextPage(
        table(
          ["WORKER", "EXECUTORS", "SDK", "CONNECTED", "LAST HEARTBEAT", "IN FLIGHT", "CREDITS"],
          body.workers.map((w: Json) => [
            w.workerId,
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
