/**
 * The document locks of the MongoDB store on FerretDB (server/store/mongo/ferretdb_locks.ts),
 * against the FerretDB of `TEST_MONGO_URI`: which locks a call may break, and which it never may.
 */
import assert from "node:assert/strict";
import { type Collection, type Db, MongoClient } from "mongodb";
import { isFerretDb } from "../server/store/mongo/ferretdb.ts";
import {
  DocumentLocks,
  type HolderDoc,
  type LockDoc,
} from "../server/store/mongo/ferretdb_locks.ts";
import {
  delay,
  eventually,
  ferretDbBinary,
  freePort,
  startFerretDb,
} from "./fixtures/resilience_cluster.ts";
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

interface Collections {
  locks: Collection<LockDoc>;
  holders: Collection<HolderDoc>;
}

/** Runs `fn` with a fresh database, dropped afterwards, and its lock collections. */
function lockTest(name: string, fn: (db: Db, collections: Collections) => Promise<void>): void {
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
        await fn(db, {
          locks: db.collection<LockDoc>("locks"),
          holders: db.collection<HolderDoc>("lock_holders"),
        });
      } finally {
        await db.dropDatabase();
        await client.close();
      }
    },
  });
}

/** What `hookedDb` does to the calls of a `locks` collection. */
interface Hooks {
  /** `find` answers late. */
  slowFind: boolean;
  /**
   * The next `deleteMany` (or `insertMany`) fails: not sent (`"unsent"`), or applied and then
   * reported failed (`"applied"`), as when a connection goes away before its answer.
   */
  failDelete?: "unsent" | "applied" | false;
  failInsert?: "applied" | false;
}

