/**
 * Unit tests of executor configuration parsing: defaults, updates on top of a base, and every
 * kind of bad field reported with its JSON pointer.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "./errors.ts";
import type { NumberBound } from "./flow.ts";
import {
  DEFAULT_EXECUTOR_CONFIG,
  DURATION_MESSAGE,
  durationMs,
  EXECUTOR_BOUNDS,
  EXECUTOR_NAME_PATTERN,
  type ExecutorConfig,
  executorInUseError,
  MIN_TIMEOUT_MS,
  NAME_MESSAGE,
  parseExecutorConfig,
} from "./executor.ts";

/** The violations `parseExecutorConfig` reports for `input`, as `pointer: message` pairs. */
function violations(input: unknown, options?: Parameters<typeof parseExecutorConfig>[1]) {
  try {
    parseExecutorConfig(input, options);
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError, "throws InvalidArgumentError");
    return error.violations.map((v) => `${v.field}: ${v.message}`);
  }
  assert.fail("the configuration was accepted");
}

/** What a refused retry type and write concern level are told to be (`protoEnumMessage`). */
const RETRY_TYPES = "constant, linear, exponential, or one by the proto's name " +
  "(RETRY_POLICY_TYPE_CONSTANT, …) or number (1, 2, 3)";
const LEVELS = "unacknowledged, replica_acknowledged, journaled, majority, or one by the " +
  "proto's name (WRITE_CONCERN_LEVEL_UNACKNOWLEDGED, …) or number (3, 1, 4, 2)";

Deno.test("parseExecutorConfig() fills every field left out with the defaults", () => {
  const config = parseExecutorConfig({ name: "send_email" });
  assert.deepEqual(config, { name: "send_email", ...DEFAULT_EXECUTOR_CONFIG });
  assert.equal(config.writeConcern.level, "journaled");
  assert.equal(config.dlqConfig.queueName, "dlq");
  assert.equal(config.maxConcurrency, 0);
});

Deno.test("parseExecutorConfig() keeps every field that is given", () => {
  const input = {
    name: "resize.image-2",
    enabled: false,
    writeConcern: { level: "majority" },
    retryPolicy: {
      type: "linear",
      maxAttempts: 7,
      interval: 250,
      maxInterval: 10_000,
      multiplier: 1.5,
      jitter: 0.2,
    },
    dlqConfig: { enabled: false, queueName: "images_dlq" },
    taskSchema: { type: "object", required: ["url"] },
    timeout: 120_000,
    maxConcurrency: 16,
    rateLimit: { limit: 20, period: 1000, burst: 5 },
    rateLimitPerKey: { limit: 2, period: 60_000, burst: 2 },
    maxConcurrencyPerKey: 3,
    groupKeyPointer: "/customer/id",
  };
  assert.deepEqual(parseExecutorConfig(input), input);
});

Deno.test("parseExecutorConfig() fills a partial retry policy from the defaults", () => {
  const config = parseExecutorConfig({ name: "a", retryPolicy: { maxAttempts: 9 } });
  assert.deepEqual(config.retryPolicy, { ...DEFAULT_EXECUTOR_CONFIG.retryPolicy, maxAttempts: 9 });
});

Deno.test("parseExecutorConfig() treats null fields as left out", () => {
  const config = parseExecutorConfig({
    name: "a",
    enabled: null,
    timeout: null,
    retryPolicy: null,
    writeConcern: { level: "" },
    dlqConfig: { queueName: "" },
  });
  assert.deepEqual(config, { name: "a", ...DEFAULT_EXECUTOR_CONFIG });
});

Deno.test("parseExecutorConfig() updates on top of a base configuration", () => {
  const base: ExecutorConfig = {
    ...structuredClone(DEFAULT_EXECUTOR_CONFIG),
    name: "existing",
    timeout: 5000,
    retryPolicy: { ...DEFAULT_EXECUTOR_CONFIG.retryPolicy, type: "constant", interval: 42 },
  };
  const config = parseExecutorConfig({ maxConcurrency: 3, retryPolicy: { maxAttempts: 2 } }, {
    base,
  });
  assert.equal(config.name, "existing", "the name is not required on update");
  assert.equal(config.timeout, 5000);
  assert.equal(config.maxConcurrency, 3);
  assert.deepEqual(config.retryPolicy, { ...base.retryPolicy, maxAttempts: 2 });
  assert.equal(base.retryPolicy.maxAttempts, 3, "the base is not changed");
});

