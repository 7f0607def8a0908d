import assert from "node:assert/strict";
import { resolve } from "node:path";
import { storeEnvironment, storeLocation } from "./store_location.ts";

Deno.test("storeLocation() names the SQLite file by absolute path, or the MongoDB database without credentials", () => {
  const sqlite = { dataDir: "./data", mongoUri: null, mongoDb: "task_executor" };
  const dir = resolve("./data");
  assert.equal(storeLocation(sqlite), `SQLite file ${dir}/tasks.db (DATA_DIR=${dir})`);
  assert.equal(storeEnvironment(sqlite), `DATA_DIR=${dir}`);
  const mongo = {
    dataDir: "./data",
    mongoUri: "mongodb://ops:s3cret@db1:27017,db2:27017/admin?replicaSet=rs0",
    mongoDb: "jobs",
  };
  assert.equal(
    storeLocation(mongo),
    'MongoDB database "jobs" at mongodb://db1:27017,db2:27017 (MONGO_URI, MONGO_DB)',
  );
  assert.equal(storeEnvironment(mongo), "MONGO_URI=<the manager's> MONGO_DB=jobs");
  assert.ok(!storeLocation(mongo).includes("s3cret"));
});
