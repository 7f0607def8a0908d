/**
 * Schedules end to end on both stores: DST days with an injected clock, one task per fire with two
 * managers on one store, pausing, missed-fire policies across a manager restart, and the REST
 * API's bounds.
 */
import assert from "node:assert/strict";
import { startTestManager, type TestManager } from "./_manager.ts";
import { answerDuring, timerDuring } from "./fixtures/turns.ts";
import { type Backend, BACKENDS, backendTest, withMongo } from "./fixtures/backends.ts";
import { managerClient, unary } from "./fixtures/grpc_stack.ts";
import { rest, restOk } from "./fixtures/rest.ts";
import { skipUnless } from "./fixtures/skip.ts";
import { FIRE_GRACE_MS, fireKey } from "../server/domain/schedule.ts";
import {
  ConflictError,
  FailedPreconditionError,
  InvalidArgumentError,
  UnavailableError,
} from "../server/domain/errors.ts";
import { DEFAULT_LIMITS, type Limits } from "../server/domain/limits.ts";
import { Service } from "../server/service/service.ts";
import { openMongoStore } from "../server/store/mongo/store.ts";
import { openSqliteStore } from "../server/store/sqlite/store.ts";
import type { Store } from "../server/store/store.ts";
import { nextListing } from "./fixtures/schedule_listing.ts";
import { hooked } from "./fixtures/hooked.ts";
import { type TickedService, tickedService } from "./fixtures/ticked_service.ts";
import { lastReceiver } from "./fixtures/receiver.ts";
import { Cron } from "croner";
import { SCHEDULE_SCHEMAS } from "../server/http/openapi/schedules.ts";
import { FIRE_BACKOFF, Scheduler } from "../server/engine/scheduler.ts";

const MONGO_URI = Deno.env.get("TEST_MONGO_URI") ?? "";
const RUN_ID = `${Date.now().toString(36)}_${crypto.randomUUID().slice(0, 6)}`;
let places = 0;

/** Where a store (or managers sharing one) keep their data; removed on dispose. */
interface Place extends AsyncDisposable {
  /** Manager environment pointing at it. */
  env: Record<string, string>;
  dataDir: string;
  openStore(): Promise<Store>;
}

async function freshPlace(backend: Backend): Promise<Place> {
  const dataDir = await Deno.makeTempDir({ prefix: "schedules-test-" });
  const mongoDb = backend.name === "mongo" ? `tasks_sched_${RUN_ID}_${++places}` : null;
  return {
    dataDir,
    env: mongoDb ? { MONGO_URI, MONGO_DB: mongoDb } : {},
    openStore: () =>
      mongoDb
        ? openMongoStore({ uri: MONGO_URI, dbName: mongoDb })
        : openSqliteStore({ path: `${dataDir}/tasks.db` }),
    async [Symbol.asyncDispose]() {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
      if (mongoDb) await withMongo((client) => client.db(mongoDb).dropDatabase());
    },
  };
}

function storeTest(backend: Backend, name: string, fn: (place: Place) => Promise<void>): void {
  Deno.test({
    ...skipUnless(`${name} (${backend.name})`, backend.skip),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      await using place = await freshPlace(backend);
      await fn(place);
    },
  });
}

/** 2030-01-01T00:00:00Z, where the clock of most tests here starts. */
const T2030 = Date.parse("2030-01-01T00:00:00Z");

/** A ticked service on a place's store with one executor, and the clock it reads. */
interface ClockedService extends TickedService {
  /** The time the service and `scheduler` read: a test moves it by setting `at`. */
  clock: { at: number };
}

/**
 * Where a `ClockedService` starts its clock (default `T2030`), the one executor it makes (default
 * "job"), its limits over the defaults, and the chance for jitter.
 */
interface ClockOptions {
  from?: number;
  executorName?: string;
  limits?: Partial<Limits>;
  random?: () => number;
}

async function clockedService(
  place: Place,
  options: ClockOptions = {},
): Promise<ClockedService> {
  const clock = { at: options.from ?? T2030 };
  const ticked = await tickedService(await place.openStore(), {
    now: () => clock.at,
    executors: [options.executorName ?? "job"],
    limits: options.limits,
    random: options.random,
  });
  return Object.assign(ticked, { clock });
}

/** `clockedService` on a fresh SQLite place, removed when the service is disposed. */
async function sqliteClockedService(options: ClockOptions = {}): Promise<ClockedService> {
  const place = await freshPlace(BACKENDS[0]);
  try {
    const s = await clockedService(place, options);
    return {
      ...s,
      async [Symbol.asyncDispose]() {
        try {
          await s[Symbol.asyncDispose]();
        } finally {
          await place[Symbol.asyncDispose]();
        }
      },
    };
  } catch (error) {
    await place[Symbol.asyncDispose]();
    throw error;
  }
}

/** A `storeTest` of `backend` whose body gets a `clockedService` (`options`) on its place. */
function clockedTest(
  backend: Backend,
  name: string,
  fn: (s: ClockedService) => Promise<void>,
  options: ClockOptions = {},
): void {
  storeTest(backend, name, async (place) => {
    await using s = await clockedService(place, options);
    await fn(s);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` answers something truthy (real managers tick on real time). */
async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Fire time of each task a schedule made (from its idempotency key), oldest first. */
async function fireTimes(manager: TestManager, executorName: string): Promise<number[]> {
  const times: number[] = [];
  let cursor = "";
  do {
    const page = await restOk(
      manager,
      "GET",
      `/tasks?executorName=${executorName}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
    );
    for (const task of page.tasks) {
      const match = /^schedule:[^:]+:(\d+)$/.exec(task.idempotencyKey ?? "");
      if (match) times.push(Number(match[1]));
    }
    cursor = page.nextCursor ?? "";
  } while (cursor);
  return times.sort((a, b) => a - b);
}

Deno.test("a store holding the most schedules allowed refuses one more", async () => {
  await using s = await sqliteClockedService({ from: Date.now(), limits: { schedules: 1 } });
  const { service } = s;
  await service.schedules.create({ name: "one", executorName: "job", every: "1h" });
  await assert.rejects(
    () => service.schedules.create({ name: "two", executorName: "job", every: "1h" }),
    FailedPreconditionError,
  );
});

Deno.test("an every past the last time a schedule can fire is refused saying the range", async () => {
  await using s = await sqliteClockedService({ from: Date.now() });
  const { service } = s;
  const error = await assert.rejects(
    () => service.schedules.create({ name: "far", executorName: "job", every: "999999999d" }),
    (e: InvalidArgumentError) => {
      assert.deepEqual(e.violations.map((v) => v.field), ["/every"]);
      assert.match(e.violations[0].message, /^Must be an interval from 1s to \d+d /);
      return true;
    },
  );
  assert.equal(error, undefined);
  // Within the range, but its first fire would come after the last time the API reads.
  await assert.rejects(
    () => service.schedules.create({ name: "far", executorName: "job", every: "2914000d" }),
    (e: InvalidArgumentError) => {
      assert.deepEqual(e.violations, [{ field: "/every", message: "Never fires from now on" }]);
      return true;
    },
  );
});

Deno.test("timing that never fires is refused naming the field that ends it: a cron no date matches, an endAt past, a startAt past croner's last year", async () => {
  await using s = await sqliteClockedService();
  const { service } = s;
  const refusedAt = async (timing: Record<string, unknown>) => {
    const violations: { field: string; message: string }[] = [];
    await assert.rejects(
      () => service.schedules.create({ name: "never", executorName: "job", ...timing }),
      (e: InvalidArgumentError) => (violations.push(...e.violations), true),
    );
    return violations;
  };
  const never = "Never fires from now on";
  assert.deepEqual(await refusedAt({ cron: "* * 1W * +7" }), [{ field: "/cron", message: never }]);
  assert.deepEqual(
    await refusedAt({ cron: "* * 1W * +7", startAt: T2030 + 1000, endAt: T2030 + 2000 }),
    [{ field: "/cron", message: never }],
  );
  assert.deepEqual(await refusedAt({ cron: "0 0 * * *", endAt: T2030 - 1000 }), [
    { field: "/endAt", message: never },
  ]);
  // croner reads no fire past the year 2999: the cron was named, where the start is what to change.
  assert.deepEqual(await refusedAt({ cron: "0 0 * * *", startAt: "3500-01-01T00:00:00Z" }), [
    { field: "/startAt", message: `${never}: a cron's fires end with the year 2999` },
  ]);
});

