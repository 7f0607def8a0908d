import assert from "node:assert/strict";
import { UnavailableError } from "../domain/errors.ts";
import {
  backstopMs,
  ITEMS_PER_MESSAGE,
  SchemaCompileError,
  ValidationCrashError,
  ValidationPool,
  ValidationStalledError,
  ValidationTimeoutError,
} from "./validation_pool.ts";
import {
  mixed,
  nested,
  RECURSIVE_SCHEMA as RECURSIVE,
  SLOW,
} from "../../tests/fixtures/slow_schemas.ts";

Deno.test("validate() names the item of a batch that ran past its budget", async () => {
  const pool = new ValidationPool({ validationMs: 100, compileMs: 5000 });
  try {
    const error = await pool.validate("e1", 1, RECURSIVE, [1, 2, nested(30), 3]).then(
      () => assert.fail("The batch validated"),
      (error) => error,
    );
    assert.ok(error instanceof ValidationTimeoutError, String(error));
    assert.equal(error.index, 2);
    assert.equal(error.budgetMs, 100);
    // The replacement worker compiles the schema again and answers.
    assert.deepEqual(await pool.validate("e1", 1, RECURSIVE, [1, 2]), [[], []]);
    assert.equal(pool.stats().timeouts, 1);
  } finally {
    await pool.close();
  }
});

Deno.test("validate() lists at most 100 violations per job and stops checking there", async () => {
  const pool = new ValidationPool({ validationMs: 5000, compileMs: 5000 });
  try {
    const results = await pool.validate("e1", 1, RECURSIVE, [nested(8), nested(8), "x"]);
    assert.equal(results.flat().length, 100);
    assert.deepEqual(results.slice(1), [[], []]);
  } finally {
    await pool.close();
  }
});

Deno.test("compile() names the fault inside the schema; a new version replaces the old", async () => {
  const pool = new ValidationPool({ validationMs: 5000, compileMs: 5000 });
  try {
    const error = await pool.compile({ properties: { a: { pattern: "(x)\\1" } } }, "e").then(
      () => assert.fail("The schema compiled"),
      (error) => error,
    );
    assert.ok(error instanceof SchemaCompileError, String(error));
    assert.equal(error.pointer, "/properties/a/pattern");
    assert.equal((await pool.validate("e1", 1, { type: "integer" }, ["x"]))[0].length, 1);
    assert.deepEqual(await pool.validate("e1", 2, { type: "string" }, ["x"]), [[]]);
    assert.equal(pool.stats().validators, 1);
    pool.forget("e1");
    assert.equal(pool.stats().validators, 0);
  } finally {
    await pool.close();
  }
});

Deno.test("close() fails the jobs not finished, and later ones", async () => {
  const pool = new ValidationPool({ validationMs: 5000, compileMs: 5000 });
  const waiting = assert.rejects(pool.validate("e1", 1, { type: "string" }, ["x"]), /closed/);
  await pool.close();
  await waiting;
  await assert.rejects(pool.compile({}, "e"), /closed/);
  assert.equal(pool.stats().workers, 0);
});

Deno.test("a process that runs out of memory fails only its job's item; the next job runs", async () => {
  const pool = new ValidationPool({ validationMs: 120_000, compileMs: 5000 });
  try {
    const error = await pool.validate("e1", 1, RECURSIVE, [1, nested(30)]).then(
      () => assert.fail("The batch validated"),
      (error) => error,
    );
    assert.ok(error instanceof ValidationCrashError, String(error));
    assert.equal(error.index, 1);
    assert.deepEqual(await pool.validate("e1", 1, RECURSIVE, [5]), [[]]);
  } finally {
    await pool.close();
  }
});

Deno.test("executors take turns: a slow executor's queue holds up another's job by one job at most, not by all of it", async () => {
  const pool = new ValidationPool({ validationMs: 300, compileMs: 5000, size: 2 });
  try {
    // Each of these runs to its 300 ms budget (RECURSIVE on deep data).
    const done: string[] = [];
    const slow = Array.from(
      { length: 6 },
      (_, i) =>
        pool.validate("slow", 1, RECURSIVE, [nested(30)]).then(
          () => done.push(`slow ${i}`),
          () => done.push(`slow ${i}`),
        ),
    );
    const fast = pool.validate("fast", 1, RECURSIVE, [1]).then(() => done.push("fast"));
    await Promise.all([fast, ...slow]);
    // Both processes take a slow job; the first to come free takes the fast one, not "slow 2".
    // The shared queue ran it after all six.
    assert.ok(done.indexOf("fast") <= 2, done.join(", "));
    assert.equal(done.length, 7);
  } finally {
    await pool.close();
  }
});

