/**
 * Opening the store a manager runs on: MongoDB when a URI is given, the embedded SQLite store in
 * `<dataDir>/tasks.db` otherwise. The one place that chooses between the two implementations.
 */
import { join } from "node:path";
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
 * Opens (and migrates) the store `place` names.
 *
 * @throws the store's own error when it cannot be reached, created or migrated
 */
export async function openStore(place: StorePlace): Promise<Store> {
  if (place.mongoUri) return await openMongoStore({ uri: place.mongoUri, dbName: place.mongoDb });
  await Deno.mkdir(place.dataDir, { recursive: true });
  return await openSqliteStore({ path: join(place.dataDir, "tasks.db") });
}
