/**
 * The claim of the MongoDB store: ready tasks of one executor leased to one worker, without
 * transactions. Candidates are read in claim order (`claim` index: priority, then `runAt`), then
 * taken with updates that re-check `pending`, so a task another claimer took meanwhile is
 * skipped; a fresh token marks what this call won. Under `maxConcurrency` each task also takes a
 * free slot (`slotKey`, unique index: see documents.ts); executors with flow control go through
 * flow.ts. A round that lost candidates to other claimers is followed by another.
 */
import type { Filter } from "mongodb";
import { hasFlowControl } from "../../domain/flow.ts";
import type { Task } from "../../domain/task.ts";
import type { ClaimOptions } from "../store.ts";
import type { MongoContext } from "./context.ts";
import { num, slotKeyOf, type TaskDoc, toTask } from "./documents.ts";
import { MongoFlowClaim, type RateDoc } from "./flow.ts";
import { freeSlots } from "./slots.ts";

/** Claim rounds when other claimers won some candidates. */
const CLAIM_ROUNDS = 6;

function byClaimOrder(a: TaskDoc, b: TaskDoc): number {
  return num(b.priority) - num(a.priority) || num(a.runAt) - num(b.runAt) ||
    (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);
}

/** `Store.taskClaim` over the `tasks` collection (see the module doc). */
export class MongoTaskClaim {
  readonly #ctx: MongoContext;
  readonly #flow: MongoFlowClaim<TaskDoc>;

  constructor(ctx: MongoContext) {
    this.#ctx = ctx;
    this.#flow = new MongoFlowClaim<TaskDoc>({
      tasks: ctx.tasks,
      rates: ctx.db.collection<RateDoc>("flow_rates"),
      locked: (ids, wait, work) => ctx.compat.locked(ids, wait, work),
      isDuplicateKey: (error) => ctx.compat.isDuplicateKey(error),
      readyFilter: (options) => this.#claimFilter(options),
      claimSet: (options, token) => this.#claimSet(options, token),
    });
  }

  /** Leases up to `options.limit` ready tasks; returns them in claim order. */
  async claim(options: ClaimOptions): Promise<Task[]> {
    if (options.limit <= 0) return [];
    const token = crypto.randomUUID();
    const claimedIds: string[] = [];
    let won = 0;
    const flow = options.flow && hasFlowControl(options.flow) ? options.flow : null;
    if (flow) {
      await this.#flow.claim({ ...options, flow }, token, claimedIds);
      won = claimedIds.length;
    }
    for (let round = 0; round < CLAIM_ROUNDS && won < options.limit && !flow; round++) {
      const gained = options.maxConcurrency > 0
        ? await this.#claimRoundLimited(options, token, options.limit - won, claimedIds)
        : await this.#claimRound(options, token, options.limit - won, claimedIds);
      won += gained.won;
      // Every candidate taken, or none left: more rounds would find nothing new.
      if (!gained.contended) break;
    }
    if (won === 0) return [];
    const docs = await this.#ctx.tasks.find({ _id: { $in: claimedIds }, leaseToken: token })
      .toArray();
    return docs.sort(byClaimOrder).map(toTask);
  }

  #claimFilter(options: ClaimOptions): Filter<TaskDoc> {
    return {
      executorName: options.executorName,
      status: "pending",
      runAt: { $lte: options.now },
    };
  }

  #claimSet(options: ClaimOptions, token: string): Partial<TaskDoc> {
    return {
      status: "in_progress",
      leaseToken: token,
      leaseExpiresAt: options.now + options.leaseMs,
      workerId: options.owner,
      startedAt: options.now,
      updatedAt: options.now,
      progress: "null",
    };
  }

  async #candidates(options: ClaimOptions, count: number): Promise<string[]> {
    const docs = await this.#ctx.tasks.find(this.#claimFilter(options), {
      projection: { _id: 1 },
    }).sort({ priority: -1, runAt: 1, _id: 1 }).limit(count).toArray();
    return docs.map((d) => d._id);
  }

  /** One claim round without a concurrency limit: one `updateMany` over the candidates. */
  async #claimRound(
    options: ClaimOptions,
    token: string,
    want: number,
    claimedIds: string[],
  ): Promise<{ won: number; contended: boolean }> {
    const { tasks, compat } = this.#ctx;
    const ids = await this.#candidates(options, compat.claimWindow(want));
    if (ids.length === 0) return { won: 0, contended: false };
    let won = 0;
    // The filter re-checks `pending` per document, so a task another claimer took meanwhile is
    // skipped; the token marks what this call won.
    await compat.locked(ids, false, async (free) => {
      const result = await tasks.updateMany(
        { ...this.#claimFilter(options), _id: { $in: free.slice(0, want) } },
        { $set: this.#claimSet(options, token), $inc: { attempt: 1 } },
      );
      won = result.modifiedCount;
    });
    claimedIds.push(...ids);
    return { won, contended: won < want && ids.length >= want };
  }

  /** One claim round under `maxConcurrency`: each task takes a free slot (unique index). */
  async #claimRoundLimited(
    options: ClaimOptions,
    token: string,
    want: number,
    claimedIds: string[],
  ): Promise<{ won: number; contended: boolean }> {
    const { tasks, compat } = this.#ctx;
    const running = await tasks.find(
      { executorName: options.executorName, status: "in_progress" },
      { projection: { slotKey: 1 } },
    ).toArray();
    const room = options.maxConcurrency - running.length;
    if (room <= 0) return { won: 0, contended: false };
    const used = new Set(running.map((d) => d.slotKey));
    const free = freeSlots(
      options.maxConcurrency,
      used,
      Math.min(want, room),
      (slot) => slotKeyOf(options.executorName, slot),
    );
    const ids = await this.#candidates(options, free.length);
    if (ids.length === 0) return { won: 0, contended: false };
    const set = this.#claimSet(options, token);
    let won = 0;
    await compat.locked(ids, false, async (unlocked) => {
      const results = await Promise.allSettled(unlocked.map((id, i) =>
        tasks.updateOne(
          { ...this.#claimFilter(options), _id: id },
          { $set: { ...set, slotKey: free[i] }, $inc: { attempt: 1 } },
        )
      ));
      for (const result of results) {
        if (result.status === "rejected") {
          // Another claimer holds that slot now.
          if (!compat.isDuplicateKey(result.reason)) throw result.reason;
        } else won += result.value.modifiedCount;
      }
    });
    claimedIds.push(...ids);
    return { won, contended: won < ids.length };
  }
}
