/**
 * Schedules on the MongoDB store: collection `schedules` (queried fields, the rest as JSON text in
 * `body`, as FerretDB refuses `$` field names in data) with an index on `enabled, nextFireAt`.
 */
import type { Collection, Db, Filter } from "mongodb";
import { ConflictError } from "../../domain/errors.ts";
import { executorMissingError } from "../../domain/executor.ts";
import { type Schedule, schedulesFullError } from "../../domain/schedule.ts";
import { NamedInserts } from "./named_inserts.ts";
import type { DueCursor, ScheduleFilter, ScheduleFireState, ScheduleStore } from "../schedules.ts";
import { type PageRequestBounds, PageTaker, storedSize, type StorePage } from "../store.ts";
import { namedOrWithId, offerAllDocs } from "./documents.ts";

interface ScheduleDoc {
  _id: string;
  name: string;
  executorName: string;
  enabled: boolean;
  nextFireAt: number | null;
  version: number;
  body: string;
}

/** The store's plumbing this module uses (see `MongoStore`). */
export interface MongoAccess {
  db: Db;
  /** Runs `work`, turning driver errors of an unreachable server into `UnavailableError`. */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /** Whether a driver error is a unique index violation. */
  isDuplicateKey(error: unknown): boolean;
  /** Whether executor `name` exists now (read after a write of one of its schedules). */
  executorExists(name: string): Promise<boolean>;
  /**
   * Runs `work` holding these ids against other calls (`ServerCompat.locked` with wait): nothing
   * on MongoDB, whose single-document updates are atomic; FerretDB lets two compare-and-set
   * updates of one document both pass, so there it serialises them. Absent = nothing.
   */
  locked?(ids: string[], work: () => Promise<void>): Promise<void>;
  /** Creates the indexes a collection lacks. */
  ensureIndexes(
    collection: Collection<ScheduleDoc>,
    specs: { key: Record<string, 1 | -1>; name: string; unique?: boolean }[],
  ): Promise<void>;
}

/** The documents a filter matches. */
function matching(filter: ScheduleFilter): Filter<ScheduleDoc> {
  const names = filter.executorNames;
  if (names === undefined) return {};
  return names.length === 1 ? { executorName: names[0] } : { executorName: { $in: [...names] } };
}

function toSchedule(doc: ScheduleDoc): Schedule {
  return {
    ...JSON.parse(doc.body),
    id: doc._id,
    name: doc.name,
    executorName: doc.executorName,
    enabled: doc.enabled,
    nextFireAt: doc.nextFireAt === null ? null : Number(doc.nextFireAt),
    version: Number(doc.version),
  };
}

function toDoc(schedule: Schedule): ScheduleDoc {
  const { id, name, executorName, enabled, nextFireAt, version, ...body } = schedule;
  return { _id: id, name, executorName, enabled, nextFireAt, version, body: JSON.stringify(body) };
}

/** How many times `#putBack` tries its compare and set against writes landing in between. */
const PUT_BACK_TRIES = 50;

/** A schedule's settings: all but its fire state and version, in one comparable text. */
function settingsOf(doc: ScheduleDoc): string {
  const { nextFireAt: _n, lastTaskId: _t, lastFires: _f, version: _v, ...settings } = toSchedule(
    doc,
  );
  const record = settings as Record<string, unknown>;
  return JSON.stringify(Object.keys(record).sort().map((key) => [key, record[key]]));
}

/** `ScheduleStore` over the MongoDB store's database. */
export class MongoScheduleStore implements ScheduleStore {
  readonly #access: MongoAccess;
  readonly #schedules: Collection<ScheduleDoc>;
  /** Creates (`scheduleCreate`); those with a `max` one after the other. */
  readonly #inserts: NamedInserts<ScheduleDoc>;