Deno.test("parseExecutorConfig() accepts a boolean or null task schema", () => {
  assert.equal(parseExecutorConfig({ name: "a", taskSchema: true }).taskSchema, true);
  assert.equal(parseExecutorConfig({ name: "a", taskSchema: false }).taskSchema, false);
  assert.equal(parseExecutorConfig({ name: "a", taskSchema: null }).taskSchema, null);
});

Deno.test("parseExecutorConfig() refuses input that is not an object", () => {
  for (const input of [null, undefined, "a", 3, ["name"]]) {
    assert.deepEqual(violations(input), ["/config: Must be an object"], String(input));
  }
});

Deno.test("parseExecutorConfig() requires a name on create", () => {
  assert.deepEqual(violations({}), ["/config/name: Is required"]);
});

Deno.test("parseExecutorConfig() refuses a badly formed name", () => {
  for (const name of ["Send", "with space", "", "a".repeat(129), 7, "émail", ".", ".."]) {
    assert.deepEqual(violations({ name }), [
      `/config/name: ${NAME_MESSAGE}`,
    ], String(name));
  }
  assert.ok(EXECUTOR_NAME_PATTERN.test("a".repeat(128)));
  for (const name of ["...", ".a", "a..", "v1.2"]) {
    assert.ok(EXECUTOR_NAME_PATTERN.test(name), name);
  }
});

Deno.test("parseExecutorConfig() names unknown fields at every level", () => {
  assert.deepEqual(
    violations({
      name: "a",
      colour: "red",
      retryPolicy: { backoff: 2 },
      dlqConfig: { ttl: 1 },
      writeConcern: { w: 1 },
    }),
    [
      "/config/colour: Unknown field",
      "/config/retryPolicy/backoff: Unknown field",
      "/config/dlqConfig/ttl: Unknown field",
      "/config/writeConcern/w: Unknown field",
    ],
  );
});

Deno.test("parseExecutorConfig() refuses numbers out of range or of the wrong kind", () => {
  assert.deepEqual(
    violations({
      name: "a",
      timeout: 0,
      maxConcurrency: 1.5,
      retryPolicy: {
        maxAttempts: 0,
        interval: -1,
        maxInterval: "10 seconds",
        multiplier: 0.5,
        jitter: 2,
      },
    }),
    [
      "/config/retryPolicy/maxAttempts: Must be between 1 and 1000",
      "/config/retryPolicy/interval: Must be between 0 ms and 2592000000 ms",
      `/config/retryPolicy/maxInterval: ${DURATION_MESSAGE}`,
      "/config/retryPolicy/multiplier: Must be between 1 and 100",
      "/config/retryPolicy/jitter: Must be between 0 and 1",
      "/config/timeout: Must be between 300 ms and 2592000000 ms",
      "/config/maxConcurrency: Must be a whole number",
    ],
  );
  assert.deepEqual(violations({ name: "a", retryPolicy: { maxAttempts: 2.5 } }), [
    "/config/retryPolicy/maxAttempts: Must be a whole number",
  ]);
  assert.deepEqual(violations({ name: "a", retryPolicy: { multiplier: Number.NaN } }), [
    "/config/retryPolicy/multiplier: Must be a number",
  ]);
  assert.equal(violations({ name: "a", timeout: Number.NaN }).length, 1);
});