Deno.test("a job of slow items gives up its process after each slice: another executor's job runs before the rest of the batch, and a later item that overruns is named by its place in the batch", async () => {
  const pool = new ValidationPool({ validationMs: 1000, compileMs: 5000, size: 1 });
  const { schema } = SLOW.letters;
  try {
    const done: string[] = [];
    // Each item takes ~150 ms here, past a slice (VALIDATION_SLICE_MS), and breaks the pattern.
    const item = { s: mixed(10_000) };
    const slow = pool.validate("slow", 1, schema, [item, item, item]).then((results) => {
      done.push("slow");
      return results;
    });
    const fast = pool.validate("fast", 1, RECURSIVE, [1]).then(() => done.push("fast"));
    const [results] = await Promise.all([slow, fast]);
    // One process: before, the fast job waited for all three slow items.
    assert.deepEqual(done, ["fast", "slow"]);
    assert.deepEqual(results.map((found) => found.map((v) => v.field)), [["/s"], ["/s"], ["/s"]]);

    // The third item (~3 s) runs past its budget in the job's third slice: named as item 2.
    const error = await pool.validate("slow", 1, schema, [item, item, { s: mixed(500_000) }])
      .then(() => assert.fail("The batch validated"), (error) => error);
    assert.ok(error instanceof ValidationTimeoutError, String(error));
    assert.equal(error.index, 2);
  } finally {
    await pool.close();
  }
});

Deno.test(`a job of more than ${ITEMS_PER_MESSAGE} items is sent in parts and answered whole, in order, its 100 violations counted over all of them`, async () => {
  const pool = new ValidationPool({ validationMs: 5000, compileMs: 5000, size: 1 });
  try {
    const length = 2 * ITEMS_PER_MESSAGE + 88;
    // Every string breaks the schema; past the 100th violation nothing more is checked.
    const strings = Array.from({ length }, (_, i) => `x${i}`);
    const all = await pool.validate("e1", 1, { type: "integer" }, strings);
    assert.equal(all.length, length);
    assert.equal(all.flat().length, 100);
    assert.deepEqual(all.slice(100), Array.from({ length: length - 100 }, () => []));
    // Only the last items break it: each result in its place.
    const tail = Array.from({ length }, (_, i) => (i < length - 3 ? i : `x${i}`));
    const results = await pool.validate("e1", 1, { type: "integer" }, tail);
    assert.deepEqual(
      results.flatMap((found, i) => (found.length > 0 ? [i] : [])),
      [length - 3, length - 2, length - 1],
    );
  } finally {
    await pool.close();
  }
});

Deno.test("a job whose first part finds 100 violations is answered then: its other parts take no turn", async () => {
  const pool = new ValidationPool({ validationMs: 5000, compileMs: 5000, size: 1 });
  try {
    const done: string[] = [];
    const strings = Array.from({ length: 3 * ITEMS_PER_MESSAGE }, (_, i) => `x${i}`);
    const many = pool.validate("a", 1, { type: "integer" }, strings).then((results) => {
      done.push("a");
      return results;
    });
    const other = pool.validate("b", 1, { type: "integer" }, [1]).then(() => done.push("b"));
    const [results] = await Promise.all([many, other]);
    // Had its other parts waited for their turns, "b" would have gone between them.
    assert.deepEqual(done, ["a", "b"]);
    assert.equal(results.length, 3 * ITEMS_PER_MESSAGE);
    assert.equal(results.flat().length, 100);
  } finally {
    await pool.close();
  }
});

