/**
 * `executors list|get|create|update|delete|pause|resume`: executor configurations over REST.
 * Config files are sent as they are: the manager reads ours and the original system's format.
 */
import { object, pageOf, type Shape, text } from "./answer.ts";
import { UsageError } from "./client.ts";
import {
  assertOptions,
  type CommandGroup,
  operands,
  PAGE_FLAGS,
  PAGE_OPTIONS,
  pageParams,
  print,
  queryOf,
  requiredFile,
  segment,
  verbOf,
  withNextPage,
} from "./command.ts";
import { details, duration, pretty, table, time } from "./format.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const VERBS = ["list", "get", "create", "update", "delete", "pause", "resume"] as const;

const USAGE = `Usage: tasks-executor executors <command> [options]

  list [--limit N] [--cursor CURSOR]
                                executors by name: state, retry policy, DLQ, timeout,
                                concurrency (every one unless together they pass 2 MiB)
  get NAME                      one executor's configuration and task schema, with its rate
                                limits, max concurrency per key and group key pointer when set
  create -f FILE                create from a config file (ours, or the original system's format)
  create NAME                   create with the manager's defaults
  update NAME -f FILE           change the settings the file names (the rest stay as they are)
  delete NAME [--force]         delete it; --force also deletes its pending and running tasks
  pause NAME                    stop handing its tasks to workers (enabled: false); tasks still queue
  resume NAME                   hand its tasks out again (enabled: true)

  -f, --file FILE               a JSON config file; - reads standard input`;

/** An executor as the commands read it: its policies objects (their fields are only shown). */
const EXECUTOR: Shape = object({
  name: text,
  retryPolicy: object({}),
  dlqConfig: object({}),
  writeConcern: object({}),
});
const EXECUTOR_ANSWER: Shape = object({ executor: EXECUTOR });

function state(executor: Json): string {
  return executor.enabled ? "active" : "paused";
}

function listTable(executors: Json[]): string {
  return table(
    ["NAME", "STATE", "RETRY", "DLQ", "TIMEOUT", "MAX CONCURRENCY", "UPDATED"],
    executors.map((e) => [
      e.name,
      state(e),
      `${e.retryPolicy.type} ×${e.retryPolicy.maxAttempts}, ${duration(e.retryPolicy.interval)}`,
      e.dlqConfig.enabled ? e.dlqConfig.queueName || "dlq" : "off",
      duration(e.timeout),
      e.maxConcurrency || "unlimited",
      time(e.updatedAt),
    ]),
  );
}

/** A rate limit as people say it (`100 per 1s, burst 20`). */
function rate(limit: Json): string {
  return `${limit.limit} per ${duration(limit.period)}, burst ${limit.burst ?? limit.limit}`;
}

/**
 * The flow-control settings the executor has (rate limits, keyed concurrency, group key pointer),
 * as details lines; none of them when it has none.
 */
function flowDetails(e: Json): [string, unknown][] {
  const lines: [string, unknown][] = [];
  if (e.rateLimit) lines.push(["Rate limit", rate(e.rateLimit)]);
  if (e.rateLimitPerKey) lines.push(["Rate limit per key", rate(e.rateLimitPerKey)]);
  if (e.maxConcurrencyPerKey) lines.push(["Max concurrency per key", e.maxConcurrencyPerKey]);
  if (e.groupKeyPointer) lines.push(["Group key pointer", e.groupKeyPointer]);
  return lines;
}

function executorDetails(e: Json): string {
  const retry = e.retryPolicy;
  return details([
    ["Name", e.name],
    ["Id", e.id],
    ["State", state(e)],
    [
      "Retry policy",
      `${retry.type}, at most ${retry.maxAttempts} attempts, interval ${
        duration(retry.interval)
      }, at most ${duration(retry.maxInterval)}${
        // The multiplier grows the delays of an exponential policy only.
        retry.type === "exponential" ? `, ×${retry.multiplier}` : ""}, jitter ${retry.jitter}`,
    ],
    ["Dead letter queue", e.dlqConfig.enabled ? e.dlqConfig.queueName || "dlq" : "off"],
    ["Write concern", e.writeConcern.level],
    ["Timeout", duration(e.timeout)],
    ["Max concurrency", e.maxConcurrency || "unlimited"],
    ...flowDetails(e),
    ["Created", time(e.createdAt)],
    ["Updated", time(e.updatedAt)],
    ["Task schema", pretty(e.taskSchema)],
  ]);
}