/** `db` with the calls of its `locks` collection as `hooks` say (`find` late by `delayMs`). */
function hookedDb(db: Db, hooks: Hooks, delayMs: number): Db {
  const failing = <A extends unknown[], R>(
    call: (...args: A) => Promise<R>,
    how: "unsent" | "applied",
  ) =>
  async (...args: A): Promise<R> => {
    if (how === "applied") await call(...args);
    throw new Error("the connection went away");
  };
  const hooked = (collection: Collection<LockDoc>) =>
    new Proxy(collection, {
      get(target, property) {
        if (property === "find") {
          return (...args: Parameters<typeof target.find>) => {
            const cursor = target.find(...args);
            const slow = hooks.slowFind;
            return {
              toArray: async () => {
                if (slow) await delay(delayMs);
                return await cursor.toArray();
              },
            };
          };
        }
        if (property === "deleteMany" && hooks.failDelete) {
          const how = hooks.failDelete;
          hooks.failDelete = false;
          return failing(target.deleteMany.bind(target), how);
        }
        if (property === "insertMany" && hooks.failInsert) {
          const how = hooks.failInsert;
          hooks.failInsert = false;
          return failing(target.insertMany.bind(target), how);
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return new Proxy(db, {
    get(target, property) {
      if (property !== "collection") return Reflect.get(target, property, target);
      return (name: string) =>
        name === "locks" ? hooked(target.collection<LockDoc>(name)) : target.collection(name);
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

/** A call holding what it got of `ids` until `release()`; `got` once it holds (or ended). */
interface Held {
  got: string[];
  release(): void;
  done: Promise<void>;
}

/** Starts a call on `ids`; resolves once its work runs (or the call ended without it). */
async function hold(
  locks: DocumentLocks,
  ids: string[],
  events: string[],
  label: string,
  wait = true,
): Promise<Held> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let entered!: () => void;
  const holding = new Promise<void>((resolve) => entered = resolve);
  const held: Held = { got: [], release, done: Promise.resolve() };
  held.done = locks.locked(ids, wait, async (got) => {
    held.got = got;
    events.push(`${label} in`);
    entered();
    await released;
    events.push(`${label} out`);
  });
  await Promise.race([holding, held.done]);
  return held;
}

lockTest("a call never breaks a lock its own store holds, however old", async (db, { locks }) => {
  // Every lock is stale at once: only being held by this store keeps it.
  const store = new DocumentLocks(db, { staleMs: 1, heartbeatMs: 60_000 });
  const events: string[] = [];
  const first = await hold(store, ["x"], events, "first");
  const second = store.locked(["x"], true, note(events, "second in"));
  await store.locked(["x"], false, note(events, "third in"));
  await delay(300);
  assert.ok(await locks.findOne({ _id: "x" }), "the held lock is still stored");
  first.release();
  await Promise.all([first.done, second]);
  assert.deepEqual(events, ["first in", "first out", "second in"]);
  assert.equal(await locks.countDocuments(), 0, "every lock is gone once its call ended");
});

lockTest(
  "a call that found some ids taken holds the ones it locked",
  async (db) => {
    const one = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 60_000 });
    const two = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 60_000 });
    const events: string[] = [];
    const theirs = await hold(two, ["x"], events, "two");
    const mine = await hold(one, ["x", "z"], events, "one", false);
    assert.deepEqual(mine.got, ["z"]);
    for (let i = 0; i < 2; i++) await one.locked(["z"], false, note(events, "again in"));
    mine.release();
    theirs.release();
    await Promise.all([mine.done, theirs.done]);
    assert.deepEqual(events, ["two in", "one in", "one out", "two out"]);
  },
);

lockTest(
  "another store breaks a lock only once the lock and its holder's heartbeat are stale",
  async (db, { locks, holders }) => {
    const timings = { staleMs: 3_000, heartbeatMs: 100 };
    const one = new DocumentLocks(db, timings);
    const two = new DocumentLocks(db, timings);
    const events: string[] = [];
    // Held past the stale time, beside 1,000 other ids: the heartbeat keeps all of them.
    const ids = ["x", ...Array.from({ length: 1_000 }, (_, i) => `id${i}`)];
    const held = await hold(one, ids, events, "one");
    assert.equal(held.got.length, ids.length);
    const until = Date.now() + 3_600;
    while (Date.now() < until) {
      await two.locked(["x", "id999"], false, note(events));
      await delay(100);
    }
    assert.deepEqual(events, ["one in"]);
    held.release();
    await held.done;
    await two.locked(["x"], false, note(events));
    assert.deepEqual(events, ["one in", "one out", "x"]);

    // Stores that went away, or still work (their heartbeat), or just took their lock.
    const old = Date.now() - 3_001;
    await holders.insertMany([
      { _id: "a store still working", at: Date.now() - 2_000 },
      { _id: "a store that died", at: old },
    ]);
    await locks.insertMany([
      { _id: "gone", at: old, holder: "a store that died" },
      { _id: "no heartbeat", at: old, holder: "a store that never beat" },
      { _id: "alive", at: old, holder: "a store still working" },
      { _id: "new", at: Date.now(), holder: "a store that just began" },
    ]);
    const all = ["gone", "no heartbeat", "alive", "new"];
    // The first call finds all of them locked and suspects those left; the second, three
    // heartbeats later, breaks them (their holders' heartbeats did not move); the third takes
    // them.
    await two.locked(all, false, note(events));
    await delay(3 * timings.heartbeatMs + 50);
    for (let i = 0; i < 2; i++) await two.locked(all, false, note(events));
    assert.deepEqual(events.slice(3).sort(), ["gone", "no heartbeat"]);
    assert.deepEqual((await locks.find({}).toArray()).map((lock) => lock._id).sort(), [
      "alive",
      "new",
    ]);
    await eventually("the heartbeat of the store still working goes stale", async () => {
      const got: string[] = [];
      await two.locked(["alive"], false, note(got));
      return got.length === 1 ? true : undefined;
    }, { timeoutMs: 10_000 });
  },
);

lockTest(
  "a lock document is never written after its insert, so no heartbeat brings back one deleted and taken by another store",
  async (db, { locks }) => {
    const one = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 20 });
    const two = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 60_000 });
    const events: string[] = [];
    // `one` keeps holding others, so that its heartbeat goes on.
    const background = await hold(one, ["p0", "p1", "p2"], events, "background");
    const before = await locks.findOne({ _id: "p0" });
    for (let round = 0; round < 10; round++) {
      const mine = await hold(one, ["x"], events, "one");
      await delay(30);
      mine.release();
      await mine.done;
      const theirs = await hold(two, ["x"], events, "two");
      const taken = await locks.findOne({ _id: "x" });
      await delay(60);
      for (let i = 0; i < 2; i++) await one.locked(["x"], false, note(events, "one again"));
      assert.deepEqual(await locks.findOne({ _id: "x" }), taken, "the lock of two, as written");
      theirs.release();
      await theirs.done;
    }
    assert.deepEqual(await locks.findOne({ _id: "p0" }), before);
    background.release();
    await background.done;
    assert.ok(!events.includes("one again"), events.join(", "));
  },
);

