/** API keys in the MongoDB store: collection `keys`, one document per key, the secret as its hash. */
import type { Collection } from "mongodb";
import { ConflictError } from "../../domain/errors.ts";
import {
  type ApiKeyRecord,
  keyCursor,
  type KeyUse,
  lastAdminKeyError,
  type PageRequestBounds,
  PageTaker,
  storedSize,
  type StorePage,
} from "../store.ts";
import type { ServerCompat } from "./compat.ts";
import { num, offerAllDocs, timeOrNull } from "./documents.ts";
import { guard } from "./errors.ts";

/** An API key as stored in `keys`. */
interface KeyDoc {
  _id: string;
  name: string;
  scopes: string[];
  executors: string[] | null;
  secretHash: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** The token of the admin key revocation under way (`MongoKeys.revoke`); absent when none is. */
  revoking?: string | null;
}

/** How long a mark of a revocation under way may stay unchanged before another takes it off. */
const REVOKING_STALE_MS = 10_000;
/** How often a revocation waiting for another's outcome reads the key again. */
const REVOKING_POLL_MS = 10;

function toKey(doc: KeyDoc): ApiKeyRecord {
  return {
    id: doc._id,
    name: doc.name,
    scopes: [...doc.scopes],
    executors: doc.executors === null || doc.executors === undefined ? null : [...doc.executors],
    secretHash: doc.secretHash,
    createdAt: num(doc.createdAt),
    lastUsedAt: timeOrNull(doc.lastUsedAt),
    revokedAt: timeOrNull(doc.revokedAt),
  };
}

/** The key verbs of `Store` (`keyCreate` … `keyTouch`) over `keys`. */
export class MongoKeys {
  readonly #keys: Collection<KeyDoc>;
  readonly #compat: ServerCompat;

  constructor(keys: Collection<KeyDoc>, compat: ServerCompat) {
    this.#keys = keys;
    this.#compat = compat;
  }

  create(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    return guard(async () => {
      const { id, ...rest } = key;
      try {
        await this.#keys.insertOne({ _id: id, ...structuredClone(rest) });
      } catch (error) {
        if (this.#compat.isDuplicateKey(error)) {
          throw new ConflictError(`Key "${id}" already exists`);
        }
        throw error;
      }
      return structuredClone(key);
    });
  }

  get(id: string): Promise<ApiKeyRecord | null> {
    return guard(async () => {
      const doc = await this.#keys.findOne({ _id: id });
      return doc ? toKey(doc) : null;
    });
  }

  page(page: PageRequestBounds): Promise<StorePage<ApiKeyRecord>> {
    return guard(async () => {
      const after = keyCursor(page.cursor);
      const query = after
        ? {
          $or: [{ createdAt: { $gt: after.at } }, { createdAt: after.at, _id: { $gt: after.id } }],
        }
        : {};
      const taker = new PageTaker<KeyDoc>(page, storedSize);
      const docs = this.#keys.find(query).sort({ createdAt: 1, _id: 1 }).limit(page.limit + 1);
      await offerAllDocs(docs, taker);
      return taker.page(toKey, (doc) => `${num(doc.createdAt)}:${doc._id}`);
    });
  }

  list(filter: { valid?: boolean } = {}): Promise<ApiKeyRecord[]> {
    return guard(async () => {
      const query = filter.valid ? { revokedAt: null } : {};
      const docs = await this.#keys.find(query).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map(toKey);
    });
  }

  /**
   * Revokes a key, but not the last valid admin key. Without a multi-document transaction (which
   * FerretDB lacks) an admin key's revocation is made safe in two steps: the key is first marked
   * `revoking` (a token of this call; only while no revocation is set or under way on it), then
   * revoked only if another valid admin key with no mark is counted after, else its mark is taken
   * off and the revocation refused. A mark is not a revocation (the key still authenticates) but
   * keeps the key out of every other revocation's count: of two managers revoking the last two
   * admin keys at once, one or both are refused, never both done. A revocation of a key marked by
   * another waits for that one's outcome and answers it (revoked), or starts again (not revoked).
   * A mark left by a manager that ended between its two steps (milliseconds) keeps that key out
   * of the counts until a revocation of it finds the mark unchanged for `REVOKING_STALE_MS` and
   * takes it off. On FerretDB, whose updates are not isolated, each key's revocations run one at a
   * time (`ServerCompat.locked`).
   *
   * @returns the key as it ends (`null`: no such key)
   * @throws {FailedPreconditionError} when it is the last valid admin key
   */
  revoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    return guard(async () => {
      let answer: ApiKeyRecord | null = null;
      await this.#compat.locked([id], true, async () => {
        answer = await this.#revoke(id, now);
      });
      return answer;
    });
  }

  async #revoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    const otherAdmins = () =>
      this.#keys.countDocuments({
        revokedAt: null,
        revoking: null,
        scopes: "admin",
        _id: { $ne: id },
      });
    /** The mark another revocation holds, and since when this call has seen it (its clock). */
    let seen = null as { mark: string; since: number } | null;
    for (;;) {
      const found = await this.#keys.findOne({ _id: id });
      if (!found || found.revokedAt !== null) return found ? toKey(found) : null;
      if (!found.scopes.includes("admin")) {
        await this.#keys.updateOne({ _id: id, revokedAt: null }, { $set: { revokedAt: now } });
        continue;
      }
      if (found.revoking) {
        if (seen?.mark !== found.revoking) seen = { mark: found.revoking, since: Date.now() };
        if (Date.now() - seen.since >= REVOKING_STALE_MS) {
          await this.#keys.updateOne({ _id: id, revoking: seen.mark }, {
            $unset: { revoking: "" },
          });
        } else {
          await new Promise((resolve) => setTimeout(resolve, REVOKING_POLL_MS));
        }
        continue;
      }
      if (await otherAdmins() === 0) throw lastAdminKeyError(id);
      const mark = crypto.randomUUID();
      const marked = await this.#keys.updateOne(
        { _id: id, revokedAt: null, revoking: null },
        { $set: { revoking: mark } },
      );
      if (marked.modifiedCount === 0) continue;
      const confirmed = await otherAdmins() > 0;
      const ended = await this.#keys.updateOne(
        { _id: id, revoking: mark },
        confirmed ? { $set: { revokedAt: now }, $unset: { revoking: "" } } : {
          $unset: { revoking: "" },
        },
      );
      // Taken off by another revocation that thought it left over: start again.
      if (ended.modifiedCount === 0) continue;
      if (!confirmed) throw lastAdminKeyError(id);
    }
  }

  /**
   * Moves each key's `lastUsedAt` forward to its use. On FerretDB an update writes the whole
   * document it read, so a touch beside a revocation could put back the key's `revokedAt: null`:
   * the touches wait for the keys' locks, as the revocations take them (`revoke`).
   */
  touch(uses: KeyUse[]): Promise<void> {
    return guard(async () => {
      await this.#compat.locked(uses.map((use) => use.id), true, async (ids) => {
        const mine = new Set(ids);
        await this.#compat.bulkWrite(
          this.#keys,
          uses.filter((use) => mine.has(use.id)).map((use) => ({
            updateOne: {
              filter: {
                _id: use.id,
                $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: use.at } }],
              },
              update: { $set: { lastUsedAt: use.at } },
            },
          })),
        );
      });
    });
  }
}