Deno.test("startAt and endAt are none however the epoch is written: the string \"0\" (a command line's) as the number 0, on preview, create and update; a task's runAt too", async () => {
  await using s = await sqliteClockedService();
  const { service, clock } = s;
  const hourly = [1, 2, 3, 4, 5].map((n) => T2030 + n * 3_600_000);
  for (const none of [null, 0, "0", "1970-01-01T00:00:00Z"]) {
    const what = JSON.stringify(none);
    // "0" as endAt was 1970: no fire at all; as startAt, intervals lined up on the epoch.
    assert.deepEqual(await service.schedules.preview({ every: "1h", endAt: none }), hourly, what);
    const fromNow = await service.schedules.preview({ every: "7m", startAt: none }, { count: 1 });
    assert.deepEqual(fromNow, [T2030 + 7 * 60_000], what);
  }
  const created = await service.schedules.create({
    name: "unbounded",
    executorName: "job",
    every: "7m",
    startAt: "0",
    endAt: "0",
  });
  assert.deepEqual([created.startAt, created.endAt], [null, null]);
  await service.schedules.update("unbounded", { endAt: T2030 + 3_600_000 });
  const cleared = await service.schedules.update("unbounded", { endAt: "0" });
  assert.equal(cleared.endAt, null);
  // A task's runAt "0" is none (now), as 0 is: not 1970, ahead of every task of its priority.
  clock.at = T2030 + 1000;
  const { task } = await service.createTask({ executorName: "job", data: null, runAt: "0" });
  assert.equal(task.runAt, T2030 + 1000);
});

Deno.test("a zero offset, however written, is kept and answered as UTC, and a declaration so is no change", async () => {
  await using s = await sqliteClockedService();
  const { service } = s;
  const created = await service.schedules.create({
    name: "zero",
    executorName: "job",
    cron: "0 9 * * *",
    timezone: "-00:00",
  });
  assert.equal(created.timezone, "UTC");
  for (const timezone of ["+00:00", "+00", "-0000", "UTC"]) {
    const again = await service.schedules.update("zero", { timezone });
    assert.equal(again.timezone, "UTC", timezone);
    assert.equal(again.nextFireAt, created.nextFireAt, timezone);
  }
});

Deno.test("null on update keeps every schedule field but startAt and endAt, which it clears; on create it is the default", async () => {
  await using s = await sqliteClockedService({ executorName: "job" });
  const { service } = s;
  await service.createExecutor({ name: "other" });
  const set = {
    name: "every-field",
    executorName: "job",
    cron: "30 2 * * *",
    timezone: "Europe/Berlin",
    task: { data: { kind: "daily" }, metadata: { team: "ops" }, priority: 5 },
    enabled: false,
    overlapPolicy: "allow",
    missedFirePolicy: "run_each",
    maxMissedFires: 3,
    jitter: "30s",
    startAt: T2030 + 86_400_000,
    endAt: T2030 + 30 * 86_400_000,
  };
  // Every field a schedule takes (the OpenAPI document's), so that a new one is held to the rule.
  const fields = Object.keys(
    (SCHEDULE_SCHEMAS.ScheduleInput as { properties: Record<string, unknown> }).properties,
  );
  assert.deepEqual([...Object.keys(set), "every"].sort(), [...fields].sort());
  const { nextFires: _, ...stored } = await service.schedules.create(set);
  for (const field of fields) {
    const { nextFires: __, ...after } = await service.schedules.update("every-field", {
      [field]: null,
    });
    const cleared = field === "startAt" || field === "endAt";
    assert.deepEqual(
      { ...after, updatedAt: 0, version: 0 },
      {
        ...stored,
        // No start: the next fire comes sooner.
        ...(cleared ? { [field]: null, nextFireAt: after.nextFireAt } : {}),
        updatedAt: 0,
        version: 0,
      },
      field,
    );
    if (cleared) {
      await service.schedules.update("every-field", { [field]: set[field as keyof typeof set] });
    }
  }
  // On create, null is the field's default.
  const defaults = await service.schedules.create({
    ...Object.fromEntries(fields.map((field) => [field, null])),
    name: "defaults",
    executorName: "job",
    every: "1h",
  });
  assert.deepEqual(
    [
      defaults.timezone,
      defaults.task,
      defaults.enabled,
      defaults.overlapPolicy,
      defaults.missedFirePolicy,
      defaults.maxMissedFires,
      defaults.jitterMs,
      defaults.startAt,
      defaults.endAt,
    ],
    ["UTC", { data: null, metadata: {}, priority: 0 }, true, "skip", "run_once", 10, 0, null, null],
  );
  assert.equal((await service.schedules.preview({ every: "1h", timezone: null })).length, 5);
});

Deno.test("an update that changes nothing writes nothing: updatedAt and version stay", async () => {
  await using s = await sqliteClockedService();
  const { service, clock } = s;
  const created = await service.schedules.create({
    name: "same",
    executorName: "job",
    cron: "30 2 * * *",
    timezone: "Europe/Berlin",
    task: { data: { kind: "daily" }, priority: 5 },
    jitter: "30s",
  });
  const stamp = (schedule: { updatedAt: number; version: number }) => [
    schedule.updatedAt,
    schedule.version,
  ];
  clock.at += 60_000;
  for (
    const same of [
      {},
      { cron: "30  2 * * *", timezone: "europe/berlin" },
      { task: { data: { kind: "daily" }, priority: 5 }, jitter: "30s", enabled: true },
      { timezone: null, startAt: null },
    ]
  ) {
    const after = await service.schedules.update("same", same);
    assert.deepEqual(stamp(after), stamp(created), JSON.stringify(same));
  }
  const paused = await service.schedules.pause("same");
  assert.deepEqual(stamp(paused), [T2030 + 60_000, created.version + 1], "a change is written");
  clock.at += 60_000;
  assert.deepEqual(stamp(await service.schedules.pause("same")), stamp(paused), "paused again");
});

Deno.test("a preview, or a create refused, keeps none of the crons and zone clocks it reads: previews of many expressions, as a user types them, and creates of a taken name leave those of stored schedules kept", async () => {
  await using s = await sqliteClockedService({ from: Date.now() });
  const { service } = s;
  // At fixed times of day in a zone: read through a kept cron and a kept clock of the zone.
  await service.schedules.create({
    name: "s",
    executorName: "job",
    cron: "0 9 * * *",
    timezone: "Asia/Tokyo",
  });
  const used = () =>
    Promise.all([
      lastReceiver(Cron.prototype, "nextRun", () => service.schedules.get("s")),
      lastReceiver(
        Intl.DateTimeFormat.prototype,
        "formatToParts",
        () => service.schedules.get("s"),
      ),
    ]);
  const [cron, clock] = await used();
  assert.ok(cron && clock);
  // More than are kept of each: crons at fixed times (each in a zone of its own) and not.
  for (let i = 0; i < 100; i++) {
    const zone = `+${String(Math.floor(i / 60)).padStart(2, "0")}:${
      String(i % 60).padStart(2, "0")
    }`;
    await service.schedules.preview({
      cron: `${i % 60} ${Math.floor(i / 60)} * * *`,
      timezone: zone,
    });
    await service.schedules.preview({ cron: `${i % 60} * * * *`, timezone: zone });
    await assert.rejects(
      () =>
        service.schedules.create({
          name: "s",
          executorName: "job",
          cron: `${i % 60} ${Math.floor(i / 60)} * * 1`,
          timezone: zone,
        }),
      ConflictError,
    );
  }
  const [cronAfter, clockAfter] = await used();
  assert.equal(cronAfter, cron, "the schedule's cron is kept");
  assert.equal(clockAfter, clock, "the zone's clock is kept");
});

Deno.test("listing schedules gives the thread back, and works out no fire times for paused ones", async () => {
  await using s = await sqliteClockedService({ from: Date.now() });
  const { service } = s;
  // A cron that fires rarely: each of its next fire times takes a search.
  const rare = { cron: "0 0 0 29 2 1", timezone: "Pacific/Chatham" };
  for (let i = 0; i < 12; i++) {
    await service.schedules.create({ name: `on${i}`, executorName: "job", ...rare });
    await service.schedules.create({
      name: `off${i}`,
      executorName: "job",
      ...rare,
      enabled: false,
    });
  }
  const { timerFirst, result: page } = await timerDuring(() =>
    service.schedules.list({ fires: 100 }, { limit: 1000 })
  );
  assert.ok(timerFirst, "the list gave the thread back");
  assert.equal(page.items.length, 24);
  for (const view of page.items) {
    assert.equal(view.nextFires.length > 0, view.enabled, view.name);
  }
});

Deno.test("a tick over many due schedules gives the thread back between slices: a request sent as it starts is answered before it ends", async () => {
  await using s = await sqliteClockedService();
  const { service, clock, scheduler } = s;
  const count = 200;
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) => service.schedules.create({ name: `s${i}`, executorName: "job", every: "1s" }),
    ),
  );
  clock.at += 1000;
  // Each fire waits on the store's sync, a `setImmediate` turn: timers ran between them, requests
  // did not.
  const { answeredFirst, result } = await answerDuring(() => scheduler.tick());
  assert.ok(answeredFirst, "the tick gave the thread back to the HTTP server");
  assert.equal(result, count);
});

