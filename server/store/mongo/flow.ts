/**
 * Flow control in the MongoDB store: rate-limit buckets (GCRA `tat` per executor and per group
 * key) in the collection `flow_rates`, and the claim of an executor with flow control — a
 * round-robin walk over its group keys.
 *
 * Without transactions, each limit is made safe on its own: a bucket changes by compare-and-set
 * on its `tat` (under `locked` on FerretDB, whose updates are not isolated), tokens are taken
 * before the tasks are claimed and the unused ones given back after, so concurrent claimers can
 * only start fewer tasks than allowed, never more. Keyed concurrency is a slot per task in
 * progress, `keySlot = executor/n/key` with `n < maxConcurrencyPerKey`, under a unique index
 * (otherwise `keySlot` is the task id), as `slotKey` does for `maxConcurrency`.
 *
 * A task without a group key is stored with `groupKey: ""` (sorted first), so the walk is one
 * index range per executor.
 *
 * Indexes used: the next group key with a task ready and a group's ready tasks walk `claim_group`
 * (`executorName, status, groupKey, priority -1, runAt`: the database passes the keys that hold
 * only delayed tasks within the index, so a ready task behind thousands of them is one query
 * away); a group's running tasks are the same index's `in_progress` range.
 */
import type { Collection, Filter, IndexDescription, UpdateFilter } from "mongodb";
import {
  bucketTime,
  type FlowControl,
  gcraGiveBack,
  gcraTake,
  isKeyed,
  rateBucketsPrunedAt,
  type RateLimit,
} from "../../domain/flow.ts";
import type { ClaimOptions } from "../store.ts";
import { slotKeyOf } from "./documents.ts";
import { freeSlots } from "./slots.ts";

/** One rate bucket: `_id` = `executor/*` (executor-wide) or `executor/=key`. */
export interface RateDoc {
  _id: string;
  /** GCRA theoretical arrival time (epoch ms). */
  tat: number;
  /**
   * The latest claim time (`now`) that took from the bucket (epoch ms; absent in buckets written
   * before it). A claim's `now` is read before its round trips, so claims reach the bucket out
   * of their order in time: the cap of `gcraTake` is taken from this, and a give-back stops at it.
   */
  at?: number;
  /**
   * The time (ms) every give-back returned to the bucket, in all (absent in buckets no give-back
   * has written: 0). A give-back counts what others returned since its take (`gcraGiveBack`).
   */
  given?: number;
}

/** The task fields the flow claim reads and writes. */
export interface FlowTaskDoc {
  _id: string;
  executorName: string;
  status: string;
  priority: number;
  runAt: number;
  groupKey?: string;
  slotKey: string;
  keySlot?: string;
}

/** What the flow claim needs from the store. */
export interface MongoFlowDeps<T extends FlowTaskDoc> {
  tasks: Collection<T>;
  rates: Collection<RateDoc>;
  /** Runs `work` with the ids this call may change (`ServerCompat.locked`, compat.ts). */
  locked(ids: string[], wait: boolean, work: (ids: string[]) => Promise<void>): Promise<void>;
  isDuplicateKey(error: unknown): boolean;
  /** The claim's filter of ready tasks and its `$set`, as the plain claim uses them. */
  readyFilter(options: ClaimOptions): Filter<T>;
  claimSet(options: ClaimOptions, token: string): Record<string, unknown>;
}

/**
 * Deletes every bucket of `executor` (ids `executor/…`; names hold no `/`, and `0` sorts right
 * after it, so this is one `_id` range): called when the executor is deleted, so that one made
 * later with its name does not inherit its predecessor's `tat`s.
 */
export async function forgetRatesOf(rates: Collection<RateDoc>, executor: string): Promise<void> {
  await rates.deleteMany({ _id: { $gte: `${executor}/`, $lt: `${executor}0` } });
}