lockTest(
  "a lock its own store left (an unlock that failed) is broken at once",
  async (db, { locks }) => {
    const store = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 60_000 });
    let holder = "";
    await store.locked(["x"], true, async () => {
      holder = (await locks.findOne({ _id: "x" }))!.holder;
    });
    await locks.insertOne({ _id: "left", at: Date.now(), holder });
    const got: string[] = [];
    await store.locked(["left"], false, note(got));
    assert.equal(got.length, 0, "the first call finds the lock and breaks it");
    await store.locked(["left"], false, note(got));
    assert.deepEqual(got, ["left"]);
  },
);

lockTest("an unlock deletes only its own store's lock", async (db, { locks }) => {
  const one = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 60_000 });
  const two = new DocumentLocks(db, { staleMs: 1, heartbeatMs: 100 });
  const events: string[] = [];
  const first = await hold(one, ["x"], events, "one");
  const mine = (await locks.findOne({ _id: "x" }))!.holder;
  // To `two` the lock and heartbeat of `one` are stale at once (as when their clocks differ), and
  // the heartbeat does not move (one beats once a minute): it breaks the lock.
  await eventually("two breaks the lock of one", async () => {
    await two.locked(["x"], false, () => Promise.resolve());
    return (await locks.findOne({ _id: "x" })) === null ? true : undefined;
  }, { timeoutMs: 10_000, intervalMs: 50 });
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

lockTest(
  "a store's heartbeat runs while it holds locks, and stops once it holds none",
  async (db, { holders }) => {
    const store = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 20 });
    const events: string[] = [];
    const held = await hold(store, ["x"], events, "one");
    const beats = async () => (await holders.find({}).toArray()).map((doc) => doc.at);
    const first = await eventually("a heartbeat", async () => (await beats())[0]);
    const later = await eventually("a later heartbeat", async () => {
      const [at] = await beats();
      return at > first ? at : undefined;
    });
    held.release();
    await held.done;
    await delay(100);
    const stopped = await beats();
    await delay(200);
    assert.deepEqual(await beats(), stopped, "no heartbeat once nothing is held");
    assert.ok(stopped[0] >= later);
  },
);

lockTest(
  "a call never deletes a lock another call of its store took while the call's look was under way",
  async (db, { locks }) => {
    const hooks: Hooks = { slowFind: false };
    const one = new DocumentLocks(hookedDb(db, hooks, 150), { staleMs: 1, heartbeatMs: 60_000 });
    const two = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 60_000 });
    const events: string[] = [];
    const theirs = await hold(two, ["x"], events, "two");
    // A call of `one` finds x taken; its look for abandoned locks answers late.
    hooks.slowFind = true;
    const looking = one.locked(["x"], false, note(events, "looking in"));
    await delay(30);
    hooks.slowFind = false;
    theirs.release();
    await theirs.done;
    // Another call of `one` takes x meanwhile; the look then reads that lock.
    const mine = await hold(one, ["x"], events, "one");
    await looking;
    assert.ok(await locks.findOne({ _id: "x" }), "the lock of the call holding x stays");
    await two.locked(["x"], false, note(events, "two again"));
    mine.release();
    await mine.done;
    assert.deepEqual(events, ["two in", "two out", "one in", "one out"]);
  },
);