Deno.test("the event stream tells live views when a schedule changes", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "job" });
  const abort = new AbortController();
  const response = await fetch(`${manager.httpUrl}/api/v1/events`, { signal: abort.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const readUntil = async (needle: string) => {
    while (!buffer.includes(needle)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`Stream ended before ${needle}`);
      buffer += value;
    }
  };
  try {
    await readUntil(": connected");
    await restOk(manager, "POST", "/schedules", { name: "s", executorName: "job", every: "1h" });
    await readUntil("event: schedules\n");
    await reader.cancel();
  } finally {
    abort.abort();
  }
});

Deno.test("a client's task may not take the idempotency key of a schedule's fire (it would take that fire's place, and with a far runAt hold every fire after it): a 400 naming the key, nothing stored, and the fire creates its own task", async () => {
  await using manager = await startTestManager();
  await restOk(manager, "POST", "/executors", { name: "job" });
  const { schedule } = await restOk(manager, "POST", "/schedules", {
    name: "s",
    executorName: "job",
    every: "1s",
  });
  const fireAt = Date.parse(schedule.nextFires[0]);
  const key = fireKey(schedule.id, fireAt);
  const far = { executorName: "job", idempotencyKey: key, runAt: "9999-01-01T00:00:00Z" };
  for (
    const [path, body, field] of [
      ["/tasks", far, "/idempotencyKey"],
      ["/tasks/batch", { tasks: [{ executorName: "job" }, far] }, "/tasks/1/idempotencyKey"],
      // Any key so begun: a manual trigger's too.
      ["/tasks", { ...far, idempotencyKey: "schedule:" }, "/idempotencyKey"],
    ] as const
  ) {
    const answer = await rest(manager, "POST", path, body);
    assert.equal(answer.status, 400, path);
    assert.equal(answer.body.errors[0].field, field);
    assert.match(answer.body.errors[0].message, /^Must not begin with "schedule:"/);
  }
  const fired = await waitFor("the fire to create its task", async () => {
    const { schedule: read } = await restOk(manager, "GET", "/schedules/s");
    return read.lastFires.find((fire: { fireAt: string }) => Date.parse(fire.fireAt) === fireAt);
  });
  assert.equal(fired.skipped, null);
  const { task } = await restOk(manager, "GET", `/tasks/${fired.taskId}`);
  assert.equal(task.idempotencyKey, key);
  assert.equal(task.runAt === null || Date.parse(task.runAt) < Date.parse("9999-01-01"), true);
});

const BERLIN_DAY = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" });

