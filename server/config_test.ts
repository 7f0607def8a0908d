import assert from "node:assert/strict";
import { ConfigError, loadConfig, parseDuration } from "./config.ts";
import { DEFAULT_LIMITS } from "./domain/limits.ts";

Deno.test("loadConfig() gives the documented defaults for an empty environment", () => {
  const config = loadConfig({});
  assert.equal(config.httpPort, 8080);
  assert.equal(config.grpcPort, 50051);
  assert.equal(config.mongoUri, null);
  assert.equal(config.mongoDb, "task_executor");
  assert.equal(config.dataDir, "./data");
  assert.equal(config.logLevel, "info");
  assert.deepEqual(config.limits, DEFAULT_LIMITS);
  assert.equal(config.completedTaskTtlMs, 7 * 86_400_000);
  assert.equal(config.keepaliveIntervalMs, 10_000);
});

Deno.test("loadConfig() reads every variable", () => {
  const config = loadConfig({
    MANAGER_PORT: "9000",
    MANAGER_GRPC_PORT: "9001",
    MANAGER_HOST: "127.0.0.1",
    MONGO_URI: "mongodb://db:27017",
    MONGO_DB: "jobs",
    DATA_DIR: "/tmp/x",
    LOG_LEVEL: "debug",
    LOG_FORMAT: "pretty",
    MAX_REQUEST_BYTES: "2048",
    COMPLETED_TASK_TTL: "2h",
    HISTORY_TTL: "3d",
    BULK_MAX_TASKS: "50",
    SHUTDOWN_GRACE_MS: "1s",
    RESCUE_INTERVAL_MS: "250",
    KEEPALIVE_INTERVAL: "2s",
    SILENCE_WITHOUT_KEEPALIVE: "90s",
    AUTH: "off",
    BOOTSTRAP_ADMIN_KEY: `te_0123456789abcdef_${"A".repeat(43)}`,
    ALLOWED_HOSTS: "tasks.example.com, localhost",
    CORS_ORIGINS: "https://ops.example.com",
    OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/",
    OTEL_SERVICE_NAME: "jobs-manager",
  });
  assert.deepEqual(config, {
    httpPort: 9000,
    grpcPort: 9001,
    host: "127.0.0.1",
    mongoUri: "mongodb://db:27017",
    mongoDb: "jobs",
    dataDir: "/tmp/x",
    logLevel: "debug",
    logFormat: "pretty",
    limits: { ...DEFAULT_LIMITS, requestBytes: 2048, bulkTasks: 50 },
    completedTaskTtlMs: 7_200_000,
    historyTtlMs: 3 * 86_400_000,
    shutdownGraceMs: 1000,
    rescueIntervalMs: 250,
    keepaliveIntervalMs: 2000,
    silenceWithoutKeepaliveMs: 90_000,
    auth: false,
    bootstrapAdminKey: `te_0123456789abcdef_${"A".repeat(43)}`,
    allowedHosts: ["localhost", "127.0.0.1", "::1", "tasks.example.com"],
    corsOrigins: ["https://ops.example.com"],
    tls: null,
    tracing: { url: "http://collector:4318/v1/traces", serviceName: "jobs-manager" },
  });
});

Deno.test("loadConfig(): the caps on request bytes in flight grow with MAX_REQUEST_BYTES unless set", () => {
  const mib = 1024 * 1024;
  const grown = loadConfig({ MAX_REQUEST_BYTES: String(32 * mib) }).limits;
  assert.equal(grown.connectionRequestBytes, 128 * mib);
  assert.equal(grown.requestBytesInFlight, 512 * mib);
  const set = loadConfig({
    MAX_REQUEST_BYTES: String(32 * mib),
    MAX_CONNECTION_REQUEST_BYTES: String(40 * mib),
    MAX_REQUEST_BYTES_IN_FLIGHT: String(50 * mib),
  }).limits;
  assert.equal(set.connectionRequestBytes, 40 * mib);
  assert.equal(set.requestBytesInFlight, 50 * mib);
});

Deno.test("loadConfig() turns tracing off without an OTLP endpoint or with OTEL_SDK_DISABLED", () => {
  assert.equal(loadConfig({}).tracing, null);
  const traces = "http://collector:4318/custom/traces";
  assert.deepEqual(
    loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: traces, OTEL_EXPORTER_OTLP_ENDPOINT: "x" })
      .tracing,
    { url: traces, serviceName: "tasks-executor" },
  );
  assert.equal(
    loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318", OTEL_SDK_DISABLED: "true" })
      .tracing,
    null,
  );
});