  constructor(access: MongoAccess) {
    this.#access = access;
    this.#schedules = access.db.collection<ScheduleDoc>("schedules");
    this.#inserts = new NamedInserts(this.#schedules, {
      what: "Schedule",
      isDuplicateKey: access.isDuplicateKey,
      full: schedulesFullError,
    });
  }

  /** Creates the indexes (called when the store opens). */
  init(): Promise<void> {
    return this.#access.ensureIndexes(this.#schedules, [
      { key: { name: 1 }, name: "name", unique: true },
      // Due schedules in (nextFireAt, _id) order, a batch after the last one read (`scheduleDue`).
      { key: { enabled: 1, nextFireAt: 1, _id: 1 }, name: "due_by_id" },
      { key: { executorName: 1 }, name: "executor" },
      // One executor's schedules by name, a page at a time.
      { key: { executorName: 1, name: 1 }, name: "executor_name" },
    ]);
  }

  /**
   * Inserts, then reads the executor: when it is gone, deletes the insert again and refuses.
   * `executorDelete` deletes the executor before it sweeps its schedules, so either this read
   * finds it gone or the sweep comes after the insert (see `Store.executorDelete`).
   */
  scheduleCreate(schedule: Schedule, options: { max?: number } = {}): Promise<Schedule> {
    return this.#access.guard(async () => {
      await this.#inserts.insert(toDoc(schedule), options);
      if (!(await this.#access.executorExists(schedule.executorName))) {
        await this.#schedules.deleteOne({ _id: schedule.id });
        throw executorMissingError("create schedule", schedule.executorName);
      }
      return structuredClone(schedule);
    });
  }

  scheduleGet(idOrName: string, options?: { byId?: boolean }): Promise<Schedule | null> {
    return this.#access.guard(async () => {
      const doc = options?.byId
        ? await this.#schedules.findOne({ _id: idOrName })
        : await namedOrWithId(this.#schedules, idOrName);
      return doc ? toSchedule(doc) : null;
    });
  }

  scheduleList(filter: ScheduleFilter, page: PageRequestBounds): Promise<StorePage<Schedule>> {
    return this.#access.guard(async () => {
      const query = matching(filter);
      const paged = page.cursor === undefined
        ? query
        : { $and: [query, { name: { $gt: page.cursor } }] };
      const taker = new PageTaker<ScheduleDoc>(page, storedSize);
      const docs = this.#schedules.find(paged).sort({ name: 1 }).limit(page.limit + 1);
      await offerAllDocs(docs, taker);
      return taker.page(toSchedule, (doc) => doc.name);
    });
  }

  scheduleCount(filter: ScheduleFilter = {}): Promise<number> {
    return this.#access.guard(() => this.#schedules.countDocuments(matching(filter)));
  }

  scheduleNames(): Promise<string[]> {
    return this.#access.guard(async () => {
      const docs = await this.#schedules.find({}, { projection: { name: 1 } }).toArray();
      return docs.map((doc) => doc.name);
    });
  }

  /**
   * Updates by compare and set, then reads the executor (as `scheduleCreate`): when it is gone,
   * puts the schedule back as it was (`#putBack`) and refuses.
   */
  scheduleUpdate(schedule: Schedule): Promise<Schedule | null> {
    return this.#access.guard(async () => {
      const doc = toDoc(schedule);
      const { _id, version, ...fields } = doc;
      let before: ScheduleDoc | null = null;
      await this.#locked(_id, async () => {
        try {
          before = await this.#schedules.findOneAndUpdate(
            { _id, version },
            { $set: fields, $inc: { version: 1 } },
            { returnDocument: "before" },
          );
        } catch (error) {
          if (this.#access.isDuplicateKey(error)) {
            throw new ConflictError(`Schedule "${schedule.name}" already exists`);
          }
          throw error;
        }
      });
      if (!before) return null;
      const written = { ...doc, version: version + 1 };
      if (!(await this.#access.executorExists(schedule.executorName))) {
        await this.#putBack(before, written);
        throw executorMissingError("change schedule", schedule.executorName);
      }
      return toSchedule(written);
    });
  }

  /**
   * Undoes a refused `scheduleUpdate` that wrote `written` over `before`, by compare and set: the
   * settings of `before` come back, with the fire state written since (a fire) kept. Stops when
   * the schedule is gone (the executor's delete swept it) or another change replaced its settings.
   */
  async #putBack(before: ScheduleDoc, written: ScheduleDoc): Promise<void> {
    const settings = settingsOf(written);
    for (let i = 0; i < PUT_BACK_TRIES; i++) {
      const current = await this.#schedules.findOne({ _id: before._id });
      if (!current || settingsOf(current) !== settings) return;
      const fired = toSchedule(current.version === written.version ? before : current);
      const { _id, version: _v, ...fields } = toDoc({
        ...toSchedule(before),
        nextFireAt: fired.nextFireAt,
        lastTaskId: fired.lastTaskId,
        lastFires: fired.lastFires,
      });
      let applied = false;
      await this.#locked(_id, async () => {
        const { modifiedCount } = await this.#schedules.updateOne(
          { _id, version: current.version },
          { $set: fields, $inc: { version: 1 } },
        );
        applied = modifiedCount > 0;
      });
      if (applied) return;
    }
  }

  scheduleDelete(id: string): Promise<boolean> {
    return this.#access.guard(async () => {
      const { deletedCount } = await this.#schedules.deleteOne({ _id: id });
      return deletedCount > 0;
    });
  }

  /** Deletes every schedule of one executor (`executorDelete`'s sweep); returns how many. */
  deleteByExecutor(executorName: string): Promise<number> {
    return this.#access.guard(async () => {
      const { deletedCount } = await this.#schedules.deleteMany({ executorName });
      return deletedCount;
    });
  }

  scheduleDue(options: { now: number; limit: number; after?: DueCursor }): Promise<Schedule[]> {
    const { now, limit, after } = options;
    return this.#access.guard(async () => {
      const due: Filter<ScheduleDoc> = { enabled: true, nextFireAt: { $ne: null, $lte: now } };
      const docs = await this.#schedules
        .find(
          after === undefined ? due : {
            ...due,
            $or: [
              { nextFireAt: { $gt: after.nextFireAt, $lte: now } },
              { nextFireAt: after.nextFireAt, _id: { $gt: after.id } },
            ],
          },
        )
        .sort({ nextFireAt: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(toSchedule);
    });
  }

  scheduleSetFireState(
    id: string,
    version: number,
    state: ScheduleFireState,
  ): Promise<boolean> {
    return this.#access.guard(async () => {
      let applied = false;
      await this.#locked(id, async () => {
        const doc = await this.#schedules.findOne({ _id: id, version });
        if (!doc) return;
        const { body } = toDoc({ ...toSchedule(doc), ...state });
        const { modifiedCount } = await this.#schedules.updateOne(
          { _id: id, version },
          { $set: { nextFireAt: state.nextFireAt, body }, $inc: { version: 1 } },
        );
        applied = modifiedCount > 0;
      });
      return applied;
    });
  }

  /** Runs a compare and set of schedule `id` held against the others (`MongoAccess.locked`). */
  #locked(id: string, work: () => Promise<void>): Promise<void> {
    return this.#access.locked ? this.#access.locked([`schedule:${id}`], work) : work();
  }
}
