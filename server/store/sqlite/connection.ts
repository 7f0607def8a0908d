/**
 * The embedded store's connection: one `node:sqlite` database, its cached prepared statements, the
 * write transaction every multi-statement verb runs in (BEGIN IMMEDIATE), and the WAL sync that
 * acknowledges a write once it is on disk (one `fdatasync` shared by every commit made before it).
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { setImmediate } from "node:timers";
import { UnavailableError } from "../../domain/errors.ts";
import type { WriteConcernLevel } from "../../domain/executor.ts";

/**
 * `LIMIT` by the statement parameter `param` (`"$limit"`, `"?"`): `LIMIT CAST(param AS INTEGER)`.
 * Deno's SQLite (3.50, built with STAT4) ran a statement with a bare `LIMIT ?` about 5 µs slower
 * every time, as if it compiled the statement again for each new binding: the claim's one-row
 * seek of an empty queue took 8.1 µs, 13 µs after a turn of the event loop; 2.4 and 5.5 µs with
 * the cast (`enqueue → handler start` p50 0.55 → 0.50 ms).
 */
export function limitOf(param: string): string {
  return `LIMIT CAST(${param} AS INTEGER)`;
}

/**
 * The row of `table` named `?1`, else the one whose id it is, in one statement: how
 * `Store.executorGet` and `ScheduleStore.scheduleGet` find what a client names either way.
 */
export function namedOrWithId(table: "executors" | "schedules"): string {
  return `SELECT * FROM ${table} WHERE name = ?1 OR id = ?1 ORDER BY name = ?1 DESC LIMIT 1`;
}

/** How a connection is set up (see `SqliteConnection`). */
export interface ConnectionOptions {
  /** The database path as opened (`":memory:"` and `mode=memory` URIs have no WAL to sync). */
  path: string;
  /**
   * Commits the writes queued for the group commit (`GroupCommit.flush`); run before every verb,
   * so that the process reads its own writes.
   */
  flushQueued: () => void;
}

/**
 * A WAL sync on the thread that took longer than this (ms) sends the next one off it (`onDisk`).
 * Most take well under 1 ms, where handing the sync to another thread costs more than it.
 */
const SLOW_SYNC_MS = 5;

/**
 * One open database and the plumbing every part of the store writes through. Structurally the
 * `SqliteRunner` and `SqliteAccess` that history, search and schedules take.
 */
export class SqliteConnection {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** `arrayStmt`'s, apart: one SQL text may be asked for both ways. */
  readonly #arrayStatements = new Map<string, StatementSync>();
  readonly #walPath: string | null;
  readonly #flushQueued: () => void;
  #wal: Deno.FsFile | null = null;
  /** The WAL sync that has not started yet: commits made until it starts share it. */
  #nextSync: Promise<void> | null = null;
  #lastSync: Promise<void> = Promise.resolve();
  /** The last WAL sync held the thread past `SLOW_SYNC_MS`: the next one runs off it. */
  #slowSync = false;
  #closed = false;

  constructor(db: DatabaseSync, options: ConnectionOptions) {
    this.db = db;
    this.#walPath = walPathOf(options.path);
    this.#flushQueued = options.flushQueued;
  }