Deno.test("parseExecutorConfig() refuses unknown choices and wrong types", () => {
  assert.deepEqual(
    violations({
      name: "a",
      enabled: "yes",
      retryPolicy: { type: "fibonacci" },
      writeConcern: { level: "quorum" },
      dlqConfig: { enabled: 1, queueName: "Bad Name" },
      taskSchema: "string",
    }),
    [
      `/config/retryPolicy/type: Must be one of ${RETRY_TYPES}, not "fibonacci"`,
      "/config/dlqConfig/enabled: Must be true or false",
      `/config/dlqConfig/queueName: ${NAME_MESSAGE}`,
      `/config/writeConcern/level: Must be one of ${LEVELS}, not "quorum"`,
      "/config/taskSchema: Must be a JSON Schema object, a boolean or null",
      "/config/enabled: Must be true or false",
    ],
  );
});

Deno.test("parseExecutorConfig() refuses nested fields that are not objects", () => {
  assert.deepEqual(violations({ name: "a", retryPolicy: 3, dlqConfig: [], writeConcern: "j" }), [
    "/config/retryPolicy: Must be an object",
    "/config/dlqConfig: Must be an object",
    "/config/writeConcern: Must be an object",
  ]);
});

Deno.test("parseExecutorConfig() puts its pointers under the given prefix", () => {
  assert.deepEqual(violations({ name: "a", timeout: -5 }, { pointer: "" }), [
    "/timeout: Must be between 300 ms and 2592000000 ms",
  ]);
  assert.deepEqual(violations(7, { pointer: "/executor" }), ["/executor: Must be an object"]);
});

Deno.test("parseExecutorConfig() names every bad field in the error message", () => {
  try {
    parseExecutorConfig({ name: "A", timeout: 0 });
    assert.fail("accepted");
  } catch (error) {
    assert.ok(error instanceof InvalidArgumentError);
    assert.match(error.message, /^Invalid executor configuration: /);
    assert.match(error.message, /\/config\/name: /);
    assert.match(error.message, /\/config\/timeout: /);
  }
});

Deno.test('parseExecutorConfig() reads proto3 JSON durations: ms, "1.5s" and {seconds, nanos}', () => {
  const policy = (interval: unknown) =>
    parseExecutorConfig({ name: "a", retryPolicy: { interval } }).retryPolicy.interval;
  assert.equal(policy(1500), 1500);
  assert.equal(policy("5s"), 5000);
  assert.equal(policy("0.250s"), 250);
  assert.equal(policy({ seconds: 3, nanos: 0 }), 3000);
  assert.equal(policy({ seconds: "2", nanos: 500_000_000 }), 2500);
  assert.equal(parseExecutorConfig({ name: "a", timeout: "30s" }).timeout, 30_000);
  assert.deepEqual(
    violations({ name: "a", timeout: "5 minutes", retryPolicy: { maxInterval: { hours: 1 } } }),
    [
      `/config/retryPolicy/maxInterval: ${DURATION_MESSAGE}`,
      `/config/timeout: ${DURATION_MESSAGE}`,
    ],
  );
  assert.deepEqual(violations({ name: "a", timeout: "-1s" }).length, 1);
});