for (const backend of BACKENDS) {
  for (
    const [day, from, expected] of [
      [
        "spring-forward",
        "2026-03-27T12:00:00Z",
        // 02:30 does not exist on 29 March: croner fires when the clocks jump (03:00 CEST).
        [
          "2026-03-28T01:30:00.000Z",
          "2026-03-29T01:00:00.000Z",
          "2026-03-30T00:30:00.000Z",
          "2026-03-31T00:30:00.000Z",
        ],
      ],
      [
        "fall-back",
        "2026-10-23T12:00:00Z",
        // 02:30 happens twice on 25 October: the first one (CEST) fires, the second does not.
        [
          "2026-10-24T00:30:00.000Z",
          "2026-10-25T00:30:00.000Z",
          "2026-10-26T01:30:00.000Z",
          "2026-10-27T01:30:00.000Z",
        ],
      ],
    ] as const
  ) {
    clockedTest(
      backend,
      `a 02:30 Europe/Berlin daily schedule fires once a day across the ${day} day`,
      async (s) => {
        const { store, service, clock, scheduler } = s;
        await service.schedules.create({
          name: "nightly",
          executorName: "nightly_job",
          cron: "30 2 * * *",
          timezone: "Europe/Berlin",
          overlapPolicy: "allow",
        });
        const end = Date.parse(expected.at(-1)!) + 3_600_000;
        // Each tick half a second after the fire it is due for; the clock never waits.
        for (;;) {
          const next = (await service.schedules.get("nightly")).nextFireAt!;
          if (next > end) break;
          clock.at = next + 500;
          assert.equal(await scheduler.tick(), 1);
        }
        const page = await store.taskList({ executorName: "nightly_job" }, { limit: 100 });
        const fires = page.items.map((t) => Number(t.idempotencyKey!.split(":")[2])).sort();
        assert.deepEqual(fires.map((t) => new Date(t).toISOString()), expected);
        const days = fires.map((t) => BERLIN_DAY.format(t));
        assert.equal(new Set(days).size, days.length, "one fire per local day");
      },
      { from: Date.parse(from), executorName: "nightly_job" },
    );
  }

  clockedTest(
    backend,
    "a fire whose data the executor's schema no longer takes is skipped as invalid_data and logged with the refusal, a few lines a minute",
    async (s) => {
      const { store, service, clock } = s;
      await service.schedules.create({
        name: "minutely",
        executorName: "job",
        every: "1m",
        task: { data: { note: "x" } },
      });
      // A schema the data breaks, written past the check a change through the API makes (an
      // older version's change, or one racing the schedule's create on MongoDB).
      const job = (await store.executorGet("job"))!;
      await store.executorUpdate({
        ...job,
        taskSchema: { type: "object", required: ["to"] },
        updatedAt: job.updatedAt + 1,
      }, { basedOn: job.updatedAt });
      const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
      const keep = (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields });
      const scheduler = new Scheduler(service, {
        now: () => clock.at,
        log: { debug: keep, info: keep, warn: keep, error: keep },
      });
      for (let i = 0; i < 12; i++) {
        clock.at = (await service.schedules.get("minutely")).nextFireAt! + 100;
        assert.equal(await scheduler.tick(), 0);
      }
      await scheduler.stop();
      const schedule = await service.schedules.get("minutely");
      assert.equal(schedule.lastFires.length, 12);
      assert.ok(schedule.lastFires.every((f) => f.skipped === "invalid_data" && !f.taskId));
      const refused = lines.filter((line) => line.msg === "Schedule fire refused");
      assert.equal(refused.length, 10, "the first 10 a minute");
      for (const line of refused) {
        assert.equal(line.fields?.schedule, "minutely");
        assert.equal(line.fields?.executor, "job");
        assert.equal(line.fields?.reason, "invalid_data");
        assert.match(String(line.fields?.error), /\/data\b.*\bto\b/, "the refusal names the field");
      }
      const summary = lines.filter((line) => line.msg !== "Schedule fire refused");
      assert.equal(summary.length, 1, JSON.stringify(summary));
      assert.match(JSON.stringify(summary[0]), /\b2\b/, "the 2 left out are counted");
    },
  );

  clockedTest(
    backend,
    "a cron stored in a zone this manager's time zone data does not know is listed with its stored next fire, and a change that needs its clock is refused naming /timezone",
    async (s) => {
      const { store, service } = s;
      const created = await service.schedules.create({
        name: "far-zone",
        executorName: "job",
        cron: "0 9 * * *",
        timezone: "Europe/Berlin",
      });
      await service.schedules.create({ name: "plain", executorName: "job", every: "1h" });
      // As a manager whose time zone data knows a zone this one's does not would store it.
      const stored = (await store.schedules.scheduleGet("far-zone"))!;
      await store.schedules.scheduleUpdate({ ...stored, timezone: "Mars/Olympus" });
      const page = await service.schedules.list();
      assert.deepEqual(page.items.map((item) => item.name), ["far-zone", "plain"]);
      const listed = page.items[0];
      assert.equal(listed.timezone, "Mars/Olympus");
      assert.deepEqual(listed.nextFires, [created.nextFireAt]);
      assert.deepEqual((await service.schedules.get("far-zone")).nextFires, [created.nextFireAt]);
      const refused = (change: Record<string, unknown>) =>
        assert.rejects(
          () => service.schedules.update("far-zone", change),
          (e: InvalidArgumentError) => {
            assert.deepEqual(e.violations.map((v) => v.field), ["/timezone"], e.message);
            return true;
          },
          JSON.stringify(change),
        );
      // Reading its clock threw (500): a new cron, and a resume.
      await refused({ cron: "0 10 * * *" });
      await service.schedules.update("far-zone", { enabled: false });
      await refused({ enabled: true });
      // A change that leaves the timing be is taken, and one naming a zone it knows fires again.
      await service.schedules.update("far-zone", { task: { data: { n: 1 } } });
      const moved = await service.schedules.update("far-zone", {
        timezone: "Europe/Paris",
        enabled: true,
      });
      assert.equal(moved.timezone, "Europe/Paris");
      assert.equal(moved.nextFires.length, 5);
    },
  );

  clockedTest(
    backend,
    "a trigger of a cron stored in a zone this manager's time zone data does not know is refused naming /timezone before any task is made",
    async (s) => {
      const { store, service } = s;
      await service.schedules.create({
        name: "far-zone",
        executorName: "job",
        cron: "0 9 * * *",
        timezone: "Europe/Berlin",
      });
      // As a manager whose time zone data knows a zone this one's does not would store it.
      const stored = (await store.schedules.scheduleGet("far-zone"))!;
      await store.schedules.scheduleUpdate({ ...stored, timezone: "Mars/Olympus" });
      await assert.rejects(
        () => service.schedules.trigger("far-zone"),
        (e: Error) => {
          assert.equal(e.name, "FailedPreconditionError", e.message);
          assert.match(e.message, /\/timezone/);
          return true;
        },
      );
      // An error answer: nothing was stored (reading its clock threw after the task was made).
      const tasks = await service.listTasks({ executorName: "job" });
      assert.equal(tasks.items.length, 0, "no task was made");
      assert.deepEqual((await service.schedules.get("far-zone")).lastFires, []);
    },
  );

  clockedTest(
    backend,
    "a batch of schedules whose fires fail at every tick does not hold the schedules due after them",
    async (s) => {
      const { store, service, clock } = s;
      // Due first: midnight in Berlin is 23:00 UTC, an hour before the daily interval's fire.
      for (const name of ["stuck-1", "stuck-2"]) {
        await service.schedules.create({
          name,
          executorName: "job",
          cron: "0 0 * * *",
          timezone: "Europe/Berlin",
        });
        // Its fires fail here (reading its clock throws), as a manager with newer time zone data
        // could have stored it.
        const stored = (await store.schedules.scheduleGet(name))!;
        await store.schedules.scheduleUpdate({ ...stored, timezone: "Mars/Olympus" });
      }
      await service.schedules.create({ name: "daily", executorName: "job", every: "1d" });
      const lines: string[] = [];
      const keep = (msg: string) => lines.push(msg);
      const scheduler = new Scheduler(service, {
        now: () => clock.at,
        batch: 2,
        log: { debug: keep, info: keep, warn: keep, error: keep },
      });
      clock.at = T2030 + 86_400_000 + 1000;
      for (let tick = 1; tick <= 2; tick++) {
        assert.equal(await scheduler.tick(), tick === 1 ? 1 : 0, `tick ${tick}`);
        // Past the backoff of a first failure, so tick 2 tries the stuck schedules again.
        clock.at += FIRE_BACKOFF.interval;
      }
      await scheduler.stop();
      const daily = await service.schedules.get("daily");
      assert.equal(daily.lastFires.length, 1, "the daily schedule fired, once");
      assert.equal(lines.filter((msg) => msg === "Cannot fire schedule").length, 4);
    },
  );

  clockedTest(
    backend,
    "schedules whose fires fail at every tick are read once a tick, batch by batch, not again in each later batch",
    async (s) => {
      const { store, service, clock } = s;
      const stuck = 12;
      for (let i = 0; i < stuck; i++) {
        const name = `stuck-${String(i).padStart(2, "0")}`;
        await service.schedules.create({
          name,
          executorName: "job",
          cron: "0 0 * * *",
          timezone: "Europe/Berlin",
        });
        // Its fires fail here (reading its clock throws), as a manager with newer time zone data
        // could have stored it.
        const stored = (await store.schedules.scheduleGet(name))!;
        await store.schedules.scheduleUpdate({ ...stored, timezone: "Mars/Olympus" });
      }
      await service.schedules.create({ name: "daily", executorName: "job", every: "1d" });
      const reads: { limit: number; rows: number }[] = [];
      const due = store.schedules.scheduleDue.bind(store.schedules);
      store.schedules.scheduleDue = async (options) => {
        const rows = await due(options);
        reads.push({ limit: options.limit, rows: rows.length });
        return rows;
      };
      const quiet = () => {};
      const scheduler = new Scheduler(service, {
        now: () => clock.at,
        batch: 2,
        log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
      });
      clock.at = T2030 + 86_400_000 + 1000;
      assert.equal(await scheduler.tick(), 1, "the daily schedule fired");
      await scheduler.stop();
      // 13 due schedules in batches of 2: 7 reads of 2 rows at most. Asking again for those that
      // failed read 2 + 4 + … + 14 rows, a number that grows with the square of the failing ones
      // (and one read held them all at once).
      assert.ok(reads.every((read) => read.limit <= 2), JSON.stringify(reads));
      const rows = reads.reduce((sum, read) => sum + read.rows, 0);
      assert.ok(rows <= stuck + 1 + 2, `${rows} rows read: ${JSON.stringify(reads)}`);
    },
  );

  clockedTest(
    backend,
    "a schedule whose fires fail is tried again after a backoff that doubles to its cap, not at every tick; the others of its batch fire on time; after it, the missed-fire and overlap policies hold, and a fire that succeeds ends the backoff",
    async (s) => {
      const { store, service, clock } = s;
      const start = clock.at;
      // First in the store's order (same fire time, smallest id), so in the first batch of 2.
      const broken = await service.schedules.create({
        name: "broken",
        executorName: "job",
        every: "1m",
        missedFirePolicy: "run_once",
        overlapPolicy: "skip",
      });
      for (const name of ["ok-1", "ok-2", "ok-3"]) {
        await service.schedules.create({
          name,
          executorName: "job",
          every: "1m",
          overlapPolicy: "allow",
        });
      }
      // The store fails each write of the broken schedule's fire state while `failing`.
      let failing = true;
      const setFireState = store.schedules.scheduleSetFireState.bind(store.schedules);
      store.schedules.scheduleSetFireState = (id, version, state) =>
        failing && id === broken.id
          ? Promise.reject(new UnavailableError("Store unavailable"))
          : setFireState(id, version, state);
      const tries: number[] = [];
      const fireDue = service.schedules.fireDue.bind(service.schedules);
      service.schedules.fireDue = (schedule, now) => {
        if (schedule.id === broken.id) tries.push((now - start) / 1000);
        return fireDue(schedule, now);
      };
      const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
      const keep = (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields });
      const scheduler = new Scheduler(service, {
        now: () => clock.at,
        batch: 2,
        // No jitter: each backoff at its longest.
        random: () => 0,
        log: { debug: keep, info: keep, warn: keep, error: keep },
      });
      /** Ticks every 250 ms up to `until` s after the start. */
      const tickUntil = async (until: number) => {
        while (clock.at < start + until * 1000) {
          clock.at += 250;
          await scheduler.tick();
        }
      };
      await tickUntil(240);
      // At every tick (720 tries) before.
      assert.deepEqual(tries, [60, 61, 63, 67, 75, 91, 123, 183]);
      // Each failure's line says how many failed in a row and when it is tried again: the next
      // try's time (the last's is 60 s on, at 243 s).
      const retries = [...tries.slice(1), 243];
      assert.deepEqual(
        lines.map(({ msg, fields }) => [msg, fields?.failures, fields?.retryAt]),
        retries.map((retryAt, i) => [
          "Cannot fire schedule",
          i + 1,
          new Date(start + retryAt * 1000).toISOString(),
        ]),
      );
      for (const name of ["ok-1", "ok-2", "ok-3"]) {
        const { lastFires } = await service.schedules.get(name);
        assert.deepEqual(
          lastFires.map((f) => [(f.fireAt - start) / 1000, f.firedAt - f.fireAt, !!f.taskId]),
          [[60, 0, true], [120, 0, true], [180, 0, true], [240, 0, true]],
          name,
        );
      }
      assert.deepEqual((await service.schedules.get("broken")).lastFires, []);
      // The store heals: the next try, at the backoff's cap, catches up by run_once.
      failing = false;
      await tickUntil(243);
      assert.equal(tries.at(-1), 243);
      const caughtUp = await service.schedules.get("broken");
      assert.deepEqual(
        caughtUp.lastFires.map((f) => [(f.fireAt - start) / 1000, f.skipped, !!f.taskId]),
        [[60, "missed", false], [120, "missed", false], [180, "missed", false], [240, null, true]],
      );
      // It fails again at its next fire: that success ended the backoff, so it is tried 1 s on.
      failing = true;
      await tickUntil(300);
      failing = false;
      await tickUntil(302);
      await scheduler.stop();
      assert.deepEqual(tries.slice(-2), [300, 301]);
      // Its last task is still pending (no worker): skipped by its overlap policy.
      const fire = (await service.schedules.get("broken")).lastFires.at(-1)!;
      assert.deepEqual([(fire.fireAt - start) / 1000, fire.skipped], [300, "overlap"]);
    },
  );

  storeTest(
    backend,
    "a fire that succeeds ends the backoff of a schedule due at every tick: its next failure is tried again 1 s on",
    async (place) => {
      await using s = await clockedService(place);
      const { store, service, clock } = s;
      const start = clock.at;
      const schedule = await service.schedules.create({
        name: "each-second",
        executorName: "job",
        every: "1s",
        overlapPolicy: "allow",
      });
      let failing = true;
      const setFireState = store.schedules.scheduleSetFireState.bind(store.schedules);
      store.schedules.scheduleSetFireState = (id, version, state) =>
        failing && id === schedule.id
          ? Promise.reject(new UnavailableError("Store unavailable"))
          : setFireState(id, version, state);
      const tries: number[] = [];
      const fireDue = service.schedules.fireDue.bind(service.schedules);
      service.schedules.fireDue = (due, now) => {
        tries.push((now - start) / 1000);
        return fireDue(due, now);
      };
      const quiet = () => {};
      const scheduler = new Scheduler(service, {
        now: () => clock.at,
        random: () => 0,
        log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
      });
      // A tick a second (a busy manager's): the schedule is due at each one.
      const tickUntil = async (until: number) => {
        while (clock.at < start + until * 1000) {
          clock.at += 1000;
          await scheduler.tick();
        }
      };
      await tickUntil(8);
      failing = false;
      await tickUntil(16);
      failing = true;
      await tickUntil(18);
      await scheduler.stop();
      // Without the reset, the failure at 17 was the fifth in a row: tried again at 33.
      assert.deepEqual(tries, [1, 2, 4, 8, 16, 17, 18]);
    },
  );

  storeTest(
    backend,
    "a manager's metrics count the failed fires of a schedule and the schedules in its backoff; a schedule paused leaves it",
    async (place) => {
      await using manager = await startTestManager({ dataDir: place.dataDir, env: place.env });
      await restOk(manager, "POST", "/executors", { name: "job" });
      await restOk(manager, "POST", "/schedules", {
        name: "far-zone",
        executorName: "job",
        cron: "* * * * * *",
        timezone: "Europe/Berlin",
      });
      // As a manager whose time zone data knows a zone this one's does not would store it.
      {
        await using store = await place.openStore();
        const stored = (await store.schedules.scheduleGet("far-zone"))!;
        await store.schedules.scheduleUpdate({ ...stored, timezone: "Mars/Olympus" });
      }
      const metrics = async () => await (await fetch(`${manager.httpUrl}/metrics`)).text();
      const backingOff = async () =>
        Number(/^tasks_executor_schedules_backing_off\{?\}? (\d+)$/m.exec(await metrics())?.[1]);
      await waitFor("the schedule to back off", async () => await backingOff() === 1);
      assert.match(
        await metrics(),
        /^tasks_executor_schedule_fire_failures_total\{schedule="far-zone",executor="job"\} [1-9]/m,
      );
      // Never due again: it leaves the backoff at the next tick.
      await restOk(manager, "POST", "/schedules/far-zone/pause");
      await waitFor("the schedule to leave the backoff", async () => await backingOff() === 0);
    },
  );

  clockedTest(
    backend,
    "a fire whose task another manager made but did not record is recorded, not made again",
    async (s) => {
      const { store, service, clock, scheduler } = s;
      const created = await service.schedules.create({
        name: "minutely",
        executorName: "job",
        every: "1m",
      });
      const fireAt = created.nextFireAt!;
      // A manager that created the fire's task and stopped before writing the fire state.
      const { task } = await service.createTask({
        executorName: "job",
        idempotencyKey: fireKey(created.id, fireAt),
      }, { scheduled: true });
      clock.at = fireAt + 100;
      await scheduler.tick();
      const after = await service.schedules.get("minutely");
      assert.equal(after.nextFireAt, fireAt + 60_000, "the schedule moved on");
      assert.deepEqual(after.lastFires.map((f) => f.taskId), [task.id]);
      const page = await store.taskList({ executorName: "job" }, { limit: 10 });
      assert.equal(page.items.length, 1);
    },
  );

  clockedTest(
    backend,
    "a change whose timing reads as stored (a cron spaced otherwise, the same interval) keeps an overdue next fire; one that moves the timing counts from now",
    async (s) => {
      const { service, clock } = s;
      const created = await service.schedules.create({
        name: "daily",
        executorName: "job",
        cron: "0 9 * * *",
      });
      const due = created.nextFireAt!;
      // The managers were down past the fire: it is overdue, for the next tick to catch up on.
      clock.at = due + 600_000;
      const same = await service.schedules.update("daily", { cron: "0  9\t* * *", every: null });
      assert.equal(same.cron, "0 9 * * *");
      assert.equal(same.nextFireAt, due, "the overdue fire is kept");
      const moved = await service.schedules.update("daily", { cron: "0 10 * * *" });
      assert.equal(moved.nextFireAt, Date.parse("2030-01-01T10:00:00Z"), "counted from now");
    },
  );

  clockedTest(
    backend,
    "a resume that sends the timing as stored, whose endAt has passed while paused, is refused naming /endAt, as a change of timing that never fires is",
    async (s) => {
      const { service, clock } = s;
      const endAt = new Date(clock.at + 3_000).toISOString();
      await service.schedules.create({ name: "brief", executorName: "job", every: "2s", endAt });
      await service.schedules.update("brief", { enabled: false });
      clock.at += 5_000;
      await assert.rejects(
        service.schedules.update("brief", { enabled: true, every: "2s", endAt }),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.violations[0]?.field === "/endAt",
      );
      const kept = await service.schedules.get("brief");
      assert.equal(kept.enabled, false, "still paused");
    },
  );

  clockedTest(
    backend,
    "the skip overlap policy skips fires while the previous task waits, and jitter delays runAt",
    async (s) => {
      const { service, clock, scheduler } = s;
      await service.schedules.create({
        name: "minutely",
        executorName: "job",
        every: "1m",
        jitter: "10s",
      });
      const tickAt = async (at: number) => {
        clock.at = at;
        await scheduler.tick();
        return (await service.schedules.get("minutely")).lastFires.at(-1)!;
      };
      const first = await tickAt(clock.at + 60_000);
      assert.ok(first.taskId, "the first fire makes a task");
      const task = await service.getTask(first.taskId!);
      assert.ok(task.runAt >= first.fireAt && task.runAt < first.fireAt + 10_000, "jittered");
      const second = await tickAt(clock.at + 60_000);
      assert.deepEqual([second.taskId, second.skipped], [null, "overlap"]);
      await service.cancelTask(first.taskId!);
      const third = await tickAt(clock.at + 60_000);
      assert.ok(third.taskId, "a fire after the task ended makes a task");
    },
  );

  clockedTest(
    backend,
    "jitter delays a task from its fire time, not from when the fire was made: late and caught-up fires stay within it",
    async (s) => {
      const { service, clock, scheduler } = s;
      await service.schedules.create({
        name: "jittery",
        executorName: "job",
        every: "1s",
        jitter: "900ms",
        overlapPolicy: "allow",
        missedFirePolicy: "run_once",
      });
      const runAtOfLast = async () => {
        const fire = (await service.schedules.get("jittery")).lastFires.at(-1)!;
        const task = await service.getTask(fire.taskId!);
        return { fireAt: fire.fireAt, delay: task.runAt - fire.fireAt };
      };
      // On time, found 600 ms after its fire time (within the grace).
      clock.at = T2030 + 1600;
      await scheduler.tick();
      const onTime = await runAtOfLast();
      assert.deepEqual(onTime, { fireAt: T2030 + 1000, delay: 899 });
      // A catch-up after a downtime: the latest missed fire, its task's runAt already past.
      clock.at = T2030 + 10_500;
      await scheduler.tick();
      const caughtUp = await runAtOfLast();
      assert.deepEqual(caughtUp, { fireAt: T2030 + 10_000, delay: 899 });
      const task = await service.getTask(
        (await service.schedules.get("jittery")).lastFires.at(-1)!.taskId!,
      );
      assert.equal(task.status, "pending", "a runAt past is a task ready now");
    },
    // The largest delay the random source gives: 899 ms of a 900 ms jitter.
    { random: () => 0.999 },
  );

  storeTest(
    backend,
    "a schedule firing every second on two managers sharing one store makes one task per fire, and pausing stops it",
    async (place) => {
      await using one = await startTestManager({ dataDir: place.dataDir, env: place.env });
      await using two = await startTestManager({ dataDir: place.dataDir, env: place.env });
      await restOk(one, "POST", "/executors", { name: "tick" });
      await restOk(two, "POST", "/schedules", {
        name: "every-second",
        executorName: "tick",
        every: "1s",
        overlapPolicy: "allow",
        missedFirePolicy: "run_each",
      });
      // Both managers tick for about 20 s of fires.
      await sleep(20_500);
      await restOk(one, "POST", "/schedules/every-second/pause");
      const paused = await fireTimes(one, "tick");
      // A tick that read the schedule before the pause may still be writing its fire.
      await sleep(1500);
      const times = await fireTimes(two, "tick");
      assert.ok(times.length >= 18, `about 20 fires, got ${times.length}`);
      assert.equal(new Set(times).size, times.length, "no fire made two tasks");
      for (let i = 1; i < times.length; i++) {
        assert.equal(times[i] - times[i - 1], 1000, "one task for every fire, none left out");
      }
      assert.ok(times.length - paused.length <= 1, "at most the fire under way at the pause");
      let counted = 0;
      for (const manager of [one, two]) {
        const text = await (await fetch(`${manager.httpUrl}/metrics`)).text();
        const line = /^tasks_executor_schedule_fires_total\{[^}]*\} (\d+)$/m.exec(text);
        counted += Number(line?.[1] ?? 0);
      }
      assert.equal(counted, times.length, "the managers' fire counters add up to the tasks");
      await sleep(2000);
      assert.deepEqual(await fireTimes(one, "tick"), times, "no fire while paused");
      const { schedule } = await restOk(one, "GET", "/schedules/every-second");
      assert.equal(schedule.enabled, false);
      assert.deepEqual(schedule.nextFires, []);
      assert.ok(schedule.lastFires.every((f: { taskId: string | null }) => f.taskId !== null));
    },
  );

  backendTest(
    backend,
    "missed-fire policies decide what a manager restarted after downtime fires",
    async (running) => {
      const manager = running.manager;
      await restOk(manager, "POST", "/executors", { name: "catch_up" });
      const policies = [
        ["skip", {}],
        ["run_once", {}],
        ["run_each", { maxMissedFires: 2 }],
      ] as const;
      for (const [policy, extra] of policies) {
        await restOk(manager, "POST", "/schedules", {
          name: policy.replace("_", "-"),
          executorName: "catch_up",
          every: "1s",
          overlapPolicy: "allow",
          missedFirePolicy: policy,
          ...extra,
        });
      }
      await sleep(1500);
      await manager.shutdown();
      // Downtime: no manager runs for longer than the grace a late fire gets.
      await sleep(FIRE_GRACE_MS + 4000);
      const restarted = await running.restart();
      const startedAt = Date.now();
      for (const [policy] of policies) {
        const name = policy.replace("_", "-");
        // The first fire of the restarted manager: every entry it wrote at one time.
        const fires = await waitFor(`${name} to fire after the restart`, async () => {
          const { schedule } = await restOk(restarted, "GET", `/schedules/${name}`);
          const after = schedule.lastFires.filter((f: { firedAt: string }) =>
            Date.parse(f.firedAt) >= startedAt - 1000
          );
          if (after.length === 0) return null;
          const first = Math.min(...after.map((f: { firedAt: string }) => Date.parse(f.firedAt)));
          return after.filter((f: { firedAt: string }) => Date.parse(f.firedAt) === first)
            .toReversed();
        });
        const firedAt = Date.parse(fires[0].firedAt);
        const missed = fires.filter((f: { fireAt: string }) =>
          firedAt - Date.parse(f.fireAt) > FIRE_GRACE_MS
        );
        assert.ok(missed.length >= 3, `${name}: several fires were missed (${missed.length})`);
        const ran = missed.map((f: { taskId: string | null }) => f.taskId !== null);
        const skipped = missed.map((f: { skipped: string | null }) => f.skipped);
        const n = missed.length;
        if (policy === "skip") {
          assert.deepEqual(ran, Array(n).fill(false));
          assert.deepEqual(skipped, Array(n).fill("missed"));
        } else if (policy === "run_once") {
          assert.deepEqual(ran, [...Array(n - 1).fill(false), true], "the latest missed fire ran");
          assert.deepEqual(skipped, [...Array(n - 1).fill("missed"), null]);
        } else {
          assert.deepEqual(ran, [...Array(n - 2).fill(false), true, true], "the latest two ran");
          assert.deepEqual(skipped, [...Array(n - 2).fill("missed_cap"), null, null]);
        }
      }
      const metrics = await (await fetch(`${restarted.httpUrl}/metrics`)).text();
      for (const reason of ["missed", "missed_cap"]) {
        assert.match(
          metrics,
          new RegExp(`_schedule_fires_skipped_total\\{[^}]*reason="${reason}"\\} [1-9]`),
        );
      }
      assert.match(metrics, /_schedule_fire_lateness_seconds_bucket\{le="\+Inf"\} [1-9]/);
    },
  );

  backendTest(
    backend,
    "schedules over REST: bounds, schema checks and executor rules",
    async (running) => {
      const m = running.manager;
      await restOk(m, "POST", "/executors", {
        name: "mail",
        taskSchema: { type: "object", required: ["to"] },
      });
      const valid = {
        name: "daily",
        executorName: "mail",
        cron: "0 9 * * 1-5",
        task: { data: { to: "x" } },
      };
      const refused = async (body: unknown, field: string, status = 400) => {
        const answer = await rest(m, "POST", "/schedules", body);
        assert.equal(answer.status, status, JSON.stringify(answer.body));
        assert.ok(
          answer.body.errors?.some((e: { field: string }) => e.field === field),
          `${field} in ${JSON.stringify(answer.body)}`,
        );
      };
      await refused({ ...valid, name: "x".repeat(129) }, "/name");
      await refused({ ...valid, cron: "* * * * * * *" }, "/cron");
      await refused({ ...valid, cron: "* ".repeat(200) }, "/cron");
      await refused({ ...valid, cron: null, every: "0s" }, "/every");
      await refused({ ...valid, every: "5m" }, "/every");
      await refused({ ...valid, timezone: "Mars/Olympus" }, "/timezone");
      await refused({ ...valid, maxMissedFires: 101 }, "/maxMissedFires");
      await refused({ ...valid, jitter: "2d" }, "/jitter");
      await refused({ ...valid, startAt: "tomorrow" }, "/startAt");
      // A missing executor is not a bad field: 404, as a task's create for one answers.
      const missing = await rest(m, "POST", "/schedules", { ...valid, executorName: "nope" });
      assert.equal(missing.status, 404, JSON.stringify(missing.body));
      assert.equal(
        missing.body.detail,
        'Cannot create schedule: /executorName: Executor "nope" does not exist',
      );
      await refused({ ...valid, task: { data: {} } }, "/task/data/to");
      await refused({ ...valid, task: { data: { to: "x" }, runAt: 1 } }, "/task/runAt");
      await refused({ ...valid, extra: 1 }, "/extra");
      // Timing that never fires from now on: an impossible date, an end already past.
      await refused({ ...valid, cron: "0 0 30 2 *" }, "/cron");
      await refused({ ...valid, endAt: "2020-01-01T00:00:00Z" }, "/endAt");

      const created = await restOk(m, "POST", "/schedules", {
        ...valid,
        timezone: "Europe/Berlin",
      });
      assert.equal(created.schedule.nextFires.length, 5);
      assert.equal((await rest(m, "POST", "/schedules", valid)).status, 409);
      assert.equal(
        (await restOk(m, "GET", "/schedules/daily?fires=100")).schedule.nextFires.length,
        100,
      );
      assert.equal((await rest(m, "GET", "/schedules/daily?fires=101")).status, 400);
      assert.equal((await rest(m, "GET", "/schedules/nope")).status, 404);

      const preview = await restOk(m, "POST", "/schedules/preview", { every: "90s", count: 3 });
      const gaps = preview.nextFires.map((t: string, i: number, all: string[]) =>
        i === 0 ? 90_000 : Date.parse(t) - Date.parse(all[i - 1])
      );
      assert.deepEqual(gaps, [90_000, 90_000, 90_000]);
      // A preview counts from now once its start has passed: the new year two years on.
      const year = new Date().getUTCFullYear() + 2;
      const bounded = await restOk(m, "POST", "/schedules/preview", {
        every: "1h",
        startAt: `${year}-01-01T00:00:00Z`,
        endAt: `${year}-01-01T02:00:00Z`,
        count: 5,
      });
      assert.deepEqual(bounded.nextFires, [
        `${year}-01-01T00:00:00.000Z`,
        `${year}-01-01T01:00:00.000Z`,
        `${year}-01-01T02:00:00.000Z`,
      ]);
      // Fire times end at the last time the API takes (9999-12-31T23:59:59.999Z).
      const last = await restOk(m, "POST", "/schedules/preview", {
        every: "1s",
        startAt: "9999-12-31T23:59:58Z",
        count: 100,
      });
      assert.deepEqual(last.nextFires, ["9999-12-31T23:59:58.000Z", "9999-12-31T23:59:59.000Z"]);
      const badPreview = await rest(m, "POST", "/schedules/preview", { cron: "* * *", count: 0 });
      assert.equal(badPreview.status, 400);

      const { taskId } = await restOk(m, "POST", "/schedules/daily/trigger");
      const { task } = await restOk(m, "GET", `/tasks/${taskId}`);
      assert.deepEqual(task.data, { to: "x" });
      const after = (await restOk(m, "GET", "/schedules/daily")).schedule;
      assert.equal(after.lastFires[0].taskId, taskId);
      assert.equal(after.lastFires[0].manual, true);

      const changed = await restOk(m, "PUT", "/schedules/daily", { every: "1h" });
      assert.equal(changed.schedule.every, "1h");
      assert.equal(changed.schedule.cron, null);
      // null keeps a field on update (but startAt and endAt, which it clears), whichever field.
      const kept = await restOk(m, "PUT", "/schedules/daily", { timezone: null, every: null });
      assert.deepEqual([kept.schedule.timezone, kept.schedule.every], ["Europe/Berlin", "1h"]);
      // Intervals are read up to the Limits table's length (256 characters): longer than 64 they
      // were refused.
      const padded = (text: string) => text.padStart(DEFAULT_LIMITS.scheduleExpressionChars, "0");
      const long = await restOk(m, "PUT", "/schedules/daily", {
        every: padded("2h"),
        jitter: padded("30s"),
      });
      assert.deepEqual([long.schedule.every, long.schedule.jitter], ["2h", "30s"]);
      // A cron's fields are kept one space apart, whatever whitespace the client put between them.
      const spaced = await restOk(m, "PUT", "/schedules/daily", { cron: " 0\t9\n* *\u20281-5 " });
      assert.equal(spaced.schedule.cron, "0 9 * * 1-5");

      // The executor's schema must keep accepting the schedule's data.
      const schema = await rest(m, "PUT", "/executors/mail", {
        config: { taskSchema: { type: "object", required: ["subject"] } },
      });
      assert.equal(schema.status, 400);
      assert.equal(schema.body.errors[0].field, "/config/taskSchema");
      // Deleting the executor needs force while a schedule makes its tasks; force deletes both.
      await restOk(m, "POST", `/tasks/${taskId}/cancel`);
      assert.equal((await rest(m, "DELETE", "/executors/mail")).status, 409);
      assert.equal((await rest(m, "DELETE", "/executors/mail?force=true")).status, 204);
      assert.equal((await rest(m, "GET", "/schedules/daily")).status, 404);
    },
  );
}