  /** A cached prepared statement. */
  stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * A cached prepared statement whose rows come as arrays of column values, in the statement's
   * order (cheaper than row objects on a hot path).
   */
  arrayStmt(sql: string): StatementSync {
    let statement = this.#arrayStatements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      // Deno's node:sqlite has it; its type definitions do not list it yet.
      (statement as StatementSync & { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      this.#arrayStatements.set(sql, statement);
    }
    return statement;
  }

  /** @throws {UnavailableError} once the store is closed. */
  assertOpen(): void {
    if (this.#closed) throw new UnavailableError("The SQLite store is closed");
  }

  /**
   * What every verb does first: checks that the store is open and commits the queued writes.
   * @throws {UnavailableError} once the store is closed.
   */
  enter(): void {
    this.assertOpen();
    this.#flushQueued();
  }

  /**
   * Resolves once every transaction committed before the call is on disk: an `fdatasync` of the
   * WAL file. Calls made before a sync starts share it (a group commit); a call made while one
   * runs waits for the next. (The sync runs on the thread: handing it to another and back cost
   * more than the sync itself, 0.2 ms more per acknowledged create; but after one that held the
   * thread past `SLOW_SYNC_MS`, the next runs off it, and so on until one is quick.)
   */
  onDisk(): Promise<void> {
    if (this.#walPath === null) return Promise.resolve();
    if (this.#nextSync) return this.#nextSync;
    // After the current turn of the event loop, so that what the caller does with a commit
    // before it is acknowledged (hand a claimed task to its worker) is under way first.
    const sync = this.#lastSync.then(() => new Promise((resolve) => setImmediate(resolve))).then(
      async () => {
        this.#nextSync = null;
        // Opened once the first commit has created it; the same file for as long as the store
        // is open (SQLite only deletes it when the last connection closes).
        this.#wal ??= Deno.openSync(this.#walPath!, { read: true, write: true });
        // A sync after large commits (workers reporting results of 1 MiB back to back) held
        // the thread up to 2.4 s: once one took long, they run off the thread until one is quick.
        const start = performance.now();
        if (this.#slowSync) await this.#wal.syncData();
        else this.#wal.syncDataSync();
        this.#slowSync = performance.now() - start > SLOW_SYNC_MS;
      },
    );
    this.#lastSync = sync.catch(() => {});
    this.#nextSync = sync.catch((error) => {
      throw new UnavailableError(
        `Cannot sync the SQLite WAL file to disk: ${(error as Error).message}`,
      );
    });
    return this.#nextSync;
  }

  /** `onDisk` when `level` asks for the disk (the default does). */
  onDiskFor(level: WriteConcernLevel | undefined): Promise<void> {
    return needsDisk(level) ? this.onDisk() : Promise.resolve();
  }

  /**
   * Runs `fn` in one write transaction, after committing queued writes. BEGIN IMMEDIATE takes the
   * write lock up front, so other processes wait (busy_timeout) instead of failing half-way, and
   * reads inside `fn` see what no other writer can change until COMMIT.
   */
  write<T>(fn: () => T): T {
    this.enter();
    return this.transaction(fn);
  }

  /** Runs `fn` in one write transaction (without committing queued writes first). */
  transaction<T>(fn: () => T): T {
    try {
      this.stmt("BEGIN IMMEDIATE").run();
    } catch (error) {
      throw this.mapError(error);
    }
    try {
      const result = fn();
      this.stmt("COMMIT").run();
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.stmt("ROLLBACK").run();
      throw this.mapError(error);
    }
  }

  /** Runs a read (or a single autocommit statement) after committing any queued writes. */
  read<T>(fn: () => T): T {
    this.enter();
    try {
      return fn();
    } catch (error) {
      throw this.mapError(error);
    }
  }

  /** A locked database as `UnavailableError`; any other error as it is. */
  mapError(error: unknown): unknown {
    if (isBusy(error)) {
      return new UnavailableError(
        `The SQLite database is locked by another writer: ${(error as Error).message}`,
      );
    }
    return error;
  }

  /**
   * Commits queued writes, waits for the pending WAL sync and closes the database; safe to call
   * twice.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#flushQueued();
      // Commits waiting for the disk get their sync before the file is closed.
      await this.#lastSync;
    } finally {
      this.#statements.clear();
      this.#arrayStatements.clear();
      this.#wal?.close();
      this.db.close();
    }
  }
}

/** Whether a write at `level` is answered only once it is on disk (the default is). */
function needsDisk(level: WriteConcernLevel | undefined): boolean {
  return level !== "replica_acknowledged" && level !== "unacknowledged";
}

/** The WAL file of a database path; `null` for an in-memory database. */
function walPathOf(path: string): string | null {
  if (path === ":memory:" || /[?&]mode=memory\b/.test(path)) return null;
  const file = path.startsWith("file:") ? path.slice("file:".length).split("?")[0] : path;
  return `${file}-wal`;
}

/** Whether `error` is SQLite's "unique constraint failed" (a key or the primary key is taken). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { errcode?: number })?.errcode;
  return code === 2067 || code === 1555; // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: number })?.errcode;
  return code !== undefined && (code & 0xff) === 5; // SQLITE_BUSY and its extended codes
}
