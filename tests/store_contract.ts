/**
 * The store contract suite: every behaviour of server/store/store.ts, written once and run against
 * each store (SQLite, MongoDB). Only Store verbs are used here, so it stays store-agnostic.
 */
import assert from "node:assert/strict";
import {
  ConflictError,
  ExecutorChangedError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  UnavailableError,
} from "../server/domain/errors.ts";
import {
  DEFAULT_EXECUTOR_CONFIG,
  type Executor,
  EXECUTOR_DELETION_LEASE_MS,
} from "../server/domain/executor.ts";
import { newId } from "../server/domain/id.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import type { NewTask, Task, TaskError, TaskStatus } from "../server/domain/task.ts";
import type {
  ApiKeyRecord,
  InsertOutcome,
  ServingFigures,
  Settlement,
  Store,
} from "../server/store/store.ts";
import { skipUnless } from "./fixtures/skip.ts";

/** A store the suite can use and dispose. */
export type ContractStore = Store & AsyncDisposable;

/** A place that outlives one store: open it, dispose the store, open it again. */
export interface ReopenableLocation extends AsyncDisposable {
  /** Opens a store on this location; every call sees the same data. */
  open(): Promise<ContractStore>;
}

/** Options of the suite. */
export interface StoreContractOptions {
  /** A reason to skip every test (shown in the test names), or `false` to run them. */
  ignore?: string | false;
  /**
   * Makes a fresh location that can be opened more than once (for the close-and-reopen test).
   * Without it, that test is a visible skip.
   */
  location?: () => Promise<ReopenableLocation>;
  /** Turn off Deno's op and resource sanitizers (for drivers that keep sockets in a pool). */
  sanitize?: boolean;
}

/** A fixed point in time, so the suite never depends on the wall clock. */
export const T0 = 1_700_000_000_000;

const ZERO_BY_STATUS: Record<TaskStatus, number> = {
  pending: 0,
  in_progress: 0,
  completed: 0,
  failed: 0,
  dlq: 0,
  cancelled: 0,
};

