/**
 * The dead letter queue of the MongoDB store, as queries and transitions on tasks. A dead task is
 * a task in status `dlq` whose document carries its dead-letter facts (`dlqReason`, `queueName`,
 * `deadAt`), written by the settlement that kills it in the same single-document update
 * (settle.ts); `DlqEntry` is the API's view of such a task (`toDlqEntry`). Stored once: requeue
 * and delete are single-document changes of the task, fenced by its status. The list pages newest
 * first on the indexes `dlq_dead` and `dlq_executor_dead` (documents.ts).
 *
 * Databases written before kept a copy of each dead task in a `dlq` collection:
 * `migrateDlqCollection` moves them to this shape when the store opens.
 */
import { type Filter, MongoServerError } from "mongodb";
import type { DlqEntry } from "../../domain/dlq.ts";
import type { Task } from "../../domain/task.ts";
import type {
  DeleteOptions,
  DlqFilter,
  Page,
  PageRequestBounds,
  StorePage,
  TaskRef,
} from "../store.ts";
import { dlqCursor, dlqCursorOf, PageTaker, storedSize } from "../store.ts";
import type { MongoContext } from "./context.ts";
import {
  inRun,
  json,
  num,
  offerAllDocs,
  REF_PROJECTION,
  type RefDoc,
  type TaskDoc,
  toDlqEntry,
  toRef,
  toTask,
} from "./documents.ts";
import { deleteCounted } from "./counted_delete.ts";
import { NAMESPACE_NOT_FOUND } from "./errors.ts";

/** Dead tasks one purge round deletes. */
const PURGE_BATCH = 1000;
/** Entries one migration round moves. */
const MIGRATE_BATCH = 500;
/** The server's code for an index that does not exist. */
const INDEX_NOT_FOUND = 27;

/** The `$unset` that takes a task out of the DLQ: its dead-letter facts go. */
export const UNSET_DEAD_LETTER = { dlqReason: "", deadAt: "", queueName: "" } as const;

/** A DLQ page cursor: the last entry's death time and id. */
function encodeCursor(doc: Pick<TaskDoc, "_id" | "deadAt">): string {
  return dlqCursorOf({ deadAt: num(doc.deadAt), id: doc._id });
}

/** The dead tasks a DLQ filter matches. */
function deadTasks(filter: DlqFilter): Filter<TaskDoc> {
  const query: Filter<TaskDoc> = { status: "dlq" };
  if (filter.executorName !== undefined) query.executorName = filter.executorName;
  if (filter.reason !== undefined) query.dlqReason = filter.reason;
  if (filter.deadBefore !== undefined) query.deadAt = { $lt: filter.deadBefore };
  return query;
}

/** The DLQ verbs of `Store` over the dead tasks (see the module doc). */
export class MongoDlq {
  readonly #ctx: MongoContext;

  constructor(ctx: MongoContext) {
    this.#ctx = ctx;
  }

  async list(filter: DlqFilter, page: PageRequestBounds): Promise<StorePage<DlqEntry>> {
    const taker = new PageTaker<TaskDoc>(page, storedSize);
    await offerAllDocs(this.#page(filter, page), taker);
    return taker.page(toDlqEntry, encodeCursor);
  }

  async listRefs(
    filter: DlqFilter,
    page: { cursor?: string; limit: number },
  ): Promise<Page<TaskRef>> {
    type Ref = RefDoc & Pick<TaskDoc, "deadAt">;
    const taker = new PageTaker<Ref>({ limit: page.limit }, storedSize);
    const docs = this.#page(filter, page).project<Ref>({ ...REF_PROJECTION, deadAt: 1 });
    await offerAllDocs(docs, taker);
    return taker.page(toRef, encodeCursor);
  }

  /** The dead tasks of a page, newest death first, one more than the page. */
  #page(filter: DlqFilter, page: { cursor?: string; limit: number }) {
    const query = deadTasks(filter);
    const after = dlqCursor(page.cursor);
    const paged: Filter<TaskDoc> = after
      ? {
        $and: [query, {
          $or: [
            { deadAt: { $lt: after.deadAt } },
            { deadAt: after.deadAt, _id: { $lt: after.id } },
          ],
        }],
      }
      : query;
    return this.#ctx.tasks.find(paged).sort({ deadAt: -1, _id: -1 }).limit(page.limit + 1);
  }

  async get(id: string): Promise<DlqEntry | null> {
    const doc = await this.#ctx.tasks.findOne({ _id: id, status: "dlq" });
    return doc ? toDlqEntry(doc) : null;
  }