/** Creates `count` schedules of `executorName` named `<prefix>00`, `<prefix>01`…, each with `data`. */
async function createSchedules(
  manager: TestManager,
  options: { executorName: string; prefix: string; count: number; data?: unknown },
): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < options.count; i++) {
    const name = `${options.prefix}${String(i).padStart(2, "0")}`;
    await manager.service.schedules.create({
      name,
      executorName: options.executorName,
      every: "1h",
      task: { data: options.data ?? null },
    });
    names.push(name);
  }
  return names;
}

for (const backend of BACKENDS) {
  storeTest(
    backend,
    "GET /schedules answers pages within the byte budget, and nextCursor walks every schedule once",
    async (place) => {
      await using m = await startTestManager({ dataDir: place.dataDir, env: place.env });
      await restOk(m, "POST", "/executors", { name: "big" });
      await restOk(m, "POST", "/executors", { name: "small" });
      // 10 schedules of 400 KB of task data: 4 MB in all, two pages and more at 2 MiB each.
      const blob = "x".repeat(400_000);
      const names = [
        ...await createSchedules(m, {
          executorName: "big",
          prefix: "big",
          count: 10,
          data: { blob },
        }),
        ...await createSchedules(m, { executorName: "small", prefix: "small", count: 5 }),
      ];
      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor = "";
      do {
        const response = await fetch(
          `${m.httpUrl}/api/v1/schedules${cursor ? `?cursor=${cursor}` : ""}`,
        );
        const bytes = new Uint8Array(await response.arrayBuffer());
        assert.equal(response.status, 200);
        assert.ok(bytes.length <= DEFAULT_LIMITS.pageBytes, `a page of ${bytes.length} bytes`);
        const page = JSON.parse(new TextDecoder().decode(bytes));
        assert.ok(page.schedules.length >= 1);
        sizes.push(page.schedules.length);
        seen.push(...page.schedules.map((s: { name: string }) => s.name));
        cursor = page.nextCursor ?? "";
      } while (cursor !== "");
      assert.deepEqual(seen, names, "every schedule once, by name");
      // 5 × 400 KB fill a page: the sixth would take it past 2 MiB.
      assert.deepEqual(sizes, [5, 10]);

      // `limit` bounds a page; the filter and the cursor go together.
      const walked: string[][] = [];
      cursor = "";
      do {
        const page = await restOk(
          m,
          "GET",
          `/schedules?executorName=small&limit=2&fires=1${cursor ? `&cursor=${cursor}` : ""}`,
        );
        walked.push(page.schedules.map((s: { name: string }) => s.name));
        assert.ok(page.schedules.every((s: { nextFires: string[] }) => s.nextFires.length === 1));
        cursor = page.nextCursor ?? "";
      } while (cursor !== "");
      assert.deepEqual(walked, [["small00", "small01"], ["small02", "small03"], ["small04"]]);
      assert.equal((await restOk(m, "GET", "/schedules?limit=1")).schedules.length, 1);
    },
  );
}