/** An executor with the default configuration and a fresh id. */
export function makeExecutor(name: string, overrides: Partial<Executor> = {}): Executor {
  return {
    ...structuredClone(DEFAULT_EXECUTOR_CONFIG),
    name,
    id: newId(T0),
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** A task to insert for `executorName`, created at `T0` and due then unless overridden. */
export function makeTask(executorName: string, overrides: Partial<NewTask> = {}): NewTask {
  const createdAt = overrides.createdAt ?? T0;
  return {
    id: newId(createdAt),
    executorName,
    data: { n: 1 },
    metadata: {},
    priority: 0,
    runAt: createdAt,
    maxAttempts: 3,
    idempotencyKey: null,
    createdAt,
    ...overrides,
  };
}

/** A stored API key with a made-up hash, created at `T0` unless overridden. */
export function makeKey(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: newId(T0).slice(-16),
    name: "ci",
    scopes: ["producer", "worker"],
    executors: ["send_email", "resize.image"],
    secretHash: "ab".repeat(32),
    createdAt: T0,
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

function taskError(attempt: number, message = "boom", at = T0): TaskError {
  return { attempt, message, at, workerId: "w1" };
}

async function insertAll(store: Store, tasks: NewTask[]): Promise<Task[]> {
  const outcomes = await store.taskInsert(tasks);
  return outcomes.map((o) => o.task);
}

/** Claims up to `limit` tasks of `executorName` at `now` for worker `owner`. */
function claim(
  store: Store,
  executorName: string,
  options: { limit?: number; now?: number; owner?: string; maxConcurrency?: number } = {},
): Promise<Task[]> {
  return store.taskClaim({
    executorName,
    limit: options.limit ?? 100,
    leaseMs: 30_000,
    owner: options.owner ?? "w1",
    now: options.now ?? T0,
    maxConcurrency: options.maxConcurrency ?? 0,
  });
}

function settle(store: Store, task: Task, settlement: Settlement, now = T0): Promise<boolean> {
  return store
    .taskSettle([{ taskId: task.id, leaseToken: task.leaseToken!, settlement }], { now })
    .then((answers) => answers[0]);
}

const DEAD_LETTER_PRIORITY = 1_000_000;

/** Puts one task into the DLQ through a claim and a dlq settlement. */
async function deadLetter(
  store: Store,
  task: NewTask,
  options: { reason?: "max_attempts" | "non_retryable" | "timeout"; at?: number } = {},
): Promise<Task> {
  // The top priority makes it the one task the claim below takes, whatever else is pending.
  await store.taskInsert([{ ...task, priority: DEAD_LETTER_PRIORITY }]);
  const at = options.at ?? T0;
  const [claimed] = await store.taskClaim({
    executorName: task.executorName,
    limit: 1,
    leaseMs: 1000,
    owner: "w1",
    now: Math.max(at, task.runAt),
    maxConcurrency: 0,
  });
  assert.equal(claimed?.id, task.id, "the task to dead-letter was claimed first");
  const ok = await settle(store, claimed, {
    kind: "dlq",
    error: taskError(1, "dead", at),
    reason: options.reason ?? "max_attempts",
    queueName: "dlq",
  }, at);
  assert.equal(ok, true);
  return claimed;
}

function ids(items: { id: string }[]): string[] {
  return items.map((t) => t.id);
}

/** More tasks than one batch of an executor's delete (1,000 on both stores). */
export const MORE_THAN_A_BATCH = 1500;

/** Runs `during` once, inside the next call of `target[verb]`, before that call does anything. */
function interleaveOn(target: object, verb: string, during: () => Promise<void>): void {
  const verbs = target as Record<string, (...args: unknown[]) => unknown>;
  const original = verbs[verb].bind(target);
  verbs[verb] = async (...args: unknown[]) => {
    verbs[verb] = original;
    await during();
    return original(...args);
  };
}

/**
 * Where a forced delete of an executor with more than a batch of tasks is half-way (the executor
 * gone, its tasks not all deleted), reached without timing: SQLite's delete runs its transaction
 * and first batch inside the call, before it returns; MongoDB's sweeps the name's schedules
 * (`schedules.deleteByExecutor`) before its tasks. `during` runs there; `sync` says whether it
 * must start its calls without awaiting between them (SQLite: then each runs its transaction
 * before any further batch).
 */
async function halfwayThroughForcedDelete(
  store: Store,
  id: string,
  options: { now: number; during: (sync: boolean) => Promise<void> },
): Promise<boolean> {
  const deleteOptions = { force: true, now: options.now };
  if (store.kind === "mongo") {
    interleaveOn(store.schedules, "deleteByExecutor", () => options.during(false));
    return await store.executorDelete(id, deleteOptions);
  }
  const deleting = store.executorDelete(id, deleteOptions);
  await options.during(true);
  return await deleting;
}

/** What a create of an executor, then an insert of a task for it, answered. */
interface CreateAndInsert {
  created: PromiseSettledResult<Executor>;
  inserted: PromiseSettledResult<InsertOutcome[]>;
}

/** Creates `executor`, then inserts `task` for it (`requireExecutors`), as a client would. */
async function createAndInsert(
  store: Store,
  { executor, task }: { executor: Executor; task: NewTask },
  options: { sync: boolean },
): Promise<CreateAndInsert> {
  const create = () => store.executorCreate(executor);
  const insert = () => store.taskInsert([task], { requireExecutors: true });
  if (options.sync) {
    const [created, inserted] = await Promise.allSettled([create(), insert()]);
    return { created, inserted };
  }
  const [created] = await Promise.allSettled([create()]);
  const [inserted] = await Promise.allSettled([insert()]);
  return { created, inserted };
}

/** Whether `outcome` is the refusal of a create of executor `name` while it is being deleted. */
function refusedWhileDeleting(outcome: PromiseSettledResult<unknown>, name: string): boolean {
  return outcome.status === "rejected" &&
    outcome.reason instanceof FailedPreconditionError &&
    outcome.reason.message.includes(`Cannot create executor "${name}"`) &&
    outcome.reason.message.includes("still being deleted");
}

/**
 * Stops `store` half-way through a forced delete of executor `id`, as a manager that stops (or
 * dies) there would, and disposes it. SQLite: the store closes after the delete's transaction and
 * first batch; MongoDB: the store fails where it would sweep the name's schedules and tasks. The
 * delete answers done all the same: the executor is gone, the rest left to the resume.
 */
export async function stopHalfwayThroughForcedDelete(
  store: ContractStore,
  id: string,
  now: number,
): Promise<void> {
  if (store.kind === "mongo") {
    interleaveOn(store.schedules, "deleteByExecutor", () => {
      return Promise.reject(new Error("The manager stopped"));
    });
    assert.equal(await store.executorDelete(id, { force: true, now }), true);
    await store[Symbol.asyncDispose]();
    return;
  }
  const deleting = store.executorDelete(id, { force: true, now });
  const closing = store[Symbol.asyncDispose]();
  assert.equal(await deleting, true);
  await closing;
}

/**
 * How every contract suite (this one and the feature suites beside it) registers its cases: one
 * `Deno.test` per case, named `label: case`, on a fresh store from `open`, skipped with
 * `options.ignore` as the reason.
 */
export function contractCases(
  label: string,
  open: () => Promise<ContractStore>,
  options: Pick<StoreContractOptions, "ignore" | "sanitize"> = {},
): (name: string, fn: (store: ContractStore) => Promise<void>) => void {
  const sanitize = options.sanitize ?? true;
  return (name, fn) =>
    Deno.test({
      ...skipUnless(`${label}: ${name}`, options.ignore || null),
      sanitizeOps: sanitize,
      sanitizeResources: sanitize,
      fn: async () => {
        await using store = await open();
        await fn(store);
      },
    });
}

/**
 * Registers one `Deno.test` per behaviour of the store contract, each named `label: behaviour`.
 * `open` must give a fresh, empty store on every call.
 */
export function storeContract(
  label: string,
  open: () => Promise<ContractStore>,
  options: StoreContractOptions = {},
): void {
  const test = contractCases(label, open, options);
  const sanitize = options.sanitize ?? true;

  // Health -------------------------------------------------------------------------------------

  test("ping() resolves on an open store", async (store) => {
    await store.ping();
    assert.ok(store.kind === "sqlite" || store.kind === "mongo");
  });

  // Executors ----------------------------------------------------------------------------------

  test("executorGet() finds a created executor by id and by name", async (store) => {
    const executor = makeExecutor("send_email", {
      taskSchema: { type: "object", properties: { to: { type: "string" } } },
      maxConcurrency: 4,
    });
    assert.deepEqual(await store.executorCreate(executor), executor);
    assert.deepEqual(await store.executorGet(executor.id), executor);
    assert.deepEqual(await store.executorGet("send_email"), executor);
    assert.equal(await store.executorGet("nope"), null);
  });

  test("executorGet() of a name that is also another executor's id finds the executor of that name, whichever was made first", async (store) => {
    const first = await store.executorCreate(makeExecutor("first"));
    const namedLikeFirst = await store.executorCreate(makeExecutor(first.id));
    const last = makeExecutor("last");
    const namedLikeLast = await store.executorCreate(makeExecutor(last.id));
    await store.executorCreate(last);
    assert.deepEqual(await store.executorGet(first.id), namedLikeFirst);
    assert.deepEqual(await store.executorGet(last.id), namedLikeLast);
    assert.deepEqual(await store.executorGet(namedLikeFirst.id), namedLikeFirst);
    assert.deepEqual(await store.executorGet("first"), first);
  });

  test("executorCreate() with max refuses a new executor once the store holds max (FailedPreconditionError), a taken name still with ConflictError", async (store) => {
    await store.executorCreate(makeExecutor("one"), { max: 2 });
    await store.executorCreate(makeExecutor("two"), { max: 2 });
    await assert.rejects(
      () => store.executorCreate(makeExecutor("three"), { max: 2 }),
      (error: Error) =>
        error instanceof FailedPreconditionError && /holds 2 executors/.test(error.message),
    );
    await assert.rejects(
      () => store.executorCreate(makeExecutor("two"), { max: 2 }),
      ConflictError,
    );
    assert.equal((await store.executorVersions()).length, 2);
    await store.executorCreate(makeExecutor("three"), { max: 3 });
  });

  test("executorCreate() with max holds under 20 creates at once: exactly max are stored", async (store) => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.executorCreate(makeExecutor(`e${i}`), { max: 5 })),
    );
    assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 5);
    assert.ok(
      outcomes.every((o) =>
        o.status === "fulfilled" || o.reason instanceof FailedPreconditionError
      ),
    );
    assert.equal((await store.executorVersions()).length, 5);
  });

  test("executorCreate() refuses a taken name with ConflictError", async (store) => {
    await store.executorCreate(makeExecutor("dup"));
    await assert.rejects(() => store.executorCreate(makeExecutor("dup")), ConflictError);
    assert.equal((await store.executorVersions()).length, 1);
  });

  test("executorList() returns executors by name, a page at a time", async (store) => {
    assert.equal((await store.executorVersions()).length, 0);
    const created: Executor[] = [];
    for (const name of ["charlie", "alpha", "bravo", "delta"]) {
      created.push(await store.executorCreate(makeExecutor(name)));
    }
    const all = await store.executorList({}, { limit: 1000 });
    assert.deepEqual(all.items.map((e) => e.name), ["alpha", "bravo", "charlie", "delta"]);
    assert.deepEqual(all.items[2], created[0]);
    assert.equal(all.nextCursor, null);
    const first = await store.executorList({}, { limit: 3 });
    assert.deepEqual(first.items.map((e) => e.name), ["alpha", "bravo", "charlie"]);
    assert.equal(first.nextCursor, "charlie");
    const second = await store.executorList({}, { limit: 3, cursor: first.nextCursor! });
    assert.deepEqual(second.items.map((e) => e.name), ["delta"]);
    assert.equal(second.nextCursor, null);
    const named = await store.executorList({ names: ["delta", "bravo", "zulu"] }, { limit: 1000 });
    assert.deepEqual(named.items.map((e) => e.name), ["bravo", "delta"]);
    assert.deepEqual((await store.executorList({ names: [] }, { limit: 10 })).items, []);
    assert.equal((await store.executorVersions()).length, 4);
    await store.executorDelete((await store.executorGet("alpha"))!.id);
    assert.equal((await store.executorVersions()).length, 3);
  });

  test("executorList() stops a page before maxBytes of stored text (one executor at least), so that no executor past it is read", async (store) => {
    const schema = (n: number) => ({ type: "object", description: "x".repeat(n) });
    for (const name of ["a", "b", "c"]) {
      await store.executorCreate(makeExecutor(name, { taskSchema: schema(60_000) }));
    }
    const one = await store.executorList({}, { limit: 1000, maxBytes: 100_000 });
    assert.deepEqual(one.items.map((e) => e.name), ["a"]);
    assert.equal(one.nextCursor, "a");
    const alone = await store.executorList({}, { limit: 1000, maxBytes: 10 });
    assert.deepEqual(alone.items.map((e) => e.name), ["a"]);
    const rest = await store.executorList({}, { limit: 1000, maxBytes: 200_000, cursor: "a" });
    assert.deepEqual(rest.items.map((e) => e.name), ["b", "c"]);
    assert.equal(rest.nextCursor, null);
  });

  test("executorVersions() gives every executor's id, name and updatedAt by name, and moves with an update", async (store) => {
    const bravo = await store.executorCreate(makeExecutor("bravo"));
    const alpha = await store.executorCreate(makeExecutor("alpha"));
    assert.deepEqual(await store.executorVersions(), [
      { id: alpha.id, name: "alpha", updatedAt: alpha.updatedAt },
      { id: bravo.id, name: "bravo", updatedAt: bravo.updatedAt },
    ]);
    await store.executorUpdate({ ...bravo, enabled: false, updatedAt: bravo.updatedAt + 5 }, {
      basedOn: bravo.updatedAt,
    });
    assert.deepEqual((await store.executorVersions())[1], {
      id: bravo.id,
      name: "bravo",
      updatedAt: bravo.updatedAt + 5,
    });
  });

  test("executorUpdate() replaces the configuration, null for an unknown id", async (store) => {
    const executor = await store.executorCreate(makeExecutor("resize"));
    const changed: Executor = {
      ...executor,
      enabled: false,
      timeout: 5000,
      retryPolicy: { ...executor.retryPolicy, type: "linear", maxAttempts: 7 },
      dlqConfig: { enabled: false, queueName: "other" },
      writeConcern: { level: "majority" },
      taskSchema: true,
      updatedAt: T0 + 1000,
    };
    assert.deepEqual(await store.executorUpdate(changed, { basedOn: executor.updatedAt }), changed);
    assert.deepEqual(await store.executorGet("resize"), changed);
    assert.equal(await store.executorUpdate(makeExecutor("ghost"), { basedOn: T0 - 1 }), null);
  });

  test("executorUpdate() refuses a rename onto a taken name with ConflictError", async (store) => {
    await store.executorCreate(makeExecutor("one"));
    const two = await store.executorCreate(makeExecutor("two"));
    await assert.rejects(
      () =>
        store.executorUpdate({ ...two, name: "one", updatedAt: two.updatedAt + 1 }, {
          basedOn: two.updatedAt,
        }),
      ConflictError,
    );
  });

  test("executorDelete() removes the executor and says whether it existed", async (store) => {
    const executor = await store.executorCreate(makeExecutor("gone"));
    assert.equal(await store.executorDelete(executor.id), true);
    assert.equal(await store.executorGet("gone"), null);
    assert.equal(await store.executorDelete(executor.id), false);
  });

  // An executor and its tasks: the steps of a create and a delete in the order a race gives.

  test("executorDelete() deletes the executor's tasks and DLQ entries with it; without force it is refused while tasks are pending or in progress", async (store) => {
    const a = await store.executorCreate(makeExecutor("a"));
    await store.executorCreate(makeExecutor("b"));
    await deadLetter(store, makeTask("a"));
    const [pending] = await insertAll(store, [makeTask("a"), makeTask("b")]);
    await assert.rejects(
      () => store.executorDelete(a.id),
      (error) =>
        error instanceof FailedPreconditionError &&
        /Cannot delete executor "a": 1 task is pending or in progress/.test(error.message),
    );
    assert.ok(await store.taskGet(pending.id), "a refused delete deletes nothing");
    assert.equal((await store.dlqList({ executorName: "a" }, { limit: 10 })).items.length, 1);
    assert.equal(await store.taskDeleteMany([pending]), 1);
    // Finished tasks and DLQ entries do not hold a delete back, and go with it.
    assert.equal(await store.executorDelete(a.id), true);
    assert.deepEqual((await store.taskList({ executorName: "a" }, { limit: 10 })).items, []);
    assert.deepEqual((await store.dlqList({}, { limit: 10 })).items, []);
    assert.equal((await store.taskList({ executorName: "b" }, { limit: 10 })).items.length, 1);

    const b = (await store.executorGet("b"))!;
    assert.equal(await store.executorDelete(b.id, { force: true }), true);
    assert.deepEqual((await store.taskList({}, { limit: 10 })).items, []);
  });

  test("taskInsert() with requireExecutors refuses a batch with a task of an executor deleted since its creator read it (NotFoundError): no task of it is kept", async (store) => {
    await store.executorCreate(makeExecutor("a"));
    const gone = await store.executorCreate(makeExecutor("gone"));
    // The creator read "gone"; its delete lands before the insert.
    assert.equal(await store.executorDelete(gone.id), true);
    const batch = [makeTask("a"), makeTask("gone"), makeTask("a", { idempotencyKey: "k" })];
    await assert.rejects(
      () => store.taskInsert(batch, { requireExecutors: true }),
      (error) =>
        error instanceof NotFoundError &&
        /Cannot create task: executor "gone" does not exist/.test(error.message),
    );
    await assert.rejects(
      () =>
        store.taskInsertAndClaim([makeTask("gone")], {
          executorName: "gone",
          limit: 10,
          leaseMs: 30_000,
          owner: "w1",
          now: T0,
          maxConcurrency: 0,
        }, { requireExecutors: true }),
      NotFoundError,
    );
    assert.deepEqual((await store.taskList({}, { limit: 10 })).items, []);
    // The key the refused batch carried is free.
    const [made] = await store.taskInsert([makeTask("a", { idempotencyKey: "k" })], {
      requireExecutors: true,
    });
    assert.equal(made.created, true);
  });

  test("taskInsert() and taskInsertAndClaim() with executorVersions store nothing when an executor the tasks were checked against changed since (ExecutorChangedError), acknowledged or not", async (store) => {
    const a = await store.executorCreate(makeExecutor("a"));
    const b = await store.executorCreate(makeExecutor("b"));
    const versionsOf = (...executors: Executor[]) =>
      new Map(executors.map(({ name, id, updatedAt }) => [name, { id, updatedAt }]));
    const claim = {
      executorName: "a",
      limit: 10,
      leaseMs: 30_000,
      owner: "w1",
      now: T0,
      maxConcurrency: 0,
    };
    const held = versionsOf(a, b);
    const [made] = await store.taskInsert([makeTask("a")], {
      requireExecutors: true,
      executorVersions: held,
    });
    assert.equal(made.created, true, "the versions as stored: inserted");

    // "b" is updated after the creator read it: a batch of "a" alone is refused too, since its
    // request was checked against both.
    const b2 = (await store.executorUpdate({ ...b, timeout: 1_000, updatedAt: b.updatedAt + 1 }, {
      basedOn: b.updatedAt,
    }))!;
    for (const writeConcern of ["journaled", "unacknowledged"] as const) {
      const task = makeTask("a");
      const options = { requireExecutors: true, executorVersions: held, writeConcern };
      await assert.rejects(
        () => store.taskInsert([task], options),
        (error) =>
          error instanceof ExecutorChangedError && error instanceof UnavailableError &&
          /executor "b" changed/.test(error.message),
        writeConcern,
      );
      await assert.rejects(
        () => store.taskInsertAndClaim([makeTask("a")], claim, options),
        ExecutorChangedError,
        writeConcern,
      );
      assert.equal(await store.taskGet(task.id), null, writeConcern);
    }
    const all = await store.taskList({}, { limit: 10 });
    assert.deepEqual(all.items.map((t) => t.id), [made.task.id], "nothing else stored");
    // "a" deleted and made again under its name: another id.
    await store.executorDelete(a.id, { force: true });
    const a2 = await store.executorCreate(
      makeExecutor("a", { createdAt: T0 + 5, updatedAt: T0 + 5 }),
    );
    await assert.rejects(
      () =>
        store.taskInsert([makeTask("a")], {
          requireExecutors: true,
          executorVersions: versionsOf(a, b2),
        }),
      /executor "a" changed/,
    );
    const [again] = await store.taskInsert([makeTask("a")], {
      requireExecutors: true,
      executorVersions: versionsOf(a2, b2),
    });
    assert.equal(again.created, true);
    const { claimed } = await store.taskInsertAndClaim([makeTask("a")], claim, {
      requireExecutors: true,
      executorVersions: versionsOf(a2, b2),
    });
    assert.equal(claimed.length, 2, "as stored: inserted and claimed");
    // The leased insert (nothing of the executor ready, the claim takes exactly the new task).
    const c = await store.executorCreate(makeExecutor("c"));
    await store.executorUpdate({ ...c, timeout: 2_000, updatedAt: c.updatedAt + 1 }, {
      basedOn: c.updatedAt,
    });
    const leasedTask = makeTask("c");
    await assert.rejects(
      () =>
        store.taskInsertAndClaim([leasedTask], { ...claim, executorName: "c" }, {
          requireExecutors: true,
          executorVersions: versionsOf(c),
        }),
      ExecutorChangedError,
    );
    assert.equal(await store.taskGet(leasedTask.id), null);
    // A gone executor is refused as gone, not as changed, acknowledged or not: an
    // unacknowledged insert is not answered as created to be dropped at its commit.
    await store.executorDelete(b2.id, { force: true });
    for (const writeConcern of ["journaled", "unacknowledged"] as const) {
      const task = makeTask("b");
      await assert.rejects(
        () =>
          store.taskInsert([task], {
            requireExecutors: true,
            executorVersions: versionsOf(b2),
            writeConcern,
          }),
        (error) => error instanceof NotFoundError,
        writeConcern,
      );
      assert.equal(await store.taskGet(task.id), null, writeConcern);
      // So is one the tasks were checked against though none of this insert is of it (a
      // create split over inserts: its first refuses the whole of it).
      const ofA = makeTask("a");
      await assert.rejects(
        () =>
          store.taskInsert([ofA], {
            requireExecutors: true,
            executorVersions: versionsOf(a2, b2),
            writeConcern,
          }),
        (error) =>
          error instanceof NotFoundError && /executor "b" does not exist/.test(error.message),
        writeConcern,
      );
      assert.equal(await store.taskGet(ofA.id), null, writeConcern);
    }
  });

  test("executorUpdate() is a compare and set on the version it was made on: one made on a version another update replaced is refused (ExecutorChangedError), whatever its updatedAt, and is not stored; so is one not later than its version", async (store) => {
    const made = await store.executorCreate(makeExecutor("versions"));
    const basedOn = made.updatedAt;
    const changedMeanwhile = (error: unknown) =>
      error instanceof ExecutorChangedError &&
      /executor "versions": it was changed meanwhile/.test(error.message);
    const first = { ...made, timeout: 1_111, updatedAt: made.updatedAt + 1 };
    assert.deepEqual(await store.executorUpdate(first, { basedOn }), first);
    // Made on `made` too, at the same time as `first`, before it, or after it (another manager's
    // clock ahead): storing any of them would undo `first`, which it never saw.
    for (const updatedAt of [made.updatedAt + 1, made.updatedAt, made.updatedAt + 50]) {
      await assert.rejects(
        () => store.executorUpdate({ ...made, timeout: 2_222, updatedAt }, { basedOn }),
        changedMeanwhile,
      );
    }
    await assert.rejects(
      () => store.executorUpdate({ ...first, timeout: 2_222 }, { basedOn: first.updatedAt }),
      changedMeanwhile,
      "not later than its version",
    );
    assert.deepEqual(await store.executorGet("versions"), first, "the first update stays");
    const later = { ...first, timeout: 2_222, updatedAt: first.updatedAt + 50 };
    assert.deepEqual(await store.executorUpdate(later, { basedOn: first.updatedAt }), later);
    // Updates of one version at once, each later than the one before: one is stored (FerretDB's
    // replace is not isolated).
    const racing = [3_333, 4_444, 5_555, 6_666].map((timeout) => ({
      ...later,
      timeout,
      updatedAt: later.updatedAt + timeout,
    }));
    const outcomes = await Promise.allSettled(
      racing.map((e) => store.executorUpdate(e, { basedOn: later.updatedAt })),
    );
    const stored = outcomes.filter((o) => o.status === "fulfilled");
    assert.equal(stored.length, 1, JSON.stringify(outcomes.map((o) => o.status)));
    assert.ok(outcomes.every((o) => o.status === "fulfilled" || changedMeanwhile(o.reason)));
    assert.deepEqual(await store.executorGet("versions"), stored[0].value);
  });

  test("executorDelete() with force keeps the name taken until the executor's tasks are gone: a create of it meanwhile is refused (FailedPreconditionError), so no task of a new executor goes with the old ones", async (store) => {
    const old = await store.executorCreate(makeExecutor("victim"));
    const oldTasks = Array.from({ length: MORE_THAN_A_BATCH }, () => makeTask("victim"));
    await store.taskInsert(oldTasks);
    const again = makeExecutor("victim", { createdAt: T0 + 100, updatedAt: T0 + 100 });
    const task = makeTask("victim", { createdAt: T0 + 100 });
    let meanwhile: CreateAndInsert | null = null;
    const deleted = await halfwayThroughForcedDelete(store, old.id, {
      now: T0,
      during: async (sync) => {
        meanwhile = await createAndInsert(store, { executor: again, task }, { sync });
      },
    });
    assert.equal(deleted, true);
    const { created, inserted } = meanwhile!;
    // Before the fix both were answered, and the task was gone once the delete answered.
    if (inserted.status === "fulfilled") {
      assert.ok(await store.taskGet(task.id), "a task answered created outlives the old delete");
    }
    assert.ok(refusedWhileDeleting(created, "victim"), `the create meanwhile: ${created.status}`);
    assert.ok(inserted.status === "rejected" && inserted.reason instanceof NotFoundError);
    assert.equal(await store.executorGet("victim"), null);
    assert.equal(await store.taskGet(oldTasks[MORE_THAN_A_BATCH - 1].id), null);
    assert.deepEqual((await store.taskList({ executorName: "victim" }, { limit: 10 })).items, []);
    // Once the delete answered, the name is free.
    await store.executorCreate(again);
    const [made] = await store.taskInsert([task], { requireExecutors: true });
    assert.equal(made.created, true);
    assert.ok(await store.taskGet(task.id));
  });

  // Insert, get, list --------------------------------------------------------------------------

  test("taskInsert() stores a batch and taskGet() returns each task as pending", async (store) => {
    const batch = [
      makeTask("a", { data: { to: "x@example.com" }, metadata: { tenant: "t1" }, priority: 5 }),
      makeTask("a", { data: [1, 2, 3], runAt: T0 + 60_000 }),
      makeTask("b", { data: "text", idempotencyKey: "k1", maxAttempts: 9 }),
      makeTask("b", { data: null }),
    ];
    const outcomes = await store.taskInsert(batch);
    assert.equal(outcomes.length, batch.length);
    for (const [i, outcome] of outcomes.entries()) {
      const input = batch[i];
      const expected: Task = {
        ...input,
        status: "pending",
        attempt: 0,
        errors: [],
        errorsDropped: 0,
        run: 1,
        progress: null,
        logs: [],
        result: null,
        updatedAt: input.createdAt,
        startedAt: null,
        completedAt: null,
        workerId: null,
        leaseToken: null,
        leaseExpiresAt: null,
        traceparent: null,
        tracestate: null,
      };
      assert.equal(outcome.created, true);
      assert.deepEqual(outcome.task, expected);
      assert.deepEqual(await store.taskGet(input.id), expected);
    }
    assert.equal(await store.taskGet(newId(T0)), null);
  });

  test("a task keeps its W3C trace context through claim, retry, the DLQ and requeue", async (store) => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const tracestate = "vendor=abc,other=1";
    const input = makeTask("traced", { traceparent, tracestate });
    const [inserted] = await insertAll(store, [input, makeTask("traced", { priority: -1 })]);
    assert.deepEqual([inserted.traceparent, inserted.tracestate], [traceparent, tracestate]);
    const [leased, plain] = await claim(store, "traced");
    assert.deepEqual([leased.traceparent, leased.tracestate], [traceparent, tracestate]);
    assert.deepEqual([plain.traceparent, plain.tracestate], [null, null]);
    await settle(store, leased, { kind: "retry", runAt: T0, error: taskError(1, "again", T0) });
    const [again] = await claim(store, "traced", { limit: 1 });
    assert.equal(again.traceparent, traceparent);
    await settle(store, again, {
      kind: "dlq",
      error: taskError(2, "dead", T0),
      reason: "max_attempts",
      queueName: "dlq",
    });
    assert.equal((await store.dlqGet(input.id))?.task.traceparent, traceparent);
    const requeued = await store.dlqRequeue(input.id, { now: T0 });
    assert.deepEqual([requeued?.traceparent, requeued?.tracestate], [traceparent, tracestate]);
  });

  test("taskInsert() returns the existing task with created false when an idempotency key repeats", async (store) => {
    const first = makeTask("a", { idempotencyKey: "order-1", data: { v: 1 } });
    const [made] = await store.taskInsert([first]);
    assert.equal(made.created, true);

    const again = makeTask("a", { idempotencyKey: "order-1", data: { v: 2 } });
    const otherExecutor = makeTask("b", { idempotencyKey: "order-1" });
    const twiceInBatch = [
      makeTask("a", { idempotencyKey: "order-2" }),
      makeTask("a", { idempotencyKey: "order-2" }),
    ];
    const outcomes = await store.taskInsert([again, otherExecutor, ...twiceInBatch]);
    assert.equal(outcomes[0].created, false);
    assert.equal(outcomes[0].task.id, first.id);
    assert.deepEqual(outcomes[0].task.data, { v: 1 });
    assert.equal(outcomes[1].created, true, "keys are per executor");
    assert.equal(outcomes[2].created, true);
    assert.equal(outcomes[3].created, false);
    assert.equal(outcomes[3].task.id, twiceInBatch[0].id);
    assert.equal(await store.taskGet(again.id), null);
    assert.equal(await store.taskGet(twiceInBatch[1].id), null);
  });

  test("taskList() filters by executor, status and creation time", async (store) => {
    const tasks = await insertAll(store, [
      makeTask("a", { createdAt: T0 }),
      makeTask("a", { createdAt: T0 + 10 }),
      makeTask("a", { createdAt: T0 + 20 }),
      makeTask("b", { createdAt: T0 + 30 }),
    ]);
    await claim(store, "a", { limit: 1, now: T0 + 100 });
    const all = await store.taskList({}, { limit: 50 });
    assert.deepEqual(ids(all.items), ids(tasks).reverse());
    assert.equal(all.nextCursor, null);

    const ofA = await store.taskList({ executorName: "a" }, { limit: 50 });
    assert.deepEqual(ids(ofA.items), ids(tasks.slice(0, 3)).reverse());

    const running = await store.taskList({ status: ["in_progress"] }, { limit: 50 });
    assert.equal(running.items.length, 1);
    assert.equal(running.items[0].status, "in_progress");

    const pendingOrRunning = await store.taskList(
      { executorName: "a", status: ["pending", "in_progress"] },
      { limit: 50 },
    );
    assert.equal(pendingOrRunning.items.length, 3);
    const none = await store.taskList({ status: ["completed"] }, { limit: 50 });
    assert.deepEqual(none.items, []);

    const window = await store.taskList(
      { createdAfter: T0 + 10, createdBefore: T0 + 30 },
      { limit: 50 },
    );
    assert.deepEqual(ids(window.items), [tasks[2].id, tasks[1].id]);
  });

  test("taskList() pages newest first without overlap or gaps", async (store) => {
    const batch = Array.from({ length: 23 }, (_, i) => makeTask("a", { createdAt: T0 + i }));
    await store.taskInsert(batch);
    await store.taskInsert([makeTask("b", { createdAt: T0 + 5 })]);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.taskList({ executorName: "a" }, { cursor, limit: 5 });
      assert.ok(page.items.length <= 5);
      seen.push(...ids(page.items));
      cursor = page.nextCursor ?? undefined;
      pages++;
      assert.ok(pages < 10, "paging ends");
    } while (cursor);
    assert.equal(pages, 5);
    assert.deepEqual(seen, ids(batch).sort().reverse());
  });

  test("taskList() by creation time pages the window newest first, whatever the cursor, with or without executor and status", async (store) => {
    // Two executors, 30 ms of tasks; the window is [T0 + 5, T0 + 25).
    const batch = Array.from(
      { length: 30 },
      (_, i) => makeTask(i % 3 === 0 ? "b" : "a", { createdAt: T0 + i }),
    );
    await store.taskInsert(batch);
    const window = { createdAfter: T0 + 5, createdBefore: T0 + 25 };
    const inWindow = batch.filter((t) => t.createdAt >= T0 + 5 && t.createdAt < T0 + 25);
    for (const filter of [{}, { executorName: "a" }, { status: ["pending" as const] }]) {
      const want = ids(
        inWindow.filter((t) => !("executorName" in filter) || t.executorName === "a"),
      )
        .reverse();
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.taskList({ ...window, ...filter }, { cursor, limit: 4 });
        seen.push(...ids(page.items));
        cursor = page.nextCursor ?? undefined;
      } while (cursor && seen.length <= batch.length);
      assert.deepEqual(seen, want, JSON.stringify(filter));
    }
    // A cursor above the window starts at its newest task; one below it finds nothing.
    const fromAbove = await store.taskList(window, { cursor: batch[28].id, limit: 2 });
    assert.deepEqual(ids(fromAbove.items), [batch[24].id, batch[23].id]);
    const fromBelow = await store.taskList(window, { cursor: batch[3].id, limit: 2 });
    assert.deepEqual(fromBelow, { items: [], nextCursor: null, cursors: [] });
    // Bounds are exact to the millisecond: inclusive after, exclusive before.
    const one = await store.taskList({ createdAfter: T0 + 7, createdBefore: T0 + 8 }, { limit: 5 });
    assert.deepEqual(ids(one.items), [batch[7].id]);
  });

  test("taskList() and dlqList() with maxBytes stop before a row that would cross it, one row at least", async (store) => {
    // Oldest first: four large tasks, then a small newest one (a page must not read on by count).
    const large = Array.from(
      { length: 4 },
      (_, i) => makeTask("a", { createdAt: T0 + i, data: "x".repeat(10_000) }),
    );
    const small = makeTask("a", { createdAt: T0 + 9, data: 1 });
    await store.taskInsert([...large, small]);
    const first = await store.taskList({}, { limit: 50, maxBytes: 15_000 });
    assert.deepEqual(ids(first.items), [small.id, large[3].id]);
    assert.equal(first.nextCursor, large[3].id);
    const alone = await store.taskList({}, { cursor: first.nextCursor!, limit: 50, maxBytes: 100 });
    assert.deepEqual(ids(alone.items), [large[2].id], "one row however large");
    const rest = await store.taskList({}, { cursor: alone.nextCursor!, limit: 50, maxBytes: 1e9 });
    assert.deepEqual(ids(rest.items), [large[1].id, large[0].id]);
    assert.equal(rest.nextCursor, null);
    const byExecutor = await store.taskList({ executorName: "a" }, { limit: 50, maxBytes: 15_000 });
    assert.deepEqual(ids(byExecutor.items), [small.id, large[3].id]);

    // The same tasks dead, in the order they died.
    const claimed = await store.taskClaim({
      executorName: "a",
      limit: 10,
      leaseMs: 60_000,
      owner: "w",
      now: T0 + 100,
      maxConcurrency: 0,
    });
    const error = { attempt: 1, message: "x", at: T0, workerId: "w" };
    for (const [i, id] of [...ids(large), small.id].entries()) {
      const leaseToken = claimed.find((t) => t.id === id)!.leaseToken!;
      const settlement = { kind: "dlq", error, reason: "timeout", queueName: "dlq" } as const;
      await store.taskSettle([{ taskId: id, leaseToken, settlement }], { now: T0 + 200 + i });
    }
    const dead = await store.dlqList({}, { limit: 50, maxBytes: 15_000 });
    assert.deepEqual(dead.items.map((e) => e.id), [small.id, large[3].id]);
    const deadRest = await store.dlqList({}, {
      cursor: dead.nextCursor!,
      limit: 50,
      maxBytes: 100,
    });
    assert.deepEqual(deadRest.items.map((e) => e.id), [large[2].id], "one entry however large");
  });

  // Claim --------------------------------------------------------------------------------------

  test("taskClaim() leases tasks highest priority first, then oldest runAt", async (store) => {
    const low = makeTask("a", { priority: 0, runAt: T0 - 3000 });
    const highLate = makeTask("a", { priority: 10, runAt: T0 - 1000 });
    const highEarly = makeTask("a", { priority: 10, runAt: T0 - 2000 });
    const mid = makeTask("a", { priority: 5, runAt: T0 });
    await store.taskInsert([low, highLate, highEarly, mid]);
    const first = await claim(store, "a", { limit: 2 });
    assert.deepEqual(ids(first), [highEarly.id, highLate.id]);
    const rest = await claim(store, "a", { limit: 10 });
    assert.deepEqual(ids(rest), [mid.id, low.id]);
  });

  test("taskClaim() sets the lease, the attempt and the start time", async (store) => {
    const [task] = await insertAll(store, [makeTask("a")]);
    const now = T0 + 500;
    const [leased] = await store.taskClaim({
      executorName: "a",
      limit: 1,
      leaseMs: 7000,
      owner: "worker-7",
      now,
      maxConcurrency: 0,
    });
    assert.equal(leased.id, task.id);
    assert.equal(leased.status, "in_progress");
    assert.equal(leased.attempt, 1);
    assert.equal(leased.workerId, "worker-7");
    assert.equal(leased.leaseExpiresAt, now + 7000);
    assert.equal(leased.startedAt, now);
    assert.equal(typeof leased.leaseToken, "string");
    assert.ok(leased.leaseToken!.length >= 8);
    assert.deepEqual(leased.data, task.data);
    assert.deepEqual(await store.taskGet(task.id), leased);
  });

  test("taskClaim() ignores tasks due later and tasks of other executors", async (store) => {
    const due = makeTask("a", { runAt: T0 });
    const later = makeTask("a", { runAt: T0 + 1 });
    const other = makeTask("b", { runAt: T0 - 10 });
    await store.taskInsert([due, later, other]);
    assert.deepEqual(ids(await claim(store, "a")), [due.id]);
    assert.deepEqual(await claim(store, "a"), []);
    assert.deepEqual(ids(await claim(store, "a", { now: T0 + 1 })), [later.id]);
    assert.deepEqual(await claim(store, "nobody"), []);
    assert.equal((await store.taskGet(other.id))!.status, "pending");
  });

  test("taskClaim() takes at most limit tasks", async (store) => {
    await store.taskInsert(Array.from({ length: 10 }, () => makeTask("a")));
    assert.equal((await claim(store, "a", { limit: 3 })).length, 3);
    assert.equal((await claim(store, "a", { limit: 4 })).length, 4);
    assert.equal((await claim(store, "a", { limit: 100 })).length, 3);
  });

  test("taskClaim() keeps in-progress tasks within maxConcurrency", async (store) => {
    await store.taskInsert(Array.from({ length: 10 }, () => makeTask("a")));
    await store.taskInsert([makeTask("b")]);
    assert.equal((await claim(store, "a", { limit: 3, maxConcurrency: 4 })).length, 3);
    const second = await claim(store, "a", { limit: 3, maxConcurrency: 4, owner: "w2" });
    assert.equal(second.length, 1);
    assert.deepEqual(await claim(store, "a", { limit: 3, maxConcurrency: 4 }), []);
    assert.equal((await claim(store, "b", { maxConcurrency: 4 })).length, 1, "per executor");
    assert.equal(await settle(store, second[0], { kind: "completed", result: 1 }), true);
    assert.equal((await claim(store, "a", { limit: 3, maxConcurrency: 4 })).length, 1);
  });

  test("taskClaim() gives each ready task to one claimer only", async (store) => {
    const total = 200;
    await store.taskInsert(
      Array.from({ length: total }, (_, i) => makeTask("a", { priority: i % 3 })),
    );
    const rounds = await Promise.all(
      Array.from({ length: 16 }, (_, i) => claim(store, "a", { limit: 20, owner: `w${i}` })),
    );
    const claimed = rounds.flat();
    // A claimer that loses a task to another moves on, so a round under contention may leave one
    // ready: claims go on, 16 at once, until a round leases nothing (a ready task left then fails).
    for (let round = 0; claimed.length < total && round < 10; round++) {
      const more = (await Promise.all(
        Array.from(
          { length: 16 },
          (_, i) => claim(store, "a", { limit: 20, owner: `x${round}-${i}` }),
        ),
      )).flat();
      if (more.length === 0) break;
      claimed.push(...more);
    }
    const unique = new Set(ids(claimed));
    assert.equal(unique.size, claimed.length, "no task was leased twice");
    assert.equal(unique.size, total, "every task was leased");
  });

  test("taskClaim() under maxConcurrency holds across concurrent claimers", async (store) => {
    await store.taskInsert(Array.from({ length: 50 }, () => makeTask("a")));
    const rounds = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) => claim(store, "a", { limit: 5, owner: `w${i}`, maxConcurrency: 12 }),
      ),
    );
    assert.equal(rounds.flat().length, 12);
    const running = await store.taskList({ status: ["in_progress"] }, { limit: 100 });
    assert.equal(running.items.length, 12);
  });

  test("taskInsertAndClaim() inserts, then claims as taskClaim would", async (store) => {
    const older = makeTask("a", { priority: 5, runAt: T0 - 1000 });
    await store.taskInsert([older]);
    const fresh = makeTask("a");
    const later = makeTask("a", { runAt: T0 + 60_000 });
    const { outcomes, claimed } = await store.taskInsertAndClaim([fresh, later], {
      executorName: "a",
      limit: 5,
      leaseMs: 30_000,
      owner: "w1",
      now: T0,
      maxConcurrency: 0,
    }, { writeConcern: "journaled" });
    assert.deepEqual(outcomes.map((o) => [o.created, o.task.id, o.task.status]), [
      [true, fresh.id, "pending"],
      [true, later.id, "pending"],
    ]);
    // The older task of higher priority first; the one due later stays pending.
    assert.deepEqual(ids(claimed), [older.id, fresh.id]);
    assert.deepEqual(await store.taskGet(fresh.id), claimed[1]);
    assert.equal(claimed[1].leaseExpiresAt, T0 + 30_000);
    assert.equal((await store.taskGet(later.id))!.status, "pending");
  });

  test("taskInsertAndClaim() keeps maxConcurrency and answers idempotent duplicates", async (store) => {
    const keyed = makeTask("a", { idempotencyKey: "k1" });
    await store.taskInsert([keyed]);
    await claim(store, "a", { maxConcurrency: 2 });
    const again = makeTask("a", { idempotencyKey: "k1" });
    const { outcomes, claimed } = await store.taskInsertAndClaim(
      [again, makeTask("a"), makeTask("a")],
      { executorName: "a", limit: 10, leaseMs: 1000, owner: "w2", now: T0, maxConcurrency: 2 },
      { writeConcern: "unacknowledged" },
    );
    assert.deepEqual(outcomes.map((o) => o.created), [false, true, true]);
    assert.equal(outcomes[0].task.id, keyed.id);
    assert.equal(claimed.length, 1, "one slot of two was free");
    assert.equal(claimed[0].id, outcomes[1].task.id);
    const running = await store.taskList({ status: ["in_progress"] }, { limit: 10 });
    assert.equal(running.items.length, 2);
  });

  // Settle -------------------------------------------------------------------------------------

  test("taskSettle() completes a task with its result and clears the lease", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const [leased] = await claim(store, "a");
    const ok = await settle(store, leased, { kind: "completed", result: { sent: true } }, T0 + 40);
    assert.equal(ok, true);
    const done = (await store.taskGet(leased.id))!;
    assert.equal(done.status, "completed");
    assert.deepEqual(done.result, { sent: true });
    assert.equal(done.completedAt, T0 + 40);
    assert.equal(done.updatedAt, T0 + 40);
    assert.equal(done.attempt, 1);
    assert.equal(done.leaseToken, null);
    assert.equal(done.leaseExpiresAt, null);
    assert.equal(done.workerId, "w1");
  });

  test("taskSettle() refuses a stale lease token and applies a settlement once only", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const [leased] = await claim(store, "a");
    const stale = await store.taskSettle(
      [{
        taskId: leased.id,
        leaseToken: "not-the-token",
        settlement: { kind: "completed", result: 1 },
      }],
      { now: T0 },
    );
    assert.deepEqual(stale, [false]);
    assert.equal((await store.taskGet(leased.id))!.status, "in_progress");

    const twice = await store.taskSettle([
      {
        taskId: leased.id,
        leaseToken: leased.leaseToken!,
        settlement: { kind: "completed", result: 1 },
      },
      {
        taskId: leased.id,
        leaseToken: leased.leaseToken!,
        settlement: { kind: "completed", result: 2 },
      },
    ], { now: T0 });
    assert.deepEqual(twice, [true, false]);
    assert.equal(await settle(store, leased, { kind: "failed", error: taskError(1) }), false);
    const done = (await store.taskGet(leased.id))!;
    assert.equal(done.status, "completed");
    assert.equal(done.result, 1);
    assert.deepEqual(
      await store.taskSettle([
        { taskId: newId(T0), leaseToken: "x", settlement: { kind: "completed", result: 1 } },
      ], { now: T0 }),
      [false],
    );
  });

  test("taskSettle() retry records the error and puts the task back to pending at runAt", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const [leased] = await claim(store, "a");
    const error = taskError(1, "connection reset", T0 + 5);
    assert.equal(
      await settle(store, leased, { kind: "retry", runAt: T0 + 2000, error }, T0 + 5),
      true,
    );
    const waiting = (await store.taskGet(leased.id))!;
    assert.equal(waiting.status, "pending");
    assert.equal(waiting.runAt, T0 + 2000);
    assert.equal(waiting.attempt, 1);
    assert.deepEqual(waiting.errors, [error]);
    assert.equal(waiting.leaseToken, null);
    assert.equal(waiting.leaseExpiresAt, null);
    assert.equal(waiting.completedAt, null);
    assert.equal(waiting.updatedAt, T0 + 5);

    assert.deepEqual(await claim(store, "a", { now: T0 + 1999 }), []);
    const [again] = await claim(store, "a", { now: T0 + 2000 });
    assert.equal(again.attempt, 2);
    const second = taskError(2, "again", T0 + 2001);
    assert.equal(
      await settle(store, again, { kind: "retry", runAt: T0 + 9000, error: second }),
      true,
    );
    assert.deepEqual((await store.taskGet(leased.id))!.errors, [error, second]);
  });

  test("taskSettle() failed ends the task with its error", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const [leased] = await claim(store, "a");
    const error = taskError(1, "bad input");
    assert.equal(await settle(store, leased, { kind: "failed", error }, T0 + 9), true);
    const failed = (await store.taskGet(leased.id))!;
    assert.equal(failed.status, "failed");
    assert.deepEqual(failed.errors, [error]);
    assert.equal(failed.completedAt, T0 + 9);
    assert.equal(failed.leaseToken, null);
    assert.equal(await store.dlqGet(leased.id), null);
  });

  test("attempt errors stay bounded: the first and the newest are kept, the others counted", async (store) => {
    const kept = DEFAULT_LIMITS.errorsKept;
    const total = kept + 5;
    await store.taskInsert([makeTask("a", { maxAttempts: 1000 })]);
    let now = T0;
    for (let n = 1; n < total; n++) {
      const [leased] = await claim(store, "a", { now });
      const error = taskError(n, `fail ${n}`, now);
      assert.equal(await settle(store, leased, { kind: "retry", runAt: now, error }, now), true);
      now++;
    }
    // The last one by hand: the other way an error is added.
    const [leased] = await claim(store, "a", { now });
    const moved = await store.taskTransition(leased.id, {
      from: "in_progress",
      to: "failed",
      now,
      patch: { error: taskError(total, "by hand", now) },
    });
    const expected = [
      "fail 1",
      ...Array.from({ length: kept - 2 }, (_, i) => `fail ${total - kept + 2 + i}`),
      "by hand",
    ];
    for (const task of [moved!, (await store.taskGet(leased.id))!]) {
      assert.deepEqual(task.errors.map((e) => e.message), expected);
      assert.equal(task.errorsDropped, total - kept);
    }
    // Into the DLQ after a requeue: the entry's snapshot is bounded too.
    await store.taskTransition(leased.id, { from: "failed", to: "pending", now, patch: {} });
    const [again] = await claim(store, "a", { now });
    const error = taskError(total + 1, "dead", now);
    const queueName = "dlq";
    assert.equal(
      await settle(store, again, { kind: "dlq", error, reason: "max_attempts", queueName }, now),
      true,
    );
    for (const task of [(await store.dlqGet(leased.id))!.task, (await store.taskGet(leased.id))!]) {
      assert.equal(task.errors.length, kept);
      assert.deepEqual(task.errors[0].message, "fail 1");
      assert.deepEqual(task.errors.at(-1), error);
      assert.equal(task.errorsDropped, total - kept + 1);
    }
  });

  test("taskSettle() dlq moves the task into the dead letter queue with an entry", async (store) => {
    await store.taskInsert([makeTask("a", { data: { to: "x" }, metadata: { k: "v" } })]);
    const [leased] = await claim(store, "a");
    const error = taskError(1, "not retryable", T0 + 3);
    const ok = await settle(store, leased, {
      kind: "dlq",
      error,
      reason: "non_retryable",
      queueName: "emails_dlq",
    }, T0 + 3);
    assert.equal(ok, true);
    const dead = (await store.taskGet(leased.id))!;
    assert.equal(dead.status, "dlq");
    assert.deepEqual(dead.errors, [error]);
    assert.equal(dead.leaseToken, null);
    const entry = (await store.dlqGet(leased.id))!;
    assert.equal(entry.id, leased.id);
    assert.equal(entry.queueName, "emails_dlq");
    assert.equal(entry.executorName, "a");
    assert.equal(entry.reason, "non_retryable");
    assert.equal(entry.deadAt, T0 + 3);
    assert.deepEqual(entry.task, dead);
    assert.equal(await store.dlqGet(newId(T0)), null);
  });

  test("taskSettle() settles a batch and answers per request in order", async (store) => {
    await store.taskInsert(Array.from({ length: 6 }, () => makeTask("a")));
    const leased = await claim(store, "a");
    const settlements: Settlement[] = [
      { kind: "completed", result: "r0" },
      { kind: "retry", runAt: T0 + 100, error: taskError(1) },
      { kind: "failed", error: taskError(1) },
      { kind: "dlq", error: taskError(1), reason: "timeout", queueName: "dlq" },
      { kind: "completed", result: "r4" },
      { kind: "completed", result: "r5" },
    ];
    const answers = await store.taskSettle(
      leased.map((task, i) => ({
        taskId: task.id,
        leaseToken: i === 4 ? "stale" : task.leaseToken!,
        settlement: settlements[i],
      })),
      { now: T0 + 1 },
    );
    assert.deepEqual(answers, [true, true, true, true, false, true]);
    const statuses = await Promise.all(leased.map((t) => store.taskGet(t.id)));
    assert.deepEqual(statuses.map((t) => t!.status), [
      "completed",
      "pending",
      "failed",
      "dlq",
      "in_progress",
      "completed",
    ]);
  });

  test("taskInsert() and taskSettle() accept every acknowledged write concern", async (store) => {
    for (const level of ["replica_acknowledged", "journaled", "majority"] as const) {
      const [outcome] = await store.taskInsert([makeTask(`wc_${level}`)], { writeConcern: level });
      assert.equal(outcome.created, true);
      const [leased] = await claim(store, `wc_${level}`);
      assert.equal(leased.id, outcome.task.id);
      const answers = await store.taskSettle([
        {
          taskId: leased.id,
          leaseToken: leased.leaseToken!,
          settlement: { kind: "completed", result: level },
        },
      ], { now: T0, writeConcern: level });
      assert.deepEqual(answers, [true]);
      assert.equal((await store.taskGet(leased.id))!.result, level);
    }
  });

  // Leases -------------------------------------------------------------------------------------

  test("leaseExtend() pushes the lease expiry only where the token matches", async (store) => {
    await store.taskInsert([makeTask("a"), makeTask("a")]);
    const [one, two] = await claim(store, "a");
    const answers = await store.leaseExtend([
      { taskId: one.id, leaseToken: one.leaseToken! },
      { taskId: two.id, leaseToken: "stale" },
      { taskId: newId(T0), leaseToken: "x" },
    ], T0 + 99_000);
    assert.deepEqual(answers, [true, false, false]);
    assert.equal((await store.taskGet(one.id))!.leaseExpiresAt, T0 + 99_000);
    assert.equal((await store.taskGet(two.id))!.leaseExpiresAt, two.leaseExpiresAt);
    await settle(store, one, { kind: "completed", result: null });
    assert.deepEqual(
      await store.leaseExtend([{ taskId: one.id, leaseToken: one.leaseToken! }], T0 + 100_000),
      [false],
      "a settled task has no lease to extend",
    );
  });

  test("demandReport() sums the latest report of each manager still reporting", async (store) => {
    const report = (managerId: string, capacity: Record<string, number>, now: number) =>
      store.demandReport({ managerId, capacity, now, since: now - 3000 });
    assert.deepEqual(await report("m1", { a: 3, b: 2 }, T0), { a: 3, b: 2 });
    assert.deepEqual(await report("m2", { a: 5 }, T0 + 1000), { a: 8, b: 2 });
    // An empty report withdraws a manager's at once (as a manager stopping gracefully does).
    assert.deepEqual(await report("m1", {}, T0 + 1500), { a: 5 });
    // m1 reports again (b is gone); then m2's report grows too old.
    assert.deepEqual(await report("m1", { a: 4 }, T0 + 2000), { a: 9 });
    assert.deepEqual(await report("m1", {}, T0 + 5000), {});
  });

  test("servingTotals() sums the workers and takes the newest poll of each manager's latest report at or after since, but the manager asking's", async (store) => {
    const report = (managerId: string, executors: Record<string, ServingFigures>, now: number) =>
      store.servingReport({ managerId, executors, now, since: now - 3000 });
    const totals = (now: number, exceptManagerId?: string) =>
      store.servingTotals({ since: now - 3000, exceptManagerId });
    assert.deepEqual(await totals(T0), {});
    await report("m1", { a: { workers: 2, polledAt: null }, b: { workers: 0, polledAt: T0 } }, T0);
    await report("m2", { a: { workers: 1, polledAt: T0 - 500 } }, T0 + 1000);
    assert.deepEqual(await totals(T0 + 1000), {
      a: { workers: 3, polledAt: T0 - 500 },
      b: { workers: 0, polledAt: T0 },
    });
    assert.deepEqual(await totals(T0 + 1000, "m1"), { a: { workers: 1, polledAt: T0 - 500 } });
    // m1 reports again, replacing its report (b is gone); then m2's report grows too old, then m1's.
    await report("m1", { a: { workers: 1, polledAt: T0 + 1500 } }, T0 + 2000);
    assert.deepEqual(await totals(T0 + 2000), { a: { workers: 2, polledAt: T0 + 1500 } });
    assert.deepEqual(await totals(T0 + 4500), { a: { workers: 1, polledAt: T0 + 1500 } });
    assert.deepEqual(await totals(T0 + 5500), {});
    // An empty report withdraws a manager's.
    await report("m2", { c: { workers: 1, polledAt: null } }, T0 + 6000);
    await report("m2", {}, T0 + 6001);
    assert.deepEqual(await totals(T0 + 6001), {});
  });

  test("leaseCheck() tells held leases from lost ones, with what became of the task", async (store) => {
    await store.taskInsert([makeTask("a"), makeTask("a"), makeTask("a")]);
    const [held, cancelled, stale] = await claim(store, "a");
    await store.taskTransition(cancelled.id, { from: "in_progress", to: "cancelled", now: T0 });
    const gone = newId(T0);
    const answers = await store.leaseCheck([
      { taskId: stale.id, leaseToken: "stale" },
      { taskId: held.id, leaseToken: held.leaseToken! },
      { taskId: gone, leaseToken: "x" },
      { taskId: cancelled.id, leaseToken: cancelled.leaseToken! },
    ]);
    assert.deepEqual(answers, [
      { held: false, status: "in_progress" },
      { held: true },
      { held: false, status: null },
      { held: false, status: "cancelled" },
    ]);
    assert.deepEqual(await store.leaseCheck([]), []);
  });

  test("taskRescueExpired() takes only expired leases and gives each a new token", async (store) => {
    await store.taskInsert([makeTask("a"), makeTask("a"), makeTask("a")]);
    const [short] = await store.taskClaim({
      executorName: "a",
      limit: 1,
      leaseMs: 1000,
      owner: "w1",
      now: T0,
      maxConcurrency: 0,
    });
    const [long] = await store.taskClaim({
      executorName: "a",
      limit: 1,
      leaseMs: 60_000,
      owner: "w2",
      now: T0,
      maxConcurrency: 0,
    });
    const rescued = await store.taskRescueExpired({
      now: T0 + 5000,
      limit: 10,
      owner: "rescuer",
      leaseMs: 2000,
    });
    assert.deepEqual(ids(rescued), [short.id]);
    const [taken] = rescued;
    assert.equal(taken.status, "in_progress");
    assert.equal(taken.workerId, "rescuer");
    assert.equal(taken.expiredWorkerId, "w1", "the worker whose lease expired");
    assert.equal(taken.leaseExpiresAt, T0 + 7000);
    assert.equal(taken.attempt, short.attempt);
    assert.notEqual(taken.leaseToken, short.leaseToken);
    assert.equal(await settle(store, short, { kind: "completed", result: 1 }), false);
    assert.deepEqual(
      await store.taskRescueExpired({ now: T0 + 5000, limit: 10, owner: "r2", leaseMs: 2000 }),
      [],
      "a rescued task is not rescued twice",
    );
    assert.equal(
      await settle(store, taken, {
        kind: "retry",
        runAt: T0 + 6000,
        error: taskError(1, "lease lost"),
      }),
      true,
    );
    assert.equal((await store.taskGet(long.id))!.leaseToken, long.leaseToken);
  });

  test("taskRescueExpired() takes at most limit tasks", async (store) => {
    await store.taskInsert(Array.from({ length: 5 }, () => makeTask("a")));
    await claim(store, "a");
    const options = { now: T0 + 60_000, limit: 2, owner: "r", leaseMs: 60_000 };
    assert.equal((await store.taskRescueExpired(options)).length, 2);
    assert.equal((await store.taskRescueExpired(options)).length, 2);
    assert.equal((await store.taskRescueExpired(options)).length, 1);
  });

  // Transitions --------------------------------------------------------------------------------

  test("taskTransition() moves a task only while it is in from, and clears the lease", async (store) => {
    await store.taskInsert([makeTask("a"), makeTask("a")]);
    const [running] = await claim(store, "a", { limit: 1 });
    assert.equal(
      await store.taskTransition(running.id, { from: "pending", to: "cancelled", now: T0 }),
      null,
      "wrong from",
    );
    assert.equal(
      await store.taskTransition(newId(T0), { from: "pending", to: "cancelled", now: T0 }),
      null,
      "unknown task",
    );
    const cancelled = (await store.taskTransition(running.id, {
      from: "in_progress",
      to: "cancelled",
      now: T0 + 10,
    }))!;
    assert.equal(cancelled.status, "cancelled");
    assert.equal(cancelled.leaseToken, null);
    assert.equal(cancelled.leaseExpiresAt, null);
    assert.equal(cancelled.updatedAt, T0 + 10);
    assert.equal(cancelled.completedAt, T0 + 10);
    assert.deepEqual(await store.taskGet(running.id), cancelled);
    assert.equal(await settle(store, running, { kind: "completed", result: 1 }), false);
  });

  test("taskTransition() requeues with resetAttempts and runAt", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const [leased] = await claim(store, "a");
    await settle(store, leased, { kind: "failed", error: taskError(1) });
    const requeued = (await store.taskTransition(leased.id, {
      from: "failed",
      to: "pending",
      now: T0 + 50,
      patch: { resetAttempts: true, runAt: T0 + 50, data: { fixed: true } },
    }))!;
    assert.equal(requeued.status, "pending");
    assert.equal(requeued.attempt, 0);
    assert.equal(requeued.runAt, T0 + 50);
    assert.equal(requeued.completedAt, null);
    assert.deepEqual(requeued.data, { fixed: true });
    assert.equal(requeued.errors.length, 1, "the history is kept");
    assert.deepEqual(ids(await claim(store, "a", { now: T0 + 50 })), [leased.id]);
  });

  test("taskTransition() completes or fails a task by hand with a result or an error", async (store) => {
    await store.taskInsert([makeTask("a"), makeTask("a")]);
    const [one, two] = await claim(store, "a");
    const done = (await store.taskTransition(one.id, {
      from: "in_progress",
      to: "completed",
      now: T0 + 1,
      patch: { result: { by: "hand" } },
    }))!;
    assert.equal(done.status, "completed");
    assert.deepEqual(done.result, { by: "hand" });
    assert.equal(done.completedAt, T0 + 1);
    const error = taskError(1, "Marked failed by hand", T0 + 2);
    const failed = (await store.taskTransition(two.id, {
      from: "in_progress",
      to: "failed",
      now: T0 + 2,
      patch: { error },
    }))!;
    assert.equal(failed.status, "failed");
    assert.deepEqual(failed.errors, [error]);
  });

  // Scheduling and figures ---------------------------------------------------------------------

  test("taskNextRunAt() gives the earliest future runAt of pending tasks", async (store) => {
    await store.taskInsert([
      makeTask("a", { runAt: T0 - 10 }),
      makeTask("a", { runAt: T0 + 500 }),
      makeTask("a", { runAt: T0 + 300 }),
      makeTask("b", { runAt: T0 + 100 }),
      makeTask("c", { runAt: T0 + 50 }),
    ]);
    assert.equal(await store.taskNextRunAt(["a"], T0), T0 + 300);
    assert.equal(await store.taskNextRunAt(["a", "b"], T0), T0 + 100);
    assert.equal(await store.taskNextRunAt(["a"], T0 + 500), null);
    assert.equal(await store.taskNextRunAt(["z"], T0), null);
    assert.equal(await store.taskNextRunAt([], T0), null);
  });

  test("taskStats() counts tasks by status, the oldest ready task and the DLQ size", async (store) => {
    await store.taskInsert([
      makeTask("a", { runAt: T0 - 300 }),
      makeTask("a", { runAt: T0 - 200 }),
      makeTask("a", { runAt: T0 + 1000 }),
      makeTask("b", { runAt: T0 + 1000 }),
    ]);
    const [leased] = await claim(store, "a", { limit: 1 });
    await settle(store, leased, { kind: "completed", result: null });
    await deadLetter(store, makeTask("c"));
    await deadLetter(store, makeTask("c"));
    const stats = (await store.taskStats({ now: T0 }))
      .sort((x, y) => x.executorName.localeCompare(y.executorName));
    assert.deepEqual(stats, [
      {
        executorName: "a",
        byStatus: { ...ZERO_BY_STATUS, pending: 2, completed: 1 },
        oldestPendingRunAt: T0 - 200,
        dlqSize: 0,
      },
      {
        executorName: "b",
        byStatus: { ...ZERO_BY_STATUS, pending: 1 },
        oldestPendingRunAt: null,
        dlqSize: 0,
      },
      {
        executorName: "c",
        byStatus: { ...ZERO_BY_STATUS, dlq: 2 },
        oldestPendingRunAt: null,
        dlqSize: 2,
      },
    ]);
    assert.deepEqual(await store.taskStats({ now: T0 }).then((s) => s.length), 3);
  });

  test("taskPurgeFinished() deletes completed and cancelled tasks that ended before a time", async (store) => {
    await store.taskInsert(Array.from({ length: 6 }, () => makeTask("a")));
    const leased = await claim(store, "a");
    await settle(store, leased[0], { kind: "completed", result: 1 }, T0 + 10);
    await settle(store, leased[1], { kind: "completed", result: 1 }, T0 + 20);
    await settle(store, leased[2], { kind: "completed", result: 1 }, T0 + 500);
    await settle(store, leased[3], { kind: "failed", error: taskError(1) }, T0 + 10);
    await store.taskTransition(leased[4].id, {
      from: "in_progress",
      to: "cancelled",
      now: T0 + 30,
    });
    assert.equal(await store.taskPurgeFinished({ before: T0 + 100, limit: 2 }), 2);
    assert.equal(await store.taskPurgeFinished({ before: T0 + 100, limit: 100 }), 1);
    assert.equal(await store.taskPurgeFinished({ before: T0 + 100, limit: 100 }), 0);
    const left = await store.taskList({}, { limit: 100 });
    assert.deepEqual(
      ids(left.items).sort(),
      [leased[2].id, leased[3].id, leased[5].id].sort(),
    );
  });

  // Dead letter queue --------------------------------------------------------------------------

  test("dlqList() filters by executor, reason and death time", async (store) => {
    const one = await deadLetter(store, makeTask("a"), { reason: "max_attempts", at: T0 + 10 });
    const two = await deadLetter(store, makeTask("a"), { reason: "timeout", at: T0 + 20 });
    const three = await deadLetter(store, makeTask("b"), { reason: "timeout", at: T0 + 30 });
    const page = { limit: 10 };
    assert.deepEqual(ids((await store.dlqList({}, page)).items), [three.id, two.id, one.id]);
    assert.deepEqual(ids((await store.dlqList({ executorName: "a" }, page)).items), [
      two.id,
      one.id,
    ]);
    assert.deepEqual(ids((await store.dlqList({ reason: "timeout" }, page)).items), [
      three.id,
      two.id,
    ]);
    assert.deepEqual(ids((await store.dlqList({ deadBefore: T0 + 30 }, page)).items), [
      two.id,
      one.id,
    ]);
    assert.deepEqual(
      ids(
        (await store.dlqList({ executorName: "a", reason: "timeout", deadBefore: T0 + 21 }, page))
          .items,
      ),
      [two.id],
    );
  });

  test("dlqList() pages newest first without overlap or gaps", async (store) => {
    const dead: Task[] = [];
    for (let i = 0; i < 12; i++) {
      // Two entries share each death time, so the order must break ties.
      dead.push(await deadLetter(store, makeTask("a"), { at: T0 + Math.floor(i / 2) }));
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let lastDeadAt = Infinity;
    do {
      const page = await store.dlqList({}, { cursor, limit: 5 });
      for (const entry of page.items) {
        assert.ok(entry.deadAt <= lastDeadAt, "newest first");
        lastDeadAt = entry.deadAt;
      }
      seen.push(...ids(page.items));
      cursor = page.nextCursor ?? undefined;
      pages++;
      assert.ok(pages < 10, "paging ends");
    } while (cursor);
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, 12);
    assert.deepEqual([...seen].sort(), ids(dead).sort());
  });

  // The stores read any id a cursor names (a store may hold ids `newId` did not make); the service
  // also refuses a cursor whose id is not one of its own (tests/list_cursors_test.ts: "1:zz").
  test("dlqList() and dlqListRefs() refuse a cursor of another shape than the stores give out, naming cursor", async (store) => {
    const dead = await deadLetter(store, makeTask("a"), { at: T0 + 5 });
    await deadLetter(store, makeTask("a"), { at: T0 + 6 });
    const { nextCursor } = await store.dlqList({}, { limit: 1 });
    assert.equal(nextCursor, `${T0 + 6}:${(await store.dlqList({}, { limit: 1 })).items[0].id}`);
    assert.deepEqual(ids((await store.dlqList({}, { cursor: nextCursor!, limit: 5 })).items), [
      dead.id,
    ]);
    for (const cursor of ["x:y", "1_", "1:", ":1", `${"9".repeat(17)}:${dead.id}`]) {
      for (
        const list of [
          () => store.dlqList({}, { cursor, limit: 5 }),
          () => store.dlqListRefs({}, { cursor, limit: 5 }),
        ]
      ) {
        await assert.rejects(
          list,
          (error: Error) =>
            error instanceof InvalidArgumentError &&
            error.violations.map((v) => v.field).join() === "cursor",
          cursor,
        );
      }
    }
  });

  test("a task queued again names no worker until one takes it: retry, postponed retry, requeue by hand and from the DLQ clear workerId; an ending attempt keeps its worker", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const [first] = await claim(store, "a", { owner: "w1" });
    assert.equal(first.workerId, "w1");
    await settle(store, first, { kind: "retry", runAt: T0, error: taskError(1) });
    const retried = (await store.taskGet(first.id))!;
    assert.deepEqual([retried.status, retried.workerId], ["pending", null]);
    assert.equal(retried.errors[0].workerId, "w1", "the failed attempt keeps its worker");

    const [second] = await claim(store, "a", { owner: "w2" });
    assert.equal(second.workerId, "w2");
    await settle(store, second, {
      kind: "retry",
      runAt: T0,
      error: taskError(2),
      postponed: true,
    });
    assert.equal((await store.taskGet(first.id))!.workerId, null, "postponed");

    const [third] = await claim(store, "a", { owner: "w3" });
    await settle(store, third, { kind: "failed", error: taskError(2) });
    assert.equal((await store.taskGet(first.id))!.workerId, "w3", "the attempt that ended it");
    const again = (await store.taskTransition(first.id, {
      from: "failed",
      to: "pending",
      now: T0 + 1,
      patch: { resetAttempts: true, runAt: T0 + 1 },
    }))!;
    assert.equal(again.workerId, null, "run again by hand");
    assert.equal((await store.taskGet(first.id))!.workerId, null);

    const dead = await deadLetter(store, makeTask("a"));
    assert.equal((await store.taskGet(dead.id))!.workerId, "w1");
    const requeued = (await store.dlqRequeue(dead.id, { now: T0 + 2 }))!;
    assert.equal(requeued.workerId, null, "requeued from the DLQ");
    assert.equal((await store.taskGet(dead.id))!.workerId, null);
  });

  test("taskTransition() with a leaseToken moves a running task only while it holds that lease, and keeps the patch's error", async (store) => {
    await store.taskInsert([makeTask("a")]);
    const [running] = await claim(store, "a", { owner: "w1" });
    const back = {
      from: "in_progress" as const,
      to: "pending" as const,
      now: T0 + 1,
      patch: {
        resetAttempts: true,
        runAt: T0 + 1,
        error: { attempt: 1, message: "Interrupted", at: T0 + 1, workerId: "w1", run: 1 },
      },
    };
    assert.equal(await store.taskTransition(running.id, { ...back, leaseToken: "other" }), null);
    const still = (await store.taskGet(running.id))!;
    assert.deepEqual(
      [still.status, still.workerId, still.leaseToken, still.errors],
      ["in_progress", "w1", running.leaseToken, []],
    );
    const moved = (await store.taskTransition(running.id, {
      ...back,
      leaseToken: running.leaseToken!,
    }))!;
    assert.deepEqual(
      [moved.status, moved.workerId, moved.leaseToken, moved.run, moved.attempt],
      ["pending", null, null, 2, 0],
    );
    assert.deepEqual(moved.errors, [back.patch.error]);
    assert.deepEqual((await store.taskGet(running.id))!.errors, [back.patch.error]);
  });

  test("dlqRequeue() puts the task back to pending from attempt zero, with new data", async (store) => {
    const dead = await deadLetter(store, makeTask("a", { data: { v: 1 } }));
    const requeued = (await store.dlqRequeue(dead.id, { now: T0 + 77, data: { v: 2 } }))!;
    assert.equal(requeued.id, dead.id);
    assert.equal(requeued.status, "pending");
    assert.equal(requeued.attempt, 0);
    assert.equal(requeued.runAt, T0 + 77);
    assert.equal(requeued.updatedAt, T0 + 77);
    assert.equal(requeued.leaseToken, null);
    assert.equal(requeued.leaseExpiresAt, null);
    assert.equal(requeued.completedAt, null);
    assert.deepEqual(requeued.data, { v: 2 });
    assert.deepEqual(await store.taskGet(dead.id), requeued);
    assert.equal(await store.dlqGet(dead.id), null);
    assert.equal(await store.dlqRequeue(dead.id, { now: T0 }), null);
    const [again] = await claim(store, "a", { now: T0 + 77 });
    assert.equal(again.id, dead.id);
    assert.equal(again.attempt, 1);

    const kept = await deadLetter(store, makeTask("a", { data: { keep: true } }));
    const same = (await store.dlqRequeue(kept.id, { now: T0 + 80 }))!;
    assert.deepEqual(same.data, { keep: true }, "data is kept when none is given");
  });

  test("dlqDelete() deletes the entry and its task", async (store) => {
    const dead = await deadLetter(store, makeTask("a"));
    assert.equal(await store.dlqDelete(dead.id), true);
    assert.equal(await store.dlqGet(dead.id), null);
    assert.equal(await store.taskGet(dead.id), null);
    assert.equal(await store.dlqDelete(dead.id), false);
  });

  test("dlqPurge() deletes every matching entry and its task", async (store) => {
    const a1 = await deadLetter(store, makeTask("a"), { reason: "timeout", at: T0 + 1 });
    const a2 = await deadLetter(store, makeTask("a"), { reason: "max_attempts", at: T0 + 2 });
    const b1 = await deadLetter(store, makeTask("b"), { reason: "timeout", at: T0 + 3 });
    assert.equal(await store.dlqPurge({ executorName: "a", reason: "timeout" }), 1);
    assert.equal(await store.taskGet(a1.id), null);
    assert.equal(await store.dlqPurge({ deadBefore: T0 + 3 }), 1);
    assert.equal(await store.taskGet(a2.id), null);
    assert.ok(await store.dlqGet(b1.id));
    const told: number[] = [];
    assert.equal(await store.dlqPurge({}, { onDeleted: (n) => told.push(n) }), 1);
    assert.deepEqual(told, [1], "each batch deleted is told");
    assert.equal(await store.taskGet(b1.id), null);
    assert.equal(await store.dlqPurge({}), 0);
  });

  // API keys ---------------------------------------------------------------------------------

  test("keyGet() reads a created key back as it was stored", async (store) => {
    const limited = makeKey();
    const open = makeKey({ scopes: ["admin"], executors: null, name: "ops — ünïcode" });
    assert.deepEqual(await store.keyCreate(limited), limited);
    await store.keyCreate(open);
    assert.deepEqual(await store.keyGet(limited.id), limited);
    assert.deepEqual(await store.keyGet(open.id), open);
    assert.equal(await store.keyGet("0000000000000000"), null);
  });

  test("keyCreate() refuses a taken id with ConflictError, a taken name is fine", async (store) => {
    const key = makeKey();
    await store.keyCreate(key);
    await assert.rejects(
      () => store.keyCreate(makeKey({ id: key.id, name: "other" })),
      ConflictError,
    );
    await store.keyCreate(makeKey({ name: key.name }));
    assert.equal((await store.keyList()).length, 2);
  });

  test("keyList() returns every key oldest first, revoked ones included; with valid, the others only", async (store) => {
    const later = makeKey({ createdAt: T0 + 2 });
    const first = makeKey({ createdAt: T0 });
    const middle = makeKey({ createdAt: T0 + 1, revokedAt: T0 + 5 });
    for (const key of [later, first, middle]) await store.keyCreate(key);
    assert.deepEqual(await store.keyList(), [first, middle, later]);
    assert.deepEqual(await store.keyList({ valid: true }), [first, later]);
    await store.keyRevoke(later.id, T0 + 6);
    assert.deepEqual(await store.keyList({ valid: true }), [first]);
  });

  test("keyListPage() pages keyList() oldest first, then by id, within limit and maxBytes, and refuses a cursor that is not one", async (store) => {
    const keys = [
      makeKey({ createdAt: T0 + 1 }),
      makeKey({ createdAt: T0 }),
      makeKey({ createdAt: T0 + 1 }),
      makeKey({ createdAt: T0 + 2, revokedAt: T0 + 3 }),
    ];
    for (const key of keys) await store.keyCreate(key);
    const all = await store.keyList();
    const seen = [];
    let cursor: string | undefined;
    do {
      const page = await store.keyListPage({ limit: 3, cursor });
      assert.ok(page.items.length <= 3);
      seen.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    assert.deepEqual(seen, all);
    const one = await store.keyListPage({ limit: 10, maxBytes: 1 });
    assert.deepEqual(one.items, [all[0]]);
    assert.equal(one.nextCursor, `${all[0].createdAt}:${all[0].id}`);
    await assert.rejects(
      () => store.keyListPage({ limit: 10, cursor: "1:x' OR 1=1" }),
      (error: Error) =>
        error instanceof InvalidArgumentError &&
        /^Invalid page: cursor: Must be a cursor from a previous page/.test(error.message),
    );
  });

  test("keyRevoke() sets revokedAt once and answers null for an unknown key", async (store) => {
    const key = makeKey();
    await store.keyCreate(key);
    assert.deepEqual(await store.keyRevoke(key.id, T0 + 10), { ...key, revokedAt: T0 + 10 });
    assert.equal((await store.keyRevoke(key.id, T0 + 20))?.revokedAt, T0 + 10);
    assert.equal((await store.keyGet(key.id))?.revokedAt, T0 + 10);
    assert.equal(await store.keyRevoke("0000000000000000", T0), null);
  });

  test("keyRevoke() refuses the last valid admin key (FailedPreconditionError) and revokes an admin key while another is valid", async (store) => {
    const first = makeKey({ scopes: ["admin"], executors: null });
    const second = makeKey({ scopes: ["read", "admin"], executors: null });
    const producer = makeKey();
    for (const key of [first, second, producer]) await store.keyCreate(key);
    assert.equal((await store.keyRevoke(second.id, T0 + 1))?.revokedAt, T0 + 1);
    await assert.rejects(
      () => store.keyRevoke(first.id, T0 + 2),
      (error: Error) =>
        error instanceof FailedPreconditionError &&
        error.message.includes("last valid admin key") &&
        error.message.includes("Create another admin key first"),
    );
    assert.equal((await store.keyGet(first.id))?.revokedAt, null);
    assert.equal((await store.keyRevoke(producer.id, T0 + 3))?.revokedAt, T0 + 3);
    assert.equal((await store.keyRevoke(second.id, T0 + 4))?.revokedAt, T0 + 1);
  });

  test("keyTouch() keeps the latest use of each key and ignores unknown ids", async (store) => {
    const a = makeKey();
    const b = makeKey();
    await store.keyCreate(a);
    await store.keyCreate(b);
    await store.keyTouch([]);
    await store.keyTouch([{ id: a.id, at: T0 + 50 }, { id: "0000000000000000", at: T0 }]);
    await store.keyTouch([{ id: a.id, at: T0 + 20 }, { id: b.id, at: T0 + 30 }]);
    assert.equal((await store.keyGet(a.id))?.lastUsedAt, T0 + 50);
    assert.equal((await store.keyGet(b.id))?.lastUsedAt, T0 + 30);
  });

  // Durability ---------------------------------------------------------------------------------

  const reopenSkip = options.ignore || (options.location ? null : "this store has no reopen hook");
  /** A case on a location the store is opened at more than once (skipped without the hook). */
  const reopenCase = (name: string, fn: (location: ReopenableLocation) => Promise<void>) =>
    Deno.test({
      ...skipUnless(`${label}: ${name}`, reopenSkip),
      sanitizeOps: sanitize,
      sanitizeResources: sanitize,
      fn: async () => {
        await using location = await options.location!();
        await fn(location);
      },
    });
  /**
   * Executor "victim" with more than a batch of tasks, beside "bystander" with one, and a forced
   * delete of "victim" begun at T0 by a store that stops half-way through it.
   */
  const leftHalfWay = async (location: ReopenableLocation) => {
    const old = makeExecutor("victim");
    const oldTasks = Array.from({ length: MORE_THAN_A_BATCH }, () => makeTask("victim"));
    const bystander = makeTask("bystander");
    const first = await location.open();
    await first.executorCreate(old);
    await first.executorCreate(makeExecutor("bystander"));
    await first.taskInsert([...oldTasks, bystander]);
    await stopHalfwayThroughForcedDelete(first, old.id, T0);
    return { last: oldTasks[MORE_THAN_A_BATCH - 1].id, bystander };
  };

  reopenCase(
    "keyRevoke() through two stores on one database at once, of the last two admin keys: one at least stays valid",
    async (location) => {
      await using one = await location.open();
      await using two = await location.open();
      const admin = () => makeKey({ scopes: ["admin"], executors: null });
      const validAdmins = async () =>
        (await one.keyList({ valid: true })).filter((k) => k.scopes.includes("admin"));
      let pair = [admin(), admin()];
      for (const key of pair) await one.keyCreate(key);
      for (let round = 1; round <= 5; round++) {
        const outcomes = await Promise.allSettled([
          one.keyRevoke(pair[0].id, T0 + round),
          two.keyRevoke(pair[1].id, T0 + round),
        ]);
        assert.ok(
          outcomes.every((o) =>
            o.status === "fulfilled" || o.reason instanceof FailedPreconditionError
          ),
          `round ${round}: ${outcomes.map((o) => o.status === "rejected" ? o.reason : "done")}`,
        );
        const left = await validAdmins();
        assert.ok(left.length >= 1, `round ${round}: no admin key left`);
        assert.equal(left.length, outcomes.filter((o) => o.status === "rejected").length);
        // The next round starts from two new admin keys and no other.
        pair = [admin(), admin()];
        for (const key of pair) await two.keyCreate(key);
        for (const key of left) await one.keyRevoke(key.id, T0 + round);
        assert.equal((await validAdmins()).length, 2);
      }
    },
  );

  reopenCase(
    "keyRevoke() through three stores on one database at once, two of one admin key and one of the last other: each answer is what the key ends as",
    async (location) => {
      await using one = await location.open();
      await using two = await location.open();
      await using three = await location.open();
      const admin = () => makeKey({ scopes: ["admin"], executors: null });
      let pair = [admin(), admin()];
      for (const key of pair) await one.keyCreate(key);
      for (let round = 1; round <= 30; round++) {
        const outcomes = await Promise.allSettled([
          one.keyRevoke(pair[0].id, T0 + round),
          two.keyRevoke(pair[1].id, T0 + round),
          three.keyRevoke(pair[0].id, T0 + round),
        ]);
        const ended = await Promise.all(pair.map(async (key) => (await one.keyGet(key.id))!));
        assert.ok(ended.some((key) => key.revokedAt === null), `round ${round}: no admin key left`);
        outcomes.forEach((outcome, i) => {
          const key = ended[i === 1 ? 1 : 0];
          if (outcome.status === "rejected") {
            assert.ok(outcome.reason instanceof FailedPreconditionError, String(outcome.reason));
          } else {
            assert.equal(
              outcome.value?.revokedAt,
              key.revokedAt ?? "valid",
              `round ${round}: revocation ${i} answered ${outcome.value?.revokedAt}, the key ends ${key.revokedAt}`,
            );
          }
        });
        // The next round starts from two new admin keys and no other.
        pair = [admin(), admin()];
        for (const key of pair) await two.keyCreate(key);
        for (const key of ended) if (key.revokedAt === null) await one.keyRevoke(key.id, T0);
      }
    },
  );

  reopenCase(
    "keyRevoke() and keyTouch() of the same keys through two stores on one database at once: every revocation stays",
    async (location) => {
      await using one = await location.open();
      await using two = await location.open();
      for (let round = 1; round <= 20; round++) {
        const keys = Array.from({ length: 5 }, () => makeKey({ scopes: ["producer"] }));
        for (const key of keys) await one.keyCreate(key);
        await Promise.all([
          ...keys.map((key) => one.keyRevoke(key.id, T0 + 100)),
          two.keyTouch(keys.map((key) => ({ id: key.id, at: T0 + 50 }))),
          two.keyTouch(keys.map((key) => ({ id: key.id, at: T0 + 60 }))),
        ]);
        for (const key of keys) {
          const ended = (await one.keyGet(key.id))!;
          assert.deepEqual(
            [ended.revokedAt, ended.lastUsedAt],
            [T0 + 100, T0 + 60],
            `round ${round}`,
          );
        }
      }
    },
  );

  reopenCase(
    "taskSettle() and taskTransition() through one store, leaseExtend() with progress through another, of the same tasks at once: every settlement and cancellation answered done stays",
    async (location) => {
      await using one = await location.open();
      await using two = await location.open();
      await one.executorCreate(makeExecutor("shared"));
      for (let round = 1; round <= 10; round++) {
        await one.taskInsert(Array.from({ length: 10 }, () => makeTask("shared", { runAt: T0 })));
        const leased = await one.taskClaim({
          executorName: "shared",
          limit: 10,
          leaseMs: 60_000,
          owner: "w",
          now: T0 + round,
          maxConcurrency: 0,
        });
        assert.equal(leased.length, 10);
        const settled = leased.slice(0, 5);
        const cancelled = leased.slice(5);
        const extend = (progress: number) =>
          two.leaseExtend(
            leased.map((task) => ({ taskId: task.id, leaseToken: task.leaseToken!, progress })),
            T0 + 90_000 + progress,
          );
        const [settles, , , cancels] = await Promise.all([
          one.taskSettle(
            settled.map((task) => ({
              taskId: task.id,
              leaseToken: task.leaseToken!,
              settlement: { kind: "completed", result: { round } },
            })),
            { now: T0 + 100 },
          ),
          extend(1),
          extend(2),
          Promise.all(
            cancelled.map((task) =>
              one.taskTransition(task.id, { from: "in_progress", to: "cancelled", now: T0 + 100 })
            ),
          ),
        ]);
        assert.deepEqual(settles, settled.map(() => true), `round ${round}`);
        assert.ok(cancels.every((task) => task?.status === "cancelled"), `round ${round}`);
        const ended = await Promise.all(leased.map(async (task) => (await two.taskGet(task.id))!));
        assert.deepEqual(
          ended.map((task) => [task.status, task.leaseToken]),
          [...settled.map(() => ["completed", null]), ...cancelled.map(() => ["cancelled", null])],
          `round ${round}`,
        );
      }
    },
  );

  reopenCase(
    "executorUpdate() through two stores on one database at once: of the updates of one version, one is stored, the others refused (ExecutorChangedError)",
    async (location) => {
      await using one = await location.open();
      await using two = await location.open();
      const made = await one.executorCreate(makeExecutor("shared"));
      for (let round = 1; round <= 5; round++) {
        const base = (await one.executorGet("shared"))!;
        const updates = [one, two, one, two].map((store, i) =>
          store.executorUpdate({
            ...base,
            timeout: round * 1_000 + i,
            updatedAt: base.updatedAt + 1,
          }, { basedOn: base.updatedAt })
        );
        const outcomes = await Promise.allSettled(updates);
        const stored = outcomes.filter((o) => o.status === "fulfilled");
        assert.equal(stored.length, 1, `round ${round}: ${outcomes.map((o) => o.status)}`);
        assert.ok(
          outcomes.every((o) =>
            o.status === "fulfilled" || o.reason instanceof ExecutorChangedError
          ),
        );
        assert.deepEqual(await two.executorGet("shared"), stored[0].value);
      }
      assert.equal((await one.executorGet("shared"))!.updatedAt, made.updatedAt + 5);
    },
  );

  reopenCase("data survives closing and reopening the store", async (location) => {
    const executor = makeExecutor("durable");
    const task = makeTask("durable", { data: { keep: "me" } });
    const dead = makeTask("durable");
    {
      await using first = await location.open();
      await first.executorCreate(executor);
      await first.taskInsert([task], { writeConcern: "journaled" });
      await deadLetter(first, dead);
    }
    {
      await using second = await location.open();
      assert.deepEqual(await second.executorGet("durable"), executor);
      const stored = (await second.taskGet(task.id))!;
      assert.deepEqual(stored.data, { keep: "me" });
      assert.equal((await second.dlqGet(dead.id))?.executorName, "durable");
      assert.deepEqual(ids(await claim(second, "durable")), [task.id]);
    }
  });

  reopenCase(
    "a delete a stopped manager left half-way keeps the name taken; the first create of the name the lease after finishes it, then stores the executor",
    async (location) => {
      const { last } = await leftHalfWay(location);

      // The next manager on the same data.
      await using second = await location.open();
      assert.equal(await second.executorGet("victim"), null);
      const early = T0 + EXECUTOR_DELETION_LEASE_MS - 1;
      const [refused] = await Promise.allSettled([
        second.executorCreate(makeExecutor("victim", { createdAt: early, updatedAt: early })),
      ]);
      assert.ok(
        refusedWhileDeleting(refused, "victim"),
        `a create within the lease: ${refused.status}`,
      );
      await assert.rejects(
        () => second.taskInsert([makeTask("victim")], { requireExecutors: true }),
        NotFoundError,
      );
      assert.ok(await second.taskGet(last), "the old tasks wait");

      const late = T0 + EXECUTOR_DELETION_LEASE_MS;
      const again = makeExecutor("victim", { createdAt: late, updatedAt: late });
      assert.deepEqual(await second.executorCreate(again), again);
      assert.deepEqual(
        (await second.taskList({ executorName: "victim" }, { limit: 10 })).items,
        [],
      );
      const task = makeTask("victim", { createdAt: late });
      assert.equal((await second.taskInsert([task], { requireExecutors: true }))[0].created, true);
      // The deletion is over: deleting the new executor and creating the name again at once works.
      assert.equal(await second.executorDelete(again.id, { force: true, now: late }), true);
      assert.equal(await second.taskGet(task.id), null);
      await second.executorCreate(makeExecutor("victim", { createdAt: late, updatedAt: late }));
    },
  );

  reopenCase(
    "executorDeletionsResume() finishes a delete a stopped manager left half-way once its lease passed, without a create of the name",
    async (location) => {
      const { last, bystander } = await leftHalfWay(location);
      await using second = await location.open();
      // Within the lease it may still be running on its manager: left alone.
      const early = T0 + EXECUTOR_DELETION_LEASE_MS - 1;
      assert.deepEqual(await second.executorDeletionsResume({ now: early }), []);
      assert.ok(await second.taskGet(last), "the old tasks wait within the lease");

      const late = T0 + EXECUTOR_DELETION_LEASE_MS;
      assert.deepEqual(await second.executorDeletionsResume({ now: late }), ["victim"]);
      assert.equal(await second.taskGet(last), null);
      assert.deepEqual(
        (await second.taskList({ executorName: "victim" }, { limit: 10 })).items,
        [],
      );
      assert.ok(await second.taskGet(bystander.id), "another executor's task stays");
      // The name is free at once, within what would have been the lease of a new deletion.
      const again = makeExecutor("victim", { createdAt: early, updatedAt: early });
      assert.deepEqual(await second.executorCreate(again), again);
      assert.deepEqual(await second.executorDeletionsResume({ now: late }), []);
    },
  );

  reopenCase(
    "executorDeletionsResume() deletes no further batch once its signal aborts: the deletion stays, for a later resume",
    async (location) => {
      const { last } = await leftHalfWay(location);
      await using second = await location.open();
      const late = T0 + EXECUTOR_DELETION_LEASE_MS;
      const stopped = AbortSignal.abort();
      assert.deepEqual(await second.executorDeletionsResume({ now: late, signal: stopped }), []);
      assert.ok(await second.taskGet(last), "a batch was deleted after the abort");
      if (second.kind === "mongo") {
        // Aborted during the sweep: its name's schedules go before its tasks.
        const stopping = new AbortController();
        interleaveOn(second.schedules, "deleteByExecutor", () => {
          stopping.abort();
          return Promise.resolve();
        });
        const signal = stopping.signal;
        assert.deepEqual(await second.executorDeletionsResume({ now: late, signal }), []);
        assert.ok(stopping.signal.aborted, "the sweep began");
        assert.ok(await second.taskGet(last), "a batch was deleted after the abort");
      }
      assert.deepEqual(await second.executorDeletionsResume({ now: late }), ["victim"]);
      assert.equal(await second.taskGet(last), null);
    },
  );
}
