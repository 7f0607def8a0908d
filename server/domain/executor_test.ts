/**
 * Unit tests of executor configuration parsing: defaults, updates on top of a base, and every
 * kind of bad field reported with its JSON pointer.
 */
import assert from "node:assert/strict";
import { InvalidArgumentError } from "./errors.ts";
import {
  DEFAULT_EXECUTOR_CONFIG,
  EXECUTOR_NAME_PATTERN,
  type ExecutorConfig,
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
  for (const name of ["Send", "with space", "", "a".repeat(129), 7, "émail"]) {
    assert.deepEqual(violations({ name }), [
      "/config/name: Must be 1-128 characters of a-z, 0-9, _, . or -",
    ], String(name));
  }
  assert.ok(EXECUTOR_NAME_PATTERN.test("a".repeat(128)));
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
        maxInterval: "10s",
        multiplier: 0.5,
        jitter: 2,
      },
    }),
    [
      "/config/retryPolicy/maxAttempts: Must be between 1 and 1000",
      "/config/retryPolicy/interval: Must be between 0 and 2592000000",
      "/config/retryPolicy/maxInterval: Must be a number",
      "/config/retryPolicy/multiplier: Must be between 1 and 100",
      "/config/retryPolicy/jitter: Must be between 0 and 1",
      "/config/timeout: Must be between 1 and 2592000000",
      "/config/maxConcurrency: Must be a whole number",
    ],
  );
  assert.deepEqual(violations({ name: "a", retryPolicy: { maxAttempts: 2.5 } }), [
    "/config/retryPolicy/maxAttempts: Must be a whole number",
  ]);
  assert.deepEqual(violations({ name: "a", timeout: Number.NaN }), [
    "/config/timeout: Must be a number",
  ]);
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
      "/config/retryPolicy/type: Must be one of constant, linear, exponential",
      "/config/dlqConfig/enabled: Must be true or false",
      "/config/dlqConfig/queueName: Must be 1-128 characters of a-z, 0-9, _, . or -",
      "/config/writeConcern/level: Must be one of unacknowledged, replica_acknowledged, journaled, majority",
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
    "/timeout: Must be between 1 and 2592000000",
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
