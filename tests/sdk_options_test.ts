/**
 * The SDK refuses a number it cannot use (a timeout, a delay, a grace period, a limit) where the
 * option is given, with a RangeError naming it, and sends nothing: a timeout of 0 used to reach
 * the manager as a deadline already past and come back as "Manager unreachable".
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Client, Worker } from "../sdk/mod.ts";
import { freePort } from "./fixtures/resilience_cluster.ts";

/** An address nothing listens on: a call that got that far would fail as UNAVAILABLE. */
const nowhere = async () => `127.0.0.1:${await freePort()}`;

const UNUSABLE = [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "5" as unknown as number];
/** Past the longest delay a timer keeps (2^31 − 1 ms): such a timer fires after 1 ms. */
const DAYS_30 = 30 * 86_400_000;

Deno.test("Client refuses an unusable callTimeoutMs or limit, naming it", async () => {
  const address = await nowhere();
  for (const value of UNUSABLE) {
    assert.throws(() => new Client({ address, callTimeoutMs: value }), {
      name: "RangeError",
      message: new RegExp(`^callTimeoutMs must be a finite number of milliseconds above 0, not `),
    });
  }
  for (const value of [...UNUSABLE, 1.5]) {
    assert.throws(() => new Client({ address, limits: { watchTaskIds: value } }), {
      name: "RangeError",
      message: /^limits\.watchTaskIds must be a whole number from 1, not /,
    });
  }
  assert.throws(
    () => new Client({ address, limits: { taskDataBytes: 0 } }),
    /limits\.taskDataBytes/,
  );
});

// grpc-js keeps a refused connection's reconnect backoff timer after the client closes.
const AFTER_A_REFUSED_CONNECTION = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "waits refuse an unusable timeoutMs before sending anything",
  AFTER_A_REFUSED_CONNECTION,
  async () => {
    using client = new Client({ address: await nowhere(), callTimeoutMs: 2000 });
    for (const timeoutMs of UNUSABLE) {
      const refused = { name: "RangeError", message: /^timeoutMs must be a finite number/ };
      await assert.rejects(client.waitForTask("t1", { timeoutMs }), refused);
      await assert.rejects(client.waitForTasks(["t1", "t2"], { timeoutMs }), refused);
      await assert.rejects(client.createTaskAndWait("x", {}, { timeoutMs }), refused);
    }
  },
);

Deno.test("Worker refuses an unusable grace period, batch window or reconnect delay, naming it", async () => {
  const address = await nowhere();
  const cases: [Partial<ConstructorParameters<typeof Worker>[0]>, RegExp][] = [
    [{ shutdownGraceMs: -1 }, /^shutdownGraceMs must be a finite number of milliseconds from 0/],
    [
      { resultBatchMs: Number.NaN },
      /^resultBatchMs must be a finite number of milliseconds from 0/,
    ],
    [{ reconnect: { initialDelayMs: 0 } }, /^reconnect\.initialDelayMs must be .* above 0/],
    [{ reconnect: { maxDelayMs: Infinity } }, /^reconnect\.maxDelayMs must be .* above 0/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => new Worker({ address, handleSignals: false, logger: false, ...options }),
      { name: "RangeError", message },
    );
  }
  // 0 means none where it can: no grace period, no batching window.
  new Worker({
    address,
    handleSignals: false,
    logger: false,
    shutdownGraceMs: 0,
    resultBatchMs: 0,
  });
});

Deno.test(
  "a wait's timeoutMs: every finite number above 0 is taken, every other number refused",
  AFTER_A_REFUSED_CONNECTION,
  async () => {
    using client = new Client({ address: await nowhere(), callTimeoutMs: 2000 });
    await fc.assert(
      fc.asyncProperty(fc.double(), async (timeoutMs) => {
        const usable = Number.isFinite(timeoutMs) && timeoutMs > 0;
        const failed = await client.waitForTask("t1", { timeoutMs }).then(
          () => assert.fail("nothing listens there"),
          (error) => error as Error,
        );
        // A usable one is sent, and fails as nothing listens; an unusable one is not sent.
        assert.equal(failed.name === "RangeError", !usable, `${timeoutMs}: ${failed.message}`);
      }),
      { numRuns: 60 },
    );
  },
);

Deno.test("options that set a timer refuse a duration longer than a timer keeps, naming it", async () => {
  const address = await nowhere();
  const tooLong =
    /must be at most 2147483647 milliseconds \(24\.8 days, the longest a timer keeps\), not /;
  assert.throws(() => new Client({ address, callTimeoutMs: DAYS_30 }), {
    name: "RangeError",
    message: new RegExp(`^callTimeoutMs ${tooLong.source}`),
  });
  const cases: [Partial<ConstructorParameters<typeof Worker>[0]>, string][] = [
    [{ resultBatchMs: DAYS_30 }, "resultBatchMs"],
    [{ reconnect: { initialDelayMs: DAYS_30 } }, "reconnect.initialDelayMs"],
    [{ reconnect: { maxDelayMs: 2 ** 31 } }, "reconnect.maxDelayMs"],
  ];
  for (const [options, name] of cases) {
    assert.throws(
      () => new Worker({ address, handleSignals: false, logger: false, ...options }),
      { name: "RangeError", message: new RegExp(`^${name.replace(".", "\\.")} ${tooLong.source}`) },
    );
  }
  // The longest a timer keeps is taken; a grace period is waited for in steps.
  new Client({ address, callTimeoutMs: 2 ** 31 - 1 }).close();
  new Worker({
    address,
    handleSignals: false,
    logger: false,
    shutdownGraceMs: DAYS_30,
    reconnect: { maxDelayMs: 2 ** 31 - 1 },
  });
});

Deno.test(
  "a duration or limit given as null is not given: the default, as for every optional field",
  AFTER_A_REFUSED_CONNECTION,
  async () => {
    const address = await nowhere();
    // Each was refused ("… must be a finite number of milliseconds above 0, not null").
    using client = new Client({
      address,
      callTimeoutMs: null,
      limits: { taskDataBytes: null, requestBytes: null, jsonDepth: null, watchTaskIds: null },
    });
    new Worker({
      address,
      handleSignals: false,
      logger: false,
      shutdownGraceMs: null,
      resultBatchMs: null,
      reconnect: { initialDelayMs: null, maxDelayMs: null },
    });
    // Sent (nothing listens there), not refused.
    const failed = await client.waitForTask("t1", { timeoutMs: null }).then(
      () => assert.fail("nothing listens there"),
      (error) => error as Error,
    );
    assert.equal(failed.name, "UnavailableError", failed.message);
  },
);
