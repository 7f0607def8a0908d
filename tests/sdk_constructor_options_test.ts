/**
 * The option objects of the SDK's constructors (`new Client`, `new Worker`, their `tls` and
 * `limits`/`reconnect`), of `registerProcessor`, `runHandler` and `startTracing` are checked as
 * every call's options are: a
 * field of the wrong type or one they do not have is refused with an `InvalidArgumentError` naming
 * it by JSON pointer (`field: message`), where it was ignored (a misspelt `adress`,
 * `handleSignal`) or failed later as something else (`logger: true` at the first log line, a
 * number as `address` inside grpc-js). `null` is not given, as everywhere.
 */
import assert from "node:assert/strict";
import { Client, InvalidArgumentError, startTracing, Worker } from "../sdk/mod.ts";
import { runHandler } from "../sdk/testing.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;

const address = "127.0.0.1:1";

/** Asserts that `make` throws an `InvalidArgumentError` naming `field` with `message`. */
function refused(make: () => unknown, what: string, field: string, message: RegExp): void {
  let error: unknown;
  try {
    make();
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof InvalidArgumentError, `${what}: ${error ?? "no error"}`);
  assert.equal(error.code, 3);
  const violation = error.violations.find((v) => v.field === field);
  assert.ok(violation, `${what}: ${JSON.stringify(error.violations)}`);
  assert.match(violation.message, message, what);
  assert.ok(error.message.includes(`${field}: ${violation.message}`), `${what}: ${error.message}`);
}

Deno.test("new Client refuses an options field of the wrong type or one it does not have", () => {
  const cases: [Loose, string, RegExp][] = [
    [{ adress: address }, "/adress", /^Unknown field$/],
    [{ adress: address }, "/address", /^Must be given/],
    [{}, "/address", /^Must be given/],
    [{ address: 50051 }, "/address", /^Must be a string$/],
    [{ address, apiKey: 5 }, "/apiKey", /^Must be a string$/],
    [{ address, tls: "yes" }, "/tls", /^Must be true, false or an object/],
    [{ address, tls: { ca: 5 } }, "/tls/ca", /^Must be PEM text/],
    [{ address, tls: { cacert: "ca.pem" } }, "/tls/cacert", /^Unknown field$/],
    [{ address, callTimeout: 5000 }, "/callTimeout", /^Unknown field$/],
    [{ address, limits: 5 }, "/limits", /^Must be an object$/],
    [{ address, limits: { watchTaskId: 10 } }, "/limits/watchTaskId", /^Unknown field$/],
  ];
  for (const [options, field, message] of cases) {
    refused(() => new Client(options).close(), JSON.stringify(options), field, message);
  }
  // null is not given.
  new Client({ address, apiKey: null, tls: null, limits: null, callTimeoutMs: null }).close();
  new Client({ address, tls: { ca: null, cert: null, key: null } }).close();
});

Deno.test("new Worker refuses an options field of the wrong type or one it does not have", () => {
  const base = { address, handleSignals: false, logger: false as const };
  const cases: [Loose, string, RegExp][] = [
    [{ ...base, handleSignal: true }, "/handleSignal", /^Unknown field$/],
    [{ ...base, handleSignals: "no" }, "/handleSignals", /^Must be true or false$/],
    [{ ...base, register: 0 }, "/register", /^Must be true or false$/],
    [{ ...base, workerId: 7 }, "/workerId", /^Must be a string$/],
    [{ ...base, executors: {} }, "/executors", /^Must be an array$/],
    [{ ...base, logger: true }, "/logger", /^Must be false or a logger/],
    [{ ...base, logger: { info() {} } }, "/logger", /^Must be false or a logger/],
    [{ ...base, reconnect: 100 }, "/reconnect", /^Must be an object$/],
    [{ ...base, reconnect: { initialDelay: 100 } }, "/reconnect/initialDelay", /^Unknown field$/],
    [{ ...base, tls: { key: 1 } }, "/tls/key", /^Must be PEM text/],
    [{ ...base, address: undefined }, "/address", /^Must be given/],
    [{ ...base, address: "" }, "/address", /^Must be given/],
  ];
  for (const [options, field, message] of cases) {
    refused(() => new Worker(options), JSON.stringify(options), field, message);
  }
  // null is not given.
  new Worker({
    address,
    apiKey: null,
    tls: null,
    workerId: null,
    executors: null,
    handleSignals: null,
    register: null,
    logger: null,
    reconnect: null,
  });
});

Deno.test("registerProcessor refuses an options field it does not have, and a processor without processTask", () => {
  const worker = new Worker({ address, handleSignals: false, logger: false });
  const processor = { processTask: () => null };
  refused(
    () => worker.registerProcessor("p1", processor, { concurency: 2 } as Loose),
    "concurency",
    "/concurency",
    /^Unknown field$/,
  );
  // A processor without processTask was taken, and failed every task it was given.
  assert.throws(() => worker.registerProcessor("p2", {} as Loose), {
    name: "TypeError",
    message: /^Processor "p2" needs a processTask function/,
  });
  assert.throws(
    () => worker.registerProcessor("p3", { ...processor, getTaskSchema: {} } as Loose),
    { name: "TypeError", message: /getTaskSchema must be a function/ },
  );
  worker.registerProcessor("p4", processor, { concurrency: null });
});

Deno.test("runHandler and startTracing refuse an options field of the wrong type or one they do not have", async () => {
  const handler = (data: { n: number }) => data.n * 2;
  const cases: [Loose, string, RegExp][] = [
    [{ atempt: 2 }, "/atempt", /^Unknown field$/],
    [{ attempt: "2" }, "/attempt", /^Must be a number$/],
    [{ onHeartbeat: true }, "/onHeartbeat", /^Must be a function$/],
    [{ signal: "stop" }, "/signal", /^Must be an AbortSignal$/],
    [{ metadata: { a: 1 } }, "/metadata/a", /^Must be a string$/],
    [{ logger: true }, "/logger", /^Must be false or a logger/],
  ];
  for (const [options, field, message] of cases) {
    let error: unknown;
    try {
      await runHandler(handler, { n: 1 }, options);
    } catch (caught) {
      error = caught;
    }
    refused(
      () => {
        if (error) throw error;
      },
      JSON.stringify(options),
      field,
      message,
    );
  }
  // null is not given, and a logger of false is silent, as a Worker's.
  const outcome = await runHandler(handler, { n: 21 }, {
    attempt: null,
    signal: null,
    metadata: null,
    onHeartbeat: null,
    logger: false,
  });
  assert.deepEqual(outcome, { ok: true, result: 42 });
  // A misspelt serviceName was ignored.
  refused(
    () => startTracing({ servicename: "mail" } as Loose),
    "startTracing",
    "/servicename",
    /^Unknown field$/,
  );
});

Deno.test("an executor definition's schedules must be an array of declarations", () => {
  // A string was declared as one schedule per character, an object as none.
  for (const schedules of ["daily", { name: "daily", cron: "0 9 * * *" }, [null]] as Loose[]) {
    assert.throws(
      () =>
        new Worker({
          address,
          logger: false,
          handleSignals: false,
          executors: [{ name: "e6", handler: () => null, schedules }],
        }),
      { name: "TypeError", message: /^Executor "e6" schedules must be an array/ },
      JSON.stringify(schedules),
    );
  }
  new Worker({
    address,
    logger: false,
    handleSignals: false,
    executors: [{ name: "e6", handler: () => null, schedules: null as Loose }],
  });
});