Deno.test("GET /schedules refuses a bad cursor or limit, naming it", async () => {
  await using m = await startTestManager();
  for (
    const [query, field] of [
      ["limit=1001", "limit"],
      ["limit=-1", "limit"],
      ["limit=ten", "limit"],
      ["limit=2.5", "limit"],
      ["cursor=Not%20a%20name", "cursor"],
      ["cursor=" + "a".repeat(129), "cursor"],
    ]
  ) {
    const answer = await rest(m, "GET", `/schedules?${query}`);
    assert.equal(answer.status, 400, query);
    assert.deepEqual(answer.body.errors.map((e: { field: string }) => e.field), [field], query);
  }
});

Deno.test("a schedule listing stops working out fire times once its client goes away", async () => {
  await using m = await startTestManager();
  await restOk(m, "POST", "/executors", { name: "job" });
  // A cron that fires rarely: each of its 100 next fire times takes a search (~13 ms in all).
  const rare = { cron: "0 0 0 29 2 1", timezone: "Pacific/Chatham" };
  const count = 300;
  for (let i = 0; i < count; i++) {
    await m.service.schedules.create({ name: `rare${i}`, executorName: "job", ...rare });
  }
  // The listing the REST route starts, seen from the service.
  const started = nextListing(m.service.schedules);
  const client = new AbortController();
  const request = fetch(`${m.httpUrl}/api/v1/schedules?fires=100&limit=1000`, {
    signal: client.signal,
  }).catch((error) => error);
  const { listing } = await started;
  client.abort();
  assert.equal((await request as Error).name, "AbortError");
  const page = await listing;
  assert.ok(page.items.length < count, `${page.items.length} of ${count} worked out`);
  assert.equal(page.nextCursor, page.items[page.items.length - 1].name);
  // The page ended there: the next one goes on right after it.
  const after = await m.service.schedules.list({ fires: 1 }, {
    cursor: page.nextCursor!,
    limit: 1000,
  });
  assert.equal(page.items.length + after.items.length, count);
  assert.equal(after.items[0].name > page.nextCursor!, true);
  assert.equal(after.nextCursor, null);
});