lockTest(
  "of several stores that would break one abandoned lock, one does: no two calls hold the id",
  async (db, { locks }) => {
    let inside = 0;
    let most = 0;
    let entries = 0;
    const work = async () => {
      entries++;
      most = Math.max(most, ++inside);
      await delay(20);
      inside--;
    };
    for (let round = 0; round < 30; round++) {
      // The lock is a minute old: stale for them all at once.
      const timings = { staleMs: 1_000, heartbeatMs: 50 };
      const stores = Array.from({ length: 4 }, () => new DocumentLocks(db, timings));
      await locks.insertOne({ _id: "x", at: Date.now() - 60_000, holder: "a store that died" });
      await Promise.all([...stores, ...stores].map((store) => store.locked(["x"], true, work)));
    }
    assert.equal(entries, 240);
    assert.equal(most, 1, "no two calls held x at once");
  },
);

lockTest(
  "a lock left by an unlock or insert that failed is deleted by its store's heartbeat, while the store is idle or busy",
  async (db, { locks }) => {
    const hooks: Hooks = { slowFind: false };
    const one = new DocumentLocks(hookedDb(db, hooks, 0), { staleMs: 60_000, heartbeatMs: 100 });
    const two = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 100 });
    const takes = async (id: string) => {
      const got: string[] = [];
      await eventually(`another store takes ${id}`, async () => {
        await two.locked([id], false, note(got));
        return got.length > 0 ? true : undefined;
      }, { timeoutMs: 10_000, intervalMs: 50 });
    };
    // Idle: nothing else held, the heartbeat goes on for the leftover alone.
    hooks.failDelete = "unsent";
    await assert.rejects(one.locked(["left"], true, () => Promise.resolve()), /went away/);
    assert.ok(await locks.findOne({ _id: "left" }), "the unlock left its lock");
    await takes("left");
    hooks.failInsert = "applied";
    await assert.rejects(one.locked(["inserted"], true, () => Promise.resolve()), /went away/);
    assert.ok(await locks.findOne({ _id: "inserted" }), "the insert stored its lock");
    await takes("inserted");
    // Busy: its heartbeat is fresh, so no other store breaks its locks.
    const busy = await hold(one, ["other"], [], "busy");
    hooks.failDelete = "unsent";
    await assert.rejects(one.locked(["left again"], true, () => Promise.resolve()), /went away/);
    await takes("left again");
    busy.release();
    await busy.done;
  },
);

lockTest(
  "an unlock applied but reported failed leaves another store's lock of the id alone",
  async (db, { locks }) => {
    const hooks: Hooks = { slowFind: false };
    const one = new DocumentLocks(hookedDb(db, hooks, 0), { staleMs: 60_000, heartbeatMs: 50 });
    const two = new DocumentLocks(db, { staleMs: 60_000, heartbeatMs: 60_000 });
    hooks.failDelete = "applied";
    await assert.rejects(one.locked(["x"], true, () => Promise.resolve()), /went away/);
    const events: string[] = [];
    const theirs = await hold(two, ["x"], events, "two");
    const taken = await locks.findOne({ _id: "x" });
    // `one` retries deleting what it takes for its leftover, heartbeat after heartbeat.
    await delay(300);
    assert.deepEqual(await locks.findOne({ _id: "x" }), taken, "the lock of two stays");
    theirs.release();
    await theirs.done;
  },
);

