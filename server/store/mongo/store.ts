/**
 * The MongoDB store (`openMongoStore`): every `Store` verb atomic without multi-document
 * transactions, so it runs on standalone servers, replica sets and FerretDB. This class holds the
 * executor verbs and the task verbs of a statement or two, and delegates the rest by concern:
 * documents.ts (shapes, mapping, indexes), claim.ts and flow.ts (the claim), settle.ts, leases.ts,
 * dlq.ts (and the migration of older databases), keys.ts, history.ts, schedules.ts, search.ts,
 * serving.ts;
 * errors.ts maps driver errors. What differs between servers is a `ServerCompat` (compat.ts;
 * ferretdb.ts for FerretDB) chosen once here, when the store opens.
 *
 * Write concern levels (an executor's level applies to `taskInsert` and `taskSettle`):
 * - `unacknowledged` → `{ w: 0 }` for inserts without idempotency keys. Verbs whose answer
 *   depends on the server (inserts with a key: `insertWriteConcern`; fenced settlements) need an
 *   acknowledgement and use `{ w: 1 }` (and FerretDB always does: see ferretdb.ts).
 * - `replica_acknowledged` → `{ w: 1 }`; `journaled` → `{ w: 1, j: true }`; `majority` →
 *   `{ w: "majority", j: true }` (journaled on a majority, whatever the replica set's
 *   `writeConcernMajorityJournalDefault`).
 */
import { type Collection, type Db, type Filter, MongoClient, type UpdateFilter } from "mongodb";
import { ConflictError, NotFoundError } from "../../domain/errors.ts";
import type { DlqEntry } from "../../domain/dlq.ts";
import {
  type Executor,
  EXECUTOR_DELETION_LEASE_MS,
  executorDeletingError,
  executorInUseError,
  executorMissingError,
  executorsFullError,
} from "../../domain/executor.ts";
import { DEFAULT_LIMITS } from "../../domain/limits.ts";
import {
  ENDED_STATUSES,
  type NewTask,
  type Task,
  TASK_STATUSES,
  type TaskStatus,
} from "../../domain/task.ts";
import type {
  ApiKeyRecord,
  ClaimOptions,
  DeleteOptions,
  DemandReport,
  DlqFilter,
  ExecutorTaskStats,
  ExecutorVersion,
  ExecutorVersionRef,
  InsertAndClaim,
  InsertOptions,
  InsertOutcome,
  KeyUse,
  LeaseCheck,
  LeaseRef,
  Page,
  PageRequestBounds,
  RescuedTask,
  ServingFigures,
  ServingReport,
  SettleRequest,
  Store,
  StorePage,
  TaskFilter,
  TaskRef,
  TaskVersion,
  TransitionChange,
  WriteOptions,
} from "../store.ts";
import {
  assertInsertExecutors,
  emptyTaskStats,
  executorUpdatedMeanwhile,
  idRangeOf,
  insertWriteConcern,
  type ListPageBounds,
  PageTaker,
  scanLimitOf,
  storedSize,
  sweepLeft,
} from "../store.ts";
import { deleteCounted } from "./counted_delete.ts";
import {
  asRead,
  namedOrWithId,
  offerAllDocs,
  REF_PROJECTION,
  type RefDoc,
  toRef,
} from "./documents.ts";
import { MongoTaskClaim } from "./claim.ts";
import { MONGODB, type ServerCompat, writeConcernOf } from "./compat.ts";
import type { MongoContext } from "./context.ts";
import {
  deletionBegin,
  type DeletionContext,
  deletionOf,
  deletionsBefore,
  deletionSweep,
} from "./deletions.ts";
import { migrateDlqCollection, MongoDlq, UNSET_DEAD_LETTER } from "./dlq.ts";
import {
  type DemandDoc,
  EXECUTOR_INDEXES,
  type ExecutorDoc,
  inRun,
  json,
  num,
  TASK_INDEXES,
  type TaskDoc,
  toExecutor,
  toExecutorDoc,
  toTask,
  toTaskDoc,
} from "./documents.ts";
import { duplicateKeyFailures, guard, translate } from "./errors.ts";
import { FERRETDB_POOL_SIZE, FerretDbCompat, isFerretDb } from "./ferretdb.ts";
import { FLOW_INDEXES, forgetRatesOf, type RateDoc } from "./flow.ts";
import { MongoHistory } from "./history.ts";
import { NamedInserts } from "./named_inserts.ts";
import { MongoScheduleStore } from "./schedules.ts";
import { MongoTaskSearch } from "./search.ts";
import { MongoServing, type ServingDoc } from "./serving.ts";
import { keepErrors, settleTasks } from "./settle.ts";
import { MongoKeys } from "./keys.ts";
import { checkLeases, extendLeases, rescueExpired } from "./leases.ts";

