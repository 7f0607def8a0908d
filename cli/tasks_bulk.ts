/**
 * `tasks delete|cancel|retry` by filter: one bulk call over REST after another, following
 * `nextCursor` until the manager has looked at every matching task, then the summed counts.
 */
import { AnswerError, count, CursorTrail, object, optional, orNull, text } from "./answer.ts";
import { ManagerError, routeOf, UsageError } from "./client.ts";
import { type CommandContext, print, queryOf, stringOf, timeOf, type Values } from "./command.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * The options of a task filter, as `tasks list` and the bulk commands take them, and the query
 * parameter each sends.
 */
const FILTER_PARAMS = {
  executor: "executorName",
  status: "status",
  "created-after": "createdAfter",
  "created-before": "createdBefore",
  "finished-after": "finishedAfter",
  "finished-before": "finishedBefore",
} as const;

/** The options of a task filter. */
export const FILTER_OPTIONS = Object.keys(FILTER_PARAMS);

/**
 * The query parameters of the task filter the options in `values` give (unset ones undefined),
 * the times checked. `--status` goes as it is given: the manager has the one reader of a status,
 * which takes our names (`failed`), the proto's (`TASK_STATUS_FAILED`) and their numbers (`4`),
 * and its refusal names `--status` (`FILTER_FLAGS`). A list of the names here refused the other
 * forms REST takes.
 *
 * @throws {ValueError} naming the option of a time that is not one
 */
export function filterParams(values: Values): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(FILTER_PARAMS).map(([option, param]) => [
      param,
      option === "executor" || option === "status"
        ? stringOf(values, option)
        : timeOf(values, option),
    ]),
  );
}

/**
 * The option that sends each query parameter of a filter, and `confirm`: for refusals of the
 * manager that name the parameter (`ManagerClient.call`'s `flags`).
 */
export const FILTER_FLAGS: Record<string, string> = Object.fromEntries([
  ...Object.entries(FILTER_PARAMS).map(([option, param]) => [param, `--${option}`]),
  ["confirm", "--confirm"],
]);

/** The options of a bulk command: a filter and `--confirm`. */
export const BULK_OPTIONS = [...FILTER_OPTIONS, "confirm"];

const BULK = {
  delete: {
    method: "DELETE",
    path: "/tasks",
    count: "deleted",
    done: "Deleted",
    every: "every finished task",
  },
  cancel: {
    method: "POST",
    path: "/tasks/cancel",
    count: "cancelled",
    done: "Cancelled",
    every: "every pending task",
  },
  retry: {
    method: "POST",
    path: "/tasks/retry",
    count: "retried",
    done: "Ran again",
    every: "every failed and dead task",
  },
} as const;

/** The filter options that narrow a bulk call (a status alone does not: the manager's rule). */
const NARROWING = [
  "executor",
  "created-after",
  "created-before",
  "finished-after",
  "finished-before",
];

/**
 * The most calls one command makes (each looks at up to `BULK_MAX_TASKS` matching tasks): a guard
 * against a manager whose cursors never end without ever repeating.
 */
const MAX_CALLS = 100_000;

/**
 * Runs the bulk `verb` over every task matching the filter options and prints the counts:
 * `{"deleted": N}` (`retry`: `{"retried": N, "invalid": N}`) with `--json`, a sentence otherwise.
 * With no filter but `--status` it needs `--confirm`, checked here as `dlq purge`'s is: a usage
 * error (exit 2) before anything is sent, where the manager's refusal once made it exit 1.
 *
 * @throws {UsageError} with no narrowing filter and no `--confirm`
 * @throws {ManagerError} when the manager refuses a call, or answers that one stopped part way
 *   (`stopped`), the counts of what was done in the message
 * @throws {AnswerError} when an answer is not of the bulk shape (a count that is not a whole
 *   number), or its cursors go round in circles (the counts so far in the message)
 */
export async function runBulk(
  verb: keyof typeof BULK,
  values: Values,
  context: CommandContext,
): Promise<void> {
  const bulk = BULK[verb];
  const filter = {
    ...filterParams(values),
    confirm: values.confirm === true ? "true" : undefined,
  };
  // An empty value is no filter: the manager reads `--executor ""` as none.
  if (values.confirm !== true && !NARROWING.some((option) => values[option])) {
    throw new UsageError(
      `tasks ${verb} with no filter but --status acts on ${bulk.every}: add --confirm ` +
        `(or filter by ${NARROWING.map((option) => `--${option}`).join(", ")})`,
    );
  }
  const shape = object({
    [bulk.count]: count,
    ...(verb === "retry" ? { invalid: count } : {}),
    nextCursor: orNull(text),
    stopped: optional(object({ status: count, detail: text })),
  });
  const trail = new CursorTrail(routeOf(bulk.method, bulk.path), MAX_CALLS);
  let done = 0;
  let invalid = 0;
  let cursor: string | undefined;
  // What the calls before a refusal or a stop did stays done: the message says how much.
  const soFar = () => `${bulk.count} so far: ${done}; the same command again goes on`;
  do {
    let body: Json;
    try {
      body = await context.client.call(
        bulk.method,
        `${bulk.path}${queryOf({ ...filter, cursor })}`,
        undefined,
        { shape, flags: FILTER_FLAGS },
      );
    } catch (error) {
      if (!(error instanceof ManagerError) || done === 0) throw error;
      throw new ManagerError(`${error.message}; ${soFar()}`, error.status);
    }
    done += body[bulk.count];
    invalid += body.invalid ?? 0;
    if (body.stopped) {
      throw new ManagerError(
        `The manager stopped part way: ${body.stopped.detail}; ${soFar()}`,
        body.stopped.status,
      );
    }
    try {
      cursor = trail.next(body.nextCursor);
    } catch (error) {
      if (!(error instanceof AnswerError)) throw error;
      throw new AnswerError(`${error.message}; ${bulk.count} so far: ${done}`);
    }
  } while (cursor);
  const summary = verb === "retry" ? { retried: done, invalid } : { [bulk.count]: done };
  print(context, summary, () => {
    const line = `${bulk.done} ${done} task${done === 1 ? "" : "s"}`;
    return invalid > 0
      ? `${line}; ${invalid} left as they are: their data no longer fits the schema`
      : line;
  });
}
