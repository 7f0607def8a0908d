/**
 * `tasks list|get|create|cancel|delete|retry|run-again`: tasks over REST, one page of a list at a
 * time;
 * `delete`, `cancel` and `retry` by filter run in tasks_bulk.ts.
 */
import { listOf, object, pageOf, TASK, TASK_ANSWER, text } from "./answer.ts";
import { ManagerError, UsageError, ValueError } from "./client.ts";
import {
  assertOptions,
  type CommandContext,
  type CommandGroup,
  durationOf,
  integerOf,
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
import { details, pretty, table, time } from "./format.ts";
import { BULK_OPTIONS, FILTER_FLAGS, FILTER_OPTIONS, filterParams, runBulk } from "./tasks_bulk.ts";
import {
  EXIT_NOT_COMPLETED,
  EXIT_WAIT_PASSED,
  MAX_WAIT_MS,
  readTask,
  waitForFinal,
  type WaitOutcome,
} from "./tasks_wait.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

const VERBS = ["list", "get", "create", "cancel", "delete", "retry", "run-again"] as const;

/**
 * The statuses `tasks run-again` moves a task from (`from` of its status change: not running),
 * as the manager says them (`runAgainFrom` of `/api/v1/meta`), not a copy of its own.
 */
const RUN_AGAIN_FACTS = object({ runAgainFrom: listOf(text) });

const USAGE = `Usage: tasks-executor tasks <command> [options]

  list [--executor NAME] [--status STATUS] [--created-after TIME] [--created-before TIME]
       [--finished-after TIME] [--finished-before TIME] [--limit N] [--cursor CURSOR]
                                one page of tasks, newest first (a page by finish time may
                                hold fewer than --limit, none even, with a next page)
  get ID [--wait DURATION]      one task with its attempts' errors and its result
  create EXECUTOR [--data JSON | --data-file FILE] [--priority N] [--run-at TIME]
         [--metadata KEY=VALUE]… [--idempotency-key KEY] [--group-key KEY] [--wait DURATION]
                                enqueue a task (data checked against the executor's schema;
                                without --data or --data-file its data is null); --metadata
                                once per key
    --group-key KEY             its group key for the executor's per-key limits (else the
                                executor's groupKeyPointer reads it from the data)
    --wait DURATION             wait until the task is final (30s, 5m, 1h; at most 24h) and
                                print it; exit 0 if it completed, ${EXIT_NOT_COMPLETED} if it ended otherwise
                                (failed, dlq, cancelled), ${EXIT_WAIT_PASSED} if DURATION passed first
  cancel ID                     cancel a pending or running task (its worker is told to stop)
  run-again ID                  run one failed, dead, cancelled or pending task again with its
                                data as it is (a pending one due later: now), as the admin
                                page's "Run again"; a running one is refused, never taken from
                                its worker; new data for a dead task: dlq run-again ID --data
  delete ID                     delete a finished task (completed, failed, cancelled, dlq)
  cancel|delete|retry FILTER… [--confirm]
                                cancel pending tasks, delete finished ones, or run failed and
                                dead ones again: every task matching the filter, in as many
                                calls as it takes; prints how many
    FILTER: --executor NAME, --status STATUS[,STATUS…], --created-after TIME,
            --created-before TIME, --finished-after TIME, --finished-before TIME
    --confirm                   needed when no filter but --status is given (every task)

Statuses: pending, in_progress, completed, failed, dlq, cancelled, or the proto's names
(TASK_STATUS_PENDING) or numbers (1 to 6), as REST takes them; the manager checks them. TIME is
RFC 3339 with an offset (2026-12-02T14:00:00Z) or epoch milliseconds. --data-file - reads
standard input.`;

/** The option that sends each field of a create, for the manager's refusals that name it. */
const CREATE_FLAGS: Record<string, string> = {
  data: "--data or --data-file",
  priority: "--priority",
  runAt: "--run-at",
  metadata: "--metadata",
  idempotencyKey: "--idempotency-key",
  groupKey: "--group-key",
};

/** A task as a table row. */
export function taskRow(t: Json): unknown[] {
  return [
    t.id,
    t.executorName,
    t.status,
    `${t.attempt}/${t.maxAttempts}`,
    t.priority,
    time(t.createdAt),
    time(t.runAt),
  ];
}

/** The header of `taskRow` rows. */
export const TASK_HEADER = ["ID", "EXECUTOR", "STATUS", "ATTEMPT", "PRIORITY", "CREATED", "RUN AT"];

/** A task's details, its errors as a table. */
export function taskDetails(t: Json): string {
  const metadata = Object.entries(t.metadata ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
  const text = details([
    ["Id", t.id],
    ["Executor", t.executorName],
    ["Status", t.status],
    ["Attempt", `${t.attempt} of ${t.maxAttempts}`],
    ["Priority", t.priority],
    ["Metadata", metadata],
    ["Idempotency key", t.idempotencyKey],
    ...(t.groupKey === null || t.groupKey === undefined
      ? []
      : [["Group key", t.groupKey] as [string, unknown]]),
    ["Worker", t.workerId],
    ["Created", time(t.createdAt)],
    ["Run at", time(t.runAt)],
    ["Started", time(t.startedAt)],
    ["Completed", time(t.completedAt)],
    ["Data", pretty(t.data)],
    ["Result", pretty(t.result)],
  ]);
  if (!Array.isArray(t.errors) || t.errors.length === 0) return text;
  const errors = table(
    ["ATTEMPT", "AT", "WORKER", "ERROR"],
    t.errors.map((e: Json) => [e.attempt, time(e.at), e.workerId, e.message]),
  );
  const dropped = t.errorsDropped ? `\n(${t.errorsDropped} older errors not kept)` : "";
  return `${text}\n\nErrors:\n${errors}${dropped}`;
}

/**
 * The metadata of `--metadata KEY=VALUE` options.
 *
 * @throws {UsageError} when one is not KEY=VALUE
 * @throws {ValueError} naming the key when one is given twice (as an option given twice, it
 *   would keep the last value without a word)
 */
function metadataOf(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs) return undefined;
  const metadata = new Map<string, string>();
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--metadata takes KEY=VALUE, not "${pair}"`);
    const key = pair.slice(0, at);
    if (metadata.has(key)) {
      throw new ValueError(`--metadata gives the key ${JSON.stringify(key)} more than once`);
    }
    metadata.set(key, pair.slice(at + 1));
  }
  return Object.fromEntries(metadata);
}

/** Prints what a wait came to (the task's details under how it ended); answers its exit code. */
function printed(context: CommandContext, outcome: WaitOutcome): number {
  print(context, outcome.body, () => `${outcome.headline}\n\n${taskDetails(outcome.body.task)}`);
  return outcome.exitCode;
}

/** The `tasks` command group. */
export const TASKS: CommandGroup = {
  name: "tasks",
  summary: "list, get, create, cancel, delete, retry and run again tasks, one or by filter",
  verbs: VERBS,
  usage: USAGE,
  options: {
    executor: { type: "string" },
    status: { type: "string" },
    "created-after": { type: "string" },
    "created-before": { type: "string" },
    ...PAGE_OPTIONS,
    data: { type: "string" },
    "data-file": { type: "string" },
    priority: { type: "string" },
    "run-at": { type: "string" },
    metadata: { type: "string", multiple: true },
    "idempotency-key": { type: "string", notEmpty: true },
    "group-key": { type: "string", notEmpty: true },
    "finished-after": { type: "string" },
    "finished-before": { type: "string" },
    confirm: { type: "boolean" },
    wait: { type: "string" },
  },
  async run(args, values, context) {
    const verb = verbOf("tasks", args, VERBS);
    const rest = args.slice(1);
    const { client } = context;
    // With no ID, cancel, delete and retry work by filter.
    if (verb === "retry" || ((verb === "cancel" || verb === "delete") && rest.length === 0)) {
      assertOptions(`tasks ${verb}`, values, BULK_OPTIONS);
      operands(`tasks ${verb}`, rest, []);
      return await runBulk(verb as "cancel" | "delete" | "retry", values, context);
    }
    const allowed: Record<string, string[]> = {
      list: [...FILTER_OPTIONS, "limit", "cursor"],
      get: ["wait"],
      create: [
        "data",
        "data-file",
        "priority",
        "run-at",
        "metadata",
        "idempotency-key",
        "group-key",
        "wait",
      ],
    };
    assertOptions(`tasks ${verb}`, values, allowed[verb] ?? []);
    switch (verb) {
      case "list": {
        operands("tasks list", rest, []);
        const query = queryOf({ ...filterParams(values), ...pageParams(values) });
        const body = await client.call("GET", `/tasks${query}`, undefined, {
          shape: pageOf("tasks", TASK),
          flags: { ...FILTER_FLAGS, ...PAGE_FLAGS },
        }) as Json;
        print(
          context,
          body,
          () => withNextPage(table(TASK_HEADER, body.tasks.map(taskRow)), body.nextCursor),
        );
        return;
      }
      case "get": {
        const [id] = operands("tasks get", rest, ["ID"]);
        const waitMs = durationOf(values, "wait", MAX_WAIT_MS);
        if (waitMs !== undefined) {
          return printed(
            context,
            await waitForFinal(client, waitMs, (pollMs) => readTask(client, id, pollMs)),
          );
        }
        const body = await client.call("GET", `/tasks/${segment(id)}`, undefined, {
          shape: TASK_ANSWER,
        }) as Json;
        print(context, body, () => taskDetails(body.task));
        return;
      }
      case "create": {
        const [executorName] = operands("tasks create", rest, ["EXECUTOR"]);
        // The options are checked before the data file is read: a command written wrong exits 2
        // whatever the file holds.
        const fields = {
          metadata: metadataOf(values.metadata as string[] | undefined),
          priority: integerOf(values, "priority"),
          runAt: timeOf(values, "run-at"),
          idempotencyKey: stringOf(values, "idempotency-key"),
          groupKey: stringOf(values, "group-key"),
        };
        const waitMs = durationOf(values, "wait", MAX_WAIT_MS);
        // No data given is no data (null), as over REST, gRPC and from a schedule.
        const data = await jsonInput(values, context, { inline: "data", file: "data-file" });
        const task = { executorName, data, ...fields };
        if (waitMs !== undefined) {
          return printed(
            context,
            await waitForFinal(
              client,
              waitMs,
              (pollMs, timeoutMs) =>
                client.call("POST", `/tasks?wait=${pollMs}`, task, {
                  timeoutMs,
                  shape: TASK_ANSWER,
                  flags: CREATE_FLAGS,
                }),
            ),
          );
        }
        const body = await client.call("POST", "/tasks", task, {
          shape: TASK_ANSWER,
          flags: CREATE_FLAGS,
        }) as Json;
        print(context, body, () => `Created task ${body.task.id} (${body.task.status})`);
        return;
      }
      case "cancel": {
        const [id] = operands("tasks cancel", rest, ["ID"]);
        const body = await client.call("POST", `/tasks/${segment(id)}/cancel`, undefined, {
          shape: TASK_ANSWER,
        }) as Json;
        print(context, body, () => `Cancelled task ${id}`);
        return;
      }
      case "run-again": {
        const [id] = operands("tasks run-again", rest, ["ID"]);
        // The admin page's "Run again": back to pending, its data as it is. Not a running task:
        // the transition takes it from its worker, which still runs it (twice then). `from` makes
        // the manager check that in the write itself: a task leased since it was last seen is
        // refused (409), never taken.
        const { runAgainFrom } = await client.call("GET", "/meta", undefined, {
          shape: RUN_AGAIN_FACTS,
        }) as { runAgainFrom: string[] };
        const body = await client.call("PUT", `/tasks/${segment(id)}/status`, {
          status: "pending",
          from: runAgainFrom,
        }, { shape: TASK_ANSWER }).catch(async (error) => {
          if (!(error instanceof ManagerError) || error.status !== 409) throw error;
          const { task: now } = await client.call("GET", `/tasks/${segment(id)}`, undefined, {
            shape: TASK_ANSWER,
          }).catch(() => ({ task: null })) as Json;
          if (now?.status === "completed") {
            // The manager's refusal names `from`, which this command sends and its user never
            // wrote: say it in the command's words.
            throw new ManagerError(
              `Task ${now.id} is completed: only a failed, dead, cancelled or pending task runs again`,
              409,
            );
          }
          if (now?.status !== "in_progress") throw error;
          throw new ManagerError(
            `Task ${now.id} is running: it runs again only once it has ended ` +
              `(tasks cancel ${shellWord(now.id)} ends it)`,
            409,
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
        const [id] = operands("tasks delete", rest, ["ID"]);
        await client.call("DELETE", `/tasks/${segment(id)}`);
        print(context, { deleted: 1 }, () => `Deleted task ${id}`);
        return;
      }
    }
  },
};