/** The `executors` command group. */
export const EXECUTORS: CommandGroup = {
  name: "executors",
  summary: "list, get, create, update, delete, pause and resume executors",
  verbs: VERBS,
  usage: USAGE,
  options: {
    file: { type: "string", short: "f" },
    force: { type: "boolean" },
    ...PAGE_OPTIONS,
  },
  async run(args, values, context) {
    const verb = verbOf("executors", args, VERBS);
    const rest = args.slice(1);
    const { client } = context;
    if (verb !== "create" && verb !== "update" && values.file !== undefined) {
      throw new UsageError(`executors ${verb} takes no -f`);
    }
    if (verb !== "delete" && values.force) {
      throw new UsageError(`executors ${verb} takes no --force`);
    }
    if (verb !== "list") assertOptions(`executors ${verb}`, values, ["file", "force"]);
    switch (verb) {
      case "list": {
        operands("executors list", rest, []);
        const query = queryOf(pageParams(values));
        const body = await client.call("GET", `/executors${query}`, undefined, {
          shape: pageOf("executors", EXECUTOR),
          flags: PAGE_FLAGS,
        }) as Json;
        print(context, body, () => withNextPage(listTable(body.executors), body.nextCursor));
        return;
      }
      case "get": {
        const [name] = operands("executors get", rest, ["NAME"]);
        const body = await client.call("GET", `/executors/${segment(name)}`, undefined, {
          shape: EXECUTOR_ANSWER,
        }) as Json;
        print(context, body, () => executorDetails(body.executor));
        return;
      }
      case "create": {
        let request: string | { name: string };
        if (values.file !== undefined) {
          operands("executors create -f FILE", rest, []);
          request = await requiredFile(values, context, `executors ${verb}`);
        } else {
          const [name] = operands("executors create", rest, ["NAME (or -f FILE)"]);
          request = { name };
        }
        const body = await client.call("POST", "/executors", request, {
          shape: EXECUTOR_ANSWER,
        }) as Json;
        print(
          context,
          body,
          () => `Created executor ${body.executor.name}\n\n${executorDetails(body.executor)}`,
        );
        return;
      }
      case "update": {
        const [name] = operands("executors update", rest, ["NAME"]);
        const file = await requiredFile(values, context, `executors ${verb}`);
        const body = await client.call("PUT", `/executors/${segment(name)}`, file, {
          shape: EXECUTOR_ANSWER,
        }) as Json;
        print(context, body, () => `Updated executor ${name}\n\n${executorDetails(body.executor)}`);
        return;
      }
      case "delete": {
        const [name] = operands("executors delete", rest, ["NAME"]);
        const query = values.force ? "?force=true" : "";
        await client.call("DELETE", `/executors/${segment(name)}${query}`, undefined, {
          flags: { force: "--force" },
        });
        print(context, { deleted: 1 }, () => `Deleted executor ${name}`);
        return;
      }
      case "pause":
      case "resume": {
        const [name] = operands(`executors ${verb}`, rest, ["NAME"]);
        const enabled = verb === "resume";
        const body = await client.call("PUT", `/executors/${segment(name)}`, { enabled }, {
          shape: EXECUTOR_ANSWER,
        }) as Json;
        print(
          context,
          body,
          () =>
            enabled
              ? `Resumed executor ${name}: its tasks go to workers again`
              : `Paused executor ${name}: its tasks wait until it is resumed`,
        );
        return;
      }
    }
  },
};
