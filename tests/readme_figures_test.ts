/**
 * Figures README states about background cadences, pinned to the constants the code runs on: a
 * change to either fails here until README says the new figure.
 */
import assert from "node:assert/strict";
import { EXECUTOR_RELOAD_MS } from "../server/engine/executor_cache.ts";
import { RETENTION_SWEEP_MS } from "../server/engine/retention.ts";
import { DEFAULT_LIMITS } from "../server/domain/limits.ts";
import { backstopMs } from "../server/service/validation_pool.ts";
import { WATCHDOG_CHECK_MS } from "../server/service/validation_watchdog.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));
/** README as one line: its sentences wrap anywhere. */
const TEXT = README.replace(/\s+/g, " ");

Deno.test("README states the retention sweep's cadence as the code runs it", () => {
  assert.equal(RETENTION_SWEEP_MS, 60_000, "README says once a minute");
  assert.match(
    TEXT,
    /The cleaner sweeps once a minute: its first sweep one minute after the start/,
  );
});

Deno.test("README's rate limit bound states the window in which another manager's change is not yet applied", () => {
  assert.equal(EXECUTOR_RELOAD_MS, 3000, "README says 3 s");
  assert.match(
    TEXT,
    /no window of one period ever holds more than `limit \+ burst` starts, `limit` and `burst` being what each claim was given\./,
  );
  assert.match(
    TEXT,
    /their next executor reload, which comes 3 s after the one before ended \(`EXECUTOR_RELOAD_MS`\)/,
  );
  assert.match(TEXT, /reloaded every 3 s and at its own changes/);
});

Deno.test("README states the validation budget's watchdog cadence and the backstop as the code runs them", () => {
  assert.equal(WATCHDOG_CHECK_MS, 10, "README says every 10 ms");
  assert.match(TEXT, /reads the process's CPU time every 10 ms/);
  assert.equal(backstopMs(1), 5000);
  assert.equal(backstopMs(DEFAULT_LIMITS.validationMs), 5000, "README says 5 s for a task's data");
  assert.equal(backstopMs(DEFAULT_LIMITS.schemaCompileMs), 20_000, "README says 20 s for a schema");
  assert.match(
    TEXT,
    /10 budgets, at least 5 s \(5 s for a task's data, 20 s for a schema, by default\)/,
  );
});