Deno.test("a schedule named like another's id: a trigger of the other answers the other, and a change of it tried again after a lost write changes it, not the one so named", async () => {
  await using real = await openSqliteStore({ path: ":memory:" });
  // The first write of a change loses its compare and set, as to another manager's fire.
  let lose = 1;
  const schedules = hooked(real.schedules, {
    scheduleUpdate: (own) => (schedule) => lose-- > 0 ? Promise.resolve(null) : own(schedule),
  });
  const store = new Proxy(real, {
    get: (target, name) =>
      name === "schedules" ? schedules : Reflect.get(target, name, target)?.bind?.(target),
  });
  const service = new Service(store);
  await service.createExecutor({ name: "e" });
  const first = await service.schedules.create({ name: "first", executorName: "e", every: "1h" });
  await service.schedules.create({ name: first.id, executorName: "e", every: "2h" });

  const triggered = await service.schedules.trigger(first.id);
  assert.equal(triggered.schedule.name, first.id, "the name finds the schedule named so");
  const viaName = await service.schedules.trigger("first");
  assert.equal(viaName.schedule.id, first.id);
  assert.equal(viaName.schedule.name, "first");

  const paused = await service.schedules.pause("first");
  assert.deepEqual([paused.id, paused.name, paused.enabled], [first.id, "first", false]);
  const twin = await service.schedules.get(first.id);
  assert.equal(twin.enabled, true, "the schedule named like the first's id is left as it was");
});

