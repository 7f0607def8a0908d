/** `dlq list|get|run-again|delete|purge`: the dead letter queue over REST. */
import { count, object, optional, pageOf, type Shape, TASK, TASK_ANSWER, text } from "./answer.ts";
import { ManagerError, UsageError } from "./client.ts";
import {
  assertOptions,
  type CommandGroup,
  jsonInput,
  operands,
  PAGE_FLAGS,
  PAGE_OPTIONS,
  pageParams,
  print,
  queryOf,
  segment,
  shellWord,
  stringOf,
  timeOf,
  verbOf,
  withNextPage,
} from "./command.ts";
import { table, time } from "./format.ts";
import { taskDetails } from "./tasks.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

// "Run again" is the action's one name (page, API docs, here); `requeue` stays as its alias.
const VERBS = ["list", "get", "run-again", "requeue", "delete", "purge"] as const;

const USAGE = `Usage: tasks-executor dlq <command> [options]

  list [--executor NAME] [--reason REASON] [--limit N] [--cursor CURSOR]
                                one page of dead tasks, newest first
  get ID                        one dead task: why it died, its attempts' errors, its data
  run-again ID [--data JSON | --data-file FILE]
                                run it again from attempt 1 of a new run (new data checked
                                against the schema); "requeue" is the same command
  delete ID                     delete one dead task
  purge --confirm [--executor NAME] [--reason REASON] [--dead-before TIME]
                                delete every dead task the filter matches (all without a filter)

Reasons: max_attempts, non_retryable, timeout, lease_lost, validation, or the proto's names
(DLQ_REASON_TIMEOUT) or numbers (1 to 5), as REST takes them; the manager checks them. TIME is
RFC 3339 with an offset (2026-12-02T14:00:00Z) or epoch milliseconds.`;

/** The option that sends each query parameter, for the manager's refusals that name it. */
const FLAGS: Record<string, string> = {
  executorName: "--executor",
  reason: "--reason",
  deadBefore: "--dead-before",
  confirm: "--confirm",
  ...PAGE_FLAGS,
};

/** A DLQ entry as the commands read it. */
const ENTRY: Shape = object({ id: text, executorName: text, task: TASK });

function entryRow(e: Json): unknown[] {
  const last = e.task.errors?.at(-1)?.message;
  return [e.id, e.executorName, e.reason, e.queueName, time(e.deadAt), last];
}

/** The `dlq` command group. */
export const DLQ: CommandGroup = {
  name: "dlq",
  summary: "list, get, run again, delete and purge dead tasks",
  verbs: VERBS,
  usage: USAGE,
  options: {
    executor: { type: "string" },
    // Goes as it is given, as `tasks --status` does: the manager has the one reader of a reason
    // (our names, the proto's `DLQ_REASON_TIMEOUT`, numbers), and its refusal names --reason
    // (`FLAGS`). `--reason ""` it would read as no filter (a purge of every dead task): refused
    // here, as a list of our names once refused it.
    reason: { type: "string", notEmpty: true },
    ...PAGE_OPTIONS,
    data: { type: "string" },
    "data-file": { type: "string" },
    "dead-before": { type: "string" },
    confirm: { type: "boolean" },
  },
  async run(args, values, context) {
    const given = verbOf("dlq", args, VERBS);
    const verb = given === "requeue" ? "run-again" : given;
    const rest = args.slice(1);
    const { client } = context;
    const allowed: Record<string, string[]> = {
      list: ["executor", "reason", "limit", "cursor"],
      "run-again": ["data", "data-file"],
      purge: ["executor", "reason", "dead-before", "confirm"],
    };
    assertOptions(`dlq ${verb}`, values, allowed[verb] ?? []);
    switch (verb) {
      case "list": {
        operands("dlq list", rest, []);
        const query = queryOf({
          executorName: stringOf(values, "executor"),
          reason: stringOf(values, "reason"),
          ...pageParams(values),
        });
        const body = await client.call("GET", `/dlq${query}`, undefined, {
          shape: pageOf("entries", ENTRY),
          flags: FLAGS,
        }) as Json;
        print(context, body, () =>
          withNextPage(
            table(
              ["ID", "EXECUTOR", "REASON", "QUEUE", "DEAD AT", "LAST ERROR"],
              body.entries.map(entryRow),
            ),
            body.nextCursor,
          ));
        return;
      }
      case "get": {
        const [id] = operands("dlq get", rest, ["ID"]);
        const body = await client.call("GET", `/dlq/${segment(id)}`, undefined, {
          shape: object({ entry: ENTRY }),
        }) as Json;
        const e = body.entry;
        print(
          context,
          body,
          () =>
            `Dead since ${time(e.deadAt)} (${e.reason}) in queue ${e.queueName}\n\n${
              taskDetails(e.task)
            }`,
        );
        return;
      }
      case "run-again": {
        const [id] = operands(`dlq ${given}`, rest, ["ID"]);
        const data = await jsonInput(values, context, { inline: "data", file: "data-file" });
        const request = data === undefined ? {} : { data };
        const body = await client.call("POST", `/dlq/${segment(id)}/requeue`, request, {
          shape: TASK_ANSWER,
          flags: { data: "--data or --data-file" },
        }).catch((error) => {
          // A failed task of an executor without a DLQ has no entry: say what runs it again.
          if (!(error instanceof ManagerError) || error.status !== 404) throw error;
          throw new ManagerError(
            `${error.message}\n(a failed task that is not in the DLQ runs again with: ` +
              `tasks run-again ${shellWord(id)})`,
            404,
          );
        }) as Json;
        print(
          context,
          body,
          () => `Task ${body.task.id} will run again (run ${body.task.run}, ${body.task.status})`,
        );
        return;
      }
      case "delete": {
        const [id] = operands("dlq delete", rest, ["ID"]);
        await client.call("DELETE", `/dlq/${segment(id)}`);
        print(context, { deleted: 1 }, () => `Deleted dead task ${id}`);
        return;
      }
      case "purge": {
        operands("dlq purge", rest, []);
        if (!values.confirm) {
          throw new UsageError("dlq purge deletes dead tasks for good: add --confirm");
        }
        const query = queryOf({
          executorName: stringOf(values, "executor"),
          reason: stringOf(values, "reason"),
          deadBefore: timeOf(values, "dead-before"),
          confirm: "true",
        });
        const body = await client.call("DELETE", `/dlq${query}`, undefined, {
          shape: object({
            deleted: count,
            stopped: optional(object({ status: count, detail: text })),
          }),
          flags: FLAGS,
        }) as Json;
        if (body.stopped) {
          throw new ManagerError(
            `The manager stopped part way: ${body.stopped.detail}; deleted so far: ` +
              `${body.deleted}; the same command again goes on`,
            body.stopped.status,
          );
        }
        print(context, body, () => `Deleted ${body.deleted} dead tasks`);
        return;
      }
    }
  },
};