/** The index of the keyed walk. */
export const FLOW_INDEXES: IndexDescription[] = [
  {
    key: { executorName: 1, status: 1, groupKey: 1, priority: -1, runAt: 1 },
    name: "claim_group",
  },
  { key: { keySlot: 1 }, name: "key_slot", unique: true },
];

/** Most group visits of one claim beyond its limit: keys with no room are skipped this often. */
const EXTRA_VISITS = 64;
/** Compare-and-set attempts on one bucket before giving up (counted as no tokens). */
const CAS_TRIES = 8;
/** Claims between two prunings of full buckets (as the SQLite store's `pruneRates`). */
const PRUNE_EVERY = 1024;

/** The claim of executors with flow control; the round-robin position is this process's own. */
export class MongoFlowClaim<T extends FlowTaskDoc> {
  readonly #deps: MongoFlowDeps<T>;
  /** Where each executor's walk stopped: the last group served. */
  readonly #rr = new Map<string, string>();
  #claims = 0;

  constructor(deps: MongoFlowDeps<T>) {
    this.#deps = deps;
  }

  /**
   * Claims up to `options.limit` tasks under the flow control (and `maxConcurrency`), marking
   * them with `token`; their ids are pushed to `claimedIds`.
   */
  async claim(
    options: ClaimOptions & { flow: FlowControl },
    token: string,
    claimedIds: string[],
  ): Promise<void> {
    const { flow, executorName: executor } = options;
    // Buckets full again for a while are deleted (`rateBucketsPrunedAt`). A claim racing the
    // delete finds its compare-and-set undone and inserts the bucket afresh.
    if (++this.#claims % PRUNE_EVERY === 0) {
      await this.#deps.rates.deleteMany({ tat: { $lte: rateBucketsPrunedAt(options.now) } });
    }
    let limit = options.limit;
    let slots: string[] | null = null;
    if (options.maxConcurrency > 0) {
      slots = await this.#freeSlots(
        { executorName: executor },
        "slotKey",
        { count: options.maxConcurrency, want: limit, keyOf: (n) => slotKeyOf(executor, n) },
      );
      limit = Math.min(limit, slots.length);
    }
    if (limit <= 0) return;
    const wide = flow.rateLimit;
    const bucket = `${executor}/*`;
    let took = { tat: 0, given: 0, at: options.now };
    if (wide) {
      const taken = await this.#take(bucket, options, { want: limit, rate: wide });
      limit = taken.granted;
      took = taken;
    }
    if (limit <= 0) return;
    // Leased at the time the tokens were taken, not at the claim's `now`, read before its round
    // trips: a task's `startedAt` then keeps to its rate limit as the bucket does.
    const claim = { ...options, limit, now: took.at };
    const won = isKeyed(flow)
      ? await this.#walk(claim, { token, claimedIds, slots })
      : await this.#claimGroup(claim, undefined, { token, claimedIds, slots, keySlots: null });
    if (wide && won < limit) await this.#giveBack(bucket, limit - won, { rate: wide, took });
  }

  async #walk(
    options: ClaimOptions & { flow: FlowControl },
    out: { token: string; claimedIds: string[]; slots: string[] | null },
  ): Promise<number> {
    const { flow, executorName: executor, now } = options;
    const { tasks } = this.#deps;
    const pending = { executorName: executor, status: "pending" } as Filter<T>;
    /**
     * The group after `at` (`undefined`: from the start) with a task ready now, or `undefined` at
     * the cycle's end: keys holding only delayed tasks are passed by the database, not visited.
     */
    const next = async (at: string | undefined): Promise<string | undefined> => {
      const doc = await tasks.find(
        {
          ...pending,
          groupKey: at === undefined ? { $gte: "" } : { $gt: at },
          runAt: { $lte: now },
        } as Filter<T>,
        { projection: { groupKey: 1 } },
      ).sort({ groupKey: 1 }).limit(1).next();
      return doc ? doc.groupKey as string : undefined;
    };
    let position = this.#rr.get(executor);
    let won = 0;
    let quantum = 1;
    let served = 0;
    let ends = 0;
    const maxVisits = options.limit + EXTRA_VISITS;
    for (let visits = 0; visits < maxVisits && won < options.limit; visits++) {
      const group = await next(position);
      if (group === undefined) {
        // The end of the cycle: stop after a whole cycle that gave nothing; else share what is
        // left among the groups that gave.
        if (ends++ > 0 && served === 0) break;
        if (served > 0) quantum = Math.ceil((options.limit - won) / served);
        served = 0;
        position = undefined;
        continue;
      }
      position = group;
      let want = Math.min(quantum, options.limit - won);
      let keySlots: string[] | null = null;
      if (flow.maxConcurrencyPerKey > 0) {
        keySlots = await this.#freeSlots(
          { executorName: executor, groupKey: group },
          "keySlot",
          { count: flow.maxConcurrencyPerKey, want, keyOf: (n) => `${executor}/${n}/${group}` },
        );
        want = Math.min(want, keySlots.length);
      }
      const perKey = flow.rateLimitPerKey;
      const bucket = `${executor}/=${group}`;
      let took = { tat: 0, given: 0, at: now };
      if (perKey && want > 0) {
        const taken = await this.#take(bucket, options, { want, rate: perKey });
        want = taken.granted;
        took = taken;
      }
      if (want <= 0) continue;
      const got = await this.#claimGroup({ ...options, limit: want, now: took.at }, group, {
        ...out,
        keySlots,
      });
      if (perKey && got < want) {
        await this.#giveBack(bucket, want - got, { rate: perKey, took });
      }
      if (got === 0) continue;
      served++;
      won += got;
    }
    if (position !== undefined) this.#rr.set(executor, position);
    return won;
  }

  /**
   * Up to `slots.want` free slots of `field` (`freeSlots`), those held by tasks in progress
   * matching `filter` taken.
   */
  async #freeSlots(
    filter: Record<string, unknown>,
    field: "slotKey" | "keySlot",
    slots: { count: number; want: number; keyOf: (n: number) => string },
  ): Promise<string[]> {
    const running = await this.#deps.tasks.find(
      { ...filter, status: "in_progress" } as Filter<T>,
      { projection: { [field]: 1 } },
    ).toArray();
    const used = new Set(running.map((doc) => doc[field]));
    return freeSlots(slots.count, used, slots.want, slots.keyOf);
  }

  /**
   * Claims up to `options.limit` ready tasks of one group (`undefined`: of any group), each
   * taking a free slot where a limit needs one; a slot taken meanwhile loses only that task.
   */
  async #claimGroup(
    options: ClaimOptions,
    group: string | undefined,
    out: {
      token: string;
      claimedIds: string[];
      slots: string[] | null;
      keySlots: string[] | null;
    },
  ): Promise<number> {
    const { tasks, locked, readyFilter, claimSet, isDuplicateKey } = this.#deps;
    const filter = { ...readyFilter(options) } as Record<string, unknown>;
    if (group !== undefined) filter.groupKey = group;
    const docs = await tasks.find(filter as Filter<T>, { projection: { _id: 1 } })
      .sort({ priority: -1, runAt: 1, _id: 1 }).limit(options.limit).toArray();
    const ids = docs.map((doc) => doc._id);
    if (ids.length === 0) return 0;
    const set = claimSet(options, out.token);
    let won = 0;
    await locked(ids, false, async (free) => {
      const slotKeys = free.map(() => out.slots?.pop());
      const results = await Promise.allSettled(free.map((id, i) => {
        const slotted: Record<string, unknown> = { ...set };
        if (out.slots) slotted.slotKey = slotKeys[i];
        if (out.keySlots) slotted.keySlot = out.keySlots[i];
        if (out.slots && slotted.slotKey === undefined) return Promise.resolve(null);
        return tasks.updateOne(
          { ...filter, _id: id } as Filter<T>,
          { $set: slotted, $inc: { attempt: 1 } } as unknown as UpdateFilter<T>,
        );
      }));
      results.forEach((result, i) => {
        if (result.status === "rejected") {
          // Another claimer holds that slot now.
          if (!isDuplicateKey(result.reason)) throw result.reason;
          return;
        }
        const modified = result.value?.modifiedCount ?? 0;
        won += modified;
        // Another claimer took the task: its slot is still free for the next group's tasks.
        const slot = slotKeys[i];
        if (modified === 0 && slot !== undefined) out.slots!.push(slot);
      });
    });
    out.claimedIds.push(...ids);
    return won;
  }

  /**
   * Takes up to `want` tokens of a bucket at the claim's `bucketTime`, read when the bucket is
   * (each compare-and-set attempt anew); how many it got, the `tat` it left, the bucket's
   * `given` then (0 when absent), and the time it took them at.
   */
  #take(
    id: string,
    claim: ClaimOptions,
    ask: { want: number; rate: RateLimit },
  ): Promise<{ granted: number; tat: number; given: number; at: number }> {
    return this.#change(id, (bucket) => {
      const now = bucketTime(claim);
      const taken = gcraTake(bucket.tat, { ...ask, now, latest: bucket.at });
      const at = Math.max(bucket.at ?? now, now);
      return {
        bucket: { ...bucket, tat: taken.tat, at },
        result: { ...taken, given: bucket.given ?? 0, at },
      };
    }, { granted: 0, tat: 0, given: 0, at: claim.now });
  }

  /**
   * Gives back `count` tokens taken and not used by a take that left the bucket at `took.tat`, its
   * `given` then at `took.given` (`gcraGiveBack`), and adds what came back to the bucket's `given`.
   */
  async #giveBack(
    id: string,
    count: number,
    options: { rate: RateLimit; took: { tat: number; given: number } },
  ): Promise<void> {
    const { rate } = options;
    const took = options.took.tat;
    await this.#change(id, (bucket) => {
      // Without `at` (written anew since by a manager that does not keep it) nothing comes back,
      // nor from a bucket made anew since the take (its `given` restarted: `givenSince` < 0).
      const latest = bucket.at ?? took;
      const given = bucket.given ?? 0;
      const tat = gcraGiveBack(bucket.tat, {
        count,
        rate,
        took,
        latest,
        givenSince: given - options.took.given,
      });
      return { bucket: { ...bucket, tat, given: given + bucket.tat - tat }, result: 0 };
    }, 0);
  }

  /**
   * Compare-and-set of one bucket (a missing bucket reads as `tat` 0): written when `next` changes
   * its `tat`, if its `tat` and `given` are still what were read.
   */
  async #change<R>(
    id: string,
    next: (bucket: Bucket) => { bucket: Bucket; result: R },
    fallback: R,
  ): Promise<R> {
    const { rates, locked, isDuplicateKey } = this.#deps;
    let answer = fallback;
    await locked([id], true, async () => {
      for (let attempt = 0; attempt < CAS_TRIES; attempt++) {
        const doc = await rates.findOne({ _id: id });
        const read: Bucket = { tat: doc?.tat ?? 0, at: doc?.at, given: doc?.given };
        const { bucket, result } = next(read);
        if (bucket.tat === read.tat) {
          answer = result;
          return;
        }
        const set = Object.fromEntries(
          Object.entries(bucket).filter(([, value]) => value !== undefined),
        ) as Bucket;
        try {
          // `given` too: a take and a give-back can leave `tat` where it was, not `given`.
          const unchanged = {
            _id: id,
            tat: read.tat,
            given: read.given === undefined ? { $exists: false } : read.given,
          };
          const done = doc
            ? (await rates.updateOne(unchanged, { $set: set })).modifiedCount
            : (await rates.insertOne({ _id: id, ...set }), 1);
          if (done === 1) {
            answer = result;
            return;
          }
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
      }
    });
    return answer;
  }
}

/** A bucket's state, as `#change` reads and writes it. */
type Bucket = Omit<RateDoc, "_id">;
