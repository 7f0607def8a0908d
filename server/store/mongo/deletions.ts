/**
 * Deletions of executors still running on MongoDB: collection `executor_deletions`, one document
 * per name (`_id`), keeps a deleted executor's name taken until its tasks are all gone.
 */
import type { Collection } from "mongodb";
import type { MongoContext } from "./context.ts";
import type { ExecutorDoc } from "./documents.ts";

/** A deletion still running: its executor is gone (or going), its tasks are being deleted. */
export interface DeletionDoc {
  /** The executor's name. */
  _id: string;
  /** The deleted executor's id: what tells this deletion from a later one of the same name. */
  executorId: string;
  /** When it began (epoch ms, the deleting manager's clock). */
  startedAt: number;
}

/** What a deletion reads and deletes. */
export interface DeletionContext extends Pick<MongoContext, "db" | "tasks"> {
  executors: Collection<ExecutorDoc>;
  /** Deletes what else the name owns (rate buckets, schedules); runs before its tasks go. */
  sweepOwned(name: string): Promise<void>;
}

/** Tasks one batch of a sweep reads and deletes. */
const SWEEP_BATCH = 1000;

function deletions(ctx: DeletionContext): Collection<DeletionDoc> {
  return ctx.db.collection<DeletionDoc>("executor_deletions");
}

/** The deletion holding `name`, if one does. */
export function deletionOf(ctx: DeletionContext, name: string): Promise<DeletionDoc | null> {
  return deletions(ctx).findOne({ _id: name });
}

/** The deletions that began at or before `startedBy` (epoch ms), oldest first. */
export function deletionsBefore(ctx: DeletionContext, startedBy: number): Promise<DeletionDoc[]> {
  return deletions(ctx).find({ startedAt: { $lte: startedBy } }).sort({ startedAt: 1 }).toArray();
}

/**
 * Writes `deletion` before its executor is deleted. A document left for the name by an earlier
 * deletion is replaced: this one deletes every task of the name, theirs included.
 */
export async function deletionBegin(ctx: DeletionContext, deletion: DeletionDoc): Promise<void> {
  await deletions(ctx).replaceOne({ _id: deletion._id }, deletion, { upsert: true });
}

/**
 * Deletes what `deletion`'s name owns, its tasks a batch at a time, then the deletion, which frees
 * the name. Any manager may run it, the one that began it or one that finds it abandoned, both at
 * once too: each batch reads its task ids, then checks that the deletion still stands and that no
 * executor holds the name, then deletes those ids only. So a sweep that lost its deletion
 * (finished by another manager, the name perhaps taken again since) deletes nothing made after
 * that, and none deletes under an executor that exists. Such an executor is a create between its
 * insert and its check of this deletion, which takes its executor back and runs this sweep again
 * (`executorCreate`); the sweep stops and leaves the deletion to it. Once `signal` aborts, no
 * further batch begins, the deletion stays, and the answer is `false` (otherwise `true`).
 */
export async function deletionSweep(
  ctx: DeletionContext,
  deletion: DeletionDoc,
  signal?: AbortSignal,
): Promise<boolean> {
  const name = deletion._id;
  const own = { _id: name, executorId: deletion.executorId };
  const free = async () => {
    const [stands, executor] = await Promise.all([
      deletions(ctx).findOne(own, { projection: { _id: 1 } }),
      ctx.executors.findOne({ name }, { projection: { _id: 1 } }),
    ]);
    return stands !== null && executor === null;
  };
  if (!(await free())) return true;
  await ctx.sweepOwned(name);
  for (;;) {
    if (signal?.aborted) return false;
    const batch = await ctx.tasks.find({ executorName: name }, { projection: { _id: 1 } })
      .limit(SWEEP_BATCH).toArray();
    if (!(await free())) return true;
    if (batch.length === 0) break;
    const ids = batch.map((doc) => doc._id);
    await ctx.tasks.deleteMany({ _id: { $in: ids }, executorName: name });
  }
  await deletions(ctx).deleteOne(own);
  return true;
}
