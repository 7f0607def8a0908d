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
}

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
   * FerretDB lacks) the check and the revocation are made safe by checking again after: an admin
   * key is revoked only when another valid admin key is counted before, and still counted after
   * its revocation; otherwise its revocation is undone and refused. Of two managers revoking the
   * last two admin keys at once, one or both are refused, never both done. What remains: a
   * revocation undone that way is seen by other managers if they read the keys in the few
   * milliseconds between (they close that key's streams), and a third revocation of the same key
   * in those milliseconds answers it revoked, as it then reads, though it ends valid (a review
   * saw it once in 30 rounds of three managers racing).
   */
  revoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    return guard(async () => {
      const found = await this.#keys.findOne({ _id: id });
      if (!found || found.revokedAt !== null) return found ? toKey(found) : null;
      const admin = found.scopes.includes("admin");
      const otherAdmins = () =>
        this.#keys.countDocuments({ revokedAt: null, scopes: "admin", _id: { $ne: id } });
      if (admin && await otherAdmins() === 0) throw lastAdminKeyError(id);
      const done = await this.#keys.updateOne({ _id: id, revokedAt: null }, {
        $set: { revokedAt: now },
      });
      if (admin && done.modifiedCount === 1 && await otherAdmins() === 0) {
        await this.#keys.updateOne({ _id: id, revokedAt: now }, { $set: { revokedAt: null } });
        throw lastAdminKeyError(id);
      }
      const doc = await this.#keys.findOne({ _id: id });
      return doc ? toKey(doc) : null;
    });
  }

  touch(uses: KeyUse[]): Promise<void> {
    return guard(async () => {
      await this.#compat.bulkWrite(
        this.#keys,
        uses.map((use) => ({
          updateOne: {
            filter: { _id: use.id, $or: [{ lastUsedAt: null }, { lastUsedAt: { $lt: use.at } }] },
            update: { $set: { lastUsedAt: use.at } },
          },
        })),
      );
    });
  }
}
