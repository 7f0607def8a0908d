/**
 * Opening the store a manager runs on: MongoDB when a URI is given, the embedded SQLite store in
 * `<dataDir>/tasks.db` otherwise. The one place that chooses between the two implementations.
 */
import { join } from "node:path";
import { NotFoundError } from "../domain/errors.ts";
import { openMongoStore } from "./mongo/store.ts";
import { openSqliteStore } from "./sqlite/store.ts";
import type { Store } from "./store.ts";

/** Where the store lives. */
export interface StorePlace {
  /** A MongoDB connection string; empty or absent = the embedded store. */
  mongoUri?: string | null;
  /** The MongoDB database name (with `mongoUri`). */
  mongoDb: string;
  /** The embedded store's directory, made when missing (without `mongoUri`). */
  dataDir: string;
}

/**
 * Opens (and migrates) the store `place` names; with `existing`, only one that is there already
 * (a SQLite file, a MongoDB database with collections), so that a command run in the wrong place
 * does not make an empty store and answer from it.
 *
 * @throws {NotFoundError} with `existing`, when there is no store there
 * @throws the store's own error when it cannot be reached, created or migrated
 */
export async function openStore(
  place: StorePlace,
  options: { existing?: boolean } = {},
): Promise<Store> {
  const existing = options.existing ?? false;
  if (place.mongoUri) {
    return await openMongoStore({ uri: place.mongoUri, dbName: place.mongoDb, existing });
  }
  const path = join(place.dataDir, "tasks.db");
  if (existing && await missing(path)) throw new NotFoundError(`No SQLite file at ${path}`);
  await Deno.mkdir(place.dataDir, { recursive: true });
  return await openSqliteStore({ path });
}

/** Whether nothing is at `path` (another failure, a parent that is a file say, is the open's). */
async function missing(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return false;
  } catch (error) {
    return error instanceof Deno.errors.NotFound;
  }
}
