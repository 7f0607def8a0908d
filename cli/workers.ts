/** `workers list`: the workers connected to the manager the command talks to. */
import { anything, listOf, object, text } from "./answer.ts";
import { type CommandGroup, operands, print, verbOf } from "./command.ts";
import { table, time } from "./format.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The `workers` command group. */
export const WORKERS: CommandGroup = {
  name: "workers",
  summary: "list the workers connected to the manager",
  usage: `Usage: tasks-executor workers list

  list                          the workers connected to this manager: executors served, SDK,
                                connected since, last heartbeat, tasks in flight, credits left`,
  options: {},
  async run(args, _values, context) {
    verbOf("workers", args, ["list"]);
    operands("workers list", args.slice(1), []);
    const body = await context.client.call("GET", "/workers", undefined, {
      shape: object({
        workers: listOf(object({ workerId: text, executors: listOf(anything) })),
      }),
    }) as Json;
    print(context, body, () =>
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
      ));
  },
};
