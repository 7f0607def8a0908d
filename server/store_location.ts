/**
 * Which store a configuration names, said for people: the `keys` command prints where it wrote,
 * and the first start tells how to reach the same store again. No password is ever repeated.
 */
import { join, resolve } from "node:path";
import type { Config } from "./config.ts";

type StoreConfig = Pick<Config, "dataDir" | "mongoUri" | "mongoDb">;

/** A MongoDB URI without user, password, path and options (`mongodb://db1:27017,db2:27017`). */
function mongoHosts(uri: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/)(?:[^@/]*@)?([^/?]*)/.exec(uri);
  return match ? `${match[1]}${match[2]}` : "mongodb://";
}

/**
 * Where the store of `config` is, resolved against the working directory:
 * `SQLite file /srv/tasks/data/tasks.db (DATA_DIR=/srv/tasks/data)` or
 * `MongoDB database "task_executor" at mongodb://db:27017 (MONGO_URI, MONGO_DB)`.
 *
 * @example
 * ```ts
 * import { storeLocation } from "./store_location.ts";
 * storeLocation({ dataDir: "/srv/data", mongoUri: null, mongoDb: "task_executor" });
 * // "SQLite file /srv/data/tasks.db (DATA_DIR=/srv/data)"
 * ```
 */
export function storeLocation(config: StoreConfig): string {
  if (config.mongoUri) {
    return `MongoDB database "${config.mongoDb}" at ${
      mongoHosts(config.mongoUri)
    } (MONGO_URI, MONGO_DB)`;
  }
  const dir = resolve(config.dataDir);
  return `SQLite file ${join(dir, "tasks.db")} (DATA_DIR=${dir})`;
}

/**
 * The environment that points a command at the store of `config`, to write before it:
 * `DATA_DIR=/srv/tasks/data`, or `MONGO_URI=<the manager's> MONGO_DB=task_executor` (the URI is
 * not repeated: it may hold a password).
 */
export function storeEnvironment(config: StoreConfig): string {
  return config.mongoUri
    ? `MONGO_URI=<the manager's> MONGO_DB=${config.mongoDb}`
    : `DATA_DIR=${resolve(config.dataDir)}`;
}