/** Options of `openMongoStore`. */
export interface MongoStoreOptions {
  /** A MongoDB connection string, e.g. `mongodb://127.0.0.1:27017`. */
  uri: string;
  dbName: string;
  /**
   * How long a call waits for a reachable server before it fails (default 10 s; the connection
   * string's `serverSelectionTimeoutMS` wins).
   */
  serverSelectionTimeoutMs?: number;
  /**
   * How long a heartbeat or a new connection may take before the server is taken for gone
   * (default 5 s; the connection string's `connectTimeoutMS` wins). A server that stops answering
   * (a stalled process, a link that drops packets) fails the calls waiting on it as
   * `UnavailableError` after a heartbeat (every 10 s) and its retry have each timed out: ~15 s
   * measured, where the driver's own 30 s default held them ~70 s.
   */
  connectTimeoutMs?: number;
  /** Most attempt errors a task keeps (default `DEFAULT_LIMITS.errorsKept`; `keepTaskErrors`). */
  errorsKept?: number;
  /**
   * Open only a database that holds a store already (any collection): a command that reads keys
   * should not make an empty store under a mistyped name and answer from it.
   * @throws {NotFoundError} when the database has no collection
   */
  existing?: boolean;
}

class MongoStore implements Store {
  readonly kind = "mongo" as const;
  readonly history: MongoHistory;
  readonly schedules: MongoScheduleStore;
  readonly search: MongoTaskSearch<TaskDoc>;
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #compat: ServerCompat;
  readonly #ctx: MongoContext;
  readonly #executorInserts: NamedInserts<ExecutorDoc>;
  readonly #executors: Collection<ExecutorDoc>;
  readonly #tasks: Collection<TaskDoc>;
  readonly #demand: Collection<DemandDoc>;
  readonly #serving: MongoServing;
  readonly #keys: MongoKeys;
  readonly #claim: MongoTaskClaim;
  readonly #dlq: MongoDlq;
  #closed = false;

