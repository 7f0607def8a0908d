/**
 * Inserts of documents with a unique `name` (executors, schedules), optionally capped: a taken
 * name is refused as taken, and with `max` an insert past `max` documents is refused as full.
 * MongoDB (FerretDB) has no transaction here, so one manager's capped inserts count and insert one
 * at a time; inserts through other managers racing within these round trips may pass the cap
 * together (the store contract says so).
 */
import type { Collection, Document, Filter, OptionalUnlessRequiredId } from "mongodb";
import { ConflictError } from "../../domain/errors.ts";

/** How a collection's inserts are told apart and refused. */
export interface NamedInsertRules {
  /** Names the kind in the taken-name error: `Executor`, `Schedule`. */
  what: string;
  isDuplicateKey: (error: unknown) => boolean;
  /** The error for a collection holding `count` documents already, `max` or more. */
  full: (count: number) => Error;
}

/** The named inserts into one collection; capped ones go one at a time in this manager. */
export class NamedInserts<T extends Document & { name: string }> {
  readonly #collection: Collection<T>;
  readonly #rules: NamedInsertRules;
  #turns: Promise<void> = Promise.resolve();

  constructor(collection: Collection<T>, rules: NamedInsertRules) {
    this.#collection = collection;
    this.#rules = rules;
  }

  /**
   * Inserts `doc`.
   *
   * @throws {ConflictError} when its name is taken
   * @throws the rules' `full` error when `max` is given and the collection holds `max` already
   */
  insert(doc: OptionalUnlessRequiredId<T>, options: { max?: number } = {}): Promise<void> {
    if (options.max === undefined) return this.#insert(doc);
    const max = options.max;
    const turn = this.#turns.then(async () => {
      const named = { name: doc.name } as Filter<T>;
      if (await this.#collection.findOne(named, { projection: { _id: 1 } })) {
        throw this.#taken(doc.name);
      }
      const count = await this.#collection.countDocuments({});
      if (count >= max) throw this.#rules.full(count);
      await this.#insert(doc);
    });
    this.#turns = turn.catch(() => {});
    return turn;
  }

  async #insert(doc: OptionalUnlessRequiredId<T>): Promise<void> {
    try {
      await this.#collection.insertOne(doc);
    } catch (error) {
      if (this.#rules.isDuplicateKey(error)) throw this.#taken(doc.name);
      throw error;
    }
  }

  #taken(name: string): ConflictError {
    return new ConflictError(`${this.#rules.what} "${name}" already exists`);
  }
}
