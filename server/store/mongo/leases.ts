/**
 * Leases in the MongoDB store: extending the leases of running tasks (heartbeats), checking which
 * leases still hold, and taking over tasks whose lease expired (the rescuer's claim).
 */
import type { Filter } from "mongodb";
import { answerLeaseChecks, type LeaseCheck, type LeaseRef, type RescuedTask } from "../store.ts";
import type { MongoContext } from "./context.ts";
import { json, num, type TaskDoc, toTask } from "./documents.ts";

/** `Store.leaseExtend`: moves each lease that still holds to `until`; answers per lease. */
export async function extendLeases(
  ctx: MongoContext,
  leases: LeaseRef[],
  until: number,
): Promise<boolean[]> {
  if (leases.length === 0) return [];
  await ctx.compat.locked(leases.map((l) => l.taskId), true, async (ids) => {
    const mine = new Set(ids);
    await ctx.compat.bulkWrite(
      ctx.tasks,
      leases.filter((lease) => mine.has(lease.taskId)).map((lease) => ({
        updateOne: {
          filter: { _id: lease.taskId, status: "in_progress", leaseToken: lease.leaseToken },
          update: {
            $set: lease.progress === undefined
              ? { leaseExpiresAt: until }
              : { leaseExpiresAt: until, progress: json(lease.progress) },
          },
        },
      })),
    );
  });
  const docs = await ctx.tasks.find(
    { _id: { $in: leases.map((l) => l.taskId) } },
    { projection: { status: 1, leaseToken: 1, leaseExpiresAt: 1 } },
  ).toArray();
  const byId = new Map(docs.map((d) => [d._id, d]));
  return leases.map((lease) => {
    const doc = byId.get(lease.taskId);
    return doc !== undefined && doc.status === "in_progress" &&
      doc.leaseToken === lease.leaseToken && num(doc.leaseExpiresAt) === until;
  });
}

/** `Store.leaseCheck`: whether each lease still holds. */
export async function checkLeases(ctx: MongoContext, leases: LeaseRef[]): Promise<LeaseCheck[]> {
  if (leases.length === 0) return [];
  const docs = await ctx.tasks.find(
    { _id: { $in: leases.map((lease) => lease.taskId) } },
    { projection: { status: 1, leaseToken: 1 } },
  ).toArray();
  return answerLeaseChecks(
    leases,
    docs.map((doc) => ({
      id: doc._id,
      status: doc.status,
      leaseToken: doc.leaseToken ?? null,
    })),
  );
}

/**
 * `Store.taskRescueExpired`: re-leases up to `limit` tasks whose lease expired before `now` to
 * `owner`, for `leaseMs`; returns them by id, each with the worker whose lease expired. Expiry is
 * `now` on this manager's clock against one written on the leasing manager's (FerretDB cannot
 * compare with the server's): docs/limits.md, "Clocks of managers sharing a MongoDB store".
 */
export async function rescueExpired(
  ctx: MongoContext,
  options: { now: number; limit: number; owner: string; leaseMs: number },
): Promise<RescuedTask[]> {
  if (options.limit <= 0) return [];
  const filter: Filter<TaskDoc> = {
    status: "in_progress",
    leaseExpiresAt: { $lt: options.now },
  };
  const expired = await ctx.tasks.find(filter, { projection: { _id: 1, workerId: 1 } })
    .sort({ leaseExpiresAt: 1 }).limit(options.limit).toArray();
  if (expired.length === 0) return [];
  const ids = expired.map((d) => d._id);
  // A task another rescuer took meanwhile no longer matches the filter: those taken here had
  // these workers.
  const workers = new Map(expired.map((d) => [d._id, d.workerId ?? null]));
  const token = crypto.randomUUID();
  await ctx.compat.locked(ids, false, async (free) => {
    await ctx.tasks.updateMany({ ...filter, _id: { $in: free } }, {
      $set: {
        leaseToken: token,
        workerId: options.owner,
        leaseExpiresAt: options.now + options.leaseMs,
        updatedAt: options.now,
      },
    });
  });
  const docs = await ctx.tasks.find({ _id: { $in: ids }, leaseToken: token }).toArray();
  return docs.sort((a, b) => (a._id < b._id ? -1 : 1)).map((doc) => ({
    ...toTask(doc),
    expiredWorkerId: workers.get(doc._id) ?? null,
  }));
}