lockTest(
  "a heartbeat that moves keeps its store's locks, however old its clock says it is",
  async (db, { locks, holders }) => {
    // Three heartbeats (0.9 s) of watch against a heartbeat that moves every 50 ms: a margin for
    // a loaded server.
    const store = new DocumentLocks(db, { staleMs: 1_000, heartbeatMs: 300 });
    // A holder whose clock is a minute behind: its lock and each heartbeat look old.
    const behind = () => Date.now() - 60_000;
    await locks.insertOne({ _id: "x", at: behind(), holder: "a store a minute behind" });
    await holders.insertOne({ _id: "a store a minute behind", at: behind() });
    const beating = setInterval(() => {
      holders.updateOne({ _id: "a store a minute behind" }, { $set: { at: behind() } })
        .catch(() => {});
    }, 50);
    try {
      const got: string[] = [];
      for (const until = Date.now() + 2_500; Date.now() < until;) {
        await store.locked(["x"], false, note(got));
        await delay(50);
      }
      assert.deepEqual(got, []);
    } finally {
      clearInterval(beating);
    }
  },
);

lockTest(
  "a call waiting for the lock of a store that died gets it within LOCK_WAIT_MS (15 s), the lock watched from the first look",
  async (db, { locks, holders }) => {
    // Stale after 12 s: watched only once stale, the lock was broken 3 heartbeats later (15 s).
    const store = new DocumentLocks(db, { staleMs: 12_000, heartbeatMs: 1_000 });
    await holders.insertOne({ _id: "a store that died", at: Date.now() });
    await locks.insertOne({ _id: "x", at: Date.now(), holder: "a store that died" });
    const got: string[] = [];
    await store.locked(["x"], true, note(got));
    assert.deepEqual(got, ["x"]);
  },
);

Deno.test({
  ...skipUnless(
    "FerretDB locks: a server pause longer than staleMs breaks no lock still held",
    SKIP_REASON ?? (ferretDbBinary() ? null : "no FerretDB binary (FERRETDB_BIN)"),
  ),
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "locks_pause_" });
    const port = freePort();
    const ferret = await startFerretDb(ferretDbBinary()!, port, `${dir}/data`);
    const client = new MongoClient(`mongodb://127.0.0.1:${port}`, {
      serverSelectionTimeoutMS: 20_000,
    });
    try {
      const db = client.db("pause");
      const timings = { staleMs: 2_000, heartbeatMs: 200 };
      const one = new DocumentLocks(db, timings);
      const two = new DocumentLocks(db, timings);
      const events: string[] = [];
      const held = await hold(one, ["x"], events, "one");
      const tries = (async () => {
        for (const until = Date.now() + 7_000; Date.now() < until;) {
          await two.locked(["x"], false, note(events, "two in"));
          await delay(100);
        }
      })();
      await delay(1_000);
      ferret.child.kill("SIGSTOP");
      await delay(3_000);
      ferret.child.kill("SIGCONT");
      await tries;
      held.release();
      await held.done;
      assert.deepEqual(events, ["one in", "one out"]);
    } finally {
      ferret.child.kill("SIGCONT");
      await client.close();
      await ferret.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

lockTest(
  "a store whose looks answer slower than a heartbeat breaks no lock (the holder's heartbeat may be on its way); once they answer in time, it breaks an abandoned one",
  async (db, { locks }) => {
    const hooks: Hooks = { slowFind: true };
    const store = new DocumentLocks(hookedDb(db, hooks, 150), {
      staleMs: 1_000,
      heartbeatMs: 100,
    });
    await locks.insertOne({ _id: "x", at: Date.now() - 60_000, holder: "a store that died" });
    const got: string[] = [];
    for (let i = 0; i < 8; i++) {
      await store.locked(["x"], false, note(got));
      await delay(100);
    }
    assert.equal(got.length, 0);
    assert.ok(await locks.findOne({ _id: "x" }), "not broken while the looks are slow");
    hooks.slowFind = false;
    await eventually("the abandoned lock is broken and taken", async () => {
      await store.locked(["x"], false, note(got));
      return got.length > 0 ? true : undefined;
    }, { timeoutMs: 10_000, intervalMs: 50 });
  },
);
