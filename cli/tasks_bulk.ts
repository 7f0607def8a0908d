/**
 * `tasks delete|cancel|retry` by filter: one bulk call over REST after another, following
 * `nextCursor` until the manager has looked at every matching task, then the summed counts.
 */
import { UsageError } from "./client.ts";
import { type CommandContext, print, queryOf, stringOf, type Values } from "./command.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

/** The filter options of a bulk command, as `tasks` declares them. */
export const BULK_OPTIONS = [
  "executor",
  "status",
  "created-after",
  "created-before",
  "finished-after",
  "finished-before",
  "confirm",
];

const BULK = {
  delete: { method: "DELETE", path: "/tasks", count: "deleted", done: "Deleted" },
  cancel: { method: "POST", path: "/tasks/cancel", count: "cancelled", done: "Cancelled" },
  retry: { method: "POST", path: "/tasks/retry", count: "retried", done: "Ran again" },
} as const;

/** The most calls one command makes: a guard against a manager whose cursor never ends. */
const MAX_CALLS = 100_000;

/**
 * Runs the bulk `verb` over every task matching the filter options and prints the counts:
 * `{"deleted": N}` (`retry`: `{"retried": N, "invalid": N}`) with `--json`, a sentence otherwise.
 * The manager refuses a call without a filter unless `--confirm` is given.
 *
 * @throws {ManagerError} when the manager refuses a call (counts of the calls before it are lost)
 */
export async function runBulk(
  verb: keyof typeof BULK,
  values: Values,
  context: CommandContext,
): Promise<void> {
  const bulk = BULK[verb];
  const filter = {
    executorName: stringOf(values, "executor"),
    status: stringOf(values, "status"),
    createdAfter: stringOf(values, "created-after"),
    createdBefore: stringOf(values, "created-before"),
    finishedAfter: stringOf(values, "finished-after"),
    finishedBefore: stringOf(values, "finished-before"),
    confirm: values.confirm === true ? "true" : undefined,
  };
  let count = 0;
  let invalid = 0;
  let cursor: string | undefined;
  let calls = 0;
  do {
    if (++calls > MAX_CALLS) throw new UsageError(`Stopped after ${MAX_CALLS} calls`);
    const body = await context.client.call(
      bulk.method,
      `${bulk.path}${queryOf({ ...filter, cursor })}`,
    ) as Json;
    count += body[bulk.count] ?? 0;
    invalid += body.invalid ?? 0;
    cursor = typeof body.nextCursor === "string" && body.nextCursor !== ""
      ? body.nextCursor
      : undefined;
  } while (cursor);
  const summary = verb === "retry" ? { retried: count, invalid } : { [bulk.count]: count };
  print(context, summary, () => {
    const line = `${bulk.done} ${count} task${count === 1 ? "" : "s"}`;
    return invalid > 0
      ? `${line}; ${invalid} left as they are: their data no longer fits the schema`
      : line;
  });
}