Deno.test("parseExecutorConfig() takes durations in whole ms only, a timeout of 300 ms at least and maxInterval 0 or at least interval", () => {
  // A finer part is refused in every form, not stored as 3000.0005 nor rounded.
  assert.deepEqual(
    violations({
      name: "a",
      timeout: { seconds: 3, nanos: 500 },
      retryPolicy: { interval: 0.25, maxInterval: "1.0005s" },
      rateLimit: { limit: 1, period: 1.5 },
    }),
    [
      `/config/retryPolicy/interval: ${DURATION_MESSAGE}`,
      `/config/retryPolicy/maxInterval: ${DURATION_MESSAGE}`,
      `/config/timeout: ${DURATION_MESSAGE}`,
      `/config/rateLimit/period: ${DURATION_MESSAGE}`,
    ],
  );
  assert.deepEqual(violations({ name: "a", timeout: 1.5 }), [
    `/config/timeout: ${DURATION_MESSAGE}`,
  ]);
  // Whole ms in every form are exact: "0.007s" is 7, not 7.000000000000001.
  const config = parseExecutorConfig({
    name: "a",
    timeout: { seconds: 1, nanos: 7_000_000 },
    retryPolicy: { interval: "0.007s", maxInterval: "1.000000000s" },
  });
  assert.deepEqual(
    [config.timeout, config.retryPolicy.interval, config.retryPolicy.maxInterval],
    [1007, 7, 1000],
  );
  // The timeout is the lease: shorter than MIN_TIMEOUT_MS no heartbeat keeps it.
  assert.equal(MIN_TIMEOUT_MS, 300);
  assert.deepEqual(violations({ name: "a", timeout: 1 }), [
    "/config/timeout: Must be between 300 ms and 2592000000 ms",
  ]);
  assert.equal(parseExecutorConfig({ name: "a", timeout: 300 }).timeout, 300);
  // maxInterval bounds the delays: below interval it would cut every one of them.
  assert.deepEqual(violations({ name: "a", retryPolicy: { interval: 1000, maxInterval: 10 } }), [
    "/config/retryPolicy/maxInterval: Must be 0 (no bound) or at least interval (1000 ms)",
  ]);
  // An interval alone above the bound in force (the default 60 s here) lifts it: a worker's
  // retry policy, or the original interface, which has no maxInterval, sends it so.
  assert.equal(
    parseExecutorConfig({ name: "a", retryPolicy: { interval: 120_000 } }).retryPolicy
      .maxInterval,
    0,
  );
  assert.equal(
    parseExecutorConfig({ name: "a", retryPolicy: { interval: 1000, maxInterval: 0 } })
      .retryPolicy.maxInterval,
    0,
  );
});

Deno.test("parseExecutorConfig() updates an executor stored before the duration rules: what is not sent, or is sent back as stored, is not judged", () => {
  const old = {
    ...parseExecutorConfig({ name: "a" }),
    timeout: 3000.0005,
    retryPolicy: { ...DEFAULT_EXECUTOR_CONFIG.retryPolicy, interval: 1000, maxInterval: 10 },
  };
  const updated = parseExecutorConfig({ enabled: false }, { base: old });
  assert.equal(updated.enabled, false);
  assert.equal(updated.timeout, 3000.0005);
  assert.equal(updated.retryPolicy.maxInterval, 10);
  // Sent back as stored (the admin page's form sends every field), nothing is judged.
  const resent = parseExecutorConfig({
    enabled: true,
    timeout: 3000.0005,
    retryPolicy: { interval: 1000, maxInterval: 10 },
  }, { base: old });
  assert.deepEqual(
    [resent.timeout, resent.retryPolicy.interval, resent.retryPolicy.maxInterval],
    [3000.0005, 1000, 10],
  );
  assert.equal(
    parseExecutorConfig({ timeout: 100 }, { base: { ...old, timeout: 100 } }).timeout,
    100,
  );
  // A changed pair is judged: an interval alone lifts the bound, a bound sent is refused.
  assert.equal(
    parseExecutorConfig({ retryPolicy: { interval: 500 } }, { base: old }).retryPolicy.maxInterval,
    0,
  );
  assert.deepEqual(
    violations({ retryPolicy: { interval: 500, maxInterval: 10 } }, { base: old }),
    ["/config/retryPolicy/maxInterval: Must be 0 (no bound) or at least interval (500 ms)"],
  );
  assert.equal(violations({ timeout: 200 }, { base: old }).length, 1);
});

