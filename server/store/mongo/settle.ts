/**
 * Settlements in the MongoDB store: the results of leased tasks applied as one unordered bulk of
 * single-document updates, each fenced by status `in_progress` and the lease token, and marked
 * with a per-call `settleMark` to answer per request (a dead task gets its dead-letter facts in
 * that same update: dlq.ts); and the bound on a task's attempt errors.
 */
import type { AnyBulkWriteOperation, UpdateFilter } from "mongodb";
import { keepTaskErrors } from "../../domain/task.ts";
import type { SettleRequest, WriteOptions } from "../store.ts";
import { writeConcernOf } from "./compat.ts";
import type { MongoContext } from "./context.ts";
import { json, num, type TaskDoc } from "./documents.ts";

/** `Store.taskSettle`: applies each request whose lease still holds; answers per request. */
export async function settleTasks(
  ctx: MongoContext,
  requests: SettleRequest[],
  options: WriteOptions & { now: number },
): Promise<boolean[]> {
  if (requests.length === 0) return [];
  const { tasks, compat } = ctx;
  const mark = crypto.randomUUID();
  const writeConcern = writeConcernOf(options.writeConcern, { needAnswer: true, compat });
  const seen = new Set<string>();
  const ops: AnyBulkWriteOperation<TaskDoc>[] = [];
  const first: boolean[] = requests.map((request) => {
    if (seen.has(request.taskId)) return false;
    seen.add(request.taskId);
    return true;
  });
  requests.forEach((request, i) => {
    if (!first[i]) return;
    ops.push({
      updateOne: {
        filter: { _id: request.taskId, status: "in_progress", leaseToken: request.leaseToken },
        update: settleUpdate(request, options.now, mark),
      },
    });
  });
  await compat.locked([...seen], true, async (unlocked) => {
    const mine = new Set(unlocked);
    const batch = ops.filter((op) =>
      "updateOne" in op && mine.has(String(op.updateOne.filter._id))
    );
    await compat.bulkWrite(tasks, batch, writeConcern);
  });
  // Only this call's updates carry `mark`. (A task claimed and settled again by others before
  // this read would answer false: a refusal, never a double application.)
  const applied = await tasks.find({ _id: { $in: [...seen] }, settleMark: mark }).toArray();
  await keepErrors(ctx, applied);
  const appliedIds = new Set(applied.map((d) => d._id));
  return requests.map((request, i) => first[i] && appliedIds.has(request.taskId));
}

/**
 * The one place a task's attempt errors are bounded, right after one is added: `keepTaskErrors`
 * to at most `errorsKept`, on `docs` as read back after the update and in the store. The write is
 * fenced by `updatedAt` and the number of errors read: if the task changed meanwhile, the next
 * error added bounds it again (so it holds at most one error more, for that moment).
 */
export async function keepErrors(ctx: MongoContext, docs: TaskDoc[]): Promise<void> {
  const long = docs.filter((doc) => (doc.errors?.length ?? 0) > ctx.errorsKept);
  if (long.length === 0) return;
  await ctx.compat.locked(long.map((doc) => doc._id), true, async () => {
    for (const doc of long) {
      const read = doc.errors.length;
      const kept = keepTaskErrors(doc.errors, num(doc.errorsDropped ?? 0), ctx.errorsKept);
      await ctx.tasks.updateOne(
        { _id: doc._id, updatedAt: doc.updatedAt, errors: { $size: read } },
        { $set: { errors: kept.errors, errorsDropped: kept.errorsDropped } },
      );
      doc.errors = kept.errors;
      doc.errorsDropped = kept.errorsDropped;
    }
  });
}

function settleUpdate(request: SettleRequest, now: number, mark: string): UpdateFilter<TaskDoc> {
  const base = {
    updatedAt: now,
    leaseToken: null,
    leaseExpiresAt: null,
    slotKey: request.taskId,
    keySlot: request.taskId,
    settleMark: mark,
  };
  const s = request.settlement;
  switch (s.kind) {
    case "completed":
      return {
        $set: {
          ...base,
          status: "completed",
          result: json(s.result),
          completedAt: now,
          logs: s.logs ?? [],
        },
      };
    case "retry":
      return {
        $set: { ...base, status: "pending", runAt: s.runAt, completedAt: null, workerId: null },
        ...(s.postponed ? { $inc: { attempt: -1 } } : { $push: { errors: s.error } }),
      };
    case "failed":
      return {
        $set: { ...base, status: "failed", completedAt: now },
        $push: { errors: s.error },
      };
    case "dlq":
      return {
        $set: {
          ...base,
          status: "dlq",
          completedAt: now,
          dlqReason: s.reason,
          deadAt: now,
          queueName: s.queueName,
        },
        $push: { errors: s.error },
      };
  }
}
