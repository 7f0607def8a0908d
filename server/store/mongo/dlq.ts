/**
 * The dead letter queue of the MongoDB store: the `dlq` collection of entries beside the dead
 * tasks, written after the settlement that killed them and repaired where a crash left one out.
 */
import type { AnyBulkWriteOperation, Filter, WriteConcernSettings } from "mongodb";
import type { DlqEntry } from "../../domain/dlq.ts";
import type { Task } from "../../domain/task.ts";
import type { DlqFilter, Page } from "../store.ts";
import type { MongoContext } from "./context.ts";
import { type DlqDoc, json, num, type TaskDoc, toDlqEntry, toTask } from "./documents.ts";

/** Lazy DLQ repair leaves younger settlements alone: they are still writing their entry. */
const DLQ_REPAIR_GRACE_MS = 5000;

/** A DLQ page cursor: the last entry's death time and id. */
function encodeDlqCursor(entry: DlqDoc): string {
  return `${num(entry.deadAt)}_${entry._id}`;
}

function decodeDlqCursor(cursor: string): { deadAt: number; id: string } | null {
  const at = cursor.indexOf("_");
  if (at < 1) return null;
  const deadAt = Number(cursor.slice(0, at));
  return Number.isFinite(deadAt) ? { deadAt, id: cursor.slice(at + 1) } : null;
}

function dlqQuery(filter: DlqFilter): Filter<DlqDoc> {
  const query: Filter<DlqDoc> = {};
  if (filter.executorName !== undefined) query.executorName = filter.executorName;
  if (filter.reason !== undefined) query.reason = filter.reason;
  if (filter.deadBefore !== undefined) query.deadAt = { $lt: filter.deadBefore };
  return query;
}

/** Upserts the DLQ entries of dead tasks (idempotent), then clears their pending marks. */
export async function writeDlqEntries(
  ctx: MongoContext,
  dead: TaskDoc[],
  writeConcern?: WriteConcernSettings,
): Promise<void> {
  await ctx.compat.bulkWrite(
    ctx.db.collection<DlqDoc>("dlq"),
    dead.map((doc): AnyBulkWriteOperation<DlqDoc> => {
      const entry: Omit<DlqDoc, "_id"> = {
        queueName: doc.queueName ?? "dlq",
        executorName: doc.executorName,
        reason: doc.dlqReason ?? "max_attempts",
        deadAt: num(doc.deadAt ?? doc.updatedAt),
        task: JSON.stringify(toTask(doc)),
      };
      return { updateOne: { filter: { _id: doc._id }, update: { $set: entry }, upsert: true } };
    }),
    writeConcern,
  );
  await ctx.compat.locked(dead.map((d) => d._id), true, async (ids) => {
    await ctx.tasks.updateMany(
      { _id: { $in: ids }, status: "dlq" },
      { $unset: { dlqPendingSince: "" } },
    );
  });
}

/** The DLQ verbs of `Store` over the `dlq` collection and the dead tasks. */
export class MongoDlq {
  readonly #ctx: MongoContext;

  constructor(ctx: MongoContext) {
    this.#ctx = ctx;
  }

  get #dlq() {
    return this.#ctx.db.collection<DlqDoc>("dlq");
  }

  /**
   * Writes the DLQ entries of dead tasks whose settlement stopped between the task update and
   * the entry (a crash): at open, and lazily before DLQ reads for settlements older than a grace.
   */
  async repair(graceMs: number): Promise<void> {
    const before = Date.now() - graceMs;
    for (let i = 0; i < 100; i++) {
      const stuck = await this.#ctx.tasks.find({
        dlqPendingSince: { $lte: before },
        status: "dlq",
      }).limit(500).toArray();
      if (stuck.length === 0) return;
      await writeDlqEntries(this.#ctx, stuck);
      if (stuck.length < 500) return;
    }
  }

  async list(filter: DlqFilter, page: { cursor?: string; limit: number }): Promise<Page<DlqEntry>> {
    await this.repair(DLQ_REPAIR_GRACE_MS);
    const query = dlqQuery(filter);
    const after = page.cursor ? decodeDlqCursor(page.cursor) : null;
    const paged: Filter<DlqDoc> = after
      ? {
        $and: [query, {
          $or: [
            { deadAt: { $lt: after.deadAt } },
            { deadAt: after.deadAt, _id: { $lt: after.id } },
          ],
        }],
      }
      : query;
    const docs = await this.#dlq.find(paged).sort({ deadAt: -1, _id: -1 })
      .limit(page.limit + 1).toArray();
    const more = docs.length > page.limit;
    const kept = docs.slice(0, page.limit);
    return {
      items: kept.map(toDlqEntry),
      nextCursor: more ? encodeDlqCursor(kept[kept.length - 1]) : null,
    };
  }

  async get(id: string): Promise<DlqEntry | null> {
    let doc = await this.#dlq.findOne({ _id: id });
    if (!doc) {
      // A crash may have left the task dead without its entry.
      const task = await this.#ctx.tasks.findOne({ _id: id, status: "dlq" });
      if (task?.dlqPendingSince === undefined) return null;
      await writeDlqEntries(this.#ctx, [task]);
      doc = await this.#dlq.findOne({ _id: id });
    }
    return doc ? toDlqEntry(doc) : null;
  }

  async requeue(id: string, options: { now: number; data?: unknown }): Promise<Task | null> {
    if (!(await this.get(id))) return null;
    const set: Partial<TaskDoc> = {
      status: "pending",
      attempt: 0,
      runAt: options.now,
      updatedAt: options.now,
      leaseToken: null,
      leaseExpiresAt: null,
      completedAt: null,
      slotKey: id,
      keySlot: id,
    };
    if (options.data !== undefined) set.data = json(options.data);
    let doc: TaskDoc | null = null;
    await this.#ctx.compat.locked([id], true, async () => {
      doc = await this.#ctx.tasks.findOneAndUpdate({ _id: id, status: "dlq" }, {
        $set: set,
        $inc: { requeues: 1 },
        $unset: { dlqReason: "", deadAt: "", queueName: "", dlqPendingSince: "" },
      }, { returnDocument: "after" });
    });
    // Without a dead task the entry is stale either way: it goes.
    await this.#dlq.deleteOne({ _id: id });
    return doc ? toTask(doc) : null;
  }

  async delete(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    // The task first: a crash in between leaves an entry that can be deleted again.
    await this.#ctx.compat.locked([id], true, async () => {
      await this.#ctx.tasks.deleteOne({ _id: id, status: "dlq" });
    });
    const result = await this.#dlq.deleteOne({ _id: id });
    return result.deletedCount > 0;
  }

  async purge(filter: DlqFilter): Promise<number> {
    await this.repair(DLQ_REPAIR_GRACE_MS);
    const query = dlqQuery(filter);
    let purged = 0;
    for (;;) {
      const ids = (await this.#dlq.find(query, { projection: { _id: 1 } }).limit(1000)
        .toArray()).map((d) => d._id);
      if (ids.length === 0) return purged;
      await this.#ctx.compat.locked(ids, true, async (locked) => {
        await this.#ctx.tasks.deleteMany({ _id: { $in: locked }, status: "dlq" });
      });
      const result = await this.#dlq.deleteMany({ _id: { $in: ids } });
      purged += result.deletedCount;
    }
  }
}