Deno.test("parseExecutorConfig() reads enums by name, proto name and the earlier system's numbers", () => {
  const read = (type: unknown, level: unknown) => {
    const config = parseExecutorConfig({
      name: "a",
      retryPolicy: { type },
      writeConcern: { level },
    });
    return [config.retryPolicy.type, config.writeConcern.level];
  };
  assert.deepEqual(read("linear", "majority"), ["linear", "majority"]);
  assert.deepEqual(read("RETRY_POLICY_EXPONENTIAL", "WRITE_CONCERN_MAJORITY"), [
    "exponential",
    "majority",
  ]);
  assert.deepEqual(read("RETRY_POLICY_TYPE_CONSTANT", "WRITE_CONCERN_LEVEL_JOURNALED"), [
    "constant",
    "journaled",
  ]);
  assert.deepEqual(read(1, 1), ["constant", "replica_acknowledged"]);
  assert.deepEqual(read(2, 2), ["linear", "majority"]);
  assert.deepEqual(read(3, 3), ["exponential", "unacknowledged"]);
  assert.deepEqual(read(3, 4), ["exponential", "journaled"]);
  // A number as text too, as a task status takes it (`protoEnumOf`).
  assert.deepEqual(read("2", "4"), ["linear", "journaled"]);
  assert.deepEqual(read("EXPONENTIAL", "MAJORITY"), ["exponential", "majority"]);
  // 0 and UNSPECIFIED are "not set": the defaults stay.
  assert.deepEqual(read(0, "WRITE_CONCERN_UNSPECIFIED"), ["exponential", "journaled"]);
  assert.deepEqual(
    violations({
      name: "a",
      retryPolicy: { type: 7 },
      writeConcern: { level: "WRITE_CONCERN_FAST" },
    }),
    [
      `/config/retryPolicy/type: Must be one of ${RETRY_TYPES}, not 7`,
      `/config/writeConcern/level: Must be one of ${LEVELS}, not "WRITE_CONCERN_FAST"`,
    ],
  );
});

Deno.test("durationMs() reads a Duration object only when its nanos carry the sign of its seconds", () => {
  assert.equal(durationMs({ seconds: -1, nanos: -500_000_000 }), -1500);
  assert.equal(durationMs({ seconds: 0, nanos: -500_000_000 }), -500);
  assert.equal(durationMs({ seconds: 1, nanos: -500_000_000 }), undefined);
  assert.equal(durationMs({ seconds: -1, nanos: 500_000_000 }), undefined);
});

Deno.test("EXECUTOR_BOUNDS is what parseExecutorConfig holds each number to: min and max are taken, one step past either is refused naming the field, and a fraction where it says integer", () => {
  /** A configuration with `value` at `path` (a rate limit's other fields valid). */
  const at = (path: string[], value: number): Record<string, unknown> => {
    const [head, field] = path;
    if (field === undefined) return { name: "a", [head]: value };
    if (head.startsWith("rateLimit")) {
      return { name: "a", [head]: { limit: 5, period: 1000, [field]: value } };
    }
    return { name: "a", [head]: { [field]: value } };
  };
  const leaves: [string[], NumberBound][] = Object.entries(EXECUTOR_BOUNDS).flatMap((
    [key, bound]: [string, NumberBound | Record<string, NumberBound>],
  ) =>
    "min" in bound
      ? [[[key], bound as NumberBound]]
      : Object.entries(bound).map(([field, b]): [string[], NumberBound] => [[key, field], b])
  );
  assert.equal(leaves.length, 14);
  for (const [path, bound] of leaves) {
    const pointer = `/config/${path.join("/")}`;
    parseExecutorConfig(at(path, bound.min));
    parseExecutorConfig(at(path, bound.max));
    for (const outside of [bound.min - 1, bound.max + 1]) {
      assert.deepEqual(
        violations(at(path, outside)).map((v) => v.split(":")[0]),
        [pointer],
        `${pointer} = ${outside}`,
      );
    }
    const fraction = bound.min + 0.5;
    if (bound.integer) {
      assert.deepEqual(violations(at(path, fraction)).map((v) => v.split(":")[0]), [pointer]);
    } else parseExecutorConfig(at(path, fraction));
  }
});

Deno.test("executorInUseError() counts one task or schedule in the singular", () => {
  const said = (activeTasks: number, schedules: number) =>
    executorInUseError("flaky", { activeTasks, schedules }).message;
  assert.equal(
    said(0, 1),
    'Cannot delete executor "flaky": 1 schedule creates its tasks (use force to delete them too)',
  );
  assert.match(said(0, 2), /: 2 schedules create its tasks /);
  assert.match(said(1, 3), /: 1 task is pending or in progress /);
  assert.match(said(2, 0), /: 2 tasks are pending or in progress /);
});