Deno.test("loadConfig() names the variable whose value is bad", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ MANAGER_PORT: "http" }, /MANAGER_PORT must be a port number/],
    [{ MANAGER_GRPC_PORT: "70000" }, /MANAGER_GRPC_PORT must be a port number/],
    [
      { MANAGER_PORT: "18470", MANAGER_GRPC_PORT: "18470" },
      /^MANAGER_PORT \(REST\) and MANAGER_GRPC_PORT \(gRPC\) must be different ports, both are 18470/,
    ],
    [{ MANAGER_PORT: "50051" }, /MANAGER_PORT \(REST\) and MANAGER_GRPC_PORT \(gRPC\) must be/],
    [{ MONGO_URI: "postgres://x" }, /MONGO_URI must start with mongodb:\/\//],
    [{ MONGO_DB: "a b" }, /MONGO_DB must be/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL must be one of debug, info, warn, error/],
    [{ MAX_REQUEST_BYTES: "12" }, /MAX_REQUEST_BYTES must be at least 1024/],
    [{ REQUEST_RECEIVE_MS: "2147483648" }, /REQUEST_RECEIVE_MS must be at most 2147483647 ms/],
    [{ CONNECTION_IDLE_MS: "9999999999" }, /CONNECTION_IDLE_MS must be at most 2147483647 ms/],
    [
      { MAX_REQUEST_BYTES: "4096", MAX_CONNECTION_REQUEST_BYTES: "5000" },
      /MAX_CONNECTION_REQUEST_BYTES must be at least MAX_REQUEST_BYTES \+ 13312 \(17408:/,
    ],
    [
      { MAX_CONNECTION_REQUEST_BYTES: "80000000", MAX_REQUEST_BYTES_IN_FLIGHT: "70000000" },
      /MAX_REQUEST_BYTES_IN_FLIGHT must be at least MAX_CONNECTION_REQUEST_BYTES \(80000000\)/,
    ],
    [
      { MAX_CONNECTION_ANSWER_BYTES: "8000000" },
      /MAX_CONNECTION_ANSWER_BYTES must be at least 4 pages of answers \(8388608\)/,
    ],
    [
      { MAX_CONNECTION_ANSWER_BYTES: "90000000", MAX_ANSWER_BYTES_IN_FLIGHT: "80000000" },
      /MAX_ANSWER_BYTES_IN_FLIGHT must be at least MAX_CONNECTION_ANSWER_BYTES \(90000000\)/,
    ],
    [{ MAX_SSE_SUBSCRIBERS: "-1" }, /MAX_SSE_SUBSCRIBERS must be a whole number/],
    [{ COMPLETED_TASK_TTL: "soon" }, /COMPLETED_TASK_TTL must be a duration/],
    [{ HISTORY_TTL: "a week" }, /HISTORY_TTL must be a duration/],
    [{ KEEPALIVE_INTERVAL: "99ms" }, /KEEPALIVE_INTERVAL must be from 100ms to 5m, got "99ms"/],
    [{ KEEPALIVE_INTERVAL: "301s" }, /KEEPALIVE_INTERVAL must be from 100ms to 5m, got "301s"/],
    [
      { SILENCE_WITHOUT_KEEPALIVE: "99ms" },
      /SILENCE_WITHOUT_KEEPALIVE must be from 100ms to 1d, got "99ms"/,
    ],
    [
      { SILENCE_WITHOUT_KEEPALIVE: "25h" },
      /SILENCE_WITHOUT_KEEPALIVE must be from 100ms to 1d, got "25h"/,
    ],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" }, /OTEL_EXPORTER_OTLP_ENDPOINT must be/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://c" }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadConfig(env), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, message);
      return true;
    });
  }
});

Deno.test("loadConfig() turns authentication on unless AUTH=off", () => {
  assert.equal(loadConfig({}).auth, true);
  assert.equal(loadConfig({ AUTH: "on" }).auth, true);
  assert.equal(loadConfig({ AUTH: "off" }).auth, false);
  assert.throws(() => loadConfig({ AUTH: "no" }), /AUTH must be one of on, off, got "no"/);
});

Deno.test("loadConfig() takes BOOTSTRAP_ADMIN_KEY only in the token's form", () => {
  const token = `te_0123456789abcdef_${"A".repeat(43)}`;
  assert.equal(loadConfig({}).bootstrapAdminKey, null);
  assert.equal(loadConfig({ BOOTSTRAP_ADMIN_KEY: token }).bootstrapAdminKey, token);
  for (const bad of ["secret", token.slice(0, -1), `${token}x`]) {
    assert.throws(
      () => loadConfig({ BOOTSTRAP_ADMIN_KEY: bad }),
      /BOOTSTRAP_ADMIN_KEY must be a token of the form te_<16 hex digits>_<43 base64url characters>/,
    );
  }
});

Deno.test("parseDuration() reads plain milliseconds and units", () => {
  assert.equal(parseDuration("250"), 250);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("-1s"), undefined);
  assert.equal(parseDuration("1 week"), undefined);
});

Deno.test("loadConfig() takes port 0 (any free port) for both servers", () => {
  const config = loadConfig({ MANAGER_PORT: "0", MANAGER_GRPC_PORT: "0" });
  assert.deepEqual([config.httpPort, config.grpcPort], [0, 0]);
});