  /**
   * Back to pending from attempt 0 at `now`, with `data` when given; `null` if not dead (in `run`,
   * when given).
   */
  async requeue(
    id: string,
    options: { now: number; data?: unknown; run?: number },
  ): Promise<Task | null> {
    const set: Partial<TaskDoc> = {
      status: "pending",
      attempt: 0,
      runAt: options.now,
      updatedAt: options.now,
      leaseToken: null,
      leaseExpiresAt: null,
      completedAt: null,
      workerId: null,
      slotKey: id,
      keySlot: id,
    };
    if (options.data !== undefined) set.data = json(options.data);
    let doc: TaskDoc | null = null;
    await this.#ctx.compat.locked([id], true, async () => {
      doc = await this.#ctx.tasks.findOneAndUpdate(
        { _id: id, status: "dlq", ...(options.run !== undefined ? inRun(options.run) : {}) },
        { $set: set, $inc: { requeues: 1 }, $unset: UNSET_DEAD_LETTER },
        { returnDocument: "after" },
      );
    });
    return doc ? toTask(doc) : null;
  }

  async delete(id: string, options: { run?: number } = {}): Promise<boolean> {
    const query: Filter<TaskDoc> = {
      _id: id,
      status: "dlq",
      ...(options.run !== undefined ? inRun(options.run) : {}),
    };
    let deleted = 0;
    await this.#ctx.compat.locked([id], true, async () => {
      deleted = (await this.#ctx.tasks.deleteOne(query)).deletedCount;
    });
    return deleted > 0;
  }

  async purge(filter: DlqFilter, options: DeleteOptions = {}): Promise<number> {
    const query = deadTasks(filter);
    let purged = 0;
    for (;;) {
      // The filter is applied again in the delete: a task requeued since and dead again after
      // `deadBefore` (or for another reason) is not deleted.
      const ids = (await this.#ctx.tasks.find(query, { projection: { _id: 1 } })
        .limit(PURGE_BATCH).toArray()).map((d) => d._id);
      if (ids.length === 0) return purged;
      await this.#ctx.compat.locked(ids, true, async (locked) => {
        // A batch cut part way tells how many of it went all the same (`deleteCounted`).
        const deleted = await deleteCounted(this.#ctx.tasks, query, locked, (gone) => {
          options.onDeleted?.(gone);
        });
        purged += deleted;
        options.onDeleted?.(deleted);
      });
    }
  }
}

/** A DLQ entry as databases written before kept it in the `dlq` collection. */
interface LegacyDlqDoc {
  _id: string;
  queueName: string;
  reason: TaskDoc["dlqReason"];
  deadAt: number;
}

/**
 * Moves a database written before the DLQ was a task state to it, at open (a no-op once done):
 * (1) each entry of the `dlq` collection gives its dead task the facts it lacks (the settlements
 * of that version wrote them on the task too, so they are rarely missing); (2) the mark
 * `dlqPendingSince` (a settlement that had yet to write its entry) and its index `dlq_pending`
 * go; (3) the `dlq` collection is dropped, last. Every step is idempotent and only fills what is
 * missing, so a manager that dies midway leaves work the next open finishes, and two managers
 * opening at once do the same writes; a task requeued meanwhile is no longer `dlq` and is left
 * alone.
 */
export async function migrateDlqCollection(ctx: MongoContext): Promise<void> {
  const { db, tasks, compat } = ctx;
  const found = await db.listCollections({ name: "dlq" }, { nameOnly: true }).toArray();
  if (found.length === 0) return;
  const entries = db.collection<LegacyDlqDoc>("dlq");
  for (let after = "";;) {
    const batch = await entries.find({ _id: { $gt: after } }, {
      projection: { queueName: 1, reason: 1, deadAt: 1 },
    }).sort({ _id: 1 }).limit(MIGRATE_BATCH).toArray();
    if (batch.length === 0) break;
    after = batch[batch.length - 1]._id;
    await compat.locked(batch.map((entry) => entry._id), true, async (ids) => {
      const mine = new Set(ids);
      await compat.bulkWrite(
        tasks,
        batch.filter((entry) => mine.has(entry._id)).map((entry) => ({
          updateOne: {
            filter: { _id: entry._id, status: "dlq", deadAt: { $exists: false } },
            update: {
              $set: { dlqReason: entry.reason, queueName: entry.queueName, deadAt: entry.deadAt },
            },
          },
        })),
      );
    });
  }
  for (;;) {
    const marked = (await tasks.find({ dlqPendingSince: { $exists: true } }, {
      projection: { _id: 1 },
    }).limit(MIGRATE_BATCH).toArray()).map((doc) => doc._id);
    if (marked.length === 0) break;
    await compat.locked(marked, true, async (ids) => {
      await tasks.updateMany({ _id: { $in: ids } }, { $unset: { dlqPendingSince: "" } });
    });
  }
  await tasks.dropIndex("dlq_pending").catch(ignore(INDEX_NOT_FOUND, NAMESPACE_NOT_FOUND));
  await entries.drop().catch(ignore(NAMESPACE_NOT_FOUND));
}

/** A `catch` handler that lets server errors with these codes pass (another opener was first). */
function ignore(...codes: number[]): (error: unknown) => void {
  return (error) => {
    if (!(error instanceof MongoServerError) || !codes.includes(Number(error.code))) throw error;
  };
}