Deno.test("a job whose client went away leaves the queue at once, or takes no further turn once its running part is answered: it rejects UnavailableError", async () => {
  const pool = new ValidationPool({ validationMs: 5000, compileMs: 5000, size: 1 });
  try {
    // The one process started and holding the schema: the next job is sent to it at once.
    assert.deepEqual(await pool.validate("a", 1, { type: "integer" }, [1]), [[]]);
    const running = new AbortController();
    const first = pool.validate(
      "a",
      1,
      { type: "integer" },
      Array.from({ length: 3 * ITEMS_PER_MESSAGE }, (_, i) => i),
      running.signal,
    );
    const waiting = new AbortController();
    const second = pool.validate("a", 1, { type: "integer" }, [1, 2], waiting.signal);
    assert.deepEqual([pool.stats().running, pool.stats().queued], [1, 1]);
    waiting.abort();
    await assert.rejects(second, UnavailableError);
    assert.equal(pool.stats().queued, 0, "it left the queue");
    running.abort();
    await assert.rejects(first, UnavailableError);
    assert.deepEqual(
      [pool.stats().running, pool.stats().queued],
      [0, 0],
      "no part was queued again",
    );
    await assert.rejects(
      pool.validate("a", 1, { type: "integer" }, [1], AbortSignal.abort()),
      UnavailableError,
    );
    assert.deepEqual(
      await pool.validate("a", 1, { type: "integer" }, ["x"]).then((r) => r[0].length),
      1,
    );
  } finally {
    await pool.close();
  }
});

Deno.test("the manager's thread held busy past a step's budget does not make the step overrun when the process answered in time", async () => {
  const pool = new ValidationPool({ validationMs: 100, compileMs: 5000 });
  try {
    // Started, with the schema compiled: the next job is one quick step.
    assert.deepEqual(await pool.validate("e1", 1, { type: "integer" }, [1]), [[]]);
    for (let round = 0; round < 5; round++) {
      const checked = pool.validate("e1", 1, { type: "integer" }, [round]);
      // The thread is held four budgets long (other requests' work): the answer, written within
      // a millisecond, waits unread meanwhile.
      const end = performance.now() + 400;
      while (performance.now() < end) { /* busy */ }
      assert.deepEqual(await checked, [[]], `round ${round}`);
    }
    assert.equal(pool.stats().timeouts, 0);
  } finally {
    await pool.close();
  }
});

/** A pool of one process, started and holding `schema` for executor "e1" as of version 1. */
async function warmPool(validationMs: number, schema: unknown) {
  const pool = new ValidationPool({ validationMs, compileMs: 5000, size: 1 });
  assert.deepEqual(await pool.validate("e1", 1, schema, [1]), [[]]);
  const [pid] = pool.stats().pids;
  return { pool, pid };
}

/** Resolves after `ms`. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("a validation process starved of CPU for many budgets is not refused: the budget is its CPU time, not the wall clock's", async () => {
  const { pool, pid } = await warmPool(100, { type: "integer" });
  try {
    // Stopped, the process gets no CPU at all: a loaded machine in the extreme.
    Deno.kill(pid, "SIGSTOP");
    // Settled either way, so that a refusal while the process is stopped fails the test below.
    const checked = pool.validate("e1", 1, { type: "integer" }, [1, "x", 3])
      .then((results) => results, (error: Error) => error);
    await sleep(10 * 100);
    Deno.kill(pid, "SIGCONT");
    const results = await checked;
    if (results instanceof Error) assert.fail(`Refused: ${results}`);
    assert.deepEqual(results.map((found) => found.length), [0, 1, 0]);
    assert.equal(pool.stats().timeouts, 0);
    assert.deepEqual(pool.stats().pids, [pid], "the same process answered");
  } finally {
    await pool.close();
  }
});

Deno.test(`a validation process that does not answer within the backstop (${backstopMs(100)} ms for a budget of 100 ms) is killed and its job fails "busy, retry" (UnavailableError), not as data too slow to check`, async () => {
  const { pool, pid } = await warmPool(100, { type: "integer" });
  try {
    Deno.kill(pid, "SIGSTOP");
    const error = await pool.validate("e1", 1, { type: "integer" }, [1, 2]).then(
      () => assert.fail("The data validated"),
      (error) => error,
    );
    assert.ok(error instanceof ValidationStalledError, String(error));
    assert.ok(error instanceof UnavailableError);
    assert.ok(!(error instanceof ValidationTimeoutError));
    assert.equal(error.index, 0);
    assert.match(error.message, /could not be validated in time: the manager is busy; retry/);
    assert.deepEqual([pool.stats().timeouts, pool.stats().stalls], [0, 1]);
    // The stopped process was killed (SIGKILL ends a stopped process); another one answers.
    assert.deepEqual(
      await pool.validate("e1", 1, { type: "integer" }, ["x"]).then((r) => r[0].length),
      1,
    );
    assert.notEqual(pool.stats().pids[0], pid);
  } finally {
    await pool.close();
  }
});
