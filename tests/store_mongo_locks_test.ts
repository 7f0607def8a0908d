/**
 * The document locks of the MongoDB store on FerretDB (`FerretDbCompat.locked`), against the
 * FerretDB of `TEST_MONGO_URI`: which locks a call may break, and which it never may.
 */
import assert from "node:assert/strict";
import { type Collection, type Db, MongoClient } from "mongodb";
import { FerretDbCompat, isFerretDb } from "../server/store/mongo/ferretdb.ts";
import { delay, eventually } from "./fixtures/resilience_cluster.ts";
import { skipUnless } from "./fixtures/skip.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";

async function skipReason(): Promise<string | null> {
  if (!MONGO_URI) return "TEST_MONGO_URI is not set";
  const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
  try {
    const info = await client.db("admin").command({ buildInfo: 1 });
    return isFerretDb(info) ? null : "the server at TEST_MONGO_URI is not FerretDB";
  } finally {
    await client.close();
  }
}

const SKIP_REASON = await skipReason();

interface LockDoc {
  _id: string;
  at: number;
  holder: string;
}

/** Runs `fn` with a fresh database, dropped afterwards, and its `locks` collection. */
function lockTest(name: string, fn: (db: Db, locks: Collection<LockDoc>) => Promise<void>): void {
  Deno.test({
    ...skipUnless(`FerretDB locks: ${name}`, SKIP_REASON),
    // The driver keeps sockets and monitor timers in its pool between calls.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const client = new MongoClient(MONGO_URI, { serverSelectionTimeoutMS: 5000 });
      const db = client.db(
        `locks_test_${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`,
      );
      try {
        await fn(db, db.collection<LockDoc>("locks"));
      } finally {
        await db.dropDatabase();
        await client.close();
      }
    },
  });
}

/** A call's `work` that notes `entry`, or else the ids it got, in `events`. */
function note(events: string[], entry?: string): (ids: string[]) => Promise<void> {
  return (ids) => {
    events.push(...(entry === undefined ? ids : [entry]));
    return Promise.resolve();
  };
}

/** Starts a call holding `ids` until the returned `release` is called; resolves once it holds. */
async function hold(
  compat: FerretDbCompat,
  ids: string[],
  events: string[],
  label: string,
): Promise<{ release: () => void; done: Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let entered!: () => void;
  const holding = new Promise<void>((resolve) => entered = resolve);
  const done = compat.locked(ids, true, async () => {
    events.push(`${label} in`);
    entered();
    await released;
    events.push(`${label} out`);
  });
  await Promise.race([holding, done]);
  return { release, done };
}

lockTest("a call never breaks a lock its own store holds, however old", async (db, locks) => {
  // Every lock is stale at once: only being held by this store keeps it.
  const compat = new FerretDbCompat(db, { staleMs: 1, refreshMs: 60_000 });
  const events: string[] = [];
  const first = await hold(compat, ["x"], events, "first");
  const second = compat.locked(["x"], true, note(events, "second in"));
  await compat.locked(["x"], false, note(events, "third in"));
  await delay(300);
  assert.ok(await locks.findOne({ _id: "x" }), "the held lock is still stored");
  first.release();
  await Promise.all([first.done, second]);
  assert.deepEqual(events, ["first in", "first out", "second in"]);
  assert.equal(await locks.countDocuments(), 0, "every lock is gone once its call ended");
});

lockTest(
  "another store breaks a lock only once it went unrefreshed for staleMs",
  async (db, locks) => {
    const timings = { staleMs: 3_000, refreshMs: 100 };
    const one = new FerretDbCompat(db, timings);
    const two = new FerretDbCompat(db, timings);
    const events: string[] = [];
    const held = await hold(one, ["x"], events, "one");
    // Held past the stale time: the refreshes keep it.
    const until = Date.now() + 3_600;
    while (Date.now() < until) {
      await two.locked(["x"], false, note(events, "two in"));
      await delay(100);
    }
    assert.deepEqual(events, ["one in"]);
    held.release();
    await held.done;
    await two.locked(["x"], false, note(events, "two in"));
    assert.deepEqual(events, ["one in", "one out", "two in"]);

    // A store that went away: its lock is broken once stale, not before.
    await locks.insertMany([
      { _id: "gone", at: Date.now() - 3_001, holder: "a store that died" },
      { _id: "alive", at: Date.now() - 2_000, holder: "a store still working" },
    ]);
    for (let i = 0; i < 2; i++) {
      // The first call finds both locked and breaks the stale one; the second takes it.
      await two.locked(["gone", "alive"], false, note(events));
    }
    assert.deepEqual(events.slice(3), ["gone"]);
    assert.equal((await locks.findOne({ _id: "alive" }))?.holder, "a store still working");
    await eventually("the lock of the store still working goes stale", async () => {
      const got: string[] = [];
      await two.locked(["alive"], false, note(got));
      return got.length === 1 ? true : undefined;
    }, { timeoutMs: 10_000 });
  },
);

lockTest(
  "a lock its own store left (an unlock that failed) is broken at once",
  async (db, locks) => {
    const compat = new FerretDbCompat(db, { staleMs: 60_000, refreshMs: 60_000 });
    let holder = "";
    await compat.locked(["x"], true, async () => {
      holder = (await locks.findOne({ _id: "x" }))!.holder;
    });
    await locks.insertOne({ _id: "left", at: Date.now(), holder });
    const got: string[] = [];
    await compat.locked(["left"], false, note(got));
    assert.equal(got.length, 0, "the first call finds the lock and breaks it");
    await compat.locked(["left"], false, note(got));
    assert.deepEqual(got, ["left"]);
  },
);

lockTest("an unlock deletes only its own store's lock", async (db, locks) => {
  const one = new FerretDbCompat(db, { staleMs: 60_000, refreshMs: 60_000 });
  const two = new FerretDbCompat(db, { staleMs: 1, refreshMs: 60_000 });
  const events: string[] = [];
  const first = await hold(one, ["x"], events, "one");
  const mine = (await locks.findOne({ _id: "x" }))!.holder;
  // To `two` the lock of `one` is stale at once (as when their clocks differ): it breaks it.
  await delay(5);
  await two.locked(["x"], false, () => Promise.resolve());
  const second = await hold(two, ["x"], events, "two");
  const theirs = (await locks.findOne({ _id: "x" }))!.holder;
  assert.notEqual(theirs, mine);
  first.release();
  await first.done;
  assert.equal((await locks.findOne({ _id: "x" }))?.holder, theirs, "the lock of two stays");
  second.release();
  await second.done;
  assert.deepEqual(events, ["one in", "two in", "one out", "two out"]);
});
