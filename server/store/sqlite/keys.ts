/**
 * API keys on the embedded store: table `api_keys` (the secret's SHA-256 only; scopes and
 * executors as JSON arrays).
 */
// node:sqlite is synchronous; the verbs are `async` all the same so that a thrown error reaches the
// caller as a rejected promise, as the Store contract promises.
// deno-lint-ignore-file require-await
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
import { isUniqueViolation, limitOf, type SqliteConnection } from "./connection.ts";
import { json, type Params, type Row, rowToKey } from "./rows.ts";

/** The API key verbs of the `Store` contract over one connection. */
export class SqliteKeys {
  readonly #db: SqliteConnection;

  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  /** @throws {ConflictError} when the id is taken. */
  async keyCreate(key: ApiKeyRecord): Promise<ApiKeyRecord> {
    this.#db.enter();
    try {
      this.#db.stmt(
        `INSERT INTO api_keys (id, name, scopes, executors, secret_hash, created_at, last_used_at,
           revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        key.id,
        key.name,
        json(key.scopes),
        json(key.executors),
        key.secretHash,
        key.createdAt,
        key.lastUsedAt,
        key.revokedAt,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`Key "${key.id}" already exists`);
      throw this.#db.mapError(error);
    }
    await this.#db.onDisk();
    return structuredClone(key);
  }

  async keyGet(id: string): Promise<ApiKeyRecord | null> {
    const row = this.#db.read(() => this.#db.stmt("SELECT * FROM api_keys WHERE id = ?").get(id));
    return row ? rowToKey(row) : null;
  }

  async keyListPage(page: PageRequestBounds): Promise<StorePage<ApiKeyRecord>> {
    const after = keyCursor(page.cursor);
    const sql = `SELECT * FROM api_keys ${after ? "WHERE (created_at, id) > ($at, $id)" : ""}
      ORDER BY created_at, id ${limitOf("$limit")}`;
    const params: Params = { limit: page.limit + 1 };
    if (after) Object.assign(params, after);
    const taker = new PageTaker<Row>(page, storedSize);
    this.#db.read(() => {
      for (const row of this.#db.stmt(sql).iterate(params)) if (!taker.offer(row)) break;
    });
    return taker.page(rowToKey, (row) => `${row.created_at}:${row.id}`);
  }

  async keyList(filter: { valid?: boolean } = {}): Promise<ApiKeyRecord[]> {
    const where = filter.valid ? "WHERE revoked_at IS NULL" : "";
    const rows = this.#db.read(() =>
      this.#db.stmt(`SELECT * FROM api_keys ${where} ORDER BY created_at, id`).all()
    );
    return rows.map(rowToKey);
  }

  async keyRevoke(id: string, now: number): Promise<ApiKeyRecord | null> {
    // One write transaction (BEGIN IMMEDIATE): no other connection or process revokes a key
    // between the count of the other admin keys and this revocation.
    const row = this.#db.write(() => {
      const key = this.#db.stmt("SELECT * FROM api_keys WHERE id = ?").get(id);
      if (!key || key.revoked_at !== null) return key;
      if (rowToKey(key).scopes.includes("admin")) {
        const others = this.#db.stmt(
          `SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL AND id <> ?
             AND EXISTS (SELECT 1 FROM json_each(scopes) WHERE value = 'admin')`,
        ).get(id);
        if (Number(others?.n) === 0) throw lastAdminKeyError(id);
      }
      this.#db.stmt("UPDATE api_keys SET revoked_at = ? WHERE id = ?").run(now, id);
      return this.#db.stmt("SELECT * FROM api_keys WHERE id = ?").get(id);
    });
    await this.#db.onDisk();
    return row ? rowToKey(row) : null;
  }

  async keyTouch(uses: KeyUse[]): Promise<void> {
    if (uses.length === 0) return;
    this.#db.write(() => {
      for (const use of uses) {
        this.#db.stmt(
          `UPDATE api_keys SET last_used_at = ?
           WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
        ).run(use.at, use.id, use.at);
      }
    });
  }
}