  constructor(
    client: MongoClient,
    db: Db,
    options: { compat: ServerCompat; errorsKept: number },
  ) {
    this.#client = client;
    this.#db = db;
    this.#compat = options.compat;
    this.#executors = db.collection<ExecutorDoc>("executors");
    this.#executorInserts = new NamedInserts(this.#executors, {
      what: "Executor",
      isDuplicateKey: (error) => this.#compat.isDuplicateKey(error),
      full: executorsFullError,
    });
    this.#tasks = db.collection<TaskDoc>("tasks");
    this.#demand = db.collection<DemandDoc>("demand");
    this.#serving = new MongoServing(db.collection<ServingDoc>("serving"));

    this.#ctx = { db, tasks: this.#tasks, compat: this.#compat, errorsKept: options.errorsKept };
    this.#keys = new MongoKeys(db.collection("keys"), this.#compat);
    this.#claim = new MongoTaskClaim(this.#ctx);
    this.#dlq = new MongoDlq(this.#ctx);
    this.history = new MongoHistory(db, {
      guard,
      bulkWrite: (collection, ops) => this.#compat.bulkWrite(collection, ops),
      locked: (ids, work) => this.#compat.locked(ids, true, work),
      ensureIndexes: (collection, specs) => this.#compat.ensureIndexes(collection, specs),
      isDuplicateKey: (error) => this.#compat.isDuplicateKey(error),
    });
    this.search = new MongoTaskSearch(this.#tasks, { guard, toTask });
    this.schedules = new MongoScheduleStore({
      db,
      guard,
      isDuplicateKey: (error) => this.#compat.isDuplicateKey(error),
      executorExists: async (name) => (await this.#executorsNamed([name])).has(name),
      locked: (ids, work) => this.#compat.locked(ids, true, () => work()),
      ensureIndexes: (collection, specs) => this.#compat.ensureIndexes(collection, specs),
    });
  }

  /**
   * Creates the indexes and migrates what earlier versions wrote (flow fields, the DLQ). The worker
   * that pending tasks of versions that kept it on the way back to pending still name is not
   * cleared here but ignored where a task is read (`toTask`) and cleared by its next write (a claim
   * names its own, a move from pending none): a pass over every pending task at each open cost the
   * start a write per task, 55 s for 2,000 of them on FerretDB.
   */
  async init(): Promise<void> {
    await this.#compat.ensureIndexes(this.#executors, EXECUTOR_INDEXES);
    await this.#compat.ensureIndexes(this.#tasks, TASK_INDEXES);
    await this.#fillFlowFields();
    await this.#compat.ensureIndexes(this.#tasks, FLOW_INDEXES);
    await this.history.init();
    await this.schedules.init();
    await migrateDlqCollection(this.#ctx);
  }

  /**
   * Gives every task written before flow control its `keySlot` (the task id), which the unique
   * index `key_slot` needs, and the empty group key; a batch at a time.
   */
  async #fillFlowFields(): Promise<void> {
    for (;;) {
      const docs = await this.#tasks.find({ keySlot: { $exists: false } }, {
        projection: { _id: 1 },
      }).limit(500).toArray();
      if (docs.length === 0) return;
      await this.#compat.bulkWrite(
        this.#tasks,
        docs.map((doc) => ({
          updateOne: {
            filter: { _id: doc._id },
            update: { $set: { keySlot: doc._id, groupKey: "" } },
          },
        })),
      );
    }
  }

  ping(): Promise<void> {
    return guard(async () => {
      await this.#db.command({ ping: 1 });
    });
  }

  // Executors --------------------------------------------------------------------------------

  /**
   * Refuses a name a deletion still holds (deletions.ts), or finishes that deletion first when it
   * began `EXECUTOR_DELETION_LEASE_MS` or more before `executor.createdAt` (abandoned). Then
   * inserts, and reads the name's deletion again: one that began between the two reads (its
   * executor went before this insert, and its sweep deletes by name) makes this create take its
   * executor back, help the sweep to its end and refuse.
   */
  executorCreate(executor: Executor, options: { max?: number } = {}): Promise<Executor> {
    return guard(async () => {
      const deletions = this.#deletionContext();
      const holding = await deletionOf(deletions, executor.name);
      if (holding) {
        if (executor.createdAt - holding.startedAt < EXECUTOR_DELETION_LEASE_MS) {
          throw executorDeletingError(executor.name);
        }
        await deletionSweep(deletions, holding);
      }
      await this.#executorInserts.insert(toExecutorDoc(executor), options);
      const began = await deletionOf(deletions, executor.name);
      if (began && began.executorId !== executor.id) {
        await this.#executors.deleteOne({ _id: executor.id });
        await deletionSweep(deletions, began);
        throw executorDeletingError(executor.name);
      }
      return executor;
    });
  }

  executorGet(idOrName: string): Promise<Executor | null> {
    return guard(async () => {
      const doc = await namedOrWithId(this.#executors, idOrName);
      return doc ? toExecutor(doc) : null;
    });
  }

  executorList(
    filter: { names?: readonly string[] },
    page: PageRequestBounds,
  ): Promise<StorePage<Executor>> {
    return guard(async () => {
      const name: Record<string, unknown> = {};
      if (page.cursor !== undefined) name.$gt = page.cursor;
      if (filter.names !== undefined) name.$in = [...filter.names];
      const query = Object.keys(name).length === 0 ? {} : { name };
      const taker = new PageTaker<ExecutorDoc>(page, storedSize);
      const docs = this.#executors.find(query).sort({ name: 1 }).limit(page.limit + 1);
      await offerAllDocs(docs, taker);
      return taker.page(toExecutor, (doc) => doc.name);
    });
  }

  executorVersions(): Promise<ExecutorVersion[]> {
    return guard(async () => {
      const docs = await this.#executors.find({})
        .project<Pick<ExecutorDoc, "_id" | "name" | "updatedAt">>({ name: 1, updatedAt: 1 })
        .sort({ name: 1 }).toArray();
      return docs.map((doc) => ({ id: doc._id, name: doc.name, updatedAt: num(doc.updatedAt) }));
    });
  }

  executorUpdate(executor: Executor, options: { basedOn: number }): Promise<Executor | null> {
    return guard(async () => {
      try {
        // Locked: FerretDB's replace is not isolated, so two updates could both pass the filter.
        let matched = 0;
        if (executor.updatedAt > options.basedOn) {
          await this.#compat.locked([executor.id], true, async () => {
            matched = (await this.#executors.replaceOne(
              { _id: executor.id, updatedAt: options.basedOn },
              toExecutorDoc(executor),
            )).matchedCount;
          });
        }
        if (matched === 1) return executor;
        const stored = await this.#executors.findOne({ _id: executor.id }, {
          projection: { _id: 1 },
        });
        if (stored) throw executorUpdatedMeanwhile(executor.name);
        return null;
      } catch (error) {
        if (this.#compat.isDuplicateKey(error)) {
          throw new ConflictError(`Executor "${executor.name}" already exists`);
        }
        throw error;
      }
    });
  }

  /**
   * Counts what a delete without `force` is refused for, writes the deletion that keeps the name
   * taken (deletions.ts), deletes the executor, then sweeps its rate buckets, schedules and tasks
   * and ends the deletion. Creates of schedules and tasks insert first and read the executor after
   * (`scheduleCreate`, `taskInsert`): one that read it before this deleted it inserted before this
   * sweeps, and one that read it after takes its own insert back. No transaction joins the steps:
   * what a client racing them may see is in `Store.executorDelete`.
   */
  executorDelete(
    id: string,
    options: { force?: boolean; now?: number } = {},
  ): Promise<boolean> {
    return guard(async () => {
      const found = await this.#executors.findOne({ _id: id }, { projection: { name: 1 } });
      if (!found) return false;
      const name = found.name;
      if (!options.force) {
        const [activeTasks, schedules] = await Promise.all([
          this.#tasks.countDocuments({
            executorName: name,
            status: { $in: ["pending", "in_progress"] },
          }),
          this.schedules.scheduleCount({ executorNames: [name] }),
        ]);
        if (activeTasks > 0 || schedules > 0) {
          throw executorInUseError(name, { activeTasks, schedules });
        }
      }
      const deletion = { _id: name, executorId: id, startedAt: options.now ?? Date.now() };
      const deletions = this.#deletionContext();
      await deletionBegin(deletions, deletion);
      // A delete racing this one that deleted the executor first sweeps as well; so does this one,
      // whose deletion is the same.
      const { deletedCount } = await this.#executors.deleteOne({ _id: id });
      // Done once the executor is gone: a sweep that fails leaves the rest to the resume.
      await deletionSweep(deletions, deletion).catch((error) => sweepLeft(name, error));
      return deletedCount > 0;
    });
  }

  /** Every task has a key from its insert (flow.ts): nothing is ever left half-way. */
  executorKeyingsResume(_options: { now: number; signal?: AbortSignal }): Promise<string[]> {
    return Promise.resolve([]);
  }

  executorDeletionsResume(options: { now: number; signal?: AbortSignal }): Promise<string[]> {
    return guard(async () => {
      const deletions = this.#deletionContext();
      const abandoned = await deletionsBefore(deletions, options.now - EXECUTOR_DELETION_LEASE_MS);
      const ended: string[] = [];
      for (const deletion of abandoned) {
        if (await deletionSweep(deletions, deletion, options.signal)) ended.push(deletion._id);
      }
      return ended;
    });
  }

  /** What the executor verbs need to hold a name and sweep it (deletions.ts). */
  #deletionContext(): DeletionContext {
    return {
      db: this.#db,
      tasks: this.#tasks,
      executors: this.#executors,
      // After the executor, so a claim racing the delete cannot leave a bucket behind for long:
      // one it writes later is capped by `gcraTake` to what the next executor's rate allows.
      sweepOwned: async (name) => {
        await forgetRatesOf(this.#db.collection<RateDoc>("flow_rates"), name);
        await this.schedules.deleteByExecutor(name);
      },
    };
  }

  /** The versions of the executors of `names` there are now, by name. */
  async #executorsNamed(names: Iterable<string>): Promise<Map<string, ExecutorVersionRef>> {
    const docs = await this.#executors.find({ name: { $in: [...new Set(names)] } })
      .project<Pick<ExecutorDoc, "_id" | "name" | "updatedAt">>({ name: 1, updatedAt: 1 })
      .toArray();
    return new Map(docs.map((doc) => [doc.name, { id: doc._id, updatedAt: num(doc.updatedAt) }]));
  }

  // Tasks ------------------------------------------------------------------------------------

  /**
   * With `executorVersions`, reads the executors first and refuses when one changed (nothing
   * inserted: a task inserted, then deleted again, might have been claimed meanwhile); so it does
   * for `requireExecutors` and one that is gone then, and for an `unacknowledged` insert (whose
   * `w:0` write may land after a delete that follows it) even without versions. With
   * `requireExecutors`, it also reads the executors after the insert: when one is gone, deletes
   * the tasks this call inserted and refuses (see `executorDelete` for why that order).
   */
  taskInsert(tasks: NewTask[], options: InsertOptions = {}): Promise<InsertOutcome[]> {
    return guard(async () => {
      if (tasks.length === 0) return [];
      const names = [...new Set(tasks.map((task) => task.executorName))];
      const level = insertWriteConcern(tasks, options.writeConcern);
      const versions = options.executorVersions;
      if (versions || (options.requireExecutors && level === "unacknowledged")) {
        const before = await this.#executorsNamed([...names, ...(versions?.keys() ?? [])]);
        assertInsertExecutors(tasks, options, (name) => before.get(name));
      }
      const docs = tasks.map(toTaskDoc);
      const writeConcern = writeConcernOf(level, {
        needAnswer: false,
        compat: this.#compat,
      });
      let failed = new Set<number>();
      try {
        await this.#tasks.insertMany(docs, { ordered: false, writeConcern });
      } catch (error) {
        const duplicates = duplicateKeyFailures(error);
        if (duplicates === null) throw error;
        failed = new Set(duplicates);
      }
      if (options.requireExecutors) {
        const found = await this.#executorsNamed(names);
        const missing = names.find((name) => !found.has(name));
        if (missing !== undefined) {
          const inserted = docs.filter((_, i) => !failed.has(i)).map((doc) => doc._id);
          if (inserted.length > 0) await this.#tasks.deleteMany({ _id: { $in: inserted } });
          throw executorMissingError("create task", missing);
        }
      }
      const existing = new Map<string, TaskDoc>();
      if (failed.size > 0) {
        const keys = [...failed].map((i) => docs[i].idemKey);
        for (const doc of await this.#tasks.find({ idemKey: { $in: keys } }).toArray()) {
          existing.set(doc.idemKey, doc);
        }
      }
      return docs.map((doc, i): InsertOutcome => {
        if (!failed.has(i)) return { created: true, task: toTask(doc) };
        const found = existing.get(doc.idemKey);
        if (!found || tasks[i].idempotencyKey === null) {
          throw new ConflictError(`Cannot create task: id "${doc._id}" is taken`);
        }
        return { created: false, task: toTask(found) };
      });
    });
  }

  /** Two calls: MongoDB has no transaction this store may count on. */
  async taskInsertAndClaim(
    tasks: NewTask[],
    claim: ClaimOptions,
    options: InsertOptions = {},
  ): Promise<InsertAndClaim> {
    const outcomes = await this.taskInsert(tasks, options);
    return { outcomes, claimed: await this.taskClaim(claim), onDisk: Promise.resolve() };
  }

  taskGet(id: string): Promise<Task | null> {
    return guard(async () => {
      const doc = await this.#tasks.findOne({ _id: id });
      return doc ? toTask(doc) : null;
    });
  }

  taskList(filter: TaskFilter, page: PageRequestBounds): Promise<StorePage<Task>> {
    return guard(async () => {
      const taker = new PageTaker<TaskDoc>(page, storedSize);
      await offerAllDocs(await this.#listed(filter, page, taker), taker);
      return taker.page(toTask, (doc) => doc._id);
    });
  }

  taskListRefs(
    filter: TaskFilter,
    page: ListPageBounds,
  ): Promise<Page<TaskRef>> {
    return guard(async () => {
      const taker = new PageTaker<RefDoc>({ limit: page.limit }, storedSize);
      const listed = await this.#listed(filter, page, taker);
      const docs = listed.project<RefDoc>(REF_PROJECTION);
      await offerAllDocs(docs, taker);
      return taker.page(toRef, (doc) => doc._id);
    });
  }

  taskRefsOf(ids: readonly string[]): Promise<TaskRef[]> {
    return guard(async () => {
      const docs = await this.#tasks
        .find({ _id: { $in: [...ids] } })
        .project<RefDoc>(REF_PROJECTION)
        .toArray();
      return docs.map(toRef);
    });
  }

  /**
   * The tasks of a listing, newest first, one more than a page; one by finish time looks at
   * `scanLimit` tasks at most, and tells `taker` where it stopped.
   */
  async #listed<R>(
    filter: TaskFilter,
    page: ListPageBounds,
    taker: PageTaker<R>,
  ) {
    const query: Filter<TaskDoc> = {};
    if (filter.executorName !== undefined) query.executorName = filter.executorName;
    if (filter.status && filter.status.length > 0) query.status = { $in: filter.status };
    if (filter.createdAfter !== undefined || filter.createdBefore !== undefined) {
      query.createdAt = {
        ...(filter.createdAfter !== undefined ? { $gte: filter.createdAfter } : {}),
        ...(filter.createdBefore !== undefined ? { $lt: filter.createdBefore } : {}),
      };
    }
    if (filter.finishedAfter !== undefined || filter.finishedBefore !== undefined) {
      query.completedAt = {
        ...(filter.finishedAfter !== undefined ? { $gte: filter.finishedAfter } : {}),
        ...(filter.finishedBefore !== undefined ? { $lt: filter.finishedBefore } : {}),
      };
    }
    const ids = idRangeOf(filter, page.cursor);
    const range: { $gte?: string; $lt?: string } = {
      ...(ids.from !== undefined ? { $gte: ids.from } : {}),
      ...(ids.below !== undefined ? { $lt: ids.below } : {}),
    };
    const scanLimit = scanLimitOf(filter, page);
    if (scanLimit !== null) {
      const [floor] = await this.#tasks
        .find(Object.keys(range).length ? { _id: range } : {})
        .sort({ _id: -1 })
        .skip(scanLimit - 1)
        .limit(1)
        .project<{ _id: string }>({ _id: 1 })
        .toArray();
      if (floor) {
        range.$gte = floor._id;
        taker.cutAt = floor._id;
      }
    }
    if (Object.keys(range).length) query._id = range;
    return this.#tasks.find(query).sort({ _id: -1 }).limit(page.limit + 1);
  }

  taskClaim(options: ClaimOptions): Promise<Task[]> {
    return guard(() => this.#claim.claim(options));
  }

  taskSettle(
    requests: SettleRequest[],
    options: WriteOptions & { now: number },
  ): Promise<boolean[]> {
    return guard(() => settleTasks(this.#ctx, requests, options));
  }

  leaseExtend(leases: LeaseRef[], until: number): Promise<boolean[]> {
    return guard(() => extendLeases(this.#ctx, leases, until));
  }

  leaseCheck(leases: LeaseRef[]): Promise<LeaseCheck[]> {
    return guard(() => checkLeases(this.#ctx, leases));
  }

  taskRescueExpired(
    options: { now: number; limit: number; owner: string; leaseMs: number },
  ): Promise<RescuedTask[]> {
    return guard(() => rescueExpired(this.#ctx, options));
  }

  demandReport(report: DemandReport): Promise<Record<string, number>> {
    return guard(async () => {
      // Not atomic: for a moment another manager may miss this one's report, and take a larger
      // share until its next report.
      await this.#demand.deleteMany({
        $or: [{ managerId: report.managerId }, { reportedAt: { $lt: report.since } }],
      });
      const docs = Object.entries(report.capacity).map(([executorName, capacity]) => ({
        _id: `${report.managerId}/${executorName}`,
        managerId: report.managerId,
        executorName,
        capacity,
        reportedAt: report.now,
      }));
      if (docs.length > 0) await this.#demand.insertMany(docs);
      const totals = await this.#demand.aggregate<{ _id: string; total: number }>([
        { $match: { reportedAt: { $gte: report.since } } },
        { $group: { _id: "$executorName", total: { $sum: "$capacity" } } },
      ]).toArray();
      return Object.fromEntries(totals.map((t) => [t._id, num(t.total)]));
    });
  }

  servingReport(report: ServingReport): Promise<void> {
    return this.#serving.servingReport(report);
  }

  servingTotals(
    options: { since: number; exceptManagerId?: string },
  ): Promise<Record<string, ServingFigures>> {
    return this.#serving.servingTotals(options);
  }

  taskTransition(id: string, change: TransitionChange): Promise<Task | null> {
    return guard(async () => {
      let doc: TaskDoc | null = null;
      await this.#compat.locked([id], true, async () => {
        doc = await this.#tasks.findOneAndUpdate(
          {
            _id: id,
            status: change.from,
            ...(change.leaseToken === undefined ? {} : { leaseToken: change.leaseToken }),
            ...(change.run === undefined ? {} : inRun(change.run)),
          },
          transitionUpdate(id, change),
          { returnDocument: "after" },
        );
      });
      if (!doc) return null;
      if (change.patch?.error) await keepErrors(this.#ctx, [doc]);
      return toTask(doc);
    });
  }

  taskTransitionMany(
    ids: string[],
    change: { from: TaskStatus; to: TaskStatus; now: number },
    options: { onMoved?: (id: string) => void } = {},
  ): Promise<string[]> {
    return guard(async () => {
      const moved: string[] = [];
      for (const id of ids) {
        await this.#compat.locked([id], true, async () => {
          // An update, not findOneAndUpdate: the task is not sent back (FerretDB 1.24 cannot
          // project a findAndModify's answer).
          const updated = await this.#tasks.updateOne(
            { _id: id, status: change.from },
            transitionUpdate(id, change),
          );
          if (updated.matchedCount === 1) {
            moved.push(id);
            options.onMoved?.(id);
          }
        });
      }
      return moved;
    });
  }

  taskNextRunAt(executorNames: string[], now: number): Promise<number | null> {
    return guard(async () => {
      if (executorNames.length === 0) return null;
      const [doc] = await this.#tasks.find(
        { executorName: { $in: executorNames }, status: "pending", runAt: { $gt: now } },
        { projection: { runAt: 1 } },
      ).sort({ runAt: 1 }).limit(1).toArray();
      return doc ? num(doc.runAt) : null;
    });
  }

  taskStats(options: { now: number }): Promise<ExecutorTaskStats[]> {
    return guard(async () => {
      const counts = await this.#tasks.aggregate<{ _id: { e: string; s: TaskStatus }; n: number }>(
        [{ $group: { _id: { e: "$executorName", s: "$status" }, n: { $sum: 1 } } }],
      ).toArray();
      const stats = new Map<string, ExecutorTaskStats>();
      for (const row of counts) {
        if (typeof row._id?.e !== "string" || !TASK_STATUSES.includes(row._id.s)) continue;
        let s = stats.get(row._id.e);
        if (!s) stats.set(row._id.e, s = emptyTaskStats(row._id.e));
        s.byStatus[row._id.s] = num(row.n);
      }
      // The DLQ is the executor's dead tasks (dlq.ts).
      for (const s of stats.values()) s.dlqSize = s.byStatus.dlq;
      const pending = [...stats.values()].filter((s) => s.byStatus.pending > 0);
      const oldest = await this.#compat.oldestPendingRunAt(
        this.#tasks,
        pending.map((s) => s.executorName),
        options.now,
      );
      for (const s of pending) s.oldestPendingRunAt = oldest.get(s.executorName) ?? null;
      return [...stats.values()].sort((a, b) => a.executorName.localeCompare(b.executorName));
    });
  }

  taskPurgeFinished(options: { before: number; limit: number }): Promise<number> {
    return guard(async () => {
      if (options.limit <= 0) return 0;
      const filter: Filter<TaskDoc> = {
        status: { $in: ["completed", "cancelled"] },
        completedAt: { $lt: options.before },
      };
      const ids = (await this.#tasks.find(filter, { projection: { _id: 1 } })
        .limit(options.limit).toArray()).map((d) => d._id);
      if (ids.length === 0) return 0;
      let deleted = 0;
      await this.#compat.locked(ids, false, async (free) => {
        deleted = (await this.#tasks.deleteMany({ ...filter, _id: { $in: free } })).deletedCount;
      });
      return deleted;
    });
  }

  /**
   * One `deleteMany` of the tasks' ids; a failure part way tells `onDeleted` how many of them
   * are gone (read again: `deleteCounted`) before the error is thrown.
   */
  taskDeleteMany(tasks: readonly TaskVersion[], options: DeleteOptions = {}): Promise<number> {
    return guard(async () => {
      const read = tasks.filter((task) => task.status !== "dlq");
      if (read.length === 0) return 0;
      let deleted = 0;
      await this.#compat.locked(read.map((task) => task.id), true, async (free) => {
        // One filter: each task only while still in the status and run it was read in.
        const mine = new Set(free);
        const held = read.filter((task) => mine.has(task.id));
        if (held.length === 0) return;
        const ids = held.map((task) => task.id);
        const count = await deleteCounted(this.#tasks, asRead(held), ids, (gone) => {
          deleted += gone;
          options.onDeleted?.(gone);
        });
        deleted += count;
        options.onDeleted?.(count);
      });
      return deleted;
    });
  }

  // Dead letter queue ------------------------------------------------------------------------

  dlqList(filter: DlqFilter, page: PageRequestBounds): Promise<StorePage<DlqEntry>> {
    return guard(() => this.#dlq.list(filter, page));
  }

  dlqListRefs(filter: DlqFilter, page: { cursor?: string; limit: number }): Promise<Page<TaskRef>> {
    return guard(() => this.#dlq.listRefs(filter, page));
  }

  dlqGet(id: string): Promise<DlqEntry | null> {
    return guard(() => this.#dlq.get(id));
  }

  dlqRequeue(
    id: string,
    options: { now: number; data?: unknown; run?: number },
  ): Promise<Task | null> {
    return guard(() => this.#dlq.requeue(id, options));
  }

  dlqDelete(id: string, options: { run?: number } = {}): Promise<boolean> {
    return guard(() => this.#dlq.delete(id, options));
  }

  dlqPurge(filter: DlqFilter, options?: DeleteOptions): Promise<number> {
    return guard(() => this.#dlq.purge(filter, options));
  }

  // API keys -----------------------------------------------------------------------------------

  keyCreate(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    return this.#keys.create(key);
  }

  keyGet(id: string): Promise<ApiKeyRecord | null> {
    return this.#keys.get(id);
  }

  keyList(filter?: { valid?: boolean }): Promise<ApiKeyRecord[]> {
    return this.#keys.list(filter);
  }

  keyListPage(page: PageRequestBounds): Promise<StorePage<ApiKeyRecord>> {
    return this.#keys.page(page);
  }

  keyRevoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    return this.#keys.revoke(id, now);
  }

  keyTouch(uses: KeyUse[]): Promise<void> {
    return this.#keys.touch(uses);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#compat.close();
    await this.#client.close();
  }
}

/**
 * Connects to MongoDB (or FerretDB), picks the server's `ServerCompat`, creates the indexes and
 * migrates what earlier versions wrote (`migrateDlqCollection`). The driver reconnects on its own after an outage;
 * calls made while the server is away fail with `UnavailableError`.
 *
 * @example
 * ```ts ignore
 * import { openMongoStore } from "./store.ts";
 * await using store = await openMongoStore({ uri: "mongodb://127.0.0.1:27017", dbName: "tasks" });
 * await store.ping();
 * ```
 * @throws {UnavailableError} when no server answers within the selection timeout.
 */
export async function openMongoStore(options: MongoStoreOptions): Promise<Store> {
  const connect = async (maxPoolSize?: number) => {
    const client = new MongoClient(options.uri, {
      ...timeoutDefaults(options.uri, {
        serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 10_000,
        connectTimeoutMS: options.connectTimeoutMs ?? 5_000,
      }),
      ignoreUndefined: true,
      ...(maxPoolSize ? { maxPoolSize } : {}),
    });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.close().catch(() => {});
      throw translate(error);
    }
  };
  let client = await connect();
  try {
    const ferret = isFerretDb(await client.db("admin").command({ buildInfo: 1 }));
    if (ferret) {
      await client.close();
      client = await connect(FERRETDB_POOL_SIZE);
    }
    const db = client.db(options.dbName);
    if (
      options.existing && (await db.listCollections({}, { nameOnly: true }).toArray()).length === 0
    ) {
      throw new NotFoundError(`No store in MongoDB database "${options.dbName}"`);
    }
    const store = new MongoStore(client, db, {
      compat: ferret ? new FerretDbCompat(db) : MONGODB,
      errorsKept: options.errorsKept ?? DEFAULT_LIMITS.errorsKept,
    });
    await store.init();
    return store;
  } catch (error) {
    await client.close().catch(() => {});
    throw translate(error);
  }
}

/**
 * `defaults` without the options the connection string `uri` names itself (the driver lets the
 * options object win over the string; an operator's string should win over our defaults).
 */
export function timeoutDefaults(
  uri: string,
  defaults: Record<string, number>,
): Record<string, number> {
  const query = uri.includes("?") ? uri.slice(uri.indexOf("?") + 1) : "";
  const named = new Set([...new URLSearchParams(query).keys()].map((key) => key.toLowerCase()));
  return Object.fromEntries(
    Object.entries(defaults).filter(([option]) => !named.has(option.toLowerCase())),
  );
}

/** The update of `taskTransition` for the task `id`. */
function transitionUpdate(id: string, change: TransitionChange): UpdateFilter<TaskDoc> {
  const patch = change.patch ?? {};
  const set: Record<string, unknown> = {
    status: change.to,
    updatedAt: change.now,
    leaseToken: null,
    leaseExpiresAt: null,
    slotKey: id,
    keySlot: id,
    completedAt: ENDED_STATUSES.includes(change.to) ? change.now : null,
  };
  if (patch.result !== undefined) set.result = json(patch.result);
  if (patch.runAt !== undefined) set.runAt = patch.runAt;
  if (patch.resetAttempts) set.attempt = 0;
  if (patch.data !== undefined) set.data = json(patch.data);
  // A pending task names no worker; one written by an earlier version may still (see `init`).
  if (change.to === "pending" || change.from === "pending") set.workerId = null;
  const update: UpdateFilter<TaskDoc> = { $set: set as Partial<TaskDoc> };
  if (patch.error) update.$push = { errors: patch.error };
  if (patch.resetAttempts) update.$inc = { requeues: 1 };
  if (change.from === "dlq") update.$unset = UNSET_DEAD_LETTER;
  return update;
}