for (const backend of BACKENDS) {
  backendTest(
    backend,
    'an empty string is no value of any schedule field: "" is refused naming the field on create, update and preview (cron and every were read as left out, jitter and startAt/endAt as none), on create a required one as missing; over gRPC an empty string is unset',
    async (running) => {
      const m = running.manager;
      await restOk(m, "POST", "/executors", { name: "job" });
      const fields = [
        "name",
        "executorName",
        "cron",
        "every",
        "timezone",
        "overlapPolicy",
        "missedFirePolicy",
        "jitter",
        "startAt",
        "endAt",
      ];
      const keeps = "Must not be empty: leave the field out (or send null) to keep its value";
      const byDefault = "Must not be empty: leave the field out (or send null) for its default";
      const refusedAt = (
        answer: { status: number; body: Record<string, unknown> },
        field: string,
        message: string,
      ) => {
        assert.equal(answer.status, 400, `${field}: ${JSON.stringify(answer.body)}`);
        assert.deepEqual(answer.body.errors, [{ field: `/${field}`, message }], field);
      };
      const hourly = {
        name: "hourly",
        executorName: "job",
        every: "1h",
        endAt: "2100-01-01T00:00:00Z",
      };
      const made = (await restOk(m, "POST", "/schedules", hourly)).schedule;
      for (const field of fields) {
        // Over a schedule that is valid without the field: an interval one for cron, a cron one
        // for every.
        const base = field === "every"
          ? { name: "other", executorName: "job", cron: "0 9 * * *" }
          : { ...hourly, name: "other" };
        // On create a name is required ("" is no way to leave it out); cron and every are not,
        // the other one given.
        // Neither cron nor every has a default: "" is refused saying the other is given.
        const other = field === "cron" ? "every" : field === "every" ? "cron" : null;
        const empty = other === null
          ? byDefault
          : `Must not be empty: leave the field out (or send null) when ${other} is given`;
        const onCreate = ["name", "executorName"].includes(field) ? "Is required" : empty;
        refusedAt(await rest(m, "POST", "/schedules", { ...base, [field]: "" }), field, onCreate);
        refusedAt(await rest(m, "PUT", "/schedules/hourly", { [field]: "" }), field, keeps);
        if (["cron", "every", "timezone", "startAt", "endAt"].includes(field)) {
          const timing = field === "every" ? { cron: "0 9 * * *" } : { every: "1h" };
          const preview = await rest(m, "POST", "/schedules/preview", { ...timing, [field]: "" });
          refusedAt(preview, field, empty);
        }
      }
      // A field a schedule cannot do without, sent as "" on create (the admin page's form sends a
      // blank name or expression so), is required as when it is missing: leaving it out, which
      // "Must not be empty" advised, is no way out of it.
      const expression = "Give a cron expression (cron) or an interval (every)";
      const required = [
        [{ name: "", executorName: "", cron: "" }, [
          { field: "/name", message: "Is required" },
          { field: "/executorName", message: "Is required" },
          { field: "/cron", message: expression },
        ]],
        [{ executorName: "job", every: "" }, [
          { field: "/every", message: expression },
          { field: "/name", message: "Is required" },
        ]],
        [{ name: "blank", executorName: "job", cron: "", every: "" }, [
          { field: "/cron", message: expression },
          { field: "/every", message: expression },
        ]],
        [{ name: "blank" }, [
          { field: "/executorName", message: "Is required" },
          { field: "/cron", message: expression },
        ]],
      ] as const;
      for (const [body, errors] of required) {
        const answer = await rest(m, "POST", "/schedules", body);
        assert.equal(answer.status, 400, JSON.stringify(body));
        assert.deepEqual(answer.body.errors, errors, JSON.stringify(body));
      }
      refusedAt(await rest(m, "POST", "/schedules/preview", { every: "" }), "every", expression);
      const kept = (await restOk(m, "GET", "/schedules/hourly")).schedule;
      assert.deepEqual({ ...kept, nextFires: [] }, { ...made, nextFires: [] }, "nothing changed");
      assert.equal((await rest(m, "GET", "/schedules/other")).status, 404, "nothing made");
      // gRPC: a proto3 string cannot be told from unset, so "" is a field left out (kept on
      // update, its default on create), as an unspecified enum or an unset Duration is.
      const client = managerClient(Number(m.grpcAddress.split(":").pop()));
      try {
        type Answer = { schedule: { name: string; cron: string; timezone: string } };
        const created = await unary<Answer>(client, "CreateSchedule", {
          config: { name: "by_grpc", executorName: "job", cron: "0 9 * * *", timezone: "" },
        });
        assert.equal(created.schedule.timezone, "UTC");
        const updated = await unary<Answer>(client, "UpdateSchedule", {
          id: "by_grpc",
          config: { name: "", executorName: "", cron: "", timezone: "" },
        });
        assert.deepEqual(
          [updated.schedule.name, updated.schedule.cron, updated.schedule.timezone],
          ["by_grpc", "0 9 * * *", "UTC"],
        );
      } finally {
        client.close();
      }
    },
  );
}

for (const backend of BACKENDS) {
  storeTest(
    backend,
    "a schedule's time zone is kept and answered by its one name, whatever case or alias it is sent in, over REST and gRPC",
    async (place) => {
      {
        await using m = await startTestManager({ dataDir: place.dataDir, env: place.env });
        await restOk(m, "POST", "/executors", { name: "job" });
        const cron = "0 9 * * *";
        const made = await restOk(m, "POST", "/schedules", {
          name: "by_rest",
          executorName: "job",
          cron,
          timezone: "europe/paris",
        });
        assert.equal(made.schedule.timezone, "Europe/Paris");
        const client = managerClient(Number(m.grpcAddress.split(":").pop()));
        try {
          const { schedule } = await unary<{ schedule: { timezone: string } }>(
            client,
            "CreateSchedule",
            { config: { name: "by_grpc", executorName: "job", cron, timezone: "US/Eastern" } },
          );
          assert.equal(schedule.timezone, "America/New_York");
          const changed = await unary<{ schedule: { timezone: string } }>(
            client,
            "UpdateSchedule",
            { id: "by_grpc", config: { timezone: "etc/utc" } },
          );
          assert.equal(changed.schedule.timezone, "UTC");
        } finally {
          client.close();
        }
        // The zone sent in another case is the zone stored: no timing change, no write of a new
        // next fire.
        const again = await restOk(m, "PUT", "/schedules/by_rest", { timezone: "EUROPE/PARIS" });
        assert.equal(again.schedule.timezone, "Europe/Paris");
        assert.equal(again.schedule.nextFireAt, made.schedule.nextFireAt);
        const listed = await restOk(m, "GET", "/schedules");
        assert.deepEqual(
          listed.schedules.map((s: { name: string; timezone: string }) => [s.name, s.timezone]),
          [["by_grpc", "UTC"], ["by_rest", "Europe/Paris"]],
        );
      }
      await using store = await place.openStore();
      assert.equal((await store.schedules.scheduleGet("by_rest"))?.timezone, "Europe/Paris");
      assert.equal((await store.schedules.scheduleGet("by_grpc"))?.timezone, "UTC");
    },
  );

  clockedTest(
    backend,
    "a schedule stored with its time zone in another case fires by that zone, is answered by the zone's name, and a change naming the zone keeps its next fire and stores the name",
    async (s) => {
      const { store, service, clock, scheduler } = s;
      const made = await service.schedules.create({
        name: "paris",
        executorName: "job",
        cron: "0 9 * * *",
        timezone: "Europe/Paris",
        // Each fire makes a task, the first one still pending.
        overlapPolicy: "allow",
      });
      // As a manager before zones were kept by one name stored it.
      const stored = (await store.schedules.scheduleGet("paris"))!;
      const old = await store.schedules.scheduleUpdate({ ...stored, timezone: "europe/paris" });
      assert.equal(old?.timezone, "europe/paris");
      const read = await service.schedules.get("paris");
      assert.equal(read.timezone, "Europe/Paris");
      assert.deepEqual(read.nextFires, made.nextFires);
      // Due: the fire is 09:00 in Paris, 08:00Z in winter. It fires with the zone as stored, and
      // counts its next fire, 09:00 in Paris the next day, by that zone.
      assert.equal(new Date(made.nextFireAt!).toISOString(), "2030-01-01T08:00:00.000Z");
      clock.at = made.nextFireAt! + 100;
      assert.equal(await scheduler.tick(), 1);
      const fired = (await store.schedules.scheduleGet("paris"))!;
      assert.equal(fired.timezone, "europe/paris", "the fire ran with the zone as stored");
      assert.deepEqual(fired.lastFires.map((f) => f.fireAt), [made.nextFireAt]);
      const second = Date.parse("2030-01-02T08:00:00Z");
      assert.equal(fired.nextFireAt, second);
      // Due again: a declaration of the zone as stored, in its own case, is no timing change.
      clock.at = second + 100;
      const changed = await service.schedules.update("paris", { timezone: "Europe/Paris" });
      assert.equal(changed.nextFireAt, second, "the due fire is kept");
      assert.equal((await store.schedules.scheduleGet("paris"))?.timezone, "Europe/Paris");
      assert.equal(await scheduler.tick(), 1);
      assert.deepEqual(
        (await service.schedules.get("paris")).lastFires.map((f) => f.fireAt),
        [made.nextFireAt, second],
      );
    },
  );
}
