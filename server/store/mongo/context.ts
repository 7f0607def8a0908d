/** What the MongoDB store's modules by concern (claim, settle, DLQ) share: one per open store. */
import type { Collection, Db } from "mongodb";
import type { ServerCompat } from "./compat.ts";
import type { TaskDoc } from "./documents.ts";

/** The open store's database, its `tasks` collection, server strategy and settings. */
export interface MongoContext {
  db: Db;
  tasks: Collection<TaskDoc>;
  /** The server's strategy, chosen when the store opened. */
  compat: ServerCompat;
  /** Most attempt errors a task keeps (`keepTaskErrors`). */
  errorsKept: number;
}
